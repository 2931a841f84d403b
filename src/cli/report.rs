//! `oncoqual report`: renders a saved benchmark report (HTML, FHIR, CSV, JSON or Parquet) without
//! re-evaluating; and the writers the demo shares.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::Date;
use crate::benchmark::Report;
use crate::certification::{EligibilityRules, PracticeFacts, eligibility_of_each};
use crate::report::{EligibilityStatus, ReportView, csv, fhir, html};

/// Output formats of `oncoqual report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// A directory: one self-contained folder per practice (`practice-<id>/index.html`),
    /// to be handed to that practice; with `--national-index` also the operator's
    /// `national/index.html`, which names every practice.
    Html,
    /// FHIR R4 summary MeasureReports, one JSON resource per line (NDJSON).
    Fhir,
    /// A directory: `practice_rates.csv`, `national.csv`, `oqs.csv`, `trends.csv`,
    /// `strata.csv` (and `eligibility.csv` with facts).
    Csv,
    /// The report as pretty-printed JSON.
    Json,
    /// A directory of Parquet files, exact decimals and dates typed: the `csv` tables and
    /// `participation.parquet`, `exclusions.parquet` (the Python package's
    /// `Report.to_pandas()` tables; see docs/parquet.md). Needs the `parquet` feature.
    Parquet,
}

/// Arguments of `oncoqual report`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The benchmark report (from `oncoqual benchmark` or `demo`).
    #[arg(long)]
    report: PathBuf,
    /// What to write.
    #[arg(long, value_enum)]
    format: Format,
    /// Output: a directory for `html`, `csv` and `parquet`; a file (default standard output) for
    /// `fhir` and `json`.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The measure-spec directory for titles and versions; the bundled library when absent.
    #[arg(long)]
    specs: Option<PathBuf>,
    /// A round-calendar file overriding the default reporting periods.
    #[arg(long)]
    rounds: Option<PathBuf>,
    /// Practice facts for certification eligibility (a JSON list of `practice`,
    /// `registered_qcp`, `webinar`), as `demo` writes in `facts.json`.
    #[arg(long, requires_all = ["on", "min_charts"])]
    facts: Option<PathBuf>,
    /// The application date eligibility is assessed for (`YYYY-MM-DD`).
    #[arg(long)]
    on: Option<String>,
    /// Minimum unique charts for eligibility (default: the round calendar's for the
    /// report's last round).
    #[arg(long)]
    min_charts: Option<u64>,
    /// With `--format html`: also write the operator's national index
    /// (`national/index.html`), which names every practice with its score. Without it no
    /// file of the site names more than one practice.
    #[arg(long)]
    national_index: bool,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> io::Result<T> {
    let text = crate::io::file::read_text(path, crate::io::file::MAX_DATA_BYTES)?;
    serde_json::from_str(&text).map_err(|e| {
        invalid(format!(
            "{}:{}:{}: {}",
            path.display(),
            e.line(),
            e.column(),
            match e.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof =>
                    "not valid JSON",
                serde_json::error::Category::Data =>
                    "not the expected document (see `oncoqual report --help`)",
                serde_json::error::Category::Io => "could not be read",
            }
        ))
    })
}

/// Adds every practice's eligibility on `on` to the view.
pub(crate) fn with_eligibility<'a>(
    mut view: ReportView<'a>,
    report: &Report,
    facts: &[PracticeFacts],
    on: Date,
    rules: &EligibilityRules,
) -> ReportView<'a> {
    for (f, verdict) in facts
        .iter()
        .zip(eligibility_of_each(report, facts, on, rules))
    {
        view = view.with_eligibility(f.practice.clone(), EligibilityStatus::new(on, verdict));
    }
    view
}

/// Writes the HTML site into `dir` (created if needed): a folder per practice and, when
/// `national_index` is set, the operator's national index last; each page whole
/// (temporary file and rename), none over one of `inputs`; returns the number of pages.
/// Without `national_index`, a national index left in `dir` by an earlier run is refused
/// before anything is written (the site would otherwise name every practice).
pub(crate) fn write_html(
    view: &ReportView<'_>,
    dir: &Path,
    inputs: &[&Path],
    national_index: bool,
) -> io::Result<usize> {
    let stale = dir.join(html::NATIONAL_INDEX);
    if !national_index && std::fs::symlink_metadata(&stale).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{}: a national index from an earlier run names every practice: remove it, or pass --national-index",
                stale.display()
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| super::with_path(e, dir))?;
    html::render_site(view, national_index, |name, page| {
        let path = dir.join(name);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| super::with_path(e, folder))?;
        }
        super::write_file(&path, inputs, page.as_bytes())
    })
}

