//! `otelbridge export`: the traces of the embedded store matching a search, written in any `translate`
//! format — to move archived data into a legacy system or another store.
//!
//! What the output holds, per format: `otlp-json` one `ExportTraceServiceRequest` per trace and line (NDJSON,
//! what `translate --from otlp-json` and `jq` read); `jaeger-json` one document `{"data":[..]}` with one entry
//! per trace (the query API's shape); the Zipkin JSON and v1 Thrift formats and `jaeger-proto` one list /
//! request holding every span; `otlp-proto`, `zipkin-proto` and the Jaeger Thrift formats the concatenation of
//! one message per batch of traces, which their readers take as one (protobuf merges repeated fields; the
//! Thrift readers read message after message). Traces are written most recent first.
//!
//! Exit codes: 0 everything written (also when nothing matched: `no traces found` on stderr); 1 the store
//! could not be read or the output written; 2 no store in `--data-dir`, a bad flag value, or binary output to
//! a terminal; 3 some spans could not be carried by the format — each is reported on stderr, the rest written.

use crate::commands::search::{
    find_trace_ids, open_store, parse_time, time_window, trace_id_hex, StoreArgs, TraceFilterArgs,
    EXIT_USAGE,
};
use crate::store::query::TraceId;
use crate::store::{Store, StoreError};
use clap::Args;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use translators::otlp::attributes;
use translators::otlp::model::ResourceSpans;
use translators::{encode_traces, ExportTraceServiceRequest, Format, Rejection};

/// Exit code when some spans could not be written in the format and the rest were.
const EXIT_PARTIAL: u8 = 3;

/// Arguments of `otelbridge export`.
#[derive(Debug, Args)]
#[command(after_help = "Formats: those of `otelbridge translate --list-formats`.\n\
                  otlp-json writes one ExportTraceServiceRequest per trace and line; jaeger-json one \
                  {\"data\":[..]} document with one entry per trace; the other formats one request or list \
                  (or concatenated messages, which their readers take as one).\n\
                  Exit codes: 0 all written, 1 store or output error, 2 no store in --data-dir or a bad flag, \
                  3 some spans rejected by the format (each reported on stderr, the rest written).")]
pub struct ExportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Traces with a matching span that started at or after this time: a duration ago (`15m`, `1h`, `2d`) or
    /// an RFC 3339 time (`2026-11-25T13:00:00Z`).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since: u64,
    #[command(flatten)]
    filter: TraceFilterArgs,
    /// At most this many traces, the most recent first. Default: every matching trace.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    limit: Option<u32>,
    /// Output format (a `translate` format name).
    #[arg(long, value_name = "FORMAT")]
    to: Format,
    /// Write to this file (replaced once complete) instead of stdout; `-` is stdout.
    #[arg(long, value_name = "FILE", default_value = "-")]
    output: PathBuf,
    /// Traces fetched and encoded at a time (memory versus store round trips).
    #[arg(long, hide = true, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    batch_traces: u32,
}

/// How a format's output is put together from batches of traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One encoding per trace, one after another (NDJSON).
    PerTrace,
    /// One encoding per batch of traces, concatenated: the format's readers take the concatenation as one.
    Concatenated,
    /// One encoding of every trace at once: a JSON document, a counted Thrift list, or a protobuf message whose
    /// singular fields would merge wrongly if concatenated.
    Whole,
}

fn layout(format: Format) -> Layout {
    match format {
        Format::OtlpJson => Layout::PerTrace,
        Format::OtlpProto
        | Format::ZipkinProto
        | Format::JaegerThriftCompact
        | Format::JaegerThriftBinary => Layout::Concatenated,
        Format::JaegerProto
        | Format::JaegerJson
        | Format::ZipkinJson
        | Format::ZipkinV1Json
        | Format::ZipkinV1Thrift => Layout::Whole,
    }
}

