//! Logic coverage of a test deck: for each measure, which clauses of its logic (every
//! population criterion and stratifier, every define it reaches, every `where` and
//! `all` / `any` predicate, and each operand of an `and` / `or` chain) evaluated true, false
//! or unknown over its cases — exactly, since the evaluator itself notes every outcome,
//! inside loops and chains too.
//!
//! The clauses are found in the compiled logic as written (the tree *explain* evaluates),
//! so a clause is identified by its file and byte span; a define shared by several measures
//! is counted for each measure over that measure's own deck. Coverage counts cases, never
//! values: it shows no patient data.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use bumpalo::Bump;
use rust_decimal::Decimal;
use serde::Serialize;

use super::ir::{Node, Op};
use super::library::Library;
use super::trace::{OUTCOME_FALSE, OUTCOME_TRUE, OUTCOME_UNKNOWN, OUTCOME_VALUE};
use crate::chart::Chart;
use crate::chart::round::Period;
use crate::dsl::ast::PopulationKind;
use crate::dsl::{Source, Span};

/// What part of a measure's logic a clause is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClauseKind {
    /// A population criterion (`numerator = ...`).
    Criterion,
    /// A stratifier's expression.
    Stratifier,
    /// A define's body (with or without parameters).
    Define,
    /// The predicate of a `where`, `all` or `any`, once per element it was tried on.
    Predicate,
    /// One operand of an `and` / `or` chain.
    Operand,
}

impl ClauseKind {
    /// The kind as written in reports: `criterion`, `stratifier`, `define`, `where`,
    /// `operand`.
    pub const fn label(self) -> &'static str {
        match self {
            ClauseKind::Criterion => "criterion",
            ClauseKind::Stratifier => "stratifier",
            ClauseKind::Define => "define",
            ClauseKind::Predicate => "where",
            ClauseKind::Operand => "operand",
        }
    }
}

/// Whether a deck exercised a clause fully.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClauseStatus {
    /// A true/false clause that was both true and false; any other clause that was reached.
    Covered,
    /// Reached, and false (or unknown) but never true.
    NeverTrue,
    /// Reached, and true (or unknown) but never false.
    NeverFalse,
    /// Reached, but only ever unknown (missing): neither true nor false.
    OnlyUnknown,
    /// Never evaluated by any case.
    NeverReached,
}

impl ClauseStatus {
    /// The status as written in reports (`covered`, `never true`, ...).
    pub const fn label(self) -> &'static str {
        match self {
            ClauseStatus::Covered => "covered",
            ClauseStatus::NeverTrue => "never true",
            ClauseStatus::NeverFalse => "never false",
            ClauseStatus::OnlyUnknown => "only unknown",
            ClauseStatus::NeverReached => "never reached",
        }
    }
}

/// One clause of a measure's logic and the outcomes its deck gave: each count is a number
/// of cases in which the clause had that outcome at least once (a `where` predicate is
/// tried on every element, so one case can make it both true and false).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Clause {
    /// What it is.
    pub kind: ClauseKind,
    /// The spec file it is written in.
    pub file: String,
    /// 1-based line of its first character.
    pub line: usize,
    /// 1-based column (in characters) of its first character.
    pub column: usize,
    /// Its source text's first line (`…` when it goes on).
    pub code: String,
    /// Whether it is a true/false clause (else it has another value, such as a list or a
    /// date, and is covered once reached).
    pub boolean: bool,
    /// Cases in which it was true.
    pub true_cases: u32,
    /// Cases in which it was false.
    pub false_cases: u32,
    /// Cases in which it was unknown (missing).
    pub unknown_cases: u32,
    /// Cases in which it had another value.
    pub value_cases: u32,
    /// Cases in which it was evaluated at all.
    pub reached_cases: u32,
    /// Whether the deck exercised it fully.
    pub status: ClauseStatus,
    /// Where it is: an index into its [`MeasureCoverage`]'s sources, and the span.
    #[serde(skip)]
    pub(crate) at: (usize, Span),
}

impl Clause {
    /// The outcomes a full coverage asks of it: true and false, or being reached.
    pub fn goals(&self) -> usize {
        if self.boolean { 2 } else { 1 }
    }

