//! Borrowed views over OTLP trace protobuf bytes: one validating pass that records what the
//! views hand out, then infallible access.

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
                    let checked = ctx > 1
                        && match inner {
                            Msg::KeyValue => split_key_value(body)
                                .is_some_and(|(k, v)| is_utf8(k) && valid_single_scalar(v)),
                            // An array element holding one scalar.
                            Msg::AnyValue => valid_single_scalar(body),
                            _ => false,
                        };
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
    Fixed32,
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
            WireType::ThirtyTwoBit => fixed::<4>(self.buf, &mut self.pos).map(|_| Val::Fixed32),
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

/// A field as the typed parser reads it: scalars decoded, strings checked, message bodies as
/// offsets into the input.
#[derive(Clone, Copy)]
enum F<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Str(&'a str),
    Bytes(&'a [u8]),
    Msg(usize, usize),
    /// An unknown field, skipped.
    Skipped,
}

/// Where the records of one message's repeated field are in their `Vec` of [`Index`].
type Span32 = (usize, usize);

/// Everything a request holds that the views hand out, recorded in one validating pass:
/// repeated messages as records in input order, each parent holding the range of its
/// children. Attributes are kept per owner type (children of one type never interleave, so
/// one owner's attributes are contiguous).
#[derive(Debug, Clone, Default)]
struct Index<'a> {
    resource_spans: Vec<ResourceSpansRec<'a>>,
    scope_spans: Vec<ScopeSpansRec<'a>>,
    spans: Vec<SpanRec<'a>>,
    events: Vec<EventRec<'a>>,
    links: Vec<LinkRec<'a>>,
    resource_kvs: Vec<KeyValueView<'a>>,
    scope_kvs: Vec<KeyValueView<'a>>,
    span_kvs: Vec<KeyValueView<'a>>,
    event_kvs: Vec<KeyValueView<'a>>,
    link_kvs: Vec<KeyValueView<'a>>,
    /// The elements of attribute values that are arrays of scalars (the usual arrays).
    array_values: Vec<AnyValueView<'a>>,
}

fn slice<T>(all: &[T], (start, end): Span32) -> &[T] {
    all.get(start..end).unwrap_or_default()
}

#[derive(Debug, Clone, Copy)]
struct ResourceSpansRec<'a> {
    resource: Option<ResourceRec<'a>>,
    schema_url: &'a str,
    scope_spans: Span32,
}

#[derive(Debug, Clone, Copy)]
struct ResourceRec<'a> {
    dropped_attributes_count: u32,
    attributes: Span32,
    body: &'a [u8],
}

#[derive(Debug, Clone, Copy)]
struct ScopeSpansRec<'a> {
    scope: Option<ScopeRec<'a>>,
    schema_url: &'a str,
    spans: Span32,
}

#[derive(Debug, Clone, Copy)]
struct ScopeRec<'a> {
    name: &'a str,
    version: &'a str,
    dropped_attributes_count: u32,
    attributes: Span32,
}

#[derive(Debug, Clone, Copy)]
struct SpanRec<'a> {
    /// The scalar fields (its slices empty until a view is handed out).
    view: SpanView<'a>,
    attributes: Span32,
    events: Span32,
    links: Span32,
}

#[derive(Debug, Clone, Copy)]
struct EventRec<'a> {
    time_unix_nano: u64,
    name: &'a str,
    dropped_attributes_count: u32,
    attributes: Span32,
}

#[derive(Debug, Clone, Copy)]
struct LinkRec<'a> {
    trace_id: &'a [u8],
    span_id: &'a [u8],
    trace_state: &'a str,
    flags: u32,
    dropped_attributes_count: u32,
    attributes: Span32,
}

/// An `AnyValue` body holding exactly one scalar field with a one-byte length, checked
/// (UTF-8 included) and read; `None` for any other shape or bad content (the general path
/// then reads it or names the error).
#[inline(always)]
fn checked_single_scalar(body: &[u8]) -> Option<AnyValueView<'_>> {
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
            std::str::from_utf8(bytes).ok().map(AnyValueView::String)
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

/// The one validating pass: reads every field exactly as [`Validator`] checks it (same
/// errors at the same offsets, same merge flag) and records what the views hand out.
/// Array and key/value-list values are checked by [`Validator`] and read lazily.
struct Parser<'a> {
    v: Validator<'a>,
    index: Index<'a>,
}

