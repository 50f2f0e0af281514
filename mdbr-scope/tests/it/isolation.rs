//! For every public operation: what app `alpha` writes is invisible to app
//! `beta`, `beta` cannot modify or delete it, and `alpha`'s own operation
//! still works. Each app's physical collection also holds one planted
//! document of the other app (see `Env::seed`), which must stay out of reach.

use std::time::Duration;

use futures_util::StreamExt;
use mdbr_scope::bson::{Bson, Document, doc};
use mdbr_scope::mongodb::IndexModel;
use mdbr_scope::mongodb::options::{IndexOptions, ReturnDocument};
use serde::{Deserialize, Serialize};

use crate::common::{collect, env, ids};

#[tokio::test]
async fn insert_one_and_insert_many_tag_documents() {
    let e = env().await;
    let a = e.a.collection::<Document>("notes").unwrap();
    a.insert_one(doc! { "_id": 1, "t": "x" }).await.unwrap();
    a.insert_many([doc! { "_id": 2 }, doc! { "_id": 3 }]).await.unwrap();
    let raw = e.raw_docs("alpha_notes").await;
    assert_eq!(raw.len(), 3);
    assert!(raw.iter().all(|d| d.get_str("app_id").ok() == Some("alpha")), "{raw:?}");
    let b = e.b.collection::<Document>("notes").unwrap();
    assert_eq!(collect(b.find(doc! {}).await.unwrap()).await, Vec::<Document>::new());
}

#[tokio::test]
async fn typed_documents_without_app_id_round_trip() {
    // `deny_unknown_fields`: reads must not hand back the `app_id` tag.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Note {
        #[serde(rename = "_id")]
        id: i32,
        text: String,
    }
    let e = env().await;
    let a = e.a.collection::<Note>("notes").unwrap();
    let note = Note { id: 1, text: "hi".into() };
    a.insert_one(&note).await.unwrap();
    assert_eq!(a.find_one(doc! {}).await.unwrap(), Some(note.clone()));
    let mut cursor = a.find(doc! { "text": "hi" }).await.unwrap();
    assert_eq!(cursor.next().await.unwrap().unwrap(), note);
    let replaced = Note { id: 1, text: "bye".into() };
    a.replace_one(doc! { "_id": 1 }, &replaced).await.unwrap();
    assert_eq!(
        e.raw_docs("alpha_notes").await,
        vec![doc! { "_id": 1, "text": "bye", "app_id": "alpha" }]
    );
    let before = a
        .find_one_and_replace(doc! { "_id": 1 }, &note)
        .return_document(ReturnDocument::Before)
        .await
        .unwrap();
    assert_eq!(before, Some(replaced));
    let after = a
        .find_one_and_update(doc! { "_id": 1 }, doc! { "$set": { "text": "again" } })
        .return_document(ReturnDocument::After)
        .await
        .unwrap();
    assert_eq!(after, Some(Note { id: 1, text: "again".into() }));
    assert_eq!(a.find_one_and_delete(doc! {}).await.unwrap().map(|n| n.id), Some(1));
}

#[tokio::test]
async fn reads_return_documents_as_written_unless_asked_for_app_id() {
    let e = env().await;
    let a = e.a.collection::<Document>("notes").unwrap();
    a.insert_one(doc! { "_id": 1, "text": "hi", "secret": "s" }).await.unwrap();
    assert_eq!(
        a.find_one(doc! {}).await.unwrap(),
        Some(doc! { "_id": 1, "text": "hi", "secret": "s" })
    );
    let excluded = a.find_one(doc! {}).projection(doc! { "secret": 0 }).await.unwrap();
    assert_eq!(excluded, Some(doc! { "_id": 1, "text": "hi" }));
    let included = a.find_one(doc! {}).projection(doc! { "text": 1 }).await.unwrap();
    assert_eq!(included, Some(doc! { "_id": 1, "text": "hi" }));
    let asked = a.find(doc! {}).projection(doc! { "app_id": 1, "_id": 0 }).await.unwrap();
    assert_eq!(collect(asked).await, vec![doc! { "app_id": "alpha" }]);
    let asked_one = a.find_one(doc! {}).projection(doc! { "app_id": 1, "_id": 0 }).await.unwrap();
    assert_eq!(asked_one, Some(doc! { "app_id": "alpha" }));
    // The stored document still carries the tag.
    assert_eq!(
        e.raw_docs("alpha_notes").await,
        vec![doc! { "_id": 1, "text": "hi", "secret": "s", "app_id": "alpha" }]
    );
}

