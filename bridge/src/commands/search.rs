//! `otelbridge search`: find traces in the embedded store from the command line, as a readable table or as
//! one JSON object per trace; `search logs` finds log records with a Lucene-style query string.
//!
//! Exit codes: 0 done (also when nothing matched: `no traces found` on stderr); 1 the store could not be read
//! or the output written; 2 no store in `--data-dir`, a bad flag value or a query that does not parse.
//!
//! The store is opened read-only, so this works beside a running `otelbridge run` on the same folder and sees
//! what that service had committed (every `commit_interval`) when the command started.

use crate::commands::run::DEFAULT_DATA_DIR;
use crate::config::duration::parse_duration;
use crate::store::logs::{FoundLog, LogQuery};
use crate::store::query::{SpanFilter, TagFilter, TraceId, TraceQuery};
use crate::store::{now_unix_nanos, Store, StoreError};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use translators::calendar::{civil_from_days, days_from_civil, days_in_month};
use translators::otlp::attributes;
use translators::otlp::logs_model::severity_short_name;
use translators::otlp::model::status::StatusCode;
use translators::{encode_traces, ExportTraceServiceRequest, Format};

/// Exit code for a missing store or an unusable combination of flags (clap uses it for bad flags too).
pub const EXIT_USAGE: u8 = 2;

