//! Projected parse against the full parse, on the same synthetic JSONL lines, one thread.
//!
//! Run: `cargo bench --features synth --bench projection` (`-- CHARTS` to change the count,
//! 20,000 by default). Prints charts/s (best of five passes) for the full parse
//! (`parse_chart`: parse + validation), the projected parse of one measure
//! (`parse_chart_projected`) for two measures and for the whole library's fields, and two
//! floors: serde_json's syntax-only walk (`IgnoredAny`) and the typed parse unvalidated.
//! Beside them, [`skim`]: a hand-written syntax-only skimmer over the bytes (memchr for
//! strings, an explicit stack with a depth limit), the scanning floor a hand-written
//! projected parse (candidate (a) of issue 21 item 2) could reach, against serde_json's.

use std::hint::black_box;
use std::time::Instant;

use oncoqual::chart::Projection;
use oncoqual::io::parse_chart_projected;
use oncoqual::synth::{SynthConfig, write_jsonl};
use oncoqual::{Chart, Library, Limits, parse_chart};

fn rate(lines: &[String], mut f: impl FnMut(&str) -> bool) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut ok = 0;
    for _ in 0..5 {
        let start = Instant::now();
        ok = lines.iter().filter(|l| f(l)).count();
        best = best.min(start.elapsed().as_secs_f64());
    }
    (lines.len() as f64 / best, ok)
}

/// Checks the JSON syntax of `b` (one value, whitespace around it): `Err(offset)` at the
/// first error. Iterative: nesting is an explicit stack, refused past 128 levels.
fn skim(b: &[u8]) -> Result<(), usize> {
    const MAX_DEPTH: usize = 128;
    let ws = |mut i: usize| {
        while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        i
    };
    let mut stack: Vec<u8> = Vec::with_capacity(16);
    // 0: a value; 1: after a value; 2: a key.
    let mut state = 0u8;
    let mut i = 0usize;
    loop {
        i = ws(i);
        match state {
            0 => match b.get(i).copied() {
                Some(open @ (b'{' | b'[')) => {
                    stack.push(open);
                    if stack.len() > MAX_DEPTH {
                        return Err(i);
                    }
                    i = ws(i + 1);
                    let close = if open == b'{' { b'}' } else { b']' };
                    if b.get(i) == Some(&close) {
                        stack.pop();
                        i += 1;
                        state = 1;
                    } else {
                        state = if open == b'{' { 2 } else { 0 };
                    }
                }
                Some(b'"') => {
                    i = string(b, i + 1)?;
                    state = 1;
                }
                Some(b't') => (i, state) = (literal(b, i, b"true")?, 1),
                Some(b'f') => (i, state) = (literal(b, i, b"false")?, 1),
                Some(b'n') => (i, state) = (literal(b, i, b"null")?, 1),
                Some(b'-' | b'0'..=b'9') => (i, state) = (number(b, i)?, 1),
                _ => return Err(i),
            },
            1 => match (stack.last().copied(), b.get(i).copied()) {
                (None, None) => return Ok(()),
                (None, Some(_)) => return Err(i),
                (Some(top), Some(b',')) => {
                    i += 1;
                    state = if top == b'{' { 2 } else { 0 };
                }
                (Some(b'{'), Some(b'}')) | (Some(b'['), Some(b']')) => {
                    stack.pop();
                    i += 1;
                }
                _ => return Err(i),
            },
            _ => {
                if b.get(i) != Some(&b'"') {
                    return Err(i);
                }
                i = ws(string(b, i + 1)?);
                if b.get(i) != Some(&b':') {
                    return Err(i);
                }
                i += 1;
                state = 0;
            }
        }
    }
}

