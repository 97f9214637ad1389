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

/// Writes spans as a `ListOfSpans`. 64-bit trace ids given as 16 bytes with a zero high half
/// are written as 8 bytes, as Zipkin normalises them.
pub fn encode(mut spans: Vec<model::Span>) -> Vec<u8> {
    for s in &mut spans {
        if s.trace_id.len() == 16 && crate::ids::is_zero(&s.trace_id[..8]) {
            s.trace_id.drain(..8);
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
    fn round_trips_and_normalises_64_bit_trace_ids() {
        let bytes = encode(vec![span()]);
        let back = decode(&bytes).unwrap();
        let mut want = span();
        want.trace_id = vec![1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(back, vec![want]);
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
