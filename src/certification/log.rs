//! The certification log as an append-only store of lines, and the snapshot of its fold.
//!
//! A log file is a header line naming the format and holding the [`Rules`], then one line
//! per append: a single event (a JSON object) or, for an append of several events that
//! stand or fall together, a JSON array of them. An append writes its whole line, newline
//! included, at the end of the file and syncs it, so a log cut anywhere (a killed writer, a
//! full disk) is the old log plus at most one partial last line. A last line that does not
//! parse and has no newline is such a cut: it was never committed, readers ignore it and the
//! next writer removes it. Any other line that does not parse, or an event the fold
//! refuses, is an error naming the line.
//!
//! Appending must not cost a replay of the whole log, so a [`LogSnapshot`] kept beside the
//! log holds the fold up to a byte offset, with digests of the header line and of the last
//! line before that offset. A writer that finds them matching the log folds only the lines
//! after the offset; any mismatch (the log was edited, truncated or replaced) falls back to
//! the full replay. The snapshot is a cache: deleting it only costs one replay.
//!
//! This module reads and writes bytes; opening, locking and syncing files is the caller's
//! (the command line does it in `oncoqual certify apply`). The legacy single-object format
//! (`{"rules": {...}, "log": [...]}`) is still read.

use serde::{Deserialize, Serialize};

use super::standards::Standards;
use super::workflow::{Event, Refused, ReplayError, Rules, RulesError, State, Workflow};
use crate::chart::Date;

/// The `format` value of a log's header line.
pub const LOG_FORMAT: &str = "oncoqual-certification-log";
const LOG_VERSION: u32 = 1;
const SNAPSHOT_FORMAT: &str = "oncoqual-certification-state";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    version: u32,
    #[serde(default)]
    rules: Rules,
}

#[derive(Deserialize)]
struct Probe {
    format: Option<String>,
}

/// Which of the two formats a log was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// The append-only lines (a header line, then one line per append).
    Lines,
    /// The legacy single JSON object `{"rules": {...}, "log": [...]}`, rewritten in the
    /// lines format by the first append.
    Legacy,
}

/// A log that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// A line (or the legacy object) is not what the format expects.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// The header names another format or version.
    #[error("line 1: not a certification log of format `{LOG_FORMAT}` version 1")]
    UnknownFormat,
    /// The rules are outside their documented ranges.
    #[error(transparent)]
    Rules(#[from] RulesError),
    /// An event of a legacy log is refused by the fold.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// An event of the log is refused by the fold.
    #[error("line {line}: event {index} of the log: {refused}")]
    Refused {
        /// 1-based line holding the event.
        line: u64,
        /// 0-based index of the event in the log.
        index: u64,
        /// Why it is refused.
        refused: Refused,
    },
}

/// The header line of a new log (newline included).
pub fn header_line(rules: &Rules) -> String {
    let h = Header {
        format: LOG_FORMAT.to_owned(),
        version: LOG_VERSION,
        rules: *rules,
    };
    serde_json::to_string(&h).unwrap_or_default() + "\n"
}

/// The line appending `events` (newline included): the event itself when there is one, a
/// JSON array when several must be committed together. Empty for no events.
pub fn events_line(events: &[Event]) -> String {
    let text = match events {
        [] => return String::new(),
        [one] => serde_json::to_string(one),
        many => serde_json::to_string(many),
    };
    text.unwrap_or_default() + "\n"
}

fn syntax(line: u64, e: &serde_json::Error) -> LogError {
    // serde_json appends " at line L column C" (of the line it was given): the error says
    // where, in the log, itself.
    let full = e.to_string();
    let message = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i])
        .to_owned();
    LogError::Syntax {
        line,
        column: e.column() as u64,
        message,
    }
}

/// Where a scan of lines stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanned {
    /// Byte offset just past the last committed line (a cut last line is not committed).
    pub end: u64,
    /// Lines read so far (the header included), committed ones only.
    pub lines: u64,
    /// Events folded so far.
    pub events: u64,
    /// Byte range of the last non-blank committed line, if any.
    pub last_line: Option<(u64, u64)>,
}

