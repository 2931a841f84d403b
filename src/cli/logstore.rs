//! The certification log's files: the log itself (append-only lines, see
//! `certification::log`), `<log>.lock` (never removed; appenders hold an exclusive lock
//! on it, readers a shared one) and `<log>.state` (the snapshot of the fold, replaced by a
//! temporary file and rename).
//!
//! An append, under the exclusive lock: folds the log (from the snapshot when it matches,
//! otherwise from the start), asks for the events to add given the state, checks them, and
//! only if every one is accepted writes their line at the end of the committed log and
//! syncs it; then refreshes the snapshot. A new log, and a legacy log converted on its
//! first append, are written whole to a temporary file and renamed into place. A refused
//! event writes nothing. The lock file is a separate file so that a log replaced by a
//! rename is still serialised by the same lock.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::certification::{
    Event, LogFormat, LogRead, LogSnapshot, Refused, Rules, Scanned, Standards, State, Workflow,
    events_line, fold_lines, header_line, read_log,
};

fn beside(log: &Path, ext: &str) -> PathBuf {
    let mut name = log.file_name().unwrap_or_default().to_os_string();
    name.push(ext);
    log.with_file_name(name)
}

fn invalid(log: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {e}", log.display()),
    )
}

/// Takes the log's lock: exclusive for an append, shared for a read. Only an appender
/// creates the lock file; a reader that finds none (no append ever ran, or a read-only
/// folder) reads without it: a cut last line is ignored anyway, and a converted log is
/// renamed into place whole. So reading a log leaves nothing beside it.
fn lock(log: &Path, exclusive: bool) -> io::Result<Option<File>> {
    let path = beside(log, ".lock");
    let file = match OpenOptions::new()
        .read(true)
        .write(exclusive)
        .create(exclusive)
        .truncate(false)
        .open(&path)
    {
        Ok(f) => f,
        Err(_) if !exclusive => return Ok(None),
        Err(e) => return Err(super::with_path(e, &path)),
    };
    if exclusive {
        file.lock()
    } else {
        file.lock_shared()
    }
    .map_err(|e| super::with_path(e, &path))?;
    Ok(Some(file))
}

/// Reads the whole log (either format) under a shared lock and replays it.
pub(crate) fn read(log: &Path, standards: &Standards) -> io::Result<Workflow> {
    let _lock = lock(log, false)?;
    let bytes = crate::io::file::read_bytes(log, crate::io::file::MAX_DATA_BYTES)?;
    let r = read_log(&bytes, standards).map_err(|e| invalid(log, e))?;
    Ok(r.workflow)
}

/// What an append did.
pub(crate) enum Appended {
    /// The events were written; the state after them.
    Accepted(Box<State>),
    /// Nothing to add.
    Nothing,
    /// An event was refused; nothing was written.
    Refused(&'static str, Refused),
}

fn read_at(file: &mut File, from: u64, to: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; usize::try_from(to.saturating_sub(from)).unwrap_or(0)];
    file.seek(SeekFrom::Start(from))?;
    file.read_exact(&mut buf)?;
    Ok(buf)
}

/// The fold of a lines-format log from its snapshot, when the snapshot matches the log;
/// reads only the header, the snapshot's last line and what follows it.
fn from_snapshot(
    file: &mut File,
    log: &Path,
    rules: &Rules,
    header: &[u8],
    len: u64,
    standards: &Standards,
) -> io::Result<Option<(State, Scanned)>> {
    let Ok(bytes) = std::fs::read(beside(log, ".state")) else {
        return Ok(None);
    };
    let Some(snap) = LogSnapshot::from_json(&bytes) else {
        return Ok(None);
    };
    let last = match snap.last_line() {
        Some((a, b)) if a < b && b <= len => read_at(file, a, b)?,
        Some(_) => return Ok(None),
        None => Vec::new(),
    };
    if !snap.matches(rules, len, header, &last) {
        return Ok(None);
    }
    let at = snap.scanned();
    let rest = read_at(file, at.end, len)?;
    let Some(mut state) = snap.into_state() else {
        return Ok(None);
    };
    // Lines after the snapshot (a writer killed before refreshing it) are folded here; a
    // refusal among them is the log's error, as the full replay would report.
    let scanned =
        fold_lines(&rest, at, &mut state, rules, standards, |_| {}).map_err(|e| invalid(log, e))?;
    Ok(Some((state, scanned)))
}

fn write_snapshot(
    log: &Path,
    rules: &Rules,
    state: &State,
    scanned: Scanned,
    header: &[u8],
    last_line: &[u8],
) -> io::Result<()> {
    let snap = LogSnapshot::new(*rules, state, scanned, header, last_line);
    super::write_file(&beside(log, ".state"), &[log], snap.to_json().as_bytes())
}

