//! Configuration: the Collector's shape (`receivers:`, `processors:`, `exporters:`, each keyed by `type` or
//! `type/name`, and named `pipelines:`), read from YAML or TOML with the `config` crate and overridable by
//! environment variables (`OTELBRIDGE_` prefix, `__` between levels).
//!
//! Every problem is collected with its key path, so `otelbridge validate` reports them all at once.

pub mod duration;
pub mod problems;

use crate::exporters::ExporterConfig;
use crate::processors::ProcessorConfig;
use crate::receivers::ReceiverConfig;
use crate::telemetry::admin::AdminConfig;
use duration::ConfigDuration;
pub use problems::{Problem, Problems};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// A component as configured: its id (`otlp`, `otlp/backend`), type (`otlp`) and typed settings.
#[derive(Debug, Clone)]
pub struct Component<T> {
    /// The key it was configured under, e.g. `jaeger/legacy`.
    pub id: String,
    /// The type part of the key, e.g. `jaeger`.
    pub type_name: String,
    /// Its settings.
    pub config: T,
}

/// One pipeline: which receivers feed it, which processors it runs (in order), which exporters it writes to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// Receiver ids feeding this pipeline. At least one.
    pub receivers: Vec<String>,
    /// Processor ids, run in this order. May be empty.
    #[serde(default)]
    pub processors: Vec<String>,
    /// Exporter ids; every batch goes to each of them (dual-write). At least one.
    pub exporters: Vec<String>,
}

/// Service-wide settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceConfig {
    /// The admin endpoint: `/metrics`, `/healthz`, `/readyz`.
    pub admin: AdminConfig,
    /// How long SIGTERM / SIGINT wait for queued data to be delivered before what is left is dropped (and
    /// counted with reason `shutdown`). Default `30s`.
    pub shutdown_timeout: ConfigDuration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig { admin: AdminConfig::default(), shutdown_timeout: ConfigDuration::secs(30) }
    }
}

/// A whole, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Receivers by id.
    pub receivers: Vec<Component<ReceiverConfig>>,
    /// Processors by id.
    pub processors: Vec<Component<ProcessorConfig>>,
    /// Exporters by id.
    pub exporters: Vec<Component<ExporterConfig>>,
    /// Pipelines by id (`traces`, `traces/dual`).
    pub pipelines: Vec<(String, PipelineConfig)>,
    /// Service-wide settings.
    pub service: ServiceConfig,
}

/// The top level as read, before each component is typed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    receivers: BTreeMap<String, Value>,
    #[serde(default)]
    processors: BTreeMap<String, Value>,
    #[serde(default)]
    exporters: BTreeMap<String, Value>,
    #[serde(default)]
    pipelines: BTreeMap<String, Value>,
    #[serde(default)]
    service: Value,
}

/// Signals a pipeline id may start with.
const SIGNALS: &[&str] = &["traces"];

/// Reads a configuration file (YAML by `.yaml`/`.yml`, TOML by `.toml`) and applies `OTELBRIDGE_*` environment
/// overrides from `env`. Returns the merged tree, untyped.
pub fn load_tree(path: Option<&Path>, env: &[(String, String)]) -> Result<Value, Problems> {
    let mut builder = config::Config::builder();
    if let Some(path) = path {
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => config::FileFormat::Toml,
            Some("yaml") | Some("yml") | None => config::FileFormat::Yaml,
            Some(other) => {
                return Err(Problems::one(
                    "",
                    format!(
                        "{}: unknown config extension .{other} (use .yaml, .yml or .toml)",
                        path.display()
                    ),
                ))
            }
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| Problems::one("", format!("cannot read {}: {e}", path.display())))?;
        builder = builder.add_source(config::File::from_str(&text, format));
    }
    let env_map: config::Map<String, String> =
        env.iter().filter(|(k, _)| k.starts_with("OTELBRIDGE_")).cloned().collect();
    builder = builder.add_source(
        config::Environment::with_prefix("OTELBRIDGE")
            .separator("__")
            .prefix_separator("_")
            .try_parsing(true)
            .source(Some(env_map)),
    );
    let built =
        builder.build().map_err(|e| Problems::one("", format!("cannot read config: {e}")))?;
    let tree: Value = built
        .try_deserialize()
        .map_err(|e| Problems::one("", format!("cannot read config: {e}")))?;
    Ok(match tree {
        Value::Null => Value::Object(Map::new()),
        other => other,
    })
}

