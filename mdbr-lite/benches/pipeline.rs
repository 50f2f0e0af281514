//! Aggregation and vector search throughput through the official driver: `$group` over 20k
//! documents and a `$lookup` join of 20k×1k, on mdbr-lite and (with `MDBR_BENCH_SECANTUS_URI`)
//! on SecantusDB in the same run; then exact `$vectorSearch` over 100k vectors of 384
//! dimensions, and over 1M with `MDBR_BENCH_VECTOR_1M=1`.
//! Run with `cargo bench -p mdbr-lite --bench pipeline`.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::disallowed_methods,
    reason = "a benchmark report"
)]

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use mongodb::bson::{Binary, Bson, Document, doc, spec::BinarySubtype};
use mongodb::{Collection, SearchIndexModel, SearchIndexType};

fn report(backend: &str, name: &str, rounds: usize, took: Duration) {
    let per = took.as_secs_f64() / rounds as f64;
    println!(
        "{backend:<9} {name:<40} {rounds:>4} runs  {:>9.2} ms/run  ({:>8.1} runs/s)",
        per * 1e3,
        1.0 / per
    );
}

async fn run(c: &Collection<Document>, pipeline: &[Document]) -> Vec<Document> {
    c.aggregate(pipeline.to_vec()).await.unwrap().try_collect().await.unwrap()
}

/// `$group` and `$lookup` on one backend; returns (group ms/run, lookup ms/run).
async fn joins(backend: &str, uri: &str, orders: i32, customers: i32, rounds: usize) -> (f64, f64) {
    let client = mongodb::Client::with_uri_str(uri).await.unwrap();
    let db = client.database("bench_pipeline");
    db.drop().await.unwrap();
    let o = db.collection::<Document>("orders");
    let c = db.collection::<Document>("customers");
    o.insert_many((0..orders).map(|i| {
        doc! { "_id": i, "cust": i % customers, "amount": i % 97, "region": format!("r{}", i % 10) }
    }))
    .await
    .unwrap();
    c.insert_many(
        (0..customers).map(|j| doc! { "_id": j, "name": format!("c{j}"), "tier": j % 3 }),
    )
    .await
    .unwrap();
    let group = [doc! { "$group": {
        "_id": "$region", "total": { "$sum": "$amount" }, "avg": { "$avg": "$amount" }, "n": { "$sum": 1 },
    } }];
    let lookup = [
        doc! { "$lookup": { "from": "customers", "localField": "cust", "foreignField": "_id", "as": "c" } },
        doc! { "$unwind": "$c" },
        doc! { "$group": { "_id": "$c.tier", "n": { "$sum": 1 } } },
    ];
    assert_eq!(run(&o, &group).await.len(), 10);
    let t = Instant::now();
    for _ in 0..rounds {
        run(&o, &group).await;
    }
    let g = t.elapsed();
    report(backend, &format!("$group over {orders}"), rounds, g);
    let r = run(&o, &lookup).await;
    assert_eq!(r.iter().map(|d| d.get_i32("n").unwrap()).sum::<i32>(), orders);
    let t = Instant::now();
    for _ in 0..rounds {
        run(&o, &lookup).await;
    }
    let l = t.elapsed();
    report(backend, &format!("$lookup {orders}x{customers}"), rounds, l);
    db.drop().await.unwrap();
    (g.as_secs_f64() * 1e3 / rounds as f64, l.as_secs_f64() * 1e3 / rounds as f64)
}

fn vector(seed: u64, dims: usize) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1;
    (0..dims)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s % 2000) as f32 / 1000.0) - 1.0
        })
        .collect()
}

