//! The embedded store on its own: what goes in comes out unchanged, searches find what they should and only
//! that, a reopened store still has everything committed, and retention drops whole old partitions.

use otelbridge::store::partitions::{Granularity, PartitionRange};
use otelbridge::store::query::{DependencyLink, Operation, SpanFilter, TagFilter, TraceQuery};
use otelbridge::store::{now_unix_nanos, Store, StoreConfig};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use translators::otlp::attributes::{bool as bool_kv, int, string};
use translators::otlp::model::span::{Event, SpanKind};
use translators::otlp::model::status::StatusCode;
use translators::otlp::model::{
    ExportTraceServiceRequest, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span,
    Status,
};

const SECOND: u64 = 1_000_000_000;
const MS: u64 = 1_000_000;

fn temp_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("otelbridge-store-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn config(dir: &std::path::Path) -> StoreConfig {
    StoreConfig { data_dir: dir.to_path_buf(), ..StoreConfig::default() }
}

fn resource(service: &str) -> Resource {
    Resource {
        attributes: vec![
            string("service.name", service),
            string("host.name", format!("{service}-1")),
        ],
        dropped_attributes_count: 0,
    }
}

fn span(
    trace: u8,
    id: u8,
    parent: Option<u8>,
    name: &str,
    kind: SpanKind,
    start: u64,
    ms: u64,
) -> Span {
    Span {
        trace_id: vec![trace; 16],
        span_id: vec![id; 8],
        parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
        name: name.into(),
        kind: kind as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + ms * MS,
        ..Span::default()
    }
}

fn request(service: &str, spans: Vec<Span>) -> ResourceSpans {
    // One service states its schema versions: they come back too.
    let schema = |url: &str| if service == "orders" { url.to_string() } else { String::new() };
    ResourceSpans {
        resource: Some(resource(service)),
        scope_spans: vec![ScopeSpans {
            scope: Some(InstrumentationScope {
                name: "shop.lib".into(),
                version: "2.1".into(),
                ..Default::default()
            }),
            spans,
            schema_url: schema("https://opentelemetry.io/schemas/1.21.0"),
        }],
        schema_url: schema("https://opentelemetry.io/schemas/1.26.0"),
    }
}

/// Two traces through three services, starting `base` ns since the epoch:
/// trace 1: frontend GET /checkout (server) → frontend POST /orders (client, peer.service=orders) →
/// orders POST /orders (server, error, event "retry") → db SELECT (client, db.system=postgresql);
/// trace 2 (later): frontend GET /health (server, 2 ms).
fn shop(base: u64) -> ExportTraceServiceRequest {
    let mut checkout = span(1, 1, None, "GET /checkout", SpanKind::Server, base, 120);
    checkout.attributes = vec![string("http.method", "GET"), int("http.status_code", 200)];
    let mut call = span(1, 2, Some(1), "POST /orders", SpanKind::Client, base + 5 * MS, 100);
    call.attributes = vec![string("peer.service", "orders"), bool_kv("retried", true)];
    let mut serve = span(1, 3, Some(2), "POST /orders", SpanKind::Server, base + 6 * MS, 90);
    serve.status = Some(Status { code: StatusCode::Error as i32, message: "out of stock".into() });
    serve.events = vec![Event {
        time_unix_nano: base + 7 * MS,
        name: "retry".into(),
        attributes: vec![int("attempt", 2)],
        dropped_attributes_count: 0,
    }];
    let mut select = span(1, 4, Some(3), "SELECT", SpanKind::Client, base + 8 * MS, 30);
    select.attributes = vec![string("db.system", "postgresql")];
    let mut health = span(2, 5, None, "GET /health", SpanKind::Server, base + SECOND, 2);
    // The health check links to the checkout's root span.
    health.links = vec![translators::otlp::model::span::Link {
        trace_id: vec![1; 16],
        span_id: vec![1; 8],
        ..Default::default()
    }];
    ExportTraceServiceRequest {
        resource_spans: vec![
            request("frontend", vec![checkout, call, health]),
            request("orders", vec![serve]),
            request("db", vec![select]),
        ],
    }
}

