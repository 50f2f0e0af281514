//! Registration end to end: indexes, idempotence, drift, restart, status.

use mdbr::scope::ErrorKind;
use mdbr::scope::bson::{Document, doc};
use mdbr::{Error, RegisterOptions};
use serde_json::json;

use crate::{builder, engine, manifest};

fn shop() -> serde_json::Value {
    json!({
        "slug": "shop",
        "name": "Shop",
        "managed_indexes": {
            "orders": [
                { "name": "status_created", "type": "regular", "keys": { "status": 1, "created_at": -1 } },
                { "name": "ref_unique", "type": "regular", "keys": { "ref": 1 }, "options": { "unique": true } },
                { "name": "open_total", "type": "partial", "keys": { "total": 1 },
                  "options": { "partialFilterExpression": { "total": { "$gt": 0 } } } }
            ],
            "sessions": [
                { "name": "expiry", "type": "ttl", "keys": { "created_at": 1 }, "options": { "expireAfterSeconds": 60 } }
            ]
        },
        "initial_data": { "settings": [ { "key": "theme", "value": "dark" } ] }
    })
}

#[tokio::test]
async fn register_builds_indexes_persists_and_is_idempotent() {
    let (t, engine) = engine().await;
    let report = engine.register_app(manifest(shop()), RegisterOptions::default()).await.unwrap();
    assert_eq!(report.revision, 1);
    assert_eq!(report.indexes.created.len(), 4, "{report:?}");
    assert_eq!(report.seeded_documents, 1);
    assert!(report.is_complete());
    let db = engine.scoped_db("shop").unwrap();
    let mut names = db.collection::<Document>("orders").unwrap().list_index_names().await.unwrap();
    names.sort();
    assert_eq!(names, vec!["_id_", "open_total", "ref_unique", "status_created"]);
    let stored =
        t.db.collection::<Document>("_mdbr_apps")
            .find_one(doc! { "_id": "shop" })
            .await
            .unwrap()
            .unwrap();
    assert_eq!(stored.get_i64("revision").ok(), Some(1));
    assert_eq!(stored.get_str("status").ok(), Some("active"));

    let again = engine.register_app(manifest(shop()), RegisterOptions::default()).await.unwrap();
    assert_eq!(again.revision, 2);
    assert!(again.indexes.created.is_empty(), "{again:?}");
    assert_eq!(again.indexes.present.len(), 4);
    assert_eq!(again.seeded_documents, 0, "initial data is only seeded into empty collections");
    assert_eq!(
        db.collection::<Document>("settings").unwrap().count_documents(doc! {}).await.unwrap(),
        1
    );
}

#[tokio::test]
async fn drift_is_reported_in_the_registration() {
    let (_t, engine) = engine().await;
    engine.register_app(manifest(shop()), RegisterOptions::default()).await.unwrap();
    let mut changed = shop();
    changed["managed_indexes"]["orders"][0]["keys"] = json!({ "status": 1 });
    let report =
        engine.register_app(manifest(changed.clone()), RegisterOptions::default()).await.unwrap();
    assert_eq!(report.indexes.drifted, vec!["orders/status_created"]);
    assert!(
        report.warnings.iter().any(|w| w.contains("orders/status_created")),
        "{:?}",
        report.warnings
    );
    let report = engine
        .register_app(
            manifest(changed),
            RegisterOptions::default().with_rebuild_drifted_indexes(true),
        )
        .await
        .unwrap();
    assert_eq!(report.indexes.rebuilt, vec!["orders/status_created"]);
}

#[tokio::test]
async fn an_invalid_manifest_changes_nothing_and_lists_every_problem() {
    let (t, engine) = engine().await;
    let mut bad = manifest(shop());
    bad.auto_indexes.threshold = 0;
    bad.llm_config.max_retries = 99;
    let err = engine.register_app(bad, RegisterOptions::default()).await.unwrap_err();
    let Error::InvalidManifest { report, .. } = &err else { panic!("{err}") };
    assert!(report.errors.len() >= 2, "{err}");
    assert!(err.to_string().contains("/auto_indexes/threshold"), "{err}");
    assert!(err.to_string().contains("/llm_config/max_retries"), "{err}");
    assert!(engine.scoped_db("shop").is_err());
    assert!(t.db.list_collection_names().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_restarted_engine_reloads_apps_and_their_collision_claims() {
    let (t, engine) = engine().await;
    engine.register_app(manifest(shop()), RegisterOptions::default()).await.unwrap();
    engine
        .register_app(
            manifest(json!({ "slug": "click", "name": "Click" })),
            RegisterOptions::default(),
        )
        .await
        .unwrap();
    engine
        .scoped_db("click")
        .unwrap()
        .collection::<Document>("tracker_data")
        .unwrap()
        .insert_one(doc! {})
        .await
        .unwrap();
    drop(engine);

    let restarted = builder(&t).build().await.unwrap();
    assert_eq!(
        restarted.apps().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        vec!["click", "shop"]
    );
    let db = restarted.scoped_db("shop").unwrap();
    assert_eq!(
        db.collection::<Document>("settings").unwrap().count_documents(doc! {}).await.unwrap(),
        1
    );
    // `click_tracker` would own `click_tracker_data`, which `click` already holds.
    let err = restarted
        .register_app(
            manifest(json!({ "slug": "click_tracker", "name": "CT" })),
            RegisterOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Scope(e) if matches!(e.kind(), ErrorKind::Collision { .. })),
        "{err}"
    );
}

#[tokio::test]
async fn status_is_enforced() {
    let (_t, engine) = engine().await;
    let mut archived = shop();
    archived["status"] = json!("archived");
    engine.register_app(manifest(shop()), RegisterOptions::default()).await.unwrap();
    engine.register_app(manifest(archived), RegisterOptions::default()).await.unwrap();
    let db = engine.scoped_db("shop").unwrap();
    let settings = db.collection::<Document>("settings").unwrap();
    assert_eq!(settings.count_documents(doc! {}).await.unwrap(), 1);
    let err = settings.insert_one(doc! { "x": 1 }).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::AccessDenied { .. }), "{err}");
    let mut inactive = shop();
    inactive["status"] = json!("inactive");
    engine.register_app(manifest(inactive), RegisterOptions::default()).await.unwrap();
    let err = engine.scoped_db("shop").unwrap_err();
    assert!(
        matches!(&err, Error::Scope(e) if matches!(e.kind(), ErrorKind::AccessDenied { .. })),
        "{err}"
    );
}

