//! Index management for mdbr apps.
//!
//! - [`ensure_indexes`] creates the regular, compound, unique, sparse, TTL,
//!   partial, text and geospatial indexes a manifest declares (idempotent),
//!   reports indexes that exist under the same name with a different spec as
//!   drift, and rebuilds them only when asked.
//! - Search and vector search indexes are created through
//!   `createSearchIndexes` (with `app_id` added as a filter field) and their
//!   readiness is polled in the background by a [`SearchIndexTracker`]:
//!   registration never waits on them; [`SearchIndexTracker::wait`] does.
//! - [`AutoIndexManager`] watches every scoped query (it is a
//!   [`QueryObserver`](mdbr_scope::QueryObserver)) and, after `threshold`
//!   uses of a query shape that no index serves, builds one in the
//!   background with keys ordered Equality → Sort → Range.
//!
//! Use this crate alone next to `mdbr-scope` to manage indexes from
//! manifests in your own service; the `mdbr` facade runs it on registration.
//!
//! ```no_run
//! # async fn demo(db: mdbr_scope::ScopedDatabase, manifest: mdbr_core::Manifest) -> Result<(), mdbr_index::Error> {
//! let tracker = mdbr_index::SearchIndexTracker::new();
//! let report = mdbr_index::ensure_indexes(&db, &manifest, &mdbr_index::EnsureOptions::default(), &tracker).await?;
//! println!("created {:?}, drifted {:?}", report.created, report.drifted);
//! # Ok(()) }
//! ```

mod auto;
mod declared;
mod error;
mod model;
mod tracker;

pub use auto::{AutoIndexManager, Candidate, auto_index_name};
pub use declared::{EnsureOptions, IndexFailure, IndexReport, ensure_indexes};
pub use error::{Error, Result};
pub use model::{index_model, search_index_model};
pub use tracker::{SearchIndexState, SearchIndexTracker};