#[tokio::test]
async fn find_and_find_one() {
    let e = env().await;
    e.seed().await;
    let a = e.a.collection::<Document>("items").unwrap();
    let b = e.b.collection::<Document>("items").unwrap();
    assert_eq!(ids(&collect(a.find(doc! {}).await.unwrap()).await), vec![1, 2]);
    assert_eq!(ids(&collect(b.find(doc! {}).await.unwrap()).await), vec![11]);
    // Options still work: sort, skip, limit, projection.
    let page = collect(
        a.find(doc! {})
            .sort(doc! { "k": -1 })
            .skip(1)
            .limit(1)
            .projection(doc! { "v": 1 })
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page, vec![doc! { "_id": 1, "v": "a1" }]);
    // The planted other-app document is in the same physical collection, yet unseen.
    assert_eq!(a.find_one(doc! { "_id": 100 }).await.unwrap(), None);
    assert_eq!(b.find_one(doc! { "_id": 200 }).await.unwrap(), None);
    assert_eq!(a.find_one(doc! { "k": 1 }).await.unwrap().unwrap().get_str("v").ok(), Some("a1"));
}

#[tokio::test]
async fn counts_and_distinct() {
    let e = env().await;
    e.seed().await;
    let a = e.a.collection::<Document>("items").unwrap();
    let b = e.b.collection::<Document>("items").unwrap();
    assert_eq!(a.count_documents(doc! {}).await.unwrap(), 2);
    assert_eq!(a.count_documents(doc! { "k": 1 }).await.unwrap(), 1);
    assert_eq!(b.count_documents(doc! {}).await.unwrap(), 1);
    // The raw collection holds 3; the scoped estimate is the app's exact count.
    assert_eq!(e.raw("alpha_items").estimated_document_count().await.unwrap(), 3);
    assert_eq!(a.estimated_document_count().await.unwrap(), 2);
    assert_eq!(b.estimated_document_count().await.unwrap(), 1);
    let mut values = a.distinct("v", doc! {}).await.unwrap();
    values.sort_by_key(|v| v.to_string());
    assert_eq!(values, vec![Bson::from("a1"), Bson::from("a2")]);
    assert_eq!(b.distinct("v", doc! {}).await.unwrap(), vec![Bson::from("b1")]);
    assert_eq!(a.distinct("app_id", doc! {}).await.unwrap(), vec![Bson::from("alpha")]);
}

#[tokio::test]
async fn updates_touch_only_own_documents() {
    let e = env().await;
    e.seed().await;
    let before = e.alpha_everywhere().await;
    let b = e.b.collection::<Document>("items").unwrap();
    let r = b.update_many(doc! {}, doc! { "$set": { "v": "hacked" } }).await.unwrap();
    assert_eq!(r.matched_count, 1);
    let r = b.update_one(doc! { "_id": 200 }, doc! { "$set": { "v": "hacked" } }).await.unwrap();
    assert_eq!(r.matched_count, 0);
    assert_eq!(e.alpha_everywhere().await, before);
    let a = e.a.collection::<Document>("items").unwrap();
    let r = a.update_one(doc! { "_id": 1 }, doc! { "$inc": { "k": 10 } }).await.unwrap();
    assert_eq!(r.modified_count, 1);
    let r = a.update_many(doc! {}, doc! { "$set": { "seen": true } }).await.unwrap();
    assert_eq!(r.modified_count, 2);
    assert_eq!(
        e.raw("alpha_items").find_one(doc! { "_id": 100 }).await.unwrap().unwrap().get("seen"),
        None
    );
}

#[tokio::test]
async fn replace_touches_only_own_documents() {
    let e = env().await;
    e.seed().await;
    let before = e.alpha_everywhere().await;
    let b = e.b.collection::<Document>("items").unwrap();
    let r = b.replace_one(doc! { "_id": 200 }, doc! { "v": "gone" }).await.unwrap();
    assert_eq!(r.matched_count, 0);
    assert_eq!(e.alpha_everywhere().await, before);
    let a = e.a.collection::<Document>("items").unwrap();
    let r = a.replace_one(doc! { "_id": 2 }, doc! { "v": "new" }).await.unwrap();
    assert_eq!(r.modified_count, 1);
    assert_eq!(
        e.raw("alpha_items").find_one(doc! { "_id": 2 }).await.unwrap().unwrap(),
        doc! { "_id": 2, "v": "new", "app_id": "alpha" }
    );
}

