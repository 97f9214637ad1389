//! Jaeger: Thrift (agent compact / binary, collector binary), api_v2 protobuf and query JSON.
//!
//! There is one Jaeger ⇄ OTLP mapping, on [`view::SpanView`]: [`to_otlp`] (Jaeger → OTLP
//! protobuf) and [`from_otlp`] (OTLP protobuf views → Jaeger). The Thrift codec reads and
//! writes views directly ([`thrift_direct`]); the api_v2 codecs (protobuf, JSON) convert their
//! model to and from views. Every entry point below, the owned API ([`crate::decode_traces`],
//! [`crate::encode_traces`]) and the bytes-to-bytes routes of [`transcode_fast`] alike, runs
//! that one mapping: the owned OTLP model goes through [`crate::otlp::wire`] on the way.

pub mod from_otlp;
pub mod json;
pub mod model;
pub mod proto;
pub mod thrift;
pub mod thrift_direct;
pub mod to_otlp;
pub mod view;

use crate::otlp::model::ExportTraceServiceRequest;
use crate::otlp::wire::{self, TracesView};
use crate::{DecodeError, Decoded, Encoded, Format};
use prost::Message;

/// Log field used for the event's dropped attributes by older spec versions (read only).
pub const TAG_EVENT_DROPPED_ATTRIBUTES_OLD: &str = "otel.event.dropped_attributes_count";
/// Log field holding the event name.
pub const FIELD_EVENT: &str = "event";
/// Log field read as the event name when a log has no `event` field (the OpenTelemetry Python
/// Jaeger exporter and older Collectors put the name there).
pub const FIELD_MESSAGE: &str = "message";
/// Link attribute keeping the OpenTracing reference type of a reference that is not
/// FOLLOWS_FROM.
pub const ATTR_REF_TYPE: &str = "opentracing.ref_type";
/// Process tag Jaeger clients use for the host name; read as `host.name`.
pub const PROCESS_HOSTNAME: &str = "hostname";
/// The service name written when a resource has no `service.name` (the SDK default).
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// OTLP protobuf bytes of our own making → the owned model.
fn decode_own(bytes: &[u8]) -> ExportTraceServiceRequest {
    // Written by `otlp::wire`: canonical protobuf, it decodes.
    ExportTraceServiceRequest::decode(bytes).unwrap_or_default()
}

/// Thrift → OTLP, one request per message (or bare batch), so that concatenated messages
/// stay apart; rejections name the batch by its position in the input.
fn thrift_to_otlp(format: Format, input: &[u8]) -> Result<Decoded, DecodeError> {
    let mapped = thrift_direct::to_otlp(format, input)?;
    // seqNo and ClientStats are the client's bookkeeping; OTLP has no place for them.
    let requests = mapped.requests.iter().map(|r| decode_own(&mapped.bytes[r.clone()])).collect();
    Ok(Decoded { requests, rejected: mapped.rejected })
}

/// Agent UDP payload (compact `emitBatch` message(s)) → OTLP, one request per message.
pub fn thrift_compact_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    thrift_to_otlp(Format::JaegerThriftCompact, input)
}
/// Collector HTTP body (bare binary `Batch` struct(s)) → OTLP, one request per batch.
///
/// Binary-protocol `emitBatch` messages (the Node client's UDP payload, port 6832) are read too,
/// since `--from jaeger-thrift-binary` may be given either.
pub fn thrift_binary_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    thrift_to_otlp(Format::JaegerThriftBinary, input)
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

/// OTLP protobuf views → a Jaeger format (`to` must be one).
fn from_otlp_view(to: Format, view: &TracesView<'_>) -> Encoded {
    let (bytes, rejected) = match to {
        Format::JaegerThriftCompact => thrift_direct::from_otlp(thrift::Protocol::Compact, view),
        Format::JaegerThriftBinary => thrift_direct::from_otlp(thrift::Protocol::Binary, view),
        _ => {
            let mut sink = from_otlp::ModelSink::default();
            let rejected = from_otlp::map_request(view, &mut sink);
            let bytes = match to {
                Format::JaegerJson => json::encode(&sink.batches),
                _ => proto::encode(sink.batches),
            };
            (bytes, rejected)
        }
    };
    Encoded { bytes, rejected }
}

