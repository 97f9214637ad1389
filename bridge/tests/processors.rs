//! Processors inside the running service, over real sockets: a YAML config with `attributes` and `batch`
//! (OTLP/HTTP in → attributes → batch → `otlp` exporter → an OTLP/gRPC sink), and `memory_limiter` pushing back
//! to the HTTP sender with 503.

mod common;

use common::{metric, numbered_span, post};
use otelbridge::testing::OtlpSink;
use std::time::Duration;
use translators::otlp::model::{
    any_value::Value as V, AnyValue, ExportTraceServiceRequest, KeyValue, Resource, ResourceSpans,
    ScopeSpans, Span,
};
use translators::{encode_traces, Format};

fn attr(key: &str, value: V) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }) }
}

/// One request of `spans` spans from service `svc`, each with the old `http.method` / `http.status_code`.
fn request(batch: u32, spans: u32) -> Vec<u8> {
    let spans = (0..spans)
        .map(|i| Span {
            attributes: vec![
                attr("http.method", V::StringValue("GET".into())),
                attr("http.status_code", V::IntValue(404)),
                attr("user.email", V::StringValue("abc".into())),
            ],
            ..numbered_span(batch, i)
        })
        .collect();
    let traces = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![attr("service.name", V::StringValue("svc".into()))],
                dropped_attributes_count: 0,
            }),
            scope_spans: vec![ScopeSpans { spans, ..ScopeSpans::default() }],
            ..ResourceSpans::default()
        }],
    };
    encode_traces(Format::OtlpProto, &traces).bytes
}

async fn start_yaml(name: &str, yaml: &str) -> otelbridge::service::Running {
    let path = std::env::temp_dir()
        .join(format!("otelbridge-processors-{}-{name}.yaml", std::process::id()));
    std::fs::write(&path, yaml).unwrap();
    let tree = otelbridge::config::load_tree(Some(&path), &[]).unwrap_or_else(|p| panic!("{p}"));
    let _ = std::fs::remove_file(&path);
    let config = otelbridge::config::from_tree(tree).unwrap_or_else(|p| panic!("{p}"));
    otelbridge::service::start(config).await.unwrap()
}

