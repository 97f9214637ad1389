//! OpenMetrics 1.0 (`application/openmetrics-text; version=1.0.0`): the ABNF of the
//! specification plus its semantic rules, as the OpenMetrics conformance suite checks them.
//!
//! Syntax: single spaces between tokens, no blank lines, metadata lines `# HELP|TYPE|UNIT name
//! text`, `# EOF` last, timestamps in (decimal) seconds, exemplars after ` # ` on counter
//! `_total` samples and histogram buckets.
//!
//! Semantics, checked as the samples arrive and when each family ends:
//! - a family is contiguous: its metadata first (each line once), then its samples; a sample
//!   whose name is not one of the family's (by type: `_total`, `_bucket`, ...) starts a new
//!   `unknown` family, and a family may not reuse a name an earlier one had;
//! - the samples of one label set are together, with timestamps on all or none, never going
//!   backwards (except for info metrics);
//! - counter-like values are not NaN or negative, info values are 1, stateset values 0 or 1,
//!   quantiles are not negative; `le` and `quantile` labels are canonical numbers;
//! - histograms have a `+Inf` bucket, ascending buckets with non-decreasing integer counts,
//!   `_count` equal to the `+Inf` bucket, `_sum` and `_count` together (`_gsum`/`_gcount`),
//!   no `_sum` with negative buckets, no negative `_gsum` without them;
//! - `# UNIT` is the name's suffix and is not allowed on info and stateset.

use super::error::{LinePos, ParseError, ParseErrorKind};
use super::lexer::FastHasher;
use super::lexer::{self, Escapes, LexError};
use super::model::{Exemplar, Label, MetricFamily, MetricSet, MetricType, Sample, SampleKind};
use super::Parsed;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Parses an OpenMetrics 1.0 exposition, stopping at the first problem.
pub fn parse_openmetrics(input: &[u8]) -> Result<MetricSet<'_>, ParseError> {
    let src =
        std::str::from_utf8(input).map_err(|e| ParseError::invalid_utf8(input, e.valid_up_to()))?;
    OmParser::new(src, false).run().map(|parsed| parsed.set)
}

/// Parses an OpenMetrics 1.0 exposition the way a scraper wants it: a line that cannot be read
/// is skipped, a sample or family breaking a semantic rule (negative `_sum`, interleaved label
/// sets, a histogram without `+Inf`, a missing `# EOF`...) is kept; each is reported in
/// [`Parsed::problems`]. Bytes that are not UTF-8 read as U+FFFD (the first one reported).
pub fn parse_openmetrics_lenient(input: &[u8]) -> Parsed<'_> {
    super::lenient_utf8(input, |src| OmParser::new(src, true).run())
}

/// Exemplar label names and values together may hold at most this many characters.
const EXEMPLAR_MAX_CHARS: usize = 128;

/// What the parser tracks about the family being read (always the last one of the set).
struct FamilyState {
    /// Where the family started (its first line).
    at: LinePos,
    has_help: bool,
    has_type: bool,
    has_unit: bool,
    /// Where each sample is, for errors found when the family ends.
    sample_lines: Vec<LinePos>,
    /// Index of a sample of the current label set, and its timestamp.
    group: Option<(usize, Option<super::model::Timestamp>)>,
    /// Label sets seen so far: hash → indexes of a sample of each.
    seen_groups: HashMap<u64, Vec<usize>, BuildHasherDefault<FastHasher>>,
}

impl FamilyState {
    fn new(at: LinePos) -> Self {
        FamilyState {
            at,
            has_help: false,
            has_type: false,
            has_unit: false,
            sample_lines: Vec::new(),
            group: None,
            seen_groups: HashMap::default(),
        }
    }

    /// A fresh state for a family starting at `at`, keeping the (emptied) buffers of this one.
    fn reuse(self, at: LinePos) -> Self {
        FamilyState {
            sample_lines: self.sample_lines,
            seen_groups: self.seen_groups,
            ..FamilyState::new(at)
        }
    }
}

/// One sample line, read but not yet placed in a family.
struct SampleLine<'a> {
    name: &'a str,
    labels: Vec<Label<'a>>,
    value: f64,
    value_at: usize,
    timestamp: Option<super::model::Timestamp>,
    exemplar: Option<Box<Exemplar<'a>>>,
}

