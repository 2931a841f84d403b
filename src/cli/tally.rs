//! `oncoqual tally`: evaluate one shard of charts and fold it into a tally file.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use std::ops::ControlFlow;

use crate::benchmark::{Tally, tally_jsonl};
use crate::measure::Library;
use crate::{Chart, Period, RoundCalendar};

/// Arguments of `oncoqual tally`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Chart files (JSONL; `-` for standard input).
    #[arg(long, required = true, num_args = 1..)]
    charts: Vec<PathBuf>,
    /// The measure-spec directory; the bundled library when absent.
    #[arg(long)]
    specs: Option<PathBuf>,
    /// Reporting period `START..END` for every chart (default: each chart's round).
    #[arg(long)]
    period: Option<Period>,
    /// A round-calendar file overriding the default reporting periods.
    #[arg(long)]
    rounds: Option<PathBuf>,
    /// Output file (standard output when absent or `-`).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Streams chart files into a tally (`benchmark::tally_jsonl`: parsed and evaluated in
/// parallel, a batch at a time). Invalid records are reported on standard error (where,
/// never what) and skipped; returns the tally and the number of invalid records.
pub(crate) fn fold_files(
    lib: &Library,
    files: &[PathBuf],
    period: Option<Period>,
    calendar: &RoundCalendar,
) -> io::Result<(Tally, usize)> {
    let mut tally = Tally::new();
    let mut bad = 0usize;
    let per = |c: &Chart| period.unwrap_or_else(|| calendar.period(c.round));
    for file in files {
        let mut failed = None;
        let part = tally_jsonl(lib, super::evaluate::charts(file)?, per, |e| {
            bad += 1;
            match writeln!(io::stderr(), "{}: {e}", file.display()) {
                Ok(()) => ControlFlow::Continue(()),
                Err(err) => {
                    failed = Some(err);
                    ControlFlow::Break(())
                }
            }
        });
        if let Some(err) = failed {
            return Err(err);
        }
        tally.merge(&part);
    }
    Ok((tally, bad))
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let lib = match super::check::load(args.specs.as_deref())? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let calendar = super::evaluate::calendar(args.rounds.as_deref())?;
    let (tally, bad) = fold_files(&lib, &args.charts, args.period, &calendar)?;
    let mut out = super::output(args.output.as_deref())?;
    serde_json::to_writer(&mut out, &tally)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
