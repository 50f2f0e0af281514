//! Cross-app read grants (`data_access` in the manifest).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::name::AppSlug;

/// Which other apps' data this app reads, and which apps may read its data.
///
/// A read grant from app `a` to app `b` exists only when `a` lists `b` in
/// `share_with` and `b` lists `a` in `read_scopes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataAccess {
    /// Apps whose data this app wants to read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_scopes: Vec<AppSlug>,
    /// Apps allowed to read this app's data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub share_with: Vec<AppSlug>,
}

impl DataAccess {
    /// True when neither list has an entry.
    pub fn is_empty(&self) -> bool {
        self.read_scopes.is_empty() && self.share_with.is_empty()
    }
}
