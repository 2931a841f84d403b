//! A streaming JSONL reader: one chart per line, every bad record reported, every good one
//! handed on. Memory is bounded by the longest accepted line and the set of chart ids seen.

use std::io::{BufRead, ErrorKind};

use super::Limits;
use super::ledger::ChartLedger;
use std::sync::Arc;

use super::parse::{CheckedChart, RecordError, parse_with};
use crate::chart::{ChartDigest, ChartKey, Finding, FindingKind, Projection};

/// One record of a JSONL stream: a valid chart (with its warnings) or a rejected record.
pub type Record = Result<CheckedChart, RecordError>;

/// Reads charts from JSONL, one record per non-blank line.
///
/// ```
/// use oncoqual::JsonlReader;
/// let input = "{\"id\":\"a\",\"practice\":\"p\",\"round\":\"2026-1\"}\n\
///              {\"id\":\"b\",\"practice\":\"p\",\"round\":\"2026-9\"}\n";
/// let records: Vec<_> = JsonlReader::new(input.as_bytes()).collect();
/// assert!(records[0].is_ok());
/// let err = records[1].as_ref().unwrap_err();
/// assert_eq!(err.line, Some(2));
/// assert_eq!(err.findings[0].path, "round");
/// ```
pub struct JsonlReader<R> {
    input: Source<R>,
    limits: Limits,
    line: usize,
    buf: Vec<u8>,
    /// The charts read so far (of this input, and of earlier ones when shared).
    ledger: ChartLedger,
    /// This input's number in the ledger.
    source: u32,
    /// The lines of the last batch, whose buffers the next batch reuses.
    spare: Vec<RawLine>,
    done: bool,
    /// The fields parsed (all when `None`): see [`JsonlReader::projected`].
    projection: Option<Arc<Projection>>,
}

impl<R: BufRead> JsonlReader<R> {
    /// A reader with the default [`Limits`].
    pub fn new(input: R) -> Self {
        Self::with_limits(input, Limits::default())
    }

    /// A reader with the given limits.
    pub fn with_limits(input: R, limits: Limits) -> Self {
        let mut ledger = ChartLedger::default();
        let source = ledger.open("");
        JsonlReader {
            input: Source {
                input,
                carry: Vec::new(),
                at: 0,
            },
            limits,
            line: 0,
            buf: Vec::new(),
            ledger,
            source,
            spare: Vec::new(),
            done: false,
            projection: None,
        }
    }

    /// A reader (default limits) that records its charts in `ledger`, which earlier inputs
    /// of the same run filled: a chart any of them read is rejected here, naming the input
    /// (`name`) and line where it was first read. Take the ledger back with
    /// [`JsonlReader::into_ledger`] for the next input.
    pub fn with_ledger(input: R, ledger: ChartLedger, name: &str) -> Self {
        Self::new(input).sharing(ledger, name)
    }

    /// This reader, recording its charts in `ledger` as input `name` (see
    /// [`JsonlReader::with_ledger`]).
    pub fn sharing(mut self, mut ledger: ChartLedger, name: &str) -> Self {
        self.source = ledger.open(name);
        self.ledger = ledger;
        self
    }

    /// This reader, parsing only the fields `projection` keeps (`None`, or a full
    /// projection: every field, as [`parse_chart`](crate::io::parse_chart) does); see
    /// [`parse_chart_projected`](crate::io::parse_chart_projected) for what is checked
    /// of the fields it skips.
    ///
    /// ```
    /// use oncoqual::JsonlReader;
    /// use oncoqual::chart::Projection;
    /// let input = "{\"id\":\"a\",\"practice\":\"p\",\"round\":\"2026-1\",\"patient\":{\"sex\":\"male\"}}\n";
    /// let p = Projection::from_paths(["death"]);
    /// let mut reader = JsonlReader::new(input.as_bytes()).projected(Some(p));
    /// let chart = reader.next().unwrap().unwrap().chart;
    /// assert!(chart.patient.sex.is_none());
    /// ```
    pub fn projected(mut self, projection: Option<Projection>) -> Self {
        self.projection = projection.filter(|p| !p.is_full()).map(Arc::new);
        self
    }

