//! A compiled measure library: every `.oqm` file of a directory (measures and `lib`
//! modules) and its value sets, checked together and compiled once. Immutable, `Send + Sync`.
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use bumpalo::Bump;
use serde::{Deserialize, Serialize};

use super::eval::{Ctx, Program, Stop, with_arena};
use super::ir::{Node, Ty};
use super::lower::{Compiler, SlotDef, Unit0};
use super::outcome::{CriterionTrace, Explanation, Outcome, Population, Populations, Step};
use super::trace::Event;
use super::value::{Shown, Value};
use super::valueset::ValueSet;
use crate::chart::Chart;
use crate::dsl::ast::{self, File, Header, MetaValue, PopulationKind};
use crate::dsl::{Diagnostic, Source, Span, did_you_mean};
use crate::round::Period;

/// Whether a higher or a lower rate is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The numerator is the desired outcome.
    HigherIsBetter,
    /// The numerator is the undesired event (overuse, aggressive end-of-life care).
    LowerIsBetter,
}

impl Direction {
    /// The name written in specs and reports (`higher_is_better`, `lower_is_better`).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::HigherIsBetter => "higher_is_better",
            Direction::LowerIsBetter => "lower_is_better",
        }
    }
}

/// How a measure is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    /// A proportion (numerator over denominator).
    Proportion,
    /// Computed and reported, never in the Overall Quality Score or certification.
    Informational,
    /// All-or-none over component measures.
    CompositeAllOrNone,
}

impl Scoring {
    /// The name written in specs and reports (`proportion`, `informational`,
    /// `composite_all_or_none`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scoring::Proportion => "proportion",
            Scoring::Informational => "informational",
            Scoring::CompositeAllOrNone => "composite_all_or_none",
        }
    }
}

/// A measure's metadata.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct MeasureInfo {
    /// Stable id (`module.kebab-name`).
    pub id: String,
    /// Title shown in reports.
    pub title: String,
    /// Module.
    pub module: String,
    /// Reporting tracks; the first is the module's own.
    pub tracks: Vec<String>,
    /// Direction.
    pub direction: Direction,
    /// Scoring.
    pub scoring: Scoring,
    /// Source measure or guideline.
    pub source: String,
    /// Spec version.
    pub version: String,
    /// Optional longer description.
    pub description: Option<String>,
    /// Component ids (composites only).
    pub components: Vec<String>,
    /// Stratifier names, in declaration order.
    pub stratifiers: Vec<String>,
    /// The spec file.
    pub file: String,
}

/// Every diagnostic of a library that did not check, file by file.
#[derive(Clone)]
pub struct CheckErrors {
    files: Vec<(Source, Vec<Diagnostic>)>,
}

impl CheckErrors {
    /// The files with diagnostics, each with its source and diagnostics.
    pub fn files(&self) -> impl Iterator<Item = (&Source, &[Diagnostic])> {
        self.files.iter().map(|(s, d)| (s, d.as_slice()))
    }

    /// The number of errors.
    pub fn error_count(&self) -> usize {
        self.files.iter().map(|(_, d)| d.len()).sum()
    }
}

impl fmt::Display for CheckErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (source, diags) in &self.files {
            for d in diags {
                f.write_str(&d.render(source))?;
            }
        }
        write!(f, "{} error(s)", self.error_count())
    }
}

impl fmt::Debug for CheckErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for CheckErrors {}

/// Why a library could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The specs do not check.
    #[error("{0}")]
    Check(#[from] CheckErrors),
}

/// Steps one chart's evaluation may take, by the whole library: one step per operation
/// evaluated and per list element a query visits. The bundled library takes a few
/// thousand steps on a typical chart and well under a million on a chart with 10,000
/// entries in each of its lists, so no real chart comes near; a chart whose evaluation
/// would take minutes of CPU (a spec that compares every entry of a long list with every
/// other, unindexed) stops at this bound with [`EvalError::BudgetExceeded`] instead, and the
/// rest of a batch goes on.
pub const EVAL_BUDGET: u64 = 50_000_000;

/// Why the evaluation of a chart stopped. The chart gets no outcomes; a batch reports it
/// against the chart's line and goes on. Messages name the measure, never a chart value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The chart's step budget ([`EVAL_BUDGET`]) ran out while evaluating this measure.
    #[error("evaluating measure `{measure}` on this chart took more than {limit} steps")]
    BudgetExceeded {
        /// The measure being evaluated.
        measure: String,
        /// The budget.
        limit: u64,
    },
    /// The evaluator's recursion reached its bound while evaluating this measure (checked
    /// logic never does; this is the guard against a stack overflow).
    #[error("evaluating measure `{measure}` nested too deeply")]
    TooDeep {
        /// The measure being evaluated.
        measure: String,
    },
}

impl EvalError {
    /// The measure being evaluated when it stopped.
    pub fn measure(&self) -> &str {
        match self {
            EvalError::BudgetExceeded { measure, .. } | EvalError::TooDeep { measure } => measure,
        }
    }

    /// This error as the record error of the chart on `line` (a batch's per-chart error).
    pub fn to_record_error(&self, line: Option<usize>) -> crate::io::RecordError {
        crate::io::RecordError {
            line,
            column: None,
            findings: vec![crate::chart::Finding::error(
                "",
                crate::chart::FindingKind::EvaluationStopped {
                    measure: self.measure().to_owned(),
                    reason: self.to_string(),
                },
            )],
        }
    }
}

pub(crate) struct Compiled {
    /// The logic as written (for *explain*) and its frame size.
    pub(crate) node: Node,
    pub(crate) locals: u32,
    /// The evaluation copy (`optimize`): same meaning, less work.
    pub(crate) fast: Node,
    pub(crate) fast_locals: u32,
}

impl Compiled {
    pub(crate) fn new(node: Node, locals: u32) -> Compiled {
        let (fast, fast_locals) = super::optimize::optimize(&node, locals);
        Compiled {
            node,
            locals,
            fast,
            fast_locals,
        }
    }

    /// The node to evaluate: as written when tracing, else the evaluation copy.
    pub(crate) fn pick<const TRACE: bool>(&self) -> (&Node, u32) {
        if TRACE {
            (&self.node, self.locals)
        } else {
            (&self.fast, self.fast_locals)
        }
    }
}

pub(crate) struct MeasureDef {
    pub(crate) info: MeasureInfo,
    pub(crate) file: usize,
    pub(crate) criteria: [Option<Compiled>; 6],
    pub(crate) stratifiers: Vec<Compiled>,
    /// Per stratifier, every value it can yield (sorted).
    pub(crate) stratum_values: Vec<Vec<String>>,
    pub(crate) components: Vec<usize>,
}

