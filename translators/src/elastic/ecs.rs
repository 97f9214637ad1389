//! One JSON document (ECS, Logstash, or anything else) ⇄ one OTLP log record with its resource and scope.
//!
//! The way in applies the ECS ⇄ OTLP table (docs/mappings/logs.md); the way back applies it in reverse.
//! Two hints keep the sender's spelling: top-level dotted keys are listed in [`DOTTED_KEYS_ATTRIBUTE`], and
//! an `@timestamp` we would write differently is also kept as attribute `@timestamp`.
//! Losslessness is checked, not hoped for: after mapping a document, the record is written back and compared
//! with the original. When they differ (two spellings of one field, a number beyond `i64`...), the record
//! keeps its mapped time, severity, ids and resource, but its body becomes the whole document as a map and
//! [`DOCUMENT_ATTRIBUTE`] says so (the Collector's `bodymap` shape); writing it back gives the document.

use super::json_value::{any_to_json, json_to_any, kvlist_to_map, map_to_kvlist};
use super::timestamp;
use crate::ids::{parse_hex_padded, to_hex};
use crate::otlp::logs_model::{severity_short_name, LogRecord};
use crate::otlp::model::{any_value::Value as V, AnyValue, KeyValue};
use serde_json::{Map, Value};

/// Attribute holding the index (or data stream) a document was sent to.
pub const INDEX_ATTRIBUTE: &str = "elasticsearch.index";
/// Attribute holding the `_id` a bulk action gave a document.
pub const ID_ATTRIBUTE: &str = "elasticsearch.id";
/// Attribute saying how the document is held when the mapped record could not give it back exactly:
/// `body` (the body is the document as a map) or `json` (the body is the document's JSON text).
pub const DOCUMENT_ATTRIBUTE: &str = "elasticsearch.document";
/// Attribute listing the document's top-level keys that contain dots (`"log.level"`, `"ecs.version"`, as
/// the Elastic ECS loggers write them), so that the way back writes them dotted again instead of nesting.
pub const DOTTED_KEYS_ATTRIBUTE: &str = "elasticsearch.dotted_keys";
/// Attribute (`true`) marking a Logstash event whose `host` was a plain string (Logstash without ECS
/// compatibility); without it, Logstash events are written with ECS `host.name`, as Logstash 8 does.
pub const HOST_STRING_ATTRIBUTE: &str = "logstash.host_string";

/// Which flavour of document is read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Elastic Common Schema documents (Beats, Elastic loggers, Fluent Bit, the ES exporter's `ecs` mode).
    Ecs,
    /// Logstash events: as ECS, plus `host` as a plain string and `"@version": "1"` on the way out.
    Logstash,
}

/// A document mapped to OTLP: the resource attributes, the scope name, and the record.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedRecord {
    /// Resource attributes (`service.name`, `host.name`, `k8s.*`...).
    pub resource: Vec<KeyValue>,
    /// Instrumentation scope name (ECS `log.logger`), "" when none.
    pub scope: String,
    /// The record.
    pub record: LogRecord,
}

/// ECS field → OTLP resource attribute, both ways.
const RESOURCE_FIELDS: &[(&str, &str)] = &[
    ("service.name", "service.name"),
    ("service.version", "service.version"),
    ("service.environment", "deployment.environment.name"),
    ("service.node.name", "service.instance.id"),
    ("host.name", "host.name"),
    ("host.hostname", "host.hostname"),
    ("host.id", "host.id"),
    ("host.ip", "host.ip"),
    ("host.mac", "host.mac"),
    ("host.architecture", "host.arch"),
    ("host.os.type", "os.type"),
    ("host.os.name", "os.name"),
    ("host.os.version", "os.version"),
    ("orchestrator.cluster.name", "k8s.cluster.name"),
    ("kubernetes.namespace", "k8s.namespace.name"),
    ("kubernetes.pod.name", "k8s.pod.name"),
    ("kubernetes.pod.uid", "k8s.pod.uid"),
    ("kubernetes.node.name", "k8s.node.name"),
    ("kubernetes.container.name", "k8s.container.name"),
    ("kubernetes.deployment.name", "k8s.deployment.name"),
    ("kubernetes.statefulset.name", "k8s.statefulset.name"),
    ("kubernetes.daemonset.name", "k8s.daemonset.name"),
];

/// OTLP resource attributes written out under another ECS name only (never read back into them).
const RESOURCE_OUT_ONLY: &[(&str, &str)] =
    &[("telemetry.sdk.name", "agent.name"), ("telemetry.sdk.version", "agent.version")];