#[tokio::test]
async fn many_apps_register_concurrently() {
    let (_t, engine) = engine().await;
    let manifests: Vec<_> = (0..20)
        .map(|i| manifest(json!({ "slug": format!("app{i}"), "name": "A",
            "managed_indexes": { "items": [ { "name": "k", "type": "regular", "keys": { "k": 1 } } ] } })))
        .collect();
    let results = engine.register_apps(manifests, RegisterOptions::default()).await;
    assert!(
        results.iter().all(|r| r.as_ref().map(|r| r.indexes.created.len() == 1).unwrap_or(false)),
        "{results:?}"
    );
    assert_eq!(engine.apps().len(), 20);
}

#[tokio::test]
async fn unreachable_database_fails_fast_with_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let start = std::time::Instant::now();
    let err = mdbr::RuntimeEngine::builder()
        .mongo_uri(format!("mongodb://127.0.0.1:{port}/?directConnection=true"))
        .server_selection_timeout(std::time::Duration::from_millis(500))
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    assert!(start.elapsed() < std::time::Duration::from_secs(5), "{:?}", start.elapsed());
}

#[tokio::test]
async fn collection_settings_are_applied_when_the_collection_is_created() {
    use futures_util::TryStreamExt;
    let (t, engine) = engine().await;
    let m = manifest(json!({
        "slug": "notes",
        "name": "Notes",
        "collection_settings": {
            "pages": { "validation": { "validator": { "$jsonSchema": { "required": ["title"] } }, "validationAction": "error" } }
        }
    }));
    let report = engine.register_app(m.clone(), RegisterOptions::default()).await.unwrap();
    assert_eq!(report.collections_created, vec!["pages"]);
    let specs: Vec<_> =
        t.db.list_collections()
            .filter(doc! { "name": "notes_pages" })
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
    assert_eq!(specs.len(), 1);
    let validator = specs[0].options.validator.clone().unwrap();
    assert_eq!(validator, doc! { "$jsonSchema": { "required": ["title"] } });
    // Registering again leaves the existing collection alone.
    let again = engine.register_app(m, RegisterOptions::default()).await.unwrap();
    assert!(again.collections_created.is_empty());
}

#[tokio::test]
async fn search_indexes_are_submitted_without_waiting_and_awaited_on_request() {
    let (t, engine) = engine().await;
    let m = manifest(json!({
        "slug": "rag",
        "name": "RAG",
        "managed_indexes": { "chunks": [ { "name": "vec", "type": "vectorSearch", "definition": { "fields": [
            { "type": "vector", "path": "embedding", "numDimensions": 3, "similarity": "cosine" } ] } } ] }
    }));
    let report = engine.register_app(m, RegisterOptions::default()).await.unwrap();
    if t.backend == mdbr_test_support::Backend::Secantus {
        // Known divergence: SecantusDB has no search indexes; the failure is
        // reported by name with the server's reason, and the app stays registered.
        assert_eq!(report.indexes.failed.len(), 1, "{report:?}");
        assert_eq!(report.indexes.failed[0].index, "chunks/vec");
        assert!(engine.scoped_db("rag").is_ok());
        return;
    }
    assert_eq!(report.indexes.pending_search, vec!["chunks/vec"], "{report:?}");
    engine.wait_for_indexes("rag", std::time::Duration::from_secs(10)).await.unwrap();
    let health = engine.health().await;
    let indexes = health.checks.iter().find(|c| c.name == "indexes").unwrap();
    assert_eq!(indexes.status, mdbr::obs::HealthStatus::Healthy, "{indexes:?}");
    // The index can filter by app: scoped vector search works on it.
    let chunks = engine.scoped_db("rag").unwrap().collection::<Document>("chunks").unwrap();
    chunks
        .insert_many([
            doc! { "embedding": [1.0, 0.0, 0.0], "n": 1 },
            doc! { "embedding": [0.0, 1.0, 0.0], "n": 2 },
        ])
        .await
        .unwrap();
    let hits: Vec<Document> = futures_util::TryStreamExt::try_collect(
        chunks
            .aggregate([doc! { "$vectorSearch": { "index": "vec", "path": "embedding", "queryVector": [1.0, 0.1, 0.0], "numCandidates": 5, "limit": 1 } }])
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].get_i32("n").ok(), Some(1));
    // Registering again finds the index present.
    let again = engine
        .register_app(engine.manifest("rag").unwrap().as_ref().clone(), RegisterOptions::default())
        .await
        .unwrap();
    assert_eq!(again.indexes.present, vec!["chunks/vec"]);
}
