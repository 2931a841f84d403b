//! `oncoqual evaluate`: per-chart outcomes as JSONL (or Parquet); and the shared period
//! options.

use std::collections::BTreeMap;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;
use serde::Serialize;

#[cfg(feature = "parquet")]
use crate::RoundId;
use crate::chart::{Chart, ChartDigest, ChartId, ChartKey, Projection};
use crate::io::{JsonlReader, Limits, RawLine, RecordError, parse_raw_ref};
use crate::measure::{Library, Outcome, Population};
use crate::report::fhir::SubjectLists;
use crate::{Period, RoundCalendar};

/// Output formats of `oncoqual evaluate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum Format {
    /// A JSON line of outcomes per chart.
    #[default]
    Jsonl,
    /// One Parquet file with a row per chart × measure (docs/parquet.md): written to
    /// `-o FILE`; needs the `parquet` feature. It names every chart.
    Parquet,
}

/// Arguments of `oncoqual evaluate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Charts (JSONL; `-` for standard input).
    #[arg(long)]
    charts: PathBuf,
    /// The measure-spec directory; the bundled library when absent.
    #[arg(long)]
    specs: Option<PathBuf>,
    /// Only these measures (repeatable); all when absent.
    #[arg(long = "measure")]
    measures: Vec<String>,
    /// Reporting period `START..END` for every chart (default: each chart's round).
    #[arg(long)]
    period: Option<Period>,
    /// A round-calendar file overriding the default reporting periods.
    #[arg(long)]
    rounds: Option<PathBuf>,
    /// Also list measures whose initial population the chart is not in.
    #[arg(long)]
    all: bool,
    /// What to write: outcome lines (`jsonl`) or a Parquet table (`parquet`).
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,
    /// Write FHIR R4 individual `MeasureReport`s (NDJSON, one per chart × measure in the
    /// initial population, or every measure with `--all`) instead of outcome lines. They
    /// name each chart: write them only where that is wanted.
    #[arg(long)]
    fhir: bool,
    /// Also write FHIR R4 `subject-list` MeasureReports into this directory: per reporting
    /// period and measure, the population counts, each non-empty population pointing at a
    /// `List` of its charts (written beside: `MeasureReport-<id>.json`, `List-<id>.json`).
    /// They name every chart: write them only where that is wanted.
    #[arg(long, value_name = "DIR")]
    fhir_subject_list: Option<PathBuf>,
    /// Parse and validate every field of every chart. Without it, a run over `--measure`
    /// ids parses only the fields those measures read (and the chart's id, practice and
    /// round): the fields it does not read are checked for JSON syntax and unknown or
    /// repeated keys only (not their types, values or cross-field checks), and a chart
    /// with an error there alone is evaluated. `validate` always checks every field.
    #[arg(long)]
    validate_all: bool,
    /// Output file (standard output when absent or `-`).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Reads the round calendar (the default one when `path` is `None`).
pub(crate) fn calendar(path: Option<&Path>) -> io::Result<RoundCalendar> {
    match path {
        None => Ok(RoundCalendar::new()),
        Some(p) => {
            let text = crate::io::file::read_text(p, crate::io::file::MAX_CONFIG_BYTES)?;
            RoundCalendar::from_json(&text).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", p.display()))
            })
        }
    }
}

/// Resolves `--measure` ids to indices, with a suggestion for an unknown one.
pub(crate) fn select(lib: &Library, ids: &[String]) -> io::Result<Vec<usize>> {
    if ids.is_empty() {
        return Ok((0..lib.measures().len()).collect());
    }
    ids.iter()
        .map(|id| {
            lib.index_of(id).ok_or_else(|| {
                let hint = lib
                    .suggest(id)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                io::Error::new(io::ErrorKind::NotFound, format!("no measure `{id}`{hint}"))
            })
        })
        .collect()
}

/// The projection a run over `--measure` ids parses charts with: `None` (every field parsed
/// and validated) for the whole library, with `--validate-all`, or when the measures read
/// every field.
pub(crate) fn projection(
    lib: &Library,
    ids: &[String],
    selected: &[usize],
    validate_all: bool,
) -> Option<Projection> {
    if ids.is_empty() {
        return None;
    }
    crate::pipeline::Run::selection(&lib.select(selected))
        .validate_all(validate_all)
        .projection(lib)
}

/// Opens a chart stream.
pub(crate) fn charts(path: &Path) -> io::Result<JsonlReader<Box<dyn io::BufRead>>> {
    charts_counted(path, &indicatif::ProgressBar::hidden())
}

