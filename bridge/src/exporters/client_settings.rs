//! Settings every network exporter shares, in the Collector's shape: the `tls:` block, `headers:` and
//! `compression:`, with their checks. The HTTP and gRPC clients are built from them in `http_client.rs` and
//! `grpc_client.rs`.

use crate::config::Problem;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `tls:` of a network exporter (the Collector's `configtls` client settings).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsClientConfig {
    /// gRPC exporters: plaintext (h2c) to an endpoint written without a scheme. An `http://` endpoint is
    /// always plaintext and an `https://` one always TLS, whatever this says. HTTP exporters go by the URL's
    /// scheme alone. Default `false`.
    pub insecure: bool,
    /// Accept any server certificate: the connection is encrypted but the server is not verified (HTTP
    /// exporters only). Default `false`.
    pub insecure_skip_verify: bool,
    /// PEM file of the CA(s) that verify the server, instead of the built-in (Mozilla) roots.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate, for mutual TLS (with `key_file`).
    pub cert_file: Option<PathBuf>,
    /// PEM private key of `cert_file`.
    pub key_file: Option<PathBuf>,
    /// gRPC exporters: the name the server certificate must carry, when it differs from the endpoint's host.
    pub server_name_override: Option<String>,
}

/// The PEM files of a TLS client setup, read at start.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    /// CA certificates (PEM).
    pub ca: Option<Vec<u8>>,
    /// Client certificate and key (PEM).
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl TlsClientConfig {
    /// Checks the settings that can be checked before start: a client certificate comes with its key.
    pub fn check(&self, path: &str) -> Result<(), Problem> {
        if self.cert_file.is_some() != self.key_file.is_some() {
            return Err(Problem {
                path: format!("{path}.tls"),
                message: "cert_file and key_file go together: set both or neither".into(),
            });
        }
        Ok(())
    }

    /// Reads the PEM files.
    pub fn read_files(&self) -> Result<TlsFiles, String> {
        let read =
            |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
        let ca = self.ca_file.as_deref().map(read).transpose()?;
        let identity = match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => Some((read(cert)?, read(key)?)),
            _ => None,
        };
        Ok(TlsFiles { ca, identity })
    }
}

/// `compression:` of a request body.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// gzip (`Content-Encoding: gzip`, or gRPC message compression).
    #[default]
    Gzip,
    /// No compression.
    None,
}

/// Checks `headers:` names and values, so a bad one is a config problem rather than a failure per request.
pub fn check_headers(headers: &BTreeMap<String, String>, path: &str) -> Result<(), Problem> {
    for (name, value) in headers {
        let problem = |what: &str| Problem {
            path: format!("{path}.headers.{name}"),
            message: format!("not a valid header {what}"),
        };
        http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| problem("name"))?;
        http::HeaderValue::from_str(value).map_err(|_| problem("value"))?;
    }
    Ok(())
}

/// Checks that `endpoint` is set.
pub fn check_endpoint(endpoint: &str, path: &str, example: &str) -> Result<(), Problem> {
    if endpoint.trim().is_empty() {
        return Err(Problem {
            path: format!("{path}.endpoint"),
            message: format!("endpoint is required (e.g. {example})"),
        });
    }
    Ok(())
}
