//! Zipkin: v2 JSON, v2 proto3, v1 JSON and v1 Thrift.
//!
//! Every codec reads into and writes from a borrowed Zipkin span ([`span::ZipkinSpan`]; the
//! proto3 and v1 codecs through the `zipkin.proto3` [`model`]); the one mapping between it and
//! OTLP lives in [`to_otlp`] and [`from_otlp`], and both the owned API
//! ([`crate::decode_traces`], [`crate::encode_traces`]) and the direct bytes-to-bytes routes
//! of [`transcode_fast`] run it. The rules, with their spec references, are in
//! `docs/mappings/traces.md`.

pub mod from_otlp;
mod json_read;
pub mod model;
mod span;
pub mod to_otlp;
pub mod v1_convert;
pub mod v1_json;
pub mod v1_model;
pub mod v1_thrift;
pub mod v2_json;
pub mod v2_proto;

use crate::otlp::model::ExportTraceServiceRequest;
use crate::{DecodeError, Decoded, Encoded};

pub use crate::otlp::conventions::{
    ATTR_DEBUG, TAG_DROPPED_ATTRIBUTES, TAG_DROPPED_EVENTS, TAG_DROPPED_LINKS, TAG_ERROR,
    TAG_LIBRARY_NAME, TAG_LIBRARY_VERSION, TAG_SCOPE_NAME, TAG_SCOPE_VERSION, TAG_SPAN_KIND,
    TAG_STATUS_CODE, TAG_STATUS_DESCRIPTION, TAG_TRACE_STATE,
};
/// Prefix of the tags carrying links (`otlp.link.0`, ...), in the Collector's
/// `traceId|spanId|traceState|attributesJson|droppedAttributesCount` form.
pub const TAG_LINK_PREFIX: &str = "otlp.link.";
/// OTLP span attribute carrying Zipkin's `shared: true` (project decision).
pub const ATTR_SHARED: &str = "zipkin.shared";
/// Remote service name (semantic conventions).
pub const ATTR_PEER_SERVICE: &str = "peer.service";
/// Remote socket address (semantic conventions); carries `remoteEndpoint.ipv4/ipv6`.
pub const ATTR_PEER_ADDRESS: &str = "network.peer.address";
/// Remote socket port (semantic conventions); carries `remoteEndpoint.port`.
pub const ATTR_PEER_PORT: &str = "network.peer.port";
/// Local socket address (semantic conventions); carries `localEndpoint.ipv4/ipv6`.
pub const ATTR_LOCAL_ADDRESS: &str = "network.local.address";
/// Local socket port (semantic conventions); carries `localEndpoint.port`.
pub const ATTR_LOCAL_PORT: &str = "network.local.port";
/// Resource attribute carrying `localEndpoint.serviceName`.
pub const ATTR_SERVICE_NAME: &str = "service.name";

/// Maps decoded spans to one OTLP request, naming rejected spans with `item(i)`.
fn finish(
    spans: Vec<model::Span>,
    mut rejected: Vec<crate::Rejection>,
    item: &dyn Fn(usize) -> String,
) -> Decoded {
    let (request, more) = to_otlp::spans_to_otlp_with(spans, item);
    rejected.extend(more);
    Decoded { requests: vec![request], rejected }
}

/// v2 JSON → OTLP.
pub fn json_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    let mut read = v2_json::read(input)?;
    let spans = std::mem::take(&mut read.spans);
    let mapped = to_otlp::map_spans(spans, &|i| read.item(i));
    let mut rejected = read.rejected;
    rejected.extend(mapped.rejected.iter().cloned());
    Ok(Decoded { requests: vec![mapped.into_request()], rejected })
}

/// v2 proto3 → OTLP.
pub fn proto_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    let spans = v2_proto::decode(input)?;
    Ok(finish(spans, Vec::new(), &|i| format!("spans[{i}]")))
}

/// v1 JSON → OTLP (through v2 spans, as Zipkin's own v1 converter does).
pub fn v1_json_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    let d = v1_json::decode_indexed(input)?;
    let index = d.index;
    Ok(finish(d.spans, d.rejected, &|i| v1_json::item_path(index.get(i).copied().unwrap_or(i))))
}

/// v1 Thrift → OTLP (through v2 spans).
pub fn v1_thrift_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    let d = v1_thrift::decode_indexed(input)?;
    let index = d.index;
    Ok(finish(d.spans, d.rejected, &|i| v1_thrift::item_path(index.get(i).copied().unwrap_or(i))))
}

/// OTLP → v2 JSON.
pub fn otlp_to_json(request: &ExportTraceServiceRequest) -> Encoded {
    let (bytes, rejected) = v2_json::encode_otlp(request);
    Encoded { bytes, rejected }
}

/// OTLP → v2 proto3.
pub fn otlp_to_proto(request: &ExportTraceServiceRequest) -> Encoded {
    let (spans, rejected) = from_otlp::otlp_to_spans(request);
    Encoded { bytes: v2_proto::encode(spans), rejected }
}

/// OTLP → v1 JSON.
pub fn otlp_to_v1_json(request: &ExportTraceServiceRequest) -> Encoded {
    let (spans, rejected) = from_otlp::otlp_to_spans(request);
    Encoded { bytes: v1_json::encode(&spans), rejected }
}

/// OTLP → v1 Thrift.
pub fn otlp_to_v1_thrift(request: &ExportTraceServiceRequest) -> Encoded {
    let (spans, rejected) = from_otlp::otlp_to_spans(request);
    Encoded { bytes: v1_thrift::encode(&spans), rejected }
}

/// A direct bytes-to-bytes route for `from` → `to` when one exists (pairs of a Zipkin format
/// and OTLP protobuf); `None` sends [`crate::transcode`] down the decode-then-encode route.
pub fn transcode_fast(
    _from: crate::Format,
    _to: crate::Format,
    _input: &[u8],
) -> Option<Result<Encoded, DecodeError>> {
    None
}
