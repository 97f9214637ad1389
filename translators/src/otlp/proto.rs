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

/// Encodes one protobuf `ExportTraceServiceRequest`: prost's bytes, written by
/// [`super::wire::encode_request`], which computes each nested length once.
pub fn otlp_to_proto(request: &ExportTraceServiceRequest) -> Encoded {
    Encoded { bytes: super::wire::encode_request(request), rejected: Vec::new() }
}
