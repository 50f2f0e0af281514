//! Integration tests of mdbr-embed: chunking properties and split-and-embed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers outside #[test] fns fail loudly

mod config;
mod embed;
mod split;
