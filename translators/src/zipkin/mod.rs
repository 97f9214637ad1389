//! Zipkin: v2 JSON, v2 proto3, v1 JSON and v1 Thrift.
//! Placeholder entry points: implemented in their own change.

pub mod model;

use crate::otlp::model::ExportTraceServiceRequest;
use crate::{DecodeError, Decoded, Encoded, Format, Location};

fn todo_err(format: Format) -> DecodeError {
    DecodeError::new(format, Location::Input, "not implemented yet")
}

/// v2 JSON → OTLP.
pub fn json_to_otlp(_input: &[u8]) -> Result<Decoded, DecodeError> {
    Err(todo_err(Format::ZipkinJson))
}
/// v2 proto3 → OTLP.
pub fn proto_to_otlp(_input: &[u8]) -> Result<Decoded, DecodeError> {
    Err(todo_err(Format::ZipkinProto))
}
/// v1 JSON → OTLP.
pub fn v1_json_to_otlp(_input: &[u8]) -> Result<Decoded, DecodeError> {
    Err(todo_err(Format::ZipkinV1Json))
}
/// v1 Thrift → OTLP.
pub fn v1_thrift_to_otlp(_input: &[u8]) -> Result<Decoded, DecodeError> {
    Err(todo_err(Format::ZipkinV1Thrift))
}
/// OTLP → v2 JSON.
pub fn otlp_to_json(_request: &ExportTraceServiceRequest) -> Encoded {
    Encoded::default()
}
/// OTLP → v2 proto3.
pub fn otlp_to_proto(_request: &ExportTraceServiceRequest) -> Encoded {
    Encoded::default()
}
/// OTLP → v1 JSON.
pub fn otlp_to_v1_json(_request: &ExportTraceServiceRequest) -> Encoded {
    Encoded::default()
}
/// OTLP → v1 Thrift.
pub fn otlp_to_v1_thrift(_request: &ExportTraceServiceRequest) -> Encoded {
    Encoded::default()
}
