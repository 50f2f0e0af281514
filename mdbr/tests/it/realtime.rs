//! Auth and websockets wired by the engine: each app's sessions, platform
//! tokens and websocket endpoints stay with that app.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use mdbr::auth::{AuthConfig, PasswordParams, PlatformJwt};
use mdbr::scope::bson::{Document, doc};
use mdbr::ws::WsMessage;
use mdbr::{AppSlug, RegisterOptions, RuntimeEngine};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{self, Message};

use crate::{builder, manifest};

fn auth_config() -> AuthConfig {
    AuthConfig::new(PlatformJwt::hs256([7u8; 32]).unwrap(), [9u8; 32])
        .unwrap()
        .with_password_params(PasswordParams::insecure_for_tests())
        .with_dev_mode(true)
}

fn app_manifest(slug: &str) -> mdbr::Manifest {
    manifest(json!({
        "slug": slug,
        "name": slug,
        "sub_auth": { "enabled": true, "allow_registration": true },
        "websockets": { "live": { "path": "/ws" } }
    }))
}

async fn serve(engine: &RuntimeEngine, slug: &str) -> String {
    let router = engine.app_router(slug).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap()
    });
    format!("127.0.0.1:{}", addr.port())
}

async fn register(http: &reqwest::Client, host: &str, email: &str) -> String {
    let r = http
        .post(format!("http://{host}/auth/register"))
        .json(&json!({ "email": email, "password": "a long enough password", "session": "bearer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

/// The HTTP status of a refused websocket handshake, or 101.
async fn ws_status(url: &str) -> u16 {
    match tokio_tungstenite::connect_async(url).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("unexpected handshake error: {e}"),
    }
}

#[tokio::test]
async fn sessions_tokens_and_sockets_of_one_app_are_refused_by_another() {
    let t = mdbr_test_support::TestDb::fresh().await.unwrap();
    let engine = builder(&t).auth_config(auth_config()).build().await.unwrap();
    for slug in ["alpha", "beta"] {
        engine.register_app(app_manifest(slug), RegisterOptions::default()).await.unwrap();
    }
    let (a, b) = (serve(&engine, "alpha").await, serve(&engine, "beta").await);
    let http = reqwest::Client::new();
    let alpha_token = register(&http, &a, "ann@example.com").await;
    let beta_token = register(&http, &b, "bob@example.com").await;

    // Users live in each app's own scoped collection.
    let users =
        |slug: &str| engine.scoped_db(slug).unwrap().collection::<Document>("users").unwrap();
    assert_eq!(users("alpha").count_documents(doc! {}).await.unwrap(), 1);
    assert_eq!(users("beta").count_documents(doc! {}).await.unwrap(), 1);
    assert!(users("beta").find_one(doc! { "email": "ann@example.com" }).await.unwrap().is_none());

    // HTTP: a session of alpha means nothing to beta.
    let me = |host: &str, token: &str| {
        http.get(format!("http://{host}/auth/me")).bearer_auth(token).send()
    };
    assert_eq!(me(&a, &alpha_token).await.unwrap().status(), 200);
    assert_eq!(me(&b, &alpha_token).await.unwrap().status(), 401);

    // Websockets: refused before the upgrade without a credential or with
    // another app's; accepted with the app's own.
    assert_eq!(ws_status(&format!("ws://{a}/ws")).await, 401);
    assert_eq!(ws_status(&format!("ws://{b}/ws?token={alpha_token}")).await, 401);
    let (mut alpha_ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{a}/ws?token={alpha_token}")).await.unwrap();
    let (mut beta_ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{b}/ws?token={beta_token}")).await.unwrap();

    // Platform tokens name the apps they are for.
    let jwt = PlatformJwt::hs256([7u8; 32]).unwrap();
    let claims = jwt.claims("ops-1", Duration::from_secs(60)).with_apps(["alpha"]);
    let platform = jwt.issue(&claims).unwrap();
    assert_eq!(me(&a, &platform).await.unwrap().status(), 200);
    assert_eq!(me(&b, &platform).await.unwrap().status(), 401);
    assert_eq!(ws_status(&format!("ws://{b}/ws?token={platform}")).await, 401);

    // A broadcast to alpha reaches alpha's socket and not beta's.
    let alpha = AppSlug::parse("alpha").unwrap();
    let sent = engine.ws().broadcast_to_app(&alpha, &WsMessage::new("note", json!({ "n": 1 })));
    assert_eq!(sent, 1);
    let text = |m: Message| match m {
        Message::Text(t) => Some(serde_json::from_str::<Value>(&t).unwrap()),
        _ => None,
    };
    let got = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(v) = text(alpha_ws.next().await.unwrap().unwrap()) {
                break v;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!((got["type"].as_str(), got["app"].as_str()), (Some("note"), Some("alpha")));
    let leaked = tokio::time::timeout(Duration::from_millis(300), async {
        loop {
            if let Some(v) = text(beta_ws.next().await.unwrap().unwrap()) {
                break v;
            }
        }
    })
    .await;
    assert!(leaked.is_err(), "beta received alpha's broadcast: {leaked:?}");
}

#[tokio::test]
async fn an_app_that_needs_auth_is_refused_when_auth_is_not_configured() {
    let t = mdbr_test_support::TestDb::fresh().await.unwrap();
    // Explicitly not dev mode, and no keys given: auth is unavailable unless
    // the environment provides MDBR_JWT_SECRET and MDBR_AUTH_SECRET.
    if std::env::var("MDBR_JWT_SECRET").is_ok() {
        return;
    }
    let engine = builder(&t).dev_mode(false).build().await.unwrap();
    let err = engine.register_app(app_manifest("gamma"), RegisterOptions::default()).await;
    let err = err.unwrap_err();
    assert!(matches!(err, mdbr::Error::AuthUnavailable { .. }), "{err}");
    assert!(err.to_string().contains("MDBR_"), "the error names the variable: {err}");
    // An app that declares no auth is served without it.
    let plain = manifest(json!({ "slug": "plain", "name": "plain" }));
    engine.register_app(plain, RegisterOptions::default()).await.unwrap();
    assert!(engine.app_router("plain").is_ok());
}
