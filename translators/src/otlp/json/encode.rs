//! OTLP/JSON writer: the prost messages written straight into a byte buffer, in `.proto`
//! declaration order, default values left out.

use super::super::model::{
    any_value::Value, span, AnyValue, ExportTraceServiceRequest, InstrumentationScope, KeyValue,
    Resource, ResourceSpans, ScopeSpans, Span, Status,
};
use super::writer::{self, Object};

/// Writes `request` as one JSON object (no newline).
pub(super) fn request(out: &mut Vec<u8>, request: &ExportTraceServiceRequest) {
    let mut o = Object::open(out);
    if !request.resource_spans.is_empty() {
        o.key(out, "resourceSpans");
        list(out, &request.resource_spans, resource_spans);
    }
    o.close(out);
}

fn list<T>(out: &mut Vec<u8>, items: &[T], write: fn(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(out, item);
    }
    out.push(b']');
}

fn string_field(out: &mut Vec<u8>, o: &mut Object, name: &str, value: &str) {
    if !value.is_empty() {
        o.key(out, name);
        writer::string(out, value);
    }
}

fn u32_field(out: &mut Vec<u8>, o: &mut Object, name: &str, value: u32) {
    if value != 0 {
        o.key(out, name);
        writer::uint(out, u64::from(value));
    }
}

fn i32_field(out: &mut Vec<u8>, o: &mut Object, name: &str, value: i32) {
    if value != 0 {
        o.key(out, name);
        writer::int(out, i64::from(value));
    }
}

/// 64-bit integers are decimal strings in proto3 JSON.
fn u64_field(out: &mut Vec<u8>, o: &mut Object, name: &str, value: u64) {
    if value != 0 {
        o.key(out, name);
        out.push(b'"');
        writer::uint(out, value);
        out.push(b'"');
    }
}

/// Trace and span ids are hex in OTLP/JSON (not base64 as plain proto3 JSON would have it).
fn id_field(out: &mut Vec<u8>, o: &mut Object, name: &str, value: &[u8]) {
    if !value.is_empty() {
        o.key(out, name);
        writer::hex(out, value);
    }
}

fn attributes_field(out: &mut Vec<u8>, o: &mut Object, attributes: &[KeyValue]) {
    if !attributes.is_empty() {
        o.key(out, "attributes");
        list(out, attributes, key_value);
    }
}

fn resource_spans(out: &mut Vec<u8>, rs: &ResourceSpans) {
    let mut o = Object::open(out);
    if let Some(r) = &rs.resource {
        o.key(out, "resource");
        resource(out, r);
    }
    if !rs.scope_spans.is_empty() {
        o.key(out, "scopeSpans");
        list(out, &rs.scope_spans, scope_spans);
    }
    string_field(out, &mut o, "schemaUrl", &rs.schema_url);
    o.close(out);
}

fn resource(out: &mut Vec<u8>, r: &Resource) {
    let mut o = Object::open(out);
    attributes_field(out, &mut o, &r.attributes);
    u32_field(out, &mut o, "droppedAttributesCount", r.dropped_attributes_count);
    o.close(out);
}

fn scope_spans(out: &mut Vec<u8>, ss: &ScopeSpans) {
    let mut o = Object::open(out);
    if let Some(s) = &ss.scope {
        o.key(out, "scope");
        scope(out, s);
    }
    if !ss.spans.is_empty() {
        o.key(out, "spans");
        list(out, &ss.spans, span);
    }
    string_field(out, &mut o, "schemaUrl", &ss.schema_url);
    o.close(out);
}

fn scope(out: &mut Vec<u8>, s: &InstrumentationScope) {
    let mut o = Object::open(out);
    string_field(out, &mut o, "name", &s.name);
    string_field(out, &mut o, "version", &s.version);
    attributes_field(out, &mut o, &s.attributes);
    u32_field(out, &mut o, "droppedAttributesCount", s.dropped_attributes_count);
    o.close(out);
}

