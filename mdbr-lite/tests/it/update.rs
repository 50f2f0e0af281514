//! Update operators, positional paths, pipeline updates, replacement and upsert seeding.
use mongodb::bson::{Bson, Document, doc};

use crate::{Ctx, code_of};

async fn apply(ctx: &Ctx, start: Document, update: Document) -> Document {
    let c = ctx.coll("upd");
    c.delete_many(doc! {}).await.unwrap();
    c.insert_one(start).await.unwrap();
    c.update_one(doc! {}, update).await.unwrap();
    c.find_one(doc! {}).await.unwrap().unwrap()
}

async fn apply_err(ctx: &Ctx, start: Document, update: Document) -> Option<i32> {
    let c = ctx.coll("upd");
    c.delete_many(doc! {}).await.unwrap();
    c.insert_one(start).await.unwrap();
    code_of(&c.update_one(doc! {}, update).await.unwrap_err())
}

#[tokio::test]
async fn field_operators() {
    let ctx = Ctx::new().await;
    assert_eq!(
        apply(&ctx, doc! { "_id": 1 }, doc! { "$set": { "a.b": 1, "c": "x" } }).await,
        doc! { "_id": 1, "a": { "b": 1 }, "c": "x" }
    );
    assert_eq!(
        apply(&ctx, doc! { "_id": 1, "a": 1, "b": 2 }, doc! { "$unset": { "a": "" } }).await,
        doc! { "_id": 1, "b": 2 }
    );
    assert_eq!(
        apply(&ctx, doc! { "_id": 1, "n": 1 }, doc! { "$inc": { "n": 2, "m": 5 } }).await,
        doc! { "_id": 1, "n": 3, "m": 5 }
    );
    assert_eq!(
        apply(&ctx, doc! { "_id": 1, "n": 1 }, doc! { "$inc": { "n": 0.5 } }).await,
        doc! { "_id": 1, "n": 1.5 }
    );
    assert_eq!(
        apply(&ctx, doc! { "_id": 1, "n": i32::MAX }, doc! { "$inc": { "n": 1 } }).await,
        doc! { "_id": 1, "n": i64::from(i32::MAX) + 1 }
    );
    assert_eq!(
        apply(&ctx, doc! { "_id": 1, "n": 3 }, doc! { "$mul": { "n": 4, "z": 2 } }).await,
        doc! { "_id": 1, "n": 12, "z": 0 }
    );
    assert_eq!(
        apply(
            &ctx,
            doc! { "_id": 1, "lo": 5, "hi": 5 },
            doc! { "$min": { "lo": 3 }, "$max": { "hi": 3 } }
        )
        .await,
        doc! { "_id": 1, "lo": 3, "hi": 5 }
    );
    assert_eq!(
        apply(
            &ctx,
            doc! { "_id": 1, "a": 1, "n": { "x": 2 } },
            doc! { "$rename": { "a": "b", "n.x": "n.y" } }
        )
        .await,
        doc! { "_id": 1, "n": { "y": 2 }, "b": 1 }
    );
    let d = apply(
        &ctx,
        doc! { "_id": 1 },
        doc! { "$currentDate": { "d": true, "t": { "$type": "timestamp" } } },
    )
    .await;
    assert!(matches!(d.get("d"), Some(Bson::DateTime(_))));
    assert!(matches!(d.get("t"), Some(Bson::Timestamp(_))));
    assert_eq!(
        apply_err(&ctx, doc! { "_id": 1, "s": "x" }, doc! { "$inc": { "s": 1 } }).await,
        Some(14)
    );
    assert_eq!(apply_err(&ctx, doc! { "_id": 1 }, doc! { "$inc": { "s": "1" } }).await, Some(14));
}