struct OmParser<'a> {
    src: &'a str,
    families: Vec<MetricFamily<'a>>,
    state: Option<FamilyState>,
    /// Every name (family and sample names) used by families already finished.
    seen_names: HashSet<String, BuildHasherDefault<FastHasher>>,
    at: LinePos,
    /// `Some` when lenient: the problems let through so far.
    problems: Option<Vec<ParseError>>,
    /// A finished family's state, emptied, whose buffers the next family reuses.
    spare: Option<FamilyState>,
}

impl<'a> OmParser<'a> {
    fn new(src: &'a str, lenient: bool) -> Self {
        OmParser {
            src,
            families: Vec::new(),
            state: None,
            seen_names: HashSet::default(),
            at: LinePos { line: 0, start: 0 },
            problems: lenient.then(Vec::new),
            spare: None,
        }
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

    fn err(&self, offset: usize, kind: ParseErrorKind) -> ParseError {
        ParseError::at(self.src, self.at, offset, kind)
    }

    fn err_at(&self, at: LinePos, kind: ParseErrorKind) -> ParseError {
        ParseError::at(self.src, at, at.start, kind)
    }

    fn lex_err(&self, (offset, kind): LexError) -> ParseError {
        self.err(offset, kind)
    }

    fn run(mut self) -> Result<Parsed<'a>, ParseError> {
        let b = self.src.as_bytes();
        let mut pos = 0;
        let mut eof = false;
        while pos < b.len() {
            let end = lexer::line_end(b, pos);
            self.at = LinePos { line: self.at.line + 1, start: pos };
            if eof {
                let e = self.err(pos, ParseErrorKind::TextAfterEof);
                self.tolerate(Err(e))?;
                break;
            }
            let line = &self.src[pos..end];
            let result = if line.is_empty() {
                Err(self.err(pos, ParseErrorKind::BlankLine))
            } else if line == "# EOF" {
                eof = true;
                Ok(())
            } else if b[pos] == b'#' {
                self.metadata(pos, end)
            } else {
                self.sample(pos, end)
            };
            self.tolerate(result)?;
            pos = end + 1;
        }
        if !eof {
            if b.last().is_none_or(|&c| c == b'\n') {
                // The missing line would start after the last line feed.
                self.at = LinePos { line: self.at.line + 1, start: b.len() };
            }
            let e = self.err(b.len(), ParseErrorKind::MissingEof);
            self.tolerate(Err(e))?;
        }
        let finished = self.finish_family();
        self.tolerate(finished)?;
        Ok(Parsed {
            set: MetricSet { families: self.families },
            problems: self.problems.unwrap_or_default(),
        })
    }

    /// Starts a new family (finishing the current one).
    fn start_family(&mut self, name: &'a str, metric_type: MetricType) -> Result<(), ParseError> {
        let finished = self.finish_family();
        self.tolerate(finished)?;
        self.families.push(MetricFamily::new(name, metric_type));
        self.state = Some(match self.spare.take() {
            Some(spare) => spare.reuse(self.at),
            None => FamilyState::new(self.at),
        });
        Ok(())
    }

