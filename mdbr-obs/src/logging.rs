//! `tracing` subscriber setup: pretty or JSON lines, filtered by env.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::error::{Error, Result};

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Pretty,
    /// One JSON object per line, with span fields (`app`, `collection`, …).
    Json,
}

/// Logging configuration ("builder lite": `ObsConfig::from_env().with_format(..)`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ObsConfig {
    /// Line format.
    pub format: LogFormat,
    /// An `EnvFilter` directive, e.g. `info,mdbr_scope=debug`.
    pub filter: String,
}

impl Default for ObsConfig {
    fn default() -> Self {
        Self { format: LogFormat::Pretty, filter: "info".into() }
    }
}

impl ObsConfig {
    /// Reads `MDBR_LOG` (or `RUST_LOG`) for the filter and `MDBR_LOG_FORMAT`
    /// (`json` or `pretty`) for the format.
    pub fn from_env() -> Self {
        let filter = std::env::var("MDBR_LOG")
            .or_else(|_| std::env::var("RUST_LOG"))
            .unwrap_or_else(|_| "info".into());
        let format = match std::env::var("MDBR_LOG_FORMAT").as_deref() {
            Ok("json") => LogFormat::Json,
            _ => LogFormat::Pretty,
        };
        Self { format, filter }
    }

    /// Sets the line format.
    pub fn with_format(mut self, format: LogFormat) -> Self {
        self.format = format;
        self
    }

    /// Sets the filter directive.
    pub fn with_filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = filter.into();
        self
    }

    fn env_filter(&self) -> Result<EnvFilter> {
        EnvFilter::try_new(&self.filter)
            .map_err(|e| Error::Subscriber(format!("bad filter `{}`: {e}", self.filter)))
    }

    /// Installs the subscriber globally; fails when one is already installed.
    pub fn try_init(&self) -> Result<()> {
        let builder = tracing_subscriber::fmt().with_env_filter(self.env_filter()?);
        let result = match self.format {
            LogFormat::Pretty => builder.finish().try_init(),
            LogFormat::Json => {
                builder.json().with_current_span(true).with_span_list(true).finish().try_init()
            }
        };
        result.map_err(|e| Error::Subscriber(e.to_string()))
    }

    /// Installs the subscriber for the current thread until the guard drops
    /// (useful in tests).
    #[must_use = "the subscriber is removed when the guard drops"]
    pub fn set_default(&self) -> Result<tracing::dispatcher::DefaultGuard> {
        let builder = tracing_subscriber::fmt().with_env_filter(self.env_filter()?);
        Ok(match self.format {
            LogFormat::Pretty => builder.finish().set_default(),
            LogFormat::Json => {
                builder.json().with_current_span(true).with_span_list(true).finish().set_default()
            }
        })
    }
}
