//! Zipkin v2 JSON (`zipkin2-api.yaml`, `POST /api/v2/spans`) ⇄ [`model::Span`]s.
//!
//! Reading borrows strings from the input where it can (serde with `Cow<str>`) and accepts
//! what real senders write: upper-case hex, ids shorter than 16 digits (left-padded, as Zipkin
//! does), tag values that are numbers or bools (stringified), and a single span object instead
//! of a list. A span with a bad field is rejected with its JSON path (`$[3].traceId`) while the
//! others are kept; only broken JSON fails the whole input. Writing is hand-written, in the
//! field order Zipkin itself writes, omitting empty fields.

use super::from_otlp::{EndpointView, SpanView};
use super::model::{self, Annotation, Endpoint, Kind, Tag};
use crate::otlp::model::ExportTraceServiceRequest;
use crate::{ids, DecodeError, Format, Location, Rejection};
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize as DeriveDeserialize;
use std::borrow::Cow;
use std::fmt;
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
        if self.single {
            "$".to_string()
        } else {
            item_path(self.index.get(i).copied().unwrap_or(i))
        }
    }
}

/// The JSON path of the span at input position `i`.
pub fn item_path(i: usize) -> String {
    format!("$[{i}]")
}

/// Reads a v2 JSON list of spans (or one span object).
pub fn decode(input: &[u8]) -> Result<(Vec<model::Span>, Vec<Rejection>), DecodeError> {
    let d = decode_indexed(input)?;
    Ok((d.spans, d.rejected))
}

/// Like [`decode`], also telling where each span came from (for rejection messages).
pub fn decode_indexed(input: &[u8]) -> Result<Indexed, DecodeError> {
    // One UTF-8 check of the whole input, then serde_json's `str` reader, which does not
    // re-check every string it borrows.
    let text = std::str::from_utf8(input).map_err(|e| {
        let (line, column) = line_column(&input[..e.valid_up_to()]);
        DecodeError::new(
            Format::ZipkinJson,
            Location::LineColumn { line, column },
            "input is not valid UTF-8",
        )
    })?;
    let top: Top<'_> = serde_json::from_str(text).map_err(|e| {
        let location = if e.line() == 0 {
            Location::Input
        } else {
            Location::LineColumn { line: e.line(), column: e.column() }
        };
        DecodeError::new(Format::ZipkinJson, location, strip_position(&e.to_string()))
    })?;
    let single = top.single;
    let mut out = Indexed { single, ..Default::default() };
    out.spans.reserve(top.spans.len());
    for (i, raw) in top.spans.into_iter().enumerate() {
        let path = if single { "$".to_string() } else { item_path(i) };
        match raw {
            Obj::Val(raw) => match raw.into_model() {
                Ok(span) => {
                    out.spans.push(span);
                    out.index.push(i);
                }
                Err((field, reason, id)) => {
                    let mut item = format!("{path}{field}");
                    if let Some(id) = id {
                        item.push_str(&format!(" (span id {id})"));
                    }
                    out.rejected.push(Rejection::new(item, reason));
                }
            },
            Obj::Null | Obj::Bad(_) => {
                out.rejected.push(Rejection::new(path, "a span must be a JSON object"));
            }
        }
    }
    Ok(out)
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

/// The document: a list of spans, or one span object.
struct Top<'a> {
    spans: Vec<Obj<RawSpan<'a>>>,
    single: bool,
}

