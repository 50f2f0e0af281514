//! Errors returned by the embedding service.

/// Result of an embedding-service call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed chunking or embedding call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The chunking settings are inconsistent.
    #[error("invalid chunking settings: {0}")]
    Config(String),
    /// No embedder is configured for `split_and_embed`.
    #[error("no embedding model configured")]
    NoEmbedder,
    /// The embedder failed.
    #[error("embedding failed")]
    Embedding(#[from] mdbr_llm::Error),
    /// The embedder returned another number of vectors than chunks sent.
    #[error("embedder returned {actual} vectors for {expected} chunks")]
    VectorCount {
        /// Chunks sent.
        expected: usize,
        /// Vectors received.
        actual: usize,
    },
}

impl Error {
    /// Whether retrying the call may succeed (an embedding call that failed transiently).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Embedding(e) if e.is_retryable())
    }
}
