//! Text format 0.0.4 against public inputs: Prometheus' parser benchmark exposition
//! (`alltypes.237mfs.prom.txt`), prometheus/common's text sample and its parser cases
//! (`expfmt-fuzz/`: five valid, twenty invalid, each rejected at its line and column), the
//! OpenMetrics samples of the same folder, and a cross-check against the `prometheus-parse`
//! crate on what that crate reads.

mod common;

use std::collections::HashMap;
use translators::prometheus::{
    parse_openmetrics, parse_openmetrics_lenient, parse_text, MetricSet, MetricType,
    ParseErrorKind, SampleKind,
};

fn read(name: &str) -> Option<Vec<u8>> {
    Some(
        std::fs::read(common::shared_corpus("prometheus-text")?.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}")),
    )
}

fn text(name: &str) -> Option<MetricSet<'static>> {
    let input = read(name)?;
    Some(parse_text(&input).unwrap_or_else(|e| panic!("{name}: {e}")).into_owned())
}

#[test]
fn alltypes_is_read_whole() {
    let Some(set) = text("alltypes.237mfs.prom.txt") else { return };
    assert_eq!(set.families.len(), 237);
    assert_eq!(set.sample_count(), 1857);
    let mut types = HashMap::new();
    for f in &set.families {
        *types.entry(f.metric_type).or_insert(0) += 1;
        assert!(f.help.is_some(), "{} has HELP", f.name);
    }
    assert_eq!(types[&MetricType::Counter], 112);
    assert_eq!(types[&MetricType::Gauge], 97);
    assert_eq!(types[&MetricType::Histogram], 15);
    assert_eq!(types[&MetricType::Summary], 13);

    let gc = set.family("go_gc_duration_seconds").unwrap();
    assert_eq!(gc.metric_type, MetricType::Summary);
    assert_eq!(
        gc.help.as_deref(),
        Some("A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.")
    );
    let quantiles: Vec<(&str, f64)> =
        gc.samples.iter().filter_map(|s| Some((s.label("quantile")?, s.value))).collect();
    assert_eq!(
        quantiles,
        [
            ("0", 7.6238e-05),
            ("0.25", 0.00010188),
            ("0.5", 0.000135819),
            ("0.75", 0.000156061),
            ("1", 0.002389378)
        ]
    );
    let sum = gc.samples.iter().find(|s| s.kind == SampleKind::Sum).unwrap();
    assert_eq!((&*sum.name, sum.value), ("go_gc_duration_seconds_sum", 44.985611511));
    let count = gc.samples.iter().find(|s| s.kind == SampleKind::Count).unwrap();
    assert_eq!(count.value, 190932.0);

    let http = set.family("prometheus_http_request_duration_seconds").unwrap();
    assert_eq!(http.metric_type, MetricType::Histogram);
    let buckets: Vec<_> = http.samples.iter().filter(|s| s.kind == SampleKind::Bucket).collect();
    assert_eq!(buckets.len(), 460);
    assert_eq!(buckets[0].label("handler"), Some("/"));
    assert_eq!(buckets[0].label("le"), Some("0.1"));
    assert_eq!(buckets[0].value, 688.0);
    assert!(buckets.iter().all(|b| b.name == "prometheus_http_request_duration_seconds_bucket"));

    let build = &set.family("prometheus_build_info").unwrap().samples[0];
    assert_eq!(build.labels.len(), 7);
    assert_eq!(build.label("revision"), Some("7086161a93b262aa0949dbf2aba15a5a7b13e0a3"));
    assert_eq!(build.label("tags"), Some("netgo,builtinassets,stringlabels"));

    let consul = set.family("prometheus_sd_consul_rpc_duration_seconds").unwrap();
    assert!(consul
        .samples
        .iter()
        .filter(|s| s.kind == SampleKind::Value)
        .all(|s| s.value.is_nan()));
    let rules = set.family("prometheus_rule_evaluation_failures_total").unwrap();
    assert_eq!(rules.metric_type, MetricType::Counter);
    assert_eq!(
        rules.samples[0].label("rule_group"),
        Some("/etc/prometheus/rules/ansible_managed.rules;ansible managed alert rules")
    );
    assert!(set.families.iter().flat_map(|f| &f.samples).all(|s| s.timestamp.is_none()));
}

