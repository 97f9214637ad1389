//! OTLP → Zipkin: the one mapping from OTLP spans to Zipkin spans ([`ZipkinSpan`]).
//!
//! The mapping reads spans through [`SpanIn`], which borrows from either OTLP form: the owned
//! model ([`map_request`], for [`crate::encode_traces`]) or protobuf bytes read in place
//! ([`super::fast`], for [`crate::transcode`]). Every Zipkin writer takes its output.
//!
//! Rules (OpenTelemetry spec `trace/sdk_exporters/zipkin.md` and `common/mapping-to-non-otlp.md`
//! first, the Collector's `zipkinv2` translator where the spec is silent) are listed in
//! `docs/mappings/traces.md`. The endpoint rules here are shared with [`super::to_otlp`], which
//! applies their inverse, so that Zipkin → OTLP → Zipkin gives the same spans back.

use super::model::{self, Kind};
use super::span::{EndpointView, Id, ZipkinSpan};
use super::*;
use crate::ids;
use crate::otlp::attributes::to_tag_string;
use crate::otlp::conventions::status_code_name;
use crate::otlp::json::writer;
use crate::otlp::model::{any_value::Value, span::SpanKind, status::StatusCode, KeyValue};
use crate::otlp::model::{ExportTraceServiceRequest, Span};
use crate::otlp::validity::{check_span_ids, span_item};
use crate::otlp::wire::{AnyValueView, ArrayView};
use crate::Rejection;
use std::borrow::Cow;
use std::net::IpAddr;

/// Every attribute key the endpoint rules read; the rules below name them by index, so that
/// one pass over a span's attributes ([`EndpointAttrs`]) finds every candidate.
pub(crate) const ENDPOINT_KEYS: [&str; 20] = [
    ATTR_PEER_SERVICE,
    "server.address",
    "net.peer.name",
    ATTR_PEER_ADDRESS,
    "server.socket.domain",
    "server.socket.address",
    "net.sock.peer.name",
    "net.sock.peer.addr",
    "peer.hostname",
    "peer.address",
    "db.name",
    ATTR_PEER_PORT,
    "server.socket.port",
    "net.sock.peer.port",
    "net.peer.ip",
    "net.peer.port",
    ATTR_LOCAL_ADDRESS,
    ATTR_LOCAL_PORT,
    "net.host.ip",
    "net.host.port",
];

/// Attributes that may name the remote service, best first (spec: "Remote endpoint", ranking
/// table), as indices into [`ENDPOINT_KEYS`]. A value that is an IP literal is not used as a
/// name (except `peer.service`): it goes into `ipv4`/`ipv6` instead, which is where Zipkin
/// keeps addresses.
pub(crate) const REMOTE_NAME_RANK: [u8; 11] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/// Address/port attribute pairs for `remoteEndpoint.ipv4/ipv6/port`, best first: the spec's
/// socket pairs (`network.peer.*`, `server.socket.*`, `net.sock.peer.*`), then the
/// Collector's legacy `net.peer.ip`/`net.peer.port`. Indices into [`ENDPOINT_KEYS`].
pub(crate) const REMOTE_SOCKETS: [(u8, u8); 4] = [(3, 11), (5, 12), (7, 13), (14, 15)];

/// Address/port attribute pairs for `localEndpoint.ipv4/ipv6/port`: current semantic
/// conventions (`network.local.*`), then the Collector's legacy `net.host.ip`/`net.host.port`.
pub(crate) const LOCAL_SOCKETS: [(u8, u8); 2] = [(16, 17), (18, 19)];

/// The endpoint candidates among a span's attributes (or tags), gathered in one pass: for
/// each of [`ENDPOINT_KEYS`], the value of its first occurrence.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct EndpointAttrs<'a> {
    seen: u32,
    values: [Option<Lookup<'a>>; ENDPOINT_KEYS.len()],
}

impl<'a> EndpointAttrs<'a> {
    /// Looks at one attribute; `value` is only asked for a candidate's first occurrence.
    #[inline]
    pub fn offer(&mut self, key: &str, value: impl FnOnce() -> Option<Lookup<'a>>) {
        if !endpoint_key(key) {
            return;
        }
        if let Some(i) = ENDPOINT_KEYS.iter().position(|k| *k == key) {
            if self.seen & (1 << i) == 0 {
                self.seen |= 1 << i;
                self.values[i] = value();
            }
        }
    }

    /// True when any candidate was seen.
    pub fn any(&self) -> bool {
        self.seen != 0
    }

    /// True when `key` (one of [`ENDPOINT_KEYS`]) was seen.
    pub fn has(&self, key: &str) -> bool {
        ENDPOINT_KEYS.iter().position(|k| *k == key).is_some_and(|i| self.seen & (1 << i) != 0)
    }

    /// The candidates without the keys at `indices`.
    fn without(&self, indices: &[u8]) -> Self {
        let mut rest = *self;
        for &i in indices {
            rest.seen &= !(1 << i);
            if let Some(v) = rest.values.get_mut(usize::from(i)) {
                *v = None;
            }
        }
        rest
    }

    fn get(&self, i: u8) -> Option<Lookup<'a>> {
        self.values.get(usize::from(i)).copied().flatten()
    }
}

/// An attribute value as the endpoint rules read it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Lookup<'a> {
    /// A string value (the only kind Zipkin tags have).
    Str(&'a str),
    /// An integer value (OTLP ports).
    Int(i64),
}

/// An endpoint worked out from attributes, with the keys it came from.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Derived<'a> {
    /// Service name and the attribute it came from.
    pub service: Option<(&'static str, &'a str)>,
    /// Address and the attribute it came from.
    pub ip: Option<(&'static str, IpAddr)>,
    /// Port and the attribute it came from.
    pub port: Option<(&'static str, u16)>,
}

/// True when `key` could take part in an endpoint rule (a cheap filter before the lookups).
#[inline]
fn endpoint_key(key: &str) -> bool {
    key.starts_with("peer.")
        || key.starts_with("net")
        || key.starts_with("server.")
        || key == "db.name"
}

fn lookup_port(v: Lookup<'_>) -> Option<u16> {
    match v {
        Lookup::Int(i) => u16::try_from(i).ok().filter(|p| *p != 0),
        Lookup::Str(s) => s.parse::<u16>().ok().filter(|p| *p != 0),
    }
}

fn lookup_ip(v: Lookup<'_>) -> Option<IpAddr> {
    match v {
        Lookup::Str(s) => ip_literal(s),
        Lookup::Int(_) => None,
    }
}

/// `s` as an IP address literal. Host names (most peer values) are told apart by their
/// letters before the parser runs: an address holds only hex digits, `:` and `.`.
#[inline]
fn ip_literal(s: &str) -> Option<IpAddr> {
    if !s.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
        return None;
    }
    s.parse().ok()
}

