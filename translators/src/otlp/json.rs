//! OTLP/JSON (the OTLP spec's JSON mapping). Placeholder: implemented in its own change.

use super::model::ExportTraceServiceRequest;
use crate::{DecodeError, Decoded, Encoded, Format, Location};

/// Decodes one OTLP/JSON request object, or NDJSON of several.
pub fn json_to_otlp(_input: &[u8]) -> Result<Decoded, DecodeError> {
    Err(DecodeError::new(Format::OtlpJson, Location::Input, "not implemented yet"))
}

/// Encodes one request as a single line of OTLP/JSON.
pub fn otlp_to_json(_request: &ExportTraceServiceRequest) -> Encoded {
    Encoded::default()
}
