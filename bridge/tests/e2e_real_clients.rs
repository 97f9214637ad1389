//! End-to-end over real sockets with real, published client libraries:
//!
//! ```text
//! emitter (Python / Node client library) ──UDP/HTTP/gRPC──▶ otelbridge run ──OTLP gRPC──▶ sink (this test)
//! ```
//!
//! Per client, the test starts `otelbridge run --config <tmp>` as a child process with one receiver
//! on free 127.0.0.1 ports and an `otlp` exporter pointing at an OTLP gRPC sink served by the test,
//! runs the emitter (`interop-tests/emitters/`), and compares every field the emitter says it sent
//! (its one JSON line: ids, parent, names, kind, times, typed attributes, events, links, status,
//! service.name, resource attributes, scope) with what reached the sink. The run id is random, so
//! nothing left over from another run can pass.
//!
//! The client libraries are installed by `bash interop-tests/setup.sh`. Without them a case prints
//! `skipped: ...` and passes, except when the environment variable `CI` is set: then it fails.

use otelbridge::testing::OtlpSink;
use serde_json::Value as J;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use translators::otlp::model::{
    any_value::Value, span::SpanKind, status::StatusCode, AnyValue, ExportTraceServiceRequest,
    KeyValue, Resource, Span,
};

/// How long the bridge may take to answer `/readyz`, and the spans to reach the sink.
const DEADLINE: Duration = Duration::from_secs(30);
/// How long an emitter may run (Python start-up plus one flush).
const EMITTER_DEADLINE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// The cases

/// Where a case's client library lives and how it is run.
enum Runtime {
    /// `interop-tests/.venv/<venv>/bin/python interop-tests/emitters/python/<script>`.
    Python { venv: &'static str, script: &'static str },
    /// `node interop-tests/emitters/node/<script>`, with `node_modules` installed.
    Node { script: &'static str },
}

/// Which receiver the bridge starts, and the target string handed to the emitter.
#[derive(Clone, Copy)]
enum Receiver {
    JaegerCompact,
    /// UDP compact plus the remote-sampling endpoint, serving a strategies file that gives only
    /// the emitter's service (`interop-py-jaeger-remote-sampling-<run id>`) probability 1.0.
    JaegerCompactRemoteSampling,
    JaegerBinary,
    JaegerThriftHttp,
    Zipkin,
    OtlpGrpc,
    OtlpHttp,
}

impl Receiver {
    fn is_udp(self) -> bool {
        matches!(
            self,
            Receiver::JaegerCompact
                | Receiver::JaegerBinary
                | Receiver::JaegerCompactRemoteSampling
        )
    }

    /// Writes the strategies file into `dir` and returns what the `jaeger` receiver needs for the
    /// remote-sampling endpoint on `endpoint`, or "" when this receiver has none.
    fn sampling_config(self, endpoint: &str, dir: &Path, run_id: &str) -> String {
        if !matches!(self, Receiver::JaegerCompactRemoteSampling) {
            return String::new();
        }
        // Jaeger's strategies-file format. Every other service gets 0: a client served the
        // default instead of its own strategy never samples, and its emitter fails.
        let strategies = serde_json::json!({
            "default_strategy": { "type": "probabilistic", "param": 0.0 },
            "service_strategies": [{
                "service": format!("interop-py-jaeger-remote-sampling-{run_id}"),
                "type": "probabilistic",
                "param": 1.0
            }]
        });
        let path = dir.join("strategies.json");
        std::fs::write(&path, strategies.to_string()).expect("write strategies file");
        format!(
            "    remote_sampling: {{ endpoint: \"{endpoint}\", strategies_file: \"{}\" }}\n",
            path.display()
        )
    }

