//! Benchmark aggregation: tallies folded from per-chart outcomes (a mergeable commutative
//! monoid) and the statistics of the round report (rates, Wilson intervals, quantiles,
//! percentile ranks, two-proportion tests).

mod aggregate;
mod score;
mod stats;
mod tally;

pub use aggregate::{NationalMeasure, Options, PracticeRate, QUANTILE_METHOD, aggregate};
pub use score::{Oqs, OqsMethod, Trend, TrendVerdict, overall_quality_scores, trends};
pub use stats::{
    Interval, inverse_normal, normal_cdf, percentile_rank, quantile_type7, two_proportion_test,
    wilson, z_for_level,
};
pub use tally::{Counts, MeasureTally, PracticeTally, Tally};
