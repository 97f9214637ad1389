//! The `attributes` processor (being written; passes data through unchanged for now).

use crate::pipeline::Consumer;
use crate::telemetry::metrics::ComponentMetrics;
use serde::Deserialize;
use std::sync::Arc;

/// Settings of the `attributes` processor.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributesConfig {}

/// Builds the stage in front of `next`.
pub fn build(
    _config: &AttributesConfig,
    next: Arc<dyn Consumer>,
    _metrics: Arc<ComponentMetrics>,
) -> Arc<dyn Consumer> {
    next
}
