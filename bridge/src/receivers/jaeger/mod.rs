//! The `jaeger` receiver, in the shape of the Collector's former Jaeger receiver: the agent's UDP ports
//! (Thrift compact 6831, binary 6832), the collector's Thrift HTTP endpoint (14268 `POST /api/traces`), its
//! gRPC `PostSpans` (14250) and the remote-sampling endpoint clients poll (5778), each answering as the Jaeger
//! server it replaces does.

mod grpc;
mod http;
pub mod sampling;
mod udp;

use super::otlp::present_means_enabled;
use super::server::ServerConfig;
use super::{Listening, ReceiverContext, StartError};
use sampling::{SamplingConfig, Strategies};
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use translators::thrift::Protocol;

pub use udp::UdpServerConfig;

/// Settings of the `jaeger` receiver.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JaegerReceiverConfig {
    /// Which transports to serve. Without `protocols`, all four are served on their standard ports, and the
    /// remote-sampling endpoint too; with it, only those listed (`thrift_compact:` alone, even empty, enables
    /// it with defaults).
    #[serde(default)]
    pub protocols: Option<JaegerProtocols>,
    /// The remote-sampling endpoint (`GET /sampling?service=NAME`, default `0.0.0.0:5778`). Served when
    /// listed, or when `protocols` is not given at all.
    #[serde(default, deserialize_with = "present_means_enabled")]
    pub remote_sampling: Option<SamplingConfig>,
}

/// The Jaeger transports.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JaegerProtocols {
    /// gRPC `jaeger.api_v2.CollectorService/PostSpans` (jaeger-agent, newer clients). Default endpoint
    /// `0.0.0.0:14250`.
    #[serde(default, deserialize_with = "present_means_enabled")]
    pub grpc: Option<ServerConfig>,
    /// Thrift over HTTP: `POST /api/traces` with a binary-protocol `Batch` (clients' HTTP senders, OTel
    /// Jaeger exporters in collector mode). Default endpoint `0.0.0.0:14268`.
    #[serde(default, deserialize_with = "present_means_enabled")]
    pub thrift_http: Option<ServerConfig>,
    /// UDP, compact-protocol `Agent.emitBatch` (most clients). Default endpoint `0.0.0.0:6831`.
    #[serde(default, deserialize_with = "present_means_enabled")]
    pub thrift_compact: Option<UdpServerConfig>,
    /// UDP, binary-protocol `Agent.emitBatch` (Node `jaeger-client`). Default endpoint `0.0.0.0:6832`.
    #[serde(default, deserialize_with = "present_means_enabled")]
    pub thrift_binary: Option<UdpServerConfig>,
}

/// Standard port of `grpc`.
pub const GRPC_PORT: u16 = 14250;
/// Standard port of `thrift_http`.
pub const THRIFT_HTTP_PORT: u16 = 14268;
/// Standard port of `thrift_compact`.
pub const THRIFT_COMPACT_PORT: u16 = 6831;
/// Standard port of `thrift_binary`.
pub const THRIFT_BINARY_PORT: u16 = 6832;
/// Standard port of `remote_sampling`.
pub const SAMPLING_PORT: u16 = 5778;

impl JaegerReceiverConfig {
    /// What runs: the listed protocols (and remote sampling if listed), or, without `protocols`, every
    /// protocol and remote sampling with their defaults.
    pub fn resolved(&self) -> (JaegerProtocols, Option<SamplingConfig>) {
        match &self.protocols {
            Some(protocols) => (protocols.clone(), self.remote_sampling.clone()),
            None => (
                JaegerProtocols {
                    grpc: Some(ServerConfig::default()),
                    thrift_http: Some(ServerConfig::default()),
                    thrift_compact: Some(UdpServerConfig::default()),
                    thrift_binary: Some(UdpServerConfig::default()),
                },
                Some(self.remote_sampling.clone().unwrap_or_default()),
            ),
        }
    }
}

