//! Tallies: population counts per (round, practice, measure, stratum) and unique charts per
//! (round, practice), folded from per-chart outcomes. A commutative monoid: `merge` is
//! associative and commutative and `Tally::default()` is its identity, so shards (threads,
//! files, machines) combine in any order to the same result.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::chart::{Chart, PracticeId};
use crate::measure::{Library, MeasureInfo, Outcome, Population, Populations};
use crate::round::RoundId;

/// Counts of the six populations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// Adds one chart's populations.
    pub fn add(&mut self, p: Populations) {
        self.ipp += u64::from(p.contains(Population::InitialPopulation));
        self.denom += u64::from(p.contains(Population::Denominator));
        self.denex += u64::from(p.contains(Population::DenominatorExclusion));
        self.denexcep += u64::from(p.contains(Population::DenominatorException));
        self.numer += u64::from(p.contains(Population::Numerator));
        self.numex += u64::from(p.contains(Population::NumeratorExclusion));
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
}

/// One measure's counts for one (round, practice): overall and per stratum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureTally {
    /// All charts.
    pub total: Counts,
    /// Per stratifier, per stratum value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub strata: Strata,
}

/// Population counts per stratifier name, then per stratum value.
pub type Strata = BTreeMap<String, BTreeMap<String, Counts>>;

/// Adds every stratum of `from` into `into`.
pub(crate) fn merge_strata(into: &mut Strata, from: &Strata) {
    for (name, values) in from {
        let mine = into.entry(name.clone()).or_default();
        for (value, c) in values {
            mine.entry(value.clone()).or_default().merge(c);
        }
    }
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
            self.strata
                .entry(name.clone())
                .or_default()
                .entry(value.clone())
                .or_default()
                .add(o.populations);
        }
    }

    fn merge(&mut self, o: &MeasureTally) {
        self.total.merge(&o.total);
        merge_strata(&mut self.strata, &o.strata);
    }
}

/// One (round, practice): its unique charts and its measures' counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PracticeTally {
    /// Unique charts submitted (each chart counted once, whatever the measures).
    pub charts: u64,
    /// Per measure id.
    pub measures: BTreeMap<String, MeasureTally>,
}

impl PracticeTally {
    fn merge(&mut self, o: &PracticeTally) {
        self.charts = self.charts.saturating_add(o.charts);
        for (id, m) in &o.measures {
            self.measures.entry(id.clone()).or_default().merge(m);
        }
    }
}

/// Population counts for any number of (round, practice) pairs.
///
/// Shards must hold disjoint charts (the JSONL reader rejects a repeated chart id within an
/// input); the unique-chart count of a merge is then the sum of the shards'.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tally {
    rows: BTreeMap<(RoundId, PracticeId), PracticeTally>,
}

impl fmt::Debug for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tally")
            .field("rounds_x_practices", &self.rows.len())
            .finish()
    }
}

impl Tally {
    /// An empty tally (the identity of `merge`).
    pub fn new() -> Tally {
        Tally::default()
    }

    /// Folds one chart's outcomes (from `library`) into the tally. Measures whose initial
    /// population the chart is not in add nothing but the chart itself.
    pub fn add(&mut self, library: &Library, chart: &Chart, outcomes: &[Outcome]) {
        let row = self
            .rows
            .entry((chart.round, chart.practice.clone()))
            .or_default();
        row.charts += 1;
        for (info, o) in counted(library, outcomes) {
            let m = match row.measures.get_mut(info.id.as_str()) {
                Some(m) => m,
                None => row.measures.entry(info.id.clone()).or_default(),
            };
            m.add(info, o);
        }
    }

    /// Adds another tally into this one.
    pub fn merge(&mut self, other: &Tally) {
        for (key, row) in &other.rows {
            self.rows.entry(key.clone()).or_default().merge(row);
        }
    }

