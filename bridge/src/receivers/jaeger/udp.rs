//! The agent's UDP transports: one socket reader putting datagrams into a bounded queue, drained by workers
//! that decode and push. UDP cannot refuse, so a datagram that finds the queue full, or data the pipeline
//! refuses, is dropped and counted; nothing is lost silently.

use super::RateLimitedLog;
use crate::config::duration::ByteSize;
use crate::error::{PipelineError, ReceiveError};
use crate::pipeline::Traces;
use crate::receivers::ingest::Ingest;
use crate::receivers::{Listening, ReceiverContext, StartError};
use crate::telemetry::metrics::{ComponentMetrics, DropReason, Kind};
use bytes::Bytes;
use serde::Deserialize;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use translators::jaeger::thrift::{EMIT_BATCH, EMIT_ZIPKIN_BATCH};
use translators::thrift::{BinaryReader, CompactReader, Protocol, ProtocolReader, TType};
use translators::zipkin::{v1_convert, v1_thrift, v2_proto};
use translators::{decode_traces, Decoded, Format, Rejection};

/// Settings of a UDP listener (the Jaeger agent's, with the agent's defaults).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UdpServerConfig {
    /// `host:port` to listen on. Default: the protocol's standard port on all interfaces.
    pub endpoint: Option<String>,
    /// Datagrams waiting to be decoded; one arriving when the queue is full is dropped and counted
    /// (`reason="queue_full"`). A queued datagram keeps its bytes, so the queue holds at most `queue_size` ×
    /// `max_packet_size` (65 MB with the defaults, when the pipeline falls far behind). Default `1000`.
    pub queue_size: usize,
    /// Tasks decoding datagrams from the queue. Default `10`.
    pub workers: usize,
    /// Largest datagram read; larger ones are dropped and counted (`reason="too_large"`). Default `65000`,
    /// the clients' limit.
    pub max_packet_size: ByteSize,
    /// The socket's receive buffer (`SO_RCVBUF`), which absorbs bursts while the reader is busy; `0` keeps
    /// the OS default. Default: 4 MiB, quietly capped by the OS (on Linux at `net.core.rmem_max`); a value
    /// set here that the OS caps is logged. Datagrams the kernel drops for lack of room are counted too
    /// (Linux), as `reason="queue_full"`.
    pub socket_buffer_size: Option<ByteSize>,
}

impl Default for UdpServerConfig {
    fn default() -> Self {
        UdpServerConfig {
            endpoint: None,
            queue_size: 1000,
            workers: 10,
            max_packet_size: ByteSize(65_000),
            socket_buffer_size: None,
        }
    }
}

/// Binds the socket and starts the reader and the workers.
pub(super) async fn start(
    ctx: &ReceiverContext,
    transport: &'static str,
    protocol: Protocol,
    config: &UdpServerConfig,
    default_port: u16,
) -> Result<Listening, StartError> {
    let endpoint = config.endpoint.clone().unwrap_or_else(|| format!("0.0.0.0:{default_port}"));
    let other = |reason: String| StartError::Other {
        receiver: ctx.id.clone(),
        reason: format!("{transport}: {reason}"),
    };
    if config.queue_size == 0 || config.workers == 0 {
        return Err(other("queue_size and workers must be at least 1".into()));
    }
    let max_packet = usize::try_from(config.max_packet_size.0).unwrap_or(usize::MAX).min(65_535);
    if max_packet == 0 {
        return Err(other("max_packet_size must be at least 1 byte".into()));
    }
    let bind_error = |source| StartError::Bind {
        receiver: ctx.id.clone(),
        transport,
        endpoint: endpoint.clone(),
        source,
    };
    let address =
        tokio::net::lookup_host(&endpoint).await.map_err(bind_error)?.next().ok_or_else(|| {
            bind_error(std::io::Error::other("the endpoint resolves to no address"))
        })?;
    let buffer = match config.socket_buffer_size {
        Some(size) => Buffer::Exactly(size.0),
        None => Buffer::AtMost(DEFAULT_SOCKET_BUFFER),
    };
    let socket = bind_udp(address, buffer).map_err(bind_error)?;
    let bound = socket.local_addr().map_err(bind_error)?;

    let metrics = ctx.registry.transport(Kind::Receiver, &ctx.id, transport);
    let worker = Arc::new(Worker {
        receiver: ctx.id.clone(),
        transport,
        protocol,
        ingest: Ingest {
            consumer: ctx.consumer.clone(),
            metrics: metrics.clone(),
            // Datagrams are small; the per-request span limit is an HTTP/gRPC concern.
            max_spans: usize::MAX,
        },
        bad_datagrams: RateLimitedLog::new("undecodable datagram dropped"),
        refusals: RateLimitedLog::new("spans dropped: the pipeline refused them"),
    });
    let (queue, datagrams) = async_channel::bounded::<Bytes>(config.queue_size);
    for _ in 0..config.workers {
        let datagrams = datagrams.clone();
        let worker = worker.clone();
        ctx.tasks.spawn(async move {
            // Ends when the reader has stopped and the queue is drained.
            while let Ok(datagram) = datagrams.recv().await {
                worker.handle(&datagram).await;
            }
        });
    }
    let reader =
        Reader { socket, queue, metrics, protocol, transport, max_packet, stop: ctx.stop.clone() };
    std::thread::Builder::new()
        .name(format!("{}-{transport}", ctx.id))
        .spawn(move || reader.run())
        .map_err(|e| other(format!("cannot start the socket reader thread: {e}")))?;
    Ok(Listening { receiver: ctx.id.clone(), transport, address: bound })
}

