//! Jaeger JSON: the model of Jaeger's query API (`GET /api/traces/{id}`, `/api/traces?...`),
//! which is also what the Jaeger UI downloads, read into and written from the api_v2 model.
//!
//! Shape (jaeger `model/json/model.go`, `cmd/query/app/http_handler.go`):
//! `{"data":[{"traceID","spans":[{"traceID","spanID","flags","operationName",
//! "references":[{"refType":"CHILD_OF"|"FOLLOWS_FROM","traceID","spanID"}],"startTime":µs,
//! "duration":µs,"tags":[{"key","type","value"}],"logs":[{"timestamp":µs,"fields":[..]}],
//! "processID","warnings"}],"processes":{"p1":{"serviceName","tags"}},"warnings"}],
//! "total":0,"limit":0,"offset":0,"errors":null}`.
//!
//! Tag `type` is `string`, `bool`, `int64`, `float64` or `binary`; int64 values are JSON
//! numbers (strings beyond ±2^53−1, where JavaScript loses precision), binary values base64.
//! Ids are lower-case hex: span ids 16 digits, trace ids 16 when the high half is zero, else 32
//! (older Jaeger versions dropped leading zeros; those are read too).
//!
//! Reading also accepts a bare array of traces, a single trace object, and spans with an
//! embedded `process` (Jaeger's Elasticsearch/Kafka JSON form, whose tag values are strings and
//! binary hex).

use super::model::{
    Batch, Duration, KeyValue, Log, Process, Span, SpanRef, SpanRefType, Timestamp, ValueType,
};
use crate::otlp::json::writer::{self, Object};
use crate::{ids, DecodeError, Format, Location, Rejection};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Paths

/// One step of a JSON path.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

/// A JSON path built on the stack and only turned into text when something is wrong.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path { parent: None, seg: Seg::Root };

    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path { parent: Some(self), seg: Seg::Key(key) }
    }

    fn index(&'a self, i: usize) -> Path<'a> {
        Path { parent: Some(self), seg: Seg::Index(i) }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.parent {
            p.fmt(f)?;
        }
        match self.seg {
            Seg::Root => f.write_str("$"),
            Seg::Key(k) => write!(f, ".{k}"),
            Seg::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// Why one span cannot be read, and where.
struct Fail {
    item: String,
    reason: String,
}

fn fail<T>(path: Path<'_>, reason: impl Into<String>) -> Result<T, Fail> {
    Err(Fail { item: path.to_string(), reason: reason.into() })
}

// ---------------------------------------------------------------------------------------------
// Decoding

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A field, with `null` treated as absent (Go writes `null` for empty slices).
fn get<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn short(s: &str) -> String {
    if s.chars().count() <= 40 {
        format!("{s:?}")
    } else {
        format!("{:?}...", s.chars().take(40).collect::<String>())
    }
}

/// Decodes Jaeger JSON: the query API response `{"data":[traces]}`, a bare array of traces, or
/// one trace object. One [`Batch`] per trace; every span carries its own `process` (from the
/// trace's `processes` map, or embedded), the batch none.
///
/// A span that cannot be read (bad or zero id, unknown process, bad tag, negative duration) is
/// a [`Rejection`] named by JSON path, e.g. `$.data[0].spans[3].traceID`; `Err` when the JSON is
/// broken or is none of the accepted shapes.
pub fn decode(input: &[u8]) -> Result<(Vec<Batch>, Vec<Rejection>), DecodeError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::new(Format::JaegerJson, Location::Input, "empty input"));
    }
    let doc: Value = serde_json::from_slice(input).map_err(|e| {
        let text = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        DecodeError::new(
            Format::JaegerJson,
            Location::LineColumn { line: e.line(), column: e.column() },
            text.strip_suffix(&suffix).unwrap_or(&text),
        )
    })?;
    let mut out = Decoder::default();
    let root = Path::ROOT;
    match &doc {
        Value::Object(obj) if obj.contains_key("data") => {
            let data_path = root.key("data");
            match &obj["data"] {
                Value::Array(traces) => {
                    for (i, t) in traces.iter().enumerate() {
                        out.item(t, data_path.index(i));
                    }
                }
                Value::Object(_) => out.item(&obj["data"], data_path),
                Value::Null => {}
                other => return Err(shape_error(data_path, other)),
            }
            if out.batches.is_empty() && out.rejected.is_empty() {
                if let Some(msg) = query_errors(obj) {
                    return Err(DecodeError::new(
                        Format::JaegerJson,
                        Location::JsonPath("$.errors".into()),
                        format!("the response holds no traces, only errors: {msg}"),
                    ));
                }
            }
        }
        Value::Object(obj) if obj.contains_key("spans") || obj.contains_key("spanID") => {
            out.item(&doc, root);
        }
        Value::Array(items) => {
            for (i, t) in items.iter().enumerate() {
                out.item(t, root.index(i));
            }
        }
        other => return Err(shape_error(root, other)),
    }
    Ok((out.batches, out.rejected))
}

