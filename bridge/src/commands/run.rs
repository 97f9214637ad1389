//! `otelbridge run`: start the service from a config file, or on the embedded default without one.

use crate::config::{self, Problems};
use crate::service;
use crate::telemetry::logging::{self, LogFormat};
use clap::Args;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `otelbridge run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Config file (YAML, or TOML by its `.toml` extension). Without it: every trace receiver on its standard
    /// port, writing to the embedded store (queried on 16686 and 9411), and to `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// when that is set.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The embedded store's folder when running without a config file (a config file sets `data_dir` on its
    /// `store` exporter).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Log line format on stderr (level from `RUST_LOG`, default info).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Where the embedded store lives by default.
pub const DEFAULT_DATA_DIR: &str = "./otelbridge-data";

/// The embedded default: every trace receiver on its standard port → the embedded store in `data_dir` (with
/// the Jaeger and Zipkin query APIs), plus an OTLP exporter when the standard `OTEL_EXPORTER_OTLP_*` variables
/// ask for one.
pub fn default_tree(env: &[(String, String)], data_dir: &Path) -> Value {
    let mut exporters = json!({ "store": { "data_dir": data_dir } });
    let mut exporter_ids = vec![json!("store")];
    if let Some((id, otlp)) = crate::exporters::otlp_from_env(env) {
        exporters[&id] = otlp;
        exporter_ids.push(json!(id));
    }
    json!({
        "receivers": { "otlp": {}, "jaeger": {}, "zipkin": {} },
        "exporters": exporters,
        "pipelines": { "traces": { "receivers": ["otlp", "jaeger", "zipkin"], "exporters": exporter_ids } },
    })
}

/// Reads the configuration `run` and `validate` use: the file, or the default (its store in `data_dir`), then
/// `OTELBRIDGE_*` overrides.
pub fn load(path: Option<&Path>, data_dir: &Path) -> Result<config::Config, Problems> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let tree = match path {
        Some(path) => config::load_tree(Some(path), &env)?,
        None => {
            let mut tree = default_tree(&env, data_dir);
            let overrides = config::load_tree(None, &env)?;
            merge(&mut tree, overrides);
            tree
        }
    };
    config::from_tree(tree)
}

fn merge(base: &mut Value, overrides: Value) {
    match (base, overrides) {
        (Value::Object(base), Value::Object(overrides)) => {
            for (key, value) in overrides {
                merge(base.entry(key).or_insert(Value::Null), value);
            }
        }
        (base, value) => *base = value,
    }
}

/// Runs the service until SIGTERM or SIGINT.
pub fn run(args: RunArgs) -> ExitCode {
    logging::init(args.log_format);
    let config = match load(args.config.as_deref(), &args.data_dir) {
        Ok(config) => config,
        Err(problems) => {
            for problem in &problems.0 {
                eprintln!("error: {problem}");
            }
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let running = match service::start(config).await {
            Ok(running) => running,
            Err(e) => {
                tracing::error!("cannot start: {e:#}");
                return ExitCode::FAILURE;
            }
        };
        wait_for_signal().await;
        tracing::info!("signal received; shutting down");
        running.shutdown().await;
        ExitCode::SUCCESS
    })
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