    /// The `receivers:` block and the pipeline's receiver name.
    fn config(self, endpoint: &str) -> (String, &'static str) {
        let jaeger = |protocol: &str| {
            format!("  jaeger:\n    protocols:\n      {protocol}: {{ endpoint: \"{endpoint}\" }}\n")
        };
        let otlp = |protocol: &str| {
            format!("  otlp:\n    protocols:\n      {protocol}: {{ endpoint: \"{endpoint}\" }}\n")
        };
        match self {
            Receiver::JaegerCompact | Receiver::JaegerCompactRemoteSampling => {
                (jaeger("thrift_compact"), "jaeger")
            }
            Receiver::JaegerBinary => (jaeger("thrift_binary"), "jaeger"),
            Receiver::JaegerThriftHttp => (jaeger("thrift_http"), "jaeger"),
            Receiver::Zipkin => (format!("  zipkin: {{ endpoint: \"{endpoint}\" }}\n"), "zipkin"),
            Receiver::OtlpGrpc => (otlp("grpc"), "otlp"),
            Receiver::OtlpHttp => (otlp("http"), "otlp"),
        }
    }

    /// What the emitter is told to send to: host:port for UDP and gRPC, a base URL for HTTP.
    fn target(self, endpoint: &str) -> String {
        match self {
            Receiver::JaegerCompact
            | Receiver::JaegerCompactRemoteSampling
            | Receiver::JaegerBinary
            | Receiver::OtlpGrpc => endpoint.to_string(),
            _ => format!("http://{endpoint}"),
        }
    }
}

struct Case {
    name: &'static str,
    runtime: Runtime,
    mode: &'static str,
    receiver: Receiver,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_jaeger_client_udp_compact() {
    run_case(Case {
        name: "python jaeger-client → Jaeger UDP compact",
        runtime: Runtime::Python { venv: "jaeger-client", script: "jaeger_client_emit.py" },
        mode: "udp-compact",
        receiver: Receiver::JaegerCompact,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_jaeger_client_remote_sampling_then_udp_compact() {
    run_case(Case {
        name: "python jaeger-client remote sampler ← /sampling, then → Jaeger UDP compact",
        runtime: Runtime::Python { venv: "jaeger-client", script: "jaeger_client_emit.py" },
        mode: "udp-compact-remote-sampling",
        receiver: Receiver::JaegerCompactRemoteSampling,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_jaeger_client_udp_compact_64bit_trace_ids() {
    run_case(Case {
        name: "python jaeger-client, 64-bit trace ids → Jaeger UDP compact",
        runtime: Runtime::Python { venv: "jaeger-client", script: "jaeger_client_emit.py" },
        mode: "udp-compact-64bit",
        receiver: Receiver::JaegerCompact,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_jaeger_client_udp_binary() {
    run_case(Case {
        name: "node jaeger-client UDPSender → Jaeger UDP binary",
        runtime: Runtime::Node { script: "jaeger_client_emit.js" },
        mode: "udp-binary",
        receiver: Receiver::JaegerBinary,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_jaeger_client_http_thrift() {
    run_case(Case {
        name: "node jaeger-client HTTPSender → Jaeger HTTP /api/traces",
        runtime: Runtime::Node { script: "jaeger_client_emit.js" },
        mode: "http-thrift",
        receiver: Receiver::JaegerThriftHttp,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_otel_jaeger_exporter_http_thrift() {
    run_case(Case {
        name: "python opentelemetry-exporter-jaeger-thrift → Jaeger HTTP /api/traces",
        runtime: Runtime::Python { venv: "otel-jaeger", script: "otel_jaeger_emit.py" },
        mode: "http-thrift",
        receiver: Receiver::JaegerThriftHttp,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_otel_jaeger_exporter_udp_compact() {
    run_case(Case {
        name: "python opentelemetry-exporter-jaeger-thrift (agent) → Jaeger UDP compact",
        runtime: Runtime::Python { venv: "otel-jaeger", script: "otel_jaeger_emit.py" },
        mode: "udp-compact",
        receiver: Receiver::JaegerCompact,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_py_zipkin_v2_json() {
    run_case(Case {
        name: "python py-zipkin V2_JSON → Zipkin /api/v2/spans",
        runtime: Runtime::Python { venv: "py-zipkin", script: "py_zipkin_emit.py" },
        mode: "v2-json",
        receiver: Receiver::Zipkin,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_py_zipkin_v2_json_64bit_trace_ids() {
    run_case(Case {
        name: "python py-zipkin V2_JSON, 64-bit trace ids → Zipkin /api/v2/spans",
        runtime: Runtime::Python { venv: "py-zipkin", script: "py_zipkin_emit.py" },
        mode: "v2-json-64bit",
        receiver: Receiver::Zipkin,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_py_zipkin_v2_proto() {
    run_case(Case {
        name: "python py-zipkin V2_PROTO3 → Zipkin /api/v2/spans",
        runtime: Runtime::Python { venv: "py-zipkin", script: "py_zipkin_emit.py" },
        mode: "v2-proto",
        receiver: Receiver::Zipkin,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_py_zipkin_v1_json() {
    run_case(Case {
        name: "python py-zipkin V1_JSON → Zipkin /api/v1/spans",
        runtime: Runtime::Python { venv: "py-zipkin", script: "py_zipkin_emit.py" },
        mode: "v1-json",
        receiver: Receiver::Zipkin,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_otel_otlp_grpc() {
    run_case(Case {
        name: "python opentelemetry-exporter-otlp-proto-grpc → OTLP gRPC",
        runtime: Runtime::Python { venv: "otel-otlp", script: "otel_otlp_emit.py" },
        mode: "grpc",
        receiver: Receiver::OtlpGrpc,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_otel_otlp_http_protobuf() {
    run_case(Case {
        name: "python opentelemetry-exporter-otlp-proto-http → OTLP/HTTP /v1/traces",
        runtime: Runtime::Python { venv: "otel-otlp", script: "otel_otlp_emit.py" },
        mode: "http-protobuf",
        receiver: Receiver::OtlpHttp,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_otel_otlp_grpc_gzip() {
    run_case(Case {
        name: "python opentelemetry-exporter-otlp-proto-grpc, gzip → OTLP gRPC",
        runtime: Runtime::Python { venv: "otel-otlp", script: "otel_otlp_emit.py" },
        mode: "grpc-gzip",
        receiver: Receiver::OtlpGrpc,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_otel_otlp_http_protobuf_gzip() {
    run_case(Case {
        name: "python opentelemetry-exporter-otlp-proto-http, gzip → OTLP/HTTP /v1/traces",
        runtime: Runtime::Python { venv: "otel-otlp", script: "otel_otlp_emit.py" },
        mode: "http-protobuf-gzip",
        receiver: Receiver::OtlpHttp,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_otel_otlp_grpc() {
    run_case(Case {
        name: "node OpenTelemetry SDK exporter-trace-otlp-grpc → OTLP gRPC",
        runtime: Runtime::Node { script: "otel_sdk_emit.js" },
        mode: "otlp-grpc",
        receiver: Receiver::OtlpGrpc,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_otel_otlp_http_protobuf() {
    run_case(Case {
        name: "node OpenTelemetry SDK exporter-trace-otlp-proto → OTLP/HTTP protobuf",
        runtime: Runtime::Node { script: "otel_sdk_emit.js" },
        mode: "otlp-http-protobuf",
        receiver: Receiver::OtlpHttp,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_otel_otlp_http_json() {
    run_case(Case {
        name: "node OpenTelemetry SDK exporter-trace-otlp-http → OTLP/HTTP JSON",
        runtime: Runtime::Node { script: "otel_sdk_emit.js" },
        mode: "otlp-http-json",
        receiver: Receiver::OtlpHttp,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_otel_zipkin_exporter_json() {
    run_case(Case {
        name: "node OpenTelemetry SDK exporter-zipkin → Zipkin /api/v2/spans JSON",
        runtime: Runtime::Node { script: "otel_sdk_emit.js" },
        mode: "zipkin-json",
        receiver: Receiver::Zipkin,
    })
    .await;
}

/// A change to an emitter line, and what it changes.
type Mutation = (&'static str, fn(&mut J));

/// The harness itself, without the bridge: the OTLP gRPC emitter sends straight to the sink, the
/// comparison finds nothing; then single fields of the emitter's line are changed and the
/// comparison must report each one (so a passing case means something).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_self_check_emitter_straight_to_sink() {
    let case = Case {
        name: "harness self-check (OTLP gRPC emitter → sink, no bridge)",
        runtime: Runtime::Python { venv: "otel-otlp", script: "otel_otlp_emit.py" },
        mode: "grpc",
        receiver: Receiver::OtlpGrpc,
    };
    let Some((program, script)) = installed_or_skip(&case) else { return };
    let sink = OtlpSink::start().await.expect("start the OTLP sink");
    let run_id = new_run_id();
    let target = sink.endpoint().trim_start_matches("http://").to_string();
    let (sent, line) = run_emitter(&case, &program, &script, &[target, run_id.clone()])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let requests = sink.wait_for_spans(3, DEADLINE).await;
    let problems = compare(&sent, &requests);
    assert!(problems.is_empty(), "{problems:#?}\nline: {line}\nreceived:\n{}", render(&requests));

    let mutations: [Mutation; 9] = [
        ("span id", |j| j["spans"][0]["span_id"] = "0102030405060708".into()),
        ("parent", |j| j["spans"][1]["parent_span_id"] = "".into()),
        ("kind", |j| j["spans"][0]["kind"] = "CLIENT".into()),
        ("start time", |j| j["spans"][1]["start_time_unix_nano"] = 1.into()),
        ("attribute type", |j| j["spans"][0]["attributes"][3]["type"] = "double".into()),
        ("attribute not sent", |j| {
            j["spans"][0]["attributes"].as_array_mut().expect("attributes").pop();
        }),
        ("event time", |j| j["spans"][0]["events"][0]["time_unix_nano"] = 5.into()),
        ("status message", |j| j["spans"][1]["status"]["message"] = "other".into()),
        ("service name", |j| j["service_name"] = "another-service".into()),
    ];
    for (what, mutate) in mutations {
        let mut changed = sent.clone();
        mutate(&mut changed);
        assert!(!compare(&changed, &requests).is_empty(), "a changed {what} went unnoticed");
    }
}

// ---------------------------------------------------------------------------------------------
// Running one case

/// The emitter's command, or None after printing "skipped" (outside CI) when it is not installed.
fn installed_or_skip(case: &Case) -> Option<(PathBuf, PathBuf)> {
    match emitter_command(&case.runtime) {
        Ok(cmd) => Some(cmd),
        Err(why) if std::env::var_os("CI").is_some() => panic!(
            "{}: the client library is not installed ({why}); run `bash interop-tests/setup.sh` first",
            case.name
        ),
        Err(why) => {
            eprintln!(
                "skipped: {}: client library not installed ({why}); run `bash interop-tests/setup.sh`",
                case.name
            );
            None
        }
    }
}

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop-tests")
}

/// The emitter's command (program, script), or why it cannot run here.
fn emitter_command(runtime: &Runtime) -> Result<(PathBuf, PathBuf), String> {
    let dir = interop_dir();
    match runtime {
        Runtime::Python { venv, script } => {
            // setup.sh writes .installed-from last: a half-done install counts as missing.
            let marker = dir.join(".venv").join(venv).join(".installed-from");
            if !marker.exists() {
                return Err(format!("{} is missing", marker.display()));
            }
            let python = dir.join(".venv").join(venv).join("bin/python");
            Ok((python, dir.join("emitters/python").join(script)))
        }
        Runtime::Node { script } => {
            let marker = dir.join("emitters/node/node_modules/.installed-from");
            if !marker.exists() {
                return Err(format!("{} is missing", marker.display()));
            }
            Ok((PathBuf::from("node"), dir.join("emitters/node").join(script)))
        }
    }
}

async fn run_case(case: Case) {
    let Some((program, script)) = installed_or_skip(&case) else { return };
    let run_id = new_run_id();
    let sink = OtlpSink::start().await.expect("start the OTLP sink");
    let bridge = Bridge::start(&case, &run_id, &sink.endpoint()).await;
    let mut args = vec![case.receiver.target(&bridge.endpoint), run_id.clone()];
    args.extend(bridge.sampling.clone());
    let (sent, line) = match run_emitter(&case, &program, &script, &args).await {
        Ok(sent) => sent,
        Err(e) => panic!("{e}\nbridge log:\n{}", bridge.log()),
    };

    let want = sent["spans"].as_array().map_or(0, Vec::len);
    let requests = sink.wait_for_spans(want as u64, DEADLINE).await;
    let problems = compare(&sent, &requests);
    if !problems.is_empty() {
        panic!(
            "{} ({} {}): {} difference(s) between what the client sent and what reached the sink:\n  - {}\n\n\
             emitter line: {line}\n\nreceived:\n{}\nbridge log:\n{}",
            case.name,
            sent["library"].as_str().unwrap_or("?"),
            sent["version"].as_str().unwrap_or("?"),
            problems.len(),
            problems.join("\n  - "),
            render(&requests),
            bridge.log()
        );
    }
    bridge.stop();
}

fn new_run_id() -> String {
    format!("{:016x}", RandomState::new().build_hasher().finish())
}

/// Runs one emitter (`case.mode`, then `args`: target, run id, [sampling endpoint]) and returns
/// its JSON line (parsed and as text).
async fn run_emitter(
    case: &Case,
    program: &Path,
    script: &Path,
    args: &[String],
) -> Result<(J, String), String> {
    let run_id = args[1].as_str();
    let out = tokio::time::timeout(
        EMITTER_DEADLINE,
        tokio::process::Command::new(program)
            .arg(script)
            .arg(case.mode)
            .args(args)
            .current_dir(script.parent().expect("emitter dir"))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .map_err(|_| format!("{}: the emitter ran longer than {EMITTER_DEADLINE:?}", case.name))?
    .map_err(|e| format!("{}: cannot start {}: {e}", case.name, program.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{}: the emitter failed ({}):\n{}",
            case.name,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let sent: J = serde_json::from_str(line).map_err(|e| {
        format!("{}: the emitter's last stdout line is not JSON ({e}): {stdout:?}", case.name)
    })?;
    if sent["run_id"].as_str() != Some(run_id) {
        return Err(format!("{}: the emitter's line has another run id: {line}", case.name));
    }
    Ok((sent, line.to_string()))
}

// ---------------------------------------------------------------------------------------------
// The bridge as a child process

struct Bridge {
    child: tokio::process::Child,
    /// The receiver's 127.0.0.1:port.
    endpoint: String,
    /// The remote-sampling endpoint's 127.0.0.1:port, when the receiver has one.
    sampling: Option<String>,
    dir: PathBuf,
}

impl Bridge {
    /// Starts `otelbridge run` with `case`'s receiver on a free port, and waits for `/readyz`.
    /// A port taken between choosing and binding makes the bridge exit: then it retries.
    async fn start(case: &Case, run_id: &str, sink: &str) -> Bridge {
        let dir = std::env::temp_dir().join(format!("otelbridge-e2e-{run_id}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut last_log = String::new();
        for attempt in 0..3 {
            let port = free_port(case.receiver.is_udp());
            let admin = free_port(false);
            let endpoint = format!("127.0.0.1:{port}");
            let (mut receivers, receiver_name) = case.receiver.config(&endpoint);
            let sampling = format!("127.0.0.1:{}", free_port(false));
            let sampling_config = case.receiver.sampling_config(&sampling, &dir, run_id);
            let sampling = (!sampling_config.is_empty()).then_some(sampling);
            receivers += &sampling_config;
            let config = format!(
                "receivers:\n{receivers}\
                 exporters:\n  otlp: {{ endpoint: \"{sink}\", compression: none }}\n\
                 pipelines:\n  traces: {{ receivers: [{receiver_name}], exporters: [otlp] }}\n\
                 service:\n  admin: {{ endpoint: \"127.0.0.1:{admin}\" }}\n"
            );
            let config_path = dir.join("config.yaml");
            std::fs::write(&config_path, &config).expect("write config");
            let log_path = dir.join(format!("bridge-{attempt}.log"));
            let log = std::fs::File::create(&log_path).expect("log file");
            let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_otelbridge"));
            cmd.arg("run")
                .arg("--config")
                .arg(&config_path)
                .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log file"))
                .stderr(log)
                .kill_on_drop(true);
            // The environment overrides the config file: keep the caller's settings out.
            for (key, _) in std::env::vars_os() {
                if key.to_string_lossy().starts_with("OTELBRIDGE_") {
                    cmd.env_remove(key);
                }
            }
            let mut child = cmd.spawn().expect("start otelbridge");
            let ready = format!("http://127.0.0.1:{admin}/readyz");
            let client = reqwest::Client::new();
            let started = Instant::now();
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last_log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    // Only a port taken in the meantime is worth another try.
                    if !last_log.to_lowercase().contains("in use") {
                        panic!(
                            "{}: otelbridge exited at start ({status})\nconfig:\n{config}\nlog:\n{last_log}",
                            case.name
                        );
                    }
                    eprintln!(
                        "otelbridge exited at start ({status}), attempt {attempt}:\n{last_log}"
                    );
                    break;
                }
                if let Ok(r) = client.get(&ready).timeout(Duration::from_secs(1)).send().await {
                    if r.status().is_success() {
                        return Bridge { child, endpoint, sampling, dir: dir.clone() };
                    }
                }
                if started.elapsed() > DEADLINE {
                    let _ = child.start_kill();
                    panic!(
                        "{}: otelbridge did not answer {ready} with 200 within {DEADLINE:?}\nconfig:\n{config}\nlog:\n{}",
                        case.name,
                        std::fs::read_to_string(&log_path).unwrap_or_default()
                    );
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        panic!("{}: otelbridge would not start (3 attempts); last log:\n{last_log}", case.name);
    }

    fn log(&self) -> String {
        let mut out = String::new();
        for entry in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().ends_with(".log") {
                out += &std::fs::read_to_string(entry.path()).unwrap_or_default();
            }
        }
        out
    }

    /// Stops the bridge and removes its files (kept when the test failed, see the panic message).
    fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port that was free a moment ago (the OS's choice for port 0).
fn free_port(udp: bool) -> u16 {
    if udp {
        std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("udp port")
            .port()
    } else {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("tcp port")
            .port()
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing what was sent with what arrived

/// One received span with the resource and scope it came under.
struct Found<'a> {
    resource: Option<&'a Resource>,
    scope_name: &'a str,
    scope_version: &'a str,
    span: &'a Span,
}

fn all_spans(requests: &[ExportTraceServiceRequest]) -> impl Iterator<Item = Found<'_>> {
    requests.iter().flat_map(|r| &r.resource_spans).flat_map(|rs| {
        rs.scope_spans.iter().flat_map(move |ss| {
            ss.spans.iter().map(move |span| Found {
                resource: rs.resource.as_ref(),
                scope_name: ss.scope.as_ref().map_or("", |s| s.name.as_str()),
                scope_version: ss.scope.as_ref().map_or("", |s| s.version.as_str()),
                span,
            })
        })
    })
}

/// Every difference between the emitter's line and the received spans of its trace.
fn compare(sent: &J, requests: &[ExportTraceServiceRequest]) -> Vec<String> {
    let mut problems = Vec::new();
    let trace_id = sent["trace_id"].as_str().unwrap_or_default();
    let found: Vec<Found<'_>> =
        all_spans(requests).filter(|f| hex(&f.span.trace_id) == trace_id).collect();
    let expected = sent["spans"].as_array().map_or(&[][..], Vec::as_slice);
    if found.len() != expected.len() {
        problems.push(format!(
            "trace {trace_id}: expected {} spans, the sink has {} (and {} spans of other traces)",
            expected.len(),
            found.len(),
            all_spans(requests).count() - found.len()
        ));
    }
    let allowed_extra: Vec<&str> = sent["allowed_extra_attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(J::as_str)
        .collect();

    for es in expected {
        let name = es["name"].as_str().unwrap_or_default();
        let span_id = es["span_id"].as_str().unwrap_or_default();
        let mut p = |what: String| problems.push(format!("span {name:?} ({span_id}): {what}"));
        let hits: Vec<&Found<'_>> =
            found.iter().filter(|f| hex(&f.span.span_id) == span_id).collect();
        let f = match hits.as_slice() {
            [one] => *one,
            [] => {
                p("not received".into());
                continue;
            }
            many => {
                p(format!("received {} times", many.len()));
                many[0]
            }
        };
        let s = f.span;

        // Resource: service.name (null: none), and the expected attributes among others.
        let resource_attrs = f.resource.map_or(&[][..], |r| r.attributes.as_slice());
        let service = match es.get("service_name") {
            Some(J::Null) => None,
            Some(v) => v.as_str(),
            None => sent["service_name"].as_str(),
        };
        let got_service = find_attr(resource_attrs, "service.name");
        match service {
            Some(want) if !matches!(got_service, Some(Value::StringValue(g)) if g == want) => {
                p(format!("service.name: expected {want:?}, got {}", show(got_service)));
            }
            None if got_service.is_some() => {
                p(format!("service.name: expected none, got {}", show(got_service)))
            }
            _ => {}
        }
        if service.is_some() {
            for a in sent["resource_attributes"].as_array().into_iter().flatten() {
                if let Err(e) = check_attr(resource_attrs, a) {
                    p(format!("resource {e}"));
                }
            }
        }
        if let Some(scope) = sent.get("scope").filter(|s| s.is_object()) {
            let want =
                (scope["name"].as_str().unwrap_or(""), scope["version"].as_str().unwrap_or(""));
            if (f.scope_name, f.scope_version) != want {
                p(format!("scope: expected {want:?}, got {:?}", (f.scope_name, f.scope_version)));
            }
        }

        if s.name != name {
            p(format!("name: got {:?}", s.name));
        }
        let parent = es["parent_span_id"].as_str().unwrap_or_default();
        if hex(&s.parent_span_id) != parent {
            p(format!("parent: expected {parent:?}, got {:?}", hex(&s.parent_span_id)));
        }
        let kind = SpanKind::try_from(s.kind).map(kind_name).unwrap_or("?");
        if Some(kind) != es["kind"].as_str() {
            p(format!("kind: expected {}, got {kind} ({})", es["kind"], s.kind));
        }
        for (key, got) in [
            ("start_time_unix_nano", s.start_time_unix_nano),
            ("end_time_unix_nano", s.end_time_unix_nano),
        ] {
            match u64_of(&es[key]) {
                Some(want) if want != got => p(format!("{key}: expected {want}, got {got}")),
                _ => {}
            }
        }
        let (code, message) =
            s.status.as_ref().map_or((0, ""), |st| (st.code, st.message.as_str()));
        let code = StatusCode::try_from(code).map(status_name).unwrap_or("?");
        let want_code = es["status"]["code"].as_str().unwrap_or("UNSET");
        let want_message = es["status"]["message"].as_str().unwrap_or("");
        if (code, message) != (want_code, want_message) {
            p(format!("status: expected {want_code} {want_message:?}, got {code} {message:?}"));
        }
        for e in check_attrs_exactly(&s.attributes, &es["attributes"], &allowed_extra) {
            p(e);
        }

        let events = es["events"].as_array().map_or(&[][..], Vec::as_slice);
        if s.events.len() != events.len() {
            p(format!(
                "events: expected {} ({}), got {} ({})",
                events.len(),
                events.iter().filter_map(|e| e["name"].as_str()).collect::<Vec<_>>().join(", "),
                s.events.len(),
                s.events.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        for (i, ee) in events.iter().enumerate() {
            let en = ee["name"].as_str().unwrap_or_default();
            let Some(ev) = s.events.iter().find(|ev| ev.name == en) else {
                p(format!("event {i} {en:?}: not received"));
                continue;
            };
            if let Some(want) = u64_of(&ee["time_unix_nano"]) {
                if ev.time_unix_nano != want {
                    p(format!("event {en:?} time: expected {want}, got {}", ev.time_unix_nano));
                }
            }
            for e in check_attrs_exactly(&ev.attributes, &ee["attributes"], &[]) {
                p(format!("event {en:?}: {e}"));
            }
        }

        let links = es["links"].as_array().map_or(&[][..], Vec::as_slice);
        let got_links: Vec<String> =
            s.links.iter().map(|l| format!("{}/{}", hex(&l.trace_id), hex(&l.span_id))).collect();
        let want_links: Vec<String> = links
            .iter()
            .map(|l| {
                format!(
                    "{}/{}",
                    l["trace_id"].as_str().unwrap_or_default(),
                    l["span_id"].as_str().unwrap_or_default()
                )
            })
            .collect();
        if got_links != want_links {
            p(format!("links: expected {want_links:?}, got {got_links:?}"));
        } else {
            for (link, el) in s.links.iter().zip(links) {
                for e in check_attrs_exactly(&link.attributes, &el["attributes"], &[]) {
                    p(format!("link to {}: {e}", hex(&link.span_id)));
                }
            }
        }
    }
    problems
}

/// `want` (a JSON list of `{key, type, value}`) must be exactly `got`, apart from keys in `allowed`.
fn check_attrs_exactly(got: &[KeyValue], want: &J, allowed: &[&str]) -> Vec<String> {
    let want = want.as_array().map_or(&[][..], Vec::as_slice);
    let mut problems: Vec<String> = want.iter().filter_map(|a| check_attr(got, a).err()).collect();
    for kv in got {
        let expected = want.iter().any(|a| a["key"].as_str() == Some(kv.key.as_str()));
        if !expected && !allowed.contains(&kv.key.as_str()) {
            problems.push(format!(
                "attribute {:?} = {} was not sent (or should have become an OTLP field)",
                kv.key,
                show(kv.value.as_ref().and_then(|v| v.value.as_ref()))
            ));
        }
    }
    let keys: Vec<&str> = got.iter().map(|kv| kv.key.as_str()).collect();
    for (i, k) in keys.iter().enumerate() {
        if keys[..i].contains(k) {
            problems.push(format!("attribute {k:?} appears more than once"));
        }
    }
    problems
}

fn find_attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

/// Checks one expected `{key, type, value}` against `attrs`.
fn check_attr(attrs: &[KeyValue], want: &J) -> Result<(), String> {
    let key = want["key"].as_str().unwrap_or_default();
    let ty = want["type"].as_str().unwrap_or_default();
    let value = &want["value"];
    let got = find_attr(attrs, key);
    let ok = match (ty, got) {
        ("string", Some(Value::StringValue(s))) => value.as_str() == Some(s),
        ("int", Some(Value::IntValue(i))) => value.as_i64() == Some(*i),
        ("double", Some(Value::DoubleValue(d))) => value.as_f64() == Some(*d),
        ("bool", Some(Value::BoolValue(b))) => value.as_bool() == Some(*b),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("attribute {key:?}: expected {ty} {value}, got {}", show(got)))
    }
}

/// A JSON number or decimal string (Node writes ns times as strings: they exceed 2^53).
fn u64_of(v: &J) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "nothing".into(),
        Some(Value::StringValue(s)) => format!("string {s:?}"),
        Some(Value::IntValue(i)) => format!("int {i}"),
        Some(Value::DoubleValue(d)) => format!("double {d:?}"),
        Some(Value::BoolValue(b)) => format!("bool {b}"),
        Some(other) => format!("{other:?}"),
    }
}

fn kind_name(k: SpanKind) -> &'static str {
    match k {
        SpanKind::Unspecified => "UNSPECIFIED",
        SpanKind::Internal => "INTERNAL",
        SpanKind::Server => "SERVER",
        SpanKind::Client => "CLIENT",
        SpanKind::Producer => "PRODUCER",
        SpanKind::Consumer => "CONSUMER",
    }
}

fn status_name(c: StatusCode) -> &'static str {
    match c {
        StatusCode::Unset => "UNSET",
        StatusCode::Ok => "OK",
        StatusCode::Error => "ERROR",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the sink received, one line per span, for failure messages.
fn render(requests: &[ExportTraceServiceRequest]) -> String {
    let attrs = |kvs: &[KeyValue]| {
        kvs.iter()
            .map(|kv| {
                format!(
                    "{}={}",
                    kv.key,
                    show(kv.value.as_ref().and_then(|v: &AnyValue| v.value.as_ref()))
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::new();
    for f in all_spans(requests) {
        let s = f.span;
        out += &format!(
            "  [{}] scope {:?} {:?}: {:?} trace {} span {} parent {:?} kind {} {}..{} status {:?} attrs [{}] events [{}] links [{}]\n",
            attrs(f.resource.map_or(&[][..], |r| r.attributes.as_slice())),
            f.scope_name,
            f.scope_version,
            s.name,
            hex(&s.trace_id),
            hex(&s.span_id),
            hex(&s.parent_span_id),
            s.kind,
            s.start_time_unix_nano,
            s.end_time_unix_nano,
            s.status.as_ref().map(|st| (st.code, st.message.as_str())),
            attrs(&s.attributes),
            s.events
                .iter()
                .map(|e| format!("{}@{} {{{}}}", e.name, e.time_unix_nano, attrs(&e.attributes)))
                .collect::<Vec<_>>()
                .join("; "),
            s.links
                .iter()
                .map(|l| format!("{}/{} {{{}}}", hex(&l.trace_id), hex(&l.span_id), attrs(&l.attributes)))
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    if out.is_empty() {
        out = "  (nothing)\n".into();
    }
    out
}
