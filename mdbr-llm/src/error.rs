//! Errors returned by the LLM service.

use std::time::Duration;

/// Result of an LLM service call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed LLM call: what went wrong at this layer, with the cause as `source()`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The provider answered with an error status.
    #[error("{provider} answered with status {status}: {message}")]
    Status {
        /// Provider name (`openai`, `anthropic`, …).
        provider: String,
        /// HTTP status code.
        status: u16,
        /// Provider's error message (or the start of the body).
        message: String,
        /// Provider's error code, e.g. `rate_limit_exceeded`.
        code: Option<String>,
        /// Wait asked for by `Retry-After` / `retry-after-ms`.
        retry_after: Option<Duration>,
    },
    /// The account's quota or credit is used up; retrying cannot help.
    #[error("{provider} quota exhausted: {message}")]
    QuotaExhausted {
        /// Provider name.
        provider: String,
        /// Provider's error message.
        message: String,
    },
    /// One attempt took longer than the per-attempt timeout.
    #[error("attempt timed out after {0:?}")]
    Timeout(Duration),
    /// The overall deadline of the call passed.
    #[error("deadline of {deadline:?} passed after {attempts} attempt(s)")]
    DeadlineExceeded {
        /// The configured deadline.
        deadline: Duration,
        /// Attempts started before the deadline.
        attempts: u32,
    },
    /// The request could not be sent or the response not received.
    #[error("could not reach {provider}")]
    Transport {
        /// Provider name.
        provider: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The provider's answer did not have the expected shape.
    #[error("unexpected response from {provider}: {message}")]
    Decode {
        /// Provider name.
        provider: String,
        /// What was wrong.
        message: String,
    },
    /// A `provider/model` string named no known provider.
    #[error("unknown provider `{0}` (configure a base_url in llm_config.providers)")]
    UnknownProvider(String),
    /// A model string was empty or malformed.
    #[error("invalid model `{0}`: expected `provider/model` or `model`")]
    InvalidModel(String),
    /// The environment variable with the provider's API key is not set.
    #[error("environment variable `{env}` with the {provider} API key is not set")]
    MissingApiKey {
        /// Provider name.
        provider: String,
        /// Name of the variable that was read.
        env: String,
    },
    /// The provider does not offer this operation (e.g. embeddings on Anthropic).
    #[error("{provider} does not support {operation}")]
    Unsupported {
        /// Provider name.
        provider: String,
        /// The operation asked for.
        operation: &'static str,
    },
    /// No model given and none configured.
    #[error("no {0} model given and none configured")]
    NoModel(&'static str),
    /// Structured output still failed validation after the last attempt.
    #[error("structured output did not match the schema after {attempts} attempt(s): {problems}")]
    Structured {
        /// Attempts made.
        attempts: u32,
        /// What did not match in the last reply.
        problems: String,
    },
    /// The JSON Schema of the target type could not be compiled.
    #[error("invalid JSON schema for structured output: {0}")]
    Schema(String),
    /// Embeddings came back with another number of dimensions than configured.
    #[error("embedding has {actual} dimensions, expected {expected}")]
    Dimensions {
        /// Configured dimensions.
        expected: usize,
        /// Dimensions received.
        actual: usize,
    },
    /// The stream broke off after it had started.
    #[error("stream from {provider} broke off: {message}")]
    Stream {
        /// Provider name.
        provider: String,
        /// What happened.
        message: String,
    },
}

impl Error {
    /// Whether the same request may succeed when sent again: 408, 409, 429 and
    /// 5xx answers, timeouts and connection failures. Never 400/401/403/404 or
    /// an exhausted quota.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Status { status, .. } => matches!(*status, 408 | 409 | 429 | 500..=599),
            Error::Timeout(_) => true,
            Error::Transport { source, .. } => {
                source.is_connect()
                    || source.is_timeout()
                    || source.is_request()
                    || source.is_body()
            }
            _ => false,
        }
    }

    /// The wait the provider asked for, from `Retry-After` or `retry-after-ms`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status of a provider error answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether this is an exhausted quota (never retried).
    pub fn is_quota_exhausted(&self) -> bool {
        matches!(self, Error::QuotaExhausted { .. })
    }
}