#[test]
fn expfmt_text_sample() {
    let Some(set) = text("expfmt-text.prom") else { return };
    assert_eq!(set.sample_count(), 248);
    let requests = set.family("http_requests_total").unwrap();
    assert_eq!(requests.metric_type, MetricType::Counter);
    let s = &requests.samples[0];
    assert_eq!(
        (s.label("code"), s.label("handler"), s.label("method"), s.value),
        (Some("200"), Some("prometheus"), Some("get"), 119.0)
    );
    let size = set.family("http_request_size_bytes").unwrap();
    let prom_sum = size
        .samples
        .iter()
        .find(|s| s.kind == SampleKind::Sum && s.label("handler") == Some("prometheus"))
        .unwrap();
    assert_eq!(prom_sum.value, 34488.0);
    let interval = set.family("prometheus_target_interval_length_seconds").unwrap();
    let last = interval.samples.last().unwrap();
    assert_eq!(
        (last.kind, last.label("interval"), last.value),
        (SampleKind::Count, Some("1s"), 117.0)
    );
}

#[test]
fn expfmt_valid_cases() {
    let Some(set) = text("expfmt-fuzz/from_test_parse_0") else { return };
    assert!(set.families.is_empty());

    let Some(set) = text("expfmt-fuzz/from_test_parse_1") else { return };
    let names: Vec<&str> = set.families.iter().map(|f| &*f.name).collect();
    assert_eq!(names, ["minimal_metric", "another_metric", "no_labels", "line"]);
    assert_eq!(set.family("minimal_metric").unwrap().samples[0].value, 1.234);
    let another = &set.family("another_metric").unwrap().samples[0];
    assert_eq!(another.value, -3000.0);
    assert_eq!(another.timestamp.unwrap().unix_millis(), 103948);
    assert_eq!(set.family("no_labels").unwrap().samples[0].value, 3.0);
    // A HELP for a name without samples: kept as a metadata-only family.
    let line = set.family("line").unwrap();
    assert_eq!(line.help.as_deref(), Some("for non-existing metric will be ignored."));
    assert!(line.samples.is_empty());

    let Some(set) = text("expfmt-fuzz/from_test_parse_2") else { return };
    let name = set.family("name").unwrap();
    assert_eq!(name.metric_type, MetricType::Counter);
    assert_eq!(name.help.as_deref(), Some("two-line\n doc  str\\ing"));
    assert!(name.samples[0].value.is_nan());
    assert_eq!(name.samples[0].label("labelname"), Some("val1"));
    assert_eq!(name.samples[1].label("basename"), Some("base\"v\\al\nue"));
    assert_eq!(name.samples[1].value, 0.23);
    assert_eq!(name.samples[1].timestamp.unwrap().unix_millis(), 1234567890);
    let name2 = set.family("name2").unwrap();
    assert_eq!(name2.metric_type, MetricType::Gauge);
    assert_eq!(name2.help.as_deref(), Some("doc str\"ing 2"));
    assert_eq!(name2.samples[0].label("basename"), Some("basevalue2"));
    assert_eq!(name2.samples[0].value, f64::INFINITY);
    assert_eq!(name2.samples[0].timestamp.unwrap().unix_millis(), 54321);
    assert_eq!(name2.samples[1].label("labelname"), Some("val1"));
    assert_eq!(name2.samples[1].value, f64::NEG_INFINITY);

    // Samples of a summary spread over the input are gathered into it.
    let Some(set) = text("expfmt-fuzz/from_test_parse_3") else { return };
    let names: Vec<(&str, MetricType, usize)> =
        set.families.iter().map(|f| (&*f.name, f.metric_type, f.samples.len())).collect();
    assert_eq!(
        names,
        [
            ("my_summary", MetricType::Summary, 8),
            ("decoy", MetricType::Unknown, 1),
            ("fake_sum", MetricType::Unknown, 1),
            ("another_summary", MetricType::Summary, 2),
        ]
    );
    let my = set.family("my_summary").unwrap();
    let late = my
        .samples
        .iter()
        .find(|s| s.label("n2") == Some("val2") && s.kind == SampleKind::Count)
        .unwrap();
    assert_eq!((late.value, late.timestamp.unwrap().unix_millis()), (5.0, 5));
    let odd = my.samples.last().unwrap();
    assert_eq!(odd.label("quantile"), Some("-12.34"));
    assert!(odd.value.is_nan());
    let sum8 = my
        .samples
        .iter()
        .find(|s| s.label("n1") == Some("val2") && s.kind == SampleKind::Sum)
        .unwrap();
    assert_eq!(sum8.value, 8.0);
    assert_eq!(set.family("decoy").unwrap().samples[0].timestamp.unwrap().unix_millis(), -2);
    let another = set.family("another_summary").unwrap();
    assert_eq!(another.samples[1].label("quantile"), Some(".3"));

    let Some(set) = text("expfmt-fuzz/from_test_parse_4") else { return };
    let h = set.family("request_duration_microseconds").unwrap();
    assert_eq!(h.metric_type, MetricType::Histogram);
    let kinds: Vec<SampleKind> = h.samples.iter().map(|s| s.kind).collect();
    assert_eq!(kinds[..5], [SampleKind::Bucket; 5]);
    assert_eq!(kinds[5..], [SampleKind::Sum, SampleKind::Count]);
    assert_eq!(h.samples[3].label("le"), Some("172.8"));
    assert_eq!(h.samples[5].value, 1.7560473e6);

    let Some(set) = text("expfmt-fuzz/minimal") else { return };
    assert_eq!(set.families[0].name, "m");
    assert_eq!(set.families[0].samples[0].value, 0.0);
}

