//! `otelbridge search` and `otelbridge export` as a user runs them: the real binary over a store written by
//! `Store::ingest` (spans timed relative to now, so `--since` works), and over the store of a running service.
//! Output is decoded (table cells, JSON, every export format through `translators::decode_traces`) and
//! compared with what was stored.

use otelbridge::store::{now_unix_nanos, Store, StoreConfig};
use prost::Message as _;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use translators::otlp::attributes::{int, string};
use translators::otlp::model::span::{Event, SpanKind};
use translators::otlp::model::status::StatusCode;
use translators::otlp::model::{
    ExportTraceServiceRequest, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span,
    Status,
};
use translators::{decode_traces, Format};

const SECOND: u64 = 1_000_000_000;
const MINUTE: u64 = 60 * SECOND;
const MS: u64 = 1_000_000;

const TRACE_CART: [u8; 16] = [0xa1; 16];
const TRACE_CHECKOUT: [u8; 16] = [0xb2; 16];
const TRACE_NIGHTLY: [u8; 16] = [0xc3; 16];
/// A 64-bit id of a Jaeger or Zipkin client, as OTLP carries it: widened with a zero high half.
const TRACE_LEGACY: [u8; 16] =
    [0, 0, 0, 0, 0, 0, 0, 0, 0xd4, 0xd4, 0xd4, 0xd4, 0xd4, 0xd4, 0xd4, 0xd4];

fn temp_dir(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    // Under target/tmp, not /tmp: the shared store of this file outlives every single test.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("search_cli-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn span(trace: &[u8], id: u8, parent: Option<u8>, name: &str, start: u64, ms: u64) -> Span {
    Span {
        trace_id: trace.to_vec(),
        span_id: vec![trace[trace.len() - 1], 0, 0, 0, 0, 0, 0, id],
        parent_span_id: parent
            .map(|p| vec![trace[trace.len() - 1], 0, 0, 0, 0, 0, 0, p])
            .unwrap_or_default(),
        name: name.into(),
        kind: if parent.is_none() { SpanKind::Server } else { SpanKind::Client } as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + ms * MS,
        ..Span::default()
    }
}

fn resource_spans(service: &str, spans: Vec<Span>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource {
            attributes: vec![string("service.name", service), string("host.name", "node-7")],
            dropped_attributes_count: 0,
        }),
        scope_spans: vec![ScopeSpans {
            scope: Some(InstrumentationScope { name: "shop".into(), ..Default::default() }),
            spans,
            schema_url: String::new(),
        }],
        schema_url: String::new(),
    }
}

/// Four traces, newest first by start: checkout (5 min ago; frontend → payment, the payment span failed and
/// logged a `retry` event), cart (10 min ago; frontend → cart, 3 spans, http.status_code=200), legacy
/// (20 min ago, 64-bit id, 5 ms), nightly (3 h ago, 2 s).
fn shop(now: u64) -> ExportTraceServiceRequest {
    let checkout_at = now - 5 * MINUTE;
    let checkout = span(&TRACE_CHECKOUT, 1, None, "GET /checkout", checkout_at, 900);
    let mut charge = span(&TRACE_CHECKOUT, 2, Some(1), "Charge", checkout_at + 10 * MS, 850);
    charge.attributes = vec![string("payment.method", "card")];
    charge.status = Some(Status { code: StatusCode::Error as i32, message: "declined".into() });
    charge.events = vec![Event {
        time_unix_nano: checkout_at + 20 * MS,
        name: "retry".into(),
        attributes: vec![int("attempt", 2)],
        dropped_attributes_count: 0,
    }];

    let cart_at = now - 10 * MINUTE;
    let mut cart = span(&TRACE_CART, 1, None, "GET /cart", cart_at, 120);
    cart.attributes = vec![int("http.status_code", 200)];
    let get_cart = span(&TRACE_CART, 2, Some(1), "GetCart", cart_at + 5 * MS, 100);
    let redis = span(&TRACE_CART, 3, Some(2), "HGETALL", cart_at + 10 * MS, 20);

    let legacy = span(&TRACE_LEGACY, 1, None, "poll", now - 20 * MINUTE, 5);
    let nightly = span(&TRACE_NIGHTLY, 1, None, "rebuild-index", now - 180 * MINUTE, 2000);
    ExportTraceServiceRequest {
        resource_spans: vec![
            resource_spans("frontend", vec![checkout, cart]),
            resource_spans("payment", vec![charge]),
            resource_spans("cart", vec![get_cart, redis]),
            resource_spans("legacy", vec![legacy]),
            resource_spans("nightly-job", vec![nightly]),
        ],
    }
}

