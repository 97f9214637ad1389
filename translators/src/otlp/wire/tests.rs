use super::*;
use crate::otlp::model::{
    any_value::Value, span::Event, span::Link, AnyValue, ArrayValue, ExportTraceServiceRequest,
    InstrumentationScope, KeyValue, KeyValueList, Resource, ResourceSpans, ScopeSpans, Span,
    Status,
};
use proptest::prelude::*;
use prost::Message;

/// The owned model rebuilt from the views: what prost would decode.
fn to_model(t: &TracesView<'_>) -> ExportTraceServiceRequest {
    let kvs = |it: KeyValues<'_>| it.map(|kv| kv.to_model()).collect::<Vec<_>>();
    ExportTraceServiceRequest {
        resource_spans: t
            .resource_spans()
            .map(|rs| ResourceSpans {
                resource: rs.resource.map(|r| Resource {
                    attributes: kvs(r.attributes()),
                    dropped_attributes_count: r.dropped_attributes_count,
                }),
                schema_url: rs.schema_url.into(),
                scope_spans: rs
                    .scope_spans()
                    .map(|ss| ScopeSpans {
                        scope: ss.scope.map(|s| InstrumentationScope {
                            name: s.name.into(),
                            version: s.version.into(),
                            attributes: kvs(s.attributes()),
                            dropped_attributes_count: s.dropped_attributes_count,
                        }),
                        schema_url: ss.schema_url.into(),
                        spans: ss
                            .spans()
                            .map(|s| Span {
                                trace_id: s.trace_id.into(),
                                span_id: s.span_id.into(),
                                trace_state: s.trace_state.into(),
                                parent_span_id: s.parent_span_id.into(),
                                flags: s.flags,
                                name: s.name.into(),
                                kind: s.kind,
                                start_time_unix_nano: s.start_time_unix_nano,
                                end_time_unix_nano: s.end_time_unix_nano,
                                attributes: kvs(s.attributes()),
                                dropped_attributes_count: s.dropped_attributes_count,
                                events: s
                                    .events()
                                    .map(|e| Event {
                                        time_unix_nano: e.time_unix_nano,
                                        name: e.name.into(),
                                        attributes: kvs(e.attributes()),
                                        dropped_attributes_count: e.dropped_attributes_count,
                                    })
                                    .collect(),
                                dropped_events_count: s.dropped_events_count,
                                links: s
                                    .links()
                                    .map(|l| Link {
                                        trace_id: l.trace_id.into(),
                                        span_id: l.span_id.into(),
                                        trace_state: l.trace_state.into(),
                                        attributes: kvs(l.attributes()),
                                        dropped_attributes_count: l.dropped_attributes_count,
                                        flags: l.flags,
                                    })
                                    .collect(),
                                dropped_links_count: s.dropped_links_count,
                                status: s
                                    .status
                                    .map(|st| Status { message: st.message.into(), code: st.code }),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn any_value() -> impl Strategy<Value = AnyValue> {
    let leaf = prop_oneof![
        Just(None),
        ".{0,12}".prop_map(|s| Some(Value::StringValue(s))),
        any::<bool>().prop_map(|b| Some(Value::BoolValue(b))),
        any::<i64>().prop_map(|i| Some(Value::IntValue(i))),
        any::<f64>().prop_map(|d| Some(Value::DoubleValue(d))),
        proptest::collection::vec(any::<u8>(), 0..6).prop_map(|b| Some(Value::BytesValue(b))),
    ]
    .prop_map(|value| AnyValue { value });
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(|values| AnyValue {
                value: Some(Value::ArrayValue(ArrayValue { values }))
            }),
            proptest::collection::vec(("[a-z]{0,3}", proptest::option::of(inner)), 0..4).prop_map(
                |kvs| AnyValue {
                    value: Some(Value::KvlistValue(KeyValueList {
                        values: kvs
                            .into_iter()
                            .map(|(key, value)| KeyValue { key, value })
                            .collect(),
                    }))
                }
            ),
        ]
    })
}

fn attrs(max: usize) -> impl Strategy<Value = Vec<KeyValue>> {
    proptest::collection::vec(
        ("[a-z.]{0,8}", proptest::option::of(any_value()))
            .prop_map(|(key, value)| KeyValue { key, value }),
        0..max,
    )
}

fn span() -> impl Strategy<Value = Span> {
    (
        (
            proptest::collection::vec(any::<u8>(), 0..17),
            proptest::collection::vec(any::<u8>(), 0..9),
            ".{0,4}",
            proptest::collection::vec(any::<u8>(), 0..9),
            any::<u32>(),
            ".{0,200}",
            -2..7i32,
            any::<u64>(),
            any::<u64>(),
        ),
        (
            attrs(12),
            any::<u32>(),
            proptest::collection::vec(
                (any::<u64>(), ".{0,6}", attrs(3), 0..3u32).prop_map(|(t, n, a, d)| Event {
                    time_unix_nano: t,
                    name: n,
                    attributes: a,
                    dropped_attributes_count: d,
                }),
                0..3,
            ),
            proptest::collection::vec(
                (proptest::collection::vec(any::<u8>(), 0..17), attrs(2), any::<u32>()).prop_map(
                    |(id, a, flags)| Link {
                        trace_id: id.clone(),
                        span_id: id.into_iter().take(8).collect(),
                        trace_state: String::new(),
                        attributes: a,
                        dropped_attributes_count: 0,
                        flags,
                    },
                ),
                0..2,
            ),
            proptest::option::of(
                (".{0,8}", -1..4i32).prop_map(|(message, code)| Status { message, code }),
            ),
            0..3u32,
        ),
    )
        .prop_map(
            |((t, s, ts, p, flags, name, kind, start, end), (a, da, events, links, status, dl))| {
                Span {
                    trace_id: t,
                    span_id: s,
                    trace_state: ts,
                    parent_span_id: p,
                    flags,
                    name,
                    kind,
                    start_time_unix_nano: start,
                    end_time_unix_nano: end,
                    attributes: a,
                    dropped_attributes_count: da,
                    events,
                    dropped_events_count: dl,
                    links,
                    dropped_links_count: dl,
                    status,
                }
            },
        )
}

fn request() -> impl Strategy<Value = ExportTraceServiceRequest> {
    let scope_spans = (
        proptest::option::of((".{0,5}", ".{0,3}", attrs(2), 0..2u32).prop_map(|(n, v, a, d)| {
            InstrumentationScope { name: n, version: v, attributes: a, dropped_attributes_count: d }
        })),
        proptest::collection::vec(span(), 0..4),
        ".{0,3}",
    )
        .prop_map(|(scope, spans, schema_url)| ScopeSpans { scope, spans, schema_url });
    let resource_spans = (
        proptest::option::of(
            (attrs(5), 0..2u32)
                .prop_map(|(attributes, d)| Resource { attributes, dropped_attributes_count: d }),
        ),
        proptest::collection::vec(scope_spans, 0..3),
        ".{0,3}",
    )
        .prop_map(|(resource, scope_spans, schema_url)| ResourceSpans {
            resource,
            scope_spans,
            schema_url,
        });
    proptest::collection::vec(resource_spans, 0..3)
        .prop_map(|resource_spans| ExportTraceServiceRequest { resource_spans })
}

/// A request with bodies long enough for 2- and 3-byte lengths.
fn big_request() -> ExportTraceServiceRequest {
    let span = |i: u8| Span {
        trace_id: vec![i; 16],
        span_id: vec![i; 8],
        name: "x".repeat(150 * usize::from(i)),
        kind: 2,
        start_time_unix_nano: 1,
        end_time_unix_nano: 2,
        attributes: vec![crate::otlp::attributes::string("k", "v".repeat(300))],
        status: Some(Status { message: String::new(), code: 0 }),
        flags: 1,
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource::default()),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope::default()),
                spans: (1..120).map(span).collect(),
                schema_url: String::new(),
            }],
            schema_url: "s".into(),
        }],
    }
}

