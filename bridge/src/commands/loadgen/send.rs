//! The protocols the load generator speaks, and one sender per protocol: the bytes real clients send,
//! encoded by the translators.

use crate::grpc::call_unary;
use bytes::Bytes;
use clap::ValueEnum;
use translators::jaeger::thrift_direct::{from_otlp_framed, Framing};
use translators::otlp::model::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use translators::otlp::wire::TracesView;
use translators::thrift::Protocol as ThriftProtocol;
use translators::{encode_traces, Format};

/// Largest UDP payload sent: the Jaeger clients' limit (65000 bytes), under the IPv4 maximum.
pub const MAX_DATAGRAM: usize = 65_000;

/// One request body or datagram.
#[derive(Debug, Clone)]
pub struct Payload {
    /// The encoded spans.
    pub bytes: Vec<u8>,
    /// How many spans it holds.
    pub spans: usize,
}

/// How spans reach the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// Jaeger agent UDP, Thrift compact `emitBatch` (port 6831).
    JaegerUdpCompact,
    /// Jaeger agent UDP, Thrift binary `emitBatch` (port 6832; the Node client).
    JaegerUdpBinary,
    /// Jaeger collector HTTP, `POST /api/traces`, Thrift binary `Batch` (port 14268).
    JaegerHttp,
    /// Zipkin v2 JSON, `POST /api/v2/spans` (port 9411).
    ZipkinJson,
    /// Zipkin v2 proto3, `POST /api/v2/spans` (port 9411).
    ZipkinProto,
    /// OTLP/gRPC `TraceService/Export` (port 4317).
    OtlpGrpc,
    /// OTLP/HTTP protobuf, `POST /v1/traces` (port 4318).
    OtlpHttp,
}

