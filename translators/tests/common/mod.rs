//! Helpers shared by the integration tests (not part of the library).
#![allow(dead_code)]

pub mod gen;

use translators::Format;

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
