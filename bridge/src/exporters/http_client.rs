//! The HTTP client half of the `otlphttp`, `jaeger_thrift_http` and `zipkin` exporters: one reqwest (rustls)
//! client built from the shared settings, a POST with optional gzip, and the reading of the answer's status
//! (retryable or permanent, with `Retry-After`).

use super::client_settings::{Compression, TlsClientConfig};
use super::grpc_client::RpcStatus;
use super::ExportError;
use crate::config::Problem;
use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER,
};
use http::StatusCode;
use prost::Message as _;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::Duration;

/// Which answers are worth retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryableStatuses {
    /// The OTLP/HTTP specification: 429, 502, 503 and 504 only.
    Otlp,
    /// Jaeger and Zipkin servers: 408, 429 and every 5xx (their 500s are mostly storage hiccups).
    Legacy,
}

impl RetryableStatuses {
    fn retryable(self, status: StatusCode) -> bool {
        match self {
            RetryableStatuses::Otlp => matches!(status.as_u16(), 429 | 502 | 503 | 504),
            RetryableStatuses::Legacy => {
                matches!(status.as_u16(), 408 | 429) || status.is_server_error()
            }
        }
    }
}

/// Checks that `url` is an `http://` or `https://` URL.
pub fn check_url(url: &str, path: &str) -> Result<(), Problem> {
    let problem = |message: String| Problem { path: path.to_string(), message };
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| problem(format!("not a valid URL {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(problem(format!("{url:?} must start with http:// or https://")));
    }
    Ok(())
}

/// A successful answer.
#[derive(Debug)]
pub struct Answer {
    /// Its status (2xx).
    pub status: StatusCode,
    /// Its `Content-Type`.
    pub content_type: String,
    /// Its body.
    pub body: Bytes,
}

/// One HTTP backend URL with its client and settings.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    client: reqwest::Client,
    url: reqwest::Url,
    compression: Compression,
    basic_auth: Option<(String, String)>,
    retryable: RetryableStatuses,
    timeout: Duration,
}

/// How an [`HttpTarget`] is set up.
#[derive(Debug, Clone)]
pub struct HttpTargetSettings<'a> {
    /// The URL requests go to.
    pub url: &'a str,
    /// TLS settings (for `https://`).
    pub tls: &'a TlsClientConfig,
    /// Headers sent with every request.
    pub headers: &'a BTreeMap<String, String>,
    /// Body compression.
    pub compression: Compression,
    /// Time limit of one request, connection included.
    pub timeout: Duration,
    /// `Authorization: Basic` user and password.
    pub basic_auth: Option<(String, String)>,
    /// Which answers are retried.
    pub retryable: RetryableStatuses,
}

impl HttpTarget {
    /// Builds the client (TLS files are read here).
    pub fn new(settings: HttpTargetSettings<'_>) -> Result<Self, String> {
        let url = reqwest::Url::parse(settings.url.trim())
            .map_err(|e| format!("not a valid URL {:?}: {e}", settings.url))?;
        let mut headers = HeaderMap::new();
        for (name, value) in settings.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("not a valid header name {name:?}"))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| format!("not a valid value for header {name}"))?;
            headers.insert(name, value);
        }
        let files = settings.tls.read_files()?;
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .default_headers(headers)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .tcp_nodelay(true)
            .danger_accept_invalid_certs(settings.tls.insecure_skip_verify);
        if let Some(ca) = files.ca {
            let certificates = reqwest::Certificate::from_pem_bundle(&ca)
                .map_err(|e| format!("tls.ca_file: {e}"))?;
            builder = builder.tls_built_in_root_certs(false);
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if let Some((cert, key)) = files.identity {
            let mut pem = cert;
            pem.push(b'\n');
            pem.extend_from_slice(&key);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| format!("tls.cert_file / key_file: {e}"))?;
            builder = builder.identity(identity);
        }
        let client = builder.build().map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(HttpTarget {
            client,
            url,
            compression: settings.compression,
            basic_auth: settings.basic_auth,
            retryable: settings.retryable,
            timeout: settings.timeout,
        })
    }

    /// The URL requests go to.
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// POSTs `body` (compressed here when configured) and reads the answer: 2xx is success, the rest an
    /// [`ExportError`] saying whether to retry.
    pub async fn post(
        &self,
        body: Vec<u8>,
        content_type: &'static str,
    ) -> Result<Answer, ExportError> {
        let mut request = self.client.post(self.url.clone()).header(CONTENT_TYPE, content_type);
        request = match self.compression {
            Compression::Gzip => request.header(CONTENT_ENCODING, "gzip").body(gzip(&body)),
            Compression::None => request.body(body),
        };
        if let Some((user, password)) = &self.basic_auth {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.map_err(|e| self.send_error(e))?;
        let status = response.status();
        let retry_after = response.headers().get(RETRY_AFTER).and_then(parse_retry_after);
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = response.bytes().await;
        if status.is_success() {
            let body = body.map_err(|e| self.send_error(e))?;
            return Ok(Answer { status, content_type, body });
        }
        let detail = body.map(|b| error_detail(&content_type, &b)).unwrap_or_default();
        let reason = format!("{} answered {status}{detail}", self.url);
        if self.retryable.retryable(status) {
            Err(ExportError::Retryable { reason, retry_after })
        } else {
            Err(ExportError::Permanent(reason))
        }
    }

    fn send_error(&self, error: reqwest::Error) -> ExportError {
        // No answer (refused, reset, timed out): the backend may come back, so every one is retried.
        let what = if error.is_timeout() {
            format!("no answer within {:?}", self.timeout)
        } else if error.is_connect() {
            "cannot connect".to_string()
        } else {
            "request failed".to_string()
        };
        let mut reason = format!("{}: {what}: {error}", self.url);
        let mut source = std::error::Error::source(&error);
        while let Some(inner) = source {
            reason.push_str(&format!(": {inner}"));
            source = inner.source();
        }
        ExportError::retryable(reason)
    }
}

/// gzip of a request body.
pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4 + 64),
        flate2::Compression::default(),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}

/// `Retry-After` in seconds. (The HTTP-date form is not read; the backoff then applies.)
pub fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    value.to_str().ok()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// What an error answer says, for the log: a `google.rpc.Status` message (OTLP/HTTP), or the start of a
/// text body.
fn error_detail(content_type: &str, body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    if content_type.contains("protobuf") {
        if let Ok(status) = RpcStatus::decode(body) {
            return format!(": {}", status.message);
        }
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]);
    format!(": {}", text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        let otlp = RetryableStatuses::Otlp;
        for code in [429, 502, 503, 504] {
            assert!(otlp.retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [400, 401, 403, 404, 413, 500, 501] {
            assert!(!otlp.retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        let legacy = RetryableStatuses::Legacy;
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(legacy.retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [400, 401, 404, 413] {
            assert!(!legacy.retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(
            parse_retry_after(&HeaderValue::from_static(" 7")),
            Some(Duration::from_secs(7))
        );
        assert_eq!(parse_retry_after(&HeaderValue::from_static("soon")), None);
    }
}
