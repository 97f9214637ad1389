//! The OTLP/gRPC sink the bridge exports to during a load run. Unlike `testing::OtlpSink`, which counts
//! spans, it reads each span's sequence number ([`super::spans::SEQ_KEY`]) and keeps a bitmap of those
//! seen, so a run reports spans lost, duplicated or foreign, and the loss of any range of sequence numbers
//! (one step of a step run). It reads the request through the translators' protobuf views: no owned
//! model is built, so the sink costs the load generator's core little.

use super::spans::SEQ_KEY;
use crate::grpc::{BoxFuture, UnaryMethod, UnaryServer};
use bytes::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;
use translators::otlp::model::ExportTraceServiceResponse;
use translators::otlp::wire::{AnyValueView, TracesView};

#[derive(Default)]
struct Shared {
    /// Bit `n` set: sequence number `n` arrived.
    seen: Mutex<Vec<u64>>,
    spans: AtomicU64,
    unique: AtomicU64,
    duplicates: AtomicU64,
    unnumbered: AtomicU64,
    requests: AtomicU64,
}

/// What reached the sink so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkCounts {
    /// Export calls answered.
    pub requests: u64,
    /// Spans, all of them.
    pub spans: u64,
    /// Distinct sequence numbers.
    pub unique: u64,
    /// Spans whose sequence number had arrived before.
    pub duplicates: u64,
    /// Spans without a readable sequence number.
    pub unnumbered: u64,
}

/// A counting OTLP/gRPC trace sink.
pub struct SeqSink {
    address: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

struct Export(Arc<Shared>);

impl UnaryMethod for Export {
    type Response = ExportTraceServiceResponse;
    const SERVICE: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    fn call(
        &self,
        request: tonic::Request<Bytes>,
    ) -> BoxFuture<Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status>> {
        let shared = self.0.clone();
        Box::pin(async move {
            let body = request.into_inner();
            let view = TracesView::parse(&body)
                .map_err(|e| tonic::Status::invalid_argument(e.to_string()))?;
            shared.record(&view);
            Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
        })
    }
}

impl Shared {
    fn record(&self, view: &TracesView<'_>) {
        let mut seqs = Vec::new();
        let mut spans = 0u64;
        for rs in view.resource_spans() {
            for ss in rs.scope_spans() {
                for span in ss.spans() {
                    spans += 1;
                    let seq = span.attributes().find(|kv| kv.key == SEQ_KEY).and_then(|kv| {
                        match kv.value? {
                            AnyValueView::Int(n) => u64::try_from(n).ok(),
                            // Zipkin tags are strings.
                            AnyValueView::String(s) => s.parse().ok(),
                            _ => None,
                        }
                    });
                    match seq {
                        Some(seq) => seqs.push(seq),
                        None => {
                            self.unnumbered.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
        let (mut unique, mut duplicates) = (0, 0);
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            for seq in seqs {
                let word = (seq / 64) as usize;
                if word >= seen.len() {
                    seen.resize((word + 1).next_power_of_two(), 0);
                }
                let bit = 1u64 << (seq % 64);
                if seen[word] & bit == 0 {
                    seen[word] |= bit;
                    unique += 1;
                } else {
                    duplicates += 1;
                }
            }
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.unique.fetch_add(unique, Ordering::Relaxed);
        self.duplicates.fetch_add(duplicates, Ordering::Relaxed);
        self.spans.fetch_add(spans, Ordering::Relaxed);
    }
}

impl SeqSink {
    /// Listens on `address` (`127.0.0.1:0` for a free port).
    pub async fn start(address: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let service = UnaryServer::new(Export(shared.clone()), 256 << 20);
        let router = tonic::service::Routes::new(service).into_axum_router();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    _ = stopped.cancelled() => break,
                    accepted = listener.accept() => match accepted {
                        Ok(pair) => pair,
                        Err(_) => continue,
                    },
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let service = hyper::service::service_fn(
                    move |request: http::Request<hyper::body::Incoming>| {
                        router.clone().oneshot(request.map(axum::body::Body::new))
                    },
                );
                let mut builder = auto::Builder::new(TokioExecutor::new());
                // Windows far above HTTP/2's 64 KiB default: at ~1000 exports/s of ~35 KB each, a sender
                // waiting for WINDOW_UPDATEs from this (busy) process would measure the sink, not the bridge.
                builder
                    .http2()
                    .initial_stream_window_size(8 << 20)
                    .initial_connection_window_size(32 << 20)
                    .max_frame_size(1 << 20);
                let stopped = stopped.clone();
                tokio::spawn(async move {
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = connection => {}
                        _ = stopped.cancelled() => {}
                    }
                });
            }
        });
        Ok(SeqSink { address, shared, stop })
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Counts so far.
    pub fn counts(&self) -> SinkCounts {
        let s = &self.shared;
        SinkCounts {
            requests: s.requests.load(Ordering::Relaxed),
            spans: s.spans.load(Ordering::Relaxed),
            unique: s.unique.load(Ordering::Relaxed),
            duplicates: s.duplicates.load(Ordering::Relaxed),
            unnumbered: s.unnumbered.load(Ordering::Relaxed),
        }
    }

    /// Distinct sequence numbers seen in `from..to`.
    pub fn seen_in(&self, from: u64, to: u64) -> u64 {
        let seen = self.shared.seen.lock().unwrap_or_else(|e| e.into_inner());
        (from..to)
            .filter(|seq| {
                seen.get((seq / 64) as usize).is_some_and(|word| word & (1 << (seq % 64)) != 0)
            })
            .count() as u64
    }
}

impl Drop for SeqSink {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
