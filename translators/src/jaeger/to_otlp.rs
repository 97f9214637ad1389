//! Jaeger api_v2 model → OTLP: the one way in for every Jaeger codec (Thrift, protobuf, JSON).
//!
//! The model is taken by value so that strings and byte vectors move into OTLP instead of
//! being copied. Each span's tags are walked once: the protocol tags (`span.kind`,
//! `otel.status_*`, `error`, `otel.scope.*`, `otel.library.*`, `w3c.tracestate`,
//! `otel.dropped_*_count`) are set aside, turned into native OTLP fields when their value can
//! be read, and put back as ordinary attributes when it cannot, so nothing is lost. Spans are
//! grouped by resource (the batch's process, or the span's own) and by scope, in first-seen
//! order. The rules, and where they differ from the Collector, are in docs/mappings/traces.md.

use super::model::{self, SpanRefType, ValueType};
use super::{
    ATTR_DEBUG, ATTR_REF_TYPE, FIELD_EVENT, FIELD_MESSAGE, PROCESS_HOSTNAME,
    TAG_DROPPED_ATTRIBUTES, TAG_DROPPED_EVENTS, TAG_DROPPED_LINKS, TAG_ERROR,
    TAG_EVENT_DROPPED_ATTRIBUTES_OLD, TAG_LIBRARY_NAME, TAG_LIBRARY_VERSION, TAG_SCOPE_NAME,
    TAG_SCOPE_VERSION, TAG_SPAN_KIND, TAG_STATUS_CODE, TAG_STATUS_DESCRIPTION, TAG_TRACE_STATE,
};
use crate::ids;
use crate::otlp::attributes;
use crate::otlp::grouping::TracesBuilder;
use crate::otlp::model::span::{Event, Link, SpanKind};
use crate::otlp::model::status::StatusCode;
use crate::otlp::model::{
    any_value::Value, AnyValue, ExportTraceServiceRequest, InstrumentationScope, KeyValue,
    Resource, Span, Status, SPAN_FLAGS_SAMPLED,
};
use crate::Rejection;

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// Maps Jaeger batches to one OTLP request, grouped by resource and scope.
///
/// Spans that cannot be mapped (zero or malformed ids, negative duration, times before the
/// epoch) are returned as rejections named `batch[i].spans[j]` (with the span id in hex when
/// it is readable); the other spans go through.
pub fn batches_to_otlp(batches: Vec<model::Batch>) -> (ExportTraceServiceRequest, Vec<Rejection>) {
    let mut builder = TracesBuilder::new();
    let mut rejected = Vec::new();
    for (i, batch) in batches.into_iter().enumerate() {
        push_batch(&mut builder, i, batch, &mut rejected);
    }
    (builder.finish(), rejected)
}

/// Adds the spans of one batch to `builder`; `index` names the batch in rejections.
///
/// The building block of [`batches_to_otlp`], for callers that want one OTLP request per
/// input message (e.g. concatenated Thrift messages) while keeping the message index.
pub fn push_batch(
    builder: &mut TracesBuilder,
    index: usize,
    batch: model::Batch,
    rejected: &mut Vec<Rejection>,
) {
    let model::Batch { spans, process } = batch;
    let total = spans.len();
    // resources[0] is the batch's; spans with their own process add theirs. Consecutive spans
    // usually share a process, so only a change of process costs a conversion.
    let mut resources = vec![process.map(process_to_resource).unwrap_or_default()];
    let mut last_own: Option<(model::Process, usize)> = None;
    let mut run: Option<Run> = None;
    for (j, mut span) in spans.into_iter().enumerate() {
        let resource = match span.process.take() {
            None => 0,
            Some(p) => match &last_own {
                Some((last, idx)) if *last == p => *idx,
                _ => {
                    resources.push(process_to_resource(p.clone()));
                    let idx = resources.len() - 1;
                    last_own = Some((p, idx));
                    idx
                }
            },
        };
        let (span, scope) = match span_to_otlp(span) {
            Ok(mapped) => mapped,
            Err(bad) => {
                let mut item = format!("batch[{index}].spans[{j}]");
                if let Some(id) = bad.span_id {
                    item.push_str(" (span id ");
                    item.push_str(&id);
                    item.push(')');
                }
                rejected.push(Rejection::new(item, bad.reason));
                continue;
            }
        };
        match &mut run {
            Some(r) if r.resource == resource && r.scope == scope => r.spans.push(span),
            _ => {
                if let Some(r) = run.take() {
                    r.flush(builder, &resources);
                }
                let mut spans = Vec::with_capacity(total - j);
                spans.push(span);
                run = Some(Run { resource, scope, spans });
            }
        }
    }
    if let Some(r) = run {
        r.flush(builder, &resources);
    }
}

