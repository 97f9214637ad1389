//! The `jaeger` exporter: Jaeger gRPC `jaeger.api_v2.CollectorService/PostSpans` to a Jaeger collector
//! (port 14250), one `PostSpansRequest` per OTLP resource so every batch carries its process at batch level,
//! as the Collector's removed Jaeger exporter did. Same `tls` / `headers` / `compression` settings as `otlp`
//! (but no compression by default).
//!
//! A batch of several resources is several calls; when a later call fails, a retry sends the earlier
//! resources again (Jaeger stores a repeated span twice under the same ids).

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
use translators::jaeger::model::PostSpansResponse;
use translators::Format;

/// The Jaeger collector's gRPC method.
pub const POST_SPANS_PATH: &str = "/jaeger.api_v2.CollectorService/PostSpans";

/// Settings of the `jaeger` exporter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JaegerExporterConfig {
    /// The collector's gRPC address: `host:14250` (TLS unless `tls.insecure`), `http://host:14250`
    /// (plaintext) or `https://host:14250`. Required.
    pub endpoint: String,
    /// TLS settings.
    pub tls: TlsClientConfig,
    /// gRPC metadata sent with every call. Names are lower-cased.
    pub headers: BTreeMap<String, String>,
    /// `none` (default: older Jaeger collectors have no gzip decompressor and answer `Unimplemented`, see
    /// jaegertracing/jaeger#3235) or `gzip`.
    pub compression: Compression,
    /// Time limit of one call, connecting included. Default `5s`.
    pub timeout: ConfigDuration,
    /// The queue in front of the exporter.
    pub sending_queue: QueueConfig,
    /// Retries of retryable failures (Unavailable, timeouts, ...).
    pub retry_on_failure: RetryConfig,
}

impl Default for JaegerExporterConfig {
    fn default() -> Self {
        JaegerExporterConfig {
            endpoint: String::new(),
            tls: TlsClientConfig::default(),
            headers: BTreeMap::new(),
            compression: Compression::None,
            timeout: ConfigDuration::secs(5),
            sending_queue: QueueConfig::default(),
            retry_on_failure: RetryConfig::default(),
        }
    }
}

impl JaegerExporterConfig {
    /// Checks what serde cannot: the endpoint is set and usable, TLS files in pairs, valid headers.
    pub fn check(&self, path: &str) -> Result<(), Problem> {
        check_endpoint(&self.endpoint, path, "jaeger-collector:14250")?;
        grpc_client::check(&self.endpoint, &self.tls, path)?;
        check_headers(&self.headers, path)
    }
}

/// Sends batches to a Jaeger collector over gRPC.
pub struct JaegerExporter {
    target: GrpcTarget,
    metrics: Arc<ComponentMetrics>,
}

impl JaegerExporter {
    /// Sets up the (lazily connecting) channel.
    pub fn new(
        config: &JaegerExporterConfig,
        metrics: Arc<ComponentMetrics>,
    ) -> Result<Self, String> {
        let target = GrpcTarget::new(
            &config.endpoint,
            &config.tls,
            &config.headers,
            config.compression,
            config.timeout.0,
        )?;
        Ok(JaegerExporter { target, metrics })
    }
}

#[async_trait]
impl Exporter for JaegerExporter {
    async fn export(&self, traces: &Traces) -> Result<(), ExportError> {
        for request in encode_per_resource(traces, Format::JaegerProto, &self.metrics)? {
            ComponentMetrics::add(&self.metrics.bytes_out, request.len() as u64);
            let _: PostSpansResponse = self.target.call(POST_SPANS_PATH, request.into()).await?;
        }
        Ok(())
    }
}

/// One Jaeger message per OTLP resource that has spans, in `format` (`JaegerProto`: a `PostSpansRequest`;
/// `JaegerThriftBinary`: a bare `Batch`). Spans the mapping has to leave out are logged and counted as
/// dropped (`malformed`).
pub fn encode_per_resource(
    traces: &Traces,
    format: Format,
    metrics: &ComponentMetrics,
) -> Result<Vec<Vec<u8>>, ExportError> {
    let mut messages = Vec::with_capacity(traces.resource_spans.len());
    let mut one_resource = Vec::new();
    for resource in &traces.resource_spans {
        if resource.scope_spans.iter().all(|s| s.spans.is_empty()) {
            continue;
        }
        // A one-resource ExportTraceServiceRequest is its field 1 alone: no copy of the spans is made.
        one_resource.clear();
        prost::encoding::message::encode(1, resource, &mut one_resource);
        let encoded = translators::transcode(Format::OtlpProto, format, &one_resource)
            .map_err(|e| ExportError::Permanent(format!("cannot encode as {format:?}: {e}")))?;
        if !encoded.rejected.is_empty() {
            metrics.dropped(DropReason::Malformed, encoded.rejected.len() as u64);
            for rejection in &encoded.rejected {
                tracing::warn!(exporter = %metrics.id(), %rejection, "span left out: {format:?} cannot carry it");
            }
        }
        if !encoded.bytes.is_empty() {
            messages.push(encoded.bytes);
        }
    }
    Ok(messages)
}
