//! Zipkin v2 JSON (`zipkin2-api.yaml`, `POST /api/v2/spans`) ⇄ [`ZipkinSpan`]s.
//!
//! Reading is a hand-written scan ([`super::json_read`]) that borrows every string it can from
//! the input and accepts what real senders write: upper-case hex, ids shorter than 16 digits
//! (left-padded, as Zipkin does), tag values that are numbers, bools, lists or objects
//! (stringified), and a single span object instead of a list. A span with a bad field is
//! rejected with its JSON path (`$[3].traceId`) while the others are kept; only broken JSON
//! fails the whole input (with serde_json's line, column and message). Writing is
//! hand-written, in the field order Zipkin itself writes, omitting empty fields.

use super::json_read::{Broken, Scalar, Scanner};
use super::model::{self, Kind};
use super::span::{EndpointView, Id, ZipkinSpan};
use crate::otlp::json::writer;
use crate::otlp::model::ExportTraceServiceRequest;
use crate::{ids, DecodeError, Format, Location, Rejection};
use std::borrow::Cow;
use std::net::IpAddr;

/// Spans read from a JSON document, with where each came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Indexed {
    /// The spans that passed validation, in input order.
    pub spans: Vec<model::Span>,
    /// For each span, its index in the input list.
    pub index: Vec<usize>,
    /// Spans rejected while reading.
    pub rejected: Vec<Rejection>,
    /// True when the input was one span object rather than a list.
    pub single: bool,
}

impl Indexed {
    /// The JSON path of the `i`-th kept span (`$[3]`, or `$` for a single object).
    pub fn item(&self, i: usize) -> String {
        item_of(self.single, &self.index, i)
    }
}

fn item_of(single: bool, index: &[usize], i: usize) -> String {
    if single {
        "$".to_string()
    } else {
        item_path(index.get(i).copied().unwrap_or(i))
    }
}

/// The JSON path of the span at input position `i`.
pub fn item_path(i: usize) -> String {
    format!("$[{i}]")
}

/// Spans read from a JSON document, borrowing from it.
#[derive(Debug, Default)]
pub(crate) struct Read<'a> {
    /// The spans that passed validation, in input order.
    pub spans: Vec<ZipkinSpan<'a>>,
    /// For each span, its index in the input list.
    pub index: Vec<usize>,
    /// Spans rejected while reading.
    pub rejected: Vec<Rejection>,
    /// True when the input was one span object rather than a list.
    pub single: bool,
}

impl Read<'_> {
    /// The JSON path of the `i`-th kept span.
    pub fn item(&self, i: usize) -> String {
        item_of(self.single, &self.index, i)
    }
}

/// Reads a v2 JSON list of spans (or one span object).
pub fn decode(input: &[u8]) -> Result<(Vec<model::Span>, Vec<Rejection>), DecodeError> {
    let d = decode_indexed(input)?;
    Ok((d.spans, d.rejected))
}

/// Like [`decode`], also telling where each span came from (for rejection messages).
pub fn decode_indexed(input: &[u8]) -> Result<Indexed, DecodeError> {
    let r = read(input)?;
    Ok(Indexed {
        spans: r.spans.iter().map(ZipkinSpan::to_model).collect(),
        index: r.index,
        rejected: r.rejected,
        single: r.single,
    })
}

/// Reads a v2 JSON document into borrowed spans.
pub(crate) fn read(input: &[u8]) -> Result<Read<'_>, DecodeError> {
    // One UTF-8 check of the whole input; the scanner then slices it freely.
    let text = std::str::from_utf8(input).map_err(|e| {
        let (line, column) = line_column(&input[..e.valid_up_to()]);
        DecodeError::new(
            Format::ZipkinJson,
            Location::LineColumn { line, column },
            "input is not valid UTF-8",
        )
    })?;
    let mut out = Read::default();
    // Real batches write 600-1500 bytes per span: room for the most (growing copies spans).
    out.spans.reserve(input.len() / 512 + 1);
    out.index.reserve(input.len() / 512 + 1);
    match read_top(text, &mut out) {
        Ok(Ok(())) => Ok(out),
        Ok(Err(e)) => Err(e),
        Err(Broken) => Err(syntax_error(text)),
    }
}

