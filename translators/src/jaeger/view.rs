//! A Jaeger span as the one mapping sees it, whatever codec it came from or goes to.
//!
//! The Thrift codec reads spans straight from its input into a [`SpanView`] (strings borrowed,
//! one view reused for every span of a batch) and writes them from one; the api_v2 model
//! (protobuf and JSON codecs) converts to and from it. [`super::to_otlp`] maps a view to OTLP
//! and [`super::from_otlp`] produces views from OTLP: so there is one Jaeger ⇄ OTLP mapping
//! for every Jaeger format and for both the owned API and the bytes-to-bytes routes.

use super::model::{self, ValueType};
use std::borrow::Cow;
use std::ops::Range;

/// An id as read: up to 16 bytes kept, with the length the input gave (which the mapping
/// checks: 16 or 8 for trace ids, 8 for span ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Id {
    bytes: [u8; 16],
    len: usize,
}

impl Id {
    /// An id from bytes of any length (only the length is kept beyond 16 bytes).
    pub fn from_slice(bytes: &[u8]) -> Self {
        let mut id = Id { bytes: [0; 16], len: bytes.len() };
        if let Some(b) = id.bytes.get_mut(..bytes.len()) {
            b.copy_from_slice(bytes);
        }
        id
    }

    /// A 16-byte trace id from Jaeger's signed halves.
    pub fn from_halves(high: i64, low: i64) -> Self {
        Id { bytes: crate::ids::trace_id_from_halves(high, low), len: 16 }
    }

    /// An 8-byte span id from Jaeger's signed form.
    pub fn from_i64(id: i64) -> Self {
        let mut bytes = [0; 16];
        bytes[..8].copy_from_slice(&id.to_be_bytes());
        Id { bytes, len: 8 }
    }

    /// The bytes, when at most 16.
    pub fn as_slice(&self) -> Option<&[u8]> {
        self.bytes.get(..self.len)
    }

    /// Length the input gave.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for an empty id.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// An 8-byte id's bytes.
    pub fn span_id(&self) -> Option<[u8; 8]> {
        (self.len == 8).then(|| self.bytes[..8].try_into().unwrap_or_default())
    }

    /// A trace id of 16 bytes, or of 8 widened to 16 (OTLP's form).
    pub fn trace_id(&self) -> Option<[u8; 16]> {
        crate::ids::widen_trace_id(self.as_slice()?)
    }
}

/// A tag (or log field) value.
#[derive(Debug, Clone, PartialEq)]
pub enum TagValue<'a> {
    /// STRING.
    Str(Cow<'a, str>),
    /// BOOL.
    Bool(bool),
    /// LONG / INT64.
    Long(i64),
    /// DOUBLE / FLOAT64.
    Double(f64),
    /// BINARY.
    Binary(&'a [u8]),
}

/// A tag or log field.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag<'a> {
    /// Key.
    pub key: Cow<'a, str>,
    /// Value.
    pub value: TagValue<'a>,
}