    /// How many of [`Clause::goals`] the deck met.
    pub fn goals_met(&self) -> usize {
        if self.boolean {
            usize::from(self.true_cases > 0).saturating_add(usize::from(self.false_cases > 0))
        } else {
            usize::from(self.reached_cases > 0)
        }
    }

    fn status_of(&self) -> ClauseStatus {
        match (
            self.reached_cases,
            self.boolean,
            self.true_cases,
            self.false_cases,
        ) {
            (0, ..) => ClauseStatus::NeverReached,
            (_, false, ..) => ClauseStatus::Covered,
            (_, true, 0, 0) => ClauseStatus::OnlyUnknown,
            (_, true, 0, _) => ClauseStatus::NeverTrue,
            (_, true, _, 0) => ClauseStatus::NeverFalse,
            _ => ClauseStatus::Covered,
        }
    }
}

/// Counts of clauses and outcomes, covered and in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CoverageTotals {
    /// Clauses.
    pub clauses: usize,
    /// Clauses the deck covered fully.
    pub clauses_covered: usize,
    /// Outcomes asked for: true and false of each true/false clause, being reached of the
    /// others.
    pub outcomes: usize,
    /// Outcomes the deck met.
    pub outcomes_covered: usize,
}

impl CoverageTotals {
    /// Outcomes met, in percent (one decimal place, rounded half to even); `None` when no
    /// outcome was asked for.
    pub fn percent(&self) -> Option<Decimal> {
        percent(self.outcomes_covered, self.outcomes)
    }

    /// Clauses covered, in percent (as [`CoverageTotals::percent`]).
    pub fn clause_percent(&self) -> Option<Decimal> {
        percent(self.clauses_covered, self.clauses)
    }

    fn of<'c>(clauses: impl Iterator<Item = &'c Clause>) -> CoverageTotals {
        let mut totals = CoverageTotals::default();
        for c in clauses {
            totals.clauses = totals.clauses.saturating_add(1);
            if c.status == ClauseStatus::Covered {
                totals.clauses_covered = totals.clauses_covered.saturating_add(1);
            }
            totals.outcomes = totals.outcomes.saturating_add(c.goals());
            totals.outcomes_covered = totals.outcomes_covered.saturating_add(c.goals_met());
        }
        totals
    }

    fn add(&mut self, other: CoverageTotals) {
        // Counts of clauses in one library: far below `usize::MAX`.
        self.clauses = self.clauses.saturating_add(other.clauses);
        self.clauses_covered = self.clauses_covered.saturating_add(other.clauses_covered);
        self.outcomes = self.outcomes.saturating_add(other.outcomes);
        self.outcomes_covered = self.outcomes_covered.saturating_add(other.outcomes_covered);
    }
}

fn percent(part: usize, whole: usize) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    let p = Decimal::from(part).checked_mul(Decimal::ONE_HUNDRED)?;
    Some(p.checked_div(Decimal::from(whole))?.round_dp(1))
}

/// The coverage of one measure's logic by its deck (with the shared defines it reaches), or
/// of one shared module by the decks of every measure that uses it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct MeasureCoverage {
    /// The measure id (or the shared module's, such as `lib.common`).
    pub measure: String,
    /// Cases of its deck (or decks) that were evaluated (invalid cases are not).
    pub cases: usize,
    /// Its clauses, by file (its own first) and position.
    pub clauses: Vec<Clause>,
    /// The totals over its clauses.
    pub totals: CoverageTotals,
    /// The totals over the clauses of its own file (a measure's spec, without the shared
    /// modules it uses).
    pub own: CoverageTotals,
    /// The spec files the clauses are in, the measure's first.
    #[serde(skip)]
    pub(crate) sources: Vec<Source>,
}

impl MeasureCoverage {
    /// The spec files the clauses are in, each with the spans of its clauses (the
    /// measure's file first): `(file name, file text, clauses)`, for renderers that
    /// highlight the source.
    pub(crate) fn files(&self) -> Vec<(&str, &str, Vec<&Clause>)> {
        let mut out: Vec<(&str, &str, Vec<&Clause>)> = self
            .sources
            .iter()
            .map(|s| (s.name(), s.text(), Vec::new()))
            .collect();
        for c in &self.clauses {
            if let Some(entry) = out.get_mut(c.at.0) {
                entry.2.push(c);
            }
        }
        out
    }

