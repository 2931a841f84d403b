//! `oncoqual import fhir` on the synthetic fixtures in `tests/fixtures/fhir/` (a Bundle and
//! a Bulk Data NDJSON set), through the library and as a user runs it, then `oncoqual
//! evaluate` on the charts it wrote.
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod cli_support;

use std::fs::File;
use std::io::BufReader;

use cli_support::{Dir, oncoqual};
use oncoqual::chart::{CancerType, ConditionKind, EncounterKind, Sex, StageGroup};
use oncoqual::import::fhir::{FhirImport, Imported, MissingReason, SkipReason};
use oncoqual::{Chart, Date};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fhir");

fn date(s: &str) -> Option<Date> {
    Some(s.parse().unwrap())
}

fn import() -> Imported {
    let mut run = FhirImport::new("prac-1".parse().unwrap(), "2026-1".parse().unwrap());
    let bundle = format!("{FIXTURES}/bundle-synth.json");
    run.read_bundle(
        "bundle-synth.json",
        BufReader::new(File::open(bundle).unwrap()),
    )
    .unwrap();
    for name in ["Condition", "Encounter", "Patient"] {
        let path = format!("{FIXTURES}/bulk/{name}.ndjson");
        run.read_ndjson(
            &format!("{name}.ndjson"),
            BufReader::new(File::open(path).unwrap()),
        )
        .unwrap();
    }
    run.finish().unwrap()
}

fn chart<'a>(charts: &'a [Chart], id: &str) -> &'a Chart {
    charts.iter().find(|c| c.id.as_str() == id).unwrap()
}

#[test]
fn the_bundle_maps_patient_cancer_conditions_and_encounters() {
    let out = import();
    let p1 = chart(&out.charts, "synth-p1");
    assert_eq!(p1.practice.as_str(), "prac-1");
    assert_eq!(p1.patient.birth_date, date("1961-04-02"));
    assert_eq!(p1.patient.sex, Some(Sex::Female));
    assert!(p1.death.is_none());
    assert_eq!(
        p1.diagnoses.len(),
        1,
        "the secondary cancer is no diagnosis"
    );
    let dx = &p1.diagnoses[0];
    assert_eq!(dx.id.as_ref().unwrap().as_str(), "synth-dx1");
    assert_eq!(dx.cancer_type, Some(CancerType::Breast));
    assert_eq!(dx.invasive, Some(true));
    assert_eq!(
        dx.diagnosis_date,
        date("2026-01-15"),
        "onset wins over recordedDate"
    );
    assert_eq!(dx.stage_group, Some(StageGroup::IIA));
    assert_eq!(p1.conditions.len(), 1);
    assert_eq!(p1.conditions[0].kind, Some(ConditionKind::Hiv));
    assert_eq!(
        p1.conditions[0].onset_date,
        date("2019-06-01"),
        "the day as written"
    );
    let kinds: Vec<_> = p1.encounters.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            Some(EncounterKind::OfficeVisit),
            Some(EncounterKind::InpatientAdmission)
        ]
    );
    assert_eq!(p1.encounters[0].date, date("2026-02-01"));
    assert_eq!(p1.encounters[0].discharge_date, None);
    assert_eq!(p1.encounters[1].discharge_date, date("2026-03-04"));

    let r = out
        .report
        .charts
        .iter()
        .find(|c| c.patient == "synth-p1")
        .unwrap();
    assert!(r.built);
    assert_eq!(r.position, "bundle-synth.json, entry 1");
    assert_eq!(r.used.len(), 6, "{:?}", r.used);
    let reasons: Vec<(&str, &str)> = r
        .skipped
        .iter()
        .map(|s| (s.resource.id.as_deref().unwrap(), s.reason.name()))
        .collect();
    assert_eq!(
        reasons,
        [
            // No mCODE related-primary extension names its diagnosis.
            ("synth-met1", "unlinked"),
            ("synth-dm", "unlisted_condition"),
            ("synth-e3", "encounter_class"),
            ("synth-e4", "status"),
        ]
    );
    assert!(
        matches!(&r.skipped[1].reason, SkipReason::UnlistedCondition { codes } if codes[0].code.as_deref() == Some("E11.9"))
    );
    let missing = |f: &str| r.missing.iter().find(|m| m.field == f).map(|m| m.reason);
    assert_eq!(
        missing("encounters[0].with_practice"),
        Some(MissingReason::NotImported)
    );
    assert_eq!(
        missing("encounters[0].provider_role"),
        Some(MissingReason::Absent)
    );
    assert_eq!(
        missing("diagnoses[0].histology_group"),
        Some(MissingReason::Absent)
    );
    assert_eq!(missing("diagnoses[0].cancer_type"), None);
    assert_eq!(
        missing("conditions[0].abatement_date"),
        Some(MissingReason::Absent)
    );
}

