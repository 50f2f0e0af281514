//! The aggregation pipeline: expressions and stages.
pub(crate) mod expr;
pub(crate) mod join;
pub(crate) mod operators;
pub(crate) mod output;
pub(crate) mod stage;
