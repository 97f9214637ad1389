//! The `batch` processor: gathers requests into larger batches, sent on by size or after a timeout, as the
//! Collector's `batch` processor does.
//!
//! - `consume` appends the request to a buffer and returns as soon as it is there, so the sender is answered
//!   before the batch goes on. When the buffer holds `send_batch_size` spans, a sender task passes batches to
//!   the next stage (split to at most `send_batch_max_size` spans when that is set); the same task passes on
//!   whatever is buffered every `timeout`; [`Consumer::flush`] (at shutdown) passes on the rest, and requests
//!   that still arrive after it go straight on. Spans still buffered when `stop` ends the sender task without
//!   a flush are counted as dropped (reason `shutdown`).
//! - The buffer is bounded to twice the batch size (see [`BatchConfig::buffer_limit`]). While the next stage
//!   is blocked (exporter queues full) and the buffer is at its bound, `consume` waits for room, so
//!   backpressure still reaches the sender; it gives up with `ShuttingDown` if the service stops meanwhile.
//!   A request larger than the bound is still taken when the buffer is empty.
//! - If the next stage refuses a batch, its senders were already told "accepted": the spans are counted as
//!   dropped (reason after the refusal: `queue_full`, `memory_limit`, `shutdown`) and a warning is logged, as
//!   the Collector does. The exporter queues in `block` mode already wait `block_timeout` before refusing.
//! - Requests are merged by concatenating their `ResourceSpans`; a request split by `send_batch_max_size`
//!   keeps its resource and scope on both sides.

use crate::config::duration::ConfigDuration;
use crate::error::PipelineError;
use crate::pipeline::{span_count, Consumer, Traces};
use crate::telemetry::metrics::{ComponentMetrics, DropReason};
use async_trait::async_trait;
use serde::{Deserialize, Deserializer};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use translators::otlp::model::{ResourceSpans, ScopeSpans};

/// Settings of the `batch` processor.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields, default)]
pub struct BatchConfig {
    /// Spans after which a batch is sent regardless of the timeout (a trigger, not a cap). `0` sends by
    /// timeout only. Default `8192`.
    pub send_batch_size: usize,
    /// Largest batch sent, in spans; bigger ones are split. `0` means no limit. Must be `0` or at least
    /// `send_batch_size`. Default `0`.
    pub send_batch_max_size: usize,
    /// Time after which what is buffered is sent regardless of size. `0s` sends every request at once (still
    /// split by `send_batch_max_size`). Default `200ms`.
    pub timeout: ConfigDuration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            send_batch_size: 8192,
            send_batch_max_size: 0,
            timeout: ConfigDuration::millis(200),
        }
    }
}

impl<'de> Deserialize<'de> for BatchConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let config = BatchConfig::deserialize(deserializer)?;
        config.check().map_err(serde::de::Error::custom)?;
        Ok(config)
    }
}

impl BatchConfig {
    /// The Collector's check: `send_batch_max_size` is `0` or at least `send_batch_size`.
    pub fn check(&self) -> Result<(), String> {
        if self.send_batch_max_size != 0 && self.send_batch_max_size < self.send_batch_size {
            return Err(format!(
                "`send_batch_max_size` ({}) must be 0 or at least `send_batch_size` ({})",
                self.send_batch_max_size, self.send_batch_size
            ));
        }
        Ok(())
    }

    /// Spans the buffer holds before `consume` waits: twice the larger of the two sizes (twice the default
    /// batch size when both are `0`).
    pub fn buffer_limit(&self) -> usize {
        let size = self.send_batch_size.max(self.send_batch_max_size);
        2 * if size == 0 { BatchConfig::default().send_batch_size } else { size }
    }
}

#[derive(Default)]
struct Buffer {
    requests: VecDeque<Traces>,
    spans: usize,
    /// Set by `flush` (under the same lock as the pushes, so nothing is pushed after the last drain).
    flushed: bool,
}

/// What became of a request offered to the buffer.
enum Push {
    /// In the buffer; `true` when a batch is ready to go.
    Buffered(bool),
    /// No room yet.
    Full,
    /// The shutdown flush happened: nothing will send the buffer any more.
    Flushed,
}