/// Opens a chart stream whose bytes advance `bar`.
pub(crate) fn charts_counted(
    path: &Path,
    bar: &indicatif::ProgressBar,
) -> io::Result<JsonlReader<Box<dyn io::BufRead>>> {
    // A large buffer: charts are kilobytes long, and a small one costs a read call per
    // few records.
    const BUFFER: usize = 1 << 20;
    let reader: Box<dyn io::BufRead> = if path.as_os_str() == "-" {
        Box::new(BufReader::with_capacity(BUFFER, bar.wrap_read(io::stdin())))
    } else {
        Box::new(BufReader::with_capacity(
            BUFFER,
            bar.wrap_read(crate::io::file::open_regular(path)?),
        ))
    };
    Ok(JsonlReader::new(reader))
}

#[derive(Serialize)]
struct Line<'a> {
    chart: &'a str,
    round: String,
    period: String,
    outcomes: BTreeMap<&'a str, OutcomeOut<'a>>,
}

#[derive(Serialize)]
struct OutcomeOut<'a> {
    populations: Vec<Population>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    strata: BTreeMap<&'a str, Option<String>>,
}

/// Non-blank lines evaluated per batch. The batch being evaluated, the one read meanwhile
/// and the one being written are all that is held: a few megabytes of charts and of output
/// (an outcome line with `--all` is about 13 KB, a chart's FHIR reports about 30 KB).
const BATCH: usize = 256;

/// What became of one line, in a worker: its output is rendered there, and the checks that
/// must follow input order (a chart read twice) are made when the batch is written.
enum Fate {
    /// A valid chart (its digest and line): its rendered output, or why its evaluation
    /// failed.
    Chart(
        ChartDigest,
        usize,
        Result<io::Result<Rendered>, RecordError>,
    ),
    /// An unreadable or invalid record.
    Rejected(RecordError),
}

/// A chart's rendered output, and its outcomes for the subject lists or the Parquet table
/// (when written).
type Rendered = (Vec<u8>, Option<Kept>);

/// A chart's outcomes, kept for what is written after the batch (subject lists, Parquet).
struct Kept {
    id: ChartId,
    /// Only the Parquet rows name the round.
    #[cfg(feature = "parquet")]
    round: RoundId,
    period: Period,
    outcomes: Vec<Outcome>,
}

/// Where outcomes go: bytes (outcome lines, FHIR reports) or the Parquet table.
enum Sink {
    Bytes(super::output::Output),
    #[cfg(feature = "parquet")]
    Parquet(Box<crate::report::parquet::OutcomeWriter<super::output::Output>>),
}

impl Sink {
    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Bytes(out) => out.finish(),
            #[cfg(feature = "parquet")]
            Sink::Parquet(w) => w.finish()?.finish(),
        }
    }
}