/// A checked and compiled measure library.
pub struct Library {
    sources: Vec<Source>,
    slots: Vec<SlotDef>,
    valuesets: Vec<ValueSet>,
    pub(crate) measures: Vec<MeasureDef>,
    /// Evaluation order: components before the composites that use them.
    order: Vec<usize>,
    by_id: HashMap<String, usize>,
    fingerprint: super::fingerprint::LibraryFingerprint,
}

impl fmt::Debug for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Library")
            .field("measures", &self.measures.len())
            .field("shared_defines", &self.slots.len())
            .field("valuesets", &self.valuesets.len())
            .finish()
    }
}

/// Measures chosen for evaluation, with the components they need, in evaluation order.
#[derive(Debug, Clone)]
pub struct Selection {
    order: Vec<usize>,
    report: Vec<usize>,
}

impl Selection {
    /// The selected measure indices, in output order.
    pub fn measures(&self) -> &[usize] {
        &self.report
    }
}

/// A spec or value-set file given as text.
#[derive(Debug, Clone)]
pub struct SpecFile {
    /// Its name in diagnostics (a path relative to the library root).
    pub name: String,
    /// Its text.
    pub text: String,
}

impl SpecFile {
    /// A file named `name` holding `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SpecFile {
            name: name.into(),
            text: text.into(),
        }
    }
}

mod bundled_files {
    include!(concat!(env!("OUT_DIR"), "/bundled_specs.rs"));
}

impl Library {
    /// Loads and compiles every `*.oqm` below `dir` and every `valuesets/*.json`.
    ///
    /// A file that cannot be read (not UTF-8, longer than 16 MiB, a dangling link, a FIFO
    /// or other special file, which is never opened) is an `E0005` diagnostic located in
    /// it, reported with every diagnostic of the other files.
    pub fn load(dir: &Path) -> Result<Library, LoadError> {
        let mut specs = Vec::new();
        let mut valuesets = Vec::new();
        let mut unreadable = Vec::new();
        collect(dir, dir, &mut specs, &mut valuesets, &mut unreadable)?;
        specs.sort_by(|a, b| a.name.cmp(&b.name));
        valuesets.sort_by(|a, b| a.name.cmp(&b.name));
        let built = Library::from_files(specs, valuesets);
        if unreadable.is_empty() {
            return Ok(built?);
        }
        // The files that could be read were still checked: every diagnostic is reported.
        if let Err(e) = built {
            unreadable.extend(e.files);
        }
        unreadable.sort_by(|a, b| a.0.name().cmp(b.0.name()));
        Err(LoadError::Check(CheckErrors { files: unreadable }))
    }

    /// The library compiled from the crate's own `measure-specs/` (embedded at build time).
    pub fn bundled() -> Result<&'static Library, &'static CheckErrors> {
        static BUNDLED: std::sync::OnceLock<Result<Library, CheckErrors>> =
            std::sync::OnceLock::new();
        BUNDLED
            .get_or_init(|| {
                let specs = bundled_files::SPECS
                    .iter()
                    .map(|(n, t)| SpecFile::new(*n, *t))
                    .collect();
                let vs = bundled_files::VALUESETS
                    .iter()
                    .map(|(n, t)| SpecFile::new(*n, *t))
                    .collect();
                Library::from_files(specs, vs)
            })
            .as_ref()
    }

    /// Checks and compiles spec files and value-set files; every error of every file is
    /// reported.
    pub fn from_files(
        specs: Vec<SpecFile>,
        valuesets: Vec<SpecFile>,
    ) -> Result<Library, CheckErrors> {
        build(specs, valuesets)
    }

    /// The measures, in file-name order.
    pub fn measures(&self) -> impl ExactSizeIterator<Item = &MeasureInfo> {
        self.measures.iter().map(|m| &m.info)
    }

    /// The library's fingerprint (measure ids, spec texts, value sets): tallies and reports
    /// carry it, and counts from two libraries never merge.
    pub fn fingerprint(&self) -> super::fingerprint::LibraryFingerprint {
        self.fingerprint
    }

    /// The index of measure `id`.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The metadata of measure `index`.
    pub fn measure(&self, index: usize) -> Option<&MeasureInfo> {
        self.measures.get(index).map(|m| &m.info)
    }

    /// Every value stratifier `stratifier` of measure `measure` can yield (sorted): the
    /// values of an enumeration, `false` and `true`, or the labels of a `band`. `None`
    /// when the measure or the stratifier is unknown.
    pub fn stratum_values(&self, measure: &str, stratifier: &str) -> Option<&[String]> {
        let m = self.measures.get(self.index_of(measure)?)?;
        let i = m.info.stratifiers.iter().position(|s| s == stratifier)?;
        m.stratum_values.get(i).map(Vec::as_slice)
    }

    /// A measure id close to `id`, for "did you mean" messages.
    pub fn suggest(&self, id: &str) -> Option<&str> {
        did_you_mean(id, self.by_id.keys().map(String::as_str))
    }

