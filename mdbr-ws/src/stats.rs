//! Counters of the hub, per app, for the facade to export as metrics.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use mdbr_core::AppSlug;
use serde::Serialize;

/// A snapshot of one app's websocket activity. Everything but `connections`
/// counts since the hub started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AppStats {
    /// Open connections now.
    pub connections: u64,
    /// Upgrades accepted.
    pub accepted: u64,
    /// Upgrades refused with 401 or 403.
    pub refused_upgrades: u64,
    /// Data frames received.
    pub messages_in: u64,
    /// Data frames written (pings are not counted).
    pub messages_out: u64,
    /// Connections closed because their outbound queue was full.
    pub dropped_slow: u64,
    /// Connections closed because no pong came within two ping intervals.
    pub reaped: u64,
    /// Connections closed for sending a message over the size limit.
    pub oversize: u64,
    /// Connections closed for flooding past the rate limit.
    pub flooded: u64,
    /// Inbound messages refused by the rate limit.
    pub rate_limited: u64,
    /// Handler calls that returned an error.
    pub handler_errors: u64,
    /// Handler calls that panicked (each closes its connection).
    pub handler_panics: u64,
}

impl AppStats {
    fn add(&mut self, other: &AppStats) {
        self.connections += other.connections;
        self.accepted += other.accepted;
        self.refused_upgrades += other.refused_upgrades;
        self.messages_in += other.messages_in;
        self.messages_out += other.messages_out;
        self.dropped_slow += other.dropped_slow;
        self.reaped += other.reaped;
        self.oversize += other.oversize;
        self.flooded += other.flooded;
        self.rate_limited += other.rate_limited;
        self.handler_errors += other.handler_errors;
        self.handler_panics += other.handler_panics;
    }
}

/// A snapshot of the whole hub.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HubStats {
    /// Per app, for every app that has a router or a handler.
    pub apps: BTreeMap<AppSlug, AppStats>,
    /// The sum over all apps.
    pub total: AppStats,
}

impl HubStats {
    /// One app's figures (all zero for an app the hub does not know).
    pub fn app(&self, app: &AppSlug) -> AppStats {
        self.apps.get(app).cloned().unwrap_or_default()
    }

    pub(crate) fn from_apps(apps: BTreeMap<AppSlug, AppStats>) -> Self {
        let mut total = AppStats::default();
        for stats in apps.values() {
            total.add(stats);
        }
        Self { apps, total }
    }
}

/// The live counters behind [`AppStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) accepted: AtomicU64,
    pub(crate) refused_upgrades: AtomicU64,
    pub(crate) messages_in: AtomicU64,
    pub(crate) messages_out: AtomicU64,
    pub(crate) dropped_slow: AtomicU64,
    pub(crate) reaped: AtomicU64,
    pub(crate) oversize: AtomicU64,
    pub(crate) flooded: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) handler_errors: AtomicU64,
    pub(crate) handler_panics: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, connections: usize) -> AppStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        AppStats {
            connections: u64::try_from(connections).unwrap_or(u64::MAX),
            accepted: get(&self.accepted),
            refused_upgrades: get(&self.refused_upgrades),
            messages_in: get(&self.messages_in),
            messages_out: get(&self.messages_out),
            dropped_slow: get(&self.dropped_slow),
            reaped: get(&self.reaped),
            oversize: get(&self.oversize),
            flooded: get(&self.flooded),
            rate_limited: get(&self.rate_limited),
            handler_errors: get(&self.handler_errors),
            handler_panics: get(&self.handler_panics),
        }
    }
}
