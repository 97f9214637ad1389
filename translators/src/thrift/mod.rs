//! Apache Thrift wire protocols, compact and binary: a bounded, zero-copy reader over `&[u8]`
//! and a writer into a `Vec<u8>`.
//!
//! Not tied to any IDL: callers drive the reader and writer field by field, as code generated
//! by the Thrift compiler would. Both protocols implement the same two traits,
//! [`ProtocolReader`] ([`CompactReader`], [`BinaryReader`]) and [`ProtocolWriter`]
//! ([`CompactWriter`], [`BinaryWriter`]), so a codec can be written once, generic over the
//! protocol, and is monomorphised for each.
//!
//! Safety against hostile input:
//! - every length and element count is checked against the bytes left *before* anything is
//!   allocated or iterated: a list of `n` elements must have at least `n` times the smallest
//!   encoding of its element type left, a string of `n` bytes `n` bytes left;
//! - struct nesting and [`ProtocolReader::skip`] recursion stop at [`MAX_DEPTH`];
//! - varints are at most 5 (32-bit) or 10 (64-bit) bytes;
//! - every error is a [`ThriftError`] carrying the byte offset where the bad item starts.
//!
//! Reading a struct looks like this (`R` is either reader):
//!
//! ```
//! use translators::thrift::{CompactReader, CompactWriter, ProtocolReader, ProtocolWriter, TType};
//!
//! let mut w = CompactWriter::new();
//! w.write_struct_begin();
//! w.write_i64_field(1, -42);
//! w.write_str_field(2, "name");
//! w.write_field_stop();
//! w.write_struct_end();
//! let bytes = w.into_inner();
//!
//! let mut r = CompactReader::new(&bytes);
//! let (mut id, mut name) = (0, "");
//! r.read_struct_begin().unwrap();
//! while let Some(field) = r.read_field_begin().unwrap() {
//!     match (field.id, field.ttype) {
//!         (1, TType::I64) => id = r.read_i64().unwrap(),
//!         (2, TType::Binary) => name = r.read_str().unwrap(),
//!         (_, other) => r.skip(other).unwrap(), // unknown fields: forward compatible
//!     }
//! }
//! r.read_struct_end();
//! assert_eq!((id, name), (-42, "name"));
//! ```

mod binary;
mod compact;

pub use binary::{BinaryReader, BinaryWriter};
pub use compact::{CompactReader, CompactWriter};

/// Deepest nesting of structs and containers the readers accept (Apache Thrift's default
/// recursion limit is 64 too).
pub const MAX_DEPTH: usize = 64;

/// A Thrift wire protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `TBinaryProtocol`: fixed-width big-endian integers, strict message header.
    Binary,
    /// `TCompactProtocol`: zigzag varints, field-id deltas, bools packed into field headers.
    Compact,
}

impl Protocol {
    /// The name used in messages: `binary` or `compact`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Binary => "binary",
            Protocol::Compact => "compact",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The type of a field, list element or map key/value, independent of the protocol's own codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TType {
    /// `bool`.
    Bool,
    /// `byte` (`i8`).
    Byte,
    /// `i16`.
    I16,
    /// `i32` (also enums).
    I32,
    /// `i64`.
    I64,
    /// `double`.
    Double,
    /// `string` or `binary` (the wire does not tell them apart).
    Binary,
    /// `struct` (also exceptions and unions).
    Struct,
    /// `map<K, V>`.
    Map,
    /// `set<T>`.
    Set,
    /// `list<T>`.
    List,
    /// `uuid` (16 bytes, Thrift 0.17+).
    Uuid,
}

impl TType {
    /// Fewest bytes one value of this type takes in `protocol`: a bound used to reject element
    /// counts that the remaining input cannot hold.
    pub fn min_size(self, protocol: Protocol) -> usize {
        match protocol {
            Protocol::Binary => match self {
                TType::Bool | TType::Byte | TType::Struct => 1,
                TType::I16 => 2,
                TType::I32 | TType::Binary => 4,
                TType::I64 | TType::Double => 8,
                TType::Map => 6,
                TType::Set | TType::List => 5,
                TType::Uuid => 16,
            },
            Protocol::Compact => match self {
                TType::Double => 8,
                TType::Uuid => 16,
                _ => 1,
            },
        }
    }
}

