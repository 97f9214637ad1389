//! The `attributes` processor: edits attributes of spans, of their resource or of their instrumentation
//! scope, as the Collector's `attributes` processor does, plus `rename` (moving a value to a new key, the
//! everyday semantic-convention migration such as `http.method` → `http.request.method`).
//!
//! ```yaml
//! processors:
//!   attributes/migrate:
//!     actions:
//!       - { key: http.method, action: rename, new_key: http.request.method }
//!       - { key: deployment.environment, action: upsert, value: prod, scope: resource }
//!       - { key: user.email, action: hash }
//! ```
//!
//! Actions run in the order listed. Values keep their YAML type (string, integer, double, boolean, list, map).
//! `include` / `exclude` limit the processor to some services (`service.name` of the resource), as the
//! Collector's `include: {match_type, services}` does; data of other services passes unchanged.

use crate::error::PipelineError;
use crate::pipeline::{span_count, Consumer, Traces};
use crate::telemetry::metrics::ComponentMetrics;
use async_trait::async_trait;
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::sync::Arc;
use translators::otlp::model::{
    any_value, AnyValue, ArrayValue, KeyValue, KeyValueList, ResourceSpans,
};

/// Settings of the `attributes` processor.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributesConfig {
    /// The edits, applied in order to every span (or its resource or scope). Default: none.
    #[serde(default)]
    pub actions: Vec<AttributeAction>,
    /// Only data of these services is edited. Default: every service.
    #[serde(default)]
    pub include: Option<ServiceMatch>,
    /// Data of these services is not edited (checked after `include`). Default: none excluded.
    #[serde(default)]
    pub exclude: Option<ServiceMatch>,
}

/// How `include` / `exclude` compare service names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchType {
    /// Equal names.
    #[default]
    Strict,
    /// Regular expressions, matching anywhere in the name unless anchored with `^...$` (as in the Collector).
    Regexp,
}

/// A set of services, by name.
#[derive(Debug, Clone)]
pub struct ServiceMatch {
    /// `strict` (default) or `regexp`.
    pub match_type: MatchType,
    /// The names or patterns.
    pub services: Vec<String>,
    patterns: Vec<regex::Regex>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServiceMatch {
    /// `strict` (default) or `regexp`.
    #[serde(default)]
    match_type: MatchType,
    /// Service names (`service.name`) or patterns.
    services: Vec<String>,
}

impl<'de> Deserialize<'de> for ServiceMatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawServiceMatch::deserialize(deserializer)?;
        if raw.services.is_empty() {
            return Err(serde::de::Error::custom("`services` must list at least one service"));
        }
        let patterns = match raw.match_type {
            MatchType::Strict => Vec::new(),
            MatchType::Regexp => raw
                .services
                .iter()
                .map(|p| regex::Regex::new(p).map_err(|e| format!("invalid pattern {p:?}: {e}")))
                .collect::<Result<_, _>>()
                .map_err(serde::de::Error::custom)?,
        };
        Ok(ServiceMatch { match_type: raw.match_type, services: raw.services, patterns })
    }
}

impl ServiceMatch {
    /// Whether `service` is in the set.
    pub fn matches(&self, service: &str) -> bool {
        match self.match_type {
            MatchType::Strict => self.services.iter().any(|s| s == service),
            MatchType::Regexp => self.patterns.iter().any(|p| p.is_match(service)),
        }
    }
}

/// One edit of one attribute key.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeAction {
    /// The attribute the action works on (for `rename`: the old key).
    pub key: String,
    /// What to do.
    pub action: ActionKind,
    /// Where the value comes from (`insert`, `update`, `upsert`).
    pub source: Option<ValueSource>,
    /// `rename` only: the key the value moves to.
    pub new_key: Option<String>,
    /// Which attributes: the span's (default), its resource's or its instrumentation scope's.
    pub scope: AttributeScope,
}

