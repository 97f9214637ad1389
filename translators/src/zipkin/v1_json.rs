//! Zipkin v1 JSON (the body of `POST /api/v1/spans` with `application/json`) ⇄ v2 spans.
//!
//! Input is a JSON array of v1 spans; each is read into [`super::v1_model`] and converted by
//! [`super::v1_convert`]. A span that cannot be read (bad or missing id, negative time,
//! incomplete annotation...) is rejected with its JSON path, the others go on. Output is what
//! Zipkin's `V1JsonSpanWriter` writes.

use super::model;
use super::v1_convert::{v1_to_v2, v2_to_v1, Indexed};
use super::v1_model::{self as v1, AnnotationValue};
use crate::ids;
use crate::otlp::json::writer;
use crate::{DecodeError, Format, Location, Rejection};
use serde_json::{Map, Value};

/// A problem with one span: the JSON path of the value at fault and the reason.
type Fail = (String, String);

fn fail(path: String, reason: impl Into<String>) -> Fail {
    (path, reason.into())
}

/// Decodes a JSON array of v1 spans into v2 spans (a v1 span holding both sides of an RPC
/// gives two). `Err` when the document is not JSON (with line and column) or not an array.
pub fn decode(input: &[u8]) -> Result<(Vec<model::Span>, Vec<Rejection>), DecodeError> {
    decode_indexed(input).map(|d| (d.spans, d.rejected))
}

/// The JSON path of the `i`-th input span, `$[i]` (to name spans rejected later).
pub fn item_path(i: usize) -> String {
    format!("$[{i}]")
}

/// [`decode`], also telling which input span each v2 span came from.
pub fn decode_indexed(input: &[u8]) -> Result<Indexed, DecodeError> {
    let doc: Value = serde_json::from_slice(input).map_err(|e| {
        let mut reason = e.to_string();
        // serde_json appends the position to its message; it goes into the location instead.
        if let Some(cut) = reason.rfind(" at line ") {
            reason.truncate(cut);
        }
        DecodeError::new(
            Format::ZipkinV1Json,
            Location::LineColumn { line: e.line(), column: e.column() },
            reason,
        )
    })?;
    let Value::Array(items) = doc else {
        return Err(DecodeError::new(
            Format::ZipkinV1Json,
            Location::JsonPath("$".into()),
            format!("expected a JSON array of v1 spans, found {}", kind_of(&doc)),
        ));
    };

    let mut spans = Vec::with_capacity(items.len());
    let mut index = Vec::with_capacity(items.len());
    let mut rejected = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = item_path(i);
        let result = read_span(item, &path).and_then(|span| {
            v1_to_v2(&span, &mut spans).map_err(|e| fail(format!("{path}.{}", e.field), e.reason))
        });
        if let Err((at, reason)) = result {
            rejected.push(Rejection::new(with_span_id(at, item), reason));
        }
        index.resize(spans.len(), i);
    }
    Ok(Indexed { spans, index, rejected })
}

/// Appends the span's id as written, when there is one, so the rejection can be found.
fn with_span_id(path: String, item: &Value) -> String {
    match item.get("id").and_then(Value::as_str) {
        Some(id) => format!("{path} (span id {id})"),
        None => path,
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn as_object<'v>(v: &'v Value, path: &str) -> Result<&'v Map<String, Value>, Fail> {
    v.as_object()
        .ok_or_else(|| fail(path.to_string(), format!("expected an object, found {}", kind_of(v))))
}

/// A string field; missing or null is `None`.
fn opt_str<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'v str>, Fail> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(fail(
            format!("{path}.{key}"),
            format!("expected a string, found {}", kind_of(other)),
        )),
    }
}

/// A non-negative integer field (µs); missing or null is `None`. Fractional numbers, which
/// some JavaScript reporters write, are truncated.
fn opt_micros(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<u64>, Fail> {
    let at = || format!("{path}.{key}");
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(u) = n.as_u64() {
                Ok(Some(u))
            } else if n.as_i64().is_some() {
                Err(fail(at(), format!("{key} is negative: {n}")))
            } else {
                match n.as_f64() {
                    Some(f) if f.is_finite() && f >= 0.0 && f < u64::MAX as f64 => {
                        Ok(Some(f as u64))
                    }
                    _ => Err(fail(at(), format!("{key} is not a valid time: {n}"))),
                }
            }
        }
        Some(other) => Err(fail(at(), format!("expected a number, found {}", kind_of(other)))),
    }
}

