//! Integration tests of the scoped layer against a live server (the backend
//! named by `MDBR_TEST_BACKEND`; see `mdbr-test-support`).
#![allow(
    clippy::disallowed_methods,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)] // tests read and plant raw data to check isolation

mod attacks;
mod common;
mod isolation;
mod observer;
mod property;
