//! `delete_one` and `delete_many`.

use std::future::IntoFuture;

use bson::{Bson, Document};
use futures_util::future::BoxFuture;
use mongodb::options::{Collation, DeleteOptions, Hint, WriteConcern};
use mongodb::results::DeleteResult;

use crate::action::{Opts, option_setters, with_options};
use crate::collection::ScopedCollection;
use crate::error::Result;
use crate::observer::Operation;

impl<T: Send + Sync> ScopedCollection<T> {
    /// Deletes one of the app's documents matching `filter`.
    pub fn delete_one(&self, filter: Document) -> Delete<'_, T> {
        Delete { coll: self, filter, multi: false, options: Opts::default() }
    }

    /// Deletes every one of the app's documents matching `filter`.
    pub fn delete_many(&self, filter: Document) -> Delete<'_, T> {
        Delete { coll: self, filter, multi: true, options: Opts::default() }
    }
}

/// Deletes documents. Construct with [`ScopedCollection::delete_one`] or
/// [`ScopedCollection::delete_many`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct Delete<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    filter: Document,
    multi: bool,
    options: Opts<DeleteOptions>,
}

impl<T: Send + Sync> Delete<'_, T> {
    option_setters! {
        /// The collation.
        collation: Collation;
        /// The write concern.
        write_concern: WriteConcern;
        /// The index to use.
        hint: Hint;
        /// Variables for expressions.
        let_vars: Document;
        /// A comment for the server logs.
        comment: Bson;
    }
    with_options!(DeleteOptions);
}

impl<'a, T: Send + Sync> IntoFuture for Delete<'a, T> {
    type Output = Result<DeleteResult>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            let op = if self.multi { Operation::DeleteMany } else { Operation::DeleteOne };
            coll.probe(op, Some(&self.filter), None).run(async move {
                let rules = &coll.inner.rules;
                rules.ensure_writable("delete")?;
                let filter = rules.restrict_write(self.filter)?;
                if let Some(l) = self.options.get().and_then(|o| o.let_vars.as_ref()) {
                    rules.check_expression("let", l)?;
                }
                let docs = &coll.inner.docs;
                Ok(if self.multi {
                    docs.delete_many(filter).with_options(self.options.into_driver()).await?
                } else {
                    docs.delete_one(filter).with_options(self.options.into_driver()).await?
                })
            })
        })
    }
}
