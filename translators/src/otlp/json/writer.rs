//! Small, allocation-free pieces for writing JSON text straight into a byte buffer: the
//! crate's one JSON text writer, shared by the OTLP/JSON, Jaeger JSON and Zipkin JSON encoders.

use base64::Engine;

/// The high bit of each byte of `w` (eight bytes, little-endian) that JSON cannot hold as is
/// in a string (`"`, `\\` or below 0x20) is set. Bits above the lowest set one may be set
/// wrongly (borrows propagate upwards), so only the lowest one is meaningful. Shared with the
/// Zipkin JSON reader, which scans strings the same way.
#[inline]
pub(crate) fn special_bytes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x;
    let quote = zero_byte(w ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(w ^ (ONES * u64::from(b'\\')));
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    (quote | backslash | control) & HIGH
}

/// Writes `s` as a JSON string: quotes, `"` `\` and control characters escaped (as
/// serde_json escapes them: `\n` `\r` `\t` `\b` `\f`, others `\u00XX`), everything else (all
/// of UTF-8) as is. The crate's one JSON string writer.
#[inline]
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // Room for the quotes and for the last 8-byte block, which is written whole and cut back.
    out.reserve(bytes.len() + 10);
    out.push(b'"');
    // Plain text (the usual case) is copied in fixed 8-byte blocks as it is checked: no
    // variable-length copies.
    let mut i = 0;
    while let Some(block) = bytes.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
        if special_bytes(u64::from_le_bytes(*block)) != 0 {
            return escaped(out, bytes, i);
        }
        out.extend_from_slice(block);
        i += 8;
    }
    let rest = bytes.get(i..).unwrap_or_default();
    let block = short_block(rest);
    if special_bytes(block) != 0 {
        return escaped(out, bytes, i);
    }
    let end = out.len() + rest.len();
    out.extend_from_slice(&block.to_le_bytes());
    out.truncate(end);
    out.push(b'"');
}

/// Up to 8 bytes as a little-endian word, the bytes past their end set to `a` (plain text),
/// read with at most two overlapping loads: no loop and no call for the last bytes of a
/// string.
#[inline(always)]
pub(crate) fn short_block(rest: &[u8]) -> u64 {
    let n = rest.len().min(8);
    let word = if n >= 4 {
        let lo = rest.first_chunk::<4>().map_or(0, |b| u32::from_le_bytes(*b));
        let hi = rest[..n].last_chunk::<4>().map_or(0, |b| u32::from_le_bytes(*b));
        u64::from(lo) | (u64::from(hi) << (8 * (n - 4)))
    } else if n >= 2 {
        let lo = rest.first_chunk::<2>().map_or(0, |b| u16::from_le_bytes(*b));
        let hi = rest[..n].last_chunk::<2>().map_or(0, |b| u16::from_le_bytes(*b));
        u64::from(lo) | (u64::from(hi) << (8 * (n - 2)))
    } else {
        rest.first().map_or(0, |&b| u64::from(b))
    };
    // `a` in every byte from `n` on (shifting by 64 is not allowed: 8 bytes need no padding).
    let padding = u64::from(b'a') * 0x0101_0101_0101_0101;
    if n == 8 {
        word
    } else {
        word | (padding << (8 * n))
    }
}

/// The rest of [`string`] from `bytes[start..]` on (what comes before is written), for text
/// that holds a byte to escape; closes the quote. Plain bytes go in 8-byte blocks appended
/// whole and cut back at the next byte to escape (JSON text inside a string has one every
/// few bytes, so no variable-length copy per run).
#[inline(never)]
fn escaped(out: &mut Vec<u8>, bytes: &[u8], mut i: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    loop {
        let (block, last) = match bytes.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
            Some(block) => (u64::from_le_bytes(*block), false),
            None => (short_block(bytes.get(i..).unwrap_or_default()), true),
        };
        let hit = special_bytes(block);
        let len = out.len();
        out.extend_from_slice(&block.to_le_bytes());
        if hit == 0 {
            if last {
                // Padding (plain bytes) never hits: the text is done.
                out.truncate(len + bytes.len() - i);
                out.push(b'"');
                return;
            }
            i += 8;
            continue;
        }
        let plain = (hit.trailing_zeros() / 8) as usize;
        out.truncate(len + plain);
        i += plain;
        let Some(&b) = bytes.get(i) else { break };
        // Two-byte escapes as fixed-size appends (no copy call per escape).
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            _ => 0,
        };
        if short != 0 {
            out.extend_from_slice(&[b'\\', short]);
        } else {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ]);
        }
        i += 1;
    }
    out.push(b'"');
}

/// Writes `bytes` as lower-case hex digits, unquoted.
pub(crate) fn hex_digits(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.extend_from_slice(&[HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]);
    }
}

/// Writes `bytes` as a quoted lower-case hex string.
pub(crate) fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() * 2 + 2);
    out.push(b'"');
    hex_digits(out, bytes);
    out.push(b'"');
}

/// "00" to "99": two digits per division.
static DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Writes an unsigned integer in decimal.
#[inline]
pub(crate) fn uint(out: &mut Vec<u8>, mut v: u64) {
    // The digits are placed at the front of a fixed block, which is appended whole and cut
    // back (no variable-length copy); two digits per division.
    let n = v.checked_ilog10().map_or(1, |l| l as usize + 1);
    let mut block = [0u8; 20];
    let mut i = n;
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        block[i] = DIGIT_PAIRS[pair];
        block[i + 1] = DIGIT_PAIRS[pair + 1];
    }
    if v >= 10 {
        block[0] = DIGIT_PAIRS[v as usize * 2];
        block[1] = DIGIT_PAIRS[v as usize * 2 + 1];
    } else {
        block[0] = b'0' + v as u8;
    }
    let end = out.len() + n;
    out.extend_from_slice(&block);
    out.truncate(end);
}

