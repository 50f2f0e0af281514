//! Metrics, logging and health-check settings of an app (`observability` in the manifest).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Observability settings of one app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservabilityConfig {
    /// Metrics collection.
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// Logging of the app's spans and events.
    #[serde(default)]
    pub logging: LoggingConfig,
    /// Health checks.
    #[serde(default)]
    pub health_checks: HealthChecksConfig,
}

/// Metrics collection of one app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Record metrics for this app (default `true`).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Record per-operation database metrics (default `true`).
    #[serde(default = "yes")]
    pub collect_operation_metrics: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self { enabled: true, collect_operation_metrics: true }
    }
}

/// Logging of one app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoggingConfig {
    /// Most verbose level logged for this app; the process's filter when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<LogLevel>,
}

/// A `tracing` level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum LogLevel {
    /// `trace`.
    Trace,
    /// `debug`.
    Debug,
    /// `info`.
    Info,
    /// `warn`.
    Warn,
    /// `error`.
    Error,
}

/// Health checks of one app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthChecksConfig {
    /// Include this app's checks in `/health` (default `true`).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Seconds between background checks; checks run on request when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub interval_seconds: Option<u64>,
}

impl Default for HealthChecksConfig {
    fn default() -> Self {
        Self { enabled: true, interval_seconds: None }
    }
}

fn yes() -> bool {
    true
}