/// The end of a string whose opening quote is before `i`.
#[inline]
fn string(b: &[u8], mut i: usize) -> Result<usize, usize> {
    loop {
        let rest = b.get(i..).ok_or(i)?;
        let k = memchr::memchr2(b'"', b'\\', rest).ok_or(b.len())?;
        if let Some(bad) = rest[..k].iter().position(|&c| c < 0x20) {
            return Err(i + bad);
        }
        i += k;
        if b[i] == b'"' {
            return Ok(i + 1);
        }
        match b.get(i + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
            Some(b'u') => {
                let hex = b.get(i + 2..i + 6).ok_or(i)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return Err(i);
                }
                i += 6;
            }
            _ => return Err(i),
        }
    }
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Result<usize, usize> {
    if b.get(i..i + word.len()) == Some(word) {
        Ok(i + word.len())
    } else {
        Err(i)
    }
}

/// The end of a number starting at `i` (`-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`).
fn number(b: &[u8], mut i: usize) -> Result<usize, usize> {
    let digits = |mut i: usize| {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i, i > start)
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i).0,
        _ => return Err(i),
    }
    if b.get(i) == Some(&b'.') {
        let (j, any) = digits(i + 1);
        if !any {
            return Err(j);
        }
        i = j;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let (j, any) = digits(i);
        if !any {
            return Err(j);
        }
        i = j;
    }
    Ok(i)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let mut buf = Vec::new();
    write_jsonl(&SynthConfig::new(n, 40, 2, 7), &mut buf).expect("memory");
    let text = String::from_utf8(buf).expect("synthetic JSONL is UTF-8");
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let bytes: usize = lines.iter().map(String::len).sum();
    println!(
        "{} charts, {:.1} KB per chart on average, one thread",
        lines.len(),
        bytes as f64 / lines.len() as f64 / 1024.0
    );
    let limits = Limits::default();
    let lib = Library::bundled().expect("the bundled library checks");
    let one = |id: &str| {
        let i = lib.index_of(id).expect("a bundled measure");
        lib.projection(&lib.select(&[i]))
    };
    let all: Vec<usize> = (0..lib.measures().len()).collect();
    let projections: Vec<(&str, Projection)> = vec![
        (
            "prostate.bone-scan-avoidance-low-risk",
            one("prostate.bone-scan-avoidance-low-risk"),
        ),
        (
            "end_of_life.chemo-last-14-days",
            one("end_of_life.chemo-last-14-days"),
        ),
        (
            "pain.intensity-quantified-all-treatment-visits",
            one("pain.intensity-quantified-all-treatment-visits"),
        ),
        ("whole library's fields", lib.projection(&lib.select(&all))),
    ];
    let report = |name: &str, (r, ok): (f64, usize)| {
        println!("{name:<58} {r:>10.0} charts/s  ({ok} accepted)");
    };
    report(
        "serde_json IgnoredAny (syntax only)",
        rate(&lines, |l| {
            black_box(serde_json::from_str::<serde::de::IgnoredAny>(l)).is_ok()
        }),
    );
    report(
        "hand-written memchr skimmer (syntax only)",
        rate(&lines, |l| black_box(skim(l.as_bytes())).is_ok()),
    );
    for bad in [
        "{\"a\":01}",
        "{\"a\":\"\\q\"}",
        "[1,]",
        "{\"a\" 1}",
        "[\"\u{1}\"]",
        "[[[1]]",
        "1 2",
    ] {
        assert!(skim(bad.as_bytes()).is_err(), "{bad}");
        assert!(
            serde_json::from_str::<serde::de::IgnoredAny>(bad).is_err(),
            "{bad}"
        );
    }
    report(
        "typed parse, unvalidated",
        rate(&lines, |l| {
            black_box(serde_json::from_str::<Chart>(l)).is_ok()
        }),
    );
    report(
        "full: parse_chart",
        rate(&lines, |l| black_box(parse_chart(l, &limits)).is_ok()),
    );
    for (name, p) in &projections {
        println!("  {name}: {} paths kept", p.paths().len());
        report(
            &format!("projected: {name}"),
            rate(&lines, |l| {
                black_box(parse_chart_projected(l, &limits, p)).is_ok()
            }),
        );
    }
}
