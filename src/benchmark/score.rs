//! The Overall Quality Score per (round, practice) over a track's measures, and trends of
//! practice rates across rounds.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::aggregate::PracticeRate;
use super::stats::two_proportion_test;
use super::tally::Tally;
use crate::chart::PracticeId;
use crate::chart::round::RoundId;
use crate::measure::{Direction, Library, Scoring};

/// How the Overall Quality Score combines measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OqsMethod {
    /// Σ met / Σ eligible over the track's measures (design §4; the default).
    #[default]
    Pooled,
    /// The unweighted mean of the track's measure rates (measures without a rate left out).
    MeanOfRates,
}

/// One practice's Overall Quality Score in one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Oqs {
    /// The round.
    pub round: RoundId,
    /// The practice.
    pub practice: PracticeId,
    /// The track scored (`qcp` for certification).
    pub track: String,
    /// The method.
    pub method: OqsMethod,
    /// Σ met, with met turned round for lower-is-better measures (eligible − met). Only a
    /// forged tally can pass `u64::MAX`: the sum then stays there and the score is `None`.
    pub met: u64,
    /// Σ eligible (at most `u64::MAX`, as for `met`).
    pub eligible: u64,
    /// Measures of the track with eligible charts.
    pub measures: u64,
    /// The practice's unique charts in the round.
    pub charts: u64,
    /// Measures of the track that the library did not evaluate (the catalog lists them on
    /// the track, the library lacks them): the score is `None` while any is missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_measures: Vec<String>,
    /// The score in [0, 1]; `None` without eligible charts or with a missing measure.
    pub score: Option<Decimal>,
}

/// The Overall Quality Score of every (round, practice) of the tally whose practice is on
/// the track (`on_track`), over every measure of `track` (informational measures never
/// count). The track's measures are those the library puts on it and those the bundled
/// catalog puts on it: a catalog measure the library lacks is named in
/// `missing_measures` and leaves the score `None`, never silently dropped.
pub fn overall_quality_scores(
    tally: &Tally,
    library: &Library,
    track: &str,
    method: OqsMethod,
    on_track: impl Fn(&PracticeId) -> bool,
) -> Vec<Oqs> {
    let measures: Vec<(&str, Direction)> = library
        .measures()
        .filter(|m| m.scoring != Scoring::Informational && m.tracks.iter().any(|t| t == track))
        .map(|m| (m.id.as_str(), m.direction))
        .collect();
    let missing: Vec<String> = crate::measure::Catalog::bundled()
        .map(|c| {
            c.entries()
                .iter()
                .filter(|e| e.scoring != Scoring::Informational)
                .filter(|e| e.tracks.iter().any(|t| t == track))
                .filter(|e| library.index_of(&e.id).is_none())
                .map(|e| e.id.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for (round, practice, row) in tally.rows() {
        if !on_track(practice) {
            continue;
        }
        let mut sums = TrackSums::default();
        for (id, direction) in &measures {
            let Some(m) = row.measures.get(*id) else {
                continue;
            };
            let e = m.total.eligible();
            if e == 0 {
                continue;
            }
            let good = match direction {
                Direction::HigherIsBetter => m.total.met(),
                Direction::LowerIsBetter => e.saturating_sub(m.total.met()),
            };
            sums.add(good, e);
        }
        let score = sums.score(method).filter(|_| missing.is_empty());
        out.push(Oqs {
            round: *round,
            practice: practice.clone(),
            track: track.to_owned(),
            method,
            met: sums.met,
            eligible: sums.eligible,
            measures: sums.measures,
            charts: row.charts,
            missing_measures: missing.clone(),
            score,
        });
    }
    out
}

/// The sums behind one practice's score in one round.
#[derive(Debug, Default)]
struct TrackSums {
    /// Σ met (turned round for lower-is-better measures).
    met: u64,
    /// Σ eligible.
    eligible: u64,
    /// Measures with eligible charts.
    measures: u64,
    /// Σ of the measures' rates.
    rate_sum: Decimal,
    /// Whether a sum passed its type's range (only a forged tally gets there): the sums
    /// then stay at their last value or `u64::MAX`, and no score is computed from them.
    overflowed: bool,
}

impl TrackSums {
    /// Adds one measure: `good` of `eligible` (not 0) charts.
    fn add(&mut self, good: u64, eligible: u64) {
        let rate = Decimal::from(good).checked_div(Decimal::from(eligible));
        let sums = (
            self.met.checked_add(good),
            self.eligible.checked_add(eligible),
            rate.and_then(|r| self.rate_sum.checked_add(r)),
        );
        if let (Some(met), Some(total), Some(rate_sum)) = sums {
            (self.met, self.eligible, self.rate_sum) = (met, total, rate_sum);
        } else {
            self.overflowed = true;
            self.met = self.met.saturating_add(good);
            self.eligible = self.eligible.saturating_add(eligible);
        }
        // One per measure of the library: never near `u64::MAX`.
        self.measures = self.measures.saturating_add(1);
    }

    /// The score by `method`; `None` without eligible charts or after an overflow.
    fn score(&self, method: OqsMethod) -> Option<Decimal> {
        if self.overflowed {
            return None;
        }
        match method {
            OqsMethod::Pooled => Decimal::from(self.met).checked_div(Decimal::from(self.eligible)),
            OqsMethod::MeanOfRates => self.rate_sum.checked_div(Decimal::from(self.measures)),
        }
    }
}

/// Whether a change is better, worse or not significant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TrendVerdict {
    /// Significant change in the better direction.
    Improvement,
    /// Significant change in the worse direction.
    Decline,
    /// Not significant at the chosen α (or not testable).
    NoSignificantChange,
}

impl TrendVerdict {
    /// The name written in reports (`improvement`, `decline`, `no_significant_change`).
    pub fn as_str(self) -> &'static str {
        match self {
            TrendVerdict::Improvement => "improvement",
            TrendVerdict::Decline => "decline",
            TrendVerdict::NoSignificantChange => "no_significant_change",
        }
    }
}

/// The change of one practice's rate on one measure since its previous round with a rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Trend {
    /// The practice.
    pub practice: PracticeId,
    /// The measure.
    pub measure: String,
    /// The earlier round (the practice's previous round with a rate on the measure).
    pub from: RoundId,
    /// The later round.
    pub to: RoundId,
    /// Rounds between them without data (a gap; empty when consecutive).
    pub skipped: Vec<RoundId>,
    /// Rate in `from`.
    pub from_rate: Decimal,
    /// Rate in `to`.
    pub to_rate: Decimal,
    /// `to_rate − from_rate`.
    pub change: Decimal,
    /// Two-proportion z test: z and two-sided p (`None` when not testable).
    pub z: Option<f64>,
    /// The p value.
    pub p_value: Option<f64>,
    /// Direction-aware verdict at α.
    pub verdict: TrendVerdict,
}