/// Starts the configured Jaeger listeners.
pub async fn start(
    config: &JaegerReceiverConfig,
    ctx: ReceiverContext,
) -> Result<Vec<Listening>, StartError> {
    let (protocols, remote_sampling) = config.resolved();
    // Loaded first: a bad strategies file stops the start before any port is taken.
    let strategies = match remote_sampling.as_ref().and_then(|s| s.strategies_file.as_ref()) {
        Some(path) => Strategies::load(path)
            .map_err(|reason| StartError::Other { receiver: ctx.id.clone(), reason })?,
        None => Strategies::default(),
    };
    let strategies = Arc::new(strategies);
    let mut listening = Vec::new();
    if let Some(server) = &protocols.grpc {
        listening.push(grpc::start(&ctx, server).await?);
    }
    if let Some(server) = &protocols.thrift_http {
        listening.push(http::start(&ctx, server, strategies.clone()).await?);
    }
    if let Some(udp) = &protocols.thrift_compact {
        listening.push(
            udp::start(&ctx, "thrift_compact", Protocol::Compact, udp, THRIFT_COMPACT_PORT).await?,
        );
    }
    if let Some(udp) = &protocols.thrift_binary {
        listening.push(
            udp::start(&ctx, "thrift_binary", Protocol::Binary, udp, THRIFT_BINARY_PORT).await?,
        );
    }
    if let Some(sampling) = &remote_sampling {
        listening.push(sampling::start(&ctx, sampling, strategies).await?);
    }
    Ok(listening)
}

/// Logs a recurring problem (bad datagrams, refusals) at `warn` at most once per interval, and at `debug`
/// otherwise, so a misbehaving sender cannot flood the log; the counters in `/metrics` stay exact.
struct RateLimitedLog {
    what: &'static str,
    interval: Duration,
    last: Mutex<Option<Instant>>,
    suppressed: AtomicU64,
}

impl RateLimitedLog {
    fn new(what: &'static str) -> Self {
        RateLimitedLog {
            what,
            interval: Duration::from_secs(10),
            last: Mutex::new(None),
            suppressed: AtomicU64::new(0),
        }
    }

    fn log(&self, receiver: &str, transport: &str, message: &str) {
        let now = Instant::now();
        let due = {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            let due = last.is_none_or(|at| now.duration_since(at) >= self.interval);
            if due {
                *last = Some(now);
            }
            due
        };
        if due {
            let suppressed = self.suppressed.swap(0, Ordering::Relaxed);
            tracing::warn!(receiver, transport, suppressed, "{}: {message}", self.what);
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(receiver, transport, "{}: {message}", self.what);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_protocols_everything_runs_on_the_standard_ports() {
        let config: JaegerReceiverConfig = serde_json::from_value(serde_json::json!({})).unwrap();
        let (p, sampling) = config.resolved();
        assert_eq!(p.grpc.unwrap().endpoint_or(GRPC_PORT), "0.0.0.0:14250");
        assert_eq!(p.thrift_http.unwrap().endpoint_or(THRIFT_HTTP_PORT), "0.0.0.0:14268");
        let compact = p.thrift_compact.unwrap();
        assert_eq!((compact.endpoint, compact.queue_size, compact.workers), (None, 1000, 10));
        assert_eq!(compact.max_packet_size.0, 65_000);
        assert!(p.thrift_binary.is_some());
        let sampling = sampling.unwrap();
        assert!(sampling.endpoint.is_none() && sampling.strategies_file.is_none());
    }

    #[test]
    fn with_protocols_only_those_listed_and_collector_spellings_are_read() {
        let config: JaegerReceiverConfig = serde_json::from_value(serde_json::json!({
            "protocols": {"thrift_http": null},
            "remote_sampling": {"host_endpoint": "127.0.0.1:5778", "strategy_file": "s.json"},
        }))
        .unwrap();
        let (p, sampling) = config.resolved();
        assert!(p.thrift_http.is_some() && p.grpc.is_none() && p.thrift_compact.is_none());
        let sampling = sampling.unwrap();
        assert_eq!(sampling.endpoint.as_deref(), Some("127.0.0.1:5778"));
        assert_eq!(sampling.strategies_file.unwrap().to_str(), Some("s.json"));
        let (_, sampling) = serde_json::from_value::<JaegerReceiverConfig>(
            serde_json::json!({"protocols": {"grpc": null}}),
        )
        .unwrap()
        .resolved();
        assert!(sampling.is_none());
    }
}
