//! The query language: document paths and the filter matcher.
pub(crate) mod filter;
pub(crate) mod path;
