//! `_bulk` bodies as Filebeat, Logstash and Fluent Bit send them → OTLP, field by field; per-item errors;
//! and the way back (ES → OTLP → ES gives each document back with its index).

use serde_json::{json, Map, Value};
use translators::elastic::records::{record_count, records};
use translators::elastic::{
    bulk_to_otlp, otlp_to_bulk, BulkAction, ElasticError, DOCUMENT_ATTRIBUTE, ID_ATTRIBUTE,
    INDEX_ATTRIBUTE,
};
use translators::otlp::logs_model::{ExportLogsServiceRequest, LogRecord, ResourceLogs, ScopeLogs};
use translators::otlp::model::{
    any_value::Value as V, AnyValue, InstrumentationScope, KeyValue, Resource,
};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/elastic/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn get<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a V> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn text<'a>(attributes: &'a [KeyValue], key: &str) -> &'a str {
    match get(attributes, key) {
        Some(V::StringValue(s)) => s,
        other => panic!("{key}: expected a string, got {other:?}"),
    }
}

/// (action line, document) pairs of a bulk body.
fn pairs(body: &[u8]) -> Vec<(Value, Value)> {
    let lines: Vec<Value> = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    lines.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect()
}

/// The documents of a fixture, with their index.
fn documents(body: &[u8]) -> Vec<(String, Value)> {
    pairs(body)
        .into_iter()
        .map(|(action, doc)| {
            let meta = action.as_object().unwrap().values().next().unwrap().clone();
            (meta["_index"].as_str().unwrap().to_string(), doc)
        })
        .collect()
}

fn assert_round_trip(fixture_name: &str) {
    let body = fixture(fixture_name);
    let decoded = bulk_to_otlp(&body, None);
    assert!(!decoded.has_errors(), "{:?}", decoded.items);
    let back = otlp_to_bulk(&decoded.request, "unused-default");
    let out = pairs(&back);
    let expected = documents(&body);
    assert_eq!(out.len(), expected.len());
    for ((action, doc), (index, original)) in out.iter().zip(&expected) {
        assert_eq!(action["create"]["_index"], json!(index), "index of {original}");
        assert_eq!(doc, original, "document came back different");
    }
}

