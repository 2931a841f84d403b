//! Tallies: population counts per (round, practice, measure, stratum) and the exact set of
//! unique charts per (round, practice), folded from per-chart outcomes.
//!
//! Merging is a commutative monoid on disjoint shards (`Tally::new()` is its identity), so
//! shards (threads, files, machines) combine in any order to the same result. What makes a
//! count trustworthy is what merging refuses: every tally carries the keyed 128-bit digest
//! of each of its charts ([`ChartKey`]) and a stamp ([`TallyStamp`]: format, oncoqual
//! version, measure-library fingerprint, chart key id, the reporting period of every round),
//! and a merge of two tallies that share a chart, or whose stamps differ, is an error that
//! says so; nothing is ever counted twice or under two calendars.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::chart::round::{Period, RoundId};
use crate::chart::{Chart, ChartDigest, ChartKey, KeyId, PracticeId};
use crate::measure::{Library, LibraryFingerprint, MeasureInfo, Outcome, Population, Populations};

/// Counts of the six populations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Counts {
    /// Initial population.
    #[serde(rename = "IPP")]
    pub ipp: u64,
    /// Denominator.
    #[serde(rename = "DENOM")]
    pub denom: u64,
    /// Denominator exclusions.
    #[serde(rename = "DENEX")]
    pub denex: u64,
    /// Denominator exceptions.
    #[serde(rename = "DENEXCEP")]
    pub denexcep: u64,
    /// Numerator.
    #[serde(rename = "NUMER")]
    pub numer: u64,
    /// Numerator exclusions.
    #[serde(rename = "NUMEX")]
    pub numex: u64,
}

impl Counts {
    /// Adds one chart's populations (saturating, as [`Counts::merge`]: a count never
    /// wraps). A tally's counts never reach the bound: each is at most the charts of its
    /// row, and every chart counted is a digest the tally holds in memory.
    pub fn add(&mut self, p: Populations) {
        let one = |pop| u64::from(p.contains(pop));
        self.ipp = self.ipp.saturating_add(one(Population::InitialPopulation));
        self.denom = self.denom.saturating_add(one(Population::Denominator));
        self.denex = self
            .denex
            .saturating_add(one(Population::DenominatorExclusion));
        self.denexcep = self
            .denexcep
            .saturating_add(one(Population::DenominatorException));
        self.numer = self.numer.saturating_add(one(Population::Numerator));
        self.numex = self
            .numex
            .saturating_add(one(Population::NumeratorExclusion));
    }

    /// Adds another count (saturating: a count never wraps).
    pub fn merge(&mut self, o: &Counts) {
        self.ipp = self.ipp.saturating_add(o.ipp);
        self.denom = self.denom.saturating_add(o.denom);
        self.denex = self.denex.saturating_add(o.denex);
        self.denexcep = self.denexcep.saturating_add(o.denexcep);
        self.numer = self.numer.saturating_add(o.numer);
        self.numex = self.numex.saturating_add(o.numex);
    }

    /// The rate denominator: DENOM − DENEX − DENEXCEP.
    pub fn eligible(&self) -> u64 {
        self.denom
            .saturating_sub(self.denex)
            .saturating_sub(self.denexcep)
    }

    /// The rate numerator: NUMER − NUMEX.
    pub fn met(&self) -> u64 {
        self.numer.saturating_sub(self.numex)
    }

    fn is_zero(&self) -> bool {
        *self == Counts::default()
    }

    /// Checks what one measure's counts over `charts` charts must satisfy, whatever the
    /// measure (each chart is in at most one of DENEX, DENEXCEP and NUMER, all within
    /// DENOM): IPP ≤ charts, DENOM ≤ IPP, DENEX ≤ DENOM, NUMER ≤ DENOM − DENEX,
    /// DENEXCEP ≤ DENOM − DENEX − NUMER, NUMEX ≤ NUMER. The error names the first rule
    /// broken, with both sides.
    pub(crate) fn check(&self, charts: u64) -> Result<(), String> {
        let rules = [
            ("IPP", self.ipp, "charts", charts),
            ("DENOM", self.denom, "IPP", self.ipp),
        ];
        for (name, value, bound_name, bound) in rules {
            if value > bound {
                return Err(format!("{name} ({value}) exceeds {bound_name} ({bound})"));
            }
        }
        let Some(after_denex) = self.denom.checked_sub(self.denex) else {
            return Err(format!(
                "DENEX ({}) exceeds DENOM ({})",
                self.denex, self.denom
            ));
        };
        let Some(after_numer) = after_denex.checked_sub(self.numer) else {
            return Err(format!(
                "NUMER ({}) exceeds DENOM − DENEX ({after_denex})",
                self.numer
            ));
        };
        if self.denexcep > after_numer {
            return Err(format!(
                "DENEXCEP ({}) exceeds DENOM − DENEX − NUMER ({after_numer})",
                self.denexcep
            ));
        }
        if self.numex > self.numer {
            return Err(format!(
                "NUMEX ({}) exceeds NUMER ({})",
                self.numex, self.numer
            ));
        }
        Ok(())
    }