    /// Replaces the projection (see [`JsonlReader::projected`]); the one it had.
    pub(crate) fn set_projection(
        &mut self,
        projection: Option<Arc<Projection>>,
    ) -> Option<Arc<Projection>> {
        std::mem::replace(&mut self.projection, projection.filter(|p| !p.is_full()))
    }

    /// The projection records are parsed under (`None`: every field).
    pub fn projection(&self) -> Option<&Projection> {
        self.projection.as_deref()
    }

    /// The ledger of every chart read, for the next input of the run.
    pub fn into_ledger(self) -> ChartLedger {
        self.ledger
    }

    /// The key chart digests are computed under (the ledger's).
    pub fn key(&self) -> &ChartKey {
        self.ledger.key()
    }

    /// Reads the next line into `buf` (without the newline). Returns `Ok(false)` at end of
    /// input, `Ok(true)` for a line, and an error finding for an over-long line (which is
    /// skipped to its end without being kept in memory).
    fn next_line(&mut self) -> Result<bool, FindingKind> {
        self.buf.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(FindingKind::Io {
                        message: e.kind().to_string(),
                    });
                }
            };
            if chunk.is_empty() {
                return if too_long {
                    Err(FindingKind::LineTooLong {
                        limit: self.limits.max_line_bytes,
                    })
                } else {
                    Ok(any)
                };
            }
            any = true;
            // The line's bytes in this chunk, and what to consume: the newline too, when
            // the chunk holds one.
            let (piece, end) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (chunk.split_at_checked(i).map_or(chunk, |(p, _)| p), Some(i)),
                None => (chunk, None),
            };
            let take = piece.len();
            if !too_long {
                if self.buf.len().saturating_add(take) > self.limits.max_line_bytes {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(piece);
                }
            }
            // `i < chunk.len()`: the newline's end cannot overflow.
            let end = end.map(|i| i.saturating_add(1));
            let consumed = end.unwrap_or(take);
            self.input.consume(consumed);
            if end.is_some() {
                return if too_long {
                    Err(FindingKind::LineTooLong {
                        limit: self.limits.max_line_bytes,
                    })
                } else {
                    Ok(true)
                };
            }
        }
    }
}

/// The input, and bytes read from it ahead of the lines taken so far (by
/// [`JsonlReader::raw_block`], which reads straight into its block): they come first.
struct Source<R> {
    input: R,
    carry: Vec<u8>,
    /// Where the bytes of `carry` not consumed yet start.
    at: usize,
}

impl<R: BufRead> Source<R> {
    /// As [`BufRead::fill_buf`], the carried bytes first.
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.at < self.carry.len() {
            return Ok(self.carry.get(self.at..).unwrap_or_default());
        }
        self.input.fill_buf()
    }

    /// As [`BufRead::consume`], of what [`Source::fill_buf`] gave.
    fn consume(&mut self, n: usize) {
        if self.at < self.carry.len() {
            self.at = self.at.saturating_add(n);
            if self.at >= self.carry.len() {
                self.carry.clear();
                self.at = 0;
            }
        } else {
            self.input.consume(n);
        }
    }
}

/// A line read but not parsed yet: its text and line number, or why it cannot be parsed.
pub(crate) type RawLine = Result<(String, usize), RecordError>;

impl<R: BufRead> JsonlReader<R> {
    /// The next non-blank line as text (not parsed yet), or the error that stops it from
    /// being parsed (an over-long line, invalid UTF-8, a read error).
    pub(crate) fn next_raw(&mut self) -> Option<RawLine> {
        self.next_raw_into(None)
    }

