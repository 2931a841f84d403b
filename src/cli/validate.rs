//! `oncoqual validate`: check chart files and report every finding with its place.

use std::io::{self, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::chart::{Finding, FindingKind};
use crate::io::file::{self, Problem};
use crate::io::{JsonlReader, Limits, Record, RecordError, parse_chart};

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
/// Counts of files, records and findings read: none can reach `usize::MAX`, so they are
/// bumped with [`bump`] (saturating, never a panic).
struct Summary {
    /// Input files given.
    files: usize,
    /// Files that could not be opened (missing, not a regular file, ...).
    unreadable: usize,
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
    let paths: Vec<&std::path::Path> = args.files.iter().map(PathBuf::as_path).collect();
    let bar = super::progress::over_files(&paths, "validating", true);
    // Every file is read, whatever happened to the ones before it: a file that cannot be
    // read is reported (located) and counted, and the batch goes on.
    for file in &args.files {
        bump(&mut summary.files);
        let name = file.display().to_string();
        let is_stdin = file.as_os_str() == "-";
        if !is_stdin && file.extension().is_some_and(|e| e == "json") {
            let record = match file::read_bytes(file, limits.max_line_bytes as u64) {
                Ok(bytes) => match std::str::from_utf8(&bytes) {
                    Ok(text) => parse_chart(text, &limits),
                    Err(e) => Err(file_error(
                        file::FileError {
                            path: file.clone(),
                            problem: file::not_utf8(&bytes, e.valid_up_to()),
                        },
                        &limits,
                    )),
                },
                // Read, but too long: a record error of the document.
                Err(
                    e @ file::FileError {
                        problem: Problem::TooLarge { .. },
                        ..
                    },
                ) => Err(file_error(e, &limits)),
                // Not read at all (missing, not a regular file, ...): the file's error.
                Err(e) => {
                    bump(&mut summary.unreadable);
                    report(&name, &file_error(e, &limits), args, &mut summary, &mut out)?;
                    continue;
                }
            };
            tally(&name, record, args, &mut summary, &mut out)?;
            continue;
        }
        let reader: Box<dyn io::BufRead> = if is_stdin {
            Box::new(io::stdin().lock())
        } else {
            match file::open_regular(file) {
                Ok(f) => Box::new(BufReader::with_capacity(1 << 16, bar.wrap_read(f))),
                Err(e) => {
                    bump(&mut summary.unreadable);
                    report(&name, &file_error(e, &limits), args, &mut summary, &mut out)?;
                    continue;
                }
            }
        };
        for record in JsonlReader::with_limits(reader, limits) {
            tally(&name, record, args, &mut summary, &mut out)?;
        }
    }
    bar.finish_and_clear();
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
        if summary.unreadable > 0 {
            writeln!(
                out,
                "{} of {} files could not be read",
                summary.unreadable, summary.files
            )?;
        }
    }
    out.finish()?;
    Ok(if summary.invalid > 0 || summary.unreadable > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One more of a count of the summary.
fn bump(n: &mut usize) {
    *n = n.saturating_add(1);
}

fn tally(
    file: &str,
    record: Record,
    args: &Args,
    summary: &mut Summary,
    out: &mut dyn Write,
) -> io::Result<()> {
    bump(&mut summary.records);
    match &record {
        Ok(checked) => {
            bump(&mut summary.valid);
            if !checked.warnings.is_empty() {
                bump(&mut summary.with_warnings);
            }
            print(
                file,
                checked.line,
                None,
                &checked.warnings,
                args,
                summary,
                out,
            )
        }
        Err(err) => {
            bump(&mut summary.invalid);
            report(file, err, args, summary, out)
        }
    }
}

/// Prints a rejected record's (or an unreadable file's) findings.
fn report(
    file: &str,
    err: &RecordError,
    args: &Args,
    summary: &mut Summary,
    out: &mut dyn Write,
) -> io::Result<()> {
    print(
        file,
        err.line,
        err.column,
        &err.findings,
        args,
        summary,
        out,
    )
}

/// A file that could not be read, as the record error of its whole content (its place is
/// the file, or the line and column of its first invalid byte).
fn file_error(e: file::FileError, limits: &Limits) -> RecordError {
    let (line, column) = match e.position() {
        Some((l, c)) => (Some(l), Some(c)),
        None => (None, None),
    };
    let kind = match e.problem {
        Problem::NotUtf8 { .. } => FindingKind::NotUtf8,
        Problem::TooLarge { .. } => FindingKind::LineTooLong {
            limit: limits.max_line_bytes,
        },
        other => FindingKind::Io {
            message: other.to_string(),
        },
    };
    RecordError::single(line, column, Finding::error("", kind))
}

fn print(
    file: &str,
    line: Option<usize>,
    column: Option<usize>,
    findings: &[Finding],
    args: &Args,
    summary: &mut Summary,
    out: &mut dyn Write,
) -> io::Result<()> {
    for (i, f) in findings.iter().enumerate() {
        // The column is the first finding's (where the text parse stopped); the others of
        // the record are placed by their field path.
        let column = column.filter(|_| i == 0);
        if f.is_error() {
            bump(&mut summary.errors);
        } else {
            bump(&mut summary.warnings);
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
