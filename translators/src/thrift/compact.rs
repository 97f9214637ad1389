//! `TCompactProtocol`: zigzag varints for integers, little-endian doubles, field ids as deltas
//! from the previous field of the same struct (4 bits) or in full, bool values packed into
//! their field header, and short list headers for fewer than 15 elements.

use super::{
    Cursor, ErrorKind, FieldHeader, ListHeader, MapHeader, MessageHeader, MessageType, Protocol,
    ProtocolReader, ProtocolWriter, Result, TType, ThriftError, MAX_DEPTH,
};

const PROTOCOL_ID: u8 = 0x82;
const VERSION: u8 = 1;
const VERSION_MASK: u8 = 0x1f;
const TYPE_SHIFT: u8 = 5;

// Compact type codes. Bools have two: the value itself, in field headers.
const CT_BOOL_TRUE: u8 = 1;
const CT_BOOL_FALSE: u8 = 2;

fn type_code(t: TType) -> u8 {
    match t {
        // In list headers Apache writes BOOLEAN_TRUE for the bool element type.
        TType::Bool => CT_BOOL_TRUE,
        TType::Byte => 3,
        TType::I16 => 4,
        TType::I32 => 5,
        TType::I64 => 6,
        TType::Double => 7,
        TType::Binary => 8,
        TType::List => 9,
        TType::Set => 10,
        TType::Map => 11,
        TType::Struct => 12,
        TType::Uuid => 13,
    }
}

#[inline]
fn from_code(code: u8) -> Option<TType> {
    Some(match code {
        CT_BOOL_TRUE | CT_BOOL_FALSE => TType::Bool,
        3 => TType::Byte,
        4 => TType::I16,
        5 => TType::I32,
        6 => TType::I64,
        7 => TType::Double,
        8 => TType::Binary,
        9 => TType::List,
        10 => TType::Set,
        11 => TType::Map,
        12 => TType::Struct,
        13 => TType::Uuid,
        _ => return None,
    })
}

fn unknown(code: u8, at: usize) -> ThriftError {
    ThriftError::new(at, ErrorKind::UnknownType { protocol: Protocol::Compact, code })
}

#[inline]
fn zigzag_decode32(n: u32) -> i32 {
    ((n >> 1) as i32) ^ -((n & 1) as i32)
}

#[inline]
fn zigzag_decode64(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

#[inline]
fn zigzag_encode32(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

#[inline]
fn zigzag_encode64(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// Reads the compact protocol from a byte slice. See [`ProtocolReader`].
#[derive(Debug, Clone)]
pub struct CompactReader<'a> {
    cur: Cursor<'a>,
    /// Id of the last field read in the current struct (field-id deltas are relative to it).
    last_field: i16,
    /// `last_field` of each enclosing struct; `depth` entries are in use.
    stack: [i16; MAX_DEPTH],
    depth: usize,
    /// A bool field's value, read from its header, until `read_bool` takes it.
    pending_bool: Option<bool>,
}

impl<'a> CompactReader<'a> {
    /// A reader at the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        CompactReader {
            cur: Cursor::new(input),
            last_field: 0,
            stack: [0; MAX_DEPTH],
            depth: 0,
            pending_bool: None,
        }
    }

    /// The bytes not read yet (for callers with a fast path for a known struct shape; they
    /// go on with [`CompactReader::advance`] or, when the shape is not theirs, read as usual).
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.cur.rest()
    }

    /// True when one more struct may be opened ([`ProtocolReader::read_struct_begin`] would
    /// not refuse it for depth).
    #[inline]
    pub fn can_nest(&self) -> bool {
        self.depth < MAX_DEPTH
    }

    /// Skips `n` bytes a fast path has read as one whole value (a struct from its first field
    /// header to its stop byte): the reader is then where reading that value field by field
    /// would have left it. At most the bytes left are skipped.
    #[inline]
    pub fn advance(&mut self, n: usize) {
        self.cur.pos += n.min(self.cur.remaining());
        self.pending_bool = None;
    }

    /// An unsigned LEB128 varint of at most `max` bytes.
    #[inline]
    fn varint(&mut self, max: usize) -> Result<u64> {
        let rest = self.cur.rest();
        let mut value = 0u64;
        for (i, &b) in rest.iter().take(max).enumerate() {
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.cur.pos += i + 1;
                return Ok(value);
            }
        }
        if rest.len() < max {
            Err(ThriftError::new(
                self.cur.pos + rest.len(),
                ErrorKind::Eof { needed: 1, remaining: 0 },
            ))
        } else {
            Err(ThriftError::new(self.cur.pos, ErrorKind::VarintTooLong(max)))
        }
    }

    /// A 32-bit varint (at most 5 bytes; bits above 32 are dropped, as Apache does).
    #[inline]
    fn varint32(&mut self) -> Result<u32> {
        self.varint(5).map(|v| v as u32)
    }

    /// A length or count: a 32-bit varint that must fit in a non-negative `i32`.
    #[inline]
    fn read_len(&mut self) -> Result<u64> {
        let at = self.cur.pos;
        let n = self.varint32()?;
        if n > i32::MAX as u32 {
            return Err(ThriftError::new(at, ErrorKind::NegativeLength((n as i32).into())));
        }
        Ok(n.into())
    }

    fn elem_type(code: u8, len: u64, at: usize) -> Result<TType> {
        match from_code(code) {
            Some(t) => Ok(t),
            None if len == 0 => Ok(TType::Byte),
            None => Err(unknown(code, at)),
        }
    }
}

