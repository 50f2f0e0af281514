//! Chunking and embedding settings of an app (`embedding_config` in the manifest).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How the app splits text into chunks and embeds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingConfig {
    /// Turn the embedding service on for this app (default `false`).
    #[serde(default)]
    pub enabled: bool,
    /// Largest chunk in tokens, 100–10000 (default 1000).
    #[serde(default = "default_max_tokens")]
    #[schemars(range(min = 100, max = 10_000))]
    pub max_tokens_per_chunk: u32,
    /// Tokens shared by neighbouring chunks (default 0; less than `max_tokens_per_chunk`).
    #[serde(default)]
    pub chunk_overlap_tokens: u32,
    /// Model whose tokenizer counts tokens (default `gpt-3.5-turbo`).
    #[serde(default = "default_tokenizer")]
    pub tokenizer_model: String,
    /// Embedding model as `provider/model`; `llm_config.default_embedding_model` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_embedding_model: Option<String>,
    /// Dimensions of the embeddings, 1–8192; the model's own when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 8192))]
    pub dimensions: Option<u32>,
}

impl Default for EmbeddingConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            max_tokens_per_chunk: default_max_tokens(),
            chunk_overlap_tokens: 0,
            tokenizer_model: default_tokenizer(),
            default_embedding_model: None,
            dimensions: None,
        }
    }
}

fn default_max_tokens() -> u32 {
    1000
}

fn default_tokenizer() -> String {
    "gpt-3.5-turbo".to_owned()
}
