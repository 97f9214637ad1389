//! Jaeger Thrift ⇄ OTLP protobuf with no owned model in between: Thrift spans are read into
//! one reused [`SpanView`] (strings borrowed from the input) and mapped by
//! [`super::to_otlp::ToOtlp`] straight into protobuf; the other way, [`ThriftSink`] writes the
//! views [`super::from_otlp::map_request`] makes from OTLP protobuf views.
//!
//! This is the only reader and writer of Jaeger Thrift: `decode_traces`, `encode_traces` and
//! `transcode` all go through here. The wire rules (framings, ids, tag types, parentSpanId,
//! unknown fields, UTF-8) are listed in [`super::thrift`], with the message framing and the
//! client's `seqNo` / `ClientStats` types.

use super::from_otlp::JaegerSink;
use super::thrift::{
    for_each_message, ClientReport, ClientStats, Protocol, EMIT_BATCH, TAG_BINARY, TAG_BOOL,
    TAG_DOUBLE, TAG_LONG, TAG_STRING,
};
use super::to_otlp::ToOtlp;
use super::view::{Id, LogView, ProcessView, RefView, SpanView, Tag, TagValue};
use crate::ids;
use crate::thrift::{
    BinaryReader, BinaryWriter, CompactReader, CompactWriter, MessageType, ProtocolReader,
    ProtocolWriter, TType, ThriftError,
};
use crate::{DecodeError, Format, Location, Rejection};
use std::borrow::Cow;
use std::ops::Range;

/// Thrift input mapped to OTLP protobuf.
#[derive(Debug, Default)]
pub struct ToOtlpBytes {
    /// One `ExportTraceServiceRequest` per Thrift message (or bare batch), concatenated:
    /// together they are one request holding every message's spans.
    pub bytes: Vec<u8>,
    /// Where each message's request is in `bytes`.
    pub requests: Vec<Range<usize>>,
    /// Spans the mapping rejected, named `batch[i].spans[j]` (i: the message).
    pub rejected: Vec<Rejection>,
    /// Each message's (or bare batch's) `seqNo` and `ClientStats`, in the order of
    /// `requests`: the client's own counters, which OTLP has no place for.
    pub clients: Vec<ClientReport>,
}

/// The `seqNo` and `ClientStats` of each message (or bare batch) of a Jaeger Thrift payload
/// (same reading as [`to_otlp`]): the client-reported drop counters, e.g. for self-metrics.
pub fn client_reports(format: Format, input: &[u8]) -> Result<Vec<ClientReport>, DecodeError> {
    to_otlp(format, input).map(|out| out.clients)
}

/// Reads a Jaeger Thrift payload (`format`: compact `emitBatch` messages; binary `emitBatch`
/// messages or bare `Batch` structs) and maps it to OTLP protobuf.
pub fn to_otlp(format: Format, input: &[u8]) -> Result<ToOtlpBytes, DecodeError> {
    let mut st = State::new(input.len());
    match format {
        Format::JaegerThriftCompact => {
            let mut r = CompactReader::new(input);
            for_each_message(&mut r, format, |r| st.emit_batch_args(r))?;
        }
        Format::JaegerThriftBinary if is_binary_message(input) => {
            let mut r = BinaryReader::new(input);
            for_each_message(&mut r, format, |r| st.emit_batch_args(r))?;
        }
        Format::JaegerThriftBinary => {
            if input.is_empty() {
                return Err(DecodeError::new(format, Location::Input, "empty input: no Batch"));
            }
            let mut r = BinaryReader::new(input);
            while !r.is_empty() {
                st.batch(&mut r).map_err(|e| e.into_decode_error(format))?;
                st.finish_message();
            }
        }
        other => {
            return Err(DecodeError::new(other, Location::Input, "not a Jaeger Thrift format"))
        }
    }
    Ok(st.out)
}

/// A strict binary-protocol message starts with version 0x8001; a bare `Batch` starts with a
/// field header (type STRUCT = 12, id 1 for `process`), never 0x80.
pub fn is_binary_message(input: &[u8]) -> bool {
    input.len() >= 2 && input[0] == 0x80 && input[1] == 0x01
}

struct State<'a> {
    map: ToOtlp,
    out: ToOtlpBytes,
    span: SpanView<'a>,
    process: ProcessView<'a>,
    message: usize,
    client: ClientReport,
}

impl<'a> State<'a> {
    fn new(input_len: usize) -> Self {
        let mut map = ToOtlp::new();
        // The spans' protobuf is about as large as their Thrift (usually one group).
        map.reserve_spans(input_len + input_len / 4);
        State {
            map,
            out: ToOtlpBytes {
                // OTLP protobuf of Jaeger spans is about as large as their Thrift.
                bytes: Vec::with_capacity(input_len + input_len / 2),
                ..Default::default()
            },
            span: SpanView::default(),
            process: ProcessView::default(),
            message: 0,
            client: ClientReport::default(),
        }
    }

