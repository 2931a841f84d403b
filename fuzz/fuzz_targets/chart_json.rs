//! Fuzzes chart ingest: single-document parsing and the JSONL reader on arbitrary bytes.
//! Invariants: no panic; an accepted chart round-trips exactly; errors name no raw input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncoqual::{Chart, JsonlReader, Limits, parse_chart};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default().with_max_line_bytes(1 << 16).with_max_list_len(64);
    if let Ok(text) = std::str::from_utf8(data) {
        match parse_chart(text, &limits) {
            Ok(checked) => {
                let json = checked.chart.to_json();
                let again = Chart::from_json(&json).expect("a serialised chart parses again");
                assert_eq!(again, checked.chart, "round trip changed the chart");
                let _ = format!("{:?}", checked.chart);
            }
            Err(e) => {
                assert!(!e.findings.is_empty());
                let _ = e.to_string();
            }
        }
    }
    for record in JsonlReader::with_limits(data, limits) {
        match record {
            Ok(c) => assert!(c.line.is_some()),
            Err(e) => assert!(e.line.is_some() && !e.findings.is_empty()),
        }
    }
});
