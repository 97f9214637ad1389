//! Helpers shared by the integration tests (not part of the library).
#![allow(dead_code)]

pub mod gen;

use std::path::{Path, PathBuf};
use translators::Format;

/// `../shared/corpora/<part>` (a sibling of the clone), or `None` after saying "skipped" when the shared
/// corpora are not checked out here.
pub fn shared_corpus(part: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora").join(part);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} is missing (the shared corpora are not checked out here)",
            dir.display()
        );
        None
    }
}

/// A valid encoding of a small generated request in `format`, or `None` while the format's
/// encoder writes nothing (not implemented yet).
pub fn valid_input(format: Format, seed: u64, spans: usize) -> Option<Vec<u8>> {
    let bytes = translators::encode_traces(format, &gen::request(seed, spans)).bytes;
    (!bytes.is_empty()).then_some(bytes)
}

/// True while `format`'s codec is still the "not implemented yet" placeholder, so that tests
/// of codecs still being written can say "skipped" instead of failing. A real decoder never
/// gives that reason.
pub fn not_implemented(format: Format) -> bool {
    matches!(translators::decode_traces(format, b""), Err(e) if e.reason.contains("not implemented"))
}

/// Proptest settings for this crate: `cases` cases (or `PROPTEST_CASES` from the environment,
/// for a longer hunt), failures persisted next to the test file
/// (`<test>.proptest-regressions`) so that a found case is replayed first next time.
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    proptest::test_runner::Config {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..proptest::test_runner::Config::default()
    }
}

/// What [`translators::transcode`] is documented to return: [`translators::decode_traces`] then
/// [`translators::encode_traces`], every decoded request merged into one, except for OTLP/JSON
/// output, which keeps one line per request. The direct routes must give the same.
pub fn reference_transcode(
    from: Format,
    to: Format,
    input: &[u8],
) -> Result<translators::Encoded, translators::DecodeError> {
    let decoded = translators::decode_traces(from, input)?;
    let mut rejected = decoded.rejected;
    let mut bytes = Vec::new();
    if to == Format::OtlpJson {
        for request in &decoded.requests {
            let encoded = translators::encode_traces(to, request);
            bytes.extend_from_slice(&encoded.bytes);
            rejected.extend(encoded.rejected);
        }
    } else {
        let merged = translators::ExportTraceServiceRequest {
            resource_spans: decoded.requests.into_iter().flat_map(|r| r.resource_spans).collect(),
        };
        let encoded = translators::encode_traces(to, &merged);
        bytes = encoded.bytes;
        rejected.extend(encoded.rejected);
    }
    Ok(translators::Encoded { bytes, rejected })
}

/// Checks that `transcode(from, to, input)` agrees with [`reference_transcode`]: both `Err`,
/// or both `Ok` with the same bytes and the same rejections. The text of an error may differ.
pub fn transcode_agrees(from: Format, to: Format, input: &[u8]) -> Result<(), String> {
    let fast = translators::transcode(from, to, input);
    let slow = reference_transcode(from, to, input);
    match (&fast, &slow) {
        (Err(_), Err(_)) => Ok(()),
        (Ok(f), Ok(s)) if f == s => Ok(()),
        (Ok(f), Ok(s)) if f.bytes == s.bytes => Err(format!(
            "{from} → {to}: same bytes, different rejections: transcode {:?}, decode+encode {:?}",
            f.rejected, s.rejected
        )),
        (Ok(f), Ok(s)) => Err(format!(
            "{from} → {to}: different bytes ({} vs {} bytes; first difference at {}); \
             rejections {:?} vs {:?}",
            f.bytes.len(),
            s.bytes.len(),
            f.bytes
                .iter()
                .zip(&s.bytes)
                .position(|(a, b)| a != b)
                .unwrap_or(f.bytes.len().min(s.bytes.len())),
            f.rejected,
            s.rejected
        )),
        _ => Err(format!(
            "{from} → {to}: transcode {:?} but decode+encode {:?}",
            fast.as_ref().map(|e| e.bytes.len()),
            slow.as_ref().map(|e| e.bytes.len())
        )),
    }
}
