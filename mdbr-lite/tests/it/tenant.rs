//! The tenant-field count (`app_id`): an equality on it is dropped while every document holds
//! the value, so whatever the writes do, a query with `{app_id: "a"}` (which may be dropped)
//! must return exactly what `{app_id: {$in: ["a"]}}` (never dropped) returns.
use futures_util::TryStreamExt;
use mongodb::bson::{Bson, Document, RawDocumentBuf, doc, rawdoc};
use proptest::prelude::*;

use crate::Ctx;

/// What a document holds in `app_id`.
#[derive(Debug, Clone, Copy)]
enum Tag {
    A,
    B,
    Missing,
    Number,
    ArrayWithA,
    /// `app_id` twice: "b" then "a" (the last occurrence counts).
    RepeatedEndingA,
    /// `app_id` twice: "a" then "b".
    RepeatedEndingB,
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Tag),
    Replace(usize, Tag),
    Set(usize, Tag),
    Delete(usize),
    DeleteAll,
}

fn tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        6 => Just(Tag::A),
        2 => Just(Tag::B),
        1 => Just(Tag::Missing),
        1 => Just(Tag::Number),
        1 => Just(Tag::ArrayWithA),
        1 => Just(Tag::RepeatedEndingA),
        1 => Just(Tag::RepeatedEndingB),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => tag().prop_map(Op::Insert),
        2 => (0usize..8, tag()).prop_map(|(i, t)| Op::Replace(i, t)),
        2 => (0usize..8, tag()).prop_map(|(i, t)| Op::Set(i, t)),
        2 => (0usize..8).prop_map(Op::Delete),
        1 => Just(Op::DeleteAll),
    ]
}

/// A document with `_id: id`, `k: id` and `app_id` as `t` says, as BSON bytes (so a field can
/// repeat).
fn document(id: i32, t: Tag, with_id: bool) -> RawDocumentBuf {
    let mut d = if with_id {
        rawdoc! { "_id": id, "k": id }
    } else {
        rawdoc! { "k": id }
    };
    match t {
        Tag::A => d.append(mongodb::bson::raw::cstr!("app_id"), "a"),
        Tag::B => d.append(mongodb::bson::raw::cstr!("app_id"), "b"),
        Tag::Missing => {}
        Tag::Number => d.append(mongodb::bson::raw::cstr!("app_id"), 7),
        Tag::ArrayWithA => {
            let mut arr = mongodb::bson::RawArrayBuf::new();
            arr.push("b");
            arr.push("a");
            d.append(mongodb::bson::raw::cstr!("app_id"), arr);
        }
        Tag::RepeatedEndingA | Tag::RepeatedEndingB => {
            let (first, last) =
                if matches!(t, Tag::RepeatedEndingA) { ("b", "a") } else { ("a", "b") };
            d.append(mongodb::bson::raw::cstr!("app_id"), first);
            d.append(mongodb::bson::raw::cstr!("k2"), 1);
            d.append(mongodb::bson::raw::cstr!("app_id"), last);
        }
    }
    d
}

fn set_update(t: Tag) -> Document {
    match t {
        Tag::A => doc! { "$set": { "app_id": "a" } },
        Tag::B => doc! { "$set": { "app_id": "b" } },
        Tag::Missing => doc! { "$unset": { "app_id": "" } },
        Tag::Number => doc! { "$set": { "app_id": 7 } },
        Tag::ArrayWithA | Tag::RepeatedEndingA => doc! { "$set": { "app_id": ["b", "a"] } },
        Tag::RepeatedEndingB => doc! { "$set": { "app_id": ["c"] } },
    }
}

async fn ids(coll: &mongodb::Collection<Document>, filter: Document) -> Vec<Bson> {
    let docs: Vec<Document> =
        coll.find(filter).sort(doc! { "_id": 1 }).await.unwrap().try_collect().await.unwrap();
    docs.into_iter().filter_map(|d| d.get("_id").cloned()).collect()
}

async fn grouped(coll: &mongodb::Collection<Document>, filter: Document) -> Vec<Document> {
    let pipeline =
        [doc! { "$match": filter }, doc! { "$group": { "_id": null, "n": { "$sum": 1 } } }];
    coll.aggregate(pipeline).await.unwrap().try_collect().await.unwrap()
}

async fn check(coll: &mongodb::Collection<Document>) -> Result<(), TestCaseError> {
    for v in ["a", "b"] {
        let known = doc! { "app_id": v, "k": { "$gte": 0 } };
        let reference = doc! { "app_id": { "$in": [v] }, "k": { "$gte": 0 } };
        prop_assert_eq!(ids(coll, known.clone()).await, ids(coll, reference.clone()).await);
        prop_assert_eq!(
            ids(coll, doc! { "app_id": v }).await,
            ids(coll, doc! { "app_id": { "$in": [v] } }).await
        );
        prop_assert_eq!(grouped(coll, known).await, grouped(coll, reference).await);
        let counted = coll.count_documents(doc! { "app_id": v }).await.unwrap();
        let reference_count =
            coll.count_documents(doc! { "app_id": { "$in": [v] } }).await.unwrap();
        prop_assert_eq!(counted, reference_count);
    }
    Ok(())
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let ctx = Ctx::lite().await;
    let coll = ctx.coll("tenant");
    let raw = coll.clone_with_type::<RawDocumentBuf>();
    let mut next = 0;
    for op in ops {
        match op {
            Op::Insert(t) => {
                raw.insert_one(document(next, t, true)).await.unwrap();
                next += 1;
            }
            Op::Replace(i, t) if next > 0 => {
                let id = (i as i32) % next;
                // A replacement may not change `_id`: it carries none.
                let d = document(id, t, false);
                raw.replace_one(doc! { "_id": id }, d).await.unwrap();
            }
            Op::Set(i, t) if next > 0 => {
                let id = (i as i32) % next;
                coll.update_one(doc! { "_id": id }, set_update(t)).await.unwrap();
            }
            Op::Delete(i) if next > 0 => {
                coll.delete_one(doc! { "_id": (i as i32) % next }).await.unwrap();
            }
            Op::DeleteAll => {
                coll.delete_many(doc! {}).await.unwrap();
            }
            _ => {}
        }
        check(&coll).await?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn tenant_equality_agrees_with_the_general_path(ops in proptest::collection::vec(op(), 1..24)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(run(ops))?;
    }
}

#[tokio::test]
async fn a_reopened_collection_counts_its_documents_again() {
    let dir = crate::durability::temp_dir("tenant");
    {
        let server = mdbr_lite::LiteServer::builder().data_dir(&dir).start().await.unwrap();
        let client = mongodb::Client::with_uri_str(server.uri()).await.unwrap();
        let coll = client.database("test").collection::<Document>("tenant");
        coll.insert_many([doc! { "_id": 1, "app_id": "a" }, doc! { "_id": 2, "app_id": "b" }])
            .await
            .unwrap();
        server.shutdown().await;
    }
    let server = mdbr_lite::LiteServer::builder().data_dir(&dir).start().await.unwrap();
    let client = mongodb::Client::with_uri_str(server.uri()).await.unwrap();
    let coll = client.database("test").collection::<Document>("tenant");
    assert_eq!(ids(&coll, doc! { "app_id": "a" }).await, vec![Bson::Int32(1)]);
    coll.delete_one(doc! { "_id": 2 }).await.unwrap();
    assert_eq!(ids(&coll, doc! { "app_id": "a" }).await, vec![Bson::Int32(1)]);
    assert_eq!(ids(&coll, doc! { "app_id": "b" }).await, Vec::<Bson>::new());
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
