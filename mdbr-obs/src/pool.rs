//! The driver's connection pool, watched through its CMAP events.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use futures_util::future::BoxFuture;
use mdbr_scope::mongodb::event::EventHandler;
use mdbr_scope::mongodb::event::cmap::CmapEvent;

use crate::health::{CheckResult, HealthCheck, HealthStatus};

/// Counts connections checked out of and into the driver's pools. Install
/// [`PoolMonitor::event_handler`] as the client's `cmap_event_handler`.
#[derive(Debug, Default)]
pub struct PoolMonitor {
    in_use: AtomicI64,
    open: AtomicI64,
    checkout_failures: AtomicU64,
    max_pool_size: AtomicU64,
}

impl PoolMonitor {
    /// A monitor with no events seen yet.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The handler to put in `ClientOptions::cmap_event_handler`.
    pub fn event_handler(self: &Arc<Self>) -> EventHandler<CmapEvent> {
        let me = self.clone();
        EventHandler::callback(move |event| me.observe(&event))
    }

    fn observe(&self, event: &CmapEvent) {
        match event {
            CmapEvent::PoolCreated(e) => {
                if let Some(max) = e.options.as_ref().and_then(|o| o.max_pool_size) {
                    self.max_pool_size.store(u64::from(max), Ordering::Relaxed);
                }
            }
            CmapEvent::ConnectionCreated(_) => {
                self.open.fetch_add(1, Ordering::Relaxed);
            }
            CmapEvent::ConnectionClosed(_) => {
                self.open.fetch_sub(1, Ordering::Relaxed);
            }
            CmapEvent::ConnectionCheckedOut(_) => {
                self.in_use.fetch_add(1, Ordering::Relaxed);
            }
            CmapEvent::ConnectionCheckedIn(_) => {
                self.in_use.fetch_sub(1, Ordering::Relaxed);
            }
            CmapEvent::ConnectionCheckoutFailed(_) => {
                self.checkout_failures.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// Connections currently checked out.
    pub fn in_use(&self) -> i64 {
        self.in_use.load(Ordering::Relaxed)
    }

    /// Connections currently open.
    pub fn open(&self) -> i64 {
        self.open.load(Ordering::Relaxed)
    }

    /// The pool's maximum size (the driver's default is 10 when unset).
    pub fn max_pool_size(&self) -> u64 {
        match self.max_pool_size.load(Ordering::Relaxed) {
            0 => 10,
            n => n,
        }
    }
}

/// Connection-pool pressure: degraded above 90% in use or after checkout failures.
#[derive(Debug)]
pub struct PoolCheck {
    monitor: Arc<PoolMonitor>,
}

impl PoolCheck {
    /// A check reading `monitor`.
    pub fn new(monitor: Arc<PoolMonitor>) -> Self {
        Self { monitor }
    }
}

impl HealthCheck for PoolCheck {
    fn name(&self) -> &str {
        "pool"
    }

    fn check(&self) -> BoxFuture<'_, CheckResult> {
        Box::pin(async move {
            let m = &self.monitor;
            let (in_use, max) = (m.in_use().max(0) as u64, m.max_pool_size());
            let failures = m.checkout_failures.load(Ordering::Relaxed);
            let status = if in_use * 10 >= max * 9 || failures > 0 {
                HealthStatus::Degraded
            } else {
                HealthStatus::Healthy
            };
            CheckResult::new("pool", status, format!("{in_use} of {max} connections in use"))
                .with_details(serde_json::json!({
                    "in_use": in_use, "open": m.open(), "max_pool_size": max, "checkout_failures": failures,
                }))
        })
    }
}
