//! Default answers of each route when no reply is scripted.

use serde_json::{Value, json};

use crate::mock_llm::reply::MockReply;

/// The vector the mock returns for `text`: deterministic, with the text's byte
/// length in the first component so tests can check order.
pub fn vector_for(text: &str, dims: usize) -> Vec<f32> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    (0..dims)
        .map(|i| {
            if i == 0 {
                return text.len() as f32;
            }
            for b in text.bytes().chain([i as u8]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            (h % 1000) as f32 / 1000.0
        })
        .collect()
}

/// The default reply for a request to `path` with `body`.
pub(crate) fn default_reply(path: &str, body: &Value, dims: usize) -> MockReply {
    let streaming = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let route = path.split('?').next().unwrap_or(path);
    if route.ends_with("/chat/completions") {
        return if streaming {
            MockReply::openai_stream(&["Hel", "lo"])
        } else {
            MockReply::openai_chat("Hello")
        };
    }
    if route.ends_with("/v1/messages") {
        return if streaming {
            MockReply::anthropic_stream(&["Hel", "lo"])
        } else {
            MockReply::anthropic_text("Hello")
        };
    }
    if route.ends_with(":streamGenerateContent") {
        return MockReply::gemini_stream(&["Hel", "lo"]);
    }
    if route.ends_with(":generateContent") {
        return MockReply::gemini_text("Hello");
    }
    if route.ends_with(":batchEmbedContents") {
        let texts = strings(body.get("requests"), "/content/parts/0/text");
        let embeddings: Vec<Value> =
            texts.iter().map(|t| json!({ "values": vector_for(t, dims) })).collect();
        return MockReply::json(json!({ "embeddings": embeddings }));
    }
    if route.ends_with(":embedContent") {
        let text =
            body.pointer("/content/parts/0/text").and_then(Value::as_str).unwrap_or_default();
        return MockReply::json(json!({ "embedding": { "values": vector_for(text, dims) } }));
    }
    if route.ends_with("/v2/embed") {
        let texts = strings(body.get("texts"), "");
        let vectors: Vec<Vec<f32>> = texts.iter().map(|t| vector_for(t, dims)).collect();
        let tokens: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
        return MockReply::json(json!({
            "id": "mock", "embeddings": { "float": vectors }, "texts": texts,
            "meta": { "api_version": { "version": "2" }, "billed_units": { "input_tokens": tokens } }
        }));
    }
    if route.ends_with("/embeddings") {
        let texts = match body.get("input") {
            Some(Value::String(s)) => vec![s.clone()],
            other => strings(other, ""),
        };
        let data: Vec<Value> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| json!({ "object": "embedding", "index": i, "embedding": vector_for(t, dims) }))
            .collect();
        let tokens: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
        return MockReply::json(json!({
            "object": "list", "data": data, "model": body.get("model").cloned().unwrap_or(Value::Null),
            "usage": { "prompt_tokens": tokens, "total_tokens": tokens }
        }));
    }
    MockReply::error(404, &format!("no mock route for {path}"), None)
}

fn strings(list: Option<&Value>, pointer: &str) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    let v = if pointer.is_empty() { Some(i) } else { i.pointer(pointer) };
                    v.and_then(Value::as_str).unwrap_or_default().to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}
