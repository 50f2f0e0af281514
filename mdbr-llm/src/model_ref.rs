//! `provider/model` strings, as written in the manifest.

use std::fmt;

use crate::error::{Error, Result};

/// A model named as `provider/model`; a bare `model` means OpenAI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelRef {
    provider: String,
    model: String,
}

impl ModelRef {
    /// Parses `openai/gpt-4o`, `azure/<deployment>`, `ollama/llama3`, or a bare
    /// `gpt-4o` (OpenAI). Only the first `/` separates, so `vllm/org/model` keeps
    /// `org/model` as the model.
    pub fn parse(raw: &str) -> Result<Self> {
        let raw = raw.trim();
        let (provider, model) = match raw.split_once('/') {
            Some((p, m)) => (p, m),
            None => ("openai", raw),
        };
        if provider.is_empty() || model.is_empty() {
            return Err(Error::InvalidModel(raw.to_owned()));
        }
        Ok(Self { provider: provider.to_ascii_lowercase(), model: model.to_owned() })
    }

    /// Provider name, lowercase (`openai`, `anthropic`, …).
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// Model name as the provider knows it (for Azure: the deployment).
    pub fn model(&self) -> &str {
        &self.model
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixes_and_defaults_to_openai() {
        let m = ModelRef::parse("gpt-4o").unwrap();
        assert_eq!((m.provider(), m.model()), ("openai", "gpt-4o"));
        let m = ModelRef::parse("vllm/meta/llama-3").unwrap();
        assert_eq!((m.provider(), m.model()), ("vllm", "meta/llama-3"));
        let m = ModelRef::parse("Azure/my-deploy").unwrap();
        assert_eq!(m.to_string(), "azure/my-deploy");
        assert!(ModelRef::parse("openai/").is_err());
        assert!(ModelRef::parse("").is_err());
    }
}
