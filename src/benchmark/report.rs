//! The round report: everything a practice sees beside the national aggregate, built from
//! a tally; and folding charts into tallies (sequentially, or in parallel with the
//! `parallel` feature).

use serde::{Deserialize, Serialize};

use super::aggregate::{NationalMeasure, Options, PracticeRate, QUANTILE_METHOD, aggregate_scored};
use super::score::{Oqs, OqsMethod, Trend, overall_quality_scores, trends};
use super::tally::Tally;
use crate::chart::{Chart, Date, PracticeId};
use crate::measure::{Library, Outcome};
use crate::program::{CourseCredit, Practices, course_credit};
use crate::round::{Period, RoundId};

/// How a report is computed (all of it is written into the report).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ReportOptions {
    /// Rates, intervals, suppression and percentiles.
    pub aggregate: Options,
    /// The track of the Overall Quality Score (default `qcp`).
    pub oqs_track: String,
    /// The OQS method (default pooled).
    pub oqs_method: OqsMethod,
    /// Significance level of trend tests (default 0.05).
    pub alpha: f64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            aggregate: Options::default(),
            oqs_track: "qcp".to_owned(),
            oqs_method: OqsMethod::Pooled,
            alpha: 0.05,
        }
    }
}

/// The options as written in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatedOptions {
    /// Confidence level of the intervals.
    pub confidence_level: f64,
    /// Interval method.
    pub interval_method: String,
    /// Minimum rate denominator for a practice to enter the distribution.
    pub min_denominator: u64,
    /// Percentiles reported.
    pub percentiles: Vec<rust_decimal::Decimal>,
    /// Quantile method.
    pub quantile_method: String,
    /// Percentile-rank definition.
    pub percentile_rank_method: String,
    /// OQS track.
    pub oqs_track: String,
    /// OQS method.
    pub oqs_method: OqsMethod,
    /// Trend test and its level.
    pub trend_test: String,
    /// α of the trend test.
    pub alpha: f64,
}

/// One (round, practice) with its unique charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Participation {
    /// The round.
    pub round: RoundId,
    /// The practice.
    pub practice: PracticeId,
    /// Unique charts submitted.
    pub charts: u64,
}

/// A benchmark report. Field names are stable; numbers are exact decimals (rounded only
/// when rendered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Report {
    /// Format version of this document.
    pub oncoqual_report: u32,
    /// The date the report was issued.
    pub issued_on: Date,
    /// Whether this is the round's final report (certification reads only final reports).
    pub final_report: bool,
    /// How it was computed.
    pub options: StatedOptions,
    /// The rounds covered.
    pub rounds: Vec<RoundId>,
    /// Charts per (round, practice).
    pub participation: Vec<Participation>,
    /// Every practice's rate per measure and round.
    pub rates: Vec<PracticeRate>,
    /// The national aggregate per measure and round.
    pub national: Vec<NationalMeasure>,
    /// Overall Quality Scores.
    pub overall_quality_scores: Vec<Oqs>,
    /// Changes since each practice's previous round with data.
    pub trends: Vec<Trend>,
    /// Registered practices (when a practices file was given): registration problems and
    /// the two-consecutive-rounds course credit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub practices: Vec<PracticeStatus>,
}

/// A registered practice's standing in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PracticeStatus {
    /// The practice.
    pub practice: PracticeId,
    /// Its name.
    pub name: String,
    /// Tracks registered for.
    pub tracks: Vec<String>,
    /// Every reason its registration is not valid (empty when valid).
    pub registration_problems: Vec<String>,
    /// The course credit, when two consecutive rounds are completed.
    pub course_credit: Option<CourseCredit>,
}

impl Report {
    /// Builds the report of a tally. `scored(practice, measure)` limits each practice's
    /// rates, its part in the national aggregate and its OQS to the measures of the tracks
    /// it registered for.
    pub fn build(
        tally: &Tally,
        library: &Library,
        options: &ReportOptions,
        issued_on: Date,
        final_report: bool,
        scored: impl Fn(&PracticeId, &str) -> bool,
    ) -> Report {
        let (rates, national) = aggregate_scored(tally, library, &options.aggregate, &scored);
        let oqs = overall_quality_scores(
            tally,
            library,
            &options.oqs_track,
            options.oqs_method,
            scored,
        );
        let trends = trends(&rates, library, options.alpha);
        Report {
            oncoqual_report: 1,
            issued_on,
            final_report,
            options: StatedOptions {
                confidence_level: options.aggregate.level,
                interval_method: "wilson_score".to_owned(),
                min_denominator: options.aggregate.min_denominator,
                percentiles: options.aggregate.percentiles.clone(),
                quantile_method: QUANTILE_METHOD.to_owned(),
                percentile_rank_method:
                    "mean_rank: 100 * (worse + equal / 2) / n, ties share a rank, direction-aware"
                        .to_owned(),
                oqs_track: options.oqs_track.clone(),
                oqs_method: options.oqs_method,
                trend_test: "two_proportion_z_pooled_two_sided".to_owned(),
                alpha: options.alpha,
            },
            rounds: tally.rounds(),
            participation: tally
                .rows()
                .map(|(r, p, t)| Participation {
                    round: *r,
                    practice: p.clone(),
                    charts: t.charts,
                })
                .collect(),
            rates,
            national,
            overall_quality_scores: oqs,
            trends,
            practices: Vec::new(),
        }
    }

