//! The writers against the parsers: parse → write → parse gives the same model, for every
//! valid case of the OpenMetrics suite and for the text samples; OpenMetrics written as text
//! 0.0.4 keeps every sample and value; no family name gets two TYPE or HELP lines.

mod common;

use std::collections::HashMap;
use std::path::Path;
use translators::prometheus::{
    parse_openmetrics, parse_text, write_openmetrics, write_text, Label, MetricFamily, MetricSet,
    MetricType, Sample, SampleKind,
};

/// The valid cases of the OpenMetrics suite: (name, input).
fn valid_openmetrics_cases(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(dir.join("openmetrics")).unwrap() {
        let path = entry.unwrap().path();
        let spec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path.join("test.json")).unwrap()).unwrap();
        if spec["shouldParse"] == true {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            cases.push((name, std::fs::read(path.join("metrics")).unwrap()));
        }
    }
    cases.sort();
    cases
}

/// Every family name has at most one TYPE and one HELP line.
fn assert_metadata_once(text: &str, what: &str) {
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(4, ' ');
        if let (Some("#"), Some(kw @ ("TYPE" | "HELP" | "UNIT")), Some(name)) =
            (parts.next(), parts.next(), parts.next())
        {
            *seen.entry((kw, name)).or_default() += 1;
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "{what}: repeated metadata {twice:?}\n{text}");
}

