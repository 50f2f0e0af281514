//! Declared indexes: created with their options, idempotent, drift reported.

use std::time::Duration;

use mdbr_core::{IndexKeys, IndexSpec, Manifest};
use mdbr_index::{EnsureOptions, SearchIndexTracker, ensure_indexes};
use mdbr_scope::bson::{Document, doc};
use serde_json::json;

use crate::app;

fn manifest() -> Manifest {
    let slug = mdbr_core::AppSlug::parse("shop").unwrap();
    let orders = mdbr_core::CollectionName::parse("orders").unwrap();
    let sessions = mdbr_core::CollectionName::parse("sessions").unwrap();
    let filter = json!({ "status": "open" }).as_object().cloned().unwrap();
    Manifest::new(slug, "Shop")
        .with_index(
            orders.clone(),
            IndexSpec::regular("status_created", IndexKeys::new().asc("status").desc("created_at")),
        )
        .with_index(
            orders.clone(),
            IndexSpec::regular("ref_unique", IndexKeys::new().asc("ref"))
                .with_unique(true)
                .with_sparse(true),
        )
        .with_index(orders, IndexSpec::partial("open_total", IndexKeys::new().asc("total"), filter))
        .with_index(sessions, IndexSpec::ttl("expiry", "created_at", 3600))
}

#[tokio::test]
async fn declared_indexes_exist_with_their_options_and_are_idempotent() {
    let (_t, _scope, db) = app("shop").await;
    let tracker = SearchIndexTracker::new();
    let m = manifest();
    let report = ensure_indexes(&db, &m, &EnsureOptions::default(), &tracker).await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(report.created.len(), 4, "{report:?}");
    let orders = db.collection::<Document>("orders").unwrap();
    let indexes = orders.list_indexes().await.unwrap();
    let by_name = |n: &str| {
        indexes
            .iter()
            .find(|m| m.options.as_ref().and_then(|o| o.name.as_deref()) == Some(n))
            .unwrap()
    };
    assert_eq!(by_name("status_created").keys, doc! { "status": 1, "created_at": -1 });
    let unique = by_name("ref_unique").options.clone().unwrap();
    assert_eq!((unique.unique, unique.sparse), (Some(true), Some(true)));
    assert_eq!(
        by_name("open_total").options.clone().unwrap().partial_filter_expression,
        Some(doc! { "status": "open" })
    );
    let sessions = db.collection::<Document>("sessions").unwrap().list_indexes().await.unwrap();
    let ttl = sessions
        .iter()
        .find(|m| m.options.as_ref().and_then(|o| o.name.as_deref()) == Some("expiry"))
        .unwrap();
    assert_eq!(ttl.options.as_ref().unwrap().expire_after, Some(Duration::from_secs(3600)));
    // The unique index is enforced.
    orders.insert_one(doc! { "ref": "A" }).await.unwrap();
    assert!(orders.insert_one(doc! { "ref": "A" }).await.unwrap_err().is_conflict());

    let again = ensure_indexes(&db, &m, &EnsureOptions::default(), &tracker).await.unwrap();
    assert!(
        again.created.is_empty() && again.drifted.is_empty() && again.failed.is_empty(),
        "{again:?}"
    );
    assert_eq!(again.present.len(), 4, "{again:?}");
}

#[tokio::test]
async fn drift_is_reported_and_rebuilt_only_when_asked() {
    let (_t, _scope, db) = app("shop").await;
    let tracker = SearchIndexTracker::new();
    let m = manifest();
    ensure_indexes(&db, &m, &EnsureOptions::default(), &tracker).await.unwrap();
    // Someone changed `status_created` by hand.
    let orders = db.collection::<Document>("orders").unwrap();
    orders.drop_index("status_created").await.unwrap();
    let model = mdbr_scope::mongodb::IndexModel::builder()
        .keys(doc! { "status": 1 })
        .options(
            mdbr_scope::mongodb::options::IndexOptions::builder()
                .name("status_created".to_owned())
                .build(),
        )
        .build();
    orders.create_index(model).await.unwrap();
    let report = ensure_indexes(&db, &m, &EnsureOptions::default(), &tracker).await.unwrap();
    assert_eq!(report.drifted, vec!["orders/status_created"]);
    let keys = |indexes: Vec<mdbr_scope::mongodb::IndexModel>| {
        indexes
            .into_iter()
            .find(|m| m.options.as_ref().and_then(|o| o.name.as_deref()) == Some("status_created"))
            .unwrap()
            .keys
    };
    assert_eq!(keys(orders.list_indexes().await.unwrap()), doc! { "status": 1 });
    let report =
        ensure_indexes(&db, &m, &EnsureOptions::default().with_rebuild_drifted(true), &tracker)
            .await
            .unwrap();
    assert_eq!(report.rebuilt, vec!["orders/status_created"]);
    assert_eq!(keys(orders.list_indexes().await.unwrap()), doc! { "status": 1, "created_at": -1 });
}

#[tokio::test]
async fn a_failing_index_is_reported_by_name_and_does_not_stop_the_others() {
    let (_t, _scope, db) = app("shop").await;
    let coll = db.collection::<Document>("orders").unwrap();
    // Duplicate values make the unique index impossible to build.
    coll.insert_many([doc! { "ref": "A" }, doc! { "ref": "A" }]).await.unwrap();
    let tracker = SearchIndexTracker::new();
    let report =
        ensure_indexes(&db, &manifest(), &EnsureOptions::default(), &tracker).await.unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert_eq!(report.failed[0].index, "orders/ref_unique");
    assert!(report.failed[0].reason.to_lowercase().contains("dup"), "{:?}", report.failed[0]);
    assert_eq!(report.created.len(), 3);
}

#[tokio::test]
async fn text_indexes() {
    let (t, _scope, db) = app("shop").await;
    let m = Manifest::new(mdbr_core::AppSlug::parse("shop").unwrap(), "Shop").with_index(
        mdbr_core::CollectionName::parse("posts").unwrap(),
        IndexSpec::text("body_text", IndexKeys::new().with("body", mdbr_core::KeyDirection::Text)),
    );
    let tracker = SearchIndexTracker::new();
    let report = ensure_indexes(&db, &m, &EnsureOptions::default(), &tracker).await.unwrap();
    if t.backend == mdbr_test_support::Backend::Secantus {
        // Known divergence: SecantusDB 0.7 has no text indexes. The failure
        // must name the index and carry the server's reason.
        assert_eq!(report.failed.len(), 1, "{report:?}");
        assert_eq!(report.failed[0].index, "posts/body_text");
        assert!(
            report.failed[0].reason.contains("CannotCreateIndex (67)"),
            "{:?}",
            report.failed[0]
        );
        return;
    }
    assert_eq!(report.created, vec!["posts/body_text"], "{report:?}");
    let again = ensure_indexes(&db, &m, &EnsureOptions::default(), &tracker).await.unwrap();
    assert_eq!(again.present, vec!["posts/body_text"], "{again:?}");
}
