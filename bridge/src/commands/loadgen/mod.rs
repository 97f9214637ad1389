//! `otelbridge loadgen`: a load generator in the manner of the OpenTelemetry Collector's testbed.
//!
//! ```text
//! loadgen ──Jaeger UDP / Jaeger HTTP / Zipkin / OTLP──▶ otelbridge run ──OTLP gRPC──▶ sink (in the loadgen)
//!   (core 0)                                    (pinned to core 1, sampled in /proc)
//! ```
//!
//! It sends realistic spans ([`spans`]) at a fixed rate in batches, each span numbered; the sink counts
//! which numbers arrive. It reports spans sent (accepted by the bridge), received, lost, refused (429 / 503,
//! `Unavailable`) and failed, and the bridge's CPU % of one core and RSS, sampled every second from
//! `/proc/<pid>` with the warm-up left out. `--step` raises the rate until loss or refusal appears and
//! reports the highest loss-free rate.
//!
//! Exit codes: 0 the run completed (for a fixed rate: nothing lost or refused); 1 the run could not be made;
//! 3 a fixed-rate run lost, refused or failed spans.

pub mod bridge;
pub mod prepared;
pub mod procstat;
pub mod send;
pub mod sink;
pub mod spans;

use bridge::{SpawnOptions, SpawnedBridge};
use bytes::Bytes;
use clap::Args;
use prepared::Prepared;
use procstat::{Sample, Usage};
use send::{Answer, Payload, Protocol, Sender};
use serde::Serialize;
use sink::{SeqSink, SinkCounts};
use spans::Generator;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::Semaphore;

/// Exit code of a fixed-rate run that lost, refused or failed spans.
const EXIT_LOSS: u8 = 3;

/// Arguments of `otelbridge loadgen`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    otelbridge loadgen --spawn --protocol otlp-grpc --rate 10000 --duration 15\n  \
    otelbridge loadgen --spawn --protocol jaeger-udp-compact --step --rate 20000 --duration 5\n  \
    otelbridge loadgen --target-pid 4242 --endpoint 127.0.0.1:9411 --protocol zipkin-json --sink 127.0.0.1:4327\n\
    Exit codes: 0 completed (fixed rate: nothing lost or refused), 1 could not run, 3 spans lost/refused/failed.")]
