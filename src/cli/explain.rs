//! `oncoqual explain`: why one chart is or is not in each population of one measure.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::Period;

/// Arguments of `oncoqual explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Charts (JSONL; `-` for standard input).
    #[arg(long)]
    charts: PathBuf,
    /// The chart id to explain.
    #[arg(long)]
    chart: String,
    /// The measure id.
    #[arg(long)]
    measure: String,
    /// The measure-spec directory; the bundled library when absent.
    #[arg(long)]
    specs: Option<PathBuf>,
    /// Reporting period `START..END` (default: the chart's round).
    #[arg(long)]
    period: Option<Period>,
    /// A round-calendar file overriding the default reporting periods.
    #[arg(long)]
    rounds: Option<PathBuf>,
    /// Print the explanation as JSON.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Output format: the text trace, JSON, or an HTML page of the spec with every
    /// expression coloured by its value (the value on hover).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write here (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// How `oncoqual explain` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// The indented trace.
    Text,
    /// The explanation as JSON.
    Json,
    /// A self-contained HTML page of the highlighted spec.
    Html,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let lib = match super::check::load(args.specs.as_deref())? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let calendar = super::evaluate::calendar(args.rounds.as_deref())?;
    let selected = super::evaluate::select(&lib, std::slice::from_ref(&args.measure))?;
    let Some(&index) = selected.first() else {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no measure `{}`", args.measure),
        ));
    };
    for record in super::evaluate::charts(&args.charts)? {
        let Ok(checked) = record else { continue };
        if checked.chart.id.as_str() != args.chart {
            continue;
        }
        let chart = &checked.chart;
        let period = args.period.unwrap_or_else(|| calendar.period(chart.round));
        let Some(explanation) = lib.explain(chart, period, index) else {
            break;
        };
        let format = match (args.format, args.json) {
            (Some(f), _) => f,
            (None, true) => Format::Json,
            (None, false) => Format::Text,
        };
        let text = match format {
            Format::Text => explanation.to_string(),
            Format::Json => {
                let mut j = serde_json::to_string_pretty(&explanation).map_err(io::Error::other)?;
                j.push('\n');
                j
            }
            Format::Html => crate::report::html::explain_page(&explanation),
        };
        match &args.output {
            Some(path) => {
                let mut inputs = vec![args.charts.as_path()];
                inputs.extend(args.rounds.as_deref());
                super::write_file(path, &inputs, text.as_bytes())?;
            }
            None => io::stdout().lock().write_all(text.as_bytes())?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        io::stderr(),
        "oncoqual: no valid chart `{}` in {}",
        args.chart,
        args.charts.display()
    )?;
    Ok(ExitCode::from(1))
}
