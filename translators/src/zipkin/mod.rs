//! Zipkin: v2 JSON, v2 proto3, v1 JSON and v1 Thrift.
//!
//! Every codec reads into and writes from a borrowed Zipkin span ([`span::ZipkinSpan`]; the
//! proto3 and v1 codecs through the `zipkin.proto3` [`model`]); the one mapping between it and
//! OTLP lives in [`to_otlp`] and [`from_otlp`], and both the owned API
//! ([`crate::decode_traces`], [`crate::encode_traces`]) and the direct bytes-to-bytes routes
//! of [`transcode_fast`] run it. The rules, with their spec references, are in
//! `docs/mappings/traces.md`.

mod fast;
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

/// Reads Zipkin `format` and maps it to one owned OTLP request.
fn decode(format: crate::Format, input: &[u8]) -> Result<Decoded, DecodeError> {
    let decoded = fast::with_mapped(format, input, |mut mapped| {
        let rejected = std::mem::take(&mut mapped.rejected);
        Decoded { requests: vec![mapped.into_request()], rejected }
    });
    decoded.unwrap_or_else(|| Ok(Decoded::default()))
}

/// v2 JSON → OTLP.
pub fn json_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    decode(crate::Format::ZipkinJson, input)
}

/// v2 proto3 → OTLP.
pub fn proto_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    decode(crate::Format::ZipkinProto, input)
}

/// v1 JSON → OTLP (through v2 spans, as Zipkin's own v1 converter does).
pub fn v1_json_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    decode(crate::Format::ZipkinV1Json, input)
}

/// v1 Thrift → OTLP (through v2 spans).
pub fn v1_thrift_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    decode(crate::Format::ZipkinV1Thrift, input)
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

/// A direct bytes-to-bytes route for `from` → `to` when one exists (a Zipkin format and OTLP
/// protobuf, either way); `None` sends [`crate::transcode`] down the decode-then-encode route.
/// The routes run the same mapping as [`crate::decode_traces`] and [`crate::encode_traces`]
/// and give the same bytes, without building the owned OTLP model.
pub fn transcode_fast(
    from: crate::Format,
    to: crate::Format,
    input: &[u8],
) -> Option<Result<Encoded, DecodeError>> {
    match (from, to) {
        (_, crate::Format::OtlpProto) => fast::zipkin_to_otlp_proto(from, input),
        (crate::Format::OtlpProto, _) => fast::otlp_proto_to_zipkin(to, input),
        _ => None,
    }
}
