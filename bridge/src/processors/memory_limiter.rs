//! The `memory_limiter` processor: refuses data while the process uses too much memory, so senders back off
//! (HTTP 503, gRPC `Unavailable`) instead of the bridge being OOM-killed. Collector semantics: a hard limit
//! (`limit_mib` or `limit_percentage`) and a spike allowance (`spike_limit_mib`, default 20 % of the limit);
//! above the soft limit (limit − spike) data is refused, below it data passes again.
//!
//! The Collector measures Go heap; this measures the process's resident set size (`VmRSS` in
//! `/proc/self/status`), sampled every `check_interval` by a timer task that ends when the service stops.
//! Where RSS cannot be read (not Linux), the limiter logs a warning once and lets everything through.
//! There is no garbage collector to force, so above the hard limit the limiter does what it does above the soft
//! one: refuse. RSS falls only as the allocator returns pages, so leaving the limited mode can lag a little
//! behind the data being freed.

use crate::config::duration::ConfigDuration;
use crate::error::PipelineError;
use crate::pipeline::{span_count, Consumer, Traces};
use crate::telemetry::metrics::{ComponentMetrics, DropReason};
use async_trait::async_trait;
use serde::{Deserialize, Deserializer};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

const MIB: u64 = 1 << 20;

/// Settings of the `memory_limiter` processor. One of `limit_mib` and `limit_percentage` is required.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields, default)]
pub struct MemoryLimiterConfig {
    /// How often the memory use is sampled. Default `1s`; must be above zero.
    pub check_interval: ConfigDuration,
    /// Hard limit in MiB of the process's resident memory. Takes precedence over `limit_percentage`.
    pub limit_mib: Option<u64>,
    /// Largest growth expected between two checks, in MiB; data is refused above `limit_mib −
    /// spike_limit_mib`. Default 20 % of `limit_mib`; must be below `limit_mib`.
    pub spike_limit_mib: Option<u64>,
    /// Hard limit as a percentage (1–100) of the memory available: the cgroup's limit when one is set,
    /// else the machine's total (`/proc/meminfo`).
    pub limit_percentage: Option<u32>,
    /// Spike allowance as a percentage of the memory available. Default 20 % of the resulting limit; must be
    /// below `limit_percentage`.
    pub spike_limit_percentage: Option<u32>,
}

impl Default for MemoryLimiterConfig {
    fn default() -> Self {
        MemoryLimiterConfig {
            check_interval: ConfigDuration::secs(1),
            limit_mib: None,
            spike_limit_mib: None,
            limit_percentage: None,
            spike_limit_percentage: None,
        }
    }
}

impl<'de> Deserialize<'de> for MemoryLimiterConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The derived (remote = "Self") deserializer, then the cross-field checks, so `validate` reports
        // them with the processor's key path.
        let config = MemoryLimiterConfig::deserialize(deserializer)?;
        config.check().map_err(serde::de::Error::custom)?;
        Ok(config)
    }
}

