//! The scoping contract as pure functions over BSON (DESIGN §4).
//!
//! [`ScopeRules`] knows one app's namespace and the app ids it may read, and
//! turns what the app asked for (a filter, an update, a document, a pipeline)
//! into what is sent to the server, or refuses it with a typed error. Nothing
//! here talks to a server, so every rule is unit-tested without one; the
//! operation layer calls these functions and nothing else adds the app filter.

pub(crate) mod bytes;
mod document;
mod filter;
mod pipeline;
pub(crate) mod projection;
mod search_index;
mod update;

use std::sync::Arc;

use bson::{Bson, Document, doc};
use mdbr_core::{AppSlug, CollectionName};

use crate::error::{Error, Result};
use crate::registry::{AppRegistry, check_access};

pub use document::MAX_FIELD_NAME_BYTES;
pub use pipeline::{CHANGE_STREAM_STAGES, LEADING_STAGES, REFUSED_STAGES, TRANSFORM_STAGES};
pub use update::{UPDATE_OPERATORS, UPDATE_PIPELINE_STAGES};

/// The field that carries the owning app's slug in every document.
pub const APP_ID: &str = "app_id";

/// Deepest nesting of documents and arrays accepted in filters, updates,
/// documents and pipelines (MongoDB's own limit is 100 levels).
pub const MAX_DEPTH: usize = 100;

/// Operators refused anywhere in a filter, expression or pipeline: they run
/// server-side JavaScript or reveal other clients' operations.
pub const FORBIDDEN_OPERATORS: &[&str] =
    &["$where", "$function", "$accumulator", "$currentOp", "$listSessions", "$listLocalSessions"];

/// The rules of one app's scope: whose namespace is addressed, which app ids
/// reads see, and whether writes are allowed.
#[derive(Clone, Debug)]
pub struct ScopeRules {
    owner: AppSlug,
    readable: Vec<AppSlug>,
    writable: bool,
    db_name: Option<String>,
    registry: Arc<dyn AppRegistry>,
}

impl ScopeRules {
    /// Rules for app `owner` acting on its own collections: reads and writes
    /// both restricted to `app_id: owner`.
    pub fn new(owner: AppSlug, registry: Arc<dyn AppRegistry>) -> Self {
        Self { readable: vec![owner.clone()], owner, writable: true, db_name: None, registry }
    }

    /// Rules for reading `owner`'s collections through a read grant: reads
    /// see `owner`'s documents, every write is refused.
    pub fn read_only(owner: AppSlug, registry: Arc<dyn AppRegistry>) -> Self {
        Self { writable: false, ..Self::new(owner, registry) }
    }

    /// Names the database the scope lives in, so `$out`/`$merge` targets that
    /// spell out this same database are accepted (any other is refused).
    pub fn with_db_name(mut self, db_name: impl Into<String>) -> Self {
        self.db_name = Some(db_name.into());
        self
    }

    /// Makes these rules refuse writes, keeping reads.
    pub fn with_read_only(mut self) -> Self {
        self.writable = false;
        self
    }

    /// The app whose namespace these rules address.
    pub fn owner(&self) -> &AppSlug {
        &self.owner
    }

    /// Whether writes are allowed.
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    /// The physical collection of logical collection `name` in the owner's
    /// namespace, after checking the name and the collision registry.
    pub fn resolve(&self, name: &str) -> Result<String> {
        Ok(self.resolve_name(name)?.1)
    }

    /// [`ScopeRules::resolve`], also returning the validated logical name.
    pub(crate) fn resolve_name(&self, name: &str) -> Result<(CollectionName, String)> {
        let coll = CollectionName::parse(name)?;
        let physical = self.owner.physical(&coll);
        check_access(self.registry.as_ref(), &self.owner, &physical)?;
        Ok((coll, physical))
    }

    /// The filter every read carries: `{app_id: owner}`.
    pub fn read_filter(&self) -> Document {
        doc! { APP_ID: self.read_condition() }
    }

    /// The condition on `app_id` that reads carry: the owner, or `$in` the
    /// readable apps.
    pub(crate) fn read_condition(&self) -> Bson {
        match self.readable.as_slice() {
            [one] => Bson::from(one.as_str()),
            many => Bson::Document(
                doc! { "$in": many.iter().map(|s| Bson::from(s.as_str())).collect::<Vec<_>>() },
            ),
        }
    }

    /// The filter every update, replace, delete and findAndModify carries:
    /// `{app_id: owner}` — never a read grant's wider set.
    pub fn write_filter(&self) -> Document {
        doc! { APP_ID: self.owner.as_str() }
    }

    /// Refuses the call when these rules do not allow writes.
    pub fn ensure_writable(&self, what: &str) -> Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(Error::denied(format!(
                "{what} refused: `{}` is read-only in this scope",
                self.owner
            )))
        }
    }

    /// The filter sent for a read: the user's filter and the app filter.
    pub fn restrict_read(&self, user: Document) -> Result<Document> {
        filter::check_filter(&user)?;
        Ok(filter::combine(self.read_condition(), user))
    }

    /// The filter sent for a write: the user's filter and `{app_id: owner}`
    /// as a top-level equality, so an upsert seeds it into the new document.
    pub fn restrict_write(&self, user: Document) -> Result<Document> {
        self.ensure_writable("write")?;
        filter::check_filter(&user)?;
        Ok(filter::combine(Bson::from(self.owner.as_str()), user))
    }

    /// Checks that a value holding expressions or options (projection,
    /// `let` variables, sort) contains no forbidden operator.
    pub fn check_expression(&self, what: &str, value: &Document) -> Result<()> {
        filter::check_forbidden(value, what)
    }
}

#[cfg(test)]
mod tests;
