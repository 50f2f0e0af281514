//! `EmbeddingService`: token-aware chunking and split-and-embed.

use std::sync::Arc;

use mdbr_core::{EmbeddingConfig, Manifest};
use mdbr_llm::{DynEmbedder, LlmService};
use serde_json::{Map, Value, json};
use text_splitter::{ChunkConfig, MarkdownSplitter, TextSplitter};
use tracing::Instrument;

use crate::blocks::split_by_blocks;
use crate::chunk::{Chunk, EmbeddedChunk};
use crate::counter::{SliceCounter, TrimmedSizer};
use crate::error::{Error, Result};
use crate::format::TextFormat;
use crate::pretok::Encoding;
use crate::tokenizer::encoder_for;
use crate::trim::{TrimMode, trimmed};

/// Smallest block of a long text split on its own (see `blocks.rs`).
const MIN_BLOCK_BYTES: usize = 4 * 1024;
/// Block size per token of chunk budget: blocks hold about eight chunks of
/// English (about four bytes per token). text-splitter's work per chunk grows
/// with the block, and each block re-splits its last chunk: on the benchmark
/// corpus, 24 to 32 bytes per token take the fewest instructions at both 200
/// and 1000 tokens per chunk (16 and 64 take 3-7% more, 8 and 96 14-25%).
const BLOCK_BYTES_PER_TOKEN: usize = 32;

