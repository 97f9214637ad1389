//! Pure translation between the trace formats of Jaeger, Zipkin and OTLP.
//!
//! Bytes in, OTLP out, and back: no sockets, no threads, no async runtime. Every format has
//! exactly one way in (`<format>_to_otlp`) and one way out (`otlp_to_<format>`), all meeting in
//! one shared model, the OTLP messages of [`otlp::model`]. [`decode_traces`] and
//! [`encode_traces`] dispatch on [`Format`].

pub mod calendar;
pub mod elastic;
pub mod error;
pub mod format;
pub mod ids;
pub mod jaeger;
pub mod otlp;
pub mod prometheus;
pub mod thrift;
pub mod zipkin;

pub use error::{DecodeError, Location, Rejection};
pub use format::Format;
pub use otlp::model::ExportTraceServiceRequest;

/// What a decoder read: one or more OTLP requests, and the spans it had to reject one by one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    /// The requests read, in input order. Most formats give one; OTLP/JSON as NDJSON, and
    /// concatenated Thrift messages, give one per input item.
    pub requests: Vec<ExportTraceServiceRequest>,
    /// Spans that could not be translated; the rest of their batch is in `requests`.
    pub rejected: Vec<Rejection>,
}

impl Decoded {
    /// A result with one request and no rejections.
    pub fn one(request: ExportTraceServiceRequest) -> Self {
        Decoded { requests: vec![request], rejected: Vec::new() }
    }

    /// Number of spans in all requests.
    pub fn span_count(&self) -> usize {
        self.requests.iter().map(otlp::span_count).sum()
    }
}

/// What an encoder wrote, and the spans it had to leave out (e.g. an id the format cannot hold).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Encoded {
    /// The encoded output.
    pub bytes: Vec<u8>,
    /// Spans left out, with the reason.
    pub rejected: Vec<Rejection>,
}

/// Decodes `input` in `format` into OTLP.
///
/// `Err` means nothing could be read (the framing or the document is broken); spans rejected
/// individually are reported in [`Decoded::rejected`] while the others are returned.
pub fn decode_traces(format: Format, input: &[u8]) -> Result<Decoded, DecodeError> {
    match format {
        Format::OtlpJson => otlp::json::json_to_otlp(input),
        Format::OtlpProto => otlp::proto::proto_to_otlp(input),
        Format::JaegerThriftCompact => jaeger::thrift_compact_to_otlp(input),
        Format::JaegerThriftBinary => jaeger::thrift_binary_to_otlp(input),
        Format::JaegerProto => jaeger::proto_to_otlp(input),
        Format::JaegerJson => jaeger::json_to_otlp(input),
        Format::ZipkinJson => zipkin::json_to_otlp(input),
        Format::ZipkinProto => zipkin::proto_to_otlp(input),
        Format::ZipkinV1Json => zipkin::v1_json_to_otlp(input),
        Format::ZipkinV1Thrift => zipkin::v1_thrift_to_otlp(input),
    }
}

/// Encodes one OTLP request as `format`.
pub fn encode_traces(format: Format, request: &ExportTraceServiceRequest) -> Encoded {
    match format {
        Format::OtlpJson => otlp::json::otlp_to_json(request),
        Format::OtlpProto => otlp::proto::otlp_to_proto(request),
        Format::JaegerThriftCompact => jaeger::otlp_to_thrift_compact(request),
        Format::JaegerThriftBinary => jaeger::otlp_to_thrift_binary(request),
        Format::JaegerProto => jaeger::otlp_to_proto(request),
        Format::JaegerJson => jaeger::otlp_to_json(request),
        Format::ZipkinJson => zipkin::otlp_to_json(request),
        Format::ZipkinProto => zipkin::otlp_to_proto(request),
        Format::ZipkinV1Json => zipkin::otlp_to_v1_json(request),
        Format::ZipkinV1Thrift => zipkin::otlp_to_v1_thrift(request),
    }
}

/// Translates `input` from one format straight into another, bytes to bytes.
///
/// This is what receivers and exporters do on their hot paths. The result is what
/// [`decode_traces`] followed by [`encode_traces`] gives (every decoded request merged into one,
/// except for OTLP/JSON output, which keeps one line per request); pairs with OTLP protobuf on
/// one side may take a faster route that never builds the owned OTLP model, with the same
/// output. `Err` means nothing could be read.
pub fn transcode(from: Format, to: Format, input: &[u8]) -> Result<Encoded, DecodeError> {
    if let Some(result) = jaeger::transcode_fast(from, to, input) {
        return result;
    }
    if let Some(result) = zipkin::transcode_fast(from, to, input) {
        return result;
    }
    let decoded = decode_traces(from, input)?;
    let mut rejected = decoded.rejected;
    let bytes = if to == Format::OtlpJson {
        let mut out = Vec::new();
        for request in &decoded.requests {
            let encoded = encode_traces(to, request);
            out.extend_from_slice(&encoded.bytes);
            rejected.extend(encoded.rejected);
        }
        out
    } else {
        let mut requests = decoded.requests;
        let merged = if requests.len() == 1 {
            requests.pop().expect("one request")
        } else {
            ExportTraceServiceRequest {
                resource_spans: requests.into_iter().flat_map(|r| r.resource_spans).collect(),
            }
        };
        let encoded = encode_traces(to, &merged);
        rejected.extend(encoded.rejected);
        encoded.bytes
    };
    Ok(Encoded { bytes, rejected })
}

/// Spans as one OTLP protobuf `ExportTraceServiceRequest`, ready to forward: what a receiver hands
/// to a pipeline that carries bytes rather than the owned model.
#[derive(Debug, Clone, PartialEq)]
pub struct OtlpProto {
    /// The request's bytes; `None` when they are the input itself, unchanged (OTLP protobuf input
    /// whose every span is valid).
    pub bytes: Option<Vec<u8>>,
    /// How many spans the bytes hold.
    pub spans: usize,
    /// Spans rejected one by one; they are not in the bytes.
    pub rejected: Vec<Rejection>,
}

/// Reads `input` as `from` and gives the spans as OTLP protobuf bytes: [`transcode`] to
/// `otlp-proto`, except that valid OTLP protobuf input is checked in place (as prost would read
/// it, plus the span id checks every route applies) and passed on as it is. The same spans and
/// rejections as [`decode_traces`].
pub fn to_otlp_proto(from: Format, input: &[u8]) -> Result<OtlpProto, DecodeError> {
    if from == Format::OtlpProto {
        let view = otlp::wire::TracesView::parse(input)?;
        let mut spans = 0;
        let mut valid = !view.needs_merge();
        for scope in view.resource_spans().flat_map(|r| r.scope_spans()) {
            for span in scope.spans() {
                spans += 1;
                valid &= otlp::validity::check_span_ids(
                    span.trace_id,
                    span.span_id,
                    span.parent_span_id,
                )
                .is_ok();
            }
        }
        if valid {
            return Ok(OtlpProto { bytes: None, spans, rejected: Vec::new() });
        }
    }
    let encoded = transcode(from, Format::OtlpProto, input)?;
    // Our own writer's bytes: counted by structure, not checked again.
    let spans = otlp::wire::count_spans_unchecked(&encoded.bytes);
    Ok(OtlpProto { bytes: Some(encoded.bytes), spans, rejected: encoded.rejected })
}
