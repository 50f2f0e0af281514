//! Login throttling: failures counted per account and per client address,
//! with a lockout once a limit is reached. In memory, per app.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::config::ThrottleConfig;
use crate::error::{Error, Result};

/// Entries kept before expired ones are pruned.
const PRUNE_AT: usize = 10_000;

/// One throttled key: an account (normalised email) or a client address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ThrottleKey {
    Account(String),
    Address(IpAddr),
}

#[derive(Debug)]
struct Entry {
    failures: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
}

/// Failure counters and lockouts.
#[derive(Debug)]
pub(crate) struct Throttle {
    config: ThrottleConfig,
    entries: Mutex<HashMap<ThrottleKey, Entry>>,
}

impl Throttle {
    pub(crate) fn new(config: ThrottleConfig) -> Self {
        Self { config, entries: Mutex::new(HashMap::new()) }
    }

    /// Refuses while any of `keys` is locked out.
    pub(crate) fn check(&self, keys: &[ThrottleKey]) -> Result<()> {
        let now = Instant::now();
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let wait = keys
            .iter()
            .filter_map(|k| entries.get(k))
            .filter_map(|e| e.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        match wait {
            Some(retry_after) => Err(Error::Throttled { retry_after }),
            None => Ok(()),
        }
    }

    /// Counts a failure against each key; a key reaching its limit is locked.
    pub(crate) fn failure(&self, keys: &[ThrottleKey]) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= PRUNE_AT {
            let window = self.config.window;
            entries.retain(|_, e| {
                e.locked_until.is_some_and(|u| u > now) || now - e.window_start < window
            });
        }
        for key in keys {
            let limit = match key {
                ThrottleKey::Account(_) => self.config.max_account_failures,
                ThrottleKey::Address(_) => self.config.max_address_failures,
            };
            let entry = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                window_start: now,
                locked_until: None,
            });
            let lock_over = entry.locked_until.is_some_and(|u| u <= now);
            if lock_over || now - entry.window_start >= self.config.window {
                *entry = Entry { failures: 0, window_start: now, locked_until: None };
            }
            entry.failures = entry.failures.saturating_add(1);
            if limit > 0 && entry.failures >= limit && entry.locked_until.is_none() {
                entry.locked_until = Some(now + self.config.lockout);
                tracing::warn!(
                    key = match key {
                        ThrottleKey::Account(_) => "account",
                        ThrottleKey::Address(_) => "address",
                    },
                    failures = entry.failures,
                    lockout_secs = self.config.lockout.as_secs(),
                    "login locked out after repeated failures"
                );
            }
        }
    }

    /// Forgets the failures of an account after a successful login.
    pub(crate) fn success(&self, account: &ThrottleKey) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(account);
    }

    /// How long `key` stays locked, if it is.
    #[cfg(test)]
    fn locked_for(&self, key: &ThrottleKey) -> Option<std::time::Duration> {
        let now = Instant::now();
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).and_then(|e| e.locked_until).filter(|u| *u > now).map(|u| u - now)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn config() -> ThrottleConfig {
        ThrottleConfig::new()
            .with_max_account_failures(3)
            .with_max_address_failures(5)
            .with_lockout(Duration::from_secs(60))
    }

    #[test]
    fn locks_after_the_limit_and_success_resets() {
        let t = Throttle::new(config());
        let acct = ThrottleKey::Account("a@x.io".into());
        let addr = ThrottleKey::Address("127.0.0.1".parse().unwrap());
        let keys = [acct.clone(), addr.clone()];
        t.failure(&keys);
        t.failure(&keys);
        assert!(t.check(&keys).is_ok());
        t.failure(&keys);
        assert!(matches!(t.check(&keys), Err(Error::Throttled { .. })));
        assert!(t.locked_for(&acct).is_some());
        assert!(t.locked_for(&addr).is_none());
        let other = ThrottleKey::Account("b@x.io".into());
        assert!(t.check(&[other.clone(), addr.clone()]).is_ok());
        t.failure(&[other.clone(), addr.clone()]);
        t.failure(&[other, addr.clone()]);
        assert!(t.locked_for(&addr).is_some(), "address limit reached across accounts");
        let fresh = ThrottleKey::Account("c@x.io".into());
        t.success(&fresh);
        assert!(t.check(&[fresh]).is_ok());
    }

    #[test]
    fn lockout_expires() {
        let t = Throttle::new(config().with_lockout(Duration::from_millis(20)));
        let acct = ThrottleKey::Account("a@x.io".into());
        for _ in 0..3 {
            t.failure(std::slice::from_ref(&acct));
        }
        assert!(t.check(std::slice::from_ref(&acct)).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(t.check(std::slice::from_ref(&acct)).is_ok());
        t.failure(std::slice::from_ref(&acct));
        assert!(
            t.check(std::slice::from_ref(&acct)).is_ok(),
            "counter restarted after the lockout"
        );
    }
}