    /// Builds the report of a tally for registered practices: each practice is scored only
    /// on the measures of the tracks it registered for (a practice missing from the file on
    /// none), and the report lists registration problems and course credits.
    pub fn build_for(
        tally: &Tally,
        library: &Library,
        options: &ReportOptions,
        issued_on: Date,
        final_report: bool,
        practices: &Practices,
    ) -> Report {
        let scored = |p: &PracticeId, measure: &str| {
            let tracks = library
                .index_of(measure)
                .and_then(|i| library.measure(i))
                .map(|m| m.tracks.as_slice())
                .unwrap_or(&[]);
            practices.get(p).is_some_and(|pr| pr.registered_for(tracks))
        };
        let mut report = Report::build(tally, library, options, issued_on, final_report, scored);
        report.practices = practices
            .iter()
            .map(|p| {
                let history: Vec<(RoundId, u64)> = tally
                    .rows()
                    .filter(|(_, id, _)| **id == p.id)
                    .map(|(r, _, t)| (*r, t.charts))
                    .collect();
                PracticeStatus {
                    practice: p.id.clone(),
                    name: p.name.clone(),
                    tracks: p.tracks.clone(),
                    registration_problems: p
                        .registration_problems()
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                    course_credit: course_credit(&history, 1),
                }
            })
            .collect();
        report
    }
}

/// Evaluates `charts` against `library` and folds them into a tally; `period(chart)` gives
/// each chart's reporting period.
pub fn tally_charts<'c>(
    library: &Library,
    charts: impl IntoIterator<Item = &'c Chart>,
    period: impl Fn(&Chart) -> Period,
) -> Tally {
    let mut tally = Tally::new();
    let mut out: Vec<Outcome> = Vec::new();
    for chart in charts {
        library.evaluate_into(chart, period(chart), &mut out);
        tally.add(library, chart, &out);
    }
    tally
}

/// As [`tally_charts`], over the charts of a slice in parallel (rayon). The result is the
/// same whatever the thread count: tallies merge commutatively.
#[cfg(feature = "parallel")]
pub fn tally_parallel(
    library: &Library,
    charts: &[Chart],
    period: impl Fn(&Chart) -> Period + Sync,
) -> Tally {
    use rayon::prelude::*;
    charts
        .par_chunks(256)
        .map(|chunk| tally_charts(library, chunk, &period))
        .reduce(Tally::new, |a, b| a.merged(&b))
}

/// Charts parsed and evaluated per batch by [`tally_jsonl`]: memory is one batch of lines
/// and charts plus the tally, whatever the size of the input.
pub const JSONL_BATCH: usize = 4096;

/// The whole pipeline over a JSONL stream: reads it in batches of [`JSONL_BATCH`] lines,
/// parses and validates each batch (in parallel with the `parallel` feature), evaluates the
/// valid charts (likewise) and folds them into a tally. Each rejected record goes to
/// `rejected` (in input order) and the rest of the stream goes on; stop early by returning
/// [`ControlFlow::Break`](std::ops::ControlFlow::Break) from it. The tally is the same
/// whatever the thread count.
///
/// ```
/// use oncoqual::benchmark::tally_jsonl;
/// use oncoqual::{JsonlReader, Library, RoundCalendar};
/// let input = "{\"id\":\"a\",\"practice\":\"p\",\"round\":\"2026-1\"}\nnot json\n";
/// let lib = Library::bundled().unwrap();
/// let calendar = RoundCalendar::new();
/// let mut bad = Vec::new();
/// let tally = tally_jsonl(lib, JsonlReader::new(input.as_bytes()), |c| calendar.period(c.round), |e| {
///     bad.push(e.line);
///     std::ops::ControlFlow::Continue(())
/// });
/// assert_eq!(bad, [Some(2)]);
/// assert_eq!(tally.rows().count(), 1);
/// ```
pub fn tally_jsonl<R: std::io::BufRead>(
    library: &Library,
    mut reader: crate::io::JsonlReader<R>,
    period: impl Fn(&Chart) -> Period + Sync,
    mut rejected: impl FnMut(crate::io::RecordError) -> std::ops::ControlFlow<()>,
) -> Tally {
    let mut tally = Tally::new();
    let mut records = Vec::with_capacity(JSONL_BATCH);
    let mut charts: Vec<Chart> = Vec::with_capacity(JSONL_BATCH);
    while reader.next_batch(JSONL_BATCH, &mut records) {
        let mut stop = false;
        for record in records.drain(..) {
            match record {
                Ok(c) => charts.push(c.chart),
                Err(e) => stop = stop || rejected(e).is_break(),
            }
        }
        #[cfg(feature = "parallel")]
        tally.merge(&tally_parallel(library, &charts, &period));
        #[cfg(not(feature = "parallel"))]
        tally.merge(&tally_charts(library, &charts, &period));
        charts.clear();
        if stop {
            break;
        }
    }
    tally
}
