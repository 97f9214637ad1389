//! Delivery guarantees over real sockets: OTLP/HTTP in → pipeline → `otlp` exporter → an OTLP/gRPC sink.
//! Target down then up (nothing lost up to the queue's capacity, drops beyond it counted), a slow target
//! (the HTTP sender sees 429/503), and SIGTERM in mid-stream (queued data delivered).

mod common;

use common::{metric, numbered_span, post};
use otelbridge::testing::{OtlpSink, SinkMode};
use serde_json::json;
use std::time::Duration;
use translators::otlp::model::{ResourceSpans, ScopeSpans};
use translators::{encode_traces, Format};

fn request(batch: u32, spans: u32) -> Vec<u8> {
    let spans = (0..spans).map(|i| numbered_span(batch, i)).collect();
    let traces = translators::otlp::model::ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans { spans, ..ScopeSpans::default() }],
            ..ResourceSpans::default()
        }],
    };
    encode_traces(Format::OtlpProto, &traces).bytes
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start(sink_endpoint: &str, queue: serde_json::Value) -> otelbridge::service::Running {
    let tree = json!({
        "receivers": { "otlp": { "protocols": { "http": { "endpoint": "127.0.0.1:0" } } } },
        "exporters": { "otlp": {
            "endpoint": sink_endpoint,
            "compression": "none",
            "sending_queue": queue,
            "retry_on_failure": { "initial_interval": "20ms", "max_interval": "50ms", "max_elapsed_time": "60s" },
        } },
        "pipelines": { "traces": { "receivers": ["otlp"], "exporters": ["otlp"] } },
        "service": { "admin": { "endpoint": "127.0.0.1:0" }, "shutdown_timeout": "10s" },
    });
    let config = otelbridge::config::from_tree(tree).unwrap_or_else(|p| panic!("{p}"));
    otelbridge::service::start(config).await.unwrap()
}

fn span_names(requests: &[translators::otlp::model::ExportTraceServiceRequest]) -> Vec<String> {
    let mut names: Vec<String> = requests
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .map(|s| s.name.clone())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_down_then_up_loses_nothing_within_the_queue_and_counts_drops_beyond_it() {
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    // Capacity 6 batches, refuse when full: the 7th and later requests are refused with 429 and counted.
    let running = start(
        &endpoint,
        json!({ "queue_size": 6, "num_consumers": 1, "when_full": "drop_newest" }),
    )
    .await;
    let url = format!("http://{}/v1/traces", running.address("otlp", "http").unwrap());
    let client = reqwest::Client::new();
    let mut accepted = Vec::new();
    let mut refused = 0;
    for batch in 0..10 {
        let response = post(&client, &url, request(batch, 5)).await;
        match response.status().as_u16() {
            200 => accepted.push(batch),
            429 => {
                assert_eq!(response.headers().get("retry-after").unwrap(), "1");
                refused += 1;
            }
            other => panic!("unexpected status {other}: {}", response.text().await.unwrap()),
        }
    }
    // One batch is in flight with the worker (retrying), six wait in the queue.
    assert_eq!(accepted.len(), 7, "accepted {accepted:?}");
    assert_eq!(refused, 3);
    let exporter = "{component_kind=\"exporter\",component_id=\"otlp\"";
    assert_eq!(
        metric(
            running.admin,
            &format!("otelbridge_component_dropped_items_total{exporter},reason=\"queue_full\"}}")
        )
        .await,
        15
    );
    // The target comes up on the same port: everything accepted is delivered, exactly once.
    let sink = OtlpSink::start_with(&format!("127.0.0.1:{port}"), true).await.unwrap();
    let received = sink.wait_for_spans(35, Duration::from_secs(20)).await;
    let mut expected: Vec<String> =
        accepted.iter().flat_map(|b| (0..5).map(move |i| format!("batch{b}-span{i}"))).collect();
    expected.sort();
    assert_eq!(span_names(&received), expected);
    assert!(
        metric(running.admin, &format!("otelbridge_component_send_failed_items_total{exporter}"))
            .await
            >= 5
    );
    assert_eq!(
        metric(running.admin, &format!("otelbridge_component_sent_items_total{exporter}")).await,
        35
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_target_pushes_back_to_the_http_sender_with_503() {
    let sink = OtlpSink::start().await.unwrap();
    sink.set_delay(Duration::from_millis(400));
    let running = start(
        &sink.endpoint(),
        json!({ "queue_size": 1, "num_consumers": 1, "when_full": "block", "block_timeout": "100ms" }),
    )
    .await;
    let url = format!("http://{}/v1/traces", running.address("otlp", "http").unwrap());
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for batch in 0..4 {
        statuses.push(post(&client, &url, request(batch, 2)).await.status().as_u16());
    }
    // First batch goes to the worker, the second waits in the queue, the third blocks for 100 ms and is refused.
    assert_eq!(&statuses[..2], &[200, 200], "{statuses:?}");
    assert!(statuses[2..].contains(&503), "{statuses:?}");
    let delivered = statuses.iter().filter(|s| **s == 200).count() as u64 * 2;
    let received = sink.wait_for_spans(delivered, Duration::from_secs(10)).await;
    assert_eq!(span_names(&received).len() as u64, delivered);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_answers_are_retried_until_the_target_recovers() {
    let sink = OtlpSink::start().await.unwrap();
    sink.set_mode(SinkMode::Unavailable);
    let running = start(&sink.endpoint(), json!({})).await;
    let url = format!("http://{}/v1/traces", running.address("otlp", "http").unwrap());
    let client = reqwest::Client::new();
    assert_eq!(post(&client, &url, request(1, 3)).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.span_count(), 0);
    sink.set_mode(SinkMode::Accept);
    let received = sink.wait_for_spans(3, Duration::from_secs(10)).await;
    assert_eq!(span_names(&received), vec!["batch1-span0", "batch1-span1", "batch1-span2"]);
    running.shutdown().await;
}

#[test]
fn sigterm_in_mid_stream_delivers_what_was_queued() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sink = runtime.block_on(OtlpSink::start()).unwrap();
    // A slow backend: 20 queued batches take ~1 s to deliver, well inside the 15 s shutdown timeout.
    sink.set_delay(Duration::from_millis(50));
    let http_port = free_port();
    let dir = std::env::temp_dir().join(format!("otelbridge-sigterm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "receivers: {{ otlp: {{ protocols: {{ http: {{ endpoint: 127.0.0.1:{http_port} }} }} }} }}\n\
             exporters: {{ otlp: {{ endpoint: \"{}\", compression: none, sending_queue: {{ num_consumers: 1 }} }} }}\n\
             pipelines: {{ traces: {{ receivers: [otlp], exporters: [otlp] }} }}\n\
             service: {{ admin: {{ endpoint: 127.0.0.1:0 }}, shutdown_timeout: 15s }}\n",
            sink.endpoint()
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_otelbridge"))
        .args(["run", "--config"])
        .arg(&config)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{http_port}/v1/traces");
    let client = reqwest::blocking::Client::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while client.get(&url).send().is_err() {
        assert!(std::time::Instant::now() < deadline, "bridge did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    for batch in 0..20 {
        let response = client
            .post(&url)
            .header("content-type", "application/x-protobuf")
            .body(request(batch, 10))
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert!(sink.span_count() < 200, "the sink must still be behind when the signal comes");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert_eq!(sink.span_count(), 200, "every accepted span is delivered before exit");
    let _ = std::fs::remove_dir_all(&dir);
}
