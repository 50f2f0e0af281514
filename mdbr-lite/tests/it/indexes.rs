//! Indexes: creation, listing, dropping, uniqueness, sparse/partial, TTL, and the planner.
use std::time::Duration;

use mongodb::IndexModel;
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::IndexOptions;

use crate::{Ctx, all, code_of};

/// The scan stage of the winning plan: mdbr-lite reports the `IXSCAN`/`COLLSCAN` as the winning
/// plan itself, mongod and SecantusDB under a `FETCH` stage's `inputStage`.
fn winning(explain: &Document) -> Document {
    let mut plan =
        explain.get_document("queryPlanner").unwrap().get_document("winningPlan").unwrap().clone();
    if let Ok(q) = plan.get_document("queryPlan") {
        plan = q.clone();
    }
    while !matches!(plan.get_str("stage"), Ok("IXSCAN" | "COLLSCAN")) {
        plan = plan.get_document("inputStage").unwrap().clone();
    }
    plan
}

/// The `_id`s (ascending) that `filter` selects as the planner runs it, and
/// with a forced collection scan: the two must always agree.
async fn ids_via_planner_and_scan(
    c: &mongodb::Collection<Document>,
    filter: &Document,
) -> (Vec<i32>, Vec<i32>) {
    let ids = |docs: Vec<Document>| docs.iter().map(|d| d.get_i32("_id").unwrap()).collect();
    let planned = ids(all(c.find(filter.clone()).sort(doc! { "_id": 1 }).await.unwrap()).await);
    let scanned = ids(all(c
        .find(filter.clone())
        .sort(doc! { "_id": 1 })
        .hint(mongodb::options::Hint::Keys(doc! { "$natural": 1 }))
        .await
        .unwrap())
    .await);
    (planned, scanned)
}

#[tokio::test]
async fn create_list_and_drop_indexes() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("ix");
    let name = c
        .create_index(IndexModel::builder().keys(doc! { "a": 1, "b": -1 }).build())
        .await
        .unwrap()
        .index_name;
    assert_eq!(name, "a_1_b_-1");
    let opts = IndexOptions::builder().unique(true).name("uniq_e".to_string()).sparse(true).build();
    c.create_index(IndexModel::builder().keys(doc! { "e": 1 }).options(opts).build())
        .await
        .unwrap();
    let list = all_indexes(&c).await;
    assert_eq!(list[0], doc! { "v": 2, "key": { "_id": 1 }, "name": "_id_" });
    assert_eq!(list[1], doc! { "v": 2, "key": { "a": 1, "b": -1 }, "name": "a_1_b_-1" });
    assert!(list[2].get_bool("unique").unwrap());
    assert!(list[2].get_bool("sparse").unwrap());
    // same spec again: a no-op; same name with another key: 86; same key with another name: 85
    c.create_index(IndexModel::builder().keys(doc! { "a": 1, "b": -1 }).build()).await.unwrap();
    let e = c
        .create_index(
            IndexModel::builder()
                .keys(doc! { "z": 1 })
                .options(IndexOptions::builder().name("uniq_e".to_string()).build())
                .build(),
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), Some(86));
    let e = c
        .create_index(
            IndexModel::builder()
                .keys(doc! { "a": 1, "b": -1 })
                .options(IndexOptions::builder().name("other".to_string()).build())
                .build(),
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), Some(85));
    c.drop_index("uniq_e").await.unwrap();
    let e = c.drop_index("nope").await.unwrap_err();
    assert_eq!(code_of(&e), Some(27));
    ctx.db().run_command(doc! { "dropIndexes": "ix", "index": { "a": 1, "b": -1 } }).await.unwrap();
    c.create_index(IndexModel::builder().keys(doc! { "x": 1 }).build()).await.unwrap();
    c.create_index(IndexModel::builder().keys(doc! { "y": 1 }).build()).await.unwrap();
    // Known divergence: SecantusDB 0.7 refuses a list of names (mongod accepts it since 4.2).
    if ctx.is_lite() {
        ctx.db().run_command(doc! { "dropIndexes": "ix", "index": ["x_1"] }).await.unwrap();
        assert_eq!(all_indexes(&c).await.len(), 2);
    }
    c.drop_indexes().await.unwrap();
    assert_eq!(all_indexes(&c).await.len(), 1);
    let e = ctx.db().run_command(doc! { "listIndexes": "missing" }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(26));
}

