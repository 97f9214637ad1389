//! Zipkin's v1 span model (zipkin-api `thrift/zipkinCore.thrift`), as plain Rust structs.
//!
//! Both v1 codecs (JSON and Thrift) read into and write from these types; [`super::v1_convert`]
//! turns them into the v2 model ([`super::model`]) and back, the way Zipkin's own
//! `V1SpanConverter` / `V2SpanConverter` do. Nothing here leaves this module tree: the rest of
//! the crate only sees v2 spans.

use std::net::{Ipv4Addr, Ipv6Addr};

/// A v1 span: one RPC may be recorded by both its client and its server in the same span.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Span {
    /// High 64 bits of a 128-bit trace id; 0 for a 64-bit trace id.
    pub trace_id_high: u64,
    /// Low 64 bits of the trace id (never 0 in a valid span).
    pub trace_id: u64,
    /// Operation name.
    pub name: String,
    /// Span id (never 0 in a valid span).
    pub id: u64,
    /// Parent span id; `None` for a root span.
    pub parent_id: Option<u64>,
    /// Timed events, including the core ones (`cs`, `sr`, `ss`, `cr`, `ms`, `mr`, `ws`, `wr`).
    pub annotations: Vec<Annotation>,
    /// Typed key/values, including the address markers `ca`, `sa`, `ma` and `lc`.
    pub binary_annotations: Vec<BinaryAnnotation>,
    /// Store even if unsampled.
    pub debug: bool,
    /// Start, µs since the Unix epoch, when the reporter set it.
    pub timestamp: Option<u64>,
    /// Duration in µs, when the reporter set it.
    pub duration: Option<u64>,
}

/// A timed event recorded by `endpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// µs since the Unix epoch.
    pub timestamp: u64,
    /// Usually a short code such as `sr`.
    pub value: String,
    /// The host that recorded the event.
    pub endpoint: Option<Endpoint>,
}

/// A typed key/value recorded by `endpoint` (or, for `ca`/`sa`/`ma`, naming that address).
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryAnnotation {
    /// Key, e.g. `http.path`.
    pub key: String,
    /// The value with its `AnnotationType`.
    pub value: AnnotationValue,
    /// The host that recorded the value; for `ca`/`sa`/`ma`, the address itself.
    pub endpoint: Option<Endpoint>,
}

/// A binary annotation value, one variant per zipkinCore `AnnotationType`.
#[derive(Debug, Clone, PartialEq)]
pub enum AnnotationValue {
    /// `BOOL` (0): one byte, 1 = true.
    Bool(bool),
    /// `BYTES` (1): opaque bytes.
    Bytes(Vec<u8>),
    /// `I16` (2): big-endian, signed.
    I16(i16),
    /// `I32` (3): big-endian, signed.
    I32(i32),
    /// `I64` (4): big-endian, signed.
    I64(i64),
    /// `DOUBLE` (5): big-endian IEEE 754.
    Double(f64),
    /// `STRING` (6): UTF-8.
    String(String),
}

impl AnnotationValue {
    /// The zipkinCore `AnnotationType` number of this value.
    pub fn annotation_type(&self) -> i32 {
        match self {
            AnnotationValue::Bool(_) => 0,
            AnnotationValue::Bytes(_) => 1,
            AnnotationValue::I16(_) => 2,
            AnnotationValue::I32(_) => 3,
            AnnotationValue::I64(_) => 4,
            AnnotationValue::Double(_) => 5,
            AnnotationValue::String(_) => 6,
        }
    }

    /// The value as a v2 tag string: strings as-is, bools `true`/`false`, integers and
    /// doubles in decimal (as `otlp::attributes::to_tag_string` renders them), bytes as
    /// standard base64 (what the Collector does; Zipkin itself drops non-string values).
    pub fn to_tag_string(&self) -> String {
        use base64::Engine;
        match self {
            AnnotationValue::Bool(b) => b.to_string(),
            AnnotationValue::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
            AnnotationValue::I16(v) => v.to_string(),
            AnnotationValue::I32(v) => v.to_string(),
            AnnotationValue::I64(v) => v.to_string(),
            AnnotationValue::Double(v) => v.to_string(),
            AnnotationValue::String(s) => s.clone(),
        }
    }

    /// True for the empty string (the marker form of `lc`).
    pub fn is_empty_string(&self) -> bool {
        matches!(self, AnnotationValue::String(s) if s.is_empty())
    }
}

/// A network endpoint: who recorded an event, or the other side of an RPC.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Endpoint {
    /// Service name; empty = unknown.
    pub service_name: String,
    /// IPv4 address.
    pub ipv4: Option<Ipv4Addr>,
    /// IPv6 address.
    pub ipv6: Option<Ipv6Addr>,
    /// Port; 0 = unknown. (Thrift carries it as a signed i16: values above 32767 arrive
    /// negative and are read back as unsigned.)
    pub port: u16,
}

impl Endpoint {
    /// True when no field is set (such an endpoint is treated as absent, as Zipkin does).
    pub fn is_empty(&self) -> bool {
        self.service_name.is_empty() && self.ipv4.is_none() && self.ipv6.is_none() && self.port == 0
    }

    /// Reads an IP address written in either field: an IPv4 address fills `ipv4`, an
    /// IPv4-mapped IPv6 address too, any other IPv6 address fills `ipv6`. Text that is not an
    /// address is ignored (as Zipkin's `Endpoint.Builder.parseIp` does).
    pub fn set_ip_text(&mut self, text: &str) {
        if let Ok(v4) = text.parse::<Ipv4Addr>() {
            self.ipv4 = Some(v4);
        } else if let Ok(v6) = text.parse::<Ipv6Addr>() {
            self.set_ipv6(v6);
        }
    }

    /// Sets an IPv6 address, storing IPv4-mapped ones (`::ffff:a.b.c.d`) as IPv4.
    pub fn set_ipv6(&mut self, v6: Ipv6Addr) {
        match v6.to_ipv4_mapped() {
            Some(v4) => self.ipv4 = Some(v4),
            None => self.ipv6 = Some(v6),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_strings() {
        assert_eq!(AnnotationValue::I16(-2).to_tag_string(), "-2");
        assert_eq!(AnnotationValue::I32(i32::MIN).to_tag_string(), "-2147483648");
        assert_eq!(AnnotationValue::Double(1.5).to_tag_string(), "1.5");
        assert_eq!(AnnotationValue::Bool(false).to_tag_string(), "false");
        assert_eq!(AnnotationValue::Bytes(vec![0xff, 0, 1]).to_tag_string(), "/wAB");
        assert_eq!(AnnotationValue::String("x".into()).annotation_type(), 6);
    }

    #[test]
    fn ip_text_goes_to_the_right_field() {
        let mut e = Endpoint::default();
        e.set_ip_text("2001:db8::c001");
        e.set_ip_text("::ffff:10.0.0.1");
        e.set_ip_text("not an ip");
        assert_eq!(e.ipv4, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(e.ipv6, Some("2001:db8::c001".parse().unwrap()));
        assert!(!e.is_empty());
        assert!(Endpoint::default().is_empty());
    }
}
