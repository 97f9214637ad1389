//! A parsed exposition ([`MetricSet`]) as OTLP metrics, per the OpenTelemetry "Prometheus and
//! OpenMetrics Compatibility" specification (Prometheus → OTLP).
//!
//! - counter → monotonic cumulative Sum; gauge and unknown → Gauge; info and stateset →
//!   non-monotonic cumulative Sum; histogram → Histogram (bucket counts de-cumulated, `+Inf`
//!   kept as the last count, not as a bound); summary → Summary; gaugehistogram dropped.
//! - `_created` → start time (also text 0.0.4's `<base>_created` gauges, as client_python
//!   writes them); without one the start time stays 0 (unknown), never invented.
//! - Sample timestamp, else the scrape time; a stale NaN → flag `NoRecordedValue`.
//! - `# UNIT` → UCUM unit ([`ucum_unit`]), HELP → description, TYPE → metadata `prometheus.type`.
//! - Exemplars of counters and histogram buckets, `trace_id`/`span_id` labels → ids.
//! - `job`/`instance` of the scrape → `service.name` (+ `service.namespace` for `ns/name`),
//!   `service.instance.id`, `server.address`, `server.port`; `target_info` labels → resource
//!   (a label clashing with those is counted in `dropped_attributes_count`).
//! - `otel_scope_name`/`_version`/`_schema_url` labels → the point's scope, other `otel_scope_*`
//!   labels → scope attributes; `otel_scope_info` labels → attributes of the matching scope.
//!
//! Nothing is dropped silently: every sample left out is counted in [`Converted::dropped`]
//! with its family and the reason.

use std::collections::HashMap;

use super::model::{Exemplar as PromExemplar, MetricFamily, MetricSet, MetricType, Sample};
use super::model::{SampleKind, Timestamp};
use crate::ids::parse_hex_padded;
use crate::otlp::attributes;
use crate::otlp::metrics_model::{
    exemplar, metric, number_data_point, summary_data_point::ValueAtQuantile,
    AggregationTemporality, Exemplar, ExportMetricsServiceRequest, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint, FLAG_NO_RECORDED_VALUE,
};
use crate::otlp::model::{InstrumentationScope, KeyValue, Resource};

/// Scope name of metrics that carry no `otel_scope_name`/`otel_scope_version` label: the
/// spec wants the translating component named there.
pub const DEFAULT_SCOPE_NAME: &str = "otelbridge/prometheus";

/// Version given with [`DEFAULT_SCOPE_NAME`].
pub const DEFAULT_SCOPE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Prometheus unit words and their UCUM spellings (`# UNIT` ⇄ OTLP unit). `ratio` ⇄ `1` and
/// `a_per_b` ⇄ `a/b` are handled by [`ucum_unit`].
pub const UNIT_WORDS: &[(&str, &str)] = &[
    ("days", "d"),
    ("hours", "h"),
    ("minutes", "min"),
    ("seconds", "s"),
    ("milliseconds", "ms"),
    ("microseconds", "us"),
    ("nanoseconds", "ns"),
    ("bytes", "By"),
    ("kibibytes", "KiBy"),
    ("mebibytes", "MiBy"),
    ("gibibytes", "GiBy"),
    ("tebibytes", "TiBy"),
    ("kilobytes", "kBy"),
    ("megabytes", "MBy"),
    ("gigabytes", "GBy"),
    ("terabytes", "TBy"),
    ("meters", "m"),
    ("volts", "V"),
    ("amperes", "A"),
    ("joules", "J"),
    ("watts", "W"),
    ("grams", "g"),
    ("celsius", "Cel"),
    ("hertz", "Hz"),
    ("percent", "%"),
];

/// Singular time words after `_per_` (`bytes_per_second`).
const PER_UNIT_WORDS: &[(&str, &str)] = &[
    ("second", "s"),
    ("minute", "min"),
    ("hour", "h"),
    ("day", "d"),
    ("week", "wk"),
    ("month", "mo"),
    ("year", "a"),
];

/// What a scrape adds to what the exposition says.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScrapeContext<'a> {
    /// When the scrape happened, ns since the epoch: the time of samples without a timestamp.
    pub scrape_time_ns: u64,
    /// The scrape job (`service.name`, or `service.namespace/service.name`); empty: none.
    pub job: &'a str,
    /// The target, normally `host:port` (`service.instance.id`); empty: none.
    pub instance: &'a str,
}