/// Consecutive spans sharing a resource and a scope, handed to the builder in one go.
struct Run {
    resource: usize,
    scope: InstrumentationScope,
    spans: Vec<Span>,
}

impl Run {
    fn flush(self, builder: &mut TracesBuilder, resources: &[Resource]) {
        builder.push_many(resources[self.resource].clone(), self.scope, self.spans);
    }
}

/// A process as an OTLP resource: `serviceName` → `service.name`, tags → typed attributes,
/// `hostname` → `host.name` (unless a `host.name` tag is there too), and
/// `otel.dropped_attributes_count` → the resource's dropped count.
pub fn process_to_resource(process: model::Process) -> Resource {
    let model::Process { service_name, tags } = process;
    let mut out = Vec::with_capacity(tags.len() + 1);
    let has_service = !service_name.is_empty();
    if has_service {
        out.push(attributes::string("service.name", service_name));
    }
    let has_host_name = tags.iter().any(|t| t.key == "host.name");
    let mut dropped = None;
    for mut tag in tags {
        match tag.key.as_str() {
            PROCESS_HOSTNAME if !has_host_name => tag.key = "host.name".to_string(),
            // serviceName already gave it; OTLP keys must be unique.
            "service.name" if has_service => continue,
            TAG_DROPPED_ATTRIBUTES if dropped.is_none() => {
                if let Some(n) = count(&tag) {
                    dropped = Some(n);
                    continue;
                }
            }
            _ => {}
        }
        out.push(kv_to_otlp(tag));
    }
    Resource { attributes: out, dropped_attributes_count: dropped.unwrap_or(0) }
}

/// A Jaeger tag or log field as an OTLP attribute, keeping its type. An unknown value type
/// is read as a string.
pub fn kv_to_otlp(kv: model::KeyValue) -> KeyValue {
    const BOOL: i32 = ValueType::Bool as i32;
    const INT64: i32 = ValueType::Int64 as i32;
    const FLOAT64: i32 = ValueType::Float64 as i32;
    const BINARY: i32 = ValueType::Binary as i32;
    let value = match kv.v_type {
        BOOL => Value::BoolValue(kv.v_bool),
        INT64 => Value::IntValue(kv.v_int64),
        FLOAT64 => Value::DoubleValue(kv.v_float64),
        BINARY => Value::BytesValue(kv.v_binary),
        _ => Value::StringValue(kv.v_str),
    };
    KeyValue { key: kv.key, value: Some(AnyValue { value: Some(value) }) }
}

/// Why a span was rejected, with its span id in hex when it could be read.
struct Bad {
    reason: String,
    span_id: Option<String>,
}

/// The span's times in ns, checked before anything is moved out of the span.
struct Checked {
    trace_id: [u8; 16],
    start: u64,
    end: u64,
}

