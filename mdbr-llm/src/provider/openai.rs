//! OpenAI chat completions and embeddings wire format (also Azure, ollama, vllm).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::provider::{ChatRequest, StreamEvent, count};
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
/// Borrows the texts: they are serialized straight into the request.
#[derive(Serialize)]
pub(crate) struct EmbedBody<'a> {
    model: &'a str,
    input: &'a [String],
    encoding_format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<usize>,
}

/// The body of an embedding request for `model`.
pub(crate) fn embed_body<'a>(
    model: &'a str,
    texts: &'a [String],
    dimensions: Option<usize>,
) -> EmbedBody<'a> {
    let dimensions = dimensions.filter(|_| model.starts_with("text-embedding-3"));
    EmbedBody { model, input: texts, encoding_format: "float", dimensions }
}

/// An embedding reply (OpenAI and Voyage), read straight into `f32` vectors.
#[derive(Deserialize)]
struct EmbedReply {
    data: Vec<EmbedItem>,
    #[serde(default)]
    usage: Option<EmbedUsage>,
}

#[derive(Deserialize)]
struct EmbedItem {
    #[serde(default)]
    index: Option<u64>,
    embedding: Vec<f32>,
}

#[derive(Deserialize)]
struct EmbedUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
}

/// Vectors ordered by `index`, and the token count (OpenAI and Voyage).
pub(crate) fn parse_embed(body: &[u8]) -> serde_json::Result<(Vec<Vec<f32>>, u64)> {
    let reply: EmbedReply = serde_json::from_slice(body)?;
    let tokens = reply.usage.and_then(|u| u.prompt_tokens.or(u.total_tokens)).unwrap_or(0);
    let mut data = reply.data;
    let in_order =
        data.iter().enumerate().all(|(pos, item)| item.index.is_none_or(|i| i == pos as u64));
    if !in_order {
        let mut keyed: Vec<(u64, usize)> = data
            .iter()
            .enumerate()
            .map(|(pos, item)| (item.index.unwrap_or(pos as u64), pos))
            .collect();
        keyed.sort_by_key(|(index, _)| *index);
        let mut taken: Vec<Option<EmbedItem>> = data.into_iter().map(Some).collect();
        data = keyed.into_iter().filter_map(|(_, pos)| taken[pos].take()).collect();
    }
    Ok((data.into_iter().map(|item| item.embedding).collect(), tokens))
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

#[cfg(test)]
mod embed_tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn embed_replies_are_read_in_index_order() {
        let body = br#"{"data":[{"index":1,"embedding":[2.0,2.5]},{"index":0,"embedding":[1,1.5]}],"usage":{"total_tokens":7}}"#;
        let (vectors, tokens) = parse_embed(body).unwrap();
        assert_eq!(vectors, vec![vec![1.0, 1.5], vec![2.0, 2.5]]);
        assert_eq!(tokens, 7);
        let body = br#"{"data":[{"embedding":[1]},{"embedding":[2]}],"usage":{"prompt_tokens":3,"total_tokens":9}}"#;
        assert_eq!(parse_embed(body).unwrap(), (vec![vec![1.0], vec![2.0]], 3));
        assert!(parse_embed(br#"{"object":"list"}"#).is_err());
    }

    #[test]
    fn embed_bodies_send_dimensions_only_to_models_that_take_them() {
        let texts = vec!["a".to_owned()];
        let with =
            serde_json::to_value(embed_body("text-embedding-3-small", &texts, Some(64))).unwrap();
        assert_eq!(with["dimensions"], 64);
        assert_eq!(with["input"][0], "a");
        assert_eq!(with["encoding_format"], "float");
        let without =
            serde_json::to_value(embed_body("text-embedding-ada-002", &texts, Some(64))).unwrap();
        assert!(without.get("dimensions").is_none());
    }
}