impl<'a> Parser<'a> {
    /// Reads the next field of a `msg` body ending at `end`.
    #[inline(always)]
    fn field(
        &mut self,
        msg: Msg,
        pos: &mut usize,
        end: usize,
        ctx: u32,
    ) -> Result<(u32, F<'a>), Invalid> {
        let input: &'a [u8] = self.v.input;
        let buf = &input[..end];
        let at = *pos;
        let (field, wire_type) = key(buf, pos).map_err(|e| Invalid(at, e))?;
        let k = kind(msg, field);
        if k == Kind::Unknown {
            self.v.skip(buf, pos, field, wire_type, ctx)?;
            return Ok((field, F::Skipped));
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
        let f = match k {
            Kind::Varint => F::Varint(varint(buf, pos).ok_or(Invalid(at, "invalid varint"))?),
            Kind::Fixed64 => F::Fixed64(u64::from_le_bytes(
                fixed::<8>(buf, pos).ok_or(Invalid(at, "truncated fixed64"))?,
            )),
            Kind::Fixed32 => F::Fixed32(u32::from_le_bytes(
                fixed::<4>(buf, pos).ok_or(Invalid(at, "truncated fixed32"))?,
            )),
            Kind::Str => {
                let s = len_delimited(buf, pos)
                    .ok_or(Invalid(at, "length larger than the bytes left"))?;
                F::Str(
                    std::str::from_utf8(s).map_err(|_| Invalid(at, "string is not valid UTF-8"))?,
                )
            }
            Kind::Bytes => F::Bytes(
                len_delimited(buf, pos).ok_or(Invalid(at, "length larger than the bytes left"))?,
            ),
            Kind::Message(_) => {
                let body = len_delimited(buf, pos)
                    .ok_or(Invalid(at, "length larger than the bytes left"))?;
                if ctx == 0 {
                    return Err(Invalid(at, "recursion limit reached"));
                }
                F::Msg(*pos - body.len(), *pos)
            }
            Kind::Unknown => F::Skipped,
        };
        Ok((field, f))
    }

    /// A singular message field seen once more: protobuf merges, the views show the last.
    #[inline]
    fn singular(&mut self, seen: &mut bool) {
        if *seen {
            self.v.needs_merge = true;
        }
        *seen = true;
    }

    fn request(&mut self, end: usize, ctx: u32) -> Result<(), Invalid> {
        let mut pos = 0;
        while pos < end {
            if let (1, F::Msg(s, e)) = self.field(Msg::Request, &mut pos, end, ctx)? {
                let rs = self.resource_spans(s, e, ctx - 1)?;
                self.index.resource_spans.push(rs);
            }
        }
        Ok(())
    }

    fn resource_spans(
        &mut self,
        mut pos: usize,
        end: usize,
        ctx: u32,
    ) -> Result<ResourceSpansRec<'a>, Invalid> {
        let first = self.index.scope_spans.len();
        let mut rec =
            ResourceSpansRec { resource: None, schema_url: "", scope_spans: (first, first) };
        let mut seen = false;
        while pos < end {
            match self.field(Msg::ResourceSpans, &mut pos, end, ctx)? {
                (1, F::Msg(s, e)) => {
                    self.singular(&mut seen);
                    rec.resource = Some(self.resource(s, e, ctx - 1)?);
                }
                (2, F::Msg(s, e)) => {
                    let ss = self.scope_spans(s, e, ctx - 1)?;
                    self.index.scope_spans.push(ss);
                }
                (3, F::Str(s)) => rec.schema_url = s,
                _ => {}
            }
        }
        rec.scope_spans.1 = self.index.scope_spans.len();
        Ok(rec)
    }

