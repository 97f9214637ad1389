//! The Jaeger query HTTP API over the store: what the Jaeger UI and scripts call (default port 16686).
//!
//! `GET /api/services`, `/api/services/{service}/operations`, `/api/operations?service=&spanKind=`,
//! `/api/traces?service=&operation=&tags=&tag=&start=&end=&lookback=&minDuration=&maxDuration=&limit=`
//! (or `?traceID=..` repeated), `/api/traces/{traceID}`, `/api/dependencies?endTs=&lookback=`, answered in Jaeger's
//! JSON model (`{"data":..,"total":..,"limit":..,"offset":..,"errors":..}`); trace bodies come from the translators'
//! Jaeger JSON encoder. Parameters are read as Jaeger's query service reads them and bad ones get its error
//! texts (see [`params`]); errors are Jaeger's shape, `{"data":null,...,"errors":[{"code":400,"msg":".."}]}`.

pub mod params;
pub mod pretty;
pub mod tags_json;

use super::query::{TraceId, TraceQuery};
use super::{now_unix_nanos, Store, StoreError};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, RawPathParams, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use params::{Params, TracesRequest};
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;
use thiserror::Error;
use translators::{encode_traces, ExportTraceServiceRequest, Format};

/// The API's routes, over `store`.
pub fn router(store: Arc<Store>) -> Router {
    Router::new()
        .route("/api/services", get(services))
        .route("/api/services/{service}/operations", get(operations_legacy))
        .route("/api/operations", get(operations))
        .route("/api/traces", get(search))
        .route("/api/traces/{trace_id}", get(trace))
        .route("/api/dependencies", get(dependencies))
        .with_state(store)
        .layer(middleware::from_fn(pretty_print))
}

/// `prettyPrint` (any value but empty or `false`) indents the JSON of successful answers, as Jaeger does (its
/// errors stay compact).
async fn pretty_print(request: Request, next: Next) -> Response {
    let wanted = Query::<Vec<(String, String)>>::try_from_uri(request.uri())
        .ok()
        .and_then(|Query(pairs)| pairs.into_iter().find(|(k, _)| k == "prettyPrint"))
        .is_some_and(|(_, v)| !v.is_empty() && v != "false");
    let response = next.run(request).await;
    let json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v == "application/json");
    if !wanted || !json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(pretty::reindent(&bytes, "    ")))
        }
        Err(e) => ApiError::Body(e).into_response(),
    }
}

type Shared = State<Arc<Store>>;
type QueryParams = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// Why a request failed; answered in Jaeger's error shape with the status of [`ApiError::status`].
#[derive(Debug, Error)]
enum ApiError {
    /// A parameter is missing or malformed (Jaeger's text).
    #[error("{0}")]
    BadRequest(String),
    /// `/api/traces/{id}` of a trace the store does not hold.
    #[error("trace not found")]
    TraceNotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The blocking task running the store call died.
    #[error("store task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// An answer's body could not be read back (for `prettyPrint`).
    #[error("failed writing HTTP response: {0}")]
    Body(axum::Error),
}

impl ApiError {
    /// The one mapping of this API's errors to HTTP statuses.
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TraceNotFound => StatusCode::NOT_FOUND,
            ApiError::Store(_) | ApiError::Task(_) | ApiError::Body(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("jaeger query API: {self}");
        }
        let body = Structured::<()> {
            data: None,
            total: 0,
            limit: 0,
            offset: 0,
            errors: Some(vec![StructuredError {
                code: status.as_u16(),
                msg: self.to_string(),
                trace_id: String::new(),
            }]),
        };
        let mut bytes = serde_json::to_vec(&body).unwrap_or_default();
        bytes.push(b'\n');
        // Jaeger writes its errors with Go's `http.Error`: the JSON as text/plain, not to be sniffed.
        (
            status,
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8")),
                (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            ],
            bytes,
        )
            .into_response()
    }
}

/// Jaeger's envelope (`structuredResponse`).
#[derive(Serialize)]
struct Structured<T> {
    data: Option<T>,
    total: usize,
    limit: usize,
    offset: usize,
    errors: Option<Vec<StructuredError>>,
}

/// One entry of `errors` (`structuredError`: `code` and `traceID` left out when empty).
#[derive(Serialize)]
struct StructuredError {
    #[serde(skip_serializing_if = "is_zero")]
    code: u16,
    msg: String,
    #[serde(rename = "traceID", skip_serializing_if = "String::is_empty")]
    trace_id: String,
}

fn is_zero(code: &u16) -> bool {
    *code == 0
}