/// Applies the endpoint rules: the service name by `rank` (empty `rank` for the local side),
/// the address from the first socket pair holding an IP literal (with that pair's port), and
/// otherwise the first port found.
pub(crate) fn derive<'a>(
    attrs: &EndpointAttrs<'a>,
    rank: &[u8],
    sockets: &[(u8, u8)],
) -> Derived<'a> {
    let mut d = Derived::default();
    if !attrs.any() {
        return d;
    }
    let name = |i: u8| ENDPOINT_KEYS[usize::from(i)];
    for &key in rank {
        if let Some(Lookup::Str(s)) = attrs.get(key) {
            if !s.is_empty() && (key == 0 || ip_literal(s).is_none()) {
                d.service = Some((name(key), s));
                break;
            }
        }
    }
    for &(addr, port) in sockets {
        if let Some(ip) = attrs.get(addr).and_then(lookup_ip) {
            d.ip = Some((name(addr), ip));
            d.port = attrs.get(port).and_then(lookup_port).map(|p| (name(port), p));
            break;
        }
    }
    if d.port.is_none() {
        d.port = sockets
            .iter()
            .find_map(|&(_, port)| attrs.get(port).and_then(lookup_port).map(|p| (name(port), p)));
    }
    d
}

fn is_true(v: &ValueIn<'_>) -> bool {
    matches!(v, ValueIn::Bool(true) | ValueIn::Str("true"))
}

fn is_false(v: &ValueIn<'_>) -> bool {
    matches!(v, ValueIn::Bool(false) | ValueIn::Str("false"))
}

/// An OTLP attribute value as the mapping reads it, borrowed from whichever OTLP form the
/// span came in (the owned model, or protobuf bytes read in place).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ValueIn<'a> {
    /// No value.
    None,
    /// A string.
    Str(&'a str),
    /// A bool.
    Bool(bool),
    /// An int.
    Int(i64),
    /// A double.
    Double(f64),
    /// An array read in place from OTLP protobuf (the direct route).
    Array(WireArray<'a>),
    /// Bytes, arrays and key/value lists (rare on the hot paths), as the owned model.
    Other(Cow<'a, Value>),
}

/// An array value read in place from OTLP protobuf, written as JSON straight from the bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WireArray<'a>(pub ArrayView<'a>);

impl PartialEq for WireArray<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.values().map(|v| v.to_model()).eq(other.0.values().map(|v| v.to_model()))
    }
}

/// Writes a wire array as JSON: elements as [`write_any`] writes them, except that key/value
/// lists are written as `otlp::attributes::to_json` prints them (keys sorted) when `sorted`
/// (the tag text form) and in order otherwise (the event/link attribute form).
fn write_wire_array(out: &mut Vec<u8>, array: &ArrayView<'_>, sorted: bool) {
    out.push(b'[');
    for (n, v) in array.values().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        match v {
            AnyValueView::Empty => out.extend_from_slice(b"null"),
            AnyValueView::String(s) => writer::string(out, s),
            AnyValueView::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            AnyValueView::Int(i) => writer::int(out, i),
            AnyValueView::Array(a) => write_wire_array(out, &a, sorted),
            AnyValueView::KvList(_) if sorted => {
                let model = v.to_model();
                let json = crate::otlp::attributes::to_json(model.value.as_ref());
                out.extend_from_slice(json.to_string().as_bytes());
            }
            other => write_any(out, other.to_model().value.as_ref()),
        }
    }
    out.push(b']');
}

impl<'a> ValueIn<'a> {
    /// A view of a model value.
    pub fn of(v: Option<&'a Value>) -> Self {
        match v {
            None => ValueIn::None,
            Some(Value::StringValue(s)) => ValueIn::Str(s),
            Some(Value::BoolValue(b)) => ValueIn::Bool(*b),
            Some(Value::IntValue(i)) => ValueIn::Int(*i),
            Some(Value::DoubleValue(d)) => ValueIn::Double(*d),
            Some(other) => ValueIn::Other(Cow::Borrowed(other)),
        }
    }

    /// The value as tag text (`otlp::attributes::to_tag_string`), borrowing strings.
    fn tag_text(&self) -> Cow<'a, str> {
        match self {
            ValueIn::Str(s) => Cow::Borrowed(s),
            ValueIn::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            ValueIn::Int(i) => {
                let mut text = Vec::with_capacity(20);
                writer::int(&mut text, *i);
                Cow::Owned(String::from_utf8(text).unwrap_or_default())
            }
            ValueIn::Double(d) => Cow::Owned(to_tag_string(Some(&Value::DoubleValue(*d)))),
            ValueIn::None => Cow::Owned(to_tag_string(None)),
            ValueIn::Array(a) => {
                let mut out = Vec::with_capacity(64);
                write_wire_array(&mut out, &a.0, true);
                Cow::Owned(String::from_utf8(out).unwrap_or_default())
            }
            ValueIn::Other(v) => Cow::Owned(to_tag_string(Some(v))),
        }
    }

    fn lookup(&self) -> Option<Lookup<'a>> {
        match self {
            ValueIn::Str(s) => Some(Lookup::Str(s)),
            ValueIn::Int(i) => Some(Lookup::Int(*i)),
            _ => None,
        }
    }

    /// Writes the value as JSON: integers stay integers and doubles keep a fraction or
    /// exponent, so that [`super::to_otlp`] reads the same types back.
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            ValueIn::None => out.extend_from_slice(b"null"),
            ValueIn::Str(s) => writer::string(out, s),
            ValueIn::Bool(b) => write_any(out, Some(&Value::BoolValue(*b))),
            ValueIn::Int(i) => write_any(out, Some(&Value::IntValue(*i))),
            ValueIn::Double(d) => write_any(out, Some(&Value::DoubleValue(*d))),
            ValueIn::Array(a) => write_wire_array(out, &a.0, false),
            ValueIn::Other(v) => write_any(out, Some(v)),
        }
    }
}