    fn finish_message(&mut self) {
        let start = self.out.bytes.len();
        self.map.finish_into(&mut self.out.bytes);
        self.out.requests.push(start..self.out.bytes.len());
        self.out.clients.push(std::mem::take(&mut self.client));
        self.message += 1;
    }

    /// The `emitBatch` arguments: field 1 is the batch (the last one wins, as in generated
    /// code).
    fn emit_batch_args<R: TagReader<'a> + Clone>(
        &mut self,
        r: &mut R,
    ) -> Result<bool, ThriftError> {
        let mut found = false;
        let rejected_before = self.out.rejected.len();
        r.read_struct_begin()?;
        while let Some(f) = r.read_field_begin()? {
            match (f.id, f.ttype) {
                (1, TType::Struct) => {
                    self.out.rejected.truncate(rejected_before);
                    self.batch(r)?;
                    found = true;
                }
                (_, other) => r.skip(other)?,
            }
        }
        r.read_struct_end();
        if found {
            self.finish_message();
        }
        Ok(found)
    }

    /// One `Batch`, mapped as soon as its process is known. The process normally comes first;
    /// when it does not (or comes twice, or the span list does), the spans are mapped again
    /// from where their list starts, so the last occurrence of each field wins as in
    /// generated code.
    fn batch<R: TagReader<'a> + Clone>(&mut self, r: &mut R) -> Result<(), ThriftError> {
        let rejected_before = self.out.rejected.len();
        self.map.clear();
        self.client = ClientReport::default();
        let mut has_process = false;
        let mut spans_at: Option<R> = None;
        let mut mapped = false;
        r.read_struct_begin()?;
        while let Some(f) = r.read_field_begin()? {
            match (f.id, f.ttype) {
                (1, TType::Struct) => {
                    read_process(r, &mut self.process)?;
                    has_process = true;
                    mapped = false;
                }
                (2, TType::List) => {
                    spans_at = Some(r.clone());
                    if has_process {
                        self.map_spans(r, rejected_before, true)?;
                        mapped = true;
                    } else {
                        r.skip(TType::List)?;
                    }
                }
                // seqNo and ClientStats: the client's bookkeeping, reported beside the OTLP.
                (3, TType::I64) => self.client.seq_no = Some(r.read_i64()?),
                (4, TType::Struct) => self.client.stats = Some(read_client_stats(r)?),
                (_, other) => r.skip(other)?,
            }
        }
        r.read_struct_end();
        if let (false, Some(mut at)) = (mapped, spans_at) {
            self.map_spans(&mut at, rejected_before, has_process)?;
        }
        Ok(())
    }

    fn map_spans<R: TagReader<'a>>(
        &mut self,
        r: &mut R,
        rejected_before: usize,
        has_process: bool,
    ) -> Result<(), ThriftError> {
        self.out.rejected.truncate(rejected_before);
        self.map.clear();
        self.map.begin_batch(has_process.then_some(&self.process));
        let header = r.read_list_begin()?;
        if header.elem != TType::Struct {
            for _ in 0..header.len {
                r.skip(header.elem)?;
            }
            return Ok(());
        }
        for j in 0..header.len {
            read_span(r, &mut self.span)?;
            self.map.span(self.message, j, &self.span, &mut self.out.rejected);
        }
        Ok(())
    }
}

#[inline]
fn text(bytes: &[u8]) -> Cow<'_, str> {
    // Borrowed when valid; U+FFFD for bad bytes otherwise (one odd tag must not lose the
    // whole UDP packet). `from_utf8` first: it is much faster than the lossy scan on valid
    // text, which is all real clients send.
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Reads a `list<T>` header; `Some(len)` when its elements are structs, else skips it.
#[inline]
fn struct_list<'a, R: ProtocolReader<'a>>(r: &mut R) -> Result<Option<usize>, ThriftError> {
    let header = r.read_list_begin()?;
    if header.elem != TType::Struct {
        for _ in 0..header.len {
            r.skip(header.elem)?;
        }
        return Ok(None);
    }
    Ok(Some(header.len))
}

