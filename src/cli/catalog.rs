//! `oncoqual catalog [--json] [--specs DIR] [--missing]`: the library's measures as a table
//! (or JSON), and how much of the measure catalog it implements.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::measure::{Catalog, CatalogEntry, MeasureInfo};

/// Arguments of `oncoqual catalog`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print JSON (an array of objects) instead of a table.
    #[arg(long)]
    json: bool,
    /// The measure-spec directory; the bundled library when absent.
    #[arg(long, value_name = "DIR")]
    specs: Option<PathBuf>,
    /// List the catalog entries the library has no spec for, instead of its measures.
    #[arg(long)]
    missing: bool,
}

/// One row of the table (and one object of `--json`).
#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    module: &'a str,
    tracks: &'a [String],
    direction: &'static str,
    scoring: &'static str,
    source: &'a str,
}

impl<'a> Row<'a> {
    fn of_measure(m: &'a MeasureInfo) -> Row<'a> {
        Row {
            id: &m.id,
            module: &m.module,
            tracks: &m.tracks,
            direction: m.direction.as_str(),
            scoring: m.scoring.as_str(),
            source: &m.source,
        }
    }

    fn of_entry(e: &'a CatalogEntry) -> Row<'a> {
        Row {
            id: &e.id,
            module: &e.module,
            tracks: &e.tracks,
            direction: e.direction.as_str(),
            scoring: e.scoring.as_str(),
            source: &e.source,
        }
    }
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let catalog = Catalog::bundled()
        .map_err(|e| io::Error::other(format!("the bundled measure catalog: {e}")))?;
    let lib = match super::check::load(args.specs.as_deref())? {
        Ok(lib) => lib,
        Err(code) => return Ok(code),
    };
    let cmp = catalog.compare(&lib);
    {
        let mut err = io::stderr().lock();
        for id in &cmp.extra {
            writeln!(err, "warning: `{id}` is not in the measure catalog")?;
        }
        for m in &cmp.mismatches {
            writeln!(err, "warning: {m}")?;
        }
    }
    let total = catalog.entries().len();
    let mut out = super::output(None, &[])?;
    // The rows, and the line that sums them up under the table.
    let (rows, summary) = if args.missing {
        let rows: Vec<Row<'_>> = cmp
            .missing
            .iter()
            .filter_map(|id| catalog.get(id))
            .map(Row::of_entry)
            .collect();
        let summary = format!(
            "{} of the catalog's {total} measures have no spec yet",
            rows.len()
        );
        (rows, summary)
    } else {
        let mut rows: Vec<Row<'_>> = lib.measures().map(Row::of_measure).collect();
        rows.sort_by(|a, b| a.id.cmp(b.id));
        let summary = format!(
            "{} measures; the library implements {} of the catalog's {total} measures \
             ({} without a spec: oncoqual catalog --missing)",
            rows.len(),
            cmp.implemented,
            cmp.missing.len()
        );
        (rows, summary)
    };
    if args.json {
        write_json(&mut out, &rows)?;
    } else {
        write_table(&mut out, &rows)?;
        writeln!(out, "{summary}")?;
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

fn write_json(out: &mut dyn Write, rows: &[Row<'_>]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, rows)?;
    writeln!(out)
}

/// Aligned columns: every column but the last (the source) padded to its widest cell.
fn write_table(out: &mut dyn Write, rows: &[Row<'_>]) -> io::Result<()> {
    const HEADER: [&str; 6] = ["id", "module", "tracks", "direction", "scoring", "source"];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.id.to_owned(),
                r.module.to_owned(),
                r.tracks.join(","),
                r.direction.to_owned(),
                r.scoring.to_owned(),
                r.source.to_owned(),
            ]
        })
        .collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let header = HEADER.map(str::to_owned);
    for row in std::iter::once(&header).chain(&cells) {
        let mut line = String::new();
        let Some((last, padded)) = row.split_last() else {
            continue;
        };
        for (cell, w) in padded.iter().zip(widths) {
            line.push_str(cell);
            // `w` is the widest cell of the column: two spaces at least between columns.
            let pad = w.saturating_sub(cell.chars().count()).saturating_add(2);
            line.extend(std::iter::repeat_n(' ', pad));
        }
        line.push_str(last);
        writeln!(out, "{line}")?;
    }
    Ok(())
}
