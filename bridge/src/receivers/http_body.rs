//! Reading an HTTP request body within the limits: the size as sent, then the size after decompression
//! (`Content-Encoding: gzip`, `deflate`), so a small gzip bomb cannot become gigabytes.

use crate::error::ReceiveError;
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::BodyExt as _;
use std::io::Read as _;

/// The two size limits of a body.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Bytes as sent.
    pub max_body: usize,
    /// Bytes after decompression.
    pub max_decompressed: usize,
}

/// Reads the whole body, refusing it past `max_body`, and decompresses it per `Content-Encoding`.
pub async fn read_body(
    headers: &HeaderMap,
    body: axum::body::Body,
    limits: BodyLimits,
) -> Result<Bytes, ReceiveError> {
    if let Some(length) = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if length > limits.max_body as u64 {
            return Err(too_large_body(limits.max_body));
        }
    }
    let limited = http_body_util::Limited::new(body, limits.max_body);
    let raw = match limited.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            if error.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                return Err(too_large_body(limits.max_body));
            }
            return Err(ReceiveError::BadRequest(format!("cannot read the request body: {error}")));
        }
    };
    let encoding = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    decompress(&encoding, raw, limits.max_decompressed)
}

fn too_large_body(limit: usize) -> ReceiveError {
    ReceiveError::TooLarge(format!(
        "request body larger than the limit of {limit} bytes (max_request_body_size)"
    ))
}

/// Decompresses `raw` per `encoding`, refusing output past `max` bytes.
pub fn decompress(encoding: &str, raw: Bytes, max: usize) -> Result<Bytes, ReceiveError> {
    let reader: Box<dyn std::io::Read + '_> = match encoding {
        "" | "identity" => return Ok(raw),
        "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(&raw[..])),
        // HTTP's "deflate" is zlib-wrapped, but some clients send raw deflate: look at the zlib header.
        "deflate" if looks_like_zlib(&raw) => Box::new(flate2::read::ZlibDecoder::new(&raw[..])),
        "deflate" => Box::new(flate2::read::DeflateDecoder::new(&raw[..])),
        other => {
            return Err(ReceiveError::BadRequest(format!(
                "unsupported Content-Encoding {other:?} (supported: gzip, deflate, identity)"
            )))
        }
    };
    let mut out = Vec::with_capacity((raw.len() * 4).min(max));
    let read = reader.take(max as u64 + 1).read_to_end(&mut out).map_err(|e| {
        ReceiveError::BadRequest(format!("cannot decompress the {encoding} body: {e}"))
    })?;
    if read > max {
        return Err(ReceiveError::TooLarge(format!(
            "decompressed body larger than the limit of {max} bytes (max_decompressed_size)"
        )));
    }
    Ok(Bytes::from(out))
}

fn looks_like_zlib(raw: &[u8]) -> bool {
    raw.len() >= 2 && raw[0] & 0x0f == 8 && (u16::from(raw[0]) << 8 | u16::from(raw[1])) % 31 == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn gzip(data: &[u8]) -> Bytes {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        Bytes::from(encoder.finish().unwrap())
    }

    #[test]
    fn gzip_bomb_is_refused_at_the_decompressed_limit() {
        let bomb = gzip(&vec![0u8; 10 << 20]);
        assert!(bomb.len() < 64 << 10, "{}", bomb.len());
        let error = decompress("gzip", bomb, 1 << 20).unwrap_err();
        assert!(
            matches!(error, ReceiveError::TooLarge(ref m) if m.contains("max_decompressed_size")),
            "{error}"
        );
    }

    #[test]
    fn gzip_zlib_and_raw_deflate_decode() {
        assert_eq!(&decompress("gzip", gzip(b"hello"), 100).unwrap()[..], b"hello");
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(b"zlib").unwrap();
        assert_eq!(
            &decompress("deflate", Bytes::from(zlib.finish().unwrap()), 100).unwrap()[..],
            b"zlib"
        );
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(b"raw").unwrap();
        assert_eq!(
            &decompress("deflate", Bytes::from(raw.finish().unwrap()), 100).unwrap()[..],
            b"raw"
        );
        assert!(matches!(decompress("br", Bytes::new(), 1), Err(ReceiveError::BadRequest(_))));
    }
}