#[test]
fn owned_encoding_is_prosts_byte_for_byte() {
    let req = big_request();
    let bytes = encode_request(&req);
    assert!(bytes.len() > 1 << 14, "3-byte lengths exercised");
    assert_eq!(bytes, req.encode_to_vec());
    assert_eq!(encode_request(&ExportTraceServiceRequest::default()), Vec::<u8>::new());
}

#[test]
fn views_read_what_prost_reads() {
    let req = big_request();
    let bytes = req.encode_to_vec();
    let view = TracesView::parse(&bytes).unwrap();
    assert!(!view.needs_merge());
    assert_eq!(view.span_count(), 119);
    assert_eq!(to_model(&view), req);
    let first = view.resource_spans().next().unwrap();
    assert_eq!(first.schema_url, "s");
    let span = first.scope_spans().next().unwrap().spans().next().unwrap();
    assert_eq!((span.name.len(), span.kind, span.flags), (150, 2, 1));
    assert_eq!(span.status, Some(StatusView { message: "", code: 0 }));
}

#[test]
fn errors_name_the_offset() {
    // Span name (field 5) that is not UTF-8, inside resource_spans > scope_spans > spans.
    let mut span = vec![0x2a, 2, 0xff, 0xfe];
    let mut ss = vec![0x12, span.len() as u8];
    ss.append(&mut span);
    let mut rs = vec![0x12, ss.len() as u8];
    rs.append(&mut ss);
    let mut req = vec![0x0a, rs.len() as u8];
    req.append(&mut rs);
    let err = TracesView::parse(&req).unwrap_err();
    assert_eq!(err.format, crate::Format::OtlpProto);
    assert_eq!(err.location, crate::Location::Offset(6));
    assert!(err.reason.contains("UTF-8"), "{err}");
    assert!(ExportTraceServiceRequest::decode(req.as_slice()).is_err());
    // A length larger than the input, and a wrong wire type for a known field.
    assert_eq!(
        TracesView::parse(&[0x0a, 0x7f, 0]).unwrap_err().location,
        crate::Location::Offset(0)
    );
    assert!(TracesView::parse(&[0x08, 1]).is_err());
    // Unknown fields of every wire type are skipped, groups included.
    let ok = [0x18, 5, 0x21, 0, 0, 0, 0, 0, 0, 0, 0, 0x2d, 0, 0, 0, 0, 0x33, 0x08, 1, 0x34];
    assert_eq!(TracesView::parse(&ok).unwrap().span_count(), 0);
    assert!(ExportTraceServiceRequest::decode(&ok[..]).is_ok());
}

