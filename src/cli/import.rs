//! `oncoqual import fhir PATH... --practice ID --round YYYY-N [-o charts.jsonl]
//! [--report report.json]`: FHIR R4 patient data (Bundles or single resources `.json`, Bulk Data `.ndjson`, or
//! folders of them) into charts, one JSON line each, sorted by Patient id (see
//! `import::fhir` for what maps). The charts file and the report are written whole or not at
//! all and never over an input. A summary line goes to standard error; the exit code is 1
//! when some input could not be read or some chart was refused (both are in the report).

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::RoundId;
use crate::chart::PracticeId;
use crate::import::fhir::{FhirImport, ImportError, PracticeEncounters};

/// Arguments of `oncoqual import`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Import FHIR R4 Bundles or single resources (`.json`) and Bulk Data exports (`.ndjson`), or folders of
    /// them, as charts (JSONL), with an import report.
    #[command(
        after_help = "Example:\n  oncoqual import fhir export/ --practice P001 --round 2026-1 --practice-organization org-17 -o charts.jsonl --report import.json\n  oncoqual import fhir examples/fhir/breast-cancer-patient.json --practice P001 --round 2026-1 --all-encounters-with-practice"
    )]
    Fhir(FhirArgs),
}

/// Arguments of `oncoqual import fhir`.
#[derive(Debug, clap::Args)]
pub(crate) struct FhirArgs {
    /// Bundle or single-resource files (`.json`), NDJSON files (`.ndjson`), or folders holding them (their
    /// `.json` and `.ndjson` files, in name order).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The reporting practice of every chart (not in FHIR data).
    #[arg(long, value_name = "ID")]
    practice: PracticeId,
    /// The data-collection round of every chart (`YYYY-1` or `YYYY-2`).
    #[arg(long, value_name = "YYYY-N")]
    round: RoundId,
    /// The charts file (JSONL; standard output when absent or `-`).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write the import report (JSON) here.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Every encounter of the input is with the practice (an export of the practice's own
    /// records): `with_practice` is true for all. Without this or `--practice-organization`,
    /// `with_practice` is left missing and no encounter is an office visit of the practice.
    #[arg(long, conflicts_with = "practice_organization")]
    all_encounters_with_practice: bool,
    /// An Organization logical id that is the practice (repeatable): an encounter whose
    /// `serviceProvider` names one is with the practice, another organization's is not.
    #[arg(long, value_name = "ID")]
    practice_organization: Vec<String>,
    /// The cap on resources held in memory by one run.
    #[arg(long, value_name = "N", default_value_t = crate::import::fhir::DEFAULT_MAX_RESOURCES)]
    max_resources: u64,
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    match &args.command {
        Command::Fhir(a) => fhir(a),
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Bundle,
    Ndjson,
}

fn kind_of(path: &Path) -> Option<Kind> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("json") => Some(Kind::Bundle),
        Some(e) if e.eq_ignore_ascii_case("ndjson") => Some(Kind::Ndjson),
        _ => None,
    }
}

/// The input files: each path, or a folder's `.json`/`.ndjson` files in name order.
fn inputs(paths: &[PathBuf]) -> io::Result<Vec<(PathBuf, Kind)>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| super::with_path(e, path))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && kind_of(p).is_some())
                .collect();
            files.sort();
            out.extend(
                files
                    .into_iter()
                    .filter_map(|p| kind_of(&p).map(|k| (p, k))),
            );
        } else {
            let kind = kind_of(path).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{}: expected a Bundle or resource (`.json`), an NDJSON file (`.ndjson`) or a folder",
                        path.display()
                    ),
                )
            })?;
            out.push((path.clone(), kind));
        }
    }
    Ok(out)
}

fn to_io(e: ImportError) -> io::Error {
    match e {
        ImportError::Io { source_name, error } => {
            io::Error::new(error.kind(), format!("{source_name}: {error}"))
        }
        other => io::Error::other(other.to_string()),
    }
}

fn fhir(args: &FhirArgs) -> io::Result<ExitCode> {
    let files = inputs(&args.paths)?;
    let mut all_inputs: Vec<&Path> = args.paths.iter().map(PathBuf::as_path).collect();
    all_inputs.extend(files.iter().map(|(p, _)| p.as_path()));
    if let (Some(a), Some(b)) = (&args.report, &args.output)
        && (a == b || super::output::same_file(a, b))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{}: refused: `--report` and `-o` name the same file",
                a.display()
            ),
        ));
    }
    if let Some(r) = &args.report {
        super::output::refuse_inputs(r, &all_inputs)?;
    }
    let mut out = super::output(args.output.as_deref(), &all_inputs)?;
    let mut run = FhirImport::new(args.practice.clone(), args.round)
        .max_resources(args.max_resources)
        .practice_encounters(if args.all_encounters_with_practice {
            PracticeEncounters::All
        } else if args.practice_organization.is_empty() {
            PracticeEncounters::NotStated
        } else {
            PracticeEncounters::organizations(args.practice_organization.iter().cloned())
        });
    let paths: Vec<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    let to_stdout = args.output.as_deref().is_none_or(|o| o.as_os_str() == "-");
    let pb = super::progress::over_files(&paths, "importing", to_stdout);
    for (path, kind) in &files {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| super::with_path(e, path))?;
        let reader = pb.wrap_read(file);
        match kind {
            Kind::Bundle => run.read_bundle(&name, BufReader::new(reader)),
            Kind::Ndjson => run.read_ndjson(&name, BufReader::new(reader)),
        }
        .map_err(to_io)?;
    }
    pb.set_message("building");
    let imported = run.finish().map_err(to_io)?;
    pb.finish_and_clear();
    for chart in &imported.charts {
        out.write_all(chart.to_json().as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.finish()?;
    let s = &imported.report.summary;
    if let Some(path) = &args.report {
        let mut json = serde_json::to_string_pretty(&imported.report).map_err(io::Error::other)?;
        json.push('\n');
        super::write_file(path, &all_inputs, json.as_bytes())?;
    }
    let _ = writeln!(
        io::stderr(),
        "imported {} chart(s), {} refused, from {} source(s): {} resource(s) read, {} used, {} skipped, {} input error(s)",
        s.charts_built,
        s.charts_refused,
        s.sources,
        s.resources_read,
        s.resources_used,
        s.resources_skipped,
        s.input_errors
    );
    Ok(if s.input_errors > 0 || s.charts_refused > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