/// Attributes in order.
pub(crate) type AttrsIn<'a> = Vec<(&'a str, ValueIn<'a>)>;

fn attrs_of(kvs: &[KeyValue]) -> AttrsIn<'_> {
    kvs.iter().map(|kv| (kv.key.as_str(), ValueIn::of(value_of(kv)))).collect()
}

/// An OTLP event as the mapping reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EventIn<'a> {
    /// ns.
    pub time_unix_nano: u64,
    /// Name.
    pub name: &'a str,
    /// Attributes.
    pub attributes: AttrsIn<'a>,
}

/// An OTLP link as the mapping reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinkIn<'a> {
    /// Trace id (16 bytes when valid).
    pub trace_id: &'a [u8],
    /// Span id (8 bytes when valid).
    pub span_id: &'a [u8],
    /// Trace state.
    pub trace_state: &'a str,
    /// Attributes.
    pub attributes: AttrsIn<'a>,
    /// Dropped attributes count.
    pub dropped_attributes_count: u32,
}

/// An OTLP span as the mapping reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SpanIn<'a> {
    /// Trace id.
    pub trace_id: &'a [u8],
    /// Span id.
    pub span_id: &'a [u8],
    /// Parent span id.
    pub parent_span_id: &'a [u8],
    /// Trace state.
    pub trace_state: &'a str,
    /// Name.
    pub name: &'a str,
    /// `SpanKind` number.
    pub kind: i32,
    /// ns.
    pub start_time_unix_nano: u64,
    /// ns.
    pub end_time_unix_nano: u64,
    /// Attributes.
    pub attributes: AttrsIn<'a>,
    /// Dropped attributes count.
    pub dropped_attributes_count: u32,
    /// Events.
    pub events: Vec<EventIn<'a>>,
    /// Dropped events count.
    pub dropped_events_count: u32,
    /// Links.
    pub links: Vec<LinkIn<'a>>,
    /// Dropped links count.
    pub dropped_links_count: u32,
    /// Status code number and message, when the span has a status.
    pub status: Option<(i32, &'a str)>,
}

impl<'a> SpanIn<'a> {
    /// A view of a model span.
    pub fn of_prost(span: &'a Span) -> Self {
        SpanIn {
            trace_id: &span.trace_id,
            span_id: &span.span_id,
            parent_span_id: &span.parent_span_id,
            trace_state: &span.trace_state,
            name: &span.name,
            kind: span.kind,
            start_time_unix_nano: span.start_time_unix_nano,
            end_time_unix_nano: span.end_time_unix_nano,
            attributes: attrs_of(&span.attributes),
            dropped_attributes_count: span.dropped_attributes_count,
            events: span
                .events
                .iter()
                .map(|e| EventIn {
                    time_unix_nano: e.time_unix_nano,
                    name: &e.name,
                    attributes: attrs_of(&e.attributes),
                })
                .collect(),
            dropped_events_count: span.dropped_events_count,
            links: span
                .links
                .iter()
                .map(|l| LinkIn {
                    trace_id: &l.trace_id,
                    span_id: &l.span_id,
                    trace_state: &l.trace_state,
                    attributes: attrs_of(&l.attributes),
                    dropped_attributes_count: l.dropped_attributes_count,
                })
                .collect(),
            dropped_links_count: span.dropped_links_count,
            status: span.status.as_ref().map(|s| (s.code, s.message.as_str())),
        }
    }
}

/// Per-resource part of every span: `localEndpoint.serviceName` and the other resource
/// attributes, which become tags (as the Collector does; the spec leaves them open).
pub(crate) struct ResourceCtx<'a> {
    service: Cow<'a, str>,
    tags: Vec<(&'a str, Cow<'a, str>)>,
}

impl<'a> ResourceCtx<'a> {
    /// The context of a resource with these attributes.
    pub fn new(attributes: impl Iterator<Item = (&'a str, ValueIn<'a>)>) -> Self {
        let mut res = ResourceCtx { service: Cow::Borrowed(""), tags: Vec::new() };
        for (key, value) in attributes {
            let value = value.tag_text();
            if key == ATTR_SERVICE_NAME {
                res.service = value;
            } else {
                res.tags.push((key, value));
            }
        }
        res
    }
}

/// Per-scope part of every span: the scope tags and the scope attributes.
pub(crate) struct ScopeCtx<'a> {
    tags: Vec<(&'static str, &'a str)>,
    attrs: Vec<(&'a str, Cow<'a, str>)>,
    /// The tags every span of this scope ends with (scope attributes, then resource tags,
    /// first of a key wins), rendered once as JSON object members: their keys, and the text.
    json_tail: Option<(Vec<&'a str>, Vec<u8>)>,
}

impl<'a> ScopeCtx<'a> {
    /// The context of a scope.
    pub fn new(
        name: &'a str,
        version: &'a str,
        attributes: impl Iterator<Item = (&'a str, ValueIn<'a>)>,
    ) -> Self {
        // Scope → otel.scope.* plus the otel.library.* aliases the spec still requires;
        // scope attributes go to the span ("most suitable place", mapping-to-non-otlp).
        let mut scope = ScopeCtx { tags: Vec::new(), attrs: Vec::new(), json_tail: None };
        if !name.is_empty() {
            scope.tags.push((TAG_SCOPE_NAME, name));
            scope.tags.push((TAG_LIBRARY_NAME, name));
        }
        if !version.is_empty() {
            scope.tags.push((TAG_SCOPE_VERSION, version));
            scope.tags.push((TAG_LIBRARY_VERSION, version));
        }
        for (key, value) in attributes {
            scope.attrs.push((key, value.tag_text()));
        }
        scope
    }