impl<'de: 'a, 'a> Deserialize<'de> for Top<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Top<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON list of Zipkin spans")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top<'a>, A::Error> {
                // No size hint: the count comes from the input and is not trusted.
                let mut spans = Vec::new();
                while let Some(s) = seq.next_element()? {
                    spans.push(s);
                }
                Ok(Top { spans, single: false })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Top<'a>, A::Error> {
                let span = RawSpan::deserialize(MapAccessDeserializer::new(map))?;
                Ok(Top { spans: vec![Obj::Val(span)], single: true })
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Any JSON value, as read. Leaf fields use this so that a wrong type rejects one span
/// instead of failing the whole document.
#[derive(Debug, Clone, PartialEq, Default)]
enum Scalar<'a> {
    #[default]
    Null,
    Str(Cow<'a, str>),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
    /// An array or object, kept as JSON (tag values are stringified from it).
    Json(serde_json::Value),
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Scalar<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'a>, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar<'a>, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Scalar<'a>, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar<'a>, E> {
                Ok(Scalar::U64(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar<'a>, E> {
                Ok(Scalar::I64(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar<'a>, E> {
                Ok(Scalar::F64(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar<'a>, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_unit<E>(self) -> Result<Scalar<'a>, E> {
                Ok(Scalar::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar<'a>, A::Error> {
                serde_json::Value::deserialize(SeqAccessDeserializer::new(seq)).map(Scalar::Json)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar<'a>, A::Error> {
                serde_json::Value::deserialize(MapAccessDeserializer::new(map)).map(Scalar::Json)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl Scalar<'_> {
    fn type_name(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Str(_) => "a string",
            Scalar::U64(_) | Scalar::I64(_) | Scalar::F64(_) => "a number",
            Scalar::Bool(_) => "a bool",
            Scalar::Json(serde_json::Value::Array(_)) => "a list",
            Scalar::Json(_) => "an object",
        }
    }

    /// The value as tag text: strings as they are, numbers in decimal, bools lower-case,
    /// lists and objects as JSON; null is `None`.
    fn into_text(self) -> Option<String> {
        Some(match self {
            Scalar::Null => return None,
            Scalar::Str(s) => s.into_owned(),
            Scalar::U64(v) => v.to_string(),
            Scalar::I64(v) => v.to_string(),
            Scalar::F64(v) => v.to_string(),
            Scalar::Bool(v) => v.to_string(),
            Scalar::Json(v) => v.to_string(),
        })
    }
}

/// An object that may also be null or of the wrong type.
enum Obj<T> {
    Val(T),
    Null,
    Bad(&'static str),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Obj::Val)
            }
            fn visit_unit<E>(self) -> Result<Obj<T>, E> {
                Ok(Obj::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Obj<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Obj::Bad("a list"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Obj<T>, E> {
                Ok(Obj::Bad("a bool"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Obj<T>, E> {
                Ok(Obj::Bad("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Obj<T>, E> {
                Ok(Obj::Bad("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Obj<T>, E> {
                Ok(Obj::Bad("a number"))
            }
            fn visit_str<E>(self, _: &str) -> Result<Obj<T>, E> {
                Ok(Obj::Bad("a string"))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Span tags in input order; values of any JSON type are stringified.
#[derive(Default)]
struct RawTags<'a>(Vec<(Cow<'a, str>, Scalar<'a>)>, Option<&'static str>);

impl<'de: 'a, 'a> Deserialize<'de> for RawTags<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = RawTags<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of tags")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawTags<'a>, A::Error> {
                let mut tags = Vec::new();
                while let Some(k) = map.next_key::<Cow<'a, str>>()? {
                    let v: Scalar<'a> = map.next_value()?;
                    tags.push((k, v));
                }
                Ok(RawTags(tags, None))
            }
            fn visit_unit<E>(self) -> Result<RawTags<'a>, E> {
                Ok(RawTags::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawTags<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(RawTags(Vec::new(), Some("a list")))
            }
            fn visit_bool<E>(self, _: bool) -> Result<RawTags<'a>, E> {
                Ok(RawTags(Vec::new(), Some("a bool")))
            }
            fn visit_i64<E>(self, _: i64) -> Result<RawTags<'a>, E> {
                Ok(RawTags(Vec::new(), Some("a number")))
            }
            fn visit_u64<E>(self, _: u64) -> Result<RawTags<'a>, E> {
                Ok(RawTags(Vec::new(), Some("a number")))
            }
            fn visit_f64<E>(self, _: f64) -> Result<RawTags<'a>, E> {
                Ok(RawTags(Vec::new(), Some("a number")))
            }
            fn visit_str<E>(self, _: &str) -> Result<RawTags<'a>, E> {
                Ok(RawTags(Vec::new(), Some("a string")))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Annotations: a list of objects, or something that is rejected.
#[derive(Default)]
struct RawAnnotations<'a>(Vec<Obj<RawAnnotation<'a>>>, Option<&'static str>);

impl<'de: 'a, 'a> Deserialize<'de> for RawAnnotations<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = RawAnnotations<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of annotations")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawAnnotations<'a>, A::Error> {
                let mut v = Vec::new();
                while let Some(a) = seq.next_element()? {
                    v.push(a);
                }
                Ok(RawAnnotations(v, None))
            }
            fn visit_unit<E>(self) -> Result<RawAnnotations<'a>, E> {
                Ok(RawAnnotations::default())
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawAnnotations<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(RawAnnotations(Vec::new(), Some("an object")))
            }
            fn visit_bool<E>(self, _: bool) -> Result<RawAnnotations<'a>, E> {
                Ok(RawAnnotations(Vec::new(), Some("a bool")))
            }
            fn visit_i64<E>(self, _: i64) -> Result<RawAnnotations<'a>, E> {
                Ok(RawAnnotations(Vec::new(), Some("a number")))
            }
            fn visit_u64<E>(self, _: u64) -> Result<RawAnnotations<'a>, E> {
                Ok(RawAnnotations(Vec::new(), Some("a number")))
            }
            fn visit_f64<E>(self, _: f64) -> Result<RawAnnotations<'a>, E> {
                Ok(RawAnnotations(Vec::new(), Some("a number")))
            }
            fn visit_str<E>(self, _: &str) -> Result<RawAnnotations<'a>, E> {
                Ok(RawAnnotations(Vec::new(), Some("a string")))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(DeriveDeserialize)]
struct RawSpan<'a> {
    #[serde(rename = "traceId", borrow, default)]
    trace_id: Scalar<'a>,
    #[serde(rename = "parentId", borrow, default)]
    parent_id: Scalar<'a>,
    #[serde(borrow, default)]
    id: Scalar<'a>,
    #[serde(borrow, default)]
    kind: Scalar<'a>,
    #[serde(borrow, default)]
    name: Scalar<'a>,
    #[serde(borrow, default)]
    timestamp: Scalar<'a>,
    #[serde(borrow, default)]
    duration: Scalar<'a>,
    #[serde(rename = "localEndpoint", borrow, default)]
    local_endpoint: Option<Obj<RawEndpoint<'a>>>,
    #[serde(rename = "remoteEndpoint", borrow, default)]
    remote_endpoint: Option<Obj<RawEndpoint<'a>>>,
    #[serde(borrow, default)]
    annotations: RawAnnotations<'a>,
    #[serde(borrow, default)]
    tags: RawTags<'a>,
    #[serde(borrow, default)]
    debug: Scalar<'a>,
    #[serde(borrow, default)]
    shared: Scalar<'a>,
}

#[derive(DeriveDeserialize)]
struct RawEndpoint<'a> {
    #[serde(rename = "serviceName", borrow, default)]
    service_name: Scalar<'a>,
    #[serde(borrow, default)]
    ipv4: Scalar<'a>,
    #[serde(borrow, default)]
    ipv6: Scalar<'a>,
    #[serde(borrow, default)]
    port: Scalar<'a>,
}

#[derive(DeriveDeserialize)]
struct RawAnnotation<'a> {
    #[serde(borrow, default)]
    timestamp: Scalar<'a>,
    #[serde(borrow, default)]
    value: Scalar<'a>,
}

/// A rejected span: the field's path below the span, the reason, and the span id if known.
type Reject = (String, String, Option<String>);

fn hex_id<const N: usize>(v: &Scalar<'_>, what: &str) -> Result<Option<[u8; N]>, String> {
    match v {
        Scalar::Null => Ok(None),
        Scalar::Str(s) if s.is_empty() => Ok(None),
        Scalar::Str(s) => {
            ids::parse_hex_padded::<N>(s).map(Some).map_err(|e| format!("bad {what}: {e}"))
        }
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

fn text(v: Scalar<'_>, what: &str) -> Result<String, String> {
    match v {
        Scalar::Null => Ok(String::new()),
        Scalar::Str(s) => Ok(s.into_owned()),
        other => Err(format!("{what} must be a string, not {}", other.type_name())),
    }
}

fn flag(v: &Scalar<'_>) -> bool {
    matches!(v, Scalar::Bool(true)) || matches!(v, Scalar::Str(s) if s == "true")
}

impl<'a> RawSpan<'a> {
    fn into_model(self) -> Result<model::Span, Reject> {
        // The span id text is only needed (and only allocated) for a rejection.
        let id_scalar = &self.id;
        let rej = |field: &str, reason: String| {
            let id = match id_scalar {
                Scalar::Str(s) if !s.is_empty() => Some(s.to_ascii_lowercase()),
                _ => None,
            };
            (field.to_string(), reason, id)
        };

        let trace = match &self.trace_id {
            Scalar::Str(s) if s.len() > 16 => {
                hex_id::<16>(&self.trace_id, "traceId").map(|o| o.map(|b| b.to_vec()))
            }
            _ => hex_id::<8>(&self.trace_id, "traceId").map(|o| o.map(|b| b.to_vec())),
        }
        .map_err(|e| rej(".traceId", e))?
        .ok_or_else(|| rej(".traceId", "traceId is missing".into()))?;
        let id = hex_id::<8>(&self.id, "id")
            .map_err(|e| rej(".id", e))?
            .ok_or_else(|| rej(".id", "id is missing".into()))?;
        let parent = hex_id::<8>(&self.parent_id, "parentId").map_err(|e| rej(".parentId", e))?;
        let kind = match &self.kind {
            Scalar::Str(s) => match s.to_ascii_uppercase().as_str() {
                "CLIENT" => Kind::Client,
                "SERVER" => Kind::Server,
                "PRODUCER" => Kind::Producer,
                "CONSUMER" => Kind::Consumer,
                _ => return Err(rej(".kind", format!("unknown kind {s:?}"))),
            },
            Scalar::Null => Kind::Unspecified,
            other => {
                return Err(rej(
                    ".kind",
                    format!("kind must be a string, not {}", other.type_name()),
                ))
            }
        };
        let timestamp = micros(&self.timestamp, "timestamp").map_err(|e| rej(".timestamp", e))?;
        let duration = micros(&self.duration, "duration").map_err(|e| rej(".duration", e))?;
        let local_endpoint = endpoint(self.local_endpoint)
            .map_err(|(f, e)| rej(&format!(".localEndpoint{f}"), e))?;
        let remote_endpoint = endpoint(self.remote_endpoint)
            .map_err(|(f, e)| rej(&format!(".remoteEndpoint{f}"), e))?;
        if let Some(t) = self.annotations.1 {
            return Err(rej(".annotations", format!("annotations must be a list, not {t}")));
        }
        let mut annotations = Vec::with_capacity(self.annotations.0.len());
        for (j, a) in self.annotations.0.into_iter().enumerate() {
            let a = match a {
                Obj::Val(a) => a,
                Obj::Null => {
                    return Err(rej(&format!(".annotations[{j}]"), "annotation is null".into()))
                }
                Obj::Bad(t) => {
                    return Err(rej(
                        &format!(".annotations[{j}]"),
                        format!("annotation must be an object, not {t}"),
                    ))
                }
            };
            let ts = micros(&a.timestamp, "annotation timestamp")
                .map_err(|e| rej(&format!(".annotations[{j}].timestamp"), e))?;
            let value = text(a.value, "annotation value")
                .map_err(|e| rej(&format!(".annotations[{j}].value"), e))?;
            annotations.push(Annotation { timestamp: ts, value });
        }
        if let Some(t) = self.tags.1 {
            return Err(rej(".tags", format!("tags must be an object, not {t}")));
        }
        let mut tags: Vec<Tag> = Vec::with_capacity(self.tags.0.len());
        for (k, v) in self.tags.0 {
            let Some(value) = v.into_text() else { continue };
            // A repeated key keeps its last value, as Zipkin (and every JSON map) does.
            if let Some(t) = tags.iter_mut().find(|t| t.key == k) {
                t.value = value;
            } else {
                tags.push(Tag { key: k.into_owned(), value });
            }
        }
        Ok(model::Span {
            trace_id: trace,
            parent_id: parent.map(|p| p.to_vec()).unwrap_or_default(),
            id: id.to_vec(),
            kind: kind as i32,
            name: text(self.name, "name").map_err(|e| rej(".name", e))?,
            timestamp,
            duration,
            local_endpoint,
            remote_endpoint,
            annotations,
            tags,
            debug: flag(&self.debug),
            shared: flag(&self.shared),
        })
    }
}

/// Reads an endpoint. An address that is not an IP literal is ignored (as Zipkin does); an
/// address written in the other field (`ipv4` holding an IPv6 literal) goes where it belongs.
fn endpoint(raw: Option<Obj<RawEndpoint<'_>>>) -> Result<Option<Endpoint>, (String, String)> {
    let raw = match raw {
        None | Some(Obj::Null) => return Ok(None),
        Some(Obj::Bad(t)) => {
            return Err((String::new(), format!("endpoint must be an object, not {t}")))
        }
        Some(Obj::Val(r)) => r,
    };
    let mut ep = Endpoint {
        service_name: text(raw.service_name, "serviceName")
            .map_err(|e| (".serviceName".to_string(), e))?,
        ..Default::default()
    };
    for v in [raw.ipv4, raw.ipv6] {
        if let Scalar::Str(s) = v {
            if let Some(ip) = parse_ip(&s) {
                super::from_otlp::set_ip(&mut ep, ip);
            }
        }
    }
    ep.port = match raw.port {
        Scalar::Null => 0,
        Scalar::U64(p) if p <= 65535 => p as i32,
        other => {
            let shown = other.into_text().unwrap_or_default();
            return Err((
                ".port".to_string(),
                format!("port must be an integer 0-65535, got {shown}"),
            ));
        }
    };
    Ok((ep != Endpoint::default()).then_some(ep))
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

const HEX: &[u8; 16] = b"0123456789abcdef";

fn write_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    for b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 0xf) as usize]);
    }
}

fn write_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// For each byte: 0 = copy, else the escape to write (`u` = `\u00XX`).
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[0x08] = b'b';
    t[0x0c] = b'f';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Writes `s` as a JSON string, escaping what JSON requires (as serde_json does).
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc = ESCAPE[b as usize];
        if esc == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if esc == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xf) as usize]);
        } else {
            out.push(b'\\');
            out.push(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
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
        write_str(out, &ep.service_name);
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
        write_u64(out, u64::from(ep.port));
    }
    out.push(b'}');
}