#[tokio::test]
async fn deletes_touch_only_own_documents() {
    let e = env().await;
    e.seed().await;
    let before = e.alpha_everywhere().await;
    let b = e.b.collection::<Document>("items").unwrap();
    assert_eq!(b.delete_one(doc! { "_id": 200 }).await.unwrap().deleted_count, 0);
    assert_eq!(b.delete_many(doc! {}).await.unwrap().deleted_count, 1);
    assert_eq!(e.alpha_everywhere().await, before);
    let a = e.a.collection::<Document>("items").unwrap();
    assert_eq!(a.delete_one(doc! { "_id": 1 }).await.unwrap().deleted_count, 1);
    assert_eq!(a.delete_many(doc! {}).await.unwrap().deleted_count, 1);
    // The planted beta document in alpha's collection survived alpha's delete_many.
    assert_eq!(ids(&e.raw_docs("alpha_items").await), vec![100]);
}

#[tokio::test]
async fn find_one_and_modify_family() {
    let e = env().await;
    e.seed().await;
    let before = e.alpha_everywhere().await;
    let b = e.b.collection::<Document>("items").unwrap();
    assert_eq!(
        b.find_one_and_update(doc! { "_id": 200 }, doc! { "$set": { "x": 1 } }).await.unwrap(),
        None
    );
    assert_eq!(b.find_one_and_replace(doc! { "_id": 200 }, doc! { "x": 1 }).await.unwrap(), None);
    assert_eq!(b.find_one_and_delete(doc! { "_id": 200 }).await.unwrap(), None);
    assert_eq!(e.alpha_everywhere().await, before);

    let a = e.a.collection::<Document>("items").unwrap();
    let updated = a
        .find_one_and_update(doc! { "k": { "$gte": 1 } }, doc! { "$set": { "x": 1 } })
        .sort(doc! { "k": -1 })
        .return_document(ReturnDocument::After)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.get_i32("_id").ok(), Some(2));
    assert_eq!(updated.get_i32("x").ok(), Some(1));
    let replaced =
        a.find_one_and_replace(doc! { "_id": 2 }, doc! { "r": true }).await.unwrap().unwrap();
    assert_eq!(replaced.get_i32("x").ok(), Some(1));
    let deleted = a.find_one_and_delete(doc! { "_id": 2 }).await.unwrap().unwrap();
    // Returned as the app wrote it: `app_id` is bookkeeping, left out.
    assert_eq!(deleted, doc! { "_id": 2, "r": true });
    // find_one_and_update with upsert creates an alpha document.
    a.find_one_and_update(doc! { "_id": 7 }, doc! { "$set": { "u": 1 } })
        .upsert(true)
        .await
        .unwrap();
    assert_eq!(
        e.raw("alpha_items")
            .find_one(doc! { "_id": 7 })
            .await
            .unwrap()
            .unwrap()
            .get_str("app_id")
            .ok(),
        Some("alpha")
    );
}

#[tokio::test]
async fn aggregate_sees_own_documents_only() {
    let e = env().await;
    e.seed().await;
    let a = e.a.collection::<Document>("items").unwrap();
    let b = e.b.collection::<Document>("items").unwrap();
    let out = collect(
        a.aggregate([doc! { "$group": { "_id": null, "n": { "$sum": 1 } } }]).await.unwrap(),
    )
    .await;
    assert_eq!(out, vec![doc! { "_id": null, "n": 2 }]);
    let out = collect(b.aggregate([doc! { "$match": { "k": 1 } }]).await.unwrap()).await;
    assert_eq!(ids(&out), vec![11]);
}