    /// Renders the scope attributes and `res`'s tags once, for spans written as Zipkin JSON:
    /// [`map_span`] then leaves them out of `tags` (setting `rendered_tail`) whenever none of
    /// their keys is among the span's own tags, and [`super::v2_json::ListWriter::push`]
    /// appends [`Self::json_tail`] instead: the same output, each string escaped once per
    /// scope rather than once per span.
    pub fn render_json_tail(&mut self, res: &ResourceCtx<'a>) {
        let mut keys: Vec<&'a str> = Vec::new();
        let mut json = Vec::new();
        for (k, v) in self.attrs.iter().chain(&res.tags) {
            if keys.contains(k) {
                continue;
            }
            if !keys.is_empty() {
                json.push(b',');
            }
            keys.push(k);
            writer::string(&mut json, k);
            json.push(b':');
            writer::string(&mut json, v);
        }
        self.json_tail = Some((keys, json));
    }

    /// The JSON rendered by [`Self::render_json_tail`] (empty when not rendered).
    pub fn json_tail(&self) -> &[u8] {
        self.json_tail.as_ref().map_or(&[], |(_, json)| json)
    }
}

/// Every span of `request` as a Zipkin span; spans with an invalid id, or ending before they
/// start, are rejected with their OTLP/JSON path.
pub fn otlp_to_spans(request: &ExportTraceServiceRequest) -> (Vec<model::Span>, Vec<Rejection>) {
    let mut out = Vec::with_capacity(crate::otlp::span_count(request));
    let rejected = map_request(request, |v| out.push(v.to_model()));
    (out, rejected)
}

/// Maps every span of an owned request and hands each to `f`; returns the rejected ones.
pub(crate) fn map_request<'a>(
    request: &'a ExportTraceServiceRequest,
    mut f: impl FnMut(ZipkinSpan<'a>),
) -> Vec<Rejection> {
    let mut rejected = Vec::new();
    for (i, rs) in request.resource_spans.iter().enumerate() {
        let res = ResourceCtx::new(
            rs.resource
                .iter()
                .flat_map(|r| &r.attributes)
                .map(|kv| (kv.key.as_str(), ValueIn::of(value_of(kv)))),
        );
        for (j, ss) in rs.scope_spans.iter().enumerate() {
            let sc = ss.scope.as_ref();
            let scope = ScopeCtx::new(
                sc.map_or("", |s| s.name.as_str()),
                sc.map_or("", |s| s.version.as_str()),
                sc.into_iter()
                    .flat_map(|s| &s.attributes)
                    .map(|kv| (kv.key.as_str(), ValueIn::of(value_of(kv)))),
            );
            for (k, span) in ss.spans.iter().enumerate() {
                match map_span(&SpanIn::of_prost(span), &res, &scope, SpanBuffers::default()) {
                    Ok(v) => f(v),
                    Err(reason) => {
                        rejected.push(Rejection::new(span_item(i, j, k, &span.span_id), reason))
                    }
                }
            }
        }
    }
    rejected
}

/// Zipkin's 8-byte trace id when the high half is zero (as Zipkin normalises), else 16 bytes.
fn zipkin_trace_id(id: &[u8]) -> &[u8] {
    if ids::is_zero(&id[..8]) {
        &id[8..]
    } else {
        id
    }
}

