//! Self-metrics: the same counters for every component, rendered as Prometheus text on the admin port.
//!
//! Names follow the Collector's `otelcol_*` families, prefixed `otelbridge_` and labelled with the component
//! kind and id the way Vector labels `component_*` metrics, so one dashboard covers every component.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What kind of component a set of counters belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Takes data off the wire.
    Receiver,
    /// Transforms data inside a pipeline.
    Processor,
    /// Sends data to a backend.
    Exporter,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Receiver => "receiver",
            Kind::Processor => "processor",
            Kind::Exporter => "exporter",
        }
    }
}

/// Why items were dropped. A fixed list so every drop is counted under a reason a dashboard knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The item itself was invalid (bad id, negative duration, undecodable body).
    Malformed,
    /// A size limit was exceeded (body, decompressed body, spans per request, UDP packet).
    TooLarge,
    /// A bounded queue or buffer was full and its policy is `drop_newest`.
    QueueFull,
    /// The memory limiter refused the data.
    MemoryLimit,
    /// The backend answered with a permanent error; retrying cannot help.
    Permanent,
    /// Retries ran out (max elapsed time) on a retryable error.
    RetriesExhausted,
    /// The data was still queued when the shutdown timeout ran out.
    Shutdown,
    /// The format cannot carry this kind of data (e.g. UDP `emitZipkinBatch`).
    Unsupported,
    /// The data is older than the store's retention: it would be deleted at once.
    Expired,
}

const DROP_REASONS: [DropReason; 9] = [
    DropReason::Malformed,
    DropReason::TooLarge,
    DropReason::QueueFull,
    DropReason::MemoryLimit,
    DropReason::Permanent,
    DropReason::RetriesExhausted,
    DropReason::Shutdown,
    DropReason::Unsupported,
    DropReason::Expired,
];

impl DropReason {
    /// The label value used in `/metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Malformed => "malformed",
            DropReason::TooLarge => "too_large",
            DropReason::QueueFull => "queue_full",
            DropReason::MemoryLimit => "memory_limit",
            DropReason::Permanent => "permanent_error",
            DropReason::RetriesExhausted => "retries_exhausted",
            DropReason::Shutdown => "shutdown",
            DropReason::Unsupported => "unsupported",
            DropReason::Expired => "expired",
        }
    }
    fn index(self) -> usize {
        DROP_REASONS.iter().position(|r| *r == self).unwrap_or(0)
    }
}

/// The counters of one component (one receiver transport, processor or exporter).
#[derive(Debug)]
pub struct ComponentMetrics {
    kind: Kind,
    id: String,
    transport: String,
    /// Items (spans) taken off the wire, before any check.
    pub received: AtomicU64,
    /// Items handed on to the next stage.
    pub accepted: AtomicU64,
    /// Items the next stage refused (backpressure); the sender was told to retry.
    pub refused: AtomicU64,
    /// Items an exporter delivered.
    pub sent: AtomicU64,
    /// Items an exporter failed to deliver (each failed attempt counts the batch once).
    pub send_failed: AtomicU64,
    /// Bytes read off the wire (after decompression for HTTP bodies: what the decoder saw).
    pub bytes_in: AtomicU64,
    /// Bytes written to the wire (request bodies, before compression).
    pub bytes_out: AtomicU64,
    /// Requests or datagrams that could not be read at all.
    pub errors: AtomicU64,
    dropped: [AtomicU64; DROP_REASONS.len()],
    queue_size: AtomicU64,
    queue_capacity: AtomicU64,
}

impl ComponentMetrics {
    fn new(kind: Kind, id: String, transport: String) -> Self {
        ComponentMetrics {
            kind,
            id,
            transport,
            received: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            send_failed: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            dropped: Default::default(),
            queue_size: AtomicU64::new(0),
            queue_capacity: AtomicU64::new(0),
        }
    }

    /// The component id as configured (`jaeger`, `otlp/backend`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts `n` items dropped for `reason`.
    pub fn dropped(&self, reason: DropReason, n: u64) {
        self.dropped[reason.index()].fetch_add(n, Ordering::Relaxed);
    }

    /// Items dropped so far for `reason`.
    pub fn dropped_count(&self, reason: DropReason) -> u64 {
        self.dropped[reason.index()].load(Ordering::Relaxed)
    }

