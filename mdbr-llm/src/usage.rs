//! Usage accounting per app and model: requests, errors, retries, tokens,
//! latency and estimated cost.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::price::PriceTable;

/// Totals of one model's use by one app.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ModelUsage {
    /// Calls made (each counted once, however many attempts it took).
    pub requests: u64,
    /// Calls that failed in the end.
    pub errors: u64,
    /// Retries sent.
    pub retries: u64,
    /// Prompt tokens of chat calls.
    pub prompt_tokens: u64,
    /// Generated tokens of chat calls.
    pub completion_tokens: u64,
    /// Tokens of embedded texts.
    pub embedding_tokens: u64,
    /// Summed wall time of the calls.
    pub latency: Duration,
    /// Estimated cost in US dollars.
    pub cost_usd: f64,
}

impl ModelUsage {
    fn add(&mut self, other: &ModelUsage) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.retries += other.retries;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.embedding_tokens += other.embedding_tokens;
        self.latency += other.latency;
        self.cost_usd += other.cost_usd;
    }
}

/// A snapshot of one app's usage, by `provider/model`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageSummary {
    /// The app.
    pub app: String,
    /// Usage by model.
    pub models: BTreeMap<String, ModelUsage>,
}

impl UsageSummary {
    /// Sum over all models.
    pub fn total(&self) -> ModelUsage {
        let mut total = ModelUsage::default();
        for usage in self.models.values() {
            total.add(usage);
        }
        total
    }
}

/// One finished call, as recorded.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CallRecord {
    pub(crate) ok: bool,
    pub(crate) retries: u64,
    pub(crate) prompt_tokens: u64,
    pub(crate) completion_tokens: u64,
    pub(crate) embedding_tokens: u64,
    pub(crate) latency: Duration,
}

/// Shared counters of one app; clones share them.
#[derive(Debug, Clone)]
pub(crate) struct UsageTracker {
    app: String,
    prices: PriceTable,
    models: Arc<Mutex<BTreeMap<String, ModelUsage>>>,
}

impl UsageTracker {
    pub(crate) fn new(app: String, prices: PriceTable) -> Self {
        Self { app, prices, models: Arc::default() }
    }

    pub(crate) fn set_prices(&mut self, prices: PriceTable) {
        self.prices = prices;
    }

    pub(crate) fn app(&self) -> &str {
        &self.app
    }

    pub(crate) fn record(&self, model: &str, call: CallRecord) {
        let cost = self.prices.get(model).map_or(0.0, |p| {
            p.cost(call.prompt_tokens + call.embedding_tokens, call.completion_tokens)
        });
        tracing::debug!(
            target: "mdbr::llm::usage",
            app = %self.app,
            model,
            outcome = if call.ok { "ok" } else { "error" },
            retries = call.retries,
            prompt_tokens = call.prompt_tokens,
            completion_tokens = call.completion_tokens,
            embedding_tokens = call.embedding_tokens,
            latency_ms = call.latency.as_millis() as u64,
            cost_usd = cost,
            "llm call finished"
        );
        let Ok(mut models) = self.models.lock() else { return };
        // Look up before inserting: the model's name is copied once, not per call.
        if !models.contains_key(model) {
            models.insert(model.to_owned(), ModelUsage::default());
        }
        let Some(entry) = models.get_mut(model) else { return };
        entry.add(&ModelUsage {
            requests: 1,
            errors: u64::from(!call.ok),
            retries: call.retries,
            prompt_tokens: call.prompt_tokens,
            completion_tokens: call.completion_tokens,
            embedding_tokens: call.embedding_tokens,
            latency: call.latency,
            cost_usd: cost,
        });
    }

    pub(crate) fn summary(&self) -> UsageSummary {
        let models = self.models.lock().map(|m| m.clone()).unwrap_or_default();
        UsageSummary { app: self.app.clone(), models }
    }
}
