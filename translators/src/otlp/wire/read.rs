//! Borrowed views over OTLP trace protobuf bytes: one validating pass, then infallible access.

use super::WireType;
use crate::otlp::model;
use crate::{DecodeError, Format, Location};
use std::marker::PhantomData;

/// prost's recursion limit: a message nested this deep may hold no further message (nor any
/// unknown field), so the views accept exactly what prost accepts.
const RECURSION_LIMIT: u32 = 100;

/// The OTLP trace messages, for validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Msg {
    Request,
    ResourceSpans,
    Resource,
    ScopeSpans,
    Scope,
    Span,
    Event,
    Link,
    Status,
    KeyValue,
    AnyValue,
    ArrayValue,
    KvList,
}

/// What a known field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Message(Msg),
    Str,
    Bytes,
    Varint,
    Fixed64,
    Fixed32,
    Unknown,
}

fn kind(msg: Msg, field: u32) -> Kind {
    use Kind::*;
    match (msg, field) {
        (Msg::Request, 1) => Message(Msg::ResourceSpans),
        (Msg::ResourceSpans, 1) => Message(Msg::Resource),
        (Msg::ResourceSpans, 2) => Message(Msg::ScopeSpans),
        (Msg::ResourceSpans, 3) => Str,
        (Msg::Resource, 1) => Message(Msg::KeyValue),
        (Msg::Resource, 2) => Varint,
        (Msg::ScopeSpans, 1) => Message(Msg::Scope),
        (Msg::ScopeSpans, 2) => Message(Msg::Span),
        (Msg::ScopeSpans, 3) => Str,
        (Msg::Scope, 1 | 2) => Str,
        (Msg::Scope, 3) => Message(Msg::KeyValue),
        (Msg::Scope, 4) => Varint,
        (Msg::Span, 1 | 2 | 4) => Bytes,
        (Msg::Span, 3 | 5) => Str,
        (Msg::Span, 6 | 10 | 12 | 14) => Varint,
        (Msg::Span, 7 | 8) => Fixed64,
        (Msg::Span, 9) => Message(Msg::KeyValue),
        (Msg::Span, 11) => Message(Msg::Event),
        (Msg::Span, 13) => Message(Msg::Link),
        (Msg::Span, 15) => Message(Msg::Status),
        (Msg::Span, 16) => Fixed32,
        (Msg::Event, 1) => Fixed64,
        (Msg::Event, 2) => Str,
        (Msg::Event, 3) => Message(Msg::KeyValue),
        (Msg::Event, 4) => Varint,
        (Msg::Link, 1 | 2) => Bytes,
        (Msg::Link, 3) => Str,
        (Msg::Link, 4) => Message(Msg::KeyValue),
        (Msg::Link, 5) => Varint,
        (Msg::Link, 6) => Fixed32,
        (Msg::Status, 2) => Str,
        (Msg::Status, 3) => Varint,
        (Msg::KeyValue, 1) => Str,
        (Msg::KeyValue, 2) => Message(Msg::AnyValue),
        (Msg::AnyValue, 1) => Str,
        (Msg::AnyValue, 2 | 3) => Varint,
        (Msg::AnyValue, 4) => Fixed64,
        (Msg::AnyValue, 5) => Message(Msg::ArrayValue),
        (Msg::AnyValue, 6) => Message(Msg::KvList),
        (Msg::AnyValue, 7) => Bytes,
        (Msg::ArrayValue, 1) => Message(Msg::AnyValue),
        (Msg::KvList, 1) => Message(Msg::KeyValue),
        _ => Unknown,
    }
}

/// Singular message fields, which protobuf merges when they occur more than once.
fn is_singular_message(msg: Msg, field: u32) -> bool {
    matches!(
        (msg, field),
        (Msg::ResourceSpans, 1) | (Msg::ScopeSpans, 1) | (Msg::Span, 15) | (Msg::KeyValue, 2)
    )
}

/// A validation failure: absolute offset and reason.
struct Invalid(usize, &'static str);

/// Reads a varint at `*pos` (prost's rules: at most 10 bytes, the 10th at most 1).
#[inline(always)]
fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    // Most varints (keys, lengths, small ints) take one byte.
    match buf.get(*pos) {
        Some(&b) if b < 0x80 => {
            *pos += 1;
            Some(u64::from(b))
        }
        _ => varint_slow(buf, pos),
    }
}

#[inline(never)]
fn varint_slow(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for i in 0..10 {
        let b = *buf.get(*pos + i)?;
        if i == 9 && b >= 0x02 {
            return None;
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            *pos += i + 1;
            return Some(value);
        }
    }
    None
}

