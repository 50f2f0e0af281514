//! Throughput of common operations through the official driver, side by side: the in-process
//! lite server and, when `MDBR_BENCH_URI` names one (e.g. a SecantusDB server), a reference
//! server, alternating workload by workload with the same client code.
//!
//! Workloads: insert_many of 20k small documents (given to the driver as `Document`s, and
//! again pre-encoded as BSON bytes so the figure is the server's and not the client's
//! serialization), indexed find (limit 5), an unindexed scan of 20k documents (a count that
//! matches nothing) and update_many of 20k. Each workload runs `MDBR_BENCH_ROUNDS` times per
//! server (default 3); the report gives each server's median and best round and the ratio of
//! the medians. Run with `cargo bench -p mdbr-lite --bench throughput`.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::disallowed_methods,
    reason = "a benchmark report"
)]

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use mongodb::bson::{Document, RawDocumentBuf, doc};
use mongodb::{Database, IndexModel};

/// One server under test.
struct Target {
    name: String,
    db: Database,
}

/// What one round of a workload did: operations and time.
type Round = (usize, Duration);

fn documents(n: i32) -> Vec<Document> {
    (0..n)
        .map(|i| doc! { "i": i, "k": i % 100, "name": format!("user{i}"), "active": i % 2 == 0 })
        .collect()
}

/// A fresh collection of `n` documents with an index on `k`.
async fn seeded(db: &Database, n: i32) -> mongodb::Collection<Document> {
    let c = db.collection::<Document>("docs");
    c.drop().await.unwrap();
    c.insert_many(documents(n)).await.unwrap();
    c.create_index(IndexModel::builder().keys(doc! { "k": 1 }).build()).await.unwrap();
    c
}

async fn insert_documents(db: &Database, n: i32) -> Round {
    let c = db.collection::<Document>("ins");
    c.drop().await.unwrap();
    // The copy handed to the driver is made before the clock starts.
    let batch = documents(n);
    let t = Instant::now();
    c.insert_many(batch).await.unwrap();
    (n as usize, t.elapsed())
}

async fn insert_encoded(db: &Database, n: i32) -> Round {
    let c = db.collection::<RawDocumentBuf>("ins");
    c.drop().await.unwrap();
    let batch: Vec<RawDocumentBuf> =
        documents(n).iter().map(|d| RawDocumentBuf::try_from(d).unwrap()).collect();
    let t = Instant::now();
    c.insert_many(batch).await.unwrap();
    (n as usize, t.elapsed())
}

async fn indexed_find(c: &mongodb::Collection<Document>, rounds: usize, expect: usize) -> Round {
    let t = Instant::now();
    for r in 0..rounds {
        let found: Vec<Document> = c
            .find(doc! { "k": (r % 100) as i32 })
            .limit(5)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(found.len(), expect);
    }
    (rounds, t.elapsed())
}

async fn scan(c: &mongodb::Collection<Document>, rounds: usize) -> Round {
    let t = Instant::now();
    for _ in 0..rounds {
        assert_eq!(c.count_documents(doc! { "name": "nobody" }).await.unwrap(), 0);
    }
    (rounds, t.elapsed())
}

async fn update_all(c: &mongodb::Collection<Document>, n: i32) -> Round {
    let t = Instant::now();
    let r = c.update_many(doc! {}, doc! { "$inc": { "i": 1 } }).await.unwrap();
    assert_eq!(r.modified_count, n as u64);
    (n as usize, t.elapsed())
}

/// Operations per second of the median and the best round.
fn rates(rounds: &mut [Round]) -> (f64, f64) {
    let rate = |(ops, took): &Round| *ops as f64 / took.as_secs_f64();
    rounds.sort_by(|a, b| rate(a).total_cmp(&rate(b)));
    (rate(&rounds[rounds.len() / 2]), rate(&rounds[rounds.len() - 1]))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` run a quick smoke version.
    let full = std::env::args().any(|a| a == "--bench");
    let n: i32 = if full { 20_000 } else { 200 };
    let find_rounds = if full { 2000 } else { 20 };
    let scan_rounds = if full { 20 } else { 2 };
    let rounds: usize = std::env::var("MDBR_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 3 } else { 1 });

    let server = mdbr_lite::LiteServer::builder().memory().start().await.unwrap();
    let lite = mongodb::Client::with_uri_str(server.uri()).await.unwrap();
    let mut targets = vec![Target { name: "lite".into(), db: lite.database("bench") }];
    if let Ok(uri) = std::env::var("MDBR_BENCH_URI") {
        let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
        let name = std::env::var("MDBR_BENCH_NAME").unwrap_or_else(|_| "reference".into());
        targets.push(Target { name, db: client.database("bench") });
    }
    for t in &targets {
        t.db.drop().await.unwrap();
    }

    let workloads = [
        "insert_many 20k (Document)",
        "insert_many 20k (pre-encoded)",
        "indexed find, limit 5",
        "unindexed scan 20k (count)",
        "update_many 20k",
    ];
    // results[workload][target] = rounds
    let mut results: Vec<Vec<Vec<Round>>> = vec![vec![Vec::new(); targets.len()]; workloads.len()];
    for (w, per_target) in results.iter_mut().enumerate() {
        for _ in 0..rounds {
            for (ti, t) in targets.iter().enumerate() {
                let round = match w {
                    0 => insert_documents(&t.db, n).await,
                    1 => insert_encoded(&t.db, n).await,
                    2 => {
                        let c = seeded(&t.db, n).await;
                        indexed_find(&c, find_rounds, if full { 5 } else { 2 }).await
                    }
                    3 => scan(&seeded(&t.db, n).await, scan_rounds).await,
                    _ => update_all(&seeded(&t.db, n).await, n).await,
                };
                per_target[ti].push(round);
            }
        }
    }

    print!("\n{:<32}", "workload (ops/s, median | best)");
    for t in &targets {
        print!(" {:>24}", t.name);
    }
    if targets.len() > 1 {
        print!(" {:>16}", "ratio of medians");
    }
    println!();
    for (w, name) in workloads.iter().enumerate() {
        print!("{name:<32}");
        let mut medians = Vec::new();
        for rounds in &mut results[w] {
            let (median, best) = rates(rounds);
            medians.push(median);
            print!(" {median:>11.0} | {best:>10.0}");
        }
        if let [lite, reference] = medians[..] {
            print!(" {:>15.1}x", lite / reference);
        }
        println!();
        if w == 2 {
            for (ti, t) in targets.iter().enumerate() {
                let (median, _) = rates(&mut results[w][ti]);
                println!(
                    "{:<32} {}: {:.3} ms per find round trip (median round)",
                    "",
                    t.name,
                    1e3 / median
                );
            }
        }
    }
    server.shutdown().await;
}
