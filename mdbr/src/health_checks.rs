//! The facade's own health check: search index readiness.

use futures_util::future::BoxFuture;
use mdbr_index::{SearchIndexState, SearchIndexTracker};
use mdbr_obs::{CheckResult, HealthCheck, HealthStatus};

/// Degraded while search indexes are pending, unhealthy when one failed.
#[derive(Debug)]
pub(crate) struct IndexReadinessCheck {
    tracker: SearchIndexTracker,
}

impl IndexReadinessCheck {
    pub(crate) fn new(tracker: SearchIndexTracker) -> Self {
        Self { tracker }
    }
}

impl HealthCheck for IndexReadinessCheck {
    fn name(&self) -> &str {
        "indexes"
    }

    fn check(&self) -> BoxFuture<'_, CheckResult> {
        Box::pin(async move {
            let not_ready = self.tracker.not_ready();
            let failed: Vec<String> = not_ready
                .iter()
                .filter_map(|(app, name, s)| match s {
                    SearchIndexState::Failed(why) => Some(format!("{app}:{name}: {why}")),
                    _ => None,
                })
                .collect();
            let pending: Vec<String> = not_ready
                .iter()
                .filter(|(_, _, s)| *s == SearchIndexState::Pending)
                .map(|(app, name, _)| format!("{app}:{name}"))
                .collect();
            let details = serde_json::json!({ "pending": pending, "failed": failed });
            if !failed.is_empty() {
                CheckResult::new(
                    "indexes",
                    HealthStatus::Unhealthy,
                    format!("{} search index(es) failed", failed.len()),
                )
                .with_details(details)
            } else if !pending.is_empty() {
                CheckResult::new(
                    "indexes",
                    HealthStatus::Degraded,
                    format!("{} search index(es) building", pending.len()),
                )
                .with_details(details)
            } else {
                CheckResult::new("indexes", HealthStatus::Healthy, "all search indexes queryable")
                    .with_details(details)
            }
        })
    }
}