/// How often the reader looks at the stop signal when no datagram arrives.
const STOP_POLL: Duration = Duration::from_millis(100);
/// How often the reader counts the datagrams the kernel dropped.
const KERNEL_DROPS_EVERY: Duration = Duration::from_secs(1);

/// The socket reader. It runs on its own OS thread rather than as a task: the kernel's receive buffer holds
/// only a few 65 kB datagrams, and a task would wait behind the decoding workers on a busy (or one-core)
/// runtime while the kernel drops datagrams uncounted; a thread blocked in `recv` is woken by the OS at once.
struct Reader {
    socket: std::net::UdpSocket,
    queue: async_channel::Sender<Bytes>,
    metrics: Arc<ComponentMetrics>,
    protocol: Protocol,
    transport: &'static str,
    max_packet: usize,
    stop: tokio_util::sync::CancellationToken,
}

impl Reader {
    fn run(self) {
        let metrics = &self.metrics;
        let transport = self.transport;
        let mut buffer = vec![0u8; self.max_packet + 1];
        let full = RateLimitedLog::new("datagram dropped: the receive queue is full");
        let too_large = RateLimitedLog::new("datagram dropped: larger than max_packet_size");
        let kernel_full =
            RateLimitedLog::new("datagrams dropped by the kernel: the socket buffer was full");
        let mut kernel = KernelDrops::new(&self.socket);
        let mut checked = Instant::now();
        let mut datagrams = 0u64;
        loop {
            if checked.elapsed() >= KERNEL_DROPS_EVERY || self.stop.is_cancelled() {
                checked = Instant::now();
                let dropped = kernel.new_drops();
                if dropped > 0 {
                    // Never read, so their spans are unknown: estimated from the datagrams read so far.
                    let per_datagram = ComponentMetrics::get(&metrics.received)
                        .checked_div(datagrams)
                        .unwrap_or(1)
                        .max(1);
                    ComponentMetrics::add(&metrics.received, dropped * per_datagram);
                    metrics.dropped(DropReason::QueueFull, dropped * per_datagram);
                    // Counted as seen, so the estimate stays an average of spans per datagram.
                    datagrams += dropped;
                    let message = format!(
                        "{dropped} datagrams (~{} spans); raise socket_buffer_size / net.core.rmem_max",
                        dropped * per_datagram
                    );
                    kernel_full.log(metrics.id(), transport, &message);
                }
                if self.stop.is_cancelled() {
                    break;
                }
            }
            let length = match self.socket.recv(&mut buffer) {
                Ok(length) => length,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    continue
                }
                Err(error) => {
                    // e.g. ICMP errors surfacing on some platforms; the socket stays usable.
                    tracing::debug!(%error, transport, "UDP receive failed");
                    continue;
                }
            };
            ComponentMetrics::add(&metrics.bytes_in, length as u64);
            datagrams += 1;
            let datagram = &buffer[..length];
            if length > self.max_packet {
                let spans = span_count_hint(self.protocol, datagram);
                ComponentMetrics::add(&metrics.received, spans);
                ComponentMetrics::add(&metrics.errors, 1);
                metrics.dropped(DropReason::TooLarge, spans);
                let message = format!("more than {} bytes", self.max_packet);
                too_large.log(metrics.id(), transport, &message);
                continue;
            }
            match self.queue.try_send(Bytes::copy_from_slice(datagram)) {
                Ok(()) => {}
                Err(async_channel::TrySendError::Full(datagram)) => {
                    let spans = span_count_hint(self.protocol, &datagram);
                    ComponentMetrics::add(&metrics.received, spans);
                    metrics.dropped(DropReason::QueueFull, spans);
                    full.log(metrics.id(), transport, &format!("{spans} spans (queue_size)"));
                }
                Err(async_channel::TrySendError::Closed(_)) => break,
            }
        }
        // Dropping the sender lets the workers finish what is queued, then end.
    }
}

