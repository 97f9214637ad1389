//! The span index's schema, and how one OTLP span becomes one tantivy document.
//!
//! Ids, service and span names are indexed whole (raw tokens: the default tokenizer would split them and drop
//! tokens over 40 bytes). Attributes are indexed as `key=value` tokens, so a Jaeger `tags` or Zipkin
//! `annotationQuery` filter is one term lookup. The span itself is stored as protobuf, with its resource and
//! scope, so what goes in comes out unchanged.

use tantivy::schema::{
    BytesOptions, Field, IndexRecordOption, NumericOptions, Schema, TantivyDocument,
    TextFieldIndexing, TextOptions,
};
use translators::otlp::attributes::to_tag_string;
use translators::otlp::model::{
    any_value, span::SpanKind, status::StatusCode, InstrumentationScope, KeyValue, Resource, Span,
};

/// Separates the parts of a composite term (`service␟kind␟name`); it cannot appear in names users type.
pub(crate) const SEP: char = '\u{1f}';

/// Values longer than this are indexed cut at a character boundary (and stored whole): tantivy drops tokens
/// over 65,530 bytes, and nobody searches for a kilobyte of text by exact match.
pub(crate) const MAX_INDEXED_VALUE: usize = 1024;

/// The fields of the span index.
#[derive(Clone)]
pub(crate) struct SpanFields {
    pub schema: Schema,
    /// 16 bytes (64-bit ids widened), indexed and fast.
    pub trace_id: Field,
    /// 8 bytes, fast.
    pub span_id: Field,
    /// 8 bytes, fast; absent on roots.
    pub parent_span_id: Field,
    /// `service.name` of the resource (empty when unset), raw, fast.
    pub service: Field,
    /// Span name, raw.
    pub name: Field,
    /// `service␟kind␟name`, listed for `/api/services/{s}/operations`.
    pub operation: Field,
    /// `server`, `client`, `producer`, `consumer`, `internal` or `unspecified`, raw, fast.
    pub kind: Field,
    /// Start time, ns since the epoch, fast (ranges and sorting read the column).
    pub start: Field,
    /// End − start in ns, fast.
    pub duration: Field,
    /// `unset`, `ok` or `error`, raw, fast.
    pub status: Field,
    /// `key=value` of span and resource attributes and of the scope tags every legacy format derives
    /// (`otel.scope.name`, `otel.scope.version`, `otel.status_description`). A key alone is found by the term range `key=`..`key>`
    /// rather than by indexing keys again (a third fewer tokens to index).
    pub tags: Field,
    /// `key=value` of event attributes, and `event=<name>` (Jaeger log fields; Zipkin annotation values).
    pub event_tags: Field,
    /// `service␟peer`: the span's remote service (`peer.service`), fast for dependency links.
    pub remote_service: Field,
    /// The trace ids (16 bytes) of the span's links, so the traces that link to a trace can be found.
    pub link_trace_id: Field,
    /// The span as a protobuf `ResourceSpans` holding its resource, its scope and the span alone.
    pub record: Field,
}

impl SpanFields {
    pub fn new() -> Self {
        let mut b = Schema::builder();
        let id = BytesOptions::default().set_indexed().set_fast();
        // Fast only: range queries on a fast field read the column, so an inverted index of nearly unique
        // times would be a posting list per span for nothing.
        let time = NumericOptions::default().set_fast();
        // Whole values, no field norms: nothing is scored, documents are only matched.
        let raw = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        );
        let raw_fast = raw.clone().set_fast(Some("raw"));
        SpanFields {
            trace_id: b.add_bytes_field("trace_id", id.clone()),
            span_id: b.add_bytes_field("span_id", BytesOptions::default().set_fast()),
            parent_span_id: b.add_bytes_field("parent_span_id", BytesOptions::default().set_fast()),
            service: b.add_text_field("service", raw_fast.clone()),
            name: b.add_text_field("name", raw.clone()),
            operation: b.add_text_field("operation", raw.clone()),
            kind: b.add_text_field("kind", raw_fast.clone()),
            start: b.add_u64_field("start", time.clone()),
            duration: b.add_u64_field("duration", time),
            status: b.add_text_field("status", raw_fast.clone()),
            tags: b.add_text_field("tags", raw.clone()),
            event_tags: b.add_text_field("event_tags", raw.clone()),
            remote_service: b.add_text_field("remote_service", raw_fast.clone()),
            link_trace_id: b
                .add_bytes_field("link_trace_id", BytesOptions::default().set_indexed()),
            record: b.add_bytes_field("record", BytesOptions::default().set_stored()),
            schema: b.build(),
        }
    }
}