fn shape_error(path: Path<'_>, v: &Value) -> DecodeError {
    DecodeError::new(
        Format::JaegerJson,
        Location::JsonPath(path.to_string()),
        format!(
            "expected {{\"data\":[traces]}}, an array of traces or one trace object, found {}",
            kind(v)
        ),
    )
}

/// The `msg` of each entry of a query response's `errors`, joined.
fn query_errors(obj: &Map<String, Value>) -> Option<String> {
    let errors = get(obj, "errors")?.as_array().filter(|e| !e.is_empty())?;
    let msgs: Vec<String> = errors
        .iter()
        .map(|e| match e.get("msg") {
            Some(Value::String(s)) => s.clone(),
            _ => e.to_string(),
        })
        .collect();
    Some(msgs.join("; "))
}

#[derive(Default)]
struct Decoder {
    batches: Vec<Batch>,
    rejected: Vec<Rejection>,
}

impl Decoder {
    /// One element of the input: a trace (`spans`) or, in the embedded-process form, a span.
    fn item(&mut self, v: &Value, path: Path<'_>) {
        match v {
            Value::Object(obj) if !obj.contains_key("spans") && obj.contains_key("spanID") => {
                match read_span(obj, path, None, &mut ProcessTable::default()) {
                    Ok(span) => self.batches.push(Batch { spans: vec![span], process: None }),
                    Err(f) => self.rejected.push(Rejection::new(f.item, f.reason)),
                }
            }
            Value::Object(obj) => self.trace(obj, path),
            other => self.rejected.push(Rejection::new(
                path.to_string(),
                format!("expected a trace object, found {}", kind(other)),
            )),
        }
    }

    fn trace(&mut self, obj: &Map<String, Value>, path: Path<'_>) {
        // A span without its own traceID falls back to the trace's.
        let trace_id = match get(obj, "traceID") {
            Some(Value::String(s)) => parse_trace_id(s).ok(),
            _ => None,
        };
        let mut processes = ProcessTable {
            map: get(obj, "processes").and_then(Value::as_object),
            path: path.key("processes"),
            cache: HashMap::new(),
        };
        let spans_path = path.key("spans");
        let spans = match get(obj, "spans") {
            None => return,
            Some(Value::Array(spans)) => spans,
            Some(other) => {
                self.rejected.push(Rejection::new(
                    spans_path.to_string(),
                    format!("expected an array of spans, found {}", kind(other)),
                ));
                return;
            }
        };
        let mut batch = Batch { spans: Vec::with_capacity(spans.len()), process: None };
        for (j, s) in spans.iter().enumerate() {
            let span_path = spans_path.index(j);
            let result = match s {
                Value::Object(span) => {
                    read_span(span, span_path, trace_id.as_deref(), &mut processes)
                }
                other => fail(span_path, format!("expected a span object, found {}", kind(other))),
            };
            match result {
                Ok(span) => batch.spans.push(span),
                Err(f) => self.rejected.push(Rejection::new(f.item, f.reason)),
            }
        }
        if !batch.spans.is_empty() {
            self.batches.push(batch);
        }
    }
}

/// A trace's `processes` map, each entry read once.
#[derive(Default)]
struct ProcessTable<'v> {
    map: Option<&'v Map<String, Value>>,
    path: Path<'v>,
    cache: HashMap<&'v str, Result<Process, (String, String)>>,
}

impl Default for Path<'_> {
    fn default() -> Self {
        Path { parent: None, seg: Seg::Root }
    }
}

