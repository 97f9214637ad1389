//! The `otlp` receiver over real sockets: what real OpenTelemetry SDKs sent (the golden fixtures of the
//! Python and Node OTLP exporters) posted over OTLP/HTTP (protobuf, JSON, gzip) and called over OTLP/gRPC,
//! read back from the service's `file` exporter and compared span by span with the direct decoding and the
//! fixtures' `expect` blocks; the answers the OTLP specification asks for (partial success, `google.rpc.Status`
//! bodies, status codes) for bad input, limits and backpressure; and the self-metrics on the admin port.

use bytes::Bytes;
use otelbridge::service::Running;
use prost::Message as _;
use serde_json::{json, Value};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tonic::codec::CompressionEncoding;
use translators::otlp::model::{
    any_value, AnyValue, ExportTraceServiceRequest, ExportTraceServiceResponse, KeyValue, Span,
};
use translators::{decode_traces, encode_traces, Format};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../translators/tests/fixtures");
const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// `google.rpc.Status`, the body of OTLP/HTTP error answers.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// A running service with an `otlp` receiver (gRPC and HTTP on free ports) writing to a `file` exporter.
struct Bridge {
    running: Running,
    out: PathBuf,
    client: reqwest::Client,
}

/// One span as it came out, with its resource and scope.
#[derive(Debug, Clone, PartialEq)]
struct Out {
    resource: Vec<KeyValue>,
    scope: (String, String),
    span: Span,
}

impl Out {
    fn service(&self) -> Option<Value> {
        self.resource.iter().find(|kv| kv.key == "service.name").and_then(|kv| value(&kv.value))
    }
}

struct Answer {
    status: u16,
    content_type: String,
    retry_after: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    /// The `google.rpc.Status` of an error answer, in the encoding of the request.
    fn rpc_status(&self) -> RpcStatus {
        if self.content_type == "application/x-protobuf" {
            RpcStatus::decode(&self.body[..]).expect("a protobuf google.rpc.Status")
        } else {
            assert_eq!(self.content_type, "application/json");
            let json: Value = serde_json::from_slice(&self.body).expect("a JSON google.rpc.Status");
            RpcStatus {
                code: json["code"].as_i64().expect("code") as i32,
                message: json["message"].as_str().expect("message").to_string(),
            }
        }
    }
}

fn temp_path(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir()
        .join(format!("otelbridge-receiver-otlp-{}-{n}", std::process::id()))
        .join(name)
}

fn merge(base: &mut Value, extra: Value) {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
}

impl Bridge {
    async fn start(server: Value) -> Bridge {
        Self::start_with(server, json!({})).await
    }

    /// `server` (limits) applies to both protocols; `exporter` is merged into the file exporter's settings.
    async fn start_with(server: Value, exporter: Value) -> Bridge {
        let out = temp_path("traces.ndjson");
        let mut protocol = json!({"endpoint": "127.0.0.1:0"});
        merge(&mut protocol, server);
        let mut exporter_config = json!({"path": out});
        merge(&mut exporter_config, exporter);
        let config = otelbridge::config::from_tree(json!({
            "receivers": {"otlp": {"protocols": {"grpc": protocol, "http": protocol}}},
            "exporters": {"file": exporter_config},
            "pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["file"]}},
            "service": {"admin": {"endpoint": "127.0.0.1:0"}, "shutdown_timeout": "2s"},
        }))
        .expect("valid config");
        let running = otelbridge::service::start(config).await.expect("service starts");
        Bridge { running, out, client: reqwest::Client::new() }
    }

    fn http(&self) -> SocketAddr {
        self.running.address("otlp", "http").expect("otlp listens on http")
    }

    fn grpc(&self) -> SocketAddr {
        self.running.address("otlp", "grpc").expect("otlp listens on grpc")
    }

