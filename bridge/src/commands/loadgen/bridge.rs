//! `--spawn`: the bridge under test as a child process with a generated config, pinned to its own core,
//! as the Collector's testbed runs the collector.

use super::send::Protocol;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the child may take to answer `/readyz`.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// What the child is started with.
#[derive(Debug, Clone)]
pub struct SpawnOptions {
    /// The `otelbridge` binary.
    pub binary: PathBuf,
    /// Core to pin it to with `taskset -c`; `None`: not pinned.
    pub cpu: Option<usize>,
    /// Put a `batch` processor in the pipeline.
    pub batch_processor: bool,
    /// `compression` of the otlp exporter (`none`, `gzip`); `None`: the exporter's default.
    pub exporter_compression: Option<String>,
    /// Where the config and the child's log go.
    pub dir: PathBuf,
}

/// The running child.
pub struct SpawnedBridge {
    child: Child,
    /// Its process id.
    pub pid: u32,
    /// Where its receiver listens (`127.0.0.1:<port>`).
    pub endpoint: String,
    /// Its admin server.
    pub admin: SocketAddr,
    /// Its stderr.
    pub log: PathBuf,
}

/// A free port on 127.0.0.1 (TCP or UDP), found by binding port 0.
pub fn free_port(udp: bool) -> std::io::Result<u16> {
    if udp {
        Ok(std::net::UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port())
    } else {
        Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
    }
}

/// The config the child runs: one receiver for `protocol`, an otlp exporter to `sink`.
pub fn config(
    protocol: Protocol,
    endpoint: &str,
    sink: SocketAddr,
    admin: SocketAddr,
    options: &SpawnOptions,
) -> String {
    let (receiver, receiver_id) = protocol.receiver_config(endpoint);
    let (processors, processor_ids) = if options.batch_processor {
        ("processors:\n  batch: {}\n".to_string(), "batch")
    } else {
        (String::new(), "")
    };
    format!(
        "# Written by otelbridge loadgen --spawn.\n\
         receivers:\n{receiver}\
         {processors}\
         exporters:\n  otlp: {{ endpoint: \"http://{sink}\"{compression} }}\n\
         pipelines:\n  traces: {{ receivers: [{receiver_id}], processors: [{processor_ids}], exporters: [otlp] }}\n\
         service:\n  admin: {{ endpoint: \"{admin}\" }}\n",
        compression = match &options.exporter_compression {
            Some(c) => format!(", compression: {c}"),
            None => String::new(),
        },
    )
}

impl SpawnedBridge {
    /// Writes the config, starts `otelbridge run` and waits until `/readyz` answers 200.
    pub async fn start(
        protocol: Protocol,
        sink: SocketAddr,
        options: &SpawnOptions,
    ) -> Result<Self, String> {
        let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
        fs::create_dir_all(&options.dir).map_err(|e| io("cannot create the run folder", e))?;
        let port = free_port(protocol.is_udp()).map_err(|e| io("no free port", e))?;
        let admin_port = free_port(false).map_err(|e| io("no free port", e))?;
        let endpoint = format!("127.0.0.1:{port}");
        let admin: SocketAddr = ([127, 0, 0, 1], admin_port).into();
        let config_path = options.dir.join("bridge.yaml");
        fs::write(&config_path, config(protocol, &endpoint, sink, admin, options))
            .map_err(|e| io("cannot write the bridge config", e))?;
        let log = options.dir.join("bridge.log");
        let log_file = fs::File::create(&log).map_err(|e| io("cannot create the bridge log", e))?;
        let mut command = match options.cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpu.to_string()).arg(&options.binary);
                c
            }
            None => Command::new(&options.binary),
        };
        command
            .arg("run")
            .arg("--config")
            .arg(&config_path)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file);
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", options.binary.display()))?;
        // taskset execs the bridge in place: the pid is the bridge's.
        let pid = child.id();
        let mut bridge = SpawnedBridge { child, pid, endpoint, admin, log };
        bridge.wait_ready().await?;
        Ok(bridge)
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let url = format!("http://{}/readyz", self.admin);
        let client = reqwest::Client::new();
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the bridge exited ({status}) before it was ready:\n{}",
                    tail(&self.log)
                ));
            }
            if let Ok(r) = client.get(&url).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the bridge did not answer {url} within {READY_TIMEOUT:?}:\n{}",
                    tail(&self.log)
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM (the bridge drains and exits), then SIGKILL after `grace`.
    pub async fn stop(mut self, grace: Duration) {
        let _ = Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SpawnedBridge {
    fn drop(&mut self) {
        // Never leave a bridge behind (an error path, a panic).
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The last lines of a log, for error messages.
pub fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Pins this process (every thread it has now, and so those it starts later) to `cpu`.
pub fn pin_self(cpu: usize) -> Result<(), String> {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run taskset: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("taskset -c {cpu} failed ({status})"))
    }
}

/// Number of CPUs this process may run on.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
