//! The Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`), read as
//! Prometheus' own parser (`expfmt`) reads it.
//!
//! - Blanks and tabs may lead a line and separate tokens; blank lines and `#` comments other
//!   than `# HELP` and `# TYPE` are ignored, as are `# HELP`/`# TYPE` lines with nothing after
//!   the name.
//! - A family's samples may be spread over the input: a sample joins the family of its exact
//!   name, else the summary/histogram its `_sum`/`_count`/`_bucket` name belongs to, else a new
//!   untyped family.
//! - `# TYPE` must come before the family's first sample and only once; `# HELP` only once.
//! - Label values know the escapes `\\`, `\"`, `\n` and no others; HELP knows `\\` and `\n`.
//!   A trailing comma in a label set is allowed; `__name__` and repeated label names are not.
//! - Values as Go's `ParseFloat` reads decimals (and `NaN`, `[+-]Inf`); timestamps are integer
//!   milliseconds. Nothing may follow the timestamp, not even blanks.
//! - `le` (histogram buckets) and `quantile` (summaries) must be numbers when present.
//! - The input ends with a line feed (a last line without one is an error, as in Prometheus).

use super::error::{LinePos, ParseError, ParseErrorKind};
use super::lexer::{self, Escapes, FastHasher, LexError};
use super::model::{Label, MetricFamily, MetricSet, MetricType, Sample, SampleKind};
use super::Parsed;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Parses a text 0.0.4 exposition, stopping at the first problem.
pub fn parse_text(input: &[u8]) -> Result<MetricSet<'_>, ParseError> {
    let src =
        std::str::from_utf8(input).map_err(|e| ParseError::invalid_utf8(input, e.valid_up_to()))?;
    TextParser::new(src, false).run().map(|parsed| parsed.set)
}

/// Parses a text 0.0.4 exposition the way a scraper wants it: a line that cannot be read is
/// skipped (a bad sample costs that sample), a last line without its line feed is kept; each
/// is reported in [`Parsed::problems`]. Bytes that are not UTF-8 read as U+FFFD (the first one
/// reported).
pub fn parse_text_lenient(input: &[u8]) -> Parsed<'_> {
    super::lenient_utf8(input, |src| TextParser::new(src, true).run())
}

type NameIndex<'a> = HashMap<&'a str, usize, BuildHasherDefault<FastHasher>>;

struct TextParser<'a> {
    src: &'a str,
    families: Vec<MetricFamily<'a>>,
    /// Whether each family's type is fixed (by `# TYPE` or by its first sample).
    typed: Vec<bool>,
    by_name: NameIndex<'a>,
    /// How many families have a name ending in `_count`, `_sum` or `_bucket`: only then can a
    /// sample name such as `x_sum` be a family of its own rather than part of summary `x`.
    suffixed_families: usize,
    /// The family of the previous sample: most samples belong to it.
    current: Option<usize>,
    at: LinePos,
    /// `Some` when lenient: the problems let through so far.
    problems: Option<Vec<ParseError>>,
}

impl<'a> TextParser<'a> {
    fn new(src: &'a str, lenient: bool) -> Self {
        TextParser {
            src,
            families: Vec::new(),
            typed: Vec::new(),
            by_name: NameIndex::with_capacity_and_hasher(src.len() / 512, Default::default()),
            suffixed_families: 0,
            current: None,
            at: LinePos { line: 0, start: 0 },
            problems: lenient.then(Vec::new),
        }
    }

    fn err(&self, offset: usize, kind: ParseErrorKind) -> ParseError {
        ParseError::at(self.src, self.at, offset, kind)
    }

    fn lex_err(&self, (offset, kind): LexError) -> ParseError {
        self.err(offset, kind)
    }

    /// Strict: the error. Lenient: the error is noted and parsing goes on.
    fn tolerate(&mut self, result: Result<(), ParseError>) -> Result<(), ParseError> {
        match (result, &mut self.problems) {
            (Err(e), Some(problems)) => {
                problems.push(e);
                Ok(())
            }
            (result, _) => result,
        }
    }

