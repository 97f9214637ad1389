//! The gRPC client half of the `otlp` and `jaeger` exporters: a lazily connecting tonic channel built from the
//! shared settings, one unary call with headers as metadata, and the OTLP specification's reading of gRPC
//! status codes (which are worth retrying, and the server's `RetryInfo` delay).

use super::client_settings::{Compression, TlsClientConfig};
use super::ExportError;
use crate::config::Problem;
use bytes::Bytes;
use prost::Message as _;
use std::collections::BTreeMap;
use std::time::Duration;
use tonic::codec::CompressionEncoding;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Status};

/// A gRPC endpoint as the Collector reads it: `http://host:port` (plaintext), `https://host:port` (TLS), or
/// `host:port` (TLS unless `tls.insecure`). Returns the URI tonic connects to and whether it uses TLS.
pub fn endpoint_uri(endpoint: &str, tls: &TlsClientConfig) -> (String, bool) {
    let endpoint = endpoint.trim().trim_end_matches('/');
    if endpoint.starts_with("http://") {
        (endpoint.to_string(), false)
    } else if endpoint.starts_with("https://") {
        (endpoint.to_string(), true)
    } else if tls.insecure {
        (format!("http://{endpoint}"), false)
    } else {
        (format!("https://{endpoint}"), true)
    }
}

/// Checks what a gRPC exporter's `endpoint` and `tls` can be checked for before start.
pub fn check(endpoint: &str, tls: &TlsClientConfig, path: &str) -> Result<(), Problem> {
    tls.check(path)?;
    if tls.insecure_skip_verify {
        return Err(Problem {
            path: format!("{path}.tls.insecure_skip_verify"),
            message: "not supported by the gRPC exporters; give the server's CA in tls.ca_file"
                .into(),
        });
    }
    let (uri, _) = endpoint_uri(endpoint, tls);
    Endpoint::from_shared(uri).map_err(|e| Problem {
        path: format!("{path}.endpoint"),
        message: format!("not a valid gRPC endpoint {endpoint:?}: {e}"),
    })?;
    Ok(())
}

/// One gRPC backend: channel, metadata sent with every call, compression and time limit.
#[derive(Debug, Clone)]
pub struct GrpcTarget {
    channel: Channel,
    metadata: MetadataMap,
    compression: Option<CompressionEncoding>,
    timeout: Duration,
}

impl GrpcTarget {
    /// Builds the channel (it connects on first use, and reconnects by itself after failures).
    pub fn new(
        endpoint: &str,
        tls: &TlsClientConfig,
        headers: &BTreeMap<String, String>,
        compression: Compression,
        timeout: Duration,
    ) -> Result<Self, String> {
        let (uri, secure) = endpoint_uri(endpoint, tls);
        let mut builder = Endpoint::from_shared(uri.clone())
            .map_err(|e| format!("not a valid gRPC endpoint {endpoint:?}: {e}"))?
            .connect_timeout(timeout)
            .timeout(timeout)
            .tcp_nodelay(true);
        if secure {
            let files = tls.read_files()?;
            let mut config = ClientTlsConfig::new();
            config = match files.ca {
                Some(ca) => config.ca_certificate(Certificate::from_pem(ca)),
                None => config.with_webpki_roots(),
            };
            if let Some((cert, key)) = files.identity {
                config = config.identity(Identity::from_pem(cert, key));
            }
            if let Some(name) = &tls.server_name_override {
                config = config.domain_name(name.clone());
            }
            builder = builder.tls_config(config).map_err(|e| format!("TLS setup of {uri}: {e}"))?;
        }
        let mut metadata = MetadataMap::new();
        for (name, value) in headers {
            let key = MetadataKey::from_bytes(name.to_ascii_lowercase().as_bytes())
                .map_err(|_| format!("header {name:?} is not a valid gRPC metadata key"))?;
            let value = MetadataValue::try_from(value.as_str())
                .map_err(|_| format!("header {name:?} has a value gRPC metadata cannot carry"))?;
            metadata.insert(key, value);
        }
        let compression = match compression {
            Compression::Gzip => Some(CompressionEncoding::Gzip),
            Compression::None => None,
        };
        Ok(GrpcTarget { channel: builder.connect_lazy(), metadata, compression, timeout })
    }

    /// Sends one already-encoded request message to `path` and decodes the answer.
    pub async fn call<Resp>(&self, path: &'static str, message: Bytes) -> Result<Resp, ExportError>
    where
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let mut request = tonic::Request::new(message);
        *request.metadata_mut() = self.metadata.clone();
        request.set_timeout(self.timeout);
        let call =
            crate::grpc::call_unary::<Resp>(self.channel.clone(), path, request, self.compression);
        // The channel's own limit covers the call; this one also covers waiting for a connection.
        match tokio::time::timeout(self.timeout + Duration::from_secs(1), call).await {
            Ok(Ok(response)) => Ok(response.into_inner()),
            Ok(Err(status)) => Err(classify(&status)),
            Err(_) => Err(ExportError::retryable(format!("no answer within {:?}", self.timeout))),
        }
    }
}