async fn all_indexes(c: &mongodb::Collection<Document>) -> Vec<Document> {
    use futures_util::TryStreamExt;
    let models: Vec<IndexModel> = c.list_indexes().await.unwrap().try_collect().await.unwrap();
    let _ = models;
    let db = c.client().database(c.namespace().db.as_str());
    let r = db.run_command(doc! { "listIndexes": c.name() }).await.unwrap();
    r.get_document("cursor")
        .unwrap()
        .get_array("firstBatch")
        .unwrap()
        .iter()
        .map(|b| b.as_document().unwrap().clone())
        .collect()
}

#[tokio::test]
async fn unique_index_rejects_duplicates_atomically() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("uq");
    c.create_index(
        IndexModel::builder()
            .keys(doc! { "email": 1 })
            .options(IndexOptions::builder().unique(true).build())
            .build(),
    )
    .await
    .unwrap();
    c.insert_one(doc! { "_id": 1, "email": "a@x" }).await.unwrap();
    let e = c.insert_one(doc! { "_id": 2, "email": "a@x" }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(11000));
    let r = ctx
        .db()
        .run_command(doc! { "insert": "uq", "documents": [{ "_id": 3, "email": "a@x" }] })
        .await
        .unwrap();
    let we = r.get_array("writeErrors").unwrap()[0].as_document().unwrap().clone();
    assert_eq!(we.get_document("keyPattern").unwrap(), &doc! { "email": 1 });
    assert_eq!(we.get_document("keyValue").unwrap(), &doc! { "email": "a@x" });
    assert!(we.get_str("errmsg").unwrap().contains("E11000 duplicate key error"));
    // an update that would collide leaves the document as it was
    c.insert_one(doc! { "_id": 4, "email": "b@x", "n": 1 }).await.unwrap();
    let e = c
        .update_one(doc! { "_id": 4 }, doc! { "$set": { "email": "a@x", "n": 2 } })
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), Some(11000));
    assert_eq!(
        c.find_one(doc! { "_id": 4 }).await.unwrap().unwrap(),
        doc! { "_id": 4, "email": "b@x", "n": 1 }
    );
    // _id is always unique; a missing field counts as null for a non-sparse unique index
    assert_eq!(code_of(&c.insert_one(doc! { "_id": 1 }).await.unwrap_err()), Some(11000));
    c.insert_one(doc! { "_id": 5 }).await.unwrap();
    assert_eq!(code_of(&c.insert_one(doc! { "_id": 6 }).await.unwrap_err()), Some(11000));
    // building a unique index over duplicates fails (two documents lack `n`: both index as null)
    let e = c
        .create_index(
            IndexModel::builder()
                .keys(doc! { "n": 1 })
                .options(IndexOptions::builder().unique(true).build())
                .build(),
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), Some(11000));
    let c = ctx.coll("uq2");
    c.insert_many(vec![doc! { "_id": 10, "k": 1 }, doc! { "_id": 11, "k": 1 }]).await.unwrap();
    let e = c
        .create_index(
            IndexModel::builder()
                .keys(doc! { "k": 1 })
                .options(IndexOptions::builder().unique(true).build())
                .build(),
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), Some(11000));
}

#[tokio::test]
async fn sparse_and_partial_unique_indexes() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("sp");
    c.create_index(
        IndexModel::builder()
            .keys(doc! { "s": 1 })
            .options(IndexOptions::builder().unique(true).sparse(true).build())
            .build(),
    )
    .await
    .unwrap();
    c.insert_many(vec![doc! { "_id": 1 }, doc! { "_id": 2 }]).await.unwrap();
    c.insert_one(doc! { "_id": 3, "s": 1 }).await.unwrap();
    assert_eq!(code_of(&c.insert_one(doc! { "_id": 4, "s": 1 }).await.unwrap_err()), Some(11000));
    let p = ctx.coll("partial");
    let opts = IndexOptions::builder()
        .unique(true)
        .partial_filter_expression(doc! { "active": true })
        .build();
    p.create_index(IndexModel::builder().keys(doc! { "u": 1 }).options(opts).build())
        .await
        .unwrap();
    p.insert_many(vec![
        doc! { "u": 1, "active": false },
        doc! { "u": 1, "active": false },
        doc! { "u": 1, "active": true },
    ])
    .await
    .unwrap();
    assert_eq!(
        code_of(&p.insert_one(doc! { "u": 1, "active": true }).await.unwrap_err()),
        Some(11000)
    );
    let list = ctx.db().run_command(doc! { "listIndexes": "partial" }).await.unwrap();
    let ix = list.get_document("cursor").unwrap().get_array("firstBatch").unwrap()[1]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(ix.get_document("partialFilterExpression").unwrap(), &doc! { "active": true });
}

