//! Thrift over HTTP: `POST /api/traces` with one (or more) binary-protocol `Batch` structs, answered as the
//! Jaeger collector does (202 Accepted, 400 with the reason). The collector's `GET /api/sampling` is served
//! here too, from the same strategies as the remote-sampling endpoint.

use super::sampling::{self, Strategies};
use crate::error::ReceiveError;
use crate::receivers::http_body::{read_body, BodyLimits};
use crate::receivers::ingest::Ingest;
use crate::receivers::server::{bind_tcp, serve, ServerConfig};
use crate::receivers::{Listening, ReceiverContext, StartError};
use crate::telemetry::metrics::{ComponentMetrics, Kind};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use translators::Format;

/// Media types the Jaeger collector takes on `/api/traces`. A missing type and `application/octet-stream`
/// are read as Thrift too (lenient: some hand-rolled senders set neither).
const THRIFT_TYPES: &[&str] = &[
    "application/x-thrift",
    "application/vnd.apache.thrift.binary",
    "application/octet-stream",
    "",
];

#[derive(Clone)]
struct HttpState {
    ingest: Ingest,
    limits: BodyLimits,
}

/// Binds and serves the Thrift HTTP endpoint.
pub(super) async fn start(
    ctx: &ReceiverContext,
    server: &ServerConfig,
    strategies: Arc<Strategies>,
) -> Result<Listening, StartError> {
    let transport = "thrift_http";
    let (listener, bound) =
        bind_tcp(ctx, transport, &server.endpoint_or(super::THRIFT_HTTP_PORT)).await?;
    let state = HttpState {
        ingest: Ingest {
            consumer: ctx.consumer.clone(),
            metrics: ctx.registry.transport(Kind::Receiver, &ctx.id, transport),
            max_spans: server.max_spans_per_request,
        },
        limits: BodyLimits {
            max_body: server.max_request_body_size.0 as usize,
            max_decompressed: server.max_decompressed_size.0 as usize,
        },
    };
    let router = Router::new().route("/api/traces", post(post_traces)).with_state(state).merge(
        Router::new().route("/api/sampling", get(sampling::serve_current)).with_state(strategies),
    );
    serve(ctx, listener, router, server.max_concurrent_connections);
    Ok(bound)
}

async fn post_traces(State(state): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !THRIFT_TYPES.contains(&media.as_str()) {
        ComponentMetrics::add(&state.ingest.metrics.errors, 1);
        // The Jaeger collector answers 400 (not 415) here; senders treat it as permanent either way.
        return ReceiveError::BadRequest(format!(
            "unsupported content type {content_type:?}: /api/traces takes a Thrift binary Batch \
             (application/x-thrift or application/vnd.apache.thrift.binary)"
        ))
        .to_http_response();
    }
    let body = match read_body(&headers, body, state.limits).await {
        Ok(body) => body,
        Err(error) => {
            // Too large, a gzip bomb, bad compression: the decoder never sees it, so count it here.
            ComponentMetrics::add(&state.ingest.metrics.errors, 1);
            return error.to_http_response();
        }
    };
    match state.ingest.push(Format::JaegerThriftBinary, &body).await {
        Ok(outcome) if outcome.rejected.is_empty() => StatusCode::ACCEPTED.into_response(),
        // The other spans went through; the sender is told which ones did not and why.
        Ok(outcome) => ReceiveError::BadRequest(outcome.rejection_message()).to_http_response(),
        Err(error) => error.to_http_response(),
    }
}
