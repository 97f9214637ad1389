//! OTLP → Jaeger api_v2 model: the one way out for every Jaeger codec (Thrift, protobuf, JSON).
//!
//! One [`model::Batch`] per OTLP `ResourceSpans`, with `batch.process` set from the resource
//! and no per-span process. The native OTLP fields Jaeger has no place for become the
//! protocol tags of the OpenTelemetry specification (`span.kind`, `otel.status_code`,
//! `otel.status_description`, `error`, `otel.scope.*` and their `otel.library.*` aliases,
//! `w3c.tracestate`, `otel.dropped_*_count`). Times keep full nanosecond precision here; the
//! Thrift codec truncates to microseconds. The rules are in docs/mappings/traces.md.

use super::model::{self, SpanRefType, ValueType};
use super::{
    ATTR_DEBUG, ATTR_REF_TYPE, FIELD_EVENT, TAG_DROPPED_ATTRIBUTES, TAG_DROPPED_EVENTS,
    TAG_DROPPED_LINKS, TAG_ERROR, TAG_LIBRARY_NAME, TAG_LIBRARY_VERSION, TAG_SCOPE_NAME,
    TAG_SCOPE_VERSION, TAG_SPAN_KIND, TAG_STATUS_CODE, TAG_STATUS_DESCRIPTION, TAG_TRACE_STATE,
    UNKNOWN_SERVICE,
};
use crate::ids;
use crate::otlp::attributes;
use crate::otlp::model::span::{Event, SpanKind};
use crate::otlp::model::status::StatusCode;
use crate::otlp::model::{
    any_value::Value, AnyValue, ExportTraceServiceRequest, InstrumentationScope, KeyValue,
    Resource, Span, SPAN_FLAGS_SAMPLED,
};
use crate::Rejection;

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Maps an OTLP request to Jaeger batches: one per `ResourceSpans` that has spans left.
///
/// Spans Jaeger cannot carry (missing, zero or malformed ids, end before start, a link with
/// a malformed id) are returned as rejections named by their OTLP/JSON path, with the span id
/// in hex when it is readable.
pub fn otlp_to_batches(request: &ExportTraceServiceRequest) -> (Vec<model::Batch>, Vec<Rejection>) {
    let mut batches = Vec::with_capacity(request.resource_spans.len());
    let mut rejected = Vec::new();
    for (i, rs) in request.resource_spans.iter().enumerate() {
        let total = rs.scope_spans.iter().map(|ss| ss.spans.len()).sum();
        let mut spans = Vec::with_capacity(total);
        for (j, ss) in rs.scope_spans.iter().enumerate() {
            let scope = ScopeTags::new(ss.scope.as_ref());
            for (k, span) in ss.spans.iter().enumerate() {
                match span_from_otlp(span, &scope) {
                    Ok(s) => spans.push(s),
                    Err(reason) => {
                        let mut item = format!("resourceSpans[{i}].scopeSpans[{j}].spans[{k}]");
                        if span.span_id.len() == 8 {
                            item.push_str(" (span id ");
                            item.push_str(&ids::to_hex(&span.span_id));
                            item.push(')');
                        }
                        rejected.push(Rejection::new(item, reason));
                    }
                }
            }
        }
        if spans.is_empty() {
            continue;
        }
        batches
            .push(model::Batch { spans, process: Some(resource_to_process(rs.resource.as_ref())) });
    }
    (batches, rejected)
}

/// A resource as a Jaeger process: `service.name` → `serviceName` (`unknown_service` when
/// missing, as the SDK's default resource says), the other attributes → typed process tags,
/// a non-zero dropped count → `otel.dropped_attributes_count`.
pub fn resource_to_process(resource: Option<&Resource>) -> model::Process {
    let Some(resource) = resource else {
        return model::Process { service_name: UNKNOWN_SERVICE.to_string(), tags: Vec::new() };
    };
    let mut service_name = None;
    let mut tags = Vec::with_capacity(resource.attributes.len() + 1);
    for kv in &resource.attributes {
        if service_name.is_none() && kv.key == "service.name" {
            let value = kv.value.as_ref().and_then(|v| v.value.as_ref());
            service_name = Some(match value {
                Some(Value::StringValue(s)) => s.clone(),
                other => attributes::to_tag_string(other),
            });
            continue;
        }
        tags.push(kv_from_otlp(kv));
    }
    if resource.dropped_attributes_count != 0 {
        tags.push(int_tag(TAG_DROPPED_ATTRIBUTES, resource.dropped_attributes_count.into()));
    }
    model::Process {
        service_name: service_name.unwrap_or_else(|| UNKNOWN_SERVICE.to_string()),
        tags,
    }
}

