//! Benchmark of the embedded store: ingest rate (spans/s and MB/s of OTLP per core, counting tantivy's indexing
//! threads), bytes on disk per span, and query latency (trace by id, service search) on a large store.
//!
//! ```sh
//! cargo bench -p otelbridge --bench store                                # 10 million spans, ~3-5 minutes
//! OTELBRIDGE_STORE_BENCH_SPANS=1000000 cargo bench -p otelbridge --bench store
//! OTELBRIDGE_STORE_BENCH_SHAPE=lean cargo bench -p otelbridge --bench store    # ~190-byte spans
//! taskset -c 1 cargo bench -p otelbridge --bench store                   # one core, as docs/performance.md
//! ```
//!
//! The store is built under `target/store-bench-<spans>` and kept, so query runs can repeat without
//! re-ingesting (`OTELBRIDGE_STORE_BENCH_REBUILD=1` rebuilds). Spans come from the load generator's realistic
//! batches (10 attributes of mixed types, 1 event, a resource with 5 attributes), 100 per batch, spread over
//! 20 services and the last 10 hours (10 hourly partitions).

use otelbridge::commands::loadgen::procstat;
use otelbridge::commands::loadgen::spans::Generator;
use otelbridge::store::query::{SpanFilter, TagFilter, TraceId, TraceQuery};
use otelbridge::store::{now_unix_nanos, Store, StoreConfig};
use prost::Message as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use translators::otlp::model::any_value::Value;

// As in the `otelbridge` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SERVICES: u64 = 20;
const HOURS: u64 = 10;
const BATCH: usize = 100;
const SECOND: u64 = 1_000_000_000;

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not used by this harness.
    let spans: u64 = env_number("OTELBRIDGE_STORE_BENCH_SPANS", 10_000_000);
    let shape = if lean() { "-lean" } else { "" };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../target/store-bench-{spans}{shape}"));
    let rebuild = std::env::var_os("OTELBRIDGE_STORE_BENCH_REBUILD").is_some();
    let config = StoreConfig { data_dir: dir.clone(), ..StoreConfig::default() };
    if rebuild || !dir.join("done").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        ingest(&config, spans);
        std::fs::write(dir.join("done"), "").expect("mark done");
    } else {
        println!("store: reusing {} (OTELBRIDGE_STORE_BENCH_REBUILD=1 rebuilds)", dir.display());
    }
    // `OTELBRIDGE_STORE_BENCH_QUERY=0` stops after ingesting (to profile ingest alone).
    if std::env::var("OTELBRIDGE_STORE_BENCH_QUERY").as_deref() != Ok("0") {
        query(&dir, spans);
    }
}

/// `OTELBRIDGE_STORE_BENCH_SHAPE=lean`: spans of 3 attributes, no event, a resource of 2 attributes (about
/// 150 bytes of OTLP each, the size at which the issue's two ingest goals, 100,000 spans/s and 15 MB/s, meet).
fn lean() -> bool {
    std::env::var("OTELBRIDGE_STORE_BENCH_SHAPE").as_deref() == Ok("lean")
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

/// Batch `b` of `batches`: a realistic batch renamed to one of the services and moved in time, newest last,
/// spread evenly over the last HOURS hours.
fn batch(
    generator: &mut Generator,
    b: u64,
    batches: u64,
    now: u64,
) -> translators::ExportTraceServiceRequest {
    let mut request = generator.next_batch(b * BATCH as u64).clone();
    let service = format!("service-{:02}", b % SERVICES);
    let shift = (HOURS * 3600 * SECOND) * (batches - b) / batches.max(1);
    for rs in &mut request.resource_spans {
        if let Some(resource) = rs.resource.as_mut() {
            for kv in &mut resource.attributes {
                if kv.key == "service.name" {
                    kv.value.as_mut().expect("value").value =
                        Some(Value::StringValue(service.clone()));
                }
            }
        }
        if lean() {
            if let Some(resource) = rs.resource.as_mut() {
                resource.attributes.truncate(2);
            }
        }
        for ss in &mut rs.scope_spans {
            for span in &mut ss.spans {
                if lean() {
                    // The sequence number, method and route; no event.
                    span.attributes.truncate(3);
                    span.events.clear();
                }
                let length = span.end_time_unix_nano - span.start_time_unix_nano;
                span.start_time_unix_nano = now - shift - 60 * SECOND;
                span.end_time_unix_nano = span.start_time_unix_nano + length;
            }
        }
    }
    request
}

/// Ingests `spans` spans with a commit every 5 s of wall time (the default interval) and a final one. The CPU
/// figure is the whole process's (tantivy indexes on its own threads) minus what making the batches costs,
/// measured by a dry pass that makes them without storing them.
fn ingest(config: &StoreConfig, spans: u64) {
    let batches = spans / BATCH as u64;
    let now = now_unix_nanos();
    let ticks = procstat::ticks_per_second();
    let pid = std::process::id();

    let dry_start = procstat::sample(pid, ticks).expect("procstat");
    let mut generator = Generator::new(BATCH, 7);
    let mut otlp_bytes = 0u64;
    for b in 0..batches {
        otlp_bytes += batch(&mut generator, b, batches, now).encoded_len() as u64;
    }
    let dry_end = procstat::sample(pid, ticks).expect("procstat");
    let making_cpu = dry_end.cpu_seconds - dry_start.cpu_seconds;

    let store = Store::open(config).expect("open store");
    let mut generator = Generator::new(BATCH, 7);
    let start = procstat::sample(pid, ticks).expect("procstat");
    let mut last_commit = Instant::now();
    let mut peak_rss = 0u64;
    for b in 0..batches {
        let request = batch(&mut generator, b, batches, now);
        // Counted in the dry pass too, so that the subtraction removes it.
        let _ = request.encoded_len();
        store.ingest(&request).expect("ingest");
        if last_commit.elapsed() >= Duration::from_secs(5) {
            store.commit().expect("commit");
            last_commit = Instant::now();
            let sample = procstat::sample(pid, ticks).expect("procstat");
            peak_rss = peak_rss.max(sample.rss_bytes);
        }
        if b % 10_000 == 0 && b > 0 {
            println!("  {} spans ingested", b * BATCH as u64);
        }
    }
    store.close().expect("close");
    let end = procstat::sample(pid, ticks).expect("procstat");
    let ingest_cpu = end.cpu_seconds - start.cpu_seconds - making_cpu;
    let wall = end.at.duration_since(start.at).as_secs_f64();
    let total = batches * BATCH as u64;
    let disk = du(&config.data_dir);
    println!(
        "ingest: {total} spans ({:.1} MB of OTLP protobuf) in {wall:.1} s wall, {ingest_cpu:.1} s CPU (all threads, \
         less {making_cpu:.1} s making the batches)",
        otlp_bytes as f64 / 1e6
    );
    println!(
        "ingest: {:.0} spans/s per core, {:.1} MB/s of OTLP per core; {:.0} spans/s wall; peak RSS {:.0} MiB",
        total as f64 / ingest_cpu,
        otlp_bytes as f64 / 1e6 / ingest_cpu,
        total as f64 / wall,
        peak_rss as f64 / (1 << 20) as f64
    );
    println!(
        "disk: {:.1} MB, {:.0} bytes per span ({:.0} bytes of OTLP protobuf per span)",
        disk as f64 / 1e6,
        disk as f64 / total as f64,
        otlp_bytes as f64 / total as f64
    );
}

fn du(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            total += if meta.is_dir() { du(&entry.path()) } else { meta.len() };
        }
    }
    total
}

