//! The `otelbridge` command line.

mod commands;

use clap::{Parser, Subcommand};
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
    /// Translate trace data between formats (files or stdin/stdout).
    Translate(commands::translate::TranslateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Translate(args) => commands::translate::run(args),
    }
}
