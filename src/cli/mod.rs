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
mod lsp;
mod output;
mod progress;
mod render;
mod report;
mod requirements;
mod rounds;
mod schema;
mod shell;
mod synth;
mod tally;
mod test;
mod validate;

/// Oncology quality measures over abstracted patient charts.
#[derive(Debug, Parser)]
#[command(name = "oncoqual", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the chart model's schema (every field path with its type and values).
    #[command(after_help = "Example:\n  oncoqual schema\n  oncoqual schema --json > schema.json")]
    Schema(schema::Args),
    /// Write deterministic synthetic charts as JSONL.
    #[command(
        after_help = "Example:\n  oncoqual synth --charts 10000 --practices 20 --rounds 2 --seed 7 -o charts.jsonl --practices-out practices.json"
    )]
    Synth(synth::Args),
    /// Validate charts (JSONL files, `.json` single-chart files, or `-` for standard input).
    #[command(
        after_help = "Example:\n  oncoqual validate charts.jsonl\n  cat charts.jsonl | oncoqual validate - --json"
    )]
    Validate(validate::Args),
    /// Check a measure library and print every diagnostic.
    #[command(after_help = "Example:\n  oncoqual check measure-specs/")]
    Check(check::Args),
    /// List the library's measures and how much of the measure catalog it implements.
    #[command(after_help = "Example:\n  oncoqual catalog --missing")]
    Catalog(catalog::Args),
    /// Print the chart fields and value sets each measure reads (its data requirements).
    #[command(
        after_help = "Example:\n  oncoqual requirements --measure core.tobacco-use-status-documented"
    )]
    Requirements(requirements::Args),
    /// Publish the library as FHIR R4 definitions (`fhir measures -o DIR`).
    #[command(after_help = "Example:\n  oncoqual fhir measures -o fhir-definitions/")]
    Fhir(fhir::Args),
    /// Import patient data as charts (`import fhir PATH... --practice ID --round YYYY-N`).
    #[command(
        after_help = "Example:\n  oncoqual import fhir export/ --practice P001 --round 2026-1 --practice-organization org-17 -o charts.jsonl --report import.json"
    )]
    Import(import::Args),
    /// Run the measure test cases.
    #[command(
        after_help = "Examples:\n  oncoqual test tests/cases --measure core.pain-assessed-by-second-visit --format junit > junit.xml\n  oncoqual test --coverage --format html -o coverage/"
    )]
    Test(test::Args),
    /// Evaluate measures on charts: one JSON line of outcomes per chart.
    #[command(
        after_help = "Example:\n  oncoqual evaluate --charts charts.jsonl --measure core.tobacco-use-status-documented"
    )]
    Evaluate(evaluate::Args),
    /// Explain why a chart is or is not in each population of a measure.
    #[command(
        after_help = "Example:\n  oncoqual explain --charts charts.jsonl --chart c1 --measure core.tobacco-use-status-documented"
    )]
    Explain(explain::Args),
    /// Evaluate one shard of charts and write its tally (to merge with `benchmark`).
    #[command(
        after_help = "Example:\n  oncoqual tally --charts charts-000.jsonl -o tally-000.json"
    )]
    Tally(tally::Args),
    /// Merge tallies (or tally charts) and write the benchmark report as JSON.
    #[command(
        after_help = "Example:\n  oncoqual benchmark --charts charts.jsonl --practices practices.json -o report.json\n  oncoqual benchmark --tallies tally-*.json --practices practices.json -o report.json"
    )]
    Benchmark(benchmark::Args),
    /// Render a saved benchmark report as HTML pages, FHIR MeasureReports, CSV or JSON.
    #[command(
        after_help = "Example:\n  oncoqual report --report report.json --format html -o site/"
    )]
    Report(report::Args),
    /// Certification: eligibility, workflow status, and appending workflow events.
    #[command(
        after_help = "Example:\n  oncoqual certify eligibility --report report.json --facts facts.json --practice P001 --on 2026-09-01"
    )]
    Certify(certify::Args),
    /// The main job on bundled defaults: a synthetic national round evaluated, aggregated
    /// and checked for certification eligibility, with reports written to a directory.
    #[command(after_help = "Example:\n  oncoqual demo --out oncoqual-demo")]
    Demo(demo::Args),
    /// The round calendar: reporting periods, submission windows and minimums, and the
    /// notices due on a day (`--on`), addressed to the registered practices (`--practices`).
    #[command(
        after_help = "Example:\n  oncoqual rounds --on 2026-07-01 --practices practices.json"
    )]
    Rounds(rounds::Args),
    /// Serve the language server protocol for `.oqm` specs on standard input and output
    /// (diagnostics, quick fixes, hover, go to definition, completion, document symbols).
    #[command(
        after_help = "Example:\n  oncoqual lsp\n\nEditors start it themselves: the VS Code extension in `editors/vscode/` runs\n`oncoqual lsp`; any LSP client can run the same command (stdio transport). A file's\nlibrary is the nearest folder above it holding `lib/` or `valuesets/`."
    )]
    Lsp(lsp::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(shell::CompletionsArgs),
    /// Print the man page, or write one page per command into a folder (`-o DIR`).
    Man(shell::ManArgs),
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
        Command::Lsp(args) => lsp::run(&args),
        Command::Completions(args) => shell::completions(&args),
        Command::Man(args) => shell::man(&args),
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_command_and_subcommand_shows_an_example_in_its_help() {
        let mut stack = vec![("oncoqual".to_owned(), Cli::command())];
        let mut seen = 0usize;
        while let Some((name, cmd)) = stack.pop() {
            for sub in cmd.get_subcommands() {
                if sub.get_name() != "help" {
                    stack.push((format!("{name} {}", sub.get_name()), sub.clone()));
                }
            }
            if name == "oncoqual" {
                continue;
            }
            seen += 1;
            let after = cmd
                .get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            assert!(
                after.starts_with("Example:\n  oncoqual ")
                    || after.starts_with("Examples:\n  oncoqual "),
                "`{name} --help` has no example"
            );
        }
        assert!(seen >= 25, "{seen} commands");
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
