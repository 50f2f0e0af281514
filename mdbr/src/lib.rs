//! One dependency for the mdbr runtime: per-app isolated MongoDB access today;
//! the `RuntimeEngine` (registration, indexes, auth, websockets, LLM and
//! observability) joins as those layers are built.
//!
//! Today the facade re-exports the two layers that exist: [`core`](mdbr_core)
//! (manifest model, slugs, names) and [`scope`] (the scoped data layer).
//! It holds no logic of its own.

pub use mdbr_core as manifest;
pub use mdbr_core::{AppSlug, CollectionName};
pub use mdbr_scope as scope;
pub use mdbr_scope::{ScopedCollection, ScopedDatabase};
