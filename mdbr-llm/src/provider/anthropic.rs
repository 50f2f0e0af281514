//! Anthropic Messages API wire format.

use serde_json::{Map, Value, json};

use crate::message::Role;
use crate::provider::{ChatRequest, StreamEvent, count};
use crate::response::{FinishReason, TokenUsage};

/// Anthropic requires `max_tokens`; this is used when the caller sets none.
const DEFAULT_MAX_TOKENS: u32 = 4096;

/// Name of the tool that carries structured output.
pub(crate) const TOOL_NAME: &str = "respond";

/// Body of `POST /v1/messages`. A schema becomes a forced tool call.
pub(crate) fn chat_body(req: &ChatRequest<'_>, stream: bool) -> Value {
    let system: Vec<&str> = req
        .messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.as_str())
        .collect();
    let messages: Vec<Value> = req
        .messages
        .iter()
        .filter(|m| m.role != Role::System)
        .map(|m| json!({ "role": m.role.as_str(), "content": m.content }))
        .collect();
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("max_tokens".into(), json!(req.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)));
    body.insert("messages".into(), Value::Array(messages));
    if !system.is_empty() {
        body.insert("system".into(), json!(system.join("\n\n")));
    }
    if let Some(t) = req.temperature {
        body.insert("temperature".into(), json!(t.min(1.0)));
    }
    if stream {
        body.insert("stream".into(), json!(true));
    }
    if let Some(spec) = req.schema {
        let mut schema = spec.schema.clone();
        if let Some(obj) = schema.as_object_mut() {
            obj.remove("$schema");
        }
        body.insert(
            "tools".into(),
            json!([{
                "name": TOOL_NAME,
                "description": format!("Reply with a `{}` value matching the input schema.", spec.name),
                "input_schema": schema,
            }]),
        );
        body.insert("tool_choice".into(), json!({ "type": "tool", "name": TOOL_NAME }));
    }
    Value::Object(body)
}

/// Text (or the tool input as JSON), stop reason and usage of a message.
pub(crate) fn parse_chat(v: &Value) -> Option<(String, Option<FinishReason>, TokenUsage)> {
    let blocks = v.get("content")?.as_array()?;
    let tool_input = blocks
        .iter()
        .find(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
        .and_then(|b| b.get("input"))
        .map(Value::to_string);
    let content = tool_input.unwrap_or_else(|| {
        blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect()
    });
    let finish = v.get("stop_reason").and_then(Value::as_str).map(FinishReason::from_provider);
    let usage = TokenUsage {
        prompt_tokens: count(v, "/usage/input_tokens").unwrap_or(0),
        completion_tokens: count(v, "/usage/output_tokens").unwrap_or(0),
    };
    Some((content, finish, usage))
}

/// One Messages stream event (`message_start`, `content_block_delta`, …).
pub(crate) fn stream_event(v: &Value) -> StreamEvent {
    let mut event = StreamEvent::default();
    match v.get("type").and_then(Value::as_str) {
        Some("message_start") => event.prompt_tokens = count(v, "/message/usage/input_tokens"),
        Some("content_block_delta") => {
            event.text = v
                .pointer("/delta/text")
                .or_else(|| v.pointer("/delta/partial_json"))
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        Some("message_delta") => {
            event.finish = v
                .pointer("/delta/stop_reason")
                .and_then(Value::as_str)
                .map(FinishReason::from_provider);
            event.completion_tokens = count(v, "/usage/output_tokens");
        }
        Some("message_stop") => event.end = true,
        _ => {}
    }
    event
}
