//! The `store` exporter: indexes spans into the embedded store (the default of `otelbridge run`), and the
//! settings of the query APIs served over it.

use super::{ExportError, Exporter};
use crate::config::problems::typed;
use crate::config::Problem;
use crate::pipeline::queue::QueueConfig;
use crate::pipeline::retry::RetryConfig;
use crate::pipeline::Traces;
use crate::store::{Store, StoreConfig, StoreError};
use crate::telemetry::metrics::{ComponentMetrics, DropReason};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// Settings of the `store` exporter: the store's own settings ([`StoreConfig`]: `data_dir`, `partition`,
/// `retention`, `commit_interval`, `writer_memory`) at the same level as these.
#[derive(Debug, Clone, Default)]
pub struct StoreExporterConfig {
    /// Where and how spans are kept.
    pub store: StoreConfig,
    /// The Jaeger query API over the store (`jaeger_query`); `null` turns it off.
    pub jaeger_query: Option<JaegerQueryConfig>,
    /// The Zipkin v2 query API over the store (`zipkin_query`), served on every Zipkin receiver's port.
    pub zipkin_query: ZipkinQueryConfig,
    /// The queue in front of the exporter (`sending_queue`).
    pub sending_queue: QueueConfig,
    /// Retries of failed writes (`retry_on_failure`), e.g. a full disk.
    pub retry_on_failure: RetryConfig,
}

/// Settings of the Jaeger query HTTP API (what the Jaeger UI calls).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JaegerQueryConfig {
    /// `host:port` to listen on. Default `0.0.0.0:16686`, Jaeger's query port.
    pub endpoint: String,
}

impl Default for JaegerQueryConfig {
    fn default() -> Self {
        JaegerQueryConfig { endpoint: "0.0.0.0:16686".into() }
    }
}

/// Settings of the Zipkin v2 query API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZipkinQueryConfig {
    /// Serve `/api/v2/services`, `/api/v2/traces`... beside `/api/v2/spans` on the Zipkin receivers' ports, as
    /// a Zipkin server does. Default `true`.
    pub enabled: bool,
}

impl Default for ZipkinQueryConfig {
    fn default() -> Self {
        ZipkinQueryConfig { enabled: true }
    }
}

/// The keys this struct types itself; the rest are the store's.
const OWN_KEYS: [&str; 4] = ["jaeger_query", "zipkin_query", "sending_queue", "retry_on_failure"];

impl StoreExporterConfig {
    /// Types the settings found at `path`, reporting problems with their key path.
    pub fn parse(path: &str, value: Value) -> Result<Self, Problem> {
        let mut map = match value {
            Value::Object(map) => map,
            Value::Null => serde_json::Map::new(),
            other => {
                return Err(Problem {
                    path: path.into(),
                    message: format!("expected a map, found {other}"),
                })
            }
        };
        let mut own = |key: &str| map.remove(key).map(|v| (format!("{path}.{key}"), v));
        let jaeger_query = match own(OWN_KEYS[0]) {
            None => Some(JaegerQueryConfig::default()),
            Some((_, Value::Null)) => None,
            Some((at, v)) => Some(typed(&at, v)?),
        };
        let zipkin_query =
            own(OWN_KEYS[1]).map(|(at, v)| typed(&at, v)).transpose()?.unwrap_or_default();
        let sending_queue = own(OWN_KEYS[2])
            .map(|(at, v)| typed(&at, v))
            .transpose()?
            // One writer: batches are indexed in order, and tantivy indexes on its own thread anyway.
            .unwrap_or(QueueConfig { num_consumers: 1, ..QueueConfig::default() });
        let retry_on_failure =
            own(OWN_KEYS[3]).map(|(at, v)| typed(&at, v)).transpose()?.unwrap_or_default();
        let store = typed(path, Value::Object(map)).map_err(|mut problem| {
            if problem.message.contains("unknown field") {
                problem.message.push_str(&format!(" (or {})", OWN_KEYS.join(", ")));
            }
            problem
        })?;
        Ok(StoreExporterConfig {
            store,
            jaeger_query,
            zipkin_query,
            sending_queue,
            retry_on_failure,
        })
    }
}

/// Writes each batch into the store.
pub struct StoreExporter {
    store: Arc<Store>,
    metrics: Arc<ComponentMetrics>,
}

impl StoreExporter {
    /// An exporter writing into `store` (opened by the service, which also serves queries over it).
    pub fn new(store: Arc<Store>, metrics: Arc<ComponentMetrics>) -> Self {
        StoreExporter { store, metrics }
    }
}

#[async_trait]
impl Exporter for StoreExporter {
    async fn export(&self, traces: &Traces) -> Result<(), ExportError> {
        let store = self.store.clone();
        let proto = traces.to_proto();
        // Decoding, building documents and handing them to the indexer is CPU work: off the reactor.
        let outcome = tokio::task::spawn_blocking(move || {
            use prost::Message as _;
            // The bytes were checked when they entered the pipeline.
            let request =
                translators::ExportTraceServiceRequest::decode(&proto[..]).unwrap_or_default();
            store.ingest(&request)
        })
        .await
        .map_err(|e| ExportError::retryable(format!("store task failed: {e}")))?
        .map_err(|e| match e {
            StoreError::ReadOnly => ExportError::Permanent(e.to_string()),
            other => ExportError::retryable(other.to_string()),
        })?;
        if outcome.expired > 0 {
            self.metrics.dropped(DropReason::Expired, outcome.expired as u64);
        }
        Ok(())
    }
}
