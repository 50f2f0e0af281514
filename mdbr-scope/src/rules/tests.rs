//! Unit tests of the scoping rules: snapshots of rewritten filters, updates
//! and pipelines, and one refusal per rule. No server involved.

use std::sync::Arc;

use bson::{Document, doc};
use expect_test::{Expect, expect};
use mdbr_core::AppSlug;
use mongodb::options::UpdateModifications;

use crate::error::ErrorKind;
use crate::registry::{AppEntry, AppRegistry, MemoryRegistry};
use crate::rules::ScopeRules;

fn slug(s: &str) -> AppSlug {
    AppSlug::parse(s).unwrap()
}

fn raw(d: &Document) -> bson::RawDocumentBuf {
    bson::RawDocumentBuf::try_from(d).unwrap()
}

fn rules(app: &str) -> ScopeRules {
    let registry = Arc::new(MemoryRegistry::new());
    registry.put(AppEntry::new(slug(app)));
    ScopeRules::new(slug(app), registry).with_db_name("garden")
}

fn render(docs: &[Document]) -> String {
    docs.iter().map(|d| format!("{d}\n")).collect()
}

#[track_caller]
fn check_pipeline(pipeline: Vec<Document>, expect: Expect) {
    let out = rules("shop").rewrite_pipeline(pipeline).unwrap();
    expect.assert_eq(&render(&out));
}

#[track_caller]
fn violation(result: crate::error::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(e) => match e.kind() {
            ErrorKind::ScopeViolation { reason } => reason.clone(),
            other => panic!("expected a scope violation, got {other:?}"),
        },
        Ok(v) => panic!("expected a scope violation, got {v:?}"),
    }
}

#[track_caller]
fn invalid(result: crate::error::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(e) => match e.kind() {
            ErrorKind::InvalidInput { reason } => reason.clone(),
            other => panic!("expected invalid input, got {other:?}"),
        },
        Ok(v) => panic!("expected invalid input, got {v:?}"),
    }
}