    /// The clauses not fully covered.
    pub fn missed(&self) -> impl Iterator<Item = &Clause> {
        self.clauses
            .iter()
            .filter(|c| c.status != ClauseStatus::Covered)
    }

    /// The clauses of its own file not fully covered.
    pub fn missed_own(&self) -> impl Iterator<Item = &Clause> {
        self.missed().filter(|c| c.at.0 == 0)
    }
}

/// The logic coverage of a test deck (see `oncoqual test --coverage`).
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct Coverage {
    /// Per measure, in id order: its deck over its logic and the shared defines it
    /// reaches.
    pub measures: Vec<MeasureCoverage>,
    /// Per shared module a measure reached (`lib.common`, ...), in id order: the decks of
    /// every measure over the module's clauses that measure reaches.
    pub modules: Vec<MeasureCoverage>,
    /// Each clause once: the measures' own clauses over their decks, and the shared
    /// modules' over every deck.
    pub totals: CoverageTotals,
}

impl fmt::Display for Coverage {
    /// Each measure's figures and the clauses of its own spec its deck missed, then each
    /// shared module's over every deck, then the totals (each clause once).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let missed = |f: &mut fmt::Formatter<'_>, m: &MeasureCoverage| -> fmt::Result {
            for c in m.missed_own() {
                writeln!(
                    f,
                    "  {}:{}:{}  {:<10} {:<14} {}",
                    c.file,
                    c.line,
                    c.column,
                    c.kind.label(),
                    c.status.label(),
                    c.code
                )?;
            }
            Ok(())
        };
        for m in &self.measures {
            writeln!(
                f,
                "{}: {} cases; its spec {} of {} outcomes ({}), with the shared defines it reaches {} of {} ({})",
                m.measure,
                m.cases,
                m.own.outcomes_covered,
                m.own.outcomes,
                shown_percent(m.own.percent()),
                m.totals.outcomes_covered,
                m.totals.outcomes,
                shown_percent(m.totals.percent())
            )?;
            missed(f, m)?;
        }
        for m in &self.modules {
            writeln!(
                f,
                "shared module {} over the decks that reach it ({} cases): {} of {} outcomes ({})",
                m.measure,
                m.cases,
                m.own.outcomes_covered,
                m.own.outcomes,
                shown_percent(m.own.percent())
            )?;
            missed(f, m)?;
        }
        writeln!(
            f,
            "coverage over {} measures and {} shared modules, each clause once: {} of {} clauses covered ({}), {} of {} outcomes ({})",
            self.measures.len(),
            self.modules.len(),
            self.totals.clauses_covered,
            self.totals.clauses,
            shown_percent(self.totals.clause_percent()),
            self.totals.outcomes_covered,
            self.totals.outcomes,
            shown_percent(self.totals.percent())
        )
    }
}

/// A percentage as text: `93.5%`, or `-` for none.
pub(crate) fn shown_percent(p: Option<Decimal>) -> String {
    p.map_or_else(|| "-".to_owned(), |p| format!("{p}%"))
}

/// Per clause `(file, span)`: cases with each outcome — true, false, unknown, another
/// value, reached.
type Counts = HashMap<(usize, Span), [u32; 5]>;

/// Coverage being gathered over a deck, measure by measure.
#[derive(Default)]
pub(crate) struct DeckCoverage {
    per_measure: BTreeMap<usize, (usize, Counts)>,
    seen: HashMap<(usize, Span), u8>,
}

impl DeckCoverage {
    /// Notes a measure to report even if none of its cases is evaluated.
    pub(crate) fn include(&mut self, index: usize) {
        self.per_measure.entry(index).or_default();
    }

