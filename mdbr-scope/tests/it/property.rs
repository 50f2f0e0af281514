//! Property test: random filters, updates and pipelines, generated from a
//! small grammar, run by app `beta` on a live server. No result of beta ever
//! contains an alpha document, and nothing beta does changes alpha's data.

use mdbr_scope::bson::{Bson, Document, doc};
use mdbr_scope::mongodb::options::UpdateModifications;
use proptest::prelude::*;

use crate::common::{Env, env};

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("k".to_owned()),
        Just("v".to_owned()),
        Just("app_id".to_owned()),
        Just("_id".to_owned()),
        Just("tags".to_owned()),
        Just("nested.x".to_owned()),
    ]
}

fn value() -> impl Strategy<Value = Bson> {
    prop_oneof![
        (0i32..4).prop_map(Bson::Int32),
        Just(Bson::from("alpha")),
        Just(Bson::from("beta")),
        Just(Bson::from("a1")),
        Just(Bson::Null),
        Just(Bson::Array(vec![Bson::from("alpha"), Bson::from("beta")])),
    ]
}

fn predicate() -> impl Strategy<Value = Document> {
    (field(), value(), 0..7usize).prop_map(|(f, v, op)| match op {
        0 => doc! { f: v },
        1 => doc! { f: { "$ne": v } },
        2 => doc! { f: { "$gte": v } },
        3 => doc! { f: { "$in": [v, "alpha"] } },
        4 => doc! { f: { "$exists": true } },
        5 => doc! { f: { "$not": { "$eq": v } } },
        _ => doc! { "$expr": { "$eq": [format!("${f}"), v] } },
    })
}

fn filter() -> impl Strategy<Value = Document> {
    let leaf = prop_oneof![Just(doc! {}), predicate()];
    leaf.prop_recursive(3, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| doc! { "$or": v }),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| doc! { "$and": v }),
            prop::collection::vec(inner, 1..3).prop_map(|v| doc! { "$nor": v }),
        ]
    })
}

fn update() -> impl Strategy<Value = UpdateModifications> {
    (field(), value(), 0..6usize).prop_map(|(f, v, op)| match op {
        0 => doc! { "$set": { f: v } }.into(),
        1 => doc! { "$unset": { f: "" } }.into(),
        2 => doc! { "$rename": { "v": f } }.into(),
        3 => doc! { "$setOnInsert": { f: v } }.into(),
        4 => UpdateModifications::Pipeline(vec![doc! { "$set": { f: v } }]),
        _ => UpdateModifications::Pipeline(vec![doc! { "$replaceWith": { "k": 9 } }]),
    })
}

fn target() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("items".to_owned()),
        Just("alpha_items".to_owned()),
        Just("beta_items".to_owned()),
        Just("other".to_owned()),
    ]
}

fn stage() -> impl Strategy<Value = Document> {
    prop_oneof![
        filter().prop_map(|f| doc! { "$match": f }),
        target().prop_map(
            |t| doc! { "$lookup": { "from": t, "localField": "k", "foreignField": "k", "as": "j" } }
        ),
        (target(), filter()).prop_map(
            |(t, f)| doc! { "$lookup": { "from": t, "pipeline": [ { "$match": f } ], "as": "j" } }
        ),
        (target(), filter()).prop_map(
            |(t, f)| doc! { "$unionWith": { "coll": t, "pipeline": [ { "$match": f } ] } }
        ),
        (target(), filter()).prop_map(|(t, f)| doc! { "$graphLookup": {
        "from": t, "startWith": "$k", "connectFromField": "k", "connectToField": "k", "as": "g",
        "restrictSearchWithMatch": f } }),
        Just(doc! { "$project": { "app_id": 0 } }),
        Just(doc! { "$addFields": { "app_id": "alpha" } }),
        target().prop_map(|t| doc! { "$facet": { "f": [ { "$unionWith": t } ] } }),
    ]
}