/// The kind of a message (`TMessageType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// A call expecting a reply (1).
    Call = 1,
    /// A reply (2).
    Reply = 2,
    /// An exception reply (3).
    Exception = 3,
    /// A call without reply (4), e.g. Jaeger's `Agent.emitBatch`.
    Oneway = 4,
}

impl MessageType {
    /// The type for a wire code (1..=4).
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(MessageType::Call),
            2 => Some(MessageType::Reply),
            3 => Some(MessageType::Exception),
            4 => Some(MessageType::Oneway),
            _ => None,
        }
    }
}

/// A message header: method name, kind and sequence id. The arguments struct follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageHeader<'a> {
    /// Method name, borrowed from the input.
    pub name: &'a str,
    /// Call, reply, exception or oneway.
    pub kind: MessageType,
    /// Sequence id chosen by the caller.
    pub seq_id: i32,
}

/// A field header inside a struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldHeader {
    /// Field id from the IDL.
    pub id: i16,
    /// Wire type of the value that follows.
    pub ttype: TType,
}

/// A list or set header. `len` has been checked against the bytes left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListHeader {
    /// Element type. For an empty list whose element type code is not a valid type (some
    /// writers put 0 there), this is [`TType::Byte`]; no element follows, so it is moot.
    pub elem: TType,
    /// Number of elements.
    pub len: usize,
}

/// A map header. `len` has been checked against the bytes left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapHeader {
    /// Key type. An empty compact map carries no types: both are reported as [`TType::Byte`].
    pub key: TType,
    /// Value type.
    pub value: TType,
    /// Number of entries.
    pub len: usize,
}

/// What went wrong while reading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The input ends inside a value.
    #[error("unexpected end of input: {needed} bytes needed, {remaining} left")]
    Eof {
        /// Bytes the value needs.
        needed: usize,
        /// Bytes left.
        remaining: usize,
    },
    /// A string or binary length prefix larger than the input left.
    #[error("length {len} is larger than the {remaining} bytes left")]
    LengthTooLarge {
        /// Declared length.
        len: u64,
        /// Bytes left after the prefix.
        remaining: usize,
    },
    /// A container count whose elements cannot fit in the input left.
    #[error("{count} elements of at least {min_size} bytes each do not fit in the {remaining} bytes left")]
    CountTooLarge {
        /// Declared element (or entry) count.
        count: u64,
        /// Smallest encoding of one element (or entry).
        min_size: usize,
        /// Bytes left after the header.
        remaining: usize,
    },
    /// A negative length or count (binary protocol).
    #[error("negative length {0}")]
    NegativeLength(i64),
    /// A `string` that is not UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// A type code the protocol does not define.
    #[error("unknown {protocol} type code {code}")]
    UnknownType {
        /// The protocol read.
        protocol: Protocol,
        /// The code met.
        code: u8,
    },
    /// A varint longer than its type allows.
    #[error("varint longer than {0} bytes")]
    VarintTooLong(usize),
    /// Structs or containers nested deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A message header that is not one.
    #[error("bad message header: {0}")]
    BadMessage(String),
}

/// A read error: the byte offset where the bad item starts, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {kind}")]
pub struct ThriftError {
    /// Offset into the reader's input.
    pub offset: usize,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl ThriftError {
    /// A new error.
    pub fn new(offset: usize, kind: ErrorKind) -> Self {
        ThriftError { offset, kind }
    }

    /// This error as the crate's [`DecodeError`](crate::DecodeError) for `format`, located at
    /// the byte offset.
    pub fn into_decode_error(self, format: crate::Format) -> crate::DecodeError {
        crate::DecodeError::new(format, crate::Location::Offset(self.offset), self.kind.to_string())
    }
}

/// Result of a read.
pub type Result<T> = std::result::Result<T, ThriftError>;

/// Reads Thrift values from a byte slice, borrowing strings and binaries from it.
///
/// Calls follow the Apache Thrift `TProtocol` read API: `read_struct_begin`, then
/// `read_field_begin` until it returns `None` (the STOP marker), reading or skipping each
/// field's value, then `read_struct_end`. List, set and map ends need no call.
/// After an error the reader's position is unspecified; stop reading.
pub trait ProtocolReader<'a> {
    /// The protocol read.
    const PROTOCOL: Protocol;