/// `/api/operations`' items.
#[derive(Serialize)]
struct OperationOut {
    name: String,
    #[serde(rename = "spanKind")]
    span_kind: String,
}

/// `/api/dependencies`' items (Jaeger's UI model has no error count).
#[derive(Serialize)]
struct DependencyOut {
    parent: String,
    child: String,
    #[serde(rename = "callCount")]
    call_count: u64,
}

fn json_response(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response()
}

fn structured<T: Serialize>(data: T, total: usize) -> Response {
    let body = Structured { data: Some(data), total, limit: 0, offset: 0, errors: None };
    json_response(serde_json::to_vec(&body).unwrap_or_default())
}

/// Runs a blocking store call off the reactor.
async fn blocking<T: Send + 'static>(
    store: Arc<Store>,
    call: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || call(&store)).await?
}

fn params(query: QueryParams) -> Result<Params, ApiError> {
    match query {
        Ok(Query(pairs)) => Ok(Params::new(pairs)),
        Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
    }
}

async fn services(State(store): Shared) -> Result<Response, ApiError> {
    let services = blocking(store, |s| Ok(s.services()?)).await?;
    let total = services.len();
    Ok(structured(services, total))
}

/// `/api/services/{service}/operations`: the operation names of every kind, sorted.
async fn operations_legacy(
    State(store): Shared,
    path: RawPathParams,
) -> Result<Response, ApiError> {
    // Jaeger unescapes the raw path segment as a query value (`+` is a space).
    let raw = path.iter().next().map(|(_, v)| v).unwrap_or_default();
    let service = query_unescape(raw).unwrap_or_default();
    let operations = blocking(store, move |s| Ok(s.operations(&service, None)?)).await?;
    let names: Vec<String> =
        operations.into_iter().map(|o| o.name).collect::<BTreeSet<_>>().into_iter().collect();
    let total = names.len();
    // Jaeger answers `null` for a service it does not know (its empty Go slice).
    Ok(structured((!names.is_empty()).then_some(names), total))
}

/// `/api/operations?service=&spanKind=`: names with kinds.
async fn operations(State(store): Shared, query: QueryParams) -> Result<Response, ApiError> {
    let params = params(query)?;
    let service = params
        .first("service")
        .ok_or_else(|| ApiError::BadRequest("parameter 'service' is required".into()))?
        .to_owned();
    let kind = params.first("spanKind").map(str::to_owned);
    let operations = blocking(store, move |s| Ok(s.operations(&service, kind.as_deref())?)).await?;
    let data: Vec<OperationOut> = operations
        .into_iter()
        .map(|o| OperationOut {
            name: o.name,
            // Jaeger's kind of a span without one is the empty string.
            span_kind: if o.kind == "unspecified" { String::new() } else { o.kind },
        })
        .collect();
    let total = data.len();
    Ok(structured(data, total))
}

/// `/api/traces`: a search, or traces by `traceID`.
async fn search(State(store): Shared, query: QueryParams) -> Result<Response, ApiError> {
    let params = params(query)?;
    let request =
        params::traces_request(&params, now_unix_nanos()).map_err(ApiError::BadRequest)?;
    let body = blocking(store, move |s| match request {
        TracesRequest::Search(query) => search_body(s, &query),
        TracesRequest::ByIds(ids) => by_ids_body(s, &ids),
    })
    .await?;
    Ok(json_response(body))
}

fn search_body(store: &Store, query: &TraceQuery) -> Result<Vec<u8>, ApiError> {
    let traces = store.find_traces(query)?;
    Ok(encode(traces.into_iter().map(|(_, t)| t)))
}

/// The traces found, and an `errors` entry (`trace not found`, with the id) for each id that is not.
fn by_ids_body(store: &Store, ids: &[TraceId]) -> Result<Vec<u8>, ApiError> {
    let mut unique = Vec::new();
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    let traces = store.traces(&unique)?;
    let missing: Vec<StructuredError> = unique
        .iter()
        .filter(|id| !traces.iter().any(|(found, _)| found == *id))
        .map(|id| StructuredError {
            code: 0,
            msg: ApiError::TraceNotFound.to_string(),
            trace_id: trace_id_text(id),
        })
        .collect();
    let body = encode(traces.into_iter().map(|(_, t)| t));
    if missing.is_empty() {
        return Ok(body);
    }
    let errors = serde_json::to_string(&missing).unwrap_or_default();
    Ok(replace_errors(body, &errors))
}

