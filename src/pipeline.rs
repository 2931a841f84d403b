//! The one driver that joins the stages: JSONL text → parse and validate (`io`) → evaluate
//! (`measure`) → fold into a tally (`benchmark`), in batches, on every core with the
//! `parallel` feature. The CLI, the benches and embedders run charts through here; the
//! stages below know nothing of each other's drivers.
//!
//! Entry points: [`tally_jsonl`] over a stream (the whole pipeline), [`tally_jsonl_with`]
//! for a [`Run`] over selected measures (charts parsed under their projection, only the
//! fields they read; `validate_all` to parse every field), and
//! [`tally_charts`] / [`tally_parallel`] over charts already in memory. Each gives the same
//! tally whatever the thread count: tallies merge commutatively.

use crate::benchmark::{Tally, TallyBuilder, TallyError};
use crate::chart::round::Period;
use crate::chart::{Chart, ChartKey, Projection};
use crate::measure::{EvalError, Library, Outcome, Selection};

/// Evaluates `charts` against `library` and folds them into a tally whose chart digests use
/// `key`; `period(chart)` gives each chart's reporting period. Refused when a chart comes
/// twice, a round gets two periods, or a chart's evaluation exceeds the budget
/// ([`TallyError::Evaluation`]; [`tally_jsonl`] reports such a chart and goes on).
pub fn tally_charts<'c>(
    library: &Library,
    key: &ChartKey,
    charts: impl IntoIterator<Item = &'c Chart>,
    period: impl Fn(&Chart) -> Period,
) -> Result<Tally, TallyError> {
    build(library, key, charts, 0, period)?.finish(library, key)
}

/// [`tally_charts`] before its measures are named; `first` is the position of the first
/// chart in the whole input.
fn build<'c>(
    library: &Library,
    key: &ChartKey,
    charts: impl IntoIterator<Item = &'c Chart>,
    first: usize,
    period: impl Fn(&Chart) -> Period,
) -> Result<TallyBuilder, TallyError> {
    let mut tally = TallyBuilder::new();
    let mut out: Vec<Outcome> = Vec::new();
    for (k, chart) in charts.into_iter().enumerate() {
        let p = period(chart);
        library
            .try_evaluate_into(chart, p, &mut out)
            .map_err(|source| TallyError::Evaluation {
                // A position in a slice held in memory: far below `usize::MAX`.
                chart: first.saturating_add(k),
                source,
            })?;
        let digest = key.digest(chart.round, &chart.practice, &chart.id);
        tally.add(library, chart, digest, p, &out);
    }
    Ok(tally)
}

/// As [`tally_charts`], over the charts of a slice in parallel (rayon). The result is the
/// same whatever the thread count: tallies merge commutatively.
#[cfg(feature = "parallel")]
pub fn tally_parallel(
    library: &Library,
    key: &ChartKey,
    charts: &[Chart],
    period: impl Fn(&Chart) -> Period + Sync,
) -> Result<Tally, TallyError> {
    use rayon::prelude::*;
    const CHUNK: usize = 256;
    charts
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(k, chunk)| build(library, key, chunk, k.saturating_mul(CHUNK), &period))
        .try_reduce(TallyBuilder::new, |mut a, b| {
            a.merge(b);
            Ok(a)
        })?
        .finish(library, key)
}

/// Lines (blank ones included) read, parsed and evaluated per batch by [`tally_jsonl`]:
/// memory is two batches of lines plus the tally, whatever the size of the input.
pub const JSONL_BATCH: usize = 4096;

