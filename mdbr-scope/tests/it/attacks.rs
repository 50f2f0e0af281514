//! One test per known way out of an app's scope. Each attack is run by
//! `alpha` against `beta`'s data (and the runtime's internal collections) on
//! a live server, and must be refused or neutralised.

use mdbr_scope::bson::{Document, doc};
use mdbr_scope::mongodb::options::UpdateModifications;
use mdbr_scope::{AppAccess, AppEntry, ErrorKind, Scope};

use crate::common::{assert_violation, collect, env, ids, slug};

/// beta keeps a secret in `secrets`; alpha has its own `secrets` too, plus a
/// planted beta document in its physical collection.
async fn with_secrets(e: &crate::common::Env) {
    e.seed().await;
    e.b.collection::<Document>("secrets")
        .unwrap()
        .insert_one(doc! { "_id": 1, "k": 1, "s": "beta-secret" })
        .await
        .unwrap();
    e.a.collection::<Document>("secrets")
        .unwrap()
        .insert_one(doc! { "_id": 2, "k": 1, "s": "alpha-own" })
        .await
        .unwrap();
    e.raw("alpha_secrets")
        .insert_one(doc! { "_id": 3, "k": 1, "s": "planted-beta", "app_id": "beta" })
        .await
        .unwrap();
}

fn leaked(docs: &[Document]) -> bool {
    let text = format!("{docs:?}");
    text.contains("beta-secret") || text.contains("planted-beta") || text.contains("b1")
}

#[tokio::test]
async fn lookup_concise_form_stays_in_app() {
    let e = env().await;
    with_secrets(&e).await;
    let a = e.a.collection::<Document>("items").unwrap();
    for from in ["secrets", "beta_secrets", "items"] {
        let out = collect(
            a.aggregate([doc! { "$lookup": { "from": from, "localField": "k", "foreignField": "k", "as": "j" } }])
                .await
                .unwrap(),
        )
        .await;
        assert!(!leaked(&out), "{from}: {out:?}");
    }
    let out = collect(
        a.aggregate([doc! { "$lookup": { "from": "secrets", "localField": "k", "foreignField": "k", "as": "j" } }])
            .await
            .unwrap(),
    )
    .await;
    let first = out.iter().find(|d| d.get_i32("_id").ok() == Some(1)).unwrap();
    assert_eq!(first.get_array("j").unwrap().len(), 1, "alpha's own join still works: {first:?}");
}

#[tokio::test]
async fn lookup_pipeline_form_stays_in_app() {
    let e = env().await;
    with_secrets(&e).await;
    let a = e.a.collection::<Document>("items").unwrap();
    let out = collect(
        a.aggregate([doc! { "$lookup": {
            "from": "secrets", "let": { "k": "$k" },
            "pipeline": [ { "$match": { "$expr": { "$eq": ["$k", "$$k"] } } }, { "$match": { "app_id": "beta" } } ],
            "as": "j" } }])
        .await
        .unwrap(),
    )
    .await;
    assert!(!leaked(&out), "{out:?}");
    assert!(out.iter().all(|d| d.get_array("j").unwrap().is_empty()));
}

#[tokio::test]
async fn graph_lookup_stays_in_app() {
    let e = env().await;
    with_secrets(&e).await;
    let a = e.a.collection::<Document>("items").unwrap();
    let out = collect(
        a.aggregate([doc! { "$graphLookup": {
        "from": "secrets", "startWith": "$k", "connectFromField": "k", "connectToField": "k",
        "as": "g", "restrictSearchWithMatch": { "app_id": "beta" } } }])
            .await
            .unwrap(),
    )
    .await;
    assert!(!leaked(&out), "{out:?}");
    let out = collect(
        a.aggregate([doc! { "$graphLookup": {
            "from": "secrets", "startWith": "$k", "connectFromField": "k", "connectToField": "k", "as": "g" } }])
        .await
        .unwrap(),
    )
    .await;
    assert!(!leaked(&out), "{out:?}");
    assert!(
        out.iter().any(|d| !d.get_array("g").unwrap().is_empty()),
        "own graph lookup works: {out:?}"
    );
}

