//! A small borrowing JSON scanner for the Zipkin JSON readers: strings come back as slices of
//! the input unless they hold escapes, numbers as the same integer/float values serde_json
//! reads, and containers the reader does not look into are skipped (validated, not built).
//!
//! It reports *that* the JSON is broken, not where or why: the caller then asks serde_json,
//! which gives the line, column and message users already know. Nesting is limited to 128
//! levels, as serde_json limits it, so that no input can overflow the stack or be accepted
//! here and refused there.

use crate::otlp::json::writer::special_bytes;
use std::borrow::Cow;

/// The JSON is broken (or nested too deep); serde_json says where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Broken;

/// serde_json's recursion limit.
const MAX_DEPTH: usize = 128;

/// Any JSON value as read. Containers are kept as their raw text (`Json`).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum Scalar<'a> {
    /// `null`, or an absent field.
    #[default]
    Null,
    /// A string.
    Str(Cow<'a, str>),
    /// A non-negative integer that fits u64.
    U64(u64),
    /// A negative integer that fits i64.
    I64(i64),
    /// Any other number.
    F64(f64),
    /// `true` / `false`.
    Bool(bool),
    /// An array or object, as written.
    Json(&'a str),
}

impl Scalar<'_> {
    /// How the value is named in a rejection reason.
    pub fn type_name(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Str(_) => "a string",
            Scalar::U64(_) | Scalar::I64(_) | Scalar::F64(_) => "a number",
            Scalar::Bool(_) => "a bool",
            Scalar::Json(raw) if raw.starts_with('[') => "a list",
            Scalar::Json(_) => "an object",
        }
    }
}

impl<'a> Scalar<'a> {
    /// The value as tag text: strings as they are, numbers in decimal, bools lower-case,
    /// lists and objects as compact JSON (keys sorted, as serde_json's `Value` prints them);
    /// null is `None`.
    pub fn into_text(self) -> Option<Cow<'a, str>> {
        Some(match self {
            Scalar::Null => return None,
            Scalar::Str(s) => s,
            Scalar::U64(v) => Cow::Owned(v.to_string()),
            Scalar::I64(v) => Cow::Owned(v.to_string()),
            Scalar::F64(v) => Cow::Owned(v.to_string()),
            Scalar::Bool(v) => Cow::Borrowed(if v { "true" } else { "false" }),
            Scalar::Json(raw) => Cow::Owned(
                serde_json::from_str::<serde_json::Value>(raw)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|_| raw.to_string()),
            ),
        })
    }
}

