//! `ScopedCollection<T>`: one app's collection, with the `mongodb` 3.x method
//! names and fluent option builders.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;

use bson::{Document, RawDocumentBuf};
use mdbr_core::CollectionName;
use tracing::Instrument;

use crate::error::Result;
use crate::observer::{Operation, OperationEvent, Outcome, QueryObserver, QueryShape, sort_pairs};
use crate::rules::ScopeRules;
use crate::scope::Scope;

/// One app's collection. Every operation is scoped: reads see only the app's
/// documents, writes are tagged with and restricted to the app, pipelines are
/// rewritten. No method returns the underlying driver handle. Cheap to clone.
///
/// Documents are typed as `T` (`bson::Document` by default in examples); the
/// `app_id` field is added at the BSON level, so `T` need not declare it.
#[derive(Debug)]
pub struct ScopedCollection<T: Send + Sync> {
    pub(crate) inner: Arc<Inner>,
    pub(crate) raw: mongodb::Collection<T>,
    _type: PhantomData<fn() -> T>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) scope: Scope,
    pub(crate) rules: ScopeRules,
    pub(crate) name: CollectionName,
    pub(crate) physical: String,
    pub(crate) docs: mongodb::Collection<Document>,
    /// The same collection for documents already encoded (inserts and
    /// replacements, tagged as bytes).
    pub(crate) encoded: mongodb::Collection<RawDocumentBuf>,
}

impl<T: Send + Sync> Clone for ScopedCollection<T> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), raw: self.raw.clone(), _type: PhantomData }
    }
}

impl<T: Send + Sync> ScopedCollection<T> {
    pub(crate) fn new(
        scope: Scope,
        rules: ScopeRules,
        name: CollectionName,
        physical: String,
        raw: mongodb::Collection<T>,
    ) -> Self {
        let docs = raw.clone_with_type::<Document>();
        let encoded = raw.clone_with_type::<RawDocumentBuf>();
        Self {
            inner: Arc::new(Inner { scope, rules, name, physical, docs, encoded }),
            raw,
            _type: PhantomData,
        }
    }

    /// The logical collection name, as the app knows it.
    pub fn name(&self) -> &str {
        self.inner.name.as_str()
    }

    /// The physical collection name in the shared database (`<slug>_<name>`).
    pub fn physical_name(&self) -> &str {
        &self.inner.physical
    }

    /// The rules applied to every operation of this collection.
    pub fn rules(&self) -> &ScopeRules {
        &self.inner.rules
    }

    /// The same collection, typed as `U`.
    pub fn clone_with_type<U: Send + Sync>(&self) -> ScopedCollection<U> {
        ScopedCollection {
            inner: self.inner.clone(),
            raw: self.raw.clone_with_type(),
            _type: PhantomData,
        }
    }

    /// Starts observing one operation: captures what the observers need
    /// (only when there are observers) before the operation consumes its input.
    pub(crate) fn probe(
        &self,
        op: Operation,
        filter: Option<&Document>,
        sort: Option<&Document>,
    ) -> Probe<'_> {
        let inner = &*self.inner;
        let observers =
            inner.scope.shared.observers.read().unwrap_or_else(|e| e.into_inner()).clone();
        let shape = if observers.is_empty() {
            None
        } else {
            Some((filter.map(QueryShape::of).unwrap_or_default(), sort_pairs(sort)))
        };
        Probe { inner, op, observers, shape }
    }
}

/// One operation being observed; see [`ScopedCollection::probe`].
pub(crate) struct Probe<'c> {
    inner: &'c Inner,
    op: Operation,
    observers: Arc<[Arc<dyn QueryObserver>]>,
    shape: Option<(QueryShape, Vec<(String, i32)>)>,
}

impl Probe<'_> {
    /// Runs the operation inside a span carrying the app, and reports it to
    /// the observers once it finished. Every action goes through here.
    pub(crate) async fn run<R>(self, fut: impl Future<Output = Result<R>>) -> Result<R> {
        let Self { inner, op, observers, shape } = self;
        let span = tracing::debug_span!(
            "mdbr.scope",
            app = %inner.rules.owner(),
            collection = %inner.name,
            operation = op.as_str()
        );
        // Timed only for observers: reading the clock is part of the per-operation cost.
        let start = shape.is_some().then(Instant::now);
        let result = fut.instrument(span).await;
        if let (Some((shape, sort)), Some(start)) = (shape, start) {
            let outcome = match &result {
                Ok(_) => Outcome::Success,
                Err(e) => Outcome::Failure(e.to_string()),
            };
            let event = OperationEvent {
                app: inner.rules.owner(),
                collection: &inner.name,
                physical: &inner.physical,
                operation: op,
                shape: &shape,
                sort: &sort,
                duration: start.elapsed(),
                outcome: &outcome,
            };
            for observer in observers.iter() {
                observer.on_operation(&event);
            }
        }
        if let Err(e) = &result {
            tracing::debug!(app = %inner.rules.owner(), collection = %inner.name, operation = op.as_str(), error = %e, "scoped operation failed");
        }
        result
    }
}