/// Choices the spec leaves to configuration.
#[derive(Debug, Clone, Copy, Default)]
pub struct MappingOptions {
    /// Remove type suffixes (`_total`, `_info`) and the `# UNIT` suffix from metric names.
    /// Off by default: the spec says names SHOULD NOT be altered unless configured.
    pub trim_suffixes: bool,
}

/// The OTLP request and everything left out of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// One `ResourceMetrics` (the scraped target), its metrics grouped by scope. Empty when
    /// nothing could be mapped.
    pub request: ExportMetricsServiceRequest,
    /// Samples not mapped, grouped by family and reason, in input order.
    pub dropped: Vec<Dropped>,
}

impl Converted {
    /// Number of samples left out.
    pub fn dropped_samples(&self) -> usize {
        self.dropped.iter().map(|d| d.samples).sum()
    }
}

/// Samples of one family left out for one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The family name.
    pub family: String,
    /// How many samples.
    pub samples: usize,
    /// Why.
    pub reason: DropReason,
}

/// Why samples were left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DropReason {
    /// The spec drops gauge histograms (OTLP has no such type).
    #[error("gaugehistogram families are dropped (no OTLP equivalent)")]
    GaugeHistogram,
    /// A histogram series without `_count` (the spec drops it).
    #[error("histogram series without a _count sample")]
    HistogramWithoutCount,
    /// A summary series without `_count` (the spec drops it).
    #[error("summary series without a _count sample")]
    SummaryWithoutCount,
    /// A `_bucket` sample without a numeric `le` label (the whole series goes).
    #[error("bucket without a numeric le label")]
    BadBucketBound,
    /// Bucket values that are not whole, non-negative, non-decreasing counts ending at `_count`.
    #[error("bucket values are not non-negative whole counts, non-decreasing, ending at _count")]
    BadBucketCounts,
    /// A `_count` that is not a whole non-negative number.
    #[error("_count is not a non-negative whole number")]
    BadCount,
    /// A summary sample without a numeric `quantile` label.
    #[error("summary sample without a numeric quantile label")]
    BadQuantile,
    /// A timestamp before 1970 or after 2554 (OTLP times are unsigned 64-bit ns).
    #[error("timestamp outside what OTLP can carry")]
    TimestampOutOfRange,
    /// A `_created` value that is not a time (NaN, negative, too large): the start stays unknown.
    #[error("_created is not a valid time")]
    BadCreated,
    /// A sample of a kind its family's type has no place for.
    #[error("sample kind has no place in its family's type")]
    UnexpectedSample,
}

/// Maps `set` to OTLP with the default [`MappingOptions`].
pub fn exposition_to_otlp(set: &MetricSet<'_>, scrape: ScrapeContext<'_>) -> Converted {
    exposition_to_otlp_with(set, scrape, MappingOptions::default())
}

/// Maps `set` to OTLP.
pub fn exposition_to_otlp_with(
    set: &MetricSet<'_>,
    scrape: ScrapeContext<'_>,
    options: MappingOptions,
) -> Converted {
    let mut b = Builder { scrape, options, ..Builder::default() };
    let mut resource = scrape_resource(scrape);
    let mut resource_dropped = 0u32;
    let mut scope_info: Vec<(String, String, Vec<KeyValue>)> = Vec::new();
    let created = created_families(set);
    for (i, family) in set.families.iter().enumerate() {
        if created.iter().any(|&(_, c)| c == i) {
            // Consumed as the start times of the family it belongs to.
        } else if let Some(&(_, c)) = created.iter().find(|&&(f, _)| f == i) {
            let mut merged = family.clone();
            merged.samples.extend(set.families[c].samples.iter().map(|s| {
                let mut s = s.clone();
                s.kind = SampleKind::Created;
                s
            }));
            b.family(&merged);
        } else if is_info_named(family, "target") {
            for sample in &family.samples {
                for label in &sample.labels {
                    match attributes::get_str(&resource, &label.name) {
                        None => resource.push(attributes::string(&*label.name, &*label.value)),
                        Some(v) if v == label.value => {}
                        // The scrape's own `service.*` win; what lost is counted, not hidden.
                        Some(_) => resource_dropped += 1,
                    }
                }
            }
        } else if is_info_named(family, "otel_scope") {
            for sample in &family.samples {
                let (name, version) = (label(sample, SCOPE_NAME), label(sample, SCOPE_VERSION));
                let attrs = sample
                    .labels
                    .iter()
                    .filter(|l| l.name != SCOPE_NAME && l.name != SCOPE_VERSION)
                    .map(|l| attributes::string(&*l.name, &*l.value))
                    .collect();
                scope_info.push((name.to_string(), version.to_string(), attrs));
            }
        } else {
            b.family(family);
        }
    }
    b.finish(
        Resource { attributes: resource, dropped_attributes_count: resource_dropped },
        scope_info,
    )
}

