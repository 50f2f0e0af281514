//! Broadcasts, messages to a user, and topics stay inside their app.

use mdbr_ws::{WsConfig, WsMessage};
use serde_json::json;

use crate::support::{Server, next_after_marker, recv, send};

#[tokio::test]
async fn broadcast_reaches_only_the_apps_clients() {
    let server = Server::start(WsConfig::default()).await;
    let mut a1 = server.connect("a", "/ws", Some("tok-alice-a")).await;
    let mut a2 = server.connect("a", "/open", None).await;
    let mut b1 = server.connect("b", "/ws", Some("tok-alice-b")).await;

    let news = WsMessage::new("news", json!({ "n": 1 }));
    assert_eq!(server.hub.broadcast_to_app(&server.a, &news), 2);
    for client in [&mut a1, &mut a2] {
        let got = recv(client).await;
        assert_eq!((got.kind.as_str(), got.app.as_str()), ("news", "a"));
        assert_eq!(got.data, json!({ "n": 1 }));
        assert!(got.ts > 1_600_000_000_000, "ts is epoch milliseconds");
    }
    // b's first message is b's own marker: it never saw a's broadcast.
    let first = next_after_marker(&server, &server.b, &mut b1).await;
    assert_eq!((first.kind.as_str(), first.app.as_str()), ("marker", "b"));

    let stats = server.hub.stats();
    assert_eq!(stats.app(&server.a).connections, 2);
    assert_eq!(stats.total.connections, 3);
}

#[tokio::test]
async fn send_to_user_reaches_only_that_users_connections() {
    let server = Server::start(WsConfig::default()).await;
    let mut alice1 = server.connect("a", "/ws", Some("tok-alice-a")).await;
    let mut alice2 = server.connect("a", "/ws", Some("tok-alice-a")).await;
    let mut bob = server.connect("a", "/ws", Some("tok-bob-a")).await;
    let mut alice_on_b = server.connect("b", "/ws", Some("tok-alice-b")).await;

    let dm = WsMessage::new("dm", json!("hi alice"));
    assert_eq!(server.hub.send_to_user(&server.a, "alice", &dm), 2);
    assert_eq!(server.hub.send_to_user(&server.a, "nobody", &dm), 0);
    for client in [&mut alice1, &mut alice2] {
        assert_eq!(recv(client).await.kind, "dm");
    }
    assert_eq!(next_after_marker(&server, &server.a, &mut bob).await.kind, "marker");
    assert_eq!(next_after_marker(&server, &server.b, &mut alice_on_b).await.kind, "marker");

    // The user index forgets closed connections.
    alice1.close(None).await.unwrap();
    server.wait_for(|hub| hub.connections(&server.a) == 2).await;
    assert_eq!(server.hub.send_to_user(&server.a, "alice", &dm), 1);
}

#[tokio::test]
async fn topics_are_per_app_and_per_subscription() {
    let server = Server::start(WsConfig::default()).await;
    let mut sub = server.connect("a", "/ws", Some("tok-alice-a")).await;
    let mut other = server.connect("a", "/ws", Some("tok-bob-a")).await;
    let mut on_b = server.connect("b", "/ws", Some("tok-alice-b")).await;

    for client in [&mut sub, &mut on_b] {
        send(client, "subscribe", json!({ "topic": "prices" })).await;
        let ack = recv(client).await;
        assert_eq!((ack.kind.as_str(), &ack.data), ("subscribed", &json!({ "topic": "prices" })));
    }
    let tick = WsMessage::new("price", json!(42));
    assert_eq!(server.hub.publish(&server.a, "prices", &tick), 1);
    assert_eq!(server.hub.publish(&server.a, "other", &tick), 0);
    let got = recv(&mut sub).await;
    assert_eq!((got.kind.as_str(), got.app.as_str()), ("price", "a"));
    assert_eq!(next_after_marker(&server, &server.a, &mut other).await.kind, "marker");
    assert_eq!(next_after_marker(&server, &server.b, &mut on_b).await.kind, "marker");

    // Subscribing twice delivers once; unsubscribing stops delivery.
    assert_eq!(recv(&mut sub).await.kind, "marker");
    send(&mut sub, "subscribe", json!({ "topic": "prices" })).await;
    assert_eq!(recv(&mut sub).await.kind, "subscribed");
    assert_eq!(server.hub.publish(&server.a, "prices", &tick), 1);
    assert_eq!(recv(&mut sub).await.kind, "price");
    send(&mut sub, "unsubscribe", json!({ "topic": "prices" })).await;
    assert_eq!(recv(&mut sub).await.kind, "unsubscribed");
    assert_eq!(server.hub.publish(&server.a, "prices", &tick), 0);

    // A malformed subscription is answered, not fatal.
    send(&mut sub, "subscribe", json!({ "nope": 1 })).await;
    let err = recv(&mut sub).await;
    assert_eq!((err.kind.as_str(), &err.data["code"]), ("error", &json!("invalid_topic")));

    // Topic membership goes away with the connection.
    on_b.close(None).await.unwrap();
    server.wait_for(|hub| hub.connections(&server.b) == 0).await;
    assert_eq!(server.hub.publish(&server.b, "prices", &tick), 0);
}

#[tokio::test]
async fn topic_count_per_connection_is_limited() {
    let server = Server::start(WsConfig::default().with_max_topics_per_connection(2)).await;
    let mut client = server.connect("a", "/ws", Some("tok-alice-a")).await;
    for topic in ["t1", "t2"] {
        send(&mut client, "subscribe", json!({ "topic": topic })).await;
        assert_eq!(recv(&mut client).await.kind, "subscribed");
    }
    send(&mut client, "subscribe", json!({ "topic": "t3" })).await;
    assert_eq!(recv(&mut client).await.data["code"], "too_many_topics");
    send(&mut client, "subscribe", json!({ "topic": "x".repeat(200) })).await;
    assert_eq!(recv(&mut client).await.data["code"], "invalid_topic");
}
