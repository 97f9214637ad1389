//! The tokens both text formats share: names, label values, numbers, timestamps, escapes.
//!
//! Everything works on byte offsets into the whole input (`&str`), cutting only at ASCII
//! bytes, so slices are always on character boundaries. Errors are `(offset, kind)`; the
//! parsers turn them into line and column.

use super::error::ParseErrorKind;
use super::model::Timestamp;
use std::borrow::Cow;
use std::hash::Hasher;

/// A lexing failure at a byte offset.
pub(crate) type LexError = (usize, ParseErrorKind);

const METRIC_START: u8 = 1;
const METRIC_CONT: u8 = 2;
const LABEL_START: u8 = 4;
const LABEL_CONT: u8 = 8;

/// Character classes of the name grammars, one table lookup per byte.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let alpha = b.is_ascii_alphabetic() || b == b'_';
        let digit = b.is_ascii_digit();
        let mut v = 0;
        if alpha || b == b':' {
            v |= METRIC_START | METRIC_CONT;
        }
        if digit {
            v |= METRIC_CONT | LABEL_CONT;
        }
        if alpha {
            v |= LABEL_START | LABEL_CONT;
        }
        t[c] = v;
        c += 1;
    }
    t
};

/// End of the metric name starting at `pos` (`pos` itself when there is none).
#[inline]
pub(crate) fn metric_name_end(b: &[u8], pos: usize, end: usize) -> usize {
    if pos >= end || CLASS[b[pos] as usize] & METRIC_START == 0 {
        return pos;
    }
    let mut i = pos + 1;
    while i < end && CLASS[b[i] as usize] & METRIC_CONT != 0 {
        i += 1;
    }
    i
}

/// End of a metric name whose first characters (up to `pos`) are known to be a name.
#[inline]
pub(crate) fn metric_name_rest(b: &[u8], mut pos: usize, end: usize) -> usize {
    while pos < end && CLASS[b[pos] as usize] & METRIC_CONT != 0 {
        pos += 1;
    }
    pos
}

/// End of the label name starting at `pos` (`pos` itself when there is none).
#[inline]
pub(crate) fn label_name_end(b: &[u8], pos: usize, end: usize) -> usize {
    if pos >= end || CLASS[b[pos] as usize] & LABEL_START == 0 {
        return pos;
    }
    let mut i = pos + 1;
    while i < end && CLASS[b[i] as usize] & LABEL_CONT != 0 {
        i += 1;
    }
    i
}

/// Whether every character of `s` may appear in a metric name (a unit).
pub(crate) fn is_metric_name_chars(s: &str) -> bool {
    s.bytes().all(|b| CLASS[b as usize] & METRIC_CONT != 0)
}

/// Position of the first byte at or after `pos` that is not a blank or tab.
#[inline]
pub(crate) fn skip_blanks(b: &[u8], mut pos: usize, end: usize) -> usize {
    while pos < end && (b[pos] == b' ' || b[pos] == b'\t') {
        pos += 1;
    }
    pos
}

/// Position of the first blank or tab at or after `pos` (or `end`).
#[inline]
pub(crate) fn token_end(b: &[u8], mut pos: usize, end: usize) -> usize {
    while pos < end && b[pos] != b' ' && b[pos] != b'\t' {
        pos += 1;
    }
    pos
}

/// Position of the first space at or after `pos` (or `end`): OpenMetrics separates by spaces only.
#[inline]
pub(crate) fn space_end(b: &[u8], mut pos: usize, end: usize) -> usize {
    while pos < end && b[pos] != b' ' {
        pos += 1;
    }
    pos
}

/// Position of the next line feed at or after `pos` (or `b.len()`).
#[inline]
pub(crate) fn line_end(b: &[u8], pos: usize) -> usize {
    // SIMD search: finding line ends was a third of the parse time as a byte loop.
    memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i)
}

/// A quick multiplicative hash for the parsers' maps (family names, label sets): they are hot
/// paths, and live for one parse only, so hash flooding buys an attacker one slow parse at most.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
            h = (h.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
        self.0 = h;
    }
}

/// Which backslash escapes a quoted string has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escapes {
    /// Text 0.0.4 label values: `\\`, `\"`, `\n`; anything else is an error.
    Strict,
    /// OpenMetrics: `\\`, `\"`, `\n`; any other backslash stays as written (the conformance
    /// suite accepts `\z` and `\f`).
    Lenient,
}

