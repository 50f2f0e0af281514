//! `watch`: change streams restricted to the app's documents.

use std::future::IntoFuture;
use std::time::Duration;

use bson::{Bson, Document};
use futures_util::future::BoxFuture;
use mongodb::change_stream::ChangeStream;
use mongodb::change_stream::event::{ChangeStreamEvent, ResumeToken};
use mongodb::options::{ChangeStreamOptions, FullDocumentBeforeChangeType, FullDocumentType};
use serde::de::DeserializeOwned;

use crate::action::{Opts, option_setters, with_options};
use crate::collection::ScopedCollection;
use crate::error::Result;
use crate::observer::Operation;

impl<T: DeserializeOwned + Unpin + Send + Sync> ScopedCollection<T> {
    /// Watches changes to the app's documents in this collection.
    ///
    /// Update events carry the full document (`updateLookup` unless set
    /// otherwise) so they can be checked against the app. Delete events
    /// carry only the `_id` and are passed on unless pre-images show another
    /// app's document.
    pub fn watch(&self) -> Watch<'_, T> {
        let mut options = Opts::<ChangeStreamOptions>::default();
        options.set().full_document = Some(FullDocumentType::UpdateLookup);
        Watch { coll: self, pipeline: Vec::new(), options }
    }
}

/// Opens a change stream. Construct with [`ScopedCollection::watch`].
#[must_use = "an operation does nothing until it is awaited"]
#[derive(Debug)]
pub struct Watch<'a, T: Send + Sync> {
    coll: &'a ScopedCollection<T>,
    pipeline: Vec<Document>,
    options: Opts<ChangeStreamOptions>,
}

impl<T: Send + Sync> Watch<'_, T> {
    /// Stages applied to the events after the app filter.
    pub fn pipeline(mut self, stages: impl IntoIterator<Item = Document>) -> Self {
        self.pipeline = stages.into_iter().collect();
        self
    }

    option_setters! {
        /// Whether update events carry the full document.
        full_document: FullDocumentType;
        /// Whether events carry the document before the change.
        full_document_before_change: FullDocumentBeforeChangeType;
        /// Resume after this token.
        resume_after: ResumeToken;
        /// Start after this token.
        start_after: ResumeToken;
        /// How long the server waits for new events per batch.
        max_await_time: Duration;
        /// Events per batch.
        batch_size: u32;
        /// A comment for the server logs.
        comment: Bson;
    }
    with_options!(ChangeStreamOptions);
}

impl<'a, T: DeserializeOwned + Unpin + Send + Sync> IntoFuture for Watch<'a, T> {
    type Output = Result<ChangeStream<ChangeStreamEvent<T>>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin({
            let coll = self.coll;
            coll.probe(Operation::Watch, None, None).run(async move {
                let pipeline = coll.inner.rules.change_stream_pipeline(self.pipeline)?;
                Ok(coll
                    .raw
                    .watch()
                    .pipeline(pipeline)
                    .with_options(self.options.into_driver())
                    .await?)
            })
        })
    }
}