    fn resource(&mut self, start: usize, end: usize, ctx: u32) -> Result<ResourceRec<'a>, Invalid> {
        let input: &'a [u8] = self.v.input;
        let first = self.index.resource_kvs.len();
        let mut rec = ResourceRec {
            dropped_attributes_count: 0,
            attributes: (first, first),
            body: &input[start..end],
        };
        let mut pos = start;
        while pos < end {
            match self.field(Msg::Resource, &mut pos, end, ctx)? {
                (1, F::Msg(s, e)) => {
                    let kv = self.key_value(s, e, ctx - 1)?;
                    self.index.resource_kvs.push(kv);
                }
                (2, F::Varint(n)) => rec.dropped_attributes_count = n as u32,
                _ => {}
            }
        }
        rec.attributes.1 = self.index.resource_kvs.len();
        Ok(rec)
    }

    fn scope_spans(
        &mut self,
        mut pos: usize,
        end: usize,
        ctx: u32,
    ) -> Result<ScopeSpansRec<'a>, Invalid> {
        let first = self.index.spans.len();
        let mut rec = ScopeSpansRec { scope: None, schema_url: "", spans: (first, first) };
        let mut seen = false;
        while pos < end {
            match self.field(Msg::ScopeSpans, &mut pos, end, ctx)? {
                (1, F::Msg(s, e)) => {
                    self.singular(&mut seen);
                    rec.scope = Some(self.scope(s, e, ctx - 1)?);
                }
                (2, F::Msg(s, e)) => {
                    let span = self.span(s, e, ctx - 1)?;
                    self.index.spans.push(span);
                }
                (3, F::Str(s)) => rec.schema_url = s,
                _ => {}
            }
        }
        rec.spans.1 = self.index.spans.len();
        Ok(rec)
    }

    fn scope(&mut self, mut pos: usize, end: usize, ctx: u32) -> Result<ScopeRec<'a>, Invalid> {
        let first = self.index.scope_kvs.len();
        let mut rec = ScopeRec {
            name: "",
            version: "",
            dropped_attributes_count: 0,
            attributes: (first, first),
        };
        while pos < end {
            match self.field(Msg::Scope, &mut pos, end, ctx)? {
                (1, F::Str(s)) => rec.name = s,
                (2, F::Str(s)) => rec.version = s,
                (3, F::Msg(s, e)) => {
                    let kv = self.key_value(s, e, ctx - 1)?;
                    self.index.scope_kvs.push(kv);
                }
                (4, F::Varint(n)) => rec.dropped_attributes_count = n as u32,
                _ => {}
            }
        }
        rec.attributes.1 = self.index.scope_kvs.len();
        Ok(rec)
    }

    fn span(&mut self, mut pos: usize, end: usize, ctx: u32) -> Result<SpanRec<'a>, Invalid> {
        let (kvs, events, links) =
            (self.index.span_kvs.len(), self.index.events.len(), self.index.links.len());
        let mut s = SpanView::EMPTY;
        let mut seen_status = false;
        while pos < end {
            match self.field(Msg::Span, &mut pos, end, ctx)? {
                (9, F::Msg(a, b)) => {
                    let kv = self.key_value(a, b, ctx - 1)?;
                    self.index.span_kvs.push(kv);
                }
                (1, F::Bytes(b)) => s.trace_id = b,
                (2, F::Bytes(b)) => s.span_id = b,
                (3, F::Str(t)) => s.trace_state = t,
                (4, F::Bytes(b)) => s.parent_span_id = b,
                (5, F::Str(t)) => s.name = t,
                (6, F::Varint(n)) => s.kind = n as i32,
                (7, F::Fixed64(n)) => s.start_time_unix_nano = n,
                (8, F::Fixed64(n)) => s.end_time_unix_nano = n,
                (10, F::Varint(n)) => s.dropped_attributes_count = n as u32,
                (11, F::Msg(a, b)) => {
                    let event = self.event(a, b, ctx - 1)?;
                    self.index.events.push(event);
                }
                (12, F::Varint(n)) => s.dropped_events_count = n as u32,
                (13, F::Msg(a, b)) => {
                    let link = self.link(a, b, ctx - 1)?;
                    self.index.links.push(link);
                }
                (14, F::Varint(n)) => s.dropped_links_count = n as u32,
                (15, F::Msg(a, b)) => {
                    self.singular(&mut seen_status);
                    s.status = Some(self.status(a, b, ctx - 1)?);
                }
                (16, F::Fixed32(n)) => s.flags = n,
                _ => {}
            }
        }
        Ok(SpanRec {
            view: s,
            attributes: (kvs, self.index.span_kvs.len()),
            events: (events, self.index.events.len()),
            links: (links, self.index.links.len()),
        })
    }

    fn event(&mut self, mut pos: usize, end: usize, ctx: u32) -> Result<EventRec<'a>, Invalid> {
        let first = self.index.event_kvs.len();
        let mut rec = EventRec {
            time_unix_nano: 0,
            name: "",
            dropped_attributes_count: 0,
            attributes: (first, first),
        };
        while pos < end {
            match self.field(Msg::Event, &mut pos, end, ctx)? {
                (1, F::Fixed64(n)) => rec.time_unix_nano = n,
                (2, F::Str(s)) => rec.name = s,
                (3, F::Msg(s, e)) => {
                    let kv = self.key_value(s, e, ctx - 1)?;
                    self.index.event_kvs.push(kv);
                }
                (4, F::Varint(n)) => rec.dropped_attributes_count = n as u32,
                _ => {}
            }
        }
        rec.attributes.1 = self.index.event_kvs.len();
        Ok(rec)
    }

    fn link(&mut self, mut pos: usize, end: usize, ctx: u32) -> Result<LinkRec<'a>, Invalid> {
        let first = self.index.link_kvs.len();
        let mut rec = LinkRec {
            trace_id: &[],
            span_id: &[],
            trace_state: "",
            flags: 0,
            dropped_attributes_count: 0,
            attributes: (first, first),
        };
        while pos < end {
            match self.field(Msg::Link, &mut pos, end, ctx)? {
                (1, F::Bytes(b)) => rec.trace_id = b,
                (2, F::Bytes(b)) => rec.span_id = b,
                (3, F::Str(s)) => rec.trace_state = s,
                (4, F::Msg(s, e)) => {
                    let kv = self.key_value(s, e, ctx - 1)?;
                    self.index.link_kvs.push(kv);
                }
                (5, F::Varint(n)) => rec.dropped_attributes_count = n as u32,
                (6, F::Fixed32(n)) => rec.flags = n,
                _ => {}
            }
        }
        rec.attributes.1 = self.index.link_kvs.len();
        Ok(rec)
    }

    fn status(&mut self, mut pos: usize, end: usize, ctx: u32) -> Result<StatusView<'a>, Invalid> {
        let mut s = StatusView { message: "", code: 0 };
        while pos < end {
            match self.field(Msg::Status, &mut pos, end, ctx)? {
                (2, F::Str(m)) => s.message = m,
                (3, F::Varint(n)) => s.code = n as i32,
                _ => {}
            }
        }
        Ok(s)
    }

    #[inline(always)]
    fn key_value(
        &mut self,
        start: usize,
        end: usize,
        ctx: u32,
    ) -> Result<KeyValueView<'a>, Invalid> {
        let input: &'a [u8] = self.v.input;
        let body = &input[start..end];
        if ctx > 0 {
            if let Some(kv) = fast_key_value(body) {
                return Ok(kv);
            }
        }
        self.key_value_general(start, end, ctx)
    }

    #[inline(never)]
    fn key_value_general(
        &mut self,
        mut pos: usize,
        end: usize,
        ctx: u32,
    ) -> Result<KeyValueView<'a>, Invalid> {
        let mut kv = KeyValueView { key: "", value: None };
        let mut seen = false;
        while pos < end {
            match self.field(Msg::KeyValue, &mut pos, end, ctx)? {
                (1, F::Str(s)) => kv.key = s,
                (2, F::Msg(s, e)) => {
                    self.singular(&mut seen);
                    kv.value = Some(self.any_value(s, e, ctx - 1)?);
                }
                _ => {}
            }
        }
        Ok(kv)
    }

    fn any_value(
        &mut self,
        start: usize,
        end: usize,
        ctx: u32,
    ) -> Result<AnyValueView<'a>, Invalid> {
        let input: &'a [u8] = self.v.input;
        if let Some(v) = checked_single_scalar(&input[start..end]) {
            return Ok(v);
        }
        let mut v = AnyValueView::Empty;
        let mut last_oneof = 0;
        let mut pos = start;
        while pos < end {
            let (field, f) = self.field(Msg::AnyValue, &mut pos, end, ctx)?;
            v = match (field, f) {
                (_, F::Skipped) => continue,
                (1, F::Str(s)) => AnyValueView::String(s),
                (2, F::Varint(n)) => AnyValueView::Bool(n != 0),
                (3, F::Varint(n)) => AnyValueView::Int(n as i64),
                (4, F::Fixed64(n)) => AnyValueView::Double(f64::from_bits(n)),
                (5 | 6, F::Msg(s, e)) => {
                    if last_oneof == field {
                        self.v.needs_merge = true;
                    }
                    let body = &input[s..e];
                    if field == 5 {
                        let first = self.index.array_values.len();
                        if ctx > 2 && record_scalar_array(body, &mut self.index.array_values) {
                            let end = self.index.array_values.len();
                            AnyValueView::Array(ArrayView {
                                elements: Elements::Recorded(first, end),
                            })
                        } else {
                            self.v.message(Msg::ArrayValue, s, e, ctx - 1)?;
                            AnyValueView::Array(ArrayView { elements: Elements::Body(body) })
                        }
                    } else {
                        self.v.message(Msg::KvList, s, e, ctx - 1)?;
                        AnyValueView::KvList(KvListView { body })
                    }
                }
                (7, F::Bytes(b)) => AnyValueView::Bytes(b),
                _ => v,
            };
            last_oneof = field;
        }
        Ok(v)
    }
}