    /// Evaluates measure `index` on one case's chart, noting every clause's outcome.
    pub(crate) fn add(&mut self, library: &Library, index: usize, chart: &Chart, period: Period) {
        self.seen.clear();
        library.cover_chart(chart, period, index, &mut self.seen);
        let (cases, counts) = self.per_measure.entry(index).or_default();
        // Case counts: one per case file, far below `usize::MAX` / `u32::MAX`.
        *cases = cases.saturating_add(1);
        for (key, bits) in self.seen.drain() {
            let c = counts.entry(key).or_default();
            for (k, bit) in [OUTCOME_TRUE, OUTCOME_FALSE, OUTCOME_UNKNOWN, OUTCOME_VALUE]
                .into_iter()
                .enumerate()
            {
                if bits & bit != 0
                    && let Some(n) = c.get_mut(k)
                {
                    *n = n.saturating_add(1);
                }
            }
            if let Some(n) = c.get_mut(4) {
                *n = n.saturating_add(1);
            }
        }
    }

    /// The coverage report.
    pub(crate) fn finish(self, library: &Library) -> Coverage {
        let mut measures = Vec::new();
        // Per shared file: the cases of the decks reaching it, its sites, summed counts.
        let mut shared: BTreeMap<usize, (usize, Vec<Site>, Counts)> = BTreeMap::new();
        let mut known: HashSet<(usize, Span)> = HashSet::new();
        for (index, (cases, counts)) in &self.per_measure {
            let Some(m) = library.measures.get(*index) else {
                continue;
            };
            let sites = library.clause_sites(*index);
            let mut reached: HashSet<usize> = HashSet::new();
            for site in &sites {
                if site.file == m.file {
                    continue;
                }
                let (module_cases, module_sites, module_counts) =
                    shared.entry(site.file).or_default();
                if reached.insert(site.file) {
                    *module_cases = module_cases.saturating_add(*cases);
                }
                let key = (site.file, site.span);
                if known.insert(key) {
                    module_sites.push(site.clone());
                }
                let c = module_counts.entry(key).or_default();
                for (sum, n) in c
                    .iter_mut()
                    .zip(counts.get(&key).copied().unwrap_or_default())
                {
                    *sum = sum.saturating_add(n);
                }
            }
            measures.push(library.logic_coverage(
                m.info.id.clone(),
                *cases,
                m.file,
                &sites,
                counts,
            ));
        }
        measures.sort_by(|a, b| a.measure.cmp(&b.measure));
        let mut modules: Vec<MeasureCoverage> = shared
            .into_iter()
            .map(|(file, (cases, sites, counts))| {
                let name = library
                    .lib_ids
                    .iter()
                    .find(|(_, f)| *f == file)
                    .map_or_else(
                        || {
                            library
                                .sources
                                .get(file)
                                .map(|s| s.name().to_owned())
                                .unwrap_or_default()
                        },
                        |(id, _)| id.clone(),
                    );
                library.logic_coverage(name, cases, file, &sites, &counts)
            })
            .collect();
        modules.sort_by(|a, b| a.measure.cmp(&b.measure));
        let mut totals = CoverageTotals::default();
        for m in &measures {
            totals.add(m.own);
        }
        for m in &modules {
            totals.add(m.own);
        }
        Coverage {
            measures,
            modules,
            totals,
        }
    }
}

/// Whether an operation always gives true, false or unknown.
fn is_boolean(n: &Node) -> bool {
    matches!(
        n.op(),
        Op::And(..)
            | Op::Or(..)
            | Op::Not(_)
            | Op::Cmp(..)
            | Op::In(..)
            | Op::InValueSet(..)
            | Op::Presence(..)
            | Op::During(..)
            | Op::Within { .. }
            | Op::Exists(_)
            | Op::Quantified { .. }
            | Op::FieldCmpConst { .. }
            | Op::FieldInConsts { .. }
            | Op::Const(super::ir::Const::Bool(_))
    )
}

/// The operands of the `and` (or `or`) chain `n`: its operands, and theirs where they are
/// the same connective, in source order.
fn chain_operands(n: &Node) -> Vec<&Node> {
    let is_and = matches!(n.op(), Op::And(..));
    let mut out = Vec::new();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        match x.op() {
            Op::And(a, b) if is_and => {
                stack.push(b);
                stack.push(a);
            }
            Op::Or(a, b) if !is_and => {
                stack.push(b);
                stack.push(a);
            }
            _ => out.push(x),
        }
    }
    out
}

/// One clause found in the logic: file, span, kind, whether the operation is true/false.
#[derive(Clone)]
struct Site {
    file: usize,
    span: Span,
    kind: ClauseKind,
    boolean: bool,
}

