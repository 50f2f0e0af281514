//! One operation, scoped or raw, repeated: for `perf stat` / `perf record`
//! (instruction counts are stable on a busy machine where times are not).
//! `probe <raw|scoped> <insert|find|find10|update|agg> <n>`.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use futures_util::TryStreamExt;
use mdbr_core::AppSlug;
use mdbr_scope::bson::{Document, doc};
use mdbr_scope::mongodb::IndexModel;
use mdbr_scope::{AppEntry, Scope};
use mdbr_test_support::TestDb;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, op) =
        (args.get(1).cloned().unwrap_or_default(), args.get(2).cloned().unwrap_or_default());
    let n: i32 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(2000);
    // `wide`: documents of six fields instead of three (see scoped_vs_raw).
    let wide = args.get(4).is_some_and(|a| a == "wide");
    let widen = |mut d: Document| {
        if wide {
            let id = d.get_i32("_id").unwrap_or_default();
            d.insert("name", format!("user {id}"));
            d.insert("email", format!("user{id}@example.com"));
            d.insert("created", mdbr_scope::bson::DateTime::from_millis(1_700_000_000_000));
        }
        d
    };
    let t = TestDb::fresh().await.expect("a test server");
    let scope = Scope::new(t.db.clone());
    scope.register(AppEntry::new(AppSlug::parse("bench").unwrap())).await.unwrap();
    let scoped = scope.app("bench").unwrap().collection::<Document>("items").unwrap();
    let raw = t.db.collection::<Document>("raw_items");
    let docs: Vec<Document> =
        (0..1000).map(|i| widen(doc! { "_id": i, "g": i % 10, "n": i })).collect();
    let is_scoped = mode == "scoped";
    if is_scoped {
        scoped.insert_many(docs).await.unwrap();
        scoped.create_index(IndexModel::builder().keys(doc! { "g": 1 }).build()).await.unwrap();
    } else {
        raw.insert_many(docs).await.unwrap();
        raw.create_index(IndexModel::builder().keys(doc! { "g": 1 }).build()).await.unwrap();
    }
    for i in 0..n {
        match (is_scoped, op.as_str()) {
            (true, "insert") => drop(
                scoped
                    .insert_one(widen(doc! { "_id": 10_000 + i, "g": 99, "n": i }))
                    .await
                    .unwrap(),
            ),
            (false, "insert") => drop(
                raw.insert_one(widen(doc! { "_id": 10_000 + i, "g": 99, "n": i })).await.unwrap(),
            ),
            (true, "find") => {
                drop(scoped.find_one(doc! { "_id": i % 1000 }).await.unwrap().unwrap())
            }
            (false, "find") => drop(raw.find_one(doc! { "_id": i % 1000 }).await.unwrap().unwrap()),
            (true, "find10") => {
                let v: Vec<Document> = scoped
                    .find(doc! { "g": i % 10 })
                    .limit(10)
                    .await
                    .unwrap()
                    .try_collect()
                    .await
                    .unwrap();
                assert_eq!(v.len(), 10);
            }
            (false, "find10") => {
                let v: Vec<Document> = raw
                    .find(doc! { "g": i % 10 })
                    .limit(10)
                    .await
                    .unwrap()
                    .try_collect()
                    .await
                    .unwrap();
                assert_eq!(v.len(), 10);
            }
            (true, "update") => drop(
                scoped
                    .update_one(doc! { "_id": i % 1000 }, doc! { "$inc": { "n": 1 } })
                    .await
                    .unwrap(),
            ),
            (false, "update") => drop(
                raw.update_one(doc! { "_id": i % 1000 }, doc! { "$inc": { "n": 1 } })
                    .await
                    .unwrap(),
            ),
            (true, "agg") => {
                let p = [
                    doc! { "$match": { "g": { "$lt": i % 10 + 1 } } },
                    doc! { "$group": { "_id": "$g", "n": { "$sum": 1 } } },
                ];
                let v: Vec<Document> =
                    scoped.aggregate(p).await.unwrap().try_collect().await.unwrap();
                assert!(!v.is_empty());
            }
            (false, "agg") => {
                let p = [
                    doc! { "$match": { "g": { "$lt": i % 10 + 1 } } },
                    doc! { "$group": { "_id": "$g", "n": { "$sum": 1 } } },
                ];
                let v: Vec<Document> = raw.aggregate(p).await.unwrap().try_collect().await.unwrap();
                assert!(!v.is_empty());
            }
            _ => panic!("usage: probe <raw|scoped> <insert|find|find10|update|agg> <n> [wide]"),
        }
    }
}