    fn metadata(&mut self, start: usize, end: usize) -> Result<(), ParseError> {
        let src = self.src;
        let b = src.as_bytes();
        let line = &src[start..end];
        let keyword = match line.get(..7) {
            Some("# HELP ") => "HELP",
            Some("# TYPE ") => "TYPE",
            Some("# UNIT ") => "UNIT",
            _ => return Err(self.err(start, ParseErrorKind::InvalidMetadataLine)),
        };
        let name_start = start + 7;
        let name_end = lexer::metric_name_end(b, name_start, end);
        if name_end == name_start {
            return Err(self.err(name_start, ParseErrorKind::ExpectedMetricName));
        }
        if name_end == end || b[name_end] != b' ' {
            return Err(self.err(name_end, ParseErrorKind::ExpectedSpace));
        }
        let name = &src[name_start..name_end];
        let text_start = name_end + 1;
        let text = &src[text_start..end];

        // The whole line is read before it touches the model (a lenient parse skips it whole).
        let mut help = Cow::Borrowed("");
        let mut metric_type = MetricType::Unknown;
        match keyword {
            "HELP" => {
                help =
                    lexer::help_text(src, text_start, end, false).map_err(|e| self.lex_err(e))?;
            }
            "TYPE" => {
                let Some(t) = MetricType::from_openmetrics_name(text) else {
                    return Err(self.err(text_start, ParseErrorKind::UnknownType(text.to_owned())));
                };
                metric_type = t;
            }
            _ => {
                if !lexer::is_metric_name_chars(text) {
                    return Err(self.err(text_start, ParseErrorKind::InvalidUnit(text.to_owned())));
                }
            }
        }

        let same_family = self.families.last().is_some_and(|f| f.name == name);
        if same_family {
            let family = self.families.last().map(|f| f.name.to_string()).unwrap_or_default();
            if self.families.last().is_some_and(|f| !f.samples.is_empty()) {
                let kind = ParseErrorKind::MetadataAfterSamples { keyword, family };
                return Err(self.err(start, kind));
            }
            let state = self.state.as_ref().expect("a family has state");
            let repeated = match keyword {
                "HELP" => state.has_help,
                "TYPE" => state.has_type,
                _ => state.has_unit,
            };
            if repeated {
                return Err(self.err(start, ParseErrorKind::DuplicateMetadata { keyword, family }));
            }
        } else {
            self.start_family(name, MetricType::Unknown)?;
        }

        let family = self.families.last_mut().expect("started");
        let state = self.state.as_mut().expect("started");
        match keyword {
            "HELP" => {
                family.help = Some(help);
                state.has_help = true;
            }
            "TYPE" => {
                family.metric_type = metric_type;
                state.has_type = true;
            }
            _ => {
                family.unit = (!text.is_empty()).then_some(Cow::Borrowed(text));
                state.has_unit = true;
            }
        }
        Ok(())
    }

    /// A label set whose `{` is just before `pos`, OpenMetrics style: no blanks, no trailing
    /// comma. Gives the position after its `}`.
    fn labels(
        &self,
        mut pos: usize,
        end: usize,
        labels: &mut Vec<Label<'a>>,
    ) -> Result<usize, ParseError> {
        let src = self.src;
        let b = src.as_bytes();
        if pos < end && b[pos] == b'}' {
            return Ok(pos + 1);
        }
        loop {
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
            if name_end >= end || b[name_end] != b'=' {
                return Err(self.err(name_end, ParseErrorKind::ExpectedEquals));
            }
            if name_end + 1 >= end || b[name_end + 1] != b'"' {
                return Err(self.err(name_end + 1, ParseErrorKind::ExpectedQuote));
            }
            let (value, after) = lexer::label_value(src, name_end + 2, end, Escapes::Lenient)
                .map_err(|e| self.lex_err(e))?;
            labels.push(Label { name: Cow::Borrowed(name), value });
            match b.get(after) {
                Some(b',') if after < end => pos = after + 1,
                Some(b'}') if after < end => return Ok(after + 1),
                _ => return Err(self.err(after, ParseErrorKind::ExpectedCommaOrBrace)),
            }
        }
    }

    /// A number token from `pos` to the next space or the end of the line.
    fn number_token(&self, pos: usize, end: usize) -> Result<(f64, usize), ParseError> {
        let tok_end = lexer::space_end(self.src.as_bytes(), pos, end);
        let tok = &self.src[pos..tok_end];
        let value = lexer::number(tok)
            .ok_or_else(|| self.err(pos, ParseErrorKind::InvalidNumber(tok.to_owned())))?;
        Ok((value, tok_end))
    }

    /// A timestamp token from `pos` to the next space or the end of the line.
    fn timestamp_token(
        &self,
        pos: usize,
        end: usize,
    ) -> Result<(super::model::Timestamp, usize), ParseError> {
        let tok_end = lexer::space_end(self.src.as_bytes(), pos, end);
        let ts = lexer::seconds_timestamp(&self.src[pos..tok_end]).map_err(|k| self.err(pos, k))?;
        Ok((ts, tok_end))
    }

    /// `SP` at `pos`, and something after it.
    fn expect_space(&self, pos: usize, end: usize) -> Result<usize, ParseError> {
        let b = self.src.as_bytes();
        if pos < end && b[pos] == b' ' {
            Ok(pos + 1)
        } else {
            Err(self.err(pos, ParseErrorKind::ExpectedSpace))
        }
    }

