//! Zipkin → OTLP: the one mapping from a Zipkin span to OTLP.
//!
//! The reverse of [`super::from_otlp`]. Every Zipkin reader (v2 JSON, proto3, v1 through the
//! model) hands [`ZipkinSpan`]s to [`map_spans`], which applies the rules and groups the
//! spans by resource and scope into [`Mapped`]; that result is either turned into the owned
//! OTLP model ([`Mapped::into_request`], for [`crate::decode_traces`]) or written straight
//! as OTLP protobuf ([`Mapped::write_proto`], for [`crate::transcode`]). Rules and their
//! spec references are listed in `docs/mappings/traces.md`.

use super::from_otlp::{
    derive, Derived, EndpointAttrs, Lookup, LOCAL_SOCKETS, REMOTE_NAME_RANK, REMOTE_SOCKETS,
};
use super::json_read::{Broken, Scalar, Scanner};
use super::model::{self, Kind};
use super::span::{EndpointView, ZipkinSpan};
use super::*;
use crate::ids;
use crate::otlp::attributes as attr;
use crate::otlp::conventions::{parse_span_kind, parse_status_code};
use crate::otlp::grouping::TracesBuilder;
use crate::otlp::model::{
    any_value::Value, span::Event, span::Link, span::SpanKind, status::StatusCode, AnyValue,
    ArrayValue, InstrumentationScope, KeyValue, KeyValueList, Resource, Span, Status,
    SPAN_FLAGS_SAMPLED,
};
use crate::otlp::wire::{self, AnyValueView, Writer};
use crate::Rejection;
use std::borrow::Cow;
use std::ops::Range;

/// Maps Zipkin spans to one OTLP request, grouped by resource (`localEndpoint.serviceName`)
/// and scope (`otel.scope.*` tags). Rejected spans are named `spans[i]` with their span id.
pub fn spans_to_otlp(spans: Vec<model::Span>) -> (ExportTraceServiceRequest, Vec<Rejection>) {
    spans_to_otlp_with(spans, &|i| format!("spans[{i}]"))
}

/// Like [`spans_to_otlp`], with the name of the i-th span's item given by `item` (a codec that
/// knows a better path, e.g. `$[3]` for JSON, passes its own). `item` is called only for
/// rejected spans; the span id is appended to it.
pub fn spans_to_otlp_with(
    spans: Vec<model::Span>,
    item: &dyn Fn(usize) -> String,
) -> (ExportTraceServiceRequest, Vec<Rejection>) {
    let mapped = map_spans(spans.iter().map(ZipkinSpan::of_model), item);
    let rejected = mapped.rejected.clone();
    (mapped.into_request(), rejected)
}

/// A span attribute value made by the mapping: tags are strings, ports ints, flags bools.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AttrValue<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// An int.
    Int(i64),
    /// A bool.
    Bool(bool),
}

/// An OTLP event made from an annotation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EventOut<'a> {
    /// ns.
    pub time_unix_nano: u64,
    /// Name.
    pub name: Cow<'a, str>,
    /// The attributes, as read from the annotation's JSON.
    pub attributes: EventAttrs<'a>,
    /// Dropped attributes count (the Collector's form carries it).
    pub dropped_attributes_count: u32,
}

/// An OTLP span made from a Zipkin span, borrowing its text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OtlpSpan<'a> {
    /// 16 bytes.
    pub trace_id: [u8; 16],
    /// 8 bytes.
    pub span_id: [u8; 8],
    /// Parent, if any.
    pub parent_span_id: Option<[u8; 8]>,
    /// W3C trace state.
    pub trace_state: Cow<'a, str>,
    /// Flags.
    pub flags: u32,
    /// Name.
    pub name: Cow<'a, str>,
    /// Kind.
    pub kind: SpanKind,
    /// ns.
    pub start_time_unix_nano: u64,
    /// ns.
    pub end_time_unix_nano: u64,
    /// Attributes, in order.
    pub attributes: Vec<(Cow<'a, str>, AttrValue<'a>)>,
    /// Dropped attributes count.
    pub dropped_attributes_count: u32,
    /// Events.
    pub events: Vec<EventOut<'a>>,
    /// Dropped events count.
    pub dropped_events_count: u32,
    /// Links.
    pub links: Vec<Link>,
    /// Dropped links count.
    pub dropped_links_count: u32,
    /// Status code and message, when set.
    pub status: Option<(StatusCode, Cow<'a, str>)>,
}

impl OtlpSpan<'_> {
    /// The owned OTLP span.
    pub fn into_prost(self) -> Span {
        Span {
            trace_id: self.trace_id.to_vec(),
            span_id: self.span_id.to_vec(),
            trace_state: self.trace_state.into_owned(),
            parent_span_id: self.parent_span_id.map(|p| p.to_vec()).unwrap_or_default(),
            flags: self.flags,
            name: self.name.into_owned(),
            kind: self.kind as i32,
            start_time_unix_nano: self.start_time_unix_nano,
            end_time_unix_nano: self.end_time_unix_nano,
            attributes: self
                .attributes
                .into_iter()
                .map(|(k, v)| match v {
                    AttrValue::Str(s) => attr::string(k.into_owned(), s.into_owned()),
                    AttrValue::Int(i) => attr::int(k.into_owned(), i),
                    AttrValue::Bool(b) => attr::bool(k.into_owned(), b),
                })
                .collect(),
            dropped_attributes_count: self.dropped_attributes_count,
            events: self
                .events
                .into_iter()
                .map(|e| Event {
                    time_unix_nano: e.time_unix_nano,
                    name: e.name.into_owned(),
                    attributes: if e.attributes.json.is_empty() {
                        Vec::new()
                    } else {
                        json_object(&e.attributes.json).unwrap_or_default()
                    },
                    dropped_attributes_count: e.dropped_attributes_count,
                })
                .collect(),
            dropped_events_count: self.dropped_events_count,
            links: self.links,
            dropped_links_count: self.dropped_links_count,
            status: self
                .status
                .map(|(code, message)| Status { code: code as i32, message: message.into_owned() }),
        }
    }
}

