//! `local/hashing-<dims>`: an offline embedder by feature hashing.
//!
//! It measures *lexical* overlap (shared words, word pairs and character
//! trigrams), not meaning: use it for development and tests without API keys,
//! never as a stand-in for a semantic model.

use crate::error::{Error, Result};

/// Deterministic lexical embedder: word unigrams, word bigrams and character
/// trigrams hashed (FNV-1a, signed) into `dims` buckets, then L2-normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingEmbedder {
    dims: usize,
}

impl HashingEmbedder {
    /// An embedder with `dims` dimensions (at least 1).
    pub fn new(dims: usize) -> Result<Self> {
        if dims == 0 {
            return Err(Error::InvalidModel("local/hashing-0".to_owned()));
        }
        Ok(Self { dims })
    }

    /// An embedder with `max(dims, 1)` dimensions.
    #[cfg(feature = "test-utils")]
    pub(crate) fn clamped(dims: usize) -> Self {
        Self { dims: dims.max(1) }
    }

    /// Parses the model part of `local/hashing-<dims>`.
    pub fn from_model(model: &str) -> Result<Self> {
        model
            .strip_prefix("hashing-")
            .and_then(|d| d.parse::<usize>().ok())
            .ok_or_else(|| Error::InvalidModel(format!("local/{model}")))
            .and_then(Self::new)
    }

    /// Number of dimensions.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The vector of one text; all zeros when the text has no words.
    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dims];
        let lower = text.to_lowercase();
        let words: Vec<&str> =
            lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        for word in &words {
            self.add(&mut v, b"w", word.as_bytes(), 1.0);
            let chars: Vec<char> = format!("<{word}>").chars().collect();
            for gram in chars.windows(3) {
                let gram: String = gram.iter().collect();
                self.add(&mut v, b"c", gram.as_bytes(), 0.5);
            }
        }
        for pair in words.windows(2) {
            let joined = format!("{} {}", pair[0], pair[1]);
            self.add(&mut v, b"b", joined.as_bytes(), 0.7);
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }

    fn add(&self, v: &mut [f32], kind: &[u8], feature: &[u8], weight: f32) {
        let h = fnv1a(kind, feature);
        let bucket = (h % self.dims as u64) as usize;
        let sign = if (h >> 63) == 0 { 1.0 } else { -1.0 };
        v[bucket] += sign * weight;
    }
}

fn fnv1a(kind: &[u8], feature: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind.iter().chain(b":").chain(feature) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn deterministic_normalised_and_lexical() {
        let e = HashingEmbedder::from_model("hashing-256").unwrap();
        let a = e.embed_one("The cat sat on the mat");
        assert_eq!(a, e.embed_one("The cat sat on the mat"));
        assert_eq!(a.len(), 256);
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-5);
        let near = e.embed_one("the cat sat on a mat");
        let far = e.embed_one("quarterly revenue forecast");
        assert!(cosine(&a, &near) > cosine(&a, &far));
        assert!(e.embed_one("  ").iter().all(|x| *x == 0.0));
        assert!(HashingEmbedder::from_model("hashing-x").is_err());
    }
}
