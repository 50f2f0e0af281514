//! Aggregation expressions and the remaining stages, with expectations from MongoDB's
//! documentation of each operator.
use mongodb::bson::{Bson, DateTime, Document, doc};

use crate::{Ctx, all};

/// Evaluates each expression of `exprs` against `input` with `$project`.
async fn eval(ctx: &Ctx, input: Document, exprs: Document) -> Document {
    let c = ctx.coll("e");
    c.delete_many(doc! {}).await.unwrap();
    let mut input = input;
    input.insert("_id", 1);
    c.insert_one(input).await.unwrap();
    let mut proj = exprs;
    proj.insert("_id", 0);
    let r = all(c.aggregate(vec![doc! { "$project": proj }]).await.unwrap()).await;
    r.into_iter().next().unwrap()
}

#[tokio::test]
async fn arithmetic() {
    let ctx = Ctx::new().await;
    let r = eval(
        &ctx,
        doc! { "a": 7, "b": 2, "f": 2.5, "n": -3 },
        doc! {
            "add": { "$add": ["$a", "$b", 1] },
            "sub": { "$subtract": ["$a", "$b"] },
            "mul": { "$multiply": ["$a", "$f"] },
            "div": { "$divide": ["$a", "$b"] },
            "mod": { "$mod": ["$a", "$b"] },
            "abs": { "$abs": "$n" },
            "ceil": { "$ceil": "$f" },
            "floor": { "$floor": "$f" },
            "round": { "$round": [1234.5678, 2] }, "half": { "$round": [2.5, 0] }, "half2": { "$round": [3.5] },
            "trunc": { "$trunc": [2.789, 1] },
            "sqrt": { "$sqrt": 16 },
            "pow": { "$pow": [2, 10] },
            "nul": { "$add": ["$a", "$missing"] },
        },
    )
    .await;
    assert_eq!(
        r,
        doc! {
            "add": 10, "sub": 5, "mul": 17.5, "div": 3.5, "mod": 1, "abs": 3,
            "ceil": 3.0, "floor": 2.0, "round": 1234.57, "half": 2.0, "half2": 4.0, "trunc": 2.7, "sqrt": 4.0, "pow": 1024,
            "nul": null,
        }
    );
}

#[tokio::test]
async fn comparison_boolean_and_conditionals() {
    let ctx = Ctx::new().await;
    let r = eval(
        &ctx,
        doc! { "a": 5, "s": "x", "z": null },
        doc! {
            "eq": { "$eq": ["$a", 5] }, "ne": { "$ne": ["$a", 5] }, "gt": { "$gt": ["$a", 4] },
            "lte": { "$lte": ["$a", 4] }, "cmp": { "$cmp": ["$s", "y"] },
            "and": { "$and": [true, { "$gt": ["$a", 1] }] }, "or": { "$or": [false, 0] },
            "not": { "$not": [false] },
            "cond": { "$cond": { "if": { "$gte": ["$a", 5] }, "then": "big", "else": "small" } },
            "cond2": { "$cond": [false, 1, 2] },
            "ifNull": { "$ifNull": ["$z", "$missing", "fallback"] },
            "switch": { "$switch": { "branches": [
                { "case": { "$lt": ["$a", 0] }, "then": "neg" },
                { "case": { "$lt": ["$a", 10] }, "then": "small" },
            ], "default": "large" } },
        },
    )
    .await;
    assert_eq!(
        r,
        doc! {
            "eq": true, "ne": false, "gt": true, "lte": false, "cmp": -1, "and": true, "or": false,
            "not": true, "cond": "big", "cond2": 2, "ifNull": "fallback", "switch": "small",
        }
    );
}

#[tokio::test]
async fn strings() {
    let ctx = Ctx::new().await;
    let r = eval(
        &ctx,
        doc! { "s": "  Hello World  ", "t": "a,b,c" },
        doc! {
            "concat": { "$concat": ["x", "-", "y"] },
            "lower": { "$toLower": "ABC" }, "upper": { "$toUpper": "abc" },
            "trim": { "$trim": { "input": "$s" } },
            "ltrim": { "$ltrim": { "input": "xxab", "chars": "x" } },
            "substr": { "$substrCP": ["hello", 1, 3] },
            "len": { "$strLenCP": "héllo" },
            "split": { "$split": ["$t", ","] },
            "idx": { "$indexOfCP": ["hello", "l"] },
            "casecmp": { "$strcasecmp": ["abc", "ABC"] },
            "re": { "$regexMatch": { "input": "Hello", "regex": "^h", "options": "i" } },
            "rep": { "$replaceAll": { "input": "a-b-c", "find": "-", "replacement": "+" } },
            "str": { "$toString": 42 },
        },
    )
    .await;
    assert_eq!(
        r,
        doc! {
            "concat": "x-y", "lower": "abc", "upper": "ABC", "trim": "Hello World", "ltrim": "ab",
            "substr": "ell", "len": 5, "split": ["a", "b", "c"], "idx": 2, "casecmp": 0, "re": true,
            "rep": "a+b+c", "str": "42",
        }
    );
}

