//! `Scope`: the runtime-wide root that hands out one [`ScopedDatabase`] per app.

use std::sync::{Arc, RwLock};

use mdbr_core::AppSlug;

use crate::database::ScopedDatabase;
use crate::error::{Error, ErrorKind, Result};
use crate::observer::QueryObserver;
use crate::registry::{
    AppAccess, AppEntry, AppRegistry, MemoryRegistry, check_register, readable_apps,
};
use crate::rules::ScopeRules;

/// The root of the scoped layer for one MongoDB database shared by many apps.
///
/// It owns the raw `mongodb::Database` (which never leaves this crate), the
/// [`AppRegistry`] and the [`QueryObserver`]s. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Scope {
    pub(crate) shared: Arc<Shared>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) db: mongodb::Database,
    pub(crate) registry: Arc<dyn AppRegistry>,
    /// Read on every operation: an `Arc` slice, so taking it is one increment.
    pub(crate) observers: RwLock<Arc<[Arc<dyn QueryObserver>]>>,
}

impl Scope {
    /// A scope over `db` with an in-memory registry.
    pub fn new(db: mongodb::Database) -> Self {
        Self::with_registry(db, Arc::new(MemoryRegistry::new()))
    }

    /// A scope over `db` whose apps are kept in `registry`.
    pub fn with_registry(db: mongodb::Database, registry: Arc<dyn AppRegistry>) -> Self {
        Self {
            shared: Arc::new(Shared {
                db,
                registry,
                observers: RwLock::new(Arc::from(Vec::new())),
            }),
        }
    }

    /// Adds an observer that sees every operation of every app in this scope.
    pub fn add_observer(&self, observer: Arc<dyn QueryObserver>) {
        let mut observers = self.shared.observers.write().unwrap_or_else(|e| e.into_inner());
        let mut list = observers.to_vec();
        list.push(observer);
        *observers = Arc::from(list);
    }

    /// The registry this scope enforces.
    pub fn registry(&self) -> &Arc<dyn AppRegistry> {
        &self.shared.registry
    }

    /// The name of the shared database.
    pub fn db_name(&self) -> &str {
        self.shared.db.name()
    }

    /// A runtime-internal collection (`_mdbr_apps`, `_mdbr_sessions`, …).
    ///
    /// Only names starting with `_mdbr_` are accepted: app slugs start with
    /// a letter, so no app's physical collection can be reached this way, and
    /// no app ever holds a `Scope`.
    pub fn runtime_collection(&self, name: &str) -> Result<mongodb::Collection<bson::Document>> {
        if !name.starts_with("_mdbr_")
            || name.len() > 64
            || name.contains('$')
            || name.contains("..")
        {
            return Err(Error::invalid(format!(
                "`{name}` is not a runtime collection name (they start with `_mdbr_`)"
            )));
        }
        Ok(self.raw_collection(name))
    }

    /// Round-trip time of a `ping` to the database.
    pub async fn ping(&self) -> Result<std::time::Duration> {
        let start = std::time::Instant::now();
        self.shared.db.run_command(bson::doc! { "ping": 1 }).await?;
        Ok(start.elapsed())
    }

    /// Registers (or re-registers) an app, refusing it when another app
    /// already holds collections under its prefix (DESIGN §3).
    pub async fn register(&self, entry: AppEntry) -> Result<()> {
        let existing =
            self.shared.db.list_collection_names().filter(prefix_filter(&entry.slug)).await?;
        check_register(self.shared.registry.as_ref(), &entry.slug, &existing)?;
        self.shared.registry.put(entry);
        Ok(())
    }

    /// Forgets an app. Its data stays in the database.
    pub fn unregister(&self, slug: &AppSlug) {
        self.shared.registry.remove(slug);
    }

    /// The scoped database of a registered app.
    pub fn app(&self, slug: &str) -> Result<ScopedDatabase> {
        let slug = AppSlug::parse(slug)?;
        let entry = self.entry(&slug)?;
        let mut rules =
            ScopeRules::new(slug, self.shared.registry.clone()).with_db_name(self.db_name());
        if entry.access == AppAccess::ReadOnly {
            rules = rules.with_read_only();
        }
        Ok(ScopedDatabase::new(
            self.clone(),
            rules,
            readable_apps(self.shared.registry.as_ref(), &entry),
        ))
    }

    /// The raw handle of a physical collection: the scope layer's one call
    /// to `mongodb::Database::collection`. Callers resolve `physical` through
    /// `ScopeRules` first.
    pub(crate) fn raw_collection<T: Send + Sync>(&self, physical: &str) -> mongodb::Collection<T> {
        #[expect(
            clippy::disallowed_methods,
            reason = "the scope layer's one raw collection handle"
        )]
        self.shared.db.collection::<T>(physical)
    }

    /// Refuses a whole-collection write (`$out`, `$merge`, `drop`) on a
    /// physical collection that holds documents of other apps: such an
    /// operation would replace or remove them along with the app's own.
    pub(crate) async fn ensure_exclusive(
        &self,
        owner: &AppSlug,
        physical: &str,
        what: &str,
    ) -> Result<()> {
        let foreign = self
            .raw_collection::<bson::Document>(physical)
            .count_documents(bson::doc! { crate::rules::APP_ID: { "$ne": owner.as_str() } })
            .limit(1)
            .await?;
        if foreign > 0 {
            return Err(Error::violation(format!(
                "{what} refused: collection `{physical}` holds documents of other apps"
            )));
        }
        Ok(())
    }

    pub(crate) fn entry(&self, slug: &AppSlug) -> Result<AppEntry> {
        let entry = self
            .shared
            .registry
            .get(slug)
            .ok_or_else(|| Error::from(ErrorKind::UnknownApp(slug.to_string())))?;
        if entry.access == AppAccess::Disabled {
            return Err(Error::denied(format!("app `{slug}` is inactive")));
        }
        Ok(entry)
    }
}

/// `{name: /^<slug>_/}`: the physical collections under an app's prefix.
pub(crate) fn prefix_filter(slug: &AppSlug) -> bson::Document {
    // Slugs are `[a-z0-9_-]`, none of which is special outside a class.
    bson::doc! { "name": { "$regex": format!("^{}", slug.prefix()) } }
}
