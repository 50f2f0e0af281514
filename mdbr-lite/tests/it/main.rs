//! Integration tests for mdbr-lite, through the official MongoDB driver over TCP.
#![allow(clippy::disallowed_methods, reason = "tests open raw collections on the engine")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers may panic"
)]

mod admin;
mod aggregate;
mod concurrency;
mod crud;
mod durability;
mod errors;
mod expressions;
mod handshake;
mod indexes;
mod joins;
mod query;
mod search;
mod tenant;
mod update;
mod vector;
mod wire;

use mongodb::bson::Document;
use mongodb::{Client, Collection, Database};

/// A server to test against and a client connected to it.
///
/// With `MDBR_LITE_IT_URI` set, tests that only need a MongoDB-compatible server run against
/// that URI instead (e.g. a SecantusDB or mongod reference server), each in its own database.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) server: Option<mdbr_lite::LiteServer>,
    pub(crate) client: Client,
    db_name: String,
}

static NEXT_DB: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Ctx {
    /// A fresh in-memory lite server, or the reference server named by `MDBR_LITE_IT_URI`.
    pub(crate) async fn new() -> Self {
        match std::env::var("MDBR_LITE_IT_URI") {
            Ok(uri) => {
                let client = Client::with_uri_str(uri).await.unwrap();
                let n = NEXT_DB.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let db_name = format!("it_{}_{n}", std::process::id());
                client.database(&db_name).drop().await.unwrap();
                Ctx { server: None, client, db_name }
            }
            Err(_) => Self::lite().await,
        }
    }

    /// Always a fresh in-memory lite server (for tests of this engine's own behaviour).
    pub(crate) async fn lite() -> Self {
        let server =
            mdbr_lite::LiteServer::builder().bind("127.0.0.1:0").memory().start().await.unwrap();
        let client = Client::with_uri_str(server.uri()).await.unwrap();
        Ctx { server: Some(server), client, db_name: "test".to_string() }
    }

    /// The lite server (panics when testing an external server).
    pub(crate) fn server(&self) -> &mdbr_lite::LiteServer {
        self.server.as_ref().unwrap()
    }

    /// Whether this is the in-repo engine (not a reference server).
    pub(crate) fn is_lite(&self) -> bool {
        self.server.is_some()
    }

    pub(crate) fn db(&self) -> Database {
        self.client.database(&self.db_name)
    }

    pub(crate) fn coll(&self, name: &str) -> Collection<Document> {
        self.db().collection(name)
    }
}

/// The server error code of a driver error.
pub(crate) fn code_of(e: &mongodb::error::Error) -> Option<i32> {
    use mongodb::error::{ErrorKind, WriteFailure};
    match e.kind.as_ref() {
        ErrorKind::Command(c) => Some(c.code),
        ErrorKind::Write(WriteFailure::WriteError(w)) => Some(w.code),
        ErrorKind::InsertMany(i) => i.write_errors.as_ref().and_then(|w| w.first()).map(|w| w.code),
        ErrorKind::BulkWrite(b) => b.write_errors.values().next().map(|w| w.code),
        _ => None,
    }
}

/// Collects a cursor of documents.
pub(crate) async fn all(cursor: mongodb::Cursor<Document>) -> Vec<Document> {
    use futures_util::TryStreamExt;
    cursor.try_collect().await.unwrap()
}