/// Reads an `ArrayValue` body whose elements all have [`checked_single_scalar`]'s shape and
/// content, with one-byte lengths (an array of strings or numbers as every sender writes
/// it), appending the elements to `out`: what the general check accepts without a merge.
/// False (and `out` as it was) for any other body.
#[inline]
fn record_scalar_array<'a>(body: &'a [u8], out: &mut Vec<AnyValueView<'a>>) -> bool {
    let first = out.len();
    let mut rest = body;
    while let Some((&[0x0a, len], tail)) = rest.split_first_chunk::<2>() {
        let element = (len < 0x80)
            .then(|| tail.split_at_checked(usize::from(len)))
            .flatten()
            .and_then(|(element, tail)| Some((checked_single_scalar(element)?, tail)));
        let Some((value, tail)) = element else {
            out.truncate(first);
            return false;
        };
        out.push(value);
        rest = tail;
    }
    if !rest.is_empty() {
        out.truncate(first);
        return false;
    }
    true
}

/// A `KeyValue` of the usual shape ([`split_key_value`], a [`checked_single_scalar`] value),
/// checked and read; `None` otherwise.
#[inline(always)]
fn fast_key_value(body: &[u8]) -> Option<KeyValueView<'_>> {
    let (key, value) = split_key_value(body)?;
    if let [0x0a, len, s @ ..] = value {
        // A string value: every byte around key and value is below 0x80, so one check of
        // the whole body gives both.
        if *len < 0x80 && usize::from(*len) == s.len() {
            let whole = std::str::from_utf8(body).ok()?;
            let k = whole.get(2..2 + key.len())?;
            let v = whole.get(body.len() - s.len()..)?;
            return Some(KeyValueView { key: k, value: Some(AnyValueView::String(v)) });
        }
        return None;
    }
    let value = checked_single_scalar(value)?;
    Some(KeyValueView { key: std::str::from_utf8(key).ok()?, value: Some(value) })
}

