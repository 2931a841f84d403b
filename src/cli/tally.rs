//! `oncoqual tally`: evaluate one shard of charts and fold it into a tally file; and the
//! input handling `tally` and `benchmark` share: chart files read under one ledger (a chart
//! given twice anywhere is refused with both locations), tally files merged only when they
//! agree (same library, calendar, chart key, no shared chart), the chart key.

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::benchmark::Tally;
use crate::chart::{ChartKey, FindingKind};
use crate::io::ChartLedger;
use crate::measure::Library;
use crate::pipeline::{Run, tally_jsonl_with};
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
    /// Only these measures (repeatable; a composite brings its components). The result is
    /// an analysis of those measures: it states the selection, never merges with tallies
    /// of the whole library, and cannot be a final report or support certification.
    #[arg(long = "measure", value_name = "ID")]
    measures: Vec<String>,
    /// Reporting period `START..END` for every chart (default: each chart's round).
    #[arg(long)]
    period: Option<Period>,
    /// A round-calendar file overriding the default reporting periods.
    #[arg(long)]
    rounds: Option<PathBuf>,
    /// A file holding the program-wide secret that keys chart digests (at least 16 bytes).
    /// Every shard of one report must use the same one; without it digests are unkeyed.
    #[arg(long, value_name = "FILE")]
    chart_key: Option<PathBuf>,
    /// Parse and validate every field of every chart, whatever the measures read. A run
    /// over the whole library does so anyway; a run over `--measure` ids otherwise parses
    /// only the fields those measures read (and each chart's id, practice and round, and the
    /// fields the checks of kept fields compare): the fields it does not read are checked
    /// for JSON syntax and for unknown or repeated keys only, not for their types, values
    /// or cross-field checks. `validate` always checks every field.
    #[arg(long)]
    validate_all: bool,
    /// Output file (standard output when absent or `-`).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// The chart key of `--chart-key FILE`, or unkeyed.
pub(crate) fn chart_key(path: Option<&Path>) -> io::Result<ChartKey> {
    let Some(path) = path else {
        return Ok(ChartKey::unkeyed());
    };
    let secret = crate::io::file::read_bytes(path, crate::io::file::MAX_CONFIG_BYTES)?;
    ChartKey::from_secret(&secret).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}

/// Chart files folded into one tally.
pub(crate) struct Folded {
    pub(crate) tally: Tally,
    /// Invalid records (reported on standard error, skipped).
    pub(crate) invalid: usize,
    /// Records repeating a chart already read (reported with both locations).
    pub(crate) duplicates: usize,
}

/// Duplicate messages printed per file; the rest are counted.
const SHOWN_DUPLICATES: usize = 10;

/// Streams chart files into one tally (`pipeline::tally_jsonl_with`: parsed and evaluated
/// in parallel, a batch at a time, as `run` asks: the whole library, or a selection parsed
/// under its projection), under one ledger: a chart (id, practice, round) read twice,
/// in one file or two, is reported with both locations. Invalid records are reported on
/// standard error (where, never what) and skipped.
pub(crate) fn fold_files(
    lib: &Library,
    files: &[PathBuf],
    period: Option<Period>,
    calendar: &RoundCalendar,
    key: ChartKey,
    run: Run<'_>,
) -> io::Result<Folded> {
    let mut tally = Tally::with_key(key.clone());
    let (mut invalid, mut duplicates) = (0usize, 0usize);
    let per = |c: &Chart| period.unwrap_or_else(|| calendar.period(c.round));
    let mut ledger = ChartLedger::new(key);
    let paths: Vec<&std::path::Path> = files.iter().map(PathBuf::as_path).collect();
    let bar = super::progress::over_files(&paths, "tallying", false);
    for file in files {
        let name = file.display().to_string();
        // A file that cannot be opened is reported and counted like invalid records, and
        // the other files are still read.
        let mut reader = match super::evaluate::charts_counted(file, &bar) {
            Ok(r) => r.sharing(ledger, &name),
            Err(e) => {
                // Counts of files and records read (here and below): they cannot reach
                // `usize::MAX`.
                invalid = invalid.saturating_add(1);
                writeln!(io::stderr(), "{e}")?;
                continue;
            }
        };
        let (mut failed, mut here) = (None, 0usize);
        let part = tally_jsonl_with(lib, &mut reader, run, per, |e| {
            let dup = e
                .findings
                .iter()
                .any(|f| matches!(f.kind, FindingKind::DuplicateChartId { .. }));
            if dup {
                duplicates = duplicates.saturating_add(1);
                here = here.saturating_add(1);
                if here > SHOWN_DUPLICATES {
                    return ControlFlow::Continue(());
                }
            } else {
                invalid = invalid.saturating_add(1);
            }
            match bar.suspend(|| writeln!(io::stderr(), "{name}: {e}")) {
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
        if let Some(more) = here.checked_sub(SHOWN_DUPLICATES).filter(|m| *m > 0) {
            writeln!(
                io::stderr(),
                "{name}: … and {more} more records repeating a chart already read"
            )?;
        }
        let part = part.map_err(|e| refused(&name, &e.to_string()))?;
        // Disjoint by the ledger: only a stamp difference could refuse.
        tally
            .merge(&part)
            .map_err(|e| refused(&name, &e.to_string()))?;
        ledger = reader.into_ledger();
    }
    bar.finish_and_clear();
    Ok(Folded {
        tally,
        invalid,
        duplicates,
    })
}

/// The error that refuses an input.
pub(crate) fn refused(input: &str, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{input}: refused: {why}"),
    )
}

/// The refusal of a run whose chart files repeat charts.
pub(crate) fn duplicates_refused(n: usize, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "refused: {n} record{} repeat a chart already read (the same chart id, practice and round; listed above): counting {} would inflate the counts, so no {what} was written",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" }
        ),
    )
}

