//! Per-measure evaluation cost on synthetic charts: each measure evaluated alone (with the
//! shared defines it needs), slowest first. `cargo run --release --features synth --example measure_costs`
use std::time::Instant;

use oncoqual::measure::{Library, Outcome};
use oncoqual::synth::{self, SynthConfig};
use oncoqual::{Chart, Period, RoundCalendar};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5000);
    let calendar = RoundCalendar::new();
    let charts: Vec<(Chart, Period)> = synth::generate(&SynthConfig::new(n, 50, 2, 7))
        .map(|c| {
            let p = calendar.period(c.round);
            (c, p)
        })
        .collect();
    let lib = Library::bundled().expect("bundled library checks");
    let mut out: Vec<Outcome> = Vec::new();
    let t = Instant::now();
    for (c, p) in &charts {
        lib.evaluate_into(c, *p, &mut out);
    }
    let all = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let mut rows = Vec::new();
    let marginal = std::env::args().nth(2).is_some_and(|a| a == "marginal");
    let count = lib.measures().len();
    for (i, m) in lib.measures().enumerate() {
        let sel = if marginal {
            let rest: Vec<usize> = (0..count).filter(|&j| j != i).collect();
            lib.select(&rest)
        } else {
            lib.select(&[i])
        };
        let t = Instant::now();
        for (c, p) in &charts {
            lib.evaluate_selection_into(c, *p, &sel, &mut out);
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        rows.push((if marginal { all - us } else { us }, m.id.to_string()));
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!(
        "all {} measures together: {all:.1} us/chart",
        lib.measures().len()
    );
    for (us, id) in rows {
        println!("{us:8.2} us  {id}");
    }
}
