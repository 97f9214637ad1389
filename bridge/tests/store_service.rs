//! The store inside the running service: legacy senders' spans land in it, a SIGKILL loses at most one commit
//! interval, and a restarted service reopens what it had.

use otelbridge::store::{now_unix_nanos, Store};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use translators::otlp::attributes::string;
use translators::otlp::model::span::SpanKind;
use translators::otlp::model::{
    ExportTraceServiceRequest, Resource, ResourceSpans, ScopeSpans, Span,
};
use translators::{decode_traces, encode_traces, Format};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("otelbridge-store-service-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `spans` spans of trace `trace` (id bytes all `trace`) from `service`, started a minute ago.
fn batch(service: &str, trace: u8, spans: u8) -> ExportTraceServiceRequest {
    let start = (now_unix_nanos() / 1000 - 60_000_000) * 1000;
    let spans = (0..spans)
        .map(|i| Span {
            trace_id: vec![trace; 16],
            span_id: vec![trace, i + 1, 0, 0, 0, 0, 0, 1],
            parent_span_id: if i == 0 { vec![] } else { vec![trace, 1, 0, 0, 0, 0, 0, 1] },
            name: format!("op-{i}"),
            kind: if i == 0 { SpanKind::Server } else { SpanKind::Client } as i32,
            start_time_unix_nano: start + u64::from(i) * 1000,
            end_time_unix_nano: start + u64::from(i) * 1000 + 5_000_000,
            attributes: vec![string("batch", format!("{trace}"))],
            ..Span::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![string("service.name", service)],
                dropped_attributes_count: 0,
            }),
            scope_spans: vec![ScopeSpans { spans, ..ScopeSpans::default() }],
            schema_url: String::new(),
        }],
    }
}