/// What each worker needs to evaluate and render a chart.
struct Job<'a> {
    args: &'a Args,
    lib: &'a Library,
    calendar: &'a RoundCalendar,
    selected: &'a [usize],
    limits: Limits,
    key: ChartKey,
    /// The fields parsed (`None`: all).
    projection: Option<Projection>,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    if args.format == Format::Parquet {
        #[cfg(not(feature = "parquet"))]
        return Err(super::without_parquet());
        #[cfg(feature = "parquet")]
        {
            if args.fhir {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "--fhir writes FHIR resources: it does not go with --format parquet",
                ));
            }
            if args.output.as_deref().is_none_or(|p| p.as_os_str() == "-") {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "--format parquet writes a file: give it with -o FILE",
                ));
            }
        }
    }
    let lib = match super::check::load(args.specs.as_deref())? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let calendar = calendar(args.rounds.as_deref())?;
    let selected = select(&lib, &args.measures)?;
    let mut inputs = vec![args.charts.as_path()];
    inputs.extend(args.rounds.as_deref());
    let out = super::output(args.output.as_deref(), &inputs)?;
    let mut out = match args.format {
        Format::Jsonl => Sink::Bytes(out),
        #[cfg(feature = "parquet")]
        Format::Parquet => {
            Sink::Parquet(Box::new(crate::report::parquet::OutcomeWriter::new(out)?))
        }
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => return Err(super::without_parquet()),
    };
    let to_stdout = args.output.as_deref().is_none_or(|o| o.as_os_str() == "-");
    let bar = super::progress::over_files(&[args.charts.as_path()], "evaluating", to_stdout);
    let mut reader = charts_counted(&args.charts, &bar)?;
    let job = Job {
        args,
        lib: &lib,
        calendar: &calendar,
        selected: &selected,
        limits: *reader.limits(),
        key: reader.key().clone(),
        projection: projection(&lib, &args.measures, &selected, args.validate_all),
    };
    let mut bad = 0usize;
    let mut lists = args.fhir_subject_list.as_ref().map(|_| SubjectLists::new());
    // Three batches in flight: the workers evaluate `current` while this thread writes the
    // batch before it (in input order: so the duplicate check, which needs that order, is
    // made here) and reads the one after.
    let mut current: Vec<RawLine> = Vec::new();
    let mut next: Vec<RawLine> = Vec::new();
    let mut evaluated: Vec<Fate> = Vec::new();
    reader.raw_batch(BATCH, &mut current);
    while !current.is_empty() {
        let mut fates: Vec<Fate> = Vec::new();
        let mut written: io::Result<()> = Ok(());
        rayon::in_place_scope(|s| {
            s.spawn(|_| fates = evaluate(&job, &current));
            written = write(
                &job,
                &mut reader,
                &mut out,
                evaluated,
                &mut bad,
                lists.as_mut(),
            );
            if written.is_ok() {
                reader.raw_batch(BATCH, &mut next);
            }
        });
        written?;
        evaluated = fates;
        // The batch just evaluated lends its line buffers to the one after next.
        std::mem::swap(&mut current, &mut next);
    }
    write(
        &job,
        &mut reader,
        &mut out,
        evaluated,
        &mut bad,
        lists.as_mut(),
    )?;
    out.finish()?;
    bar.finish_and_clear();
    if let (Some(dir), Some(lists)) = (args.fhir_subject_list.as_deref(), lists) {
        write_subject_lists(dir, &lib, &lists, &inputs)?;
    }
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Parses, evaluates and renders `lines` in parallel; their fates in input order.
fn evaluate(job: &Job<'_>, lines: &[RawLine]) -> Vec<Fate> {
    lines
        .par_iter()
        .map(|raw| {
            let checked = match parse_raw_ref(raw, &job.limits, job.projection.as_ref()) {
                Some(Ok(c)) => c,
                Some(Err(e)) => return Fate::Rejected(e),
                // An unreadable line: its error is the line's own (rare: copied).
                None => return Fate::Rejected(raw.as_ref().err().cloned().unwrap_or_else(unread)),
            };
            let chart = &checked.chart;
            let digest = job.key.digest(chart.round, &chart.practice, &chart.id);
            let line = checked.line.unwrap_or(0);
            let period = job
                .args
                .period
                .unwrap_or_else(|| job.calendar.period(chart.round));
            let rendered = job
                .lib
                .try_evaluate_selected(chart, period, job.selected)
                .map(|outcomes| {
                    render(job, chart, period, &outcomes).map(|bytes| {
                        let kept = (job.args.fhir_subject_list.is_some()
                            || job.args.format == Format::Parquet)
                            .then(|| Kept {
                                id: chart.id.clone(),
                                #[cfg(feature = "parquet")]
                                round: chart.round,
                                period,
                                outcomes,
                            });
                        (bytes, kept)
                    })
                })
                .map_err(|e| e.to_record_error(checked.line));
            Fate::Chart(digest, line, rendered)
        })
        .collect()
}

/// The error of a line that is neither parsed nor refused: never made (such a line always
/// holds its error), but not a reason to panic.
fn unread() -> RecordError {
    RecordError::single(
        None,
        None,
        crate::chart::Finding::error(
            "",
            crate::chart::FindingKind::Io {
                message: "unreadable line".to_owned(),
            },
        ),
    )
}

/// A chart's output: its outcome line, or its FHIR reports with `--fhir` (nothing for
/// Parquet: its rows are made from the outcomes kept).
fn render(
    job: &Job<'_>,
    chart: &Chart,
    period: Period,
    outcomes: &[Outcome],
) -> io::Result<Vec<u8>> {
    let (args, lib) = (job.args, job.lib);
    let mut out = Vec::new();
    if args.format == Format::Parquet {
        return Ok(out);
    }
    if args.fhir {
        let reports = outcomes
            .iter()
            .filter(|o| args.all || o.populations.contains(Population::InitialPopulation))
            .filter_map(|o| {
                lib.measure(o.measure).map(|info| {
                    crate::report::fhir::individual_report(info, &chart.id, o, period, None)
                })
            });
        crate::report::fhir::write_ndjson(reports, &mut out)?;
        return Ok(out);
    }
    let mut line = Line {
        chart: chart.id.as_str(),
        round: chart.round.to_string(),
        period: period.to_string(),
        outcomes: BTreeMap::new(),
    };
    for o in outcomes {
        if !args.all && !o.populations.contains(Population::InitialPopulation) {
            continue;
        }
        let Some(info) = lib.measure(o.measure) else {
            continue;
        };
        line.outcomes.insert(
            info.id.as_str(),
            OutcomeOut {
                populations: o.populations.iter().collect(),
                strata: info
                    .stratifiers
                    .iter()
                    .map(String::as_str)
                    .zip(o.strata.iter().cloned())
                    .collect(),
            },
        );
    }
    serde_json::to_writer(&mut out, &line)?;
    out.push(b'\n');
    Ok(out)
}

