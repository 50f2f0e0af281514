//! Integration tests of the scoped layer against a live server (the backend
//! named by `MDBR_TEST_BACKEND`; see `mdbr-test-support`).
#![allow(clippy::disallowed_methods, missing_docs)] // tests read and plant raw data to check isolation

mod attacks;
mod common;
mod isolation;
mod observer;
mod property;