const NANOS_PER_SECOND: u64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Arguments of `otelbridge search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to search.
    #[command(subcommand)]
    pub target: SearchTarget,
}

/// What `otelbridge search` looks for.
#[derive(Debug, Subcommand)]
pub enum SearchTarget {
    /// Find traces with a span matching every condition given (Jaeger's rule), most recent first.
    Traces(TraceSearchArgs),
    /// Search stored log records with a Lucene-style query, most recent first.
    Logs(LogSearchArgs),
}

/// Where the store is.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The store's folder (as given to `otelbridge run --data-dir`, or `data_dir` of a `store` exporter).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
}

/// The conditions one span of a trace must meet, and the end of the time window; shared by `search traces`
/// and `export`.
#[derive(Debug, Args)]
pub struct TraceFilterArgs {
    /// The span started at or before this time: a duration ago (`15m`, `1h`, `2d`), an RFC 3339 time
    /// (`2026-11-25T13:00:00Z`, `2026-11-25`) or `now`. Default: no end.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<u64>,
    /// `service.name` of the span's resource.
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    /// Span name.
    #[arg(long, value_name = "NAME")]
    pub operation: Option<String>,
    /// `key=value` among the span's attributes, its resource's, its events' and the derived tags (`error=true`,
    /// `span.kind=server`, `otel.status_code=ERROR`, `event=<name>`); repeat for several, all must hold.
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_tag)]
    pub tags: Vec<TagFilter>,
    /// The span lasted at least this long (`100ms`, `1.5s`, `2m`).
    #[arg(long, value_name = "DURATION", value_parser = parse_nanos)]
    pub min_duration: Option<u64>,
    /// The span lasted at most this long.
    #[arg(long, value_name = "DURATION", value_parser = parse_nanos)]
    pub max_duration: Option<u64>,
}

impl TraceFilterArgs {
    /// The store's span filter.
    pub fn span_filter(&self) -> SpanFilter {
        SpanFilter {
            service: self.service.clone(),
            operation: self.operation.clone(),
            kind: None,
            tags: self.tags.clone(),
            min_duration: self.min_duration,
            max_duration: self.max_duration,
        }
    }
}

/// Arguments of `otelbridge search traces`.
#[derive(Debug, Args)]
#[command(
    after_help = "Table columns: start of the trace (UTC), trace id, the root span's service and name, \
                        span count, duration, ERRORS (spans with status ERROR, `-` when none).\n\
                        --json writes one JSON object per line and trace: traceId, start, startTimeUnixNano, \
                        durationNanos, spanCount, errorCount, rootService, rootName, services, and `otlp`, the \
                        whole trace as an OTLP/JSON ExportTraceServiceRequest.\n\
                        Exit codes: 0 done (also when nothing matched), 1 store or output error, \
                        2 no store in --data-dir or a bad flag value."
)]
pub struct TraceSearchArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The matching span started at or after this time: a duration ago (`15m`, `1h`, `2d`) or an RFC 3339 time.
    /// Default: everything stored.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since: Option<u64>,
    #[command(flatten)]
    filter: TraceFilterArgs,
    /// At most this many traces, the most recent first.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    limit: u32,
    /// One JSON object per trace and line instead of the table.
    #[arg(long)]
    json: bool,
}

/// Arguments of `otelbridge search logs`.
#[derive(Debug, Args)]
pub struct LogSearchArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// A Lucene-style query: words search the body (ANDed), `field:value` a field (`severity:ERROR`,
    /// `service:checkout`, `trace_id:<hex>`, `attributes.http.method:GET`, `resource.host.name:web-1`), with
    /// AND, OR, NOT, parentheses and `"phrases"`. `*` (the default) matches every record.
    #[arg(value_name = "QUERY", default_value = "*", allow_hyphen_values = true)]
    query: String,
    /// Records at or after this time: a duration ago (`15m`, `1h`, `2d`) or an RFC 3339 time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since: Option<u64>,
    /// Records at or before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    until: Option<u64>,
    /// At most this many records, most recent first.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    limit: u32,
    /// One JSON object per record and line instead of the table.
    #[arg(long)]
    json: bool,
}

/// Runs the command and returns the process exit code.
pub fn run(args: SearchArgs) -> ExitCode {
    match args.target {
        SearchTarget::Traces(args) => search_traces(args),
        SearchTarget::Logs(args) => search_logs(args),
    }
}

fn search_logs(args: LogSearchArgs) -> ExitCode {
    let store = match open_store(&args.store.data_dir) {
        Ok(store) => store,
        Err(code) => return code,
    };
    if let (Some(since), Some(until)) = (args.since, args.until) {
        if since > until {
            eprintln!(
                "error: --since {} is after --until {}",
                format_time(since),
                format_time(until)
            );
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let query = LogQuery {
        query: args.query.clone(),
        from: args.since,
        to: args.until,
        limit: args.limit as usize,
    };
    let found = match store.search_logs(&query) {
        Ok(found) => found,
        // A query the parser refuses is the user's to fix: a usage error, with the parser's reason.
        Err(StoreError::Query(reason)) => {
            eprintln!("error: bad query {reason}");
            return ExitCode::from(EXIT_USAGE);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if found.is_empty() {
        eprintln!("no log records found");
        return ExitCode::SUCCESS;
    }
    let rows: Vec<LogRow> = found.iter().map(LogRow::of).collect();
    let out = if args.json {
        rows.iter().map(|row| row.json.to_string() + "\n").collect::<String>()
    } else {
        log_table(&rows)
    };
    if let Err(code) = write_stdout(out.as_bytes()) {
        return code;
    }
    if found.len() == query.limit {
        eprintln!(
            "showing the {} most recent matching records (raise --limit or narrow --since)",
            query.limit
        );
    }
    ExitCode::SUCCESS
}

/// One found log record, ready for the table and for `--json`.
struct LogRow {
    time: u64,
    severity: String,
    service: String,
    body: String,
    json: Value,
}

impl LogRow {
    fn of(found: &FoundLog) -> Self {
        let default_resource = Default::default();
        let resource = found.record.resource.as_ref().unwrap_or(&default_resource);
        let scope_logs = found.record.scope_logs.first();
        let record = scope_logs.and_then(|sl| sl.log_records.first()).cloned().unwrap_or_default();
        let severity = if record.severity_text.is_empty() {
            severity_short_name(record.severity_number).to_string()
        } else {
            record.severity_text.clone()
        };
        let service = attributes::get_str(&resource.attributes, "service.name")
            .unwrap_or_default()
            .to_string();
        let body_value = record.body.as_ref().and_then(|b| b.value.as_ref());
        let body = match body_value {
            Some(translators::otlp::model::any_value::Value::StringValue(s)) => s.clone(),
            other => attributes::to_json(other).to_string(),
        };
        let map = |kvs: &[translators::otlp::model::KeyValue]| -> Value {
            kvs.iter()
                .map(|kv| {
                    (
                        kv.key.clone(),
                        attributes::to_json(kv.value.as_ref().and_then(|v| v.value.as_ref())),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
                .into()
        };
        let hex = |id: &[u8]| {
            if id.is_empty() {
                Value::Null
            } else {
                json!(translators::ids::to_hex(id))
            }
        };
        let json = json!({
            "time": format_time(found.time),
            "timeUnixNano": found.time.to_string(),
            "severityText": record.severity_text,
            "severityNumber": record.severity_number,
            "service": service,
            "body": attributes::to_json(body_value),
            "attributes": map(&record.attributes),
            "resource": map(&resource.attributes),
            "scope": scope_logs.and_then(|sl| sl.scope.as_ref()).map(|s| s.name.clone()).unwrap_or_default(),
            "traceId": hex(&record.trace_id),
            "spanId": hex(&record.span_id),
        });
        LogRow { time: found.time, severity, service, body, json }
    }
}

/// One line per record: time, severity, service and the body on one line (line breaks shown as `⏎`).
fn log_table(rows: &[LogRow]) -> String {
    let severity_width = rows.iter().map(|r| r.severity.chars().count()).max().unwrap_or(0).max(8);
    let service_width = rows.iter().map(|r| r.service.chars().count()).max().unwrap_or(0).max(7);
    let mut out = format!(
        "{:<24}  {:<severity_width$}  {:<service_width$}  BODY\n",
        "TIME (UTC)", "SEVERITY", "SERVICE"
    );
    for row in rows {
        let body = row.body.replace("\r\n", "⏎").replace('\n', "⏎");
        out.push_str(&format!(
            "{:<24}  {:<severity_width$}  {:<service_width$}  {body}\n",
            format_time(row.time),
            row.severity,
            row.service
        ));
    }
    out
}

fn search_traces(args: TraceSearchArgs) -> ExitCode {
    let store = match open_store(&args.store.data_dir) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let Some(window) = time_window(&store, args.since, args.filter.until) else {
        return ExitCode::from(EXIT_USAGE);
    };
    let filter = args.filter.span_filter();
    let limit = args.limit as usize;
    let result = find_trace_ids(&store, &filter, window, Some(limit))
        .and_then(|found| Ok((store.traces(&found.ids)?, found.more)));
    let (traces, more) = match result {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if traces.is_empty() {
        eprintln!("no traces found");
        return ExitCode::SUCCESS;
    }
    let summaries: Vec<TraceSummary> =
        traces.iter().map(|(id, request)| TraceSummary::of(id, request)).collect();
    let out = if args.json {
        let mut out = String::new();
        for (summary, (_, request)) in summaries.iter().zip(&traces) {
            out.push_str(&summary.to_json(request).to_string());
            out.push('\n');
        }
        out
    } else {
        table(&summaries)
    };
    if let Err(code) = write_stdout(out.as_bytes()) {
        return code;
    }
    if more {
        eprintln!(
            "showing the {limit} most recent matching traces; more match (raise --limit or narrow --since)"
        );
    }
    ExitCode::SUCCESS
}

/// Opens the store in `dir` read-only; a missing folder, or one that holds no store, is a usage error.
pub(crate) fn open_store(dir: &Path) -> Result<Arc<Store>, ExitCode> {
    if !dir.is_dir() {
        eprintln!(
            "error: no store at {}: the folder does not exist (give the folder of `otelbridge run --data-dir` \
             with --data-dir)",
            dir.display()
        );
        return Err(ExitCode::from(EXIT_USAGE));
    }
    if !dir.join("traces").is_dir() {
        eprintln!(
            "error: {} is not an otelbridge store: it has no traces/ folder (give the folder of \
             `otelbridge run --data-dir` with --data-dir)",
            dir.display()
        );
        return Err(ExitCode::from(EXIT_USAGE));
    }
    Store::open_read_only(dir).map_err(|e| {
        eprintln!("error: cannot open the store at {}: {e}", dir.display());
        ExitCode::FAILURE
    })
}

/// The inclusive span start window `[from, to]` (ns) to search: the flags where given, else what the store's
/// partitions cover. `None` (after saying why) when `since` is after `until`.
pub(crate) fn time_window(
    store: &Store,
    since: Option<u64>,
    until: Option<u64>,
) -> Option<(u64, u64)> {
    if let (Some(since), Some(until)) = (since, until) {
        if since > until {
            eprintln!(
                "error: --since {} is after --until {}",
                format_time(since),
                format_time(until)
            );
            return None;
        }
    }
    let ranges = store.partition_ranges();
    let secs_to_nanos = |s: i64| (s.max(0) as u64).saturating_mul(NANOS_PER_SECOND);
    let from = since.unwrap_or_else(|| ranges.first().map_or(0, |r| secs_to_nanos(r.start)));
    let to = until.unwrap_or_else(|| {
        ranges.last().map_or(u64::MAX, |r| secs_to_nanos(r.end).saturating_sub(1))
    });
    Some((from, to.max(from)))
}

/// Trace ids found by [`find_trace_ids`].
pub(crate) struct Found {
    /// Most recent first, deduplicated.
    pub ids: Vec<TraceId>,
    /// More traces match than `max` allowed.
    pub more: bool,
}

/// How many traces one store query asks for. The store's top-k search allocates per segment in proportion to
/// its limit, so large results are gathered window by window instead of by one huge limit.
const PAGE: usize = 1000;

/// The ids of the traces with a span matching `filter` that started in `window` (inclusive, ns), most recent
/// first, at most `max` (all when `None`).
///
/// A window whose search fills a whole page is split in two halves, searched newer half first, until every
/// window's result is complete; a trace with matching spans in several windows is kept once.
pub(crate) fn find_trace_ids(
    store: &Store,
    filter: &SpanFilter,
    window: (u64, u64),
    max: Option<usize>,
) -> Result<Found, StoreError> {
    find_trace_ids_paged(store, filter, window, max, PAGE)
}

fn find_trace_ids_paged(
    store: &Store,
    filter: &SpanFilter,
    window: (u64, u64),
    max: Option<usize>,
    page_size: usize,
) -> Result<Found, StoreError> {
    // One more than asked for tells whether more match.
    let target = max.map_or(usize::MAX, |m| m.saturating_add(1));
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    let mut windows = vec![window];
    while let Some((from, to)) = windows.pop() {
        let want = (target - ids.len()).min(page_size);
        let query = TraceQuery {
            filter: filter.clone(),
            start_min: Some(from),
            start_max: Some(to),
            limit: want,
        };
        let page = store.find_trace_ids(&query)?;
        let complete = page.len() < want || from == to;
        if complete || want == target - ids.len() {
            ids.extend(page.into_iter().filter(|id| seen.insert(*id)));
        }
        if ids.len() >= target {
            break;
        }
        if !complete {
            // Older half pushed first so the newer half is searched first (a stack).
            let middle = from + (to - from) / 2;
            windows.push((from, middle));
            windows.push((middle + 1, to));
        }
    }
    let more = ids.len() >= target;
    if let Some(max) = max {
        ids.truncate(max);
    }
    Ok(Found { ids, more })
}

/// What the table and the JSON summary show of one trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TraceSummary {
    trace_id: String,
    start: u64,
    duration: u64,
    span_count: usize,
    error_count: usize,
    root_service: String,
    root_name: String,
    services: Vec<String>,
}

impl TraceSummary {
    fn of(id: &TraceId, request: &ExportTraceServiceRequest) -> Self {
        let mut start = u64::MAX;
        let mut end = 0;
        let mut span_count = 0;
        let mut error_count = 0;
        let mut services: Vec<String> = Vec::new();
        let mut span_ids = HashSet::new();
        for rs in &request.resource_spans {
            for span in rs.scope_spans.iter().flat_map(|ss| &ss.spans) {
                span_ids.insert(span.span_id.as_slice());
            }
        }
        // The root: the earliest span without a parent in the trace (a trace may miss its real root).
        let mut root: Option<(u64, &str, &str)> = None;
        for rs in &request.resource_spans {
            let service = rs
                .resource
                .as_ref()
                .and_then(|r| attributes::get_str(&r.attributes, "service.name"))
                .unwrap_or("");
            if !services.iter().any(|s| s == service) {
                services.push(service.to_owned());
            }
            for span in rs.scope_spans.iter().flat_map(|ss| &ss.spans) {
                span_count += 1;
                start = start.min(span.start_time_unix_nano);
                end = end.max(span.end_time_unix_nano).max(span.start_time_unix_nano);
                if span.status.as_ref().is_some_and(|s| s.code == StatusCode::Error as i32) {
                    error_count += 1;
                }
                let is_root = span.parent_span_id.is_empty()
                    || translators::ids::is_zero(&span.parent_span_id)
                    || !span_ids.contains(span.parent_span_id.as_slice());
                if is_root && root.is_none_or(|(at, _, _)| span.start_time_unix_nano < at) {
                    root = Some((span.start_time_unix_nano, service, &span.name));
                }
            }
        }
        if span_count == 0 {
            start = 0;
        }
        services.sort();
        let (_, root_service, root_name) = root.unwrap_or((0, "", ""));
        TraceSummary {
            trace_id: trace_id_hex(id),
            start,
            duration: end.saturating_sub(start),
            span_count,
            error_count,
            root_service: root_service.to_owned(),
            root_name: root_name.to_owned(),
            services,
        }
    }

    /// The `--json` line of one trace.
    fn to_json(&self, request: &ExportTraceServiceRequest) -> Value {
        // Our own encoder's JSON: it parses.
        let otlp: Value = serde_json::from_slice(&encode_traces(Format::OtlpJson, request).bytes)
            .unwrap_or(Value::Null);
        json!({
            "traceId": self.trace_id,
            "start": format_time(self.start),
            // A string, as OTLP/JSON writes 64-bit integers (JavaScript numbers lose precision beyond 2^53).
            "startTimeUnixNano": self.start.to_string(),
            "durationNanos": self.duration,
            "spanCount": self.span_count,
            "errorCount": self.error_count,
            "rootService": self.root_service,
            "rootName": self.root_name,
            "services": self.services,
            "otlp": otlp,
        })
    }
}

/// A trace id as Jaeger shows it: 16 hex digits for a 64-bit id (stored widened, high half zero), else 32.
pub(crate) fn trace_id_hex(id: &TraceId) -> String {
    if id[..8].iter().all(|b| *b == 0) {
        translators::ids::to_hex(&id[8..])
    } else {
        translators::ids::to_hex(id)
    }
}

fn table(summaries: &[TraceSummary]) -> String {
    let header =
        ["START (UTC)", "TRACE ID", "ROOT SERVICE", "ROOT SPAN", "SPANS", "DURATION", "ERRORS"];
    let right_aligned = [false, false, false, false, true, true, true];
    let mut rows: Vec<[String; 7]> = vec![header.map(str::to_owned)];
    for s in summaries {
        rows.push([
            format_time(s.start),
            s.trace_id.clone(),
            printable(&s.root_service),
            printable(&s.root_name),
            s.span_count.to_string(),
            format_duration(s.duration),
            if s.error_count == 0 { "-".to_owned() } else { s.error_count.to_string() },
        ]);
    }
    let mut widths = [0; 7];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(widths[i] - cell.chars().count());
            if right_aligned[i] {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&pad);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Control characters escaped, so that a name cannot break the table's lines.
fn printable(text: &str) -> String {
    if text.is_empty() {
        return "?".to_owned();
    }
    text.chars()
        .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}

/// A duration for people: `850ns`, `12.5µs`, `3.25ms`, `1.500s`, `2m05s`, `1h02m`.
pub(crate) fn format_duration(nanos: u64) -> String {
    const MICRO: u64 = 1_000;
    const MILLI: u64 = 1_000_000;
    match nanos {
        n if n < MICRO => format!("{n}ns"),
        n if n < MILLI => format!("{:.1}µs", n as f64 / MICRO as f64),
        n if n < NANOS_PER_SECOND => format!("{:.2}ms", n as f64 / MILLI as f64),
        n if n < 60 * NANOS_PER_SECOND => format!("{:.3}s", n as f64 / NANOS_PER_SECOND as f64),
        n => {
            let secs = n / NANOS_PER_SECOND;
            if secs < 3600 {
                format!("{}m{:02}s", secs / 60, secs % 60)
            } else {
                format!("{}h{:02}m", secs / 3600, secs % 3600 / 60)
            }
        }
    }
}

/// Writes `bytes` to stdout; a closed pipe (`| head`) ends quietly.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<(), ExitCode> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: cannot write stdout: {e}");
            Err(ExitCode::FAILURE)
        }
    }
}

// ---- flag values ----

/// Parses `key=value` (the value may contain `=`; it may be empty, the key may not).
pub fn parse_tag(text: &str) -> Result<TagFilter, String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok(TagFilter::Equals {
            key: key.trim().to_owned(),
            value: value.to_owned(),
            or_event: true,
        }),
        _ => Err(format!("expected KEY=VALUE, e.g. http.status_code=500, got {text:?}")),
    }
}

/// Parses a length of time: Go-style units (`100ms`, `1.5s`, `1m30s`, `2h`) plus days (`2d`, `1d12h`).
pub fn parse_length(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let hint = "a number with a unit: ns, us, ms, s, m, h, d (e.g. 100ms, 15m, 1h, 2d)";
    let invalid = || format!("invalid duration {text:?}: expected {hint}");
    // `d` is in no other unit, so a `d` always ends a leading day count.
    let (days, rest) = match text.split_once('d') {
        Some((days, rest)) => {
            if days.is_empty() || !days.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return Err(invalid());
            }
            (days.parse::<f64>().map_err(|_| invalid())?, rest)
        }
        None => (0.0, text),
    };
    let rest = match rest {
        "" if text.ends_with('d') => Duration::ZERO,
        rest => parse_duration(rest).map_err(|_| invalid())?,
    };
    Duration::try_from_secs_f64(days * SECONDS_PER_DAY as f64)
        .ok()
        .and_then(|d| d.checked_add(rest))
        .ok_or_else(|| format!("invalid duration {text:?}: out of range"))
}

/// Parses a span duration to nanoseconds.
pub fn parse_nanos(text: &str) -> Result<u64, String> {
    let length = parse_length(text)?;
    u64::try_from(length.as_nanos()).map_err(|_| format!("invalid duration {text:?}: out of range"))
}

/// Parses a point in time to nanoseconds since the epoch: `now`, a duration ago (`15m`, `1h`, `2d`), or an
/// RFC 3339 time (`2026-11-25T13:00:00Z`, `2026-11-25T14:00:00.5+01:00`, or a date `2026-11-25` = its UTC
/// midnight).
pub fn parse_time(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text == "now" {
        return Ok(now_unix_nanos());
    }
    if let Some(nanos) = parse_rfc3339(text) {
        return u64::try_from(nanos).map_err(|_| format!("time {text:?} is before 1970"));
    }
    if text.starts_with(|c: char| c.is_ascii_digit() || c == '.') && !looks_like_date(text) {
        let ago = parse_length(text)?;
        let ago = u64::try_from(ago.as_nanos()).unwrap_or(u64::MAX);
        return Ok(now_unix_nanos().saturating_sub(ago));
    }
    Err(format!(
        "invalid time {text:?}: expected a duration ago (15m, 1h, 2d), an RFC 3339 time \
         (2026-11-25T13:00:00Z) or `now`"
    ))
}

fn looks_like_date(text: &str) -> bool {
    text.len() >= 5
        && text.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && text.as_bytes()[4] == b'-'
}

/// RFC 3339 `YYYY-MM-DD(T| )HH:MM:SS[.fraction](Z|±HH:MM)`, or a bare date (UTC midnight), to nanoseconds
/// since the epoch (negative before 1970). `None` when it is not one.
fn parse_rfc3339(text: &str) -> Option<i128> {
    let b = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day) as i128;
    if b.len() == 10 {
        return Some(days * SECONDS_PER_DAY as i128 * NANOS_PER_SECOND as i128);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    // 60 is a leap second; it is counted as the next second's start, as POSIX time has no place for it.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut fraction: i128 = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let digits = b[at..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        // Digits past nanoseconds are dropped.
        for (i, digit) in b[at..at + digits].iter().enumerate().take(9) {
            fraction += i128::from(digit - b'0') * 10i128.pow(8 - i as u32);
        }
        at += digits;
    }
    let offset_seconds: i64 = match b.get(at)? {
        b'Z' | b'z' if at + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if at + 6 == b.len() && b[at + 3] == b':' => {
            let (h, m) = (number(at + 1..at + 3)?, number(at + 4..at + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let offset = h * 3600 + m * 60;
            if *sign == b'-' {
                -offset
            } else {
                offset
            }
        }
        _ => return None,
    };
    let seconds = days * SECONDS_PER_DAY as i128 + i128::from(hour * 3600 + minute * 60 + second)
        - i128::from(offset_seconds);
    Some(seconds * NANOS_PER_SECOND as i128 + fraction)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC, milliseconds) of a time in nanoseconds since the epoch.
pub fn format_time(nanos: u64) -> String {
    let secs = (nanos / NANOS_PER_SECOND) as i64;
    let millis = nanos % NANOS_PER_SECOND / 1_000_000;
    let (year, month, day) = civil_from_days(secs.div_euclid(SECONDS_PER_DAY));
    let in_day = secs.rem_euclid(SECONDS_PER_DAY);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_parse_with_offsets_and_fractions() {
        let at = 1_764_075_600 * NANOS_PER_SECOND as i128; // 2025-11-25T13:00:00Z
        assert_eq!(parse_rfc3339("2025-11-25T13:00:00Z"), Some(at));
        assert_eq!(parse_rfc3339("2025-11-25t14:00:00.5+01:00"), Some(at + 500_000_000));
        assert_eq!(parse_rfc3339("2025-11-25 12:30:00.000000001-00:30"), Some(at + 1));
        assert_eq!(parse_rfc3339("2025-11-25"), Some(at - 13 * 3600 * NANOS_PER_SECOND as i128));
        for bad in
            ["2025-11-25T13:00:00", "2025-02-29", "2025-11-25T24:00:00Z", "2025-11-25T13:00Z"]
        {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        assert_eq!(format_time(at as u64 + 1_234_567_890), "2025-11-25T13:00:01.234Z");
    }

    #[test]
    fn lengths_take_days_and_go_units() {
        assert_eq!(parse_length("2d").unwrap(), Duration::from_secs(2 * 86_400));
        assert_eq!(parse_length("1d12h").unwrap(), Duration::from_secs(36 * 3600));
        assert_eq!(parse_length("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_nanos("100ms").unwrap(), 100_000_000);
        for bad in ["", "d", "5", "1x", "1h2d", "-1h"] {
            assert!(parse_length(bad).is_err(), "{bad}");
        }
        let hour_ago = parse_time("1h").unwrap();
        let now = now_unix_nanos();
        assert!(
            now - hour_ago >= 3600 * NANOS_PER_SECOND && now - hour_ago < 3700 * NANOS_PER_SECOND
        );
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn tags_split_at_the_first_equals_sign() {
        assert_eq!(
            parse_tag("q=a=b").unwrap(),
            TagFilter::Equals { key: "q".into(), value: "a=b".into(), or_event: true }
        );
        assert!(parse_tag("=x").is_err());
        assert!(parse_tag("novalue").is_err());
    }

    #[test]
    fn large_results_are_gathered_window_by_window_each_trace_once() {
        use crate::store::StoreConfig;
        use translators::otlp::model::{ResourceSpans, ScopeSpans, Span};
        let dir =
            std::env::temp_dir().join(format!("otelbridge-search-pages-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store =
            Store::open(&StoreConfig { data_dir: dir.clone(), ..StoreConfig::default() }).unwrap();
        let base = now_unix_nanos() - 3600 * NANOS_PER_SECOND;
        // 30 traces a second apart; each also has a late span 40 s after its first, so a trace's spans fall
        // in different windows and several traces overlap in time.
        let mut spans = Vec::new();
        for t in 0..30u64 {
            for (i, offset) in [0, 40].into_iter().enumerate() {
                spans.push(Span {
                    trace_id: [[1; 8], (t + 1).to_be_bytes()].concat(),
                    span_id: [(t + 1).to_be_bytes()[4..].to_vec(), vec![0, 0, 0, i as u8 + 1]]
                        .concat(),
                    name: "op".into(),
                    start_time_unix_nano: base + (t + offset) * NANOS_PER_SECOND,
                    end_time_unix_nano: base + (t + offset) * NANOS_PER_SECOND + 1000,
                    ..Span::default()
                });
            }
        }
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
                ..Default::default()
            }],
        };
        store.ingest(&request).unwrap();
        store.commit().unwrap();
        let window = (base, base + 3600 * NANOS_PER_SECOND);
        let filter = SpanFilter::default();
        let newest_first: Vec<u64> = (1..=30).rev().collect();
        let number = |id: &TraceId| u64::from_be_bytes(id[8..].try_into().unwrap());
        for page in [1, 4, 7, 1000] {
            let found = find_trace_ids_paged(&store, &filter, window, None, page).unwrap();
            assert_eq!(
                found.ids.iter().map(number).collect::<Vec<_>>(),
                newest_first,
                "page {page}"
            );
            assert!(!found.more);
            let found = find_trace_ids_paged(&store, &filter, window, Some(12), page).unwrap();
            assert_eq!(
                found.ids.iter().map(number).collect::<Vec<_>>(),
                newest_first[..12],
                "page {page}"
            );
            assert!(found.more);
            let found = find_trace_ids_paged(&store, &filter, window, Some(30), page).unwrap();
            assert_eq!(found.ids.len(), 30);
            assert!(!found.more, "exactly as many as asked for is not more");
        }
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(850), "850ns");
        assert_eq!(format_duration(12_500), "12.5µs");
        assert_eq!(format_duration(3_250_000), "3.25ms");
        assert_eq!(format_duration(1_500_000_000), "1.500s");
        assert_eq!(format_duration(125 * NANOS_PER_SECOND), "2m05s");
    }
}