#[tokio::test]
async fn union_with_stays_in_app() {
    let e = env().await;
    with_secrets(&e).await;
    let a = e.a.collection::<Document>("items").unwrap();
    for stage in [
        doc! { "$unionWith": "secrets" },
        doc! { "$unionWith": { "coll": "secrets", "pipeline": [ { "$match": { "app_id": "beta" } } ] } },
        doc! { "$unionWith": "beta_items" },
    ] {
        let out = collect(a.aggregate([stage.clone()]).await.unwrap()).await;
        assert!(!leaked(&out), "{stage}: {out:?}");
    }
    let out = collect(a.aggregate([doc! { "$unionWith": "secrets" }]).await.unwrap()).await;
    assert_eq!(out.len(), 3, "alpha's 2 items + alpha's own secret: {out:?}");
}

#[tokio::test]
async fn facet_with_lookup_stays_in_app() {
    let e = env().await;
    with_secrets(&e).await;
    let a = e.a.collection::<Document>("items").unwrap();
    let out = collect(
        a.aggregate([doc! { "$facet": {
            "joined": [ { "$lookup": { "from": "secrets", "localField": "k", "foreignField": "k", "as": "j" } } ],
            "all": [ { "$match": {} } ] } }])
        .await
        .unwrap(),
    )
    .await;
    assert!(!leaked(&out), "{out:?}");
    assert_eq!(out[0].get_array("all").unwrap().len(), 2);
}

#[tokio::test]
async fn out_and_merge_cannot_reach_other_apps_or_internals() {
    let e = env().await;
    with_secrets(&e).await;
    let before_beta = e.raw_docs("beta_items").await;
    let a = e.a.collection::<Document>("items").unwrap();
    // The physical name of beta's collection resolves inside alpha's namespace.
    collect(a.aggregate([doc! { "$out": "beta_items" }]).await.unwrap()).await;
    collect(a.aggregate([doc! { "$merge": { "into": "beta_items" } }]).await.unwrap()).await;
    collect(a.aggregate([doc! { "$merge": "_mdbr_apps" }]).await.unwrap()).await;
    collect(a.aggregate([doc! { "$out": "_mdbr_apps" }]).await.unwrap()).await;
    assert_eq!(e.raw_docs("beta_items").await, before_beta);
    let names = e.t.db.list_collection_names().await.unwrap();
    assert!(!names.contains(&"_mdbr_apps".to_owned()), "{names:?}");
    assert!(names.contains(&"alpha_beta_items".to_owned()), "{names:?}");
    // What was written belongs to alpha, and only alpha's documents were copied.
    let copied = e.raw_docs("alpha_beta_items").await;
    assert_eq!(ids(&copied), vec![1, 2]);
    assert!(copied.iter().all(|d| d.get_str("app_id").ok() == Some("alpha")));
    // Cross-database targets are refused outright.
    assert_violation(a.aggregate([doc! { "$out": { "db": "admin", "coll": "x" } }]).await);
    assert_violation(
        a.aggregate([doc! { "$merge": { "into": { "db": "other", "coll": "beta_items" } } }]).await,
    );
    // A whenMatched pipeline cannot re-tag documents either.
    collect(
        a.aggregate([doc! { "$merge": { "into": "copy", "whenMatched": [ { "$set": { "app_id": "beta" } } ] } }])
            .await
            .unwrap(),
    )
    .await;
    collect(
        a.aggregate([doc! { "$merge": { "into": "copy", "whenMatched": [ { "$set": { "app_id": "beta" } } ] } }])
            .await
            .unwrap(),
    )
    .await;
    let copy = e.raw_docs("alpha_copy").await;
    assert_eq!(copy.len(), 2);
    assert!(copy.iter().all(|d| d.get_str("app_id").ok() == Some("alpha")), "{copy:?}");
}

#[tokio::test]
async fn whole_collection_writes_cannot_destroy_other_apps_documents() {
    let e = env().await;
    e.seed().await;
    // beta's physical `items` holds a planted alpha document.
    let before = e.alpha_everywhere().await;
    let b = e.b.collection::<Document>("items").unwrap();
    assert_violation(b.aggregate([doc! { "$out": "items" }]).await);
    assert_violation(
        b.aggregate([
            doc! { "$set": { "_id": 200 } },
            doc! { "$merge": { "into": "items", "whenMatched": "replace" } },
        ])
        .await,
    );
    assert_violation(b.drop().await);
    assert_eq!(e.alpha_everywhere().await, before);
    // Into a collection of its own only, they work.
    collect(b.aggregate([doc! { "$out": "copy" }]).await.unwrap()).await;
    assert_eq!(ids(&e.raw_docs("beta_copy").await), vec![11]);
}