#[test]
fn deep_nesting_is_refused_like_prost() {
    // AnyValue arrays nested n deep inside a span attribute.
    for depth in [90usize, 93, 94, 95, 96, 200, 50_000] {
        let mut v = Vec::new();
        for _ in 0..depth {
            let mut w = Writer::new();
            let m = w.begin(5);
            let mm = w.begin(1);
            w.raw(&v);
            w.end(mm);
            w.end(m);
            v = w.into_vec();
        }
        let mut w = Writer::new();
        let rs = w.begin(1);
        let ss = w.begin(2);
        let sp = w.begin(2);
        let kv = w.begin(9);
        let av = w.begin(2);
        w.raw(&v);
        w.end(av);
        w.end(kv);
        w.end(sp);
        w.end(ss);
        w.end(rs);
        let bytes = w.into_vec();
        let prost_ok = ExportTraceServiceRequest::decode(bytes.as_slice()).is_ok();
        assert_eq!(TracesView::parse(&bytes).is_ok(), prost_ok, "depth {depth}");
    }
}

#[test]
fn repeated_singular_messages_are_flagged() {
    // A span whose status field occurs twice: prost merges them.
    let mut w = Writer::new();
    let rs = w.begin(1);
    let ss = w.begin(2);
    let sp = w.begin(2);
    let st = w.begin(15);
    w.string(2, "a");
    w.end(st);
    let st = w.begin(15);
    w.int32(3, 2);
    w.end(st);
    w.end(sp);
    w.end(ss);
    w.end(rs);
    let bytes = w.into_vec();
    assert!(TracesView::parse(&bytes).unwrap().needs_merge());
    let req = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
    let status = req.resource_spans[0].scope_spans[0].spans[0].status.clone().unwrap();
    assert_eq!((status.message.as_str(), status.code), ("a", 2));
}

