//! Voyage AI embeddings wire format (replies are read like OpenAI's).

use serde_json::{Value, json};

/// Body of `POST /v1/embeddings`.
pub(crate) fn embed_body(model: &str, texts: &[String]) -> Value {
    json!({ "model": model, "input": texts })
}
