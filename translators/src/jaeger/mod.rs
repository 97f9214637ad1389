//! Jaeger: Thrift (agent compact / binary, collector binary), api_v2 protobuf and query JSON.
//!
//! Every codec reads into and writes from the api_v2 model ([`model`]); the one mapping between
//! that model and OTLP lives in [`to_otlp`] and [`from_otlp`].

pub mod from_otlp;
pub mod json;
pub mod model;
pub mod proto;
pub mod thrift;
pub mod to_otlp;

use crate::otlp::model::ExportTraceServiceRequest;
use crate::{DecodeError, Decoded, Encoded};

/// Span tag holding the OpenTracing span kind (`client`, `server`, `producer`, `consumer`,
/// `internal`).
pub const TAG_SPAN_KIND: &str = "span.kind";
/// Span tag `error`: bool `true` marks a failed span.
pub const TAG_ERROR: &str = "error";
/// Span tag holding the OTLP status code name (`OK` / `ERROR`).
pub const TAG_STATUS_CODE: &str = "otel.status_code";
/// Span tag holding the OTLP status message.
pub const TAG_STATUS_DESCRIPTION: &str = "otel.status_description";
/// Span tag holding the instrumentation scope name.
pub const TAG_SCOPE_NAME: &str = "otel.scope.name";
/// Span tag holding the instrumentation scope version.
pub const TAG_SCOPE_VERSION: &str = "otel.scope.version";
/// Deprecated alias of [`TAG_SCOPE_NAME`], still written (the spec asks for it) and read.
pub const TAG_LIBRARY_NAME: &str = "otel.library.name";
/// Deprecated alias of [`TAG_SCOPE_VERSION`], still written and read.
pub const TAG_LIBRARY_VERSION: &str = "otel.library.version";
/// Span tag holding the W3C trace state.
pub const TAG_TRACE_STATE: &str = "w3c.tracestate";
/// Span tag / log field / process tag: the OTLP dropped attributes count.
pub const TAG_DROPPED_ATTRIBUTES: &str = "otel.dropped_attributes_count";
/// Log field used for the event's dropped attributes by older spec versions (read only).
pub const TAG_EVENT_DROPPED_ATTRIBUTES_OLD: &str = "otel.event.dropped_attributes_count";
/// Span tag: the OTLP dropped events count.
pub const TAG_DROPPED_EVENTS: &str = "otel.dropped_events_count";
/// Span tag: the OTLP dropped links count.
pub const TAG_DROPPED_LINKS: &str = "otel.dropped_links_count";
/// Log field holding the event name.
pub const FIELD_EVENT: &str = "event";
/// Log field read as the event name when a log has no `event` field (the OpenTelemetry Python
/// Jaeger exporter and older Collectors put the name there).
pub const FIELD_MESSAGE: &str = "message";
/// Link attribute keeping the OpenTracing reference type of a reference that is not
/// FOLLOWS_FROM.
pub const ATTR_REF_TYPE: &str = "opentracing.ref_type";
/// OTLP span attribute carrying Jaeger's (and Zipkin's) debug flag (project decision).
pub const ATTR_DEBUG: &str = "otelbridge.debug";
/// Process tag Jaeger clients use for the host name; read as `host.name`.
pub const PROCESS_HOSTNAME: &str = "hostname";
/// The service name written when a resource has no `service.name` (the SDK default).
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// Maps Thrift batches to OTLP, one request per batch (per message), so that concatenated
/// messages stay apart; rejections name the batch by its position in the input.
fn thrift_batches_to_otlp(batches: Vec<thrift::ThriftBatch>) -> Decoded {
    let mut decoded = Decoded { requests: Vec::with_capacity(batches.len()), rejected: Vec::new() };
    for (i, tb) in batches.into_iter().enumerate() {
        // seqNo and ClientStats are the client's bookkeeping; OTLP has no place for them.
        let mut builder = crate::otlp::grouping::TracesBuilder::new();
        to_otlp::push_batch(&mut builder, i, tb.batch, &mut decoded.rejected);
        decoded.requests.push(builder.finish());
    }
    decoded
}