/// Receive buffer asked for by default: room for about 64 datagrams of 65 kB.
const DEFAULT_SOCKET_BUFFER: u64 = 4 << 20;

/// The receive buffer to ask for.
#[derive(Debug, Clone, Copy)]
enum Buffer {
    /// Configured: warn when the OS grants less.
    Exactly(u64),
    /// The default: take what the OS grants.
    AtMost(u64),
}

/// A UDP socket with the requested receive buffer, blocking with a read timeout (for [`Reader`]).
fn bind_udp(address: SocketAddr, buffer: Buffer) -> std::io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Socket, Type};
    let socket =
        Socket::new(Domain::for_address(address), Type::DGRAM, Some(socket2::Protocol::UDP))?;
    let (Buffer::Exactly(wanted) | Buffer::AtMost(wanted)) = buffer;
    if wanted > 0 {
        let wanted = usize::try_from(wanted).unwrap_or(usize::MAX);
        socket.set_recv_buffer_size(wanted)?;
        let got = socket.recv_buffer_size()?;
        // Linux reports twice what it grants, and caps the grant at net.core.rmem_max.
        if got < wanted && matches!(buffer, Buffer::Exactly(_)) {
            tracing::warn!(
                wanted,
                got,
                "socket_buffer_size: the OS granted a smaller UDP receive buffer (raise net.core.rmem_max)"
            );
        }
    }
    socket.bind(&address.into())?;
    socket.set_read_timeout(Some(STOP_POLL))?;
    Ok(socket.into())
}

/// Datagrams the kernel dropped on one socket because its receive buffer was full: Linux's `drops` column
/// of `/proc/net/udp` (and `udp6`), found by the socket's inode. Read without `unsafe` (no `SO_RXQ_OVFL`).
struct KernelDrops {
    inode: Option<String>,
    last: u64,
}

impl KernelDrops {
    fn new(socket: &std::net::UdpSocket) -> Self {
        let inode = socket_inode(socket);
        let last = inode.as_deref().and_then(read_drops).unwrap_or(0);
        KernelDrops { inode, last }
    }

    /// Drops since the last call.
    fn new_drops(&mut self) -> u64 {
        let Some(total) = self.inode.as_deref().and_then(read_drops) else { return 0 };
        let new = total.saturating_sub(self.last);
        self.last = total;
        new
    }
}

fn socket_inode(socket: &std::net::UdpSocket) -> Option<String> {
    use std::os::fd::AsRawFd as _;
    let link = std::fs::read_link(format!("/proc/self/fd/{}", socket.as_raw_fd())).ok()?;
    let link = link.to_str()?;
    Some(link.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
}

fn read_drops(inode: &str) -> Option<u64> {
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
        for line in text.lines().skip(1) {
            let columns: Vec<&str> = line.split_whitespace().collect();
            if columns.get(9) == Some(&inode) {
                return columns.get(12)?.parse().ok();
            }
        }
    }
    None
}

struct Worker {
    receiver: String,
    transport: &'static str,
    protocol: Protocol,
    ingest: Ingest,
    bad_datagrams: RateLimitedLog,
    refusals: RateLimitedLog,
}

/// Why a datagram could not be read at all.
enum DatagramError {
    /// Broken Thrift, an unknown method.
    Malformed(String),
}

