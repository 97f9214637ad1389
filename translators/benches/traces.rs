//! Bytes in → bytes out throughput of every trace path, in spans per second.
//!
//! - `decode/<format>`: `<format>` bytes → OTLP protobuf bytes, through [`transcode`] (what a
//!   receiver does; direct routes skip the owned OTLP model where they exist).
//! - `encode/<format>`: OTLP protobuf bytes → `<format>` bytes, through [`transcode`] (what an
//!   exporter does).
//!
//! - `parse/<format>` and `write/<format>`: the halves, to see where the time goes:
//!   `<format>` bytes → OTLP structs, and OTLP structs → `<format>` bytes.
//!
//! Each input is a batch of [`gen::BATCH`] realistic spans (see `tests/common/gen.rs`), encoded
//! once before timing. Run one path with e.g.
//! `taskset -c 1 cargo bench -p translators --bench traces -- decode/jaeger-thrift-compact`.
//! A format whose codec is not there yet (its encoder writes nothing, or its decoder fails on
//! its own encoder's output) is skipped with a note on stderr.
//!
//! Time is the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall time: the
//! figure is "spans per second of one core" even on a machine other work shares, and being
//! descheduled does not count. Set `OTELBRIDGE_BENCH_WALL_TIME=1` for wall-clock time.
//!
//! The bench runs with mimalloc as its global allocator, as the `otelbridge` binary does.
//!
//! For instruction counts (steadier than time on a shared machine), set
//! `OTELBRIDGE_BENCH_ITERATIONS=N` and name the paths: the binary then runs each path exactly N
//! times, inside the function `fixed_iterations`, and exits without criterion, e.g.
//! `OTELBRIDGE_BENCH_ITERATIONS=200 valgrind --tool=callgrind --toggle-collect='*fixed_iterations*'
//! target/release/deps/traces-<hash> decode/jaeger-thrift-compact`; instructions per span are
//! the collected total / (N × 100). `OTELBRIDGE_BENCH_DUMP=DIR` also writes each decode
//! path's input (`DIR/<format>.in`) and each encode path's output (`DIR/<format>.out`).

use cpu_time::ThreadTime;
use criterion::{criterion_group, Bencher, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use translators::{decode_traces, encode_traces, transcode, ExportTraceServiceRequest, Format};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(dead_code)]
#[path = "../tests/common/gen.rs"]
mod gen;

/// `<format>` bytes → OTLP protobuf bytes.
fn to_otlp_proto(format: Format, input: &[u8]) -> usize {
    transcode(format, Format::OtlpProto, input).expect("bench input decodes").bytes.len()
}

/// OTLP protobuf bytes → `<format>` bytes.
fn from_otlp_proto(format: Format, input: &[u8]) -> usize {
    transcode(Format::OtlpProto, format, input).expect("bench input decodes").bytes.len()
}

