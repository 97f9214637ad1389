//! `otelbridge translate` run as a real process: exit codes, stderr messages, and that what it
//! writes decodes to the spans that went in.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use translators::otlp::grouping::spans;
use translators::{decode_traces, Format};

fn otelbridge(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_otelbridge"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start otelbridge");
    child.stdin.take().expect("stdin").write_all(stdin).expect("write stdin");
    child.wait_with_output().expect("wait for otelbridge")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn corpus(name: &str) -> Option<Vec<u8>> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/zipkin-v2").join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(_) => {
            eprintln!("skipped: corpus file {} not found", path.display());
            None
        }
    }
}

/// Two valid Zipkin v2 spans around one with a broken trace id.
const ZIPKIN_ONE_BAD: &str = r#"[
 {"traceId":"86154a4ba6e91385","id":"86154a4ba6e91385","name":"get /","kind":"SERVER",
  "timestamp":1472470996199000,"duration":207000,"localEndpoint":{"serviceName":"frontend"},
  "tags":{"http.path":"/"}},
 {"traceId":"not-hex!","id":"4d1e00c0db9010db","name":"broken","timestamp":1472470996238000,"duration":1000,
  "localEndpoint":{"serviceName":"frontend"}},
 {"traceId":"86154a4ba6e91385","parentId":"86154a4ba6e91385","id":"4d1e00c0db9010db","name":"get","kind":"CLIENT",
  "timestamp":1472470996238000,"duration":91000,"localEndpoint":{"serviceName":"frontend"}}
]"#;

#[test]
fn list_formats_names_every_format_with_a_description() {
    let o = otelbridge(&["translate", "--list-formats"], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    for f in Format::ALL {
        let line = text.lines().find(|l| l.split_whitespace().next() == Some(f.name()));
        let line = line.unwrap_or_else(|| panic!("{} missing from:\n{text}", f.name()));
        assert!(line.len() > f.name().len() + 10, "no description for {}", f.name());
    }
}

#[test]
fn unknown_format_is_a_usage_error_listing_the_known_ones() {
    let o = otelbridge(&["translate", "--from", "jaeger", "--to", "otlp-json"], b"");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("unknown format \"jaeger\""), "{err}");
    assert!(err.contains("jaeger-thrift-compact"), "{err}");
}

#[test]
fn broken_input_exits_1_naming_format_and_place() {
    let o = otelbridge(
        &["translate", "--from", "zipkin-json", "--to", "otlp-json"],
        b"[{\"traceId\": ",
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.starts_with("error: zipkin-json: at line 1"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn missing_input_file_exits_1() {
    let o = otelbridge(
        &[
            "translate",
            "--from",
            "zipkin-json",
            "--to",
            "otlp-json",
            "--input",
            "/nonexistent/x.json",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot read /nonexistent/x.json"), "{}", stderr(&o));
}

#[test]
fn one_bad_span_is_reported_and_the_others_are_written_with_exit_3() {
    let o = otelbridge(
        &["translate", "--from", "zipkin-json", "--to", "otlp-proto"],
        ZIPKIN_ONE_BAD.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("rejected: $[1]"), "{err}");
    assert!(err.contains("1 span(s) rejected"), "{err}");
    let decoded = decode_traces(Format::OtlpProto, &o.stdout).expect("stdout is OTLP protobuf");
    let names: Vec<_> = spans(&decoded.requests[0]).map(|s| s.span.name.clone()).collect();
    assert_eq!(names, ["get /", "get"]);
}

#[test]
fn files_in_and_out_through_every_format_keep_the_spans() {
    let Some(input) = corpus("yelp.json") else { return };
    let dir = std::env::temp_dir().join(format!("otelbridge-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("in.json");
    std::fs::write(&src, &input).unwrap();
    let original = decode_traces(Format::ZipkinJson, &input).expect("corpus decodes");
    let want: Vec<(Vec<u8>, String)> = spans(&original.requests[0])
        .map(|s| (s.span.span_id.clone(), s.span.name.clone()))
        .collect();
    assert!(!want.is_empty());
    for f in Format::ALL {
        let mid = dir.join(format!("mid.{}", f.name()));
        let o = otelbridge(
            &[
                "translate",
                "--from",
                "zipkin-json",
                "--to",
                f.name(),
                "--input",
                src.to_str().unwrap(),
                "--output",
                mid.to_str().unwrap(),
            ],
            b"",
        );
        assert!(o.status.success(), "zipkin-json -> {f}: {}", stderr(&o));
        let back = std::fs::read(&mid).unwrap();
        let decoded = decode_traces(f, &back).unwrap_or_else(|e| panic!("{f}: {e}"));
        let mut got: Vec<(Vec<u8>, String)> = decoded
            .requests
            .iter()
            .flat_map(|r| {
                spans(r).map(|s| (s.span.span_id.clone(), s.span.name.clone())).collect::<Vec<_>>()
            })
            .collect();
        let mut want_sorted = want.clone();
        if matches!(f, Format::ZipkinV1Json | Format::ZipkinV1Thrift) {
            // v1 merges a shared server span with its client span (same id).
            got.dedup();
            want_sorted.dedup();
        }
        got.sort();
        want_sorted.sort();
        want_sorted.dedup();
        got.dedup();
        assert_eq!(got, want_sorted, "zipkin-json -> {f} -> OTLP lost or changed spans");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn otlp_json_output_is_one_request_per_line() {
    let Some(input) = corpus("zipkin2-client.json") else { return };
    let o = otelbridge(&["translate", "--from", "zipkin-json", "--to", "otlp-json"], &input);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = String::from_utf8(o.stdout.clone()).unwrap();
    assert_eq!(line.matches('\n').count(), 1, "{line}");
    // Two copies in as NDJSON → two lines out.
    let ndjson = [o.stdout.clone(), o.stdout.clone()].concat();
    let o2 = otelbridge(&["translate", "--from", "otlp-json", "--to", "otlp-json"], &ndjson);
    assert!(o2.status.success(), "{}", stderr(&o2));
    assert_eq!(String::from_utf8(o2.stdout).unwrap().lines().count(), 2);
}