#[test]
fn filebeat_documents_map_to_otlp_field_by_field() {
    let decoded = bulk_to_otlp(&fixture("filebeat_bulk.ndjson"), None);
    assert_eq!(decoded.items.len(), 2);
    assert!(decoded.items.iter().all(|i| i.action == BulkAction::Create && i.result.is_ok()));
    assert_eq!(decoded.items[1].line, 3);
    assert_eq!(decoded.items[0].index.as_deref(), Some("filebeat-8.11.0"));
    let all: Vec<_> = records(&decoded.request).collect();
    assert_eq!(all.len(), 2);

    let (resource, scope, first) = all[0];
    assert_eq!(scope, "");
    assert_eq!(first.time_unix_nano, 1_714_564_800_123_000_000);
    assert_eq!(
        first.body.as_ref().unwrap().value,
        Some(V::StringValue("GET /health 200 3ms".into()))
    );
    assert_eq!(text(resource, "host.name"), "web-1");
    assert_eq!(text(resource, "host.arch"), "x86_64");
    assert_eq!(text(resource, "os.type"), "linux");
    assert_eq!(text(resource, "host.id"), "8f1c3b0a9e2d4c6f8a7b5e3d1c0f9e8d");
    assert!(matches!(get(resource, "host.ip"), Some(V::ArrayValue(a)) if a.values.len() == 2));
    assert_eq!(text(&first.attributes, "log.file.path"), "/var/log/app/app.log");
    assert_eq!(get(&first.attributes, "log.offset"), Some(&V::IntValue(0)));
    assert_eq!(text(&first.attributes, "agent.type"), "filebeat");
    assert_eq!(text(&first.attributes, "host.os.platform"), "ubuntu");
    assert_eq!(get(&first.attributes, "host.containerized"), Some(&V::BoolValue(false)));
    assert_eq!(text(&first.attributes, INDEX_ATTRIBUTE), "filebeat-8.11.0");
    assert!(
        get(&first.attributes, DOCUMENT_ATTRIBUTE).is_none(),
        "an exact mapping needs no kept document"
    );

    let (resource, scope, second) = all[1];
    assert_eq!(scope, "app.payments");
    assert_eq!(second.severity_text, "error");
    assert_eq!(second.severity_number, 17);
    assert_eq!(translators::ids::to_hex(&second.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(translators::ids::to_hex(&second.span_id), "00f067aa0ba902b7");
    assert_eq!(second.event_name, "charge");
    assert_eq!(text(resource, "service.name"), "payments");
    assert_eq!(text(resource, "service.version"), "2.3.1");
    assert_eq!(text(resource, "deployment.environment.name"), "production");
    assert_eq!(text(&second.attributes, "exception.type"), "CardError");
    assert_eq!(text(&second.attributes, "exception.message"), "declined by issuer");
    assert_eq!(text(&second.attributes, "event.dataset"), "app.log");
}

#[test]
fn filebeat_bulk_round_trips() {
    assert_round_trip("filebeat_bulk.ndjson");
}

#[test]
fn logstash_bulk_maps_and_round_trips() {
    let body = fixture("logstash_bulk.ndjson");
    let decoded = bulk_to_otlp(&body, None);
    assert_eq!(decoded.items.len(), 2);
    assert_eq!(decoded.items[0].action, BulkAction::Index);
    assert_eq!(decoded.items[0].id, None, "\"_id\": null is no id");
    assert_eq!(decoded.items[0].index.as_deref(), Some("logstash-2024.05.01"));
    assert_eq!(decoded.items[1].index.as_deref(), Some("logs-generic-default"));
    let all: Vec<_> = records(&decoded.request).collect();
    let (resource, _, first) = all[0];
    assert_eq!(text(resource, "host.name"), "lg-1");
    assert_eq!(text(&first.attributes, "@version"), "1");
    assert_eq!(text(&first.attributes, "type"), "auth");
    assert_eq!(text(&first.attributes, "event.original"), "user alice logged in");
    assert!(
        matches!(get(&first.attributes, "tags"), Some(V::ArrayValue(a)) if a.values.len() == 1)
    );
    assert_eq!(all[1].2.time_unix_nano, 1_714_564_802_000_000_000);
    assert_eq!(text(&all[1].2.attributes, "data_stream.dataset"), "generic");
    assert_round_trip("logstash_bulk.ndjson");
}

#[test]
fn fluent_bit_bulk_maps_and_round_trips() {
    let body = fixture("fluentbit_bulk.ndjson");
    let decoded = bulk_to_otlp(&body, None);
    assert!(!decoded.has_errors());
    let all: Vec<_> = records(&decoded.request).collect();
    let (_, _, first) = all[0];
    assert_eq!(first.time_unix_nano, 1_714_564_800_123_000_000);
    // Fluent Bit's `log` is a string, not the ECS `log` object: an attribute, and no body.
    assert_eq!(text(&first.attributes, "log"), "2024-05-01 12:00:00 INFO started on :8080\n");
    assert_eq!(text(&first.attributes, "kubernetes.pod_name"), "api-7d9f8c6b5-x2x4k");
    assert_eq!(text(&first.attributes, "kubernetes.labels.app"), "api");
    assert_eq!(first.body, None);
    // With Time_Key_Nanos, Fluent Bit writes 9 fraction digits where we would write 3: the time is mapped
    // and the sender's text kept, so it comes back as sent. `cpu0.p_cpu` is a dotted top-level key.
    let (_, _, second) = all[1];
    assert_eq!(second.time_unix_nano, 1_714_564_800_500_000_000);
    assert_eq!(text(&second.attributes, "@timestamp"), "2024-05-01T12:00:00.500000000Z");
    assert_eq!(get(&second.attributes, "cpu0.p_cpu"), Some(&V::DoubleValue(12.0)));
    assert!(get(&second.attributes, DOCUMENT_ATTRIBUTE).is_none());
    assert_eq!(text(&second.attributes, INDEX_ATTRIBUTE), "logstash-2024.05.01");
    assert_round_trip("fluentbit_bulk.ndjson");
}

/// (action line, action name, index, Ok or the error's line) of one item.
type ItemSummary<'a> = (usize, &'a str, Option<&'a str>, Result<(), usize>);

#[test]
fn every_action_gets_one_item_in_order_with_its_error_and_line() {
    let body = b"{\"index\":{\"_index\":\"a\",\"_id\":\"1\",\"pipeline\":\"p\"}}\n\
{\"message\":\"one\"}\n\
{\"delete\":{\"_index\":\"a\",\"_id\":\"9\"}}\n\
{\"update\":{\"_index\":\"a\",\"_id\":\"9\"}}\n\
{\"doc\":{\"x\":1}}\n\
{\"create\":{}}\n\
{\"message\": \"broken\n\
{\"create\":{\"_index\":\"b\",\"dynamic_templates\":{\"x\":\"y\"}}}\n\
[1,2]\n\
{\"index\":{}}\n\
{\"message\":\"path index\"}\n\
not json at all\n\
{\"message\":\"skipped with its bad action line\"}\n\
\n\
{\"create\":{\"_index\":\"c\",\"_id\":42}}\n\
{\"message\":\"last\"}\r\n\
{\"create\":{\"_index\":\"c\"}}\n";
    let decoded = bulk_to_otlp(body, Some("from-path"));
    let summary: Vec<ItemSummary> = decoded
        .items
        .iter()
        .map(|i| {
            (
                i.line,
                i.action.name(),
                i.index.as_deref(),
                i.result.as_ref().map(|_| ()).map_err(|e| e.line()),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "index", Some("a"), Ok(())),
            (3, "delete", Some("a"), Err(3)),
            (4, "update", Some("a"), Err(4)),
            (6, "create", Some("from-path"), Err(7)),
            (8, "create", Some("b"), Err(9)),
            (10, "index", Some("from-path"), Ok(())),
            (12, "index", Some("from-path"), Err(12)),
            (15, "create", Some("c"), Ok(())),
            (17, "create", Some("c"), Err(17)),
        ]
    );
    assert_eq!(decoded.items[0].id.as_deref(), Some("1"));
    assert_eq!(decoded.items[0].pipeline.as_deref(), Some("p"));
    assert_eq!(decoded.items[7].id.as_deref(), Some("42"), "numeric ids are read");
    assert!(
        matches!(&decoded.items[1].result, Err(ElasticError::UnsupportedAction { action, .. }) if action == "delete")
    );
    assert!(
        matches!(&decoded.items[3].result, Err(ElasticError::InvalidJson { line: 7, column, .. }) if *column > 1)
    );
    assert!(matches!(&decoded.items[4].result, Err(ElasticError::NotAnObject { line: 9, .. })));
    assert!(matches!(&decoded.items[6].result, Err(ElasticError::InvalidJson { line: 12, .. })));
    assert!(matches!(&decoded.items[8].result, Err(ElasticError::MissingDocument { line: 17 })));
    assert!(decoded.items[3]
        .result
        .as_ref()
        .unwrap_err()
        .to_string()
        .starts_with("line 7, column"));

    assert_eq!(record_count(&decoded.request), 3);
    let bodies: Vec<_> = records(&decoded.request)
        .map(|(_, _, r)| {
            (
                r.body.clone().unwrap().value.unwrap(),
                text(&r.attributes, INDEX_ATTRIBUTE).to_string(),
            )
        })
        .collect();
    assert_eq!(
        bodies,
        vec![
            (V::StringValue("one".into()), "a".into()),
            (V::StringValue("path index".into()), "from-path".into()),
            (V::StringValue("last".into()), "c".into()),
        ]
    );
    let (_, _, last) = records(&decoded.request).last().unwrap();
    assert_eq!(text(&last.attributes, ID_ATTRIBUTE), "42");
}

#[test]
fn no_index_anywhere_fails_the_item() {
    let decoded = bulk_to_otlp(b"{\"index\":{}}\n{\"message\":\"x\"}\n{\"index\":{\"_index\":\"i\"}}\n{\"message\":\"y\"}\n", None);
    assert!(matches!(decoded.items[0].result, Err(ElasticError::NoIndex { line: 1 })));
    assert!(decoded.items[1].result.is_ok());
    assert_eq!(record_count(&decoded.request), 1);
}

#[test]
fn otel_records_go_out_as_create_actions_with_ecs_documents() {
    let kv = |k: &str, v: &str| KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(V::StringValue(v.into())) }),
    };
    let request = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", "checkout"),
                    kv("k8s.pod.name", "checkout-1"),
                    kv("cloud.region", "eu-west-1"),
                ],
                dropped_attributes_count: 0,
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "io.example.Checkout".into(),
                    ..Default::default()
                }),
                log_records: vec![
                    LogRecord {
                        time_unix_nano: 1_714_564_800_123_456_789,
                        severity_number: 13,
                        body: Some(AnyValue { value: Some(V::StringValue("slow".into())) }),
                        attributes: vec![
                            kv("exception.stacktrace", "at x"),
                            kv("http.request.method", "GET"),
                        ],
                        trace_id: vec![1; 16],
                        span_id: vec![2; 8],
                        ..Default::default()
                    },
                    LogRecord {
                        observed_time_unix_nano: 1_714_564_801_000_000_000,
                        attributes: vec![
                            kv(INDEX_ATTRIBUTE, "kept-index"),
                            kv(ID_ATTRIBUTE, "abc"),
                        ],
                        ..Default::default()
                    },
                ],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    };
    let out = pairs(&otlp_to_bulk(&request, "logs-generic-default"));
    assert_eq!(out[0].0, json!({"create": {"_index": "logs-generic-default"}}));
    assert_eq!(
        out[0].1,
        json!({
            "@timestamp": "2024-05-01T12:00:00.123456789Z",
            "message": "slow",
            "log": {"level": "WARN", "logger": "io.example.Checkout"},
            "trace": {"id": "01010101010101010101010101010101"},
            "span": {"id": "0202020202020202"},
            "service": {"name": "checkout"},
            "kubernetes": {"pod": {"name": "checkout-1"}},
            "cloud": {"region": "eu-west-1"},
            "error": {"stack_trace": "at x"},
            "http": {"request": {"method": "GET"}},
        })
    );
    assert_eq!(out[1].0, json!({"create": {"_index": "kept-index", "_id": "abc"}}));
    let doc: &Map<String, Value> = out[1].1.as_object().unwrap();
    assert_eq!(
        doc["@timestamp"],
        json!("2024-05-01T12:00:01.000Z"),
        "observed time when no event time"
    );
    assert!(!doc.contains_key("elasticsearch"), "index and id are not document fields");
}
