//! Jaeger: Thrift (agent compact / binary, collector binary), api_v2 protobuf and query JSON.
//!
//! Every codec reads into and writes from the api_v2 model ([`model`]); the one mapping between
//! that model and OTLP lives in [`to_otlp`] and [`from_otlp`].

pub mod from_otlp;
pub mod model;
pub mod proto;
pub mod to_otlp;

use crate::otlp::model::ExportTraceServiceRequest;
use crate::{DecodeError, Decoded, Encoded, Format, Location};

/// Span tag holding the OpenTracing span kind (`client`, `server`, `producer`, `consumer`,
/// `internal`).
pub const TAG_SPAN_KIND: &str = "span.kind";
/// Span tag `error`: bool `true` marks a failed span.
pub const TAG_ERROR: &str = "error";
/// Span tag holding the OTLP status code name (`OK` / `ERROR`).
pub const TAG_STATUS_CODE: &str = "otel.status_code";
/// Span tag holding the OTLP status message.
pub const TAG_STATUS_DESCRIPTION: &str = "otel.status_description";
/// Span tag holding the instrumentation scope name.
pub const TAG_SCOPE_NAME: &str = "otel.scope.name";
/// Span tag holding the instrumentation scope version.
pub const TAG_SCOPE_VERSION: &str = "otel.scope.version";
/// Deprecated alias of [`TAG_SCOPE_NAME`], still written (the spec asks for it) and read.
pub const TAG_LIBRARY_NAME: &str = "otel.library.name";
/// Deprecated alias of [`TAG_SCOPE_VERSION`], still written and read.
pub const TAG_LIBRARY_VERSION: &str = "otel.library.version";
/// Span tag holding the W3C trace state.
pub const TAG_TRACE_STATE: &str = "w3c.tracestate";
/// Span tag / log field / process tag: the OTLP dropped attributes count.
pub const TAG_DROPPED_ATTRIBUTES: &str = "otel.dropped_attributes_count";
/// Log field used for the event's dropped attributes by older spec versions (read only).
pub const TAG_EVENT_DROPPED_ATTRIBUTES_OLD: &str = "otel.event.dropped_attributes_count";
/// Span tag: the OTLP dropped events count.
pub const TAG_DROPPED_EVENTS: &str = "otel.dropped_events_count";
/// Span tag: the OTLP dropped links count.
pub const TAG_DROPPED_LINKS: &str = "otel.dropped_links_count";
/// Log field holding the event name.
pub const FIELD_EVENT: &str = "event";
/// Link attribute keeping the OpenTracing reference type of a reference that is not
/// FOLLOWS_FROM.
pub const ATTR_REF_TYPE: &str = "opentracing.ref_type";
/// OTLP span attribute carrying Jaeger's (and Zipkin's) debug flag (project decision).
pub const ATTR_DEBUG: &str = "otelbridge.debug";
/// Process tag Jaeger clients use for the host name; read as `host.name`.
pub const PROCESS_HOSTNAME: &str = "hostname";
/// The service name written when a resource has no `service.name` (the SDK default).
pub const UNKNOWN_SERVICE: &str = "unknown_service";

fn todo_err(format: Format) -> DecodeError {
    DecodeError::new(format, Location::Input, "not implemented yet")
}

/// Agent UDP payload (compact `emitBatch`) → OTLP.
pub fn thrift_compact_to_otlp(_input: &[u8]) -> Result<Decoded, DecodeError> {
    Err(todo_err(Format::JaegerThriftCompact))
}
/// Collector HTTP body (binary `Batch`) → OTLP.
pub fn thrift_binary_to_otlp(_input: &[u8]) -> Result<Decoded, DecodeError> {
    Err(todo_err(Format::JaegerThriftBinary))
}
/// `PostSpansRequest` → OTLP: one request; spans the mapping rejects are in
/// [`Decoded::rejected`].
pub fn proto_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    let batch = proto::decode(input)?;
    let (request, rejected) = to_otlp::batches_to_otlp(vec![batch]);
    Ok(Decoded { requests: vec![request], rejected })
}
/// Query-API JSON → OTLP.
pub fn json_to_otlp(_input: &[u8]) -> Result<Decoded, DecodeError> {
    Err(todo_err(Format::JaegerJson))
}
/// OTLP → agent UDP payload.
pub fn otlp_to_thrift_compact(_request: &ExportTraceServiceRequest) -> Encoded {
    Encoded::default()
}
/// OTLP → collector HTTP body.
pub fn otlp_to_thrift_binary(_request: &ExportTraceServiceRequest) -> Encoded {
    Encoded::default()
}
/// OTLP → `PostSpansRequest` (one message, one batch; see [`proto::encode`]).
pub fn otlp_to_proto(request: &ExportTraceServiceRequest) -> Encoded {
    let (batches, rejected) = from_otlp::otlp_to_batches(request);
    Encoded { bytes: proto::encode(batches), rejected }
}
/// OTLP → query-API JSON.
pub fn otlp_to_json(_request: &ExportTraceServiceRequest) -> Encoded {
    Encoded::default()
}
