//! The OTLP/gRPC sink the bridge exports to during a load run. Unlike `testing::OtlpSink`, which counts
//! spans, it reads each span's sequence number ([`super::spans::SEQ_KEY`]) and keeps a bitmap of those
//! seen, so a run reports spans lost, duplicated or foreign, and the loss of any range of sequence numbers
//! (one step of a step run). It walks the request's protobuf fields down to the spans' attributes and
//! reads nothing else (no owned model, no validation of fields it skips): at a few hundred thousand spans
//! a second, the sink shares the load generator's core with the sender.

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
            let numbers = sequence_numbers(&body).map_err(tonic::Status::invalid_argument)?;
            shared.record(numbers);
            Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
        })
    }
}

/// One field of a protobuf message.
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// The fields of one protobuf message, in order.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for (i, &byte) in self.0.iter().enumerate().take(10) {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                self.0 = &self.0[i + 1..];
                return Ok(value);
            }
        }
        Err("bad varint".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.0.len() {
            return Err("field runs past the end of its message".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn next_field(&mut self) -> Result<Option<(u64, Wire<'a>)>, String> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let wire = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Wire::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|e| e.to_string())?;
                Wire::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Wire::Fixed
            }
            other => return Err(format!("unsupported wire type {other}")),
        };
        Ok(Some((key >> 3, wire)))
    }

    /// The messages (length-delimited fields) numbered `number`.
    fn each(
        mut self,
        number: u64,
        mut f: impl FnMut(&'a [u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        while let Some((n, wire)) = self.next_field()? {
            if let (true, Wire::Bytes(bytes)) = (n == number, wire) {
                f(bytes)?;
            }
        }
        Ok(())
    }
}

/// Per span of an `ExportTraceServiceRequest`, its sequence number if it has one.
fn sequence_numbers(body: &[u8]) -> Result<Vec<Option<u64>>, String> {
    let mut seqs = Vec::new();
    // ExportTraceServiceRequest.resource_spans = 1, ResourceSpans.scope_spans = 2, ScopeSpans.spans = 2.
    Fields(body).each(1, |rs| {
        Fields(rs).each(2, |ss| {
            Fields(ss).each(2, |span| {
                seqs.push(span_seq(span)?);
                Ok(())
            })
        })
    })?;
    Ok(seqs)
}

/// The [`SEQ_KEY`] attribute of a span: an int, or (Zipkin tags are strings) a decimal string.
fn span_seq(span: &[u8]) -> Result<Option<u64>, String> {
    let mut seq = None;
    // Span.attributes = 9: KeyValue{key = 1, value = 2: AnyValue{string_value = 1, int_value = 3}}.
    Fields(span).each(9, |kv| {
        if seq.is_some() {
            return Ok(());
        }
        let mut fields = Fields(kv);
        let (mut key, mut value) = (None, None);
        while let Some((n, wire)) = fields.next_field()? {
            match (n, wire) {
                (1, Wire::Bytes(k)) => key = Some(k),
                (2, Wire::Bytes(v)) => value = Some(v),
                _ => {}
            }
        }
        if key != Some(SEQ_KEY.as_bytes()) {
            return Ok(());
        }
        let mut fields = Fields(value.unwrap_or_default());
        while let Some((n, wire)) = fields.next_field()? {
            match (n, wire) {
                (3, Wire::Varint(v)) => seq = u64::try_from(v as i64).ok(),
                (1, Wire::Bytes(s)) => {
                    seq = std::str::from_utf8(s).ok().and_then(|s| s.parse().ok())
                }
                _ => {}
            }
        }
        Ok(())
    })?;
    Ok(seq)
}

impl Shared {
    fn record(&self, numbers: Vec<Option<u64>>) {
        let spans = numbers.len() as u64;
        let mut seqs = Vec::with_capacity(numbers.len());
        for seq in numbers {
            match seq {
                Some(seq) => seqs.push(seq),
                None => {
                    self.unnumbered.fetch_add(1, Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::loadgen::spans::Generator;
    use translators::otlp::attributes;
    use translators::{encode_traces, Format};

    #[test]
    fn reads_int_and_string_sequence_numbers_and_refuses_broken_bodies() {
        let mut generator = Generator::new(30, 9);
        let mut request = generator.next_batch(4_000).clone();
        let spans = &mut request.resource_spans[0].scope_spans[0].spans;
        // As a Zipkin tag comes through: a string; and a span without a number.
        spans[1].attributes[0] = attributes::string(SEQ_KEY, "4001");
        spans[2].attributes.remove(0);
        let body = encode_traces(Format::OtlpProto, &request).bytes;
        let seqs = sequence_numbers(&body).expect("a valid request");
        assert_eq!(seqs.len(), 30);
        assert_eq!(seqs[0], Some(4_000));
        assert_eq!(seqs[1], Some(4_001));
        assert_eq!(seqs[2], None);
        assert_eq!(seqs[29], Some(4_029));
        assert!(sequence_numbers(&body[..body.len() - 3]).is_err());
        assert!(sequence_numbers(&[0x0a, 0xff]).is_err());
    }
}
