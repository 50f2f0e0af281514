//! Streamed replies: text deltas in order, ending with usage.

use futures_util::StreamExt;
use mdbr_llm::{ChatDelta, ChatMessage, ChatOptions, FinishReason, LlmService, TokenUsage};
use mdbr_test_support::{MockProvider, MockReply};

use crate::support::service;

async fn collect(llm: &LlmService, model: &str) -> (String, Vec<ChatDelta>) {
    let mut stream = llm
        .chat_stream(&[ChatMessage::user("Hi")], &ChatOptions::new().with_model(model))
        .await
        .unwrap();
    let mut text = String::new();
    let mut all = Vec::new();
    while let Some(delta) = stream.next().await {
        let delta = delta.unwrap();
        if let ChatDelta::Text(t) = &delta {
            text.push_str(t);
        }
        all.push(delta);
    }
    (text, all)
}

#[tokio::test]
async fn openai_stream_ends_with_usage() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::openai_stream(&["The ", "quick ", "fox"]));
    let llm = service(&mock, "openai");
    let (text, all) = collect(&llm, "openai/gpt-4o").await;
    assert_eq!(text, "The quick fox");
    assert_eq!(
        all.last(),
        Some(&ChatDelta::Done {
            finish_reason: Some(FinishReason::Stop),
            usage: TokenUsage { prompt_tokens: 12, completion_tokens: 3 }
        })
    );
    assert_eq!(all.iter().filter(|d| matches!(d, ChatDelta::Done { .. })).count(), 1);
    let req = &mock.requests()[0];
    assert_eq!(req.body["stream"], true);
    assert_eq!(req.body["stream_options"]["include_usage"], true);
    let usage = llm.usage().models["openai/gpt-4o"].clone();
    assert_eq!((usage.requests, usage.prompt_tokens, usage.completion_tokens), (1, 12, 3));
}

#[tokio::test]
async fn anthropic_stream_ends_with_usage() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::anthropic_stream(&["Hel", "lo", "!"]));
    let llm = service(&mock, "anthropic");
    let (text, all) = collect(&llm, "anthropic/claude-sonnet-4-0").await;
    assert_eq!(text, "Hello!");
    assert_eq!(
        all.last(),
        Some(&ChatDelta::Done {
            finish_reason: Some(FinishReason::Stop),
            usage: TokenUsage { prompt_tokens: 20, completion_tokens: 3 }
        })
    );
    assert_eq!(mock.requests()[0].body["stream"], true);
}

#[tokio::test]
async fn gemini_stream_ends_with_usage() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::gemini_stream(&["One ", "two"]));
    let llm = service(&mock, "gemini");
    let (text, all) = collect(&llm, "gemini/gemini-2.0-flash").await;
    assert_eq!(text, "One two");
    assert_eq!(
        all.last(),
        Some(&ChatDelta::Done {
            finish_reason: Some(FinishReason::Stop),
            usage: TokenUsage { prompt_tokens: 9, completion_tokens: 4 }
        })
    );
    assert_eq!(
        mock.requests()[0].path,
        "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
    );
}

#[tokio::test]
async fn a_stream_that_fails_to_start_is_retried() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::error(503, "overloaded", None));
    let llm = service(&mock, "openai");
    let (text, _) = collect(&llm, "gpt-4o").await;
    assert_eq!(text, "Hello");
    assert_eq!(mock.request_count(), 2);
}
