//! `ScopedDatabase`: one app's view of the shared database.

use mdbr_core::{AppSlug, CollectionName};

use crate::collection::ScopedCollection;
use crate::error::{Error, Result};
use crate::registry::check_access;
use crate::rules::ScopeRules;
use crate::scope::{Scope, prefix_filter};

/// One app's view of the shared database: its own collections, plus
/// read-only access to apps that granted it. Cheap to clone.
///
/// ```no_run
/// # async fn demo(scope: mdbr_scope::Scope) -> Result<(), mdbr_scope::Error> {
/// use mdbr_scope::bson::{Document, doc};
/// let db = scope.app("hello_world")?;
/// let greetings = db.collection::<Document>("greetings")?;
/// greetings.insert_one(doc! { "message": "Hello, World!" }).await?;
/// let n = greetings.count_documents(doc! {}).await?;
/// # let _ = n; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ScopedDatabase {
    scope: Scope,
    rules: ScopeRules,
    readable: Vec<AppSlug>,
}

impl ScopedDatabase {
    pub(crate) fn new(scope: Scope, rules: ScopeRules, readable: Vec<AppSlug>) -> Self {
        Self { scope, rules, readable }
    }

    /// The app this database belongs to.
    pub fn app(&self) -> &AppSlug {
        self.rules.owner()
    }

    /// The rules applied to every operation (useful to see what a filter or
    /// pipeline becomes).
    pub fn rules(&self) -> &ScopeRules {
        &self.rules
    }

    /// Whether writes are allowed (false for archived apps and grants).
    pub fn is_writable(&self) -> bool {
        self.rules.is_writable()
    }

    /// The app's collection `name`; fails on an invalid name or a name that
    /// would resolve into another app's namespace.
    pub fn collection<T: Send + Sync>(&self, name: &str) -> Result<ScopedCollection<T>> {
        let (name, physical) = self.rules.resolve_name(name)?;
        let raw = self.scope.raw_collection::<T>(&physical);
        Ok(ScopedCollection::new(self.scope.clone(), self.rules.clone(), name, physical, raw))
    }

    /// The app's collection names, without the prefix. Names under a longer
    /// registered app's prefix belong to that app and are not listed.
    pub async fn list_collection_names(&self) -> Result<Vec<String>> {
        let owner = self.rules.owner();
        let names =
            self.scope.shared.db.list_collection_names().filter(prefix_filter(owner)).await?;
        let registry = self.scope.shared.registry.as_ref();
        let mut out: Vec<String> = names
            .into_iter()
            .filter(|physical| check_access(registry, owner, physical).is_ok())
            .filter_map(|physical| physical.strip_prefix(&owner.prefix()).map(str::to_owned))
            .filter(|logical| CollectionName::parse(logical).is_ok())
            .collect();
        out.sort();
        Ok(out)
    }

    /// Creates the app's collection `name` explicitly (collections are also
    /// created by the first insert).
    pub async fn create_collection(&self, name: &str) -> Result<()> {
        self.rules.ensure_writable("create_collection")?;
        let physical = self.rules.resolve(name)?;
        self.scope.shared.db.create_collection(physical).await?;
        Ok(())
    }

    /// Creates the app's collection `name` with options (validator, capped,
    /// time series, collation, …). Views (`view_on`/`pipeline`) are refused:
    /// a view reads another collection outside the scoping rules.
    pub async fn create_collection_with_options(
        &self,
        name: &str,
        options: mongodb::options::CreateCollectionOptions,
    ) -> Result<()> {
        self.rules.ensure_writable("create_collection")?;
        if options.view_on.is_some() || options.pipeline.is_some() {
            return Err(Error::violation("views are not allowed in an app's scope"));
        }
        if let Some(v) = &options.validator {
            self.rules.check_expression("validator", v)?;
        }
        let physical = self.rules.resolve(name)?;
        self.scope.shared.db.create_collection(physical).with_options(options).await?;
        Ok(())
    }

    /// Read-only access to app `other`'s collections, when a grant exists:
    /// `other` lists this app in `share_with` and this app lists `other` in
    /// `read_scopes`. Every write through it is refused.
    pub fn granted(&self, other: &str) -> Result<ScopedDatabase> {
        let other = AppSlug::parse(other)?;
        if !self.readable.contains(&other) || &other == self.app() {
            return Err(Error::denied(format!(
                "app `{}` has no read grant on `{other}` (both sides must declare it: \
                 `read_scopes` here and `share_with` there)",
                self.app()
            )));
        }
        let entry = self.scope.entry(&other)?;
        let rules = ScopeRules::read_only(entry.slug.clone(), self.scope.shared.registry.clone())
            .with_db_name(self.scope.db_name());
        Ok(ScopedDatabase::new(self.scope.clone(), rules, vec![entry.slug]))
    }
}