/// The spans of `request` with trace id `trace`, as the store gives a trace back: grouped by resource, spans
/// in start order.
fn expected_trace(request: &ExportTraceServiceRequest, trace: u8) -> ExportTraceServiceRequest {
    let mut spans: Vec<(ResourceSpans, Span)> = Vec::new();
    for rs in &request.resource_spans {
        for ss in &rs.scope_spans {
            for s in ss.spans.iter().filter(|s| s.trace_id == vec![trace; 16]) {
                let mut holder = rs.clone();
                holder.scope_spans = vec![ScopeSpans { spans: vec![], ..ss.clone() }];
                spans.push((holder, s.clone()));
            }
        }
    }
    spans.sort_by_key(|(_, s)| s.start_time_unix_nano);
    let mut out: Vec<ResourceSpans> = Vec::new();
    for (holder, s) in spans {
        match out.iter_mut().find(|rs| rs.resource == holder.resource) {
            Some(rs) => rs.scope_spans[0].spans.push(s),
            None => {
                let mut rs = holder;
                rs.scope_spans[0].spans.push(s);
                out.push(rs);
            }
        }
    }
    ExportTraceServiceRequest { resource_spans: out }
}

fn ids(store: &Store, filter: SpanFilter) -> Vec<u8> {
    let query = TraceQuery { filter, limit: 10, ..TraceQuery::default() };
    store.find_trace_ids(&query).unwrap().iter().map(|id| id[0]).collect()
}

fn tag(key: &str, value: &str) -> TagFilter {
    TagFilter::Equals { key: key.into(), value: value.into(), or_event: false }
}