/// ECS field → OTLP record attribute, both ways (OTel semantic conventions for exceptions).
const ATTRIBUTE_FIELDS: &[(&str, &str)] = &[
    ("error.message", "exception.message"),
    ("error.type", "exception.type"),
    ("error.stack_trace", "exception.stacktrace"),
];

/// The OTel severity number of a level name as loggers and syslog spell it (case-insensitive); 0 when unknown.
pub fn severity_number(level: &str) -> i32 {
    match level.trim().to_ascii_lowercase().as_str() {
        "trace" | "finest" => 1,
        "finer" => 2,
        "debug" | "fine" => 5,
        "config" => 6,
        "info" | "information" | "informational" => 9,
        "notice" => 10,
        "warn" | "warning" => 13,
        "error" | "err" | "severe" => 17,
        "critical" | "crit" => 18,
        "alert" => 19,
        "fatal" | "panic" | "emergency" | "emerg" => 21,
        _ => 0,
    }
}

/// Flattens a document into dotted leaf keys. Arrays, scalars, `null` and empty objects are leaves.
fn flatten<'a>(
    prefix: &mut String,
    map: &'a Map<String, Value>,
    out: &mut Vec<(String, &'a Value)>,
) {
    for (key, value) in map {
        let len = prefix.len();
        if !prefix.is_empty() {
            prefix.push('.');
        }
        prefix.push_str(key);
        match value {
            Value::Object(inner) if !inner.is_empty() => flatten(prefix, inner, out),
            _ => out.push((prefix.clone(), value)),
        }
        prefix.truncate(len);
    }
}

fn string_value(s: &str) -> Option<V> {
    Some(V::StringValue(s.to_string()))
}

fn key_value(key: &str, value: AnyValue) -> KeyValue {
    KeyValue { key: key.to_string(), value: Some(value) }
}

/// Maps one document to a record, adding `extra` attributes (the index and id of a bulk action), and falls
/// back to keeping the document whole when the mapped record would not give it back exactly.
/// `text` is the document's JSON text, kept only in the last resort.
pub fn document_to_record(
    document: &Map<String, Value>,
    text: &str,
    dialect: Dialect,
    extra: &[(&str, &str)],
) -> MappedRecord {
    let extra_attributes =
        || extra.iter().map(|(key, value)| key_value(key, AnyValue { value: string_value(value) }));
    let mut mapped = map_fields(document, dialect);
    mapped.record.attributes.extend(extra_attributes());
    if record_to_document(&mapped.resource, &mapped.scope, &mapped.record, dialect) == *document {
        return mapped;
    }
    // Keep the mapped time, severity, ids, event name and resource; the document itself goes in the body.
    let record = &mut mapped.record;
    // The document's own fields (even one named like ours) now live in the body only.
    record.attributes.clear();
    record.attributes.extend(extra_attributes());
    let body = AnyValue { value: Some(V::KvlistValue(map_to_kvlist(document))) };
    let exact =
        matches!(&body.value, Some(V::KvlistValue(list)) if kvlist_to_map(list) == *document);
    let (body, how) =
        if exact { (body, "body") } else { (AnyValue { value: string_value(text) }, "json") };
    record.body = Some(body);
    record.attributes.push(key_value(DOCUMENT_ATTRIBUTE, AnyValue { value: string_value(how) }));
    mapped
}

