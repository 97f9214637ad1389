//! Why an exposition was rejected, and where.

use super::model::MetricType;

/// An exposition that could not be read: where (1-based line and column, the column counted
/// in characters) and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters (not bytes).
    pub column: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// What is wrong with an exposition.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseErrorKind {
    /// The bytes are not UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// A sample or metadata line lacks its metric name (or it starts with a bad character).
    #[error("expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)")]
    ExpectedMetricName,
    /// The metric name in a `# HELP`/`# TYPE` line has a character names cannot have.
    #[error("invalid metric name in comment")]
    InvalidNameInComment,
    /// A label set holds something that is not a label name.
    #[error("expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)")]
    ExpectedLabelName,
    /// `__name__` used as a label.
    #[error("label name \"__name__\" is reserved")]
    ReservedLabelName,
    /// No `=` after a label name.
    #[error("expected '=' after the label name")]
    ExpectedEquals,
    /// No `"` opening a label value.
    #[error("expected '\"' to open the label value")]
    ExpectedQuote,
    /// The line ended inside a label value.
    #[error("label value is not closed")]
    UnterminatedLabelValue,
    /// A backslash escape the format does not have.
    #[error("invalid escape sequence '\\{0}'")]
    InvalidEscape(char),
    /// Something other than `,` or `}` after a label.
    #[error("expected ',' or '}}' after a label")]
    ExpectedCommaOrBrace,
    /// The same label name twice in one label set.
    #[error("label {0:?} appears twice")]
    DuplicateLabel(String),
    /// A single space separates the parts of an OpenMetrics line.
    #[error("expected a single space")]
    ExpectedSpace,
    /// A value that is not a number (`NaN`, `+Inf`, `-Inf`, decimal).
    #[error("expected a number, found {0:?}")]
    InvalidNumber(String),
    /// A timestamp that is not an integer (text 0.0.4) or a finite decimal (OpenMetrics).
    #[error("invalid timestamp {0:?}")]
    InvalidTimestamp(String),
    /// A timestamp beyond what nanoseconds in an `i128` hold.
    #[error("timestamp {0:?} out of range")]
    TimestampOutOfRange(String),
    /// Text where the line should end.
    #[error("unexpected {0:?} at the end of the line")]
    TrailingText(String),
    /// Text 0.0.4 input must end with a line feed.
    #[error("the last line does not end with a line feed")]
    MissingFinalNewline,
    /// OpenMetrics has no blank lines.
    #[error("blank line")]
    BlankLine,
    /// A `#` line that is none of `# HELP`, `# TYPE`, `# UNIT`, `# EOF` (OpenMetrics).
    #[error("expected \"# HELP|TYPE|UNIT <name> <text>\" or \"# EOF\"")]
    InvalidMetadataLine,
    /// A `# TYPE` the format does not have.
    #[error("unknown metric type {0:?}")]
    UnknownType(String),
    /// A unit with characters a metric name cannot have.
    #[error("invalid unit {0:?}")]
    InvalidUnit(String),
    /// A second `# HELP`, `# TYPE` or `# UNIT` for one family.
    #[error("second {keyword} line for {family:?}")]
    DuplicateMetadata {
        /// `HELP`, `TYPE` or `UNIT`.
        keyword: &'static str,
        /// The family.
        family: String,
    },
    /// Metadata after the family's first sample.
    #[error("{keyword} line for {family:?} after its samples")]
    MetadataAfterSamples {
        /// `HELP`, `TYPE` or `UNIT`.
        keyword: &'static str,
        /// The family.
        family: String,
    },
    /// A family whose name, or one of its sample names, an earlier family already used
    /// (OpenMetrics: a family's samples must be together).
    #[error("name {0:?} clashes with an earlier metric family")]
    ClashingName(String),
    /// A `# UNIT` that is not the suffix of the family name.
    #[error("unit {unit:?} is not a suffix of the metric name {family:?}")]
    UnitNotSuffix {
        /// The unit.
        unit: String,
        /// The family.
        family: String,
    },
    /// `# UNIT` on an info or stateset family.
    #[error("{0} metrics cannot have a unit")]
    UnitNotAllowed(MetricType),
    /// A histogram bucket without a valid `le` label.
    #[error("bucket needs an 'le' label holding a number, found {0:?}")]
    InvalidLe(Option<String>),
    /// A summary quantile without a valid `quantile` label.
    #[error("summary sample needs a numeric 'quantile' label (between 0 and 1 in OpenMetrics), found {0:?}")]
    InvalidQuantile(Option<String>),
    /// A stateset sample without the label named after the family.
    #[error("stateset sample lacks the label {0:?}")]
    MissingStateLabel(String),
    /// A value the sample's kind cannot have.
    #[error("invalid value: {0}")]
    InvalidValue(&'static str),
    /// An exemplar on a sample that cannot carry one.
    #[error("only counter _total samples and histogram buckets can have exemplars")]
    ExemplarNotAllowed,
    /// Exemplar label names and values longer than 128 characters together.
    #[error("exemplar labels are {0} characters long, more than 128")]
    ExemplarTooLong(usize),
    /// OpenMetrics: the samples of one label set are not together.
    #[error("samples of one label set are not together")]
    InvalidGrouping,
    /// OpenMetrics: some samples of a label set have timestamps and some do not.
    #[error("some samples of this label set have a timestamp and some do not")]
    MixedTimestamps,
    /// OpenMetrics: timestamps within a label set went backwards.
    #[error("timestamps went backwards")]
    TimestampsBackwards,
    /// OpenMetrics: a histogram breaks one of the format's rules.
    #[error("histogram {family:?}: {rule}")]
    Histogram {
        /// The family.
        family: String,
        /// The rule broken.
        rule: &'static str,
    },
    /// OpenMetrics input must end with `# EOF`.
    #[error("missing \"# EOF\"")]
    MissingEof,
    /// Anything after `# EOF` but one line feed.
    #[error("text after \"# EOF\"")]
    TextAfterEof,
}

/// Where in the input: the line (1-based) and the byte where it starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinePos {
    pub line: usize,
    pub start: usize,
}

impl ParseError {
    /// An error at byte `offset` of `input`, on the line `at`.
    pub(crate) fn at(input: &str, at: LinePos, offset: usize, kind: ParseErrorKind) -> Self {
        let offset = offset.clamp(at.start, input.len());
        // Columns count characters; an offset inside a multi-byte character counts it.
        let prefix = input.get(at.start..offset).map_or_else(
            || String::from_utf8_lossy(&input.as_bytes()[at.start..offset]).chars().count(),
            |p| p.chars().count(),
        );
        ParseError { line: at.line, column: prefix + 1, kind }
    }

    /// An error for bytes that are not UTF-8: line and column of the first bad byte.
    pub(crate) fn invalid_utf8(input: &[u8], bad: usize) -> Self {
        let valid = std::str::from_utf8(&input[..bad]).unwrap_or_default();
        let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
        let line = valid.bytes().filter(|&b| b == b'\n').count() + 1;
        let column = valid[line_start..].chars().count() + 1;
        ParseError { line, column, kind: ParseErrorKind::InvalidUtf8 }
    }
}