/// A checked `ExportTraceServiceRequest` (or `TracesData`: same bytes), with what its views
/// hand out recorded.
#[derive(Debug, Clone)]
pub struct TracesView<'a> {
    bytes: &'a [u8],
    needs_merge: bool,
    index: Index<'a>,
}

impl<'a> TracesView<'a> {
    /// Checks `bytes` as prost would decode them: wire format, lengths, UTF-8 of every string,
    /// nesting. Errors name [`Format::OtlpProto`] and the byte offset of the bad field.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        // Rough sizes of realistic spans (~550 bytes, ~13 attributes), to grow rarely.
        let spans = bytes.len() / 512 + 1;
        let index = Index {
            spans: Vec::with_capacity(spans),
            events: Vec::with_capacity(spans),
            span_kvs: Vec::with_capacity(spans * 11),
            event_kvs: Vec::with_capacity(spans * 2),
            ..Index::default()
        };
        let mut p = Parser { v: Validator { input: bytes, needs_merge: false }, index };
        p.request(bytes.len(), RECURSION_LIMIT).map_err(|Invalid(at, why)| {
            DecodeError::new(Format::OtlpProto, Location::Offset(at), why)
        })?;
        Ok(TracesView { bytes, needs_merge: p.v.needs_merge, index: p.index })
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
    pub fn resource_spans(&self) -> impl Iterator<Item = ResourceSpansView<'_>> + Clone + '_ {
        let index: &Index<'_> = &self.index;
        index.resource_spans.iter().map(move |rec| ResourceSpansView {
            resource: rec.resource.map(|r| ResourceView {
                dropped_attributes_count: r.dropped_attributes_count,
                attributes: slice(&index.resource_kvs, r.attributes),
                arrays: &index.array_values,
                body: r.body,
            }),
            schema_url: rec.schema_url,
            scope_spans: slice(&index.scope_spans, rec.scope_spans),
            index,
        })
    }

