//! OpenAI chat completions and embeddings wire format (also Azure, ollama, vllm).

use serde_json::{Map, Value, json};

use crate::provider::{ChatRequest, StreamEvent, count, floats};
use crate::response::{FinishReason, TokenUsage};

/// Body of `POST /chat/completions`. With a schema: strict `json_schema` mode
/// when `native`, JSON mode otherwise.
pub(crate) fn chat_body(req: &ChatRequest<'_>, stream: bool, native: bool) -> Value {
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| json!({ "role": m.role.as_str(), "content": m.content }))
        .collect();
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("messages".into(), Value::Array(messages));
    if let Some(t) = req.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(m) = req.max_tokens {
        body.insert("max_completion_tokens".into(), json!(m));
    }
    if stream {
        body.insert("stream".into(), json!(true));
        body.insert("stream_options".into(), json!({ "include_usage": true }));
    }
    if let Some(spec) = req.schema {
        let format = if native {
            json!({
                "type": "json_schema",
                "json_schema": { "name": spec.name, "schema": strict_schema(&spec.schema), "strict": true }
            })
        } else {
            json!({ "type": "json_object" })
        };
        body.insert("response_format".into(), format);
    }
    Value::Object(body)
}

/// Content, finish reason and usage of a chat completion.
pub(crate) fn parse_chat(v: &Value) -> Option<(String, Option<FinishReason>, TokenUsage)> {
    let choice = v.pointer("/choices/0")?;
    let content =
        choice.pointer("/message/content").and_then(Value::as_str).unwrap_or_default().to_owned();
    let finish =
        choice.get("finish_reason").and_then(Value::as_str).map(FinishReason::from_provider);
    let usage = TokenUsage {
        prompt_tokens: count(v, "/usage/prompt_tokens").unwrap_or(0),
        completion_tokens: count(v, "/usage/completion_tokens").unwrap_or(0),
    };
    Some((content, finish, usage))
}

/// One `chat.completion.chunk`.
pub(crate) fn stream_event(v: &Value) -> StreamEvent {
    StreamEvent {
        text: v.pointer("/choices/0/delta/content").and_then(Value::as_str).map(str::to_owned),
        finish: v
            .pointer("/choices/0/finish_reason")
            .and_then(Value::as_str)
            .map(FinishReason::from_provider),
        prompt_tokens: count(v, "/usage/prompt_tokens"),
        completion_tokens: count(v, "/usage/completion_tokens"),
        end: false,
    }
}

/// Body of `POST /embeddings`; `dimensions` is sent to models that accept it.
pub(crate) fn embed_body(model: &str, texts: &[String], dimensions: Option<usize>) -> Value {
    let mut body = json!({ "model": model, "input": texts, "encoding_format": "float" });
    if let (Some(d), true) = (dimensions, model.starts_with("text-embedding-3")) {
        body["dimensions"] = json!(d);
    }
    body
}

/// Vectors ordered by `index`, and the token count (OpenAI and Voyage).
pub(crate) fn parse_embed(v: &Value) -> Option<(Vec<Vec<f32>>, u64)> {
    let mut items: Vec<(u64, Vec<f32>)> = Vec::new();
    for (pos, item) in v.get("data")?.as_array()?.iter().enumerate() {
        let index = item.get("index").and_then(Value::as_u64).unwrap_or(pos as u64);
        items.push((index, floats(item.get("embedding")?)?));
    }
    items.sort_by_key(|(i, _)| *i);
    let tokens =
        count(v, "/usage/prompt_tokens").or_else(|| count(v, "/usage/total_tokens")).unwrap_or(0);
    Some((items.into_iter().map(|(_, e)| e).collect(), tokens))
}

/// OpenAI's strict mode wants every object closed and every property required
/// (optional fields stay nullable in the schemars output).
fn strict_schema(schema: &Value) -> Value {
    let mut out = schema.clone();
    if let Some(obj) = out.as_object_mut() {
        obj.remove("$schema");
    }
    close_objects(&mut out);
    out
}

fn close_objects(v: &mut Value) {
    match v {
        Value::Object(obj) => {
            if let Some(Value::Object(props)) = obj.get("properties") {
                let names: Vec<Value> = props.keys().map(|k| Value::String(k.clone())).collect();
                obj.insert("required".into(), Value::Array(names));
                obj.insert("additionalProperties".into(), Value::Bool(false));
            }
            for child in obj.values_mut() {
                close_objects(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}
