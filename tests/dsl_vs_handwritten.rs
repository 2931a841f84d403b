//! The 20 first measures in the measure language agree, chart for chart, with the same
//! measures hand-written in Rust (`tests/handwritten/measures.rs`) on synthetic charts.
#![cfg(feature = "synth")]

#[path = "handwritten/measures.rs"]
mod handwritten;

use handwritten::{IDS, Pops, evaluate};
use oncoqual::synth::{self, SynthConfig};
use oncoqual::{Library, Population, Populations, RoundCalendar};

fn to_pops(p: Populations) -> Pops {
    Pops {
        ipp: p.contains(Population::InitialPopulation),
        denom: p.contains(Population::Denominator),
        denex: p.contains(Population::DenominatorExclusion),
        denexcep: p.contains(Population::DenominatorException),
        numer: p.contains(Population::Numerator),
        numex: p.contains(Population::NumeratorExclusion),
    }
}

/// Charts checked: 100k in release builds (`cargo test --release`), fewer in debug builds so
/// the default test run stays quick; `ONCOQUAL_AGREE_CHARTS` overrides.
fn chart_count() -> usize {
    std::env::var("ONCOQUAL_AGREE_CHARTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) {
            20_000
        } else {
            100_000
        })
}

#[test]
fn dsl_and_handwritten_measures_give_identical_populations_on_synthetic_charts() {
    let lib = Library::bundled().expect("bundled library checks");
    let indices: Vec<usize> = IDS
        .iter()
        .map(|id| {
            lib.index_of(id)
                .unwrap_or_else(|| panic!("{id} is not bundled"))
        })
        .collect();
    let calendar = RoundCalendar::new();
    let n = chart_count();
    let config = SynthConfig::new(n, 200, 2, 2027);
    let mut hand = [Pops::default(); 20];
    let mut mismatches: Vec<String> = Vec::new();
    let mut per_measure = [0usize; 20];
    let mut ipp = [0usize; 20];
    for chart in synth::generate(&config) {
        let period = calendar.period(chart.round);
        evaluate(&chart, &period, &mut hand);
        let dsl = lib.evaluate_selected(&chart, period, &indices);
        for (k, o) in dsl.iter().enumerate() {
            let d = to_pops(o.populations);
            ipp[k] += usize::from(d.ipp);
            if d != hand[k] {
                per_measure[k] += 1;
                if mismatches.len() < 20 {
                    mismatches.push(format!(
                        "chart {} {}: dsl {:?} hand {:?}",
                        chart.id.as_str(),
                        IDS[k],
                        d,
                        hand[k]
                    ));
                }
            }
        }
    }
    let summary: Vec<String> = IDS
        .iter()
        .zip(per_measure)
        .filter(|(_, c)| *c > 0)
        .map(|(id, c)| format!("{id}: {c}"))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} charts; disagreements per measure: {summary:?}\nfirst ones:\n{}",
        n,
        mismatches.join("\n")
    );
    for (id, c) in IDS.iter().zip(ipp) {
        assert!(c > 0, "{id}: no synthetic chart in the initial population");
    }
}