/// The error serde_json reports for broken JSON (our scanner only knows that it is broken).
fn syntax_error(text: &str) -> DecodeError {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Err(e) => {
            let location = if e.line() == 0 {
                Location::Input
            } else {
                Location::LineColumn { line: e.line(), column: e.column() }
            };
            DecodeError::new(Format::ZipkinJson, location, strip_position(&e.to_string()))
        }
        Ok(_) => DecodeError::new(Format::ZipkinJson, Location::Input, "invalid JSON"),
    }
}

/// Reads the document; the inner `Err` is a document of the wrong shape.
fn read_top<'a>(text: &'a str, out: &mut Read<'a>) -> Result<Result<(), DecodeError>, Broken> {
    let mut s = Scanner::new(text);
    match s.peek() {
        Some(b'[') => {
            s.begin_array()?;
            let mut first = true;
            let mut i = 0;
            while s.next_element(&mut first)? {
                let path = || item_path(i);
                if s.peek() == Some(b'{') {
                    span(&mut s, i, &path, out)?;
                } else {
                    s.skip()?;
                    out.rejected.push(Rejection::new(path(), "a span must be a JSON object"));
                }
                i += 1;
            }
        }
        Some(b'{') => {
            out.single = true;
            span(&mut s, 0, &|| "$".to_string(), out)?;
        }
        Some(_) => {
            // Valid JSON of the wrong type: say so, where it starts.
            let at = s.pos();
            s.skip()?;
            if !s.at_end() {
                return Err(Broken);
            }
            let (line, column) = line_column(&text.as_bytes()[..at + 1]);
            return Ok(Err(DecodeError::new(
                Format::ZipkinJson,
                Location::LineColumn { line, column },
                "expected a JSON list of Zipkin spans",
            )));
        }
        None => return Err(Broken),
    }
    if !s.at_end() {
        return Err(Broken);
    }
    Ok(Ok(()))
}

/// The fields of a span object as read, before validation.
#[derive(Default)]
struct RawSpan<'a> {
    trace_id: Scalar<'a>,
    parent_id: Scalar<'a>,
    id: Scalar<'a>,
    kind: Scalar<'a>,
    name: Scalar<'a>,
    timestamp: Scalar<'a>,
    duration: Scalar<'a>,
    local: Option<Result<RawEndpoint<'a>, &'static str>>,
    remote: Option<Result<RawEndpoint<'a>, &'static str>>,
    annotations: Vec<Result<(Scalar<'a>, Scalar<'a>), &'static str>>,
    /// The type of a non-list `annotations`.
    bad_annotations: Option<&'static str>,
    tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The type of a non-object `tags`.
    bad_tags: Option<&'static str>,
    debug: Scalar<'a>,
    shared: Scalar<'a>,
}

#[derive(Default)]
struct RawEndpoint<'a> {
    service_name: Scalar<'a>,
    ipv4: Scalar<'a>,
    ipv6: Scalar<'a>,
    port: Scalar<'a>,
}

/// The JSON type of the value at the cursor, skipping it, for a field that must be an object
/// or a list.
fn wrong_type(s: &mut Scanner<'_>) -> Result<&'static str, Broken> {
    Ok(s.value()?.type_name())
}

fn endpoint_field<'a>(
    s: &mut Scanner<'a>,
) -> Result<Option<Result<RawEndpoint<'a>, &'static str>>, Broken> {
    match s.peek() {
        Some(b'{') => {
            s.begin_object()?;
            let mut ep = RawEndpoint::default();
            let mut first = true;
            while let Some(key) = s.next_key(&mut first)? {
                match key.as_ref() {
                    "serviceName" => ep.service_name = s.value()?,
                    "ipv4" => ep.ipv4 = s.value()?,
                    "ipv6" => ep.ipv6 = s.value()?,
                    "port" => ep.port = s.value()?,
                    _ => s.skip()?,
                }
            }
            Ok(Some(Ok(ep)))
        }
        Some(b'n') => s.value().map(|_| None),
        _ => Ok(Some(Err(wrong_type(s)?))),
    }
}

