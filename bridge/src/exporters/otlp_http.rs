//! The `otlphttp` exporter: OTLP/HTTP `POST {endpoint}/v1/traces` (or `traces_endpoint` as written),
//! protobuf (or JSON), gzip, headers and TLS, retrying 429/502/503/504 (honouring `Retry-After`) as the OTLP
//! specification says; other error answers are permanent.

use super::client_settings::{check_headers, Compression, TlsClientConfig};
use super::http_client::{check_url, HttpTarget, HttpTargetSettings, RetryableStatuses};
use super::otlp::count_partial_success;
use super::{ExportError, Exporter};
use crate::config::duration::ConfigDuration;
use crate::config::Problem;
use crate::pipeline::queue::QueueConfig;
use crate::pipeline::retry::RetryConfig;
use crate::pipeline::Traces;
use crate::telemetry::metrics::ComponentMetrics;
use async_trait::async_trait;
use prost::Message as _;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use translators::otlp::model::{ExportTracePartialSuccess, ExportTraceServiceResponse};
use translators::{encode_traces, Format};

/// Body encoding of the `otlphttp` exporter.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OtlpHttpEncoding {
    /// `application/x-protobuf` (default).
    #[default]
    Proto,
    /// `application/json` (OTLP/JSON).
    Json,
}

/// Settings of the `otlphttp` exporter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpHttpExporterConfig {
    /// Base URL, e.g. `https://otlp.example.com:4318`; traces go to `<endpoint>/v1/traces`. Required unless
    /// `traces_endpoint` is set.
    pub endpoint: String,
    /// Full URL for traces, used as written (overrides `endpoint`).
    pub traces_endpoint: Option<String>,
    /// TLS settings (`https://` URLs).
    pub tls: TlsClientConfig,
    /// Headers sent with every request (e.g. an API key).
    pub headers: BTreeMap<String, String>,
    /// `gzip` (default) or `none`.
    pub compression: Compression,
    /// `proto` (default) or `json`.
    pub encoding: OtlpHttpEncoding,
    /// Time limit of one request, connecting included. Default `30s` (the Collector's).
    pub timeout: ConfigDuration,
    /// The queue in front of the exporter.
    pub sending_queue: QueueConfig,
    /// Retries of retryable failures (429, 502, 503, 504, no answer).
    pub retry_on_failure: RetryConfig,
}

impl Default for OtlpHttpExporterConfig {
    fn default() -> Self {
        OtlpHttpExporterConfig {
            endpoint: String::new(),
            traces_endpoint: None,
            tls: TlsClientConfig::default(),
            headers: BTreeMap::new(),
            compression: Compression::Gzip,
            encoding: OtlpHttpEncoding::Proto,
            timeout: ConfigDuration::secs(30),
            sending_queue: QueueConfig::default(),
            retry_on_failure: RetryConfig::default(),
        }
    }
}

impl OtlpHttpExporterConfig {
    /// The URL traces are posted to.
    pub fn traces_url(&self) -> String {
        match &self.traces_endpoint {
            Some(url) => url.trim().to_string(),
            None => {
                let base = self.endpoint.trim();
                if base.ends_with('/') {
                    format!("{base}v1/traces")
                } else {
                    format!("{base}/v1/traces")
                }
            }
        }
    }

    /// Checks what serde cannot: a usable URL, TLS files in pairs, valid headers.
    pub fn check(&self, path: &str) -> Result<(), Problem> {
        match &self.traces_endpoint {
            Some(url) => check_url(url, &format!("{path}.traces_endpoint"))?,
            None if self.endpoint.trim().is_empty() => {
                return Err(Problem {
                    path: format!("{path}.endpoint"),
                    message:
                        "endpoint (or traces_endpoint) is required, e.g. http://otel-collector:4318"
                            .into(),
                })
            }
            None => check_url(&self.endpoint, &format!("{path}.endpoint"))?,
        }
        self.tls.check(path)?;
        check_headers(&self.headers, path)
    }
}

/// Posts batches as OTLP/HTTP.
pub struct OtlpHttpExporter {
    target: HttpTarget,
    encoding: OtlpHttpEncoding,
    metrics: Arc<ComponentMetrics>,
}

impl OtlpHttpExporter {
    /// Sets up the HTTP client.
    pub fn new(
        config: &OtlpHttpExporterConfig,
        metrics: Arc<ComponentMetrics>,
    ) -> Result<Self, String> {
        let target = HttpTarget::new(HttpTargetSettings {
            url: &config.traces_url(),
            tls: &config.tls,
            headers: &config.headers,
            compression: config.compression,
            timeout: config.timeout.0,
            basic_auth: None,
            retryable: RetryableStatuses::Otlp,
        })?;
        Ok(OtlpHttpExporter { target, encoding: config.encoding, metrics })
    }
}

#[async_trait]
impl Exporter for OtlpHttpExporter {
    async fn export(&self, traces: &Traces) -> Result<(), ExportError> {
        let (bytes, content_type) = match self.encoding {
            OtlpHttpEncoding::Proto => (traces.to_proto().to_vec(), "application/x-protobuf"),
            OtlpHttpEncoding::Json => {
                (encode_traces(Format::OtlpJson, traces).bytes, "application/json")
            }
        };
        ComponentMetrics::add(&self.metrics.bytes_out, bytes.len() as u64);
        let answer = self.target.post(bytes, content_type).await?;
        if let Some(response) = read_response(&answer.content_type, &answer.body) {
            count_partial_success(&self.metrics, response);
        }
        Ok(())
    }
}

/// The `ExportTraceServiceResponse` of a success answer, protobuf or JSON, when it has one.
fn read_response(content_type: &str, body: &[u8]) -> Option<ExportTraceServiceResponse> {
    if body.is_empty() {
        return None;
    }
    if content_type.contains("json") {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let partial = value.get("partialSuccess")?;
        // int64 is a string in OTLP/JSON, but a number is met too.
        let rejected = match partial.get("rejectedSpans") {
            Some(serde_json::Value::String(s)) => s.parse().ok()?,
            Some(v) => v.as_i64()?,
            None => 0,
        };
        let error_message =
            partial.get("errorMessage").and_then(|m| m.as_str()).unwrap_or_default().to_string();
        return Some(ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans: rejected,
                error_message,
            }),
        });
    }
    ExportTraceServiceResponse::decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_url_appends_the_signal_path_unless_given_whole() {
        let mut config = OtlpHttpExporterConfig {
            endpoint: "http://h:4318".into(),
            ..OtlpHttpExporterConfig::default()
        };
        assert_eq!(config.traces_url(), "http://h:4318/v1/traces");
        config.endpoint = "http://h:4318/prefix/".into();
        assert_eq!(config.traces_url(), "http://h:4318/prefix/v1/traces");
        config.traces_endpoint = Some("http://x/custom".into());
        assert_eq!(config.traces_url(), "http://x/custom");
    }

    #[test]
    fn json_partial_success_is_read() {
        let body = br#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad ids"}}"#;
        let response = read_response("application/json", body).unwrap();
        let partial = response.partial_success.unwrap();
        assert_eq!((partial.rejected_spans, partial.error_message.as_str()), (2, "bad ids"));
    }
}
