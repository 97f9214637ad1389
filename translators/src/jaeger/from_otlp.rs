//! OTLP → Jaeger: the one way out for every Jaeger codec (Thrift, protobuf, JSON), from
//! borrowed OTLP protobuf views ([`crate::otlp::wire`]) to [`SpanView`]s handed to a
//! [`JaegerSink`]: the Thrift writer (bytes to bytes, no owned model) or [`ModelSink`] (the
//! api_v2 model, for the protobuf and JSON codecs and [`otlp_to_batches`]).
//!
//! One batch per OTLP `ResourceSpans` that has spans left, its process from the resource. The
//! native OTLP fields Jaeger has no place for become the protocol tags of the OpenTelemetry
//! specification (`span.kind`, `otel.status_code`, `otel.status_description`, `error`,
//! `otel.scope.*` and their `otel.library.*` aliases, `w3c.tracestate`,
//! `otel.dropped_*_count`). Times keep full nanosecond precision here; the Thrift and JSON
//! codecs truncate to microseconds. The rules are in docs/mappings/traces.md.

use super::model::{self, SpanRefType};
use super::view::{Id, LogView, ProcessView, RefView, SpanView, Tag, TagValue};
use super::{ATTR_REF_TYPE, FIELD_EVENT, UNKNOWN_SERVICE};
use crate::ids;
use crate::otlp::attributes;
use crate::otlp::conventions::{
    span_kind_name, status_code_name, ATTR_DEBUG, TAG_DROPPED_ATTRIBUTES, TAG_DROPPED_EVENTS,
    TAG_DROPPED_LINKS, TAG_ERROR, TAG_LIBRARY_NAME, TAG_LIBRARY_VERSION, TAG_SCOPE_NAME,
    TAG_SCOPE_VERSION, TAG_SPAN_KIND, TAG_STATUS_CODE, TAG_STATUS_DESCRIPTION, TAG_TRACE_STATE,
};
use crate::otlp::model::span::SpanKind;
use crate::otlp::model::status::StatusCode;
use crate::otlp::model::{ExportTraceServiceRequest, Resource, SPAN_FLAGS_SAMPLED};
use crate::otlp::validity::{check_span_ids, span_item};
use crate::otlp::wire::{self, AnyValueView, ResourceView, ScopeView, SpanView as OtlpSpan};
use crate::Rejection;
use std::borrow::Cow;

/// Where mapped Jaeger spans go: one batch per OTLP resource that has spans.
pub trait JaegerSink {
    /// A batch starts, with its process.
    fn begin_batch(&mut self, process: &ProcessView<'_>);
    /// One span of the current batch.
    fn span(&mut self, span: &SpanView<'_>);
    /// The current batch ends.
    fn end_batch(&mut self);
}

/// Collects the api_v2 model: one [`model::Batch`] per resource, process on the batch.
#[derive(Debug, Default)]
pub struct ModelSink {
    /// The batches so far.
    pub batches: Vec<model::Batch>,
}

impl JaegerSink for ModelSink {
    fn begin_batch(&mut self, process: &ProcessView<'_>) {
        self.batches.push(model::Batch { spans: Vec::new(), process: Some(process.to_model()) });
    }

    fn span(&mut self, span: &SpanView<'_>) {
        if let Some(b) = self.batches.last_mut() {
            b.spans.push(span.to_model());
        }
    }

    fn end_batch(&mut self) {}
}

/// Maps an OTLP request to Jaeger batches (api_v2 model): one per `ResourceSpans` that has
/// spans left.
///
/// Spans Jaeger cannot carry (missing, zero or malformed ids, end before start, a link with
/// a malformed id) are returned as rejections named by their OTLP/JSON path, with the span id
/// in hex when it is readable.
pub fn otlp_to_batches(request: &ExportTraceServiceRequest) -> (Vec<model::Batch>, Vec<Rejection>) {
    let bytes = wire::encode_request(request);
    let mut sink = ModelSink::default();
    // Our own canonical encoding: it parses, and never needs merging.
    let rejected = match wire::TracesView::parse(&bytes) {
        Ok(view) => map_request(&view, &mut sink),
        Err(_) => Vec::new(),
    };
    (sink.batches, rejected)
}

/// A resource as a Jaeger process: `service.name` → `serviceName` (`unknown_service` when
/// missing, as the SDK's default resource says), the other attributes → typed process tags,
/// a non-zero dropped count → `otel.dropped_attributes_count`.
pub fn resource_to_process(resource: Option<&Resource>) -> model::Process {
    let Some(resource) = resource else { return process_view(None).to_model() };
    let request = ExportTraceServiceRequest {
        resource_spans: vec![crate::otlp::model::ResourceSpans {
            resource: Some(resource.clone()),
            ..Default::default()
        }],
    };
    let bytes = wire::encode_request(&request);
    let view = wire::TracesView::parse(&bytes).ok();
    let rs = view.as_ref().and_then(|v| v.resource_spans().next());
    process_view(rs.and_then(|rs| rs.resource)).to_model()
}

/// The process of a resource (see [`resource_to_process`]).
fn process_view<'a>(resource: Option<ResourceView<'a>>) -> ProcessView<'a> {
    let Some(resource) = resource else {
        return ProcessView { service_name: Cow::Borrowed(UNKNOWN_SERVICE), tags: Vec::new() };
    };
    let mut service_name = None;
    let mut tags = Vec::new();
    for kv in resource.attributes() {
        if service_name.is_none() && kv.key == "service.name" {
            service_name = Some(match kv.value {
                Some(AnyValueView::String(s)) => Cow::Borrowed(s),
                other => Cow::Owned(attributes::to_tag_string(
                    other.map(|v| v.to_model()).and_then(|v| v.value).as_ref(),
                )),
            });
            continue;
        }
        tags.push(tag(kv.key, kv.value));
    }
    if resource.dropped_attributes_count != 0 {
        tags.push(Tag::long(TAG_DROPPED_ATTRIBUTES, resource.dropped_attributes_count.into()));
    }
    ProcessView { service_name: service_name.unwrap_or(Cow::Borrowed(UNKNOWN_SERVICE)), tags }
}