    fn program(&self) -> Program<'_> {
        Program {
            slots: &self.slots,
            valuesets: &self.valuesets,
        }
    }

    /// Evaluates every measure on `chart` for `period`; one outcome per measure, in
    /// [`Library::measures`] order. Without a step budget: for charts from an untrusted
    /// source use [`Library::try_evaluate`].
    pub fn evaluate(&self, chart: &Chart, period: Period) -> Vec<Outcome> {
        let mut out = Vec::with_capacity(self.measures.len());
        self.evaluate_into(chart, period, &mut out);
        out
    }

    /// As [`Library::evaluate`], into a caller's buffer (cleared first) to reuse its
    /// allocation across charts.
    pub fn evaluate_into(&self, chart: &Chart, period: Period, out: &mut Vec<Outcome>) {
        // Without a budget only the depth guard can stop it, and checked logic never
        // reaches that: the outcomes are complete.
        let _ = self.evaluate_into_with(chart, period, out, u64::MAX);
    }

    /// Evaluates every measure on `chart` for `period` within [`EVAL_BUDGET`] steps; one
    /// outcome per measure, in [`Library::measures`] order. The batch pipelines
    /// ([`crate::benchmark::tally_jsonl`], the CLI) evaluate this way and report a chart
    /// that exceeds the budget against its line.
    pub fn try_evaluate(&self, chart: &Chart, period: Period) -> Result<Vec<Outcome>, EvalError> {
        let mut out = Vec::with_capacity(self.measures.len());
        self.try_evaluate_into(chart, period, &mut out)?;
        Ok(out)
    }

    /// As [`Library::try_evaluate`], into a caller's buffer (cleared first, and left empty
    /// on an error) to reuse its allocation across charts.
    pub fn try_evaluate_into(
        &self,
        chart: &Chart,
        period: Period,
        out: &mut Vec<Outcome>,
    ) -> Result<(), EvalError> {
        self.evaluate_into_with(chart, period, out, EVAL_BUDGET)
            .map(|_| ())
    }

    /// [`Library::evaluate_into`] with a budget of `budget` steps; the steps taken.
    pub(crate) fn evaluate_into_with(
        &self,
        chart: &Chart,
        period: Period,
        out: &mut Vec<Outcome>,
        budget: u64,
    ) -> Result<u64, EvalError> {
        out.clear();
        out.extend((0..self.measures.len()).map(|i| Outcome {
            measure: i,
            populations: Populations::NONE,
            strata: Vec::new(),
        }));
        let r = with_arena(|arena| {
            let mut ctx: Ctx<'_, false> =
                Ctx::new(chart, self.program(), period.start, period.end, arena)
                    .with_budget(budget);
            let mut pops = vec![Populations::NONE; self.measures.len()];
            // `order` holds each measure's index once (see `build`).
            for &i in &self.order {
                let p = self.populations(&mut ctx, i, &pops);
                if let Some(slot) = pops.get_mut(i) {
                    *slot = p;
                }
                let strata = self.strata(&mut ctx, i);
                if let Some(o) = out.get_mut(i) {
                    o.populations = p;
                    o.strata = strata;
                }
                self.stopped(&ctx, i)?;
            }
            Ok(ctx.steps())
        });
        if r.is_err() {
            out.clear();
        }
        r
    }

    /// The error for a stopped evaluation, while evaluating measure `i`.
    fn stopped<const T: bool>(&self, ctx: &Ctx<'_, T>, i: usize) -> Result<(), EvalError> {
        let measure = || {
            self.measures
                .get(i)
                .map(|m| m.info.id.clone())
                .unwrap_or_default()
        };
        match ctx.stopped() {
            None => Ok(()),
            Some(Stop::Budget(limit)) => Err(EvalError::BudgetExceeded {
                measure: measure(),
                limit,
            }),
            Some(Stop::Depth) => Err(EvalError::TooDeep { measure: measure() }),
        }
    }

    /// A selection of measures (with the components they need) to evaluate repeatedly.
    /// Unknown indices are left out.
    pub fn select(&self, indices: &[usize]) -> Selection {
        let mut need = vec![false; self.measures.len()];
        let mut stack: Vec<usize> = indices
            .iter()
            .copied()
            .filter(|i| *i < need.len())
            .collect();
        while let Some(i) = stack.pop() {
            if let Some(needed) = need.get_mut(i)
                && !*needed
            {
                *needed = true;
                if let Some(m) = self.measures.get(i) {
                    stack.extend(m.components.iter().copied());
                }
            }
        }
        Selection {
            order: self
                .order
                .iter()
                .copied()
                .filter(|&i| need.get(i) == Some(&true))
                .collect(),
            report: indices
                .iter()
                .copied()
                .filter(|i| *i < need.len())
                .collect(),
        }
    }

    /// Evaluates a selection: one outcome per selected index, in the selection's order,
    /// into `out` (cleared first). Without a step budget (see
    /// [`Library::try_evaluate_selection_into`]).
    pub fn evaluate_selection_into(
        &self,
        chart: &Chart,
        period: Period,
        selection: &Selection,
        out: &mut Vec<Outcome>,
    ) {
        let _ = self.selection_with(chart, period, selection, out, u64::MAX);
    }

    /// As [`Library::evaluate_selection_into`] within [`EVAL_BUDGET`] steps (`out` is
    /// left empty on an error).
    pub fn try_evaluate_selection_into(
        &self,
        chart: &Chart,
        period: Period,
        selection: &Selection,
        out: &mut Vec<Outcome>,
    ) -> Result<(), EvalError> {
        self.selection_with(chart, period, selection, out, EVAL_BUDGET)
            .map(|_| ())
    }

    /// The steps the evaluation of `selection` on `chart` takes (the unit of
    /// [`EVAL_BUDGET`]): a deterministic measure of evaluation cost, for tests and for
    /// sizing. Refused as [`Library::try_evaluate_selection_into`] is.
    pub fn evaluation_steps(
        &self,
        chart: &Chart,
        period: Period,
        selection: &Selection,
    ) -> Result<u64, EvalError> {
        self.selection_with(chart, period, selection, &mut Vec::new(), EVAL_BUDGET)
    }

    fn selection_with(
        &self,
        chart: &Chart,
        period: Period,
        selection: &Selection,
        out: &mut Vec<Outcome>,
        budget: u64,
    ) -> Result<u64, EvalError> {
        out.clear();
        let mut pops = vec![Populations::NONE; self.measures.len()];
        let mut strata: Vec<Vec<Option<String>>> = Vec::new();
        let steps = with_arena(|arena| {
            let mut ctx: Ctx<'_, false> =
                Ctx::new(chart, self.program(), period.start, period.end, arena)
                    .with_budget(budget);
            // A selection's indices are the library's (see `select`).
            for &i in &selection.order {
                let p = self.populations(&mut ctx, i, &pops);
                if let Some(slot) = pops.get_mut(i) {
                    *slot = p;
                }
                if self
                    .measures
                    .get(i)
                    .is_some_and(|m| !m.stratifiers.is_empty())
                {
                    strata.resize(self.measures.len(), Vec::new());
                    let s = self.strata(&mut ctx, i);
                    if let Some(slot) = strata.get_mut(i) {
                        *slot = s;
                    }
                }
                self.stopped(&ctx, i)?;
            }
            Ok(ctx.steps())
        })?;
        out.extend(selection.report.iter().map(|&i| Outcome {
            measure: i,
            populations: pops.get(i).copied().unwrap_or(Populations::NONE),
            strata: strata.get(i).cloned().unwrap_or_default(),
        }));
        Ok(steps)
    }

    /// Evaluates only the measures `indices` (and the components they need); one outcome
    /// per requested index, in the order given. Unknown indices are skipped. Without a
    /// step budget (see [`Library::try_evaluate_selected`]).
    pub fn evaluate_selected(
        &self,
        chart: &Chart,
        period: Period,
        indices: &[usize],
    ) -> Vec<Outcome> {
        let mut out = Vec::with_capacity(indices.len());
        self.evaluate_selection_into(chart, period, &self.select(indices), &mut out);
        out
    }

    /// As [`Library::evaluate_selected`] within [`EVAL_BUDGET`] steps.
    pub fn try_evaluate_selected(
        &self,
        chart: &Chart,
        period: Period,
        indices: &[usize],
    ) -> Result<Vec<Outcome>, EvalError> {
        let mut out = Vec::with_capacity(indices.len());
        self.try_evaluate_selection_into(chart, period, &self.select(indices), &mut out)?;
        Ok(out)
    }

    fn populations<'a, const T: bool>(
        &'a self,
        ctx: &mut Ctx<'a, T>,
        i: usize,
        done: &[Populations],
    ) -> Populations {
        let Some(m) = self.measures.get(i) else {
            return Populations::NONE;
        };
        let mut met = |p: PopulationKind| -> Option<bool> {
            m.criteria.get(p as usize)?.as_ref().map(|c| {
                let (node, locals) = c.pick::<T>();
                ctx.criterion(node, locals)
            })
        };
        let ipp = met(PopulationKind::InitialPopulation).unwrap_or(false);
        if !ipp {
            return Populations::NONE;
        }
        if m.info.scoring == Scoring::CompositeAllOrNone {
            // Components come first in `order`: their populations are known.
            return composite(
                ipp,
                m.components
                    .iter()
                    .map(|&c| done.get(c).copied().unwrap_or(Populations::NONE)),
            );
        }
        let denom = met(PopulationKind::Denominator).unwrap_or(true);
        let denex = denom && met(PopulationKind::DenominatorExclusion).unwrap_or(false);
        let numer = denom && !denex && met(PopulationKind::Numerator).unwrap_or(false);
        let numex = numer && met(PopulationKind::NumeratorExclusion).unwrap_or(false);
        let denexcep =
            denom && !denex && !numer && met(PopulationKind::DenominatorException).unwrap_or(false);
        Populations::from_criteria(ipp, denom, denex, denexcep, numer, numex)
    }

    fn strata<'a, const T: bool>(&'a self, ctx: &mut Ctx<'a, T>, i: usize) -> Vec<Option<String>> {
        let Some(m) = self.measures.get(i) else {
            return Vec::new();
        };
        m.stratifiers
            .iter()
            .map(|s| {
                let (node, locals) = s.pick::<T>();
                stratum_text(&ctx.top(node, locals))
            })
            .collect()
    }

    /// Explains why `chart` is or is not in each population of measure `index`: the value
    /// of every expression and define that decided each criterion, with source locations,
    /// and the missing fields met on the way. This shows patient values: asking for it is
    /// the explicit opt-in. `None` for an unknown index, or a chart whose evaluation
    /// exceeds [`EVAL_BUDGET`] steps (which [`Library::evaluate`] reports).
    pub fn explain(&self, chart: &Chart, period: Period, index: usize) -> Option<Explanation> {
        let m = self.measures.get(index)?;
        let outcome = self
            .try_evaluate_selected(chart, period, &[index])
            .ok()?
            .pop()?;
        let mut criteria = Vec::new();
        let mut all_missing: Vec<String> = Vec::new();
        for kind in PopulationKind::ALL {
            let Some(Some(c)) = m.criteria.get(kind as usize) else {
                continue;
            };
            // A fresh evaluation per criterion, so each shows its own define evaluations.
            let arena = Bump::new();
            let mut ctx: Ctx<'_, true> =
                Ctx::new(chart, self.program(), period.start, period.end, &arena)
                    .with_budget(EVAL_BUDGET);
            ctx.rec.slot_info = self
                .slots
                .iter()
                .map(|s| (s.name.clone(), s.file))
                .collect();
            ctx.rec.start(m.file);
            let v = ctx.top(&c.node, c.locals);
            if ctx.stopped().is_some() {
                return None;
            }
            let steps = ctx.rec.events.iter().filter_map(|e| self.step(e)).collect();
            let missing: Vec<String> = ctx.rec.missing.iter().map(|s| s.to_string()).collect();
            for f in &missing {
                if !all_missing.contains(f) {
                    all_missing.push(f.clone());
                }
            }
            criteria.push(CriterionTrace {
                criterion: kind.keyword().to_owned(),
                value: Shown(&v).to_string(),
                steps,
                missing_fields: missing,
            });
        }
        if m.info.scoring == Scoring::CompositeAllOrNone {
            let parts = self
                .try_evaluate_selected(chart, period, &m.components)
                .ok()?;
            for (id, o) in m.info.components.iter().zip(parts) {
                let pops: Vec<&str> = o.populations.iter().map(Population::code).collect();
                let role = if !o.populations.in_net_denominator() {
                    "not in its net denominator: does not count"
                } else if o.populations.net_numerator() {
                    "numerator met"
                } else {
                    "numerator not met: fails the composite (explain that measure to see why)"
                };
                criteria.push(CriterionTrace {
                    criterion: format!("component {id}"),
                    value: if pops.is_empty() {
                        "none".to_owned()
                    } else {
                        pops.join(", ")
                    },
                    steps: vec![Step {
                        depth: 0,
                        location: String::new(),
                        code: role.to_owned(),
                        value: String::new(),
                    }],
                    missing_fields: Vec::new(),
                });
            }
        }
        Some(Explanation {
            measure: m.info.id.clone(),
            period: period.to_string(),
            populations: outcome.populations,
            strata: m
                .info
                .stratifiers
                .iter()
                .cloned()
                .zip(outcome.strata)
                .collect(),
            criteria,
            missing_fields: all_missing,
        })
    }

    /// An explanation step; `None` for an event in no file of the library (the recorder is
    /// only given the library's files).
    fn step(&self, e: &Event) -> Option<Step> {
        let source = self.sources.get(e.file)?;
        Some(match &e.define {
            Some(name) => Step {
                depth: e.depth,
                location: source.name().to_owned(),
                code: format!("define {name}"),
                value: e.value.clone(),
            },
            None => {
                let (line, col) = source.line_col(e.span.start);
                let text = source.slice(e.span);
                let first = text.lines().next().unwrap_or("");
                let code = if first.len() < text.len() {
                    format!("{first} …")
                } else {
                    first.to_owned()
                };
                Step {
                    depth: e.depth,
                    location: format!("{}:{line}:{col}", source.name()),
                    code,
                    value: e.value.clone(),
                }
            }
        })
    }
}

