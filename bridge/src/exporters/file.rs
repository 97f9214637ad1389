//! The `file` exporter: OTLP/JSON, one `ExportTraceServiceRequest` object per line (what `otelbridge translate
//! --from otlp-json` and the Collector's file receiver read), to a file or stdout.

use super::{ExportError, Exporter};
use crate::pipeline::queue::QueueConfig;
use crate::pipeline::retry::RetryConfig;
use crate::pipeline::Traces;
use crate::telemetry::metrics::ComponentMetrics;
use async_trait::async_trait;
use serde::Deserialize;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use translators::{encode_traces, Format};

/// Settings of the `file` exporter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileExporterConfig {
    /// File to append to (its folder is created), or `-` for stdout. Default `./otelbridge-data/traces.ndjson`.
    pub path: PathBuf,
    /// Write each batch straight to disk (`fsync`), at a cost in speed. Default `false`.
    pub fsync: bool,
    /// The queue in front of the exporter.
    pub sending_queue: QueueConfig,
    /// Retries of failed writes (a full disk may free up).
    pub retry_on_failure: RetryConfig,
}

impl Default for FileExporterConfig {
    fn default() -> Self {
        FileExporterConfig {
            path: PathBuf::from("./otelbridge-data/traces.ndjson"),
            fsync: false,
            // One writer: lines of concurrent batches must not interleave, and order is kept.
            sending_queue: QueueConfig { num_consumers: 1, ..QueueConfig::default() },
            retry_on_failure: RetryConfig::default(),
        }
    }
}

enum Sink {
    Stdout,
    File(std::fs::File),
}

/// Appends OTLP JSON lines.
pub struct FileExporter {
    sink: Mutex<Sink>,
    fsync: bool,
    metrics: Arc<ComponentMetrics>,
}

impl FileExporter {
    /// Opens (creates) the file.
    pub fn new(
        config: &FileExporterConfig,
        metrics: Arc<ComponentMetrics>,
    ) -> Result<Self, String> {
        let sink = if config.path.as_os_str() == "-" {
            Sink::Stdout
        } else {
            if let Some(parent) = config.path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&config.path)
                .map_err(|e| format!("cannot open {}: {e}", config.path.display()))?;
            Sink::File(file)
        };
        Ok(FileExporter { sink: Mutex::new(sink), fsync: config.fsync, metrics })
    }
}

#[async_trait]
impl Exporter for FileExporter {
    async fn export(&self, traces: &Traces) -> Result<(), ExportError> {
        let encoded = encode_traces(Format::OtlpJson, traces);
        let mut bytes = encoded.bytes;
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        // Small synchronous appends: a blocking-pool hop would cost more than the write.
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        let result = match &mut *sink {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(&bytes).and_then(|_| out.flush())
            }
            Sink::File(file) => {
                file.write_all(&bytes)
                    .and_then(|_| if self.fsync { file.sync_data() } else { Ok(()) })
            }
        };
        result.map_err(|e| ExportError::retryable(format!("cannot write: {e}")))?;
        ComponentMetrics::add(&self.metrics.bytes_out, bytes.len() as u64);
        Ok(())
    }
}
