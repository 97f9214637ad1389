//! The `memory_limiter` processor (being written; passes data through unchanged for now).

use crate::pipeline::Consumer;
use crate::telemetry::metrics::ComponentMetrics;
use serde::Deserialize;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Settings of the `memory_limiter` processor.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryLimiterConfig {}

/// Builds the stage in front of `next`.
pub fn build(
    _config: &MemoryLimiterConfig,
    next: Arc<dyn Consumer>,
    _metrics: Arc<ComponentMetrics>,
    _stop: CancellationToken,
) -> Arc<dyn Consumer> {
    next
}
