//! The `otlp` exporter: OTLP/gRPC `TraceService/Export` to an OTLP backend or Collector, with the Collector's
//! settings (`endpoint`, `tls`, `headers`, `compression`, `timeout`) and the OTLP specification's retry rules.
//! Spans the backend rejects in a partial success are logged and counted as dropped, never retried.

use super::client_settings::{check_endpoint, check_headers, Compression, TlsClientConfig};
use super::grpc_client::{self, GrpcTarget};
use super::{ExportError, Exporter};
use crate::config::duration::ConfigDuration;
use crate::config::Problem;
use crate::pipeline::queue::QueueConfig;
use crate::pipeline::retry::RetryConfig;
use crate::pipeline::Traces;
use crate::telemetry::metrics::{ComponentMetrics, DropReason};
use async_trait::async_trait;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use translators::otlp::model::ExportTraceServiceResponse;

/// The OTLP/gRPC export method.
pub const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Settings of the `otlp` exporter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpExporterConfig {
    /// Where to send: `host:port` (TLS unless `tls.insecure`), `http://host:port` (plaintext) or
    /// `https://host:port`. Required.
    pub endpoint: String,
    /// TLS settings.
    pub tls: TlsClientConfig,
    /// gRPC metadata sent with every call (e.g. an API key). Names are lower-cased.
    pub headers: BTreeMap<String, String>,
    /// `gzip` (default) or `none`.
    pub compression: Compression,
    /// Time limit of one export call, connecting included. Default `5s`.
    pub timeout: ConfigDuration,
    /// The queue in front of the exporter.
    pub sending_queue: QueueConfig,
    /// Retries of retryable failures (Unavailable, ResourceExhausted with RetryInfo, timeouts, ...).
    pub retry_on_failure: RetryConfig,
}

impl Default for OtlpExporterConfig {
    fn default() -> Self {
        OtlpExporterConfig {
            endpoint: String::new(),
            tls: TlsClientConfig::default(),
            headers: BTreeMap::new(),
            compression: Compression::Gzip,
            timeout: ConfigDuration::secs(5),
            sending_queue: QueueConfig::default(),
            retry_on_failure: RetryConfig::default(),
        }
    }
}

impl OtlpExporterConfig {
    /// Checks what serde cannot: the endpoint is set and usable, TLS files come in pairs, headers are valid.
    pub fn check(&self, path: &str) -> Result<(), Problem> {
        check_endpoint(&self.endpoint, path, "otel-collector:4317")?;
        grpc_client::check(&self.endpoint, &self.tls, path)?;
        check_headers(&self.headers, path)
    }
}

/// Sends batches as OTLP/gRPC.
pub struct OtlpExporter {
    target: GrpcTarget,
    metrics: Arc<ComponentMetrics>,
}

impl OtlpExporter {
    /// Sets up the (lazily connecting) channel.
    pub fn new(
        config: &OtlpExporterConfig,
        metrics: Arc<ComponentMetrics>,
    ) -> Result<Self, String> {
        let target = GrpcTarget::new(
            &config.endpoint,
            &config.tls,
            &config.headers,
            config.compression,
            config.timeout.0,
        )?;
        Ok(OtlpExporter { target, metrics })
    }
}

#[async_trait]
impl Exporter for OtlpExporter {
    async fn export(&self, traces: &Traces) -> Result<(), ExportError> {
        let bytes = traces.to_proto();
        ComponentMetrics::add(&self.metrics.bytes_out, bytes.len() as u64);
        let response: ExportTraceServiceResponse = self.target.call(EXPORT_PATH, bytes).await?;
        count_partial_success(&self.metrics, response);
        Ok(())
    }
}

/// Logs a partial success and counts its rejected spans as dropped (`permanent_error`): the backend has
/// refused them for good, so they are not retried.
pub fn count_partial_success(metrics: &ComponentMetrics, response: ExportTraceServiceResponse) {
    let Some(partial) = response.partial_success else { return };
    if partial.rejected_spans > 0 {
        let rejected = u64::try_from(partial.rejected_spans).unwrap_or(0);
        metrics.dropped(DropReason::Permanent, rejected);
        tracing::warn!(exporter = %metrics.id(), rejected, message = %partial.error_message,
            "the backend rejected some spans (partial success)");
    } else if !partial.error_message.is_empty() {
        tracing::warn!(exporter = %metrics.id(), message = %partial.error_message,
            "the backend accepted every span with a warning");
    }
}
