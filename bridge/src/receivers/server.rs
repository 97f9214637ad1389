//! Listening for HTTP and gRPC (both through one hyper server, HTTP/1.1 and h2c), with the limits every
//! HTTP-based receiver shares: body size, decompressed size, spans per request, concurrent connections.

use super::{Listening, ReceiverContext, StartError};
use crate::config::duration::ByteSize;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

/// Settings of an HTTP or gRPC listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// `host:port` to listen on. Default: the protocol's standard port on all interfaces (`0.0.0.0:<port>`).
    pub endpoint: Option<String>,
    /// Largest request body accepted as sent (compressed). Larger bodies get 413 / `ResourceExhausted`.
    /// Default `20MiB`.
    pub max_request_body_size: ByteSize,
    /// Largest body after decompression; protects against gzip bombs. Default `100MiB`.
    pub max_decompressed_size: ByteSize,
    /// Most spans accepted in one request; more get 413 / `ResourceExhausted`. Default `100000`.
    pub max_spans_per_request: usize,
    /// Most connections served at once; the connection over the limit is answered with 503 /
    /// `Unavailable` and closed. Default `1024`.
    pub max_concurrent_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            endpoint: None,
            max_request_body_size: ByteSize::mib(20),
            max_decompressed_size: ByteSize::mib(100),
            max_spans_per_request: 100_000,
            max_concurrent_connections: 1024,
        }
    }
}

impl ServerConfig {
    /// The endpoint, or `0.0.0.0:<default_port>`.
    pub fn endpoint_or(&self, default_port: u16) -> String {
        self.endpoint.clone().unwrap_or_else(|| format!("0.0.0.0:{default_port}"))
    }
}

/// Binds `endpoint` over TCP.
pub async fn bind_tcp(
    ctx: &ReceiverContext,
    transport: &'static str,
    endpoint: &str,
) -> Result<(TcpListener, Listening), StartError> {
    let bind_error = |source| StartError::Bind {
        receiver: ctx.id.clone(),
        transport,
        endpoint: endpoint.to_string(),
        source,
    };
    let listener = TcpListener::bind(endpoint).await.map_err(bind_error)?;
    let address = listener.local_addr().map_err(bind_error)?;
    Ok((listener, Listening { receiver: ctx.id.clone(), transport, address }))
}

/// Serves `router` (HTTP routes and/or gRPC services) on `listener` until the receiver is stopped, then lets
/// in-flight requests finish. Each connection runs in `ctx.tasks`.
pub fn serve(ctx: &ReceiverContext, listener: TcpListener, router: Router, max_connections: usize) {
    let stop = ctx.stop.clone();
    let tasks = ctx.tasks.clone();
    let limit = Arc::new(Semaphore::new(max_connections.max(1)));
    ctx.tasks.spawn(async move {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        loop {
            let (stream, peer) = tokio::select! {
                _ = stop.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let permit = limit.clone().try_acquire_owned().ok();
            let router = router.clone();
            let over_limit = permit.is_none();
            let refused = Arc::new(tokio::sync::Notify::new());
            let refusing = refused.clone();
            let service =
                hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let router = router.clone();
                    if over_limit {
                        refusing.notify_one();
                    }
                    async move {
                        if over_limit {
                            return Ok::<_, std::convert::Infallible>(too_many_connections(
                                &request,
                                max_connections,
                            ));
                        }
                        let mut request = request.map(axum::body::Body::new);
                        request.extensions_mut().insert(PeerAddr(peer));
                        router.oneshot(request).await
                    }
                });
            let builder = auto::Builder::new(TokioExecutor::new());
            let connection =
                builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
            if over_limit {
                // Answer, then close: a client keeping this connection (a long-lived HTTP/2 channel) would
                // otherwise be refused for ever, even after other connections have closed.
                let stop = stop.clone();
                tasks.spawn(async move {
                    let mut connection = std::pin::pin!(connection);
                    tokio::select! {
                        _ = connection.as_mut() => return,
                        _ = refused.notified() => {}
                        _ = stop.cancelled() => {}
                    }
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                });
                continue;
            }
            let connection = graceful.watch(connection);
            tasks.spawn(async move {
                let _permit = permit;
                if let Err(error) = connection.await {
                    tracing::debug!(%error, %peer, "connection ended with an error");
                }
            });
        }
        // Stop accepting; let open connections finish their requests (the caller bounds the wait).
        graceful.shutdown().await;
    });
}

/// The sender's address, put in each request's extensions (the sender inventory uses it).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

fn too_many_connections<B>(request: &http::Request<B>, limit: usize) -> axum::response::Response {
    let message = format!("too many concurrent connections (limit {limit}); retry later");
    let is_grpc = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"));
    if is_grpc {
        return tonic::Status::unavailable(message).into_http();
    }
    use axum::response::IntoResponse;
    let mut response =
        (http::StatusCode::SERVICE_UNAVAILABLE, format!("{message}\n")).into_response();
    // HTTP/1.1 only: ask the client to close, freeing the slot (HTTP/2 forbids this header).
    if request.version() < http::Version::HTTP_2 {
        response
            .headers_mut()
            .insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
    }
    response
}