/// What spans are grouped by: the resource (`service.name`) and the scope.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupKey<'a> {
    /// `localEndpoint.serviceName`, when not empty.
    pub service: Option<Cow<'a, str>>,
    /// Scope name.
    pub scope_name: Cow<'a, str>,
    /// Scope version.
    pub scope_version: Cow<'a, str>,
}

impl GroupKey<'_> {
    /// The OTLP resource.
    pub fn resource(&self) -> Resource {
        let mut resource = Resource::default();
        if let Some(service) = &self.service {
            resource.attributes.push(attr::string(ATTR_SERVICE_NAME, service.to_string()));
        }
        resource
    }

    /// The OTLP scope.
    pub fn scope(&self) -> InstrumentationScope {
        InstrumentationScope {
            name: self.scope_name.to_string(),
            version: self.scope_version.to_string(),
            ..Default::default()
        }
    }
}

/// Mapped spans, grouped by service and scope in first-seen order, and the rejected ones.
#[derive(Debug, Default)]
pub(crate) struct Mapped<'a> {
    /// Groups of spans sharing a [`GroupKey`].
    pub groups: Vec<(GroupKey<'a>, Vec<OtlpSpan<'a>>)>,
    /// Spans that could not be mapped.
    pub rejected: Vec<Rejection>,
}

impl Mapped<'_> {
    /// The owned OTLP request.
    pub fn into_request(self) -> ExportTraceServiceRequest {
        let mut builder = TracesBuilder::new();
        for (key, spans) in self.groups {
            let spans = spans.into_iter().map(OtlpSpan::into_prost).collect();
            builder.push_many(key.resource(), key.scope(), spans);
        }
        builder.finish()
    }
}

/// Maps Zipkin spans (the i-th named `item(i)` if rejected) and groups them.
pub(crate) fn map_spans<'a>(
    spans: impl IntoIterator<Item = ZipkinSpan<'a>>,
    item: &dyn Fn(usize) -> String,
) -> Mapped<'a> {
    let mut out = Mapped::default();
    let spans = spans.into_iter();
    let count = spans.size_hint().0;
    for (i, span) in spans.enumerate() {
        let id = span.id;
        match span_to_otlp(span) {
            Ok((key, otlp)) => {
                // Consecutive spans mostly share service and scope: look from the back.
                match out.groups.iter().rposition(|g| g.0 == key) {
                    Some(p) => out.groups[p].1.push(otlp),
                    None => {
                        // Room for every span left: a batch is mostly one group, and growing
                        // a vector of spans copies them.
                        let mut group = Vec::with_capacity(count.saturating_sub(i).max(1));
                        group.push(otlp);
                        out.groups.push((key, group));
                    }
                }
            }
            Err(reason) => {
                let mut name = item(i);
                let id = &id.as_slice()[..id.as_slice().len().min(8)];
                if !id.is_empty() {
                    name.push_str(&format!(" (span id {})", ids::to_hex(id)));
                }
                out.rejected.push(Rejection::new(name, reason));
            }
        }
    }
    out
}

/// Adds the attributes that carry an endpoint, unless [`from_otlp`](super::from_otlp)'s rules
/// would already find the same value in the span's own tags (then adding one would duplicate
/// it, and the round trip would not give the same span back). An explicit tag always wins.
fn endpoint_attributes<'a>(
    ep: &EndpointView<'a>,
    derived: &Derived<'_>,
    has: &dyn Fn(&str) -> bool,
    keys: (Option<&'static str>, &'static str, &'static str),
    attrs: &mut Vec<(Cow<'a, str>, AttrValue<'a>)>,
) {
    let (service_key, addr_key, port_key) = keys;
    if let Some(service_key) = service_key {
        if !ep.service_name.is_empty()
            && derived.service.map(|(_, s)| s) != Some(ep.service_name.as_ref())
            && !has(service_key)
        {
            attrs.push((service_key.into(), AttrValue::Str(ep.service_name.clone())));
        }
    }
    let mut added_ip = false;
    if let Some(ip) = ep.ip() {
        if derived.ip.map(|(_, i)| i) != Some(ip) && !has(addr_key) {
            attrs.push((addr_key.into(), AttrValue::Str(ip.to_string().into())));
            added_ip = true;
        }
    }
    if ep.port != 0 {
        let seen = derived.port.map(|(_, p)| p) == Some(ep.port);
        if (added_ip || !seen) && !has(port_key) {
            attrs.push((port_key.into(), AttrValue::Int(i64::from(ep.port))));
        }
    }
}