/// `/api/traces/{traceID}`: one trace, 404 when the store does not hold it.
async fn trace(
    State(store): Shared,
    path: RawPathParams,
    query: QueryParams,
) -> Result<Response, ApiError> {
    let params = params(query)?;
    // Jaeger reads (and checks) `start` and `end` here too; the store finds a trace wherever it is.
    for name in ["start", "end"] {
        if let Some(v) = params.first(name) {
            params::parse_go_int(v, 64).map_err(|e| {
                ApiError::BadRequest(format!("unable to parse param '{name}': {e}"))
            })?;
        }
    }
    let raw = path.iter().next().map(|(_, v)| v).unwrap_or_default();
    let id = params::parse_trace_id(raw).map_err(ApiError::BadRequest)?;
    let body = blocking(store, move |s| {
        let traces = s.traces(&[id])?;
        if traces.is_empty() {
            return Err(ApiError::TraceNotFound);
        }
        Ok(encode(traces.into_iter().map(|(_, t)| t)))
    })
    .await?;
    Ok(json_response(body))
}

/// `/api/dependencies?endTs=&lookback=`: service call counts of the spans that started in the window.
async fn dependencies(State(store): Shared, query: QueryParams) -> Result<Response, ApiError> {
    let params = params(query)?;
    let (from, to) =
        params::dependencies_window(&params, now_unix_nanos()).map_err(ApiError::BadRequest)?;
    let data = blocking(store, move |s| call_links(s, from, to)).await?;
    // Jaeger leaves `total` at 0 here.
    Ok(structured(data, 0))
}

/// The calls between services of the spans that started in `[from, to]` (ns), as Jaeger 1.76 counts them: every
/// span whose parent span is known is one call from the parent's service to the span's, also when both are
/// the same service. Sorted by parent, then child.
fn call_links(store: &Store, from: u64, to: u64) -> Result<Vec<DependencyOut>, ApiError> {
    let links = store.dependencies(from, to, true)?;
    Ok(links
        .into_iter()
        .map(|link| DependencyOut {
            parent: link.parent,
            child: link.child,
            call_count: link.call_count,
        })
        .collect())
}

/// Traces (one request each) as Jaeger's `{"data":[traces],"total":0,"limit":0,"offset":0,"errors":null}`.
fn encode(traces: impl Iterator<Item = ExportTraceServiceRequest>) -> Vec<u8> {
    // The encoder groups spans by trace id, keeping the order in which traces first appear.
    let merged = ExportTraceServiceRequest {
        resource_spans: traces.flat_map(|t| t.resource_spans).collect(),
    };
    let encoded = encode_traces(Format::JaegerJson, &merged);
    for rejection in &encoded.rejected {
        tracing::warn!(
            "jaeger query API: a stored span cannot be written as Jaeger JSON: {rejection}"
        );
    }
    encoded.bytes
}

/// Puts `errors` (a JSON array) in place of the encoder's `"errors":null`.
fn replace_errors(body: Vec<u8>, errors: &str) -> Vec<u8> {
    const TAIL: &[u8] = br#""errors":null}"#;
    let trimmed_len = body.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |p| p + 1);
    if !body[..trimmed_len].ends_with(TAIL) {
        return body;
    }
    let mut out = body[..trimmed_len - TAIL.len()].to_vec();
    out.extend_from_slice(br#""errors":"#);
    out.extend_from_slice(errors.as_bytes());
    out.extend_from_slice(b"}\n");
    out
}

/// A trace id as Jaeger prints it: 16 hex digits when the high half is zero, else 32.
fn trace_id_text(id: &TraceId) -> String {
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    if id[..8].iter().all(|b| *b == 0) {
        hex[16..].to_owned()
    } else {
        hex
    }
}

/// Go's `url.QueryUnescape`: `%XX` decoded, `+` a space; `None` for a bad escape or non-UTF-8 result.
fn query_unescape(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn store_errors_answer_500_in_jaeger_shape() {
        let response = ApiError::Store(StoreError::ReadOnly).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"data": null, "total": 0, "limit": 0, "offset": 0,
                "errors": [{"code": 500, "msg": "the store is open read-only"}]})
        );
    }

    #[test]
    fn unescapes_like_go() {
        assert_eq!(query_unescape("my+svc%2Fa").as_deref(), Some("my svc/a"));
        assert_eq!(query_unescape("%zz"), None);
    }

    #[test]
    fn puts_errors_in_place() {
        let body = b"{\"data\":[],\"total\":0,\"limit\":0,\"offset\":0,\"errors\":null}\n".to_vec();
        let out = replace_errors(body, r#"[{"msg":"trace not found","traceID":"ab"}]"#);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["errors"][0]["traceID"], "ab");
        assert_eq!(v["data"], serde_json::json!([]));
    }
}
