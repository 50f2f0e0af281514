//! A scoped find through the engine (metrics and auto-index observers
//! attached), repeated, for `perf record`: the share of samples in observer
//! code is the observers' cost, stable where wall-clock ratios are not.
//! `observe_probe [n]`.
#![allow(clippy::print_stdout, missing_docs, clippy::unwrap_used, clippy::expect_used)]

use mdbr::scope::bson::{Document, doc};
use mdbr::{Manifest, RegisterOptions, RuntimeEngine};
use serde_json::json;

#[tokio::main]
async fn main() {
    let n: i32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5000);
    let engine = RuntimeEngine::builder().memory().db_name("probe").build().await.unwrap();
    let manifest = Manifest::from_value(json!({
        "slug": "one",
        "name": "Probe",
        "managed_indexes": { "items": [{ "name": "a", "type": "regular", "keys": { "a": 1 } }] }
    }))
    .unwrap()
    .manifest;
    engine.register_app(manifest, RegisterOptions::default()).await.unwrap();
    let items = engine.scoped_db("one").unwrap().collection::<Document>("items").unwrap();
    let docs: Vec<Document> = (0..1000).map(|i| doc! { "a": i, "b": i % 10 }).collect();
    items.insert_many(docs).await.unwrap();
    for i in 0..n {
        items.find_one(doc! { "a": (i * 7) % 1000 }).await.unwrap().unwrap();
    }
    engine.shutdown().await;
}