/// A quoted label value whose opening quote is just before `pos`: the unescaped value and the
/// position after the closing quote.
#[inline]
pub(crate) fn label_value<'a>(
    src: &'a str,
    pos: usize,
    end: usize,
    escapes: Escapes,
) -> Result<(Cow<'a, str>, usize), LexError> {
    let b = src.as_bytes();
    let mut i = match memchr::memchr2(b'"', b'\\', &b[pos..end]) {
        Some(n) if b[pos + n] == b'"' => {
            return Ok((Cow::Borrowed(&src[pos..pos + n]), pos + n + 1))
        }
        Some(n) => pos + n,
        None => return Err((end, ParseErrorKind::UnterminatedLabelValue)),
    };
    // Escapes: copy what came before, then unescape the rest.
    let mut out = String::with_capacity(i - pos + 8);
    out.push_str(&src[pos..i]);
    let mut run = i;
    while i < end {
        match b[i] {
            b'"' => {
                out.push_str(&src[run..i]);
                return Ok((Cow::Owned(out), i + 1));
            }
            b'\\' => {
                out.push_str(&src[run..i]);
                if i + 1 >= end {
                    return Err((end, ParseErrorKind::UnterminatedLabelValue));
                }
                match b[i + 1] {
                    b'\\' => out.push('\\'),
                    b'"' => out.push('"'),
                    b'n' => out.push('\n'),
                    _ if escapes == Escapes::Lenient => {
                        // Keep the backslash; the next character is read as usual.
                        out.push('\\');
                        i += 1;
                        run = i;
                        continue;
                    }
                    _ => {
                        let c = src[i + 1..].chars().next().unwrap_or('\\');
                        return Err((i, ParseErrorKind::InvalidEscape(c)));
                    }
                }
                i += 2;
                run = i;
            }
            _ => i += 1,
        }
    }
    Err((end, ParseErrorKind::UnterminatedLabelValue))
}

/// Unescapes a HELP text (`start..end` of `src`). Text 0.0.4 knows `\\` and `\n` and rejects
/// other escapes (`strict`); OpenMetrics also knows `\"` and keeps other backslashes as written.
pub(crate) fn help_text(
    src: &str,
    start: usize,
    end: usize,
    strict: bool,
) -> Result<Cow<'_, str>, LexError> {
    let text = &src[start..end];
    if memchr::memchr(b'\\', text.as_bytes()).is_none() {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '\\')) => out.push('\\'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, '"')) if !strict => out.push('"'),
            Some((_, other)) if strict => {
                return Err((start + i, ParseErrorKind::InvalidEscape(other)));
            }
            Some((_, other)) => {
                out.push('\\');
                out.push(other);
            }
            None if strict => return Err((start + i, ParseErrorKind::InvalidEscape('\n'))),
            None => out.push('\\'),
        }
    }
    Ok(Cow::Owned(out))
}

/// Whether `b` (no sign) is a decimal real number: digits, an optional fraction, an optional
/// exponent, at least one digit in the mantissa. The grammar of OpenMetrics' `realnumber` and
/// the decimal part of Go's `ParseFloat`.
#[inline]
fn is_unsigned_decimal(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] | 0x20) == b'e' {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

fn split_sign(b: &[u8]) -> (bool, &[u8]) {
    match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    }
}

