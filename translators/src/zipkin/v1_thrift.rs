//! Zipkin v1 Thrift (the body of `POST /api/v1/spans` with `application/x-thrift`) ⇄ v2 spans.
//!
//! The body is a `TBinaryProtocol` list of zipkinCore `Span` structs: `0x0c` (element type
//! struct), an i32 count, then the spans, as Zipkin's `ThriftCodec.readList` reads and
//! `writeList` writes. Old reporters sent one bare `Span` struct instead; a span never starts
//! with a struct field, so a first byte other than `0x0c` is read as that legacy form (as
//! Zipkin's Kafka collector does). Field ids are those of zipkin-api `thrift/zipkinCore.thrift`.
//!
//! Reading uses the crate's bounded Thrift reader: broken framing is a [`DecodeError`] at the
//! byte offset; a span whose content is unusable (no id, negative time, incomplete annotation)
//! is a [`Rejection`] naming `spans[i]` and its offset, and the others go on.

use super::model;
use super::v1_convert::{v1_to_v2, v2_to_v1, Indexed};
use super::v1_model::{self as v1, AnnotationValue};
use crate::ids::to_hex;
use crate::thrift::{
    BinaryReader, BinaryWriter, ProtocolReader, ProtocolWriter, TType, ThriftError,
};
use crate::{DecodeError, Format, Location, Rejection};
use std::net::Ipv4Addr;

/// Binary-protocol type code of a struct: the first byte of a list of spans.
const LIST_OF_STRUCTS: u8 = 12;

/// Decodes a Thrift list of v1 spans (or one bare span) into v2 spans (a v1 span holding both
/// sides of an RPC gives two). `Err` when the Thrift framing cannot be read, with its offset.
pub fn decode(input: &[u8]) -> Result<(Vec<model::Span>, Vec<Rejection>), DecodeError> {
    decode_indexed(input).map(|d| (d.spans, d.rejected))
}

/// The name of the `i`-th input span, `spans[i]` (to name spans rejected later).
pub fn item_path(i: usize) -> String {
    format!("spans[{i}]")
}

/// [`decode`], also telling which input span each v2 span came from.
pub fn decode_indexed(input: &[u8]) -> Result<Indexed, DecodeError> {
    let err = |e: ThriftError| e.into_decode_error(Format::ZipkinV1Thrift);
    if input.is_empty() {
        return Err(DecodeError::new(Format::ZipkinV1Thrift, Location::Offset(0), "empty input"));
    }
    let mut r = BinaryReader::new(input);
    let count = if input[0] == LIST_OF_STRUCTS {
        let header = r.read_list_begin().map_err(err)?;
        if header.len > 0 && header.elem != TType::Struct {
            return Err(DecodeError::new(
                Format::ZipkinV1Thrift,
                Location::Offset(0),
                format!("expected a list of Span structs, found a list of {:?}", header.elem),
            ));
        }
        header.len
    } else {
        1
    };

    let mut spans = Vec::with_capacity(count);
    let mut index = Vec::with_capacity(count);
    let mut rejected = Vec::new();
    for i in 0..count {
        let at = r.position();
        let span = read_span(&mut r).map_err(err)?;
        let result =
            span.and_then(|s| v1_to_v2(&s, &mut spans).map_err(|e| (Some(s.id), e.reason)));
        if let Err((id, reason)) = result {
            let item = match id.filter(|&id| id != 0) {
                Some(id) => {
                    format!("{} (span id {}) at byte {at}", item_path(i), to_hex(&id.to_be_bytes()))
                }
                None => format!("{} at byte {at}", item_path(i)),
            };
            rejected.push(Rejection::new(item, reason));
        }
        index.resize(spans.len(), i);
    }
    Ok(Indexed { spans, index, rejected })
}

/// Why a span read fine as Thrift but cannot be used: its id when known, and the reason.
pub type SpanProblem = (Option<u64>, String);