impl Library {
    /// The clauses of measure `index`'s logic: its criteria and stratifiers, the defines
    /// they reach, the predicates and the chain operands in them; one per `(file, span)`.
    fn clause_sites(&self, index: usize) -> Vec<Site> {
        let Some(m) = self.measures.get(index) else {
            return Vec::new();
        };
        let mut sites: Vec<Site> = Vec::new();
        let mut known: HashSet<(usize, Span)> = HashSet::new();
        let mut slots_seen: HashSet<u32> = HashSet::new();
        // Explicit stack: (node, file, kind if it is a clause). Pushed in reverse so the
        // walk meets the criteria in order.
        let mut stack: Vec<(&Node, usize, Option<ClauseKind>)> = Vec::new();
        for s in m.stratifiers.iter().rev() {
            stack.push((&s.node, m.file, Some(ClauseKind::Stratifier)));
        }
        for kind in PopulationKind::ALL.iter().rev() {
            if let Some(Some(c)) = m.criteria.get(*kind as usize) {
                stack.push((&c.node, m.file, Some(ClauseKind::Criterion)));
            }
        }
        while let Some((n, file, kind)) = stack.pop() {
            if let Some(kind) = kind
                && n.span() != Span::default()
                && known.insert((file, n.span()))
            {
                sites.push(Site {
                    file,
                    span: n.span(),
                    kind,
                    boolean: kind != ClauseKind::Define || is_boolean(n),
                });
            }
            match n.op() {
                Op::Slot(i) => {
                    if slots_seen.insert(*i)
                        && let Some(def) = self.slots.get(*i as usize)
                    {
                        stack.push((&def.node, def.file, Some(ClauseKind::Define)));
                    }
                }
                Op::Let {
                    value,
                    body,
                    file: f,
                    ..
                } => {
                    // A define of several parameters binds them one `let` inside another:
                    // the innermost body is the define's.
                    let kind = (!matches!(body.op(), Op::Let { .. })).then_some(ClauseKind::Define);
                    stack.push((body, *f, kind));
                    stack.push((value, file, None));
                }
                Op::And(..) | Op::Or(..) => {
                    for x in chain_operands(n).into_iter().rev() {
                        stack.push((x, file, Some(ClauseKind::Operand)));
                    }
                }
                Op::Where { list, pred, .. } | Op::Quantified { list, pred, .. } => {
                    stack.push((pred, file, Some(ClauseKind::Predicate)));
                    stack.push((list, file, None));
                }
                _ => {
                    let children: Vec<&Node> = n.children().collect();
                    for c in children.into_iter().rev() {
                        stack.push((c, file, None));
                    }
                }
            }
        }
        sites
    }

    /// Evaluates measure `index` on `chart` as [`Library::evaluate`] does (criteria in
    /// population order, each only when it matters, then the stratifiers), from the logic
    /// as written, noting every expression's outcome in `seen`. An evaluation that runs
    /// out of budget notes what it reached.
    pub(crate) fn cover_chart(
        &self,
        chart: &Chart,
        period: Period,
        index: usize,
        seen: &mut HashMap<(usize, Span), u8>,
    ) {
        let Some(m) = self.measures.get(index) else {
            return;
        };
        let arena = Bump::new();
        let mut ctx = self.tracing_ctx(chart, period, &arena, m.file);
        ctx.rec.cover = Some(std::mem::take(seen));
        // A composite's components are not its clauses: its populations stop after the
        // initial population whatever they are.
        let _ = self.populations(&mut ctx, index, &[]);
        if !m.stratifiers.is_empty() {
            let _ = self.strata(&mut ctx, index);
        }
        if let Some(s) = ctx.rec.cover.take() {
            *seen = s;
        }
    }

