//! `TBinaryProtocol`: big-endian fixed-width integers, `i32` length prefixes, one type byte and
//! an `i16` id per field header.

use super::{
    Cursor, ErrorKind, FieldHeader, ListHeader, MapHeader, MessageHeader, MessageType, Protocol,
    ProtocolReader, ProtocolWriter, Result, TType, ThriftError, MAX_DEPTH,
};

/// High half of the first word of a strict message header: `0x80 0x01` (version 1).
const VERSION_1: u32 = 0x8001_0000;
const VERSION_MASK: u32 = 0xffff_0000;

fn type_code(t: TType) -> u8 {
    match t {
        TType::Bool => 2,
        TType::Byte => 3,
        TType::Double => 4,
        TType::I16 => 6,
        TType::I32 => 8,
        TType::I64 => 10,
        TType::Binary => 11,
        TType::Struct => 12,
        TType::Map => 13,
        TType::Set => 14,
        TType::List => 15,
        TType::Uuid => 16,
    }
}

fn from_code(code: u8, at: usize) -> Result<TType> {
    Ok(match code {
        2 => TType::Bool,
        3 => TType::Byte,
        4 => TType::Double,
        6 => TType::I16,
        8 => TType::I32,
        10 => TType::I64,
        11 => TType::Binary,
        12 => TType::Struct,
        13 => TType::Map,
        14 => TType::Set,
        15 => TType::List,
        16 => TType::Uuid,
        _ => {
            return Err(ThriftError::new(
                at,
                ErrorKind::UnknownType { protocol: Protocol::Binary, code },
            ))
        }
    })
}

/// Reads the binary protocol from a byte slice. See [`ProtocolReader`].
#[derive(Debug, Clone)]
pub struct BinaryReader<'a> {
    cur: Cursor<'a>,
    depth: usize,
}

impl<'a> BinaryReader<'a> {
    /// A reader at the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        BinaryReader { cur: Cursor::new(input), depth: 0 }
    }

    /// A length or count prefix: an `i32` that must not be negative.
    #[inline]
    fn read_len(&mut self) -> Result<u64> {
        let at = self.cur.pos;
        let n = i32::from_be_bytes(self.cur.array()?);
        if n < 0 {
            return Err(ThriftError::new(at, ErrorKind::NegativeLength(n.into())));
        }
        Ok(n as u64)
    }

    /// A container's element type: unknown codes are tolerated only when no element follows.
    fn elem_type(code: u8, len: u64, at: usize) -> Result<TType> {
        match from_code(code, at) {
            Ok(t) => Ok(t),
            Err(_) if len == 0 => Ok(TType::Byte),
            Err(e) => Err(e),
        }
    }
}

impl<'a> ProtocolReader<'a> for BinaryReader<'a> {
    const PROTOCOL: Protocol = Protocol::Binary;

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
        let first = i32::from_be_bytes(self.cur.array()?);
        let bad = |why: String| ThriftError::new(at, ErrorKind::BadMessage(why));
        if first < 0 {
            // Strict: version word, name, seqid.
            let word = first as u32;
            if word & VERSION_MASK != VERSION_1 {
                return Err(bad(format!("bad version word {word:#010x}")));
            }
            let code = (word & 0xff) as u8;
            let kind = MessageType::from_code(code)
                .ok_or_else(|| bad(format!("unknown message type {code}")))?;
            let name = self.read_str()?;
            let seq_id = self.read_i32()?;
            Ok(MessageHeader { name, kind, seq_id })
        } else {
            // Old non-strict form: name (the word was its length), type byte, seqid.
            let bytes = self.cur.bytes(first as u64, at)?;
            let name = std::str::from_utf8(bytes)
                .map_err(|e| ThriftError::new(at + 4 + e.valid_up_to(), ErrorKind::InvalidUtf8))?;
            let code_at = self.cur.pos;
            let code = self.cur.byte()?;
            let kind = MessageType::from_code(code).ok_or_else(|| {
                ThriftError::new(
                    code_at,
                    ErrorKind::BadMessage(format!("unknown message type {code}")),
                )
            })?;
            let seq_id = self.read_i32()?;
            Ok(MessageHeader { name, kind, seq_id })
        }
    }

    #[inline]
    fn read_struct_begin(&mut self) -> Result<()> {
        if self.depth >= MAX_DEPTH {
            return Err(ThriftError::new(self.cur.pos, ErrorKind::TooDeep));
        }
        self.depth += 1;
        Ok(())
    }

    #[inline]
    fn read_struct_end(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    #[inline]
    fn read_field_begin(&mut self) -> Result<Option<FieldHeader>> {
        let at = self.cur.pos;
        let code = self.cur.byte()?;
        if code == 0 {
            return Ok(None);
        }
        let ttype = from_code(code, at)?;
        let id = i16::from_be_bytes(self.cur.array()?);
        Ok(Some(FieldHeader { id, ttype }))
    }

    #[inline]
    fn read_bool(&mut self) -> Result<bool> {
        Ok(self.cur.byte()? != 0)
    }

    #[inline]
    fn read_i8(&mut self) -> Result<i8> {
        Ok(self.cur.byte()? as i8)
    }

    #[inline]
    fn read_i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(self.cur.array()?))
    }

    #[inline]
    fn read_i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.cur.array()?))
    }

    #[inline]
    fn read_i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.cur.array()?))
    }

    #[inline]
    fn read_double(&mut self) -> Result<f64> {
        Ok(f64::from_bits(u64::from_be_bytes(self.cur.array()?)))
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
        let code = self.cur.byte()?;
        let len = self.read_len()?;
        let elem = Self::elem_type(code, len, at)?;
        let len = self.cur.check_count(len, elem.min_size(Protocol::Binary), at)?;
        Ok(ListHeader { elem, len })
    }

    fn read_map_begin(&mut self) -> Result<MapHeader> {
        let at = self.cur.pos;
        let [k, v] = self.cur.array()?;
        let len = self.read_len()?;
        let key = Self::elem_type(k, len, at)?;
        let value = Self::elem_type(v, len, at)?;
        let min = key.min_size(Protocol::Binary) + value.min_size(Protocol::Binary);
        let len = self.cur.check_count(len, min, at)?;
        Ok(MapHeader { key, value, len })
    }
}

