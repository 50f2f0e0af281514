//! `update_one`, `update_many` and `replace_one`.

use std::borrow::Borrow;
use std::future::IntoFuture;

use bson::{Bson, Document, RawDocumentBuf};
use futures_util::future::BoxFuture;
use mongodb::options::{
    Collation, Hint, ReplaceOptions, UpdateModifications, UpdateOptions, WriteConcern,
};
use mongodb::results::UpdateResult;
use serde::Serialize;

use crate::action::{Opts, option_setters, with_options};
use crate::collection::ScopedCollection;
use crate::error::Result;
use crate::observer::Operation;

impl<T: Send + Sync> ScopedCollection<T> {
    /// Updates one of the app's documents matching `filter`. Operators that
    /// touch `app_id` are refused; an upsert creates the document with the
    /// app's `app_id`.
    pub fn update_one(
        &self,
        filter: Document,
        update: impl Into<UpdateModifications>,
    ) -> Update<'_, T> {
        Update { coll: self, filter, update: update.into(), multi: false, options: Opts::default() }
    }

    /// Updates every one of the app's documents matching `filter`.
    pub fn update_many(
        &self,
        filter: Document,
        update: impl Into<UpdateModifications>,
    ) -> Update<'_, T> {
        Update { coll: self, filter, update: update.into(), multi: true, options: Opts::default() }
    }
}

impl<T: Serialize + Send + Sync> ScopedCollection<T> {
    /// Replaces one of the app's documents matching `filter`.
    pub fn replace_one(&self, filter: Document, replacement: impl Borrow<T>) -> ReplaceOne<'_, T> {
        ReplaceOne {
            coll: self,
            filter,
            replacement: bson::serialize_to_raw_document_buf(replacement.borrow())
                .map_err(Into::into),
            options: Opts::default(),
        }
    }
}

/// Updates documents. Construct with [`ScopedCollection::update_one`] or
/// [`ScopedCollection::update_many`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct Update<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    filter: Document,
    update: UpdateModifications,
    multi: bool,
    options: Opts<UpdateOptions>,
}

impl<T: Send + Sync> Update<'_, T> {
    option_setters! {
        /// Filters choosing which array elements `$[<id>]` updates.
        array_filters: Vec<Document>;
        /// Skips document validation.
        bypass_document_validation: bool;
        /// Inserts a document when none matches.
        upsert: bool;
        /// The collation.
        collation: Collation;
        /// The index to use.
        hint: Hint;
        /// The write concern.
        write_concern: WriteConcern;
        /// Variables for expressions.
        let_vars: Document;
        /// A comment for the server logs.
        comment: Bson;
    }
    with_options!(UpdateOptions);
}

impl<'a, T: Send + Sync> IntoFuture for Update<'a, T> {
    type Output = Result<UpdateResult>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            let op = if self.multi { Operation::UpdateMany } else { Operation::UpdateOne };
            coll.probe(op, Some(&self.filter), None).run(async move {
                let rules = &coll.inner.rules;
                let update = rules.prepare_update(self.update)?;
                let filter = rules.restrict_write(self.filter)?;
                if let Some(filters) = self.options.get().and_then(|o| o.array_filters.as_ref()) {
                    filters.iter().try_for_each(|f| rules.check_expression("arrayFilters", f))?;
                }
                if let Some(l) = self.options.get().and_then(|o| o.let_vars.as_ref()) {
                    rules.check_expression("let", l)?;
                }
                let docs = &coll.inner.docs;
                let result = if self.multi {
                    docs.update_many(filter, update)
                        .with_options(self.options.into_driver())
                        .await?
                } else {
                    docs.update_one(filter, update).with_options(self.options.into_driver()).await?
                };
                Ok(result)
            })
        })
    }
}

/// Replaces a document. Construct with [`ScopedCollection::replace_one`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct ReplaceOne<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    filter: Document,
    replacement: Result<RawDocumentBuf>,
    options: Opts<ReplaceOptions>,
}

impl<T: Send + Sync> ReplaceOne<'_, T> {
    option_setters! {
        /// Skips document validation.
        bypass_document_validation: bool;
        /// Inserts the replacement when nothing matches.
        upsert: bool;
        /// The collation.
        collation: Collation;
        /// The index to use.
        hint: Hint;
        /// The write concern.
        write_concern: WriteConcern;
        /// Variables for expressions.
        let_vars: Document;
        /// A comment for the server logs.
        comment: Bson;
    }
    with_options!(ReplaceOptions);
}

impl<'a, T: Send + Sync> IntoFuture for ReplaceOne<'a, T> {
    type Output = Result<UpdateResult>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::ReplaceOne, Some(&self.filter), None).run(async move {
                let rules = &coll.inner.rules;
                let replacement = rules.prepare_replacement(self.replacement?)?;
                let filter = rules.restrict_write(self.filter)?;
                Ok(coll
                    .inner
                    .encoded
                    .replace_one(filter, replacement)
                    .with_options(self.options.into_driver())
                    .await?)
            })
        })
    }
}