    /// The coverage of the clauses `sites` (`first`'s first) from their `counts` over
    /// `cases`, named `name`.
    fn logic_coverage(
        &self,
        name: String,
        cases: usize,
        first: usize,
        sites: &[Site],
        counts: &Counts,
    ) -> MeasureCoverage {
        let mut files: Vec<usize> = vec![first];
        let mut clauses = Vec::new();
        for site in sites {
            let Some(source) = self.sources.get(site.file) else {
                continue;
            };
            let at = match files.iter().position(|f| *f == site.file) {
                Some(i) => i,
                None => {
                    files.push(site.file);
                    files.len().saturating_sub(1)
                }
            };
            let [t, f, u, v, reached] = counts
                .get(&(site.file, site.span))
                .copied()
                .unwrap_or_default();
            let (line, column) = source.line_col(site.span.start);
            let text = source.slice(site.span);
            let first = text.lines().next().unwrap_or("").trim_end();
            let code = if first.len() < text.trim_end().len() {
                format!("{first} …")
            } else {
                first.to_owned()
            };
            let mut clause = Clause {
                kind: site.kind,
                file: source.name().to_owned(),
                line,
                column,
                code,
                // A define of no telling operation is true/false if it ever was.
                boolean: site.boolean || t > 0 || f > 0,
                true_cases: t,
                false_cases: f,
                unknown_cases: u,
                value_cases: v,
                reached_cases: reached,
                status: ClauseStatus::NeverReached,
                at: (at, site.span),
            };
            clause.status = clause.status_of();
            clauses.push(clause);
        }
        clauses.sort_by_key(|c| (c.at.0, c.at.1.start, std::cmp::Reverse(c.at.1.end)));
        let totals = CoverageTotals::of(clauses.iter());
        let own = CoverageTotals::of(clauses.iter().filter(|c| c.at.0 == 0));
        MeasureCoverage {
            measure: name,
            cases,
            clauses,
            totals,
            own,
            sources: files
                .iter()
                .filter_map(|f| self.sources.get(*f).cloned())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::round::RoundCalendar;
    use crate::io::{Limits, parse_chart};
    use crate::measure::SpecFile;

    /// A measure whose deck's coverage is worked out by hand below.
    const SPEC: &str = include_str!("../../tests/fixtures/coverage/cov.oqm");

    fn chart(stage: &str, ct_date: Option<&str>) -> String {
        let procedures = ct_date.map_or(String::new(), |d| {
            format!(r#", "procedures": [{{"kind": "ct_chest", "date": "{d}", "indication": "staging"}}]"#)
        });
        format!(
            r#"{{"id": "c1", "practice": "p1", "round": "2026-1",
            "patient": {{"birth_date": "1960-01-01", "sex": "female"}},
            "diagnoses": [{{"id": "dx1", "cancer_type": "breast", "diagnosis_date": "2025-10-01",
                "invasive": true, "stage_group": "{stage}"}}]{procedures}}}"#
        )
    }

    fn coverage(charts: &[String]) -> Coverage {
        let lib = Library::from_files(vec![SpecFile::new("core/cov.oqm", SPEC)], vec![]).unwrap();
        let mut deck = DeckCoverage::default();
        for text in charts {
            let chart = parse_chart(text, &Limits::default()).unwrap().chart;
            let period = RoundCalendar::new().period(chart.round);
            deck.add(&lib, 0, &chart, period);
        }
        deck.finish(&lib)
    }

    /// `(code, kind, status, true, false, unknown, reached)` of every clause.
    fn rows(c: &Coverage) -> Vec<(String, &'static str, &'static str, [u32; 4])> {
        c.measures[0]
            .clauses
            .iter()
            .map(|c| {
                (
                    c.code.clone(),
                    c.kind.label(),
                    c.status.label(),
                    [
                        c.true_cases,
                        c.false_cases,
                        c.unknown_cases,
                        c.reached_cases,
                    ],
                )
            })
            .collect()
    }

    #[test]
    fn a_hand_checked_deck_covers_exactly_the_clauses_worked_out_by_hand() {
        let no_diagnosis = r#"{"id": "c0", "practice": "p1", "round": "2026-1",
            "patient": {"birth_date": "1960-01-01", "sex": "female"}}"#
            .to_owned();
        // A: no diagnosis (not in the IPP). B: stage IV, a CT in the period (numerator).
        // C: stage II, a CT before the period (denominator through `exists procedures`).
        let c = coverage(&[
            no_diagnosis,
            chart("IV", Some("2026-02-01")),
            chart("II", Some("2025-06-01")),
        ]);
        let row = |code: &str, kind, status, counts| (code.to_owned(), kind, status, counts);
        assert_eq!(
            rows(&c),
            vec![
                row(
                    "diagnoses where stage_group = IV",
                    "define",
                    "covered",
                    [0, 0, 0, 2]
                ),
                row("stage_group = IV", "where", "covered", [1, 1, 0, 2]),
                row("exists diagnoses", "criterion", "covered", [2, 1, 0, 3]),
                row(
                    "exists stage_iv or exists procedures",
                    "criterion",
                    "never false",
                    [2, 0, 0, 2]
                ),
                row("exists stage_iv", "operand", "covered", [1, 1, 0, 2]),
                row("exists procedures", "operand", "never false", [1, 0, 0, 1]),
                row(
                    "exists (diagnoses where invasive = false)",
                    "criterion",
                    "never true",
                    [0, 2, 0, 2]
                ),
                row("invasive = false", "where", "never true", [0, 2, 0, 2]),
                row(
                    "exists (procedures where kind = ct_chest and date during reporting_period)",
                    "criterion",
                    "covered",
                    [1, 1, 0, 2]
                ),
                row(
                    "kind = ct_chest and date during reporting_period",
                    "where",
                    "covered",
                    [1, 1, 0, 2]
                ),
                row("kind = ct_chest", "operand", "never false", [2, 0, 0, 2]),
                row(
                    "date during reporting_period",
                    "operand",
                    "covered",
                    [1, 1, 0, 2]
                ),
                row(
                    "exists (diagnoses where invasive = false) and exists procedures",
                    "criterion",
                    "never true",
                    [0, 1, 0, 1]
                ),
                row(
                    "exists (diagnoses where invasive = false)",
                    "operand",
                    "never true",
                    [0, 1, 0, 1]
                ),
                row("invasive = false", "where", "never true", [0, 1, 0, 1]),
                row(
                    "exists procedures",
                    "operand",
                    "never reached",
                    [0, 0, 0, 0]
                ),
            ]
        );
        let t = c.totals;
        assert_eq!((t.clauses, t.clauses_covered), (16, 7));
        // 15 true/false clauses ask two outcomes each, the list define one.
        assert_eq!((t.outcomes, t.outcomes_covered), (31, 21));
        assert_eq!(t.percent(), Some(Decimal::new(677, 1)));
    }

