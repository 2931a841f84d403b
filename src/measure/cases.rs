//! The test deck: `tests/cases/<measure-id>/*.json`, each a chart and the populations (and
//! strata) it is expected to be in; the runner evaluates them all and names every case and
//! population that differ.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::coverage::{Coverage, DeckCoverage};
use super::library::Library;
use super::outcome::Population;
use crate::chart::Chart;
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
    /// The explain trace of each criterion whose population differs, as
    /// `oncoqual explain` prints it (the case's chart values: test data).
    pub traces: Vec<String>,
}

impl CaseFailure {
    /// One difference as the text report writes it (a line, indented by two spaces).
    pub(crate) fn render_problem(p: &CaseProblem, measure: &str) -> String {
        match p {
            CaseProblem::Invalid(e) => format!("  invalid case: {e}\n"),
            CaseProblem::UnknownMeasure(Some(s)) => {
                format!("  no measure `{measure}` in the library (did you mean `{s}`?)\n")
            }
            CaseProblem::UnknownMeasure(None) => {
                format!("  no measure `{measure}` in the library\n")
            }
            CaseProblem::Population {
                population,
                expected,
            } => format!(
                "  {population}: expected {}, got {}\n",
                if *expected { "in" } else { "not in" },
                if *expected { "not in" } else { "in" }
            ),
            CaseProblem::Stratum {
                name,
                expected,
                actual,
            } => format!(
                "  stratum `{name}`: expected {expected:?}, got {}\n",
                actual
                    .as_deref()
                    .map_or("missing".to_owned(), |a| format!("{a:?}"))
            ),
        }
    }
}

impl fmt::Display for CaseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "FAIL {} ({})", self.case.display(), self.measure)?;
        for p in &self.problems {
            f.write_str(&Self::render_problem(p, &self.measure))?;
        }
        for t in &self.traces {
            for line in t.lines() {
                writeln!(f, "    | {line}")?;
            }
        }
        Ok(())
    }
}

/// One case as run: every case of the deck, passed or not (for harness reports).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CaseResult {
    /// The case file.
    pub case: PathBuf,
    /// The measure id (its folder name).
    pub measure: String,
    /// The case's `description`, when the file could be read.
    pub description: Option<String>,
    /// What differs (empty: passed).
    pub problems: Vec<CaseProblem>,
    /// The explain trace of each criterion whose population differs.
    pub traces: Vec<String>,
}

impl CaseResult {
    /// The case passed.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }

