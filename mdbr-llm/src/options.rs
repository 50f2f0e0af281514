//! Per-call options of a chat request.

/// Options of one chat call; unset fields take the service's defaults.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ChatOptions {
    /// Model as `provider/model`; `llm_config.default_chat_model` when absent.
    pub model: Option<String>,
    /// Sampling temperature; `llm_config.default_temperature` when absent.
    pub temperature: Option<f64>,
    /// Largest number of tokens to generate.
    pub max_tokens: Option<u32>,
}

impl ChatOptions {
    /// Options with every field unset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses this model (`provider/model`).
    #[must_use]
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Uses this temperature.
    #[must_use]
    pub fn with_temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Limits the reply to this many tokens.
    #[must_use]
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }
}
