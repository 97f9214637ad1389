//! Retry with exponential backoff and jitter, with the Collector's `retry_on_failure` settings and defaults.

use crate::config::duration::ConfigDuration;
use serde::Deserialize;
use std::time::Duration;

/// `retry_on_failure` of an exporter: how retryable failures are retried.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Retry retryable failures at all. Default `true`.
    pub enabled: bool,
    /// Wait before the first retry. Default `5s`.
    pub initial_interval: ConfigDuration,
    /// Upper bound of the wait between retries. Default `30s`.
    pub max_interval: ConfigDuration,
    /// Give up (and count the batch as dropped) after this long. `0` retries for ever. Default `300s`.
    pub max_elapsed_time: ConfigDuration,
    /// Each wait is the previous one times this. Default `1.5`.
    pub multiplier: f64,
    /// Each wait is randomised by ± this fraction so senders do not retry in step. Default `0.5`.
    pub randomization_factor: f64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            enabled: true,
            initial_interval: ConfigDuration::secs(5),
            max_interval: ConfigDuration::secs(30),
            max_elapsed_time: ConfigDuration::secs(300),
            multiplier: 1.5,
            randomization_factor: 0.5,
        }
    }
}

/// The waits of one batch's retries.
#[derive(Debug)]
pub struct Backoff {
    config: RetryConfig,
    next: Duration,
    elapsed: Duration,
}

impl Backoff {
    /// Starts a new series of waits.
    pub fn new(config: &RetryConfig) -> Self {
        Backoff { config: config.clone(), next: config.initial_interval.0, elapsed: Duration::ZERO }
    }

    /// The next wait, or `None` when retries are disabled or the time budget is spent. A server's
    /// `Retry-After` replaces the computed wait (still within the budget).
    pub fn next_wait(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        if !self.config.enabled {
            return None;
        }
        let factor = self.config.randomization_factor.clamp(0.0, 1.0);
        let jitter = if factor > 0.0 { rand::random_range(-factor..=factor) } else { 0.0 };
        let computed = self.next.mul_f64(1.0 + jitter);
        let wait = retry_after.unwrap_or(computed);
        let budget = self.config.max_elapsed_time.0;
        if !budget.is_zero() && self.elapsed + wait > budget {
            return None;
        }
        self.elapsed += wait;
        self.next =
            self.next.mul_f64(self.config.multiplier.max(1.0)).min(self.config.max_interval.0);
        Some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_up_to_the_cap_and_stop_at_the_budget() {
        let config = RetryConfig {
            initial_interval: ConfigDuration::secs(1),
            max_interval: ConfigDuration::secs(4),
            max_elapsed_time: ConfigDuration::secs(12),
            multiplier: 2.0,
            randomization_factor: 0.0,
            ..RetryConfig::default()
        };
        let mut backoff = Backoff::new(&config);
        let waits: Vec<u64> =
            std::iter::from_fn(|| backoff.next_wait(None)).map(|d| d.as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 4]);
    }

    #[test]
    fn jitter_stays_within_the_factor_and_retry_after_wins() {
        let config = RetryConfig { randomization_factor: 0.5, ..RetryConfig::default() };
        for _ in 0..100 {
            let wait = Backoff::new(&config).next_wait(None).unwrap();
            assert!(
                wait >= Duration::from_millis(2500) && wait <= Duration::from_millis(7500),
                "{wait:?}"
            );
        }
        let wait = Backoff::new(&config).next_wait(Some(Duration::from_secs(7))).unwrap();
        assert_eq!(wait, Duration::from_secs(7));
        let disabled = RetryConfig { enabled: false, ..RetryConfig::default() };
        assert_eq!(Backoff::new(&disabled).next_wait(None), None);
    }
}