fn raw_span<'a>(s: &mut Scanner<'a>) -> Result<RawSpan<'a>, Broken> {
    let mut raw = RawSpan::default();
    s.begin_object()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        match key.as_ref() {
            "traceId" => raw.trace_id = s.value()?,
            "parentId" => raw.parent_id = s.value()?,
            "id" => raw.id = s.value()?,
            "kind" => raw.kind = s.value()?,
            "name" => raw.name = s.value()?,
            "timestamp" => raw.timestamp = s.value()?,
            "duration" => raw.duration = s.value()?,
            "localEndpoint" => raw.local = endpoint_field(s)?,
            "remoteEndpoint" => raw.remote = endpoint_field(s)?,
            "annotations" => {
                raw.annotations.clear();
                raw.bad_annotations = None;
                match s.peek() {
                    Some(b'[') => {
                        s.begin_array()?;
                        let mut first = true;
                        while s.next_element(&mut first)? {
                            if s.peek() != Some(b'{') {
                                raw.annotations.push(Err(wrong_type(s)?));
                                continue;
                            }
                            s.begin_object()?;
                            let (mut ts, mut value) = (Scalar::Null, Scalar::Null);
                            let mut first = true;
                            while let Some(key) = s.next_key(&mut first)? {
                                match key.as_ref() {
                                    "timestamp" => ts = s.value()?,
                                    "value" => value = s.value()?,
                                    _ => s.skip()?,
                                }
                            }
                            raw.annotations.push(Ok((ts, value)));
                        }
                    }
                    Some(b'n') => {
                        s.value()?;
                    }
                    _ => raw.bad_annotations = Some(wrong_type(s)?),
                }
            }
            "tags" => {
                raw.tags.clear();
                raw.tags.reserve(16);
                raw.bad_tags = None;
                match s.peek() {
                    Some(b'{') => {
                        s.begin_object()?;
                        let mut first = true;
                        // One bit per (length, last byte) seen: a key whose bit is clear is
                        // new, so the search for a repeat is only made when it may find one.
                        let mut seen = 0u64;
                        while let Some(k) = s.next_key(&mut first)? {
                            // Tag values are strings but for odd senders: no `Scalar` detour.
                            let value = if s.peek() == Some(b'"') {
                                s.string()?
                            } else {
                                let Some(value) = s.value()?.into_text() else { continue };
                                value
                            };
                            let bit = 1u64
                                << ((k.len()
                                    ^ usize::from(k.as_bytes().last().copied().unwrap_or(0)))
                                    & 63);
                            // A repeated key keeps its last value, as Zipkin (and every JSON
                            // map) does.
                            let repeat = if seen & bit != 0 {
                                raw.tags.iter_mut().find(|t| t.0 == k)
                            } else {
                                None
                            };
                            seen |= bit;
                            match repeat {
                                Some(t) => t.1 = value,
                                None => raw.tags.push((k, value)),
                            }
                        }
                    }
                    Some(b'n') => {
                        s.value()?;
                    }
                    _ => raw.bad_tags = Some(wrong_type(s)?),
                }
            }
            "debug" => raw.debug = s.value()?,
            "shared" => raw.shared = s.value()?,
            _ => s.skip()?,
        }
    }
    Ok(raw)
}

/// Reads the span object at the cursor (input position `i`) into `out`.
fn span<'a>(
    s: &mut Scanner<'a>,
    i: usize,
    path: &dyn Fn() -> String,
    out: &mut Read<'a>,
) -> Result<(), Broken> {
    let raw = raw_span(s)?;
    match validate(raw) {
        Ok(span) => {
            out.spans.push(span);
            out.index.push(i);
        }
        Err((field, reason, id)) => {
            let mut item = format!("{}{field}", path());
            if let Some(id) = id {
                item.push_str(&format!(" (span id {id})"));
            }
            out.rejected.push(Rejection::new(item, reason));
        }
    }
    Ok(())
}

/// A rejected span: the field's path below the span, the reason, and the span id if known.
type Reject = (String, String, Option<String>);

/// Hex digit values; 0xff for any other byte.
static HEX_VALUE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// The id when `s` is exactly `2 * N` hex digits (what real senders write); `None` sends the
/// caller to the general parser (padding, errors).
#[inline]
fn full_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let digits = s.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (hi, lo) = (HEX_VALUE[usize::from(pair[0])], HEX_VALUE[usize::from(pair[1])]);
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 0x0f);
    }
    // A valid digit is below 16, so the high bits stay clear unless a byte was not one.
    (bad & 0xf0 == 0).then_some(out)
}

