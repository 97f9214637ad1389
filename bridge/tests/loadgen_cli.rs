//! `otelbridge loadgen --spawn` end to end, briefly and at low rates: the load generator starts
//! `otelbridge run` as a child (free ports, otlp exporter to its own sink), sends numbered spans,
//! and reports what reached the sink with the bridge's CPU and memory. Real sockets, real child.

use serde_json::Value;
use std::process::Command;

/// Runs `otelbridge loadgen --spawn --no-pin <args> --json` and returns its report.
fn loadgen(args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_otelbridge"))
        .args(["loadgen", "--spawn", "--no-pin", "--json"])
        .args(args)
        .output()
        .expect("run otelbridge loadgen");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "loadgen {args:?} exited with {}:\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

fn number(report: &Value, key: &str) -> f64 {
    report[key].as_f64().unwrap_or_else(|| panic!("no number {key:?} in {report:#}"))
}

/// A fixed-rate run: everything sent arrives, and the report has every figure.
fn fixed_rate(protocol: &str) {
    let report =
        loadgen(&["--protocol", protocol, "--rate", "1000", "--duration", "2", "--warmup", "0.5"]);
    assert_eq!(report["protocol"], protocol);
    assert_eq!(report["mode"], "spawn");
    let sent = number(&report, "sent");
    // 2 s at 1,000 spans/s; UDP batches are cut to fit a datagram, so allow one batch either way.
    assert!((1_900.0..=2_100.0).contains(&sent), "sent {sent}");
    assert_eq!(number(&report, "received"), sent, "{report:#}");
    assert_eq!(number(&report, "lost"), 0.0);
    assert_eq!(number(&report, "refused"), 0.0);
    assert_eq!(number(&report, "failed"), 0.0);
    assert_eq!(number(&report, "duplicates"), 0.0);
    assert!(number(&report, "bridge_pid") > 0.0);
    let bridge = &report["bridge"];
    // The bridge did work and holds memory: the /proc readings are real.
    assert!(number(bridge, "cpu_percent") > 0.0, "{bridge:#}");
    assert!(number(bridge, "cpu_seconds") > 0.0, "{bridge:#}");
    assert!(number(bridge, "rss_mib") > 1.0, "{bridge:#}");
    assert!(number(bridge, "rss_max_mib") >= number(bridge, "rss_mib"));
    let phase = &report["phases"][0];
    assert!(number(phase, "rate_achieved") > 800.0, "{phase:#}");
    assert!(number(phase, "bridge_cpu_us_per_span") > 0.0);
    assert!(number(phase, "loadgen_cpu_percent") > 0.0);
    // The bridge's own counters agree: every span received was sent on.
    let counters: Vec<&str> = report["bridge_counters"]
        .as_array()
        .expect("counters")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let sent_line = counters
        .iter()
        .find(|l| l.starts_with("otelbridge_component_sent_items_total"))
        .unwrap_or_else(|| panic!("no exporter counter in {counters:?}"));
    assert!(sent_line.ends_with(&format!(" {sent}")), "{sent_line}");
}

#[test]
fn otlp_grpc_fixed_rate() {
    fixed_rate("otlp-grpc");
}

#[test]
fn jaeger_udp_compact_fixed_rate() {
    fixed_rate("jaeger-udp-compact");
}

#[test]
fn zipkin_json_fixed_rate() {
    fixed_rate("zipkin-json");
}

#[test]
fn step_run_reports_the_highest_loss_free_rate() {
    let report = loadgen(&[
        "--protocol",
        "jaeger-http",
        "--step",
        "--rate",
        "500",
        "--step-factor",
        "2",
        "--max-rate",
        "1000",
        "--duration",
        "1",
        "--warmup",
        "0.2",
        // A debug build on a busy machine may take a while to deliver the last batch: this test is about
        // the step logic, not about backlogs.
        "--max-drain",
        "10",
    ]);
    let phases = report["phases"].as_array().expect("phases");
    assert_eq!(phases.len(), 2, "{report:#}");
    assert_eq!(number(&phases[0], "rate_target"), 500.0);
    assert_eq!(number(&phases[1], "rate_target"), 1000.0);
    assert_eq!(report["stopped_because"], "--max-rate reached");
    let best = number(&report, "highest_loss_free_rate");
    assert!((800.0..=1_200.0).contains(&best), "{best}");
    assert_eq!(number(&report, "received"), number(&report, "sent"));
}

#[test]
fn table_report_names_every_figure() {
    let output = Command::new(env!("CARGO_BIN_EXE_otelbridge"))
        .args(["loadgen", "--spawn", "--no-pin", "--protocol", "otlp-http"])
        .args(["--rate", "500", "--duration", "1", "--warmup", "0.2"])
        .output()
        .expect("run otelbridge loadgen");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    for word in ["sent", "received", "lost", "refused", "CPU %", "RSS MiB", "otlp-http"] {
        assert!(stdout.contains(word), "{word:?} missing from:\n{stdout}");
    }
    assert!(stdout.contains("total: sent 500 received 500 lost 0 refused 0"), "{stdout}");
}
