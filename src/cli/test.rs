//! `oncoqual test [DIR] [--measure ID]... [--case PATTERN]... [--format text|junit|json]`:
//! run the test deck (`DIR/<measure-id>/*.json`) against a library. Text names every
//! failing case with each population that differs and the explain trace of its criterion;
//! JUnit XML and JSON give one test case per deck case, for CI and certification harnesses.
//!
//! `--coverage [--format text|json|html -o DIR]`: the logic coverage of the deck instead —
//! per measure, which clauses its cases made true, false and unknown, the clauses missed
//! listed (text), every clause with its counts (JSON), or the spec highlighted (a page per
//! measure and an index in `DIR`). The exit code still says whether every case passed.
//!
//! `oncoqual test --mutate [--measure ID]... [--min-score PCT] [--format text|json]`: mutation
//! testing of the decks (`measure::mutate`): each surviving mutant with its place, kind and
//! text, a score per measure, and the library's score.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use crate::measure::mutate::{self, MutationReport, Score};
use crate::measure::{
    CaseFilter, CaseProblem, CaseReport, CaseResult, Coverage, cover_cases, run_cases_filtered,
    shown_percent,
};
use crate::report::html::{coverage_file_name, coverage_index, coverage_page};

/// How `oncoqual test` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Failures with their traces, then a summary line.
    Text,
    /// JUnit XML: a test suite per measure, a test case per case file.
    Junit,
    /// JSON: counts and every case with its problems.
    Json,
    /// HTML (with `--coverage`): a page per measure with its spec highlighted, and an
    /// index, in the folder `-o DIR`.
    Html,
}

/// Arguments of `oncoqual test`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The case directory.
    #[arg(default_value = "tests/cases")]
    dir: PathBuf,
    /// The measure-spec directory; the bundled library when absent.
    #[arg(long)]
    specs: Option<PathBuf>,
    /// A round-calendar file overriding the default reporting periods.
    #[arg(long)]
    rounds: Option<PathBuf>,
    /// Only the cases of this measure (repeatable).
    #[arg(long = "measure", value_name = "ID")]
    measures: Vec<String>,
    /// Only the cases whose name (file name without `.json`) matches; `*` and `?` are
    /// wildcards (repeatable).
    #[arg(long = "case", value_name = "PATTERN", conflicts_with = "mutate")]
    cases: Vec<String>,
    /// Output format (`junit` is not for `--mutate`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Report the logic coverage of the deck: which clauses of each selected measure its
    /// cases made true, false and unknown (text, json, or html with `-o DIR`).
    #[arg(long, conflicts_with = "mutate")]
    coverage: bool,
    /// The folder for `--coverage --format html` (created if needed; pages are replaced
    /// whole).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: Option<PathBuf>,
    /// Mutation testing: evaluate each measure's deck against the plausible misreadings of
    /// its spec and list the mutants no case kills (a mutant is judged by the whole deck, so
    /// `--case` does not apply).
    #[arg(long)]
    mutate: bool,
    /// With `--mutate`: fail when a measure kills less than PCT percent of its
    /// non-equivalent mutants (0, the default, only reports).
    #[arg(long, value_name = "PCT", requires = "mutate", default_value_t = 0.0, value_parser = percent)]
    min_score: f64,
}

/// A percentage, 0 to 100.
fn percent(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a percentage from 0 to 100")),
    }
}