impl Protocol {
    /// The `--protocol` name.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::JaegerUdpCompact => "jaeger-udp-compact",
            Protocol::JaegerUdpBinary => "jaeger-udp-binary",
            Protocol::JaegerHttp => "jaeger-http",
            Protocol::ZipkinJson => "zipkin-json",
            Protocol::ZipkinProto => "zipkin-proto",
            Protocol::OtlpGrpc => "otlp-grpc",
            Protocol::OtlpHttp => "otlp-http",
        }
    }

    /// True for the UDP protocols (no answer, so no refusal: a datagram is dropped or not).
    pub fn is_udp(self) -> bool {
        matches!(self, Protocol::JaegerUdpCompact | Protocol::JaegerUdpBinary)
    }

    /// The receiver block of a bridge config listening on `endpoint`, and the receiver's id.
    pub fn receiver_config(self, endpoint: &str) -> (String, &'static str) {
        let nested = |receiver: &str, protocol: &str| {
            format!(
                "  {receiver}:\n    protocols:\n      {protocol}: {{ endpoint: \"{endpoint}\" }}\n"
            )
        };
        match self {
            Protocol::JaegerUdpCompact => (nested("jaeger", "thrift_compact"), "jaeger"),
            Protocol::JaegerUdpBinary => (nested("jaeger", "thrift_binary"), "jaeger"),
            Protocol::JaegerHttp => (nested("jaeger", "thrift_http"), "jaeger"),
            Protocol::ZipkinJson | Protocol::ZipkinProto => {
                (format!("  zipkin: {{ endpoint: \"{endpoint}\" }}\n"), "zipkin")
            }
            Protocol::OtlpGrpc => (nested("otlp", "grpc"), "otlp"),
            Protocol::OtlpHttp => (nested("otlp", "http"), "otlp"),
        }
    }

    /// `request` as this protocol's payloads: one, or for UDP as many datagrams of at most
    /// [`MAX_DATAGRAM`] bytes as it takes (the Jaeger clients split their batches the same way).
    pub fn encode(self, request: &ExportTraceServiceRequest) -> Result<Vec<Payload>, String> {
        let whole = self.encode_one(request)?;
        if !self.is_udp() || whole.len() <= MAX_DATAGRAM {
            return Ok(vec![Payload {
                bytes: whole,
                spans: translators::otlp::span_count(request),
            }]);
        }
        let spans = &request.resource_spans[0].scope_spans[0].spans;
        for parts in 2..=spans.len() {
            let per_part = spans.len().div_ceil(parts);
            let mut out = Vec::with_capacity(parts);
            for chunk in spans.chunks(per_part) {
                let mut part =
                    ExportTraceServiceRequest { resource_spans: request.resource_spans.clone() };
                part.resource_spans[0].scope_spans[0].spans = chunk.to_vec();
                out.push(Payload { bytes: self.encode_one(&part)?, spans: chunk.len() });
            }
            if out.iter().all(|d| d.bytes.len() <= MAX_DATAGRAM) {
                return Ok(out);
            }
        }
        Err(format!("one span is more than a {MAX_DATAGRAM}-byte datagram"))
    }

    fn encode_one(self, request: &ExportTraceServiceRequest) -> Result<Vec<u8>, String> {
        let encoded = match self {
            Protocol::JaegerUdpBinary => {
                // encode_traces gives bare Batches (the HTTP body); the agent port takes emitBatch messages.
                let otlp = encode_traces(Format::OtlpProto, request).bytes;
                let view = TracesView::parse(&otlp).map_err(|e| e.to_string())?;
                let (bytes, rejected) =
                    from_otlp_framed(ThriftProtocol::Binary, Framing::AgentMessages, &view);
                translators::Encoded { bytes, rejected }
            }
            other => encode_traces(other.format(), request),
        };
        if let Some(r) = encoded.rejected.first() {
            return Err(format!("the generated batch cannot be sent as {}: {r}", self.name()));
        }
        Ok(encoded.bytes)
    }

    fn format(self) -> Format {
        match self {
            Protocol::JaegerUdpCompact => Format::JaegerThriftCompact,
            Protocol::JaegerUdpBinary | Protocol::JaegerHttp => Format::JaegerThriftBinary,
            Protocol::ZipkinJson => Format::ZipkinJson,
            Protocol::ZipkinProto => Format::ZipkinProto,
            Protocol::OtlpGrpc | Protocol::OtlpHttp => Format::OtlpProto,
        }
    }

    fn http_target(self) -> Option<(&'static str, &'static str)> {
        match self {
            Protocol::JaegerHttp => Some(("/api/traces", "application/x-thrift")),
            Protocol::ZipkinJson => Some(("/api/v2/spans", "application/json")),
            Protocol::ZipkinProto => Some(("/api/v2/spans", "application/x-protobuf")),
            Protocol::OtlpHttp => Some(("/v1/traces", "application/x-protobuf")),
            _ => None,
        }
    }
}

/// How the bridge answered one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Taken (2xx, gRPC OK, or a datagram handed to the kernel).
    Accepted,
    /// Backpressure: HTTP 429 / 503, gRPC `Unavailable` / `ResourceExhausted`.
    Refused,
    /// Anything else (connection error, 4xx, other status).
    Failed(String),
}

/// A connection to the bridge's receiver.
#[derive(Clone)]
pub enum Sender {
    /// A connected UDP socket.
    Udp(std::sync::Arc<tokio::net::UdpSocket>),
    /// HTTP/1.1 with keep-alive.
    Http {
        /// The client (a connection pool).
        client: reqwest::Client,
        /// Full URL.
        url: String,
        /// `Content-Type` of the body.
        content_type: &'static str,
    },
    /// One HTTP/2 connection, requests multiplexed.
    Grpc(tonic::transport::Channel),
}

impl Sender {
    /// Connects to the receiver at `endpoint` (`host:port`).
    pub async fn connect(protocol: Protocol, endpoint: &str) -> Result<Self, String> {
        if protocol.is_udp() {
            let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
                .await
                .map_err(|e| format!("cannot open a UDP socket: {e}"))?;
            socket.connect(endpoint).await.map_err(|e| format!("UDP {endpoint}: {e}"))?;
            return Ok(Sender::Udp(std::sync::Arc::new(socket)));
        }
        if let Some((path, content_type)) = protocol.http_target() {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
            return Ok(Sender::Http {
                client,
                url: format!("http://{endpoint}{path}"),
                content_type,
            });
        }
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{endpoint}"))
            .map_err(|e| format!("bad endpoint {endpoint}: {e}"))?
            .connect()
            .await
            .map_err(|e| format!("cannot connect to {endpoint}: {e}"))?;
        Ok(Sender::Grpc(channel))
    }

