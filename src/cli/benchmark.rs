//! `oncoqual benchmark`: merge tallies (or tally charts) and write the round report.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::benchmark::{ExclusionReason, RegistrationPolicy, Report, ReportOptions};
use crate::program::Practices;
use crate::{Date, Period, RoundCalendar};

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
    /// tracks only, the charts of unregistered practices or registrations with problems do
    /// not count (see --registration), and the report lists course credits. Without it
    /// the report says that registration was not checked.
    #[arg(long)]
    practices: Option<PathBuf>,
    /// What a registration problem does: `strict` (the charts do not count; the default)
    /// or `list-only` (listed, still counted).
    #[arg(long, value_enum, default_value_t = Policy::Strict)]
    registration: Policy,
    /// A file holding the program-wide secret that keys chart digests (as for `tally`).
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
    /// Print each input's stamp (library, oncoqual version, chart key, periods).
    #[arg(short, long)]
    verbose: bool,
    /// Output file (standard output when absent or `-`).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// `--registration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Policy {
    Strict,
    ListOnly,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let lib = match super::check::load_selected(args.specs.as_deref(), &args.measures)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    if args.final_report && !args.measures.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--final cannot be used with --measure: a final report scores the whole library",
        ));
    }
    let calendar = super::evaluate::calendar(args.rounds.as_deref())?;
    if !(args.level > 0.0 && args.level < 1.0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--level must be between 0 and 1",
        ));
    }
    let key = super::tally::chart_key(args.chart_key.as_deref())?;
    // Tally files alone carry their key ids: a key is needed only to digest charts, or to
    // check the files against a given one.
    let mut tally = if args.chart_key.is_some() {
        crate::benchmark::Tally::with_key(key.clone())
    } else {
        crate::benchmark::Tally::new()
    };
    let mut bad = 0;
    if !args.charts.is_empty() {
        let run = crate::pipeline::Run::library().validate_all(args.validate_all);
        let folded =
            super::tally::fold_files(&lib, &args.charts, args.period, &calendar, key, run)?;
        if folded.duplicates > 0 {
            return Err(super::tally::duplicates_refused(
                folded.duplicates,
                "report",
            ));
        }
        tally = folded.tally;
        bad = folded.invalid;
    }
    let charts_name = if !args.charts.is_empty() {
        Some("the charts of --charts")
    } else {
        args.chart_key.as_ref().map(|_| "--chart-key")
    };
    super::tally::merge_files(&lib, &mut tally, charts_name, &args.tallies, args.verbose)?;
    // With --period, every round was evaluated over that period.
    let mut calendar: RoundCalendar = calendar;
    if let Some(p) = args.period {
        for r in tally.rounds() {
            calendar.set(r, p);
        }
    }
    let issued_on = match &args.issued_on {
        Some(s) => Date::parse(s).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "--issued-on must be a date YYYY-MM-DD",
            )
        })?,
        // The day after the last round's period; a report without rounds is dated on
        // the first supported day.
        None => match tally.rounds().last() {
            Some(r) => calendar.period(*r).end.add_days(1).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "round {r} ends on {}, the last supported date: give the report's date with --issued-on",
                        calendar.period(*r).end
                    ),
                )
            })?,
            None => Date::MIN,
        },
    };
    let mut options = ReportOptions::default();
    options.aggregate.min_denominator = args.min_denominator;
    options.aggregate.level = args.level;
    options.registration = match args.registration {
        Policy::Strict => RegistrationPolicy::Strict,
        Policy::ListOnly => RegistrationPolicy::ListOnly,
    };
    let built = match &args.practices {
        Some(path) => {
            let text = crate::io::file::read_text(path, crate::io::file::MAX_CONFIG_BYTES)?;
            let practices = Practices::from_json(&text).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            })?;
            Report::build_for(
                &tally,
                &lib,
                &calendar,
                &options,
                issued_on,
                args.final_report,
                &practices,
            )
        }
        None => Report::build(&tally, &lib, &options, issued_on, args.final_report),
    };
    let report =
        built.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("refused: {e}")))?;
    summarise_registration(&report, &mut io::stderr().lock())?;
    let mut inputs: Vec<&std::path::Path> = args
        .charts
        .iter()
        .chain(&args.tallies)
        .map(PathBuf::as_path)
        .collect();
    inputs.extend(args.practices.as_deref());
    inputs.extend(args.rounds.as_deref());
    inputs.extend(args.chart_key.as_deref());
    let mut out = super::output(args.output.as_deref(), &inputs)?;
    serde_json::to_writer_pretty(&mut out, &report)?;
    out.write_all(b"\n")?;
    out.finish()?;
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One line on standard error per exclusion reason (how many practice-rounds and charts),
/// or that registration was not checked.
pub(crate) fn summarise_registration(report: &Report, err: &mut impl Write) -> io::Result<()> {
    if !report.registration.checked {
        writeln!(
            err,
            "registration was not checked (no --practices): every practice is rated, and no certification eligibility can be read from this report"
        )?;
        return Ok(());
    }
    let mut by_reason: std::collections::BTreeMap<String, (u64, u64)> =
        std::collections::BTreeMap::new();
    for x in &report.registration.exclusions {
        for r in &x.reasons {
            let key = match r {
                // One line for every late registration, whatever its dates.
                ExclusionReason::RegisteredAfterClose { .. } => {
                    "registered after the round closed".to_owned()
                }
                other => other.to_string(),
            };
            let e = by_reason.entry(key).or_default();
            // One per exclusion listed: bounded by the report's length.
            e.0 = e.0.saturating_add(1);
            e.1 = e.1.checked_add(x.charts).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the charts excluded for one reason pass the largest count (an edited or forged report)",
                )
            })?;
        }
    }
    let verb = match report.registration.policy {
        RegistrationPolicy::Strict => "excluded",
        _ => "flagged (still counted)",
    };
    for (reason, (rows, charts)) in by_reason {
        writeln!(
            err,
            "{verb}: {rows} practice-round{} ({charts} chart{}): {reason}",
            if rows == 1 { "" } else { "s" },
            if charts == 1 { "" } else { "s" },
        )?;
    }
    Ok(())
}