/// Text 0.0.4 has no `_created` samples, so clients (client_python) expose them as gauges of
/// their own: `<base>_created` beside counter `<base>_total` (or `<base>`), histogram or summary
/// `<base>`. Returns (family, its `_created` family) index pairs.
fn created_families(set: &MetricSet<'_>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (c, created) in set.families.iter().enumerate() {
        if !matches!(created.metric_type, MetricType::Gauge | MetricType::Unknown) {
            continue;
        }
        let Some(base) = created.name.strip_suffix("_created") else { continue };
        let owner = set.families.iter().position(|f| match f.metric_type {
            MetricType::Counter => {
                f.name == base || f.name.strip_suffix("_total").is_some_and(|b| b == base)
            }
            MetricType::Histogram | MetricType::Summary => f.name == base,
            _ => false,
        });
        if let Some(f) = owner {
            out.push((f, c));
        }
    }
    out
}

/// A Prometheus `# UNIT` as an OTLP (UCUM) unit: words to symbols (`seconds` → `s`, `bytes` →
/// `By`), `ratio` → `1`, `a_per_b` → `a/b`; anything else as it is.
pub fn ucum_unit(unit: &str) -> String {
    if unit == "ratio" {
        return "1".to_string();
    }
    if let Some((num, per)) = unit.split_once("_per_") {
        let per = lookup(PER_UNIT_WORDS, per).or_else(|| lookup(UNIT_WORDS, per)).unwrap_or(per);
        return format!("{}/{}", lookup(UNIT_WORDS, num).unwrap_or(num), per);
    }
    lookup(UNIT_WORDS, unit).unwrap_or(unit).to_string()
}

fn lookup(table: &'static [(&str, &str)], word: &str) -> Option<&'static str> {
    table.iter().find(|(w, _)| *w == word).map(|(_, s)| *s)
}

const SCOPE_PREFIX: &str = "otel_scope_";
const SCOPE_NAME: &str = "otel_scope_name";
const SCOPE_VERSION: &str = "otel_scope_version";
const SCOPE_SCHEMA_URL: &str = "otel_scope_schema_url";

fn label<'s>(sample: &'s Sample<'_>, name: &str) -> &'s str {
    sample.label(name).unwrap_or("")
}

/// `target`/`otel_scope` info: an OpenMetrics info family `<base>`, or (text 0.0.4, which has
/// no info type) a gauge or untyped family `<base>_info`.
fn is_info_named(family: &MetricFamily<'_>, base: &str) -> bool {
    match family.metric_type {
        MetricType::Info => family.name == base,
        MetricType::Gauge | MetricType::Unknown => {
            family.name.strip_suffix("_info").is_some_and(|b| b == base)
        }
        _ => false,
    }
}

/// Resource attributes a scrape of `job`/`instance` gives.
fn scrape_resource(scrape: ScrapeContext<'_>) -> Vec<KeyValue> {
    let mut out = Vec::new();
    if !scrape.job.is_empty() {
        match scrape.job.split_once('/') {
            Some((namespace, name)) if !namespace.is_empty() && !name.is_empty() => {
                out.push(attributes::string("service.name", name));
                out.push(attributes::string("service.namespace", namespace));
            }
            _ => out.push(attributes::string("service.name", scrape.job)),
        }
    }
    if !scrape.instance.is_empty() {
        out.push(attributes::string("service.instance.id", scrape.instance));
        if let Some((host, port)) = scrape.instance.rsplit_once(':') {
            if let Ok(port) = port.parse::<u16>() {
                let host = host.trim_start_matches('[').trim_end_matches(']');
                if !host.is_empty() {
                    out.push(attributes::string("server.address", host));
                    out.push(attributes::int("server.port", i64::from(port)));
                }
            }
        }
    }
    out
}

/// A scope as the labels of a sample name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ScopeKey {
    name: String,
    version: String,
    schema_url: String,
    attributes: Vec<(String, String)>,
}

