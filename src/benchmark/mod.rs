//! Benchmark aggregation: tallies folded from per-chart outcomes (a mergeable commutative
//! monoid) and the round [`Report`] built from them: practice rates with Wilson intervals,
//! the national aggregate (pooled rate, mean, median, percentiles), percentile ranks, the
//! Overall Quality Score and trends across rounds.
//!
//! Beyond one machine, the unit of work is a shard of charts → a [`Tally`] (serialisable);
//! tallies from any number of shards merge exactly, in any order.

mod aggregate;
mod report;
mod score;
mod stats;
#[cfg(feature = "report")]
pub(crate) use stats::Hundredfold;
pub(crate) use stats::percent_text;
#[cfg(any(feature = "report", feature = "fhir"))]
pub(crate) use stats::round_half_away;
mod tally;

pub use aggregate::{
    NationalMeasure, Options, PracticeRate, QUANTILE_METHOD, aggregate, aggregate_scored,
};
pub use report::{
    Exclusion, ExclusionReason, Participation, PracticeStatus, REPORT_FORMAT, RegistrationCheck,
    RegistrationPolicy, Report, ReportError, ReportOptions, StatedOptions,
};
// The drivers moved to `crate::pipeline`; these paths stay for one release (0.2) so that
// vendor code keeps compiling, and are then removed. The one edge from `benchmark` up to
// `pipeline`, allowed by name in `tests/layering.rs`.
#[cfg(feature = "parallel")]
pub use crate::pipeline::tally_parallel;
pub use crate::pipeline::{JSONL_BATCH, tally_charts, tally_jsonl};
pub use score::{Oqs, OqsMethod, Trend, TrendVerdict, overall_quality_scores, trends};
pub use stats::{
    Interval, inverse_normal, normal_cdf, percentile_rank, percentile_rank_sorted, quantile_type7,
    two_proportion_test, wilson, z_for_level,
};
pub(crate) use tally::TallyBuilder;
pub use tally::{
    Counts, MeasureTally, PracticeTally, Strata, StrataError, TALLY_FORMAT, Tally, TallyError,
    TallyStamp,
};