/// Maps one OTLP span (of the resource and scope given) to a Zipkin span.
/// `reuse` holds vectors to build the span in (cleared first), e.g. those of the previous one.
pub(crate) fn map_span<'a>(
    span: &SpanIn<'a>,
    res: &ResourceCtx<'a>,
    scope: &ScopeCtx<'a>,
    reuse: SpanBuffers<'a>,
) -> Result<ZipkinSpan<'a>, String> {
    let SpanBuffers { tags, mut annotations } = reuse;
    check_span_ids(span.trace_id, span.span_id, span.parent_span_id)?;
    let parent_id: &[u8] = match span.parent_span_id.len() {
        0 => &[],
        8 if ids::is_zero(span.parent_span_id) => &[],
        _ => span.parent_span_id,
    };
    let (start, end) = (span.start_time_unix_nano, span.end_time_unix_nano);
    // End 0 with a start is "end before start" too, as on the Jaeger side.
    if end < start {
        return Err(format!("end time {end} is before start time {start}"));
    }
    // Spec "Unit of time": whole µs, truncated; a span that lasted less than 1 µs gets 1 µs
    // (as Zipkin's own reporters do) so that it is not taken for one without duration.
    let duration = if end == start { 0 } else { ((end - start) / 1000).max(1) };
    for link in &span.links {
        if link.trace_id.len() != 16 || link.span_id.len() != 8 {
            return Err(format!(
                "link ids must be 16 and 8 bytes, got {} and {}",
                link.trace_id.len(),
                link.span_id.len()
            ));
        }
    }

    let kind = match SpanKind::try_from(span.kind) {
        Ok(SpanKind::Client) => Kind::Client,
        Ok(SpanKind::Server) => Kind::Server,
        Ok(SpanKind::Producer) => Kind::Producer,
        Ok(SpanKind::Consumer) => Kind::Consumer,
        _ => Kind::Unspecified,
    };

    let attrs = &span.attributes;
    let mut candidates = EndpointAttrs::default();
    for (k, v) in attrs {
        candidates.offer(k, || v.lookup());
    }
    let relevant = candidates.any();
    let remote = derive(&candidates, &REMOTE_NAME_RANK, &REMOTE_SOCKETS);
    let local = derive(&candidates, &[], &LOCAL_SOCKETS);
    // Attributes that became endpoint fields and that the reverse mapping re-creates under the
    // same key leave the tags; the others stay (the reverse mapping sees them and adds nothing).
    // The reverse mapping re-creates one only when the tags left would not give the same value
    // (e.g. `peer.service` and `server.address` both "v": `peer.service` must stay).
    let rest = candidates.without(&[0, 3, 11, 16, 17]);
    let remote_rest = derive(&rest, &REMOTE_NAME_RANK, &REMOTE_SOCKETS);
    let local_rest = derive(&rest, &[], &LOCAL_SOCKETS);
    // What the reverse mapping re-creates: a field whose key is the one it writes, when the
    // tags left give another value; a port also whenever it re-creates the address.
    let remote_service = matches!(remote.service, Some((k, v)) if k == ATTR_PEER_SERVICE
        && remote_rest.service.map(|r| r.1) != Some(v));
    let remote_ip = matches!(remote.ip, Some((k, v)) if k == ATTR_PEER_ADDRESS
        && remote_rest.ip.map(|r| r.1) != Some(v));
    let remote_port = matches!(remote.port, Some((k, v)) if k == ATTR_PEER_PORT
        && (remote_ip || remote_rest.port.map(|r| r.1) != Some(v)));
    let local_ip = matches!(local.ip, Some((k, v)) if k == ATTR_LOCAL_ADDRESS
        && local_rest.ip.map(|r| r.1) != Some(v));
    let local_port = matches!(local.port, Some((k, v)) if k == ATTR_LOCAL_PORT
        && (local_ip || local_rest.port.map(|r| r.1) != Some(v)));
    let consumed = |key: &str| match key {
        ATTR_PEER_SERVICE => remote_service,
        ATTR_PEER_ADDRESS => remote_ip,
        ATTR_PEER_PORT => remote_port,
        ATTR_LOCAL_ADDRESS => local_ip,
        ATTR_LOCAL_PORT => local_port,
        _ => false,
    };

    let code = span.status.map(|s| s.0).unwrap_or(0);
    let is_error = code == StatusCode::Error as i32;

    let mut debug = false;
    let mut shared = false;
    let mut tags = TagList::new(tags);
    tags.tags.reserve(attrs.len() + res.tags.len() + scope.tags.len() + scope.attrs.len() + 4);
    for (key, value) in attrs {
        match *key {
            ATTR_DEBUG => debug = is_true(value),
            ATTR_SHARED => shared = is_true(value),
            // Spec "Status": `error` only for ERROR, and a boolean false version is removed.
            TAG_ERROR if is_error || is_false(value) => {}
            k if relevant && consumed(k) => {}
            _ => tags.push(Cow::Borrowed(*key), value.tag_text()),
        }
    }

    match StatusCode::try_from(code) {
        Ok(StatusCode::Error) => {
            tags.put(TAG_STATUS_CODE.into(), "ERROR".into());
            let msg = span.status.map(|s| s.1).unwrap_or_default();
            tags.put(TAG_ERROR.into(), msg.into());
        }
        Ok(c) => {
            if let Some(name) = status_code_name(c) {
                tags.put(TAG_STATUS_CODE.into(), name.into());
            }
        }
        Err(_) => {}
    }
    if !span.trace_state.is_empty() {
        tags.put(TAG_TRACE_STATE.into(), span.trace_state.into());
    }
    for (key, n) in [
        (TAG_DROPPED_ATTRIBUTES, span.dropped_attributes_count),
        (TAG_DROPPED_EVENTS, span.dropped_events_count),
        (TAG_DROPPED_LINKS, span.dropped_links_count),
    ] {
        if n != 0 {
            tags.put(key.into(), n.to_string().into());
        }
    }
    // Links with a zero id point nowhere and are skipped (as on the Jaeger side); the others
    // are numbered in order.
    let mut n = 0;
    for link in &span.links {
        if ids::is_zero(link.trace_id) || ids::is_zero(link.span_id) {
            continue;
        }
        tags.put(format!("{TAG_LINK_PREFIX}{n}").into(), link_tag_value(link).into());
        n += 1;
    }
    for &(k, v) in &scope.tags {
        tags.put(k.into(), v.into());
    }
    // Scope and resource attributes never override span attributes.
    let rendered_tail = match &scope.json_tail {
        Some((keys, _)) => !keys.iter().any(|k| tags.has(k)),
        None => false,
    };
    if !rendered_tail {
        for (k, v) in scope.attrs.iter().chain(&res.tags) {
            if !tags.has(k) {
                tags.push(Cow::Borrowed(k), v.clone());
            }
        }
    }

    let endpoint = |service_name: Cow<'a, str>, d: &Derived<'a>| {
        let mut ep = EndpointView { service_name, ..Default::default() };
        if let Some((_, ip)) = d.ip {
            ep.set_ip(ip);
        }
        ep.port = d.port.map(|(_, p)| p).unwrap_or(0);
        ep
    };
    let local = endpoint(res.service.clone(), &local);
    let remote = endpoint(Cow::Borrowed(remote.service.map(|(_, s)| s).unwrap_or("")), &remote);

    annotations.clear();
    annotations.extend(span.events.iter().map(|e| (e.time_unix_nano / 1000, event_value(e))));

    Ok(ZipkinSpan {
        trace_id: Id::new(zipkin_trace_id(span.trace_id)),
        parent_id: Id::new(parent_id),
        id: Id::new(span.span_id),
        kind,
        name: Cow::Borrowed(span.name),
        timestamp: start / 1000,
        duration,
        local,
        remote,
        annotations,
        tags: tags.tags,
        debug,
        shared,
        rendered_tail,
    })
}

/// Vectors a span is built in, handed from one span to the next by the direct route.
#[derive(Debug, Default)]
pub(crate) struct SpanBuffers<'a> {
    /// For the tags.
    pub tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// For the annotations.
    pub annotations: Vec<(u64, Cow<'a, str>)>,
}

impl<'a> SpanBuffers<'a> {
    /// Takes the vectors of a span that is done with.
    pub fn take(span: &mut ZipkinSpan<'a>) -> Self {
        SpanBuffers {
            tags: std::mem::take(&mut span.tags),
            annotations: std::mem::take(&mut span.annotations),
        }
    }
}

/// Tags being built, with a one-word filter of the keys present (one bit per hash of length
/// and last byte), so that most "is this key there yet" questions need no search.
struct TagList<'a> {
    tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    keys: u64,
}

impl<'a> TagList<'a> {
    fn new(mut tags: Vec<(Cow<'a, str>, Cow<'a, str>)>) -> Self {
        tags.clear();
        TagList { tags, keys: 0 }
    }

    fn bit(key: &str) -> u64 {
        let last = key.as_bytes().last().copied().unwrap_or(0);
        1 << ((key.len().wrapping_mul(31) ^ usize::from(last)) & 63)
    }