/// Checks that `bytes` are UTF-8: ASCII eight bytes at a time, `from_utf8` otherwise.
#[inline(always)]
fn is_utf8(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    let mut high = 0u64;
    for c in chunks.by_ref() {
        high |= u64::from_le_bytes(c.try_into().unwrap_or_default());
    }
    for &b in chunks.remainder() {
        high |= u64::from(b);
    }
    high & 0x8080_8080_8080_8080 == 0 || std::str::from_utf8(bytes).is_ok()
}

#[inline]
fn fixed<const N: usize>(buf: &[u8], pos: &mut usize) -> Option<[u8; N]> {
    let bytes = buf.get(*pos..)?.first_chunk::<N>()?;
    *pos += N;
    Some(*bytes)
}

#[inline]
fn len_delimited<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let len = varint(buf, pos)?;
    let rest = buf.get(*pos..)?;
    if len > rest.len() as u64 {
        return None;
    }
    *pos += len as usize;
    Some(&rest[..len as usize])
}

/// Reads a key: field number (≥ 1) and wire type.
#[inline]
fn key(buf: &[u8], pos: &mut usize) -> Result<(u32, WireType), &'static str> {
    let key = varint(buf, pos).ok_or("invalid varint")?;
    if key > u64::from(u32::MAX) {
        return Err("invalid key");
    }
    let wire_type = match key & 7 {
        0 => WireType::Varint,
        1 => WireType::SixtyFourBit,
        2 => WireType::LengthDelimited,
        3 => WireType::StartGroup,
        4 => WireType::EndGroup,
        5 => WireType::ThirtyTwoBit,
        _ => return Err("invalid wire type"),
    };
    let field = (key as u32) >> 3;
    if field == 0 {
        return Err("invalid field number 0");
    }
    Ok((field, wire_type))
}

/// A `KeyValue` body in the shape every writer uses: the key field, then the value field,
/// both with one-byte lengths and nothing else. `None` for any other shape (read the slow way).
#[inline(always)]
fn split_key_value(body: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&[0x0a, klen], rest) = body.split_first_chunk::<2>()? else { return None };
    if klen >= 0x80 {
        return None;
    }
    let (key, rest) = rest.split_at_checked(usize::from(klen))?;
    let (&[0x12, vlen], value) = rest.split_first_chunk::<2>()? else { return None };
    (vlen < 0x80 && usize::from(vlen) == value.len()).then_some((key, value))
}

/// An `AnyValue` body holding exactly one scalar field (string, bool, int, double, bytes)
/// with a one-byte length, as its view; `None` for any other shape.
#[inline(always)]
fn single_scalar(body: &[u8]) -> Option<AnyValueView<'_>> {
    let (&tag, rest) = body.split_first()?;
    match tag {
        0x0a | 0x3a => {
            let (&len, bytes) = rest.split_first()?;
            if len >= 0x80 || usize::from(len) != bytes.len() {
                return None;
            }
            if tag == 0x3a {
                return Some(AnyValueView::Bytes(bytes));
            }
            Some(AnyValueView::String(text(bytes)))
        }
        0x10 | 0x18 => {
            let mut pos = 1;
            let n = varint(body, &mut pos)?;
            if pos != body.len() {
                return None;
            }
            Some(if tag == 0x10 { AnyValueView::Bool(n != 0) } else { AnyValueView::Int(n as i64) })
        }
        0x21 => {
            let bits: [u8; 8] = rest.try_into().ok()?;
            Some(AnyValueView::Double(f64::from_bits(u64::from_le_bytes(bits))))
        }
        _ => None,
    }
}

/// Validates an `AnyValue` body of [`single_scalar`]'s shape; false for any other shape or
/// bad content (the general path then names the error).
#[inline(always)]
fn valid_single_scalar(body: &[u8]) -> bool {
    let Some((&tag, rest)) = body.split_first() else { return false };
    match tag {
        0x0a | 0x3a => rest.split_first().is_some_and(|(&len, s)| {
            len < 0x80 && usize::from(len) == s.len() && (tag == 0x3a || is_utf8(s))
        }),
        0x10 | 0x18 => {
            let mut pos = 1;
            varint(body, &mut pos).is_some() && pos == body.len()
        }
        0x21 => rest.len() == 8,
        _ => false,
    }
}

struct Validator<'a> {
    input: &'a [u8],
    needs_merge: bool,
}