#[test]
fn the_ndjson_set_maps_partial_dates_deaths_and_in_situ_disease() {
    let out = import();
    let p2 = chart(&out.charts, "synth-p2");
    assert_eq!(
        p2.patient.birth_date, None,
        "a year-month birth date is no chart date"
    );
    assert_eq!(p2.death.as_ref().unwrap().date, date("2026-05-01"));
    assert_eq!(p2.diagnoses[0].cancer_type, Some(CancerType::Prostate));
    assert_eq!(p2.diagnoses[0].stage_group, Some(StageGroup::IV));
    assert_eq!(p2.conditions[0].kind, Some(ConditionKind::Tuberculosis));
    assert_eq!(p2.conditions[0].abatement_date, date("2002-02-03"));
    assert_eq!(p2.encounters[0].kind, Some(EncounterKind::TelehealthVisit));
    let r2 = out
        .report
        .charts
        .iter()
        .find(|c| c.patient == "synth-p2")
        .unwrap();
    assert!(
        r2.missing
            .iter()
            .any(|m| m.field == "patient.birth_date" && m.reason == MissingReason::PartialDate)
    );

    let p3 = chart(&out.charts, "synth-p3");
    let death = p3.death.as_ref().unwrap();
    assert_eq!(death.date, None, "deceasedBoolean without a date");
    let dcis = &p3.diagnoses[0];
    assert_eq!(dcis.cancer_type, Some(CancerType::Breast));
    assert_eq!(dcis.invasive, Some(false));
    assert_eq!(
        dcis.diagnosis_date,
        date("2026-02-02"),
        "recordedDate without onset"
    );
    let lung = &p3.diagnoses[1];
    assert_eq!(lung.cancer_type, None, "C34 without histology");
    assert_eq!(lung.invasive, Some(true));
    assert_eq!(
        lung.diagnosis_date, None,
        "a partial onset and no recordedDate"
    );
    assert_eq!(p3.encounters[1].kind, Some(EncounterKind::ObservationStay));
    assert_eq!(p3.encounters[1].discharge_date, date("2026-02-11"));
    let r3 = out
        .report
        .charts
        .iter()
        .find(|c| c.patient == "synth-p3")
        .unwrap();
    let missing = |f: &str| r3.missing.iter().find(|m| m.field == f).map(|m| m.reason);
    assert_eq!(missing("death.date"), Some(MissingReason::NoValue));
    assert_eq!(
        missing("diagnoses[1].cancer_type"),
        Some(MissingReason::UnmappedCode)
    );
    assert_eq!(
        missing("diagnoses[1].diagnosis_date"),
        Some(MissingReason::PartialDate)
    );

    // The run: the bad line and the Encounter without its required class are input errors,
    // the Condition of a patient with no Patient resource is unassigned.
    let s = &out.report.summary;
    assert_eq!(s.charts_built, 3);
    assert_eq!(s.charts_refused, 0);
    assert_eq!(s.input_errors, 2);
    let positions: Vec<&str> = out
        .report
        .input_errors
        .iter()
        .map(|e| e.position.as_str())
        .collect();
    assert_eq!(
        positions,
        ["Encounter.ndjson, line 4", "Patient.ndjson, line 3"]
    );
    assert!(
        !out.report
            .input_errors
            .iter()
            .any(|e| e.message.contains("synth"))
    );
    assert_eq!(out.report.unassigned.len(), 1);
    assert_eq!(
        out.report.unassigned[0].reason,
        SkipReason::NoPatientResource
    );
    assert_eq!(
        s.unmapped_codes
            .get("http://hl7.org/fhir/sid/icd-10-cm|C34.90"),
        Some(&1)
    );
    assert_eq!(
        s.unmapped_codes
            .get("http://hl7.org/fhir/sid/icd-10-cm|E11.9"),
        Some(&1)
    );
    assert_eq!(
        s.roots_not_imported
            .get("adverse_events")
            .map(String::as_str),
        Some("AdverseEvent")
    );
    assert!(!s.roots_not_imported.contains_key("diagnoses"));
    assert!(!s.roots_not_imported.contains_key("genetic_tests"));
    assert_eq!(
        s.resources_read,
        s.resources_used + s.resources_skipped,
        "every resource read is used or skipped"
    );
}

#[test]
fn the_report_holds_no_patient_values() {
    let out = import();
    let json = serde_json::to_string(&out.report).unwrap();
    for value in [
        "1961",
        "2026-01-15",
        "2019-06",
        "1950-07",
        "2026-05-01",
        "female",
    ] {
        assert!(!json.contains(value), "the report shows `{value}`");
    }
}

