//! Token-aware semantic chunking and `split_and_embed` for mdbr apps.
//!
//! **Not built yet.** This crate is an empty placeholder in the workspace;
//! its contents are delivered by the LLM and embedding issue. It exports nothing.
