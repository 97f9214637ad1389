//! The `zipkin` receiver over real sockets: real client bytes (the golden fixtures of py-zipkin, zipkin-js and
//! the OpenTelemetry Zipkin exporters, and the shared Zipkin v2 corpus) posted to a running service, read back
//! from its `file` exporter and compared span by span with what the translators decode from the same bytes;
//! the answers (202, 400 naming items, 413, 415, 429/503) and the self-metrics on the admin port.

use otelbridge::service::Running;
use serde_json::{json, Value};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use translators::otlp::model::{any_value, ExportTraceServiceRequest, Span};
use translators::{decode_traces, Format};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../translators/tests/fixtures");
const CORPUS: &str = "/work/shared/corpora/zipkin-v2";

/// A running service with a `zipkin` receiver on a free port, writing to a `file` exporter.
struct Bridge {
    running: Running,
    base: String,
    out: PathBuf,
    client: reqwest::Client,
}

/// One span as it came out, with its resource's `service.name` and its scope.
#[derive(Debug, Clone, PartialEq)]
struct Out {
    service: String,
    scope: (String, String),
    span: Span,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

fn temp_path(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir()
        .join(format!("otelbridge-receiver-zipkin-{}-{n}", std::process::id()))
        .join(name)
}

impl Bridge {
    async fn start(receiver: Value) -> Bridge {
        Self::start_with(receiver, json!({})).await
    }

    /// `receiver` and `exporter` are merged into the defaults of this test (free ports, a temp file).
    async fn start_with(receiver: Value, exporter: Value) -> Bridge {
        let out = temp_path("traces.ndjson");
        let mut receiver_config = json!({"endpoint": "127.0.0.1:0"});
        merge(&mut receiver_config, receiver);
        let mut exporter_config = json!({"path": out});
        merge(&mut exporter_config, exporter);
        let config = otelbridge::config::from_tree(json!({
            "receivers": {"zipkin": receiver_config},
            "exporters": {"file": exporter_config},
            "pipelines": {"traces": {"receivers": ["zipkin"], "exporters": ["file"]}},
            "service": {"admin": {"endpoint": "127.0.0.1:0"}, "shutdown_timeout": "2s"},
        }))
        .expect("valid config");
        let running = otelbridge::service::start(config).await.expect("service starts");
        let address = running.address("zipkin", "http").expect("zipkin listens on http");
        Bridge { running, base: format!("http://{address}"), out, client: reqwest::Client::new() }
    }

