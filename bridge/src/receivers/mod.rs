//! Receivers: bytes off the wire → translators → pipeline. One module per protocol family, with its config.

pub mod http_body;
pub mod ingest;
pub mod jaeger;
pub mod otlp;
pub mod server;
pub mod zipkin;

use crate::config::problems::{did_you_mean, typed};
use crate::config::Problem;
use crate::pipeline::Consumer;
use crate::telemetry::metrics::Registry;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use thiserror::Error;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A receiver's settings, by type.
#[derive(Debug, Clone)]
pub enum ReceiverConfig {
    /// `otlp`: OTLP over gRPC (4317) and HTTP (4318).
    Otlp(otlp::OtlpReceiverConfig),
    /// `jaeger`: Thrift over UDP (6831 compact, 6832 binary) and HTTP (14268), gRPC (14250), remote sampling (5778).
    Jaeger(jaeger::JaegerReceiverConfig),
    /// `zipkin`: HTTP (9411) v1 and v2, JSON, proto and Thrift.
    Zipkin(zipkin::ZipkinReceiverConfig),
}

/// Receiver types, for messages.
pub const TYPES: &[&str] = &["otlp", "jaeger", "zipkin"];

impl ReceiverConfig {
    /// Types the settings of a receiver of type `type_name` found at `path`.
    pub fn parse(type_name: &str, value: Value, path: &str) -> Result<Self, Problem> {
        Ok(match type_name {
            "otlp" => ReceiverConfig::Otlp(typed(path, value)?),
            "jaeger" => ReceiverConfig::Jaeger(typed(path, value)?),
            "zipkin" => ReceiverConfig::Zipkin(typed(path, value)?),
            other => {
                return Err(Problem {
                    path: path.into(),
                    message: format!(
                        "unknown receiver type {other:?}{}; known: {}",
                        did_you_mean(other, TYPES),
                        TYPES.join(", ")
                    ),
                })
            }
        })
    }
}

/// What a receiver needs to run.
#[derive(Clone)]
pub struct ReceiverContext {
    /// The receiver's id (`jaeger`, `jaeger/legacy`).
    pub id: String,
    /// Where received data goes: the pipelines that list this receiver.
    pub consumer: Arc<dyn Consumer>,
    /// Self-metrics; each transport registers its own counters.
    pub registry: Registry,
    /// Cancelled when the service stops taking data.
    pub stop: CancellationToken,
    /// Tracks every task the receiver spawns, so shutdown can wait for in-flight requests.
    pub tasks: TaskTracker,
    /// The embedded store whose query API the receiver serves beside its own routes (Zipkin's
    /// `/api/v2/traces` on 9411), if any.
    pub query_store: Option<Arc<crate::store::Store>>,
}

/// One listening socket of a receiver.
#[derive(Debug, Clone)]
pub struct Listening {
    /// e.g. `jaeger`.
    pub receiver: String,
    /// e.g. `thrift_compact`.
    pub transport: &'static str,
    /// The bound address (useful when the port was 0).
    pub address: SocketAddr,
}

/// Why a receiver could not start.
#[derive(Debug, Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("receiver {receiver} ({transport}): cannot listen on {endpoint}: {source}")]
    Bind {
        /// Receiver id.
        receiver: String,
        /// Transport name.
        transport: &'static str,
        /// Configured endpoint.
        endpoint: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Anything else wrong at start (a file that cannot be read...).
    #[error("receiver {receiver}: {reason}")]
    Other {
        /// Receiver id.
        receiver: String,
        /// What went wrong.
        reason: String,
    },
}

/// Starts a receiver's listeners; returns what it listens on.
pub async fn start(
    config: &ReceiverConfig,
    ctx: ReceiverContext,
) -> Result<Vec<Listening>, StartError> {
    match config {
        ReceiverConfig::Otlp(c) => otlp::start(c, ctx).await,
        ReceiverConfig::Jaeger(c) => jaeger::start(c, ctx).await,
        ReceiverConfig::Zipkin(c) => zipkin::start(c, ctx).await,
    }
}
