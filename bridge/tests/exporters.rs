//! The trace exporters over real sockets: OTLP/HTTP into the service → each exporter → a sink server in this
//! test that decodes what arrived (with the translators) and compares it field by field with what was sent.
//! Also the delivery rules: 503 + Retry-After then 200 (retried once, after the server's wait), 400 (not
//! retried, counted as a permanent drop), target down then up, gRPC Unavailable, OTLP partial success,
//! headers, basic auth and gzip as they arrive.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use otelbridge::grpc::{BoxFuture, UnaryMethod, UnaryServer};
use otelbridge::service::Running;
use otelbridge::telemetry::metrics::{ComponentMetrics, DropReason, Kind};
use otelbridge::testing::{OtlpSink, SinkMode};
use prost::Message as _;
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use translators::jaeger::model::PostSpansResponse;
use translators::otlp::attributes;
use translators::otlp::model::{
    span::{Event, Link, SpanKind},
    status::StatusCode as OtlpStatus,
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
    InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span, Status,
};
use translators::{decode_traces, Format};

// ---------------------------------------------------------------------------------------------------------
// What is sent: two resources (two services), three spans with typed attributes, events, a link, statuses.

const T0: u64 = 1_700_000_000_123_456_000; // whole microseconds: every format keeps them exactly

fn trace_id() -> Vec<u8> {
    vec![
        0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47,
        0x36,
    ]
}

