//! Zipkin v2 proto3 (`zipkin.proto`, `ListOfSpans`, `application/x-protobuf`) ⇄
//! [`model::Span`]s.
//!
//! The model *is* the proto3 schema, so this is prost decode/encode; id lengths and other
//! per-span checks happen in the mapping ([`super::to_otlp`]), which rejects bad spans one by
//! one as `spans[i]`.

use super::model::{self, ListOfSpans};
use crate::{DecodeError, Format, Location};
use prost::Message;

/// Reads a `ListOfSpans`. prost checks every length prefix against the bytes left before it
/// allocates, so a hostile prefix cannot make a small input allocate much.
pub fn decode(input: &[u8]) -> Result<Vec<model::Span>, DecodeError> {
    ListOfSpans::decode(input)
        .map(|l| l.spans)
        .map_err(|e| DecodeError::new(Format::ZipkinProto, Location::Input, e.to_string()))
}

/// Writes spans as a `ListOfSpans`. Trace ids are always written as 16 bytes, a 64-bit one with a
/// zero high half: zipkin.proto allows 8 or 16, the Zipkin server reads both (and reports the
/// 64-bit id as 16 hex), but zipkin-go's proto reader — the one the OpenTelemetry Collector's
/// Zipkin receiver uses — refuses 8 and with it the whole request.
pub fn encode(mut spans: Vec<model::Span>) -> Vec<u8> {
    for s in &mut spans {
        if s.trace_id.len() == 8 {
            let mut wide = vec![0u8; 8];
            wide.extend_from_slice(&s.trace_id);
            s.trace_id = wide;
        }
    }
    ListOfSpans { spans }.encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Annotation, Endpoint, Kind, Tag};

    fn span() -> model::Span {
        model::Span {
            trace_id: vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8],
            parent_id: vec![9; 8],
            id: vec![7; 8],
            kind: Kind::Producer as i32,
            name: "send".into(),
            timestamp: 1_541_405_397_200_023,
            duration: 26,
            local_endpoint: Some(Endpoint {
                service_name: "servicea".into(),
                ipv4: vec![10, 0, 0, 1],
                ipv6: vec![],
                port: 80,
            }),
            remote_endpoint: Some(Endpoint { service_name: "kafka".into(), ..Default::default() }),
            annotations: vec![Annotation { timestamp: 1_541_405_397_200_030, value: "ws".into() }],
            tags: vec![Tag { key: "kafka.topic".into(), value: "messages".into() }],
            debug: true,
            shared: true,
        }
    }

    #[test]
    fn round_trips_and_writes_64_bit_trace_ids_as_16_bytes() {
        let bytes = encode(vec![span()]);
        assert_eq!(decode(&bytes).unwrap(), vec![span()]);
        let mut short = span();
        short.trace_id = vec![1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(decode(&encode(vec![short])).unwrap(), vec![span()]);
    }

    #[test]
    fn tags_are_the_proto_map_on_the_wire() {
        // ListOfSpans{spans:[{tags:{"k":"v"}}]}: field 1 (span) → field 11 (map entry) →
        // key = 1, value = 2, exactly as protoc writes a map<string,string>.
        let bytes = [0x0a, 0x08, 0x5a, 0x06, 0x0a, 0x01, b'k', 0x12, 0x01, b'v'];
        let spans = decode(&bytes).unwrap();
        assert_eq!(spans[0].tags, vec![Tag { key: "k".into(), value: "v".into() }]);
    }

    #[test]
    fn broken_input_is_a_decode_error() {
        let err = decode(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]).unwrap_err();
        assert_eq!(err.format, Format::ZipkinProto);
        assert!(decode(&[]).unwrap().is_empty());
    }
}
