//! Jaeger's Thrift IDL (`jaeger.thrift`, `agent.thrift` of jaeger-idl): the message framing,
//! the wire constants and the client's bookkeeping fields. The one reader and writer of Jaeger
//! Thrift is [`super::thrift_direct`] (Thrift ⇄ OTLP protobuf, no owned model in between); the
//! tests below check that codec end to end.
//!
//! Two framings:
//! - the agent's UDP payload: one or more `Agent.emitBatch(1: Batch)` messages, compact protocol
//!   (port 6831, most clients) or binary (port 6832, Node `jaeger-client`);
//! - the collector's HTTP body (`POST /api/traces`): one or more bare binary-protocol `Batch`
//!   structs.
//!
//! Thrift → OTLP:
//! - `traceIdHigh`/`traceIdLow` (signed i64) → 16 bytes big-endian, high half first (a 64-bit
//!   id gets 8 zero bytes in front); `spanId` → 8 bytes. Negative halves are ordinary ids.
//! - `parentSpanId` ≠ 0 is the OTLP parent; a same-trace `CHILD_OF` reference repeating it is
//!   not also a link. Without `parentSpanId`, the first same-trace `CHILD_OF` is the parent.
//!   Other references become links (`CHILD_OF` ones marked as such).
//! - Tag types STRING=0, DOUBLE=1, BOOL=2, LONG=3, BINARY=4. An unknown tag type becomes a
//!   string saying so.
//! - Strings that are not UTF-8 are read with U+FFFD replacing the bad bytes (one odd tag does
//!   not lose the whole UDP packet).
//! - Unknown fields, and known fields of an unexpected type, are skipped (forward
//!   compatibility, as generated Thrift code does); the last occurrence of a field wins.
//!   Missing required fields read as zero or empty: a span without ids gets zero ids, which
//!   the mapping rejects.
//! - `Batch.seqNo` and `Batch.stats` ([`ClientReport`]) have no place in OTLP: they are
//!   reported beside it, one per message ([`super::thrift_direct::ToOtlpBytes::clients`],
//!   [`super::thrift_direct::client_reports`]).
//!
//! OTLP → Thrift:
//! - `parentSpanId` = span id of the first same-trace `CHILD_OF` reference (0 if none); all
//!   references are still written to `references`, as Jaeger's own model-to-Thrift converter
//!   does.
//! - Times and durations → µs: sub-microsecond nanoseconds are dropped (times rounded down,
//!   durations truncated toward zero), clamped to the i64 range instead of overflowing.
//! - Agent messages are ONEWAY with sequence ids 1, 2, 3... (the Go and Java Thrift clients
//!   pre-increment their counter, so their first message has id 1). `seqNo` and `stats` are
//!   not written.
//! - Optional lists (`references`, `tags`, `logs`) are written only when non-empty.

use crate::thrift::{MessageType, ProtocolReader, ThriftError};
use crate::{DecodeError, Format, Location};

pub use crate::thrift::Protocol;

/// The Agent method carrying a Jaeger batch.
pub const EMIT_BATCH: &str = "emitBatch";
/// The Agent method carrying Zipkin v1 spans (not handled here).
pub const EMIT_ZIPKIN_BATCH: &str = "emitZipkinBatch";

// Thrift TagType codes.
pub(super) const TAG_STRING: i32 = 0;
pub(super) const TAG_DOUBLE: i32 = 1;
pub(super) const TAG_BOOL: i32 = 2;
pub(super) const TAG_LONG: i32 = 3;
pub(super) const TAG_BINARY: i32 = 4;

/// A Thrift `Batch`'s bookkeeping fields, as the client sent them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientReport {
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