    /// Adds a tag (whether or not the key is there).
    fn push(&mut self, key: Cow<'a, str>, value: Cow<'a, str>) {
        self.keys |= Self::bit(&key);
        self.tags.push((key, value));
    }

    /// True when a tag named `key` is there.
    fn has(&self, key: &str) -> bool {
        self.keys & Self::bit(key) != 0 && self.tags.iter().any(|t| t.0 == key)
    }

    /// Replaces the (first) tag named `key`, or adds it.
    fn put(&mut self, key: Cow<'a, str>, value: Cow<'a, str>) {
        if self.keys & Self::bit(&key) != 0 {
            if let Some(t) = self.tags.iter_mut().find(|t| t.0 == key) {
                t.1 = value;
                return;
            }
        }
        self.push(key, value);
    }
}

fn value_of(kv: &KeyValue) -> Option<&Value> {
    kv.value.as_ref().and_then(|v| v.value.as_ref())
}

/// Spec "Events": the name alone, or with attributes `{"<name>":{<attributes>}}`.
fn event_value<'a>(e: &EventIn<'a>) -> Cow<'a, str> {
    if e.attributes.is_empty() {
        return Cow::Borrowed(e.name);
    }
    let mut out = Vec::with_capacity(e.name.len() + 24 * e.attributes.len());
    out.push(b'{');
    writer::string(&mut out, e.name);
    out.push(b':');
    write_attrs(&mut out, &e.attributes);
    out.push(b'}');
    Cow::Owned(String::from_utf8(out).unwrap_or_default())
}

/// The Collector's link tag value: `traceId|spanId|traceState|attributesJson|dropped`.
fn link_tag_value(link: &LinkIn<'_>) -> String {
    let mut json = Vec::new();
    write_attrs(&mut json, &link.attributes);
    format!(
        "{}|{}|{}|{}|{}",
        ids::to_hex(link.trace_id),
        ids::to_hex(link.span_id),
        link.trace_state,
        String::from_utf8(json).unwrap_or_default(),
        link.dropped_attributes_count
    )
}

/// Writes attributes as a JSON object, in order.
fn write_attrs(out: &mut Vec<u8>, attrs: &[(&str, ValueIn<'_>)]) {
    out.push(b'{');
    for (n, (key, value)) in attrs.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        writer::string(out, key);
        out.push(b':');
        value.write_json(out);
    }
    out.push(b'}');
}

/// Writes attributes of the owned model as a JSON object, in order.
fn write_kvlist(out: &mut Vec<u8>, kvs: &[KeyValue]) {
    out.push(b'{');
    for (n, kv) in kvs.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        writer::string(out, &kv.key);
        out.push(b':');
        write_any(out, kv.value.as_ref().and_then(|v| v.value.as_ref()));
    }
    out.push(b'}');
}

