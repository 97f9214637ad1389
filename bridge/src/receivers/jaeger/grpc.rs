//! gRPC `jaeger.api_v2.CollectorService/PostSpans` (what jaeger-agent and newer clients send to a collector).

use crate::error::ReceiveError;
use crate::grpc::{BoxFuture, UnaryMethod, UnaryServer};
use crate::receivers::ingest::Ingest;
use crate::receivers::server::{bind_tcp, serve, ServerConfig};
use crate::receivers::{Listening, ReceiverContext, StartError};
use crate::telemetry::metrics::Kind;
use bytes::Bytes;
use translators::jaeger::model::PostSpansResponse;
use translators::Format;

/// Binds and serves `PostSpans`.
pub(super) async fn start(
    ctx: &ReceiverContext,
    server: &ServerConfig,
) -> Result<Listening, StartError> {
    let transport = "grpc";
    let (listener, bound) = bind_tcp(ctx, transport, &server.endpoint_or(super::GRPC_PORT)).await?;
    let metrics = ctx.registry.transport(Kind::Receiver, &ctx.id, transport);
    let method = PostSpans {
        ingest: Ingest {
            consumer: ctx.consumer.clone(),
            metrics: metrics.clone(),
            max_spans: server.max_spans_per_request,
        },
        max_body: server.max_request_body_size.0 as usize,
    };
    let service =
        UnaryServer::new(method, server.max_decompressed_size.0 as usize).with_metrics(metrics);
    let router = tonic::service::Routes::new(service).into_axum_router();
    serve(ctx, listener, router, server.max_concurrent_connections);
    Ok(bound)
}

struct PostSpans {
    ingest: Ingest,
    max_body: usize,
}

impl UnaryMethod for PostSpans {
    type Response = PostSpansResponse;
    const SERVICE: &'static str = "jaeger.api_v2.CollectorService";
    const PATH: &'static str = "/jaeger.api_v2.CollectorService/PostSpans";

    fn call(
        &self,
        request: tonic::Request<Bytes>,
    ) -> BoxFuture<Result<tonic::Response<PostSpansResponse>, tonic::Status>> {
        let ingest = self.ingest.clone();
        let max_body = self.max_body;
        Box::pin(async move {
            match ingest.push_grpc(Format::JaegerProto, request, max_body).await {
                Ok(outcome) if outcome.rejected.is_empty() => {
                    Ok(tonic::Response::new(PostSpansResponse {}))
                }
                // PostSpansResponse has no partial-success field: the others went through, and the
                // message (which says how many) is the only way to tell the sender about the rest.
                Ok(outcome) => {
                    Err(ReceiveError::BadRequest(outcome.rejection_message()).to_status())
                }
                Err(status) => Err(status),
            }
        })
    }
}
