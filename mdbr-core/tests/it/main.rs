//! Integration tests of mdbr-core: fixtures, validation rules, schema, builders and fuzzing.

// Test helpers outside `#[test]` functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod builder;
mod fixtures;
mod fuzz;
mod rules;
mod schema;
mod support;
