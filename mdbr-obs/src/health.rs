//! Health checks and the health report (`/health`, `/ready`).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, join_all};
use serde::Serialize;

use mdbr_scope::Scope;

/// The state of one check, or of the whole report (the worst of its checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum HealthStatus {
    /// Working.
    Healthy,
    /// Working, but something needs attention (slow, nearly full, pending).
    Degraded,
    /// Not working.
    Unhealthy,
}

/// The outcome of one check.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct CheckResult {
    /// The check's name.
    pub name: String,
    /// Its state.
    pub status: HealthStatus,
    /// A one-line explanation.
    pub message: String,
    /// Check-specific figures (latency, pool sizes, …).
    pub details: serde_json::Value,
    /// How long the check took.
    pub duration_ms: f64,
}

impl CheckResult {
    /// A result with no details; `duration_ms` is filled in by the registry.
    pub fn new(name: impl Into<String>, status: HealthStatus, message: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            status,
            message: message.into(),
            details: serde_json::Value::Object(Default::default()),
            duration_ms: 0.0,
        }
    }

    /// Adds check-specific details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// The whole report: `{status, timestamp, checks: [...]}`.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct HealthReport {
    /// The worst status among the checks (healthy when there are none).
    pub status: HealthStatus,
    /// When the report was made (RFC 3339).
    pub timestamp: chrono::DateTime<chrono::Utc>,
    /// Each check's result, in registration order.
    pub checks: Vec<CheckResult>,
}

impl HealthReport {
    /// Whether every check is healthy (what `/ready` answers).
    pub fn is_ready(&self) -> bool {
        self.status == HealthStatus::Healthy
    }

    /// Whether nothing is unhealthy (what `/health` answers).
    pub fn is_alive(&self) -> bool {
        self.status != HealthStatus::Unhealthy
    }
}

/// One health check. Object-safe so a registry can hold any mix of them.
pub trait HealthCheck: Send + Sync + fmt::Debug {
    /// The check's name in the report.
    fn name(&self) -> &str;
    /// Runs the check.
    fn check(&self) -> BoxFuture<'_, CheckResult>;
}

/// The checks of one engine, run concurrently, each under a time limit.
#[derive(Clone, Debug)]
pub struct HealthRegistry {
    checks: Vec<Arc<dyn HealthCheck>>,
    timeout: Duration,
}

impl Default for HealthRegistry {
    fn default() -> Self {
        Self { checks: Vec::new(), timeout: Duration::from_secs(2) }
    }
}

impl HealthRegistry {
    /// An empty registry with a 2 s limit per check.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the time limit per check; a check that exceeds it is unhealthy.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Adds a check.
    pub fn with_check(mut self, check: Arc<dyn HealthCheck>) -> Self {
        self.checks.push(check);
        self
    }

    /// Runs every check and builds the report.
    pub async fn report(&self) -> HealthReport {
        let runs = self.checks.iter().map(|check| async move {
            let start = Instant::now();
            let mut result = match tokio::time::timeout(self.timeout, check.check()).await {
                Ok(r) => r,
                Err(_) => CheckResult::new(
                    check.name(),
                    HealthStatus::Unhealthy,
                    format!("no answer within {} ms", self.timeout.as_millis()),
                ),
            };
            result.duration_ms = start.elapsed().as_secs_f64() * 1000.0;
            result
        });
        let checks = join_all(runs).await;
        let status = checks.iter().map(|c| c.status).max().unwrap_or(HealthStatus::Healthy);
        HealthReport { status, timestamp: chrono::Utc::now(), checks }
    }
}

/// The engine itself: alive, with its uptime.
#[derive(Debug)]
pub struct EngineCheck {
    started: Instant,
}

impl EngineCheck {
    /// A check whose uptime counts from now.
    pub fn new() -> Self {
        Self { started: Instant::now() }
    }
}

impl Default for EngineCheck {
    fn default() -> Self {
        Self::new()
    }
}

impl HealthCheck for EngineCheck {
    fn name(&self) -> &str {
        "engine"
    }

    fn check(&self) -> BoxFuture<'_, CheckResult> {
        Box::pin(async move {
            CheckResult::new("engine", HealthStatus::Healthy, "running").with_details(
                serde_json::json!({ "uptime_seconds": self.started.elapsed().as_secs() }),
            )
        })
    }
}

/// MongoDB answers `ping`; slower than `degraded_after` is degraded.
#[derive(Debug)]
pub struct MongoPingCheck {
    scope: Scope,
    degraded_after: Duration,
}

impl MongoPingCheck {
    /// A ping check on the scope's database, degraded above 250 ms.
    pub fn new(scope: Scope) -> Self {
        Self { scope, degraded_after: Duration::from_millis(250) }
    }

    /// Sets the latency above which the database counts as degraded.
    pub fn with_degraded_after(mut self, latency: Duration) -> Self {
        self.degraded_after = latency;
        self
    }
}

impl HealthCheck for MongoPingCheck {
    fn name(&self) -> &str {
        "mongodb"
    }

    fn check(&self) -> BoxFuture<'_, CheckResult> {
        Box::pin(async move {
            match self.scope.ping().await {
                Ok(latency) => {
                    let ms = latency.as_secs_f64() * 1000.0;
                    let status = if latency > self.degraded_after {
                        HealthStatus::Degraded
                    } else {
                        HealthStatus::Healthy
                    };
                    CheckResult::new("mongodb", status, format!("ping answered in {ms:.1} ms"))
                        .with_details(serde_json::json!({ "latency_ms": ms, "database": self.scope.db_name() }))
                }
                Err(e) => CheckResult::new(
                    "mongodb",
                    HealthStatus::Unhealthy,
                    format!("ping failed: {e}"),
                ),
            }
        })
    }
}
