//! The ECS ⇄ OTLP mapping, rule by rule (docs/mappings/logs.md): each rule read from an ECS document, and
//! written back from an OTLP record.

use serde_json::{json, Value};
use translators::elastic::ecs::severity_number;
use translators::elastic::records::records;
use translators::elastic::{
    ecs_json_to_otlp, otlp_to_ecs_json, ElasticError, DOCUMENT_ATTRIBUTE, DOTTED_KEYS_ATTRIBUTE,
};
use translators::otlp::logs_model::{ExportLogsServiceRequest, LogRecord};
use translators::otlp::model::{any_value::Value as V, KeyValue};

/// Reads one ECS document; returns (resource, scope, record).
fn read(document: Value) -> (Vec<KeyValue>, String, LogRecord) {
    let decoded = ecs_json_to_otlp(document.to_string().as_bytes());
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    let all: Vec<_> =
        records(&decoded.request).map(|(r, s, l)| (r.to_vec(), s.to_string(), l.clone())).collect();
    assert_eq!(all.len(), 1);
    all.into_iter().next().unwrap()
}

/// Reads then writes one document.
fn round_trip(document: &Value) -> Value {
    let decoded = ecs_json_to_otlp(document.to_string().as_bytes());
    serde_json::from_slice(&otlp_to_ecs_json(&decoded.request)).unwrap()
}

fn request_of(document: &Value) -> ExportLogsServiceRequest {
    ecs_json_to_otlp(document.to_string().as_bytes()).request
}

fn get(attributes: &[KeyValue], key: &str) -> Option<V> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.clone()?.value)
}

fn string(s: &str) -> Option<V> {
    Some(V::StringValue(s.to_string()))
}

#[test]
fn timestamp_is_the_record_time() {
    let (_, _, record) = read(json!({"@timestamp": "2024-05-01T12:00:00.500Z"}));
    assert_eq!(record.time_unix_nano, 1_714_564_800_500_000_000);
    assert!(get(&record.attributes, "@timestamp").is_none(), "our own spelling needs no copy");
    // Spelled otherwise than we write it (UTC, 3/6/9 digits): the text is also kept, and comes back.
    let offset = json!({"@timestamp": "2024-05-01T14:00:00.5+02:00", "a": 1});
    let (_, _, record) = read(offset.clone());
    assert_eq!(record.time_unix_nano, 1_714_564_800_500_000_000);
    assert_eq!(get(&record.attributes, "@timestamp"), string("2024-05-01T14:00:00.5+02:00"));
    assert!(get(&record.attributes, DOCUMENT_ATTRIBUTE).is_none());
    assert_eq!(round_trip(&offset), offset);
    // An unreadable time is not a rejection: it stays as it was.
    let (_, _, record) = read(json!({"@timestamp": "yesterday"}));
    assert_eq!(record.time_unix_nano, 0);
    assert_eq!(get(&record.attributes, "@timestamp"), string("yesterday"));
}

#[test]
fn message_is_the_body() {
    let (_, _, record) = read(json!({"message": "hello"}));
    assert_eq!(record.body.unwrap().value, string("hello"));
    let (_, _, record) = read(json!({"message": 42}));
    assert_eq!(
        get(&record.attributes, "message"),
        Some(V::IntValue(42)),
        "a non-text message stays a field"
    );
}

#[test]
fn log_level_is_severity_text_and_number() {
    for (level, number) in [
        ("trace", 1),
        ("DEBUG", 5),
        ("info", 9),
        ("notice", 10),
        ("warning", 13),
        ("WARN", 13),
        ("error", 17),
        ("critical", 18),
        ("alert", 19),
        ("fatal", 21),
        ("emergency", 21),
        ("verbose-ish", 0),
    ] {
        let (_, _, record) = read(json!({"log": {"level": level}}));
        assert_eq!((record.severity_text.as_str(), record.severity_number), (level, number));
        assert_eq!(severity_number(level), number);
    }
    // Out: the text when there is one, else the short name of the number's range.
    let mut request = request_of(&json!({"message": "m"}));
    request.resource_logs[0].scope_logs[0].log_records[0].severity_number = 18;
    let out: Value = serde_json::from_slice(&otlp_to_ecs_json(&request)).unwrap();
    assert_eq!(out["log"]["level"], json!("ERROR"));
}

