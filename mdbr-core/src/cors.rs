//! Cross-origin settings of an app's HTTP routes (`cors` in the manifest).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which browser origins may call the app's routes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorsConfig {
    /// Send CORS headers (default `false`).
    #[serde(default)]
    pub enabled: bool,
    /// Allowed origins (`https://example.com`) or `*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_origins: Vec<String>,
    /// Allowed methods (`GET`, `POST`, …) or `*`; the runtime's default when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_methods: Vec<String>,
    /// Allowed request headers or `*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_headers: Vec<String>,
    /// Response headers exposed to the page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expose_headers: Vec<String>,
    /// Allow cookies and credentials (default `false`; not with origin `*`).
    #[serde(default)]
    pub allow_credentials: bool,
    /// Seconds a preflight answer may be cached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<u64>,
}