#[cfg(test)]
mod tests {
    //! The Jaeger Thrift codec ([`super::super::thrift_direct`]) end to end: bytes in, OTLP
    //! out, and back.
    use super::super::model::{self, KeyValue, Log, Process, SpanRefType, ValueType};
    use super::super::thrift_direct::{self, Framing};
    use super::*;
    use crate::ids;
    use crate::otlp::model::{any_value, ExportTraceServiceRequest, Span};
    use crate::otlp::wire::TracesView;
    use crate::thrift::{BinaryReader, BinaryWriter, CompactWriter, ProtocolWriter, TType};
    use crate::{decode_traces, encode_traces, Decoded};
    use prost::Message;

    fn format_of(protocol: Protocol) -> Format {
        match protocol {
            Protocol::Compact => Format::JaegerThriftCompact,
            Protocol::Binary => Format::JaegerThriftBinary,
        }
    }

    fn decode(protocol: Protocol, bytes: &[u8]) -> Decoded {
        decode_traces(format_of(protocol), bytes).unwrap()
    }

    fn spans(d: &Decoded) -> Vec<&Span> {
        d.requests
            .iter()
            .flat_map(|r| &r.resource_spans)
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
            .collect()
    }

    fn only_span(d: &Decoded) -> &Span {
        let all = spans(d);
        assert_eq!(all.len(), 1, "{d:?}");
        all[0]
    }