    fn sample_line(&self, start: usize, end: usize) -> Result<SampleLine<'a>, ParseError> {
        let src = self.src;
        let b = src.as_bytes();
        // Most samples start with their family's name: compare those bytes at once.
        let name_end = match self.families.last() {
            Some(f) if b[start..end].starts_with(f.name.as_bytes()) => {
                lexer::metric_name_rest(b, start + f.name.len(), end)
            }
            _ => lexer::metric_name_end(b, start, end),
        };
        if name_end == start {
            return Err(self.err(start, ParseErrorKind::ExpectedMetricName));
        }
        let mut pos = name_end;
        let mut labels = Vec::new();
        if pos < end && b[pos] == b'{' {
            pos = self.labels(pos + 1, end, &mut labels)?;
        }
        pos = self.expect_space(pos, end)?;
        let value_at = pos;
        let (value, mut pos) = self.number_token(pos, end)?;
        let mut timestamp = None;
        let mut exemplar = None;
        if pos < end {
            pos += 1; // The space that ended the value.
            if b[pos..end].first() != Some(&b'#') {
                let (ts, after) = self.timestamp_token(pos, end)?;
                timestamp = Some(ts);
                pos = after;
                if pos < end {
                    pos = self.expect_space(pos, end)?;
                    if pos == end {
                        return Err(self.err(pos - 1, ParseErrorKind::TrailingText(" ".into())));
                    }
                }
            }
            if pos < end {
                exemplar = Some(Box::new(self.exemplar(pos, end)?));
            }
        }
        Ok(SampleLine { name: &src[start..name_end], labels, value, value_at, timestamp, exemplar })
    }

    /// An exemplar starting at its `#`.
    fn exemplar(&self, pos: usize, end: usize) -> Result<Exemplar<'a>, ParseError> {
        let b = self.src.as_bytes();
        if !b[pos..end].starts_with(b"# {") {
            return Err(self.err(pos, ParseErrorKind::TrailingText(self.src[pos..end].to_owned())));
        }
        let mut labels = Vec::new();
        let after = self.labels(pos + 3, end, &mut labels)?;
        let chars: usize =
            labels.iter().map(|l| l.name.chars().count() + l.value.chars().count()).sum();
        if chars > EXEMPLAR_MAX_CHARS {
            return Err(self.err(pos + 2, ParseErrorKind::ExemplarTooLong(chars)));
        }
        let value_at = self.expect_space(after, end)?;
        let (value, mut p) = self.number_token(value_at, end)?;
        let mut timestamp = None;
        if p < end {
            p += 1;
            let (ts, after) = self.timestamp_token(p, end)?;
            if after < end {
                let rest = self.src[after..end].to_owned();
                return Err(self.err(after, ParseErrorKind::TrailingText(rest)));
            }
            timestamp = Some(ts);
        }
        Ok(Exemplar { labels, value, timestamp })
    }

    fn sample(&mut self, start: usize, end: usize) -> Result<(), ParseError> {
        let line = self.sample_line(start, end)?;
        let kind = match self.families.last() {
            Some(f) => sample_kind(f.metric_type, &f.name, line.name),
            None => None,
        };
        let kind = match kind {
            Some(kind) => kind,
            None => {
                self.start_family(line.name, MetricType::Unknown)?;
                SampleKind::Value
            }
        };
        // Lenient: a sample breaking a rule is kept, and the problem noted.
        let checked = self.check_sample(&line, kind, start);
        self.tolerate(checked)?;
        let grouped = self.group(&line, kind, start);
        self.tolerate(grouped)?;
        let family = self.families.last_mut().expect("a family");
        let state = self.state.as_mut().expect("a family");
        state.sample_lines.push(self.at);
        family.samples.push(Sample {
            name: Cow::Borrowed(line.name),
            kind,
            labels: line.labels,
            value: line.value,
            timestamp: line.timestamp,
            exemplar: line.exemplar,
        });
        Ok(())
    }

    /// The rules one sample must meet on its own.
    fn check_sample(
        &self,
        line: &SampleLine<'a>,
        kind: SampleKind,
        start: usize,
    ) -> Result<(), ParseError> {
        let family = self.families.last().expect("a family");
        let metric_type = family.metric_type;
        let label = |name: &str| line.labels.iter().find(|l| l.name == name).map(|l| &*l.value);
        let v = line.value;
        let bad_value = |rule| Err(self.err(line.value_at, ParseErrorKind::InvalidValue(rule)));

        if metric_type == MetricType::StateSet && label(&family.name).is_none() {
            return Err(self.err(start, ParseErrorKind::MissingStateLabel(family.name.to_string())));
        }
        if kind == SampleKind::Bucket {
            let le = label("le");
            if le.and_then(canonical_bound).is_none() {
                return Err(self.err(start, ParseErrorKind::InvalidLe(le.map(str::to_owned))));
            }
        }
        if metric_type == MetricType::Summary && kind == SampleKind::Value {
            let q = label("quantile");
            let ok = q.and_then(canonical_bound).is_some_and(|q| (0.0..=1.0).contains(&q));
            if !ok {
                return Err(self.err(start, ParseErrorKind::InvalidQuantile(q.map(str::to_owned))));
            }
        }
        if matches!(kind, SampleKind::Bucket | SampleKind::Count | SampleKind::GCount)
            && !(v.is_finite() && v.fract() == 0.0)
        {
            return bad_value("bucket and count values must be integers");
        }
        if metric_type == MetricType::StateSet && v != 0.0 && v != 1.0 {
            return bad_value("stateset values must be 0 or 1");
        }
        if metric_type == MetricType::Info && v != 1.0 {
            return bad_value("info values must be 1");
        }
        if metric_type == MetricType::Summary && kind == SampleKind::Value && v < 0.0 {
            return bad_value("quantile values cannot be negative");
        }
        let counter_like = matches!(
            kind,
            SampleKind::Total
                | SampleKind::Sum
                | SampleKind::Count
                | SampleKind::Bucket
                | SampleKind::GCount
                | SampleKind::GSum
        );
        if counter_like && v.is_nan() {
            return bad_value("counter-like samples cannot be NaN");
        }
        if counter_like && kind != SampleKind::GSum && v < 0.0 {
            return bad_value("counter-like samples cannot be negative");
        }
        if line.exemplar.is_some() {
            let allowed = match metric_type {
                MetricType::Histogram | MetricType::GaugeHistogram => kind == SampleKind::Bucket,
                MetricType::Counter => kind == SampleKind::Total,
                _ => false,
            };
            if !allowed {
                return Err(self.err(start, ParseErrorKind::ExemplarNotAllowed));
            }
        }
        Ok(())
    }

    /// Label sets stay together, and their timestamps are all there or all absent and never go
    /// backwards.
    fn group(
        &mut self,
        line: &SampleLine<'a>,
        kind: SampleKind,
        start: usize,
    ) -> Result<(), ParseError> {
        let family = self.families.last().expect("a family");
        let state = self.state.as_ref().expect("a family");
        let metric_type = family.metric_type;
        let is_info = metric_type == MetricType::Info;
        let excluded = group_exclusion(metric_type, &family.name, kind);
        let index = family.samples.len();
        let same = |i: usize| {
            let other = &family.samples[i];
            let other_excluded = group_exclusion(metric_type, &family.name, other.kind);
            is_info || same_labels(&line.labels, excluded, &other.labels, other_excluded)
        };
        let new_group = match state.group {
            Some((i, group_ts)) if same(i) => {
                if line.timestamp.is_some() != group_ts.is_some() {
                    return Err(self.err(start, ParseErrorKind::MixedTimestamps));
                }
                if !is_info && group_ts > line.timestamp {
                    return Err(self.err(start, ParseErrorKind::TimestampsBackwards));
                }
                None
            }
            _ => {
                let hash = if is_info { 0 } else { labels_hash(&line.labels, excluded) };
                if state.seen_groups.get(&hash).is_some_and(|seen| seen.iter().any(|&i| same(i))) {
                    return Err(self.err(start, ParseErrorKind::InvalidGrouping));
                }
                Some(hash)
            }
        };
        let state = self.state.as_mut().expect("a family");
        match new_group {
            Some(hash) => {
                state.seen_groups.entry(hash).or_default().push(index);
                state.group = Some((index, line.timestamp));
            }
            None => {
                if let Some((_, ts)) = &mut state.group {
                    *ts = line.timestamp;
                }
            }
        }
        Ok(())
    }

    /// The rules checked once a family is complete.
    fn finish_family(&mut self) -> Result<(), ParseError> {
        let Some(mut state) = self.state.take() else {
            return Ok(());
        };
        let result = self.check_family(&state);
        // Keep the buffers for the next family: allocating them anew was a tenth of the time.
        state.sample_lines.clear();
        state.seen_groups.clear();
        self.spare = Some(state);
        result
    }

    fn check_family(&mut self, state: &FamilyState) -> Result<(), ParseError> {
        let family = self.families.last().expect("state belongs to a family");
        let name = &*family.name;
        let suffixes: &[&str] = match family.metric_type {
            MetricType::Counter => &["_total", "_created"],
            MetricType::Summary => &["_count", "_sum", "_created"],
            MetricType::Histogram => &["_count", "_sum", "_bucket", "_created"],
            MetricType::GaugeHistogram => &["_gcount", "_gsum", "_bucket"],
            MetricType::Info => &["_info"],
            _ => &[],
        };
        for suffix in std::iter::once(&"").chain(suffixes) {
            let used = format!("{name}{suffix}");
            if !self.seen_names.insert(used.clone()) {
                return Err(self.err_at(state.at, ParseErrorKind::ClashingName(used)));
            }
        }
        if let Some(unit) = &family.unit {
            if matches!(family.metric_type, MetricType::Info | MetricType::StateSet) {
                return Err(
                    self.err_at(state.at, ParseErrorKind::UnitNotAllowed(family.metric_type))
                );
            }
            if !name.strip_suffix(&**unit).is_some_and(|rest| rest.ends_with('_')) {
                let kind = ParseErrorKind::UnitNotSuffix {
                    unit: unit.to_string(),
                    family: name.to_owned(),
                };
                return Err(self.err_at(state.at, kind));
            }
        }
        if matches!(family.metric_type, MetricType::Histogram | MetricType::GaugeHistogram) {
            check_histogram(family, &state.sample_lines).map_err(|(at, rule)| {
                self.err_at(at, ParseErrorKind::Histogram { family: name.to_owned(), rule })
            })?;
        }
        Ok(())
    }
}