#[test]
fn the_cli_imports_a_bundle_and_a_folder_then_evaluate_reads_the_charts() {
    let dir = Dir::new("fhir-import");
    let (charts, report) = (dir.file("charts.jsonl"), dir.file("report.json"));
    let bundle = format!("{FIXTURES}/bundle-synth.json");
    let bulk = format!("{FIXTURES}/bulk");
    let args = [
        "import",
        "fhir",
        &bundle,
        &bulk,
        "--practice",
        "prac-1",
        "--round",
        "2026-1",
        "-o",
        &charts,
        "--report",
        &report,
    ];
    let (code, _, err) = oncoqual(&args);
    assert_eq!(code, 1, "two input errors: {err}");
    assert!(
        err.contains("imported 3 chart(s), 0 refused, from 4 source(s)"),
        "{err}"
    );
    let text = std::fs::read_to_string(&charts).unwrap();
    let ids: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["synth-p1", "synth-p2", "synth-p3"]);
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["summary"]["charts_built"], 3);
    // The same run again writes the same bytes.
    let again = dir.file("again.jsonl");
    let mut args2 = args;
    args2[9] = &again;
    let _ = oncoqual(&args2[..10]);
    assert_eq!(std::fs::read(&again).unwrap(), text.as_bytes());

    let (code, out, err) = oncoqual(&["evaluate", "--charts", &charts, "--all"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 3, "{out}");

    // An output that is an input is refused before anything is written.
    let (code, _, err) = oncoqual(&[
        "import",
        "fhir",
        &bundle,
        "--practice",
        "p",
        "--round",
        "2026-1",
        "-o",
        &bundle,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("refused"), "{err}");
}

/// The measures the shipped example patient is in, as `id: populations`.
fn populations(evaluated: &str) -> Vec<String> {
    let line: Value = serde_json::from_str(evaluated.lines().next().unwrap()).unwrap();
    line["outcomes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, o)| {
            let p: Vec<&str> = o["populations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            format!("{id}: {}", p.join(" "))
        })
        .collect()
}

#[test]
fn the_example_bundle_imported_for_its_practice_evaluates_into_populations() {
    let dir = Dir::new("fhir-import-example");
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/fhir/breast-cancer-patient.json"
    );
    let run = |flags: &[&str], out: &str| {
        let mut args = vec![
            "import",
            "fhir",
            example,
            "--practice",
            "prac-1",
            "--round",
            "2026-1",
            "-o",
            out,
        ];
        args.extend_from_slice(flags);
        let (code, _, err) = oncoqual(&args);
        assert_eq!(code, 0, "{err}");
        assert!(
            err.contains("30 resource(s) read, 30 used, 0 skipped, 0 input error(s)"),
            "{err}"
        );
        let (code, evaluated, err) = oncoqual(&["evaluate", "--charts", out]);
        assert_eq!(code, 0, "{err}");
        evaluated
    };
    // The clinic is the Organization every encounter's serviceProvider names, and its
    // clinicians resolve through Practitioner / PractitionerRole to physician and nurse
    // practitioner: the visits are office visits of the practice.
    let charts = dir.file("charts.jsonl");
    let got = populations(&run(&["--practice-organization", "clinic-1"], &charts));
    for want in [
        "breast.her2-testing: IPP DENOM NUMER",
        "breast.er-pr-status-documented: IPP DENOM NUMER",
        "core.stage-documented-within-one-month: IPP DENOM NUMER",
        "core.tobacco-use-status-documented: IPP DENOM NUMER",
        "pain.intensity-quantified-all-treatment-visits: IPP DENOM NUMER",
        // What FHIR cannot say (the intent's documentation date) leaves the numerator to
        // the abstractor.
        "core.chemotherapy-intent-documented: IPP DENOM",
    ] {
        assert!(got.iter().any(|g| g == want), "{want} not in {got:#?}");
    }
    assert_eq!(got.len(), 36, "{got:#?}");
    // Stating that the whole export is the practice's gives the same charts.
    let all = dir.file("all.jsonl");
    let _ = run(&["--all-encounters-with-practice"], &all);
    assert_eq!(
        std::fs::read(&all).unwrap(),
        std::fs::read(&charts).unwrap()
    );
    // Another organization's encounters are outside visits: no office visit, no population.
    let other = dir.file("other.jsonl");
    assert_eq!(
        run(&["--practice-organization", "another-clinic"], &other)
            .lines()
            .next()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["outcomes"].clone()),
        Some(serde_json::json!({}))
    );
    // Unstated, `with_practice` is missing (reason not_imported) and no population is met.
    let unstated = dir.file("unstated.jsonl");
    let report = dir.file("report.json");
    let mut args = vec![
        "import",
        "fhir",
        example,
        "--practice",
        "prac-1",
        "--round",
        "2026-1",
        "-o",
        &unstated,
        "--report",
        &report,
    ];
    let (code, _, err) = oncoqual(&args);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let missing = r["charts"][0]["missing"].as_array().unwrap();
    assert!(
        missing
            .iter()
            .any(|m| m["field"] == "encounters[0].with_practice" && m["reason"] == "not_imported")
    );
    assert_eq!(r["shared"].as_array().unwrap().len(), 3);
    // Both statements at once are refused.
    args.extend([
        "--all-encounters-with-practice",
        "--practice-organization",
        "x",
    ]);
    let (code, _, _) = oncoqual(&args);
    assert_eq!(code, 2);
}