#[test]
fn trace_and_span_ids() {
    let (_, _, record) = read(
        json!({"trace": {"id": "4bf92f3577b34da6a3ce929d0e0e4736"}, "span": {"id": "00f067aa0ba902b7"}}),
    );
    assert_eq!(translators::ids::to_hex(&record.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(translators::ids::to_hex(&record.span_id), "00f067aa0ba902b7");
    // Ids that are not 32/16 lower-case hex digits stay fields, so they come back as written.
    let odd = json!({"trace": {"id": "4BF92F3577B34DA6A3CE929D0E0E4736"}, "span": {"id": "abc"}});
    let (_, _, record) = read(odd.clone());
    assert!(record.trace_id.is_empty() && record.span_id.is_empty());
    assert_eq!(round_trip(&odd), odd);
}

#[test]
fn service_host_and_environment_are_the_resource() {
    let document = json!({
        "service": {"name": "api", "version": "1.2.3", "environment": "staging", "node": {"name": "api-1"}},
        "host": {"name": "h1", "hostname": "h1.local", "id": "abc", "architecture": "arm64",
                 "ip": ["10.0.0.1"], "os": {"type": "linux", "name": "Debian", "version": "12", "family": "debian"}}
    });
    let (resource, _, record) = read(document.clone());
    let expect = [
        ("service.name", "api"),
        ("service.version", "1.2.3"),
        ("deployment.environment.name", "staging"),
        ("service.instance.id", "api-1"),
        ("host.name", "h1"),
        ("host.hostname", "h1.local"),
        ("host.id", "abc"),
        ("host.arch", "arm64"),
        ("os.type", "linux"),
        ("os.name", "Debian"),
        ("os.version", "12"),
    ];
    for (key, value) in expect {
        assert_eq!(get(&resource, key), string(value), "{key}");
    }
    assert!(matches!(get(&resource, "host.ip"), Some(V::ArrayValue(_))));
    assert_eq!(
        get(&record.attributes, "host.os.family"),
        string("debian"),
        "no OTel name: a record attribute"
    );
    assert_eq!(round_trip(&document), document);
}

#[test]
fn kubernetes_fields_are_k8s_resource_attributes() {
    let document = json!({
        "orchestrator": {"cluster": {"name": "prod-eu"}},
        "kubernetes": {"namespace": "shop", "pod": {"name": "cart-1", "uid": "u-1"}, "node": {"name": "n1"},
                       "container": {"name": "cart"}, "deployment": {"name": "cart"},
                       "labels": {"app": "cart"}}
    });
    let (resource, _, record) = read(document.clone());
    for (key, value) in [
        ("k8s.cluster.name", "prod-eu"),
        ("k8s.namespace.name", "shop"),
        ("k8s.pod.name", "cart-1"),
        ("k8s.pod.uid", "u-1"),
        ("k8s.node.name", "n1"),
        ("k8s.container.name", "cart"),
        ("k8s.deployment.name", "cart"),
    ] {
        assert_eq!(get(&resource, key), string(value), "{key}");
    }
    assert_eq!(get(&record.attributes, "kubernetes.labels.app"), string("cart"));
    assert_eq!(round_trip(&document), document);
}

#[test]
fn error_fields_are_exception_attributes() {
    let document = json!({"error": {"message": "boom", "type": "IOError", "stack_trace": "at a\nat b", "code": "E1"}});
    let (_, _, record) = read(document.clone());
    assert_eq!(get(&record.attributes, "exception.message"), string("boom"));
    assert_eq!(get(&record.attributes, "exception.type"), string("IOError"));
    assert_eq!(get(&record.attributes, "exception.stacktrace"), string("at a\nat b"));
    assert_eq!(get(&record.attributes, "error.code"), string("E1"));
    assert_eq!(round_trip(&document), document);
}

#[test]
fn logger_is_the_scope_and_event_action_the_event_name() {
    let document = json!({"log": {"logger": "com.example.Cart"}, "event": {"action": "checkout", "category": ["web"]}});
    let (_, scope, record) = read(document.clone());
    assert_eq!(scope, "com.example.Cart");
    assert_eq!(record.event_name, "checkout");
    assert!(matches!(get(&record.attributes, "event.category"), Some(V::ArrayValue(_))));
    assert_eq!(round_trip(&document), document);
}

#[test]
fn labels_tags_and_other_fields_are_dotted_attributes() {
    let document = json!({
        "labels": {"team": "core", "tier": 2},
        "tags": ["a", "b"],
        "http": {"response": {"status_code": 503, "bytes": 12.5}},
        "user": {"roles": [{"name": "admin"}]},
        "empty": {},
        "nothing": null,
    });
    let (_, _, record) = read(document.clone());
    assert_eq!(get(&record.attributes, "labels.team"), string("core"));
    assert_eq!(get(&record.attributes, "labels.tier"), Some(V::IntValue(2)));
    assert_eq!(get(&record.attributes, "http.response.status_code"), Some(V::IntValue(503)));
    assert_eq!(get(&record.attributes, "http.response.bytes"), Some(V::DoubleValue(12.5)));
    assert!(
        matches!(get(&record.attributes, "tags"), Some(V::ArrayValue(a)) if a.values.len() == 2)
    );
    // Objects inside arrays stay maps.
    assert!(matches!(get(&record.attributes, "user.roles"), Some(V::ArrayValue(a))
        if matches!(a.values[0].value, Some(V::KvlistValue(_)))));
    assert!(
        matches!(get(&record.attributes, "empty"), Some(V::KvlistValue(l)) if l.values.is_empty())
    );
    assert!(record
        .attributes
        .iter()
        .any(|kv| kv.key == "nothing" && kv.value.as_ref().unwrap().value.is_none()));
    assert!(get(&record.attributes, DOCUMENT_ATTRIBUTE).is_none());
    assert_eq!(round_trip(&document), document);
}

#[test]
fn dotted_top_level_keys_are_written_dotted_again() {
    // ecs-logging (Python) and ecs-pino-format write `log.level` and `ecs.version` as dotted top-level keys.
    let document = json!({
        "@timestamp": "2024-05-01T12:00:00.123Z", "log.level": "info", "message": "started",
        "ecs.version": "1.6.0", "log": {"logger": "app", "origin": {"file": {"line": 12, "name": "app.py"}}},
        "process": {"pid": 7, "thread": {"id": 1, "name": "MainThread"}}, "service.name": "app"
    });
    let (resource, scope, record) = read(document.clone());
    assert_eq!(record.severity_number, 9);
    assert_eq!(record.severity_text, "info");
    assert_eq!(record.body.clone().unwrap().value, string("started"));
    assert_eq!(scope, "app");
    assert_eq!(get(&resource, "service.name"), string("app"));
    assert_eq!(get(&record.attributes, "ecs.version"), string("1.6.0"));
    assert_eq!(get(&record.attributes, "log.origin.file.line"), Some(V::IntValue(12)));
    assert!(get(&record.attributes, DOCUMENT_ATTRIBUTE).is_none());
    let Some(V::ArrayValue(dotted)) = get(&record.attributes, DOTTED_KEYS_ATTRIBUTE) else {
        panic!()
    };
    assert_eq!(dotted.values.len(), 3, "log.level, ecs.version, service.name");
    assert_eq!(round_trip(&document), document);
}

#[test]
fn documents_the_mapping_cannot_give_back_are_kept_whole() {
    // Two spellings of one field: only one can be the severity.
    let document = json!({"@timestamp": "2024-05-01T12:00:00.123Z", "log.level": "info", "log": {"level": "warn"}});
    let (_, _, record) = read(document.clone());
    // The mapped fields are still set for OTLP readers...
    assert_eq!(record.severity_text, "warn");
    assert_eq!(record.time_unix_nano, 1_714_564_800_123_000_000);
    // ...and the body is the document, so it comes back as sent.
    assert_eq!(get(&record.attributes, DOCUMENT_ATTRIBUTE), string("body"));
    assert!(matches!(record.body.unwrap().value, Some(V::KvlistValue(_))));
    assert_eq!(round_trip(&document), document);
    // Integers beyond i64 cannot be an OTLP int: the document's text is kept.
    let big = json!({"n": 18_446_744_073_709_551_615u64});
    let (_, _, record) = read(big.clone());
    assert_eq!(get(&record.attributes, DOCUMENT_ATTRIBUTE), string("json"));
    assert_eq!(round_trip(&big), big);
}

#[test]
fn bad_lines_fail_alone_with_line_and_column() {
    let input = b"{\"message\":\"a\"}\n{\"message\": tru}\n\"text\"\n{\"message\":\"b\"}\n";
    let decoded = ecs_json_to_otlp(input);
    assert_eq!(records(&decoded.request).count(), 2);
    assert_eq!(decoded.errors.len(), 2);
    assert!(
        matches!(&decoded.errors[0], ElasticError::InvalidJson { line: 2, column: 15.., .. }),
        "{:?}",
        decoded.errors
    );
    assert!(matches!(&decoded.errors[1], ElasticError::NotAnObject { line: 3, found: "a string" }));
}
