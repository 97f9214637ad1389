//! `to_otlp_proto` gives the spans and rejections `decode_traces` gives, for every format, and passes
//! valid OTLP protobuf through untouched.

mod common;

use common::gen;
use prost::Message;
use translators::{decode_traces, encode_traces, to_otlp_proto, ExportTraceServiceRequest, Format};

const FORMATS: [Format; 8] = [
    Format::OtlpProto,
    Format::OtlpJson,
    Format::JaegerThriftCompact,
    Format::JaegerThriftBinary,
    Format::JaegerProto,
    Format::JaegerJson,
    Format::ZipkinJson,
    Format::ZipkinProto,
];

fn merged(
    format: Format,
    input: &[u8],
) -> (ExportTraceServiceRequest, Vec<translators::Rejection>) {
    let decoded = decode_traces(format, input).unwrap();
    let request = ExportTraceServiceRequest {
        resource_spans: decoded.requests.into_iter().flat_map(|r| r.resource_spans).collect(),
    };
    (request, decoded.rejected)
}

#[test]
fn same_spans_and_rejections_as_decode_traces() {
    for seed in 0..4 {
        let mut request = gen::request(seed, 20);
        // One span with an all-zero span id: rejected on every route.
        request.resource_spans[0].scope_spans[0].spans[3].span_id = vec![0; 8];
        for format in FORMATS {
            let input = encode_traces(format, &request).bytes;
            let out = to_otlp_proto(format, &input).unwrap();
            let bytes = out.bytes.clone().unwrap_or_else(|| input.clone());
            let got = ExportTraceServiceRequest::decode(&bytes[..]).unwrap();
            let (want, rejected) = merged(format, &input);
            assert_eq!(got, want, "{format}");
            assert_eq!(out.rejected, rejected, "{format}");
            assert_eq!(out.spans, translators::otlp::span_count(&want), "{format}");
        }
    }
}

#[test]
fn valid_otlp_protobuf_is_passed_on_as_it_is() {
    let request = gen::request(7, 10);
    let input = encode_traces(Format::OtlpProto, &request).bytes;
    let out = to_otlp_proto(Format::OtlpProto, &input).unwrap();
    assert_eq!(out.bytes, None);
    assert_eq!(out.spans, 10);
    assert!(out.rejected.is_empty());
    assert!(to_otlp_proto(Format::OtlpProto, &[0xff, 0xff]).is_err());
}