    fn run(mut self) -> Result<Parsed<'a>, ParseError> {
        let b = self.src.as_bytes();
        let mut pos = 0;
        while pos < b.len() {
            let end = lexer::line_end(b, pos);
            self.at = LinePos { line: self.at.line + 1, start: pos };
            let first = lexer::skip_blanks(b, pos, end);
            if first < end {
                let result = if b[first] == b'#' {
                    self.comment(first + 1, end)
                } else {
                    self.sample(first, end)
                };
                self.tolerate(result)?;
                if end == b.len() {
                    let e = self.err(end, ParseErrorKind::MissingFinalNewline);
                    self.tolerate(Err(e))?;
                }
            }
            pos = end + 1;
        }
        Ok(Parsed {
            set: MetricSet { families: self.families },
            problems: self.problems.unwrap_or_default(),
        })
    }

    /// The family a metadata line or sample named `name` belongs to, and which of its samples
    /// that name is; `None` when there is no such family yet.
    fn find_family(&self, name: &str) -> Option<(usize, SampleKind)> {
        if let Some(&i) = self.by_name.get(name) {
            return Some((i, SampleKind::Value));
        }
        let parent = |suffix: &str, kind| {
            let base = name.strip_suffix(suffix)?;
            let &i = self.by_name.get(base)?;
            Some((i, kind))
        };
        let summary_or_histogram = |found: Option<(usize, SampleKind)>| {
            found.filter(|&(i, _)| {
                matches!(self.families[i].metric_type, MetricType::Summary | MetricType::Histogram)
            })
        };
        if let Some(found) = summary_or_histogram(
            parent("_count", SampleKind::Count).or_else(|| parent("_sum", SampleKind::Sum)),
        ) {
            return Some(found);
        }
        parent("_bucket", SampleKind::Bucket)
            .filter(|&(i, _)| self.families[i].metric_type == MetricType::Histogram)
    }

    /// Adds an untyped family named `name`. Only called once a line has been read whole, so a
    /// line that fails leaves no trace.
    fn new_family(&mut self, name: &'a str) -> (usize, SampleKind) {
        let i = self.families.len();
        self.families.push(MetricFamily::new(name, MetricType::Unknown));
        self.typed.push(false);
        self.by_name.insert(name, i);
        if ["_count", "_sum", "_bucket"].iter().any(|s| name.ends_with(s)) {
            self.suffixed_families += 1;
        }
        (i, SampleKind::Value)
    }

    /// The family and kind of a sample named `name`, trying the previous sample's family first.
    #[inline]
    fn sample_family(&self, name: &str) -> Option<(usize, SampleKind)> {
        if let Some(i) = self.current {
            let family = &self.families[i];
            if family.name == name {
                return Some((i, SampleKind::Value));
            }
            // A suffix of the current summary/histogram, unless a family has that exact name.
            if let Some(suffix) = name.strip_prefix(&*family.name) {
                let kind = match (family.metric_type, suffix) {
                    (MetricType::Summary | MetricType::Histogram, "_count") => SampleKind::Count,
                    (MetricType::Summary | MetricType::Histogram, "_sum") => SampleKind::Sum,
                    (MetricType::Histogram, "_bucket") => SampleKind::Bucket,
                    _ => return self.find_family(name),
                };
                if self.suffixed_families == 0 || !self.by_name.contains_key(name) {
                    return Some((i, kind));
                }
            }
        }
        self.find_family(name)
    }

    fn comment(&mut self, pos: usize, end: usize) -> Result<(), ParseError> {
        let b = self.src.as_bytes();
        let kw_start = lexer::skip_blanks(b, pos, end);
        let kw_end = lexer::token_end(b, kw_start, end);
        let keyword = &self.src[kw_start..kw_end];
        if kw_end == end || (keyword != "HELP" && keyword != "TYPE") {
            return Ok(()); // A plain comment.
        }
        let name_start = lexer::skip_blanks(b, kw_end, end);
        let name_end = lexer::metric_name_end(b, name_start, end);
        if name_end == end {
            return Ok(()); // `# HELP` or `# HELP name` alone: nothing to record.
        }
        if b[name_end] != b' ' && b[name_end] != b'\t' {
            return Err(self.err(name_end, ParseErrorKind::InvalidNameInComment));
        }
        let text_start = lexer::skip_blanks(b, name_end, end);
        if text_start == end {
            return Ok(()); // Nothing after the name.
        }
        let name = &self.src[name_start..name_end];
        let found = self.find_family(name).map(|(i, _)| i);
        if keyword == "HELP" {
            if let Some(i) = found.filter(|&i| self.families[i].help.is_some()) {
                let family = self.families[i].name.to_string();
                let kind = ParseErrorKind::DuplicateMetadata { keyword: "HELP", family };
                return Err(self.err(kw_start, kind));
            }
            let help =
                lexer::help_text(self.src, text_start, end, true).map_err(|e| self.lex_err(e))?;
            let i = found.unwrap_or_else(|| self.new_family(name).0);
            self.families[i].help = Some(help);
        } else {
            if let Some(i) = found.filter(|&i| self.typed[i]) {
                let family = self.families[i].name.to_string();
                let kind = if self.families[i].samples.is_empty() {
                    ParseErrorKind::DuplicateMetadata { keyword: "TYPE", family }
                } else {
                    ParseErrorKind::MetadataAfterSamples { keyword: "TYPE", family }
                };
                return Err(self.err(kw_start, kind));
            }
            let type_name = &self.src[text_start..end];
            let Some(metric_type) = MetricType::from_text_name(type_name) else {
                let kind = ParseErrorKind::UnknownType(type_name.to_owned());
                return Err(self.err(text_start, kind));
            };
            let i = found.unwrap_or_else(|| self.new_family(name).0);
            self.families[i].metric_type = metric_type;
            self.typed[i] = true;
        }
        Ok(())
    }

    fn sample(&mut self, start: usize, end: usize) -> Result<(), ParseError> {
        let src = self.src;
        let b = src.as_bytes();
        // Most samples start with the previous sample's family name: compare those bytes at once
        // and scan only the rest of the name.
        let known = self.current.map_or(0, |i| self.families[i].name.len());
        let name_end = if known > 0
            && b[start..end].starts_with(self.families[self.current.unwrap_or(0)].name.as_bytes())
        {
            lexer::metric_name_rest(b, start + known, end)
        } else {
            lexer::metric_name_end(b, start, end)
        };
        if name_end == start {
            return Err(self.err(start, ParseErrorKind::ExpectedMetricName));
        }
        let name = &src[start..name_end];
        let mut pos = lexer::skip_blanks(b, name_end, end);
        let mut labels = Vec::new();
        if pos < end && b[pos] == b'{' {
            pos = self.labels(pos + 1, end, &mut labels)?;
            pos = lexer::skip_blanks(b, pos, end);
        }
        let value_end = lexer::token_end(b, pos, end);
        let value_text = &src[pos..value_end];
        let Some(value) = lexer::number(value_text) else {
            return Err(self.err(pos, ParseErrorKind::InvalidNumber(value_text.to_owned())));
        };
        let mut timestamp = None;
        if value_end < end {
            let ts_start = lexer::skip_blanks(b, value_end, end);
            let ts_end = lexer::token_end(b, ts_start, end);
            let ts_text = &src[ts_start..ts_end];
            timestamp = Some(lexer::millis_timestamp(ts_text).ok_or_else(|| {
                self.err(ts_start, ParseErrorKind::InvalidTimestamp(ts_text.to_owned()))
            })?);
            if ts_end < end {
                let rest = src[ts_end..end].to_owned();
                return Err(self.err(ts_end, ParseErrorKind::TrailingText(rest)));
            }
        }
        let found = self.sample_family(name);
        if let Some((i, _)) = found {
            self.check_special_labels(self.families[i].metric_type, &labels, start)?;
        }
        let (family, kind) = found.unwrap_or_else(|| self.new_family(name));
        self.typed[family] = true;
        self.current = Some(family);
        self.families[family].samples.push(Sample {
            name: Cow::Borrowed(name),
            kind,
            labels,
            value,
            timestamp,
            exemplar: None,
        });
        Ok(())
    }

    /// `le` of a histogram and `quantile` of a summary must be numbers.
    fn check_special_labels(
        &self,
        metric_type: MetricType,
        labels: &[Label<'a>],
        start: usize,
    ) -> Result<(), ParseError> {
        let check = |label: &str, bad: fn(Option<String>) -> ParseErrorKind| match labels
            .iter()
            .find(|l| l.name == label)
        {
            Some(l) if lexer::number(&l.value).is_none() => {
                Err(self.err(start, bad(Some(l.value.to_string()))))
            }
            _ => Ok(()),
        };
        match metric_type {
            MetricType::Histogram => check("le", ParseErrorKind::InvalidLe),
            MetricType::Summary => check("quantile", ParseErrorKind::InvalidQuantile),
            _ => Ok(()),
        }
    }

    /// A label set whose `{` is just before `pos`; gives the position after its `}`.
    #[inline]
    fn labels(
        &self,
        mut pos: usize,
        end: usize,
        labels: &mut Vec<Label<'a>>,
    ) -> Result<usize, ParseError> {
        let src = self.src;
        let b = src.as_bytes();
        loop {
            pos = lexer::skip_blanks(b, pos, end);
            if pos < end && b[pos] == b'}' {
                return Ok(pos + 1);
            }
            let name_end = lexer::label_name_end(b, pos, end);
            if name_end == pos {
                return Err(self.err(pos, ParseErrorKind::ExpectedLabelName));
            }
            let name = &src[pos..name_end];
            if name == "__name__" {
                return Err(self.err(pos, ParseErrorKind::ReservedLabelName));
            }
            if lexer::has_label(labels, name) {
                return Err(self.err(pos, ParseErrorKind::DuplicateLabel(name.to_owned())));
            }
            let eq = lexer::skip_blanks(b, name_end, end);
            if eq >= end || b[eq] != b'=' {
                return Err(self.err(eq, ParseErrorKind::ExpectedEquals));
            }
            let quote = lexer::skip_blanks(b, eq + 1, end);
            if quote >= end || b[quote] != b'"' {
                return Err(self.err(quote, ParseErrorKind::ExpectedQuote));
            }
            let (value, after) = lexer::label_value(src, quote + 1, end, Escapes::Strict)
                .map_err(|e| self.lex_err(e))?;
            labels.push(Label { name: Cow::Borrowed(name), value });
            pos = lexer::skip_blanks(b, after, end);
            match b.get(pos) {
                Some(b',') if pos < end => pos += 1,
                Some(b'}') if pos < end => return Ok(pos + 1),
                _ => return Err(self.err(pos, ParseErrorKind::ExpectedCommaOrBrace)),
            }
        }
    }
}
