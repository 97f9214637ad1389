//! The service's errors, and the ONE place that maps each to an HTTP status and a gRPC code.

use http::StatusCode;
use thiserror::Error;

/// Why the pipeline did not take data. All of these are temporary: the sender should retry later.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum PipelineError {
    /// An exporter's queue is full and its policy is `drop_newest`.
    #[error("the queue of exporter {0} is full")]
    QueueFull(String),
    /// An exporter's queue stayed full for the whole `block_timeout` (policy `block`).
    #[error("the queue of exporter {0} stayed full; timed out waiting for room")]
    QueueTimeout(String),
    /// The memory limiter refuses data until memory use falls.
    #[error("memory limit reached ({0}); refusing data until usage drops")]
    MemoryLimit(String),
    /// The service is shutting down.
    #[error("the service is shutting down")]
    ShuttingDown,
}

/// Why a receiver could not take a request.
#[derive(Debug, Error)]
pub enum ReceiveError {
    /// The body could not be read at all (bad framing, wrong format). Permanent.
    #[error("{0}")]
    BadRequest(String),
    /// A size limit was exceeded. Permanent.
    #[error("{0}")]
    TooLarge(String),
    /// The content type is not one this endpoint reads. Permanent.
    #[error("unsupported content type {0:?}")]
    UnsupportedMediaType(String),
    /// The pipeline did not take the data. Temporary.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

impl ReceiveError {
    /// The HTTP status this error is answered with.
    pub fn http_status(&self) -> StatusCode {
        match self {
            ReceiveError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ReceiveError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ReceiveError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ReceiveError::Pipeline(PipelineError::QueueFull(_)) => StatusCode::TOO_MANY_REQUESTS,
            ReceiveError::Pipeline(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The gRPC status code this error is answered with. Backpressure is `Unavailable`, which every OTLP and
    /// Jaeger gRPC client retries (the OTLP spec retries `ResourceExhausted` only with RetryInfo).
    pub fn grpc_code(&self) -> tonic::Code {
        match self {
            ReceiveError::BadRequest(_) | ReceiveError::UnsupportedMediaType(_) => {
                tonic::Code::InvalidArgument
            }
            ReceiveError::TooLarge(_) => tonic::Code::ResourceExhausted,
            ReceiveError::Pipeline(_) => tonic::Code::Unavailable,
        }
    }

    /// Seconds a sender should wait before retrying, for `Retry-After`.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            ReceiveError::Pipeline(_) => Some(1),
            _ => None,
        }
    }

    /// As a gRPC status.
    pub fn to_status(&self) -> tonic::Status {
        tonic::Status::new(self.grpc_code(), self.to_string())
    }

    /// As an HTTP response with the reason as plain text.
    pub fn to_http_response(&self) -> axum::response::Response {
        use axum::response::IntoResponse;
        let mut response = (self.http_status(), format!("{self}\n")).into_response();
        if let Some(seconds) = self.retry_after_seconds() {
            response.headers_mut().insert(http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl axum::response::IntoResponse for ReceiveError {
    fn into_response(self) -> axum::response::Response {
        self.to_http_response()
    }
}
