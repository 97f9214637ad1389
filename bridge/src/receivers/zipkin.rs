//! The `zipkin` receiver: the collector half of the Zipkin HTTP API (default port 9411), answering as the
//! Zipkin server does.
//!
//! - `POST /api/v2/spans`: a JSON list of v2 spans (`application/json`, or no Content-Type at all) or a
//!   proto3 `ListOfSpans` (`application/x-protobuf`);
//! - `POST /api/v1/spans`: a JSON list of v1 spans (`application/json`, or none) or a Thrift list of v1 spans
//!   (`application/x-thrift`).
//!
//! Bodies may be gzip or deflate encoded. Success is `202 Accepted` with an empty body; an empty body is a
//! success too (the Zipkin server accepts it). A body that cannot be read is `400` with the reason; spans
//! rejected one by one are `400` naming each item, while the other spans of the request go through. Other
//! content types are `415`. Backpressure is `429` / `503` with `Retry-After` (the mapping in `error.rs`).
//!
//! The router is built by [`router`], which takes more routes: the Zipkin query API (`GET /api/v2/...`) is
//! served on the same port.

use super::http_body::{read_body, BodyLimits};
use super::ingest::Ingest;
use super::server::{bind_tcp, serve, ServerConfig};
use super::{Listening, ReceiverContext, StartError};
use crate::error::ReceiveError;
use crate::telemetry::metrics::{ComponentMetrics, Kind};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use translators::Format;

/// Settings of the `zipkin` receiver: one HTTP listener, as in the Collector (`endpoint`, default
/// `0.0.0.0:9411`), with the limits every HTTP receiver has (`max_request_body_size`,
/// `max_decompressed_size`, `max_spans_per_request`, `max_concurrent_connections`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct ZipkinReceiverConfig {
    /// The listener and its limits.
    pub server: ServerConfig,
}

/// The Zipkin server's default port.
pub const PORT: u16 = 9411;

/// The transport name in `Listening` and in the self-metrics' `transport` label.
pub const TRANSPORT: &str = "http";

/// Starts the listener.
pub async fn start(
    config: &ZipkinReceiverConfig,
    ctx: ReceiverContext,
) -> Result<Vec<Listening>, StartError> {
    let server = &config.server;
    let (listener, bound) = bind_tcp(&ctx, TRANSPORT, &server.endpoint_or(PORT)).await?;
    let collector = ZipkinCollector::new(&ctx, server);
    let query = match &ctx.query_store {
        Some(store) => crate::store::zipkin_api::router(store.clone()),
        None => Router::new(),
    };
    serve(&ctx, listener, router(collector, query), server.max_concurrent_connections);
    Ok(vec![bound])
}

/// What the span-collecting routes need: the way into the pipeline and the body limits.
#[derive(Clone)]
pub struct ZipkinCollector {
    ingest: Ingest,
    limits: BodyLimits,
}

impl ZipkinCollector {
    /// The collector of receiver `ctx.id`, with `server`'s limits; counters under transport `http`.
    pub fn new(ctx: &ReceiverContext, server: &ServerConfig) -> Self {
        ZipkinCollector {
            ingest: Ingest {
                consumer: ctx.consumer.clone(),
                metrics: ctx.registry.transport(Kind::Receiver, &ctx.id, TRANSPORT),
                max_spans: server.max_spans_per_request,
            },
            limits: BodyLimits {
                max_body: server.max_request_body_size.0 as usize,
                max_decompressed: server.max_decompressed_size.0 as usize,
            },
        }
    }
}

/// Everything served on the Zipkin port: the collector routes, merged with `more` (e.g. the query API's
/// `GET /api/v2/...` routes; a `GET` on `/api/v2/spans` sits beside the `POST` there).
pub fn router(collector: ZipkinCollector, more: Router) -> Router {
    Router::new()
        .route("/api/v2/spans", post(post_v2_spans))
        .route("/api/v1/spans", post(post_v1_spans))
        .with_state(collector)
        .merge(more)
}

