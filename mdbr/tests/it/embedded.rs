//! With no URI, the engine starts the embedded engine on a data directory,
//! and a restarted engine finds its apps there.

use mdbr::RegisterOptions;
use mdbr::scope::bson::{Document, doc};
use serde_json::json;

use crate::manifest;

#[tokio::test]
async fn embedded_engine_persists_apps_and_data_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let engine = mdbr::RuntimeEngine::builder()
        .data_dir(dir.path())
        .db_name("garden")
        .build()
        .await
        .unwrap();
    assert!(engine.uri().starts_with("mongodb://127.0.0.1:"), "{}", engine.uri());
    engine
        .register_app(
            manifest(json!({ "slug": "hello", "name": "Hello" })),
            RegisterOptions::default(),
        )
        .await
        .unwrap();
    engine
        .scoped_db("hello")
        .unwrap()
        .collection::<Document>("greetings")
        .unwrap()
        .insert_one(doc! { "m": "hi" })
        .await
        .unwrap();
    engine.shutdown().await;

    let again = mdbr::RuntimeEngine::builder()
        .data_dir(dir.path())
        .db_name("garden")
        .build()
        .await
        .unwrap();
    assert_eq!(again.apps().len(), 1);
    let found = again
        .scoped_db("hello")
        .unwrap()
        .collection::<Document>("greetings")
        .unwrap()
        .find_one(doc! {})
        .await
        .unwrap();
    assert_eq!(found.unwrap().get_str("m").ok(), Some("hi"));
    again.shutdown().await;
}