#[tokio::test]
async fn array_operators() {
    let ctx = Ctx::new().await;
    assert_eq!(
        apply(&ctx, doc! { "_id": 1, "a": [1] }, doc! { "$push": { "a": 2, "b": 1 } }).await,
        doc! { "_id": 1, "a": [1, 2], "b": [1] }
    );
    let d = apply(
        &ctx,
        doc! { "_id": 1, "a": [5, 1] },
        doc! { "$push": { "a": { "$each": [3, 9, 0], "$sort": 1, "$slice": 3 } } },
    )
    .await;
    assert_eq!(d, doc! { "_id": 1, "a": [0, 1, 3] });
    let d = apply(
        &ctx,
        doc! { "_id": 1, "a": [1, 2] },
        doc! { "$push": { "a": { "$each": [7, 8], "$position": 1 } } },
    )
    .await;
    assert_eq!(d, doc! { "_id": 1, "a": [1, 7, 8, 2] });
    let d = apply(
        &ctx,
        doc! { "_id": 1, "a": [{ "s": 2 }, { "s": 1 }] },
        doc! { "$push": { "a": { "$each": [{ "s": 3 }], "$sort": { "s": -1 }, "$slice": -2 } } },
    )
    .await;
    assert_eq!(d, doc! { "_id": 1, "a": [{ "s": 2 }, { "s": 1 }] });
    assert_eq!(
        apply(
            &ctx,
            doc! { "_id": 1, "a": [1, 2] },
            doc! { "$addToSet": { "a": { "$each": [2, 3, 3] } } }
        )
        .await,
        doc! { "_id": 1, "a": [1, 2, 3] }
    );
    assert_eq!(
        apply(&ctx, doc! { "_id": 1, "a": [1, 2, 3] }, doc! { "$pop": { "a": -1 } }).await,
        doc! { "_id": 1, "a": [2, 3] }
    );
    assert_eq!(
        apply(&ctx, doc! { "_id": 1, "a": [1, 2, 3] }, doc! { "$pop": { "a": 1 } }).await,
        doc! { "_id": 1, "a": [1, 2] }
    );
    assert_eq!(
        apply(&ctx, doc! { "_id": 1, "a": [1, 5, 8, 2] }, doc! { "$pull": { "a": { "$gte": 5 } } })
            .await,
        doc! { "_id": 1, "a": [1, 2] }
    );
    let d = apply(
        &ctx,
        doc! { "_id": 1, "a": [{ "k": 1, "v": "x" }, { "k": 2, "v": "y" }] },
        doc! { "$pull": { "a": { "k": 2 } } },
    )
    .await;
    assert_eq!(d, doc! { "_id": 1, "a": [{ "k": 1, "v": "x" }] });
    assert_eq!(
        apply(&ctx, doc! { "_id": 1, "a": [1, 2, 1, 3] }, doc! { "$pullAll": { "a": [1, 3] } })
            .await,
        doc! { "_id": 1, "a": [2] }
    );
    assert_eq!(
        apply_err(&ctx, doc! { "_id": 1, "a": 1 }, doc! { "$push": { "a": 2 } }).await,
        Some(2)
    );
}

#[tokio::test]
async fn positional_paths() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("pos");
    c.insert_one(doc! { "_id": 1, "grades": [80, 95, 70], "items": [{ "n": "a", "q": 1 }, { "n": "b", "q": 2 }] }).await.unwrap();
    c.update_one(doc! { "grades": 95 }, doc! { "$set": { "grades.$": 96 } }).await.unwrap();
    c.update_one(doc! { "items.n": "b" }, doc! { "$inc": { "items.$.q": 10 } }).await.unwrap();
    let d = c.find_one(doc! {}).await.unwrap().unwrap();
    assert_eq!(
        d.get_array("grades").unwrap(),
        &vec![Bson::Int32(80), Bson::Int32(96), Bson::Int32(70)]
    );
    assert_eq!(d.get_array("items").unwrap()[1].as_document().unwrap().get_i32("q").unwrap(), 12);
    c.update_one(doc! {}, doc! { "$inc": { "grades.$[]": 1 } }).await.unwrap();
    c.update_one(doc! {}, doc! { "$set": { "grades.$[g]": 0 } })
        .array_filters(vec![doc! { "g": { "$lt": 80 } }])
        .await
        .unwrap();
    c.update_one(doc! {}, doc! { "$set": { "items.$[it].n": "z" } })
        .array_filters(vec![doc! { "it.q": { "$gt": 5 } }])
        .await
        .unwrap();
    let d = c.find_one(doc! {}).await.unwrap().unwrap();
    assert_eq!(
        d.get_array("grades").unwrap(),
        &vec![Bson::Int32(81), Bson::Int32(97), Bson::Int32(0)]
    );
    assert_eq!(d.get_array("items").unwrap()[1].as_document().unwrap().get_str("n").unwrap(), "z");
    let e = c.update_one(doc! {}, doc! { "$set": { "grades.$": 1 } }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(2));
}