    /// The six counts, named as in a tally file.
    fn named(&self) -> [(&'static str, u64); 6] {
        [
            ("IPP", self.ipp),
            ("DENOM", self.denom),
            ("DENEX", self.denex),
            ("DENEXCEP", self.denexcep),
            ("NUMER", self.numer),
            ("NUMEX", self.numex),
        ]
    }
}

impl MeasureTally {
    /// Checks a measure's counts read from a file over a row of `charts` charts: the
    /// total (see [`Counts::check`]), each stratum the same way, and each stratifier's
    /// strata together within the total (a chart has at most one stratum per stratifier).
    fn check(&self, charts: u64) -> Result<(), String> {
        self.total.check(charts)?;
        for (name, values) in self.strata.iter() {
            let mut sums = [0u64; 6];
            for c in values.values() {
                c.check(charts)
                    .map_err(|e| format!("a stratum of `{name}`: {e}"))?;
                for (sum, (_, v)) in sums.iter_mut().zip(c.named()) {
                    // Each stratum is within `charts`, but their sum may not be.
                    *sum = sum.checked_add(v).unwrap_or(u64::MAX);
                }
            }
            for ((pop, total), sum) in self.total.named().into_iter().zip(sums) {
                if sum > total {
                    return Err(format!(
                        "the strata of `{name}` hold {pop} {sum}, more than the total's {total}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One measure's counts for one (round, practice): overall and per stratum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct MeasureTally {
    /// All charts.
    pub total: Counts,
    /// Per stratifier, per stratum value.
    #[serde(default, skip_serializing_if = "Strata::is_empty")]
    pub strata: Strata,
}

/// Population counts per stratifier name, then per stratum value (a category a stratifier
/// of the measure library yields: an enumeration value, `true` / `false`, or a `band`
/// label). Serialised as a JSON object of objects. Its `Debug` shows the stratifier names
/// and how many strata each has, never a stratum value.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Strata(BTreeMap<String, BTreeMap<String, Counts>>);

impl Strata {
    /// No strata.
    pub fn new() -> Strata {
        Strata::default()
    }

    /// Whether there is no stratum.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The counts per stratum value of stratifier `name`.
    pub fn get(&self, name: &str) -> Option<&BTreeMap<String, Counts>> {
        self.0.get(name)
    }

    /// Each stratifier with its counts per stratum value, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &BTreeMap<String, Counts>)> {
        self.0.iter()
    }

    /// Adds a chart's populations to the stratum `value` of stratifier `name`.
    pub fn add(&mut self, name: &str, value: &str, populations: Populations) {
        let values = match self.0.get_mut(name) {
            Some(v) => v,
            None => self.0.entry(name.to_owned()).or_default(),
        };
        match values.get_mut(value) {
            Some(c) => c.add(populations),
            None => values.entry(value.to_owned()).or_default().add(populations),
        }
    }

    /// Adds every stratum of `from`.
    pub fn merge(&mut self, from: &Strata) {
        for (name, values) in &from.0 {
            let mine = self.0.entry(name.clone()).or_default();
            for (value, c) in values {
                mine.entry(value.clone()).or_default().merge(c);
            }
        }
    }

    /// Drops counts that are all zero, then stratifiers left without a stratum.
    fn normalise(&mut self) {
        for values in self.0.values_mut() {
            values.retain(|_, c| !c.is_zero());
        }
        self.0.retain(|_, v| !v.is_empty());
    }

    /// Refuses a stratum value that the stratifiers of `info` (in `library`) cannot yield.
    pub(crate) fn check(&self, library: &Library, info: &MeasureInfo) -> Result<(), StrataError> {
        for (name, values) in &self.0 {
            let Some(allowed) = library.stratum_values(&info.id, name) else {
                return Err(StrataError::UnknownStratifier {
                    measure: info.id.clone(),
                });
            };
            if values.keys().any(|v| !allowed.iter().any(|a| a == v)) {
                return Err(StrataError::UnknownValue {
                    measure: info.id.clone(),
                    stratifier: name.clone(),
                });
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Strata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.0
                    .iter()
                    .map(|(name, values)| (name, StrataCount(values.len()))),
            )
            .finish()
    }
}

/// `<N strata>`, for [`Strata`]'s `Debug`.
struct StrataCount(usize);

impl fmt::Debug for StrataCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<{} strat{}>",
            self.0,
            if self.0 == 1 { "um" } else { "a" }
        )
    }
}

/// Strata that no stratifier of the measure library can yield: a forged or hand-edited
/// tally or report. The stratum value is never shown (it may be a patient value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StrataError {
    /// A stratum value the stratifier cannot yield.
    #[error(
        "measure `{measure}`: stratifier `{stratifier}` holds a stratum value it cannot yield (an edited or forged file)"
    )]
    UnknownValue {
        /// The measure id.
        measure: String,
        /// The stratifier name.
        stratifier: String,
    },
    /// Strata of a stratifier the measure does not declare.
    #[error(
        "measure `{measure}` holds strata of a stratifier it does not declare (an edited or forged file)"
    )]
    UnknownStratifier {
        /// The measure id.
        measure: String,
    },
    /// Strata of a measure that is not in the library.
    #[error(
        "strata of a measure that is not in the measure library (an edited or forged file, or other specs)"
    )]
    UnknownMeasure,
}

/// The outcomes that count in a tally (the chart is in the measure's initial population),
/// with their measures.
fn counted<'l>(
    library: &'l Library,
    outcomes: &'l [Outcome],
) -> impl Iterator<Item = (&'l MeasureInfo, &'l Outcome)> {
    outcomes
        .iter()
        .filter(|o| o.populations.contains(Population::InitialPopulation))
        .filter_map(|o| library.measure(o.measure).map(|info| (info, o)))
}

impl MeasureTally {
    /// Adds one chart's outcome of the measure `info` describes: overall and per stratum.
    fn add(&mut self, info: &MeasureInfo, o: &Outcome) {
        self.total.add(o.populations);
        for (name, value) in info.stratifiers.iter().zip(&o.strata) {
            let Some(value) = value else { continue };
            self.strata.add(name, value, o.populations);
        }
    }

    fn merge(&mut self, o: &MeasureTally) {
        self.total.merge(&o.total);
        self.strata.merge(&o.strata);
    }
}

/// One (round, practice): its unique charts and its measures' counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PracticeTally {
    /// Unique charts submitted (each chart counted once, whatever the measures).
    pub charts: u64,
    /// Per measure id.
    pub measures: BTreeMap<String, MeasureTally>,
    /// The digest of every chart counted: `charts` of them.
    #[serde(skip)]
    digests: Digests,
}