/// The processor. Built by [`build`], which also starts its sender task.
pub struct BatchProcessor {
    config: BatchConfig,
    limit: usize,
    buffer: Mutex<Buffer>,
    /// Wakes the sender task: a batch is full (or `timeout` is zero).
    full: Notify,
    /// Wakes senders waiting for room in the buffer.
    room: Notify,
    /// One batch on its way at a time, so batches leave in order.
    sending: tokio::sync::Mutex<()>,
    next: Arc<dyn Consumer>,
    metrics: Arc<ComponentMetrics>,
    stop: CancellationToken,
}

impl BatchProcessor {
    /// Spans waiting in the buffer.
    pub fn buffered_spans(&self) -> usize {
        self.buffer.lock().unwrap_or_else(|e| e.into_inner()).spans
    }

    /// Appends `traces` if there is room (taking it out of the option).
    fn try_push(&self, traces: &mut Option<Traces>, n: usize) -> Push {
        let mut buffer = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        if buffer.flushed {
            return Push::Flushed;
        }
        if buffer.spans != 0 && buffer.spans + n > self.limit {
            return Push::Full;
        }
        buffer.requests.extend(traces.take());
        buffer.spans += n;
        let size = self.config.send_batch_size;
        Push::Buffered(self.config.timeout.0.is_zero() || (size > 0 && buffer.spans >= size))
    }

    /// Takes the next batch out of the buffer: everything when `all`, else only once `send_batch_size` is
    /// reached; at most `send_batch_max_size` spans, and at most `budget` (so a timer flush under steady load
    /// ends).
    fn take_batch(&self, all: bool, budget: usize) -> Option<(Traces, usize)> {
        let mut buffer = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        let size = self.config.send_batch_size;
        let ready = all || (size > 0 && buffer.spans >= size);
        if buffer.spans == 0 || budget == 0 || !ready {
            return None;
        }
        let mut want = buffer.spans.min(budget);
        if self.config.send_batch_max_size > 0 {
            want = want.min(self.config.send_batch_max_size);
        }
        let mut batch = Traces::default();
        let mut taken = 0;
        while taken < want {
            let Some(mut front) = buffer.requests.pop_front() else { break };
            let n = span_count(&front);
            if taken + n <= want {
                // Whole requests join as bytes when no stage needed their spans yet.
                batch.append(front);
                taken += n;
            } else {
                let head = split_front(&mut front, want - taken);
                batch.append(head);
                taken = want;
                buffer.requests.push_front(front);
            }
        }
        buffer.spans -= taken;
        Some((batch, taken))
    }

    /// Sends ready batches (all buffered spans when `all`) to the next stage, one at a time.
    async fn send_ready(&self, all: bool) {
        let _one_at_a_time = self.sending.lock().await;
        let mut budget = if all {
            self.buffer.lock().unwrap_or_else(|e| e.into_inner()).spans
        } else {
            usize::MAX
        };
        while let Some((batch, n)) = self.take_batch(all, budget) {
            budget = budget.saturating_sub(n);
            self.room.notify_waiters();
            self.send(batch, n).await;
        }
    }

    async fn send(&self, batch: Traces, n: usize) {
        match self.next.consume(batch).await {
            Ok(()) => ComponentMetrics::add(&self.metrics.accepted, n as u64),
            Err(error) => {
                // The senders were already answered; all we can do is count and say so.
                let reason = match error {
                    PipelineError::QueueFull(_) | PipelineError::QueueTimeout(_) => {
                        DropReason::QueueFull
                    }
                    PipelineError::MemoryLimit(_) => DropReason::MemoryLimit,
                    PipelineError::ShuttingDown => DropReason::Shutdown,
                };
                self.metrics.dropped(reason, n as u64);
                tracing::warn!(
                    processor = self.metrics.id(),
                    spans = n,
                    %error,
                    "batch refused by the next stage; its spans are dropped"
                );
            }
        }
    }