impl<'v> ProcessTable<'v> {
    /// The process `id`, `None` when the map has no such entry.
    fn lookup(&mut self, id: &str) -> Option<Result<Process, Fail>> {
        let (key, value) = self.map?.get_key_value(id)?;
        let path = self.path;
        let entry = self.cache.entry(key.as_str()).or_insert_with(|| {
            read_process(value, path.key(key), Binary::Base64).map_err(|f| (f.item, f.reason))
        });
        Some(match entry {
            Ok(p) => Ok(p.clone()),
            Err((item, reason)) => Err(Fail { item: item.clone(), reason: reason.clone() }),
        })
    }
}

fn read_process(v: &Value, path: Path<'_>, binary: Binary) -> Result<Process, Fail> {
    let Value::Object(obj) = v else {
        return fail(path, format!("expected a process object, found {}", kind(v)));
    };
    let service_name = match get(obj, "serviceName") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return fail(
                path.key("serviceName"),
                format!("expected a string, found {}", kind(other)),
            )
        }
    };
    let tags = read_kvs(obj, "tags", path, binary)?;
    Ok(Process { service_name, tags })
}

fn parse_trace_id(text: &str) -> Result<Vec<u8>, String> {
    match ids::parse_hex_padded::<16>(text) {
        Ok(id) if ids::is_zero(&id) => Err(format!("trace id {} is zero", short(text))),
        Ok(id) => Ok(id.to_vec()),
        Err(_) => Err(format!("trace id {} is not up to 32 hex digits", short(text))),
    }
}

fn parse_span_id(text: &str) -> Result<Vec<u8>, String> {
    match ids::parse_hex_padded::<8>(text) {
        Ok(id) if ids::is_zero(&id) => Err(format!("span id {} is zero", short(text))),
        Ok(id) => Ok(id.to_vec()),
        Err(_) => Err(format!("span id {} is not up to 16 hex digits", short(text))),
    }
}

/// A required hex id field.
fn id_field(
    obj: &Map<String, Value>,
    key: &'static str,
    path: Path<'_>,
    parse: fn(&str) -> Result<Vec<u8>, String>,
) -> Result<Option<Vec<u8>>, Fail> {
    match get(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => parse(s).map(Some).or_else(|r| fail(path.key(key), r)),
        Some(other) => fail(path.key(key), format!("expected a hex string, found {}", kind(other))),
    }
}

/// A whole number (JSON number or decimal string, as some writers quote large values).
fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18).map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Microseconds since the epoch (or a duration in µs); must not be negative.
fn micros(obj: &Map<String, Value>, key: &'static str, path: Path<'_>) -> Result<i64, Fail> {
    match get(obj, key) {
        None => Ok(0),
        Some(v) => match integer(v) {
            Some(us) if us >= 0 => Ok(us),
            Some(us) => fail(path.key(key), format!("{key} {us} is negative")),
            None => fail(
                path.key(key),
                format!("expected microseconds, found {}", short(&v.to_string())),
            ),
        },
    }
}

fn timestamp(us: i64) -> Timestamp {
    Timestamp { seconds: us.div_euclid(1_000_000), nanos: (us.rem_euclid(1_000_000) * 1000) as i32 }
}

fn duration(us: i64) -> Duration {
    Duration { seconds: us / 1_000_000, nanos: ((us % 1_000_000) * 1000) as i32 }
}

fn read_span(
    obj: &Map<String, Value>,
    path: Path<'_>,
    trace_default: Option<&[u8]>,
    processes: &mut ProcessTable<'_>,
) -> Result<Span, Fail> {
    let trace_id = match id_field(obj, "traceID", path, parse_trace_id)? {
        Some(id) => id,
        None => match trace_default {
            Some(id) => id.to_vec(),
            None => return fail(path.key("traceID"), "traceID is missing"),
        },
    };
    let Some(span_id) = id_field(obj, "spanID", path, parse_span_id)? else {
        return fail(path.key("spanID"), "spanID is missing");
    };
    // From here on a failure names the span.
    let mut hex_id = [0u8; 8];
    hex_id.copy_from_slice(&span_id);
    let named =
        |f: Fail| Fail { reason: format!("{} (span {})", f.reason, ids::to_hex(&hex_id)), ..f };
    read_span_body(obj, path, trace_id, span_id, processes).map_err(named)
}

