//! Jaeger's Thrift IDL (`jaeger.thrift`, `agent.thrift` of jaeger-idl) ⇄ the api_v2 model.
//!
//! Two framings:
//! - the agent's UDP payload: one or more `Agent.emitBatch(1: Batch)` messages, compact protocol
//!   (port 6831, most clients) or binary (port 6832, Node `jaeger-client`) —
//!   [`decode_agent_messages`] / [`encode_agent_messages`];
//! - the collector's HTTP body (`POST /api/traces`): one or more bare binary-protocol `Batch`
//!   structs — [`decode_batches`] / [`encode_batches`].
//!
//! Thrift → model:
//! - `traceIdHigh`/`traceIdLow` (signed i64) → 16 bytes big-endian, high half first (a 64-bit
//!   id gets 8 zero bytes in front); `spanId` → 8 bytes.
//! - `parentSpanId` ≠ 0 → a same-trace `CHILD_OF` reference to it becomes the first same-trace
//!   `CHILD_OF` of `references` (it is inserted at the front, or moved there when another
//!   same-trace `CHILD_OF` came first, or left alone when it already is the first); the other
//!   references keep their type and order.
//! - Tag types STRING=0, DOUBLE=1, BOOL=2, LONG=3, BINARY=4 → `ValueType` STRING, FLOAT64,
//!   BOOL, INT64, BINARY (api_v2 numbers them differently). An unknown tag type becomes a
//!   STRING tag saying so.
//! - µs times and durations → `Timestamp` / `Duration`; flags `i32` → `u32` (same bits).
//! - Strings that are not UTF-8 are read with U+FFFD replacing the bad bytes (one odd tag does
//!   not lose the whole UDP packet); the generic [`ProtocolReader::read_str`] would refuse them.
//! - Unknown fields, and known fields of an unexpected type, are skipped (forward
//!   compatibility, as generated Thrift code does). Missing required fields read as zero or
//!   empty: a span without ids gets zero ids, which the OTLP mapping rejects, not this codec.
//!
//! Model → Thrift:
//! - `parentSpanId` = span id of the first same-trace `CHILD_OF` reference (0 if none); all
//!   references are still written to `references`, as Jaeger's own model-to-Thrift converter
//!   does.
//! - `Timestamp` / `Duration` → µs; sub-microsecond nanoseconds are dropped (truncation toward
//!   zero for durations and post-1970 times), clamped to the i64 range instead of overflowing.
//! - Only `Batch.process` is written: spans carrying their own `process` must be grouped into
//!   one batch per process by the caller, as Thrift has no per-span process.
//! - Optional lists (`references`, `tags`, `logs`) are written only when non-empty.

use super::model::{self, SpanRefType, ValueType};
use crate::ids;
use crate::thrift::{
    BinaryReader, BinaryWriter, CompactReader, CompactWriter, MessageType, ProtocolReader,
    ProtocolWriter, TType, ThriftError,
};
use crate::{DecodeError, Format, Location};

pub use crate::thrift::Protocol;

/// The Agent method carrying a Jaeger batch.
pub const EMIT_BATCH: &str = "emitBatch";
/// The Agent method carrying Zipkin v1 spans (not handled here).
pub const EMIT_ZIPKIN_BATCH: &str = "emitZipkinBatch";

/// Most elements a list pre-allocates room for: counts are already bounded by the input left,
/// this also bounds the memory a lying count can claim before its elements fail to parse.
const PRESIZE_CAP: usize = 1024;

// Thrift TagType codes.
pub(super) const TAG_STRING: i32 = 0;
pub(super) const TAG_DOUBLE: i32 = 1;
pub(super) const TAG_BOOL: i32 = 2;
pub(super) const TAG_LONG: i32 = 3;
pub(super) const TAG_BINARY: i32 = 4;

/// One Thrift `Batch` as read: the model batch plus the client's bookkeeping fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ThriftBatch {
    /// Process and spans. Spans carry no process of their own.
    pub batch: model::Batch,
    /// `Batch.seqNo`: the client's batch counter, to detect lost UDP packets.
    pub seq_no: Option<i64>,
    /// `Batch.stats`: the client's cumulative drop counters.
    pub stats: Option<ClientStats>,
}

/// `ClientStats`: spans a client dropped before sending, cumulative since it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientStats {
    /// Dropped because the client's queue was full.
    pub full_queue_dropped_spans: i64,
    /// Dropped because they did not fit in a UDP packet.
    pub too_large_dropped_spans: i64,
    /// Dropped because encoding or sending failed.
    pub failed_to_emit_spans: i64,
}

/// Reads an agent UDP payload: one or more concatenated `Agent.emitBatch` messages (type
/// ONEWAY, or CALL) in `protocol`.
///
/// Errors name [`Format::JaegerThriftCompact`] or [`Format::JaegerThriftBinary`] and the byte
/// offset. An `emitZipkinBatch` message is an error here (it holds Zipkin v1 spans).
pub fn decode_agent_messages(
    protocol: Protocol,
    input: &[u8],
) -> Result<Vec<ThriftBatch>, DecodeError> {
    match protocol {
        Protocol::Compact => {
            read_messages(&mut CompactReader::new(input), Format::JaegerThriftCompact)
        }
        Protocol::Binary => {
            read_messages(&mut BinaryReader::new(input), Format::JaegerThriftBinary)
        }
    }
}

/// Reads a collector HTTP body: one or more concatenated bare binary-protocol `Batch` structs.
pub fn decode_batches(input: &[u8]) -> Result<Vec<ThriftBatch>, DecodeError> {
    const FORMAT: Format = Format::JaegerThriftBinary;
    if input.is_empty() {
        return Err(DecodeError::new(FORMAT, Location::Input, "empty input: no Batch"));
    }
    let mut r = BinaryReader::new(input);
    let mut out = Vec::with_capacity(1);
    while !r.is_empty() {
        out.push(read_batch(&mut r).map_err(|e| e.into_decode_error(FORMAT))?);
    }
    Ok(out)
}

/// Writes one `emitBatch` ONEWAY message per batch, sequence ids 1, 2, 3... (the Go and Java
/// Thrift clients pre-increment their counter, so their first message has id 1).
pub fn encode_agent_messages(protocol: Protocol, batches: &[model::Batch]) -> Vec<u8> {
    fn write_all<W: ProtocolWriter>(mut w: W, batches: &[model::Batch]) -> Vec<u8> {
        for (i, batch) in batches.iter().enumerate() {
            let seq_id = (i as i32).wrapping_add(1);
            write_emit_batch_message(&mut w, seq_id, batch, None, None);
        }
        w.into_inner()
    }
    let buf = Vec::with_capacity(estimate_size(batches));
    match protocol {
        Protocol::Compact => write_all(CompactWriter::with_buffer(buf), batches),
        Protocol::Binary => write_all(BinaryWriter::with_buffer(buf), batches),
    }
}