impl Validator<'_> {
    /// Checks one message body `input[start..end]` read with prost recursion budget `ctx`.
    fn message(&mut self, msg: Msg, start: usize, end: usize, ctx: u32) -> Result<(), Invalid> {
        let buf = &self.input[..end];
        // The common attribute shape, checked without the general loop.
        if msg == Msg::KeyValue && ctx > 0 {
            if let Some((key, value)) = buf.get(start..).and_then(split_key_value) {
                if is_utf8(key) && valid_single_scalar(value) {
                    return Ok(());
                }
            }
        }
        let mut pos = start;
        // Bit per singular message field seen, and the last oneof field of an AnyValue.
        let mut seen = 0u32;
        let mut last_oneof = 0u32;
        while pos < end {
            let at = pos;
            let (field, wire_type) = key(buf, &mut pos).map_err(|e| Invalid(at, e))?;
            let k = kind(msg, field);
            if k == Kind::Unknown {
                self.skip(buf, &mut pos, field, wire_type, ctx)?;
                continue;
            }
            let expected = match k {
                Kind::Varint => WireType::Varint,
                Kind::Fixed64 => WireType::SixtyFourBit,
                Kind::Fixed32 => WireType::ThirtyTwoBit,
                _ => WireType::LengthDelimited,
            };
            if wire_type != expected {
                return Err(Invalid(at, "wrong wire type for the field"));
            }
            match k {
                Kind::Varint => {
                    varint(buf, &mut pos).ok_or(Invalid(at, "invalid varint"))?;
                }
                Kind::Fixed64 => {
                    fixed::<8>(buf, &mut pos).ok_or(Invalid(at, "truncated fixed64"))?;
                }
                Kind::Fixed32 => {
                    fixed::<4>(buf, &mut pos).ok_or(Invalid(at, "truncated fixed32"))?;
                }
                Kind::Str => {
                    let s = len_delimited(buf, &mut pos)
                        .ok_or(Invalid(at, "length larger than the bytes left"))?;
                    if !is_utf8(s) {
                        return Err(Invalid(at, "string is not valid UTF-8"));
                    }
                }
                Kind::Bytes => {
                    len_delimited(buf, &mut pos)
                        .ok_or(Invalid(at, "length larger than the bytes left"))?;
                }
                Kind::Message(inner) => {
                    let body = len_delimited(buf, &mut pos)
                        .ok_or(Invalid(at, "length larger than the bytes left"))?;
                    if ctx == 0 {
                        return Err(Invalid(at, "recursion limit reached"));
                    }
                    if is_singular_message(msg, field) {
                        if seen & (1 << (field & 31)) != 0 {
                            self.needs_merge = true;
                        }
                        seen |= 1 << (field & 31);
                    }
                    if msg == Msg::AnyValue && last_oneof == field {
                        self.needs_merge = true;
                    }
                    // An attribute of the usual shape is checked here, without a call.
                    let checked = inner == Msg::KeyValue
                        && ctx > 1
                        && split_key_value(body)
                            .is_some_and(|(k, v)| is_utf8(k) && valid_single_scalar(v));
                    if !checked {
                        self.message(inner, pos - body.len(), pos, ctx - 1)?;
                    }
                }
                Kind::Unknown => unreachable!("handled above"),
            }
            if msg == Msg::AnyValue {
                last_oneof = field;
            }
        }
        Ok(())
    }

    /// Skips an unknown field as prost does (groups included, with the same limits).
    fn skip(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        field: u32,
        wire_type: WireType,
        ctx: u32,
    ) -> Result<(), Invalid> {
        let at = *pos;
        if ctx == 0 {
            return Err(Invalid(at, "recursion limit reached"));
        }
        let ok = match wire_type {
            WireType::Varint => varint(buf, pos).is_some(),
            WireType::SixtyFourBit => fixed::<8>(buf, pos).is_some(),
            WireType::ThirtyTwoBit => fixed::<4>(buf, pos).is_some(),
            WireType::LengthDelimited => len_delimited(buf, pos).is_some(),
            WireType::StartGroup => loop {
                let inner_at = *pos;
                let (inner, inner_type) = key(buf, pos).map_err(|e| Invalid(inner_at, e))?;
                if inner_type == WireType::EndGroup {
                    if inner != field {
                        return Err(Invalid(inner_at, "unexpected end group tag"));
                    }
                    break true;
                }
                self.skip(buf, pos, inner, inner_type, ctx - 1)?;
            },
            WireType::EndGroup => return Err(Invalid(at, "unexpected end group tag")),
        };
        if ok {
            Ok(())
        } else {
            Err(Invalid(at, "truncated field"))
        }
    }
}

