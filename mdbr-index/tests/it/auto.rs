//! AutoIndexManager: ESR index after the threshold, not before; the cap.

use std::time::Duration;

use mdbr_core::{AppSlug, AutoIndexes};
use mdbr_index::{AutoIndexManager, auto_index_name};
use mdbr_scope::bson::{Document, doc};

use crate::app;

async fn names(db: &mdbr_scope::ScopedDatabase, coll: &str) -> Vec<String> {
    let mut n = db.collection::<Document>(coll).unwrap().list_index_names().await.unwrap();
    n.sort();
    n
}

async fn eventually(db: &mdbr_scope::ScopedDatabase, coll: &str, name: &str) -> bool {
    for _ in 0..100 {
        if names(db, coll).await.iter().any(|n| n == name) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn builds_the_esr_index_after_the_threshold_and_not_before() {
    let (t, scope, db) = app("shop").await;
    let auto = AutoIndexManager::new(scope.clone());
    let config = AutoIndexes { threshold: 3, ..AutoIndexes::default() };
    auto.configure(AppSlug::parse("shop").unwrap(), config);
    scope.add_observer(std::sync::Arc::new(auto.clone()));
    let orders = db.collection::<Document>("orders").unwrap();
    orders.insert_one(doc! { "status": "open", "total": 5, "created_at": 1 }).await.unwrap();
    let query = || {
        orders
            .find(doc! { "total": { "$gt": 1 }, "status": "open" })
            .sort(doc! { "created_at": -1 })
    };
    query().await.unwrap();
    query().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(names(&db, "orders").await, vec!["_id_"], "built before the threshold");
    query().await.unwrap();
    let expected = "auto_status_1_created_at_-1_total_1";
    assert_eq!(
        auto_index_name(&[("status".into(), 1), ("created_at".into(), -1), ("total".into(), 1)]),
        expected
    );
    assert!(eventually(&db, "orders", expected).await, "{:?}", names(&db, "orders").await);
    let observed = auto.observed(&AppSlug::parse("shop").unwrap());
    assert_eq!(observed.len(), 1);
    assert_eq!(observed[0].2, 3);

    // The server now answers the same scoped query from that index.
    let filter = db
        .collection::<Document>("orders")
        .unwrap()
        .rules()
        .restrict_read(doc! { "total": { "$gt": 1 }, "status": "open" })
        .unwrap();
    let explain =
        t.db.run_command(doc! {
            "explain": { "find": "shop_orders", "filter": filter, "sort": { "created_at": -1 } },
            "verbosity": "queryPlanner",
        })
        .await
        .unwrap();
    let plan = explain.get_document("queryPlanner").unwrap().get_document("winningPlan").unwrap();
    if t.backend == mdbr_test_support::Backend::Secantus {
        // Known divergence: SecantusDB 0.7's planner scans this one-document
        // collection instead of using the new index; the issue asks for the
        // plan check on lite.
        assert!(plan.get_str("stage").is_ok(), "{plan}");
        return;
    }
    assert!(uses_index(plan, expected), "{plan}");
}

/// Whether a plan tree has an `IXSCAN` stage on `index`.
/// Shapes are counted by a signature of their spelling; spellings of one
/// candidate (field order, a top-level `$and`, `$eq`) must share one count.
#[tokio::test]
async fn spellings_of_one_shape_share_a_count() {
    let (_t, scope, db) = app("books").await;
    let auto = AutoIndexManager::new(scope.clone());
    let config = AutoIndexes { threshold: 3, ..AutoIndexes::default() };
    auto.configure(AppSlug::parse("books").unwrap(), config);
    scope.add_observer(std::sync::Arc::new(auto.clone()));
    let books = db.collection::<Document>("books").unwrap();
    books.insert_one(doc! { "author": "a", "year": 2000 }).await.unwrap();
    books.find(doc! { "author": "a", "year": { "$gte": 1990 } }).await.unwrap();
    books.find(doc! { "year": { "$lt": 2010 }, "author": "a" }).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(names(&db, "books").await, vec!["_id_"], "built before the threshold");
    books
        .find(doc! { "$and": [{ "author": { "$eq": "a" } }, { "year": { "$gt": 1 } }] })
        .await
        .unwrap();
    assert!(
        eventually(&db, "books", "auto_author_1_year_1").await,
        "{:?}",
        names(&db, "books").await
    );
    let observed = auto.observed(&AppSlug::parse("books").unwrap());
    assert_eq!(observed.len(), 1, "{observed:?}");
    assert_eq!(observed[0].2, 3);
}

fn uses_index(plan: &Document, index: &str) -> bool {
    if plan.get_str("stage").ok() == Some("IXSCAN") && plan.get_str("indexName").ok() == Some(index)
    {
        return true;
    }
    plan.values().any(|v| match v {
        mdbr_scope::bson::Bson::Document(d) => uses_index(d, index),
        mdbr_scope::bson::Bson::Array(a) => a
            .iter()
            .any(|x| matches!(x, mdbr_scope::bson::Bson::Document(d) if uses_index(d, index))),
        _ => false,
    })
}

#[tokio::test]
async fn respects_the_per_collection_cap_and_existing_indexes() {
    let (_t, scope, db) = app("shop").await;
    let auto = AutoIndexManager::new(scope.clone());
    let config = AutoIndexes { threshold: 1, max_per_collection: 1, ..AutoIndexes::default() };
    auto.configure(AppSlug::parse("shop").unwrap(), config);
    scope.add_observer(std::sync::Arc::new(auto.clone()));
    let c = db.collection::<Document>("c").unwrap();
    c.insert_one(doc! { "a": 1, "b": 1, "z": 1 }).await.unwrap();
    // An existing index already serves `{z: …}`: nothing is built for it.
    c.create_index(
        mdbr_scope::mongodb::IndexModel::builder().keys(doc! { "z": 1, "a": 1 }).build(),
    )
    .await
    .unwrap();
    c.find_one(doc! { "z": 1 }).await.unwrap();
    c.find_one(doc! { "a": 1 }).await.unwrap();
    assert!(eventually(&db, "c", "auto_a_1").await);
    c.find_one(doc! { "b": 1 }).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(names(&db, "c").await, vec!["_id_", "auto_a_1", "z_1_a_1"]);
}