/// Writes the batches as concatenated bare binary-protocol `Batch` structs (a collector HTTP
/// body; one batch is what clients send).
pub fn encode_batches(batches: &[model::Batch]) -> Vec<u8> {
    let mut w = BinaryWriter::with_buffer(Vec::with_capacity(estimate_size(batches)));
    for batch in batches {
        write_batch(&mut w, batch, None, None);
    }
    w.into_inner()
}

/// Writes one `Agent.emitBatch` ONEWAY message: header, arguments struct, batch.
pub fn write_emit_batch_message<W: ProtocolWriter>(
    w: &mut W,
    seq_id: i32,
    batch: &model::Batch,
    seq_no: Option<i64>,
    stats: Option<&ClientStats>,
) {
    w.write_message_begin(EMIT_BATCH, MessageType::Oneway, seq_id);
    w.write_struct_begin();
    w.write_field_begin(TType::Struct, 1);
    write_batch(w, batch, seq_no, stats);
    w.write_field_stop();
    w.write_struct_end();
}

/// Writes one Thrift `Batch` struct (see the module docs for the rules).
pub fn write_batch<W: ProtocolWriter>(
    w: &mut W,
    batch: &model::Batch,
    seq_no: Option<i64>,
    stats: Option<&ClientStats>,
) {
    w.write_struct_begin();
    w.write_field_begin(TType::Struct, 1);
    write_process(w, batch.process.as_ref());
    w.write_field_begin(TType::List, 2);
    w.write_list_begin(TType::Struct, batch.spans.len());
    for span in &batch.spans {
        write_span(w, span);
    }
    if let Some(seq_no) = seq_no {
        w.write_i64_field(3, seq_no);
    }
    if let Some(stats) = stats {
        w.write_field_begin(TType::Struct, 4);
        w.write_struct_begin();
        w.write_i64_field(1, stats.full_queue_dropped_spans);
        w.write_i64_field(2, stats.too_large_dropped_spans);
        w.write_i64_field(3, stats.failed_to_emit_spans);
        w.write_field_stop();
        w.write_struct_end();
    }
    w.write_field_stop();
    w.write_struct_end();
}

