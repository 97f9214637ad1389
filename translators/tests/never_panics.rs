//! Decoders never panic and never trust a length prefix, whatever the input.
//!
//! For every format:
//! - arbitrary bytes decode to `Ok` or `Err`, never a panic;
//! - valid inputs with a few bytes flipped, inserted, removed or truncated (which get much
//!   deeper into a decoder than random bytes) decode without a panic, and what they decode to
//!   encodes again without a panic;
//! - `transcode` between the format and OTLP protobuf, on the same mutated inputs, never panics
//!   and agrees with decode-then-encode (its documented result);
//! - small inputs (≤ 64 bytes), random or crafted with hostile length and count prefixes,
//!   allocate less than 1 MiB at peak and return at once.
//!
//! Peak allocation is read from a counting global allocator; the measuring tests take an
//! exclusive lock so the other tests of this binary cannot allocate at the same time.

mod common;

use peakmem_alloc::{PeakMemAlloc, PeakMemAllocTrait, INSTRUMENTED_SYSTEM};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use std::alloc::System;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};
use translators::{decode_traces, encode_traces, transcode, Format};

#[global_allocator]
static GLOBAL: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Readers: ordinary tests. Writer: a test measuring peak allocation.
static ALLOC_LOCK: RwLock<()> = RwLock::new(());

fn shared() -> RwLockReadGuard<'static, ()> {
    ALLOC_LOCK.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn exclusive() -> RwLockWriteGuard<'static, ()> {
    ALLOC_LOCK.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Most a decoder may allocate at once for an input of at most 64 bytes.
const SMALL_INPUT_PEAK: usize = 1 << 20;
/// Generous bound on the time one small input may take (a shared 2-core machine).
const SMALL_INPUT_TIME: Duration = Duration::from_secs(2);

/// Decodes `input` and, when that works, encodes every request again in the same format.
fn decode_and_reencode(format: Format, input: &[u8]) {
    if let Ok(decoded) = decode_traces(format, input) {
        for request in &decoded.requests {
            let _ = encode_traces(format, request);
        }
    }
}

/// Peak bytes allocated, and time taken, by `call`.
fn measure<T>(call: impl FnOnce() -> T) -> (usize, Duration) {
    let _guard = exclusive();
    GLOBAL.reset_peak_memory();
    let start = Instant::now();
    let result = call();
    let elapsed = start.elapsed();
    let peak = GLOBAL.get_peak_memory();
    drop(result);
    (peak, elapsed)
}

/// One way of reading an input: true when it read something.
type Reader = fn(Format, &[u8]) -> bool;

/// `input` read as `format` by `decode_traces` and by `transcode` to OTLP protobuf, and read as
/// OTLP protobuf by `transcode` to `format` (the direct routes have readers of their own):
/// each call stays under [`SMALL_INPUT_PEAK`] and [`SMALL_INPUT_TIME`].
fn assert_small_and_quick(format: Format, input: &[u8]) {
    let runs: [(&str, Reader); 3] = [
        ("decode_traces", |f, i| decode_traces(f, i).is_ok()),
        ("transcode to otlp-proto", |f, i| transcode(f, Format::OtlpProto, i).is_ok()),
        ("transcode from otlp-proto", |f, i| transcode(Format::OtlpProto, f, i).is_ok()),
    ];
    for (what, run) in runs {
        let (peak, elapsed) = measure(|| run(format, input));
        assert!(
            peak < SMALL_INPUT_PEAK,
            "{format} {what}: {}-byte input {input:02x?} allocated {peak} bytes at peak",
            input.len()
        );
        assert!(
            elapsed < SMALL_INPUT_TIME,
            "{format} {what}: {}-byte input {input:02x?} took {elapsed:?}",
            input.len()
        );
    }
}

/// Valid encodings of generated requests (1 and 3 spans) per format; empty while a format's
/// encoder is not implemented.
fn valid_inputs(format: Format) -> &'static [Vec<u8>] {
    static INPUTS: OnceLock<HashMap<Format, Vec<Vec<u8>>>> = OnceLock::new();
    let all = INPUTS.get_or_init(|| {
        Format::ALL
            .into_iter()
            .map(|f| {
                let inputs = [(7, 1), (8, 3)]
                    .into_iter()
                    .filter_map(|(seed, spans)| common::valid_input(f, seed, spans))
                    .collect();
                (f, inputs)
            })
            .collect()
    });
    &all[&format]
}