    /// As [`JsonlReader::next_raw`], writing the text into `reuse` (its allocation kept)
    /// when given.
    fn next_raw_into(&mut self, reuse: Option<String>) -> Option<RawLine> {
        loop {
            if self.done {
                return None;
            }
            let read = self.next_line();
            // A line counter: it cannot reach `usize::MAX`.
            self.line = self.line.saturating_add(1);
            let line = Some(self.line);
            match read {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(kind) => {
                    if matches!(kind, FindingKind::Io { .. }) {
                        self.done = true;
                    }
                    return Some(Err(RecordError::single(
                        line,
                        None,
                        Finding::error("", kind),
                    )));
                }
                Ok(true) => {}
            }
            let line_bytes = self.buf.strip_suffix(b"\r").unwrap_or(&self.buf);
            if line_bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let end = line_bytes.len();
            let text = match reuse {
                // The line's bytes are handed over as they are and the spare buffer takes
                // their place, so the text is not copied again. Only a spare of about the
                // right size: kept buffers must not creep up to the longest line ever read.
                Some(spare) if spare.capacity() <= end.max(4096).saturating_mul(2) => {
                    let mut spare = spare.into_bytes();
                    spare.clear();
                    let mut bytes = std::mem::replace(&mut self.buf, spare);
                    bytes.truncate(end);
                    String::from_utf8(bytes).map_err(|e| e.utf8_error())
                }
                _ => std::str::from_utf8(self.buf.strip_suffix(b"\r").unwrap_or(&self.buf))
                    .map(str::to_owned),
            };
            return Some(match text {
                Ok(t) => Ok((t, self.line)),
                Err(e) => Err(RecordError::single(
                    line,
                    // A column within the line: below `usize::MAX`.
                    Some(e.valid_up_to().saturating_add(1)),
                    Finding::error("", FindingKind::NotUtf8),
                )),
            });
        }
    }

    /// Reads up to `max` (at least one) lines, not parsed yet, into `out` (cleared first).
    ///
    /// The text buffers of the lines already in `out` are reused, so a caller that passes
    /// the same vectors batch after batch allocates (and faults in) its line memory once.
    pub(crate) fn raw_batch(&mut self, max: usize, out: &mut Vec<RawLine>) {
        let mut spare: Vec<String> = out
            .drain(..)
            .filter_map(|r| r.ok().map(|(t, _)| t))
            .collect();
        while out.len() < max.max(1) {
            match self.next_raw_into(spare.pop()) {
                Some(r) => out.push(r),
                None => break,
            }
        }
    }