/// An OTLP attribute as a Jaeger tag: primitive types keep their type, bytes become BINARY,
/// arrays and maps become JSON text (spec), an empty value an empty string.
pub fn kv_from_otlp(kv: &KeyValue) -> model::KeyValue {
    value_to_tag(kv.key.clone(), kv.value.as_ref())
}

fn value_to_tag(key: String, value: Option<&AnyValue>) -> model::KeyValue {
    let mut tag = model::KeyValue { key, ..Default::default() };
    match value.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => tag.v_str = s.clone(),
        Some(Value::BoolValue(b)) => {
            tag.v_type = ValueType::Bool as i32;
            tag.v_bool = *b;
        }
        Some(Value::IntValue(i)) => {
            tag.v_type = ValueType::Int64 as i32;
            tag.v_int64 = *i;
        }
        Some(Value::DoubleValue(d)) => {
            tag.v_type = ValueType::Float64 as i32;
            tag.v_float64 = *d;
        }
        Some(Value::BytesValue(b)) => {
            tag.v_type = ValueType::Binary as i32;
            tag.v_binary = b.clone();
        }
        Some(other @ (Value::ArrayValue(_) | Value::KvlistValue(_))) => {
            tag.v_str = attributes::to_json(Some(other)).to_string();
        }
        None => {}
    }
    tag
}

fn string_tag(key: &str, value: impl Into<String>) -> model::KeyValue {
    model::KeyValue { key: key.to_string(), v_str: value.into(), ..Default::default() }
}

fn int_tag(key: &str, value: i64) -> model::KeyValue {
    model::KeyValue {
        key: key.to_string(),
        v_type: ValueType::Int64 as i32,
        v_int64: value,
        ..Default::default()
    }
}

fn bool_tag(key: &str, value: bool) -> model::KeyValue {
    model::KeyValue {
        key: key.to_string(),
        v_type: ValueType::Bool as i32,
        v_bool: value,
        ..Default::default()
    }
}

/// The tags every span of one scope carries, built once per scope.
struct ScopeTags {
    /// `otel.scope.name`/`otel.library.name`, `otel.scope.version`/`otel.library.version`.
    tags: Vec<model::KeyValue>,
    /// Scope attributes, recorded on the span as the spec asks (span attributes win).
    attributes: Vec<model::KeyValue>,
    has_name: bool,
    has_version: bool,
}

impl ScopeTags {
    fn new(scope: Option<&InstrumentationScope>) -> Self {
        let mut out = ScopeTags {
            tags: Vec::new(),
            attributes: Vec::new(),
            has_name: false,
            has_version: false,
        };
        let Some(scope) = scope else { return out };
        if !scope.name.is_empty() {
            out.has_name = true;
            out.tags.push(string_tag(TAG_SCOPE_NAME, scope.name.as_str()));
            out.tags.push(string_tag(TAG_LIBRARY_NAME, scope.name.as_str()));
        }
        if !scope.version.is_empty() {
            out.has_version = true;
            out.tags.push(string_tag(TAG_SCOPE_VERSION, scope.version.as_str()));
            out.tags.push(string_tag(TAG_LIBRARY_VERSION, scope.version.as_str()));
        }
        out.attributes = scope.attributes.iter().map(kv_from_otlp).collect();
        out
    }
}

