//! Index management for mdbr apps: declarative indexes from the manifest,
//! Atlas Search / Vector Search index lifecycle, and the AutoIndexManager.
//!
//! **Not built yet.** This crate is an empty placeholder in the workspace;
//! its contents are delivered by the RuntimeEngine issue. It exports nothing.
