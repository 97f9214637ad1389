//! Streaming OTLP/JSON reader: serde visitors that build the prost messages directly, with no
//! intermediate `serde_json::Value` tree.
//!
//! Every scalar is read as a [`Scalar`] and converted by hand, so a value of the wrong type
//! never aborts the parse by itself: inside a span it becomes a *fault* that rejects that one
//! span (with its JSON path), outside a span it is an error for the whole document. A path
//! stack in [`Ctx`] names where a fault or error happened; it is only turned into text when
//! something is wrong.

use super::super::model::{
    any_value, span, AnyValue, ArrayValue, ExportTraceServiceRequest, InstrumentationScope,
    KeyValue, KeyValueList, Resource, ResourceSpans, ScopeSpans, Span, Status,
};
use crate::ids;
use crate::Rejection;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::marker::PhantomData;

/// One step of a JSON path.
#[derive(Debug, Clone, Copy)]
enum Seg {
    Key(&'static str),
    Index(usize),
}

/// The first problem found inside the span being read.
#[derive(Debug)]
struct Fault {
    path: String,
    reason: String,
}

/// State shared by all visitors while one request object is read.
#[derive(Debug, Default)]
pub(super) struct Ctx {
    path: Vec<Seg>,
    /// Set while a span is read: faults then reject the span instead of failing the document.
    in_span: bool,
    fault: Option<Fault>,
    /// A snake_case key such as `trace_id` was seen in the current span (for a hint).
    snake_case_seen: bool,
    /// Prefix of every path, e.g. `line 4: ` for NDJSON input.
    prefix: String,
    /// Spans rejected so far.
    pub(super) rejected: Vec<Rejection>,
}

impl Ctx {
    /// A context whose paths start with `prefix`.
    pub(super) fn new(prefix: String) -> Self {
        Ctx { path: Vec::with_capacity(16), prefix, ..Default::default() }
    }

    fn push(&mut self, seg: Seg) {
        self.path.push(seg);
    }

    fn pop(&mut self) {
        self.path.pop();
    }

    /// The current path, e.g. `line 2: $.resourceSpans[0].scopeSpans[1].spans[3].traceId`.
    pub(super) fn path_string(&self) -> String {
        let mut s = String::with_capacity(self.prefix.len() + 64);
        s.push_str(&self.prefix);
        s.push('$');
        for seg in &self.path {
            match seg {
                Seg::Key(k) => {
                    s.push('.');
                    s.push_str(k);
                }
                Seg::Index(i) => {
                    let _ = write!(s, "[{i}]");
                }
            }
        }
        s
    }

    /// Records a problem at the current path: inside a span it marks the span as rejected
    /// (only the first problem is kept) and reading goes on; elsewhere it is an error.
    fn fault<E: de::Error>(&mut self, reason: impl fmt::Display) -> Result<(), E> {
        if self.in_span {
            if self.fault.is_none() {
                self.fault = Some(Fault { path: self.path_string(), reason: reason.to_string() });
            }
            Ok(())
        } else {
            Err(E::custom(reason))
        }
    }

    /// Like [`Ctx::fault`], one key below the current path.
    fn fault_at<E: de::Error>(
        &mut self,
        key: &'static str,
        reason: impl fmt::Display,
    ) -> Result<(), E> {
        self.push(Seg::Key(key));
        self.fault(reason)?;
        self.pop();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Scalars

/// Any JSON value, with arrays and objects skipped: what a scalar field was given.
#[derive(Debug)]
enum Scalar<'de> {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(Cow<'de, str>),
    Array,
    Object,
}

impl Scalar<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::I64(_) | Scalar::U64(_) | Scalar::F64(_) => "a number",
            Scalar::Str(_) => "a string",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
    }
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::I64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::U64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::F64(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Object)
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

type Conv<T> = Result<T, String>;

fn wrong(expected: &str, got: &Scalar<'_>) -> String {
    format!("expected {expected}, found {}", got.kind())
}

/// Shortens user text quoted in a message.
fn quote(s: &str) -> String {
    if s.chars().count() <= 40 {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(40).collect();
        format!("{head:?}...")
    }
}

fn to_string(s: Scalar<'_>) -> Conv<String> {
    match s {
        Scalar::Str(v) => Ok(v.into_owned()),
        Scalar::Null => Ok(String::new()),
        other => Err(wrong("a string", &other)),
    }
}

fn to_bool(s: Scalar<'_>) -> Conv<bool> {
    match s {
        Scalar::Bool(b) => Ok(b),
        Scalar::Null => Ok(false),
        other => Err(wrong("true or false", &other)),
    }
}