/// Runs the command and returns the process exit code.
pub fn run(args: ExportArgs) -> ExitCode {
    let to_stdout = args.output.as_os_str() == "-";
    if to_stdout && !args.to.is_text() && io::stdout().is_terminal() {
        eprintln!(
            "error: {} is binary; not writing it to a terminal (use --output FILE or a pipe)",
            args.to
        );
        return ExitCode::from(EXIT_USAGE);
    }
    let store = match open_store(&args.store.data_dir) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let Some(window) = time_window(&store, Some(args.since), args.filter.until) else {
        return ExitCode::from(EXIT_USAGE);
    };
    let found = match find_trace_ids(
        &store,
        &args.filter.span_filter(),
        window,
        args.limit.map(|l| l as usize),
    ) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if found.ids.is_empty() {
        eprintln!("no traces found");
    }
    let mut sink = match Sink::open(&args.output) {
        Ok(sink) => sink,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = export(&store, &found.ids, args.to, args.batch_traces as usize, &mut sink);
    let outcome = match outcome.and_then(|outcome| sink.finish().map(|()| outcome)) {
        Ok(outcome) => outcome,
        Err(ExportError::Store(e)) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        Err(ExportError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            return ExitCode::SUCCESS
        }
        Err(ExportError::Write(e)) => {
            eprintln!("error: cannot write {}: {e}", sink.name());
            return ExitCode::FAILURE;
        }
    };
    let written = outcome.spans - outcome.rejected.len();
    eprintln!(
        "exported {} trace(s), {written} span(s) as {} to {}",
        outcome.traces,
        args.to,
        sink.name()
    );
    if found.more {
        eprintln!("stopped at --limit {}; more traces match", found.ids.len());
    }
    if outcome.rejected.is_empty() {
        return ExitCode::SUCCESS;
    }
    for r in &outcome.rejected {
        eprintln!("rejected: {r}");
    }
    eprintln!(
        "{} span(s) rejected: {} cannot carry them; the other {written} were written",
        outcome.rejected.len(),
        args.to
    );
    ExitCode::from(EXIT_PARTIAL)
}

/// Why an export stopped part way.
#[derive(Debug, thiserror::Error)]
enum ExportError {
    /// Reading the traces failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the output failed.
    #[error(transparent)]
    Write(#[from] io::Error),
}

/// What was exported.
#[derive(Debug, Default)]
struct Outcome {
    traces: usize,
    /// Spans read from the store (written plus rejected).
    spans: usize,
    /// Spans the format could not carry, described by trace and span.
    rejected: Vec<String>,
}

/// Fetches the traces `ids` in batches and writes them to `out` in `format`.
fn export(
    store: &Store,
    ids: &[TraceId],
    format: Format,
    batch: usize,
    out: &mut Sink,
) -> Result<Outcome, ExportError> {
    let layout = layout(format);
    let mut outcome = Outcome::default();
    let mut whole = Batch::default();
    for chunk in ids.chunks(batch) {
        let mut current = Batch::default();
        for (id, request) in store.traces(chunk)? {
            outcome.traces += 1;
            outcome.spans += translators::otlp::span_count(&request);
            if layout == Layout::PerTrace {
                let mut single = Batch::default();
                single.push(id, request);
                single.write(format, out, &mut outcome.rejected)?;
            } else {
                current.push(id, request);
            }
        }
        match layout {
            Layout::PerTrace => {}
            Layout::Concatenated => current.write(format, out, &mut outcome.rejected)?,
            Layout::Whole => whole.append(current),
        }
    }
    // An empty export still writes an empty document where the format has one (`{"data":[]}`, `[]`).
    if layout == Layout::Whole || (layout == Layout::Concatenated && ids.is_empty()) {
        whole.write(format, out, &mut outcome.rejected)?;
    }
    Ok(outcome)
}

/// Traces to encode together, remembering which trace each resource entry came from (to name rejected spans).
#[derive(Default)]
struct Batch {
    resource_spans: Vec<ResourceSpans>,
    trace_of_resource: Vec<TraceId>,
}

impl Batch {
    fn push(&mut self, id: TraceId, request: ExportTraceServiceRequest) {
        for rs in request.resource_spans {
            self.resource_spans.push(rs);
            self.trace_of_resource.push(id);
        }
    }

    fn append(&mut self, other: Batch) {
        self.resource_spans.extend(other.resource_spans);
        self.trace_of_resource.extend(other.trace_of_resource);
    }

    fn write(
        self,
        format: Format,
        out: &mut Sink,
        rejected: &mut Vec<String>,
    ) -> Result<(), io::Error> {
        let request = ExportTraceServiceRequest { resource_spans: self.resource_spans };
        let encoded = encode_traces(format, &request);
        for r in &encoded.rejected {
            rejected.push(describe(r, &request, &self.trace_of_resource));
        }
        out.write_all(&encoded.bytes)
    }
}

/// A rejection named by trace id, span id, service and span name: the encoder names the span by its place in
/// the request it was given, which means nothing outside this command.
fn describe(
    rejection: &Rejection,
    request: &ExportTraceServiceRequest,
    traces: &[TraceId],
) -> String {
    let Some((i, j, k)) = span_position(&rejection.item) else {
        return rejection.to_string();
    };
    let Some(rs) = request.resource_spans.get(i) else {
        return rejection.to_string();
    };
    let Some(span) = rs.scope_spans.get(j).and_then(|ss| ss.spans.get(k)) else {
        return rejection.to_string();
    };
    let service = rs
        .resource
        .as_ref()
        .and_then(|r| attributes::get_str(&r.attributes, "service.name"))
        .unwrap_or("");
    format!(
        "trace {} span {} ({service} {:?}): {}",
        traces.get(i).map(trace_id_hex).unwrap_or_default(),
        translators::ids::to_hex(&span.span_id),
        span.name,
        rejection.reason
    )
}

/// `(i, j, k)` of an item named `resourceSpans[i].scopeSpans[j].spans[k]...`.
fn span_position(item: &str) -> Option<(usize, usize, usize)> {
    let index = |text: &str, prefix: &str| -> Option<(usize, usize)> {
        let rest = text.strip_prefix(prefix)?;
        let end = rest.find(']')?;
        Some((rest[..end].parse().ok()?, prefix.len() + end + 1))
    };
    let (i, used) = index(item, "resourceSpans[")?;
    let item = &item[used..];
    let (j, used) = index(item, ".scopeSpans[")?;
    let (k, _) = index(&item[used..], ".spans[")?;
    Some((i, j, k))
}

/// Where the export goes: stdout, or a temporary file renamed over `path` once complete (a failed export
/// leaves no half-written file behind).
enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File { out: BufWriter<File>, partial: PathBuf, path: PathBuf },
}

impl Sink {
    fn open(path: &Path) -> Result<Sink, String> {
        if path.as_os_str() == "-" {
            return Ok(Sink::Stdout(BufWriter::new(io::stdout())));
        }
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = File::create(&partial)
            .map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
        Ok(Sink::File { out: BufWriter::new(file), partial, path: path.to_path_buf() })
    }

    fn name(&self) -> String {
        match self {
            Sink::Stdout(_) => "stdout".to_owned(),
            Sink::File { path, .. } => path.display().to_string(),
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.write_all(bytes),
            Sink::File { out, .. } => out.write_all(bytes),
        }
    }

    fn finish(&mut self) -> Result<(), ExportError> {
        match self {
            Sink::Stdout(out) => out.flush()?,
            Sink::File { out, partial, path } => {
                out.flush()?;
                out.get_ref().sync_all()?;
                std::fs::rename(&*partial, &*path)?;
            }
        }
        Ok(())
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // Still there only when the export failed before the rename.
        if let Sink::File { partial, .. } = self {
            let _ = std::fs::remove_file(partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_items_give_their_span_position() {
        assert_eq!(
            span_position("resourceSpans[12].scopeSpans[0].spans[3] (span id 00000000000000ff)"),
            Some((12, 0, 3))
        );
        assert_eq!(span_position("$.data[0].spans[1]"), None);
    }
}
