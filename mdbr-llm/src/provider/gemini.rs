//! Google Gemini `generateContent` and `batchEmbedContents` wire format.

use serde_json::{Map, Value, json};

use crate::message::Role;
use crate::provider::{ChatRequest, StreamEvent, count, floats};
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
pub(crate) fn embed_body(model: &str, texts: &[String], dimensions: Option<usize>) -> Value {
    let requests: Vec<Value> = texts
        .iter()
        .map(|t| {
            let mut r = json!({ "model": format!("models/{model}"), "content": { "parts": [{ "text": t }] } });
            if let Some(d) = dimensions {
                r["outputDimensionality"] = json!(d);
            }
            r
        })
        .collect();
    json!({ "requests": requests })
}

/// Vectors of a `batchEmbedContents` (or single `embedContent`) reply; Gemini reports no token count.
pub(crate) fn parse_embed(v: &Value) -> Option<(Vec<Vec<f32>>, u64)> {
    if let Some(list) = v.get("embeddings").and_then(Value::as_array) {
        let vectors: Option<Vec<Vec<f32>>> =
            list.iter().map(|e| e.get("values").and_then(floats)).collect();
        return Some((vectors?, 0));
    }
    let one = v.pointer("/embedding/values").and_then(floats)?;
    Some((vec![one], 0))
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
