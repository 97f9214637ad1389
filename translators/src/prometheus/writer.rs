//! The model back to text: Prometheus text 0.0.4 or OpenMetrics 1.0.
//!
//! - One `# TYPE` (and at most one `# HELP`/`# UNIT`) per family name, ever: families of the
//!   set that share a name are written as one, with the first one's metadata.
//! - Label values escape `\`, `"` and line feeds; HELP escapes `\` and line feeds (and `"` in
//!   OpenMetrics).
//! - Values are written so that they read back bit for bit (`NaN` for every NaN, the stale
//!   marker included: text cannot tell them apart).
//! - OpenMetrics: counters are named without `_total` and their samples with it (a text 0.0.4
//!   counter `x_total` or `x` becomes family `x`, samples `x_total`); timestamps in seconds
//!   with up to nine decimals; exemplars after ` # `; `# EOF` last.
//! - Text 0.0.4 has no info, stateset or gauge histogram, no `_created` and no exemplars: as the
//!   Prometheus client libraries do, info becomes a gauge `<name>_info`, stateset a gauge,
//!   gauge histogram a histogram with `_gcount`/`_gsum` as gauges of their own, `_created`
//!   samples a gauge `<name>_created`; counters are named `<name>_total`; exemplars are left
//!   out; timestamps are whole milliseconds (rounded down, held to the `i64` range).

use super::model::{MetricFamily, MetricSet, MetricType, Sample, SampleKind, Timestamp};
use super::negotiation::ExpositionFormat;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Writes `set` in `format`, appending to `out`.
pub fn write(format: ExpositionFormat, set: &MetricSet<'_>, out: &mut String) {
    match format {
        ExpositionFormat::PrometheusText => write_text(set, out),
        ExpositionFormat::OpenMetrics => write_openmetrics(set, out),
    }
}

/// Writes `set` as Prometheus text 0.0.4, appending to `out`.
pub fn write_text(set: &MetricSet<'_>, out: &mut String) {
    let mut plan = Plan::default();
    for family in &set.families {
        plan_text(family, &mut plan);
    }
    for f in &plan.families {
        if let Some(help) = f.help {
            let _ = write!(out, "# HELP {} ", f.name);
            escape_help(help, false, out);
            out.push('\n');
        }
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.type_name);
        for (name, sample) in &f.samples {
            write_sample_start(name, sample, out);
            if let Some(ts) = sample.timestamp {
                // Text timestamps are i64 milliseconds; OpenMetrics' can go further.
                let millis = ts.unix_millis().clamp(i64::MIN.into(), i64::MAX.into());
                let _ = write!(out, " {millis}");
            }
            out.push('\n');
        }
    }
}

/// Writes `set` as OpenMetrics 1.0, appending to `out` (ends with `# EOF`).
pub fn write_openmetrics(set: &MetricSet<'_>, out: &mut String) {
    let mut plan = Plan::default();
    for family in &set.families {
        plan_openmetrics(family, &mut plan);
    }
    for f in &plan.families {
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.type_name);
        if let Some(unit) = f.unit {
            let _ = writeln!(out, "# UNIT {} {unit}", f.name);
        }
        if let Some(help) = f.help {
            let _ = write!(out, "# HELP {} ", f.name);
            escape_help(help, true, out);
            out.push('\n');
        }
        for (name, sample) in &f.samples {
            write_sample_start(name, sample, out);
            if let Some(ts) = sample.timestamp {
                out.push(' ');
                write_seconds(ts, out);
            }
            if let Some(ex) = &sample.exemplar {
                out.push_str(" # {");
                for (i, l) in ex.labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_label(&l.name, &l.value, out);
                }
                out.push_str("} ");
                write_value(ex.value, out);
                if let Some(ts) = ex.timestamp {
                    out.push(' ');
                    write_seconds(ts, out);
                }
            }
            out.push('\n');
        }
    }
    out.push_str("# EOF\n");
}

/// A family as it will be written.
struct OutFamily<'s> {
    name: Cow<'s, str>,
    type_name: &'static str,
    help: Option<&'s str>,
    unit: Option<&'s str>,
    /// Each sample with the name it is written under.
    samples: Vec<(Cow<'s, str>, &'s Sample<'s>)>,
}

/// The families to write, merged by name.
#[derive(Default)]
struct Plan<'s> {
    families: Vec<OutFamily<'s>>,
    by_name: HashMap<String, usize>,
}

impl<'s> Plan<'s> {
    /// The family named `name`, created with this metadata if it is new.
    fn family(
        &mut self,
        name: Cow<'s, str>,
        type_name: &'static str,
        help: Option<&'s str>,
        unit: Option<&'s str>,
    ) -> &mut OutFamily<'s> {
        let i = match self.by_name.get(&*name) {
            Some(&i) => i,
            None => {
                self.by_name.insert(name.to_string(), self.families.len());
                self.families.push(OutFamily { name, type_name, help, unit, samples: Vec::new() });
                self.families.len() - 1
            }
        };
        let family = &mut self.families[i];
        // A merged family keeps the first metadata; fill what the first one lacked.
        family.help = family.help.or(help);
        family.unit = family.unit.or(unit);
        family
    }
}