pub struct LoadgenArgs {
    /// How spans are sent.
    #[arg(long, value_enum)]
    pub protocol: Protocol,
    /// Spans per second (with --step: the first step's rate).
    #[arg(long, default_value_t = 10_000)]
    pub rate: u64,
    /// Seconds of sending (with --step: per step), warm-up included.
    #[arg(long, default_value_t = 15.0)]
    pub duration: f64,
    /// Seconds at the start of a run (of each step) left out of the CPU and memory figures.
    #[arg(long, default_value_t = 3.0)]
    pub warmup: f64,
    /// Spans per request / datagram.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Most requests in flight at once (HTTP and gRPC); a sender out of room falls behind its schedule.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Start `otelbridge run` as a child with a generated config (receiver on a free port, otlp exporter to
    /// the sink), pinned with `taskset`.
    #[arg(long, conflicts_with_all = ["target_pid", "endpoint"], required_unless_present = "target_pid")]
    pub spawn: bool,
    /// Measure an already running bridge with this pid; give its receiver with --endpoint and point its
    /// otlp exporter at --sink.
    #[arg(long, requires = "endpoint")]
    pub target_pid: Option<u32>,
    /// The running bridge's receiver, `host:port` (with --target-pid).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Its admin server, `host:port`, to report its drop counters (with --target-pid; optional).
    #[arg(long)]
    pub admin: Option<String>,
    /// Where the OTLP/gRPC sink listens.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub sink: String,
    /// Core the spawned bridge is pinned to. Default 1 when the machine has two cores or more.
    #[arg(long)]
    pub bridge_cpu: Option<usize>,
    /// Core the load generator (sender and sink) is pinned to. Default with --spawn: 0.
    #[arg(long)]
    pub loadgen_cpu: Option<usize>,
    /// Pin nothing.
    #[arg(long, conflicts_with_all = ["bridge_cpu", "loadgen_cpu"])]
    pub no_pin: bool,
    /// The `otelbridge` binary to spawn. Default: this one.
    #[arg(long, value_name = "PATH")]
    pub bridge_bin: Option<PathBuf>,
    /// Put a `batch` processor in the spawned bridge's pipeline.
    #[arg(long)]
    pub batch_processor: bool,
    /// `compression` of the spawned bridge's otlp exporter (`gzip`, `none`). Default: the exporter's own
    /// default (gzip).
    #[arg(long)]
    pub exporter_compression: Option<String>,
    /// Folder for the spawned bridge's config and log. Default: a fresh one under the temp folder,
    /// removed after a successful run.
    #[arg(long, value_name = "DIR")]
    pub run_dir: Option<PathBuf>,
    /// Raise the rate step by step until spans are lost, refused or fail; report the highest loss-free rate.
    #[arg(long)]
    pub step: bool,
    /// Each step's rate is the previous one's times this.
    #[arg(long, default_value_t = 1.25)]
    pub step_factor: f64,
    /// Highest rate a step run tries.
    #[arg(long, default_value_t = 2_000_000)]
    pub max_rate: u64,
    /// With --step: a step whose last spans reach the sink more than this many seconds after sending
    /// stopped is not sustained (the bridge built up a backlog), and the steps stop.
    #[arg(long, default_value_t = 1.0)]
    pub max_drain: f64,
    /// After sending, how long to wait for the last spans to reach the sink.
    #[arg(long, default_value_t = 20.0)]
    pub drain_timeout: f64,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Why a run could not be made.
#[derive(Debug, Error)]
pub enum LoadgenError {
    /// Bad arguments.
    #[error("{0}")]
    Args(String),
    /// The sink could not listen.
    #[error("cannot start the sink on {address}: {source}")]
    Sink {
        /// The address asked for.
        address: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The bridge could not be started or reached.
    #[error("bridge: {0}")]
    Bridge(String),
    /// Spans could not be generated or sent at all.
    #[error("{0}")]
    Send(String),
}

/// One rate held for `--duration` seconds.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    /// Spans per second asked for.
    pub rate_target: u64,
    /// Spans per second actually sent (below the target when the sender cannot keep up).
    pub rate_achieved: f64,
    /// Seconds spent sending.
    pub seconds: f64,
    /// Spans the bridge took (UDP: handed to the kernel).
    pub sent: u64,
    /// Spans of those that reached the sink (distinct sequence numbers).
    pub received: u64,
    /// `sent - received`.
    pub lost: u64,
    /// Spans refused with 429 / 503 / `Unavailable` / `ResourceExhausted`.
    pub refused: u64,
    /// Spans of requests that failed otherwise.
    pub failed: u64,
    /// The first failure, if any.
    pub first_failure: Option<String>,
    /// The bridge's CPU and memory after the warm-up, while sending.
    pub bridge: Usage,
    /// Bridge CPU time per span sent, µs.
    pub bridge_cpu_us_per_span: f64,
    /// The load generator's own CPU % (sender + sink) over the same window.
    pub loadgen_cpu_percent: f64,
    /// Times a batch was due while `--concurrency` requests were all still waiting for their answers
    /// (the bridge answering slowly: backpressure).
    pub waits_for_answers: u64,
    /// Seconds from the end of sending (every request answered) until the last span reached the sink: a
    /// backlog the bridge built up at this rate.
    pub drain_seconds: f64,
}

impl PhaseReport {
    fn clean(&self) -> bool {
        self.lost == 0 && self.refused == 0 && self.failed == 0
    }

