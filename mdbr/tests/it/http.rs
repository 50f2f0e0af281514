//! The app router over HTTP: /metrics after operations, /health and /ready
//! following the database.

use std::time::Duration;

use mdbr::RegisterOptions;
use mdbr::lite::LiteServer;
use mdbr::scope::bson::{Document, doc};
use serde_json::json;

use crate::manifest;

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn metrics_expose_scoped_operations() {
    let (_t, engine) = crate::engine().await;
    engine
        .register_app(
            manifest(json!({ "slug": "hello", "name": "Hello" })),
            RegisterOptions::default(),
        )
        .await
        .unwrap();
    let coll = engine.scoped_db("hello").unwrap().collection::<Document>("greetings").unwrap();
    coll.insert_one(doc! { "m": 1 }).await.unwrap();
    coll.insert_one(doc! { "m": 2 }).await.unwrap();
    coll.find_one(doc! {}).await.unwrap();
    coll.find_one(doc! { "$where": "true" }).await.unwrap_err();
    let base = serve(engine.app_router("hello").unwrap()).await;
    let text = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("mdbr_db_operations_total") && l.contains("operation=\"insert_one\"")
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("app=\"hello\"")
            && line.contains("collection=\"greetings\"")
            && line.ends_with(" 2"),
        "{line}"
    );
    // Each outcome is its own series.
    let find = |outcome: &str| {
        text.lines()
            .find(|l| {
                l.starts_with("mdbr_db_operations_total")
                    && l.contains("operation=\"find_one\"")
                    && l.contains(&format!("outcome=\"{outcome}\""))
            })
            .unwrap_or_else(|| panic!("no find_one {outcome} line in {text}"))
            .to_owned()
    };
    assert!(find("success").ends_with(" 1"), "{text}");
    assert!(find("failure").ends_with(" 1"), "{text}");
    assert!(text.contains("mdbr_db_operation_duration_seconds_bucket"), "{text}");
    assert!(text.contains("mdbr_app_registrations_total"), "{text}");
}

#[tokio::test]
async fn health_and_ready_follow_the_database() {
    // A database of the test's own, so it can be taken away.
    let server = LiteServer::builder().bind("127.0.0.1:0").memory().start().await.unwrap();
    let engine = mdbr::RuntimeEngine::builder()
        .mongo_uri(server.uri())
        .db_name("h")
        .server_selection_timeout(Duration::from_millis(300))
        .build()
        .await
        .unwrap();
    engine
        .register_app(
            manifest(json!({ "slug": "hello", "name": "Hello" })),
            RegisterOptions::default(),
        )
        .await
        .unwrap();
    let base = serve(engine.app_router("hello").unwrap()).await;
    let health = reqwest::get(format!("{base}/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["status"], "healthy", "{body}");
    let names: Vec<&str> =
        body["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["engine", "mongodb", "pool", "indexes"]);
    assert!(body["checks"][1]["details"]["latency_ms"].is_number());
    assert_eq!(reqwest::get(format!("{base}/ready")).await.unwrap().status(), 200);

    server.shutdown().await;
    let health = reqwest::get(format!("{base}/health")).await.unwrap();
    assert_eq!(health.status(), 503);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["status"], "unhealthy", "{body}");
    assert_eq!(body["checks"][1]["status"], "unhealthy", "{body}");
    assert_eq!(reqwest::get(format!("{base}/ready")).await.unwrap().status(), 503);
}
