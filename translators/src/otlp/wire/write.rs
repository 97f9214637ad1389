//! Writing OTLP protobuf field by field: a canonical protobuf writer and a request builder
//! that groups spans by resource and scope.

use super::read::AnyValueView;
use super::WireType;

/// Bytes a varint of `v` takes.
#[inline]
pub(crate) fn varint_len(v: u64) -> usize {
    // 1 byte per started group of 7 bits; 0 takes 1 byte.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// The body size of a scalar `AnyValue` (`None` for arrays and lists).
#[inline]
fn scalar_body_len(value: &AnyValueView<'_>) -> Option<usize> {
    let framed = |n: usize| 1 + varint_len(n as u64) + n;
    Some(match *value {
        AnyValueView::Empty => 0,
        AnyValueView::String(s) => framed(s.len()),
        AnyValueView::Bool(_) => 2,
        AnyValueView::Int(i) => 1 + varint_len(i as u64),
        AnyValueView::Double(_) => 9,
        AnyValueView::Bytes(b) => framed(b.len()),
        AnyValueView::Array(_) | AnyValueView::KvList(_) => return None,
    })
}

/// An open nested message: where its one-byte length placeholder is.
#[derive(Debug)]
#[must_use = "a nested message must be closed with Writer::end"]
pub struct Mark(usize);

/// Appends protobuf fields to a buffer.
///
/// The typed field helpers (`string`, `uint32`, `fixed64`...) skip the proto3 default value
/// (empty, zero), as prost does for non-`optional` scalar fields; writing fields in field
/// number order then gives prost's canonical encoding. Oneof members are always written (see
/// [`Writer::any_value`]).
#[derive(Debug, Clone, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Writer { buf: Vec::with_capacity(capacity) }
    }

    /// A writer appending to `buf`.
    pub fn from_vec(buf: Vec<u8>) -> Self {
        Writer { buf }
    }

    /// The bytes written.
    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Number of bytes written.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Makes room for at least `additional` more bytes.
    pub fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// Forgets what was written, keeping the allocation.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Appends bytes that already are protobuf fields.
    #[inline]
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// A varint.
    #[inline]
    pub fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    /// A field key.
    #[inline]
    pub fn key(&mut self, field: u32, wire_type: WireType) {
        self.varint(u64::from(field << 3 | wire_type as u32));
    }

    /// Opens a nested message in `field`; close it with [`Writer::end`].
    #[inline]
    pub fn begin(&mut self, field: u32) -> Mark {
        self.key(field, WireType::LengthDelimited);
        self.buf.push(0);
        Mark(self.buf.len() - 1)
    }

    /// Closes a nested message: writes its length, moving its body when the length takes
    /// more than one byte.
    #[inline]
    pub fn end(&mut self, mark: Mark) {
        let at = mark.0;
        let len = self.buf.len() - at - 1;
        if len < 0x80 {
            self.buf[at] = len as u8;
        } else {
            self.end_long(at, len);
        }
    }

    #[inline(never)]
    fn end_long(&mut self, at: usize, len: usize) {
        let n = varint_len(len as u64);
        let body = at + 1;
        self.buf.resize(self.buf.len() + n - 1, 0);
        self.buf.copy_within(body..body + len, at + n);
        let mut v = len as u64;
        for i in 0..n {
            self.buf[at + i] = if i + 1 < n { v as u8 | 0x80 } else { v as u8 };
            v >>= 7;
        }
    }

    /// A length-delimited field, always written (bytes, strings, or a message body given as
    /// bytes).
    #[inline]
    pub fn len_field(&mut self, field: u32, bytes: &[u8]) {
        self.key(field, WireType::LengthDelimited);
        self.varint(bytes.len() as u64);
        self.buf.extend_from_slice(bytes);
    }

    /// A `string` field, skipped when empty.
    #[inline]
    pub fn string(&mut self, field: u32, value: &str) {
        if !value.is_empty() {
            self.len_field(field, value.as_bytes());
        }
    }

    /// A `bytes` field, skipped when empty.
    #[inline]
    pub fn bytes(&mut self, field: u32, value: &[u8]) {
        if !value.is_empty() {
            self.len_field(field, value);
        }
    }

    /// A `uint32` / `uint64` field, skipped when 0.
    #[inline]
    pub fn uint64(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.key(field, WireType::Varint);
            self.varint(value);
        }
    }

    /// An `int32` or enum field, skipped when 0 (negative values take 10 bytes, as in
    /// protobuf).
    #[inline]
    pub fn int32(&mut self, field: u32, value: i32) {
        self.uint64(field, i64::from(value) as u64);
    }

    /// An `int64` field, skipped when 0.
    #[inline]
    pub fn int64(&mut self, field: u32, value: i64) {
        self.uint64(field, value as u64);
    }

    /// A `fixed64` field, skipped when 0.
    #[inline]
    pub fn fixed64(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.key(field, WireType::SixtyFourBit);
            self.buf.extend_from_slice(&value.to_le_bytes());
        }
    }

    /// A `fixed32` field, skipped when 0.
    #[inline]
    pub fn fixed32(&mut self, field: u32, value: u32) {
        if value != 0 {
            self.key(field, WireType::ThirtyTwoBit);
            self.buf.extend_from_slice(&value.to_le_bytes());
        }
    }

    /// An `AnyValue` message in `field` (arrays and lists are re-encoded canonically).
    #[inline]
    pub fn any_value(&mut self, field: u32, value: &AnyValueView<'_>) {
        let m = self.begin(field);
        self.any_value_body(value);
        self.end(m);
    }

    /// The body of an `AnyValue`: its one variant, always written (oneof), or nothing.
    pub fn any_value_body(&mut self, value: &AnyValueView<'_>) {
        match *value {
            AnyValueView::Empty => {}
            AnyValueView::String(s) => self.len_field(1, s.as_bytes()),
            AnyValueView::Bool(b) => {
                self.key(2, WireType::Varint);
                self.buf.push(u8::from(b));
            }
            AnyValueView::Int(i) => {
                self.key(3, WireType::Varint);
                self.varint(i as u64);
            }
            AnyValueView::Double(d) => {
                self.key(4, WireType::SixtyFourBit);
                self.buf.extend_from_slice(&d.to_bits().to_le_bytes());
            }
            AnyValueView::Array(a) => {
                let m = self.begin(5);
                for v in a.values() {
                    self.any_value(1, &v);
                }
                self.end(m);
            }
            AnyValueView::KvList(kvs) => {
                let m = self.begin(6);
                for kv in kvs.values() {
                    self.key_value(1, kv.key, kv.value.as_ref());
                }
                self.end(m);
            }
            AnyValueView::Bytes(b) => self.len_field(7, b),
        }
    }

    /// A `KeyValue` message in `field` with a string value: the same bytes as
    /// [`Writer::key_value`] with [`AnyValueView::String`], written in four appends when every
    /// length fits one byte (the usual attribute).
    #[inline]
    pub fn key_value_str(&mut self, field: u32, key: &str, value: &str) {
        let (k, v) = (key.len(), value.len());
        // AnyValue { string_value = 1 }, then KeyValue { key = 1 (skipped when empty), value = 2 }.
        let any_len = 2 + v;
        let len = if k == 0 { 0 } else { 2 + k } + 2 + any_len;
        if field >= 16 || k >= 0x80 || len >= 0x80 {
            self.key_value(field, key, Some(&AnyValueView::String(value)));
            return;
        }
        self.buf.reserve(len + 2);
        self.buf
            .extend_from_slice(&[(field << 3 | WireType::LengthDelimited as u32) as u8, len as u8]);
        if k != 0 {
            self.buf.extend_from_slice(&[1 << 3 | WireType::LengthDelimited as u8, k as u8]);
            self.buf.extend_from_slice(key.as_bytes());
        }
        self.buf.extend_from_slice(&[
            2 << 3 | WireType::LengthDelimited as u8,
            any_len as u8,
            1 << 3 | WireType::LengthDelimited as u8,
            v as u8,
        ]);
        self.buf.extend_from_slice(value.as_bytes());
    }

    /// A `KeyValue` message in `field`; `None` writes no value field.
    #[inline]
    pub fn key_value(&mut self, field: u32, key: &str, value: Option<&AnyValueView<'_>>) {
        // A scalar value's size is known up front: write the lengths directly (no placeholder
        // to fix up) into room reserved once.
        let value_len = match value {
            None => Some(None),
            Some(v) => scalar_body_len(v).map(Some),
        };
        if let Some(value_len) = value_len {
            let key_len =
                if key.is_empty() { 0 } else { 1 + varint_len(key.len() as u64) + key.len() };
            let len = key_len + value_len.map_or(0, |n| 1 + varint_len(n as u64) + n);
            self.buf.reserve(len + 16);
            self.key(field, WireType::LengthDelimited);
            self.varint(len as u64);
            self.string(1, key);
            if let (Some(n), Some(v)) = (value_len, value) {
                self.key(2, WireType::LengthDelimited);
                self.varint(n as u64);
                self.any_value_body(v);
            }
            return;
        }
        let m = self.begin(field);
        self.string(1, key);
        if let Some(v) = value {
            self.any_value(2, v);
        }
        self.end(m);
    }
}