fn read_span_body(
    obj: &Map<String, Value>,
    path: Path<'_>,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    processes: &mut ProcessTable<'_>,
) -> Result<Span, Fail> {
    let operation_name = match get(obj, "operationName") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return fail(
                path.key("operationName"),
                format!("expected a string, found {}", kind(other)),
            )
        }
    };
    let mut references = Vec::new();
    let refs_path = path.key("references");
    match get(obj, "references") {
        None => {}
        Some(Value::Array(refs)) => {
            references.reserve(refs.len());
            for (k, r) in refs.iter().enumerate() {
                references.push(read_ref(r, refs_path.index(k), &trace_id)?);
            }
        }
        Some(other) => return fail(refs_path, format!("expected an array, found {}", kind(other))),
    }
    // The deprecated `parentSpanID` (older Jaeger, Elasticsearch form) becomes the CHILD_OF
    // reference the api_v2 model uses for the parent, unless that reference is already there.
    if let Some(parent) = id_field(obj, "parentSpanID", path, |s| {
        ids::parse_hex_padded::<8>(s)
            .map(|id| id.to_vec())
            .map_err(|_| format!("span id {} is not up to 16 hex digits", short(s)))
    })? {
        let known = references.iter().any(|r| {
            r.ref_type == SpanRefType::ChildOf as i32
                && r.span_id == parent
                && r.trace_id == trace_id
        });
        if !ids::is_zero(&parent) && !known {
            references.insert(
                0,
                SpanRef {
                    trace_id: trace_id.clone(),
                    span_id: parent,
                    ref_type: SpanRefType::ChildOf as i32,
                },
            );
        }
    }
    let flags = match get(obj, "flags") {
        None => 0,
        Some(v) => match integer(v).and_then(|f| u32::try_from(f).ok()) {
            Some(f) => f,
            None => return fail(path.key("flags"), format!("expected flags, found {}", kind(v))),
        },
    };
    let start = micros(obj, "startTime", path)?;
    let dur = micros(obj, "duration", path)?;
    let binary = if obj.contains_key("process") { Binary::Hex } else { Binary::Base64 };
    let tags = read_kvs(obj, "tags", path, binary)?;
    let mut logs = Vec::new();
    let logs_path = path.key("logs");
    match get(obj, "logs") {
        None => {}
        Some(Value::Array(items)) => {
            logs.reserve(items.len());
            for (k, l) in items.iter().enumerate() {
                let log_path = logs_path.index(k);
                let Value::Object(log) = l else {
                    return fail(log_path, format!("expected a log object, found {}", kind(l)));
                };
                logs.push(Log {
                    timestamp: Some(timestamp(micros(log, "timestamp", log_path)?)),
                    fields: read_kvs(log, "fields", log_path, binary)?,
                });
            }
        }
        Some(other) => return fail(logs_path, format!("expected an array, found {}", kind(other))),
    }
    let warnings = match get(obj, "warnings") {
        Some(Value::Array(w)) => {
            w.iter().map(|w| w.as_str().map_or_else(|| w.to_string(), str::to_string)).collect()
        }
        _ => Vec::new(),
    };
    let process_id = match get(obj, "processID") {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let process = match processes.lookup(&process_id) {
        Some(found) => found?,
        None => match get(obj, "process") {
            Some(p) => read_process(p, path.key("process"), binary)?,
            None if process_id.is_empty() => {
                return fail(path.key("processID"), "span has neither a processID nor a process")
            }
            None => {
                return fail(
                    path.key("processID"),
                    format!("processID {} is not in the trace's processes", short(&process_id)),
                )
            }
        },
    };
    Ok(Span {
        trace_id,
        span_id,
        operation_name,
        references,
        flags,
        start_time: Some(timestamp(start)),
        duration: Some(duration(dur)),
        tags,
        logs,
        process: Some(process),
        process_id,
        warnings,
    })
}