    /// Combines two tallies.
    pub fn merged(mut self, other: &Tally) -> Tally {
        self.merge(other);
        self
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

    /// Whether the tally holds no chart.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Drops counts that are all zero (never produced by `add`; may come from a file).
    fn normalise(&mut self) {
        for row in self.rows.values_mut() {
            for m in row.measures.values_mut() {
                for values in m.strata.values_mut() {
                    values.retain(|_, c| !c.is_zero());
                }
                m.strata.retain(|_, v| !v.is_empty());
            }
            row.measures
                .retain(|_, m| !(m.total.is_zero() && m.strata.is_empty()));
        }
    }
}

/// A tally under construction from one library's outcomes: measures are kept by their
/// index in the library, so folding a chart in neither looks up nor copies a measure id.
/// [`TallyBuilder::finish`] names them. Its merge is as associative and commutative as
/// [`Tally::merge`], and `finish` commutes with merging.
#[derive(Default)]
pub(crate) struct TallyBuilder {
    rows: BTreeMap<(RoundId, PracticeId), BuilderRow>,
}

#[derive(Default)]
struct BuilderRow {
    charts: u64,
    /// Per measure index.
    measures: BTreeMap<usize, MeasureTally>,
}

impl TallyBuilder {
    pub(crate) fn new() -> TallyBuilder {
        TallyBuilder::default()
    }

    /// As [`Tally::add`].
    pub(crate) fn add(&mut self, library: &Library, chart: &Chart, outcomes: &[Outcome]) {
        let key = (chart.round, chart.practice.clone());
        let row = self.rows.entry(key).or_default();
        row.charts += 1;
        for (info, o) in counted(library, outcomes) {
            let m = row.measures.entry(o.measure).or_default();
            m.add(info, o);
        }
    }

    /// Adds another builder (of the same library) into this one.
    pub(crate) fn merge(&mut self, other: TallyBuilder) {
        for (key, row) in other.rows {
            let mine = self.rows.entry(key).or_default();
            mine.charts = mine.charts.saturating_add(row.charts);
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

    /// The tally, measures named by their ids in `library` (the one the outcomes came from).
    pub(crate) fn finish(self, library: &Library) -> Tally {
        let mut tally = Tally::default();
        for (key, row) in self.rows {
            let mut measures = BTreeMap::new();
            for (i, m) in row.measures {
                if let Some(info) = library.measure(i) {
                    measures.insert(info.id.clone(), m);
                }
            }
            tally.rows.insert(
                key,
                PracticeTally {
                    charts: row.charts,
                    measures,
                },
            );
        }
        tally
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    round: RoundId,
    practice: PracticeId,
    #[serde(flatten)]
    tally: PracticeTally,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    /// Format marker, so a file of another kind is refused clearly.
    oncoqual_tally: u32,
    rows: Vec<Row>,
}

const WIRE_VERSION: u32 = 1;

impl Serialize for Tally {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let rows = self
            .rows
            .iter()
            .map(|((round, practice), t)| Row {
                round: *round,
                practice: practice.clone(),
                tally: t.clone(),
            })
            .collect();
        Wire {
            oncoqual_tally: WIRE_VERSION,
            rows,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Tally {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(d)?;
        if wire.oncoqual_tally != WIRE_VERSION {
            return Err(serde::de::Error::custom(format!(
                "tally format version {} is not supported (expected {WIRE_VERSION})",
                wire.oncoqual_tally
            )));
        }
        let mut t = Tally::default();
        for row in wire.rows {
            t.rows
                .entry((row.round, row.practice))
                .or_default()
                .merge(&row.tally);
        }
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

    #[test]
    fn a_tally_round_trips_through_json_and_refuses_another_version() {
        let mut t = Tally::default();
        let practice = PracticeId::new("P1").unwrap();
        let round = RoundId::new(2026, 1).unwrap();
        let row = t.rows.entry((round, practice)).or_default();
        row.charts = 3;
        let m = row.measures.entry("core.x".into()).or_default();
        m.total = counts(4);
        m.strata
            .entry("sex".into())
            .or_default()
            .insert("female".into(), counts(2));
        let json = serde_json::to_string(&t).unwrap();
        let back: Tally = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        let other = json.replace("\"oncoqual_tally\":1", "\"oncoqual_tally\":9");
        let err = serde_json::from_str::<Tally>(&other).unwrap_err();
        assert!(err.to_string().contains("version 9"), "{err}");
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
        for (i, (c, o)) in charts.iter().enumerate() {
            expected.add(lib, c, o);
            shards[(i * 7) % 3].add(lib, c, o);
        }
        let [a, b, c] = shards;
        let mut merged = c;
        merged.merge(a);
        merged.merge(TallyBuilder::new());
        merged.merge(b);
        let got = merged.finish(lib);
        assert_eq!(got, expected);
        assert!(
            got.rows()
                .any(|(_, _, t)| t.measures.values().any(|m| !m.strata.is_empty()))
        );
    }
}
