//! The report as renderers read it: the benchmark report, indexed by practice and by
//! (round, measure), with measure metadata, the round calendar and eligibility beside it.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use crate::benchmark::{
    NationalMeasure, Oqs, PracticeRate, PracticeStatus, Report, Trend, percentile_rank_sorted,
    quantile_type7,
};
use crate::certification::{EligibilityRules, Eligible, Ineligible};
use crate::chart::{Date, PracticeId};
use crate::measure::{Direction, Library, MeasureInfo, Scoring};
use crate::round::{Period, RoundCalendar, RoundId};

/// The fewest practices in a national distribution for the report shown to one practice
/// to state it (pooled rate, mean, median, percentiles, and the practice's percentile rank
/// in it): with fewer, a percentile or the pooled rate could be read back as another
/// practice's rate. The same rule holds for the national Overall Quality Score
/// distribution.
pub const MIN_PRACTICES_SHOWN: u64 = 5;

/// A measure a practice may focus on: its rate in the report's latest round falls short of
/// the national median, `gap` being the shortfall in the measure's direction (median −
/// rate when a higher rate is better, rate − median when lower is better), always
/// positive.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Focus<'v> {
    /// The measure id.
    pub measure: &'v str,
    /// Its title (the id when the view has no library entry for it).
    pub title: &'v str,
    /// Its direction.
    pub direction: Direction,
    /// The practice's rate.
    pub rate: Decimal,
    /// The national median of practice rates.
    pub median: Decimal,
    /// How far the rate falls short of the median, in the measure's direction (> 0).
    pub gap: Decimal,
}

/// A practice's certification eligibility on a date.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EligibilityStatus {
    /// The application date it was assessed for.
    pub on: Date,
    /// Eligible, or every reason it is not.
    pub result: Result<Eligible, Vec<Ineligible>>,
}

impl EligibilityStatus {
    /// The status of an assessment made for an application on `on`.
    pub fn new(on: Date, result: Result<Eligible, Vec<Ineligible>>) -> Self {
        EligibilityStatus { on, result }
    }
}

/// One measure of one practice across the report's rounds.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MeasureRow<'v> {
    /// The measure id.
    pub measure: &'v str,
    /// Its title (the id when the view has no library entry for it).
    pub title: &'v str,
    /// Its direction.
    pub direction: Direction,
    /// Whether it is informational (reported, never scored).
    pub informational: bool,
    /// The practice's rate per round with data, oldest first, each with the round's
    /// national aggregate.
    pub rounds: Vec<(&'v PracticeRate, Option<&'v NationalMeasure>)>,
    /// The latest trend (change since the previous round with a rate), if any.
    pub trend: Option<&'v Trend>,
}

impl<'v> MeasureRow<'v> {
    /// The latest round's rate and national aggregate.
    pub fn latest(&self) -> Option<(&'v PracticeRate, Option<&'v NationalMeasure>)> {
        self.rounds.last().copied()
    }
}

/// A benchmark report with what renderers need beside it.
#[derive(Debug, Clone)]
pub struct ReportView<'a> {
    report: &'a Report,
    measures: BTreeMap<String, MeasureInfo>,
    calendar: RoundCalendar,
    eligibility: BTreeMap<PracticeId, EligibilityStatus>,
    rules: Option<EligibilityRules>,
    rates_by_practice: BTreeMap<&'a PracticeId, Vec<usize>>,
    national: BTreeMap<(RoundId, &'a str), usize>,
    latest_trend: BTreeMap<(&'a PracticeId, &'a str), usize>,
}

impl<'a> ReportView<'a> {
    /// A view of `report` with the default round calendar, no measure titles and no
    /// eligibility.
    pub fn new(report: &'a Report) -> Self {
        let mut rates_by_practice: BTreeMap<&PracticeId, Vec<usize>> = BTreeMap::new();
        for (i, r) in report.rates.iter().enumerate() {
            rates_by_practice.entry(&r.practice).or_default().push(i);
        }
        let national = report
            .national
            .iter()
            .enumerate()
            .map(|(i, n)| ((n.round, n.measure.as_str()), i))
            .collect();
        let mut latest_trend: BTreeMap<(&PracticeId, &str), usize> = BTreeMap::new();
        for (i, t) in report.trends.iter().enumerate() {
            let slot = latest_trend
                .entry((&t.practice, t.measure.as_str()))
                .or_insert(i);
            if report.trends.get(*slot).is_some_and(|s| s.to < t.to) {
                *slot = i;
            }
        }
        ReportView {
            report,
            latest_trend,
            measures: BTreeMap::new(),
            calendar: RoundCalendar::new(),
            eligibility: BTreeMap::new(),
            rules: None,
            rates_by_practice,
            national,
        }
    }

