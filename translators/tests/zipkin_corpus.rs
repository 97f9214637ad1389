//! Round trips through the one Zipkin ⇄ OTLP mapping.
//!
//! * Every real-world trace in `shared/corpora/zipkin-v2/`: Zipkin JSON → OTLP → Zipkin JSON
//!   (and → Zipkin proto3 → OTLP → Zipkin JSON) gives the same spans back, compared as parsed
//!   JSON values span by span (order of spans and of tags irrelevant).
//! * A rich OTLP request: OTLP → Zipkin (JSON and proto3) → OTLP keeps everything Zipkin can
//!   hold.
//! * The direct routes of `transcode` (Zipkin ⇄ OTLP protobuf without the owned model) give
//!   the same bytes and rejections as `decode_traces` → `encode_traces`, on generated
//!   requests, on every corpus trace and on the real-client fixtures.

use serde_json::Value as J;
use std::path::Path;
use translators::otlp::attributes as a;
use translators::otlp::model::{
    any_value::Value, span::Event, span::Link, span::SpanKind, status::StatusCode,
    ExportTraceServiceRequest, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span,
    Status,
};
use translators::{decode_traces, encode_traces, transcode, Encoded, Format};

mod common;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpora/zipkin-v2");

fn spans_of(doc: J) -> Vec<J> {
    match doc {
        J::Array(v) => v,
        one @ J::Object(_) => vec![one],
        other => panic!("not a span list: {other}"),
    }
}

/// The one normalisation the round trip needs. A span failed by a bare `error` tag comes back
/// with `otel.status_code: "ERROR"` as well: the spec's Zipkin status rule says the status
/// MUST be reported as `otel.status_code` whenever it is not UNSET, and Zipkin → OTLP has
/// turned the `error` tag into status ERROR. The `error` tag itself (the message) comes back
/// unchanged. Fields Zipkin treats as absent (`false` flags, empty objects and lists) are
/// dropped, since our writer omits empty fields as Zipkin's does. IPv4 text with leading
/// zeros (`10.0.0.04` in smartthings-oauth-authorization.json) is read as decimal octets and
/// written back in canonical form (`10.0.0.4`): the address is the same, its spelling is not.
fn normalise_input(mut span: J) -> J {
    let obj = span.as_object_mut().expect("span object");
    obj.retain(|_, v| {
        !matches!(v, J::Bool(false) | J::Null)
            && v != &J::Object(Default::default())
            && v != &J::Array(vec![])
    });
    if let Some(J::Object(tags)) = obj.get_mut("tags") {
        if tags.contains_key("error") && !tags.contains_key("otel.status_code") {
            tags.insert("otel.status_code".into(), J::String("ERROR".into()));
        }
    }
    for ep in ["localEndpoint", "remoteEndpoint"] {
        if let Some(J::String(ip)) = obj.get_mut(ep).and_then(|e| e.get_mut("ipv4")) {
            let octets: Vec<u8> = ip.split('.').map(|o| o.parse().unwrap()).collect();
            *ip = std::net::Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]).to_string();
        }
    }
    for key in ["traceId", "parentId", "id"] {
        if let Some(J::String(s)) = obj.get_mut(key) {
            *s = s.to_ascii_lowercase();
        }
    }
    span
}

/// Canonical text of each span (serde_json objects sort their keys), sorted.
fn canonical(spans: Vec<J>) -> Vec<String> {
    let mut v: Vec<String> = spans.into_iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn assert_same(file: &str, want: Vec<J>, got: Vec<J>) {
    assert_eq!(want.len(), got.len(), "{file}: span count");
    let (want, got) = (canonical(want), canonical(got));
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(w, g, "{file}: span differs after the round trip");
    }
}