fn write_store(dir: &Path, request: &ExportTraceServiceRequest) {
    let config = StoreConfig { data_dir: dir.to_path_buf(), ..StoreConfig::default() };
    let store = Store::open(&config).unwrap();
    let outcome = store.ingest(request).unwrap();
    assert_eq!(outcome.expired, 0);
    store.close().unwrap();
}

/// The shop store, written once for every test of this file, and what went into it.
fn shop_store() -> &'static (PathBuf, ExportTraceServiceRequest) {
    static STORE: OnceLock<(PathBuf, ExportTraceServiceRequest)> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir = temp_dir("shop");
        let sent = shop(now_unix_nanos());
        write_store(&dir, &sent);
        (dir, sent)
    })
}

fn otelbridge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_otelbridge")).args(args).output().unwrap()
}

fn run_ok(args: &[&str]) -> (String, String) {
    let out = otelbridge(args);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{args:?}: {:?}\n{stderr}", out.status);
    (stdout, stderr)
}

fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `search traces --data-dir <shop> ARGS`.
fn search(args: &[&str]) -> (String, String) {
    let dir = shop_store().0.to_str().unwrap();
    let mut all = vec!["search", "traces", "--data-dir", dir];
    all.extend_from_slice(args);
    run_ok(&all)
}

