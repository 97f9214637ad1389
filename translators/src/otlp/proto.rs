//! OTLP protobuf: the body of OTLP/HTTP `POST /v1/traces` and of the gRPC `Export` call.

use super::model::ExportTraceServiceRequest;
use crate::{DecodeError, Decoded, Encoded, Format, Location};
use prost::Message;

/// Decodes one protobuf `ExportTraceServiceRequest`.
pub fn proto_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    let request = ExportTraceServiceRequest::decode(input)
        .map_err(|e| DecodeError::new(Format::OtlpProto, Location::Input, e.to_string()))?;
    Ok(Decoded::one(request))
}

/// Encodes one protobuf `ExportTraceServiceRequest`.
pub fn otlp_to_proto(request: &ExportTraceServiceRequest) -> Encoded {
    Encoded { bytes: request.encode_to_vec(), rejected: Vec::new() }
}
