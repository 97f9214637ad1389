//! The exposition parsers never panic, whatever the input, and whatever they accept the
//! writers write back into text the same parser accepts.
//!
//! Inputs: arbitrary bytes; strings over the formats' own alphabet (`#`, braces, quotes,
//! backslashes, digits, `NaN`, `+Inf`...); and valid corpus inputs with bytes flipped, inserted
//! or removed, which get deep into the grammar. Every error has a line and column inside the
//! input.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use std::path::Path;
use translators::prometheus::{
    parse_openmetrics, parse_openmetrics_lenient, parse_text, parse_text_lenient,
    write_openmetrics, write_text, ParseError,
};

/// Valid inputs to mutate: a few from the corpora when present, plus our own.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = vec![
        b"# TYPE a counter\n# HELP a h\\n\n a_total{b=\"c\\\\\"} 1 2 # {t=\"x\"} 3 4\n# EOF\n".to_vec(),
        b"# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n# EOF\n"
            .to_vec(),
        b"# TYPE s summary\ns{quantile=\"0.5\",x=\"y\"} 1 -5\ns_sum 2\ns_count 3\nu{a=\"\\n\",} NaN\n"
            .to_vec(),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora");
    for case in [
        "openmetrics/histogram_exemplars/metrics",
        "openmetrics/escaping/metrics",
        "openmetrics/simple_stateset/metrics",
        "prometheus-text/expfmt-fuzz/from_test_parse_2",
        "prometheus-text/expfmt-fuzz/from_test_parse_3",
        "prometheus-text/1histogram.om.txt",
    ] {
        if let Ok(bytes) = std::fs::read(dir.join(case)) {
            seeds.push(bytes);
        }
    }
    seeds
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(Index, u8),
    Insert(Index, u8),
    Remove(Index),
}

fn apply(mut input: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        if input.is_empty() {
            break;
        }
        match edit {
            Edit::Flip(i, b) => {
                let i = i.index(input.len());
                input[i] = *b;
            }
            Edit::Insert(i, b) => {
                let i = i.index(input.len() + 1);
                input.insert(i, *b);
            }
            Edit::Remove(i) => {
                let i = i.index(input.len());
                input.remove(i);
            }
        }
    }
    input
}

fn grammar_byte() -> impl Strategy<Value = u8> {
    prop::sample::select(b"# \n\t{}=\",\\abelnquotiINfFT_:0123456789.+-eEHLPYUO".to_vec())
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), grammar_byte()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Remove),
    ]
}

fn error_inside(input: &[u8], e: &ParseError) {
    let lines = input.split(|&b| b == b'\n').count();
    assert!(e.line >= 1 && e.line <= lines.max(1), "{e} beyond {lines} lines");
    assert!(e.column >= 1, "{e}");
}

/// Parses with all four parsers; what parses is written and must parse again.
fn check(input: &[u8]) {
    match parse_text(input) {
        Ok(set) => {
            let mut out = String::new();
            write_text(&set, &mut out);
            match parse_text(out.as_bytes()) {
                Ok(again) => assert_eq!(again, set, "{out}"),
                Err(e) => panic!("written text rejected: {e}\n{out}"),
            }
        }
        Err(e) => error_inside(input, &e),
    }
    match parse_openmetrics(input) {
        Ok(set) => {
            let mut out = String::new();
            write_openmetrics(&set, &mut out);
            match parse_openmetrics(out.as_bytes()) {
                Ok(again) => assert_eq!(again, set, "{out}"),
                Err(e) => panic!("written OpenMetrics rejected: {e}\n{out}"),
            }
        }
        Err(e) => error_inside(input, &e),
    }
    for parsed in [parse_text_lenient(input), parse_openmetrics_lenient(input)] {
        parsed.problems.iter().for_each(|e| error_inside(input, e));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(input in vec(any::<u8>(), 0..200)) {
        check(&input);
    }

    #[test]
    fn grammar_soup(input in vec(grammar_byte(), 0..300)) {
        check(&input);
    }

    #[test]
    fn mutated_valid_inputs(seed in any::<Index>(), edits in vec(edit(), 1..6)) {
        let seeds = seeds();
        let input = apply(seeds[seed.index(seeds.len())].clone(), &edits);
        check(&input);
    }
}