/// Writes one value as JSON: integers stay integers and doubles keep a fraction or exponent,
/// so that [`super::to_otlp`] reads the same types back.
fn write_any(out: &mut Vec<u8>, v: Option<&Value>) {
    match v {
        None => out.extend_from_slice(b"null"),
        Some(Value::StringValue(s)) => writer::string(out, s),
        Some(Value::BoolValue(b)) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Some(Value::IntValue(i)) => writer::int(out, *i),
        Some(Value::DoubleValue(d)) => match serde_json::Number::from_f64(*d) {
            Some(n) => out.extend_from_slice(n.to_string().as_bytes()),
            None => writer::string(out, &d.to_string()),
        },
        Some(Value::BytesValue(_)) => writer::string(out, &to_tag_string(v)),
        Some(Value::ArrayValue(a)) => {
            out.push(b'[');
            for (n, x) in a.values.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_any(out, x.value.as_ref());
            }
            out.push(b']');
        }
        Some(Value::KvlistValue(kv)) => write_kvlist(out, &kv.values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::attributes as a;
    use crate::otlp::model::{
        span::{Event, Link},
        AnyValue, ArrayValue, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Status,
    };
    use crate::zipkin::model::{Annotation, Endpoint};

    fn tid() -> Vec<u8> {
        (1..=16).collect()
    }

    fn base() -> Span {
        Span {
            trace_id: tid(),
            span_id: vec![0xa, 0xb, 0xc, 0xd, 1, 2, 3, 4],
            name: "get /users".into(),
            kind: SpanKind::Client as i32,
            start_time_unix_nano: 1_700_000_000_123_456_789,
            end_time_unix_nano: 1_700_000_000_124_456_789,
            ..Default::default()
        }
    }

    fn request(
        resource: Vec<KeyValue>,
        scope: InstrumentationScope,
        spans: Vec<Span>,
    ) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource { attributes: resource, dropped_attributes_count: 0 }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(scope),
                    spans,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        }
    }

    fn one(span: Span) -> model::Span {
        one_with(vec![a::string("service.name", "frontend")], InstrumentationScope::default(), span)
    }

    fn one_with(res: Vec<KeyValue>, scope: InstrumentationScope, span: Span) -> model::Span {
        let (mut spans, rejected) = otlp_to_spans(&request(res, scope, vec![span]));
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(spans.len(), 1);
        spans.remove(0)
    }

    fn tag_of<'a>(s: &'a model::Span, key: &str) -> Option<&'a str> {
        s.tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
    }

    #[test]
    fn ids_names_times_and_service() {
        let mut span = base();
        span.parent_span_id = vec![0, 0, 0, 0, 0, 0, 0, 9];
        let z = one(span);
        assert_eq!(z.trace_id, tid());
        assert_eq!(z.id, vec![0xa, 0xb, 0xc, 0xd, 1, 2, 3, 4]);
        assert_eq!(z.parent_id, vec![0, 0, 0, 0, 0, 0, 0, 9]);
        assert_eq!(z.name, "get /users");
        assert_eq!(z.kind, Kind::Client as i32);
        assert_eq!(z.timestamp, 1_700_000_000_123_456);
        assert_eq!(z.duration, 1000);
        assert_eq!(z.local_endpoint.unwrap().service_name, "frontend");
        assert!(z.remote_endpoint.is_none());
        assert!(z.tags.is_empty() && z.annotations.is_empty() && !z.debug && !z.shared);
    }

    #[test]
    fn trace_id_with_zero_high_half_is_64_bit() {
        let mut span = base();
        span.trace_id = [0u8; 8].iter().chain(&[1, 2, 3, 4, 5, 6, 7, 8]).copied().collect();
        assert_eq!(one(span).trace_id, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn durations_truncate_and_never_round_to_zero() {
        let mut span = base();
        span.end_time_unix_nano = span.start_time_unix_nano + 1234;
        assert_eq!(one(span.clone()).duration, 1);
        span.end_time_unix_nano = span.start_time_unix_nano + 400;
        assert_eq!(one(span.clone()).duration, 1);
        span.end_time_unix_nano = span.start_time_unix_nano + 2_999_999;
        assert_eq!(one(span.clone()).duration, 2999);
        span.end_time_unix_nano = span.start_time_unix_nano;
        assert_eq!(one(span.clone()).duration, 0);
        // End 0 with a start is end < start: rejected, as on the Jaeger side.
        span.end_time_unix_nano = 0;
        let (spans, rejected) = otlp_to_spans(&request(vec![], Default::default(), vec![span]));
        assert!(spans.is_empty());
        assert!(rejected[0].reason.contains("before start"), "{}", rejected[0].reason);
        let unset = Span { start_time_unix_nano: 0, end_time_unix_nano: 0, ..base() };
        assert_eq!(one(unset).timestamp, 0);
    }

    #[test]
    fn kinds_map_one_to_one_and_internal_is_omitted() {
        for (otel, zipkin) in [
            (SpanKind::Client, Kind::Client),
            (SpanKind::Server, Kind::Server),
            (SpanKind::Producer, Kind::Producer),
            (SpanKind::Consumer, Kind::Consumer),
            (SpanKind::Internal, Kind::Unspecified),
            (SpanKind::Unspecified, Kind::Unspecified),
        ] {
            let mut span = base();
            span.kind = otel as i32;
            let z = one(span);
            assert_eq!(z.kind, zipkin as i32);
            assert!(tag_of(&z, TAG_SPAN_KIND).is_none());
        }
    }

    #[test]
    fn attributes_become_string_tags() {
        let mut span = base();
        span.attributes = vec![
            a::string("http.method", "GET"),
            a::bool("cache.hit", false),
            a::int("http.status_code", 200),
            a::double("ratio", 0.25),
            a::with_value(
                "tags",
                Value::ArrayValue(ArrayValue {
                    values: vec![
                        AnyValue { value: Some(Value::StringValue("a".into())) },
                        AnyValue { value: Some(Value::IntValue(1)) },
                    ],
                }),
            ),
        ];
        let z = one(span);
        assert_eq!(tag_of(&z, "http.method"), Some("GET"));
        assert_eq!(tag_of(&z, "cache.hit"), Some("false"));
        assert_eq!(tag_of(&z, "http.status_code"), Some("200"));
        assert_eq!(tag_of(&z, "ratio"), Some("0.25"));
        assert_eq!(tag_of(&z, "tags"), Some(r#"["a",1]"#));
    }

    #[test]
    fn resource_and_scope() {
        let scope = InstrumentationScope {
            name: "io.opentelemetry.http".into(),
            version: "1.2.3".into(),
            attributes: vec![a::string("scope.attr", "s")],
            dropped_attributes_count: 0,
        };
        let res = vec![
            a::string("service.name", "checkout"),
            a::string("service.namespace", "shop"),
            a::string("http.method", "from-resource"),
        ];
        let mut span = base();
        span.attributes = vec![a::string("http.method", "GET")];
        let z = one_with(res, scope, span);
        assert_eq!(z.local_endpoint.as_ref().unwrap().service_name, "checkout");
        assert_eq!(tag_of(&z, "service.namespace"), Some("shop"));
        assert_eq!(tag_of(&z, "http.method"), Some("GET"), "span attribute wins");
        assert_eq!(tag_of(&z, TAG_SCOPE_NAME), Some("io.opentelemetry.http"));
        assert_eq!(tag_of(&z, TAG_LIBRARY_NAME), Some("io.opentelemetry.http"));
        assert_eq!(tag_of(&z, TAG_SCOPE_VERSION), Some("1.2.3"));
        assert_eq!(tag_of(&z, TAG_LIBRARY_VERSION), Some("1.2.3"));
        assert_eq!(tag_of(&z, "scope.attr"), Some("s"));
        assert!(tag_of(&z, "service.name").is_none());
    }

    #[test]
    fn no_service_name_means_no_local_service() {
        let z = one_with(vec![], InstrumentationScope::default(), base());
        assert!(z.local_endpoint.is_none());
    }

    #[test]
    fn status_follows_the_zipkin_spec() {
        let mut span = base();
        span.status = Some(Status { code: StatusCode::Error as i32, message: "boom".into() });
        let z = one(span.clone());
        assert_eq!(tag_of(&z, TAG_STATUS_CODE), Some("ERROR"));
        assert_eq!(tag_of(&z, TAG_ERROR), Some("boom"));
        assert!(tag_of(&z, TAG_STATUS_DESCRIPTION).is_none());

        span.status = Some(Status { code: StatusCode::Error as i32, message: String::new() });
        span.attributes = vec![a::bool("error", true)];
        let z = one(span.clone());
        assert_eq!(tag_of(&z, TAG_ERROR), Some(""));
        assert_eq!(z.tags.iter().filter(|t| t.key == TAG_ERROR).count(), 1);

        span.status = Some(Status { code: StatusCode::Ok as i32, message: String::new() });
        span.attributes = vec![a::bool("error", false)];
        let z = one(span.clone());
        assert_eq!(tag_of(&z, TAG_STATUS_CODE), Some("OK"));
        assert!(tag_of(&z, TAG_ERROR).is_none(), "boolean false error is removed");

        span.status = None;
        span.attributes = vec![a::string("error", "false")];
        let z = one(span);
        assert!(z.tags.is_empty());
    }

    #[test]
    fn events_become_annotations() {
        let mut span = base();
        span.events = vec![
            Event {
                time_unix_nano: 1_700_000_000_200_000_999,
                name: "cache miss".into(),
                ..Default::default()
            },
            Event {
                time_unix_nano: 1_700_000_000_300_000_000,
                name: "exception".into(),
                attributes: vec![
                    a::string("exception.type", "IOError"),
                    a::int("retries", 3),
                    a::double("wait", 1.0),
                    a::bool("fatal", true),
                ],
                dropped_attributes_count: 0,
            },
        ];
        let z = one(span);
        assert_eq!(
            z.annotations[0],
            Annotation { timestamp: 1_700_000_000_200_000, value: "cache miss".into() }
        );
        assert_eq!(z.annotations[1].timestamp, 1_700_000_000_300_000);
        assert_eq!(
            z.annotations[1].value,
            r#"{"exception":{"exception.type":"IOError","retries":3,"wait":1.0,"fatal":true}}"#
        );
    }

    #[test]
    fn remote_endpoint_by_rank() {
        let cases: Vec<(Vec<KeyValue>, Endpoint, Vec<&str>)> = vec![
            (
                vec![
                    a::string("server.address", "api.example.com"),
                    a::string("peer.service", "users"),
                ],
                Endpoint { service_name: "users".into(), ..Default::default() },
                vec!["server.address"],
            ),
            (
                vec![a::string("db.name", "orders"), a::string("net.peer.name", "db1")],
                Endpoint { service_name: "db1".into(), ..Default::default() },
                vec!["db.name", "net.peer.name"],
            ),
            (
                vec![
                    a::string("network.peer.address", "10.1.2.3"),
                    a::int("network.peer.port", 5432),
                ],
                Endpoint { ipv4: vec![10, 1, 2, 3], port: 5432, ..Default::default() },
                vec![],
            ),
            (
                vec![
                    a::string("peer.service", "db"),
                    a::string("network.peer.address", "2001:db8::1"),
                    a::int("network.peer.port", 5432),
                ],
                Endpoint {
                    service_name: "db".into(),
                    ipv6: "2001:db8::1".parse::<std::net::Ipv6Addr>().unwrap().octets().to_vec(),
                    port: 5432,
                    ..Default::default()
                },
                vec![],
            ),
            (
                vec![
                    a::string("net.sock.peer.addr", "10.0.0.9"),
                    a::string("net.sock.peer.port", "80"),
                ],
                Endpoint { ipv4: vec![10, 0, 0, 9], port: 80, ..Default::default() },
                vec!["net.sock.peer.addr", "net.sock.peer.port"],
            ),
            (
                vec![
                    a::string("peer.hostname", "cache-1"),
                    a::string("peer.address", "cache:11211"),
                ],
                Endpoint { service_name: "cache-1".into(), ..Default::default() },
                vec!["peer.hostname", "peer.address"],
            ),
        ];
        for (attrs, want, kept) in cases {
            let mut span = base();
            span.attributes = attrs.clone();
            let z = one(span);
            assert_eq!(z.remote_endpoint.as_ref(), Some(&want), "{attrs:?}");
            let keys: Vec<_> = z.tags.iter().map(|t| t.key.as_str()).collect();
            assert_eq!(keys, kept, "{attrs:?}");
        }
    }

    #[test]
    fn local_endpoint_address_from_network_local() {
        let mut span = base();
        span.attributes = vec![
            a::string("network.local.address", "192.168.0.10"),
            a::int("network.local.port", 8080),
        ];
        let z = one(span);
        let ep = z.local_endpoint.unwrap();
        assert_eq!(
            (ep.service_name.as_str(), ep.ipv4.as_slice(), ep.port),
            ("frontend", &[192, 168, 0, 10][..], 8080)
        );
        assert!(z.tags.is_empty());
    }

    #[test]
    fn debug_shared_tracestate_dropped_counts_and_links() {
        let mut span = base();
        span.attributes = vec![a::bool(ATTR_DEBUG, true), a::bool(ATTR_SHARED, true)];
        span.trace_state = "rojo=00f067aa0ba902b7".into();
        span.dropped_attributes_count = 2;
        span.dropped_events_count = 3;
        span.links = vec![Link {
            trace_id: tid(),
            span_id: vec![1; 8],
            trace_state: "a=b".into(),
            attributes: vec![a::string("k", "v")],
            dropped_attributes_count: 1,
            flags: 0,
        }];
        let z = one(span);
        assert!(z.debug && z.shared);
        assert_eq!(tag_of(&z, TAG_TRACE_STATE), Some("rojo=00f067aa0ba902b7"));
        assert_eq!(tag_of(&z, TAG_DROPPED_ATTRIBUTES), Some("2"));
        assert_eq!(tag_of(&z, TAG_DROPPED_EVENTS), Some("3"));
        assert!(tag_of(&z, TAG_DROPPED_LINKS).is_none());
        assert_eq!(
            tag_of(&z, "otlp.link.0"),
            Some(r#"0102030405060708090a0b0c0d0e0f10|0101010101010101|a=b|{"k":"v"}|1"#)
        );
        assert!(tag_of(&z, ATTR_DEBUG).is_none() && tag_of(&z, ATTR_SHARED).is_none());
    }

    #[test]
    fn bad_spans_are_rejected_one_by_one() {
        let mut zero = base();
        zero.span_id = vec![0; 8];
        let mut short = base();
        short.trace_id = vec![1; 8];
        let mut backwards = base();
        backwards.end_time_unix_nano = backwards.start_time_unix_nano - 1;
        let req =
            request(vec![], InstrumentationScope::default(), vec![zero, base(), short, backwards]);
        let (spans, rejected) = otlp_to_spans(&req);
        assert_eq!(spans.len(), 1);
        let items: Vec<_> = rejected.iter().map(|r| r.item.as_str()).collect();
        assert_eq!(
            items,
            [
                "resourceSpans[0].scopeSpans[0].spans[0] (span id 0000000000000000)",
                "resourceSpans[0].scopeSpans[0].spans[2] (span id 0a0b0c0d01020304)",
                "resourceSpans[0].scopeSpans[0].spans[3] (span id 0a0b0c0d01020304)",
            ]
        );
        assert!(rejected[2].reason.contains("before start"), "{}", rejected[2].reason);
    }
}