fn spans_by_id(request: &ExportTraceServiceRequest) -> Vec<(Vec<u8>, String, String)> {
    let mut out: Vec<_> = translators::otlp::grouping::spans(request)
        .map(|s| {
            let service = s
                .resource
                .and_then(|r| translators::otlp::attributes::get_str(&r.attributes, "service.name"))
                .unwrap_or_default()
                .to_string();
            (s.span.span_id.clone(), s.span.name.clone(), service)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn jaeger_and_zipkin_senders_land_in_the_store_as_they_decode() {
    let dir = temp_dir("legacy");
    let tree = json!({
        "receivers": {
            "jaeger": { "protocols": { "thrift_http": { "endpoint": "127.0.0.1:0" } } },
            "zipkin": { "endpoint": "127.0.0.1:0" },
        },
        "exporters": { "store": { "data_dir": dir, "jaeger_query": null } },
        "pipelines": { "traces": { "receivers": ["jaeger", "zipkin"], "exporters": ["store"] } },
        "service": { "admin": { "endpoint": "127.0.0.1:0" } },
    });
    let config = otelbridge::config::from_tree(tree).unwrap();
    let running = otelbridge::service::start(config).await.unwrap();
    let client = reqwest::Client::new();

    let jaeger_body =
        encode_traces(Format::JaegerThriftBinary, &batch("legacy-jaeger", 0x11, 3)).bytes;
    let jaeger = running.address("jaeger", "thrift_http").unwrap();
    let answer = client
        .post(format!("http://{jaeger}/api/traces"))
        .header("content-type", "application/x-thrift")
        .body(jaeger_body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    let zipkin_body = encode_traces(Format::ZipkinJson, &batch("legacy-zipkin", 0x22, 2)).bytes;
    let zipkin = running.address("zipkin", "http").unwrap();
    let answer = client
        .post(format!("http://{zipkin}/api/v2/spans"))
        .header("content-type", "application/json")
        .body(zipkin_body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);

    let store = running.stores()[0].clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    let found = loop {
        let s = store.clone();
        let found = tokio::task::spawn_blocking(move || {
            s.commit().unwrap();
            s.traces(&[[0x11; 16], [0x22; 16]]).unwrap()
        })
        .await
        .unwrap();
        if found.len() == 2 || Instant::now() > deadline {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(found.len(), 2, "both traces stored");
    // What the store gives back is what the receivers decoded from the senders' bytes.
    let decoded = |format, body: &[u8]| decode_traces(format, body).unwrap().requests.remove(0);
    assert_eq!(
        spans_by_id(&found[0].1),
        spans_by_id(&decoded(Format::JaegerThriftBinary, &jaeger_body))
    );
    assert_eq!(spans_by_id(&found[1].1), spans_by_id(&decoded(Format::ZipkinJson, &zipkin_body)));
    assert_eq!(translators::otlp::span_count(&found[0].1), 3);
    // The Zipkin receiver's port answers the Zipkin query API over the same store.
    let body = reqwest::get(format!("http://{zipkin}/api/v2/services"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let services: Vec<String> = serde_json::from_str(&body).unwrap();
    assert_eq!(services, ["legacy-jaeger", "legacy-zipkin"]);
    // The store's gauges on the admin endpoint: 5 spans committed in one partition, no logs.
    let metrics = reqwest::get(format!("http://{}/metrics", running.admin))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let labels = "component_kind=\"exporter\",component_id=\"store\"";
    for line in [
        format!("otelbridge_store_documents{{{labels},signal=\"traces\"}} 5"),
        format!("otelbridge_store_partitions{{{labels},signal=\"traces\"}} 1"),
        format!("otelbridge_store_partitions{{{labels},signal=\"logs\"}} 0"),
    ] {
        assert!(metrics.lines().any(|l| l == line), "no {line:?} in:\n{metrics}");
    }
    assert_eq!(metrics.matches("# TYPE otelbridge_store_disk_bytes gauge").count(), 1);
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

struct Bridge {
    child: Child,
    url: String,
}

fn start_bridge(config: &Path, port: u16) -> Bridge {
    let child = Command::new(env!("CARGO_BIN_EXE_otelbridge"))
        .args(["run", "--config"])
        .arg(config)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/v1/traces");
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(&url).send().is_err() {
        assert!(Instant::now() < deadline, "bridge did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Bridge { child, url }
}

fn post(bridge: &Bridge, request: &ExportTraceServiceRequest) {
    let answer = reqwest::blocking::Client::new()
        .post(&bridge.url)
        .header("content-type", "application/x-protobuf")
        .body(encode_traces(Format::OtlpProto, request).bytes)
        .send()
        .unwrap();
    assert_eq!(answer.status(), 200);
}

fn stored_spans(dir: &Path, trace: u8) -> usize {
    let store = Store::open_read_only(dir).unwrap();
    store
        .traces(&[[trace; 16]])
        .unwrap()
        .first()
        .map_or(0, |(_, t)| translators::otlp::span_count(t))
}

#[test]
fn sigkill_loses_at_most_one_commit_interval_and_a_restart_reopens_the_store() {
    let dir = temp_dir("sigkill");
    let port = free_port();
    let query_port = free_port();
    let config = dir.join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "receivers: {{ otlp: {{ protocols: {{ http: {{ endpoint: 127.0.0.1:{port} }} }} }} }}\n\
             exporters: {{ store: {{ data_dir: {}, commit_interval: 1s, \
             jaeger_query: {{ endpoint: 127.0.0.1:{query_port} }} }} }}\n\
             pipelines: {{ traces: {{ receivers: [otlp], exporters: [store] }} }}\n\
             service: {{ admin: {{ endpoint: 127.0.0.1:0 }} }}\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    let mut bridge = start_bridge(&config, port);
    post(&bridge, &batch("before", 0x31, 40));
    // More than one commit interval (1 s) passes: the first batch must survive anything from here on.
    std::thread::sleep(Duration::from_millis(2500));
    post(&bridge, &batch("after", 0x32, 40));
    bridge.child.kill().unwrap(); // SIGKILL
    bridge.child.wait().unwrap();

    assert_eq!(stored_spans(&dir.join("data"), 0x31), 40, "committed before the kill: kept whole");
    let after = stored_spans(&dir.join("data"), 0x32);
    assert!(after == 0 || after == 40, "a batch is committed whole or not at all, found {after}");

    // The restarted service opens the partition the killed one was writing, takes more, and a graceful stop
    // (SIGTERM) commits it without waiting for the timer.
    let mut bridge = start_bridge(&config, port);
    // The restarted service answers from what the killed one committed, through its Jaeger query API.
    let url = format!("http://127.0.0.1:{query_port}/api/traces/{}", "31".repeat(16));
    let body = reqwest::blocking::get(url).unwrap().text().unwrap();
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["data"][0]["spans"].as_array().map(Vec::len), Some(40), "{answer}");
    assert_eq!(answer["data"][0]["processes"]["p1"]["serviceName"], "before");
    post(&bridge, &batch("restarted", 0x33, 5));
    let status =
        Command::new("kill").args(["-TERM", &bridge.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    assert!(bridge.child.wait().unwrap().success());
    assert_eq!(stored_spans(&dir.join("data"), 0x31), 40);
    assert_eq!(stored_spans(&dir.join("data"), 0x33), 5);
    let _ = std::fs::remove_dir_all(&dir);
}