fn read_client_stats<'a, R: ProtocolReader<'a>>(r: &mut R) -> Result<ClientStats, ThriftError> {
    let mut stats = ClientStats::default();
    r.read_struct_begin()?;
    while let Some(f) = r.read_field_begin()? {
        match (f.id, f.ttype) {
            (1, TType::I64) => stats.full_queue_dropped_spans = r.read_i64()?,
            (2, TType::I64) => stats.too_large_dropped_spans = r.read_i64()?,
            (3, TType::I64) => stats.failed_to_emit_spans = r.read_i64()?,
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    Ok(stats)
}

fn read_process<'a, R: TagReader<'a>>(
    r: &mut R,
    p: &mut ProcessView<'a>,
) -> Result<(), ThriftError> {
    p.service_name = Cow::Borrowed("");
    p.tags.clear();
    r.read_struct_begin()?;
    while let Some(f) = r.read_field_begin()? {
        match (f.id, f.ttype) {
            (1, TType::Binary) => p.service_name = text(r.read_binary()?),
            (2, TType::List) => {
                p.tags.clear();
                for _ in 0..struct_list(r)?.unwrap_or(0) {
                    p.tags.push(read_tag(r)?);
                }
            }
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    Ok(())
}

fn read_span<'a, R: TagReader<'a>>(r: &mut R, span: &mut SpanView<'a>) -> Result<(), ThriftError> {
    span.clear();
    let (mut low, mut high, mut span_id, mut parent) = (0i64, 0i64, 0i64, 0i64);
    let (mut start, mut duration, mut flags) = (0i64, 0i64, 0i32);
    r.read_struct_begin()?;
    while let Some(f) = r.read_field_begin()? {
        match (f.id, f.ttype) {
            (1, TType::I64) => low = r.read_i64()?,
            (2, TType::I64) => high = r.read_i64()?,
            (3, TType::I64) => span_id = r.read_i64()?,
            (4, TType::I64) => parent = r.read_i64()?,
            (5, TType::Binary) => span.operation_name = text(r.read_binary()?),
            (6, TType::List) => {
                span.references.clear();
                for _ in 0..struct_list(r)?.unwrap_or(0) {
                    span.references.push(read_ref(r)?);
                }
            }
            (7, TType::I32) => flags = r.read_i32()?,
            (8, TType::I64) => start = r.read_i64()?,
            (9, TType::I64) => duration = r.read_i64()?,
            (10, TType::List) => {
                span.tags.clear();
                for _ in 0..struct_list(r)?.unwrap_or(0) {
                    span.tags.push(read_tag(r)?);
                }
            }
            (11, TType::List) => {
                span.logs.clear();
                span.log_fields.clear();
                for _ in 0..struct_list(r)?.unwrap_or(0) {
                    read_log(r, span)?;
                }
            }
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    span.trace_id = Id::from_halves(high, low);
    span.span_id = Id::from_i64(span_id);
    span.parent_span_id = (parent != 0).then(|| ids::span_id_from_i64(parent));
    span.flags = flags as u32;
    span.start_ns = i128::from(start) * 1000;
    span.duration_ns = i128::from(duration) * 1000;
    Ok(())
}

fn read_ref<'a, R: ProtocolReader<'a>>(r: &mut R) -> Result<RefView, ThriftError> {
    let (mut ref_type, mut low, mut high, mut span_id) = (0i32, 0i64, 0i64, 0i64);
    r.read_struct_begin()?;
    while let Some(f) = r.read_field_begin()? {
        match (f.id, f.ttype) {
            (1, TType::I32) => ref_type = r.read_i32()?,
            (2, TType::I64) => low = r.read_i64()?,
            (3, TType::I64) => high = r.read_i64()?,
            (4, TType::I64) => span_id = r.read_i64()?,
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    // Thrift's SpanRefType numbers CHILD_OF=0, FOLLOWS_FROM=1 like api_v2: kept as is.
    Ok(RefView { trace_id: Id::from_halves(high, low), span_id: Id::from_i64(span_id), ref_type })
}

fn read_log<'a, R: TagReader<'a>>(r: &mut R, span: &mut SpanView<'a>) -> Result<(), ThriftError> {
    let start = span.log_fields.len();
    let mut timestamp = 0i64;
    r.read_struct_begin()?;
    while let Some(f) = r.read_field_begin()? {
        match (f.id, f.ttype) {
            (1, TType::I64) => timestamp = r.read_i64()?,
            (2, TType::List) => {
                span.log_fields.truncate(start);
                for _ in 0..struct_list(r)?.unwrap_or(0) {
                    let tag = read_tag(r)?;
                    span.log_fields.push(tag);
                }
            }
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    span.logs.push(LogView {
        time_ns: i128::from(timestamp) * 1000,
        fields: start..span.log_fields.len(),
    });
    Ok(())
}

/// A Thrift `Tag` as read, before its value type picks the value.
struct RawTag<'a> {
    key: &'a [u8],
    v_type: i32,
    v_str: &'a [u8],
    v_double: f64,
    v_bool: bool,
    v_long: i64,
    v_binary: &'a [u8],
}

impl<'a> RawTag<'a> {
    const EMPTY: RawTag<'static> = RawTag {
        key: b"",
        v_type: TAG_STRING,
        v_str: b"",
        v_double: 0.0,
        v_bool: false,
        v_long: 0,
        v_binary: b"",
    };

    #[inline]
    fn into_tag(self) -> Tag<'a> {
        let value = match self.v_type {
            TAG_STRING => TagValue::Str(text(self.v_str)),
            TAG_DOUBLE => TagValue::Double(self.v_double),
            TAG_BOOL => TagValue::Bool(self.v_bool),
            TAG_LONG => TagValue::Long(self.v_long),
            TAG_BINARY => TagValue::Binary(self.v_binary),
            other => TagValue::Str(Cow::Owned(format!("unknown Jaeger Thrift tag type {other}"))),
        };
        Tag { key: text(self.key), value }
    }
}

/// Readers with a fast path for the usual wire shape of a Jaeger `Tag`.
trait TagReader<'a>: ProtocolReader<'a> {
    /// The next `Tag` struct when it has the usual shape, read whole; `None` (nothing read)
    /// otherwise.
    #[inline]
    fn fast_tag(&mut self) -> Option<Tag<'a>> {
        None
    }
}

impl<'a> TagReader<'a> for BinaryReader<'a> {}

impl<'a> TagReader<'a> for CompactReader<'a> {
    #[inline(always)]
    fn fast_tag(&mut self) -> Option<Tag<'a>> {
        if !self.can_nest() {
            return None;
        }
        let (tag, n) = compact_tag(self.rest())?;
        self.advance(n);
        Some(tag)
    }
}

/// A one-byte compact length (a string of fewer than 128 bytes) and the bytes it covers.
#[inline(always)]
fn short_binary<'a>(b: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let len = *b.get(*pos)?;
    if len >= 0x80 {
        return None;
    }
    let start = *pos + 1;
    let bytes = b.get(start..start + usize::from(len))?;
    *pos = start + usize::from(len);
    Some(bytes)
}

/// A compact `Tag` as every client writes it: key (field 1), vType (field 2, one byte), the
/// value field that vType names (3 to 7, by delta), then stop; strings shorter than 128
/// bytes. Returns the tag and its size, or `None` for any other shape (the general reader
/// takes it, with the same result).
#[inline(always)]
fn compact_tag(b: &[u8]) -> Option<(Tag<'_>, usize)> {
    let (&[0x18, key_len], _) = b.split_first_chunk::<2>()? else { return None };
    let mut pos = 1;
    let key = short_binary(b, &mut pos)?;
    let (&[0x15, v_type, header], _) = b.get(pos..)?.split_first_chunk::<3>()? else {
        return None;
    };
    pos += 3;
    // vType is a zigzag varint: 2 × the type for the five types.
    let value = match (v_type, header) {
        (0x00, 0x18) => {
            let value = short_binary(b, &mut pos)?;
            if *b.get(pos)? != 0 {
                return None;
            }
            // Every byte around the two strings is below 0x80 here, so the whole struct is
            // UTF-8 exactly when both strings are: one check for both.
            if let Ok(whole) = std::str::from_utf8(b.get(..pos)?) {
                let key_end = 2 + usize::from(key_len);
                let (k, v) = (whole.get(2..key_end)?, whole.get(pos - value.len()..)?);
                return Some((
                    Tag { key: Cow::Borrowed(k), value: TagValue::Str(Cow::Borrowed(v)) },
                    pos + 1,
                ));
            }
            TagValue::Str(text(value))
        }
        (0x02, 0x27) => {
            let bits = b.get(pos..)?.first_chunk::<8>()?;
            pos += 8;
            TagValue::Double(f64::from_bits(u64::from_le_bytes(*bits)))
        }
        (0x04, 0x31 | 0x32) => TagValue::Bool(header == 0x31),
        (0x06, 0x46) => {
            let mut value = 0u64;
            let mut i = 0;
            loop {
                let byte = *b.get(pos + i)?;
                value |= u64::from(byte & 0x7f) << (7 * i);
                i += 1;
                if byte < 0x80 {
                    break;
                }
                if i == 10 {
                    return None;
                }
            }
            pos += i;
            TagValue::Long(((value >> 1) as i64) ^ -((value & 1) as i64))
        }
        (0x08, 0x58) => TagValue::Binary(short_binary(b, &mut pos)?),
        _ => return None,
    };
    if *b.get(pos)? != 0 {
        return None;
    }
    Some((Tag { key: text(key), value }, pos + 1))
}

#[inline(always)]
fn read_tag<'a, R: TagReader<'a>>(r: &mut R) -> Result<Tag<'a>, ThriftError> {
    if let Some(tag) = r.fast_tag() {
        return Ok(tag);
    }
    read_tag_slow(r)
}

#[inline(never)]
fn read_tag_slow<'a, R: ProtocolReader<'a>>(r: &mut R) -> Result<Tag<'a>, ThriftError> {
    let mut t = RawTag::EMPTY;
    r.read_struct_begin()?;
    while let Some(f) = r.read_field_begin()? {
        match (f.id, f.ttype) {
            (1, TType::Binary) => t.key = r.read_binary()?,
            (2, TType::I32) => t.v_type = r.read_i32()?,
            (3, TType::Binary) => t.v_str = r.read_binary()?,
            (4, TType::Double) => t.v_double = r.read_double()?,
            (5, TType::Bool) => t.v_bool = r.read_bool()?,
            (6, TType::I64) => t.v_long = r.read_i64()?,
            (7, TType::Binary) => t.v_binary = r.read_binary()?,
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    Ok(t.into_tag())
}

/// How [`ThriftSink`] frames batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Agent.emitBatch` ONEWAY messages, sequence ids 1, 2, 3... (agent UDP payload).
    AgentMessages,
    /// Bare `Batch` structs, concatenated (collector HTTP body).
    BareBatches,
}

/// Writes the batches of [`super::from_otlp::map_request`] as Thrift.
#[derive(Debug)]
pub struct ThriftSink<W> {
    out: W,
    process: W,
    spans: W,
    count: usize,
    batches: i32,
    framing: Framing,
}

impl<W: ProtocolWriter + Default> ThriftSink<W> {
    /// A sink writing into `buf` (appending).
    pub fn new(framing: Framing, out: W) -> Self {
        ThriftSink {
            out,
            process: W::default(),
            spans: W::default(),
            count: 0,
            batches: 0,
            framing,
        }
    }

    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.out.into_inner()
    }
}

impl<W: TagWriter> JaegerSink for ThriftSink<W> {
    fn begin_batch(&mut self, process: &ProcessView<'_>) {
        self.process.clear();
        let w = &mut self.process;
        w.write_struct_begin();
        w.write_str_field(1, &process.service_name);
        if !process.tags.is_empty() {
            write_tags(w, 2, &process.tags);
        }
        w.write_field_stop();
        w.write_struct_end();
        self.spans.clear();
        self.count = 0;
    }

    fn span(&mut self, span: &SpanView<'_>) {
        write_span(&mut self.spans, span);
        self.count += 1;
    }

    fn end_batch(&mut self) {
        if self.count == 0 {
            return;
        }
        self.batches = self.batches.wrapping_add(1);
        let w = &mut self.out;
        let message = self.framing == Framing::AgentMessages;
        if message {
            w.write_message_begin(EMIT_BATCH, MessageType::Oneway, self.batches);
            w.write_struct_begin();
            w.write_field_begin(TType::Struct, 1);
        }
        w.write_struct_begin();
        w.write_field_begin(TType::Struct, 1);
        w.write_raw(self.process.bytes());
        w.write_field_begin(TType::List, 2);
        w.write_list_begin(TType::Struct, self.count);
        w.write_raw(self.spans.bytes());
        w.write_field_stop();
        w.write_struct_end();
        if message {
            w.write_field_stop();
            w.write_struct_end();
        }
    }
}

/// ns → µs: times rounded down, clamped to the i64 range.
#[inline]
fn micros(ns: i128) -> i64 {
    // 64-bit division when the value fits (every real time): 128-bit division is a call.
    match i64::try_from(ns) {
        Ok(ns) => ns.div_euclid(1000),
        Err(_) => ns.div_euclid(1000).clamp(i64::MIN.into(), i64::MAX.into()) as i64,
    }
}

/// ns → µs: durations truncated toward zero, clamped to the i64 range.
#[inline]
fn duration_micros(ns: i128) -> i64 {
    match i64::try_from(ns) {
        Ok(ns) => ns / 1000,
        Err(_) => (ns / 1000).clamp(i64::MIN.into(), i64::MAX.into()) as i64,
    }
}

fn write_span<W: TagWriter>(w: &mut W, span: &SpanView<'_>) {
    let halves = |id: &Id| id.as_slice().and_then(ids::trace_id_to_halves).unwrap_or((0, 0));
    let span_i64 = |id: &Id| id.as_slice().and_then(ids::span_id_to_i64).unwrap_or(0);
    let (high, low) = halves(&span.trace_id);
    // parentSpanId: the first same-trace CHILD_OF (all references are still written, as
    // Jaeger's own model-to-Thrift converter does).
    let parent = span
        .references
        .iter()
        .find(|r| {
            r.ref_type == super::model::SpanRefType::ChildOf as i32
                && r.trace_id.as_slice().and_then(ids::trace_id_to_halves) == Some((high, low))
        })
        .map_or(0, |r| span_i64(&r.span_id));
    w.write_struct_begin();
    w.write_i64_field(1, low);
    w.write_i64_field(2, high);
    w.write_i64_field(3, span_i64(&span.span_id));
    w.write_i64_field(4, parent);
    w.write_str_field(5, &span.operation_name);
    if !span.references.is_empty() {
        w.write_field_begin(TType::List, 6);
        w.write_list_begin(TType::Struct, span.references.len());
        for r in &span.references {
            let (high, low) = halves(&r.trace_id);
            w.write_struct_begin();
            w.write_i32_field(1, r.ref_type);
            w.write_i64_field(2, low);
            w.write_i64_field(3, high);
            w.write_i64_field(4, span_i64(&r.span_id));
            w.write_field_stop();
            w.write_struct_end();
        }
    }
    w.write_i32_field(7, span.flags as i32);
    w.write_i64_field(8, micros(span.start_ns));
    w.write_i64_field(9, duration_micros(span.duration_ns));
    if !span.tags.is_empty() {
        write_tags(w, 10, &span.tags);
    }
    if !span.logs.is_empty() {
        w.write_field_begin(TType::List, 11);
        w.write_list_begin(TType::Struct, span.logs.len());
        for log in &span.logs {
            w.write_struct_begin();
            w.write_i64_field(1, micros(log.time_ns));
            write_tags(w, 2, span.fields(log));
            w.write_field_stop();
            w.write_struct_end();
        }
    }
    w.write_field_stop();
    w.write_struct_end();
}

fn write_tags<W: TagWriter>(w: &mut W, field_id: i16, tags: &[Tag<'_>]) {
    w.write_field_begin(TType::List, field_id);
    w.write_list_begin(TType::Struct, tags.len());
    for tag in tags {
        w.write_tag(tag);
    }
}

/// Writers of a Jaeger `Tag` struct; the compact one writes its bytes in one go.
trait TagWriter: ProtocolWriter {
    /// One `Tag` struct.
    fn write_tag(&mut self, tag: &Tag<'_>) {
        write_tag_fields(self, tag);
    }
}

impl TagWriter for BinaryWriter {}

impl TagWriter for CompactWriter {
    #[inline]
    fn write_tag(&mut self, tag: &Tag<'_>) {
        let buf = self.buffer_mut();
        // Field headers as deltas from the previous field (0 at the struct's start); vType
        // is a one-byte zigzag varint (0..=4).
        let varint = |buf: &mut Vec<u8>, mut n: u64| {
            while n >= 0x80 {
                buf.push(n as u8 | 0x80);
                n >>= 7;
            }
            buf.push(n as u8);
        };
        let v_type = |t: i32| (t as u8) << 1;
        buf.push(0x18);
        varint(buf, tag.key.len() as u64);
        buf.extend_from_slice(tag.key.as_bytes());
        match &tag.value {
            TagValue::Str(s) => {
                buf.extend_from_slice(&[0x15, v_type(TAG_STRING), 0x18]);
                varint(buf, s.len() as u64);
                buf.extend_from_slice(s.as_bytes());
            }
            TagValue::Double(d) => {
                buf.extend_from_slice(&[0x15, v_type(TAG_DOUBLE), 0x27]);
                buf.extend_from_slice(&d.to_bits().to_le_bytes());
            }
            TagValue::Bool(b) => {
                buf.extend_from_slice(&[0x15, v_type(TAG_BOOL), if *b { 0x31 } else { 0x32 }]);
            }
            TagValue::Long(i) => {
                buf.extend_from_slice(&[0x15, v_type(TAG_LONG), 0x46]);
                varint(buf, ((i << 1) ^ (i >> 63)) as u64);
            }
            TagValue::Binary(b) => {
                buf.extend_from_slice(&[0x15, v_type(TAG_BINARY), 0x58]);
                varint(buf, b.len() as u64);
                buf.extend_from_slice(b);
            }
        }
        buf.push(0);
    }
}

/// One `Tag` struct, field by field.
fn write_tag_fields<W: ProtocolWriter + ?Sized>(w: &mut W, tag: &Tag<'_>) {
    w.write_struct_begin();
    w.write_str_field(1, &tag.key);
    match &tag.value {
        TagValue::Str(s) => {
            w.write_i32_field(2, TAG_STRING);
            w.write_str_field(3, s);
        }
        TagValue::Double(d) => {
            w.write_i32_field(2, TAG_DOUBLE);
            w.write_double_field(4, *d);
        }
        TagValue::Bool(b) => {
            w.write_i32_field(2, TAG_BOOL);
            w.write_bool_field(5, *b);
        }
        TagValue::Long(i) => {
            w.write_i32_field(2, TAG_LONG);
            w.write_i64_field(6, *i);
        }
        TagValue::Binary(b) => {
            w.write_i32_field(2, TAG_BINARY);
            w.write_binary_field(7, b);
        }
    }
    w.write_field_stop();
    w.write_struct_end();
}

/// OTLP protobuf views → Jaeger Thrift (`protocol` compact: agent `emitBatch` messages;
/// binary: bare `Batch` structs), through the one OTLP → Jaeger mapping.
pub fn from_otlp(
    protocol: Protocol,
    request: &crate::otlp::wire::TracesView<'_>,
) -> (Vec<u8>, Vec<Rejection>) {
    let framing = match protocol {
        Protocol::Compact => Framing::AgentMessages,
        Protocol::Binary => Framing::BareBatches,
    };
    from_otlp_framed(protocol, framing, request)
}

/// As [`from_otlp`], with the framing chosen: e.g. binary `emitBatch` messages (the Node
/// client's UDP payload) or compact bare batches.
pub fn from_otlp_framed(
    protocol: Protocol,
    framing: Framing,
    request: &crate::otlp::wire::TracesView<'_>,
) -> (Vec<u8>, Vec<Rejection>) {
    let capacity = request.as_bytes().len() + request.as_bytes().len() / 2;
    match protocol {
        Protocol::Compact => {
            let out = CompactWriter::with_buffer(Vec::with_capacity(capacity));
            let mut sink = ThriftSink::new(framing, out);
            sink.spans = CompactWriter::with_buffer(Vec::with_capacity(capacity));
            let rejected = super::from_otlp::map_request(request, &mut sink);
            (sink.finish(), rejected)
        }
        Protocol::Binary => {
            let out = BinaryWriter::with_buffer(Vec::with_capacity(capacity));
            let mut sink = ThriftSink::new(framing, out);
            sink.spans = BinaryWriter::with_buffer(Vec::with_capacity(capacity));
            let rejected = super::from_otlp::map_request(request, &mut sink);
            (sink.finish(), rejected)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thrift::ProtocolWriter;
    use proptest::prelude::*;

    /// The fast path and the general reader agree: same tag (or error) and same position.
    fn agree(bytes: &[u8]) {
        let mut fast = CompactReader::new(bytes);
        let mut slow = CompactReader::new(bytes);
        let a = read_tag(&mut fast);
        let b = read_tag_slow(&mut slow);
        assert_eq!(a, b, "{bytes:02x?}");
        if a.is_ok() {
            assert_eq!(fast.position(), slow.position(), "{bytes:02x?}");
        }
    }

    fn tag_bytes(key: &str, value: &TagValue<'_>) -> Vec<u8> {
        let mut w = CompactWriter::default();
        write_tags(&mut w, 1, &[Tag { key: key.into(), value: value.clone() }]);
        // Drop the list's field and list headers: the tag struct alone.
        w.bytes()[2..].to_vec()
    }

    #[test]
    fn fast_tags_read_what_the_general_reader_reads() {
        let long = "x".repeat(200);
        let values = [
            TagValue::Str("v".into()),
            TagValue::Str(long.as_str().into()),
            TagValue::Str("".into()),
            TagValue::Bool(true),
            TagValue::Bool(false),
            TagValue::Long(0),
            TagValue::Long(-1),
            TagValue::Long(i64::MIN),
            TagValue::Long(i64::MAX),
            TagValue::Double(1.5),
            TagValue::Binary(b"\x00\xff"),
        ];
        for key in ["k", "", long.as_str()] {
            for v in &values {
                let bytes = tag_bytes(key, v);
                // Short strings take the fast path.
                let short = key.len() < 128 && !matches!(v, TagValue::Str(s) if s.len() >= 128);
                assert_eq!(CompactReader::new(&bytes).fast_tag().is_some(), short, "{bytes:02x?}");
                let mut r = CompactReader::new(&bytes);
                let tag = read_tag(&mut r).unwrap();
                assert_eq!(tag.key, key);
                assert_eq!(&tag.value, v);
                assert_eq!(r.position(), bytes.len());
                agree(&bytes);
                // The compact writer's one-go tag is the field-by-field one.
                let mut w = CompactWriter::default();
                write_tag_fields(&mut w, &tag);
                assert_eq!(w.bytes(), bytes.as_slice());
                for cut in 0..bytes.len() {
                    agree(&bytes[..cut]);
                }
            }
        }
        // An unknown value type, and an invalid UTF-8 key.
        agree(&[0x18, 1, b'k', 0x15, 0x14, 0x00]);
        agree(&[0x18, 1, 0xff, 0x15, 0x00, 0x18, 1, b'v', 0x00]);
    }

    #[test]
    fn tag_type_numbering() {
        // A Tag struct with every value field set; only the one vType names is kept.
        fn tag_bytes(v_type: i32) -> Vec<u8> {
            let mut w = BinaryWriter::new();
            w.write_struct_begin();
            w.write_i32_field(2, v_type);
            w.write_str_field(1, "k");
            w.write_str_field(3, "str");
            w.write_double_field(4, 1.25);
            w.write_bool_field(5, true);
            w.write_i64_field(6, -3);
            w.write_binary_field(7, b"\x00\xff");
            w.write_field_stop();
            w.write_struct_end();
            w.into_inner()
        }
        let read = |t| {
            // Leaked so the borrowed value outlives the closure (a test only).
            let bytes: &'static [u8] = tag_bytes(t).leak();
            let tag = read_tag(&mut BinaryReader::new(bytes)).unwrap();
            assert_eq!(tag.key, "k");
            tag.value
        };
        assert_eq!(read(0), TagValue::Str("str".into()));
        assert_eq!(read(1), TagValue::Double(1.25));
        assert_eq!(read(2), TagValue::Bool(true));
        assert_eq!(read(3), TagValue::Long(-3));
        assert_eq!(read(4), TagValue::Binary(b"\x00\xff"));
        assert_eq!(read(9), TagValue::Str("unknown Jaeger Thrift tag type 9".into()));
        // Writing: STRING=0, DOUBLE=1, BOOL=2, LONG=3, BINARY=4 on the wire.
        let tags = [
            Tag { key: "s".into(), value: TagValue::Str("v".into()) },
            Tag { key: "b".into(), value: TagValue::Bool(true) },
            Tag { key: "i".into(), value: TagValue::Long(-9_000_000_000) },
            Tag { key: "f".into(), value: TagValue::Double(2.5) },
            Tag { key: "x".into(), value: TagValue::Binary(&[0, 1, 0xfe]) },
        ];
        let mut w = BinaryWriter::new();
        write_tags(&mut w, 10, &tags);
        let bytes = w.into_inner();
        let mut r = BinaryReader::new(&bytes);
        r.read_field_begin().unwrap();
        let h = r.read_list_begin().unwrap();
        let mut types = Vec::new();
        for want in &tags {
            let mut t = -1;
            let mut probe = r.clone();
            probe.read_struct_begin().unwrap();
            while let Some(f) = probe.read_field_begin().unwrap() {
                if f.id == 2 {
                    t = probe.read_i32().unwrap();
                } else {
                    probe.skip(f.ttype).unwrap();
                }
            }
            types.push(t);
            assert_eq!(&read_tag(&mut r).unwrap(), want);
        }
        assert_eq!(h.len, 5);
        assert_eq!(types, [TAG_STRING, TAG_BOOL, TAG_LONG, TAG_DOUBLE, TAG_BINARY]);
    }

    #[test]
    fn times_and_their_edges() {
        // Times round down (also before 1970); durations truncate toward zero.
        assert_eq!(micros(-1), -1);
        assert_eq!(micros(-1_500), -2);
        assert_eq!(duration_micros(-1_500), -1);
        assert_eq!(micros(1_000_001_999), 1_000_001);
        assert_eq!(duration_micros(1_999), 1);
        // Huge values saturate instead of overflowing.
        assert_eq!(micros(i128::MAX), i64::MAX);
        assert_eq!(micros(i128::MIN), i64::MIN);
        assert_eq!(duration_micros(i128::MAX), i64::MAX);
        for us in [0i64, 1, -1, 999_999, -999_999, 1_700_000_000_123_456, i64::MAX, i64::MIN + 1] {
            let ns = i128::from(us) * 1000;
            assert_eq!(micros(ns), us);
            assert_eq!(duration_micros(ns), us);
        }
    }

    proptest! {
        #[test]
        fn fast_tags_agree_on_any_bytes(
            mut bytes in proptest::collection::vec(any::<u8>(), 0..24),
            shape in 0usize..3,
        ) {
            // Steer some inputs into the fast path's shape.
            let prefix: &[u8] = match shape {
                0 => &[],
                1 => &[0x18, 1, b'k', 0x15],
                _ => &[0x18, 1, b'k', 0x15, 0x0c],
            };
            bytes.splice(0..0, prefix.iter().copied());
            agree(&bytes);
        }
    }
}
