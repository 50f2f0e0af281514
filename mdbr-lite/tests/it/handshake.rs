//! Handshake and server-information commands.
use mongodb::bson::{Bson, doc};

use crate::Ctx;

#[tokio::test]
async fn hello_reports_limits_and_wire_versions() {
    let ctx = Ctx::lite().await;
    let admin = ctx.client.database("admin");
    let r = admin.run_command(doc! { "hello": 1 }).await.unwrap();
    assert!(r.get_bool("isWritablePrimary").unwrap());
    assert_eq!(r.get_i32("maxWireVersion").unwrap(), 21);
    assert_eq!(r.get_i32("minWireVersion").unwrap(), 0);
    assert_eq!(r.get_i32("maxBsonObjectSize").unwrap(), 16 * 1024 * 1024);
    assert_eq!(r.get_i32("maxMessageSizeBytes").unwrap(), 48_000_000);
    assert_eq!(r.get_i32("maxWriteBatchSize").unwrap(), 100_000);
    assert_eq!(r.get_i32("logicalSessionTimeoutMinutes").unwrap(), 30);
    let legacy = admin.run_command(doc! { "isMaster": 1 }).await.unwrap();
    assert!(legacy.get_bool("ismaster").unwrap());
}

#[tokio::test]
async fn ping_build_info_and_friends() {
    let ctx = Ctx::lite().await;
    let admin = ctx.client.database("admin");
    admin.run_command(doc! { "ping": 1 }).await.unwrap();
    let bi = admin.run_command(doc! { "buildInfo": 1 }).await.unwrap();
    assert_eq!(bi.get_str("version").unwrap(), "7.0.0");
    let hi = admin.run_command(doc! { "hostInfo": 1 }).await.unwrap();
    assert!(hi.get_document("system").is_ok());
    ctx.coll("c").insert_one(doc! { "a": 1 }).await.unwrap();
    let ss = admin.run_command(doc! { "serverStatus": 1 }).await.unwrap();
    assert!(ss.get_document("connections").unwrap().get_i64("current").unwrap() >= 1);
    assert!(ss.get_document("opcounters").unwrap().get_i64("insert").unwrap() >= 1);
    assert!(ss.get("uptime").is_some());
    let cs = admin.run_command(doc! { "connectionStatus": 1 }).await.unwrap();
    assert!(cs.get_document("authInfo").is_ok());
    let me = admin.run_command(doc! { "whatsmyuri": 1 }).await.unwrap();
    assert!(me.get_str("you").unwrap().starts_with("127.0.0.1:"));
    let log = admin.run_command(doc! { "getLog": "global" }).await.unwrap();
    assert!(matches!(log.get("log"), Some(Bson::Array(_))));
    admin.run_command(doc! { "endSessions": [] }).await.unwrap();
}

#[tokio::test]
async fn sessions_are_accepted() {
    let ctx = Ctx::new().await;
    let mut s = ctx.client.start_session().await.unwrap();
    let c = ctx.coll("s");
    c.insert_one(doc! { "x": 1 }).session(&mut s).await.unwrap();
    assert_eq!(c.count_documents(doc! {}).session(&mut s).await.unwrap(), 1);
}

#[tokio::test]
async fn unknown_command_is_command_not_found() {
    let ctx = Ctx::new().await;
    let e = ctx.db().run_command(doc! { "frobnicate": 1 }).await.unwrap_err();
    assert_eq!(crate::code_of(&e), Some(59));
}

#[tokio::test]
async fn uri_and_addr_agree() {
    let ctx = Ctx::lite().await;
    let addr = ctx.server().addr();
    assert!(ctx.server().uri().starts_with(&format!("mongodb://{addr}/")));
    let Ctx { server, client, .. } = ctx;
    drop(client);
    server.unwrap().shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
