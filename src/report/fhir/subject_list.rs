//! Subject-list `MeasureReport`s: per (reporting period, measure), the population counts of
//! a set of evaluated charts, each non-empty population pointing (`subjectResults`) at a
//! FHIR `List` of the charts in it. They name charts: written only on request.
//!
//! Stratifiers carry their counts per stratum (no lists: the population lists already name
//! every chart). A `List` holds references by identifier (`urn:oncoqual:chart`), sorted by
//! chart id, so the output does not depend on the order charts were added in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    CHART_SYSTEM, Group, GroupPopulation, Identifier, MeasureReport, Reference, Stratifier,
    Stratum, canonical, improvement, logical_id, period_of, populations, score, text,
};
use crate::chart::{ChartId, Date};
use crate::measure::{Library, Outcome, Population};
use crate::round::Period as ReportingPeriod;

/// A literal `Reference` (`List/<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LiteralReference {
    /// `<ResourceType>/<id>`.
    pub reference: String,
}

/// A FHIR R4 `List` of charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct List {
    /// Always `List`.
    pub resource_type: String,
    /// Logical id.
    pub id: String,
    /// `current`.
    pub status: String,
    /// `snapshot`.
    pub mode: String,
    /// What the list holds.
    pub title: String,
    /// The charts, sorted by id.
    pub entry: Vec<ListEntry>,
}

/// `List.entry`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ListEntry {
    /// The chart (a `Patient` by identifier).
    pub item: Reference,
}

#[derive(Debug, Default)]
struct Tally {
    /// Per population (in [`Population::ALL`] order), the charts in it.
    members: [Vec<String>; 6],
    /// Per (stratifier, value), the count per population.
    strata: BTreeMap<(usize, String), [u64; 6]>,
}

/// Outcomes gathered for subject-list reports: add each chart's outcomes, then take the
/// reports and their lists.
///
/// ```
/// use oncoqual::Library;
/// use oncoqual::chart::Chart;
/// use oncoqual::report::fhir::SubjectLists;
/// let lib = Library::bundled().unwrap();
/// let chart = Chart::from_json(r#"{"id":"c1","practice":"p1","round":"2026-1"}"#).unwrap();
/// let period = oncoqual::RoundCalendar::new().period(chart.round);
/// let mut lists = SubjectLists::new();
/// lists.add(&chart.id, &lib.evaluate(&chart, period), period);
/// let (reports, _lists) = lists.reports(lib, None);
/// assert_eq!(reports.len(), lib.measures().len());
/// assert_eq!(reports[0].kind, "subject-list");
/// ```
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct SubjectLists {
    by: BTreeMap<(Date, Date, usize), Tally>,
    periods: BTreeMap<(Date, Date), ReportingPeriod>,
}

fn slot(p: Population) -> usize {
    Population::ALL.iter().position(|q| *q == p).unwrap_or(0)
}

impl SubjectLists {
    /// Nothing gathered yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds chart `chart`'s outcomes for `period` (one per measure evaluated). A chart
    /// added twice is listed twice: add each chart once.
    pub fn add(&mut self, chart: &ChartId, outcomes: &[Outcome], period: ReportingPeriod) {
        let key = (period.start, period.end);
        self.periods.entry(key).or_insert(period);
        for o in outcomes {
            let t = self.by.entry((key.0, key.1, o.measure)).or_default();
            let mut counts = [0u64; 6];
            for p in o.populations.iter() {
                let i = slot(p);
                if let Some(m) = t.members.get_mut(i) {
                    m.push(chart.as_str().to_owned());
                }
                if let Some(c) = counts.get_mut(i) {
                    *c = 1;
                }
            }
            for (s, value) in o.strata.iter().enumerate() {
                if let Some(v) = value {
                    let at = t.strata.entry((s, v.clone())).or_insert([0; 6]);
                    for (a, c) in at.iter_mut().zip(counts) {
                        *a = a.saturating_add(c);
                    }
                }
            }
        }
    }

