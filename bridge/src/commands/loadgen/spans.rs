//! Realistic spans, numbered: what the load generator sends.
//!
//! The shape is the one instrumented services send and the translator benches use: a resource with five
//! attributes, one scope, spans with ten attributes of mixed types (strings, ints, a double, a bool, a
//! string array), one event with two attributes, a parent, SERVER or CLIENT kind, a status. On top, every
//! span carries [`SEQ_KEY`], its sequence number, so the sink can tell which spans arrived.
//!
//! A few templates are built once; each batch reuses one of them and only rewrites the numbered fields
//! (sequence number, span, trace and parent ids), so generating costs little next to encoding. Where a
//! format allows, even encoding is done once: see [`super::prepared`].

use std::time::{SystemTime, UNIX_EPOCH};
use translators::otlp::attributes;
use translators::otlp::model::{
    any_value::Value, span::Event, span::SpanKind, status::StatusCode, AnyValue, ArrayValue,
    ExportTraceServiceRequest, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span,
    Status, SPAN_FLAGS_SAMPLED,
};

/// The attribute holding a span's sequence number (an int; Zipkin carries it as a string tag).
pub const SEQ_KEY: &str = "loadgen.seq";

/// Spans per trace: the first of every ten is the root, the others its children.
const SPANS_PER_TRACE: u64 = 10;

/// Distinct templates cycled through, so the payloads are not all alike.
pub const TEMPLATES: usize = 16;

const ROUTES: &[&str] = &[
    "/api/v1/orders/{id}",
    "/api/v1/cart",
    "/api/v1/products/{sku}/reviews",
    "/api/v1/users/{id}/addresses",
    "/healthz",
];
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE"];
const PEERS: &[&str] = &["inventory", "payments.internal", "10.0.3.17", "redis-primary"];
const FLAGS: &[&str] = &["new-checkout", "dark-mode", "fast-shipping", "beta-search"];

/// SplitMix64: a seeded, dependency-free random source.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Builds numbered batches of realistic spans.
#[derive(Clone)]
pub struct Generator {
    templates: Vec<ExportTraceServiceRequest>,
    next: usize,
    /// High half of every trace id: tells this run's traces from any other's.
    run_id: u64,
}

impl Generator {
    /// A generator of batches of `batch` spans (at least one).
    pub fn new(batch: usize, seed: u64) -> Self {
        let mut rng = Rng(seed);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        // Whole microseconds, as Jaeger and Zipkin senders produce; a minute ago, so nothing is in the future.
        let base_ns = now.saturating_sub(60) * 1_000_000_000;
        let templates = (0..TEMPLATES)
            .map(|_| {
                let spans = (0..batch.max(1)).map(|i| span(&mut rng, base_ns, i)).collect();
                ExportTraceServiceRequest {
                    resource_spans: vec![ResourceSpans {
                        resource: Some(resource()),
                        scope_spans: vec![ScopeSpans {
                            scope: Some(scope()),
                            spans,
                            schema_url: String::new(),
                        }],
                        schema_url: String::new(),
                    }],
                }
            })
            .collect();
        Generator { templates, next: 0, run_id: (rng.next() | 1) & 0x7fff_ffff_ffff_ffff }
    }

    /// Spans per batch.
    pub fn batch(&self) -> usize {
        self.templates[0].resource_spans[0].scope_spans[0].spans.len()
    }

    /// The high half of every trace id of this run.
    pub fn run_id(&self) -> u64 {
        self.run_id
    }

    /// Templates cycled through, in the order [`Generator::next_batch`] uses them.
    pub fn templates(&self) -> usize {
        self.templates.len()
    }

    /// The next batch, its spans numbered `first_seq`, `first_seq + 1`, ...
    pub fn next_batch(&mut self, first_seq: u64) -> &ExportTraceServiceRequest {
        self.next_with(|i| numbers(first_seq, i))
    }

