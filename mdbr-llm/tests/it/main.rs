//! Integration tests of mdbr-llm against the loopback mock providers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers outside #[test] fns fail loudly

mod chat;
mod config;
mod embed;
mod rate_limit;
mod retry;
mod stream;
mod structured;
mod support;
mod usage;