fn read_ref(v: &Value, path: Path<'_>, span_trace: &[u8]) -> Result<SpanRef, Fail> {
    let Value::Object(obj) = v else {
        return fail(path, format!("expected a reference object, found {}", kind(v)));
    };
    let ref_type = match get(obj, "refType") {
        None => SpanRefType::ChildOf,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("CHILD_OF") => SpanRefType::ChildOf,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("FOLLOWS_FROM") => {
            SpanRefType::FollowsFrom
        }
        Some(other) => {
            return fail(
                path.key("refType"),
                format!(
                    "refType must be CHILD_OF or FOLLOWS_FROM, found {}",
                    short(&other.to_string())
                ),
            )
        }
    };
    let trace_id =
        id_field(obj, "traceID", path, parse_trace_id)?.unwrap_or_else(|| span_trace.to_vec());
    let Some(span_id) = id_field(obj, "spanID", path, parse_span_id)? else {
        return fail(path.key("spanID"), "spanID is missing");
    };
    Ok(SpanRef { trace_id, span_id, ref_type: ref_type as i32 })
}

/// Which Jaeger writer produced a span, as far as binary tag values are concerned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Binary {
    /// The query API (and UI download): Go `[]byte`, i.e. base64.
    Base64,
    /// Spans with an embedded process (Elasticsearch, Kafka JSON): every value a string,
    /// binary as hex.
    Hex,
}

fn read_kvs(
    obj: &Map<String, Value>,
    key: &'static str,
    path: Path<'_>,
    binary: Binary,
) -> Result<Vec<KeyValue>, Fail> {
    let list_path = path.key(key);
    match get(obj, key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, kv)| read_kv(kv, list_path.index(i), binary))
            .collect(),
        Some(other) => fail(list_path, format!("expected an array, found {}", kind(other))),
    }
}

/// One typed tag or log field. Values are read leniently: the query API writes native JSON
/// types, the Elasticsearch form writes every value as a string.
fn read_kv(v: &Value, path: Path<'_>, binary: Binary) -> Result<KeyValue, Fail> {
    let Value::Object(obj) = v else {
        return fail(path, format!("expected a tag object, found {}", kind(v)));
    };
    let key = match get(obj, "key") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return fail(path.key("key"), format!("expected a string, found {}", kind(other)))
        }
    };
    let value = obj.get("value").unwrap_or(&Value::Null);
    let ty = match get(obj, "type") {
        Some(Value::String(t)) => t.to_ascii_lowercase(),
        Some(other) => {
            return fail(path.key("type"), format!("expected a string, found {}", kind(other)))
        }
        // `type` is omitempty in Jaeger's Go model: go by the JSON value.
        None => match value {
            Value::Bool(_) => "bool".into(),
            Value::Number(n) if n.is_i64() || n.is_u64() => "int64".into(),
            Value::Number(_) => "float64".into(),
            _ => "string".into(),
        },
    };
    let mut kv = KeyValue { key, ..Default::default() };
    let bad = |what: &str| {
        fail(path.key("value"), format!("expected {what}, found {}", short(&value.to_string())))
    };
    match ty.as_str() {
        "string" => {
            kv.v_type = ValueType::String as i32;
            kv.v_str = match value {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
        }
        "bool" => {
            kv.v_type = ValueType::Bool as i32;
            kv.v_bool = match value {
                Value::Bool(b) => *b,
                Value::String(s) if s.eq_ignore_ascii_case("true") || s == "1" => true,
                Value::String(s) if s.eq_ignore_ascii_case("false") || s == "0" => false,
                _ => return bad("a boolean"),
            };
        }
        "int64" => {
            kv.v_type = ValueType::Int64 as i32;
            kv.v_int64 = match integer(value) {
                Some(i) => i,
                None => return bad("a 64-bit integer"),
            };
        }
        "float64" => {
            kv.v_type = ValueType::Float64 as i32;
            kv.v_float64 = match value {
                Value::Number(n) => n.as_f64().unwrap_or(0.0),
                Value::String(s) => match parse_float(s) {
                    Some(f) => f,
                    None => return bad("a number"),
                },
                _ => return bad("a number"),
            };
        }
        "binary" => {
            kv.v_type = ValueType::Binary as i32;
            kv.v_binary = match value {
                Value::Null => Vec::new(),
                // Hex text is often valid base64 too, so the writer decides which comes first.
                Value::String(s) => {
                    let decoded = match binary {
                        Binary::Base64 => {
                            crate::otlp::json::decode_base64(s).or_else(|| hex_bytes(s))
                        }
                        Binary::Hex => hex_bytes(s).or_else(|| crate::otlp::json::decode_base64(s)),
                    };
                    match decoded {
                        Some(b) => b,
                        None => return bad("base64 or hex"),
                    }
                }
                _ => return bad("a base64 string"),
            };
        }
        other => {
            return fail(
                path.key("type"),
                format!(
                    "unknown tag type {} (expected string, bool, int64, float64 or binary)",
                    short(other)
                ),
            )
        }
    }
    Ok(kv)
}