/// Writes the CSV tables into `dir` (created if needed), each whole, none over one of
/// `inputs`.
pub(crate) fn write_csv(view: &ReportView<'_>, dir: &Path, inputs: &[&Path]) -> io::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| super::with_path(e, dir))?;
    let table = |name: &str,
                 write: &dyn Fn(&ReportView<'_>, &mut super::output::Output) -> io::Result<()>|
     -> io::Result<()> {
        let p = dir.join(name);
        let mut out = super::output(Some(&p), inputs)?;
        write(view, &mut out)?;
        out.finish()
    };
    table("practice_rates.csv", &|v, out| {
        csv::write_practice_rates(v, out)
    })?;
    table("national.csv", &|v, out| csv::write_national(v, out))?;
    table("oqs.csv", &|v, out| csv::write_oqs(v, out))?;
    table("trends.csv", &|v, out| csv::write_trends(v, out))?;
    table("strata.csv", &|v, out| csv::write_strata(v, out))?;
    if view.eligibilities().next().is_some() {
        table("eligibility.csv", &|v, out| csv::write_eligibility(v, out))?;
    }
    Ok(())
}

/// Writes the Parquet tables into `dir` (created if needed), each whole, none over one of
/// `inputs`; returns how many.
#[cfg(feature = "parquet")]
pub(crate) fn write_parquet(
    view: &ReportView<'_>,
    dir: &Path,
    inputs: &[&Path],
) -> io::Result<usize> {
    std::fs::create_dir_all(dir).map_err(|e| super::with_path(e, dir))?;
    crate::report::parquet::write_tables(view, |name, bytes| {
        super::write_file(&dir.join(name), inputs, bytes)
    })
}

/// Writes every summary MeasureReport as NDJSON; returns how many.
pub(crate) fn write_fhir(view: &ReportView<'_>, out: impl Write) -> io::Result<usize> {
    fhir::write_ndjson(fhir::summary_reports(view), out)
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    #[cfg(not(feature = "parquet"))]
    if args.format == Format::Parquet {
        return Err(super::without_parquet());
    }
    let report: Report = read_json(&args.report)?;
    let lib = match super::check::load(args.specs.as_deref())? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    report
        .check_strata(&lib)
        .map_err(|e| invalid(format!("{}: refused: {e}", args.report.display())))?;
    if args.national_index && args.format != Format::Html {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--national-index is a page of `--format html`",
        ));
    }
    let calendar = super::evaluate::calendar(args.rounds.as_deref())?;
    // The rules the pages state (the score threshold) and eligibility is judged by: the
    // program's, with the minimum of unique charts given or the calendar's for the last
    // round.
    let min_charts = args.min_charts.unwrap_or_else(|| {
        report.rounds.last().map_or(
            crate::round::RoundSchedule::DEFAULT_MIN_UNIQUE_CHARTS,
            |r| calendar.schedule(*r).min_unique_charts,
        )
    });
    let rules = EligibilityRules::new(min_charts);
    let mut view = ReportView::new(&report)
        .with_library(&lib)
        .with_calendar(calendar)
        .with_rules(&rules);
    if let (Some(facts), Some(on)) = (&args.facts, &args.on) {
        let on = Date::parse(on)
            .ok_or_else(|| invalid(format!("--on: `{on}` is not a date YYYY-MM-DD")))?;
        let facts: Vec<PracticeFacts> = read_json(facts)?;
        view = with_eligibility(view, &report, &facts, on, &rules);
    }
    let need_dir = || {
        args.output.clone().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "--format html, csv and parquet write a directory: give it with -o DIR",
            )
        })
    };
    let mut inputs = vec![args.report.as_path()];
    inputs.extend(args.facts.as_deref());
    inputs.extend(args.rounds.as_deref());
    let mut err = io::stderr().lock();
    match args.format {
        Format::Html => {
            let dir = need_dir()?;
            let n = write_html(&view, &dir, &inputs, args.national_index)?;
            let folders = n.saturating_sub(usize::from(args.national_index));
            writeln!(
                err,
                "wrote {folders} practice folders to {} (each PRACTICE-FOLDER/index.html names only its practice)",
                dir.display()
            )?;
            if args.national_index {
                writeln!(
                    err,
                    "wrote the national index, which names every practice, to {}",
                    dir.join(html::NATIONAL_INDEX).display()
                )?;
            }
        }
        Format::Csv => {
            let dir = need_dir()?;
            write_csv(&view, &dir, &inputs)?;
            writeln!(err, "wrote the tables to {}", dir.display())?;
        }
        #[cfg(feature = "parquet")]
        Format::Parquet => {
            let dir = need_dir()?;
            let n = write_parquet(&view, &dir, &inputs)?;
            writeln!(err, "wrote {n} Parquet tables to {}", dir.display())?;
        }
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => return Err(super::without_parquet()),
        Format::Fhir => {
            let mut out = super::output(args.output.as_deref(), &inputs)?;
            let n = write_fhir(&view, &mut out)?;
            out.finish()?;
            writeln!(err, "wrote {n} MeasureReport resources")?;
        }
        Format::Json => {
            let mut out = super::output(args.output.as_deref(), &inputs)?;
            serde_json::to_writer_pretty(&mut out, &report)?;
            out.write_all(b"\n")?;
            out.finish()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
