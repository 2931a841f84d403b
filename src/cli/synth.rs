//! `oncoqual synth`: write deterministic synthetic charts as JSONL.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::RoundId;
use crate::synth::{SynthConfig, write_jsonl};

/// Arguments of `oncoqual synth`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Number of charts.
    #[arg(long, default_value_t = 1000)]
    charts: usize,
    /// Number of practices the charts are spread over.
    #[arg(long, default_value_t = 10)]
    practices: usize,
    /// Number of consecutive rounds.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// Random seed: the same arguments always give byte-identical output.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First round (`YYYY-1` or `YYYY-2`).
    #[arg(long, default_value = "2026-1")]
    first_round: RoundId,
    /// Output file (standard output when absent or `-`).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Also write the matching practices file (registrations) here.
    #[arg(long)]
    practices_out: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    if args.practices == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--practices must be at least 1",
        ));
    }
    if args.rounds == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--rounds must be at least 1",
        ));
    }
    let mut config = SynthConfig::new(args.charts, args.practices, args.rounds, args.seed);
    config.first_round = args.first_round;
    // The two outputs must be two files (checked by name too, since neither may exist yet).
    if let (Some(a), Some(b)) = (&args.practices_out, &args.output)
        && (a == b || super::output::same_file(a, b))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{}: refused: `--practices-out` and `-o` name the same file",
                a.display()
            ),
        ));
    }
    if let Some(path) = &args.practices_out {
        let text = crate::synth::practices(&config).to_json();
        super::write_file(path, &[], (text + "\n").as_bytes())?;
    }
    let mut out = super::output(args.output.as_deref(), &[])?;
    write_jsonl(&config, &mut out)?;
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}