/// Applies the mapping table, without the exactness check.
fn map_fields(document: &Map<String, Value>, dialect: Dialect) -> MappedRecord {
    let mut leaves = Vec::with_capacity(document.len() * 2);
    flatten(&mut String::new(), document, &mut leaves);
    let mut record = LogRecord::default();
    let mut resource: Vec<KeyValue> = Vec::new();
    let mut scope = String::new();
    let mut attributes = Vec::with_capacity(leaves.len());
    let seen_resource =
        |resource: &Vec<KeyValue>, key: &str| resource.iter().any(|kv| kv.key == key);
    for (key, value) in leaves {
        let text = value.as_str();
        let taken = match (key.as_str(), text) {
            ("@timestamp", Some(t)) if record.time_unix_nano == 0 => match timestamp::parse(t) {
                Some(ns) if ns != 0 => {
                    record.time_unix_nano = ns;
                    // A time spelled otherwise than we would write it (an offset, other precision) also
                    // stays as an attribute, so that the way back writes the sender's text.
                    timestamp::format(ns) == t
                }
                _ => false,
            },
            ("message", Some(t)) if record.body.is_none() => {
                record.body = Some(AnyValue { value: string_value(t) });
                true
            }
            ("log.level", Some(t)) if record.severity_text.is_empty() && !t.is_empty() => {
                record.severity_text = t.to_string();
                record.severity_number = severity_number(t);
                true
            }
            ("trace.id", Some(t)) if record.trace_id.is_empty() && t.len() == 32 => {
                match parse_hex_padded::<16>(t) {
                    Ok(id) if to_hex(&id) == t => {
                        record.trace_id = id.to_vec();
                        true
                    }
                    _ => false,
                }
            }
            ("span.id", Some(t)) if record.span_id.is_empty() && t.len() == 16 => {
                match parse_hex_padded::<8>(t) {
                    Ok(id) if to_hex(&id) == t => {
                        record.span_id = id.to_vec();
                        true
                    }
                    _ => false,
                }
            }
            ("log.logger", Some(t)) if scope.is_empty() && !t.is_empty() => {
                scope = t.to_string();
                true
            }
            ("event.action", Some(t)) if record.event_name.is_empty() && !t.is_empty() => {
                record.event_name = t.to_string();
                true
            }
            ("host", Some(_))
                if dialect == Dialect::Logstash && !seen_resource(&resource, "host.name") =>
            {
                resource.push(key_value("host.name", json_to_any(value)));
                let flag = AnyValue { value: Some(V::BoolValue(true)) };
                attributes.push(key_value(HOST_STRING_ATTRIBUTE, flag));
                true
            }
            _ => false,
        };
        if taken {
            continue;
        }
        if let Some((_, otel)) = RESOURCE_FIELDS.iter().find(|(ecs, _)| *ecs == key) {
            if !seen_resource(&resource, otel) {
                resource.push(key_value(otel, json_to_any(value)));
                continue;
            }
        }
        let name = ATTRIBUTE_FIELDS
            .iter()
            .find(|(ecs, _)| *ecs == key)
            .map_or(key.as_str(), |(_, otel)| otel);
        attributes.push(key_value(name, json_to_any(value)));
    }
    let dotted: Vec<AnyValue> = document
        .keys()
        .filter(|k| k.contains('.'))
        .map(|k| AnyValue { value: string_value(k) })
        .collect();
    if !dotted.is_empty() {
        let list = V::ArrayValue(crate::otlp::model::ArrayValue { values: dotted });
        attributes.push(key_value(DOTTED_KEYS_ATTRIBUTE, AnyValue { value: Some(list) }));
    }
    record.attributes = attributes;
    MappedRecord { resource, scope, record }
}

/// Puts `value` at the dotted `key`, nesting objects; a key whose path is blocked (a non-object on the way,
/// or the leaf already taken) is kept whole, dotted, at the top level.
fn insert_dotted(document: &mut Map<String, Value>, key: &str, value: Value) {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() == 1 || parts.iter().any(|p| p.is_empty()) {
        document.entry(key.to_string()).or_insert(value);
        return;
    }
    let (leaf, parents) = parts.split_last().expect("split gives at least one part");
    let mut open = true;
    let mut at: Option<&Map<String, Value>> = Some(document);
    for part in parents {
        at = match at.and_then(|m| m.get(*part)) {
            Some(Value::Object(inner)) => Some(inner),
            Some(_) => {
                open = false;
                break;
            }
            None => None,
        };
    }
    if !open || at.is_some_and(|m| m.contains_key(*leaf)) {
        document.entry(key.to_string()).or_insert(value);
        return;
    }
    let mut at = document;
    for part in parents {
        let next = at.entry(part.to_string()).or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(inner) = next else { return };
        at = inner;
    }
    at.insert(leaf.to_string(), value);
}

/// Puts a field at its dotted name, except under a top-level key the document had written dotted
/// (`dotted`), which is kept as one key.
fn insert_field(document: &mut Map<String, Value>, dotted: &[&str], key: &str, value: Value) {
    if dotted.contains(&key) {
        document.entry(key.to_string()).or_insert(value);
        return;
    }
    let prefix = dotted
        .iter()
        .filter(|d| key.len() > d.len() && key.starts_with(**d) && key.as_bytes()[d.len()] == b'.')
        .max_by_key(|d| d.len());
    if let Some(prefix) = prefix {
        if let Value::Object(inner) =
            document.entry(prefix.to_string()).or_insert_with(|| Value::Object(Map::new()))
        {
            insert_dotted(inner, &key[prefix.len() + 1..], value);
            return;
        }
    }
    insert_dotted(document, key, value);
}

fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref())
}

fn attribute_str<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attribute(attributes, key)?.value.as_ref()? {
        V::StringValue(s) => Some(s),
        _ => None,
    }
}