#[tokio::test]
async fn update_operators_on_app_id_are_refused() {
    let e = env().await;
    e.seed().await;
    let a = e.a.collection::<Document>("items").unwrap();
    for update in [
        doc! { "$set": { "app_id": "beta" } },
        doc! { "$unset": { "app_id": "" } },
        doc! { "$rename": { "app_id": "owner" } },
        doc! { "$rename": { "v": "app_id" } },
        doc! { "$setOnInsert": { "app_id": "beta" } },
        doc! { "$set": { "app_id.x": 1 } },
    ] {
        assert_violation(a.update_many(doc! {}, update.clone()).await);
        assert_violation(a.update_one(doc! {}, update.clone()).upsert(true).await);
        assert_violation(a.find_one_and_update(doc! {}, update.clone()).await);
    }
    assert!(e.raw_docs("alpha_items").await.iter().all(|d| d.get_str("app_id").is_ok()));
    assert_eq!(ids(&collect(a.find(doc! {}).await.unwrap()).await), vec![1, 2]);
}

#[tokio::test]
async fn pipeline_updates_cannot_retag() {
    let e = env().await;
    e.seed().await;
    let a = e.a.collection::<Document>("items").unwrap();
    let pipeline = UpdateModifications::Pipeline(vec![
        doc! { "$set": { "app_id": "beta", "changed": true } },
        doc! { "$unset": "v" },
    ]);
    let r = a.update_many(doc! {}, pipeline.clone()).await.unwrap();
    assert_eq!(r.modified_count, 2);
    let docs = e.raw_docs("alpha_items").await;
    let alpha: Vec<_> = docs.iter().filter(|d| d.get_str("app_id").ok() == Some("alpha")).collect();
    assert_eq!(alpha.len(), 2, "{docs:?}");
    assert!(alpha.iter().all(|d| d.get_bool("changed").ok() == Some(true)));
    // An upserting pipeline update creates an alpha document.
    let r = a.update_one(doc! { "_id": 9 }, pipeline).upsert(true).await.unwrap();
    assert_eq!(r.upserted_id, Some(9.into()));
    let created = e.raw("alpha_items").find_one(doc! { "_id": 9 }).await.unwrap().unwrap();
    assert_eq!(created.get_str("app_id").ok(), Some("alpha"));
}

#[tokio::test]
async fn inserts_and_replacements_carrying_another_app_id_are_refused() {
    let e = env().await;
    e.seed().await;
    let a = e.a.collection::<Document>("items").unwrap();
    assert_violation(a.insert_one(doc! { "_id": 50, "app_id": "beta" }).await);
    assert_violation(
        a.insert_many([doc! { "_id": 51 }, doc! { "_id": 52, "app_id": "beta" }]).await,
    );
    assert_violation(a.replace_one(doc! { "_id": 1 }, doc! { "app_id": "beta" }).await);
    assert_violation(a.find_one_and_replace(doc! { "_id": 1 }, doc! { "app_id": "beta" }).await);
    // Nothing was written, not even the valid first document of the batch.
    assert_eq!(ids(&e.raw_docs("alpha_items").await), vec![1, 2, 100]);
    assert_eq!(e.raw_docs("beta_items").await.len(), 2);
}

#[tokio::test]
async fn server_side_javascript_is_refused_everywhere() {
    let e = env().await;
    e.seed().await;
    let a = e.a.collection::<Document>("items").unwrap();
    let js = doc! { "body": "function() { return true }", "args": [], "lang": "js" };
    assert_violation(a.find(doc! { "$where": "true" }).await);
    assert_violation(a.find(doc! { "$or": [{ "k": 1 }, { "$and": [{ "$where": "1" }] }] }).await);
    assert_violation(a.count_documents(doc! { "$expr": { "$function": js.clone() } }).await);
    assert_violation(a.find(doc! {}).projection(doc! { "x": { "$function": js.clone() } }).await);
    assert_violation(a.delete_many(doc! { "$where": "true" }).await);
    assert_violation(
        a.update_many(doc! { "$expr": { "$function": js.clone() } }, doc! { "$set": { "x": 1 } })
            .await,
    );
    assert_violation(
        a.aggregate([doc! { "$group": { "_id": null, "x": { "$accumulator": {} } } }]).await,
    );
    assert_violation(
        a.aggregate([doc! { "$facet": { "f": [ { "$match": { "$where": "1" } } ] } }]).await,
    );
    assert_violation(
        a.aggregate([doc! { "$lookup": { "from": "items", "as": "x", "pipeline": [ { "$project": { "y": { "$function": js } } } ] } }])
            .await,
    );
    assert_violation(a.aggregate([doc! { "$currentOp": {} }]).await);
    assert_violation(a.aggregate([doc! { "$listSessions": {} }]).await);
}

