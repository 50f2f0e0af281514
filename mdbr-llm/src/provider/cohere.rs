//! Cohere v2 embed wire format.

use serde::{Deserialize, Serialize};

/// Body of `POST /v2/embed`.
#[derive(Serialize)]
pub(crate) struct EmbedBody<'a> {
    model: &'a str,
    texts: &'a [String],
    input_type: &'static str,
    embedding_types: [&'static str; 1],
}

/// The body of an embedding request for `model`.
pub(crate) fn embed_body<'a>(model: &'a str, texts: &'a [String]) -> EmbedBody<'a> {
    EmbedBody { model, texts, input_type: "search_document", embedding_types: ["float"] }
}

#[derive(Deserialize)]
struct EmbedReply {
    embeddings: Embeddings,
    #[serde(default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct Embeddings {
    float: Vec<Vec<f32>>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    billed_units: Option<BilledUnits>,
}

#[derive(Deserialize)]
struct BilledUnits {
    #[serde(default)]
    input_tokens: Option<u64>,
}

/// Float vectors and billed input tokens of a v2 embed reply.
pub(crate) fn parse_embed(body: &[u8]) -> serde_json::Result<(Vec<Vec<f32>>, u64)> {
    let reply: EmbedReply = serde_json::from_slice(body)?;
    let tokens = reply.meta.and_then(|m| m.billed_units).and_then(|b| b.input_tokens).unwrap_or(0);
    Ok((reply.embeddings.float, tokens))
}