    /// Records the current queue length and capacity (exporters only).
    pub fn set_queue(&self, size: u64, capacity: u64) {
        self.queue_size.store(size, Ordering::Relaxed);
        self.queue_capacity.store(capacity, Ordering::Relaxed);
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Gauge families a part of the service reads from its own state when `/metrics` is scraped (the store's
/// partitions and documents), rather than counting as it goes.
pub trait GaugeSource: Send + Sync + std::fmt::Debug {
    /// Appends whole families (`# HELP`, `# TYPE`, samples) to `out`.
    fn render(&self, out: &mut String);
}

/// Every component's counters, shared by the running service and the admin endpoint.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    components: Arc<Mutex<Vec<Arc<ComponentMetrics>>>>,
    sources: Arc<Mutex<Vec<Arc<dyn GaugeSource>>>>,
}

impl Registry {
    /// A new, empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The counters of one processor or exporter, created on first use.
    pub fn component(&self, kind: Kind, id: &str) -> Arc<ComponentMetrics> {
        self.transport(kind, id, "")
    }

    /// The counters of one transport of a receiver (`jaeger` receiver, `thrift_compact` transport), created on
    /// first use. The transport becomes a `transport` label, as in the Collector's receiver metrics.
    pub fn transport(&self, kind: Kind, id: &str, transport: &str) -> Arc<ComponentMetrics> {
        let mut components = self.components.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) =
            components.iter().find(|c| c.kind == kind && c.id == id && c.transport == transport)
        {
            return existing.clone();
        }
        let created = Arc::new(ComponentMetrics::new(kind, id.to_string(), transport.to_string()));
        components.push(created.clone());
        created
    }

    /// Adds gauge families rendered at each scrape. Each family must come from one source only.
    pub fn add_source(&self, source: Arc<dyn GaugeSource>) {
        self.sources.lock().unwrap_or_else(|e| e.into_inner()).push(source);
    }

    /// Prometheus text exposition (format 0.0.4) of every counter.
    pub fn render(&self) -> String {
        let components = self.components.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut out = String::with_capacity(4096);
        type Pick = fn(&ComponentMetrics) -> u64;
        let families: [(&str, &str, &str, &[Kind], Pick); 10] = [
            (
                "otelbridge_component_received_items_total",
                "counter",
                "Items (spans) taken off the wire.",
                &[Kind::Receiver],
                |c| ComponentMetrics::get(&c.received),
            ),
            (
                "otelbridge_component_accepted_items_total",
                "counter",
                "Items handed on to the next stage.",
                &[Kind::Receiver, Kind::Processor],
                |c| ComponentMetrics::get(&c.accepted),
            ),
            (
                "otelbridge_component_refused_items_total",
                "counter",
                "Items the next stage refused; the sender was asked to retry.",
                &[Kind::Receiver, Kind::Processor],
                |c| ComponentMetrics::get(&c.refused),
            ),
            (
                "otelbridge_component_sent_items_total",
                "counter",
                "Items delivered to a backend.",
                &[Kind::Exporter],
                |c| ComponentMetrics::get(&c.sent),
            ),
            (
                "otelbridge_component_send_failed_items_total",
                "counter",
                "Items in failed send attempts.",
                &[Kind::Exporter],
                |c| ComponentMetrics::get(&c.send_failed),
            ),
            (
                "otelbridge_component_received_bytes_total",
                "counter",
                "Bytes read off the wire.",
                &[Kind::Receiver],
                |c| ComponentMetrics::get(&c.bytes_in),
            ),
            (
                "otelbridge_component_sent_bytes_total",
                "counter",
                "Bytes written to the wire.",
                &[Kind::Exporter],
                |c| ComponentMetrics::get(&c.bytes_out),
            ),
            (
                "otelbridge_component_errors_total",
                "counter",
                "Requests or datagrams that could not be read or sent at all.",
                &[Kind::Receiver, Kind::Exporter],
                |c| ComponentMetrics::get(&c.errors),
            ),
            (
                "otelbridge_exporter_queue_size",
                "gauge",
                "Batches waiting in the exporter's queue.",
                &[Kind::Exporter],
                |c| c.queue_size.load(Ordering::Relaxed),
            ),
            (
                "otelbridge_exporter_queue_capacity",
                "gauge",
                "Capacity of the exporter's queue, in batches.",
                &[Kind::Exporter],
                |c| c.queue_capacity.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, kinds, pick) in families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for c in components.iter().filter(|c| kinds.contains(&c.kind)) {
                let _ = writeln!(out, "{name}{{{}}} {}", labels(c), pick(c));
            }
        }
        let name = "otelbridge_component_dropped_items_total";
        let _ = writeln!(out, "# HELP {name} Items dropped, by reason.\n# TYPE {name} counter");
        for c in components.iter() {
            for reason in DROP_REASONS {
                let n = c.dropped_count(reason);
                let _ = writeln!(out, "{name}{{{},reason=\"{}\"}} {n}", labels(c), reason.as_str());
            }
        }
        let sources = self.sources.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for source in sources {
            source.render(&mut out);
        }
        out
    }
}

fn labels(c: &ComponentMetrics) -> String {
    let mut labels =
        format!("component_kind=\"{}\",component_id=\"{}\"", c.kind.as_str(), escape_label(&c.id));
    if !c.transport.is_empty() {
        let _ = write!(labels, ",transport=\"{}\"", escape_label(&c.transport));
    }
    labels
}

/// `value` escaped for a label value (backslash, quote, line feed).
pub fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_family_once_with_component_labels() {
        let registry = Registry::new();
        let r = registry.transport(Kind::Receiver, "jaeger", "thrift_compact");
        ComponentMetrics::add(&r.received, 7);
        r.dropped(DropReason::QueueFull, 2);
        let e = registry.component(Kind::Exporter, "otlp");
        e.set_queue(3, 1000);
        assert!(Arc::ptr_eq(&r, &registry.transport(Kind::Receiver, "jaeger", "thrift_compact")));
        let text = registry.render();
        assert!(text.contains("otelbridge_component_received_items_total{component_kind=\"receiver\",component_id=\"jaeger\",transport=\"thrift_compact\"} 7\n"), "{text}");
        assert!(text.contains("otelbridge_component_dropped_items_total{component_kind=\"receiver\",component_id=\"jaeger\",transport=\"thrift_compact\",reason=\"queue_full\"} 2\n"));
        assert!(text.contains("otelbridge_exporter_queue_capacity{component_kind=\"exporter\",component_id=\"otlp\"} 1000\n"));
        assert_eq!(
            text.matches("# TYPE otelbridge_component_received_items_total counter").count(),
            1
        );
    }
}
