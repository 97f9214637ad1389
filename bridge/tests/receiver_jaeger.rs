//! The `jaeger` receiver over real sockets: UDP compact and binary (real-client datagrams from the translators'
//! fixtures and hand-written Thrift), Thrift HTTP, gRPC `PostSpans`, remote sampling; bad input, backpressure
//! and drops with their counters. Most tests start the receiver alone in front of a recording consumer (so the
//! pipeline's answer can be chosen); one runs the whole service with the file exporter and the admin port.

use async_trait::async_trait;
use bytes::Bytes;
use otelbridge::error::PipelineError;
use otelbridge::pipeline::{span_count, Consumer, Traces};
use otelbridge::receivers::jaeger::{self, JaegerReceiverConfig};
use otelbridge::receivers::{Listening, ReceiverConfig, ReceiverContext};
use otelbridge::telemetry::metrics::{ComponentMetrics, DropReason, Kind, Registry};
use prost::Message as _;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use translators::otlp::model::{any_value, KeyValue, Span};
use translators::thrift::{
    BinaryReader, BinaryWriter, CompactWriter, MessageType, ProtocolReader, ProtocolWriter, TType,
};
use translators::{decode_traces, Format};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../translators/tests/fixtures");

fn fixture(case: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{case}/input.bin")).unwrap()
}

// ---------------------------------------------------------------------------------------------------------
// A consumer standing in for the pipeline.

/// What the recording consumer answers.
#[derive(Clone)]
enum Mode {
    Accept,
    Refuse(PipelineError),
    /// Wait until the gate opens, then accept.
    Hold(Arc<tokio::sync::Semaphore>),
}

struct Recorder {
    received: Mutex<Vec<Traces>>,
    mode: Mutex<Mode>,
    calls: std::sync::atomic::AtomicUsize,
}

impl Recorder {
    fn new() -> Arc<Self> {
        Arc::new(Recorder {
            received: Mutex::new(Vec::new()),
            mode: Mutex::new(Mode::Accept),
            calls: Default::default(),
        })
    }

    fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn spans(&self) -> Vec<(Span, Vec<KeyValue>)> {
        let received = self.received.lock().unwrap();
        received
            .iter()
            .flat_map(|t| t.resource_spans.iter())
            .flat_map(|rs| {
                let resource = rs.resource.clone().unwrap_or_default().attributes;
                rs.scope_spans
                    .iter()
                    .flat_map(|ss| ss.spans.iter())
                    .map(move |s| (s.clone(), resource.clone()))
            })
            .collect()
    }

    async fn wait_for_spans(&self, n: usize) -> Vec<(Span, Vec<KeyValue>)> {
        for _ in 0..200 {
            let spans = self.spans();
            if spans.len() >= n {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("expected {n} spans, got {}", self.spans().len());
    }
}

#[async_trait]
impl Consumer for Recorder {
    async fn consume(&self, traces: Traces) -> Result<(), PipelineError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mode = self.mode.lock().unwrap().clone();
        match mode {
            Mode::Accept => {}
            Mode::Refuse(error) => return Err(error),
            Mode::Hold(gate) => drop(gate.acquire().await.unwrap()),
        }
        assert!(span_count(&traces) > 0);
        self.received.lock().unwrap().push(traces);
        Ok(())
    }
}

struct Receiver {
    listening: Vec<Listening>,
    registry: Registry,
    recorder: Arc<Recorder>,
    stop: CancellationToken,
}

impl Receiver {
    fn address(&self, transport: &str) -> SocketAddr {
        self.listening.iter().find(|l| l.transport == transport).unwrap().address
    }

