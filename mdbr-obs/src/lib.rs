//! Observability for mdbr apps: `tracing` setup with app context,
//! OpenTelemetry metrics exported as Prometheus text, and health checks.
//!
//! Every other mdbr crate only emits through `tracing` macros and the
//! [`QueryObserver`](mdbr_scope::QueryObserver) hook; this crate installs the
//! subscriber ([`ObsConfig`]), owns the meter provider ([`Metrics`]) and runs
//! the health checks ([`HealthRegistry`]). Depend on it directly to add mdbr's
//! metrics and health report to a service that uses `mdbr-scope` alone; the
//! `mdbr` facade wires it for you.
//!
//! ```
//! use std::sync::Arc;
//! use mdbr_obs::Metrics;
//!
//! let metrics = Arc::new(Metrics::new().unwrap());
//! metrics.record_operation("hello_world", "render_page", std::time::Duration::from_millis(3), true);
//! let text = metrics.render().unwrap();
//! assert!(text.contains("mdbr_app_operations_total"));
//! ```

mod error;
mod health;
mod logging;
mod metrics;
mod pool;

pub use error::{Error, Result};
pub use health::{
    CheckResult, EngineCheck, HealthCheck, HealthRegistry, HealthReport, HealthStatus,
    MongoPingCheck,
};
pub use logging::{LogFormat, ObsConfig};
pub use metrics::Metrics;
pub use pool::{PoolCheck, PoolMonitor};