/// Appends a chart's Parquet rows: one per measure written (as its outcome line lists
/// them: in the initial population, or every one with `--all`; by measure id).
#[cfg(feature = "parquet")]
fn parquet_rows(
    job: &Job<'_>,
    w: &mut crate::report::parquet::OutcomeWriter<super::output::Output>,
    kept: &Kept,
) -> io::Result<()> {
    let mut rows: Vec<(&crate::MeasureInfo, &Outcome)> = kept
        .outcomes
        .iter()
        .filter(|o| job.args.all || o.populations.contains(Population::InitialPopulation))
        .filter_map(|o| job.lib.measure(o.measure).map(|info| (info, o)))
        .collect();
    rows.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    for (info, o) in rows {
        let strata: Vec<(&str, Option<&str>)> = info
            .stratifiers
            .iter()
            .map(String::as_str)
            .zip(o.strata.iter().map(Option::as_deref))
            .collect();
        w.push(
            kept.id.as_str(),
            kept.round,
            kept.period,
            &info.id,
            o.populations,
            &strata,
        )?;
    }
    Ok(())
}

/// Writes a batch's fates in input order: each chart's output, unless an earlier record
/// gave the same chart; each rejected record to standard error (counted in `bad`).
fn write<R: io::BufRead>(
    job: &Job<'_>,
    reader: &mut JsonlReader<R>,
    out: &mut Sink,
    fates: Vec<Fate>,
    bad: &mut usize,
    mut lists: Option<&mut SubjectLists>,
) -> io::Result<()> {
    let path = &job.args.charts;
    let mut stderr = io::stderr().lock();
    for fate in fates {
        let problem = match fate {
            Fate::Rejected(e) => e,
            // As the reader's iterator does: the id is recorded before the chart is
            // evaluated, so a chart whose evaluation failed still makes a repeat a duplicate.
            Fate::Chart(digest, line, rendered) => match reader.check_id(digest, line) {
                Err(e) => e,
                Ok(()) => match rendered {
                    Ok(rendered) => {
                        let (bytes, kept) = rendered?;
                        match out {
                            Sink::Bytes(out) => out.write_all(&bytes)?,
                            #[cfg(feature = "parquet")]
                            Sink::Parquet(w) => {
                                if let Some(kept) = &kept {
                                    parquet_rows(job, w, kept)?;
                                }
                            }
                        }
                        if let (Some(lists), Some(kept)) = (lists.as_deref_mut(), kept) {
                            lists.add(&kept.id, &kept.outcomes, kept.period);
                        }
                        continue;
                    }
                    Err(e) => e,
                },
            },
        };
        // A count of records read: it cannot reach `usize::MAX`.
        *bad = bad.saturating_add(1);
        writeln!(stderr, "{}: {problem}", path.display())?;
    }
    Ok(())
}

/// Writes the subject-list reports and their lists into `dir` (created when missing), one
/// file per resource, each whole or not at all and never over an input.
fn write_subject_lists(
    dir: &Path,
    lib: &Library,
    lists: &SubjectLists,
    inputs: &[&Path],
) -> io::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| super::with_path(e, dir))?;
    let (reports, lists) = lists.reports(lib, None);
    for r in &reports {
        super::write_file(
            &dir.join(format!("MeasureReport-{}.json", r.id)),
            inputs,
            &pretty(r),
        )?;
    }
    for l in &lists {
        super::write_file(&dir.join(format!("List-{}.json", l.id)), inputs, &pretty(l))?;
    }
    Ok(())
}

/// A resource as pretty JSON with a final newline.
fn pretty<T: Serialize>(resource: &T) -> Vec<u8> {
    // Our own serde types of strings and numbers: serialising cannot fail.
    let mut out = serde_json::to_vec_pretty(resource).unwrap_or_default();
    out.push(b'\n');
    out
}
