//! `find` and `find_one`.

use std::future::IntoFuture;
use std::time::Duration;

use bson::{Bson, Document};
use futures_util::future::BoxFuture;
use mongodb::Cursor;
use mongodb::options::{Collation, FindOneOptions, FindOptions, Hint};
use serde::de::DeserializeOwned;

use crate::action::{option_setters, with_options};
use crate::collection::ScopedCollection;
use crate::error::Result;
use crate::observer::Operation;
use crate::rules::ScopeRules;
use crate::rules::projection::Untagged;

impl<T: DeserializeOwned + Send + Sync> ScopedCollection<T> {
    /// Finds the app's documents matching `filter`.
    pub fn find(&self, filter: Document) -> Find<'_, T> {
        Find { coll: self, filter, options: FindOptions::default() }
    }

    /// Finds one of the app's documents matching `filter`.
    pub fn find_one(&self, filter: Document) -> FindOne<'_, T> {
        FindOne { coll: self, filter, options: FindOneOptions::default() }
    }
}

/// Finds documents. Construct with [`ScopedCollection::find`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct Find<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    filter: Document,
    options: FindOptions,
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
            coll.probe(Operation::Find, Some(&self.filter), options.sort.as_ref()).run(async move {
                let rules = &coll.inner.rules;
                check_read_options(rules, options.projection.as_ref(), options.let_vars.as_ref())?;
                options.projection = Some(rules.read_projection(options.projection.take()));
                let filter = rules.restrict_read(self.filter)?;
                Ok(coll.raw.find(filter).with_options(options).await?)
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
    options: FindOneOptions,
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
            coll.probe(Operation::FindOne, Some(&self.filter), options.sort.as_ref()).run(
                async move {
                    let rules = &coll.inner.rules;
                    check_read_options(
                        rules,
                        options.projection.as_ref(),
                        options.let_vars.as_ref(),
                    )?;
                    let hide = rules.hides_app_id(options.projection.as_ref());
                    let filter = rules.restrict_read(self.filter)?;
                    if hide {
                        let untagged = coll.raw.clone_with_type::<Untagged<T>>();
                        let found = untagged.find_one(filter).with_options(options).await?;
                        Ok(found.map(|u| u.0))
                    } else {
                        Ok(coll.raw.find_one(filter).with_options(options).await?)
                    }
                },
            )
        })
    }
}

/// Projections and `let` variables may hold expressions: check them too.
pub(crate) fn check_read_options(
    rules: &ScopeRules,
    projection: Option<&Document>,
    let_vars: Option<&Document>,
) -> Result<()> {
    if let Some(p) = projection {
        rules.check_expression("projection", p)?;
    }
    if let Some(l) = let_vars {
        rules.check_expression("let", l)?;
    }
    Ok(())
}
