//! insert, find, getMore, killCursors, update, delete, findAndModify, count, distinct.
use futures_util::TryStreamExt;
use mongodb::bson::{Bson, doc, oid::ObjectId};
use mongodb::options::ReturnDocument;

use crate::{Ctx, all, code_of};

#[tokio::test]
async fn insert_assigns_object_ids_and_find_returns_them() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("people");
    let r = c.insert_one(doc! { "name": "ada" }).await.unwrap();
    assert!(matches!(r.inserted_id, Bson::ObjectId(_)));
    let got = c.find_one(doc! { "name": "ada" }).await.unwrap().unwrap();
    assert_eq!(got.get("_id"), Some(&r.inserted_id));
    assert_eq!(got.keys().next().map(String::as_str), Some("_id"));
}

#[tokio::test]
async fn insert_many_uses_document_sequences_and_reports_write_errors() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("many");
    let docs: Vec<_> = (0..250).map(|i| doc! { "_id": i, "v": i * 2 }).collect();
    let r = c.insert_many(docs).await.unwrap();
    assert_eq!(r.inserted_ids.len(), 250);
    assert_eq!(c.count_documents(doc! {}).await.unwrap(), 250);
    // ordered: stops at the first duplicate
    let e = c
        .insert_many(vec![doc! { "_id": 1000 }, doc! { "_id": 1 }, doc! { "_id": 1001 }])
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), Some(11000));
    assert!(c.find_one(doc! { "_id": 1000 }).await.unwrap().is_some());
    assert!(c.find_one(doc! { "_id": 1001 }).await.unwrap().is_none());
    // unordered: carries on
    let e = c
        .insert_many(vec![doc! { "_id": 2 }, doc! { "_id": 2000 }])
        .ordered(false)
        .await
        .unwrap_err();
    match e.kind.as_ref() {
        mongodb::error::ErrorKind::InsertMany(im) => {
            let we = im.write_errors.as_ref().unwrap();
            assert_eq!(we[0].index, 0);
            assert_eq!(we[0].code, 11000);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(c.find_one(doc! { "_id": 2000 }).await.unwrap().is_some());
}

#[tokio::test]
async fn find_with_sort_projection_skip_limit_and_batches() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("f");
    c.insert_many((0..300).map(|i| doc! { "_id": i, "n": i % 10, "s": format!("x{i}") }))
        .await
        .unwrap();
    let docs = all(c
        .find(doc! { "n": { "$gte": 5 } })
        .sort(doc! { "n": -1, "_id": 1 })
        .skip(3)
        .limit(4)
        .projection(doc! { "s": 0 })
        .await
        .unwrap())
    .await;
    let ids: Vec<i32> = docs.iter().map(|d| d.get_i32("_id").unwrap()).collect();
    assert_eq!(ids, vec![39, 49, 59, 69]);
    assert!(docs.iter().all(|d| !d.contains_key("s") && d.contains_key("n")));
    // batchSize forces several getMores; the driver must see every document once
    let cur = c.find(doc! {}).batch_size(7).await.unwrap();
    let docs: Vec<_> = cur.try_collect().await.unwrap();
    assert_eq!(docs.len(), 300);
    // comment and maxTimeMS are accepted
    let n = all(c
        .find(doc! {})
        .comment(Bson::String("hi".into()))
        .max_time(std::time::Duration::from_secs(5))
        .await
        .unwrap())
    .await;
    assert_eq!(n.len(), 300);
}