    /// The case's name: its file name without `.json`.
    pub fn name(&self) -> String {
        self.case
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Which cases of a deck to run: by measure id (exact) and by case name (the file name
/// without `.json`; `*` and `?` wildcards). An empty list selects all.
///
/// ```
/// use oncoqual::measure::CaseFilter;
///
/// let f = CaseFilter::default().measure("core.pain-assessed-by-second-visit").case("*-numer");
/// assert!(f.selects_case("two-visits-numer") && !f.selects_case("no-visit-denom"));
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CaseFilter {
    /// Measure ids.
    pub measures: Vec<String>,
    /// Case name patterns.
    pub cases: Vec<String>,
}

impl CaseFilter {
    /// Also selects the cases of measure `id`.
    #[must_use]
    pub fn measure(mut self, id: impl Into<String>) -> Self {
        self.measures.push(id.into());
        self
    }

    /// Also selects the cases whose name matches `pattern`.
    #[must_use]
    pub fn case(mut self, pattern: impl Into<String>) -> Self {
        self.cases.push(pattern.into());
        self
    }

    /// Whether the filter selects measure `id`.
    pub fn selects_measure(&self, id: &str) -> bool {
        self.measures.is_empty() || self.measures.iter().any(|m| m == id)
    }

    /// Whether the filter selects a case named `name`.
    pub fn selects_case(&self, name: &str) -> bool {
        self.cases.is_empty() || self.cases.iter().any(|p| wildcard(p, name))
    }
}

/// `*` (any run) and `?` (one character) matching, iterative (no backtracking blow-up:
/// the classic two-pointer match, linear in practice and quadratic at worst).
fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&tc) = t.get(j) {
        match p.get(i) {
            Some(&pc) if pc == '?' || pc == tc => {
                i = i.saturating_add(1);
                j = j.saturating_add(1);
            }
            Some('*') => {
                star = Some((i, j));
                i = i.saturating_add(1);
            }
            _ => match star {
                Some((si, sj)) => {
                    i = si.saturating_add(1);
                    j = sj.saturating_add(1);
                    star = Some((si, j));
                }
                None => return false,
            },
        }
    }
    p.get(i..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
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
    /// Every case run, in deck order.
    pub cases: Vec<CaseResult>,
    /// The logic coverage of the deck, when asked for ([`cover_cases`]).
    pub coverage: Option<Coverage>,
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
    super::fs::run_cases(library, dir, calendar, &CaseFilter::default(), false)
}

/// [`run_cases`] over the cases `filter` selects.
pub fn run_cases_filtered(
    library: &Library,
    dir: &Path,
    calendar: &RoundCalendar,
    filter: &CaseFilter,
) -> std::io::Result<CaseReport> {
    super::fs::run_cases(library, dir, calendar, filter, false)
}

/// [`run_cases_filtered`], noting as well which clauses of each selected measure's logic
/// its cases made true, false and unknown ([`CaseReport::coverage`]). Every measure of the
/// library the filter selects is reported, a measure without cases as never reached.
///
/// ```
/// use oncoqual::RoundCalendar;
/// use oncoqual::measure::{CaseFilter, ClauseStatus, Library, SpecFile, cover_cases};
/// let spec = r#"
/// measure core.example {
///   title "Example" module core tracks [core] direction higher_is_better
///   scoring proportion source "doc" version "1"
/// }
/// initial_population = exists diagnoses
/// numerator = exists (diagnoses where stage_group = IV)
/// "#;
/// let lib = Library::from_files(vec![SpecFile::new("core/example.oqm", spec)], vec![]).unwrap();
/// let dir = std::env::temp_dir().join(format!("oncoqual-doc-cover-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("core.example")).unwrap();
/// std::fs::write(
///     dir.join("core.example/none.json"),
///     r#"{"description": "no diagnosis", "chart": {"id": "c1", "practice": "p1",
///         "round": "2026-1", "patient": {"birth_date": "1960-01-01", "sex": "female"}},
///         "expect": []}"#,
/// ).unwrap();
/// let report = cover_cases(&lib, &dir, &RoundCalendar::new(), &CaseFilter::default()).unwrap();
/// let coverage = report.coverage.unwrap();
/// let ipp = &coverage.measures[0].clauses[0];
/// assert_eq!(ipp.code, "exists diagnoses");
/// assert_eq!(ipp.status, ClauseStatus::NeverTrue);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn cover_cases(
    library: &Library,
    dir: &Path,
    calendar: &RoundCalendar,
    filter: &CaseFilter,
) -> std::io::Result<CaseReport> {
    super::fs::run_cases(library, dir, calendar, filter, true)
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
    cover: Option<&CaseFilter>,
) -> CaseReport {
    let mut report = CaseReport::default();
    let mut coverage = cover.map(|filter| {
        let mut c = DeckCoverage::default();
        for (i, m) in library.measures().enumerate() {
            if filter.selects_measure(&m.id) {
                c.include(i);
            }
        }
        c
    });
    for (measure, files) in decks {
        // Counts of case files read (here and below): far below `usize::MAX`.
        let count = report.per_measure.entry(measure.clone()).or_default();
        *count = count.saturating_add(files.len());
        for file in files {
            let ran = match &file.text {
                Ok(text) => run_one(library, &measure, text, calendar, coverage.as_mut()),
                Err(e) => Ran::invalid(e.clone()),
            };
            if ran.problems.is_empty() {
                report.passed = report.passed.saturating_add(1);
            } else {
                report.failures.push(CaseFailure {
                    case: file.path.clone(),
                    measure: measure.clone(),
                    problems: ran.problems.clone(),
                    traces: ran.traces.clone(),
                });
            }
            report.cases.push(CaseResult {
                case: file.path,
                measure: measure.clone(),
                description: ran.description,
                problems: ran.problems,
                traces: ran.traces,
            });
        }
    }
    report.coverage = coverage.map(|c| c.finish(library));
    report
}

/// What running one case gives.
#[derive(Default)]
struct Ran {
    description: Option<String>,
    problems: Vec<CaseProblem>,
    traces: Vec<String>,
}

impl Ran {
    fn invalid(e: String) -> Ran {
        Ran {
            problems: vec![CaseProblem::Invalid(e)],
            ..Ran::default()
        }
    }
}

fn run_one(
    library: &Library,
    measure: &str,
    text: &str,
    calendar: &RoundCalendar,
    coverage: Option<&mut DeckCoverage>,
) -> Ran {
    let raw: RawCase = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => return Ran::invalid(format!("{}:{}: {e}", e.line(), e.column())),
    };
    let description = Some(raw.description.clone());
    let mut ran = check_one(library, measure, &raw, calendar, coverage);
    ran.description = description;
    ran
}

