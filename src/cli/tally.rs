//! `oncoqual tally`: evaluate one shard of charts and fold it into a tally file.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::benchmark::{Tally, tally_parallel};
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

/// Charts evaluated per parallel batch: memory is bounded by one batch plus the tally.
const BATCH: usize = 8192;

/// Streams chart files into a tally, evaluating each batch in parallel. Invalid records
/// are reported on standard error (where, never what) and skipped; returns the tally and
/// the number of invalid records.
pub(crate) fn fold_files(
    lib: &Library,
    files: &[PathBuf],
    period: Option<Period>,
    calendar: &RoundCalendar,
) -> io::Result<(Tally, usize)> {
    let mut tally = Tally::new();
    let mut bad = 0usize;
    let mut batch: Vec<Chart> = Vec::with_capacity(BATCH);
    let per = |c: &Chart| period.unwrap_or_else(|| calendar.period(c.round));
    let mut records = Vec::with_capacity(BATCH);
    for file in files {
        // Lines are parsed and validated in parallel, a batch at a time, then evaluated in
        // parallel: both stages use every core.
        let mut reader = super::evaluate::charts(file)?;
        while reader.next_batch(BATCH, &mut records) {
            for record in records.drain(..) {
                match record {
                    Ok(c) => batch.push(c.chart),
                    Err(e) => {
                        bad += 1;
                        writeln!(io::stderr(), "{}: {e}", file.display())?;
                    }
                }
            }
            if batch.len() >= BATCH {
                tally.merge(&tally_parallel(lib, &batch, per));
                batch.clear();
            }
        }
    }
    tally.merge(&tally_parallel(lib, &batch, per));
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
