//! Authentication before the upgrade is accepted.

use std::sync::Arc;

use mdbr_core::WebSocketEndpoint;
use mdbr_ws::{Error, WsConfig, WsHub, WsMessage};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::http::{StatusCode, header};

use crate::support::{Server, TestAuth, connect_with_header, recv, refusal, send, slug};

/// An echo handler that answers with the caller's subject.
fn whoami(server: &Server) {
    for app in [&server.a, &server.b] {
        server
            .hub
            .on(app, "whoami", |ctx, _data| async move {
                let subject = ctx.identity().map(|i| i.subject.clone());
                ctx.reply(&WsMessage::new("whoami", json!({ "subject": subject })))?;
                Ok(())
            })
            .unwrap();
    }
}

#[tokio::test]
async fn unauthenticated_upgrade_is_refused_before_accept() {
    let server = Server::start(WsConfig::default()).await;
    let result = tokio_tungstenite::connect_async(server.url("a", "/ws", None)).await;
    let (status, body) = refusal(result);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthenticated");
    assert!(body["reason"].is_string());

    // The same over a raw socket: the answer is a 401, never a 101.
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let request = "GET /apps/a/ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n\
                   Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = vec![0; 512];
    let n = tcp.read(&mut head).await.unwrap();
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(!head.contains("101"));

    let stats = server.hub.stats().app(&server.a);
    assert_eq!((stats.refused_upgrades, stats.accepted, stats.connections), (2, 0, 0));
}

#[tokio::test]
async fn invalid_credential_is_refused() {
    let server = Server::start(WsConfig::default()).await;
    let result = tokio_tungstenite::connect_async(server.url("a", "/ws", Some("forged"))).await;
    assert_eq!(refusal(result).0, StatusCode::UNAUTHORIZED);
    // Even where anonymous access is allowed, a bad credential is not anonymous.
    let result = tokio_tungstenite::connect_async(server.url("a", "/open", Some("forged"))).await;
    assert_eq!(refusal(result).0, StatusCode::UNAUTHORIZED);
    assert_eq!(server.hub.stats().app(&server.a).refused_upgrades, 2);
}

#[tokio::test]
async fn token_of_app_a_is_refused_on_app_b() {
    // Refused by the authenticator itself...
    let server = Server::start(WsConfig::default()).await;
    let result =
        tokio_tungstenite::connect_async(server.url("b", "/ws", Some("tok-alice-a"))).await;
    assert_eq!(refusal(result).0, StatusCode::UNAUTHORIZED);
    // ...and by the hub when an authenticator lets it through.
    let lenient = Server::start_with(WsConfig::default(), true).await;
    for path in ["/ws", "/open", "/guest"] {
        let result =
            tokio_tungstenite::connect_async(lenient.url("b", path, Some("tok-alice-a"))).await;
        let (status, body) = refusal(result);
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["reason"], "credential issued for another app");
    }
    assert_eq!(lenient.hub.stats().app(&lenient.b).accepted, 0);
    // The token works on its own app.
    let _alice = lenient.connect("a", "/ws", Some("tok-alice-a")).await;
    assert_eq!(lenient.hub.connections(&lenient.a), 1);
}

#[tokio::test]
async fn query_bearer_and_cookie_credentials_identify_the_user() {
    let server = Server::start(WsConfig::default()).await;
    whoami(&server);
    let url = server.url("a", "/ws", None);
    let mut by_query = server.connect("a", "/ws", Some("tok-alice-a")).await;
    let mut by_bearer =
        connect_with_header(&url, header::AUTHORIZATION, "Bearer tok-bob-a").await.unwrap();
    let mut by_cookie =
        connect_with_header(&url, header::COOKIE, "theme=dark; session=tok-carol-a").await.unwrap();
    for (client, subject) in
        [(&mut by_query, "alice"), (&mut by_bearer, "bob"), (&mut by_cookie, "carol")]
    {
        send(client, "whoami", json!(null)).await;
        let reply = recv(client).await;
        assert_eq!(reply.kind, "whoami");
        assert_eq!(reply.data["subject"], subject);
        assert_eq!(reply.app, "a");
    }
}

#[tokio::test]
async fn guests_are_admitted_only_where_the_endpoint_allows() {
    let server = Server::start(WsConfig::default()).await;
    whoami(&server);
    // `/ws` requires a signed-in user: a guest is forbidden.
    let result =
        tokio_tungstenite::connect_async(server.url("a", "/ws", Some("tok-guest-a"))).await;
    let (status, body) = refusal(result);
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "forbidden");
    // `/guest` allows anonymous sessions, but still needs one.
    let mut guest = server.connect("a", "/guest", Some("tok-guest-a")).await;
    send(&mut guest, "whoami", json!(null)).await;
    assert_eq!(recv(&mut guest).await.data["subject"], "guest-1");
    let result = tokio_tungstenite::connect_async(server.url("a", "/guest", None)).await;
    assert_eq!(refusal(result).0, StatusCode::UNAUTHORIZED);
    // `/open` (`required: false`) admits guests and callers with no credential.
    let _guest_on_open = server.connect("a", "/open", Some("tok-guest-a")).await;
    let mut nobody = server.connect("a", "/open", None).await;
    send(&mut nobody, "whoami", json!(null)).await;
    assert_eq!(recv(&mut nobody).await.data["subject"], json!(null));
    assert_eq!(server.hub.connections(&server.a), 3);
}

#[tokio::test]
async fn two_apps_may_declare_the_same_path() {
    let server = Server::start(WsConfig::default()).await;
    let _on_a = server.connect("a", "/ws", Some("tok-alice-a")).await;
    let _on_b = server.connect("b", "/ws", Some("tok-alice-b")).await;
    assert_eq!(server.hub.connections(&server.a), 1);
    assert_eq!(server.hub.connections(&server.b), 1);
}

#[test]
fn routers_and_handlers_refuse_bad_declarations() {
    let hub = WsHub::default();
    let a = slug("a");
    let auth = || Arc::new(TestAuth::new("a"));
    let twice = [WebSocketEndpoint::new("/ws"), WebSocketEndpoint::new("/ws")];
    assert!(matches!(hub.app_router(&a, &twice, auth()), Err(Error::InvalidEndpoint { .. })));
    for path in ["ws", "/ws/{id}", "/:id", "/a//b", "/*rest", ""] {
        let endpoint = [WebSocketEndpoint::new(path)];
        let result = hub.app_router(&a, &endpoint, auth());
        assert!(matches!(result, Err(Error::InvalidEndpoint { .. })), "{path}");
    }
    let result = hub.app_router(&slug("b"), &[WebSocketEndpoint::new("/ws")], auth());
    assert!(matches!(result, Err(Error::AuthenticatorMismatch { .. })));
    assert!(hub.app_router(&a, &[WebSocketEndpoint::new("/ws")], auth()).is_ok());

    let noop = |_ctx, _data| async { Ok(()) };
    assert!(matches!(hub.on(&a, "subscribe", noop), Err(Error::ReservedType(_))));
    assert!(matches!(hub.on(&a, "", noop), Err(Error::InvalidType)));
    assert!(hub.on(&a, "chat", noop).is_ok());
}