/// An integral double within `min..=max`, as the proto3 JSON mapping allows `1e3` for ints.
fn integral_f64(f: f64, min: f64, max: f64) -> Option<f64> {
    (f.fract() == 0.0 && f >= min && f <= max).then_some(f)
}

/// Reads an unsigned integer (number or decimal string) no larger than `max`.
fn to_unsigned(s: Scalar<'_>, max: u64, what: &str) -> Conv<u64> {
    let v = match &s {
        Scalar::Null => Some(0),
        Scalar::U64(u) => Some(*u),
        Scalar::I64(i) => u64::try_from(*i).ok(),
        Scalar::F64(f) => integral_f64(*f, 0.0, max as f64).map(|f| f as u64),
        Scalar::Str(t) => t.parse::<u64>().ok().or_else(|| {
            t.parse::<f64>().ok().and_then(|f| integral_f64(f, 0.0, max as f64)).map(|f| f as u64)
        }),
        _ => return Err(wrong(what, &s)),
    };
    match v {
        Some(v) if v <= max => Ok(v),
        _ => Err(format!("expected {what}, found {}", describe(&s))),
    }
}

/// Reads a signed integer (number or decimal string) within `min..=max`.
fn to_signed(s: Scalar<'_>, min: i64, max: i64, what: &str) -> Conv<i64> {
    let v = match &s {
        Scalar::Null => Some(0),
        Scalar::I64(i) => Some(*i),
        Scalar::U64(u) => i64::try_from(*u).ok(),
        Scalar::F64(f) => integral_f64(*f, min as f64, max as f64).map(|f| f as i64),
        Scalar::Str(t) => t.parse::<i64>().ok().or_else(|| {
            t.parse::<f64>()
                .ok()
                .and_then(|f| integral_f64(f, min as f64, max as f64))
                .map(|f| f as i64)
        }),
        _ => return Err(wrong(what, &s)),
    };
    match v {
        Some(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(format!("expected {what}, found {}", describe(&s))),
    }
}

/// A scalar shown in a message: strings quoted, numbers as written.
fn describe(s: &Scalar<'_>) -> String {
    match s {
        Scalar::Str(t) => quote(t),
        Scalar::I64(i) => i.to_string(),
        Scalar::U64(u) => u.to_string(),
        Scalar::F64(f) => f.to_string(),
        other => other.kind().to_string(),
    }
}

fn to_u64(s: Scalar<'_>) -> Conv<u64> {
    to_unsigned(s, u64::MAX, "an unsigned 64-bit integer")
}

fn to_u32(s: Scalar<'_>) -> Conv<u32> {
    to_unsigned(s, u64::from(u32::MAX), "an unsigned 32-bit integer").map(|v| v as u32)
}

fn to_i64(s: Scalar<'_>) -> Conv<i64> {
    to_signed(s, i64::MIN, i64::MAX, "a 64-bit integer")
}

/// proto3 JSON doubles: numbers, or the strings `NaN`, `Infinity`, `-Infinity` (and numbers
/// written as strings).
fn to_f64(s: Scalar<'_>) -> Conv<f64> {
    match s {
        Scalar::Null => Ok(0.0),
        Scalar::F64(f) => Ok(f),
        Scalar::I64(i) => Ok(i as f64),
        Scalar::U64(u) => Ok(u as f64),
        Scalar::Str(t) => match &*t {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            // Rust also parses "inf"/"nan" spellings: only digits are taken here.
            other if other.bytes().any(|b| b.is_ascii_digit()) => other
                .parse::<f64>()
                .map_err(|_| format!("expected a number, found {}", quote(other))),
            other => Err(format!("expected a number, found {}", quote(other))),
        },
        other => Err(wrong("a number", &other)),
    }
}

/// An enum: its integer (any i32, as proto3 enums are open) or its proto name.
fn to_enum(s: Scalar<'_>, names: &[(&str, i32)], what: &str) -> Conv<i32> {
    if let Scalar::Str(t) = &s {
        if let Some((_, v)) = names.iter().find(|(n, _)| *n == t.as_ref()) {
            return Ok(*v);
        }
    }
    to_signed(s, i64::from(i32::MIN), i64::from(i32::MAX), what).map(|v| v as i32)
}

const SPAN_KIND_NAMES: &[(&str, i32)] = &[
    ("SPAN_KIND_UNSPECIFIED", 0),
    ("SPAN_KIND_INTERNAL", 1),
    ("SPAN_KIND_SERVER", 2),
    ("SPAN_KIND_CLIENT", 3),
    ("SPAN_KIND_PRODUCER", 4),
    ("SPAN_KIND_CONSUMER", 5),
];

const STATUS_CODE_NAMES: &[(&str, i32)] =
    &[("STATUS_CODE_UNSET", 0), ("STATUS_CODE_OK", 1), ("STATUS_CODE_ERROR", 2)];

/// Standard base64, padding optional (the proto3 JSON mapping's writer form).
const BASE64_STD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
/// URL-safe base64, padding optional: proto3 JSON readers accept it too.
const BASE64_URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes proto3 JSON `bytes`: standard or URL-safe base64, with or without padding.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let engine =
        if text.bytes().any(|b| b == b'-' || b == b'_') { &BASE64_URL } else { &BASE64_STD };
    engine.decode(text).ok()
}

