//! Routing inbound messages to handlers by type, and containing their failures.

use futures_util::SinkExt;
use mdbr_ws::{WsConfig, WsMessage};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::{Server, next_after_marker, recv, recv_close, send};

fn register(server: &Server) {
    let a = &server.a;
    server
        .hub
        .on(a, "echo", |ctx, data| async move {
            let subject = ctx.identity().map(|i| i.subject.clone());
            let conn = ctx.connection_id().get();
            ctx.reply(&WsMessage::new(
                "echo",
                json!({ "data": data, "subject": subject, "conn": conn }),
            ))?;
            Ok(())
        })
        .unwrap();
    server
        .hub
        .on(a, "shout", |ctx, data| async move {
            let n = ctx.hub().broadcast_to_app(ctx.app(), &WsMessage::new("shouted", data));
            ctx.reply(&WsMessage::new("shout_sent", json!(n)))?;
            Ok(())
        })
        .unwrap();
    server
        .hub
        .on(a, "fail", |_ctx, _data| async move { Err("the database is on fire".into()) })
        .unwrap();
    server
        .hub
        .on(a, "boom", |_ctx, _data| async move {
            tokio::task::yield_now().await;
            panic!("handler bug");
        })
        .unwrap();
}

#[tokio::test]
async fn messages_are_routed_by_type_and_answered() {
    let server = Server::start(WsConfig::default()).await;
    register(&server);
    let mut client = server.connect("a", "/ws", Some("tok-alice-a")).await;
    let mut peer = server.connect("a", "/ws", Some("tok-bob-a")).await;

    send(&mut client, "echo", json!({ "x": [1, 2] })).await;
    let reply = recv(&mut client).await;
    assert_eq!(reply.kind, "echo");
    assert_eq!(reply.app, "a");
    assert_eq!(reply.data["data"], json!({ "x": [1, 2] }));
    assert_eq!(reply.data["subject"], "alice");
    // The reply went to the sender only.
    assert_eq!(next_after_marker(&server, &server.a, &mut peer).await.kind, "marker");
    assert_eq!(recv(&mut client).await.kind, "marker");

    // A handler can use the hub.
    send(&mut client, "shout", json!("hello")).await;
    assert_eq!(recv(&mut peer).await.kind, "shouted");
    let mut kinds = vec![recv(&mut client).await.kind, recv(&mut client).await.kind];
    kinds.sort();
    assert_eq!(kinds, ["shout_sent", "shouted"]);

    send(&mut client, "nobody_handles_this", json!(1)).await;
    let err = recv(&mut client).await;
    assert_eq!(err.kind, "error");
    assert_eq!(err.data["code"], "unknown_type");
    assert_eq!(err.data["type"], "nobody_handles_this");

    for junk in ["not json", "{\"data\": 1}", "[1,2]"] {
        client.send(Message::text(junk)).await.unwrap();
        assert_eq!(recv(&mut client).await.data["code"], "bad_request", "{junk}");
    }
    client.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(recv(&mut client).await.data["code"], "unsupported");

    // Handlers of app `a` are not reachable from app `b`.
    let mut on_b = server.connect("b", "/ws", Some("tok-alice-b")).await;
    send(&mut on_b, "echo", json!(1)).await;
    assert_eq!(recv(&mut on_b).await.data["code"], "unknown_type");

    // Still open after all that.
    send(&mut client, "echo", json!(2)).await;
    assert_eq!(recv(&mut client).await.data["data"], 2);
}

#[tokio::test]
async fn failing_handler_gets_an_error_envelope_and_the_connection_stays() {
    let server = Server::start(WsConfig::default()).await;
    register(&server);
    let mut client = server.connect("a", "/ws", Some("tok-alice-a")).await;
    send(&mut client, "fail", json!(null)).await;
    let err = recv(&mut client).await;
    assert_eq!((err.kind.as_str(), &err.data["code"]), ("error", &json!("handler_failed")));
    // The error's text stays in the server's log.
    assert!(!serde_json::to_string(&err).unwrap().contains("fire"));
    send(&mut client, "echo", json!("still here")).await;
    assert_eq!(recv(&mut client).await.data["data"], "still here");
    assert_eq!(server.hub.stats().app(&server.a).handler_errors, 1);
}

#[tokio::test]
async fn panicking_handler_closes_only_its_own_connection() {
    let server = Server::start(WsConfig::default()).await;
    register(&server);
    let mut victim = server.connect("a", "/ws", Some("tok-alice-a")).await;
    let mut bystander = server.connect("a", "/ws", Some("tok-bob-a")).await;

    send(&mut victim, "boom", json!(null)).await;
    let err = recv(&mut victim).await;
    assert_eq!((err.kind.as_str(), &err.data["code"]), ("error", &json!("internal")));
    let close = recv_close(&mut victim).await.expect("a close frame");
    assert_eq!(close.code, CloseCode::Error);
    server.wait_for(|hub| hub.connections(&server.a) == 1).await;

    // The other connection, the hub and new connections are unaffected.
    send(&mut bystander, "echo", json!("ok")).await;
    assert_eq!(recv(&mut bystander).await.data["data"], "ok");
    assert_eq!(server.hub.broadcast_to_app(&server.a, &WsMessage::new("after", json!(1))), 1);
    assert_eq!(recv(&mut bystander).await.kind, "after");
    let mut fresh = server.connect("a", "/ws", Some("tok-alice-a")).await;
    send(&mut fresh, "echo", json!("new")).await;
    assert_eq!(recv(&mut fresh).await.data["data"], "new");
    assert_eq!(server.hub.stats().app(&server.a).handler_panics, 1);
}
