//! `count_documents`, `estimated_document_count` and `distinct`.

use std::future::IntoFuture;
use std::time::Duration;

use bson::{Bson, Document, doc};
use futures_util::future::BoxFuture;
use mongodb::options::{
    Collation, CountOptions, DistinctOptions, EstimatedDocumentCountOptions, Hint,
};

use crate::action::{Opts, option_setters, with_options};
use crate::collection::ScopedCollection;
use crate::error::{Error, Result};
use crate::observer::Operation;

impl<T: Send + Sync> ScopedCollection<T> {
    /// Counts the app's documents matching `filter`.
    pub fn count_documents(&self, filter: Document) -> CountDocuments<'_, T> {
        CountDocuments { coll: self, filter, options: Opts::default() }
    }

    /// Counts the app's documents. MongoDB answers this from collection
    /// metadata, which would count every app's documents, so it is answered
    /// as a scoped `count_documents({})` instead: exact, not estimated.
    pub fn estimated_document_count(&self) -> EstimatedDocumentCount<'_, T> {
        EstimatedDocumentCount { coll: self, options: Opts::default() }
    }

    /// The distinct values of `field` among the app's documents matching `filter`.
    pub fn distinct(&self, field: impl AsRef<str>, filter: Document) -> Distinct<'_, T> {
        Distinct { coll: self, field: field.as_ref().to_owned(), filter, options: Opts::default() }
    }
}

/// Counts documents. Construct with [`ScopedCollection::count_documents`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct CountDocuments<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    filter: Document,
    options: Opts<CountOptions>,
}

impl<T: Send + Sync> CountDocuments<'_, T> {
    option_setters! {
        /// The index to use.
        hint: Hint;
        /// Count at most this many.
        limit: u64;
        /// The server-side time limit.
        max_time: Duration;
        /// Skip this many before counting.
        skip: u64;
        /// The collation.
        collation: Collation;
        /// A comment for the server logs.
        comment: Bson;
    }
    with_options!(CountOptions);
}

impl<'a, T: Send + Sync> IntoFuture for CountDocuments<'a, T> {
    type Output = Result<u64>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::CountDocuments, Some(&self.filter), None).run(async move {
                let filter = coll.inner.rules.restrict_read(self.filter)?;
                Ok(coll
                    .inner
                    .docs
                    .count_documents(filter)
                    .with_options(self.options.into_driver())
                    .await?)
            })
        })
    }
}

/// Counts documents. Construct with [`ScopedCollection::estimated_document_count`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct EstimatedDocumentCount<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    options: Opts<EstimatedDocumentCountOptions>,
}

impl<T: Send + Sync> EstimatedDocumentCount<'_, T> {
    option_setters! {
        /// The server-side time limit.
        max_time: Duration;
        /// A comment for the server logs.
        comment: Bson;
    }
    with_options!(EstimatedDocumentCountOptions);
}

impl<'a, T: Send + Sync> IntoFuture for EstimatedDocumentCount<'a, T> {
    type Output = Result<u64>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::EstimatedDocumentCount, None, None).run(async move {
                let filter = coll.inner.rules.restrict_read(doc! {})?;
                let given = self.options.into_inner();
                let mut options = CountOptions::default();
                options.max_time = given.max_time;
                options.comment = given.comment;
                Ok(coll.inner.docs.count_documents(filter).with_options(options).await?)
            })
        })
    }
}

/// Distinct values. Construct with [`ScopedCollection::distinct`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct Distinct<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    field: String,
    filter: Document,
    options: Opts<DistinctOptions>,
}

impl<T: Send + Sync> Distinct<'_, T> {
    option_setters! {
        /// The server-side time limit.
        max_time: Duration;
        /// The collation.
        collation: Collation;
        /// A comment for the server logs.
        comment: Bson;
        /// The index to use.
        hint: Hint;
    }
    with_options!(DistinctOptions);
}

impl<'a, T: Send + Sync> IntoFuture for Distinct<'a, T> {
    type Output = Result<Vec<Bson>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::Distinct, Some(&self.filter), None).run(async move {
                if self.field.is_empty() || self.field.starts_with('$') {
                    return Err(Error::invalid(format!(
                        "distinct field `{}` is not a field path",
                        self.field
                    )));
                }
                let filter = coll.inner.rules.restrict_read(self.filter)?;
                Ok(coll
                    .inner
                    .docs
                    .distinct(self.field, filter)
                    .with_options(self.options.into_driver())
                    .await?)
            })
        })
    }
}