#[tokio::test]
async fn arrays() {
    let ctx = Ctx::new().await;
    let r = eval(
        &ctx,
        doc! { "xs": [1, 2, 3, 4], "ys": [3, 4, 5] },
        doc! {
            "size": { "$size": "$xs" },
            "at": { "$arrayElemAt": ["$xs", -1] },
            "filter": { "$filter": { "input": "$xs", "as": "x", "cond": { "$gt": ["$$x", 2] } } },
            "map": { "$map": { "input": "$xs", "in": { "$multiply": ["$$this", 10] } } },
            "reduce": { "$reduce": { "input": "$xs", "initialValue": 0, "in": { "$add": ["$$value", "$$this"] } } },
            "in": { "$in": [3, "$xs"] },
            "slice": { "$slice": ["$xs", 1, 2] },
            "sliceNeg": { "$slice": ["$xs", -2] },
            "concat": { "$concatArrays": ["$xs", "$ys"] },
            "rev": { "$reverseArray": "$ys" },
            "range": { "$range": [0, 6, 2] },
            "indexOf": { "$indexOfArray": ["$xs", 3] },
            "union": { "$setUnion": ["$xs", "$ys"] },
            "inter": { "$setIntersection": ["$xs", "$ys"] },
            "first": { "$first": "$xs" },
            "last": { "$last": "$xs" },
            "isArray": { "$isArray": "$xs" },
        },
    )
    .await;
    assert_eq!(
        r,
        doc! {
            "size": 4, "at": 4, "filter": [3, 4], "map": [10, 20, 30, 40], "reduce": 10, "in": true,
            "slice": [2, 3], "sliceNeg": [3, 4], "concat": [1, 2, 3, 4, 3, 4, 5], "rev": [5, 4, 3],
            "range": [0, 2, 4], "indexOf": 2, "union": [1, 2, 3, 4, 5], "inter": [3, 4],
            "first": 1, "last": 4, "isArray": true,
        }
    );
}

#[tokio::test]
async fn conversions_and_dates() {
    let ctx = Ctx::new().await;
    let when = DateTime::from_millis(1_700_000_000_123); // 2023-11-14T22:13:20.123Z, a Tuesday
    let r = eval(
        &ctx,
        doc! { "d": when, "n": "42", "f": 3.9 },
        doc! {
            "toInt": { "$toInt": "$n" }, "toLong": { "$toLong": "$f" }, "toDouble": { "$toDouble": "$n" },
            "toBool": { "$toBool": 0 },
            "convert": { "$convert": { "input": "abc", "to": "int", "onError": -1 } },
            "convertNull": { "$convert": { "input": "$missing", "to": "int", "onNull": 0 } },
            "year": { "$year": "$d" }, "month": { "$month": "$d" }, "day": { "$dayOfMonth": "$d" },
            "hour": { "$hour": "$d" }, "minute": { "$minute": "$d" }, "second": { "$second": "$d" },
            "ms": { "$millisecond": "$d" }, "dow": { "$dayOfWeek": "$d" }, "doy": { "$dayOfYear": "$d" },
            "str": { "$dateToString": { "format": "%Y-%m-%d %H:%M:%S.%L", "date": "$d" } },
            "parsed": { "$dateFromString": { "dateString": "2023-11-14T22:13:20.123Z" } },
            "toDate": { "$toDate": 1_700_000_000_123_i64 },
        },
    )
    .await;
    assert_eq!(
        r,
        doc! {
            "toInt": 42, "toLong": 3_i64, "toDouble": 42.0, "toBool": false, "convert": -1,
            "convertNull": 0, "year": 2023, "month": 11, "day": 14, "hour": 22, "minute": 13,
            "second": 20, "ms": 123, "dow": 3, "doy": 318, "str": "2023-11-14 22:13:20.123",
            "parsed": when, "toDate": when,
        }
    );
}