    fn metrics(&self, transport: &str) -> Arc<ComponentMetrics> {
        self.registry.transport(Kind::Receiver, "jaeger", transport)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Every transport on 127.0.0.1:0, with `udp` settings for both UDP ones and `extra` merged in.
fn config(udp: Value, extra: Value) -> JaegerReceiverConfig {
    let mut udp_compact = json!({"endpoint": "127.0.0.1:0"});
    let mut udp_binary = json!({"endpoint": "127.0.0.1:0"});
    for (k, v) in udp.as_object().unwrap() {
        udp_compact[k] = v.clone();
        udp_binary[k] = v.clone();
    }
    let mut tree = json!({
        "protocols": {
            "grpc": {"endpoint": "127.0.0.1:0"},
            "thrift_http": {"endpoint": "127.0.0.1:0"},
            "thrift_compact": udp_compact,
            "thrift_binary": udp_binary,
        },
        "remote_sampling": {"endpoint": "127.0.0.1:0"},
    });
    for (k, v) in extra.as_object().unwrap() {
        tree[k] = v.clone();
    }
    typed(tree)
}

fn typed(tree: Value) -> JaegerReceiverConfig {
    match ReceiverConfig::parse("jaeger", tree, "receivers.jaeger").unwrap() {
        ReceiverConfig::Jaeger(c) => c,
        _ => unreachable!(),
    }
}

async fn start(config: JaegerReceiverConfig) -> Receiver {
    let recorder = Recorder::new();
    let registry = Registry::new();
    let stop = CancellationToken::new();
    let ctx = ReceiverContext {
        query_store: None,
        id: "jaeger".into(),
        consumer: recorder.clone(),
        registry: registry.clone(),
        stop: stop.clone(),
        tasks: TaskTracker::new(),
    };
    let listening = jaeger::start(&config, ctx).await.unwrap();
    Receiver { listening, registry, recorder, stop }
}

// ---------------------------------------------------------------------------------------------------------
// Jaeger Thrift written by hand (to control ids, including bad ones).

const TRACE_LOW: i64 = 0x1234;
const TRACE_HIGH: i64 = -2; // negative halves are ordinary ids

fn write_batch<W: ProtocolWriter>(w: &mut W, service: &str, spans: &[(i64, &str)]) {
    w.write_struct_begin();
    w.write_field_begin(TType::Struct, 1);
    w.write_struct_begin();
    w.write_field_begin(TType::Binary, 1);
    w.write_str(service);
    w.write_field_stop();
    w.write_struct_end();
    w.write_field_begin(TType::List, 2);
    w.write_list_begin(TType::Struct, spans.len());
    for &(span_id, name) in spans {
        w.write_struct_begin();
        w.write_i64_field(1, TRACE_LOW);
        w.write_i64_field(2, TRACE_HIGH);
        w.write_i64_field(3, span_id);
        w.write_i64_field(4, 0);
        w.write_field_begin(TType::Binary, 5);
        w.write_str(name);
        w.write_i32_field(7, 1);
        w.write_i64_field(8, 1_700_000_000_000_000);
        w.write_i64_field(9, 1_500);
        w.write_field_begin(TType::List, 10);
        w.write_list_begin(TType::Struct, 1);
        w.write_struct_begin();
        w.write_field_begin(TType::Binary, 1);
        w.write_str("test.attr");
        w.write_i32_field(2, 0);
        w.write_field_begin(TType::Binary, 3);
        w.write_str(&format!("value-{name}"));
        w.write_field_stop();
        w.write_struct_end();
        w.write_field_stop();
        w.write_struct_end();
    }
    w.write_field_stop();
    w.write_struct_end();
}

/// A bare binary `Batch` (the HTTP body).
fn http_body(service: &str, spans: &[(i64, &str)]) -> Vec<u8> {
    let mut w = BinaryWriter::new();
    write_batch(&mut w, service, spans);
    w.into_inner()
}

/// An `Agent.emitBatch` datagram.
fn datagram<W: ProtocolWriter + Default>(service: &str, spans: &[(i64, &str)]) -> Vec<u8> {
    let mut w = W::default();
    w.write_message_begin("emitBatch", MessageType::Oneway, 1);
    w.write_struct_begin();
    w.write_field_begin(TType::Struct, 1);
    write_batch(&mut w, service, spans);
    w.write_field_stop();
    w.write_struct_end();
    w.into_inner()
}

fn compact(service: &str, spans: &[(i64, &str)]) -> Vec<u8> {
    datagram::<CompactWriter>(service, spans)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The string value of attribute `key`, if it has one.
fn attr_str<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attr(attributes, key)? {
        any_value::Value::StringValue(v) => Some(v),
        _ => None,
    }
}

fn attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

/// Checks a span written by [`write_batch`].
fn assert_hand_written(span: &Span, resource: &[KeyValue], service: &str, id: i64, name: &str) {
    assert_eq!(hex(&span.trace_id), "fffffffffffffffe0000000000001234");
    assert_eq!(span.span_id, id.to_be_bytes().to_vec());
    assert_eq!(span.name, name);
    assert_eq!(span.start_time_unix_nano, 1_700_000_000_000_000_000);
    assert_eq!(span.end_time_unix_nano, 1_700_000_000_001_500_000);
    assert_eq!(attr_str(&span.attributes, "test.attr"), Some(format!("value-{name}").as_str()));
    assert_eq!(attr_str(resource, "service.name"), Some(service));
}

async fn udp_send(to: SocketAddr, payload: &[u8]) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.send_to(payload, to).await.unwrap();
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..250 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn get(counter: &std::sync::atomic::AtomicU64) -> u64 {
    ComponentMetrics::get(counter)
}

// ---------------------------------------------------------------------------------------------------------
// UDP

#[tokio::test]
async fn udp_compact_takes_the_python_jaeger_client_datagram() {
    let r = start(config(json!({}), json!({}))).await;
    udp_send(r.address("thrift_compact"), &fixture("jaeger-thrift-compact/python-jaeger-client"))
        .await;
    let spans = r.recorder.wait_for_spans(3).await;
    let meta: Value = serde_json::from_slice(
        &std::fs::read(format!("{FIXTURES}/jaeger-thrift-compact/python-jaeger-client/meta.json"))
            .unwrap(),
    )
    .unwrap();
    let expect = &meta["expect"];
    for (span, resource) in &spans {
        assert_eq!(hex(&span.trace_id), expect["trace_id"].as_str().unwrap());
        assert_eq!(
            attr_str(resource, "service.name"),
            Some(expect["service_name"].as_str().unwrap())
        );
        assert_eq!(attr_str(resource, "host.name"), Some("fixture-host"));
    }
    let root =
        spans.iter().find(|(s, _)| s.name == "fixture-root").expect("fixture-root").0.clone();
    assert_eq!(hex(&root.span_id), "c78b957d69671137");
    assert_eq!(attr_str(&root.attributes, "fixture.str"), Some("hello fixture"));
    assert_eq!(attr(&root.attributes, "fixture.int"), Some(&any_value::Value::IntValue(-42)));
    let m = r.metrics("thrift_compact");
    assert_eq!(get(&m.received), 3);
    assert_eq!(get(&m.accepted), 3);
    assert_eq!(get(&m.bytes_in), 778);
}

#[tokio::test]
async fn udp_binary_takes_the_node_jaeger_client_datagram() {
    let r = start(config(json!({}), json!({}))).await;
    let payload = fixture("jaeger-thrift-agent-binary/node-jaeger-client-udp");
    udp_send(r.address("thrift_binary"), &payload).await;
    let spans = r.recorder.wait_for_spans(1).await;
    // The same bytes through the translators directly: the receiver must not change anything.
    let direct = decode_traces(Format::JaegerThriftBinary, &payload).unwrap();
    let expected: Vec<Span> = direct
        .requests
        .iter()
        .flat_map(|q| q.resource_spans.iter())
        .flat_map(|rs| rs.scope_spans.iter())
        .flat_map(|ss| ss.spans.clone())
        .collect();
    assert!(!expected.is_empty());
    let got: Vec<Span> = spans.into_iter().map(|(s, _)| s).collect();
    assert_eq!(got, expected);
    // JS numbers arrive as DOUBLE tags (the client's quirk), kept as doubles.
    assert!(
        got.iter()
            .any(|s| attr(&s.attributes, "fixture.int")
                == Some(&any_value::Value::DoubleValue(-42.0)))
    );
}

#[tokio::test]
async fn udp_hand_written_batches_in_both_protocols() {
    let r = start(config(json!({}), json!({}))).await;
    udp_send(r.address("thrift_compact"), &compact("svc-compact", &[(7, "a"), (-8, "b")])).await;
    let spans = r.recorder.wait_for_spans(2).await;
    assert_hand_written(&spans[0].0, &spans[0].1, "svc-compact", 7, "a");
    assert_hand_written(&spans[1].0, &spans[1].1, "svc-compact", -8, "b");
    udp_send(r.address("thrift_binary"), &datagram::<BinaryWriter>("svc-binary", &[(9, "c")]))
        .await;
    let spans = r.recorder.wait_for_spans(3).await;
    assert_hand_written(&spans[2].0, &spans[2].1, "svc-binary", 9, "c");
    assert_eq!(get(&r.metrics("thrift_binary").accepted), 1);
}

#[tokio::test]
async fn udp_malformed_datagrams_are_counted_and_others_still_go_through() {
    let r = start(config(json!({}), json!({}))).await;
    let to = r.address("thrift_compact");
    udp_send(to, b"\x82\x21\x01\x09emitBatch\x1c\x1c\x18").await; // truncated mid-batch
    udp_send(to, b"not thrift at all").await;
    // A span with id 0 is rejected alone; its neighbour goes through.
    udp_send(to, &compact("svc", &[(0, "bad"), (5, "good")])).await;
    let spans = r.recorder.wait_for_spans(1).await;
    assert_hand_written(&spans[0].0, &spans[0].1, "svc", 5, "good");
    let m = r.metrics("thrift_compact");
    eventually("2 errors", || get(&m.errors) == 2).await;
    // Each undecodable datagram counts as at least one item; the rejected span as one.
    assert_eq!(m.dropped_count(DropReason::Malformed), 3);
    assert_eq!(get(&m.accepted), 1);
    let text = r.registry.render();
    assert!(text.contains("otelbridge_component_errors_total{component_kind=\"receiver\",component_id=\"jaeger\",transport=\"thrift_compact\"} 2\n"), "{text}");
}

#[tokio::test]
async fn udp_datagram_over_max_packet_size_is_dropped_as_too_large() {
    let r = start(config(json!({"max_packet_size": 100}), json!({}))).await;
    let many: Vec<(i64, String)> = (1..=20).map(|i| (i, format!("span-{i}"))).collect();
    let many: Vec<(i64, &str)> = many.iter().map(|(i, n)| (*i, n.as_str())).collect();
    let big = compact("svc", &many);
    assert!(big.len() > 100);
    udp_send(r.address("thrift_compact"), &big).await;
    udp_send(r.address("thrift_compact"), &compact("s", &[(1, "x")])).await;
    r.recorder.wait_for_spans(1).await;
    let m = r.metrics("thrift_compact");
    eventually("too_large drop", || m.dropped_count(DropReason::TooLarge) > 0).await;
    assert_eq!(get(&m.errors), 1);
    assert_eq!(r.recorder.spans().len(), 1);
}

#[tokio::test]
async fn udp_queue_full_drops_are_counted_in_spans() {
    let r = start(config(json!({"queue_size": 2, "workers": 1}), json!({}))).await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    r.recorder.set_mode(Mode::Hold(gate.clone()));
    let to = r.address("thrift_compact");
    let three = compact("svc", &[(1, "a"), (2, "b"), (3, "c")]);
    // The one worker takes the first datagram and is held by the pipeline...
    udp_send(to, &three).await;
    let recorder = r.recorder.clone();
    eventually("worker busy", || recorder.calls.load(std::sync::atomic::Ordering::SeqCst) == 1)
        .await;
    // ...so of 9 more, 2 fit the queue and 7 are dropped, 3 spans each.
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for _ in 0..9 {
        socket.send_to(&three, to).await.unwrap();
    }
    let m = r.metrics("thrift_compact");
    eventually("7 datagrams dropped", || m.dropped_count(DropReason::QueueFull) == 21).await;
    gate.add_permits(100);
    r.recorder.wait_for_spans(9).await;
    eventually("all accounted", || get(&m.received) == 30 && get(&m.accepted) == 9).await;
    let text = r.registry.render();
    assert!(text.contains("otelbridge_component_dropped_items_total{component_kind=\"receiver\",component_id=\"jaeger\",transport=\"thrift_compact\",reason=\"queue_full\"} 21\n"), "{text}");
}

#[tokio::test]
async fn udp_pipeline_refusals_are_counted_as_dropped() {
    let r = start(config(json!({}), json!({}))).await;
    r.recorder.set_mode(Mode::Refuse(PipelineError::MemoryLimit("test".into())));
    udp_send(r.address("thrift_binary"), &datagram::<BinaryWriter>("s", &[(1, "a"), (2, "b")]))
        .await;
    let m = r.metrics("thrift_binary");
    eventually("refused", || m.dropped_count(DropReason::MemoryLimit) == 2).await;
    assert_eq!(get(&m.refused), 2);
    assert_eq!(get(&m.accepted), 0);
    r.recorder.set_mode(Mode::Refuse(PipelineError::QueueFull("otlp".into())));
    udp_send(r.address("thrift_binary"), &datagram::<BinaryWriter>("s", &[(3, "c")])).await;
    eventually("queue full", || m.dropped_count(DropReason::QueueFull) == 1).await;
}

/// `Agent.emitZipkinBatch` with the py-zipkin spans, rewritten in `W`'s protocol.
fn emit_zipkin_batch<W: ProtocolWriter + Default>(v1_thrift_list: &[u8]) -> Vec<u8> {
    let mut r = BinaryReader::new(v1_thrift_list);
    let header = r.read_list_begin().unwrap();
    let spans: Vec<_> = (0..header.len)
        .map(|_| translators::zipkin::v1_thrift::read_span(&mut r).unwrap().unwrap())
        .collect();
    let mut w = W::default();
    w.write_message_begin("emitZipkinBatch", MessageType::Oneway, 1);
    w.write_struct_begin();
    w.write_field_begin(TType::List, 1);
    w.write_list_begin(TType::Struct, spans.len());
    for span in &spans {
        translators::zipkin::v1_thrift::write_span(&mut w, span);
    }
    w.write_field_stop();
    w.write_struct_end();
    w.into_inner()
}

#[tokio::test]
async fn udp_emit_zipkin_batch_is_decoded_in_both_protocols() {
    let list = fixture("zipkin-v1-thrift/py-zipkin");
    let direct = decode_traces(Format::ZipkinV1Thrift, &list).unwrap();
    assert!(direct.rejected.is_empty());
    let expected = direct.span_count();
    assert!(expected >= 2);
    for (transport, payload) in [
        ("thrift_compact", emit_zipkin_batch::<CompactWriter>(&list)),
        ("thrift_binary", emit_zipkin_batch::<BinaryWriter>(&list)),
    ] {
        let r = start(config(json!({}), json!({}))).await;
        udp_send(r.address(transport), &payload).await;
        let got = r.recorder.wait_for_spans(expected).await;
        // The same spans as the Zipkin v1 Thrift HTTP path gives.
        let received = r.recorder.received.lock().unwrap().clone();
        assert_eq!(received, direct.requests, "{transport}");
        assert_eq!(got.len(), expected);
        assert_eq!(get(&r.metrics(transport).errors), 0);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Thrift HTTP

async fn post(address: SocketAddr, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("http://{address}/api/traces"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    (
        status,
        format!("{text}{}", retry_after.map(|r| format!("[retry-after {r}]")).unwrap_or_default()),
    )
}

#[tokio::test]
async fn http_takes_real_client_bodies_and_answers_202() {
    let r = start(config(json!({}), json!({}))).await;
    let to = r.address("thrift_http");
    let node = fixture("jaeger-thrift-binary/node-jaeger-client-http");
    let (status, body) = post(to, "application/x-thrift", node.clone()).await;
    assert_eq!((status, body.as_str()), (202, ""));
    let python = fixture("jaeger-thrift-binary/python-otel-jaeger-exporter");
    let (status, _) = post(to, "application/vnd.apache.thrift.binary", python.clone()).await;
    assert_eq!(status, 202);
    let expected = decode_traces(Format::JaegerThriftBinary, &node).unwrap().span_count()
        + decode_traces(Format::JaegerThriftBinary, &python).unwrap().span_count();
    let spans = r.recorder.wait_for_spans(expected).await;
    assert!(spans.iter().any(|(s, _)| s.name == "fixture-root"));
    assert!(spans.iter().any(|(_, res)| attr(res, "service.name").is_some()));
    let direct = decode_traces(Format::JaegerThriftBinary, &python).unwrap();
    let received = r.recorder.received.lock().unwrap().clone();
    assert_eq!(received[1].resource_spans, direct.requests[0].resource_spans);
    assert_eq!(get(&r.metrics("thrift_http").accepted), expected as u64);
}

#[tokio::test]
async fn http_bad_bodies_get_400_with_the_reason_and_others_are_unaffected() {
    let r = start(config(json!({}), json!({}))).await;
    let to = r.address("thrift_http");
    let (status, body) = post(to, "application/x-thrift", b"\x0c\x00\x01\x0b".to_vec()).await;
    assert_eq!(status, 400);
    assert!(body.contains("jaeger-thrift-binary"), "{body}");
    let (status, body) = post(to, "application/json", b"{}".to_vec()).await;
    assert_eq!(status, 400);
    assert!(body.contains("unsupported content type \"application/json\""), "{body}");
    // One bad span: 400 naming it; the good one still went through.
    let (status, body) =
        post(to, "application/x-thrift", http_body("svc", &[(4, "good"), (0, "bad")])).await;
    assert_eq!(status, 400);
    assert!(body.contains("rejected 1 of 2 spans: batch[0].spans[1]"), "{body}");
    let spans = r.recorder.wait_for_spans(1).await;
    assert_hand_written(&spans[0].0, &spans[0].1, "svc", 4, "good");
    let (status, _) = post(to, "application/x-thrift", http_body("svc", &[(6, "next")])).await;
    assert_eq!(status, 202);
    r.recorder.wait_for_spans(2).await;
    let m = r.metrics("thrift_http");
    // The undecodable body and the wrong content type.
    assert_eq!(get(&m.errors), 2);
    assert_eq!(m.dropped_count(DropReason::Malformed), 1);
    assert_eq!(get(&m.accepted), 2);
}

#[tokio::test]
async fn http_backpressure_is_429_or_503_with_retry_after() {
    let r = start(config(json!({}), json!({}))).await;
    let to = r.address("thrift_http");
    r.recorder.set_mode(Mode::Refuse(PipelineError::QueueFull("otlp".into())));
    let (status, body) = post(to, "application/x-thrift", http_body("s", &[(1, "a")])).await;
    assert_eq!(status, 429);
    assert!(
        body.contains("queue of exporter otlp is full") && body.ends_with("[retry-after 1]"),
        "{body}"
    );
    r.recorder.set_mode(Mode::Refuse(PipelineError::MemoryLimit("90%".into())));
    let (status, _) = post(to, "application/x-thrift", http_body("s", &[(1, "a")])).await;
    assert_eq!(status, 503);
    assert_eq!(get(&r.metrics("thrift_http").refused), 2);
}

#[tokio::test]
async fn http_gzip_body_and_size_limit() {
    use std::io::Write as _;
    let r = start(config(json!({}), json!({"protocols": {"thrift_http": {"endpoint": "127.0.0.1:0", "max_request_body_size": 200}}}))).await;
    let to = r.address("thrift_http");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&http_body("gz", &[(3, "zipped")])).unwrap();
    let response = reqwest::Client::new()
        .post(format!("http://{to}/api/traces"))
        .header("content-type", "application/x-thrift")
        .header("content-encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let spans = r.recorder.wait_for_spans(1).await;
    assert_hand_written(&spans[0].0, &spans[0].1, "gz", 3, "zipped");
    let many: Vec<(i64, String)> = (1..=20).map(|i| (i, format!("span-{i}"))).collect();
    let many: Vec<(i64, &str)> = many.iter().map(|(i, n)| (*i, n.as_str())).collect();
    let (status, body) = post(to, "application/x-thrift", http_body("s", &many)).await;
    assert_eq!(status, 413);
    assert!(body.contains("max_request_body_size"), "{body}");
    assert_eq!(get(&r.metrics("thrift_http").errors), 1);
}

#[tokio::test]
async fn grpc_message_over_max_request_body_size_is_resource_exhausted() {
    let r = start(config(
        json!({}),
        json!({"protocols": {"grpc": {"endpoint": "127.0.0.1:0", "max_request_body_size": 100}}}),
    ))
    .await;
    let many: Vec<(u8, String)> = (1..=20).map(|i| (i, format!("span-{i}"))).collect();
    let many: Vec<(u8, &str)> = many.iter().map(|(i, n)| (*i, n.as_str())).collect();
    let error = post_spans(r.address("grpc"), post_spans_request(&many)).await.unwrap_err();
    assert_eq!(error.code(), tonic::Code::ResourceExhausted, "{error:?}");
    assert!(error.message().contains("max_request_body_size"), "{}", error.message());
    assert_eq!(get(&r.metrics("grpc").errors), 1);
    post_spans(r.address("grpc"), post_spans_request(&[(1, "small")])).await.unwrap();
    r.recorder.wait_for_spans(1).await;
}

#[tokio::test]
async fn grpc_gzip_bomb_is_refused_by_the_decompressed_limit_and_counted() {
    let r = start(config(
        json!({}),
        json!({"protocols": {"grpc": {"endpoint": "127.0.0.1:0", "max_decompressed_size": 1000}}}),
    ))
    .await;
    let many: Vec<(u8, String)> = (1..=50).map(|i| (i, format!("span-{i}"))).collect();
    let many: Vec<(u8, &str)> = many.iter().map(|(i, n)| (*i, n.as_str())).collect();
    let body = post_spans_request(&many);
    assert!(body.len() > 1000);
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", r.address("grpc")))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let error = otelbridge::grpc::call_unary::<translators::jaeger::model::PostSpansResponse>(
        channel,
        "/jaeger.api_v2.CollectorService/PostSpans",
        tonic::Request::new(Bytes::from(body)),
        Some(tonic::codec::CompressionEncoding::Gzip),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code(), tonic::Code::ResourceExhausted, "{error:?}");
    let m = r.metrics("grpc");
    eventually("counted", || get(&m.errors) == 1).await;
    assert_eq!(get(&m.accepted), 0);
}

// ---------------------------------------------------------------------------------------------------------
// gRPC PostSpans

async fn post_spans(
    address: SocketAddr,
    body: Vec<u8>,
) -> Result<translators::jaeger::model::PostSpansResponse, tonic::Status> {
    let channel = tonic::transport::Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    otelbridge::grpc::call_unary(
        channel,
        "/jaeger.api_v2.CollectorService/PostSpans",
        tonic::Request::new(Bytes::from(body)),
        None,
    )
    .await
    .map(|r| r.into_inner())
}

fn post_spans_request(spans: &[(u8, &str)]) -> Vec<u8> {
    use translators::jaeger::model::{
        Batch, KeyValue as Tag, PostSpansRequest, Process, Span as JSpan,
    };
    let batch = Batch {
        spans: spans
            .iter()
            .map(|&(id, name)| JSpan {
                trace_id: vec![0xab; 16],
                span_id: if id == 0 { vec![0; 8] } else { vec![0, 0, 0, 0, 0, 0, 0, id] },
                operation_name: name.into(),
                tags: vec![Tag {
                    key: "grpc.attr".into(),
                    v_str: format!("v-{name}"),
                    ..Default::default()
                }],
                start_time: Some(prost_types_timestamp()),
                duration: Some(Default::default()),
                ..Default::default()
            })
            .collect(),
        process: Some(Process { service_name: "grpc-svc".into(), tags: vec![] }),
    };
    PostSpansRequest { batch: Some(batch) }.encode_to_vec()
}

fn prost_types_timestamp() -> translators::jaeger::model::Timestamp {
    translators::jaeger::model::Timestamp { seconds: 1_700_000_000, nanos: 5_000 }
}

#[tokio::test]
async fn grpc_post_spans_status_codes() {
    let r = start(config(json!({}), json!({}))).await;
    let to = r.address("grpc");
    post_spans(to, post_spans_request(&[(1, "one"), (2, "two")])).await.unwrap();
    let spans = r.recorder.wait_for_spans(2).await;
    let (one, resource) = &spans[0];
    assert_eq!(hex(&one.trace_id), "ab".repeat(16));
    assert_eq!(one.span_id, vec![0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(one.name, "one");
    assert_eq!(one.start_time_unix_nano, 1_700_000_000_000_005_000);
    assert_eq!(attr_str(&one.attributes, "grpc.attr"), Some("v-one"));
    assert_eq!(attr_str(resource, "service.name"), Some("grpc-svc"));

    let error = post_spans(to, b"\xff\xff\xff".to_vec()).await.unwrap_err();
    assert_eq!(error.code(), tonic::Code::InvalidArgument, "{error:?}");
    let error = post_spans(to, post_spans_request(&[(0, "bad"), (3, "ok")])).await.unwrap_err();
    assert_eq!(error.code(), tonic::Code::InvalidArgument);
    assert!(error.message().contains("rejected 1 of 2 spans"), "{}", error.message());
    r.recorder.wait_for_spans(3).await;

    r.recorder.set_mode(Mode::Refuse(PipelineError::QueueFull("otlp".into())));
    let error = post_spans(to, post_spans_request(&[(4, "later")])).await.unwrap_err();
    assert_eq!(error.code(), tonic::Code::Unavailable);
    let m = r.metrics("grpc");
    assert_eq!((get(&m.accepted), get(&m.refused), get(&m.errors)), (3, 1, 1));
}

// ---------------------------------------------------------------------------------------------------------
// Remote sampling

async fn get_json(url: String) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("otelbridge-jaeger-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn sampling_serves_the_strategies_file_as_jaeger_clients_parse_it() {
    let file = temp_file(
        "strategies.json",
        r#"{"default_strategy": {"type": "probabilistic", "param": 0.25},
            "service_strategies": [
              {"service": "checkout", "type": "ratelimiting", "param": 7},
              {"service": "search", "type": "probabilistic", "param": 0.5,
               "operation_strategies": [{"operation": "GET /health", "type": "probabilistic", "param": 0}]}]}"#,
    );
    let r = start(config(
        json!({}),
        json!({"remote_sampling": {"endpoint": "127.0.0.1:0", "strategies_file": file}}),
    ))
    .await;
    let at = r.address("remote_sampling");
    let (status, body) = get_json(format!("http://{at}/sampling?service=checkout")).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"strategyType": "RATE_LIMITING", "rateLimitingSampling": {"maxTracesPerSecond": 7}})
    );
    let (_, body) = get_json(format!("http://{at}/?service=checkout")).await;
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["strategyType"], json!(1));
    let (_, body) = get_json(format!("http://{at}/sampling?service=search")).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"strategyType": "PROBABILISTIC", "probabilisticSampling": {"samplingRate": 0.5},
               "operationSampling": {"defaultSamplingProbability": 0.5,
                 "defaultLowerBoundTracesPerSecond": 0.0,
                 "perOperationStrategies": [{"operation": "GET /health",
                                             "probabilisticSampling": {"samplingRate": 0.0}}]}})
    );
    // Byte for byte what the agent writes (field order of the Thrift struct).
    let (_, body) = get_json(format!("http://{at}/sampling?service=unlisted")).await;
    assert_eq!(
        body,
        r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.25}}"#
    );
    let (status, body) = get_json(format!("http://{at}/sampling")).await;
    assert_eq!((status, body.as_str()), (400, "'service' parameter must be provided once\n"));
    let (status, _) = get_json(format!("http://{at}/?service=a&service=b")).await;
    assert_eq!(status, 400);
    let (status, body) = get_json(format!("http://{at}/baggageRestrictions?service=x")).await;
    assert_eq!((status, body.as_str()), (200, "[]"));
    // The collector's own endpoint on the Thrift HTTP port serves the same strategies.
    let http = r.address("thrift_http");
    let (_, body) = get_json(format!("http://{http}/api/sampling?service=checkout")).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["strategyType"],
        json!("RATE_LIMITING")
    );
    std::fs::remove_file(file).ok();
}

