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
