//! JSON values ⇄ OTLP `AnyValue`, exactly: objects become key/value lists in key order, `null` the empty value.

use crate::otlp::model::{any_value::Value as V, AnyValue, ArrayValue, KeyValue, KeyValueList};
use base64::Engine as _;
use serde_json::{Map, Number, Value};

/// A JSON value as an OTLP value. Integers that do not fit `i64` become doubles (callers that need the
/// exact value check the way back).
pub fn json_to_any(value: &Value) -> AnyValue {
    let value = match value {
        Value::Null => None,
        Value::Bool(b) => Some(V::BoolValue(*b)),
        Value::Number(n) => Some(match n.as_i64() {
            Some(i) => V::IntValue(i),
            None => V::DoubleValue(n.as_f64().unwrap_or(f64::NAN)),
        }),
        Value::String(s) => Some(V::StringValue(s.clone())),
        Value::Array(items) => {
            Some(V::ArrayValue(ArrayValue { values: items.iter().map(json_to_any).collect() }))
        }
        Value::Object(map) => Some(V::KvlistValue(map_to_kvlist(map))),
    };
    AnyValue { value }
}

/// A JSON object as a key/value list.
pub fn map_to_kvlist(map: &Map<String, Value>) -> KeyValueList {
    KeyValueList {
        values: map
            .iter()
            .map(|(k, v)| KeyValue { key: k.clone(), value: Some(json_to_any(v)) })
            .collect(),
    }
}

/// An OTLP value as JSON. Bytes become base64 text and non-finite doubles `null` (JSON has neither).
pub fn any_to_json(value: Option<&AnyValue>) -> Value {
    match value.and_then(|v| v.value.as_ref()) {
        None => Value::Null,
        Some(V::StringValue(s)) => Value::String(s.clone()),
        Some(V::BoolValue(b)) => Value::Bool(*b),
        Some(V::IntValue(i)) => Value::Number((*i).into()),
        Some(V::DoubleValue(d)) => Number::from_f64(*d).map_or(Value::Null, Value::Number),
        Some(V::ArrayValue(a)) => {
            Value::Array(a.values.iter().map(|v| any_to_json(Some(v))).collect())
        }
        Some(V::KvlistValue(list)) => Value::Object(kvlist_to_map(list)),
        Some(V::BytesValue(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
    }
}

/// A key/value list as a JSON object (a repeated key keeps its last value, as JSON parsers do).
pub fn kvlist_to_map(list: &KeyValueList) -> Map<String, Value> {
    list.values.iter().map(|kv| (kv.key.clone(), any_to_json(kv.value.as_ref()))).collect()
}