/// A BSON float32 vector (binary subtype 9).
fn packed(v: &[f32]) -> Bson {
    let mut bytes = vec![0x27, 0];
    for x in v {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    Bson::Binary(Binary { subtype: BinarySubtype::from(9u8), bytes })
}

async fn vectors(uri: &str, n: usize, dims: usize, queries: usize, binary: bool) {
    let client = mongodb::Client::with_uri_str(uri).await.unwrap();
    let db = client.database("bench_vectors");
    db.drop().await.unwrap();
    let c = db.collection::<Document>("v");
    let t = Instant::now();
    let batch = 5_000;
    for start in (0..n).step_by(batch) {
        let docs: Vec<Document> = (start..(start + batch).min(n))
            .map(|i| {
                let v = vector(i as u64, dims);
                let emb = if binary {
                    packed(&v)
                } else {
                    Bson::Array(v.iter().map(|x| Bson::Double(f64::from(*x))).collect())
                };
                doc! { "_id": i as i64, "emb": emb, "k": (i % 10) as i32 }
            })
            .collect();
        c.insert_many(docs).await.unwrap();
    }
    let kind = if binary { "binary" } else { "array" };
    report("lite", &format!("insert {n}x{dims} ({kind})"), 1, t.elapsed());
    c.create_search_index(
        SearchIndexModel::builder()
            .name("vi".to_string())
            .index_type(SearchIndexType::VectorSearch)
            .definition(doc! { "fields": [
                { "type": "vector", "path": "emb", "numDimensions": dims as i32, "similarity": "cosine" },
                { "type": "filter", "path": "k" },
            ] })
            .build(),
    )
    .await
    .unwrap();
    let stage = |q: &[f32], filter: Option<Document>| {
        let mut s = doc! {
            "index": "vi", "path": "emb", "exact": true, "limit": 10,
            "queryVector": q.iter().map(|x| f64::from(*x)).collect::<Vec<f64>>(),
        };
        if let Some(f) = filter {
            s.insert("filter", f);
        }
        vec![
            doc! { "$vectorSearch": s },
            doc! { "$project": { "_id": 1, "score": { "$meta": "vectorSearchScore" } } },
        ]
    };
    let t = Instant::now();
    assert_eq!(run(&c, &stage(&vector(1_000_000_007, dims), None)).await.len(), 10);
    report("lite", &format!("first $vectorSearch {n}x{dims} (+cache)"), 1, t.elapsed());
    let t = Instant::now();
    for q in 0..queries {
        let r = run(&c, &stage(&vector(2_000_000_000 + q as u64, dims), None)).await;
        assert_eq!(r.len(), 10);
    }
    report("lite", &format!("exact $vectorSearch {n}x{dims}"), queries, t.elapsed());
    let t = Instant::now();
    for q in 0..queries {
        let f = doc! { "k": { "$in": [1, 2] } };
        let r = run(&c, &stage(&vector(3_000_000_000 + q as u64, dims), Some(f))).await;
        assert_eq!(r.len(), 10);
    }
    report("lite", &format!("exact $vectorSearch {n}x{dims} + filter"), queries, t.elapsed());
    db.drop().await.unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` run a quick smoke version.
    let full = std::env::args().any(|a| a == "--bench");
    let server = mdbr_lite::LiteServer::builder().memory().start().await.unwrap();
    let uri = server.uri();
    let (orders, customers, rounds) = if full { (20_000, 1_000, 20) } else { (200, 10, 2) };
    let (lg, ll) = joins("lite", &uri, orders, customers, rounds).await;
    if let Ok(s) = std::env::var("MDBR_BENCH_SECANTUS_URI") {
        let (sg, sl) = joins("secantus", &s, orders, customers, if full { 2 } else { 1 }).await;
        println!("lite vs secantus: $group {:.1}x, $lookup {:.1}x", sg / lg, sl / ll);
    }
    if std::env::var("MDBR_BENCH_SKIP_VECTORS").is_ok() {
        server.shutdown().await;
        return;
    }
    if full {
        vectors(&uri, 100_000, 384, 20, false).await;
        if std::env::var("MDBR_BENCH_VECTOR_1M").is_ok() {
            vectors(&uri, 1_000_000, 384, 10, true).await;
        }
    } else {
        vectors(&uri, 300, 8, 2, false).await;
        vectors(&uri, 300, 8, 2, true).await;
    }
    server.shutdown().await;
}