    /// Takes measure titles, directions and versions from `library`.
    pub fn with_library(mut self, library: &Library) -> Self {
        self.measures = library
            .measures()
            .map(|m| (m.id.clone(), m.clone()))
            .collect();
        self
    }

    /// Takes reporting periods from `calendar` instead of the default halves of the year.
    pub fn with_calendar(mut self, calendar: RoundCalendar) -> Self {
        self.calendar = calendar;
        self
    }

    /// Records a practice's certification eligibility.
    pub fn with_eligibility(mut self, practice: PracticeId, status: EligibilityStatus) -> Self {
        self.eligibility.insert(practice, status);
        self
    }

    /// Takes the certification rules (the Overall Quality Score threshold among them) that
    /// the pages state; without them no threshold is drawn.
    pub fn with_rules(mut self, rules: &EligibilityRules) -> Self {
        self.rules = Some(rules.clone());
        self
    }

    /// The certification rules the view states, when given.
    pub fn rules(&self) -> Option<&EligibilityRules> {
        self.rules.as_ref()
    }

    /// The Overall Quality Score threshold of the view's rules, when given.
    pub fn oqs_threshold(&self) -> Option<Decimal> {
        self.rules.as_ref().map(|r| r.oqs_threshold)
    }

    /// The report.
    pub fn report(&self) -> &'a Report {
        self.report
    }

    /// The reporting period of a round.
    pub fn period(&self, round: RoundId) -> Period {
        self.calendar.period(round)
    }

    /// The library entry of a measure, when the view has one.
    pub fn measure_info(&self, id: &str) -> Option<&MeasureInfo> {
        self.measures.get(id)
    }

    /// A measure's title, or its id.
    pub fn title<'s>(&'s self, id: &'s str) -> &'s str {
        self.measures.get(id).map_or(id, |m| m.title.as_str())
    }

    /// The latest round of the report.
    pub fn latest_round(&self) -> Option<RoundId> {
        self.report.rounds.last().copied()
    }

    /// Every practice of the report (with charts or registered), sorted by id.
    pub fn practices(&self) -> Vec<&'a PracticeId> {
        let mut all: BTreeSet<&PracticeId> = self
            .report
            .participation
            .iter()
            .map(|p| &p.practice)
            .collect();
        all.extend(self.report.practices.iter().map(|p| &p.practice));
        all.into_iter().collect()
    }

    /// The registration of a practice, when the report has one.
    pub fn registration(&self, practice: &PracticeId) -> Option<&'a PracticeStatus> {
        self.report
            .practices
            .iter()
            .find(|p| p.practice == *practice)
    }

    /// A practice's eligibility, when assessed.
    pub fn eligibility(&self, practice: &PracticeId) -> Option<&EligibilityStatus> {
        self.eligibility.get(practice)
    }

    /// Every assessed practice's eligibility.
    pub fn eligibilities(&self) -> impl Iterator<Item = (&PracticeId, &EligibilityStatus)> {
        self.eligibility.iter()
    }

    /// The eligibility summary: (assessed, eligible, practices per reason code such as
    /// `no_webinar`), reasons sorted by code.
    pub fn eligibility_summary(&self) -> (usize, usize, BTreeMap<String, usize>) {
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        // Counts of the practices assessed: bounded by the map's length.
        let mut eligible: usize = 0;
        for status in self.eligibility.values() {
            match &status.result {
                Ok(_) => eligible = eligible.saturating_add(1),
                Err(why) => {
                    for w in why {
                        let n = reasons.entry(w.code().to_owned()).or_default();
                        *n = n.saturating_add(1);
                    }
                }
            }
        }
        (self.eligibility.len(), eligible, reasons)
    }

    /// A practice's Overall Quality Scores, oldest round first.
    pub fn scores(&self, practice: &PracticeId) -> Vec<&'a Oqs> {
        let mut v: Vec<&Oqs> = self
            .report
            .overall_quality_scores
            .iter()
            .filter(|o| o.practice == *practice)
            .collect();
        v.sort_by_key(|o| o.round);
        v
    }

    /// Unique charts a practice submitted in a round.
    pub fn charts(&self, round: RoundId, practice: &PracticeId) -> u64 {
        self.report
            .participation
            .iter()
            .find(|p| p.round == round && p.practice == *practice)
            .map_or(0, |p| p.charts)
    }

    /// The national aggregate of a measure in a round.
    pub fn national(&self, round: RoundId, measure: &str) -> Option<&'a NationalMeasure> {
        self.national
            .get(&(round, measure))
            .and_then(|&i| self.report.national.get(i))
    }

    /// A measure's module: the library's, else the id's prefix before its first `.` (the
    /// whole id without one).
    pub fn module<'s>(&'s self, measure: &'s str) -> &'s str {
        match self.measures.get(measure) {
            Some(m) if !m.module.is_empty() => m.module.as_str(),
            _ => measure.split('.').next().unwrap_or(measure),
        }
    }

    /// Whether the national distribution `n` has enough practices to be shown to a single
    /// practice ([`MIN_PRACTICES_SHOWN`]).
    pub fn shown_to_practice(n: &NationalMeasure) -> bool {
        n.practices_in_distribution >= MIN_PRACTICES_SHOWN
    }

    /// The Overall Quality Scores of every practice scored in `round`, sorted.
    pub fn national_scores(&self, round: RoundId) -> Vec<Decimal> {
        let mut v: Vec<Decimal> = self
            .report
            .overall_quality_scores
            .iter()
            .filter(|o| o.round == round)
            .filter_map(|o| o.score)
            .collect();
        v.sort();
        v
    }

    /// The percentiles of the report's options (`(fraction, value)`, in the options'
    /// order) of a sorted list of scores, each `None` without scores.
    pub fn score_percentiles(&self, sorted: &[Decimal]) -> Vec<(Decimal, Option<Decimal>)> {
        self.report
            .options
            .percentiles
            .iter()
            .map(|p| (*p, quantile_type7(sorted, *p)))
            .collect()
    }

    /// The percentile rank of a score among the sorted national scores of its round
    /// (higher is better), as rates are ranked.
    pub fn score_rank(sorted: &[Decimal], score: Decimal) -> Option<Decimal> {
        percentile_rank_sorted(sorted, score, true)
    }

    /// The measures a practice may focus on: every scored (not informational) measure
    /// whose unsuppressed rate in the report's latest round falls short of that round's
    /// national median, where the distribution is shown to a practice
    /// ([`MIN_PRACTICES_SHOWN`]); the largest shortfall first (ties by measure id).
    pub fn focus(&self, practice: &PracticeId) -> Vec<Focus<'_>> {
        let Some(latest) = self.latest_round() else {
            return Vec::new();
        };
        let mut out: Vec<Focus<'_>> = Vec::new();
        for r in self.rates(practice).filter(|r| r.round == latest) {
            let measure = r.measure.as_str();
            if r.suppressed
                || self
                    .measures
                    .get(measure)
                    .is_some_and(|m| m.scoring == Scoring::Informational)
            {
                continue;
            }
            let Some(n) = self.national(latest, measure) else {
                continue;
            };
            let (Some(rate), Some(median)) = (r.rate, n.median) else {
                continue;
            };
            if !Self::shown_to_practice(n) {
                continue;
            }
            let direction = self.direction(measure);
            let gap = match direction {
                Direction::HigherIsBetter => median.checked_sub(rate),
                Direction::LowerIsBetter => rate.checked_sub(median),
            };
            if let Some(gap) = gap.filter(|g| *g > Decimal::ZERO) {
                out.push(Focus {
                    measure,
                    title: self.title(measure),
                    direction,
                    rate,
                    median,
                    gap,
                });
            }
        }
        out.sort_by(|a, b| b.gap.cmp(&a.gap).then_with(|| a.measure.cmp(b.measure)));
        out
    }

    /// A measure's direction: the library's, else the report's national entry's.
    pub fn direction(&self, measure: &str) -> Direction {
        self.measures
            .get(measure)
            .map(|m| m.direction)
            .or_else(|| {
                self.report
                    .national
                    .iter()
                    .find(|n| n.measure == measure)
                    .map(|n| n.direction)
            })
            .unwrap_or(Direction::HigherIsBetter)
    }

    /// Every rate of a practice, in report order (round, then measure).
    pub fn rates(&self, practice: &PracticeId) -> impl Iterator<Item = &'a PracticeRate> + '_ {
        self.rates_by_practice
            .get(practice)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.report.rates.get(i))
    }

    /// A practice's measures, sorted by id, each with its rounds and latest trend.
    pub fn measure_rows(&self, practice: &PracticeId) -> Vec<MeasureRow<'_>> {
        let mut by_measure: BTreeMap<&str, Vec<&PracticeRate>> = BTreeMap::new();
        for r in self.rates(practice) {
            by_measure.entry(r.measure.as_str()).or_default().push(r);
        }
        by_measure
            .into_iter()
            .map(|(measure, mut rates)| {
                rates.sort_by_key(|r| r.round);
                let trend = self
                    .latest_trend
                    .get(&(practice, measure))
                    .and_then(|&i| self.report.trends.get(i));
                MeasureRow {
                    measure,
                    title: self.title(measure),
                    direction: self.direction(measure),
                    informational: self
                        .measures
                        .get(measure)
                        .is_some_and(|m| m.scoring == Scoring::Informational),
                    rounds: rates
                        .into_iter()
                        .map(|r| (r, self.national(r.round, measure)))
                        .collect(),
                    trend,
                }
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The ids of the hand-built report's practices.
    pub(crate) const PRACTICES: [&str; 6] = [
        "zz-alpha",
        "zz-bravo",
        "zz-charlie",
        "zz-delta",
        "zz-echo",
        "zz-foxtrot",
    ];

    fn rate(practice: &str, measure: &str, rate: &str, rank: Option<&str>) -> Value {
        json!({
            "round": "2026-1", "practice": practice, "measure": measure,
            "counts": {"IPP": 20, "DENOM": 20, "DENEX": 0, "DENEXCEP": 0, "NUMER": 10, "NUMEX": 0},
            "met": 10, "eligible": 20, "rate": rate, "interval": null,
            "suppressed": false, "percentile_rank": rank
        })
    }

    fn national(measure: &str, direction: &str, n: u64, pooled: &str, median: &str) -> Value {
        json!({
            "round": "2026-1", "measure": measure, "direction": direction,
            "practices": n, "practices_in_distribution": n, "charts": 20 * n,
            "counts": {"IPP": 0, "DENOM": 0, "DENEX": 0, "DENEXCEP": 0, "NUMER": 0, "NUMEX": 0},
            "pooled_rate": pooled, "mean": median, "median": median,
            "method": "hyndman_fan_type_7",
            "percentiles": [["0.10", "0.11"], ["0.25", "0.22"], ["0.50", median], ["0.90", "0.99"]]
        })
    }

    /// A hand-built report of one round: six practices, `zz-alpha` with
    ///
    /// - `core.a` (higher is better, 6 practices, median 0.80): rate 0.50, 30 points short;
    /// - `core.b` (lower is better, 6 practices, median 0.20): rate 0.40, 20 points short;
    /// - `core.c` (lower is better, 6 practices, median 0.20): rate 0.05, better;
    /// - `core.d` (higher is better, 6 practices, median 0.70): rate 0.95, better;
    /// - `core.e` (higher is better, only 3 practices, median 0.4242, pooled 0.5151): rate
    ///   0.10, but the distribution is too small to show;
    ///
    /// the other practices with distinct rates above the median (0.8181, 0.8282, …) on
    /// `core.a`, and Overall
    /// Quality Scores 0.70 (alpha), 0.60, 0.80, 0.85, 0.90, 0.95.
    pub(crate) fn hand_report() -> Report {
        let mut rates = vec![
            rate("zz-alpha", "core.a", "0.5", Some("10")),
            rate("zz-alpha", "core.b", "0.4", Some("20")),
            rate("zz-alpha", "core.c", "0.05", Some("90")),
            rate("zz-alpha", "core.d", "0.95", Some("95")),
            rate("zz-alpha", "core.e", "0.1", Some("17")),
        ];
        for (k, p) in PRACTICES.iter().enumerate().skip(1) {
            rates.push(rate(p, "core.a", &format!("0.8{k}8{k}"), Some("50")));
        }
        let scores = ["0.7", "0.6", "0.8", "0.85", "0.9", "0.95"];
        let oqs: Vec<Value> = PRACTICES
            .iter()
            .zip(scores)
            .map(|(p, s)| {
                json!({
                    "round": "2026-1", "practice": p, "track": "qcp", "method": "pooled",
                    "met": 10, "eligible": 20, "measures": 4, "charts": 40, "score": s
                })
            })
            .collect();
        let participation: Vec<Value> = PRACTICES
            .iter()
            .map(|p| json!({"round": "2026-1", "practice": p, "charts": 40}))
            .collect();
        serde_json::from_value(json!({
            "oncoqual_report": 2, "issued_on": "2026-09-15", "final_report": true,
            "options": {
                "confidence_level": 0.95, "interval_method": "wilson_score", "min_denominator": 10,
                "percentiles": ["0.10", "0.25", "0.50", "0.90"],
                "quantile_method": "hyndman_fan_type_7", "percentile_rank_method": "mean_rank",
                "oqs_track": "qcp", "oqs_method": "pooled",
                "trend_test": "two_proportion_z_pooled_two_sided", "alpha": 0.05
            },
            "computed_with": null,
            "registration": {"checked": false, "policy": "strict", "exclusions": []},
            "rounds": ["2026-1"],
            "participation": participation,
            "rates": rates,
            "national": [
                national("core.a", "higher_is_better", 6, "0.6", "0.8"),
                national("core.b", "lower_is_better", 6, "0.3", "0.2"),
                national("core.c", "lower_is_better", 6, "0.3", "0.2"),
                national("core.d", "higher_is_better", 6, "0.6", "0.7"),
                national("core.e", "higher_is_better", 3, "0.5151", "0.4242"),
            ],
            "overall_quality_scores": oqs,
            "trends": []
        }))
        .expect("a hand-built report")
    }

    fn id(s: &str) -> PracticeId {
        PracticeId::new(s).expect("a practice id")
    }

    #[test]
    fn focus_lists_shortfalls_from_the_median_in_each_measures_direction_largest_first() {
        let report = hand_report();
        let view = ReportView::new(&report);
        let focus = view.focus(&id("zz-alpha"));
        let got: Vec<(&str, Decimal)> = focus.iter().map(|f| (f.measure, f.gap)).collect();
        // core.b is lower-is-better: 0.40 against a median of 0.20 is 20 points short,
        // although the rate is above the median; core.c (0.05, lower is better) and core.d
        // (0.95, higher is better) beat the median; core.e's distribution has 3 practices.
        assert_eq!(
            got,
            [
                ("core.a", Decimal::new(3, 1)),
                ("core.b", Decimal::new(2, 1))
            ]
        );
        assert_eq!(focus[1].direction, Direction::LowerIsBetter);
        assert_eq!(focus[1].rate, Decimal::new(4, 1));
        assert_eq!(focus[1].median, Decimal::new(2, 1));
        // A practice at or above every median has nothing to focus on.
        assert!(view.focus(&id("zz-bravo")).is_empty());
    }

    #[test]
    fn a_distribution_of_fewer_than_five_practices_is_not_shown_to_a_practice() {
        let report = hand_report();
        let view = ReportView::new(&report);
        let round = report.rounds[0];
        let e = view.national(round, "core.e").expect("core.e");
        let a = view.national(round, "core.a").expect("core.a");
        assert!(!ReportView::shown_to_practice(e));
        assert!(ReportView::shown_to_practice(a));
        let mut four = a.clone();
        four.practices_in_distribution = MIN_PRACTICES_SHOWN - 1;
        assert!(!ReportView::shown_to_practice(&four));
    }

    #[test]
    fn scores_are_ranked_and_summarised_against_the_rounds_national_scores() {
        let report = hand_report();
        let view = ReportView::new(&report);
        let scores = view.national_scores(report.rounds[0]);
        assert_eq!(scores.len(), 6);
        assert!(scores.windows(2).all(|w| w[0] <= w[1]));
        // 0.70 is above one score of six and equal to itself: 100 × (1 + ½) / 6 = 25.
        assert_eq!(
            ReportView::score_rank(&scores, Decimal::new(7, 1)),
            Some(Decimal::from(25))
        );
        let p = view.score_percentiles(&scores);
        assert_eq!(p.len(), 4);
        // Type 7 median of 0.6, 0.7, 0.8, 0.85, 0.9, 0.95: (0.8 + 0.85) / 2.
        assert_eq!(p[2], (Decimal::new(5, 1), Some(Decimal::new(825, 3))));
        assert!(view.score_percentiles(&[]).iter().all(|(_, v)| v.is_none()));
    }

    #[test]
    fn the_threshold_is_the_rules_and_absent_without_them() {
        let report = hand_report();
        assert_eq!(ReportView::new(&report).oqs_threshold(), None);
        let mut rules = EligibilityRules::new(10);
        rules.oqs_threshold = Decimal::new(6, 1);
        let view = ReportView::new(&report).with_rules(&rules);
        assert_eq!(view.oqs_threshold(), Some(Decimal::new(6, 1)));
    }

    #[test]
    fn a_measures_module_is_the_librarys_else_the_id_prefix() {
        let report = hand_report();
        let view = ReportView::new(&report);
        assert_eq!(view.module("core.a"), "core");
        assert_eq!(view.module("plain"), "plain");
        let lib = crate::Library::bundled().expect("the bundled library");
        let view = ReportView::new(&report).with_library(lib);
        let m = lib.measures().next().expect("a measure");
        assert_eq!(view.module(&m.id), m.module);
    }
}