/// Writes a signed integer in decimal.
pub(crate) fn int(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    uint(out, v.unsigned_abs());
}

/// Writes a double: a JSON number when finite (shortest form that reads back to the same
/// value), else the proto3 JSON strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub(crate) fn double(out: &mut Vec<u8>, v: f64) {
    use std::io::Write;
    if v.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"\"Infinity\"" } else { b"\"-Infinity\"" });
    } else {
        // `{:?}` is the shortest round-trip form and switches to exponents for very large or
        // small values ("1e300"), which JSON accepts; writing to a Vec cannot fail.
        let _ = write!(out, "{v:?}");
    }
}

/// Writes `bytes` as a quoted standard base64 string with padding.
pub(crate) fn base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let engine = &base64::engine::general_purpose::STANDARD;
    out.push(b'"');
    let start = out.len();
    let len = base64::encoded_len(bytes.len(), true).unwrap_or(0);
    out.resize(start + len, 0);
    let written = engine.encode_slice(bytes, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
    out.push(b'"');
}

/// Writes the keys of one JSON object, with the commas between them.
#[derive(Debug)]
pub(crate) struct Object {
    first: bool,
}

impl Object {
    /// Writes `{` and starts an object.
    pub(crate) fn open(out: &mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { first: true }
    }

    /// Writes `"name":` (after a comma unless it is the first key). `name` must need no
    /// escaping: it is always one of our own field names.
    pub(crate) fn key(&mut self, out: &mut Vec<u8>, name: &str) {
        if !self.first {
            out.push(b',');
        }
        self.first = false;
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
    }

    /// Writes `}`.
    pub(crate) fn close(self, out: &mut Vec<u8>) {
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_what_json_requires() {
        let s = with(|o| string(o, "a\"b\\c\nd\u{1}é\u{7f}"));
        assert_eq!(s, "\"a\\\"b\\\\c\\nd\\u0001é\u{7f}\"");
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}é\u{7f}");
    }

    #[test]
    fn strings_escape_like_serde_json_at_every_position() {
        let specials = [
            "\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{1}", "\u{1f}", "é", "中", "\u{7f}",
        ];
        for len in 0..20 {
            for sp in specials {
                for at in 0..=len {
                    let mut s: String = "x".repeat(len);
                    s.insert_str(at, sp);
                    let text = with(|o| string(o, &s));
                    assert_eq!(text, serde_json::to_string(&s).unwrap(), "{s:?}");
                }
            }
        }
        // Specials next to the bytes that SWAR borrows could misflag (space, '#', ']', 0x21).
        let alphabet = ['a', '"', ' ', '#', ']', '\\', '\u{1}', '\u{1f}', '\n', '!', 'é'];
        let mut seed = 0x1234_5678_u64;
        for _ in 0..20_000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let len = (seed >> 58) as usize;
            let s: String = (0..len)
                .map(|k| alphabet[((seed >> (k % 50)) as usize + k * 7) % alphabet.len()])
                .collect();
            assert_eq!(with(|o| string(o, &s)), serde_json::to_string(&s).unwrap(), "{s:?}");
        }
        let all: String = (0u8..=0x7f).map(char::from).collect();
        assert_eq!(with(|o| string(o, &all)), serde_json::to_string(&all).unwrap());
    }

    #[test]
    fn short_blocks_pad_with_plain_text() {
        let text = b"0123456789";
        for n in 0..=8 {
            let mut expected = [b'a'; 8];
            expected[..n].copy_from_slice(&text[..n]);
            assert_eq!(short_block(&text[..n]).to_le_bytes(), expected, "{n}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(with(|o| uint(o, 0)), "0");
        for v in [1, 9, 10, 99, 100, 101, 999, 1000, 12345, 1764028800001335, u64::MAX / 10] {
            assert_eq!(with(|o| uint(o, v)), v.to_string());
        }
        let mut v = 1u64;
        while let Some(next) = v.checked_mul(10) {
            for w in [v - 1, v, v + 1, next - 1] {
                assert_eq!(with(|o| uint(o, w)), w.to_string());
            }
            v = next;
        }
        assert_eq!(with(|o| uint(o, u64::MAX)), "18446744073709551615");
        assert_eq!(with(|o| int(o, i64::MIN)), "-9223372036854775808");
        assert_eq!(with(|o| double(o, 1.0)), "1.0");
        assert_eq!(with(|o| double(o, 0.1)), "0.1");
        assert_eq!(with(|o| double(o, 1e300)), "1e300");
        assert_eq!(with(|o| double(o, f64::NAN)), "\"NaN\"");
        assert_eq!(with(|o| double(o, f64::NEG_INFINITY)), "\"-Infinity\"");
        // The last two need serde_json's `float_roundtrip` feature to read back exactly.
        for v in [
            1e300,
            1e-300,
            -0.5,
            123456.789,
            f64::MAX,
            f64::MIN_POSITIVE,
            1.1499448642312809e-54,
            2.3975595248069858e92,
        ] {
            let text = with(|o| double(o, v));
            assert_eq!(serde_json::from_str::<f64>(&text).unwrap(), v, "{text}");
        }
    }

    #[test]
    fn hex_and_base64() {
        assert_eq!(with(|o| hex(o, &[0x00, 0xab, 0x1f])), "\"00ab1f\"");
        assert_eq!(with(|o| base64(o, b"\x00\x00\x30\x39")), "\"AAAwOQ==\"");
        assert_eq!(with(|o| base64(o, b"")), "\"\"");
    }
}