/// One field as read from validated bytes.
#[derive(Debug, Clone, Copy)]
enum Val<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Len(&'a [u8]),
    Group,
}

/// The fields of a validated message body, in order. Stops at the first malformed byte (which
/// validation has ruled out).
#[derive(Debug, Clone)]
struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Fields { buf, pos: 0 }
    }

    fn skip_group(&mut self) -> Option<()> {
        let mut depth = 1usize;
        loop {
            let (_, wire_type) = key(self.buf, &mut self.pos).ok()?;
            match wire_type {
                WireType::StartGroup => depth += 1,
                WireType::EndGroup => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(());
                    }
                }
                WireType::Varint => {
                    varint(self.buf, &mut self.pos)?;
                }
                WireType::SixtyFourBit => {
                    fixed::<8>(self.buf, &mut self.pos)?;
                }
                WireType::ThirtyTwoBit => {
                    fixed::<4>(self.buf, &mut self.pos)?;
                }
                WireType::LengthDelimited => {
                    len_delimited(self.buf, &mut self.pos)?;
                }
            }
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = (u32, Val<'a>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let Ok((field, wire_type)) = key(self.buf, &mut self.pos) else {
            self.pos = self.buf.len();
            return None;
        };
        let val = match wire_type {
            WireType::Varint => varint(self.buf, &mut self.pos).map(Val::Varint),
            WireType::SixtyFourBit => {
                fixed::<8>(self.buf, &mut self.pos).map(|b| Val::Fixed64(u64::from_le_bytes(b)))
            }
            WireType::ThirtyTwoBit => {
                fixed::<4>(self.buf, &mut self.pos).map(|b| Val::Fixed32(u32::from_le_bytes(b)))
            }
            WireType::LengthDelimited => len_delimited(self.buf, &mut self.pos).map(Val::Len),
            WireType::StartGroup => self.skip_group().map(|()| Val::Group),
            WireType::EndGroup => None,
        };
        match val {
            Some(v) => Some((field, v)),
            None => {
                self.pos = self.buf.len();
                None
            }
        }
    }
}

/// Text of a validated `string` field.
#[inline]
fn text(bytes: &[u8]) -> &str {
    // Validated by `TracesView::parse`; the fallback is never taken.
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// A view made from a message body (what [`Messages`] yields).
pub trait FromBody<'a> {
    /// The view of a validated message body.
    fn from_body(body: &'a [u8]) -> Self;
}

/// The messages held in one repeated message field of a body, as views.
#[derive(Debug, Clone)]
pub struct Messages<'a, T> {
    fields: Fields<'a>,
    field: u32,
    view: PhantomData<fn() -> T>,
}

impl<'a, T> Messages<'a, T> {
    #[inline]
    fn new(body: &'a [u8], field: u32) -> Self {
        Messages { fields: Fields::new(body), field, view: PhantomData }
    }
}

impl<'a, T: FromBody<'a>> Iterator for Messages<'a, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        for (field, val) in self.fields.by_ref() {
            if let (true, Val::Len(body)) = (field == self.field, val) {
                return Some(T::from_body(body));
            }
        }
        None
    }
}

/// Attributes (`repeated KeyValue`), in order.
pub type KeyValues<'a> = Messages<'a, KeyValueView<'a>>;

/// Counts the spans of an `ExportTraceServiceRequest` by its field structure alone (resource spans →
/// scope spans → spans), without checking or reading the spans: for bytes this crate wrote itself.
/// Malformed input gives a count of what could be walked, never a panic.
pub fn count_spans_unchecked(request: &[u8]) -> usize {
    fn within(body: &[u8], wanted: u32) -> impl Iterator<Item = &[u8]> {
        Fields::new(body).filter_map(move |(field, val)| match val {
            Val::Len(inner) if field == wanted => Some(inner),
            _ => None,
        })
    }
    within(request, 1).flat_map(|rs| within(rs, 2)).map(|ss| within(ss, 2).count()).sum()
}

/// A checked `ExportTraceServiceRequest` (or `TracesData`: same bytes).
#[derive(Debug, Clone, Copy)]
pub struct TracesView<'a> {
    bytes: &'a [u8],
    needs_merge: bool,
}