impl<'a> ProtocolReader<'a> for CompactReader<'a> {
    const PROTOCOL: Protocol = Protocol::Compact;

    #[inline]
    fn position(&self) -> usize {
        self.cur.pos
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.cur.remaining()
    }

    fn read_message_begin(&mut self) -> Result<MessageHeader<'a>> {
        let at = self.cur.pos;
        let bad = |why: String| ThriftError::new(at, ErrorKind::BadMessage(why));
        let [id, version_type] = self.cur.array()?;
        if id != PROTOCOL_ID {
            return Err(bad(format!("protocol id {id:#04x} is not the compact protocol's 0x82")));
        }
        let version = version_type & VERSION_MASK;
        if version != VERSION {
            return Err(bad(format!("unsupported compact protocol version {version}")));
        }
        let code = version_type >> TYPE_SHIFT;
        let kind = MessageType::from_code(code)
            .ok_or_else(|| bad(format!("unknown message type {code}")))?;
        // The sequence id is a plain (not zigzag) varint of the i32's bits.
        let seq_id = self.varint32()? as i32;
        let name = self.read_str()?;
        Ok(MessageHeader { name, kind, seq_id })
    }

    #[inline]
    fn read_struct_begin(&mut self) -> Result<()> {
        if self.depth >= MAX_DEPTH {
            return Err(ThriftError::new(self.cur.pos, ErrorKind::TooDeep));
        }
        self.stack[self.depth] = self.last_field;
        self.depth += 1;
        self.last_field = 0;
        Ok(())
    }

    #[inline]
    fn read_struct_end(&mut self) {
        if self.depth > 0 {
            self.depth -= 1;
            self.last_field = self.stack[self.depth];
        }
    }

    #[inline]
    fn read_field_begin(&mut self) -> Result<Option<FieldHeader>> {
        self.pending_bool = None;
        let at = self.cur.pos;
        let header = self.cur.byte()?;
        let code = header & 0x0f;
        if code == 0 {
            return Ok(None);
        }
        let ttype = from_code(code).ok_or_else(|| unknown(code, at))?;
        let delta = header >> 4;
        let id = if delta != 0 {
            self.last_field.wrapping_add(delta.into())
        } else {
            zigzag_decode32(self.varint32()?) as i16
        };
        self.last_field = id;
        if ttype == TType::Bool {
            self.pending_bool = Some(code == CT_BOOL_TRUE);
        }
        Ok(Some(FieldHeader { id, ttype }))
    }

    #[inline]
    fn read_bool(&mut self) -> Result<bool> {
        match self.pending_bool.take() {
            Some(v) => Ok(v),
            // Outside a field header (list elements), a byte: 1 true, anything else false.
            None => Ok(self.cur.byte()? == CT_BOOL_TRUE),
        }
    }

    #[inline]
    fn read_i8(&mut self) -> Result<i8> {
        Ok(self.cur.byte()? as i8)
    }

    #[inline]
    fn read_i16(&mut self) -> Result<i16> {
        Ok(zigzag_decode32(self.varint32()?) as i16)
    }

    #[inline]
    fn read_i32(&mut self) -> Result<i32> {
        Ok(zigzag_decode32(self.varint32()?))
    }

    #[inline]
    fn read_i64(&mut self) -> Result<i64> {
        Ok(zigzag_decode64(self.varint(10)?))
    }

    #[inline]
    fn read_double(&mut self) -> Result<f64> {
        Ok(f64::from_bits(u64::from_le_bytes(self.cur.array()?)))
    }

    #[inline]
    fn read_uuid(&mut self) -> Result<[u8; 16]> {
        self.cur.array()
    }

    #[inline]
    fn read_binary(&mut self) -> Result<&'a [u8]> {
        let at = self.cur.pos;
        let len = self.read_len()?;
        self.cur.bytes(len, at)
    }

    #[inline]
    fn read_list_begin(&mut self) -> Result<ListHeader> {
        let at = self.cur.pos;
        let header = self.cur.byte()?;
        let short = u64::from(header >> 4);
        let len = if short == 15 { self.read_len()? } else { short };
        let elem = Self::elem_type(header & 0x0f, len, at)?;
        let len = self.cur.check_count(len, elem.min_size(Protocol::Compact), at)?;
        Ok(ListHeader { elem, len })
    }

    fn read_map_begin(&mut self) -> Result<MapHeader> {
        let at = self.cur.pos;
        let len = self.read_len()?;
        if len == 0 {
            // An empty map is the single byte 0: no key or value types.
            return Ok(MapHeader { key: TType::Byte, value: TType::Byte, len: 0 });
        }
        let types = self.cur.byte()?;
        let key = from_code(types >> 4).ok_or_else(|| unknown(types >> 4, at))?;
        let value = from_code(types & 0x0f).ok_or_else(|| unknown(types & 0x0f, at))?;
        let min = key.min_size(Protocol::Compact) + value.min_size(Protocol::Compact);
        let len = self.cur.check_count(len, min, at)?;
        Ok(MapHeader { key, value, len })
    }
}