/// A sorted set of chart digests (its `Debug` shows only how many).
#[derive(Clone, Default, PartialEq, Eq)]
struct Digests(BTreeSet<ChartDigest>);

impl fmt::Debug for Digests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} chart digests", self.0.len())
    }
}

impl PracticeTally {
    /// Charts of this row that `other` holds too.
    fn shared(&self, other: &PracticeTally) -> u64 {
        let (small, large) = if self.digests.0.len() <= other.digests.0.len() {
            (&self.digests.0, &other.digests.0)
        } else {
            (&other.digests.0, &self.digests.0)
        };
        small.iter().filter(|d| large.contains(d)).count() as u64
    }

    /// Adds a disjoint row (the caller checked that no chart is shared).
    fn merge_disjoint(&mut self, o: &PracticeTally) {
        self.digests.0.extend(o.digests.0.iter().copied());
        self.charts = self.digests.0.len() as u64;
        for (id, m) in &o.measures {
            self.measures.entry(id.clone()).or_default().merge(m);
        }
    }
}

/// What a tally was computed with. Two tallies merge only when their stamps agree: the same
/// format, oncoqual version, measure library and chart key, and the same reporting period
/// for every round both hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TallyStamp {
    /// The tally file format version.
    pub format: u32,
    /// The oncoqual version that evaluated the charts.
    pub oncoqual_version: String,
    /// The fingerprint of the measure library (ids, spec texts, value sets).
    pub library: LibraryFingerprint,
    /// The public id of the key chart digests were computed under.
    pub chart_key: KeyId,
    /// The reporting period each round was evaluated over.
    pub periods: BTreeMap<RoundId, Period>,
    /// For charts evaluated by a library narrowed to some measures
    /// ([`Library::restrict`]): their ids (sorted). Absent for the whole library.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<Vec<String>>,
}

/// How a stamp's measures read in a refusal: "the whole library" or the selection.
pub(crate) fn describe_selection(selection: Option<&[String]>) -> String {
    match selection {
        None => "the whole measure library".to_owned(),
        Some(ids) => {
            const SHOWN: usize = 3;
            let mut s = format!(
                "a selection of {} measure{} (",
                ids.len(),
                plural(ids.len() as u64)
            );
            for (i, id) in ids.iter().take(SHOWN).enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(id);
            }
            if ids.len() > SHOWN {
                s.push_str(", …");
            }
            s.push(')');
            s
        }
    }
}

impl fmt::Display for TallyStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tally format {}, oncoqual {}, measure library {}, chart key {}",
            self.format, self.oncoqual_version, self.library, self.chart_key
        )?;
        if let Some(ids) = &self.selection {
            write!(f, ", {}", describe_selection(Some(ids)))?;
        }
        for (r, p) in &self.periods {
            write!(f, ", round {r} over {p}")?;
        }
        Ok(())
    }
}

/// Why charts or tallies could not be counted together. Nothing is changed by a refused
/// `add` or `merge`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TallyError {
    /// The same chart (id, practice and round) was added twice.
    #[error("a chart of practice `{}` in round {round} was counted twice (the same chart id twice)", practice.as_str())]
    DuplicateChart {
        /// The round.
        round: RoundId,
        /// The practice.
        practice: PracticeId,
    },
    /// Two tallies hold some of the same charts.
    #[error(
        "the tallies share {charts} chart{} (in {rows} practice-round{}, first practice `{}` in round {}): merging them would count {} twice",
        plural(*charts), plural(*rows), first.1.as_str(), first.0, if *charts == 1 { "it" } else { "them" }
    )]
    Overlap {
        /// Charts in both.
        charts: u64,
        /// (round, practice) rows with shared charts.
        rows: u64,
        /// The first such row.
        first: (RoundId, PracticeId),
    },
    /// Tallies of different measures: one of the whole library and one of a selection, or
    /// of two selections.
    #[error(
        "the tallies count different measures: {ours} and {theirs}; counts of some measures never merge with counts of others"
    )]
    SelectionMismatch {
        /// What this tally counts ("the whole measure library" or the selection).
        ours: String,
        /// What the other counts.
        theirs: String,
    },
    /// Tallies of two measure libraries.
    #[error("the tallies were computed with two measure libraries: {ours} and {theirs}")]
    LibraryMismatch {
        /// This tally's.
        ours: LibraryFingerprint,
        /// The other's.
        theirs: LibraryFingerprint,
    },
    /// A chart's evaluation stopped (see [`crate::measure::EVAL_BUDGET`]).
    #[error("chart {chart} of the input: {source}")]
    Evaluation {
        /// The chart's position in the input (0-based).
        chart: usize,
        /// Why.
        source: crate::measure::EvalError,
    },
    /// Tallies of two oncoqual versions.
    #[error("the tallies were computed by two oncoqual versions: {ours} and {theirs}")]
    VersionMismatch {
        /// This tally's.
        ours: String,
        /// The other's.
        theirs: String,
    },
    /// Chart digests under two keys cannot be compared, so overlaps could not be seen.
    #[error(
        "the tallies' chart digests use two keys ({ours} and {theirs}): every shard of a report must use the same chart key"
    )]
    KeyMismatch {
        /// This tally's key id.
        ours: KeyId,
        /// The other's.
        theirs: KeyId,
    },
    /// One round evaluated over two reporting periods (two round calendars).
    #[error(
        "round {round} was evaluated over {ours} in one and over {theirs} in the other: two round calendars"
    )]
    PeriodMismatch {
        /// The round.
        round: RoundId,
        /// This tally's period.
        ours: Period,
        /// The other's.
        theirs: Period,
    },
    /// Strata no stratifier of the library can yield (a forged or edited tally).
    #[error(transparent)]
    Strata(#[from] StrataError),
    /// A keyed tally read from a file cannot digest new charts: its key is not in the file.
    #[error(
        "this tally was read from a file and its chart key ({key}) is not: tally the new charts into a tally made with that key, then merge"
    )]
    NoKey {
        /// The key id the tally uses.
        key: KeyId,
    },
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The format version of tally files.
pub const TALLY_FORMAT: u32 = 2;

