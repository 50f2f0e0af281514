//! The query language, with expectations from MongoDB's documentation.
use mongodb::bson::{Bson, Document, doc};

use crate::{Ctx, all, code_of};

async fn ids(c: &mongodb::Collection<Document>, filter: Document) -> Vec<i32> {
    let docs = all(c.find(filter).sort(doc! { "_id": 1 }).await.unwrap()).await;
    docs.iter().map(|d| d.get_i32("_id").unwrap()).collect()
}

async fn fixture(ctx: &Ctx) -> mongodb::Collection<Document> {
    let c = ctx.coll("q");
    c.insert_many(vec![
        doc! { "_id": 1, "a": 1, "tags": ["x", "y"], "n": { "b": 1 } },
        doc! { "_id": 2, "a": 2.0, "tags": ["y"], "n": { "b": [1, 2] } },
        doc! { "_id": 3, "a": "2", "tags": [], "n": [{ "b": 3 }, { "b": 4 }] },
        doc! { "_id": 4, "a": null, "arr": [[1, 2], 3] },
        doc! { "_id": 5, "a": [1, 5], "items": [{ "k": "p", "q": 1 }, { "k": "r", "q": 9 }] },
        doc! { "_id": 6, "items": [{ "k": "p", "q": 9 }, { "k": "r", "q": 1 }] },
    ])
    .await
    .unwrap();
    c
}

#[tokio::test]
async fn equality_and_array_matching() {
    let ctx = Ctx::new().await;
    let c = fixture(&ctx).await;
    // numbers compare across types; arrays match by element
    assert_eq!(ids(&c, doc! { "a": 1 }).await, vec![1, 5]);
    assert_eq!(ids(&c, doc! { "a": 2 }).await, vec![2]);
    assert_eq!(ids(&c, doc! { "tags": "y" }).await, vec![1, 2]);
    // whole-array equality is exact and ordered
    assert_eq!(ids(&c, doc! { "tags": ["x", "y"] }).await, vec![1]);
    assert_eq!(ids(&c, doc! { "tags": ["y", "x"] }).await, Vec::<i32>::new());
    assert_eq!(ids(&c, doc! { "tags": [] }).await, vec![3]);
    // an array element that is itself an array
    assert_eq!(ids(&c, doc! { "arr": [1, 2] }).await, vec![4]);
    // null matches null and missing
    assert_eq!(ids(&c, doc! { "a": null }).await, vec![4, 6]);
    assert_eq!(ids(&c, doc! { "a": { "$ne": null } }).await, vec![1, 2, 3, 5]);
    // embedded document equality
    assert_eq!(ids(&c, doc! { "n": { "b": 1 } }).await, vec![1]);
}

#[tokio::test]
async fn dotted_paths_through_arrays_and_indexes() {
    let ctx = Ctx::new().await;
    let c = fixture(&ctx).await;
    assert_eq!(ids(&c, doc! { "n.b": 1 }).await, vec![1, 2]);
    assert_eq!(ids(&c, doc! { "n.b": 4 }).await, vec![3]);
    assert_eq!(ids(&c, doc! { "tags.0": "y" }).await, vec![2]);
    assert_eq!(ids(&c, doc! { "n.1.b": 4 }).await, vec![3]);
    assert_eq!(ids(&c, doc! { "items.k": "r" }).await, vec![5, 6]);
    // without $elemMatch, conditions may be met by different elements
    assert_eq!(ids(&c, doc! { "items.k": "p", "items.q": 9 }).await, vec![5, 6]);
    // with $elemMatch, one element must meet all of them
    assert_eq!(ids(&c, doc! { "items": { "$elemMatch": { "k": "p", "q": 9 } } }).await, vec![6]);
}

#[tokio::test]
async fn comparison_operators_respect_type_brackets() {
    let ctx = Ctx::new().await;
    let c = fixture(&ctx).await;
    assert_eq!(ids(&c, doc! { "a": { "$gt": 1 } }).await, vec![2, 5]);
    assert_eq!(ids(&c, doc! { "a": { "$gte": 1, "$lt": 2 } }).await, vec![1, 5]);
    assert_eq!(ids(&c, doc! { "a": { "$lte": "2" } }).await, vec![3]);
    assert_eq!(ids(&c, doc! { "a": { "$in": [2, "2"] } }).await, vec![2, 3]);
    assert_eq!(ids(&c, doc! { "a": { "$nin": [1, null] } }).await, vec![2, 3]);
    assert_eq!(ids(&c, doc! { "a": { "$eq": 5 } }).await, vec![5]);
    // an array matches a range when one element is in each bound (not necessarily the same)
    let r = ctx.coll("range");
    r.insert_many(vec![doc! { "_id": 1, "v": [1, 10] }, doc! { "_id": 2, "v": [5] }])
        .await
        .unwrap();
    assert_eq!(ids(&r, doc! { "v": { "$gt": 3, "$lt": 7 } }).await, vec![1, 2]);
    assert_eq!(ids(&r, doc! { "v": { "$elemMatch": { "$gt": 3, "$lt": 7 } } }).await, vec![2]);
}