#[tokio::test]
async fn get_more_and_kill_cursors_by_command() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("g");
    c.insert_many((0..10).map(|i| doc! { "_id": i })).await.unwrap();
    let db = ctx.db();
    let r = db.run_command(doc! { "find": "g", "batchSize": 3 }).await.unwrap();
    let cur = r.get_document("cursor").unwrap();
    assert_eq!(cur.get_array("firstBatch").unwrap().len(), 3);
    let id = cur.get_i64("id").unwrap();
    assert_ne!(id, 0);
    assert_eq!(cur.get_str("ns").unwrap(), format!("{}.g", db.name()));
    let r =
        db.run_command(doc! { "getMore": id, "collection": "g", "batchSize": 4 }).await.unwrap();
    assert_eq!(r.get_document("cursor").unwrap().get_array("nextBatch").unwrap().len(), 4);
    let k = db.run_command(doc! { "killCursors": "g", "cursors": [id] }).await.unwrap();
    assert_eq!(k.get_array("cursorsKilled").unwrap(), &vec![Bson::Int64(id)]);
    let e = db.run_command(doc! { "getMore": id, "collection": "g" }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(43));
    // singleBatch and a negative limit close the cursor at once
    let r =
        db.run_command(doc! { "find": "g", "batchSize": 2, "singleBatch": true }).await.unwrap();
    assert_eq!(r.get_document("cursor").unwrap().get_i64("id").unwrap(), 0);
}

#[tokio::test]
async fn a_cursor_of_seven_in_batches_of_two_returns_each_document_once_in_order() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("seven");
    c.insert_many((0..7).map(|i| doc! { "_id": i, "s": format!("v{i}") })).await.unwrap();
    let db = ctx.db();
    let r = db.run_command(doc! { "find": "seven", "batchSize": 2 }).await.unwrap();
    let cur = r.get_document("cursor").unwrap();
    let mut docs = cur.get_array("firstBatch").unwrap().clone();
    let mut id = cur.get_i64("id").unwrap();
    let mut sizes = vec![docs.len()];
    while id != 0 {
        let r = db
            .run_command(doc! { "getMore": id, "collection": "seven", "batchSize": 2 })
            .await
            .unwrap();
        assert_eq!(r.get_f64("ok").unwrap(), 1.0);
        let cur = r.get_document("cursor").unwrap();
        let batch = cur.get_array("nextBatch").unwrap();
        sizes.push(batch.len());
        docs.extend(batch.iter().cloned());
        id = cur.get_i64("id").unwrap();
    }
    assert_eq!(sizes, [2, 2, 2, 1]);
    let expected: Vec<Bson> =
        (0..7).map(|i| Bson::Document(doc! { "_id": i, "s": format!("v{i}") })).collect();
    assert_eq!(docs, expected);
    // The driver's own getMores see the same.
    let got = all(c.find(doc! {}).batch_size(2).await.unwrap()).await;
    assert_eq!(got.into_iter().map(Bson::Document).collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn single_batch_and_a_negative_limit_close_the_cursor() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("once");
    c.insert_many((0..7).map(|i| doc! { "_id": i })).await.unwrap();
    let db = ctx.db();
    let r =
        db.run_command(doc! { "find": "once", "batchSize": 2, "singleBatch": true }).await.unwrap();
    let cur = r.get_document("cursor").unwrap();
    assert_eq!(cur.get_i64("id").unwrap(), 0);
    if ctx.is_lite() {
        // mongod returns one batch of `batchSize` documents; the SecantusDB reference server
        // returns the whole result in that batch, so the size is checked on lite only.
        assert_eq!(cur.get_array("firstBatch").unwrap().len(), 2);
    }
    // The driver sends a negative limit as `limit` with `singleBatch: true`.
    let got = all(c.find(doc! {}).limit(-3).await.unwrap()).await;
    assert_eq!(got, (0..3).map(|i| doc! { "_id": i }).collect::<Vec<_>>());
    if ctx.is_lite() {
        // On the lite server a command with a negative limit also closes its cursor, and no
        // cursor is left open.
        let r = db.run_command(doc! { "find": "once", "limit": -3 }).await.unwrap();
        let cur = r.get_document("cursor").unwrap();
        assert_eq!(cur.get_array("firstBatch").unwrap().len(), 3);
        assert_eq!(cur.get_i64("id").unwrap(), 0);
        let status = db.run_command(doc! { "serverStatus": 1 }).await.unwrap();
        let open = status.get_document("metrics").unwrap().get_document("cursor").unwrap();
        assert_eq!(open.get_document("open").unwrap().get_i64("total").unwrap(), 0);
    }
}

