//! Prometheus and OpenMetrics text expositions: a parser for each format into one typed model.
//!
//! - [`parse_text`]: Prometheus text format 0.0.4, read as Prometheus itself reads it.
//! - [`parse_openmetrics`]: OpenMetrics 1.0, every rule of the specification that its
//!   conformance suite checks (all 211 verdicts right).
//! - [`write_text`], [`write_openmetrics`], [`write`]: the model back to text (one TYPE/HELP
//!   per family name, escaping, values that read back bit for bit).
//! - [`parse`]: either, by [`ExpositionFormat`]; [`ExpositionFormat::from_content_type`] picks
//!   it from a scrape response, [`SCRAPE_ACCEPT`] is what a scrape asks for.
//!
//! Parsing is pure (bytes in, [`MetricSet`] out). The strict functions stop at the first problem
//! with a [`ParseError`] giving line and column; the lenient ones ([`parse_lenient`]) skip lines
//! they cannot read, keep samples that break a semantic rule, read bytes that are not UTF-8 as
//! U+FFFD, and list every problem. The model keeps what the text says: family names,
//! types, HELP and UNIT, every sample with its unescaped labels, its value bit for bit (NaN,
//! ±Inf), timestamp and exemplar. See `docs/mappings/prometheus-parser.md` for the rules.

mod error;
mod lexer;
mod model;
mod negotiation;
mod openmetrics;
mod text;
pub mod to_otlp;
mod writer;

pub use error::{ParseError, ParseErrorKind};
pub use model::{
    stale_nan, Exemplar, Label, MetricFamily, MetricSet, MetricType, Sample, SampleKind, Timestamp,
    STALE_NAN_BITS,
};
pub use negotiation::{ExpositionFormat, SCRAPE_ACCEPT};
pub use openmetrics::{parse_openmetrics, parse_openmetrics_lenient};
pub use text::{parse_text, parse_text_lenient};
pub use writer::{write, write_openmetrics, write_text};

/// Parses `input` as `format`, stopping at the first problem.
pub fn parse(format: ExpositionFormat, input: &[u8]) -> Result<MetricSet<'_>, ParseError> {
    match format {
        ExpositionFormat::PrometheusText => parse_text(input),
        ExpositionFormat::OpenMetrics => parse_openmetrics(input),
    }
}

/// Parses `input` as `format`, keeping what can be kept ([`parse_text_lenient`],
/// [`parse_openmetrics_lenient`]): what a scraper uses, so that one bad sample costs that
/// sample and not the whole scrape.
pub fn parse_lenient(format: ExpositionFormat, input: &[u8]) -> Parsed<'_> {
    match format {
        ExpositionFormat::PrometheusText => parse_text_lenient(input),
        ExpositionFormat::OpenMetrics => parse_openmetrics_lenient(input),
    }
}

/// Runs a lenient parser on `input`. Bytes that are not UTF-8 do not cost the whole scrape:
/// they are read as U+FFFD, the first one is reported, and the result owns its strings.
fn lenient_utf8<'a>(
    input: &'a [u8],
    parse: impl for<'s> Fn(&'s str) -> Result<Parsed<'s>, ParseError>,
) -> Parsed<'a> {
    // A lenient parser notes every problem and goes on, so `parse` gives `Ok`; an `Err` would
    // still be reported, not lost.
    fn run<'s>(
        parse: &impl for<'x> Fn(&'x str) -> Result<Parsed<'x>, ParseError>,
        src: &'s str,
    ) -> Parsed<'s> {
        parse(src).unwrap_or_else(|e| Parsed { set: MetricSet::default(), problems: vec![e] })
    }
    match std::str::from_utf8(input) {
        Ok(src) => run(&parse, src),
        Err(e) => {
            let bad = ParseError::invalid_utf8(input, e.valid_up_to());
            let text = String::from_utf8_lossy(input);
            let parsed = run(&parse, &text);
            let mut problems = vec![bad];
            problems.extend(parsed.problems);
            Parsed { set: parsed.set.into_owned(), problems }
        }
    }
}

/// What a lenient parse read, and the problems it let through (in input order).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<'a> {
    /// Everything that could be read.
    pub set: MetricSet<'a>,
    /// Lines skipped and rules broken, each with its line and column. Empty when the input
    /// is valid.
    pub problems: Vec<ParseError>,
}