/// The composite rule: in DENOM when in the IPP and in the net denominator of at least one
/// component; NUMER when every such component has its numerator met (a numerator exclusion
/// counts as not met).
pub(crate) fn composite(ipp: bool, components: impl Iterator<Item = Populations>) -> Populations {
    let mut eligible = false;
    let mut all_met = true;
    for p in components {
        if p.in_net_denominator() {
            eligible = true;
            all_met &= p.net_numerator();
        }
    }
    let denom = ipp && eligible;
    Populations::from_criteria(ipp, denom, false, false, denom && all_met, false)
}

/// Deepest walk through `if`, `coalesce` and defines when finding a stratifier's values.
const MAX_CATEGORY_DEPTH: u32 = 64;

/// Every value a stratifier compiled to `node`, of type `ty`, can yield (as
/// [`stratum_text`] writes it) when they are a closed set of categories: an enumeration's
/// values, `false` / `true`, the labels of a `band`, `stage_prefix`'s prefixes, string
/// literals, and `if` / `coalesce` / defines over these. `None` for anything else (a date,
/// an id, a code, a number, a string read from the chart): its values are patient values.
fn category_values(
    node: &Node,
    ty: &Ty,
    slots: &[SlotDef],
    depth: u32,
) -> Option<std::collections::BTreeSet<String>> {
    use super::ir::{Builtin, Const, Op};
    match ty {
        Ty::Enum(e) => return Some(e.values.iter().map(|v| (*v).to_owned()).collect()),
        Ty::Bool => return Some(["false", "true"].map(str::to_owned).into()),
        Ty::Str | Ty::Any => {}
        _ => return None,
    }
    if depth > MAX_CATEGORY_DEPTH {
        return None;
    }
    let union = |nodes: &mut dyn Iterator<Item = &Node>| {
        let mut all = std::collections::BTreeSet::new();
        for n in nodes {
            all.extend(category_values(n, ty, slots, depth.saturating_add(1))?);
        }
        Some(all)
    };
    match node.op() {
        Op::Const(Const::Str(s)) => Some([s.to_string()].into()),
        Op::Const(Const::Missing) => Some(std::collections::BTreeSet::new()),
        Op::Call(Builtin::Band, args) => Some(
            args.iter()
                .filter_map(|a| match a.op() {
                    Op::Const(Const::Str(s)) => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
        ),
        Op::Call(Builtin::StagePrefix, _) => {
            Some(["0", "I", "II", "III", "IV"].map(str::to_owned).into())
        }
        Op::Call(Builtin::Coalesce, args) => union(&mut args.iter()),
        Op::If(_, a, b) => union(&mut [a.as_ref(), b.as_ref()].into_iter()),
        Op::Let { body, .. } => category_values(body, ty, slots, depth.saturating_add(1)),
        Op::Slot(i) => {
            let slot = slots.get(usize::try_from(*i).ok()?)?;
            category_values(&slot.node, ty, slots, depth.saturating_add(1))
        }
        _ => None,
    }
}

/// The diagnostic of a stratifier whose values are not a closed set of categories.
fn not_a_category(span: Span, ty: &Ty) -> Diagnostic {
    let help = match ty {
        Ty::Num => {
            "band the number with explicit cut points: `band(age_at(reporting_period.start), 18, 65, 75)` yields `<18`, `18-64`, `65-74`, `>=75`"
        }
        Ty::Date => {
            "stratify by an age band instead: `band(age_at(reporting_period.start), 18, 65, 75)`, or by a test (`date during reporting_period`)"
        }
        _ => {
            "stratify by an enumeration field, a test (`x in [..]`, `code in valueset \"name\"`), a `band` of a number, or `if` over string literals"
        }
    };
    Diagnostic::error(
        "E0216",
        span,
        format!(
            "a stratifier must yield a category (an enumeration, a boolean or a `band`), not {}: its values would be written into tallies and reports",
            match ty {
                Ty::Str => "a string read from the chart".to_owned(),
                Ty::Any => "a value of no known type".to_owned(),
                other => {
                    let text = other.to_string();
                    let article = if text.starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    };
                    format!("{article} {text}")
                }
            }
        ),
    )
    .with_help(help)
}

fn stratum_text(v: &Value<'_>) -> Option<String> {
    match v {
        Value::Missing => None,
        Value::Str(s) => Some((*s).to_owned()),
        Value::List(l) if l.len() == 0 => None,
        other => Some(Shown(other).to_string()),
    }
}

/// The spec and value-set files below `dir`, read; a file (or sub-folder) that cannot be
/// read is an error diagnostic of its own in `unreadable`, and the others are still read.
fn collect(
    root: &Path,
    dir: &Path,
    specs: &mut Vec<SpecFile>,
    valuesets: &mut Vec<SpecFile>,
    unreadable: &mut Vec<(Source, Vec<Diagnostic>)>,
) -> Result<(), LoadError> {
    use crate::io::file::{self, FileError, Problem};
    let name_of = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let refuse = |unreadable: &mut Vec<(Source, Vec<Diagnostic>)>,
                  path: &Path,
                  problem: Problem,
                  text: String,
                  span: Span| {
        let message = match problem {
            Problem::NotUtf8 { .. } => format!("{problem}"),
            _ => format!("cannot read this file: {problem}"),
        };
        unreadable.push((
            Source::new(name_of(path), text),
            vec![Diagnostic::error("E0005", span, message)],
        ));
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(source) if dir == root => {
            return Err(LoadError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
        Err(e) => {
            refuse(
                unreadable,
                dir,
                Problem::Io(e.kind()),
                String::new(),
                Span::new(0, 0),
            );
            return Ok(());
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                refuse(
                    unreadable,
                    dir,
                    Problem::Io(e.kind()),
                    String::new(),
                    Span::new(0, 0),
                );
                continue;
            }
        };
        let path = entry.path();
        // Not followed: a link to a folder is not walked (no cycles); a link to a file is
        // read below, through the same checks as any file.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            collect(root, &path, specs, valuesets, unreadable)?;
            continue;
        }
        let name = name_of(&path);
        let ext = path.extension().and_then(|e| e.to_str());
        let in_valuesets = name.starts_with("valuesets/");
        let into = match ext {
            Some("oqm") => &mut *specs,
            Some("json") if in_valuesets => &mut *valuesets,
            _ => continue,
        };
        match file::read_bytes(&path, file::MAX_CONFIG_BYTES) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => into.push(SpecFile::new(name, text)),
                Err(e) => {
                    let offset = e.utf8_error().valid_up_to();
                    let problem = file::not_utf8(e.as_bytes(), offset);
                    // Shown with each invalid sequence replaced; the caret is on the first.
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    let width = char::REPLACEMENT_CHARACTER.len_utf8();
                    refuse(
                        unreadable,
                        &path,
                        problem,
                        text,
                        Span::new(offset, offset.saturating_add(width)),
                    );
                }
            },
            Err(FileError { problem, .. }) => {
                refuse(unreadable, &path, problem, String::new(), Span::new(0, 0));
            }
        }
    }
    Ok(())
}

