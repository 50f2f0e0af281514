//! Databases and collections: list, create, drop, rename.
use mongodb::bson::{Bson, doc};

use crate::{Ctx, code_of};

#[tokio::test]
async fn list_and_create_collections() {
    let ctx = Ctx::new().await;
    let db = ctx.db();
    db.create_collection("made").await.unwrap();
    // like mongod 7+: creating it again with the same options succeeds, other options conflict
    db.create_collection("made").await.unwrap();
    let e =
        db.run_command(doc! { "create": "made", "capped": true, "size": 4096 }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(48));
    ctx.coll("implicit").insert_one(doc! { "a": 1 }).await.unwrap();
    let mut names = db.list_collection_names().await.unwrap();
    names.sort();
    assert_eq!(names, vec!["implicit", "made"]);
    let filtered = db.list_collection_names().filter(doc! { "name": "made" }).await.unwrap();
    assert_eq!(filtered, vec!["made"]);
    let r = db
        .run_command(doc! { "listCollections": 1, "filter": { "name": "implicit" } })
        .await
        .unwrap();
    let cur = r.get_document("cursor").unwrap();
    assert_eq!(cur.get_i64("id").unwrap(), 0);
    assert_eq!(cur.get_str("ns").unwrap(), format!("{}.$cmd.listCollections", db.name()));
    let entry = cur.get_array("firstBatch").unwrap()[0].as_document().unwrap().clone();
    assert_eq!(entry.get_str("type").unwrap(), "collection");
    assert!(entry.get_document("options").is_ok());
    assert!(matches!(entry.get_document("info").unwrap().get("uuid"), Some(Bson::Binary(_))));
    assert_eq!(entry.get_document("idIndex").unwrap().get_str("name").unwrap(), "_id_");
    let r = db.run_command(doc! { "listCollections": 1, "nameOnly": true }).await.unwrap();
    let first = r.get_document("cursor").unwrap().get_array("firstBatch").unwrap()[0]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(first.keys().collect::<Vec<_>>(), vec!["name", "type"]);
    let specs: Vec<_> = {
        use futures_util::TryStreamExt;
        db.list_collections().await.unwrap().try_collect().await.unwrap()
    };
    assert_eq!(specs.len(), 2);
}

#[tokio::test]
async fn list_databases_and_drop() {
    let ctx = Ctx::new().await;
    ctx.client
        .database("one")
        .collection::<mongodb::bson::Document>("c")
        .insert_one(doc! {})
        .await
        .unwrap();
    ctx.client
        .database("two")
        .collection::<mongodb::bson::Document>("c")
        .insert_one(doc! {})
        .await
        .unwrap();
    let names = ctx.client.list_database_names().await.unwrap();
    assert!(names.contains(&"one".to_string()) && names.contains(&"two".to_string()));
    let dbs = ctx.client.list_databases().await.unwrap();
    assert!(dbs.iter().any(|d| d.name == "one"));
    ctx.client.database("one").drop().await.unwrap();
    assert!(!ctx.client.list_database_names().await.unwrap().contains(&"one".to_string()));
    let c = ctx.client.database("two").collection::<mongodb::bson::Document>("c");
    c.drop().await.unwrap();
    // dropping a missing collection succeeds (mongod 7+)
    c.drop().await.unwrap();
    ctx.client.database("two").run_command(doc! { "drop": "c" }).await.unwrap();
}

#[tokio::test]
async fn rename_collection() {
    let ctx = Ctx::new().await;
    ctx.coll("src").insert_many(vec![doc! { "_id": 1 }, doc! { "_id": 2 }]).await.unwrap();
    ctx.coll("dst").insert_one(doc! { "_id": 9 }).await.unwrap();
    let admin = ctx.client.database("admin");
    let n = ctx.db().name().to_string();
    let (src, dst, x) = (format!("{n}.src"), format!("{n}.dst"), format!("{n}.x"));
    let e = admin.run_command(doc! { "renameCollection": &src, "to": &dst }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(48));
    admin
        .run_command(doc! { "renameCollection": &src, "to": &dst, "dropTarget": true })
        .await
        .unwrap();
    assert_eq!(ctx.coll("dst").count_documents(doc! {}).await.unwrap(), 2);
    assert_eq!(ctx.coll("src").count_documents(doc! {}).await.unwrap(), 0);
    let e = admin.run_command(doc! { "renameCollection": &src, "to": &x }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(26));
}