    /// The limits records are parsed with.
    #[cfg(feature = "parallel")]
    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Rejects a chart that an earlier record of this stream (or of the ledger's earlier
    /// inputs) already gave: the same id, practice and round.
    pub(crate) fn dedupe(&mut self, record: Record) -> Record {
        let checked = record?;
        let line = checked.line.unwrap_or(self.line);
        let c = &checked.chart;
        let digest = self.ledger.key().digest(c.round, &c.practice, &c.id);
        self.check_id(digest, line)?;
        Ok(checked)
    }

    /// Records the chart `digest` read on `line`; an error if an earlier record gave it.
    pub(crate) fn check_id(&mut self, digest: ChartDigest, line: usize) -> Result<(), RecordError> {
        self.ledger.check(digest, self.source, line)
    }

    /// Reads up to `max` records into `out` (cleared first): exactly the records, in the
    /// order and with the errors that iterating would give, but parsed and validated in
    /// parallel with the `parallel` feature. Returns `false` once the input is exhausted
    /// (and `out` is empty).
    ///
    /// ```
    /// use oncoqual::JsonlReader;
    /// let input = "{\"id\":\"a\",\"practice\":\"p\",\"round\":\"2026-1\"}\n\
    ///              {\"id\":\"a\",\"practice\":\"p\",\"round\":\"2026-1\"}\n";
    /// let mut reader = JsonlReader::new(input.as_bytes());
    /// let mut batch = Vec::new();
    /// assert!(reader.next_batch(100, &mut batch));
    /// assert!(batch[0].is_ok());
    /// assert_eq!(batch[1].as_ref().unwrap_err().findings[0].path, "id"); // a duplicate
    /// assert!(!reader.next_batch(100, &mut batch));
    /// ```
    pub fn next_batch(&mut self, max: usize, out: &mut Vec<Record>) -> bool {
        out.clear();
        let mut raw = std::mem::take(&mut self.spare);
        self.raw_batch(max, &mut raw);
        let limits = &self.limits;
        let projection = self.projection.as_deref();
        let parse = |r: &RawLine| parse_raw_ref(r, limits, projection);
        #[cfg(feature = "parallel")]
        let parsed: Vec<Option<Record>> = {
            use rayon::prelude::*;
            raw.par_iter().map(parse).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let parsed: Vec<Option<Record>> = raw.iter().map(parse).collect();
        for (record, line) in parsed.into_iter().zip(raw.iter_mut()) {
            // A line that could not be read keeps its error in the batch: take it.
            let record =
                record.unwrap_or_else(|| match std::mem::replace(line, Ok((String::new(), 0))) {
                    Err(e) => Err(e),
                    Ok(_) => unreachable!("only an unreadable line has no parse"),
                });
            let record = self.dedupe(record);
            out.push(record);
        }
        self.spare = raw;
        !out.is_empty()
    }
}

/// Whole lines read as bytes, not split yet: a worker splits, checks and parses them
/// ([`split_lines`]), so that reading costs this thread a copy and a newline search only.
#[cfg(feature = "parallel")]
#[derive(Debug, Default)]
pub(crate) struct RawBlock {
    /// The lines' bytes (the first `len`), each ending in a newline but maybe the last of
    /// the input. Past `len`: room to read into, kept from block to block.
    pub(crate) bytes: Vec<u8>,
    pub(crate) len: usize,
    /// Runs of whole lines in `bytes` (its end, and the number of its first line), short
    /// enough to share out among workers.
    pub(crate) pieces: Vec<(usize, usize)>,
    /// The line after them when it could not be read (too long, or a read error): it ends
    /// the block.
    pub(crate) tail: Option<RecordError>,
}

#[cfg(feature = "parallel")]
impl RawBlock {
    /// Whether it holds nothing: the input is exhausted.
    pub(crate) fn is_empty(&self) -> bool {
        self.pieces.is_empty() && self.tail.is_none()
    }

    /// Each piece: its bytes and the number of its first line.
    pub(crate) fn pieces(&self) -> impl Iterator<Item = (&[u8], usize)> {
        let mut start = 0;
        self.pieces.iter().map(move |&(end, first)| {
            let piece = self.bytes.get(start..end).unwrap_or_default();
            start = end;
            (piece, first)
        })
    }
}

/// Lines (or bytes) per piece of a [`RawBlock`].
#[cfg(feature = "parallel")]
const PIECE_LINES: usize = 32;
#[cfg(feature = "parallel")]
const PIECE_BYTES: usize = 1 << 18;
/// Bytes asked of the input per read of [`JsonlReader::raw_block`]: more than the CLI's
/// `BufReader` holds (1 MiB), so that it reads straight into the block.
#[cfg(feature = "parallel")]
const READ_BYTES: usize = 1 << 21;

#[cfg(feature = "parallel")]
impl<R: BufRead> JsonlReader<R> {
    /// Reads up to `max` (at least one) lines as bytes into `out` (cleared first, its
    /// memory kept), for [`split_lines`]: the same lines, numbers and errors as
    /// [`JsonlReader::raw_batch`], blank lines included (the split skips them).
    pub(crate) fn raw_block(&mut self, max: usize, out: &mut RawBlock) {
        out.len = 0;
        out.pieces.clear();
        out.tail = None;
        let max = max.max(1);
        let limit = self.limits.max_line_bytes;
        // Lines taken, where the current (unfinished) line starts, where the current
        // piece starts, and that piece's lines.
        let (mut lines, mut line_start, mut piece_start, mut piece_lines) =
            (0usize, 0usize, 0usize, 0usize);
        // Numbers stay far below `usize::MAX`: a line counter.
        let first = self.line.saturating_add(1);
        while !self.done && lines < max {
            // The bytes carried from the last block, else a read straight into this one
            // (a `BufReader` with nothing buffered passes a read this long through).
            let from = out.len;
            let n = if self.input.at < self.input.carry.len() {
                let carry = std::mem::take(&mut self.input.carry);
                let rest = carry.get(self.input.at..).unwrap_or_default();
                let to = from.saturating_add(rest.len());
                if out.bytes.len() < to {
                    out.bytes.resize(to, 0);
                }
                if let Some(room) = out.bytes.get_mut(from..to) {
                    room.copy_from_slice(rest);
                }
                let n = rest.len();
                // Its memory is kept for the next carry.
                self.input.carry = carry;
                self.input.carry.clear();
                self.input.at = 0;
                n
            } else {
                let to = from.saturating_add(READ_BYTES);
                if out.bytes.len() < to {
                    out.bytes.resize(to, 0);
                }
                let room = out.bytes.get_mut(from..to).unwrap_or_default();
                match std::io::Read::read(&mut self.input.input, room) {
                    Ok(n) => n.min(READ_BYTES),
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => {
                        // The unfinished line is lost; the error is that line's.
                        out.len = line_start;
                        self.done = true;
                        out.tail = Some(RecordError::single(
                            Some(first.saturating_add(lines)),
                            None,
                            Finding::error(
                                "",
                                FindingKind::Io {
                                    message: e.kind().to_string(),
                                },
                            ),
                        ));
                        break;
                    }
                }
            };
            if n == 0 {
                self.done = true;
                if line_start < out.len {
                    lines = lines.saturating_add(1);
                    piece_lines = piece_lines.saturating_add(1);
                }
                break;
            }
            // Within `bytes`: below `usize::MAX`.
            let end_read = from.saturating_add(n);
            out.len = end_read;
            let new = out.bytes.get(from..end_read).unwrap_or_default();
            for i in memchr::memchr_iter(b'\n', new) {
                lines = lines.saturating_add(1);
                piece_lines = piece_lines.saturating_add(1);
                let end = from.saturating_add(i).saturating_add(1);
                line_start = end;
                if piece_lines >= PIECE_LINES || end.saturating_sub(piece_start) >= PIECE_BYTES {
                    let number = first.saturating_add(lines).saturating_sub(piece_lines);
                    out.pieces.push((end, number));
                    (piece_start, piece_lines) = (end, 0);
                }
                if lines >= max {
                    // The bytes after line `max` are the next block's.
                    self.input
                        .carry
                        .extend_from_slice(out.bytes.get(end..end_read).unwrap_or_default());
                    out.len = end;
                    break;
                }
            }
            if out.len.saturating_sub(line_start) > limit {
                // A line longer than the limit: skipped to its end without being kept.
                out.len = line_start;
                let kind = self.skip_line();
                out.tail = Some(RecordError::single(
                    Some(first.saturating_add(lines)),
                    None,
                    Finding::error("", kind),
                ));
                break;
            }
        }
        if piece_start < out.len || piece_lines > 0 {
            let number = first.saturating_add(lines).saturating_sub(piece_lines);
            out.pieces.push((out.len, number));
        }
        // The tail's line counts as read.
        let read = lines.saturating_add(usize::from(out.tail.is_some()));
        self.line = self.line.saturating_add(read);
    }

    /// Skips the rest of an over-long line; why it was not read (too long, or a read
    /// error that ends the input).
    fn skip_line(&mut self) -> FindingKind {
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return FindingKind::Io {
                        message: e.kind().to_string(),
                    };
                }
            };
            if chunk.is_empty() {
                self.done = true;
                break;
            }
            match memchr::memchr(b'\n', chunk) {
                Some(i) => {
                    self.input.consume(i.saturating_add(1));
                    break;
                }
                None => {
                    let n = chunk.len();
                    self.input.consume(n);
                }
            }
        }
        FindingKind::LineTooLong {
            limit: self.limits.max_line_bytes,
        }
    }
}

