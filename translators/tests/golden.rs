//! Golden tests over bytes captured from real client libraries.
//!
//! Every folder `tests/fixtures/<format>/<case>/` with a `meta.json` holds `input.bin|json`
//! (exactly what a real Jaeger / Zipkin / OpenTelemetry client sent; see `fixtures/README.md`).
//! For each case the input is decoded with [`translators::decode_traces`] (the folder's first
//! path component is the format name; `jaeger-thrift-agent-binary` is the Node client's binary
//! `emitBatch` UDP payload, read by the `jaeger-thrift-binary` decoder as `emitBatch` messages)
//! and then:
//!
//! 1. the `expect` block of `meta.json` (what the generator told the client to emit) is checked
//!    against the decoded OTLP: service name, resource attributes, scope, trace and span ids,
//!    names, kinds, parent/child, times, typed attributes, events, links, status, and that the
//!    protocol tags (`span.kind`, `otel.status_code`, ...) became OTLP fields;
//! 2. the decoded OTLP, rendered as OTLP/JSON by this file (not by the crate's own OTLP/JSON
//!    encoder, so that a bug there cannot hide one here), must equal `expected.otlp.json`;
//!    with `UPDATE_GOLDEN=1` that file is written instead;
//! 3. the decoded OTLP is encoded back to the same format and decoded again: the spans must be
//!    the same.
//!
//! A case that cannot be decoded (e.g. a decoder still a stub) fails with its reason; the test
//! never passes on a case it could not check.

use base64::Engine as _;
use serde_json::{json, Map, Value as J};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use translators::otlp::model::{
    any_value::Value, span::SpanKind, status::StatusCode, AnyValue, ExportTraceServiceRequest,
    InstrumentationScope, KeyValue, Resource, Span,
};
use translators::{decode_traces, encode_traces, DecodeError, Decoded, Format};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const GOLDEN: &str = "expected.otlp.json";

/// Span attributes that are protocol tags: decoders must turn them into OTLP fields (project
/// decision), so none may be left among the attributes.
const PROTOCOL_TAGS: [&str; 7] = [
    "span.kind",
    "otel.status_code",
    "otel.status_description",
    "otel.scope.name",
    "otel.scope.version",
    "otel.library.name",
    "otel.library.version",
];

#[test]
fn golden_fixtures() {
    let cases = find_cases(Path::new(FIXTURES));
    assert!(!cases.is_empty(), "no fixture cases found under {FIXTURES}");
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let mut failed = Vec::new();
    for dir in &cases {
        let name = dir.strip_prefix(FIXTURES).unwrap_or(dir).display().to_string();
        let name = name.trim_start_matches('/').to_string();
        let problems = run_case(dir, update);
        if problems.is_empty() {
            println!("golden ok      {name}");
        } else {
            println!("golden FAILED  {name}");
            for p in &problems {
                println!("    - {p}");
            }
            failed.push((name, problems));
        }
    }
    println!("golden: {} case(s), {} failing", cases.len(), failed.len());
    if !failed.is_empty() {
        let mut msg = String::new();
        for (name, problems) in &failed {
            let _ = writeln!(msg, "{name}:");
            for p in problems {
                let _ = writeln!(msg, "    - {p}");
            }
        }
        panic!("{} of {} golden case(s) failed:\n{msg}", failed.len(), cases.len());
    }
}

/// Case folders: any folder with a `meta.json`, outside the generator's folder.
fn find_cases(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() && path.file_name().is_some_and(|n| n != "generate") {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "meta.json") {
                out.push(dir.clone());
            }
        }
    }
    out.sort();
    out
}

/// How a case's input is read, from the first path component below `fixtures/`.
#[derive(Clone, Copy)]
enum Reader {
    Format(Format),
    /// The Node jaeger-client's UDP payload: a binary-protocol `Agent.emitBatch` message.
    JaegerAgentBinary,
}

impl Reader {
    fn decode(self, input: &[u8]) -> Result<Decoded, DecodeError> {
        match self {
            Reader::Format(f) => decode_traces(f, input),
            Reader::JaegerAgentBinary => {
                // The one Jaeger Thrift reader takes input starting with the strict binary
                // message header as `emitBatch` messages (one request per message).
                assert!(
                    translators::jaeger::thrift_direct::is_binary_message(input),
                    "the agent-binary fixture must be binary emitBatch messages"
                );
                decode_traces(Format::JaegerThriftBinary, input)
            }
        }
    }