/// The lower-case name of a span kind, as Jaeger's `spanKind` parameter and tag spell it.
pub fn kind_name(kind: i32) -> &'static str {
    match SpanKind::try_from(kind) {
        Ok(SpanKind::Server) => "server",
        Ok(SpanKind::Client) => "client",
        Ok(SpanKind::Producer) => "producer",
        Ok(SpanKind::Consumer) => "consumer",
        Ok(SpanKind::Internal) => "internal",
        _ => "unspecified",
    }
}

/// `service.name` of a resource, or "" when it has none.
pub fn service_name(resource: &Resource) -> &str {
    translators::otlp::attributes::get_str(&resource.attributes, "service.name").unwrap_or("")
}

/// What the spans of one `ScopeSpans` share: their resource and scope, pre-encoded once.
pub(crate) struct SpanContext<'a> {
    pub resource: &'a Resource,
    pub scope: &'a InstrumentationScope,
    pub resource_bytes: &'a [u8],
    pub scope_bytes: &'a [u8],
    pub resource_schema_url: &'a str,
    pub scope_schema_url: &'a str,
}

/// Builds the document of one span.
pub(crate) fn span_document(f: &SpanFields, ctx: &SpanContext<'_>, span: &Span) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    let trace_id = translators::ids::widen_trace_id(&span.trace_id).unwrap_or_default();
    doc.add_bytes(f.trace_id, &trace_id);
    doc.add_bytes(f.span_id, &span.span_id);
    if !span.parent_span_id.is_empty() && !translators::ids::is_zero(&span.parent_span_id) {
        doc.add_bytes(f.parent_span_id, &span.parent_span_id);
    }
    let service = service_name(ctx.resource);
    let kind = kind_name(span.kind);
    doc.add_text(f.service, service);
    doc.add_text(f.name, &span.name);
    doc.add_text(f.operation, format!("{service}{SEP}{kind}{SEP}{}", span.name));
    doc.add_text(f.kind, kind);
    doc.add_u64(f.start, span.start_time_unix_nano);
    doc.add_u64(f.duration, span.end_time_unix_nano.saturating_sub(span.start_time_unix_nano));

    // One scratch buffer for every `key=value` term: tantivy copies the text into the document.
    let mut scratch = String::with_capacity(128);
    let mut tag = |key: &str, value: &str| {
        write_pair(&mut scratch, key, value);
        doc.add_text(f.tags, &scratch);
    };
    let code = span.status.as_ref().map(|s| s.code).unwrap_or(0);
    let status = match StatusCode::try_from(code) {
        Ok(StatusCode::Ok) => "ok",
        Ok(StatusCode::Error) => "error",
        _ => "unset",
    };
    // `span.kind`, `error` and `otel.status_code` are answered from the kind and status fields (see
    // `Store::tag_query`): indexing them again as tags would cost three terms per span.
    if let Some(message) =
        span.status.as_ref().map(|s| s.message.as_str()).filter(|m| !m.is_empty())
    {
        tag("otel.status_description", message);
    }
    if !ctx.scope.name.is_empty() {
        tag("otel.scope.name", &ctx.scope.name);
    }
    if !ctx.scope.version.is_empty() {
        tag("otel.scope.version", &ctx.scope.version);
    }
    for kv in span.attributes.iter().chain(&ctx.resource.attributes) {
        write_attribute(&mut scratch, kv);
        doc.add_text(f.tags, &scratch);
    }
    doc.add_text(f.status, status);
    for event in &span.events {
        write_pair(&mut scratch, "event", &event.name);
        doc.add_text(f.event_tags, &scratch);
        for kv in &event.attributes {
            write_attribute(&mut scratch, kv);
            doc.add_text(f.event_tags, &scratch);
        }
    }
    if let Some(peer) = translators::otlp::attributes::get_str(&span.attributes, "peer.service") {
        doc.add_text(f.remote_service, format!("{service}{SEP}{peer}"));
    }
    for link in &span.links {
        if let Some(id) = translators::ids::widen_trace_id(&link.trace_id) {
            doc.add_bytes(f.link_trace_id, &id);
        }
    }
    doc.add_bytes(f.record, &record_bytes(ctx, span));
    doc
}

/// `key=value` into `out` (cleared first), the value cut to [`MAX_INDEXED_VALUE`].
fn write_pair(out: &mut String, key: &str, value: &str) {
    out.clear();
    out.push_str(key);
    out.push('=');
    out.push_str(truncate(value));
}

/// An attribute as its `key=value` term into `out`: strings as they are, numbers and bools written in
/// place, the rest in their tag spelling (JSON, base64).
fn write_attribute(out: &mut String, kv: &KeyValue) {
    use std::fmt::Write as _;
    match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => write_pair(out, &kv.key, s),
        Some(any_value::Value::IntValue(i)) => {
            out.clear();
            let _ = write!(out, "{}={i}", kv.key);
        }
        Some(any_value::Value::BoolValue(b)) => {
            write_pair(out, &kv.key, if *b { "true" } else { "false" })
        }
        other => write_pair(out, &kv.key, &to_tag_string(other)),
    }
}