/// The OTLP specification's split of gRPC codes: the transient ones are retried (`ResourceExhausted` only
/// when the server sent `RetryInfo`, i.e. it expects to recover), every other code is permanent.
pub fn classify(status: &Status) -> ExportError {
    let retry_after = retry_info_delay(status.details());
    let reason = format!("gRPC {:?}: {}", status.code(), status.message());
    let retryable = match status.code() {
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => true,
        Code::ResourceExhausted => retry_after.is_some(),
        _ => false,
    };
    if retryable {
        ExportError::Retryable { reason, retry_after }
    } else {
        ExportError::Permanent(reason)
    }
}

/// `google.rpc.Status`, the body of `grpc-status-details-bin` (and of OTLP/HTTP error answers).
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcStatus {
    /// The gRPC code.
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// The server's message.
    #[prost(string, tag = "2")]
    pub message: String,
    /// Typed details, e.g. `google.rpc.RetryInfo`.
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<ProtoAny>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoAny {
    /// `type.googleapis.com/<message name>`.
    #[prost(string, tag = "1")]
    pub type_url: String,
    /// The message's bytes.
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// `google.rpc.RetryInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RetryInfo {
    /// How long the client should wait.
    #[prost(message, optional, tag = "1")]
    pub retry_delay: Option<ProtoDuration>,
}

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoDuration {
    /// Whole seconds.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds on top.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// The type URL of `google.rpc.RetryInfo`.
pub const RETRY_INFO_TYPE: &str = "type.googleapis.com/google.rpc.RetryInfo";

/// The delay of a `RetryInfo` detail in an encoded `google.rpc.Status`, if there is one.
pub fn retry_info_delay(status_details: &[u8]) -> Option<Duration> {
    if status_details.is_empty() {
        return None;
    }
    let status = RpcStatus::decode(status_details).ok()?;
    let detail = status.details.iter().find(|d| d.type_url == RETRY_INFO_TYPE)?;
    let delay = RetryInfo::decode(detail.value.as_slice()).ok()?.retry_delay.unwrap_or_default();
    let seconds = u64::try_from(delay.seconds).unwrap_or(0);
    let nanos = u32::try_from(delay.nanos).unwrap_or(0);
    Some(Duration::new(seconds, nanos.min(999_999_999)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_with_retry_info(code: Code, seconds: i64) -> Status {
        let info = RetryInfo { retry_delay: Some(ProtoDuration { seconds, nanos: 0 }) };
        let details = RpcStatus {
            code: code as i32,
            message: "busy".into(),
            details: vec![ProtoAny {
                type_url: RETRY_INFO_TYPE.into(),
                value: info.encode_to_vec(),
            }],
        };
        Status::with_details(code, "busy", details.encode_to_vec().into())
    }

    #[test]
    fn codes_split_as_the_otlp_spec_says() {
        for code in [
            Code::Cancelled,
            Code::DeadlineExceeded,
            Code::Aborted,
            Code::OutOfRange,
            Code::Unavailable,
            Code::DataLoss,
        ] {
            assert!(
                matches!(classify(&Status::new(code, "x")), ExportError::Retryable { .. }),
                "{code:?}"
            );
        }
        for code in [
            Code::InvalidArgument,
            Code::Unauthenticated,
            Code::PermissionDenied,
            Code::Unimplemented,
            Code::Internal,
            Code::Unknown,
            Code::ResourceExhausted,
        ] {
            assert!(
                matches!(classify(&Status::new(code, "x")), ExportError::Permanent(_)),
                "{code:?}"
            );
        }
    }

    #[test]
    fn resource_exhausted_with_retry_info_is_retried_after_its_delay() {
        match classify(&status_with_retry_info(Code::ResourceExhausted, 3)) {
            ExportError::Retryable { retry_after, .. } => {
                assert_eq!(retry_after, Some(Duration::from_secs(3)))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn endpoints_follow_the_collector() {
        let tls = TlsClientConfig::default();
        assert_eq!(endpoint_uri("http://h:4317", &tls), ("http://h:4317".into(), false));
        assert_eq!(endpoint_uri("https://h:4317/", &tls), ("https://h:4317".into(), true));
        assert_eq!(endpoint_uri("h:4317", &tls), ("https://h:4317".into(), true));
        let insecure = TlsClientConfig { insecure: true, ..TlsClientConfig::default() };
        assert_eq!(endpoint_uri("h:4317", &insecure), ("http://h:4317".into(), false));
    }
}
