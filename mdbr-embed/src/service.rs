//! `EmbeddingService`: token-aware chunking and split-and-embed.

use std::sync::Arc;

use bpe_openai::Tokenizer;
use mdbr_core::{EmbeddingConfig, Manifest};
use mdbr_llm::{DynEmbedder, LlmService};
use serde_json::{Map, Value, json};
use text_splitter::{ChunkConfig, MarkdownSplitter, TextSplitter};
use tracing::Instrument;

use crate::blocks::blocks;
use crate::chunk::{Chunk, EmbeddedChunk};
use crate::counter::SliceCounter;
use crate::error::{Error, Result};
use crate::format::TextFormat;
use crate::tokenizer::encoder_for;

/// Smallest block of a long text split on its own (see `blocks.rs`).
const MIN_BLOCK_BYTES: usize = 64 * 1024;
/// Block size per token of chunk budget: blocks hold a few dozen chunks.
const BLOCK_BYTES_PER_TOKEN: usize = 256;

/// Splits text into chunks of at most `max_tokens_per_chunk` real tokens on
/// semantic boundaries, and embeds them. Cheap to clone.
#[derive(Clone)]
pub struct EmbeddingService {
    max_tokens_per_chunk: usize,
    overlap_tokens: usize,
    tokenizer_model: String,
    encoding: &'static str,
    encoder: &'static Tokenizer,
    trim: bool,
    batch_size: usize,
    embedder: Option<Arc<dyn DynEmbedder>>,
}

impl std::fmt::Debug for EmbeddingService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingService")
            .field("max_tokens_per_chunk", &self.max_tokens_per_chunk)
            .field("overlap_tokens", &self.overlap_tokens)
            .field("tokenizer_model", &self.tokenizer_model)
            .field("encoding", &self.encoding)
            .field("trim", &self.trim)
            .field("batch_size", &self.batch_size)
            .field("embedder", &self.embedder.is_some())
            .finish()
    }
}

impl EmbeddingService {
    /// Chunks of at most `max_tokens_per_chunk` tokens of `tokenizer_model`'s
    /// encoding, no overlap, no embedder.
    pub fn new(max_tokens_per_chunk: usize, tokenizer_model: &str) -> Result<Self> {
        if max_tokens_per_chunk == 0 {
            return Err(Error::Config("max_tokens_per_chunk must be at least 1".to_owned()));
        }
        let (encoder, encoding) = encoder_for(tokenizer_model);
        Ok(Self {
            max_tokens_per_chunk,
            overlap_tokens: 0,
            tokenizer_model: tokenizer_model.to_owned(),
            encoding,
            encoder,
            trim: true,
            batch_size: 256,
            embedder: None,
        })
    }

    /// The service of `embedding_config` (no embedder yet: see [`Self::with_embedder`]).
    pub fn from_config(config: &EmbeddingConfig) -> Result<Self> {
        Self::new(config.max_tokens_per_chunk as usize, &config.tokenizer_model)?
            .with_overlap(config.chunk_overlap_tokens as usize)
    }

    /// The service of a manifest: `embedding_config`, embedding through an
    /// [`LlmService`] built from the same manifest.
    pub fn from_manifest(manifest: &Manifest) -> Result<Self> {
        let llm = LlmService::from_manifest(manifest)?;
        Ok(Self::from_config(&manifest.embedding_config)?.with_embedder(llm))
    }

    /// Lets neighbouring chunks share up to `tokens` tokens (less than the chunk size).
    pub fn with_overlap(mut self, tokens: usize) -> Result<Self> {
        if tokens >= self.max_tokens_per_chunk {
            return Err(Error::Config(format!(
                "chunk_overlap_tokens ({tokens}) must be less than max_tokens_per_chunk ({})",
                self.max_tokens_per_chunk
            )));
        }
        self.overlap_tokens = tokens;
        Ok(self)
    }

    /// Trims whitespace off chunk edges (default `true`). Untrimmed chunks
    /// without overlap tile the input exactly.
    #[must_use]
    pub fn with_trim(mut self, trim: bool) -> Self {
        self.trim = trim;
        self
    }

    /// Embeds with this embedder (an [`LlmService`], a `HashingEmbedder`, …).
    #[must_use]
    pub fn with_embedder(mut self, embedder: impl DynEmbedder + 'static) -> Self {
        self.embedder = Some(Arc::new(embedder));
        self
    }

    /// Sends at most this many chunks per embedding call (default 256).
    #[must_use]
    pub fn with_batch_size(mut self, chunks: usize) -> Self {
        self.batch_size = chunks.max(1);
        self
    }

