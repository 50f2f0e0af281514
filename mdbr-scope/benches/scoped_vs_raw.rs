//! End-to-end cost of scoping: the same operations through the scoped layer
//! and through the raw driver, on the same server, in the same run.
//!
//! The two sides alternate operation by operation (raw then scoped, then
//! scoped then raw, …), so a burst of machine noise lands on both alike.
//! Each operation is timed on its own; the report gives, per side, the median
//! and the 10%-trimmed mean of those times and the ratio scoped/raw of each.
//!
//! A second measurement times the process's CPU (client and in-process
//! server) over alternating blocks of operations: the last three columns, the
//! median CPU time per operation of each side and their ratio. Waiting for a
//! core does not count there (in practice it has proved no steadier than the
//! wall-clock ratio; instruction counts from `probe` are the steady figure).
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

mod common;

use std::time::{Duration, Instant};

use common::{Op, g_index, raw_op, scoped_op, seed_documents};
use mdbr_core::AppSlug;
use mdbr_scope::bson::Document;
use mdbr_scope::{AppEntry, Scope};
use mdbr_test_support::TestDb;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Blocks per side, and operations per block, of the CPU-time measurement.
const CPU_BLOCKS: usize = 40;
const CPU_BLOCK_OPS: usize = 50;

/// CPU time used so far by the whole process, every thread included.
fn process_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
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
        scoped.insert_many(seed_documents(wide)).await.unwrap();
        raw.insert_many(seed_documents(wide)).await.unwrap();
        scoped.create_index(g_index()).await.unwrap();
        raw.create_index(g_index()).await.unwrap();

        println!(
            "\nbackend: {}, documents of {fields} fields ({ops} operations per side and kind, alternating)",
            t.backend.name()
        );
        println!(
            "{:<26} {:>11} {:>11} {:>7}   {:>11} {:>11} {:>7}   {:>10} {:>10} {:>7}",
            "operation",
            "raw p50",
            "scoped p50",
            "ratio",
            "raw mean",
            "scoped mean",
            "ratio",
            "raw CPU",
            "scoped CPU",
            "ratio"
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
            // CPU time of the whole process (client and, on lite, the in-process server) per
            // operation, over alternating blocks: waiting for a core does not count.
            let (mut raw_cpu, mut scoped_cpu) = (Vec::new(), Vec::new());
            for b in 0..CPU_BLOCKS {
                let raw_first = b % 2 == 0;
                for side in 0..2 {
                    let is_raw = (side == 0) == raw_first;
                    let start = process_cpu();
                    for k in 0..CPU_BLOCK_OPS {
                        // Past the indexes the timed loop used (inserts need fresh ids).
                        let i = 1_000_000 + b * CPU_BLOCK_OPS + k;
                        if is_raw {
                            raw_op(&raw, op, i, wide).await;
                        } else {
                            scoped_op(&scoped, op, i, wide).await;
                        }
                    }
                    let per_op = (process_cpu() - start) / CPU_BLOCK_OPS as u32;
                    if is_raw { raw_cpu.push(per_op) } else { scoped_cpu.push(per_op) }
                }
            }
            let (rc, _) = summary(raw_cpu);
            let (sc, _) = summary(scoped_cpu);
            println!(
                "{:<26} {:>9.1}µs {:>9.1}µs {:>7.3}   {:>9.1}µs {:>9.1}µs {:>7.3}   {:>8.1}µs {:>8.1}µs {:>7.3}",
                op.name(),
                rm,
                sm,
                sm / rm,
                ra,
                sa,
                sa / ra,
                rc,
                sc,
                sc / rc
            );
        }
    }
}