#[test]
fn traces_writer_groups_in_first_seen_order() {
    let mut out = TracesWriter::new();
    let mut body = Writer::new();
    body.key_value(1, "service.name", Some(&AnyValueView::String("a")));
    let a = out.resource(Some(body.as_bytes()));
    let b = out.resource(None);
    let mut scope = Writer::new();
    scope.string(1, "s1");
    let s1 = scope.as_bytes().to_vec();
    let span = |out: &mut TracesWriter, g: GroupId, name: &str| {
        let w = out.spans(g);
        let m = w.begin(2);
        w.string(5, name);
        w.end(m);
    };
    let g = out.group(b, Some(&s1));
    span(&mut out, g, "1");
    let g = out.group(a, Some(&s1));
    span(&mut out, g, "2");
    let g = out.group(b, None);
    span(&mut out, g, "3");
    let g = out.group(b, Some(&s1));
    span(&mut out, g, "4");
    let _unused = out.group(a, None);
    let bytes = out.finish();
    let req = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
    let layout: Vec<Vec<Vec<&str>>> = req
        .resource_spans
        .iter()
        .map(|rs| {
            rs.scope_spans
                .iter()
                .map(|ss| ss.spans.iter().map(|s| s.name.as_str()).collect())
                .collect()
        })
        .collect();
    assert_eq!(layout, vec![vec![vec!["1", "4"], vec!["3"]], vec![vec!["2"]]]);
    assert_eq!(req.resource_spans[0].resource, None);
    assert_eq!(req.resource_spans[1].scope_spans[0].scope.as_ref().unwrap().name, "s1");
    assert_eq!(bytes, req.encode_to_vec());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn encode_matches_prost_and_views_match_prost_decode(req in request()) {
        let bytes = encode_request(&req);
        prop_assert_eq!(&bytes, &req.encode_to_vec());
        let view = TracesView::parse(&bytes).unwrap();
        prop_assert!(!view.needs_merge());
        let back = to_model(&view);
        // NaN != NaN: compare re-encodings.
        prop_assert_eq!(back.encode_to_vec(), bytes);
    }

    #[test]
    fn any_bytes_parse_exactly_when_prost_decodes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let ours = TracesView::parse(&bytes);
        let theirs = ExportTraceServiceRequest::decode(bytes.as_slice());
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}", ours.err());
        if let (Ok(view), Ok(req)) = (ours, theirs) {
            if !view.needs_merge() {
                prop_assert_eq!(to_model(&view).encode_to_vec(), req.encode_to_vec());
            }
        }
    }

    #[test]
    fn mutated_requests_parse_exactly_when_prost_decodes(
        req in request(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = encode_request(&req);
        if !bytes.is_empty() {
            for (at, v) in flips {
                let n = bytes.len();
                bytes[at % n] = v;
            }
        }
        let ours = TracesView::parse(&bytes);
        let theirs = ExportTraceServiceRequest::decode(bytes.as_slice());
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}", ours.err());
        if let (Ok(view), Ok(req)) = (ours, theirs) {
            if !view.needs_merge() {
                prop_assert_eq!(to_model(&view).encode_to_vec(), req.encode_to_vec());
            }
        }
    }
}

/// The attribute fast paths take a one-byte length only: a length byte ≥ 0x80 that happens
/// to equal the bytes left must go the general way (and be refused like prost refuses it).
#[test]
fn attribute_fast_path_refuses_long_length_bytes() {
    // Resource { attributes: [KeyValue { key: "k", value: AnyValue { string: 0x85 .. } }] }
    // where the value's string length varint is 0x85 0x01 (133) but 132 bytes follow.
    let mut any = vec![0x0a, 0x85, 0x01];
    any.extend(std::iter::repeat_n(b'a', 131));
    assert_eq!(any.len(), 134);
    for value in [any.clone(), {
        let mut b = any.clone();
        b[0] = 0x3a;
        b
    }] {
        let mut kv = vec![0x0a, 1, b'k', 0x12];
        kv.extend_from_slice(&[0x86, 0x01]);
        kv.extend_from_slice(&value);
        let mut resource = vec![0x0a, kv.len() as u8 | 0x80, (kv.len() >> 7) as u8];
        resource.extend_from_slice(&kv);
        let mut rs = vec![0x0a, resource.len() as u8 | 0x80, (resource.len() >> 7) as u8];
        rs.extend_from_slice(&resource);
        let mut req = vec![0x0a, rs.len() as u8 | 0x80, (rs.len() >> 7) as u8];
        req.extend_from_slice(&rs);
        assert!(ExportTraceServiceRequest::decode(req.as_slice()).is_err());
        assert!(TracesView::parse(&req).is_err());
    }
    // The same value one byte shorter in its length: 132 bytes, a valid string.
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![crate::otlp::attributes::string("k", "a".repeat(132))],
                dropped_attributes_count: 0,
            }),
            ..Default::default()
        }],
    };
    let bytes = encode_request(&req);
    assert_eq!(to_model(&TracesView::parse(&bytes).unwrap()), req);
}