    /// The next batch with every numbered field set to a marker ([`marker`]) instead, so an encoder's
    /// output can be searched for where each numbered field landed.
    pub fn next_marked(&mut self) -> &ExportTraceServiceRequest {
        self.next_with(|i| Numbers {
            seq: marker(Field::Seq, i),
            trace_low: marker(Field::TraceLow, i),
            span: marker(Field::Span, i),
            parent: (i as u64 % SPANS_PER_TRACE != 0).then(|| marker(Field::Parent, i)),
        })
    }

    fn next_with(&mut self, numbers: impl Fn(usize) -> Numbers) -> &ExportTraceServiceRequest {
        let index = self.next;
        self.next = (self.next + 1) % self.templates.len();
        let run_id = self.run_id;
        let request = &mut self.templates[index];
        let spans = &mut request.resource_spans[0].scope_spans[0].spans;
        for (i, span) in spans.iter_mut().enumerate() {
            let n = numbers(i);
            let mut trace_id = Vec::with_capacity(16);
            trace_id.extend_from_slice(&run_id.to_be_bytes());
            trace_id.extend_from_slice(&n.trace_low.to_be_bytes());
            span.trace_id = trace_id;
            span.span_id = n.span.to_be_bytes().to_vec();
            span.parent_span_id = n.parent.map_or_else(Vec::new, |p| p.to_be_bytes().to_vec());
            span.attributes[0].value =
                Some(AnyValue { value: Some(Value::IntValue(n.seq as i64)) });
        }
        request
    }
}

/// A numbered field of a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The [`SEQ_KEY`] attribute.
    Seq,
    /// The low half of the trace id (the high half is the run's).
    TraceLow,
    /// The span id.
    Span,
    /// The parent span id.
    Parent,
}

/// The numbered fields of one span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numbers {
    /// Sequence number.
    pub seq: u64,
    /// Low half of the trace id.
    pub trace_low: u64,
    /// Span id.
    pub span: u64,
    /// Parent span id; none for a root.
    pub parent: Option<u64>,
}

impl Numbers {
    /// The value of `field`.
    pub fn get(&self, field: Field) -> Option<u64> {
        match field {
            Field::Seq => Some(self.seq),
            Field::TraceLow => Some(self.trace_low),
            Field::Span => Some(self.span),
            Field::Parent => self.parent,
        }
    }
}

/// The numbers of the span at `index` of a batch starting at `first_seq`. Roots sit at fixed places of
/// a batch (every tenth span), so a batch's shape never changes with its numbers; a trace is named by
/// its root's sequence number, so trace and span ids are unique across the run. Ids are numbered from 1
/// (zero is no id).
pub fn numbers(first_seq: u64, index: usize) -> Numbers {
    let seq = first_seq + index as u64;
    let root = seq - index as u64 % SPANS_PER_TRACE;
    Numbers { seq, trace_low: root + 1, span: seq + 1, parent: (seq != root).then_some(root + 1) }
}

/// A value no real number takes, distinct per field and span, whose encodings are as wide as any
/// number's in every format (top bits `10`: a ten-byte zigzag varint, a 20-character decimal).
pub fn marker(field: Field, index: usize) -> u64 {
    let kind = match field {
        Field::Seq => 0,
        Field::TraceLow => 1,
        Field::Span => 2,
        Field::Parent => 3,
    };
    0x8000_0000_0000_0000 | (kind << 56) | ((index as u64 & 0xffff_ffff) << 24) | 0x00a5_c3e1
}

fn resource() -> Resource {
    Resource {
        attributes: vec![
            attributes::string("service.name", "checkout"),
            attributes::string("service.version", "2.14.1"),
            attributes::string("host.name", "ip-10-0-3-17.ec2.internal"),
            attributes::string("deployment.environment", "production"),
            attributes::int("process.pid", 48211),
        ],
        dropped_attributes_count: 0,
    }
}