impl ScopeKey {
    fn of(sample: &Sample<'_>) -> ScopeKey {
        let mut key = ScopeKey {
            name: String::new(),
            version: String::new(),
            schema_url: String::new(),
            attributes: Vec::new(),
        };
        let mut named = false;
        for l in &sample.labels {
            match &*l.name {
                SCOPE_NAME => (key.name, named) = (l.value.to_string(), true),
                SCOPE_VERSION => (key.version, named) = (l.value.to_string(), true),
                SCOPE_SCHEMA_URL => key.schema_url = l.value.to_string(),
                n => {
                    if let Some(attr) = n.strip_prefix(SCOPE_PREFIX) {
                        key.attributes.push((attr.to_string(), l.value.to_string()));
                    }
                }
            }
        }
        if !named {
            key.name = DEFAULT_SCOPE_NAME.to_string();
            key.version = DEFAULT_SCOPE_VERSION.to_string();
        }
        key
    }
}

/// Scope, sorted labels (less `le`/`quantile`/scope labels) and timestamp of a series.
type SeriesKey<'f> = (usize, Vec<(&'f str, &'f str)>, Option<Timestamp>);

/// The samples of one series (labels less `le`/`quantile`/scope labels) at one time.
struct Series<'f, 's> {
    scope: usize,
    timestamp: Option<Timestamp>,
    attributes: Vec<KeyValue>,
    samples: Vec<&'f Sample<'s>>,
}

#[derive(Default)]
struct Builder<'a> {
    scrape: ScrapeContext<'a>,
    options: MappingOptions,
    scopes: Vec<ScopeKey>,
    scope_index: HashMap<ScopeKey, usize>,
    /// Metrics with their scope index, in the order families appear.
    metrics: Vec<(usize, Metric)>,
    dropped: Vec<Dropped>,
}