/// Writes spans as a v2 JSON list, fields in Zipkin's order, empty fields left out.
pub fn encode(spans: &[model::Span]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + spans.len() * 512);
    out.push(b'[');
    for (n, s) in spans.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_span(&mut out, &SpanView::of_model(s));
    }
    out.push(b']');
    out
}

/// Maps an OTLP request and writes it as a v2 JSON list in one pass, without building owned
/// [`model::Span`]s (the mapping is the same: [`from_otlp`](super::from_otlp)'s).
pub fn encode_otlp(request: &ExportTraceServiceRequest) -> (Vec<u8>, Vec<Rejection>) {
    let mut out = Vec::with_capacity(64 + crate::otlp::span_count(request) * 768);
    out.push(b'[');
    let mut first = true;
    let rejected = super::from_otlp::for_each_view(request, |v| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        write_span(&mut out, &v);
    });
    out.push(b']');
    (out, rejected)
}

fn write_span(out: &mut Vec<u8>, s: &SpanView<'_>) {
    out.extend_from_slice(b"{\"traceId\":\"");
    // 64-bit ids travel as 16 hex digits (also when given as 16 bytes with a zero high half).
    let trace: &[u8] = if s.trace_id.len() == 16 && ids::is_zero(&s.trace_id[..8]) {
        &s.trace_id[8..]
    } else {
        s.trace_id
    };
    write_hex(out, trace);
    out.push(b'"');
    if !s.parent_id.is_empty() {
        out.extend_from_slice(b",\"parentId\":\"");
        write_hex(out, s.parent_id);
        out.push(b'"');
    }
    out.extend_from_slice(b",\"id\":\"");
    write_hex(out, s.id);
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
        write_str(out, s.name);
    }
    if s.timestamp != 0 {
        out.extend_from_slice(b",\"timestamp\":");
        write_u64(out, s.timestamp);
    }
    if s.duration != 0 {
        out.extend_from_slice(b",\"duration\":");
        write_u64(out, s.duration);
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
            write_u64(out, *ts);
            out.extend_from_slice(b",\"value\":");
            write_str(out, value);
            out.push(b'}');
        }
        out.push(b']');
    }
    if !s.tags.is_empty() {
        out.extend_from_slice(b",\"tags\":{");
        for (n, (k, v)) in s.tags.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_str(out, k);
            out.push(b':');
            write_str(out, v);
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
            write_str(&mut out, s);
            assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(s).unwrap());
        }
    }
}