/// Folds the lines of `bytes` (which start at byte `at.end` of the log, on a line boundary)
/// into `state`, calling `each` with every event accepted; returns where it stopped. A last
/// segment without a newline counts when it parses, and is left out (not committed) when it
/// does not.
pub fn fold_lines(
    bytes: &[u8],
    at: Scanned,
    state: &mut State,
    rules: &Rules,
    standards: &Standards,
    mut each: impl FnMut(Event),
) -> Result<Scanned, LogError> {
    let mut pos = at;
    let mut rest = bytes;
    while !rest.is_empty() {
        let (line, next, complete) = match memchr::memchr(b'\n', rest)
            .and_then(|i| Some((rest.get(..i)?, rest.get(i.checked_add(1)?..)?)))
        {
            Some((line, next)) => (line, next, true),
            None => (rest, &[][..], false),
        };
        // Both are bounded by the log's length, far below `u64::MAX`.
        let len = rest.len().saturating_sub(next.len()) as u64;
        let number = pos.lines.saturating_add(1);
        let text = line.trim_ascii();
        if !text.is_empty() {
            let parsed = if text.first() == Some(&b'[') {
                serde_json::from_slice::<Vec<Event>>(text)
            } else {
                serde_json::from_slice::<Event>(text).map(|e| vec![e])
            };
            let events = match parsed {
                Ok(events) => events,
                Err(_) if !complete => break,
                Err(e) => return Err(syntax(number, &e)),
            };
            for event in events {
                state
                    .apply_mut(&event, rules, standards)
                    .map_err(|refused| LogError::Refused {
                        line: number,
                        index: pos.events,
                        refused,
                    })?;
                pos.events = pos.events.saturating_add(1);
                each(event);
            }
            pos.last_line = Some((pos.end, pos.end.saturating_add(line.len() as u64)));
        }
        pos.end = pos.end.saturating_add(len);
        pos.lines = number;
        rest = next;
    }
    Ok(pos)
}

/// A log read in full.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LogRead {
    /// The workflow: rules, every event and their fold.
    pub workflow: Workflow,
    /// The format it was read in.
    pub format: LogFormat,
    /// The header line's length in bytes (0 for the legacy format).
    pub header_len: u64,
    /// Where the committed lines end (lines format).
    pub scanned: Scanned,
}

/// The header of a lines-format log: its rules and length, or `None` when `bytes` does not
/// start with one (a legacy log).
pub(crate) fn header(bytes: &[u8]) -> Result<Option<(Rules, u64)>, LogError> {
    let Some(nl) = memchr::memchr(b'\n', bytes) else {
        // A header is always written whole (a new log is renamed into place).
        return Ok(None);
    };
    let first = bytes.get(..nl).unwrap_or_default();
    match serde_json::from_slice::<Probe>(first) {
        Ok(Probe { format: Some(f) }) if f == LOG_FORMAT => {
            let h: Header = serde_json::from_slice(first).map_err(|e| syntax(1, &e))?;
            if h.version != LOG_VERSION {
                return Err(LogError::UnknownFormat);
            }
            h.rules.validate()?;
            Ok(Some((h.rules, (nl as u64).saturating_add(1))))
        }
        Ok(Probe { format: Some(_) }) => Err(LogError::UnknownFormat),
        _ => Ok(None),
    }
}

/// Reads a whole log in either format, checks its rules and replays it.
pub fn read_log(bytes: &[u8], standards: &Standards) -> Result<LogRead, LogError> {
    match header(bytes)? {
        Some((rules, header_len)) => {
            let mut state = State::default();
            let mut log = Vec::new();
            let start = Scanned {
                end: header_len,
                lines: 1,
                events: 0,
                last_line: None,
            };
            let scanned = fold_lines(
                bytes.get(header_len as usize..).unwrap_or_default(),
                start,
                &mut state,
                &rules,
                standards,
                |e| log.push(e),
            )?;
            Ok(LogRead {
                workflow: Workflow::from_parts(rules, log, state),
                format: LogFormat::Lines,
                header_len,
                scanned,
            })
        }
        None => {
            let (rules, events) =
                Workflow::legacy_parts(bytes).map_err(|e| syntax(e.line() as u64, &e))?;
            rules.validate()?;
            let n = events.len() as u64;
            let workflow = Workflow::replay(rules, events, standards)?;
            Ok(LogRead {
                workflow,
                format: LogFormat::Legacy,
                header_len: 0,
                scanned: Scanned {
                    end: bytes.len() as u64,
                    lines: 0,
                    events: n,
                    last_line: None,
                },
            })
        }
    }
}

