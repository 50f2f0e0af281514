//! Integration tests of mdbr-core: fixtures, validation rules, schema, builders and fuzzing.

mod builder;
mod fixtures;
mod fuzz;
mod rules;
mod schema;
mod support;