/// Types and checks a configuration tree, collecting every problem.
pub fn from_tree(tree: Value) -> Result<Config, Problems> {
    let mut problems = Problems::default();
    let raw: RawConfig = match problems::typed("", tree) {
        Ok(raw) => raw,
        Err(problem) => return Err(Problems(vec![problem])),
    };
    // References are checked against every configured key, also those whose settings have problems (already
    // reported), so one mistake is not reported twice.
    let receiver_ids: Vec<String> = raw.receivers.keys().cloned().collect();
    let processor_ids: Vec<String> = raw.processors.keys().cloned().collect();
    let exporter_ids: Vec<String> = raw.exporters.keys().cloned().collect();
    let receivers =
        typed_components(raw.receivers, "receivers", ReceiverConfig::parse, &mut problems);
    let processors =
        typed_components(raw.processors, "processors", ProcessorConfig::parse, &mut problems);
    let exporters =
        typed_components(raw.exporters, "exporters", ExporterConfig::parse, &mut problems);
    let service: ServiceConfig = match problems::typed("service", null_to_empty(raw.service)) {
        Ok(s) => s,
        Err(p) => {
            problems.0.push(p);
            ServiceConfig::default()
        }
    };
    let mut pipelines = Vec::new();
    for (id, value) in raw.pipelines {
        let path = format!("pipelines.{id}");
        let signal = id.split('/').next().unwrap_or_default();
        if !SIGNALS.contains(&signal) {
            problems.push(
                &path,
                format!(
                    "unknown signal {signal:?}: a pipeline id is `<signal>` or `<signal>/<name>` with signal one of {SIGNALS:?}{}",
                    problems::did_you_mean(signal, SIGNALS)
                ),
            );
            continue;
        }
        let pipeline: PipelineConfig = match problems::typed(&path, value) {
            Ok(p) => p,
            Err(p) => {
                problems.0.push(p);
                continue;
            }
        };
        check_refs(&path, "receivers", &pipeline.receivers, &receiver_ids, true, &mut problems);
        check_refs(&path, "processors", &pipeline.processors, &processor_ids, false, &mut problems);
        check_refs(&path, "exporters", &pipeline.exporters, &exporter_ids, true, &mut problems);
        pipelines.push((id, pipeline));
    }
    if pipelines.is_empty() && problems.0.is_empty() {
        problems.push("pipelines", "no pipeline is configured: add e.g. `pipelines: {traces: {receivers: [otlp], exporters: [file]}}`");
    }
    if !problems.0.is_empty() {
        return Err(problems);
    }
    Ok(Config { receivers, processors, exporters, pipelines, service })
}

fn null_to_empty(value: Value) -> Value {
    match value {
        Value::Null => Value::Object(Map::new()),
        other => other,
    }
}

fn typed_components<T>(
    raw: BTreeMap<String, Value>,
    section: &str,
    parse: fn(&str, Value, &str) -> Result<T, Problem>,
    problems: &mut Problems,
) -> Vec<Component<T>> {
    let mut out = Vec::new();
    for (id, value) in raw {
        let path = format!("{section}.{id}");
        let type_name = id.split('/').next().unwrap_or_default().to_string();
        if id.split('/').nth(1).is_some_and(str::is_empty) || type_name.is_empty() {
            problems.push(&path, format!("invalid id {id:?}: use `type` or `type/name`"));
            continue;
        }
        match parse(&type_name, null_to_empty(value), &path) {
            Ok(config) => out.push(Component { id, type_name, config }),
            Err(p) => problems.0.push(p),
        }
    }
    out
}

fn check_refs(
    path: &str,
    section: &str,
    ids: &[String],
    known: &[String],
    required: bool,
    problems: &mut Problems,
) {
    if required && ids.is_empty() {
        problems.push(
            &format!("{path}.{section}"),
            format!("a pipeline needs at least one of its {section}"),
        );
    }
    let names: Vec<&str> = known.iter().map(String::as_str).collect();
    for (i, id) in ids.iter().enumerate() {
        if !names.contains(&id.as_str()) {
            problems.push(
                &format!("{path}.{section}[{i}]"),
                format!(
                    "{id:?} is not configured under `{section}:`{}",
                    problems::did_you_mean(id, &names)
                ),
            );
        }
    }
}