/// Splits a piece of a [`RawBlock`] (its first line numbered `first`) into lines and parses
/// each non-blank one, as [`JsonlReader::raw_batch`] and [`parse_raw_ref`] would: `each`
/// gets every record, in order, with its line number.
#[cfg(feature = "parallel")]
pub(crate) fn split_lines(
    piece: &[u8],
    first: usize,
    limits: &Limits,
    projection: Option<&Projection>,
    mut each: impl FnMut(usize, Record),
) {
    let mut start = 0;
    let mut number = first;
    while start < piece.len() {
        let end = memchr::memchr(b'\n', piece.get(start..).unwrap_or_default())
            .map_or(piece.len(), |i| start.saturating_add(i));
        let line = piece.get(start..end).unwrap_or_default();
        start = end.saturating_add(1);
        let at = number;
        number = number.saturating_add(1);
        if line.len() > limits.max_line_bytes {
            let kind = FindingKind::LineTooLong {
                limit: limits.max_line_bytes,
            };
            each(
                at,
                Err(RecordError::single(
                    Some(at),
                    None,
                    Finding::error("", kind),
                )),
            );
            continue;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record = match std::str::from_utf8(line) {
            Ok(text) => parse_with(text, limits, Some(at), projection),
            Err(e) => Err(RecordError::single(
                Some(at),
                // A column within the line: below `usize::MAX`.
                Some(e.valid_up_to().saturating_add(1)),
                Finding::error("", FindingKind::NotUtf8),
            )),
        };
        each(at, record);
    }
}

/// Parses and validates a line read by [`JsonlReader::raw_batch`] (any thread).
fn parse_raw(raw: RawLine, limits: &Limits, projection: Option<&Projection>) -> Record {
    raw.and_then(|(text, line)| parse_with(&text, limits, Some(line), projection))
}

/// As [`parse_raw`], borrowing the line; `None` for a line that could not be read (its
/// error stays in the batch).
pub(crate) fn parse_raw_ref(
    raw: &RawLine,
    limits: &Limits,
    projection: Option<&Projection>,
) -> Option<Record> {
    match raw {
        Ok((text, line)) => Some(parse_with(text, limits, Some(*line), projection)),
        Err(_) => None,
    }
}

impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        let record = parse_raw(self.next_raw()?, &self.limits, self.projection.as_deref());
        Some(self.dedupe(record))
    }
}