/// One Zipkin span as an OTLP span with its group (service and scope).
fn span_to_otlp(span: ZipkinSpan<'_>) -> Result<(GroupKey<'_>, OtlpSpan<'_>), String> {
    let trace_id: [u8; 16] = match span.trace_id.len() {
        16 => span.trace_id.as_slice().try_into().map_err(|_| "trace id".to_string())?,
        _ => ids::widen_trace_id(span.trace_id.as_slice()).ok_or_else(|| {
            format!("trace id must be 8 or 16 bytes, got {}", span.trace_id.len())
        })?,
    };
    if ids::is_zero(&trace_id) {
        return Err("trace id is all zeros".into());
    }
    let span_id: [u8; 8] = match span.id.len() {
        8 => span.id.as_slice().try_into().map_err(|_| "span id".to_string())?,
        n => return Err(format!("span id must be 8 bytes, got {n}")),
    };
    if ids::is_zero(&span_id) {
        return Err("span id is all zeros".into());
    }
    let parent_span_id = match span.parent_id.len() {
        0 => None,
        // A parent equal to the span itself (seen in the wild) means "no parent".
        8 if ids::is_zero(span.parent_id.as_slice()) || span.parent_id == span.id => None,
        8 => span.parent_id.as_slice().try_into().ok(),
        n => return Err(format!("parent id must be 8 bytes, got {n}")),
    };
    let start = span
        .timestamp
        .checked_mul(1000)
        .ok_or_else(|| format!("timestamp {} µs is out of range", span.timestamp))?;
    let end = span
        .duration
        .checked_mul(1000)
        .and_then(|d| start.checked_add(d))
        .ok_or_else(|| format!("duration {} µs is out of range", span.duration))?;

    // Endpoint rules are checked against the span's own tags before they are consumed.
    let mut candidates = EndpointAttrs::default();
    for (k, v) in &span.tags {
        candidates.offer(k, || Some(Lookup::Str(v)));
    }
    let remote_derived = if !span.remote.is_empty() {
        derive(&candidates, &REMOTE_NAME_RANK, &REMOTE_SOCKETS)
    } else {
        Derived::default()
    };
    let local_derived = if !span.local.is_empty() {
        derive(&candidates, &[], &LOCAL_SOCKETS)
    } else {
        Derived::default()
    };
    let mut endpoint_attrs = Vec::new();
    {
        let has = |key: &str| candidates.has(key);
        endpoint_attributes(
            &span.local,
            &local_derived,
            &has,
            (None, ATTR_LOCAL_ADDRESS, ATTR_LOCAL_PORT),
            &mut endpoint_attrs,
        );
        endpoint_attributes(
            &span.remote,
            &remote_derived,
            &has,
            (Some(ATTR_PEER_SERVICE), ATTR_PEER_ADDRESS, ATTR_PEER_PORT),
            &mut endpoint_attrs,
        );
    }

    let mut attributes = Vec::with_capacity(span.tags.len() + endpoint_attrs.len() + 2);
    let mut status_code = None;
    let mut status_description = None;
    let mut error = None;
    let mut kind_tag = None;
    let (mut scope_name, mut scope_version, mut lib_name, mut lib_version) =
        (None, None, None, None);
    let mut trace_state = Cow::Borrowed("");
    let (mut dropped_attrs, mut dropped_events, mut dropped_links) = (0, 0, 0);
    let mut links = Vec::new();
    for (key, value) in span.tags {
        // Every protocol tag starts with one of these bytes: most tags need no comparison.
        if !matches!(key.as_bytes().first(), Some(b'o' | b'e' | b's' | b'w')) {
            attributes.push((key, AttrValue::Str(value)));
            continue;
        }
        match key.as_ref() {
            TAG_STATUS_CODE => status_code = Some(value),
            TAG_STATUS_DESCRIPTION => status_description = Some(value),
            TAG_ERROR => error = Some(value),
            TAG_SPAN_KIND => kind_tag = Some(value),
            TAG_SCOPE_NAME => scope_name = Some(value),
            TAG_SCOPE_VERSION => scope_version = Some(value),
            TAG_LIBRARY_NAME => lib_name = Some(value),
            TAG_LIBRARY_VERSION => lib_version = Some(value),
            TAG_TRACE_STATE => trace_state = value,
            TAG_DROPPED_ATTRIBUTES | TAG_DROPPED_EVENTS | TAG_DROPPED_LINKS => {
                match value.parse::<u32>() {
                    Ok(n) if key == TAG_DROPPED_ATTRIBUTES => dropped_attrs = n,
                    Ok(n) if key == TAG_DROPPED_EVENTS => dropped_events = n,
                    Ok(n) => dropped_links = n,
                    Err(_) => attributes.push((key, AttrValue::Str(value))),
                }
            }
            k if k.starts_with(TAG_LINK_PREFIX) => match parse_link(&value) {
                Some(link) => links
                    .push((k[TAG_LINK_PREFIX.len()..].parse::<u32>().unwrap_or(u32::MAX), link)),
                None => attributes.push((key, AttrValue::Str(value))),
            },
            _ => attributes.push((key, AttrValue::Str(value))),
        }
    }
    links.sort_by_key(|(n, _)| *n);

    // Status (spec "Status", reversed): a present `error` tag marks a failure and carries the
    // message (unless `otel.status_description` is given); `otel.status_code` is read in every
    // spelling met in the wild (UNSET too, which sets nothing). A boolean-false `error` is
    // dropped, as the spec asks.
    let code = status_code.as_deref().and_then(parse_status_code);
    let mut status = None;
    match error {
        Some(e) if e != "false" => {
            status = Some((StatusCode::Error, status_description.take().unwrap_or(e)));
        }
        _ => match code {
            Some(StatusCode::Error) => {
                status = Some((StatusCode::Error, status_description.take().unwrap_or_default()))
            }
            Some(StatusCode::Ok) => status = Some((StatusCode::Ok, Cow::Borrowed(""))),
            Some(StatusCode::Unset) | None => {}
        },
    }
    if code.is_none() {
        if let Some(v) = status_code {
            attributes.push((TAG_STATUS_CODE.into(), AttrValue::Str(v)));
        }
    }
    if let Some(v) = status_description {
        // Only meaningful with ERROR; kept as an attribute rather than lost.
        attributes.push((TAG_STATUS_DESCRIPTION.into(), AttrValue::Str(v)));
    }

    // Kind: Zipkin's own field; else the OpenTracing `span.kind` tag; else INTERNAL, which is
    // what an absent Zipkin kind means ("a local span"). An unreadable tag stays.
    let kind_from_tag = kind_tag.as_deref().and_then(parse_span_kind);
    if kind_from_tag.is_none() {
        if let Some(v) = kind_tag {
            attributes.push((TAG_SPAN_KIND.into(), AttrValue::Str(v)));
        }
    }
    let kind = match span.kind {
        Kind::Client => SpanKind::Client,
        Kind::Server => SpanKind::Server,
        Kind::Producer => SpanKind::Producer,
        Kind::Consumer => SpanKind::Consumer,
        Kind::Unspecified => kind_from_tag.unwrap_or(SpanKind::Internal),
    };

    // Scope: `otel.scope.*`, else the deprecated `otel.library.*`; an alias that disagrees
    // with the scope tag is not the scope, so it stays an attribute (as on the Jaeger side).
    let scope_name = pick_scope(scope_name, lib_name, TAG_LIBRARY_NAME, &mut attributes);
    let scope_version =
        pick_scope(scope_version, lib_version, TAG_LIBRARY_VERSION, &mut attributes);

    attributes.extend(endpoint_attrs);
    if span.debug {
        attributes.push((ATTR_DEBUG.into(), AttrValue::Bool(true)));
    }
    if span.shared {
        attributes.push((ATTR_SHARED.into(), AttrValue::Bool(true)));
    }

    let mut events = Vec::with_capacity(span.annotations.len());
    for (timestamp, value) in span.annotations {
        let time_unix_nano = timestamp
            .checked_mul(1000)
            .ok_or_else(|| format!("annotation timestamp {timestamp} µs is out of range"))?;
        events.push(match parse_event(value) {
            Ok((name, attributes, dropped_attributes_count)) => {
                EventOut { time_unix_nano, name, attributes, dropped_attributes_count }
            }
            Err(value) => EventOut {
                time_unix_nano,
                name: value,
                attributes: EventAttrs::default(),
                dropped_attributes_count: 0,
            },
        });
    }

    let service = Some(span.local.service_name).filter(|s| !s.is_empty());
    let key = GroupKey { service, scope_name, scope_version };
    let otlp = OtlpSpan {
        trace_id,
        span_id,
        trace_state,
        parent_span_id,
        // Spans reported to Zipkin were sampled (project decision).
        flags: SPAN_FLAGS_SAMPLED,
        name: span.name,
        kind,
        start_time_unix_nano: start,
        end_time_unix_nano: end,
        attributes,
        dropped_attributes_count: dropped_attrs,
        events,
        dropped_events_count: dropped_events,
        links: links.into_iter().map(|(_, l)| l).collect(),
        dropped_links_count: dropped_links,
        status,
    };
    Ok((key, otlp))
}