/// The table's rows as maps from column name to cell: the last three cells (right-aligned, never blank) by
/// whitespace, the others cut at their header's column start.
fn table_rows(table: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut lines = table.lines();
    let header = lines.next().expect("a header line");
    let names =
        ["START (UTC)", "TRACE ID", "ROOT SERVICE", "ROOT SPAN", "SPANS", "DURATION", "ERRORS"];
    let starts: Vec<usize> = names.iter().map(|n| header.find(n).expect(n)).collect();
    lines
        .map(|line| {
            let mut row = std::collections::HashMap::new();
            let mut rest = line.trim_end();
            for name in names[4..].iter().rev() {
                let cut = rest.rfind(' ').map_or(0, |i| i + 1);
                row.insert(name.to_string(), rest[cut..].to_owned());
                rest = rest[..cut].trim_end();
            }
            let chars: Vec<char> = rest.chars().collect();
            for i in 0..4 {
                let to = if i == 3 { chars.len() } else { starts[i + 1].min(chars.len()) };
                let cell: String = chars[starts[i].min(chars.len())..to].iter().collect();
                row.insert(names[i].to_owned(), cell.trim().to_owned());
            }
            row
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn trace_ids(table: &str) -> Vec<String> {
    table_rows(table).into_iter().map(|r| r["TRACE ID"].clone()).collect()
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

#[test]
fn table_lists_every_trace_newest_first_with_root_counts_and_errors() {
    let (stdout, stderr) = search(&[]);
    assert_eq!(stderr, "");
    let rows = table_rows(&stdout);
    let ids: Vec<&str> = rows.iter().map(|r| r["TRACE ID"].as_str()).collect();
    assert_eq!(
        ids,
        [hex(&TRACE_CHECKOUT), hex(&TRACE_CART), hex(&TRACE_LEGACY[8..]), hex(&TRACE_NIGHTLY)],
        "{stdout}"
    );
    let cells = |i: usize| -> Vec<&str> {
        ["ROOT SERVICE", "ROOT SPAN", "SPANS", "DURATION", "ERRORS"]
            .map(|c| rows[i][c].as_str())
            .to_vec()
    };
    assert_eq!(cells(0), ["frontend", "GET /checkout", "2", "900.00ms", "1"], "{stdout}");
    assert_eq!(cells(1), ["frontend", "GET /cart", "3", "120.00ms", "-"], "{stdout}");
    assert_eq!(cells(2), ["legacy", "poll", "1", "5.00ms", "-"], "{stdout}");
    assert_eq!(cells(3), ["nightly-job", "rebuild-index", "1", "2.000s", "-"], "{stdout}");
    // Start column: UTC RFC 3339 with milliseconds, the same instant the JSON gives in nanoseconds.
    let json = json_lines(&search(&["--json"]).0);
    for (row, trace) in rows.iter().zip(&json) {
        let start = &row["START (UTC)"];
        assert_eq!(start, trace["start"].as_str().unwrap());
        assert_eq!(start.len(), "2026-11-25T13:00:00.000Z".len(), "{start}");
        assert!(start.ends_with('Z') && &start[10..11] == "T", "{start}");
    }
    // Every line is as wide as its content needs: no line has trailing blanks.
    assert!(stdout.lines().all(|l| !l.ends_with(' ')), "{stdout}");
}

#[test]
fn filters_find_the_traces_with_one_span_meeting_every_condition() {
    let checkout = hex(&TRACE_CHECKOUT);
    let cart = hex(&TRACE_CART);
    let legacy = hex(&TRACE_LEGACY[8..]);
    let nightly = hex(&TRACE_NIGHTLY);
    let cases: &[(&[&str], &[&String])] = &[
        (&["--service", "payment"], &[&checkout]),
        (&["--service", "frontend"], &[&checkout, &cart]),
        (&["--operation", "GetCart"], &[&cart]),
        (&["--service", "cart", "--operation", "HGETALL"], &[&cart]),
        (&["--tag", "http.status_code=200"], &[&cart]),
        (&["--tag", "payment.method=card"], &[&checkout]),
        (&["--tag", "error=true"], &[&checkout]),
        // Event attributes and names match too (Jaeger's log fields).
        (&["--tag", "event=retry"], &[&checkout]),
        (&["--tag", "attempt=2"], &[&checkout]),
        (&["--tag", "host.name=node-7", "--service", "legacy"], &[&legacy]),
        (&["--min-duration", "1s"], &[&nightly]),
        (&["--max-duration", "10ms"], &[&legacy]),
        (&["--min-duration", "100ms", "--max-duration", "110ms"], &[&cart]),
        (&["--since", "1h"], &[&checkout, &cart, &legacy]),
        (&["--since", "15m", "--until", "7m"], &[&cart]),
        (&["--until", "1h"], &[&nightly]),
        (&["--since", "2d"], &[&checkout, &cart, &legacy, &nightly]),
        (&["--limit", "2"], &[&checkout, &cart]),
    ];
    for (args, expected) in cases {
        let (stdout, _) = search(args);
        let expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(trace_ids(&stdout), expected, "{args:?}\n{stdout}");
    }
    // RFC 3339 bounds, computed from a stored start time.
    let sent = &shop_store().1;
    let cart_start = sent.resource_spans[0].scope_spans[0].spans[1].start_time_unix_nano;
    let at = |nanos: u64| rfc3339(nanos);
    let (stdout, _) =
        search(&["--since", &at(cart_start - SECOND), "--until", &at(cart_start + SECOND)]);
    assert_eq!(trace_ids(&stdout), [cart], "{stdout}");

    // More match than --limit: said on stderr.
    let (_, stderr) = search(&["--limit", "2"]);
    assert!(stderr.contains("more match"), "{stderr}");

    // The error is on the payment span, not on a frontend one: no single span meets both.
    let (stdout, stderr) = search(&["--service", "frontend", "--tag", "error=true"]);
    assert_eq!(stdout, "");
    assert_eq!(stderr.trim(), "no traces found");
}

/// RFC 3339 of `nanos`, written here independently of the binary (whole seconds, `+00:00` offset).
fn rfc3339(nanos: u64) -> String {
    let secs = (nanos / SECOND) as i64;
    let days = secs.div_euclid(86_400);
    // Walk from 1970: slow but obviously right for dates near now.
    let (mut year, mut day) = (1970, days);
    let leap = |y: i64| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    while day >= if leap(year) { 366 } else { 365 } {
        day -= if leap(year) { 366 } else { 365 };
        year += 1;
    }
    let lengths = [31, if leap(year) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 0;
    while day >= lengths[month] {
        day -= lengths[month];
        month += 1;
    }
    let in_day = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        month + 1,
        day + 1,
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

/// Every span of `request` with its resource's service, keyed by span id, for comparison.
fn spans_by_id(requests: &[ExportTraceServiceRequest]) -> Vec<(Vec<u8>, String, Span)> {
    let mut out = Vec::new();
    for request in requests {
        for rs in &request.resource_spans {
            let service = rs
                .resource
                .as_ref()
                .and_then(|r| translators::otlp::attributes::get_str(&r.attributes, "service.name"))
                .unwrap_or_default()
                .to_owned();
            for span in rs.scope_spans.iter().flat_map(|ss| &ss.spans) {
                out.push((span.span_id.clone(), service.clone(), span.clone()));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn only_trace(request: &ExportTraceServiceRequest, trace: &[u8]) -> ExportTraceServiceRequest {
    let mut out = request.clone();
    for rs in &mut out.resource_spans {
        for ss in &mut rs.scope_spans {
            ss.spans.retain(|s| s.trace_id == trace);
        }
    }
    out
}

#[test]
fn json_gives_a_summary_and_the_whole_trace_as_otlp_json() {
    let (stdout, _) = search(&["--json", "--since", "1h"]);
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 3, "{stdout}");
    let checkout = &lines[0];
    assert_eq!(checkout["traceId"], hex(&TRACE_CHECKOUT));
    assert_eq!(checkout["spanCount"], 2);
    assert_eq!(checkout["errorCount"], 1);
    assert_eq!(checkout["rootService"], "frontend");
    assert_eq!(checkout["rootName"], "GET /checkout");
    assert_eq!(checkout["services"], serde_json::json!(["frontend", "payment"]));
    assert_eq!(checkout["durationNanos"], 900 * MS);
    let sent = &shop_store().1;
    let root = &sent.resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(checkout["startTimeUnixNano"], root.start_time_unix_nano.to_string());
    assert_eq!(lines[2]["traceId"], hex(&TRACE_LEGACY[8..]), "64-bit ids as 16 hex digits");

    // `otlp` is an OTLP/JSON request holding exactly the trace's spans, unchanged.
    for (line, trace) in lines.iter().zip([&TRACE_CHECKOUT[..], &TRACE_CART, &TRACE_LEGACY]) {
        let otlp = serde_json::to_vec(&line["otlp"]).unwrap();
        let decoded = decode_traces(Format::OtlpJson, &otlp).unwrap();
        assert!(decoded.rejected.is_empty());
        assert_eq!(spans_by_id(&decoded.requests), spans_by_id(&[only_trace(sent, trace)]));
    }
}

/// What every format keeps of a span: ids (trace ids widened), parent, name, service, start and duration in
/// whole microseconds.
type Essentials = BTreeSet<(String, String, String, String, String, u64, u64)>;

fn essentials(requests: &[ExportTraceServiceRequest]) -> Essentials {
    spans_by_id(requests)
        .into_iter()
        .map(|(id, service, span)| {
            let parent = if span.parent_span_id.iter().all(|b| *b == 0) {
                vec![]
            } else {
                span.parent_span_id
            };
            (
                hex(&translators::ids::widen_trace_id(&span.trace_id).unwrap()),
                hex(&id),
                hex(&parent),
                span.name,
                service,
                span.start_time_unix_nano / 1000,
                (span.end_time_unix_nano - span.start_time_unix_nano) / 1000,
            )
        })
        .collect()
}

fn export(args: &[&str]) -> (Vec<u8>, String) {
    let dir = shop_store().0.to_str().unwrap();
    let output = temp_dir("export").with_extension("out");
    let mut all = vec!["export", "--data-dir", dir, "--output", output.to_str().unwrap()];
    all.extend_from_slice(args);
    let (_, stderr) = run_ok(&all);
    let bytes = std::fs::read(&output).unwrap();
    let _ = std::fs::remove_file(&output);
    (bytes, stderr)
}

#[test]
fn export_writes_every_format_and_it_decodes_back_to_what_was_stored() {
    let sent = &shop_store().1;
    let recent = ExportTraceServiceRequest {
        resource_spans: sent
            .resource_spans
            .iter()
            .filter(|rs| rs.scope_spans[0].spans.iter().all(|s| s.trace_id != TRACE_NIGHTLY))
            .cloned()
            .collect(),
    };
    let expected = essentials(&[recent]);
    assert_eq!(expected.len(), 6);
    for format in Format::ALL {
        // One batch for all traces, and one trace per batch (concatenated messages for the formats that allow
        // it): both decode to the same spans.
        for batch in ["256", "1"] {
            let (bytes, stderr) =
                export(&["--since", "1h", "--to", format.name(), "--batch-traces", batch]);
            assert!(stderr.contains("exported 3 trace(s), 6 span(s)"), "{format}: {stderr}");
            let decoded = decode_traces(format, &bytes).unwrap_or_else(|e| panic!("{format}: {e}"));
            assert!(decoded.rejected.is_empty(), "{format}: {:?}", decoded.rejected);
            assert_eq!(essentials(&decoded.requests), expected, "{format} batch {batch}");
        }
    }

    // otlp-json: one request per trace and line, newest first, spans unchanged.
    let (bytes, _) = export(&["--since", "1h", "--to", "otlp-json"]);
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    for (line, trace) in lines.iter().zip([&TRACE_CHECKOUT[..], &TRACE_CART, &TRACE_LEGACY]) {
        let decoded = decode_traces(Format::OtlpJson, line.as_bytes()).unwrap();
        assert_eq!(spans_by_id(&decoded.requests), spans_by_id(&[only_trace(sent, trace)]));
    }

    // jaeger-json: one document, one `data` entry per trace.
    let (bytes, _) = export(&["--since", "1h", "--to", "jaeger-json"]);
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let ids: Vec<&str> =
        doc["data"].as_array().unwrap().iter().map(|t| t["traceID"].as_str().unwrap()).collect();
    assert_eq!(ids, [hex(&TRACE_CHECKOUT), hex(&TRACE_CART), hex(&TRACE_LEGACY[8..])]);
    let spans: Vec<usize> = doc["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["spans"].as_array().unwrap().len())
        .collect();
    assert_eq!(spans, [2, 3, 1]);
}

#[test]
fn export_filters_and_limits_like_search() {
    let (bytes, _) = export(&["--since", "2d", "--service", "cart", "--to", "zipkin-json"]);
    let decoded = decode_traces(Format::ZipkinJson, &bytes).unwrap();
    let names: BTreeSet<String> =
        spans_by_id(&decoded.requests).into_iter().map(|s| s.2.name).collect();
    assert_eq!(names, BTreeSet::from(["GET /cart".into(), "GetCart".into(), "HGETALL".into()]));

    let (bytes, stderr) = export(&["--since", "2d", "--limit", "1", "--to", "otlp-json"]);
    let decoded = decode_traces(Format::OtlpJson, &bytes).unwrap();
    assert_eq!(decoded.requests.len(), 1);
    let trace_ids: BTreeSet<Vec<u8>> =
        spans_by_id(&decoded.requests).into_iter().map(|s| s.2.trace_id).collect();
    assert_eq!(trace_ids, BTreeSet::from([TRACE_CHECKOUT.to_vec()]));
    assert!(stderr.contains("stopped at --limit 1; more traces match"), "{stderr}");

    let (bytes, stderr) =
        export(&["--since", "2d", "--tag", "nothing=here", "--to", "jaeger-json"]);
    assert!(stderr.contains("no traces found"), "{stderr}");
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(doc["data"], serde_json::json!([]));

    // stdout is the default output.
    let dir = shop_store().0.to_str().unwrap();
    let (stdout, _) = run_ok(&[
        "export",
        "--data-dir",
        dir,
        "--since",
        "1h",
        "--service",
        "legacy",
        "--to",
        "zipkin-json",
    ]);
    let decoded = decode_traces(Format::ZipkinJson, stdout.as_bytes()).unwrap();
    assert_eq!(spans_by_id(&decoded.requests)[0].2.name, "poll");
}

#[test]
fn spans_a_format_cannot_carry_are_reported_and_counted_never_dropped_silently() {
    let dir = temp_dir("broken");
    let now = now_unix_nanos();
    let trace = [0xee; 16];
    let good = span(&trace, 1, None, "good", now - MINUTE, 10);
    let mut backwards = span(&trace, 2, Some(1), "backwards", now - MINUTE + MS, 0);
    backwards.end_time_unix_nano = backwards.start_time_unix_nano - MS;
    write_store(
        &dir,
        &ExportTraceServiceRequest {
            resource_spans: vec![resource_spans("clock-skew", vec![good, backwards])],
        },
    );

    let output = dir.join("out.json");
    let args = [
        "export",
        "--data-dir",
        dir.to_str().unwrap(),
        "--since",
        "1h",
        "--to",
        "zipkin-json",
        "--output",
        output.to_str().unwrap(),
    ];
    let out = otelbridge(&args);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let rejected: Vec<&str> = stderr.lines().filter(|l| l.starts_with("rejected: ")).collect();
    assert_eq!(rejected.len(), 1, "{stderr}");
    assert!(
        rejected[0].starts_with(&format!(
            "rejected: trace {} span ee00000000000002 (clock-skew \"backwards\"): end time",
            hex(&trace)
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "1 span(s) rejected: zipkin-json cannot carry them; the other 1 were written"
        ),
        "{stderr}"
    );
    let decoded = decode_traces(Format::ZipkinJson, &std::fs::read(&output).unwrap()).unwrap();
    let names: Vec<String> = spans_by_id(&decoded.requests).into_iter().map(|s| s.2.name).collect();
    assert_eq!(names, ["good"]);

    // OTLP carries it as it is.
    let out = otelbridge(&[
        "export",
        "--data-dir",
        dir.to_str().unwrap(),
        "--since",
        "1h",
        "--to",
        "otlp-proto",
    ]);
    assert!(out.status.success(), "{}", texts(&out).1);
    let decoded = decode_traces(Format::OtlpProto, &out.stdout).unwrap();
    assert_eq!(translators::otlp::span_count(&decoded.requests[0]), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_store_folders_and_flag_values_exit_with_a_clear_message() {
    let missing = temp_dir("missing");
    let out = otelbridge(&["search", "traces", "--data-dir", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(texts(&out).1.contains("no store at"), "{}", texts(&out).1);
    let out = otelbridge(&[
        "export",
        "--data-dir",
        missing.to_str().unwrap(),
        "--since",
        "1h",
        "--to",
        "otlp-json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(texts(&out).1.contains("no store at"), "{}", texts(&out).1);

    let not_a_store = temp_dir("not-a-store");
    std::fs::create_dir_all(&not_a_store).unwrap();
    let out = otelbridge(&["search", "traces", "--data-dir", not_a_store.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(texts(&out).1.contains("is not an otelbridge store"), "{}", texts(&out).1);
    let _ = std::fs::remove_dir_all(&not_a_store);

    let dir = shop_store().0.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["search", "traces", "--since", "yesterday"],
            "invalid value 'yesterday' for '--since <TIME>'",
        ),
        (&["search", "traces", "--since", "5"], "expected a number with a unit"),
        (&["search", "traces", "--until", "2026-02-30T00:00:00Z"], "invalid value"),
        (&["search", "traces", "--tag", "novalue"], "expected KEY=VALUE"),
        (
            &["search", "traces", "--min-duration", "fast"],
            "invalid value 'fast' for '--min-duration",
        ),
        (&["search", "traces", "--limit", "0"], "invalid value '0' for '--limit <N>'"),
        (&["search", "traces", "--since", "1h", "--until", "2h"], "is after --until"),
        (&["export", "--to", "otlp-json"], "--since <TIME>"),
        (&["export", "--since", "1h", "--to", "jaeger"], "unknown format \"jaeger\""),
        (&["export", "--since", "1h"], "--to <FORMAT>"),
    ];
    for (args, message) in cases {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--data-dir", dir]);
        let out = otelbridge(&all);
        let (stdout, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

/// A store holding three log records a few minutes old: checkout INFO and ERROR (with a trace id and http
/// attributes, a two-line body), payments WARN.
fn log_store() -> PathBuf {
    use translators::otlp::attributes::{int, string};
    use translators::otlp::logs_model::{
        ExportLogsServiceRequest, LogRecord, ResourceLogs, ScopeLogs,
    };
    use translators::otlp::model::{any_value::Value as Any, AnyValue, Resource};
    let dir = temp_dir("logs");
    let base = now_unix_nanos() - 600 * 1_000_000_000;
    let record = |offset_s: u64, number: i32, text: &str, body: &str| LogRecord {
        time_unix_nano: base + offset_s * 1_000_000_000,
        severity_number: number,
        severity_text: text.into(),
        body: Some(AnyValue { value: Some(Any::StringValue(body.into())) }),
        ..LogRecord::default()
    };
    let mut error = record(1, 17, "ERROR", "payment timeout\nafter 3 retries");
    error.trace_id = vec![0xab; 16];
    error.attributes = vec![string("http.method", "POST"), int("http.status_code", 504)];
    let logs = |service: &str, records| ResourceLogs {
        resource: Some(Resource {
            attributes: vec![string("service.name", service)],
            dropped_attributes_count: 0,
        }),
        scope_logs: vec![ScopeLogs { log_records: records, ..ScopeLogs::default() }],
        schema_url: String::new(),
    };
    let request = ExportLogsServiceRequest {
        resource_logs: vec![
            logs("checkout", vec![record(0, 9, "INFO", "order 42 placed"), error]),
            logs("payments", vec![record(60, 13, "WARN", "card declined")]),
        ],
    };
    let config = StoreConfig { data_dir: dir.clone(), ..StoreConfig::default() };
    let store = Store::open(&config).unwrap();
    assert_eq!(store.ingest_logs(&request).unwrap().stored, 3);
    store.close().unwrap();
    dir
}

#[test]
fn search_logs_finds_records_by_lucene_style_queries() {
    let dir = log_store();
    let dir = dir.to_str().unwrap();
    let (stdout, _) = run_ok(&["search", "logs", "--data-dir", dir]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines[0].starts_with("TIME (UTC)") && lines[0].ends_with("BODY"), "{stdout}");
    // Newest first; a line break in a body is shown, not printed.
    assert!(
        lines[1].contains("WARN")
            && lines[1].contains("payments")
            && lines[1].ends_with("card declined")
    );
    assert!(
        lines[2].contains("ERROR") && lines[2].ends_with("payment timeout⏎after 3 retries"),
        "{stdout}"
    );
    assert!(lines[3].contains("INFO") && lines[3].ends_with("order 42 placed"));

    let (stdout, _) =
        run_ok(&["search", "logs", "timeout AND service:checkout", "--json", "--data-dir", dir]);
    let found = json_lines(&stdout);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["severityText"], "ERROR");
    assert_eq!(found[0]["severityNumber"], 17);
    assert_eq!(found[0]["service"], "checkout");
    assert_eq!(found[0]["body"], "payment timeout\nafter 3 retries");
    assert_eq!(found[0]["attributes"]["http.status_code"], 504);
    assert_eq!(found[0]["traceId"], "ab".repeat(16));
    assert_eq!(found[0]["resource"]["service.name"], "checkout");

    for (query, expected) in [
        ("severity:WARN OR severity:INFO", 2),
        ("attributes.http.method:POST", 1),
        ("-service:checkout", 1),
        ("\"order 42\"", 1),
        ("nothing-like-this", 0),
    ] {
        let (stdout, stderr) = run_ok(&["search", "logs", query, "--json", "--data-dir", dir]);
        assert_eq!(json_lines(&stdout).len(), expected, "{query}: {stderr}");
        if expected == 0 {
            assert!(stderr.contains("no log records found"), "{stderr}");
        }
    }
    let (stdout, _) = run_ok(&["search", "logs", "--since", "570s", "--json", "--data-dir", dir]);
    assert_eq!(json_lines(&stdout).len(), 1, "only the WARN is newer than 9.5 minutes");
    let (stdout, stderr) = run_ok(&["search", "logs", "--limit", "1", "--json", "--data-dir", dir]);
    assert_eq!(json_lines(&stdout)[0]["severityText"], "WARN");
    assert!(stderr.contains("most recent matching records"), "{stderr}");

    let out = otelbridge(&["search", "logs", "severity:(ERROR", "--data-dir", dir]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout, "");
    assert!(stderr.contains("bad query"), "{stderr}");
}

/// Kills the service on drop, so that a failed assertion does not leave it running.
struct Service(std::process::Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

#[test]
fn search_finds_what_a_running_service_committed() {
    let dir = temp_dir("live");
    std::fs::create_dir_all(&dir).unwrap();
    let data_dir = dir.join("data");
    let config = dir.join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "receivers: {{ otlp: {{ protocols: {{ http: {{ endpoint: 127.0.0.1:0 }} }} }} }}\n\
             exporters: {{ store: {{ data_dir: \"{}\", commit_interval: 200ms, jaeger_query: null }} }}\n\
             pipelines: {{ traces: {{ receivers: [otlp], exporters: [store] }} }}\n\
             service: {{ admin: {{ endpoint: 127.0.0.1:0 }} }}\n",
            data_dir.display()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_otelbridge"))
        .args(["run", "--log-format", "json", "--config"])
        .arg(&config)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let service = Service(child);
    // The OTLP/HTTP port is picked by the system: read it from the `listening` log line.
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let Ok(entry) = serde_json::from_str::<Value>(&line) else { continue };
            let fields = &entry["fields"];
            if fields["message"] == "listening"
                && fields["receiver"] == "otlp"
                && fields["transport"] == "http"
            {
                let _ = address_tx.send(fields["address"].as_str().unwrap_or_default().to_owned());
            }
        }
    });
    let address = address_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the service logs its OTLP/HTTP address");

    let now = now_unix_nanos();
    let trace = [0x5e; 16];
    let root = span(&trace, 1, None, "GET /live", now - 2 * SECOND, 40);
    let child_span = span(&trace, 2, Some(1), "lookup", now - 2 * SECOND + MS, 30);
    let sent = ExportTraceServiceRequest {
        resource_spans: vec![
            resource_spans("live-api", vec![root]),
            resource_spans("live-db", vec![child_span]),
        ],
    };
    let response = reqwest::blocking::Client::new()
        .post(format!("http://{address}/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .body(sent.encode_to_vec())
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);

    // Visible once the store's 200 ms commit timer has run; the service keeps running meanwhile.
    let data = data_dir.to_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let line = loop {
        let (stdout, _) = run_ok(&[
            "search",
            "traces",
            "--data-dir",
            data,
            "--service",
            "live-db",
            "--since",
            "1m",
            "--json",
        ]);
        if let Some(line) = stdout.lines().next() {
            break serde_json::from_str::<Value>(line).unwrap();
        }
        assert!(Instant::now() < deadline, "the spans never became searchable");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(line["traceId"], hex(&trace));
    assert_eq!(line["spanCount"], 2);
    assert_eq!(line["rootService"], "live-api");
    assert_eq!(line["rootName"], "GET /live");
    let otlp = serde_json::to_vec(&line["otlp"]).unwrap();
    let decoded = decode_traces(Format::OtlpJson, &otlp).unwrap();
    assert_eq!(spans_by_id(&decoded.requests), spans_by_id(&[sent]));

    let (table, _) = run_ok(&["search", "traces", "--data-dir", data]);
    let rows = table_rows(&table);
    assert_eq!(rows.len(), 1, "{table}");
    assert_eq!(rows[0]["ROOT SPAN"], "GET /live");
    drop(service);
    let _ = std::fs::remove_dir_all(&dir);
}
