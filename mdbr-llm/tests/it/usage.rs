//! Usage totals per app and model, with estimated cost.

use mdbr_llm::{ChatMessage, ChatOptions, Price, PriceTable};
use mdbr_test_support::{MockProvider, MockReply};

use crate::support::service;

#[tokio::test]
async fn usage_counts_requests_errors_tokens_and_cost() {
    let mock = MockProvider::start().unwrap();
    let llm = service(&mock, "openai").with_prices(
        PriceTable::default()
            .with_price("gpt-4o", Price::per_million(1.0, 2.0))
            .with_price("openai/text-embedding-3-small", Price::per_million(0.5, 0.0)),
    );
    let hi = [ChatMessage::user("Hi")];
    llm.chat(&hi, &ChatOptions::new()).await.unwrap();
    llm.chat(&hi, &ChatOptions::new()).await.unwrap();
    mock.push(MockReply::error(400, "bad", None));
    llm.chat(&hi, &ChatOptions::new()).await.unwrap_err();
    mock.push(MockReply::error(500, "boom", None));
    llm.chat(&hi, &ChatOptions::new()).await.unwrap();
    llm.embed(
        &["one two three".to_owned(), "four".to_owned()],
        Some("openai/text-embedding-3-small"),
    )
    .await
    .unwrap();

    let summary = llm.usage();
    assert_eq!(summary.app, "test");
    let chat = &summary.models["openai/gpt-4o"];
    assert_eq!((chat.requests, chat.errors, chat.retries), (4, 1, 1));
    assert_eq!((chat.prompt_tokens, chat.completion_tokens), (36, 15));
    assert!((chat.cost_usd - (36.0 * 1.0 + 15.0 * 2.0) / 1e6).abs() < 1e-12);
    assert!(chat.latency > std::time::Duration::ZERO);
    let embed = &summary.models["openai/text-embedding-3-small"];
    assert_eq!((embed.requests, embed.embedding_tokens), (1, 4));
    assert!((embed.cost_usd - 4.0 * 0.5 / 1e6).abs() < 1e-12);
    assert_eq!(summary.total().requests, 5);
}