    async fn post(&self, content_type: &str, encoding: Option<&str>, body: Vec<u8>) -> Answer {
        let mut request = self
            .client
            .post(format!("http://{}/v1/traces", self.http()))
            .header("content-type", content_type)
            .body(body);
        if let Some(encoding) = encoding {
            request = request.header("content-encoding", encoding);
        }
        let response = request.send().await.expect("the receiver answers");
        let header =
            |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_string());
        Answer {
            status: response.status().as_u16(),
            content_type: header("content-type").unwrap_or_default(),
            retry_after: header("retry-after"),
            body: response.bytes().await.expect("an answer body").to_vec(),
        }
    }

    /// One `Export` call with already-encoded request bytes, on a new connection.
    async fn export(
        &self,
        body: Vec<u8>,
        compression: Option<CompressionEncoding>,
    ) -> Result<ExportTraceServiceResponse, tonic::Status> {
        let channel = tonic::transport::Channel::from_shared(format!("http://{}", self.grpc()))
            .unwrap()
            .connect()
            .await
            .expect("connects");
        otelbridge::grpc::call_unary(
            channel,
            EXPORT,
            tonic::Request::new(Bytes::from(body)),
            compression,
        )
        .await
        .map(tonic::Response::into_inner)
    }

    /// Waits until at least `n` spans were written; returns every span written so far.
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

    /// A counter of one transport of the otlp receiver, e.g. (`http`, `received_items`, None).
    async fn counter(&self, transport: &str, family: &str, reason: Option<&str>) -> u64 {
        let text = reqwest::get(format!("http://{}/metrics", self.running.admin))
            .await
            .expect("admin answers")
            .text()
            .await
            .expect("metrics text");
        let mut labels =
            format!(r#"component_kind="receiver",component_id="otlp",transport="{transport}""#);
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

fn read_out(path: &Path) -> Vec<Out> {
    let Ok(text) = std::fs::read(path) else { return Vec::new() };
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
        let resource =
            resource_spans.resource.as_ref().map(|r| r.attributes.clone()).unwrap_or_default();
        for scope_spans in &resource_spans.scope_spans {
            let scope = scope_spans
                .scope
                .as_ref()
                .map(|s| (s.name.clone(), s.version.clone()))
                .unwrap_or_default();
            for span in &scope_spans.spans {
                out.push(Out {
                    resource: resource.clone(),
                    scope: scope.clone(),
                    span: span.clone(),
                });
            }
        }
    }
    out
}

/// The spans the translators read from `input` directly: what must come out of the service unchanged.
fn direct(format: Format, input: &[u8]) -> Vec<Out> {
    let decoded = decode_traces(format, input).expect("decodes");
    assert!(decoded.rejected.is_empty(), "{:?}", decoded.rejected);
    flatten(&decoded.requests)
}

fn sorted(mut spans: Vec<Out>) -> Vec<Out> {
    spans.sort_by(|a, b| {
        (&a.span.trace_id, &a.span.span_id, &a.span.name).cmp(&(
            &b.span.trace_id,
            &b.span.span_id,
            &b.span.name,
        ))
    });
    spans
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn value(any: &Option<AnyValue>) -> Option<Value> {
    Some(match any.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => json!(s),
        any_value::Value::BoolValue(b) => json!(b),
        any_value::Value::IntValue(i) => json!(i),
        any_value::Value::DoubleValue(d) => json!(d),
        any_value::Value::ArrayValue(a) => Value::Array(
            a.values.iter().map(|v| value(&Some(v.clone())).unwrap_or(Value::Null)).collect(),
        ),
        other => json!(format!("{other:?}")),
    })
}

fn attribute(attributes: &[KeyValue], key: &str) -> Option<Value> {
    value(&attributes.iter().find(|kv| kv.key == key)?.value)
}

/// Checks `(key, value)` pairs of an `expect` block's attribute list.
fn check_attributes(what: &str, want: &Value, got: &[KeyValue]) {
    for attr in want.as_array().into_iter().flatten() {
        let key = attr["key"].as_str().unwrap();
        assert_eq!(attribute(got, key).as_ref(), Some(&attr["value"]), "{what}.{key}");
    }
}

const KINDS: [&str; 6] = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"];
const STATUS: [&str; 3] = ["UNSET", "OK", "ERROR"];

/// Checks the spans that came out against a fixture's `expect` block (what the SDK was told to emit).
fn check_expect(case: &str, meta: &Value, spans: &[Out]) {
    let expect = &meta["expect"];
    assert_eq!(spans.len() as u64, expect["span_count"].as_u64().unwrap(), "{case}");
    for out in spans {
        let name = &out.span.name;
        assert_eq!(out.service().as_ref(), Some(&expect["service_name"]), "{case}: {name}");
        assert_eq!(hex(&out.span.trace_id), expect["trace_id"], "{case}: {name}");
        assert_eq!(out.scope.0, expect["scope"]["name"], "{case}: {name}");
        assert_eq!(out.scope.1, expect["scope"]["version"], "{case}: {name}");
        check_attributes(
            &format!("{case}: resource"),
            &expect["resource_attributes"],
            &out.resource,
        );
    }
    let by_name = |name: &str| {
        &spans
            .iter()
            .find(|o| o.span.name == name)
            .unwrap_or_else(|| panic!("{case}: no span {name}"))
            .span
    };
    for want in expect["spans"].as_array().unwrap() {
        let name = want["name"].as_str().unwrap();
        let span = by_name(name);
        let what = format!("{case}: {name}");
        assert_eq!(hex(&span.span_id), want["span_id"], "{what} id");
        assert_eq!(KINDS[span.kind as usize], want["kind"], "{what} kind");
        match want["parent"].as_str() {
            None => assert!(span.parent_span_id.is_empty(), "{what} has a parent"),
            Some(parent) => {
                assert_eq!(span.parent_span_id, by_name(parent).span_id, "{what} parent")
            }
        }
        assert_eq!(span.start_time_unix_nano, want["start_time_unix_nano"], "{what} start");
        assert_eq!(span.end_time_unix_nano, want["end_time_unix_nano"], "{what} end");
        let status = span.status.clone().unwrap_or_default();
        assert_eq!(STATUS[status.code as usize], want["status"]["code"], "{what} status");
        if let Some(message) = want["status"].get("message") {
            assert_eq!(status.message, *message, "{what} status message");
        }
        check_attributes(&what, &want["attributes"], &span.attributes);
        let events = want["events"].as_array().cloned().unwrap_or_default();
        assert_eq!(span.events.len(), events.len(), "{what} events");
        for (got, event) in span.events.iter().zip(&events) {
            assert_eq!(got.name, event["name"], "{what} event");
            assert_eq!(got.time_unix_nano, event["time_unix_nano"], "{what} event time");
            check_attributes(&format!("{what} event"), &event["attributes"], &got.attributes);
        }
        let links = want["links"].as_array().cloned().unwrap_or_default();
        assert_eq!(span.links.len(), links.len(), "{what} links");
        for (got, link) in span.links.iter().zip(&links) {
            assert_eq!(got.span_id, by_name(link["span"].as_str().unwrap()).span_id, "{what} link");
            check_attributes(&format!("{what} link"), &link["attributes"], &got.attributes);
        }
    }
}

/// A real-SDK fixture: (case, meta.json, input bytes).
fn fixture(case: &str) -> (Value, Vec<u8>) {
    let dir = Path::new(FIXTURES).join(case);
    let meta: Value =
        serde_json::from_slice(&std::fs::read(dir.join("meta.json")).unwrap()).unwrap();
    let input = std::fs::read(dir.join(meta["input"].as_str().unwrap())).unwrap();
    (meta, input)
}

const PROTO_CASES: [&str; 2] = ["otlp-proto/python-otel-sdk", "otlp-proto/node-otel-sdk"];
const JSON_CASE: &str = "otlp-json/node-otel-sdk";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// OTLP/JSON with `n` spans of one trace, `service.name` = `service`.
fn json_request(service: &str, spans: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "test.scope"}, "spans": spans}],
    }]}))
    .unwrap()
}

