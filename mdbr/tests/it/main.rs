//! Integration tests of the runtime engine against a live server.
#![allow(
    missing_docs,
    clippy::disallowed_methods,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod embedded;
mod http;
mod realtime;
mod registration;

use mdbr::{RuntimeEngine, RuntimeEngineBuilder};
use mdbr_test_support::TestDb;

/// An engine on the test backend, in a database of its own.
pub(crate) async fn engine() -> (TestDb, RuntimeEngine) {
    let t = TestDb::fresh().await.expect("a test server");
    let engine = builder(&t).build().await.unwrap();
    (t, engine)
}

pub(crate) fn builder(t: &TestDb) -> RuntimeEngineBuilder {
    RuntimeEngine::builder().mongo_uri(&t.uri).db_name(t.db.name())
}

pub(crate) fn manifest(json: serde_json::Value) -> mdbr::Manifest {
    mdbr::Manifest::from_value(json).unwrap().manifest
}