/// Which sample of a family of `metric_type` named `family` a sample named `name` is, `None`
/// if it is not one of that family's.
fn sample_kind(metric_type: MetricType, family: &str, name: &str) -> Option<SampleKind> {
    let suffix = name.strip_prefix(family)?;
    let kind = match (metric_type, suffix) {
        (
            MetricType::Gauge | MetricType::StateSet | MetricType::Unknown | MetricType::Summary,
            "",
        ) => SampleKind::Value,
        (MetricType::Counter, "_total") => SampleKind::Total,
        (MetricType::Counter | MetricType::Summary | MetricType::Histogram, "_created") => {
            SampleKind::Created
        }
        (MetricType::Summary | MetricType::Histogram, "_count") => SampleKind::Count,
        (MetricType::Summary | MetricType::Histogram, "_sum") => SampleKind::Sum,
        (MetricType::Histogram | MetricType::GaugeHistogram, "_bucket") => SampleKind::Bucket,
        (MetricType::GaugeHistogram, "_gcount") => SampleKind::GCount,
        (MetricType::GaugeHistogram, "_gsum") => SampleKind::GSum,
        (MetricType::Info, "_info") => SampleKind::Info,
        _ => return None,
    };
    Some(kind)
}

/// The label that does not count towards a sample's label set: `quantile` of a summary
/// quantile, `le` of a bucket, the state label of a stateset.
fn group_exclusion(metric_type: MetricType, family: &str, kind: SampleKind) -> Option<&str> {
    match (metric_type, kind) {
        (MetricType::Summary, SampleKind::Value) => Some("quantile"),
        (_, SampleKind::Bucket) => Some("le"),
        (MetricType::StateSet, _) => Some(family),
        _ => None,
    }
}