impl Builder<'_> {
    fn drop_samples(&mut self, family: &MetricFamily<'_>, samples: usize, reason: DropReason) {
        if samples == 0 {
            return;
        }
        match self.dropped.iter_mut().find(|d| d.family == family.name && d.reason == reason) {
            Some(d) => d.samples += samples,
            None => self.dropped.push(Dropped { family: family.name.to_string(), samples, reason }),
        }
    }

    fn time(&self, timestamp: Option<Timestamp>) -> Option<u64> {
        match timestamp {
            None => Some(self.scrape.scrape_time_ns),
            Some(t) => u64::try_from(t.unix_nanos()).ok(),
        }
    }

    fn scope(&mut self, key: ScopeKey) -> usize {
        if let Some(&i) = self.scope_index.get(&key) {
            return i;
        }
        self.scopes.push(key.clone());
        self.scope_index.insert(key, self.scopes.len() - 1);
        self.scopes.len() - 1
    }

    /// Groups a family's samples into series, keeping first-seen order.
    fn series<'f, 's>(&mut self, family: &'f MetricFamily<'s>) -> Vec<Series<'f, 's>> {
        let mut out: Vec<Series<'f, 's>> = Vec::new();
        let mut index: HashMap<SeriesKey<'f>, usize> = HashMap::new();
        let extra = match family.metric_type {
            MetricType::Histogram => "le",
            MetricType::Summary => "quantile",
            _ => "",
        };
        let mut default_scope = None;
        for sample in &family.samples {
            let scope = if sample.labels.iter().any(|l| l.name.starts_with(SCOPE_PREFIX)) {
                self.scope(ScopeKey::of(sample))
            } else {
                *default_scope.get_or_insert_with(|| self.scope(ScopeKey::of(sample)))
            };
            let keep = |name: &str| name != extra && !name.starts_with(SCOPE_PREFIX);
            let mut key: Vec<(&str, &str)> = sample
                .labels
                .iter()
                .filter(|l| keep(&l.name))
                .map(|l| (&*l.name, &*l.value))
                .collect();
            key.sort_unstable();
            // `_created` belongs to its series whatever its own timestamp.
            let timestamp =
                if sample.kind == SampleKind::Created { None } else { sample.timestamp };
            let key = (scope, key, timestamp);
            match index.get(&key) {
                Some(&i) => out[i].samples.push(sample),
                None => {
                    index.insert(key, out.len());
                    let attributes = sample
                        .labels
                        .iter()
                        .filter(|l| keep(&l.name))
                        .map(|l| attributes::string(&*l.name, &*l.value))
                        .collect();
                    out.push(Series { scope, timestamp, attributes, samples: vec![sample] });
                }
            }
        }
        // Attach `_created` samples (keyed without a time) to every series of their labels.
        let created: Vec<usize> = (0..out.len())
            .filter(|&i| out[i].samples.iter().all(|s| s.kind == SampleKind::Created))
            .collect();
        for &c in created.iter().rev() {
            let orphan = out.remove(c);
            let mut placed = false;
            for s in out.iter_mut() {
                if s.scope == orphan.scope && same_attributes(&s.attributes, &orphan.attributes) {
                    s.samples.extend(orphan.samples.iter().copied());
                    placed = true;
                }
            }
            if !placed {
                self.drop_samples(family, orphan.samples.len(), DropReason::UnexpectedSample);
            }
        }
        out
    }

    /// The start time a series' `_created` gives, if any (0: unknown).
    fn start_time(&mut self, family: &MetricFamily<'_>, series: &Series<'_, '_>) -> u64 {
        let Some(created) = series.samples.iter().find(|s| s.kind == SampleKind::Created) else {
            return 0;
        };
        match created_nanos(created.value) {
            Some(ns) => ns,
            None => {
                self.drop_samples(family, 1, DropReason::BadCreated);
                0
            }
        }
    }

    fn family(&mut self, family: &MetricFamily<'_>) {
        if family.metric_type == MetricType::GaugeHistogram {
            self.drop_samples(family, family.samples.len(), DropReason::GaugeHistogram);
            return;
        }
        if family.samples.is_empty() {
            return;
        }
        let series = self.series(family);
        let mut per_scope: Vec<(usize, metric::Data)> = Vec::new();
        for s in &series {
            let Some(time) = self.time(s.timestamp) else {
                self.drop_samples(family, s.samples.len(), DropReason::TimestampOutOfRange);
                continue;
            };
            let data = match per_scope.iter_mut().find(|(scope, _)| *scope == s.scope) {
                Some((_, data)) => data,
                None => {
                    per_scope.push((s.scope, empty_data(family.metric_type)));
                    &mut per_scope.last_mut().expect("just pushed").1
                }
            };
            match family.metric_type {
                MetricType::Histogram => {
                    // A stray sample (text: one named as the family) costs itself only.
                    let stray = s.samples.iter().filter(|x| !histogram_kind(x.kind)).count();
                    self.drop_samples(family, stray, DropReason::UnexpectedSample);
                    let start = self.start_time(family, s);
                    match histogram_point(s, start, time) {
                        Ok(p) => {
                            if let metric::Data::Histogram(h) = data {
                                h.data_points.push(p)
                            }
                        }
                        Err(reason) => self.drop_samples(family, s.samples.len() - stray, reason),
                    }
                }
                MetricType::Summary => {
                    let start = self.start_time(family, s);
                    match self.summary_point(family, s, start, time) {
                        Ok(p) => {
                            if let metric::Data::Summary(sm) = data {
                                sm.data_points.push(p)
                            }
                        }
                        Err(reason) => self.drop_samples(family, s.samples.len(), reason),
                    }
                }
                _ => {
                    let start = if family.metric_type == MetricType::Counter {
                        self.start_time(family, s)
                    } else {
                        0
                    };
                    let points = match data {
                        metric::Data::Gauge(g) => &mut g.data_points,
                        metric::Data::Sum(sum) => &mut sum.data_points,
                        _ => unreachable!("number types get a gauge or a sum"),
                    };
                    let mut unexpected = 0;
                    for sample in &s.samples {
                        match sample.kind {
                            SampleKind::Created => {}
                            SampleKind::Value | SampleKind::Total | SampleKind::Info => {
                                points.push(number_point(s, sample, start, time))
                            }
                            _ => unexpected += 1,
                        }
                    }
                    self.drop_samples(family, unexpected, DropReason::UnexpectedSample);
                }
            }
        }
        let name = self.metric_name(family);
        let description = family.help.as_deref().unwrap_or("").to_string();
        let unit = family.unit.as_deref().map(ucum_unit).unwrap_or_default();
        for (scope, data) in per_scope {
            if data_is_empty(&data) {
                continue;
            }
            let metric = Metric {
                name: name.clone(),
                description: description.clone(),
                unit: unit.clone(),
                data: Some(data),
                metadata: vec![attributes::string(
                    "prometheus.type",
                    family.metric_type.openmetrics_name(),
                )],
            };
            self.metrics.push((scope, metric));
        }
    }

    /// The metric name: the exposed sample name (`x_total` for a counter in both formats,
    /// `x_info` for info), less type and unit suffixes if asked.
    fn metric_name(&self, family: &MetricFamily<'_>) -> String {
        // An OpenMetrics family is named without the suffix its samples carry; a text 0.0.4
        // family is named as its samples are.
        let exposed =
            family.samples.iter().find(|s| matches!(s.kind, SampleKind::Total | SampleKind::Info));
        let mut name = exposed.map_or_else(|| family.name.to_string(), |s| s.name.to_string());
        if self.options.trim_suffixes {
            let type_suffix = match family.metric_type {
                MetricType::Counter => "_total",
                MetricType::Info => "_info",
                _ => "",
            };
            if !type_suffix.is_empty() {
                if let Some(base) = name.strip_suffix(type_suffix).filter(|b| !b.is_empty()) {
                    name.truncate(base.len());
                }
            }
            if let Some(unit) = family.unit.as_deref().filter(|u| !u.is_empty()) {
                let suffix = format!("_{unit}");
                if let Some(base) = name.strip_suffix(&suffix).filter(|b| !b.is_empty()) {
                    name.truncate(base.len());
                }
            }
        }
        name
    }

    fn summary_point(
        &mut self,
        family: &MetricFamily<'_>,
        s: &Series<'_, '_>,
        start: u64,
        time: u64,
    ) -> Result<SummaryDataPoint, DropReason> {
        let count = s.samples.iter().find(|x| x.kind == SampleKind::Count);
        let Some(count) = count else { return Err(DropReason::SummaryWithoutCount) };
        let mut point = SummaryDataPoint {
            attributes: s.attributes.clone(),
            start_time_unix_nano: start,
            time_unix_nano: time,
            ..Default::default()
        };
        if s.samples.iter().any(|x| x.is_stale()) {
            point.flags = FLAG_NO_RECORDED_VALUE;
            return Ok(point);
        }
        point.count = whole_count(count.value).ok_or(DropReason::BadCount)?;
        // No `_sum`: the spec sets the sum to zero.
        point.sum = s.samples.iter().find(|x| x.kind == SampleKind::Sum).map_or(0.0, |x| x.value);
        let mut bad = 0;
        for sample in s.samples.iter().filter(|x| x.kind == SampleKind::Value) {
            match sample.label("quantile").and_then(|q| q.parse::<f64>().ok()) {
                Some(quantile) => {
                    point.quantile_values.push(ValueAtQuantile { quantile, value: sample.value })
                }
                None => bad += 1,
            }
        }
        self.drop_samples(family, bad, DropReason::BadQuantile);
        let unexpected = s.samples.iter().filter(|x| !summary_kind(x.kind)).count();
        self.drop_samples(family, unexpected, DropReason::UnexpectedSample);
        Ok(point)
    }

    fn finish(
        self,
        resource: Resource,
        scope_info: Vec<(String, String, Vec<KeyValue>)>,
    ) -> Converted {
        let mut scope_metrics: Vec<ScopeMetrics> = self
            .scopes
            .iter()
            .map(|key| {
                let mut attrs: Vec<KeyValue> =
                    key.attributes.iter().map(|(k, v)| attributes::string(k, v)).collect();
                for (name, version, extra) in &scope_info {
                    if *name == key.name && *version == key.version {
                        for kv in extra {
                            if attributes::get(&attrs, &kv.key).is_none() {
                                attrs.push(kv.clone());
                            }
                        }
                    }
                }
                ScopeMetrics {
                    scope: Some(InstrumentationScope {
                        name: key.name.clone(),
                        version: key.version.clone(),
                        attributes: attrs,
                        dropped_attributes_count: 0,
                    }),
                    metrics: Vec::new(),
                    schema_url: key.schema_url.clone(),
                }
            })
            .collect();
        for (scope, metric) in self.metrics {
            scope_metrics[scope].metrics.push(metric);
        }
        scope_metrics.retain(|s| !s.metrics.is_empty());
        let resource_metrics = if scope_metrics.is_empty() {
            Vec::new()
        } else {
            vec![ResourceMetrics {
                resource: Some(resource),
                scope_metrics,
                schema_url: String::new(),
            }]
        };
        Converted {
            request: ExportMetricsServiceRequest { resource_metrics },
            dropped: self.dropped,
        }
    }
}

