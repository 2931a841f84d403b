//! `oncoqual test [DIR]`: run the test deck (`DIR/<measure-id>/*.json`) against a library.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::measure::run_cases;

/// Arguments of `oncoqual test`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The case directory.
    #[arg(default_value = "tests/cases")]
    dir: PathBuf,
    /// The measure-spec directory; the bundled library when absent.
    #[arg(long)]
    specs: Option<PathBuf>,
    /// A round-calendar file overriding the default reporting periods.
    #[arg(long)]
    rounds: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let lib = match super::check::load(args.specs.as_deref())? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let calendar = super::evaluate::calendar(args.rounds.as_deref())?;
    let report =
        run_cases(&lib, &args.dir, &calendar).map_err(|e| super::with_path(e, &args.dir))?;
    let mut out = io::stdout().lock();
    for f in &report.failures {
        write!(out, "{f}")?;
    }
    // Two counts of cases read from files: far below `usize::MAX`.
    let total = report.passed.saturating_add(report.failures.len());
    writeln!(
        out,
        "{} of {total} cases passed over {} measures; {} failed",
        report.passed,
        report.per_measure.len(),
        report.failures.len()
    )?;
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
