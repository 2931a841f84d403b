//! Practice rates and the national aggregate per (round, measure), from a tally.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::stats::{Interval, percentile_rank_sorted, quantile_type7, wilson, z_for_level};
use super::tally::{Counts, Strata, Tally};
use crate::chart::PracticeId;
use crate::chart::round::RoundId;
use crate::measure::{Direction, Library};

/// How rates and the aggregate are computed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Options {
    /// Confidence level of the Wilson intervals (default 0.95).
    pub level: f64,
    /// Practices with a smaller rate denominator are reported, flagged suppressed and left
    /// out of the national distribution (default 10).
    pub min_denominator: u64,
    /// The percentiles of the national distribution, as fractions (default 0.10, 0.25,
    /// 0.50, 0.75, 0.90).
    pub percentiles: Vec<Decimal>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            level: 0.95,
            min_denominator: 10,
            percentiles: [10, 25, 50, 75, 90]
                .into_iter()
                .map(|p| Decimal::new(p, 2))
                .collect(),
        }
    }
}

/// The name of the quantile method in reports.
pub const QUANTILE_METHOD: &str = "hyndman_fan_type_7";

/// One practice's rate on one measure in one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PracticeRate {
    /// The round.
    pub round: RoundId,
    /// The practice.
    pub practice: PracticeId,
    /// The measure id.
    pub measure: String,
    /// The population counts.
    pub counts: Counts,
    /// NUMER − NUMEX.
    pub met: u64,
    /// DENOM − DENEX − DENEXCEP.
    pub eligible: u64,
    /// met / eligible, exact; `None` when eligible is zero.
    pub rate: Option<Decimal>,
    /// Wilson score interval at the options' level.
    pub interval: Option<Interval>,
    /// Fewer eligible charts than the minimum: reported, left out of the distribution.
    pub suppressed: bool,
    /// Percentile rank among the round's unsuppressed practices (direction-aware: higher
    /// is better performance); `None` when suppressed or without a rate.
    pub percentile_rank: Option<Decimal>,
    /// Population counts per stratifier and stratum value (measures with stratifiers).
    #[serde(default, skip_serializing_if = "Strata::is_empty")]
    pub strata: Strata,
}

/// The national aggregate of one measure in one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NationalMeasure {
    /// The round.
    pub round: RoundId,
    /// The measure id.
    pub measure: String,
    /// Its direction.
    pub direction: Direction,
    /// Practices with charts in the measure's denominator.
    pub practices: u64,
    /// Practices in the distribution (a rate, not suppressed).
    pub practices_in_distribution: u64,
    /// Charts in the denominator, over all practices.
    pub charts: u64,
    /// Pooled counts over all practices (suppressed ones included).
    pub counts: Counts,
    /// Pooled rate Σ met / Σ eligible.
    pub pooled_rate: Option<Decimal>,
    /// Mean of the practice rates in the distribution (`None` without any, or if their sum
    /// passed `Decimal`'s range, which only forged counts can do).
    pub mean: Option<Decimal>,
    /// Median of the practice rates in the distribution (type 7 at 0.5).
    pub median: Option<Decimal>,
    /// The quantile method used.
    pub method: String,
    /// (fraction, value) per requested percentile.
    pub percentiles: Vec<(Decimal, Decimal)>,
    /// Pooled counts per stratifier and stratum value (measures with stratifiers).
    #[serde(default, skip_serializing_if = "Strata::is_empty")]
    pub strata: Strata,
}

fn rate_of(met: u64, eligible: u64) -> Option<Decimal> {
    // `None` when nothing is eligible; a ratio of two `u64` values never overflows.
    Decimal::from(met).checked_div(Decimal::from(eligible))
}

/// Rates of every (round, practice, measure) in the tally and the national aggregate of
/// every (round, measure). Informational measures are aggregated like the others (they are
/// reported, never scored); measures not in `library` are skipped. Output order is
/// deterministic: round, then measure id, then practice id.
pub fn aggregate(
    tally: &Tally,
    library: &Library,
    options: &Options,
) -> (Vec<PracticeRate>, Vec<NationalMeasure>) {
    aggregate_scored(tally, library, options, |_, _| true)
}

/// As [`aggregate`], rating each practice only on the measures `scored(practice, measure)`
/// accepts (the measures of the tracks it registered for): other counts are left out of its
/// rates and of the national aggregate.
pub fn aggregate_scored(
    tally: &Tally,
    library: &Library,
    options: &Options,
    scored: impl Fn(&PracticeId, &str) -> bool,
) -> (Vec<PracticeRate>, Vec<NationalMeasure>) {
    let z = z_for_level(options.level).unwrap_or(1.959_963_984_540_054);
    // (round, measure) -> practice rates
    let mut groups: BTreeMap<(RoundId, String), Vec<PracticeRate>> = BTreeMap::new();
    for (round, practice, row) in tally.rows() {
        for (measure, m) in &row.measures {
            if library.index_of(measure).is_none() || !scored(practice, measure) {
                continue;
            }
            let c = m.total;
            let (met, eligible) = (c.met(), c.eligible());
            groups
                .entry((*round, measure.clone()))
                .or_default()
                .push(PracticeRate {
                    round: *round,
                    practice: practice.clone(),
                    measure: measure.clone(),
                    counts: c,
                    met,
                    eligible,
                    rate: rate_of(met, eligible),
                    interval: wilson(met, eligible, z),
                    suppressed: eligible < options.min_denominator,
                    percentile_rank: None,
                    strata: m.strata.clone(),
                });
        }
    }
    let mut rates = Vec::new();
    let mut national = Vec::new();
    for ((round, measure), mut group) in groups {
        let Some(info) = library.index_of(&measure).and_then(|i| library.measure(i)) else {
            continue;
        };
        let higher = info.direction == Direction::HigherIsBetter;
        let mut dist: Vec<Decimal> = group
            .iter()
            .filter(|r| !r.suppressed)
            .filter_map(|r| r.rate)
            .collect();
        dist.sort();
        for r in &mut group {
            if !r.suppressed
                && let Some(rate) = r.rate
            {
                r.percentile_rank = percentile_rank_sorted(&dist, rate, higher);
            }
        }
        let mut counts = Counts::default();
        let mut strata = Strata::new();
        for r in &group {
            counts.merge(&r.counts);
            strata.merge(&r.strata);
        }
        let n = dist.len();
        let mean = dist
            .iter()
            .try_fold(Decimal::ZERO, |sum, &rate| sum.checked_add(rate))
            .and_then(|sum| sum.checked_div(Decimal::from(n)));
        national.push(NationalMeasure {
            round,
            measure: measure.clone(),
            direction: info.direction,
            practices: group.iter().filter(|r| r.counts.denom > 0).count() as u64,
            practices_in_distribution: n as u64,
            charts: counts.denom,
            pooled_rate: rate_of(counts.met(), counts.eligible()),
            mean,
            median: quantile_type7(&dist, Decimal::new(5, 1)),
            method: QUANTILE_METHOD.to_owned(),
            percentiles: options
                .percentiles
                .iter()
                .filter_map(|p| quantile_type7(&dist, *p).map(|q| (*p, q)))
                .collect(),
            counts,
            strata,
        });
        rates.extend(group);
    }
    (rates, national)
}
