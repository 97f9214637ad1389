//! `transcode` against its documented meaning, on arbitrary input: between any format and OTLP
//! protobuf (both directions, picked by the first byte), the direct route must give what
//! decode-then-encode gives — both fail, or both succeed with the same bytes and rejections.
#![no_main]

use libfuzzer_sys::fuzz_target;
use translators::{
    decode_traces, encode_traces, transcode, Encoded, ExportTraceServiceRequest, Format,
};

fn reference(from: Format, to: Format, input: &[u8]) -> Option<Encoded> {
    let decoded = decode_traces(from, input).ok()?;
    let mut rejected = decoded.rejected;
    let mut bytes = Vec::new();
    if to == Format::OtlpJson {
        for request in &decoded.requests {
            let encoded = encode_traces(to, request);
            bytes.extend_from_slice(&encoded.bytes);
            rejected.extend(encoded.rejected);
        }
    } else {
        let merged = ExportTraceServiceRequest {
            resource_spans: decoded.requests.into_iter().flat_map(|r| r.resource_spans).collect(),
        };
        let encoded = encode_traces(to, &merged);
        bytes = encoded.bytes;
        rejected.extend(encoded.rejected);
    }
    Some(Encoded { bytes, rejected })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let format = Format::ALL[usize::from(selector >> 1) % Format::ALL.len()];
    let (from, to) =
        if selector & 1 == 0 { (format, Format::OtlpProto) } else { (Format::OtlpProto, format) };
    let fast = transcode(from, to, input).ok();
    let slow = reference(from, to, input);
    assert_eq!(fast, slow, "{from} → {to}: transcode and decode-then-encode differ");
});