#[test]
fn every_corpus_trace_round_trips() {
    let dir = Path::new(CORPUS);
    if !dir.is_dir() {
        eprintln!("skipped: corpus not found at {CORPUS}");
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files in {CORPUS}");
    let mut total = 0;
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let input = std::fs::read(&path).unwrap();
        let want: Vec<J> = spans_of(serde_json::from_slice(&input).unwrap())
            .into_iter()
            .map(normalise_input)
            .collect();

        let decoded = decode_traces(Format::ZipkinJson, &input).unwrap();
        assert!(decoded.rejected.is_empty(), "{file}: {:?}", decoded.rejected);
        assert_eq!(decoded.requests.len(), 1);
        assert_eq!(decoded.span_count(), want.len(), "{file}");
        let request = &decoded.requests[0];

        let json = encode_traces(Format::ZipkinJson, request);
        assert!(json.rejected.is_empty(), "{file}: {:?}", json.rejected);
        let got = spans_of(serde_json::from_slice(&json.bytes).unwrap());
        assert_same(&file, want.clone(), got);

        // The same through proto3: JSON → OTLP → proto3 → OTLP → JSON.
        let proto = encode_traces(Format::ZipkinProto, request);
        assert!(proto.rejected.is_empty());
        let again = decode_traces(Format::ZipkinProto, &proto.bytes).unwrap();
        assert!(again.rejected.is_empty());
        assert_eq!(&again.requests[0], request, "{file}: proto3 round trip changed the OTLP");
        total += want.len();
    }
    eprintln!("round-tripped {total} corpus spans");
}

fn rich_request() -> ExportTraceServiceRequest {
    let span = Span {
        trace_id: (1..=16).collect(),
        span_id: vec![1, 2, 3, 4, 5, 6, 7, 8],
        trace_state: "rojo=00f067aa0ba902b7".into(),
        parent_span_id: vec![8, 7, 6, 5, 4, 3, 2, 1],
        flags: 1,
        name: "GET /users/{id}".into(),
        kind: SpanKind::Client as i32,
        start_time_unix_nano: 1_700_000_000_123_456_000,
        end_time_unix_nano: 1_700_000_000_223_457_000,
        attributes: vec![
            a::string("http.request.method", "GET"),
            a::string("peer.service", "users"),
            a::string("network.peer.address", "10.1.2.3"),
            a::int("network.peer.port", 8080),
            a::string("network.local.address", "2001:db8::5"),
            a::int("network.local.port", 43210),
            a::string("server.address", "users.internal"),
            a::bool("otelbridge.debug", true),
        ],
        dropped_attributes_count: 1,
        events: vec![
            Event {
                time_unix_nano: 1_700_000_000_150_000_000,
                name: "retry".into(),
                ..Default::default()
            },
            Event {
                time_unix_nano: 1_700_000_000_160_000_000,
                name: "exception".into(),
                attributes: vec![
                    a::string("exception.type", "Timeout"),
                    a::int("attempt", 2),
                    a::double("backoff", 0.5),
                    a::bool("fatal", false),
                ],
                dropped_attributes_count: 0,
            },
        ],
        dropped_events_count: 2,
        links: vec![Link {
            trace_id: (17..=32).collect(),
            span_id: vec![9; 8],
            trace_state: String::new(),
            attributes: vec![a::string("link.kind", "batch")],
            dropped_attributes_count: 0,
            flags: 0,
        }],
        dropped_links_count: 3,
        status: Some(Status {
            code: StatusCode::Error as i32,
            message: "deadline exceeded".into(),
        }),
    };
    let server = Span {
        trace_id: (1..=16).collect(),
        span_id: vec![2; 8],
        parent_span_id: vec![1, 2, 3, 4, 5, 6, 7, 8],
        flags: 1,
        name: "handle".into(),
        kind: SpanKind::Server as i32,
        start_time_unix_nano: 1_700_000_000_130_000_000,
        end_time_unix_nano: 1_700_000_000_140_000_000,
        attributes: vec![a::bool("zipkin.shared", true)],
        status: Some(Status { code: StatusCode::Ok as i32, message: String::new() }),
        ..Default::default()
    };
    let internal = Span {
        trace_id: (1..=16).collect(),
        span_id: vec![3; 8],
        flags: 1,
        name: "compute".into(),
        kind: SpanKind::Internal as i32,
        start_time_unix_nano: 1_700_000_000_131_000_000,
        end_time_unix_nano: 1_700_000_000_132_000_000,
        ..Default::default()
    };
    let scope = |name: &str, version: &str| InstrumentationScope {
        name: name.into(),
        version: version.into(),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![a::string("service.name", "frontend")],
                    dropped_attributes_count: 0,
                }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(scope("io.otel.http", "1.2.0")),
                    spans: vec![span],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            },
            ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![a::string("service.name", "users")],
                    dropped_attributes_count: 0,
                }),
                scope_spans: vec![
                    ScopeSpans {
                        scope: Some(scope("io.otel.server", "")),
                        spans: vec![server],
                        schema_url: String::new(),
                    },
                    ScopeSpans {
                        scope: Some(scope("", "")),
                        spans: vec![internal],
                        schema_url: String::new(),
                    },
                ],
                schema_url: String::new(),
            },
        ],
    }
}

