//! The direct Jaeger ⇄ OTLP protobuf routes of `transcode` give what `decode_traces` then
//! `encode_traces` give (same bytes, same rejections), on generated requests, on the
//! real-client Thrift fixtures, and never panic on arbitrary or damaged input.

mod common;

use common::gen;
use proptest::prelude::*;
use translators::{
    decode_traces, encode_traces, transcode, Encoded, ExportTraceServiceRequest, Format,
};

const JAEGER: [Format; 4] = [
    Format::JaegerThriftCompact,
    Format::JaegerThriftBinary,
    Format::JaegerProto,
    Format::JaegerJson,
];

/// The decode-then-encode route, every decoded request merged into one.
fn slow(from: Format, to: Format, input: &[u8]) -> Option<Encoded> {
    let decoded = decode_traces(from, input).ok()?;
    let merged = ExportTraceServiceRequest {
        resource_spans: decoded.requests.into_iter().flat_map(|r| r.resource_spans).collect(),
    };
    let mut encoded = encode_traces(to, &merged);
    let mut rejected = decoded.rejected;
    rejected.append(&mut encoded.rejected);
    Some(Encoded { bytes: encoded.bytes, rejected })
}

fn assert_same(from: Format, to: Format, input: &[u8]) {
    let fast = transcode(from, to, input).ok();
    let slow = slow(from, to, input);
    assert_eq!(fast.is_some(), slow.is_some(), "{from} → {to}: one route failed");
    if let (Some(fast), Some(slow)) = (fast, slow) {
        assert_eq!(fast.rejected, slow.rejected, "{from} → {to}");
        assert!(fast.bytes == slow.bytes, "{from} → {to}: different bytes");
    }
}

/// A generated request with a second resource and scope, a 64-bit trace, a rejected span.
fn varied(seed: u64) -> ExportTraceServiceRequest {
    let mut req = gen::request(seed, 30);
    let mut other = gen::request(seed + 1, 5).resource_spans.remove(0);
    if let Some(r) = other.resource.as_mut() {
        r.attributes[0] = translators::otlp::attributes::string("service.name", "other");
    }
    if let Some(s) = other.scope_spans[0].scope.as_mut() {
        s.name = "other-scope".into();
    }
    other.scope_spans[0].spans[0].trace_id[..8].fill(0);
    other.scope_spans[0].spans[1].span_id = vec![0; 8];
    req.resource_spans.push(other);
    req
}

#[test]
fn generated_requests_both_ways() {
    for seed in 0..8 {
        for req in [gen::request(seed, gen::BATCH), varied(seed)] {
            let proto = encode_traces(Format::OtlpProto, &req).bytes;
            for format in JAEGER {
                assert_same(Format::OtlpProto, format, &proto);
                let input = encode_traces(format, &req).bytes;
                assert_same(format, Format::OtlpProto, &input);
            }
        }
    }
}

#[test]
fn real_client_fixtures() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let cases = [
        ("jaeger-thrift-compact", Format::JaegerThriftCompact),
        ("jaeger-thrift-binary", Format::JaegerThriftBinary),
        ("jaeger-thrift-agent-binary", Format::JaegerThriftBinary),
    ];
    let mut seen = 0;
    for (dir, format) in cases {
        let Ok(entries) = std::fs::read_dir(format!("{root}/{dir}")) else { continue };
        for entry in entries.flatten() {
            let Ok(input) = std::fs::read(entry.path().join("input.bin")) else { continue };
            seen += 1;
            assert_same(format, Format::OtlpProto, &input);
            let fast = transcode(format, Format::OtlpProto, &input).unwrap();
            assert!(fast.rejected.is_empty(), "{}", entry.path().display());
            // And back out to every Jaeger format.
            for to in JAEGER {
                assert_same(Format::OtlpProto, to, &fast.bytes);
            }
        }
    }
    assert!(seen >= 5, "expected the five Jaeger Thrift fixtures, found {seen}");
}

fn flip(mut bytes: Vec<u8>, flips: &[(usize, u8)]) -> Vec<u8> {
    if !bytes.is_empty() {
        for &(at, v) in flips {
            let n = bytes.len();
            bytes[at % n] = v;
        }
    }
    bytes
}

proptest! {
    #![proptest_config(common::proptest_config(64))]

    #[test]
    fn arbitrary_bytes_never_panic_and_agree(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        for format in JAEGER {
            assert_same(format, Format::OtlpProto, &bytes);
            assert_same(Format::OtlpProto, format, &bytes);
        }
    }

    #[test]
    fn damaged_inputs_never_panic_and_agree(
        seed in 0u64..1000,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
    ) {
        let req = gen::request(seed, 3);
        let proto = flip(encode_traces(Format::OtlpProto, &req).bytes, &flips);
        for format in JAEGER {
            assert_same(Format::OtlpProto, format, &proto);
            let input = flip(encode_traces(format, &req).bytes, &flips);
            assert_same(format, Format::OtlpProto, &input);
        }
    }
}
