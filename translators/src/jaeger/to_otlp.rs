//! Jaeger → OTLP: the one way in for every Jaeger codec (Thrift, protobuf, JSON), on
//! [`SpanView`]s, written straight as OTLP protobuf.
//!
//! The Thrift codec feeds spans to [`ToOtlp`] as it reads them (no owned model); the api_v2
//! codecs (protobuf, JSON) go through [`batches_to_otlp`], which views their model. Each span's
//! tags are walked once to find the protocol tags (`span.kind`, `otel.status_*`, `error`,
//! `otel.scope.*`, `otel.library.*`, `w3c.tracestate`, `otel.dropped_*_count`); those whose
//! value can be read become native OTLP fields, the others are put back as ordinary attributes,
//! after the rest, so nothing is lost. Spans are grouped by resource (the batch's process, or
//! the span's own) and by scope, in first-seen order. The rules, and where they differ from
//! the Collector, are in docs/mappings/traces.md.

use super::view::{ProcessView, SpanView, Tag, TagValue};
use super::{model, TAG_EVENT_DROPPED_ATTRIBUTES_OLD};
use super::{ATTR_REF_TYPE, FIELD_EVENT, FIELD_MESSAGE, PROCESS_HOSTNAME};
use crate::ids;
use crate::otlp::conventions::{
    parse_span_kind, parse_status_code, ATTR_DEBUG, TAG_DROPPED_ATTRIBUTES, TAG_DROPPED_EVENTS,
    TAG_DROPPED_LINKS, TAG_ERROR, TAG_LIBRARY_NAME, TAG_LIBRARY_VERSION, TAG_SCOPE_NAME,
    TAG_SCOPE_VERSION, TAG_SPAN_KIND, TAG_STATUS_CODE, TAG_STATUS_DESCRIPTION, TAG_TRACE_STATE,
};
use crate::otlp::model::span::SpanKind;
use crate::otlp::model::status::StatusCode;
use crate::otlp::model::{ExportTraceServiceRequest, Resource, SPAN_FLAGS_SAMPLED};
use crate::otlp::wire::{field as f, AnyValueView, ResourceId, TracesWriter, Writer};
use crate::Rejection;
use prost::Message;

/// Maps Jaeger batches (api_v2 model) to one OTLP request, grouped by resource and scope.
///
/// Spans that cannot be mapped (zero or malformed ids, negative duration, times before the
/// epoch) are returned as rejections named `batch[i].spans[j]` (with the span id in hex when
/// it is readable); the other spans go through.
pub fn batches_to_otlp(batches: Vec<model::Batch>) -> (ExportTraceServiceRequest, Vec<Rejection>) {
    let (bytes, rejected) = batches_to_otlp_bytes(&batches);
    // Our own canonical output: it decodes.
    let request = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap_or_default();
    (request, rejected)
}

/// [`batches_to_otlp`] as OTLP protobuf bytes.
pub fn batches_to_otlp_bytes(batches: &[model::Batch]) -> (Vec<u8>, Vec<Rejection>) {
    let mut map = ToOtlp::new();
    let mut rejected = Vec::new();
    let mut view = SpanView::default();
    for (i, batch) in batches.iter().enumerate() {
        let process = batch.process.as_ref().map(ProcessView::from_model);
        map.begin_batch(process.as_ref());
        for (j, span) in batch.spans.iter().enumerate() {
            view.set_from_model(span);
            map.span(i, j, &view, &mut rejected);
        }
    }
    let mut bytes = Vec::new();
    map.finish_into(&mut bytes);
    (bytes, rejected)
}

/// A process as an OTLP resource: `serviceName` → `service.name`, tags → typed attributes,
/// `hostname` → `host.name` (unless a `host.name` tag is there too), and
/// `otel.dropped_attributes_count` → the resource's dropped count.
pub fn process_to_resource(process: model::Process) -> Resource {
    let mut w = Writer::new();
    write_resource(&mut w, Some(&ProcessView::from_model(&process)));
    Resource::decode(w.as_bytes()).unwrap_or_default()
}

/// Protocol tag slots, in the order unread ones are put back as attributes.
mod slot {
    pub const KIND: usize = 0;
    pub const ERROR: usize = 1;
    pub const STATUS_CODE: usize = 2;
    pub const STATUS_DESCRIPTION: usize = 3;
    pub const SCOPE_NAME: usize = 4;
    pub const SCOPE_VERSION: usize = 5;
    pub const LIBRARY_NAME: usize = 6;
    pub const LIBRARY_VERSION: usize = 7;
    pub const TRACE_STATE: usize = 8;
    pub const DROPPED_ATTRIBUTES: usize = 9;
    pub const DROPPED_EVENTS: usize = 10;
    pub const DROPPED_LINKS: usize = 11;
    pub const COUNT: usize = 12;
}

