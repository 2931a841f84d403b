//! Fuzzes the certification log: arbitrary bytes read as a log (either format), and the
//! append path's shortcut: a snapshot (the bytes after the first NUL, or one written from
//! the log's own prefix) that matches the log must fold to the very state of the full
//! replay. Invariants: no panic; a log that reads writes back (every event in one line each)
//! to a log that reads to the same workflow; the snapshot shortcut never disagrees with
//! the replay.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncoqual::certification::{
    LogSnapshot, Scanned, Standards, events_line, fold_lines, header_line, read_log,
};

fuzz_target!(|data: &[u8]| {
    let (log, snap) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let standards = Standards::bundled();
    let Ok(read) = read_log(log, standards) else { return };
    let w = &read.workflow;

    // Written back in the lines format, one event per line: the same workflow.
    let mut text = header_line(&w.rules);
    for e in &w.log {
        text += &events_line(std::slice::from_ref(e));
    }
    let again = read_log(text.as_bytes(), standards).expect("a log written back reads");
    assert_eq!(again.workflow.log, w.log);
    assert_eq!(again.workflow.state(), w.state());

    // A snapshot of the written-back log after its first k events, then the rest folded:
    // the state of the full replay.
    let header = header_line(&w.rules);
    let k = w.log.len() / 2;
    let mut prefix = header.clone();
    let mut last = (0u64, 0u64);
    for e in &w.log[..k] {
        let line = events_line(std::slice::from_ref(e));
        let start = prefix.len() as u64;
        prefix += &line;
        last = (start, prefix.len() as u64 - 1);
    }
    let head = read_log(prefix.as_bytes(), standards).expect("a prefix of a log reads");
    let last_bytes = &prefix.as_bytes()[last.0 as usize..last.1 as usize];
    let snapshot = LogSnapshot::new(
        w.rules,
        head.workflow.state(),
        head.scanned,
        header.as_bytes(),
        if k == 0 { b"" } else { last_bytes },
    );
    check_shortcut(&snapshot, &text, &header, w, standards, true);

    // An arbitrary snapshot (a cache anyone with write access could edit, like the log
    // itself): reading and folding it never panics.
    if let Some(snap) = snap.and_then(LogSnapshot::from_json) {
        check_shortcut(&snap, &text, &header, w, standards, false);
    }
});

fn check_shortcut(
    snap: &LogSnapshot,
    text: &str,
    header: &str,
    w: &oncoqual::certification::Workflow,
    standards: &Standards,
    written_by_us: bool,
) {
    let bytes = text.as_bytes();
    let last: &[u8] = match snap.last_line() {
        Some((a, b)) if a < b && b <= bytes.len() as u64 => &bytes[a as usize..b as usize],
        Some(_) => return,
        None => b"",
    };
    if !snap.matches(&w.rules, bytes.len() as u64, header.as_bytes(), last) {
        return;
    }
    let at: Scanned = snap.scanned();
    let Some(mut state) = snap.clone().into_state() else {
        assert!(!written_by_us, "a snapshot we wrote gives its state");
        return;
    };
    let rest = &bytes[at.end as usize..];
    let folded = fold_lines(rest, at, &mut state, &w.rules, standards, |_| {});
    if written_by_us {
        assert!(folded.is_ok(), "the rest of a log folds onto its own snapshot");
        assert_eq!(&state, w.state(), "snapshot + rest = full replay");
    }
}
