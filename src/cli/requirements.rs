//! `oncoqual requirements [--measure ID] [--json] [--specs DIR]`: the chart fields and value
//! sets each measure reads (its data requirements, read off the compiled logic).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::measure::DataRequirements;

/// Arguments of `oncoqual requirements`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only these measures (repeatable); all when absent.
    #[arg(long = "measure")]
    measures: Vec<String>,
    /// Print JSON (an array of objects: `measure`, `paths`, `valuesets`) instead of text.
    #[arg(long)]
    json: bool,
    /// The measure-spec directory; the bundled library when absent.
    #[arg(long, value_name = "DIR")]
    specs: Option<PathBuf>,
}

/// One measure's requirements (one object of `--json`).
#[derive(Serialize)]
struct Row<'a> {
    measure: &'a str,
    #[serde(flatten)]
    requirements: DataRequirements,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let lib = match super::check::load(args.specs.as_deref())? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let indices = super::evaluate::select(&lib, &args.measures)?;
    let rows: Vec<Row<'_>> = indices
        .iter()
        .filter_map(|&i| {
            let id = lib.measure(i)?.id.as_str();
            let requirements = lib.data_requirements(id)?;
            Some(Row {
                measure: id,
                requirements,
            })
        })
        .collect();
    let mut out = super::output(None, &[])?;
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rows).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        for row in &rows {
            writeln!(out, "{}", row.measure)?;
            for p in row.requirements.paths() {
                writeln!(out, "  {p}")?;
            }
            for v in row.requirements.valuesets() {
                writeln!(out, "  valueset {v}")?;
            }
        }
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}