fn id_text<'v>(obj: &'v Map<String, Value>, key: &str, path: &str) -> Result<&'v str, Fail> {
    opt_str(obj, key, path)?
        .ok_or_else(|| fail(format!("{path}.{key}"), format!("{key} is missing")))
}

fn parse_span_id(text: &str, at: impl Fn() -> String) -> Result<u64, Fail> {
    ids::parse_hex_padded::<8>(text).map(u64::from_be_bytes).map_err(|e| fail(at(), e.to_string()))
}

fn read_span(item: &Value, path: &str) -> Result<v1::Span, Fail> {
    let obj = as_object(item, path)?;
    let mut span = v1::Span::default();

    // 16 or 32 hex digits (shorter ones are left-padded, as Zipkin does).
    let trace = id_text(obj, "traceId", path)?;
    let trace_at = || format!("{path}.traceId");
    if trace.len() > 16 {
        let id = ids::parse_hex_padded::<16>(trace).map_err(|e| fail(trace_at(), e.to_string()))?;
        let (high, low) = id.split_at(8);
        span.trace_id_high = u64::from_be_bytes(high.try_into().unwrap_or_default());
        span.trace_id = u64::from_be_bytes(low.try_into().unwrap_or_default());
    } else {
        span.trace_id = parse_span_id(trace, trace_at)?;
    }
    if span.trace_id == 0 && span.trace_id_high == 0 {
        return Err(fail(trace_at(), "trace id is zero"));
    }
    span.id = parse_span_id(id_text(obj, "id", path)?, || format!("{path}.id"))?;
    if span.id == 0 {
        return Err(fail(format!("{path}.id"), "span id is zero"));
    }
    if let Some(p) = opt_str(obj, "parentId", path)? {
        // An all-zero parent means root, as in B3.
        let parent = parse_span_id(p, || format!("{path}.parentId"))?;
        span.parent_id = (parent != 0).then_some(parent);
    }
    span.name = opt_str(obj, "name", path)?.unwrap_or_default().to_string();
    span.timestamp = opt_micros(obj, "timestamp", path)?.filter(|&t| t != 0);
    span.duration = opt_micros(obj, "duration", path)?.filter(|&d| d != 0);
    span.debug = match obj.get("debug") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(other) => {
            return Err(fail(
                format!("{path}.debug"),
                format!("expected a boolean, found {}", kind_of(other)),
            ))
        }
    };

    for (j, a) in array(obj, "annotations", path)?.iter().enumerate() {
        span.annotations.push(read_annotation(a, &format!("{path}.annotations[{j}]"))?);
    }
    for (j, b) in array(obj, "binaryAnnotations", path)?.iter().enumerate() {
        if let Some(b) = read_binary_annotation(b, &format!("{path}.binaryAnnotations[{j}]"))? {
            span.binary_annotations.push(b);
        }
    }
    Ok(span)
}

fn array<'v>(obj: &'v Map<String, Value>, key: &str, path: &str) -> Result<&'v [Value], Fail> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(fail(
            format!("{path}.{key}"),
            format!("expected an array, found {}", kind_of(other)),
        )),
    }
}

fn read_annotation(v: &Value, path: &str) -> Result<v1::Annotation, Fail> {
    let obj = as_object(v, path)?;
    let timestamp = opt_micros(obj, "timestamp", path)?
        .ok_or_else(|| fail(format!("{path}.timestamp"), "incomplete annotation: no timestamp"))?;
    let value = opt_str(obj, "value", path)?
        .ok_or_else(|| fail(format!("{path}.value"), "incomplete annotation: no value"))?
        .to_string();
    Ok(v1::Annotation { timestamp, value, endpoint: read_endpoint(obj, path)? })
}