/// An OTLP attribute as a Jaeger tag: primitive types keep their type, bytes become BINARY,
/// arrays and maps become JSON text (spec), an empty value an empty string.
fn tag<'a>(key: &'a str, value: Option<AnyValueView<'a>>) -> Tag<'a> {
    let value = match value {
        Some(AnyValueView::String(s)) => TagValue::Str(Cow::Borrowed(s)),
        Some(AnyValueView::Bool(b)) => TagValue::Bool(b),
        Some(AnyValueView::Int(i)) => TagValue::Long(i),
        Some(AnyValueView::Double(d)) => TagValue::Double(d),
        Some(AnyValueView::Bytes(b)) => TagValue::Binary(b),
        Some(v @ (AnyValueView::Array(_) | AnyValueView::KvList(_))) => {
            let mut out = Vec::with_capacity(64);
            json_text(&mut out, &v);
            TagValue::Str(Cow::Owned(String::from_utf8(out).unwrap_or_default()))
        }
        None | Some(AnyValueView::Empty) => TagValue::Str(Cow::Borrowed("")),
    };
    Tag { key: Cow::Borrowed(key), value }
}

/// A value as JSON text, exactly as `attributes::to_json(..).to_string()` renders it; arrays
/// of plain values are written directly, maps go through the owned model (serde_json sorts
/// their keys).
fn json_text(out: &mut Vec<u8>, value: &AnyValueView<'_>) {
    use base64::Engine;
    // Writing JSON into a Vec cannot fail.
    match *value {
        AnyValueView::Empty => out.extend_from_slice(b"null"),
        // The crate's JSON writers escape and print numbers exactly as serde_json does.
        AnyValueView::String(s) => crate::otlp::json::writer::string(out, s),
        AnyValueView::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        AnyValueView::Int(i) => crate::otlp::json::writer::int(out, i),
        AnyValueView::Double(d) if d.is_finite() => {
            let _ = serde_json::to_writer(&mut *out, &d);
        }
        AnyValueView::Double(d) => {
            let _ = serde_json::to_writer(&mut *out, &d.to_string());
        }
        AnyValueView::Bytes(b) => {
            out.push(b'"');
            out.extend_from_slice(base64::engine::general_purpose::STANDARD.encode(b).as_bytes());
            out.push(b'"');
        }
        AnyValueView::Array(a) => {
            out.push(b'[');
            for (i, v) in a.values().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_text(out, &v);
            }
            out.push(b']');
        }
        AnyValueView::KvList(_) => {
            let owned = value.to_model();
            let json = attributes::to_json(owned.value.as_ref());
            {
                let _ = serde_json::to_writer(&mut *out, &json);
            };
        }
    }
}