    /// The sender task: batches by size when woken, everything every `timeout`; ends with `stop`.
    async fn run(self: Arc<Self>) {
        let timeout = self.config.timeout.0;
        let mut ticks = tokio::time::interval(if timeout.is_zero() {
            std::time::Duration::from_secs(3600)
        } else {
            timeout
        });
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await; // the first tick is immediate
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => break,
                _ = self.full.notified() => self.send_ready(timeout.is_zero()).await,
                _ = ticks.tick(), if !timeout.is_zero() => self.send_ready(true).await,
            }
        }
        // Normally `flush` emptied the buffer before `stop`; whatever is left now is lost, and counted.
        let left = {
            let mut buffer = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
            buffer.flushed = true; // later requests pass straight on
            buffer.requests.clear();
            std::mem::take(&mut buffer.spans)
        };
        if left > 0 {
            self.metrics.dropped(DropReason::Shutdown, left as u64);
            tracing::warn!(
                processor = self.metrics.id(),
                spans = left,
                "batch buffer dropped at shutdown"
            );
        }
    }
}

/// Moves the first `n` spans of `traces` into a new request; resources and scopes cut in two are copied.
fn split_front(traces: &mut Traces, n: usize) -> Traces {
    let mut head = Traces::default();
    let mut left = n;
    while left > 0 && !traces.resource_spans.is_empty() {
        let rs = &mut traces.resource_spans[0];
        let rs_spans: usize = rs.scope_spans.iter().map(|s| s.spans.len()).sum();
        if rs_spans <= left {
            left -= rs_spans;
            head.resource_spans.push(traces.resource_spans.remove(0));
            continue;
        }
        let mut part = ResourceSpans {
            resource: rs.resource.clone(),
            scope_spans: Vec::new(),
            schema_url: rs.schema_url.clone(),
        };
        while left > 0 {
            let ss = &mut rs.scope_spans[0];
            if ss.spans.len() <= left {
                left -= ss.spans.len();
                part.scope_spans.push(rs.scope_spans.remove(0));
            } else {
                part.scope_spans.push(ScopeSpans {
                    scope: ss.scope.clone(),
                    spans: ss.spans.drain(..left).collect(),
                    schema_url: ss.schema_url.clone(),
                });
                left = 0;
            }
        }
        head.resource_spans.push(part);
    }
    head
}

#[async_trait]
impl Consumer for BatchProcessor {
    async fn consume(&self, traces: Traces) -> Result<(), PipelineError> {
        let n = span_count(&traces);
        if n == 0 {
            return Ok(());
        }
        let mut traces = Some(traces);
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable(); // registered before the check, so a wake-up in between is not lost
            match self.try_push(&mut traces, n) {
                Push::Buffered(ready) => {
                    if ready {
                        self.full.notify_one();
                    }
                    return Ok(());
                }
                Push::Flushed => {
                    // After the shutdown flush nothing would send the buffer: pass straight on.
                    let Some(traces) = traces.take() else { return Ok(()) };
                    let result = self.next.consume(traces).await;
                    let counter =
                        if result.is_ok() { &self.metrics.accepted } else { &self.metrics.refused };
                    ComponentMetrics::add(counter, n as u64);
                    return result;
                }
                Push::Full => {}
            }
            tokio::select! {
                _ = &mut room => {}
                _ = self.stop.cancelled() => {
                    ComponentMetrics::add(&self.metrics.refused, n as u64);
                    return Err(PipelineError::ShuttingDown);
                }
            }
        }
    }

    async fn flush(&self) {
        self.buffer.lock().unwrap_or_else(|e| e.into_inner()).flushed = true;
        self.room.notify_waiters();
        self.send_ready(true).await;
    }
}

/// Builds the stage in front of `next` and starts its sender task (it ends when `stop` is cancelled).
pub fn build(
    config: &BatchConfig,
    next: Arc<dyn Consumer>,
    metrics: Arc<ComponentMetrics>,
    stop: CancellationToken,
) -> Arc<dyn Consumer> {
    start(config, next, metrics, stop)
}

