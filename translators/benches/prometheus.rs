//! Exposition parsing throughput, in samples per second (and bytes per second).
//!
//! - `parse-text/alltypes`: `alltypes.237mfs.prom.txt` (237 families, 1,857 samples, 190 KB of
//!   text 0.0.4 — Prometheus' own parser benchmark input) into the typed model.
//! - `parse-text-lenient/alltypes`: the same through the lenient parser a scraper uses.
//! - `parse-openmetrics/1histogram`: `1histogram.om.txt` (42 samples of OpenMetrics).
//! - `parse-openmetrics/alltypes`: alltypes written as OpenMetrics by our writer (what a
//!   scrape negotiating OpenMetrics gets from a Go exporter of the same metrics).
//! - `bytes/...`: the same paths with throughput in bytes.
//!
//! Inputs come from `../shared/corpora/prometheus-text/`; without it the bench says so and runs
//! nothing. Run with `taskset -c 1 cargo bench -p translators --bench prometheus`.
//!
//! Time is the benchmark thread's CPU time, as in the traces bench (set
//! `OTELBRIDGE_BENCH_WALL_TIME=1` for wall time). mimalloc is the global allocator, as in the
//! `otelbridge` binary.

use cpu_time::ThreadTime;
use criterion::{criterion_group, Bencher, Criterion, Throughput};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;
use translators::prometheus::{
    parse_openmetrics, parse_text, parse_text_lenient, write_openmetrics,
};

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
    parse_text_lenient(input).set.sample_count()
}

fn openmetrics(input: &[u8]) -> usize {
    parse_openmetrics(input).map_or(0, |set| set.sample_count())
}

/// `alltypes` as OpenMetrics.
fn alltypes_openmetrics() -> Option<Vec<u8>> {
    let text = read("alltypes.237mfs.prom.txt")?;
    let set = parse_text(&text).expect("alltypes parses");
    let mut out = String::new();
    write_openmetrics(&set, &mut out);
    Some(out.into_bytes())
}

/// The bench paths: (group, name, input, parser).
fn paths() -> Vec<(&'static str, &'static str, Vec<u8>, Parser)> {
    let mut paths = Vec::new();
    let inputs: [(&str, &str, Option<Vec<u8>>, Parser); 4] = [
        ("parse-text", "alltypes", read("alltypes.237mfs.prom.txt"), strict_text),
        ("parse-text-lenient", "alltypes", read("alltypes.237mfs.prom.txt"), lenient_text),
        ("parse-openmetrics", "1histogram", read("1histogram.om.txt"), openmetrics),
        ("parse-openmetrics", "alltypes", alltypes_openmetrics(), openmetrics),
    ];
    for (group, name, input, parse) in inputs {
        if let Some(input) = input {
            paths.push((group, name, input, parse));
        }
    }
    paths
}

fn prometheus(c: &mut Criterion) {
    for (group, name, input, parse) in paths() {
        let samples = parse(&input);
        assert!(samples > 0, "{group}/{name} parses");
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
/// Runs `f` `n` times; callgrind or `perf stat` count inside this function.
#[inline(never)]
fn fixed_iterations(n: u64, f: &dyn Fn() -> usize) -> usize {
    (0..n).map(|_| black_box(f())).sum()
}

/// `OTELBRIDGE_BENCH_ITERATIONS=N prometheus PATH..`: each named path (`parse-text/alltypes`...)
/// run exactly N times, no criterion; e.g. `perf stat -e instructions:u` over it gives
/// instructions per sample, steadier than time on a shared machine.
fn main() {
    if let Some(n) = std::env::var("OTELBRIDGE_BENCH_ITERATIONS").ok().and_then(|n| n.parse().ok())
    {
        let all = paths();
        for path in std::env::args().skip(1).filter(|a| !a.starts_with("--")) {
            let Some((_, _, input, parse)) =
                all.iter().find(|(g, name, _, _)| format!("{g}/{name}") == path)
            else {
                eprintln!("unknown path {path}");
                std::process::exit(2);
            };
            let samples = fixed_iterations(n, &|| parse(black_box(input)));
            println!("{path}: {n} iterations, {samples} samples, {} bytes each", input.len());
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