/// Writes the binary protocol (strict message headers). See [`ProtocolWriter`].
#[derive(Debug, Clone, Default)]
pub struct BinaryWriter {
    buf: Vec<u8>,
}

impl BinaryWriter {
    /// A writer with an empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer appending to `buf` (reuse a buffer across messages).
    pub fn with_buffer(buf: Vec<u8>) -> Self {
        BinaryWriter { buf }
    }

    #[inline]
    fn write_len(&mut self, len: usize) {
        let len = i32::try_from(len).expect("Thrift lengths are at most i32::MAX");
        self.buf.extend_from_slice(&len.to_be_bytes());
    }
}

impl ProtocolWriter for BinaryWriter {
    const PROTOCOL: Protocol = Protocol::Binary;

    fn bytes(&self) -> &[u8] {
        &self.buf
    }

    fn into_inner(self) -> Vec<u8> {
        self.buf
    }

    fn clear(&mut self) {
        self.buf.clear();
    }

    #[inline]
    fn write_raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn write_message_begin(&mut self, name: &str, kind: MessageType, seq_id: i32) {
        self.buf.extend_from_slice(&(VERSION_1 | kind as u32).to_be_bytes());
        self.write_str(name);
        self.write_i32(seq_id);
    }

    #[inline]
    fn write_struct_begin(&mut self) {}

    #[inline]
    fn write_struct_end(&mut self) {}

    #[inline]
    fn write_field_begin(&mut self, ttype: TType, id: i16) {
        self.buf.push(type_code(ttype));
        self.buf.extend_from_slice(&id.to_be_bytes());
    }

    #[inline]
    fn write_field_stop(&mut self) {
        self.buf.push(0);
    }

    #[inline]
    fn write_bool(&mut self, value: bool) {
        self.buf.push(value as u8);
    }

    #[inline]
    fn write_i8(&mut self, value: i8) {
        self.buf.push(value as u8);
    }

    #[inline]
    fn write_i16(&mut self, value: i16) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    #[inline]
    fn write_i32(&mut self, value: i32) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    #[inline]
    fn write_i64(&mut self, value: i64) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    #[inline]
    fn write_double(&mut self, value: f64) {
        self.buf.extend_from_slice(&value.to_bits().to_be_bytes());
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
        self.buf.push(type_code(elem));
        self.write_len(len);
    }

