//! Throughput of common operations through the official driver against an in-process server:
//! insert_many of 20k small documents, indexed find (limit 5), an unindexed scan of 20k
//! documents, and update_many of 20k. Run with `cargo bench -p mdbr-lite`.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::disallowed_methods,
    reason = "a benchmark report"
)]

use std::time::{Duration, Instant};

use mongodb::IndexModel;
use mongodb::bson::{Document, doc};

fn report(name: &str, ops: usize, took: Duration) {
    let per = took.as_secs_f64() / ops as f64;
    println!(
        "{name:<32} {ops:>7} ops in {:>8.1} ms  ({:>10.0} ops/s, {:>8.3} ms/op)",
        took.as_secs_f64() * 1e3,
        1.0 / per,
        per * 1e3
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` run a quick smoke version.
    let full = std::env::args().any(|a| a == "--bench");
    if std::env::var("MDBR_BENCH_TRACE").is_ok() {
        tracing_subscriber::fmt()
            .with_env_filter("mdbr_lite=trace")
            .with_writer(std::io::stderr)
            .init();
    }
    let n: i32 = if full { 20_000 } else { 200 };
    let find_rounds = if full { 2000 } else { 20 };
    let uri = match std::env::var("MDBR_BENCH_URI") {
        Ok(u) => u,
        Err(_) => {
            let server = mdbr_lite::LiteServer::builder().memory().start().await.unwrap();
            let uri = server.uri();
            std::mem::forget(server);
            uri
        }
    };
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let db = client.database("bench");
    db.drop().await.unwrap();
    let c = db.collection::<Document>("docs");
    let docs: Vec<Document> = (0..n)
        .map(|i| doc! { "i": i, "k": i % 100, "name": format!("user{i}"), "active": i % 2 == 0 })
        .collect();

    // The copy handed to the driver is made before the clock starts: the
    // figure is the insert, not the bench's own cloning.
    let batch = docs.clone();
    let t = Instant::now();
    c.insert_many(batch).await.unwrap();
    report("insert_many", n as usize, t.elapsed());
    if std::env::var("MDBR_BENCH_ONLY_INSERT").is_ok() {
        for round in 0..10 {
            let c = db.collection::<Document>(&format!("ins{round}"));
            let batch = docs.clone();
            let t = Instant::now();
            c.insert_many(batch).await.unwrap();
            report("insert_many (again)", n as usize, t.elapsed());
        }
        return;
    }

    c.create_index(IndexModel::builder().keys(doc! { "k": 1 }).build()).await.unwrap();
    let rounds = find_rounds;
    let t = Instant::now();
    for r in 0..rounds {
        let found: Vec<Document> = {
            use futures_util::TryStreamExt;
            c.find(doc! { "k": r % 100 }).limit(5).await.unwrap().try_collect().await.unwrap()
        };
        assert_eq!(found.len(), if full { 5 } else { 2 });
    }
    report("indexed find (limit 5)", rounds as usize, t.elapsed());

    let rounds = 20;
    let t = Instant::now();
    for _ in 0..rounds {
        let n = c.count_documents(doc! { "name": "nobody" }).await.unwrap();
        assert_eq!(n, 0);
    }
    report("unindexed scan (count)", rounds, t.elapsed());

    let t = Instant::now();
    let r = c.update_many(doc! {}, doc! { "$inc": { "i": 1 } }).await.unwrap();
    assert_eq!(r.modified_count, n as u64);
    report("update_many", n as usize, t.elapsed());
}
