//! Zipkin → OTLP: the one mapping from the `zipkin.proto3` model to OTLP spans.
//!
//! The reverse of [`super::from_otlp`]: every Zipkin codec (v2 JSON, proto3, v1) decodes into
//! [`model::Span`]s and hands them here. Rules and their spec references are listed in
//! `docs/mappings/traces.md`.

use super::from_otlp::{
    derive, endpoint_key, Derived, Lookup, LOCAL_SOCKETS, REMOTE_NAME_RANK, REMOTE_SOCKETS,
};
use super::model::{self, Endpoint, Kind, Tag};
use super::*;
use crate::ids;
use crate::otlp::attributes as attr;
use crate::otlp::grouping::TracesBuilder;
use crate::otlp::model::{
    any_value::Value, span::Event, span::Link, span::SpanKind, status::StatusCode, AnyValue,
    ArrayValue, InstrumentationScope, KeyValue, KeyValueList, Resource, Span, Status,
    SPAN_FLAGS_SAMPLED,
};
use crate::Rejection;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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
    let mut groups: Vec<Group> = Vec::new();
    let mut rejected = Vec::new();
    for (i, span) in spans.into_iter().enumerate() {
        // Kept for the rejection message; a copy on the stack, not a clone on the heap.
        let mut id = [0u8; 8];
        let id_len = span.id.len().min(8);
        id[..id_len].copy_from_slice(&span.id[..id_len]);
        match span_to_otlp(span) {
            Ok((key, otlp)) => {
                // Consecutive spans mostly share service and scope: look from the back.
                match groups.iter().rposition(|g| g.key == key) {
                    Some(p) => groups[p].spans.push(otlp),
                    None => groups.push(Group { key, spans: vec![otlp] }),
                }
            }
            Err(reason) => {
                let mut name = item(i);
                if id_len > 0 {
                    name.push_str(&format!(" (span id {})", ids::to_hex(&id[..id_len])));
                }
                rejected.push(Rejection::new(name, reason));
            }
        }
    }
    let mut builder = TracesBuilder::new();
    for g in groups {
        let mut resource = Resource::default();
        if let Some(service) = g.key.service {
            resource.attributes.push(attr::string(ATTR_SERVICE_NAME, service));
        }
        let scope = InstrumentationScope {
            name: g.key.scope_name,
            version: g.key.scope_version,
            ..Default::default()
        };
        builder.push_many(resource, scope, g.spans);
    }
    (builder.finish(), rejected)
}

#[derive(PartialEq)]
struct GroupKey {
    service: Option<String>,
    scope_name: String,
    scope_version: String,
}

struct Group {
    key: GroupKey,
    spans: Vec<Span>,
}

fn parse_status_code(v: &str) -> Option<StatusCode> {
    match v {
        "OK" | "Ok" | "STATUS_CODE_OK" => Some(StatusCode::Ok),
        "ERROR" | "Error" | "STATUS_CODE_ERROR" => Some(StatusCode::Error),
        _ => None,
    }
}

fn parse_span_kind(v: &str) -> Option<SpanKind> {
    match v.to_ascii_lowercase().as_str() {
        "client" => Some(SpanKind::Client),
        "server" => Some(SpanKind::Server),
        "producer" => Some(SpanKind::Producer),
        "consumer" => Some(SpanKind::Consumer),
        "internal" => Some(SpanKind::Internal),
        _ => None,
    }
}

fn ip_of(ep: &Endpoint) -> Option<IpAddr> {
    if let Ok(b) = <[u8; 16]>::try_from(ep.ipv6.as_slice()) {
        return Some(IpAddr::V6(Ipv6Addr::from(b)));
    }
    <[u8; 4]>::try_from(ep.ipv4.as_slice()).ok().map(|b| IpAddr::V4(Ipv4Addr::from(b)))
}

fn port_of(ep: &Endpoint) -> Option<u16> {
    u16::try_from(ep.port).ok().filter(|p| *p != 0)
}