fn json_span(span_id: &str, name: &str) -> Value {
    json!({
        "traceId": "5b8efff798038103d269b633813fc60c", "spanId": span_id, "name": name, "kind": 2,
        "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000001000000",
        "attributes": [{"key": "http.request.method", "value": {"stringValue": "GET"}},
                       {"key": "http.response.status_code", "value": {"intValue": "200"}}],
    })
}

#[tokio::test]
async fn http_protobuf_json_and_gzip_from_real_sdks() {
    let mut cases: Vec<(&str, &str, bool)> = Vec::new();
    for case in PROTO_CASES {
        cases.push((case, "application/x-protobuf", false));
        cases.push((case, "application/x-protobuf", true));
    }
    cases.push((JSON_CASE, "application/json", false));
    cases.push((JSON_CASE, "application/json", true));
    for (case, content_type, gzipped) in cases {
        let what = format!("{case} gzip={gzipped}");
        let (meta, input) = fixture(case);
        let format =
            if content_type == "application/json" { Format::OtlpJson } else { Format::OtlpProto };
        let bridge = Bridge::start(json!({})).await;
        let (encoding, body) =
            if gzipped { (Some("gzip"), gzip(&input)) } else { (None, input.clone()) };
        let answer = bridge.post(content_type, encoding, body).await;
        assert_eq!(answer.status, 200, "{what}: {:?}", String::from_utf8_lossy(&answer.body));
        assert_eq!(answer.content_type, content_type, "{what}");
        // A full success: an empty ExportTraceServiceResponse, no partial_success.
        if format == Format::OtlpProto {
            let response = ExportTraceServiceResponse::decode(&answer.body[..]).unwrap();
            assert_eq!(response, ExportTraceServiceResponse::default(), "{what}");
        } else {
            assert_eq!(serde_json::from_slice::<Value>(&answer.body).unwrap(), json!({}), "{what}");
        }
        let want = direct(format, &input);
        bridge.wait_spans(want.len()).await;
        let n = want.len() as u64;
        assert_eq!(bridge.counter("http", "received_items", None).await, n, "{what}");
        assert_eq!(bridge.counter("http", "accepted_items", None).await, n, "{what}");
        assert_eq!(bridge.counter("http", "received_bytes", None).await, input.len() as u64);
        assert_eq!(bridge.counter("grpc", "received_items", None).await, 0, "{what}");
        let got = bridge.finish().await;
        check_expect(&what, &meta, &got);
        assert_eq!(sorted(got), sorted(want), "{what}: the service changed the spans");
    }
}