    /// The format to re-encode to for the round trip. The agent-binary payload goes back out as
    /// `jaeger-thrift-binary`, whose decoder reads both a bare `Batch` and an `emitBatch` message.
    fn round_trip_format(self) -> Format {
        match self {
            Reader::Format(f) => f,
            Reader::JaegerAgentBinary => Format::JaegerThriftBinary,
        }
    }
}

fn reader_for(dir: &Path) -> Result<Reader, String> {
    let rel = dir.strip_prefix(FIXTURES).map_err(|e| e.to_string())?;
    let first = rel
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .ok_or("case folder has no format component")?;
    if first == "jaeger-thrift-agent-binary" {
        return Ok(Reader::JaegerAgentBinary);
    }
    first.parse::<Format>().map(Reader::Format).map_err(|e| e.to_string())
}

fn run_case(dir: &Path, update: bool) -> Vec<String> {
    let meta: J = match std::fs::read(dir.join("meta.json"))
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(m) => m,
        Err(e) => return vec![format!("meta.json unreadable: {e}")],
    };
    let reader = match reader_for(dir) {
        Ok(r) => r,
        Err(e) => return vec![format!("unknown format folder: {e}")],
    };
    let input_name = meta["input"].as_str().unwrap_or("input.bin");
    let input = match std::fs::read(dir.join(input_name)) {
        Ok(b) => b,
        Err(e) => return vec![format!("{input_name} unreadable: {e}")],
    };
    let decoded = match reader.decode(&input) {
        Ok(d) => d,
        Err(e) => return vec![format!("decode failed: {e}")],
    };

    let mut problems = Vec::new();
    for r in &decoded.rejected {
        problems.push(format!("decoder rejected a span of a real client: {r}"));
    }
    let rendered = render_decoded(&decoded);
    check_expect(&meta["expect"], &decoded, &mut problems);
    check_golden(dir, &rendered, update, &mut problems);
    check_round_trip(reader.round_trip_format(), &decoded, &mut problems);
    problems
}

// ---------------------------------------------------------------------------------------------
// (1) the expect block

/// One decoded span with the resource and scope it came under.
struct Found<'a> {
    resource: Option<&'a Resource>,
    scope: Option<&'a InstrumentationScope>,
    span: &'a Span,
}

fn all_spans(decoded: &Decoded) -> Vec<Found<'_>> {
    let mut out = Vec::new();
    for req in &decoded.requests {
        for rs in &req.resource_spans {
            for ss in &rs.scope_spans {
                for span in &ss.spans {
                    out.push(Found {
                        resource: rs.resource.as_ref(),
                        scope: ss.scope.as_ref(),
                        span,
                    });
                }
            }
        }
    }
    out
}