#[tokio::test]
async fn planner_uses_indexes_and_explain_says_so() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("plan");
    c.insert_many(
        (0..500).map(|i| doc! { "_id": i, "a": i % 50, "b": i, "tags": [i % 7, 100 + i % 3] }),
    )
    .await
    .unwrap();
    c.create_index(IndexModel::builder().keys(doc! { "a": 1 }).build()).await.unwrap();
    c.create_index(IndexModel::builder().keys(doc! { "tags": 1 }).build()).await.unwrap();
    let ex = |filter: Document, sort: Option<Document>| {
        let db = ctx.db();
        async move {
            let mut find = doc! { "find": "plan", "filter": filter };
            if let Some(s) = sort {
                find.insert("sort", s);
            }
            db.run_command(doc! { "explain": find, "verbosity": "queryPlanner" }).await.unwrap()
        }
    };
    let w = winning(&ex(doc! { "a": 7 }, None).await);
    assert_eq!(w.get_str("stage").unwrap(), "IXSCAN");
    assert_eq!(w.get_str("indexName").unwrap(), "a_1");
    assert_eq!(
        winning(&ex(doc! { "a": { "$gt": 10, "$lte": 12 } }, None).await).get_str("stage").unwrap(),
        "IXSCAN"
    );
    assert_eq!(
        winning(&ex(doc! { "a": { "$in": [1, 2] } }, None).await).get_str("stage").unwrap(),
        "IXSCAN"
    );
    assert_eq!(
        winning(&ex(doc! {}, Some(doc! { "a": 1 })).await).get_str("indexName").unwrap(),
        "a_1"
    );
    assert_eq!(winning(&ex(doc! { "b": 3 }, None).await).get_str("stage").unwrap(), "COLLSCAN");
    assert_eq!(winning(&ex(doc! { "_id": 3 }, None).await).get_str("indexName").unwrap(), "_id_");
    // results through the index equal a collection scan
    let mut filters = vec![
        doc! { "a": 7 },
        doc! { "a": { "$gt": 10, "$lte": 12 } },
        doc! { "a": { "$in": [1, 2] } },
        doc! { "tags": 101 },
    ];
    // A range on a multikey field may be met by two different elements, so the bounds must not
    // be intersected. Known divergence: SecantusDB 0.7 intersects them and misses documents.
    if ctx.is_lite() {
        filters.push(doc! { "tags": { "$gt": 5, "$lt": 101 } });
    }
    for f in filters {
        let (via_index, scan) = ids_via_planner_and_scan(&c, &f).await;
        assert_eq!(via_index, scan, "filter {f}");
        assert!(!scan.is_empty());
    }
    // aggregate explain reports the leading $match plan
    let r = ctx.db().run_command(doc! { "aggregate": "plan", "pipeline": [{ "$match": { "a": 3 } }, { "$count": "n" }], "explain": true }).await.unwrap();
    assert_eq!(winning(&r).get_str("stage").unwrap(), "IXSCAN");
    let r = ctx.db().run_command(doc! { "explain": { "aggregate": "plan", "pipeline": [{ "$match": { "b": 3 } }], "cursor": {} } }).await.unwrap();
    assert_eq!(winning(&r).get_str("stage").unwrap(), "COLLSCAN");
    // a hint naming a missing index is an error
    let e =
        c.find_one(doc! {}).hint(mongodb::options::Hint::Name("nope".into())).await.unwrap_err();
    assert_eq!(code_of(&e), Some(2));
    let w = winning(
        &ctx.db()
            .run_command(
                doc! { "explain": { "find": "plan", "filter": { "b": 1 }, "hint": "a_1" } },
            )
            .await
            .unwrap(),
    );
    assert_eq!(w.get_str("indexName").unwrap(), "a_1");
}