/// `None` for a binary annotation without a value (Zipkin skips those).
fn read_binary_annotation(v: &Value, path: &str) -> Result<Option<v1::BinaryAnnotation>, Fail> {
    let obj = as_object(v, path)?;
    let key = opt_str(obj, "key", path)?
        .ok_or_else(|| fail(format!("{path}.key"), "binary annotation has no key"))?
        .to_string();
    let declared = opt_str(obj, "type", path)?.unwrap_or_default();
    let value = match obj.get("value") {
        None | Some(Value::Null) => return Ok(None),
        // Strings stay strings whatever the declared type (BYTES arrive already in base64).
        Some(Value::String(s)) => AnnotationValue::String(s.clone()),
        Some(Value::Bool(b)) => AnnotationValue::Bool(*b),
        Some(Value::Number(n)) => number_value(n, declared),
        // Not a v1 value: keep it as JSON text rather than lose it.
        Some(other) => AnnotationValue::String(other.to_string()),
    };
    Ok(Some(v1::BinaryAnnotation { key, value, endpoint: read_endpoint(obj, path)? }))
}

fn number_value(n: &serde_json::Number, declared: &str) -> AnnotationValue {
    let int = n.as_i64();
    match (declared, int) {
        ("I16", Some(i)) if i16::try_from(i).is_ok() => AnnotationValue::I16(i as i16),
        ("I32", Some(i)) if i32::try_from(i).is_ok() => AnnotationValue::I32(i as i32),
        ("DOUBLE", _) => n
            .as_f64()
            .map_or_else(|| AnnotationValue::String(n.to_string()), AnnotationValue::Double),
        (_, Some(i)) => AnnotationValue::I64(i),
        // Integers above i64::MAX keep their digits.
        _ if n.is_u64() => AnnotationValue::String(n.to_string()),
        _ => n
            .as_f64()
            .map_or_else(|| AnnotationValue::String(n.to_string()), AnnotationValue::Double),
    }
}

/// The `endpoint` of an annotation; an empty endpoint counts as none.
fn read_endpoint(obj: &Map<String, Value>, path: &str) -> Result<Option<v1::Endpoint>, Fail> {
    let path = format!("{path}.endpoint");
    let obj = match obj.get("endpoint") {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => as_object(v, &path)?,
    };
    let mut e = v1::Endpoint {
        service_name: opt_str(obj, "serviceName", &path)?.unwrap_or_default().to_string(),
        ..v1::Endpoint::default()
    };
    // Zipkin reads an address from either field, and ignores text that is not one.
    for key in ["ipv4", "ipv6"] {
        if let Some(Value::String(ip)) = obj.get(key) {
            e.set_ip_text(ip);
        }
    }
    if let Some(port) = obj.get("port").and_then(Value::as_i64) {
        e.port = match port {
            0..=65535 => port as u16,
            // Written from a Thrift i16 without the unsigned fix-up.
            -32768..=-1 => port as i16 as u16,
            _ => 0,
        };
    }
    Ok((!e.is_empty()).then_some(e))
}

/// Encodes v2 spans as a v1 JSON array, the way Zipkin's `V1JsonSpanWriter` does. Spans whose
/// ids v1 cannot hold are left out (see [`v2_to_v1`], which callers can use to report them).
pub fn encode(spans: &[model::Span]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + spans.len() * 512);
    out.push(b'[');
    let mut first = true;
    for span in spans {
        let Ok(v1) = v2_to_v1(span) else { continue };
        if !first {
            out.push(b',');
        }
        first = false;
        write_span(&v1, &mut out);
    }
    out.push(b']');
    out
}

