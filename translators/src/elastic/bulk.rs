//! Elasticsearch `_bulk` bodies ⇄ OTLP logs.
//!
//! In: NDJSON pairs of action line and document. `index` and `create` are carried (their `_index`, `_id`
//! and `pipeline` are read, other keys such as `dynamic_templates` or `_type` tolerated); `delete` and
//! `update` are answered per item as unsupported. There is exactly one [`BulkItem`] per action, in order,
//! for the receiver's per-item answers. A malformed action line is taken to be followed by its document
//! (the pair is skipped together), so one bad line never shifts the pairing of the lines after it.
//!
//! Out: one `create` action per record (data streams accept only `create`), into the record's
//! [`INDEX_ATTRIBUTE`] when it has one, else the index or data stream given, with its [`ID_ATTRIBUTE`].

use super::ecs::{document_to_record, record_to_document, Dialect, ID_ATTRIBUTE, INDEX_ATTRIBUTE};
use super::records::{records, RequestBuilder};
use super::{ndjson_lines, parse_object, ElasticError};
use crate::otlp::logs_model::ExportLogsServiceRequest;
use crate::otlp::model::any_value::Value as V;
use serde_json::{Map, Value};

/// A bulk action's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    /// `index`: add or replace.
    Index,
    /// `create`: add (the only action data streams accept).
    Create,
    /// `delete` (not supported here).
    Delete,
    /// `update` (not supported here).
    Update,
    /// Any other name, or an action line that could not be read (its name, or "" when none).
    Other(String),
}

impl BulkAction {
    /// The name the action line used, which is also the key of its item in the bulk answer
    /// (`index` for an unreadable action line, as Elasticsearch has no better one).
    pub fn name(&self) -> &str {
        match self {
            BulkAction::Index => "index",
            BulkAction::Create => "create",
            BulkAction::Delete => "delete",
            BulkAction::Update => "update",
            BulkAction::Other(name) if !name.is_empty() => name,
            BulkAction::Other(_) => "index",
        }
    }
}

/// One action of a bulk body and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkItem {
    /// 1-based line of the action line.
    pub line: usize,
    /// The action.
    pub action: BulkAction,
    /// The target index or data stream (the action's `_index`, else the path's), when known.
    pub index: Option<String>,
    /// The action's `_id`, when given.
    pub id: Option<String>,
    /// The action's `pipeline`, when given.
    pub pipeline: Option<String>,
    /// `Ok(())` when the document is in the request, else why not.
    pub result: Result<(), ElasticError>,
}

/// A bulk body read into OTLP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkDecoded {
    /// The documents taken, in input order.
    pub request: ExportLogsServiceRequest,
    /// One item per action, in input order.
    pub items: Vec<BulkItem>,
}

impl BulkDecoded {
    /// Whether any item failed (the bulk answer's `errors`).
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|item| item.result.is_err())
    }
}

