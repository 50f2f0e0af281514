//! End-to-end cost of scoping: the same operations through the scoped layer
//! and through the raw driver, on the same server, in the same run.
//!
//! The two sides alternate operation by operation (raw then scoped, then
//! scoped then raw, …), so a burst of machine noise lands on both alike.
//! Each operation is timed on its own; the report gives, per side, the median
//! and the 10%-trimmed mean of those times and the ratio scoped/raw of each.
//!
//! It runs twice: on documents of three fields (`_id`, `g`, `n`) and on
//! documents of six (adding a name, an email and a date). The scoped side
//! stores one more field, `app_id`, and the size of that step matters: a
//! decoded `bson::Document` of three fields grows its hash table to take a
//! fourth, one of six does not.
//!
//! `MDBR_TEST_BACKEND=lite|secantus` (or `MDBR_TEST_MONGODB_URI`) picks the
//! server; `BENCH_OPS` sets the operations per side and kind (default 4000).
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use mdbr_core::AppSlug;
use mdbr_scope::bson::{Document, doc};
use mdbr_scope::mongodb::{Collection, IndexModel};
use mdbr_scope::{AppEntry, Scope, ScopedCollection};
use mdbr_test_support::TestDb;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Clone, Copy)]
enum Op {
    InsertOne,
    FindById,
    FindLimit10,
    UpdateOne,
    Aggregate,
}

impl Op {
    const ALL: [Op; 5] =
        [Op::InsertOne, Op::FindById, Op::FindLimit10, Op::UpdateOne, Op::Aggregate];

    fn name(self) -> &'static str {
        match self {
            Op::InsertOne => "insert_one",
            Op::FindById => "find by _id",
            Op::FindLimit10 => "find filter limit 10",
            Op::UpdateOne => "update_one",
            Op::Aggregate => "aggregate $match+$group",
        }
    }
}

/// A stored document: three fields, or six when `wide`.
fn document(id: i32, g: i32, wide: bool) -> Document {
    let mut d = doc! { "_id": id, "g": g, "n": id };
    if wide {
        d.insert("name", format!("user {id}"));
        d.insert("email", format!("user{id}@example.com"));
        d.insert(
            "created",
            mdbr_scope::bson::DateTime::from_millis(1_700_000_000_000 + i64::from(id)),
        );
    }
    d
}

/// The inputs of the `i`-th operation of a kind, the same for both sides.
fn insert_doc(i: usize, wide: bool) -> Document {
    document(100_000 + i as i32, 99, wide)
}
fn by_id(i: usize) -> Document {
    doc! { "_id": (i % 1000) as i32 }
}
fn by_group(i: usize) -> Document {
    doc! { "g": (i % 10) as i32 }
}
fn increment() -> Document {
    doc! { "$inc": { "n": 1 } }
}
fn pipeline(i: usize) -> [Document; 2] {
    [
        doc! { "$match": { "g": { "$lt": (i % 10) as i32 + 1 } } },
        doc! { "$group": { "_id": "$g", "n": { "$sum": 1 } } },
    ]
}

/// One operation of kind `op` on `c`: the scoped collection mirrors the
/// driver's API, so the same body serves both sides.
macro_rules! run_op {
    ($c:expr, $op:expr, $i:expr, $wide:expr) => {{
        let (c, i) = ($c, $i);
        match $op {
            Op::InsertOne => drop(c.insert_one(insert_doc(i, $wide)).await.unwrap()),
            Op::FindById => drop(c.find_one(by_id(i)).await.unwrap().unwrap()),
            Op::FindLimit10 => {
                let v: Vec<Document> =
                    c.find(by_group(i)).limit(10).await.unwrap().try_collect().await.unwrap();
                assert_eq!(v.len(), 10);
            }
            Op::UpdateOne => drop(c.update_one(by_id(i), increment()).await.unwrap()),
            Op::Aggregate => {
                let v: Vec<Document> =
                    c.aggregate(pipeline(i)).await.unwrap().try_collect().await.unwrap();
                assert!(!v.is_empty());
            }
        }
    }};
}

async fn raw_op(c: &Collection<Document>, op: Op, i: usize, wide: bool) {
    run_op!(c, op, i, wide)
}

async fn scoped_op(c: &ScopedCollection<Document>, op: Op, i: usize, wide: bool) {
    run_op!(c, op, i, wide)
}

/// Median and 10%-trimmed mean, in microseconds.
fn summary(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let median = v[v.len() / 2].as_secs_f64() * 1e6;
    let cut = v.len() / 10;
    let kept = &v[cut..v.len() - cut];
    let mean = kept.iter().map(Duration::as_secs_f64).sum::<f64>() / kept.len() as f64 * 1e6;
    (median, mean)
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` run a smoke version.
    let full = std::env::args().any(|a| a == "--bench");
    let ops = env_usize("BENCH_OPS", if full { 4000 } else { 20 });
    let t = TestDb::fresh().await.expect("a test server");
    let scope = Scope::new(t.db.clone());
    scope.register(AppEntry::new(AppSlug::parse("bench").unwrap())).await.unwrap();
    for wide in [false, true] {
        let fields = if wide { "six" } else { "three" };
        let name = if wide { "wide" } else { "small" };
        let scoped = scope.app("bench").unwrap().collection::<Document>(name).unwrap();
        let raw = t.db.collection::<Document>(&format!("raw_{name}"));
        // Same data in both: 1,000 documents, 10 groups, an index on `g`.
        let docs: Vec<Document> = (0..1000).map(|i| document(i, i % 10, wide)).collect();
        scoped.insert_many(docs.clone()).await.unwrap();
        raw.insert_many(docs).await.unwrap();
        scoped.create_index(IndexModel::builder().keys(doc! { "g": 1 }).build()).await.unwrap();
        raw.create_index(IndexModel::builder().keys(doc! { "g": 1 }).build()).await.unwrap();

        println!(
            "\nbackend: {}, documents of {fields} fields ({ops} operations per side and kind, alternating)",
            t.backend.name()
        );
        println!(
            "{:<26} {:>11} {:>11} {:>7}   {:>11} {:>11} {:>7}",
            "operation", "raw p50", "scoped p50", "ratio", "raw mean", "scoped mean", "ratio"
        );
        for op in Op::ALL {
            // Aggregation is slower; a quarter as many keeps the run short.
            let n = if matches!(op, Op::Aggregate) { ops / 4 } else { ops };
            let warm = n / 10;
            let (mut raw_t, mut scoped_t) = (Vec::with_capacity(n), Vec::with_capacity(n));
            for i in 0..warm + n {
                let raw_first = i % 2 == 0;
                for side in 0..2 {
                    let is_raw = (side == 0) == raw_first;
                    let start = Instant::now();
                    if is_raw {
                        raw_op(&raw, op, i, wide).await;
                    } else {
                        scoped_op(&scoped, op, i, wide).await;
                    }
                    let took = start.elapsed();
                    if i >= warm {
                        if is_raw { raw_t.push(took) } else { scoped_t.push(took) }
                    }
                }
            }
            let (rm, ra) = summary(raw_t);
            let (sm, sa) = summary(scoped_t);
            println!(
                "{:<26} {:>9.1}µs {:>9.1}µs {:>7.3}   {:>9.1}µs {:>9.1}µs {:>7.3}",
                op.name(),
                rm,
                sm,
                sm / rm,
                ra,
                sa,
                sa / ra
            );
        }
    }
}
