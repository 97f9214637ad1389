//! The OpenMetrics conformance suite (`../shared/corpora/openmetrics/`, from
//! prometheus/OpenMetrics `tests/testdata/parsers`): every case's verdict must match its
//! `test.json` (`"shouldParse": true/false`). The test lists every case it gets wrong.

mod common;

use std::path::Path;
use translators::prometheus::{parse_openmetrics, MetricType, SampleKind};

struct Case {
    name: String,
    input: Vec<u8>,
    should_parse: bool,
}

fn cases(dir: &Path) -> Vec<Case> {
    let mut cases: Vec<Case> = std::fs::read_dir(dir)
        .expect("corpus folder readable")
        .map(|entry| {
            let path = entry.expect("corpus entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let spec: serde_json::Value = serde_json::from_slice(
                &std::fs::read(path.join("test.json")).expect("test.json readable"),
            )
            .expect("test.json is JSON");
            assert_eq!(spec["type"], "text", "{name}: only text cases exist");
            let file = spec["file"].as_str().expect("test.json names its file");
            let should_parse = spec["shouldParse"].as_bool().expect("shouldParse is a bool");
            let input = std::fs::read(path.join(file)).expect("case input readable");
            Case { name, input, should_parse }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

#[test]
fn every_verdict_matches_the_suite() {
    let Some(dir) = common::shared_corpus("openmetrics") else { return };
    let cases = cases(&dir);
    assert_eq!(cases.len(), 211, "the suite has 211 cases");
    let mut wrong = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for case in &cases {
        match (parse_openmetrics(&case.input), case.should_parse) {
            (Ok(_), true) => accepted += 1,
            (Err(_), false) => rejected += 1,
            (Ok(set), false) => wrong.push(format!(
                "{}: accepted ({} families), should be rejected",
                case.name,
                set.families.len()
            )),
            (Err(e), true) => wrong.push(format!("{}: rejected ({e}), should parse", case.name)),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} verdicts wrong:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    assert_eq!((accepted, rejected), (44, 167));
}

#[test]
fn rejections_point_at_the_offending_line() {
    let Some(dir) = common::shared_corpus("openmetrics") else { return };
    for case in cases(&dir).iter().filter(|c| !c.should_parse) {
        let err = parse_openmetrics(&case.input).expect_err(&case.name);
        let lines = case.input.split(|&b| b == b'\n').count();
        assert!(
            err.line >= 1 && err.line <= lines.max(1),
            "{}: {err} beyond {lines} lines",
            case.name
        );
        assert!(err.column >= 1, "{}: {err}", case.name);
    }
}

fn parse_case(name: &str) -> Option<translators::prometheus::MetricSet<'static>> {
    let dir = common::shared_corpus("openmetrics")?;
    let input = std::fs::read(dir.join(name).join("metrics")).expect("case readable");
    Some(parse_openmetrics(&input).unwrap_or_else(|e| panic!("{name}: {e}")).into_owned())
}

#[test]
fn escaping_is_undone() {
    let Some(set) = parse_case("escaping") else { return };
    let a = set.family("a").expect("family a");
    assert_eq!(a.metric_type, MetricType::Counter);
    assert_eq!(a.help.as_deref(), Some("he\n\\l\\tp"));
    let values: Vec<&str> = a.samples.iter().map(|s| s.label("foo").unwrap()).collect();
    assert_eq!(values, ["b\"a\nr", "b\\a\\z", "b\"a\nr # ", "b\\a\\z # "]);
    assert!(a.samples.iter().all(|s| s.kind == SampleKind::Total && s.name == "a_total"));

    let Some(set) = parse_case("label_escaping") else { return };
    let foo = |f: &str| set.family(f).unwrap().samples[0].label("foo").unwrap().to_owned();
    assert_eq!(foo("a1"), "\\foo");
    assert_eq!(foo("a4"), "\\");
    assert_eq!(foo("a7"), "\\\n");
    assert_eq!(foo("a9"), "\\\"");
}

#[test]
fn exemplars_timestamps_and_created_are_kept() {
    let Some(set) = parse_case("histogram_exemplars") else { return };
    let a = set.family("a").unwrap();
    assert_eq!(a.metric_type, MetricType::Histogram);
    let last = a.samples.last().unwrap();
    assert_eq!(last.label("le"), Some("+Inf"));
    let ex = last.exemplar.as_ref().expect("exemplar");
    assert_eq!(ex.value, 4.0);
    assert_eq!(ex.timestamp.map(|t| t.unix_nanos()), Some(123_000_000_000));
    assert_eq!(ex.labels[0].value.chars().count(), 127);

    let Some(set) = parse_case("timestamps") else { return };
    let ts: Vec<i128> = set
        .family("a")
        .unwrap()
        .samples
        .iter()
        .map(|s| s.timestamp.unwrap().unix_nanos())
        .collect();
    assert_eq!(
        ts,
        [0, 0, 1_100_000_000, 12_345_678_901_234_567_890_123_456_789, 1_500_000_000_000]
    );

    let Some(set) = parse_case("counter_unit") else { return };
    let cc = set.family("cc_seconds").unwrap();
    assert_eq!(cc.unit.as_deref(), Some("seconds"));
    assert_eq!(cc.samples[1].kind, SampleKind::Created);
    assert_eq!(cc.samples[1].value, 123.456);
}

#[test]
fn special_values_and_types() {
    let Some(set) = parse_case("labels_and_infinite") else { return };
    let v: Vec<f64> = set.family("a").unwrap().samples.iter().map(|s| s.value).collect();
    assert_eq!(v, [f64::INFINITY, f64::NEG_INFINITY]);
    let Some(set) = parse_case("nan") else { return };
    assert!(set.family("a").unwrap().samples[0].value.is_nan());
    assert!(!set.family("a").unwrap().samples[0].is_stale(), "text NaN is never a stale marker");
    let Some(set) = parse_case("uint64_counter") else { return };
    assert_eq!(set.family("a").unwrap().samples[0].value, 9_223_372_036_854_775_808.0);

    for (case, t) in [
        ("simple_stateset", MetricType::StateSet),
        ("simple_gaugehistogram", MetricType::GaugeHistogram),
        ("info_timestamps", MetricType::Info),
        ("untyped", MetricType::Unknown),
        ("simple_summary", MetricType::Summary),
    ] {
        let Some(set) = parse_case(case) else { return };
        assert_eq!(set.families[0].metric_type, t, "{case}");
    }
    let Some(set) = parse_case("simple_gaugehistogram") else { return };
    let kinds: Vec<SampleKind> = set.families[0].samples.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [SampleKind::Bucket, SampleKind::Bucket, SampleKind::GCount, SampleKind::GSum]
    );
    let Some(set) = parse_case("null_byte") else { return };
    assert_eq!(set.families[0].help.as_deref(), Some("he\0lp"));
    let Some(set) = parse_case("empty_metadata") else { return };
    assert_eq!(set.families[0].help.as_deref(), Some(""));
    assert_eq!(set.families[0].unit, None);
}
