//! Property: any JSON object sent through `_bulk` comes back from OTLP field for field, into its index;
//! and so does any object sent as ECS NDJSON or as a Logstash event.

use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use translators::elastic::{
    bulk_to_otlp, ecs_json_to_otlp, logstash_json_to_otlp, otlp_to_bulk, otlp_to_ecs_json,
    otlp_to_logstash_json,
};

/// Keys that collide with the mapping on purpose: ECS names, dotted names, the bridge's own attributes.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z_@]{1,6}",
        1 => "[a-z]{1,3}\\.[a-z]{1,3}",
        1 => prop::sample::select(vec![
            "@timestamp", "message", "log", "level", "logger", "trace", "span", "id", "service", "name", "host",
            "event", "action", "error", "type", "stack_trace", "kubernetes", "pod", "log.level", "service.name",
            "elasticsearch", "index", "document", "@version", "tags", "",
        ]).prop_map(str::to_string),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| Value::Number(i.into())),
        any::<u64>().prop_map(|u| Value::Number(u.into())),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "2024-05-01T12:00:00.123Z",
            "2024-05-01T12:00:00Z",
            "2024-05-01T14:00:00.123456+02:00",
            "info",
            "ERROR",
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "00f067aa0ba902b7",
            "body",
            "json",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn document() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(key(), value(), 0..8).prop_map(|m| m.into_iter().collect())
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn bulk_documents_come_back_field_for_field(docs in prop::collection::vec((document(), "[a-z][a-z0-9-]{0,10}"), 1..6)) {
        let mut body = Vec::new();
        for (doc, index) in &docs {
            body.extend_from_slice(format!("{{\"index\":{{\"_index\":\"{index}\"}}}}\n").as_bytes());
            serde_json::to_writer(&mut body, doc).unwrap();
            body.push(b'\n');
        }
        let decoded = bulk_to_otlp(&body, None);
        prop_assert!(!decoded.has_errors(), "{:?}", decoded.items);
        let out = lines(&otlp_to_bulk(&decoded.request, "default"));
        prop_assert_eq!(out.len(), docs.len() * 2);
        for (pair, (doc, index)) in out.chunks(2).zip(&docs) {
            prop_assert_eq!(&pair[0]["create"]["_index"], &Value::String(index.clone()));
            prop_assert_eq!(&pair[1], &Value::Object(doc.clone()));
        }
    }

    #[test]
    fn ecs_and_logstash_lines_come_back_field_for_field(docs in prop::collection::vec(document(), 1..6)) {
        let mut input = Vec::new();
        for doc in &docs {
            serde_json::to_writer(&mut input, doc).unwrap();
            input.push(b'\n');
        }
        let sent: Vec<Value> = docs.iter().cloned().map(Value::Object).collect();
        let ecs = ecs_json_to_otlp(&input);
        prop_assert!(ecs.errors.is_empty());
        prop_assert_eq!(lines(&otlp_to_ecs_json(&ecs.request)), sent.clone());
        let logstash = logstash_json_to_otlp(&input);
        prop_assert!(logstash.errors.is_empty());
        prop_assert_eq!(lines(&otlp_to_logstash_json(&logstash.request)), sent);
    }
}

/// Lines that are nearly bulk lines: actions, documents, and broken pieces of both.
fn near_bulk_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#"{"index":{"_index":"a"}}"#.to_string()),
        Just(r#"{"create":{}}"#.to_string()),
        Just(r#"{"delete":{"_id":"1"}}"#.to_string()),
        Just(r#"{"update":{"_id":"1"}}"#.to_string()),
        Just(r#"{"index":"x"}"#.to_string()),
        Just(
            r#"{"@timestamp":"2024-05-01T12:00:00.1+0130","log.level":"warn","message":"m"}"#
                .to_string()
        ),
        Just(r#"{"@timestamp":"2024-13-01T25:00:00Z","trace":{"id":"zz"}}"#.to_string()),
        Just(String::new()),
        ".{0,20}",
        document().prop_map(|d| Value::Object(d).to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_input_gives_one_item_per_action_and_never_panics(input in prop::collection::vec(near_bulk_line(), 0..12)) {
        let body = input.join("\n");
        let decoded = bulk_to_otlp(body.as_bytes(), Some("path-index"));
        let taken = decoded.items.iter().filter(|i| i.result.is_ok()).count();
        prop_assert_eq!(translators::elastic::records::record_count(&decoded.request), taken);
        for item in &decoded.items {
            if let Err(error) = &item.result {
                prop_assert!(error.line() >= item.line);
                prop_assert!(error.line() <= input.len());
            }
        }
        // What was taken goes back out as one create action and one document each.
        let out = lines(&otlp_to_bulk(&decoded.request, "x"));
        prop_assert_eq!(out.len(), taken * 2);
        let ecs = ecs_json_to_otlp(body.as_bytes());
        let logstash = logstash_json_to_otlp(body.as_bytes());
        prop_assert_eq!(ecs.errors.len(), logstash.errors.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = bulk_to_otlp(&bytes, None);
        let _ = ecs_json_to_otlp(&bytes);
        let _ = logstash_json_to_otlp(&bytes);
    }
}