/// Protocol tags written for a span, as bits, so that a span attribute of the same name
/// does not appear twice (the native field wins).
mod tag_bit {
    pub const KIND: u16 = 1;
    pub const STATUS_CODE: u16 = 1 << 1;
    pub const ERROR: u16 = 1 << 2;
    pub const STATUS_DESCRIPTION: u16 = 1 << 3;
    pub const SCOPE_NAME: u16 = 1 << 4;
    pub const SCOPE_VERSION: u16 = 1 << 5;
    pub const TRACE_STATE: u16 = 1 << 6;
    pub const DROPPED_ATTRIBUTES: u16 = 1 << 7;
    pub const DROPPED_EVENTS: u16 = 1 << 8;
    pub const DROPPED_LINKS: u16 = 1 << 9;
}

fn protocol_bit(key: &str) -> u16 {
    match key {
        TAG_SPAN_KIND => tag_bit::KIND,
        TAG_STATUS_CODE => tag_bit::STATUS_CODE,
        TAG_ERROR => tag_bit::ERROR,
        TAG_STATUS_DESCRIPTION => tag_bit::STATUS_DESCRIPTION,
        TAG_SCOPE_NAME | TAG_LIBRARY_NAME => tag_bit::SCOPE_NAME,
        TAG_SCOPE_VERSION | TAG_LIBRARY_VERSION => tag_bit::SCOPE_VERSION,
        TAG_TRACE_STATE => tag_bit::TRACE_STATE,
        TAG_DROPPED_ATTRIBUTES => tag_bit::DROPPED_ATTRIBUTES,
        TAG_DROPPED_EVENTS => tag_bit::DROPPED_EVENTS,
        TAG_DROPPED_LINKS => tag_bit::DROPPED_LINKS,
        _ => 0,
    }
}

fn timestamp(ns: u64) -> model::Timestamp {
    // Both parts fit: u64::MAX / 1e9 < i64::MAX and the remainder < 1e9.
    model::Timestamp {
        seconds: (ns / NANOS_PER_SECOND) as i64,
        nanos: (ns % NANOS_PER_SECOND) as i32,
    }
}

fn duration(ns: u64) -> model::Duration {
    model::Duration {
        seconds: (ns / NANOS_PER_SECOND) as i64,
        nanos: (ns % NANOS_PER_SECOND) as i32,
    }
}