/// Reads a sample value: a decimal number, `[+-]Inf`/`Infinity` or `NaN` (any case), the
/// grammar both formats share. Hexadecimal floats, which Go would also read, are not accepted.
#[inline]
pub(crate) fn number(tok: &str) -> Option<f64> {
    let (negative, digits) = split_sign(tok.as_bytes());
    // Most values are small integers: read them without the general float parser.
    if !digits.is_empty() && digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit) {
        let v = digits.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0')) as f64;
        return Some(if negative { -v } else { v });
    }
    if is_unsigned_decimal(digits) {
        return tok.parse().ok();
    }
    if digits.eq_ignore_ascii_case(b"inf") || digits.eq_ignore_ascii_case(b"infinity") {
        return Some(if negative { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if digits.len() == tok.len() && digits.eq_ignore_ascii_case(b"nan") {
        return Some(f64::NAN);
    }
    None
}

/// Reads an OpenMetrics timestamp (a finite decimal number of seconds) exactly, to the
/// nanosecond (further digits are dropped, rounding toward zero).
pub(crate) fn seconds_timestamp(tok: &str) -> Result<Timestamp, ParseErrorKind> {
    let (negative, b) = split_sign(tok.as_bytes());
    if !is_unsigned_decimal(b) {
        return Err(ParseErrorKind::InvalidTimestamp(tok.to_owned()));
    }
    const CAP: i128 = 10i128.pow(36);
    let mut mantissa: i128 = 0;
    let mut exp10: i64 = 9; // to nanoseconds
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        if mantissa < CAP {
            mantissa = mantissa * 10 + i128::from(b[i] - b'0');
        } else {
            exp10 += 1;
        }
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            if mantissa < CAP {
                mantissa = mantissa * 10 + i128::from(b[i] - b'0');
                exp10 -= 1;
            }
            i += 1;
        }
    }
    if i < b.len() {
        // The exponent; the grammar check above guarantees its shape.
        let exp: &str = &tok[tok.len() - (b.len() - i - 1)..];
        let e = exp.parse::<i64>().unwrap_or(if exp.starts_with('-') { -100_000 } else { 100_000 });
        exp10 += e.clamp(-100_000, 100_000);
    }
    let out_of_range = || ParseErrorKind::TimestampOutOfRange(tok.to_owned());
    let nanos = if mantissa == 0 {
        0
    } else if exp10 >= 0 {
        let scale = u32::try_from(exp10).ok().and_then(|e| 10i128.checked_pow(e));
        scale.and_then(|s| mantissa.checked_mul(s)).ok_or_else(out_of_range)?
    } else if exp10 < -38 {
        0
    } else {
        mantissa / 10i128.pow((-exp10) as u32)
    };
    Ok(Timestamp::from_unix_nanos(if negative { -nanos } else { nanos }))
}

/// Reads a text 0.0.4 timestamp: an integer number of milliseconds (Go's `ParseInt`).
pub(crate) fn millis_timestamp(tok: &str) -> Option<Timestamp> {
    tok.parse::<i64>().ok().map(Timestamp::from_unix_millis)
}

/// Whether a label named `name` is already in `labels`.
#[inline]
pub(crate) fn has_label(labels: &[super::model::Label<'_>], name: &str) -> bool {
    labels.iter().any(|l| l.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_shared_grammar() {
        for (tok, want) in [
            ("0", 0.0),
            ("-0", -0.0),
            ("1.", 1.0),
            (".5", 0.5),
            ("1e3", 1000.0),
            ("1E-3", 0.001),
            ("+Inf", f64::INFINITY),
            ("-infinity", f64::NEG_INFINITY),
            ("0000000000000000000000000000000000000000001.2e-1", 0.12),
            ("9223372036854775808", 9_223_372_036_854_775_808.0),
        ] {
            let got = number(tok).unwrap_or_else(|| panic!("{tok} should parse"));
            assert_eq!(got.to_bits(), want.to_bits(), "{tok}");
        }
        assert!(number("NaN").unwrap().is_nan());
        for bad in ["", "+", ".", "e1", "1e", "0x1", "0x1p-3", "1_2", "-nan", "1.1.1", "Inf1", "1 "]
        {
            assert!(number(bad).is_none(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn timestamps_are_exact_to_the_nanosecond() {
        let ns = |t: &str| seconds_timestamp(t).unwrap().unix_nanos();
        assert_eq!(ns("1.5e3"), 1_500_000_000_000);
        assert_eq!(ns("0.0000000001"), 0);
        assert_eq!(ns("1726839814.2239082"), 1_726_839_814_223_908_200);
        assert_eq!(ns("-1.1"), -1_100_000_000);
        assert_eq!(ns("000"), 0);
        assert_eq!(ns("12345678901234567890.1234567890"), 12_345_678_901_234_567_890_123_456_789);
        assert!(seconds_timestamp("1e300").is_err());
        assert_eq!(ns("1e-300"), 0);
        assert!(seconds_timestamp("NaN").is_err());
    }

    #[test]
    fn label_values_unescape() {
        let v = |s: &str, e| label_value(s, 0, s.len(), e).map(|(v, end)| (v.into_owned(), end));
        assert_eq!(v(r#"ab" x"#, Escapes::Strict).unwrap(), ("ab".into(), 3));
        assert_eq!(v(r#"a\"b\\c\nd""#, Escapes::Strict).unwrap().0, "a\"b\\c\nd");
        assert_eq!(v(r#"b\\a\z""#, Escapes::Lenient).unwrap().0, "b\\a\\z");
        assert_eq!(v(r#"\t""#, Escapes::Strict).unwrap_err().1, ParseErrorKind::InvalidEscape('t'));
        assert_eq!(
            v(r#"abc\""#, Escapes::Strict).unwrap_err().1,
            ParseErrorKind::UnterminatedLabelValue
        );
    }
}