fn write_span(s: &v1::Span, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"traceId\":\"");
    if s.trace_id_high != 0 {
        writer::hex_digits(out, &s.trace_id_high.to_be_bytes());
    }
    writer::hex_digits(out, &s.trace_id.to_be_bytes());
    out.push(b'"');
    if let Some(p) = s.parent_id {
        out.extend_from_slice(b",\"parentId\":\"");
        writer::hex_digits(out, &p.to_be_bytes());
        out.push(b'"');
    }
    out.extend_from_slice(b",\"id\":\"");
    writer::hex_digits(out, &s.id.to_be_bytes());
    out.extend_from_slice(b"\",\"name\":");
    writer::string(out, &s.name);
    if let Some(ts) = s.timestamp {
        out.extend_from_slice(b",\"timestamp\":");
        writer::uint(out, ts);
    }
    if let Some(d) = s.duration {
        out.extend_from_slice(b",\"duration\":");
        writer::uint(out, d);
    }
    if !s.annotations.is_empty() {
        out.extend_from_slice(b",\"annotations\":[");
        for (i, a) in s.annotations.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"timestamp\":");
            writer::uint(out, a.timestamp);
            out.extend_from_slice(b",\"value\":");
            writer::string(out, &a.value);
            write_endpoint_field(a.endpoint.as_ref(), out);
            out.push(b'}');
        }
        out.push(b']');
    }
    if !s.binary_annotations.is_empty() {
        out.extend_from_slice(b",\"binaryAnnotations\":[");
        for (i, b) in s.binary_annotations.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"key\":");
            writer::string(out, &b.key);
            out.extend_from_slice(b",\"value\":");
            write_value(&b.value, out);
            write_endpoint_field(b.endpoint.as_ref(), out);
            out.push(b'}');
        }
        out.push(b']');
    }
    if s.debug {
        out.extend_from_slice(b",\"debug\":true");
    }
    out.push(b'}');
}

/// A binary annotation value; types other than STRING and BOOL also write `"type"`.
fn write_value(v: &AnnotationValue, out: &mut Vec<u8>) {
    let declared = match v {
        AnnotationValue::String(s) => return writer::string(out, s),
        AnnotationValue::Bool(b) => {
            return out.extend_from_slice(if *b { b"true" } else { b"false" })
        }
        AnnotationValue::Double(d) if d.is_finite() => {
            out.extend_from_slice(d.to_string().as_bytes());
            "DOUBLE"
        }
        AnnotationValue::Double(_) | AnnotationValue::Bytes(_) => {
            writer::string(out, &v.to_tag_string());
            if matches!(v, AnnotationValue::Bytes(_)) {
                "BYTES"
            } else {
                "DOUBLE"
            }
        }
        AnnotationValue::I16(_) | AnnotationValue::I32(_) | AnnotationValue::I64(_) => {
            out.extend_from_slice(v.to_tag_string().as_bytes());
            match v {
                AnnotationValue::I16(_) => "I16",
                AnnotationValue::I32(_) => "I32",
                _ => "I64",
            }
        }
    };
    out.extend_from_slice(format!(",\"type\":\"{declared}\"").as_bytes());
}