const DIRECTIONS: [&str; 2] = ["higher_is_better", "lower_is_better"];
const SCORINGS: [&str; 3] = ["proportion", "informational", "composite_all_or_none"];
const META_KEYS: [&str; 9] = [
    "title",
    "module",
    "tracks",
    "direction",
    "scoring",
    "source",
    "version",
    "description",
    "components",
];

struct Meta {
    info: MeasureInfo,
    components: Vec<ast::Path>,
}

fn check_metadata(
    id: &ast::Path,
    entries: &[ast::MetaEntry],
    file: &str,
    diags: &mut Vec<Diagnostic>,
) -> Meta {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let get_str = |v: &MetaValue, key: &str, diags: &mut Vec<Diagnostic>| -> String {
        match v {
            MetaValue::Str(s, _) => s.clone(),
            other => {
                diags.push(Diagnostic::error(
                    "E0208",
                    other.span(),
                    format!("`{key}` takes a quoted string"),
                ));
                String::new()
            }
        }
    };
    let mut info = MeasureInfo {
        id: id.dotted(),
        title: String::new(),
        module: String::new(),
        tracks: Vec::new(),
        direction: Direction::HigherIsBetter,
        scoring: Scoring::Proportion,
        source: String::new(),
        version: String::new(),
        description: None,
        components: Vec::new(),
        stratifiers: Vec::new(),
        file: file.to_owned(),
    };
    let mut components = Vec::new();
    let mut module_span = id.span;
    let mut tracks_span = id.span;
    for e in entries {
        let key = e.key.text.as_str();
        if let Some(first) = seen.get(key) {
            diags.push(
                Diagnostic::error("E0208", e.key.span, format!("`{key}` is given twice"))
                    .with_label(*first, "first given here"),
            );
            continue;
        }
        seen.insert(key, e.key.span);
        let word = |v: &MetaValue,
                    allowed: &[&str],
                    diags: &mut Vec<Diagnostic>|
         -> Option<String> {
            match v {
                MetaValue::Word(p) => {
                    let w = p.dotted();
                    if allowed.is_empty() || allowed.contains(&w.as_str()) {
                        return Some(w);
                    }
                    let mut d =
                        Diagnostic::error("E0208", p.span, format!("`{w}` is not a valid `{key}`"));
                    d = match did_you_mean(&w, allowed.iter().copied()) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(format!("one of: {}", allowed.join(", "))),
                    };
                    diags.push(d);
                    None
                }
                other => {
                    diags.push(Diagnostic::error(
                        "E0208",
                        other.span(),
                        format!("`{key}` takes a bare word"),
                    ));
                    None
                }
            }
        };
        match key {
            "title" => info.title = get_str(&e.value, key, diags),
            "source" => info.source = get_str(&e.value, key, diags),
            "version" => info.version = get_str(&e.value, key, diags),
            "description" => info.description = Some(get_str(&e.value, key, diags)),
            "module" => {
                module_span = e.value.span();
                info.module = word(&e.value, &[], diags).unwrap_or_default();
            }
            "direction" => {
                if let Some(w) = word(&e.value, &DIRECTIONS, diags) {
                    info.direction = if w == "lower_is_better" {
                        Direction::LowerIsBetter
                    } else {
                        Direction::HigherIsBetter
                    };
                }
            }
            "scoring" => {
                if let Some(w) = word(&e.value, &SCORINGS, diags) {
                    info.scoring = match w.as_str() {
                        "informational" => Scoring::Informational,
                        "composite_all_or_none" => Scoring::CompositeAllOrNone,
                        _ => Scoring::Proportion,
                    };
                }
            }
            "tracks" | "components" => match &e.value {
                MetaValue::List(items, span) => {
                    if key == "tracks" {
                        tracks_span = *span;
                        info.tracks = items.iter().map(ast::Path::dotted).collect();
                    } else {
                        info.components = items.iter().map(ast::Path::dotted).collect();
                        components = items.clone();
                    }
                }
                other => diags.push(Diagnostic::error(
                    "E0208",
                    other.span(),
                    format!("`{key}` takes a list: `[a, b]`"),
                )),
            },
            _ => {
                let mut d =
                    Diagnostic::error("E0208", e.key.span, format!("unknown metadata key `{key}`"));
                d = match did_you_mean(key, META_KEYS) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("the keys are: {}", META_KEYS.join(", "))),
                };
                diags.push(d);
            }
        }
    }
    for required in [
        "title",
        "module",
        "tracks",
        "direction",
        "scoring",
        "source",
        "version",
    ] {
        if !seen.contains_key(required) {
            diags.push(
                Diagnostic::error("E0208", id.span, format!("metadata `{required}` is missing"))
                    .with_help("every measure states title, module, tracks, direction, scoring, source and version"),
            );
        }
    }
    let prefix = id.segments.first().map(|s| s.text.as_str()).unwrap_or("");
    if id.segments.len() != 2 {
        diags.push(
            Diagnostic::error("E0208", id.span, "a measure id is `module.name`")
                .with_help("e.g. `core.tobacco-use-status-documented`"),
        );
    } else if !info.module.is_empty() && info.module != prefix {
        diags.push(
            Diagnostic::error(
                "E0208",
                module_span,
                format!(
                    "module `{}` does not match the id's module `{prefix}`",
                    info.module
                ),
            )
            .with_label(id.span, "the id"),
        );
    }
    if seen.contains_key("tracks")
        && info.tracks.first() != Some(&info.module)
        && !info.module.is_empty()
    {
        diags.push(Diagnostic::error(
            "E0208",
            tracks_span,
            format!(
                "the first track must be the measure's module `{}`",
                info.module
            ),
        ));
    }
    let composite = info.scoring == Scoring::CompositeAllOrNone;
    if composite && components.is_empty() {
        diags.push(Diagnostic::error(
            "E0212",
            id.span,
            "a composite measure lists its `components [...]`",
        ));
    }
    if !composite && let Some(&span) = seen.get("components") {
        diags.push(Diagnostic::error(
            "E0212",
            span,
            "only `composite_all_or_none` measures have components",
        ));
    }
    Meta { info, components }
}