impl Worker {
    async fn handle(&self, datagram: &Bytes) {
        let metrics = &self.ingest.metrics;
        let (traces, rejected) = match self.decode(datagram) {
            Ok(decoded) => decoded,
            Err(DatagramError::Malformed(reason)) => {
                let spans = span_count_hint(self.protocol, datagram);
                ComponentMetrics::add(&metrics.received, spans);
                ComponentMetrics::add(&metrics.errors, 1);
                metrics.dropped(DropReason::Malformed, spans);
                self.bad_datagrams.log(&self.receiver, self.transport, &reason);
                return;
            }
        };
        let spans = crate::pipeline::span_count(&traces) as u64;
        match self.ingest.push_decoded(traces, rejected).await {
            Ok(outcome) if !outcome.rejected.is_empty() => {
                self.bad_datagrams.log(&self.receiver, self.transport, &outcome.rejection_message())
            }
            Ok(_) => {}
            Err(ReceiveError::Pipeline(error)) => {
                // Counted as refused by the ingest; UDP cannot ask for a retry, so they are gone too.
                metrics.dropped(refusal_reason(&error), spans);
                self.refusals.log(&self.receiver, self.transport, &error.to_string());
            }
            // Counted by the ingest (spans per request); not reachable with an unlimited span count.
            Err(error) => self.refusals.log(&self.receiver, self.transport, &error.to_string()),
        }
    }

    fn decode(&self, datagram: &Bytes) -> Result<(Traces, Vec<Rejection>), DatagramError> {
        let format = match self.protocol {
            Protocol::Compact => Format::JaegerThriftCompact,
            Protocol::Binary => Format::JaegerThriftBinary,
        };
        let is_zipkin = match self.protocol {
            Protocol::Compact => method_name(&mut CompactReader::new(datagram)),
            Protocol::Binary => method_name(&mut BinaryReader::new(datagram)),
        } == Some(EMIT_ZIPKIN_BATCH);
        if is_zipkin {
            let decoded = match self.protocol {
                Protocol::Compact => zipkin_batch(&mut CompactReader::new(datagram), format),
                Protocol::Binary => zipkin_batch(&mut BinaryReader::new(datagram), format),
            }?;
            let mut traces = Traces::default();
            for request in decoded.requests {
                traces.resource_spans.extend(request.resource_spans);
            }
            return Ok((traces, decoded.rejected));
        }
        crate::receivers::ingest::translate(format, datagram)
            .map_err(|e| DatagramError::Malformed(e.to_string()))
    }
}

/// The drop reason of spans the pipeline refused.
fn refusal_reason(error: &PipelineError) -> DropReason {
    match error {
        PipelineError::QueueFull(_) | PipelineError::QueueTimeout(_) => DropReason::QueueFull,
        PipelineError::MemoryLimit(_) => DropReason::MemoryLimit,
        PipelineError::ShuttingDown => DropReason::Shutdown,
    }
}

/// The Agent method of the first message, if the datagram starts with a readable message header.
fn method_name<'a, R: ProtocolReader<'a>>(r: &mut R) -> Option<&'a str> {
    r.read_message_begin().ok().map(|m| m.name)
}

/// `Agent.emitZipkinBatch(1: list<zipkincore.Span>)` messages → OTLP: the v1 spans are read with the
/// translators' zipkinCore reader (either protocol) and converted as the Zipkin v1 Thrift path does.
fn zipkin_batch<'a, R: ProtocolReader<'a>>(
    r: &mut R,
    format: Format,
) -> Result<Decoded, DatagramError> {
    let broken = |e: translators::thrift::ThriftError| {
        DatagramError::Malformed(format!("emitZipkinBatch: {}", e.into_decode_error(format)))
    };
    let mut spans = Vec::new();
    let mut rejected = Vec::new();
    let mut index = 0usize;
    while !r.is_empty() {
        let message = r.read_message_begin().map_err(broken)?;
        if message.name != EMIT_ZIPKIN_BATCH {
            return Err(DatagramError::Malformed(format!(
                "a datagram mixing Agent methods ({EMIT_ZIPKIN_BATCH} then {:?})",
                message.name
            )));
        }
        r.read_struct_begin().map_err(broken)?;
        while let Some(field) = r.read_field_begin().map_err(broken)? {
            if (field.id, field.ttype) != (1, TType::List) {
                r.skip(field.ttype).map_err(broken)?;
                continue;
            }
            let header = r.read_list_begin().map_err(broken)?;
            for _ in 0..header.len {
                if header.elem != TType::Struct {
                    r.skip(header.elem).map_err(broken)?;
                    continue;
                }
                let item = v1_thrift::item_path(index);
                index += 1;
                match v1_thrift::read_span(r).map_err(broken)? {
                    Ok(span) => {
                        if let Err(e) = v1_convert::v1_to_v2(&span, &mut spans) {
                            rejected
                                .push(Rejection::new(item, format!("{}: {}", e.field, e.reason)));
                        }
                    }
                    Err((_, reason)) => rejected.push(Rejection::new(item, reason)),
                }
            }
        }
        r.read_struct_end();
    }
    if spans.is_empty() {
        return Ok(Decoded { requests: Vec::new(), rejected });
    }
    let mut decoded = decode_traces(Format::ZipkinProto, &v2_proto::encode(spans))
        .map_err(|e| DatagramError::Malformed(e.to_string()))?;
    rejected.append(&mut decoded.rejected);
    decoded.rejected = rejected;
    Ok(decoded)
}