/// Same labels, whatever their order (text 0.0.4 does not fix one).
fn same_attributes(a: &[KeyValue], b: &[KeyValue]) -> bool {
    a.len() == b.len() && a.iter().all(|kv| b.contains(kv))
}

fn summary_kind(kind: SampleKind) -> bool {
    matches!(kind, SampleKind::Value | SampleKind::Count | SampleKind::Sum | SampleKind::Created)
}

fn empty_data(metric_type: MetricType) -> metric::Data {
    let cumulative = AggregationTemporality::Cumulative as i32;
    match metric_type {
        MetricType::Counter => metric::Data::Sum(Sum {
            data_points: Vec::new(),
            aggregation_temporality: cumulative,
            is_monotonic: true,
        }),
        MetricType::Info | MetricType::StateSet => metric::Data::Sum(Sum {
            data_points: Vec::new(),
            aggregation_temporality: cumulative,
            is_monotonic: false,
        }),
        MetricType::Histogram => metric::Data::Histogram(Histogram {
            data_points: Vec::new(),
            aggregation_temporality: cumulative,
        }),
        MetricType::Summary => metric::Data::Summary(Summary::default()),
        MetricType::Gauge | MetricType::Unknown | MetricType::GaugeHistogram => {
            metric::Data::Gauge(Gauge::default())
        }
    }
}

