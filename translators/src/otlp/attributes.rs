//! Building, finding and rendering OTLP attributes.

use super::model::{any_value::Value, AnyValue, KeyValue};
use base64::Engine;

/// A string attribute.
pub fn string(key: impl Into<String>, value: impl Into<String>) -> KeyValue {
    with_value(key, Value::StringValue(value.into()))
}

/// A bool attribute.
pub fn bool(key: impl Into<String>, value: bool) -> KeyValue {
    with_value(key, Value::BoolValue(value))
}

/// An integer attribute.
pub fn int(key: impl Into<String>, value: i64) -> KeyValue {
    with_value(key, Value::IntValue(value))
}

/// A double attribute.
pub fn double(key: impl Into<String>, value: f64) -> KeyValue {
    with_value(key, Value::DoubleValue(value))
}

/// A bytes attribute.
pub fn bytes(key: impl Into<String>, value: Vec<u8>) -> KeyValue {
    with_value(key, Value::BytesValue(value))
}

/// An attribute with any value.
pub fn with_value(key: impl Into<String>, value: Value) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }) }
}

/// The value of the first attribute named `key`.
pub fn get<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

/// The string value of the first attribute named `key`, when it is a string.
pub fn get_str<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match get(attributes, key)? {
        Value::StringValue(s) => Some(s),
        _ => None,
    }
}

/// Removes every attribute named `key` and returns the value of the first.
pub fn take(attributes: &mut Vec<KeyValue>, key: &str) -> Option<Value> {
    let pos = attributes.iter().position(|kv| kv.key == key)?;
    let first = attributes.remove(pos).value.and_then(|v| v.value);
    attributes.retain(|kv| kv.key != key);
    first
}

/// The value as JSON: how arrays and maps travel through formats whose tags are flat.
pub fn to_json(value: Option<&Value>) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        None => J::Null,
        Some(Value::StringValue(s)) => J::String(s.clone()),
        Some(Value::BoolValue(b)) => J::Bool(*b),
        Some(Value::IntValue(i)) => J::from(*i),
        Some(Value::DoubleValue(d)) => serde_json::Number::from_f64(*d)
            .map(J::Number)
            .unwrap_or_else(|| J::String(d.to_string())),
        Some(Value::BytesValue(b)) => {
            J::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Some(Value::ArrayValue(a)) => {
            J::Array(a.values.iter().map(|v| to_json(v.value.as_ref())).collect())
        }
        Some(Value::KvlistValue(kv)) => J::Object(
            kv.values
                .iter()
                .map(|kv| {
                    (kv.key.clone(), to_json(kv.value.as_ref().and_then(|v| v.value.as_ref())))
                })
                .collect(),
        ),
    }
}

/// The value as a single string, the way the spec renders non-string attributes into string
/// tags (Zipkin): bools lower-case, numbers in decimal, arrays and maps as JSON, bytes base64.
pub fn to_tag_string(value: Option<&Value>) -> String {
    match value {
        None => String::new(),
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        Some(Value::BytesValue(b)) => base64::engine::general_purpose::STANDARD.encode(b),
        Some(other) => to_json(Some(other)).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::model::ArrayValue;

    #[test]
    fn tag_strings_follow_the_spec() {
        assert_eq!(to_tag_string(Some(&Value::BoolValue(true))), "true");
        assert_eq!(to_tag_string(Some(&Value::IntValue(-42))), "-42");
        assert_eq!(to_tag_string(Some(&Value::DoubleValue(1.5))), "1.5");
        let arr = Value::ArrayValue(ArrayValue {
            values: vec![
                AnyValue { value: Some(Value::StringValue("a".into())) },
                AnyValue { value: Some(Value::IntValue(2)) },
            ],
        });
        assert_eq!(to_tag_string(Some(&arr)), r#"["a",2]"#);
    }

    #[test]
    fn take_removes_all_and_returns_first() {
        let mut attrs = vec![string("a", "1"), string("b", "2"), string("a", "3")];
        assert_eq!(take(&mut attrs, "a"), Some(Value::StringValue("1".into())));
        assert_eq!(attrs, vec![string("b", "2")]);
        assert_eq!(take(&mut attrs, "zz"), None);
    }
}
