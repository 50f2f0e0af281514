//! Slow clients, dead connections, size and rate limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use mdbr_ws::{Envelope, WsConfig, WsMessage};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::{Client, PATIENCE, Server, recv, recv_close, send};

fn echo(server: &Server) {
    for app in [&server.a, &server.b] {
        server
            .hub
            .on(app, "echo", |ctx, data| async move {
                ctx.reply(&WsMessage::new("echo", data))?;
                Ok(())
            })
            .unwrap();
    }
}

/// Reads `client` in the background, checking that `seq` values arrive in
/// order without gaps, and counts them.
fn read_in_order(mut client: Client) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    tokio::spawn(async move {
        while let Some(Ok(frame)) = client.next().await {
            if let Message::Text(text) = frame {
                let envelope = Envelope::parse(&text).unwrap();
                let expected = seen.load(Ordering::SeqCst);
                assert_eq!(envelope.data["seq"], expected, "a message was lost or reordered");
                seen.store(expected + 1, Ordering::SeqCst);
            }
        }
    });
    count
}

async fn wait_count(count: &AtomicUsize, n: usize) {
    let deadline = Instant::now() + PATIENCE;
    while count.load(Ordering::SeqCst) < n {
        assert!(
            Instant::now() < deadline,
            "fast client got {} of {n}",
            count.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn slow_client_is_dropped_while_the_others_get_every_message() {
    let config =
        WsConfig::default().with_queue_capacity(4).with_close_timeout(Duration::from_millis(200));
    let server = Server::start(config).await;
    let fast1 = read_in_order(server.connect("a", "/ws", Some("tok-alice-a")).await);
    let fast2 = read_in_order(server.connect("a", "/ws", Some("tok-bob-a")).await);
    // Connected, then never read: its socket buffers and then its queue fill up.
    let _slow = server.connect("a", "/ws", Some("tok-carol-a")).await;

    let payload = "x".repeat(256 * 1024);
    let mut sent = 0;
    let mut after_drop = 0;
    while after_drop < 5 {
        assert!(sent < 400, "the slow client was never dropped");
        let message = WsMessage::new("big", json!({ "seq": sent, "payload": payload }));
        let queued = server.hub.broadcast_to_app(&server.a, &message);
        assert!(queued >= 2, "every fast client takes every message");
        sent += 1;
        // The broadcaster never waits on a client; the test paces itself on
        // the fast clients only.
        wait_count(&fast1, sent).await;
        wait_count(&fast2, sent).await;
        if server.hub.stats().app(&server.a).dropped_slow == 1 {
            assert_eq!(queued, 2);
            after_drop += 1;
        }
    }
    let stats = server.hub.stats().app(&server.a);
    assert_eq!(stats.dropped_slow, 1);
    assert_eq!(stats.connections, 2);
    assert_eq!(fast1.load(Ordering::SeqCst), sent);
    assert_eq!(fast2.load(Ordering::SeqCst), sent);
    assert_eq!(server.hub.send_to_user(&server.a, "carol", &WsMessage::new("x", json!(1))), 0);
}

#[tokio::test]
async fn dead_connections_are_reaped_and_forgotten() {
    let interval = Duration::from_millis(100);
    let server = Server::start(WsConfig::default().with_ping_interval(interval)).await;
    let started = Instant::now();
    let mut dead = server.connect("a", "/ws", Some("tok-alice-a")).await;
    send(&mut dead, "subscribe", json!({ "topic": "t" })).await;
    assert_eq!(recv(&mut dead).await.kind, "subscribed");
    // From here on `dead` is never polled, so it never answers a ping.
    let live = server.connect("a", "/ws", Some("tok-bob-a")).await;
    let live_count = read_in_order(live);

    server.wait_for(|hub| hub.stats().app(&server.a).reaped == 1).await;
    assert!(started.elapsed() >= interval * 2, "reaped before two intervals");
    let stats = server.hub.stats().app(&server.a);
    assert_eq!(stats.connections, 1);
    assert_eq!(server.hub.publish(&server.a, "t", &WsMessage::new("x", json!(1))), 0);
    assert_eq!(server.hub.send_to_user(&server.a, "alice", &WsMessage::new("x", json!(1))), 0);

    // The client that answers pings stays through many intervals.
    tokio::time::sleep(interval * 6).await;
    assert_eq!(server.hub.connections(&server.a), 1);
    assert_eq!(server.hub.stats().app(&server.a).reaped, 1);
    let message = WsMessage::new("still", json!({ "seq": 0 }));
    assert_eq!(server.hub.broadcast_to_app(&server.a, &message), 1);
    wait_count(&live_count, 1).await;

    // The server really closed the dead client's socket.
    // (`recv_close` fails the test if the socket stays open.)
    recv_close(&mut dead).await;
}

#[tokio::test]
async fn all_bookkeeping_is_removed_when_connections_close() {
    let server = Server::start(WsConfig::default()).await;
    let mut clients = Vec::new();
    for token in ["tok-alice-a", "tok-bob-a", "tok-alice-a"] {
        let mut client = server.connect("a", "/ws", Some(token)).await;
        send(&mut client, "subscribe", json!({ "topic": "room" })).await;
        assert_eq!(recv(&mut client).await.kind, "subscribed");
        clients.push(client);
    }
    assert_eq!(server.hub.publish(&server.a, "room", &WsMessage::new("x", json!(1))), 3);
    // One closes cleanly, one just drops its socket, one stays.
    let mut clients = clients.into_iter();
    clients.next().unwrap().close(None).await.unwrap();
    drop(clients.next());
    server.wait_for(|hub| hub.connections(&server.a) == 1).await;
    let message = WsMessage::new("x", json!(1));
    assert_eq!(server.hub.publish(&server.a, "room", &message), 1);
    assert_eq!(server.hub.send_to_user(&server.a, "bob", &message), 0);
    assert_eq!(server.hub.send_to_user(&server.a, "alice", &message), 1);
    drop(clients);
    server.wait_for(|hub| hub.stats().total.connections == 0).await;
}

#[tokio::test]
async fn oversize_messages_close_with_1009() {
    let server = Server::start(WsConfig::default()).await;
    echo(&server);
    // `/small` declares max_message_bytes = 1024.
    let mut client = server.connect("a", "/small", Some("tok-alice-a")).await;
    send(&mut client, "echo", json!("y".repeat(900))).await;
    assert_eq!(recv(&mut client).await.kind, "echo");
    send(&mut client, "echo", json!("y".repeat(2000))).await;
    let close = recv_close(&mut client).await.expect("a close frame");
    assert_eq!(close.code, CloseCode::Size);

    // Other endpoints use the default of 64 KiB.
    let mut client = server.connect("a", "/ws", Some("tok-alice-a")).await;
    send(&mut client, "echo", json!("y".repeat(60 * 1024))).await;
    assert_eq!(recv(&mut client).await.kind, "echo");
    send(&mut client, "echo", json!("y".repeat(65 * 1024))).await;
    let close = recv_close(&mut client).await.expect("a close frame");
    assert_eq!(close.code, CloseCode::Size);

    server.wait_for(|hub| hub.connections(&server.a) == 0).await;
    assert_eq!(server.hub.stats().app(&server.a).oversize, 2);
}

#[tokio::test]
async fn flooding_is_refused_then_closed() {
    let config = WsConfig::default().with_rate_limit(5, 5).with_flood_strikes(5);
    let server = Server::start(config).await;
    echo(&server);
    let mut client = server.connect("a", "/ws", Some("tok-alice-a")).await;
    for i in 0..50 {
        let text = json!({ "type": "echo", "data": i }).to_string();
        client.feed(Message::text(text)).await.unwrap();
    }
    client.flush().await.unwrap();

    let (mut echoed, mut limited) = (0, 0);
    let close = loop {
        let frame = tokio::time::timeout(PATIENCE, client.next()).await.unwrap();
        match frame {
            Some(Ok(Message::Text(text))) => {
                let envelope = Envelope::parse(&text).unwrap();
                match envelope.kind.as_str() {
                    "echo" => echoed += 1,
                    "error" if envelope.data["code"] == "rate_limited" => limited += 1,
                    other => panic!("unexpected {other}"),
                }
            }
            Some(Ok(Message::Close(frame))) => break frame.expect("a close frame"),
            Some(Ok(_)) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.code, CloseCode::Policy);
    // At most the burst gets through (work still queued when the flood
    // closes the connection is dropped).
    assert!(echoed <= 5, "{echoed} messages got past the limit");
    assert!(limited >= 1, "refused messages are answered before the close");
    server.wait_for(|hub| hub.connections(&server.a) == 0).await;
    let stats = server.hub.stats().app(&server.a);
    assert_eq!(stats.flooded, 1);
    assert!(stats.rate_limited >= 5);
}

#[tokio::test]
async fn a_steady_client_within_the_rate_is_served() {
    let config = WsConfig::default().with_rate_limit(50, 2).with_flood_strikes(1);
    let server = Server::start(config).await;
    echo(&server);
    let mut client = server.connect("a", "/ws", Some("tok-alice-a")).await;
    for i in 0..10 {
        send(&mut client, "echo", json!(i)).await;
        assert_eq!(recv(&mut client).await.data, i);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(server.hub.stats().app(&server.a).rate_limited, 0);
}

#[tokio::test]
async fn close_app_closes_its_connections_with_1001() {
    let server = Server::start(WsConfig::default()).await;
    let mut on_a = server.connect("a", "/ws", Some("tok-alice-a")).await;
    let mut on_b = server.connect("b", "/ws", Some("tok-alice-b")).await;
    assert_eq!(server.hub.close_app(&server.a), 1);
    assert_eq!(recv_close(&mut on_a).await.expect("a close frame").code, CloseCode::Away);
    assert_eq!(server.hub.connections(&server.a), 0);
    assert_eq!(server.hub.broadcast_to_app(&server.b, &WsMessage::new("x", json!(1))), 1);
    assert_eq!(recv(&mut on_b).await.kind, "x");
}