    /// The rate was kept (within 5 %) and left no backlog of more than `max_drain` seconds.
    fn sustained(&self, max_drain: f64) -> bool {
        self.rate_achieved >= 0.95 * self.rate_target as f64 && self.drain_seconds <= max_drain
    }
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `--protocol`.
    pub protocol: Protocol,
    /// `spawn` or `target-pid`.
    pub mode: &'static str,
    /// The bridge's pid.
    pub bridge_pid: u32,
    /// Core it is pinned to (spawn mode).
    pub bridge_cpu: Option<usize>,
    /// Core the load generator is pinned to.
    pub loadgen_cpu: Option<usize>,
    /// Spans per request.
    pub batch: usize,
    /// Totals over every phase.
    pub sent: u64,
    /// Total received.
    pub received: u64,
    /// Total lost.
    pub lost: u64,
    /// Total refused.
    pub refused: u64,
    /// Total failed.
    pub failed: u64,
    /// Spans that arrived twice.
    pub duplicates: u64,
    /// Spans without a sequence number (sent by someone else).
    pub unnumbered: u64,
    /// The bridge's CPU and memory: the only phase of a fixed-rate run, the highest loss-free step of a step run.
    pub bridge: Option<Usage>,
    /// With --step: the highest rate achieved with nothing lost, refused or failed, at (within 5 %) the
    /// rate asked for, and no backlog of more than --max-drain seconds.
    pub highest_loss_free_rate: Option<f64>,
    /// With --step: why the steps stopped.
    pub stopped_because: Option<String>,
    /// One entry per rate.
    pub phases: Vec<PhaseReport>,
    /// The bridge's non-zero item counters from `/metrics` at the end (spawn mode, or with --admin).
    pub bridge_counters: Vec<String>,
}

/// Runs the command.
pub fn run(args: LoadgenArgs) -> ExitCode {
    let cpus = bridge::cpus();
    let pinning = match pinning(&args, cpus) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Pin before the runtime starts its threads: they inherit the affinity.
    if let Some(cpu) = pinning.loadgen {
        if let Err(e) = bridge::pin_self(cpu) {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: cannot start the runtime: {e}");
                return ExitCode::FAILURE;
            }
        };
    match runtime.block_on(run_async(&args, pinning)) {
        Ok(report) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            } else {
                print!("{}", table(&report));
            }
            let fixed_failed = !args.step && report.phases.iter().any(|p| !p.clean());
            if fixed_failed {
                ExitCode::from(EXIT_LOSS)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Pinning {
    bridge: Option<usize>,
    loadgen: Option<usize>,
}

fn pinning(args: &LoadgenArgs, cpus: usize) -> Result<Pinning, LoadgenError> {
    if args.no_pin {
        return Ok(Pinning { bridge: None, loadgen: None });
    }
    let two_cores = cpus >= 2;
    let bridge = match args.bridge_cpu {
        Some(c) => Some(c),
        None if args.spawn && two_cores => Some(1),
        None => None,
    };
    let loadgen = match args.loadgen_cpu {
        Some(c) => Some(c),
        None if args.spawn && two_cores => Some(if bridge == Some(0) { 1 } else { 0 }),
        None => None,
    };
    if bridge.is_some() && bridge == loadgen {
        return Err(LoadgenError::Args(
            "--bridge-cpu and --loadgen-cpu must differ (the load generator would take the bridge's core)"
                .into(),
        ));
    }
    Ok(Pinning { bridge, loadgen })
}

/// Where the bridge under test is.
struct Target {
    pid: u32,
    endpoint: String,
    admin: Option<String>,
    spawned: Option<SpawnedBridge>,
    run_dir: Option<(PathBuf, bool)>,
}

async fn run_async(args: &LoadgenArgs, pinning: Pinning) -> Result<Report, LoadgenError> {
    if args.rate == 0 || args.batch == 0 || args.duration <= 0.0 || args.concurrency == 0 {
        return Err(LoadgenError::Args(
            "--rate, --batch, --duration and --concurrency must be above 0".into(),
        ));
    }
    if args.warmup >= args.duration {
        return Err(LoadgenError::Args("--warmup must be shorter than --duration".into()));
    }
    if args.step && args.step_factor <= 1.0 {
        return Err(LoadgenError::Args("--step-factor must be above 1".into()));
    }
    let sink = SeqSink::start(&args.sink)
        .await
        .map_err(|source| LoadgenError::Sink { address: args.sink.clone(), source })?;
    let mut target = if args.spawn {
        let (dir, temporary) = match &args.run_dir {
            Some(d) => (d.clone(), false),
            None => (
                std::env::temp_dir().join(format!("otelbridge-loadgen-{}", std::process::id())),
                true,
            ),
        };
        let binary = match &args.bridge_bin {
            Some(b) => b.clone(),
            None => std::env::current_exe()
                .map_err(|e| LoadgenError::Bridge(format!("cannot find this binary: {e}")))?,
        };
        let options = SpawnOptions {
            binary,
            cpu: pinning.bridge,
            batch_processor: args.batch_processor,
            exporter_compression: args.exporter_compression.clone(),
            dir: dir.clone(),
        };
        let spawned = SpawnedBridge::start(args.protocol, sink.address(), &options)
            .await
            .map_err(LoadgenError::Bridge)?;
        Target {
            pid: spawned.pid,
            endpoint: spawned.endpoint.clone(),
            admin: Some(spawned.admin.to_string()),
            spawned: Some(spawned),
            run_dir: Some((dir, temporary)),
        }
    } else {
        let pid = args.target_pid.ok_or_else(|| LoadgenError::Args("--target-pid".into()))?;
        if procstat::sample(pid, 100.0).is_none() {
            return Err(LoadgenError::Args(format!("no process {pid} to measure")));
        }
        Target {
            pid,
            endpoint: args.endpoint.clone().unwrap_or_default(),
            admin: args.admin.clone(),
            spawned: None,
            run_dir: None,
        }
    };
    if args.target_pid.is_some() && !args.json {
        eprintln!("sink listening on {}: point the bridge's otlp exporter there", sink.address());
    }
    let result = measure(args, &target, &sink).await;
    let counters = match &target.admin {
        Some(admin) => bridge_counters(admin).await,
        None => Vec::new(),
    };
    if let Some(spawned) = target.spawned.take() {
        spawned.stop(Duration::from_secs(10)).await;
    }
    let mut report = result?;
    report.bridge_pid = target.pid;
    report.bridge_cpu = pinning.bridge.filter(|_| args.spawn);
    report.loadgen_cpu = pinning.loadgen;
    report.bridge_counters = counters;
    if let Some((dir, true)) = &target.run_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(report)
}

/// Samples a process every second into a shared list.
struct Sampler {
    pid: u32,
    ticks: f64,
    samples: Arc<Mutex<Vec<Sample>>>,
}

impl Sampler {
    fn start(pid: u32, ticks: f64) -> Self {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let list = samples.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                every.tick().await;
                match procstat::sample(pid, ticks) {
                    Some(s) => list.lock().unwrap_or_else(|e| e.into_inner()).push(s),
                    None => break,
                }
                if Arc::strong_count(&list) == 1 {
                    break;
                }
            }
        });
        Sampler { pid, ticks, samples }
    }

