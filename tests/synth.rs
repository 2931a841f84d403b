//! The synthetic chart generator: determinism, independence of charts, validity of every
//! chart, and coverage of what the measure catalog reads.
#![cfg(feature = "synth")]

use std::collections::{BTreeMap, BTreeSet};

use oncoqual::synth::{self, SynthConfig};
use oncoqual::{Chart, Limits, RoundId, parse_chart};
use proptest::prelude::*;

fn jsonl(config: &SynthConfig) -> Vec<u8> {
    let mut out = Vec::new();
    let n = synth::write_jsonl(config, &mut out).unwrap();
    assert_eq!(n, config.charts);
    out
}

#[test]
fn same_config_gives_byte_identical_jsonl() {
    let config = SynthConfig::new(300, 7, 2, 11);
    assert_eq!(jsonl(&config), jsonl(&config));
}

#[test]
fn different_seeds_give_different_charts() {
    let a = jsonl(&SynthConfig::new(50, 5, 1, 1));
    let b = jsonl(&SynthConfig::new(50, 5, 1, 2));
    assert_ne!(a, b);
    let a: Vec<&[u8]> = a.split(|&b| b == b'\n').collect();
    let b: Vec<&[u8]> = b.split(|&b| b == b'\n').collect();
    let same = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x == y && !x.is_empty())
        .count();
    assert_eq!(same, 0, "charts should differ line by line");
}

#[test]
fn each_line_is_the_charts_to_json() {
    let config = SynthConfig::new(40, 3, 2, 5);
    let text = String::from_utf8(jsonl(&config)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 40);
    for (line, chart) in lines.iter().zip(synth::generate(&config)) {
        assert_eq!(*line, chart.to_json());
    }
}

#[test]
fn a_chart_regenerates_alone() {
    let config = SynthConfig::new(120, 6, 3, 99);
    let all: Vec<Chart> = synth::generate(&config).collect();
    assert_eq!(synth::generate(&config).len(), 120);
    for i in [0, 1, 39, 40, 41, 80, 119] {
        assert_eq!(synth::chart(&config, i), all[i], "chart {i}");
    }
    // Backwards too: no hidden state between charts.
    for i in (0..120).rev().step_by(17) {
        assert_eq!(synth::chart(&config, i), all[i]);
    }
}

#[test]
fn ids_practices_and_rounds_follow_the_layout() {
    let config = SynthConfig::new(100, 4, 2, 3);
    let charts: Vec<Chart> = synth::generate(&config).collect();
    let ids: BTreeSet<&str> = charts.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), 100);
    assert_eq!(charts[0].id.as_str(), "C0000001");
    assert_eq!(charts[99].id.as_str(), "C0000100");
    let practices: BTreeSet<&str> = charts.iter().map(|c| c.practice.as_str()).collect();
    assert_eq!(
        practices,
        BTreeSet::from(["P0001", "P0002", "P0003", "P0004"])
    );
    let rounds: Vec<String> = charts.iter().map(|c| c.round.to_string()).collect();
    assert!(rounds[..50].iter().all(|r| r == "2026-1"));
    assert!(rounds[50..].iter().all(|r| r == "2026-2"));
    for c in &charts {
        let dx: Vec<_> = c.diagnoses.iter().filter_map(|d| d.id.as_ref()).collect();
        assert_eq!(dx.len(), dx.iter().collect::<BTreeSet<_>>().len());
        for (i, r) in c.regimens.iter().enumerate() {
            assert_eq!(r.id.as_ref().unwrap().as_str(), format!("rx{}", i + 1));
        }
    }
}

#[test]
fn degenerate_configs() {
    assert_eq!(synth::generate(&SynthConfig::new(0, 3, 1, 1)).count(), 0);
    assert!(jsonl(&SynthConfig::new(0, 3, 1, 1)).is_empty());
    let config = SynthConfig::new(3, 0, 0, 1);
    let charts: Vec<Chart> = synth::generate(&config).collect();
    assert!(charts.iter().all(|c| c.practice.as_str() == "P0001"));
    // An index past the configured count still gives a valid chart.
    assert_valid(&synth::chart(&config, 1_000_000));
    assert_eq!(synth::chart(&config, 1_000_000).id.as_str(), "C1000001");
    for (year, half) in [(1000, 1), (9998, 2)] {
        let mut config = SynthConfig::new(30, 2, 2, 4);
        config.first_round = RoundId::new(year, half).unwrap();
        synth::generate(&config).for_each(|c| assert_valid(&c));
    }
}

#[test]
fn the_last_chart_index_gives_a_valid_chart_without_overflow() {
    // The 1-based chart number of index `usize::MAX` overflowed (a panic in debug builds).
    let config = SynthConfig::new(3, 2, 2, 1);
    let chart = synth::chart(&config, usize::MAX);
    assert_valid(&chart);
    assert_eq!(chart.id.as_str(), format!("C{}", u64::MAX));
}

/// Parses the chart's JSON as an input would be: no errors, no warnings, the same chart back,
/// and nothing dated after the chart's last day (the period's end, or the death).
fn assert_valid(chart: &Chart) {
    let json = chart.to_json();
    let checked = match parse_chart(&json, &Limits::default()) {
        Ok(checked) => checked,
        Err(e) => panic!("chart {} rejected: {e:?}", chart.id.as_str()),
    };
    assert!(
        checked.warnings.is_empty(),
        "chart {} warnings: {:?}",
        chart.id.as_str(),
        checked.warnings
    );
    assert_eq!(&checked.chart, chart);
    assert_eq!(&Chart::from_json(&json).unwrap(), chart);
    let period_end = chart.round.default_period().end;
    let last = chart
        .death
        .as_ref()
        .and_then(|d| d.date)
        .map_or(period_end, |d| d.min(period_end));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut dates = Vec::new();
    collect_dates(&value, &mut dates);
    let last = last.to_string();
    for d in dates {
        assert!(
            d <= last,
            "chart {}: date {d} after {last}",
            chart.id.as_str()
        );
    }
}