fn indexed_pair(key: &str, value: &str) -> String {
    let mut s = String::with_capacity(key.len() + 1 + value.len().min(MAX_INDEXED_VALUE));
    write_pair(&mut s, key, value);
    s
}

/// `value` cut to [`MAX_INDEXED_VALUE`] bytes at a character boundary; queries cut theirs the same way.
pub(crate) fn truncate(value: &str) -> &str {
    if value.len() <= MAX_INDEXED_VALUE {
        return value;
    }
    let mut end = MAX_INDEXED_VALUE;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// The term a `key=value` tag filter looks up.
pub(crate) fn tag_term_text(key: &str, value: &str) -> String {
    indexed_pair(key, value)
}

/// `ResourceSpans { resource, scope_spans: [ScopeSpans { scope, spans: [span] }] }` as protobuf, written from
/// the pre-encoded resource and scope so that they are encoded once per batch, not once per span.
fn record_bytes(ctx: &SpanContext<'_>, span: &Span) -> Vec<u8> {
    one_item_record(
        ctx.resource_bytes,
        ctx.scope_bytes,
        span,
        ctx.resource_schema_url,
        ctx.scope_schema_url,
    )
}

/// `Resource{Spans,Logs} { resource, scope_*: [Scope* { scope, items: [item], schema_url }], schema_url }` as
/// protobuf: the traces and logs messages share these field numbers (resource = 1, scope list = 2,
/// schema_url = 3; scope = 1, item list = 2, schema_url = 3), so one writer stores a span or a log record
/// with its pre-encoded resource and scope.
pub(crate) fn one_item_record(
    resource: &[u8],
    scope: &[u8],
    item: &impl prost::Message,
    resource_url: &str,
    scope_url: &str,
) -> Vec<u8> {
    use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};
    let field_len = |len: usize| 1 + encoded_len_varint(len as u64) + len;
    let optional_len = |text: &str| if text.is_empty() { 0 } else { field_len(text.len()) };
    let item_len = item.encoded_len();
    let scope_list_len = field_len(scope.len()) + field_len(item_len) + optional_len(scope_url);
    let total = field_len(resource.len()) + field_len(scope_list_len) + optional_len(resource_url);
    let mut out = Vec::with_capacity(total);
    let bytes_field = |out: &mut Vec<u8>, tag: u32, bytes: &[u8]| {
        encode_key(tag, WireType::LengthDelimited, out);
        encode_varint(bytes.len() as u64, out);
        out.extend_from_slice(bytes);
    };
    bytes_field(&mut out, 1, resource);
    encode_key(2, WireType::LengthDelimited, &mut out);
    encode_varint(scope_list_len as u64, &mut out);
    bytes_field(&mut out, 1, scope);
    encode_key(2, WireType::LengthDelimited, &mut out);
    encode_varint(item_len as u64, &mut out);
    item.encode_raw(&mut out);
    if !scope_url.is_empty() {
        bytes_field(&mut out, 3, scope_url.as_bytes());
    }
    if !resource_url.is_empty() {
        bytes_field(&mut out, 3, resource_url.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;
    use translators::otlp::model::{ResourceSpans, ScopeSpans};

    #[test]
    fn the_record_decodes_to_the_span_with_its_resource_and_scope() {
        let resource = Resource {
            attributes: vec![translators::otlp::attributes::string("service.name", "svc")],
            dropped_attributes_count: 2,
        };
        let scope = InstrumentationScope {
            name: "lib".into(),
            version: "1.0".into(),
            ..Default::default()
        };
        let span = Span {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            name: "GET /".into(),
            start_time_unix_nano: 5,
            end_time_unix_nano: 9,
            ..Default::default()
        };
        let ctx = SpanContext {
            resource: &resource,
            scope: &scope,
            resource_bytes: &resource.encode_to_vec(),
            scope_bytes: &scope.encode_to_vec(),
            resource_schema_url: "https://opentelemetry.io/schemas/1.26.0",
            scope_schema_url: "s",
        };
        let decoded = ResourceSpans::decode(record_bytes(&ctx, &span).as_slice()).unwrap();
        assert_eq!(
            decoded,
            ResourceSpans {
                resource: Some(resource.clone()),
                scope_spans: vec![ScopeSpans {
                    scope: Some(scope.clone()),
                    spans: vec![span],
                    schema_url: "s".into()
                }],
                schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
            }
        );
    }

    #[test]
    fn long_values_are_cut_at_a_character_boundary() {
        let long = "é".repeat(MAX_INDEXED_VALUE);
        let cut = truncate(&long);
        assert!(cut.len() <= MAX_INDEXED_VALUE && cut.len() >= MAX_INDEXED_VALUE - 1);
        assert!(long.starts_with(cut));
    }
}
