//! The remote-sampling endpoint Jaeger clients poll (jaeger-agent's port 5778): `GET /sampling?service=NAME`
//! answers the strategy as JSON with string enums (`"strategyType":"PROBABILISTIC"`), `GET /?service=NAME`
//! the same with the integer enums of Thrift 0.9.2 (`"strategyType":0`) that old clients parse, as the agent
//! does. Strategies come from a file in Jaeger's format (`default_strategy`, `service_strategies`, each with
//! optional `operation_strategies`); without one every service gets probabilistic 1.0 (keep everything: the
//! bridge is not where sampling decisions should be made by default).
//! `GET /baggageRestrictions?service=NAME` answers `[]` (no restrictions), so clients that poll it log no
//! errors.

use crate::receivers::server::{bind_tcp, serve, ServerConfig};
use crate::receivers::{Listening, ReceiverContext, StartError};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Settings of the remote-sampling endpoint.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SamplingConfig {
    /// `host:port` to listen on (the Collector's `host_endpoint` is read too). Default `0.0.0.0:5778`.
    #[serde(alias = "host_endpoint")]
    pub endpoint: Option<String>,
    /// A strategies file in Jaeger's format (the Collector's `strategy_file` is read too). Read at start; a
    /// file that cannot be read or has an unknown strategy type stops the start. Default: none, every
    /// service gets probabilistic 1.0.
    #[serde(alias = "strategy_file")]
    pub strategies_file: Option<PathBuf>,
}

/// The probability Jaeger gives operations of a rate-limited service that has operation strategies.
const DEFAULT_OPERATION_PROBABILITY: f64 = 0.001;

/// A service's sampling strategy.
#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    /// Keep each trace with this probability (0..=1).
    Probabilistic(f64),
    /// Keep at most this many traces per second.
    RateLimiting(i16),
}

/// What a service is told: its strategy and per-operation probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceStrategy {
    /// The strategy.
    pub strategy: Strategy,
    /// Per-operation probabilities (sorted by operation), with the default for other operations.
    pub operations: Option<(f64, BTreeMap<String, f64>)>,
}

/// Every service's strategy, resolved at start.
#[derive(Debug, Clone)]
pub struct Strategies {
    default: ServiceStrategy,
    services: HashMap<String, ServiceStrategy>,
}

impl Default for Strategies {
    fn default() -> Self {
        Strategies {
            default: ServiceStrategy { strategy: Strategy::Probabilistic(1.0), operations: None },
            services: HashMap::new(),
        }
    }
}

/// The file as Jaeger reads it (unknown keys ignored, as Jaeger's JSON reading does).
#[derive(Debug, Deserialize)]
struct FileStrategies {
    #[serde(default)]
    default_strategy: Option<FileStrategy>,
    #[serde(default)]
    service_strategies: Vec<FileStrategy>,
}

#[derive(Debug, Deserialize)]
struct FileStrategy {
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    operation: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    param: f64,
    #[serde(default)]
    operation_strategies: Vec<FileStrategy>,
}

impl Strategies {
    /// Reads and resolves a strategies file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read(path)
            .map_err(|e| format!("remote_sampling.strategies_file {}: {e}", path.display()))?;
        Self::parse(&text)
            .map_err(|e| format!("remote_sampling.strategies_file {}: {e}", path.display()))
    }

    /// Resolves a strategies document the way Jaeger's static strategy store does: a service's operation
    /// strategies are merged with the default's (the service's win); a service without any gets the
    /// default's; operation strategies are probabilistic only.
    pub fn parse(text: &[u8]) -> Result<Self, String> {
        let file: FileStrategies = serde_json::from_slice(text).map_err(|e| e.to_string())?;
        let mut strategies = Strategies::default();
        if let Some(default) = &file.default_strategy {
            strategies.default = resolve(default, "default_strategy")?;
        }
        for (i, s) in file.service_strategies.iter().enumerate() {
            let path = format!("service_strategies[{i}]");
            let service =
                s.service.clone().ok_or_else(|| format!("{path}: \"service\" is missing"))?;
            let mut resolved = resolve(s, &path)?;
            match (&mut resolved.operations, &strategies.default.operations) {
                (None, defaults) => resolved.operations = defaults.clone(),
                (Some((_, own)), Some((_, defaults))) => {
                    for (operation, p) in defaults {
                        own.entry(operation.clone()).or_insert(*p);
                    }
                }
                (Some(_), None) => {}
            }
            strategies.services.insert(service, resolved);
        }
        Ok(strategies)
    }

    /// The strategy of `service` (the default for services not listed).
    pub fn for_service(&self, service: &str) -> &ServiceStrategy {
        self.services.get(service).unwrap_or(&self.default)
    }
}