/// A float as Go's `strconv.ParseFloat` and our writer spell it (`NaN`, `Infinity`, `+Inf`...).
fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ if t.bytes().any(|b| b.is_ascii_digit()) => t.parse().ok(),
        _ => None,
    }
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    s.as_bytes()
        .chunks_exact(2)
        .map(|p| Some(((p[0] as char).to_digit(16)? << 4 | (p[1] as char).to_digit(16)?) as u8))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Beyond this, JavaScript numbers lose integer precision: Jaeger writes such int64 tag
/// values as strings.
const JS_MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

struct TraceOut<'a> {
    trace_id: &'a [u8],
    spans: Vec<(&'a Span, usize)>,
    processes: Vec<&'a Process>,
}

/// Encodes batches as a query API response: spans grouped into `data[]` by trace id (in
/// first-seen order), each trace's processes deduplicated as `p1`, `p2`, ... (a span's own
/// process, else its batch's), and `"total":0,"limit":0,"offset":0,"errors":null` as Jaeger
/// writes them. Times are whole microseconds (nanoseconds are truncated). Ends with `\n`.
pub fn encode(batches: &[Batch]) -> Vec<u8> {
    static NO_PROCESS: Process = Process { service_name: String::new(), tags: Vec::new() };
    let mut traces: Vec<TraceOut<'_>> = Vec::new();
    let mut by_id: HashMap<[u8; 16], usize> = HashMap::new();
    let mut span_count = 0;
    for batch in batches {
        for span in &batch.spans {
            span_count += 1;
            let key = ids::widen_trace_id(&span.trace_id).unwrap_or_default();
            let t = *by_id.entry(key).or_insert_with(|| {
                traces.push(TraceOut {
                    trace_id: &span.trace_id,
                    spans: Vec::new(),
                    processes: Vec::new(),
                });
                traces.len() - 1
            });
            let trace = &mut traces[t];
            let process = span.process.as_ref().or(batch.process.as_ref()).unwrap_or(&NO_PROCESS);
            let p = match trace.processes.iter().position(|q| *q == process) {
                Some(p) => p,
                None => {
                    trace.processes.push(process);
                    trace.processes.len() - 1
                }
            };
            trace.spans.push((span, p));
        }
    }

    let mut out = Vec::with_capacity(128 + span_count * 600);
    let mut doc = Object::open(&mut out);
    doc.key(&mut out, "data");
    out.push(b'[');
    for (i, trace) in traces.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_trace(&mut out, trace);
    }
    out.push(b']');
    out.extend_from_slice(br#","total":0,"limit":0,"offset":0,"errors":null"#);
    doc.close(&mut out);
    out.push(b'\n');
    out
}

fn write_trace(out: &mut Vec<u8>, trace: &TraceOut<'_>) {
    let mut o = Object::open(out);
    o.key(out, "traceID");
    write_trace_id(out, trace.trace_id);
    o.key(out, "spans");
    out.push(b'[');
    for (i, (span, p)) in trace.spans.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_span(out, span, *p);
    }
    out.push(b']');
    o.key(out, "processes");
    let mut procs = Object::open(out);
    for (i, process) in trace.processes.iter().enumerate() {
        procs.key(out, &format!("p{}", i + 1));
        let mut po = Object::open(out);
        po.key(out, "serviceName");
        writer::string(out, &process.service_name);
        po.key(out, "tags");
        write_kvs(out, &process.tags);
        po.close(out);
    }
    procs.close(out);
    o.key(out, "warnings");
    out.extend_from_slice(b"null");
    o.close(out);
}

/// 16 hex digits when the high half is zero (a 64-bit id), else 32, as Jaeger writes them.
fn write_trace_id(out: &mut Vec<u8>, id: &[u8]) {
    if id.len() == 16 && ids::is_zero(&id[..8]) {
        writer::hex(out, &id[8..]);
    } else {
        writer::hex(out, id);
    }
}