/// [`build`], returning the processor itself.
pub fn start(
    config: &BatchConfig,
    next: Arc<dyn Consumer>,
    metrics: Arc<ComponentMetrics>,
    stop: CancellationToken,
) -> Arc<BatchProcessor> {
    let processor = Arc::new(BatchProcessor {
        config: config.clone(),
        limit: config.buffer_limit(),
        buffer: Mutex::new(Buffer::default()),
        full: Notify::new(),
        room: Notify::new(),
        sending: tokio::sync::Mutex::new(()),
        next,
        metrics,
        stop,
    });
    tokio::spawn(processor.clone().run());
    processor
}

/// A recording next stage and request builders for the processors' tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use translators::otlp::model::{any_value, AnyValue, KeyValue, Resource, Span};

    /// Records what it is given; can refuse, or block until released.
    #[derive(Default)]
    pub struct Recorder {
        pub received: Mutex<Vec<Traces>>,
        pub refuse: Mutex<Option<PipelineError>>,
        /// Held for writing by a test to block `consume`.
        pub gate: tokio::sync::RwLock<()>,
    }

    impl Recorder {
        /// The requests received so far.
        pub fn requests(&self) -> Vec<Traces> {
            self.received.lock().unwrap().clone()
        }
        /// Span names of every request received, per request.
        pub fn names(&self) -> Vec<Vec<String>> {
            self.requests().iter().map(names).collect()
        }
    }

    #[async_trait]
    impl Consumer for Recorder {
        async fn consume(&self, traces: Traces) -> Result<(), PipelineError> {
            let _open = self.gate.read().await;
            if let Some(error) = self.refuse.lock().unwrap().clone() {
                return Err(error);
            }
            self.received.lock().unwrap().push(traces);
            Ok(())
        }
    }

    /// A string attribute.
    pub fn attr(key: &str, value: any_value::Value) -> KeyValue {
        KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }) }
    }

    /// A request from `service` with one scope holding spans named `names`.
    pub fn request(service: &str, names: &[&str]) -> Traces {
        Traces::from(translators::otlp::model::ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![attr(
                        "service.name",
                        any_value::Value::StringValue(service.into()),
                    )],
                    dropped_attributes_count: 0,
                }),
                scope_spans: vec![ScopeSpans {
                    scope: None,
                    spans: names
                        .iter()
                        .map(|n| Span {
                            name: (*n).into(),
                            span_id: vec![1; 8],
                            ..Default::default()
                        })
                        .collect(),
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        })
    }

    /// Span names in order.
    pub fn names(traces: &Traces) -> Vec<String> {
        traces
            .resource_spans
            .iter()
            .flat_map(|r| r.scope_spans.iter())
            .flat_map(|s| s.spans.iter())
            .map(|s| s.name.clone())
            .collect()
    }

    /// Polls `condition` for up to two seconds.
    pub async fn eventually(mut condition: impl FnMut() -> bool) -> bool {
        for _ in 0..200 {
            if condition() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use crate::processors::ProcessorConfig;
    use crate::telemetry::metrics::{Kind, Registry};
    use std::time::Duration;

    type Setup = (Arc<BatchProcessor>, Arc<Recorder>, Arc<ComponentMetrics>, CancellationToken);

    fn setup(config: BatchConfig) -> Setup {
        let recorder = Arc::new(Recorder::default());
        let metrics = Registry::new().component(Kind::Processor, "batch");
        let stop = CancellationToken::new();
        let batch = start(&config, recorder.clone(), metrics.clone(), stop.clone());
        (batch, recorder, metrics, stop)
    }

    fn config(size: usize, max: usize, timeout: Duration) -> BatchConfig {
        BatchConfig {
            send_batch_size: size,
            send_batch_max_size: max,
            timeout: ConfigDuration(timeout),
        }
    }

    #[tokio::test]
    async fn sends_when_the_size_is_reached_and_flushes_the_rest() {
        let (batch, recorder, metrics, stop) = setup(config(4, 0, Duration::from_secs(60)));
        batch.consume(request("a", &["a1", "a2"])).await.unwrap();
        batch.consume(request("b", &["b1"])).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(recorder.requests().is_empty(), "3 spans < send_batch_size 4");
        batch.consume(request("c", &["c1", "c2"])).await.unwrap();
        assert!(eventually(|| recorder.requests().len() == 1).await);
        // One batch of all 5 spans (the size is a trigger, not a cap), requests merged in order.
        assert_eq!(recorder.names(), vec![vec!["a1", "a2", "b1", "c1", "c2"]]);
        let services: Vec<_> = recorder.requests()[0]
            .resource_spans
            .iter()
            .map(|r| r.resource.as_ref().unwrap().attributes[0].clone())
            .collect();
        assert_eq!(services.len(), 3);
        batch.consume(request("d", &["d1"])).await.unwrap();
        batch.flush().await;
        assert_eq!(recorder.names()[1], vec!["d1"]);
        assert_eq!(ComponentMetrics::get(&metrics.accepted), 6);
        stop.cancel();
    }

    #[tokio::test]
    async fn splits_batches_larger_than_the_max_size_keeping_resources() {
        let (batch, recorder, metrics, stop) = setup(config(3, 3, Duration::from_secs(60)));
        let mut two_scopes = request("svc", &["s1", "s2", "s3", "s4"]);
        let mut second = two_scopes.resource_spans[0].scope_spans[0].clone();
        second.spans.iter_mut().for_each(|s| s.name = format!("t{}", &s.name[1..]));
        second.scope = Some(Default::default());
        second.scope.as_mut().unwrap().name = "lib2".into();
        two_scopes.resource_spans[0].scope_spans.push(second);
        batch.consume(two_scopes).await.unwrap();
        assert!(eventually(|| recorder.requests().len() == 2).await);
        batch.flush().await;
        assert_eq!(
            recorder.names(),
            vec![vec!["s1", "s2", "s3"], vec!["s4", "t1", "t2"], vec!["t3", "t4"]]
        );
        for request in recorder.requests() {
            let resource = request.resource_spans[0].resource.as_ref().unwrap();
            assert_eq!(
                resource.attributes[0].key, "service.name",
                "every piece keeps its resource"
            );
        }
        let last = &recorder.requests()[2].resource_spans[0].scope_spans[0];
        assert_eq!(last.scope.as_ref().unwrap().name, "lib2", "a split scope keeps its scope");
        assert_eq!(ComponentMetrics::get(&metrics.accepted), 8);
        stop.cancel();
    }

    #[tokio::test]
    async fn the_timer_sends_a_partial_batch() {
        let (batch, recorder, _metrics, stop) = setup(config(100, 0, Duration::from_millis(50)));
        batch.consume(request("a", &["a1"])).await.unwrap();
        assert!(eventually(|| recorder.requests().len() == 1).await, "sent by the 50ms timer");
        assert_eq!(recorder.names(), vec![vec!["a1"]]);
        stop.cancel();
    }

    #[tokio::test]
    async fn a_zero_timeout_sends_each_request_at_once() {
        let (batch, recorder, _metrics, stop) = setup(config(100, 0, Duration::ZERO));
        batch.consume(request("a", &["a1"])).await.unwrap();
        assert!(eventually(|| recorder.requests().len() == 1).await);
        stop.cancel();
    }

    #[tokio::test]
    async fn a_refused_batch_is_counted_as_dropped() {
        let (batch, recorder, metrics, stop) = setup(config(100, 0, Duration::from_secs(60)));
        *recorder.refuse.lock().unwrap() = Some(PipelineError::QueueFull("otlp".into()));
        batch.consume(request("a", &["a1", "a2"])).await.expect("taken into the buffer");
        batch.flush().await;
        assert_eq!(metrics.dropped_count(DropReason::QueueFull), 2);
        assert_eq!(ComponentMetrics::get(&metrics.accepted), 0);
        stop.cancel();
    }

    #[tokio::test]
    async fn a_full_buffer_makes_senders_wait_while_the_next_stage_is_blocked() {
        let (batch, recorder, metrics, stop) = setup(config(2, 0, Duration::from_secs(60)));
        let blocked = recorder.gate.write().await;
        batch.consume(request("a", &["a1", "a2"])).await.unwrap(); // taken by the sender task, which blocks
        assert!(eventually(|| metrics_buffered(&batch) == 0).await);
        batch.consume(request("b", &["b1", "b2", "b3", "b4"])).await.unwrap(); // fills the bound (4)
        let waiting = {
            let batch = batch.clone();
            tokio::spawn(async move { batch.consume(request("c", &["c1"])).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "no room: the sender waits");
        drop(blocked);
        waiting.await.unwrap().unwrap();
        batch.flush().await;
        let all: Vec<String> = recorder.names().concat();
        assert_eq!(all, vec!["a1", "a2", "b1", "b2", "b3", "b4", "c1"]);
        assert_eq!(ComponentMetrics::get(&metrics.accepted), 7);
        stop.cancel();
    }

    #[tokio::test]
    async fn a_waiting_sender_is_refused_at_shutdown() {
        let (batch, recorder, metrics, stop) = setup(config(2, 0, Duration::from_secs(60)));
        let _blocked = recorder.gate.write().await;
        batch.consume(request("a", &["a1", "a2"])).await.unwrap();
        assert!(eventually(|| metrics_buffered(&batch) == 0).await);
        batch.consume(request("b", &["b1", "b2", "b3", "b4"])).await.unwrap();
        let waiting = {
            let batch = batch.clone();
            tokio::spawn(async move { batch.consume(request("c", &["c1"])).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.cancel();
        assert_eq!(waiting.await.unwrap(), Err(PipelineError::ShuttingDown));
        assert_eq!(ComponentMetrics::get(&metrics.refused), 1);
    }

    #[tokio::test]
    async fn after_the_flush_requests_pass_straight_on() {
        let (batch, recorder, metrics, stop) = setup(config(100, 0, Duration::from_secs(60)));
        batch.consume(request("a", &["a1"])).await.unwrap();
        batch.flush().await;
        assert_eq!(recorder.names(), vec![vec!["a1"]]);
        batch.consume(request("b", &["b1"])).await.unwrap();
        assert_eq!(
            recorder.names(),
            vec![vec!["a1"], vec!["b1"]],
            "not left in a buffer nobody sends"
        );
        assert_eq!(ComponentMetrics::get(&metrics.accepted), 2);
        stop.cancel();
    }

    #[tokio::test]
    async fn what_is_left_when_stopped_without_a_flush_is_counted() {
        let (batch, recorder, metrics, stop) = setup(config(100, 0, Duration::from_secs(60)));
        batch.consume(request("a", &["a1", "a2"])).await.unwrap();
        stop.cancel();
        assert!(eventually(|| metrics.dropped_count(DropReason::Shutdown) == 2).await);
        assert_eq!(metrics_buffered(&batch), 0);
        batch.consume(request("b", &["b1"])).await.unwrap();
        assert_eq!(recorder.names(), vec![vec!["b1"]]);
    }

    fn metrics_buffered(batch: &BatchProcessor) -> usize {
        batch.buffered_spans()
    }

    #[test]
    fn config_defaults_and_checks() {
        let parsed =
            ProcessorConfig::parse("batch", serde_json::json!({}), "processors.batch").unwrap();
        let ProcessorConfig::Batch(config) = parsed else { panic!() };
        assert_eq!(config, BatchConfig::default());
        assert_eq!((config.send_batch_size, config.send_batch_max_size), (8192, 0));
        assert_eq!(config.timeout.0, Duration::from_millis(200));
        assert_eq!(config.buffer_limit(), 16384);
        let parsed = ProcessorConfig::parse(
            "batch",
            serde_json::json!({"send_batch_size": 100, "timeout": "1s"}),
            "processors.batch",
        )
        .unwrap();
        let ProcessorConfig::Batch(config) = parsed else { panic!() };
        assert_eq!((config.send_batch_size, config.timeout.0), (100, Duration::from_secs(1)));
        let problem = ProcessorConfig::parse(
            "batch",
            serde_json::json!({"send_batch_size": 100, "send_batch_max_size": 10}),
            "processors.batch",
        )
        .unwrap_err();
        assert_eq!(problem.path, "processors.batch");
        assert!(problem.message.contains("send_batch_max_size"), "{}", problem.message);
        let problem = ProcessorConfig::parse(
            "batch",
            serde_json::json!({"send_batch_sise": 100}),
            "processors.batch",
        )
        .unwrap_err();
        assert!(problem.message.contains("did you mean `send_batch_size`"), "{}", problem.message);
    }
}
