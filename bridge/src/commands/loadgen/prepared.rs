//! Batches encoded once: each template is encoded with markers in its numbered fields, the markers are
//! located in the bytes, and every batch is then the template's bytes with the real numbers written where
//! the markers were. That takes the encoder off the sender's core; the bytes are the ones the translators
//! produce for the same spans (a test holds them equal).
//!
//! It works for the formats where a numbered field is a value of its own with no length around it that
//! would change with its width: Thrift compact (zigzag varints; structs carry no lengths), Thrift binary
//! (fixed 8-byte integers) and Zipkin JSON (hex ids, the sequence number as a decimal tag). Protobuf
//! formats nest length-prefixed messages, so they are encoded per batch as before.

use super::send::Protocol;
use super::spans::{marker, numbers, Field, Generator};
use std::collections::HashMap;

/// How a number is written in a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Thrift compact: zigzag varint of the i64.
    Compact,
    /// Thrift binary: 8 bytes, big-endian.
    Binary,
    /// Zipkin JSON: ids as 16 hex digits, the sequence number in decimal.
    Json,
}

impl Style {
    fn of(protocol: Protocol) -> Option<Style> {
        match protocol {
            Protocol::JaegerUdpCompact => Some(Style::Compact),
            Protocol::JaegerUdpBinary | Protocol::JaegerHttp => Some(Style::Binary),
            Protocol::ZipkinJson => Some(Style::Json),
            Protocol::ZipkinProto | Protocol::OtlpGrpc | Protocol::OtlpHttp => None,
        }
    }

    fn write(self, field: Field, value: u64, out: &mut Vec<u8>) {
        match self {
            Style::Compact => {
                let mut n = ((value as i64) << 1 ^ ((value as i64) >> 63)) as u64;
                while n >= 0x80 {
                    out.push((n as u8) | 0x80);
                    n >>= 7;
                }
                out.push(n as u8);
            }
            Style::Binary => out.extend_from_slice(&value.to_be_bytes()),
            Style::Json if field == Field::Seq => {
                // Markers are negative as i64; real sequence numbers are not.
                let v = value as i64;
                if v < 0 {
                    out.push(b'-');
                }
                let mut digits = [0u8; 20];
                let mut n = v.unsigned_abs();
                let mut at = digits.len();
                loop {
                    at -= 1;
                    digits[at] = b'0' + (n % 10) as u8;
                    n /= 10;
                    if n == 0 {
                        break;
                    }
                }
                out.extend_from_slice(&digits[at..]);
            }
            Style::Json => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                for shift in (0..16).rev() {
                    out.push(HEX[((value >> (shift * 4)) & 0xf) as usize]);
                }
            }
        }
    }
}

/// Where one numbered field sits in a template's bytes.
#[derive(Debug, Clone, Copy)]
struct Patch {
    at: usize,
    len: usize,
    span: usize,
    field: Field,
}

/// One template's bytes (with markers) and where its numbers go.
struct Template {
    bytes: Vec<u8>,
    patches: Vec<Patch>,
}

/// The pre-encoded batches of a protocol, cycled through as [`Generator::next_batch`] cycles its
/// templates.
pub struct Prepared {
    style: Style,
    templates: Vec<Template>,
    next: usize,
    batch: usize,
}

impl Prepared {
    /// The templates of `generator` (a fresh one: they are taken in its order) encoded for `protocol`;
    /// `None` when the protocol's format does not allow patching, or a template comes out as more than
    /// one payload.
    pub fn new(protocol: Protocol, generator: &mut Generator) -> Result<Option<Self>, String> {
        let Some(style) = Style::of(protocol) else { return Ok(None) };
        let batch = generator.batch();
        let mut templates = Vec::with_capacity(generator.templates());
        for _ in 0..generator.templates() {
            let mut payloads = protocol.encode(generator.next_marked())?;
            if payloads.len() != 1 {
                return Ok(None);
            }
            let bytes = payloads.remove(0).bytes;
            match locate(style, &bytes, batch) {
                Some(patches) => templates.push(Template { bytes, patches }),
                None => return Ok(None),
            }
        }
        Ok(Some(Prepared { style, templates, next: 0, batch }))
    }

    /// Spans per batch.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The next batch's bytes, its spans numbered from `first_seq`.
    pub fn next_batch(&mut self, first_seq: u64) -> Vec<u8> {
        let template = &self.templates[self.next];
        self.next = (self.next + 1) % self.templates.len();
        let mut out = Vec::with_capacity(template.bytes.len());
        let mut from = 0;
        for patch in &template.patches {
            out.extend_from_slice(&template.bytes[from..patch.at]);
            // Every located field has a value: a parent marker exists only where the span has a parent.
            let value = numbers(first_seq, patch.span).get(patch.field).unwrap_or(0);
            self.style.write(patch.field, value, &mut out);
            from = patch.at + patch.len;
        }
        out.extend_from_slice(&template.bytes[from..]);
        out
    }
}

/// Every place a marker of the `batch` spans appears in `bytes`, in order; `None` if a span's sequence
/// number or id is not found or two places overlap.
fn locate(style: Style, bytes: &[u8], batch: usize) -> Option<Vec<Patch>> {
    let mut wanted: HashMap<Vec<u8>, (usize, Field)> = HashMap::new();
    for span in 0..batch {
        for field in [Field::Seq, Field::TraceLow, Field::Span, Field::Parent] {
            let mut encoded = Vec::new();
            style.write(field, marker(field, span), &mut encoded);
            wanted.insert(encoded, (span, field));
        }
    }
    let mut lengths: Vec<usize> = wanted.keys().map(Vec::len).collect();
    lengths.sort_unstable();
    lengths.dedup();
    let mut patches = Vec::new();
    for len in lengths {
        for at in 0..bytes.len().saturating_sub(len - 1) {
            if let Some(&(span, field)) = wanted.get(&bytes[at..at + len]) {
                patches.push(Patch { at, len, span, field });
            }
        }
    }
    patches.sort_by_key(|p| p.at);
    if patches.windows(2).any(|w| w[0].at + w[0].len > w[1].at) {
        return None;
    }
    let found =
        |field: Field| (0..batch).all(|s| patches.iter().any(|p| p.span == s && p.field == field));
    (found(Field::Seq) && found(Field::Span)).then_some(patches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn patched_batches_are_the_bytes_the_encoder_gives() {
        for protocol in Protocol::value_variants() {
            let batch = if protocol.is_udp() { 40 } else { 100 };
            // One generator cloned: the templates' times come from the clock.
            let mut generator = Generator::new(batch, 3);
            let mut prepared = Prepared::new(*protocol, &mut generator.clone())
                .unwrap_or_else(|e| panic!("{}: {e}", protocol.name()));
            let Some(prepared) = prepared.as_mut() else {
                assert!(Style::of(*protocol).is_none(), "{} should be prepared", protocol.name());
                continue;
            };
            // Past both templates' ends, across width changes of the numbers, unaligned starts.
            for first_seq in [0, 7, 63, 8_190, 1_048_570, 123_456_789, 1 << 40] {
                for _ in 0..generator.templates() {
                    let expected = protocol.encode(generator.next_batch(first_seq)).unwrap();
                    assert_eq!(expected.len(), 1);
                    let got = prepared.next_batch(first_seq);
                    assert!(
                        got == expected[0].bytes,
                        "{} at {first_seq}: patched bytes differ from the encoder's",
                        protocol.name()
                    );
                }
            }
        }
    }
}