fn write_endpoint_field(e: Option<&v1::Endpoint>, out: &mut Vec<u8>) {
    let Some(e) = e else { return };
    // v1 always writes serviceName, even when empty.
    out.extend_from_slice(b",\"endpoint\":{\"serviceName\":");
    writer::string(out, &e.service_name);
    if let Some(ip) = e.ipv4 {
        out.extend_from_slice(format!(",\"ipv4\":\"{ip}\"").as_bytes());
    }
    if let Some(ip) = e.ipv6 {
        out.extend_from_slice(format!(",\"ipv6\":\"{ip}\"").as_bytes());
    }
    if e.port != 0 {
        out.extend_from_slice(format!(",\"port\":{}", e.port).as_bytes());
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::to_hex;
    use crate::zipkin::model::Kind;

    fn tag<'a>(span: &'a model::Span, key: &str) -> Option<&'a str> {
        span.tags.iter().find(|t| t.key == key).map(|t| t.value.as_str())
    }

    const CLIENT_SERVER: &str = r#"[{
        "traceId": "5af7183fb1d4cf5f", "name": "get /api", "id": "352bff9a74ca9ad2",
        "parentId": "6b221d5bc9e6496c", "timestamp": 1556604172355737, "duration": 1431,
        "annotations": [
          {"timestamp": 1556604172355737, "value": "cs", "endpoint": {"serviceName": "frontend", "ipv4": "172.17.0.13", "port": 8080}},
          {"timestamp": 1556604172356000, "value": "sr", "endpoint": {"serviceName": "backend", "ipv4": "172.17.0.9", "port": 9000}},
          {"timestamp": 1556604172356500, "value": "db.query", "endpoint": {"serviceName": "backend", "ipv4": "172.17.0.9", "port": 9000}},
          {"timestamp": 1556604172357000, "value": "ss", "endpoint": {"serviceName": "backend", "ipv4": "172.17.0.9", "port": 9000}},
          {"timestamp": 1556604172357168, "value": "cr", "endpoint": {"serviceName": "frontend", "ipv4": "172.17.0.13", "port": 8080}}
        ],
        "binaryAnnotations": [
          {"key": "http.path", "value": "/api", "endpoint": {"serviceName": "frontend", "ipv4": "172.17.0.13", "port": 8080}},
          {"key": "http.status_code", "value": 200, "type": "I16", "endpoint": {"serviceName": "backend", "ipv4": "172.17.0.9", "port": 9000}},
          {"key": "ca", "value": true, "endpoint": {"serviceName": "frontend", "ipv4": "172.17.0.13", "port": 51234}},
          {"key": "sa", "value": true, "endpoint": {"serviceName": "backend", "ipv4": "172.17.0.9", "port": 9000}}
        ],
        "debug": true
    }]"#;

    #[test]
    fn client_and_server_span_splits_in_two() {
        let Indexed { spans, index, rejected } = decode_indexed(CLIENT_SERVER.as_bytes()).unwrap();
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(spans.len(), 2);
        assert_eq!(index, [0, 0], "both halves come from the one v1 span");
        let (client, server) = (&spans[0], &spans[1]);
        assert_eq!(to_hex(&client.trace_id), "5af7183fb1d4cf5f");
        assert_eq!(to_hex(&client.id), "352bff9a74ca9ad2");
        assert_eq!(to_hex(&client.parent_id), "6b221d5bc9e6496c");
        assert_eq!(client.kind, Kind::Client as i32);
        assert!(!client.shared && client.debug);
        assert_eq!((client.timestamp, client.duration), (1556604172355737, 1431));
        let local = client.local_endpoint.as_ref().unwrap();
        assert_eq!(
            (local.service_name.as_str(), local.ipv4.as_slice(), local.port),
            ("frontend", &[172, 17, 0, 13][..], 8080)
        );
        let remote = client.remote_endpoint.as_ref().unwrap();
        assert_eq!((remote.service_name.as_str(), remote.port), ("backend", 9000));
        assert_eq!(tag(client, "http.path"), Some("/api"));

        assert_eq!(server.kind, Kind::Server as i32);
        assert!(server.shared && server.debug);
        assert_eq!(to_hex(&server.id), "352bff9a74ca9ad2");
        assert_eq!((server.timestamp, server.duration), (1556604172356000, 1000));
        assert_eq!(server.local_endpoint.as_ref().unwrap().service_name, "backend");
        let remote = server.remote_endpoint.as_ref().unwrap();
        assert_eq!((remote.service_name.as_str(), remote.port), ("frontend", 51234));
        assert_eq!(tag(server, "http.status_code"), Some("200"));
        assert_eq!(server.annotations.len(), 1);
        assert_eq!(server.annotations[0].value, "db.query");
    }

    #[test]
    fn local_span_and_typed_values() {
        let input = r#"[{"traceId":"463ac35c9f6413ad48485a3953bb6124","id":"a","name":"compute",
            "timestamp":10,"duration":5,
            "binaryAnnotations":[
              {"key":"lc","value":"worker","endpoint":{"serviceName":"batch","ipv6":"2001:db8::1","port":-1}},
              {"key":"ratio","value":0.25,"type":"DOUBLE","endpoint":{"serviceName":"batch"}},
              {"key":"neg","value":-5,"type":"I32","endpoint":{"serviceName":"batch"}},
              {"key":"flag","value":false,"endpoint":{"serviceName":"batch"}},
              {"key":"nothing","value":null}
            ]}]"#;
        let (spans, rejected) = decode(input.as_bytes()).unwrap();
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(spans.len(), 1);
        let s = &spans[0];
        assert_eq!(to_hex(&s.trace_id), "463ac35c9f6413ad48485a3953bb6124");
        assert_eq!(to_hex(&s.id), "000000000000000a");
        assert!(s.parent_id.is_empty());
        assert_eq!(s.kind, 0);
        assert_eq!((s.timestamp, s.duration), (10, 5));
        let local = s.local_endpoint.as_ref().unwrap();
        assert_eq!(local.service_name, "batch");
        assert_eq!(local.ipv6, "2001:db8::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
        assert_eq!(local.port, 65535);
        assert_eq!(tag(s, "lc"), Some("worker"));
        assert_eq!(tag(s, "ratio"), Some("0.25"));
        assert_eq!(tag(s, "neg"), Some("-5"));
        assert_eq!(tag(s, "flag"), Some("false"));
        assert_eq!(tag(s, "nothing"), None);
    }

    #[test]
    fn bad_spans_are_rejected_with_their_path() {
        let input = r#"[
            {"traceId":"1","id":"1","name":"ok"},
            {"traceId":"zz","id":"2"},
            {"id":"3"},
            {"traceId":"1","id":"0000000000000000"},
            {"traceId":"1","id":"4","duration":-3},
            {"traceId":"1","id":"5","annotations":[{"value":"x"}]},
            {"traceId":"1","id":"6","annotations":[{"timestamp":9,"value":"sr","endpoint":{"serviceName":"s"}},
                                                  {"timestamp":3,"value":"ss","endpoint":{"serviceName":"s"}}]},
            7,
            {"traceId":"00000000000000000000000000000001","id":"8","parentId":"0"}
        ]"#;
        let Indexed { spans, index, rejected } = decode_indexed(input.as_bytes()).unwrap();
        assert_eq!(spans.len(), 2);
        assert_eq!(index, [0, 8]);
        assert_eq!(spans[0].name, "ok");
        assert_eq!(to_hex(&spans[1].id), "0000000000000008");
        assert_eq!(spans[1].trace_id.len(), 8, "a zero high half gives a 64-bit id");
        assert!(spans[1].parent_id.is_empty());
        let items: Vec<&str> = rejected.iter().map(|r| r.item.as_str()).collect();
        assert_eq!(
            items,
            [
                "$[1].traceId (span id 2)",
                "$[2].traceId (span id 3)",
                "$[3].id (span id 0000000000000000)",
                "$[4].duration (span id 4)",
                "$[5].annotations[0].timestamp (span id 5)",
                "$[6].annotations (span id 6)",
                "$[7]",
            ]
        );
        assert!(rejected[0].reason.contains("not hex"), "{}", rejected[0].reason);
        assert!(rejected[4].reason.contains("no timestamp"));
    }

    #[test]
    fn broken_json_is_a_decode_error_with_line_and_column() {
        let err = decode(b"[\n  {\"traceId\": \"1\",\n  }").unwrap_err();
        assert_eq!(err.format, Format::ZipkinV1Json);
        assert!(matches!(err.location, Location::LineColumn { line: 3, .. }), "{err}");
        assert!(!err.reason.contains(" at line "));
        let err = decode(br#"{"traceId":"1"}"#).unwrap_err();
        assert_eq!(err.location, Location::JsonPath("$".into()));
        assert!(decode(b"").is_err());
        assert_eq!(decode(b"[]").unwrap(), (vec![], vec![]));
    }

    #[test]
    fn encode_writes_zipkin_v1_json_and_reads_back() {
        let (spans, _) = decode(CLIENT_SERVER.as_bytes()).unwrap();
        let bytes = encode(&spans);
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        let arr = doc.as_array().unwrap();
        assert_eq!(arr.len(), 2);
        // The client span owns the timing, the shared server side has none of its own.
        assert_eq!(arr[0]["timestamp"], 1556604172355737u64);
        assert!(arr[1].get("timestamp").is_none());
        assert_eq!(arr[0]["annotations"][0]["value"], "cs");
        assert_eq!(arr[0]["annotations"][0]["endpoint"]["ipv4"], "172.17.0.13");
        assert_eq!(arr[1]["binaryAnnotations"].as_array().unwrap().last().unwrap()["key"], "ca");
        assert_eq!(arr[0]["debug"], true);
        let (again, rejected) = decode(&bytes).unwrap();
        assert!(rejected.is_empty());
        assert_eq!(again, spans);
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = Vec::new();
        writer::string(&mut out, "a\"b\\c\n\u{1}é");
        assert_eq!(String::from_utf8(out.clone()).unwrap(), "\"a\\\"b\\\\c\\n\\u0001é\"");
        assert_eq!(serde_json::from_slice::<String>(&out).unwrap(), "a\"b\\c\n\u{1}é");
    }

    #[test]
    fn typed_values_write_their_type() {
        let mut out = Vec::new();
        write_value(&AnnotationValue::I16(-3), &mut out);
        write_value(&AnnotationValue::Bytes(vec![1]), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "-3,\"type\":\"I16\"\"AQ==\",\"type\":\"BYTES\""
        );
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
        }

        #[test]
        fn arbitrary_json_never_panics(input in r#"\[(\{("[a-zA-Z]{1,12}":(-?[0-9]{1,20}|"[0-9a-f]{0,33}"|\[\{"[a-z]{1,9}":[^,]{0,12}\}\]|true|null),?){0,8}\},?){0,3}\]"#) {
            let _ = decode(input.as_bytes());
        }

        #[test]
        fn v2_spans_survive_v1_json(spans in proptest::collection::vec(v2_span(), 0..4)) {
            let (back, rejected) = decode(&encode(&spans)).unwrap();
            prop_assert!(rejected.is_empty(), "{:?}", rejected);
            prop_assert_eq!(back, spans);
        }
    }
}

