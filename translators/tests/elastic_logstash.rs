//! Logstash events (`json_lines`) ⇄ OTLP logs.

use serde_json::{json, Value};
use translators::elastic::records::records;
use translators::elastic::{
    logstash_json_to_otlp, otlp_to_logstash_json, DOCUMENT_ATTRIBUTE, HOST_STRING_ATTRIBUTE,
};
use translators::otlp::model::{any_value::Value as V, KeyValue};

fn get<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a V> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

const EVENTS: &str = concat!(
    r#"{"@timestamp":"2024-05-01T12:00:00.123Z","@version":"1","message":"Connection from 10.0.0.9 closed","host":"gateway-2","tags":["syslog","_grokparsefailure"],"type":"syslog","port":51234}"#,
    "\n",
    r#"{"@timestamp":"2024-05-01T12:00:01.000Z","@version":"1","message":"ok","host":"gateway-2","level":"WARN","logger_name":"com.example.Gateway","thread_name":"main","level_value":30000}"#,
    "\n",
    r#"{"@timestamp":"2024-05-01T12:00:02.000Z","@version":"1","message":"ecs v8 shape","host":{"name":"gateway-2"},"event":{"original":"ecs v8 shape"}}"#,
    "\n",
);

#[test]
fn logstash_events_map_to_otlp() {
    let decoded = logstash_json_to_otlp(EVENTS.as_bytes());
    assert!(decoded.errors.is_empty());
    let all: Vec<_> = records(&decoded.request).collect();
    assert_eq!(all.len(), 3);
    let (resource, _, first) = all[0];
    assert_eq!(first.time_unix_nano, 1_714_564_800_123_000_000);
    assert_eq!(
        first.body.as_ref().unwrap().value,
        Some(V::StringValue("Connection from 10.0.0.9 closed".into()))
    );
    assert_eq!(
        get(resource, "host.name"),
        Some(&V::StringValue("gateway-2".into())),
        "a string host is host.name"
    );
    assert_eq!(get(&first.attributes, "@version"), Some(&V::StringValue("1".into())));
    assert_eq!(get(&first.attributes, "type"), Some(&V::StringValue("syslog".into())));
    assert_eq!(get(&first.attributes, "port"), Some(&V::IntValue(51234)));
    assert!(
        matches!(get(&first.attributes, "tags"), Some(V::ArrayValue(a)) if a.values.len() == 2)
    );
    assert!(get(&first.attributes, DOCUMENT_ATTRIBUTE).is_none());
    // logstash-logback-encoder's `level` is not ECS `log.level`: kept as is.
    assert_eq!(get(&all[1].2.attributes, "level"), Some(&V::StringValue("WARN".into())));
    assert_eq!(get(&first.attributes, HOST_STRING_ATTRIBUTE), Some(&V::BoolValue(true)));
    // An ECS v8 event (`host` as an object) also lands on host.name, and maps field by field too.
    assert_eq!(get(all[2].0, "host.name"), Some(&V::StringValue("gateway-2".into())));
    assert!(get(&all[2].2.attributes, HOST_STRING_ATTRIBUTE).is_none());
    assert!(get(&all[2].2.attributes, DOCUMENT_ATTRIBUTE).is_none());
}

#[test]
fn logstash_events_round_trip() {
    let decoded = logstash_json_to_otlp(EVENTS.as_bytes());
    let out = otlp_to_logstash_json(&decoded.request);
    let back: Vec<Value> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let sent: Vec<Value> = EVENTS.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(back, sent);
}

#[test]
fn otel_records_become_logstash_events() {
    let decoded = translators::elastic::ecs_json_to_otlp(
        br#"{"@timestamp":"2024-05-01T12:00:00.000Z","message":"m","host":{"name":"h"},"service":{"name":"s"}}"#,
    );
    let out: Value = serde_json::from_slice(&otlp_to_logstash_json(&decoded.request)).unwrap();
    assert_eq!(
        out,
        json!({"@timestamp":"2024-05-01T12:00:00.000Z","@version":"1","message":"m","host":{"name":"h"},"service":{"name":"s"}}),
        "written with ECS host.name, as Logstash 8 writes events"
    );
}

#[test]
fn a_bad_event_fails_alone() {
    let decoded = logstash_json_to_otlp(b"{\"message\":\"a\"}\n{oops}\n{\"message\":\"b\"}\n");
    assert_eq!(records(&decoded.request).count(), 2);
    assert_eq!(decoded.errors.len(), 1);
    assert_eq!(decoded.errors[0].line(), 2);
}
