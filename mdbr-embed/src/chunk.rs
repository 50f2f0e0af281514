//! Chunks of a text, with and without their embeddings.

use std::ops::Range;

use serde_json::{Map, Value};

/// A piece of the input text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Position of the chunk, from 0.
    pub index: usize,
    /// The chunk's text, equal to `input[byte_range]`.
    pub text: String,
    /// Byte range of the chunk in the input.
    pub byte_range: Range<usize>,
    /// Tokens of the chunk, counted with the service's tokenizer.
    pub token_count: usize,
}

/// A chunk with its embedding and metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedChunk {
    /// The chunk.
    pub chunk: Chunk,
    /// Its vector.
    pub embedding: Vec<f32>,
    /// The caller's metadata plus `chunk_index`, `chunk_count`, `token_count`,
    /// `byte_start`, `byte_end` (and `source` when the caller gave one).
    pub metadata: Map<String, Value>,
}
