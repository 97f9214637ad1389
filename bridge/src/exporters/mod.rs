//! Exporters: pipeline → translators → bytes on the wire. One module per exporter, with its config.

use crate::pipeline::Traces;
use async_trait::async_trait;
use std::time::Duration;
use thiserror::Error;

pub mod client_settings;
pub mod file;
pub mod grpc_client;
pub mod http_client;
pub mod jaeger;
pub mod jaeger_thrift_http;
pub mod otlp;
pub mod otlp_env;
pub mod otlp_http;
pub mod store;
pub mod zipkin;

/// Why one send attempt failed.
#[derive(Debug, Error)]
pub enum ExportError {
    /// Worth retrying: connection refused, timeout, HTTP 5xx / 429, gRPC Unavailable / ResourceExhausted.
    #[error("{reason}")]
    Retryable {
        /// What went wrong.
        reason: String,
        /// The server's `Retry-After`, if it gave one.
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help: HTTP 4xx other than 429, gRPC InvalidArgument, data the format cannot carry.
    #[error("{0}")]
    Permanent(String),
}

impl ExportError {
    /// A retryable error without a server-given wait.
    pub fn retryable(reason: impl Into<String>) -> Self {
        ExportError::Retryable { reason: reason.into(), retry_after: None }
    }
}

/// Sends one batch to a backend. Called by the exporter queue's workers, which retry.
#[async_trait]
pub trait Exporter: Send + Sync {
    /// Sends `traces`. Must count bytes written in its metrics' `bytes_out`.
    async fn export(&self, traces: &Traces) -> Result<(), ExportError>;
}

use crate::config::problems::{did_you_mean, typed};
use crate::config::Problem;
use crate::pipeline::queue::QueueConfig;
use crate::pipeline::retry::RetryConfig;
use crate::telemetry::metrics::ComponentMetrics;
use serde_json::Value;
use std::sync::Arc;

/// An exporter's settings, by type.
#[derive(Debug, Clone)]
pub enum ExporterConfig {
    /// `file`: OTLP JSON lines to a file or stdout.
    File(file::FileExporterConfig),
    /// `otlp`: OTLP/gRPC.
    Otlp(otlp::OtlpExporterConfig),
    /// `otlphttp`: OTLP/HTTP.
    OtlpHttp(otlp_http::OtlpHttpExporterConfig),
    /// `jaeger`: Jaeger gRPC `PostSpans`.
    Jaeger(jaeger::JaegerExporterConfig),
    /// `jaeger_thrift_http`: Jaeger Thrift over HTTP (`/api/traces`).
    JaegerThriftHttp(jaeger_thrift_http::JaegerThriftHttpExporterConfig),
    /// `zipkin`: Zipkin v2 over HTTP.
    Zipkin(zipkin::ZipkinExporterConfig),
    /// `store`: the embedded store, with its query APIs.
    Store(store::StoreExporterConfig),
}

/// Exporter types, for messages.
pub const TYPES: &[&str] =
    &["file", "otlp", "otlphttp", "jaeger", "jaeger_thrift_http", "zipkin", "store"];

impl ExporterConfig {
    /// Types the settings of an exporter of type `type_name` found at `path`.
    pub fn parse(type_name: &str, value: Value, path: &str) -> Result<Self, Problem> {
        Ok(match type_name {
            "file" => ExporterConfig::File(typed(path, value)?),
            "otlp" => ExporterConfig::Otlp(checked(path, value, otlp::OtlpExporterConfig::check)?),
            "otlphttp" => ExporterConfig::OtlpHttp(checked(
                path,
                value,
                otlp_http::OtlpHttpExporterConfig::check,
            )?),
            "jaeger" => {
                ExporterConfig::Jaeger(checked(path, value, jaeger::JaegerExporterConfig::check)?)
            }
            "jaeger_thrift_http" => ExporterConfig::JaegerThriftHttp(checked(
                path,
                value,
                jaeger_thrift_http::JaegerThriftHttpExporterConfig::check,
            )?),
            "zipkin" => {
                ExporterConfig::Zipkin(checked(path, value, zipkin::ZipkinExporterConfig::check)?)
            }
            "store" => ExporterConfig::Store(store::StoreExporterConfig::parse(path, value)?),
            other => {
                return Err(Problem {
                    path: path.into(),
                    message: format!(
                        "unknown exporter type {other:?}{}; known: {}",
                        did_you_mean(other, TYPES),
                        TYPES.join(", ")
                    ),
                })
            }
        })
    }

