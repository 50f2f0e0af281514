//! The aggregation pipeline: expressions and stages.
pub(crate) mod expr;
pub(crate) mod stage;
