//! Test and load-generation helpers: an OTLP/gRPC sink that records what reaches it. Used by the end-to-end
//! tests and `otelbridge loadgen`; it is a real gRPC server on a real socket.

use crate::grpc::{BoxFuture, UnaryMethod, UnaryServer};
use bytes::Bytes;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use translators::otlp::model::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use translators::{decode_traces, Format};

/// What the sink answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkMode {
    /// Take everything.
    Accept,
    /// Answer `Unavailable` (a backend that is down or overloaded).
    Unavailable,
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<ExportTraceServiceRequest>>,
    spans: AtomicU64,
    keep: bool,
    mode: Mutex<Option<SinkMode>>,
    delay: Mutex<Duration>,
}

/// An OTLP/gRPC trace sink on 127.0.0.1.
pub struct OtlpSink {
    address: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

struct SinkExport(Arc<Shared>);

impl UnaryMethod for SinkExport {
    type Response = ExportTraceServiceResponse;
    const SERVICE: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    fn call(
        &self,
        request: tonic::Request<Bytes>,
    ) -> BoxFuture<Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status>> {
        let shared = self.0.clone();
        Box::pin(async move {
            let delay = *shared.delay.lock().unwrap_or_else(|e| e.into_inner());
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let mode =
                shared.mode.lock().unwrap_or_else(|e| e.into_inner()).unwrap_or(SinkMode::Accept);
            if mode == SinkMode::Unavailable {
                return Err(tonic::Status::unavailable("sink is unavailable (test mode)"));
            }
            let decoded = decode_traces(Format::OtlpProto, &request.into_inner())
                .map_err(|e| tonic::Status::invalid_argument(e.to_string()))?;
            shared.spans.fetch_add(decoded.span_count() as u64, Ordering::Relaxed);
            if shared.keep {
                shared.requests.lock().unwrap_or_else(|e| e.into_inner()).extend(decoded.requests);
            }
            Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
        })
    }
}

impl OtlpSink {
    /// Starts a sink that keeps every request (for correctness tests).
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with("127.0.0.1:0", true).await
    }

    /// Starts a sink on `address`; with `keep` false it only counts spans (for load runs).
    pub async fn start_with(address: &str, keep: bool) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared { keep, ..Shared::default() });
        let service = UnaryServer::new(SinkExport(shared.clone()), 256 << 20);
        let router = tonic::service::Routes::new(service).into_axum_router();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(stopped.cancelled_owned())
                .await;
        });
        Ok(OtlpSink { address, shared, stop })
    }

    /// `http://127.0.0.1:<port>`, for an `otlp` exporter's `endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Switches between accepting and answering `Unavailable`.
    pub fn set_mode(&self, mode: SinkMode) {
        *self.shared.mode.lock().unwrap_or_else(|e| e.into_inner()) = Some(mode);
    }

    /// Makes every answer wait `delay` (a slow backend).
    pub fn set_delay(&self, delay: Duration) {
        *self.shared.delay.lock().unwrap_or_else(|e| e.into_inner()) = delay;
    }

    /// Spans received so far.
    pub fn span_count(&self) -> u64 {
        self.shared.spans.load(Ordering::Relaxed)
    }

    /// Requests received so far (only when started with `keep`).
    pub fn requests(&self) -> Vec<ExportTraceServiceRequest> {
        self.shared.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until at least `spans` spans arrived or `timeout` passed; returns what arrived.
    pub async fn wait_for_spans(
        &self,
        spans: u64,
        timeout: Duration,
    ) -> Vec<ExportTraceServiceRequest> {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.span_count() < spans && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.requests()
    }
}

impl Drop for OtlpSink {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