#[inline]
fn slot_of(key: &str) -> Option<usize> {
    // Every protocol tag starts with one of these; most keys are out after one byte.
    if !matches!(key.as_bytes().first(), Some(b's' | b'e' | b'o' | b'w')) {
        return None;
    }
    Some(match key {
        TAG_SPAN_KIND => slot::KIND,
        TAG_ERROR => slot::ERROR,
        TAG_STATUS_CODE => slot::STATUS_CODE,
        TAG_STATUS_DESCRIPTION => slot::STATUS_DESCRIPTION,
        TAG_SCOPE_NAME => slot::SCOPE_NAME,
        TAG_SCOPE_VERSION => slot::SCOPE_VERSION,
        TAG_LIBRARY_NAME => slot::LIBRARY_NAME,
        TAG_LIBRARY_VERSION => slot::LIBRARY_VERSION,
        TAG_TRACE_STATE => slot::TRACE_STATE,
        TAG_DROPPED_ATTRIBUTES => slot::DROPPED_ATTRIBUTES,
        TAG_DROPPED_EVENTS => slot::DROPPED_EVENTS,
        TAG_DROPPED_LINKS => slot::DROPPED_LINKS,
        _ => return None,
    })
}

const NONE: usize = usize::MAX;

/// The protocol tags of one span: the index of the first tag of each kind, and which were
/// turned into native fields.
struct ProtocolTags<'s, 'a> {
    tags: &'s [Tag<'a>],
    at: [usize; slot::COUNT],
    consumed: [bool; slot::COUNT],
}

impl<'s, 'a> ProtocolTags<'s, 'a> {
    fn get(&self, s: usize) -> Option<&'s Tag<'a>> {
        self.tags.get(self.at[s])
    }

