//! One bounded queue per exporter, drained by that exporter's workers with retries.

use super::retry::{Backoff, RetryConfig};
use super::{span_count, Traces};
use crate::config::duration::ConfigDuration;
use crate::error::PipelineError;
use crate::exporters::{ExportError, Exporter};
use crate::telemetry::metrics::{ComponentMetrics, DropReason};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// What happens when the queue is full.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WhenFull {
    /// The sender waits for room (up to `block_timeout`), so backpressure reaches it; then it is refused
    /// with 503 / `Unavailable`.
    #[default]
    Block,
    /// The new batch is refused at once (429 / `Unavailable`), counted as dropped with reason `queue_full`.
    DropNewest,
}

/// `sending_queue` of an exporter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// Capacity in batches (requests as they leave the pipeline). Default `1000`.
    pub queue_size: usize,
    /// Workers sending batches concurrently. Default `4`.
    pub num_consumers: usize,
    /// `block` (default) or `drop_newest`.
    pub when_full: WhenFull,
    /// With `block`: how long a sender may wait for room before it is refused. Default `5s`.
    pub block_timeout: ConfigDuration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            queue_size: 1000,
            num_consumers: 4,
            when_full: WhenFull::Block,
            block_timeout: ConfigDuration::secs(5),
        }
    }
}

/// The queue in front of one exporter.
pub struct ExporterQueue {
    id: String,
    config: QueueConfig,
    sender: async_channel::Sender<Arc<Traces>>,
    receiver: async_channel::Receiver<Arc<Traces>>,
    metrics: Arc<ComponentMetrics>,
}

impl ExporterQueue {
    /// A new, empty queue for exporter `id`.
    pub fn new(id: &str, config: QueueConfig, metrics: Arc<ComponentMetrics>) -> Self {
        let capacity = config.queue_size.max(1);
        let (sender, receiver) = async_channel::bounded(capacity);
        metrics.set_queue(0, capacity as u64);
        ExporterQueue { id: id.to_string(), config, sender, receiver, metrics }
    }

    fn update_gauge(&self) {
        self.metrics.set_queue(self.sender.len() as u64, self.config.queue_size.max(1) as u64);
    }

    /// Puts a batch in the queue, following `when_full`.
    pub async fn enqueue(&self, traces: Arc<Traces>) -> Result<(), PipelineError> {
        let result = match self.sender.try_send(traces) {
            Ok(()) => Ok(()),
            Err(async_channel::TrySendError::Closed(_)) => Err(PipelineError::ShuttingDown),
            Err(async_channel::TrySendError::Full(traces)) => {
                let spans = span_count(&traces) as u64;
                match self.config.when_full {
                    WhenFull::DropNewest => {
                        self.metrics.dropped(DropReason::QueueFull, spans);
                        Err(PipelineError::QueueFull(self.id.clone()))
                    }
                    WhenFull::Block => {
                        let wait = self.config.block_timeout.0;
                        match tokio::time::timeout(wait, self.sender.send(traces)).await {
                            Ok(Ok(())) => Ok(()),
                            Ok(Err(_)) => Err(PipelineError::ShuttingDown),
                            Err(_) => {
                                self.metrics.dropped(DropReason::QueueFull, spans);
                                Err(PipelineError::QueueTimeout(self.id.clone()))
                            }
                        }
                    }
                }
            }
        };
        self.update_gauge();
        result
    }

    /// Starts `num_consumers` workers sending through `exporter`. They run until the queue is closed and empty,
    /// or `abort` is cancelled (the shutdown deadline), when what is left is counted as dropped.
    pub fn start_workers(
        self: &Arc<Self>,
        exporter: Arc<dyn Exporter>,
        retry: RetryConfig,
        abort: CancellationToken,
        tasks: &mut JoinSet<()>,
    ) {
        for _ in 0..self.config.num_consumers.max(1) {
            let queue = self.clone();
            let exporter = exporter.clone();
            let retry = retry.clone();
            let abort = abort.clone();
            tasks.spawn(async move { queue.work(exporter, retry, abort).await });
        }
    }

    /// Closes the queue: no new batches; workers finish what is queued.
    pub fn close(&self) {
        self.sender.close();
    }

    /// Batches still waiting.
    pub fn len(&self) -> usize {
        self.sender.len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.sender.is_empty()
    }

    async fn work(
        &self,
        exporter: Arc<dyn Exporter>,
        retry: RetryConfig,
        abort: CancellationToken,
    ) {
        loop {
            let traces = tokio::select! {
                biased;
                _ = abort.cancelled() => break,
                next = self.receiver.recv() => match next {
                    Ok(traces) => traces,
                    Err(_) => return, // closed and drained
                },
            };
            self.update_gauge();
            self.send_with_retry(&*exporter, &traces, &retry, &abort).await;
        }
        // The shutdown deadline passed: count what is left, never drop it silently.
        while let Ok(traces) = self.receiver.try_recv() {
            self.metrics.dropped(DropReason::Shutdown, span_count(&traces) as u64);
        }
        self.update_gauge();
    }

    async fn send_with_retry(
        &self,
        exporter: &dyn Exporter,
        traces: &Traces,
        retry: &RetryConfig,
        abort: &CancellationToken,
    ) {
        let spans = span_count(traces) as u64;
        let mut backoff = Backoff::new(retry);
        loop {
            let error = match exporter.export(traces).await {
                Ok(()) => {
                    ComponentMetrics::add(&self.metrics.sent, spans);
                    return;
                }
                Err(error) => error,
            };
            ComponentMetrics::add(&self.metrics.send_failed, spans);
            let wait = match &error {
                ExportError::Permanent(reason) => {
                    tracing::error!(exporter = %self.id, spans, %reason, "permanent export error; dropping the batch");
                    self.metrics.dropped(DropReason::Permanent, spans);
                    return;
                }
                ExportError::Retryable { reason, retry_after } => {
                    match backoff.next_wait(*retry_after) {
                        Some(wait) => {
                            tracing::warn!(exporter = %self.id, spans, %reason, ?wait, "export failed; will retry");
                            wait
                        }
                        None => {
                            tracing::error!(exporter = %self.id, spans, %reason, "export failed and retries are exhausted; dropping the batch");
                            self.metrics.dropped(DropReason::RetriesExhausted, spans);
                            return;
                        }
                    }
                }
            };
            tokio::select! {
                _ = abort.cancelled() => {
                    self.metrics.dropped(DropReason::Shutdown, spans);
                    return;
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// Waits until every queue is empty or `deadline` passes.
pub async fn wait_drained(queues: &[Arc<ExporterQueue>], deadline: Duration) -> bool {
    let start = tokio::time::Instant::now();
    while start.elapsed() < deadline {
        if queues.iter().all(|q| q.is_empty()) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