#[tokio::test]
async fn sampling_defaults_to_probabilistic_one_and_bad_files_stop_the_start() {
    let r = start(config(json!({}), json!({}))).await;
    let at = r.address("remote_sampling");
    let (_, body) = get_json(format!("http://{at}/?service=anything")).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"strategyType": 0, "probabilisticSampling": {"samplingRate": 1.0}})
    );
    let file = temp_file("bad.json", r#"{"default_strategy": {"type": "adaptive", "param": 1}}"#);
    let config = config(
        json!({}),
        json!({"remote_sampling": {"endpoint": "127.0.0.1:0", "strategies_file": file}}),
    );
    let ctx = ReceiverContext {
        query_store: None,
        id: "jaeger".into(),
        consumer: Recorder::new(),
        registry: Registry::new(),
        stop: CancellationToken::new(),
        tasks: TaskTracker::new(),
    };
    let error = jaeger::start(&config, ctx).await.unwrap_err().to_string();
    assert!(error.contains("unknown strategy type \"adaptive\""), "{error}");
    std::fs::remove_file(file).ok();
}

// ---------------------------------------------------------------------------------------------------------
// Configuration

#[tokio::test]
async fn only_listed_protocols_start_and_an_empty_key_enables_one() {
    // `thrift_compact:` with nothing (YAML null) enables it with defaults; here only its endpoint is set by
    // the second, so the first checks typing alone.
    let c = typed(json!({"protocols": {"thrift_compact": null}}));
    let p = c.protocols.as_ref().unwrap();
    assert!(p.thrift_compact.is_some() && p.thrift_binary.is_none() && p.grpc.is_none());
    assert_eq!(p.thrift_compact.as_ref().unwrap().queue_size, 1000);
    assert!(c.remote_sampling.is_none());
    let r =
        start(typed(json!({"protocols": {"thrift_binary": {"endpoint": "127.0.0.1:0"}}}))).await;
    let transports: Vec<&str> = r.listening.iter().map(|l| l.transport).collect();
    assert_eq!(transports, ["thrift_binary"]);
}

