//! Search index readiness, polled in the background with backoff.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bson::Document;
use mdbr_core::AppSlug;
use mdbr_scope::ScopedCollection;
use tokio::sync::watch;

use crate::error::{Error, Result};

/// Where a search index stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SearchIndexState {
    /// Submitted, not yet queryable.
    Pending,
    /// Queryable.
    Ready,
    /// The server reported a failure, or polling gave up at the deadline.
    Failed(String),
}

type Key = (AppSlug, String);

/// Tracks the search indexes of every app until they are queryable.
///
/// Polling starts at 100 ms and doubles up to 5 s between `$listSearchIndexes`
/// calls, and gives up at the deadline (10 minutes by default, the time Atlas
/// can take on large collections).
#[derive(Clone, Debug)]
pub struct SearchIndexTracker {
    states: Arc<Mutex<BTreeMap<Key, SearchIndexState>>>,
    changed: watch::Sender<u64>,
    deadline: Duration,
}

impl Default for SearchIndexTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl SearchIndexTracker {
    /// A tracker with the default deadline.
    pub fn new() -> Self {
        Self {
            states: Arc::default(),
            changed: watch::Sender::new(0),
            deadline: Duration::from_secs(600),
        }
    }

    /// Sets how long to poll one index before calling it failed.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    fn set(&self, key: Key, state: SearchIndexState) {
        self.states.lock().unwrap_or_else(|e| e.into_inner()).insert(key, state);
        self.changed.send_modify(|n| *n += 1);
    }

    /// Starts polling index `name` of `coll` (needs a Tokio runtime; without
    /// one the index stays pending).
    pub fn track(&self, app: AppSlug, coll: ScopedCollection<Document>, name: String) {
        let key = (app, format!("{}/{name}", coll.name()));
        self.set(key.clone(), SearchIndexState::Pending);
        let Ok(handle) = tokio::runtime::Handle::try_current() else { return };
        let me = self.clone();
        handle.spawn(async move {
            let start = Instant::now();
            let mut delay = Duration::from_millis(100);
            loop {
                match coll.list_search_indexes().await {
                    Ok(indexes) => {
                        let found =
                            indexes.iter().find(|d| d.get_str("name").ok() == Some(name.as_str()));
                        match found {
                            Some(d) if d.get_bool("queryable").unwrap_or(false) => {
                                me.set(key, SearchIndexState::Ready);
                                return;
                            }
                            Some(d) if d.get_str("status").ok() == Some("FAILED") => {
                                let why = d
                                    .get_str("message")
                                    .unwrap_or("the server reported FAILED")
                                    .to_owned();
                                me.set(key, SearchIndexState::Failed(why));
                                return;
                            }
                            _ => {}
                        }
                    }
                    Err(e) => tracing::debug!(index = %key.1, error = %e, "polling search index"),
                }
                if start.elapsed() >= me.deadline {
                    me.set(
                        key,
                        SearchIndexState::Failed(format!("not queryable after {:?}", me.deadline)),
                    );
                    return;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        });
    }

    /// The state of every tracked index of `app` (`collection/index` → state).
    pub fn states(&self, app: &AppSlug) -> BTreeMap<String, SearchIndexState> {
        self.states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|((a, _), _)| a == app)
            .map(|((_, n), s)| (n.clone(), s.clone()))
            .collect()
    }

    /// Every tracked index of every app that is not ready.
    pub fn not_ready(&self) -> Vec<(AppSlug, String, SearchIndexState)> {
        self.states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, s)| **s != SearchIndexState::Ready)
            .map(|((a, n), s)| (a.clone(), n.clone(), s.clone()))
            .collect()
    }

    /// Waits until every search index of `app` is ready; fails at `timeout`
    /// or as soon as one has failed.
    pub async fn wait(&self, app: &AppSlug, timeout: Duration) -> Result<()> {
        let start = Instant::now();
        let mut rx = self.changed.subscribe();
        loop {
            let states = self.states(app);
            if let Some((name, SearchIndexState::Failed(why))) =
                states.iter().find(|(_, s)| matches!(s, SearchIndexState::Failed(_)))
            {
                return Err(Error::NotReady {
                    app: app.to_string(),
                    waited_ms: start.elapsed().as_millis(),
                    pending: vec![format!("{name}: {why}")],
                });
            }
            let pending: Vec<String> = states
                .iter()
                .filter(|(_, s)| **s == SearchIndexState::Pending)
                .map(|(n, _)| n.clone())
                .collect();
            if pending.is_empty() {
                return Ok(());
            }
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() || tokio::time::timeout(left, rx.changed()).await.is_err() {
                return Err(Error::NotReady {
                    app: app.to_string(),
                    waited_ms: start.elapsed().as_millis(),
                    pending,
                });
            }
        }
    }
}
