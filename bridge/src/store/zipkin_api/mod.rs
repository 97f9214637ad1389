//! The Zipkin v2 query API over the store, served beside `POST /api/v2/spans` on the Zipkin receivers' ports
//! (9411): what the Zipkin UI and Zipkin API scripts call.
//!
//! Routes and semantics follow Zipkin 3.x with its in-memory storage (answers of a real Zipkin 3.5.1 are in
//! `bridge/tests/fixtures/query/zipkin/`): span and service names lower-cased, 128-bit trace ids strict,
//! defaults `endTs` = now, `lookback` = 1 day, `limit` = 10; bad parameters answer 400 with Zipkin's text.
//! Spans are answered as otelbridge's translators write Zipkin v2 JSON from the stored OTLP spans.

mod links;
mod search;

pub use search::{parse_annotation_query, ZipkinQuery};

use super::query::TraceId;
use super::{now_unix_nanos, Store, StoreError};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;
use thiserror::Error;
use translators::zipkin::model;

/// Zipkin's default `lookback` (`zipkin.query.lookback`): one day, in ms.
pub const DEFAULT_LOOKBACK_MS: i64 = 86_400_000;
/// Zipkin's default `limit` of `/api/v2/traces`.
pub const DEFAULT_LIMIT: i32 = 10;
/// How many traces `/api/v2/dependencies` reads from the store at once.
const LINK_BATCH: usize = 256;

/// Why a query was not answered.
#[derive(Debug, Error)]
pub enum ZipkinQueryError {
    /// A parameter is missing or invalid; the text is Zipkin's.
    #[error("{0}")]
    BadRequest(String),
    /// No trace has the id (the normalised id).
    #[error("{0} not found")]
    NotFound(String),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The blocking query task failed (panicked or was cancelled).
    #[error("query task: {0}")]
    Task(String),
}

impl ZipkinQueryError {
    /// The HTTP status this error is answered with.
    pub fn http_status(&self) -> StatusCode {
        match self {
            ZipkinQueryError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ZipkinQueryError::NotFound(_) => StatusCode::NOT_FOUND,
            ZipkinQueryError::Store(_) | ZipkinQueryError::Task(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for ZipkinQueryError {
    fn into_response(self) -> Response {
        if matches!(self, ZipkinQueryError::Store(_) | ZipkinQueryError::Task(_)) {
            tracing::error!("zipkin query: {self}");
        }
        // Zipkin answers its errors as bare text, no trailing newline.
        (
            self.http_status(),
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.to_string(),
        )
            .into_response()
    }
}

type Answer = Result<Response, ZipkinQueryError>;

/// The API's routes.
pub fn router(store: Arc<Store>) -> Router {
    Router::new()
        .route("/api/v2/services", get(services))
        .route("/api/v2/spans", get(span_names))
        .route("/api/v2/remoteServices", get(remote_services))
        .route("/api/v2/traces", get(traces))
        .route("/api/v2/trace/{trace_id}", get(trace))
        .route("/api/v2/traceMany", get(trace_many))
        .route("/api/v2/dependencies", get(dependencies))
        .route("/api/v2/autocompleteKeys", get(autocomplete_keys))
        .route("/api/v2/autocompleteValues", get(autocomplete_values))
        .with_state(store)
}

/// Query parameters in request order; the first of a repeated name counts.
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &str) -> Result<&str, ZipkinQueryError> {
        self.get(name).ok_or_else(|| {
            ZipkinQueryError::BadRequest(format!(
                "Mandatory parameter/header/attribute is missing: {name}"
            ))
        })
    }

    /// A Java `long` parameter, with Java's message when it is not one.
    fn long(&self, name: &str) -> Result<Option<i64>, ZipkinQueryError> {
        self.get(name).map(parse_java_number).transpose()
    }
}

fn parse_java_number<T: std::str::FromStr>(text: &str) -> Result<T, ZipkinQueryError> {
    text.parse::<T>()
        .map_err(|_| ZipkinQueryError::BadRequest(format!("For input string: \"{text}\"")))
}

/// Runs blocking store work off the reactor.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ZipkinQueryError> + Send + 'static,
) -> Result<T, ZipkinQueryError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ZipkinQueryError::Task(e.to_string()))?
}

