//! A deterministic generator of realistic trace batches, shared by the benches and the tests.
//!
//! The shape follows what instrumented services really send: a resource with five attributes
//! (`service.name` first), one instrumentation scope, and spans with ten attributes of mixed
//! types, one event with two attributes, a parent, a SERVER or CLIENT kind and a status.
//! Senders batch, so a request usually holds 100 spans.

use translators::otlp::attributes;
use translators::otlp::model::{
    any_value::Value, span::Event, span::SpanKind, status::StatusCode, AnyValue, ArrayValue,
    ExportTraceServiceRequest, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span,
    Status, SPAN_FLAGS_SAMPLED,
};

/// Spans per request in the benches, as real senders batch them.
pub const BATCH: usize = 100;

/// A small seeded random source (SplitMix64): deterministic and dependency-free.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A source seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `len` random bytes, never all zero (ids must not be zero).
    pub fn id(&mut self, len: usize) -> Vec<u8> {
        let mut out: Vec<u8> = (0..len).map(|_| self.next_u64() as u8).collect();
        if out.iter().all(|b| *b == 0) {
            out[len - 1] = 1;
        }
        out
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

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

/// 2025-11-25T00:00:00Z in ns: a plausible "now".
const BASE_NS: u64 = 1_764_028_800_000_000_000;

/// The resource every span of a generated batch shares.
pub fn resource() -> Resource {
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

/// The one instrumentation scope of a generated batch.
pub fn scope() -> InstrumentationScope {
    InstrumentationScope {
        name: "io.opentelemetry.http".into(),
        version: "1.28.0".into(),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
    }
}

/// One realistic span. Times are whole microseconds, as Jaeger and Zipkin senders produce.
pub fn span(rng: &mut Rng, trace_id: &[u8], i: usize) -> Span {
    let method = rng.pick(METHODS);
    let route = rng.pick(ROUTES);
    let server = i % 2 == 0;
    let start = BASE_NS + (i as u64) * 1_000_000 + rng.below(1_000) * 1_000;
    let duration = (1 + rng.below(250_000)) * 1_000;
    let status_code = 200 + 100 * (rng.below(4) as i64);
    let error = status_code >= 500;
    let flags: Vec<AnyValue> = (0..3)
        .map(|_| AnyValue { value: Some(Value::StringValue(rng.pick(FLAGS).to_string())) })
        .collect();
    let attributes = vec![
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
    let status = if error {
        Status { message: "upstream timed out".into(), code: StatusCode::Error as i32 }
    } else {
        Status { message: String::new(), code: StatusCode::Ok as i32 }
    };
    Span {
        trace_id: trace_id.to_vec(),
        span_id: rng.id(8),
        trace_state: String::new(),
        parent_span_id: rng.id(8),
        flags: SPAN_FLAGS_SAMPLED,
        name: format!("{method} {route}"),
        kind: if server { SpanKind::Server } else { SpanKind::Client } as i32,
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

/// A request of `spans` realistic spans from one service and scope, ten spans per trace.
pub fn request(seed: u64, spans: usize) -> ExportTraceServiceRequest {
    let mut rng = Rng::new(seed);
    let mut trace_id = rng.id(16);
    let spans = (0..spans)
        .map(|i| {
            if i > 0 && i % 10 == 0 {
                trace_id = rng.id(16);
            }
            span(&mut rng, &trace_id, i)
        })
        .collect();
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
}
