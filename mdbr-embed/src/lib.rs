//! Token-aware chunking and `split_and_embed` for mdbr apps.
//!
//! [`EmbeddingService`] splits text into chunks of at most
//! `max_tokens_per_chunk` *real* tokens — counted with the tiktoken encoding of
//! `tokenizer_model` (cl100k for the GPT-3.5/4 family, o200k for GPT-4o and
//! later) — on semantic boundaries (Markdown structure, paragraphs, sentences,
//! words), with optional overlap. Every [`Chunk`] carries its token count and
//! byte range. [`EmbeddingService::split_and_embed`] embeds the chunks through
//! any `mdbr_llm` embedder (an `LlmService`, or the offline `HashingEmbedder`),
//! one embedding call per batch of chunks, and attaches metadata.
//!
//! Depend on this crate directly to chunk and embed documents outside an mdbr
//! app (an ingestion job); apps built on the `mdbr` facade get it with the
//! `embed` feature. Configure it from the manifest's `embedding_config`.
//!
//! # Example
//! ```
//! use mdbr_embed::EmbeddingService;
//! use mdbr_llm::HashingEmbedder;
//!
//! # async fn run() -> Result<(), mdbr_embed::Error> {
//! let service = EmbeddingService::new(200, "gpt-4o")?.with_embedder(HashingEmbedder::new(64)?);
//! let text = "# Title\n\nSome text about mdbr.\n\nMore text.";
//! let chunks = service.split(text);
//! assert!(chunks.iter().all(|c| c.token_count <= 200));
//! let mut meta = serde_json::Map::new();
//! meta.insert("source".into(), "readme.md".into());
//! let embedded = service.split_and_embed(text, &meta).await?;
//! assert_eq!(embedded[0].metadata["source"], "readme.md");
//! # Ok(()) }
//! ```

mod blocks;
mod chunk;
mod counter;
mod error;
mod format;
mod pretok;
mod service;
mod tokenizer;
mod trim;

pub use chunk::{Chunk, EmbeddedChunk};
pub use error::{Error, Result};
pub use format::TextFormat;
pub use service::EmbeddingService;
