//! Sending one HTTP attempt and turning error answers into [`Error`]s.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::error::{Error, Result};

/// Sends the request; a non-success status becomes [`Error::Status`] or
/// [`Error::QuotaExhausted`].
pub(crate) async fn send(
    provider: &str,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response> {
    let response = request
        .send()
        .await
        .map_err(|source| Error::Transport { provider: provider.to_owned(), source })?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let headers = response.headers().clone();
    let body = response.text().await.unwrap_or_default();
    Err(error_from_answer(provider, status.as_u16(), &headers, &body))
}

/// Sends the request and reads the whole body.
pub(crate) async fn send_bytes(
    provider: &str,
    request: reqwest::RequestBuilder,
) -> Result<impl std::ops::Deref<Target = [u8]>> {
    let response = send(provider, request).await?;
    response
        .bytes()
        .await
        .map_err(|source| Error::Transport { provider: provider.to_owned(), source })
}

/// Sends the request and reads a JSON body.
pub(crate) async fn send_json(provider: &str, request: reqwest::RequestBuilder) -> Result<Value> {
    let response = send(provider, request).await?;
    let bytes = response
        .bytes()
        .await
        .map_err(|source| Error::Transport { provider: provider.to_owned(), source })?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
        provider: provider.to_owned(),
        message: format!("body is not JSON: {e}"),
    })
}

/// Builds the error for an answer with a failing status.
pub(crate) fn error_from_answer(
    provider: &str,
    status: u16,
    headers: &HeaderMap,
    body: &str,
) -> Error {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let (message, code) = match &json {
        Some(v) => error_fields(v),
        None => (None, None),
    };
    let message = message.unwrap_or_else(|| body.chars().take(300).collect());
    let quota =
        matches!(code.as_deref(), Some("insufficient_quota" | "billing_hard_limit_reached"))
            || json.as_ref().is_some_and(|v| {
                v.pointer("/error/type").and_then(Value::as_str) == Some("insufficient_quota")
            });
    if quota {
        return Error::QuotaExhausted { provider: provider.to_owned(), message };
    }
    Error::Status {
        provider: provider.to_owned(),
        status,
        message,
        code,
        retry_after: retry_after(headers),
    }
}

/// The wait asked for by `retry-after-ms` (milliseconds) or `Retry-After`
/// (seconds). HTTP dates in `Retry-After` are not read.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let read = |name: &str| {
        headers.get(name).and_then(|v| v.to_str().ok()).and_then(|s| s.trim().parse::<f64>().ok())
    };
    if let Some(ms) = read("retry-after-ms").filter(|ms| ms.is_finite() && *ms >= 0.0) {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    read("retry-after").filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
}

/// Message and code from the error bodies of the supported providers:
/// `{"error":{"message","code","type"}}` (OpenAI, Anthropic, Gemini),
/// `{"message"}` (Cohere), `{"detail"}` (Voyage).
fn error_fields(v: &Value) -> (Option<String>, Option<String>) {
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let message = text("/error/message").or_else(|| text("/message")).or_else(|| text("/detail"));
    let code = text("/error/code")
        .or_else(|| text("/error/status"))
        .or_else(|| text("/error/type"))
        .or_else(|| v.pointer("/error/code").and_then(Value::as_i64).map(|c| c.to_string()));
    (message, code)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn reads_retry_after_in_ms_and_seconds() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
    }

    #[test]
    fn quota_is_its_own_error_and_not_retryable() {
        let body = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#;
        let err = error_from_answer("openai", 429, &HeaderMap::new(), body);
        assert!(err.is_quota_exhausted());
        assert!(!err.is_retryable());
        let err = error_from_answer(
            "openai",
            429,
            &HeaderMap::new(),
            r#"{"error":{"message":"slow down","code":"rate_limit_exceeded"}}"#,
        );
        assert!(err.is_retryable());
        assert_eq!(err.status(), Some(429));
    }
}