fn check_expect(expect: &J, decoded: &Decoded, problems: &mut Vec<String>) {
    if !expect.is_object() {
        problems.push("meta.json has no `expect` block".into());
        return;
    }
    let spans = all_spans(decoded);
    if let Some(n) = expect["span_count"].as_u64() {
        if spans.len() as u64 != n {
            problems.push(format!("span count: expected {n}, got {}", spans.len()));
        }
    }
    let by_name = |name: &str| spans.iter().filter(|f| f.span.name == name).collect::<Vec<_>>();
    let Some(expected_spans) = expect["spans"].as_array() else {
        problems.push("expect.spans missing".into());
        return;
    };
    let span_id_of = |name: &str| -> Option<String> {
        let found = by_name(name);
        (found.len() == 1).then(|| hex(&found[0].span.span_id))
    };

    for es in expected_spans {
        let name = es["name"].as_str().unwrap_or_default();
        let found = by_name(name);
        let f = match found.as_slice() {
            [one] => one,
            [] => {
                problems.push(format!("span {name:?}: not in the decoded output"));
                continue;
            }
            many => {
                problems.push(format!("span {name:?}: {} spans have this name", many.len()));
                continue;
            }
        };
        let s = f.span;
        let mut p = |what: String| problems.push(format!("span {name:?}: {what}"));

        // Service name (per span, may be overridden or disabled with null).
        let service = match es.get("service_name") {
            Some(J::Null) => None,
            Some(v) => v.as_str(),
            None => expect["service_name"].as_str(),
        };
        if let Some(want) = service {
            let got = f.resource.and_then(|r| find_attr(&r.attributes, "service.name"));
            match got.and_then(|v| v.value.as_ref()) {
                Some(Value::StringValue(got)) if got == want => {}
                other => p(format!(
                    "resource service.name: expected {want:?}, got {}",
                    show_value(other)
                )),
            }
        }
        if let Some(attrs) = expect["resource_attributes"].as_array() {
            let empty = Vec::new();
            let got = f.resource.map_or(&empty, |r| &r.attributes);
            for a in attrs {
                if let Err(e) = check_attr(got, a) {
                    p(format!("resource {e}"));
                }
            }
        }
        if let Some(scope) = expect.get("scope").filter(|s| s.is_object()) {
            let (gn, gv) = f.scope.map_or(("", ""), |s| (s.name.as_str(), s.version.as_str()));
            let (wn, wv) =
                (scope["name"].as_str().unwrap_or(""), scope["version"].as_str().unwrap_or(""));
            if (gn, gv) != (wn, wv) {
                p(format!("scope: expected {wn:?} {wv:?}, got {gn:?} {gv:?}"));
            }
        }
        if let Some(want) = expect["trace_id"].as_str() {
            if hex(&s.trace_id) != want {
                p(format!("trace id: expected {want}, got {}", hex(&s.trace_id)));
            }
        }
        if let Some(want) = es["span_id"].as_str() {
            if hex(&s.span_id) != want {
                p(format!("span id: expected {want}, got {}", hex(&s.span_id)));
            }
        }
        if let Some(want) = es["kind"].as_str() {
            let got = SpanKind::try_from(s.kind).map(kind_name).unwrap_or("?");
            if got != want {
                p(format!("kind: expected {want}, got {got} ({})", s.kind));
            }
        }
        match &es["parent"] {
            J::Null if !s.parent_span_id.is_empty() => {
                p(format!("parent: expected none (root), got {}", hex(&s.parent_span_id)));
            }
            J::String(parent) => match span_id_of(parent) {
                Some(want) if hex(&s.parent_span_id) == want => {}
                want => p(format!(
                    "parent: expected {parent:?} ({}), got {:?}",
                    want.unwrap_or_else(|| "not found".into()),
                    hex(&s.parent_span_id)
                )),
            },
            _ => {}
        }
        for (key, got) in [
            ("start_time_unix_nano", s.start_time_unix_nano),
            ("end_time_unix_nano", s.end_time_unix_nano),
        ] {
            if let Some(want) = es[key].as_u64() {
                if got != want {
                    p(format!("{key}: expected {want}, got {got}"));
                }
            }
        }
        if let Some(status) = es.get("status") {
            let (code, message) =
                s.status.as_ref().map_or((0, ""), |st| (st.code, st.message.as_str()));
            let got = StatusCode::try_from(code).map(status_name).unwrap_or("?");
            if let Some(want) = status["code"].as_str() {
                if got != want {
                    p(format!("status code: expected {want}, got {got}"));
                }
            }
            if let Some(want) = status["message"].as_str() {
                if message != want {
                    p(format!("status message: expected {want:?}, got {message:?}"));
                }
            }
        }
        for a in es["attributes"].as_array().into_iter().flatten() {
            if let Err(e) = check_attr(&s.attributes, a) {
                p(e);
            }
        }
        let is_error = s.status.as_ref().is_some_and(|st| st.code == StatusCode::Error as i32);
        for kv in &s.attributes {
            if PROTOCOL_TAGS.contains(&kv.key.as_str()) || (is_error && kv.key == "error") {
                p(format!(
                    "protocol tag {:?} left among the attributes (should be an OTLP field)",
                    kv.key
                ));
            }
        }

        // Events: exactly the expected ones (so that e.g. Zipkin v1 core annotations cs/sr/...
        // do not leak in as events). The OpenTelemetry Python Jaeger exporter puts the name in
        // log field `message`, so a string attribute `message` also counts as the name.
        let expected_events = es["events"].as_array().map_or(&[][..], |v| v.as_slice());
        if s.events.len() != expected_events.len() {
            p(format!(
                "events: expected {} ({}), got {} ({})",
                expected_events.len(),
                expected_events
                    .iter()
                    .filter_map(|e| e["name"].as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                s.events.len(),
                s.events.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        for ee in expected_events {
            let en = ee["name"].as_str().unwrap_or_default();
            let hit = s.events.iter().find(|ev| {
                ev.name == en
                    || matches!(find_attr(&ev.attributes, "message").and_then(|v| v.value.as_ref()),
                        Some(Value::StringValue(m)) if m == en)
            });
            let Some(ev) = hit else {
                p(format!("event {en:?}: not found"));
                continue;
            };
            if let Some(want) = ee["time_unix_nano"].as_u64() {
                if ev.time_unix_nano != want {
                    p(format!("event {en:?} time: expected {want}, got {}", ev.time_unix_nano));
                }
            }
            for a in ee["attributes"].as_array().into_iter().flatten() {
                if let Err(e) = check_attr(&ev.attributes, a) {
                    p(format!("event {en:?}: {e}"));
                }
            }
        }

        // Links: exactly the expected ones, by the name of the span they point to.
        let expected_links = es["links"].as_array().map_or(&[][..], |v| v.as_slice());
        let got_links: Vec<String> = s
            .links
            .iter()
            .map(|l| {
                let target = spans
                    .iter()
                    .find(|f| f.span.span_id == l.span_id && f.span.trace_id == l.trace_id)
                    .map_or_else(
                        || format!("{}/{}", hex(&l.trace_id), hex(&l.span_id)),
                        |f| f.span.name.clone(),
                    );
                target
            })
            .collect();
        let want_links: Vec<&str> =
            expected_links.iter().filter_map(|l| l["span"].as_str()).collect();
        if got_links.iter().map(String::as_str).collect::<Vec<_>>() != want_links {
            p(format!("links: expected to {want_links:?}, got to {got_links:?}"));
        }
        for el in expected_links {
            let target = el["span"].as_str().unwrap_or_default();
            let Some(link) =
                s.links.iter().zip(&got_links).find(|(_, n)| *n == target).map(|(l, _)| l)
            else {
                continue;
            };
            for a in el["attributes"].as_array().into_iter().flatten() {
                if let Err(e) = check_attr(&link.attributes, a) {
                    p(format!("link to {target:?}: {e}"));
                }
            }
        }
    }
}

fn find_attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref())
}

/// Checks one expected `{key, type, value}` against `attrs`.
fn check_attr(attrs: &[KeyValue], want: &J) -> Result<(), String> {
    let key = want["key"].as_str().unwrap_or_default();
    let ty = want["type"].as_str().unwrap_or_default();
    let value = &want["value"];
    let got = find_attr(attrs, key).and_then(|v| v.value.as_ref());
    if got.is_none() {
        return Err(format!("attribute {key:?}: missing (expected {ty} {value})"));
    }
    if value_matches(got, ty, value) {
        Ok(())
    } else {
        Err(format!("attribute {key:?}: expected {ty} {value}, got {}", show_value(got)))
    }
}

fn value_matches(got: Option<&Value>, ty: &str, want: &J) -> bool {
    match (ty, got) {
        ("string", Some(Value::StringValue(s))) => want.as_str() == Some(s),
        ("int", Some(Value::IntValue(i))) => want.as_i64() == Some(*i),
        ("double", Some(Value::DoubleValue(d))) => want.as_f64() == Some(*d),
        ("bool", Some(Value::BoolValue(b))) => want.as_bool() == Some(*b),
        ("bytes", Some(Value::BytesValue(b))) => want.as_str() == Some(&hex(b)),
        ("array", Some(Value::ArrayValue(a))) => want.as_array().is_some_and(|w| {
            w.len() == a.values.len()
                && w.iter().zip(&a.values).all(|(w, g)| {
                    let ty = match w {
                        J::String(_) => "string",
                        J::Bool(_) => "bool",
                        J::Number(n) if n.is_i64() => "int",
                        _ => "double",
                    };
                    value_matches(g.value.as_ref(), ty, w)
                })
        }),
        _ => false,
    }
}

fn show_value(v: Option<&Value>) -> String {
    match v {
        None => "nothing".into(),
        Some(Value::StringValue(s)) => format!("string {s:?}"),
        Some(Value::IntValue(i)) => format!("int {i}"),
        Some(Value::DoubleValue(d)) => format!("double {d}"),
        Some(Value::BoolValue(b)) => format!("bool {b}"),
        Some(other) => format!("{}", any_value_json(&AnyValue { value: Some(other.clone()) })),
    }
}

fn kind_name(k: SpanKind) -> &'static str {
    match k {
        SpanKind::Unspecified => "UNSPECIFIED",
        SpanKind::Internal => "INTERNAL",
        SpanKind::Server => "SERVER",
        SpanKind::Client => "CLIENT",
        SpanKind::Producer => "PRODUCER",
        SpanKind::Consumer => "CONSUMER",
    }
}

fn status_name(c: StatusCode) -> &'static str {
    match c {
        StatusCode::Unset => "UNSET",
        StatusCode::Ok => "OK",
        StatusCode::Error => "ERROR",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// (2) the golden file: a stable OTLP/JSON rendering written here, independent of the crate's
// OTLP/JSON encoder. Keys sorted (serde_json's map), empty/default fields left out as OTLP/JSON
// does, ids in hex, 64-bit numbers as strings.

fn render_decoded(decoded: &Decoded) -> String {
    let doc = match decoded.requests.as_slice() {
        [one] => render_request(one),
        many => J::Array(many.iter().map(render_request).collect()),
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("serialising a Value cannot fail");
    s.push('\n');
    s
}

fn render_request(req: &ExportTraceServiceRequest) -> J {
    let resource_spans = req
        .resource_spans
        .iter()
        .map(|rs| {
            let mut o = Map::new();
            if let Some(r) = &rs.resource {
                let mut ro = Map::new();
                put_attrs(&mut ro, "attributes", &r.attributes);
                put_u64(
                    &mut ro,
                    "droppedAttributesCount",
                    r.dropped_attributes_count.into(),
                    false,
                );
                o.insert("resource".into(), J::Object(ro));
            }
            put_str(&mut o, "schemaUrl", &rs.schema_url);
            let scope_spans = rs
                .scope_spans
                .iter()
                .map(|ss| {
                    let mut so = Map::new();
                    if let Some(sc) = &ss.scope {
                        let mut sco = Map::new();
                        put_str(&mut sco, "name", &sc.name);
                        put_str(&mut sco, "version", &sc.version);
                        put_attrs(&mut sco, "attributes", &sc.attributes);
                        put_u64(
                            &mut sco,
                            "droppedAttributesCount",
                            sc.dropped_attributes_count.into(),
                            false,
                        );
                        so.insert("scope".into(), J::Object(sco));
                    }
                    put_str(&mut so, "schemaUrl", &ss.schema_url);
                    so.insert("spans".into(), J::Array(ss.spans.iter().map(render_span).collect()));
                    J::Object(so)
                })
                .collect();
            o.insert("scopeSpans".into(), J::Array(scope_spans));
            J::Object(o)
        })
        .collect();
    json!({ "resourceSpans": J::Array(resource_spans) })
}

fn render_span(s: &Span) -> J {
    let mut o = Map::new();
    put_str(&mut o, "traceId", &hex(&s.trace_id));
    put_str(&mut o, "spanId", &hex(&s.span_id));
    put_str(&mut o, "traceState", &s.trace_state);
    put_str(&mut o, "parentSpanId", &hex(&s.parent_span_id));
    put_u64(&mut o, "flags", s.flags.into(), false);
    put_str(&mut o, "name", &s.name);
    put_u64(&mut o, "kind", u64::try_from(s.kind).unwrap_or(0), false);
    put_u64(&mut o, "startTimeUnixNano", s.start_time_unix_nano, true);
    put_u64(&mut o, "endTimeUnixNano", s.end_time_unix_nano, true);
    put_attrs(&mut o, "attributes", &s.attributes);
    put_u64(&mut o, "droppedAttributesCount", s.dropped_attributes_count.into(), false);
    if !s.events.is_empty() {
        let events = s
            .events
            .iter()
            .map(|e| {
                let mut eo = Map::new();
                put_u64(&mut eo, "timeUnixNano", e.time_unix_nano, true);
                put_str(&mut eo, "name", &e.name);
                put_attrs(&mut eo, "attributes", &e.attributes);
                put_u64(
                    &mut eo,
                    "droppedAttributesCount",
                    e.dropped_attributes_count.into(),
                    false,
                );
                J::Object(eo)
            })
            .collect();
        o.insert("events".into(), J::Array(events));
    }
    put_u64(&mut o, "droppedEventsCount", s.dropped_events_count.into(), false);
    if !s.links.is_empty() {
        let links = s
            .links
            .iter()
            .map(|l| {
                let mut lo = Map::new();
                put_str(&mut lo, "traceId", &hex(&l.trace_id));
                put_str(&mut lo, "spanId", &hex(&l.span_id));
                put_str(&mut lo, "traceState", &l.trace_state);
                put_attrs(&mut lo, "attributes", &l.attributes);
                put_u64(
                    &mut lo,
                    "droppedAttributesCount",
                    l.dropped_attributes_count.into(),
                    false,
                );
                put_u64(&mut lo, "flags", l.flags.into(), false);
                J::Object(lo)
            })
            .collect();
        o.insert("links".into(), J::Array(links));
    }
    put_u64(&mut o, "droppedLinksCount", s.dropped_links_count.into(), false);
    if let Some(st) = &s.status {
        let mut sto = Map::new();
        put_str(&mut sto, "message", &st.message);
        put_u64(&mut sto, "code", u64::try_from(st.code).unwrap_or(0), false);
        if !sto.is_empty() {
            o.insert("status".into(), J::Object(sto));
        }
    }
    J::Object(o)
}

fn put_str(o: &mut Map<String, J>, key: &str, v: &str) {
    if !v.is_empty() {
        o.insert(key.into(), J::String(v.into()));
    }
}

fn put_u64(o: &mut Map<String, J>, key: &str, v: u64, as_string: bool) {
    if v != 0 {
        o.insert(key.into(), if as_string { J::String(v.to_string()) } else { J::from(v) });
    }
}

fn put_attrs(o: &mut Map<String, J>, key: &str, attrs: &[KeyValue]) {
    if !attrs.is_empty() {
        o.insert(key.into(), J::Array(attrs.iter().map(key_value_json).collect()));
    }
}

fn key_value_json(kv: &KeyValue) -> J {
    let value = kv.value.as_ref().map_or(json!({}), any_value_json);
    json!({ "key": kv.key, "value": value })
}

fn any_value_json(v: &AnyValue) -> J {
    match &v.value {
        None => json!({}),
        Some(Value::StringValue(s)) => json!({ "stringValue": s }),
        Some(Value::BoolValue(b)) => json!({ "boolValue": b }),
        Some(Value::IntValue(i)) => json!({ "intValue": i.to_string() }),
        // Non-finite doubles have no JSON number; OTLP/JSON spells them as strings.
        Some(Value::DoubleValue(d)) if d.is_finite() => json!({ "doubleValue": d }),
        Some(Value::DoubleValue(d)) => json!({ "doubleValue": d.to_string() }),
        Some(Value::ArrayValue(a)) => {
            json!({ "arrayValue": { "values": a.values.iter().map(any_value_json).collect::<Vec<_>>() } })
        }
        Some(Value::KvlistValue(l)) => {
            json!({ "kvlistValue": { "values": l.values.iter().map(key_value_json).collect::<Vec<_>>() } })
        }
        Some(Value::BytesValue(b)) => {
            json!({ "bytesValue": base64::engine::general_purpose::STANDARD.encode(b) })
        }
    }
}

fn check_golden(dir: &Path, rendered: &str, update: bool, problems: &mut Vec<String>) {
    let path = dir.join(GOLDEN);
    if update {
        if let Err(e) = std::fs::write(&path, rendered) {
            problems.push(format!("writing {GOLDEN}: {e}"));
        }
        return;
    }
    let Ok(want) = std::fs::read_to_string(&path) else {
        problems.push(format!(
            "{GOLDEN} missing: review the decoded output, then write it with \
             UPDATE_GOLDEN=1 cargo test -p translators --test golden"
        ));
        return;
    };
    if want != rendered {
        let a: J = serde_json::from_str(&want).unwrap_or(J::Null);
        let b: J = serde_json::from_str(rendered).unwrap_or(J::Null);
        let where_ = first_difference(&a, &b, "$").unwrap_or_else(|| "formatting only".into());
        problems.push(format!(
            "decoded OTLP differs from {GOLDEN} ({where_}); UPDATE_GOLDEN=1 rewrites it"
        ));
    }
}

/// The first path where two JSON values differ, with both sides.
fn first_difference(a: &J, b: &J, path: &str) -> Option<String> {
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(va), Some(vb)) => first_difference(va, vb, &format!("{path}.{k}")),
                (va, vb) => {
                    Some(format!("at {path}.{k}: golden {} vs now {}", short(va), short(vb)))
                }
            })
        }
        (J::Array(x), J::Array(y)) => {
            let found = x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (va, vb))| first_difference(va, vb, &format!("{path}[{i}]")));
            found.or_else(|| {
                (x.len() != y.len())
                    .then(|| format!("at {path}: golden has {} items, now {}", x.len(), y.len()))
            })
        }
        _ if a == b => None,
        _ => Some(format!("at {path}: golden {a} vs now {b}")),
    }
}

