//! The OTLP exporter asked for by the OpenTelemetry SDK environment variables (`OTEL_EXPORTER_OTLP_*`, with
//! their `OTEL_EXPORTER_OTLP_TRACES_*` overrides), as the specification's "OTLP Exporter" configuration
//! defines them, turned into `otlp` or `otlphttp` exporter settings.

use serde_json::{json, Map, Value};

const PREFIX: &str = "OTEL_EXPORTER_OTLP_";
const TRACES_PREFIX: &str = "OTEL_EXPORTER_OTLP_TRACES_";

/// The exporter's id and settings, or `None` when neither `OTEL_EXPORTER_OTLP_ENDPOINT` nor
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set.
///
/// `OTEL_EXPORTER_OTLP_PROTOCOL` `grpc` (the default here) gives `otlp/env`; `http/protobuf` and `http/json`
/// give `otlphttp/env`. The traces endpoint is used as written; the general one gets `/v1/traces` appended
/// for HTTP. Headers (`k=v,k2=v2`, values percent-decoded) of both variables are merged, the traces one
/// winning. `_COMPRESSION` (`gzip`/`none`), `_TIMEOUT` (milliseconds), `_INSECURE` (gRPC endpoints without a
/// scheme), `_CERTIFICATE`, `_CLIENT_CERTIFICATE` and `_CLIENT_KEY` (PEM files) are read too.
pub fn otlp_from_env(env: &[(String, String)]) -> Option<(String, Value)> {
    let get = |name: &str| -> Option<&str> {
        env.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    };
    // The traces variable overrides the general one.
    let setting = |suffix: &str| {
        get(&format!("{TRACES_PREFIX}{suffix}")).or_else(|| get(&format!("{PREFIX}{suffix}")))
    };
    let traces_endpoint = get(&format!("{TRACES_PREFIX}ENDPOINT"));
    let endpoint = get(&format!("{PREFIX}ENDPOINT"));
    if traces_endpoint.is_none() && endpoint.is_none() {
        return None;
    }
    let protocol = setting("PROTOCOL").unwrap_or("grpc");
    let http = match protocol {
        "grpc" => None,
        "http/protobuf" => Some("proto"),
        "http/json" => Some("json"),
        other => {
            tracing::warn!(protocol = other, "unknown OTEL_EXPORTER_OTLP_PROTOCOL; using grpc");
            None
        }
    };

    let mut settings = Map::new();
    match (http, traces_endpoint) {
        // OTLP/HTTP: the traces URL as written; the general one is a base for `/v1/traces`.
        (Some(_), Some(url)) => settings.insert("traces_endpoint".into(), json!(url)),
        _ => settings.insert("endpoint".into(), json!(traces_endpoint.or(endpoint))),
    };
    if let Some(encoding) = http {
        settings.insert("encoding".into(), json!(encoding));
    }

    let mut headers = Map::new();
    for name in [format!("{PREFIX}HEADERS"), format!("{TRACES_PREFIX}HEADERS")] {
        for (key, value) in parse_headers(get(&name).unwrap_or_default()) {
            headers.insert(key, json!(value));
        }
    }
    if !headers.is_empty() {
        settings.insert("headers".into(), Value::Object(headers));
    }
    if let Some(compression) = setting("COMPRESSION") {
        settings.insert("compression".into(), json!(compression.to_ascii_lowercase()));
    }
    if let Some(timeout) = setting("TIMEOUT") {
        match timeout.parse::<u64>() {
            Ok(ms) => {
                settings.insert("timeout".into(), json!(format!("{ms}ms")));
            }
            Err(_) => {
                tracing::warn!(timeout, "OTEL_EXPORTER_OTLP_TIMEOUT is not milliseconds; ignored")
            }
        }
    }

    let mut tls = Map::new();
    if http.is_none() && setting("INSECURE").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        tls.insert("insecure".into(), json!(true));
    }
    for (suffix, key) in [
        ("CERTIFICATE", "ca_file"),
        ("CLIENT_CERTIFICATE", "cert_file"),
        ("CLIENT_KEY", "key_file"),
    ] {
        if let Some(path) = setting(suffix) {
            tls.insert(key.into(), json!(path));
        }
    }
    if !tls.is_empty() {
        settings.insert("tls".into(), Value::Object(tls));
    }

    let id = if http.is_some() { "otlphttp/env" } else { "otlp/env" };
    Some((id.to_string(), Value::Object(settings)))
}

/// `k=v,k2=v2` (the W3C baggage list form the specification uses), keys trimmed, values trimmed and
/// percent-decoded; entries without `=` are skipped with a warning.
pub fn parse_headers(text: &str) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match entry.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                headers.push((percent_decode(key.trim()), percent_decode(value.trim())));
            }
            _ => {
                tracing::warn!(entry, "OTEL_EXPORTER_OTLP_HEADERS entry is not key=value; ignored")
            }
        }
    }
    headers
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn nothing_without_an_endpoint() {
        assert_eq!(otlp_from_env(&env(&[("OTEL_EXPORTER_OTLP_HEADERS", "a=b")])), None);
    }

    #[test]
    fn grpc_by_default_with_headers_compression_and_tls() {
        let (id, settings) = otlp_from_env(&env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%3Dcret%2C1 , x-team = a b,broken"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-team=traces"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
            ("OTEL_EXPORTER_OTLP_INSECURE", "true"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/ca.pem"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ]))
        .unwrap();
        assert_eq!(id, "otlp/env");
        assert_eq!(
            settings,
            json!({
                "endpoint": "collector:4317",
                "headers": {"api-key": "s=cret,1", "x-team": "traces"},
                "compression": "none",
                "timeout": "2500ms",
                "tls": {"insecure": true, "ca_file": "/ca.pem"},
            })
        );
        let config =
            crate::exporters::ExporterConfig::parse("otlp", settings, "exporters.otlp/env");
        assert!(config.is_ok(), "{config:?}");
    }

    #[test]
    fn http_protobuf_uses_the_base_url_or_the_traces_url_as_written() {
        let (id, settings) = otlp_from_env(&env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ]))
        .unwrap();
        assert_eq!(id, "otlphttp/env");
        assert_eq!(settings, json!({"endpoint": "http://collector:4318", "encoding": "proto"}));
        let (_, settings) = otlp_from_env(&env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://other:4318/custom"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
        ]))
        .unwrap();
        assert_eq!(
            settings,
            json!({"traces_endpoint": "http://other:4318/custom", "encoding": "proto"})
        );
        let config =
            crate::exporters::ExporterConfig::parse("otlphttp", settings, "exporters.otlphttp/env");
        assert!(config.is_ok(), "{config:?}");
    }

    #[test]
    fn percent_decoding_leaves_broken_escapes_alone() {
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
    }
}
