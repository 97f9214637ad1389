//! Arbitrary bytes into the zipkin-proto decoder: it must return `Ok` or `Err`, never panic,
//! and what it decodes must encode again (same format and OTLP protobuf) without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use translators::{decode_traces, encode_traces, Format};

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = decode_traces(Format::ZipkinProto, data) {
        for request in &decoded.requests {
            let _ = encode_traces(Format::ZipkinProto, request);
            let _ = encode_traces(Format::OtlpProto, request);
        }
    }
});