fn strategy(s: &FileStrategy, path: &str) -> Result<Strategy, String> {
    match s.kind.as_str() {
        "probabilistic" if (0.0..=1.0).contains(&s.param) => Ok(Strategy::Probabilistic(s.param)),
        "probabilistic" => Err(format!("{path}: probabilistic param {} is not within 0..1", s.param)),
        "ratelimiting" if (0.0..=f64::from(i16::MAX)).contains(&s.param) => {
            Ok(Strategy::RateLimiting(s.param as i16))
        }
        "ratelimiting" => {
            Err(format!("{path}: ratelimiting param {} is not within 0..{}", s.param, i16::MAX))
        }
        other => Err(format!(
            "{path}: unknown strategy type {other:?} (expected \"probabilistic\" or \"ratelimiting\")"
        )),
    }
}

fn resolve(s: &FileStrategy, path: &str) -> Result<ServiceStrategy, String> {
    let main = strategy(s, path)?;
    if s.operation_strategies.is_empty() {
        return Ok(ServiceStrategy { strategy: main, operations: None });
    }
    let default_probability = match main {
        Strategy::Probabilistic(p) => p,
        Strategy::RateLimiting(_) => DEFAULT_OPERATION_PROBABILITY,
    };
    let mut operations = BTreeMap::new();
    for (j, o) in s.operation_strategies.iter().enumerate() {
        let op_path = format!("{path}.operation_strategies[{j}]");
        let operation =
            o.operation.clone().ok_or_else(|| format!("{op_path}: \"operation\" is missing"))?;
        match strategy(o, &op_path)? {
            Strategy::Probabilistic(p) => {
                operations.insert(operation, p);
            }
            // Jaeger's per-operation sampling is probabilistic only; it skips these with a warning.
            Strategy::RateLimiting(_) => tracing::warn!(
                operation,
                "{op_path}: operation strategies can only be probabilistic; ignored"
            ),
        }
    }
    Ok(ServiceStrategy { strategy: main, operations: Some((default_probability, operations)) })
}

