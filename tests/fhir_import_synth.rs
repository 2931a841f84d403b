//! The whole-chart round trip of the FHIR import: thousands of synthetic charts are written as
//! a FHIR Bulk Data export (one NDJSON source per resource type, patients interleaved) by the
//! test writers in `tests/fhir_write/`, imported, and every chart comes back exactly as the
//! writers promise — every field they wrote, and nothing else.
#![cfg(all(feature = "fhir-import", feature = "synth"))]

mod fhir_write;

use std::collections::BTreeMap;

use fhir_write::{ROOTS_WRITTEN, write};
use oncoqual::Chart;
use oncoqual::import::fhir::{FhirImport, PracticeEncounters};
use oncoqual::synth::{self, SynthConfig};
use serde_json::{Map, Value};

/// The chart's JSON without the two fields an import takes as arguments.
fn imported_json(c: &Chart) -> Map<String, Value> {
    let Value::Object(mut m) = serde_json::from_str(&c.to_json()).unwrap() else {
        panic!("a chart is an object")
    };
    m.remove("practice");
    m.remove("round");
    m
}

/// Counts the scalar values of a JSON value.
fn scalars(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.values().map(scalars).sum(),
        Value::Array(a) => a.iter().map(scalars).sum(),
        Value::Null => 0,
        _ => 1,
    }
}

#[test]
fn synthetic_charts_come_back_exactly_through_a_bulk_export() {
    let config = SynthConfig::new(3_000, 3, 1, 22);
    let charts: Vec<Chart> = synth::generate(&config).collect();
    let mut by_type: BTreeMap<String, String> = BTreeMap::new();
    let mut expected: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    // Per root: (values written, values the charts hold).
    let mut coverage: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for c in &charts {
        let w = write(c);
        for r in &w.resources {
            let ty = r["resourceType"].as_str().unwrap().to_owned();
            let text = by_type.entry(ty).or_default();
            text.push_str(&r.to_string());
            text.push('\n');
        }
        for (root, v) in imported_json(c) {
            let e = coverage.entry(root.clone()).or_default();
            e.0 += w.expected.get(&root).map_or(0, scalars);
            e.1 += scalars(&v);
        }
        assert!(
            expected
                .insert(c.id.as_str().to_owned(), w.expected)
                .is_none()
        );
    }
    let shared = by_type.entry("PractitionerRole".to_owned()).or_default();
    for r in fhir_write::core::practitioner_roles() {
        shared.push_str(&r.to_string());
        shared.push('\n');
    }
    let mut run = FhirImport::new("prac-1".parse().unwrap(), "2026-1".parse().unwrap())
        .practice_encounters(PracticeEncounters::organizations([
            fhir_write::core::PRACTICE_ORGANIZATION,
        ]));
    for (ty, text) in &by_type {
        run.read_ndjson(&format!("{ty}.ndjson"), text.as_bytes())
            .unwrap();
    }
    let out = run.finish().unwrap();
    assert_eq!(out.report.summary.input_errors, 0);
    assert_eq!(
        out.report.summary.charts_refused,
        0,
        "{:#?}",
        out.report
            .charts
            .iter()
            .filter(|c| c.refused.is_some())
            .take(3)
            .collect::<Vec<_>>()
    );
    assert_eq!(out.charts.len(), charts.len());
    for c in &out.charts {
        let want = &expected[c.id.as_str()];
        let got = imported_json(c);
        assert_eq!(&got, want, "chart {}", c.id.as_str());
    }
    // What share of the charts' values the FHIR round trip carries, root by root.
    for (root, (written, total)) in &coverage {
        eprintln!("{root:20} {written:7} of {total:7}");
    }
    for root in ROOTS_WRITTEN {
        assert!(coverage.get(*root).is_some_and(|c| c.0 > 0), "{root}");
    }
    let hospice = expected
        .values()
        .filter(|m| {
            m.get("death")
                .and_then(|d| d.get("hospice_enrollment_date"))
                .is_some()
        })
        .count();
    eprintln!("hospice enrolments written: {hospice}");
    assert!(
        hospice > 0,
        "the death record's hospice enrolment is written"
    );
}