#[tokio::test]
async fn ttl_monitor_removes_expired_documents() {
    let server = mdbr_lite::LiteServer::builder()
        .memory()
        .ttl_interval(Duration::from_millis(100))
        .start()
        .await
        .unwrap();
    let client = mongodb::Client::with_uri_str(server.uri()).await.unwrap();
    let c = client.database("t").collection::<Document>("ttl");
    let opts = IndexOptions::builder().expire_after(Duration::from_secs(1)).build();
    c.create_index(IndexModel::builder().keys(doc! { "at": 1 }).options(opts).build())
        .await
        .unwrap();
    let now = mongodb::bson::DateTime::now();
    let old = mongodb::bson::DateTime::from_millis(now.timestamp_millis() - 60_000);
    c.insert_many(vec![
        doc! { "_id": 1, "at": old },
        doc! { "_id": 2, "at": now },
        doc! { "_id": 3, "at": "not a date" },
        doc! { "_id": 4, "at": [old, now] },
    ])
    .await
    .unwrap();
    let list = client.database("t").run_command(doc! { "listIndexes": "ttl" }).await.unwrap();
    let ix = list.get_document("cursor").unwrap().get_array("firstBatch").unwrap()[1]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(
        ix.get("expireAfterSeconds")
            .and_then(Bson::as_i64)
            .or(ix.get_i32("expireAfterSeconds").ok().map(i64::from)),
        Some(1)
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let left: Vec<i32> = all(c.find(doc! {}).sort(doc! { "_id": 1 }).await.unwrap())
        .await
        .iter()
        .map(|d| d.get_i32("_id").unwrap())
        .collect();
    assert_eq!(left, vec![2, 3]);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let left: Vec<i32> = all(c.find(doc! {}).await.unwrap())
        .await
        .iter()
        .map(|d| d.get_i32("_id").unwrap())
        .collect();
    assert_eq!(left, vec![3]);
    server.shutdown().await;
}

#[tokio::test]
async fn compound_index_equality_prefix() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("comp");
    c.insert_many((0..300).map(|i| doc! { "_id": i, "app": format!("a{}", i % 3), "email": format!("u{}", i % 50), "n": i })).await.unwrap();
    c.create_index(IndexModel::builder().keys(doc! { "app": 1 }).build()).await.unwrap();
    c.create_index(
        IndexModel::builder()
            .keys(doc! { "app": 1, "email": 1, "n": 1 })
            .options(IndexOptions::builder().unique(true).build())
            .build(),
    )
    .await
    .unwrap();
    let r = ctx
        .db()
        .run_command(
            doc! { "explain": { "find": "comp", "filter": { "app": "a1", "email": "u7" } } },
        )
        .await
        .unwrap();
    assert_eq!(winning(&r).get_str("indexName").unwrap(), "app_1_email_1_n_1");
    for f in [
        doc! { "app": "a1", "email": "u7" },
        doc! { "app": "a2", "email": "u7", "n": 7 },
        doc! { "app": "a0", "email": { "$gt": "u4" } },
    ] {
        let (via_index, scan) = ids_via_planner_and_scan(&c, &f).await;
        assert_eq!(via_index, scan, "filter {f}");
    }
    // the unique compound key holds
    let e = c.insert_one(doc! { "app": "a1", "email": "u1", "n": 1 }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(11000));
}

