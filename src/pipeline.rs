//! The one driver that joins the stages: JSONL text → parse and validate (`io`) → evaluate
//! (`measure`) → fold into a tally (`benchmark`), in batches, on every core with the
//! `parallel` feature. The CLI, the benches and embedders run charts through here; the
//! stages below know nothing of each other's drivers.
//!
//! Three entry points: [`tally_jsonl`] over a stream (the whole pipeline), and
//! [`tally_charts`] / [`tally_parallel`] over charts already in memory. Each gives the same
//! tally whatever the thread count: tallies merge commutatively.

use crate::benchmark::{Tally, TallyBuilder, TallyError};
use crate::chart::round::Period;
use crate::chart::{Chart, ChartKey};
use crate::measure::{Library, Outcome};

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
    mut rejected: impl FnMut(crate::io::RecordError) -> std::ops::ControlFlow<()>,
) -> Result<Tally, TallyError> {
    #[cfg(feature = "parallel")]
    {
        batched::run(library, reader, &period, &mut rejected)
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
                    if let Err(e) = library.try_evaluate_into(&c.chart, p, &mut out) {
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

    use super::{Chart, JSONL_BATCH, Library, Outcome, Period, Tally, TallyBuilder, TallyError};
    use crate::chart::{ChartDigest, ChartKey};
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
        period: &(impl Fn(&Chart) -> Period + Sync),
        rejected: &mut impl FnMut(RecordError) -> ControlFlow<()>,
    ) -> Result<Tally, TallyError> {
        let limits = *reader.limits();
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
                s.spawn(|_| batch = Some(evaluate(library, &key, &current, &limits, period, &[])));
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
                let again = evaluate(library, &key, &current, &limits, period, &duplicates);
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

    /// Splits, parses and evaluates the pieces of `block` in parallel, leaving out the
    /// charts on the lines in `skip` (sorted). Each worker folds its charts into a tally of
    /// its own; the few tallies are merged at the end.
    fn evaluate(
        library: &Library,
        key: &ChartKey,
        block: &RawBlock,
        limits: &Limits,
        period: &(impl Fn(&Chart) -> Period + Sync),
        skip: &[usize],
    ) -> Batch {
        type Acc = (Vec<(usize, Vec<Line>)>, TallyBuilder, Vec<Outcome>);
        let pieces: Vec<(&[u8], usize)> = block.pieces().collect();
        let (mut parts, tally) = pieces
            .par_iter()
            .enumerate()
            .fold(
                || -> Acc { (Vec::new(), TallyBuilder::new(), Vec::new()) },
                |(mut parts, mut tally, mut out), (k, &(piece, first))| {
                    let mut fates = Vec::new();
                    split_lines(piece, first, limits, |at, parsed| match parsed {
                        Ok(c) => {
                            let ch = &c.chart;
                            let digest = key.digest(ch.round, &ch.practice, &ch.id);
                            if skip.binary_search(&at).is_err() {
                                let p = period(ch);
                                if let Err(e) = library.try_evaluate_into(ch, p, &mut out) {
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
                    });
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
