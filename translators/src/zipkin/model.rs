//! Zipkin's v2 span model as the `zipkin.proto3` prost types (zipkin-api `zipkin.proto`).
//!
//! Every Zipkin codec (v2 JSON, proto3, v1 JSON, v1 Thrift) decodes into and encodes from these
//! types, so there is exactly one Zipkin ⇄ OTLP mapping. Ids are big-endian bytes: 8 or 16 for
//! a trace id, 8 for span and parent ids; an empty `parent_id` means a root span.

/// `zipkin.proto3.Span`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Span {
    /// 8 or 16 bytes.
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    /// 8 bytes, or empty for a root span.
    #[prost(bytes = "vec", tag = "2")]
    pub parent_id: Vec<u8>,
    /// 8 bytes.
    #[prost(bytes = "vec", tag = "3")]
    pub id: Vec<u8>,
    /// [`Kind`] as an integer.
    #[prost(enumeration = "Kind", tag = "4")]
    pub kind: i32,
    /// Operation name.
    #[prost(string, tag = "5")]
    pub name: String,
    /// Start, µs since the Unix epoch; 0 = absent.
    #[prost(fixed64, tag = "6")]
    pub timestamp: u64,
    /// Duration in µs; 0 = absent.
    #[prost(uint64, tag = "7")]
    pub duration: u64,
    /// The host that recorded the span.
    #[prost(message, optional, tag = "8")]
    pub local_endpoint: Option<Endpoint>,
    /// The other side of an RPC or messaging span.
    #[prost(message, optional, tag = "9")]
    pub remote_endpoint: Option<Endpoint>,
    /// Timed annotations.
    #[prost(message, repeated, tag = "10")]
    pub annotations: Vec<Annotation>,
    /// String tags. A `Vec` of pairs (not a map) keeps the sender's order; on the wire it is
    /// the same as `map<string,string>`.
    #[prost(message, repeated, tag = "11")]
    pub tags: Vec<Tag>,
    /// Debug: store even if unsampled.
    #[prost(bool, tag = "12")]
    pub debug: bool,
    /// The server half of a span shared with its client.
    #[prost(bool, tag = "13")]
    pub shared: bool,
}

/// One entry of the `tags` map (a map entry is a message with key = 1, value = 2).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Tag {
    /// Tag key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// Tag value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `zipkin.proto3.Span.Kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum Kind {
    /// Absent.
    Unspecified = 0,
    /// Client side of an RPC.
    Client = 1,
    /// Server side of an RPC.
    Server = 2,
    /// Message producer.
    Producer = 3,
    /// Message consumer.
    Consumer = 4,
}

/// `zipkin.proto3.Endpoint`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Endpoint {
    /// Lower-case service name.
    #[prost(string, tag = "1")]
    pub service_name: String,
    /// 4 bytes, or empty.
    #[prost(bytes = "vec", tag = "2")]
    pub ipv4: Vec<u8>,
    /// 16 bytes, or empty.
    #[prost(bytes = "vec", tag = "3")]
    pub ipv6: Vec<u8>,
    /// Port, 0 = absent.
    #[prost(int32, tag = "4")]
    pub port: i32,
}

/// `zipkin.proto3.Annotation`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Annotation {
    /// µs since the Unix epoch.
    #[prost(fixed64, tag = "1")]
    pub timestamp: u64,
    /// Usually a short code, or the `{"name":{attrs}}` form of an OTLP event.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `zipkin.proto3.ListOfSpans`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListOfSpans {
    /// The spans, any traces, any order.
    #[prost(message, repeated, tag = "1")]
    pub spans: Vec<Span>,
}