/// A resource registered with [`TracesWriter::resource`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceId(usize);

/// A (resource, scope) group registered with [`TracesWriter::group`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupId(usize);

#[derive(Debug, Clone)]
struct Group {
    resource: usize,
    scope: Option<Vec<u8>>,
    spans: Writer,
}

/// Builds the `resource_spans` of a request from spans written one by one: one
/// `ResourceSpans` per distinct resource, one `ScopeSpans` per distinct scope inside it, in
/// the order of their first [`TracesWriter::group`] call (register a group only for a span
/// that will be written). Resources and scopes are told apart by their encoded bodies.
///
/// ```
/// use translators::otlp::wire::{field, TracesWriter, Writer};
///
/// let mut out = TracesWriter::new();
/// let mut body = Writer::new();
/// body.key_value(field::RESOURCE_ATTRIBUTES, "service.name",
///     Some(&translators::otlp::wire::AnyValueView::String("checkout")));
/// let resource = out.resource(Some(body.as_bytes()));
/// let group = out.group(resource, None);
/// let w = out.spans(group);
/// let span = w.begin(field::SCOPE_SPANS_SPANS);
/// w.string(field::SPAN_NAME, "GET /");
/// w.end(span);
/// let bytes = out.finish();
/// assert_eq!(translators::otlp::wire::TracesView::parse(&bytes).unwrap().span_count(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct TracesWriter {
    /// Encoded bodies; `None` is a `ResourceSpans` without a resource.
    resources: Vec<Option<Vec<u8>>>,
    groups: Vec<Group>,
    /// Spent group buffers, kept for reuse.
    spare: Vec<Writer>,
    /// Room the next new group's span buffer starts with.
    span_capacity: usize,
}