impl<'a> TracesView<'a> {
    /// Checks `bytes` as prost would decode them: wire format, lengths, UTF-8 of every string,
    /// nesting. Errors name [`Format::OtlpProto`] and the byte offset of the bad field.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut v = Validator { input: bytes, needs_merge: false };
        v.message(Msg::Request, 0, bytes.len(), RECURSION_LIMIT).map_err(|Invalid(at, why)| {
            DecodeError::new(Format::OtlpProto, Location::Offset(at), why)
        })?;
        Ok(TracesView { bytes, needs_merge: v.needs_merge })
    }

    /// True when a singular message field (a resource, scope, status, attribute value or
    /// array/kvlist value) occurs more than once in one message. Protobuf merges such
    /// occurrences; these views show the last one only.
    pub fn needs_merge(&self) -> bool {
        self.needs_merge
    }

    /// The request's bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The resource spans, in order.
    pub fn resource_spans(&self) -> Messages<'a, ResourceSpansView<'a>> {
        Messages::new(self.bytes, 1)
    }

    /// Number of spans in the request.
    pub fn span_count(&self) -> usize {
        self.resource_spans().flat_map(|rs| rs.scope_spans()).map(|ss| ss.spans().count()).sum()
    }
}

/// `ResourceSpans`.
#[derive(Debug, Clone, Copy)]
pub struct ResourceSpansView<'a> {
    /// The resource, when present.
    pub resource: Option<ResourceView<'a>>,
    /// Schema URL.
    pub schema_url: &'a str,
    body: &'a [u8],
}

impl<'a> FromBody<'a> for ResourceSpansView<'a> {
    #[inline]
    fn from_body(body: &'a [u8]) -> Self {
        Self::new(body)
    }
}

impl<'a> ResourceSpansView<'a> {
    #[inline]
    fn new(body: &'a [u8]) -> Self {
        let mut v = ResourceSpansView { resource: None, schema_url: "", body };
        for (field, val) in Fields::new(body) {
            match (field, val) {
                (1, Val::Len(b)) => v.resource = Some(ResourceView::new(b)),
                (3, Val::Len(b)) => v.schema_url = text(b),
                _ => {}
            }
        }
        v
    }

    /// The scope spans, in order.
    pub fn scope_spans(&self) -> Messages<'a, ScopeSpansView<'a>> {
        Messages::new(self.body, 2)
    }
}

/// `Resource`.
#[derive(Debug, Clone, Copy)]
pub struct ResourceView<'a> {
    /// Attributes dropped by the sender.
    pub dropped_attributes_count: u32,
    body: &'a [u8],
}

impl<'a> FromBody<'a> for ResourceView<'a> {
    #[inline]
    fn from_body(body: &'a [u8]) -> Self {
        Self::new(body)
    }
}

impl<'a> ResourceView<'a> {
    #[inline]
    fn new(body: &'a [u8]) -> Self {
        let mut dropped_attributes_count = 0;
        for (field, val) in Fields::new(body) {
            if let (2, Val::Varint(n)) = (field, val) {
                dropped_attributes_count = n as u32;
            }
        }
        ResourceView { dropped_attributes_count, body }
    }

    /// The attributes, in order.
    pub fn attributes(&self) -> KeyValues<'a> {
        Messages::new(self.body, 1)
    }

    /// The message body as it was read (equal bodies are equal resources).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.body
    }
}

/// `ScopeSpans`.
#[derive(Debug, Clone, Copy)]
pub struct ScopeSpansView<'a> {
    /// The scope, when present.
    pub scope: Option<ScopeView<'a>>,
    /// Schema URL.
    pub schema_url: &'a str,
    body: &'a [u8],
}

impl<'a> FromBody<'a> for ScopeSpansView<'a> {
    #[inline]
    fn from_body(body: &'a [u8]) -> Self {
        Self::new(body)
    }
}

impl<'a> ScopeSpansView<'a> {
    #[inline]
    fn new(body: &'a [u8]) -> Self {
        let mut v = ScopeSpansView { scope: None, schema_url: "", body };
        for (field, val) in Fields::new(body) {
            match (field, val) {
                (1, Val::Len(b)) => v.scope = Some(ScopeView::new(b)),
                (3, Val::Len(b)) => v.schema_url = text(b),
                _ => {}
            }
        }
        v
    }

    /// The spans, in order.
    pub fn spans(&self) -> Messages<'a, SpanView<'a>> {
        Messages::new(self.body, 2)
    }
}

/// `InstrumentationScope`.
#[derive(Debug, Clone, Copy)]
pub struct ScopeView<'a> {
    /// Name.
    pub name: &'a str,
    /// Version.
    pub version: &'a str,
    /// Attributes dropped by the sender.
    pub dropped_attributes_count: u32,
    body: &'a [u8],
}