pub(crate) fn run(args: &Args) -> io::Result<ExitCode> {
    let usage = |m: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, m.to_owned()));
    match (args.coverage, args.format, &args.output) {
        (true, Format::Junit, _) => {
            return usage("--coverage: the formats are text, json and html, not junit");
        }
        (false, Format::Html, _) => {
            return usage("--format html is the coverage report: add --coverage");
        }
        (true, Format::Html, None) => {
            return usage("--coverage --format html writes a folder: give it with -o DIR");
        }
        (_, Format::Text | Format::Json | Format::Junit, Some(_)) => {
            return usage(
                "-o DIR is for --coverage --format html; other formats go to standard output",
            );
        }
        _ => {}
    }
    let lib = match super::check::load(args.specs.as_deref())? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    for m in &args.measures {
        if lib.index_of(m).is_none() {
            let hint = lib
                .suggest(m)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("--measure: no measure `{m}` in the library{hint}"),
            ));
        }
    }
    let calendar = super::evaluate::calendar(args.rounds.as_deref())?;
    if args.mutate {
        return mutate(args, &lib, &calendar);
    }
    let mut filter = CaseFilter::default();
    filter.measures.clone_from(&args.measures);
    filter.cases.clone_from(&args.cases);
    let report = if args.coverage {
        cover_cases(&lib, &args.dir, &calendar, &filter)
    } else {
        run_cases_filtered(&lib, &args.dir, &calendar, &filter)
    }
    .map_err(|e| super::with_path(e, &args.dir))?;
    if report.cases.is_empty() && (!args.measures.is_empty() || !args.cases.is_empty()) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{}: no case matches --measure / --case: nothing was tested",
                args.dir.display()
            ),
        ));
    }
    let mut out = io::stdout().lock();
    if let Some(coverage) = &report.coverage {
        match args.format {
            Format::Json => {
                serde_json::to_writer_pretty(
                    &mut out,
                    &JsonCoverage {
                        passed: report.passed,
                        failed: report.failures.len(),
                        coverage,
                    },
                )?;
                writeln!(out)?;
            }
            Format::Html => {
                let dir = args.output.as_deref().unwrap_or(Path::new("."));
                let written = html_pages(dir, coverage, args)?;
                text(&mut out, &report)?;
                writeln!(
                    out,
                    "coverage: {written} pages in {} ({} of {} outcomes, {})",
                    dir.display(),
                    coverage.totals.outcomes_covered,
                    coverage.totals.outcomes,
                    shown_percent(coverage.totals.percent())
                )?;
            }
            _ => {
                text(&mut out, &report)?;
                write!(out, "{coverage}")?;
            }
        }
        return Ok(if report.ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    match args.format {
        Format::Text | Format::Html => text(&mut out, &report)?,
        Format::Junit => out.write_all(junit(&report).as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &json(&report))?;
            writeln!(out)?;
        }
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn text(out: &mut impl Write, report: &CaseReport) -> io::Result<()> {
    for f in &report.failures {
        write!(out, "{f}")?;
    }
    // Two counts of cases read from files: far below `usize::MAX`.
    let total = report.passed.saturating_add(report.failures.len());
    writeln!(
        out,
        "{} of {total} cases passed over {} measures; {} failed",
        report.passed,
        report.per_measure.len(),
        report.failures.len()
    )
}

/// A problem as one line (the text format's wording).
fn problem_line(p: &CaseProblem, measure: &str) -> String {
    let shown = crate::measure::CaseFailure::render_problem(p, measure);
    shown.trim().to_owned()
}

/// The JUnit XML report: `testsuites` > a `testsuite` per measure > a `testcase` per case
/// file, a failing population or stratum as `failure` (its message the first difference,
/// its text every difference and the traces), an unreadable case as `error`.
fn junit(report: &CaseReport) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures = report.cases.iter().filter(|c| is_failure(c)).count();
    let errors = report.cases.iter().filter(|c| is_error(c)).count();
    let _ = writeln!(
        x,
        "<testsuites name=\"oncoqual test\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">",
        report.cases.len()
    );
    for suite in report.cases.chunk_by(|a, b| a.measure == b.measure) {
        let Some(measure) = suite.first().map(|c| &c.measure) else {
            continue;
        };
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
            xml(measure),
            suite.len(),
            suite.iter().filter(|c| is_failure(c)).count(),
            suite.iter().filter(|c| is_error(c)).count()
        );
        for c in suite {
            let _ = write!(
                x,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"",
                xml(measure),
                xml(&c.name()),
                xml(&c.case.display().to_string())
            );
            if c.passed() {
                x.push_str("/>\n");
                continue;
            }
            x.push_str(">\n");
            let lines: Vec<String> = c
                .problems
                .iter()
                .map(|p| problem_line(p, measure))
                .collect();
            let mut body = lines.join("\n");
            for t in &c.traces {
                body.push_str("\n\n");
                body.push_str(t);
            }
            let tag = if is_error(c) { "error" } else { "failure" };
            let _ = writeln!(
                x,
                "      <{tag} message=\"{}\">{}</{tag}>",
                xml(lines.first().map_or("", String::as_str)),
                xml(&body)
            );
            x.push_str("    </testcase>\n");
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

fn is_error(c: &CaseResult) -> bool {
    c.problems
        .iter()
        .any(|p| matches!(p, CaseProblem::Invalid(_) | CaseProblem::UnknownMeasure(_)))
}

fn is_failure(c: &CaseResult) -> bool {
    !c.passed() && !is_error(c)
}

/// Escapes text for XML attributes and content; characters XML 1.0 cannot hold are
/// written as U+FFFD.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Writes the coverage pages into `dir`: the index and a page per measure, each whole or
/// not at all; never over a spec or case file.
fn html_pages(dir: &Path, coverage: &Coverage, args: &Args) -> io::Result<usize> {
    std::fs::create_dir_all(dir).map_err(|e| super::with_path(e, dir))?;
    let mut inputs: Vec<&Path> = vec![&args.dir];
    if let Some(s) = &args.specs {
        inputs.push(s);
    }
    let mut names = std::collections::BTreeSet::new();
    for m in coverage.measures.iter().chain(&coverage.modules) {
        let name = coverage_file_name(&m.measure);
        if !names.insert(name.to_ascii_lowercase()) || name.eq_ignore_ascii_case("index.html") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("two measure or module ids give the page name {name}: rename one"),
            ));
        }
        super::write_file(&dir.join(&name), &inputs, coverage_page(m).as_bytes())?;
    }
    super::write_file(
        &dir.join("index.html"),
        &inputs,
        coverage_index(coverage).as_bytes(),
    )?;
    Ok(coverage
        .measures
        .len()
        .saturating_add(coverage.modules.len())
        .saturating_add(1))
}

