//! The Zipkin ⇄ OTLP protobuf routes of [`crate::transcode`], bytes to bytes: Zipkin spans
//! borrowed from the input go through the one mapping ([`super::to_otlp`]) and are written
//! as OTLP protobuf by [`crate::otlp::wire`]; OTLP protobuf read in place by
//! [`crate::otlp::wire`] goes through [`super::from_otlp`] to the Zipkin writers. Neither
//! builds the owned OTLP model.

use super::from_otlp::{map_span, AttrsIn, EventIn, LinkIn, ResourceCtx, ScopeCtx};
use super::from_otlp::{SpanBuffers, SpanIn, ValueIn, WireArray};
use super::span::ZipkinSpan;
use super::to_otlp::{write_event_attributes, AttrValue, Mapped, OtlpSpan};
use super::{v1_json, v1_thrift, v2_json, v2_proto};
use crate::otlp::validity::span_item;
use crate::otlp::wire::{self, field as f, AnyValueView, KeyValues, TracesView, Writer};
use crate::{DecodeError, Encoded, Format, Rejection};
use std::borrow::Cow;

/// Reads Zipkin `format` and hands the mapped spans to `then`; `None` for a non-Zipkin format.
pub(crate) fn with_mapped<R>(
    format: Format,
    input: &[u8],
    then: impl FnOnce(Mapped<'_>) -> R,
) -> Option<Result<R, DecodeError>> {
    // Rejections of the reader come first, then those of the mapping.
    fn join(mut first: Vec<Rejection>, mut mapped: Mapped<'_>) -> Mapped<'_> {
        first.append(&mut mapped.rejected);
        mapped.rejected = first;
        mapped
    }
    let result = match format {
        Format::ZipkinJson => v2_json::read(input).map(|mut read| {
            let spans = std::mem::take(&mut read.spans);
            let mapped = super::to_otlp::map_spans(spans, &|i| read.item(i));
            then(join(std::mem::take(&mut read.rejected), mapped))
        }),
        Format::ZipkinProto => v2_proto::decode(input).map(|spans| {
            let views = spans.iter().map(ZipkinSpan::of_model);
            then(super::to_otlp::map_spans(views, &|i| format!("spans[{i}]")))
        }),
        Format::ZipkinV1Json => v1_json::decode_indexed(input).map(|d| {
            let index = &d.index;
            let item = |i: usize| v1_json::item_path(index.get(i).copied().unwrap_or(i));
            let mapped = super::to_otlp::map_spans(d.spans.iter().map(ZipkinSpan::of_model), &item);
            then(join(d.rejected.clone(), mapped))
        }),
        Format::ZipkinV1Thrift => v1_thrift::decode_indexed(input).map(|d| {
            let index = &d.index;
            let item = |i: usize| v1_thrift::item_path(index.get(i).copied().unwrap_or(i));
            let mapped = super::to_otlp::map_spans(d.spans.iter().map(ZipkinSpan::of_model), &item);
            then(join(d.rejected.clone(), mapped))
        }),
        _ => return None,
    };
    Some(result)
}

impl Mapped<'_> {
    /// The OTLP protobuf `ExportTraceServiceRequest`: the same bytes as encoding
    /// [`Mapped::into_request`] with prost.
    pub fn write_proto(&self) -> Vec<u8> {
        let mut traces = wire::TracesWriter::new();
        let mut body = Writer::new();
        for (key, spans) in &self.groups {
            body.clear();
            if let Some(service) = &key.service {
                body.key_value(
                    f::RESOURCE_ATTRIBUTES,
                    super::ATTR_SERVICE_NAME,
                    Some(&AnyValueView::String(service)),
                );
            }
            let resource = traces.resource(Some(body.as_bytes()));
            body.clear();
            body.string(f::SCOPE_NAME, &key.scope_name);
            body.string(f::SCOPE_VERSION, &key.scope_version);
            let group = traces.group(resource, Some(body.as_bytes()));
            let w = traces.spans(group);
            // About 700 bytes per realistic span: one allocation instead of a dozen.
            w.reserve(spans.len() * 768);
            for span in spans {
                write_span(w, span);
            }
        }
        traces.finish()
    }
}

fn write_span(w: &mut Writer, s: &OtlpSpan<'_>) {
    let m = w.begin(f::SCOPE_SPANS_SPANS);
    w.bytes(f::SPAN_TRACE_ID, &s.trace_id);
    w.bytes(f::SPAN_SPAN_ID, &s.span_id);
    w.string(f::SPAN_TRACE_STATE, &s.trace_state);
    if let Some(parent) = &s.parent_span_id {
        w.bytes(f::SPAN_PARENT_SPAN_ID, parent);
    }
    w.string(f::SPAN_NAME, &s.name);
    w.int32(f::SPAN_KIND, s.kind as i32);
    w.fixed64(f::SPAN_START, s.start_time_unix_nano);
    w.fixed64(f::SPAN_END, s.end_time_unix_nano);
    for (key, value) in &s.attributes {
        let value = match value {
            AttrValue::Str(s) => {
                w.key_value_str(f::SPAN_ATTRIBUTES, key, s);
                continue;
            }
            AttrValue::Int(i) => AnyValueView::Int(*i),
            AttrValue::Bool(b) => AnyValueView::Bool(*b),
        };
        w.key_value(f::SPAN_ATTRIBUTES, key, Some(&value));
    }
    w.uint64(f::SPAN_DROPPED_ATTRIBUTES, s.dropped_attributes_count.into());
    for e in &s.events {
        let m = w.begin(f::SPAN_EVENTS);
        w.fixed64(f::EVENT_TIME, e.time_unix_nano);
        w.string(f::EVENT_NAME, &e.name);
        write_event_attributes(w, f::EVENT_ATTRIBUTES, &e.attributes);
        w.uint64(f::EVENT_DROPPED_ATTRIBUTES, e.dropped_attributes_count.into());
        w.end(m);
    }
    w.uint64(f::SPAN_DROPPED_EVENTS, s.dropped_events_count.into());
    for l in &s.links {
        wire::encode_link(w, l);
    }
    w.uint64(f::SPAN_DROPPED_LINKS, s.dropped_links_count.into());
    if let Some((code, message)) = &s.status {
        let m = w.begin(f::SPAN_STATUS);
        w.string(f::STATUS_MESSAGE, message);
        w.int32(f::STATUS_CODE, *code as i32);
        w.end(m);
    }
    w.fixed32(f::SPAN_FLAGS, s.flags);
    w.end(m);
}

/// Zipkin `format` → OTLP protobuf.
pub(crate) fn zipkin_to_otlp_proto(
    format: Format,
    input: &[u8],
) -> Option<Result<Encoded, DecodeError>> {
    with_mapped(format, input, |mapped| Encoded {
        bytes: mapped.write_proto(),
        rejected: mapped.rejected,
    })
}

fn value_in<'a>(v: Option<&AnyValueView<'a>>) -> ValueIn<'a> {
    match v {
        None | Some(AnyValueView::Empty) => ValueIn::None,
        Some(AnyValueView::String(s)) => ValueIn::Str(s),
        Some(AnyValueView::Bool(b)) => ValueIn::Bool(*b),
        Some(AnyValueView::Int(i)) => ValueIn::Int(*i),
        Some(AnyValueView::Double(d)) => ValueIn::Double(*d),
        Some(AnyValueView::Array(a)) => ValueIn::Array(WireArray(*a)),
        Some(other) => match other.to_model().value {
            Some(v) => ValueIn::Other(Cow::Owned(v)),
            None => ValueIn::None,
        },
    }
}