/// Agent UDP payload (compact `emitBatch` message(s)) → OTLP, one request per message.
pub fn thrift_compact_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    let batches = thrift::decode_agent_messages(thrift::Protocol::Compact, input)?;
    Ok(thrift_batches_to_otlp(batches))
}
/// Collector HTTP body (bare binary `Batch` struct(s)) → OTLP, one request per batch.
///
/// Binary-protocol `emitBatch` messages (the Node client's UDP payload, port 6832) are read too,
/// since `--from jaeger-thrift-binary` may be given either.
pub fn thrift_binary_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    let batches = if looks_like_binary_message(input) {
        thrift::decode_agent_messages(thrift::Protocol::Binary, input)?
    } else {
        thrift::decode_batches(input)?
    };
    Ok(thrift_batches_to_otlp(batches))
}

/// A strict binary-protocol message starts with version 0x8001; a bare `Batch` starts with a
/// field header (type STRUCT = 12, id 1 for `process`), never 0x80.
fn looks_like_binary_message(input: &[u8]) -> bool {
    input.len() >= 2 && input[0] == 0x80 && input[1] == 0x01
}

/// `PostSpansRequest` → OTLP: one request; spans the mapping rejects are in
/// [`Decoded::rejected`].
pub fn proto_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    let batch = proto::decode(input)?;
    let (request, rejected) = to_otlp::batches_to_otlp(vec![batch]);
    Ok(Decoded { requests: vec![request], rejected })
}
/// Query-API JSON → OTLP: one request for the whole document; the JSON decoder's own
/// rejections come first.
pub fn json_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    let (batches, mut rejected) = json::decode(input)?;
    let (request, mapped) = to_otlp::batches_to_otlp(batches);
    rejected.extend(mapped);
    Ok(Decoded { requests: vec![request], rejected })
}
/// OTLP → agent UDP payload: one compact `emitBatch` message per OTLP resource.
pub fn otlp_to_thrift_compact(request: &ExportTraceServiceRequest) -> Encoded {
    let (batches, rejected) = from_otlp::otlp_to_batches(request);
    Encoded { bytes: thrift::encode_agent_messages(thrift::Protocol::Compact, &batches), rejected }
}
/// OTLP → collector HTTP body: one bare binary `Batch` per OTLP resource, concatenated.
pub fn otlp_to_thrift_binary(request: &ExportTraceServiceRequest) -> Encoded {
    let (batches, rejected) = from_otlp::otlp_to_batches(request);
    Encoded { bytes: thrift::encode_batches(&batches), rejected }
}
/// OTLP → `PostSpansRequest` (one message, one batch; see [`proto::encode`]).
pub fn otlp_to_proto(request: &ExportTraceServiceRequest) -> Encoded {
    let (batches, rejected) = from_otlp::otlp_to_batches(request);
    Encoded { bytes: proto::encode(batches), rejected }
}
/// OTLP → query-API JSON.
pub fn otlp_to_json(request: &ExportTraceServiceRequest) -> Encoded {
    let (batches, rejected) = from_otlp::otlp_to_batches(request);
    Encoded { bytes: json::encode(&batches), rejected }
}