#[tokio::test]
async fn logical_operators() {
    let ctx = Ctx::new().await;
    let c = fixture(&ctx).await;
    assert_eq!(ids(&c, doc! { "$or": [{ "a": 1 }, { "a": "2" }] }).await, vec![1, 3, 5]);
    assert_eq!(ids(&c, doc! { "$and": [{ "tags": "y" }, { "a": { "$gt": 1 } }] }).await, vec![2]);
    assert_eq!(ids(&c, doc! { "$nor": [{ "a": 1 }, { "a": null }] }).await, vec![2, 3]);
    assert_eq!(ids(&c, doc! { "a": { "$not": { "$gt": 1 } } }).await, vec![1, 3, 4, 6]);
    let e = c.find_one(doc! { "$or": [] }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(2));
}

#[tokio::test]
async fn element_and_array_operators() {
    let ctx = Ctx::new().await;
    let c = fixture(&ctx).await;
    assert_eq!(ids(&c, doc! { "a": { "$exists": false } }).await, vec![6]);
    assert_eq!(ids(&c, doc! { "items": { "$exists": true } }).await, vec![5, 6]);
    assert_eq!(ids(&c, doc! { "a": { "$type": "string" } }).await, vec![3]);
    assert_eq!(ids(&c, doc! { "a": { "$type": "double" } }).await, vec![2]);
    assert_eq!(ids(&c, doc! { "a": { "$type": "number" } }).await, vec![1, 2, 5]);
    assert_eq!(ids(&c, doc! { "a": { "$type": "array" } }).await, vec![5]);
    assert_eq!(ids(&c, doc! { "a": { "$type": 10 } }).await, vec![4]);
    assert_eq!(ids(&c, doc! { "tags": { "$size": 2 } }).await, vec![1]);
    assert_eq!(ids(&c, doc! { "tags": { "$size": 0 } }).await, vec![3]);
    assert_eq!(ids(&c, doc! { "tags": { "$all": ["y", "x"] } }).await, vec![1]);
    assert_eq!(
        ids(&c, doc! { "items": { "$all": [{ "$elemMatch": { "q": 9 } }] } }).await,
        vec![5, 6]
    );
    assert_eq!(ids(&c, doc! { "a": { "$mod": [2, 0] } }).await, vec![2]);
}

#[tokio::test]
async fn regex_expr_comment_and_where() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("rx");
    c.insert_many(vec![
        doc! { "_id": 1, "s": "Apple", "lo": 1, "hi": 5 },
        doc! { "_id": 2, "s": "banana", "lo": 7, "hi": 3 },
        doc! { "_id": 3, "s": ["cherry", "apricot"], "lo": 0, "hi": 0 },
    ])
    .await
    .unwrap();
    assert_eq!(ids(&c, doc! { "s": { "$regex": "^a", "$options": "i" } }).await, vec![1, 3]);
    assert_eq!(ids(&c, doc! { "s": { "$regex": "an" } }).await, vec![2]);
    let re =
        mongodb::bson::Regex { pattern: "^b".try_into().unwrap(), options: "".try_into().unwrap() };
    assert_eq!(ids(&c, doc! { "s": Bson::RegularExpression(re) }).await, vec![2]);
    assert_eq!(ids(&c, doc! { "$expr": { "$gt": ["$hi", "$lo"] } }).await, vec![1]);
    assert_eq!(ids(&c, doc! { "lo": { "$gte": 0 }, "$comment": "why not" }).await, vec![1, 2, 3]);
    // mdbr-lite does not run JavaScript: $where is refused (BadValue; SecantusDB uses its own code).
    let e = c.find_one(doc! { "$where": "this.lo > 1" }).await.unwrap_err();
    assert!(code_of(&e).is_some());
    if ctx.is_lite() {
        assert_eq!(code_of(&e), Some(2));
    }
    let e = c.find_one(doc! { "lo": { "$frob": 1 } }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(2));
}