/// Splits text into chunks of at most `max_tokens_per_chunk` real tokens on
/// semantic boundaries, and embeds them. Cheap to clone.
#[derive(Clone)]
pub struct EmbeddingService {
    max_tokens_per_chunk: usize,
    overlap_tokens: usize,
    tokenizer_model: String,
    encoding: &'static str,
    encoder: Encoding,
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
        let target =
            BLOCK_BYTES_PER_TOKEN.saturating_mul(self.max_tokens_per_chunk).max(MIN_BLOCK_BYTES);
        self.spans(text, format, target)
            .into_iter()
            .enumerate()
            .map(|(index, (start, piece, token_count))| Chunk {
                index,
                text: piece.to_owned(),
                byte_range: start..start + piece.len(),
                token_count,
            })
            .collect()
    }

    /// Offsets, texts and token counts of the chunks of `text`, split block
    /// by block (see `blocks.rs`) in blocks of about `target` bytes.
    fn spans<'t>(
        &self,
        text: &'t str,
        format: TextFormat,
        target: usize,
    ) -> Vec<(usize, &'t str, usize)> {
        // The splitter works untrimmed; the sizer and `trimmed` trim as it
        // would (see `trim.rs`).
        let trim = match (self.trim, format) {
            (false, _) => TrimMode::None,
            (true, TextFormat::Markdown) => TrimMode::PreserveIndentation,
            (true, _) => TrimMode::All,
        };
        let mut counter = SliceCounter::empty(self.encoder);
        split_by_blocks(text, format, target, |block| {
            // One tokenization of the block (while it is in cache); every
            // candidate chunk the splitter sizes is then counted from prefix
            // sums plus a re-count of its edges.
            counter.index(block);
            let sizer = TrimmedSizer { counter: &counter, trim };
            let base =
                || ChunkConfig::new(self.max_tokens_per_chunk).with_sizer(&sizer).with_trim(false);
            // `with_overlap` only fails when overlap >= capacity, which `Self::with_overlap` rules out.
            let config = base().with_overlap(self.overlap_tokens).unwrap_or_else(|_| base());
            let chunks: Vec<(usize, &str)> = match format {
                TextFormat::Markdown => {
                    trimmed(MarkdownSplitter::new(config).chunk_indices(block), trim).collect()
                }
                _ => trimmed(TextSplitter::new(config).chunk_indices(block), trim).collect(),
            };
            chunks
                .into_iter()
                .map(|(offset, chunk)| (offset, chunk, counter.count(chunk)))
                .collect()
        })
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    /// Markdown-ish text with whitespace in every place trimming cares about:
    /// indented lines, `\r\n`, trailing spaces, lines of spaces, tabs.
    fn document() -> impl Strategy<Value = String> {
        let part = prop_oneof![
            prop::collection::vec("[a-z]{1,10}", 1..30).prop_map(|w| format!("{}.", w.join(" "))),
            "[A-Za-z ]{1,30}".prop_map(|t| format!("## {t}")),
            Just("| a | b |\n|---|---|\n| 1 | 2 |".to_owned()),
            Just("```\nfn f() {\n    1\n}\n```".to_owned()),
            Just("- one\n- two\n  - nested".to_owned()),
            Just("    indented code".to_owned()),
            "[ \t]{1,4}[a-z ]{1,20}",
            "[中文字]{1,20}",
        ];
        let gap = prop_oneof![
            Just("\n\n"),
            Just("\n"),
            Just(" "),
            Just("\r\n\r\n"),
            Just("  \n \n\t\n"),
            Just("\n\n\n   "),
        ];
        prop::collection::vec((part, gap), 1..40)
            .prop_map(|parts| parts.into_iter().map(|(p, g)| format!("{p}{g}")).collect())
    }

    /// text-splitter's own chunks: one call, trimming by itself.
    fn reference<'t>(
        service: &EmbeddingService,
        text: &'t str,
        format: TextFormat,
        counter: &SliceCounter<'t>,
    ) -> Vec<(usize, &'t str)> {
        let base = || {
            ChunkConfig::new(service.max_tokens_per_chunk)
                .with_sizer(counter)
                .with_trim(service.trim)
        };
        let config = base().with_overlap(service.overlap_tokens).unwrap_or_else(|_| base());
        match format {
            TextFormat::Markdown => MarkdownSplitter::new(config).chunk_indices(text).collect(),
            _ => TextSplitter::new(config).chunk_indices(text).collect(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn trimming_in_the_sizer_gives_text_splitters_chunks(
            text in document(),
            budget in 4usize..100,
            overlap_pct in 0usize..60,
            trim in any::<bool>(),
            markdown in any::<bool>(),
            o200k in any::<bool>(),
        ) {
            let model = if o200k { "gpt-4o" } else { "gpt-4" };
            let service = EmbeddingService::new(budget, model)
                .unwrap()
                .with_trim(trim)
                .with_overlap(budget * overlap_pct / 100)
                .unwrap();
            let format = if markdown { TextFormat::Markdown } else { TextFormat::Plain };
            let counter = SliceCounter::new(service.encoder, &text);
            let ours = service.spans(&text, format, usize::MAX);
            for &(_, chunk, tokens) in &ours {
                prop_assert_eq!(tokens, service.count_tokens(chunk));
            }
            let ours: Vec<(usize, &str)> = ours.into_iter().map(|(at, chunk, _)| (at, chunk)).collect();
            prop_assert_eq!(ours, reference(&service, &text, format, &counter));
        }
    }

    #[test]
    fn blocks_give_the_chunks_of_one_call() {
        let mut text = String::new();
        for s in 0..60 {
            text.push_str(&format!("## Section {s}\n\n"));
            for p in 0..(s % 5 + 1) {
                for w in 0..(p * 7 % 9 + 2) {
                    text.push_str(&format!(
                        "Sentence {w} of paragraph {p} in section {s} is here. "
                    ));
                }
                text.push_str("\n\n");
            }
        }
        for (budget, format, trim) in [
            (50, TextFormat::Markdown, true),
            (120, TextFormat::Markdown, false),
            (50, TextFormat::Plain, true),
            (200, TextFormat::Plain, false),
        ] {
            let service = EmbeddingService::new(budget, "gpt-4").unwrap().with_trim(trim);
            let whole = service.spans(&text, format, usize::MAX);
            assert!(whole.len() > 20);
            for target in [budget * 16, budget * 32, budget * 128] {
                let blocks = service.spans(&text, format, target);
                let diff = blocks.iter().zip(&whole).position(|(a, b)| a != b);
                assert_eq!(
                    blocks.len(),
                    whole.len(),
                    "{budget} {target} {trim} {format:?}: first difference {:?}",
                    diff.map(|i| (&blocks[i..i + 2], &whole[i..i + 2]))
                );
                assert_eq!(blocks, whole);
            }
        }
    }
}