/// Population counts and unique charts for any number of (round, practice) pairs, with
/// the stamp that says what they were computed with.
///
/// ```
/// use oncoqual::benchmark::Tally;
/// use oncoqual::{Chart, ChartId, Library, PracticeId, RoundCalendar};
/// let lib = Library::bundled().unwrap();
/// let chart = Chart::new(ChartId::new("c1").unwrap(), PracticeId::new("P1").unwrap(), "2026-1".parse().unwrap());
/// let period = RoundCalendar::new().period(chart.round);
/// let mut a = Tally::new();
/// a.add(lib, &chart, period, &lib.evaluate(&chart, period)).unwrap();
/// // The same chart in another shard: the merge refuses instead of counting it twice.
/// let b = a.clone();
/// let err = a.merge(&b).unwrap_err();
/// assert!(err.to_string().starts_with("the tallies share 1 chart"));
/// ```
#[derive(Clone, Default)]
pub struct Tally {
    /// The key new charts are digested with (`None`: unkeyed, or read from a file).
    key: Option<ChartKey>,
    /// `None` while the tally is empty and unstamped (the identity of `merge`).
    stamp: Option<TallyStamp>,
    rows: BTreeMap<(RoundId, PracticeId), PracticeTally>,
}

impl PartialEq for Tally {
    fn eq(&self, other: &Tally) -> bool {
        self.stamp == other.stamp && self.rows == other.rows
    }
}
impl Eq for Tally {}

impl fmt::Debug for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tally")
            .field("stamp", &self.stamp)
            .field("rounds_x_practices", &self.rows.len())
            .finish()
    }
}

impl Tally {
    /// An empty tally (the identity of `merge`); charts added to it are digested unkeyed.
    pub fn new() -> Tally {
        Tally::default()
    }

    /// An empty tally whose charts are digested under `key` (a program-wide secret).
    pub fn with_key(key: ChartKey) -> Tally {
        Tally {
            key: Some(key),
            stamp: None,
            rows: BTreeMap::new(),
        }
    }

    /// What the tally was computed with; `None` while it is empty.
    pub fn stamp(&self) -> Option<&TallyStamp> {
        self.stamp.as_ref()
    }

    /// The key id its digests use (or will use).
    fn key_id(&self) -> Option<KeyId> {
        self.stamp
            .as_ref()
            .map(|s| s.chart_key)
            .or_else(|| self.key.as_ref().map(ChartKey::id))
    }

    /// Folds one chart, evaluated over `period` by `library` into `outcomes`, into the
    /// tally. Measures whose initial population the chart is not in add nothing but the
    /// chart itself. Refused (and nothing changed) when the chart was added before, the
    /// library or the round's period differ from the tally's, or the tally was read from
    /// a file under a key it does not hold.
    pub fn add(
        &mut self,
        library: &Library,
        chart: &Chart,
        period: Period,
        outcomes: &[Outcome],
    ) -> Result<(), TallyError> {
        let unkeyed;
        let key = match (&self.key, &self.stamp) {
            (Some(k), _) => k,
            (None, Some(s)) if s.chart_key != KeyId::UNKEYED => {
                return Err(TallyError::NoKey { key: s.chart_key });
            }
            (None, _) => {
                unkeyed = ChartKey::unkeyed();
                &unkeyed
            }
        };
        if let Some(mine) = &self.stamp {
            if mine.selection.as_deref() != library.selection() {
                return Err(TallyError::SelectionMismatch {
                    ours: describe_selection(mine.selection.as_deref()),
                    theirs: describe_selection(library.selection()),
                });
            }
            if mine.library != library.fingerprint() {
                return Err(TallyError::LibraryMismatch {
                    ours: mine.library,
                    theirs: library.fingerprint(),
                });
            }
            if mine.oncoqual_version != env!("CARGO_PKG_VERSION") {
                return Err(TallyError::VersionMismatch {
                    ours: mine.oncoqual_version.clone(),
                    theirs: env!("CARGO_PKG_VERSION").to_owned(),
                });
            }
            if mine.chart_key != key.id() {
                return Err(TallyError::KeyMismatch {
                    ours: mine.chart_key,
                    theirs: key.id(),
                });
            }
            if let Some(p) = mine.periods.get(&chart.round).filter(|p| **p != period) {
                return Err(TallyError::PeriodMismatch {
                    round: chart.round,
                    ours: *p,
                    theirs: period,
                });
            }
        }
        let digest = key.digest(chart.round, &chart.practice, &chart.id);
        let row_key = (chart.round, chart.practice.clone());
        if self
            .rows
            .get(&row_key)
            .is_some_and(|r| r.digests.0.contains(&digest))
        {
            return Err(TallyError::DuplicateChart {
                round: chart.round,
                practice: chart.practice.clone(),
            });
        }
        let key_id = key.id();
        match &mut self.stamp {
            Some(mine) => {
                mine.periods.insert(chart.round, period);
            }
            None => {
                self.stamp = Some(fresh_stamp(library, key_id, [(chart.round, period)].into()));
            }
        }
        let row = self.rows.entry(row_key).or_default();
        row.digests.0.insert(digest);
        row.charts = row.digests.0.len() as u64;
        for (info, o) in counted(library, outcomes) {
            let m = match row.measures.get_mut(info.id.as_str()) {
                Some(m) => m,
                None => row.measures.entry(info.id.clone()).or_default(),
            };
            m.add(info, o);
        }
        Ok(())
    }

