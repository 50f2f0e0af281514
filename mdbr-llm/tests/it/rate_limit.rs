//! The per-app rate limiter, shared by every call of the app.

use std::time::{Duration, Instant};

use mdbr_core::{LlmConfig, RateLimit};
use mdbr_llm::{ChatMessage, ChatOptions, LlmService, RateLimiter};
use mdbr_test_support::MockProvider;

use crate::support::{base_url, fast_retries};

#[tokio::test]
async fn requests_beyond_the_per_minute_budget_wait() {
    let mock = MockProvider::start().unwrap();
    let config = LlmConfig {
        rate_limit: Some(RateLimit { requests_per_minute: Some(120), tokens_per_minute: None }),
        ..LlmConfig::default()
    };
    let llm = LlmService::new("test", config)
        .unwrap()
        .with_base_url("openai", base_url(&mock, "openai"))
        .with_api_key("openai", "k")
        .with_retry_policy(fast_retries());
    let clone = llm.clone();
    let started = Instant::now();
    let calls = (0..121).map(|i| {
        let llm = if i % 2 == 0 { llm.clone() } else { clone.clone() };
        async move { llm.chat(&[ChatMessage::user("Hi")], &ChatOptions::new()).await.unwrap() }
    });
    futures_util::future::join_all(calls).await;
    // 120 fit the bucket; the 121st waits for half a second of refill.
    assert!(started.elapsed() >= Duration::from_millis(450), "{:?}", started.elapsed());
    assert_eq!(mock.request_count(), 121);
}

#[tokio::test(start_paused = true)]
async fn token_budget_is_shared_between_services() {
    let limiter = RateLimiter::new(None, Some(600));
    let start = tokio::time::Instant::now();
    limiter.acquire(600).await;
    let other = limiter.clone();
    other.acquire(300).await;
    // 300 tokens at 10 per second.
    assert!(start.elapsed() >= Duration::from_secs(29));
    assert!(start.elapsed() <= Duration::from_secs(31));
}
