//! ECS NDJSON and Logstash `json_lines` (one JSON event a line) ⇄ OTLP logs.

use super::ecs::{document_to_record, record_to_document, Dialect};
use super::records::{records, RequestBuilder};
use super::{ndjson_lines, parse_object, ElasticError};
use crate::otlp::logs_model::ExportLogsServiceRequest;

/// Events read from NDJSON: the ones taken, and the lines rejected one by one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinesDecoded {
    /// The events taken, in input order.
    pub request: ExportLogsServiceRequest,
    /// The lines that could not be read; the others are in `request`.
    pub errors: Vec<ElasticError>,
}

fn lines_to_otlp(input: &[u8], dialect: Dialect) -> LinesDecoded {
    let mut builder = RequestBuilder::default();
    let mut errors = Vec::new();
    for (line, text) in ndjson_lines(input) {
        match parse_object(line, text) {
            Ok(document) => builder.push(document_to_record(
                &document,
                &String::from_utf8_lossy(text),
                dialect,
                &[],
            )),
            Err(error) => errors.push(error),
        }
    }
    LinesDecoded { request: builder.finish(), errors }
}

fn otlp_to_lines(request: &ExportLogsServiceRequest, dialect: Dialect) -> Vec<u8> {
    let mut out = Vec::new();
    for (resource, scope, record) in records(request) {
        let document = record_to_document(resource, scope, record, dialect);
        serde_json::to_writer(&mut out, &document).expect("writing JSON to memory cannot fail");
        out.push(b'\n');
    }
    out
}

/// Reads ECS documents, one a line.
pub fn ecs_json_to_otlp(input: &[u8]) -> LinesDecoded {
    lines_to_otlp(input, Dialect::Ecs)
}

/// Writes every record as an ECS document, one a line.
pub fn otlp_to_ecs_json(request: &ExportLogsServiceRequest) -> Vec<u8> {
    otlp_to_lines(request, Dialect::Ecs)
}

/// Reads Logstash events as the `json_lines` codec writes them.
pub fn logstash_json_to_otlp(input: &[u8]) -> LinesDecoded {
    lines_to_otlp(input, Dialect::Logstash)
}

/// Writes every record as a Logstash event (`json_lines`).
pub fn otlp_to_logstash_json(request: &ExportLogsServiceRequest) -> Vec<u8> {
    otlp_to_lines(request, Dialect::Logstash)
}