fn check(span: &model::Span) -> Result<Checked, String> {
    if span.span_id.len() != 8 {
        return Err(format!("span id has {} bytes, expected 8", span.span_id.len()));
    }
    if ids::is_zero(&span.span_id) {
        return Err("span id is zero".into());
    }
    let trace_id = ids::widen_trace_id(&span.trace_id)
        .ok_or_else(|| format!("trace id has {} bytes, expected 16 or 8", span.trace_id.len()))?;
    if ids::is_zero(&trace_id) {
        return Err("trace id is zero".into());
    }
    let start = timestamp_ns(span.start_time.as_ref())
        .ok_or("start time is before the Unix epoch or out of range")?;
    let duration = match span.duration {
        None => 0,
        Some(d) => {
            let ns = i128::from(d.seconds) * NANOS_PER_SECOND + i128::from(d.nanos);
            if ns < 0 {
                return Err(format!("negative duration ({ns} ns)"));
            }
            ns
        }
    };
    let end = u64::try_from(i128::from(start) + duration)
        .map_err(|_| "end time (start + duration) is out of range".to_string())?;
    for (k, r) in span.references.iter().enumerate() {
        if ids::widen_trace_id(&r.trace_id).is_none() && !r.trace_id.is_empty() {
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
        if timestamp_ns(log.timestamp.as_ref()).is_none() {
            return Err(format!("logs[{k}] timestamp is before the Unix epoch or out of range"));
        }
    }
    Ok(Checked { trace_id, start, end })
}

/// A timestamp in ns since the epoch; `None` when before the epoch or past `u64`. A missing
/// timestamp is 0.
fn timestamp_ns(ts: Option<&model::Timestamp>) -> Option<u64> {
    match ts {
        None => Some(0),
        Some(t) => {
            u64::try_from(i128::from(t.seconds) * NANOS_PER_SECOND + i128::from(t.nanos)).ok()
        }
    }
}

/// An int tag that fits an OTLP count.
fn count(kv: &model::KeyValue) -> Option<u32> {
    if kv.v_type == ValueType::Int64 as i32 {
        u32::try_from(kv.v_int64).ok()
    } else {
        None
    }
}

fn is_string(kv: &model::KeyValue) -> bool {
    kv.v_type == ValueType::String as i32
}

/// Takes the string out of a tag when it is a string tag; leaves other tags in place.
fn take_string(slot: &mut Option<model::KeyValue>) -> Option<String> {
    match slot {
        Some(kv) if is_string(kv) => slot.take().map(|kv| kv.v_str),
        _ => None,
    }
}

/// The protocol tags of one span, set aside during the single pass over its tags.
#[derive(Default)]
struct ProtocolTags {
    kind: Option<model::KeyValue>,
    error: Option<model::KeyValue>,
    status_code: Option<model::KeyValue>,
    status_description: Option<model::KeyValue>,
    scope_name: Option<model::KeyValue>,
    scope_version: Option<model::KeyValue>,
    library_name: Option<model::KeyValue>,
    library_version: Option<model::KeyValue>,
    trace_state: Option<model::KeyValue>,
    dropped_attributes: Option<model::KeyValue>,
    dropped_events: Option<model::KeyValue>,
    dropped_links: Option<model::KeyValue>,
}

impl ProtocolTags {
    /// The slot for a protocol tag key, `None` for an ordinary tag.
    fn slot(&mut self, key: &str) -> Option<&mut Option<model::KeyValue>> {
        Some(match key {
            TAG_SPAN_KIND => &mut self.kind,
            TAG_ERROR => &mut self.error,
            TAG_STATUS_CODE => &mut self.status_code,
            TAG_STATUS_DESCRIPTION => &mut self.status_description,
            TAG_SCOPE_NAME => &mut self.scope_name,
            TAG_SCOPE_VERSION => &mut self.scope_version,
            TAG_LIBRARY_NAME => &mut self.library_name,
            TAG_LIBRARY_VERSION => &mut self.library_version,
            TAG_TRACE_STATE => &mut self.trace_state,
            TAG_DROPPED_ATTRIBUTES => &mut self.dropped_attributes,
            TAG_DROPPED_EVENTS => &mut self.dropped_events,
            TAG_DROPPED_LINKS => &mut self.dropped_links,
            _ => return None,
        })
    }

    /// Puts back, as ordinary attributes, the protocol tags that were not consumed.
    fn put_back(self, out: &mut Vec<KeyValue>) {
        let all = [
            self.kind,
            self.error,
            self.status_code,
            self.status_description,
            self.scope_name,
            self.scope_version,
            self.library_name,
            self.library_version,
            self.trace_state,
            self.dropped_attributes,
            self.dropped_events,
            self.dropped_links,
        ];
        out.extend(all.into_iter().flatten().map(kv_to_otlp));
    }
}

fn kind_from(kv: &model::KeyValue) -> Option<SpanKind> {
    if !is_string(kv) {
        return None;
    }
    let v = kv.v_str.as_str();
    Some(if v.eq_ignore_ascii_case("client") {
        SpanKind::Client
    } else if v.eq_ignore_ascii_case("server") {
        SpanKind::Server
    } else if v.eq_ignore_ascii_case("producer") {
        SpanKind::Producer
    } else if v.eq_ignore_ascii_case("consumer") {
        SpanKind::Consumer
    } else if v.eq_ignore_ascii_case("internal") {
        SpanKind::Internal
    } else {
        return None;
    })
}

/// `OK` / `ERROR` / `UNSET`, in any case, with or without the `STATUS_CODE_` prefix.
fn status_code_from(kv: &model::KeyValue) -> Option<StatusCode> {
    if !is_string(kv) {
        return None;
    }
    let v = kv.v_str.as_str();
    let v = match v.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("STATUS_CODE_") => &v[12..],
        _ => v,
    };
    if v.eq_ignore_ascii_case("OK") {
        Some(StatusCode::Ok)
    } else if v.eq_ignore_ascii_case("ERROR") {
        Some(StatusCode::Error)
    } else if v.eq_ignore_ascii_case("UNSET") {
        Some(StatusCode::Unset)
    } else {
        None
    }
}

