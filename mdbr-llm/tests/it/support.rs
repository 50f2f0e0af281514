//! Shared setup: a service pointed at a mock provider with fast retries.

use std::time::Duration;

use mdbr_core::LlmConfig;
use mdbr_llm::{LlmService, RetryPolicy};
use mdbr_test_support::MockProvider;

/// Retries with millisecond backoff so tests stay short.
pub(crate) fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_delays(Duration::from_millis(10), Duration::from_millis(40))
        .with_attempt_timeout(Some(Duration::from_secs(5)))
        .with_deadline(Some(Duration::from_secs(20)))
}

/// The base URL a provider's client expects on the mock.
pub(crate) fn base_url(mock: &MockProvider, provider: &str) -> String {
    match provider {
        "openai" | "voyage" | "ollama" | "vllm" => format!("{}/v1", mock.url()),
        _ => mock.url(),
    }
}

/// A service for app `test` sending `provider` to the mock with key `sk-test`.
pub(crate) fn service(mock: &MockProvider, provider: &str) -> LlmService {
    LlmService::new("test", LlmConfig::default())
        .unwrap()
        .with_base_url(provider, base_url(mock, provider))
        .with_api_key(provider, "sk-test")
        .with_retry_policy(fast_retries())
}
