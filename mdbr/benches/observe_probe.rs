//! A scoped find through the engine, repeated, for `perf record` or
//! `valgrind --tool=callgrind`: `observe_probe [n] [observed|bare]`.
//!
//! `observed` (the default) runs it through the engine, with the metrics and
//! auto-index observers attached; `bare` runs the same find on the same
//! server through a plain `Scope` with no observers and the engine's client
//! set-up. The difference in instructions per find between the two is the
//! observers' cost, stable where wall-clock ratios are not.
#![allow(clippy::print_stdout, missing_docs, clippy::unwrap_used, clippy::expect_used)]

use mdbr::scope::bson::{Document, doc};
use mdbr::scope::{AppEntry, Scope};
use mdbr::{Manifest, RegisterOptions, RuntimeEngine};
use serde_json::json;

#[tokio::main]
async fn main() {
    let n: i32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5000);
    let bare = std::env::args().nth(2).is_some_and(|m| m == "bare");
    let engine = RuntimeEngine::builder().memory().db_name("probe").build().await.unwrap();
    let manifest = Manifest::from_value(json!({
        "slug": "one",
        "name": "Probe",
        "managed_indexes": { "items": [{ "name": "a", "type": "regular", "keys": { "a": 1 } }] }
    }))
    .unwrap()
    .manifest;
    engine.register_app(manifest, RegisterOptions::default()).await.unwrap();
    let items = if bare {
        let mut options =
            mdbr::scope::mongodb::options::ClientOptions::parse(engine.uri()).await.unwrap();
        options.app_name = Some("mdbr".to_owned());
        let pool = mdbr::obs::PoolMonitor::new();
        options.cmap_event_handler = Some(pool.event_handler());
        let client = mdbr::scope::mongodb::Client::with_options(options).unwrap();
        let scope = Scope::new(client.database("probe"));
        scope.register(AppEntry::new("one".parse().unwrap())).await.unwrap();
        scope.app("one").unwrap().collection::<Document>("items").unwrap()
    } else {
        engine.scoped_db("one").unwrap().collection::<Document>("items").unwrap()
    };
    let docs: Vec<Document> = (0..1000).map(|i| doc! { "a": i, "b": i % 10 }).collect();
    items.insert_many(docs).await.unwrap();
    for i in 0..n {
        items.find_one(doc! { "a": (i * 7) % 1000 }).await.unwrap().unwrap();
    }
    engine.shutdown().await;
}