fn sorted_attrs(span: &Span) -> Vec<String> {
    let mut v: Vec<String> = span.attributes.iter().map(|kv| format!("{kv:?}")).collect();
    v.sort();
    v
}

#[test]
fn otlp_round_trips_through_zipkin_json_and_proto() {
    let original = rich_request();
    for format in [Format::ZipkinJson, Format::ZipkinProto] {
        let encoded = encode_traces(format, &original);
        assert!(encoded.rejected.is_empty());
        let decoded = decode_traces(format, &encoded.bytes).unwrap();
        assert!(decoded.rejected.is_empty(), "{:?}", decoded.rejected);
        let back = &decoded.requests[0];
        assert_eq!(back.resource_spans.len(), original.resource_spans.len(), "{format}");
        for (rs_b, rs_o) in back.resource_spans.iter().zip(&original.resource_spans) {
            assert_eq!(rs_b.resource, rs_o.resource, "{format}: resource (service.name)");
            assert_eq!(rs_b.scope_spans.len(), rs_o.scope_spans.len());
            for (ss_b, ss_o) in rs_b.scope_spans.iter().zip(&rs_o.scope_spans) {
                assert_eq!(ss_b.scope, ss_o.scope, "{format}: scope");
                for (b, o) in ss_b.spans.iter().zip(&ss_o.spans) {
                    let mut want = o.clone();
                    // Zipkin has no INTERNAL/UNSPECIFIED distinction: an absent kind is INTERNAL.
                    if want.kind == SpanKind::Unspecified as i32 {
                        want.kind = SpanKind::Internal as i32;
                    }
                    assert_eq!(b.trace_id, want.trace_id);
                    assert_eq!(b.span_id, want.span_id);
                    assert_eq!(b.parent_span_id, want.parent_span_id);
                    assert_eq!(b.trace_state, want.trace_state);
                    assert_eq!(b.flags, want.flags);
                    assert_eq!(b.name, want.name);
                    assert_eq!(b.kind, want.kind, "{}", want.name);
                    assert_eq!(b.start_time_unix_nano, want.start_time_unix_nano);
                    assert_eq!(b.end_time_unix_nano, want.end_time_unix_nano);
                    assert_eq!(sorted_attrs(b), sorted_attrs(&want), "{format}: {}", want.name);
                    assert_eq!(b.events, want.events, "{format}");
                    assert_eq!(b.links, want.links, "{format}");
                    assert_eq!(b.status, want.status, "{format}");
                    assert_eq!(
                        (b.dropped_attributes_count, b.dropped_events_count, b.dropped_links_count),
                        (
                            want.dropped_attributes_count,
                            want.dropped_events_count,
                            want.dropped_links_count
                        )
                    );
                }
            }
        }
    }
}

#[test]
fn non_string_attributes_come_back_as_their_tag_strings() {
    let mut req = rich_request();
    let span = &mut req.resource_spans[0].scope_spans[0].spans[0];
    span.attributes = vec![a::int("http.status_code", 503), a::bool("cache.hit", true)];
    let bytes = encode_traces(Format::ZipkinJson, &req).bytes;
    let back = decode_traces(Format::ZipkinJson, &bytes).unwrap();
    let span = &back.requests[0].resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(
        a::get(&span.attributes, "http.status_code"),
        Some(&Value::StringValue("503".into()))
    );
    assert_eq!(a::get(&span.attributes, "cache.hit"), Some(&Value::StringValue("true".into())));
}