    /// Charts held by both tallies (whatever their stamps).
    pub fn shared_charts(&self, other: &Tally) -> u64 {
        other
            .rows
            .iter()
            .filter_map(|(k, theirs)| self.rows.get(k).map(|mine| mine.shared(theirs)))
            .sum()
    }

    /// Adds another tally into this one; refused (and nothing changed) when their stamps
    /// differ (library, oncoqual version, chart key, a round's period) or they share a
    /// chart.
    pub fn merge(&mut self, other: &Tally) -> Result<(), TallyError> {
        let Some(theirs) = &other.stamp else {
            return Ok(());
        };
        match &self.stamp {
            Some(mine) => check_stamps(mine, theirs)?,
            None => {
                if let Some(k) = self.key_id().filter(|k| *k != theirs.chart_key) {
                    return Err(TallyError::KeyMismatch {
                        ours: k,
                        theirs: theirs.chart_key,
                    });
                }
            }
        }
        let (mut charts, mut rows, mut first) = (0u64, 0u64, None);
        for (k, t) in &other.rows {
            if let Some(mine) = self.rows.get(k) {
                let n = mine.shared(t);
                if n > 0 {
                    // Bounded by the charts and rows held in memory: never saturates.
                    charts = charts.saturating_add(n);
                    rows = rows.saturating_add(1);
                    first.get_or_insert_with(|| k.clone());
                }
            }
        }
        if let Some(first) = first {
            return Err(TallyError::Overlap {
                charts,
                rows,
                first,
            });
        }
        match &mut self.stamp {
            Some(mine) => mine
                .periods
                .extend(theirs.periods.iter().map(|(r, p)| (*r, *p))),
            None => self.stamp = Some(theirs.clone()),
        }
        for (key, row) in &other.rows {
            self.rows
                .entry(key.clone())
                .or_default()
                .merge_disjoint(row);
        }
        Ok(())
    }

    /// Combines two tallies (see [`Tally::merge`]).
    pub fn merged(mut self, other: &Tally) -> Result<Tally, TallyError> {
        self.merge(other)?;
        Ok(self)
    }

    /// The (round, practice) rows, in round then practice order.
    pub fn rows(&self) -> impl Iterator<Item = (&RoundId, &PracticeId, &PracticeTally)> {
        self.rows.iter().map(|((r, p), t)| (r, p, t))
    }

    /// The row of one (round, practice).
    pub fn get(&self, round: RoundId, practice: &PracticeId) -> Option<&PracticeTally> {
        self.rows.get(&(round, practice.clone()))
    }

    /// The rounds present, in order.
    pub fn rounds(&self) -> Vec<RoundId> {
        let mut r: Vec<RoundId> = self.rows.keys().map(|(r, _)| *r).collect();
        r.dedup();
        r
    }

    /// The reporting period round `round` was evaluated over.
    pub fn period(&self, round: RoundId) -> Option<Period> {
        self.stamp.as_ref()?.periods.get(&round).copied()
    }

    /// Refuses strata that no stratifier of `library` can yield: a stratum value that is
    /// not one of the stratifier's categories, a stratifier the measure does not declare,
    /// or strata of a measure not in `library` (a forged or hand-edited tally file). The
    /// error names the measure and the stratifier, never the stratum value.
    pub fn check_strata(&self, library: &Library) -> Result<(), StrataError> {
        for row in self.rows.values() {
            for (id, m) in &row.measures {
                check_measure_strata(library, id, &m.strata)?;
            }
        }
        Ok(())
    }

    /// Whether the tally holds no chart.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The tally of the rows `keep` keeps (same stamp).
    pub(crate) fn retain_rows(&self, keep: impl Fn(RoundId, &PracticeId) -> bool) -> Tally {
        Tally {
            key: self.key.clone(),
            stamp: self.stamp.clone(),
            rows: self
                .rows
                .iter()
                .filter(|((r, p), _)| keep(*r, p))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// Drops counts that are all zero (never produced by `add`; may come from a file).
    fn normalise(&mut self) {
        for row in self.rows.values_mut() {
            for m in row.measures.values_mut() {
                m.strata.normalise();
            }
            row.measures
                .retain(|_, m| !(m.total.is_zero() && m.strata.is_empty()));
        }
    }
}

/// Refuses `strata` of measure `id` that no stratifier of `library` can yield.
pub(crate) fn check_measure_strata(
    library: &Library,
    id: &str,
    strata: &Strata,
) -> Result<(), StrataError> {
    if strata.is_empty() {
        return Ok(());
    }
    let info = library
        .index_of(id)
        .and_then(|i| library.measure(i))
        .ok_or(StrataError::UnknownMeasure)?;
    strata.check(library, info)
}

/// The stamp of charts evaluated now by `library` under key `key`.
fn fresh_stamp(library: &Library, key: KeyId, periods: BTreeMap<RoundId, Period>) -> TallyStamp {
    TallyStamp {
        format: TALLY_FORMAT,
        oncoqual_version: env!("CARGO_PKG_VERSION").to_owned(),
        library: library.fingerprint(),
        chart_key: key,
        periods,
        selection: library.selection().map(<[String]>::to_vec),
    }
}

/// Whether tallies stamped `mine` and `theirs` may be counted together.
fn check_stamps(mine: &TallyStamp, theirs: &TallyStamp) -> Result<(), TallyError> {
    if mine.selection != theirs.selection {
        return Err(TallyError::SelectionMismatch {
            ours: describe_selection(mine.selection.as_deref()),
            theirs: describe_selection(theirs.selection.as_deref()),
        });
    }
    if mine.library != theirs.library {
        return Err(TallyError::LibraryMismatch {
            ours: mine.library,
            theirs: theirs.library,
        });
    }
    if mine.oncoqual_version != theirs.oncoqual_version {
        return Err(TallyError::VersionMismatch {
            ours: mine.oncoqual_version.clone(),
            theirs: theirs.oncoqual_version.clone(),
        });
    }
    if mine.chart_key != theirs.chart_key {
        return Err(TallyError::KeyMismatch {
            ours: mine.chart_key,
            theirs: theirs.chart_key,
        });
    }
    for (round, p) in &theirs.periods {
        if let Some(q) = mine.periods.get(round).filter(|q| *q != p) {
            return Err(TallyError::PeriodMismatch {
                round: *round,
                ours: *q,
                theirs: *p,
            });
        }
    }
    Ok(())
}

/// A tally under construction from one library's outcomes: measures are kept by their
/// index in the library, so folding a chart in neither looks up nor copies a measure id,
/// and digests are appended unsorted. [`TallyBuilder::finish`] names the measures, sorts
/// the digests and refuses a chart added twice or a round evaluated over two periods. Its
/// merge is as associative and commutative as [`Tally::merge`], and `finish` commutes with
/// merging.
#[derive(Default)]
pub(crate) struct TallyBuilder {
    rows: BTreeMap<(RoundId, PracticeId), BuilderRow>,
    periods: BTreeMap<RoundId, Period>,
    /// The first round seen over two periods.
    conflict: Option<(RoundId, Period, Period)>,
}

#[derive(Default)]
struct BuilderRow {
    digests: Vec<ChartDigest>,
    /// Per measure index.
    measures: BTreeMap<usize, MeasureTally>,
}

impl TallyBuilder {
    pub(crate) fn new() -> TallyBuilder {
        TallyBuilder::default()
    }

    fn period(&mut self, round: RoundId, period: Period) {
        match self.periods.entry(round) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(period);
            }
            std::collections::btree_map::Entry::Occupied(o) => {
                if *o.get() != period && self.conflict.is_none() {
                    self.conflict = Some((round, *o.get(), period));
                }
            }
        }
    }