fn value(attributes: &[KeyValue], key: &str) -> Option<V> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.clone()?.value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attributes_then_batch_from_a_yaml_config() {
    let sink = OtlpSink::start().await.unwrap();
    let yaml = format!(
        r#"
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
processors:
  attributes/semconv:
    actions:
      - key: http.method
        action: rename
        new_key: http.request.method
      - key: http.status_code
        action: rename
        new_key: http.response.status_code
      - key: user.email
        action: hash
      - key: deployment.environment.name
        action: upsert
        value: staging
        scope: resource
      - key: migration.phase
        action: insert
        value: 2
        scope: resource
      - key: sampled.ratio
        action: insert
        value: 0.25
      - key: migrated
        action: insert
        value: true
  batch:
    send_batch_size: 5
    timeout: 30s
exporters:
  otlp:
    endpoint: {}
    compression: none
pipelines:
  traces:
    receivers: [otlp]
    processors: [attributes/semconv, batch]
    exporters: [otlp]
service:
  admin:
    endpoint: 127.0.0.1:0
"#,
        sink.endpoint()
    );
    let running = start_yaml("attributes-batch", &yaml).await;
    let url = format!("http://{}/v1/traces", running.address("otlp", "http").unwrap());
    let client = reqwest::Client::new();

    // Two spans per request: the senders are answered at once, though nothing reaches the sink before the
    // third request brings the batch to 6 ≥ send_batch_size 5.
    for batch in 0..2 {
        assert_eq!(post(&client, &url, request(batch, 2)).await.status(), 200);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.span_count(), 0, "still in the batch buffer (timeout 30s)");
    assert_eq!(post(&client, &url, request(2, 2)).await.status(), 200);
    let received = sink.wait_for_spans(6, Duration::from_secs(10)).await;
    assert_eq!(received.len(), 1, "three requests sent on as one batch");
    let batch = &received[0];
    assert_eq!(batch.resource_spans.len(), 3);
    let names: Vec<&str> = batch
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "batch0-span0",
            "batch0-span1",
            "batch1-span0",
            "batch1-span1",
            "batch2-span0",
            "batch2-span1"
        ]
    );
    for rs in &batch.resource_spans {
        let resource = &rs.resource.as_ref().unwrap().attributes;
        assert_eq!(value(resource, "service.name"), Some(V::StringValue("svc".into())));
        assert_eq!(
            value(resource, "deployment.environment.name"),
            Some(V::StringValue("staging".into()))
        );
        assert_eq!(
            value(resource, "migration.phase"),
            Some(V::IntValue(2)),
            "YAML integer stays an integer"
        );
        for span in &rs.scope_spans[0].spans {
            let a = &span.attributes;
            assert_eq!(value(a, "http.request.method"), Some(V::StringValue("GET".into())));
            assert_eq!(value(a, "http.response.status_code"), Some(V::IntValue(404)));
            assert_eq!(value(a, "http.method"), None);
            assert_eq!(value(a, "http.status_code"), None);
            assert_eq!(
                value(a, "user.email"),
                Some(V::StringValue(
                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into()
                ))
            );
            assert_eq!(value(a, "sampled.ratio"), Some(V::DoubleValue(0.25)));
            assert_eq!(value(a, "migrated"), Some(V::BoolValue(true)));
        }
    }

    // One more request stays buffered until shutdown, which flushes it through to the sink.
    assert_eq!(post(&client, &url, request(3, 1)).await.status(), 200);
    let processor = |id: &str| format!("{{component_kind=\"processor\",component_id=\"{id}\"}}");
    assert_eq!(
        metric(
            running.admin,
            &format!("otelbridge_component_accepted_items_total{}", processor("batch"))
        )
        .await,
        6
    );
    assert_eq!(
        metric(
            running.admin,
            &format!(
                "otelbridge_component_accepted_items_total{}",
                processor("attributes/semconv")
            )
        )
        .await,
        7
    );
    running.shutdown().await;
    let received = sink.wait_for_spans(7, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].resource_spans[0].scope_spans[0].spans[0].name, "batch3-span0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_limiter_over_its_limit_answers_503_and_counts_the_drop() {
    let sink = OtlpSink::start().await.unwrap();
    // Any process uses more than 1 MiB: the limiter refuses from its first reading.
    let yaml = format!(
        r#"
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
processors:
  memory_limiter:
    check_interval: 100ms
    limit_mib: 1
exporters:
  otlp:
    endpoint: {}
    compression: none
pipelines:
  traces:
    receivers: [otlp]
    processors: [memory_limiter]
    exporters: [otlp]
service:
  admin:
    endpoint: 127.0.0.1:0
"#,
        sink.endpoint()
    );
    let running = start_yaml("memory-limiter", &yaml).await;
    let url = format!("http://{}/v1/traces", running.address("otlp", "http").unwrap());
    let client = reqwest::Client::new();
    let response = post(&client, &url, request(0, 3)).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers().get("retry-after").unwrap(), "1");
    let text = response.text().await.unwrap();
    assert!(text.contains("memory limit reached"), "{text}");
    let processor = "{component_kind=\"processor\",component_id=\"memory_limiter\"";
    assert_eq!(
        metric(running.admin, &format!("otelbridge_component_refused_items_total{processor}}}"))
            .await,
        3
    );
    assert_eq!(
        metric(
            running.admin,
            &format!(
                "otelbridge_component_dropped_items_total{processor},reason=\"memory_limit\"}}"
            )
        )
        .await,
        3
    );
    running.shutdown().await;
    assert_eq!(sink.span_count(), 0);
}

#[test]
fn processor_config_problems_carry_their_key_paths() {
    let tree = serde_json::json!({
        "receivers": { "otlp": { "protocols": { "http": { "endpoint": "127.0.0.1:0" } } } },
        "processors": {
            "memory_limiter": { "check_interval": "1s" },
            "batch": { "send_batch_size": 100, "send_batch_max_size": 10 },
            "attributes": { "actions": [ { "key": "http.method", "action": "rename" } ] },
        },
        "exporters": { "file": {} },
        "pipelines": { "traces": {
            "receivers": ["otlp"], "processors": ["memory_limiter", "batch", "attributes"], "exporters": ["file"],
        } },
    });
    let problems = otelbridge::config::from_tree(tree).unwrap_err().to_string();
    assert!(
        problems.contains("processors.memory_limiter: set `limit_mib` or `limit_percentage`"),
        "{problems}"
    );
    assert!(
        problems.contains("processors.batch: `send_batch_max_size` (10) must be 0 or at least"),
        "{problems}"
    );
    assert!(
        problems.contains(
            "processors.attributes.actions[0]: action rename on \"http.method\" needs `new_key`"
        ),
        "{problems}"
    );
}
