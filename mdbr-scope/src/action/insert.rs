//! `insert_one` and `insert_many`.

use std::borrow::Borrow;
use std::future::IntoFuture;

use bson::{Bson, RawDocumentBuf};
use futures_util::future::BoxFuture;
use mongodb::options::{InsertManyOptions, InsertOneOptions, WriteConcern};
use mongodb::results::{InsertManyResult, InsertOneResult};
use serde::Serialize;

use crate::action::{Opts, option_setters, with_options};
use crate::collection::ScopedCollection;
use crate::error::Result;
use crate::observer::Operation;

impl<T: Serialize + Send + Sync> ScopedCollection<T> {
    /// Inserts one document, tagged with the app's `app_id`.
    pub fn insert_one(&self, doc: impl Borrow<T>) -> InsertOne<'_, T> {
        InsertOne {
            coll: self,
            doc: bson::serialize_to_raw_document_buf(doc.borrow()).map_err(Into::into),
            options: Opts::default(),
        }
    }

    /// Inserts many documents, each tagged with the app's `app_id`.
    pub fn insert_many(&self, docs: impl IntoIterator<Item = impl Borrow<T>>) -> InsertMany<'_, T> {
        InsertMany {
            coll: self,
            docs: docs
                .into_iter()
                .map(|d| bson::serialize_to_raw_document_buf(d.borrow()).map_err(Into::into))
                .collect(),
            options: Opts::default(),
        }
    }
}

/// Inserts one document. Construct with [`ScopedCollection::insert_one`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct InsertOne<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    doc: Result<RawDocumentBuf>,
    options: Opts<InsertOneOptions>,
}

impl<T: Send + Sync> InsertOne<'_, T> {
    option_setters! {
        /// Skips document validation.
        bypass_document_validation: bool;
        /// The write concern.
        write_concern: WriteConcern;
        /// A comment for the server logs.
        comment: Bson;
    }
    with_options!(InsertOneOptions);
}

impl<'a, T: Send + Sync> IntoFuture for InsertOne<'a, T> {
    type Output = Result<InsertOneResult>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::InsertOne, None, None).run(async move {
                let doc = coll.inner.rules.prepare_insert(self.doc?)?;
                Ok(coll
                    .inner
                    .encoded
                    .insert_one(doc)
                    .with_options(self.options.into_driver())
                    .await?)
            })
        })
    }
}

/// Inserts many documents. Construct with [`ScopedCollection::insert_many`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct InsertMany<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    docs: Vec<Result<RawDocumentBuf>>,
    options: Opts<InsertManyOptions>,
}

impl<T: Send + Sync> InsertMany<'_, T> {
    option_setters! {
        /// Skips document validation.
        bypass_document_validation: bool;
        /// Stop at the first failed document (the default) or go on.
        ordered: bool;
        /// The write concern.
        write_concern: WriteConcern;
        /// A comment for the server logs.
        comment: Bson;
    }
    with_options!(InsertManyOptions);
}

impl<'a, T: Send + Sync> IntoFuture for InsertMany<'a, T> {
    type Output = Result<InsertManyResult>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::InsertMany, None, None).run(async move {
                let rules = &coll.inner.rules;
                let docs = self
                    .docs
                    .into_iter()
                    .map(|d| d.and_then(|d| rules.prepare_insert(d)))
                    .collect::<Result<Vec<_>>>()?;
                Ok(coll
                    .inner
                    .encoded
                    .insert_many(docs)
                    .with_options(self.options.into_driver())
                    .await?)
            })
        })
    }
}
