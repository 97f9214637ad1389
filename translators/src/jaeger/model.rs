//! Jaeger's domain model, `jaeger.api_v2` (model.proto, collector.proto), as prost types.
//!
//! Every Jaeger codec (Thrift, protobuf, JSON) decodes into and encodes from these types, so
//! there is exactly one Jaeger ⇄ OTLP mapping. Ids are big-endian bytes: 16 for a trace id
//! (high half first), 8 for a span id.

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second, 0..1e9.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `google.protobuf.Duration`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Duration {
    /// Whole seconds.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds, same sign as `seconds`.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `jaeger.api_v2.ValueType`. Note the order differs from Thrift's `TagType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ValueType {
    /// `v_str`.
    String = 0,
    /// `v_bool`.
    Bool = 1,
    /// `v_int64`.
    Int64 = 2,
    /// `v_float64`.
    Float64 = 3,
    /// `v_binary`.
    Binary = 4,
}

/// `jaeger.api_v2.KeyValue`: a typed tag or log field.
#[derive(Clone, PartialEq, prost::Message)]
pub struct KeyValue {
    /// Tag key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// Which of the value fields is meant.
    #[prost(enumeration = "ValueType", tag = "2")]
    pub v_type: i32,
    /// String value.
    #[prost(string, tag = "3")]
    pub v_str: String,
    /// Bool value.
    #[prost(bool, tag = "4")]
    pub v_bool: bool,
    /// Integer value.
    #[prost(int64, tag = "5")]
    pub v_int64: i64,
    /// Float value.
    #[prost(double, tag = "6")]
    pub v_float64: f64,
    /// Binary value.
    #[prost(bytes = "vec", tag = "7")]
    pub v_binary: Vec<u8>,
}

/// `jaeger.api_v2.Log`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Log {
    /// When the log happened.
    #[prost(message, optional, tag = "1")]
    pub timestamp: Option<Timestamp>,
    /// Its fields; the `event` field names it.
    #[prost(message, repeated, tag = "2")]
    pub fields: Vec<KeyValue>,
}

/// `jaeger.api_v2.SpanRefType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SpanRefType {
    /// The referenced span is the parent.
    ChildOf = 0,
    /// The referenced span caused this one but does not wait for it.
    FollowsFrom = 1,
}

/// `jaeger.api_v2.SpanRef`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SpanRef {
    /// 16 bytes.
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    /// 8 bytes.
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    /// [`SpanRefType`].
    #[prost(enumeration = "SpanRefType", tag = "3")]
    pub ref_type: i32,
}

/// `jaeger.api_v2.Process`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Process {
    /// The service name.
    #[prost(string, tag = "1")]
    pub service_name: String,
    /// Process tags (host, ip, client version...).
    #[prost(message, repeated, tag = "2")]
    pub tags: Vec<KeyValue>,
}

/// `jaeger.api_v2.Span`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Span {
    /// 16 bytes, high half first.
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    /// 8 bytes.
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    /// Operation name.
    #[prost(string, tag = "3")]
    pub operation_name: String,
    /// Parent (first same-trace CHILD_OF) and other references.
    #[prost(message, repeated, tag = "4")]
    pub references: Vec<SpanRef>,
    /// Bit 1 sampled, bit 2 debug, bit 4 firehose.
    #[prost(uint32, tag = "5")]
    pub flags: u32,
    /// Start time.
    #[prost(message, optional, tag = "6")]
    pub start_time: Option<Timestamp>,
    /// Duration.
    #[prost(message, optional, tag = "7")]
    pub duration: Option<Duration>,
    /// Span tags.
    #[prost(message, repeated, tag = "8")]
    pub tags: Vec<KeyValue>,
    /// Logs (events).
    #[prost(message, repeated, tag = "9")]
    pub logs: Vec<Log>,
    /// The span's own process; overrides the batch's.
    #[prost(message, optional, tag = "10")]
    pub process: Option<Process>,
    /// Key into a trace's process map (JSON/query model).
    #[prost(string, tag = "11")]
    pub process_id: String,
    /// Warnings attached while processing.
    #[prost(string, repeated, tag = "12")]
    pub warnings: Vec<String>,
}

/// `jaeger.api_v2.Batch`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Batch {
    /// The spans.
    #[prost(message, repeated, tag = "1")]
    pub spans: Vec<Span>,
    /// The process of spans that carry none of their own.
    #[prost(message, optional, tag = "2")]
    pub process: Option<Process>,
}

/// `jaeger.api_v2.PostSpansRequest` (collector.proto).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PostSpansRequest {
    /// The batch.
    #[prost(message, optional, tag = "1")]
    pub batch: Option<Batch>,
}

/// `jaeger.api_v2.PostSpansResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PostSpansResponse {}

/// Span flag bit: sampled.
pub const FLAG_SAMPLED: u32 = 1;
/// Span flag bit: debug.
pub const FLAG_DEBUG: u32 = 2;
/// Span flag bit: firehose.
pub const FLAG_FIREHOSE: u32 = 8;