/// Reads a tally file.
pub(crate) fn read_tally(path: &Path) -> io::Result<Tally> {
    let text = crate::io::file::read_text(path, crate::io::file::MAX_DATA_BYTES)?;
    serde_json::from_str(&text).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}:{}:{}: not a tally: {e}",
                path.display(),
                e.line(),
                e.column()
            ),
        )
    })
}

/// Merges tally files into `into` (whose charts came from `first_name`, when any), in
/// order. A file that cannot be merged is refused naming it, the earlier input it
/// conflicts with and why; with `verbose`, each input's stamp is printed on standard error.
pub(crate) fn merge_files(
    library: &crate::Library,
    into: &mut Tally,
    first_name: Option<&str>,
    files: &[PathBuf],
    verbose: bool,
) -> io::Result<()> {
    if verbose && let (Some(name), Some(stamp)) = (first_name, into.stamp()) {
        writeln!(io::stderr(), "{name}: {stamp}")?;
    }
    // What `into` held before any file, to name it in a refusal: kept only when a refusal
    // could need it (a named first input and files to merge), since it may be large.
    let seed = first_name
        .filter(|_| !files.is_empty())
        .map(|_| into.clone());
    // Every file is read: each that cannot be is reported, and the merge is refused
    // after the last one (a report without one of its tallies would be wrong).
    let mut unreadable = 0usize;
    for (i, file) in files.iter().enumerate() {
        let t = match read_tally(file) {
            Ok(t) => t,
            Err(e) => {
                // A count of files: it cannot reach `usize::MAX`.
                unreadable = unreadable.saturating_add(1);
                writeln!(io::stderr(), "{e}")?;
                continue;
            }
        };
        t.check_strata(library)
            .map_err(|e| refused(&file.display().to_string(), &e.to_string()))?;
        if verbose {
            match t.stamp() {
                Some(stamp) => writeln!(io::stderr(), "{}: {stamp}", file.display())?,
                None => writeln!(io::stderr(), "{}: empty tally", file.display())?,
            }
        }
        let Err(e) = into.merge(&t) else { continue };
        // Find the earlier input it conflicts with, to name both sides: the pairwise error
        // says what these two disagree on.
        let this = file.display().to_string();
        if let (Some(name), Some(seed)) = (first_name, &seed)
            && let Err(pair) = seed.clone().merged(&t)
        {
            return Err(refused(
                &this,
                &format!("cannot be merged with `{name}`: {pair}"),
            ));
        }
        for earlier in files.iter().take(i) {
            if let Err(pair) = read_tally(earlier)?.merged(&t) {
                return Err(refused(
                    &this,
                    &format!("cannot be merged with `{}`: {pair}", earlier.display()),
                ));
            }
        }
        return Err(refused(&this, &format!("cannot be merged: {e}")));
    }
    if unreadable > 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "refused: {unreadable} of {} tally files could not be read (listed above)",
                files.len()
            ),
        ));
    }
    Ok(())
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let lib = match super::check::load_selected(args.specs.as_deref(), &args.measures)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let calendar = super::evaluate::calendar(args.rounds.as_deref())?;
    let key = chart_key(args.chart_key.as_deref())?;
    let run = Run::library().validate_all(args.validate_all);
    let folded = fold_files(&lib, &args.charts, args.period, &calendar, key, run)?;
    if folded.duplicates > 0 {
        return Err(duplicates_refused(folded.duplicates, "tally"));
    }
    let mut inputs: Vec<&Path> = args.charts.iter().map(PathBuf::as_path).collect();
    inputs.extend(args.rounds.as_deref());
    inputs.extend(args.chart_key.as_deref());
    let mut out = super::output(args.output.as_deref(), &inputs)?;
    serde_json::to_writer(&mut out, &folded.tally)?;
    out.write_all(b"\n")?;
    out.finish()?;
    Ok(if folded.invalid == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