#[cfg(test)]
mod fixtures {
    use super::*;
    use crate::ids::to_hex;
    use crate::zipkin::model::Kind;

    fn read(case: &str) -> Option<Vec<u8>> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/zipkin-v1-json/");
        let bytes = std::fs::read(format!("{dir}{case}/input.json")).ok();
        if bytes.is_none() {
            println!("skipped: fixture {case} not found in {dir}");
        }
        bytes
    }

    /// What py-zipkin 1.2.8 POSTs as v1 JSON.
    #[test]
    fn py_zipkin_v1_json() {
        let Some(bytes) = read("py-zipkin") else { return };
        let (spans, rejected) = decode(&bytes).unwrap();
        assert!(rejected.is_empty(), "{rejected:?}");
        let kinds: Vec<(&str, i32, bool)> =
            spans.iter().map(|s| (s.name.as_str(), s.kind, s.shared)).collect();
        assert_eq!(
            kinds,
            [
                ("fixture-client", Kind::Client as i32, false),
                ("fixture-producer", Kind::Producer as i32, false),
                ("fixture-local", 0, false),
                ("fixture-server", Kind::Server as i32, true),
            ]
        );
        let client = &spans[0];
        assert_eq!(to_hex(&client.trace_id), "f0e1d2c3b4a5968778695a4b3c2d1e0f");
        assert_eq!(to_hex(&client.id), "e17218b8e3836eb2");
        assert_eq!(to_hex(&client.parent_id), "8a1b2c3d4e5f6071");
        assert_eq!(client.remote_endpoint.as_ref().unwrap().service_name, "fixture-peer");
        assert_eq!(client.tags[0].value, "fixture client failure");
        let server = &spans[3];
        assert!(server.parent_id.is_empty());
        assert_eq!(server.local_endpoint.as_ref().unwrap().ipv4, [192, 0, 2, 10]);
        assert_eq!(server.annotations.len(), 1);
        assert_eq!(server.annotations[0].value, "fixture-annotation");
    }

    /// What the OpenTelemetry Python Zipkin JSON exporter 1.45.1 POSTs as v1: no core
    /// annotations at all (so no kind), the service in every binary annotation's endpoint.
    #[test]
    fn otel_python_v1_json() {
        let Some(bytes) = read("otel-zipkin-exporter-python") else { return };
        let (spans, rejected) = decode(&bytes).unwrap();
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(spans.len(), 4);
        for s in &spans {
            assert_eq!(s.kind, 0);
            assert!(s.debug);
            let local = s.local_endpoint.as_ref().unwrap();
            assert_eq!(local.service_name, "fixture-py-otel-zipkin-json-v1");
        }
        let root = spans.iter().find(|s| s.name == "fixture-root").unwrap();
        assert!(root.parent_id.is_empty());
        assert_eq!((root.timestamp, root.duration), (1_700_000_000_000_000, 500_000));
        assert_eq!(root.annotations.len(), 2);
        assert!(root.annotations[0].value.starts_with("{\"fixture-event\""));
        let client = spans.iter().find(|s| s.name == "fixture-client").unwrap();
        assert!(client.tags.iter().any(|t| t.key == "peer.service" && t.value == "fixture-peer"));
    }
}