#[tokio::test]
async fn bad_collection_names_are_refused() {
    let e = env().await;
    for name in ["a..b", "$x", "x$", "system.users", "", &"c".repeat(65), "with space"] {
        let err = e.a.collection::<Document>(name).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::InvalidName(_)), "{name}: {err}");
    }
}

#[tokio::test]
async fn underscore_prefix_collision_short_app_first() {
    let t = mdbr_test_support::TestDb::fresh().await.unwrap();
    let scope = Scope::new(t.db.clone());
    scope.register(AppEntry::new(slug("click_tracker"))).await.unwrap();
    let short = scope.app("click_tracker").unwrap();
    short
        .collection::<Document>("dashboard_data")
        .unwrap()
        .insert_one(doc! { "x": 1 })
        .await
        .unwrap();
    // click_tracker_dashboard + data would be the same physical collection.
    let err = scope.register(AppEntry::new(slug("click_tracker_dashboard"))).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Collision { .. }), "{err}");
    assert!(err.to_string().contains("click_tracker_dashboard_data"), "{err}");
}

#[tokio::test]
async fn underscore_prefix_collision_long_app_first() {
    let t = mdbr_test_support::TestDb::fresh().await.unwrap();
    let scope = Scope::new(t.db.clone());
    scope.register(AppEntry::new(slug("click_tracker_dashboard"))).await.unwrap();
    let long = scope.app("click_tracker_dashboard").unwrap();
    long.collection::<Document>("data").unwrap().insert_one(doc! { "secret": 1 }).await.unwrap();
    scope.register(AppEntry::new(slug("click_tracker"))).await.unwrap();
    let short = scope.app("click_tracker").unwrap();
    let err = short.collection::<Document>("dashboard_data").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Collision { .. }), "{err}");
    let err = short
        .collection::<Document>("x")
        .unwrap()
        .aggregate([doc! { "$lookup": { "from": "dashboard_data", "as": "j", "localField": "a", "foreignField": "b" } }])
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Collision { .. }), "{err}");
    // Its other collections work, and it does not list the long app's.
    short.collection::<Document>("clicks").unwrap().insert_one(doc! { "c": 1 }).await.unwrap();
    assert_eq!(short.list_collection_names().await.unwrap(), vec!["clicks"]);
}

#[tokio::test]
async fn read_grants_need_both_sides_and_never_allow_writes() {
    let t = mdbr_test_support::TestDb::fresh().await.unwrap();
    let scope = Scope::new(t.db.clone());
    scope.register(AppEntry::new(slug("reports")).with_read_scopes([slug("shop")])).await.unwrap();
    scope.register(AppEntry::new(slug("shop"))).await.unwrap();
    scope
        .app("shop")
        .unwrap()
        .collection::<Document>("orders")
        .unwrap()
        .insert_one(doc! { "_id": 1 })
        .await
        .unwrap();
    // One-sided: reports asks, shop does not share.
    let err = scope.app("reports").unwrap().granted("shop").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::AccessDenied { .. }), "{err}");
    // shop shares only with someone else: still no grant.
    scope.register(AppEntry::new(slug("shop")).with_share_with([slug("audit")])).await.unwrap();
    assert!(scope.app("reports").unwrap().granted("shop").is_err());
    // Both sides: reads work.
    scope.register(AppEntry::new(slug("shop")).with_share_with([slug("reports")])).await.unwrap();
    let shop = scope.app("reports").unwrap().granted("shop").unwrap();
    let orders = shop.collection::<Document>("orders").unwrap();
    assert_eq!(orders.count_documents(doc! {}).await.unwrap(), 1);
    // …and every write through the grant is refused.
    let denied = |r: mdbr_scope::Result<_>| {
        matches!(r.map(|_: ()| ()).unwrap_err().kind(), ErrorKind::AccessDenied { .. })
    };
    assert!(denied(orders.delete_many(doc! {}).await.map(|_| ())));
    assert!(denied(orders.update_many(doc! {}, doc! { "$set": { "x": 1 } }).await.map(|_| ())));
    assert!(denied(orders.insert_one(doc! { "x": 1 }).await.map(|_| ())));
    assert!(denied(orders.find_one_and_delete(doc! {}).await.map(|_| ())));
    assert!(denied(orders.aggregate([doc! { "$out": "x" }]).await.map(|_| ())));
    assert!(denied(orders.drop().await));
    assert_eq!(orders.count_documents(doc! {}).await.unwrap(), 1);
    // A grant is not a way into a third app.
    assert!(scope.app("reports").unwrap().granted("audit").is_err());
}