fn plan_text<'s>(family: &'s MetricFamily<'s>, plan: &mut Plan<'s>) {
    let name = &*family.name;
    let help = family.help.as_deref();
    let (main_name, main_type): (Cow<'s, str>, &'static str) = match family.metric_type {
        MetricType::Counter if family.samples.iter().any(|s| s.kind == SampleKind::Total) => {
            (Cow::Owned(format!("{name}_total")), "counter")
        }
        MetricType::Info => (Cow::Owned(format!("{name}_info")), "gauge"),
        MetricType::StateSet => (Cow::Borrowed(name), "gauge"),
        MetricType::GaugeHistogram => (Cow::Borrowed(name), "histogram"),
        other => (Cow::Borrowed(name), other.text_name().unwrap_or("untyped")),
    };
    // The main family first, even without samples, so metadata-only families survive.
    plan.family(main_name.clone(), main_type, help, None);
    for sample in &family.samples {
        let split =
            matches!(sample.kind, SampleKind::Created | SampleKind::GCount | SampleKind::GSum);
        let sample_name = Cow::Borrowed(&*sample.name);
        if split {
            plan.family(sample_name.clone(), "gauge", help, None)
                .samples
                .push((sample_name, sample));
        } else {
            plan.family(main_name.clone(), main_type, help, None)
                .samples
                .push((sample_name, sample));
        }
    }
}

fn plan_openmetrics<'s>(family: &'s MetricFamily<'s>, plan: &mut Plan<'s>) {
    let name = &*family.name;
    let help = family.help.as_deref();
    let unit = family.unit.as_deref().filter(|u| !u.is_empty());
    let type_name = family.metric_type.openmetrics_name();
    if family.metric_type == MetricType::Counter {
        // OpenMetrics names a counter without `_total` and each of its samples with it.
        let base = name.strip_suffix("_total").unwrap_or(name);
        let out = plan.family(Cow::Borrowed(base), type_name, help, unit);
        for sample in &family.samples {
            let sample_name = match sample.kind {
                SampleKind::Created => Cow::Owned(format!("{base}_created")),
                _ => Cow::Owned(format!("{base}_total")),
            };
            out.samples.push((sample_name, sample));
        }
        return;
    }
    let out = plan.family(Cow::Borrowed(name), type_name, help, unit);
    for sample in &family.samples {
        out.samples.push((Cow::Borrowed(&*sample.name), sample));
    }
}

/// `name{labels} value`.
fn write_sample_start(name: &str, sample: &Sample<'_>, out: &mut String) {
    out.push_str(name);
    if !sample.labels.is_empty() {
        out.push('{');
        for (i, l) in sample.labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_label(&l.name, &l.value, out);
        }
        out.push('}');
    }
    out.push(' ');
    write_value(sample.value, out);
}

fn write_label(name: &str, value: &str, out: &mut String) {
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn escape_help(help: &str, quote: bool, out: &mut String) {
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// A value both parsers read back to the same bits (every NaN as `NaN`).
fn write_value(v: f64, out: &mut String) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else if v != 0.0 && !(1e-5..1e15).contains(&v.abs()) {
        // Shortest round-trip digits either way; the exponent form keeps huge and tiny values short.
        let _ = write!(out, "{v:e}");
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Seconds with up to nine decimals, exact to the nanosecond.
fn write_seconds(ts: Timestamp, out: &mut String) {
    let nanos = ts.unix_nanos();
    if nanos < 0 {
        out.push('-');
    }
    let abs = nanos.unsigned_abs();
    let secs = abs / 1_000_000_000;
    let frac = abs % 1_000_000_000;
    let _ = write!(out, "{secs}");
    if frac != 0 {
        let digits = format!("{frac:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_timestamps_read_back() {
        for v in [0.0, -0.0, 1.0, -3e3, 0.1, 1e-7, 2.279966416e9, 1e300, f64::MIN_POSITIVE, 9.2e18]
        {
            let mut s = String::new();
            write_value(v, &mut s);
            let back = super::super::lexer::number(&s).unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{v} written as {s}");
        }
        let mut s = String::new();
        write_seconds(Timestamp::from_unix_nanos(-1_100_000_000), &mut s);
        assert_eq!(s, "-1.1");
        s.clear();
        write_seconds(Timestamp::from_unix_nanos(1_726_839_814_223_908_200), &mut s);
        assert_eq!(s, "1726839814.2239082");
    }
}