#[tokio::test]
async fn indexes_are_per_app() {
    let e = env().await;
    e.seed().await;
    let a = e.a.collection::<Document>("items").unwrap();
    let b = e.b.collection::<Document>("items").unwrap();
    let model = IndexModel::builder()
        .keys(doc! { "k": 1 })
        .options(IndexOptions::builder().name("k_1".to_owned()).build())
        .build();
    a.create_index(model).await.unwrap();
    let models = vec![IndexModel::builder().keys(doc! { "v": 1 }).build()];
    b.create_indexes(models).await.unwrap();
    let mut a_names = a.list_index_names().await.unwrap();
    a_names.sort();
    assert_eq!(a_names, vec!["_id_", "k_1"]);
    let b_names: Vec<String> = b
        .list_indexes()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| m.options.and_then(|o| o.name))
        .collect();
    assert!(
        b_names.contains(&"v_1".to_owned()) && !b_names.contains(&"k_1".to_owned()),
        "{b_names:?}"
    );
    // beta dropping "k_1" addresses its own collection, which has no such index.
    assert!(b.drop_index("k_1").await.is_err());
    assert!(a.list_index_names().await.unwrap().contains(&"k_1".to_owned()));
    a.drop_index("k_1").await.unwrap();
    b.drop_indexes().await.unwrap();
    assert_eq!(a.list_index_names().await.unwrap(), vec!["_id_"]);
    assert_eq!(b.list_index_names().await.unwrap(), vec!["_id_"]);
}

#[tokio::test]
async fn list_collection_names_and_drop() {
    let e = env().await;
    e.seed().await;
    e.a.collection::<Document>("other").unwrap().insert_one(doc! { "x": 1 }).await.unwrap();
    e.a.create_collection("empty").await.unwrap();
    assert_eq!(e.a.list_collection_names().await.unwrap(), vec!["empty", "items", "other"]);
    assert_eq!(e.b.list_collection_names().await.unwrap(), vec!["items"]);
    // beta's `items` holds a planted alpha document: dropping it would
    // destroy alpha data, so it is refused; once it is gone, drop works.
    let b_items = e.b.collection::<Document>("items").unwrap();
    crate::common::assert_violation(b_items.drop().await);
    e.raw("beta_items").delete_one(doc! { "app_id": "alpha" }).await.unwrap();
    b_items.drop().await.unwrap();
    assert_eq!(e.b.list_collection_names().await.unwrap(), Vec::<String>::new());
    assert_eq!(e.raw_docs("alpha_items").await.len(), 3);
    e.a.collection::<Document>("other").unwrap().drop().await.unwrap();
    assert_eq!(e.a.list_collection_names().await.unwrap(), vec!["empty", "items"]);
}

#[tokio::test]
async fn watch_sees_own_changes_only() {
    let e = env().await;
    if !e.t.supports_change_streams() {
        // FIXME: mdbr-lite has no change streams yet; the rewrite is covered by
        // the `change_streams_are_filtered_by_document` snapshot and this test
        // runs on secantus.
        return;
    }
    e.seed().await;
    let b = e.b.collection::<Document>("items").unwrap();
    let mut stream = b.watch().await.unwrap();
    // An alpha document written into beta's physical collection (raw), an
    // alpha write through alpha's scope, then beta's own write.
    e.raw("beta_items").insert_one(doc! { "_id": 300, "app_id": "alpha" }).await.unwrap();
    e.a.collection::<Document>("items").unwrap().insert_one(doc! { "_id": 301 }).await.unwrap();
    b.insert_one(doc! { "_id": 302 }).await.unwrap();
    b.update_one(doc! { "_id": 302 }, doc! { "$set": { "u": 1 } }).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.full_document.unwrap().get_i32("_id").ok(), Some(302));
    let second = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(second.full_document.unwrap().get_i32("u").ok(), Some(1));
}

#[tokio::test]
async fn upsert_creates_documents_of_the_app() {
    let e = env().await;
    let a = e.a.collection::<Document>("items").unwrap();
    let r =
        a.update_one(doc! { "name": "n" }, doc! { "$set": { "v": 1 } }).upsert(true).await.unwrap();
    let id = r.upserted_id.unwrap();
    let created = e.raw("alpha_items").find_one(doc! { "_id": id }).await.unwrap().unwrap();
    assert_eq!(created.get_str("app_id").ok(), Some("alpha"));
    assert_eq!(created.get_str("name").ok(), Some("n"));
    let r = a
        .replace_one(doc! { "name": "m" }, doc! { "name": "m", "v": 2 })
        .upsert(true)
        .await
        .unwrap();
    let created = e
        .raw("alpha_items")
        .find_one(doc! { "_id": r.upserted_id.unwrap() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.get_str("app_id").ok(), Some("alpha"));
}