/// The whole pipeline over a JSONL stream: reads it in batches of [`JSONL_BATCH`] lines,
/// parses, validates and evaluates each line and folds the charts into a tally. With the
/// `parallel` feature a batch is read as bytes and its lines are split, parsed and evaluated
/// in parallel, each chart right after its parse (while it is in cache), as the next
/// batch is read. Each rejected
/// record (invalid, or a chart id seen before) goes to `rejected`, in input order, and the
/// rest of the stream goes on; stop early by returning
/// [`ControlFlow::Break`](std::ops::ControlFlow::Break) from it. The tally is the same
/// whatever the thread count, and the same as iterating the reader.
///
/// ```
/// use oncoqual::pipeline::tally_jsonl;
/// use oncoqual::{JsonlReader, Library, RoundCalendar};
/// let input = "{\"id\":\"a\",\"practice\":\"p\",\"round\":\"2026-1\"}\nnot json\n";
/// let lib = Library::bundled().unwrap();
/// let calendar = RoundCalendar::new();
/// let mut bad = Vec::new();
/// let mut reader = JsonlReader::new(input.as_bytes());
/// let tally = tally_jsonl(lib, &mut reader, |c| calendar.period(c.round), |e| {
///     bad.push(e.line);
///     std::ops::ControlFlow::Continue(())
/// })
/// .unwrap();
/// assert_eq!(bad, [Some(2)]);
/// assert_eq!(tally.rows().count(), 1);
/// ```
pub fn tally_jsonl<R: std::io::BufRead>(
    library: &Library,
    reader: &mut crate::io::JsonlReader<R>,
    period: impl Fn(&Chart) -> Period + Sync,
    rejected: impl FnMut(crate::io::RecordError) -> std::ops::ControlFlow<()>,
) -> Result<Tally, TallyError> {
    tally_jsonl_with(library, reader, Run::library(), period, rejected)
}

/// What a run over charts evaluates, and so which chart fields it parses.
///
/// [`Run::library`] evaluates every measure, and parses every field of a whole library
/// (only those its measures read for a library narrowed by [`Library::restrict`], as
/// `tally --measure` makes), unless [`Run::validate_all`] asks for every field to be
/// parsed and validated. A tally of some measures is made with a narrowed library, never
/// with a [`Selection`] of a whole one: its stamp must say which measures it counts, or
/// it would merge with tallies of the whole library. Fields a run does not read are checked for JSON syntax and
/// unknown (or repeated) keys only: see
/// [`parse_chart_projected`](crate::io::parse_chart_projected).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Run<'a> {
    selection: Option<&'a Selection>,
    validate_all: bool,
}

impl<'a> Run<'a> {
    /// Every measure of the library; every field parsed and validated for a whole
    /// library, only the fields its measures read for a library narrowed by
    /// [`Library::restrict`] (see [`Run::projection`]).
    pub fn library() -> Self {
        Run::default()
    }

    /// The measures of `selection`, charts parsed under their projection (for
    /// `evaluate --measure`, whose outcomes name their measures; never for a tally).
    #[cfg(feature = "cli")]
    pub(crate) fn selection(selection: &'a Selection) -> Self {
        Run {
            selection: Some(selection),
            validate_all: false,
        }
    }

    /// Parses and validates every field whatever the measures read (`--validate-all`).
    pub fn validate_all(mut self, yes: bool) -> Self {
        self.validate_all = yes;
        self
    }

    /// The projection charts are parsed under: the fields the selection's measures read,
    /// or for [`Run::library`] over a library narrowed by [`Library::restrict`] the
    /// fields its measures read. `None` when every field is parsed: a whole library (its
    /// measures read most fields, and parsing them all was measured no slower, so it keeps
    /// every check), `validate_all`, or measures that read every field.
    pub fn projection(&self, library: &Library) -> Option<Projection> {
        if self.validate_all {
            return None;
        }
        let p = match self.selection {
            Some(s) => library.projection(s),
            None if library.selection().is_some() => {
                let all: Vec<usize> = (0..library.measures().len()).collect();
                library.projection(&library.select(&all))
            }
            None => return None,
        };
        (!p.is_full()).then_some(p)
    }

    /// Evaluates `chart` as the run asks into `out`.
    pub(crate) fn evaluate(
        &self,
        library: &Library,
        chart: &Chart,
        period: Period,
        out: &mut Vec<Outcome>,
    ) -> Result<(), EvalError> {
        match self.selection {
            Some(s) => library.try_evaluate_selection_into(chart, period, s, out),
            None => library.try_evaluate_into(chart, period, out),
        }
    }
}