/// The scope name (or version) from the `otel.scope.*` tag, else from its `otel.library.*`
/// alias; an alias with a different value is kept as the attribute `alias_key`.
fn pick_scope<'a>(
    scope: Option<Cow<'a, str>>,
    alias: Option<Cow<'a, str>>,
    alias_key: &'static str,
    attributes: &mut Vec<(Cow<'a, str>, AttrValue<'a>)>,
) -> Cow<'a, str> {
    match (scope, alias) {
        (Some(s), Some(a)) if s != a => {
            attributes.push((alias_key.into(), AttrValue::Str(a)));
            s
        }
        (Some(s), _) => s,
        (None, Some(a)) => a,
        (None, None) => Cow::Borrowed(""),
    }
}

/// A scalar event attribute value read from JSON; a string is where it is in the text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FlatValue {
    /// `null` (an empty OTLP value).
    Null,
    /// A string without escapes, at this place in the text.
    Str(Range<usize>),
    /// A bool.
    Bool(bool),
    /// An integer that fits i64.
    Int(i64),
    /// Any other number.
    Double(f64),
}

/// Where a key and its value are in an event's attributes text.
pub(crate) type FlatEntries = Vec<(Range<usize>, FlatValue)>;

/// The attributes of an event made from an annotation.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct EventAttrs<'a> {
    /// The JSON object they are read from (checked to be one); empty for none.
    pub json: Cow<'a, str>,
    /// Its entries as positions in `json` (keys unique: a repeated key keeps its last value,
    /// in the place of the last), when every value is a scalar and no key or string holds an
    /// escape, so the protobuf writer can copy them without building owned values
    /// ([`write_event_attributes`]); `None` sends it to the owned route.
    pub flat: Option<FlatEntries>,
}

