//! What an exposition says, as written: metric families, their metadata and their samples.
//!
//! The model is shared by both text formats. Strings borrow from the parsed input where they
//! can (names always, label values and HELP unless they held escapes), so parsing allocates
//! little; [`MetricSet::into_owned`] detaches a set from its input.

use std::borrow::Cow;
use std::fmt;

/// The bit pattern Prometheus uses for a staleness marker: a NaN no exposition can carry.
///
/// Text says only `NaN`, which parses to [`f64::NAN`]; a sample value with these bits comes
/// from elsewhere (a scraper marking a vanished series, remote write) and is kept bit for bit.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// A stale NaN as an `f64`.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// The type of a metric family (`# TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// `counter`: samples `<name>_total` and `<name>_created` (OpenMetrics), or `<name>` (text 0.0.4).
    Counter,
    /// `gauge`.
    Gauge,
    /// `histogram`: `_bucket{le}`, `_count`, `_sum`, `_created`.
    Histogram,
    /// `gaugehistogram` (OpenMetrics only): `_bucket{le}`, `_gcount`, `_gsum`.
    GaugeHistogram,
    /// `summary`: `<name>{quantile}`, `_count`, `_sum`, `_created`.
    Summary,
    /// `info` (OpenMetrics only): `<name>_info` with value 1.
    Info,
    /// `stateset` (OpenMetrics only): `<name>{<name>="state"}` with value 0 or 1.
    StateSet,
    /// `unknown` (OpenMetrics), `untyped` (text 0.0.4), or no `# TYPE` line.
    Unknown,
}

impl MetricType {
    /// The OpenMetrics spelling (`unknown` for [`MetricType::Unknown`]).
    pub fn openmetrics_name(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }

    /// The text 0.0.4 spelling, `None` for the types that format does not have.
    pub fn text_name(self) -> Option<&'static str> {
        match self {
            MetricType::Counter => Some("counter"),
            MetricType::Gauge => Some("gauge"),
            MetricType::Histogram => Some("histogram"),
            MetricType::Summary => Some("summary"),
            MetricType::Unknown => Some("untyped"),
            MetricType::GaugeHistogram | MetricType::Info | MetricType::StateSet => None,
        }
    }

    /// Reads an OpenMetrics type name (exact, lower case; `untyped` is not one).
    pub fn from_openmetrics_name(name: &str) -> Option<Self> {
        Some(match name {
            "counter" => MetricType::Counter,
            "gauge" => MetricType::Gauge,
            "histogram" => MetricType::Histogram,
            "gaugehistogram" => MetricType::GaugeHistogram,
            "summary" => MetricType::Summary,
            "info" => MetricType::Info,
            "stateset" => MetricType::StateSet,
            "unknown" => MetricType::Unknown,
            _ => return None,
        })
    }

    /// Reads a text 0.0.4 type name (any case, as Prometheus reads it).
    pub fn from_text_name(name: &str) -> Option<Self> {
        const NAMES: [(&str, MetricType); 5] = [
            ("counter", MetricType::Counter),
            ("gauge", MetricType::Gauge),
            ("histogram", MetricType::Histogram),
            ("summary", MetricType::Summary),
            ("untyped", MetricType::Unknown),
        ];
        NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, t)| *t)
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.openmetrics_name())
    }
}

/// Which sample of its family a sample is: the suffix its name has after the family name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleKind {
    /// No suffix: gauge, unknown, stateset, a summary quantile, a text 0.0.4 counter.
    Value,
    /// `_total` of an OpenMetrics counter.
    Total,
    /// `_created` of a counter, histogram or summary (OpenMetrics).
    Created,
    /// `_bucket` of a histogram or gauge histogram.
    Bucket,
    /// `_count` of a histogram or summary.
    Count,
    /// `_sum` of a histogram or summary.
    Sum,
    /// `_gcount` of a gauge histogram.
    GCount,
    /// `_gsum` of a gauge histogram.
    GSum,
    /// `_info` of an info metric.
    Info,
}