#[tokio::test]
async fn grpc_plain_and_gzip() {
    let bridge = Bridge::start(json!({})).await;
    let mut want = Vec::new();
    let mut calls = 0;
    for case in PROTO_CASES.iter().chain([&JSON_CASE]) {
        let (meta, input) = fixture(case);
        let format =
            if case.starts_with("otlp-json") { Format::OtlpJson } else { Format::OtlpProto };
        let decoded = decode_traces(format, &input).unwrap();
        check_expect(case, &meta, &flatten(&decoded.requests));
        let request = &decoded.requests[0];
        let encoded = encode_traces(Format::OtlpProto, request);
        assert!(encoded.rejected.is_empty());
        for compression in [None, Some(CompressionEncoding::Gzip)] {
            let response = bridge.export(encoded.bytes.clone(), compression).await;
            let response = response.unwrap_or_else(|s| panic!("{case} {compression:?}: {s:?}"));
            assert_eq!(response, ExportTraceServiceResponse::default(), "{case}");
            want.extend(flatten(&decoded.requests));
            calls += 1;
        }
    }
    bridge.wait_spans(want.len()).await;
    let n = want.len() as u64;
    assert_eq!(calls, 6);
    assert_eq!(bridge.counter("grpc", "received_items", None).await, n);
    assert_eq!(bridge.counter("grpc", "accepted_items", None).await, n);
    assert_eq!(bridge.counter("http", "received_items", None).await, 0);
    let got = bridge.finish().await;
    assert_eq!(sorted(got), sorted(want));
}

