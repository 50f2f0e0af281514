//! Command replies: a document a handler built, or BSON bytes written directly. Cursor batches
//! take the second form, so the documents a query returns travel from the stored bytes to the
//! socket without being decoded and encoded again.
use bson::Document;
use bson::raw::RawDocumentBuf;

use crate::error::{CmdResult, CommandError};
use crate::wire;

/// The reply to a command.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    /// A reply built as a document: most commands, and every error.
    Doc(Document),
    /// A reply already encoded, `ok` field included: the batch of a cursor.
    Raw(RawDocumentBuf),
}

/// Which batch of a cursor a reply carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchKind {
    /// The batch of the command that opened the cursor (`firstBatch`).
    First,
    /// A batch handed out by `getMore` (`nextBatch`).
    Next,
}

impl BatchKind {
    fn field(self) -> &'static [u8] {
        match self {
            BatchKind::First => b"firstBatch",
            BatchKind::Next => b"nextBatch",
        }
    }
}

impl From<Document> for Reply {
    fn from(d: Document) -> Self {
        Reply::Doc(d)
    }
}

impl Reply {
    /// The reply of a successful command: a document reply gets `ok: 1.0` unless the handler
    /// set `ok` itself; an encoded reply carries it already.
    pub(crate) fn with_ok(self) -> Self {
        match self {
            Reply::Doc(mut d) => {
                if !d.contains_key("ok") {
                    d.insert("ok", 1.0);
                }
                Reply::Doc(d)
            }
            raw @ Reply::Raw(_) => raw,
        }
    }

    /// The reply framed as an OP_MSG.
    pub(crate) fn encode_msg(&self, request_id: i32, response_to: i32) -> Vec<u8> {
        match self {
            Reply::Doc(d) => wire::encode_msg(request_id, response_to, d),
            Reply::Raw(r) => wire::encode_msg_raw(request_id, response_to, r),
        }
    }

    /// The reply framed as an OP_REPLY.
    pub(crate) fn encode_reply(
        &self,
        request_id: i32,
        response_to: i32,
        query_failure: bool,
    ) -> Vec<u8> {
        match self {
            Reply::Doc(d) => wire::encode_reply(request_id, response_to, d, query_failure),
            Reply::Raw(r) => wire::encode_reply_raw(request_id, response_to, r, query_failure),
        }
    }
}

/// The reply carrying one batch of a cursor:
/// `{cursor: {firstBatch | nextBatch: [..], id, ns}, ok: 1.0}`, written around the documents'
/// bytes without decoding them.
pub(crate) fn cursor_reply(
    ns: &str,
    kind: BatchKind,
    batch: &[RawDocumentBuf],
    id: i64,
) -> CmdResult<Reply> {
    let docs: usize = batch.iter().map(|d| d.as_bytes().len()).sum();
    let mut out = Vec::with_capacity(docs + 8 * batch.len() + ns.len() + 80);
    let reply = begin_document(&mut out);
    element(&mut out, 0x03, b"cursor");
    let cursor = begin_document(&mut out);
    element(&mut out, 0x04, kind.field());
    let array = begin_document(&mut out);
    for (i, d) in batch.iter().enumerate() {
        out.push(0x03);
        push_decimal(&mut out, i);
        out.push(0);
        out.extend_from_slice(d.as_bytes());
    }
    end_document(&mut out, array)?;
    element(&mut out, 0x12, b"id");
    out.extend_from_slice(&id.to_le_bytes());
    element(&mut out, 0x02, b"ns");
    out.extend_from_slice(&length(ns.len() + 1)?.to_le_bytes());
    out.extend_from_slice(ns.as_bytes());
    out.push(0);
    end_document(&mut out, cursor)?;
    element(&mut out, 0x01, b"ok");
    out.extend_from_slice(&1.0_f64.to_le_bytes());
    end_document(&mut out, reply)?;
    RawDocumentBuf::from_bytes(out).map(Reply::Raw).map_err(|e| {
        CommandError::new(crate::error::code::INTERNAL_ERROR, format!("invalid reply: {e}"))
    })
}

