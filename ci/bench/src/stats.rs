//! Timing helpers: run a closure, take medians and percentiles.

use std::time::{Duration, Instant};

/// Runs `f` and returns how long it took with its result.
pub fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let value = f();
    (start.elapsed(), value)
}

/// The `p`-th percentile (0..=100) of `samples` (sorted in place).
pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

/// The median of `samples`.
pub fn median(samples: &mut [Duration]) -> Duration {
    percentile(samples, 50.0)
}

/// The fastest of `samples`: for throughput, the run least disturbed by the rest of a shared
/// machine (interference only ever adds time).
pub fn best(samples: &[Duration]) -> Duration {
    samples.iter().copied().min().unwrap_or_default()
}

/// MiB per second for `bytes` moved in `d`.
pub fn mib_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / d.as_secs_f64()
}
