//! Scripted replies of the mock provider, with builders for each wire format.

use std::time::Duration;

use serde_json::{Value, json};

/// Body of a scripted reply.
#[derive(Debug, Clone, PartialEq)]
pub enum MockBody {
    /// A JSON body.
    Json(Value),
    /// Server-sent events: `(event name, data)` pairs.
    Sse(Vec<(Option<String>, String)>),
    /// A plain text body.
    Text(String),
}

/// One scripted reply: status, headers, body and an optional delay.
#[derive(Debug, Clone, PartialEq)]
pub struct MockReply {
    /// HTTP status.
    pub status: u16,
    /// Extra headers, e.g. `("retry-after", "2")`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: MockBody,
    /// Wait before answering (for timeout tests).
    pub delay: Option<Duration>,
}

impl MockReply {
    /// A 200 reply with a JSON body.
    pub fn json(body: Value) -> Self {
        Self { status: 200, headers: Vec::new(), body: MockBody::Json(body), delay: None }
    }

    /// An error reply in OpenAI's error shape.
    pub fn error(status: u16, message: &str, code: Option<&str>) -> Self {
        let body = json!({ "error": { "message": message, "type": code.unwrap_or("error"), "param": null, "code": code } });
        Self { status, ..Self::json(body) }
    }

    /// OpenAI's `429 insufficient_quota`.
    pub fn quota_exhausted() -> Self {
        Self::error(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            Some("insufficient_quota"),
        )
    }

    /// A 200 server-sent-events reply.
    pub fn sse(events: Vec<(Option<String>, String)>) -> Self {
        Self { status: 200, headers: Vec::new(), body: MockBody::Sse(events), delay: None }
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Answers only after `delay`.
    #[must_use]
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// An OpenAI chat completion with `content`.
    pub fn openai_chat(content: &str) -> Self {
        Self::json(json!({
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "mock-model",
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": content, "refusal": null },
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": { "prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17 }
        }))
    }

    /// An OpenAI chat completion stream of `pieces`, ending with a usage chunk and `[DONE]`.
    pub fn openai_stream(pieces: &[&str]) -> Self {
        let chunk = |delta: Value, finish: Value| {
            json!({
                "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1_700_000_000,
                "model": "mock-model",
                "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }]
            })
            .to_string()
        };
        let mut events =
            vec![(None, chunk(json!({ "role": "assistant", "content": "" }), Value::Null))];
        for p in pieces {
            events.push((None, chunk(json!({ "content": p }), Value::Null)));
        }
        events.push((None, chunk(json!({}), json!("stop"))));
        events.push((
            None,
            json!({
                "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1_700_000_000,
                "model": "mock-model", "choices": [],
                "usage": { "prompt_tokens": 12, "completion_tokens": pieces.len(), "total_tokens": 12 + pieces.len() }
            })
            .to_string(),
        ));
        events.push((None, "[DONE]".to_owned()));
        Self::sse(events)
    }

    /// An Anthropic message with one text block.
    pub fn anthropic_text(text: &str) -> Self {
        Self::anthropic_message(json!([{ "type": "text", "text": text }]), "end_turn")
    }

    /// An Anthropic message that calls tool `name` with `input`.
    pub fn anthropic_tool(name: &str, input: Value) -> Self {
        Self::anthropic_message(
            json!([{ "type": "tool_use", "id": "toolu_mock", "name": name, "input": input }]),
            "tool_use",
        )
    }

    fn anthropic_message(content: Value, stop: &str) -> Self {
        Self::json(json!({
            "id": "msg_mock", "type": "message", "role": "assistant", "model": "mock-model",
            "content": content, "stop_reason": stop, "stop_sequence": null,
            "usage": { "input_tokens": 20, "output_tokens": 7 }
        }))
    }

    /// An Anthropic Messages stream of `pieces`.
    pub fn anthropic_stream(pieces: &[&str]) -> Self {
        let ev = |name: &str, data: Value| (Some(name.to_owned()), data.to_string());
        let mut events = vec![
            ev(
                "message_start",
                json!({ "type": "message_start", "message": {
                "id": "msg_mock", "type": "message", "role": "assistant", "model": "mock-model", "content": [],
                "stop_reason": null, "stop_sequence": null, "usage": { "input_tokens": 20, "output_tokens": 1 } } }),
            ),
            ev(
                "content_block_start",
                json!({ "type": "content_block_start", "index": 0, "content_block": { "type": "text", "text": "" } }),
            ),
            ev("ping", json!({ "type": "ping" })),
        ];
        for p in pieces {
            events.push(ev("content_block_delta", json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": p } })));
        }
        events.push(ev("content_block_stop", json!({ "type": "content_block_stop", "index": 0 })));
        events.push(ev("message_delta", json!({ "type": "message_delta", "delta": { "stop_reason": "end_turn", "stop_sequence": null }, "usage": { "output_tokens": pieces.len() } })));
        events.push(ev("message_stop", json!({ "type": "message_stop" })));
        Self::sse(events)
    }

    /// A Gemini `GenerateContentResponse` with `text`.
    pub fn gemini_text(text: &str) -> Self {
        Self::json(Self::gemini_response(text, Some("STOP")))
    }

    /// A Gemini `streamGenerateContent?alt=sse` stream of `pieces`.
    pub fn gemini_stream(pieces: &[&str]) -> Self {
        let last = pieces.len().saturating_sub(1);
        let events = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (None, Self::gemini_response(p, (i == last).then_some("STOP")).to_string())
            })
            .collect();
        Self::sse(events)
    }

    fn gemini_response(text: &str, finish: Option<&str>) -> Value {
        let mut candidate =
            json!({ "content": { "parts": [{ "text": text }], "role": "model" }, "index": 0 });
        if let Some(f) = finish {
            candidate["finishReason"] = json!(f);
        }
        json!({
            "candidates": [candidate],
            "usageMetadata": { "promptTokenCount": 9, "candidatesTokenCount": 4, "totalTokenCount": 13 },
            "modelVersion": "mock-model"
        })
    }
}
