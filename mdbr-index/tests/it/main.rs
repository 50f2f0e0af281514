//! Integration tests of index management against a live server.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auto;
mod declared;

use mdbr_core::AppSlug;
use mdbr_scope::{AppEntry, Scope, ScopedDatabase};
use mdbr_test_support::TestDb;

pub(crate) async fn app(slug: &str) -> (TestDb, Scope, ScopedDatabase) {
    let t = TestDb::fresh().await.expect("a test server");
    let scope = Scope::new(t.db.clone());
    scope.register(AppEntry::new(AppSlug::parse(slug).unwrap())).await.unwrap();
    let db = scope.app(slug).unwrap();
    (t, scope, db)
}