    /// As [`Tally::add`], for a chart whose digest is `digest`.
    pub(crate) fn add(
        &mut self,
        library: &Library,
        chart: &Chart,
        digest: ChartDigest,
        period: Period,
        outcomes: &[Outcome],
    ) {
        self.period(chart.round, period);
        let key = (chart.round, chart.practice.clone());
        let row = self.rows.entry(key).or_default();
        row.digests.push(digest);
        for (info, o) in counted(library, outcomes) {
            let m = row.measures.entry(o.measure).or_default();
            m.add(info, o);
        }
    }

    /// Adds another builder (of the same library) into this one.
    #[cfg(feature = "parallel")]
    pub(crate) fn merge(&mut self, other: TallyBuilder) {
        for (round, p) in other.periods {
            self.period(round, p);
        }
        if self.conflict.is_none() {
            self.conflict = other.conflict;
        }
        for (key, row) in other.rows {
            let mine = self.rows.entry(key).or_default();
            mine.digests.extend(row.digests);
            for (i, m) in row.measures {
                match mine.measures.entry(i) {
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(m);
                    }
                    std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().merge(&m),
                }
            }
        }
    }

    /// The tally, measures named by their ids in `library` (the one the outcomes came from)
    /// and stamped with it and `key`.
    pub(crate) fn finish(self, library: &Library, key: &ChartKey) -> Result<Tally, TallyError> {
        if let Some((round, ours, theirs)) = self.conflict {
            return Err(TallyError::PeriodMismatch {
                round,
                ours,
                theirs,
            });
        }
        let mut tally = Tally::with_key(key.clone());
        if self.rows.is_empty() {
            return Ok(tally);
        }
        tally.stamp = Some(fresh_stamp(library, key.id(), self.periods));
        for ((round, practice), mut row) in self.rows {
            row.digests.sort_unstable();
            if row
                .digests
                .windows(2)
                .any(|w| matches!(w, [a, b] if a == b))
            {
                return Err(TallyError::DuplicateChart { round, practice });
            }
            let mut measures = BTreeMap::new();
            for (i, m) in row.measures {
                if let Some(info) = library.measure(i) {
                    measures.insert(info.id.clone(), m);
                }
            }
            tally.rows.insert(
                (round, practice),
                PracticeTally {
                    charts: row.digests.len() as u64,
                    measures,
                    digests: Digests(row.digests.into_iter().collect()),
                },
            );
        }
        Ok(tally)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    round: RoundId,
    practice: PracticeId,
    charts: u64,
    /// The digests of the row's charts, ascending, 32 hex digits each, concatenated.
    chart_digests: String,
    #[serde(default)]
    measures: BTreeMap<String, MeasureTally>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    /// Format marker, so a file of another kind is refused clearly.
    oncoqual_tally: u32,
    #[serde(default)]
    oncoqual_version: Option<String>,
    #[serde(default)]
    library: Option<LibraryFingerprint>,
    #[serde(default)]
    chart_key: Option<KeyId>,
    #[serde(default)]
    periods: BTreeMap<RoundId, Period>,
    #[serde(default)]
    selection: Option<Vec<String>>,
    rows: Vec<Row>,
}

/// A row as written: borrowed, its digests written as they are serialised.
#[derive(Serialize)]
struct RowOut<'a> {
    round: RoundId,
    practice: &'a PracticeId,
    charts: u64,
    chart_digests: HexDigests<'a>,
    measures: &'a BTreeMap<String, MeasureTally>,
}

/// Digests as one string of 32 hex digits each, written without building it.
struct HexDigests<'a>(&'a BTreeSet<ChartDigest>);

impl Serialize for HexDigests<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Joined<'a>(&'a BTreeSet<ChartDigest>);
        impl fmt::Display for Joined<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.iter().try_for_each(|d| write!(f, "{d}"))
            }
        }
        s.collect_str(&Joined(self.0))
    }
}

