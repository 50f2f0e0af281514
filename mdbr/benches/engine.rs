//! Registration and observation costs of the runtime on the embedded engine:
//! - registration time of one app with five regular indexes and one vector
//!   index (search indexes are submitted, not awaited);
//! - 100 apps registered concurrently;
//! - the observer + metrics layer on a scoped find: the same engine with and
//!   without observers, alternating operation by operation; the median and
//!   the 10%-trimmed mean of each side are compared.
#![allow(
    clippy::print_stdout,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::time::{Duration, Instant};

use mdbr::scope::bson::{Document, doc};
use mdbr::scope::{AppEntry, Scope};
use mdbr::{Manifest, RegisterOptions, RuntimeEngine};
use serde_json::json;

fn app_manifest(slug: &str) -> Manifest {
    let m = json!({
        "slug": slug,
        "name": "Bench",
        "managed_indexes": {
            "items": [
                { "name": "a", "type": "regular", "keys": { "a": 1 } },
                { "name": "b", "type": "regular", "keys": { "b": 1, "c": -1 } },
                { "name": "u", "type": "regular", "keys": { "u": 1 }, "options": { "unique": true } },
                { "name": "t", "type": "ttl", "keys": { "t": 1 }, "options": { "expireAfterSeconds": 3600 } },
                { "name": "p", "type": "partial", "keys": { "p": 1 }, "options": { "partialFilterExpression": { "p": { "$exists": true } } } },
                { "name": "v", "type": "vectorSearch", "definition": { "fields": [
                    { "type": "vector", "path": "e", "numDimensions": 384, "similarity": "cosine" } ] } }
            ]
        }
    });
    Manifest::from_value(m).map(|l| l.manifest).expect("a valid manifest")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn trimmed_mean(mut v: Vec<Duration>) -> Duration {
    v.sort();
    let cut = v.len() / 10;
    let kept = &v[cut..v.len() - cut];
    kept.iter().sum::<Duration>() / kept.len() as u32
}

#[tokio::main]
async fn main() {
    let engine = RuntimeEngine::builder().memory().db_name("bench").build().await.expect("engine");

    // 1. One app at a time.
    let mut times = Vec::new();
    for i in 0..30 {
        let start = Instant::now();
        let report = engine
            .register_app(app_manifest(&format!("one{i}")), RegisterOptions::default())
            .await
            .unwrap();
        times.push(start.elapsed());
        assert_eq!(report.indexes.created.len(), 5, "{report:?}");
    }
    println!(
        "register one app (5 regular + 1 vector index): median {:?}, max {:?}",
        median(times.clone()),
        times.iter().max().unwrap()
    );

    // 2. 100 apps at once.
    let manifests: Vec<Manifest> = (0..100).map(|i| app_manifest(&format!("many{i}"))).collect();
    let start = Instant::now();
    let results = engine.register_apps(manifests, RegisterOptions::default()).await;
    let total = start.elapsed();
    assert!(results.iter().all(Result::is_ok));
    println!("register 100 apps concurrently: {total:?} in total");

    // 3. Observer + metrics overhead on a scoped find by an indexed field.
    let server_uri = engine.uri().to_owned();
    // The same client set-up as the engine's (app name, pool monitor), so
    // only the observers differ between the two sides.
    let mut options =
        mdbr::scope::mongodb::options::ClientOptions::parse(&server_uri).await.unwrap();
    options.app_name = Some("mdbr".to_owned());
    let pool = mdbr::obs::PoolMonitor::new();
    options.cmap_event_handler = Some(pool.event_handler());
    let client = mdbr::scope::mongodb::Client::with_options(options).unwrap();
    let bare = Scope::new(client.database("bench"));
    bare.register(AppEntry::new("one0".parse().unwrap())).await.unwrap();
    let observed = engine.scoped_db("one0").unwrap().collection::<Document>("items").unwrap();
    let plain = bare.app("one0").unwrap().collection::<Document>("items").unwrap();
    let docs: Vec<Document> =
        (0..1000).map(|i| doc! { "a": i, "b": i % 10, "c": i, "u": i }).collect();
    observed.insert_many(docs).await.unwrap();
    // Alternate operation by operation (observed then plain, then plain then
    // observed, …) so machine noise lands on both sides alike; time each one.
    let ops = 6000;
    let (mut with, mut without) = (Vec::with_capacity(ops), Vec::with_capacity(ops));
    for i in 0..ops + ops / 10 {
        let observed_first = i % 2 == 0;
        for turn in 0..2 {
            let observed_turn = (turn == 0) == observed_first;
            let coll = if observed_turn { &observed } else { &plain };
            let start = Instant::now();
            coll.find_one(doc! { "a": ((i * 7) % 1000) as i32 }).await.unwrap().unwrap();
            let took = start.elapsed();
            // The first tenth warms both sides up.
            if i >= ops / 10 {
                if observed_turn { with.push(took) } else { without.push(took) }
            }
        }
    }
    let (w, wo) = (median(with.clone()), median(without.clone()));
    let (tw, two) = (trimmed_mean(with), trimmed_mean(without));
    println!(
        "scoped find_one by indexed field, with observers (metrics + auto-index) vs without: \
         median {w:?} vs {wo:?} ({:+.2}%), 10%-trimmed mean {tw:?} vs {two:?} ({:+.2}%)",
        (w.as_secs_f64() / wo.as_secs_f64() - 1.0) * 100.0,
        (tw.as_secs_f64() / two.as_secs_f64() - 1.0) * 100.0
    );
    engine.shutdown().await;
}