fn span(out: &mut Vec<u8>, s: &Span) {
    let mut o = Object::open(out);
    id_field(out, &mut o, "traceId", &s.trace_id);
    id_field(out, &mut o, "spanId", &s.span_id);
    string_field(out, &mut o, "traceState", &s.trace_state);
    id_field(out, &mut o, "parentSpanId", &s.parent_span_id);
    u32_field(out, &mut o, "flags", s.flags);
    string_field(out, &mut o, "name", &s.name);
    i32_field(out, &mut o, "kind", s.kind);
    u64_field(out, &mut o, "startTimeUnixNano", s.start_time_unix_nano);
    u64_field(out, &mut o, "endTimeUnixNano", s.end_time_unix_nano);
    attributes_field(out, &mut o, &s.attributes);
    u32_field(out, &mut o, "droppedAttributesCount", s.dropped_attributes_count);
    if !s.events.is_empty() {
        o.key(out, "events");
        list(out, &s.events, event);
    }
    u32_field(out, &mut o, "droppedEventsCount", s.dropped_events_count);
    if !s.links.is_empty() {
        o.key(out, "links");
        list(out, &s.links, link);
    }
    u32_field(out, &mut o, "droppedLinksCount", s.dropped_links_count);
    if let Some(st) = &s.status {
        o.key(out, "status");
        status(out, st);
    }
    o.close(out);
}

fn event(out: &mut Vec<u8>, e: &span::Event) {
    let mut o = Object::open(out);
    u64_field(out, &mut o, "timeUnixNano", e.time_unix_nano);
    string_field(out, &mut o, "name", &e.name);
    attributes_field(out, &mut o, &e.attributes);
    u32_field(out, &mut o, "droppedAttributesCount", e.dropped_attributes_count);
    o.close(out);
}

fn link(out: &mut Vec<u8>, l: &span::Link) {
    let mut o = Object::open(out);
    id_field(out, &mut o, "traceId", &l.trace_id);
    id_field(out, &mut o, "spanId", &l.span_id);
    string_field(out, &mut o, "traceState", &l.trace_state);
    attributes_field(out, &mut o, &l.attributes);
    u32_field(out, &mut o, "droppedAttributesCount", l.dropped_attributes_count);
    u32_field(out, &mut o, "flags", l.flags);
    o.close(out);
}

fn status(out: &mut Vec<u8>, s: &Status) {
    let mut o = Object::open(out);
    string_field(out, &mut o, "message", &s.message);
    i32_field(out, &mut o, "code", s.code);
    o.close(out);
}

fn key_value(out: &mut Vec<u8>, kv: &KeyValue) {
    let mut o = Object::open(out);
    string_field(out, &mut o, "key", &kv.key);
    if let Some(v) = &kv.value {
        o.key(out, "value");
        any_value(out, v);
    }
    o.close(out);
}

/// A set oneof member is written even when it holds its type's default (`"intValue":"0"`):
/// the oneof has presence, so leaving it out would change the message.
fn any_value(out: &mut Vec<u8>, v: &AnyValue) {
    let mut o = Object::open(out);
    match &v.value {
        None => {}
        Some(Value::StringValue(s)) => {
            o.key(out, "stringValue");
            writer::string(out, s);
        }
        Some(Value::BoolValue(b)) => {
            o.key(out, "boolValue");
            out.extend_from_slice(if *b { b"true" } else { b"false" });
        }
        Some(Value::IntValue(i)) => {
            o.key(out, "intValue");
            out.push(b'"');
            writer::int(out, *i);
            out.push(b'"');
        }
        Some(Value::DoubleValue(d)) => {
            o.key(out, "doubleValue");
            writer::double(out, *d);
        }
        Some(Value::ArrayValue(a)) => {
            o.key(out, "arrayValue");
            let mut inner = Object::open(out);
            if !a.values.is_empty() {
                inner.key(out, "values");
                list(out, &a.values, any_value);
            }
            inner.close(out);
        }
        Some(Value::KvlistValue(kv)) => {
            o.key(out, "kvlistValue");
            let mut inner = Object::open(out);
            if !kv.values.is_empty() {
                inner.key(out, "values");
                list(out, &kv.values, key_value);
            }
            inner.close(out);
        }
        Some(Value::BytesValue(b)) => {
            o.key(out, "bytesValue");
            writer::base64(out, b);
        }
    }
    o.close(out);
}
