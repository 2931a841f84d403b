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
    #[arg(long)]
    json: bool,
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
        let mut out = io::stdout().lock();
        if args.json {
            serde_json::to_writer_pretty(&mut out, &explanation)?;
            writeln!(out)?;
        } else {
            write!(out, "{explanation}")?;
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