fn scope() -> InstrumentationScope {
    InstrumentationScope {
        name: "io.opentelemetry.http".into(),
        version: "1.28.0".into(),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
    }
}

/// One span of a template; ids and the sequence number are set per batch.
fn span(rng: &mut Rng, base_ns: u64, i: usize) -> Span {
    let method = rng.pick(METHODS);
    let route = rng.pick(ROUTES);
    let start = base_ns + (i as u64) * 1_000_000 + rng.below(1_000) * 1_000;
    let duration = (1 + rng.below(250_000)) * 1_000;
    let status_code = 200 + 100 * (rng.below(4) as i64);
    let flags: Vec<AnyValue> = (0..3)
        .map(|_| AnyValue { value: Some(Value::StringValue(rng.pick(FLAGS).to_string())) })
        .collect();
    let attributes = vec![
        attributes::int(SEQ_KEY, 0),
        attributes::string("http.request.method", method),
        attributes::string("http.route", route),
        attributes::string(
            "url.full",
            format!("https://shop.example.com{}?page={}", route, rng.below(20)),
        ),
        attributes::string("server.address", rng.pick(PEERS)),
        attributes::int("server.port", 443),
        attributes::int("http.response.status_code", status_code),
        attributes::int("http.response.body.size", rng.below(65_536) as i64),
        attributes::double("app.cache.hit_ratio", rng.below(10_000) as f64 / 10_000.0),
        attributes::bool("app.retried", rng.below(8) == 0),
        attributes::with_value(
            "app.feature_flags",
            Value::ArrayValue(ArrayValue { values: flags }),
        ),
    ];
    let event = Event {
        time_unix_nano: start + duration / 2 / 1_000 * 1_000,
        name: "cache.lookup".into(),
        attributes: vec![
            attributes::string("cache.key", format!("order:{}", rng.below(1_000_000))),
            attributes::bool("cache.hit", rng.below(2) == 0),
        ],
        dropped_attributes_count: 0,
    };
    let status = if status_code >= 500 {
        Status { message: "upstream timed out".into(), code: StatusCode::Error as i32 }
    } else {
        Status { message: String::new(), code: StatusCode::Ok as i32 }
    };
    Span {
        trace_id: Vec::new(),
        span_id: Vec::new(),
        trace_state: String::new(),
        parent_span_id: Vec::new(),
        flags: SPAN_FLAGS_SAMPLED,
        name: format!("{method} {route}"),
        kind: if i % 2 == 0 { SpanKind::Server } else { SpanKind::Client } as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + duration,
        attributes,
        dropped_attributes_count: 0,
        events: vec![event],
        dropped_events_count: 0,
        links: Vec::new(),
        dropped_links_count: 0,
        status: Some(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use translators::otlp::attributes::get;

    #[test]
    fn batches_are_numbered_and_shaped() {
        let mut generator = Generator::new(100, 7);
        let request = generator.next_batch(1_000).clone();
        let rs = &request.resource_spans[0];
        assert_eq!(rs.resource.as_ref().map(|r| r.attributes.len()), Some(5));
        let spans = &rs.scope_spans[0].spans;
        assert_eq!(spans.len(), 100);
        for (i, span) in spans.iter().enumerate() {
            let seq = 1_000 + i as i64;
            assert_eq!(get(&span.attributes, SEQ_KEY), Some(&Value::IntValue(seq)));
            assert_eq!(span.attributes.len(), 11);
            assert_eq!(span.events.len(), 1);
            assert_eq!(span.span_id, (seq as u64 + 1).to_be_bytes());
            assert_eq!(span.parent_span_id.is_empty(), seq % 10 == 0);
        }
        // The next batch uses another template but keeps counting.
        let next = generator.next_batch(1_100);
        let first = &next.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(get(&first.attributes, SEQ_KEY), Some(&Value::IntValue(1_100)));
    }
}