    #[test]
    fn a_shared_module_is_covered_once_over_the_decks_of_every_measure_that_reaches_it() {
        let shared =
            "library lib.shared\ndefine staged = exists (diagnoses where stage_group = IV)\n";
        let measure = |name: &str, criterion: &str| {
            SpecFile::new(
                format!("core/{name}.oqm"),
                format!(
                    "measure core.{name} {{
  title \"t\" module core tracks [core] direction higher_is_better
  scoring proportion source \"doc\" version \"1\"
}}
use lib.shared
initial_population = {criterion}
numerator = staged
"
                ),
            )
        };
        let lib = Library::from_files(
            vec![
                SpecFile::new("lib/shared.oqm", shared),
                measure("a", "exists diagnoses"),
                measure("b", "exists procedures"),
            ],
            vec![],
        )
        .unwrap();
        let mut deck = DeckCoverage::default();
        // Measure a's deck: a stage IV chart (the shared predicate true); measure b's: a
        // stage II chart with a procedure (false). Neither deck alone covers it.
        for (measure, text) in [
            (lib.index_of("core.a").unwrap(), chart("IV", None)),
            (
                lib.index_of("core.b").unwrap(),
                chart("II", Some("2026-02-01")),
            ),
        ] {
            let chart = parse_chart(&text, &Limits::default()).unwrap().chart;
            deck.add(
                &lib,
                measure,
                &chart,
                RoundCalendar::new().period(chart.round),
            );
        }
        let c = deck.finish(&lib);
        let pred = |m: &MeasureCoverage| {
            m.clauses
                .iter()
                .find(|c| c.code == "stage_group = IV")
                .map(|c| c.status)
        };
        assert_eq!(pred(&c.measures[0]), Some(ClauseStatus::NeverFalse));
        assert_eq!(pred(&c.measures[1]), Some(ClauseStatus::NeverTrue));
        assert_eq!(c.modules.len(), 1);
        let module = &c.modules[0];
        assert_eq!((module.measure.as_str(), module.cases), ("lib.shared", 2));
        assert_eq!(pred(module), Some(ClauseStatus::Covered));
        // Each clause once: each measure's two criteria, the module's define and predicate.
        assert_eq!(c.totals.clauses, 6);
        assert_eq!(
            c.totals.clauses,
            c.measures[0].own.clauses + c.measures[1].own.clauses + module.own.clauses
        );
        assert!(c.measures[0].totals.clauses > c.measures[0].own.clauses);
    }

    /// Regression: a define of two parameters was bound with the define's file around the
    /// second argument too, so explain placed that argument (and coverage the define's
    /// body) in the wrong file, at a line past its end.
    #[test]
    fn the_arguments_of_a_two_parameter_define_stay_in_the_callers_file() {
        let shared = "library lib.shared\n\
                      define dated_by(list, end) = exists (list where diagnosis_date <= end)\n";
        let spec = "measure core.two {
  title \"t\" module core tracks [core] direction higher_is_better
  scoring proportion source \"doc\" version \"1\"
}
use lib.shared
initial_population = exists diagnoses
numerator = dated_by(diagnoses, reporting_period.end)
  and dated_by(diagnoses where invasive = true, reporting_period.end - 30 days)
