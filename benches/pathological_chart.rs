//! One pathological chart evaluated by the whole bundled library: a synthetic chart with
//! its regimens blown up to 1,000 and to 10,000 entries (the baseline and the hostile
//! chart, in the same run, to show linear growth), and with five lists at 10,000 entries.
//! Then a spec that looks, for each regimen, for a regimen started in a window relative to
//! it that none falls in (a scan of every regimen per regimen unless the engine sorts the
//! list once), on 1,000 and 10,000 regimens.
//!
//! Run: `cargo bench --features synth --bench pathological_chart`. The goal: the
//! 10,000-regimen chart under 50 ms.

#[path = "../tests/common/big_chart.rs"]
mod big_chart;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use oncoqual::measure::{Library, Outcome, SpecFile};

/// For each regimen, whether no regimen started in a window a year after it (none did, so
/// a scan visits every regimen for each regimen).
const WINDOW_SPEC: &str = "measure core.window { title \"t\" module core tracks [core] \
     direction higher_is_better scoring proportion source \"t\" version \"1\" }\n\
     initial_population = exists regimens\n\
     numerator = count (regimens as r where not exists (regimens as s where \
     s.start_date within 30 days after (r.start_date + 1 years))) > 5\n";

fn pathological_chart(c: &mut Criterion) {
    let lib = Library::bundled().expect("the bundled library checks");
    let mut group = c.benchmark_group("pathological_chart");
    group.sample_size(20);
    let cases = [
        ("regimens_1000", vec!["regimens"], 1_000),
        ("regimens_10000", vec!["regimens"], 10_000),
        ("five_lists_10000", big_chart::FIVE_LISTS.to_vec(), 10_000),
    ];
    for (name, lists, n) in cases {
        let (chart, period) = big_chart::big_chart(&lists, n);
        group.bench_function(name, |b| {
            let mut out: Vec<Outcome> = Vec::new();
            b.iter(|| {
                lib.try_evaluate_into(&chart, period, &mut out)
                    .expect("within the budget");
                black_box(out.len())
            });
        });
    }
    let window = Library::from_files(vec![SpecFile::new("core/window.oqm", WINDOW_SPEC)], vec![])
        .expect("the window spec checks");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let (chart, period) = big_chart::big_chart(&["regimens"], n);
        group.bench_function(format!("window_spec_regimens_{n}"), |b| {
            let mut out: Vec<Outcome> = Vec::new();
            b.iter(|| {
                window
                    .try_evaluate_into(&chart, period, &mut out)
                    .expect("within the budget");
                black_box(out.len())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, pathological_chart);
criterion_main!(benches);