    fn str(&self, s: usize) -> Option<&'s str> {
        self.get(s).and_then(Tag::as_str)
    }

    /// Takes the string of a string tag.
    fn take_str(&mut self, s: usize) -> Option<&'s str> {
        let v = self.str(s)?;
        self.consumed[s] = true;
        Some(v)
    }

    /// Takes an int tag that fits a count.
    fn take_count(&mut self, s: usize) -> u32 {
        match self.get(s).and_then(Tag::count) {
            Some(n) => {
                self.consumed[s] = true;
                n
            }
            None => 0,
        }
    }

    /// Scope name or version: the `otel.scope.*` tag, else the `otel.library.*` alias. When
    /// both are there with different values, the alias stays an attribute.
    fn take_scope_field(&mut self, scope: usize, library: usize) -> &'s str {
        match self.take_str(scope) {
            Some(v) => {
                if self.str(library) == Some(v) {
                    self.consumed[library] = true;
                }
                v
            }
            None => self.take_str(library).unwrap_or_default(),
        }
    }

    /// `error` = bool true, or the string `true` in any case.
    fn error_is_true(&self) -> bool {
        match self.get(slot::ERROR).map(|t| &t.value) {
            Some(TagValue::Bool(b)) => *b,
            Some(TagValue::Str(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    /// The status, consuming the tags it uses: `error` = true, else `otel.status_code`; the
    /// message from `otel.status_description`, for ERROR only (it means nothing otherwise).
    fn take_status(&mut self) -> Option<(StatusCode, &'s str)> {
        let code = if self.error_is_true() {
            // `error` is the final word on a Jaeger span's failure; a code tag is redundant.
            self.consumed[slot::ERROR] = true;
            if self.str(slot::STATUS_CODE).is_some() {
                self.consumed[slot::STATUS_CODE] = true;
            }
            StatusCode::Error
        } else {
            let code = self.str(slot::STATUS_CODE).and_then(parse_status_code)?;
            self.consumed[slot::STATUS_CODE] = true;
            code
        };
        match code {
            StatusCode::Unset => None,
            StatusCode::Ok => Some((code, "")),
            StatusCode::Error => {
                Some((code, self.take_str(slot::STATUS_DESCRIPTION).unwrap_or_default()))
            }
        }
    }
}

/// A span's ids and times, checked before anything is written.
struct Checked {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    start: u64,
    end: u64,
}

fn check(span: &SpanView<'_>) -> Result<Checked, String> {
    let Some(span_id) = span.span_id.span_id() else {
        return Err(format!("span id has {} bytes, expected 8", span.span_id.len()));
    };
    if ids::is_zero(&span_id) {
        return Err("span id is zero".into());
    }
    let trace_id = span
        .trace_id
        .trace_id()
        .ok_or_else(|| format!("trace id has {} bytes, expected 16 or 8", span.trace_id.len()))?;
    if ids::is_zero(&trace_id) {
        return Err("trace id is zero".into());
    }
    let start = u64::try_from(span.start_ns)
        .map_err(|_| "start time is before the Unix epoch or out of range".to_string())?;
    if span.duration_ns < 0 {
        return Err(format!("negative duration ({} ns)", span.duration_ns));
    }
    let end = u64::try_from(span.start_ns + span.duration_ns)
        .map_err(|_| "end time (start + duration) is out of range".to_string())?;
    for (k, r) in span.references.iter().enumerate() {
        if r.trace_id.trace_id().is_none() && !r.trace_id.is_empty() {
            return Err(format!(
                "references[{k}] trace id has {} bytes, expected 16 or 8",
                r.trace_id.len()
            ));
        }
        if r.span_id.len() != 8 && !r.span_id.is_empty() {
            return Err(format!(
                "references[{k}] span id has {} bytes, expected 8",
                r.span_id.len()
            ));
        }
    }
    for (k, log) in span.logs.iter().enumerate() {
        if u64::try_from(log.time_ns).is_err() {
            return Err(format!("logs[{k}] timestamp is before the Unix epoch or out of range"));
        }
    }
    Ok(Checked { trace_id, span_id, start, end })
}

/// A tag as an OTLP attribute (field `field` of the message being written), keeping its type.
#[inline]
fn write_tag(w: &mut Writer, field: u32, key: &str, value: &TagValue<'_>) {
    let value = match value {
        // Same bytes, fewer appends (the usual tag).
        TagValue::Str(s) => return w.key_value_str(field, key, s),
        TagValue::Bool(b) => AnyValueView::Bool(*b),
        TagValue::Long(i) => AnyValueView::Int(*i),
        TagValue::Double(d) => AnyValueView::Double(*d),
        TagValue::Binary(b) => AnyValueView::Bytes(b),
    };
    w.key_value(field, key, Some(&value));
}

/// A process as the body of an OTLP `Resource` (see [`process_to_resource`]); no process
/// gives an empty resource.
fn write_resource(w: &mut Writer, process: Option<&ProcessView<'_>>) {
    let Some(p) = process else { return };
    let has_service = !p.service_name.is_empty();
    if has_service {
        w.key_value(
            f::RESOURCE_ATTRIBUTES,
            "service.name",
            Some(&AnyValueView::String(&p.service_name)),
        );
    }
    let has_host_name = p.tags.iter().any(|t| t.key == "host.name");
    let mut dropped = None;
    for tag in &p.tags {
        let key: &str = &tag.key;
        let key = match key {
            PROCESS_HOSTNAME if !has_host_name => "host.name",
            // serviceName already gave it; OTLP keys must be unique.
            "service.name" if has_service => continue,
            TAG_DROPPED_ATTRIBUTES if dropped.is_none() && tag.count().is_some() => {
                dropped = tag.count();
                continue;
            }
            other => other,
        };
        write_tag(w, f::RESOURCE_ATTRIBUTES, key, &tag.value);
    }
    w.uint64(f::RESOURCE_DROPPED_ATTRIBUTES, dropped.unwrap_or(0).into());
}

/// Maps Jaeger spans to OTLP protobuf as they come: [`ToOtlp::begin_batch`] with the batch's
/// process, [`ToOtlp::span`] for each span, [`ToOtlp::finish_into`] to write the request.
#[derive(Debug, Default)]
pub struct ToOtlp {
    traces: TracesWriter,
    /// Scratch for resource and scope bodies.
    body: Writer,
    batch_resource: Option<ResourceId>,
    /// Per tag of the current span: is it the first of a protocol tag kind.
    is_protocol: Vec<bool>,
}

impl ToOtlp {
    /// A mapper with nothing written.
    pub fn new() -> Self {
        Self::default()
    }

    fn resource(&mut self, process: Option<&ProcessView<'_>>) -> ResourceId {
        self.body.clear();
        write_resource(&mut self.body, process);
        self.traces.resource(Some(self.body.as_bytes()))
    }

    /// Room the next new (resource, scope) group's span buffer starts with; see
    /// [`TracesWriter::reserve_spans`].
    pub fn reserve_spans(&mut self, bytes: usize) {
        self.traces.reserve_spans(bytes);
    }

    /// Starts a batch: its process is the resource of its spans that carry none of their own.
    pub fn begin_batch(&mut self, process: Option<&ProcessView<'_>>) {
        self.batch_resource = Some(self.resource(process));
    }

    /// Forgets everything mapped since the last [`ToOtlp::finish_into`].
    pub fn clear(&mut self) {
        let mut discard = Vec::new();
        self.traces.finish_into(&mut discard);
        self.batch_resource = None;
    }

    /// Appends the request mapped so far (its `resource_spans` fields) to `out`, and starts
    /// the next one.
    pub fn finish_into(&mut self, out: &mut Vec<u8>) {
        self.traces.finish_into(out);
        self.batch_resource = None;
    }

    /// Maps one span of batch `batch` (its `j`-th), or records why it cannot be.
    pub fn span(
        &mut self,
        batch: usize,
        j: usize,
        span: &SpanView<'_>,
        rejected: &mut Vec<Rejection>,
    ) {
        let checked = match check(span) {
            Ok(c) => c,
            Err(reason) => {
                let mut item = format!("batch[{batch}].spans[{j}]");
                if let Some(id) = span.span_id.span_id() {
                    item.push_str(" (span id ");
                    item.push_str(&ids::to_hex(&id));
                    item.push(')');
                }
                rejected.push(Rejection::new(item, reason));
                return;
            }
        };

        // One pass over the tags: the first of each protocol tag kind is set aside.
        let mut p = ProtocolTags {
            tags: &span.tags,
            at: [NONE; slot::COUNT],
            consumed: [false; slot::COUNT],
        };
        self.is_protocol.clear();
        self.is_protocol.resize(span.tags.len(), false);
        for (i, tag) in span.tags.iter().enumerate() {
            if let Some(s) = slot_of(&tag.key) {
                if p.at[s] == NONE {
                    p.at[s] = i;
                    self.is_protocol[i] = true;
                }
            }
        }
        // No `span.kind`, or one that is not a kind: a local operation, INTERNAL (also what
        // OTLP INTERNAL becomes on the way out: no tag). An unreadable value stays an attribute.
        let kind = match p.str(slot::KIND).and_then(parse_span_kind) {
            Some(k) => {
                p.consumed[slot::KIND] = true;
                k
            }
            None => SpanKind::Internal,
        };
        let status = p.take_status();
        let scope_name = p.take_scope_field(slot::SCOPE_NAME, slot::LIBRARY_NAME);
        let scope_version = p.take_scope_field(slot::SCOPE_VERSION, slot::LIBRARY_VERSION);
        let trace_state = p.take_str(slot::TRACE_STATE).unwrap_or_default();
        let dropped_attributes = p.take_count(slot::DROPPED_ATTRIBUTES);
        let dropped_events = p.take_count(slot::DROPPED_EVENTS);
        let dropped_links = p.take_count(slot::DROPPED_LINKS);

        // The parent: Thrift's parentSpanId, else the first CHILD_OF reference into the same
        // trace. References with an empty or zero id point nowhere and are skipped; the
        // reference that gave the parent (or repeats Thrift's parent) is not a link.
        let valid = |r: &super::view::RefView| {
            !r.span_id.is_empty()
                && !r.trace_id.is_empty()
                && !r.span_id.as_slice().is_some_and(ids::is_zero)
                && !r.trace_id.as_slice().is_some_and(ids::is_zero)
        };
        let same_trace_child_of = |r: &super::view::RefView| {
            r.ref_type == model::SpanRefType::ChildOf as i32
                && r.trace_id.trace_id() == Some(checked.trace_id)
        };
        let mut parent = span.parent_span_id;
        let parent_ref = match parent {
            Some(p) => span
                .references
                .iter()
                .position(|r| valid(r) && same_trace_child_of(r) && r.span_id.span_id() == Some(p)),
            None => {
                let at = span.references.iter().position(|r| valid(r) && same_trace_child_of(r));
                parent = at.and_then(|k| span.references[k].span_id.span_id());
                at
            }
        };

        let resource = match (&span.process, self.batch_resource) {
            (Some(own), _) => self.resource(Some(own)),
            (None, Some(r)) => r,
            (None, None) => self.resource(None),
        };
        self.body.clear();
        self.body.string(f::SCOPE_NAME, scope_name);
        self.body.string(f::SCOPE_VERSION, scope_version);
        let group = self.traces.group(resource, Some(self.body.as_bytes()));
        let w = self.traces.spans(group);

        let m = w.begin(f::SCOPE_SPANS_SPANS);
        w.bytes(f::SPAN_TRACE_ID, &checked.trace_id);
        w.bytes(f::SPAN_SPAN_ID, &checked.span_id);
        w.string(f::SPAN_TRACE_STATE, trace_state);
        if let Some(parent) = parent {
            w.bytes(f::SPAN_PARENT_SPAN_ID, &parent);
        }
        w.string(f::SPAN_NAME, &span.operation_name);
        w.int32(f::SPAN_KIND, kind as i32);
        w.fixed64(f::SPAN_START, checked.start);
        w.fixed64(f::SPAN_END, checked.end);
        for (tag, protocol) in span.tags.iter().zip(&self.is_protocol) {
            if !protocol {
                write_tag(w, f::SPAN_ATTRIBUTES, &tag.key, &tag.value);
            }
        }
        for s in 0..slot::COUNT {
            if let (Some(tag), false) = (p.get(s), p.consumed[s]) {
                write_tag(w, f::SPAN_ATTRIBUTES, &tag.key, &tag.value);
            }
        }
        if span.flags & model::FLAG_DEBUG != 0 {
            w.key_value(f::SPAN_ATTRIBUTES, ATTR_DEBUG, Some(&AnyValueView::Bool(true)));
        }
        w.uint64(f::SPAN_DROPPED_ATTRIBUTES, dropped_attributes.into());
        for log in &span.logs {
            write_event(w, log.time_ns as u64, span.fields(log));
        }
        w.uint64(f::SPAN_DROPPED_EVENTS, dropped_events.into());
        for (k, r) in span.references.iter().enumerate() {
            if !valid(r) || Some(k) == parent_ref {
                continue;
            }
            let m = w.begin(f::SPAN_LINKS);
            w.bytes(f::LINK_TRACE_ID, &r.trace_id.trace_id().unwrap_or_default());
            w.bytes(f::LINK_SPAN_ID, &r.span_id.span_id().unwrap_or_default());
            if r.ref_type == model::SpanRefType::ChildOf as i32 {
                w.key_value(
                    f::LINK_ATTRIBUTES,
                    ATTR_REF_TYPE,
                    Some(&AnyValueView::String("child_of")),
                );
            }
            w.end(m);
        }
        w.uint64(f::SPAN_DROPPED_LINKS, dropped_links.into());
        if let Some((code, message)) = status {
            let m = w.begin(f::SPAN_STATUS);
            w.string(f::STATUS_MESSAGE, message);
            w.int32(f::STATUS_CODE, code as i32);
            w.end(m);
        }
        let sampled = span.flags & model::FLAG_SAMPLED != 0;
        w.fixed32(f::SPAN_FLAGS, if sampled { SPAN_FLAGS_SAMPLED } else { 0 });
        w.end(m);
    }
}

/// A log as an event: the first string `event` field names it, the first int
/// `otel.dropped_attributes_count` (or the older `otel.event.dropped_attributes_count`) gives
/// its dropped count, the other fields are its attributes.
///
/// Without an `event` field, a string `message` field names it instead: the OpenTelemetry
/// Python Jaeger exporter and older Collectors wrote the event name there. A log with neither
/// gives an event with an empty name.
fn write_event(w: &mut Writer, time: u64, fields: &[Tag<'_>]) {
    let (mut name, mut message, mut dropped) = (NONE, NONE, NONE);
    for (i, field) in fields.iter().enumerate() {
        let key: &str = &field.key;
        match key {
            FIELD_EVENT if name == NONE && field.as_str().is_some() => name = i,
            FIELD_MESSAGE if message == NONE && field.as_str().is_some() => message = i,
            TAG_DROPPED_ATTRIBUTES | TAG_EVENT_DROPPED_ATTRIBUTES_OLD
                if dropped == NONE && field.count().is_some() =>
            {
                dropped = i
            }
            _ => {}
        }
    }
    if name == NONE {
        name = message;
    }
    let m = w.begin(f::SPAN_EVENTS);
    w.fixed64(f::EVENT_TIME, time);
    w.string(f::EVENT_NAME, fields.get(name).and_then(Tag::as_str).unwrap_or_default());
    for (i, field) in fields.iter().enumerate() {
        if i != name && i != dropped {
            write_tag(w, f::EVENT_ATTRIBUTES, &field.key, &field.value);
        }
    }
    w.uint64(
        f::EVENT_DROPPED_ATTRIBUTES,
        fields.get(dropped).and_then(Tag::count).unwrap_or(0).into(),
    );
    w.end(m);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jaeger::model::{SpanRefType, ValueType};
    use crate::otlp::attributes::{self, get};
    use crate::otlp::model::{any_value::Value, InstrumentationScope, KeyValue, Span};

    const TRACE: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

    fn s(key: &str, v: &str) -> model::KeyValue {
        model::KeyValue { key: key.into(), v_str: v.into(), ..Default::default() }
    }
    fn b(key: &str, v: bool) -> model::KeyValue {
        model::KeyValue {
            key: key.into(),
            v_type: ValueType::Bool as i32,
            v_bool: v,
            ..Default::default()
        }
    }
    fn i(key: &str, v: i64) -> model::KeyValue {
        model::KeyValue {
            key: key.into(),
            v_type: ValueType::Int64 as i32,
            v_int64: v,
            ..Default::default()
        }
    }
    fn f(key: &str, v: f64) -> model::KeyValue {
        model::KeyValue {
            key: key.into(),
            v_type: ValueType::Float64 as i32,
            v_float64: v,
            ..Default::default()
        }
    }
    fn bin(key: &str, v: &[u8]) -> model::KeyValue {
        model::KeyValue {
            key: key.into(),
            v_type: ValueType::Binary as i32,
            v_binary: v.to_vec(),
            ..Default::default()
        }
    }
    fn span(id: u8, tags: Vec<model::KeyValue>) -> model::Span {
        model::Span {
            trace_id: TRACE.to_vec(),
            span_id: vec![0, 0, 0, 0, 0, 0, 0, id],
            operation_name: format!("op{id}"),
            flags: model::FLAG_SAMPLED,
            start_time: Some(model::Timestamp { seconds: 1_700_000_000, nanos: 123_456_789 }),
            duration: Some(model::Duration { seconds: 1, nanos: 5 }),
            tags,
            ..Default::default()
        }
    }
    fn process(name: &str, tags: Vec<model::KeyValue>) -> model::Process {
        model::Process { service_name: name.into(), tags }
    }
    fn one(span: model::Span) -> (Span, InstrumentationScope, Resource) {
        let batch = model::Batch { spans: vec![span], process: Some(process("svc", vec![])) };
        let (req, rej) = batches_to_otlp(vec![batch]);
        assert!(rej.is_empty(), "{rej:?}");
        let rs = &req.resource_spans[0];
        let ss = &rs.scope_spans[0];
        (ss.spans[0].clone(), ss.scope.clone().unwrap(), rs.resource.clone().unwrap())
    }
    fn str_attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
        attributes::get_str(attrs, key)
    }
    fn keys(attrs: &[KeyValue]) -> Vec<&str> {
        attrs.iter().map(|kv| kv.key.as_str()).collect()
    }

    #[test]
    fn process_becomes_resource_with_typed_tags_and_host_name() {
        let r = process_to_resource(process(
            "frontend",
            vec![
                s("hostname", "box-1"),
                s("ip", "10.0.0.7"),
                s("jaeger.version", "Go-2.30.0"),
                i("pid", 42),
                b("container", true),
                i(TAG_DROPPED_ATTRIBUTES, 3),
            ],
        ));
        assert_eq!(str_attr(&r.attributes, "service.name"), Some("frontend"));
        assert_eq!(str_attr(&r.attributes, "host.name"), Some("box-1"));
        assert_eq!(get(&r.attributes, "hostname"), None);
        assert_eq!(str_attr(&r.attributes, "ip"), Some("10.0.0.7"));
        assert_eq!(str_attr(&r.attributes, "jaeger.version"), Some("Go-2.30.0"));
        assert_eq!(get(&r.attributes, "pid"), Some(&Value::IntValue(42)));
        assert_eq!(get(&r.attributes, "container"), Some(&Value::BoolValue(true)));
        assert_eq!(r.dropped_attributes_count, 3);
        assert_eq!(r.attributes.len(), 6);

        // With an explicit host.name, `hostname` stays as it is; an empty service name
        // gives no service.name.
        let r = process_to_resource(process("", vec![s("hostname", "a"), s("host.name", "b")]));
        assert_eq!(keys(&r.attributes), ["hostname", "host.name"]);
    }

    /// A scope name and the names of its spans.
    type ScopeNames = (String, Vec<String>);

    #[test]
    fn span_process_overrides_batch_process_and_output_is_grouped() {
        let mut own = span(2, vec![s(TAG_SCOPE_NAME, "lib-a")]);
        own.process = Some(process("other", vec![]));
        let mut own2 = span(4, vec![s(TAG_SCOPE_NAME, "lib-a")]);
        own2.process = Some(process("other", vec![]));
        let batch = model::Batch {
            spans: vec![
                span(1, vec![s(TAG_SCOPE_NAME, "lib-a")]),
                own,
                span(3, vec![s(TAG_SCOPE_NAME, "lib-b")]),
                own2,
                span(5, vec![s(TAG_SCOPE_NAME, "lib-a")]),
            ],
            process: Some(process("main", vec![])),
        };
        let (req, rej) = batches_to_otlp(vec![batch]);
        assert!(rej.is_empty());
        let layout: Vec<(String, Vec<ScopeNames>)> = req
            .resource_spans
            .iter()
            .map(|rs| {
                let svc = str_attr(&rs.resource.as_ref().unwrap().attributes, "service.name");
                let scopes = rs
                    .scope_spans
                    .iter()
                    .map(|ss| {
                        let names = ss.spans.iter().map(|s| s.name.clone()).collect();
                        (ss.scope.as_ref().unwrap().name.clone(), names)
                    })
                    .collect();
                (svc.unwrap().to_string(), scopes)
            })
            .collect();
        let expected = vec![
            (
                "main".to_string(),
                vec![
                    ("lib-a".to_string(), vec!["op1".to_string(), "op5".to_string()]),
                    ("lib-b".to_string(), vec!["op3".to_string()]),
                ],
            ),
            ("other".to_string(), vec![("lib-a".to_string(), vec!["op2".into(), "op4".into()])]),
        ];
        assert_eq!(layout, expected);
    }

    #[test]
    fn scope_from_scope_tags_or_library_aliases() {
        let (sp, scope, _) = one(span(
            1,
            vec![
                s(TAG_SCOPE_NAME, "io.x"),
                s(TAG_LIBRARY_NAME, "io.x"),
                s(TAG_SCOPE_VERSION, "1.2"),
                s(TAG_LIBRARY_VERSION, "1.2"),
            ],
        ));
        assert_eq!((scope.name.as_str(), scope.version.as_str()), ("io.x", "1.2"));
        assert!(sp.attributes.is_empty(), "{:?}", sp.attributes);

        let (sp, scope, _) =
            one(span(1, vec![s(TAG_LIBRARY_NAME, "old"), s(TAG_LIBRARY_VERSION, "0.9")]));
        assert_eq!((scope.name.as_str(), scope.version.as_str()), ("old", "0.9"));
        assert!(sp.attributes.is_empty());

        // Different values: the scope tag wins, the alias is kept as an attribute.
        let (sp, scope, _) = one(span(1, vec![s(TAG_SCOPE_NAME, "new"), s(TAG_LIBRARY_NAME, "x")]));
        assert_eq!(scope.name, "new");
        assert_eq!(str_attr(&sp.attributes, TAG_LIBRARY_NAME), Some("x"));
    }

    #[test]
    fn span_kind_tag() {
        for (tag, kind) in [
            ("client", SpanKind::Client),
            ("server", SpanKind::Server),
            ("producer", SpanKind::Producer),
            ("consumer", SpanKind::Consumer),
            ("internal", SpanKind::Internal),
            ("SERVER", SpanKind::Server),
        ] {
            let (sp, _, _) = one(span(1, vec![s(TAG_SPAN_KIND, tag)]));
            assert_eq!(sp.kind, kind as i32, "{tag}");
            assert!(sp.attributes.is_empty());
        }
        let (sp, _, _) = one(span(1, vec![]));
        assert_eq!(sp.kind, SpanKind::Internal as i32);
        // An unknown kind (or a non-string tag) is INTERNAL too, and the tag stays.
        let (sp, _, _) = one(span(1, vec![s(TAG_SPAN_KIND, "rpc")]));
        assert_eq!(sp.kind, SpanKind::Internal as i32);
        assert_eq!(str_attr(&sp.attributes, TAG_SPAN_KIND), Some("rpc"));
        let (sp, _, _) = one(span(1, vec![i(TAG_SPAN_KIND, 2)]));
        assert_eq!(sp.kind, SpanKind::Internal as i32);
        assert_eq!(get(&sp.attributes, TAG_SPAN_KIND), Some(&Value::IntValue(2)));
    }

    fn status(sp: &Span) -> (i32, &str) {
        sp.status.as_ref().map(|s| (s.code, s.message.as_str())).unwrap_or((0, ""))
    }

    #[test]
    fn status_from_error_tag_then_status_code() {
        let err = StatusCode::Error as i32;
        let ok = StatusCode::Ok as i32;
        // Bool error=true wins over otel.status_code, message from the description.
        let (sp, _, _) = one(span(
            1,
            vec![
                b(TAG_ERROR, true),
                s(TAG_STATUS_CODE, "OK"),
                s(TAG_STATUS_DESCRIPTION, "boom"),
                s("k", "v"),
            ],
        ));
        assert_eq!(status(&sp), (err, "boom"));
        assert_eq!(keys(&sp.attributes), ["k"]);
        // String "true" counts too.
        let (sp, _, _) = one(span(1, vec![s(TAG_ERROR, "true")]));
        assert_eq!(status(&sp), (err, ""));
        assert!(sp.attributes.is_empty());
        // error=false is not a status: it stays, and otel.status_code decides.
        let (sp, _, _) = one(span(1, vec![b(TAG_ERROR, false), s(TAG_STATUS_CODE, "Ok")]));
        assert_eq!(status(&sp), (ok, ""));
        assert_eq!(get(&sp.attributes, TAG_ERROR), Some(&Value::BoolValue(false)));
        // Every spelling of the code; the description is the message of an ERROR only (it
        // means nothing with OK) and stays an attribute otherwise.
        for (code, want) in [("ERROR", err), ("error", err), ("STATUS_CODE_ERROR", err)] {
            let (sp, _, _) =
                one(span(1, vec![s(TAG_STATUS_CODE, code), s(TAG_STATUS_DESCRIPTION, "d")]));
            assert_eq!(status(&sp), (want, "d"), "{code}");
            assert!(sp.attributes.is_empty(), "{code}");
        }
        for code in ["status_code_ok", "OK", "Ok"] {
            let (sp, _, _) =
                one(span(1, vec![s(TAG_STATUS_CODE, code), s(TAG_STATUS_DESCRIPTION, "d")]));
            assert_eq!(status(&sp), (ok, ""), "{code}");
            assert_eq!(str_attr(&sp.attributes, TAG_STATUS_DESCRIPTION), Some("d"), "{code}");
        }
        // UNSET is consumed; a description with no code to go with stays an attribute.
        let (sp, _, _) =
            one(span(1, vec![s(TAG_STATUS_CODE, "UNSET"), s(TAG_STATUS_DESCRIPTION, "d")]));
        assert_eq!(sp.status, None);
        assert_eq!(keys(&sp.attributes), [TAG_STATUS_DESCRIPTION]);
        // An unknown code is kept as it is.
        let (sp, _, _) = one(span(1, vec![s(TAG_STATUS_CODE, "MAYBE")]));
        assert_eq!(sp.status, None);
        assert_eq!(str_attr(&sp.attributes, TAG_STATUS_CODE), Some("MAYBE"));
    }

    #[test]
    fn tags_keep_their_types() {
        let (sp, _, _) = one(span(
            1,
            vec![
                s("s", "text"),
                b("b", true),
                i("i", -7),
                f("f", 2.5),
                bin("bin", &[0, 255]),
                s("json", "[1,2]"),
            ],
        ));
        assert_eq!(get(&sp.attributes, "s"), Some(&Value::StringValue("text".into())));
        assert_eq!(get(&sp.attributes, "b"), Some(&Value::BoolValue(true)));
        assert_eq!(get(&sp.attributes, "i"), Some(&Value::IntValue(-7)));
        assert_eq!(get(&sp.attributes, "f"), Some(&Value::DoubleValue(2.5)));
        assert_eq!(get(&sp.attributes, "bin"), Some(&Value::BytesValue(vec![0, 255])));
        // Strings are never parsed back into arrays.
        assert_eq!(get(&sp.attributes, "json"), Some(&Value::StringValue("[1,2]".into())));
    }

    #[test]
    fn logs_become_events() {
        let mut sp = span(1, vec![]);
        sp.logs = vec![
            model::Log {
                timestamp: Some(model::Timestamp { seconds: 1_700_000_000, nanos: 999 }),
                fields: vec![s("event", "retry"), i("attempt", 2), i(TAG_DROPPED_ATTRIBUTES, 4)],
            },
            model::Log {
                timestamp: Some(model::Timestamp { seconds: 1_700_000_001, nanos: 0 }),
                fields: vec![s("text", "no name"), i(TAG_EVENT_DROPPED_ATTRIBUTES_OLD, 1)],
            },
            model::Log { timestamp: None, fields: vec![i("event", 5)] },
            model::Log {
                timestamp: None,
                fields: vec![s("level", "warn"), s("message", "from message"), s("message", "2")],
            },
            model::Log { timestamp: None, fields: vec![s("event", "e"), s("message", "m")] },
        ];
        let (sp, _, _) = one(sp);
        let e = &sp.events;
        assert_eq!(e.len(), 5);
        assert_eq!(e[0].name, "retry");
        assert_eq!(e[0].time_unix_nano, 1_700_000_000_000_000_999);
        assert_eq!(keys(&e[0].attributes), ["attempt"]);
        assert_eq!(e[0].dropped_attributes_count, 4);
        assert_eq!(e[1].name, "");
        assert_eq!(str_attr(&e[1].attributes, "text"), Some("no name"));
        assert_eq!(e[1].dropped_attributes_count, 1);
        // A non-string `event` field is not a name: it stays an attribute.
        assert_eq!(e[2].name, "");
        assert_eq!(get(&e[2].attributes, "event"), Some(&Value::IntValue(5)));
        assert_eq!(e[2].time_unix_nano, 0);
        // Without `event`, `message` names the event (OTel Python exporter, old Collectors).
        assert_eq!(e[3].name, "from message");
        assert_eq!(keys(&e[3].attributes), ["level", "message"]);
        assert_eq!(str_attr(&e[3].attributes, "message"), Some("2"));
        // With `event`, `message` is an ordinary attribute.
        assert_eq!(e[4].name, "e");
        assert_eq!(str_attr(&e[4].attributes, "message"), Some("m"));
    }

    fn sref(trace: &[u8], span: u8, t: SpanRefType) -> model::SpanRef {
        model::SpanRef {
            trace_id: trace.to_vec(),
            span_id: vec![0, 0, 0, 0, 0, 0, 0, span],
            ref_type: t as i32,
        }
    }

    #[test]
    fn references_give_parent_and_links() {
        let other = [9u8; 16];
        let mut sp = span(1, vec![]);
        sp.references = vec![
            sref(&other, 7, SpanRefType::ChildOf),
            sref(&TRACE, 0, SpanRefType::ChildOf),
            sref(&TRACE, 5, SpanRefType::FollowsFrom),
            sref(&TRACE, 2, SpanRefType::ChildOf),
            sref(&TRACE, 3, SpanRefType::ChildOf),
        ];
        let (sp, _, _) = one(sp);
        assert_eq!(sp.parent_span_id, vec![0, 0, 0, 0, 0, 0, 0, 2]);
        let links: Vec<_> = sp
            .links
            .iter()
            .map(|l| (l.trace_id[0], l.span_id[7], str_attr(&l.attributes, ATTR_REF_TYPE)))
            .collect();
        assert_eq!(links, [(9, 7, Some("child_of")), (1, 5, None), (1, 3, Some("child_of"))]);
        for l in &sp.links {
            assert_eq!(l.trace_id.len(), 16);
        }
        // A 64-bit trace id in a reference is widened.
        let mut sp = span(1, vec![]);
        sp.trace_id = vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
        sp.references = vec![sref(&[1; 8], 4, SpanRefType::ChildOf)];
        let (sp, _, _) = one(sp);
        assert_eq!(sp.parent_span_id, vec![0, 0, 0, 0, 0, 0, 0, 4]);
        assert!(sp.links.is_empty());
    }

    #[test]
    fn bad_spans_are_rejected_one_by_one() {
        let mut zero_trace = span(2, vec![]);
        zero_trace.trace_id = vec![0; 16];
        let mut zero_span = span(3, vec![]);
        zero_span.span_id = vec![0; 8];
        let mut negative = span(4, vec![]);
        negative.duration = Some(model::Duration { seconds: -1, nanos: 0 });
        let mut short = span(5, vec![]);
        short.span_id = vec![1, 2, 3];
        let mut before_epoch = span(6, vec![]);
        before_epoch.start_time = Some(model::Timestamp { seconds: -5, nanos: 0 });
        let mut bad_ref = span(7, vec![]);
        bad_ref.references =
            vec![model::SpanRef { trace_id: vec![1; 3], span_id: vec![1; 8], ref_type: 0 }];
        let batch = model::Batch {
            spans: vec![
                span(1, vec![]),
                zero_trace,
                zero_span,
                negative,
                short,
                before_epoch,
                bad_ref,
            ],
            process: Some(process("svc", vec![])),
        };
        let (req, rej) = batches_to_otlp(vec![model::Batch::default(), batch]);
        assert_eq!(crate::otlp::span_count(&req), 1);
        let got: Vec<(&str, &str)> =
            rej.iter().map(|r| (r.item.as_str(), r.reason.as_str())).collect();
        assert_eq!(
            got,
            [
                ("batch[1].spans[1] (span id 0000000000000002)", "trace id is zero"),
                ("batch[1].spans[2] (span id 0000000000000000)", "span id is zero"),
                (
                    "batch[1].spans[3] (span id 0000000000000004)",
                    "negative duration (-1000000000 ns)"
                ),
                ("batch[1].spans[4]", "span id has 3 bytes, expected 8"),
                (
                    "batch[1].spans[5] (span id 0000000000000006)",
                    "start time is before the Unix epoch or out of range"
                ),
                (
                    "batch[1].spans[6] (span id 0000000000000007)",
                    "references[0] trace id has 3 bytes, expected 16 or 8"
                ),
            ]
        );
    }

    #[test]
    fn ids_times_flags_trace_state_and_dropped_counts() {
        let mut sp = span(
            1,
            vec![
                s(TAG_TRACE_STATE, "vendor=x"),
                i(TAG_DROPPED_ATTRIBUTES, 1),
                i(TAG_DROPPED_EVENTS, 2),
                i(TAG_DROPPED_LINKS, 3),
                s("k", "v"),
            ],
        );
        sp.trace_id = vec![0xaa; 8];
        sp.flags = model::FLAG_SAMPLED | model::FLAG_DEBUG;
        let (sp, _, _) = one(sp);
        let mut want_trace = vec![0; 8];
        want_trace.extend([0xaa; 8]);
        assert_eq!(sp.trace_id, want_trace);
        assert_eq!(sp.span_id, vec![0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(sp.name, "op1");
        assert_eq!(sp.start_time_unix_nano, 1_700_000_000_123_456_789);
        assert_eq!(sp.end_time_unix_nano, 1_700_000_001_123_456_794);
        assert_eq!(sp.flags, SPAN_FLAGS_SAMPLED);
        assert_eq!(sp.trace_state, "vendor=x");
        assert_eq!(
            (sp.dropped_attributes_count, sp.dropped_events_count, sp.dropped_links_count),
            (1, 2, 3)
        );
        assert_eq!(keys(&sp.attributes), ["k", ATTR_DEBUG]);
        assert_eq!(get(&sp.attributes, ATTR_DEBUG), Some(&Value::BoolValue(true)));

        let mut unsampled = span(1, vec![]);
        unsampled.flags = 0;
        let (unsampled, _, _) = one(unsampled);
        assert_eq!(unsampled.flags, 0);
        assert!(unsampled.attributes.is_empty());
    }
}
