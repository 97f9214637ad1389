//! The one error type of this crate and the per-span rejection record.

use crate::Format;
use std::fmt;

/// Where in the input a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A byte offset into a binary input.
    Offset(usize),
    /// A JSON path such as `$.data[0].spans[3].traceID` (with the line for NDJSON input).
    JsonPath(String),
    /// A line and column (1-based) in a text input.
    LineColumn {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The input as a whole.
    Input,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Offset(o) => write!(f, "at byte {o}"),
            Location::JsonPath(p) => write!(f, "at {p}"),
            Location::LineColumn { line, column } => write!(f, "at line {line}, column {column}"),
            Location::Input => f.write_str("in input"),
        }
    }
}

/// Nothing could be read: the framing or the document itself is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format}: {location}: {reason}")]
pub struct DecodeError {
    /// The format being read.
    pub format: Format,
    /// Where the problem is.
    pub location: Location,
    /// What is wrong.
    pub reason: String,
}

impl DecodeError {
    /// A new error.
    pub fn new(format: Format, location: Location, reason: impl Into<String>) -> Self {
        DecodeError { format, location, reason: reason.into() }
    }
}

/// One span that was rejected while the rest of its batch went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Which item: a JSON path, `span[3]` or `batch[0].span[3]`, with ids when known.
    pub item: String,
    /// Why it was rejected.
    pub reason: String,
}

impl Rejection {
    /// A new rejection.
    pub fn new(item: impl Into<String>, reason: impl Into<String>) -> Self {
        Rejection { item: item.into(), reason: reason.into() }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.item, self.reason)
    }
}