impl SampleKind {
    /// The name suffix (`""` for [`SampleKind::Value`]).
    pub fn suffix(self) -> &'static str {
        match self {
            SampleKind::Value => "",
            SampleKind::Total => "_total",
            SampleKind::Created => "_created",
            SampleKind::Bucket => "_bucket",
            SampleKind::Count => "_count",
            SampleKind::Sum => "_sum",
            SampleKind::GCount => "_gcount",
            SampleKind::GSum => "_gsum",
            SampleKind::Info => "_info",
        }
    }
}

/// A label: name and unescaped value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label<'a> {
    /// Label name, `[a-zA-Z_][a-zA-Z0-9_]*`.
    pub name: Cow<'a, str>,
    /// Label value, unescaped.
    pub value: Cow<'a, str>,
}

impl<'a> Label<'a> {
    /// A label from two strings.
    pub fn new(name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> Self {
        Label { name: name.into(), value: value.into() }
    }

    fn into_owned(self) -> Label<'static> {
        Label {
            name: Cow::Owned(self.name.into_owned()),
            value: Cow::Owned(self.value.into_owned()),
        }
    }
}

/// A point in time, in nanoseconds since the Unix epoch.
///
/// Text 0.0.4 timestamps are integer milliseconds; OpenMetrics timestamps are decimal seconds
/// (read exactly to the nanosecond, digits beyond dropped). `i128` holds every timestamp either
/// format can write, including OpenMetrics' far-future ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    // The i128 as two words, high (signed) first so that the derived order is the number's:
    // an `i128` field would make samples 16-byte aligned, and their vectors take mimalloc's
    // slower aligned path.
    high: i64,
    low: u64,
}

impl Timestamp {
    /// From nanoseconds since the epoch.
    pub const fn from_unix_nanos(nanos: i128) -> Self {
        Timestamp { high: (nanos >> 64) as i64, low: nanos as u64 }
    }

    /// From milliseconds since the epoch.
    pub const fn from_unix_millis(millis: i64) -> Self {
        Timestamp::from_unix_nanos(millis as i128 * 1_000_000)
    }

    /// Nanoseconds since the epoch.
    pub const fn unix_nanos(self) -> i128 {
        ((self.high as i128) << 64) | self.low as i128
    }

    /// Milliseconds since the epoch, rounded down.
    pub const fn unix_millis(self) -> i128 {
        self.unix_nanos().div_euclid(1_000_000)
    }
}

/// An exemplar attached to a counter's `_total` or a histogram bucket (OpenMetrics only).
#[derive(Debug, Clone)]
pub struct Exemplar<'a> {
    /// The exemplar's labels (often `trace_id`, `span_id`), unescaped.
    pub labels: Vec<Label<'a>>,
    /// The observed value.
    pub value: f64,
    /// When it was observed, if the exposition says.
    pub timestamp: Option<Timestamp>,
}

impl PartialEq for Exemplar<'_> {
    /// Values compare bit for bit, so NaN equals the same NaN.
    fn eq(&self, other: &Self) -> bool {
        self.labels == other.labels
            && self.value.to_bits() == other.value.to_bits()
            && self.timestamp == other.timestamp
    }
}

impl Exemplar<'_> {
    fn into_owned(self) -> Exemplar<'static> {
        Exemplar {
            labels: self.labels.into_iter().map(Label::into_owned).collect(),
            value: self.value,
            timestamp: self.timestamp,
        }
    }
}

/// One sample line.
#[derive(Debug, Clone)]
pub struct Sample<'a> {
    /// The full sample name (`http_requests_total`, `latency_seconds_bucket`).
    pub name: Cow<'a, str>,
    /// Which part of its family it is (the name's suffix after the family name).
    pub kind: SampleKind,
    /// Labels in input order, values unescaped. Includes `le` and `quantile`.
    pub labels: Vec<Label<'a>>,
    /// The value, bit for bit (`NaN`, `±Inf`, and [`STALE_NAN_BITS`] when set by a scraper).
    pub value: f64,
    /// The sample's own timestamp, if it has one.
    pub timestamp: Option<Timestamp>,
    /// The exemplar, if any.
    pub exemplar: Option<Box<Exemplar<'a>>>,
}