/// [`tally_jsonl`] for a [`Run`]: over a library narrowed by [`Library::restrict`],
/// charts are parsed under its measures' projection (the reader's own projection is set
/// for the run and put back after).
///
/// ```
/// use oncoqual::pipeline::{Run, tally_jsonl_with};
/// use oncoqual::{JsonlReader, Library, RoundCalendar};
/// let lib = Library::bundled_owned()
///     .unwrap()
///     .restrict(&["end_of_life.chemo-last-14-days"])
///     .unwrap();
/// // `labs` is not read by this measure: skimmed, its unknown key still refused.
/// let input = "{\"id\":\"a\",\"practice\":\"p\",\"round\":\"2026-1\",\"labs\":[{\"test\":\"x\"}]}\n\
///              {\"id\":\"b\",\"practice\":\"p\",\"round\":\"2026-1\",\"labs\":[{\"tset\":1}]}\n";
/// let calendar = RoundCalendar::new();
/// let mut bad = Vec::new();
/// let mut reader = JsonlReader::new(input.as_bytes());
/// let tally = tally_jsonl_with(&lib, &mut reader, Run::library(), |c| calendar.period(c.round), |e| {
///     bad.push((e.line, e.findings[0].path.clone()));
///     std::ops::ControlFlow::Continue(())
/// })
/// .unwrap();
/// assert_eq!(bad, [(Some(2), "labs[0].tset".to_owned())]);
/// assert_eq!(tally.rows().count(), 1);
/// ```
pub fn tally_jsonl_with<R: std::io::BufRead>(
    library: &Library,
    reader: &mut crate::io::JsonlReader<R>,
    run: Run<'_>,
    period: impl Fn(&Chart) -> Period + Sync,
    mut rejected: impl FnMut(crate::io::RecordError) -> std::ops::ControlFlow<()>,
) -> Result<Tally, TallyError> {
    let before = reader.set_projection(run.projection(library).map(std::sync::Arc::new));
    let tally = run_jsonl(library, reader, &run, period, &mut rejected);
    reader.set_projection(before);
    tally
}

fn run_jsonl<R: std::io::BufRead>(
    library: &Library,
    reader: &mut crate::io::JsonlReader<R>,
    run: &Run<'_>,
    period: impl Fn(&Chart) -> Period + Sync,
    mut rejected: impl FnMut(crate::io::RecordError) -> std::ops::ControlFlow<()>,
) -> Result<Tally, TallyError> {
    #[cfg(feature = "parallel")]
    {
        batched::run(library, reader, run, &period, &mut rejected)
    }
    #[cfg(not(feature = "parallel"))]
    {
        let key = reader.key().clone();
        let mut tally = TallyBuilder::new();
        let mut out: Vec<Outcome> = Vec::new();
        for record in reader.by_ref() {
            match record {
                Ok(c) => {
                    let p = period(&c.chart);
                    if let Err(e) = run.evaluate(library, &c.chart, p, &mut out) {
                        if rejected(e.to_record_error(c.line)).is_break() {
                            break;
                        }
                        continue;
                    }
                    let digest = key.digest(c.chart.round, &c.chart.practice, &c.chart.id);
                    tally.add(library, &c.chart, digest, p, &out);
                }
                Err(e) => {
                    if rejected(e).is_break() {
                        break;
                    }
                }
            }
        }
        tally.finish(library, &key)
    }
}

#[cfg(feature = "parallel")]
mod batched {
    use std::io::BufRead;
    use std::ops::ControlFlow;

    use rayon::prelude::*;

    use super::{
        Chart, JSONL_BATCH, Library, Outcome, Period, Run, Tally, TallyBuilder, TallyError,
    };
    use crate::chart::{ChartDigest, ChartKey, Projection};
    use crate::io::{JsonlReader, Limits, RawBlock, RecordError, split_lines};

    /// What became of one non-blank line, in a batch's worker.
    enum Line {
        /// A valid chart (its digest and line), evaluated into its piece's tally (pending
        /// the duplicate check).
        Chart(ChartDigest, usize),
        /// A valid chart whose evaluation stopped (its digest, line and error): not
        /// counted, but read, so a later chart with its id is a duplicate (as when the
        /// reader is iterated on one thread).
        Stopped(ChartDigest, usize, RecordError),
        Rejected(RecordError),
    }

    /// A batch evaluated: each line's fate, in input order, and the tally of its charts.
    struct Batch {
        lines: Vec<Line>,
        tally: TallyBuilder,
    }

