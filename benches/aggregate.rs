//! Aggregation throughput: folding 1M per-chart outcomes into tallies, merging shard
//! tallies, and building the report of 1,000 practices × 200 measures.
//!
//! Run: `cargo bench --features synth --bench aggregate`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oncoqual::benchmark::{Report, ReportOptions, Tally};
use oncoqual::measure::{Library, Outcome, SpecFile};
use oncoqual::synth::{self, SynthConfig};
use oncoqual::{Chart, Date, RoundCalendar};

/// 50,000 charts × 20 measures = 1M outcomes.
fn outcomes() -> (Vec<Chart>, Vec<Vec<Outcome>>) {
    let lib = Library::bundled().expect("the bundled library checks");
    let cal = RoundCalendar::new();
    let charts: Vec<Chart> = synth::generate(&SynthConfig::new(50_000, 1000, 2, 3)).collect();
    let outs = charts
        .iter()
        .map(|c| lib.evaluate(c, cal.period(c.round)))
        .collect();
    (charts, outs)
}

/// A library of 200 simple measures, and a tally of 1,000 practices × 200 measures × 2
/// rounds built from its JSON form.
fn big() -> (Library, Tally) {
    let specs = (0..200)
        .map(|i| {
            SpecFile::new(
                format!("core/m{i}.oqm"),
                format!(
                    "measure core.m{i} {{ title \"m{i}\" module core tracks [core, qcp] \
                     direction {} scoring proportion source \"bench\" version \"1\" }}\n\
                     initial_population = true\nnumerator = false\n",
                    if i % 8 == 0 {
                        "lower_is_better"
                    } else {
                        "higher_is_better"
                    }
                ),
            )
        })
        .collect();
    let lib = Library::from_files(specs, vec![]).expect("bench measures check");
    let mut rows = Vec::new();
    for round in ["2026-1", "2026-2"] {
        for p in 0..1000u64 {
            let measures: Vec<String> = (0..200u64)
                .map(|i| {
                    let denom = 10 + (p * 7 + i * 13) % 40;
                    let numer = (p * 31 + i * 17) % (denom + 1);
                    format!(
                        r#""core.m{i}":{{"total":{{"IPP":{denom},"DENOM":{denom},"DENEX":0,"DENEXCEP":0,"NUMER":{numer},"NUMEX":0}}}}"#
                    )
                })
                .collect();
            let digests: String = (0..60u64)
                .map(|i| format!("{:032x}", (u128::from(p) << 64) | u128::from(i)))
                .collect();
            rows.push(format!(
                r#"{{"round":"{round}","practice":"P{p:04}","charts":60,"chart_digests":"{digests}","measures":{{{}}}}}"#,
                measures.join(",")
            ));
        }
    }
    let tally = serde_json::from_str(&format!(
        r#"{{"oncoqual_tally":{},"oncoqual_version":"{}","library":"{}","chart_key":"unkeyed",
            "periods":{{"2026-1":{{"start":"2026-01-01","end":"2026-06-30"}},"2026-2":{{"start":"2026-07-01","end":"2026-12-31"}}}},
            "rows":[{}]}}"#,
        oncoqual::benchmark::TALLY_FORMAT,
        env!("CARGO_PKG_VERSION"),
        lib.fingerprint(),
        rows.join(",")
    ))
    .expect("bench tally parses");
    (lib, tally)
}

fn aggregate(c: &mut Criterion) {
    let lib = Library::bundled().expect("the bundled library checks");
    let (charts, outs) = outcomes();
    let cal = RoundCalendar::new();
    let n: u64 = outs.iter().map(|o| o.len() as u64).sum();
    let mut g = c.benchmark_group("tally");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function("fold_1m_outcomes", |b| {
        b.iter(|| {
            let mut t = Tally::new();
            for (chart, o) in charts.iter().zip(&outs) {
                t.add(lib, chart, cal.period(chart.round), o)
                    .expect("distinct charts");
            }
            black_box(t)
        });
    });
    let shards: Vec<Tally> = charts
        .chunks(charts.len() / 8)
        .zip(outs.chunks(charts.len() / 8))
        .map(|(cs, os)| {
            let mut t = Tally::new();
            for (chart, o) in cs.iter().zip(os) {
                t.add(lib, chart, cal.period(chart.round), o)
                    .expect("distinct charts");
            }
            t
        })
        .collect();
    g.bench_function("merge_8_shards_of_1m_outcomes", |b| {
        b.iter(|| {
            let mut t = Tally::new();
            for s in &shards {
                t.merge(s).expect("disjoint shards");
            }
            black_box(t)
        });
    });
    g.finish();

    let (big_lib, big_tally) = big();
    let mut g = c.benchmark_group("report");
    g.sample_size(10);
    g.bench_function("1000_practices_x_200_measures_x_2_rounds", |b| {
        b.iter(|| {
            black_box(Report::build(
                &big_tally,
                &big_lib,
                &ReportOptions::default(),
                Date::parse("2027-01-15").expect("a date"),
                true,
            ))
        });
    });
    g.finish();
}

criterion_group!(benches, aggregate);
criterion_main!(benches);