/// A direct bytes-to-bytes route for `from` → `to` when one exists (pairs of a Jaeger format
/// and OTLP protobuf); `None` sends [`crate::transcode`] down the decode-then-encode route.
pub fn transcode_fast(
    _from: crate::Format,
    _to: crate::Format,
    _input: &[u8],
) -> Option<Result<Encoded, DecodeError>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::attributes;
    use crate::otlp::model::{
        span::SpanKind, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span,
    };

    /// Two resources; the first has spans in two scopes.
    fn request() -> ExportTraceServiceRequest {
        let span = |id: u8, name: &str| Span {
            trace_id: vec![0xab; 16],
            span_id: vec![0, 0, 0, 0, 0, 0, 0, id],
            name: name.into(),
            kind: SpanKind::Server as i32,
            flags: 1,
            start_time_unix_nano: 1_700_000_000_000_001_000,
            end_time_unix_nano: 1_700_000_000_000_501_000,
            attributes: vec![attributes::int("n", id.into())],
            ..Default::default()
        };
        let scope_spans = |scope: &str, spans: Vec<Span>| ScopeSpans {
            scope: Some(InstrumentationScope { name: scope.into(), ..Default::default() }),
            spans,
            schema_url: String::new(),
        };
        let resource = |service: &str| {
            Some(Resource {
                attributes: vec![attributes::string("service.name", service)],
                dropped_attributes_count: 0,
            })
        };
        ExportTraceServiceRequest {
            resource_spans: vec![
                ResourceSpans {
                    resource: resource("a"),
                    scope_spans: vec![
                        scope_spans("s1", vec![span(1, "one")]),
                        scope_spans("s2", vec![span(2, "two")]),
                    ],
                    schema_url: String::new(),
                },
                ResourceSpans {
                    resource: resource("b"),
                    scope_spans: vec![scope_spans("s1", vec![span(3, "three")])],
                    schema_url: String::new(),
                },
            ],
        }
    }

    fn services_and_scopes(req: &ExportTraceServiceRequest) -> Vec<(String, String, String)> {
        crate::otlp::grouping::spans(req)
            .map(|s| {
                let svc = attributes::get_str(&s.resource.unwrap().attributes, "service.name");
                (svc.unwrap().to_string(), s.scope.unwrap().name.clone(), s.span.name.clone())
            })
            .collect()
    }

    #[test]
    fn thrift_compact_writes_one_message_per_resource_and_reads_them_back() {
        let input = request();
        let encoded = otlp_to_thrift_compact(&input);
        assert!(encoded.rejected.is_empty());
        let messages = thrift::decode_agent_messages(thrift::Protocol::Compact, &encoded.bytes)
            .expect("own output decodes");
        assert_eq!(messages.len(), 2);
        let decoded = thrift_compact_to_otlp(&encoded.bytes).unwrap();
        assert!(decoded.rejected.is_empty());
        // One request per message, grouped by scope on the Thrift path too.
        assert_eq!(decoded.requests.len(), 2);
        assert_eq!(decoded.requests[0].resource_spans[0].scope_spans.len(), 2);
        let got: Vec<_> = decoded.requests.iter().flat_map(services_and_scopes).collect();
        assert_eq!(got, services_and_scopes(&input));
        let first = &decoded.requests[0].resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(first.kind, SpanKind::Server as i32);
        assert_eq!(first.start_time_unix_nano, 1_700_000_000_000_001_000);
        assert_eq!(first.end_time_unix_nano, 1_700_000_000_000_501_000);
        assert_eq!(
            attributes::get(&first.attributes, "n"),
            input.resource_spans[0].scope_spans[0].spans[0].attributes[0]
                .value
                .as_ref()
                .and_then(|v| v.value.as_ref())
        );
    }

    #[test]
    fn thrift_binary_reads_bare_batches_and_binary_messages() {
        let input = request();
        let bare = otlp_to_thrift_binary(&input);
        let decoded = thrift_binary_to_otlp(&bare.bytes).unwrap();
        let got: Vec<_> = decoded.requests.iter().flat_map(services_and_scopes).collect();
        assert_eq!(got, services_and_scopes(&input));

        let (batches, _) = from_otlp::otlp_to_batches(&input);
        let messages = thrift::encode_agent_messages(thrift::Protocol::Binary, &batches);
        let decoded = thrift_binary_to_otlp(&messages).unwrap();
        let got: Vec<_> = decoded.requests.iter().flat_map(services_and_scopes).collect();
        assert_eq!(got, services_and_scopes(&input));
    }

    #[test]
    fn thrift_rejections_name_the_message() {
        let mut input = request();
        input.resource_spans[1].scope_spans[0].spans.push(Span {
            trace_id: vec![0xab; 16],
            span_id: vec![0, 0, 0, 0, 0, 0, 0, 9],
            ..Default::default()
        });
        let (mut batches, _) = from_otlp::otlp_to_batches(&input);
        batches[1].spans[1].trace_id = vec![0; 16];
        let bytes = thrift::encode_agent_messages(thrift::Protocol::Compact, &batches);
        let decoded = thrift_compact_to_otlp(&bytes).unwrap();
        assert_eq!(decoded.span_count(), 3);
        assert_eq!(decoded.rejected.len(), 1);
        assert_eq!(decoded.rejected[0].item, "batch[1].spans[1] (span id 0000000000000009)");
        assert_eq!(decoded.rejected[0].reason, "trace id is zero");
    }

    #[test]
    fn proto_holds_every_resource_in_one_message() {
        let input = request();
        let encoded = otlp_to_proto(&input);
        let decoded = proto_to_otlp(&encoded.bytes).unwrap();
        assert_eq!(decoded.requests.len(), 1);
        assert_eq!(services_and_scopes(&decoded.requests[0]), services_and_scopes(&input));
    }
}