/// What an action does with its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Sets the key only where it is absent.
    Insert,
    /// Sets the key only where it is present.
    Update,
    /// Sets the key always.
    Upsert,
    /// Removes the key.
    Delete,
    /// Moves the value (same type) from `key` to `new_key`. Where `new_key` is already present its value is
    /// kept (instrumentation that already speaks the new convention wins) and `key` is removed either way.
    Rename,
    /// Replaces the value by the SHA-256 of its bytes, as lowercase hex (the Collector's bytes: a string's
    /// UTF-8, an integer's or double's 8 little-endian bytes, a boolean as one byte 1/0; other types become "").
    Hash,
}

/// Which attribute list an action edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeScope {
    /// The span's own attributes.
    #[default]
    Span,
    /// The resource's attributes (`service.name`, `deployment.environment`, ...).
    Resource,
    /// The instrumentation scope's attributes.
    Scope,
}

/// Where `insert` / `update` / `upsert` take their value from.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueSource {
    /// A literal from the configuration.
    Literal(AnyValue),
    /// Another attribute of the same list; when it is absent the action does nothing.
    FromAttribute(String),
}

/// The action as written in the configuration, checked by [`AttributeAction::try_from`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    /// The attribute the action works on.
    key: String,
    /// `insert`, `update`, `upsert`, `delete`, `rename` or `hash`.
    action: ActionKind,
    /// A literal value (`insert`, `update`, `upsert`).
    #[serde(default)]
    value: Option<serde_json::Value>,
    /// Take the value from this attribute instead (`insert`, `update`, `upsert`).
    #[serde(default)]
    from_attribute: Option<String>,
    /// `rename`: the new key.
    #[serde(default)]
    new_key: Option<String>,
    /// `span` (default), `resource` or `scope`.
    #[serde(default)]
    scope: AttributeScope,
}

impl<'de> Deserialize<'de> for AttributeAction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawAction::deserialize(deserializer)?;
        AttributeAction::try_from(raw).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<RawAction> for AttributeAction {
    type Error = String;

    fn try_from(raw: RawAction) -> Result<Self, String> {
        let name = format!("{:?}", raw.action).to_lowercase();
        if raw.key.is_empty() {
            return Err(format!("action {name}: `key` must not be empty"));
        }
        let needs_value =
            matches!(raw.action, ActionKind::Insert | ActionKind::Update | ActionKind::Upsert);
        let source = match (raw.value, raw.from_attribute) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "action {name} on {:?}: set either `value` or `from_attribute`, not both",
                    raw.key
                ))
            }
            (Some(_), None) | (None, Some(_)) if !needs_value => {
                return Err(format!(
                    "action {name} on {:?} takes no `value` or `from_attribute`",
                    raw.key
                ))
            }
            (Some(value), None) => Some(ValueSource::Literal(
                any_value_from_json(&value)
                    .map_err(|e| format!("`value` of {:?}: {e}", raw.key))?,
            )),
            (None, Some(from)) => Some(ValueSource::FromAttribute(from)),
            (None, None) if needs_value => {
                return Err(format!(
                    "action {name} on {:?} needs `value` or `from_attribute`",
                    raw.key
                ))
            }
            (None, None) => None,
        };
        match (raw.action, &raw.new_key) {
            (ActionKind::Rename, None) => {
                return Err(format!("action rename on {:?} needs `new_key`", raw.key))
            }
            (ActionKind::Rename, Some(new_key)) if new_key.is_empty() || *new_key == raw.key => {
                return Err(format!(
                    "action rename on {:?}: `new_key` must be a different, non-empty key",
                    raw.key
                ))
            }
            (ActionKind::Rename, Some(_)) | (_, None) => {}
            (_, Some(_)) => {
                return Err(format!("`new_key` is only for action rename (on {:?})", raw.key))
            }
        }
        Ok(AttributeAction {
            key: raw.key,
            action: raw.action,
            source,
            new_key: raw.new_key,
            scope: raw.scope,
        })
    }
}

