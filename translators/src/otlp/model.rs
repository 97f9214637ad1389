//! The OTLP messages every translator speaks: `opentelemetry.proto.{common,resource,trace}.v1`
//! and the trace collector service request/response, written as prost types.
//!
//! Field numbers follow the OTLP protobuf definitions (opentelemetry-proto v1.x).

/// `opentelemetry.proto.common.v1.AnyValue`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AnyValue {
    /// The value; `None` is the empty value.
    #[prost(oneof = "any_value::Value", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub value: Option<any_value::Value>,
}

/// The variants of [`AnyValue`].
pub mod any_value {
    /// One typed value.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        /// UTF-8 text.
        #[prost(string, tag = "1")]
        StringValue(String),
        /// Boolean.
        #[prost(bool, tag = "2")]
        BoolValue(bool),
        /// Signed 64-bit integer.
        #[prost(int64, tag = "3")]
        IntValue(i64),
        /// IEEE 754 double.
        #[prost(double, tag = "4")]
        DoubleValue(f64),
        /// Ordered list of values.
        #[prost(message, tag = "5")]
        ArrayValue(super::ArrayValue),
        /// Ordered list of key/value pairs.
        #[prost(message, tag = "6")]
        KvlistValue(super::KeyValueList),
        /// Raw bytes.
        #[prost(bytes = "vec", tag = "7")]
        BytesValue(Vec<u8>),
    }
}

/// `opentelemetry.proto.common.v1.ArrayValue`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ArrayValue {
    /// The elements.
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<AnyValue>,
}

/// `opentelemetry.proto.common.v1.KeyValueList`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct KeyValueList {
    /// The pairs, in order.
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<KeyValue>,
}

/// `opentelemetry.proto.common.v1.KeyValue`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct KeyValue {
    /// Attribute key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// Attribute value.
    #[prost(message, optional, tag = "2")]
    pub value: Option<AnyValue>,
}

/// `opentelemetry.proto.common.v1.InstrumentationScope`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct InstrumentationScope {
    /// Scope name, e.g. the instrumentation library.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Scope version.
    #[prost(string, tag = "2")]
    pub version: String,
    /// Scope attributes.
    #[prost(message, repeated, tag = "3")]
    pub attributes: Vec<KeyValue>,
    /// Attributes dropped by the sender.
    #[prost(uint32, tag = "4")]
    pub dropped_attributes_count: u32,
}

/// `opentelemetry.proto.resource.v1.Resource`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Resource {
    /// Resource attributes (`service.name`, `host.name`, ...).
    #[prost(message, repeated, tag = "1")]
    pub attributes: Vec<KeyValue>,
    /// Attributes dropped by the sender.
    #[prost(uint32, tag = "2")]
    pub dropped_attributes_count: u32,
}

/// `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportTraceServiceRequest {
    /// Spans grouped by resource.
    #[prost(message, repeated, tag = "1")]
    pub resource_spans: Vec<ResourceSpans>,
}

/// `opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportTraceServiceResponse {
    /// Set when some spans were rejected.
    #[prost(message, optional, tag = "1")]
    pub partial_success: Option<ExportTracePartialSuccess>,
}

/// `opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportTracePartialSuccess {
    /// How many spans were rejected.
    #[prost(int64, tag = "1")]
    pub rejected_spans: i64,
    /// Why.
    #[prost(string, tag = "2")]
    pub error_message: String,
}

/// `opentelemetry.proto.trace.v1.TracesData` has the same wire shape as the request.
pub type TracesData = ExportTraceServiceRequest;

