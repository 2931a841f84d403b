//! The bundled measure library: it checks, every measure has test cases, every case passes,
//! and the population algebra's nesting holds for every measure on synthetic charts.

use std::path::Path;

use oncoqual::measure::{CaseFilter, ClauseStatus, Library, cover_cases, run_cases};
use oncoqual::{Population, Populations, RoundCalendar};

fn cases_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases"))
}

#[test]
fn bundled_library_checks_and_equals_the_spec_directory() {
    let bundled = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let on_disk = Library::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/measure-specs"
    )))
    .unwrap_or_else(|e| panic!("{e}"));
    let a: Vec<&str> = bundled.measures().map(|m| m.id.as_str()).collect();
    let b: Vec<&str> = on_disk.measures().map(|m| m.id.as_str()).collect();
    assert_eq!(a, b);
    assert!(a.len() >= 20);
}

#[test]
fn every_test_case_passes() {
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let report = run_cases(lib, cases_dir(), &RoundCalendar::new()).unwrap();
    let failures: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
    assert!(failures.is_empty(), "{}", failures.join(""));
    assert!(report.passed >= 20);
}

/// The deck's logic coverage (README): every measure and shared module reported, each
/// clause once in the totals, and not below the figure the README states (a deck that
/// loses cases fails here).
#[test]
fn the_deck_covers_the_library_logic_as_the_readme_states() {
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let report = cover_cases(
        lib,
        cases_dir(),
        &RoundCalendar::new(),
        &CaseFilter::default(),
    )
    .unwrap();
    assert!(report.ok());
    let c = report.coverage.expect("coverage was asked for");
    assert_eq!(c.measures.len(), lib.measures().len());
    assert!(c.modules.iter().any(|m| m.measure == "lib.common"));
    let own: usize = c
        .measures
        .iter()
        .chain(&c.modules)
        .map(|m| m.own.outcomes)
        .sum();
    assert_eq!(own, c.totals.outcomes);
    for m in c.measures.iter().chain(&c.modules) {
        assert!(m.cases > 0, "{} has no case", m.measure);
        for clause in &m.clauses {
            assert!(clause.line > 0 && !clause.code.is_empty(), "{}", m.measure);
            assert_eq!(
                clause.status == ClauseStatus::NeverReached,
                clause.reached_cases == 0
            );
        }
    }
    let met = c.totals.outcomes_covered * 1000 / c.totals.outcomes;
    assert!(
        met >= 940,
        "{met} per mille of the library's clause outcomes are covered"
    );
}

#[test]
fn every_bundled_measure_has_cases_and_every_case_folder_is_a_measure() {
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let report = run_cases(lib, cases_dir(), &RoundCalendar::new()).unwrap();
    for m in lib.measures() {
        let n = report.per_measure.get(&m.id).copied().unwrap_or(0);
        assert!(n >= 5, "{} has {n} test cases", m.id);
    }
    for id in report.per_measure.keys() {
        assert!(
            lib.index_of(id).is_some(),
            "tests/cases/{id} names no measure"
        );
    }
}

/// Every population outcome a measure's criteria allow is shown by at least one case:
/// not in IPP, NUMER, DENOM without NUMER, and DENEX / DENEXCEP when the spec has them.
#[test]
fn every_measure_has_a_case_for_each_outcome_it_can_produce() {
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    for m in lib.measures() {
        let dir = cases_dir().join(&m.id);
        let mut seen: Vec<Populations> = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let p: Populations = serde_json::from_value(v["expect"].clone()).unwrap();
            seen.push(p);
        }
        let has = |f: &dyn Fn(Populations) -> bool| seen.iter().any(|p| f(*p));
        assert!(
            has(&|p| !p.contains(Population::InitialPopulation)),
            "{}: no case outside the IPP",
            m.id
        );
        assert!(
            has(&|p| p.contains(Population::Numerator)),
            "{}: no NUMER case",
            m.id
        );
        assert!(
            has(&|p| p.in_net_denominator() && !p.contains(Population::Numerator)),
            "{}: no case in the denominator but not the numerator",
            m.id
        );
        let text = std::fs::read_to_string(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/measure-specs")).join(&m.file),
        )
        .unwrap();
        if text.contains("\ndenominator_exclusion") {
            assert!(
                has(&|p| p.contains(Population::DenominatorExclusion)),
                "{}: no DENEX case",
                m.id
            );
        }
        if text.contains("\ndenominator_exception") {
            assert!(
                has(&|p| p.contains(Population::DenominatorException)),
                "{}: no DENEXCEP case",
                m.id
            );
        }
    }
}