/// A configured value as an OTLP value of the same type.
fn any_value_from_json(value: &serde_json::Value) -> Result<AnyValue, String> {
    use any_value::Value as V;
    use serde_json::Value as J;
    let value = match value {
        J::Null => return Err("null is not an attribute value".into()),
        J::Bool(b) => V::BoolValue(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => V::IntValue(i),
            None => V::DoubleValue(n.as_f64().ok_or("number out of range")?),
        },
        J::String(s) => V::StringValue(s.clone()),
        J::Array(items) => V::ArrayValue(ArrayValue {
            values: items.iter().map(any_value_from_json).collect::<Result<_, _>>()?,
        }),
        J::Object(map) => V::KvlistValue(KeyValueList {
            values: map
                .iter()
                .map(|(k, v)| Ok(KeyValue { key: k.clone(), value: Some(any_value_from_json(v)?) }))
                .collect::<Result<_, String>>()?,
        }),
    };
    Ok(AnyValue { value: Some(value) })
}

/// SHA-256 of a value's bytes as lowercase hex, as the Collector's `hash` action computes it.
pub fn hash_value(value: &AnyValue) -> String {
    use any_value::Value as V;
    let bytes: Vec<u8> = match &value.value {
        Some(V::StringValue(s)) => s.as_bytes().to_vec(),
        Some(V::BoolValue(b)) => vec![u8::from(*b)],
        Some(V::IntValue(i)) => i.to_le_bytes().to_vec(),
        Some(V::DoubleValue(d)) => d.to_bits().to_le_bytes().to_vec(),
        // The Collector hashes nothing else and leaves an empty string.
        _ => return String::new(),
    };
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(&bytes).iter() {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Applies `actions` (already filtered to one scope) to one attribute list.
fn apply(actions: &[AttributeAction], attributes: &mut Vec<KeyValue>) {
    for action in actions {
        let position = attributes.iter().position(|kv| kv.key == action.key);
        match action.action {
            ActionKind::Insert | ActionKind::Update | ActionKind::Upsert => {
                let wanted = match action.action {
                    ActionKind::Insert => position.is_none(),
                    ActionKind::Update => position.is_some(),
                    _ => true,
                };
                if !wanted {
                    continue;
                }
                let value = match &action.source {
                    Some(ValueSource::Literal(v)) => v.clone(),
                    Some(ValueSource::FromAttribute(from)) => {
                        match attributes.iter().find(|kv| &kv.key == from) {
                            Some(kv) => kv.value.clone().unwrap_or_default(),
                            None => continue,
                        }
                    }
                    None => continue,
                };
                match position {
                    Some(i) => attributes[i].value = Some(value),
                    None => {
                        attributes.push(KeyValue { key: action.key.clone(), value: Some(value) })
                    }
                }
            }
            ActionKind::Delete => {
                // Duplicate keys are invalid OTLP but do arrive; delete means none is left.
                attributes.retain(|kv| kv.key != action.key);
            }
            ActionKind::Hash => {
                for kv in attributes.iter_mut().filter(|kv| kv.key == action.key) {
                    let hashed = hash_value(kv.value.as_ref().unwrap_or(&AnyValue::default()));
                    kv.value =
                        Some(AnyValue { value: Some(any_value::Value::StringValue(hashed)) });
                }
            }
            ActionKind::Rename => {
                let (Some(i), Some(new_key)) = (position, &action.new_key) else { continue };
                if attributes.iter().any(|kv| &kv.key == new_key) {
                    attributes.remove(i);
                } else {
                    attributes[i].key = new_key.clone();
                }
            }
        }
    }
}

/// The processor: edits each request, then passes it on.
pub struct AttributesProcessor {
    include: Option<ServiceMatch>,
    exclude: Option<ServiceMatch>,
    span: Vec<AttributeAction>,
    resource: Vec<AttributeAction>,
    scope: Vec<AttributeAction>,
    next: Arc<dyn Consumer>,
    metrics: Arc<ComponentMetrics>,
}

impl AttributesProcessor {
    /// Edits `traces` in place.
    pub fn process(&self, traces: &mut Traces) {
        for rs in &mut traces.resource_spans {
            if !self.selected(rs) {
                continue;
            }
            if !self.resource.is_empty() {
                apply_to_optional(&self.resource, &mut rs.resource, |r| &mut r.attributes);
            }
            for ss in &mut rs.scope_spans {
                if !self.scope.is_empty() {
                    apply_to_optional(&self.scope, &mut ss.scope, |s| &mut s.attributes);
                }
                if !self.span.is_empty() {
                    for s in &mut ss.spans {
                        apply(&self.span, &mut s.attributes);
                    }
                }
            }
        }
    }
}

impl AttributesProcessor {
    /// Whether `include` / `exclude` let the actions edit this resource's data. A resource without
    /// `service.name` counts as service "" (so it is not in an `include` list of real names).
    fn selected(&self, rs: &ResourceSpans) -> bool {
        if self.include.is_none() && self.exclude.is_none() {
            return true;
        }
        let service = rs
            .resource
            .as_ref()
            .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                any_value::Value::StringValue(s) => Some(s.as_str()),
                _ => None,
            })
            .unwrap_or("");
        self.include.as_ref().is_none_or(|m| m.matches(service))
            && !self.exclude.as_ref().is_some_and(|m| m.matches(service))
    }
}