/// Whether two label lists, less one excluded label each, are the same set.
fn same_labels(
    a: &[Label<'_>],
    a_excl: Option<&str>,
    b: &[Label<'_>],
    b_excl: Option<&str>,
) -> bool {
    let kept = |l: &&Label<'_>, excl: Option<&str>| excl != Some(&*l.name);
    let a_len = a.iter().filter(|l| kept(l, a_excl)).count();
    let b_len = b.iter().filter(|l| kept(l, b_excl)).count();
    a_len == b_len
        && a.iter()
            .filter(|l| kept(l, a_excl))
            .all(|l| b.iter().any(|m| kept(&m, b_excl) && m.name == l.name && m.value == l.value))
}

/// A hash of a label set that does not depend on label order.
fn labels_hash(labels: &[Label<'_>], excl: Option<&str>) -> u64 {
    labels
        .iter()
        .filter(|l| excl != Some(&*l.name))
        .map(|l| {
            let mut h = FastHasher::default();
            (&*l.name, &*l.value).hash(&mut h);
            h.finish()
        })
        .fold(0u64, u64::wrapping_add)
}

/// An `le` or `quantile` value: a number, not NaN, infinities spelled `+Inf`/`-Inf`.
fn canonical_bound(text: &str) -> Option<f64> {
    let v = lexer::number(text)?;
    if v.is_nan() || (v.is_infinite() && text != "+Inf" && text != "-Inf") {
        return None;
    }
    Some(v)
}

/// The histogram rules, checked per label set and timestamp. Gives the line of the sample where
/// a rule broke.
fn check_histogram(
    family: &MetricFamily<'_>,
    lines: &[LinePos],
) -> Result<(), (LinePos, &'static str)> {
    #[derive(Default)]
    struct Group {
        count: Option<f64>,
        bucket: Option<f64>,
        value: f64,
        negative_buckets: bool,
        has_sum: bool,
        has_gsum: bool,
        negative_gsum: bool,
    }
    fn check(g: &Group) -> Result<(), &'static str> {
        if g.bucket != Some(f64::INFINITY) {
            return Err("+Inf bucket missing");
        }
        if g.count.is_some_and(|c| c != g.value) {
            return Err("count does not match the +Inf bucket");
        }
        if g.has_sum && g.count.is_none() {
            return Err("_sum without _count");
        }
        if g.has_gsum && g.count.is_none() {
            return Err("_gsum without _gcount");
        }
        if !(g.has_sum || g.has_gsum) && g.count.is_some() {
            return Err("_count or _gcount without _sum or _gsum");
        }
        if g.negative_buckets && g.has_sum {
            return Err("_sum with negative buckets");
        }
        if !g.negative_buckets && g.negative_gsum {
            return Err("negative _gsum without negative buckets");
        }
        Ok(())
    }

    let mut current: Option<(usize, Group)> = None;
    for (i, s) in family.samples.iter().enumerate() {
        let excl = (s.kind == SampleKind::Bucket).then_some("le");
        let same = current.as_ref().is_some_and(|&(j, _)| {
            let p = &family.samples[j];
            let p_excl = (p.kind == SampleKind::Bucket).then_some("le");
            p.timestamp == s.timestamp && same_labels(&s.labels, excl, &p.labels, p_excl)
        });
        if !same {
            if let Some((_, g)) = current.take() {
                check(&g).map_err(|rule| (lines[i - 1], rule))?;
            }
            current = Some((i, Group::default()));
        }
        let Some((_, g)) = current.as_mut() else { continue };
        match s.kind {
            SampleKind::Bucket => {
                let bound = s.label("le").and_then(canonical_bound).unwrap_or(f64::NAN);
                if bound < 0.0 {
                    g.negative_buckets = true;
                }
                if g.bucket.is_some_and(|b| bound <= b) {
                    return Err((lines[i], "buckets out of order"));
                }
                if s.value < g.value {
                    return Err((lines[i], "bucket counts decrease"));
                }
                g.bucket = Some(bound);
                g.value = s.value;
            }
            SampleKind::Count | SampleKind::GCount => g.count = Some(s.value),
            SampleKind::Sum => g.has_sum = true,
            SampleKind::GSum => {
                g.has_gsum = true;
                g.negative_gsum |= s.value < 0.0;
            }
            _ => {}
        }
    }
    if let Some((_, g)) = current {
        let last = lines.len() - 1;
        check(&g).map_err(|rule| (lines[last], rule))?;
    }
    Ok(())
}