fn span_from_otlp(span: &Span, scope: &ScopeTags) -> Result<model::Span, String> {
    if span.trace_id.len() != 16 {
        return Err(format!("trace id has {} bytes, expected 16", span.trace_id.len()));
    }
    if ids::is_zero(&span.trace_id) {
        return Err("trace id is zero".into());
    }
    if span.span_id.len() != 8 {
        return Err(format!("span id has {} bytes, expected 8", span.span_id.len()));
    }
    if ids::is_zero(&span.span_id) {
        return Err("span id is zero".into());
    }
    if !span.parent_span_id.is_empty() && span.parent_span_id.len() != 8 {
        return Err(format!(
            "parent span id has {} bytes, expected 8 or none",
            span.parent_span_id.len()
        ));
    }
    if span.end_time_unix_nano < span.start_time_unix_nano {
        return Err(format!(
            "end time {} is before start time {} (negative duration)",
            span.end_time_unix_nano, span.start_time_unix_nano
        ));
    }
    for (k, link) in span.links.iter().enumerate() {
        if link.trace_id.len() != 16 || link.span_id.len() != 8 {
            return Err(format!(
                "links[{k}] has a {}-byte trace id and a {}-byte span id, expected 16 and 8",
                link.trace_id.len(),
                link.span_id.len()
            ));
        }
    }

    let has_parent = !span.parent_span_id.is_empty() && !ids::is_zero(&span.parent_span_id);
    let mut references = Vec::with_capacity(span.links.len() + usize::from(has_parent));
    if has_parent {
        // Proto has no parent field: the parent is the first CHILD_OF reference (spec).
        references.push(model::SpanRef {
            trace_id: span.trace_id.clone(),
            span_id: span.parent_span_id.clone(),
            ref_type: SpanRefType::ChildOf as i32,
        });
    }
    for link in &span.links {
        if ids::is_zero(&link.trace_id) || ids::is_zero(&link.span_id) {
            continue;
        }
        // Links are FOLLOWS_FROM (spec). One that came from an extra Jaeger CHILD_OF
        // reference (attribute `opentracing.ref_type` = `child_of`) goes back to CHILD_OF,
        // unless that would make it read as the parent on the way back in.
        let child_of = attributes::get_str(&link.attributes, ATTR_REF_TYPE) == Some("child_of")
            && (has_parent || link.trace_id != span.trace_id);
        references.push(model::SpanRef {
            trace_id: link.trace_id.clone(),
            span_id: link.span_id.clone(),
            ref_type: if child_of { SpanRefType::ChildOf } else { SpanRefType::FollowsFrom } as i32,
        });
    }

    // Which protocol tags this span gets.
    let kind = match SpanKind::try_from(span.kind) {
        Ok(SpanKind::Client) => Some("client"),
        Ok(SpanKind::Server) => Some("server"),
        Ok(SpanKind::Producer) => Some("producer"),
        Ok(SpanKind::Consumer) => Some("consumer"),
        // INTERNAL SHOULD NOT get a tag (spec); UNSPECIFIED has nothing to say.
        _ => None,
    };
    let (code, message) = match &span.status {
        Some(s) => (StatusCode::try_from(s.code).unwrap_or(StatusCode::Unset), s.message.as_str()),
        None => (StatusCode::Unset, ""),
    };
    let code_name = match code {
        StatusCode::Ok => Some("OK"),
        StatusCode::Error => Some("ERROR"),
        StatusCode::Unset => None,
    };
    // An UNSET status MUST NOT be reported, its description included.
    let description = code_name.is_some() && !message.is_empty();
    let mut written = 0u16;
    let mut bit = |cond: bool, b: u16| {
        if cond {
            written |= b;
        }
    };
    bit(kind.is_some(), tag_bit::KIND);
    bit(code_name.is_some(), tag_bit::STATUS_CODE);
    bit(code == StatusCode::Error, tag_bit::ERROR);
    bit(description, tag_bit::STATUS_DESCRIPTION);
    bit(scope.has_name, tag_bit::SCOPE_NAME);
    bit(scope.has_version, tag_bit::SCOPE_VERSION);
    bit(!span.trace_state.is_empty(), tag_bit::TRACE_STATE);
    bit(span.dropped_attributes_count != 0, tag_bit::DROPPED_ATTRIBUTES);
    bit(span.dropped_events_count != 0, tag_bit::DROPPED_EVENTS);
    bit(span.dropped_links_count != 0, tag_bit::DROPPED_LINKS);

    let mut tags =
        Vec::with_capacity(span.attributes.len() + scope.tags.len() + scope.attributes.len() + 8);
    let mut debug = false;
    for kv in &span.attributes {
        if kv.key == ATTR_DEBUG {
            if let Some(Value::BoolValue(b)) = kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                debug = *b;
                continue;
            }
        }
        if written & protocol_bit(&kv.key) != 0 {
            continue;
        }
        tags.push(kv_from_otlp(kv));
    }
    for a in &scope.attributes {
        if !span.attributes.iter().any(|kv| kv.key == a.key) {
            tags.push(a.clone());
        }
    }
    if let Some(kind) = kind {
        tags.push(string_tag(TAG_SPAN_KIND, kind));
    }
    if let Some(code_name) = code_name {
        tags.push(string_tag(TAG_STATUS_CODE, code_name));
    }
    if code == StatusCode::Error {
        tags.push(bool_tag(TAG_ERROR, true));
    }
    if description {
        tags.push(string_tag(TAG_STATUS_DESCRIPTION, message));
    }
    tags.extend(scope.tags.iter().cloned());
    if !span.trace_state.is_empty() {
        tags.push(string_tag(TAG_TRACE_STATE, span.trace_state.as_str()));
    }
    for (key, n) in [
        (TAG_DROPPED_ATTRIBUTES, span.dropped_attributes_count),
        (TAG_DROPPED_EVENTS, span.dropped_events_count),
        (TAG_DROPPED_LINKS, span.dropped_links_count),
    ] {
        if n != 0 {
            tags.push(int_tag(key, n.into()));
        }
    }

    let mut flags = 0;
    if span.flags & SPAN_FLAGS_SAMPLED != 0 {
        flags |= model::FLAG_SAMPLED;
    }
    if debug {
        flags |= model::FLAG_DEBUG;
    }

    Ok(model::Span {
        trace_id: span.trace_id.clone(),
        span_id: span.span_id.clone(),
        operation_name: span.name.clone(),
        references,
        flags,
        start_time: Some(timestamp(span.start_time_unix_nano)),
        duration: Some(duration(span.end_time_unix_nano - span.start_time_unix_nano)),
        tags,
        logs: span.events.iter().map(event_to_log).collect(),
        process: None,
        process_id: String::new(),
        warnings: Vec::new(),
    })
}

