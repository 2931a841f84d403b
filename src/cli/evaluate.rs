//! `oncoqual evaluate`: per-chart outcomes as JSONL; and the shared period options.

use std::collections::BTreeMap;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use crate::io::JsonlReader;
use crate::measure::{Library, Population};
use crate::{Period, RoundCalendar};

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
    /// Write FHIR R4 individual `MeasureReport`s (NDJSON, one per chart × measure in the
    /// initial population, or every measure with `--all`) instead of outcome lines. They
    /// name each chart: write them only where that is wanted.
    #[arg(long)]
    fhir: bool,
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

/// Opens a chart stream.
pub(crate) fn charts(path: &Path) -> io::Result<JsonlReader<Box<dyn io::BufRead>>> {
    // A large buffer: charts are kilobytes long, and a small one costs a read call per
    // few records.
    const BUFFER: usize = 1 << 20;
    let reader: Box<dyn io::BufRead> = if path.as_os_str() == "-" {
        Box::new(BufReader::with_capacity(BUFFER, io::stdin()))
    } else {
        Box::new(BufReader::with_capacity(
            BUFFER,
            crate::io::file::open_regular(path)?,
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

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let lib = match super::check::load(args.specs.as_deref())? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let calendar = calendar(args.rounds.as_deref())?;
    let selected = select(&lib, &args.measures)?;
    let mut inputs = vec![args.charts.as_path()];
    inputs.extend(args.rounds.as_deref());
    let mut out = super::output(args.output.as_deref(), &inputs)?;
    let mut bad = 0usize;
    for record in charts(&args.charts)? {
        let checked = match record {
            Ok(c) => c,
            Err(e) => {
                // A count of records read: it cannot reach `usize::MAX`.
                bad = bad.saturating_add(1);
                writeln!(io::stderr(), "{}: {e}", args.charts.display())?;
                continue;
            }
        };
        let chart = &checked.chart;
        let period = args.period.unwrap_or_else(|| calendar.period(chart.round));
        let outcomes = match lib.try_evaluate_selected(chart, period, &selected) {
            Ok(o) => o,
            Err(e) => {
                bad = bad.saturating_add(1);
                let e = e.to_record_error(checked.line);
                writeln!(io::stderr(), "{}: {e}", args.charts.display())?;
                continue;
            }
        };
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
            continue;
        }
        let mut line = Line {
            chart: chart.id.as_str(),
            round: chart.round.to_string(),
            period: period.to_string(),
            outcomes: BTreeMap::new(),
        };
        for o in &outcomes {
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
        out.write_all(b"\n")?;
    }
    out.finish()?;
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
