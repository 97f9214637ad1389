//! Arbitrary OTLP protobuf through every format and back: whatever `decode_traces` accepts as
//! OTLP must encode to each format without a panic, and each encoder's output must decode
//! again without a panic (spans may be rejected or lose fields, but nothing may crash).
#![no_main]

use libfuzzer_sys::fuzz_target;
use translators::{decode_traces, encode_traces, Format};

fuzz_target!(|data: &[u8]| {
    let Ok(decoded) = decode_traces(Format::OtlpProto, data) else {
        return;
    };
    for request in &decoded.requests {
        for format in Format::ALL {
            let encoded = encode_traces(format, request);
            if encoded.bytes.is_empty() {
                continue;
            }
            if let Ok(back) = decode_traces(format, &encoded.bytes) {
                for again in &back.requests {
                    let _ = encode_traces(Format::OtlpProto, again);
                }
            }
        }
    }
});
