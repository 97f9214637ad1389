//! `otelbridge validate --config FILE`: every problem of a configuration, with its key path.

use super::run::load;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `otelbridge validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Config file to check (YAML, or TOML by its `.toml` extension); `OTELBRIDGE_*` overrides apply.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

/// Exit 0 and a summary when the config is valid; exit 1 and one `error: <path>: <problem>` line per problem.
pub fn run(args: ValidateArgs) -> ExitCode {
    match load(Some(&args.config), std::path::Path::new(super::run::DEFAULT_DATA_DIR)) {
        Ok(config) => {
            println!(
                "{}: valid ({} receivers, {} processors, {} exporters, {} pipelines)",
                args.config.display(),
                config.receivers.len(),
                config.processors.len(),
                config.exporters.len(),
                config.pipelines.len()
            );
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in &problems.0 {
                eprintln!("error: {problem}");
            }
            eprintln!("{}: {} problem(s)", args.config.display(), problems.0.len());
            ExitCode::FAILURE
        }
    }
}
