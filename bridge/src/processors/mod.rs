//! Processors: stages inside a pipeline, between its receivers and its exporters' queues. Each wraps the
//! next stage, so a pipeline is a chain of [`Consumer`]s.

pub mod attributes;
pub mod batch;
pub mod memory_limiter;

use crate::config::problems::{did_you_mean, typed};
use crate::config::Problem;
use crate::pipeline::Consumer;
use crate::telemetry::metrics::ComponentMetrics;
use serde_json::Value;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// A processor's settings, by type.
#[derive(Debug, Clone)]
pub enum ProcessorConfig {
    /// `batch`: groups requests into batches by size or time.
    Batch(batch::BatchConfig),
    /// `memory_limiter`: refuses data while memory use is over a limit.
    MemoryLimiter(memory_limiter::MemoryLimiterConfig),
    /// `attributes`: insert, update, upsert, delete, rename or hash attributes.
    Attributes(attributes::AttributesConfig),
}

/// Processor types, for messages.
pub const TYPES: &[&str] = &["batch", "memory_limiter", "attributes"];

impl ProcessorConfig {
    /// Types the settings of a processor of type `type_name` found at `path`.
    pub fn parse(type_name: &str, value: Value, path: &str) -> Result<Self, Problem> {
        Ok(match type_name {
            "batch" => ProcessorConfig::Batch(typed(path, value)?),
            "memory_limiter" => ProcessorConfig::MemoryLimiter(typed(path, value)?),
            "attributes" => ProcessorConfig::Attributes(typed(path, value)?),
            other => {
                return Err(Problem {
                    path: path.into(),
                    message: format!(
                        "unknown processor type {other:?}{}; known: {}",
                        did_you_mean(other, TYPES),
                        TYPES.join(", ")
                    ),
                })
            }
        })
    }

    /// Builds the stage in front of `next`. `stop` is cancelled at shutdown (timers end).
    pub fn build(
        &self,
        next: Arc<dyn Consumer>,
        metrics: Arc<ComponentMetrics>,
        stop: CancellationToken,
    ) -> Arc<dyn Consumer> {
        match self {
            ProcessorConfig::Batch(c) => batch::build(c, next, metrics, stop),
            ProcessorConfig::MemoryLimiter(c) => memory_limiter::build(c, next, metrics, stop),
            ProcessorConfig::Attributes(c) => attributes::build(c, next, metrics),
        }
    }
}