impl<'a> Tag<'a> {
    /// A string tag.
    pub fn str(key: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> Self {
        Tag { key: key.into(), value: TagValue::Str(value.into()) }
    }

    /// An int tag.
    pub fn long(key: impl Into<Cow<'a, str>>, value: i64) -> Self {
        Tag { key: key.into(), value: TagValue::Long(value) }
    }

    /// A bool tag.
    pub fn bool(key: impl Into<Cow<'a, str>>, value: bool) -> Self {
        Tag { key: key.into(), value: TagValue::Bool(value) }
    }

    /// The string value of a STRING tag.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            TagValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value of an int tag that fits an OTLP count.
    pub fn count(&self) -> Option<u32> {
        match self.value {
            TagValue::Long(n) => u32::try_from(n).ok(),
            _ => None,
        }
    }

    /// From the api_v2 model; an unknown value type reads as its string.
    pub fn from_model(kv: &'a model::KeyValue) -> Self {
        const BOOL: i32 = ValueType::Bool as i32;
        const INT64: i32 = ValueType::Int64 as i32;
        const FLOAT64: i32 = ValueType::Float64 as i32;
        const BINARY: i32 = ValueType::Binary as i32;
        let value = match kv.v_type {
            BOOL => TagValue::Bool(kv.v_bool),
            INT64 => TagValue::Long(kv.v_int64),
            FLOAT64 => TagValue::Double(kv.v_float64),
            BINARY => TagValue::Binary(&kv.v_binary),
            _ => TagValue::Str(Cow::Borrowed(&kv.v_str)),
        };
        Tag { key: Cow::Borrowed(&kv.key), value }
    }

    /// To the api_v2 model.
    pub fn to_model(&self) -> model::KeyValue {
        let mut kv = model::KeyValue { key: self.key.to_string(), ..Default::default() };
        match &self.value {
            TagValue::Str(s) => kv.v_str = s.to_string(),
            TagValue::Bool(b) => {
                kv.v_type = ValueType::Bool as i32;
                kv.v_bool = *b;
            }
            TagValue::Long(i) => {
                kv.v_type = ValueType::Int64 as i32;
                kv.v_int64 = *i;
            }
            TagValue::Double(d) => {
                kv.v_type = ValueType::Float64 as i32;
                kv.v_float64 = *d;
            }
            TagValue::Binary(b) => {
                kv.v_type = ValueType::Binary as i32;
                kv.v_binary = b.to_vec();
            }
        }
        kv
    }
}

/// A reference as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefView {
    /// Referenced trace.
    pub trace_id: Id,
    /// Referenced span.
    pub span_id: Id,
    /// `CHILD_OF` = 0, `FOLLOWS_FROM` = 1 (Thrift and api_v2 agree).
    pub ref_type: i32,
}

/// A log: its time and its fields, a range of [`SpanView::log_fields`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogView {
    /// ns since the epoch (a missing timestamp is 0).
    pub time_ns: i128,
    /// Where its fields are in [`SpanView::log_fields`].
    pub fields: Range<usize>,
}

/// A process: service name and tags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcessView<'a> {
    /// Service name.
    pub service_name: Cow<'a, str>,
    /// Process tags.
    pub tags: Vec<Tag<'a>>,
}

impl<'a> ProcessView<'a> {
    /// From the api_v2 model.
    pub fn from_model(p: &'a model::Process) -> Self {
        ProcessView {
            service_name: Cow::Borrowed(&p.service_name),
            tags: p.tags.iter().map(Tag::from_model).collect(),
        }
    }

    /// To the api_v2 model.
    pub fn to_model(&self) -> model::Process {
        model::Process {
            service_name: self.service_name.to_string(),
            tags: self.tags.iter().map(Tag::to_model).collect(),
        }
    }
}

/// One Jaeger span. Reuse one view for many spans ([`SpanView::clear`]) to keep its buffers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpanView<'a> {
    /// Trace id.
    pub trace_id: Id,
    /// Span id.
    pub span_id: Id,
    /// Thrift's `parentSpanId` when non-zero: the parent, ahead of the references (see
    /// [`super::to_otlp`]). Always `None` from the api_v2 model, whose parent is a reference.
    pub parent_span_id: Option<[u8; 8]>,
    /// Operation name.
    pub operation_name: Cow<'a, str>,
    /// References in order.
    pub references: Vec<RefView>,
    /// Bit 1 sampled, bit 2 debug, bit 8 firehose.
    pub flags: u32,
    /// Start, ns since the epoch (a missing start is 0).
    pub start_ns: i128,
    /// Duration in ns (a missing duration is 0).
    pub duration_ns: i128,
    /// Tags in order.
    pub tags: Vec<Tag<'a>>,
    /// Logs in order.
    pub logs: Vec<LogView>,
    /// The fields of every log, one after the other.
    pub log_fields: Vec<Tag<'a>>,
    /// The span's own process (api_v2 only), which overrides the batch's.
    pub process: Option<ProcessView<'a>>,
}