/// `opentelemetry.proto.trace.v1.ResourceSpans`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceSpans {
    /// The resource that produced the spans.
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    /// Spans grouped by instrumentation scope.
    #[prost(message, repeated, tag = "2")]
    pub scope_spans: Vec<ScopeSpans>,
    /// Schema URL of the resource.
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// `opentelemetry.proto.trace.v1.ScopeSpans`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ScopeSpans {
    /// The instrumentation scope.
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    /// The spans.
    #[prost(message, repeated, tag = "2")]
    pub spans: Vec<Span>,
    /// Schema URL of the scope.
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// `opentelemetry.proto.trace.v1.Span`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Span {
    /// 16 bytes; all zero is invalid.
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    /// 8 bytes; all zero is invalid.
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    /// W3C trace state.
    #[prost(string, tag = "3")]
    pub trace_state: String,
    /// 8 bytes, or empty for a root span.
    #[prost(bytes = "vec", tag = "4")]
    pub parent_span_id: Vec<u8>,
    /// W3C trace flags in bits 0-7; bits 8-9 carry "is remote" knowledge.
    #[prost(fixed32, tag = "16")]
    pub flags: u32,
    /// Operation name.
    #[prost(string, tag = "5")]
    pub name: String,
    /// [`span::SpanKind`] as an integer.
    #[prost(enumeration = "span::SpanKind", tag = "6")]
    pub kind: i32,
    /// Start, ns since the Unix epoch.
    #[prost(fixed64, tag = "7")]
    pub start_time_unix_nano: u64,
    /// End, ns since the Unix epoch.
    #[prost(fixed64, tag = "8")]
    pub end_time_unix_nano: u64,
    /// Span attributes.
    #[prost(message, repeated, tag = "9")]
    pub attributes: Vec<KeyValue>,
    /// Attributes dropped by the sender.
    #[prost(uint32, tag = "10")]
    pub dropped_attributes_count: u32,
    /// Timed events.
    #[prost(message, repeated, tag = "11")]
    pub events: Vec<span::Event>,
    /// Events dropped by the sender.
    #[prost(uint32, tag = "12")]
    pub dropped_events_count: u32,
    /// Links to other spans.
    #[prost(message, repeated, tag = "13")]
    pub links: Vec<span::Link>,
    /// Links dropped by the sender.
    #[prost(uint32, tag = "14")]
    pub dropped_links_count: u32,
    /// Final status.
    #[prost(message, optional, tag = "15")]
    pub status: Option<Status>,
}

/// Messages nested in [`Span`].
pub mod span {
    /// `Span.Event`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Event {
        /// When, ns since the Unix epoch.
        #[prost(fixed64, tag = "1")]
        pub time_unix_nano: u64,
        /// Event name.
        #[prost(string, tag = "2")]
        pub name: String,
        /// Event attributes.
        #[prost(message, repeated, tag = "3")]
        pub attributes: Vec<super::KeyValue>,
        /// Attributes dropped by the sender.
        #[prost(uint32, tag = "4")]
        pub dropped_attributes_count: u32,
    }

    /// `Span.Link`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Link {
        /// Linked trace, 16 bytes.
        #[prost(bytes = "vec", tag = "1")]
        pub trace_id: Vec<u8>,
        /// Linked span, 8 bytes.
        #[prost(bytes = "vec", tag = "2")]
        pub span_id: Vec<u8>,
        /// Trace state of the linked span.
        #[prost(string, tag = "3")]
        pub trace_state: String,
        /// Link attributes.
        #[prost(message, repeated, tag = "4")]
        pub attributes: Vec<super::KeyValue>,
        /// Attributes dropped by the sender.
        #[prost(uint32, tag = "5")]
        pub dropped_attributes_count: u32,
        /// Trace flags of the linked span.
        #[prost(fixed32, tag = "6")]
        pub flags: u32,
    }

    /// `Span.SpanKind`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum SpanKind {
        /// Not set.
        Unspecified = 0,
        /// In-process operation.
        Internal = 1,
        /// Server side of a remote call.
        Server = 2,
        /// Client side of a remote call.
        Client = 3,
        /// Sends a message to a broker.
        Producer = 4,
        /// Receives a message from a broker.
        Consumer = 5,
    }
}

/// `opentelemetry.proto.trace.v1.Status`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Status {
    /// Developer-facing description.
    #[prost(string, tag = "2")]
    pub message: String,
    /// [`status::StatusCode`] as an integer.
    #[prost(enumeration = "status::StatusCode", tag = "3")]
    pub code: i32,
}

/// Enum nested in [`Status`].
pub mod status {
    /// `Status.StatusCode`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum StatusCode {
        /// Not set.
        Unset = 0,
        /// Explicitly OK.
        Ok = 1,
        /// Error.
        Error = 2,
    }
}

/// Bit 0 of the span flags: W3C "sampled".
pub const SPAN_FLAGS_SAMPLED: u32 = 0x01;
/// Mask of the W3C trace-flags byte inside the span flags.
pub const SPAN_FLAGS_TRACE_FLAGS_MASK: u32 = 0xff;
/// Bit 8: the "is remote" bit below is known.
pub const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE: u32 = 0x100;
/// Bit 9: the parent context was remote.
pub const SPAN_FLAGS_CONTEXT_IS_REMOTE: u32 = 0x200;