#[cfg(all(test, feature = "parallel"))]
mod tests {
    use std::io::BufReader;

    use super::{JsonlReader, Limits, RawBlock, RawLine, parse_raw_ref, split_lines};

    /// A record as the tests compare it: line, chart id or error text.
    fn show(line: usize, record: &super::Record) -> String {
        match record {
            Ok(c) => format!("{line} ok {} {:?}", c.chart.id.as_str(), c.line),
            Err(e) => format!("{line} {e}"),
        }
    }

    /// Lines read by [`JsonlReader::raw_batch`], then parsed one by one.
    fn by_lines(input: &[u8], buffer: usize, limits: Limits) -> Vec<String> {
        let mut reader = JsonlReader::with_limits(BufReader::with_capacity(buffer, input), limits);
        let mut out = Vec::new();
        let mut batch: Vec<RawLine> = Vec::new();
        loop {
            reader.raw_batch(5, &mut batch);
            if batch.is_empty() {
                return out;
            }
            for raw in &batch {
                let record = parse_raw_ref(raw, &limits, None)
                    .unwrap_or_else(|| Err(raw.as_ref().unwrap_err().clone()));
                let line = match &record {
                    Ok(c) => c.line.unwrap(),
                    Err(e) => e.line.unwrap(),
                };
                out.push(show(line, &record));
            }
        }
    }