    #[inline]
    fn write_map_begin(&mut self, key: TType, value: TType, len: usize) {
        self.buf.push(type_code(key));
        self.buf.push(type_code(value));
        self.write_len(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_message_header_bytes() {
        let mut w = BinaryWriter::new();
        w.write_message_begin("emitBatch", MessageType::Oneway, 1);
        let mut expected = vec![0x80, 0x01, 0x00, 0x04, 0, 0, 0, 9];
        expected.extend_from_slice(b"emitBatch");
        expected.extend_from_slice(&[0, 0, 0, 1]);
        assert_eq!(w.bytes(), expected);
        let m = BinaryReader::new(&expected).read_message_begin().unwrap();
        assert_eq!(m, MessageHeader { name: "emitBatch", kind: MessageType::Oneway, seq_id: 1 });
    }

    #[test]
    fn non_strict_message_header() {
        let mut bytes = vec![0, 0, 0, 4];
        bytes.extend_from_slice(b"ping");
        bytes.push(1); // CALL
        bytes.extend_from_slice(&(-2i32).to_be_bytes());
        let mut r = BinaryReader::new(&bytes);
        let m = r.read_message_begin().unwrap();
        assert_eq!(m, MessageHeader { name: "ping", kind: MessageType::Call, seq_id: -2 });
        assert!(r.is_empty());
    }

    #[test]
    fn bad_message_headers() {
        let err = BinaryReader::new(&[0x80, 0x02, 0, 1, 0, 0, 0, 0]).read_message_begin();
        assert!(
            matches!(err.unwrap_err().kind, ErrorKind::BadMessage(ref m) if m.contains("version"))
        );
        let err = BinaryReader::new(&[0x80, 0x01, 0, 9, 0, 0, 0, 0]).read_message_begin();
        assert!(
            matches!(err.unwrap_err().kind, ErrorKind::BadMessage(ref m) if m.contains("type 9"))
        );
        // Non-strict name length far beyond the input.
        let err =
            BinaryReader::new(&[0x7f, 0xff, 0xff, 0xff, b'a']).read_message_begin().unwrap_err();
        assert_eq!(err.offset, 0);
        assert_eq!(err.kind, ErrorKind::LengthTooLarge { len: 0x7fff_ffff, remaining: 1 });
    }

    #[test]
    fn field_and_value_bytes() {
        let mut w = BinaryWriter::new();
        w.write_i64_field(1, -2);
        w.write_str_field(5, "op");
        w.write_bool_field(7, true);
        w.write_double_field(2, 1.0);
        w.write_field_begin(TType::List, 10);
        w.write_list_begin(TType::Struct, 3);
        w.write_field_stop();
        assert_eq!(
            w.bytes(),
            [
                10, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, // i64 field 1 = -2
                11, 0, 5, 0, 0, 0, 2, b'o', b'p', // string field 5
                2, 0, 7, 1, // bool field 7
                4, 0, 2, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, // double 1.0
                15, 0, 10, 12, 0, 0, 0, 3, // list<struct> of 3
                0,
            ]
        );
    }

    #[test]
    fn hostile_lengths_fail_fast() {
        // A string claiming 2 GiB in a 20-byte input.
        let mut bytes = vec![0x7f, 0xff, 0xff, 0xff];
        bytes.extend_from_slice(&[b'x'; 16]);
        let err = BinaryReader::new(&bytes).read_binary().unwrap_err();
        assert_eq!(
            err,
            ThriftError::new(0, ErrorKind::LengthTooLarge { len: 0x7fff_ffff, remaining: 16 })
        );
        // Negative length.
        let err = BinaryReader::new(&[0xff, 0xff, 0xff, 0xfe]).read_binary().unwrap_err();
        assert_eq!(err.kind, ErrorKind::NegativeLength(-2));
        // A list of 100 million structs after 2 bytes of field header.
        let mut bytes = vec![0, 0];
        bytes.extend_from_slice(&[12, 0x05, 0xf5, 0xe1, 0x00]);
        bytes.extend_from_slice(&[0; 13]);
        let mut r = BinaryReader::new(&bytes);
        r.cur.pos = 2;
        let err = r.read_list_begin().unwrap_err();
        assert_eq!(
            err,
            ThriftError::new(
                2,
                ErrorKind::CountTooLarge { count: 100_000_000, min_size: 1, remaining: 13 }
            )
        );
        // A list of 3 i64 needs 24 bytes.
        let err = BinaryReader::new(&[10, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0]).read_list_begin();
        assert_eq!(
            err.unwrap_err().kind,
            ErrorKind::CountTooLarge { count: 3, min_size: 8, remaining: 8 }
        );
        // A map of 2^30 entries.
        let err = BinaryReader::new(&[11, 11, 0x40, 0, 0, 0, 1, 2, 3]).read_map_begin();
        assert_eq!(
            err.unwrap_err().kind,
            ErrorKind::CountTooLarge { count: 1 << 30, min_size: 8, remaining: 3 }
        );
    }

    #[test]
    fn unknown_type_codes() {
        let err = BinaryReader::new(&[7, 0, 1]).read_field_begin().unwrap_err();
        assert_eq!(
            err,
            ThriftError::new(0, ErrorKind::UnknownType { protocol: Protocol::Binary, code: 7 })
        );
        // An empty list with a junk element type is tolerated.
        let h = BinaryReader::new(&[0, 0, 0, 0, 0]).read_list_begin().unwrap();
        assert_eq!(h.len, 0);
        assert!(BinaryReader::new(&[0, 0, 0, 0, 1, 0]).read_list_begin().is_err());
    }
}