fn attrs_in(kvs: KeyValues<'_>) -> AttrsIn<'_> {
    kvs.map(|kv| (kv.key, value_in(kv.value.as_ref()))).collect()
}

/// The spans of an OTLP protobuf request, mapped, each handed to `f`; the rejected ones are
/// returned. `None` when the request cannot be read in place exactly as prost reads it
/// (broken, or with repeated singular messages to merge): the owned route then decides.
/// The per-span vectors (attributes, events, tags) are reused from span to span.
/// With `json`, each scope's trailing tags are rendered once as JSON and handed to `f` with
/// the spans that end with them ([`ZipkinSpan::rendered_tail`]); otherwise `f` gets `&[]`
/// and every span holds all its tags.
fn map_proto(
    input: &[u8],
    json: bool,
    f: impl FnMut(&ZipkinSpan<'_>, &[u8]),
) -> Option<Vec<Rejection>> {
    let traces = TracesView::parse(input).ok().filter(|t| !t.needs_merge())?;
    Some(map_traces(&traces, json, f))
}

/// [`map_proto`] on a parsed request.
fn map_traces<'a>(
    traces: &'a TracesView<'_>,
    json: bool,
    mut f: impl FnMut(&ZipkinSpan<'a>, &[u8]),
) -> Vec<Rejection> {
    let mut rejected = Vec::new();
    let mut attributes: AttrsIn<'a> = Vec::new();
    let mut events: Vec<EventIn<'a>> = Vec::new();
    let mut spare: Vec<AttrsIn<'a>> = Vec::new();
    let mut buffers = SpanBuffers::default();
    let fill = |out: &mut AttrsIn<'a>, kvs: KeyValues<'a>| {
        out.clear();
        out.extend(kvs.map(|kv| (kv.key, value_in(kv.value.as_ref()))));
    };
    for (i, rs) in traces.resource_spans().enumerate() {
        let res = ResourceCtx::new(
            rs.resource
                .iter()
                .flat_map(|r| r.attributes())
                .map(|kv| (kv.key, value_in(kv.value.as_ref()))),
        );
        for (j, ss) in rs.scope_spans().enumerate() {
            let sc = ss.scope.as_ref();
            let mut scope = ScopeCtx::new(
                sc.map_or("", |s| s.name),
                sc.map_or("", |s| s.version),
                sc.into_iter()
                    .flat_map(|s| s.attributes())
                    .map(|kv| (kv.key, value_in(kv.value.as_ref()))),
            );
            if json {
                scope.render_json_tail(&res);
            }
            for (k, span) in ss.spans().enumerate() {
                fill(&mut attributes, span.attributes());
                for e in events.drain(..) {
                    spare.push(e.attributes);
                }
                for e in span.events() {
                    let mut attrs = spare.pop().unwrap_or_default();
                    fill(&mut attrs, e.attributes());
                    events.push(EventIn {
                        time_unix_nano: e.time_unix_nano,
                        name: e.name,
                        attributes: attrs,
                    });
                }
                let span_in = SpanIn {
                    trace_id: span.trace_id,
                    span_id: span.span_id,
                    parent_span_id: span.parent_span_id,
                    trace_state: span.trace_state,
                    name: span.name,
                    kind: span.kind,
                    start_time_unix_nano: span.start_time_unix_nano,
                    end_time_unix_nano: span.end_time_unix_nano,
                    attributes: std::mem::take(&mut attributes),
                    dropped_attributes_count: span.dropped_attributes_count,
                    events: std::mem::take(&mut events),
                    dropped_events_count: span.dropped_events_count,
                    links: span
                        .links()
                        .map(|l| LinkIn {
                            trace_id: l.trace_id,
                            span_id: l.span_id,
                            trace_state: l.trace_state,
                            attributes: attrs_in(l.attributes()),
                            dropped_attributes_count: l.dropped_attributes_count,
                        })
                        .collect(),
                    dropped_links_count: span.dropped_links_count,
                    status: span.status.as_ref().map(|s| (s.code, s.message)),
                };
                match map_span(&span_in, &res, &scope, std::mem::take(&mut buffers)) {
                    Ok(mut z) => {
                        f(&z, scope.json_tail());
                        buffers = SpanBuffers::take(&mut z);
                    }
                    Err(reason) => {
                        rejected.push(Rejection::new(span_item(i, j, k, span.span_id), reason))
                    }
                }
                attributes = span_in.attributes;
                events = span_in.events;
            }
        }
    }
    rejected
}

/// OTLP protobuf → Zipkin `format`.
pub(crate) fn otlp_proto_to_zipkin(
    format: Format,
    input: &[u8],
) -> Option<Result<Encoded, DecodeError>> {
    let (bytes, rejected) = match format {
        Format::ZipkinJson => {
            // The JSON is about twice the size of the protobuf.
            let mut w = v2_json::ListWriter::with_bytes(input.len() * 2 + 64);
            let rejected = map_proto(input, true, |z, tail| w.push(z, tail))?;
            (w.finish(), rejected)
        }
        Format::ZipkinProto | Format::ZipkinV1Json | Format::ZipkinV1Thrift => {
            let mut spans = Vec::new();
            let rejected = map_proto(input, false, |z, _| spans.push(z.to_model()))?;
            let bytes = match format {
                Format::ZipkinProto => v2_proto::encode(spans),
                Format::ZipkinV1Json => v1_json::encode(&spans),
                _ => v1_thrift::encode(&spans),
            };
            (bytes, rejected)
        }
        _ => return None,
    };
    Some(Ok(Encoded { bytes, rejected }))
}

#[cfg(test)]
mod tests {
    use crate::{transcode, Format};
    use proptest::prelude::*;

    const ZIPKIN: [Format; 4] =
        [Format::ZipkinJson, Format::ZipkinProto, Format::ZipkinV1Json, Format::ZipkinV1Thrift];

    #[test]
    fn key_value_str_writes_what_key_value_writes() {
        use crate::otlp::wire::{AnyValueView, Writer};
        let long = "x".repeat(200);
        for field in [3, 9, 15, 16, 300] {
            for key in ["", "k", "http.request.method", &long[..120], &long[..127], &long] {
                for value in ["", "v", &long[..100], &long[..121], &long[..122], &long] {
                    let (mut a, mut b) = (Writer::new(), Writer::new());
                    a.key_value_str(field, key, value);
                    b.key_value(field, key, Some(&AnyValueView::String(value)));
                    assert_eq!(a.as_bytes(), b.as_bytes(), "{field} {} {}", key.len(), value.len());
                }
            }
        }
    }

    /// The scope's trailing tags rendered once (JSON route) give what the owned route writes,
    /// also when a span's own tags share keys with them, or scope and resource do.
    #[test]
    fn rendered_scope_tags_write_what_the_owned_route_writes() {
        use crate::encode_traces;
        use crate::otlp::attributes::{int, string};
        use crate::otlp::model::{
            ExportTraceServiceRequest, InstrumentationScope, Resource, ResourceSpans, ScopeSpans,
            Span,
        };
        let span = |n: u8, attributes| Span {
            trace_id: vec![1; 16],
            span_id: vec![n; 8],
            name: format!("s{n}"),
            start_time_unix_nano: 1_000_000,
            end_time_unix_nano: 2_000_000,
            attributes,
            ..Default::default()
        };
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![
                        string("service.name", "svc"),
                        string("host.name", "h\"1"),
                        string("dup", "from resource"),
                        int("process.pid", 7),
                    ],
                    dropped_attributes_count: 0,
                }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "lib".into(),
                        version: "1.0".into(),
                        attributes: vec![string("dup", "from scope"), string("x", "1")],
                        dropped_attributes_count: 0,
                    }),
                    spans: vec![
                        span(1, vec![string("a", "b")]),
                        span(2, vec![string("host.name", "mine")]),
                        span(3, vec![string("x", "span")]),
                        span(4, vec![]),
                        span(5, vec![string("otel.library.name", "attr")]),
                    ],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        };
        let proto = encode_traces(Format::OtlpProto, &request).bytes;
        let fast = transcode(Format::OtlpProto, Format::ZipkinJson, &proto).unwrap();
        let owned = encode_traces(Format::ZipkinJson, &request);
        assert_eq!(String::from_utf8(fast.bytes).unwrap(), String::from_utf8(owned.bytes).unwrap());
        // Also with no scope attributes and no resource tags left to render.
        let mut bare = request.clone();
        bare.resource_spans[0].resource = None;
        bare.resource_spans[0].scope_spans[0].scope = None;
        let proto = encode_traces(Format::OtlpProto, &bare).bytes;
        let fast = transcode(Format::OtlpProto, Format::ZipkinJson, &proto).unwrap();
        assert_eq!(fast.bytes, encode_traces(Format::ZipkinJson, &bare).bytes);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            for format in ZIPKIN {
                let _ = transcode(format, Format::OtlpProto, &bytes);
                let _ = transcode(Format::OtlpProto, format, &bytes);
            }
        }

        #[test]
        fn json_like_text_never_panics(text in r#"[\[\]{}",:0-9a-zA-Z\\ .|eE+-]{0,200}"#) {
            let _ = transcode(Format::ZipkinJson, Format::OtlpProto, text.as_bytes());
            let wrapped = format!(
                r#"[{{"traceId":"1","id":"2","tags":{{"a":{text}}},"annotations":[{{"timestamp":1,"value":"{}"}}]}}]"#,
                text.replace('\\', "").replace('"', "'")
            );
            let _ = transcode(Format::ZipkinJson, Format::OtlpProto, wrapped.as_bytes());
        }
    }
}