/// Reads an annotation that carries an event with attributes into the event name, its
/// attributes and its dropped attributes count. Three forms are read: the spec's
/// `{"<name>":{<attributes>}}`, the `"<name>":{<attributes>}` the OpenTelemetry Java exporter
/// writes, and the Collector's `<name>|{<attributes>}|<dropped count>`. Other values are plain
/// event names, handed back as `Err`. An owned value is cut down to the attributes text in
/// place rather than copied.
#[allow(clippy::type_complexity)]
fn parse_event(value: Cow<'_, str>) -> Result<(Cow<'_, str>, EventAttrs<'_>, u32), Cow<'_, str>> {
    match value {
        Cow::Borrowed(v) => match event_parts(v) {
            Some((name, json, flat, dropped)) => {
                Ok((name, EventAttrs { json: Cow::Borrowed(&v[json]), flat }, dropped))
            }
            None => Err(value),
        },
        Cow::Owned(mut v) => {
            let Some((name, json, flat, dropped)) = event_parts(&v)
                .map(|(name, json, flat, dropped)| (name.into_owned(), json, flat, dropped))
            else {
                return Err(Cow::Owned(v));
            };
            v.truncate(json.end);
            v.drain(..json.start);
            Ok((Cow::Owned(name), EventAttrs { json: Cow::Owned(v), flat }, dropped))
        }
    }
}

/// The event name, where its attributes object is in `value`, its entries (see
/// [`EventAttrs::flat`]; positions from the object's start) and the dropped count, when
/// `value` is one of the forms [`parse_event`] reads.
#[allow(clippy::type_complexity)]
fn event_parts(value: &str) -> Option<(Cow<'_, str>, Range<usize>, Option<FlatEntries>, u32)> {
    let v = value.trim();
    let lead = value.len() - value.trim_start().len();
    if v.starts_with('{') && v.ends_with('}') {
        let (name, json, flat) = single_object_entry(v)?;
        return Some((name, json.start + lead..json.end + lead, flat, 0));
    }
    if v.starts_with('"') && v.ends_with('}') {
        let wrapped = format!("{{{v}}}");
        let (name, json, flat) = single_object_entry(&wrapped)?;
        // `wrapped` has one byte more in front than `v`.
        let json = json.start - 1 + lead..json.end - 1 + lead;
        return Some((Cow::Owned(name.into_owned()), json, flat, 0));
    }
    // The Collector's form: the name up to the first `|`, the count after the last.
    let (name, rest) = value.split_once('|')?;
    let (json, dropped) = rest.rsplit_once('|')?;
    let dropped = dropped.parse::<u32>().ok()?;
    if !json.starts_with('{') {
        return None;
    }
    // The same check as `json_object`: one object and nothing after it.
    let mut s = Scanner::new(json);
    let flat = read_object(&mut s, json, 0).ok()?;
    if !s.at_end() {
        return None;
    }
    let start = name.len() + 1;
    Some((Cow::Borrowed(name), start..start + json.len(), flat, dropped))
}

/// Where `part` (a slice of `text`) is in `text`.
fn range_in(text: &str, part: &str) -> Range<usize> {
    let start = (part.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    start..start + part.len()
}

/// Reads the object at the cursor (on its `{`) of `text`, checking it as [`json_any`] does;
/// its entries as positions from `base` when it is flat (see [`EventAttrs::flat`]).
fn read_object(
    s: &mut Scanner<'_>,
    text: &str,
    base: usize,
) -> Result<Option<FlatEntries>, Broken> {
    s.begin_object()?;
    let mut entries: Option<FlatEntries> = Some(Vec::new());
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        let value = match s.peek() {
            Some(b'{' | b'[') => {
                s.value()?;
                None
            }
            _ => match s.value()? {
                Scalar::Null => Some(FlatValue::Null),
                Scalar::Str(Cow::Borrowed(v)) => {
                    let r = range_in(text, v);
                    Some(FlatValue::Str(r.start - base..r.end - base))
                }
                Scalar::Str(Cow::Owned(_)) | Scalar::Json(_) => None,
                Scalar::Bool(b) => Some(FlatValue::Bool(b)),
                Scalar::I64(i) => Some(FlatValue::Int(i)),
                Scalar::U64(u) => Some(match i64::try_from(u) {
                    Ok(i) => FlatValue::Int(i),
                    Err(_) => FlatValue::Double(u as f64),
                }),
                Scalar::F64(d) => Some(FlatValue::Double(d)),
            },
        };
        let (Cow::Borrowed(key), Some(value), Some(list)) = (&key, value, &mut entries) else {
            entries = None;
            continue;
        };
        let r = range_in(text, key);
        let key = r.start - base..r.end - base;
        let k = text.get(r).unwrap_or_default();
        // A repeated key keeps its last value, in the place of the last (as `json_any`).
        if list.iter().any(|(other, _)| text.get(other.start + base..other.end + base) == Some(k)) {
            list.retain(|(other, _)| text.get(other.start + base..other.end + base) != Some(k));
        }
        list.push((key, value));
    }
    Ok(entries)
}

/// When `text` is a JSON object with one key (repeats of it count once, the last value wins)
/// whose value is an object: the key, where that object is in `text`, and its entries when
/// flat (positions from the object's start).
#[allow(clippy::type_complexity)]
fn single_object_entry(text: &str) -> Option<(Cow<'_, str>, Range<usize>, Option<FlatEntries>)> {
    let mut s = Scanner::new(text);
    if s.peek() != Some(b'{') {
        return None;
    }
    s.begin_object().ok()?;
    let mut first = true;
    let mut name: Option<Cow<'_, str>> = None;
    let mut object = None;
    while let Some(key) = s.next_key(&mut first).ok()? {
        if name.as_ref().is_some_and(|n| *n != key) {
            // A second key: not an event.
            return None;
        }
        name = Some(key);
        if s.peek()? == b'{' {
            let start = s.pos();
            let flat = read_object(&mut s, text, start).ok()?;
            object = Some((start..s.pos(), flat));
        } else {
            s.value().ok()?;
            object = None;
        }
    }
    if !s.at_end() {
        return None;
    }
    let (json, flat) = object?;
    Some((name?, json, flat))
}

/// Writes an event's attributes as repeated `KeyValue`s in `field`: the same bytes as
/// [`json_object`] then the owned encoder would give, copied straight from the text when
/// they are flat.
pub(crate) fn write_event_attributes(w: &mut Writer, field: u32, attrs: &EventAttrs<'_>) {
    let json = attrs.json.as_ref();
    if json.is_empty() {
        return;
    }
    let Some(entries) = &attrs.flat else {
        wire::encode_attributes(w, field, &json_object(json).unwrap_or_default());
        return;
    };
    for (key, value) in entries {
        let key = json.get(key.clone()).unwrap_or_default();
        let view = match value {
            FlatValue::Null => AnyValueView::Empty,
            FlatValue::Str(r) => {
                w.key_value_str(field, key, json.get(r.clone()).unwrap_or_default());
                continue;
            }
            FlatValue::Bool(b) => AnyValueView::Bool(*b),
            FlatValue::Int(i) => AnyValueView::Int(*i),
            FlatValue::Double(d) => AnyValueView::Double(*d),
        };
        w.key_value(field, key, Some(&view));
    }
}

/// Reads a link tag in the Collector's form `traceId|spanId|traceState|attributesJson|dropped`
/// (the JSON may itself contain `|`).
fn parse_link(value: &str) -> Option<Link> {
    let mut head = value.splitn(4, '|');
    let trace = head.next()?;
    let span = head.next()?;
    let trace_state = head.next()?;
    let rest = head.next()?;
    let (json, dropped) = rest.rsplit_once('|')?;
    let trace_id = ids::parse_hex_padded::<16>(trace).ok()?;
    let span_id = ids::parse_hex_padded::<8>(span).ok()?;
    Some(Link {
        trace_id: trace_id.to_vec(),
        span_id: span_id.to_vec(),
        trace_state: trace_state.to_string(),
        attributes: json_object(json)?,
        dropped_attributes_count: dropped.parse().ok()?,
        flags: 0,
    })
}

/// A JSON object read into OTLP attributes (`None` when `text` is not one JSON object).
fn json_object(text: &str) -> Option<Vec<KeyValue>> {
    let mut s = Scanner::new(text);
    if s.peek() != Some(b'{') {
        return None;
    }
    let value = json_any(&mut s).ok()?;
    if !s.at_end() {
        return None;
    }
    match value.value {
        Some(Value::KvlistValue(kv)) => Some(kv.values),
        _ => None,
    }
}

/// A JSON value read straight into an OTLP value, keeping object key order: integers →
/// int (or double beyond i64), other numbers → double, bools, strings, arrays, objects →
/// key/value lists (a repeated key keeps its last value), null → empty value. Nesting is
/// bounded by the scanner.
fn json_any(s: &mut Scanner<'_>) -> Result<AnyValue, Broken> {
    let value = match s.peek() {
        Some(b'{') => {
            s.begin_object()?;
            let mut values: Vec<KeyValue> = Vec::new();
            let mut first = true;
            while let Some(key) = s.next_key(&mut first)? {
                let v = json_any(s)?;
                values.retain(|kv| kv.key != key);
                values.push(KeyValue { key: key.into_owned(), value: Some(v) });
            }
            Some(Value::KvlistValue(KeyValueList { values }))
        }
        Some(b'[') => {
            s.begin_array()?;
            let mut values = Vec::new();
            let mut first = true;
            while s.next_element(&mut first)? {
                values.push(json_any(s)?);
            }
            Some(Value::ArrayValue(ArrayValue { values }))
        }
        _ => match s.value()? {
            Scalar::Null => None,
            Scalar::Str(v) => Some(Value::StringValue(v.into_owned())),
            Scalar::Bool(b) => Some(Value::BoolValue(b)),
            Scalar::I64(i) => Some(Value::IntValue(i)),
            Scalar::U64(u) => Some(match i64::try_from(u) {
                Ok(i) => Value::IntValue(i),
                Err(_) => Value::DoubleValue(u as f64),
            }),
            Scalar::F64(d) => Some(Value::DoubleValue(d)),
            Scalar::Json(_) => return Err(Broken),
        },
    };
    Ok(AnyValue { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::grouping;
    use crate::zipkin::model::{Endpoint, Tag};
    use model::Annotation;
    use std::net::Ipv6Addr;

    fn ep(service: &str) -> Option<Endpoint> {
        Some(Endpoint { service_name: service.into(), ..Default::default() })
    }

    fn base() -> model::Span {
        model::Span {
            trace_id: vec![1, 2, 3, 4, 5, 6, 7, 8],
            id: vec![0xa; 8],
            parent_id: vec![0xb; 8],
            kind: Kind::Server as i32,
            name: "get".into(),
            timestamp: 1_472_470_996_199_000,
            duration: 207_000,
            local_endpoint: ep("frontend"),
            ..Default::default()
        }
    }

    fn t(k: &str, v: &str) -> Tag {
        Tag { key: k.into(), value: v.into() }
    }

    fn one(span: model::Span) -> Span {
        let (req, rejected) = spans_to_otlp(vec![span]);
        assert!(rejected.is_empty(), "{rejected:?}");
        let all: Vec<_> = grouping::spans(&req).map(|s| s.span.clone()).collect();
        assert_eq!(all.len(), 1);
        all.into_iter().next().unwrap()
    }

    fn get<'a>(s: &'a Span, key: &str) -> Option<&'a Value> {
        attr::get(&s.attributes, key)
    }

    fn str_attr<'a>(sp: &'a Span, key: &str) -> Option<&'a str> {
        attr::get_str(&sp.attributes, key)
    }

    #[test]
    fn ids_times_kind_flags() {
        let span = one(base());
        assert_eq!(span.trace_id, [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(span.span_id, vec![0xa; 8]);
        assert_eq!(span.parent_span_id, vec![0xb; 8]);
        assert_eq!(span.name, "get");
        assert_eq!(span.kind, SpanKind::Server as i32);
        assert_eq!(span.start_time_unix_nano, 1_472_470_996_199_000_000);
        assert_eq!(span.end_time_unix_nano, 1_472_470_996_406_000_000);
        assert_eq!(span.flags, SPAN_FLAGS_SAMPLED);
        assert!(span.attributes.is_empty(), "{:?}", span.attributes);
    }

    #[test]
    fn parent_equal_to_id_or_zero_is_root() {
        let mut z = base();
        z.parent_id = z.id.clone();
        assert!(one(z).parent_span_id.is_empty());
        let mut z = base();
        z.parent_id = vec![0; 8];
        assert!(one(z).parent_span_id.is_empty());
    }

    #[test]
    fn missing_kind_is_internal_or_from_span_kind_tag() {
        let mut z = base();
        z.kind = Kind::Unspecified as i32;
        assert_eq!(one(z.clone()).kind, SpanKind::Internal as i32);
        z.tags = vec![t("span.kind", "producer")];
        let span = one(z.clone());
        assert_eq!(span.kind, SpanKind::Producer as i32);
        assert!(span.attributes.is_empty());
        for (k, want) in [
            (Kind::Client, SpanKind::Client),
            (Kind::Producer, SpanKind::Producer),
            (Kind::Consumer, SpanKind::Consumer),
        ] {
            let mut z = base();
            z.kind = k as i32;
            assert_eq!(one(z).kind, want as i32);
        }
    }

    #[test]
    fn service_groups_into_resources_and_scope_tags_into_scopes() {
        let mut a = base();
        a.tags = vec![
            t("otel.scope.name", "lib"),
            t("otel.scope.version", "1.0"),
            t("otel.library.name", "lib"),
        ];
        let mut b = base();
        b.local_endpoint = ep("backend");
        let mut c = base();
        c.tags = vec![t("otel.library.name", "old"), t("otel.library.version", "0.1")];
        let (req, rejected) = spans_to_otlp(vec![a, b, c, base()]);
        assert!(rejected.is_empty());
        assert_eq!(req.resource_spans.len(), 2);
        let rs = &req.resource_spans[0];
        assert_eq!(
            attr::get_str(&rs.resource.as_ref().unwrap().attributes, "service.name"),
            Some("frontend")
        );
        let scopes: Vec<_> = rs
            .scope_spans
            .iter()
            .map(|ss| {
                let sc = ss.scope.as_ref().unwrap();
                (sc.name.as_str(), sc.version.as_str(), ss.spans.len())
            })
            .collect();
        assert_eq!(scopes, [("lib", "1.0", 1), ("old", "0.1", 1), ("", "", 1)]);
        assert!(rs.scope_spans[0].spans[0].attributes.is_empty(), "scope tags are removed");
        assert_eq!(
            attr::get_str(
                &req.resource_spans[1].resource.as_ref().unwrap().attributes,
                "service.name"
            ),
            Some("backend")
        );
    }

    #[test]
    fn no_local_service_means_empty_resource() {
        let mut z = base();
        z.local_endpoint = Some(Endpoint { ipv4: vec![169, 254, 65, 45], ..Default::default() });
        let (req, _) = spans_to_otlp(vec![z]);
        assert!(req.resource_spans[0].resource.as_ref().unwrap().attributes.is_empty());
        let span = &req.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(str_attr(span, ATTR_LOCAL_ADDRESS), Some("169.254.65.45"));
    }

    #[test]
    fn status_in_every_spelling() {
        for (tags, code, msg) in [
            (vec![t("otel.status_code", "OK")], StatusCode::Ok, ""),
            (vec![t("otel.status_code", "Ok")], StatusCode::Ok, ""),
            (vec![t("otel.status_code", "STATUS_CODE_OK")], StatusCode::Ok, ""),
            (vec![t("otel.status_code", "ERROR")], StatusCode::Error, ""),
            (
                vec![t("otel.status_code", "Error"), t("otel.status_description", "d")],
                StatusCode::Error,
                "d",
            ),
            (
                vec![t("otel.status_code", "STATUS_CODE_ERROR"), t("error", "boom")],
                StatusCode::Error,
                "boom",
            ),
            (vec![t("error", "此用户没有操作权限")], StatusCode::Error, "此用户没有操作权限"),
            (vec![t("error", "")], StatusCode::Error, ""),
            (
                vec![t("error", "x"), t("otel.status_description", "desc")],
                StatusCode::Error,
                "desc",
            ),
        ] {
            let mut z = base();
            z.tags = tags.clone();
            let span = one(z);
            let st = span.status.clone().unwrap();
            assert_eq!((st.code, st.message.as_str()), (code as i32, msg), "{tags:?}");
            assert!(span.attributes.is_empty(), "{tags:?} left {:?}", span.attributes);
        }
        let mut z = base();
        z.tags = vec![t("error", "false"), t("otel.status_code", "weird")];
        let span = one(z);
        assert!(span.status.is_none());
        assert_eq!(str_attr(&span, "otel.status_code"), Some("weird"));
        assert!(get(&span, "error").is_none());
    }

    #[test]
    fn annotations_become_events_with_typed_attributes() {
        let mut z = base();
        z.annotations = vec![
            Annotation { timestamp: 1_472_470_996_238_000, value: "foo".into() },
            Annotation {
                timestamp: 1_472_470_996_403_000,
                value: r#"{"exception":{"type":"IOError","n":3,"ratio":1.5,"whole":2.0,"ok":false,"list":["a",1],"nested":{"b":true}}}"#
                    .into(),
            },
            Annotation { timestamp: 1, value: r#""java":{"k":"v"}"#.into() },
            Annotation { timestamp: 2, value: "{not json".into() },
        ];
        let span = one(z);
        assert_eq!(span.events[0].name, "foo");
        assert_eq!(span.events[0].time_unix_nano, 1_472_470_996_238_000_000);
        assert!(span.events[0].attributes.is_empty());
        let e = &span.events[1];
        assert_eq!(e.name, "exception");
        let a = &e.attributes;
        assert_eq!(attr::get_str(a, "type"), Some("IOError"));
        assert_eq!(attr::get(a, "n"), Some(&Value::IntValue(3)));
        assert_eq!(attr::get(a, "ratio"), Some(&Value::DoubleValue(1.5)));
        assert_eq!(attr::get(a, "whole"), Some(&Value::DoubleValue(2.0)));
        assert_eq!(attr::get(a, "ok"), Some(&Value::BoolValue(false)));
        let keys: Vec<_> = a.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["type", "n", "ratio", "whole", "ok", "list", "nested"], "order kept");
        match attr::get(a, "list") {
            Some(Value::ArrayValue(arr)) => assert_eq!(arr.values.len(), 2),
            other => panic!("{other:?}"),
        }
        assert_eq!(span.events[2].name, "java");
        assert_eq!(attr::get_str(&span.events[2].attributes, "k"), Some("v"));
        assert_eq!(span.events[3].name, "{not json");
    }

    #[test]
    fn remote_endpoint_to_peer_attributes() {
        let mut z = base();
        z.remote_endpoint = Some(Endpoint {
            service_name: "backend".into(),
            ipv4: vec![192, 168, 99, 101],
            ipv6: vec![],
            port: 9000,
        });
        let span = one(z.clone());
        assert_eq!(str_attr(&span, "peer.service"), Some("backend"));
        assert_eq!(str_attr(&span, "network.peer.address"), Some("192.168.99.101"));
        assert_eq!(get(&span, "network.peer.port"), Some(&Value::IntValue(9000)));

        // An explicit peer.service tag wins over remoteEndpoint.serviceName.
        z.tags = vec![t("peer.service", "explicit")];
        let span = one(z.clone());
        let all: Vec<_> = span.attributes.iter().filter(|kv| kv.key == "peer.service").collect();
        assert_eq!(all.len(), 1);
        assert_eq!(str_attr(&span, "peer.service"), Some("explicit"));

        // A name the ranking already finds in the tags is not repeated as peer.service.
        z.tags = vec![t("server.address", "backend")];
        let span = one(z);
        assert!(get(&span, "peer.service").is_none());
        assert_eq!(str_attr(&span, "server.address"), Some("backend"));

        let mut z = base();
        z.remote_endpoint = Some(Endpoint {
            ipv6: "2001:db8::c001".parse::<Ipv6Addr>().unwrap().octets().to_vec(),
            port: 7978,
            ..Default::default()
        });
        let span = one(z);
        assert_eq!(str_attr(&span, "network.peer.address"), Some("2001:db8::c001"));
        assert!(get(&span, "peer.service").is_none());
    }

    #[test]
    fn local_endpoint_address_and_port() {
        let mut z = base();
        z.local_endpoint = Some(Endpoint {
            service_name: "pusher".into(),
            ipv4: vec![10, 6, 83, 20],
            ipv6: vec![],
            port: 8197,
        });
        let span = one(z);
        assert_eq!(str_attr(&span, ATTR_LOCAL_ADDRESS), Some("10.6.83.20"));
        assert_eq!(get(&span, ATTR_LOCAL_PORT), Some(&Value::IntValue(8197)));
    }

    #[test]
    fn debug_shared_tracestate_dropped_and_links() {
        let mut z = base();
        z.debug = true;
        z.shared = true;
        z.tags = vec![
            t("w3c.tracestate", "rojo=1"),
            t("otel.dropped_attributes_count", "2"),
            t("otel.dropped_events_count", "nope"),
            t("otel.dropped_links_count", "4"),
            t(
                "otlp.link.0",
                r#"0102030405060708090a0b0c0d0e0f10|0101010101010101|a=b|{"k":"v|w"}|1"#,
            ),
            t("otlp.link.1", "garbage"),
        ];
        let span = one(z);
        assert_eq!(get(&span, ATTR_DEBUG), Some(&Value::BoolValue(true)));
        assert_eq!(get(&span, ATTR_SHARED), Some(&Value::BoolValue(true)));
        assert_eq!(span.trace_state, "rojo=1");
        assert_eq!(
            (span.dropped_attributes_count, span.dropped_events_count, span.dropped_links_count),
            (2, 0, 4)
        );
        assert_eq!(str_attr(&span, "otel.dropped_events_count"), Some("nope"));
        assert_eq!(span.links.len(), 1);
        let l = &span.links[0];
        assert_eq!(l.trace_id, (1..=16).collect::<Vec<u8>>());
        assert_eq!(l.span_id, vec![1; 8]);
        assert_eq!(l.trace_state, "a=b");
        assert_eq!(attr::get_str(&l.attributes, "k"), Some("v|w"));
        assert_eq!(l.dropped_attributes_count, 1);
        assert_eq!(str_attr(&span, "otlp.link.1"), Some("garbage"));
    }

    #[test]
    fn bad_spans_are_rejected_with_item_names() {
        let mut bad_trace = base();
        bad_trace.trace_id = vec![1; 5];
        let mut zero_id = base();
        zero_id.id = vec![0; 8];
        let mut huge = base();
        huge.timestamp = u64::MAX / 10;
        let (req, rejected) =
            spans_to_otlp_with(vec![bad_trace, base(), zero_id, huge], &|i| format!("$[{i}]"));
        assert_eq!(crate::otlp::span_count(&req), 1);
        let items: Vec<_> = rejected.iter().map(|r| r.item.as_str()).collect();
        assert_eq!(
            items,
            [
                "$[0] (span id 0a0a0a0a0a0a0a0a)",
                "$[2] (span id 0000000000000000)",
                "$[3] (span id 0a0a0a0a0a0a0a0a)"
            ]
        );
        assert!(rejected[0].reason.contains("trace id"));
    }

    #[test]
    fn event_attributes_written_directly_match_the_owned_route() {
        let values = [
            r#"{"e":{"a":"x","b":1,"c":true,"d":null,"f":1.5,"g":18446744073709551615,"h":-3}}"#,
            r#"{"e":{"a":1,"b":2,"a":3}}"#,
            r#"{"e":{"a":1},"e":{"b":"two"}}"#,
            r#"{"e":{"a":1},"f":{"b":2}}"#,
            r#"{"e":{"a":{"n":[1,{"m":null}]},"b":"c"}}"#,
            r#"{"e":{"esc\"key":"v","k":"esc\nvalue"}}"#,
            r#"{"e":{}}"#,
            r#"{"e":[1]}"#,
            r#"  {"e" : { "a" : "x" } }  "#,
            r#""java":{"k":"v","k":"w"}"#,
            r#"coll|{"k":"v","n":2}|3"#,
            r#"coll|{"k":{"x":1}}|0"#,
            r#"coll|{"k":1} x|0"#,
            "{not json",
            r#"{"":{"":""}}"#,
            "caf\u{e9}|{\"\u{e9}\":\"\u{e9}\"}|1",
        ];
        for value in values {
            let mut z = base();
            z.annotations = vec![Annotation { timestamp: 5, value: value.into() }];
            // JSON hands the mapping unescaped (owned) text, protobuf borrowed text.
            for (format, input) in [
                (
                    crate::Format::ZipkinJson,
                    crate::zipkin::v2_json::encode(std::slice::from_ref(&z)),
                ),
                (crate::Format::ZipkinProto, crate::zipkin::v2_proto::encode(vec![z.clone()])),
            ] {
                let direct = crate::transcode(format, crate::Format::OtlpProto, &input).unwrap();
                let owned = crate::decode_traces(format, &input).unwrap();
                assert_eq!(owned.requests.len(), 1, "{value}");
                let expected = crate::otlp::wire::encode_request(&owned.requests[0]);
                assert_eq!(direct.bytes, expected, "{format:?} {value}");
                assert!(!direct.bytes.is_empty());
            }
        }
    }

    #[test]
    fn every_protocol_tag_passes_the_first_byte_filter() {
        for tag in [
            TAG_STATUS_CODE,
            TAG_STATUS_DESCRIPTION,
            TAG_ERROR,
            TAG_SPAN_KIND,
            TAG_SCOPE_NAME,
            TAG_SCOPE_VERSION,
            TAG_LIBRARY_NAME,
            TAG_LIBRARY_VERSION,
            TAG_TRACE_STATE,
            TAG_DROPPED_ATTRIBUTES,
            TAG_DROPPED_EVENTS,
            TAG_DROPPED_LINKS,
            TAG_LINK_PREFIX,
        ] {
            assert!(matches!(tag.as_bytes()[0], b'o' | b'e' | b's' | b'w'), "{tag}");
        }
    }
}
