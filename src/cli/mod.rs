//! The `oncoqual` command line (feature `cli`): one file per verb.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod benchmark;
mod catalog;
mod certify;
mod check;
mod demo;
mod evaluate;
mod explain;
mod fhir;
mod import;
mod logstore;
mod output;
mod render;
mod report;
mod requirements;
mod rounds;
mod schema;
mod synth;
mod tally;
mod test;
mod validate;

/// Oncology quality measures over abstracted patient charts.
#[derive(Debug, Parser)]
#[command(name = "oncoqual", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the chart model's schema (every field path with its type and values).
    Schema(schema::Args),
    /// Write deterministic synthetic charts as JSONL.
    Synth(synth::Args),
    /// Validate charts (JSONL files, `.json` single-chart files, or `-` for standard input).
    Validate(validate::Args),
    /// Check a measure library and print every diagnostic.
    Check(check::Args),
    /// List the library's measures and how much of the measure catalog it implements.
    Catalog(catalog::Args),
    /// Print the chart fields and value sets each measure reads (its data requirements).
    Requirements(requirements::Args),
    /// Publish the library as FHIR R4 definitions (`fhir measures -o DIR`).
    Fhir(fhir::Args),
    /// Import patient data as charts (`import fhir PATH... --practice ID --round YYYY-N`).
    Import(import::Args),
    /// Run the measure test cases.
    Test(test::Args),
    /// Evaluate measures on charts: one JSON line of outcomes per chart.
    Evaluate(evaluate::Args),
    /// Explain why a chart is or is not in each population of a measure.
    Explain(explain::Args),
    /// Evaluate one shard of charts and write its tally (to merge with `benchmark`).
    Tally(tally::Args),
    /// Merge tallies (or tally charts) and write the benchmark report as JSON.
    Benchmark(benchmark::Args),
    /// Render a saved benchmark report as HTML pages, FHIR MeasureReports, CSV or JSON.
    Report(report::Args),
    /// Certification: eligibility, workflow status, and appending workflow events.
    Certify(certify::Args),
    /// The main job on bundled defaults: a synthetic national round evaluated, aggregated
    /// and checked for certification eligibility, with reports written to a directory.
    Demo(demo::Args),
    /// The round calendar: reporting periods, submission windows and minimums, and the
    /// notices due on a day (`--on`), addressed to the registered practices (`--practices`).
    Rounds(rounds::Args),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Schema(args) => schema::run(&args),
        Command::Synth(args) => synth::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Catalog(args) => catalog::run(&args),
        Command::Requirements(args) => requirements::run(&args),
        Command::Fhir(args) => fhir::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Evaluate(args) => evaluate::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Tally(args) => tally::run(&args),
        Command::Benchmark(args) => benchmark::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Certify(args) => certify::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Rounds(args) => rounds::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "oncoqual: {e}");
            ExitCode::from(2)
        }
    }
}

pub(crate) use output::{output, write_file};

/// The error of `--format parquet` in a binary built without the `parquet` feature.
#[cfg(not(feature = "parquet"))]
pub(crate) fn without_parquet() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "--format parquet: this oncoqual was built without the `parquet` feature (rebuild with `--features cli,parquet`)",
    )
}

/// Adds the file name to an I/O error's message.
pub(crate) fn with_path(e: io::Error, path: &std::path::Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
