//! hello_world over real HTTP, on the embedded engine in memory.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mdbr::RuntimeEngine;
use serde_json::{Value, json};

async fn serve() -> (RuntimeEngine, String) {
    let engine = RuntimeEngine::builder().memory().build().await.unwrap();
    let router = hello_world::router(&engine).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (engine, format!("http://{addr}"))
}

#[tokio::test]
async fn greetings_api_page_and_runtime_endpoints() {
    let (_engine, base) = serve().await;
    let http = reqwest::Client::new();
    let list: Vec<Value> =
        http.get(format!("{base}/api/greetings")).send().await.unwrap().json().await.unwrap();
    assert!(list.is_empty());

    let created = http
        .post(format!("{base}/api/greetings"))
        .json(&json!({ "message": "Hello, World!", "language": "en" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["message"], "Hello, World!");
    assert_eq!(created["language"], "en");
    assert_eq!(created["_id"].as_str().unwrap().len(), 24);
    assert!(created["created_at"].as_str().unwrap().contains('T'));
    let second = http
        .post(format!("{base}/api/greetings"))
        .json(&json!({ "message": "<b>Hallo</b>" }))
        .send()
        .await
        .unwrap();
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
        let r = http.post(format!("{base}/api/greetings")).json(&bad).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    }

    let page = http.get(&base).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Hello, World!")
            && page.contains("&lt;b&gt;Hallo&lt;/b&gt;")
            && !page.contains("<b>Hallo"),
        "{page}"
    );
    let form = http
        .post(&base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("message=from+the+form&language=fr")
        .send()
        .await
        .unwrap();
    assert!(form.status().is_success() || form.status().is_redirection());
    assert!(http.get(&base).send().await.unwrap().text().await.unwrap().contains("from the form"));

    assert_eq!(http.get(format!("{base}/health")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{base}/ready")).send().await.unwrap().status(), 200);
    let metrics = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("app=\"hello_world\""), "{metrics}");
    assert!(metrics.contains("mdbr_app_operations_total"), "{metrics}");
}

#[test]
fn the_manifest_is_valid_and_declares_the_greetings_indexes() {
    let loaded = mdbr::Manifest::from_json_str(hello_world::MANIFEST).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let names: Vec<&str> = loaded.manifest.indexes().map(|(_, i)| i.name.as_str()).collect();
    assert_eq!(names, vec!["created_idx", "language_created_idx"]);
}
