//! What the fan-out benches share: the clock stamp, the percentiles, and the
//! workload read from `MDBR_WS_BENCH_SIZES` and `MDBR_WS_BENCH_ROUNDS`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock nanoseconds: comparable between the server and client processes.
pub(crate) fn now_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

/// The `p` quantile (0–1) of sorted nanosecond latencies, in milliseconds.
pub(crate) fn percentile_ms(sorted: &[u64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank] as f64 / 1e6
}

/// Client counts from `MDBR_WS_BENCH_SIZES` (comma-separated), else `default`.
pub(crate) fn sizes(default: &str) -> Vec<usize> {
    std::env::var("MDBR_WS_BENCH_SIZES")
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect()
}

/// Rounds from `MDBR_WS_BENCH_ROUNDS`, else `default`.
pub(crate) fn rounds(default: usize) -> usize {
    std::env::var("MDBR_WS_BENCH_ROUNDS").ok().map_or(default, |s| s.parse().unwrap())
}