/// A cursor over a JSON text.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Scanner { text, bytes: text.as_bytes(), pos: 0, depth: 0 }
    }

    /// Byte offset of the cursor.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Skips whitespace and returns the next byte (not consumed).
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// True when only whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    #[inline]
    fn expect(&mut self, c: u8) -> Result<(), Broken> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Broken)
        }
    }

    /// Enters an object or array (the opening byte is consumed).
    fn enter(&mut self) -> Result<(), Broken> {
        self.depth += 1;
        self.pos += 1;
        if self.depth > MAX_DEPTH {
            return Err(Broken);
        }
        Ok(())
    }

    /// Consumes `{`.
    pub fn begin_object(&mut self) -> Result<(), Broken> {
        if self.peek() != Some(b'{') {
            return Err(Broken);
        }
        self.enter()
    }

    /// Consumes `[`.
    pub fn begin_array(&mut self) -> Result<(), Broken> {
        if self.peek() != Some(b'[') {
            return Err(Broken);
        }
        self.enter()
    }

    /// The next key of the object being read, or `None` after its closing `}`. `first` is
    /// true before the first key.
    #[inline(always)]
    pub fn next_key(&mut self, first: &mut bool) -> Result<Option<Cow<'a, str>>, Broken> {
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(None);
            }
            Some(b',') if !*first => self.pos += 1,
            Some(b'"') if *first => {}
            _ => return Err(Broken),
        }
        *first = false;
        if self.peek() != Some(b'"') {
            return Err(Broken);
        }
        let key = self.string()?;
        self.expect(b':')?;
        Ok(Some(key))
    }

    /// True when the array being read has another element (the cursor is then on it);
    /// false after its closing `]`.
    #[inline]
    pub fn next_element(&mut self, first: &mut bool) -> Result<bool, Broken> {
        match self.peek() {
            Some(b']') => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(false);
            }
            Some(b',') if !*first => self.pos += 1,
            Some(_) if *first => {}
            _ => return Err(Broken),
        }
        *first = false;
        Ok(true)
    }

    /// Reads a string (the cursor is on its opening quote). Inlined into its few callers:
    /// the call costs a fair part of a short key.
    #[inline(always)]
    pub fn string(&mut self) -> Result<Cow<'a, str>, Broken> {
        self.pos += 1;
        let start = self.pos;
        let bytes = self.bytes;
        let mut i = start;
        // Eight bytes at a time up to the first quote, backslash or control byte.
        while let Some(chunk) = bytes.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let hit = special_bytes(u64::from_le_bytes(word));
            if hit != 0 {
                i += (hit.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        while let Some(&b) = bytes.get(i) {
            match b {
                b'"' => {
                    self.pos = i + 1;
                    // Quotes and backslashes are ASCII, so `start..i` is on char boundaries.
                    return self.text.get(start..i).map(Cow::Borrowed).ok_or(Broken);
                }
                b'\\' => return self.escaped_string(start, i),
                0..=0x1f => return Err(Broken),
                _ => i += 1,
            }
        }
        Err(Broken)
    }

    /// The slow half of [`Self::string`]: `start..i` is plain, an escape is at `i`.
    fn escaped_string(&mut self, start: usize, mut i: usize) -> Result<Cow<'a, str>, Broken> {
        let bytes = self.bytes;
        // Escaped strings met in practice are short JSON texts: room for them up front.
        let mut out: Vec<u8> = Vec::with_capacity(2 * (i - start) + 128);
        out.extend_from_slice(bytes.get(start..i).ok_or(Broken)?);
        loop {
            // Plain bytes up to the next quote, backslash or control byte, eight at a time:
            // each block is appended whole and what follows the special byte cut back (the
            // escapes of JSON-in-JSON come every few bytes, so no variable-length copies).
            loop {
                let Some(block) = bytes.get(i..).and_then(|rest| rest.first_chunk::<8>()) else {
                    match bytes.get(i) {
                        Some(&b) if b != b'"' && b != b'\\' && b >= 0x20 => {
                            out.push(b);
                            i += 1;
                            continue;
                        }
                        _ => break,
                    }
                };
                let hit = special_bytes(u64::from_le_bytes(*block));
                let len = out.len();
                out.extend_from_slice(block);
                if hit == 0 {
                    i += 8;
                    continue;
                }
                let plain = (hit.trailing_zeros() / 8) as usize;
                out.truncate(len + plain);
                i += plain;
                break;
            }
            match bytes.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    // Plain runs end on ASCII bytes and escapes give whole characters: the
                    // text stays UTF-8 (the check cannot fail).
                    return String::from_utf8(out).map(Cow::Owned).map_err(|_| Broken);
                }
                Some(b'\\') => {
                    let esc = *bytes.get(i + 1).ok_or(Broken)?;
                    i += 2;
                    let byte = match esc {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let hi = self.hex4(i)?;
                            i += 4;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                // A surrogate pair: `\uD83D\uDE00`.
                                if bytes.get(i) != Some(&b'\\') || bytes.get(i + 1) != Some(&b'u') {
                                    return Err(Broken);
                                }
                                let lo = self.hex4(i + 2)?;
                                i += 6;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(Broken);
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            let c = char::from_u32(c).ok_or(Broken)?;
                            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                            continue;
                        }
                        _ => return Err(Broken),
                    };
                    out.push(byte);
                }
                _ => return Err(Broken),
            }
        }
    }

    fn hex4(&self, at: usize) -> Result<u32, Broken> {
        let digits = self.bytes.get(at..at + 4).ok_or(Broken)?;
        let mut v = 0u32;
        for &d in digits {
            v = v * 16 + (d as char).to_digit(16).ok_or(Broken)?;
        }
        Ok(v)
    }

    /// Reads a number (the cursor is on its first byte), as serde_json reads it: integers
    /// that fit u64 (non-negative) or i64 (negative) stay integers, `-0` and everything else
    /// is an f64, and a number beyond f64's range is an error.
    fn number(&mut self) -> Result<Scalar<'a>, Broken> {
        let bytes = self.bytes;
        let start = self.pos;
        let mut i = start;
        let negative = bytes.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let digits = |i: &mut usize| {
            let from = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - from
        };
        // The integer part, its value accumulated on the way (wrapping: only used when it
        // has at most 19 digits, which fit).
        let int_start = i;
        let mut value = 0u64;
        while let Some(&d) = bytes.get(i) {
            let d = d.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            value = value.wrapping_mul(10).wrapping_add(u64::from(d));
            i += 1;
        }
        let n = i - int_start;
        if n == 0 || (n > 1 && bytes[int_start] == b'0') {
            return Err(Broken);
        }
        let mut float = false;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return Err(Broken);
            }
            float = true;
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return Err(Broken);
            }
            float = true;
        }
        self.pos = i;
        if !float && !negative && n <= 19 {
            // Fits u64 (19 digits < 2^64): timestamps and durations, without `str::parse`.
            return Ok(Scalar::U64(value));
        }
        let text = self.text.get(start..i).ok_or(Broken)?;
        if !float {
            if negative {
                if let Ok(v) = text.parse::<i64>() {
                    if v != 0 {
                        return Ok(Scalar::I64(v));
                    }
                }
            } else if let Ok(v) = text.parse::<u64>() {
                return Ok(Scalar::U64(v));
            }
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Scalar::F64(v)),
            _ => Err(Broken),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Broken> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Broken)
        }
    }

    /// Reads any value; an array or object is validated and kept as its raw text.
    pub fn value(&mut self) -> Result<Scalar<'a>, Broken> {
        match self.peek().ok_or(Broken)? {
            b'"' => self.string().map(Scalar::Str),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true").map(|_| Scalar::Bool(true)),
            b'f' => self.literal(b"false").map(|_| Scalar::Bool(false)),
            b'n' => self.literal(b"null").map(|_| Scalar::Null),
            b'[' | b'{' => {
                let start = self.pos;
                self.skip()?;
                Ok(Scalar::Json(self.text.get(start..self.pos).ok_or(Broken)?))
            }
            _ => Err(Broken),
        }
    }

    /// Skips one value of any kind, checking its syntax, without recursion.
    pub fn skip(&mut self) -> Result<(), Broken> {
        // Containers open inside this value: true = object.
        let mut stack: Vec<bool> = Vec::new();
        let mut first = true;
        loop {
            // Here a value is expected (or the end of the innermost container).
            let top = stack.last().copied();
            if let Some(is_object) = top {
                let more = if is_object {
                    self.next_key(&mut first)?.is_some()
                } else {
                    self.next_element(&mut first)?
                };
                if !more {
                    stack.pop();
                    first = false;
                    if stack.is_empty() {
                        return Ok(());
                    }
                    continue;
                }
            }
            match self.peek().ok_or(Broken)? {
                b'{' => {
                    self.begin_object()?;
                    stack.push(true);
                    first = true;
                }
                b'[' => {
                    self.begin_array()?;
                    stack.push(false);
                    first = true;
                }
                _ => {
                    self.value()?;
                    if stack.is_empty() {
                        return Ok(());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Scalar<'_>, Broken> {
        let mut s = Scanner::new(text);
        let v = s.value()?;
        if s.at_end() {
            Ok(v)
        } else {
            Err(Broken)
        }
    }

    #[test]
    fn scalars_read_as_serde_json_reads_them() {
        for text in [
            "0",
            "-0",
            "12",
            "-12",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "1.5",
            "1e3",
            "1E-7",
            "-0.0",
            "1.1499448642312809e-54",
            "true",
            "false",
            "null",
            r#""plain""#,
            r#""esc \" \\ \/ \b \f \n \r \t \u00e9 \uD83D\uDE00""#,
            r#"[1, {"b": [true, null], "a": "x"}, []]"#,
            r#"{}"#,
        ] {
            let ours = one(text).unwrap_or_else(|_| panic!("{text}"));
            let serde: serde_json::Value = serde_json::from_str(text).unwrap();
            let want = match &serde {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            };
            if let serde_json::Value::Number(n) = &serde {
                match ours {
                    Scalar::U64(v) => assert_eq!(n.as_u64(), Some(v), "{text}"),
                    Scalar::I64(v) => assert_eq!(n.as_i64(), Some(v), "{text}"),
                    Scalar::F64(v) => {
                        assert!(n.is_f64(), "{text}");
                        assert_eq!(n.as_f64().unwrap().to_bits(), v.to_bits(), "{text}")
                    }
                    other => panic!("{text}: {other:?}"),
                }
            } else {
                assert_eq!(ours.into_text().map(|c| c.into_owned()), want, "{text}");
            }
        }
    }

    #[test]
    fn broken_json_is_refused_like_serde_json_refuses_it() {
        for text in [
            "",
            "01",
            "1.",
            "-",
            "1e",
            "1e400",
            "tru",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "[1 2]",
            "\"\\x\"",
            "\"\\uD83D\"",
            "\"\u{1}\"",
            "\"open",
            "{1:2}",
            "[",
            "{\"a\":",
        ] {
            assert!(one(text).is_err(), "{text:?} accepted");
            assert!(serde_json::from_str::<serde_json::Value>(text).is_err(), "{text:?}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(one(&deep).is_err());
        let ok = "[".repeat(100) + &"]".repeat(100);
        assert!(one(&ok).is_ok());
    }
}
