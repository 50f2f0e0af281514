//! Shared setup: two registered apps, `alpha` and `beta`, on a fresh database.

use futures_util::TryStreamExt;
use mdbr_core::AppSlug;
use mdbr_scope::bson::{Document, doc};
use mdbr_scope::mongodb::Collection;
use mdbr_scope::{AppEntry, ErrorKind, Scope, ScopedDatabase};
use mdbr_test_support::TestDb;

pub(crate) fn slug(s: &str) -> AppSlug {
    AppSlug::parse(s).unwrap()
}

pub(crate) struct Env {
    pub(crate) t: TestDb,
    pub(crate) scope: Scope,
    pub(crate) a: ScopedDatabase,
    pub(crate) b: ScopedDatabase,
}

pub(crate) async fn env() -> Env {
    let t = TestDb::fresh().await.expect("a test server");
    let scope = Scope::new(t.db.clone());
    scope.register(AppEntry::new(slug("alpha"))).await.unwrap();
    scope.register(AppEntry::new(slug("beta"))).await.unwrap();
    let a = scope.app("alpha").unwrap();
    let b = scope.app("beta").unwrap();
    Env { t, scope, a, b }
}

impl Env {
    /// A raw handle on a physical collection, for planting and checking data.
    pub(crate) fn raw(&self, physical: &str) -> Collection<Document> {
        self.t.db.collection(physical)
    }

    /// All documents of a physical collection, sorted by `_id`.
    pub(crate) async fn raw_docs(&self, physical: &str) -> Vec<Document> {
        self.raw(physical)
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }

    /// Seeds `items` of both apps through their scopes, and plants in each
    /// app's physical collection one document of the *other* app, as a
    /// shared or legacy collection would hold. Scoped operations must never
    /// see or touch the planted documents.
    pub(crate) async fn seed(&self) {
        let a = self.a.collection::<Document>("items").unwrap();
        a.insert_many([doc! { "_id": 1, "k": 1, "v": "a1" }, doc! { "_id": 2, "k": 2, "v": "a2" }])
            .await
            .unwrap();
        let b = self.b.collection::<Document>("items").unwrap();
        b.insert_many([doc! { "_id": 11, "k": 1, "v": "b1" }]).await.unwrap();
        self.raw("alpha_items")
            .insert_one(doc! { "_id": 100, "k": 1, "v": "planted-beta", "app_id": "beta" })
            .await
            .unwrap();
        self.raw("beta_items")
            .insert_one(doc! { "_id": 200, "k": 1, "v": "planted-alpha", "app_id": "alpha" })
            .await
            .unwrap();
    }

    /// Every alpha document anywhere in the database, for before/after checks.
    pub(crate) async fn alpha_everywhere(&self) -> Vec<Document> {
        let mut out = Vec::new();
        let mut names = self.t.db.list_collection_names().await.unwrap();
        names.sort();
        for name in names {
            let docs: Vec<Document> = self
                .raw(&name)
                .find(doc! { "app_id": "alpha" })
                .sort(doc! { "_id": 1 })
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            out.extend(docs.into_iter().map(|d| doc! { "coll": &name, "doc": d }));
        }
        out
    }
}

pub(crate) fn ids(docs: &[Document]) -> Vec<i32> {
    let mut v: Vec<i32> = docs.iter().filter_map(|d| d.get_i32("_id").ok()).collect();
    v.sort();
    v
}

pub(crate) async fn collect(cursor: mdbr_scope::mongodb::Cursor<Document>) -> Vec<Document> {
    cursor.try_collect().await.unwrap()
}

#[track_caller]
pub(crate) fn assert_violation<T: std::fmt::Debug>(r: mdbr_scope::Result<T>) -> String {
    match r {
        Err(e) => match e.kind() {
            ErrorKind::ScopeViolation { reason } => reason.clone(),
            other => panic!("expected a scope violation, got {other:?} ({e})"),
        },
        Ok(v) => panic!("expected a scope violation, got Ok({v:?})"),
    }
}
