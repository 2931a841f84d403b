//! The round report: everything a practice sees beside the national aggregate, built from
//! a tally; and folding charts into tallies (sequentially, or in parallel with the
//! `parallel` feature).

use serde::{Deserialize, Serialize};

use super::aggregate::{NationalMeasure, Options, PracticeRate, QUANTILE_METHOD, aggregate_scored};
use super::score::{Oqs, OqsMethod, Trend, overall_quality_scores, trends};
use super::tally::{Tally, TallyBuilder};
use crate::chart::{Chart, Date, PracticeId};
use crate::measure::{Library, Outcome};
use crate::program::{Course, Practices, course_credits};
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
    /// the ASCO University courses with each member's award.
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
    /// The ASCO University courses opened by pairs of consecutive completed rounds, with
    /// each member's award and the members still pending.
    #[serde(default)]
    pub courses: Vec<Course>,
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
                // A round counts as completed with at least one chart for now.
                let completed: Vec<RoundId> = tally
                    .rows()
                    .filter(|(_, id, t)| **id == p.id && t.charts >= 1)
                    .map(|(r, _, _)| *r)
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
                    courses: course_credits(p, &completed),
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
    build(library, charts, period).finish(library)
}

/// [`tally_charts`] before its measures are named.
fn build<'c>(
    library: &Library,
    charts: impl IntoIterator<Item = &'c Chart>,
    period: impl Fn(&Chart) -> Period,
) -> TallyBuilder {
    let mut tally = TallyBuilder::new();
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
        .map(|chunk| build(library, chunk, &period))
        .reduce(TallyBuilder::new, |mut a, b| {
            a.merge(b);
            a
        })
        .finish(library)
}

/// Lines parsed and evaluated per batch by [`tally_jsonl`]: memory is two batches of
/// lines plus the tally, whatever the size of the input.
pub const JSONL_BATCH: usize = 4096;

/// The whole pipeline over a JSONL stream: reads it in batches of [`JSONL_BATCH`] lines,
/// parses, validates and evaluates each line and folds the charts into a tally. With the
/// `parallel` feature the lines of a batch are parsed and evaluated in parallel, each chart
/// right after its parse (while it is in cache), as the next batch is read. Each rejected
/// record (invalid, or a chart id seen before) goes to `rejected`, in input order, and the
/// rest of the stream goes on; stop early by returning
/// [`ControlFlow::Break`](std::ops::ControlFlow::Break) from it. The tally is the same
/// whatever the thread count, and the same as iterating the reader.
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
    reader: crate::io::JsonlReader<R>,
    period: impl Fn(&Chart) -> Period + Sync,
    mut rejected: impl FnMut(crate::io::RecordError) -> std::ops::ControlFlow<()>,
) -> Tally {
    #[cfg(feature = "parallel")]
    {
        let mut reader = reader;
        pipeline::run(library, &mut reader, &period, &mut rejected)
    }
    #[cfg(not(feature = "parallel"))]
    {
        let mut tally = TallyBuilder::new();
        let mut out: Vec<Outcome> = Vec::new();
        for record in reader {
            match record {
                Ok(c) => {
                    library.evaluate_into(&c.chart, period(&c.chart), &mut out);
                    tally.add(library, &c.chart, &out);
                }
                Err(e) => {
                    if rejected(e).is_break() {
                        break;
                    }
                }
            }
        }
        tally.finish(library)
    }
}

#[cfg(feature = "parallel")]
mod pipeline {
    use std::io::BufRead;
    use std::ops::ControlFlow;

    use rayon::prelude::*;

    use super::{Chart, JSONL_BATCH, Library, Outcome, Period, Tally, TallyBuilder};
    use crate::chart::ChartId;
    use crate::io::{JsonlReader, Limits, RawLine, RecordError, parse_raw_ref};

    /// What became of one line, in a batch's worker.
    enum Line {
        /// A valid chart, evaluated into its chunk's tally (pending the duplicate check).
        Chart(ChartId, usize),
        Rejected(RecordError),
        /// The line could not be read (its error stays in the batch, taken in order).
        Unread,
    }

    /// A batch evaluated: each line's fate, in input order, and the tally of its charts.
    struct Batch {
        lines: Vec<Line>,
        tally: TallyBuilder,
    }