#[cfg(feature = "synth")]
mod algebra {
    use super::*;
    use oncoqual::synth::{self, SynthConfig};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// DENOM ⊆ IPP, DENEX ⊆ DENOM, NUMER ⊆ DENOM∖DENEX, NUMEX ⊆ NUMER,
        /// DENEXCEP ⊆ DENOM∖DENEX∖NUMER, for every measure on any synthetic chart.
        #[test]
        fn population_nesting_holds_for_every_measure(seed in any::<u64>(), index in 0usize..50_000) {
            let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
            let config = SynthConfig::new(50_000, 50, 2, seed);
            let chart = synth::chart(&config, index);
            let period = RoundCalendar::new().period(chart.round);
            for o in lib.evaluate(&chart, period) {
                let p = o.populations;
                let has = |x| p.contains(x);
                use Population::*;
                prop_assert!(!has(Denominator) || has(InitialPopulation));
                prop_assert!(!has(DenominatorExclusion) || has(Denominator));
                prop_assert!(!has(Numerator) || (has(Denominator) && !has(DenominatorExclusion)));
                prop_assert!(!has(NumeratorExclusion) || has(Numerator));
                prop_assert!(!has(DenominatorException)
                    || (has(Denominator) && !has(DenominatorExclusion) && !has(Numerator)));
            }
        }
    }

    /// The synthetic generator reaches every population each bundled measure can produce
    /// (IPP, NUMER, DENOM without NUMER, and IPP without DENOM / DENEX / DENEXCEP where
    /// the spec has those criteria) on one seeded round of 10,000 charts.
    #[test]
    fn every_population_of_every_measure_is_reached_by_10k_synthetic_charts() {
        let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
        let calendar = RoundCalendar::new();
        let n = lib.measures().len();
        // Per measure: IPP, NUMER, DENOM not NUMER, IPP not DENOM, DENEX, DENEXCEP.
        let mut seen = vec![[0usize; 6]; n];
        let mut out = Vec::new();
        for chart in synth::generate(&SynthConfig::new(10_000, 50, 2, 7)) {
            lib.evaluate_into(&chart, calendar.period(chart.round), &mut out);
            for o in &out {
                let p = o.populations;
                let s = &mut seen[o.measure];
                let ipp = p.contains(Population::InitialPopulation);
                let denom = p.contains(Population::Denominator);
                s[0] += usize::from(ipp);
                s[1] += usize::from(p.contains(Population::Numerator));
                s[2] += usize::from(p.in_net_denominator() && !p.contains(Population::Numerator));
                s[3] += usize::from(ipp && !denom);
                s[4] += usize::from(p.contains(Population::DenominatorExclusion));
                s[5] += usize::from(p.contains(Population::DenominatorException));
            }
        }
        let mut empty = Vec::new();
        for (i, m) in lib.measures().enumerate() {
            let text = std::fs::read_to_string(
                Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/measure-specs")).join(&m.file),
            )
            .unwrap();
            // (A composite's IPP without DENOM needs a chart in its IPP and no component's
            // denominator, which the bundled composites' IPPs rule out.)
            let wanted = [
                (0, "IPP", true),
                (1, "NUMER", true),
                (2, "DENOM not NUMER", true),
                (3, "IPP not DENOM", text.contains("\ndenominator =")),
                (4, "DENEX", text.contains("\ndenominator_exclusion")),
                (5, "DENEXCEP", text.contains("\ndenominator_exception")),
            ];
            for (k, name, needed) in wanted {
                if needed && seen[i][k] == 0 {
                    empty.push(format!("{}: {name}", m.id));
                }
            }
        }
        assert!(empty.is_empty(), "never reached:\n{}", empty.join("\n"));
    }

    /// The composite rule, checked against its components on synthetic charts.
    #[test]
    fn composites_follow_their_components_on_synthetic_charts() {
        let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
        let calendar = RoundCalendar::new();
        let composites: Vec<(usize, Vec<usize>)> = lib
            .measures()
            .enumerate()
            .filter(|(_, m)| !m.components.is_empty())
            .map(|(i, m)| {
                (
                    i,
                    m.components
                        .iter()
                        .map(|c| lib.index_of(c).unwrap())
                        .collect(),
                )
            })
            .collect();
        assert!(!composites.is_empty());
        let mut in_denom = 0;
        for chart in synth::generate(&SynthConfig::new(3000, 20, 1, 11)) {
            let all = lib.evaluate(&chart, calendar.period(chart.round));
            for (c, parts) in &composites {
                let p = all[*c].populations;
                if !p.contains(Population::InitialPopulation) {
                    assert!(!p.contains(Population::Denominator));
                    continue;
                }
                let eligible: Vec<Populations> = parts
                    .iter()
                    .map(|i| all[*i].populations)
                    .filter(|q| q.in_net_denominator())
                    .collect();
                assert_eq!(p.contains(Population::Denominator), !eligible.is_empty());
                in_denom += usize::from(!eligible.is_empty());
                let met = !eligible.is_empty() && eligible.iter().all(|q| q.net_numerator());
                assert_eq!(p.contains(Population::Numerator), met);
            }
        }
        assert!(in_denom > 0);
    }
}

