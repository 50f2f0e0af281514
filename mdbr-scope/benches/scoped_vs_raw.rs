//! End-to-end cost of scoping: the same operations through the scoped layer
//! and through the raw driver, on the same server, in the same run,
//! interleaved in rounds so machine noise hits both alike. Prints the median
//! time per operation of each and the ratio scoped/raw.
//!
//! `MDBR_TEST_BACKEND=lite|secantus` (or `MDBR_TEST_MONGODB_URI`) picks the
//! server; `BENCH_ROUNDS` and `BENCH_OPS` size the run.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use mdbr_core::AppSlug;
use mdbr_scope::bson::{Document, doc};
use mdbr_scope::mongodb::IndexModel;
use mdbr_scope::{AppEntry, Scope};
use mdbr_test_support::TestDb;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn time_ops<F, Fut>(ops: usize, mut f: F) -> Duration
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let start = Instant::now();
    for i in 0..ops {
        f(i).await;
    }
    start.elapsed() / ops as u32
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 15);
    let ops = env_usize("BENCH_OPS", 200);
    let t = TestDb::fresh().await.expect("a test server");
    let scope = Scope::new(t.db.clone());
    scope.register(AppEntry::new(AppSlug::parse("bench").unwrap())).await.unwrap();
    let scoped = scope.app("bench").unwrap().collection::<Document>("items").unwrap();
    let raw = t.db.collection::<Document>("raw_items");
    // Same data in both: 1,000 documents, 10 groups, an index on `g`.
    let docs: Vec<Document> = (0..1000).map(|i| doc! { "_id": i, "g": i % 10, "n": i }).collect();
    scoped.insert_many(docs.clone()).await.unwrap();
    raw.insert_many(docs).await.unwrap();
    scoped.create_index(IndexModel::builder().keys(doc! { "g": 1 }).build()).await.unwrap();
    raw.create_index(IndexModel::builder().keys(doc! { "g": 1 }).build()).await.unwrap();

    let names = [
        "insert_one",
        "find by _id",
        "find filter limit 10",
        "update_one",
        "aggregate $match+$group",
    ];
    let mut scoped_times: Vec<Vec<Duration>> = vec![Vec::new(); names.len()];
    let mut raw_times: Vec<Vec<Duration>> = vec![Vec::new(); names.len()];
    let mut next_id = 10_000;
    for round in 0..rounds + 1 {
        for (k, times) in [(0usize, &mut raw_times), (1, &mut scoped_times)] {
            let is_scoped = k == 1;
            let base = next_id;
            next_id += ops as i32;
            let d = [
                if is_scoped {
                    time_ops(ops, |i| {
                        let s = &scoped;
                        async move {
                            s.insert_one(doc! { "_id": base + i as i32, "g": 99 }).await.unwrap();
                        }
                    })
                    .await
                } else {
                    time_ops(ops, |i| {
                        let r = &raw;
                        async move {
                            r.insert_one(doc! { "_id": base + i as i32, "g": 99 }).await.unwrap();
                        }
                    })
                    .await
                },
                if is_scoped {
                    time_ops(ops, |i| {
                        let s = &scoped;
                        async move {
                            s.find_one(doc! { "_id": (i % 1000) as i32 }).await.unwrap().unwrap();
                        }
                    })
                    .await
                } else {
                    time_ops(ops, |i| {
                        let r = &raw;
                        async move {
                            r.find_one(doc! { "_id": (i % 1000) as i32 }).await.unwrap().unwrap();
                        }
                    })
                    .await
                },
                if is_scoped {
                    time_ops(ops, |i| {
                        let s = &scoped;
                        async move {
                            let c = s.find(doc! { "g": (i % 10) as i32 }).limit(10).await.unwrap();
                            let v: Vec<Document> = c.try_collect().await.unwrap();
                            assert_eq!(v.len(), 10);
                        }
                    })
                    .await
                } else {
                    time_ops(ops, |i| {
                        let r = &raw;
                        async move {
                            let c = r.find(doc! { "g": (i % 10) as i32 }).limit(10).await.unwrap();
                            let v: Vec<Document> = c.try_collect().await.unwrap();
                            assert_eq!(v.len(), 10);
                        }
                    })
                    .await
                },
                if is_scoped {
                    time_ops(ops, |i| {
                        let s = &scoped;
                        async move {
                            s.update_one(
                                doc! { "_id": (i % 1000) as i32 },
                                doc! { "$inc": { "n": 1 } },
                            )
                            .await
                            .unwrap();
                        }
                    })
                    .await
                } else {
                    time_ops(ops, |i| {
                        let r = &raw;
                        async move {
                            r.update_one(
                                doc! { "_id": (i % 1000) as i32 },
                                doc! { "$inc": { "n": 1 } },
                            )
                            .await
                            .unwrap();
                        }
                    })
                    .await
                },
                if is_scoped {
                    time_ops(ops / 4, |i| {
                        let s = &scoped;
                        async move {
                            let p = [
                                doc! { "$match": { "g": { "$lt": (i % 10) as i32 + 1 } } },
                                doc! { "$group": { "_id": "$g", "n": { "$sum": 1 } } },
                            ];
                            let v: Vec<Document> =
                                s.aggregate(p).await.unwrap().try_collect().await.unwrap();
                            assert!(!v.is_empty());
                        }
                    })
                    .await
                } else {
                    time_ops(ops / 4, |i| {
                        let r = &raw;
                        async move {
                            let p = [
                                doc! { "$match": { "g": { "$lt": (i % 10) as i32 + 1 } } },
                                doc! { "$group": { "_id": "$g", "n": { "$sum": 1 } } },
                            ];
                            let v: Vec<Document> =
                                r.aggregate(p).await.unwrap().try_collect().await.unwrap();
                            assert!(!v.is_empty());
                        }
                    })
                    .await
                },
            ];
            // Round 0 is warm-up.
            if round > 0 {
                for (j, x) in d.into_iter().enumerate() {
                    times[j].push(x);
                }
            }
        }
    }
    println!("backend: {} ({} rounds x {} ops, medians)", t.backend.name(), rounds, ops);
    println!("{:<26} {:>12} {:>12} {:>8}", "operation", "raw", "scoped", "ratio");
    for (j, name) in names.iter().enumerate() {
        let r = median(raw_times[j].clone());
        let s = median(scoped_times[j].clone());
        println!(
            "{:<26} {:>10.1}µs {:>10.1}µs {:>8.3}",
            name,
            r.as_secs_f64() * 1e6,
            s.as_secs_f64() * 1e6,
            s.as_secs_f64() / r.as_secs_f64()
        );
    }
}