const NANOS_PER_SECOND: i128 = 1_000_000_000;

fn timestamp_ns(t: Option<&model::Timestamp>) -> i128 {
    t.map_or(0, |t| i128::from(t.seconds) * NANOS_PER_SECOND + i128::from(t.nanos))
}

impl<'a> SpanView<'a> {
    /// Empties the view, keeping its buffers.
    pub fn clear(&mut self) {
        self.trace_id = Id::default();
        self.span_id = Id::default();
        self.parent_span_id = None;
        self.operation_name = Cow::Borrowed("");
        self.references.clear();
        self.flags = 0;
        self.start_ns = 0;
        self.duration_ns = 0;
        self.tags.clear();
        self.logs.clear();
        self.log_fields.clear();
        self.process = None;
    }

    /// The fields of one log.
    pub fn fields(&self, log: &LogView) -> &[Tag<'a>] {
        self.log_fields.get(log.fields.clone()).unwrap_or_default()
    }

    /// Reads an api_v2 span into this view.
    pub fn set_from_model(&mut self, span: &'a model::Span) {
        self.clear();
        self.trace_id = Id::from_slice(&span.trace_id);
        self.span_id = Id::from_slice(&span.span_id);
        self.operation_name = Cow::Borrowed(&span.operation_name);
        self.references.extend(span.references.iter().map(|r| RefView {
            trace_id: Id::from_slice(&r.trace_id),
            span_id: Id::from_slice(&r.span_id),
            ref_type: r.ref_type,
        }));
        self.flags = span.flags;
        self.start_ns = timestamp_ns(span.start_time.as_ref());
        self.duration_ns = span
            .duration
            .map_or(0, |d| i128::from(d.seconds) * NANOS_PER_SECOND + i128::from(d.nanos));
        self.tags.extend(span.tags.iter().map(Tag::from_model));
        for log in &span.logs {
            let start = self.log_fields.len();
            self.log_fields.extend(log.fields.iter().map(Tag::from_model));
            self.logs.push(LogView {
                time_ns: timestamp_ns(log.timestamp.as_ref()),
                fields: start..self.log_fields.len(),
            });
        }
        self.process = span.process.as_ref().map(ProcessView::from_model);
    }

    /// The api_v2 span (times split into seconds and nanos; no process: the batch has it).
    pub fn to_model(&self) -> model::Span {
        let split = |ns: i128| (ns.div_euclid(NANOS_PER_SECOND), ns.rem_euclid(NANOS_PER_SECOND));
        let timestamp = |ns: i128| {
            let (s, n) = split(ns);
            model::Timestamp { seconds: s as i64, nanos: n as i32 }
        };
        let (ds, dn) = split(self.duration_ns);
        let id = |id: &Id| id.as_slice().unwrap_or_default().to_vec();
        model::Span {
            trace_id: id(&self.trace_id),
            span_id: id(&self.span_id),
            operation_name: self.operation_name.to_string(),
            references: self
                .references
                .iter()
                .map(|r| model::SpanRef {
                    trace_id: id(&r.trace_id),
                    span_id: id(&r.span_id),
                    ref_type: r.ref_type,
                })
                .collect(),
            flags: self.flags,
            start_time: Some(timestamp(self.start_ns)),
            duration: Some(model::Duration { seconds: ds as i64, nanos: dn as i32 }),
            tags: self.tags.iter().map(Tag::to_model).collect(),
            logs: self
                .logs
                .iter()
                .map(|l| model::Log {
                    timestamp: Some(timestamp(l.time_ns)),
                    fields: self.fields(l).iter().map(Tag::to_model).collect(),
                })
                .collect(),
            process: None,
            process_id: String::new(),
            warnings: Vec::new(),
        }
    }
}