/// Appends the events `make` gives for the current state, all or none, under the log's
/// exclusive lock. A missing log is created with `rules`.
pub(crate) fn append(
    log: &Path,
    rules_if_new: Rules,
    standards: &Standards,
    make: impl FnOnce(&State) -> io::Result<Vec<Event>>,
) -> io::Result<Appended> {
    let _lock = lock(log, true)?;
    // Only a regular file (or nothing) is opened: a FIFO would block the append forever,
    // and a dangling link must not be written through.
    crate::io::file::regular_or_absent(log)?;
    let mut file = match OpenOptions::new().read(true).write(true).open(log) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(super::with_path(e, log)),
    };
    let len = match &file {
        Some(f) => f.metadata().map_err(|e| super::with_path(e, log))?.len(),
        None => 0,
    };
    // The log's rules, header, fold and (for a legacy log) its events.
    let mut legacy: Option<Vec<Event>> = None;
    let (rules, header, mut state, scanned) = match file.as_mut() {
        None => {
            let header = header_line(&rules_if_new).into_bytes();
            let at = Scanned {
                end: header.len() as u64,
                lines: 1,
                events: 0,
                last_line: None,
            };
            (rules_if_new, header, State::default(), at)
        }
        Some(f) => {
            // The header line is short: read up to its newline.
            let mut head = Vec::new();
            f.seek(SeekFrom::Start(0))?;
            Read::by_ref(f).take(64 * 1024).read_to_end(&mut head)?;
            match crate::certification::log_header(&head).map_err(|e| invalid(log, e))? {
                Some((rules, header_len)) => {
                    let header = head
                        .get(..usize::try_from(header_len).unwrap_or(usize::MAX))
                        .unwrap_or_default()
                        .to_vec();
                    match from_snapshot(f, log, &rules, &header, len, standards)? {
                        Some((state, scanned)) => (rules, header, state, scanned),
                        None => {
                            let all = read_at(f, 0, len)?;
                            let r = read_log(&all, standards).map_err(|e| invalid(log, e))?;
                            let state = r.workflow.state().clone();
                            (rules, header, state, r.scanned)
                        }
                    }
                }
                None => {
                    let all = read_at(f, 0, len)?;
                    let LogRead {
                        workflow, format, ..
                    } = read_log(&all, standards).map_err(|e| invalid(log, e))?;
                    debug_assert_eq!(format, LogFormat::Legacy);
                    let rules = workflow.rules;
                    let state = workflow.state().clone();
                    legacy = Some(workflow.log);
                    let header = header_line(&rules).into_bytes();
                    let at = Scanned {
                        end: header.len() as u64,
                        lines: 1,
                        events: 0,
                        last_line: None,
                    };
                    (rules, header, state, at)
                }
            }
        }
    };
    let events = make(&state)?;
    if events.is_empty() {
        return Ok(Appended::Nothing);
    }
    // All or nothing: the state is only this process's copy, dropped on a refusal.
    for e in &events {
        if let Err(refused) = state.apply_mut(e, &rules, standards) {
            return Ok(Appended::Refused(e.name(), refused));
        }
    }
    let line = events_line(&events).into_bytes();
    let (end, last_start, lines_before, events_before) = match (file.as_mut(), legacy) {
        (Some(f), None) => {
            // Drop a cut last line (never committed), then append ours and sync it.
            if scanned.end < len {
                f.set_len(scanned.end)
                    .map_err(|e| super::with_path(e, log))?;
            }
            let mut at = scanned.end;
            f.seek(SeekFrom::Start(at))?;
            let ends_line = match at.checked_sub(1) {
                Some(before) => read_at(f, before, at)?.first() == Some(&b'\n'),
                None => true,
            };
            if !ends_line {
                // The last line was committed without its newline (a hand edit).
                f.write_all(b"\n").map_err(|e| super::with_path(e, log))?;
                at = at.saturating_add(1);
            }
            f.write_all(&line).map_err(|e| super::with_path(e, log))?;
            f.sync_data().map_err(|e| super::with_path(e, log))?;
            (
                at.saturating_add(line.len() as u64),
                at,
                scanned.lines,
                scanned.events,
            )
        }
        (_, legacy) => {
            // A new log, or a legacy one converted: written whole, then renamed into place.
            let mut text = header.clone();
            let old = legacy.unwrap_or_default();
            for e in &old {
                text.extend_from_slice(events_line(std::slice::from_ref(e)).as_bytes());
            }
            let last_start = text.len() as u64;
            text.extend_from_slice(&line);
            super::write_file(log, &[], &text)?;
            (
                text.len() as u64,
                last_start,
                (old.len() as u64).saturating_add(1),
                old.len() as u64,
            )
        }
    };
    // The line without its newline.
    let bare = line.strip_suffix(b"\n").unwrap_or(&line);
    let scanned = Scanned {
        end,
        lines: lines_before.saturating_add(1),
        events: events_before.saturating_add(events.len() as u64),
        last_line: Some((last_start, last_start.saturating_add(bare.len() as u64))),
    };
    // The snapshot is a cache: failing to refresh it costs the next append a replay, and
    // the events are already committed, so it is not an error of the append.
    let _ = write_snapshot(log, &rules, &state, scanned, &header, bare);
    Ok(Appended::Accepted(Box::new(state)))
}