fn tail() -> impl Strategy<Value = Option<Document>> {
    prop_oneof![
        Just(None),
        target().prop_map(|t| Some(doc! { "$out": t })),
        target().prop_map(|t| Some(doc! { "$merge": { "into": t } })),
        target().prop_map(|t| Some(
            doc! { "$merge": { "into": t, "whenMatched": [ { "$set": { "app_id": "alpha" } } ] } }
        )),
    ]
}

#[derive(Debug, Clone)]
enum Action {
    Find(Document),
    Count(Document),
    Distinct(Document),
    Update(Document, UpdateModifications, bool, bool),
    Delete(Document, bool),
    Aggregate(Vec<Document>, Option<Document>),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        filter().prop_map(Action::Find),
        filter().prop_map(Action::Count),
        filter().prop_map(Action::Distinct),
        (filter(), update(), any::<bool>(), any::<bool>())
            .prop_map(|(f, u, m, up)| Action::Update(f, u, m, up)),
        (filter(), any::<bool>()).prop_map(|(f, m)| Action::Delete(f, m)),
        (prop::collection::vec(stage(), 0..4), tail()).prop_map(|(s, t)| Action::Aggregate(s, t)),
    ]
}

/// Every alpha document carries the value `a-secret`, which nothing beta can
/// generate produces: seeing it anywhere in a result means a leak. (The
/// string "alpha" alone proves nothing: beta may write it into its own data.)
fn mentions_alpha(docs: &[Document]) -> bool {
    format!("{docs:?}").contains("a-secret")
}

async fn run(e: &Env, action: Action) -> Result<Vec<Document>, mdbr_scope::Error> {
    use futures_util::TryStreamExt;
    let b = e.b.collection::<Document>("items")?;
    Ok(match action {
        Action::Find(f) => b.find(f).await?.try_collect().await.map_err(mdbr_scope::Error::from)?,
        Action::Count(f) => vec![doc! { "n": b.count_documents(f).await? as i64 }],
        Action::Distinct(f) => vec![doc! { "values": b.distinct("v", f).await? }],
        Action::Update(f, u, multi, upsert) => {
            if multi {
                b.update_many(f, u).upsert(upsert).await?;
            } else {
                b.update_one(f, u).upsert(upsert).await?;
            }
            vec![]
        }
        Action::Delete(f, multi) => {
            if multi {
                b.delete_many(f).await?;
            } else {
                b.delete_one(f).await?;
            }
            vec![]
        }
        Action::Aggregate(mut stages, tail) => {
            stages.extend(tail);
            b.aggregate(stages).await?.try_collect().await.map_err(mdbr_scope::Error::from)?
        }
    })
}

#[test]
fn random_operations_of_beta_never_reach_alpha() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let e = runtime.block_on(async {
        let e = env().await;
        // alpha's secrets, in alpha's collections and planted in beta's.
        let a = e.a.collection::<Document>("items").unwrap();
        a.insert_many([
            doc! { "_id": 1, "k": 1, "v": "a-secret" },
            doc! { "_id": 2, "k": 2, "v": "a-secret" },
        ])
        .await
        .unwrap();
        e.a.collection::<Document>("other")
            .unwrap()
            .insert_one(doc! { "k": 1, "v": "a-secret" })
            .await
            .unwrap();
        e.raw("beta_items")
            .insert_one(doc! { "_id": 100, "k": 1, "v": "a-secret", "app_id": "alpha" })
            .await
            .unwrap();
        e.b.collection::<Document>("items")
            .unwrap()
            .insert_many([doc! { "k": 1, "v": "b1" }, doc! { "k": 3 }])
            .await
            .unwrap();
        e
    });
    let before = runtime.block_on(e.alpha_everywhere());
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        ..ProptestConfig::default()
    });
    runner
        .run(&action(), |action| {
            let out = runtime.block_on(run(&e, action.clone()));
            if let Ok(docs) = &out {
                prop_assert!(
                    !mentions_alpha(docs),
                    "beta saw alpha data: {:?} -> {:?}",
                    action,
                    docs
                );
            }
            let after = runtime.block_on(e.alpha_everywhere());
            prop_assert_eq!(&after, &before, "alpha's data changed after {:?}", action);
            Ok(())
        })
        .unwrap();
}