/// The tags every span of one scope carries, built once per scope.
struct ScopeTags<'a> {
    /// `otel.scope.name`/`otel.library.name`, `otel.scope.version`/`otel.library.version`.
    tags: Vec<Tag<'a>>,
    /// Scope attributes, recorded on the span as the spec asks (span attributes win).
    attributes: Vec<Tag<'a>>,
    has_name: bool,
    has_version: bool,
}

impl<'a> ScopeTags<'a> {
    fn new(scope: Option<ScopeView<'a>>) -> Self {
        let mut out = ScopeTags {
            tags: Vec::new(),
            attributes: Vec::new(),
            has_name: false,
            has_version: false,
        };
        let Some(scope) = scope else { return out };
        if !scope.name.is_empty() {
            out.has_name = true;
            out.tags.push(Tag::str(TAG_SCOPE_NAME, scope.name));
            out.tags.push(Tag::str(TAG_LIBRARY_NAME, scope.name));
        }
        if !scope.version.is_empty() {
            out.has_version = true;
            out.tags.push(Tag::str(TAG_SCOPE_VERSION, scope.version));
            out.tags.push(Tag::str(TAG_LIBRARY_VERSION, scope.version));
        }
        out.attributes = scope.attributes().map(|kv| tag(kv.key, kv.value)).collect();
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

#[inline]
fn protocol_bit(key: &str) -> u16 {
    if !matches!(key.as_bytes().first(), Some(b's' | b'e' | b'o' | b'w')) {
        return 0;
    }
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

/// Maps every span of a checked OTLP request into `sink`; returns the spans Jaeger cannot
/// carry (see [`otlp_to_batches`]).
pub fn map_request<S: JaegerSink>(request: &wire::TracesView<'_>, sink: &mut S) -> Vec<Rejection> {
    let mut rejected = Vec::new();
    let mut view = SpanView::default();
    for (i, rs) in request.resource_spans().enumerate() {
        let process = process_view(rs.resource);
        let mut begun = false;
        for (j, ss) in rs.scope_spans().enumerate() {
            let scope = ScopeTags::new(ss.scope);
            for (k, span) in ss.spans().enumerate() {
                match span_view(&span, &scope, &mut view) {
                    Ok(()) => {
                        if !begun {
                            sink.begin_batch(&process);
                            begun = true;
                        }
                        sink.span(&view);
                    }
                    Err(reason) => {
                        rejected.push(Rejection::new(span_item(i, j, k, span.span_id), reason));
                    }
                }
            }
        }
        if begun {
            sink.end_batch();
        }
    }
    rejected
}

fn check(span: &OtlpSpan<'_>) -> Result<(), String> {
    check_span_ids(span.trace_id, span.span_id, span.parent_span_id)?;
    if span.end_time_unix_nano < span.start_time_unix_nano {
        return Err(format!(
            "end time {} is before start time {} (negative duration)",
            span.end_time_unix_nano, span.start_time_unix_nano
        ));
    }
    for (k, link) in span.links().enumerate() {
        if link.trace_id.len() != 16 || link.span_id.len() != 8 {
            return Err(format!(
                "links[{k}] has a {}-byte trace id and a {}-byte span id, expected 16 and 8",
                link.trace_id.len(),
                link.span_id.len()
            ));
        }
    }
    Ok(())
}

/// Maps one OTLP span into `out` (reused from span to span).
fn span_view<'a>(
    span: &OtlpSpan<'a>,
    scope: &ScopeTags<'a>,
    out: &mut SpanView<'a>,
) -> Result<(), String> {
    check(span)?;
    out.clear();
    out.trace_id = Id::from_slice(span.trace_id);
    out.span_id = Id::from_slice(span.span_id);
    out.operation_name = Cow::Borrowed(span.name);

    let has_parent = !span.parent_span_id.is_empty() && !ids::is_zero(span.parent_span_id);
    if has_parent {
        // Jaeger's parent is the first CHILD_OF reference (spec); the Thrift writer also
        // gives it as parentSpanId.
        out.references.push(RefView {
            trace_id: out.trace_id,
            span_id: Id::from_slice(span.parent_span_id),
            ref_type: SpanRefType::ChildOf as i32,
        });
    }
    for link in span.links() {
        if ids::is_zero(link.trace_id) || ids::is_zero(link.span_id) {
            continue;
        }
        // Links are FOLLOWS_FROM (spec). One that came from an extra Jaeger CHILD_OF
        // reference (attribute `opentracing.ref_type` = `child_of`) goes back to CHILD_OF,
        // unless that would make it read as the parent on the way back in.
        let ref_type = link.attributes().find(|kv| kv.key == ATTR_REF_TYPE).and_then(|kv| kv.value);
        let child_of = matches!(ref_type, Some(AnyValueView::String("child_of")))
            && (has_parent || link.trace_id != span.trace_id);
        out.references.push(RefView {
            trace_id: Id::from_slice(link.trace_id),
            span_id: Id::from_slice(link.span_id),
            ref_type: if child_of { SpanRefType::ChildOf } else { SpanRefType::FollowsFrom } as i32,
        });
    }

    // Which protocol tags this span gets. INTERNAL SHOULD NOT get a kind tag (spec),
    // UNSPECIFIED has nothing to say.
    let kind = SpanKind::try_from(span.kind).ok().and_then(span_kind_name);
    let (code, message) = match span.status {
        Some(s) => (StatusCode::try_from(s.code).unwrap_or(StatusCode::Unset), s.message),
        None => (StatusCode::Unset, ""),
    };
    let code_name = status_code_name(code);
    // The description only means something with ERROR (spec); UNSET is not reported at all.
    let description = code == StatusCode::Error && !message.is_empty();
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

    let mut debug = false;
    for kv in span.attributes() {
        if kv.key == ATTR_DEBUG {
            if let Some(AnyValueView::Bool(b)) = kv.value {
                debug = b;
                continue;
            }
        }
        if written & protocol_bit(kv.key) != 0 {
            continue;
        }
        out.tags.push(tag(kv.key, kv.value));
    }
    for a in &scope.attributes {
        if !span.attributes().any(|kv| kv.key == a.key) {
            out.tags.push(a.clone());
        }
    }
    if let Some(kind) = kind {
        out.tags.push(Tag::str(TAG_SPAN_KIND, kind));
    }
    if let Some(code_name) = code_name {
        out.tags.push(Tag::str(TAG_STATUS_CODE, code_name));
    }
    if code == StatusCode::Error {
        out.tags.push(Tag::bool(TAG_ERROR, true));
    }
    if description {
        out.tags.push(Tag::str(TAG_STATUS_DESCRIPTION, message));
    }
    out.tags.extend(scope.tags.iter().cloned());
    if !span.trace_state.is_empty() {
        out.tags.push(Tag::str(TAG_TRACE_STATE, span.trace_state));
    }
    for (key, n) in [
        (TAG_DROPPED_ATTRIBUTES, span.dropped_attributes_count),
        (TAG_DROPPED_EVENTS, span.dropped_events_count),
        (TAG_DROPPED_LINKS, span.dropped_links_count),
    ] {
        if n != 0 {
            out.tags.push(Tag::long(key, n.into()));
        }
    }

    let mut flags = 0;
    if span.flags & SPAN_FLAGS_SAMPLED != 0 {
        flags |= model::FLAG_SAMPLED;
    }
    if debug {
        flags |= model::FLAG_DEBUG;
    }
    out.flags = flags;
    out.start_ns = span.start_time_unix_nano.into();
    out.duration_ns = (span.end_time_unix_nano - span.start_time_unix_nano).into();

    // Events → logs: the name in field `event` (unless an attribute `event` exists, which
    // takes precedence, spec), the attributes as fields, a non-zero dropped count as
    // `otel.dropped_attributes_count`.
    for event in span.events() {
        let start = out.log_fields.len();
        if !event.name.is_empty() && !event.attributes().any(|kv| kv.key == FIELD_EVENT) {
            out.log_fields.push(Tag::str(FIELD_EVENT, event.name));
        }
        out.log_fields.extend(event.attributes().map(|kv| tag(kv.key, kv.value)));
        if event.dropped_attributes_count != 0 {
            out.log_fields
                .push(Tag::long(TAG_DROPPED_ATTRIBUTES, event.dropped_attributes_count.into()));
        }
        out.logs.push(LogView {
            time_ns: event.time_unix_nano.into(),
            fields: start..out.log_fields.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jaeger::model::ValueType;
    use crate::otlp::model::span::{Event, Link};
    use crate::otlp::model::{
        any_value::Value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, ResourceSpans,
        ScopeSpans, Span, Status,
    };

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

        // OK: the code, never the description (it only means something with ERROR).
        let t = with(StatusCode::Ok, "fine");
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
