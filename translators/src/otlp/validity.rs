//! The id checks every OTLP reader and writer applies to a span, with one wording, so that a span is
//! rejected with the same item and reason whichever route it takes.

use crate::ids;

/// Why a span's own ids make it invalid: a trace id that is not 16 non-zero bytes, a span id that is
/// not 8 non-zero bytes, or a parent span id that is neither empty nor 8 bytes.
pub(crate) fn check_span_ids(
    trace_id: &[u8],
    span_id: &[u8],
    parent_span_id: &[u8],
) -> Result<(), String> {
    if trace_id.len() != 16 {
        return Err(format!("trace id has {} bytes, expected 16", trace_id.len()));
    }
    if ids::is_zero(trace_id) {
        return Err("trace id is zero".into());
    }
    if span_id.len() != 8 {
        return Err(format!("span id has {} bytes, expected 8", span_id.len()));
    }
    if ids::is_zero(span_id) {
        return Err("span id is zero".into());
    }
    if !parent_span_id.is_empty() && parent_span_id.len() != 8 {
        return Err(format!(
            "parent span id has {} bytes, expected 8 or none",
            parent_span_id.len()
        ));
    }
    Ok(())
}

/// The item naming a rejected span of an OTLP request: its path, and its id when it is a well-formed one.
pub(crate) fn span_item(i: usize, j: usize, k: usize, span_id: &[u8]) -> String {
    let mut item = format!("resourceSpans[{i}].scopeSpans[{j}].spans[{k}]");
    if span_id.len() == 8 {
        item.push_str(&format!(" (span id {})", ids::to_hex(span_id)));
    }
    item
}
