//! `oncoqual benchmark`: merge tallies (or tally charts) and write the round report.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::benchmark::{Report, ReportOptions, Tally};
use crate::program::Practices;
use crate::{Date, Period};

/// Arguments of `oncoqual benchmark`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("input").required(true).args(["charts", "tallies"]))]
pub(crate) struct Args {
    /// Chart files (JSONL) to evaluate and tally.
    #[arg(long, num_args = 1..)]
    charts: Vec<PathBuf>,
    /// Tally files (from `oncoqual tally`) to merge, in any order.
    #[arg(long, num_args = 1..)]
    tallies: Vec<PathBuf>,
    /// The measure-spec directory; the bundled library when absent.
    #[arg(long)]
    specs: Option<PathBuf>,
    /// Reporting period `START..END` for every chart (default: each chart's round).
    #[arg(long)]
    period: Option<Period>,
    /// A round-calendar file overriding the default reporting periods.
    #[arg(long)]
    rounds: Option<PathBuf>,
    /// The issue date written in the report (`YYYY-MM-DD`; default: the day after the last
    /// round's reporting period ends).
    #[arg(long)]
    issued_on: Option<String>,
    /// Mark the report as the round's final report.
    #[arg(long = "final")]
    final_report: bool,
    /// Minimum rate denominator for the distribution.
    #[arg(long, default_value_t = 10)]
    min_denominator: u64,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    level: f64,
    /// The practices file (registrations): practices are scored on their registered
    /// tracks only, and the report lists registration problems and course credits.
    #[arg(long)]
    practices: Option<PathBuf>,
    /// Output file (standard output when absent or `-`).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let lib = match super::check::load(args.specs.as_deref())? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let calendar = super::evaluate::calendar(args.rounds.as_deref())?;
    if !(args.level > 0.0 && args.level < 1.0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--level must be between 0 and 1",
        ));
    }
    let mut tally = Tally::new();
    let mut bad = 0;
    if !args.charts.is_empty() {
        let (t, b) = super::tally::fold_files(&lib, &args.charts, args.period, &calendar)?;
        tally.merge(&t);
        bad += b;
    }
    for file in &args.tallies {
        let text = std::fs::read_to_string(file).map_err(|e| super::with_path(e, file))?;
        let t: Tally = serde_json::from_str(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}:{}:{}: not a tally: {e}",
                    file.display(),
                    e.line(),
                    e.column()
                ),
            )
        })?;
        tally.merge(&t);
    }
    let issued_on = match &args.issued_on {
        Some(s) => Date::parse(s).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "--issued-on must be a date YYYY-MM-DD",
            )
        })?,
        None => tally
            .rounds()
            .last()
            .and_then(|r| calendar.period(*r).end.add_days(1))
            .unwrap_or(Date::MIN),
    };
    let mut options = ReportOptions::default();
    options.aggregate.min_denominator = args.min_denominator;
    options.aggregate.level = args.level;
    let report = match &args.practices {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| super::with_path(e, path))?;
            let practices = Practices::from_json(&text).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            })?;
            Report::build_for(
                &tally,
                &lib,
                &options,
                issued_on,
                args.final_report,
                &practices,
            )
        }
        None => Report::build(
            &tally,
            &lib,
            &options,
            issued_on,
            args.final_report,
            |_, _| true,
        ),
    };
    let mut out = super::output(args.output.as_deref())?;
    serde_json::to_writer_pretty(&mut out, &report)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