#[tokio::test]
async fn find_returns_the_stored_bytes_and_excludes_every_occurrence_of_a_name() {
    use mongodb::bson::RawDocumentBuf;
    // A repeated field name is this engine's own behaviour: it keeps the bytes as sent.
    let ctx = Ctx::lite().await;
    let c = ctx.db().collection::<RawDocumentBuf>("bytes");
    let one = |k: &str, v: Bson| {
        let b = doc! { k: v }.to_vec().unwrap();
        b[4..b.len() - 1].to_vec()
    };
    let mut body = one("_id", Bson::Int32(1));
    body.extend(one("a", Bson::Int32(1)));
    body.extend(one("b", Bson::String("x".into())));
    body.extend(one("a", Bson::Document(doc! { "c": [1, 2] })));
    let mut bytes = ((body.len() + 5) as i32).to_le_bytes().to_vec();
    bytes.extend(body);
    bytes.push(0);
    let stored = RawDocumentBuf::from_bytes(bytes).unwrap();
    let plain = doc! { "_id": 2, "a": 1.5, "b": { "d": null }, "e": [{ "f": "g" }] };
    c.insert_one(&stored).await.unwrap();
    c.insert_one(RawDocumentBuf::try_from(&plain).unwrap()).await.unwrap();

    let found: Vec<RawDocumentBuf> = c.find(doc! {}).await.unwrap().try_collect().await.unwrap();
    assert_eq!(found[0].as_bytes(), stored.as_bytes());
    assert_eq!(found[1].as_bytes(), plain.to_vec().unwrap());

    let found: Vec<RawDocumentBuf> =
        c.find(doc! {}).projection(doc! { "a": 0 }).await.unwrap().try_collect().await.unwrap();
    let keys = |d: &RawDocumentBuf| -> Vec<String> {
        d.iter().map(|e| e.unwrap().0.as_str().to_string()).collect()
    };
    assert_eq!(keys(&found[0]), ["_id", "b"]);
    assert_eq!(
        found[1].as_bytes(),
        doc! { "_id": 2, "b": { "d": null }, "e": [{ "f": "g" }] }.to_vec().unwrap()
    );
    let found: Vec<RawDocumentBuf> = c
        .find(doc! { "_id": 2 })
        .projection(doc! { "_id": 0, "e": false })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found[0].as_bytes(), doc! { "a": 1.5, "b": { "d": null } }.to_vec().unwrap());
}

#[tokio::test]
async fn update_one_many_upsert_and_counts() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("u");
    c.insert_many((0..5).map(|i| doc! { "_id": i, "g": i % 2, "v": 0 })).await.unwrap();
    let r = c.update_many(doc! { "g": 0 }, doc! { "$inc": { "v": 1 } }).await.unwrap();
    assert_eq!((r.matched_count, r.modified_count), (3, 3));
    let r = c.update_one(doc! { "g": 1 }, doc! { "$set": { "v": 0 } }).await.unwrap();
    assert_eq!((r.matched_count, r.modified_count), (1, 0));
    let r =
        c.update_one(doc! { "_id": 99 }, doc! { "$set": { "v": 5 } }).upsert(true).await.unwrap();
    assert_eq!(r.upserted_id, Some(Bson::Int32(99)));
    assert_eq!(r.matched_count, 0);
    let r = c.replace_one(doc! { "_id": 1 }, doc! { "replaced": true }).await.unwrap();
    assert_eq!(r.modified_count, 1);
    let d = c.find_one(doc! { "_id": 1 }).await.unwrap().unwrap();
    assert_eq!(d, doc! { "_id": 1, "replaced": true });
    // raw command shape: upserted array with index
    let r = ctx
        .db()
        .run_command(doc! { "update": "u", "updates": [
            { "q": { "_id": 0 }, "u": { "$set": { "w": 1 } } },
            { "q": { "k": "new" }, "u": { "$set": { "w": 2 } }, "upsert": true },
        ] })
        .await
        .unwrap();
    assert_eq!(r.get_i32("n").unwrap(), 2);
    assert_eq!(r.get_i32("nModified").unwrap(), 1);
    let up = r.get_array("upserted").unwrap();
    assert_eq!(up[0].as_document().unwrap().get_i32("index").unwrap(), 1);
    assert!(matches!(up[0].as_document().unwrap().get("_id"), Some(Bson::ObjectId(_))));
}

