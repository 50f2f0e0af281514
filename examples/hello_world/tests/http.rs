//! hello_world over real HTTP and websockets, on the embedded engine in memory.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use futures_util::StreamExt;
use mdbr::RuntimeEngine;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

async fn serve() -> (RuntimeEngine, String) {
    let engine = RuntimeEngine::builder().memory().dev_mode(true).build().await.unwrap();
    let router = hello_world::router(&engine).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .await
            .unwrap()
    });
    (engine, format!("http://{addr}"))
}

/// Signs in as the manifest's demo user; returns a bearer token.
async fn sign_in(http: &reqwest::Client, base: &str) -> String {
    let (email, password) = hello_world::DEMO_USER;
    let r = http
        .post(format!("{base}/auth/login"))
        .json(&json!({ "email": email, "password": password, "session": "bearer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn greetings_api_page_and_runtime_endpoints() {
    let (_engine, base) = serve().await;
    let http = reqwest::Client::new();
    let list: Vec<Value> =
        http.get(format!("{base}/api/greetings")).send().await.unwrap().json().await.unwrap();
    assert!(list.is_empty());

    // Posting needs a signed-in user.
    let anonymous = http
        .post(format!("{base}/api/greetings"))
        .json(&json!({ "message": "Hello, World!" }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let token = sign_in(&http, &base).await;
    let post =
        |body: Value| http.post(format!("{base}/api/greetings")).bearer_auth(&token).json(&body);

    let created =
        post(json!({ "message": "Hello, World!", "language": "en" })).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["message"], "Hello, World!");
    assert_eq!(created["language"], "en");
    assert_eq!(created["author"], hello_world::DEMO_USER.0);
    assert_eq!(created["_id"].as_str().unwrap().len(), 24);
    assert!(created["created_at"].as_str().unwrap().contains('T'));
    let second = post(json!({ "message": "<b>Hallo</b>" })).send().await.unwrap();
    assert_eq!(second.status(), 201);
    assert_eq!(second.json::<Value>().await.unwrap()["language"], Value::Null);

    let list: Vec<Value> =
        http.get(format!("{base}/api/greetings")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["message"], "<b>Hallo</b>", "newest first: {list:?}");

    for bad in [
        json!({ "message": "" }),
        json!({ "message": "x".repeat(501) }),
        json!({ "language": "en" }),
        json!({ "message": "a", "language": "<script>" }),
    ] {
        let r = post(bad.clone()).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    }

    let page = http.get(&base).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Hello, World!")
            && page.contains("&lt;b&gt;Hallo&lt;/b&gt;")
            && !page.contains("<b>Hallo")
            && page.contains("new WebSocket"),
        "{page}"
    );

    assert_eq!(http.get(format!("{base}/health")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{base}/ready")).send().await.unwrap().status(), 200);
    let metrics = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("app=\"hello_world\""), "{metrics}");
    assert!(metrics.contains("mdbr_app_operations_total"), "{metrics}");
}

#[tokio::test]
async fn a_signed_in_greeting_arrives_live_on_the_websocket() {
    let (_engine, base) = serve().await;
    let http = reqwest::Client::new();
    // A guest watches the live feed (the manifest admits guests on /ws).
    let ws_url = format!("{}/ws", base.replacen("http", "ws", 1));
    let (mut watcher, response) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    assert_eq!(response.status(), 101);
    let token = sign_in(&http, &base).await;
    let me: Value = http
        .get(format!("{base}/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], hello_world::DEMO_USER.0, "{me}");
    let created = http
        .post(format!("{base}/api/greetings"))
        .bearer_auth(&token)
        .json(&json!({ "message": "live hello" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let envelope = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match watcher.next().await.unwrap().unwrap() {
                Message::Text(text) => break serde_json::from_str::<Value>(&text).unwrap(),
                _ => continue,
            }
        }
    })
    .await
    .expect("the greeting arrives on the websocket");
    assert_eq!(envelope["type"], "greeting", "{envelope}");
    assert_eq!(envelope["app"], hello_world::SLUG);
    assert_eq!(envelope["data"]["message"], "live hello");
    assert_eq!(envelope["data"]["author"], hello_world::DEMO_USER.0);
    assert!(envelope["ts"].is_number() || envelope["ts"].is_string(), "{envelope}");
    // Signing out ends the session: the token no longer posts.
    let out = http.post(format!("{base}/auth/logout")).bearer_auth(&token).send().await.unwrap();
    assert!(out.status().is_success(), "{}", out.status());
    let after = http
        .post(format!("{base}/api/greetings"))
        .bearer_auth(&token)
        .json(&json!({ "message": "after logout" }))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
}

#[test]
fn the_manifest_is_valid_and_declares_the_greetings_indexes() {
    let loaded = mdbr::Manifest::from_json_str(hello_world::MANIFEST).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let names: Vec<&str> = loaded.manifest.indexes().map(|(_, i)| i.name.as_str()).collect();
    assert_eq!(names, vec!["created_idx", "language_created_idx"]);
    assert!(loaded.manifest.sub_auth.enabled);
    assert_eq!(loaded.manifest.websockets["live"].path, "/ws");
}