impl TracesWriter {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives the span buffer of the next new group room for `bytes` bytes up front (when the
    /// size of the spans is roughly known, e.g. from the input's size), so that it does not
    /// grow step by step. Only that one group: many groups must not each get that much.
    pub fn reserve_spans(&mut self, bytes: usize) {
        self.span_capacity = bytes;
    }

    /// Registers a resource by its encoded `Resource` body (`None`: no resource field) and
    /// returns its id; an equal body gives the same id.
    pub fn resource(&mut self, body: Option<&[u8]>) -> ResourceId {
        match self.resources.iter().position(|r| r.as_deref() == body) {
            Some(i) => ResourceId(i),
            None => {
                self.resources.push(body.map(<[u8]>::to_vec));
                ResourceId(self.resources.len() - 1)
            }
        }
    }

    /// The group of a resource and a scope (encoded `InstrumentationScope` body, `None`: no
    /// scope field), registered on first use.
    pub fn group(&mut self, resource: ResourceId, scope: Option<&[u8]>) -> GroupId {
        let found = self
            .groups
            .iter()
            .rposition(|g| g.resource == resource.0 && g.scope.as_deref() == scope);
        match found {
            Some(i) => GroupId(i),
            None => {
                let spans = match self.spare.pop() {
                    Some(w) => w,
                    None => Writer::with_capacity(std::mem::take(&mut self.span_capacity)),
                };
                self.groups.push(Group {
                    resource: resource.0,
                    scope: scope.map(<[u8]>::to_vec),
                    spans,
                });
                GroupId(self.groups.len() - 1)
            }
        }
    }

    /// The buffer of a group's spans: write each span as a message in field
    /// [`super::field::SCOPE_SPANS_SPANS`].
    pub fn spans(&mut self, group: GroupId) -> &mut Writer {
        &mut self.groups[group.0].spans
    }

    /// True when no group has been registered.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Appends the `resource_spans` fields (field 1 of the request) to `out` and empties the
    /// builder for the next request, keeping its buffers.
    pub fn finish_into(&mut self, out: &mut Vec<u8>) {
        let framed = |len: usize| 1 + varint_len(len as u64) + len;
        let mut w = Writer::from_vec(std::mem::take(out));
        // Resources in the order of their first group.
        let mut order: Vec<usize> = Vec::with_capacity(self.resources.len());
        for g in &self.groups {
            if !g.spans.is_empty() && !order.contains(&g.resource) {
                order.push(g.resource);
            }
        }
        for r in order {
            let groups = || self.groups.iter().filter(|g| g.resource == r && !g.spans.is_empty());
            let scope_spans_len =
                |g: &Group| g.scope.as_ref().map_or(0, |s| framed(s.len())) + g.spans.len();
            let resource = self.resources[r].as_deref();
            let len = resource.map_or(0, |b| framed(b.len()))
                + groups().map(|g| framed(scope_spans_len(g))).sum::<usize>();
            w.key(1, WireType::LengthDelimited);
            w.varint(len as u64);
            if let Some(body) = resource {
                w.len_field(1, body);
            }
            for g in groups() {
                w.key(2, WireType::LengthDelimited);
                w.varint(scope_spans_len(g) as u64);
                if let Some(scope) = &g.scope {
                    w.len_field(1, scope);
                }
                w.raw(g.spans.as_bytes());
            }
        }
        *out = w.into_vec();
        self.resources.clear();
        for mut g in self.groups.drain(..) {
            g.spans.clear();
            self.spare.push(g.spans);
        }
    }

    /// The request's bytes.
    pub fn finish(mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.finish_into(&mut out);
        out
    }
}
