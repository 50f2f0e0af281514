//! Price table used to estimate the cost of calls.

use std::collections::BTreeMap;

/// Price of one model in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Dollars per million prompt (or embedded) tokens.
    pub input_per_million: f64,
    /// Dollars per million generated tokens.
    pub output_per_million: f64,
}

impl Price {
    /// A price in dollars per million input and output tokens.
    pub fn per_million(input: f64, output: f64) -> Self {
        Self { input_per_million: input, output_per_million: output }
    }

    /// Estimated cost of these token counts.
    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.input_per_million
            + output_tokens as f64 * self.output_per_million)
            / 1_000_000.0
    }
}

/// Prices by model. Looked up by `provider/model`, then by the bare model
/// name; unknown models cost 0. The built-in list is an estimate from public
/// list prices; override it with [`PriceTable::with_price`].
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    prices: BTreeMap<String, Price>,
}

impl Default for PriceTable {
    fn default() -> Self {
        let list: [(&str, f64, f64); 12] = [
            ("gpt-4o", 2.50, 10.00),
            ("gpt-4o-mini", 0.15, 0.60),
            ("gpt-4.1", 2.00, 8.00),
            ("gpt-4.1-mini", 0.40, 1.60),
            ("gpt-3.5-turbo", 0.50, 1.50),
            ("text-embedding-3-small", 0.02, 0.0),
            ("text-embedding-3-large", 0.13, 0.0),
            ("claude-3-5-haiku-latest", 0.80, 4.00),
            ("claude-sonnet-4-0", 3.00, 15.00),
            ("gemini-2.0-flash", 0.10, 0.40),
            ("voyage-3", 0.06, 0.0),
            ("embed-english-v3.0", 0.10, 0.0),
        ];
        let prices =
            list.into_iter().map(|(m, i, o)| (m.to_owned(), Price::per_million(i, o))).collect();
        Self { prices }
    }
}

impl PriceTable {
    /// A table with no prices: every call costs 0.
    pub fn empty() -> Self {
        Self { prices: BTreeMap::new() }
    }

    /// Sets the price of `model` (`provider/model` or a bare model name).
    #[must_use]
    pub fn with_price(mut self, model: impl Into<String>, price: Price) -> Self {
        self.prices.insert(model.into(), price);
        self
    }

    /// The price of `provider/model`, if known.
    pub fn get(&self, model: &str) -> Option<&Price> {
        self.prices
            .get(model)
            .or_else(|| model.split_once('/').and_then(|(_, bare)| self.prices.get(bare)))
    }
}