/// Encodes a document for a cursor.
pub(crate) fn encode(d: &Document) -> CmdResult<RawDocumentBuf> {
    RawDocumentBuf::try_from(d)
        .map_err(|e| CommandError::bad_value(format!("cannot encode document: {e}")))
}

/// Encodes the documents of a result set for a cursor, each once.
pub(crate) fn encode_all(docs: Vec<Document>) -> CmdResult<Vec<RawDocumentBuf>> {
    docs.iter().map(encode).collect()
}

/// Starts a document: a length to fill in by [`end_document`]; returns where it starts.
fn begin_document(out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    start
}

/// Ends the document that starts at `start` and writes its length.
fn end_document(out: &mut Vec<u8>, start: usize) -> CmdResult<()> {
    out.push(0);
    let len = length(out.len() - start)?;
    if let Some(slot) = out.get_mut(start..start + 4) {
        slot.copy_from_slice(&len.to_le_bytes());
    }
    Ok(())
}

/// Writes the type byte and the name of an element; its value follows.
fn element(out: &mut Vec<u8>, t: u8, key: &[u8]) {
    out.push(t);
    out.extend_from_slice(key);
    out.push(0);
}

/// Writes `n` in decimal, as an array index key.
fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// A BSON length field.
fn length(n: usize) -> CmdResult<i32> {
    i32::try_from(n).map_err(|_| {
        CommandError::new(
            crate::error::code::BSON_OBJECT_TOO_LARGE,
            format!("reply of {n} bytes is too large"),
        )
    })
}

#[cfg(test)]
mod tests {
    use bson::{Bson, doc};

    use super::*;

    fn raw(d: Document) -> RawDocumentBuf {
        RawDocumentBuf::try_from(&d).unwrap()
    }

    /// The reply as the document-built path shaped it.
    fn decoded_reply(ns: &str, field: &str, batch: &[Document], id: i64) -> Vec<u8> {
        let batch: Vec<Bson> = batch.iter().cloned().map(Bson::Document).collect();
        let d = doc! { "cursor": { field: batch, "id": id, "ns": ns }, "ok": 1.0 };
        d.to_vec().unwrap()
    }

    #[test]
    fn cursor_reply_bytes_equal_the_document_built_reply() {
        let docs: Vec<Document> = (0..12)
            .map(|i| doc! { "_id": i, "s": "x".repeat(i as usize), "a": [i, { "b": i }] })
            .collect();
        let raws: Vec<RawDocumentBuf> = docs.iter().cloned().map(raw).collect();
        for (kind, field) in [(BatchKind::First, "firstBatch"), (BatchKind::Next, "nextBatch")] {
            for n in [0, 1, 10, 12] {
                for id in [0_i64, 1, -7, i64::MAX] {
                    let Reply::Raw(r) = cursor_reply("db.c", kind, &raws[..n], id).unwrap() else {
                        panic!("a cursor reply is raw");
                    };
                    assert_eq!(r.as_bytes(), decoded_reply("db.c", field, &docs[..n], id));
                }
            }
        }
    }

    #[test]
    fn with_ok_adds_ok_to_documents_only() {
        assert_eq!(Reply::from(doc! { "n": 1 }).with_ok(), Reply::Doc(doc! { "n": 1, "ok": 1.0 }));
        assert_eq!(Reply::from(doc! { "ok": 0.0 }).with_ok(), Reply::Doc(doc! { "ok": 0.0 }));
        let r = cursor_reply("d.c", BatchKind::First, &[], 0).unwrap();
        assert_eq!(r.clone().with_ok(), r);
    }

    #[test]
    fn decimal_keys() {
        for n in [0, 9, 10, 99, 100, 12345, usize::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }
}
