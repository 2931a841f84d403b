//! `oncoqual validate`: check chart files and report every finding with its place.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::io::{JsonlReader, Limits, Record, parse_chart};

/// Arguments of `oncoqual validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Input files: JSONL (one chart per line), `.json` (one chart), or `-` for standard input (JSONL).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print findings and the summary as JSON lines instead of text.
    #[arg(long)]
    json: bool,
    /// Print only the summary, not each finding.
    #[arg(short, long)]
    quiet: bool,
    /// Longest accepted record, in bytes.
    #[arg(long, default_value_t = Limits::DEFAULT.max_line_bytes)]
    max_record_bytes: usize,
    /// Most entries accepted in any one list of a chart.
    #[arg(long, default_value_t = Limits::DEFAULT.max_list_len)]
    max_list_len: usize,
}

/// Counts over every input.
#[derive(Debug, Default, Serialize)]
struct Summary {
    records: usize,
    valid: usize,
    invalid: usize,
    with_warnings: usize,
    errors: usize,
    warnings: usize,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let limits = Limits::default()
        .with_max_line_bytes(args.max_record_bytes)
        .with_max_list_len(args.max_list_len);
    let mut out = super::output(None, &[])?;
    let mut summary = Summary::default();
    for file in &args.files {
        let name = file.display().to_string();
        let is_stdin = file.as_os_str() == "-";
        if !is_stdin && file.extension().is_some_and(|e| e == "json") {
            let mut text = String::new();
            File::open(file)
                .and_then(|f| {
                    f.take(limits.max_line_bytes as u64 + 1)
                        .read_to_string(&mut text)
                })
                .map_err(|e| super::with_path(e, file))?;
            let record = parse_chart(&text, &limits);
            tally(&name, record, args, &mut summary, &mut out)?;
            continue;
        }
        let reader: Box<dyn io::BufRead> = if is_stdin {
            Box::new(io::stdin().lock())
        } else {
            Box::new(BufReader::with_capacity(
                1 << 16,
                File::open(file).map_err(|e| super::with_path(e, file))?,
            ))
        };
        for record in JsonlReader::with_limits(reader, limits) {
            tally(&name, record, args, &mut summary, &mut out)?;
        }
    }
    if args.json {
        serde_json::to_writer(&mut out, &serde_json::json!({ "summary": &summary }))
            .map_err(io::Error::other)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{} records: {} valid ({} with warnings), {} invalid; {} errors, {} warnings",
            summary.records,
            summary.valid,
            summary.with_warnings,
            summary.invalid,
            summary.errors,
            summary.warnings
        )?;
    }
    out.finish()?;
    Ok(if summary.invalid > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn tally(
    file: &str,
    record: Record,
    args: &Args,
    summary: &mut Summary,
    out: &mut dyn Write,
) -> io::Result<()> {
    summary.records += 1;
    let (line, column, findings) = match &record {
        Ok(checked) => {
            summary.valid += 1;
            if !checked.warnings.is_empty() {
                summary.with_warnings += 1;
            }
            (checked.line, None, &checked.warnings)
        }
        Err(err) => {
            summary.invalid += 1;
            (err.line, err.column, &err.findings)
        }
    };
    for f in findings {
        if f.is_error() {
            summary.errors += 1;
        } else {
            summary.warnings += 1;
        }
        if args.quiet {
            continue;
        }
        if args.json {
            let row = serde_json::json!({
                "file": file, "line": line, "column": column, "finding": f,
            });
            serde_json::to_writer(&mut *out, &row).map_err(io::Error::from)?;
            writeln!(out)?;
        } else {
            let place = match (line, column) {
                (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
                (Some(l), None) => format!("{file}:{l}"),
                _ => file.to_owned(),
            };
            writeln!(out, "{place}: {f}")?;
        }
    }
    Ok(())
}