/// OTLP/JSON spans with a bad or missing id are rejected one by one: 200 with `partialSuccess` counting them
/// and naming each; the others go through.
#[tokio::test]
async fn partial_success_names_each_rejected_span() {
    let bridge = Bridge::start(json!({})).await;
    let mut missing = json_span("00f067aa0ba902b7", "no-trace-id");
    missing.as_object_mut().unwrap().remove("traceId");
    let spans = [
        json_span("00f067aa0ba902b1", "good-1"),
        missing,
        json_span("xyz", "bad-span-id"),
        json_span("00f067aa0ba902b4", "good-2"),
    ];
    let answer = bridge.post("application/json", None, json_request("checkout", &spans)).await;
    assert_eq!(answer.status, 200);
    let body: Value = serde_json::from_slice(&answer.body).unwrap();
    let partial = &body["partialSuccess"];
    assert_eq!(partial["rejectedSpans"], "2", "{body}");
    let message = partial["errorMessage"].as_str().unwrap();
    assert!(message.starts_with("rejected 2 of 4 spans"), "{message}");
    assert!(message.contains("resourceSpans[0].scopeSpans[0].spans[1].traceId"), "{message}");
    assert!(message.contains("traceId is missing"), "{message}");
    assert!(message.contains("resourceSpans[0].scopeSpans[0].spans[2].spanId"), "{message}");
    bridge.wait_spans(2).await;
    assert_eq!(bridge.counter("http", "received_items", None).await, 4);
    assert_eq!(bridge.counter("http", "accepted_items", None).await, 2);
    assert_eq!(bridge.counter("http", "dropped_items", Some("malformed")).await, 2);
    let got = bridge.finish().await;
    let names: Vec<&str> = got.iter().map(|o| o.span.name.as_str()).collect();
    assert_eq!(names, ["good-1", "good-2"]);
    for out in &got {
        assert_eq!(out.service(), Some(json!("checkout")));
        assert_eq!(out.scope.0, "test.scope");
        assert_eq!(hex(&out.span.trace_id), "5b8efff798038103d269b633813fc60c");
        assert_eq!(KINDS[out.span.kind as usize], "SERVER");
        assert_eq!(attribute(&out.span.attributes, "http.response.status_code"), Some(json!(200)));
    }
    assert_eq!(hex(&got[1].span.span_id), "00f067aa0ba902b4");
}