#[tokio::test]
async fn index_scans_agree_with_collection_scans_on_mixed_types() {
    use mongodb::bson::{Bson, DateTime, oid::ObjectId};
    let ctx = Ctx::new().await;
    let c = ctx.coll("mixed");
    let values: Vec<Bson> = vec![
        Bson::Int32(1),
        Bson::Double(2.5),
        Bson::String("a".into()),
        Bson::Null,
        Bson::Array(vec![Bson::Int32(1), Bson::String("b".into())]),
        Bson::Document(doc! { "x": 1 }),
        Bson::Boolean(true),
        Bson::DateTime(DateTime::from_millis(1_577_836_800_000)),
        Bson::Int64(3),
        Bson::Array(vec![]),
        Bson::Array(vec![Bson::Array(vec![Bson::Int32(2)])]),
        Bson::ObjectId(ObjectId::from_bytes([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
        Bson::Double(f64::NAN),
        Bson::Double(-0.0),
    ];
    let mut docs: Vec<Document> =
        values.into_iter().enumerate().map(|(i, v)| doc! { "_id": i as i32, "v": v }).collect();
    docs.push(doc! { "_id": 100 });
    c.insert_many(docs).await.unwrap();
    c.create_index(IndexModel::builder().keys(doc! { "v": 1 }).build()).await.unwrap();
    let filters = vec![
        doc! { "v": { "$gt": 1 } },
        doc! { "v": { "$gte": 1, "$lt": 3 } },
        doc! { "v": { "$lt": "b" } },
        doc! { "v": { "$gte": Bson::Null } },
        doc! { "v": { "$in": [1, "a", Bson::Null] } },
        doc! { "v": { "$gt": { "x": 0 } } },
        doc! { "v": { "$lte": DateTime::from_millis(1_609_459_200_000) } },
        doc! { "v": 3 },
        doc! { "v": [] },
        doc! { "v": [2] },
        doc! { "v": { "$gt": f64::NAN } },
        doc! { "v": f64::NAN },
        doc! { "v": 0 },
        doc! { "v": { "$lt": 0 } },
    ];
    let expected: Vec<Vec<i32>> = vec![
        vec![1, 8],
        vec![0, 1, 4],
        vec![2],
        vec![3, 100],
        vec![0, 2, 3, 4, 100],
        vec![5],
        vec![7],
        vec![8],
        vec![9],
        vec![10],
        vec![],
        vec![12],
        vec![13],
        vec![],
    ];
    for (f, want) in filters.into_iter().zip(expected) {
        let (via_index, scan) = ids_via_planner_and_scan(&c, &f).await;
        assert_eq!(via_index, want, "index, filter {f}");
        assert_eq!(scan, want, "scan, filter {f}");
    }
}

#[tokio::test]
async fn aggregate_explain_shows_leading_match_and_sort_plans() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("aplan");
    c.insert_many((0..200).map(|i| doc! { "_id": i, "a": i % 20, "b": i })).await.unwrap();
    c.create_index(IndexModel::builder().keys(doc! { "a": 1 }).build()).await.unwrap();
    let explain = |pipeline: Vec<Document>| {
        let db = ctx.db();
        async move {
            db.run_command(doc! { "explain": { "aggregate": "aplan", "pipeline": pipeline, "cursor": {} }, "verbosity": "queryPlanner" })
                .await
                .unwrap()
        }
    };
    // mongod walks the index for a leading $sort; SecantusDB 0.7 scans and sorts.
    if ctx.is_lite() {
        let w = winning(&explain(vec![doc! { "$sort": { "a": 1 } }, doc! { "$limit": 3 }]).await);
        assert_eq!(w.get_str("stage").unwrap(), "IXSCAN");
        assert_eq!(w.get_str("indexName").unwrap(), "a_1");
    }
    let w = winning(
        &explain(vec![
            doc! { "$match": { "a": { "$in": [1, 2] } } },
            doc! { "$sort": { "b": -1 } },
            doc! { "$group": { "_id": "$a", "n": { "$sum": 1 } } },
        ])
        .await,
    );
    assert_eq!(w.get_str("indexName").unwrap(), "a_1");
    let w =
        winning(&explain(vec![doc! { "$match": { "b": 5 } }, doc! { "$sort": { "b": 1 } }]).await);
    assert_eq!(w.get_str("stage").unwrap(), "COLLSCAN");
    // Explaining a pipeline that ends in $out does not write.
    explain(vec![doc! { "$match": { "a": 1 } }, doc! { "$out": "should_not_exist" }]).await;
    let names = ctx.db().list_collection_names().await.unwrap();
    assert!(!names.contains(&"should_not_exist".to_string()), "{names:?}");
}

#[tokio::test]
async fn compound_index_serves_an_equality_then_a_range() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("eqrange");
    let docs: Vec<Document> = (0..300)
        .map(
            |i| doc! { "_id": i, "t": if i % 3 == 0 { "x" } else { "y" }, "g": i % 17, "k": i % 5 },
        )
        .collect();
    c.insert_many(docs).await.unwrap();
    c.create_index(IndexModel::builder().keys(doc! { "t": 1, "g": -1 }).build()).await.unwrap();
    c.create_index(IndexModel::builder().keys(doc! { "t": 1, "k": 1, "g": 1 }).build())
        .await
        .unwrap();
    let filters = [
        doc! { "t": "x", "g": { "$lt": 5 } },
        doc! { "t": "x", "g": { "$gte": 5, "$lt": 9 } },
        doc! { "t": "y", "g": { "$gt": 15 } },
        doc! { "t": "y", "g": { "$lte": 0 } },
        doc! { "t": "x", "k": 2, "g": { "$gt": 3, "$lte": 10 } },
        doc! { "t": "x", "g": { "$gt": "a" } },
        doc! { "t": "z", "g": { "$lt": 5 } },
    ];
    for f in filters {
        let (via_index, scan) = ids_via_planner_and_scan(&c, &f).await;
        assert_eq!(via_index, scan, "filter {f}");
    }
    if ctx.is_lite() {
        // The range narrows the scan: the bounds name both key fields.
        let r = ctx
            .db()
            .run_command(doc! { "explain": { "find": "eqrange", "filter": { "t": "x", "g": { "$lt": 5 } } }, "verbosity": "queryPlanner" })
            .await
            .unwrap();
        let w = winning(&r);
        assert_eq!(w.get_str("stage").unwrap(), "IXSCAN");
        let shown = format!("{w}");
        assert!(shown.contains("\"x\", \"x\"") && shown.contains("5)"), "{shown}");
    }
}