impl Serialize for Tally {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let stamp = self.stamp.as_ref();
        let rows: Vec<RowOut<'_>> = self
            .rows
            .iter()
            .map(|((round, practice), t)| RowOut {
                round: *round,
                practice,
                charts: t.charts,
                chart_digests: HexDigests(&t.digests.0),
                measures: &t.measures,
            })
            .collect();
        let mut w = s.serialize_struct("Tally", 7)?;
        w.serialize_field("oncoqual_tally", &TALLY_FORMAT)?;
        if let Some(st) = stamp {
            w.serialize_field("oncoqual_version", &st.oncoqual_version)?;
            w.serialize_field("library", &st.library)?;
            w.serialize_field("chart_key", &st.chart_key)?;
            w.serialize_field("periods", &st.periods)?;
            if let Some(ids) = &st.selection {
                w.serialize_field("selection", ids)?;
            }
        } else {
            w.serialize_field("periods", &BTreeMap::<RoundId, Period>::new())?;
        }
        w.serialize_field("rows", &rows)?;
        w.end()
    }
}

/// The digests of a row as written: ascending, each once, `charts` of them.
fn parse_digests(hex: &str, charts: u64) -> Result<BTreeSet<ChartDigest>, String> {
    let b = hex.as_bytes();
    if !b.len().is_multiple_of(32) || (b.len() / 32) as u64 != charts {
        return Err(format!(
            "`chart_digests` holds {} digits, not 32 for each of the row's {charts} charts",
            b.len()
        ));
    }
    let mut out = Vec::with_capacity(b.len() / 32);
    for chunk in b.chunks_exact(32) {
        let mut v = 0u128;
        for c in chunk {
            let d = crate::chart::digest::hex_val(*c)
                .ok_or_else(|| "`chart_digests` is not hexadecimal".to_owned())?;
            v = (v << 4) | u128::from(d);
        }
        out.push(ChartDigest::from_u128(v));
    }
    if out.windows(2).any(|w| matches!(w, [a, b] if a >= b)) {
        return Err(
            "`chart_digests` is not strictly ascending (a chart twice, or edited)".to_owned(),
        );
    }
    Ok(out.into_iter().collect())
}

impl<'de> Deserialize<'de> for Tally {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let wire = Wire::deserialize(d)?;
        if wire.oncoqual_tally != TALLY_FORMAT {
            return Err(D::Error::custom(format!(
                "tally format version {} is not supported (expected {TALLY_FORMAT}): tally the charts again with this oncoqual",
                wire.oncoqual_tally
            )));
        }
        let mut t = Tally::default();
        if wire.rows.is_empty() {
            return Ok(t);
        }
        let (Some(version), Some(library), Some(chart_key)) =
            (wire.oncoqual_version, wire.library, wire.chart_key)
        else {
            return Err(D::Error::custom(
                "a tally with rows needs its stamp: `oncoqual_version`, `library` and `chart_key`",
            ));
        };
        for row in wire.rows {
            if !wire.periods.contains_key(&row.round) {
                return Err(D::Error::custom(format!(
                    "round {} has rows but no reporting period in `periods`",
                    row.round
                )));
            }
            let digests = parse_digests(&row.chart_digests, row.charts).map_err(|m| {
                D::Error::custom(format!(
                    "practice `{}` in round {}: {m}",
                    row.practice.as_str(),
                    row.round
                ))
            })?;
            // Counts are checked as they are read, never clamped: a hand-edited or forged
            // row (NUMER over DENOM, counts past the row's charts) is refused naming it.
            for (measure, m) in &row.measures {
                m.check(row.charts).map_err(|rule| {
                    D::Error::custom(format!(
                        "practice `{}` in round {}, measure `{measure}`: inconsistent counts: {rule}",
                        row.practice.as_str(),
                        row.round
                    ))
                })?;
            }
            let key = (row.round, row.practice);
            if t.rows.contains_key(&key) {
                return Err(D::Error::custom(format!(
                    "practice `{}` in round {} has two rows",
                    key.1.as_str(),
                    key.0
                )));
            }
            t.rows.insert(
                key,
                PracticeTally {
                    charts: row.charts,
                    measures: row.measures,
                    digests: Digests(digests),
                },
            );
        }
        t.stamp = Some(TallyStamp {
            format: TALLY_FORMAT,
            oncoqual_version: version,
            library,
            chart_key,
            periods: wire.periods,
            selection: wire.selection,
        });
        t.normalise();
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(n: u64) -> Counts {
        Counts {
            ipp: n,
            denom: n,
            numer: n / 2,
            ..Counts::default()
        }
    }

    #[test]
    fn eligible_and_met_follow_the_rate_formula() {
        let c = Counts {
            ipp: 12,
            denom: 10,
            denex: 2,
            denexcep: 1,
            numer: 5,
            numex: 1,
        };
        assert_eq!(c.eligible(), 7);
        assert_eq!(c.met(), 4);
    }

    /// A stamped tally of one row (round 2026-1, practice `P1`, 3 charts) whose measure
    /// `core.x` has empty counts.
    fn stamped_three_charts() -> Tally {
        let mut t = Tally::default();
        let practice = PracticeId::new("P1").unwrap();
        let round = RoundId::new(2026, 1).unwrap();
        t.stamp = Some(TallyStamp {
            format: TALLY_FORMAT,
            oncoqual_version: "0.1.0".into(),
            library: LibraryFingerprint::parse("00112233445566778899aabbccddeeff").unwrap(),
            chart_key: KeyId::UNKEYED,
            periods: [(round, round.default_period())].into(),
            selection: None,
        });
        let row = t.rows.entry((round, practice)).or_default();
        row.charts = 3;
        row.digests = Digests((1..=3).map(ChartDigest::from_u128).collect());
        row.measures.entry("core.x".into()).or_default();
        t
    }