fn write_span(out: &mut Vec<u8>, span: &Span, process: usize) {
    let mut o = Object::open(out);
    o.key(out, "traceID");
    write_trace_id(out, &span.trace_id);
    o.key(out, "spanID");
    writer::hex(out, &span.span_id);
    if span.flags != 0 {
        o.key(out, "flags");
        writer::uint(out, u64::from(span.flags));
    }
    o.key(out, "operationName");
    writer::string(out, &span.operation_name);
    o.key(out, "references");
    out.push(b'[');
    for (i, r) in span.references.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let mut ro = Object::open(out);
        ro.key(out, "refType");
        writer::string(
            out,
            if r.ref_type == SpanRefType::FollowsFrom as i32 { "FOLLOWS_FROM" } else { "CHILD_OF" },
        );
        ro.key(out, "traceID");
        write_trace_id(out, &r.trace_id);
        ro.key(out, "spanID");
        writer::hex(out, &r.span_id);
        ro.close(out);
    }
    out.push(b']');
    o.key(out, "startTime");
    writer::int(out, span.start_time.map_or(0, |t| timestamp_micros(t.seconds, t.nanos)));
    o.key(out, "duration");
    writer::int(out, span.duration.map_or(0, |d| duration_micros(d.seconds, d.nanos)));
    o.key(out, "tags");
    write_kvs(out, &span.tags);
    o.key(out, "logs");
    out.push(b'[');
    for (i, log) in span.logs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let mut lo = Object::open(out);
        lo.key(out, "timestamp");
        writer::int(out, log.timestamp.map_or(0, |t| timestamp_micros(t.seconds, t.nanos)));
        lo.key(out, "fields");
        write_kvs(out, &log.fields);
        lo.close(out);
    }
    out.push(b']');
    o.key(out, "processID");
    writer::string(out, &format!("p{}", process + 1));
    o.key(out, "warnings");
    if span.warnings.is_empty() {
        out.extend_from_slice(b"null");
    } else {
        out.push(b'[');
        for (i, w) in span.warnings.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            writer::string(out, w);
        }
        out.push(b']');
    }
    o.close(out);
}

/// Whole microseconds, rounded down (towards the past), saturating.
fn timestamp_micros(seconds: i64, nanos: i32) -> i64 {
    let us = i128::from(seconds) * 1_000_000 + i128::from(nanos).div_euclid(1000);
    us.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// Whole microseconds, truncated towards zero, saturating.
fn duration_micros(seconds: i64, nanos: i32) -> i64 {
    let us = i128::from(seconds) * 1_000_000 + i128::from(nanos) / 1000;
    us.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

fn write_kvs(out: &mut Vec<u8>, kvs: &[KeyValue]) {
    out.push(b'[');
    for (i, kv) in kvs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let mut o = Object::open(out);
        o.key(out, "key");
        writer::string(out, &kv.key);
        o.key(out, "type");
        match ValueType::try_from(kv.v_type).unwrap_or(ValueType::String) {
            ValueType::String => {
                writer::string(out, "string");
                o.key(out, "value");
                writer::string(out, &kv.v_str);
            }
            ValueType::Bool => {
                writer::string(out, "bool");
                o.key(out, "value");
                out.extend_from_slice(if kv.v_bool { b"true" } else { b"false" });
            }
            ValueType::Int64 => {
                writer::string(out, "int64");
                o.key(out, "value");
                if (-JS_MAX_SAFE_INTEGER..=JS_MAX_SAFE_INTEGER).contains(&kv.v_int64) {
                    writer::int(out, kv.v_int64);
                } else {
                    out.push(b'"');
                    writer::int(out, kv.v_int64);
                    out.push(b'"');
                }
            }
            ValueType::Float64 => {
                writer::string(out, "float64");
                o.key(out, "value");
                writer::double(out, kv.v_float64);
            }
            ValueType::Binary => {
                writer::string(out, "binary");
                o.key(out, "value");
                writer::base64(out, &kv.v_binary);
            }
        }
        o.close(out);
    }
    out.push(b']');
}

#[cfg(test)]
mod tests;