fn string_field(meta: &Map<String, Value>, key: &str) -> Option<String> {
    match meta.get(key)? {
        Value::String(s) => Some(s.clone()),
        // Clients send numeric ids unquoted.
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a `_bulk` body. `default_index` is the `<index>` of a `/<index>/_bulk` path.
/// Never fails as a whole: each action's fate is in [`BulkDecoded::items`].
pub fn bulk_to_otlp(body: &[u8], default_index: Option<&str>) -> BulkDecoded {
    let mut builder = RequestBuilder::default();
    let mut items = Vec::new();
    let mut lines = ndjson_lines(body);
    while let Some((line, action_line)) = lines.next() {
        let mut item = BulkItem {
            line,
            action: BulkAction::Other(String::new()),
            index: default_index.map(str::to_string),
            id: None,
            pipeline: None,
            result: Ok(()),
        };
        let action = match parse_object(line, action_line) {
            Ok(action) => action,
            Err(error) => {
                item.result = Err(match error {
                    ElasticError::NotAnObject { found, .. } => ElasticError::MalformedAction {
                        line,
                        reason: format!("expected an object, found {found}"),
                    },
                    other => other,
                });
                lines.next();
                items.push(item);
                continue;
            }
        };
        let mut entries = action.into_iter();
        let (name, meta) = match (entries.next(), entries.next()) {
            (Some((name, Value::Object(meta))), None) => (name, meta),
            (Some((name, _)), None) => {
                item.action = BulkAction::Other(name.clone());
                item.result = Err(ElasticError::MalformedAction {
                    line,
                    reason: format!("{name:?} must hold an object"),
                });
                lines.next();
                items.push(item);
                continue;
            }
            _ => {
                item.result = Err(ElasticError::MalformedAction {
                    line,
                    reason: "expected exactly one action name".into(),
                });
                lines.next();
                items.push(item);
                continue;
            }
        };
        if let Some(index) = string_field(&meta, "_index") {
            item.index = Some(index);
        }
        item.id = string_field(&meta, "_id");
        item.pipeline = string_field(&meta, "pipeline");
        item.action = match name.as_str() {
            "index" => BulkAction::Index,
            "create" => BulkAction::Create,
            "delete" => BulkAction::Delete,
            "update" => BulkAction::Update,
            _ => BulkAction::Other(name.clone()),
        };
        match item.action {
            BulkAction::Index | BulkAction::Create => {}
            BulkAction::Delete => {
                item.result = Err(ElasticError::UnsupportedAction { line, action: name });
                items.push(item);
                continue;
            }
            BulkAction::Update => {
                // An update carries a body line; it is skipped with its action.
                lines.next();
                item.result = Err(ElasticError::UnsupportedAction { line, action: name });
                items.push(item);
                continue;
            }
            BulkAction::Other(_) => {
                lines.next();
                item.result = Err(ElasticError::MalformedAction {
                    line,
                    reason: format!("unknown action {name:?}"),
                });
                items.push(item);
                continue;
            }
        }
        let Some((document_line, document_text)) = lines.next() else {
            item.result = Err(ElasticError::MissingDocument { line });
            items.push(item);
            continue;
        };
        let Some(index) = item.index.clone() else {
            item.result = Err(ElasticError::NoIndex { line });
            items.push(item);
            continue;
        };
        match parse_object(document_line, document_text) {
            Ok(document) => {
                let text = String::from_utf8_lossy(document_text);
                let mut extra = vec![(INDEX_ATTRIBUTE, index.as_str())];
                if let Some(id) = &item.id {
                    extra.push((ID_ATTRIBUTE, id.as_str()));
                }
                builder.push(document_to_record(&document, &text, Dialect::Ecs, &extra));
            }
            Err(error) => item.result = Err(error),
        }
        items.push(item);
    }
    BulkDecoded { request: builder.finish(), items }
}

/// Writes every record as a `create` action and its ECS document. The record's [`INDEX_ATTRIBUTE`] wins
/// over `index` (so documents go back where they were sent); its [`ID_ATTRIBUTE`] becomes `_id`.
pub fn otlp_to_bulk(request: &ExportLogsServiceRequest, index: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (resource, scope, record) in records(request) {
        let text_attribute = |key: &str| {
            record.attributes.iter().find(|kv| kv.key == key).and_then(|kv| {
                match kv.value.as_ref()?.value.as_ref()? {
                    V::StringValue(s) => Some(s.as_str()),
                    _ => None,
                }
            })
        };
        let mut meta = Map::new();
        meta.insert(
            "_index".into(),
            Value::String(text_attribute(INDEX_ATTRIBUTE).unwrap_or(index).to_string()),
        );
        if let Some(id) = text_attribute(ID_ATTRIBUTE) {
            meta.insert("_id".into(), Value::String(id.to_string()));
        }
        let mut action = Map::new();
        action.insert("create".into(), Value::Object(meta));
        serde_json::to_writer(&mut out, &action).expect("writing JSON to memory cannot fail");
        out.push(b'\n');
        let document = record_to_document(resource, scope, record, Dialect::Ecs);
        serde_json::to_writer(&mut out, &document).expect("writing JSON to memory cannot fail");
        out.push(b'\n');
    }
    out
}

/// The data stream name `logs-<dataset>-<namespace>` of the Elastic data stream naming scheme.
pub fn data_stream_name(dataset: &str, namespace: &str) -> String {
    format!("logs-{dataset}-{namespace}")
}