struct Parsed {
    source: Source,
    ast: File,
    diags: Vec<Diagnostic>,
}

fn build(specs: Vec<SpecFile>, vs_files: Vec<SpecFile>) -> Result<Library, CheckErrors> {
    let (spec_files, vs_copy) = (specs.clone(), vs_files.clone());
    let parsed: Vec<Parsed> = specs
        .into_iter()
        .map(|f| {
            let (ast, diags) = crate::dsl::parse(&f.text);
            Parsed {
                source: Source::new(f.name, f.text),
                ast,
                diags,
            }
        })
        .collect();
    // Value sets: their errors are reported against their own file.
    let mut vs_errors: Vec<(Source, Vec<Diagnostic>)> = Vec::new();
    let mut valuesets: Vec<ValueSet> = Vec::new();
    let mut vs_index: HashMap<String, u32> = HashMap::new();
    for f in vs_files {
        let source = Source::new(f.name.clone(), f.text.clone());
        match ValueSet::from_json(&f.text) {
            Ok(vs) => {
                let stem = f
                    .name
                    .rsplit('/')
                    .next()
                    .and_then(|n| n.strip_suffix(".json"))
                    .unwrap_or("");
                if vs.name != stem {
                    vs_errors.push((
                        source,
                        vec![Diagnostic::error(
                            "E0211",
                            Span::new(0, 0),
                            format!(
                                "value set `{}` must be in a file named `{}.json`",
                                vs.name, vs.name
                            ),
                        )],
                    ));
                    continue;
                }
                let idx = u32::try_from(valuesets.len()).unwrap_or(u32::MAX);
                vs_index.insert(vs.name.clone(), idx);
                valuesets.push(vs);
            }
            Err(e) => vs_errors.push((
                source,
                vec![Diagnostic::error(
                    "E0211",
                    Span::new(0, 0),
                    format!("invalid value set: {e}"),
                )],
            )),
        }
    }

    let mut extra: Vec<Vec<Diagnostic>> = vec![Vec::new(); parsed.len()];
    // Headers: library ids and measure ids, unique across the library.
    let mut libs: HashMap<String, usize> = HashMap::new();
    let mut measure_ids: HashMap<String, usize> = HashMap::new();
    for (i, (p, ex)) in parsed.iter().zip(extra.iter_mut()).enumerate() {
        let (id, is_lib) = match &p.ast.header {
            Some(Header::Library { id }) => (id, true),
            Some(Header::Measure { id, .. }) => (id, false),
            None => continue,
        };
        let text = id.dotted();
        let map = if is_lib { &mut libs } else { &mut measure_ids };
        if let Some(&other) = map.get(&text) {
            let other_name = parsed.get(other).map_or("", |o| o.source.name());
            ex.push(
                Diagnostic::error(
                    "E0209",
                    id.span,
                    format!("`{text}` is already declared in {other_name}"),
                )
                .with_help("ids are unique across the library"),
            );
        } else {
            map.insert(text, i);
        }
    }

    // Per-file name tables and `use` resolution.
    let mut units = Vec::with_capacity(parsed.len());
    for (p, ex) in parsed.iter().zip(extra.iter_mut()) {
        let mut defines: HashMap<&str, &ast::Define> = HashMap::new();
        for d in &p.ast.defines {
            if let Some(prev) = defines.insert(d.name.text.as_str(), d) {
                ex.push(
                    Diagnostic::error(
                        "E0209",
                        d.name.span,
                        format!("`{}` is defined twice", d.name.text),
                    )
                    .with_label(prev.name.span, "first defined here"),
                );
            }
        }
        let mut uses = Vec::new();
        for u in &p.ast.uses {
            let name = u.dotted();
            match libs.get(&name) {
                Some(&l) => uses.push(l),
                None => {
                    let mut d =
                        Diagnostic::error("E0210", u.span, format!("unknown library `{name}`"));
                    d = match did_you_mean(&name, libs.keys().map(String::as_str)) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(
                            "libraries are `library lib.NAME` files, e.g. in `measure-specs/lib/`",
                        ),
                    };
                    ex.push(d);
                }
            }
        }
        units.push(Unit0 { defines, uses });
    }
    let mut compiler = Compiler::new(units, vs_index);
    type Pending = (
        usize,
        MeasureInfo,
        [Option<Compiled>; 6],
        Vec<(Compiled, Vec<String>)>,
        Vec<ast::Path>,
    );
    let mut measures: Vec<Pending> = Vec::new();
    for (fi, (p, ex)) in parsed.iter().zip(extra.iter_mut()).enumerate() {
        compiler.check_all_defines(fi, &p.ast.defines);
        match &p.ast.header {
            Some(Header::Library { .. }) | None => {
                for pop in &p.ast.populations {
                    ex.push(Diagnostic::error(
                        "E0214",
                        pop.span,
                        "a library holds defines only",
                    ));
                }
                for s in &p.ast.stratifiers {
                    ex.push(Diagnostic::error(
                        "E0214",
                        s.name.span,
                        "a library holds defines only",
                    ));
                }
                if p.ast.header.is_none() && p.diags.is_empty() {
                    ex.push(Diagnostic::error(
                        "E0213",
                        Span::new(0, 0),
                        "a file starts with `measure ID { ... }` or `library lib.NAME`",
                    ));
                }
            }
            Some(Header::Measure { id, metadata }) => {
                let meta = check_metadata(id, metadata, p.source.name(), ex);
                let composite = meta.info.scoring == Scoring::CompositeAllOrNone;
                let mut criteria: [Option<Compiled>; 6] = Default::default();
                for pop in &p.ast.populations {
                    // One entry per population kind.
                    let Some(entry) = criteria.get_mut(pop.kind as usize) else {
                        continue;
                    };
                    if entry.is_some() {
                        ex.push(Diagnostic::error(
                            "E0209",
                            pop.span,
                            format!("`{}` is given twice", pop.kind.keyword()),
                        ));
                        continue;
                    }
                    if composite && pop.kind != PopulationKind::InitialPopulation {
                        ex.push(
                            Diagnostic::error(
                                "E0212",
                                pop.span,
                                format!("a composite has no `{}` of its own", pop.kind.keyword()),
                            )
                            .with_help("its denominator and numerator come from its components"),
                        );
                        continue;
                    }
                    let (node, ty, locals) = compiler.top(fi, &pop.criterion);
                    if ty != Ty::Bool && ty != Ty::Any {
                        ex.push(Diagnostic::error(
                            "E0202",
                            pop.criterion.span,
                            format!("a population criterion must be boolean, found {ty}"),
                        ));
                    }
                    *entry = Some(Compiled::new(node, locals));
                }
                if !matches!(
                    criteria.get(PopulationKind::InitialPopulation as usize),
                    Some(Some(_))
                ) {
                    ex.push(Diagnostic::error(
                        "E0213",
                        id.span,
                        "the measure has no `initial_population`",
                    ));
                }
                let mut strat = Vec::new();
                let mut info = meta.info;
                for s in &p.ast.stratifiers {
                    if info.stratifiers.contains(&s.name.text) {
                        ex.push(Diagnostic::error(
                            "E0209",
                            s.name.span,
                            format!("stratifier `{}` is given twice", s.name.text),
                        ));
                        continue;
                    }
                    let (node, ty, locals) = compiler.top(fi, &s.expr);
                    let values = if matches!(ty, Ty::List(_) | Ty::Record(_) | Ty::Period) {
                        ex.push(Diagnostic::error(
                            "E0202",
                            s.expr.span,
                            format!("a stratifier yields one value per chart, found {ty}"),
                        ));
                        Vec::new()
                    } else if ty == Ty::Any && compiler.diags.get(fi).is_some_and(|d| !d.is_empty())
                    {
                        // Already refused: no follow-on error.
                        Vec::new()
                    } else {
                        match category_values(&node, &ty, &compiler.slots, 0) {
                            Some(values) => values.into_iter().collect(),
                            None => {
                                ex.push(not_a_category(s.expr.span, &ty));
                                Vec::new()
                            }
                        }
                    };
                    info.stratifiers.push(s.name.text.clone());
                    strat.push((Compiled::new(node, locals), values));
                }
                measures.push((fi, info, criteria, strat, meta.components));
            }
        }
    }

    // Composite components: known ids, no cycles.
    let index: HashMap<String, usize> = measures
        .iter()
        .enumerate()
        .map(|(i, m)| (m.1.id.clone(), i))
        .collect();
    let mut comp_idx: Vec<Vec<usize>> = vec![Vec::new(); measures.len()];
    for (m, components) in measures.iter().zip(comp_idx.iter_mut()) {
        for c in &m.4 {
            let id = c.dotted();
            match index.get(&id) {
                Some(&ci) => components.push(ci),
                None => {
                    let mut d = Diagnostic::error(
                        "E0212",
                        c.span,
                        format!("unknown component measure `{id}`"),
                    );
                    if let Some(s) = did_you_mean(&id, index.keys().map(String::as_str)) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    if let Some(ex) = extra.get_mut(m.0) {
                        ex.push(d);
                    }
                }
            }
        }
    }
    let order = match topo_order(&comp_idx) {
        Ok(o) => o,
        Err(cycle) => {
            let names: Vec<&str> = cycle
                .iter()
                .filter_map(|&i| measures.get(i))
                .map(|m| m.1.id.as_str())
                .collect();
            for m in cycle.iter().filter_map(|&mi| measures.get(mi)) {
                let span = m.4.first().map_or(Span::new(0, 0), |c| c.span);
                let Some(ex) = extra.get_mut(m.0) else {
                    continue;
                };
                ex.push(
                    Diagnostic::error(
                        "E0212",
                        span,
                        format!(
                            "composite `{}` contains itself through its components",
                            m.1.id
                        ),
                    )
                    .with_help(format!("the cycle: {}", names.join(" → "))),
                );
            }
            Vec::new()
        }
    };

    // Gather every diagnostic.
    let mut errors: Vec<(Source, Vec<Diagnostic>)> = Vec::new();
    let checker_diags = std::mem::take(&mut compiler.diags);
    for ((p, cd), ex) in parsed.iter().zip(checker_diags).zip(extra) {
        let mut all = p.diags.clone();
        all.extend(cd);
        all.extend(ex);
        all.sort_by_key(|d| (d.span.start, d.code));
        all.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        if !all.is_empty() {
            errors.push((p.source.clone(), all));
        }
    }
    errors.extend(vs_errors);
    if !errors.is_empty() {
        return Err(CheckErrors { files: errors });
    }
    let slots = std::mem::take(&mut compiler.slots);
    drop(compiler);
    let sources: Vec<Source> = parsed.iter().map(|p| p.source.clone()).collect();
    let measures: Vec<MeasureDef> = measures
        .into_iter()
        .zip(comp_idx)
        .map(|((file, info, criteria, stratifiers, _), components)| {
            let (stratifiers, stratum_values) = stratifiers.into_iter().unzip();
            MeasureDef {
                info,
                file,
                criteria,
                stratifiers,
                stratum_values,
                components,
            }
        })
        .collect();
    let by_id = measures
        .iter()
        .enumerate()
        .map(|(i, m)| (m.info.id.clone(), i))
        .collect();
    let fingerprint = super::fingerprint::LibraryFingerprint::of(
        &spec_files,
        &vs_copy,
        &mut measures.iter().map(|m| m.info.id.as_str()),
    );
    Ok(Library {
        sources,
        slots,
        valuesets,
        measures,
        order,
        by_id,
        fingerprint,
    })
}