    fn attr<'a>(attrs: &'a [crate::otlp::model::KeyValue], key: &str) -> &'a any_value::Value {
        let kv = attrs.iter().find(|kv| kv.key == key).unwrap_or_else(|| panic!("no {key}"));
        kv.value.as_ref().unwrap().value.as_ref().unwrap()
    }

    fn service(d: &Decoded, i: usize) -> &any_value::Value {
        let resource = d.requests[i].resource_spans[0].resource.as_ref().unwrap();
        attr(&resource.attributes, "service.name")
    }

    /// Writes the request as Thrift with the given framing.
    fn encode(protocol: Protocol, framing: Framing, req: &ExportTraceServiceRequest) -> Vec<u8> {
        let bytes = req.encode_to_vec();
        let view = TracesView::parse(&bytes).unwrap();
        let (out, rejected) = thrift_direct::from_otlp_framed(protocol, framing, &view);
        assert!(rejected.is_empty(), "{rejected:?}");
        out
    }

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

    fn span_ref(ref_type: SpanRefType, trace: [u8; 16], span: i64) -> model::SpanRef {
        model::SpanRef {
            trace_id: trace.to_vec(),
            span_id: span.to_be_bytes().to_vec(),
            ref_type: ref_type as i32,
        }
    }

    /// As OTLP: a 128-bit span with negative id halves, a parent, a link, every tag type and
    /// two logs; and a 64-bit root span.
    fn sample() -> ExportTraceServiceRequest {
        let trace = ids::trace_id_from_halves(-0x1234, -5);
        let child = model::Span {
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
                Log { timestamp: Some(model::Timestamp { seconds: 1, nanos: 0 }), fields: vec![] },
            ],
            ..Default::default()
        };
        let root = model::Span {
            trace_id: ids::trace_id_from_halves(0, 42).to_vec(),
            span_id: 42i64.to_be_bytes().to_vec(),
            operation_name: "root".into(),
            flags: 1,
            start_time: Some(model::Timestamp { seconds: 1, nanos: 0 }),
            duration: Some(model::Duration { seconds: 0, nanos: 0 }),
            ..Default::default()
        };
        let batch = model::Batch {
            spans: vec![child, root],
            process: Some(Process {
                service_name: "checkout".into(),
                tags: vec![kv("hostname", |k| k.v_str = "h1".into())],
            }),
        };
        let (req, rejected) = super::super::to_otlp::batches_to_otlp(vec![batch]);
        assert!(rejected.is_empty());
        req
    }

    // The smallest useful batch: process "s"; one span with trace id low -2 (64-bit), span id
    // 3, no parent, operation "o", flags 1, start 1 µs, duration 2 µs, tag k = LONG 5.
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

    /// The strict binary `emitBatch` ONEWAY message (sequence id 1) around one bare batch.
    fn binary_message(batch: &[u8]) -> Vec<u8> {
        let mut out = vec![0x80, 0x01, 0x00, 0x04, 0, 0, 0, 9];
        out.extend_from_slice(b"emitBatch");
        out.extend_from_slice(&[0, 0, 0, 1, 0x0c, 0, 1]);
        out.extend_from_slice(batch);
        out.push(0);
        out
    }

    fn assert_tiny(d: &Decoded) {
        assert!(d.rejected.is_empty(), "{:?}", d.rejected);
        assert_eq!(service(d, 0), &any_value::Value::StringValue("s".into()));
        let span = only_span(d);
        assert_eq!(ids::to_hex(&span.trace_id), "0000000000000000fffffffffffffffe");
        assert_eq!(ids::to_hex(&span.span_id), "0000000000000003");
        assert!(span.parent_span_id.is_empty());
        assert_eq!(span.name, "o");
        assert_eq!(span.flags, 1);
        assert_eq!((span.start_time_unix_nano, span.end_time_unix_nano), (1_000, 3_000));
        assert_eq!(span.attributes.len(), 1);
        assert_eq!(attr(&span.attributes, "k"), &any_value::Value::IntValue(5));
    }

    #[test]
    fn tiny_batch_exact_bytes_compact() {
        let d = decode(Protocol::Compact, TINY_COMPACT);
        assert_tiny(&d);
        assert_eq!(d.requests.len(), 1);
        assert_eq!(encode_traces(Format::JaegerThriftCompact, &d.requests[0]).bytes, TINY_COMPACT);
    }

    #[test]
    fn tiny_batch_exact_bytes_binary() {
        let d = decode(Protocol::Binary, TINY_BINARY_BATCH);
        assert_tiny(&d);
        assert_eq!(
            encode_traces(Format::JaegerThriftBinary, &d.requests[0]).bytes,
            TINY_BINARY_BATCH
        );
        // The binary agent message is the strict header, the args struct, the same Batch.
        let msg = binary_message(TINY_BINARY_BATCH);
        assert_eq!(encode(Protocol::Binary, Framing::AgentMessages, &d.requests[0]), msg);
        assert_tiny(&decode(Protocol::Binary, &msg));
        assert_eq!(decode(Protocol::Binary, &msg).requests, d.requests);
    }

    #[test]
    fn decode_encode_decode_is_stable() {
        let sample = sample();
        for (protocol, framing) in [
            (Protocol::Compact, Framing::AgentMessages),
            (Protocol::Binary, Framing::AgentMessages),
            (Protocol::Binary, Framing::BareBatches),
        ] {
            let bytes = encode(protocol, framing, &sample);
            let d = decode(protocol, &bytes);
            assert!(d.rejected.is_empty());
            assert_eq!(d.requests, std::slice::from_ref(&sample), "{protocol} {framing:?}");
            assert_eq!(encode(protocol, framing, &d.requests[0]), bytes, "{protocol} {framing:?}");
        }
    }

    #[test]
    fn sample_content_as_read() {
        let bytes = encode_traces(Format::JaegerThriftCompact, &sample()).bytes;
        let d = decode(Protocol::Compact, &bytes);
        assert_eq!(service(&d, 0), &any_value::Value::StringValue("checkout".into()));
        let resource = d.requests[0].resource_spans[0].resource.as_ref().unwrap();
        assert_eq!(
            attr(&resource.attributes, "host.name"),
            &any_value::Value::StringValue("h1".into())
        );
        let all = spans(&d);
        let child = all.iter().find(|s| s.name == "GET /users").unwrap();
        // Negative halves: high -0x1234, low -5.
        assert_eq!(ids::to_hex(&child.trace_id), "ffffffffffffedccfffffffffffffffb");
        assert_eq!(ids::to_hex(&child.span_id), "fffffffffffffff9");
        assert_eq!(ids::to_hex(&child.parent_span_id), "fffffffffffffff8");
        assert_eq!(child.flags, 1);
        assert_eq!(attr(&child.attributes, "otelbridge.debug"), &any_value::Value::BoolValue(true));
        assert_eq!(child.start_time_unix_nano, 1_700_000_000_123_456_000);
        assert_eq!(child.end_time_unix_nano, 1_700_000_002_123_461_000);
        assert_eq!(child.links.len(), 1);
        assert_eq!(ids::to_hex(&child.links[0].trace_id), "00000000000000000000000000000063");
        assert_eq!(ids::to_hex(&child.links[0].span_id), "0000000000000064");
        assert!(child.links[0].attributes.is_empty(), "FOLLOWS_FROM is the unmarked link");
        use any_value::Value as V;
        assert_eq!(attr(&child.attributes, "s"), &V::StringValue("text é".into()));
        assert_eq!(attr(&child.attributes, "b"), &V::BoolValue(true));
        assert_eq!(attr(&child.attributes, "i"), &V::IntValue(-9_000_000_000));
        assert_eq!(attr(&child.attributes, "f"), &V::DoubleValue(2.5));
        assert_eq!(attr(&child.attributes, "x"), &V::BytesValue(vec![0, 1, 0xfe]));
        assert_eq!(child.events.len(), 2);
        assert_eq!(child.events[0].time_unix_nano, 1_700_000_001_000_001_000);
        // The `event` field is the event name.
        assert_eq!(child.events[0].name, "retry");
        assert_eq!(child.events[1].time_unix_nano, 1_000_000_000);
        let root = all.iter().find(|s| s.name == "root").unwrap();
        assert_eq!(ids::to_hex(&root.trace_id), "0000000000000000000000000000002a");
        assert!(root.parent_span_id.is_empty() && root.links.is_empty());
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

    /// One `emitBatch` CALL message: process `service`, the spans `spans` writes, then the
    /// optional `seqNo` and `stats`.
    fn message<W: ProtocolWriter>(
        w: &mut W,
        service: Option<&str>,
        count: usize,
        spans: impl FnOnce(&mut W),
        report: ClientReport,
    ) {
        w.write_message_begin("emitBatch", MessageType::Call, 0);
        w.write_struct_begin();
        w.write_field_begin(TType::Struct, 1);
        w.write_struct_begin();
        if let Some(service) = service {
            w.write_field_begin(TType::Struct, 1);
            w.write_struct_begin();
            w.write_str_field(1, service);
            w.write_field_stop();
            w.write_struct_end();
        }
        w.write_field_begin(TType::List, 2);
        w.write_list_begin(TType::Struct, count);
        spans(w);
        if let Some(seq_no) = report.seq_no {
            w.write_i64_field(3, seq_no);
        }
        if let Some(stats) = report.stats {
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
        let none = ClientReport::default();
        let bytes = match protocol {
            Protocol::Compact => {
                let mut w = CompactWriter::new();
                message(&mut w, None, 1, |w| raw_span(w, low, high, 1, parent, refs), none);
                w.into_inner()
            }
            Protocol::Binary => {
                let mut w = BinaryWriter::new();
                message(&mut w, None, 1, |w| raw_span(w, low, high, 1, parent, refs), none);
                w.into_inner()
            }
        };
        let d = decode(protocol, &bytes);
        assert!(d.rejected.is_empty(), "{:?}", d.rejected);
        only_span(&d).clone()
    }

    /// A link as (trace id hex, span id, marked child_of).
    fn links(span: &Span) -> Vec<(String, u64, bool)> {
        span.links
            .iter()
            .map(|l| {
                let child_of = l.attributes.iter().any(|a| {
                    a.value.as_ref().and_then(|v| v.value.as_ref())
                        == Some(&any_value::Value::StringValue("child_of".into()))
                });
                let id = u64::from_be_bytes(l.span_id.as_slice().try_into().unwrap());
                (ids::to_hex(&l.trace_id), id, child_of)
            })
            .collect()
    }

    #[test]
    fn parent_span_id_and_references() {
        const CO: i32 = 0;
        const FF: i32 = 1;
        let parent = |s: &Span| u64::from_be_bytes(s.parent_span_id.as_slice().try_into().unwrap());
        let t7 = "00000000000000000000000000000007".to_string();
        for p in [Protocol::Compact, Protocol::Binary] {
            // Parent only.
            let s = decode_raw_span(p, -1, 0, 5, &[]);
            assert_eq!((parent(&s), links(&s)), (5, vec![]));
            // Parent plus a link.
            let s = decode_raw_span(p, -1, 0, 5, &[(FF, 7, 0, 8)]);
            assert_eq!((parent(&s), links(&s)), (5, vec![(t7.clone(), 8, false)]));
            // A same-trace CHILD_OF repeating the parent is not also a link.
            let s = decode_raw_span(p, -1, 0, 5, &[(FF, 7, 0, 8), (CO, -1, 0, 5)]);
            assert_eq!((parent(&s), links(&s)), (5, vec![(t7.clone(), 8, false)]));
            // Another same-trace CHILD_OF: a link marked child_of; parentSpanId stays the parent.
            let s = decode_raw_span(p, -1, 0, 5, &[(CO, -1, 0, 6), (CO, -1, 0, 5)]);
            let t = "0000000000000000ffffffffffffffff".to_string();
            assert_eq!((parent(&s), links(&s)), (5, vec![(t.clone(), 6, true)]));
            // A CHILD_OF to the same span id in another trace is a link.
            let s = decode_raw_span(p, -1, 0, 5, &[(CO, 3, 0, 5)]);
            let t3 = "00000000000000000000000000000003".to_string();
            assert_eq!((parent(&s), links(&s)), (5, vec![(t3, 5, true)]));
            // No parentSpanId: the first same-trace CHILD_OF is the parent.
            let s = decode_raw_span(p, -1, 0, 0, &[(FF, 7, 0, 8), (CO, -1, 0, 6), (CO, -1, 0, 9)]);
            assert_eq!(
                (parent(&s), links(&s)),
                (6, vec![(t7.clone(), 8, false), (t.clone(), 9, true)])
            );
            // No parent at all: references untouched.
            let s = decode_raw_span(p, -1, 0, 0, &[(FF, 7, 0, 8)]);
            assert!(s.parent_span_id.is_empty());
            assert_eq!(links(&s), [(t7.clone(), 8, false)]);
        }
    }

    #[test]
    fn parent_written_from_first_same_trace_child_of() {
        let t = ids::trace_id_from_halves(1, 2);
        let other = ids::trace_id_from_halves(9, 9);
        let span = model::Span {
            trace_id: t.to_vec(),
            span_id: 3i64.to_be_bytes().to_vec(),
            references: vec![
                span_ref(SpanRefType::FollowsFrom, t, 10),
                span_ref(SpanRefType::ChildOf, other, 11),
                span_ref(SpanRefType::ChildOf, t, 12),
                span_ref(SpanRefType::ChildOf, t, 13),
            ],
            start_time: Some(model::Timestamp { seconds: 1, nanos: 0 }),
            duration: Some(model::Duration { seconds: 0, nanos: 0 }),
            ..Default::default()
        };
        let batch = model::Batch { spans: vec![span], process: None };
        let (req, _) = super::super::to_otlp::batches_to_otlp(vec![batch]);
        let bytes = encode_traces(Format::JaegerThriftBinary, &req).bytes;
        // Read the raw parentSpanId and the references back with the generic reader.
        let mut r = BinaryReader::new(&bytes);
        r.read_struct_begin().unwrap();
        let mut parent = None;
        let mut refs = Vec::new();
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
                        for _ in 0..h.len {
                            let mut rf = (0, 0, 0, 0);
                            r.read_struct_begin().unwrap();
                            while let Some(f) = r.read_field_begin().unwrap() {
                                match f.id {
                                    1 => rf.0 = r.read_i32().unwrap(),
                                    2 => rf.1 = r.read_i64().unwrap(),
                                    3 => rf.2 = r.read_i64().unwrap(),
                                    4 => rf.3 = r.read_i64().unwrap(),
                                    _ => r.skip(f.ttype).unwrap(),
                                }
                            }
                            r.read_struct_end();
                            refs.push(rf);
                        }
                    }
                    _ => r.skip(f.ttype).unwrap(),
                }
            }
            r.read_struct_end();
        }
        assert_eq!(parent, Some(12));
        refs.sort();
        // Every reference is still written (CHILD_OF = 0, FOLLOWS_FROM = 1).
        assert_eq!(refs, [(0, 2, 1, 12), (0, 2, 1, 13), (0, 9, 9, 11), (1, 2, 1, 10)]);
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
    }

    #[test]
    fn seq_no_and_client_stats_are_reported_per_message() {
        let stats = ClientStats {
            full_queue_dropped_spans: 1,
            too_large_dropped_spans: 2,
            failed_to_emit_spans: i64::MAX,
        };
        let first = ClientReport { seq_no: Some(41), stats: Some(stats) };
        let second = ClientReport { seq_no: Some(42), stats: None };
        let mut c = CompactWriter::new();
        message(&mut c, Some("a"), 1, |w| raw_span(w, 1, 0, 1, 0, &[]), first);
        message(&mut c, Some("b"), 1, |w| raw_span(w, 1, 0, 2, 0, &[]), second);
        message(&mut c, Some("c"), 1, |w| raw_span(w, 1, 0, 3, 0, &[]), ClientReport::default());
        let mut b = BinaryWriter::new();
        message(&mut b, Some("a"), 1, |w| raw_span(w, 1, 0, 1, 0, &[]), first);
        message(&mut b, Some("b"), 1, |w| raw_span(w, 1, 0, 2, 0, &[]), second);
        message(&mut b, Some("c"), 1, |w| raw_span(w, 1, 0, 3, 0, &[]), ClientReport::default());
        for (protocol, bytes) in
            [(Protocol::Compact, c.into_inner()), (Protocol::Binary, b.into_inner())]
        {
            let out = thrift_direct::to_otlp(format_of(protocol), &bytes).unwrap();
            assert_eq!(out.requests.len(), 3);
            assert_eq!(out.clients, [first, second, ClientReport::default()], "{protocol}");
            assert_eq!(
                thrift_direct::client_reports(format_of(protocol), &bytes).unwrap(),
                out.clients
            );
            let d = decode(protocol, &bytes);
            assert_eq!(spans(&d).len(), 3);
            assert_eq!(service(&d, 2), &any_value::Value::StringValue("c".into()));
        }
        // A bare binary batch with stats (the message's args struct is the wrapper).
        let mut b = BinaryWriter::new();
        message(&mut b, Some("a"), 1, |w| raw_span(w, 1, 0, 1, 0, &[]), first);
        let msg = b.into_inner();
        let bare = &msg[8 + 9 + 4 + 3..msg.len() - 1];
        let out = thrift_direct::to_otlp(Format::JaegerThriftBinary, bare).unwrap();
        assert_eq!(out.clients, [first]);
        assert_eq!(
            thrift_direct::client_reports(Format::JaegerThriftBinary, TINY_BINARY_BATCH).unwrap(),
            [ClientReport::default()]
        );
    }

    #[test]
    fn sequence_ids_count_from_one() {
        let batch = |service: &str| model::Batch {
            process: Some(Process { service_name: service.into(), tags: vec![] }),
            spans: vec![model::Span {
                trace_id: ids::trace_id_from_halves(0, 1).to_vec(),
                span_id: 3i64.to_be_bytes().to_vec(),
                start_time: Some(model::Timestamp { seconds: 1, nanos: 0 }),
                duration: Some(model::Duration { seconds: 0, nanos: 0 }),
                ..Default::default()
            }],
        };
        let (req, _) =
            super::super::to_otlp::batches_to_otlp(vec![batch("a"), batch("b"), batch("c")]);
        let bytes = encode_traces(Format::JaegerThriftCompact, &req).bytes;
        let mut r = crate::thrift::CompactReader::new(&bytes);
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
    fn rejections_name_the_message() {
        // Two messages; the second's second span has a zero trace id.
        let mut w = CompactWriter::new();
        message(&mut w, Some("a"), 1, |w| raw_span(w, 1, 0, 1, 0, &[]), ClientReport::default());
        let second = |w: &mut CompactWriter| {
            raw_span(w, 1, 0, 2, 0, &[]);
            raw_span(w, 0, 0, 9, 0, &[]);
        };
        message(&mut w, Some("b"), 2, second, ClientReport::default());
        let d = decode(Protocol::Compact, w.bytes());
        assert_eq!(d.span_count(), 2);
        assert_eq!(d.rejected.len(), 1);
        assert_eq!(d.rejected[0].item, "batch[1].spans[1] (span id 0000000000000009)");
        assert_eq!(d.rejected[0].reason, "trace id is zero");
    }

    #[test]
    fn truncated_input_fails_at_every_offset() {
        let sample = sample();
        for (protocol, framing) in [
            (Protocol::Compact, Framing::AgentMessages),
            (Protocol::Binary, Framing::AgentMessages),
            (Protocol::Binary, Framing::BareBatches),
        ] {
            let bytes = encode(protocol, framing, &sample);
            for cut in 0..bytes.len() {
                let err = decode_traces(format_of(protocol), &bytes[..cut]).unwrap_err();
                assert_eq!(err.format, format_of(protocol));
                match err.location {
                    Location::Offset(o) => assert!(o <= cut, "{protocol} cut {cut}: offset {o}"),
                    Location::Input => assert_eq!(cut, 0),
                    ref other => panic!("unexpected location {other:?}"),
                }
            }
        }
    }

    #[test]
    fn hostile_counts_fail_before_allocating() {
        // A 24-byte compact message whose span list claims 2^31-1 elements.
        let mut bytes = vec![0x82, 0x81, 0x01, 0x09];
        bytes.extend_from_slice(b"emitBatch");
        // args field 1 (struct), Batch.spans (field 2, list): 0xfc = long form, struct.
        bytes.extend_from_slice(&[0x1c, 0x29, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07]);
        let at = 15;
        bytes.resize(24, 0);
        let err = decode_traces(Format::JaegerThriftCompact, &bytes).unwrap_err();
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
        let err = decode_traces(Format::JaegerThriftBinary, &bytes).unwrap_err();
        assert_eq!(err.location, Location::Offset(at));
        assert!(err.reason.contains("length 2147483647"), "{err}");
        // A process tag list claiming a million elements in a binary batch.
        let mut w = BinaryWriter::new();
        w.write_field_begin(TType::Struct, 1);
        w.write_field_begin(TType::List, 2);
        w.write_list_begin(TType::Struct, 1_000_000);
        w.write_field_stop();
        let err = decode_traces(Format::JaegerThriftBinary, w.bytes()).unwrap_err();
        assert_eq!(err.location, Location::Offset(6));
        assert!(err.reason.contains("1000000 elements"), "{err}");
    }

    #[test]
    fn wrong_messages_are_refused() {
        let compact = |bytes: &[u8]| decode_traces(Format::JaegerThriftCompact, bytes).unwrap_err();
        let binary = |bytes: &[u8]| decode_traces(Format::JaegerThriftBinary, bytes).unwrap_err();
        let mut w = CompactWriter::new();
        w.write_message_begin("emitZipkinBatch", MessageType::Oneway, 1);
        w.write_struct_begin();
        w.write_field_begin(TType::List, 1);
        w.write_list_begin(TType::Struct, 0);
        w.write_field_stop();
        let err = compact(w.bytes());
        assert_eq!(err.location, Location::Offset(0));
        assert!(err.reason.contains("emitZipkinBatch is Zipkin v1 Thrift"), "{err}");

        let mut w = BinaryWriter::new();
        w.write_message_begin("getSamplingStrategy", MessageType::Call, 1);
        let err = binary(w.bytes());
        assert!(err.reason.contains("unknown Agent method \"getSamplingStrategy\""), "{err}");

        let mut w = BinaryWriter::new();
        w.write_message_begin("emitBatch", MessageType::Reply, 1);
        let err = binary(w.bytes());
        assert!(err.reason.contains("type Reply"), "{err}");

        let mut w = BinaryWriter::new();
        w.write_message_begin("emitBatch", MessageType::Oneway, 1);
        w.write_field_stop();
        let err = binary(w.bytes());
        assert!(err.reason.contains("no batch"), "{err}");

        // A compact payload read as binary (a bare Batch, as it lacks the 0x8001 header)
        // names the format and an offset.
        let err = binary(TINY_COMPACT);
        assert_eq!(err.format, Format::JaegerThriftBinary);
        assert!(matches!(err.location, Location::Offset(_)), "{err}");

        let err = compact(b"");
        assert_eq!((err.format, err.location), (Format::JaegerThriftCompact, Location::Input));
        assert_eq!(binary(b"").location, Location::Input);

        // Bytes after a complete message must be another message.
        let mut bytes = TINY_COMPACT.to_vec();
        bytes.push(0x00);
        assert_eq!(compact(&bytes).location, Location::Offset(TINY_COMPACT.len()));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let mut bytes = TINY_BINARY_BATCH.to_vec();
        let name_at = bytes.iter().position(|&b| b == b'o').unwrap();
        bytes[name_at] = 0xff;
        assert_eq!(only_span(&decode(Protocol::Binary, &bytes)).name, "\u{fffd}");
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
        let d = decode(Protocol::Binary, w.bytes());
        // The second `spans` field wins, as in generated code; its span has a zero trace id.
        assert_eq!(d.span_count(), 0);
        assert_eq!(d.rejected.len(), 1, "{:?}", d.rejected);
        assert_eq!(d.rejected[0].item, "batch[0].spans[0] (span id 000000000000004e)");
        assert_eq!(d.rejected[0].reason, "trace id is zero");

        let mut w = BinaryWriter::new();
        w.write_field_begin(TType::List, 2);
        w.write_list_begin(TType::I32, 2);
        w.write_i32(1);
        w.write_i32(2);
        w.write_field_stop();
        let d = decode(Protocol::Binary, w.bytes());
        assert_eq!((d.span_count(), d.rejected.len()), (0, 0));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = decode_traces(Format::JaegerThriftCompact, &bytes);
            let _ = decode_traces(Format::JaegerThriftBinary, &bytes);
            let _ = decode_traces(Format::JaegerThriftBinary, &binary_message(&bytes));
        }

        #[test]
        fn mutated_messages_never_panic(flips in proptest::collection::vec((0usize..10_000, proptest::num::u8::ANY), 1..8)) {
            let sample = sample();
            for (protocol, framing) in [
                (Protocol::Compact, Framing::AgentMessages),
                (Protocol::Binary, Framing::AgentMessages),
                (Protocol::Binary, Framing::BareBatches),
            ] {
                let mut bytes = encode(protocol, framing, &sample);
                for &(at, value) in &flips {
                    let len = bytes.len();
                    bytes[at % len] = value;
                }
                let _ = decode_traces(format_of(protocol), &bytes);
            }
        }
    }
}
