//! OTLP/JSON: the OTLP specification's "JSON Protobuf Encoding" of `ExportTraceServiceRequest`
//! (opentelemetry-proto `docs/specification.md`), read and written without an intermediate
//! JSON tree.
//!
//! Written: lowerCamelCase keys; trace and span ids as lower-case hex; enums as integers;
//! 64-bit integers as decimal strings; `bytesValue` as padded standard base64; doubles as
//! numbers or `"NaN"`/`"Infinity"`/`"-Infinity"`; fields holding their default value left out
//! (a set oneof member and a present sub-message are written even when empty).
//!
//! Read: all of the above, plus 64-bit integers as numbers, 32-bit ones as strings, integral
//! doubles such as `1e3` for integers, enum names (`"SPAN_KIND_SERVER"`), upper-case hex,
//! URL-safe or unpadded base64, and `null` for any field (its default). Unknown keys are
//! skipped, as the spec requires; the original snake_case proto names are not valid OTLP/JSON
//! keys (spec) and so are skipped too. Input is one request object or a stream of them
//! (NDJSON), optionally after a UTF-8 byte-order mark (as the OTel file format writes).
//!
//! A span with a missing or malformed id, or any field of the wrong type, is rejected alone
//! with its JSON path; outside spans such problems are a [`DecodeError`].

mod decode;
mod encode;
pub(crate) mod writer;

pub(crate) use decode::decode_base64;

use super::model::ExportTraceServiceRequest;
use crate::{DecodeError, Decoded, Encoded, Format, Location};
use decode::Ctx;
use serde::de::IgnoredAny;

/// Decodes one OTLP/JSON `ExportTraceServiceRequest` object, or a stream (NDJSON) of them:
/// one request per object in [`Decoded::requests`].
///
/// Rejected spans are in [`Decoded::rejected`], named by JSON path (prefixed `line N: ` for
/// NDJSON input); `Err` when the JSON itself is broken (line and column) or something outside
/// a span has the wrong shape (JSON path).
pub fn json_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::new(
            Format::OtlpJson,
            Location::Input,
            "empty input: expected an ExportTraceServiceRequest JSON object",
        ));
    }
    // The common case first: the whole input is one request (possibly spread over lines).
    let mut de = serde_json::Deserializer::from_slice(input);
    let mut ctx = Ctx::new(String::new());
    match decode::read_request(&mut de, &mut ctx) {
        Ok(request) if de.end().is_ok() => {
            Ok(Decoded { requests: vec![request], rejected: ctx.rejected })
        }
        // More follows the first value: a stream of requests.
        Ok(_) => decode_stream(input),
        Err(e) => Err(to_error(&e, &ctx)),
    }
}

/// Decodes a stream of request objects, each named by the line it starts on.
fn decode_stream(input: &[u8]) -> Result<Decoded, DecodeError> {
    let mut out = Decoded::default();
    // A cheap first pass finds where each value ends (and any syntax error, with its real
    // line and column); each value is then read on its own.
    let mut values = serde_json::Deserializer::from_slice(input).into_iter::<IgnoredAny>();
    let (mut start, mut line, mut counted_to) = (0usize, 1usize, 0usize);
    while let Some(next) = values.next() {
        if let Err(e) = next {
            return Err(to_error(&e, &Ctx::default()));
        }
        let end = values.byte_offset();
        let first =
            start + input[start..end].iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
        line += input[counted_to..first].iter().filter(|&&b| b == b'\n').count();
        counted_to = first;
        let mut ctx = Ctx::new(format!("line {line}: "));
        let mut de = serde_json::Deserializer::from_slice(&input[first..end]);
        let request = decode::read_request(&mut de, &mut ctx).map_err(|e| to_error(&e, &ctx))?;
        out.requests.push(request);
        out.rejected.append(&mut ctx.rejected);
        start = end;
    }
    Ok(out)
}

/// A serde_json error as a [`DecodeError`]: broken JSON by line and column, a value of the
/// wrong shape by JSON path.
fn to_error(e: &serde_json::Error, ctx: &Ctx) -> DecodeError {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let reason = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
    let location = match e.classify() {
        serde_json::error::Category::Data => Location::JsonPath(ctx.path_string()),
        _ => Location::LineColumn { line: e.line(), column: e.column() },
    };
    DecodeError::new(Format::OtlpJson, location, reason)
}

/// Encodes one request as a single line of OTLP/JSON followed by `\n` (so that several
/// requests written one after another form NDJSON).
pub fn otlp_to_json(request: &ExportTraceServiceRequest) -> Encoded {
    let mut bytes = Vec::with_capacity(256 + super::span_count(request) * 512);
    encode::request(&mut bytes, request);
    bytes.push(b'\n');
    Encoded { bytes, rejected: Vec::new() }
}

#[cfg(test)]
mod tests;
