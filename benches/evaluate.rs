//! Evaluation throughput: the first 20 measures written in the measure language (compiled,
//! interpreted IR) against the same 20 hand-written in idiomatic, non-allocating Rust
//! (`tests/handwritten/measures.rs`, also used by the `dsl_vs_handwritten` test that proves
//! both agree), on 100,000 synthetic charts. Also: parse + check of the bundled library.
//!
//! Run: `cargo bench --features synth --bench evaluate`. The goal: the DSL within 1.5× of
//! the hand-written Rust.

use std::hint::black_box;

#[path = "../tests/handwritten/measures.rs"]
mod handwritten;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oncoqual::measure::{Library, Outcome, SpecFile};
use oncoqual::synth::{self, SynthConfig};
use oncoqual::{Chart, Period, RoundCalendar};

const CHARTS: usize = 100_000;

fn evaluate(c: &mut Criterion) {
    let config = SynthConfig::new(CHARTS, 200, 2, 2027);
    let calendar = RoundCalendar::new();
    let charts: Vec<(Chart, Period)> = synth::generate(&config)
        .map(|chart| {
            let p = calendar.period(chart.round);
            (chart, p)
        })
        .collect();
    let lib = Library::bundled().expect("the bundled library checks");
    let indices: Vec<usize> = handwritten::IDS
        .iter()
        .map(|id| lib.index_of(id).expect("bundled"))
        .collect();
    let selection = lib.select(&indices);

    let mut group = c.benchmark_group("evaluate_20_measures");
    group.sample_size(10);
    group.throughput(Throughput::Elements(CHARTS as u64));
    group.bench_function("dsl", |b| {
        let mut out: Vec<Outcome> = Vec::with_capacity(20);
        b.iter(|| {
            let mut numer = 0usize;
            for (chart, period) in &charts {
                lib.evaluate_selection_into(chart, *period, &selection, &mut out);
                numer += out.iter().filter(|o| o.populations.net_numerator()).count();
            }
            black_box(numer)
        });
    });
    group.bench_function("hand_written_rust", |b| {
        let mut out = [handwritten::Pops::default(); 20];
        b.iter(|| {
            let mut numer = 0usize;
            for (chart, period) in &charts {
                handwritten::evaluate(chart, period, &mut out);
                numer += out.iter().filter(|p| p.numer && !p.numex).count();
            }
            black_box(numer)
        });
    });
    group.finish();
}

fn check(c: &mut Criterion) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/measure-specs");
    let mut specs = Vec::new();
    let mut vs = Vec::new();
    for dir in std::fs::read_dir(root).expect("measure-specs exists") {
        let dir = dir.expect("readable").path();
        for f in std::fs::read_dir(&dir).expect("readable") {
            let f = f.expect("readable").path();
            let name = f
                .strip_prefix(root)
                .expect("below root")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&f).expect("readable");
            if name.ends_with(".oqm") {
                specs.push(SpecFile::new(name, text));
            } else if name.ends_with(".json") {
                vs.push(SpecFile::new(name, text));
            }
        }
    }
    c.bench_function("parse_and_check_bundled_library", |b| {
        b.iter(|| {
            black_box(
                Library::from_files(specs.clone(), vs.clone())
                    .expect("checks")
                    .measures()
                    .len(),
            )
        });
    });
}

criterion_group!(benches, evaluate, check);
criterion_main!(benches);