    async fn post(
        &self,
        path: &str,
        content_type: Option<&str>,
        encoding: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut request = self.client.post(format!("{}{path}", self.base)).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(encoding) = encoding {
            request = request.header("content-encoding", encoding);
        }
        let response = request.send().await.expect("the receiver answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.expect("an answer body");
        Answer { status, headers, body }
    }

    /// Waits until at least `n` spans were written, then returns every span written so far.
    async fn wait_spans(&self, n: usize) -> Vec<Out> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let spans = read_out(&self.out);
            if spans.len() >= n || tokio::time::Instant::now() > deadline {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the service (its queue drains) and returns everything it wrote.
    async fn finish(self) -> Vec<Out> {
        drop(self.client);
        self.running.shutdown().await;
        let spans = read_out(&self.out);
        let _ = std::fs::remove_dir_all(self.out.parent().unwrap());
        spans
    }

    async fn metrics(&self) -> String {
        reqwest::get(format!("http://{}/metrics", self.running.admin))
            .await
            .expect("admin answers")
            .text()
            .await
            .expect("metrics text")
    }

    /// A counter of the zipkin receiver's `http` transport, e.g. `received_items`; `reason` for drops.
    async fn counter(&self, family: &str, reason: Option<&str>) -> u64 {
        let text = self.metrics().await;
        let mut labels =
            r#"component_kind="receiver",component_id="zipkin",transport="http""#.to_string();
        if let Some(reason) = reason {
            labels.push_str(&format!(r#",reason="{reason}""#));
        }
        let prefix = format!("otelbridge_component_{family}_total{{{labels}}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .parse()
            .expect("a number")
    }
}

fn merge(base: &mut Value, extra: Value) {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
}

fn read_out(path: &Path) -> Vec<Out> {
    let Ok(text) = std::fs::read(path) else { return Vec::new() };
    if text.is_empty() {
        return Vec::new();
    }
    // Only whole lines: the exporter may be mid-write.
    let end = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if end == 0 {
        return Vec::new();
    }
    let decoded =
        decode_traces(Format::OtlpJson, &text[..end]).expect("the file is OTLP/JSON lines");
    assert!(decoded.rejected.is_empty(), "{:?}", decoded.rejected);
    flatten(&decoded.requests)
}

fn flatten(requests: &[ExportTraceServiceRequest]) -> Vec<Out> {
    let mut out = Vec::new();
    for resource_spans in requests.iter().flat_map(|r| &r.resource_spans) {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| kv.value.as_ref())
            .and_then(|v| match &v.value {
                Some(any_value::Value::StringValue(s)) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default();
        for scope_spans in &resource_spans.scope_spans {
            let scope = scope_spans
                .scope
                .as_ref()
                .map(|s| (s.name.clone(), s.version.clone()))
                .unwrap_or_default();
            for span in &scope_spans.spans {
                out.push(Out {
                    service: service.clone(),
                    scope: scope.clone(),
                    span: span.clone(),
                });
            }
        }
    }
    out
}

/// What the translators make of `input` directly: what must come out of the service unchanged.
fn direct(format: Format, input: &[u8]) -> Vec<Out> {
    let decoded = decode_traces(format, input).expect("decodes");
    assert!(decoded.rejected.is_empty(), "{:?}", decoded.rejected);
    flatten(&decoded.requests)
}

fn sorted(mut spans: Vec<Out>) -> Vec<Out> {
    spans.sort_by(|a, b| {
        (&a.span.trace_id, &a.span.span_id, &a.span.name, a.span.kind).cmp(&(
            &b.span.trace_id,
            &b.span.span_id,
            &b.span.name,
            b.span.kind,
        ))
    });
    spans
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute(span: &Span, key: &str) -> Option<Value> {
    let value = span.attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?;
    Some(match value.value.as_ref()? {
        any_value::Value::StringValue(s) => json!(s),
        any_value::Value::BoolValue(b) => json!(b),
        any_value::Value::IntValue(i) => json!(i),
        any_value::Value::DoubleValue(d) => json!(d),
        other => json!(format!("{other:?}")),
    })
}

const KINDS: [&str; 6] = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"];

/// Checks the spans that came out against a fixture's `expect` block (what the client was told to emit).
fn check_expect(case: &str, meta: &Value, spans: &[Out]) {
    let expect = &meta["expect"];
    assert_eq!(spans.len() as u64, expect["span_count"].as_u64().unwrap(), "{case}");
    for out in spans {
        assert_eq!(
            hex(&out.span.trace_id),
            expect["trace_id"],
            "{case}: trace of {}",
            out.span.name
        );
        if let Some(scope) = expect.get("scope") {
            assert_eq!(out.scope.0, scope["name"], "{case}");
        }
    }
    let by_name = |name: &str| {
        spans
            .iter()
            .find(|o| o.span.name == name)
            .unwrap_or_else(|| panic!("{case}: no span {name}"))
    };
    for want in expect["spans"].as_array().unwrap() {
        let name = want["name"].as_str().unwrap();
        let out = by_name(name);
        let span = &out.span;
        // Per span, the service may be overridden, or absent (null: a v1 span with no endpoint at all).
        match want.get("service_name").unwrap_or(&expect["service_name"]) {
            Value::Null => assert_eq!(out.service, "", "{case}: {name} service"),
            service => assert_eq!(out.service, *service, "{case}: {name} service"),
        }
        assert_eq!(hex(&span.span_id), want["span_id"], "{case}: {name} id");
        assert_eq!(KINDS[span.kind as usize], want["kind"], "{case}: {name} kind");
        match want["parent"].as_str() {
            None => assert!(span.parent_span_id.is_empty(), "{case}: {name} has a parent"),
            Some(parent) => assert_eq!(
                span.parent_span_id,
                by_name(parent).span.span_id,
                "{case}: {name}'s parent"
            ),
        }
        for attr in want["attributes"].as_array().into_iter().flatten() {
            let key = attr["key"].as_str().unwrap();
            assert_eq!(attribute(span, key).as_ref(), Some(&attr["value"]), "{case}: {name}.{key}");
        }
        for (key, field) in [
            ("start_time_unix_nano", span.start_time_unix_nano),
            ("end_time_unix_nano", span.end_time_unix_nano),
        ] {
            if let Some(time) = want.get(key).and_then(Value::as_u64) {
                assert_eq!(field, time, "{case}: {name} {key}");
            }
        }
        let events: Vec<&str> = span.events.iter().map(|e| e.name.as_str()).collect();
        for event in want["events"].as_array().into_iter().flatten() {
            assert!(events.contains(&event["name"].as_str().unwrap()), "{case}: {name} {events:?}");
        }
    }
}

/// Every real-client fixture of a format: (case, meta.json, input bytes).
fn fixtures(format_dir: &str) -> Vec<(String, Value, Vec<u8>)> {
    let dir = Path::new(FIXTURES).join(format_dir);
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("meta.json").exists())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no fixtures in {}", dir.display());
    cases
        .into_iter()
        .map(|case| {
            let meta: Value =
                serde_json::from_slice(&std::fs::read(case.join("meta.json")).unwrap()).unwrap();
            let input = std::fs::read(case.join(meta["input"].as_str().unwrap())).unwrap();
            let name = format!("{format_dir}/{}", case.file_name().unwrap().to_string_lossy());
            (name, meta, input)
        })
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Posts every real-client fixture of `format_dir` to `path` with the client's own Content-Type; each is
/// answered 202 with an empty body, and what comes out equals the direct decoding and the `expect` block.
async fn post_fixtures(format_dir: &str, path: &str, format: Format) {
    for (case, meta, input) in fixtures(format_dir) {
        let bridge = Bridge::start(json!({})).await;
        let content_type = meta["content_type"].as_str().unwrap();
        let answer = bridge.post(path, Some(content_type), None, input.clone()).await;
        assert_eq!(answer.status, 202, "{case}: {}", answer.body);
        assert_eq!(answer.body, "", "{case}");
        let want = direct(format, &input);
        bridge.wait_spans(want.len()).await;
        let n = want.len() as u64;
        assert_eq!(bridge.counter("received_items", None).await, n, "{case}");
        assert_eq!(bridge.counter("accepted_items", None).await, n, "{case}");
        assert_eq!(bridge.counter("received_bytes", None).await, input.len() as u64, "{case}");
        let got = bridge.finish().await;
        check_expect(&case, &meta, &got);
        assert_eq!(sorted(got), sorted(want), "{case}: the service changed the spans");
    }
}

#[tokio::test]
async fn v2_json_from_real_clients() {
    post_fixtures("zipkin-json", "/api/v2/spans", Format::ZipkinJson).await;
}

#[tokio::test]
async fn v2_proto_from_real_clients() {
    post_fixtures("zipkin-proto", "/api/v2/spans", Format::ZipkinProto).await;
}

#[tokio::test]
async fn v1_json_from_real_clients() {
    post_fixtures("zipkin-v1-json", "/api/v1/spans", Format::ZipkinV1Json).await;
}

#[tokio::test]
async fn v1_thrift_from_real_clients() {
    post_fixtures("zipkin-v1-thrift", "/api/v1/spans", Format::ZipkinV1Thrift).await;
}

/// The shared corpus of real Zipkin v2 traces, gzip- and deflate-encoded, and one sent without a
/// Content-Type (the Zipkin server reads that as JSON).
#[tokio::test]
async fn corpus_gzip_deflate_and_no_content_type() {
    let bridge = Bridge::start(json!({})).await;
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(CORPUS).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 5, "corpus at {CORPUS}");
    let mut want = Vec::new();
    let mut bytes_in = 0;
    for (i, file) in files.iter().enumerate() {
        let input = std::fs::read(file).unwrap();
        let expected = direct(Format::ZipkinJson, &input);
        assert!(!expected.is_empty(), "{}", file.display());
        want.extend(expected);
        bytes_in += input.len() as u64;
        let (content_type, encoding, body) = match i % 3 {
            0 => (Some("application/json"), Some("gzip"), gzip(&input)),
            1 => (Some("application/json; charset=utf-8"), Some("deflate"), deflate(&input)),
            _ => (None, None, input),
        };
        let answer = bridge.post("/api/v2/spans", content_type, encoding, body).await;
        assert_eq!((answer.status, answer.body.as_str()), (202, ""), "{}", file.display());
    }
    bridge.wait_spans(want.len()).await;
    assert_eq!(bridge.counter("accepted_items", None).await, want.len() as u64);
    // Bytes as the decoder saw them, after decompression.
    assert_eq!(bridge.counter("received_bytes", None).await, bytes_in);
    let got = bridge.finish().await;
    assert_eq!(got.len(), want.len());
    assert_eq!(sorted(got), sorted(want));
}

#[tokio::test]
async fn rejected_spans_are_named_and_the_others_go_through() {
    let bridge = Bridge::start(json!({})).await;
    let body = br#"[
        {"traceId":"00000000000000a1","id":"zz","name":"bad-id","timestamp":1700000000000000,"duration":5},
        {"traceId":"00000000000000a1","id":"00000000000000b2","name":"negative","timestamp":1700000000000000,"duration":-5},
        {"traceId":"00000000000000a1","id":"00000000000000b3","name":"good","timestamp":1700000000000000,"duration":7,
         "kind":"SERVER","localEndpoint":{"serviceName":"checkout"},"tags":{"http.method":"GET"}}
    ]"#;
    let answer = bridge.post("/api/v2/spans", Some("application/json"), None, body.to_vec()).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("rejected 2 of 3 spans"), "{}", answer.body);
    assert!(answer.body.contains("$[0].id"), "{}", answer.body);
    assert!(answer.body.contains("$[1].duration"), "{}", answer.body);
    assert!(answer.body.contains("negative"), "{}", answer.body);
    bridge.wait_spans(1).await;
    assert_eq!(bridge.counter("received_items", None).await, 3);
    assert_eq!(bridge.counter("accepted_items", None).await, 1);
    assert_eq!(bridge.counter("dropped_items", Some("malformed")).await, 2);
    let got = bridge.finish().await;
    assert_eq!(got.len(), 1);
    let good = &got[0];
    assert_eq!(good.service, "checkout");
    assert_eq!(good.span.name, "good");
    assert_eq!(hex(&good.span.span_id), "00000000000000b3");
    assert_eq!(hex(&good.span.trace_id), "000000000000000000000000000000a1");
    assert_eq!(KINDS[good.span.kind as usize], "SERVER");
    assert_eq!(good.span.end_time_unix_nano - good.span.start_time_unix_nano, 7_000);
    assert_eq!(attribute(&good.span, "http.method"), Some(json!("GET")));
}

#[tokio::test]
async fn bad_bodies_and_content_types_are_refused_and_others_unaffected() {
    let bridge = Bridge::start(json!({})).await;
    let good = std::fs::read(Path::new(FIXTURES).join("zipkin-json/py-zipkin/input.json")).unwrap();
    let v1 =
        std::fs::read(Path::new(FIXTURES).join("zipkin-v1-json/py-zipkin/input.json")).unwrap();
    // (path, Content-Type, Content-Encoding, body, status, what the answer must say)
    type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "/api/v2/spans",
            Some("application/json"),
            None,
            b"[{\"traceId\":".to_vec(),
            400,
            "zipkin-json",
        ),
        (
            "/api/v2/spans",
            Some("application/json"),
            None,
            b"{\"not\":\"a list\"}".to_vec(),
            400,
            // Read as one span, rejected by name (the only case here that reaches the decoder's spans).
            "rejected 1 of 1 spans: $.traceId: traceId is missing",
        ),
        (
            "/api/v2/spans",
            Some("application/x-protobuf"),
            None,
            b"\xff\xff\xff".to_vec(),
            400,
            "zipkin-proto",
        ),
        (
            "/api/v1/spans",
            Some("application/x-thrift"),
            None,
            b"\x0c\x00".to_vec(),
            400,
            "zipkin-v1-thrift",
        ),
        (
            "/api/v2/spans",
            Some("application/json"),
            Some("gzip"),
            b"not gzip".to_vec(),
            400,
            "gzip",
        ),
        (
            "/api/v2/spans",
            Some("application/json"),
            Some("br"),
            good.clone(),
            400,
            "Content-Encoding",
        ),
        ("/api/v2/spans", Some("application/json"), None, v1.clone(), 400, "/api/v1/spans"),
        ("/api/v1/spans", Some("application/json"), None, good.clone(), 400, "/api/v2/spans"),
        ("/api/v2/spans", Some("text/plain"), None, good.clone(), 415, "text/plain"),
        (
            "/api/v2/spans",
            Some("application/x-thrift"),
            None,
            good.clone(),
            415,
            "application/x-thrift",
        ),
        (
            "/api/v1/spans",
            Some("application/x-protobuf"),
            None,
            v1.clone(),
            415,
            "application/x-protobuf",
        ),
    ];
    let refused = cases.len() as u64;
    for (path, content_type, encoding, body, status, reason) in cases {
        let answer = bridge.post(path, content_type, encoding, body).await;
        assert_eq!(answer.status, status, "{path} {content_type:?} {encoding:?}: {}", answer.body);
        assert!(answer.body.contains(reason), "{path} {content_type:?}: {}", answer.body);
    }
    assert_eq!(bridge.counter("errors", None).await, refused - 1);
    assert_eq!(bridge.counter("received_items", None).await, 1);
    assert_eq!(bridge.counter("dropped_items", Some("malformed")).await, 1);
    // Nothing of the refused bodies went through; the next good request does.
    let answer = bridge.post("/api/v2/spans", Some("application/json"), None, good.clone()).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    // An empty body and an empty list are accepted, as by the Zipkin server.
    for body in [&b""[..], b"[]"] {
        let answer =
            bridge.post("/api/v2/spans", Some("application/json"), None, body.to_vec()).await;
        assert_eq!(answer.status, 202, "{body:?}: {}", answer.body);
    }
    // Only POST collects spans.
    let get = bridge.client.get(format!("{}/api/v2/spans", bridge.base)).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let want = direct(Format::ZipkinJson, &good);
    bridge.wait_spans(want.len()).await;
    let got = bridge.finish().await;
    assert_eq!(sorted(got), sorted(want));
}

#[tokio::test]
async fn size_limits_answer_413_and_count_the_drops() {
    let bridge = Bridge::start(json!({
        "max_request_body_size": "16KiB",
        "max_decompressed_size": "64KiB",
        "max_spans_per_request": 3,
    }))
    .await;
    let four = std::fs::read(Path::new(FIXTURES).join("zipkin-json/py-zipkin/input.json")).unwrap();
    assert_eq!(direct(Format::ZipkinJson, &four).len(), 4);

    let big = vec![b' '; 32 << 10];
    let answer = bridge.post("/api/v2/spans", Some("application/json"), None, big).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.body.contains("max_request_body_size"), "{}", answer.body);

    let bomb = gzip(&vec![b' '; 10 << 20]);
    assert!(bomb.len() < 16 << 10, "the bomb is small on the wire: {}", bomb.len());
    let answer = bridge.post("/api/v2/spans", Some("application/json"), Some("gzip"), bomb).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.body.contains("max_decompressed_size"), "{}", answer.body);