#[test]
fn filters() {
    let r = rules("shop");
    expect![[r#"{ "app_id": "shop" }"#]].assert_eq(&r.restrict_read(doc! {}).unwrap().to_string());
    expect![[r#"{ "status": "open", "total": { "$gt": 10 }, "app_id": "shop" }"#]].assert_eq(
        &r.restrict_read(doc! { "status": "open", "total": { "$gt": 10 } }).unwrap().to_string(),
    );
    // A user's own `app_id` condition cannot widen the scope: both must hold.
    expect![[r#"{ "$or": [{ "app_id": "other" }, { "x": 1 }], "app_id": "shop" }"#]].assert_eq(
        &r.restrict_write(doc! { "$or": [{ "app_id": "other" }, { "x": 1 }] }).unwrap().to_string(),
    );
    // A top-level `app_id` of the user's own goes under `$and`: both must hold.
    expect![[r#"{ "app_id": "shop", "$and": [{ "app_id": "other" }] }"#]]
        .assert_eq(&r.restrict_read(doc! { "app_id": "other" }).unwrap().to_string());
}

#[test]
fn forbidden_operators_at_any_depth() {
    let r = rules("shop");
    for f in [
        doc! { "$where": "true" },
        doc! { "$and": [{ "$or": [{ "$where": "sleep(1)" }] }] },
        doc! { "$expr": { "$function": { "body": "f", "args": [], "lang": "js" } } },
        doc! { "a": { "$elemMatch": { "$expr": { "$accumulator": {} } } } },
    ] {
        let reason = violation(r.restrict_read(f));
        assert!(reason.contains("is not allowed"), "{reason}");
    }
    let deep = (0..150).fold(doc! { "x": 1 }, |inner, _| doc! { "$and": [inner] });
    invalid(r.restrict_read(deep));
}

#[test]
fn inserts_are_tagged() {
    let r = rules("shop");
    let insert =
        |d: Document| r.prepare_insert(raw(&d)).map(|d| Document::try_from(d.as_ref()).unwrap());
    expect![[r#"{ "name": "x", "app_id": "shop" }"#]]
        .assert_eq(&insert(doc! { "name": "x" }).unwrap().to_string());
    // Already carrying the right id: kept as is, not repeated.
    expect![[r#"{ "app_id": "shop", "n": 1 }"#]]
        .assert_eq(&insert(doc! { "app_id": "shop", "n": 1 }).unwrap().to_string());
    let reason = violation(insert(doc! { "name": "x", "app_id": "other" }));
    assert!(reason.contains("belongs to app `shop`"), "{reason}");
    assert!(reason.contains("\"other\""), "{reason}");
    violation(r.prepare_replacement(raw(&doc! { "app_id": 5 })));
    invalid(insert(doc! { "$set": 1 }));
    invalid(insert(doc! { "a": { "b": [{ "$bad": 1 }] } }));
    invalid(insert(doc! { "x".repeat(2000): 1 }));
    let deep = (0..150).fold(doc! { "x": 1 }, |inner, _| doc! { "a": [inner] });
    invalid(insert(deep));
}

#[test]
fn updates_never_touch_app_id() {
    let r = rules("shop");
    for u in [
        doc! { "$set": { "app_id": "other" } },
        doc! { "$set": { "app_id.x": 1 } },
        doc! { "$unset": { "app_id": "" } },
        doc! { "$rename": { "app_id": "x" } },
        doc! { "$rename": { "x": "app_id" } },
        doc! { "$setOnInsert": { "app_id": "other" } },
        doc! { "$inc": { "n": 1 }, "$currentDate": { "app_id": true } },
    ] {
        let reason = violation(r.prepare_update(UpdateModifications::Document(u)));
        assert!(reason.contains("app_id"), "{reason}");
    }
    let ok = r.prepare_update(
        doc! { "$set": { "name": "y", "tags.$[t]": 1 }, "$push": { "l": { "$each": [1] } } }.into(),
    );
    assert!(ok.is_ok(), "{ok:?}");
    let reason = invalid(r.prepare_update(doc! { "$set": { "a": 1 }, "b": 2 }.into()));
    assert!(reason.contains("mixes update operators with the plain field `b`"), "{reason}");
    invalid(r.prepare_update(doc! { "b": 2 }.into()));
    invalid(r.prepare_update(doc! {}.into()));
    invalid(r.prepare_update(doc! { "$set": 5 }.into()));
    invalid(r.prepare_update(doc! { "$frobnicate": { "a": 1 } }.into()));
    invalid(r.prepare_update(doc! { "$set": { "a": { "$bad": 1 } } }.into()));
}

#[test]
fn update_pipelines_end_by_pinning_app_id() {
    let r = rules("shop");
    let Ok(UpdateModifications::Pipeline(stages)) =
        r.prepare_update(UpdateModifications::Pipeline(vec![
            doc! { "$set": { "app_id": "other", "n": 1 } },
        ]))
    else {
        panic!("pipeline expected");
    };
    expect![[r#"
        { "$set": { "app_id": "other", "n": 1 } }
        { "$set": { "app_id": "shop" } }
    "#]]
    .assert_eq(&render(&stages));
    invalid(r.prepare_update(UpdateModifications::Pipeline(vec![doc! { "$lookup": {} }])));
}

#[test]
fn pipeline_gets_leading_match() {
    check_pipeline(
        vec![
            doc! { "$match": { "status": "open" } },
            doc! { "$group": { "_id": "$k", "n": { "$sum": 1 } } },
        ],
        expect![[r#"
            { "$match": { "status": "open", "app_id": "shop" } }
            { "$group": { "_id": "$k", "n": { "$sum": 1 } } }
        "#]],
    );
    check_pipeline(
        vec![],
        expect![[r#"
        { "$match": { "app_id": "shop" } }
    "#]],
    );
}

#[test]
fn lookups_resolve_into_the_app_and_are_scoped() {
    check_pipeline(
        vec![
            doc! { "$lookup": { "from": "customers", "localField": "cid", "foreignField": "_id", "as": "c" } },
            doc! { "$lookup": { "from": "orders", "let": { "id": "$_id" }, "pipeline": [ { "$match": { "$expr": { "$eq": ["$cid", "$$id"] } } } ], "as": "o" } },
            doc! { "$graphLookup": { "from": "people", "startWith": "$boss", "connectFromField": "boss", "connectToField": "name", "as": "chain" } },
            doc! { "$unionWith": "archive" },
            doc! { "$facet": { "x": [ { "$lookup": { "from": "customers", "localField": "a", "foreignField": "b", "as": "y" } } ] } },
            doc! { "$merge": { "into": "report", "whenMatched": [ { "$set": { "app_id": "evil" } } ] } },
        ],
        expect![[r#"
            { "$match": { "app_id": "shop" } }
            { "$lookup": { "from": "shop_customers", "localField": "cid", "foreignField": "_id", "as": "c", "pipeline": [{ "$match": { "app_id": "shop" } }] } }
            { "$lookup": { "from": "shop_orders", "let": { "id": "$_id" }, "pipeline": [{ "$match": { "$expr": { "$eq": ["$cid", "$$id"] }, "app_id": "shop" } }], "as": "o" } }
            { "$graphLookup": { "from": "shop_people", "startWith": "$boss", "connectFromField": "boss", "connectToField": "name", "as": "chain", "restrictSearchWithMatch": { "app_id": "shop" } } }
            { "$set": { "chain": { "$filter": { "input": "$chain", "cond": { "$eq": ["$$this.app_id", "shop"] } } } } }
            { "$unionWith": { "coll": "shop_archive", "pipeline": [{ "$match": { "app_id": "shop" } }] } }
            { "$facet": { "x": [{ "$lookup": { "from": "shop_customers", "localField": "a", "foreignField": "b", "as": "y", "pipeline": [{ "$match": { "app_id": "shop" } }] } }] } }
            { "$set": { "app_id": "shop" } }
            { "$merge": { "whenMatched": [{ "$set": { "app_id": "evil" } }, { "$set": { "app_id": "shop" } }], "into": "shop_report" } }
        "#]],
    );
}

#[test]
fn leading_stages_keep_their_place_with_the_filter_inside() {
    check_pipeline(
        vec![
            doc! { "$vectorSearch": { "index": "v", "path": "e", "queryVector": [0.1, 0.2], "numCandidates": 10, "limit": 5, "filter": { "kind": "doc" } } },
            doc! { "$project": { "score": { "$meta": "vectorSearchScore" } } },
        ],
        expect![[r#"
            { "$vectorSearch": { "index": "v", "path": "e", "queryVector": [0.1, 0.2], "numCandidates": 10, "limit": 5, "filter": { "$and": [{ "kind": "doc" }, { "app_id": "shop" }] } } }
            { "$match": { "app_id": "shop" } }
            { "$project": { "score": { "$meta": "vectorSearchScore" } } }
        "#]],
    );
    check_pipeline(
        vec![
            doc! { "$search": { "index": "default", "text": { "query": "tea", "path": "body" } } },
        ],
        expect![[r#"
            { "$search": { "index": "default", "compound": { "must": [{ "text": { "query": "tea", "path": "body" } }], "filter": [{ "equals": { "path": "app_id", "value": "shop" } }] } } }
            { "$match": { "app_id": "shop" } }
        "#]],
    );
    check_pipeline(
        vec![
            doc! { "$geoNear": { "near": [0, 0], "distanceField": "d", "query": { "open": true } } },
        ],
        expect![[r#"
            { "$geoNear": { "near": [0, 0], "distanceField": "d", "query": { "open": true, "app_id": "shop" } } }
        "#]],
    );
    check_pipeline(
        vec![
            doc! { "$rankFusion": { "input": { "pipelines": { "v": [ { "$vectorSearch": { "index": "v", "path": "e", "queryVector": [1.0], "limit": 3 } } ], "t": [ { "$match": { "t": 1 } } ] } } } },
        ],
        expect![[r#"
            { "$rankFusion": { "input": { "pipelines": { "v": [{ "$vectorSearch": { "index": "v", "path": "e", "queryVector": [1], "limit": 3, "filter": { "app_id": "shop" } } }, { "$match": { "app_id": "shop" } }], "t": [{ "$match": { "t": 1, "app_id": "shop" } }] } } } }
            { "$match": { "app_id": "shop" } }
        "#]],
    );
}

#[test]
fn out_and_merge_only_into_own_collections() {
    let r = rules("shop");
    expect![[r#"
        { "$match": { "app_id": "shop" } }
        { "$set": { "app_id": "shop" } }
        { "$out": "shop_summary" }
    "#]]
    .assert_eq(&render(&r.rewrite_pipeline(vec![doc! { "$out": "summary" }]).unwrap()));
    violation(r.rewrite_pipeline(vec![doc! { "$out": { "db": "elsewhere", "coll": "x" } }]));
    assert!(r.rewrite_pipeline(vec![doc! { "$out": { "db": "garden", "coll": "x" } }]).is_ok());
    violation(
        r.rewrite_pipeline(vec![doc! { "$merge": { "into": { "db": "admin", "coll": "x" } } }]),
    );
    violation(r.rewrite_pipeline(vec![
        doc! { "$lookup": { "from": { "db": "x", "coll": "y" }, "as": "z", "pipeline": [] } },
    ]));
    violation(r.rewrite_pipeline(vec![doc! { "$unionWith": { "db": "x", "coll": "y" } }]));
    // `$out` anywhere but last in the outer pipeline, e.g. inside `$facet`.
    invalid(r.rewrite_pipeline(vec![doc! { "$facet": { "a": [ { "$out": "x" } ] } }]));
    // Read-only rules refuse writing stages.
    let ro = r.clone().with_read_only();
    assert!(matches!(
        ro.rewrite_pipeline(vec![doc! { "$out": "x" }]).unwrap_err().kind(),
        ErrorKind::AccessDenied { .. }
    ));
}

#[test]
fn refused_stages_and_bad_shapes() {
    let r = rules("shop");
    for stage in [
        doc! { "$currentOp": {} },
        doc! { "$listSessions": {} },
        doc! { "$listLocalSessions": {} },
        doc! { "$documents": [] },
        doc! { "$changeStream": {} },
        doc! { "$someFutureStage": {} },
    ] {
        violation(r.rewrite_pipeline(vec![doc! { "$match": {} }, stage]));
    }
    violation(
        r.rewrite_pipeline(vec![doc! { "$group": { "_id": 1, "x": { "$accumulator": {} } } }]),
    );
    violation(r.rewrite_pipeline(vec![
        doc! { "$facet": { "a": [ { "$project": { "x": { "$function": {} } } } ] } },
    ]));
    violation(r.rewrite_pipeline(vec![doc! { "$lookup": { "from": "o", "as": "o", "pipeline": [ { "$match": { "$where": "1" } } ] } }]));
    let reason = invalid(r.rewrite_pipeline(vec![doc! { "$match": {}, "$limit": 1 }]));
    assert!(reason.contains("exactly one key"), "{reason}");
    invalid(r.rewrite_pipeline(vec![doc! { "match": {} }]));
    invalid(r.rewrite_pipeline(vec![doc! {}]));
    invalid(r.rewrite_pipeline(vec![doc! { "$match": {} }, doc! { "$vectorSearch": {} }]));
    // Invalid collection names in stages.
    for from in ["a..b", "$x", "system.users", "", &"c".repeat(65)] {
        let err = r.rewrite_pipeline(vec![
            doc! { "$lookup": { "from": from, "as": "x", "localField": "a", "foreignField": "b" } },
        ]);
        assert!(matches!(err.unwrap_err().kind(), ErrorKind::InvalidName(_)), "{from}");
    }
}

#[test]
fn prefix_collisions_are_refused_in_stages() {
    let registry = Arc::new(MemoryRegistry::new());
    registry.put(AppEntry::new(slug("click_tracker")));
    registry.put(AppEntry::new(slug("click_tracker_dashboard")));
    let r = ScopeRules::new(slug("click_tracker"), registry);
    let err = r.rewrite_pipeline(vec![doc! { "$lookup": { "from": "dashboard_data", "as": "x", "localField": "a", "foreignField": "b" } }]);
    assert!(matches!(err.unwrap_err().kind(), ErrorKind::Collision { .. }));
    assert!(r.resolve("dashboard").is_ok());
}

#[test]
fn change_streams_are_filtered_by_document() {
    let out = rules("shop")
        .change_stream_pipeline(vec![doc! { "$project": { "fullDocument": 1 } }])
        .unwrap();
    expect![[r#"
        { "$match": { "$or": [{ "fullDocument.app_id": "shop" }, { "fullDocumentBeforeChange.app_id": "shop" }, { "operationType": "delete", "fullDocumentBeforeChange": { "$exists": false } }, { "operationType": { "$nin": ["insert", "update", "replace", "delete"] } }] } }
        { "$project": { "fullDocument": 1 } }
    "#]]
    .assert_eq(&render(&out));
    invalid(rules("shop").change_stream_pipeline(vec![doc! { "$lookup": {} }]));
}

#[test]
fn read_grants_widen_reads_only() {
    let registry = Arc::new(MemoryRegistry::new());
    registry.put(AppEntry::new(slug("reports")).with_read_scopes([slug("shop")]));
    registry.put(AppEntry::new(slug("shop")).with_share_with([slug("reports")]));
    let readable =
        crate::registry::readable_apps(registry.as_ref(), &registry.get(&slug("reports")).unwrap());
    assert_eq!(readable, vec![slug("reports"), slug("shop")]);
    // One-sided declarations grant nothing.
    registry.put(AppEntry::new(slug("shop")));
    let readable =
        crate::registry::readable_apps(registry.as_ref(), &registry.get(&slug("reports")).unwrap());
    assert_eq!(readable, vec![slug("reports")]);
}

#[test]
fn manifests_become_registry_entries() {
    use mdbr_core::{AppStatus, Manifest};
    let m = Manifest::new(slug("reports"), "Reports")
        .with_read_scopes([slug("shop")])
        .with_share_with([slug("audit")])
        .with_status(AppStatus::Archived);
    let entry = AppEntry::from(&m);
    assert_eq!(entry.read_scopes, vec![slug("shop")]);
    assert_eq!(entry.share_with, vec![slug("audit")]);
    assert_eq!(entry.access, crate::registry::AppAccess::ReadOnly);
    let off = AppEntry::from(&m.clone().with_status(AppStatus::Inactive));
    assert_eq!(off.access, crate::registry::AppAccess::Disabled);
    assert_eq!(
        AppEntry::from(&m.with_status(AppStatus::Draft)).access,
        crate::registry::AppAccess::ReadWrite
    );
}

#[test]
fn search_indexes_can_filter_by_app() {
    use mongodb::{SearchIndexModel, SearchIndexType};
    let r = rules("shop");
    let vector = SearchIndexModel::builder()
        .name("v".to_owned())
        .index_type(SearchIndexType::VectorSearch)
        .definition(doc! { "fields": [ { "type": "vector", "path": "e", "numDimensions": 3, "similarity": "cosine" } ] })
        .build();
    expect![[r#"{ "fields": [{ "type": "vector", "path": "e", "numDimensions": 3, "similarity": "cosine" }, { "type": "filter", "path": "app_id" }] }"#]]
        .assert_eq(&r.prepare_search_index(vector.clone()).unwrap().definition.to_string());
    // Already declared: not added twice.
    let again = r.prepare_search_index(r.prepare_search_index(vector).unwrap()).unwrap();
    assert_eq!(again.definition.get_array("fields").unwrap().len(), 2);
    let search = SearchIndexModel::builder()
        .definition(
            doc! { "mappings": { "dynamic": false, "fields": { "body": { "type": "string" } } } },
        )
        .build();
    expect![[r#"{ "mappings": { "dynamic": false, "fields": { "body": { "type": "string" }, "app_id": { "type": "token" } } } }"#]]
        .assert_eq(&r.prepare_search_index(search).unwrap().definition.to_string());
    invalid(
        r.prepare_search_index(
            SearchIndexModel::builder()
                .index_type(SearchIndexType::VectorSearch)
                .definition(doc! {})
                .build(),
        ),
    );
}

#[test]
fn reads_leave_app_id_out_unless_the_projection_names_it() {
    let r = rules("shop");
    let shown = |p: Option<Document>| r.read_projection(p).to_string();
    // No projection, or an exclusion-style one: `app_id` is excluded too.
    assert_eq!(shown(None), r#"{ "app_id": 0 }"#);
    assert_eq!(shown(Some(doc! {})), r#"{ "app_id": 0 }"#);
    assert_eq!(shown(Some(doc! { "secret": 0 })), r#"{ "secret": 0, "app_id": 0 }"#);
    assert_eq!(shown(Some(doc! { "_id": 1 })), r#"{ "_id": 1, "app_id": 0 }"#);
    assert_eq!(
        shown(Some(doc! { "arr": { "$slice": 2 }, "s": { "$meta": "textScore" } })),
        r#"{ "arr": { "$slice": 2 }, "s": { "$meta": "textScore" }, "app_id": 0 }"#
    );
    assert_eq!(shown(Some(doc! { "a": { "b": 0 } })), r#"{ "a": { "b": 0 }, "app_id": 0 }"#);
    // Inclusion-style projections already leave it out: adding an exclusion
    // would make the server refuse the projection.
    for inclusion in [
        doc! { "name": 1 },
        doc! { "_id": 0, "name": true },
        doc! { "a": { "b": 1 } },
        doc! { "arr": { "$elemMatch": { "x": 1 } } },
        doc! { "arr.$": 1 },
        doc! { "total": { "$add": ["$a", "$b"] } },
        doc! { "label": "fixed" },
        doc! { "n": 2.5 },
    ] {
        assert_eq!(r.read_projection(Some(inclusion.clone())), inclusion);
    }
    // Naming `app_id` asks for exactly that.
    for named in [doc! { "app_id": 1 }, doc! { "app_id": 0, "x": 0 }, doc! { "app_id.x": 1 }] {
        assert_eq!(r.read_projection(Some(named.clone())), named);
    }
}

#[test]
fn single_reads_drop_every_app_id_and_keep_the_rest() {
    use crate::rules::projection::read_one;
    let mut stored = bson::RawDocumentBuf::new();
    stored.append(bson::raw::cstr!("_id"), 1);
    stored.append(bson::raw::cstr!("app_id"), "shop");
    stored.append(bson::raw::cstr!("nested"), raw(&doc! { "app_id": "kept", "x": [1, 2] }));
    stored.append(bson::raw::cstr!("s"), "text");
    stored.append(bson::raw::cstr!("app_id"), "shop");
    let read: Option<Document> = read_one(Some(stored.clone()), true).unwrap();
    assert_eq!(
        read,
        Some(doc! { "_id": 1, "nested": { "app_id": "kept", "x": [1, 2] }, "s": "text" })
    );
    let kept: Option<Document> = read_one(Some(stored), false).unwrap();
    assert_eq!(kept.unwrap().get_str("app_id").ok(), Some("shop"));
    let untagged: Option<Document> = read_one(Some(raw(&doc! { "a": 1 })), true).unwrap();
    assert_eq!(untagged, Some(doc! { "a": 1 }));
    assert_eq!(read_one::<Document>(None, true).unwrap(), None);
}

#[test]
fn single_reads_walk_every_bson_type_and_refuse_malformed_bytes() {
    use bson::spec::BinarySubtype;
    use bson::{Binary, Bson, JavaScriptCodeWithScope, Regex, Timestamp};

    use crate::rules::projection::read_one;
    let every = doc! {
        "d": 1.5, "s": "x", "doc": { "a": 1 }, "arr": [1, "two"],
        "bin": Binary { subtype: BinarySubtype::Generic, bytes: vec![1, 2, 3] },
        "undef": Bson::Undefined, "oid": bson::oid::ObjectId::new(), "b": true,
        "date": bson::DateTime::from_millis(5), "null": Bson::Null,
        "re": Regex { pattern: "a+".try_into().unwrap(), options: "i".try_into().unwrap() },
        "code": Bson::JavaScriptCode("f()".into()),
        "sym": Bson::Symbol("sym".into()),
        "scoped": JavaScriptCodeWithScope { code: "g()".into(), scope: doc! { "y": 2 } },
        "i": 3_i32, "ts": Timestamp { time: 1, increment: 2 }, "l": 4_i64,
        "dec": "1.5".parse::<bson::Decimal128>().unwrap(),
        "min": Bson::MinKey, "max": Bson::MaxKey,
    };
    let mut stored = raw(&every);
    stored.append(bson::raw::cstr!("app_id"), "shop");
    let read: Option<Document> = read_one(Some(stored.clone()), true).unwrap();
    assert_eq!(read.as_ref(), Some(&every));

    // An element of an unknown type (0x42) cannot be stepped over: refused, not guessed at.
    let mut bytes = raw(&doc! { "a": 1, "app_id": "shop" }).as_bytes().to_vec();
    bytes[4] = 0x42;
    let err = super::projection::tests_untagged::<Document>(&bytes).unwrap_err();
    assert!(err.to_string().contains("malformed"), "{err}");
}