    /// Sends one encoded batch.
    pub async fn send(&self, body: Bytes) -> Answer {
        match self {
            Sender::Udp(socket) => match socket.send(&body).await {
                Ok(_) => Answer::Accepted,
                Err(e) => Answer::Failed(format!("UDP send: {e}")),
            },
            Sender::Http { client, url, content_type } => {
                let sent =
                    client.post(url).header("content-type", *content_type).body(body).send().await;
                match sent {
                    Ok(r) if r.status().is_success() => {
                        // Read the (short) answer so the connection goes back to the pool.
                        let _ = r.bytes().await;
                        Answer::Accepted
                    }
                    Ok(r) if matches!(r.status().as_u16(), 429 | 503) => Answer::Refused,
                    Ok(r) => {
                        let status = r.status();
                        let text = r.text().await.unwrap_or_default();
                        Answer::Failed(format!("HTTP {status}: {}", text.trim()))
                    }
                    Err(e) => Answer::Failed(format!("HTTP: {e}")),
                }
            }
            Sender::Grpc(channel) => {
                let path = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
                let answer = call_unary::<ExportTraceServiceResponse>(
                    channel.clone(),
                    path,
                    tonic::Request::new(body),
                    None,
                )
                .await;
                match answer {
                    Ok(_) => Answer::Accepted,
                    Err(s)
                        if matches!(
                            s.code(),
                            tonic::Code::Unavailable | tonic::Code::ResourceExhausted
                        ) =>
                    {
                        Answer::Refused
                    }
                    Err(s) => Answer::Failed(format!("gRPC {:?}: {}", s.code(), s.message())),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::spans::{Generator, SEQ_KEY};
    use super::*;
    use translators::decode_traces;
    use translators::otlp::attributes::get;
    use translators::otlp::model::any_value::Value;

    #[test]
    fn every_protocol_encodes_a_batch_that_decodes_with_its_numbers() {
        let mut generator = Generator::new(100, 1);
        let request = generator.next_batch(500).clone();
        for protocol in Protocol::value_variants() {
            let payloads =
                protocol.encode(&request).unwrap_or_else(|e| panic!("{}: {e}", protocol.name()));
            let mut spans = 0;
            let mut seqs = Vec::new();
            for payload in &payloads {
                let bytes = &payload.bytes;
                let decoded = decode_traces(protocol.format(), bytes)
                    .unwrap_or_else(|e| panic!("{}: {e}", protocol.name()));
                assert!(decoded.rejected.is_empty());
                assert_eq!(decoded.span_count(), payload.spans);
                spans += decoded.span_count();
                for span in decoded
                    .requests
                    .iter()
                    .flat_map(|r| &r.resource_spans)
                    .flat_map(|rs| &rs.scope_spans)
                    .flat_map(|ss| &ss.spans)
                {
                    let seq = match get(&span.attributes, SEQ_KEY) {
                        Some(Value::IntValue(n)) => *n as u64,
                        Some(Value::StringValue(s)) => s.parse().expect("a number"),
                        other => panic!("{}: no sequence number: {other:?}", protocol.name()),
                    };
                    seqs.push(seq);
                }
                if protocol.is_udp() {
                    assert!(bytes.len() <= MAX_DATAGRAM, "{}", bytes.len());
                }
            }
            assert_eq!(spans, 100, "{}", protocol.name());
            seqs.sort_unstable();
            assert_eq!(seqs, (500..600).collect::<Vec<u64>>(), "{}", protocol.name());
            // The UDP batch of 100 realistic spans is more than one datagram.
            assert_eq!(payloads.len() > 1, protocol.is_udp(), "{}", protocol.name());
        }
    }
}
