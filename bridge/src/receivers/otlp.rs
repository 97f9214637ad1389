//! The `otlp` receiver: OTLP/gRPC (`TraceService/Export`, default 4317) and OTLP/HTTP (`POST /v1/traces`,
//! default 4318, protobuf or JSON, gzip), answering as the OTLP specification says: partial success for
//! spans rejected one by one, `google.rpc.Status` bodies for errors.

use super::http_body::{read_body, BodyLimits};
use super::ingest::{Ingest, Outcome};
use super::server::{bind_tcp, serve, ServerConfig};
use super::{Listening, ReceiverContext, StartError};
use crate::error::ReceiveError;
use crate::grpc::{BoxFuture, UnaryMethod, UnaryServer};
use crate::telemetry::metrics::{ComponentMetrics, Kind};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use prost::Message as _;
use serde::{Deserialize, Deserializer};
use translators::otlp::model::{ExportTracePartialSuccess, ExportTraceServiceResponse};
use translators::Format;

/// Settings of the `otlp` receiver.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtlpReceiverConfig {
    /// Which protocols to serve. Without `protocols`, both are served on their default ports; with it, only
    /// those listed (`grpc:` alone, even empty, enables gRPC with defaults).
    #[serde(default)]
    pub protocols: Option<OtlpProtocols>,
}

/// The OTLP transports.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtlpProtocols {
    /// OTLP/gRPC. Default endpoint `0.0.0.0:4317`.
    #[serde(default, deserialize_with = "present_means_enabled")]
    pub grpc: Option<ServerConfig>,
    /// OTLP/HTTP (`/v1/traces`). Default endpoint `0.0.0.0:4318`.
    #[serde(default, deserialize_with = "present_means_enabled")]
    pub http: Option<ServerConfig>,
}

/// A protocol key present with no settings (`grpc:` in YAML, i.e. null) enables it with defaults.
pub fn present_means_enabled<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Some(Option::<T>::deserialize(deserializer)?.unwrap_or_default()))
}

/// OTLP/gRPC default port.
pub const GRPC_PORT: u16 = 4317;
/// OTLP/HTTP default port.
pub const HTTP_PORT: u16 = 4318;

/// Starts the configured OTLP listeners.
pub async fn start(
    config: &OtlpReceiverConfig,
    ctx: ReceiverContext,
) -> Result<Vec<Listening>, StartError> {
    let protocols = config.protocols.clone().unwrap_or(OtlpProtocols {
        grpc: Some(ServerConfig::default()),
        http: Some(ServerConfig::default()),
    });
    let mut listening = Vec::new();
    if let Some(grpc) = &protocols.grpc {
        let (listener, bound) = bind_tcp(&ctx, "grpc", &grpc.endpoint_or(GRPC_PORT)).await?;
        let ingest = ingest(&ctx, "grpc", grpc);
        let metrics = ingest.metrics.clone();
        let method = ExportMethod { ingest, max_body: grpc.max_request_body_size.0 as usize };
        let service =
            UnaryServer::new(method, grpc.max_decompressed_size.0 as usize).with_metrics(metrics);
        let router = tonic::service::Routes::new(service).into_axum_router();
        serve(&ctx, listener, router, grpc.max_concurrent_connections);
        listening.push(bound);
    }
    if let Some(http) = &protocols.http {
        let (listener, bound) = bind_tcp(&ctx, "http", &http.endpoint_or(HTTP_PORT)).await?;
        let state = HttpState {
            ingest: ingest(&ctx, "http", http),
            limits: BodyLimits {
                max_body: http.max_request_body_size.0 as usize,
                max_decompressed: http.max_decompressed_size.0 as usize,
            },
        };
        let router = Router::new().route("/v1/traces", post(export_http)).with_state(state);
        serve(&ctx, listener, router, http.max_concurrent_connections);
        listening.push(bound);
    }
    Ok(listening)
}

fn ingest(ctx: &ReceiverContext, transport: &str, server: &ServerConfig) -> Ingest {
    Ingest {
        consumer: ctx.consumer.clone(),
        metrics: ctx.registry.transport(Kind::Receiver, &ctx.id, transport),
        max_spans: server.max_spans_per_request,
    }
}

fn partial_success(outcome: &Outcome) -> ExportTraceServiceResponse {
    ExportTraceServiceResponse {
        partial_success: (!outcome.rejected.is_empty()).then(|| ExportTracePartialSuccess {
            rejected_spans: outcome.rejected.len() as i64,
            error_message: outcome.rejection_message(),
        }),
    }
}

struct ExportMethod {
    ingest: Ingest,
    max_body: usize,
}

impl UnaryMethod for ExportMethod {
    type Response = ExportTraceServiceResponse;
    const SERVICE: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    fn call(
        &self,
        request: tonic::Request<Bytes>,
    ) -> BoxFuture<Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status>> {
        let ingest = self.ingest.clone();
        let max_body = self.max_body;
        Box::pin(async move {
            let outcome = ingest.push_grpc(Format::OtlpProto, request, max_body).await?;
            Ok(tonic::Response::new(partial_success(&outcome)))
        })
    }
}

#[derive(Clone)]
struct HttpState {
    ingest: Ingest,
    limits: BodyLimits,
}

/// `google.rpc.Status`, the body of OTLP/HTTP error answers.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Proto,
    Json,
}

async fn export_http(State(state): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let encoding = match media.as_str() {
        "application/x-protobuf" | "application/protobuf" => Encoding::Proto,
        "application/json" => Encoding::Json,
        _ => {
            ComponentMetrics::add(&state.ingest.metrics.errors, 1);
            let error = ReceiveError::UnsupportedMediaType(content_type.to_string());
            return error_response(&error, Encoding::Json);
        }
    };
    let body = match read_body(&headers, body, state.limits).await {
        Ok(body) => body,
        Err(error) => {
            // Too large, a gzip bomb, bad compression: the decoder never sees it, so count it here.
            ComponentMetrics::add(&state.ingest.metrics.errors, 1);
            return error_response(&error, encoding);
        }
    };
    let format = if encoding == Encoding::Proto { Format::OtlpProto } else { Format::OtlpJson };
    match state.ingest.push(format, &body).await {
        Ok(outcome) => {
            let response = partial_success(&outcome);
            match encoding {
                Encoding::Proto => {
                    ([(header::CONTENT_TYPE, "application/x-protobuf")], response.encode_to_vec())
                        .into_response()
                }
                Encoding::Json => {
                    let json = match &response.partial_success {
                        None => serde_json::json!({}),
                        Some(p) => serde_json::json!({"partialSuccess": {
                            "rejectedSpans": p.rejected_spans.to_string(),
                            "errorMessage": p.error_message,
                        }}),
                    };
                    ([(header::CONTENT_TYPE, "application/json")], json.to_string()).into_response()
                }
            }
        }
        Err(error) => error_response(&error, encoding),
    }
}

fn error_response(error: &ReceiveError, encoding: Encoding) -> Response {
    let status = RpcStatus { code: error.grpc_code() as i32, message: error.to_string() };
    let mut response = match encoding {
        Encoding::Proto => {
            ([(header::CONTENT_TYPE, "application/x-protobuf")], status.encode_to_vec())
                .into_response()
        }
        Encoding::Json => {
            let json = serde_json::json!({"code": status.code, "message": status.message});
            ([(header::CONTENT_TYPE, "application/json")], json.to_string()).into_response()
        }
    };
    *response.status_mut() = error.http_status();
    if let Some(seconds) = error.retry_after_seconds() {
        response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
    }
    if *response.status_mut() == StatusCode::OK {
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    }
    response
}
