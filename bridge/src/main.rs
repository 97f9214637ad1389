//! The `otelbridge` command line.

use clap::{Parser, Subcommand};
use otelbridge::commands;
use std::process::ExitCode;

// glibc malloc is 30-50 % of the translators' time (docs/performance.md); mimalloc halves that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Bridge legacy Jaeger, Zipkin, Prometheus and ELK telemetry to OpenTelemetry (OTLP) and back.
#[derive(Debug, Parser)]
#[command(name = "otelbridge", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the bridge: receivers, pipelines, exporters (embedded default without --config).
    Run(commands::run::RunArgs),
    /// Check a config file and report every problem with its key path.
    Validate(commands::validate::ValidateArgs),
    /// Translate trace data between formats (files or stdin/stdout).
    Translate(commands::translate::TranslateArgs),
    /// Send spans at a fixed rate to a bridge and report loss, CPU % and RSS (a testbed load generator).
    Loadgen(Box<commands::loadgen::LoadgenArgs>),
    /// Search the embedded store: `search traces` (table or --json), `search logs` (Lucene-style query).
    Search(commands::search::SearchArgs),
    /// Write the store's traces matching a search in any `translate` format.
    Export(Box<commands::export::ExportArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => commands::run::run(args),
        Command::Validate(args) => commands::validate::run(args),
        Command::Translate(args) => commands::translate::run(args),
        Command::Loadgen(args) => commands::loadgen::run(*args),
        Command::Search(args) => commands::search::run(args),
        Command::Export(args) => commands::export::run(*args),
    }
}
