//! `find_one_and_update`, `find_one_and_replace` and `find_one_and_delete`.

use std::borrow::Borrow;
use std::future::IntoFuture;
use std::time::Duration;

use bson::{Bson, Document, RawDocumentBuf};
use futures_util::future::BoxFuture;
use mongodb::options::{
    Collation, FindOneAndDeleteOptions, FindOneAndReplaceOptions, FindOneAndUpdateOptions, Hint,
    ReturnDocument, UpdateModifications, WriteConcern,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::action::{Opts, option_setters, with_options};
use crate::collection::ScopedCollection;
use crate::error::Result;
use crate::observer::Operation;
use crate::rules::projection::read_one;

impl<T: DeserializeOwned + Send + Sync> ScopedCollection<T> {
    /// Atomically updates one of the app's documents and returns it (before
    /// the update unless `return_document(ReturnDocument::After)`).
    pub fn find_one_and_update(
        &self,
        filter: Document,
        update: impl Into<UpdateModifications>,
    ) -> FindOneAndUpdate<'_, T> {
        FindOneAndUpdate { coll: self, filter, update: update.into(), options: Opts::default() }
    }

    /// Atomically deletes one of the app's documents and returns it.
    pub fn find_one_and_delete(&self, filter: Document) -> FindOneAndDelete<'_, T> {
        FindOneAndDelete { coll: self, filter, options: Opts::default() }
    }
}

impl<T: Serialize + DeserializeOwned + Send + Sync> ScopedCollection<T> {
    /// Atomically replaces one of the app's documents and returns it.
    pub fn find_one_and_replace(
        &self,
        filter: Document,
        replacement: impl Borrow<T>,
    ) -> FindOneAndReplace<'_, T> {
        FindOneAndReplace {
            coll: self,
            filter,
            replacement: bson::serialize_to_raw_document_buf(replacement.borrow())
                .map_err(Into::into),
            options: Opts::default(),
        }
    }
}

/// Construct with [`ScopedCollection::find_one_and_update`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct FindOneAndUpdate<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    filter: Document,
    update: UpdateModifications,
    options: Opts<FindOneAndUpdateOptions>,
}

impl<T: Send + Sync> FindOneAndUpdate<'_, T> {
    option_setters! {
        /// Filters choosing which array elements `$[<id>]` updates.
        array_filters: Vec<Document>;
        /// Skips document validation.
        bypass_document_validation: bool;
        /// The server-side time limit.
        max_time: Duration;
        /// Which fields to return.
        projection: Document;
        /// Return the document before or after the update.
        return_document: ReturnDocument;
        /// Which matching document is updated first.
        sort: Document;
        /// Inserts a document when none matches.
        upsert: bool;
        /// The write concern.
        write_concern: WriteConcern;
        /// The collation.
        collation: Collation;
        /// The index to use.
        hint: Hint;
        /// Variables for expressions.
        let_vars: Document;
        /// A comment for the server logs.
        comment: Bson;
    }
    with_options!(FindOneAndUpdateOptions);
}

impl<'a, T: DeserializeOwned + Send + Sync> IntoFuture for FindOneAndUpdate<'a, T> {
    type Output = Result<Option<T>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::FindOneAndUpdate, Some(&self.filter), self.options.sort()).run(
                async move {
                    let rules = &coll.inner.rules;
                    let update = rules.prepare_update(self.update)?;
                    let filter = rules.restrict_write(self.filter)?;
                    let options = self.options;
                    let hide = options.check_read(rules)?;
                    if let Some(filters) = options.get().and_then(|o| o.array_filters.as_ref()) {
                        filters
                            .iter()
                            .try_for_each(|f| rules.check_expression("arrayFilters", f))?;
                    }
                    let found = coll
                        .inner
                        .encoded
                        .find_one_and_update(filter, update)
                        .with_options(options.into_driver())
                        .await?;
                    read_one(found, hide)
                },
            )
        })
    }
}

/// Construct with [`ScopedCollection::find_one_and_replace`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct FindOneAndReplace<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    filter: Document,
    replacement: Result<RawDocumentBuf>,
    options: Opts<FindOneAndReplaceOptions>,
}

impl<T: Send + Sync> FindOneAndReplace<'_, T> {
    option_setters! {
        /// Skips document validation.
        bypass_document_validation: bool;
        /// The server-side time limit.
        max_time: Duration;
        /// Which fields to return.
        projection: Document;
        /// Return the document before or after the replacement.
        return_document: ReturnDocument;
        /// Which matching document is replaced first.
        sort: Document;
        /// Inserts the replacement when nothing matches.
        upsert: bool;
        /// The write concern.
        write_concern: WriteConcern;
        /// The collation.
        collation: Collation;
        /// The index to use.
        hint: Hint;
        /// Variables for expressions.
        let_vars: Document;
        /// A comment for the server logs.
        comment: Bson;
    }
    with_options!(FindOneAndReplaceOptions);
}

impl<'a, T: DeserializeOwned + Send + Sync> IntoFuture for FindOneAndReplace<'a, T> {
    type Output = Result<Option<T>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::FindOneAndReplace, Some(&self.filter), self.options.sort()).run(
                async move {
                    let rules = &coll.inner.rules;
                    let replacement = rules.prepare_replacement(self.replacement?)?;
                    let filter = rules.restrict_write(self.filter)?;
                    let options = self.options;
                    let hide = options.check_read(rules)?;
                    let found = coll
                        .inner
                        .encoded
                        .find_one_and_replace(filter, replacement)
                        .with_options(options.into_driver())
                        .await?;
                    read_one(found, hide)
                },
            )
        })
    }
}

/// Construct with [`ScopedCollection::find_one_and_delete`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct FindOneAndDelete<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    filter: Document,
    options: Opts<FindOneAndDeleteOptions>,
}

impl<T: Send + Sync> FindOneAndDelete<'_, T> {
    option_setters! {
        /// The server-side time limit.
        max_time: Duration;
        /// Which fields to return.
        projection: Document;
        /// Which matching document is deleted first.
        sort: Document;
        /// The write concern.
        write_concern: WriteConcern;
        /// The collation.
        collation: Collation;
        /// The index to use.
        hint: Hint;
        /// Variables for expressions.
        let_vars: Document;
        /// A comment for the server logs.
        comment: Bson;
    }
    with_options!(FindOneAndDeleteOptions);
}

impl<'a, T: DeserializeOwned + Send + Sync> IntoFuture for FindOneAndDelete<'a, T> {
    type Output = Result<Option<T>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::FindOneAndDelete, Some(&self.filter), self.options.sort()).run(
                async move {
                    let rules = &coll.inner.rules;
                    rules.ensure_writable("delete")?;
                    let filter = rules.restrict_write(self.filter)?;
                    let options = self.options;
                    let hide = options.check_read(rules)?;
                    let found = coll
                        .inner
                        .encoded
                        .find_one_and_delete(filter)
                        .with_options(options.into_driver())
                        .await?;
                    read_one(found, hide)
                },
            )
        })
    }
}
