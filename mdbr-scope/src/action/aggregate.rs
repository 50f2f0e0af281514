//! `aggregate`.

use std::future::IntoFuture;
use std::time::Duration;

use bson::{Bson, Document};
use futures_util::future::BoxFuture;
use mongodb::Cursor;
use mongodb::options::{AggregateOptions, Collation, Hint, WriteConcern};

use crate::action::{Opts, option_setters, with_options};
use crate::collection::ScopedCollection;
use crate::error::Result;
use crate::observer::Operation;

impl<T: Send + Sync> ScopedCollection<T> {
    /// Runs an aggregation pipeline over the app's documents. The pipeline
    /// is rewritten stage by stage (see `ScopeRules::rewrite_pipeline`);
    /// anything that would leave the app's namespace is refused.
    pub fn aggregate(&self, pipeline: impl IntoIterator<Item = Document>) -> Aggregate<'_, T> {
        Aggregate { coll: self, pipeline: pipeline.into_iter().collect(), options: Opts::default() }
    }
}

/// Runs a pipeline. Construct with [`ScopedCollection::aggregate`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct Aggregate<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    pipeline: Vec<Document>,
    options: Opts<AggregateOptions>,
}

impl<T: Send + Sync> Aggregate<'_, T> {
    option_setters! {
        /// Whether large stages may spill to disk.
        allow_disk_use: bool;
        /// Documents per batch.
        batch_size: u32;
        /// Skips document validation for `$out`/`$merge`.
        bypass_document_validation: bool;
        /// The collation.
        collation: Collation;
        /// A comment for the server logs.
        comment: Bson;
        /// The index to use.
        hint: Hint;
        /// The server-side time limit.
        max_time: Duration;
        /// The write concern for `$out`/`$merge`.
        write_concern: WriteConcern;
        /// Variables for expressions.
        let_vars: Document;
    }
    with_options!(AggregateOptions);
}

impl<'a, T: Send + Sync> IntoFuture for Aggregate<'a, T> {
    type Output = Result<Cursor<Document>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            let leading = self.pipeline.first().and_then(|s| s.get_document("$match").ok());
            coll.probe(Operation::Aggregate, leading, None).run(async move {
                let rules = &coll.inner.rules;
                if let Some(l) = self.options.get().and_then(|o| o.let_vars.as_ref()) {
                    rules.check_expression("let", l)?;
                }
                let pipeline = rules.rewrite_pipeline(self.pipeline)?;
                if let Some(target) = write_target(&pipeline) {
                    coll.inner
                        .scope
                        .ensure_exclusive(rules.owner(), target, "aggregation output")
                        .await?;
                }
                Ok(coll
                    .inner
                    .docs
                    .aggregate(pipeline)
                    .with_options(self.options.into_driver())
                    .await?)
            })
        })
    }
}

/// The physical collection a rewritten pipeline writes to, if it ends in
/// `$out` or `$merge` (already resolved into the app's namespace).
fn write_target(pipeline: &[Document]) -> Option<&str> {
    let last = pipeline.last()?;
    match (last.get("$out"), last.get_document("$merge").ok()) {
        (Some(Bson::String(coll)), _) => Some(coll),
        (Some(Bson::Document(d)), _) => d.get_str("coll").ok(),
        (_, Some(merge)) => match merge.get("into") {
            Some(Bson::String(coll)) => Some(coll),
            Some(Bson::Document(d)) => d.get_str("coll").ok(),
            _ => None,
        },
        _ => None,
    }
}