/// `error` = bool true, or the string `true` in any case.
fn error_is_true(kv: &model::KeyValue) -> bool {
    if kv.v_type == ValueType::Bool as i32 {
        kv.v_bool
    } else {
        is_string(kv) && kv.v_str.eq_ignore_ascii_case("true")
    }
}

/// Resolves the status from the protocol tags, consuming what it uses.
fn take_status(p: &mut ProtocolTags) -> Option<Status> {
    let code = if p.error.as_ref().is_some_and(error_is_true) {
        // `error` is the final word on a Jaeger span's failure; the code tag, if any, is
        // redundant then.
        p.error = None;
        if p.status_code.as_ref().is_some_and(is_string) {
            p.status_code = None;
        }
        StatusCode::Error
    } else {
        match p.status_code.as_ref().and_then(status_code_from) {
            None => return None,
            Some(code) => {
                p.status_code = None;
                code
            }
        }
    };
    if code == StatusCode::Unset {
        // Nothing to attach a description to: it stays an attribute.
        return None;
    }
    let message = take_string(&mut p.status_description).unwrap_or_default();
    Some(Status { message, code: code as i32 })
}

/// Takes scope name or version: the `otel.scope.*` tag, else the `otel.library.*` alias.
/// When both are there with different values, the alias stays an attribute.
fn take_scope_field(
    scope: &mut Option<model::KeyValue>,
    library: &mut Option<model::KeyValue>,
) -> String {
    match take_string(scope) {
        Some(v) => {
            if library.as_ref().is_some_and(|l| is_string(l) && l.v_str == v) {
                *library = None;
            }
            v
        }
        None => take_string(library).unwrap_or_default(),
    }
}

fn take_count(slot: &mut Option<model::KeyValue>) -> u32 {
    match slot.as_ref().and_then(count) {
        Some(n) => {
            *slot = None;
            n
        }
        None => 0,
    }
}

fn span_to_otlp(span: model::Span) -> Result<(Span, InstrumentationScope), Bad> {
    let checked = match check(&span) {
        Ok(c) => c,
        Err(reason) => {
            let span_id = (span.span_id.len() == 8).then(|| ids::to_hex(&span.span_id));
            return Err(Bad { reason, span_id });
        }
    };
    let model::Span { trace_id, span_id, operation_name, references, flags, tags, logs, .. } = span;
    let trace_id = if trace_id.len() == 16 { trace_id } else { checked.trace_id.to_vec() };

    // One pass over the tags: protocol tags aside, the rest straight into attributes.
    let mut attributes = Vec::with_capacity(tags.len() + 1);
    let mut p = ProtocolTags::default();
    for tag in tags {
        match p.slot(&tag.key) {
            Some(slot) if slot.is_none() => *slot = Some(tag),
            _ => attributes.push(kv_to_otlp(tag)),
        }
    }
    let kind = match &p.kind {
        // Jaeger spans without `span.kind` are local operations: INTERNAL, which is also what
        // OTLP INTERNAL becomes on the way out (no tag), so the round trip keeps it.
        None => SpanKind::Internal,
        Some(kv) => match kind_from(kv) {
            Some(k) => {
                p.kind = None;
                k
            }
            None => SpanKind::Unspecified,
        },
    };
    let status = take_status(&mut p);
    let scope = InstrumentationScope {
        name: take_scope_field(&mut p.scope_name, &mut p.library_name),
        version: take_scope_field(&mut p.scope_version, &mut p.library_version),
        ..Default::default()
    };
    let trace_state = take_string(&mut p.trace_state).unwrap_or_default();
    let dropped_attributes_count = take_count(&mut p.dropped_attributes);
    let dropped_events_count = take_count(&mut p.dropped_events);
    let dropped_links_count = take_count(&mut p.dropped_links);
    p.put_back(&mut attributes);
    if flags & model::FLAG_DEBUG != 0 {
        attributes.push(attributes::bool(ATTR_DEBUG, true));
    }

    // The parent is the first CHILD_OF reference into the same trace; every other reference
    // is a link. References with a zero id point nowhere and are skipped.
    let mut parent_span_id = Vec::new();
    let mut links = Vec::new();
    for r in references {
        if r.span_id.is_empty()
            || r.trace_id.is_empty()
            || ids::is_zero(&r.span_id)
            || ids::is_zero(&r.trace_id)
        {
            continue;
        }
        let child_of = r.ref_type == SpanRefType::ChildOf as i32;
        let ref_trace = if r.trace_id.len() == 16 {
            r.trace_id
        } else {
            ids::widen_trace_id(&r.trace_id).unwrap_or_default().to_vec()
        };
        if child_of && parent_span_id.is_empty() && ref_trace == trace_id {
            parent_span_id = r.span_id;
            continue;
        }
        let attributes =
            if child_of { vec![attributes::string(ATTR_REF_TYPE, "child_of")] } else { Vec::new() };
        links.push(Link {
            trace_id: ref_trace,
            span_id: r.span_id,
            attributes,
            ..Default::default()
        });
    }

    let events = logs.into_iter().map(log_to_event).collect();
    let span = Span {
        trace_id,
        span_id,
        trace_state,
        parent_span_id,
        flags: if flags & model::FLAG_SAMPLED != 0 { SPAN_FLAGS_SAMPLED } else { 0 },
        name: operation_name,
        kind: kind as i32,
        start_time_unix_nano: checked.start,
        end_time_unix_nano: checked.end,
        attributes,
        dropped_attributes_count,
        events,
        dropped_events_count,
        links,
        dropped_links_count,
        status,
    };
    Ok((span, scope))
}

