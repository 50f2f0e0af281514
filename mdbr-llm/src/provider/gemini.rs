//! Google Gemini `generateContent` and `batchEmbedContents` wire format.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::message::Role;
use crate::provider::{ChatRequest, StreamEvent, count};
use crate::response::{FinishReason, TokenUsage};

/// Body of `generateContent` / `streamGenerateContent`. A schema sets
/// `responseMimeType` and `responseJsonSchema`.
pub(crate) fn chat_body(req: &ChatRequest<'_>) -> Value {
    let system: Vec<Value> = req
        .messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| json!({ "text": m.content }))
        .collect();
    let contents: Vec<Value> = req
        .messages
        .iter()
        .filter(|m| m.role != Role::System)
        .map(|m| {
            let role = if m.role == Role::Assistant { "model" } else { "user" };
            json!({ "role": role, "parts": [{ "text": m.content }] })
        })
        .collect();
    let mut body = Map::new();
    body.insert("contents".into(), Value::Array(contents));
    if !system.is_empty() {
        body.insert("systemInstruction".into(), json!({ "parts": system }));
    }
    let mut config = Map::new();
    if let Some(t) = req.temperature {
        config.insert("temperature".into(), json!(t));
    }
    if let Some(m) = req.max_tokens {
        config.insert("maxOutputTokens".into(), json!(m));
    }
    if let Some(spec) = req.schema {
        let mut schema = spec.schema.clone();
        if let Some(obj) = schema.as_object_mut() {
            obj.remove("$schema");
        }
        config.insert("responseMimeType".into(), json!("application/json"));
        config.insert("responseJsonSchema".into(), schema);
    }
    if !config.is_empty() {
        body.insert("generationConfig".into(), Value::Object(config));
    }
    Value::Object(body)
}

/// Text, finish reason and usage of a `GenerateContentResponse`.
pub(crate) fn parse_chat(v: &Value) -> Option<(String, Option<FinishReason>, TokenUsage)> {
    let candidate = v.pointer("/candidates/0")?;
    let content = candidate_text(candidate);
    let finish =
        candidate.get("finishReason").and_then(Value::as_str).map(FinishReason::from_provider);
    Some((content, finish, usage(v)))
}

/// One streamed `GenerateContentResponse`.
pub(crate) fn stream_event(v: &Value) -> StreamEvent {
    let candidate = v.pointer("/candidates/0");
    let u = usage(v);
    StreamEvent {
        text: candidate.map(candidate_text),
        finish: candidate
            .and_then(|c| c.get("finishReason"))
            .and_then(Value::as_str)
            .map(FinishReason::from_provider),
        prompt_tokens: v.get("usageMetadata").map(|_| u.prompt_tokens),
        completion_tokens: v.get("usageMetadata").map(|_| u.completion_tokens),
        end: false,
    }
}

/// Body of `batchEmbedContents`.
#[derive(Serialize)]
pub(crate) struct EmbedBody<'a> {
    requests: Vec<EmbedRequest<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmbedRequest<'a> {
    model: &'a str,
    content: Content<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_dimensionality: Option<usize>,
}

#[derive(Serialize)]
struct Content<'a> {
    parts: [Part<'a>; 1],
}

#[derive(Serialize)]
struct Part<'a> {
    text: &'a str,
}

/// The body of an embedding request; `model_path` is `models/<model>`.
pub(crate) fn embed_body<'a>(
    model_path: &'a str,
    texts: &'a [String],
    dimensions: Option<usize>,
) -> EmbedBody<'a> {
    let requests = texts
        .iter()
        .map(|t| EmbedRequest {
            model: model_path,
            content: Content { parts: [Part { text: t }] },
            output_dimensionality: dimensions,
        })
        .collect();
    EmbedBody { requests }
}

#[derive(Deserialize)]
struct EmbedReply {
    #[serde(default)]
    embeddings: Option<Vec<Values>>,
    #[serde(default)]
    embedding: Option<Values>,
}

#[derive(Deserialize)]
struct Values {
    values: Vec<f32>,
}

/// Vectors of a `batchEmbedContents` (or single `embedContent`) reply; Gemini reports no token count.
pub(crate) fn parse_embed(body: &[u8]) -> serde_json::Result<Option<(Vec<Vec<f32>>, u64)>> {
    let reply: EmbedReply = serde_json::from_slice(body)?;
    Ok(match (reply.embeddings, reply.embedding) {
        (Some(list), _) => Some((list.into_iter().map(|e| e.values).collect(), 0)),
        (None, Some(one)) => Some((vec![one.values], 0)),
        (None, None) => None,
    })
}

fn candidate_text(candidate: &Value) -> String {
    candidate
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .map(|parts| parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect())
        .unwrap_or_default()
}

fn usage(v: &Value) -> TokenUsage {
    TokenUsage {
        prompt_tokens: count(v, "/usageMetadata/promptTokenCount").unwrap_or(0),
        completion_tokens: count(v, "/usageMetadata/candidatesTokenCount").unwrap_or(0),
    }
}