    /// Takes a sample now (the edge of a window).
    fn mark(&self) -> Option<Sample> {
        let s = procstat::sample(self.pid, self.ticks)?;
        self.samples.lock().unwrap_or_else(|e| e.into_inner()).push(s);
        Some(s)
    }

    /// The samples from `from` to `to`, both included.
    fn window(&self, from: &Sample, to: &Sample) -> Vec<Sample> {
        let mut list: Vec<Sample> = self
            .samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|s| s.at >= from.at && s.at <= to.at)
            .copied()
            .collect();
        list.sort_by_key(|s| s.at);
        list
    }
}

async fn measure(
    args: &LoadgenArgs,
    target: &Target,
    sink: &SeqSink,
) -> Result<Report, LoadgenError> {
    let sender =
        Sender::connect(args.protocol, &target.endpoint).await.map_err(LoadgenError::Send)?;
    let ticks = procstat::ticks_per_second();
    let bridge = Sampler::start(target.pid, ticks);
    let own = Sampler::start(std::process::id(), ticks);
    let mut generator = fitting_generator(args.protocol, args.batch)?;
    if generator.batch() != args.batch && !args.json {
        eprintln!(
            "{}: {} spans per datagram (the {}-byte limit), as the Jaeger clients pack them",
            args.protocol.name(),
            generator.batch(),
            send::MAX_DATAGRAM
        );
    }
    // Encoded once where the format allows: the sender's core then goes to sending.
    let mut prepared = Prepared::new(args.protocol, &mut generator).map_err(LoadgenError::Send)?;
    let mut next_seq = 0u64;
    let mut phases = Vec::new();
    let mut rate = args.rate;
    let mut stopped_because = None;
    if !args.json {
        eprintln!("{HEADER}");
    }
    loop {
        let phase = run_phase(
            args,
            rate,
            &sender,
            (&mut generator, &mut prepared),
            &mut next_seq,
            sink,
            &bridge,
            &own,
        )
        .await?;
        let clean = phase.clean();
        let backlog = phase.drain_seconds > args.max_drain;
        let behind = phase.rate_achieved < 0.95 * rate as f64;
        if !args.json {
            eprintln!("{}", phase_line(&phase));
        }
        phases.push(phase);
        if !args.step {
            break;
        }
        if !clean {
            stopped_because = Some("spans lost, refused or failed at the last rate".to_string());
            break;
        }
        if backlog {
            stopped_because = Some(format!(
                "the bridge fell behind at the last rate: its last spans arrived more than {}s after \
                 sending stopped (a growing backlog: not sustainable)",
                args.max_drain
            ));
            break;
        }
        if behind {
            let last = phases.last().map_or(0, |p: &PhaseReport| p.waits_for_answers);
            stopped_because = Some(if last > 0 {
                "the bridge answered too slowly to keep the last rate (backpressure: every request slot waited)"
                    .to_string()
            } else {
                "the load generator could not send at the last rate (sender-bound, not bridge-bound)"
                    .to_string()
            });
            break;
        }
        let next = ((rate as f64) * args.step_factor).round() as u64;
        if next > args.max_rate {
            stopped_because = Some("--max-rate reached".to_string());
            break;
        }
        rate = next;
    }
    let counts: SinkCounts = sink.counts();
    let best = phases
        .iter()
        .filter(|p| p.clean() && p.sustained(args.max_drain))
        .max_by(|a, b| a.rate_achieved.total_cmp(&b.rate_achieved));
    let bridge_usage = if args.step { best.map(|p| p.bridge) } else { Some(phases[0].bridge) };
    Ok(Report {
        protocol: args.protocol,
        mode: if args.spawn { "spawn" } else { "target-pid" },
        bridge_pid: target.pid,
        bridge_cpu: None,
        loadgen_cpu: None,
        batch: generator.batch(),
        sent: phases.iter().map(|p| p.sent).sum(),
        received: phases.iter().map(|p| p.received).sum(),
        lost: phases.iter().map(|p| p.lost).sum(),
        refused: phases.iter().map(|p| p.refused).sum(),
        failed: phases.iter().map(|p| p.failed).sum(),
        duplicates: counts.duplicates,
        unnumbered: counts.unnumbered,
        bridge: bridge_usage,
        highest_loss_free_rate: if args.step { best.map(|p| p.rate_achieved) } else { None },
        stopped_because,
        phases,
        bridge_counters: Vec::new(),
    })
}

