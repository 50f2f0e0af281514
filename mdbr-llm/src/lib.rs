//! Provider-agnostic LLM service for mdbr apps: chat, streaming, structured
//! output, embeddings, retries, rate limits and usage accounting.
//!
//! [`LlmService`] is built from an app's `llm_config` and routes
//! `provider/model` strings: `openai/…` (the default without a prefix),
//! `azure/<deployment>`, `anthropic/…`, `gemini/…`, `voyage/…` and `cohere/…`
//! (embeddings), `local/hashing-<dims>` (an offline lexical embedder), and any
//! OpenAI-compatible server with a configured `base_url` (`ollama/…`, `vllm/…`).
//! API keys come from the environment (`OPENAI_API_KEY`, `AZURE_OPENAI_API_KEY`,
//! `ANTHROPIC_API_KEY`, `GEMINI_API_KEY`, `VOYAGE_API_KEY`, `COHERE_API_KEY`, or
//! the variable named by `llm_config.providers.<name>.api_key_env`). Azure reads
//! `AZURE_OPENAI_ENDPOINT` and `AZURE_OPENAI_API_VERSION` unless configured.
//!
//! Every call goes through one retry loop ([`RetryPolicy`]): exponential
//! backoff with full jitter, `Retry-After` / `retry-after-ms` honoured, 408,
//! 409, 429, 5xx, timeouts and connection errors retried, never 400, 401, 403,
//! 404 or an exhausted quota; a per-attempt timeout and an overall deadline.
//! Calls share the app's [`RateLimiter`] and are counted in its [`UsageSummary`].
//!
//! Depend on this crate directly when you only need model calls (a worker, a
//! script); apps built on the `mdbr` facade get it with the `llm` feature.
//! Chunking text for embedding lives in `mdbr-embed`.
//!
//! # Features
//! - `test-utils`: [`MockLlm`], a scripted [`ChatModel`], and [`FixedEmbedder`],
//!   an offline embedder that counts its calls.
//!
//! # Example
//! ```no_run
//! use mdbr_llm::{ChatMessage, ChatOptions, LlmService};
//!
//! # async fn run() -> mdbr_llm::Result<()> {
//! let config = mdbr_core::LlmConfig::default(); // usually `manifest.llm_config`
//! let llm = LlmService::new("billing", config)?;
//! let reply = llm
//!     .chat(&[ChatMessage::user("Say hello")], &ChatOptions::new().with_model("openai/gpt-4o-mini"))
//!     .await?;
//! println!("{} ({} tokens)", reply.content, reply.usage.total());
//! let vectors = llm.embed(&["hello".to_owned()], Some("local/hashing-256")).await?;
//! assert_eq!(vectors[0].len(), 256);
//! # Ok(()) }
//! ```

mod chat_model;
mod embedder;
mod error;
mod hashing;
mod http;
mod message;
mod model_ref;
mod options;
mod price;
mod provider;
mod rate_limiter;
mod response;
mod retry;
mod service;
mod sse;
mod structured;
#[cfg(feature = "test-utils")]
mod testing;
mod usage;

pub use chat_model::{ChatModel, DynChatModel};
pub use embedder::{BoxFuture, DynEmbedder, Embedder};
pub use error::{Error, Result};
pub use hashing::HashingEmbedder;
pub use message::{ChatMessage, Role};
pub use model_ref::ModelRef;
pub use options::ChatOptions;
pub use price::{Price, PriceTable};
pub use rate_limiter::RateLimiter;
pub use response::{ChatDelta, ChatResponse, FinishReason, TokenUsage};
pub use retry::RetryPolicy;
pub use service::{ChatStream, LlmService};
#[cfg(feature = "test-utils")]
pub use testing::{FixedEmbedder, MockLlm};
pub use usage::{ModelUsage, UsageSummary};
