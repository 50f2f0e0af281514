//! Persistence: reopening a data directory, and acknowledged writes surviving `kill -9`.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mongodb::IndexModel;
use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;

use crate::code_of;

pub(crate) fn temp_dir(tag: &str) -> PathBuf {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let d = std::env::temp_dir().join(format!("mdbr-lite-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn reopening_a_data_dir_restores_everything() {
    let dir = temp_dir("reopen");
    {
        let server = mdbr_lite::LiteServer::builder().data_dir(&dir).start().await.unwrap();
        let client = mongodb::Client::with_uri_str(server.uri()).await.unwrap();
        let c = client.database("app").collection::<Document>("users");
        c.insert_many((0..50).map(|i| doc! { "_id": i, "email": format!("u{i}@x") }))
            .await
            .unwrap();
        c.create_index(
            IndexModel::builder()
                .keys(doc! { "email": 1 })
                .options(IndexOptions::builder().unique(true).build())
                .build(),
        )
        .await
        .unwrap();
        c.update_one(doc! { "_id": 3 }, doc! { "$set": { "v": 1 } }).await.unwrap();
        c.delete_one(doc! { "_id": 4 }).await.unwrap();
        client.database("app").create_collection("empty").await.unwrap();
        client.database("gone").collection::<Document>("x").insert_one(doc! {}).await.unwrap();
        client.database("gone").drop().await.unwrap();
        client
            .database("app")
            .collection::<Document>("tmp")
            .insert_one(doc! { "k": 1 })
            .await
            .unwrap();
        client
            .database("admin")
            .run_command(doc! { "renameCollection": "app.tmp", "to": "app.renamed" })
            .await
            .unwrap();
        drop(client);
        server.shutdown().await;
    }
    let server = mdbr_lite::LiteServer::builder().data_dir(&dir).start().await.unwrap();
    let client = mongodb::Client::with_uri_str(server.uri()).await.unwrap();
    let db = client.database("app");
    let mut names = db.list_collection_names().await.unwrap();
    names.sort();
    assert_eq!(names, vec!["empty", "renamed", "users"]);
    let c = db.collection::<Document>("users");
    assert_eq!(c.count_documents(doc! {}).await.unwrap(), 49);
    assert_eq!(c.find_one(doc! { "_id": 3 }).await.unwrap().unwrap().get_i32("v").unwrap(), 1);
    assert!(c.find_one(doc! { "_id": 4 }).await.unwrap().is_none());
    assert_eq!(code_of(&c.insert_one(doc! { "email": "u7@x" }).await.unwrap_err()), Some(11000));
    assert!(!client.list_database_names().await.unwrap().contains(&"gone".to_string()));
    assert_eq!(
        db.collection::<Document>("renamed").count_documents(doc! { "k": 1 }).await.unwrap(),
        1
    );
    drop(client);
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn(dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mdbr-lite"))
        .args(["--bind", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let dir = temp_dir("kill9");
    let port = free_port();
    let mut child = spawn(&dir, port);
    wait_ready(port).await;
    let uri = format!("mongodb://127.0.0.1:{port}/?directConnection=true");
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let c = client.database("dur").collection::<Document>("w");
    c.create_index(
        IndexModel::builder()
            .keys(doc! { "k": 1 })
            .options(IndexOptions::builder().unique(true).build())
            .build(),
    )
    .await
    .unwrap();
    for i in 0..200 {
        c.insert_one(doc! { "_id": i, "k": i }).await.unwrap();
    }
    c.insert_many((200..1200).map(|i| doc! { "_id": i, "k": i })).await.unwrap();
    c.update_many(doc! { "_id": { "$lt": 100 } }, doc! { "$set": { "touched": true } })
        .await
        .unwrap();
    c.delete_many(doc! { "_id": { "$gte": 1100 } }).await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    drop(client);

    let mut child = spawn(&dir, port);
    wait_ready(port).await;
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let c = client.database("dur").collection::<Document>("w");
    assert_eq!(c.count_documents(doc! {}).await.unwrap(), 1100);
    assert_eq!(c.count_documents(doc! { "touched": true }).await.unwrap(), 100);
    assert_eq!(code_of(&c.insert_one(doc! { "k": 5 }).await.unwrap_err()), Some(11000));
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