    /// The exporter's queue settings.
    pub fn queue(&self) -> QueueConfig {
        match self {
            ExporterConfig::File(c) => c.sending_queue.clone(),
            ExporterConfig::Otlp(c) => c.sending_queue.clone(),
            ExporterConfig::OtlpHttp(c) => c.sending_queue.clone(),
            ExporterConfig::Jaeger(c) => c.sending_queue.clone(),
            ExporterConfig::JaegerThriftHttp(c) => c.sending_queue.clone(),
            ExporterConfig::Zipkin(c) => c.sending_queue.clone(),
            ExporterConfig::Store(c) => c.sending_queue.clone(),
        }
    }

    /// The exporter's retry settings.
    pub fn retry(&self) -> RetryConfig {
        match self {
            ExporterConfig::File(c) => c.retry_on_failure.clone(),
            ExporterConfig::Otlp(c) => c.retry_on_failure.clone(),
            ExporterConfig::OtlpHttp(c) => c.retry_on_failure.clone(),
            ExporterConfig::Jaeger(c) => c.retry_on_failure.clone(),
            ExporterConfig::JaegerThriftHttp(c) => c.retry_on_failure.clone(),
            ExporterConfig::Zipkin(c) => c.retry_on_failure.clone(),
            ExporterConfig::Store(c) => c.retry_on_failure.clone(),
        }
    }

    /// Builds the exporter. Fails when its settings cannot work (a file that cannot be opened, a bad URL).
    pub fn build(&self, metrics: Arc<ComponentMetrics>) -> Result<Arc<dyn Exporter>, String> {
        match self {
            ExporterConfig::File(c) => Ok(Arc::new(file::FileExporter::new(c, metrics)?)),
            ExporterConfig::Otlp(c) => Ok(Arc::new(otlp::OtlpExporter::new(c, metrics)?)),
            ExporterConfig::OtlpHttp(c) => {
                Ok(Arc::new(otlp_http::OtlpHttpExporter::new(c, metrics)?))
            }
            ExporterConfig::Jaeger(c) => Ok(Arc::new(jaeger::JaegerExporter::new(c, metrics)?)),
            ExporterConfig::JaegerThriftHttp(c) => {
                Ok(Arc::new(jaeger_thrift_http::JaegerThriftHttpExporter::new(c, metrics)?))
            }
            ExporterConfig::Zipkin(c) => Ok(Arc::new(zipkin::ZipkinExporter::new(c, metrics)?)),
            // The service opens stores itself (`service::start`), to serve queries over them too.
            ExporterConfig::Store(c) => {
                let store = crate::store::Store::open(&c.store).map_err(|e| e.to_string())?;
                Ok(Arc::new(store::StoreExporter::new(store, metrics)))
            }
        }
    }
}

/// Types an exporter's settings, then runs its own checks (a required endpoint, a usable URL...), so that
/// `validate` reports them with their key path.
fn checked<T: serde::de::DeserializeOwned>(
    path: &str,
    value: Value,
    check: fn(&T, &str) -> Result<(), Problem>,
) -> Result<T, Problem> {
    let config = typed(path, value)?;
    check(&config, path)?;
    Ok(config)
}

/// The OTLP exporter the standard `OTEL_EXPORTER_OTLP_ENDPOINT` / `_PROTOCOL` / `_HEADERS` variables ask for:
/// its id and settings, or `None` when the endpoint is not set.
pub fn otlp_from_env(env: &[(String, String)]) -> Option<(String, Value)> {
    otlp_env::otlp_from_env(env)
}