#[tokio::test]
async fn literal_let_and_system_variables() {
    let ctx = Ctx::new().await;
    let r = eval(
        &ctx,
        doc! { "a": 2, "b": 3 },
        doc! {
            "lit": { "$literal": "$a" },
            "let": { "$let": { "vars": { "x": "$a", "y": { "$add": ["$b", 1] } }, "in": { "$multiply": ["$$x", "$$y"] } } },
            "root": "$$ROOT.a",
            "current": "$$CURRENT.b",
            "gone": "$$REMOVE",
            "now": { "$eq": [{ "$type": "$$NOW" }, "date"] },
        },
    )
    .await;
    assert_eq!(r, doc! { "lit": "$a", "let": 8, "root": 2, "current": 3, "now": true });
    // $$REMOVE conditionally drops a field.
    let c = ctx.coll("e");
    let r = all(
        c.aggregate(vec![doc! { "$project": { "_id": 0, "x": { "$cond": [{ "$gt": ["$a", 5] }, "$a", "$$REMOVE"] }, "a": 1 } }])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r, vec![doc! { "a": 2 }]);
}

#[tokio::test]
async fn group_accumulators_and_stage_shapes() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("g");
    c.insert_many(vec![
        doc! { "_id": 1, "k": "a", "v": 1, "tag": "x" },
        doc! { "_id": 2, "k": "a", "v": 3, "tag": "y" },
        doc! { "_id": 3, "k": "b", "v": 5, "tag": "x" },
        doc! { "_id": 4, "k": "a", "v": 2, "tag": "x" },
    ])
    .await
    .unwrap();
    let r = all(
        c.aggregate(vec![
            doc! { "$sort": { "_id": 1 } },
            doc! { "$group": {
                "_id": "$k", "sum": { "$sum": "$v" }, "avg": { "$avg": "$v" }, "min": { "$min": "$v" },
                "max": { "$max": "$v" }, "first": { "$first": "$v" }, "last": { "$last": "$v" },
                "push": { "$push": "$v" }, "set": { "$addToSet": "$tag" }, "n": { "$count": {} },
            } },
            doc! { "$sort": { "_id": 1 } },
        ])
        .await
        .unwrap(),
    )
    .await;
    let mut a = r[0].clone();
    let mut set: Vec<String> =
        a.get_array("set").unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect();
    set.sort();
    a.remove("set");
    assert_eq!(set, vec!["x", "y"]);
    assert_eq!(
        a,
        doc! { "_id": "a", "sum": 6, "avg": 2.0, "min": 1, "max": 3, "first": 1, "last": 2, "push": [1, 3, 2], "n": 3 }
    );
    // $replaceWith / $replaceRoot, $sortByCount, $count, $unset, $sample.
    let r = all(c
        .aggregate(vec![
            doc! { "$match": { "_id": 1 } },
            doc! { "$replaceWith": { "key": "$k", "both": { "$concat": ["$k", "$tag"] } } },
        ])
        .await
        .unwrap())
    .await;
    assert_eq!(r, vec![doc! { "key": "a", "both": "ax" }]);
    let r = all(c.aggregate(vec![doc! { "$sortByCount": "$tag" }]).await.unwrap()).await;
    assert_eq!(r, vec![doc! { "_id": "x", "count": 3 }, doc! { "_id": "y", "count": 1 }]);
    let r = all(c.aggregate(vec![doc! { "$sample": { "size": 2 } }]).await.unwrap()).await;
    assert_eq!(r.len(), 2);
    assert_ne!(r[0].get_i32("_id").unwrap(), r[1].get_i32("_id").unwrap());
    let r = all(c
        .aggregate(vec![doc! { "$match": { "_id": 1 } }, doc! { "$unset": ["tag", "v"] }])
        .await
        .unwrap())
    .await;
    assert_eq!(r, vec![doc! { "_id": 1, "k": "a" }]);
    let r = all(
        c.aggregate(vec![
            doc! { "$match": { "_id": 1 } },
            doc! { "$replaceRoot": { "newRoot": { "$mergeObjects": [{ "dflt": true }, "$$ROOT"] } } },
            doc! { "$set": { "extra": { "$size": [[1, 2]] } } },
        ])
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(r, vec![doc! { "dflt": true, "_id": 1, "k": "a", "v": 1, "tag": "x", "extra": 2 }]);
    let _ = Bson::Null;
}
