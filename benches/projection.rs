//! Projected parse against the full parse, on the same synthetic JSONL lines, one thread.
//!
//! Run: `cargo bench --features synth --bench projection` (`-- CHARTS` to change the count,
//! 20,000 by default). Prints charts/s (best of five passes) for the full parse
//! (`parse_chart`: parse + validation), the projected parse of one measure
//! (`parse_chart_projected`) for two measures and for the whole library's fields, and two
//! floors: serde_json's syntax-only walk (`IgnoredAny`) and the typed parse unvalidated.

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
