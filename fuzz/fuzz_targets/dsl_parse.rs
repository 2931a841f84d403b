//! Fuzzes the measure-language front end: lexing and parsing arbitrary text never panics,
//! never overflows the stack, and every diagnostic renders against its source.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncoqual::dsl::{Source, parse};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (_file, diags) = parse(text);
        let source = Source::new("fuzz.oqm", text);
        for d in &diags {
            let _ = d.render(&source);
        }
    }
});