/// Reads one zipkinCore `Span` struct. The outer `Err` is broken Thrift (stop reading); the
/// inner one a span that is well-formed Thrift but unusable (reject it, read on). Generic over
/// the protocol, so Jaeger's `emitZipkinBatch` (compact) can use it too.
pub fn read_span<'a, R: ProtocolReader<'a>>(
    r: &mut R,
) -> Result<Result<v1::Span, SpanProblem>, ThriftError> {
    let mut span = v1::Span::default();
    let (mut has_trace_id, mut has_id) = (false, false);
    // The first content problem; the struct is still read to its end.
    let mut problem: Option<String> = None;

    r.read_struct_begin()?;
    while let Some(field) = r.read_field_begin()? {
        match (field.id, field.ttype) {
            (1, TType::I64) => {
                span.trace_id = r.read_i64()? as u64;
                has_trace_id = true;
            }
            (12, TType::I64) => span.trace_id_high = r.read_i64()? as u64,
            (3, TType::Binary) => span.name = lossy(r.read_binary()?),
            (4, TType::I64) => {
                span.id = r.read_i64()? as u64;
                has_id = true;
            }
            (5, TType::I64) => span.parent_id = Some(r.read_i64()? as u64).filter(|&p| p != 0),
            (6, TType::List) => {
                let header = r.read_list_begin()?;
                for j in 0..header.len {
                    if header.elem != TType::Struct {
                        r.skip(header.elem)?;
                        continue;
                    }
                    match read_annotation(r)? {
                        Ok(a) => span.annotations.push(a),
                        Err(reason) => note(&mut problem, format!("annotations[{j}]: {reason}")),
                    }
                }
            }
            (8, TType::List) => {
                let header = r.read_list_begin()?;
                for j in 0..header.len {
                    if header.elem != TType::Struct {
                        r.skip(header.elem)?;
                        continue;
                    }
                    match read_binary_annotation(r)? {
                        Ok(Some(b)) => span.binary_annotations.push(b),
                        Ok(None) => {}
                        Err(reason) => {
                            note(&mut problem, format!("binary_annotations[{j}]: {reason}"))
                        }
                    }
                }
            }
            (9, TType::Bool) => span.debug = r.read_bool()?,
            (10, TType::I64) => match micros(r.read_i64()?) {
                Ok(t) => span.timestamp = t,
                Err(v) => note(&mut problem, format!("timestamp is negative: {v}")),
            },
            (11, TType::I64) => match micros(r.read_i64()?) {
                Ok(d) => span.duration = d,
                Err(v) => note(&mut problem, format!("duration is negative: {v}")),
            },
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();

    let id = has_id.then_some(span.id);
    if !has_trace_id {
        return Ok(Err((id, "span has no trace_id".into())));
    }
    if !has_id {
        return Ok(Err((None, "span has no id".into())));
    }
    if let Some(reason) = problem {
        return Ok(Err((id, reason)));
    }
    Ok(Ok(span))
}

fn note(problem: &mut Option<String>, reason: String) {
    problem.get_or_insert(reason);
}

/// A µs value: 0 is absent, negative is an error.
fn micros(v: i64) -> Result<Option<u64>, i64> {
    match v {
        0 => Ok(None),
        v if v > 0 => Ok(Some(v as u64)),
        v => Err(v),
    }
}

/// Strings are read leniently: a bad byte should not cost the whole batch.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read_annotation<'a, R: ProtocolReader<'a>>(
    r: &mut R,
) -> Result<Result<v1::Annotation, String>, ThriftError> {
    let (mut timestamp, mut value, mut endpoint) = (None, None, None);
    r.read_struct_begin()?;
    while let Some(field) = r.read_field_begin()? {
        match (field.id, field.ttype) {
            (1, TType::I64) => timestamp = Some(r.read_i64()?),
            (2, TType::Binary) => value = Some(lossy(r.read_binary()?)),
            (3, TType::Struct) => endpoint = read_endpoint(r)?,
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    Ok(match (timestamp, value) {
        (Some(t), Some(value)) if t >= 0 => {
            Ok(v1::Annotation { timestamp: t as u64, value, endpoint })
        }
        (Some(t), Some(_)) => Err(format!("timestamp is negative: {t}")),
        (None, _) => Err("incomplete annotation: no timestamp".into()),
        (_, None) => Err("incomplete annotation: no value".into()),
    })
}

/// `Ok(None)` for a binary annotation without a value (Zipkin skips those).
fn read_binary_annotation<'a, R: ProtocolReader<'a>>(
    r: &mut R,
) -> Result<Result<Option<v1::BinaryAnnotation>, String>, ThriftError> {
    let (mut key, mut value, mut kind, mut endpoint) = (None, None, None, None);
    r.read_struct_begin()?;
    while let Some(field) = r.read_field_begin()? {
        match (field.id, field.ttype) {
            (1, TType::Binary) => key = Some(lossy(r.read_binary()?)),
            (2, TType::Binary) => value = Some(r.read_binary()?),
            (3, TType::I32) => kind = Some(r.read_i32()?),
            (4, TType::Struct) => endpoint = read_endpoint(r)?,
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    let Some(key) = key else {
        return Ok(Err("binary annotation has no key".into()));
    };
    let Some(value) = value else { return Ok(Ok(None)) };
    Ok(Ok(Some(v1::BinaryAnnotation { key, value: typed_value(value, kind), endpoint })))
}

/// Decodes a binary annotation value by its `AnnotationType`. Numbers are big-endian and
/// signed. A value whose length does not fit its type, or an unknown type, is kept as BYTES;
/// a missing type reads as STRING when the bytes are UTF-8.
pub fn typed_value(value: &[u8], annotation_type: Option<i32>) -> AnnotationValue {
    let bytes = || AnnotationValue::Bytes(value.to_vec());
    match annotation_type {
        Some(0) => match value {
            [b] => AnnotationValue::Bool(*b == 1),
            _ => bytes(),
        },
        Some(2) => value
            .try_into()
            .map_or_else(|_| bytes(), |a| AnnotationValue::I16(i16::from_be_bytes(a))),
        Some(3) => value
            .try_into()
            .map_or_else(|_| bytes(), |a| AnnotationValue::I32(i32::from_be_bytes(a))),
        Some(4) => value
            .try_into()
            .map_or_else(|_| bytes(), |a| AnnotationValue::I64(i64::from_be_bytes(a))),
        Some(5) => value
            .try_into()
            .map_or_else(|_| bytes(), |a| AnnotationValue::Double(f64::from_be_bytes(a))),
        Some(6) => AnnotationValue::String(lossy(value)),
        None => std::str::from_utf8(value)
            .map_or_else(|_| bytes(), |s| AnnotationValue::String(s.to_string())),
        Some(_) => bytes(),
    }
}

/// Reads an `Endpoint` struct; an empty one counts as none.
fn read_endpoint<'a, R: ProtocolReader<'a>>(
    r: &mut R,
) -> Result<Option<v1::Endpoint>, ThriftError> {
    let mut e = v1::Endpoint::default();
    r.read_struct_begin()?;
    while let Some(field) = r.read_field_begin()? {
        match (field.id, field.ttype) {
            // A signed i32 holding the four octets, most significant first.
            (1, TType::I32) => {
                let ip = r.read_i32()? as u32;
                e.ipv4 = (ip != 0).then(|| Ipv4Addr::from(ip));
            }
            // A signed i16: ports above 32767 arrive negative.
            (2, TType::I16) => e.port = r.read_i16()? as u16,
            (3, TType::Binary) => e.service_name = lossy(r.read_binary()?),
            (4, TType::Binary) => {
                if let Ok(octets) = <[u8; 16]>::try_from(r.read_binary()?) {
                    e.set_ipv6(octets.into());
                }
            }
            (_, other) => r.skip(other)?,
        }
    }
    r.read_struct_end();
    Ok((!e.is_empty()).then_some(e))
}

/// Encodes v2 spans as a Thrift list of v1 spans, the way Zipkin's `V1ThriftSpanWriter`
/// does. Spans whose ids v1 cannot hold are left out (see [`v2_to_v1`], which callers can use
/// to report them).
pub fn encode(spans: &[model::Span]) -> Vec<u8> {
    let v1: Vec<v1::Span> = spans.iter().filter_map(|s| v2_to_v1(s).ok()).collect();
    let mut w = BinaryWriter::with_buffer(Vec::with_capacity(16 + v1.len() * 512));
    w.write_list_begin(TType::Struct, v1.len());
    for span in &v1 {
        write_span(&mut w, span);
    }
    w.into_inner()
}

/// Writes one zipkinCore `Span` struct, fields in the order Zipkin writes them.
pub fn write_span<W: ProtocolWriter>(w: &mut W, s: &v1::Span) {
    w.write_struct_begin();
    w.write_i64_field(1, s.trace_id as i64);
    w.write_str_field(3, &s.name);
    w.write_i64_field(4, s.id as i64);
    if let Some(p) = s.parent_id {
        w.write_i64_field(5, p as i64);
    }
    // Both lists are written even when empty, as finagle does.
    w.write_field_begin(TType::List, 6);
    w.write_list_begin(TType::Struct, s.annotations.len());
    for a in &s.annotations {
        w.write_struct_begin();
        w.write_i64_field(1, a.timestamp as i64);
        w.write_str_field(2, &a.value);
        if let Some(e) = &a.endpoint {
            w.write_field_begin(TType::Struct, 3);
            write_endpoint(w, e);
        }
        w.write_field_stop();
        w.write_struct_end();
    }
    w.write_field_begin(TType::List, 8);
    w.write_list_begin(TType::Struct, s.binary_annotations.len());
    for b in &s.binary_annotations {
        w.write_struct_begin();
        w.write_str_field(1, &b.key);
        let value: Vec<u8> = match &b.value {
            AnnotationValue::Bool(v) => vec![u8::from(*v)],
            AnnotationValue::Bytes(v) => v.clone(),
            AnnotationValue::I16(v) => v.to_be_bytes().to_vec(),
            AnnotationValue::I32(v) => v.to_be_bytes().to_vec(),
            AnnotationValue::I64(v) => v.to_be_bytes().to_vec(),
            AnnotationValue::Double(v) => v.to_be_bytes().to_vec(),
            AnnotationValue::String(v) => v.as_bytes().to_vec(),
        };
        w.write_binary_field(2, &value);
        w.write_i32_field(3, b.value.annotation_type());
        if let Some(e) = &b.endpoint {
            w.write_field_begin(TType::Struct, 4);
            write_endpoint(w, e);
        }
        w.write_field_stop();
        w.write_struct_end();
    }
    if s.debug {
        w.write_bool_field(9, true);
    }
    if let Some(t) = s.timestamp {
        w.write_i64_field(10, t as i64);
    }
    if let Some(d) = s.duration {
        w.write_i64_field(11, d as i64);
    }
    if s.trace_id_high != 0 {
        w.write_i64_field(12, s.trace_id_high as i64);
    }
    w.write_field_stop();
    w.write_struct_end();
}

fn write_endpoint<W: ProtocolWriter>(w: &mut W, e: &v1::Endpoint) {
    w.write_struct_begin();
    // ipv4, port and service name are always written, as Zipkin does.
    w.write_i32_field(1, e.ipv4.map_or(0, u32::from) as i32);
    w.write_i16_field(2, e.port as i16);
    w.write_str_field(3, &e.service_name);
    if let Some(ip) = e.ipv6 {
        w.write_binary_field(4, &ip.octets());
    }
    w.write_field_stop();
    w.write_struct_end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zipkin::model::Kind;

    /// Hand-built binary-protocol bytes, so the tests do not depend on our own writer.
    #[derive(Default)]
    struct Bytes(Vec<u8>);

    impl Bytes {
        fn field(&mut self, ttype: u8, id: i16) -> &mut Self {
            self.0.push(ttype);
            self.0.extend_from_slice(&id.to_be_bytes());
            self
        }
        fn i16(&mut self, id: i16, v: i16) -> &mut Self {
            self.field(6, id).0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn i32(&mut self, id: i16, v: i32) -> &mut Self {
            self.field(8, id).0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn i64(&mut self, id: i16, v: i64) -> &mut Self {
            self.field(10, id).0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn bin(&mut self, id: i16, v: &[u8]) -> &mut Self {
            self.field(11, id).0.extend_from_slice(&(v.len() as i32).to_be_bytes());
            self.0.extend_from_slice(v);
            self
        }
        fn list(&mut self, id: i16, n: i32) -> &mut Self {
            self.field(15, id).0.push(12);
            self.0.extend_from_slice(&n.to_be_bytes());
            self
        }
        fn stop(&mut self) -> &mut Self {
            self.0.push(0);
            self
        }
        fn endpoint(&mut self, id: i16, service: &str, ipv4: i32, port: i16) -> &mut Self {
            self.field(12, id).i32(1, ipv4).i16(2, port).bin(3, service.as_bytes()).stop()
        }
        fn annotation(&mut self, ts: i64, value: &str, service: &str) -> &mut Self {
            self.i64(1, ts).bin(2, value.as_bytes()).endpoint(3, service, 0x0a000001, 80).stop()
        }
        fn binary_annotation(
            &mut self,
            key: &str,
            value: &[u8],
            kind: i32,
            service: &str,
            ipv4: i32,
            port: i16,
        ) -> &mut Self {
            self.bin(1, key.as_bytes())
                .bin(2, value)
                .i32(3, kind)
                .endpoint(4, service, ipv4, port)
                .stop()
        }
    }

    fn list_of(spans: &[&Bytes]) -> Vec<u8> {
        let mut out = vec![12];
        out.extend_from_slice(&(spans.len() as i32).to_be_bytes());
        for s in spans {
            out.extend_from_slice(&s.0);
        }
        out
    }

    fn tag<'a>(span: &'a model::Span, key: &str) -> Option<&'a str> {
        span.tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
    }

    /// A client+server span with typed binary annotations and awkward endpoints.
    fn rpc_span() -> Bytes {
        let mut s = Bytes::default();
        s.i64(1, -2).bin(3, b"get").i64(4, 0x1234).i64(5, 0x99);
        s.list(6, 4)
            .annotation(100, "cs", "client")
            .annotation(110, "sr", "server")
            .annotation(140, "ss", "server")
            .annotation(150, "cr", "client");
        s.list(8, 5)
            .binary_annotation("retries", &(-2i16).to_be_bytes(), 2, "client", 0, 0)
            .binary_annotation("offset", &(-70000i32).to_be_bytes(), 3, "server", 0, 0)
            .binary_annotation("ratio", &0.5f64.to_be_bytes(), 5, "server", 0, 0)
            // 192.168.1.2 as a signed i32 is negative; port 50000 as an i16 is too.
            .binary_annotation("sa", &[1], 0, "db", 0xc0a8_0102u32 as i32, 50000u16 as i16)
            .binary_annotation("ca", &[1], 0, "client", 0xfffffffeu32 as i32, -1);
        s.field(2, 9).0.push(1); // debug
        s.i64(10, 100).i64(11, 50).i64(12, 0x0102030405060708).stop();
        s
    }

    #[test]
    fn decodes_signed_values_addresses_and_splits_rpc_spans() {
        let (spans, rejected) = decode(&list_of(&[&rpc_span()])).unwrap();
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(spans.len(), 2);
        let (client, server) = (&spans[0], &spans[1]);
        assert_eq!(to_hex(&client.trace_id), "0102030405060708fffffffffffffffe");
        assert_eq!(to_hex(&client.id), "0000000000001234");
        assert_eq!(to_hex(&client.parent_id), "0000000000000099");
        assert_eq!(
            (client.kind, client.shared, client.timestamp, client.duration),
            (Kind::Client as i32, false, 100, 50)
        );
        assert!(client.debug && server.debug);
        assert_eq!(tag(client, "retries"), Some("-2"));
        let sa = client.remote_endpoint.as_ref().unwrap();
        assert_eq!(
            (sa.service_name.as_str(), sa.ipv4.as_slice(), sa.port),
            ("db", &[192, 168, 1, 2][..], 50000)
        );

        assert_eq!(
            (server.kind, server.shared, server.timestamp, server.duration),
            (Kind::Server as i32, true, 110, 30)
        );
        assert_eq!(tag(server, "offset"), Some("-70000"));
        assert_eq!(tag(server, "ratio"), Some("0.5"));
        let ca = server.remote_endpoint.as_ref().unwrap();
        assert_eq!(
            (ca.service_name.as_str(), ca.ipv4.as_slice(), ca.port),
            ("client", &[255, 255, 255, 254][..], 65535)
        );
        let local = server.local_endpoint.as_ref().unwrap();
        assert_eq!(
            (local.service_name.as_str(), local.ipv4.as_slice(), local.port),
            ("server", &[10, 0, 0, 1][..], 80)
        );
    }

    #[test]
    fn typed_values_are_big_endian_and_signed() {
        assert_eq!(typed_value(&[0xff, 0xfe], Some(2)), AnnotationValue::I16(-2));
        assert_eq!(typed_value(&[0x80, 0, 0, 0], Some(3)), AnnotationValue::I32(i32::MIN));
        assert_eq!(typed_value(&[0xff; 8], Some(4)), AnnotationValue::I64(-1));
        assert_eq!(typed_value(&[1], Some(0)), AnnotationValue::Bool(true));
        assert_eq!(typed_value(&[0], Some(0)), AnnotationValue::Bool(false));
        assert_eq!(typed_value(&[1, 2, 3], Some(3)), AnnotationValue::Bytes(vec![1, 2, 3]));
        assert_eq!(typed_value(b"x", None), AnnotationValue::String("x".into()));
        assert_eq!(typed_value(&[0xff], Some(9)), AnnotationValue::Bytes(vec![0xff]));
    }

    #[test]
    fn legacy_single_span_and_local_component() {
        let mut s = Bytes::default();
        s.i64(1, 7).bin(3, b"compute").i64(4, 8);
        s.list(8, 1).binary_annotation("lc", b"worker", 6, "batch", 0x7f000001, 0);
        s.i64(10, 1000).i64(11, 20).stop();
        let (spans, rejected) = decode(&s.0).unwrap();
        assert!(rejected.is_empty());
        assert_eq!(spans.len(), 1);
        let span = &spans[0];
        assert_eq!(span.kind, 0);
        assert_eq!(span.trace_id, 7u64.to_be_bytes());
        assert!(span.parent_id.is_empty());
        assert_eq!((span.timestamp, span.duration), (1000, 20));
        assert_eq!(tag(span, "lc"), Some("worker"));
        let local = span.local_endpoint.as_ref().unwrap();
        assert_eq!(
            (local.service_name.as_str(), local.ipv4.as_slice()),
            ("batch", &[127, 0, 0, 1][..])
        );
    }

    #[test]
    fn bad_spans_are_rejected_others_kept() {
        let mut no_id = Bytes::default();
        no_id.i64(1, 5).bin(3, b"x").stop();
        let mut negative = Bytes::default();
        negative.i64(1, 5).i64(4, 6).i64(11, -1).stop();
        let mut incomplete = Bytes::default();
        incomplete.i64(1, 5).i64(4, 7).list(6, 1).bin(2, b"cs").stop().stop();
        let mut good = Bytes::default();
        good.i64(1, 5).i64(4, 9).bin(3, b"fine").stop();
        let input = list_of(&[&no_id, &negative, &incomplete, &good]);
        let (spans, rejected) = decode(&input).unwrap();
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].name, "fine");
        assert_eq!(rejected.len(), 3);
        assert_eq!(rejected[0].item, "spans[0] at byte 5");
        assert_eq!(rejected[0].reason, "span has no id");
        assert!(rejected[1].item.starts_with("spans[1] (span id 0000000000000006) at byte "));
        assert!(rejected[1].reason.contains("duration is negative"));
        assert!(rejected[2].reason.contains("annotations[0]: incomplete annotation: no timestamp"));
    }

    #[test]
    fn truncated_input_is_an_error_at_every_offset() {
        let input = encode(&decode(&list_of(&[&rpc_span(), &rpc_span()])).unwrap().0);
        let full = decode(&input).unwrap();
        assert_eq!(full.0.len(), 4);
        for cut in 0..input.len() {
            let err = decode(&input[..cut]).expect_err(&format!("cut at {cut}"));
            assert!(matches!(err.location, Location::Offset(o) if o <= cut), "{err}");
        }
    }

    #[test]
    fn hostile_lengths_do_not_allocate() {
        // A list claiming 2^31-1 spans, and a span name claiming 2 GB.
        let mut huge = vec![12, 0x7f, 0xff, 0xff, 0xff];
        huge.extend_from_slice(&[0; 8]);
        let err = decode(&huge).unwrap_err();
        assert_eq!(err.location, Location::Offset(0));
        let mut s = Bytes::default();
        s.field(11, 3).0.extend_from_slice(&[0x7f, 0xff, 0xff, 0xff]);
        assert!(decode(&list_of(&[&s])).is_err());
        // Garbage never panics.
        for seed in 0u32..2000 {
            let bytes: Vec<u8> = (0..(seed % 61))
                .map(|i| (seed.wrapping_mul(2654435761).wrapping_add(i * 40503) >> 7) as u8)
                .collect();
            let _ = decode(&bytes);
            let mut listed = vec![12, 0, 0, 0, 1];
            listed.extend_from_slice(&bytes);
            let _ = decode(&listed);
        }
    }

    #[test]
    fn encode_matches_zipkin_layout_and_round_trips() {
        let (spans, _) = decode(&list_of(&[&rpc_span()])).unwrap();
        let bytes = encode(&spans);
        assert_eq!(&bytes[..5], &[12, 0, 0, 0, 2]);
        // First field of the first span: trace_id (i64, id 1).
        assert_eq!(&bytes[5..8], &[10, 0, 1]);
        let (again, rejected) = decode(&bytes).unwrap();
        assert!(rejected.is_empty());
        assert_eq!(again, spans);
        assert_eq!(encode(&[]), vec![12, 0, 0, 0, 0]);
        assert_eq!(decode(&encode(&[])).unwrap(), (vec![], vec![]));
    }

    #[test]
    fn v2_v1_thrift_v2_round_trips_every_kind() {
        let ep = |s: &str, port| {
            Some(model::Endpoint {
                service_name: s.into(),
                ipv4: vec![10, 1, 2, 3],
                ipv6: vec![],
                port,
            })
        };
        for (kind, shared) in [
            (Kind::Client, false),
            (Kind::Server, false),
            (Kind::Server, true),
            (Kind::Producer, false),
            (Kind::Consumer, false),
            (Kind::Unspecified, false),
        ] {
            let span = model::Span {
                trace_id: vec![0xab; 16],
                parent_id: vec![],
                id: vec![1, 2, 3, 4, 5, 6, 7, 8],
                kind: kind as i32,
                name: "op".into(),
                timestamp: 1_600_000_000_000_000,
                duration: 77,
                local_endpoint: ep("me", 40000),
                remote_endpoint: if kind == Kind::Unspecified { None } else { ep("peer", 443) },
                annotations: vec![model::Annotation {
                    timestamp: 1_600_000_000_000_010,
                    value: "evt".into(),
                }],
                tags: vec![model::Tag { key: "k".into(), value: "v".into() }],
                debug: false,
                shared,
            };
            let (back, rejected) = decode(&encode(std::slice::from_ref(&span))).unwrap();
            assert!(rejected.is_empty());
            assert_eq!(back, vec![span], "{kind:?} shared={shared}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::zipkin::v1_convert::strategies::v2_span;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&input);
            // Behind a valid list header, so the span reader itself gets the garbage.
            let _ = decode(&[&[12, 0, 0, 0, 3][..], &input].concat());
        }

        #[test]
        fn v2_spans_survive_v1_thrift(spans in proptest::collection::vec(v2_span(), 0..4)) {
            let (back, rejected) = decode(&encode(&spans)).unwrap();
            prop_assert!(rejected.is_empty(), "{:?}", rejected);
            prop_assert_eq!(back, spans);
        }
    }
}

#[cfg(test)]
mod corpus {
    use super::*;

    /// Every real-world v2 trace goes v2 → v1 (Thrift and JSON) → v2 unchanged.
    #[test]
    fn real_traces_survive_v1() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpora/zipkin-v2");
        let Ok(entries) = std::fs::read_dir(dir) else {
            println!("skipped: corpus not found at {dir}");
            return;
        };
        let mut total = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let (spans, _) = crate::zipkin::v2_json::decode(&bytes).unwrap();
            let (back, rejected) = decode(&encode(&spans)).unwrap();
            assert!(rejected.is_empty(), "{path:?}: {rejected:?}");
            assert_eq!(back, spans, "{path:?} through v1 Thrift");
            let json = crate::zipkin::v1_json::encode(&spans);
            let (back, rejected) = crate::zipkin::v1_json::decode(&json).unwrap();
            assert!(rejected.is_empty(), "{path:?}: {rejected:?}");
            assert_eq!(back, spans, "{path:?} through v1 JSON");
            total += spans.len();
        }
        assert!(total > 1000, "only {total} spans read");
    }
}
#[cfg(test)]
mod fixtures {
    use super::*;
    use crate::zipkin::model::Kind;

    /// Bytes py-zipkin 1.2.x POSTs as v1 Thrift (tests/fixtures/zipkin-v1-thrift/py-zipkin).
    #[test]
    fn py_zipkin_v1_thrift() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/zipkin-v1-thrift/py-zipkin/input.bin"
        );
        let Ok(bytes) = std::fs::read(path) else {
            println!("skipped: fixture not found at {path}");
            return;
        };
        let (spans, rejected) = decode(&bytes).unwrap();
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(spans.len(), 4);
        let by_name = |n: &str| spans.iter().find(|s| s.name == n).unwrap();
        for s in &spans {
            assert_eq!(to_hex(&s.trace_id), "f0e1d2c3b4a5968778695a4b3c2d1e0f");
            assert!(!s.debug);
        }

        let server = by_name("fixture-server");
        assert_eq!((server.kind, server.shared), (Kind::Server as i32, true));
        assert_eq!(to_hex(&server.id), "8a1b2c3d4e5f6071");
        assert!(server.parent_id.is_empty());
        // 192.0.2.10 is a negative i32 on the wire.
        let local = server.local_endpoint.as_ref().unwrap();
        assert_eq!(
            (local.service_name.as_str(), local.ipv4.as_slice(), local.port),
            ("fixture-py-zipkin-v1-thrift", &[192, 0, 2, 10][..], 8080)
        );
        assert_eq!(server.annotations.len(), 1, "sr/ss are not events");
        assert_eq!(server.annotations[0].value, "fixture-annotation");
        assert_eq!(server.annotations[0].timestamp, 1_700_000_000_250_000);
        let tags: Vec<(&str, &str)> =
            server.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect();
        assert_eq!(
            tags,
            [("fixture.str", "hello fixture"), ("fixture.int", "-42"), ("fixture.bool", "true")]
        );

        let client = by_name("fixture-client");
        assert_eq!((client.kind, client.shared), (Kind::Client as i32, false));
        assert_eq!(to_hex(&client.parent_id), "8a1b2c3d4e5f6071");
        assert_eq!((client.timestamp, client.duration), (1_700_000_000_250_000, 500_000));
        let remote = client.remote_endpoint.as_ref().unwrap();
        assert_eq!(
            (remote.service_name.as_str(), remote.ipv4.as_slice(), remote.port),
            ("fixture-peer", &[192, 0, 2, 20][..], 9000)
        );
        assert!(client.annotations.is_empty());

        let local_span = by_name("fixture-local");
        assert_eq!((local_span.kind, local_span.local_endpoint.as_ref()), (0, None));
        assert_eq!((local_span.timestamp, local_span.duration), (1_700_000_000_500_000, 250_000));

        let producer = by_name("fixture-producer");
        assert_eq!(producer.kind, Kind::Producer as i32);
        assert_eq!(producer.parent_id, local_span.id);
        assert_eq!((producer.timestamp, producer.duration), (1_700_000_000_500_000, 125_000));
    }
}