/// One edit of an input.
#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte with a non-zero mask.
    Flip(Index, u8),
    /// Overwrite one byte.
    Set(Index, u8),
    /// Overwrite up to 5 bytes with 0xff: a huge varint, length or count.
    Max(Index),
    /// Insert one byte.
    Insert(Index, u8),
    /// Remove one byte.
    Remove(Index),
    /// Cut the input short.
    Truncate(Index),
    /// Repeat a slice of the input in place.
    Duplicate(Index, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 1..=255u8).prop_map(|(i, m)| Mutation::Flip(i, m)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        any::<Index>().prop_map(Mutation::Max),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<Index>().prop_map(Mutation::Remove),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), 1..=64u8).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(input: &mut Vec<u8>, mutation: &Mutation) {
    if input.is_empty() {
        if let Mutation::Insert(_, b) = mutation {
            input.push(*b);
        }
        return;
    }
    let len = input.len();
    match mutation {
        Mutation::Flip(i, m) => input[i.index(len)] ^= m,
        Mutation::Set(i, b) => input[i.index(len)] = *b,
        Mutation::Max(i) => {
            let at = i.index(len);
            let end = (at + 5).min(len);
            input[at..end].fill(0xff);
        }
        Mutation::Insert(i, b) => input.insert(i.index(len + 1), *b),
        Mutation::Remove(i) => {
            input.remove(i.index(len));
        }
        Mutation::Truncate(i) => input.truncate(i.index(len)),
        Mutation::Duplicate(i, n) => {
            let at = i.index(len);
            let end = (at + *n as usize).min(len);
            let slice = input[at..end].to_vec();
            input.splice(at..at, slice);
        }
    }
}

