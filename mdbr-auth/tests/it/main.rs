//! Integration tests of mdbr-auth over real HTTP on loopback: each test
//! serves an app's router with `axum::serve` on `127.0.0.1:0` against a
//! fresh database of the test backend (`mdbr-test-support`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod csrf;
mod flow;
mod guest;
mod jwt;
mod oauth;
mod policy;
mod throttle;