#[tokio::test]
async fn delete_one_and_many() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("d");
    c.insert_many((0..10).map(|i| doc! { "_id": i, "odd": i % 2 == 1 })).await.unwrap();
    assert_eq!(c.delete_one(doc! { "odd": true }).await.unwrap().deleted_count, 1);
    assert_eq!(c.delete_many(doc! { "odd": true }).await.unwrap().deleted_count, 4);
    assert_eq!(c.delete_many(doc! {}).await.unwrap().deleted_count, 5);
    assert_eq!(c.delete_many(doc! {}).await.unwrap().deleted_count, 0);
}

#[tokio::test]
async fn find_and_modify_variants() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("fam");
    c.insert_many(vec![doc! { "_id": 1, "q": 5 }, doc! { "_id": 2, "q": 3 }]).await.unwrap();
    let before = c
        .find_one_and_update(doc! {}, doc! { "$inc": { "q": 1 } })
        .sort(doc! { "q": 1 })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before, doc! { "_id": 2, "q": 3 });
    let after = c
        .find_one_and_update(doc! { "_id": 1 }, doc! { "$inc": { "q": 1 } })
        .return_document(ReturnDocument::After)
        .projection(doc! { "_id": 0 })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, doc! { "q": 6 });
    let up = c
        .find_one_and_update(doc! { "_id": 7 }, doc! { "$set": { "q": 0 } })
        .upsert(true)
        .return_document(ReturnDocument::After)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(up, doc! { "_id": 7, "q": 0 });
    let none = c.find_one_and_update(doc! { "_id": 8 }, doc! { "$set": { "q": 0 } }).await.unwrap();
    assert!(none.is_none());
    let rep = c
        .find_one_and_replace(doc! { "_id": 7 }, doc! { "r": 1 })
        .return_document(ReturnDocument::After)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rep, doc! { "_id": 7, "r": 1 });
    let gone = c.find_one_and_delete(doc! { "_id": 7 }).await.unwrap().unwrap();
    assert_eq!(gone, doc! { "_id": 7, "r": 1 });
    // pipeline-form update and the raw reply shape
    let r = ctx
        .db()
        .run_command(doc! {
            "findAndModify": "fam", "query": { "_id": 1 },
            "update": [ { "$set": { "double": { "$multiply": ["$q", 2] } } } ], "new": true,
        })
        .await
        .unwrap();
    assert_eq!(r.get_document("value").unwrap().get_i32("double").unwrap(), 12);
    let leo = r.get_document("lastErrorObject").unwrap();
    assert_eq!(leo.get_i32("n").unwrap(), 1);
    assert!(leo.get_bool("updatedExisting").unwrap());
    let r = ctx.db().run_command(doc! {
        "findAndModify": "fam", "query": { "_id": 50 }, "update": { "$set": { "a": 1 } }, "upsert": true,
    }).await.unwrap();
    assert_eq!(r.get("value"), Some(&Bson::Null));
    assert_eq!(r.get_document("lastErrorObject").unwrap().get_i32("upserted").unwrap(), 50);
    let e = ctx.db().run_command(doc! { "findAndModify": "fam", "query": {} }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(9));
}

#[tokio::test]
async fn count_estimated_and_distinct() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("cnt");
    c.insert_many(
        (0..20).map(|i| doc! { "_id": i, "k": i % 3, "tags": ["a", format!("t{}", i % 2)] }),
    )
    .await
    .unwrap();
    assert_eq!(c.count_documents(doc! { "k": 1 }).await.unwrap(), 7);
    assert_eq!(c.count_documents(doc! {}).skip(5).limit(3).await.unwrap(), 3);
    assert_eq!(c.estimated_document_count().await.unwrap(), 20);
    let r = ctx.db().run_command(doc! { "count": "cnt", "query": { "k": 0 } }).await.unwrap();
    assert_eq!(r.get_i32("n").unwrap(), 7);
    let ks = c.distinct("k", doc! {}).await.unwrap();
    assert_eq!(ks, vec![Bson::Int32(0), Bson::Int32(1), Bson::Int32(2)]);
    let tags = c.distinct("tags", doc! { "k": 0 }).await.unwrap();
    assert_eq!(
        tags,
        vec![Bson::String("a".into()), Bson::String("t0".into()), Bson::String("t1".into())]
    );
    assert_eq!(ctx.coll("missing").count_documents(doc! {}).await.unwrap(), 0);
}

