//! The retry loop against real HTTP answers: what is retried, how long it
//! waits, and how many attempts it makes.

use std::time::{Duration, Instant};

use mdbr_llm::{ChatMessage, ChatOptions, Error, LlmService};
use mdbr_test_support::{MockProvider, MockReply};

use crate::support::{fast_retries, service};

async fn ask(llm: &LlmService) -> Result<String, Error> {
    llm.chat(&[ChatMessage::user("Hi")], &ChatOptions::new()).await.map(|r| r.content)
}

#[tokio::test]
async fn retry_after_2_seconds_is_honoured() {
    let mock = MockProvider::start().unwrap();
    mock.push(
        MockReply::error(429, "Rate limit reached", Some("rate_limit_exceeded"))
            .with_header("retry-after", "2"),
    );
    let llm = service(&mock, "openai");
    let started = Instant::now();
    assert_eq!(ask(&llm).await.unwrap(), "Hello");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(2), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(6), "waited {waited:?}");
    assert_eq!(mock.request_count(), 2);
    assert_eq!(llm.usage().total().retries, 1);
}

#[tokio::test]
async fn retry_after_ms_is_honoured() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::error(429, "slow down", None).with_header("retry-after-ms", "300"));
    let llm = service(&mock, "openai");
    let started = Instant::now();
    ask(&llm).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(mock.request_count(), 2);
}

#[tokio::test]
async fn transient_statuses_are_retried_with_backoff() {
    let mock = MockProvider::start().unwrap();
    for status in [503, 408, 409, 502] {
        mock.push(MockReply::error(status, "try again", None));
    }
    let llm = service(&mock, "openai");
    assert_eq!(ask(&llm).await.unwrap(), "Hello");
    assert_eq!(mock.request_count(), 5);
    assert_eq!(llm.usage().total().retries, 4);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for status in [400, 401, 403, 404] {
        let mock = MockProvider::start().unwrap();
        mock.push(MockReply::error(status, "bad request", Some("invalid_request_error")));
        let err = ask(&service(&mock, "openai")).await.unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert!(!err.is_retryable());
        assert_eq!(mock.request_count(), 1, "status {status} was retried");
    }
}

#[tokio::test]
async fn quota_exhaustion_is_not_retried() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::quota_exhausted());
    let err = ask(&service(&mock, "openai")).await.unwrap_err();
    assert!(err.is_quota_exhausted(), "{err}");
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn a_timed_out_attempt_is_retried() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::openai_chat("late").with_delay(Duration::from_secs(5)));
    let llm = service(&mock, "openai")
        .with_retry_policy(fast_retries().with_attempt_timeout(Some(Duration::from_millis(300))));
    let started = Instant::now();
    assert_eq!(ask(&llm).await.unwrap(), "Hello");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(mock.request_count(), 2);
}

#[tokio::test]
async fn attempts_never_exceed_max_retries_plus_one() {
    for max_retries in [0, 2] {
        let mock = MockProvider::start().unwrap();
        for _ in 0..6 {
            mock.push(MockReply::error(500, "boom", None));
        }
        let llm = service(&mock, "openai")
            .with_retry_policy(fast_retries().with_max_retries(max_retries));
        let err = ask(&llm).await.unwrap_err();
        assert_eq!(err.status(), Some(500));
        assert_eq!(mock.request_count(), max_retries as usize + 1);
    }
}

#[tokio::test]
async fn a_wait_past_the_deadline_gives_up_at_once() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::error(429, "later", None).with_header("retry-after", "30"));
    let llm = service(&mock, "openai")
        .with_retry_policy(fast_retries().with_deadline(Some(Duration::from_secs(1))));
    let started = Instant::now();
    let err = ask(&llm).await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn the_deadline_bounds_slow_attempts() {
    let mock = MockProvider::start().unwrap();
    mock.push(MockReply::openai_chat("late").with_delay(Duration::from_secs(3)));
    let llm = service(&mock, "openai").with_retry_policy(
        fast_retries().with_attempt_timeout(None).with_deadline(Some(Duration::from_millis(400))),
    );
    let err = ask(&llm).await.unwrap_err();
    assert!(matches!(err, Error::DeadlineExceeded { attempts: 1, .. }), "{err}");
}

#[tokio::test]
async fn connection_errors_are_retried() {
    // A port nothing listens on: every attempt is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let llm = LlmService::new("test", mdbr_core::LlmConfig::default())
        .unwrap()
        .with_base_url("openai", format!("http://127.0.0.1:{port}/v1"))
        .with_api_key("openai", "k")
        .with_retry_policy(fast_retries().with_max_retries(2));
    let err = ask(&llm).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(err.is_retryable());
    assert_eq!(llm.usage().total().retries, 2);
}