fn hex_id<const N: usize>(v: &Scalar<'_>, what: &str) -> Result<Option<[u8; N]>, String> {
    match v {
        Scalar::Null => Ok(None),
        Scalar::Str(s) if s.is_empty() => Ok(None),
        Scalar::Str(s) => match full_hex::<N>(s) {
            Some(id) => Ok(Some(id)),
            None => ids::parse_hex_padded::<N>(s).map(Some).map_err(|e| format!("bad {what}: {e}")),
        },
        other => Err(format!("{what} must be a hex string, not {}", other.type_name())),
    }
}

/// A µs time: a non-negative integer (a float with no fraction is accepted); null/absent is 0.
fn micros(v: &Scalar<'_>, what: &str) -> Result<u64, String> {
    match v {
        Scalar::Null => Ok(0),
        Scalar::U64(n) => Ok(*n),
        Scalar::I64(n) => Err(format!("{what} must not be negative, got {n}")),
        Scalar::F64(f) if *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19 => Ok(*f as u64),
        Scalar::F64(f) => Err(format!("{what} must be a non-negative integer of µs, got {f}")),
        other => Err(format!("{what} must be an integer of µs, not {}", other.type_name())),
    }
}

fn text<'a>(v: Scalar<'a>, what: &str) -> Result<Cow<'a, str>, String> {
    match v {
        Scalar::Null => Ok(Cow::Borrowed("")),
        Scalar::Str(s) => Ok(s),
        other => Err(format!("{what} must be a string, not {}", other.type_name())),
    }
}

fn flag(v: &Scalar<'_>) -> bool {
    matches!(v, Scalar::Bool(true)) || matches!(v, Scalar::Str(s) if s == "true")
}

/// Checks the fields of a span, in the order they are reported.
fn validate(raw: RawSpan<'_>) -> Result<ZipkinSpan<'_>, Reject> {
    // The span id text is only needed (and only allocated) for a rejection.
    let id_scalar = &raw.id;
    let rej = |field: &str, reason: String| {
        let id = match id_scalar {
            Scalar::Str(s) if !s.is_empty() => Some(s.to_ascii_lowercase()),
            _ => None,
        };
        (field.to_string(), reason, id)
    };

    let trace_id = match &raw.trace_id {
        Scalar::Str(s) if s.len() > 16 => {
            hex_id::<16>(&raw.trace_id, "traceId").map(|o| o.map(|b| Id::new(&b)))
        }
        _ => hex_id::<8>(&raw.trace_id, "traceId").map(|o| o.map(|b| Id::new(&b))),
    }
    .map_err(|e| rej(".traceId", e))?
    .ok_or_else(|| rej(".traceId", "traceId is missing".into()))?;
    let id = hex_id::<8>(&raw.id, "id")
        .map_err(|e| rej(".id", e))?
        .ok_or_else(|| rej(".id", "id is missing".into()))?;
    let parent = hex_id::<8>(&raw.parent_id, "parentId").map_err(|e| rej(".parentId", e))?;
    let kind = match &raw.kind {
        Scalar::Str(s) => {
            const KINDS: [(&str, Kind); 4] = [
                ("CLIENT", Kind::Client),
                ("SERVER", Kind::Server),
                ("PRODUCER", Kind::Producer),
                ("CONSUMER", Kind::Consumer),
            ];
            match KINDS.iter().find(|(name, _)| s.eq_ignore_ascii_case(name)) {
                Some((_, kind)) => *kind,
                None => return Err(rej(".kind", format!("unknown kind {s:?}"))),
            }
        }
        Scalar::Null => Kind::Unspecified,
        other => {
            return Err(rej(".kind", format!("kind must be a string, not {}", other.type_name())))
        }
    };
    let timestamp = micros(&raw.timestamp, "timestamp").map_err(|e| rej(".timestamp", e))?;
    let duration = micros(&raw.duration, "duration").map_err(|e| rej(".duration", e))?;
    let local = endpoint(raw.local).map_err(|(f, e)| rej(&format!(".localEndpoint{f}"), e))?;
    let remote = endpoint(raw.remote).map_err(|(f, e)| rej(&format!(".remoteEndpoint{f}"), e))?;
    if let Some(t) = raw.bad_annotations {
        return Err(rej(".annotations", format!("annotations must be a list, not {t}")));
    }
    let mut annotations = Vec::with_capacity(raw.annotations.len());
    for (j, a) in raw.annotations.into_iter().enumerate() {
        let (ts, value) = match a {
            Ok(a) => a,
            Err("null") => {
                return Err(rej(&format!(".annotations[{j}]"), "annotation is null".into()))
            }
            Err(t) => {
                return Err(rej(
                    &format!(".annotations[{j}]"),
                    format!("annotation must be an object, not {t}"),
                ))
            }
        };
        let ts = micros(&ts, "annotation timestamp")
            .map_err(|e| rej(&format!(".annotations[{j}].timestamp"), e))?;
        let value = text(value, "annotation value")
            .map_err(|e| rej(&format!(".annotations[{j}].value"), e))?;
        annotations.push((ts, value));
    }
    if let Some(t) = raw.bad_tags {
        return Err(rej(".tags", format!("tags must be an object, not {t}")));
    }
    let name = text(raw.name, "name").map_err(|e| rej(".name", e))?;
    Ok(ZipkinSpan {
        trace_id,
        parent_id: parent.map(|p| Id::new(&p)).unwrap_or_default(),
        id: Id::new(&id),
        kind,
        name,
        timestamp,
        duration,
        local,
        remote,
        annotations,
        tags: raw.tags,
        debug: flag(&raw.debug),
        shared: flag(&raw.shared),
        rendered_tail: false,
    })
}

/// 1-based line and column just after `before`.
fn line_column(before: &[u8]) -> (usize, usize) {
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
    (line, column)
}

/// serde_json appends " at line L column C", which the location already says.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(p) => msg[..p].to_string(),
        None => msg.to_string(),
    }
}

