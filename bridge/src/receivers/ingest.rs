//! The one path every receiver takes from decoded bytes into the pipeline: decode with the translators,
//! count, check the span limit, push, and say what was accepted and what was rejected.

use crate::error::ReceiveError;
use crate::pipeline::{span_count, Consumer, Traces};
use crate::telemetry::metrics::{ComponentMetrics, DropReason};
use bytes::Bytes;
use std::fmt::Write as _;
use std::sync::Arc;
use translators::{to_otlp_proto, DecodeError, Format, Rejection};

/// Most rejection reasons repeated in one answer; the rest are summarised by count.
const MAX_REASONS: usize = 20;

/// One receiver transport's way into the pipeline.
#[derive(Clone)]
pub struct Ingest {
    /// The pipelines of the receiver.
    pub consumer: Arc<dyn Consumer>,
    /// This transport's counters.
    pub metrics: Arc<ComponentMetrics>,
    /// Most spans accepted in one request.
    pub max_spans: usize,
}

/// What happened to one request's spans.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Spans the pipeline took.
    pub accepted: usize,
    /// Spans rejected one by one (bad id, negative duration...); the others went through.
    pub rejected: Vec<Rejection>,
}

impl Outcome {
    /// "rejected 2 of 10 spans: <item>: <reason>; ..." for the answer to the sender.
    pub fn rejection_message(&self) -> String {
        let total = self.accepted + self.rejected.len();
        let mut message = format!("rejected {} of {total} spans", self.rejected.len());
        for (i, rejection) in self.rejected.iter().enumerate() {
            if i == MAX_REASONS {
                let _ = write!(message, "; and {} more", self.rejected.len() - MAX_REASONS);
                break;
            }
            let _ = write!(message, "{} {rejection}", if i == 0 { ":" } else { ";" });
        }
        message
    }
}

/// Translates a body into a batch carried as OTLP protobuf bytes (the body itself, shared not copied,
/// when it is valid OTLP protobuf), with the spans rejected one by one.
pub fn translate(format: Format, body: &Bytes) -> Result<(Traces, Vec<Rejection>), DecodeError> {
    let out = to_otlp_proto(format, body)?;
    let bytes = match out.bytes {
        Some(bytes) => Bytes::from(bytes),
        None => body.clone(),
    };
    Ok((Traces::from_proto(bytes, out.spans), out.rejected))
}

impl Ingest {
    /// Decodes `body` as `format` and pushes the spans into the pipeline.
    pub async fn push(&self, format: Format, body: &Bytes) -> Result<Outcome, ReceiveError> {
        ComponentMetrics::add(&self.metrics.bytes_in, body.len() as u64);
        let (traces, rejected) = match translate(format, body) {
            Ok(translated) => translated,
            Err(error) => {
                ComponentMetrics::add(&self.metrics.errors, 1);
                return Err(ReceiveError::BadRequest(error.to_string()));
            }
        };
        self.push_decoded(traces, rejected).await
    }

    /// Takes one gRPC request message: checks the size as sent, then decodes and pushes it. tonic applies one
    /// limit (`max_decompressed_size`) to a message both as sent and decompressed, so the limit on what was
    /// sent (`max_body`) is checked here, for uncompressed messages.
    pub async fn push_grpc(
        &self,
        format: Format,
        request: tonic::Request<bytes::Bytes>,
        max_body: usize,
    ) -> Result<Outcome, tonic::Status> {
        let compressed = request
            .metadata()
            .get("grpc-encoding")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|encoding| encoding != "identity");
        let body = request.into_inner();
        if !compressed && body.len() > max_body {
            ComponentMetrics::add(&self.metrics.errors, 1);
            let error = ReceiveError::TooLarge(format!(
                "request body larger than the limit of {max_body} bytes (max_request_body_size)"
            ));
            return Err(error.to_status());
        }
        self.push(format, &body).await.map_err(|error| error.to_status())
    }

    /// Pushes already decoded spans (gRPC receivers decode in the codec), with those rejected while decoding.
    pub async fn push_decoded(
        &self,
        traces: Traces,
        rejected: Vec<Rejection>,
    ) -> Result<Outcome, ReceiveError> {
        let spans = span_count(&traces);
        ComponentMetrics::add(&self.metrics.received, (spans + rejected.len()) as u64);
        if !rejected.is_empty() {
            self.metrics.dropped(DropReason::Malformed, rejected.len() as u64);
        }
        if spans > self.max_spans {
            self.metrics.dropped(DropReason::TooLarge, spans as u64);
            return Err(ReceiveError::TooLarge(format!(
                "{spans} spans in one request; the limit is {} (max_spans_per_request)",
                self.max_spans
            )));
        }
        if spans > 0 {
            if let Err(error) = self.consumer.consume(traces).await {
                ComponentMetrics::add(&self.metrics.refused, spans as u64);
                return Err(error.into());
            }
            ComponentMetrics::add(&self.metrics.accepted, spans as u64);
        }
        Ok(Outcome { accepted: spans, rejected })
    }
}