";
        let lib = Library::from_files(
            vec![
                SpecFile::new("lib/shared.oqm", shared),
                SpecFile::new("core/two.oqm", spec),
            ],
            vec![],
        )
        .unwrap();
        let index = lib.index_of("core.two").unwrap();
        let text = chart("IV", None);
        let chart = parse_chart(&text, &Limits::default()).unwrap().chart;
        let period = RoundCalendar::new().period(chart.round);
        let mut deck = DeckCoverage::default();
        deck.add(&lib, index, &chart, period);
        let c = deck.finish(&lib);
        for m in c.measures.iter().chain(&c.modules) {
            for clause in &m.clauses {
                assert!(!clause.code.is_empty(), "{clause:?}");
            }
        }
        let body = c.modules[0]
            .clauses
            .iter()
            .find(|c| c.kind == ClauseKind::Define)
            .unwrap();
        assert_eq!(
            (body.file.as_str(), body.line, body.code.as_str()),
            (
                "lib/shared.oqm",
                2,
                "exists (list where diagnosis_date <= end)"
            )
        );
        // Explain places both arguments of the second call in the measure's file.
        let e = lib.explain(&chart, period, index).unwrap();
        let numerator = e
            .criteria
            .iter()
            .find(|c| c.criterion == "numerator")
            .unwrap();
        let at = |code: &str| {
            numerator
                .steps
                .iter()
                .find(|s| s.code == code)
                .map(|s| s.location.clone())
        };
        assert_eq!(
            at("diagnoses where invasive = true").as_deref(),
            Some("core/two.oqm:8:16")
        );
        assert_eq!(
            at("reporting_period.end - 30 days").as_deref(),
            Some("core/two.oqm:8:49")
        );
    }

    #[test]
    fn a_measure_without_cases_is_never_reached_and_a_missing_field_is_unknown() {
        let empty = coverage(&[]);
        assert!(
            empty.measures.is_empty(),
            "only included or evaluated measures"
        );
        let lib = Library::from_files(vec![SpecFile::new("core/cov.oqm", SPEC)], vec![]).unwrap();
        let mut deck = DeckCoverage::default();
        deck.include(0);
        let none = deck.finish(&lib);
        assert!(
            none.measures[0]
                .clauses
                .iter()
                .all(|c| c.status == ClauseStatus::NeverReached)
        );
        assert_eq!(none.totals.outcomes_covered, 0);
        // A diagnosis without a stage: the `where` predicate is unknown, never true/false.
        let text = chart("IV", None).replace(r#", "stage_group": "IV""#, "");
        let c = coverage(&[text]);
        let pred = c.measures[0]
            .clauses
            .iter()
            .find(|c| c.code == "stage_group = IV")
            .unwrap();
        assert_eq!(pred.status, ClauseStatus::OnlyUnknown);
        assert_eq!((pred.unknown_cases, pred.reached_cases), (1, 1));
    }
}