#[tokio::test]
async fn object_id_round_trip_and_empty_collection() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("oid");
    let id = ObjectId::new();
    c.insert_one(doc! { "_id": id, "x": 1 }).await.unwrap();
    assert_eq!(c.find_one(doc! { "_id": id }).await.unwrap().unwrap().get_i32("x").unwrap(), 1);
    assert!(all(ctx.coll("nothing").find(doc! {}).await.unwrap()).await.is_empty());
}

#[tokio::test]
async fn list_collections_cursor_pages_with_get_more() {
    let ctx = Ctx::new().await;
    for i in 0..5 {
        ctx.db().create_collection(format!("c{i}")).await.unwrap();
    }
    let r = ctx
        .db()
        .run_command(doc! { "listCollections": 1, "cursor": { "batchSize": 2 } })
        .await
        .unwrap();
    let cur = r.get_document("cursor").unwrap();
    assert_eq!(cur.get_array("firstBatch").unwrap().len(), 2);
    let id = cur.get_i64("id").unwrap();
    let r = ctx
        .db()
        .run_command(doc! { "getMore": id, "collection": "$cmd.listCollections" })
        .await
        .unwrap();
    assert_eq!(r.get_document("cursor").unwrap().get_array("nextBatch").unwrap().len(), 3);
    assert_eq!(r.get_document("cursor").unwrap().get_i64("id").unwrap(), 0);
}

#[tokio::test]
async fn hints_on_writes_and_counts() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("h");
    c.insert_many((0..10).map(|i| doc! { "_id": i, "a": i })).await.unwrap();
    c.create_index(mongodb::IndexModel::builder().keys(doc! { "a": 1 }).build()).await.unwrap();
    let hint = mongodb::options::Hint::Name("a_1".into());
    assert_eq!(
        c.update_many(doc! { "a": { "$lt": 3 } }, doc! { "$set": { "x": 1 } })
            .hint(hint.clone())
            .await
            .unwrap()
            .modified_count,
        3
    );
    assert_eq!(c.count_documents(doc! { "x": 1 }).hint(hint.clone()).await.unwrap(), 3);
    assert_eq!(c.delete_many(doc! { "x": 1 }).hint(hint).await.unwrap().deleted_count, 3);
    let bad = mongodb::options::Hint::Name("zzz".into());
    assert_eq!(code_of(&c.delete_many(doc! {}).hint(bad).await.unwrap_err()), Some(2));
}

#[tokio::test]
async fn oversized_documents_are_refused() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("big");
    c.insert_one(doc! { "_id": 1, "s": "x".repeat(10 * 1024 * 1024) }).await.unwrap();
    let e = c
        .update_one(doc! { "_id": 1 }, doc! { "$set": { "t": "y".repeat(8 * 1024 * 1024) } })
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), Some(10334));
    assert_eq!(c.count_documents(doc! { "t": { "$exists": true } }).await.unwrap(), 0);
}

#[tokio::test]
async fn explain_execution_stats() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("ex");
    c.insert_many((0..30).map(|i| doc! { "_id": i, "a": i % 3 })).await.unwrap();
    let r = ctx.db().run_command(doc! { "explain": { "find": "ex", "filter": { "a": 1 } }, "verbosity": "executionStats" }).await.unwrap();
    let st = r.get_document("executionStats").unwrap();
    assert_eq!(st.get_i32("nReturned").unwrap(), 10);
    assert_eq!(st.get_i32("totalDocsExamined").unwrap(), 30);
}