/// A case's chart, reporting period and expected populations, or why the case is invalid.
fn prepare(
    raw: &RawCase,
    calendar: &RoundCalendar,
) -> Result<(Chart, Period, Vec<Population>), String> {
    let chart_text = raw.chart.to_string();
    let chart = match parse_chart(&chart_text, &Limits::default()) {
        Ok(c) => c.chart,
        Err(e) => return Err(format!("chart: {e}")),
    };
    let period = match &raw.reporting_period {
        Some(p) => match p.parse::<Period>() {
            Ok(p) => p,
            Err(e) => return Err(format!("reporting_period: {e}")),
        },
        None => calendar.period(chart.round),
    };
    let mut expected = Vec::new();
    for code in &raw.expect {
        match Population::parse(code) {
            Some(p) => expected.push(p),
            None => {
                return Err(format!(
                    "`{code}` is not a population (a FHIR code such as `initial-population` or `denominator-exclusion`, a short code IPP, DENOM, DENEX, DENEXCEP, NUMER, NUMEX, or a criterion keyword such as `numerator`)"
                ));
            }
        }
    }
    Ok((chart, period, expected))
}

/// A case file read for mutation testing (`mutate`).
pub(crate) struct PreparedCase {
    pub(crate) chart: Chart,
    pub(crate) period: Period,
    /// The populations it expects.
    pub(crate) expected: Vec<Population>,
    /// The strata it expects, by stratifier name.
    pub(crate) strata: BTreeMap<String, String>,
}

/// Reads the text of a case file as [`run_cases`] does; `Err`: the case is invalid.
pub(crate) fn prepare_case(text: &str, calendar: &RoundCalendar) -> Result<PreparedCase, String> {
    let raw: RawCase =
        serde_json::from_str(text).map_err(|e| format!("{}:{}: {e}", e.line(), e.column()))?;
    let (chart, period, expected) = prepare(&raw, calendar)?;
    Ok(PreparedCase {
        chart,
        period,
        expected,
        strata: raw.strata.unwrap_or_default(),
    })
}

fn check_one(
    library: &Library,
    measure: &str,
    raw: &RawCase,
    calendar: &RoundCalendar,
    coverage: Option<&mut DeckCoverage>,
) -> Ran {
    let invalid = |e: String| Ran::invalid(e);
    let Some(index) = library.index_of(measure) else {
        return Ran {
            problems: vec![CaseProblem::UnknownMeasure(
                library.suggest(measure).map(str::to_owned),
            )],
            ..Ran::default()
        };
    };
    let (chart, period, expected) = match prepare(raw, calendar) {
        Ok(p) => p,
        Err(e) => return invalid(e),
    };
    let outcome = match library.try_evaluate_selected(&chart, period, &[index]) {
        Ok(mut o) => o.pop(),
        Err(e) => return invalid(e.to_string()),
    };
    let Some(outcome) = outcome else {
        return invalid("evaluation produced no outcome".to_owned());
    };
    if let Some(c) = coverage {
        c.add(library, index, &chart, period);
    }
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
    let differing: Vec<&'static str> = problems
        .iter()
        .filter_map(|p| match p {
            CaseProblem::Population { population, .. } => Some(population.keyword()),
            _ => None,
        })
        .collect();
    let mut traces = Vec::new();
    if !differing.is_empty()
        && let Some(explanation) = library.explain(&chart, period, index)
    {
        traces = explanation
            .criteria
            .iter()
            .filter(|c| differing.contains(&c.criterion.as_str()))
            .map(ToString::to_string)
            .collect();
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
    Ran {
        problems,
        traces,
        ..Ran::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_runs_and_single_characters_without_backtracking_blowup() {
        assert!(wildcard("*-numer", "two-visits-numer"));
        assert!(wildcard("a?c", "abc") && !wildcard("a?c", "abbc"));
        assert!(wildcard("*", "") && wildcard("**x**", "x"));
        assert!(!wildcard("*-numer", "numer-denom"));
        // A pathological pattern stays fast (the two-pointer match).
        let text = "a".repeat(5000);
        assert!(!wildcard(&format!("{}b", "*a".repeat(50)), &text));
    }

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