#[tokio::test]
async fn garbage_is_invalid_argument_and_wrong_content_type_is_415() {
    let bridge = Bridge::start(json!({})).await;
    // OTLP/HTTP: 400 with a google.rpc.Status in the request's encoding.
    for (content_type, body) in [
        ("application/x-protobuf", b"\xff\xff\xff\xff".to_vec()),
        ("application/json", b"{\"resourceSpans\": [".to_vec()),
        ("application/json", b"not json".to_vec()),
    ] {
        let answer = bridge.post(content_type, None, body).await;
        assert_eq!(answer.status, 400, "{content_type}");
        assert_eq!(answer.content_type, content_type);
        let status = answer.rpc_status();
        assert_eq!(status.code, tonic::Code::InvalidArgument as i32, "{status:?}");
        let format = if content_type == "application/json" { "otlp-json" } else { "otlp-proto" };
        assert!(status.message.contains(format), "{status:?}");
    }
    // Bad gzip.
    let answer = bridge.post("application/x-protobuf", Some("gzip"), b"not gzip".to_vec()).await;
    assert_eq!(answer.status, 400);
    assert!(answer.rpc_status().message.contains("gzip"), "{:?}", answer.rpc_status());
    // A content type OTLP/HTTP does not define.
    for content_type in ["text/plain", "application/x-thrift"] {
        let (_, input) = fixture(PROTO_CASES[0]);
        let answer = bridge.post(content_type, None, input).await;
        assert_eq!(answer.status, 415, "{content_type}");
        let status = answer.rpc_status();
        assert!(status.message.contains(content_type), "{status:?}");
    }
    // OTLP/gRPC: InvalidArgument with the reason.
    let status = bridge.export(b"\xff\xff\xff\xff".to_vec(), None).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("otlp-proto"), "{status:?}");
    // Every refused request is counted: 3 undecodable, 1 bad gzip, 2 content types over HTTP.
    assert_eq!(bridge.counter("http", "errors", None).await, 6);
    assert_eq!(bridge.counter("grpc", "errors", None).await, 1);
    assert_eq!(bridge.counter("http", "received_items", None).await, 0);
    // Others are unaffected.
    let (_, input) = fixture(PROTO_CASES[1]);
    assert_eq!(bridge.post("application/x-protobuf", None, input.clone()).await.status, 200);
    bridge.export(input.clone(), None).await.unwrap();
    let want = direct(Format::OtlpProto, &input);
    bridge.wait_spans(2 * want.len()).await;
    let got = bridge.finish().await;
    assert_eq!(sorted(got), sorted([want.clone(), want].concat()));
}

/// Bodies over `max_request_body_size`, spans over `max_spans_per_request` and gzip bombs over
/// `max_decompressed_size` are refused: 413 over HTTP, `ResourceExhausted` over gRPC.
#[tokio::test]
async fn limits_are_413_and_resource_exhausted() {
    let bridge = Bridge::start(json!({
        "max_request_body_size": "64KiB",
        "max_decompressed_size": "256KiB",
        "max_spans_per_request": 3,
    }))
    .await;
    let (_, four) = fixture(PROTO_CASES[0]);
    assert_eq!(direct(Format::OtlpProto, &four).len(), 4);

    // Spans per request.
    let answer = bridge.post("application/x-protobuf", None, four.clone()).await;
    assert_eq!(answer.status, 413);
    let status = answer.rpc_status();
    assert_eq!(status.code, tonic::Code::ResourceExhausted as i32);
    assert!(status.message.contains("max_spans_per_request"), "{status:?}");
    let status = bridge.export(four.clone(), None).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("max_spans_per_request"), "{status:?}");
    assert_eq!(bridge.counter("http", "dropped_items", Some("too_large")).await, 4);
    assert_eq!(bridge.counter("grpc", "dropped_items", Some("too_large")).await, 4);

    // Body size as sent: a 100 KiB body of one span with a long attribute.
    let mut big = json_span("00f067aa0ba902b1", "big");
    big["attributes"][0]["value"]["stringValue"] = json!("x".repeat(100 << 10));
    let big_json = json_request("big", &[big]);
    let big_proto = encode_traces(
        Format::OtlpProto,
        &decode_traces(Format::OtlpJson, &big_json).unwrap().requests[0],
    )
    .bytes;
    let answer = bridge.post("application/x-protobuf", None, big_proto.clone()).await;
    assert_eq!(answer.status, 413);
    assert!(answer.rpc_status().message.contains("max_request_body_size"));
    let status = bridge.export(big_proto.clone(), None).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");

    // A gzip bomb: 10 MiB of spaces in ~10 KiB.
    let bomb = gzip(&vec![b' '; 10 << 20]);
    assert!(bomb.len() < 64 << 10);
    let answer = bridge.post("application/json", Some("gzip"), bomb).await;
    assert_eq!(answer.status, 413);
    let status = answer.rpc_status();
    assert_eq!(status.code, tonic::Code::ResourceExhausted as i32);
    assert!(status.message.contains("max_decompressed_size"), "{status:?}");
    let status =
        bridge.export(vec![0x0a; 10 << 20], Some(CompressionEncoding::Gzip)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert_eq!(bridge.counter("http", "accepted_items", None).await, 0);
    assert_eq!(bridge.counter("grpc", "accepted_items", None).await, 0);
    // The body and the bomb, over both (over gRPC tonic refuses the bomb before the receiver; the
    // server wrapper counts it).
    assert_eq!(bridge.counter("http", "errors", None).await, 2);
    assert_eq!(bridge.counter("grpc", "errors", None).await, 2);

    // Within the limits, the big span goes through compressed: gzip over HTTP and over gRPC.
    let answer = bridge.post("application/x-protobuf", Some("gzip"), gzip(&big_proto)).await;
    assert_eq!(answer.status, 200);
    bridge.export(big_proto.clone(), Some(CompressionEncoding::Gzip)).await.unwrap();
    bridge.wait_spans(2).await;
    let got = bridge.finish().await;
    assert_eq!(
        got,
        [direct(Format::OtlpProto, &big_proto), direct(Format::OtlpProto, &big_proto)].concat()
    );
    assert_eq!(got[0].span.attributes[0].key, "http.request.method");
    assert_eq!(
        attribute(&got[0].span.attributes, "http.request.method"),
        Some(json!("x".repeat(100 << 10)))
    );
}

