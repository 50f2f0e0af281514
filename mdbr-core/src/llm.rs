//! LLM settings of an app (`llm_config` in the manifest).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How the app talks to language models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    /// Turn the LLM service on for this app (default `false`).
    #[serde(default)]
    pub enabled: bool,
    /// Chat model as `provider/model` (default `gpt-4o`, i.e. OpenAI).
    #[serde(default = "default_chat_model")]
    pub default_chat_model: String,
    /// Embedding model as `provider/model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_embedding_model: Option<String>,
    /// Sampling temperature, 0–2; the provider's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 2.0))]
    pub default_temperature: Option<f64>,
    /// Retries of a failed request, 0–10 (default 4).
    #[serde(default = "default_max_retries")]
    #[schemars(range(max = 10))]
    pub max_retries: u32,
    /// Per-request timeout in seconds; the runtime's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub timeout_seconds: Option<u64>,
    /// Per-app rate limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Provider settings by provider name (`openai`, `azure`, `ollama`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub providers: BTreeMap<String, LlmProvider>,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            default_chat_model: default_chat_model(),
            default_embedding_model: None,
            default_temperature: None,
            max_retries: default_max_retries(),
            timeout_seconds: None,
            rate_limit: None,
            providers: BTreeMap::new(),
        }
    }
}

/// Token-bucket limits of one app's LLM use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub requests_per_minute: Option<u32>,
    /// Tokens per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub tokens_per_minute: Option<u64>,
}

/// Connection settings of one LLM provider. The API key is read from the
/// environment variable named by `api_key_env`, never from the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LlmProvider {
    /// Base URL of the API (OpenAI-compatible servers, Azure resources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Name of the environment variable holding the API key, e.g. `OPENAI_API_KEY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z_][A-Z0-9_]*$"))]
    pub api_key_env: Option<String>,
    /// API version (Azure OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
}

fn default_chat_model() -> String {
    "gpt-4o".to_owned()
}

fn default_max_retries() -> u32 {
    4
}