    /// A one-row tally (3 charts, measure `core.x`) as JSON, with `total` and one stratum.
    fn one_row(total: Counts, stratum: Counts) -> String {
        let mut t = stamped_three_charts();
        let m = t
            .rows
            .values_mut()
            .flat_map(|r| r.measures.get_mut("core.x"))
            .next()
            .unwrap();
        m.total = total;
        m.strata
            .0
            .entry("sex".into())
            .or_default()
            .insert("female".into(), stratum);
        serde_json::to_string(&t).unwrap()
    }

    #[test]
    fn a_forged_tally_is_refused_on_load_naming_the_row_and_the_rule() {
        let good = Counts {
            ipp: 3,
            denom: 3,
            denex: 1,
            denexcep: 0,
            numer: 2,
            numex: 1,
        };
        assert!(serde_json::from_str::<Tally>(&one_row(good, counts(2))).is_ok());
        let cases = [
            (
                Counts { numer: 3, ..good },
                "NUMER (3) exceeds DENOM − DENEX (2)",
            ),
            (
                Counts {
                    numer: 6,
                    denom: 3,
                    denex: 0,
                    ..good
                },
                "NUMER (6) exceeds DENOM − DENEX (3)",
            ),
            (
                Counts {
                    ipp: u64::MAX,
                    ..good
                },
                "IPP (18446744073709551615) exceeds charts (3)",
            ),
            (Counts { ipp: 2, ..good }, "DENOM (3) exceeds IPP (2)"),
            (Counts { denex: 4, ..good }, "DENEX (4) exceeds DENOM (3)"),
            (
                Counts {
                    denexcep: 1,
                    ..good
                },
                "DENEXCEP (1) exceeds DENOM − DENEX − NUMER (0)",
            ),
            (Counts { numex: 3, ..good }, "NUMEX (3) exceeds NUMER (2)"),
        ];
        for (total, rule) in cases {
            let err = serde_json::from_str::<Tally>(&one_row(total, counts(2)))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(
                    "practice `P1` in round 2026-1, measure `core.x`: inconsistent counts"
                ) && err.contains(rule),
                "{rule}: {err}"
            );
        }
        // Strata: each consistent, and together within the total.
        let err = serde_json::from_str::<Tally>(&one_row(
            good,
            Counts {
                numer: 9,
                ..counts(3)
            },
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("a stratum of `sex`: NUMER (9) exceeds"),
            "{err}"
        );
        let err = serde_json::from_str::<Tally>(&one_row(
            Counts {
                numer: 0,
                numex: 0,
                ..good
            },
            counts(2),
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("the strata of `sex` hold NUMER 1, more than the total's 0"),
            "{err}"
        );
    }

    #[test]
    fn a_tally_round_trips_through_json_and_refuses_another_version() {
        let mut t = stamped_three_charts();
        let m = t
            .rows
            .values_mut()
            .flat_map(|r| r.measures.get_mut("core.x"))
            .next()
            .unwrap();
        m.total = counts(3);
        m.strata
            .0
            .entry("sex".into())
            .or_default()
            .insert("female".into(), counts(2));
        let json = serde_json::to_string(&t).unwrap();
        let back: Tally = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        let other = json.replace("\"oncoqual_tally\":2", "\"oncoqual_tally\":9");
        let err = serde_json::from_str::<Tally>(&other).unwrap_err();
        assert!(err.to_string().contains("version 9"), "{err}");
        // A hand-edited count, a digest twice, a row without its period: refused.
        let edited = json.replace("\"charts\":3", "\"charts\":4");
        let err = serde_json::from_str::<Tally>(&edited).unwrap_err();
        assert!(err.to_string().contains("not 32 for each"), "{err}");
        let twice = json.replace(
            "00000000000000000000000000000002",
            "00000000000000000000000000000001",
        );
        let err = serde_json::from_str::<Tally>(&twice).unwrap_err();
        assert!(err.to_string().contains("strictly ascending"), "{err}");
        let no_period = json.replace("\"2026-1\":{\"start\"", "\"2026-2\":{\"start\"");
        let err = serde_json::from_str::<Tally>(&no_period).unwrap_err();
        assert!(err.to_string().contains("no reporting period"), "{err}");
    }
}

#[cfg(all(test, feature = "synth"))]
mod builder_tests {
    use super::*;
    use crate::RoundCalendar;
    use crate::synth::{self, SynthConfig};

    #[test]
    fn a_builder_split_into_shards_and_merged_in_any_order_finishes_as_the_tally_of_add() {
        let lib = Library::bundled().expect("the bundled library checks");
        let cal = RoundCalendar::new();
        let charts: Vec<(Chart, Vec<Outcome>)> = synth::generate(&SynthConfig::new(400, 7, 2, 5))
            .map(|c| {
                let o = lib.evaluate(&c, cal.period(c.round));
                (c, o)
            })
            .collect();
        let mut expected = Tally::new();
        let mut shards = [
            TallyBuilder::new(),
            TallyBuilder::new(),
            TallyBuilder::new(),
        ];
        let key = ChartKey::unkeyed();
        for (i, (c, o)) in charts.iter().enumerate() {
            let p = cal.period(c.round);
            expected.add(lib, c, p, o).unwrap();
            let d = key.digest(c.round, &c.practice, &c.id);
            shards[(i * 7) % 3].add(lib, c, d, p, o);
        }
        let [a, b, c] = shards;
        let mut merged = c;
        merged.merge(a);
        merged.merge(TallyBuilder::new());
        merged.merge(b);
        let got = merged.finish(lib, &key).unwrap();
        assert_eq!(got, expected);
        assert!(
            got.rows()
                .any(|(_, _, t)| t.measures.values().any(|m| !m.strata.is_empty()))
        );
    }
}