    /// Bytes consumed so far (the offset errors name).
    fn position(&self) -> usize;
    /// Bytes left.
    fn remaining(&self) -> usize;
    /// True when every byte has been consumed.
    fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Reads a message header (binary: strict `0x80 0x01` form or the old non-strict form).
    fn read_message_begin(&mut self) -> Result<MessageHeader<'a>>;
    /// Enters a struct. Fails beyond [`MAX_DEPTH`] nested structs.
    fn read_struct_begin(&mut self) -> Result<()>;
    /// Leaves a struct (after `read_field_begin` returned `None`).
    fn read_struct_end(&mut self);
    /// Reads the next field header, or `None` at the struct's STOP marker.
    fn read_field_begin(&mut self) -> Result<Option<FieldHeader>>;
    /// Reads a bool. In compact, a bool field's value sits in its field header; this returns it.
    fn read_bool(&mut self) -> Result<bool>;
    /// Reads a byte.
    fn read_i8(&mut self) -> Result<i8>;
    /// Reads an i16.
    fn read_i16(&mut self) -> Result<i16>;
    /// Reads an i32 (also enums).
    fn read_i32(&mut self) -> Result<i32>;
    /// Reads an i64.
    fn read_i64(&mut self) -> Result<i64>;
    /// Reads a double.
    fn read_double(&mut self) -> Result<f64>;
    /// Reads a uuid (16 bytes, as written).
    fn read_uuid(&mut self) -> Result<[u8; 16]>;
    /// Reads a `binary` (or `string` without UTF-8 check), borrowed from the input.
    fn read_binary(&mut self) -> Result<&'a [u8]>;
    /// Reads a list header.
    fn read_list_begin(&mut self) -> Result<ListHeader>;
    /// Reads a set header (same wire form as a list).
    fn read_set_begin(&mut self) -> Result<ListHeader> {
        self.read_list_begin()
    }
    /// Reads a map header.
    fn read_map_begin(&mut self) -> Result<MapHeader>;

    /// Reads a `string`, borrowed from the input. Invalid UTF-8 is an error at the offset of
    /// the first bad byte.
    fn read_str(&mut self) -> Result<&'a str> {
        let bytes = self.read_binary()?;
        std::str::from_utf8(bytes).map_err(|e| {
            let start = self.position() - bytes.len();
            ThriftError::new(start + e.valid_up_to(), ErrorKind::InvalidUtf8)
        })
    }

    /// Skips one value of type `ttype`, whatever it holds (nesting limited to [`MAX_DEPTH`]).
    fn skip(&mut self, ttype: TType) -> Result<()> {
        skip_nested(self, ttype, 0)
    }
}

fn skip_nested<'a, R: ProtocolReader<'a> + ?Sized>(
    r: &mut R,
    ttype: TType,
    depth: usize,
) -> Result<()> {
    if depth >= MAX_DEPTH {
        return Err(ThriftError::new(r.position(), ErrorKind::TooDeep));
    }
    match ttype {
        TType::Bool => r.read_bool().map(drop),
        TType::Byte => r.read_i8().map(drop),
        TType::I16 => r.read_i16().map(drop),
        TType::I32 => r.read_i32().map(drop),
        TType::I64 => r.read_i64().map(drop),
        TType::Double => r.read_double().map(drop),
        TType::Binary => r.read_binary().map(drop),
        TType::Uuid => r.read_uuid().map(drop),
        TType::Struct => {
            r.read_struct_begin()?;
            while let Some(field) = r.read_field_begin()? {
                skip_nested(r, field.ttype, depth + 1)?;
            }
            r.read_struct_end();
            Ok(())
        }
        TType::List | TType::Set => {
            let header = r.read_list_begin()?;
            for _ in 0..header.len {
                skip_nested(r, header.elem, depth + 1)?;
            }
            Ok(())
        }
        TType::Map => {
            let header = r.read_map_begin()?;
            for _ in 0..header.len {
                skip_nested(r, header.key, depth + 1)?;
                skip_nested(r, header.value, depth + 1)?;
            }
            Ok(())
        }
    }
}

/// Writes Thrift values into a `Vec<u8>`, byte for byte as Apache Thrift does.
///
/// Calls follow the Apache Thrift `TProtocol` write API: `write_struct_begin`, for each field
/// `write_field_begin` and its value, then `write_field_stop` and `write_struct_end`. Field,
/// list, set and map ends need no call. Writing cannot fail; lengths above `i32::MAX` are not
/// representable in Thrift and panic.
pub trait ProtocolWriter {
    /// The protocol written.
    const PROTOCOL: Protocol;