/// Reads an endpoint. An address that is not an IP literal is ignored (as Zipkin does); an
/// address written in the other field (`ipv4` holding an IPv6 literal) goes where it belongs.
fn endpoint<'a>(
    raw: Option<Result<RawEndpoint<'a>, &'static str>>,
) -> Result<EndpointView<'a>, (String, String)> {
    let raw = match raw {
        None => return Ok(EndpointView::default()),
        Some(Err(t)) => {
            return Err((String::new(), format!("endpoint must be an object, not {t}")))
        }
        Some(Ok(r)) => r,
    };
    let mut ep = EndpointView {
        service_name: text(raw.service_name, "serviceName")
            .map_err(|e| (".serviceName".to_string(), e))?,
        ..Default::default()
    };
    for v in [raw.ipv4, raw.ipv6] {
        if let Scalar::Str(s) = v {
            if let Some(ip) = parse_ip(&s) {
                ep.set_ip(ip);
            }
        }
    }
    ep.port = match raw.port {
        Scalar::Null => 0,
        Scalar::U64(p) if p <= 65535 => p as u16,
        other => {
            let shown = other.into_text().unwrap_or_default();
            return Err((
                ".port".to_string(),
                format!("port must be an integer 0-65535, got {shown}"),
            ));
        }
    };
    Ok(ep)
}

/// An IP literal; IPv4 octets with leading zeros (`10.0.0.04`, met in real traces) are read
/// as decimal, which is how Zipkin reads them.
fn parse_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for o in &mut octets {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    parts.next().is_none().then_some(IpAddr::from(octets))
}

fn write_endpoint(out: &mut Vec<u8>, name: &[u8], ep: &EndpointView<'_>) {
    use std::io::Write;
    out.extend_from_slice(name);
    let mut first = true;
    let mut sep = |out: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
    };
    if !ep.service_name.is_empty() {
        sep(out);
        out.extend_from_slice(b"\"serviceName\":");
        writer::string(out, &ep.service_name);
    }
    if let Some(ip) = ep.ipv4 {
        sep(out);
        let _ = write!(out, "\"ipv4\":\"{ip}\"");
    }
    if let Some(ip) = ep.ipv6 {
        sep(out);
        let _ = write!(out, "\"ipv6\":\"{ip}\"");
    }
    if ep.port > 0 {
        sep(out);
        out.extend_from_slice(b"\"port\":");
        writer::uint(out, u64::from(ep.port));
    }
    out.push(b'}');
}

/// Writes spans as a v2 JSON list, fields in Zipkin's order, empty fields left out.
pub fn encode(spans: &[model::Span]) -> Vec<u8> {
    let mut w = ListWriter::with_capacity(spans.len());
    for s in spans {
        w.push(&ZipkinSpan::of_model(s), &[]);
    }
    w.finish()
}

