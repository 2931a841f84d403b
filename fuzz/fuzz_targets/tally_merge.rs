//! Fuzzes tally files: two arbitrary documents (split at the first NUL byte) read as
//! tallies, merged both ways, written back and read again, and turned into a report with
//! the bundled library. Invariants: no panic; a tally that loads writes back to itself;
//! merging is commutative (both orders succeed or fail together, and give the same tally);
//! a merge that succeeds adds the counts and the charts of both sides exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncoqual::benchmark::{Report, ReportOptions, Tally};
use oncoqual::{Date, Library};

fn load(bytes: &[u8]) -> Option<Tally> {
    let text = std::str::from_utf8(bytes).ok()?;
    match serde_json::from_str::<Tally>(text) {
        Ok(t) => {
            let again: Tally = serde_json::from_str(&serde_json::to_string(&t).ok()?)
                .expect("a tally that loads reads back after writing");
            assert_eq!(again, t, "write + read changed the tally");
            Some(t)
        }
        Err(e) => {
            let _ = e.to_string();
            None
        }
    }
}

fn charts(t: &Tally) -> u64 {
    t.rows().map(|(_, _, p)| p.charts).sum()
}

fuzz_target!(|data: &[u8]| {
    let (a, b) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[..0]),
    };
    let Some(a) = load(a) else { return };
    let b = load(b).unwrap_or_default();
    let ab = a.clone().merged(&b);
    let ba = b.clone().merged(&a);
    match (&ab, &ba) {
        (Ok(x), Ok(y)) => {
            assert_eq!(x, y, "merge is commutative");
            assert_eq!(charts(x), charts(&a) + charts(&b), "charts add up");
        }
        (Err(x), Err(_)) => {
            let _ = x.to_string();
        }
        _ => panic!("one merge order succeeded and the other did not"),
    }
    if let (Ok(t), Ok(lib)) = (ab, Library::bundled()) {
        let issued = Date::parse("2030-01-01").expect("a date");
        if let Ok(report) = Report::build(&t, lib, &ReportOptions::default(), issued, true) {
            let _ = serde_json::to_string(&report);
        }
    }
});