fn json<T: Serialize>(value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"[]".to_vec());
    json_bytes(body)
}

fn json_bytes(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Names lower-cased (as Zipkin stores them), without duplicates, sorted.
fn lower_sorted(names: impl IntoIterator<Item = String>) -> Vec<String> {
    names
        .into_iter()
        .filter(|n| !n.is_empty())
        .map(|n| n.to_lowercase())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

async fn services(State(store): State<Arc<Store>>) -> Answer {
    let names = blocking(move || Ok(store.services()?)).await?;
    Ok(json(&lower_sorted(names)))
}

async fn span_names(
    State(store): State<Arc<Store>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Answer {
    let service = Params(params).required("serviceName")?.to_lowercase();
    let names = blocking(move || {
        let mut names = Vec::new();
        for spelling in store.zipkin_service_spellings(&service)? {
            names.extend(store.operations(&spelling, None)?.into_iter().map(|op| op.name));
        }
        Ok(names)
    })
    .await?;
    Ok(json(&lower_sorted(names)))
}

async fn remote_services(
    State(store): State<Arc<Store>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Answer {
    let service = Params(params).required("serviceName")?.to_lowercase();
    let names = blocking(move || {
        let mut names = Vec::new();
        for spelling in store.zipkin_service_spellings(&service)? {
            names.extend(store.remote_services(&spelling)?);
        }
        Ok(names)
    })
    .await?;
    Ok(json(&lower_sorted(names)))
}

/// `/api/v2/autocompleteKeys`: the tag keys the UI offers values for. Zipkin lists its configured
/// `autocomplete-keys`, none by default; the store configures none either. (The Zipkin UI calls this on load.)
async fn autocomplete_keys() -> Response {
    json(&Vec::<String>::new())
}

/// `/api/v2/autocompleteValues?key=`: the values of an autocomplete key; none, as no key is configured.
async fn autocomplete_values(Query(params): Query<Vec<(String, String)>>) -> Answer {
    Params(params).required("key")?;
    Ok(json(&Vec::<String>::new()))
}

/// Reads `/api/v2/traces` parameters as Zipkin does: numbers parsed first (in its parameter order), then
/// `QueryRequest.Builder.build()`'s checks.
pub fn parse_trace_query(
    params: &[(String, String)],
    now_ms: i64,
) -> Result<ZipkinQuery, ZipkinQueryError> {
    let params = Params(params.to_vec());
    let min_duration = params.long("minDuration")?;
    let max_duration = params.long("maxDuration")?;
    let end_ts = params.long("endTs")?.unwrap_or(now_ms);
    let lookback = params.long("lookback")?.unwrap_or(DEFAULT_LOOKBACK_MS);
    let limit =
        params.get("limit").map(parse_java_number::<i32>).transpose()?.unwrap_or(DEFAULT_LIMIT);
    let name = |key: &str| params.get(key).map(str::to_lowercase).filter(|n| !n.is_empty());
    let bad = |text: &str| Err(ZipkinQueryError::BadRequest(text.to_owned()));
    if end_ts <= 0 {
        return bad("endTs <= 0");
    }
    if limit <= 0 {
        return bad("limit <= 0");
    }
    if lookback <= 0 {
        return bad("lookback <= 0");
    }
    match (min_duration, max_duration) {
        (Some(min), _) if min <= 0 => return bad("minDuration <= 0"),
        (Some(min), Some(max)) if max < min => return bad("maxDuration < minDuration"),
        (None, Some(_)) => return bad("maxDuration is only valid with minDuration"),
        _ => {}
    }
    Ok(ZipkinQuery {
        service: name("serviceName"),
        remote_service: name("remoteServiceName"),
        span_name: name("spanName").filter(|n| n != "all"),
        annotations: parse_annotation_query(params.get("annotationQuery").unwrap_or("")),
        min_duration,
        max_duration,
        end_ts,
        lookback,
        limit: limit as usize,
    })
}

async fn traces(
    State(store): State<Arc<Store>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Answer {
    let now_ms = (now_unix_nanos() / 1_000_000) as i64;
    let query = parse_trace_query(&params, now_ms)?;
    let found = blocking(move || Ok(store.zipkin_find_traces(&query)?)).await?;
    Ok(json_bytes(write_traces(found.iter().map(|(_, spans)| spans.as_slice()))))
}

/// A list of traces, each a Zipkin v2 JSON list of spans.
fn write_traces<'a>(traces: impl Iterator<Item = &'a [model::Span]>) -> Vec<u8> {
    let mut out = vec![b'['];
    for (i, spans) in traces.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&translators::zipkin::v2_json::encode(spans));
    }
    out.push(b']');
    out
}

/// Zipkin's `Span.normalizeTraceId`: lower-hex, at most 32 digits, not all zeros; 16 or 32 digits after
/// left-padding, and a 128-bit id whose high half is zero shortened to 64 bits.
pub fn normalize_trace_id(text: &str) -> Result<String, ZipkinQueryError> {
    let bad = |text: String| Err(ZipkinQueryError::BadRequest(text));
    if text.is_empty() {
        return bad("traceId is empty".into());
    }
    if text.len() > 32 {
        return bad("traceId.length > 32".into());
    }
    if !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return bad(format!("{text} should be lower-hex encoded with no prefix"));
    }
    let zeros = text.bytes().take_while(|b| *b == b'0').count();
    if zeros == text.len() {
        return bad("traceId is all zeros".into());
    }
    Ok(match text.len() {
        32 if zeros >= 16 => text[16..].to_owned(),
        16 | 32 => text.to_owned(),
        n if n < 16 => format!("{text:0>16}"),
        _ => format!("{text:0>32}"),
    })
}

/// The store's 16-byte id of a normalised (16 or 32 digit) trace id.
fn stored_id(normalized: &str) -> TraceId {
    let mut id = [0u8; 16];
    let digits = normalized.as_bytes();
    let offset = 16 - digits.len() / 2;
    for (i, pair) in digits.chunks(2).enumerate() {
        let hex = std::str::from_utf8(pair).unwrap_or("00");
        id[offset + i] = u8::from_str_radix(hex, 16).unwrap_or(0);
    }
    id
}

async fn trace(State(store): State<Arc<Store>>, Path(trace_id): Path<String>) -> Answer {
    let normalized = normalize_trace_id(trace_id.trim())?;
    let id = stored_id(&normalized);
    let found = blocking(move || Ok(store.traces(&[id])?)).await?;
    match found.first() {
        Some((_, request)) => {
            Ok(json_bytes(translators::zipkin::v2_json::encode(&search::zipkin_spans(request))))
        }
        None => Err(ZipkinQueryError::NotFound(normalized)),
    }
}

async fn trace_many(
    State(store): State<Arc<Store>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Answer {
    let params = Params(params);
    let list = params.required("traceIds")?;
    if list.is_empty() {
        return Err(ZipkinQueryError::BadRequest("traceIds parameter is empty".into()));
    }
    let mut normalized: Vec<String> = Vec::new();
    for raw in list.splitn(1000, ',') {
        let id = normalize_trace_id(raw)?;
        if normalized.contains(&id) {
            return Err(ZipkinQueryError::BadRequest(format!("redundant traceId: {raw}")));
        }
        normalized.push(id);
    }
    if normalized.len() == 1 {
        return Err(ZipkinQueryError::BadRequest(
            "Use /api/v2/trace/{traceId} endpoint to retrieve a single trace".into(),
        ));
    }
    let ids: Vec<TraceId> = normalized.iter().map(|n| stored_id(n)).collect();
    let found = blocking(move || Ok(store.traces(&ids)?)).await?;
    let traces: Vec<Vec<model::Span>> =
        found.iter().map(|(_, request)| search::zipkin_spans(request)).collect();
    Ok(json_bytes(write_traces(traces.iter().map(Vec::as_slice))))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkJson {
    parent: String,
    child: String,
    call_count: u64,
    #[serde(skip_serializing_if = "is_zero")]
    error_count: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

async fn dependencies(
    State(store): State<Arc<Store>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Answer {
    let params = Params(params);
    let end_ts: i64 = parse_java_number(params.required("endTs")?)?;
    let lookback = params.long("lookback")?.unwrap_or(DEFAULT_LOOKBACK_MS);
    if end_ts <= 0 {
        return Err(ZipkinQueryError::BadRequest("endTs <= 0".into()));
    }
    if lookback <= 0 {
        return Err(ZipkinQueryError::BadRequest("lookback <= 0".into()));
    }
    let links = blocking(move || {
        // Traces with a span in the window (ms, inclusive), linked whole.
        let from = ((end_ts - lookback).max(0) as u64).saturating_mul(1_000_000);
        let to = (end_ts as u64).saturating_mul(1_000_000).saturating_add(999_999);
        let ids = store.zipkin_trace_ids_between(from, to)?;
        let mut linker = links::Linker::new();
        for batch in ids.chunks(LINK_BATCH) {
            for spans in store.zipkin_traces_for_links(batch)? {
                linker.put_trace(&spans);
            }
        }
        Ok(linker.links())
    })
    .await?;
    let links: Vec<LinkJson> = links
        .into_iter()
        .map(|l| LinkJson {
            parent: l.parent,
            child: l.child,
            call_count: l.call_count,
            error_count: l.error_count,
        })
        .collect();
    Ok(json(&links))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_normalise_as_zipkin_does() {
        let ok = |s: &str| normalize_trace_id(s).unwrap();
        let err = |s: &str| normalize_trace_id(s).unwrap_err().to_string();
        assert_eq!(ok("6b221d5bc9e6496c"), "6b221d5bc9e6496c");
        assert_eq!(ok("00000000000000006b221d5bc9e6496c"), "6b221d5bc9e6496c");
        assert_eq!(ok("00000000000000000000000000abcdef"), "0000000000abcdef");
        assert_eq!(ok("abc"), "0000000000000abc");
        assert_eq!(ok("1234567890abcdef1"), "0000000000000001234567890abcdef1");
        assert_eq!(err("ABC"), "ABC should be lower-hex encoded with no prefix");
        assert_eq!(err(&"a".repeat(33)), "traceId.length > 32");
        assert_eq!(err("0000"), "traceId is all zeros");
        assert_eq!(
            stored_id("6b221d5bc9e6496c")[8..],
            [0x6b, 0x22, 0x1d, 0x5b, 0xc9, 0xe6, 0x49, 0x6c]
        );
        assert_eq!(stored_id("6b221d5bc9e6496c")[..8], [0; 8]);
    }

    #[test]
    fn trace_query_checks_follow_zipkin() {
        let params = |s: &[(&str, &str)]| -> Vec<(String, String)> {
            s.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let err = |s: &[(&str, &str)]| parse_trace_query(&params(s), 1000).unwrap_err().to_string();
        assert_eq!(err(&[("maxDuration", "5")]), "maxDuration is only valid with minDuration");
        assert_eq!(err(&[("limit", "many")]), "For input string: \"many\"");
        assert_eq!(err(&[("limit", "0")]), "limit <= 0");
        assert_eq!(err(&[("minDuration", "5"), ("maxDuration", "4")]), "maxDuration < minDuration");
        let q = parse_trace_query(&params(&[("serviceName", "Web"), ("spanName", "all")]), 1000)
            .unwrap();
        assert_eq!(
            (q.service.as_deref(), q.span_name, q.end_ts, q.lookback, q.limit),
            (Some("web"), None, 1000, DEFAULT_LOOKBACK_MS, 10)
        );
    }
}