fn data_is_empty(data: &metric::Data) -> bool {
    match data {
        metric::Data::Gauge(g) => g.data_points.is_empty(),
        metric::Data::Sum(s) => s.data_points.is_empty(),
        metric::Data::Histogram(h) => h.data_points.is_empty(),
        metric::Data::ExponentialHistogram(h) => h.data_points.is_empty(),
        metric::Data::Summary(s) => s.data_points.is_empty(),
    }
}

fn number_point(s: &Series<'_, '_>, sample: &Sample<'_>, start: u64, time: u64) -> NumberDataPoint {
    NumberDataPoint {
        attributes: s.attributes.clone(),
        start_time_unix_nano: start,
        time_unix_nano: time,
        value: Some(number_data_point::Value::AsDouble(sample.value)),
        exemplars: sample.exemplar.iter().map(|e| exemplar_of(e, time)).collect(),
        flags: if sample.is_stale() { FLAG_NO_RECORDED_VALUE } else { 0 },
    }
}

fn histogram_point(
    s: &Series<'_, '_>,
    start: u64,
    time: u64,
) -> Result<HistogramDataPoint, DropReason> {
    let mut buckets: Vec<(f64, &Sample<'_>)> = Vec::new();
    for sample in s.samples.iter().filter(|x| x.kind == SampleKind::Bucket) {
        let le = sample.label("le").and_then(parse_le).ok_or(DropReason::BadBucketBound)?;
        buckets.push((le, sample));
    }
    let count = s.samples.iter().find(|x| x.kind == SampleKind::Count);
    let Some(count) = count else { return Err(DropReason::HistogramWithoutCount) };
    let mut point = HistogramDataPoint {
        attributes: s.attributes.clone(),
        start_time_unix_nano: start,
        time_unix_nano: time,
        ..Default::default()
    };
    if s.samples.iter().any(|x| x.is_stale()) {
        point.flags = FLAG_NO_RECORDED_VALUE;
        return Ok(point);
    }
    point.count = whole_count(count.value).ok_or(DropReason::BadCount)?;
    point.sum = s.samples.iter().find(|x| x.kind == SampleKind::Sum).map(|x| x.value);
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut previous = 0u64;
    for (le, sample) in &buckets {
        let cumulative = whole_count(sample.value).ok_or(DropReason::BadBucketCounts)?;
        let in_bucket = cumulative.checked_sub(previous).ok_or(DropReason::BadBucketCounts)?;
        previous = cumulative;
        if *le != f64::INFINITY {
            point.explicit_bounds.push(*le);
        }
        point.bucket_counts.push(in_bucket);
        if let Some(e) = &sample.exemplar {
            point.exemplars.push(exemplar_of(e, time));
        }
    }
    match buckets.last() {
        // `+Inf` holds every observation: it must be the count.
        Some((le, _)) if *le == f64::INFINITY => {
            if previous != point.count {
                return Err(DropReason::BadBucketCounts);
            }
        }
        // No `+Inf` bucket (text 0.0.4 allows it): the overflow bucket is what `_count` adds.
        _ => {
            let overflow = point.count.checked_sub(previous).ok_or(DropReason::BadBucketCounts)?;
            point.bucket_counts.push(overflow);
        }
    }
    Ok(point)
}

fn histogram_kind(kind: SampleKind) -> bool {
    matches!(kind, SampleKind::Bucket | SampleKind::Count | SampleKind::Sum | SampleKind::Created)
}

fn parse_le(le: &str) -> Option<f64> {
    let v: f64 = match le {
        "+Inf" | "Inf" | "+inf" | "inf" => f64::INFINITY,
        "-Inf" | "-inf" => f64::NEG_INFINITY,
        _ => le.parse().ok()?,
    };
    (!v.is_nan()).then_some(v)
}

/// A count sample as `u64`: finite, not negative, whole.
fn whole_count(value: f64) -> Option<u64> {
    (value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value < 1.8e19)
        .then_some(value as u64)
}

/// A `_created` value (seconds since the epoch) as ns. The value is read back from its
/// shortest decimal form, which is what the exposition wrote (`1520430000.123`): multiplying
/// the `f64` instead would be off by up to ~0.2 µs for present-day times.
fn created_nanos(seconds: f64) -> Option<u64> {
    if !(0.0..1.8e10).contains(&seconds) {
        return None;
    }
    let text = seconds.to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = fraction.as_bytes();
    let mut nanos = 0u64;
    for i in 0..9 {
        nanos = nanos * 10 + digits.get(i).map_or(0, |d| u64::from(d - b'0'));
    }
    if digits.get(9).is_some_and(|&d| d >= b'5') {
        nanos += 1;
    }
    whole.parse::<u64>().ok()?.checked_mul(1_000_000_000)?.checked_add(nanos)
}

fn exemplar_of(e: &PromExemplar<'_>, point_time: u64) -> Exemplar {
    let mut out = Exemplar {
        // No exemplar timestamp: the point's time (OTLP has no "unknown" here).
        time_unix_nano: e
            .timestamp
            .and_then(|t| u64::try_from(t.unix_nanos()).ok())
            .unwrap_or(point_time),
        value: Some(exemplar::Value::AsDouble(e.value)),
        ..Default::default()
    };
    for l in &e.labels {
        match &*l.name {
            "trace_id" if out.trace_id.is_empty() => {
                if let Some(id) = parse_hex_padded::<16>(&l.value).ok().filter(|id| id != &[0; 16])
                {
                    out.trace_id = id.to_vec();
                    continue;
                }
            }
            "span_id" if out.span_id.is_empty() => {
                if let Some(id) = parse_hex_padded::<8>(&l.value).ok().filter(|id| id != &[0; 8]) {
                    out.span_id = id.to_vec();
                    continue;
                }
            }
            _ => {}
        }
        // Labels that are not (valid) ids stay as attributes, never lost.
        out.filtered_attributes.push(attributes::string(&*l.name, &*l.value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_become_ucum() {
        assert_eq!(ucum_unit("seconds"), "s");
        assert_eq!(ucum_unit("bytes"), "By");
        assert_eq!(ucum_unit("ratio"), "1");
        assert_eq!(ucum_unit("celsius"), "Cel");
        assert_eq!(ucum_unit("bytes_per_second"), "By/s");
        assert_eq!(ucum_unit("requests_per_minute"), "requests/min");
        assert_eq!(ucum_unit("widgets"), "widgets");
    }

    #[test]
    fn created_keeps_nanoseconds() {
        assert_eq!(created_nanos(123.456), Some(123_456_000_000));
        assert_eq!(created_nanos(1_520_430_000.123), Some(1_520_430_000_123_000_000));
        assert_eq!(created_nanos(f64::NAN), None);
        assert_eq!(created_nanos(-1.0), None);
    }

    #[test]
    fn counts_are_whole() {
        assert_eq!(whole_count(3.0), Some(3));
        assert_eq!(whole_count(3.5), None);
        assert_eq!(whole_count(-1.0), None);
        assert_eq!(whole_count(f64::INFINITY), None);
    }
}