/// Maps an OTLP request and writes it as a v2 JSON list in one pass, without building owned
/// [`model::Span`]s (the mapping is [`from_otlp`](super::from_otlp)'s).
pub fn encode_otlp(request: &ExportTraceServiceRequest) -> (Vec<u8>, Vec<Rejection>) {
    let mut w = ListWriter::with_capacity(crate::otlp::span_count(request));
    let rejected = super::from_otlp::map_request(request, |v| w.push(&v, &[]));
    (w.finish(), rejected)
}

/// Writes a v2 JSON list span by span.
pub(crate) struct ListWriter {
    out: Vec<u8>,
}

impl ListWriter {
    /// A writer sized for about `spans` spans.
    pub fn with_capacity(spans: usize) -> Self {
        // Realistic spans take about 1100 bytes.
        Self::with_bytes(64 + spans * 1152)
    }

    /// A writer with room for `bytes` bytes.
    pub fn with_bytes(bytes: usize) -> Self {
        let mut out = Vec::with_capacity(bytes);
        out.push(b'[');
        ListWriter { out }
    }

    /// Appends one span; `tail` is the JSON of the tags that follow `span.tags` when
    /// `span.rendered_tail` is set (`"key":"value"` members joined by commas).
    pub fn push(&mut self, span: &ZipkinSpan<'_>, tail: &[u8]) {
        if self.out.len() > 1 {
            self.out.push(b',');
        }
        let tail = if span.rendered_tail { tail } else { &[] };
        write_span(&mut self.out, span, tail);
    }

    /// The list.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.push(b']');
        self.out
    }
}