#[tokio::test]
async fn the_connection_over_the_limit_gets_503_or_unavailable() {
    let bridge = Bridge::start(json!({"max_concurrent_connections": 1})).await;
    let (_, input) = fixture(PROTO_CASES[0]);
    let http_holder = tokio::net::TcpStream::connect(bridge.http()).await.unwrap();
    let grpc_holder = tokio::net::TcpStream::connect(bridge.grpc()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let answer = bridge.post("application/x-protobuf", None, input.clone()).await;
    assert_eq!(answer.status, 503);
    assert!(String::from_utf8_lossy(&answer.body).contains("too many concurrent connections"));
    let status = bridge.export(input.clone(), None).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    assert!(status.message().contains("too many concurrent connections (limit 1)"), "{status:?}");

    // The slots free when the held connections close.
    drop((http_holder, grpc_holder));
    let mut http_status = 0;
    let mut grpc_result = Err(tonic::Status::unknown("not tried"));
    for _ in 0..50 {
        if http_status != 200 {
            http_status = bridge.post("application/x-protobuf", None, input.clone()).await.status;
        }
        if grpc_result.is_err() {
            grpc_result = bridge.export(input.clone(), None).await;
        }
        if http_status == 200 && grpc_result.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(http_status, 200);
    grpc_result.unwrap();
    let want = direct(Format::OtlpProto, &input);
    bridge.wait_spans(2 * want.len()).await;
    let got = bridge.finish().await;
    assert_eq!(sorted(got), sorted([want.clone(), want].concat()));
}

/// A full exporter queue reaches the sender: 429 (drop_newest) or 503 (block) with `Retry-After` over HTTP,
/// `Unavailable` over gRPC. The exporter writes to /dev/full, so it never drains.
#[tokio::test]
async fn backpressure_reaches_http_and_grpc_senders() {
    for (when_full, http_status) in [("drop_newest", 429), ("block", 503)] {
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
        let (_, input) = fixture(PROTO_CASES[0]);
        let mut statuses = Vec::new();
        let mut refused = None;
        for _ in 0..4 {
            let answer = bridge.post("application/x-protobuf", None, input.clone()).await;
            statuses.push(answer.status);
            if answer.status != 200 {
                refused = Some(answer);
            }
        }
        let refused = refused.unwrap_or_else(|| panic!("{when_full}: never refused: {statuses:?}"));
        assert_eq!(refused.status, http_status, "{when_full}: {statuses:?}");
        assert_eq!(refused.retry_after.as_deref(), Some("1"), "{when_full}");
        let status = refused.rpc_status();
        assert_eq!(status.code, tonic::Code::Unavailable as i32, "{status:?}");
        assert!(status.message.contains("queue of exporter file"), "{status:?}");
        let refused_http = statuses.iter().filter(|s| **s != 200).count() as u64;
        assert_eq!(bridge.counter("http", "refused_items", None).await, 4 * refused_http);

        let status = bridge.export(input.clone(), None).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unavailable, "{when_full}: {status:?}");
        assert!(status.message().contains("queue of exporter file"), "{status:?}");
        assert_eq!(bridge.counter("grpc", "refused_items", None).await, 4);
        bridge.running.shutdown().await;
    }
}

/// The OTLP specification calls a trace id of other than 16 bytes, a span id of other than 8, or all-zero
/// ids invalid. OTLP/JSON rejects such spans one by one (partial success, see above); the protobuf path
/// should too, over HTTP and gRPC alike.
#[tokio::test]
async fn protobuf_spans_with_invalid_ids_are_rejected_one_by_one() {
    let bridge = Bridge::start(json!({})).await;
    let spans = [
        json_span("00f067aa0ba902b1", "good"),
        json_span("00f067aa0ba902b2", "short-trace-id"),
        json_span("00f067aa0ba902b3", "zero-span-id"),
    ];
    let mut request = decode_traces(Format::OtlpJson, &json_request("checkout", &spans))
        .unwrap()
        .requests
        .remove(0);
    let decoded = &mut request.resource_spans[0].scope_spans[0].spans;
    decoded[1].trace_id = vec![1, 2, 3];
    decoded[2].span_id = vec![0; 8];
    let body = encode_traces(Format::OtlpProto, &request).bytes;
    let answer = bridge.post("application/x-protobuf", None, body.clone()).await;
    assert_eq!(answer.status, 200);
    let response = ExportTraceServiceResponse::decode(&answer.body[..]).unwrap();
    let partial = response.partial_success.expect("a partial success");
    assert_eq!(partial.rejected_spans, 2, "{partial:?}");
    let response = bridge.export(body, None).await.unwrap();
    assert_eq!(response.partial_success.map(|p| p.rejected_spans), Some(2));
    bridge.wait_spans(2).await;
    let got = bridge.finish().await;
    let names: Vec<&str> = got.iter().map(|o| o.span.name.as_str()).collect();
    assert_eq!(names, ["good", "good"]);
}

/// A gRPC client keeps one channel (one HTTP/2 connection). If that connection was over the limit, it is
/// answered `Unavailable` and closed, so the client's next call reconnects and gets through once a slot is
/// free, on the same channel.
#[tokio::test]
async fn a_grpc_channel_refused_over_the_limit_recovers() {
    let bridge = Bridge::start(json!({"max_concurrent_connections": 1})).await;
    let (_, input) = fixture(PROTO_CASES[0]);
    let holder = tokio::net::TcpStream::connect(bridge.grpc()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", bridge.grpc()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let call = || {
        otelbridge::grpc::call_unary::<ExportTraceServiceResponse>(
            channel.clone(),
            EXPORT,
            tonic::Request::new(Bytes::from(input.clone())),
            None,
        )
    };
    let status = call().await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    drop(holder);
    let mut result = Err(status);
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        result = call().await.map(tonic::Response::into_inner);
        if result.is_ok() {
            break;
        }
    }
    assert_eq!(result.unwrap(), ExportTraceServiceResponse::default());
    let want = direct(Format::OtlpProto, &input);
    bridge.wait_spans(want.len()).await;
    assert_eq!(sorted(bridge.finish().await), sorted(want));
}