/// The owned model → a Jaeger format, through its protobuf views (one mapping).
fn from_otlp_model(to: Format, request: &ExportTraceServiceRequest) -> Encoded {
    let bytes = wire::encode_request(request);
    match TracesView::parse(&bytes) {
        Ok(view) => from_otlp_view(to, &view),
        // Never: our own canonical encoding parses.
        Err(_) => Encoded::default(),
    }
}

/// OTLP → agent UDP payload: one compact `emitBatch` message per OTLP resource.
pub fn otlp_to_thrift_compact(request: &ExportTraceServiceRequest) -> Encoded {
    from_otlp_model(Format::JaegerThriftCompact, request)
}
/// OTLP → collector HTTP body: one bare binary `Batch` per OTLP resource, concatenated.
pub fn otlp_to_thrift_binary(request: &ExportTraceServiceRequest) -> Encoded {
    from_otlp_model(Format::JaegerThriftBinary, request)
}
/// OTLP → `PostSpansRequest` (one message, one batch; see [`proto::encode`]).
pub fn otlp_to_proto(request: &ExportTraceServiceRequest) -> Encoded {
    from_otlp_model(Format::JaegerProto, request)
}
/// OTLP → query-API JSON.
pub fn otlp_to_json(request: &ExportTraceServiceRequest) -> Encoded {
    from_otlp_model(Format::JaegerJson, request)
}

/// A direct bytes-to-bytes route for `from` → `to` when one exists: any Jaeger format →
/// OTLP protobuf, OTLP protobuf → any Jaeger format, without the owned OTLP model (and, for
/// Thrift, without any owned model). `None` sends [`crate::transcode`] down the
/// decode-then-encode route (other pairs, and OTLP input whose singular fields repeat, which
/// protobuf merges). The output is the same as that route's.
pub fn transcode_fast(
    from: Format,
    to: Format,
    input: &[u8],
) -> Option<Result<Encoded, DecodeError>> {
    use Format::*;
    match (from, to) {
        (JaegerThriftCompact | JaegerThriftBinary, OtlpProto) => Some(
            thrift_direct::to_otlp(from, input)
                .map(|m| Encoded { bytes: m.bytes, rejected: m.rejected }),
        ),
        (JaegerProto | JaegerJson, OtlpProto) => {
            let (batches, mut rejected) = match from {
                JaegerProto => match proto::decode(input) {
                    Ok(batch) => (vec![batch], Vec::new()),
                    Err(e) => return Some(Err(e)),
                },
                _ => match json::decode(input) {
                    Ok(decoded) => decoded,
                    Err(e) => return Some(Err(e)),
                },
            };
            let (bytes, mapped) = to_otlp::batches_to_otlp_bytes(&batches);
            rejected.extend(mapped);
            Some(Ok(Encoded { bytes, rejected }))
        }
        (OtlpProto, JaegerThriftCompact | JaegerThriftBinary | JaegerProto | JaegerJson) => {
            match TracesView::parse(input) {
                Err(e) => Some(Err(e)),
                Ok(view) if view.needs_merge() => None,
                Ok(view) => Some(Ok(from_otlp_view(to, &view))),
            }
        }
        _ => None,
    }
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
        let direct = thrift_direct::to_otlp(Format::JaegerThriftCompact, &encoded.bytes).unwrap();
        assert_eq!(direct.clients.len(), 2, "one emitBatch message per resource");
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

        let bytes = input.encode_to_vec();
        let view = TracesView::parse(&bytes).unwrap();
        let framing = thrift_direct::Framing::AgentMessages;
        let (messages, _) =
            thrift_direct::from_otlp_framed(thrift::Protocol::Binary, framing, &view);
        assert!(thrift_direct::is_binary_message(&messages));
        let decoded = thrift_binary_to_otlp(&messages).unwrap();
        let got: Vec<_> = decoded.requests.iter().flat_map(services_and_scopes).collect();
        assert_eq!(got, services_and_scopes(&input));
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