    /// The bytes written so far.
    fn bytes(&self) -> &[u8];
    /// The output buffer.
    fn into_inner(self) -> Vec<u8>;
    /// Forgets what was written (and any open struct), keeping the buffer's allocation.
    fn clear(&mut self);
    /// Appends bytes already in this protocol, e.g. a struct or list elements written by
    /// another writer of the same protocol (compact field ids are relative within a struct,
    /// so a whole struct can be moved).
    fn write_raw(&mut self, bytes: &[u8]);

    /// Writes a message header (binary: always the strict form).
    fn write_message_begin(&mut self, name: &str, kind: MessageType, seq_id: i32);
    /// Enters a struct.
    fn write_struct_begin(&mut self);
    /// Leaves a struct (after `write_field_stop`).
    fn write_struct_end(&mut self);
    /// Writes a field header. In compact, a bool field's header is written by the following
    /// `write_bool`, which packs the value into it.
    fn write_field_begin(&mut self, ttype: TType, id: i16);
    /// Writes the STOP marker ending a struct's fields.
    fn write_field_stop(&mut self);
    /// Writes a bool.
    fn write_bool(&mut self, value: bool);
    /// Writes a byte.
    fn write_i8(&mut self, value: i8);
    /// Writes an i16.
    fn write_i16(&mut self, value: i16);
    /// Writes an i32.
    fn write_i32(&mut self, value: i32);
    /// Writes an i64.
    fn write_i64(&mut self, value: i64);
    /// Writes a double.
    fn write_double(&mut self, value: f64);
    /// Writes a uuid.
    fn write_uuid(&mut self, value: &[u8; 16]);
    /// Writes a `binary` (or a string's bytes).
    fn write_binary(&mut self, value: &[u8]);
    /// Writes a list header.
    fn write_list_begin(&mut self, elem: TType, len: usize);
    /// Writes a set header.
    fn write_set_begin(&mut self, elem: TType, len: usize) {
        self.write_list_begin(elem, len)
    }
    /// Writes a map header.
    fn write_map_begin(&mut self, key: TType, value: TType, len: usize);

    /// Writes a `string`.
    fn write_str(&mut self, value: &str) {
        self.write_binary(value.as_bytes())
    }
    /// Writes a bool field.
    fn write_bool_field(&mut self, id: i16, value: bool) {
        self.write_field_begin(TType::Bool, id);
        self.write_bool(value);
    }
    /// Writes an i16 field.
    fn write_i16_field(&mut self, id: i16, value: i16) {
        self.write_field_begin(TType::I16, id);
        self.write_i16(value);
    }
    /// Writes an i32 field.
    fn write_i32_field(&mut self, id: i16, value: i32) {
        self.write_field_begin(TType::I32, id);
        self.write_i32(value);
    }
    /// Writes an i64 field.
    fn write_i64_field(&mut self, id: i16, value: i64) {
        self.write_field_begin(TType::I64, id);
        self.write_i64(value);
    }
    /// Writes a double field.
    fn write_double_field(&mut self, id: i16, value: f64) {
        self.write_field_begin(TType::Double, id);
        self.write_double(value);
    }
    /// Writes a `string` field.
    fn write_str_field(&mut self, id: i16, value: &str) {
        self.write_field_begin(TType::Binary, id);
        self.write_str(value);
    }
    /// Writes a `binary` field.
    fn write_binary_field(&mut self, id: i16, value: &[u8]) {
        self.write_field_begin(TType::Binary, id);
        self.write_binary(value);
    }
}

