//! `find` and `find_one`.

use std::future::IntoFuture;
use std::time::Duration;

use bson::{Bson, Document};
use futures_util::future::BoxFuture;
use mongodb::Cursor;
use mongodb::options::{
    Collation, FindOneAndDeleteOptions, FindOneAndReplaceOptions, FindOneAndUpdateOptions,
    FindOneOptions, FindOptions, Hint,
};
use serde::de::DeserializeOwned;

use crate::action::{Opts, option_setters, with_options};
use crate::collection::ScopedCollection;
use crate::error::Result;
use crate::observer::Operation;
use crate::rules::ScopeRules;
use crate::rules::projection::untagged;

impl<T: DeserializeOwned + Send + Sync> ScopedCollection<T> {
    /// Finds the app's documents matching `filter`.
    pub fn find(&self, filter: Document) -> Find<'_, T> {
        Find { coll: self, filter, options: Opts::default() }
    }

    /// Finds one of the app's documents matching `filter`.
    pub fn find_one(&self, filter: Document) -> FindOne<'_, T> {
        FindOne { coll: self, filter, options: Opts::default() }
    }
}

/// Finds documents. Construct with [`ScopedCollection::find`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct Find<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    filter: Document,
    options: Opts<FindOptions>,
}

impl<T: Send + Sync> Find<'_, T> {
    option_setters! {
        /// The sort order.
        sort: Document;
        /// How many documents to skip.
        skip: u64;
        /// The most documents to return (negative: one batch only).
        limit: i64;
        /// Which fields to return.
        projection: Document;
        /// Documents per batch.
        batch_size: u32;
        /// The index to use.
        hint: Hint;
        /// The server-side time limit.
        max_time: Duration;
        /// A comment for the server logs.
        comment: Bson;
        /// The collation.
        collation: Collation;
        /// Whether large sorts may spill to disk.
        allow_disk_use: bool;
        /// Variables for `$expr` in the filter.
        let_vars: Document;
    }
    with_options!(FindOptions);
}

impl<'a, T: DeserializeOwned + Send + Sync> IntoFuture for Find<'a, T> {
    type Output = Result<Cursor<T>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            let mut options = self.options;
            coll.probe(Operation::Find, Some(&self.filter), options.sort()).run(async move {
                let rules = &coll.inner.rules;
                options.check_read(rules)?;
                let projection = options.set().projection.take();
                options.set().projection = Some(rules.read_projection(projection));
                let filter = rules.restrict_read(self.filter)?;
                Ok(coll.raw.find(filter).with_options(options.into_driver()).await?)
            })
        })
    }
}

/// Finds one document. Construct with [`ScopedCollection::find_one`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct FindOne<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    filter: Document,
    options: Opts<FindOneOptions>,
}

impl<T: Send + Sync> FindOne<'_, T> {
    option_setters! {
        /// The sort order deciding which document is returned.
        sort: Document;
        /// How many documents to skip.
        skip: u64;
        /// Which fields to return.
        projection: Document;
        /// The index to use.
        hint: Hint;
        /// The server-side time limit.
        max_time: Duration;
        /// A comment for the server logs.
        comment: Bson;
        /// The collation.
        collation: Collation;
        /// Variables for `$expr` in the filter.
        let_vars: Document;
    }
    with_options!(FindOneOptions);
}

impl<'a, T: DeserializeOwned + Send + Sync> IntoFuture for FindOne<'a, T> {
    type Output = Result<Option<T>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            let options = self.options;
            coll.probe(Operation::FindOne, Some(&self.filter), options.sort()).run(async move {
                let rules = &coll.inner.rules;
                let hide = options.check_read(rules)?;
                let filter = rules.restrict_read(self.filter)?;
                // The driver's own `find_one` is this `find`; reading the reply through the
                // cursor lets a hidden tag be dropped from the document's bytes, copied once.
                let mut options = FindOptions::from(options.into_inner());
                options.limit = Some(-1);
                let mut cursor = coll.raw.find(filter).with_options(options).await?;
                if !cursor.advance().await? {
                    return Ok(None);
                }
                Ok(Some(if hide {
                    untagged(cursor.current())?
                } else {
                    cursor.deserialize_current()?
                }))
            })
        })
    }
}

/// The driver options of a read that hands documents back: what the scoped layer reads in them.
pub(crate) trait ReadOptions: Default {
    /// The sort, reported to observers.
    fn sort(&self) -> Option<&Document>;
    /// The projection, which may hold expressions and decides whether `app_id` is hidden.
    fn projection(&self) -> Option<&Document>;
    /// The `let` variables, which may hold expressions.
    fn let_vars(&self) -> Option<&Document>;
}

macro_rules! read_options {
    ($($t:ty),*) => {$(
        impl ReadOptions for $t {
            fn sort(&self) -> Option<&Document> {
                self.sort.as_ref()
            }
            fn projection(&self) -> Option<&Document> {
                self.projection.as_ref()
            }
            fn let_vars(&self) -> Option<&Document> {
                self.let_vars.as_ref()
            }
        }
    )*};
}

read_options!(
    FindOptions,
    FindOneOptions,
    FindOneAndUpdateOptions,
    FindOneAndReplaceOptions,
    FindOneAndDeleteOptions
);

impl<O: ReadOptions> Opts<O> {
    /// The sort, when one was set.
    pub(crate) fn sort(&self) -> Option<&Document> {
        self.get().and_then(O::sort)
    }

    /// Checks the projection and `let` variables (they may hold expressions) and tells whether
    /// the read hides `app_id` ([`ScopeRules::hides_app_id`]).
    pub(crate) fn check_read(&self, rules: &ScopeRules) -> Result<bool> {
        let projection = self.get().and_then(O::projection);
        if let Some(p) = projection {
            rules.check_expression("projection", p)?;
        }
        if let Some(l) = self.get().and_then(O::let_vars) {
            rules.check_expression("let", l)?;
        }
        Ok(rules.hides_app_id(projection))
    }
}
