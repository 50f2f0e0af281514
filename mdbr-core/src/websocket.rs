//! Websocket endpoints of an app (`websockets` in the manifest).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One websocket endpoint, mounted under the app's router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebSocketEndpoint {
    /// Path under the app's router, starting with `/`; unique within the app.
    #[schemars(regex(pattern = r"^/"))]
    pub path: String,
    /// What the endpoint is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who may connect; the app's `auth_policy` applies when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<WebSocketAuth>,
    /// Seconds between pings (5–300, default 30).
    #[serde(default = "default_ping_interval")]
    #[schemars(range(min = 5, max = 300))]
    pub ping_interval: u32,
    /// Largest inbound message in bytes; the runtime's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_message_bytes: Option<u64>,
}

impl WebSocketEndpoint {
    /// An endpoint at `path` with default settings.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            description: None,
            auth: None,
            ping_interval: default_ping_interval(),
            max_message_bytes: None,
        }
    }
}

/// Authentication of a websocket endpoint, checked before the upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebSocketAuth {
    /// Require an authenticated identity of this app (default `true`).
    #[serde(default = "yes")]
    pub required: bool,
    /// Accept anonymous sessions (default `false`).
    #[serde(default)]
    pub allow_anonymous: bool,
}

impl Default for WebSocketAuth {
    fn default() -> Self {
        Self { required: true, allow_anonymous: false }
    }
}

fn yes() -> bool {
    true
}

fn default_ping_interval() -> u32 {
    30
}
