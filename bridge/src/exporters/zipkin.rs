//! The `zipkin` exporter: Zipkin v2 spans POSTed to a Zipkin server's `/api/v2/spans` (port 9411), as a JSON
//! list (default) or a proto3 `ListOfSpans`, optionally gzip-compressed. Success is any 2xx (Zipkin answers
//! 202).

use super::client_settings::{check_headers, Compression, TlsClientConfig};
use super::http_client::{check_url, HttpTarget, HttpTargetSettings, RetryableStatuses};
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
use translators::{encode_traces, Format};

/// Body format of the `zipkin` exporter.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ZipkinFormat {
    /// JSON list of v2 spans, `application/json` (default).
    #[default]
    Json,
    /// proto3 `ListOfSpans`, `application/x-protobuf`.
    Proto,
}

/// Settings of the `zipkin` exporter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZipkinExporterConfig {
    /// The server's URL, e.g. `http://zipkin:9411/api/v2/spans`. Required.
    pub endpoint: String,
    /// `json` (default) or `proto`.
    pub format: ZipkinFormat,
    /// TLS settings (`https://` URLs).
    pub tls: TlsClientConfig,
    /// Headers sent with every request.
    pub headers: BTreeMap<String, String>,
    /// `none` (default) or `gzip` (Zipkin servers read gzip bodies).
    pub compression: Compression,
    /// Time limit of one request, connecting included. Default `5s` (the Collector's).
    pub timeout: ConfigDuration,
    /// The queue in front of the exporter.
    pub sending_queue: QueueConfig,
    /// Retries of retryable failures (408, 429, 5xx, no answer).
    pub retry_on_failure: RetryConfig,
}

impl Default for ZipkinExporterConfig {
    fn default() -> Self {
        ZipkinExporterConfig {
            endpoint: String::new(),
            format: ZipkinFormat::Json,
            tls: TlsClientConfig::default(),
            headers: BTreeMap::new(),
            compression: Compression::None,
            timeout: ConfigDuration::secs(5),
            sending_queue: QueueConfig::default(),
            retry_on_failure: RetryConfig::default(),
        }
    }
}

impl ZipkinExporterConfig {
    /// Checks what serde cannot: a usable URL, TLS files in pairs, valid headers.
    pub fn check(&self, path: &str) -> Result<(), Problem> {
        if self.endpoint.trim().is_empty() {
            return Err(Problem {
                path: format!("{path}.endpoint"),
                message: "endpoint is required, e.g. http://zipkin:9411/api/v2/spans".into(),
            });
        }
        check_url(&self.endpoint, &format!("{path}.endpoint"))?;
        self.tls.check(path)?;
        check_headers(&self.headers, path)
    }
}

/// Posts batches to a Zipkin server.
pub struct ZipkinExporter {
    target: HttpTarget,
    format: ZipkinFormat,
    metrics: Arc<ComponentMetrics>,
}

impl ZipkinExporter {
    /// Sets up the HTTP client.
    pub fn new(
        config: &ZipkinExporterConfig,
        metrics: Arc<ComponentMetrics>,
    ) -> Result<Self, String> {
        let target = HttpTarget::new(HttpTargetSettings {
            url: &config.endpoint,
            tls: &config.tls,
            headers: &config.headers,
            compression: config.compression,
            timeout: config.timeout.0,
            basic_auth: None,
            retryable: RetryableStatuses::Legacy,
        })?;
        Ok(ZipkinExporter { target, format: config.format, metrics })
    }
}

#[async_trait]
impl Exporter for ZipkinExporter {
    async fn export(&self, traces: &Traces) -> Result<(), ExportError> {
        let (format, content_type) = match self.format {
            ZipkinFormat::Json => (Format::ZipkinJson, "application/json"),
            ZipkinFormat::Proto => (Format::ZipkinProto, "application/x-protobuf"),
        };
        let encoded = encode_traces(format, traces);
        if !encoded.rejected.is_empty() {
            self.metrics.dropped(DropReason::Malformed, encoded.rejected.len() as u64);
            for rejection in &encoded.rejected {
                tracing::warn!(exporter = %self.metrics.id(), %rejection, "span left out: Zipkin cannot carry it");
            }
        }
        ComponentMetrics::add(&self.metrics.bytes_out, encoded.bytes.len() as u64);
        self.target.post(encoded.bytes, content_type).await?;
        Ok(())
    }
}