    /// The same input read as blocks of `max` lines and split.
    fn by_blocks(input: &[u8], buffer: usize, limits: Limits, max: usize) -> Vec<String> {
        let mut reader = JsonlReader::with_limits(BufReader::with_capacity(buffer, input), limits);
        let mut out = Vec::new();
        let mut block = RawBlock::default();
        loop {
            reader.raw_block(max, &mut block);
            if block.is_empty() {
                return out;
            }
            for (piece, first) in block.pieces() {
                split_lines(piece, first, &limits, None, |at, r| out.push(show(at, &r)));
            }
            if let Some(e) = block.tail.take() {
                out.push(format!("{} {e}", e.line.unwrap()));
            }
        }
    }

    #[test]
    fn lines_read_after_a_block_start_where_it_ended() {
        // A block reads ahead of its last line; the lines read after it (as lines) start
        // at the next one, whatever was read ahead.
        let mut input = String::new();
        for k in 0..50 {
            input.push_str(&format!(
                "{{\"id\":\"c{k}\",\"practice\":\"p\",\"round\":\"2026-1\"}}\n"
            ));
        }
        let limits = Limits::default();
        for buffer in [1, 64, 1 << 16] {
            let expected = by_lines(input.as_bytes(), buffer, limits);
            for max in [1, 3, 49] {
                let mut reader = JsonlReader::with_limits(
                    BufReader::with_capacity(buffer, input.as_bytes()),
                    limits,
                );
                let mut out = Vec::new();
                let mut block = RawBlock::default();
                reader.raw_block(max, &mut block);
                for (piece, first) in block.pieces() {
                    split_lines(piece, first, &limits, None, |at, r| out.push(show(at, &r)));
                }
                for r in reader {
                    let line = r.as_ref().map_or_else(|e| e.line, |c| c.line).unwrap();
                    out.push(show(line, &r));
                }
                assert_eq!(out, expected, "{buffer} {max}");
            }
        }
    }

    #[test]
    fn blocks_split_into_the_same_records_as_lines() {
        let chart =
            |id: &str| format!("{{\"id\":\"{id}\",\"practice\":\"p\",\"round\":\"2026-1\"}}");
        let mut input: Vec<u8> = Vec::new();
        for k in 0..60 {
            input.extend_from_slice(chart(&format!("c{k}")).as_bytes());
            input.extend_from_slice(match k % 9 {
                0 => b"\r\n".as_slice(),
                1 => b"\n\n   \n\r\n".as_slice(),
                2 => b"\nnot json\n".as_slice(),
                3 => b"\n{\"id\":\"\xff\"}\n".as_slice(),
                // Over the limit below (200 bytes), inside one buffer or across many.
                4 => b"\n{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}\n".as_slice(),
                5 => b"\n\t\n".as_slice(),
                _ => b"\n".as_slice(),
            });
        }
        // A last line without its newline.
        input.extend_from_slice(chart("last").as_bytes());
        let limits = Limits::default().with_max_line_bytes(200);
        for buffer in [1, 7, 64, 1 << 16] {
            let expected = by_lines(&input, buffer, limits);
            assert!(expected.len() > 80, "{}", expected.len());
            assert!(
                expected.iter().any(|e| e.contains("longer")),
                "{expected:?}"
            );
            for max in [1, 3, 32, 4096] {
                assert_eq!(
                    by_blocks(&input, buffer, limits, max),
                    expected,
                    "{buffer} {max}"
                );
            }
        }
        input.extend_from_slice(b"\n");
        assert_eq!(
            by_blocks(&input, 64, limits, 10),
            by_lines(&input, 64, limits)
        );
    }
}
