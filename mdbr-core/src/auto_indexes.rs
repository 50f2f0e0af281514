//! Settings of automatic index creation (`auto_indexes` in the manifest).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// When AutoIndexManager may build indexes for query shapes it sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoIndexes {
    /// Build indexes automatically (default `true`).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Uses of an unserved query shape before an index is built (default 3, at least 1).
    #[serde(default = "default_threshold")]
    #[schemars(range(min = 1))]
    pub threshold: u32,
    /// Most automatic indexes per collection (default 8, 1–64).
    #[serde(default = "default_max_per_collection")]
    #[schemars(range(min = 1, max = 64))]
    pub max_per_collection: u32,
}

impl Default for AutoIndexes {
    fn default() -> Self {
        Self {
            enabled: true,
            threshold: default_threshold(),
            max_per_collection: default_max_per_collection(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_threshold() -> u32 {
    3
}

fn default_max_per_collection() -> u32 {
    8
}