/// Writes the compact protocol. See [`ProtocolWriter`].
#[derive(Debug, Clone, Default)]
pub struct CompactWriter {
    buf: Vec<u8>,
    last_field: i16,
    /// `last_field` of each enclosing struct.
    stack: Vec<i16>,
    /// The id of a bool field whose header waits for its value.
    pending_bool_field: Option<i16>,
}

impl CompactWriter {
    /// A writer with an empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer appending to `buf` (reuse a buffer across messages).
    pub fn with_buffer(buf: Vec<u8>) -> Self {
        CompactWriter { buf, ..Self::default() }
    }

    #[inline]
    fn varint(&mut self, mut n: u64) {
        if n < 0x80 {
            self.buf.push(n as u8);
            return;
        }
        // Encoded into a fixed 10-byte block, appended whole and cut back: one capacity
        // check and a fixed-size copy instead of a push per byte.
        let mut block = [0u8; 10];
        let mut len = 0;
        while n >= 0x80 {
            block[len] = (n as u8) | 0x80;
            n >>= 7;
            len += 1;
        }
        block[len] = n as u8;
        let end = self.buf.len() + len + 1;
        self.buf.extend_from_slice(&block);
        self.buf.truncate(end);
    }

    #[inline]
    fn write_len(&mut self, len: usize) {
        let len = i32::try_from(len).expect("Thrift lengths are at most i32::MAX");
        self.varint(len as u64);
    }

    /// A field header with the given compact type code: the id as a delta from the previous
    /// field when it is 1..=15, else a type byte followed by the zigzag id.
    #[inline]
    fn field_header(&mut self, code: u8, id: i16) {
        let delta = i32::from(id) - i32::from(self.last_field);
        if (1..=15).contains(&delta) {
            self.buf.push(((delta as u8) << 4) | code);
        } else {
            self.buf.push(code);
            self.varint(zigzag_encode32(id.into()).into());
        }
        self.last_field = id;
    }
}

