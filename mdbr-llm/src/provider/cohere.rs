//! Cohere v2 embed wire format.

use serde_json::{Value, json};

use crate::provider::{count, floats};

/// Body of `POST /v2/embed`.
pub(crate) fn embed_body(model: &str, texts: &[String]) -> Value {
    json!({ "model": model, "texts": texts, "input_type": "search_document", "embedding_types": ["float"] })
}

/// Float vectors and billed input tokens of a v2 embed reply.
pub(crate) fn parse_embed(v: &Value) -> Option<(Vec<Vec<f32>>, u64)> {
    let list = v.pointer("/embeddings/float")?.as_array()?;
    let vectors: Option<Vec<Vec<f32>>> = list.iter().map(floats).collect();
    Some((vectors?, count(v, "/meta/billed_units/input_tokens").unwrap_or(0)))
}
