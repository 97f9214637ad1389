//! The `batch` processor (being written; passes data through unchanged for now).

use crate::pipeline::Consumer;
use crate::telemetry::metrics::ComponentMetrics;
use serde::Deserialize;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Settings of the `batch` processor.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {}

/// Builds the stage in front of `next`.
pub fn build(
    _config: &BatchConfig,
    next: Arc<dyn Consumer>,
    _metrics: Arc<ComponentMetrics>,
    _stop: CancellationToken,
) -> Arc<dyn Consumer> {
    next
}