/// Components before composites; `Err` with the measures of a cycle.
fn topo_order(deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit(
        i: usize,
        deps: &[Vec<usize>],
        marks: &mut [Mark],
        out: &mut Vec<usize>,
        stack: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        // `i` is an index of `deps` (and of `marks`, one mark per entry).
        let (Some(mark), Some(next)) = (marks.get(i).copied(), deps.get(i)) else {
            return Ok(());
        };
        match mark {
            Mark::Done => return Ok(()),
            Mark::Active => {
                let from = stack.iter().position(|&s| s == i).unwrap_or(0);
                let mut cycle = stack.get(from..).unwrap_or_default().to_vec();
                cycle.push(i);
                return Err(cycle);
            }
            Mark::New => {}
        }
        let set = |marks: &mut [Mark], m: Mark| {
            if let Some(at) = marks.get_mut(i) {
                *at = m;
            }
        };
        set(marks, Mark::Active);
        stack.push(i);
        for &d in next {
            visit(d, deps, marks, out, stack)?;
        }
        stack.pop();
        set(marks, Mark::Done);
        out.push(i);
        Ok(())
    }
    let mut marks = vec![Mark::New; deps.len()];
    let mut out = Vec::with_capacity(deps.len());
    for i in 0..deps.len() {
        let mut stack = Vec::new();
        visit(i, deps, &mut marks, &mut out, &mut stack)?;
    }
    Ok(out)
}