/// Spans in a datagram, read from the first message's span-list header without decoding the spans (for
/// counting datagrams dropped unread); 1 when the header cannot be read.
fn span_count_hint(protocol: Protocol, datagram: &[u8]) -> u64 {
    let count = match protocol {
        Protocol::Compact => spans_in_first_message(&mut CompactReader::new(datagram)),
        Protocol::Binary => spans_in_first_message(&mut BinaryReader::new(datagram)),
    };
    count.ok().flatten().map_or(1, |n| n.max(1) as u64)
}

fn spans_in_first_message<'a, R: ProtocolReader<'a>>(
    r: &mut R,
) -> translators::thrift::Result<Option<usize>> {
    let message = r.read_message_begin()?;
    r.read_struct_begin()?;
    while let Some(field) = r.read_field_begin()? {
        match (field.id, field.ttype) {
            // emitBatch(1: Batch): Batch.spans is field 2.
            (1, TType::Struct) if message.name == EMIT_BATCH => {
                r.read_struct_begin()?;
                while let Some(inner) = r.read_field_begin()? {
                    if (inner.id, inner.ttype) == (2, TType::List) {
                        return Ok(Some(r.read_list_begin()?.len));
                    }
                    r.skip(inner.ttype)?;
                }
                return Ok(None);
            }
            // emitZipkinBatch(1: list<Span>).
            (1, TType::List) => return Ok(Some(r.read_list_begin()?.len)),
            (_, other) => r.skip(other)?,
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn socket_buffer_size_sets_so_rcvbuf() {
        let address: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let default = bind_udp(address, Buffer::Exactly(0)).unwrap();
        let default = socket2::SockRef::from(&default).recv_buffer_size().unwrap();
        // Small enough for any rmem_max, different from the default.
        let wanted = (default / 4).max(4096);
        let sized = bind_udp(address, Buffer::Exactly(wanted as u64)).unwrap();
        let got = socket2::SockRef::from(&sized).recv_buffer_size().unwrap();
        // Linux reports double the requested size (its bookkeeping overhead).
        assert!(
            got == wanted || got == 2 * wanted,
            "wanted {wanted}, got {got} (default {default})"
        );
    }

    #[test]
    fn kernel_drops_are_read_for_the_socket() {
        let address: SocketAddr = "127.0.0.1:0".parse().unwrap();
        // The smallest buffer the kernel allows; nobody reads it.
        let socket = bind_udp(address, Buffer::AtMost(1)).unwrap();
        let mut drops = KernelDrops::new(&socket);
        if drops.inode.is_none() {
            return; // not Linux
        }
        let sender = std::net::UdpSocket::bind(address).unwrap();
        for _ in 0..200 {
            sender.send_to(&[0u8; 1000], socket.local_addr().unwrap()).unwrap();
        }
        let dropped = drops.new_drops();
        assert!(dropped > 100, "{dropped}");
        assert_eq!(drops.new_drops(), 0);
    }

    #[test]
    fn span_count_hint_reads_the_span_list_header() {
        use translators::thrift::{CompactWriter, MessageType, ProtocolWriter};
        let mut w = CompactWriter::new();
        w.write_message_begin(EMIT_BATCH, MessageType::Oneway, 1);
        w.write_struct_begin();
        w.write_field_begin(TType::Struct, 1);
        w.write_struct_begin();
        w.write_field_begin(TType::Struct, 1);
        w.write_struct_begin();
        w.write_field_begin(TType::Binary, 1);
        w.write_str("svc");
        w.write_field_stop();
        w.write_struct_end();
        w.write_field_begin(TType::List, 2);
        w.write_list_begin(TType::Struct, 7);
        for _ in 0..7 {
            w.write_struct_begin();
            w.write_field_stop();
            w.write_struct_end();
        }
        // Left unfinished: the hint reads no further than the list header.
        let bytes = w.into_inner();
        assert_eq!(span_count_hint(Protocol::Compact, &bytes), 7);
        assert_eq!(span_count_hint(Protocol::Compact, b"junk"), 1);
    }
}
