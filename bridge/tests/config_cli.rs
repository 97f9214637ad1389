//! `otelbridge validate` and config loading: YAML and TOML, `OTELBRIDGE_` environment overrides, every problem
//! reported with its key path and a "did you mean".

use std::path::PathBuf;
use std::process::{Command, Output};

fn write(name: &str, text: &str) -> (tempdir::Dir, PathBuf) {
    let dir = tempdir::Dir::new();
    let path = dir.0.join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

mod tempdir {
    /// A temporary folder removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Self {
            let path = std::env::temp_dir().join(format!(
                "otelbridge-config-{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos()
            ));
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn validate(path: &PathBuf, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_otelbridge"));
    command.arg("validate").arg("--config").arg(path);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

const GOOD_YAML: &str = r#"
receivers:
  otlp:
    protocols:
      grpc:
      http: { endpoint: 127.0.0.1:4318 }
  jaeger/legacy: {}
exporters:
  file: { path: /tmp/x.ndjson, sending_queue: { queue_size: 10, when_full: drop_newest } }
pipelines:
  traces: { receivers: [otlp, jaeger/legacy], exporters: [file] }
service:
  shutdown_timeout: 10s
"#;

#[test]
fn a_valid_yaml_config_is_summarised() {
    let (_dir, path) = write("good.yaml", GOOD_YAML);
    let out = validate(&path, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("valid (2 receivers, 0 processors, 1 exporters, 1 pipelines)"),
        "{stdout}"
    );
}

#[test]
fn toml_is_read_too() {
    let toml = r#"
[receivers.otlp.protocols.http]
endpoint = "127.0.0.1:4318"
[exporters.file]
path = "/tmp/y.ndjson"
[pipelines.traces]
receivers = ["otlp"]
exporters = ["file"]
"#;
    let (_dir, path) = write("good.toml", toml);
    let out = validate(&path, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn every_problem_is_reported_with_its_path_and_a_suggestion() {
    let bad = r#"
receivers:
  otlp:
    protocols:
      grcp: {}
  zipkn: {}
exporters:
  file: { path: /tmp/x, sending_queue: { queue_sise: 10 } }
  file/2: { path: /tmp/y, sending_queue: { when_full: drop_oldest } }
pipelines:
  traces: { receivers: [otlp, jaeger], exporters: [fiel] }
  trace/x: { receivers: [otlp], exporters: [file] }
service:
  shutdown_timeout: 10
"#;
    let (_dir, path) = write("bad.yaml", bad);
    let out = validate(&path, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "error: receivers.otlp.protocols.grcp: unknown field `grcp`",
        "(did you mean `grpc`?)",
        "error: receivers.zipkn: unknown receiver type \"zipkn\" (did you mean `zipkin`?)",
        "error: exporters.file.sending_queue.queue_sise: unknown field `queue_sise`",
        "(did you mean `queue_size`?)",
        "error: exporters.file/2.sending_queue.when_full: unknown variant `drop_oldest`",
        "error: pipelines.traces.receivers[1]: \"jaeger\" is not configured under `receivers:`",
        "error: pipelines.traces.exporters[0]: \"fiel\" is not configured under `exporters:` (did you mean `file`?)",
        "error: pipelines.trace/x: unknown signal \"trace\"",
        "(did you mean `traces`?)",
        "error: service.shutdown_timeout:",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
    assert!(stderr.contains("problem(s)"), "{stderr}");
}

#[test]
fn store_settings_are_checked_like_every_exporter() {
    let bad = r#"
receivers: { otlp: {} }
exporters:
  store: { partitions: day, retention: soon, jaeger_query: { endpont: 127.0.0.1:1 } }
  store/2: { partition: week, sending_queue: { queue_sise: 1 } }
pipelines:
  traces: { receivers: [otlp], exporters: [store, store/2] }
"#;
    let (_dir, path) = write("store.yaml", bad);
    let out = validate(&path, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "error: exporters.store.jaeger_query.endpont: unknown field `endpont`",
        "(did you mean `endpoint`?)",
        "error: exporters.store/2.sending_queue.queue_sise: unknown field `queue_sise`",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
    // The store's own keys are typed after its queue and query settings: a second run shows them.
    let fixed = bad.replace("endpont", "endpoint").replace("queue_sise", "queue_size");
    let (_dir, path) = write("store2.yaml", &fixed);
    let stderr = String::from_utf8_lossy(&validate(&path, &[]).stderr).to_string();
    for expected in [
        "error: exporters.store.partitions: unknown field `partitions`",
        "(did you mean `partition`?)",
        "error: exporters.store/2.partition: unknown variant `week`",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
    let good = "receivers: { otlp: {} }\nexporters:\n  store: { data_dir: /tmp/x, partition: day, retention: 24h, \
                commit_interval: 1s, writer_memory: 32MiB, jaeger_query: null, zipkin_query: { enabled: false } }\n\
                pipelines: { traces: { receivers: [otlp], exporters: [store] } }\n";
    let (_dir, path) = write("good-store.yaml", good);
    let out = validate(&path, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn environment_overrides_the_file() {
    let (_dir, path) = write("good.yaml", GOOD_YAML);
    // A bad value through the environment must surface at its key path: proof the override applied.
    let out =
        validate(&path, &[("OTELBRIDGE_EXPORTERS__FILE__SENDING_QUEUE__WHEN_FULL", "sometimes")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("exporters.file.sending_queue.when_full: unknown variant `sometimes`"),
        "{stderr}"
    );
    let out = validate(&path, &[("OTELBRIDGE_EXPORTERS__FILE__SENDING_QUEUE__QUEUE_SIZE", "77")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = validate(&PathBuf::from("/nonexistent/otelbridge.yaml"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/otelbridge.yaml")
    );
}

/// The README's example config must stay valid.
#[test]
fn the_readme_example_is_valid() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let start =
        readme.find("### A config file\n\n```yaml\n").expect("README has its config example")
            + "### A config file\n\n```yaml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let (_dir, path) = write("readme.yaml", &readme[start..end]);
    let out = validate(&path, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