fn tag_lookup<'a>(tags: &'a [Tag]) -> impl Fn(&str) -> Option<Lookup<'a>> + 'a {
    move |key| tags.iter().find(|t| t.key == key).map(|t| Lookup::Str(&t.value))
}

/// Adds the attributes that carry an endpoint, unless [`from_otlp`](super::from_otlp)'s rules
/// would already find the same value in the span's own tags (then adding one would duplicate
/// it, and the round trip would not give the same span back). An explicit tag always wins.
fn endpoint_attributes(
    ep: &Endpoint,
    derived: &Derived<'_>,
    has: &dyn Fn(&str) -> bool,
    keys: (Option<&str>, &str, &str),
    attrs: &mut Vec<KeyValue>,
) {
    let (service_key, addr_key, port_key) = keys;
    if let Some(service_key) = service_key {
        if !ep.service_name.is_empty()
            && derived.service.map(|(_, s)| s) != Some(ep.service_name.as_str())
            && !has(service_key)
        {
            attrs.push(attr::string(service_key, ep.service_name.clone()));
        }
    }
    let mut added_ip = false;
    if let Some(ip) = ip_of(ep) {
        if derived.ip.map(|(_, i)| i) != Some(ip) && !has(addr_key) {
            attrs.push(attr::string(addr_key, ip.to_string()));
            added_ip = true;
        }
    }
    if let Some(port) = port_of(ep) {
        let seen = derived.port.map(|(_, p)| p) == Some(port);
        if (added_ip || !seen) && !has(port_key) {
            attrs.push(attr::int(port_key, i64::from(port)));
        }
    }
}