/// A log as an event: the first string `event` field names it, `otel.dropped_attributes_count`
/// (or the older `otel.event.dropped_attributes_count`) gives its dropped count, the other
/// fields are its attributes.
///
/// Without an `event` field, a string `message` field names it instead: the OpenTelemetry
/// Python Jaeger exporter and older Collectors wrote the event name there. A log with neither
/// gives an event with an empty name.
fn log_to_event(log: model::Log) -> Event {
    let mut name = None;
    let mut message = None;
    let mut dropped = None;
    let mut attrs = Vec::with_capacity(log.fields.len());
    for field in log.fields {
        match field.key.as_str() {
            FIELD_EVENT if name.is_none() && is_string(&field) => {
                name = Some(field.v_str);
                continue;
            }
            FIELD_MESSAGE if message.is_none() && is_string(&field) => message = Some(attrs.len()),
            TAG_DROPPED_ATTRIBUTES | TAG_EVENT_DROPPED_ATTRIBUTES_OLD if dropped.is_none() => {
                if let Some(n) = count(&field) {
                    dropped = Some(n);
                    continue;
                }
            }
            _ => {}
        }
        attrs.push(kv_to_otlp(field));
    }
    if let (None, Some(i)) = (&name, message) {
        if let Some(Value::StringValue(text)) = attrs.remove(i).value.and_then(|v| v.value) {
            name = Some(text);
        }
    }
    Event {
        // Checked before conversion.
        time_unix_nano: timestamp_ns(log.timestamp.as_ref()).unwrap_or(0),
        name: name.unwrap_or_default(),
        attributes: attrs,
        dropped_attributes_count: dropped.unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::attributes::get;
    use crate::otlp::model::status::StatusCode;

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
        let (sp, _, _) = one(span(1, vec![s(TAG_SPAN_KIND, "rpc")]));
        assert_eq!(sp.kind, SpanKind::Unspecified as i32);
        assert_eq!(str_attr(&sp.attributes, TAG_SPAN_KIND), Some("rpc"));
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
        // Every spelling of the code.
        for (code, want) in [
            ("ERROR", err),
            ("error", err),
            ("STATUS_CODE_ERROR", err),
            ("status_code_ok", ok),
            ("OK", ok),
        ] {
            let (sp, _, _) =
                one(span(1, vec![s(TAG_STATUS_CODE, code), s(TAG_STATUS_DESCRIPTION, "d")]));
            assert_eq!(status(&sp), (want, "d"), "{code}");
            assert!(sp.attributes.is_empty(), "{code}");
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
