//! Configuration problems with their key paths, and "did you mean" suggestions.

use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;

/// One problem: where (`exporters.otlp.sending_queue.queue_size`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key path; empty for the file as a whole.
    pub path: String,
    /// What is wrong, and how to fix it where we can tell.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every problem found in a configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// A single problem.
    pub fn one(path: &str, message: impl Into<String>) -> Self {
        Problems(vec![Problem { path: path.into(), message: message.into() }])
    }
    /// Adds a problem.
    pub fn push(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(Problem { path: path.into(), message: message.into() });
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.0 {
            writeln!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// `" (did you mean `x`?)"` when one of `candidates` is close to `word`, else an empty string.
pub fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// Deserializes `value` into `T`, turning the first error into a [`Problem`] at its full key path, with a
/// "did you mean" for unknown keys and unknown variants.
pub fn typed<T: DeserializeOwned>(path: &str, value: Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let inner = error.path().to_string();
        let mut full: String = match (path.is_empty(), inner.as_str()) {
            (_, ".") => path.to_string(),
            (true, inner) => inner.to_string(),
            (false, inner) => format!("{path}.{inner}"),
        };
        let message = error.inner().to_string();
        let message = with_suggestion(&message);
        if full.is_empty() {
            full = ".".into();
        }
        Problem { path: full.trim_start_matches('.').to_string(), message }
    })
}

/// Appends "did you mean" to serde's "unknown field `x`, expected one of `a`, `b`" (and variant) messages.
fn with_suggestion(message: &str) -> String {
    let Some(start) = message.find("unknown field `").or_else(|| message.find("unknown variant `"))
    else {
        return message.to_string();
    };
    let after = &message[start..];
    let word = after.split('`').nth(1).unwrap_or_default();
    let candidates: Vec<&str> = match after.find("expected") {
        Some(i) => after[i..].split('`').skip(1).step_by(2).collect(),
        None => Vec::new(),
    };
    format!("{message}{}", did_you_mean(word, &candidates))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        queue_size: usize,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        sending_queue: Inner,
    }

    #[test]
    fn unknown_key_gets_full_path_and_suggestion() {
        let value = serde_json::json!({"sending_queue": {"queue_sise": 3}});
        let problem = typed::<Outer>("exporters.otlp", value).unwrap_err();
        assert_eq!(problem.path, "exporters.otlp.sending_queue.queue_sise");
        assert!(problem.message.contains("did you mean `queue_size`?"), "{}", problem.message);
    }

    #[test]
    fn wrong_type_names_the_key() {
        let value = serde_json::json!({"sending_queue": {"queue_size": "many"}});
        let problem = typed::<Outer>("exporters.otlp", value).unwrap_err();
        assert_eq!(problem.path, "exporters.otlp.sending_queue.queue_size");
        assert!(problem.message.contains("invalid type"), "{}", problem.message);
    }
}