    /// Lines per worker task.
    const CHUNK: usize = 32;

    pub(super) fn run<R: BufRead>(
        library: &Library,
        reader: &mut JsonlReader<R>,
        period: &(impl Fn(&Chart) -> Period + Sync),
        rejected: &mut impl FnMut(RecordError) -> ControlFlow<()>,
    ) -> Tally {
        let limits = *reader.limits();
        let mut tally = TallyBuilder::new();
        let mut current: Vec<RawLine> = Vec::new();
        let mut next: Vec<RawLine> = Vec::new();
        reader.raw_batch(JSONL_BATCH, &mut current);
        while !current.is_empty() {
            // The workers parse and evaluate this batch while this thread reads the next.
            let mut batch: Option<Batch> = None;
            rayon::in_place_scope(|s| {
                s.spawn(|_| batch = Some(evaluate(library, &current, &limits, period, &[])));
                reader.raw_batch(JSONL_BATCH, &mut next);
            });
            let Some(batch) = batch else {
                unreachable!("the scope waits for its task")
            };
            // In input order: rejected records, then duplicate ids (first one wins).
            let mut stop = false;
            let mut duplicates: Vec<usize> = Vec::new();
            let mut at = 0usize;
            {
                for line in batch.lines {
                    let problem = match line {
                        Line::Chart(id, n) => reader.check_id(&id, n).err().inspect(|_| {
                            duplicates.push(at);
                        }),
                        Line::Rejected(e) => Some(e),
                        Line::Unread => current
                            .get_mut(at)
                            .and_then(|r| std::mem::replace(r, Ok((String::new(), 0))).err()),
                    };
                    if let Some(e) = problem {
                        stop = stop || rejected(e).is_break();
                    }
                    at += 1;
                }
            }
            if duplicates.is_empty() {
                tally.merge(batch.tally);
            } else {
                // Rare: evaluate the batch again without the repeated charts.
                let again = evaluate(library, &current, &limits, period, &duplicates);
                tally.merge(again.tally);
            }
            if stop {
                break;
            }
            // The batch just evaluated lends its line buffers to the one after next.
            std::mem::swap(&mut current, &mut next);
        }
        tally.finish(library)
    }

    /// Parses and evaluates `lines` in parallel, leaving out the positions in `skip`
    /// (sorted). Each worker folds its charts into a tally of its own; the few tallies are
    /// merged at the end.
    fn evaluate(
        library: &Library,
        lines: &[RawLine],
        limits: &Limits,
        period: &(impl Fn(&Chart) -> Period + Sync),
        skip: &[usize],
    ) -> Batch {
        type Acc = (Vec<(usize, Vec<Line>)>, TallyBuilder, Vec<Outcome>);
        let (mut parts, tally) = lines
            .par_chunks(CHUNK)
            .enumerate()
            .fold(
                || -> Acc { (Vec::new(), TallyBuilder::new(), Vec::new()) },
                |(mut parts, mut tally, mut out), (k, chunk)| {
                    let mut fates = Vec::with_capacity(chunk.len());
                    for (j, raw) in chunk.iter().enumerate() {
                        let Some(parsed) = parse_raw_ref(raw, limits) else {
                            fates.push(Line::Unread);
                            continue;
                        };
                        match parsed {
                            Ok(c) => {
                                if skip.binary_search(&(k * CHUNK + j)).is_err() {
                                    library.evaluate_into(&c.chart, period(&c.chart), &mut out);
                                    tally.add(library, &c.chart, &out);
                                }
                                fates.push(Line::Chart(c.chart.id, c.line.unwrap_or(0)));
                            }
                            Err(e) => fates.push(Line::Rejected(e)),
                        }
                    }
                    parts.push((k, fates));
                    (parts, tally, out)
                },
            )
            .map(|(parts, tally, _)| (parts, tally))
            .reduce(
                || (Vec::new(), TallyBuilder::new()),
                |(mut pa, mut ta), (pb, tb)| {
                    pa.extend(pb);
                    ta.merge(tb);
                    (pa, ta)
                },
            );
        parts.sort_unstable_by_key(|(k, _)| *k);
        Batch {
            lines: parts.into_iter().flat_map(|(_, fates)| fates).collect(),
            tally,
        }
    }
}
