//! The shared model (OTLP) and its two codecs, plus the helpers every mapping uses.

pub mod attributes;
pub mod conventions;
pub mod grouping;
pub mod json;
pub mod logs_model;
pub mod metrics_model;
pub mod model;
pub mod proto;
pub(crate) mod validity;
pub mod wire;

use model::ExportTraceServiceRequest;

/// Number of spans in a request.
pub fn span_count(request: &ExportTraceServiceRequest) -> usize {
    request.resource_spans.iter().flat_map(|rs| &rs.scope_spans).map(|ss| ss.spans.len()).sum()
}