    /// Number of spans in the request.
    pub fn span_count(&self) -> usize {
        self.index.spans.len()
    }
}

/// `ResourceSpans`.
#[derive(Debug, Clone, Copy)]
pub struct ResourceSpansView<'a> {
    /// The resource, when present.
    pub resource: Option<ResourceView<'a>>,
    /// Schema URL.
    pub schema_url: &'a str,
    scope_spans: &'a [ScopeSpansRec<'a>],
    index: &'a Index<'a>,
}

impl<'a> ResourceSpansView<'a> {
    /// The scope spans, in order.
    pub fn scope_spans(&self) -> impl Iterator<Item = ScopeSpansView<'a>> + Clone + 'a {
        let index = self.index;
        self.scope_spans.iter().map(move |rec| ScopeSpansView {
            scope: rec.scope.map(|s| ScopeView {
                name: s.name,
                version: s.version,
                dropped_attributes_count: s.dropped_attributes_count,
                attributes: slice(&index.scope_kvs, s.attributes),
                arrays: &index.array_values,
            }),
            schema_url: rec.schema_url,
            spans: slice(&index.spans, rec.spans),
            index,
        })
    }
}

/// `Resource`.
#[derive(Debug, Clone, Copy)]
pub struct ResourceView<'a> {
    /// Attributes dropped by the sender.
    pub dropped_attributes_count: u32,
    attributes: &'a [KeyValueView<'a>],
    arrays: &'a [AnyValueView<'a>],
    body: &'a [u8],
}

impl<'a> ResourceView<'a> {
    /// The attributes, in order.
    pub fn attributes(&self) -> KeyValues<'a> {
        KeyValues::new(self.attributes, self.arrays)
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
    spans: &'a [SpanRec<'a>],
    index: &'a Index<'a>,
}

impl<'a> ScopeSpansView<'a> {
    /// The spans, in order.
    pub fn spans(&self) -> impl ExactSizeIterator<Item = SpanView<'a>> + Clone + 'a {
        let index = self.index;
        self.spans.iter().map(move |rec| SpanView {
            attributes: slice(&index.span_kvs, rec.attributes),
            arrays: &index.array_values,
            events: slice(&index.events, rec.events),
            event_kvs: &index.event_kvs,
            links: slice(&index.links, rec.links),
            link_kvs: &index.link_kvs,
            ..rec.view
        })
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
    attributes: &'a [KeyValueView<'a>],
    arrays: &'a [AnyValueView<'a>],
}

impl<'a> ScopeView<'a> {
    /// The attributes, in order.
    pub fn attributes(&self) -> KeyValues<'a> {
        KeyValues::new(self.attributes, self.arrays)
    }
}

/// `Span`: its scalar fields, and its repeated ones as iterators.
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
    attributes: &'a [KeyValueView<'a>],
    arrays: &'a [AnyValueView<'a>],
    events: &'a [EventRec<'a>],
    /// Every event attribute of the request (events hold ranges of it).
    event_kvs: &'a [KeyValueView<'a>],
    links: &'a [LinkRec<'a>],
    link_kvs: &'a [KeyValueView<'a>],
}

impl<'a> SpanView<'a> {
    const EMPTY: SpanView<'static> = SpanView {
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
        arrays: &[],
        events: &[],
        event_kvs: &[],
        links: &[],
        link_kvs: &[],
    };

    /// The attributes, in order.
    #[inline]
    pub fn attributes(&self) -> KeyValues<'a> {
        KeyValues::new(self.attributes, self.arrays)
    }

    /// The events, in order.
    #[inline]
    pub fn events(&self) -> impl ExactSizeIterator<Item = EventView<'a>> + Clone + 'a {
        let (kvs, arrays) = (self.event_kvs, self.arrays);
        self.events.iter().map(move |e| EventView {
            time_unix_nano: e.time_unix_nano,
            name: e.name,
            dropped_attributes_count: e.dropped_attributes_count,
            attributes: slice(kvs, e.attributes),
            arrays,
        })
    }

    /// The links, in order.
    #[inline]
    pub fn links(&self) -> impl ExactSizeIterator<Item = LinkView<'a>> + Clone + 'a {
        let (kvs, arrays) = (self.link_kvs, self.arrays);
        self.links.iter().map(move |l| LinkView {
            trace_id: l.trace_id,
            span_id: l.span_id,
            trace_state: l.trace_state,
            flags: l.flags,
            dropped_attributes_count: l.dropped_attributes_count,
            attributes: slice(kvs, l.attributes),
            arrays,
        })
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
    attributes: &'a [KeyValueView<'a>],
    arrays: &'a [AnyValueView<'a>],
}