#[tokio::test]
async fn app_status_is_enforced() {
    let t = mdbr_test_support::TestDb::fresh().await.unwrap();
    let scope = Scope::new(t.db.clone());
    scope.register(AppEntry::new(slug("old")).with_access(AppAccess::ReadOnly)).await.unwrap();
    let old = scope.app("old").unwrap().collection::<Document>("c").unwrap();
    assert_eq!(old.count_documents(doc! {}).await.unwrap(), 0);
    assert!(matches!(
        old.insert_one(doc! {}).await.unwrap_err().kind(),
        ErrorKind::AccessDenied { .. }
    ));
    scope.register(AppEntry::new(slug("off")).with_access(AppAccess::Disabled)).await.unwrap();
    assert!(matches!(scope.app("off").unwrap_err().kind(), ErrorKind::AccessDenied { .. }));
    assert!(matches!(scope.app("nobody").unwrap_err().kind(), ErrorKind::UnknownApp(_)));
}

#[tokio::test]
async fn vector_search_keeps_the_app_filter_inside_the_stage() {
    use mdbr_scope::mongodb::{SearchIndexModel, SearchIndexType};
    let e = env().await;
    if e.t.backend == mdbr_test_support::Backend::Secantus {
        // Known divergence: SecantusDB has no vector search (DESIGN §13);
        // this test runs on lite and on Atlas URIs.
        return;
    }
    let a = e.a.collection::<Document>("docs").unwrap();
    a.insert_many([
        doc! { "_id": 1, "v": [1.0, 0.0], "t": "a-near" },
        doc! { "_id": 2, "v": [0.0, 1.0], "t": "a-far" },
    ])
    .await
    .unwrap();
    // beta's document, planted in alpha's collection, is the closest of all.
    e.raw("alpha_docs")
        .insert_one(doc! { "_id": 3, "v": [1.0, 0.01], "t": "planted-beta", "app_id": "beta" })
        .await
        .unwrap();
    let model = SearchIndexModel::builder()
        .name("v_idx".to_owned())
        .index_type(SearchIndexType::VectorSearch)
        .definition(doc! { "fields": [ { "type": "vector", "path": "v", "numDimensions": 2, "similarity": "cosine" } ] })
        .build();
    a.create_search_index(model).await.unwrap();
    let listed = a.list_search_indexes().await.unwrap();
    let fields = listed[0].get_document("latestDefinition").unwrap().get_array("fields").unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f.as_document().and_then(|d| d.get_str("path").ok()) == Some("app_id")),
        "{listed:?}"
    );
    let hits = collect(
        a.aggregate([
            doc! { "$vectorSearch": { "index": "v_idx", "path": "v", "queryVector": [1.0, 0.0], "numCandidates": 10, "limit": 3 } },
            doc! { "$project": { "t": 1, "score": { "$meta": "vectorSearchScore" } } },
        ])
        .await
        .unwrap(),
    )
    .await;
    let texts: Vec<&str> = hits.iter().filter_map(|d| d.get_str("t").ok()).collect();
    assert_eq!(texts, vec!["a-near", "a-far"], "{hits:?}");
    // beta searching its own (empty) collection sees nothing of alpha.
    let b = e.b.collection::<Document>("docs").unwrap();
    let err_or_empty = b
        .aggregate([doc! { "$vectorSearch": { "index": "v_idx", "path": "v", "queryVector": [1.0, 0.0], "numCandidates": 10, "limit": 3 } }])
        .await;
    if let Ok(cursor) = err_or_empty {
        assert!(collect(cursor).await.is_empty());
    }
}
