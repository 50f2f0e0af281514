//! Per-app token buckets for requests and tokens per minute.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Token buckets shared by all calls of one app (`llm_config.rate_limit`).
/// Clones share the buckets.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    inner: Arc<Mutex<Buckets>>,
}

#[derive(Debug)]
struct Buckets {
    requests: Option<Bucket>,
    tokens: Option<Bucket>,
    refilled: Instant,
}

#[derive(Debug)]
struct Bucket {
    capacity: f64,
    level: f64,
    per_second: f64,
}

impl Bucket {
    fn per_minute(limit: f64) -> Self {
        Self { capacity: limit, level: limit, per_second: limit / 60.0 }
    }

    fn refill(&mut self, elapsed: f64) {
        self.level = (self.level + elapsed * self.per_second).min(self.capacity);
    }

    /// Time until `amount` is available (zero when it is).
    fn wait_for(&self, amount: f64) -> f64 {
        let amount = amount.min(self.capacity);
        if self.level >= amount { 0.0 } else { (amount - self.level) / self.per_second }
    }
}

impl RateLimiter {
    /// Buckets of `requests_per_minute` and `tokens_per_minute`; a missing limit is unlimited.
    pub fn new(requests_per_minute: Option<u32>, tokens_per_minute: Option<u64>) -> Self {
        let buckets = Buckets {
            requests: requests_per_minute
                .filter(|r| *r > 0)
                .map(|r| Bucket::per_minute(f64::from(r))),
            tokens: tokens_per_minute.filter(|t| *t > 0).map(|t| Bucket::per_minute(t as f64)),
            refilled: Instant::now(),
        };
        Self { inner: Arc::new(Mutex::new(buckets)) }
    }

    /// The limiter of `llm_config.rate_limit`.
    pub fn from_config(limit: &mdbr_core::RateLimit) -> Self {
        Self::new(limit.requests_per_minute, limit.tokens_per_minute)
    }

    /// Waits until one request and `tokens` tokens (capped at the bucket size)
    /// are available, then takes them.
    pub async fn acquire(&self, tokens: u64) {
        loop {
            let wait = self.try_take(tokens as f64);
            if wait <= 0.0 {
                return;
            }
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
    }

    /// Corrects the token bucket once the real count is known: `actual` tokens
    /// were used where `estimated` were taken. The level may go below zero.
    pub fn settle(&self, estimated: u64, actual: u64) {
        if let Ok(mut b) = self.inner.lock()
            && let Some(t) = b.tokens.as_mut()
        {
            t.level -= actual as f64 - estimated as f64;
        }
    }

    fn try_take(&self, tokens: f64) -> f64 {
        let Ok(mut b) = self.inner.lock() else { return 0.0 };
        let now = Instant::now();
        let elapsed = now.duration_since(b.refilled).as_secs_f64();
        b.refilled = now;
        if let Some(r) = b.requests.as_mut() {
            r.refill(elapsed);
        }
        if let Some(t) = b.tokens.as_mut() {
            t.refill(elapsed);
        }
        let wait_r = b.requests.as_ref().map_or(0.0, |r| r.wait_for(1.0));
        let wait_t = b.tokens.as_ref().map_or(0.0, |t| t.wait_for(tokens));
        let wait = wait_r.max(wait_t);
        if wait <= 0.0 {
            if let Some(r) = b.requests.as_mut() {
                r.level -= 1.0;
            }
            if let Some(t) = b.tokens.as_mut() {
                t.level -= tokens.min(t.capacity);
            }
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_beyond_the_bucket_wait_for_refill() {
        let limiter = RateLimiter::new(Some(60), None);
        let start = tokio::time::Instant::now();
        for _ in 0..60 {
            limiter.acquire(0).await;
        }
        assert!(start.elapsed() < Duration::from_millis(10));
        limiter.acquire(0).await;
        assert!(start.elapsed() >= Duration::from_millis(900));
    }
}