    /// The subject-list reports, one per (period, measure) in period then library order,
    /// and the lists they point at (sorted by id). `date` is each report's `date`.
    pub fn reports(&self, lib: &Library, date: Option<Date>) -> (Vec<MeasureReport>, Vec<List>) {
        let mut reports = Vec::new();
        let mut lists = Vec::new();
        for ((start, end, measure), t) in &self.by {
            let (Some(info), Some(period)) =
                (lib.measure(*measure), self.periods.get(&(*start, *end)))
            else {
                continue;
            };
            let id = logical_id(&[
                "subject-list",
                &start.to_string(),
                &end.to_string(),
                &info.id,
            ]);
            let count = |p: Population| {
                t.members
                    .get(slot(p))
                    .map_or(0, |m| u64::try_from(m.len()).unwrap_or(u64::MAX))
            };
            let mut group_populations: Vec<GroupPopulation> = populations(count);
            for (p, gp) in Population::ALL
                .into_iter()
                .zip(group_populations.iter_mut())
            {
                let Some(members) = t.members.get(slot(p)).filter(|m| !m.is_empty()) else {
                    continue;
                };
                let code = p.code();
                let list_id = logical_id(&[&id, code]);
                let mut charts = members.clone();
                charts.sort_unstable();
                lists.push(List {
                    resource_type: "List".to_owned(),
                    id: list_id.clone(),
                    status: "current".to_owned(),
                    mode: "snapshot".to_owned(),
                    title: format!("{code} of {} ({start}..{end})", info.id),
                    entry: charts
                        .into_iter()
                        .map(|c| ListEntry {
                            item: Reference {
                                kind: "Patient".to_owned(),
                                identifier: Identifier {
                                    system: CHART_SYSTEM.to_owned(),
                                    value: c,
                                },
                                display: None,
                            },
                        })
                        .collect(),
                });
                gp.subject_results = Some(LiteralReference {
                    reference: format!("List/{list_id}"),
                });
            }
            let net = |c: &dyn Fn(Population) -> u64| {
                let denom = c(Population::Denominator)
                    .saturating_sub(c(Population::DenominatorExclusion))
                    .saturating_sub(c(Population::DenominatorException));
                let numer =
                    c(Population::Numerator).saturating_sub(c(Population::NumeratorExclusion));
                score(numer, denom)
            };
            let mut stratifier: Vec<Stratifier> = Vec::new();
            for ((s, value), counts) in &t.strata {
                let Some(name) = info.stratifiers.get(*s) else {
                    continue;
                };
                let c = |p: Population| counts.get(slot(p)).copied().unwrap_or(0);
                let stratum = Stratum {
                    value: text(value),
                    population: populations(c),
                    measure_score: net(&c),
                };
                match stratifier
                    .iter_mut()
                    .find(|st| st.code.first().and_then(|cc| cc.text.as_deref()) == Some(name))
                {
                    Some(st) => st.stratum.push(stratum),
                    None => stratifier.push(Stratifier {
                        code: vec![text(name)],
                        stratum: vec![stratum],
                    }),
                }
            }
            reports.push(MeasureReport {
                resource_type: "MeasureReport".to_owned(),
                id,
                status: "complete".to_owned(),
                kind: "subject-list".to_owned(),
                measure: canonical(&info.id, Some(&info.version)),
                subject: None,
                date: date.map(|d| d.to_string()),
                reporter: None,
                period: period_of(*period),
                improvement_notation: Some(improvement(info.direction)),
                group: vec![Group {
                    population: group_populations,
                    measure_score: net(&count),
                    stratifier,
                }],
            });
        }
        lists.sort_by(|a, b| a.id.cmp(&b.id));
        (reports, lists)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Populations;

    fn outcome(measure: usize, pops: Populations) -> Outcome {
        let mut o = Outcome::new(measure, std::sync::Arc::from("m"));
        o.populations = pops;
        o
    }

    #[test]
    fn lists_name_the_charts_of_each_population_sorted_and_counts_agree() {
        let lib = Library::bundled().unwrap();
        let period = crate::RoundCalendar::new().period("2026-1".parse().unwrap());
        let both = Populations::from_criteria(true, true, false, false, true, false);
        let ipp_only = Populations::from_criteria(true, true, false, false, false, false);
        let mut s = SubjectLists::new();
        s.add(&ChartId::new("c2").unwrap(), &[outcome(0, both)], period);
        s.add(
            &ChartId::new("c1").unwrap(),
            &[outcome(0, ipp_only)],
            period,
        );
        s.add(
            &ChartId::new("c3").unwrap(),
            &[outcome(0, Populations::NONE)],
            period,
        );
        let (reports, lists) = s.reports(lib, None);
        assert_eq!(reports.len(), 1);
        let r = &reports[0];
        assert_eq!(r.kind, "subject-list");
        let pops = &r.group[0].population;
        assert_eq!(pops[0].count, 2);
        assert_eq!(pops[4].count, 1);
        assert_eq!(pops[2].count, 0);
        assert_eq!(
            pops[2].subject_results, None,
            "no list for an empty population"
        );
        assert_eq!(
            r.group[0].measure_score.as_ref().map(|q| q.value),
            Some(0.5)
        );
        let ipp = pops[0].subject_results.as_ref().unwrap();
        let list = lists
            .iter()
            .find(|l| format!("List/{}", l.id) == ipp.reference)
            .unwrap();
        let charts: Vec<&str> = list
            .entry
            .iter()
            .map(|e| e.item.identifier.value.as_str())
            .collect();
        assert_eq!(charts, ["c1", "c2"]);
        assert_eq!(lists.len(), 3, "IPP, DENOM and NUMER");
    }
}