impl CompactWriter {
    /// The output buffer, for callers that append a whole struct's bytes at once (a struct
    /// from its first field header to its stop byte leaves the writer's field state as it
    /// was). Appending anything else breaks the output.
    #[inline]
    pub fn buffer_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

impl ProtocolWriter for CompactWriter {
    const PROTOCOL: Protocol = Protocol::Compact;

    fn bytes(&self) -> &[u8] {
        &self.buf
    }

    fn into_inner(self) -> Vec<u8> {
        self.buf
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.last_field = 0;
        self.stack.clear();
        self.pending_bool_field = None;
    }

    #[inline]
    fn write_raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn write_message_begin(&mut self, name: &str, kind: MessageType, seq_id: i32) {
        self.buf.push(PROTOCOL_ID);
        self.buf.push(VERSION | ((kind as u8) << TYPE_SHIFT));
        self.varint(u64::from(seq_id as u32));
        self.write_str(name);
    }

    #[inline]
    fn write_struct_begin(&mut self) {
        self.stack.push(self.last_field);
        self.last_field = 0;
    }

    #[inline]
    fn write_struct_end(&mut self) {
        self.last_field = self.stack.pop().unwrap_or(0);
    }

    #[inline]
    fn write_field_begin(&mut self, ttype: TType, id: i16) {
        if ttype == TType::Bool {
            self.pending_bool_field = Some(id);
        } else {
            self.field_header(type_code(ttype), id);
        }
    }

    #[inline]
    fn write_field_stop(&mut self) {
        self.buf.push(0);
    }

    #[inline]
    fn write_bool(&mut self, value: bool) {
        let code = if value { CT_BOOL_TRUE } else { CT_BOOL_FALSE };
        match self.pending_bool_field.take() {
            Some(id) => self.field_header(code, id),
            None => self.buf.push(code),
        }
    }

    #[inline]
    fn write_i8(&mut self, value: i8) {
        self.buf.push(value as u8);
    }

    #[inline]
    fn write_i16(&mut self, value: i16) {
        self.varint(zigzag_encode32(value.into()).into());
    }

    #[inline]
    fn write_i32(&mut self, value: i32) {
        self.varint(zigzag_encode32(value).into());
    }

    #[inline]
    fn write_i64(&mut self, value: i64) {
        self.varint(zigzag_encode64(value));
    }

    #[inline]
    fn write_double(&mut self, value: f64) {
        self.buf.extend_from_slice(&value.to_bits().to_le_bytes());
    }

    #[inline]
    fn write_uuid(&mut self, value: &[u8; 16]) {
        self.buf.extend_from_slice(value);
    }

    #[inline]
    fn write_binary(&mut self, value: &[u8]) {
        self.write_len(value.len());
        self.buf.extend_from_slice(value);
    }

    #[inline]
    fn write_list_begin(&mut self, elem: TType, len: usize) {
        let code = type_code(elem);
        if len < 15 {
            self.buf.push(((len as u8) << 4) | code);
        } else {
            self.buf.push(0xf0 | code);
            self.write_len(len);
        }
    }