/// Applies `actions` to the attributes of a resource or scope that may be absent; it is created only when an
/// action adds something.
fn apply_to_optional<T: Default>(
    actions: &[AttributeAction],
    holder: &mut Option<T>,
    attributes: fn(&mut T) -> &mut Vec<KeyValue>,
) {
    match holder {
        Some(h) => apply(actions, attributes(h)),
        None => {
            let mut created = T::default();
            apply(actions, attributes(&mut created));
            if !attributes(&mut created).is_empty() {
                *holder = Some(created);
            }
        }
    }
}

#[async_trait]
impl Consumer for AttributesProcessor {
    async fn consume(&self, mut traces: Traces) -> Result<(), PipelineError> {
        self.process(&mut traces);
        let n = span_count(&traces) as u64;
        let result = self.next.consume(traces).await;
        match &result {
            Ok(()) => ComponentMetrics::add(&self.metrics.accepted, n),
            Err(_) => ComponentMetrics::add(&self.metrics.refused, n),
        }
        result
    }
}

/// Builds the stage in front of `next`.
pub fn build(
    config: &AttributesConfig,
    next: Arc<dyn Consumer>,
    metrics: Arc<ComponentMetrics>,
) -> Arc<dyn Consumer> {
    let of = |scope: AttributeScope| -> Vec<AttributeAction> {
        config.actions.iter().filter(|a| a.scope == scope).cloned().collect()
    };
    Arc::new(AttributesProcessor {
        include: config.include.clone(),
        exclude: config.exclude.clone(),
        span: of(AttributeScope::Span),
        resource: of(AttributeScope::Resource),
        scope: of(AttributeScope::Scope),
        next,
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::batch::test_support::{attr, request, Recorder};
    use crate::processors::ProcessorConfig;
    use crate::telemetry::metrics::{Kind, Registry};
    use any_value::Value as V;
    use serde_json::json;

    fn parse(actions: serde_json::Value) -> Result<AttributesConfig, crate::config::Problem> {
        match ProcessorConfig::parse(
            "attributes",
            json!({ "actions": actions }),
            "processors.attributes",
        )? {
            ProcessorConfig::Attributes(c) => Ok(c),
            _ => unreachable!(),
        }
    }

    fn processor(
        actions: serde_json::Value,
    ) -> (Arc<dyn Consumer>, Arc<Recorder>, Arc<ComponentMetrics>) {
        let recorder = Arc::new(Recorder::default());
        let metrics = Registry::new().component(Kind::Processor, "attributes");
        let config = parse(actions).unwrap();
        (build(&config, recorder.clone(), metrics.clone()), recorder, metrics)
    }

    fn value(attributes: &[KeyValue], key: &str) -> Option<V> {
        attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.clone()?.value)
    }

    fn with_span_attributes(attributes: Vec<KeyValue>) -> Traces {
        let mut traces = request("svc", &["op"]);
        traces.resource_spans[0].scope_spans[0].spans[0].attributes = attributes;
        traces
    }

    #[tokio::test]
    async fn renames_old_semantic_convention_keys_keeping_value_and_type() {
        let (p, recorder, metrics) = processor(json!([
            {"key": "http.method", "action": "rename", "new_key": "http.request.method"},
            {"key": "http.status_code", "action": "rename", "new_key": "http.response.status_code"},
            {"key": "net.peer.name", "action": "rename", "new_key": "server.address"},
        ]));
        let mut traces = with_span_attributes(vec![
            attr("http.method", V::StringValue("GET".into())),
            attr("http.status_code", V::IntValue(200)),
            attr("net.peer.name", V::StringValue("old".into())),
            attr("server.address", V::StringValue("new".into())),
        ]);
        // A second span without the old keys is left alone.
        let mut plain = traces.resource_spans[0].scope_spans[0].spans[0].clone();
        plain.attributes = vec![attr("other", V::BoolValue(true))];
        traces.resource_spans[0].scope_spans[0].spans.push(plain);
        p.consume(traces).await.unwrap();
        let got = recorder.requests();
        let spans = &got[0].resource_spans[0].scope_spans[0].spans;
        let attrs = &spans[0].attributes;
        assert_eq!(value(attrs, "http.request.method"), Some(V::StringValue("GET".into())));
        assert_eq!(value(attrs, "http.response.status_code"), Some(V::IntValue(200)));
        assert_eq!(value(attrs, "http.method"), None);
        assert_eq!(value(attrs, "http.status_code"), None);
        // The new key was already there: its value is kept and the old key removed.
        assert_eq!(value(attrs, "server.address"), Some(V::StringValue("new".into())));
        assert_eq!(value(attrs, "net.peer.name"), None);
        assert_eq!(attrs.len(), 3);
        assert_eq!(spans[1].attributes, vec![attr("other", V::BoolValue(true))]);
        assert_eq!(ComponentMetrics::get(&metrics.accepted), 2);
    }

    #[tokio::test]
    async fn insert_update_upsert_delete_with_typed_values() {
        let (p, recorder, _) = processor(json!([
            {"key": "present", "action": "insert", "value": "not applied"},
            {"key": "absent", "action": "insert", "value": 42},
            {"key": "present", "action": "update", "value": 1.5},
            {"key": "missing", "action": "update", "value": true},
            {"key": "up", "action": "upsert", "value": false},
            {"key": "present2", "action": "upsert", "value": ["a", 1]},
            {"key": "copy", "action": "insert", "from_attribute": "src"},
            {"key": "nocopy", "action": "insert", "from_attribute": "no.such.key"},
            {"key": "secret", "action": "delete"},
        ]));
        p.consume(with_span_attributes(vec![
            attr("present", V::StringValue("old".into())),
            attr("present2", V::StringValue("old".into())),
            attr("src", V::IntValue(7)),
            attr("secret", V::StringValue("pw".into())),
        ]))
        .await
        .unwrap();
        let got = recorder.requests();
        let attrs = &got[0].resource_spans[0].scope_spans[0].spans[0].attributes;
        assert_eq!(value(attrs, "present"), Some(V::DoubleValue(1.5)));
        assert_eq!(value(attrs, "absent"), Some(V::IntValue(42)));
        assert_eq!(value(attrs, "missing"), None);
        assert_eq!(value(attrs, "up"), Some(V::BoolValue(false)));
        let V::ArrayValue(list) = value(attrs, "present2").unwrap() else { panic!() };
        assert_eq!(list.values[0].value, Some(V::StringValue("a".into())));
        assert_eq!(list.values[1].value, Some(V::IntValue(1)));
        assert_eq!(value(attrs, "copy"), Some(V::IntValue(7)));
        assert_eq!(value(attrs, "nocopy"), None);
        assert_eq!(value(attrs, "secret"), None);
    }

    #[tokio::test]
    async fn hashes_like_the_collector() {
        let (p, recorder, _) = processor(json!([
            {"key": "s", "action": "hash"}, {"key": "i", "action": "hash"},
            {"key": "b", "action": "hash"}, {"key": "d", "action": "hash"},
        ]));
        p.consume(with_span_attributes(vec![
            attr("s", V::StringValue("abc".into())),
            attr("i", V::IntValue(42)),
            attr("b", V::BoolValue(true)),
            attr("d", V::DoubleValue(1.5)),
        ]))
        .await
        .unwrap();
        let got = recorder.requests();
        let attrs = &got[0].resource_spans[0].scope_spans[0].spans[0].attributes;
        let hex = |k| match value(attrs, k) {
            Some(V::StringValue(s)) => s,
            other => panic!("{other:?}"),
        };
        // SHA-256 of "abc", of 42 as 8 little-endian bytes, of the byte 1, of 1.5's IEEE bits little-endian.
        assert_eq!(hex("s"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex("i"), "ed049108bc18f2c64369e8d0ea42850bdd1a7d1dd340cfde716315579702a76c");
        assert_eq!(hex("b"), "4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a");
        assert_eq!(hex("d"), "e163f8cb0f7067a7fc78ca859a77f849aea3214f38fb75b884e4a16be725c905");
    }

    #[tokio::test]
    async fn resource_and_scope_attributes() {
        let (p, recorder, _) = processor(json!([
            {"key": "deployment.environment", "action": "rename",
             "new_key": "deployment.environment.name", "scope": "resource"},
            {"key": "team", "action": "insert", "value": "core", "scope": "resource"},
            {"key": "otel.library.kind", "action": "upsert", "value": "legacy", "scope": "scope"},
            {"key": "team", "action": "insert", "value": "span-level"},
        ]));
        let mut traces = request("svc", &["op"]);
        let resource = traces.resource_spans[0].resource.as_mut().unwrap();
        resource.attributes.push(attr("deployment.environment", V::StringValue("prod".into())));
        let mut bare = request("bare", &["op2"]);
        bare.resource_spans[0].resource = None;
        traces.resource_spans.append(&mut bare.resource_spans);
        p.consume(traces).await.unwrap();
        let got = recorder.requests();
        let r0 = &got[0].resource_spans[0];
        let res = &r0.resource.as_ref().unwrap().attributes;
        assert_eq!(value(res, "deployment.environment.name"), Some(V::StringValue("prod".into())));
        assert_eq!(value(res, "deployment.environment"), None);
        assert_eq!(value(res, "team"), Some(V::StringValue("core".into())));
        assert_eq!(value(res, "service.name"), Some(V::StringValue("svc".into())));
        let scope = &r0.scope_spans[0].scope.as_ref().expect("created for the upsert").attributes;
        assert_eq!(value(scope, "otel.library.kind"), Some(V::StringValue("legacy".into())));
        let span = &r0.scope_spans[0].spans[0].attributes;
        assert_eq!(value(span, "team"), Some(V::StringValue("span-level".into())));
        assert_eq!(value(span, "otel.library.kind"), None);
        // A resource-less ResourceSpans gets a resource for the insert.
        let r1 = &got[0].resource_spans[1];
        assert_eq!(
            r1.resource.as_ref().unwrap().attributes,
            vec![attr("team", V::StringValue("core".into()))]
        );
    }

    #[tokio::test]
    async fn an_absent_resource_stays_absent_when_nothing_is_added() {
        let (p, recorder, _) =
            processor(json!([{"key": "x", "action": "delete", "scope": "resource"}]));
        let mut traces = request("svc", &["op"]);
        traces.resource_spans[0].resource = None;
        p.consume(traces.clone()).await.unwrap();
        assert_eq!(recorder.requests(), vec![traces]);
    }

    #[tokio::test]
    async fn a_refusal_downstream_is_passed_back_and_counted() {
        let (p, recorder, metrics) = processor(json!([]));
        *recorder.refuse.lock().unwrap() = Some(PipelineError::QueueFull("otlp".into()));
        let result = p.consume(request("svc", &["a", "b"])).await;
        assert_eq!(result, Err(PipelineError::QueueFull("otlp".into())));
        assert_eq!(ComponentMetrics::get(&metrics.refused), 2);
    }

    #[tokio::test]
    async fn include_and_exclude_by_service_name() {
        let config = |filters: serde_json::Value| {
            let mut tree =
                json!({"actions": [{"key": "edited", "action": "insert", "value": true}]});
            tree.as_object_mut().unwrap().extend(filters.as_object().unwrap().clone());
            match ProcessorConfig::parse("attributes", tree, "processors.attributes").unwrap() {
                ProcessorConfig::Attributes(c) => c,
                _ => unreachable!(),
            }
        };
        async fn edited(config: &AttributesConfig) -> Vec<bool> {
            let recorder = Arc::new(Recorder::default());
            let metrics = Registry::new().component(Kind::Processor, "attributes");
            let p = build(config, recorder.clone(), metrics);
            let mut traces = request("checkout", &["a"]);
            for service in ["checkout-v2", "legacy-billing"] {
                traces.append(request(service, &["b"]));
            }
            let mut anonymous = request("x", &["c"]);
            anonymous.resource_spans[0].resource = None;
            traces.append(anonymous);
            p.consume(traces).await.unwrap();
            let got = recorder.requests().remove(0);
            got.resource_spans
                .iter()
                .map(|rs| value(&rs.scope_spans[0].spans[0].attributes, "edited").is_some())
                .collect()
        }
        assert_eq!(edited(&config(json!({}))).await, [true, true, true, true]);
        assert_eq!(
            edited(&config(json!({"include": {"services": ["checkout"]}}))).await,
            [true, false, false, false]
        );
        assert_eq!(
            edited(&config(
                json!({"include": {"match_type": "regexp", "services": ["^checkout"]}})
            ))
            .await,
            [true, true, false, false]
        );
        assert_eq!(
            edited(&config(json!({"exclude": {"match_type": "regexp", "services": ["legacy"]}})))
                .await,
            [true, true, false, true]
        );
        assert_eq!(
            edited(&config(json!({
                "include": {"match_type": "regexp", "services": ["checkout"]},
                "exclude": {"services": ["checkout-v2"]},
            })))
            .await,
            [true, false, false, false]
        );
        let bad = ProcessorConfig::parse(
            "attributes",
            json!({"include": {"match_type": "regexp", "services": ["("]}}),
            "processors.attributes",
        )
        .unwrap_err();
        assert_eq!(bad.path, "processors.attributes.include");
        assert!(bad.message.contains("invalid pattern"), "{}", bad.message);
        let bad = ProcessorConfig::parse(
            "attributes",
            json!({"include": {"match_type": "strict", "span_names": ["x"]}}),
            "processors.attributes",
        )
        .unwrap_err();
        assert_eq!(bad.path, "processors.attributes.include.span_names");
    }

    #[test]
    fn config_errors_name_the_action() {
        let err = |actions| parse(actions).unwrap_err();
        let e = err(json!([{"key": "a", "action": "rename"}]));
        assert_eq!(e.path, "processors.attributes.actions[0]");
        assert!(e.message.contains("needs `new_key`"), "{}", e.message);
        let e = err(
            json!([{"key": "a", "action": "delete"}, {"key": "a", "action": "delete", "value": 1}]),
        );
        assert_eq!(e.path, "processors.attributes.actions[1]");
        assert!(e.message.contains("takes no `value`"), "{}", e.message);
        let e = err(json!([{"key": "a", "action": "insert"}]));
        assert!(e.message.contains("needs `value` or `from_attribute`"), "{}", e.message);
        let e = err(json!([{"key": "a", "action": "insert", "value": 1, "from_attribute": "b"}]));
        assert!(e.message.contains("not both"), "{}", e.message);
        let e = err(json!([{"key": "a", "action": "upsert", "value": 1, "new_key": "b"}]));
        assert!(e.message.contains("only for action rename"), "{}", e.message);
        let e = err(json!([{"key": "a", "action": "renam", "new_key": "b"}]));
        assert_eq!(e.path, "processors.attributes.actions[0].action");
        assert!(e.message.contains("did you mean `rename`"), "{}", e.message);
        let e = err(json!([{"key": "a", "action": "delete", "scope": "resources"}]));
        assert!(e.message.contains("did you mean `resource`"), "{}", e.message);
        let e = err(json!([{"key": "a", "action": "delete", "scop": "resource"}]));
        assert!(e.message.contains("did you mean `scope`"), "{}", e.message);
        assert!(parse(json!([])).unwrap().actions.is_empty());
    }
}