/// Trace-by-id and service-search latencies (p50/p99) on the built store.
fn query(dir: &Path, spans: u64) {
    let store = Store::open_read_only(dir).expect("open store");
    let all = TraceQuery { limit: 2000, ..TraceQuery::default() };
    let sample_ids: Vec<TraceId> = store.find_trace_ids(&all).expect("ids");
    assert!(!sample_ids.is_empty(), "the store is empty");
    // Ids from every partition, not just the newest: trace ids are numbered by sequence, so pick evenly.
    let mut ids = sample_ids.clone();
    let older = TraceQuery {
        start_max: Some(now_unix_nanos() - 8 * 3600 * SECOND),
        limit: 2000,
        ..TraceQuery::default()
    };
    ids.extend(store.find_trace_ids(&older).expect("ids"));

    let by_id = measure(1000, |i| {
        let id = ids[(i * 7919) % ids.len()];
        let found = store.traces(&[id]).expect("trace");
        assert_eq!(found.len(), 1);
    });
    report(&format!("trace by id ({spans} spans)"), &by_id);

    let now = now_unix_nanos();
    let service = |i: usize| format!("service-{:02}", i as u64 % SERVICES);
    let search = measure(200, |i| {
        let query = TraceQuery {
            filter: SpanFilter { service: Some(service(i)), ..SpanFilter::default() },
            start_min: Some(now - 12 * 3600 * SECOND),
            start_max: Some(now),
            limit: 20,
        };
        let found = store.find_traces(&query).expect("search");
        assert_eq!(found.len(), 20);
    });
    report("service search, limit 20, last 12 h (ids + whole traces)", &search);

    let tagged = measure(200, |i| {
        let query = TraceQuery {
            filter: SpanFilter {
                service: Some(service(i)),
                tags: vec![TagFilter::Equals {
                    key: "http.method".into(),
                    value: "POST".into(),
                    or_event: true,
                }],
                min_duration: Some(1_000_000),
                ..SpanFilter::default()
            },
            start_min: Some(now - 12 * 3600 * SECOND),
            start_max: Some(now),
            limit: 20,
        };
        store.find_traces(&query).expect("search");
    });
    report("service + tag + min duration search, limit 20", &tagged);

    let services = measure(50, |_| {
        assert_eq!(store.services().expect("services").len(), SERVICES as usize);
    });
    report("services list", &services);
}

fn measure(n: usize, mut run: impl FnMut(usize)) -> Vec<Duration> {
    // Warm the page cache and tantivy's caches first, as a running service would be.
    for i in 0..n.min(20) {
        run(i);
    }
    let mut times: Vec<Duration> = (0..n)
        .map(|i| {
            let start = Instant::now();
            run(i);
            start.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn report(name: &str, sorted: &[Duration]) {
    let pick = |q: f64| sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)];
    println!(
        "{name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} queries",
        pick(0.50).as_secs_f64() * 1e3,
        pick(0.99).as_secs_f64() * 1e3,
        sorted.last().expect("non-empty").as_secs_f64() * 1e3,
        sorted.len()
    );
}
