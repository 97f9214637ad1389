//! The tag names and values that carry OTLP's native span fields through Jaeger and Zipkin
//! (the OpenTelemetry specification's exporter mappings), shared by both families so that a
//! span crossing from one to the other reads the same way.

use super::model::{span::SpanKind, status::StatusCode};

/// Status code name (`OK` / `ERROR`).
pub const TAG_STATUS_CODE: &str = "otel.status_code";
/// Status message.
pub const TAG_STATUS_DESCRIPTION: &str = "otel.status_description";
/// `error`: a failed span (Jaeger: bool `true`; Zipkin: any value, the message).
pub const TAG_ERROR: &str = "error";
/// OpenTracing span kind (`client`, `server`, `producer`, `consumer`, `internal`).
pub const TAG_SPAN_KIND: &str = "span.kind";
/// Instrumentation scope name.
pub const TAG_SCOPE_NAME: &str = "otel.scope.name";
/// Instrumentation scope version.
pub const TAG_SCOPE_VERSION: &str = "otel.scope.version";
/// Deprecated alias of [`TAG_SCOPE_NAME`]: written too (the spec asks for it) and read.
pub const TAG_LIBRARY_NAME: &str = "otel.library.name";
/// Deprecated alias of [`TAG_SCOPE_VERSION`]: written too and read.
pub const TAG_LIBRARY_VERSION: &str = "otel.library.version";
/// W3C trace state.
pub const TAG_TRACE_STATE: &str = "w3c.tracestate";
/// Dropped attributes count (span, and event/log level).
pub const TAG_DROPPED_ATTRIBUTES: &str = "otel.dropped_attributes_count";
/// Dropped events count.
pub const TAG_DROPPED_EVENTS: &str = "otel.dropped_events_count";
/// Dropped links count.
pub const TAG_DROPPED_LINKS: &str = "otel.dropped_links_count";
/// Span attribute carrying Jaeger's debug flag and Zipkin's `debug: true` (project decision).
pub const ATTR_DEBUG: &str = "otelbridge.debug";

/// Reads a status code name: `OK`, `ERROR` or `UNSET`, in any case, with or without the
/// `STATUS_CODE_` prefix (the spec writes `OK`; SDKs and the Collector wrote `Ok` and
/// `STATUS_CODE_OK`).
pub fn parse_status_code(value: &str) -> Option<StatusCode> {
    let v = match value.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("STATUS_CODE_") => &value[12..],
        _ => value,
    };
    if v.eq_ignore_ascii_case("OK") {
        Some(StatusCode::Ok)
    } else if v.eq_ignore_ascii_case("ERROR") {
        Some(StatusCode::Error)
    } else if v.eq_ignore_ascii_case("UNSET") {
        Some(StatusCode::Unset)
    } else {
        None
    }
}

/// The name written for a status code; `None` for UNSET (nothing is written).
pub fn status_code_name(code: StatusCode) -> Option<&'static str> {
    match code {
        StatusCode::Ok => Some("OK"),
        StatusCode::Error => Some("ERROR"),
        StatusCode::Unset => None,
    }
}

/// Reads an OpenTracing `span.kind` value, in any case.
pub fn parse_span_kind(value: &str) -> Option<SpanKind> {
    const KINDS: [(&str, SpanKind); 5] = [
        ("client", SpanKind::Client),
        ("server", SpanKind::Server),
        ("producer", SpanKind::Producer),
        ("consumer", SpanKind::Consumer),
        ("internal", SpanKind::Internal),
    ];
    KINDS.iter().find(|(name, _)| value.eq_ignore_ascii_case(name)).map(|(_, kind)| *kind)
}

/// The `span.kind` value written for a kind; `None` for INTERNAL and UNSPECIFIED (no tag).
pub fn span_kind_name(kind: SpanKind) -> Option<&'static str> {
    match kind {
        SpanKind::Client => Some("client"),
        SpanKind::Server => Some("server"),
        SpanKind::Producer => Some("producer"),
        SpanKind::Consumer => Some("consumer"),
        SpanKind::Internal | SpanKind::Unspecified => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_in_every_spelling_met_in_the_wild() {
        for v in ["OK", "Ok", "ok", "STATUS_CODE_OK", "status_code_ok"] {
            assert_eq!(parse_status_code(v), Some(StatusCode::Ok), "{v}");
        }
        for v in ["ERROR", "Error", "STATUS_CODE_ERROR"] {
            assert_eq!(parse_status_code(v), Some(StatusCode::Error), "{v}");
        }
        assert_eq!(parse_status_code("STATUS_CODE_UNSET"), Some(StatusCode::Unset));
        assert_eq!(parse_status_code("STATUS_CODE_"), None);
        assert_eq!(parse_status_code("fine"), None);
        assert_eq!(status_code_name(StatusCode::Error), Some("ERROR"));
        assert_eq!(status_code_name(StatusCode::Unset), None);
    }

    #[test]
    fn span_kinds() {
        assert_eq!(parse_span_kind("SERVER"), Some(SpanKind::Server));
        assert_eq!(parse_span_kind("rpc"), None);
        for kind in [SpanKind::Client, SpanKind::Server, SpanKind::Producer, SpanKind::Consumer] {
            assert_eq!(parse_span_kind(span_kind_name(kind).unwrap()), Some(kind));
        }
        assert_eq!(span_kind_name(SpanKind::Internal), None);
    }
}
