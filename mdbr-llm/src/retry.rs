//! The one retry loop: exponential backoff with full jitter, `Retry-After`,
//! per-attempt timeout and overall deadline.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use backon::Retryable;

use crate::error::{Error, Result};

/// How failed requests are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (`llm_config.max_retries`).
    pub max_retries: u32,
    /// Backoff ceiling of the first retry; doubled for each further retry.
    pub base_delay: Duration,
    /// Largest backoff ceiling.
    pub max_delay: Duration,
    /// Time one attempt may take (`llm_config.timeout_seconds`).
    pub attempt_timeout: Option<Duration>,
    /// Time the whole call, retries and waits included, may take.
    pub deadline: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            attempt_timeout: Some(Duration::from_secs(60)),
            deadline: Some(Duration::from_secs(300)),
        }
    }
}

impl RetryPolicy {
    /// The policy of `llm_config`: `max_retries`, and `timeout_seconds` as the
    /// per-attempt timeout with a deadline of one timeout per attempt plus waits.
    pub fn from_config(config: &mdbr_core::LlmConfig) -> Self {
        let mut policy = Self { max_retries: config.max_retries, ..Self::default() };
        if let Some(secs) = config.timeout_seconds {
            let attempt = Duration::from_secs(secs);
            policy.attempt_timeout = Some(attempt);
            policy.deadline = Some(attempt * (config.max_retries + 1) + Duration::from_secs(60));
        }
        policy
    }

    /// Uses this many retries.
    #[must_use]
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Uses this first backoff ceiling and this largest ceiling.
    #[must_use]
    pub fn with_delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max;
        self
    }

    /// Uses this per-attempt timeout (`None`: no timeout).
    #[must_use]
    pub fn with_attempt_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Uses this overall deadline (`None`: no deadline).
    #[must_use]
    pub fn with_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Runs `attempt` until it succeeds, fails with an error that is not
    /// retryable, runs out of retries or passes the deadline. Counts retries
    /// into `retries`.
    pub(crate) async fn run<T, F, Fut>(&self, retries: &AtomicU32, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let started = Instant::now();
        let attempts = AtomicU32::new(0);
        let per_attempt = self.attempt_timeout;
        let deadline = self.deadline;
        let one = || {
            attempts.fetch_add(1, Ordering::Relaxed);
            let fut = attempt();
            async move {
                match per_attempt {
                    Some(limit) => {
                        tokio::time::timeout(limit, fut).await.map_err(|_| Error::Timeout(limit))?
                    }
                    None => fut.await,
                }
            }
        };
        let backoff = FullJitter {
            base: self.base_delay,
            max: self.max_delay,
            remaining: self.max_retries,
            step: 0,
        };
        let looped = one
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(Error::is_retryable)
            .adjust(|err, planned| {
                let wait = match err.retry_after() {
                    Some(asked) => planned.map(|_| asked),
                    None => planned,
                }?;
                match deadline {
                    Some(limit) if started.elapsed() + wait >= limit => None,
                    _ => Some(wait),
                }
            })
            .notify(|err, wait| {
                retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %err, wait_ms = wait.as_millis() as u64, "retrying llm request");
            });
        match deadline {
            Some(limit) => match tokio::time::timeout(limit, looped).await {
                Ok(result) => result,
                Err(_) => Err(Error::DeadlineExceeded {
                    deadline: limit,
                    attempts: attempts.load(Ordering::Relaxed),
                }),
            },
            None => looped.await,
        }
    }
}

/// Exponential backoff with full jitter: the n-th wait is uniform in
/// `[0, min(max, base * 2^n)]`.
#[derive(Debug, Clone)]
struct FullJitter {
    base: Duration,
    max: Duration,
    remaining: u32,
    step: u32,
}

impl Iterator for FullJitter {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let ceiling = self.base.saturating_mul(1u32 << self.step.min(20)).min(self.max);
        self.step += 1;
        Some(ceiling.mul_f64(fastrand::f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_jitter_stays_under_the_ceiling_and_stops() {
        let waits: Vec<_> = FullJitter {
            base: Duration::from_millis(100),
            max: Duration::from_millis(300),
            remaining: 4,
            step: 0,
        }
        .collect();
        assert_eq!(waits.len(), 4);
        let ceilings = [100, 200, 300, 300];
        for (wait, ceiling) in waits.iter().zip(ceilings) {
            assert!(*wait <= Duration::from_millis(ceiling));
        }
    }
}