#[cfg(all(test, feature = "synth"))]
mod tests {
    use super::*;
    use crate::RoundCalendar;
    use crate::synth::{self, SynthConfig};

    /// Every measure's populations from the logic as written (the tree *explain* walks).
    fn as_written(lib: &Library, chart: &Chart, period: Period) -> Vec<Populations> {
        let arena = Bump::new();
        let mut ctx: Ctx<'_, true> =
            Ctx::new(chart, lib.program(), period.start, period.end, &arena);
        let mut pops = vec![Populations::NONE; lib.measures.len()];
        for &i in &lib.order {
            pops[i] = lib.populations(&mut ctx, i, &pops);
        }
        pops
    }

    #[test]
    fn optimized_evaluation_agrees_with_the_logic_as_written_on_synthetic_charts() {
        let lib = Library::bundled().expect("the bundled library checks");
        let calendar = RoundCalendar::new();
        let mut out = Vec::new();
        let mut in_ipp = 0usize;
        for chart in synth::generate(&SynthConfig::new(1500, 30, 2, 11)) {
            let period = calendar.period(chart.round);
            lib.evaluate_into(&chart, period, &mut out);
            let fast: Vec<Populations> = out.iter().map(|o| o.populations).collect();
            let slow = as_written(lib, &chart, period);
            for (i, (f, s)) in fast.iter().zip(&slow).enumerate() {
                assert_eq!(
                    f,
                    s,
                    "chart {} measure {}",
                    chart.id.as_str(),
                    lib.measures[i].info.id
                );
            }
            in_ipp += fast.iter().filter(|p| **p != Populations::NONE).count();
        }
        assert!(in_ipp > 5_000, "the charts reach the measures ({in_ipp})");
    }
}
