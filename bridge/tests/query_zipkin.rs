//! The Zipkin v2 query API of the store answers as a real Zipkin server does.
//!
//! The trace set `fixtures/query/input/traces.zipkin.json` is POSTed to otelbridge's Zipkin receiver (port 0)
//! feeding the `store` exporter; then EVERY request recorded from a real Zipkin 3.5.1 fed the same file
//! (`fixtures/query/zipkin/`, see `interop-tests/recordings/README.md`) is replayed against the receiver's port
//! and the answer compared with the recording: status, and the body field by field after the README's
//! normalisation (spans of a trace by (timestamp, id), tags as a map, dependency links by (parent, child), error
//! texts exactly). The differences we keep on purpose are listed in [`KNOWN_DIFFERENCES`], each with its reason;
//! any other difference fails the test.

use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/query")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("otelbridge-query-zipkin-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A field where our answer differs from Zipkin's on purpose: recording file (or `*`), JSON path suffix, why.
struct KnownDifference {
    file: &'static str,
    path_suffix: &'static str,
    why: &'static str,
}

/// The differences kept on purpose. Empty means every recorded answer matches field by field.
const KNOWN_DIFFERENCES: &[KnownDifference] = &[];

#[derive(Debug)]
struct Difference {
    path: String,
    ours: String,
    zipkin: String,
}

/// Compares two JSON values; objects as maps (key order is not a promise), arrays in order.
fn compare(path: &str, ours: &Value, zipkin: &Value, out: &mut Vec<Difference>) {
    match (ours, zipkin) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let sub = format!("{path}.{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => compare(&sub, x, y, out),
                    (x, y) => out.push(Difference {
                        path: sub,
                        ours: x.map_or("(absent)".into(), Value::to_string),
                        zipkin: y.map_or("(absent)".into(), Value::to_string),
                    }),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(Difference {
                    path: format!("{path}.length"),
                    ours: a.len().to_string(),
                    zipkin: b.len().to_string(),
                });
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => {
            out.push(Difference { path: path.into(), ours: a.to_string(), zipkin: b.to_string() })
        }
    }
}

/// Sorts one trace's spans by (timestamp, id).
fn sort_spans(trace: &mut Value) {
    if let Value::Array(spans) = trace {
        spans.sort_by_key(|s| {
            (s["timestamp"].as_u64().unwrap_or(0), s["id"].as_str().unwrap_or("").to_owned())
        });
    }
}

/// The README's normalisation of a body, by endpoint.
fn normalise(request_path: &str, body: &mut Value) {
    let route = request_path.split('?').next().unwrap_or("");
    match route {
        "/api/v2/traces" | "/api/v2/traceMany" => {
            if let Value::Array(traces) = body {
                traces.iter_mut().for_each(sort_spans);
            }
        }
        "/api/v2/dependencies" => {
            if let Value::Array(links) = body {
                links.sort_by_key(|l| {
                    (
                        l["parent"].as_str().unwrap_or("").to_owned(),
                        l["child"].as_str().unwrap_or("").to_owned(),
                    )
                });
            }
        }
        r if r.starts_with("/api/v2/trace/") => sort_spans(body),
        _ => {}
    }
}

#[tokio::test]
async fn every_recorded_zipkin_answer_is_matched() {
    let dir = temp_dir("replay");
    let tree = serde_json::json!({
        "receivers": { "zipkin": { "endpoint": "127.0.0.1:0" } },
        "exporters": { "store": {
            "data_dir": dir, "commit_interval": "100ms", "retention": "100000h", "jaeger_query": null,
        } },
        "pipelines": { "traces": { "receivers": ["zipkin"], "exporters": ["store"] } },
        "service": { "admin": { "endpoint": "127.0.0.1:0" } },
    });
    let config = otelbridge::config::from_tree(tree).unwrap();
    let running = otelbridge::service::start(config).await.unwrap();
    let zipkin = running.address("zipkin", "http").unwrap();
    let client = reqwest::Client::new();

    let input = std::fs::read(fixtures().join("input/traces.zipkin.json")).unwrap();
    let sent: Vec<Value> = serde_json::from_slice(&input).unwrap();
    let answer = client
        .post(format!("http://{zipkin}/api/v2/spans"))
        .header("content-type", "application/json")
        .body(input)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    // Wait until every trace is committed and answers by id.
    let trace_ids: std::collections::BTreeSet<String> =
        sent.iter().map(|s| s["traceId"].as_str().unwrap().to_owned()).collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    for id in &trace_ids {
        loop {
            let status = client
                .get(format!("http://{zipkin}/api/v2/trace/{id}"))
                .send()
                .await
                .unwrap()
                .status();
            if status == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "trace {id} never became queryable ({status})");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    let index: Vec<Value> =
        serde_json::from_slice(&std::fs::read(fixtures().join("zipkin/index.json")).unwrap())
            .unwrap();
    assert!(index.len() >= 51, "the recorded requests are all there");
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for entry in &index {
        let file = entry["file"].as_str().unwrap();
        let recorded: Value =
            serde_json::from_slice(&std::fs::read(fixtures().join("zipkin").join(file)).unwrap())
                .unwrap();
        let path = recorded["request"]["path"].as_str().unwrap();
        assert_eq!(recorded["request"]["method"], "GET");
        let response = client.get(format!("http://{zipkin}{path}")).send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        let zipkin_status = recorded["response"]["status"].as_u64().unwrap() as u16;
        let mut differences = Vec::new();
        if status != zipkin_status {
            differences.push(Difference {
                path: "status".into(),
                ours: status.to_string(),
                zipkin: zipkin_status.to_string(),
            });
        }
        let mut zipkin_body = recorded["response"]["body"].clone();
        if let Value::String(zipkin_text) = &zipkin_body {
            // Zipkin answers errors as text with the literal content type `text/*`; we say `text/plain`.
            assert!(content_type.starts_with("text/plain"), "{file}: content type {content_type}");
            if &text != zipkin_text {
                differences.push(Difference {
                    path: "body".into(),
                    ours: text.clone(),
                    zipkin: zipkin_text.clone(),
                });
            }
        } else {
            assert_eq!(content_type, "application/json", "{file}");
            let mut ours: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{file}: our body is not JSON ({e}): {text}"));
            normalise(path, &mut ours);
            normalise(path, &mut zipkin_body);
            compare("body", &ours, &zipkin_body, &mut differences);
        }
        let (known, unknown): (Vec<_>, Vec<_>) = differences.into_iter().partition(|d| {
            KNOWN_DIFFERENCES
                .iter()
                .any(|k| (k.file == "*" || k.file == file) && d.path.ends_with(k.path_suffix))
        });
        let verdict = if unknown.is_empty() && known.is_empty() {
            "matches".to_owned()
        } else if unknown.is_empty() {
            let fields: Vec<String> = known
                .iter()
                .map(|d| {
                    let why = KNOWN_DIFFERENCES
                        .iter()
                        .find(|k| d.path.ends_with(k.path_suffix))
                        .map_or("", |k| k.why);
                    format!("{} ({why})", d.path)
                })
                .collect();
            format!("differs as expected: {}", fields.join("; "))
        } else {
            "DIFFERS".to_owned()
        };
        report.push(format!("{file} {path} -> {status}: {verdict}"));
        for d in unknown {
            failures.push(format!("{file} {}: ours {} / zipkin {}", d.path, d.ours, d.zipkin));
        }
    }
    println!("{}", report.join("\n"));
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "{} unexpected differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