/// Reads one Thrift `Batch` struct at the reader's position (see the module docs for the rules).
pub fn read_batch<'a, R: ProtocolReader<'a>>(r: &mut R) -> Result<ThriftBatch, ThriftError> {
    let mut out = ThriftBatch::default();
    r.read_struct_begin()?;
    while let Some(f) = r.read_field_begin()? {
        match (f.id, f.ttype) {
            (1, TType::Struct) => out.batch.process = Some(read_process(r)?),
            (2, TType::List) => out.batch.spans = read_struct_list(r, read_span)?,
            (3, TType::I64) => out.seq_no = Some(r.read_i64()?),
            (4, TType::Struct) => out.stats = Some(read_client_stats(r)?),
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    Ok(out)
}

fn estimate_size(batches: &[model::Batch]) -> usize {
    // About what a span with a handful of tags takes; only a first guess for the buffer.
    batches.iter().map(|b| 64 + b.spans.len() * 192).sum()
}

fn read_messages<'a, R: ProtocolReader<'a>>(
    r: &mut R,
    format: Format,
) -> Result<Vec<ThriftBatch>, DecodeError> {
    let mut out = Vec::with_capacity(1);
    for_each_message(r, format, |r| match read_emit_batch_args(r)? {
        Some(batch) => {
            out.push(batch);
            Ok(true)
        }
        None => Ok(false),
    })?;
    Ok(out)
}

/// Reads concatenated `emitBatch` messages: checks each header, then lets `args` read the
/// arguments struct; `args` returns whether it held a batch (field 1).
pub(super) fn for_each_message<'a, R: ProtocolReader<'a>>(
    r: &mut R,
    format: Format,
    mut args: impl FnMut(&mut R) -> Result<bool, ThriftError>,
) -> Result<(), DecodeError> {
    if r.is_empty() {
        return Err(DecodeError::new(format, Location::Input, "empty input: no emitBatch message"));
    }
    while !r.is_empty() {
        let at = r.position();
        let err = |reason: String| DecodeError::new(format, Location::Offset(at), reason);
        let msg = r.read_message_begin().map_err(|e| e.into_decode_error(format))?;
        match msg.name {
            EMIT_BATCH => {}
            EMIT_ZIPKIN_BATCH => {
                return Err(err(
                    "emitZipkinBatch is Zipkin v1 Thrift; not handled on this path".into()
                ))
            }
            other => {
                return Err(err(format!("unknown Agent method {other:?}; expected emitBatch")))
            }
        }
        if !matches!(msg.kind, MessageType::Oneway | MessageType::Call) {
            return Err(err(format!(
                "emitBatch message of type {:?}; expected ONEWAY or CALL",
                msg.kind
            )));
        }
        if !args(r).map_err(|e| e.into_decode_error(format))? {
            return Err(err("emitBatch arguments hold no batch (field 1)".into()));
        }
    }
    Ok(())
}

fn read_emit_batch_args<'a, R: ProtocolReader<'a>>(
    r: &mut R,
) -> Result<Option<ThriftBatch>, ThriftError> {
    let mut batch = None;
    r.read_struct_begin()?;
    while let Some(f) = r.read_field_begin()? {
        match (f.id, f.ttype) {
            (1, TType::Struct) => batch = Some(read_batch(r)?),
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    Ok(batch)
}

/// A `list<struct>` read element by element; a list of another element type is skipped.
#[inline]
fn read_struct_list<'a, R: ProtocolReader<'a>, T>(
    r: &mut R,
    read: impl Fn(&mut R) -> Result<T, ThriftError>,
) -> Result<Vec<T>, ThriftError> {
    let header = r.read_list_begin()?;
    if header.elem != TType::Struct {
        for _ in 0..header.len {
            r.skip(header.elem)?;
        }
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(header.len.min(PRESIZE_CAP));
    for _ in 0..header.len {
        out.push(read(r)?);
    }
    Ok(out)
}

#[inline]
fn lossy_string(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read_process<'a, R: ProtocolReader<'a>>(r: &mut R) -> Result<model::Process, ThriftError> {
    let mut process = model::Process::default();
    r.read_struct_begin()?;
    while let Some(f) = r.read_field_begin()? {
        match (f.id, f.ttype) {
            (1, TType::Binary) => process.service_name = lossy_string(r.read_binary()?),
            (2, TType::List) => process.tags = read_struct_list(r, read_tag)?,
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    Ok(process)
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

fn read_span<'a, R: ProtocolReader<'a>>(r: &mut R) -> Result<model::Span, ThriftError> {
    let (mut low, mut high, mut span_id, mut parent) = (0i64, 0i64, 0i64, 0i64);
    let (mut start, mut duration, mut flags) = (0i64, 0i64, 0i32);
    let mut span = model::Span::default();
    r.read_struct_begin()?;
    while let Some(f) = r.read_field_begin()? {
        match (f.id, f.ttype) {
            (1, TType::I64) => low = r.read_i64()?,
            (2, TType::I64) => high = r.read_i64()?,
            (3, TType::I64) => span_id = r.read_i64()?,
            (4, TType::I64) => parent = r.read_i64()?,
            (5, TType::Binary) => span.operation_name = lossy_string(r.read_binary()?),
            (6, TType::List) => span.references = read_struct_list(r, read_span_ref)?,
            (7, TType::I32) => flags = r.read_i32()?,
            (8, TType::I64) => start = r.read_i64()?,
            (9, TType::I64) => duration = r.read_i64()?,
            (10, TType::List) => span.tags = read_struct_list(r, read_tag)?,
            (11, TType::List) => span.logs = read_struct_list(r, read_log)?,
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    let trace_id = ids::trace_id_from_halves(high, low);
    if parent != 0 {
        put_parent_first(&mut span.references, &trace_id, parent);
    }
    span.trace_id = trace_id.to_vec();
    span.span_id = ids::span_id_from_i64(span_id).to_vec();
    span.flags = flags as u32;
    span.start_time = Some(timestamp_from_micros(start));
    span.duration = Some(duration_from_micros(duration));
    Ok(span)
}

/// Makes a same-trace CHILD_OF to `parent` the first same-trace CHILD_OF of `refs`.
fn put_parent_first(refs: &mut Vec<model::SpanRef>, trace_id: &[u8; 16], parent: i64) {
    let parent = ids::span_id_from_i64(parent);
    let child_of_here =
        |r: &model::SpanRef| r.ref_type == SpanRefType::ChildOf as i32 && r.trace_id == trace_id;
    match refs.iter().position(child_of_here) {
        Some(first) if refs[first].span_id == parent => {}
        _ => match refs.iter().position(|r| child_of_here(r) && r.span_id == parent) {
            Some(i) => {
                let r = refs.remove(i);
                refs.insert(0, r);
            }
            None => refs.insert(
                0,
                model::SpanRef {
                    trace_id: trace_id.to_vec(),
                    span_id: parent.to_vec(),
                    ref_type: SpanRefType::ChildOf as i32,
                },
            ),
        },
    }
}

fn read_span_ref<'a, R: ProtocolReader<'a>>(r: &mut R) -> Result<model::SpanRef, ThriftError> {
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
    Ok(model::SpanRef {
        trace_id: ids::trace_id_from_halves(high, low).to_vec(),
        span_id: ids::span_id_from_i64(span_id).to_vec(),
        ref_type,
    })
}

fn read_log<'a, R: ProtocolReader<'a>>(r: &mut R) -> Result<model::Log, ThriftError> {
    let mut log = model::Log::default();
    let mut timestamp = 0;
    r.read_struct_begin()?;
    while let Some(f) = r.read_field_begin()? {
        match (f.id, f.ttype) {
            (1, TType::I64) => timestamp = r.read_i64()?,
            (2, TType::List) => log.fields = read_struct_list(r, read_tag)?,
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    log.timestamp = Some(timestamp_from_micros(timestamp));
    Ok(log)
}

fn read_tag<'a, R: ProtocolReader<'a>>(r: &mut R) -> Result<model::KeyValue, ThriftError> {
    // Values are borrowed while reading; only the one `vType` names is copied out.
    let (mut key, mut v_str, mut v_binary): (&[u8], &[u8], &[u8]) = (b"", b"", b"");
    let (mut v_type, mut v_double, mut v_bool, mut v_long) = (TAG_STRING, 0.0, false, 0i64);
    r.read_struct_begin()?;
    while let Some(f) = r.read_field_begin()? {
        match (f.id, f.ttype) {
            (1, TType::Binary) => key = r.read_binary()?,
            (2, TType::I32) => v_type = r.read_i32()?,
            (3, TType::Binary) => v_str = r.read_binary()?,
            (4, TType::Double) => v_double = r.read_double()?,
            (5, TType::Bool) => v_bool = r.read_bool()?,
            (6, TType::I64) => v_long = r.read_i64()?,
            (7, TType::Binary) => v_binary = r.read_binary()?,
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    let mut kv = model::KeyValue { key: lossy_string(key), ..Default::default() };
    match v_type {
        TAG_STRING => {
            kv.v_type = ValueType::String as i32;
            kv.v_str = lossy_string(v_str);
        }
        TAG_DOUBLE => {
            kv.v_type = ValueType::Float64 as i32;
            kv.v_float64 = v_double;
        }
        TAG_BOOL => {
            kv.v_type = ValueType::Bool as i32;
            kv.v_bool = v_bool;
        }
        TAG_LONG => {
            kv.v_type = ValueType::Int64 as i32;
            kv.v_int64 = v_long;
        }
        TAG_BINARY => {
            kv.v_type = ValueType::Binary as i32;
            kv.v_binary = v_binary.to_vec();
        }
        other => {
            kv.v_type = ValueType::String as i32;
            kv.v_str = format!("unknown Jaeger Thrift tag type {other}");
        }
    }
    Ok(kv)
}

/// µs since the epoch → `Timestamp` (nanos always in 0..1e9, also before 1970).
fn timestamp_from_micros(us: i64) -> model::Timestamp {
    model::Timestamp {
        seconds: us.div_euclid(1_000_000),
        nanos: (us.rem_euclid(1_000_000) * 1000) as i32,
    }
}

/// µs → `Duration` (seconds and nanos share the sign, so negative durations stay visible).
fn duration_from_micros(us: i64) -> model::Duration {
    model::Duration { seconds: us / 1_000_000, nanos: ((us % 1_000_000) * 1000) as i32 }
}

/// Seconds and nanos → µs, nanos truncated toward zero, clamped to the i64 range.
fn micros(seconds: i64, nanos: i32) -> i64 {
    let us = i128::from(seconds) * 1_000_000 + i128::from(nanos / 1000);
    us.clamp(i64::MIN.into(), i64::MAX.into()) as i64
}

fn write_process<W: ProtocolWriter>(w: &mut W, process: Option<&model::Process>) {
    w.write_struct_begin();
    w.write_str_field(1, process.map_or("", |p| p.service_name.as_str()));
    if let Some(p) = process.filter(|p| !p.tags.is_empty()) {
        write_tags(w, 2, &p.tags);
    }
    w.write_field_stop();
    w.write_struct_end();
}

fn write_span<W: ProtocolWriter>(w: &mut W, span: &model::Span) {
    let (high, low) = ids::trace_id_to_halves(&span.trace_id).unwrap_or((0, 0));
    let parent = span
        .references
        .iter()
        .find(|r| {
            r.ref_type == SpanRefType::ChildOf as i32
                && ids::trace_id_to_halves(&r.trace_id) == Some((high, low))
        })
        .and_then(|r| ids::span_id_to_i64(&r.span_id))
        .unwrap_or(0);
    w.write_struct_begin();
    w.write_i64_field(1, low);
    w.write_i64_field(2, high);
    w.write_i64_field(3, ids::span_id_to_i64(&span.span_id).unwrap_or(0));
    w.write_i64_field(4, parent);
    w.write_str_field(5, &span.operation_name);
    if !span.references.is_empty() {
        w.write_field_begin(TType::List, 6);
        w.write_list_begin(TType::Struct, span.references.len());
        for r in &span.references {
            let (high, low) = ids::trace_id_to_halves(&r.trace_id).unwrap_or((0, 0));
            w.write_struct_begin();
            w.write_i32_field(1, r.ref_type);
            w.write_i64_field(2, low);
            w.write_i64_field(3, high);
            w.write_i64_field(4, ids::span_id_to_i64(&r.span_id).unwrap_or(0));
            w.write_field_stop();
            w.write_struct_end();
        }
    }
    w.write_i32_field(7, span.flags as i32);
    let start = span.start_time.map_or(0, |t| micros(t.seconds, t.nanos));
    w.write_i64_field(8, start);
    w.write_i64_field(9, span.duration.map_or(0, |d| micros(d.seconds, d.nanos)));
    if !span.tags.is_empty() {
        write_tags(w, 10, &span.tags);
    }
    if !span.logs.is_empty() {
        w.write_field_begin(TType::List, 11);
        w.write_list_begin(TType::Struct, span.logs.len());
        for log in &span.logs {
            w.write_struct_begin();
            w.write_i64_field(1, log.timestamp.map_or(0, |t| micros(t.seconds, t.nanos)));
            write_tags(w, 2, &log.fields);
            w.write_field_stop();
            w.write_struct_end();
        }
    }
    w.write_field_stop();
    w.write_struct_end();
}

fn write_tags<W: ProtocolWriter>(w: &mut W, field_id: i16, tags: &[model::KeyValue]) {
    w.write_field_begin(TType::List, field_id);
    w.write_list_begin(TType::Struct, tags.len());
    for kv in tags {
        w.write_struct_begin();
        w.write_str_field(1, &kv.key);
        match ValueType::try_from(kv.v_type) {
            Ok(ValueType::Float64) => {
                w.write_i32_field(2, TAG_DOUBLE);
                w.write_double_field(4, kv.v_float64);
            }
            Ok(ValueType::Bool) => {
                w.write_i32_field(2, TAG_BOOL);
                w.write_bool_field(5, kv.v_bool);
            }
            Ok(ValueType::Int64) => {
                w.write_i32_field(2, TAG_LONG);
                w.write_i64_field(6, kv.v_int64);
            }
            Ok(ValueType::Binary) => {
                w.write_i32_field(2, TAG_BINARY);
                w.write_binary_field(7, &kv.v_binary);
            }
            // STRING, and (never produced by this crate) an unknown value type: its string.
            Ok(ValueType::String) | Err(_) => {
                w.write_i32_field(2, TAG_STRING);
                w.write_str_field(3, &kv.v_str);
            }
        }
        w.write_field_stop();
        w.write_struct_end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{KeyValue, Log, Process, Span, SpanRef};

    fn kv(key: &str, f: impl FnOnce(&mut KeyValue)) -> KeyValue {
        let mut kv = KeyValue { key: key.into(), ..Default::default() };
        f(&mut kv);
        kv
    }

    fn every_tag_type() -> Vec<KeyValue> {
        vec![
            kv("s", |k| k.v_str = "text é".into()),
            kv("b", |k| {
                k.v_type = ValueType::Bool as i32;
                k.v_bool = true;
            }),
            kv("i", |k| {
                k.v_type = ValueType::Int64 as i32;
                k.v_int64 = -9_000_000_000;
            }),
            kv("f", |k| {
                k.v_type = ValueType::Float64 as i32;
                k.v_float64 = 2.5;
            }),
            kv("x", |k| {
                k.v_type = ValueType::Binary as i32;
                k.v_binary = vec![0, 1, 0xfe];
            }),
        ]
    }

    fn span_ref(ref_type: SpanRefType, trace: [u8; 16], span: i64) -> SpanRef {
        SpanRef {
            trace_id: trace.to_vec(),
            span_id: span.to_be_bytes().to_vec(),
            ref_type: ref_type as i32,
        }
    }

    /// A 128-bit span with negative id halves, a parent, a link, every tag type and two logs;
    /// and a 64-bit root span.
    fn sample_batch() -> model::Batch {
        let trace = ids::trace_id_from_halves(-0x1234, -5);
        let child = Span {
            trace_id: trace.to_vec(),
            span_id: (-7i64).to_be_bytes().to_vec(),
            operation_name: "GET /users".into(),
            references: vec![
                span_ref(SpanRefType::ChildOf, trace, -8),
                span_ref(SpanRefType::FollowsFrom, ids::trace_id_from_halves(0, 99), 100),
            ],
            flags: 3,
            start_time: Some(model::Timestamp { seconds: 1_700_000_000, nanos: 123_456_000 }),
            duration: Some(model::Duration { seconds: 2, nanos: 5_000 }),
            tags: every_tag_type(),
            logs: vec![
                Log {
                    timestamp: Some(model::Timestamp { seconds: 1_700_000_001, nanos: 1_000 }),
                    fields: vec![kv("event", |k| k.v_str = "retry".into())],
                },
                Log { timestamp: Some(model::Timestamp { seconds: 0, nanos: 0 }), fields: vec![] },
            ],
            ..Default::default()
        };
        let root = Span {
            trace_id: ids::trace_id_from_halves(0, 42).to_vec(),
            span_id: 42i64.to_be_bytes().to_vec(),
            operation_name: "root".into(),
            flags: 1,
            start_time: Some(model::Timestamp { seconds: 1, nanos: 0 }),
            duration: Some(model::Duration { seconds: 0, nanos: 0 }),
            ..Default::default()
        };
        model::Batch {
            spans: vec![child, root],
            process: Some(Process {
                service_name: "checkout".into(),
                tags: vec![kv("hostname", |k| k.v_str = "h1".into())],
            }),
        }
    }

    fn one(batches: Vec<ThriftBatch>) -> model::Batch {
        assert_eq!(batches.len(), 1);
        batches.into_iter().next().unwrap().batch
    }

    // The smallest useful batch: process "s"; one span with trace id low -2 (64-bit), span id
    // 3, no parent, operation "o", flags 1, start 1 µs, duration 2 µs, tag k = LONG 5.
    fn tiny_batch() -> model::Batch {
        model::Batch {
            process: Some(Process { service_name: "s".into(), tags: vec![] }),
            spans: vec![Span {
                trace_id: ids::trace_id_from_halves(0, -2).to_vec(),
                span_id: 3i64.to_be_bytes().to_vec(),
                operation_name: "o".into(),
                flags: 1,
                start_time: Some(model::Timestamp { seconds: 0, nanos: 1000 }),
                duration: Some(model::Duration { seconds: 0, nanos: 2000 }),
                tags: vec![kv("k", |k| {
                    k.v_type = ValueType::Int64 as i32;
                    k.v_int64 = 5;
                })],
                ..Default::default()
            }],
        }
    }

    #[rustfmt::skip]
    const TINY_COMPACT: &[u8] = &[
        0x82, 0x81, 0x01, 0x09, b'e', b'm', b'i', b't', b'B', b'a', b't', b'c', b'h', // ONEWAY, seqid 1
        0x1c,                   // args field 1: struct
        0x1c,                   //   Batch.process (1): struct
        0x18, 0x01, b's',       //     serviceName (1): "s"
        0x00,
        0x19, 0x1c,             //   Batch.spans (2): list of 1 struct
        0x16, 0x03,             //     traceIdLow (1) = zigzag(-2)
        0x16, 0x00,             //     traceIdHigh (2) = 0
        0x16, 0x06,             //     spanId (3) = zigzag(3)
        0x16, 0x00,             //     parentSpanId (4) = 0
        0x18, 0x01, b'o',       //     operationName (5)
        0x25, 0x02,             //     flags (7, delta 2, i32) = zigzag(1)
        0x16, 0x02,             //     startTime (8) = 1
        0x16, 0x04,             //     duration (9) = 2
        0x19, 0x1c,             //     tags (10): list of 1 struct
        0x18, 0x01, b'k',       //       key
        0x15, 0x06,             //       vType (2) = LONG (3)
        0x46, 0x0a,             //       vLong (6, delta 4) = 5
        0x00,
        0x00,                   //   end of span
        0x00,                   // end of Batch
        0x00,                   // end of args
    ];

    #[rustfmt::skip]
    const TINY_BINARY_BATCH: &[u8] = &[
        0x0c, 0, 1,                             // process (1): struct
        0x0b, 0, 1, 0, 0, 0, 1, b's',           //   serviceName
        0x00,
        0x0f, 0, 2, 0x0c, 0, 0, 0, 1,           // spans (2): list<struct> of 1
        0x0a, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, // traceIdLow = -2
        0x0a, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,     //   traceIdHigh
        0x0a, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3,     //   spanId
        0x0a, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0,     //   parentSpanId
        0x0b, 0, 5, 0, 0, 0, 1, b'o',           //   operationName
        0x08, 0, 7, 0, 0, 0, 1,                 //   flags
        0x0a, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1,     //   startTime
        0x0a, 0, 9, 0, 0, 0, 0, 0, 0, 0, 2,     //   duration
        0x0f, 0, 10, 0x0c, 0, 0, 0, 1,          //   tags: list<struct> of 1
        0x0b, 0, 1, 0, 0, 0, 1, b'k',           //     key
        0x08, 0, 2, 0, 0, 0, 3,                 //     vType = LONG
        0x0a, 0, 6, 0, 0, 0, 0, 0, 0, 0, 5,     //     vLong = 5
        0x00,
        0x00,                                   //   end of span
        0x00,                                   // end of Batch
    ];

    #[test]
    fn tiny_batch_exact_bytes_compact() {
        assert_eq!(encode_agent_messages(Protocol::Compact, &[tiny_batch()]), TINY_COMPACT);
        let decoded = decode_agent_messages(Protocol::Compact, TINY_COMPACT).unwrap();
        assert_eq!(decoded, vec![ThriftBatch { batch: tiny_batch(), seq_no: None, stats: None }]);
        let span = &decoded[0].batch.spans[0];
        assert_eq!(ids::to_hex(&span.trace_id), "0000000000000000fffffffffffffffe");
    }

    #[test]
    fn tiny_batch_exact_bytes_binary() {
        assert_eq!(encode_batches(&[tiny_batch()]), TINY_BINARY_BATCH);
        assert_eq!(one(decode_batches(TINY_BINARY_BATCH).unwrap()), tiny_batch());
        // The binary agent message is the strict header, the args struct, the same Batch.
        let msg = encode_agent_messages(Protocol::Binary, &[tiny_batch()]);
        let mut expected = vec![0x80, 0x01, 0x00, 0x04, 0, 0, 0, 9];
        expected.extend_from_slice(b"emitBatch");
        expected.extend_from_slice(&[0, 0, 0, 1, 0x0c, 0, 1]);
        expected.extend_from_slice(TINY_BINARY_BATCH);
        expected.push(0);
        assert_eq!(msg, expected);
        assert_eq!(one(decode_agent_messages(Protocol::Binary, &msg).unwrap()), tiny_batch());
    }

    #[test]
    fn decode_encode_decode_is_stable() {
        let batch = sample_batch();
        for protocol in [Protocol::Compact, Protocol::Binary] {
            let bytes = encode_agent_messages(protocol, &[batch.clone(), tiny_batch()]);
            let decoded = decode_agent_messages(protocol, &bytes).unwrap();
            assert_eq!(decoded.len(), 2);
            assert_eq!(decoded[0].batch, batch, "{protocol}");
            assert_eq!(decoded[1].batch, tiny_batch(), "{protocol}");
            let models: Vec<_> = decoded.into_iter().map(|b| b.batch).collect();
            assert_eq!(encode_agent_messages(protocol, &models), bytes, "{protocol}");
        }
        let bytes = encode_batches(&[batch.clone(), batch.clone()]);
        let decoded = decode_batches(&bytes).unwrap();
        assert_eq!(decoded.len(), 2);
        assert!(decoded.iter().all(|b| b.batch == batch));
    }

    #[test]
    fn sample_content_as_read() {
        let bytes = encode_agent_messages(Protocol::Compact, &[sample_batch()]);
        let batch = one(decode_agent_messages(Protocol::Compact, &bytes).unwrap());
        let process = batch.process.as_ref().unwrap();
        assert_eq!(process.service_name, "checkout");
        assert_eq!(process.tags[0].v_str, "h1");
        let child = &batch.spans[0];
        // Negative halves: high -0x1234, low -5.
        assert_eq!(ids::to_hex(&child.trace_id), "ffffffffffffedccfffffffffffffffb");
        assert_eq!(ids::to_hex(&child.span_id), "fffffffffffffff9");
        assert_eq!(child.flags, 3);
        assert_eq!(
            child.start_time,
            Some(model::Timestamp { seconds: 1_700_000_000, nanos: 123_456_000 })
        );
        assert_eq!(child.duration, Some(model::Duration { seconds: 2, nanos: 5_000 }));
        assert_eq!(child.references.len(), 2);
        assert_eq!(child.references[0].ref_type, SpanRefType::ChildOf as i32);
        assert_eq!(ids::to_hex(&child.references[0].span_id), "fffffffffffffff8");
        assert_eq!(child.references[1].ref_type, SpanRefType::FollowsFrom as i32);
        assert_eq!(ids::to_hex(&child.references[1].trace_id), "00000000000000000000000000000063");
        assert_eq!(child.tags, every_tag_type());
        assert_eq!(
            child.logs[0].timestamp,
            Some(model::Timestamp { seconds: 1_700_000_001, nanos: 1_000 })
        );
        assert_eq!(child.logs[0].fields[0].key, "event");
        assert_eq!(child.logs[0].fields[0].v_str, "retry");
        assert!(child.logs[1].fields.is_empty());
        let root = &batch.spans[1];
        assert_eq!(ids::to_hex(&root.trace_id), "0000000000000000000000000000002a");
        assert!(root.references.is_empty());
    }

    /// Writes one raw Thrift span with explicit `parentSpanId` and references
    /// `(refType, traceIdLow, traceIdHigh, spanId)`, plus fields a newer IDL might add.
    fn raw_span<W: ProtocolWriter>(
        w: &mut W,
        low: i64,
        high: i64,
        id: i64,
        parent: i64,
        refs: &[(i32, i64, i64, i64)],
    ) {
        w.write_struct_begin();
        w.write_i64_field(1, low);
        w.write_i64_field(2, high);
        w.write_i64_field(3, id);
        w.write_i64_field(4, parent);
        w.write_str_field(5, "op");
        if !refs.is_empty() {
            w.write_field_begin(TType::List, 6);
            w.write_list_begin(TType::Struct, refs.len());
            for &(t, l, h, s) in refs {
                w.write_struct_begin();
                w.write_i32_field(1, t);
                w.write_i64_field(2, l);
                w.write_i64_field(3, h);
                w.write_i64_field(4, s);
                w.write_field_stop();
                w.write_struct_end();
            }
        }
        w.write_bool_field(12, true); // `incomplete` in some IDL versions: unknown here
        w.write_field_begin(TType::Struct, 99); // a future struct field
        w.write_struct_begin();
        w.write_str_field(1, "future");
        w.write_field_stop();
        w.write_struct_end();
        w.write_field_stop();
        w.write_struct_end();
    }

    fn decode_raw_span(
        protocol: Protocol,
        low: i64,
        high: i64,
        parent: i64,
        refs: &[(i32, i64, i64, i64)],
    ) -> Span {
        fn batch_of<W: ProtocolWriter>(mut w: W, f: impl FnOnce(&mut W)) -> Vec<u8> {
            w.write_message_begin("emitBatch", MessageType::Call, 0);
            w.write_struct_begin();
            w.write_field_begin(TType::Struct, 1);
            w.write_struct_begin();
            w.write_field_begin(TType::List, 2);
            w.write_list_begin(TType::Struct, 1);
            f(&mut w);
            w.write_field_stop();
            w.write_struct_end();
            w.write_field_stop();
            w.write_struct_end();
            w.into_inner()
        }
        let bytes = match protocol {
            Protocol::Compact => {
                batch_of(CompactWriter::new(), |w| raw_span(w, low, high, 1, parent, refs))
            }
            Protocol::Binary => {
                batch_of(BinaryWriter::new(), |w| raw_span(w, low, high, 1, parent, refs))
            }
        };
        let batch = one(decode_agent_messages(protocol, &bytes).unwrap());
        assert_eq!(batch.process, None);
        batch.spans.into_iter().next().unwrap()
    }

    #[test]
    fn parent_span_id_becomes_first_child_of() {
        const CO: i32 = 0;
        const FF: i32 = 1;
        let t = ids::trace_id_from_halves(0, -1);
        for p in [Protocol::Compact, Protocol::Binary] {
            // Parent only.
            let s = decode_raw_span(p, -1, 0, 5, &[]);
            assert_eq!(s.references, [span_ref(SpanRefType::ChildOf, t, 5)]);
            // Parent plus a link: the parent goes first.
            let s = decode_raw_span(p, -1, 0, 5, &[(FF, 7, 0, 8)]);
            let link = span_ref(SpanRefType::FollowsFrom, ids::trace_id_from_halves(0, 7), 8);
            assert_eq!(s.references, [span_ref(SpanRefType::ChildOf, t, 5), link.clone()]);
            // Already the first same-trace CHILD_OF: left as it is, nothing added.
            let s = decode_raw_span(p, -1, 0, 5, &[(FF, 7, 0, 8), (CO, -1, 0, 5)]);
            assert_eq!(s.references, [link.clone(), span_ref(SpanRefType::ChildOf, t, 5)]);
            // Another same-trace CHILD_OF first: the parent's is moved to the front.
            let s = decode_raw_span(p, -1, 0, 5, &[(CO, -1, 0, 6), (CO, -1, 0, 5)]);
            assert_eq!(
                s.references,
                [span_ref(SpanRefType::ChildOf, t, 5), span_ref(SpanRefType::ChildOf, t, 6)]
            );
            // A CHILD_OF to the same span id in another trace does not count.
            let s = decode_raw_span(p, -1, 0, 5, &[(CO, 3, 0, 5)]);
            assert_eq!(s.references.len(), 2);
            assert_eq!(s.references[0], span_ref(SpanRefType::ChildOf, t, 5));
            // No parent: references untouched.
            let s = decode_raw_span(p, -1, 0, 0, &[(FF, 7, 0, 8)]);
            assert_eq!(s.references, [link]);
        }
    }

    #[test]
    fn parent_written_from_first_same_trace_child_of() {
        let t = ids::trace_id_from_halves(1, 2);
        let other = ids::trace_id_from_halves(9, 9);
        let span = Span {
            trace_id: t.to_vec(),
            span_id: 3i64.to_be_bytes().to_vec(),
            references: vec![
                span_ref(SpanRefType::FollowsFrom, t, 10),
                span_ref(SpanRefType::ChildOf, other, 11),
                span_ref(SpanRefType::ChildOf, t, 12),
                span_ref(SpanRefType::ChildOf, t, 13),
            ],
            ..Default::default()
        };
        let batch = model::Batch { spans: vec![span.clone()], process: None };
        let bytes = encode_batches(&[batch]);
        // Read the raw parentSpanId back with the generic reader.
        let mut r = BinaryReader::new(&bytes);
        r.read_struct_begin().unwrap();
        let mut parent = None;
        let mut ref_count = 0;
        while let Some(f) = r.read_field_begin().unwrap() {
            if f.id != 2 {
                r.skip(f.ttype).unwrap();
                continue;
            }
            r.read_list_begin().unwrap();
            r.read_struct_begin().unwrap();
            while let Some(f) = r.read_field_begin().unwrap() {
                match f.id {
                    4 => parent = Some(r.read_i64().unwrap()),
                    6 => {
                        let h = r.read_list_begin().unwrap();
                        ref_count = h.len;
                        for _ in 0..h.len {
                            r.skip(TType::Struct).unwrap();
                        }
                    }
                    _ => r.skip(f.ttype).unwrap(),
                }
            }
            r.read_struct_end();
        }
        assert_eq!(parent, Some(12));
        assert_eq!(ref_count, 4, "every reference is still written");
        // And the model comes back unchanged (12 already is the first same-trace CHILD_OF).
        let back = one(decode_batches(&bytes).unwrap());
        assert_eq!(back.spans[0].references, span.references);
        assert_eq!(back.process, Some(Process::default()));
    }

    #[test]
    fn ids_64_and_128_bit() {
        for p in [Protocol::Compact, Protocol::Binary] {
            let s = decode_raw_span(p, i64::MIN, 0, 0, &[]);
            assert_eq!(ids::to_hex(&s.trace_id), "00000000000000008000000000000000");
            let s = decode_raw_span(p, -1, -1, 0, &[]);
            assert_eq!(ids::to_hex(&s.trace_id), "ffffffffffffffffffffffffffffffff");
            let s = decode_raw_span(p, 0x0102030405060708, 0x1112131415161718, 0, &[]);
            assert_eq!(ids::to_hex(&s.trace_id), "11121314151617180102030405060708");
            assert_eq!(ids::to_hex(&s.span_id), "0000000000000001");
        }
        // 8-byte model trace ids are written as high 0.
        let mut batch = tiny_batch();
        batch.spans[0].trace_id = (-2i64).to_be_bytes().to_vec();
        assert_eq!(encode_batches(&[batch]), TINY_BINARY_BATCH);
    }

    #[test]
    fn tag_type_numbering() {
        // Thrift TagType code → (api_v2 ValueType, check).
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
        let read = |t| read_tag(&mut BinaryReader::new(&tag_bytes(t))).unwrap();
        let kv = read(0);
        assert_eq!((kv.v_type, kv.v_str.as_str()), (ValueType::String as i32, "str"));
        let kv = read(1);
        assert_eq!((kv.v_type, kv.v_float64), (ValueType::Float64 as i32, 1.25));
        let kv = read(2);
        assert_eq!((kv.v_type, kv.v_bool), (ValueType::Bool as i32, true));
        let kv = read(3);
        assert_eq!((kv.v_type, kv.v_int64), (ValueType::Int64 as i32, -3));
        let kv = read(4);
        assert_eq!(
            (kv.v_type, kv.v_binary.as_slice()),
            (ValueType::Binary as i32, &b"\x00\xff"[..])
        );
        // Only the named value is kept.
        assert_eq!(kv.v_str, "");
        let kv = read(9);
        assert_eq!((kv.key.as_str(), kv.v_type), ("k", ValueType::String as i32));
        assert_eq!(kv.v_str, "unknown Jaeger Thrift tag type 9");
        // Writing maps back: DOUBLE=1, BOOL=2, LONG=3 on the wire.
        let mut w = BinaryWriter::new();
        write_tags(&mut w, 10, &every_tag_type());
        let bytes = w.into_inner();
        let mut r = BinaryReader::new(&bytes);
        r.read_field_begin().unwrap();
        let h = r.read_list_begin().unwrap();
        let types: Vec<i32> = (0..h.len)
            .map(|_| {
                let mut t = -1;
                r.read_struct_begin().unwrap();
                while let Some(f) = r.read_field_begin().unwrap() {
                    if f.id == 2 {
                        t = r.read_i32().unwrap();
                    } else {
                        r.skip(f.ttype).unwrap();
                    }
                }
                r.read_struct_end();
                t
            })
            .collect();
        assert_eq!(types, [TAG_STRING, TAG_BOOL, TAG_LONG, TAG_DOUBLE, TAG_BINARY]);
    }

    #[test]
    fn times_and_their_edges() {
        assert_eq!(timestamp_from_micros(-1), model::Timestamp { seconds: -1, nanos: 999_999_000 });
        assert_eq!(
            duration_from_micros(-1_500_000),
            model::Duration { seconds: -1, nanos: -500_000_000 }
        );
        assert_eq!(micros(-1, 999_999_000), -1);
        assert_eq!(micros(-1, -500_000_000), -1_500_000);
        // Sub-microsecond nanos are dropped; huge seconds saturate instead of overflowing.
        assert_eq!(micros(1, 1_999), 1_000_001);
        assert_eq!(micros(0, -1_999), -1);
        assert_eq!(micros(i64::MAX / 2, 0), i64::MAX);
        for us in [0, 1, -1, 999_999, -999_999, 1_700_000_000_123_456, i64::MAX, i64::MIN + 1] {
            let t = timestamp_from_micros(us);
            assert_eq!(micros(t.seconds, t.nanos), us, "timestamp {us}");
            let d = duration_from_micros(us);
            assert_eq!(micros(d.seconds, d.nanos), us, "duration {us}");
        }
    }

    #[test]
    fn seq_no_and_client_stats() {
        let stats = ClientStats {
            full_queue_dropped_spans: 1,
            too_large_dropped_spans: 2,
            failed_to_emit_spans: i64::MAX,
        };
        for protocol in [Protocol::Compact, Protocol::Binary] {
            let mut bytes = Vec::new();
            match protocol {
                Protocol::Compact => {
                    let mut w = CompactWriter::new();
                    write_emit_batch_message(&mut w, 7, &tiny_batch(), Some(41), Some(&stats));
                    write_emit_batch_message(&mut w, 8, &tiny_batch(), Some(42), None);
                    bytes.extend(w.into_inner());
                }
                Protocol::Binary => {
                    let mut w = BinaryWriter::new();
                    write_emit_batch_message(&mut w, 7, &tiny_batch(), Some(41), Some(&stats));
                    write_emit_batch_message(&mut w, 8, &tiny_batch(), Some(42), None);
                    bytes.extend(w.into_inner());
                }
            }
            let decoded = decode_agent_messages(protocol, &bytes).unwrap();
            assert_eq!(
                decoded[0],
                ThriftBatch { batch: tiny_batch(), seq_no: Some(41), stats: Some(stats) }
            );
            assert_eq!(
                decoded[1],
                ThriftBatch { batch: tiny_batch(), seq_no: Some(42), stats: None }
            );
        }
        let mut w = BinaryWriter::new();
        write_batch(&mut w, &tiny_batch(), None, Some(&stats));
        assert_eq!(decode_batches(w.bytes()).unwrap()[0].stats, Some(stats));
    }

    #[test]
    fn sequence_ids_count_from_one() {
        let bytes =
            encode_agent_messages(Protocol::Compact, &[tiny_batch(), tiny_batch(), tiny_batch()]);
        let mut r = CompactReader::new(&bytes);
        let mut seq = Vec::new();
        while !r.is_empty() {
            let m = r.read_message_begin().unwrap();
            assert_eq!((m.name, m.kind), ("emitBatch", MessageType::Oneway));
            seq.push(m.seq_id);
            r.skip(TType::Struct).unwrap();
        }
        assert_eq!(seq, [1, 2, 3]);
    }

    #[test]
    fn truncated_input_fails_at_every_offset() {
        let batch = sample_batch();
        let inputs = [
            (
                Protocol::Compact,
                encode_agent_messages(Protocol::Compact, std::slice::from_ref(&batch)),
            ),
            (
                Protocol::Binary,
                encode_agent_messages(Protocol::Binary, std::slice::from_ref(&batch)),
            ),
        ];
        for (protocol, bytes) in &inputs {
            for cut in 0..bytes.len() {
                let err = decode_agent_messages(*protocol, &bytes[..cut]).unwrap_err();
                let format = match protocol {
                    Protocol::Compact => Format::JaegerThriftCompact,
                    Protocol::Binary => Format::JaegerThriftBinary,
                };
                assert_eq!(err.format, format);
                match err.location {
                    Location::Offset(o) => assert!(o <= cut, "{protocol} cut {cut}: offset {o}"),
                    Location::Input => assert_eq!(cut, 0),
                    ref other => panic!("unexpected location {other:?}"),
                }
            }
        }
        let bytes = encode_batches(&[batch]);
        for cut in 0..bytes.len() {
            assert!(decode_batches(&bytes[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn hostile_counts_fail_before_allocating() {
        // A 20-byte compact message whose span list claims 2^31-1 elements.
        let mut bytes = vec![0x82, 0x81, 0x01, 0x09];
        bytes.extend_from_slice(b"emitBatch");
        // args field 1 (struct), Batch.spans (field 2, list): 0xfc = long form, struct.
        bytes.extend_from_slice(&[0x1c, 0x29, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07]);
        let at = 15;
        bytes.resize(24, 0);
        let err = decode_agent_messages(Protocol::Compact, &bytes).unwrap_err();
        assert_eq!(err.location, Location::Offset(at));
        assert!(err.reason.contains("2147483647 elements"), "{err}");
        // A binary batch whose operation name claims 2 GiB.
        let mut w = BinaryWriter::new();
        w.write_field_begin(TType::List, 2);
        w.write_list_begin(TType::Struct, 1);
        w.write_field_begin(TType::Binary, 5);
        let mut bytes = w.into_inner();
        let at = bytes.len();
        bytes.extend_from_slice(&[0x7f, 0xff, 0xff, 0xff, b'o', b'p']);
        let err = decode_batches(&bytes).unwrap_err();
        assert_eq!(err.location, Location::Offset(at));
        assert!(err.reason.contains("length 2147483647"), "{err}");
        // A process tag list claiming a million elements in a binary batch.
        let mut w = BinaryWriter::new();
        w.write_field_begin(TType::Struct, 1);
        w.write_field_begin(TType::List, 2);
        w.write_list_begin(TType::Struct, 1_000_000);
        w.write_field_stop();
        let err = decode_batches(w.bytes()).unwrap_err();
        assert_eq!(err.location, Location::Offset(6));
        assert!(err.reason.contains("1000000 elements"), "{err}");
    }

    #[test]
    fn wrong_messages_are_refused() {
        let mut w = CompactWriter::new();
        w.write_message_begin("emitZipkinBatch", MessageType::Oneway, 1);
        w.write_struct_begin();
        w.write_field_begin(TType::List, 1);
        w.write_list_begin(TType::Struct, 0);
        w.write_field_stop();
        let err = decode_agent_messages(Protocol::Compact, w.bytes()).unwrap_err();
        assert_eq!(err.location, Location::Offset(0));
        assert!(err.reason.contains("emitZipkinBatch is Zipkin v1 Thrift"), "{err}");

        let mut w = BinaryWriter::new();
        w.write_message_begin("getSamplingStrategy", MessageType::Call, 1);
        let err = decode_agent_messages(Protocol::Binary, w.bytes()).unwrap_err();
        assert!(err.reason.contains("unknown Agent method \"getSamplingStrategy\""), "{err}");

        let mut w = BinaryWriter::new();
        w.write_message_begin("emitBatch", MessageType::Reply, 1);
        let err = decode_agent_messages(Protocol::Binary, w.bytes()).unwrap_err();
        assert!(err.reason.contains("type Reply"), "{err}");

        let mut w = BinaryWriter::new();
        w.write_message_begin("emitBatch", MessageType::Oneway, 1);
        w.write_field_stop();
        let err = decode_agent_messages(Protocol::Binary, w.bytes()).unwrap_err();
        assert!(err.reason.contains("no batch"), "{err}");

        // A compact payload read as binary names the format and the offset.
        let err = decode_agent_messages(Protocol::Binary, TINY_COMPACT).unwrap_err();
        assert_eq!(err.format, Format::JaegerThriftBinary);
        assert_eq!(err.location, Location::Offset(0));

        let err = decode_agent_messages(Protocol::Compact, b"").unwrap_err();
        assert_eq!((err.format, err.location), (Format::JaegerThriftCompact, Location::Input));
        assert_eq!(decode_batches(b"").unwrap_err().location, Location::Input);

        // Bytes after a complete message must be another message.
        let mut bytes = TINY_COMPACT.to_vec();
        bytes.push(0x00);
        let err = decode_agent_messages(Protocol::Compact, &bytes).unwrap_err();
        assert_eq!(err.location, Location::Offset(TINY_COMPACT.len()));
    }

    #[test]
    fn old_non_strict_binary_header_is_accepted() {
        let mut bytes = vec![0, 0, 0, 9];
        bytes.extend_from_slice(b"emitBatch");
        bytes.push(4);
        bytes.extend_from_slice(&[0, 0, 0, 0, 0x0c, 0, 1]);
        bytes.extend_from_slice(TINY_BINARY_BATCH);
        bytes.push(0);
        assert_eq!(one(decode_agent_messages(Protocol::Binary, &bytes).unwrap()), tiny_batch());
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let mut bytes = TINY_BINARY_BATCH.to_vec();
        let name_at = bytes.iter().position(|&b| b == b'o').unwrap();
        bytes[name_at] = 0xff;
        let batch = one(decode_batches(&bytes).unwrap());
        assert_eq!(batch.spans[0].operation_name, "\u{fffd}");
    }

    #[test]
    fn fields_of_unexpected_type_are_skipped() {
        // traceIdLow sent as a string, and a list of i32 where spans should be: both skipped.
        let mut w = BinaryWriter::new();
        w.write_field_begin(TType::List, 2);
        w.write_list_begin(TType::Struct, 1);
        w.write_str_field(1, "not an id");
        w.write_i64_field(3, 77);
        w.write_field_stop();
        w.write_field_begin(TType::List, 2);
        w.write_list_begin(TType::Struct, 1);
        w.write_i64_field(3, 78);
        w.write_field_stop();
        w.write_field_stop();
        let batch = one(decode_batches(w.bytes()).unwrap());
        // The second `spans` field wins, as in generated code.
        assert_eq!(batch.spans.len(), 1);
        assert_eq!(ids::to_hex(&batch.spans[0].span_id), "000000000000004e");
        assert!(ids::is_zero(&batch.spans[0].trace_id));

        let mut w = BinaryWriter::new();
        w.write_field_begin(TType::List, 2);
        w.write_list_begin(TType::I32, 2);
        w.write_i32(1);
        w.write_i32(2);
        w.write_field_stop();
        assert!(one(decode_batches(w.bytes()).unwrap()).spans.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = decode_agent_messages(Protocol::Compact, &bytes);
            let _ = decode_agent_messages(Protocol::Binary, &bytes);
            let _ = decode_batches(&bytes);
        }

        #[test]
        fn mutated_messages_never_panic(flips in proptest::collection::vec((0usize..10_000, proptest::num::u8::ANY), 1..8)) {
            let batch = sample_batch();
            for protocol in [Protocol::Compact, Protocol::Binary] {
                let mut bytes = encode_agent_messages(protocol, std::slice::from_ref(&batch));
                for &(at, value) in &flips {
                    let len = bytes.len();
                    bytes[at % len] = value;
                }
                let _ = decode_agent_messages(protocol, &bytes);
            }
        }
    }
}
