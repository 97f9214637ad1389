//! `otelbridge translate`: one format in, another out, through OTLP.
//!
//! Exit codes: 0 all spans translated; 1 nothing could be read (broken input, I/O error);
//! 3 some spans were rejected one by one — the others were written and every rejection was
//! reported on stderr.

use clap::Args;
use std::fs;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use translators::{transcode, Format, Rejection};

/// Exit code when some spans were rejected and the rest written.
const EXIT_PARTIAL: u8 = 3;

/// Arguments of `otelbridge translate`.
#[derive(Debug, Args)]
#[command(after_help = "Formats: run `otelbridge translate --list-formats`.\n\
                  Exit codes: 0 all translated, 1 nothing could be read, 3 some spans rejected (reported on stderr).")]
pub struct TranslateArgs {
    /// Print the known formats with a one-line description and exit.
    #[arg(long, exclusive = true)]
    list_formats: bool,
    /// Input format.
    #[arg(long, value_name = "FORMAT", required_unless_present = "list_formats")]
    from: Option<Format>,
    /// Output format.
    #[arg(long, value_name = "FORMAT", required_unless_present = "list_formats")]
    to: Option<Format>,
    /// Read from this file instead of stdin.
    #[arg(long, value_name = "PATH")]
    input: Option<PathBuf>,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "PATH")]
    output: Option<PathBuf>,
}

/// Runs the command and returns the process exit code.
pub fn run(args: TranslateArgs) -> ExitCode {
    if args.list_formats {
        return list_formats();
    }
    let (Some(from), Some(to)) = (args.from, args.to) else {
        unreachable!("clap requires --from and --to unless --list-formats");
    };
    match translate(from, to, args.input.as_deref(), args.output.as_deref()) {
        Ok(rejected) if rejected.is_empty() => ExitCode::SUCCESS,
        Ok(rejected) => {
            for r in &rejected {
                eprintln!("rejected: {r}");
            }
            eprintln!("{} span(s) rejected; the others were written", rejected.len());
            ExitCode::from(EXIT_PARTIAL)
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn list_formats() -> ExitCode {
    let width = Format::ALL.iter().map(|f| f.name().len()).max().unwrap_or(0);
    let mut out = String::new();
    for f in Format::ALL {
        out.push_str(&format!("{:width$}  {}\n", f.name(), f.description()));
    }
    print!("{out}");
    ExitCode::SUCCESS
}

/// Translates and returns the rejections (decode and encode side); `Err` when nothing could
/// be read or written.
fn translate(
    from: Format,
    to: Format,
    input: Option<&std::path::Path>,
    output: Option<&std::path::Path>,
) -> Result<Vec<Rejection>, String> {
    let bytes = match input {
        Some(path) => fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        None => {
            let mut buf = Vec::new();
            io::stdin().read_to_end(&mut buf).map_err(|e| format!("cannot read stdin: {e}"))?;
            buf
        }
    };
    // Same output as decode then encode (OTLP/JSON keeps one line per input request, other
    // formats get every request merged), with the direct routes where they exist.
    let encoded = transcode(from, to, &bytes).map_err(|e| e.to_string())?;
    let (out, rejected) = (encoded.bytes, encoded.rejected);

    match output {
        Some(path) => {
            fs::write(path, &out).map_err(|e| format!("cannot write {}: {e}", path.display()))?
        }
        None => {
            let mut stdout = io::stdout().lock();
            stdout
                .write_all(&out)
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("cannot write stdout: {e}"))?;
        }
    }
    Ok(rejected)
}