impl PartialEq for Sample<'_> {
    /// Values compare bit for bit, so NaN equals the same NaN.
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.kind == other.kind
            && self.labels == other.labels
            && self.value.to_bits() == other.value.to_bits()
            && self.timestamp == other.timestamp
            && self.exemplar == other.exemplar
    }
}

impl<'a> Sample<'a> {
    /// The value of the label `name`, if the sample has it.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|l| l.name == name).map(|l| &*l.value)
    }

    /// Whether the value is a staleness marker ([`STALE_NAN_BITS`]).
    pub fn is_stale(&self) -> bool {
        self.value.to_bits() == STALE_NAN_BITS
    }

    fn into_owned(self) -> Sample<'static> {
        Sample {
            name: Cow::Owned(self.name.into_owned()),
            kind: self.kind,
            labels: self.labels.into_iter().map(Label::into_owned).collect(),
            value: self.value,
            timestamp: self.timestamp,
            exemplar: self.exemplar.map(|e| Box::new(e.into_owned())),
        }
    }
}

/// A metric family: one name, its metadata, and its samples in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFamily<'a> {
    /// The family name (for an OpenMetrics counter `foo`, the samples are `foo_total`...).
    pub name: Cow<'a, str>,
    /// From `# TYPE`, [`MetricType::Unknown`] without one.
    pub metric_type: MetricType,
    /// From `# HELP`, unescaped; `Some("")` for an empty HELP line.
    pub help: Option<Cow<'a, str>>,
    /// From `# UNIT` (OpenMetrics); an empty UNIT line reads as `None`.
    pub unit: Option<Cow<'a, str>>,
    /// The samples, in input order. A family may have none (metadata only).
    pub samples: Vec<Sample<'a>>,
}

impl<'a> MetricFamily<'a> {
    /// A family with no metadata and no samples.
    pub fn new(name: impl Into<Cow<'a, str>>, metric_type: MetricType) -> Self {
        MetricFamily { name: name.into(), metric_type, help: None, unit: None, samples: Vec::new() }
    }

    fn into_owned(self) -> MetricFamily<'static> {
        MetricFamily {
            name: Cow::Owned(self.name.into_owned()),
            metric_type: self.metric_type,
            help: self.help.map(|h| Cow::Owned(h.into_owned())),
            unit: self.unit.map(|u| Cow::Owned(u.into_owned())),
            samples: self.samples.into_iter().map(Sample::into_owned).collect(),
        }
    }
}

/// Everything one exposition held: its families in input order.
///
/// In text 0.0.4 a family's samples may be spread over the input (Prometheus accepts that);
/// they are gathered into the family where it first appeared. In OpenMetrics they cannot be.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricSet<'a> {
    /// The families, in the order they first appear.
    pub families: Vec<MetricFamily<'a>>,
}

impl<'a> MetricSet<'a> {
    /// Number of samples in all families.
    pub fn sample_count(&self) -> usize {
        self.families.iter().map(|f| f.samples.len()).sum()
    }

    /// The first family named `name`.
    pub fn family(&self, name: &str) -> Option<&MetricFamily<'a>> {
        self.families.iter().find(|f| f.name == name)
    }

    /// The same set, owning all its strings.
    pub fn into_owned(self) -> MetricSet<'static> {
        MetricSet { families: self.families.into_iter().map(MetricFamily::into_owned).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn timestamps_keep_value_and_order() {
        let values =
            [i128::MIN / 2, -1_100_000_000, -1, 0, 1, 1 << 64, (1 << 64) + 5, i128::MAX / 2];
        for (i, &a) in values.iter().enumerate() {
            assert_eq!(Timestamp::from_unix_nanos(a).unix_nanos(), a);
            for &b in &values[i + 1..] {
                assert!(Timestamp::from_unix_nanos(a) < Timestamp::from_unix_nanos(b), "{a} < {b}");
            }
        }
        assert_eq!(Timestamp::from_unix_millis(-5).unix_millis(), -5);
        assert_eq!(Timestamp::from_unix_nanos(-1).unix_millis(), -1);
    }
}