fn to_bytes(s: Scalar<'_>) -> Conv<Vec<u8>> {
    match s {
        Scalar::Null => Ok(Vec::new()),
        Scalar::Str(t) => decode_base64(&t).ok_or_else(|| format!("{} is not base64", quote(&t))),
        other => Err(wrong("a base64 string", &other)),
    }
}

/// Exactly `n` bytes of case-insensitive hex.
fn hex_exact(text: &str, n: usize) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if b.len() != n * 2 {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    for pair in b.chunks_exact(2) {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out.push((hi << 4 | lo) as u8);
    }
    Some(out)
}

/// A trace or span id: `n` bytes of hex, not all zero (OTLP calls zero ids invalid).
/// `optional` ids (parentSpanId) may be empty.
fn to_id(s: Scalar<'_>, n: usize, name: &str, optional: bool) -> Conv<Vec<u8>> {
    let text = match s {
        Scalar::Str(t) => t,
        Scalar::Null => Cow::Borrowed(""),
        other => return Err(wrong(&format!("{name} as a hex string"), &other)),
    };
    if text.is_empty() {
        return if optional { Ok(Vec::new()) } else { Err(format!("{name} is empty")) };
    }
    match hex_exact(&text, n) {
        Some(id) if optional || !ids::is_zero(&id) => Ok(id),
        Some(_) => Err(format!("{name} is all zeros, which OTLP defines as invalid")),
        None => Err(format!("{name} {} is not {} hex digits", quote(&text), n * 2)),
    }
}

// ---------------------------------------------------------------------------------------------
// Messages

/// A message read from a JSON object, one field at a time.
trait Message: Default {
    /// Reads the value of `key`; unknown keys must be skipped.
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error>;

    /// Called before an element of a list of these is read.
    fn begin(_ctx: &mut Ctx) {}

    /// Called after an element of a list was read; `None` drops it.
    fn end(self, _ctx: &mut Ctx) -> Option<Self> {
        Some(self)
    }

    /// Undoes [`Message::begin`] when the list turned out to have no further element.
    fn cancel(_ctx: &mut Ctx) {}
}

/// Reads a scalar field with `conv`; a conversion failure is a fault at `name`.
fn scalar<'de, A: MapAccess<'de>, T>(
    map: &mut A,
    ctx: &mut Ctx,
    name: &'static str,
    conv: impl FnOnce(Scalar<'de>) -> Conv<T>,
) -> Result<Option<T>, A::Error> {
    let s: Scalar<'de> = map.next_value()?;
    match conv(s) {
        Ok(v) => Ok(Some(v)),
        Err(reason) => {
            ctx.fault_at(name, reason)?;
            Ok(None)
        }
    }
}

/// Stores a field read by [`scalar`]; a field that failed to convert (`None`, already recorded
/// as a fault) leaves the default in place.
fn assign<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

/// Reads a message field; `null` gives `None`.
fn message<'de, A: MapAccess<'de>, T: Message>(
    map: &mut A,
    ctx: &mut Ctx,
    name: &'static str,
) -> Result<Option<T>, A::Error> {
    ctx.push(Seg::Key(name));
    let v = map.next_value_seed(MessageSeed::<T> { ctx: &mut *ctx, _t: PhantomData })?;
    ctx.pop();
    Ok(v)
}

/// Reads a repeated message field; `null` gives an empty list.
fn list<'de, A: MapAccess<'de>, T: Message>(
    map: &mut A,
    ctx: &mut Ctx,
    name: &'static str,
) -> Result<Vec<T>, A::Error> {
    ctx.push(Seg::Key(name));
    let v = map.next_value_seed(ListSeed::<T> { ctx: &mut *ctx, _t: PhantomData })?;
    ctx.pop();
    Ok(v)
}

/// Skips the value of an unknown key, as the OTLP spec requires.
fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// Implements the scalar `visit_*` methods of a visitor that wants an object or array:
/// any other value is a fault (`expected ...`) and gives `$empty`; `null` gives `$null`.
macro_rules! reject_scalars {
    ($expected:literal, $null:expr, $empty:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($null)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($null)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            self.ctx.fault(concat!("expected ", $expected, ", found a boolean"))?;
            Ok($empty)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            self.ctx.fault(concat!("expected ", $expected, ", found a number"))?;
            Ok($empty)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            self.ctx.fault(concat!("expected ", $expected, ", found a number"))?;
            Ok($empty)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            self.ctx.fault(concat!("expected ", $expected, ", found a number"))?;
            Ok($empty)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            self.ctx.fault(concat!("expected ", $expected, ", found a string"))?;
            Ok($empty)
        }
    };
}