/// Inputs of at most 64 bytes built to make a careless decoder reserve gigabytes: Thrift list
/// and string headers and protobuf lengths claiming 2^31 or 2^32 items, plus deep JSON nesting.
fn hostile_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut compact_msg = vec![0x82, 0x81, 0x00, 0x09];
    compact_msg.extend_from_slice(b"emitBatch");
    let mut binary_msg = vec![0x80, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x09];
    binary_msg.extend_from_slice(b"emitBatch");
    binary_msg.extend_from_slice(&[0, 0, 0, 0]);
    let cat = |a: &[u8], b: &[u8]| [a, b].concat();
    vec![
        // Thrift compact emitBatch: Batch.spans list of i32::MAX structs.
        (
            "compact spans count",
            cat(&compact_msg, &[0x1c, 0x29, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07]),
        ),
        // Thrift compact: Process.serviceName of i32::MAX bytes.
        (
            "compact string length",
            cat(&compact_msg, &[0x1c, 0x1c, 0x18, 0xff, 0xff, 0xff, 0xff, 0x07]),
        ),
        // Thrift compact: Process.tags list of i32::MAX structs.
        (
            "compact tags count",
            cat(&compact_msg, &[0x1c, 0x1c, 0x29, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07]),
        ),
        // Thrift compact: a varint that never ends.
        (
            "compact endless varint",
            cat(
                &compact_msg,
                &[
                    0x1c, 0x29, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                    0xff,
                ],
            ),
        ),
        // Thrift binary bare Batch: spans list of i32::MAX structs.
        ("binary spans count", vec![0x0f, 0x00, 0x02, 0x0c, 0x7f, 0xff, 0xff, 0xff]),
        // Thrift binary bare Batch: a negative list size.
        ("binary negative count", vec![0x0f, 0x00, 0x02, 0x0c, 0xff, 0xff, 0xff, 0xff]),
        // Thrift binary bare Batch: Process.serviceName of i32::MAX bytes.
        ("binary string length", vec![0x0c, 0x00, 0x01, 0x0b, 0x00, 0x01, 0x7f, 0xff, 0xff, 0xff]),
        // Thrift binary emitBatch message: Batch.spans list of i32::MAX structs.
        (
            "binary message spans count",
            cat(&binary_msg, &[0x0c, 0x00, 0x01, 0x0f, 0x00, 0x02, 0x0c, 0x7f, 0xff, 0xff, 0xff]),
        ),
        // Zipkin v1 Thrift: list of i32::MAX spans.
        ("v1 thrift spans count", vec![0x0c, 0x7f, 0xff, 0xff, 0xff]),
        // Zipkin v1 Thrift: one span whose annotations list claims i32::MAX items.
        (
            "v1 thrift annotations count",
            vec![0x0c, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x00, 0x06, 0x0c, 0x7f, 0xff, 0xff, 0xff],
        ),
        // Zipkin v1 Thrift: one span whose name claims i32::MAX bytes.
        (
            "v1 thrift name length",
            vec![0x0c, 0x00, 0x00, 0x00, 0x01, 0x0b, 0x00, 0x03, 0x7f, 0xff, 0xff, 0xff],
        ),
        // Zipkin v1 Thrift: a binary annotation value of i32::MAX bytes.
        (
            "v1 thrift binary annotation length",
            vec![
                0x0c, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x00, 0x08, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x0b,
                0x00, 0x01, 0x00, 0x00, 0x00, 0x01, b'k', 0x0b, 0x00, 0x02, 0x7f, 0xff, 0xff, 0xff,
            ],
        ),
        // Protobuf: field 1 claims 2^32 - 1 bytes.
        ("proto field length", vec![0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        // Protobuf: a nested message whose inner field claims 2^32 - 1 bytes.
        ("proto nested length", vec![0x0a, 0x07, 0x12, 0x05, 0x0a, 0xff, 0xff, 0xff, 0x0f]),
        // Protobuf: a varint of 10 continuation bytes.
        (
            "proto endless varint",
            vec![0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
        // JSON nested 64 deep.
        ("json deep arrays", vec![b'['; 64]),
        ("json deep objects", b"{\"a\":".repeat(12)),
        ("json huge exponent", b"[{\"timestamp\":1e999999999}]".to_vec()),
        ("json lone surrogate", b"[{\"name\":\"\\ud800\"}]".to_vec()),
        ("json huge number", b"[{\"duration\":99999999999999999999999999}]".to_vec()),
    ]
}

macro_rules! per_format {
    ($($module:ident => $format:expr),* $(,)?) => {$(
        mod $module {
            use super::*;

            proptest! {
                #![proptest_config(common::proptest_config(256))]

                #[test]
                fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..2048)) {
                    let _g = shared();
                    decode_and_reencode($format, &bytes);
                }

                #[test]
                fn mutated_valid_input_never_panics(
                    which in any::<Index>(),
                    edits in vec(mutation(), 1..6),
                ) {
                    let _g = shared();
                    let inputs = valid_inputs($format);
                    let mut input = if inputs.is_empty() {
                        Vec::new()
                    } else {
                        which.get(inputs).clone()
                    };
                    for edit in &edits {
                        apply(&mut input, edit);
                    }
                    decode_and_reencode($format, &input);
                }

                #[test]
                fn transcode_never_panics_and_agrees_on_mutated_input(
                    which in any::<Index>(),
                    edits in vec(mutation(), 1..6),
                ) {
                    let _g = shared();
                    // Both directions of the pair with OTLP protobuf, where direct routes are.
                    for (from, to) in [($format, Format::OtlpProto), (Format::OtlpProto, $format)] {
                        let inputs = valid_inputs(from);
                        let mut input =
                            if inputs.is_empty() { Vec::new() } else { which.get(inputs).clone() };
                        for edit in &edits {
                            apply(&mut input, edit);
                        }
                        if let Err(e) = common::transcode_agrees(from, to, &input) {
                            prop_assert!(false, "{} on input {:02x?}", e, input);
                        }
                    }
                }

                #[test]
                fn small_inputs_allocate_little(bytes in vec(any::<u8>(), 0..=64)) {
                    assert_small_and_quick($format, &bytes);
                }
            }

            #[test]
            fn hostile_prefixes_allocate_little() {
                for (name, input) in hostile_inputs() {
                    assert!(input.len() <= 64, "{name} is longer than 64 bytes");
                    assert_small_and_quick($format, &input);
                }
            }

            #[test]
            fn truncated_valid_inputs_allocate_little() {
                // Every prefix of up to 64 bytes of a real encoding: the headers are genuine,
                // so the decoder reaches its list and string readers before running out.
                for input in valid_inputs($format) {
                    for end in 0..=input.len().min(64) {
                        assert_small_and_quick($format, &input[..end]);
                    }
                }
            }
        }
    )*};
}

per_format! {
    otlp_json => Format::OtlpJson,
    otlp_proto => Format::OtlpProto,
    jaeger_thrift_compact => Format::JaegerThriftCompact,
    jaeger_thrift_binary => Format::JaegerThriftBinary,
    jaeger_proto => Format::JaegerProto,
    jaeger_json => Format::JaegerJson,
    zipkin_json => Format::ZipkinJson,
    zipkin_proto => Format::ZipkinProto,
    zipkin_v1_json => Format::ZipkinV1Json,
    zipkin_v1_thrift => Format::ZipkinV1Thrift,
}

/// Inputs nested tens of thousands of levels deep: a recursive reader without a depth limit
/// overflows the 2 MiB stack of a test thread (which kills the whole test binary).
fn deeply_nested_inputs() -> Vec<(&'static str, Vec<u8>)> {
    const DEPTH: usize = 50_000;
    let mut compact_msg = vec![0x82, 0x81, 0x00, 0x09];
    compact_msg.extend_from_slice(b"emitBatch");
    vec![
        // Thrift compact: struct fields inside struct fields (known and unknown ids alike).
        ("compact nested structs", [compact_msg.clone(), vec![0x1c; DEPTH]].concat()),
        ("compact nested lists", [compact_msg, [0x19, 0x1c].repeat(DEPTH)].concat()),
        // Thrift binary: unknown struct field 5 inside itself.
        ("binary nested structs", [0x0c, 0x00, 0x05].repeat(DEPTH)),
        ("binary nested lists", [0x0f, 0x00, 0x05, 0x0f, 0x00, 0x00, 0x00, 0x01].repeat(DEPTH)),
        // Zipkin v1 Thrift: one span, then unknown struct field 7 inside itself.
        (
            "v1 thrift nested structs",
            [vec![0x0c, 0, 0, 0, 1], [0x0c, 0x00, 0x07].repeat(DEPTH)].concat(),
        ),
        // Protobuf: unknown field 15 as nested groups.
        ("proto nested groups", vec![0x7b; DEPTH]),
        ("proto nested messages", nested_proto(2_000)),
        // JSON.
        ("json nested arrays", vec![b'['; DEPTH]),
        ("json nested objects", b"{\"a\":".repeat(DEPTH)),
        ("json nested in a span", [b"[{\"tags\":".as_slice(), &b"{\"a\":[".repeat(DEPTH)].concat()),
    ]
}

/// Field 1 (length-delimited) nested `depth` times, lengths all correct.
fn nested_proto(depth: usize) -> Vec<u8> {
    let mut msg = Vec::new();
    for _ in 0..depth {
        let mut outer = vec![0x0a];
        let mut len = msg.len();
        while len >= 0x80 {
            outer.push((len as u8 & 0x7f) | 0x80);
            len >>= 7;
        }
        outer.push(len as u8);
        outer.extend_from_slice(&msg);
        msg = outer;
    }
    msg
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let _g = shared();
    for (name, input) in deeply_nested_inputs() {
        for format in Format::ALL {
            // Ok (with whatever could be read) or Err are both fine; returning at all is the test.
            let start = Instant::now();
            decode_and_reencode(format, &input);
            assert!(start.elapsed() < Duration::from_secs(10), "{format}: {name} took too long");
        }
    }
}

#[test]
fn every_format_is_covered() {
    // The list above must follow Format::ALL; a new format needs its own module.
    assert_eq!(Format::ALL.len(), 10);
}

#[test]
fn the_allocation_meter_sees_a_large_allocation() {
    // Guards the guard: a decoder that reserved 2 MiB would be caught. (The meter is global:
    // the test harness may free a few KB on another thread meanwhile, so not exactly 1 MiB.)
    let _guard = exclusive();
    GLOBAL.reset_peak_memory();
    let v: Vec<u8> = Vec::with_capacity(2 * SMALL_INPUT_PEAK);
    let peak = GLOBAL.get_peak_memory();
    drop(v);
    assert!(peak >= SMALL_INPUT_PEAK, "peak {peak}");
}
