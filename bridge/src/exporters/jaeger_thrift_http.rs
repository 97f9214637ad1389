//! The `jaeger_thrift_http` exporter: binary-Thrift `Batch` bodies POSTed to a Jaeger collector's
//! `/api/traces` (port 14268), `Content-Type: application/x-thrift`, optional basic auth. The collector reads
//! one `Batch` per request, and a `Batch` has one process, so each OTLP resource is one request. Success is
//! any 2xx (the collector answers 202).
//!
//! A batch of several resources is several requests; when a later one fails, a retry sends the earlier
//! resources again.

use super::client_settings::{check_headers, Compression, TlsClientConfig};
use super::http_client::{check_url, HttpTarget, HttpTargetSettings, RetryableStatuses};
use super::jaeger::encode_per_resource;
use super::{ExportError, Exporter};
use crate::config::duration::ConfigDuration;
use crate::config::Problem;
use crate::pipeline::queue::QueueConfig;
use crate::pipeline::retry::RetryConfig;
use crate::pipeline::Traces;
use crate::telemetry::metrics::ComponentMetrics;
use async_trait::async_trait;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use translators::Format;

/// Settings of the `jaeger_thrift_http` exporter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JaegerThriftHttpExporterConfig {
    /// The collector's URL, e.g. `http://jaeger-collector:14268/api/traces`. Required.
    pub endpoint: String,
    /// Basic-auth user (with `password`), for collectors behind an authenticating proxy.
    pub user: Option<String>,
    /// Basic-auth password.
    pub password: Option<String>,
    /// TLS settings (`https://` URLs).
    pub tls: TlsClientConfig,
    /// Headers sent with every request.
    pub headers: BTreeMap<String, String>,
    /// `none` (default: the Jaeger collector does not read compressed bodies itself) or `gzip` (for a proxy
    /// that does).
    pub compression: Compression,
    /// Time limit of one request, connecting included. Default `5s`.
    pub timeout: ConfigDuration,
    /// The queue in front of the exporter.
    pub sending_queue: QueueConfig,
    /// Retries of retryable failures (408, 429, 5xx, no answer).
    pub retry_on_failure: RetryConfig,
}

impl Default for JaegerThriftHttpExporterConfig {
    fn default() -> Self {
        JaegerThriftHttpExporterConfig {
            endpoint: String::new(),
            user: None,
            password: None,
            tls: TlsClientConfig::default(),
            headers: BTreeMap::new(),
            compression: Compression::None,
            timeout: ConfigDuration::secs(5),
            sending_queue: QueueConfig::default(),
            retry_on_failure: RetryConfig::default(),
        }
    }
}

impl JaegerThriftHttpExporterConfig {
    /// Checks what serde cannot: a usable URL, TLS files in pairs, valid headers.
    pub fn check(&self, path: &str) -> Result<(), Problem> {
        if self.endpoint.trim().is_empty() {
            return Err(Problem {
                path: format!("{path}.endpoint"),
                message: "endpoint is required, e.g. http://jaeger-collector:14268/api/traces"
                    .into(),
            });
        }
        check_url(&self.endpoint, &format!("{path}.endpoint"))?;
        if self.password.is_some() && self.user.is_none() {
            return Err(Problem {
                path: format!("{path}.password"),
                message: "password without user".into(),
            });
        }
        self.tls.check(path)?;
        check_headers(&self.headers, path)
    }
}

/// Posts Thrift batches to a Jaeger collector.
pub struct JaegerThriftHttpExporter {
    target: HttpTarget,
    metrics: Arc<ComponentMetrics>,
}

impl JaegerThriftHttpExporter {
    /// Sets up the HTTP client.
    pub fn new(
        config: &JaegerThriftHttpExporterConfig,
        metrics: Arc<ComponentMetrics>,
    ) -> Result<Self, String> {
        let basic_auth =
            config.user.clone().map(|user| (user, config.password.clone().unwrap_or_default()));
        let target = HttpTarget::new(HttpTargetSettings {
            url: &config.endpoint,
            tls: &config.tls,
            headers: &config.headers,
            compression: config.compression,
            timeout: config.timeout.0,
            basic_auth,
            retryable: RetryableStatuses::Legacy,
        })?;
        Ok(JaegerThriftHttpExporter { target, metrics })
    }
}

#[async_trait]
impl Exporter for JaegerThriftHttpExporter {
    async fn export(&self, traces: &Traces) -> Result<(), ExportError> {
        for batch in encode_per_resource(traces, Format::JaegerThriftBinary, &self.metrics)? {
            ComponentMetrics::add(&self.metrics.bytes_out, batch.len() as u64);
            self.target.post(batch, "application/x-thrift").await?;
        }
        Ok(())
    }
}
