//! The embedding trait, and its object-safe twin.

use std::future::Future;
use std::pin::Pin;

use crate::error::Result;

/// A boxed future, as returned by the object-safe twins.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Turns texts into vectors, one per text, in input order.
pub trait Embedder: Send + Sync {
    /// Embeds `texts`.
    fn embed(&self, texts: &[String]) -> impl Future<Output = Result<Vec<Vec<f32>>>> + Send;
}

/// Object-safe [`Embedder`], implemented for every embedder.
pub trait DynEmbedder: Send + Sync {
    /// Embeds `texts`, boxed.
    fn embed_boxed<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Vec<Vec<f32>>>>;
}

impl<E: Embedder> DynEmbedder for E {
    fn embed_boxed<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Vec<Vec<f32>>>> {
        Box::pin(self.embed(texts))
    }
}

impl Embedder for crate::hashing::HashingEmbedder {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        Ok(texts.iter().map(|t| self.embed_one(t)).collect())
    }
}