    pub(super) fn run<R: BufRead>(
        library: &Library,
        reader: &mut JsonlReader<R>,
        run: &Run<'_>,
        period: &(impl Fn(&Chart) -> Period + Sync),
        rejected: &mut impl FnMut(RecordError) -> ControlFlow<()>,
    ) -> Result<Tally, TallyError> {
        let limits = *reader.limits();
        let projection = reader.projection().cloned();
        let job = Job {
            library,
            run,
            key: reader.key().clone(),
            limits,
            projection: projection.as_ref(),
        };
        let key = reader.key().clone();
        let mut tally = TallyBuilder::new();
        let mut current = RawBlock::default();
        let mut next = RawBlock::default();
        reader.raw_block(JSONL_BATCH, &mut current);
        while !current.is_empty() {
            // The workers split, parse and evaluate this block while this thread reads the
            // next one's bytes.
            let mut batch: Option<Batch> = None;
            rayon::in_place_scope(|s| {
                s.spawn(|_| batch = Some(evaluate(&job, &current, period, &[])));
                reader.raw_block(JSONL_BATCH, &mut next);
            });
            let Some(batch) = batch else {
                unreachable!("the scope waits for its task")
            };
            // In input order: rejected records, then duplicate ids (first one wins), then
            // the line that ended the block unread.
            let mut stop = false;
            let mut duplicates: Vec<usize> = Vec::new();
            let tail = current.tail.take();
            for line in batch.lines {
                let problem = match line {
                    Line::Chart(digest, n) => reader.check_id(digest, n).err().inspect(|_| {
                        duplicates.push(n);
                    }),
                    // A duplicate is reported as one (its evaluation is not).
                    Line::Stopped(digest, n, e) => {
                        Some(reader.check_id(digest, n).err().unwrap_or(e))
                    }
                    Line::Rejected(e) => Some(e),
                };
                if let Some(e) = problem {
                    stop = stop || rejected(e).is_break();
                }
            }
            if let Some(e) = tail {
                stop = stop || rejected(e).is_break();
            }
            if duplicates.is_empty() {
                tally.merge(batch.tally);
            } else {
                // Rare: evaluate the block again without the repeated charts.
                let again = evaluate(&job, &current, period, &duplicates);
                tally.merge(again.tally);
            }
            if stop {
                break;
            }
            // The block just evaluated lends its memory to the one after next.
            std::mem::swap(&mut current, &mut next);
        }
        tally.finish(library, &key)
    }

    /// What the workers share.
    struct Job<'a> {
        library: &'a Library,
        run: &'a Run<'a>,
        key: ChartKey,
        limits: Limits,
        projection: Option<&'a Projection>,
    }

    /// Splits, parses and evaluates the pieces of `block` in parallel, leaving out the
    /// charts on the lines in `skip` (sorted). Each worker folds its charts into a tally of
    /// its own; the few tallies are merged at the end.
    fn evaluate(
        job: &Job<'_>,
        block: &RawBlock,
        period: &(impl Fn(&Chart) -> Period + Sync),
        skip: &[usize],
    ) -> Batch {
        let (library, key, limits) = (job.library, &job.key, &job.limits);
        type Acc = (Vec<(usize, Vec<Line>)>, TallyBuilder, Vec<Outcome>);
        let pieces: Vec<(&[u8], usize)> = block.pieces().collect();
        let (mut parts, tally) = pieces
            .par_iter()
            .enumerate()
            .fold(
                || -> Acc { (Vec::new(), TallyBuilder::new(), Vec::new()) },
                |(mut parts, mut tally, mut out), (k, &(piece, first))| {
                    let mut fates = Vec::new();
                    split_lines(
                        piece,
                        first,
                        limits,
                        job.projection,
                        |at, parsed| match parsed {
                            Ok(c) => {
                                let ch = &c.chart;
                                let digest = key.digest(ch.round, &ch.practice, &ch.id);
                                if skip.binary_search(&at).is_err() {
                                    let p = period(ch);
                                    if let Err(e) = job.run.evaluate(library, ch, p, &mut out) {
                                        // Not counted; reported against its line.
                                        fates.push(Line::Stopped(
                                            digest,
                                            at,
                                            e.to_record_error(c.line),
                                        ));
                                        return;
                                    }
                                    tally.add(library, ch, digest, p, &out);
                                }
                                fates.push(Line::Chart(digest, at));
                            }
                            Err(e) => fates.push(Line::Rejected(e)),
                        },
                    );
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
