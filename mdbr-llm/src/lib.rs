//! Provider-agnostic LLM service for mdbr apps: chat, streaming, structured
//! output, embeddings, retries, rate limits and usage accounting.
//!
//! **Not built yet.** This crate is an empty placeholder in the workspace;
//! its contents are delivered by the LLM and embedding issue. It exports nothing.
