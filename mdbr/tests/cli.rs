//! The `mdbr` command over a real process.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use mdbr::RegisterOptions;
use mdbr::lite::LiteServer;
use mdbr::scope::bson::{Document, doc};

fn mdbr() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mdbr"))
}

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/manifests")
}

#[test]
fn validate_reports_every_error_and_sets_the_exit_code() {
    let seed = fixtures().join("seed/task_manager.json");
    assert!(seed.exists(), "fixtures not found at {}", seed.display());
    let ok = mdbr()
        .arg("validate")
        .arg(&seed)
        .arg(fixtures().join("original/hello_world.json"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{out}");
    assert!(out.contains("warning") && out.contains("auth_required"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"slug": "Bad Slug", "name": "x", "websockets": {"w": {"path": "ws", "ping_interval": 1}}}"#)
        .unwrap();
    let run = mdbr().arg("validate").arg(&bad).output().unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{out}");
    for pointer in ["/slug", "/websockets/w/path", "/websockets/w/ping_interval"] {
        assert!(out.contains(pointer), "{pointer} missing in {out}");
    }
}

#[tokio::test]
async fn index_suggest_prints_observed_shapes_as_manifest_entries() {
    let server = LiteServer::builder().bind("127.0.0.1:0").memory().start().await.unwrap();
    let engine = mdbr::RuntimeEngine::builder()
        .mongo_uri(server.uri())
        .db_name("cli")
        .build()
        .await
        .unwrap();
    let manifest = mdbr::Manifest::from_json_str(
        r#"{"slug": "shop", "name": "Shop", "auto_indexes": {"enabled": false}}"#,
    )
    .unwrap()
    .manifest;
    engine.register_app(manifest, RegisterOptions::default()).await.unwrap();
    let orders = engine.scoped_db("shop").unwrap().collection::<Document>("orders").unwrap();
    for _ in 0..2 {
        orders.find_one(doc! { "customer": "acme", "total": { "$gte": 10 } }).await.unwrap();
    }
    engine.flush_query_shapes().await.unwrap();
    // `auto_indexes.enabled: false`: shapes are counted, nothing is built.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // (Building an index would have created the collection.)
    assert!(engine.scoped_db("shop").unwrap().list_collection_names().await.unwrap().is_empty());
    let uri = server.uri();
    let out = tokio::task::spawn_blocking(move || {
        mdbr().args(["index", "suggest", "shop", "--uri", &uri, "--db", "cli"]).output().unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entry = &json["managed_indexes"]["orders"][0];
    assert_eq!(entry["name"], "auto_customer_1_total_1", "{json}");
    assert_eq!(entry["keys"], serde_json::json!({ "customer": 1, "total": 1 }));
    assert_eq!(entry["_observed_uses"], 2);
}

#[tokio::test]
async fn health_exit_code_follows_the_database() {
    let server = LiteServer::builder().bind("127.0.0.1:0").memory().start().await.unwrap();
    let uri = server.uri();
    let out = tokio::task::spawn_blocking(move || {
        mdbr().args(["health", "--uri", &uri]).output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead =
        format!("mongodb://127.0.0.1:{port}/?directConnection=true&serverSelectionTimeoutMS=500");
    let out = tokio::task::spawn_blocking(move || {
        mdbr().args(["health", "--uri", &dead]).output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("unhealthy"));
}
