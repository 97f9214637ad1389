//! OTLP protobuf: the body of OTLP/HTTP `POST /v1/traces` and of the gRPC `Export` call.

use super::model::{ExportTraceServiceRequest, Span};
use super::validity::{check_span_ids, span_item};
use crate::{DecodeError, Decoded, Encoded, Format, Location, Rejection};
use prost::Message;

/// Decodes one protobuf `ExportTraceServiceRequest`. Spans with invalid ids (a trace id that is not 16
/// non-zero bytes, a span id that is not 8 non-zero bytes, a parent id that is neither empty nor 8 bytes)
/// are rejected one by one, with the item and reason the encoders give them; the others are kept.
pub fn proto_to_otlp(input: &[u8]) -> Result<Decoded, DecodeError> {
    let mut request = ExportTraceServiceRequest::decode(input)
        .map_err(|e| DecodeError::new(Format::OtlpProto, Location::Input, e.to_string()))?;
    let mut rejected = Vec::new();
    for (i, resource) in request.resource_spans.iter_mut().enumerate() {
        for (j, scope) in resource.scope_spans.iter_mut().enumerate() {
            if scope.spans.iter().all(|span| problem(span).is_ok()) {
                continue;
            }
            let mut k = 0;
            scope.spans.retain(|span| {
                let result = problem(span);
                if let Err(reason) = &result {
                    rejected
                        .push(Rejection::new(span_item(i, j, k, &span.span_id), reason.clone()));
                }
                k += 1;
                result.is_ok()
            });
        }
    }
    Ok(Decoded { requests: vec![request], rejected })
}

fn problem(span: &Span) -> Result<(), String> {
    check_span_ids(&span.trace_id, &span.span_id, &span.parent_span_id)
}

/// Encodes one protobuf `ExportTraceServiceRequest`: prost's bytes, written by
/// [`super::wire::encode_request`], which computes each nested length once.
pub fn otlp_to_proto(request: &ExportTraceServiceRequest) -> Encoded {
    Encoded { bytes: super::wire::encode_request(request), rejected: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::model::{ResourceSpans, ScopeSpans};

    fn span(trace: Vec<u8>, id: Vec<u8>, name: &str) -> Span {
        Span { trace_id: trace, span_id: id, name: name.into(), ..Span::default() }
    }

    #[test]
    fn spans_with_invalid_ids_are_rejected_one_by_one() {
        let good = span(vec![1; 16], vec![2; 8], "good");
        let mut bad_parent = span(vec![1; 16], vec![3; 8], "bad-parent");
        bad_parent.parent_span_id = vec![4; 4];
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![
                        span(vec![0; 16], vec![9; 8], "zero-trace"),
                        good.clone(),
                        span(vec![1; 8], vec![9; 8], "short-trace"),
                        span(vec![1; 16], vec![0; 8], "zero-span"),
                        bad_parent,
                    ],
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        };
        let decoded = proto_to_otlp(&request.encode_to_vec()).unwrap();
        let kept = &decoded.requests[0].resource_spans[0].scope_spans[0].spans;
        assert_eq!(kept, &vec![good]);
        let reasons: Vec<String> = decoded.rejected.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            reasons,
            vec![
                "resourceSpans[0].scopeSpans[0].spans[0] (span id 0909090909090909): trace id is zero",
                "resourceSpans[0].scopeSpans[0].spans[2] (span id 0909090909090909): trace id has 8 bytes, expected 16",
                "resourceSpans[0].scopeSpans[0].spans[3] (span id 0000000000000000): span id is zero",
                "resourceSpans[0].scopeSpans[0].spans[4] (span id 0303030303030303): parent span id has 4 bytes, expected 8 or none",
            ]
        );
    }
}