impl<'a> FromBody<'a> for ScopeView<'a> {
    #[inline]
    fn from_body(body: &'a [u8]) -> Self {
        Self::new(body)
    }
}

impl<'a> ScopeView<'a> {
    #[inline]
    fn new(body: &'a [u8]) -> Self {
        let mut v = ScopeView { name: "", version: "", dropped_attributes_count: 0, body };
        for (field, val) in Fields::new(body) {
            match (field, val) {
                (1, Val::Len(b)) => v.name = text(b),
                (2, Val::Len(b)) => v.version = text(b),
                (4, Val::Varint(n)) => v.dropped_attributes_count = n as u32,
                _ => {}
            }
        }
        v
    }

    /// The attributes, in order.
    pub fn attributes(&self) -> KeyValues<'a> {
        Messages::new(self.body, 3)
    }
}

/// `Span`: the scalar fields read, the repeated ones iterated on demand.
#[derive(Debug, Clone, Copy)]
pub struct SpanView<'a> {
    /// Trace id bytes (16 when valid).
    pub trace_id: &'a [u8],
    /// Span id bytes (8 when valid).
    pub span_id: &'a [u8],
    /// W3C trace state.
    pub trace_state: &'a str,
    /// Parent span id bytes (empty for a root span).
    pub parent_span_id: &'a [u8],
    /// Span flags.
    pub flags: u32,
    /// Name.
    pub name: &'a str,
    /// Kind as its enum number.
    pub kind: i32,
    /// Start, ns since the epoch.
    pub start_time_unix_nano: u64,
    /// End, ns since the epoch.
    pub end_time_unix_nano: u64,
    /// Attributes dropped by the sender.
    pub dropped_attributes_count: u32,
    /// Events dropped by the sender.
    pub dropped_events_count: u32,
    /// Links dropped by the sender.
    pub dropped_links_count: u32,
    /// Status, when present.
    pub status: Option<StatusView<'a>>,
    /// From the first to the end of the last attribute, event and link field (so that
    /// iterating them does not rescan the whole span).
    attributes: &'a [u8],
    events: &'a [u8],
    links: &'a [u8],
}

impl<'a> FromBody<'a> for SpanView<'a> {
    #[inline]
    fn from_body(body: &'a [u8]) -> Self {
        Self::new(body)
    }
}

impl<'a> SpanView<'a> {
    #[inline]
    fn new(body: &'a [u8]) -> Self {
        let mut s = SpanView {
            trace_id: &[],
            span_id: &[],
            trace_state: "",
            parent_span_id: &[],
            flags: 0,
            name: "",
            kind: 0,
            start_time_unix_nano: 0,
            end_time_unix_nano: 0,
            dropped_attributes_count: 0,
            dropped_events_count: 0,
            dropped_links_count: 0,
            status: None,
            attributes: &[],
            events: &[],
            links: &[],
        };
        // Where each repeated field starts and ends (first and last occurrence).
        let mut ranges = [(usize::MAX, 0usize); 3];
        let mut fields = Fields::new(body);
        loop {
            let at = fields.pos;
            let Some((field, val)) = fields.next() else { break };
            let repeated = match field {
                9 => 0,
                11 => 1,
                13 => 2,
                _ => 3,
            };
            if let Some(r) = ranges.get_mut(repeated) {
                r.0 = r.0.min(at);
                r.1 = fields.pos;
                continue;
            }
            match (field, val) {
                (1, Val::Len(b)) => s.trace_id = b,
                (2, Val::Len(b)) => s.span_id = b,
                (3, Val::Len(b)) => s.trace_state = text(b),
                (4, Val::Len(b)) => s.parent_span_id = b,
                (5, Val::Len(b)) => s.name = text(b),
                (6, Val::Varint(n)) => s.kind = n as i32,
                (7, Val::Fixed64(n)) => s.start_time_unix_nano = n,
                (8, Val::Fixed64(n)) => s.end_time_unix_nano = n,
                (10, Val::Varint(n)) => s.dropped_attributes_count = n as u32,
                (12, Val::Varint(n)) => s.dropped_events_count = n as u32,
                (14, Val::Varint(n)) => s.dropped_links_count = n as u32,
                (15, Val::Len(b)) => s.status = Some(StatusView::new(b)),
                (16, Val::Fixed32(n)) => s.flags = n,
                _ => {}
            }
        }
        let range = |(start, end): (usize, usize)| body.get(start..end).unwrap_or_default();
        s.attributes = range(ranges[0]);
        s.events = range(ranges[1]);
        s.links = range(ranges[2]);
        s
    }