    let answer = bridge.post("/api/v2/spans", Some("application/json"), None, four.clone()).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.body.contains("4 spans") && answer.body.contains("max_spans_per_request"));
    assert_eq!(bridge.counter("dropped_items", Some("too_large")).await, 4);
    assert_eq!(bridge.counter("errors", None).await, 2);
    assert_eq!(bridge.counter("accepted_items", None).await, 0);

    // Within the limits, the same spans go through (gzip-encoded under the body limit).
    let three: Value = serde_json::from_slice(&four).unwrap();
    let three = serde_json::to_vec(&three.as_array().unwrap()[..3]).unwrap();
    let answer =
        bridge.post("/api/v2/spans", Some("application/json"), Some("gzip"), gzip(&three)).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    bridge.wait_spans(3).await;
    let got = bridge.finish().await;
    assert_eq!(sorted(got), sorted(direct(Format::ZipkinJson, &three)));
}

/// A full exporter queue reaches the sender: `drop_newest` answers 429, `block` answers 503 after
/// `block_timeout`, both with `Retry-After`. The exporter writes to /dev/full, so it never drains.
#[tokio::test]
async fn backpressure_reaches_the_sender() {
    for (when_full, status) in [("drop_newest", 429), ("block", 503)] {
        let bridge = Bridge::start_with(
            json!({}),
            json!({
                "path": "/dev/full",
                "sending_queue": {"queue_size": 1, "num_consumers": 1, "when_full": when_full,
                                  "block_timeout": "100ms"},
                "retry_on_failure": {"initial_interval": "10s"},
            }),
        )
        .await;
        let input =
            std::fs::read(Path::new(FIXTURES).join("zipkin-json/py-zipkin/input.json")).unwrap();
        let mut statuses = Vec::new();
        let mut refused = None;
        for _ in 0..4 {
            let answer =
                bridge.post("/api/v2/spans", Some("application/json"), None, input.clone()).await;
            statuses.push(answer.status);
            if answer.status != 202 {
                refused = Some(answer);
            }
        }
        let refused = refused.unwrap_or_else(|| panic!("{when_full}: never refused: {statuses:?}"));
        assert_eq!(refused.status, status, "{when_full}: {statuses:?} {}", refused.body);
        assert_eq!(refused.headers.get("retry-after").unwrap(), "1", "{when_full}");
        assert!(refused.body.contains("queue of exporter file"), "{}", refused.body);
        assert!(statuses.contains(&202), "{when_full}: {statuses:?}");
        let refused_requests = statuses.iter().filter(|s| **s != 202).count() as u64;
        let accepted_requests = statuses.len() as u64 - refused_requests;
        assert_eq!(bridge.counter("refused_items", None).await, 4 * refused_requests);
        assert_eq!(bridge.counter("accepted_items", None).await, 4 * accepted_requests);
        bridge.running.shutdown().await;
    }
}

