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

#[cfg(test)]
mod tests {
    //! The queue against an in-process exporter whose answers the test scripts (unit tests of the queue
    //! policy; the same behaviours over real sockets are in bridge/tests/delivery.rs).
    use super::*;
    use crate::telemetry::metrics::{Kind, Registry};
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use translators::otlp::model::{ResourceSpans, ScopeSpans, Span};

    fn batch(spans: usize) -> Arc<Traces> {
        Arc::new(Traces::from(translators::otlp::model::ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: (0..spans)
                        .map(|i| Span { name: format!("s{i}"), ..Span::default() })
                        .collect(),
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        }))
    }

    /// Answers from a script (then succeeds), recording the names of delivered spans.
    struct Scripted {
        script: Mutex<Vec<Result<(), ExportError>>>,
        delivered: Mutex<Vec<String>>,
        calls: AtomicUsize,
        gate: tokio::sync::Semaphore,
    }

    impl Scripted {
        fn new(permits: usize) -> Self {
            Scripted {
                script: Mutex::default(),
                delivered: Mutex::default(),
                calls: AtomicUsize::new(0),
                gate: tokio::sync::Semaphore::new(permits),
            }
        }
    }

    #[async_trait]
    impl Exporter for Scripted {
        async fn export(&self, traces: &Traces) -> Result<(), ExportError> {
            let Ok(_permit) = self.gate.acquire().await else {
                return Err(ExportError::retryable("gate closed"));
            };
            self.calls.fetch_add(1, Ordering::SeqCst);
            let next = {
                let mut script = self.script.lock().unwrap();
                if script.is_empty() {
                    Ok(())
                } else {
                    script.remove(0)
                }
            };
            if next.is_ok() {
                let names =
                    traces.resource_spans[0].scope_spans[0].spans.iter().map(|s| s.name.clone());
                self.delivered.lock().unwrap().extend(names);
            }
            next
        }
    }

    fn fast_retry() -> RetryConfig {
        RetryConfig {
            initial_interval: ConfigDuration::millis(10),
            max_interval: ConfigDuration::millis(20),
            max_elapsed_time: ConfigDuration::millis(500),
            ..RetryConfig::default()
        }
    }

    #[tokio::test]
    async fn retryable_errors_are_retried_and_permanent_ones_dropped_and_counted() {
        let registry = Registry::new();
        let metrics = registry.component(Kind::Exporter, "x");
        let queue = Arc::new(ExporterQueue::new(
            "x",
            QueueConfig { num_consumers: 1, ..QueueConfig::default() },
            metrics.clone(),
        ));
        let exporter = Arc::new(Scripted::new(1000));
        *exporter.script.lock().unwrap() = vec![
            Err(ExportError::retryable("503")),
            Err(ExportError::retryable("503")),
            Ok(()),
            Err(ExportError::Permanent("400 bad".into())),
        ];
        let mut tasks = JoinSet::new();
        queue.start_workers(exporter.clone(), fast_retry(), CancellationToken::new(), &mut tasks);
        queue.enqueue(batch(3)).await.unwrap();
        queue.enqueue(batch(2)).await.unwrap();
        queue.close();
        while tasks.join_next().await.is_some() {}
        assert_eq!(exporter.delivered.lock().unwrap().len(), 3);
        assert_eq!(exporter.calls.load(Ordering::SeqCst), 4);
        assert_eq!(ComponentMetrics::get(&metrics.sent), 3);
        assert_eq!(ComponentMetrics::get(&metrics.send_failed), 3 + 3 + 2);
        assert_eq!(metrics.dropped_count(DropReason::Permanent), 2);
    }

    #[tokio::test]
    async fn retries_stop_at_max_elapsed_time_and_count_the_drop() {
        let registry = Registry::new();
        let metrics = registry.component(Kind::Exporter, "x");
        let queue = Arc::new(ExporterQueue::new("x", QueueConfig::default(), metrics.clone()));
        let exporter = Arc::new(Scripted::new(1000));
        *exporter.script.lock().unwrap() =
            (0..1000).map(|_| Err(ExportError::retryable("down"))).collect();
        let mut tasks = JoinSet::new();
        queue.start_workers(exporter.clone(), fast_retry(), CancellationToken::new(), &mut tasks);
        queue.enqueue(batch(4)).await.unwrap();
        queue.close();
        while tasks.join_next().await.is_some() {}
        assert_eq!(metrics.dropped_count(DropReason::RetriesExhausted), 4);
        assert!(exporter.delivered.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn drop_newest_refuses_when_full_and_block_waits_then_times_out() {
        let registry = Registry::new();
        let metrics = registry.component(Kind::Exporter, "x");
        let config = QueueConfig {
            queue_size: 2,
            when_full: WhenFull::DropNewest,
            ..QueueConfig::default()
        };
        let queue = ExporterQueue::new("x", config, metrics.clone());
        queue.enqueue(batch(1)).await.unwrap();
        queue.enqueue(batch(1)).await.unwrap();
        assert_eq!(queue.enqueue(batch(5)).await, Err(PipelineError::QueueFull("x".into())));
        assert_eq!(metrics.dropped_count(DropReason::QueueFull), 5);

        let metrics = registry.component(Kind::Exporter, "y");
        let config = QueueConfig {
            queue_size: 1,
            when_full: WhenFull::Block,
            block_timeout: ConfigDuration::millis(100),
            ..QueueConfig::default()
        };
        let queue = Arc::new(ExporterQueue::new("y", config, metrics.clone()));
        queue.enqueue(batch(1)).await.unwrap();
        let started = tokio::time::Instant::now();
        assert_eq!(queue.enqueue(batch(3)).await, Err(PipelineError::QueueTimeout("y".into())));
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert_eq!(metrics.dropped_count(DropReason::QueueFull), 3);
        // Room appears while a sender blocks: it gets in.
        let waiting = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.enqueue(batch(2)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let _ = queue.receiver.try_recv().unwrap();
        assert_eq!(waiting.await.unwrap(), Ok(()));
    }

    #[tokio::test]
    async fn abort_counts_what_is_left_as_dropped_at_shutdown() {
        let registry = Registry::new();
        let metrics = registry.component(Kind::Exporter, "x");
        let queue = Arc::new(ExporterQueue::new(
            "x",
            QueueConfig { num_consumers: 1, ..QueueConfig::default() },
            metrics.clone(),
        ));
        // The exporter never gets through its gate: every batch stays queued or in flight.
        let exporter = Arc::new(Scripted::new(0));
        let abort = CancellationToken::new();
        let mut tasks = JoinSet::new();
        queue.enqueue(batch(2)).await.unwrap();
        queue.enqueue(batch(3)).await.unwrap();
        queue.start_workers(exporter.clone(), fast_retry(), abort.clone(), &mut tasks);
        tokio::time::sleep(Duration::from_millis(20)).await;
        queue.close();
        abort.cancel();
        exporter.gate.close();
        while tasks.join_next().await.is_some() {}
        // The in-flight batch (2) fails when the gate closes and is retried into the abort; the queued one (3)
        // is counted when the worker stops.
        assert_eq!(metrics.dropped_count(DropReason::Shutdown), 5);
    }
}
