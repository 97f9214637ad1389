//! The list of trace formats, with the names the CLI and configs use.

use std::fmt;
use std::str::FromStr;

/// A trace format that can be decoded to and encoded from OTLP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// OTLP/JSON: one `ExportTraceServiceRequest` object, or NDJSON of several.
    OtlpJson,
    /// OTLP protobuf: one `ExportTraceServiceRequest`.
    OtlpProto,
    /// Jaeger agent UDP payload: Thrift compact `Agent.emitBatch` message(s).
    JaegerThriftCompact,
    /// Jaeger collector HTTP body: bare Thrift binary `Batch` struct(s).
    JaegerThriftBinary,
    /// Jaeger api_v2 protobuf `PostSpansRequest`.
    JaegerProto,
    /// Jaeger query-API / UI JSON: `{"data":[{"traceID":..,"spans":[..],"processes":{..}}]}`.
    JaegerJson,
    /// Zipkin v2 JSON list of spans.
    ZipkinJson,
    /// Zipkin v2 proto3 `ListOfSpans`.
    ZipkinProto,
    /// Zipkin v1 JSON list of spans.
    ZipkinV1Json,
    /// Zipkin v1 Thrift list of spans (binary protocol).
    ZipkinV1Thrift,
}

impl Format {
    /// Every format, in the order `--list-formats` prints them.
    pub const ALL: [Format; 10] = [
        Format::OtlpJson,
        Format::OtlpProto,
        Format::JaegerThriftCompact,
        Format::JaegerThriftBinary,
        Format::JaegerProto,
        Format::JaegerJson,
        Format::ZipkinJson,
        Format::ZipkinProto,
        Format::ZipkinV1Json,
        Format::ZipkinV1Thrift,
    ];

    /// The name used on the command line and in configs.
    pub fn name(self) -> &'static str {
        match self {
            Format::OtlpJson => "otlp-json",
            Format::OtlpProto => "otlp-proto",
            Format::JaegerThriftCompact => "jaeger-thrift-compact",
            Format::JaegerThriftBinary => "jaeger-thrift-binary",
            Format::JaegerProto => "jaeger-proto",
            Format::JaegerJson => "jaeger-json",
            Format::ZipkinJson => "zipkin-json",
            Format::ZipkinProto => "zipkin-proto",
            Format::ZipkinV1Json => "zipkin-v1-json",
            Format::ZipkinV1Thrift => "zipkin-v1-thrift",
        }
    }

    /// One line saying what the format is and where it is met.
    pub fn description(self) -> &'static str {
        match self {
            Format::OtlpJson => "OTLP/JSON ExportTraceServiceRequest; NDJSON of several on input, one per line on output",
            Format::OtlpProto => "OTLP protobuf ExportTraceServiceRequest (the body of POST /v1/traces)",
            Format::JaegerThriftCompact => "Jaeger agent UDP payload (port 6831): Thrift compact emitBatch message(s)",
            Format::JaegerThriftBinary => "Jaeger collector HTTP body (POST /api/traces): bare Thrift binary Batch",
            Format::JaegerProto => "Jaeger api_v2 protobuf PostSpansRequest (gRPC 14250 PostSpans)",
            Format::JaegerJson => "Jaeger query API / UI download JSON ({\"data\":[{traceID, spans, processes}]})",
            Format::ZipkinJson => "Zipkin v2 JSON list of spans (POST /api/v2/spans)",
            Format::ZipkinProto => "Zipkin v2 proto3 ListOfSpans (POST /api/v2/spans, application/x-protobuf)",
            Format::ZipkinV1Json => "Zipkin v1 JSON list of spans (POST /api/v1/spans)",
            Format::ZipkinV1Thrift => "Zipkin v1 Thrift list of spans, binary protocol (POST /api/v1/spans, application/x-thrift)",
        }
    }

    /// True when the format is text (JSON) rather than binary.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Format::OtlpJson | Format::JaegerJson | Format::ZipkinJson | Format::ZipkinV1Json
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a format name that is not in [`Format::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?}; known formats: {known}", known = Format::ALL.map(Format::name).join(", "))]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL.into_iter().find(|f| f.name() == s).ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>().unwrap(), f);
        }
        let err = "jaeger".parse::<Format>().unwrap_err().to_string();
        assert!(err.contains("jaeger-thrift-compact"), "{err}");
    }
}