#[tokio::test]
async fn pipeline_updates_and_replacement() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("pipe");
    c.insert_one(doc! { "_id": 1, "a": 2, "b": 3, "junk": 1 }).await.unwrap();
    c.update_one(
        doc! { "_id": 1 },
        vec![doc! { "$set": { "sum": { "$add": ["$a", "$b"] } } }, doc! { "$unset": "junk" }],
    )
    .await
    .unwrap();
    assert_eq!(
        c.find_one(doc! {}).await.unwrap().unwrap(),
        doc! { "_id": 1, "a": 2, "b": 3, "sum": 5 }
    );
    c.update_one(doc! { "_id": 1 }, vec![doc! { "$project": { "sum": 1 } }]).await.unwrap();
    assert_eq!(c.find_one(doc! {}).await.unwrap().unwrap(), doc! { "_id": 1, "sum": 5 });
    c.update_one(
        doc! { "_id": 1 },
        vec![doc! { "$replaceWith": { "_id": "$_id", "wrapped": "$sum" } }],
    )
    .await
    .unwrap();
    assert_eq!(c.find_one(doc! {}).await.unwrap().unwrap(), doc! { "_id": 1, "wrapped": 5 });
    c.update_one(
        doc! { "_id": 1 },
        vec![doc! { "$replaceRoot": { "newRoot": { "_id": 1, "r": true } } }],
    )
    .await
    .unwrap();
    assert_eq!(c.find_one(doc! {}).await.unwrap().unwrap(), doc! { "_id": 1, "r": true });
    c.replace_one(doc! { "_id": 1 }, doc! { "x": 1 }).await.unwrap();
    assert_eq!(c.find_one(doc! {}).await.unwrap().unwrap(), doc! { "_id": 1, "x": 1 });
}

#[tokio::test]
async fn upsert_seeds_from_equality_predicates() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("seed");
    c.update_one(
        doc! { "a": 1, "b.c": "x", "n": { "$gt": 5 }, "e": { "$eq": 3 }, "$and": [{ "f": 4 }, { "g": { "$in": [1, 2] } }] },
        doc! { "$set": { "z": 1 }, "$setOnInsert": { "new": true } },
    )
    .upsert(true)
    .await
    .unwrap();
    let d = c.find_one(doc! {}).await.unwrap().unwrap();
    let mut d2 = d.clone();
    d2.remove("_id");
    assert_eq!(d2, doc! { "a": 1, "b": { "c": "x" }, "e": 3, "f": 4, "new": true, "z": 1 });
    // $setOnInsert is ignored when the document exists
    c.update_one(doc! { "a": 1 }, doc! { "$set": { "z": 2 }, "$setOnInsert": { "new": false } })
        .upsert(true)
        .await
        .unwrap();
    let d = c.find_one(doc! {}).await.unwrap().unwrap();
    assert!(d.get_bool("new").unwrap());
    assert_eq!(d.get_i32("z").unwrap(), 2);
    // a one-clause $or and a one-value $in are equalities, as mongod normalises them
    c.update_one(doc! { "$or": [{ "o": 1 }], "i": { "$in": [2] } }, doc! { "$set": { "z": 0 } })
        .upsert(true)
        .await
        .unwrap();
    let d = c.find_one(doc! { "z": 0 }).await.unwrap().unwrap();
    assert_eq!((d.get_i32("o").unwrap(), d.get_i32("i").unwrap()), (1, 2));
    // replacement upsert takes _id from the filter
    c.replace_one(doc! { "_id": 42 }, doc! { "r": 1 }).upsert(true).await.unwrap();
    assert_eq!(c.find_one(doc! { "_id": 42 }).await.unwrap().unwrap(), doc! { "_id": 42, "r": 1 });
}

#[tokio::test]
async fn update_errors() {
    let ctx = Ctx::new().await;
    assert_eq!(apply_err(&ctx, doc! { "_id": 1 }, doc! { "$set": { "_id": 2 } }).await, Some(66));
    assert_eq!(
        apply_err(&ctx, doc! { "_id": 1 }, doc! { "$set": { "a": 1 }, "$inc": { "a": 1 } }).await,
        Some(40)
    );
    assert_eq!(
        apply_err(&ctx, doc! { "_id": 1 }, doc! { "$set": { "a.b": 1, "a": 1 } }).await,
        Some(40)
    );
    // Known divergence, on purpose: MongoDB 5+ (and SecantusDB) accept nested `$` field names.
    if ctx.is_lite() {
        assert_eq!(
            apply_err(&ctx, doc! { "_id": 1 }, doc! { "$set": { "a": { "$bad": 1 } } }).await,
            Some(52)
        );
    }
    assert_eq!(
        apply_err(&ctx, doc! { "_id": 1, "l": i64::MAX }, doc! { "$inc": { "l": 1 } }).await,
        Some(2)
    );
    assert_eq!(
        apply_err(&ctx, doc! { "_id": 1, "a": 5 }, doc! { "$set": { "a.b": 1 } }).await,
        Some(28)
    );
    let c = ctx.coll("upd");
    let e = c.replace_one(doc! {}, doc! { "_id": 9, "x": 1 }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(66));
    let r = ctx
        .db()
        .run_command(
            doc! { "update": "upd", "updates": [{ "q": {}, "u": { "$frob": { "a": 1 } } }] },
        )
        .await
        .unwrap();
    let we = r.get_array("writeErrors").unwrap()[0].as_document().unwrap().clone();
    assert_eq!(we.get_i32("code").unwrap(), 9);
    assert_eq!(we.get_i32("index").unwrap(), 0);
}
