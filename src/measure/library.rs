//! A compiled measure library: every `.oqm` file of a directory (measures and `lib`
//! modules) and its value sets, checked together and compiled once. Immutable, `Send + Sync`.
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::eval::{Ctx, Program, Stop, with_arena};
use super::ir::Node;
use super::lower::SlotDef;
use super::meta::{MeasureInfo, Scoring};
use super::outcome::{Outcome, Populations};
use super::value::{Shown, Value};
use super::valueset::ValueSet;
use crate::chart::Chart;
use crate::chart::round::Period;
use crate::dsl::ast::PopulationKind;
use crate::dsl::{Diagnostic, Source, did_you_mean};

/// Every diagnostic of a library that did not check, file by file.
#[derive(Clone)]
pub struct CheckErrors {
    pub(super) files: Vec<(Source, Vec<Diagnostic>)>,
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

#[derive(Clone)]
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
    /// The measure's id, shared by every [`Outcome`] of it.
    pub(crate) id: Arc<str>,
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
    pub(super) sources: Vec<Source>,
    /// Per source file, the `lib` files it `use`s (indices into `sources`), in `use` order.
    /// Read by the FHIR export (feature `fhir`).
    #[cfg_attr(not(feature = "fhir"), allow(dead_code))]
    pub(super) file_uses: Vec<Vec<usize>>,
    /// The `library lib.NAME` ids with their file (index into `sources`), sorted by id.
    #[cfg_attr(not(feature = "fhir"), allow(dead_code))]
    pub(super) lib_ids: Vec<(String, usize)>,
    pub(super) slots: Vec<SlotDef>,
    pub(crate) valuesets: Vec<ValueSet>,
    pub(crate) measures: Vec<MeasureDef>,
    /// Evaluation order: components before the composites that use them.
    pub(super) order: Vec<usize>,
    pub(super) by_id: HashMap<String, usize>,
    pub(super) fingerprint: super::fingerprint::LibraryFingerprint,
    /// For a library narrowed by [`Library::restrict`]: the whole library's fingerprint
    /// and the measure ids kept (sorted).
    pub(super) restricted: Option<Restricted>,
}

/// What a narrowed library was narrowed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Restricted {
    pub(super) whole: super::fingerprint::LibraryFingerprint,
    pub(super) ids: Vec<String>,
}

/// Why [`Library::restrict`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RestrictError {
    /// No measure of the library has this id.
    #[error("no measure `{id}` in the library{}", did_you_mean_suffix(.suggestion.as_deref()))]
    UnknownMeasure {
        /// The id asked for.
        id: String,
        /// A close id of the library, if any.
        suggestion: Option<String>,
    },
    /// No id was given.
    #[error("no measure was selected")]
    Empty,
}

