//! Jaeger api_v2 protobuf: the `PostSpansRequest` of the collector's gRPC `PostSpans` call.
//!
//! The bytes are the model itself (prost), so this codec only frames: one request holds one
//! batch. Several OTLP resources still fit in one message because api_v2 lets a span carry
//! its own `process`, which overrides the batch's.

use super::model::{Batch, PostSpansRequest};
use crate::{DecodeError, Format, Location};
use prost::Message;

/// Reads one `PostSpansRequest` and returns its batch (empty when the request has none).
///
/// prost checks every length prefix against the bytes left before allocating, so hostile
/// lengths give an error, not a large allocation.
pub fn decode(input: &[u8]) -> Result<Batch, DecodeError> {
    let request = PostSpansRequest::decode(input)
        .map_err(|e| DecodeError::new(Format::JaegerProto, Location::Input, e.to_string()))?;
    Ok(request.batch.unwrap_or_default())
}

/// Writes `batches` as one `PostSpansRequest` holding one batch.
///
/// The first batch's process becomes the batch process; spans of a later batch whose process
/// differs carry that process themselves.
pub fn encode(batches: Vec<Batch>) -> Vec<u8> {
    PostSpansRequest { batch: Some(merge(batches)) }.encode_to_vec()
}

/// Folds batches into one, moving each later batch's process onto its spans when it
/// differs from the first batch's.
pub fn merge(batches: Vec<Batch>) -> Batch {
    let mut batches = batches.into_iter();
    let Some(mut merged) = batches.next() else { return Batch::default() };
    for batch in batches {
        let Batch { mut spans, process } = batch;
        if process != merged.process {
            for span in &mut spans {
                if span.process.is_none() {
                    span.process.clone_from(&process);
                }
            }
        }
        merged.spans.append(&mut spans);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jaeger::model::{self, Process, Span};
    use crate::jaeger::{from_otlp, to_otlp};
    use crate::otlp::attributes;
    use crate::otlp::model::any_value::Value;
    use crate::otlp::model::span::{Event, Link, SpanKind};
    use crate::otlp::model::status::StatusCode;
    use crate::otlp::model::{
        AnyValue, ArrayValue, ExportTraceServiceRequest, InstrumentationScope, KeyValue,
        KeyValueList, Resource, ResourceSpans, ScopeSpans, Status,
    };
    use crate::Decoded;

    fn jspan(id: u8, process: Option<Process>) -> Span {
        Span {
            trace_id: vec![1; 16],
            span_id: vec![0, 0, 0, 0, 0, 0, 0, id],
            process,
            ..Default::default()
        }
    }
    fn jprocess(name: &str) -> Process {
        Process { service_name: name.into(), tags: Vec::new() }
    }

    #[test]
    fn bad_bytes_are_a_decode_error() {
        let err = decode(&[0x0a, 0xff, 0xff, 0xff, 0x7f]).unwrap_err();
        assert_eq!(err.format, Format::JaegerProto);
        assert!(crate::jaeger::proto_to_otlp(b"\x0a\x02\x0a").is_err());
        // An empty message is an empty batch.
        assert_eq!(decode(&[]).unwrap(), Batch::default());
    }

    #[test]
    fn several_batches_fit_one_message_with_span_processes() {
        let a = Batch { spans: vec![jspan(1, None)], process: Some(jprocess("a")) };
        let b = Batch { spans: vec![jspan(2, None), jspan(3, None)], process: Some(jprocess("b")) };
        let same = Batch { spans: vec![jspan(4, None)], process: Some(jprocess("a")) };
        let bytes = encode(vec![a, b, same]);
        let batch = decode(&bytes).unwrap();
        assert_eq!(batch.process, Some(jprocess("a")));
        let procs: Vec<_> = batch
            .spans
            .iter()
            .map(|s| s.process.as_ref().map(|p| p.service_name.as_str()))
            .collect();
        assert_eq!(procs, [None, Some("b"), Some("b"), None]);
        // Back in OTLP the spans are grouped by process again.
        let (req, rej) = to_otlp::batches_to_otlp(vec![batch]);
        assert!(rej.is_empty());
        let per_resource: Vec<usize> =
            req.resource_spans.iter().map(|rs| rs.scope_spans[0].spans.len()).collect();
        assert_eq!(per_resource, [2, 2]);
        // Nothing in, an empty batch out.
        assert_eq!(decode(&encode(Vec::new())).unwrap(), Batch::default());
    }

    fn s(v: &str) -> AnyValue {
        AnyValue { value: Some(Value::StringValue(v.into())) }
    }

    /// A request with everything Jaeger can carry, and a few things it cannot.
    fn rich_request() -> ExportTraceServiceRequest {
        let trace = vec![0xf0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xff];
        let mut root = crate::otlp::model::Span {
            trace_id: trace.clone(),
            span_id: vec![0x80, 0, 0, 0, 0, 0, 0, 1],
            trace_state: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7".into(),
            flags: 0x01,
            name: "GET /checkout".into(),
            kind: SpanKind::Server as i32,
            start_time_unix_nano: 1_700_000_000_123_456_789,
            end_time_unix_nano: 1_700_000_000_987_654_321,
            attributes: vec![
                attributes::string("http.method", "GET"),
                attributes::int("http.status_code", 500),
                attributes::bool("cache.hit", false),
                attributes::double("ratio", 0.125),
                attributes::bytes("blob", vec![0, 1, 254, 255]),
                attributes::with_value(
                    "tags",
                    Value::ArrayValue(ArrayValue { values: vec![s("a"), s("b")] }),
                ),
                attributes::with_value(
                    "map",
                    Value::KvlistValue(KeyValueList { values: vec![attributes::int("x", 1)] }),
                ),
                attributes::bool("otelbridge.debug", true),
            ],
            dropped_attributes_count: 2,
            events: vec![
                Event {
                    time_unix_nano: 1_700_000_000_200_000_001,
                    name: "exception".into(),
                    attributes: vec![
                        attributes::string("exception.type", "IOError"),
                        attributes::int("attempt", 3),
                    ],
                    dropped_attributes_count: 1,
                },
                Event { time_unix_nano: 1_700_000_000_300_000_000, ..Default::default() },
            ],
            dropped_events_count: 4,
            links: vec![Link {
                trace_id: vec![0xab; 16],
                span_id: vec![0xcd; 8],
                ..Default::default()
            }],
            dropped_links_count: 5,
            status: Some(Status {
                message: "upstream failed".into(),
                code: StatusCode::Error as i32,
            }),
            ..Default::default()
        };
        root.parent_span_id = Vec::new();
        let child = crate::otlp::model::Span {
            trace_id: trace.clone(),
            span_id: vec![0, 0, 0, 0, 0, 0, 0, 2],
            parent_span_id: vec![0x80, 0, 0, 0, 0, 0, 0, 1],
            name: "SELECT".into(),
            kind: SpanKind::Client as i32,
            start_time_unix_nano: 1_700_000_000_200_000_000,
            end_time_unix_nano: 1_700_000_000_250_000_000,
            status: Some(Status { message: String::new(), code: StatusCode::Ok as i32 }),
            links: vec![Link {
                trace_id: trace.clone(),
                span_id: vec![0, 0, 0, 0, 0, 0, 0, 3],
                attributes: vec![attributes::string("opentracing.ref_type", "child_of")],
                ..Default::default()
            }],
            ..Default::default()
        };
        let internal = crate::otlp::model::Span {
            trace_id: vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8],
            span_id: vec![0, 0, 0, 0, 0, 0, 0, 4],
            name: "compute".into(),
            kind: SpanKind::Internal as i32,
            flags: 0,
            start_time_unix_nano: 1,
            end_time_unix_nano: 1,
            ..Default::default()
        };
        let resource = |name: &str, extra: Vec<KeyValue>| {
            let mut attributes = vec![attributes::string("service.name", name)];
            attributes.extend(extra);
            Some(Resource { attributes, dropped_attributes_count: 0 })
        };
        let scope = |name: &str, version: &str| {
            Some(InstrumentationScope {
                name: name.into(),
                version: version.into(),
                ..Default::default()
            })
        };
        ExportTraceServiceRequest {
            resource_spans: vec![
                ResourceSpans {
                    resource: resource(
                        "checkout",
                        vec![
                            attributes::string("host.name", "box-1"),
                            attributes::int("process.pid", 1234),
                            attributes::bool("k8s", true),
                        ],
                    ),
                    scope_spans: vec![
                        ScopeSpans {
                            scope: scope("io.http", "1.2.3"),
                            spans: vec![root],
                            schema_url: String::new(),
                        },
                        ScopeSpans {
                            scope: scope("io.db", ""),
                            spans: vec![child],
                            schema_url: String::new(),
                        },
                    ],
                    schema_url: String::new(),
                },
                ResourceSpans {
                    resource: resource("worker", vec![attributes::double("load", 0.5)]),
                    scope_spans: vec![ScopeSpans {
                        scope: scope("", ""),
                        spans: vec![internal],
                        schema_url: String::new(),
                    }],
                    schema_url: String::new(),
                },
            ],
        }
    }

    /// What Jaeger cannot carry, made explicit: arrays and maps become JSON strings.
    fn normalise(mut req: ExportTraceServiceRequest) -> ExportTraceServiceRequest {
        for rs in &mut req.resource_spans {
            for ss in &mut rs.scope_spans {
                for span in &mut ss.spans {
                    for kv in &mut span.attributes {
                        if let Some(AnyValue {
                            value: Some(v @ (Value::ArrayValue(_) | Value::KvlistValue(_))),
                        }) = &mut kv.value
                        {
                            *v = Value::StringValue(attributes::to_json(Some(v)).to_string());
                        }
                    }
                    // The debug flag comes back as the last attribute.
                    if let Some(pos) =
                        span.attributes.iter().position(|kv| kv.key == "otelbridge.debug")
                    {
                        let kv = span.attributes.remove(pos);
                        span.attributes.push(kv);
                    }
                }
            }
        }
        req
    }

    #[test]
    fn otlp_round_trip_through_proto_bytes_is_lossless() {
        let original = rich_request();
        let encoded = crate::jaeger::otlp_to_proto(&original);
        assert!(encoded.rejected.is_empty(), "{:?}", encoded.rejected);
        let Decoded { requests, rejected } = crate::jaeger::proto_to_otlp(&encoded.bytes).unwrap();
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0], normalise(original));
    }

    #[test]
    fn jaeger_round_trip_keeps_tags_logs_and_references() {
        let tag = |k: &str, v: &str| model::KeyValue {
            key: k.into(),
            v_str: v.into(),
            ..Default::default()
        };
        let mut sp = jspan(1, None);
        sp.operation_name = "op".into();
        sp.flags = model::FLAG_SAMPLED;
        sp.start_time = Some(model::Timestamp { seconds: 10, nanos: 7 });
        sp.duration = Some(model::Duration { seconds: 0, nanos: 9 });
        sp.references = vec![
            model::SpanRef { trace_id: vec![1; 16], span_id: vec![2; 8], ref_type: 0 },
            model::SpanRef { trace_id: vec![1; 16], span_id: vec![3; 8], ref_type: 1 },
            model::SpanRef { trace_id: vec![5; 16], span_id: vec![4; 8], ref_type: 0 },
        ];
        sp.tags = vec![
            tag("component", "grpc"),
            tag("span.kind", "client"),
            tag("otel.status_code", "ERROR"),
            model::KeyValue { key: "error".into(), v_type: 1, v_bool: true, ..Default::default() },
            tag("otel.status_description", "deadline"),
            tag("otel.scope.name", "io.grpc"),
            tag("otel.library.name", "io.grpc"),
        ];
        sp.logs = vec![model::Log {
            timestamp: Some(model::Timestamp { seconds: 10, nanos: 8 }),
            fields: vec![tag("event", "sent"), tag("size", "10")],
        }];
        let batch = Batch { spans: vec![sp.clone()], process: Some(jprocess("svc")) };
        let (req, rej) = to_otlp::batches_to_otlp(vec![batch]);
        assert!(rej.is_empty());
        let (batches, rej) = from_otlp::otlp_to_batches(&req);
        assert!(rej.is_empty());
        let back = decode(&encode(batches)).unwrap();
        assert_eq!(back.process, Some(jprocess("svc")));
        let got = &back.spans[0];
        assert_eq!(got.references, sp.references);
        assert_eq!(got.logs, sp.logs);
        assert_eq!(
            (got.start_time, got.duration, got.flags),
            (sp.start_time, sp.duration, sp.flags)
        );
        let mut want: Vec<_> = sp.tags.iter().map(|t| t.key.as_str()).collect();
        let mut have: Vec<_> = got.tags.iter().map(|t| t.key.as_str()).collect();
        want.sort_unstable();
        have.sort_unstable();
        assert_eq!(have, want);
        for t in &sp.tags {
            assert_eq!(got.tags.iter().find(|g| g.key == t.key), Some(t), "{}", t.key);
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = crate::jaeger::proto_to_otlp(&bytes);
        }
    }
}