fn short(v: Option<&J>) -> String {
    match v {
        None => "nothing".into(),
        Some(v) => {
            let s = v.to_string();
            if s.len() > 120 {
                format!("{}...", &s[..s.char_indices().nth(117).map_or(s.len(), |(i, _)| i)])
            } else {
                s
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (3) round trip: OTLP → the same format → OTLP keeps every span as it was. Spans are compared
// one by one (with their resource and scope), ordered by ids, so regrouping does not count.

fn check_round_trip(format: Format, decoded: &Decoded, problems: &mut Vec<String>) {
    let first = canonical_spans(decoded);
    let mut again = Decoded::default();
    for req in &decoded.requests {
        let encoded = encode_traces(format, req);
        for r in &encoded.rejected {
            problems.push(format!("round trip: encoding to {format} rejected {r}"));
        }
        match decode_traces(format, &encoded.bytes) {
            Ok(d) => {
                again.requests.extend(d.requests);
                again.rejected.extend(d.rejected);
            }
            Err(e) => {
                problems.push(format!("round trip: decoding our own {format} output failed: {e}"));
                return;
            }
        }
    }
    for r in &again.rejected {
        problems.push(format!("round trip: decoder rejected our own {format} output: {r}"));
    }
    let second = canonical_spans(&again);
    if first != second {
        let where_ = first_difference(&J::Array(first), &J::Array(second), "$spans")
            .unwrap_or_else(|| "?".into());
        problems.push(format!(
            "round trip through {format} changed the spans ({})",
            where_.replace("golden", "before").replace("now", "after")
        ));
    }
}

fn canonical_spans(decoded: &Decoded) -> Vec<J> {
    let mut out: Vec<(String, J)> = all_spans(decoded)
        .into_iter()
        .map(|f| {
            let mut span = render_span(f.span);
            sort_attributes(&mut span);
            let mut resource = f
                .resource
                .map_or(Vec::new(), |r| r.attributes.iter().map(key_value_json).collect());
            resource.sort_by_key(|kv| kv["key"].as_str().unwrap_or_default().to_string());
            let scope =
                f.scope.map_or(json!({}), |s| json!({ "name": s.name, "version": s.version }));
            let key = format!("{}{}", hex(&f.span.trace_id), hex(&f.span.span_id));
            (key, json!({ "resource": resource, "scope": scope, "span": span }))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, j)| j).collect()
}

/// Attribute order carries no meaning; sorts every `attributes` list by key.
fn sort_attributes(v: &mut J) {
    match v {
        J::Object(o) => {
            for (k, child) in o.iter_mut() {
                if k == "attributes" {
                    if let J::Array(items) = child {
                        items.sort_by_key(|kv| kv["key"].as_str().unwrap_or_default().to_string());
                    }
                }
                sort_attributes(child);
            }
        }
        J::Array(items) => items.iter_mut().for_each(sort_attributes),
        _ => {}
    }
}