/// The byte cursor both readers share: bounds-checked, never panics.
#[derive(Debug, Clone, Copy)]
struct Cursor<'a> {
    buf: &'a [u8],
    /// Invariant: `pos <= buf.len()`.
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    #[inline]
    fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    #[inline]
    fn eof(&self, needed: usize) -> ThriftError {
        ThriftError::new(self.pos, ErrorKind::Eof { needed, remaining: self.remaining() })
    }

    #[inline]
    fn byte(&mut self) -> Result<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.eof(1)),
        }
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        match self.rest().first_chunk::<N>() {
            Some(a) => {
                self.pos += N;
                Ok(*a)
            }
            None => Err(self.eof(N)),
        }
    }

    /// `len` bytes, after a length prefix that started at `prefix_at`.
    #[inline]
    fn bytes(&mut self, len: u64, prefix_at: usize) -> Result<&'a [u8]> {
        let rest = self.rest();
        if len > rest.len() as u64 {
            return Err(ThriftError::new(
                prefix_at,
                ErrorKind::LengthTooLarge { len, remaining: rest.len() },
            ));
        }
        let len = len as usize;
        self.pos += len;
        Ok(&rest[..len])
    }

    /// Checks that `count` elements of at least `min_size` bytes each fit in what is left.
    #[inline]
    fn check_count(&self, count: u64, min_size: usize, header_at: usize) -> Result<usize> {
        let remaining = self.remaining();
        if count.saturating_mul(min_size as u64) > remaining as u64 {
            return Err(ThriftError::new(
                header_at,
                ErrorKind::CountTooLarge { count, min_size, remaining },
            ));
        }
        Ok(count as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes one value of every type inside a struct, nested containers included.
    fn write_everything<W: ProtocolWriter>(w: &mut W) {
        w.write_message_begin("method", MessageType::Oneway, 7);
        w.write_struct_begin();
        w.write_bool_field(1, true);
        w.write_bool_field(2, false);
        w.write_field_begin(TType::Byte, 3);
        w.write_i8(-5);
        w.write_i16_field(4, -300);
        w.write_i32_field(5, i32::MIN);
        w.write_i64_field(6, i64::MIN);
        w.write_double_field(7, -1.5);
        w.write_str_field(8, "héllo");
        w.write_binary_field(9, &[0, 0xff, 0x80]);
        w.write_field_begin(TType::List, 10);
        w.write_list_begin(TType::Bool, 3);
        w.write_bool(true);
        w.write_bool(false);
        w.write_bool(true);
        w.write_field_begin(TType::Map, 11);
        w.write_map_begin(TType::Binary, TType::List, 2);
        for key in ["a", "b"] {
            w.write_str(key);
            w.write_list_begin(TType::I64, 20);
            for i in 0..20 {
                w.write_i64(i * -1000);
            }
        }
        w.write_field_begin(TType::Struct, 300); // long-form field id
        w.write_struct_begin();
        w.write_bool_field(1, false);
        w.write_field_begin(TType::Set, 2);
        w.write_set_begin(TType::Struct, 1);
        w.write_struct_begin();
        w.write_field_stop();
        w.write_struct_end();
        w.write_field_stop();
        w.write_struct_end();
        w.write_field_begin(TType::Uuid, 301);
        w.write_uuid(&[7; 16]);
        w.write_i32_field(-3, 9); // negative id: long form
        w.write_field_begin(TType::Map, 302);
        w.write_map_begin(TType::I32, TType::I32, 0);
        w.write_field_stop();
        w.write_struct_end();
    }

    fn read_everything<'a, R: ProtocolReader<'a>>(r: &mut R) {
        let msg = r.read_message_begin().unwrap();
        assert_eq!(msg, MessageHeader { name: "method", kind: MessageType::Oneway, seq_id: 7 });
        r.read_struct_begin().unwrap();
        let mut seen = Vec::new();
        while let Some(f) = r.read_field_begin().unwrap() {
            seen.push(f.id);
            match f.id {
                1 => assert!(r.read_bool().unwrap()),
                2 => assert!(!r.read_bool().unwrap()),
                3 => assert_eq!(r.read_i8().unwrap(), -5),
                4 => assert_eq!(r.read_i16().unwrap(), -300),
                5 => assert_eq!(r.read_i32().unwrap(), i32::MIN),
                6 => assert_eq!(r.read_i64().unwrap(), i64::MIN),
                7 => assert_eq!(r.read_double().unwrap(), -1.5),
                8 => assert_eq!(r.read_str().unwrap(), "héllo"),
                9 => assert_eq!(r.read_binary().unwrap(), &[0, 0xff, 0x80]),
                10 => {
                    let h = r.read_list_begin().unwrap();
                    assert_eq!(h, ListHeader { elem: TType::Bool, len: 3 });
                    let v: Vec<bool> = (0..3).map(|_| r.read_bool().unwrap()).collect();
                    assert_eq!(v, [true, false, true]);
                }
                11 => {
                    let h = r.read_map_begin().unwrap();
                    assert_eq!(h, MapHeader { key: TType::Binary, value: TType::List, len: 2 });
                    for key in ["a", "b"] {
                        assert_eq!(r.read_str().unwrap(), key);
                        let l = r.read_list_begin().unwrap();
                        assert_eq!(l, ListHeader { elem: TType::I64, len: 20 });
                        for i in 0..20 {
                            assert_eq!(r.read_i64().unwrap(), i * -1000);
                        }
                    }
                }
                300 => {
                    assert_eq!(f.ttype, TType::Struct);
                    r.skip(TType::Struct).unwrap();
                }
                301 => assert_eq!(r.read_uuid().unwrap(), [7; 16]),
                -3 => assert_eq!(r.read_i32().unwrap(), 9),
                302 => assert_eq!(r.read_map_begin().unwrap().len, 0),
                other => panic!("unexpected field {other}"),
            }
        }
        r.read_struct_end();
        assert_eq!(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 300, 301, -3, 302]);
        assert!(r.is_empty());
    }

    fn skip_everything<'a, R: ProtocolReader<'a>>(r: &mut R) {
        r.read_message_begin().unwrap();
        r.skip(TType::Struct).unwrap();
        assert!(r.is_empty());
    }

    #[test]
    fn round_trip_every_type_compact() {
        let mut w = CompactWriter::new();
        write_everything(&mut w);
        let bytes = w.into_inner();
        read_everything(&mut CompactReader::new(&bytes));
        skip_everything(&mut CompactReader::new(&bytes));
    }

    #[test]
    fn round_trip_every_type_binary() {
        let mut w = BinaryWriter::new();
        write_everything(&mut w);
        let bytes = w.into_inner();
        read_everything(&mut BinaryReader::new(&bytes));
        skip_everything(&mut BinaryReader::new(&bytes));
    }

    /// Cutting a valid input anywhere gives an error naming an offset inside the input.
    fn truncations<'a, R: ProtocolReader<'a>>(bytes: &'a [u8], new: impl Fn(&'a [u8]) -> R) {
        for cut in 0..bytes.len() {
            let mut r = new(&bytes[..cut]);
            let result = r.read_message_begin().and_then(|_| r.skip(TType::Struct));
            let err = result.expect_err("truncated input must fail");
            assert!(err.offset <= cut, "offset {} beyond cut {cut}", err.offset);
        }
    }

    #[test]
    fn truncated_inputs_fail() {
        let mut w = CompactWriter::new();
        write_everything(&mut w);
        truncations(&w.into_inner(), CompactReader::new);
        let mut w = BinaryWriter::new();
        write_everything(&mut w);
        truncations(&w.into_inner(), BinaryReader::new);
    }

    #[test]
    fn deep_nesting_is_refused() {
        // Compact: 100 nested lists of one list each.
        let mut bytes = vec![0x19; 100];
        bytes.push(0x00);
        let err = CompactReader::new(&bytes).skip(TType::List).unwrap_err();
        assert_eq!(err.kind, ErrorKind::TooDeep);
        // Binary: 100 nested structs, each in field 1.
        let mut bytes = Vec::new();
        for _ in 0..100 {
            bytes.extend_from_slice(&[12, 0, 1]);
        }
        bytes.extend(std::iter::repeat_n(0, 101));
        let err = BinaryReader::new(&bytes).skip(TType::Struct).unwrap_err();
        assert_eq!(err.kind, ErrorKind::TooDeep);
    }

    #[test]
    fn invalid_utf8_names_the_bad_byte() {
        // Compact string of 4 bytes, the third invalid.
        let bytes = [0x04, b'a', b'b', 0xff, b'c'];
        let err = CompactReader::new(&bytes).read_str().unwrap_err();
        assert_eq!(err, ThriftError::new(3, ErrorKind::InvalidUtf8));
        // read_binary takes the same bytes as they are.
        assert_eq!(CompactReader::new(&bytes).read_binary().unwrap(), &bytes[1..]);
    }

    #[test]
    fn error_converts_to_decode_error() {
        let e = ThriftError::new(12, ErrorKind::NegativeLength(-1))
            .into_decode_error(crate::Format::JaegerThriftBinary);
        assert_eq!(e.location, crate::Location::Offset(12));
        assert_eq!(e.to_string(), "jaeger-thrift-binary: at byte 12: negative length -1");
    }
}