    /// The attributes, in order.
    #[inline]
    pub fn attributes(&self) -> KeyValues<'a> {
        Messages::new(self.attributes, 9)
    }

    /// The events, in order.
    #[inline]
    pub fn events(&self) -> Messages<'a, EventView<'a>> {
        Messages::new(self.events, 11)
    }

    /// The links, in order.
    #[inline]
    pub fn links(&self) -> Messages<'a, LinkView<'a>> {
        Messages::new(self.links, 13)
    }
}

/// `Span.Event`.
#[derive(Debug, Clone, Copy)]
pub struct EventView<'a> {
    /// Time, ns since the epoch.
    pub time_unix_nano: u64,
    /// Name.
    pub name: &'a str,
    /// Attributes dropped by the sender.
    pub dropped_attributes_count: u32,
    body: &'a [u8],
}

impl<'a> FromBody<'a> for EventView<'a> {
    #[inline]
    fn from_body(body: &'a [u8]) -> Self {
        Self::new(body)
    }
}

impl<'a> EventView<'a> {
    #[inline]
    fn new(body: &'a [u8]) -> Self {
        let mut e = EventView { time_unix_nano: 0, name: "", dropped_attributes_count: 0, body };
        for (field, val) in Fields::new(body) {
            match (field, val) {
                (1, Val::Fixed64(n)) => e.time_unix_nano = n,
                (2, Val::Len(b)) => e.name = text(b),
                (4, Val::Varint(n)) => e.dropped_attributes_count = n as u32,
                _ => {}
            }
        }
        e
    }

    /// The attributes, in order.
    pub fn attributes(&self) -> KeyValues<'a> {
        Messages::new(self.body, 3)
    }
}

/// `Span.Link`.
#[derive(Debug, Clone, Copy)]
pub struct LinkView<'a> {
    /// Linked trace id bytes.
    pub trace_id: &'a [u8],
    /// Linked span id bytes.
    pub span_id: &'a [u8],
    /// Trace state of the linked span.
    pub trace_state: &'a str,
    /// Flags of the linked span.
    pub flags: u32,
    /// Attributes dropped by the sender.
    pub dropped_attributes_count: u32,
    body: &'a [u8],
}

impl<'a> FromBody<'a> for LinkView<'a> {
    #[inline]
    fn from_body(body: &'a [u8]) -> Self {
        Self::new(body)
    }
}

impl<'a> LinkView<'a> {
    #[inline]
    fn new(body: &'a [u8]) -> Self {
        let mut l = LinkView {
            trace_id: &[],
            span_id: &[],
            trace_state: "",
            flags: 0,
            dropped_attributes_count: 0,
            body,
        };
        for (field, val) in Fields::new(body) {
            match (field, val) {
                (1, Val::Len(b)) => l.trace_id = b,
                (2, Val::Len(b)) => l.span_id = b,
                (3, Val::Len(b)) => l.trace_state = text(b),
                (5, Val::Varint(n)) => l.dropped_attributes_count = n as u32,
                (6, Val::Fixed32(n)) => l.flags = n,
                _ => {}
            }
        }
        l
    }

    /// The attributes, in order.
    pub fn attributes(&self) -> KeyValues<'a> {
        Messages::new(self.body, 4)
    }
}

/// `Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusView<'a> {
    /// Message.
    pub message: &'a str,
    /// Code as its enum number.
    pub code: i32,
}

impl<'a> FromBody<'a> for StatusView<'a> {
    #[inline]
    fn from_body(body: &'a [u8]) -> Self {
        Self::new(body)
    }
}

impl<'a> StatusView<'a> {
    #[inline]
    fn new(body: &'a [u8]) -> Self {
        let mut s = StatusView { message: "", code: 0 };
        for (field, val) in Fields::new(body) {
            match (field, val) {
                (2, Val::Len(b)) => s.message = text(b),
                (3, Val::Varint(n)) => s.code = n as i32,
                _ => {}
            }
        }
        s
    }
}

/// `KeyValue`: an attribute.
#[derive(Debug, Clone, Copy)]
pub struct KeyValueView<'a> {
    /// Key.
    pub key: &'a str,
    /// Value; `None` when the message has no value field (prost: `value: None`).
    pub value: Option<AnyValueView<'a>>,
}

impl<'a> FromBody<'a> for KeyValueView<'a> {
    #[inline]
    fn from_body(body: &'a [u8]) -> Self {
        Self::new(body)
    }
}