fn did_you_mean_suffix(s: Option<&str>) -> String {
    s.map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
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
    /// it, reported with every diagnostic of the other files. The files are read by
    /// `measure`'s one file reader (`measure/fs.rs`); the rest is [`Library::from_sources`].
    pub fn load(dir: &Path) -> Result<Library, LoadError> {
        super::fs::load(dir)
    }

    /// Checks and compiles a library from named files, as a folder holds them (names
    /// relative to it, `/`-separated): every name ending `.oqm` is a measure or `lib`
    /// module, every `valuesets/*.json` a value set, and any other name is left out, as
    /// [`Library::load`] leaves it out of a folder. The caller reads the files however it
    /// likes (an archive, a database, memory); files are taken in name order, whatever the
    /// order given.
    ///
    /// ```
    /// use oncoqual::measure::{Library, SpecFile};
    /// let spec = "measure core.example {\n  title \"Example\" module core tracks [core]\n  \
    ///     direction higher_is_better scoring proportion source \"doc\" version \"1\"\n}\n\
    ///     initial_population = exists diagnoses\nnumerator = exists regimens\n";
    /// let files = [SpecFile::new("core/example.oqm", spec), SpecFile::new("README.md", "")];
    /// let lib = Library::from_sources(files).unwrap();
    /// assert_eq!(lib.measures().len(), 1);
    /// ```
    pub fn from_sources(files: impl IntoIterator<Item = SpecFile>) -> Result<Library, CheckErrors> {
        let mut specs = Vec::new();
        let mut valuesets = Vec::new();
        for file in files {
            match classify(&file.name) {
                Some(Kind::Spec) => specs.push(file),
                Some(Kind::ValueSet) => valuesets.push(file),
                None => {}
            }
        }
        specs.sort_by(|a, b| a.name.cmp(&b.name));
        valuesets.sort_by(|a, b| a.name.cmp(&b.name));
        Library::from_files(specs, valuesets)
    }

    /// The library compiled from the crate's own `measure-specs/` (embedded at build time).
    pub fn bundled() -> Result<&'static Library, &'static CheckErrors> {
        static BUNDLED: std::sync::OnceLock<Result<Library, CheckErrors>> =
            std::sync::OnceLock::new();
        BUNDLED.get_or_init(Library::bundled_owned).as_ref()
    }

    /// A fresh copy of the [bundled](Library::bundled) library, owned by the caller (to
    /// [`restrict`](Library::restrict) it, for example); compiled again on each call.
    pub fn bundled_owned() -> Result<Library, CheckErrors> {
        let specs = bundled_files::SPECS
            .iter()
            .map(|(n, t)| SpecFile::new(*n, *t))
            .collect();
        let vs = bundled_files::VALUESETS
            .iter()
            .map(|(n, t)| SpecFile::new(*n, *t))
            .collect();
        Library::from_files(specs, vs)
    }

    /// Checks and compiles spec files and value-set files; every error of every file is
    /// reported.
    pub fn from_files(
        specs: Vec<SpecFile>,
        valuesets: Vec<SpecFile>,
    ) -> Result<Library, CheckErrors> {
        super::link::build(specs, valuesets)
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

    /// This library narrowed to the measures `ids` and the components they need (a
    /// composite is evaluated from its components, which come along and are reported too).
    ///
    /// The narrowed library is another library: its [`fingerprint`](Library::fingerprint)
    /// is derived from the whole library's and the ids kept, so its tallies and reports
    /// never merge with the whole library's, and a report made with it states the
    /// selection (see [`Library::selection`]). Narrowing again keeps the whole library as
    /// the origin: `restrict(a ∪ b).restrict(a)` is `restrict(a)`.
    ///
    /// ```
    /// use oncoqual::Library;
    /// let bundled = Library::bundled().unwrap();
    /// let one = Library::bundled_owned()
    ///     .unwrap()
    ///     .restrict(&["end_of_life.chemo-last-14-days"])
    ///     .unwrap();
    /// assert_eq!(one.measures().len(), 1);
    /// assert_ne!(one.fingerprint(), bundled.fingerprint());
    /// assert_eq!(one.selection().unwrap().len(), 1);
    /// ```
    pub fn restrict(mut self, ids: &[&str]) -> Result<Library, RestrictError> {
        if ids.is_empty() {
            return Err(RestrictError::Empty);
        }
        let mut keep = vec![false; self.measures.len()];
        let mut stack = Vec::with_capacity(ids.len());
        for id in ids {
            match self.by_id.get(*id) {
                Some(&i) => stack.push(i),
                None => {
                    return Err(RestrictError::UnknownMeasure {
                        id: (*id).to_owned(),
                        suggestion: self.suggest(id).map(str::to_owned),
                    });
                }
            }
        }
        while let Some(i) = stack.pop() {
            if let Some(k) = keep.get_mut(i)
                && !*k
            {
                *k = true;
                if let Some(m) = self.measures.get(i) {
                    stack.extend(m.components.iter().copied());
                }
            }
        }
        // Old index → new index, for the measures kept.
        let mut new_index = vec![usize::MAX; self.measures.len()];
        for (next, (i, _)) in keep.iter().enumerate().filter(|(_, k)| **k).enumerate() {
            if let Some(slot) = new_index.get_mut(i) {
                *slot = next;
            }
        }
        let remap = |i: usize| new_index.get(i).copied().filter(|n| *n != usize::MAX);
        let measures: Vec<MeasureDef> = std::mem::take(&mut self.measures)
            .into_iter()
            .zip(keep.iter())
            .filter(|(_, k)| **k)
            .map(|(mut m, _)| {
                m.components = m.components.iter().filter_map(|c| remap(*c)).collect();
                m
            })
            .collect();
        self.order = self.order.iter().filter_map(|i| remap(*i)).collect();
        self.by_id = measures
            .iter()
            .enumerate()
            .map(|(i, m)| (m.info.id.clone(), i))
            .collect();
        let mut kept: Vec<String> = measures.iter().map(|m| m.info.id.clone()).collect();
        kept.sort_unstable();
        let whole = self
            .restricted
            .as_ref()
            .map_or(self.fingerprint, |r| r.whole);
        let refs: Vec<&str> = kept.iter().map(String::as_str).collect();
        self.fingerprint = whole.restricted(&refs);
        self.restricted = Some(Restricted { whole, ids: kept });
        self.measures = measures;
        Ok(self)
    }

    /// For a library narrowed by [`Library::restrict`], the ids of the measures it holds
    /// (sorted); `None` for a whole library.
    pub fn selection(&self) -> Option<&[String]> {
        self.restricted.as_ref().map(|r| r.ids.as_slice())
    }

    /// For a library narrowed by [`Library::restrict`], the fingerprint of the whole
    /// library it was narrowed from.
    pub fn whole_fingerprint(&self) -> super::fingerprint::LibraryFingerprint {
        self.restricted
            .as_ref()
            .map_or(self.fingerprint, |r| r.whole)
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

    /// The spec file of measure `index`: its name (relative to the library root) and text.
    #[cfg(feature = "fhir")]
    pub(crate) fn spec_source(&self, index: usize) -> Option<&Source> {
        self.sources.get(self.measures.get(index)?.file)
    }

    /// The shared `lib` modules, sorted by id: each id with its file.
    #[cfg(feature = "fhir")]
    pub(crate) fn shared_libraries(&self) -> impl Iterator<Item = (&str, &Source)> {
        self.lib_ids
            .iter()
            .filter_map(|(id, f)| Some((id.as_str(), self.sources.get(*f)?)))
    }

    /// The ids of the `lib` modules measure `index`'s file `use`s, sorted.
    #[cfg(feature = "fhir")]
    pub(crate) fn measure_uses(&self, index: usize) -> Vec<&str> {
        self.measures
            .get(index)
            .map_or(Vec::new(), |m| self.uses_of_file(m.file))
    }

    /// The ids of the `lib` modules shared library `id` `use`s, sorted.
    #[cfg(feature = "fhir")]
    pub(crate) fn library_uses(&self, id: &str) -> Vec<&str> {
        self.lib_ids
            .iter()
            .find(|(l, _)| l == id)
            .map_or(Vec::new(), |(_, f)| self.uses_of_file(*f))
    }

    #[cfg(feature = "fhir")]
    fn uses_of_file(&self, file: usize) -> Vec<&str> {
        let uses = self.file_uses.get(file).map_or(&[][..], Vec::as_slice);
        let mut ids: Vec<&str> = self
            .lib_ids
            .iter()
            .filter(|(_, f)| uses.contains(f))
            .map(|(id, _)| id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The value set named `name`.
    #[cfg(feature = "fhir")]
    pub(crate) fn valueset(&self, name: &str) -> Option<&ValueSet> {
        self.valuesets.iter().find(|v| v.name == name)
    }

    pub(super) fn program(&self) -> Program<'_> {
        Program {
            slots: &self.slots,
            valuesets: &self.valuesets,
            overlay: &[],
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
    /// ([`crate::pipeline::tally_jsonl`], the CLI) evaluate this way and report a chart
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
        self.reset_outcomes(out, 0..self.measures.len());
        let r = with_arena(|arena| {
            let mut ctx: Ctx<'_, false> =
                Ctx::new(chart, self.program(), period.start, period.end, arena)
                    .with_budget(budget);
            let pops = arena.alloc_slice_fill_copy(self.measures.len(), Populations::NONE);
            // `order` holds each measure's index once (see `build`).
            for &i in &self.order {
                let p = self.populations(&mut ctx, i, pops);
                if let Some(slot) = pops.get_mut(i) {
                    *slot = p;
                }
                if let Some(o) = out.get_mut(i) {
                    o.populations = p;
                    if self
                        .measures
                        .get(i)
                        .is_some_and(|m| !m.stratifiers.is_empty())
                    {
                        o.strata = self.strata(&mut ctx, i);
                    }
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

    /// Makes `out` one empty outcome per index of `indices`, in order. An outcome already in
    /// place for the same measure is kept and emptied (its id is not cloned again), so a
    /// buffer reused across charts costs no reference counting on its ids.
    fn reset_outcomes(
        &self,
        out: &mut Vec<Outcome>,
        indices: impl ExactSizeIterator<Item = usize>,
    ) {
        out.truncate(indices.len());
        for (k, i) in indices.enumerate() {
            match out.get_mut(k) {
                Some(o) if o.measure == i => {
                    o.populations = Populations::NONE;
                    o.strata.clear();
                }
                slot => {
                    let id = self
                        .measures
                        .get(i)
                        .map_or_else(|| Arc::from(""), |m| m.id.clone());
                    let fresh = Outcome::new(i, id);
                    match slot {
                        Some(o) => *o = fresh,
                        None => out.push(fresh),
                    }
                }
            }
        }
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
        let r = with_arena(|arena| {
            let mut ctx: Ctx<'_, false> =
                Ctx::new(chart, self.program(), period.start, period.end, arena)
                    .with_budget(budget);
            // Per measure: its populations, and where its strata are in `strata` (the
            // strata of the stratified measures only, in evaluation order).
            let pops = arena.alloc_slice_fill_copy(self.measures.len(), Populations::NONE);
            let strata_at = arena.alloc_slice_fill_copy(self.measures.len(), u32::MAX);
            let mut strata: Vec<Vec<Option<String>>> = Vec::new();
            // A selection's indices are the library's (see `select`).
            for &i in &selection.order {
                let p = self.populations(&mut ctx, i, pops);
                if let Some(slot) = pops.get_mut(i) {
                    *slot = p;
                }
                if self
                    .measures
                    .get(i)
                    .is_some_and(|m| !m.stratifiers.is_empty())
                    && let Some(at) = strata_at.get_mut(i)
                {
                    *at = u32::try_from(strata.len()).unwrap_or(u32::MAX);
                    strata.push(self.strata(&mut ctx, i));
                }
                self.stopped(&ctx, i)?;
            }
            self.reset_outcomes(out, selection.report.iter().copied());
            for o in out.iter_mut() {
                o.populations = pops.get(o.measure).copied().unwrap_or(Populations::NONE);
                let at = strata_at.get(o.measure).copied().unwrap_or(u32::MAX);
                if let Some(s) = strata.get(at as usize) {
                    o.strata.clone_from(s);
                }
            }
            Ok(ctx.steps())
        });
        if r.is_err() {
            out.clear();
        }
        r
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

    pub(super) fn populations<'a, const T: bool>(
        &'a self,
        ctx: &mut Ctx<'a, T>,
        i: usize,
        done: &[Populations],
    ) -> Populations {
        let Some(m) = self.measures.get(i) else {
            return Populations::NONE;
        };
        let met = |p: PopulationKind| -> Option<bool> {
            m.criteria.get(p as usize)?.as_ref().map(|c| {
                let (node, locals) = c.pick::<T>();
                ctx.criterion(node, locals)
            })
        };
        // Components come first in `order`: their populations are known.
        let components = m
            .components
            .iter()
            .map(|&c| done.get(c).copied().unwrap_or(Populations::NONE));
        populations_by(m.info.scoring, met, components)
    }

    /// Evaluates measure `v.measure` with some of its logic replaced (a mutant's, see
    /// `mutate`) on `chart` within `budget` steps: its populations, its strata and the steps
    /// taken. `components`: the populations of a composite's components, in the order of
    /// its components (evaluated by the caller with the library's own logic).
    pub(crate) fn evaluate_variant(
        &self,
        v: &Variant<'_>,
        chart: &Chart,
        period: Period,
        components: &[Populations],
        budget: u64,
    ) -> Result<(Populations, Vec<Option<String>>, u64), EvalError> {
        let program = Program {
            slots: &self.slots,
            valuesets: &self.valuesets,
            overlay: v.slots,
        };
        let scoring = self
            .measures
            .get(v.measure)
            .map_or(Scoring::Proportion, |m| m.info.scoring);
        with_arena(|arena| {
            let mut ctx: Ctx<'_, false> =
                Ctx::new(chart, program, period.start, period.end, arena).with_budget(budget);
            let met = |p: PopulationKind| -> Option<bool> {
                v.criteria.get(p as usize).copied().flatten().map(|c| {
                    let (node, locals) = c.pick::<false>();
                    ctx.criterion(node, locals)
                })
            };
            let pops = populations_by(scoring, met, components.iter().copied());
            let strata = v
                .stratifiers
                .iter()
                .map(|s| {
                    let (node, locals) = s.pick::<false>();
                    stratum_text(&ctx.top(node, locals))
                })
                .collect();
            self.stopped(&ctx, v.measure)?;
            Ok((pops, strata, ctx.steps()))
        })
    }

    pub(super) fn strata<'a, const T: bool>(
        &'a self,
        ctx: &mut Ctx<'a, T>,
        i: usize,
    ) -> Vec<Option<String>> {
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
}

/// One measure's logic with some of it replaced: what [`Library::evaluate_variant`]
/// evaluates in place of the measure's own criteria, stratifiers and defines.
pub(crate) struct Variant<'v> {
    /// The measure (index into the library's measures).
    pub(crate) measure: usize,
    /// Its criteria, by [`PopulationKind`].
    pub(crate) criteria: [Option<&'v Compiled>; 6],
    /// Its stratifiers, in order.
    pub(crate) stratifiers: Vec<&'v Compiled>,
    /// Defines evaluated in place of the library's: `(slot, definition)`.
    pub(crate) slots: &'v [(u32, SlotDef)],
}

/// A measure's populations from its criteria, `met` (`None`: the measure has no such
/// criterion), evaluated lazily in the order the populations need them, and a composite's
/// components' populations.
pub(crate) fn populations_by(
    scoring: Scoring,
    mut met: impl FnMut(PopulationKind) -> Option<bool>,
    components: impl Iterator<Item = Populations>,
) -> Populations {
    let ipp = met(PopulationKind::InitialPopulation).unwrap_or(false);
    if !ipp {
        return Populations::NONE;
    }
    if scoring == Scoring::CompositeAllOrNone {
        return composite(ipp, components);
    }
    let denom = met(PopulationKind::Denominator).unwrap_or(true);
    let denex = denom && met(PopulationKind::DenominatorExclusion).unwrap_or(false);
    let numer = denom && !denex && met(PopulationKind::Numerator).unwrap_or(false);
    let numex = numer && met(PopulationKind::NumeratorExclusion).unwrap_or(false);
    let denexcep =
        denom && !denex && !numer && met(PopulationKind::DenominatorException).unwrap_or(false);
    Populations::from_criteria(ipp, denom, denex, denexcep, numer, numex)
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

pub(super) fn stratum_text(v: &Value<'_>) -> Option<String> {
    match v {
        Value::Missing => None,
        Value::Str(s) => Some((*s).to_owned()),
        Value::List(l) if l.len() == 0 => None,
        other => Some(Shown(other).to_string()),
    }
}

/// What a file of a library folder is, by its name (relative to the folder).
pub(crate) enum Kind {
    Spec,
    ValueSet,
}

/// `*.oqm` anywhere is a spec; `valuesets/*.json` (at any depth below `valuesets/`) a value
/// set; anything else is not part of a library.
pub(crate) fn classify(name: &str) -> Option<Kind> {
    match name.rsplit_once('.') {
        Some((stem, "oqm")) if !stem.ends_with('/') && !stem.is_empty() => Some(Kind::Spec),
        Some((stem, "json")) if name.starts_with("valuesets/") && !stem.ends_with('/') => {
            Some(Kind::ValueSet)
        }
        _ => None,
    }
}

#[cfg(all(test, feature = "synth"))]
mod tests {
    use super::*;
    use crate::RoundCalendar;
    use crate::synth::{self, SynthConfig};

    /// Every measure's populations and strata from the logic as written (the tree
    /// *explain* walks), each criterion in a fresh frame.
    fn as_written(
        lib: &Library,
        chart: &Chart,
        period: Period,
    ) -> (Vec<Populations>, Vec<Vec<Option<String>>>) {
        let arena = bumpalo::Bump::new();
        let mut ctx: Ctx<'_, true> =
            Ctx::new(chart, lib.program(), period.start, period.end, &arena);
        let mut pops = vec![Populations::NONE; lib.measures.len()];
        let mut strata = vec![Vec::new(); lib.measures.len()];
        for &i in &lib.order {
            pops[i] = lib.populations(&mut ctx, i, &pops);
            strata[i] = lib.strata(&mut ctx, i);
        }
        (pops, strata)
    }

    /// The evaluation copy (`optimize`, indexes, frames reused without resets) against the
    /// logic as written, chart by chart, populations and strata: on 100,000 synthetic charts
    /// in a release build (`cargo test --release --all-features --lib measure::library`),
    /// fewer in a debug build.
    #[test]
    fn optimized_evaluation_agrees_with_the_logic_as_written_on_synthetic_charts() {
        let n = if cfg!(debug_assertions) {
            1500
        } else {
            100_000
        };
        let lib = Library::bundled().expect("the bundled library checks");
        let calendar = RoundCalendar::new();
        let mut out = Vec::new();
        let mut in_ipp = 0usize;
        let all: Vec<usize> = (0..lib.measures.len()).collect();
        let selection = lib.select(&all);
        let mut selected = Vec::new();
        for chart in synth::generate(&SynthConfig::new(n, n.div_ceil(50), 2, 11)) {
            let period = calendar.period(chart.round);
            lib.evaluate_into(&chart, period, &mut out);
            lib.evaluate_selection_into(&chart, period, &selection, &mut selected);
            let (slow, slow_strata) = as_written(lib, &chart, period);
            assert_eq!(out.len(), slow.len());
            assert_eq!(selected.len(), slow.len());
            for (i, ((f, g), s)) in out.iter().zip(&selected).zip(&slow).enumerate() {
                let id = &lib.measures[i].info.id;
                let at = chart.id.as_str();
                assert_eq!(f.populations, *s, "chart {at} measure {id}");
                assert_eq!(g.populations, *s, "selection: chart {at} measure {id}");
                assert_eq!(f.strata, slow_strata[i], "strata: chart {at} measure {id}");
                assert_eq!(g.strata, slow_strata[i], "strata: chart {at} measure {id}");
            }
            in_ipp += out
                .iter()
                .filter(|o| o.populations != Populations::NONE)
                .count();
        }
        assert!(in_ipp > 3 * n, "the charts reach the measures ({in_ipp})");
    }

    #[test]
    fn a_restricted_library_keeps_the_selection_and_its_components_under_a_fingerprint_of_its_own()
    {
        let whole = Library::bundled().expect("the bundled library checks");
        let composite = "pain.addressed-most-recent-two-visits";
        let ci = whole.index_of(composite).expect("bundled");
        let components: Vec<&str> = whole.measures[ci]
            .components
            .iter()
            .map(|&c| whole.measures[c].info.id.as_str())
            .collect();
        assert!(!components.is_empty());
        let lib = Library::bundled_owned()
            .unwrap()
            .restrict(&[composite, "end_of_life.chemo-last-14-days"])
            .unwrap();
        assert_eq!(lib.measures().len(), 2 + components.len());
        assert!(components.iter().all(|c| lib.index_of(c).is_some()));
        assert_ne!(lib.fingerprint(), whole.fingerprint());
        assert_eq!(lib.whole_fingerprint(), whole.fingerprint());
        let mut sel: Vec<String> = lib.measures.iter().map(|m| m.info.id.clone()).collect();
        sel.sort();
        assert_eq!(lib.selection(), Some(sel.as_slice()));
        // Narrowing further is the same as narrowing the whole library at once.
        let again = lib.restrict(&["end_of_life.chemo-last-14-days"]).unwrap();
        let once = Library::bundled_owned()
            .unwrap()
            .restrict(&["end_of_life.chemo-last-14-days"])
            .unwrap();
        assert_eq!(again.fingerprint(), once.fingerprint());
        assert_eq!(again.whole_fingerprint(), whole.fingerprint());
        // The outcomes are the whole library's, measure by measure.
        let lib = Library::bundled_owned()
            .unwrap()
            .restrict(&[composite, "end_of_life.chemo-last-14-days"])
            .unwrap();
        let calendar = RoundCalendar::new();
        for chart in synth::generate(&SynthConfig::new(300, 10, 1, 5)) {
            let p = calendar.period(chart.round);
            let all = whole.evaluate(&chart, p);
            for o in lib.evaluate(&chart, p) {
                let w = all
                    .iter()
                    .find(|w| w.measure_id() == o.measure_id())
                    .expect("kept measures are the whole library's");
                assert_eq!(w.populations, o.populations);
                assert_eq!(w.strata, o.strata);
            }
        }
    }

    #[test]
    fn restricting_to_an_unknown_or_no_measure_is_refused_with_a_suggestion() {
        let err = Library::bundled_owned()
            .unwrap()
            .restrict(&["end_of_life.chemo-last-14-day"])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "no measure `end_of_life.chemo-last-14-day` in the library (did you mean `end_of_life.chemo-last-14-days`?)"
        );
        assert_eq!(
            Library::bundled_owned().unwrap().restrict(&[]).unwrap_err(),
            RestrictError::Empty
        );
    }
}
