//! The FHIR import on the public example resources of the US Core and mCODE implementation
//! guides (`tests/fixtures/fhir/{us-core,mcode}/`, unchanged copies with their licence): every
//! example reads without an input error, every patient's chart is built, every resource not
//! used is skipped with a stated reason, and what the examples say comes out in the charts.
#![cfg(feature = "fhir-import")]

use std::fs;

use oncoqual::chart::{
    AssessmentScale, CancerType, MCategory, NCategory, Number, Sex, StageGroup, TCategory,
};
use oncoqual::import::fhir::{FhirImport, Imported};
use oncoqual::{Chart, Date};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fhir");

/// Imports every `.json` resource of a fixture folder, in name order, as one NDJSON source
/// (one resource per line, as a Bulk Data export carries them).
fn import(folder: &str) -> Imported {
    let dir = format!("{FIXTURES}/{folder}");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    let mut ndjson = String::new();
    for name in &names {
        let text = fs::read_to_string(format!("{dir}/{name}")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        ndjson.push_str(&serde_json::to_string(&value).unwrap());
        ndjson.push('\n');
    }
    let mut run = FhirImport::new("prac-1".parse().unwrap(), "2026-1".parse().unwrap());
    run.read_ndjson(&format!("{folder}.ndjson"), ndjson.as_bytes())
        .unwrap();
    run.finish().unwrap()
}

fn chart<'a>(out: &'a Imported, id: &str) -> &'a Chart {
    out.charts.iter().find(|c| c.id.as_str() == id).unwrap()
}

fn date(s: &str) -> Option<Date> {
    Some(s.parse().unwrap())
}

/// The report's summary as pretty JSON, for a snapshot of what was used and skipped why.
fn summary(out: &Imported) -> String {
    let report = serde_json::to_value(&out.report).unwrap();
    serde_json::to_string_pretty(&report["summary"]).unwrap()
}

/// A clean report: no input error, no chart refused, every resource read either used or
/// skipped with its reason, and no resource without a patient.
fn assert_clean(out: &Imported, patients: usize) {
    let s = &out.report.summary;
    assert_eq!(
        out.report.input_errors.len(),
        0,
        "{:?}",
        out.report.input_errors
    );
    assert_eq!(s.charts_refused, 0, "{:#?}", out.report.charts);
    assert_eq!(out.charts.len(), patients);
    assert_eq!(s.resources_read, s.resources_used + s.resources_skipped);
    let skipped: u64 = s.skip_reasons.values().sum();
    assert_eq!(skipped, s.resources_skipped);
    for c in &out.report.charts {
        for sk in &c.skipped {
            assert!(!sk.reason.name().is_empty());
        }
    }
}

#[test]
fn the_us_core_examples_import_with_a_clean_report() {
    let out = import("us-core");
    assert_clean(&out, 2);
    let amy = chart(&out, "example");
    assert_eq!(amy.patient.birth_date, date("1987-02-20"));
    assert_eq!(amy.patient.sex, Some(Sex::Female));
    assert!(amy.death.is_none());
    assert!(amy.diagnoses.is_empty(), "no cancer among the examples");
    assert!(!amy.encounters.is_empty());
    let deceased = out
        .charts
        .iter()
        .find(|c| c.id.as_str() != "example")
        .unwrap();
    assert_eq!(deceased.death.as_ref().unwrap().date, date("2022-07-22"));
    assert_eq!(
        deceased.patient.sex,
        Some(Sex::Female),
        "from US Core's individual-sex extension"
    );
    insta::assert_snapshot!(summary(&out));
}

#[test]
fn the_mcode_examples_import_with_a_clean_report() {
    let out = import("mcode");
    assert_clean(&out, 2);
    let p = chart(&out, "mCODEPatientExample01");
    assert_eq!(p.patient.sex, Some(Sex::Male));
    assert_eq!(p.patient.birth_date, date("1951-01-20"));
    assert_eq!(
        p.diagnoses.len(),
        1,
        "the secondary cancer condition is no diagnosis"
    );
    let dx = &p.diagnoses[0];
    assert_eq!(
        dx.id.as_ref().unwrap().as_str(),
        "mCODEPrimaryCancerConditionExample01"
    );
    assert_eq!(dx.cancer_type, Some(CancerType::LungNsclc));
    assert_eq!(dx.invasive, Some(true));
    assert_eq!(dx.diagnosis_date, date("2019-04-01"));
    assert_eq!(dx.stage_group, Some(StageGroup::IIIC));
    // The clinical T, N and M categories the stage group's Observation links; the
    // pathological ones name no diagnosis and are reported unlinked, never guessed.
    assert_eq!(dx.t_category, Some(TCategory::T3));
    assert_eq!(dx.n_category, Some(NCategory::N3));
    assert_eq!(dx.m_category, Some(MCategory::M0));
    assert_eq!(
        dx.metastasis_date,
        date("2019-05-01"),
        "from the linked secondary cancer"
    );
    let scales: Vec<_> = p.assessments.iter().map(|a| (a.scale, a.score)).collect();
    assert_eq!(
        scales,
        [
            (Some(AssessmentScale::Ecog), Some(Number::from(0))),
            (Some(AssessmentScale::Karnofsky), Some(Number::from(90)))
        ]
    );
    // The genomics report's variant is somatic and the germline BRCA1 variant is in no
    // report (no genes studied): no germline genetic test, each with its reason.
    assert!(p.genetic_tests.is_empty());
    let genomic: Vec<(&str, &str)> = out
        .report
        .charts
        .iter()
        .flat_map(|c| &c.skipped)
        .filter(|s| matches!(s.reason.name(), "not_germline" | "genes_not_stated"))
        .map(|s| (s.resource.id.as_deref().unwrap(), s.reason.name()))
        .collect();
    assert_eq!(
        genomic,
        [
            ("mCODECancerGenomicsReportExample01", "not_germline"),
            ("mCODECancerGeneticVariantExample01", "not_germline"),
            ("mCODEGenomicRegionStudiedExample01", "not_germline"),
            ("mCODECancerGeneticVariantExample02", "genes_not_stated"),
        ]
    );
    insta::assert_snapshot!(summary(&out));
}

/// The examples evaluate on the bundled library; the mCODE patient falls in no population:
/// the initial populations need what the example does not hold (office visits with the
/// practice and its physicians or advanced practice providers, or treatment in the period):
/// an abstractor adds the practice and provider of each visit, which FHIR does not say.
#[test]
fn the_imported_examples_evaluate_and_without_office_visits_fall_in_no_population() {
    let library = oncoqual::Library::bundled().unwrap();
    let out = import("mcode");
    let period: oncoqual::Period = "2019-01-01..2019-12-31".parse().unwrap();
    let p = chart(&out, "mCODEPatientExample01");
    let outcomes = library.try_evaluate(p, period).unwrap();
    let mut ids: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.populations != oncoqual::Populations::NONE)
        .map(|o| o.measure_id())
        .collect();
    ids.sort_unstable();
    insta::assert_debug_snapshot!(ids);
    for folder in ["us-core", "mcode"] {
        for chart in import(folder).charts {
            assert!(library.try_evaluate(&chart, period).is_ok());
        }
    }
}