const ZIPKIN: [Format; 4] =
    [Format::ZipkinJson, Format::ZipkinProto, Format::ZipkinV1Json, Format::ZipkinV1Thrift];

/// `decode_traces` then `encode_traces`, the owned route `transcode` must agree with.
fn owned_route(from: Format, to: Format, input: &[u8]) -> Encoded {
    let decoded = decode_traces(from, input).unwrap();
    assert_eq!(decoded.requests.len(), 1, "{from}: one request");
    let encoded = encode_traces(to, &decoded.requests[0]);
    let mut rejected = decoded.rejected;
    rejected.extend(encoded.rejected);
    Encoded { bytes: encoded.bytes, rejected }
}

/// `transcode(from, to)` equals the owned route: same bytes (hence the same spans, grouping
/// and order), same rejections. Returns the bytes.
fn assert_route(what: &str, from: Format, to: Format, input: &[u8]) -> Vec<u8> {
    let fast = transcode(from, to, input).unwrap();
    let owned = owned_route(from, to, input);
    assert_eq!(fast.rejected, owned.rejected, "{what}: {from} → {to} rejections");
    if fast.bytes != owned.bytes {
        // Show the difference as decoded spans before failing on the bytes.
        let a = decode_traces(to, &fast.bytes).unwrap();
        let b = decode_traces(to, &owned.bytes).unwrap();
        assert_eq!(a, b, "{what}: {from} → {to} spans differ");
        panic!("{what}: {from} → {to}: same spans, different bytes");
    }
    fast.bytes
}

#[test]
fn transcode_equals_decode_then_encode_on_generated_requests() {
    for seed in 0..8u64 {
        let mut request = common::gen::request(seed, 1 + 17 * seed as usize);
        if seed % 2 == 1 {
            // Rejected spans on the way out: end before start, a link with a short id.
            let spans = &mut request.resource_spans[0].scope_spans[0].spans;
            spans[0].end_time_unix_nano = 0;
            if let Some(s) = spans.get_mut(1) {
                s.links.push(Link {
                    trace_id: vec![1; 15],
                    span_id: vec![2; 8],
                    ..Default::default()
                });
            }
        }
        let proto = encode_traces(Format::OtlpProto, &request).bytes;
        for format in ZIPKIN {
            let zipkin = assert_route("generated", Format::OtlpProto, format, &proto);
            assert_route("generated", format, Format::OtlpProto, &zipkin);
        }
    }
}

#[test]
fn transcode_equals_decode_then_encode_on_the_corpus() {
    let dir = Path::new(CORPUS);
    if !dir.is_dir() {
        eprintln!("skipped: corpus not found at {CORPUS}");
        return;
    }
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let what = path.file_name().unwrap().to_string_lossy().to_string();
        let input = std::fs::read(&path).unwrap();
        let proto = assert_route(&what, Format::ZipkinJson, Format::OtlpProto, &input);
        for format in ZIPKIN {
            assert_route(&what, Format::OtlpProto, format, &proto);
        }
        n += 1;
    }
    assert!(n > 0, "no corpus files in {CORPUS}");
}

#[test]
fn transcode_equals_decode_then_encode_on_real_client_fixtures() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut n = 0;
    for (dir, format, file) in [
        ("zipkin-json", Format::ZipkinJson, "input.json"),
        ("zipkin-proto", Format::ZipkinProto, "input.bin"),
        ("zipkin-v1-json", Format::ZipkinV1Json, "input.json"),
        ("zipkin-v1-thrift", Format::ZipkinV1Thrift, "input.bin"),
    ] {
        let Ok(cases) = std::fs::read_dir(Path::new(fixtures).join(dir)) else { continue };
        for case in cases {
            let input = case.unwrap().path().join(file);
            let Ok(bytes) = std::fs::read(&input) else { continue };
            let what = input.display().to_string();
            let proto = assert_route(&what, format, Format::OtlpProto, &bytes);
            for to in ZIPKIN {
                assert_route(&what, Format::OtlpProto, to, &proto);
            }
            n += 1;
        }
    }
    assert!(n >= 4, "only {n} Zipkin fixtures found under {fixtures}");
}