    /// Largest chunk in tokens.
    pub fn max_tokens_per_chunk(&self) -> usize {
        self.max_tokens_per_chunk
    }

    /// The tiktoken encoding in use (`cl100k_base` or `o200k_base`).
    pub fn encoding(&self) -> &'static str {
        self.encoding
    }

    /// Tokens of `text` with the service's tokenizer: the length of tiktoken's
    /// `encode_ordinary(text)` for the encoding.
    pub fn count_tokens(&self, text: &str) -> usize {
        self.encoder.count(text)
    }

    /// Splits `text`, as Markdown when it looks like Markdown.
    pub fn split(&self, text: &str) -> Vec<Chunk> {
        self.split_as(text, TextFormat::detect(text))
    }

    /// Splits `text` in the given format. Every chunk has at most
    /// `max_tokens_per_chunk` tokens; chunks come in text order.
    pub fn split_as(&self, text: &str, format: TextFormat) -> Vec<Chunk> {
        // One tokenization of `text`; every candidate chunk the splitter sizes
        // is then counted from prefix sums plus a re-count of its edges.
        let counter = SliceCounter::new(self.encoder, text);
        let base = || {
            ChunkConfig::new(self.max_tokens_per_chunk).with_sizer(&counter).with_trim(self.trim)
        };
        // `with_overlap` only fails when overlap >= capacity, which `Self::with_overlap` rules out.
        let config = base().with_overlap(self.overlap_tokens).unwrap_or_else(|_| base());
        // Long texts are split block by block (see `blocks.rs`).
        let target =
            BLOCK_BYTES_PER_TOKEN.saturating_mul(self.max_tokens_per_chunk).max(MIN_BLOCK_BYTES);
        let blocks = blocks(text, format, target);
        let mut pieces: Vec<(usize, &str)> = Vec::new();
        match format {
            TextFormat::Markdown => {
                let splitter = MarkdownSplitter::new(config);
                for block in blocks {
                    let start = block.start;
                    pieces
                        .extend(splitter.chunk_indices(&text[block]).map(|(i, s)| (start + i, s)));
                }
            }
            _ => {
                let splitter = TextSplitter::new(config);
                for block in blocks {
                    let start = block.start;
                    pieces
                        .extend(splitter.chunk_indices(&text[block]).map(|(i, s)| (start + i, s)));
                }
            }
        }
        pieces
            .into_iter()
            .enumerate()
            .map(|(index, (start, piece))| Chunk {
                index,
                text: piece.to_owned(),
                byte_range: start..start + piece.len(),
                token_count: counter.count(piece),
            })
            .collect()
    }

    /// Splits `text` and embeds the chunks, one embedding call per batch.
    /// Each chunk's metadata is `metadata` plus `chunk_index`, `chunk_count`,
    /// `token_count`, `byte_start` and `byte_end`.
    pub async fn split_and_embed(
        &self,
        text: &str,
        metadata: &Map<String, Value>,
    ) -> Result<Vec<EmbeddedChunk>> {
        let embedder = self.embedder.as_ref().ok_or(Error::NoEmbedder)?;
        let source = metadata.get("source").and_then(Value::as_str).unwrap_or_default().to_owned();
        let span =
            tracing::info_span!("embed.split_and_embed", bytes = text.len(), source = %source);
        async {
            let chunks = self.split(text);
            let count = chunks.len();
            let mut out = Vec::with_capacity(count);
            for batch in chunks.chunks(self.batch_size) {
                let texts: Vec<String> = batch.iter().map(|c| c.text.clone()).collect();
                let vectors = embedder.embed_boxed(&texts).await?;
                if vectors.len() != batch.len() {
                    return Err(Error::VectorCount {
                        expected: batch.len(),
                        actual: vectors.len(),
                    });
                }
                for (chunk, embedding) in batch.iter().zip(vectors) {
                    let mut meta = metadata.clone();
                    meta.insert("chunk_index".into(), json!(chunk.index));
                    meta.insert("chunk_count".into(), json!(count));
                    meta.insert("token_count".into(), json!(chunk.token_count));
                    meta.insert("byte_start".into(), json!(chunk.byte_range.start));
                    meta.insert("byte_end".into(), json!(chunk.byte_range.end));
                    out.push(EmbeddedChunk { chunk: chunk.clone(), embedding, metadata: meta });
                }
            }
            tracing::debug!(chunks = count, "split and embedded");
            Ok(out)
        }
        .instrument(span)
        .await
    }
}