fn write_span(out: &mut Vec<u8>, s: &ZipkinSpan<'_>, tail: &[u8]) {
    out.extend_from_slice(b"{\"traceId\":\"");
    // 64-bit ids travel as 16 hex digits (also when given as 16 bytes with a zero high half).
    let trace = s.trace_id.as_slice();
    let trace: &[u8] =
        if trace.len() == 16 && ids::is_zero(&trace[..8]) { &trace[8..] } else { trace };
    writer::hex_digits(out, trace);
    out.push(b'"');
    if !s.parent_id.is_empty() {
        out.extend_from_slice(b",\"parentId\":\"");
        writer::hex_digits(out, s.parent_id.as_slice());
        out.push(b'"');
    }
    out.extend_from_slice(b",\"id\":\"");
    writer::hex_digits(out, s.id.as_slice());
    out.push(b'"');
    let kind: &[u8] = match s.kind {
        Kind::Client => b",\"kind\":\"CLIENT\"",
        Kind::Server => b",\"kind\":\"SERVER\"",
        Kind::Producer => b",\"kind\":\"PRODUCER\"",
        Kind::Consumer => b",\"kind\":\"CONSUMER\"",
        Kind::Unspecified => b"",
    };
    out.extend_from_slice(kind);
    if !s.name.is_empty() {
        out.extend_from_slice(b",\"name\":");
        writer::string(out, &s.name);
    }
    if s.timestamp != 0 {
        out.extend_from_slice(b",\"timestamp\":");
        writer::uint(out, s.timestamp);
    }
    if s.duration != 0 {
        out.extend_from_slice(b",\"duration\":");
        writer::uint(out, s.duration);
    }
    if !s.local.is_empty() {
        write_endpoint(out, b",\"localEndpoint\":{", &s.local);
    }
    if !s.remote.is_empty() {
        write_endpoint(out, b",\"remoteEndpoint\":{", &s.remote);
    }
    if !s.annotations.is_empty() {
        out.extend_from_slice(b",\"annotations\":[");
        for (n, (ts, value)) in s.annotations.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"timestamp\":");
            writer::uint(out, *ts);
            out.extend_from_slice(b",\"value\":");
            writer::string(out, value);
            out.push(b'}');
        }
        out.push(b']');
    }
    if !s.tags.is_empty() || !tail.is_empty() {
        out.extend_from_slice(b",\"tags\":{");
        for (n, (k, v)) in s.tags.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            writer::string(out, k);
            out.push(b':');
            writer::string(out, v);
        }
        if !tail.is_empty() {
            if !s.tags.is_empty() {
                out.push(b',');
            }
            out.extend_from_slice(tail);
        }
        out.push(b'}');
    }
    if s.debug {
        out.extend_from_slice(b",\"debug\":true");
    }
    if s.shared {
        out.extend_from_slice(b",\"shared\":true");
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zipkin::model::{Annotation, Tag};

    const CLIENT: &str = r#"{
      "traceId": "4D1E00C0DB9010DB86154A4BA6E91385",
      "parentId": "86154a4ba6e91385",
      "id": "4d1e00c0db9010db",
      "kind": "CLIENT",
      "name": "get",
      "timestamp": 1472470996199000,
      "duration": 207000,
      "localEndpoint": {"serviceName": "frontend", "ipv6": "2001:db8::c001"},
      "remoteEndpoint": {"serviceName": "backend", "ipv4": "192.168.99.101", "port": 9000},
      "annotations": [{"timestamp": 1472470996238000, "value": "foo"}],
      "tags": {"http.path": "/api", "retries": 3, "cached": false, "ratio": 0.5, "nothing": null},
      "debug": true,
      "shared": false
    }"#;

    #[test]
    fn reads_every_field() {
        let (spans, rejected) = decode(format!("[{CLIENT}]").as_bytes()).unwrap();
        assert!(rejected.is_empty(), "{rejected:?}");
        let s = &spans[0];
        assert_eq!(ids::to_hex(&s.trace_id), "4d1e00c0db9010db86154a4ba6e91385");
        assert_eq!(ids::to_hex(&s.parent_id), "86154a4ba6e91385");
        assert_eq!(ids::to_hex(&s.id), "4d1e00c0db9010db");
        assert_eq!(s.kind, Kind::Client as i32);
        assert_eq!(s.name, "get");
        assert_eq!((s.timestamp, s.duration), (1472470996199000, 207000));
        let l = s.local_endpoint.as_ref().unwrap();
        assert_eq!(l.service_name, "frontend");
        assert_eq!(l.ipv6, "2001:db8::c001".parse::<std::net::Ipv6Addr>().unwrap().octets());
        let r = s.remote_endpoint.as_ref().unwrap();
        assert_eq!(
            (r.service_name.as_str(), r.ipv4.as_slice(), r.port),
            ("backend", &[192, 168, 99, 101][..], 9000)
        );
        assert_eq!(
            s.annotations,
            vec![Annotation { timestamp: 1472470996238000, value: "foo".into() }]
        );
        let tags: Vec<_> = s.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect();
        assert_eq!(
            tags,
            [("http.path", "/api"), ("retries", "3"), ("cached", "false"), ("ratio", "0.5")]
        );
        assert!(s.debug && !s.shared);
    }

    #[test]
    fn full_length_ids_read_like_the_general_parser() {
        for s in ["0123456789abcdef", "0123456789ABCDEF", "ffffffffffffffff", "0000000000000000"] {
            assert_eq!(full_hex::<8>(s), ids::parse_hex_padded::<8>(s).ok(), "{s}");
        }
        for s in ["0123456789abcdeg", "0123456789abcde ", "0123456789abcd\u{e9}", "123", ""] {
            assert_eq!(full_hex::<8>(s), None, "{s}");
        }
        let t = "463ac35c9f6413ad48485a3953bb6124";
        assert_eq!(full_hex::<16>(t), ids::parse_hex_padded::<16>(t).ok());
    }

    #[test]
    fn single_object_and_short_ids() {
        let d = decode_indexed(br#"{"traceId":"abc","id":"1"}"#).unwrap();
        assert!(d.single);
        assert_eq!(d.spans[0].trace_id, vec![0, 0, 0, 0, 0, 0, 0x0a, 0xbc]);
        assert_eq!(d.spans[0].id, vec![0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(d.item(0), "$");
    }

    #[test]
    fn bad_spans_are_rejected_with_json_paths() {
        let input = br#"[
          {"traceId":"zz","id":"0000000000000001"},
          {"traceId":"0000000000000001","id":"0000000000000002"},
          {"id":"0000000000000003"},
          {"traceId":"1","id":"0000000000000004","duration":-5},
          {"traceId":"1","id":"0000000000000005","timestamp":1.5},
          {"traceId":"1","id":"0000000000000006","annotations":[{"value":"x","timestamp":"soon"}]},
          {"traceId":"1","id":"0000000000000007","localEndpoint":{"port":70000}},
          {"traceId":"1","id":"0000000000000008","kind":"SIDEWAYS"},
          "not a span",
          {"traceId":"1"}
        ]"#;
        let d = decode_indexed(input).unwrap();
        assert_eq!(d.spans.len(), 1);
        assert_eq!(d.index, vec![1]);
        assert_eq!(d.item(0), "$[1]");
        let items: Vec<_> = d.rejected.iter().map(|r| r.item.as_str()).collect();
        assert_eq!(
            items,
            [
                "$[0].traceId (span id 0000000000000001)",
                "$[2].traceId (span id 0000000000000003)",
                "$[3].duration (span id 0000000000000004)",
                "$[4].timestamp (span id 0000000000000005)",
                "$[5].annotations[0].timestamp (span id 0000000000000006)",
                "$[6].localEndpoint.port (span id 0000000000000007)",
                "$[7].kind (span id 0000000000000008)",
                "$[8]",
                "$[9].id",
            ]
        );
        assert!(d.rejected[2].reason.contains("negative"), "{}", d.rejected[2].reason);
    }

    #[test]
    fn broken_json_is_a_decode_error_with_line_and_column() {
        let err = decode(b"[\n  {\"traceId\": \"1\",\n  oops}\n]").unwrap_err();
        assert_eq!(err.format, Format::ZipkinJson);
        assert_eq!(err.location, Location::LineColumn { line: 3, column: 3 });
        assert!(decode(b"").is_err());
        assert!(decode(b"42").is_err());
    }

    #[test]
    fn addresses_are_read_leniently() {
        assert_eq!(parse_ip("10.0.0.04"), Some(IpAddr::from([10, 0, 0, 4])));
        assert_eq!(parse_ip("::1"), Some("::1".parse().unwrap()));
        assert_eq!(parse_ip("10.0.0.256"), None);
        assert_eq!(parse_ip("localhost"), None);
        let (spans, rejected) =
            decode(br#"[{"traceId":"1","id":"2","localEndpoint":{"serviceName":"a","ipv4":"::1","ipv6":"nope"}}]"#)
                .unwrap();
        assert!(rejected.is_empty());
        let ep = spans[0].local_endpoint.as_ref().unwrap();
        assert!(ep.ipv4.is_empty());
        assert_eq!(ep.ipv6, "::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
    }

    #[test]
    fn duplicate_tags_keep_the_last_value() {
        let (spans, _) = decode(br#"[{"traceId":"1","id":"2","tags":{"a":"1","a":"2"}}]"#).unwrap();
        assert_eq!(spans[0].tags, vec![Tag { key: "a".into(), value: "2".into() }]);
    }

    #[test]
    fn writes_zipkin_field_order_and_omits_empty_fields() {
        let (spans, _) = decode(format!("[{CLIENT}]").as_bytes()).unwrap();
        let out = String::from_utf8(encode(&spans)).unwrap();
        assert_eq!(
            out,
            concat!(
                r#"[{"traceId":"4d1e00c0db9010db86154a4ba6e91385","parentId":"86154a4ba6e91385","#,
                r#""id":"4d1e00c0db9010db","kind":"CLIENT","name":"get","timestamp":1472470996199000,"#,
                r#""duration":207000,"localEndpoint":{"serviceName":"frontend","ipv6":"2001:db8::c001"},"#,
                r#""remoteEndpoint":{"serviceName":"backend","ipv4":"192.168.99.101","port":9000},"#,
                r#""annotations":[{"timestamp":1472470996238000,"value":"foo"}],"#,
                r#""tags":{"http.path":"/api","retries":"3","cached":"false","ratio":"0.5"},"debug":true}]"#
            )
        );
        let minimal = model::Span {
            trace_id: vec![0; 8].into_iter().chain([1; 8]).collect(),
            id: vec![2; 8],
            ..Default::default()
        };
        let out = String::from_utf8(encode(&[minimal])).unwrap();
        assert_eq!(out, r#"[{"traceId":"0101010101010101","id":"0202020202020202"}]"#);
        assert_eq!(encode(&[]), b"[]");
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        for s in ["plain", "quote \" and \\ back", "ctl \u{1}\n\t\r\u{8}\u{c}", "中文 / é"] {
            let mut out = Vec::new();
            writer::string(&mut out, s);
            assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(s).unwrap());
        }
    }
}
