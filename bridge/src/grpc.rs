//! Unary gRPC services over tonic without generated code: our protobuf types are hand-written prost structs
//! (in `translators`), so a service is one method path and a response type. The request reaches the handler
//! as raw message bytes, so it is decoded by the translators (the same checked decoder as every other
//! path), not by prost straight into an unchecked struct.

use crate::telemetry::metrics::ComponentMetrics;
use bytes::{Buf as _, Bytes};
use http::{Request, Response};
use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::body::Body;
use tonic::codec::CompressionEncoding;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::server::NamedService;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// One unary gRPC method: what it is called and what it does.
pub trait UnaryMethod: Send + Sync + 'static {
    /// The response message.
    type Response: prost::Message + Default + Send + 'static;
    /// Fully qualified service name, e.g. `opentelemetry.proto.collector.trace.v1.TraceService`.
    const SERVICE: &'static str;
    /// The method's HTTP/2 path, e.g. `/opentelemetry.proto.collector.trace.v1.TraceService/Export`.
    const PATH: &'static str;
    /// Handles one call.
    fn call(
        &self,
        request: tonic::Request<Bytes>,
    ) -> BoxFuture<Result<tonic::Response<Self::Response>, tonic::Status>>;
}

/// A tonic-servable service exposing one [`UnaryMethod`]; other paths answer `Unimplemented`.
pub struct UnaryServer<M> {
    method: Arc<M>,
    max_decoding_message_size: usize,
    metrics: Option<Arc<ComponentMetrics>>,
}

impl<M> Clone for UnaryServer<M> {
    fn clone(&self) -> Self {
        UnaryServer {
            method: self.method.clone(),
            max_decoding_message_size: self.max_decoding_message_size,
            metrics: self.metrics.clone(),
        }
    }
}

impl<M: UnaryMethod> UnaryServer<M> {
    /// Serves `method`, refusing request messages larger than `max_decoding_message_size` bytes
    /// (after decompression) with `ResourceExhausted`.
    pub fn new(method: M, max_decoding_message_size: usize) -> Self {
        UnaryServer { method: Arc::new(method), max_decoding_message_size, metrics: None }
    }

    /// Counts calls refused before they reach the method (a message over the size limit, a gzip bomb, a
    /// broken frame) in `metrics.errors`, so no refusal goes uncounted.
    pub fn with_metrics(mut self, metrics: Arc<ComponentMetrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }
}

impl<M: UnaryMethod> NamedService for UnaryServer<M> {
    const NAME: &'static str = M::SERVICE;
}

struct Call<M>(Arc<M>, Arc<AtomicBool>);

impl<M: UnaryMethod> tonic::server::UnaryService<Bytes> for Call<M> {
    type Response = M::Response;
    type Future = BoxFuture<Result<tonic::Response<M::Response>, tonic::Status>>;
    fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
        self.1.store(true, Ordering::Relaxed);
        self.0.call(request)
    }
}

impl<M: UnaryMethod> tower::Service<Request<Body>> for UnaryServer<M> {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if request.uri().path() != M::PATH {
            let path = request.uri().path().to_string();
            return Box::pin(async move {
                Ok(tonic::Status::unimplemented(format!("unknown method {path}")).into_http())
            });
        }
        let method = self.method.clone();
        let limit = self.max_decoding_message_size;
        let metrics = self.metrics.clone();
        Box::pin(async move {
            let reached = Arc::new(AtomicBool::new(false));
            let codec = RawRequestCodec::<M::Response>(PhantomData);
            let mut grpc = tonic::server::Grpc::new(codec)
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip)
                .apply_max_message_size_config(Some(limit), None);
            let response = grpc.unary(Call(method, reached.clone()), request).await;
            if let Some(metrics) = metrics {
                // Refused by tonic before the method ran: the error is in the (trailers-only) headers.
                let failed =
                    response.headers().get("grpc-status").is_some_and(|v| v.as_bytes() != b"0");
                if failed && !reached.load(Ordering::Relaxed) {
                    ComponentMetrics::add(&metrics.errors, 1);
                }
            }
            Ok(response)
        })
    }
}

/// Calls a unary method on `channel` with an already-encoded request message (the client half, for
/// exporters, the load generator and tests).
pub async fn call_unary<Resp>(
    channel: tonic::transport::Channel,
    path: &'static str,
    request: tonic::Request<Bytes>,
    compression: Option<CompressionEncoding>,
) -> Result<tonic::Response<Resp>, tonic::Status>
where
    Resp: prost::Message + Default + Send + Sync + 'static,
{
    let mut client = tonic::client::Grpc::new(channel).max_decoding_message_size(64 << 20);
    if let Some(encoding) = compression {
        client = client.send_compressed(encoding).accept_compressed(encoding);
    }
    client
        .ready()
        .await
        .map_err(|e| tonic::Status::unavailable(format!("connection not ready: {e}")))?;
    let codec = RawRequestClientCodec::<Resp>::default();
    client.unary(request, http::uri::PathAndQuery::from_static(path), codec).await
}

/// Server codec: requests stay raw bytes, responses are prost messages.
struct RawRequestCodec<Resp>(PhantomData<Resp>);

impl<Resp: prost::Message + Send + 'static> Codec for RawRequestCodec<Resp> {
    type Encode = Resp;
    type Decode = Bytes;
    type Encoder = ProstEncoder<Resp>;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder(PhantomData)
    }
    fn decoder(&mut self) -> Self::Decoder {
        RawDecoder
    }
}

/// Encodes a prost message.
struct ProstEncoder<T>(PhantomData<T>);

impl<T: prost::Message> Encoder for ProstEncoder<T> {
    type Item = T;
    type Error = tonic::Status;
    fn encode(&mut self, item: T, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        item.encode(dst)
            .map_err(|e| tonic::Status::internal(format!("cannot encode the response: {e}")))
    }
}

/// Hands over the message bytes as they are.
struct RawDecoder;

impl Decoder for RawDecoder {
    type Item = Bytes;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, tonic::Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// Client codec: requests are already-encoded message bytes (exporters encode with the translators).
pub struct RawRequestClientCodec<Resp>(PhantomData<Resp>);

impl<Resp> Default for RawRequestClientCodec<Resp> {
    fn default() -> Self {
        RawRequestClientCodec(PhantomData)
    }
}

impl<Resp: prost::Message + Default + Send + 'static> Codec for RawRequestClientCodec<Resp> {
    type Encode = Bytes;
    type Decode = Resp;
    type Encoder = RawEncoder;
    type Decoder = ProstDecoder<Resp>;
    fn encoder(&mut self) -> Self::Encoder {
        RawEncoder
    }
    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder(PhantomData)
    }
}

/// Writes already-encoded message bytes.
pub struct RawEncoder;

impl Encoder for RawEncoder {
    type Item = Bytes;
    type Error = tonic::Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        use bytes::BufMut as _;
        dst.put_slice(&item);
        Ok(())
    }
}

/// Decodes a prost message.
pub struct ProstDecoder<T>(PhantomData<T>);

impl<T: prost::Message + Default> Decoder for ProstDecoder<T> {
    type Item = T;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<T>, tonic::Status> {
        T::decode(src)
            .map(Some)
            .map_err(|e| tonic::Status::internal(format!("cannot decode the response: {e}")))
    }
}