/// Trends of every (practice, measure) with rates in two or more rounds: each round with a
/// rate against the previous one with a rate. `alpha` is the significance level (0.05 by
/// default in the report).
pub fn trends(rates: &[PracticeRate], library: &Library, alpha: f64) -> Vec<Trend> {
    let mut keyed: Vec<&PracticeRate> = rates.iter().filter(|r| r.rate.is_some()).collect();
    keyed.sort_by(|a, b| {
        (&a.practice, &a.measure, a.round).cmp(&(&b.practice, &b.measure, b.round))
    });
    let mut out = Vec::new();
    for pair in keyed.windows(2) {
        let &[a, b] = pair else {
            continue;
        };
        if a.practice != b.practice || a.measure != b.measure {
            continue;
        }
        let (Some(ra), Some(rb)) = (a.rate, b.rate) else {
            continue;
        };
        let higher = library
            .index_of(&b.measure)
            .and_then(|i| library.measure(i))
            .is_none_or(|m| m.direction == Direction::HigherIsBetter);
        let mut skipped = Vec::new();
        let mut r = a.round.next();
        while let Some(x) = r {
            if x >= b.round {
                break;
            }
            skipped.push(x);
            r = x.next();
        }
        let test = two_proportion_test(b.met, b.eligible, a.met, a.eligible);
        // Rates are ratios of `u64` counts, far inside `Decimal`'s range: the difference
        // always exists.
        let Some(change) = rb.checked_sub(ra) else {
            continue;
        };
        let significant = test.is_some_and(|(_, p)| p < alpha);
        let better = if higher {
            change > Decimal::ZERO
        } else {
            change < Decimal::ZERO
        };
        out.push(Trend {
            practice: b.practice.clone(),
            measure: b.measure.clone(),
            from: a.round,
            to: b.round,
            skipped,
            from_rate: ra,
            to_rate: rb,
            change,
            z: test.map(|t| t.0),
            p_value: test.map(|t| t.1),
            verdict: match (significant, better) {
                (false, _) => TrendVerdict::NoSignificantChange,
                (true, true) => TrendVerdict::Improvement,
                (true, false) => TrendVerdict::Decline,
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_sums_past_u64_leave_the_score_unset_instead_of_wrapping() {
        // Two measures whose counts add past `u64::MAX` (only a forged tally has them).
        let mut sums = TrackSums::default();
        sums.add(u64::MAX - 1, u64::MAX);
        sums.add(3, 4);
        assert!(sums.overflowed);
        assert_eq!(
            (sums.met, sums.eligible, sums.measures),
            (u64::MAX, u64::MAX, 2)
        );
        assert_eq!(sums.score(OqsMethod::Pooled), None);
        assert_eq!(sums.score(OqsMethod::MeanOfRates), None);
    }

    #[test]
    fn score_sums_pool_counts_and_average_rates() {
        let mut sums = TrackSums::default();
        assert_eq!(sums.score(OqsMethod::Pooled), None);
        assert_eq!(sums.score(OqsMethod::MeanOfRates), None);
        sums.add(9, 12);
        sums.add(2, 4);
        assert!(!sums.overflowed);
        assert_eq!((sums.met, sums.eligible, sums.measures), (11, 16, 2));
        assert_eq!(
            sums.score(OqsMethod::Pooled),
            Some(Decimal::from(11) / Decimal::from(16))
        );
        assert_eq!(
            sums.score(OqsMethod::MeanOfRates),
            Some(Decimal::new(625, 3))
        );
    }
}