#[test]
fn a_library_is_send_and_sync_so_threads_can_share_it() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    shareable(lib);
    let outcomes = std::thread::scope(|s| {
        let h = s.spawn(|| lib.measures().len());
        h.join().unwrap()
    });
    assert_eq!(outcomes, lib.measures().len());
}

#[test]
fn an_explanation_debug_shows_no_patient_values() {
    use oncoqual::{Limits, parse_chart};
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let chart = parse_chart(
        r#"{"id":"c1","practice":"p1","round":"2026-1","patient":{"birth_date":"1951-07-04"},
            "diagnoses":[{"cancer_type":"colon","invasive":true,"diagnosis_date":"2025-10-01"}],
            "encounters":[{"kind":"office_visit","date":"2026-02-01","with_practice":true,"provider_role":"physician"}]}"#,
        &Limits::default(),
    )
    .unwrap()
    .chart;
    let i = lib.index_of("core.tobacco-use-status-documented").unwrap();
    let e = lib
        .explain(&chart, RoundCalendar::new().period(chart.round), i)
        .unwrap();
    let debug = format!("{e:?}");
    assert!(!debug.contains("1951") && !debug.contains("74"), "{debug}");
    // The explicit opt-in shows why: the tobacco assessment is missing.
    let text = e.to_string();
    assert!(text.contains("numerator = false  (not met)"), "{text}");
    assert!(
        text.contains("age_at(reporting_period.start) = 74"),
        "{text}"
    );
}

/// What `oncoqual explain` shows a reader, pinned for two test-deck charts: a composite
/// failing on one component, and a criterion left unknown by a missing field.
#[test]
fn explanations_read_as_pinned() {
    use oncoqual::{Limits, parse_chart};
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    for (measure, case) in [
        (
            "core.pain-addressed-appropriately",
            "moderate-pain-no-plan-plan-component-fails-denom",
        ),
        (
            "core.pain-addressed-appropriately",
            "severe-pain-plan-field-missing-denom",
        ),
    ] {
        let text = std::fs::read_to_string(cases_dir().join(measure).join(format!("{case}.json")))
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let chart = parse_chart(&v["chart"].to_string(), &Limits::default())
            .unwrap()
            .chart;
        let period = RoundCalendar::new().period(chart.round);
        let e = lib
            .explain(&chart, period, lib.index_of(measure).unwrap())
            .unwrap();
        insta::assert_snapshot!(case, e.to_string());
    }
}