#[tokio::test]
async fn the_connection_over_the_limit_gets_503() {
    let bridge = Bridge::start(json!({"max_concurrent_connections": 1})).await;
    let address = bridge.running.address("zipkin", "http").unwrap();
    let holder = tokio::net::TcpStream::connect(address).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let input =
        std::fs::read(Path::new(FIXTURES).join("zipkin-json/py-zipkin/input.json")).unwrap();
    let answer = bridge.post("/api/v2/spans", Some("application/json"), None, input.clone()).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(answer.body.contains("too many concurrent connections (limit 1)"), "{}", answer.body);
    drop(holder);
    // The slot frees when the held connection closes.
    let mut status = 0;
    for _ in 0..50 {
        let answer =
            bridge.post("/api/v2/spans", Some("application/json"), None, input.clone()).await;
        status = answer.status;
        if status == 202 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 202);
    let got = bridge.finish().await;
    assert_eq!(sorted(got), sorted(direct(Format::ZipkinJson, &input)));
}

#[tokio::test]
async fn config_is_the_collectors_with_the_server_limits() {
    let problems = otelbridge::config::from_tree(json!({
        "receivers": {"zipkin": {"endpont": "0.0.0.0:9411"}},
        "exporters": {"file": {}},
        "pipelines": {"traces": {"receivers": ["zipkin"], "exporters": ["file"]}},
    }))
    .unwrap_err()
    .to_string();
    assert!(problems.contains("receivers.zipkin"), "{problems}");
    assert!(problems.contains("endpoint"), "did you mean: {problems}");
    let config = otelbridge::config::from_tree(json!({
        "receivers": {"zipkin": null, "zipkin/limited": {"max_spans_per_request": 5}},
        "exporters": {"file": {}},
        "pipelines": {"traces": {"receivers": ["zipkin", "zipkin/limited"], "exporters": ["file"]}},
    }))
    .unwrap();
    let servers: Vec<_> = config
        .receivers
        .iter()
        .map(|r| match &r.config {
            otelbridge::receivers::ReceiverConfig::Zipkin(z) => z.server.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(servers[0].endpoint_or(otelbridge::receivers::zipkin::PORT), "0.0.0.0:9411");
    assert_eq!(servers[0].max_request_body_size.0, 20 << 20);
    assert_eq!(servers[1].max_spans_per_request, 5);
}

/// Every real-client fixture, on the path users deploy: Zipkin in → OTLP/gRPC out, to a sink that records
/// what arrives.
#[tokio::test]
async fn every_fixture_reaches_an_otlp_backend_unchanged() {
    let sink = otelbridge::testing::OtlpSink::start().await.unwrap();
    let config = otelbridge::config::from_tree(json!({
        "receivers": {"zipkin": {"endpoint": "127.0.0.1:0"}},
        "exporters": {"otlp": {"endpoint": sink.endpoint()}},
        "pipelines": {"traces": {"receivers": ["zipkin"], "exporters": ["otlp"]}},
        "service": {"admin": {"endpoint": "127.0.0.1:0"}},
    }))
    .unwrap();
    let running = otelbridge::service::start(config).await.unwrap();
    let base = format!("http://{}", running.address("zipkin", "http").unwrap());
    let client = reqwest::Client::new();
    let mut want = Vec::new();
    for (dir, path, format) in [
        ("zipkin-json", "/api/v2/spans", Format::ZipkinJson),
        ("zipkin-proto", "/api/v2/spans", Format::ZipkinProto),
        ("zipkin-v1-json", "/api/v1/spans", Format::ZipkinV1Json),
        ("zipkin-v1-thrift", "/api/v1/spans", Format::ZipkinV1Thrift),
    ] {
        for (case, meta, input) in fixtures(dir) {
            let response = client
                .post(format!("{base}{path}"))
                .header("content-type", meta["content_type"].as_str().unwrap())
                .header("content-encoding", "gzip")
                .body(gzip(&input))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 202, "{case}");
            want.extend(direct(format, &input));
        }
    }
    let got = flatten(&sink.wait_for_spans(want.len() as u64, Duration::from_secs(15)).await);
    assert_eq!(got.len(), want.len());
    assert_eq!(sorted(got), sorted(want));
    running.shutdown().await;
}

/// A chunked body (no Content-Length) is cut off at `max_request_body_size` as it streams in.
#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let bridge = Bridge::start(json!({"max_request_body_size": "16KiB"})).await;
    let address = bridge.running.address("zipkin", "http").unwrap();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut request =
        b"POST /api/v2/spans HTTP/1.1\r\nHost: zipkin\r\nContent-Type: application/json\r\n\
Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            .to_vec();
    for _ in 0..3 {
        request.extend_from_slice(format!("{:x}\r\n", 8 << 10).as_bytes());
        request.extend_from_slice(&[b' '; 8 << 10]);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer before reading it all; the answer is what matters.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("max_request_body_size"), "{answer}");
    assert_eq!(bridge.counter("errors", None).await, 1);
    bridge.running.shutdown().await;
}

/// Senders speaking HTTP/2 without TLS (h2c, as Armeria-based Zipkin reporters can) are served too.
#[tokio::test]
async fn h2c_senders_are_served() {
    let bridge = Bridge::start(json!({})).await;
    let client = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    let input =
        std::fs::read(Path::new(FIXTURES).join("zipkin-proto/py-zipkin/input.bin")).unwrap();
    let response = client
        .post(format!("{}/api/v2/spans", bridge.base))
        .header("content-type", "application/x-protobuf")
        .body(input.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status().as_u16(), 202);
    let want = direct(Format::ZipkinProto, &input);
    bridge.wait_spans(want.len()).await;
    assert_eq!(sorted(bridge.finish().await), sorted(want));
}
