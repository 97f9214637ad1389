//! The owned OTLP model → protobuf, byte-identical to prost's `encode_to_vec` but computing
//! each nested length once (prost sums the children's lengths again at every level).

use super::field as f;
use super::write::Writer;
use super::WireType;
use crate::otlp::model::{
    any_value::Value, span, AnyValue, ExportTraceServiceRequest, InstrumentationScope, KeyValue,
    Resource, Span,
};

/// Encodes a request as protobuf; the same bytes as `request.encode_to_vec()`.
pub fn encode_request(request: &ExportTraceServiceRequest) -> Vec<u8> {
    let mut out = Vec::new();
    encode_request_into(request, &mut out);
    out
}

/// Appends the protobuf encoding of a request to `out`.
pub fn encode_request_into(request: &ExportTraceServiceRequest, out: &mut Vec<u8>) {
    let mut w = Writer::from_vec(std::mem::take(out));
    for rs in &request.resource_spans {
        let m = w.begin(f::REQUEST_RESOURCE_SPANS);
        if let Some(r) = &rs.resource {
            resource(&mut w, r);
        }
        for ss in &rs.scope_spans {
            let m = w.begin(f::RESOURCE_SPANS_SCOPE_SPANS);
            if let Some(s) = &ss.scope {
                scope(&mut w, s);
            }
            for sp in &ss.spans {
                span(&mut w, sp);
            }
            w.string(f::SCOPE_SPANS_SCHEMA_URL, &ss.schema_url);
            w.end(m);
        }
        w.string(f::RESOURCE_SPANS_SCHEMA_URL, &rs.schema_url);
        w.end(m);
    }
    *out = w.into_vec();
}

/// Appends owned attributes as repeated `KeyValue` messages in `field` (for direct routes
/// whose spans carry a few owned values among borrowed ones).
pub fn encode_attributes(w: &mut Writer, field: u32, kvs: &[KeyValue]) {
    attributes(w, field, kvs);
}

/// Appends an owned link as a `Span.links` message.
pub fn encode_link(w: &mut Writer, l: &span::Link) {
    link(w, l);
}

fn resource(w: &mut Writer, r: &Resource) {
    let m = w.begin(f::RESOURCE_SPANS_RESOURCE);
    attributes(w, f::RESOURCE_ATTRIBUTES, &r.attributes);
    w.uint64(f::RESOURCE_DROPPED_ATTRIBUTES, r.dropped_attributes_count.into());
    w.end(m);
}

fn scope(w: &mut Writer, s: &InstrumentationScope) {
    let m = w.begin(f::SCOPE_SPANS_SCOPE);
    w.string(f::SCOPE_NAME, &s.name);
    w.string(f::SCOPE_VERSION, &s.version);
    attributes(w, f::SCOPE_ATTRIBUTES, &s.attributes);
    w.uint64(f::SCOPE_DROPPED_ATTRIBUTES, s.dropped_attributes_count.into());
    w.end(m);
}

fn span(w: &mut Writer, s: &Span) {
    let m = w.begin(f::SCOPE_SPANS_SPANS);
    w.bytes(f::SPAN_TRACE_ID, &s.trace_id);
    w.bytes(f::SPAN_SPAN_ID, &s.span_id);
    w.string(f::SPAN_TRACE_STATE, &s.trace_state);
    w.bytes(f::SPAN_PARENT_SPAN_ID, &s.parent_span_id);
    w.string(f::SPAN_NAME, &s.name);
    w.int32(f::SPAN_KIND, s.kind);
    w.fixed64(f::SPAN_START, s.start_time_unix_nano);
    w.fixed64(f::SPAN_END, s.end_time_unix_nano);
    attributes(w, f::SPAN_ATTRIBUTES, &s.attributes);
    w.uint64(f::SPAN_DROPPED_ATTRIBUTES, s.dropped_attributes_count.into());
    for e in &s.events {
        event(w, e);
    }
    w.uint64(f::SPAN_DROPPED_EVENTS, s.dropped_events_count.into());
    for l in &s.links {
        link(w, l);
    }
    w.uint64(f::SPAN_DROPPED_LINKS, s.dropped_links_count.into());
    if let Some(st) = &s.status {
        let m = w.begin(f::SPAN_STATUS);
        w.string(f::STATUS_MESSAGE, &st.message);
        w.int32(f::STATUS_CODE, st.code);
        w.end(m);
    }
    w.fixed32(f::SPAN_FLAGS, s.flags);
    w.end(m);
}

fn event(w: &mut Writer, e: &span::Event) {
    let m = w.begin(f::SPAN_EVENTS);
    w.fixed64(f::EVENT_TIME, e.time_unix_nano);
    w.string(f::EVENT_NAME, &e.name);
    attributes(w, f::EVENT_ATTRIBUTES, &e.attributes);
    w.uint64(f::EVENT_DROPPED_ATTRIBUTES, e.dropped_attributes_count.into());
    w.end(m);
}

fn link(w: &mut Writer, l: &span::Link) {
    let m = w.begin(f::SPAN_LINKS);
    w.bytes(f::LINK_TRACE_ID, &l.trace_id);
    w.bytes(f::LINK_SPAN_ID, &l.span_id);
    w.string(f::LINK_TRACE_STATE, &l.trace_state);
    attributes(w, f::LINK_ATTRIBUTES, &l.attributes);
    w.uint64(f::LINK_DROPPED_ATTRIBUTES, l.dropped_attributes_count.into());
    w.fixed32(f::LINK_FLAGS, l.flags);
    w.end(m);
}

#[inline]
fn attributes(w: &mut Writer, field: u32, kvs: &[KeyValue]) {
    for kv in kvs {
        let m = w.begin(field);
        w.string(f::KEY_VALUE_KEY, &kv.key);
        if let Some(v) = &kv.value {
            let m = w.begin(f::KEY_VALUE_VALUE);
            any_value_body(w, v);
            w.end(m);
        }
        w.end(m);
    }
}

fn any_value_body(w: &mut Writer, v: &AnyValue) {
    match &v.value {
        None => {}
        Some(Value::StringValue(s)) => w.len_field(1, s.as_bytes()),
        Some(Value::BoolValue(b)) => {
            w.key(2, WireType::Varint);
            w.varint(u64::from(*b));
        }
        Some(Value::IntValue(i)) => {
            w.key(3, WireType::Varint);
            w.varint(*i as u64);
        }
        Some(Value::DoubleValue(d)) => {
            w.key(4, WireType::SixtyFourBit);
            w.raw(&d.to_bits().to_le_bytes());
        }
        Some(Value::ArrayValue(a)) => {
            let m = w.begin(5);
            for v in &a.values {
                let m = w.begin(f::LIST_VALUES);
                any_value_body(w, v);
                w.end(m);
            }
            w.end(m);
        }
        Some(Value::KvlistValue(kvs)) => {
            let m = w.begin(6);
            attributes(w, f::LIST_VALUES, &kvs.values);
            w.end(m);
        }
        Some(Value::BytesValue(b)) => w.len_field(7, b),
    }
}