/// Seed of the span templates: every run sends the same shapes.
const SEED: u64 = 0x5eed_0f10_ad00;

/// A generator of `batch`-span batches; for UDP, of as many spans as fit in one datagram when `batch` do
/// not, so that one batch is one datagram.
fn fitting_generator(protocol: Protocol, batch: usize) -> Result<Generator, LoadgenError> {
    let mut n = batch;
    loop {
        let mut generator = Generator::new(n, SEED);
        if !protocol.is_udp() {
            return Ok(generator);
        }
        // The markers take the most bytes any numbers can (and the pre-encoded batches are made with
        // them): try with those, every template.
        let mut fits = true;
        for _ in 0..spans::TEMPLATES {
            let payloads = protocol.encode(generator.next_marked()).map_err(LoadgenError::Send)?;
            fits &= payloads.len() == 1;
        }
        if fits {
            return Ok(Generator::new(n, SEED));
        }
        if n == 1 {
            return Err(LoadgenError::Send("one span does not fit in a datagram".into()));
        }
        n = n * 9 / 10;
    }
}

/// Answers of one phase's requests.
#[derive(Default)]
struct Tally {
    accepted: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
    first_failure: Mutex<Option<String>>,
}

impl Tally {
    fn count(&self, answer: Answer, spans: u64) {
        match answer {
            Answer::Accepted => self.accepted.fetch_add(spans, Ordering::Relaxed),
            Answer::Refused => self.refused.fetch_add(spans, Ordering::Relaxed),
            Answer::Failed(why) => {
                self.first_failure.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(why);
                self.failed.fetch_add(spans, Ordering::Relaxed)
            }
        };
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_phase(
    args: &LoadgenArgs,
    rate: u64,
    sender: &Sender,
    (generator, prepared): (&mut Generator, &mut Option<Prepared>),
    next_seq: &mut u64,
    sink: &SeqSink,
    bridge: &Sampler,
    own: &Sampler,
) -> Result<PhaseReport, LoadgenError> {
    let batch = generator.batch() as u64;
    let interval = Duration::from_secs_f64(batch as f64 / rate as f64);
    let duration = Duration::from_secs_f64(args.duration);
    let warmup = Duration::from_secs_f64(args.warmup);
    let tally = Arc::new(Tally::default());
    let in_flight = Arc::new(Semaphore::new(args.concurrency));
    let first_seq = *next_seq;
    let start = tokio::time::Instant::now();
    let end = start + duration;
    let mut window_start: Option<(Sample, Option<Sample>)> = None;
    let mut batches = 0u32;
    let mut full_waits = 0u64;
    loop {
        let due = start + interval * batches;
        if due >= end {
            break;
        }
        let now = tokio::time::Instant::now();
        if now < due {
            tokio::time::sleep_until(due).await;
        } else if batches % 32 == 0 {
            // Behind schedule: still let the sink and the answers run.
            tokio::task::yield_now().await;
        }
        if window_start.is_none() && due >= start + warmup {
            let b =
                bridge.mark().ok_or_else(|| LoadgenError::Bridge("the bridge exited".into()))?;
            window_start = Some((b, own.mark()));
        }
        let payloads = match prepared.as_mut() {
            Some(p) => vec![Payload { bytes: p.next_batch(*next_seq), spans: batch as usize }],
            None => {
                args.protocol.encode(generator.next_batch(*next_seq)).map_err(LoadgenError::Send)?
            }
        };
        *next_seq += batch;
        batches += 1;
        if let Sender::Udp(_) = sender {
            for datagram in payloads {
                let answer = sender.send(Bytes::from(datagram.bytes)).await;
                tally.count(answer, datagram.spans as u64);
            }
        } else {
            let body =
                Bytes::from(payloads.into_iter().next().map(|p| p.bytes).unwrap_or_default());
            let permit = match in_flight.clone().try_acquire_owned() {
                Ok(permit) => permit,
                Err(_) => {
                    // Every request slot is waiting for an answer: the bridge answers slowly.
                    full_waits += 1;
                    in_flight
                        .clone()
                        .acquire_owned()
                        .await
                        .map_err(|e| LoadgenError::Send(e.to_string()))?
                }
            };
            let (sender, tally) = (sender.clone(), tally.clone());
            tokio::spawn(async move {
                tally.count(sender.send(body).await, batch);
                drop(permit);
            });
        }
    }
    // Every request answered.
    let _all = in_flight
        .acquire_many(args.concurrency as u32)
        .await
        .map_err(|e| LoadgenError::Send(e.to_string()))?;
    let sent_at = start.elapsed();
    let window_end =
        bridge.mark().ok_or_else(|| LoadgenError::Bridge("the bridge exited".into()))?;
    let own_end = own.mark();
    let accepted = tally.accepted.load(Ordering::Relaxed);
    let (received, drained) = drain(sink, first_seq, *next_seq, accepted, args.drain_timeout).await;
    let (bridge_start, own_start) = window_start
        .ok_or_else(|| LoadgenError::Args("--warmup leaves no time to measure".into()))?;
    let usage = procstat::usage(&bridge.window(&bridge_start, &window_end));
    let loadgen_cpu_percent = match (own_start, own_end) {
        (Some(a), Some(b)) => procstat::cpu_percent(&a, &b),
        _ => 0.0,
    };
    let spans_sent = u64::from(batches) * batch;
    let rate_achieved = spans_sent as f64 / sent_at.as_secs_f64();
    let first_failure = tally.first_failure.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok(PhaseReport {
        rate_target: rate,
        rate_achieved,
        seconds: sent_at.as_secs_f64(),
        sent: accepted,
        received,
        lost: accepted.saturating_sub(received),
        refused: tally.refused.load(Ordering::Relaxed),
        failed: tally.failed.load(Ordering::Relaxed),
        first_failure,
        bridge: usage,
        bridge_cpu_us_per_span: usage.cpu_percent / 100.0 * 1e6 / rate_achieved,
        loadgen_cpu_percent,
        waits_for_answers: full_waits,
        drain_seconds: drained.as_secs_f64(),
    })
}

/// Waits until `expected` spans of `from..to` reached the sink, or nothing arrived for two seconds, or
/// the timeout; returns how many arrived and how long after the call the last of them did.
async fn drain(sink: &SeqSink, from: u64, to: u64, expected: u64, timeout: f64) -> (u64, Duration) {
    let begin = Instant::now();
    let deadline = begin + Duration::from_secs_f64(timeout);
    let mut last = sink.counts().spans;
    let mut last_change = begin;
    loop {
        let seen = sink.seen_in(from, to);
        if seen >= expected {
            return (seen, begin.elapsed());
        }
        if Instant::now() > deadline {
            return (seen, last_change - begin);
        }
        let spans = sink.counts().spans;
        if spans != last {
            last = spans;
            last_change = Instant::now();
        } else if last_change.elapsed() > Duration::from_secs(2) {
            return (seen, last_change - begin);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Non-zero item counters of the bridge's `/metrics`.
async fn bridge_counters(admin: &str) -> Vec<String> {
    let Ok(response) = reqwest::get(format!("http://{admin}/metrics")).await else {
        return vec![format!("(could not read http://{admin}/metrics)")];
    };
    let text = response.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains("_items_total"))
        .filter(|l| l.rsplit(' ').next().is_some_and(|v| v != "0"))
        .map(str::to_string)
        .collect()
}

fn phase_line(p: &PhaseReport) -> String {
    format!(
        "{:>9} {:>10.0} {:>10} {:>10} {:>8} {:>8} {:>7} {:>7.1} ({:>5.1}) {:>6.1} ({:>5.1}) {:>8.2} {:>8.1} {:>7.2}",
        p.rate_target,
        p.rate_achieved,
        p.sent,
        p.received,
        p.lost,
        p.refused,
        p.failed,
        p.bridge.cpu_percent,
        p.bridge.cpu_percent_max,
        p.bridge.rss_mib,
        p.bridge.rss_max_mib,
        p.bridge_cpu_us_per_span,
        p.loadgen_cpu_percent,
        p.drain_seconds,
    )
}

const HEADER: &str = "rate/s    achieved       sent   received     lost  refused  failed  CPU % (max)      RSS MiB (max)  µs/span  loadgen% drain s";

/// The human-readable report.
pub fn table(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let pin = |c: Option<usize>| c.map_or("unpinned".to_string(), |c| format!("cpu {c}"));
    let _ = writeln!(
        out,
        "otelbridge loadgen: {} → bridge pid {} ({}, {}) → OTLP/gRPC sink; loadgen {}; batches of {}",
        report.protocol.name(),
        report.bridge_pid,
        report.mode,
        pin(report.bridge_cpu),
        pin(report.loadgen_cpu),
        report.batch
    );
    let _ = writeln!(out, "{HEADER}");
    for p in &report.phases {
        let _ = writeln!(out, "{}", phase_line(p));
        if let Some(f) = &p.first_failure {
            let _ = writeln!(out, "    first failure: {f}");
        }
    }
    let _ = writeln!(
        out,
        "total: sent {} received {} lost {} refused {} failed {} duplicates {} unnumbered {}",
        report.sent,
        report.received,
        report.lost,
        report.refused,
        report.failed,
        report.duplicates,
        report.unnumbered
    );
    if let Some(rate) = report.highest_loss_free_rate {
        let _ = writeln!(out, "highest loss-free rate: {rate:.0} spans/s");
    }
    if let Some(why) = &report.stopped_because {
        let _ = writeln!(out, "steps stopped: {why}");
    }
    if !report.bridge_counters.is_empty() {
        let _ = writeln!(out, "bridge counters:");
        for c in &report.bridge_counters {
            let _ = writeln!(out, "  {c}");
        }
    }
    out
}
