//! The test deck: `tests/cases/<measure-id>/*.json`, each a chart and the populations (and
//! strata) it is expected to be in; the runner evaluates them all and names every case and
//! population that differ.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::library::Library;
use super::outcome::Population;
use crate::chart::round::{Period, RoundCalendar};
use crate::io::{Limits, parse_chart};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    description: String,
    #[serde(default)]
    reporting_period: Option<String>,
    chart: serde_json::Value,
    expect: Vec<String>,
    #[serde(default)]
    strata: Option<BTreeMap<String, String>>,
}

/// How a case failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaseProblem {
    /// The case file could not be read or is not a valid case.
    Invalid(String),
    /// The folder names no measure of the library.
    UnknownMeasure(Option<String>),
    /// A population differs.
    Population {
        /// Which.
        population: Population,
        /// What the case expects.
        expected: bool,
    },
    /// A stratum differs.
    Stratum {
        /// The stratifier.
        name: String,
        /// What the case expects.
        expected: String,
        /// What the engine found (`None`: missing).
        actual: Option<String>,
    },
}

/// One failing case.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CaseFailure {
    /// The case file.
    pub case: PathBuf,
    /// The measure id (its folder name).
    pub measure: String,
    /// What differs.
    pub problems: Vec<CaseProblem>,
}

impl fmt::Display for CaseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "FAIL {} ({})", self.case.display(), self.measure)?;
        for p in &self.problems {
            match p {
                CaseProblem::Invalid(e) => writeln!(f, "  invalid case: {e}")?,
                CaseProblem::UnknownMeasure(s) => match s {
                    Some(s) => writeln!(
                        f,
                        "  no measure `{}` in the library (did you mean `{s}`?)",
                        self.measure
                    )?,
                    None => writeln!(f, "  no measure `{}` in the library", self.measure)?,
                },
                CaseProblem::Population {
                    population,
                    expected,
                } => writeln!(
                    f,
                    "  {population}: expected {}, got {}",
                    if *expected { "in" } else { "not in" },
                    if *expected { "not in" } else { "in" }
                )?,
                CaseProblem::Stratum {
                    name,
                    expected,
                    actual,
                } => writeln!(
                    f,
                    "  stratum `{name}`: expected {expected:?}, got {}",
                    actual
                        .as_deref()
                        .map_or("missing".to_owned(), |a| format!("{a:?}"))
                )?,
            }
        }
        Ok(())
    }
}

/// The result of running a test deck.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CaseReport {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed, each with every difference.
    pub failures: Vec<CaseFailure>,
    /// Cases per measure id.
    pub per_measure: BTreeMap<String, usize>,
}

impl CaseReport {
    /// All cases passed.
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs every case below `dir` (`dir/<measure-id>/*.json`) against `library`. Periods
/// default to the chart's round in `calendar`. I/O errors on the directory itself are
/// returned; a bad case file is a failure of that case, and the run goes on.
pub fn run_cases(
    library: &Library,
    dir: &Path,
    calendar: &RoundCalendar,
) -> std::io::Result<CaseReport> {
    super::fs::run_cases(library, dir, calendar)
}

/// One case file as read: where it is, and its text or why it could not be read.
pub(crate) struct CaseFile {
    pub(crate) path: PathBuf,
    pub(crate) text: Result<String, String>,
}

/// Runs the case files of each measure's deck, `(measure id, files)`, in the order given.
pub(crate) fn run_case_files(
    library: &Library,
    decks: Vec<(String, Vec<CaseFile>)>,
    calendar: &RoundCalendar,
) -> CaseReport {
    let mut report = CaseReport::default();
    for (measure, files) in decks {
        // Counts of case files read (here and below): far below `usize::MAX`.
        let count = report.per_measure.entry(measure.clone()).or_default();
        *count = count.saturating_add(files.len());
        for file in files {
            let problems = match &file.text {
                Ok(text) => run_one(library, &measure, text, calendar),
                Err(e) => vec![CaseProblem::Invalid(e.clone())],
            };
            if problems.is_empty() {
                report.passed = report.passed.saturating_add(1);
            } else {
                report.failures.push(CaseFailure {
                    case: file.path,
                    measure: measure.clone(),
                    problems,
                });
            }
        }
    }
    report
}

fn run_one(
    library: &Library,
    measure: &str,
    text: &str,
    calendar: &RoundCalendar,
) -> Vec<CaseProblem> {
    let invalid = |e: String| vec![CaseProblem::Invalid(e)];
    let raw: RawCase = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => return invalid(format!("{}:{}: {e}", e.line(), e.column())),
    };
    let _ = &raw.description;
    let Some(index) = library.index_of(measure) else {
        return vec![CaseProblem::UnknownMeasure(
            library.suggest(measure).map(str::to_owned),
        )];
    };
    let chart_text = raw.chart.to_string();
    let chart = match parse_chart(&chart_text, &Limits::default()) {
        Ok(c) => c.chart,
        Err(e) => return invalid(format!("chart: {e}")),
    };
    let period = match &raw.reporting_period {
        Some(p) => match p.parse::<Period>() {
            Ok(p) => p,
            Err(e) => return invalid(format!("reporting_period: {e}")),
        },
        None => calendar.period(chart.round),
    };
    let mut expected = Vec::new();
    for code in &raw.expect {
        match Population::from_code(code) {
            Some(p) => expected.push(p),
            None => {
                return invalid(format!(
                    "`{code}` is not a population (IPP, DENOM, DENEX, DENEXCEP, NUMER, NUMEX)"
                ));
            }
        }
    }
    let outcome = match library.try_evaluate_selected(&chart, period, &[index]) {
        Ok(mut o) => o.pop(),
        Err(e) => return invalid(e.to_string()),
    };
    let Some(outcome) = outcome else {
        return invalid("evaluation produced no outcome".to_owned());
    };
    let mut problems = Vec::new();
    for p in Population::ALL {
        let want = expected.contains(&p);
        if outcome.populations.contains(p) != want {
            problems.push(CaseProblem::Population {
                population: p,
                expected: want,
            });
        }
    }
    if let (Some(strata), Some(info)) = (&raw.strata, library.measure(index)) {
        for (name, want) in strata {
            match info.stratifiers.iter().position(|s| s == name) {
                None => problems.push(CaseProblem::Invalid(format!(
                    "the measure has no stratifier `{name}`"
                ))),
                Some(i) => {
                    let actual = outcome.strata.get(i).cloned().flatten();
                    if actual.as_deref() != Some(want.as_str()) {
                        problems.push(CaseProblem::Stratum {
                            name: name.clone(),
                            expected: want.clone(),
                            actual,
                        });
                    }
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_case_file_that_is_a_fifo_is_an_invalid_case_and_is_never_opened() {
        let dir = std::env::temp_dir().join(format!("oncoqual-cases-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("core.x")).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.join("core.x/case.json"))
            .status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no FIFOs here
        }
        let lib = Library::bundled().unwrap();
        let report = run_cases(lib, &dir, &RoundCalendar::new()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(report.failures.len(), 1);
        let shown = report.failures[0].to_string();
        assert!(shown.contains("a FIFO, not a regular file"), "{shown}");
    }
}
