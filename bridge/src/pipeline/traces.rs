//! What flows through a pipeline: a batch of spans, carried as OTLP protobuf bytes for as long as no
//! stage needs the spans themselves.
//!
//! Receivers hand over protobuf bytes (translated straight from the wire format, or the OTLP body
//! itself); the `otlp` exporters send those bytes unchanged. Only a stage that reads or changes spans
//! (the attributes processor, the Jaeger/Zipkin/file exporters) makes the owned model, once, through
//! `Deref`; a stage that changes it (`DerefMut`) drops the bytes, which are then written anew when
//! needed. Decoding and re-encoding every span cost about half the CPU of a Jaeger → OTLP bridge.

use bytes::Bytes;
use prost::Message as _;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;
use translators::otlp::model::ExportTraceServiceRequest;

/// A batch of spans.
#[derive(Default)]
pub struct Traces {
    /// The protobuf bytes, while they are current.
    proto: Option<Bytes>,
    /// Span count of `proto`.
    spans: usize,
    /// The owned model, made on first use.
    model: OnceLock<ExportTraceServiceRequest>,
}

impl Traces {
    /// Spans given as checked OTLP protobuf bytes holding `spans` spans (see
    /// `translators::to_otlp_proto`).
    pub fn from_proto(bytes: Bytes, spans: usize) -> Self {
        Traces { proto: Some(bytes), spans, model: OnceLock::new() }
    }

    /// The spans as OTLP protobuf `ExportTraceServiceRequest` bytes (the carried bytes, or the model
    /// written anew).
    pub fn to_proto(&self) -> Bytes {
        match &self.proto {
            Some(bytes) => bytes.clone(),
            None => Bytes::from(translators::otlp::wire::encode_request(self)),
        }
    }

    /// How many spans the batch holds.
    pub fn span_count(&self) -> usize {
        match &self.proto {
            Some(_) => self.spans,
            None => translators::otlp::span_count(self),
        }
    }

    /// Whether the batch is still carried as bytes only (no stage needed the model yet).
    pub fn is_bytes_only(&self) -> bool {
        self.proto.is_some() && self.model.get().is_none()
    }

    /// Whether the batch holds nothing at all (no bytes, or a model without resource spans).
    fn is_empty(&self) -> bool {
        match (&self.proto, self.model.get()) {
            (Some(bytes), _) => bytes.is_empty(),
            (None, Some(model)) => model.resource_spans.is_empty(),
            (None, None) => true,
        }
    }

    /// Appends `other`'s spans. Two batches carried as bytes are joined as bytes: concatenated
    /// `ExportTraceServiceRequest`s are one request holding both lists of resource spans.
    pub fn append(&mut self, other: Traces) {
        if self.is_empty() {
            *self = other;
            return;
        }
        if let (true, true) = (self.is_bytes_only(), other.is_bytes_only()) {
            let (Some(mine), Some(theirs)) = (&self.proto, &other.proto) else { unreachable!() };
            let mut joined = Vec::with_capacity(mine.len() + theirs.len());
            joined.extend_from_slice(mine);
            joined.extend_from_slice(theirs);
            self.spans += other.spans;
            self.proto = Some(Bytes::from(joined));
            return;
        }
        let theirs = other.into_model();
        self.resource_spans.extend(theirs.resource_spans);
    }

    /// The owned model (decoded from the bytes if no stage did yet).
    pub fn into_model(mut self) -> ExportTraceServiceRequest {
        let _ = self.model();
        self.model.take().unwrap_or_default()
    }

    fn model(&self) -> &ExportTraceServiceRequest {
        self.model.get_or_init(|| match &self.proto {
            // The bytes were checked when they entered the pipeline, so this cannot fail.
            Some(bytes) => ExportTraceServiceRequest::decode(&bytes[..]).unwrap_or_default(),
            None => ExportTraceServiceRequest::default(),
        })
    }
}

impl From<ExportTraceServiceRequest> for Traces {
    fn from(model: ExportTraceServiceRequest) -> Self {
        Traces { proto: None, spans: 0, model: OnceLock::from(model) }
    }
}

impl Deref for Traces {
    type Target = ExportTraceServiceRequest;
    fn deref(&self) -> &ExportTraceServiceRequest {
        self.model()
    }
}

impl DerefMut for Traces {
    fn deref_mut(&mut self) -> &mut ExportTraceServiceRequest {
        let _ = self.model();
        // The model is about to change: the bytes no longer describe it.
        self.proto = None;
        self.model.get_mut().expect("initialised above")
    }
}

impl Clone for Traces {
    fn clone(&self) -> Self {
        let model = OnceLock::new();
        if let Some(m) = self.model.get() {
            let _ = model.set(m.clone());
        }
        Traces { proto: self.proto.clone(), spans: self.spans, model }
    }
}

impl std::fmt::Debug for Traces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Traces")
            .field("proto_bytes", &self.proto.as_ref().map(Bytes::len))
            .field("spans", &self.span_count())
            .finish()
    }
}

impl PartialEq for Traces {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl PartialEq<ExportTraceServiceRequest> for Traces {
    fn eq(&self, other: &ExportTraceServiceRequest) -> bool {
        **self == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use translators::otlp::model::{ResourceSpans, ScopeSpans, Span};

    fn request(names: &[&str]) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: names
                        .iter()
                        .map(|n| Span {
                            name: n.to_string(),
                            trace_id: vec![1; 16],
                            span_id: vec![2; 8],
                            ..Span::default()
                        })
                        .collect(),
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        }
    }

    fn bytes(names: &[&str]) -> Traces {
        Traces::from_proto(Bytes::from(request(names).encode_to_vec()), names.len())
    }

    #[test]
    fn bytes_stay_bytes_until_a_stage_needs_the_model() {
        let mut a = bytes(&["a", "b"]);
        a.append(bytes(&["c"]));
        assert!(a.is_bytes_only());
        assert_eq!(a.span_count(), 3);
        let names: Vec<&str> = a
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans[0].spans)
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert!(!a.is_bytes_only(), "reading made the model");
        assert_eq!(
            a.to_proto().len(),
            request(&["a", "b"]).encode_to_vec().len() + request(&["c"]).encode_to_vec().len()
        );
    }

    #[test]
    fn changing_the_model_drops_the_bytes() {
        let mut a = bytes(&["a"]);
        a.resource_spans[0].scope_spans[0].spans[0].name = "renamed".into();
        let back = ExportTraceServiceRequest::decode(&a.to_proto()[..]).unwrap();
        assert_eq!(back.resource_spans[0].scope_spans[0].spans[0].name, "renamed");
        let mut m = Traces::from(request(&["x"]));
        m.append(bytes(&["y"]));
        assert_eq!(m.span_count(), 2);
        let mut empty = Traces::default();
        empty.append(bytes(&["z"]));
        assert!(empty.is_bytes_only());
    }
}