fn collect_dates(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) if oncoqual::Date::parse(s).is_some() => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_dates(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_dates(v, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn every_chart_validates_and_round_trips(
        seed in any::<u64>(),
        charts in 1usize..30,
        practices in 0usize..6,
        rounds in 0usize..4,
        year in 1990u16..2100,
        half in 1u8..=2,
    ) {
        let mut config = SynthConfig::new(charts, practices, rounds, seed);
        config.first_round = RoundId::new(year, half).unwrap();
        for chart in synth::generate(&config) {
            assert_valid(&chart);
        }
    }
}

#[test]
fn two_thousand_charts_cover_the_model() {
    let config = SynthConfig::new(2000, 10, 1, 2026);
    let mut roots: BTreeMap<&str, usize> = BTreeMap::new();
    let mut types = BTreeSet::new();
    let (mut deaths, mut children) = (0usize, 0usize);
    // Per practice: chemotherapy regimens, and those with a consent document.
    let mut consent: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    // Per practice: office visits, and those with a pain assessment on the day.
    let mut pain: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for c in synth::generate(&config) {
        assert_valid(&c);
        let lists: [(&str, bool); 20] = [
            ("diagnoses", !c.diagnoses.is_empty()),
            ("genetic_tests", !c.genetic_tests.is_empty()),
            ("encounters", !c.encounters.is_empty()),
            ("assessments", !c.assessments.is_empty()),
            ("regimens", !c.regimens.is_empty()),
            ("administrations", !c.administrations.is_empty()),
            ("chemo_orders", !c.chemo_orders.is_empty()),
            ("radiation_courses", !c.radiation_courses.is_empty()),
            ("surgeries", !c.surgeries.is_empty()),
            ("procedures", !c.procedures.is_empty()),
            ("labs", !c.labs.is_empty()),
            ("medications", !c.medications.is_empty()),
            ("referrals", !c.referrals.is_empty()),
            ("discussions", !c.discussions.is_empty()),
            ("documents", !c.documents.is_empty()),
            ("adverse_events", !c.adverse_events.is_empty()),
            ("recommendations", !c.recommendations.is_empty()),
            ("not_done_reasons", !c.not_done_reasons.is_empty()),
            ("conditions", !c.conditions.is_empty()),
            (
                "biomarkers",
                c.diagnoses.iter().any(|d| !d.biomarkers.is_empty()),
            ),
        ];
        for (root, present) in lists {
            *roots.entry(root).or_default() += usize::from(present);
        }
        if let Some(t) = c.diagnoses.first().and_then(|d| d.cancer_type) {
            types.insert(format!("{t:?}"));
        }
        deaths += usize::from(c.death.is_some());
        let start = c.round.default_period().start;
        if let Some(b) = c.patient.birth_date {
            let age = start.year()
                - b.year()
                - i32::from((start.month(), start.day()) < (b.month(), b.day()));
            children += usize::from(age < 18);
        }
        let practice = c.practice.as_str().to_owned();
        for r in &c.regimens {
            let chemo = r.agents.iter().any(|a| {
                matches!(
                    a.category.map(|c| c.as_str()),
                    Some("cytotoxic" | "targeted" | "immunotherapy")
                )
            });
            if chemo {
                let e = consent.entry(practice.clone()).or_default();
                e.0 += 1;
                e.1 += usize::from(c.documents.iter().any(|d| {
                    d.kind.map(|k| k.as_str()) == Some("chemotherapy_consent")
                        && d.regimen_id == r.id
                }));
            }
        }
        for e in &c.encounters {
            if e.kind.map(|k| k.as_str()) == Some("office_visit") {
                let entry = pain.entry(practice.clone()).or_default();
                entry.0 += 1;
                entry.1 += usize::from(
                    c.assessments
                        .iter()
                        .any(|a| a.kind.map(|k| k.as_str()) == Some("pain") && a.date == e.date),
                );
            }
        }
    }
    for (root, n) in &roots {
        assert!(*n > 0, "no chart has any {root}");
    }
    assert!(
        types.len() >= 20,
        "only {} cancer types: {types:?}",
        types.len()
    );
    for t in [
        "Breast",
        "LungNsclc",
        "Colon",
        "Prostate",
        "Nhl",
        "Myeloma",
        "Ovary",
        "HeadAndNeck",
    ] {
        assert!(types.contains(t), "no {t}");
    }
    assert!(
        (100..500).contains(&deaths),
        "{deaths} deaths in 2000 charts"
    );
    assert!(
        (10..150).contains(&children),
        "{children} children in 2000 charts"
    );
    for (name, rates) in [("consent", &consent), ("pain at visits", &pain)] {
        let rates: Vec<f64> = rates.values().map(|&(n, y)| y as f64 / n as f64).collect();
        let lo = rates.iter().cloned().fold(1.0, f64::min);
        let hi = rates.iter().cloned().fold(0.0, f64::max);
        assert!(
            hi - lo > 0.1,
            "{name}: practice rates {lo:.2}..{hi:.2} barely differ"
        );
    }
}
