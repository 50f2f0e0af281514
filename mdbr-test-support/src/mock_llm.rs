//! Loopback mock servers that speak the LLM providers' wire formats
//! (feature `llm-mocks`).
//!
//! One [`MockProvider`] serves every provider route on `127.0.0.1`:
//! OpenAI `/chat/completions` (JSON and SSE) and `/embeddings` (also Voyage's
//! shape), Azure's `/openai/deployments/<d>/…`, Anthropic `/v1/messages` (JSON
//! and SSE), Gemini `…:generateContent`, `…:streamGenerateContent`,
//! `…:embedContent`, `…:batchEmbedContents`, and Cohere `/v2/embed`.
//! Replies pushed with [`MockProvider::push`] are served first, in order, to
//! whatever route is called; when the queue is empty each route answers with a
//! plausible default (embeddings from [`vector_for`]). Every request received
//! is recorded.

mod defaults;
mod reply;
mod request;
mod server;

pub use defaults::vector_for;
pub use reply::{MockBody, MockReply};
pub use request::RecordedRequest;
pub use server::MockProvider;