/// `SamplingStrategyResponse` as the agent writes it (field names and order of the Thrift struct; absent
/// optional fields left out).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SamplingResponse {
    strategy_type: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    probabilistic_sampling: Option<Rate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_limiting_sampling: Option<RateLimit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    operation_sampling: Option<PerOperation>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Rate {
    sampling_rate: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RateLimit {
    max_traces_per_second: i16,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PerOperation {
    default_sampling_probability: f64,
    default_lower_bound_traces_per_second: f64,
    per_operation_strategies: Vec<OperationRate>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OperationRate {
    operation: String,
    probabilistic_sampling: Rate,
}

/// The answer for a service's strategy; `legacy_enums` writes `strategyType` as Thrift 0.9.2's integer
/// codes (the agent's `/` endpoint) instead of names.
pub fn response(s: &ServiceStrategy, legacy_enums: bool) -> SamplingResponse {
    let (code, name) = match s.strategy {
        Strategy::Probabilistic(_) => (0, "PROBABILISTIC"),
        Strategy::RateLimiting(_) => (1, "RATE_LIMITING"),
    };
    SamplingResponse {
        strategy_type: if legacy_enums { json!(code) } else { json!(name) },
        probabilistic_sampling: match s.strategy {
            Strategy::Probabilistic(rate) => Some(Rate { sampling_rate: rate }),
            Strategy::RateLimiting(_) => None,
        },
        rate_limiting_sampling: match s.strategy {
            Strategy::RateLimiting(max) => Some(RateLimit { max_traces_per_second: max }),
            Strategy::Probabilistic(_) => None,
        },
        operation_sampling: s.operations.as_ref().map(|(default_probability, operations)| {
            PerOperation {
                default_sampling_probability: *default_probability,
                default_lower_bound_traces_per_second: 0.0,
                per_operation_strategies: operations
                    .iter()
                    .map(|(operation, rate)| OperationRate {
                        operation: operation.clone(),
                        probabilistic_sampling: Rate { sampling_rate: *rate },
                    })
                    .collect(),
            }
        }),
    }
}

/// [`response`] as a JSON value.
pub fn response_json(s: &ServiceStrategy, legacy_enums: bool) -> Value {
    serde_json::to_value(response(s, legacy_enums)).unwrap_or_default()
}

/// Binds and serves the remote-sampling endpoint.
pub(super) async fn start(
    ctx: &ReceiverContext,
    config: &SamplingConfig,
    strategies: Arc<Strategies>,
) -> Result<Listening, StartError> {
    let server = ServerConfig::default();
    let endpoint =
        config.endpoint.clone().unwrap_or_else(|| format!("0.0.0.0:{}", super::SAMPLING_PORT));
    let (listener, bound) = bind_tcp(ctx, "remote_sampling", &endpoint).await?;
    let router = Router::new()
        .route("/sampling", get(serve_current))
        .route("/", get(serve_legacy))
        .route("/baggageRestrictions", get(serve_baggage))
        .with_state(strategies);
    serve(ctx, listener, router, server.max_concurrent_connections);
    Ok(bound)
}

type Params = Query<Vec<(String, String)>>;

/// The one `service` parameter; the agent answers 400 otherwise.
fn service(params: &[(String, String)]) -> Option<&str> {
    let mut services = params.iter().filter(|(k, _)| k == "service");
    match (services.next(), services.next()) {
        (Some((_, service)), None) => Some(service),
        _ => None,
    }
}

fn missing_service() -> Response {
    (StatusCode::BAD_REQUEST, "'service' parameter must be provided once\n").into_response()
}

fn answer(strategies: &Strategies, params: &[(String, String)], legacy_enums: bool) -> Response {
    let Some(service) = service(params) else { return missing_service() };
    let body = response(strategies.for_service(service), legacy_enums);
    let body = serde_json::to_string(&body).unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `GET /sampling?service=` (and the collector's `/api/sampling`): names for enums.
pub(super) async fn serve_current(
    State(strategies): State<Arc<Strategies>>,
    Query(params): Params,
) -> Response {
    answer(&strategies, &params, false)
}

async fn serve_legacy(
    State(strategies): State<Arc<Strategies>>,
    Query(params): Params,
) -> Response {
    answer(&strategies, &params, true)
}

async fn serve_baggage(Query(params): Params) -> Response {
    match service(&params) {
        Some(_) => ([(header::CONTENT_TYPE, "application/json")], "[]").into_response(),
        None => missing_service(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_a_jaeger_strategies_file() {
        let file = br#"{
          "service_strategies": [
            {"service": "foo", "type": "probabilistic", "param": 0.8,
             "operation_strategies": [{"operation": "op1", "type": "probabilistic", "param": 0.2},
                                      {"operation": "op2", "type": "ratelimiting", "param": 5}]},
            {"service": "bar", "type": "ratelimiting", "param": 5}
          ],
          "default_strategy": {"type": "probabilistic", "param": 0.5,
            "operation_strategies": [{"operation": "/health", "type": "probabilistic", "param": 0.0},
                                     {"operation": "op1", "type": "probabilistic", "param": 0.9}]}
        }"#;
        let s = Strategies::parse(file).unwrap();
        assert_eq!(
            response_json(s.for_service("foo"), false),
            json!({"strategyType": "PROBABILISTIC", "probabilisticSampling": {"samplingRate": 0.8},
                   "operationSampling": {"defaultSamplingProbability": 0.8,
                     "defaultLowerBoundTracesPerSecond": 0.0,
                     "perOperationStrategies": [
                       {"operation": "/health", "probabilisticSampling": {"samplingRate": 0.0}},
                       {"operation": "op1", "probabilisticSampling": {"samplingRate": 0.2}}]}})
        );
        let bar = response_json(s.for_service("bar"), true);
        assert_eq!(bar["strategyType"], json!(1));
        assert_eq!(bar["rateLimitingSampling"], json!({"maxTracesPerSecond": 5}));
        // The default's operation strategies reach a service without its own.
        assert_eq!(bar["operationSampling"]["perOperationStrategies"].as_array().unwrap().len(), 2);
        assert_eq!(
            response_json(s.for_service("other"), false)["probabilisticSampling"]["samplingRate"],
            json!(0.5)
        );
    }

    #[test]
    fn refuses_unknown_types_and_out_of_range_params() {
        let e = Strategies::parse(br#"{"default_strategy": {"type": "adaptive", "param": 1}}"#)
            .unwrap_err();
        assert!(e.contains("default_strategy: unknown strategy type \"adaptive\""), "{e}");
        let e = Strategies::parse(
            br#"{"service_strategies": [{"service": "a", "type": "probabilistic", "param": 2}]}"#,
        )
        .unwrap_err();
        assert!(e.contains("service_strategies[0]: probabilistic param 2"), "{e}");
    }

    #[test]
    fn default_is_probabilistic_one() {
        let s = Strategies::default();
        assert_eq!(
            response_json(s.for_service("any"), true),
            json!({"strategyType": 0, "probabilisticSampling": {"samplingRate": 1.0}})
        );
    }
}