/// The fold of a log up to a byte offset, kept beside the log so an append folds only
/// what follows. It carries digests of the log's header line and of its last line before
/// the offset: a log edited under it no longer matches, and is replayed in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSnapshot {
    format: String,
    version: u32,
    rules: Rules,
    /// Where the fold stopped.
    end: u64,
    lines: u64,
    events: u64,
    last_line: Option<(u64, u64)>,
    /// BLAKE3 of the header line, hex.
    header: String,
    /// BLAKE3 of the last line before `end`, hex (empty without one).
    tail: String,
    /// The state, its participation list left empty: it is kept in `participation`.
    state: State,
    /// The participation dates as runs of one date and its count, so a log of many
    /// participations on few dates keeps a small snapshot.
    participation: Vec<(Date, u64)>,
}

/// Consecutive equal dates as (date, count).
fn runs(dates: &[Date]) -> Vec<(Date, u64)> {
    let mut out: Vec<(Date, u64)> = Vec::new();
    for d in dates {
        match out.last_mut() {
            Some((last, n)) if last == d => *n = n.saturating_add(1),
            _ => out.push((*d, 1)),
        }
    }
    out
}

fn digest(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

impl LogSnapshot {
    /// The snapshot of a log whose header line is `header` and whose committed lines, up to
    /// `scanned`, fold to `state`; `last_line` holds the bytes of `scanned.last_line`.
    pub fn new(
        rules: Rules,
        state: &State,
        scanned: Scanned,
        header: &[u8],
        last_line: &[u8],
    ) -> LogSnapshot {
        LogSnapshot {
            format: SNAPSHOT_FORMAT.to_owned(),
            version: LOG_VERSION,
            rules,
            end: scanned.end,
            lines: scanned.lines,
            events: scanned.events,
            last_line: scanned.last_line,
            header: digest(header),
            tail: if scanned.last_line.is_some() {
                digest(last_line)
            } else {
                String::new()
            },
            state: state.clone_without_participation(),
            participation: runs(&state.participation),
        }
    }

    /// Reads a snapshot; `None` when it is not one (it is then ignored).
    pub fn from_json(bytes: &[u8]) -> Option<LogSnapshot> {
        serde_json::from_slice::<LogSnapshot>(bytes)
            .ok()
            .filter(|s| s.format == SNAPSHOT_FORMAT && s.version == LOG_VERSION)
    }

    /// The snapshot as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The byte range of the log's last line before the snapshot's offset, to read and
    /// hand to [`LogSnapshot::matches`].
    pub fn last_line(&self) -> Option<(u64, u64)> {
        self.last_line
    }

    /// Where the fold stopped.
    pub fn scanned(&self) -> Scanned {
        Scanned {
            end: self.end,
            lines: self.lines,
            events: self.events,
            last_line: self.last_line,
        }
    }

    /// Whether the snapshot belongs to a log of `log_len` bytes whose header line is
    /// `header` (with these rules) and whose bytes in [`LogSnapshot::last_line`] are
    /// `last_line`.
    pub fn matches(&self, rules: &Rules, log_len: u64, header: &[u8], last_line: &[u8]) -> bool {
        self.rules == *rules
            // Every event takes at least a byte of the log, and every participation is an
            // event: a snapshot claiming more is forged (and must not size an allocation).
            && self.events <= self.end
            && self.participations().is_some_and(|n| n <= self.events)
            && self.end <= log_len
            && self.end >= header.len() as u64
            && self.header == digest(header)
            && match self.last_line {
                Some((a, b)) => {
                    a < b
                        && b <= self.end
                        && Some(last_line.len() as u64) == b.checked_sub(a)
                        && self.tail == digest(last_line)
                }
                None => self.end == header.len() as u64 && self.events == 0,
            }
    }

    /// The participations the snapshot holds, `None` past `u64`.
    fn participations(&self) -> Option<u64> {
        self.participation
            .iter()
            .try_fold(0u64, |sum, r| sum.checked_add(r.1))
    }

    /// The folded state; `None` when the snapshot holds more participations than events
    /// (a forged snapshot, never one [`LogSnapshot::new`] wrote).
    pub fn into_state(self) -> Option<State> {
        let total = self.participations().filter(|&n| n <= self.events)?;
        let mut state = self.state;
        state.participation = Vec::with_capacity(usize::try_from(total).ok()?);
        for (date, n) in self.participation {
            state
                .participation
                .extend(std::iter::repeat_n(date, usize::try_from(n).unwrap_or(0)));
        }
        Some(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(json: &str) -> Event {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_log_cut_inside_its_last_line_reads_as_the_log_before_it() {
        let standards = Standards::bundled();
        let mut text = header_line(&Rules::default());
        text += &events_line(&[ev(
            r#"{"event":"application_opened","date":"2027-03-01","verdict":{"practice":"P1","round":"2026-2","score":"0.8125","charts":60,"issued_on":"2027-01-15","valid_until":"2028-01-15","report_fingerprint":"r1","final_report":true,"computed_on":"2027-03-01","threshold":"0.75","min_unique_charts":30,"webinar":{"date":"2027-02-01","format":"live"}}}"#,
        )]);
        let whole = text.len();
        text += &events_line(&[
            ev(
                r#"{"event":"step_completed","date":"2027-03-02","step":"agreements","signed_by":"Dr A"}"#,
            ),
            ev(r#"{"event":"step_completed","date":"2027-03-03","step":"practice_questionnaire"}"#),
        ]);
        let full = read_log(text.as_bytes(), standards).unwrap();
        assert_eq!(full.workflow.log.len(), 3);
        for cut in whole..text.len() - 1 {
            let r = read_log(&text.as_bytes()[..cut], standards).unwrap();
            assert_eq!(r.workflow.log.len(), 1, "cut at {cut}");
            assert_eq!(r.scanned.end, whole as u64);
        }
        // The batch without its newline parses whole: committed.
        let r = read_log(&text.as_bytes()[..text.len() - 1], standards).unwrap();
        assert_eq!(r.workflow.log.len(), 3);
    }

    #[test]
    fn a_bad_line_inside_the_log_is_an_error_naming_it() {
        let mut text = header_line(&Rules::default());
        text += "{\"event\":\"nonsense\"}\n";
        let e = read_log(text.as_bytes(), Standards::bundled()).unwrap_err();
        assert!(matches!(e, LogError::Syntax { line: 2, .. }), "{e}");
    }

    #[test]
    fn rules_out_of_range_in_a_header_are_refused_naming_the_field() {
        let text = "{\"format\":\"oncoqual-certification-log\",\"version\":1,\"rules\":{\"pending_lapse_months\":12,\"term_months\":0,\"renewal_opens_months_before\":12,\"renewal_closes_months_before\":9,\"participation_months\":12}}\n";
        let e = read_log(text.as_bytes(), Standards::bundled()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "rules: `term_months` is 0, outside its range 1–120"
        );
    }

    #[test]
    fn a_snapshot_claiming_more_participations_than_events_is_not_trusted() {
        let rules = Rules::default();
        let header = header_line(&rules);
        let scanned = Scanned {
            end: header.len() as u64,
            lines: 1,
            events: 0,
            last_line: None,
        };
        let snap = LogSnapshot::new(rules, &State::default(), scanned, header.as_bytes(), b"");
        let mut v: serde_json::Value = serde_json::from_str(&snap.to_json()).unwrap();
        v["participation"] = serde_json::json!([["2027-01-01", u64::MAX], ["2027-02-01", 5]]);
        let forged = LogSnapshot::from_json(v.to_string().as_bytes()).unwrap();
        assert!(!forged.matches(&rules, header.len() as u64, header.as_bytes(), b""));
        // Before, this summed past u64 and sized a vector by the claim.
        assert!(forged.into_state().is_none());
        assert!(snap.into_state().is_some());
    }
}