/// One Zipkin span as an OTLP span with its group (service and scope).
fn span_to_otlp(mut span: model::Span) -> Result<(GroupKey, Span), String> {
    let trace_id = match span.trace_id.len() {
        // Reuse the buffer when it already has OTLP's 16 bytes.
        16 => std::mem::take(&mut span.trace_id),
        _ => ids::widen_trace_id(&span.trace_id)
            .ok_or_else(|| format!("trace id must be 8 or 16 bytes, got {}", span.trace_id.len()))?
            .to_vec(),
    };
    if ids::is_zero(&trace_id) {
        return Err("trace id is all zeros".into());
    }
    if span.id.len() != 8 {
        return Err(format!("span id must be 8 bytes, got {}", span.id.len()));
    }
    if ids::is_zero(&span.id) {
        return Err("span id is all zeros".into());
    }
    let parent_span_id = match span.parent_id.len() {
        0 => Vec::new(),
        // A parent equal to the span itself (seen in the wild) means "no parent".
        8 if ids::is_zero(&span.parent_id) || span.parent_id == span.id => Vec::new(),
        8 => span.parent_id,
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
    let relevant = span.tags.iter().any(|t| endpoint_key(&t.key));
    let remote_derived = if relevant && span.remote_endpoint.is_some() {
        derive(tag_lookup(&span.tags), &REMOTE_NAME_RANK, &REMOTE_SOCKETS)
    } else {
        Derived::default()
    };
    let local_derived = if relevant && span.local_endpoint.is_some() {
        derive(tag_lookup(&span.tags), &[], &LOCAL_SOCKETS)
    } else {
        Derived::default()
    };
    let mut endpoint_attrs = Vec::new();
    {
        let has = |key: &str| span.tags.iter().any(|t| t.key == key);
        if let Some(ep) = &span.local_endpoint {
            endpoint_attributes(
                ep,
                &local_derived,
                &has,
                (None, ATTR_LOCAL_ADDRESS, ATTR_LOCAL_PORT),
                &mut endpoint_attrs,
            );
        }
        if let Some(ep) = &span.remote_endpoint {
            endpoint_attributes(
                ep,
                &remote_derived,
                &has,
                (Some(ATTR_PEER_SERVICE), ATTR_PEER_ADDRESS, ATTR_PEER_PORT),
                &mut endpoint_attrs,
            );
        }
    }

    let mut attributes = Vec::with_capacity(span.tags.len() + endpoint_attrs.len() + 2);
    let mut status_code = None;
    let mut status_description = None;
    let mut error = None;
    let mut kind_tag = None;
    let (mut scope_name, mut scope_version, mut lib_name, mut lib_version) =
        (None, None, None, None);
    let mut trace_state = String::new();
    let (mut dropped_attrs, mut dropped_events, mut dropped_links) = (0, 0, 0);
    let mut links = Vec::new();
    for Tag { key, value } in span.tags {
        match key.as_str() {
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
                    Err(_) => attributes.push(attr::string(key, value)),
                }
            }
            k if k.starts_with(TAG_LINK_PREFIX) => match parse_link(&value) {
                Some(link) => links
                    .push((k[TAG_LINK_PREFIX.len()..].parse::<u32>().unwrap_or(u32::MAX), link)),
                None => attributes.push(attr::string(key, value)),
            },
            _ => attributes.push(attr::string(key, value)),
        }
    }
    links.sort_by_key(|(n, _)| *n);

    // Status (spec "Status", reversed): a present `error` tag marks a failure and carries the
    // message (unless `otel.status_description` is given); `otel.status_code` is read in every
    // spelling met in the wild. A boolean-false `error` is dropped, as the spec asks.
    let code = status_code.as_deref().and_then(parse_status_code);
    let mut status = None;
    match error {
        Some(e) if e != "false" => {
            let message = status_description.take().unwrap_or(e);
            status = Some(Status { code: StatusCode::Error as i32, message });
        }
        _ => match code {
            Some(StatusCode::Error) => {
                let message = status_description.take().unwrap_or_default();
                status = Some(Status { code: StatusCode::Error as i32, message });
            }
            Some(_) => {
                status = Some(Status { code: StatusCode::Ok as i32, message: String::new() })
            }
            None => {}
        },
    }
    if code.is_none() {
        if let Some(v) = status_code {
            attributes.push(attr::string(TAG_STATUS_CODE, v));
        }
    }
    if let Some(v) = status_description {
        // Only meaningful with ERROR; kept as an attribute rather than lost.
        attributes.push(attr::string(TAG_STATUS_DESCRIPTION, v));
    }

    // Kind: Zipkin's own field; else the OpenTracing `span.kind` tag; else INTERNAL, which is
    // what an absent Zipkin kind means ("a local span").
    let kind_from_tag = kind_tag.as_deref().and_then(parse_span_kind);
    if kind_from_tag.is_none() {
        if let Some(v) = kind_tag {
            attributes.push(attr::string(TAG_SPAN_KIND, v));
        }
    }
    let kind = match Kind::try_from(span.kind) {
        Ok(Kind::Client) => SpanKind::Client,
        Ok(Kind::Server) => SpanKind::Server,
        Ok(Kind::Producer) => SpanKind::Producer,
        Ok(Kind::Consumer) => SpanKind::Consumer,
        _ => kind_from_tag.unwrap_or(SpanKind::Internal),
    };

    attributes.extend(endpoint_attrs);
    if span.debug {
        attributes.push(attr::bool(ATTR_DEBUG, true));
    }
    if span.shared {
        attributes.push(attr::bool(ATTR_SHARED, true));
    }

    let mut events = Vec::with_capacity(span.annotations.len());
    for a in span.annotations {
        let time_unix_nano = a
            .timestamp
            .checked_mul(1000)
            .ok_or_else(|| format!("annotation timestamp {} µs is out of range", a.timestamp))?;
        let (name, attributes) = match parse_event(&a.value) {
            Some(parsed) => parsed,
            None => (a.value, Vec::new()),
        };
        events.push(Event { time_unix_nano, name, attributes, dropped_attributes_count: 0 });
    }

    let service = span.local_endpoint.map(|ep| ep.service_name).filter(|s| !s.is_empty());
    let key = GroupKey {
        service,
        scope_name: scope_name.or(lib_name).unwrap_or_default(),
        scope_version: scope_version.or(lib_version).unwrap_or_default(),
    };
    let otlp = Span {
        trace_id,
        span_id: span.id,
        trace_state,
        parent_span_id,
        // Spans reported to Zipkin were sampled (project decision).
        flags: SPAN_FLAGS_SAMPLED,
        name: span.name,
        kind: kind as i32,
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

/// Reads an annotation in the spec's event form, `{"<name>":{<attributes>}}` (or the
/// `"<name>":{<attributes>}` the OpenTelemetry Java exporter writes), into the event name and
/// its typed attributes. Other values are plain event names (`None`).
fn parse_event(value: &str) -> Option<(String, Vec<KeyValue>)> {
    let v = value.trim();
    let parsed = if v.starts_with('{') && v.ends_with('}') {
        serde_json::from_str::<JsonAny>(v).ok()?
    } else if v.starts_with('"') && v.ends_with('}') {
        serde_json::from_str::<JsonAny>(&format!("{{{v}}}")).ok()?
    } else {
        return None;
    };
    match parsed.0.value {
        Some(Value::KvlistValue(mut outer)) if outer.values.len() == 1 => {
            let kv = outer.values.pop()?;
            match kv.value?.value? {
                Value::KvlistValue(inner) => Some((kv.key, inner.values)),
                _ => None,
            }
        }
        _ => None,
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
    let attributes = match serde_json::from_str::<JsonAny>(json).ok()?.0.value {
        Some(Value::KvlistValue(kv)) => kv.values,
        _ => return None,
    };
    Some(Link {
        trace_id: trace_id.to_vec(),
        span_id: span_id.to_vec(),
        trace_state: trace_state.to_string(),
        attributes,
        dropped_attributes_count: dropped.parse().ok()?,
        flags: 0,
    })
}

/// A JSON value read straight into an OTLP value, keeping object key order: integers →
/// int (or double when beyond i64), other numbers → double, bools, strings, arrays, objects →
/// key/value lists, null → empty value.
struct JsonAny(AnyValue);

impl<'de> Deserialize<'de> for JsonAny {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonAnyVisitor)
    }
}