struct MessageSeed<'c, T> {
    ctx: &'c mut Ctx,
    _t: PhantomData<T>,
}

impl<'de, T: Message> DeserializeSeed<'de> for MessageSeed<'_, T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(MessageVisitor::<T> { ctx: self.ctx, _t: PhantomData })
    }
}

struct MessageVisitor<'c, T> {
    ctx: &'c mut Ctx,
    _t: PhantomData<T>,
}

impl<'de, T: Message> Visitor<'de> for MessageVisitor<'_, T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut msg = T::default();
        while let Some(Key(key)) = map.next_key()? {
            msg.field(&key, &mut map, self.ctx)?;
        }
        Ok(Some(msg))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.ctx.fault("expected an object, found an array")?;
        Ok(None)
    }

    reject_scalars!("an object", None, None);
}

struct ListSeed<'c, T> {
    ctx: &'c mut Ctx,
    _t: PhantomData<T>,
}

impl<'de, T: Message> DeserializeSeed<'de> for ListSeed<'_, T> {
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ListVisitor::<T> { ctx: self.ctx, _t: PhantomData })
    }
}

struct ListVisitor<'c, T> {
    ctx: &'c mut Ctx,
    _t: PhantomData<T>,
}

impl<'de, T: Message> Visitor<'de> for ListVisitor<'_, T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // The size hint is what serde_json has already seen, never a claimed length.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        let mut i = 0;
        loop {
            self.ctx.push(Seg::Index(i));
            T::begin(self.ctx);
            let seed = MessageSeed::<T> { ctx: &mut *self.ctx, _t: PhantomData };
            let Some(item) = seq.next_element_seed(seed)? else {
                // End of the array: undo begin() for the element that was not there.
                T::cancel(self.ctx);
                self.ctx.pop();
                break;
            };
            if let Some(item) = item.unwrap_or_default().end(self.ctx) {
                out.push(item);
            }
            self.ctx.pop();
            i += 1;
        }
        Ok(out)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.ctx.fault("expected an array, found an object")?;
        Ok(Vec::new())
    }

    reject_scalars!("an array", Vec::new(), Vec::new());
}

