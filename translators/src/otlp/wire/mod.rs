//! OTLP trace protobuf on the wire, without the owned model: borrowed views to read an
//! `ExportTraceServiceRequest` (or `TracesData`, same bytes) and a writer that produces the
//! same canonical bytes prost would, for the direct routes between a format and OTLP protobuf.
//!
//! # Reading
//!
//! [`TracesView::parse`] checks the whole request once (wire format, lengths, UTF-8 of every
//! `string` field, nesting depth as prost limits it) and then every accessor is infallible:
//!
//! ```
//! use translators::otlp::wire::{AnyValueView, TracesView};
//! # let bytes = translators::otlp::wire::encode_request(&Default::default());
//! let traces = TracesView::parse(&bytes)?;
//! for rs in traces.resource_spans() {
//!     for ss in rs.scope_spans() {
//!         for span in ss.spans() {
//!             let _name: &str = span.name;
//!             for kv in span.attributes() {
//!                 if let Some(AnyValueView::String(s)) = kv.value { let _ = s; }
//!             }
//!         }
//!     }
//! }
//! # Ok::<(), translators::DecodeError>(())
//! ```
//!
//! Views hold `&str` / `&[u8]` into the input and the scalar fields of their message; repeated
//! fields are iterated lazily from the message's bytes, so nothing is allocated per span.
//! Like prost, a repeated scalar field keeps its last value and unknown fields are skipped.
//! Unlike prost, a *singular message* field that occurs more than once (protobuf merges the
//! occurrences) is read as its last occurrence: [`TracesView::needs_merge`] tells when that
//! happened, so that callers who must match prost exactly can take the owned route instead
//! (no real sender writes such messages).
//!
//! # Writing
//!
//! [`Writer`] appends protobuf fields to a `Vec<u8>`; a nested message is opened with
//! [`Writer::begin`] (tag and a one-byte length placeholder) and closed with [`Writer::end`],
//! which shifts the body when its length needs more than one byte. Field helpers skip proto3
//! default values as prost does, so writing fields in field-number order gives prost's
//! canonical bytes. [`TracesWriter`] groups spans by resource and scope in first-seen order
//! (what [`crate::otlp::grouping::TracesBuilder`] does for the owned model) and writes the
//! request. [`encode_request`] encodes the owned model, byte-identical to prost's
//! `encode_to_vec` and faster (lengths are not recomputed at every level).

mod encode;
mod read;
mod write;

pub use encode::{encode_attributes, encode_link, encode_request, encode_request_into};
pub use read::{
    count_spans_unchecked, AnyValueView, ArrayValues, ArrayView, EventView, FromBody, KeyValueView,
    KeyValues, KvListView, LinkView, Messages, ResourceSpansView, ResourceView, ScopeSpansView,
    ScopeView, SpanView, StatusView, TracesView,
};
pub use write::{GroupId, Mark, ResourceId, TracesWriter, Writer};