struct JsonAnyVisitor;

fn any(v: Value) -> JsonAny {
    JsonAny(AnyValue { value: Some(v) })
}

impl<'de> Visitor<'de> for JsonAnyVisitor {
    type Value = JsonAny;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<JsonAny, E> {
        Ok(any(Value::BoolValue(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<JsonAny, E> {
        Ok(any(Value::IntValue(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<JsonAny, E> {
        Ok(any(match i64::try_from(v) {
            Ok(i) => Value::IntValue(i),
            Err(_) => Value::DoubleValue(v as f64),
        }))
    }
    fn visit_f64<E>(self, v: f64) -> Result<JsonAny, E> {
        Ok(any(Value::DoubleValue(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<JsonAny, E> {
        Ok(any(Value::StringValue(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<JsonAny, E> {
        Ok(any(Value::StringValue(v)))
    }
    fn visit_unit<E>(self) -> Result<JsonAny, E> {
        Ok(JsonAny(AnyValue { value: None }))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonAny, A::Error> {
        let mut values = Vec::new();
        while let Some(JsonAny(v)) = seq.next_element()? {
            values.push(v);
        }
        Ok(any(Value::ArrayValue(ArrayValue { values })))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonAny, A::Error> {
        let mut values: Vec<KeyValue> = Vec::new();
        while let Some((key, JsonAny(v))) = map.next_entry::<String, JsonAny>()? {
            // A repeated key keeps its last value, as JSON readers do.
            values.retain(|kv| kv.key != key);
            values.push(KeyValue { key, value: Some(v) });
        }
        Ok(any(Value::KvlistValue(KeyValueList { values })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::grouping;
    use model::Annotation;

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
}