#[derive(Serialize)]
struct JsonCoverage<'a> {
    passed: usize,
    failed: usize,
    coverage: &'a Coverage,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    passed: usize,
    failed: usize,
    measures: usize,
    cases: Vec<JsonCase<'a>>,
}

#[derive(Serialize)]
struct JsonCase<'a> {
    measure: &'a str,
    case: String,
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    passed: bool,
    problems: Vec<String>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    traces: &'a [String],
}

fn json(report: &CaseReport) -> JsonReport<'_> {
    JsonReport {
        passed: report.passed,
        failed: report.failures.len(),
        measures: report.per_measure.len(),
        cases: report
            .cases
            .iter()
            .map(|c| JsonCase {
                measure: &c.measure,
                case: c.name(),
                file: c.case.display().to_string(),
                description: c.description.as_deref(),
                passed: c.passed(),
                problems: c
                    .problems
                    .iter()
                    .map(|p| problem_line(p, &c.measure))
                    .collect(),
                traces: &c.traces,
            })
            .collect(),
    }
}

/// `--mutate`: the mutation report, its annotation errors on standard error.
fn mutate(
    args: &Args,
    lib: &crate::measure::Library,
    calendar: &crate::RoundCalendar,
) -> io::Result<ExitCode> {
    if matches!(args.format, Format::Junit | Format::Html) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--mutate writes text or json, not junit or html",
        ));
    }
    let report = mutate::run(lib, &args.dir, calendar, &args.measures)
        .map_err(|e| super::with_path(e, &args.dir))?;
    let root = args
        .specs
        .clone()
        .unwrap_or_else(|| PathBuf::from("measure-specs"));
    let place = |file: &str| root.join(file).display().to_string();
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &mutation_json(&report, &place))?;
            writeln!(out)?;
        }
        Format::Text | Format::Junit | Format::Html => {
            mutation_text(&mut out, &report, args.min_score, &place)?;
        }
    }
    let mut err = io::stderr().lock();
    for e in &report.errors {
        writeln!(
            err,
            "error: {}:{}:{}: {}",
            place(&e.file),
            e.line,
            e.column,
            e.message
        )?;
    }
    let failing = report
        .scores
        .iter()
        .filter(|s| below(s, args.min_score))
        .count();
    if failing > 0 {
        writeln!(
            err,
            "error: {failing} measure(s) kill less than {}% of their mutants",
            args.min_score
        )?;
    }
    Ok(if report.errors.is_empty() && failing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `killed` of `total` in tenths of a percent, rounded half up; `None` when `total` is 0.
fn per_mille(killed: usize, total: usize) -> Option<usize> {
    let doubled = killed.checked_mul(2000)?.checked_add(total)?;
    doubled.checked_div(total.checked_mul(2)?)
}

/// A score as text: `88.9%`, or `-` when there is nothing to kill.
fn score_text(killed: usize, total: usize) -> String {
    per_mille(killed, total).map_or_else(|| "-".to_owned(), |p| format!("{}.{}%", p / 10, p % 10))
}

/// Whether a measure's score is below `min` percent (never when it has nothing to kill).
fn below(s: &Score, min: f64) -> bool {
    let total = s.scored();
    // Counts of mutants: far below 2^52, exact as floats.
    total > 0 && (s.killed as f64) * 100.0 < min * (total as f64)
}

fn mutation_text(
    out: &mut impl Write,
    report: &MutationReport,
    min: f64,
    place: &dyn Fn(&str) -> String,
) -> io::Result<()> {
    for s in &report.scores {
        let mut notes = Vec::new();
        if s.equivalent > 0 {
            notes.push(format!("{} equivalent", s.equivalent));
        }
        if s.cases == 0 {
            notes.push("no cases".to_owned());
        }
        if s.broken_cases > 0 {
            notes.push(format!(
                "{} case(s) fail as written and kill nothing",
                s.broken_cases
            ));
        }
        if below(s, min) {
            notes.push(format!("below {min}%"));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("; {}", notes.join("; "))
        };
        writeln!(
            out,
            "{}: {} of {} mutants killed ({}){notes}",
            s.measure,
            s.killed,
            s.scored(),
            score_text(s.killed, s.scored())
        )?;
        for v in &s.survivors {
            writeln!(
                out,
                "  {}:{}:{}  {}  {}  `{}`",
                place(&v.file),
                v.line,
                v.column,
                v.kind,
                v.description,
                v.snippet
            )?;
        }
    }
    let at_least = report
        .scores
        .iter()
        .filter(|s| per_mille(s.killed, s.scored()).is_none_or(|p| p >= 950))
        .count();
    writeln!(
        out,
        "library: {} of {} non-equivalent mutants killed ({}) over {} measures; {at_least} at or above 95%",
        report.killed(),
        report.scored(),
        score_text(report.killed(), report.scored()),
        report.scores.len()
    )
}

#[derive(Serialize)]
struct JsonMutation {
    generated: usize,
    equivalent: usize,
    killed: usize,
    /// Percent, one decimal; `null` when there is nothing to kill.
    score: Option<f64>,
    measures: Vec<JsonMeasure>,
    errors: Vec<String>,
}

#[derive(Serialize)]
struct JsonMeasure {
    measure: String,
    cases: usize,
    broken_cases: usize,
    generated: usize,
    equivalent: usize,
    killed: usize,
    score: Option<f64>,
    survivors: Vec<JsonSurvivor>,
}

#[derive(Serialize)]
struct JsonSurvivor {
    file: String,
    line: usize,
    column: usize,
    /// Byte offsets `[start, end)` in the file.
    span: [u32; 2],
    kind: &'static str,
    description: String,
    snippet: String,
}

/// Tenths of a percent as a number with one decimal.
fn score_number(killed: usize, total: usize) -> Option<f64> {
    // At most 1000: exact as a float.
    per_mille(killed, total).map(|p| p as f64 / 10.0)
}

fn mutation_json(report: &MutationReport, place: &dyn Fn(&str) -> String) -> JsonMutation {
    let sum = |f: fn(&Score) -> usize| {
        report
            .scores
            .iter()
            .fold(0usize, |n, s| n.saturating_add(f(s)))
    };
    JsonMutation {
        generated: sum(|s| s.generated),
        equivalent: sum(|s| s.equivalent),
        killed: report.killed(),
        score: score_number(report.killed(), report.scored()),
        measures: report
            .scores
            .iter()
            .map(|s| JsonMeasure {
                measure: s.measure.clone(),
                cases: s.cases,
                broken_cases: s.broken_cases,
                generated: s.generated,
                equivalent: s.equivalent,
                killed: s.killed,
                score: score_number(s.killed, s.scored()),
                survivors: s
                    .survivors
                    .iter()
                    .map(|v| JsonSurvivor {
                        file: place(&v.file),
                        line: v.line,
                        column: v.column,
                        span: [v.span.start, v.span.end],
                        kind: v.kind.name(),
                        description: v.description.clone(),
                        snippet: v.snippet.clone(),
                    })
                    .collect(),
            })
            .collect(),
        errors: report
            .errors
            .iter()
            .map(|e| format!("{}:{}:{}: {}", place(&e.file), e.line, e.column, e.message))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_half_up_to_a_tenth_and_nothing_to_kill_is_no_score() {
        assert_eq!(score_text(2, 3), "66.7%");
        assert_eq!(score_text(1, 8), "12.5%");
        assert_eq!(score_text(19, 20), "95.0%");
        assert_eq!(score_text(0, 0), "-");
        assert_eq!(score_number(1, 3), Some(33.3));
        assert!(percent("95.5").is_ok() && percent("101").is_err() && percent("x").is_err());
    }

    #[test]
    fn xml_escapes_markup_and_replaces_what_xml_cannot_hold() {
        assert_eq!(
            xml("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(xml("x\u{1}y\nz"), "x\u{FFFD}y\nz");
    }
}