#[test]
fn unknown_keys_are_refused_with_their_path() {
    let problem = ReceiverConfig::parse(
        "jaeger",
        json!({"protocols": {"thrift_compact": {"queue_sise": 5}}}),
        "receivers.jaeger",
    )
    .unwrap_err();
    let text = format!("{} {}", problem.path, problem.message);
    assert!(text.contains("receivers.jaeger.protocols.thrift_compact"), "{text}");
    assert!(text.contains("queue_size"), "{text}");
}

// ---------------------------------------------------------------------------------------------------------
// The whole service: receiver → pipeline → file exporter, counters on the admin port.

#[tokio::test]
async fn service_end_to_end_with_file_exporter_and_metrics() {
    let out =
        std::env::temp_dir().join(format!("otelbridge-jaeger-e2e-{}.ndjson", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let tree = json!({
        "receivers": {"jaeger": {"protocols": {
            "thrift_http": {"endpoint": "127.0.0.1:0"},
            "thrift_compact": {"endpoint": "127.0.0.1:0"},
        }}},
        "exporters": {"file": {"path": out}},
        "pipelines": {"traces": {"receivers": ["jaeger"], "exporters": ["file"]}},
        "service": {"admin": {"endpoint": "127.0.0.1:0"}},
    });
    let config = otelbridge::config::from_tree(tree).unwrap();
    let running = otelbridge::service::start(config).await.unwrap();
    let compact_at = running.address("jaeger", "thrift_compact").unwrap();
    let http_at = running.address("jaeger", "thrift_http").unwrap();
    assert!(running.address("jaeger", "grpc").is_none());

    udp_send(compact_at, &fixture("jaeger-thrift-compact/python-jaeger-client")).await;
    udp_send(compact_at, b"garbage").await;
    let (status, _) =
        post(http_at, "application/x-thrift", http_body("e2e-http", &[(11, "h")])).await;
    assert_eq!(status, 202);
    let (status, _) = post(http_at, "application/x-thrift", b"junk".to_vec()).await;
    assert_eq!(status, 400);

    let mut names = Vec::new();
    for _ in 0..250 {
        names.clear();
        if let Ok(text) = std::fs::read(&out) {
            if let Ok(decoded) = decode_traces(Format::OtlpJson, &text) {
                for request in decoded.requests {
                    for rs in request.resource_spans {
                        for ss in rs.scope_spans {
                            names.extend(ss.spans.into_iter().map(|s| s.name));
                        }
                    }
                }
            }
        }
        if names.len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    names.sort();
    assert_eq!(names, ["fixture-client", "fixture-producer", "fixture-root", "h"]);

    let metrics = reqwest::get(format!("http://{}/metrics", running.admin))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = |name: &str, transport: &str| {
        format!("{name}{{component_kind=\"receiver\",component_id=\"jaeger\",transport=\"{transport}\"}}")
    };
    assert!(
        metrics.contains(&format!(
            "{} 3\n",
            line("otelbridge_component_accepted_items_total", "thrift_compact")
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "{} 1\n",
            line("otelbridge_component_accepted_items_total", "thrift_http")
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "{} 1\n",
            line("otelbridge_component_errors_total", "thrift_compact")
        )),
        "{metrics}"
    );
    assert!(
        metrics
            .contains(&format!("{} 1\n", line("otelbridge_component_errors_total", "thrift_http"))),
        "{metrics}"
    );
    running.shutdown().await;
    std::fs::remove_file(&out).ok();
}

/// (resource, scope name, span) of every span, sorted by ids: the order of arrival is not the order sent.
fn flatten(
    requests: &[translators::ExportTraceServiceRequest],
) -> Vec<(Vec<KeyValue>, String, Span)> {
    let mut out: Vec<_> = requests
        .iter()
        .flat_map(|r| r.resource_spans.iter())
        .flat_map(|rs| {
            let resource = rs.resource.clone().unwrap_or_default().attributes;
            rs.scope_spans.iter().flat_map(move |ss| {
                let scope = ss.scope.clone().unwrap_or_default().name;
                let resource = resource.clone();
                ss.spans.iter().map(move |s| (resource.clone(), scope.clone(), s.clone()))
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.2.trace_id, &a.2.span_id).cmp(&(&b.2.trace_id, &b.2.span_id)));
    out
}

#[tokio::test]
async fn service_every_transport_to_an_otlp_sink_field_by_field() {
    let sink = otelbridge::testing::OtlpSink::start().await.unwrap();
    let local = json!({"endpoint": "127.0.0.1:0"});
    let tree = json!({
        "receivers": {"jaeger": {"protocols": {
            "grpc": local, "thrift_http": local, "thrift_compact": local, "thrift_binary": local,
        }}},
        "exporters": {"otlp": {"endpoint": sink.endpoint()}},
        "pipelines": {"traces": {"receivers": ["jaeger"], "exporters": ["otlp"]}},
        "service": {"admin": {"endpoint": "127.0.0.1:0"}, "shutdown_timeout": "5s"},
    });
    let running =
        otelbridge::service::start(otelbridge::config::from_tree(tree).unwrap()).await.unwrap();
    let at = |transport| running.address("jaeger", transport).unwrap();
    let mut want = Vec::new();
    for case in ["python-jaeger-client", "python-otel-jaeger-exporter"] {
        let input = fixture(&format!("jaeger-thrift-compact/{case}"));
        udp_send(at("thrift_compact"), &input).await;
        want.extend(decode_traces(Format::JaegerThriftCompact, &input).unwrap().requests);
    }
    let input = fixture("jaeger-thrift-agent-binary/node-jaeger-client-udp");
    udp_send(at("thrift_binary"), &input).await;
    want.extend(decode_traces(Format::JaegerThriftBinary, &input).unwrap().requests);
    for case in ["node-jaeger-client-http", "python-otel-jaeger-exporter"] {
        let input = fixture(&format!("jaeger-thrift-binary/{case}"));
        let (status, body) = post(at("thrift_http"), "application/x-thrift", input.clone()).await;
        assert_eq!(status, 202, "{case}: {body}");
        want.extend(decode_traces(Format::JaegerThriftBinary, &input).unwrap().requests);
    }
    let input = post_spans_request(&[(21, "grpc-one"), (22, "grpc-two")]);
    post_spans(at("grpc"), input.clone()).await.unwrap();
    want.extend(decode_traces(Format::JaegerProto, &input).unwrap().requests);

    let want = flatten(&want);
    let got = flatten(&sink.wait_for_spans(want.len() as u64, Duration::from_secs(15)).await);
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    running.shutdown().await;
}