/// The input of the decode bench for `format`, or why there is none yet.
fn decode_input(format: Format, request: &ExportTraceServiceRequest) -> Result<Vec<u8>, String> {
    let encoded = encode_traces(format, request);
    if encoded.bytes.is_empty() {
        return Err("encoder wrote nothing (not implemented yet?)".into());
    }
    if !encoded.rejected.is_empty() {
        return Err(format!("encoder rejected spans: {:?}", encoded.rejected[0]));
    }
    let decoded = decode_traces(format, &encoded.bytes).map_err(|e| e.to_string())?;
    if decoded.span_count() == 0 || !decoded.rejected.is_empty() {
        return Err(format!(
            "decoder read {} spans and rejected {}",
            decoded.span_count(),
            decoded.rejected.len()
        ));
    }
    Ok(encoded.bytes)
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

fn traces(c: &mut Criterion) {
    let request = gen::request(42, gen::BATCH);
    let proto = encode_traces(Format::OtlpProto, &request).bytes;

    let mut decode = c.benchmark_group("decode");
    decode.throughput(Throughput::Elements(gen::BATCH as u64));
    for format in Format::ALL {
        match decode_input(format, &request) {
            Ok(input) => {
                decode.bench_function(format.name(), |b| {
                    measure(b, || to_otlp_proto(format, black_box(&input)))
                });
            }
            Err(why) => eprintln!("skipped decode/{format}: {why}"),
        }
    }
    decode.finish();

    let mut encode = c.benchmark_group("encode");
    encode.throughput(Throughput::Elements(gen::BATCH as u64));
    for format in Format::ALL {
        // Same readiness check: the encoder must write something the decoder reads back.
        if let Err(why) = decode_input(format, &request) {
            eprintln!("skipped encode/{format}: {why}");
            continue;
        }
        encode.bench_function(format.name(), |b| {
            measure(b, || from_otlp_proto(format, black_box(&proto)))
        });
    }
    encode.finish();

    let mut parse = c.benchmark_group("parse");
    parse.throughput(Throughput::Elements(gen::BATCH as u64));
    let mut ready = Vec::new();
    for format in Format::ALL {
        match decode_input(format, &request) {
            Ok(input) => {
                parse.bench_function(format.name(), |b| {
                    measure(b, || {
                        decode_traces(format, black_box(&input)).map_or(0, |d| d.requests.len())
                    })
                });
                ready.push(format);
            }
            Err(why) => eprintln!("skipped parse/{format}: {why}"),
        }
    }
    parse.finish();

    let mut write = c.benchmark_group("write");
    write.throughput(Throughput::Elements(gen::BATCH as u64));
    for format in ready {
        write.bench_function(format.name(), |b| {
            measure(b, || encode_traces(format, black_box(&request)).bytes.len())
        });
    }
    write.finish();
}

criterion_group! {
    name = benches;
    // Short runs: the whole suite (20 paths) takes a few minutes on a 2-core machine.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = traces
}
/// Runs `f` `n` times; callgrind counts inside this function only (`--toggle-collect`).
#[inline(never)]
fn fixed_iterations(n: u64, f: &dyn Fn() -> usize) -> usize {
    let mut total = 0;
    for _ in 0..n {
        total += black_box(f());
    }
    total
}

/// `OTELBRIDGE_BENCH_ITERATIONS=N traces PATH..`: each named path (`decode/<format>`,
/// `encode/<format>`) run exactly N times, no criterion.
fn fixed(n: u64, paths: &[String]) {
    let request = gen::request(42, gen::BATCH);
    let proto = encode_traces(Format::OtlpProto, &request).bytes;
    for path in paths {
        let (group, name) = path.split_once('/').unwrap_or(("", path));
        let Some(format) = Format::ALL.into_iter().find(|f| f.name() == name) else {
            eprintln!("unknown path {path}: decode/<format> or encode/<format>");
            std::process::exit(2);
        };
        let dump = std::env::var_os("OTELBRIDGE_BENCH_DUMP").map(std::path::PathBuf::from);
        let bytes = match group {
            "decode" => {
                let input = decode_input(format, &request).expect("bench input");
                if let Some(dir) = &dump {
                    std::fs::write(dir.join(format!("{name}.in")), &input).expect("dump");
                }
                fixed_iterations(n, &|| to_otlp_proto(format, black_box(&input)))
            }
            "encode" => {
                if let Some(dir) = &dump {
                    let out = transcode(Format::OtlpProto, format, &proto).expect("encodes").bytes;
                    std::fs::write(dir.join(format!("{name}.out")), out).expect("dump");
                }
                fixed_iterations(n, &|| from_otlp_proto(format, black_box(&proto)))
            }
            _ => {
                eprintln!("unknown path {path}: decode/<format> or encode/<format>");
                std::process::exit(2);
            }
        };
        println!("{path}: {n} iterations of {} spans, {bytes} bytes out", gen::BATCH);
    }
}

fn main() {
    if let Some(n) = std::env::var("OTELBRIDGE_BENCH_ITERATIONS").ok().and_then(|n| n.parse().ok())
    {
        let paths: Vec<String> =
            std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
        fixed(n, &paths);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
