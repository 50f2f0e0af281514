//! One operation, scoped or raw, repeated: for `perf stat` / `perf record`
//! (instruction counts are stable on a busy machine where times are not).
//! `probe <raw|scoped> <insert|find|find10|update|agg> <n> [wide]`; the
//! operations and data are `scoped_vs_raw`'s (`wide`: its six-field documents).
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod common;

use common::{Op, g_index, raw_op, scoped_op, seed_documents};
use mdbr_core::AppSlug;
use mdbr_scope::bson::Document;
use mdbr_scope::{AppEntry, Scope};
use mdbr_test_support::TestDb;

const USAGE: &str = "usage: probe <raw|scoped> <insert|find|find10|update|agg> <n> [wide]";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let is_scoped = match args.get(1).map(String::as_str) {
        Some("scoped") => true,
        Some("raw") => false,
        _ => panic!("{USAGE}"),
    };
    let op = args.get(2).and_then(|a| Op::parse(a)).unwrap_or_else(|| panic!("{USAGE}"));
    let n: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let wide = args.get(4).is_some_and(|a| a == "wide");
    let t = TestDb::fresh().await.expect("a test server");
    let scope = Scope::new(t.db.clone());
    scope.register(AppEntry::new(AppSlug::parse("bench").unwrap())).await.unwrap();
    let scoped = scope.app("bench").unwrap().collection::<Document>("items").unwrap();
    let raw = t.db.collection::<Document>("raw_items");
    if is_scoped {
        scoped.insert_many(seed_documents(wide)).await.unwrap();
        scoped.create_index(g_index()).await.unwrap();
        for i in 0..n {
            scoped_op(&scoped, op, i, wide).await;
        }
    } else {
        raw.insert_many(seed_documents(wide)).await.unwrap();
        raw.create_index(g_index()).await.unwrap();
        for i in 0..n {
            raw_op(&raw, op, i, wide).await;
        }
    }
}