#[test]
fn expfmt_error_cases_are_rejected_where_they_break() {
    use ParseErrorKind as K;
    /// The error a case expects.
    type Expect = fn(&K) -> bool;
    let cases: [(&str, usize, usize, Expect); 20] = [
        ("0", 1, 9, |k| matches!(k, K::MissingFinalNewline)),
        ("1", 1, 15, |k| matches!(k, K::InvalidEscape('t'))),
        ("2", 2, 18, |k| matches!(k, K::UnterminatedLabelValue)),
        ("3", 1, 8, |k| matches!(k, K::ExpectedLabelName)),
        ("4", 1, 8, |k| matches!(k, K::ReservedLabelName)),
        ("5", 1, 13, |k| matches!(k, K::ExpectedEquals)),
        ("6", 1, 14, |k| matches!(k, K::ExpectedQuote)),
        ("7", 3, 1, |k| matches!(k, K::InvalidQuantile(Some(q)) if q == "bla")),
        ("8", 1, 19, |k| matches!(k, K::ExpectedCommaOrBrace)),
        ("9", 1, 26, |k| matches!(k, K::InvalidTimestamp(t) if t == "2.72")),
        ("10", 1, 27, |k| matches!(k, K::TrailingText(t) if t == " 3")),
        ("11", 1, 21, |k| matches!(k, K::InvalidNumber(v) if v == "blubb")),
        ("12", 3, 3, |k| matches!(k, K::DuplicateMetadata { keyword: "HELP", .. })),
        ("13", 3, 3, |k| matches!(k, K::DuplicateMetadata { keyword: "TYPE", .. })),
        ("14", 3, 3, |k| matches!(k, K::MetadataAfterSamples { keyword: "TYPE", .. })),
        ("15", 2, 15, |k| matches!(k, K::UnknownType(t) if t == "bla")),
        ("16", 2, 11, |k| matches!(k, K::InvalidNameInComment)),
        ("17", 1, 1, |k| matches!(k, K::ExpectedMetricName)),
        ("18", 1, 1, |k| matches!(k, K::ExpectedMetricName)),
        ("19", 3, 1, |k| matches!(k, K::InvalidLe(Some(le)) if le == "bla")),
    ];
    let mut wrong = Vec::new();
    for (n, line, column, kind) in cases {
        let name = format!("expfmt-fuzz/from_test_parse_error_{n}");
        let Some(input) = read(&name) else { return };
        match parse_text(&input) {
            Ok(_) => wrong.push(format!("{name}: accepted")),
            Err(e) if (e.line, e.column) != (line, column) || !kind(&e.kind) => {
                wrong.push(format!("{name}: {e}, expected line {line}, column {column}"))
            }
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn openmetrics_samples_of_the_folder() {
    let Some(input) = read("1histogram.om.txt") else { return };
    let set = parse_openmetrics(&input).expect("1histogram parses");
    let h = set.family("golang_manual_histogram_seconds").unwrap();
    assert_eq!(h.metric_type, MetricType::Histogram);
    assert_eq!(h.samples.len(), 42);
    let ports: std::collections::BTreeSet<&str> =
        h.samples.iter().filter_map(|s| s.label("port")).collect();
    assert_eq!(ports.into_iter().collect::<Vec<_>>(), ["5001", "5002", "5003"]);

    // client_golang exposes a _sum beside negative buckets (and a negative _sum), which
    // OpenMetrics 1.0 forbids ("Negative threshold buckets MAY be used, but then the Histogram
    // MetricPoint MUST NOT contain a sum value"): the strict parser says so, where.
    let Some(input) = read("alltypes.5mfs.om.txt") else { return };
    let err = parse_openmetrics(&input).expect_err("negative _sum is rejected");
    assert_eq!((err.line, err.column), (33, 37), "{err}");
    assert!(matches!(err.kind, ParseErrorKind::InvalidValue(_)), "{err}");
    // Read leniently (as a scraper does), every sample is kept and each broken rule listed.
    let parsed = parse_openmetrics_lenient(&input);
    let problems: Vec<String> = parsed.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        [
            "line 33, column 37: invalid value: counter-like samples cannot be negative",
            "line 35, column 1: histogram \"rpc_durations_histogram_seconds\": _sum with negative buckets",
            "line 44, column 56: invalid value: quantile values cannot be negative",
            "line 47, column 45: invalid value: counter-like samples cannot be negative",
        ]
    );
    let set = parsed.set;
    let names: Vec<&str> = set.families.iter().map(|f| &*f.name).collect();
    assert_eq!(
        names,
        [
            "go_build_info",
            "promhttp_metric_handler_errors",
            "rpc_durations_histogram_seconds",
            "rpc_durations_seconds",
            "rpc_requests"
        ]
    );
    let h = set.family("rpc_durations_histogram_seconds").unwrap();
    let with_exemplar: Vec<_> = h.samples.iter().filter(|s| s.exemplar.is_some()).collect();
    assert_eq!(with_exemplar.len(), 6);
    let ex = with_exemplar[0].exemplar.as_ref().unwrap();
    assert_eq!(ex.labels[0].value, "17783");
    assert_eq!(ex.value, -0.0003825067330956884);
    assert_eq!(ex.timestamp.unwrap().unix_nanos(), 1_726_839_814_223_908_200);
    let created = h.samples.iter().find(|s| s.kind == SampleKind::Created).unwrap();
    assert_eq!(created.value, 1.726839813016302e9);
    let requests = set.family("rpc_requests").unwrap();
    assert_eq!(requests.metric_type, MetricType::Counter);
    assert_eq!(requests.samples[0].kind, SampleKind::Total);
    assert_eq!(requests.samples[0].value, 22.0);
}

#[test]
fn lenient_text_keeps_the_good_lines() {
    let input = b"a 1\nb{x=\"\\t\"} 2\n# TYPE a counter\nc 3 4 5\nd 4";
    let parsed = translators::prometheus::parse_text_lenient(input);
    let names: Vec<&str> = parsed.set.families.iter().map(|f| &*f.name).collect();
    assert_eq!(names, ["a", "d"]);
    assert_eq!(parsed.set.family("d").unwrap().samples[0].value, 4.0);
    let at: Vec<(usize, usize)> = parsed.problems.iter().map(|p| (p.line, p.column)).collect();
    assert_eq!(at, [(2, 6), (3, 3), (4, 6), (5, 4)]);
    assert_eq!(parsed.problems[3].kind, ParseErrorKind::MissingFinalNewline);
}

#[test]
fn lenient_parsers_read_past_bytes_that_are_not_utf8() {
    let parsed = translators::prometheus::parse_text_lenient(b"a{x=\"\xff\"} 1\nb 2\n");
    assert_eq!(parsed.problems.len(), 1);
    assert_eq!((parsed.problems[0].line, parsed.problems[0].column), (1, 6));
    assert_eq!(parsed.problems[0].kind, ParseErrorKind::InvalidUtf8);
    assert_eq!(parsed.set.family("a").unwrap().samples[0].label("x"), Some("\u{fffd}"));
    assert_eq!(parsed.set.family("b").unwrap().samples[0].value, 2.0);
    let parsed = parse_openmetrics_lenient(b"a 1\n\xc3\n# EOF\n");
    let kinds: Vec<_> = parsed.problems.iter().map(|p| (p.line, p.kind.clone())).collect();
    assert_eq!(kinds[0], (2, ParseErrorKind::InvalidUtf8));
    assert_eq!(parsed.set.family("a").unwrap().samples[0].value, 1.0);
}

#[test]
fn text_specifics() {
    let input = b"# TYPE job:rate5m gauge\njob:rate5m{job=\"a\",} 1\n\
# TYPE x untyped\nx 1\ny{le=\"1\"} 2\n  x 3 -5\n\t# just a comment\n\n\
# HELP x late help is fine\n";
    let set = parse_text(input).unwrap();
    let rate = set.family("job:rate5m").unwrap();
    assert_eq!(rate.samples[0].label("job"), Some("a"));
    let x = set.family("x").unwrap();
    assert_eq!(x.metric_type, MetricType::Unknown);
    assert_eq!(x.samples.len(), 2);
    assert_eq!(x.samples[1].timestamp.unwrap().unix_millis(), -5);
    assert_eq!(x.help.as_deref(), Some("late help is fine"));
    assert_eq!(set.families.len(), 3);

    let err = |s: &str| parse_text(s.as_bytes()).unwrap_err();
    assert!(matches!(err("a{b=\"1\",b=\"2\"} 1\n").kind, ParseErrorKind::DuplicateLabel(_)));
    assert_eq!(err("a 1 \n").kind, ParseErrorKind::InvalidTimestamp(String::new()));
    assert!(matches!(err("a 0x1p-3\n").kind, ParseErrorKind::InvalidNumber(_)));
    assert!(matches!(err("# TYPE a gauge_histogram\n").kind, ParseErrorKind::UnknownType(_)));
    assert!(matches!(err("# HELP a x\\ty\n").kind, ParseErrorKind::InvalidEscape('t')));
    let bad = |b: &[u8]| parse_text(b).unwrap_err();
    assert_eq!(bad(b"a 1\n\xff\n").kind, ParseErrorKind::InvalidUtf8);
    let e = bad(b"a 1\nb\xc3\xa9 \xff\n");
    assert_eq!((e.line, e.column, e.kind), (2, 4, ParseErrorKind::InvalidUtf8));
    // Columns count characters.
    let e = err("a{b=\"\u{e9}\u{e9}\"} x\n");
    assert_eq!((e.line, e.column), (1, 11));
}

/// Every sample `prometheus-parse` reads, with its labels and value, is in our model, and we
/// read nothing it does not. Its regex splits label values at commas, so samples with a comma
/// in a label value are outside what it supports and left out (and counted).
fn cross_check(name: &str) {
    let Some(input) = read(name) else { return };
    let ours = parse_text(&input).unwrap();
    let lines = String::from_utf8(input.clone()).unwrap();
    let theirs = prometheus_parse::Scrape::parse(lines.lines().map(|l| Ok(l.to_owned()))).unwrap();

    let key = |name: &str, labels: Vec<(&str, &str)>| {
        let mut labels: Vec<(String, String)> =
            labels.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        labels.sort();
        (name.to_owned(), labels)
    };
    let mut our_values: HashMap<(String, Vec<(String, String)>), u64> = HashMap::new();
    let unsupported =
        |s: &&translators::prometheus::Sample| s.labels.iter().any(|l| l.value.contains(','));
    let all = || ours.families.iter().flat_map(|f| &f.samples);
    let skipped_names: std::collections::HashSet<&str> =
        all().filter(unsupported).map(|s| &*s.name).collect();
    let skipped = all().filter(|s| skipped_names.contains(&*s.name)).count();
    for s in all() {
        let labels = s.labels.iter().map(|l| (&*l.name, &*l.value)).collect();
        our_values.insert(key(&s.name, labels), s.value.to_bits());
    }
    let canonical = |v: f64| if v.is_nan() { f64::NAN.to_bits() } else { v.to_bits() };
    let mut checked = 0;
    let mut wrong = Vec::new();
    let mut expect = |name: String, labels: Vec<(&str, &str)>, value: f64| {
        checked += 1;
        let k = key(&name, labels);
        match our_values.get(&k) {
            Some(&bits) if canonical(f64::from_bits(bits)) == canonical(value) => {}
            other => wrong.push(format!(
                "{k:?}: theirs {value}, ours {:?}",
                other.map(|&b| f64::from_bits(b))
            )),
        }
    };
    for s in theirs.samples.iter().filter(|s| !skipped_names.contains(s.metric.as_str())) {
        let labels: Vec<(&str, &str)> =
            s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => expect(s.metric.clone(), labels, *v),
            prometheus_parse::Value::Histogram(buckets) => {
                for b in buckets {
                    let le = b.less_than.to_string();
                    // Their bound is a float; find our bucket whose `le` reads as the same float.
                    let ours = ours.family(&s.metric).unwrap().samples.iter().find(|o| {
                        o.kind == SampleKind::Bucket
                            && o.label("le").and_then(|l| l.parse::<f64>().ok())
                                == Some(b.less_than)
                            && labels.iter().all(|(k, v)| o.label(k) == Some(v))
                    });
                    let mut l = labels.clone();
                    let le_text = ours.and_then(|o| o.label("le")).unwrap_or(&le).to_owned();
                    l.push(("le", Box::leak(le_text.into_boxed_str())));
                    expect(format!("{}_bucket", s.metric), l, b.count);
                }
            }
            prometheus_parse::Value::Summary(quantiles) => {
                for q in quantiles {
                    let ours = ours.family(&s.metric).unwrap().samples.iter().find(|o| {
                        o.label("quantile").and_then(|l| l.parse::<f64>().ok()) == Some(q.quantile)
                            && labels.iter().all(|(k, v)| o.label(k) == Some(v))
                    });
                    let q_text = ours.and_then(|o| o.label("quantile")).unwrap_or("?").to_owned();
                    let mut l = labels.clone();
                    l.push(("quantile", Box::leak(q_text.into_boxed_str())));
                    expect(s.metric.clone(), l, q.count);
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{name}: {} disagreements:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(checked + skipped, ours.sample_count(), "{name}: both read every sample");
    assert!(skipped <= 1, "{name}: {skipped} samples outside prometheus-parse's subset");
}

#[test]
fn prometheus_parse_agrees_on_alltypes() {
    cross_check("alltypes.237mfs.prom.txt");
}

#[test]
fn prometheus_parse_agrees_on_expfmt_text() {
    cross_check("expfmt-text.prom");
}
