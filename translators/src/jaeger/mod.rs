//! Jaeger: Thrift (agent compact / binary, collector binary), api_v2 protobuf and query JSON.
//! Placeholder entry points: implemented in their own change.

pub mod model;

use crate::otlp::model::ExportTraceServiceRequest;
use crate::{DecodeError, Decoded, Encoded, Format, Location};

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
/// `PostSpansRequest` → OTLP.
pub fn proto_to_otlp(_input: &[u8]) -> Result<Decoded, DecodeError> {
    Err(todo_err(Format::JaegerProto))
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
/// OTLP → `PostSpansRequest`.
pub fn otlp_to_proto(_request: &ExportTraceServiceRequest) -> Encoded {
    Encoded::default()
}
/// OTLP → query-API JSON.
pub fn otlp_to_json(_request: &ExportTraceServiceRequest) -> Encoded {
    Encoded::default()
}