impl<'a> EventView<'a> {
    /// The attributes, in order.
    pub fn attributes(&self) -> KeyValues<'a> {
        KeyValues::new(self.attributes, self.arrays)
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
    attributes: &'a [KeyValueView<'a>],
    arrays: &'a [AnyValueView<'a>],
}

impl<'a> LinkView<'a> {
    /// The attributes, in order.
    pub fn attributes(&self) -> KeyValues<'a> {
        KeyValues::new(self.attributes, self.arrays)
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

/// Attributes (`repeated KeyValue`) of a resource, scope, span, event or link, in order.
#[derive(Debug, Clone)]
pub struct KeyValues<'a> {
    iter: std::slice::Iter<'a, KeyValueView<'a>>,
    /// Every array element the parser read (recorded arrays hold ranges of it).
    arrays: &'a [AnyValueView<'a>],
}

impl<'a> KeyValues<'a> {
    fn new(attributes: &'a [KeyValueView<'a>], arrays: &'a [AnyValueView<'a>]) -> Self {
        KeyValues { iter: attributes.iter(), arrays }
    }
}

impl<'a> Iterator for KeyValues<'a> {
    type Item = KeyValueView<'a>;

    #[inline]
    fn next(&mut self) -> Option<KeyValueView<'a>> {
        let mut kv = *self.iter.next()?;
        if let Some(AnyValueView::Array(ArrayView { elements: Elements::Recorded(a, b) })) =
            kv.value
        {
            let values = slice(self.arrays, (a, b));
            kv.value = Some(AnyValueView::Array(ArrayView { elements: Elements::Values(values) }));
        }
        Some(kv)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.iter.size_hint()
    }
}

impl ExactSizeIterator for KeyValues<'_> {}

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
                (5, Val::Len(b)) => AnyValueView::Array(ArrayView { elements: Elements::Body(b) }),
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
    elements: Elements<'a>,
}

/// Where an array's elements are.
#[derive(Debug, Clone, Copy)]
enum Elements<'a> {
    /// In these checked bytes, read element by element.
    Body(&'a [u8]),
    /// Read by the parser: their range in `Index::array_values`, until [`KeyValues`]
    /// hands the attribute out.
    Recorded(usize, usize),
    /// Read by the parser.
    Values(&'a [AnyValueView<'a>]),
}

impl<'a> ArrayView<'a> {
    /// The elements, in order.
    pub fn values(&self) -> ArrayValues<'a> {
        match self.elements {
            Elements::Body(body) => ArrayValues::Body(Messages::new(body, 1)),
            Elements::Values(values) => ArrayValues::Values(values.iter()),
            Elements::Recorded(..) => ArrayValues::Values([].iter()),
        }
    }
}

/// The elements of an [`ArrayView`], in order.
#[derive(Debug, Clone)]
pub enum ArrayValues<'a> {
    /// Read from the bytes.
    Body(Messages<'a, AnyValueView<'a>>),
    /// Read by the parser.
    Values(std::slice::Iter<'a, AnyValueView<'a>>),
}

impl<'a> Iterator for ArrayValues<'a> {
    type Item = AnyValueView<'a>;

    #[inline]
    fn next(&mut self) -> Option<AnyValueView<'a>> {
        match self {
            ArrayValues::Body(m) => m.next(),
            ArrayValues::Values(v) => v.next().copied(),
        }
    }
}

/// `KeyValueList`.
#[derive(Debug, Clone, Copy)]
pub struct KvListView<'a> {
    body: &'a [u8],
}

impl<'a> KvListView<'a> {
    /// The pairs, in order.
    pub fn values(&self) -> Messages<'a, KeyValueView<'a>> {
        Messages::new(self.body, 1)
    }
}