/// Field numbers of the OTLP trace messages, as in the `.proto` files.
pub mod field {
    /// `ExportTraceServiceRequest.resource_spans` (also `TracesData`).
    pub const REQUEST_RESOURCE_SPANS: u32 = 1;
    /// `ResourceSpans.resource`.
    pub const RESOURCE_SPANS_RESOURCE: u32 = 1;
    /// `ResourceSpans.scope_spans`.
    pub const RESOURCE_SPANS_SCOPE_SPANS: u32 = 2;
    /// `ResourceSpans.schema_url`.
    pub const RESOURCE_SPANS_SCHEMA_URL: u32 = 3;
    /// `Resource.attributes`.
    pub const RESOURCE_ATTRIBUTES: u32 = 1;
    /// `Resource.dropped_attributes_count`.
    pub const RESOURCE_DROPPED_ATTRIBUTES: u32 = 2;
    /// `ScopeSpans.scope`.
    pub const SCOPE_SPANS_SCOPE: u32 = 1;
    /// `ScopeSpans.spans`.
    pub const SCOPE_SPANS_SPANS: u32 = 2;
    /// `ScopeSpans.schema_url`.
    pub const SCOPE_SPANS_SCHEMA_URL: u32 = 3;
    /// `InstrumentationScope.name`.
    pub const SCOPE_NAME: u32 = 1;
    /// `InstrumentationScope.version`.
    pub const SCOPE_VERSION: u32 = 2;
    /// `InstrumentationScope.attributes`.
    pub const SCOPE_ATTRIBUTES: u32 = 3;
    /// `InstrumentationScope.dropped_attributes_count`.
    pub const SCOPE_DROPPED_ATTRIBUTES: u32 = 4;
    /// `Span.trace_id`.
    pub const SPAN_TRACE_ID: u32 = 1;
    /// `Span.span_id`.
    pub const SPAN_SPAN_ID: u32 = 2;
    /// `Span.trace_state`.
    pub const SPAN_TRACE_STATE: u32 = 3;
    /// `Span.parent_span_id`.
    pub const SPAN_PARENT_SPAN_ID: u32 = 4;
    /// `Span.name`.
    pub const SPAN_NAME: u32 = 5;
    /// `Span.kind`.
    pub const SPAN_KIND: u32 = 6;
    /// `Span.start_time_unix_nano`.
    pub const SPAN_START: u32 = 7;
    /// `Span.end_time_unix_nano`.
    pub const SPAN_END: u32 = 8;
    /// `Span.attributes`.
    pub const SPAN_ATTRIBUTES: u32 = 9;
    /// `Span.dropped_attributes_count`.
    pub const SPAN_DROPPED_ATTRIBUTES: u32 = 10;
    /// `Span.events`.
    pub const SPAN_EVENTS: u32 = 11;
    /// `Span.dropped_events_count`.
    pub const SPAN_DROPPED_EVENTS: u32 = 12;
    /// `Span.links`.
    pub const SPAN_LINKS: u32 = 13;
    /// `Span.dropped_links_count`.
    pub const SPAN_DROPPED_LINKS: u32 = 14;
    /// `Span.status`.
    pub const SPAN_STATUS: u32 = 15;
    /// `Span.flags`.
    pub const SPAN_FLAGS: u32 = 16;
    /// `Span.Event.time_unix_nano`.
    pub const EVENT_TIME: u32 = 1;
    /// `Span.Event.name`.
    pub const EVENT_NAME: u32 = 2;
    /// `Span.Event.attributes`.
    pub const EVENT_ATTRIBUTES: u32 = 3;
    /// `Span.Event.dropped_attributes_count`.
    pub const EVENT_DROPPED_ATTRIBUTES: u32 = 4;
    /// `Span.Link.trace_id`.
    pub const LINK_TRACE_ID: u32 = 1;
    /// `Span.Link.span_id`.
    pub const LINK_SPAN_ID: u32 = 2;
    /// `Span.Link.trace_state`.
    pub const LINK_TRACE_STATE: u32 = 3;
    /// `Span.Link.attributes`.
    pub const LINK_ATTRIBUTES: u32 = 4;
    /// `Span.Link.dropped_attributes_count`.
    pub const LINK_DROPPED_ATTRIBUTES: u32 = 5;
    /// `Span.Link.flags`.
    pub const LINK_FLAGS: u32 = 6;
    /// `Status.message`.
    pub const STATUS_MESSAGE: u32 = 2;
    /// `Status.code`.
    pub const STATUS_CODE: u32 = 3;
    /// `KeyValue.key`.
    pub const KEY_VALUE_KEY: u32 = 1;
    /// `KeyValue.value`.
    pub const KEY_VALUE_VALUE: u32 = 2;
    /// `ArrayValue.values` and `KeyValueList.values`.
    pub const LIST_VALUES: u32 = 1;
}

/// Protobuf wire types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum WireType {
    /// Varint (int32, int64, uint32, uint64, bool, enum).
    Varint = 0,
    /// 8 bytes little-endian (fixed64, sfixed64, double).
    SixtyFourBit = 1,
    /// Length-prefixed (string, bytes, messages, packed repeated).
    LengthDelimited = 2,
    /// Deprecated group start.
    StartGroup = 3,
    /// Deprecated group end.
    EndGroup = 4,
    /// 4 bytes little-endian (fixed32, sfixed32, float).
    ThirtyTwoBit = 5,
}

#[cfg(test)]
mod tests;
