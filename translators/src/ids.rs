//! Trace and span ids: hex text, Jaeger's signed 64-bit halves, and the byte forms OTLP uses.

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 0xf) as usize] as char);
    }
    s
}

/// Why a hex id could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Empty text.
    #[error("id is empty")]
    Empty,
    /// More digits than the id can hold.
    #[error("id {0:?} is longer than {1} hex digits")]
    TooLong(String, usize),
    /// A character that is not a hex digit.
    #[error("id {0:?} is not hex")]
    NotHex(String),
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Reads up to `N * 2` hex digits into `N` big-endian bytes, left-padding with zeros
/// (Jaeger and Zipkin senders drop leading zeros, and 64-bit trace ids are 16 digits).
pub fn parse_hex_padded<const N: usize>(text: &str) -> Result<[u8; N], IdError> {
    let digits = text.as_bytes();
    if digits.is_empty() {
        return Err(IdError::Empty);
    }
    if digits.len() > N * 2 {
        return Err(IdError::TooLong(text.to_string(), N * 2));
    }
    let mut out = [0u8; N];
    // Walk from the least significant digit so that odd lengths pad on the left.
    for (i, &c) in digits.iter().rev().enumerate() {
        let v = hex_val(c).ok_or_else(|| IdError::NotHex(text.to_string()))?;
        let byte = N - 1 - i / 2;
        if i % 2 == 0 {
            out[byte] |= v;
        } else {
            out[byte] |= v << 4;
        }
    }
    Ok(out)
}

/// A 16-byte trace id from Jaeger's signed halves.
pub fn trace_id_from_halves(high: i64, low: i64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&high.to_be_bytes());
    out[8..].copy_from_slice(&low.to_be_bytes());
    out
}

/// Jaeger's signed (high, low) halves of a trace id of 16 bytes, or of 8 (high = 0).
/// Other lengths give `None`.
pub fn trace_id_to_halves(id: &[u8]) -> Option<(i64, i64)> {
    match id.len() {
        16 => Some((
            i64::from_be_bytes(id[..8].try_into().ok()?),
            i64::from_be_bytes(id[8..].try_into().ok()?),
        )),
        8 => Some((0, i64::from_be_bytes(id.try_into().ok()?))),
        _ => None,
    }
}

/// An 8-byte span id from Jaeger's signed form.
pub fn span_id_from_i64(id: i64) -> [u8; 8] {
    id.to_be_bytes()
}

/// Jaeger's signed form of an 8-byte span id; other lengths give `None`.
pub fn span_id_to_i64(id: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(id.try_into().ok()?))
}

/// True when every byte is zero (an invalid id in OTLP, "no parent" in Jaeger and Zipkin).
pub fn is_zero(id: &[u8]) -> bool {
    id.iter().all(|&b| b == 0)
}

/// Widens an 8-byte (64-bit) trace id to OTLP's 16 bytes; 16-byte ids pass unchanged.
pub fn widen_trace_id(id: &[u8]) -> Option<[u8; 16]> {
    match id.len() {
        16 => id.try_into().ok(),
        8 => {
            let mut out = [0u8; 16];
            out[8..].copy_from_slice(id);
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_padding() {
        let id = parse_hex_padded::<16>("abc").unwrap();
        assert_eq!(to_hex(&id), "00000000000000000000000000000abc");
        let id = parse_hex_padded::<8>("FFFFFFFFFFFFFFFF").unwrap();
        assert_eq!(span_id_to_i64(&id), Some(-1));
        assert!(matches!(parse_hex_padded::<8>("00000000000000001"), Err(IdError::TooLong(..))));
        assert!(matches!(parse_hex_padded::<8>("xyz"), Err(IdError::NotHex(..))));
        assert_eq!(parse_hex_padded::<8>(""), Err(IdError::Empty));
    }

    #[test]
    fn signed_halves() {
        let id = trace_id_from_halves(0x0102030405060708, -2);
        assert_eq!(to_hex(&id), "0102030405060708fffffffffffffffe");
        assert_eq!(trace_id_to_halves(&id), Some((0x0102030405060708, -2)));
        assert_eq!(trace_id_to_halves(&id[8..]), Some((0, -2)));
        assert_eq!(trace_id_to_halves(&id[..5]), None);
    }
}