#[test]
fn traces_come_back_unchanged_and_searches_find_exactly_their_traces() {
    let dir = temp_dir();
    let store = Store::open(&config(&dir)).unwrap();
    let base = now_unix_nanos() - 60 * SECOND;
    let sent = shop(base);
    let outcome = store.ingest(&sent).unwrap();
    assert_eq!((outcome.stored, outcome.expired), (5, 0));
    // Nothing is visible before the commit: the timer makes data durable and searchable together.
    assert!(store.services().unwrap().is_empty());
    store.commit().unwrap();

    let traces = store.traces(&[[1; 16], [2; 16], [9; 16]]).unwrap();
    assert_eq!(traces.len(), 2, "the unknown id is left out");
    assert_eq!(traces[0].0, [1; 16]);
    assert_eq!(traces[0].1, expected_trace(&sent, 1));
    assert_eq!(traces[1].1, expected_trace(&sent, 2));

    assert_eq!(store.services().unwrap(), ["db", "frontend", "orders"]);
    assert_eq!(store.traces_linking_to([1; 16]).unwrap(), [[2; 16]]);
    assert!(store.traces_linking_to([2; 16]).unwrap().is_empty());
    let op = |name: &str, kind: &str| Operation { name: name.into(), kind: kind.into() };
    assert_eq!(
        store.operations("frontend", None).unwrap(),
        [op("GET /checkout", "server"), op("GET /health", "server"), op("POST /orders", "client")]
    );
    assert_eq!(
        store.operations("frontend", Some("client")).unwrap(),
        [op("POST /orders", "client")]
    );
    assert_eq!(store.remote_services("frontend").unwrap(), ["orders"]);
    assert!(store.remote_services("db").unwrap().is_empty());

    let service = |s: &str| SpanFilter { service: Some(s.into()), ..SpanFilter::default() };
    // Most recent first: the health check started a second after the checkout.
    assert_eq!(ids(&store, service("frontend")), [2, 1]);
    assert_eq!(ids(&store, service("db")), [1]);
    assert_eq!(ids(&store, service("nobody")), Vec::<u8>::new());
    let with = |f: SpanFilter| SpanFilter { service: Some("frontend".into()), ..f };
    assert_eq!(
        ids(
            &store,
            with(SpanFilter { operation: Some("GET /health".into()), ..Default::default() })
        ),
        [2]
    );
    assert_eq!(
        ids(&store, with(SpanFilter { kind: Some("client".into()), ..Default::default() })),
        [1]
    );
    // Durations: 120 ms checkout, 2 ms health.
    assert_eq!(
        ids(&store, with(SpanFilter { min_duration: Some(50 * MS), ..Default::default() })),
        [1]
    );
    assert_eq!(
        ids(&store, with(SpanFilter { max_duration: Some(5 * MS), ..Default::default() })),
        [2]
    );
    // Tags: span attributes in their tag spelling, resource attributes, derived tags.
    assert_eq!(
        ids(
            &store,
            SpanFilter { tags: vec![tag("http.status_code", "200")], ..Default::default() }
        ),
        [1]
    );
    assert_eq!(
        ids(&store, SpanFilter { tags: vec![tag("retried", "true")], ..Default::default() }),
        [1]
    );
    assert_eq!(
        ids(
            &store,
            SpanFilter { tags: vec![tag("host.name", "frontend-1")], ..Default::default() }
        ),
        [2, 1]
    );
    assert_eq!(
        ids(&store, SpanFilter { tags: vec![tag("error", "true")], ..Default::default() }),
        [1]
    );
    assert_eq!(
        ids(
            &store,
            SpanFilter { tags: vec![tag("otel.scope.name", "shop.lib")], ..Default::default() }
        ),
        [2, 1]
    );
    assert_eq!(
        ids(
            &store,
            SpanFilter { tags: vec![tag("http.status_code", "500")], ..Default::default() }
        ),
        Vec::<u8>::new()
    );
    // All conditions on ONE span: frontend has no span with db.system.
    assert_eq!(
        ids(
            &store,
            with(SpanFilter { tags: vec![tag("db.system", "postgresql")], ..Default::default() })
        ),
        Vec::<u8>::new()
    );
    // Event attributes only when asked (Jaeger matches log fields; Zipkin's key=value does not).
    let attempt =
        |or_event| TagFilter::Equals { key: "attempt".into(), value: "2".into(), or_event };
    assert_eq!(
        ids(&store, SpanFilter { tags: vec![attempt(false)], ..Default::default() }),
        Vec::<u8>::new()
    );
    assert_eq!(ids(&store, SpanFilter { tags: vec![attempt(true)], ..Default::default() }), [1]);
    // One word: a tag key or an event name.
    assert_eq!(
        ids(
            &store,
            SpanFilter { tags: vec![TagFilter::KeyOrEvent("retry".into())], ..Default::default() }
        ),
        [1]
    );
    assert_eq!(
        ids(
            &store,
            SpanFilter {
                tags: vec![TagFilter::KeyOrEvent("db.system".into())],
                ..Default::default()
            }
        ),
        [1]
    );
    // Limit and time window.
    let query = TraceQuery { filter: service("frontend"), limit: 1, ..TraceQuery::default() };
    assert_eq!(store.find_trace_ids(&query).unwrap(), [[2; 16]]);
    let query = TraceQuery {
        filter: service("frontend"),
        start_max: Some(base + 500 * MS),
        limit: 5,
        ..TraceQuery::default()
    };
    assert_eq!(store.find_trace_ids(&query).unwrap(), [[1; 16]]);
    let query = TraceQuery {
        filter: service("frontend"),
        start_min: Some(base + 500 * MS),
        limit: 5,
        ..TraceQuery::default()
    };
    assert_eq!(store.find_trace_ids(&query).unwrap(), [[2; 16]]);

    let link = |p: &str, c: &str, n, e| DependencyLink {
        parent: p.into(),
        child: c.into(),
        call_count: n,
        error_count: e,
    };
    assert_eq!(
        store.dependencies(base - SECOND, base + 10 * SECOND, false).unwrap(),
        [link("frontend", "orders", 1, 1), link("orders", "db", 1, 0)]
    );
    assert!(store.dependencies(base + 2 * SECOND, base + 10 * SECOND, false).unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_reopened_store_has_everything_committed_and_a_reader_sees_it_too() {
    let dir = temp_dir();
    let base = now_unix_nanos() - 60 * SECOND;
    let sent = shop(base);
    {
        let store = Store::open(&config(&dir)).unwrap();
        store.ingest(&sent).unwrap();
        store.close().unwrap();
    }
    let reader = Store::open_read_only(&dir).unwrap();
    assert_eq!(reader.traces(&[[1; 16]]).unwrap()[0].1, expected_trace(&sent, 1));
    assert!(reader.ingest(&sent).is_err(), "a read-only store refuses writes");

    let store = Store::open(&config(&dir)).unwrap();
    assert_eq!(store.services().unwrap(), ["db", "frontend", "orders"]);
    // More spans into the reopened partition: old and new are both found.
    let later = shop(base + 2 * SECOND);
    let mut renamed = later.clone();
    for rs in &mut renamed.resource_spans {
        for s in &mut rs.scope_spans[0].spans {
            s.trace_id = vec![s.trace_id[0] + 10; 16];
        }
    }
    store.ingest(&renamed).unwrap();
    store.commit().unwrap();
    let query = TraceQuery {
        filter: SpanFilter { service: Some("frontend".into()), ..SpanFilter::default() },
        limit: 10,
        ..TraceQuery::default()
    };
    let found: Vec<u8> = store.find_trace_ids(&query).unwrap().iter().map(|id| id[0]).collect();
    assert_eq!(found, [12, 11, 2, 1]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn retention_drops_whole_old_partitions_and_refuses_expired_spans() {
    let dir = temp_dir();
    let now = now_unix_nanos();
    let old = now - 5 * 3600 * SECOND;
    let recent = now - 60 * SECOND;
    {
        let store = Store::open(&config(&dir)).unwrap();
        store.ingest(&shop(old)).unwrap();
        let mut newer = shop(recent);
        for rs in &mut newer.resource_spans {
            for s in &mut rs.scope_spans[0].spans {
                s.trace_id = vec![s.trace_id[0] + 10; 16];
            }
        }
        store.ingest(&newer).unwrap();
        store.close().unwrap();
    }
    let old_folder =
        dir.join("traces").join(PartitionRange::containing(old, Granularity::Hour).folder_name());
    assert!(old_folder.is_dir());

    let short = StoreConfig {
        retention: otelbridge::config::duration::ConfigDuration(Duration::from_secs(2 * 3600)),
        ..config(&dir)
    };
    let store = Store::open(&short).unwrap();
    assert_eq!(store.enforce_retention().unwrap(), 1);
    assert!(!old_folder.exists(), "the old partition's folder is deleted");
    assert!(store.traces(&[[1; 16]]).unwrap().is_empty());
    assert_eq!(store.traces(&[[11; 16]]).unwrap().len(), 1, "the recent partition stays");
    // Spans already past the retention are not stored, and said so.
    let outcome = store.ingest(&shop(old)).unwrap();
    assert_eq!((outcome.stored, outcome.expired), (0, 5));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn spans_go_to_the_partition_of_their_start_time_and_one_trace_can_span_two() {
    let dir = temp_dir();
    let store = Store::open(&StoreConfig { partition: Granularity::Hour, ..config(&dir) }).unwrap();
    // A trace whose spans straddle an hour boundary.
    let hour = PartitionRange::containing(now_unix_nanos() - 3 * 3600 * SECOND, Granularity::Hour);
    let boundary = hour.end as u64 * SECOND;
    let before = span(7, 1, None, "a", SpanKind::Server, boundary - 10 * MS, 30);
    let after = span(7, 2, Some(1), "b", SpanKind::Internal, boundary + 5 * MS, 1);
    let sent =
        ExportTraceServiceRequest { resource_spans: vec![request("edge", vec![before, after])] };
    store.ingest(&sent).unwrap();
    store.commit().unwrap();
    let folders: Vec<String> = store.partition_ranges().iter().map(|r| r.folder_name()).collect();
    assert_eq!(folders.len(), 2, "{folders:?}");
    assert_eq!(store.traces(&[[7; 16]]).unwrap()[0].1, sent);
    // A search by the later span's name finds the trace, and the whole trace comes back.
    let query = TraceQuery {
        filter: SpanFilter { operation: Some("b".into()), ..SpanFilter::default() },
        limit: 1,
        ..TraceQuery::default()
    };
    let found = store.find_traces(&query).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(translators::otlp::span_count(&found[0].1), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

mod logs {
    use super::*;
    use otelbridge::store::logs::LogQuery;
    use otelbridge::store::StoreError;
    use translators::otlp::logs_model::{
        ExportLogsServiceRequest, LogRecord, ResourceLogs, ScopeLogs, SeverityNumber,
    };
    use translators::otlp::model::{any_value::Value, AnyValue};

    fn record(time: u64, severity: SeverityNumber, text: &str, body: &str) -> LogRecord {
        LogRecord {
            time_unix_nano: time,
            observed_time_unix_nano: time + 1,
            severity_number: severity as i32,
            severity_text: text.into(),
            body: Some(AnyValue { value: Some(Value::StringValue(body.into())) }),
            ..LogRecord::default()
        }
    }

    fn logs(service: &str, records: Vec<LogRecord>) -> ResourceLogs {
        ResourceLogs {
            resource: Some(resource(service)),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "app.logger".into(),
                    ..Default::default()
                }),
                log_records: records,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }
    }

    /// checkout: an INFO line, an ERROR with a trace id and http attributes; payments: a WARN (text
    /// "warning") with a structured body, a minute later.
    fn sample(base: u64) -> ExportLogsServiceRequest {
        let info = record(base, SeverityNumber::Info, "INFO", "order 42 placed");
        let mut error = record(
            base + SECOND,
            SeverityNumber::Error,
            "ERROR",
            "payment timeout after 3 retries",
        );
        error.trace_id = vec![0xab; 16];
        error.span_id = vec![0xcd; 8];
        error.attributes = vec![string("http.method", "POST"), int("http.status_code", 504)];
        let mut warn = record(base + 60 * SECOND, SeverityNumber::Warn, "warning", "");
        warn.body = Some(AnyValue {
            value: Some(Value::KvlistValue(translators::otlp::model::KeyValueList {
                values: vec![string("msg", "card declined"), int("code", 51)],
            })),
        });
        ExportLogsServiceRequest {
            resource_logs: vec![logs("checkout", vec![info, error]), logs("payments", vec![warn])],
        }
    }

    fn search(store: &Store, query: &str) -> Vec<String> {
        let found = store
            .search_logs(&LogQuery { query: query.into(), limit: 10, ..LogQuery::default() })
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        found.iter().map(|f| f.record.scope_logs[0].log_records[0].severity_text.clone()).collect()
    }

    #[test]
    fn log_records_come_back_unchanged_and_query_strings_find_them() {
        let dir = temp_dir();
        let store = Store::open(&config(&dir)).unwrap();
        let base = now_unix_nanos() - 600 * SECOND;
        let sent = sample(base);
        let outcome = store.ingest_logs(&sent).unwrap();
        assert_eq!((outcome.stored, outcome.expired), (3, 0));
        store.commit().unwrap();

        let all = store.search_logs(&LogQuery::default()).unwrap();
        assert_eq!(all.len(), 3);
        // Newest first, each record whole with its resource and scope.
        assert_eq!(all[0].time, base + 60 * SECOND);
        assert_eq!(all[0].record, sent.resource_logs[1]);
        let mut error_alone = sent.resource_logs[0].clone();
        error_alone.scope_logs[0].log_records.remove(0);
        assert_eq!(all[1].record, error_alone);

        assert_eq!(search(&store, "timeout"), ["ERROR"]);
        assert_eq!(
            search(&store, "Timeout retries"),
            ["ERROR"],
            "words are ANDed, case-insensitive"
        );
        assert_eq!(search(&store, "timeout placed"), Vec::<String>::new());
        assert_eq!(search(&store, "timeout OR placed"), ["ERROR", "INFO"]);
        assert_eq!(search(&store, "\"payment timeout\""), ["ERROR"]);
        assert_eq!(search(&store, "\"timeout payment\""), Vec::<String>::new());
        assert_eq!(
            search(&store, "declined"),
            ["warning"],
            "structured bodies are searchable as JSON text"
        );
        assert_eq!(search(&store, "severity:ERROR"), ["ERROR"]);
        assert_eq!(
            search(&store, "severity:WARN"),
            ["warning"],
            "the short name of the number is indexed too"
        );
        assert_eq!(search(&store, "severity_number:[13 TO 24]"), ["warning", "ERROR"]);
        assert_eq!(search(&store, "service:checkout"), ["ERROR", "INFO"]);
        assert_eq!(search(&store, "service:checkout -severity:ERROR"), ["INFO"]);
        assert_eq!(search(&store, "attributes.http.method:POST"), ["ERROR"]);
        assert_eq!(search(&store, "attributes.http.status_code:504"), ["ERROR"]);
        assert_eq!(search(&store, "resource.host.name:payments-1"), ["warning"]);
        assert_eq!(search(&store, &format!("trace_id:{}", "ab".repeat(16))), ["ERROR"]);
        assert_eq!(search(&store, "scope:app.logger").len(), 3);

        let window = LogQuery { from: Some(base + 30 * SECOND), limit: 10, ..LogQuery::default() };
        assert_eq!(store.search_logs(&window).unwrap().len(), 1);
        let window = LogQuery { to: Some(base + SECOND), limit: 10, ..LogQuery::default() };
        assert_eq!(store.search_logs(&window).unwrap().len(), 2);
        let one = LogQuery { limit: 1, ..LogQuery::default() };
        assert_eq!(store.search_logs(&one).unwrap()[0].time, base + 60 * SECOND);

        let bad =
            store.search_logs(&LogQuery { query: "severity:(ERROR".into(), ..LogQuery::default() });
        assert!(matches!(bad, Err(StoreError::Query(_))), "{bad:?}");
        let unknown =
            store.search_logs(&LogQuery { query: "nosuchfield:x".into(), ..LogQuery::default() });
        assert!(
            matches!(unknown, Err(StoreError::Query(ref m)) if m.contains("nosuchfield")),
            "{unknown:?}"
        );

        // Logs live beside spans, in their own partitions, and survive a reopen.
        assert!(store.partition_ranges().is_empty());
        assert_eq!(store.log_partition_ranges().len(), 1);
        store.close().unwrap();
        let reader = Store::open_read_only(&dir).unwrap();
        assert_eq!(reader.search_logs(&LogQuery::default()).unwrap().len(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_record_without_a_time_is_filed_when_it_arrives_and_old_ones_expire() {
        let dir = temp_dir();
        let store = Store::open(&config(&dir)).unwrap();
        let mut timeless = record(0, SeverityNumber::Info, "INFO", "no clock here");
        timeless.observed_time_unix_nano = 0;
        let old =
            record(now_unix_nanos() - 100 * 3600 * SECOND, SeverityNumber::Info, "INFO", "ancient");
        let request =
            ExportLogsServiceRequest { resource_logs: vec![logs("svc", vec![timeless, old])] };
        let before = now_unix_nanos();
        let outcome = store.ingest_logs(&request).unwrap();
        assert_eq!((outcome.stored, outcome.expired), (1, 1));
        store.commit().unwrap();
        let found =
            store.search_logs(&LogQuery { query: "clock".into(), ..LogQuery::default() }).unwrap();
        assert_eq!(found.len(), 1);
        assert!(found[0].time >= before);
        let kept = &found[0].record.scope_logs[0].log_records[0];
        assert_eq!(kept.time_unix_nano, 0, "the record's own time stays unset");
        assert_eq!(kept.observed_time_unix_nano, found[0].time);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
