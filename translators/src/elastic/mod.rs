//! Elasticsearch, ECS and Logstash log documents ⇄ OTLP logs.
//!
//! - [`bulk`]: `_bulk` NDJSON bodies (action line + document) to OTLP with one [`bulk::BulkItem`] per
//!   action, in order, and OTLP back to a bulk body of `create` actions.
//! - [`lines`]: ECS NDJSON and Logstash `json_lines` (one event a line) to OTLP and back.
//! - [`ecs`]: the per-document mapping both use (docs/mappings/logs.md lists every rule).
//!
//! A bad document or action fails alone with an [`ElasticError`] carrying its line; the rest go through.

pub mod bulk;
pub mod ecs;
pub mod json_value;
pub mod lines;
pub mod records;
pub mod timestamp;

pub use bulk::{bulk_to_otlp, otlp_to_bulk, BulkAction, BulkDecoded, BulkItem};
pub use ecs::{
    Dialect, DOCUMENT_ATTRIBUTE, DOTTED_KEYS_ATTRIBUTE, HOST_STRING_ATTRIBUTE, ID_ATTRIBUTE,
    INDEX_ATTRIBUTE,
};
pub use lines::{
    ecs_json_to_otlp, logstash_json_to_otlp, otlp_to_ecs_json, otlp_to_logstash_json, LinesDecoded,
};

/// Why one action or document was not taken. Every variant is a permanent rejection (HTTP 400 per item).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElasticError {
    /// The line is not valid JSON.
    #[error("line {line}, column {column}: invalid JSON: {reason}")]
    InvalidJson {
        /// 1-based line in the input.
        line: usize,
        /// 1-based column within that line.
        column: usize,
        /// The parser's message.
        reason: String,
    },
    /// The line is JSON but not an object.
    #[error("line {line}: expected a JSON object, found {found}")]
    NotAnObject {
        /// 1-based line.
        line: usize,
        /// What was found instead (`array`, `string`...).
        found: &'static str,
    },
    /// The action line is not `{"<action>": {...}}`.
    #[error("line {line}: malformed action: {reason}")]
    MalformedAction {
        /// 1-based line of the action.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A known bulk action this bridge does not carry (`delete`, `update`): logs are append-only.
    #[error("line {line}: action {action:?} is not supported (only index and create)")]
    UnsupportedAction {
        /// 1-based line of the action.
        line: usize,
        /// The action's name.
        action: String,
    },
    /// The input ended after an action line.
    #[error("line {line}: action has no document line")]
    MissingDocument {
        /// 1-based line of the action.
        line: usize,
    },
    /// Neither the action nor the request path named an index.
    #[error("line {line}: no index: set _index in the action or post to /<index>/_bulk")]
    NoIndex {
        /// 1-based line of the action.
        line: usize,
    },
}

impl ElasticError {
    /// The 1-based input line the error is about.
    pub fn line(&self) -> usize {
        match self {
            ElasticError::InvalidJson { line, .. }
            | ElasticError::NotAnObject { line, .. }
            | ElasticError::MalformedAction { line, .. }
            | ElasticError::UnsupportedAction { line, .. }
            | ElasticError::MissingDocument { line }
            | ElasticError::NoIndex { line } => *line,
        }
    }

    /// The Elasticsearch error `type` a bulk answer gives for it.
    pub fn es_type(&self) -> &'static str {
        match self {
            ElasticError::InvalidJson { .. } | ElasticError::NotAnObject { .. } => {
                "document_parsing_exception"
            }
            ElasticError::MalformedAction { .. } | ElasticError::UnsupportedAction { .. } => {
                "illegal_argument_exception"
            }
            ElasticError::MissingDocument { .. } => "action_request_validation_exception",
            ElasticError::NoIndex { .. } => "action_request_validation_exception",
        }
    }
}

/// Splits NDJSON into (1-based line number, line) pairs, without the `\r` of CRLF, skipping blank lines.
pub(crate) fn ndjson_lines(input: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    input.split(|&b| b == b'\n').enumerate().filter_map(|(i, line)| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some((i + 1, line))
        }
    })
}

/// Parses one line as a JSON object, with the line's number in the error.
pub(crate) fn parse_object(
    line_number: usize,
    line: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, ElasticError> {
    let value: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| ElasticError::InvalidJson {
            line: line_number,
            column: e.column().max(1),
            reason: e.to_string(),
        })?;
    match value {
        serde_json::Value::Object(map) => Ok(map),
        other => Err(ElasticError::NotAnObject {
            line: line_number,
            found: match other {
                serde_json::Value::Null => "null",
                serde_json::Value::Bool(_) => "a boolean",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Array(_) => "an array",
                serde_json::Value::Object(_) => "an object",
            },
        }),
    }
}