/// Writes a record back as a document: the reverse of the mapping table, or the kept document when
/// [`DOCUMENT_ATTRIBUTE`] says the record holds one. The index and id attributes are not part of it.
pub fn record_to_document(
    resource: &[KeyValue],
    scope: &str,
    record: &LogRecord,
    dialect: Dialect,
) -> Map<String, Value> {
    match attribute_str(&record.attributes, DOCUMENT_ATTRIBUTE) {
        Some("body") => {
            if let Some(V::KvlistValue(list)) = record.body.as_ref().and_then(|b| b.value.as_ref())
            {
                return kvlist_to_map(list);
            }
        }
        Some("json") => {
            if let Some(V::StringValue(text)) = record.body.as_ref().and_then(|b| b.value.as_ref())
            {
                if let Ok(map) = serde_json::from_str::<Map<String, Value>>(text) {
                    return map;
                }
            }
        }
        _ => {}
    }
    let dotted: Vec<&str> =
        match attribute(&record.attributes, DOTTED_KEYS_ATTRIBUTE).and_then(|v| v.value.as_ref()) {
            Some(V::ArrayValue(list)) => list
                .values
                .iter()
                .filter_map(|v| match v.value.as_ref()? {
                    V::StringValue(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
    let mut document = Map::new();
    let time = if record.time_unix_nano != 0 {
        record.time_unix_nano
    } else {
        record.observed_time_unix_nano
    };
    // A kept `@timestamp` text (see the way in) wins; it is written with the attributes.
    if time != 0 && attribute(&record.attributes, "@timestamp").is_none() {
        document.insert("@timestamp".into(), Value::String(timestamp::format(time)));
    }
    match record.body.as_ref().and_then(|b| b.value.as_ref()) {
        None => {}
        Some(V::StringValue(s)) => {
            document.insert("message".into(), Value::String(s.clone()));
        }
        // ECS `message` is text: structured bodies are written as their JSON text.
        Some(_) => {
            document.insert(
                "message".into(),
                Value::String(any_to_json(record.body.as_ref()).to_string()),
            );
        }
    }
    let level = if !record.severity_text.is_empty() {
        record.severity_text.as_str()
    } else {
        severity_short_name(record.severity_number)
    };
    if !level.is_empty() {
        insert_field(&mut document, &dotted, "log.level", Value::String(level.to_string()));
    }
    if !record.trace_id.is_empty() {
        insert_field(&mut document, &dotted, "trace.id", Value::String(to_hex(&record.trace_id)));
    }
    if !record.span_id.is_empty() {
        insert_field(&mut document, &dotted, "span.id", Value::String(to_hex(&record.span_id)));
    }
    if !scope.is_empty() {
        insert_field(&mut document, &dotted, "log.logger", Value::String(scope.to_string()));
    }
    if !record.event_name.is_empty() {
        insert_field(
            &mut document,
            &dotted,
            "event.action",
            Value::String(record.event_name.clone()),
        );
    }
    let host_string = dialect == Dialect::Logstash
        && matches!(
            attribute(&record.attributes, HOST_STRING_ATTRIBUTE).and_then(|v| v.value.as_ref()),
            Some(V::BoolValue(true))
        );
    for kv in resource {
        let value = any_to_json(kv.value.as_ref());
        if host_string && kv.key == "host.name" && value.is_string() {
            document.entry("host".to_string()).or_insert(value);
            continue;
        }
        let name = RESOURCE_FIELDS
            .iter()
            .chain(RESOURCE_OUT_ONLY)
            .find(|(_, otel)| *otel == kv.key)
            .map_or(kv.key.as_str(), |(ecs, _)| ecs);
        insert_field(&mut document, &dotted, name, value);
    }
    for kv in &record.attributes {
        if matches!(
            kv.key.as_str(),
            INDEX_ATTRIBUTE
                | ID_ATTRIBUTE
                | DOCUMENT_ATTRIBUTE
                | DOTTED_KEYS_ATTRIBUTE
                | HOST_STRING_ATTRIBUTE
        ) {
            continue;
        }
        let name = ATTRIBUTE_FIELDS
            .iter()
            .find(|(_, otel)| *otel == kv.key)
            .map_or(kv.key.as_str(), |(ecs, _)| ecs);
        insert_field(&mut document, &dotted, name, any_to_json(kv.value.as_ref()));
    }
    if dialect == Dialect::Logstash {
        document.entry("@version".to_string()).or_insert_with(|| Value::String("1".into()));
    }
    document
}