/// An event as a log: the name in field `event` (unless an attribute `event` exists, which
/// takes precedence, spec), the attributes as fields, a non-zero dropped count as
/// `otel.dropped_attributes_count`.
fn event_to_log(event: &Event) -> model::Log {
    let named = !event.name.is_empty() && !event.attributes.iter().any(|kv| kv.key == FIELD_EVENT);
    let mut fields = Vec::with_capacity(
        event.attributes.len()
            + usize::from(named)
            + usize::from(event.dropped_attributes_count != 0),
    );
    if named {
        fields.push(string_tag(FIELD_EVENT, event.name.as_str()));
    }
    fields.extend(event.attributes.iter().map(kv_from_otlp));
    if event.dropped_attributes_count != 0 {
        fields.push(int_tag(TAG_DROPPED_ATTRIBUTES, event.dropped_attributes_count.into()));
    }
    model::Log { timestamp: Some(timestamp(event.time_unix_nano)), fields }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::model::span::Link;
    use crate::otlp::model::{ArrayValue, ResourceSpans, ScopeSpans, Status};

    const TRACE: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

    fn span(id: u8) -> Span {
        Span {
            trace_id: TRACE.to_vec(),
            span_id: vec![0, 0, 0, 0, 0, 0, 0, id],
            name: format!("op{id}"),
            kind: SpanKind::Internal as i32,
            start_time_unix_nano: 1_700_000_000_123_456_789,
            end_time_unix_nano: 1_700_000_001_123_456_794,
            ..Default::default()
        }
    }
    fn request(
        resource: Option<Resource>,
        scope: Option<InstrumentationScope>,
        spans: Vec<Span>,
    ) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource,
                scope_spans: vec![ScopeSpans { scope, spans, schema_url: String::new() }],
                schema_url: String::new(),
            }],
        }
    }
    fn one(span: Span) -> model::Span {
        one_in_scope(span, None)
    }
    fn one_in_scope(span: Span, scope: Option<InstrumentationScope>) -> model::Span {
        let (batches, rej) = otlp_to_batches(&request(None, scope, vec![span]));
        assert!(rej.is_empty(), "{rej:?}");
        batches[0].spans[0].clone()
    }
    fn tag<'a>(tags: &'a [model::KeyValue], key: &str) -> Option<&'a model::KeyValue> {
        tags.iter().find(|t| t.key == key)
    }
    fn tag_str<'a>(tags: &'a [model::KeyValue], key: &str) -> Option<&'a str> {
        tag(tags, key).filter(|t| t.v_type == ValueType::String as i32).map(|t| t.v_str.as_str())
    }
    fn keys(tags: &[model::KeyValue]) -> Vec<&str> {
        tags.iter().map(|t| t.key.as_str()).collect()
    }

    #[test]
    fn resource_becomes_process() {
        let resource = Resource {
            attributes: vec![
                attributes::string("host.name", "box"),
                attributes::string("service.name", "checkout"),
                attributes::int("pid", 7),
                attributes::with_value(
                    "list",
                    Value::ArrayValue(ArrayValue {
                        values: vec![
                            AnyValue { value: Some(Value::StringValue("a".into())) },
                            AnyValue { value: Some(Value::IntValue(1)) },
                        ],
                    }),
                ),
            ],
            dropped_attributes_count: 2,
        };
        let p = resource_to_process(Some(&resource));
        assert_eq!(p.service_name, "checkout");
        assert_eq!(keys(&p.tags), ["host.name", "pid", "list", TAG_DROPPED_ATTRIBUTES]);
        assert_eq!(tag(&p.tags, "pid").unwrap().v_int64, 7);
        assert_eq!(tag_str(&p.tags, "list"), Some(r#"["a",1]"#));
        assert_eq!(tag(&p.tags, TAG_DROPPED_ATTRIBUTES).unwrap().v_int64, 2);

        // No service.name: the SDK default.
        assert_eq!(resource_to_process(None).service_name, "unknown_service");
        let empty = Resource { attributes: vec![attributes::int("x", 1)], ..Default::default() };
        assert_eq!(resource_to_process(Some(&empty)).service_name, "unknown_service");

        // One batch per resource, process on the batch, none on the spans.
        let req = request(Some(resource), None, vec![span(1)]);
        let (batches, _) = otlp_to_batches(&req);
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].process.as_ref().unwrap().service_name, "checkout");
        assert_eq!(batches[0].spans[0].process, None);
    }

    #[test]
    fn scope_tags_with_aliases_and_scope_attributes() {
        let scope = InstrumentationScope {
            name: "io.lib".into(),
            version: "2.0".into(),
            attributes: vec![
                attributes::string("scope.attr", "s"),
                attributes::string("k", "scope"),
            ],
            dropped_attributes_count: 0,
        };
        let mut sp = span(1);
        sp.attributes = vec![attributes::string("k", "span")];
        let j = one_in_scope(sp, Some(scope));
        assert_eq!(tag_str(&j.tags, TAG_SCOPE_NAME), Some("io.lib"));
        assert_eq!(tag_str(&j.tags, TAG_LIBRARY_NAME), Some("io.lib"));
        assert_eq!(tag_str(&j.tags, TAG_SCOPE_VERSION), Some("2.0"));
        assert_eq!(tag_str(&j.tags, TAG_LIBRARY_VERSION), Some("2.0"));
        assert_eq!(tag_str(&j.tags, "scope.attr"), Some("s"));
        // The span's own attribute wins over the scope attribute of the same name.
        assert_eq!(tag_str(&j.tags, "k"), Some("span"));
        assert_eq!(j.tags.iter().filter(|t| t.key == "k").count(), 1);

        let j = one_in_scope(span(1), Some(InstrumentationScope::default()));
        assert!(j.tags.is_empty(), "{:?}", j.tags);
    }

    #[test]
    fn kind_tag() {
        for (kind, want) in [
            (SpanKind::Client, Some("client")),
            (SpanKind::Server, Some("server")),
            (SpanKind::Producer, Some("producer")),
            (SpanKind::Consumer, Some("consumer")),
            (SpanKind::Internal, None),
            (SpanKind::Unspecified, None),
        ] {
            let mut sp = span(1);
            sp.kind = kind as i32;
            assert_eq!(tag_str(&one(sp).tags, TAG_SPAN_KIND), want, "{kind:?}");
        }
    }

    #[test]
    fn status_tags() {
        let with = |code: StatusCode, message: &str| {
            let mut sp = span(1);
            sp.status = Some(Status { code: code as i32, message: message.into() });
            sp.attributes = vec![attributes::string("error", "old"), attributes::int("n", 1)];
            one(sp).tags
        };
        let t = with(StatusCode::Error, "boom");
        assert_eq!(tag_str(&t, TAG_STATUS_CODE), Some("ERROR"));
        assert_eq!(tag_str(&t, TAG_STATUS_DESCRIPTION), Some("boom"));
        let err = tag(&t, TAG_ERROR).unwrap();
        assert!(err.v_type == ValueType::Bool as i32 && err.v_bool);
        // The generated `error=true` overrides the span's own `error` attribute.
        assert_eq!(t.iter().filter(|t| t.key == TAG_ERROR).count(), 1);

        let t = with(StatusCode::Ok, "");
        assert_eq!(tag_str(&t, TAG_STATUS_CODE), Some("OK"));
        assert_eq!(tag(&t, TAG_STATUS_DESCRIPTION), None);
        assert_eq!(tag_str(&t, TAG_ERROR), Some("old"));

        // UNSET: nothing, not even the description.
        let t = with(StatusCode::Unset, "ignored");
        assert_eq!(keys(&t), ["error", "n"]);
    }

    #[test]
    fn typed_attributes() {
        let mut sp = span(1);
        sp.attributes = vec![
            attributes::string("s", "x"),
            attributes::bool("b", true),
            attributes::int("i", -3),
            attributes::double("d", 0.25),
            attributes::bytes("y", vec![1, 2]),
            KeyValue { key: "empty".into(), value: None },
        ];
        let t = one(sp).tags;
        assert_eq!(tag_str(&t, "s"), Some("x"));
        let b = tag(&t, "b").unwrap();
        assert_eq!((b.v_type, b.v_bool), (ValueType::Bool as i32, true));
        let i = tag(&t, "i").unwrap();
        assert_eq!((i.v_type, i.v_int64), (ValueType::Int64 as i32, -3));
        let d = tag(&t, "d").unwrap();
        assert_eq!((d.v_type, d.v_float64), (ValueType::Float64 as i32, 0.25));
        let y = tag(&t, "y").unwrap();
        assert_eq!((y.v_type, y.v_binary.as_slice()), (ValueType::Binary as i32, &[1u8, 2][..]));
        assert_eq!(tag_str(&t, "empty"), Some(""));
    }

    #[test]
    fn events_become_logs() {
        let mut sp = span(1);
        sp.events = vec![
            Event {
                time_unix_nano: 1_700_000_000_000_000_001,
                name: "retry".into(),
                attributes: vec![attributes::int("attempt", 2)],
                dropped_attributes_count: 3,
            },
            Event {
                time_unix_nano: 5,
                name: "ignored".into(),
                attributes: vec![attributes::string("event", "wins")],
                dropped_attributes_count: 0,
            },
            Event { time_unix_nano: 6, ..Default::default() },
        ];
        let logs = one(sp).logs;
        assert_eq!(logs.len(), 3);
        assert_eq!(logs[0].timestamp, Some(model::Timestamp { seconds: 1_700_000_000, nanos: 1 }));
        assert_eq!(keys(&logs[0].fields), ["event", "attempt", TAG_DROPPED_ATTRIBUTES]);
        assert_eq!(tag_str(&logs[0].fields, "event"), Some("retry"));
        assert_eq!(tag(&logs[0].fields, TAG_DROPPED_ATTRIBUTES).unwrap().v_int64, 3);
        // An `event` attribute takes precedence over the name (spec).
        assert_eq!(keys(&logs[1].fields), ["event"]);
        assert_eq!(tag_str(&logs[1].fields, "event"), Some("wins"));
        assert!(logs[2].fields.is_empty());
    }

    fn link(trace: [u8; 16], span: u8, attrs: Vec<KeyValue>) -> Link {
        Link {
            trace_id: trace.to_vec(),
            span_id: vec![0, 0, 0, 0, 0, 0, 0, span],
            attributes: attrs,
            ..Default::default()
        }
    }

    #[test]
    fn parent_and_links_become_references() {
        let mut sp = span(1);
        sp.parent_span_id = vec![0, 0, 0, 0, 0, 0, 0, 9];
        sp.links = vec![
            link([7; 16], 2, vec![]),
            link(TRACE, 3, vec![attributes::string(ATTR_REF_TYPE, "child_of")]),
            link([0; 16], 4, vec![]),
        ];
        let refs = one(sp).references;
        let got: Vec<_> = refs.iter().map(|r| (r.trace_id[0], r.span_id[7], r.ref_type)).collect();
        let child = SpanRefType::ChildOf as i32;
        let follows = SpanRefType::FollowsFrom as i32;
        assert_eq!(got, [(1, 9, child), (7, 2, follows), (1, 3, child)]);

        // Without a parent, a same-trace child_of link stays FOLLOWS_FROM, or it would come
        // back as the parent.
        let mut sp = span(1);
        sp.links = vec![link(TRACE, 3, vec![attributes::string(ATTR_REF_TYPE, "child_of")])];
        assert_eq!(one(sp).references[0].ref_type, follows);

        // A zero parent is no parent.
        let mut sp = span(1);
        sp.parent_span_id = vec![0; 8];
        assert!(one(sp).references.is_empty());
    }

    #[test]
    fn ids_times_flags_trace_state_and_counts() {
        let mut sp = span(1);
        sp.flags = SPAN_FLAGS_SAMPLED | 0x300;
        sp.trace_state = "a=b".into();
        sp.dropped_attributes_count = 1;
        sp.dropped_events_count = 2;
        sp.dropped_links_count = 3;
        sp.attributes =
            vec![attributes::bool(ATTR_DEBUG, true), attributes::string(TAG_TRACE_STATE, "stale")];
        let j = one(sp);
        assert_eq!(j.trace_id, TRACE.to_vec());
        assert_eq!(j.span_id, vec![0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(j.operation_name, "op1");
        assert_eq!(j.flags, model::FLAG_SAMPLED | model::FLAG_DEBUG);
        assert_eq!(
            j.start_time,
            Some(model::Timestamp { seconds: 1_700_000_000, nanos: 123_456_789 })
        );
        assert_eq!(j.duration, Some(model::Duration { seconds: 1, nanos: 5 }));
        assert_eq!(
            keys(&j.tags),
            [TAG_TRACE_STATE, TAG_DROPPED_ATTRIBUTES, TAG_DROPPED_EVENTS, TAG_DROPPED_LINKS]
        );
        assert_eq!(tag_str(&j.tags, TAG_TRACE_STATE), Some("a=b"));
        let counts: Vec<i64> = j.tags[1..].iter().map(|t| t.v_int64).collect();
        assert_eq!(counts, [1, 2, 3]);

        let mut sp = span(1);
        sp.flags = 0;
        assert_eq!(one(sp).flags, 0);
    }

    #[test]
    fn bad_spans_are_rejected_with_their_path() {
        let mut zero = span(2);
        zero.trace_id = vec![0; 16];
        let mut backwards = span(3);
        backwards.end_time_unix_nano = backwards.start_time_unix_nano - 1;
        let mut short = span(4);
        short.trace_id = vec![1; 8];
        let mut bad_link = span(5);
        bad_link.links =
            vec![Link { trace_id: vec![1; 16], span_id: vec![1; 2], ..Default::default() }];
        let mut no_id = span(6);
        no_id.span_id = Vec::new();
        let req = request(None, None, vec![span(1), zero, backwards, short, bad_link, no_id]);
        let (batches, rej) = otlp_to_batches(&req);
        assert_eq!(batches[0].spans.len(), 1);
        let got: Vec<_> = rej.iter().map(|r| (r.item.as_str(), r.reason.as_str())).collect();
        let p = "resourceSpans[0].scopeSpans[0].spans";
        assert_eq!(
            got,
            [
                (format!("{p}[1] (span id 0000000000000002)").as_str(), "trace id is zero"),
                (
                    format!("{p}[2] (span id 0000000000000003)").as_str(),
                    "end time 1700000000123456788 is before start time 1700000000123456789 (negative duration)"
                ),
                (
                    format!("{p}[3] (span id 0000000000000004)").as_str(),
                    "trace id has 8 bytes, expected 16"
                ),
                (
                    format!("{p}[4] (span id 0000000000000005)").as_str(),
                    "links[0] has a 16-byte trace id and a 2-byte span id, expected 16 and 8"
                ),
                (format!("{p}[5]").as_str(), "span id has 0 bytes, expected 8"),
            ]
        );
        // A resource whose spans were all rejected gives no batch.
        let mut zero = span(2);
        zero.span_id = vec![0; 8];
        let (batches, rej) = otlp_to_batches(&request(None, None, vec![zero]));
        assert!(batches.is_empty());
        assert_eq!(rej.len(), 1);
    }
}