#[test]
fn openmetrics_round_trips_every_valid_case() {
    let Some(dir) = common::shared_corpus("") else { return };
    let cases = valid_openmetrics_cases(&dir);
    assert_eq!(cases.len(), 44);
    let mut wrong = Vec::new();
    for (name, input) in &cases {
        let first = parse_openmetrics(input).unwrap();
        let mut text = String::new();
        write_openmetrics(&first, &mut text);
        assert_metadata_once(&text, name);
        match parse_openmetrics(text.as_bytes()) {
            Ok(second) if second == first => {}
            Ok(second) => wrong.push(format!("{name}: differs\n{first:?}\n{second:?}\n{text}")),
            Err(e) => wrong.push(format!("{name}: written text rejected: {e}\n{text}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn openmetrics_written_as_text_keeps_every_sample() {
    let Some(dir) = common::shared_corpus("") else { return };
    let mut wrong = Vec::new();
    for (name, input) in valid_openmetrics_cases(&dir) {
        let om = parse_openmetrics(&input).unwrap();
        let mut text = String::new();
        write_text(&om, &mut text);
        assert_metadata_once(&text, &name);
        let back = match parse_text(text.as_bytes()) {
            Ok(back) => back,
            Err(e) => {
                wrong.push(format!("{name}: {e}\n{text}"));
                continue;
            }
        };
        // Same samples by (name, labels) with the same value bits; timestamps to the ms.
        let key = |s: &Sample<'_>| {
            let mut labels: Vec<(String, String)> =
                s.labels.iter().map(|l| (l.name.to_string(), l.value.to_string())).collect();
            labels.sort();
            let millis =
                s.timestamp.map(|t| t.unix_millis().clamp(i64::MIN.into(), i64::MAX.into()));
            (s.name.to_string(), labels, millis)
        };
        let all = |set: &MetricSet<'_>| {
            let mut v: Vec<_> = set
                .families
                .iter()
                .flat_map(|f| &f.samples)
                .map(|s| (key(s), if s.value.is_nan() { u64::MAX } else { s.value.to_bits() }))
                .collect();
            v.sort();
            v
        };
        if all(&om) != all(&back) {
            wrong.push(format!("{name}: samples differ\n{text}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn text_round_trips_the_samples() {
    let Some(dir) = common::shared_corpus("") else { return };
    let text_dir = dir.join("prometheus-text");
    let mut names = vec!["alltypes.237mfs.prom.txt".to_owned(), "expfmt-text.prom".to_owned()];
    names.extend((0..5).map(|i| format!("expfmt-fuzz/from_test_parse_{i}")));
    for name in names {
        let input = std::fs::read(text_dir.join(&name)).unwrap();
        let first = parse_text(&input).unwrap();
        let mut text = String::new();
        write_text(&first, &mut text);
        assert_metadata_once(&text, &name);
        let second = parse_text(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(second, first, "{name}");
    }
}

#[test]
fn families_sharing_a_name_are_written_once() {
    let sample = |name: &'static str, value: f64| Sample {
        name: name.into(),
        kind: SampleKind::Value,
        labels: vec![Label::new("k", "a\"b\\c\nd")],
        value,
        timestamp: None,
        exemplar: None,
    };
    let mut a = MetricFamily::new("x", MetricType::Gauge);
    a.help = Some("first\nline \\ \"quoted\"".into());
    a.samples.push(sample("x", 1.0));
    let mut b = MetricFamily::new("x", MetricType::Gauge);
    b.help = Some("second".into());
    b.samples.push(sample("x", 2.0));
    let set = MetricSet { families: vec![a, b] };

    let mut text = String::new();
    write_text(&set, &mut text);
    assert_eq!(
        text,
        "# HELP x first\\nline \\\\ \"quoted\"\n# TYPE x gauge\nx{k=\"a\\\"b\\\\c\\nd\"} 1\nx{k=\"a\\\"b\\\\c\\nd\"} 2\n"
    );
    let back = parse_text(text.as_bytes()).unwrap();
    assert_eq!(back.families.len(), 1);
    assert_eq!(back.families[0].help.as_deref(), Some("first\nline \\ \"quoted\""));
    assert_eq!(back.families[0].samples[1].label("k"), Some("a\"b\\c\nd"));

    let mut om = String::new();
    write_openmetrics(&set, &mut om);
    assert_eq!(
        om,
        "# TYPE x gauge\n# HELP x first\\nline \\\\ \\\"quoted\\\"\nx{k=\"a\\\"b\\\\c\\nd\"} 1\nx{k=\"a\\\"b\\\\c\\nd\"} 2\n# EOF\n"
    );
    let back = parse_openmetrics(om.as_bytes()).unwrap();
    assert_eq!(back.families[0].help.as_deref(), Some("first\nline \\ \"quoted\""));
}

#[test]
fn a_stale_marker_is_kept_in_the_model_and_written_as_nan() {
    let mut f = MetricFamily::new("up", MetricType::Gauge);
    f.samples.push(Sample {
        name: "up".into(),
        kind: SampleKind::Value,
        labels: Vec::new(),
        value: translators::prometheus::stale_nan(),
        timestamp: None,
        exemplar: None,
    });
    assert!(f.samples[0].is_stale());
    assert_eq!(f.samples[0].value.to_bits(), translators::prometheus::STALE_NAN_BITS);
    let set = MetricSet { families: vec![f] };
    let mut text = String::new();
    write_text(&set, &mut text);
    assert_eq!(text, "# TYPE up gauge\nup NaN\n");
    // Text has one NaN: read back, it is an ordinary NaN, never a stale marker.
    let back = parse_text(text.as_bytes()).unwrap();
    assert!(back.families[0].samples[0].value.is_nan());
    assert!(!back.families[0].samples[0].is_stale());
}

#[test]
fn text_counters_become_openmetrics_counters() {
    let input =
        b"# HELP req_total Requests.\n# TYPE req_total counter\nreq_total{code=\"200\"} 5 1500\n";
    let set = parse_text(input).unwrap();
    let mut om = String::new();
    write_openmetrics(&set, &mut om);
    assert_eq!(
        om,
        "# TYPE req counter\n# HELP req Requests.\nreq_total{code=\"200\"} 5 1.5\n# EOF\n"
    );
    let back = parse_openmetrics(om.as_bytes()).unwrap();
    let s = &back.family("req").unwrap().samples[0];
    assert_eq!(
        (s.kind, s.value, s.timestamp.unwrap().unix_millis()),
        (SampleKind::Total, 5.0, 1500)
    );
}