impl Message for ExportTraceServiceRequest {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match key {
            "resourceSpans" => self.resource_spans = list(map, ctx, "resourceSpans")?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl Message for ResourceSpans {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match key {
            "resource" => self.resource = message(map, ctx, "resource")?,
            "scopeSpans" => self.scope_spans = list(map, ctx, "scopeSpans")?,
            "schemaUrl" => assign(&mut self.schema_url, scalar(map, ctx, "schemaUrl", to_string)?),
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl Message for Resource {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match key {
            "attributes" => self.attributes = list(map, ctx, "attributes")?,
            "droppedAttributesCount" => assign(
                &mut self.dropped_attributes_count,
                scalar(map, ctx, "droppedAttributesCount", to_u32)?,
            ),
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl Message for ScopeSpans {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match key {
            "scope" => self.scope = message(map, ctx, "scope")?,
            "spans" => self.spans = list(map, ctx, "spans")?,
            "schemaUrl" => assign(&mut self.schema_url, scalar(map, ctx, "schemaUrl", to_string)?),
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl Message for InstrumentationScope {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match key {
            "name" => assign(&mut self.name, scalar(map, ctx, "name", to_string)?),
            "version" => assign(&mut self.version, scalar(map, ctx, "version", to_string)?),
            "attributes" => self.attributes = list(map, ctx, "attributes")?,
            "droppedAttributesCount" => assign(
                &mut self.dropped_attributes_count,
                scalar(map, ctx, "droppedAttributesCount", to_u32)?,
            ),
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// The original proto names of the span's id fields: not valid OTLP/JSON keys (the spec says
/// so), so they are ignored like any unknown key, but their presence explains a missing id.
const SNAKE_CASE_ID_KEYS: [&str; 3] = ["trace_id", "span_id", "parent_span_id"];

impl Message for Span {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match key {
            "traceId" => {
                if let Some(v) = scalar(map, ctx, "traceId", |s| to_id(s, 16, "traceId", false))? {
                    self.trace_id = v;
                }
            }
            "spanId" => {
                if let Some(v) = scalar(map, ctx, "spanId", |s| to_id(s, 8, "spanId", false))? {
                    self.span_id = v;
                }
            }
            "traceState" => {
                assign(&mut self.trace_state, scalar(map, ctx, "traceState", to_string)?)
            }
            "parentSpanId" => {
                if let Some(v) =
                    scalar(map, ctx, "parentSpanId", |s| to_id(s, 8, "parentSpanId", true))?
                {
                    self.parent_span_id = v;
                }
            }
            "flags" => assign(&mut self.flags, scalar(map, ctx, "flags", to_u32)?),
            "name" => assign(&mut self.name, scalar(map, ctx, "name", to_string)?),
            "kind" => {
                let conv = |s| to_enum(s, SPAN_KIND_NAMES, "a span kind (integer or name)");
                if let Some(v) = scalar(map, ctx, "kind", conv)? {
                    self.kind = v;
                }
            }
            "startTimeUnixNano" => assign(
                &mut self.start_time_unix_nano,
                scalar(map, ctx, "startTimeUnixNano", to_u64)?,
            ),
            "endTimeUnixNano" => {
                assign(&mut self.end_time_unix_nano, scalar(map, ctx, "endTimeUnixNano", to_u64)?)
            }
            "attributes" => self.attributes = list(map, ctx, "attributes")?,
            "droppedAttributesCount" => assign(
                &mut self.dropped_attributes_count,
                scalar(map, ctx, "droppedAttributesCount", to_u32)?,
            ),
            "events" => self.events = list(map, ctx, "events")?,
            "droppedEventsCount" => assign(
                &mut self.dropped_events_count,
                scalar(map, ctx, "droppedEventsCount", to_u32)?,
            ),
            "links" => self.links = list(map, ctx, "links")?,
            "droppedLinksCount" => assign(
                &mut self.dropped_links_count,
                scalar(map, ctx, "droppedLinksCount", to_u32)?,
            ),
            "status" => self.status = message(map, ctx, "status")?,
            other => {
                if SNAKE_CASE_ID_KEYS.contains(&other) {
                    ctx.snake_case_seen = true;
                }
                skip(map)?;
            }
        }
        Ok(())
    }

    fn begin(ctx: &mut Ctx) {
        ctx.in_span = true;
        ctx.fault = None;
        ctx.snake_case_seen = false;
    }

    fn cancel(ctx: &mut Ctx) {
        ctx.in_span = false;
        ctx.fault = None;
    }

    fn end(self, ctx: &mut Ctx) -> Option<Self> {
        // Still inside the span: a missing id is a fault like any other.
        let hint = if ctx.snake_case_seen {
            " (OTLP/JSON keys are lowerCamelCase: traceId, not trace_id)"
        } else {
            ""
        };
        if self.trace_id.is_empty() {
            let _ =
                ctx.fault_at::<de::value::Error>("traceId", format!("traceId is missing{hint}"));
        }
        if self.span_id.is_empty() {
            let _ = ctx.fault_at::<de::value::Error>("spanId", format!("spanId is missing{hint}"));
        }
        ctx.in_span = false;
        match ctx.fault.take() {
            None => Some(self),
            Some(Fault { path, mut reason }) => {
                if self.span_id.len() == 8 {
                    let _ = write!(reason, " (span {})", ids::to_hex(&self.span_id));
                }
                ctx.rejected.push(Rejection::new(path, reason));
                None
            }
        }
    }
}

impl Message for span::Event {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match key {
            "timeUnixNano" => {
                assign(&mut self.time_unix_nano, scalar(map, ctx, "timeUnixNano", to_u64)?)
            }
            "name" => assign(&mut self.name, scalar(map, ctx, "name", to_string)?),
            "attributes" => self.attributes = list(map, ctx, "attributes")?,
            "droppedAttributesCount" => assign(
                &mut self.dropped_attributes_count,
                scalar(map, ctx, "droppedAttributesCount", to_u32)?,
            ),
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl Message for span::Link {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match key {
            "traceId" => {
                if let Some(v) = scalar(map, ctx, "traceId", |s| to_id(s, 16, "traceId", false))? {
                    self.trace_id = v;
                }
            }
            "spanId" => {
                if let Some(v) = scalar(map, ctx, "spanId", |s| to_id(s, 8, "spanId", false))? {
                    self.span_id = v;
                }
            }
            "traceState" => {
                assign(&mut self.trace_state, scalar(map, ctx, "traceState", to_string)?)
            }
            "attributes" => self.attributes = list(map, ctx, "attributes")?,
            "droppedAttributesCount" => assign(
                &mut self.dropped_attributes_count,
                scalar(map, ctx, "droppedAttributesCount", to_u32)?,
            ),
            "flags" => assign(&mut self.flags, scalar(map, ctx, "flags", to_u32)?),
            _ => skip(map)?,
        }
        Ok(())
    }

    fn end(self, ctx: &mut Ctx) -> Option<Self> {
        // A link is meaningless without its ids: that rejects the span that holds it.
        if self.trace_id.is_empty() {
            let _ = ctx.fault_at::<de::value::Error>("traceId", "link traceId is missing");
        }
        if self.span_id.is_empty() {
            let _ = ctx.fault_at::<de::value::Error>("spanId", "link spanId is missing");
        }
        Some(self)
    }
}

impl Message for Status {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match key {
            "message" => assign(&mut self.message, scalar(map, ctx, "message", to_string)?),
            "code" => {
                let conv = |s| to_enum(s, STATUS_CODE_NAMES, "a status code (integer or name)");
                if let Some(v) = scalar(map, ctx, "code", conv)? {
                    self.code = v;
                }
            }
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl Message for KeyValue {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match key {
            "key" => assign(&mut self.key, scalar(map, ctx, "key", to_string)?),
            "value" => self.value = message(map, ctx, "value")?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl Message for AnyValue {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        use any_value::Value;
        // `null` for a member of the oneof leaves it unset.
        let value = match key {
            "stringValue" => scalar(map, ctx, "stringValue", |s| match s {
                Scalar::Null => Ok(None),
                s => to_string(s).map(|v| Some(Value::StringValue(v))),
            })?,
            "boolValue" => scalar(map, ctx, "boolValue", |s| match s {
                Scalar::Null => Ok(None),
                s => to_bool(s).map(|v| Some(Value::BoolValue(v))),
            })?,
            "intValue" => scalar(map, ctx, "intValue", |s| match s {
                Scalar::Null => Ok(None),
                s => to_i64(s).map(|v| Some(Value::IntValue(v))),
            })?,
            "doubleValue" => scalar(map, ctx, "doubleValue", |s| match s {
                Scalar::Null => Ok(None),
                s => to_f64(s).map(|v| Some(Value::DoubleValue(v))),
            })?,
            "bytesValue" => scalar(map, ctx, "bytesValue", |s| match s {
                Scalar::Null => Ok(None),
                s => to_bytes(s).map(|v| Some(Value::BytesValue(v))),
            })?,
            "arrayValue" => {
                Some(message::<A, ArrayValue>(map, ctx, "arrayValue")?.map(Value::ArrayValue))
            }
            "kvlistValue" => {
                Some(message::<A, KeyValueList>(map, ctx, "kvlistValue")?.map(Value::KvlistValue))
            }
            _ => {
                skip(map)?;
                None
            }
        };
        if let Some(Some(v)) = value {
            self.value = Some(v);
        }
        Ok(())
    }
}

impl Message for ArrayValue {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match key {
            "values" => self.values = list(map, ctx, "values")?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

impl Message for KeyValueList {
    fn field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: &mut Ctx,
    ) -> Result<(), A::Error> {
        match key {
            "values" => self.values = list(map, ctx, "values")?,
            _ => skip(map)?,
        }
        Ok(())
    }
}

/// Reads one `ExportTraceServiceRequest` object from `d`; `null` reads as an empty request.
pub(super) fn read_request<'de, D: Deserializer<'de>>(
    d: D,
    ctx: &mut Ctx,
) -> Result<ExportTraceServiceRequest, D::Error> {
    let seed = MessageSeed::<ExportTraceServiceRequest> { ctx, _t: PhantomData };
    Ok(seed.deserialize(d)?.unwrap_or_default())
}