    #[inline]
    fn write_map_begin(&mut self, key: TType, value: TType, len: usize) {
        if len == 0 {
            self.buf.push(0);
        } else {
            self.write_len(len);
            self.buf.push((type_code(key) << 4) | type_code(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_varint_bytes() {
        // Known encodings from the compact protocol spec: zigzag then LEB128.
        let cases: [(i64, &[u8]); 9] = [
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (-2, &[0x03]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (i64::MAX, &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            (i64::MIN, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
        ];
        for (value, bytes) in cases {
            let mut w = CompactWriter::new();
            w.write_i64(value);
            assert_eq!(w.bytes(), bytes, "i64 {value}");
            let mut r = CompactReader::new(bytes);
            assert_eq!(r.read_i64().unwrap(), value);
            assert!(r.is_empty());
        }
        let mut w = CompactWriter::new();
        w.write_i32(i32::MIN);
        w.write_i16(-300);
        assert_eq!(w.bytes(), [0xff, 0xff, 0xff, 0xff, 0x0f, 0xd7, 0x04]);
        let mut r = CompactReader::new(w.bytes());
        assert_eq!((r.read_i32().unwrap(), r.read_i16().unwrap()), (i32::MIN, -300));
    }

    #[test]
    fn field_headers_delta_and_long_form() {
        let mut w = CompactWriter::new();
        w.write_struct_begin();
        w.write_i64_field(1, 0); // delta 1: 0x16
        w.write_i64_field(16, 0); // delta 15: 0xf6
        w.write_i32_field(32, 0); // delta 16: long form 0x05, zigzag(32)=64
        w.write_i32_field(2, 0); // going back: long form 0x05, zigzag(2)=4
        w.write_bool_field(3, true); // delta 1, BOOLEAN_TRUE: 0x11
        w.write_bool_field(4, false); // delta 1, BOOLEAN_FALSE: 0x12
        w.write_field_begin(TType::Struct, 5); // 0x1c
        w.write_struct_begin();
        w.write_str_field(1, "a"); // nested struct restarts at 0: 0x18
        w.write_field_stop();
        w.write_struct_end();
        w.write_double_field(6, 1.0); // back to the outer last id 5: 0x17
        w.write_field_stop();
        w.write_struct_end();
        let expected = [
            0x16, 0x00, 0xf6, 0x00, 0x05, 0x40, 0x00, 0x05, 0x04, 0x00, 0x11, 0x12, 0x1c, 0x18,
            0x01, b'a', 0x00, 0x17, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x00,
        ];
        assert_eq!(w.bytes(), expected);

        let mut r = CompactReader::new(&expected);
        r.read_struct_begin().unwrap();
        let mut fields = Vec::new();
        while let Some(f) = r.read_field_begin().unwrap() {
            fields.push((f.id, f.ttype));
            if f.ttype == TType::Bool {
                assert_eq!(r.read_bool().unwrap(), f.id == 3);
            } else {
                r.skip(f.ttype).unwrap();
            }
        }
        r.read_struct_end();
        assert_eq!(
            fields,
            [
                (1, TType::I64),
                (16, TType::I64),
                (32, TType::I32),
                (2, TType::I32),
                (3, TType::Bool),
                (4, TType::Bool),
                (5, TType::Struct),
                (6, TType::Double),
            ]
        );
        assert!(r.is_empty());
    }

    #[test]
    fn list_and_map_headers() {
        let mut w = CompactWriter::new();
        w.write_list_begin(TType::Struct, 14); // short form
        w.write_list_begin(TType::Struct, 15); // long form
        w.write_list_begin(TType::Bool, 300);
        w.write_map_begin(TType::Binary, TType::I64, 0);
        w.write_map_begin(TType::Binary, TType::I64, 2);
        assert_eq!(w.bytes(), [0xec, 0xfc, 0x0f, 0xf1, 0xac, 0x02, 0x00, 0x02, 0x86]);
        let mut padded = w.bytes().to_vec();
        padded.resize(400, 0);
        let mut r = CompactReader::new(&padded);
        assert_eq!(r.read_list_begin().unwrap(), ListHeader { elem: TType::Struct, len: 14 });
        assert_eq!(r.read_list_begin().unwrap(), ListHeader { elem: TType::Struct, len: 15 });
        assert_eq!(r.read_list_begin().unwrap(), ListHeader { elem: TType::Bool, len: 300 });
        assert_eq!(r.read_map_begin().unwrap().len, 0);
        assert_eq!(
            r.read_map_begin().unwrap(),
            MapHeader { key: TType::Binary, value: TType::I64, len: 2 }
        );
        // A list whose element type code is BOOLEAN_FALSE is a bool list too.
        assert_eq!(
            CompactReader::new(&[0x12, 1, 2]).read_list_begin().unwrap(),
            ListHeader { elem: TType::Bool, len: 1 }
        );
    }

    #[test]
    fn message_header_bytes() {
        let mut w = CompactWriter::new();
        w.write_message_begin("emitBatch", MessageType::Oneway, 1);
        let mut expected = vec![0x82, 0x81, 0x01, 0x09];
        expected.extend_from_slice(b"emitBatch");
        assert_eq!(w.bytes(), expected);
        let m = CompactReader::new(&expected).read_message_begin().unwrap();
        assert_eq!(m, MessageHeader { name: "emitBatch", kind: MessageType::Oneway, seq_id: 1 });
        // Negative seqid: a plain varint of the i32 bits (5 bytes).
        let mut w = CompactWriter::new();
        w.write_message_begin("x", MessageType::Call, -2);
        assert_eq!(w.bytes(), [0x82, 0x21, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x01, b'x']);
        assert_eq!(CompactReader::new(w.bytes()).read_message_begin().unwrap().seq_id, -2);

        let err = CompactReader::new(&[0x80, 0x01, 0, 1]).read_message_begin().unwrap_err();
        assert!(matches!(err.kind, ErrorKind::BadMessage(ref m) if m.contains("0x80")), "{err}");
        let err = CompactReader::new(&[0x82, 0x82, 0, 0]).read_message_begin().unwrap_err();
        assert!(
            matches!(err.kind, ErrorKind::BadMessage(ref m) if m.contains("version 2")),
            "{err}"
        );
    }

    #[test]
    fn hostile_lengths_fail_fast() {
        // 20 bytes: a string claiming 2^31-1 bytes.
        let mut bytes = vec![0xff, 0xff, 0xff, 0xff, 0x07];
        bytes.resize(20, b'x');
        let err = CompactReader::new(&bytes).read_binary().unwrap_err();
        assert_eq!(
            err,
            ThriftError::new(0, ErrorKind::LengthTooLarge { len: 0x7fff_ffff, remaining: 15 })
        );
        // A length that is negative as an i32.
        let err = CompactReader::new(&[0xff, 0xff, 0xff, 0xff, 0x0f]).read_binary().unwrap_err();
        assert_eq!(err.kind, ErrorKind::NegativeLength(-1));
        // A list of 2^31-1 structs at offset 3.
        let mut bytes = vec![0x19, 0x1c, 0x00, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07];
        bytes.resize(20, 0);
        let mut r = CompactReader::new(&bytes);
        r.cur.pos = 3;
        let err = r.read_list_begin().unwrap_err();
        assert_eq!(
            err,
            ThriftError::new(
                3,
                ErrorKind::CountTooLarge { count: 0x7fff_ffff, min_size: 1, remaining: 11 }
            )
        );
        // A list of 14 doubles needs 112 bytes.
        let err =
            CompactReader::new(&[0xe7, 0, 0, 0, 0, 0, 0, 0, 0]).read_list_begin().unwrap_err();
        assert_eq!(err.kind, ErrorKind::CountTooLarge { count: 14, min_size: 8, remaining: 8 });
        // Skipping such a list as an unknown field fails the same way, before any element.
        let err =
            CompactReader::new(&[0xe7, 0, 0, 0, 0, 0, 0, 0, 0]).skip(TType::List).unwrap_err();
        assert_eq!(err.offset, 0);
    }

    #[test]
    fn varint_limits() {
        let err = CompactReader::new(&[0x80; 11]).read_i64().unwrap_err();
        assert_eq!(err, ThriftError::new(0, ErrorKind::VarintTooLong(10)));
        let err = CompactReader::new(&[0x80; 6]).read_i32().unwrap_err();
        assert_eq!(err, ThriftError::new(0, ErrorKind::VarintTooLong(5)));
        let err = CompactReader::new(&[0x80, 0x80]).read_i32().unwrap_err();
        assert_eq!(err, ThriftError::new(2, ErrorKind::Eof { needed: 1, remaining: 0 }));
    }

    #[test]
    fn unknown_type_codes() {
        let err = CompactReader::new(&[0x1e]).read_field_begin().unwrap_err();
        assert_eq!(
            err,
            ThriftError::new(0, ErrorKind::UnknownType { protocol: Protocol::Compact, code: 14 })
        );
        // STOP is the type nibble 0 whatever the high nibble.
        assert_eq!(CompactReader::new(&[0x00]).read_field_begin().unwrap(), None);
        // An empty list of type 0 (some writers) is accepted.
        assert_eq!(CompactReader::new(&[0x00]).read_list_begin().unwrap().len, 0);
    }
}
