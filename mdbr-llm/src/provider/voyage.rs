//! Voyage AI embeddings wire format (replies are read like OpenAI's).

use serde::Serialize;

/// Body of `POST /v1/embeddings`.
#[derive(Serialize)]
pub(crate) struct EmbedBody<'a> {
    model: &'a str,
    input: &'a [String],
}

/// The body of an embedding request for `model`.
pub(crate) fn embed_body<'a>(model: &'a str, texts: &'a [String]) -> EmbedBody<'a> {
    EmbedBody { model, input: texts }
}
