//! The log index's schema, and how one OTLP log record becomes one tantivy document.
//!
//! The body is indexed as words (lower-cased), so `otelbridge search logs 'timeout'` finds it; attributes and
//! resource attributes are JSON fields with dotted keys expanded, so `attributes.http.method:GET` works;
//! severity, service and ids are indexed whole. The record itself is stored as protobuf with its resource and
//! scope.

use std::collections::BTreeMap;
use tantivy::schema::{
    BytesOptions, Field, IndexRecordOption, JsonObjectOptions, NumericOptions, OwnedValue, Schema,
    TantivyDocument, TextFieldIndexing, TextOptions, FAST, STRING,
};
use translators::otlp::logs_model::{severity_short_name, LogRecord};
use translators::otlp::model::{any_value, AnyValue, InstrumentationScope, KeyValue, Resource};

/// The fields of the log index.
#[derive(Clone)]
pub(crate) struct LogFields {
    pub schema: Schema,
    /// The record's time (its time, else when it was observed), ns since the epoch; indexed and fast.
    pub time: Field,
    /// Severity number 1–24 (0 unset), indexed and fast.
    pub severity_number: Field,
    /// The severity text as sent and the short name of its number (`WARN`), raw.
    pub severity: Field,
    /// The body as words.
    pub body: Field,
    /// `service.name` of the resource, raw, fast.
    pub service: Field,
    /// Record attributes, dotted keys expanded, values indexed whole.
    pub attributes: Field,
    /// Resource attributes, the same way.
    pub resource: Field,
    /// Lower-case hex trace id, raw.
    pub trace_id: Field,
    /// Lower-case hex span id, raw.
    pub span_id: Field,
    /// Scope name, raw.
    pub scope: Field,
    /// The record as a protobuf `ResourceLogs` holding its resource, its scope and the record alone.
    pub record: Field,
}

impl LogFields {
    pub fn new() -> Self {
        let mut b = Schema::builder();
        let time = NumericOptions::default().set_indexed().set_fast();
        let words = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("default")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let json = JsonObjectOptions::default().set_expand_dots_enabled().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(IndexRecordOption::Basic),
        );
        LogFields {
            time: b.add_u64_field("time", time.clone()),
            severity_number: b.add_u64_field("severity_number", time),
            severity: b.add_text_field("severity", STRING),
            body: b.add_text_field("body", words),
            service: b.add_text_field("service", STRING | FAST),
            attributes: b.add_json_field("attributes", json.clone()),
            resource: b.add_json_field("resource", json),
            trace_id: b.add_text_field("trace_id", STRING),
            span_id: b.add_text_field("span_id", STRING),
            scope: b.add_text_field("scope", STRING),
            record: b.add_bytes_field("record", BytesOptions::default().set_stored()),
            schema: b.build(),
        }
    }
}

/// The time a record is filed under: its own time, or when it was observed when it has none.
pub(crate) fn record_time(record: &LogRecord) -> u64 {
    if record.time_unix_nano != 0 {
        record.time_unix_nano
    } else {
        record.observed_time_unix_nano
    }
}

/// Builds the document of one log record; `resource_bytes`/`scope_bytes` are the pre-encoded resource and
/// scope shared by the records of one `ScopeLogs`.
pub(crate) fn log_document(
    f: &LogFields,
    resource: &Resource,
    scope: &InstrumentationScope,
    resource_bytes: &[u8],
    scope_bytes: &[u8],
    record: &LogRecord,
) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_u64(f.time, record_time(record));
    doc.add_u64(f.severity_number, record.severity_number.max(0) as u64);
    if !record.severity_text.is_empty() {
        doc.add_text(f.severity, &record.severity_text);
    }
    let short = severity_short_name(record.severity_number);
    if !short.is_empty() && short != record.severity_text {
        doc.add_text(f.severity, short);
    }
    if let Some(body) = record.body.as_ref() {
        doc.add_text(f.body, body_text(body));
    }
    doc.add_text(f.service, super::schema::service_name(resource));
    if !record.attributes.is_empty() {
        doc.add_object(f.attributes, object(&record.attributes));
    }
    if !resource.attributes.is_empty() {
        doc.add_object(f.resource, object(&resource.attributes));
    }
    if !record.trace_id.is_empty() {
        doc.add_text(f.trace_id, translators::ids::to_hex(&record.trace_id));
    }
    if !record.span_id.is_empty() {
        doc.add_text(f.span_id, translators::ids::to_hex(&record.span_id));
    }
    if !scope.name.is_empty() {
        doc.add_text(f.scope, &scope.name);
    }
    // Schema URLs are not kept for log records (yet): `""` leaves them out.
    doc.add_bytes(
        f.record,
        &super::schema::one_item_record(resource_bytes, scope_bytes, record, "", ""),
    );
    doc
}

/// The body as searchable text: strings as they are, structured bodies as JSON.
fn body_text(body: &AnyValue) -> String {
    match body.value.as_ref() {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        other => translators::otlp::attributes::to_tag_string(other),
    }
}

fn object(attributes: &[KeyValue]) -> BTreeMap<String, OwnedValue> {
    attributes
        .iter()
        .map(|kv| (kv.key.clone(), owned(kv.value.as_ref().and_then(|v| v.value.as_ref()))))
        .collect()
}

fn owned(value: Option<&any_value::Value>) -> OwnedValue {
    match value {
        None => OwnedValue::Null,
        Some(any_value::Value::StringValue(s)) => {
            OwnedValue::Str(super::schema::truncate(s).to_owned())
        }
        Some(any_value::Value::BoolValue(b)) => OwnedValue::Bool(*b),
        Some(any_value::Value::IntValue(i)) => OwnedValue::I64(*i),
        Some(any_value::Value::DoubleValue(d)) => OwnedValue::F64(*d),
        Some(any_value::Value::ArrayValue(a)) => {
            OwnedValue::Array(a.values.iter().map(|v| owned(v.value.as_ref())).collect())
        }
        Some(any_value::Value::KvlistValue(kv)) => OwnedValue::Object(
            kv.values
                .iter()
                .map(|kv| (kv.key.clone(), owned(kv.value.as_ref().and_then(|v| v.value.as_ref()))))
                .collect(),
        ),
        // Bytes are not searchable; the stored record keeps them.
        Some(any_value::Value::BytesValue(_)) => OwnedValue::Null,
    }
}
