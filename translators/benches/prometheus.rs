//! Exposition parsing throughput, in samples per second (and bytes per second).
//!
//! - `parse-text/alltypes`: `alltypes.237mfs.prom.txt` (237 families, 1,857 samples, 190 KB of
//!   text 0.0.4 — Prometheus' own parser benchmark input) into the typed model.
//! - `parse-text-lenient/alltypes`: the same through the lenient parser a scraper uses.
//! - `parse-openmetrics/1histogram`: `1histogram.om.txt` (42 samples of OpenMetrics).
//! - `bytes/...`: the same paths with throughput in bytes.
//!
//! Inputs come from `../shared/corpora/prometheus-text/`; without it the bench says so and runs
//! nothing. Run with `taskset -c 1 cargo bench -p translators --bench prometheus`.
//!
//! Time is the benchmark thread's CPU time, as in the traces bench (set
//! `OTELBRIDGE_BENCH_WALL_TIME=1` for wall time). mimalloc is the global allocator, as in the
//! `otelbridge` binary.

use cpu_time::ThreadTime;
use criterion::{criterion_group, criterion_main, Bencher, Criterion, Throughput};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;
use translators::prometheus::{parse_openmetrics, parse_text, parse_text_lenient};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn read(name: &str) -> Option<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpora/prometheus-text")
        .join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            eprintln!("skipped {}: {e}", path.display());
            None
        }
    }
}

/// Times `f` in thread CPU time (or wall time when `OTELBRIDGE_BENCH_WALL_TIME` is set).
fn measure(b: &mut Bencher, f: impl Fn() -> usize) {
    if std::env::var_os("OTELBRIDGE_BENCH_WALL_TIME").is_some() {
        b.iter(&f);
    } else {
        b.iter_custom(|iters| {
            let start = ThreadTime::now();
            for _ in 0..iters {
                black_box(f());
            }
            start.elapsed()
        });
    }
}

type Parser = fn(&[u8]) -> usize;

fn strict_text(input: &[u8]) -> usize {
    parse_text(input).map_or(0, |set| set.sample_count())
}

fn lenient_text(input: &[u8]) -> usize {
    parse_text_lenient(input).map_or(0, |parsed| parsed.set.sample_count())
}

fn openmetrics(input: &[u8]) -> usize {
    parse_openmetrics(input).map_or(0, |set| set.sample_count())
}

fn prometheus(c: &mut Criterion) {
    let paths: [(&str, &str, &str, Parser); 3] = [
        ("parse-text", "alltypes", "alltypes.237mfs.prom.txt", strict_text),
        ("parse-text-lenient", "alltypes", "alltypes.237mfs.prom.txt", lenient_text),
        ("parse-openmetrics", "1histogram", "1histogram.om.txt", openmetrics),
    ];
    for (group, name, file, parse) in paths {
        let Some(input) = read(file) else { continue };
        let samples = parse(&input);
        assert!(samples > 0, "{file} parses");
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(samples as u64));
        g.bench_function(name, |b| measure(b, || parse(black_box(&input))));
        g.finish();
        let mut g = c.benchmark_group(format!("bytes/{group}"));
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(name, |b| measure(b, || parse(black_box(&input))));
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = prometheus
}
criterion_main!(benches);