impl MemoryLimiterConfig {
    /// The Collector's checks: a limit is set, the spike is below it, percentages are in 1–100.
    pub fn check(&self) -> Result<(), String> {
        if self.check_interval.0.is_zero() {
            return Err("`check_interval` must be greater than zero".into());
        }
        match (self.limit_mib, self.limit_percentage) {
            (None | Some(0), None | Some(0)) => {
                return Err(
                    "set `limit_mib` or `limit_percentage` (the memory limit is required)".into()
                )
            }
            (Some(limit), _) if limit > 0 => {
                if let Some(spike) = self.spike_limit_mib {
                    if spike >= limit {
                        return Err(format!(
                            "`spike_limit_mib` ({spike}) must be smaller than `limit_mib` ({limit})"
                        ));
                    }
                }
            }
            (_, Some(percent)) => {
                if percent > 100 {
                    return Err(format!(
                        "`limit_percentage` ({percent}) must be between 1 and 100"
                    ));
                }
                if let Some(spike) = self.spike_limit_percentage {
                    if spike >= percent {
                        return Err(format!(
                            "`spike_limit_percentage` ({spike}) must be smaller than `limit_percentage` ({percent})"
                        ));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The (hard, soft) limits in bytes, given the memory available (only read for percentages).
    pub fn limits(&self, total_memory: impl FnOnce() -> Option<u64>) -> Option<(u64, u64)> {
        let (hard, spike) = match self.limit_mib.filter(|l| *l > 0) {
            Some(limit) => {
                let hard = limit * MIB;
                (hard, self.spike_limit_mib.map(|s| s * MIB).unwrap_or(hard / 5))
            }
            None => {
                let total = total_memory()?;
                let hard = total / 100 * u64::from(self.limit_percentage?);
                let spike = match self.spike_limit_percentage {
                    Some(p) => total / 100 * u64::from(p),
                    None => hard / 5,
                };
                (hard, spike)
            }
        };
        Some((hard, hard.saturating_sub(spike)))
    }
}

/// Reads the process's memory use in bytes; `None` where it cannot be read.
pub type MemoryReader = Arc<dyn Fn() -> Option<u64> + Send + Sync>;

/// Resident set size of this process, from `VmRSS` in `/proc/self/status`.
pub fn process_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    kib_field(&status, "VmRSS:")
}

/// Memory available to this process: the cgroup (v2, then v1) limit when one is set and below the machine's
/// total, else `MemTotal` from `/proc/meminfo`.
pub fn available_memory() -> Option<u64> {
    let total = kib_field(&std::fs::read_to_string("/proc/meminfo").ok()?, "MemTotal:")?;
    let cgroup = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .find_map(|text| text.trim().parse::<u64>().ok()); // "max" = no limit
    Some(cgroup.filter(|limit| *limit < total).unwrap_or(total))
}

/// `Name:   1234 kB` → bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Limit state shared by the processor and its timer task.
struct State {
    hard: u64,
    soft: u64,
    over: AtomicBool,
    last_usage: AtomicU64,
}

impl State {
    /// Takes a new reading; logs when the limited mode starts or ends.
    fn update(&self, usage: u64) {
        self.last_usage.store(usage, Ordering::Relaxed);
        let over = usage > self.soft;
        if self.over.swap(over, Ordering::Relaxed) != over {
            if over {
                tracing::warn!(
                    usage_mib = usage / MIB,
                    soft_limit_mib = self.soft / MIB,
                    hard_limit_mib = self.hard / MIB,
                    "memory use above the soft limit; refusing data"
                );
            } else {
                tracing::info!(
                    usage_mib = usage / MIB,
                    "memory use back below the soft limit; accepting data"
                );
            }
        }
    }
}

/// The processor: passes data on unless the last reading was above the soft limit.
pub struct MemoryLimiter {
    state: Option<Arc<State>>,
    next: Arc<dyn Consumer>,
    metrics: Arc<ComponentMetrics>,
}

impl MemoryLimiter {
    /// Whether data is being refused (the last reading was above the soft limit).
    pub fn is_limiting(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.over.load(Ordering::Relaxed))
    }
}

#[async_trait]
impl Consumer for MemoryLimiter {
    async fn consume(&self, traces: Traces) -> Result<(), PipelineError> {
        let n = span_count(&traces) as u64;
        if let Some(state) = self.state.as_ref().filter(|s| s.over.load(Ordering::Relaxed)) {
            ComponentMetrics::add(&self.metrics.refused, n);
            self.metrics.dropped(DropReason::MemoryLimit, n);
            return Err(PipelineError::MemoryLimit(format!(
                "{} MiB in use, soft limit {} MiB",
                state.last_usage.load(Ordering::Relaxed) / MIB,
                state.soft / MIB
            )));
        }
        let result = self.next.consume(traces).await;
        match &result {
            Ok(()) => ComponentMetrics::add(&self.metrics.accepted, n),
            Err(_) => ComponentMetrics::add(&self.metrics.refused, n),
        }
        result
    }
}

/// Builds the stage in front of `next`, reading this process's RSS and the machine's memory.
pub fn build(
    config: &MemoryLimiterConfig,
    next: Arc<dyn Consumer>,
    metrics: Arc<ComponentMetrics>,
    stop: CancellationToken,
) -> Arc<dyn Consumer> {
    build_with(config, next, metrics, stop, Arc::new(process_rss), available_memory)
}

/// [`build`] with the memory readings supplied (tests inject them).
pub fn build_with(
    config: &MemoryLimiterConfig,
    next: Arc<dyn Consumer>,
    metrics: Arc<ComponentMetrics>,
    stop: CancellationToken,
    usage: MemoryReader,
    total_memory: impl FnOnce() -> Option<u64>,
) -> Arc<MemoryLimiter> {
    let state = match (config.limits(total_memory), usage()) {
        (Some((hard, soft)), Some(first)) => {
            tracing::info!(
                id = metrics.id(),
                hard_limit_mib = hard / MIB,
                soft_limit_mib = soft / MIB,
                "memory limiter"
            );
            let state = Arc::new(State {
                hard,
                soft,
                over: AtomicBool::new(false),
                last_usage: AtomicU64::new(0),
            });
            state.update(first);
            spawn_checker(state.clone(), usage, config.check_interval.0, stop);
            Some(state)
        }
        (None, _) => {
            tracing::warn!(
                id = metrics.id(),
                "memory limiter: cannot read the memory available; not limiting"
            );
            None
        }
        (_, None) => {
            tracing::warn!(
                id = metrics.id(),
                "memory limiter: cannot read this process's memory use; not limiting"
            );
            None
        }
    };
    Arc::new(MemoryLimiter { state, next, metrics })
}

fn spawn_checker(
    state: Arc<State>,
    usage: MemoryReader,
    interval: std::time::Duration,
    stop: CancellationToken,
) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = ticks.tick() => {
                    if let Some(reading) = usage() {
                        state.update(reading);
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ReceiveError;
    use crate::processors::batch::test_support::{eventually, request, Recorder};
    use crate::processors::ProcessorConfig;
    use crate::telemetry::metrics::{Kind, Registry};
    use serde_json::json;
    use std::time::Duration;

    fn parse(value: serde_json::Value) -> Result<MemoryLimiterConfig, crate::config::Problem> {
        match ProcessorConfig::parse("memory_limiter", value, "processors.memory_limiter")? {
            ProcessorConfig::MemoryLimiter(c) => Ok(c),
            _ => unreachable!(),
        }
    }

    #[tokio::test]
    async fn refuses_above_the_soft_limit_and_resumes_below_it() {
        let config = parse(json!({"check_interval": "10ms", "limit_mib": 100})).unwrap();
        let usage = Arc::new(AtomicU64::new(50 * MIB));
        let reader: MemoryReader = {
            let usage = usage.clone();
            Arc::new(move || Some(usage.load(Ordering::Relaxed)))
        };
        let recorder = Arc::new(Recorder::default());
        let metrics = Registry::new().component(Kind::Processor, "memory_limiter");
        let stop = CancellationToken::new();
        let limiter =
            build_with(&config, recorder.clone(), metrics.clone(), stop.clone(), reader, || None);

        limiter.consume(request("svc", &["a", "b"])).await.unwrap();
        assert_eq!(recorder.names(), vec![vec!["a", "b"]]);
        assert_eq!(ComponentMetrics::get(&metrics.accepted), 2);

        // Soft limit = 100 − 20 % = 80 MiB: 85 MiB is over it though under the hard limit.
        usage.store(85 * MIB, Ordering::Relaxed);
        assert!(eventually(|| limiter.is_limiting()).await);
        let error = limiter.consume(request("svc", &["c", "d", "e"])).await.unwrap_err();
        assert!(
            matches!(&error, PipelineError::MemoryLimit(m) if m.contains("85 MiB in use, soft limit 80 MiB")),
            "{error}"
        );
        let answer = ReceiveError::from(error);
        assert_eq!(answer.http_status(), http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.grpc_code(), tonic::Code::Unavailable);
        assert_eq!(recorder.requests().len(), 1, "nothing passed on while over the limit");
        assert_eq!(ComponentMetrics::get(&metrics.refused), 3);
        assert_eq!(metrics.dropped_count(DropReason::MemoryLimit), 3);

        usage.store(70 * MIB, Ordering::Relaxed);
        assert!(eventually(|| !limiter.is_limiting()).await);
        limiter.consume(request("svc", &["f"])).await.unwrap();
        assert_eq!(recorder.names().last().unwrap(), &vec!["f"]);
        stop.cancel();
    }

    #[tokio::test]
    async fn over_the_limit_at_start_refuses_at_once() {
        let config = parse(json!({"limit_mib": 10, "spike_limit_mib": 1})).unwrap();
        let recorder = Arc::new(Recorder::default());
        let metrics = Registry::new().component(Kind::Processor, "memory_limiter");
        let stop = CancellationToken::new();
        let limiter = build_with(
            &config,
            recorder.clone(),
            metrics,
            stop.clone(),
            Arc::new(|| Some(9 * MIB + 1)),
            || None,
        );
        assert!(matches!(
            limiter.consume(request("svc", &["a"])).await,
            Err(PipelineError::MemoryLimit(_))
        ));
        stop.cancel();
    }

    #[tokio::test]
    async fn without_a_reading_it_passes_everything() {
        let config = parse(json!({"limit_percentage": 50})).unwrap();
        let recorder = Arc::new(Recorder::default());
        let metrics = Registry::new().component(Kind::Processor, "memory_limiter");
        let limiter = build_with(
            &config,
            recorder.clone(),
            metrics,
            CancellationToken::new(),
            Arc::new(|| None),
            || None,
        );
        limiter.consume(request("svc", &["a"])).await.unwrap();
        assert_eq!(recorder.requests().len(), 1);
    }

    #[test]
    fn limits_defaults_and_percentages() {
        let config = parse(json!({"limit_mib": 1000})).unwrap();
        assert_eq!(config.check_interval.0, Duration::from_secs(1));
        assert_eq!(config.limits(|| None), Some((1000 * MIB, 800 * MIB)));
        let config = parse(json!({"limit_mib": 1000, "spike_limit_mib": 100})).unwrap();
        assert_eq!(config.limits(|| None), Some((1000 * MIB, 900 * MIB)));
        // limit_mib wins over limit_percentage.
        let config = parse(json!({"limit_mib": 10, "limit_percentage": 90})).unwrap();
        assert_eq!(config.limits(|| Some(4000 * MIB)), Some((10 * MIB, 8 * MIB)));
        let config = parse(json!({"limit_percentage": 80, "spike_limit_percentage": 20})).unwrap();
        assert_eq!(config.limits(|| Some(4000 * MIB)), Some((3200 * MIB, 2400 * MIB)));
        let config = parse(json!({"limit_percentage": 50})).unwrap();
        assert_eq!(config.limits(|| Some(1000 * MIB)), Some((500 * MIB, 400 * MIB)));
        assert_eq!(config.limits(|| None), None);
    }

    #[test]
    fn config_problems() {
        let message = |v| parse(v).unwrap_err().message;
        assert!(message(json!({})).contains("set `limit_mib` or `limit_percentage`"));
        assert!(message(json!({"limit_mib": 0})).contains("set `limit_mib` or `limit_percentage`"));
        assert!(
            message(json!({"limit_mib": 100, "spike_limit_mib": 100})).contains("must be smaller")
        );
        assert!(message(json!({"limit_percentage": 150})).contains("between 1 and 100"));
        assert!(message(json!({"limit_percentage": 50, "spike_limit_percentage": 60}))
            .contains("must be smaller"));
        assert!(message(json!({"limit_mib": 100, "check_interval": "0s"}))
            .contains("greater than zero"));
        let problem = parse(json!({"limit_mb": 100})).unwrap_err();
        assert_eq!(problem.path, "processors.memory_limiter.limit_mb");
        assert!(problem.message.contains("did you mean `limit_mib`"), "{}", problem.message);
    }

    #[test]
    fn reads_this_process_and_the_machine() {
        let rss = process_rss().expect("Linux /proc");
        let total = available_memory().expect("Linux /proc/meminfo");
        assert!(rss > MIB && rss < total, "rss {rss} total {total}");
        assert_eq!(kib_field("VmRSS:\t  2048 kB\n", "VmRSS:"), Some(2 * MIB));
    }
}