impl<'a> KeyValueView<'a> {
    #[inline]
    fn new(body: &'a [u8]) -> Self {
        if let Some((key, value)) = split_key_value(body) {
            if let [0x0a, len, s @ ..] = value {
                // A string value: every byte around key and value is below 0x80, so one
                // check of the whole body gives both.
                if *len < 0x80 && usize::from(*len) == s.len() {
                    let whole = std::str::from_utf8(body).ok();
                    let kv = whole.and_then(|w| {
                        Some((w.get(2..2 + key.len())?, w.get(body.len() - s.len()..)?))
                    });
                    if let Some((key, value)) = kv {
                        return KeyValueView { key, value: Some(AnyValueView::String(value)) };
                    }
                }
            }
            return KeyValueView { key: text(key), value: Some(AnyValueView::new(value)) };
        }
        let mut kv = KeyValueView { key: "", value: None };
        for (field, val) in Fields::new(body) {
            match (field, val) {
                (1, Val::Len(b)) => kv.key = text(b),
                (2, Val::Len(b)) => kv.value = Some(AnyValueView::new(b)),
                _ => {}
            }
        }
        kv
    }

    /// The owned model attribute.
    pub fn to_model(&self) -> model::KeyValue {
        model::KeyValue {
            key: self.key.to_string(),
            value: self.value.as_ref().map(AnyValueView::to_model),
        }
    }
}

/// `AnyValue`: one of its variants, or `Empty` when none is set.
#[derive(Debug, Clone, Copy)]
pub enum AnyValueView<'a> {
    /// No variant set.
    Empty,
    /// UTF-8 text.
    String(&'a str),
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Double.
    Double(f64),
    /// Bytes.
    Bytes(&'a [u8]),
    /// Array of values.
    Array(ArrayView<'a>),
    /// List of key/value pairs.
    KvList(KvListView<'a>),
}

impl<'a> FromBody<'a> for AnyValueView<'a> {
    #[inline]
    fn from_body(body: &'a [u8]) -> Self {
        Self::new(body)
    }
}

impl<'a> AnyValueView<'a> {
    #[inline]
    fn new(body: &'a [u8]) -> Self {
        if let Some(v) = single_scalar(body) {
            return v;
        }
        let mut v = AnyValueView::Empty;
        for (field, val) in Fields::new(body) {
            v = match (field, val) {
                (1, Val::Len(b)) => AnyValueView::String(text(b)),
                (2, Val::Varint(n)) => AnyValueView::Bool(n != 0),
                (3, Val::Varint(n)) => AnyValueView::Int(n as i64),
                (4, Val::Fixed64(n)) => AnyValueView::Double(f64::from_bits(n)),
                (5, Val::Len(b)) => AnyValueView::Array(ArrayView { body: b }),
                (6, Val::Len(b)) => AnyValueView::KvList(KvListView { body: b }),
                (7, Val::Len(b)) => AnyValueView::Bytes(b),
                _ => continue,
            };
        }
        v
    }

    /// The owned model value.
    pub fn to_model(&self) -> model::AnyValue {
        use model::any_value::Value;
        let value = match *self {
            AnyValueView::Empty => None,
            AnyValueView::String(s) => Some(Value::StringValue(s.to_string())),
            AnyValueView::Bool(b) => Some(Value::BoolValue(b)),
            AnyValueView::Int(i) => Some(Value::IntValue(i)),
            AnyValueView::Double(d) => Some(Value::DoubleValue(d)),
            AnyValueView::Bytes(b) => Some(Value::BytesValue(b.to_vec())),
            AnyValueView::Array(a) => Some(Value::ArrayValue(model::ArrayValue {
                values: a.values().map(|v| v.to_model()).collect(),
            })),
            AnyValueView::KvList(kv) => Some(Value::KvlistValue(model::KeyValueList {
                values: kv.values().map(|kv| kv.to_model()).collect(),
            })),
        };
        model::AnyValue { value }
    }
}

/// `ArrayValue`.
#[derive(Debug, Clone, Copy)]
pub struct ArrayView<'a> {
    body: &'a [u8],
}

impl<'a> ArrayView<'a> {
    /// The elements, in order.
    pub fn values(&self) -> Messages<'a, AnyValueView<'a>> {
        Messages::new(self.body, 1)
    }
}

/// `KeyValueList`.
#[derive(Debug, Clone, Copy)]
pub struct KvListView<'a> {
    body: &'a [u8],
}

impl<'a> KvListView<'a> {
    /// The pairs, in order.
    pub fn values(&self) -> KeyValues<'a> {
        Messages::new(self.body, 1)
    }
}