/// The Zipkin API version of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

async fn post_v2_spans(
    State(collector): State<ZipkinCollector>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    collector.handle(Version::V2, &headers, body).await
}

async fn post_v1_spans(
    State(collector): State<ZipkinCollector>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    collector.handle(Version::V1, &headers, body).await
}

impl ZipkinCollector {
    async fn handle(&self, version: Version, headers: &HeaderMap, body: Body) -> Response {
        match self.receive(version, headers, body).await {
            Ok(()) => StatusCode::ACCEPTED.into_response(),
            Err(error) => error.to_http_response(),
        }
    }

    async fn receive(
        &self,
        version: Version,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<(), ReceiveError> {
        let metrics = &self.ingest.metrics;
        // Requests refused before the decoder saw them are counted here; the decoder counts its own.
        let unread = |error: ReceiveError| {
            ComponentMetrics::add(&metrics.errors, 1);
            error
        };
        let format = format_of(version, headers).map_err(unread)?;
        let body = read_body(headers, body, self.limits).await.map_err(unread)?;
        if body.is_empty() {
            // The Zipkin server answers an empty POST with 202; some reporters flush empty buffers.
            return Ok(());
        }
        check_json_version(format, &body).map_err(unread)?;
        let outcome = self.ingest.push(format, &body).await?;
        if outcome.rejected.is_empty() {
            Ok(())
        } else {
            Err(ReceiveError::BadRequest(outcome.rejection_message()))
        }
    }
}

/// The format of a body posted to `version`'s route, by its Content-Type. No Content-Type means JSON, as on
/// the Zipkin server (its routes without a declared media type take JSON).
fn format_of(version: Version, headers: &HeaderMap) -> Result<Format, ReceiveError> {
    let content_type = match headers.get(header::CONTENT_TYPE) {
        None => "",
        Some(value) => value.to_str().map_err(|_| {
            ReceiveError::UnsupportedMediaType(String::from_utf8_lossy(value.as_bytes()).into())
        })?,
    };
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let format = match (version, media.as_str()) {
        (Version::V2, "" | "application/json") => Format::ZipkinJson,
        (Version::V2, "application/x-protobuf" | "application/protobuf") => Format::ZipkinProto,
        (Version::V1, "" | "application/json") => Format::ZipkinV1Json,
        (Version::V1, "application/x-thrift" | "application/vnd.apache.thrift.binary") => {
            Format::ZipkinV1Thrift
        }
        _ => return Err(ReceiveError::UnsupportedMediaType(content_type.to_string())),
    };
    Ok(format)
}

/// v1 and v2 JSON spans look alike, and each decoder would skip the other's fields (v2 skipping
/// `binaryAnnotations`, v1 skipping `tags` and endpoints), losing data quietly. Like the Zipkin server,
/// refuse a body carrying the other version's keys, and say where to send it.
fn check_json_version(format: Format, body: &[u8]) -> Result<(), ReceiveError> {
    let other = match format {
        Format::ZipkinJson if has_key(body, b"binaryAnnotations\"") => {
            "Zipkin v1 JSON (it has `binaryAnnotations`); send it to /api/v1/spans"
        }
        Format::ZipkinV1Json if has_key(body, b"Endpoint\"") || has_key(body, b"\"tags\"") => {
            "Zipkin v2 JSON (it has `tags` or `localEndpoint`/`remoteEndpoint`); send it to /api/v2/spans"
        }
        _ => return Ok(()),
    };
    let expected = if format == Format::ZipkinJson { "v2" } else { "v1" };
    Err(ReceiveError::BadRequest(format!(
        "expected a list of Zipkin {expected} JSON spans, but the body is {other}"
    )))
}

/// Whether `needle` (ending in a closing quote) occurs followed by a colon: a JSON key, not a value. Inside
/// a JSON string a quote is escaped, so a value cannot fake it.
fn has_key(body: &[u8], needle: &[u8]) -> bool {
    // memmem (SIMD) rather than a byte loop: this scans every JSON body the receiver takes.
    memchr::memmem::find_iter(body, needle).any(|at| {
        body[at + needle.len()..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b':')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_type(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
        headers
    }

    #[test]
    fn content_types_choose_the_decoder() {
        let none = HeaderMap::new();
        assert_eq!(format_of(Version::V2, &none).unwrap(), Format::ZipkinJson);
        assert_eq!(format_of(Version::V1, &none).unwrap(), Format::ZipkinV1Json);
        let json = with_type("application/json; charset=utf-8");
        assert_eq!(format_of(Version::V2, &json).unwrap(), Format::ZipkinJson);
        let proto = with_type("Application/X-Protobuf");
        assert_eq!(format_of(Version::V2, &proto).unwrap(), Format::ZipkinProto);
        let thrift = with_type("application/x-thrift");
        assert_eq!(format_of(Version::V1, &thrift).unwrap(), Format::ZipkinV1Thrift);
        for (version, wrong) in
            [(Version::V2, "application/x-thrift"), (Version::V1, "application/x-protobuf")]
        {
            let error = format_of(version, &with_type(wrong)).unwrap_err();
            assert_eq!(error.http_status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
            assert!(error.to_string().contains(wrong), "{error}");
        }
    }

    #[test]
    fn json_of_the_other_version_is_refused() {
        let v1 = br#"[{"traceId":"1","id":"1","name":"a","binaryAnnotations":[]}]"#;
        let v2 = br#"[{"traceId":"1","id":"1","name":"a","localEndpoint":{"serviceName":"s"}}]"#;
        assert!(check_json_version(Format::ZipkinJson, v1).is_err());
        assert!(check_json_version(Format::ZipkinJson, v2).is_ok());
        assert!(check_json_version(Format::ZipkinV1Json, v2).is_err());
        assert!(check_json_version(Format::ZipkinV1Json, v1).is_ok());
        assert!(check_json_version(Format::ZipkinProto, v1).is_ok());
    }

    #[test]
    fn only_keys_count() {
        assert!(has_key(br#"{"a":1,"tags" : {}}"#, b"\"tags\""));
        assert!(!has_key(br#"{"key":"tags","value":"x"}"#, b"\"tags\""));
        assert!(!has_key(br#"{"value":"a \"tags\": b"}"#, b"\"tags\""));
        assert!(has_key(br#"{"remoteEndpoint":{}}"#, b"Endpoint\""));
        assert!(!has_key(br#"{"endpoint":{}}"#, b"Endpoint\""));
        assert!(!has_key(b"", b"x"));
    }

    #[tokio::test]
    async fn more_routes_share_the_port_and_its_paths() {
        use crate::pipeline::fanout::PipelinesFanout;
        use crate::telemetry::metrics::Registry;
        use tower::ServiceExt as _;
        let collector = ZipkinCollector {
            ingest: Ingest {
                consumer: std::sync::Arc::new(PipelinesFanout::new(Vec::new())),
                metrics: Registry::new().transport(Kind::Receiver, "zipkin", TRANSPORT),
                max_spans: 10,
            },
            limits: BodyLimits { max_body: 1 << 20, max_decompressed: 1 << 20 },
        };
        let query = Router::new()
            .route("/api/v2/spans", axum::routing::get(|| async { "spans query" }))
            .route("/api/v2/services", axum::routing::get(|| async { "[]" }));
        let app = router(collector, query);
        let call = |method: &str, path: &str| {
            http::Request::builder().method(method).uri(path).body(Body::from("[]")).unwrap()
        };
        let get = app.clone().oneshot(call("GET", "/api/v2/spans")).await.unwrap();
        assert_eq!(get.status(), StatusCode::OK);
        let post = app.clone().oneshot(call("POST", "/api/v2/spans")).await.unwrap();
        assert_eq!(post.status(), StatusCode::ACCEPTED);
        let services = app.oneshot(call("GET", "/api/v2/services")).await.unwrap();
        assert_eq!(services.status(), StatusCode::OK);
    }
}
