//! Bad input on the wire: the offending connection is closed, everyone else carries on.
use std::time::Duration;

use mongodb::bson::{Document, doc};
use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::Ctx;

fn op_msg(body: &Document, request_id: i32) -> Vec<u8> {
    let bytes = body.to_vec().unwrap();
    let len = 16 + 4 + 1 + bytes.len();
    let mut out = Vec::new();
    out.extend_from_slice(&(len as i32).to_le_bytes());
    out.extend_from_slice(&request_id.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&2013i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.push(0);
    out.extend_from_slice(&bytes);
    out
}

/// Sends `bytes` and reports whether the server closed the connection (rather than answering).
async fn closed_after(addr: std::net::SocketAddr, bytes: &[u8]) -> bool {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let _ = s.write_all(bytes).await;
    let mut buf = [0u8; 1024];
    match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(_)) => false,
        Err(_) => false,
    }
}

#[tokio::test]
async fn malformed_frames_close_only_their_connection() {
    let ctx = Ctx::lite().await;
    let c = ctx.coll("alive");
    c.insert_one(doc! { "_id": 1 }).await.unwrap();
    let addr = ctx.server().addr();
    // a connection that stays open through everything below
    let mut good = TcpStream::connect(addr).await.unwrap();

    let mut garbage = vec![0xAB; 64];
    garbage[..4].copy_from_slice(&64i32.to_le_bytes());
    assert!(closed_after(addr, &garbage).await, "unknown opcode");
    let mut too_big = op_msg(&doc! { "ping": 1, "$db": "admin" }, 1);
    too_big[..4].copy_from_slice(&(50_000_000i32).to_le_bytes());
    assert!(closed_after(addr, &too_big).await, "length over 48MB");
    let mut short = op_msg(&doc! { "ping": 1, "$db": "admin" }, 1);
    short[..4].copy_from_slice(&(10i32).to_le_bytes());
    assert!(closed_after(addr, &short).await, "length under a header");
    // truncated BSON: the document claims more bytes than the frame has
    let mut trunc = op_msg(&doc! { "ping": 1, "$db": "admin" }, 1);
    let doc_len_at = 21;
    trunc[doc_len_at..doc_len_at + 4].copy_from_slice(&1000i32.to_le_bytes());
    assert!(closed_after(addr, &trunc).await, "truncated BSON");
    // invalid UTF-8 in a string
    let mut bad_utf8 = op_msg(&doc! { "ping": "xx", "$db": "admin" }, 1);
    let pos = bad_utf8.windows(2).position(|w| w == b"xx").unwrap();
    bad_utf8[pos] = 0xff;
    assert!(closed_after(addr, &bad_utf8).await, "invalid UTF-8");
    // nesting deeper than 100
    let mut deep = doc! { "x": 1 };
    for _ in 0..120 {
        deep = doc! { "d": deep };
    }
    let mut cmd = doc! { "insert": "alive", "$db": "test" };
    cmd.insert("documents", vec![mongodb::bson::Bson::Document(deep)]);
    assert!(closed_after(addr, &op_msg(&cmd, 1)).await, "deep nesting");

    // a document over 16 MiB
    let huge = doc! { "insert": "alive", "$db": "test", "documents": [{ "s": "x".repeat(17 * 1024 * 1024) }] };
    assert!(closed_after(addr, &op_msg(&huge, 1)).await, "document over 16 MiB");

    // the well-behaved raw connection still gets answers
    good.write_all(&op_msg(&doc! { "ping": 1, "$db": "admin" }, 7)).await.unwrap();
    let mut hdr = [0u8; 16];
    good.read_exact(&mut hdr).await.unwrap();
    assert_eq!(i32::from_le_bytes(hdr[8..12].try_into().unwrap()), 7);
    // and so does the driver
    assert_eq!(c.count_documents(doc! {}).await.unwrap(), 1);
}

#[tokio::test]
async fn legacy_op_query_handshake_gets_op_reply() {
    let ctx = Ctx::lite().await;
    let q = doc! { "isMaster": 1 }.to_vec().unwrap();
    let mut body = Vec::new();
    body.extend_from_slice(&0i32.to_le_bytes());
    body.extend_from_slice(b"admin.$cmd\0");
    body.extend_from_slice(&0i32.to_le_bytes());
    body.extend_from_slice(&(-1i32).to_le_bytes());
    body.extend_from_slice(&q);
    let mut frame = Vec::new();
    frame.extend_from_slice(&((16 + body.len()) as i32).to_le_bytes());
    frame.extend_from_slice(&3i32.to_le_bytes());
    frame.extend_from_slice(&0i32.to_le_bytes());
    frame.extend_from_slice(&2004i32.to_le_bytes());
    frame.extend_from_slice(&body);
    let mut s = TcpStream::connect(ctx.server().addr()).await.unwrap();
    s.write_all(&frame).await.unwrap();
    let mut hdr = [0u8; 16];
    s.read_exact(&mut hdr).await.unwrap();
    let len = i32::from_le_bytes(hdr[0..4].try_into().unwrap()) as usize;
    assert_eq!(i32::from_le_bytes(hdr[12..16].try_into().unwrap()), 1, "OP_REPLY");
    let mut rest = vec![0u8; len - 16];
    s.read_exact(&mut rest).await.unwrap();
    let reply = Document::from_reader(&rest[20..]).unwrap();
    assert!(reply.get_bool("ismaster").unwrap());
    assert_eq!(reply.get_i32("maxWireVersion").unwrap(), 21);
}

#[tokio::test]
async fn more_to_come_gets_no_reply() {
    let ctx = Ctx::lite().await;
    let mut frame =
        op_msg(&doc! { "insert": "fire", "documents": [{ "_id": 1 }], "$db": "test" }, 1);
    frame[16..20].copy_from_slice(&2u32.to_le_bytes());
    let mut s = TcpStream::connect(ctx.server().addr()).await.unwrap();
    s.write_all(&frame).await.unwrap();
    s.write_all(&op_msg(&doc! { "ping": 1, "$db": "admin" }, 2)).await.unwrap();
    let mut hdr = [0u8; 16];
    s.read_exact(&mut hdr).await.unwrap();
    assert_eq!(
        i32::from_le_bytes(hdr[8..12].try_into().unwrap()),
        2,
        "the first reply answers the ping"
    );
    assert_eq!(ctx.coll("fire").count_documents(doc! {}).await.unwrap(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn decoder_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = mdbr_lite::wire::decode_frame(&bytes);
        let _ = mdbr_lite::wire::read_document(&bytes);
    }

    #[test]
    fn decoder_never_panics_on_mutated_frames(flips in proptest::collection::vec((0usize..200, any::<u8>()), 1..8), cut in 0usize..200) {
        let mut frame = op_msg(&doc! { "find": "c", "filter": { "a": { "$in": [1, "x", { "b": [1.5] }] } }, "$db": "test" }, 1);
        for (at, b) in flips {
            let n = frame.len();
            frame[at % n] = b;
        }
        let _ = mdbr_lite::wire::decode_frame(&frame);
        let cut = cut.min(frame.len());
        let _ = mdbr_lite::wire::decode_frame(&frame[..cut]);
    }
}