#[tokio::test]
async fn sort_order_across_types_and_arrays() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("sorting");
    c.insert_many(vec![
        doc! { "_id": 1, "v": "b" },
        doc! { "_id": 2, "v": 3 },
        doc! { "_id": 3, "v": null },
        doc! { "_id": 4 },
        doc! { "_id": 5, "v": { "x": 1 } },
        doc! { "_id": 6, "v": true },
        doc! { "_id": 7, "v": 1.5 },
        doc! { "_id": 8, "v": [0, 9] },
        doc! { "_id": 9, "v": mongodb::bson::DateTime::from_millis(0) },
        doc! { "_id": 10, "v": mongodb::bson::oid::ObjectId::parse_str("000000000000000000000001").unwrap() },
    ])
    .await
    .unwrap();
    // null/missing < numbers < strings < objects < ObjectId < bool < date; arrays sort by
    // their smallest element ascending and their largest descending
    let asc = all(c.find(doc! {}).sort(doc! { "v": 1, "_id": 1 }).await.unwrap()).await;
    let asc: Vec<i32> = asc.iter().map(|d| d.get_i32("_id").unwrap()).collect();
    assert_eq!(asc, vec![3, 4, 8, 7, 2, 1, 5, 10, 6, 9]);
    let desc = all(c.find(doc! {}).sort(doc! { "v": -1, "_id": 1 }).await.unwrap()).await;
    let desc: Vec<i32> = desc.iter().map(|d| d.get_i32("_id").unwrap()).collect();
    assert_eq!(desc, vec![9, 6, 10, 5, 1, 8, 2, 7, 3, 4]);
}

#[tokio::test]
async fn projection_forms() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("proj");
    c.insert_one(doc! {
        "_id": 1, "a": 1, "b": { "c": 2, "d": 3 },
        "arr": [{ "x": 1, "y": 1 }, { "x": 2, "y": 2 }, { "x": 3, "y": 3 }],
        "nums": [1, 2, 3, 4, 5],
    })
    .await
    .unwrap();
    let one = |p: Document| {
        let c = c.clone();
        async move { c.find_one(doc! {}).projection(p).await.unwrap().unwrap() }
    };
    assert_eq!(one(doc! { "a": 1 }).await, doc! { "_id": 1, "a": 1 });
    assert_eq!(one(doc! { "a": 1, "_id": 0 }).await, doc! { "a": 1 });
    assert_eq!(one(doc! { "_id": 1 }).await, doc! { "_id": 1 });
    assert_eq!(
        one(doc! { "_id": 0, "arr": 0, "nums": 0 }).await,
        doc! { "a": 1, "b": { "c": 2, "d": 3 } }
    );
    assert_eq!(one(doc! { "b.c": 1 }).await, doc! { "_id": 1, "b": { "c": 2 } });
    assert_eq!(
        one(doc! { "arr.x": 1, "_id": 0 }).await,
        doc! { "arr": [{ "x": 1 }, { "x": 2 }, { "x": 3 }] }
    );
    let ex = one(doc! { "arr": 0, "nums": 0, "b.d": 0 }).await;
    assert_eq!(ex, doc! { "_id": 1, "a": 1, "b": { "c": 2 } });
    assert_eq!(
        one(doc! { "nums": { "$slice": 2 }, "_id": 0, "a": 1 }).await,
        doc! { "a": 1, "nums": [1, 2] }
    );
    assert_eq!(
        one(doc! { "nums": { "$slice": -2 }, "arr": 0, "b": 0 }).await,
        doc! { "_id": 1, "a": 1, "nums": [4, 5] }
    );
    assert_eq!(
        one(doc! { "nums": { "$slice": [1, 2] }, "arr": 0, "b": 0, "a": 0 }).await,
        doc! { "_id": 1, "nums": [2, 3] }
    );
    // $elemMatch projection: the first matching element only
    assert_eq!(
        one(doc! { "arr": { "$elemMatch": { "x": { "$gte": 2 } } } }).await,
        doc! { "_id": 1, "arr": [{ "x": 2, "y": 2 }] }
    );
    // positional projection uses the query
    let d = c.find_one(doc! { "arr.x": 3 }).projection(doc! { "arr.$": 1 }).await.unwrap().unwrap();
    assert_eq!(d, doc! { "_id": 1, "arr": [{ "x": 3, "y": 3 }] });
    // computed fields
    assert_eq!(one(doc! { "_id": 0, "sum": { "$add": ["$a", "$b.c"] } }).await, doc! { "sum": 3 });
    let e = c.find_one(doc! {}).projection(doc! { "a": 1, "b": 0 }).await.unwrap_err();
    assert!(code_of(&e).is_some());
}

#[tokio::test]
async fn null_and_exists_through_arrays() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("nulls");
    c.insert_many(vec![
        doc! { "_id": 1, "a": [{ "b": 1 }, { "c": 1 }] },
        doc! { "_id": 2, "a": [1, 2] },
        doc! { "_id": 3, "a": null },
        doc! { "_id": 4 },
        doc! { "_id": 5, "a": { "b": null } },
        doc! { "_id": 6, "a": 5 },
    ])
    .await
    .unwrap();
    assert_eq!(ids(&c, doc! { "a.b": null }).await, vec![1, 3, 4, 5, 6]);
    assert_eq!(ids(&c, doc! { "a.b": { "$exists": false } }).await, vec![2, 3, 4, 6]);
    assert_eq!(ids(&c, doc! { "a": { "$lte": null } }).await, vec![3, 4]);
    assert_eq!(ids(&c, doc! { "a": { "$in": [null, 5] } }).await, vec![3, 4, 6]);
}