fn sent() -> ExportTraceServiceRequest {
    let server = Span {
        trace_id: trace_id(),
        span_id: vec![0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7],
        name: "GET /cart".into(),
        kind: SpanKind::Server as i32,
        flags: 1,
        start_time_unix_nano: T0,
        end_time_unix_nano: T0 + 25_000_000,
        attributes: vec![
            attributes::string("http.request.method", "GET"),
            attributes::int("http.response.status_code", 500),
            attributes::bool("cache.hit", false),
            attributes::double("load", 0.75),
        ],
        events: vec![Event {
            time_unix_nano: T0 + 2_000_000,
            name: "exception".into(),
            attributes: vec![
                attributes::string("exception.type", "TimeoutError"),
                attributes::int("attempt", 3),
            ],
            dropped_attributes_count: 0,
        }],
        status: Some(Status {
            code: OtlpStatus::Error as i32,
            message: "upstream timed out".into(),
        }),
        ..Span::default()
    };
    let client = Span {
        trace_id: trace_id(),
        span_id: vec![0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
        parent_span_id: server.span_id.clone(),
        name: "SELECT cart".into(),
        kind: SpanKind::Client as i32,
        flags: 1,
        start_time_unix_nano: T0 + 1_000_000,
        end_time_unix_nano: T0 + 9_000_000,
        attributes: vec![
            attributes::string("db.system", "postgresql"),
            attributes::int("db.rows", 12),
        ],
        events: vec![Event {
            time_unix_nano: T0 + 3_000_000,
            name: "retry".into(),
            ..Event::default()
        }],
        ..Span::default()
    };
    let consumer = Span {
        trace_id: vec![0x01; 16],
        span_id: vec![0x0a; 8],
        name: "charge".into(),
        kind: SpanKind::Consumer as i32,
        flags: 1,
        start_time_unix_nano: T0 + 30_000_000,
        end_time_unix_nano: T0 + 31_000_000,
        attributes: vec![attributes::string("messaging.system", "kafka")],
        links: vec![Link {
            trace_id: trace_id(),
            span_id: server.span_id.clone(),
            ..Link::default()
        }],
        status: Some(Status { code: OtlpStatus::Ok as i32, message: String::new() }),
        ..Span::default()
    };
    let resource = |service: &str, extra: Vec<translators::otlp::model::KeyValue>| {
        let mut attrs = vec![attributes::string("service.name", service)];
        attrs.extend(extra);
        Some(Resource { attributes: attrs, dropped_attributes_count: 0 })
    };
    let scope = |name: &str, version: &str| {
        Some(InstrumentationScope {
            name: name.into(),
            version: version.into(),
            ..InstrumentationScope::default()
        })
    };
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                resource: resource("checkout", vec![attributes::string("host.name", "web-1")]),
                scope_spans: vec![ScopeSpans {
                    scope: scope("shop.http", "1.2.0"),
                    spans: vec![server, client],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            },
            ResourceSpans {
                resource: resource("payments", vec![]),
                scope_spans: vec![ScopeSpans {
                    scope: scope("pay.kafka", "0.9"),
                    spans: vec![consumer],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            },
        ],
    }
}

const SENT_SPANS: u64 = 3;

// ---------------------------------------------------------------------------------------------------------
// Field-by-field comparison.

/// A span with the names of its resource's service and its scope.
#[derive(Debug, Clone)]
struct Flat {
    service: String,
    resource: BTreeMap<String, String>,
    scope: String,
    span: Span,
}

fn text_map(kvs: &[translators::otlp::model::KeyValue]) -> BTreeMap<String, String> {
    kvs.iter()
        .map(|kv| {
            (
                kv.key.clone(),
                attributes::to_tag_string(kv.value.as_ref().and_then(|v| v.value.as_ref())),
            )
        })
        .collect()
}

fn flatten(requests: &[ExportTraceServiceRequest]) -> BTreeMap<Vec<u8>, Flat> {
    let mut out = BTreeMap::new();
    for rs in requests.iter().flat_map(|r| &r.resource_spans) {
        let resource_attrs = rs.resource.as_ref().map(|r| r.attributes.clone()).unwrap_or_default();
        let service =
            attributes::get_str(&resource_attrs, "service.name").unwrap_or("").to_string();
        for ss in &rs.scope_spans {
            let scope = ss.scope.as_ref().map(|s| s.name.clone()).unwrap_or_default();
            for span in &ss.spans {
                out.insert(
                    span.span_id.clone(),
                    Flat {
                        service: service.clone(),
                        resource: text_map(&resource_attrs),
                        scope: scope.clone(),
                        span: span.clone(),
                    },
                );
            }
        }
    }
    out
}

/// What a legacy format can carry is compared: ids, name, kind, times, status, every sent attribute (as
/// text: Zipkin tags are strings), events (name, time, attributes), service and scope; Jaeger also keeps the
/// other resource attributes and links.
fn assert_same(
    received: &[ExportTraceServiceRequest],
    format: &str,
    keeps_resource_and_links: bool,
) {
    let sent = flatten(&[sent()]);
    let got = flatten(received);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        sent.keys().collect::<Vec<_>>(),
        "{format}: span ids"
    );
    for (id, want) in &sent {
        let have = &got[id];
        let (w, h) = (&want.span, &have.span);
        let what = format!("{format}: span {:?}", w.name);
        assert_eq!(h.trace_id, w.trace_id, "{what}: trace id");
        assert_eq!(h.parent_span_id, w.parent_span_id, "{what}: parent");
        assert_eq!(h.name, w.name, "{what}: name");
        assert_eq!(h.kind, w.kind, "{what}: kind");
        assert_eq!(
            (h.start_time_unix_nano, h.end_time_unix_nano),
            (w.start_time_unix_nano, w.end_time_unix_nano),
            "{what}: times"
        );
        let status =
            |s: &Span| s.status.clone().map(|s| (s.code, s.message)).unwrap_or((0, String::new()));
        assert_eq!(status(h), status(w), "{what}: status");
        let have_attrs = text_map(&h.attributes);
        for (key, value) in text_map(&w.attributes) {
            assert_eq!(
                have_attrs.get(&key),
                Some(&value),
                "{what}: attribute {key} in {have_attrs:?}"
            );
        }
        assert_eq!(h.events.len(), w.events.len(), "{what}: events");
        for (he, we) in h.events.iter().zip(&w.events) {
            assert_eq!(
                (&he.name, he.time_unix_nano),
                (&we.name, we.time_unix_nano),
                "{what}: event"
            );
            assert_eq!(
                text_map(&he.attributes),
                text_map(&we.attributes),
                "{what}: event attributes"
            );
        }
        assert_eq!(have.service, want.service, "{what}: service");
        assert_eq!(have.scope, want.scope, "{what}: scope");
        if keeps_resource_and_links {
            for (key, value) in &want.resource {
                assert_eq!(have.resource.get(key), Some(value), "{what}: resource attribute {key}");
            }
            let links = |s: &Span| {
                s.links.iter().map(|l| (l.trace_id.clone(), l.span_id.clone())).collect::<Vec<_>>()
            };
            assert_eq!(links(h), links(w), "{what}: links");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// The service under test.

fn retry() -> Value {
    json!({ "initial_interval": "50ms", "max_interval": "200ms", "max_elapsed_time": "30s" })
}

async fn start(exporter_id: &str, mut settings: Value) -> Running {
    if settings.get("retry_on_failure").is_none() {
        settings["retry_on_failure"] = retry();
    }
    let tree = json!({
        "receivers": { "otlp": { "protocols": { "http": { "endpoint": "127.0.0.1:0" } } } },
        "exporters": { exporter_id: settings },
        "pipelines": { "traces": { "receivers": ["otlp"], "exporters": [exporter_id] } },
        "service": { "admin": { "endpoint": "127.0.0.1:0" }, "shutdown_timeout": "5s" },
    });
    let config = otelbridge::config::from_tree(tree).unwrap_or_else(|p| panic!("{p}"));
    otelbridge::service::start(config).await.unwrap()
}

/// Posts the sent request to the service's OTLP/HTTP receiver.
async fn send(running: &Running) {
    let address = running.address("otlp", "http").unwrap();
    let response = reqwest::Client::new()
        .post(format!("http://{address}/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .body(sent().encode_to_vec())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

fn metrics(running: &Running, id: &str) -> Arc<ComponentMetrics> {
    running.registry.component(Kind::Exporter, id)
}

async fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done()
}

fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

// ---------------------------------------------------------------------------------------------------------
// An HTTP sink: records every request (body decompressed) and answers from a script, then with `default`.

#[derive(Debug, Clone)]
struct Recorded {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
    at: Instant,
}

#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn status(status: u16) -> Self {
        Reply { status, headers: Vec::new(), body: Vec::new() }
    }
}

struct HttpSinkState {
    requests: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Reply>>,
    default: Reply,
}

struct HttpSink {
    address: SocketAddr,
    state: Arc<HttpSinkState>,
}

async fn handle(
    State(state): State<Arc<HttpSinkState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match headers.get("content-encoding").map(|v| v.to_str().unwrap_or("")) {
        Some("gzip") => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut out).unwrap();
            out
        }
        _ => body.to_vec(),
    };
    state.requests.lock().unwrap().push(Recorded {
        path: uri.path().to_string(),
        headers,
        body,
        at: Instant::now(),
    });
    let reply = state.script.lock().unwrap().pop_front().unwrap_or_else(|| state.default.clone());
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

impl HttpSink {
    async fn start(default: Reply, script: Vec<Reply>) -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap(), default, script).await
    }

    async fn start_on(address: SocketAddr, default: Reply, script: Vec<Reply>) -> Self {
        let listener = tokio::net::TcpListener::bind(address).await.unwrap();
        let address = listener.local_addr().unwrap();
        let state = Arc::new(HttpSinkState {
            requests: Mutex::new(Vec::new()),
            script: Mutex::new(script.into()),
            default,
        });
        let app = axum::Router::new().fallback(handle).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        HttpSink { address, state }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    async fn wait_for_requests(&self, n: usize) -> Vec<Recorded> {
        wait_until(Duration::from_secs(10), || self.requests().len() >= n).await;
        self.requests()
    }
}

// ---------------------------------------------------------------------------------------------------------
// A Jaeger collector's gRPC PostSpans: records metadata and message bytes.

type PostSpansLog = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

struct PostSpans(PostSpansLog);

impl UnaryMethod for PostSpans {
    type Response = PostSpansResponse;
    const SERVICE: &'static str = "jaeger.api_v2.CollectorService";
    const PATH: &'static str = "/jaeger.api_v2.CollectorService/PostSpans";
    fn call(
        &self,
        request: tonic::Request<Bytes>,
    ) -> BoxFuture<Result<tonic::Response<PostSpansResponse>, tonic::Status>> {
        let log = self.0.clone();
        Box::pin(async move {
            let headers = request.metadata().clone().into_headers();
            log.lock().unwrap().push((headers, request.into_inner()));
            Ok(tonic::Response::new(PostSpansResponse {}))
        })
    }
}

async fn start_jaeger_collector() -> (SocketAddr, PostSpansLog) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let log = PostSpansLog::default();
    let service = UnaryServer::new(PostSpans(log.clone()), 64 << 20);
    let router = tonic::service::Routes::new(service).into_axum_router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (address, log)
}

fn decode_all(format: Format, bodies: &[Vec<u8>]) -> Vec<ExportTraceServiceRequest> {
    bodies
        .iter()
        .flat_map(|b| {
            let decoded = decode_traces(format, b).unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert!(decoded.rejected.is_empty(), "{:?}", decoded.rejected);
            decoded.requests
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------
// Every exporter delivers every field.

#[tokio::test]
async fn otlp_grpc_delivers_the_request_unchanged() {
    let sink = OtlpSink::start().await.unwrap();
    let running = start("otlp", json!({ "endpoint": sink.endpoint() })).await;
    send(&running).await;
    let received = sink.wait_for_spans(SENT_SPANS, Duration::from_secs(10)).await;
    assert_eq!(received, vec![sent()], "OTLP/gRPC must carry the request as it came");
    let m = metrics(&running, "otlp");
    assert!(
        wait_until(Duration::from_secs(2), || m.sent.load(Ordering::Relaxed) == SENT_SPANS).await
    );
    assert_eq!(m.bytes_out.load(Ordering::Relaxed), sent().encode_to_vec().len() as u64);
    running.shutdown().await;
}

#[tokio::test]
async fn otlphttp_posts_gzip_protobuf_with_headers_to_v1_traces() {
    let sink = HttpSink::start(Reply::status(200), vec![]).await;
    let running = start(
        "otlphttp",
        json!({ "endpoint": sink.url(""), "headers": { "x-api-key": "secret-1" } }),
    )
    .await;
    send(&running).await;
    let requests = sink.wait_for_requests(1).await;
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/v1/traces");
    assert_eq!(r.headers["content-type"], "application/x-protobuf");
    assert_eq!(r.headers["content-encoding"], "gzip", "gzip is the default");
    assert_eq!(r.headers["x-api-key"], "secret-1");
    let received = decode_all(Format::OtlpProto, std::slice::from_ref(&r.body));
    assert_eq!(received, vec![sent()]);
    let m = metrics(&running, "otlphttp");
    assert!(
        wait_until(Duration::from_secs(2), || m.sent.load(Ordering::Relaxed) == SENT_SPANS).await
    );
    assert_eq!(
        m.bytes_out.load(Ordering::Relaxed),
        r.body.len() as u64,
        "bytes before compression"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn otlphttp_json_encoding_and_traces_endpoint_as_written() {
    let sink = HttpSink::start(Reply::status(200), vec![]).await;
    let running = start(
        "otlphttp/json",
        json!({ "traces_endpoint": sink.url("/custom/path"), "encoding": "json", "compression": "none" }),
    )
    .await;
    send(&running).await;
    let requests = sink.wait_for_requests(1).await;
    let r = &requests[0];
    assert_eq!(r.path, "/custom/path");
    assert_eq!(r.headers["content-type"], "application/json");
    assert!(r.headers.get("content-encoding").is_none());
    assert_eq!(decode_all(Format::OtlpJson, std::slice::from_ref(&r.body)), vec![sent()]);
    running.shutdown().await;
}

#[tokio::test]
async fn jaeger_grpc_sends_one_post_spans_per_resource_with_metadata_and_gzip() {
    let (address, log) = start_jaeger_collector().await;
    let running = start(
        "jaeger",
        json!({
            "endpoint": format!("http://{address}"),
            "headers": { "X-Tenant": "team-a" },
            "compression": "gzip",
        }),
    )
    .await;
    send(&running).await;
    assert!(wait_until(Duration::from_secs(10), || log.lock().unwrap().len() >= 2).await);
    let calls = log.lock().unwrap().clone();
    assert_eq!(calls.len(), 2, "one PostSpans per resource");
    for (headers, _) in &calls {
        assert_eq!(headers["x-tenant"], "team-a");
        assert_eq!(headers["grpc-encoding"], "gzip");
    }
    // Each call is one batch with its own process.
    let services: Vec<String> = calls
        .iter()
        .map(|(_, body)| {
            let request =
                translators::jaeger::model::PostSpansRequest::decode(body.clone()).unwrap();
            request.batch.unwrap().process.unwrap().service_name
        })
        .collect();
    assert_eq!(services, ["checkout", "payments"]);
    let bodies: Vec<Vec<u8>> = calls.iter().map(|(_, b)| b.to_vec()).collect();
    assert_same(&decode_all(Format::JaegerProto, &bodies), "jaeger-proto", true);
    let m = metrics(&running, "jaeger");
    assert!(
        wait_until(Duration::from_secs(2), || m.sent.load(Ordering::Relaxed) == SENT_SPANS).await
    );
    assert_eq!(
        m.bytes_out.load(Ordering::Relaxed),
        bodies.iter().map(|b| b.len() as u64).sum::<u64>()
    );
    running.shutdown().await;
}

#[tokio::test]
async fn jaeger_thrift_http_posts_one_batch_per_request_with_basic_auth() {
    let sink = HttpSink::start(Reply::status(202), vec![]).await;
    let running = start(
        "jaeger_thrift_http",
        json!({
            "endpoint": sink.url("/api/traces"),
            "user": "jaeger",
            "password": "s3cret",
            "headers": { "x-scope": "prod" },
        }),
    )
    .await;
    send(&running).await;
    let requests = sink.wait_for_requests(2).await;
    assert_eq!(requests.len(), 2, "one Batch (one process) per request");
    for r in &requests {
        assert_eq!(r.path, "/api/traces");
        assert_eq!(r.headers["content-type"], "application/x-thrift");
        // base64("jaeger:s3cret")
        assert_eq!(r.headers["authorization"], "Basic amFlZ2VyOnMzY3JldA==");
        assert_eq!(r.headers["x-scope"], "prod");
        assert!(r.headers.get("content-encoding").is_none(), "no compression by default");
        let decoded = decode_all(Format::JaegerThriftBinary, std::slice::from_ref(&r.body));
        assert_eq!(decoded.len(), 1, "exactly one Batch in the body");
    }
    let bodies: Vec<Vec<u8>> = requests.iter().map(|r| r.body.clone()).collect();
    assert_same(&decode_all(Format::JaegerThriftBinary, &bodies), "jaeger-thrift-binary", true);
    let m = metrics(&running, "jaeger_thrift_http");
    assert!(
        wait_until(Duration::from_secs(2), || m.sent.load(Ordering::Relaxed) == SENT_SPANS).await
    );
    running.shutdown().await;
}

#[tokio::test]
async fn zipkin_json_delivers_every_field() {
    let sink = HttpSink::start(Reply::status(202), vec![]).await;
    let running = start("zipkin", json!({ "endpoint": sink.url("/api/v2/spans") })).await;
    send(&running).await;
    let requests = sink.wait_for_requests(1).await;
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/api/v2/spans");
    assert_eq!(r.headers["content-type"], "application/json");
    assert!(r.headers.get("content-encoding").is_none());
    let list: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(3));
    assert_same(
        &decode_all(Format::ZipkinJson, std::slice::from_ref(&r.body)),
        "zipkin-json",
        false,
    );
    running.shutdown().await;
}

#[tokio::test]
async fn zipkin_proto_with_gzip_delivers_every_field() {
    let sink = HttpSink::start(Reply::status(202), vec![]).await;
    let running = start(
        "zipkin/proto",
        json!({ "endpoint": sink.url("/api/v2/spans"), "format": "proto", "compression": "gzip" }),
    )
    .await;
    send(&running).await;
    let requests = sink.wait_for_requests(1).await;
    let r = &requests[0];
    assert_eq!(r.headers["content-type"], "application/x-protobuf");
    assert_eq!(r.headers["content-encoding"], "gzip");
    assert_same(
        &decode_all(Format::ZipkinProto, std::slice::from_ref(&r.body)),
        "zipkin-proto",
        false,
    );
    let m = metrics(&running, "zipkin/proto");
    assert!(
        wait_until(Duration::from_secs(2), || m.sent.load(Ordering::Relaxed) == SENT_SPANS).await
    );
    assert_eq!(m.bytes_out.load(Ordering::Relaxed), r.body.len() as u64);
    running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------------------
// Delivery rules.

#[tokio::test]
async fn retry_after_of_a_503_is_honoured_and_the_batch_delivered_once() {
    let busy =
        Reply { status: 503, headers: vec![("retry-after", "1".into())], body: b"busy".to_vec() };
    let sink = HttpSink::start(Reply::status(200), vec![busy]).await;
    // The backoff alone would wait 50 ms: a second's wait can only come from Retry-After.
    let running = start("otlphttp", json!({ "endpoint": sink.url("") })).await;
    send(&running).await;
    let requests = sink.wait_for_requests(2).await;
    let m = metrics(&running, "otlphttp");
    assert!(
        wait_until(Duration::from_secs(3), || m.sent.load(Ordering::Relaxed) == SENT_SPANS).await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let requests_after = sink.requests();
    assert_eq!(requests_after.len(), 2, "one refused attempt, one delivery, nothing more");
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_millis(900), "Retry-After: 1 was not honoured ({waited:?})");
    assert_eq!(requests[0].body, requests[1].body, "the same batch is sent again");
    assert_eq!(m.sent.load(Ordering::Relaxed), SENT_SPANS);
    assert_eq!(m.send_failed.load(Ordering::Relaxed), SENT_SPANS);
    assert_eq!(m.dropped_count(DropReason::Permanent), 0);
    running.shutdown().await;
}

#[tokio::test]
async fn a_400_is_not_retried_and_is_counted_as_a_permanent_drop() {
    let sink =
        HttpSink::start(Reply { status: 400, headers: vec![], body: b"bad span".to_vec() }, vec![])
            .await;
    let running = start("jaeger_thrift_http", json!({ "endpoint": sink.url("/api/traces") })).await;
    send(&running).await;
    let m = metrics(&running, "jaeger_thrift_http");
    assert!(
        wait_until(Duration::from_secs(5), || m.dropped_count(DropReason::Permanent) == SENT_SPANS)
            .await,
        "dropped permanent: {}",
        m.dropped_count(DropReason::Permanent)
    );
    // Several retry intervals (50 ms) later, still only the one attempt.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.requests().len(), 1, "a 400 must not be retried");
    assert_eq!(m.sent.load(Ordering::Relaxed), 0);
    let admin = running.admin;
    let text = reqwest::get(format!("http://{admin}/metrics")).await.unwrap().text().await.unwrap();
    assert!(
        text.lines().any(|l| l.contains("jaeger_thrift_http")
            && l.contains("permanent_error")
            && l.ends_with(" 3")),
        "{text}"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn a_500_from_a_legacy_backend_is_retried() {
    let sink =
        HttpSink::start(Reply::status(202), vec![Reply::status(500), Reply::status(500)]).await;
    let running = start("zipkin", json!({ "endpoint": sink.url("/api/v2/spans") })).await;
    send(&running).await;
    let requests = sink.wait_for_requests(3).await;
    assert_eq!(requests.len(), 3);
    assert_same(
        &decode_all(Format::ZipkinJson, std::slice::from_ref(&requests[2].body)),
        "zipkin-json",
        false,
    );
    running.shutdown().await;
}

#[tokio::test]
async fn otlp_partial_success_counts_the_rejected_spans_as_dropped() {
    let answer = ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess {
            rejected_spans: 1,
            error_message: "span 0a0a0a0a0a0a0a0a: too old".into(),
        }),
    };
    let reply = Reply {
        status: 200,
        headers: vec![("content-type", "application/x-protobuf".into())],
        body: answer.encode_to_vec(),
    };
    let sink = HttpSink::start(reply, vec![]).await;
    let running = start("otlphttp", json!({ "endpoint": sink.url("") })).await;
    send(&running).await;
    let m = metrics(&running, "otlphttp");
    assert!(
        wait_until(Duration::from_secs(5), || m.dropped_count(DropReason::Permanent) == 1).await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.requests().len(), 1, "a partial success is not retried");
    running.shutdown().await;
}

#[tokio::test]
async fn otlp_grpc_unavailable_is_retried_until_the_backend_takes_it() {
    let sink = OtlpSink::start().await.unwrap();
    sink.set_mode(SinkMode::Unavailable);
    let running = start("otlp", json!({ "endpoint": sink.endpoint() })).await;
    send(&running).await;
    let m = metrics(&running, "otlp");
    assert!(
        wait_until(Duration::from_secs(5), || m.send_failed.load(Ordering::Relaxed)
            >= 2 * SENT_SPANS)
        .await
    );
    sink.set_mode(SinkMode::Accept);
    let received = sink.wait_for_spans(SENT_SPANS, Duration::from_secs(10)).await;
    assert_eq!(received, vec![sent()]);
    assert!(
        wait_until(Duration::from_secs(2), || m.sent.load(Ordering::Relaxed) == SENT_SPANS).await
    );
    running.shutdown().await;
}

#[tokio::test]
async fn otlp_grpc_target_down_then_up_gets_the_data() {
    let address = free_address();
    let running =
        start("otlp", json!({ "endpoint": format!("http://{address}"), "timeout": "1s" })).await;
    send(&running).await;
    let m = metrics(&running, "otlp");
    assert!(
        wait_until(Duration::from_secs(10), || m.send_failed.load(Ordering::Relaxed)
            >= 2 * SENT_SPANS)
        .await,
        "connection failures are retried"
    );
    let sink = OtlpSink::start_with(&address.to_string(), true).await.unwrap();
    let received = sink.wait_for_spans(SENT_SPANS, Duration::from_secs(15)).await;
    assert_eq!(received, vec![sent()]);
    assert_eq!(m.dropped_count(DropReason::Permanent), 0);
    running.shutdown().await;
}

#[tokio::test]
async fn zipkin_target_down_then_up_gets_the_data() {
    let address = free_address();
    let running = start(
        "zipkin",
        json!({ "endpoint": format!("http://{address}/api/v2/spans"), "timeout": "1s" }),
    )
    .await;
    send(&running).await;
    let m = metrics(&running, "zipkin");
    assert!(
        wait_until(Duration::from_secs(10), || m.send_failed.load(Ordering::Relaxed)
            >= 2 * SENT_SPANS)
        .await,
        "connection failures are retried"
    );
    let sink = HttpSink::start_on(address, Reply::status(202), vec![]).await;
    let requests = sink.wait_for_requests(1).await;
    assert_same(
        &decode_all(Format::ZipkinJson, std::slice::from_ref(&requests[0].body)),
        "zipkin-json",
        false,
    );
    running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------------------
// Settings are checked with their key path.

#[test]
fn bad_settings_are_reported_with_their_key_path() {
    let problems = |exporters: Value| {
        let ids: Vec<String> = exporters.as_object().unwrap().keys().cloned().collect();
        let tree = json!({
            "receivers": { "otlp": {} },
            "exporters": exporters,
            "pipelines": { "traces": { "receivers": ["otlp"], "exporters": ids } },
        });
        otelbridge::config::from_tree(tree).unwrap_err().to_string()
    };
    let text = problems(json!({ "otlp": { "endpont": "x:4317" } }));
    assert!(text.contains("exporters.otlp") && text.contains("endpoint"), "{text}");
    let text = problems(json!({ "otlp": {} }));
    assert!(text.contains("exporters.otlp.endpoint: endpoint is required"), "{text}");
    let text = problems(json!({ "zipkin": { "endpoint": "zipkin:9411" } }));
    assert!(text.contains("exporters.zipkin.endpoint"), "{text}");
    let text =
        problems(json!({ "zipkin": { "endpoint": "http://z/api/v2/spans", "format": "thrift" } }));
    assert!(text.contains("exporters.zipkin.format"), "{text}");
    let text =
        problems(json!({ "jaeger": { "endpoint": "j:14250", "tls": { "cert_file": "/c.pem" } } }));
    assert!(text.contains("exporters.jaeger.tls") && text.contains("key_file"), "{text}");
    let text =
        problems(json!({ "otlphttp": { "endpoint": "http://h:4318", "compression": "zstd" } }));
    assert!(text.contains("exporters.otlphttp.compression"), "{text}");
}

// ---------------------------------------------------------------------------------------------------------
// TLS: a test CA (EC P-256, valid to 2126) signing a server certificate for 127.0.0.1 / localhost and a
// client certificate. Made with openssl once; the servers below are tonic's rustls servers.

const CA_CERT: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBoDCCAUegAwIBAgIUU+JnI1kRptgsukgEt+kbnW0vnHkwCgYIKoZIzj0EAwIw\n\
HTEbMBkGA1UEAwwSb3RlbGJyaWRnZSB0ZXN0IENBMCAXDTI2MTEyNTEwMzgxNloY\n\
DzIxMjYxMTAxMTAzODE2WjAdMRswGQYDVQQDDBJvdGVsYnJpZGdlIHRlc3QgQ0Ew\n\
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQOreo47lDFLXFkOZnEgxlmGDOK1zkX\n\
2z1YB1x9khrL6LTLfdTr+MUvom1yQwmdJquUMiGRLcS6PHsqpPeSqeD2o2MwYTAd\n\
BgNVHQ4EFgQUlppFJeXFaGAKYFJfhSl2G6GB0sIwHwYDVR0jBBgwFoAUlppFJeXF\n\
aGAKYFJfhSl2G6GB0sIwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYw\n\
CgYIKoZIzj0EAwIDRwAwRAIgBbhqQ7+6SmZ/ED+qWJ3aPv/s6muasAdRqdmt2dCF\n\
Z1cCIAThz9WK6JV8bOnHn2juXZ2OyjFSOlQ1u6600G9Qq3S5\n\
-----END CERTIFICATE-----\n";

const SERVER_CERT: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIByDCCAW6gAwIBAgIUegApFKhCKgNMkSNjRIFh2CeGE0QwCgYIKoZIzj0EAwIw\n\
HTEbMBkGA1UEAwwSb3RlbGJyaWRnZSB0ZXN0IENBMCAXDTI2MTEyNTEwMzgxNloY\n\
DzIxMjYxMTAxMTAzODE2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjO\n\
PQIBBggqhkjOPQMBBwNCAASjMNaqqiBvcT4RBZB6nILbHYqax3yVODeeVTA1XNDO\n\
qr5d0gH5CpKqlpHIKfGN9eCeeThvTcYgo/lwqkTQ1p+4o4GSMIGPMAwGA1UdEwEB\n\
/wQCMAAwDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMBoGA1Ud\n\
EQQTMBGCCWxvY2FsaG9zdIcEfwAAATAdBgNVHQ4EFgQUsztjYcpfmad1ldmlt363\n\
YMz5h2kwHwYDVR0jBBgwFoAUlppFJeXFaGAKYFJfhSl2G6GB0sIwCgYIKoZIzj0E\n\
AwIDSAAwRQIhANhaD8NNfHzgeeIv55pS68osG/pUJB79B+rtLD3LP6nRAiByjVRf\n\
XzfdIycGnashAGiMz1wDmtIxbgWrP6dOejZ1zw==\n\
-----END CERTIFICATE-----\n";

const SERVER_KEY: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgp5rGNpL1PGzf9LFS\n\
uTUqkuVxHLXqUkrU7x+ngNQTKJ+hRANCAASjMNaqqiBvcT4RBZB6nILbHYqax3yV\n\
ODeeVTA1XNDOqr5d0gH5CpKqlpHIKfGN9eCeeThvTcYgo/lwqkTQ1p+4\n\
-----END PRIVATE KEY-----\n";

const CLIENT_CERT: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBsTCCAVigAwIBAgIUegApFKhCKgNMkSNjRIFh2CeGE0UwCgYIKoZIzj0EAwIw\n\
HTEbMBkGA1UEAwwSb3RlbGJyaWRnZSB0ZXN0IENBMCAXDTI2MTEyNTEwMzgxNloY\n\
DzIxMjYxMTAxMTAzODE2WjAcMRowGAYDVQQDDBFvdGVsYnJpZGdlIGNsaWVudDBZ\n\
MBMGByqGSM49AgEGCCqGSM49AwEHA0IABM7ZS8ZgelpVs13qnu1BIyVbkC3geDPn\n\
p3P+UtdlcBBUoU+qb2FwmFrgH7/fS3yUIrqo9dvnsnldCqEshYrm3lmjdTBzMAwG\n\
A1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQMMAoGCCsGAQUFBwMC\n\
MB0GA1UdDgQWBBQ2adhJ1s1RoVaHKSigw7Z0d4AvsTAfBgNVHSMEGDAWgBSWmkUl\n\
5cVoYApgUl+FKXYboYHSwjAKBggqhkjOPQQDAgNHADBEAiAYF+jkDUhLd5tCrZY6\n\
7TGEx3UsMVu7tmFTvMzTEddtpwIgCZuUgZd/qPPOChjmwQdk7dmC6bvNaSykWxY0\n\
bJGpzNk=\n\
-----END CERTIFICATE-----\n";

const CLIENT_KEY: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgO4oQtYKB1234Rgeq\n\
YeaKsl+Y2hCn7IVhpzRnL0yA8EmhRANCAATO2UvGYHpaVbNd6p7tQSMlW5At4Hgz\n\
56dz/lLXZXAQVKFPqm9hcJha4B+/30t8lCK6qPXb57J5XQqhLIWK5t5Z\n\
-----END PRIVATE KEY-----\n";

/// Writes the PEM files into a fresh folder and returns their paths by name.
fn tls_files(test: &str) -> BTreeMap<&'static str, String> {
    let dir =
        std::env::temp_dir().join(format!("otelbridge-exporters-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = BTreeMap::new();
    for (name, pem) in [("ca", CA_CERT), ("client_cert", CLIENT_CERT), ("client_key", CLIENT_KEY)] {
        let path = dir.join(format!("{name}.pem"));
        std::fs::write(&path, pem).unwrap();
        paths.insert(name, path.display().to_string());
    }
    paths
}

/// Serves `routes` over TLS on 127.0.0.1 (HTTP/2 only), asking for a client certificate from the test CA
/// when `mutual`.
fn start_tls_server(routes: tonic::service::Routes, mutual: bool) -> SocketAddr {
    use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
    let address = free_address();
    let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(SERVER_CERT, SERVER_KEY));
    if mutual {
        tls = tls.client_ca_root(Certificate::from_pem(CA_CERT));
    }
    let server = Server::builder().tls_config(tls).unwrap().add_routes(routes);
    tokio::spawn(async move { server.serve(address).await.unwrap() });
    address
}

/// An OTLP/gRPC Export method recording the request messages.
struct OtlpExport(Arc<Mutex<Vec<Bytes>>>);

impl UnaryMethod for OtlpExport {
    type Response = ExportTraceServiceResponse;
    const SERVICE: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    fn call(
        &self,
        request: tonic::Request<Bytes>,
    ) -> BoxFuture<Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status>> {
        let log = self.0.clone();
        Box::pin(async move {
            log.lock().unwrap().push(request.into_inner());
            Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
        })
    }
}

#[tokio::test]
async fn otlp_grpc_over_mutual_tls_with_a_private_ca() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let routes = tonic::service::Routes::new(UnaryServer::new(OtlpExport(log.clone()), 64 << 20));
    let address = start_tls_server(routes, true);
    let files = tls_files("grpc-mtls");
    // No scheme: TLS, as in the Collector.
    let running = start(
        "otlp",
        json!({
            "endpoint": format!("127.0.0.1:{}", address.port()),
            "tls": { "ca_file": files["ca"], "cert_file": files["client_cert"], "key_file": files["client_key"] },
        }),
    )
    .await;
    send(&running).await;
    assert!(wait_until(Duration::from_secs(10), || !log.lock().unwrap().is_empty()).await);
    let bodies: Vec<Vec<u8>> = log.lock().unwrap().iter().map(|b| b.to_vec()).collect();
    assert_eq!(decode_all(Format::OtlpProto, &bodies), vec![sent()]);
    running.shutdown().await;
}

#[tokio::test]
async fn otlp_grpc_refuses_a_server_its_ca_does_not_vouch_for() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let routes = tonic::service::Routes::new(UnaryServer::new(OtlpExport(log.clone()), 64 << 20));
    let address = start_tls_server(routes, false);
    // The built-in roots do not know the test CA.
    let running =
        start("otlp", json!({ "endpoint": format!("https://127.0.0.1:{}", address.port()) })).await;
    send(&running).await;
    let m = metrics(&running, "otlp");
    assert!(
        wait_until(Duration::from_secs(10), || m.send_failed.load(Ordering::Relaxed) >= SENT_SPANS)
            .await
    );
    assert!(log.lock().unwrap().is_empty());
    assert_eq!(m.sent.load(Ordering::Relaxed), 0);
    running.shutdown().await;
}

#[tokio::test]
async fn otlphttp_over_https_with_a_private_ca_or_without_verification() {
    let state = Arc::new(HttpSinkState {
        requests: Mutex::new(Vec::new()),
        script: Mutex::new(VecDeque::new()),
        default: Reply::status(200),
    });
    let app = axum::Router::new().fallback(handle).with_state(state.clone());
    let address = start_tls_server(tonic::service::Routes::from(app), true);
    let files = tls_files("https");
    let tls = json!({ "ca_file": files["ca"], "cert_file": files["client_cert"], "key_file": files["client_key"] });
    let running = start(
        "otlphttp",
        json!({ "endpoint": format!("https://127.0.0.1:{}", address.port()), "tls": tls }),
    )
    .await;
    send(&running).await;
    assert!(
        wait_until(Duration::from_secs(10), || !state.requests.lock().unwrap().is_empty()).await
    );
    let body = state.requests.lock().unwrap()[0].body.clone();
    assert_eq!(decode_all(Format::OtlpProto, &[body]), vec![sent()]);
    running.shutdown().await;

    // insecure_skip_verify: the test CA is not given, the server is taken anyway (client cert still sent).
    let tls = json!({ "insecure_skip_verify": true, "cert_file": files["client_cert"], "key_file": files["client_key"] });
    let running = start(
        "otlphttp",
        json!({ "endpoint": format!("https://localhost:{}", address.port()), "tls": tls }),
    )
    .await;
    send(&running).await;
    assert!(
        wait_until(Duration::from_secs(10), || state.requests.lock().unwrap().len() >= 2).await
    );
    running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------------------
// The exporter the OTEL_EXPORTER_OTLP_* variables ask for, as `otelbridge run` without a config builds it.

#[tokio::test]
async fn the_otlp_exporter_from_the_sdk_environment_variables_delivers() {
    let sink = OtlpSink::start().await.unwrap();
    let env: Vec<(String, String)> = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", sink.endpoint()),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=abc%20def".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let tree =
        otelbridge::commands::run::default_tree(&env, std::path::Path::new("./otelbridge-data"));
    assert_eq!(tree["pipelines"]["traces"]["exporters"], json!(["store", "otlp/env"]));
    let settings = tree["exporters"]["otlp/env"].clone();
    assert_eq!(settings["headers"], json!({ "x-api-key": "abc def" }));
    let running = start("otlp/env", settings).await;
    send(&running).await;
    let received = sink.wait_for_spans(SENT_SPANS, Duration::from_secs(10)).await;
    assert_eq!(received, vec![sent()]);
    running.shutdown().await;

    // http/protobuf: an otlphttp exporter posting to <endpoint>/v1/traces.
    let http = HttpSink::start(Reply::status(200), vec![]).await;
    let env: Vec<(String, String)> = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", http.url("")),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_string()),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "none".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let tree =
        otelbridge::commands::run::default_tree(&env, std::path::Path::new("./otelbridge-data"));
    let settings = tree["exporters"]["otlphttp/env"].clone();
    let running = start("otlphttp/env", settings).await;
    send(&running).await;
    let requests = http.wait_for_requests(1).await;
    assert_eq!(requests[0].path, "/v1/traces");
    assert!(requests[0].headers.get("content-encoding").is_none());
    assert_eq!(
        decode_all(Format::OtlpProto, std::slice::from_ref(&requests[0].body)),
        vec![sent()]
    );
    running.shutdown().await;
}
