//! Strata carry categories, never patient values: the checker accepts a stratifier only
//! over an enumeration, a boolean or a declared category (`band`, `stage_prefix`, string
//! literals); `band` labels numbers; `Debug` of tallies and reports never shows a stratum
//! value; and a tally or report with strata no stratifier can yield is refused on load.

mod common;

use oncoqual::benchmark::{Report, ReportOptions, StrataError, Tally};
use oncoqual::measure::{Library, SpecFile};
use oncoqual::{Date, Limits, Period, parse_chart};

const CHART: &str = r#"{
  "id": "c1", "practice": "p1", "round": "2026-1",
  "patient": { "birth_date": "1960-02-29", "sex": "female" },
  "diagnoses": [ { "id": "d1", "cancer_type": "breast", "diagnosis_date": "2025-01-31",
                   "stage_group": "IIIC1", "primary_site": { "system": "ICD-O-3", "code": "C099" } } ],
  "encounters": [ { "kind": "office_visit", "date": "2026-03-01" } ]
}"#;

/// A one-measure library whose stratifier `s` is `expr` (after `defines`).
fn library(defines: &str, expr: &str) -> Result<Library, oncoqual::measure::CheckErrors> {
    let spec = format!(
        "measure core.t {{ title \"t\" module core tracks [core] direction higher_is_better \
         scoring proportion source \"t\" version \"1\" }}\n\
         {defines}\n\
         initial_population = true\n\
         stratifier s = {expr}\n"
    );
    Library::from_files(vec![SpecFile::new("core/t.oqm", spec)], Vec::new())
}

/// The stratum `expr` yields for the chart (an error fails the test).
fn stratum(defines: &str, expr: &str) -> Option<String> {
    let lib = library(defines, expr).unwrap_or_else(|e| panic!("{e}"));
    let chart = parse_chart(CHART, &Limits::default()).unwrap().chart;
    let period = Period::new(
        Date::parse("2026-01-01").unwrap(),
        Date::parse("2026-06-30").unwrap(),
    )
    .unwrap();
    lib.evaluate(&chart, period)[0].strata[0].clone()
}

/// The rendered diagnostics of a library that must not check.
fn refused(defines: &str, expr: &str) -> String {
    match library(defines, expr) {
        Ok(_) => panic!("`{expr}` was accepted as a stratifier"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_stratifier_over_a_patient_value_is_refused_with_the_reason_and_a_banding_hint() {
    for (expr, found) in [
        ("patient.birth_date", "not a date"),
        ("id", "not an id"),
        ("first(diagnoses).id", "not an id"),
        ("count encounters", "not a number"),
        ("age_at(reporting_period.start)", "not a number"),
        ("first(diagnoses).primary_site", "not a code"),
        ("first(encounters).date", "not a date"),
        ("coalesce(patient.birth_date, @2020-01-01)", "not a date"),
    ] {
        let text = refused("", expr);
        assert!(text.contains("E0216"), "{expr}: {text}");
        assert!(text.contains("must yield a category"), "{expr}: {text}");
        assert!(text.contains(found), "{expr}: {text}");
        assert!(
            text.contains("written into tallies and reports"),
            "{expr}: {text}"
        );
    }
    let text = refused("", "count encounters");
    assert!(
        text.contains("band(age_at(reporting_period.start), 18, 65, 75)"),
        "{text}"
    );
    // A define or an `if` that lets a raw value through is refused too.
    refused("define dob = patient.birth_date", "dob");
    let text = refused("", "first([])");
    assert!(text.contains("E0216"), "{text}");
    let text = refused(
        "",
        "if exists encounters then first(diagnoses).id else \"none\"",
    );
    assert!(text.contains("E0216"), "{text}");
}

#[test]
fn a_stratifier_over_a_category_is_accepted_and_lists_its_values() {
    let cases: [(&str, &str, &[&str]); 6] = [
        ("", "patient.sex", &["female", "male"]),
        ("", "exists encounters", &["false", "true"]),
        (
            "",
            "band(age_at(reporting_period.start), 18, 65, 75)",
            &["18-64", "65-74", "<18", ">=75"],
        ),
        (
            "define age_band = band(age_at(reporting_period.start), 65)",
            "age_band",
            &["<65", ">=65"],
        ),
        (
            "",
            "if exists encounters then \"seen\" else \"not seen\"",
            &["not seen", "seen"],
        ),
        (
            "",
            "stage_prefix(first(diagnoses).stage_group)",
            &["0", "I", "II", "III", "IV"],
        ),
    ];
    for (defines, expr, want) in cases {
        let lib = library(defines, expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let values = lib.stratum_values("core.t", "s").unwrap();
        for w in want {
            assert!(
                values.iter().any(|v| v == w),
                "{expr}: {values:?} lacks {w}"
            );
        }
        if expr != "patient.sex" {
            assert_eq!(values.len(), want.len(), "{expr}: {values:?}");
        }
    }
    // The bundled library's stratifier still checks and yields the enumeration's values.
    let lib = Library::bundled().unwrap();
    let sex = lib
        .stratum_values("core.tobacco-use-status-documented", "sex")
        .unwrap();
    assert!(sex.iter().any(|v| v == "female"));
    assert!(
        lib.stratum_values("core.tobacco-use-status-documented", "dob")
            .is_none()
    );
}

#[test]
fn band_labels_a_number_by_its_cut_points() {
    // Born 1960-02-29: 65 on 2026-01-01.
    let age = "age_at(reporting_period.start)";
    assert_eq!(
        stratum("", &format!("band({age}, 18, 65, 75)")).as_deref(),
        Some("65-74")
    );
    assert_eq!(
        stratum("", &format!("band({age}, 18, 66, 75)")).as_deref(),
        Some("18-65")
    );
    assert_eq!(
        stratum("", &format!("band({age}, 65)")).as_deref(),
        Some(">=65")
    );
    assert_eq!(
        stratum("", &format!("band({age}, 66)")).as_deref(),
        Some("<66")
    );
    assert_eq!(
        stratum("", &format!("band({age}, 65, 66)")).as_deref(),
        Some("65")
    );
    assert_eq!(
        stratum("", &format!("band({age}, 0, 64)")).as_deref(),
        Some(">=64")
    );
    // A missing number gives no stratum.
    assert_eq!(
        stratum(
            "",
            "band(age_at(first(encounters where kind = telehealth_visit).date), 18)"
        ),
        None
    );
}

#[test]
fn band_refuses_cut_points_that_are_not_ascending_whole_literals() {
    for (expr, want) in [
        ("band(count encounters, 65, 18)", "must ascend"),
        ("band(count encounters, 18, 18)", "must ascend"),
        ("band(count encounters, 18.5)", "whole number"),
        ("band(count encounters, count encounters)", "whole number"),
        ("band(count encounters, -1)", "whole number"),
        ("band(count encounters, 100001)", "whole number"),
        ("band(count encounters)", "takes 2 argument"),
        ("band(patient.birth_date, 18)", "bands a number"),
        (
            "band(count encounters, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17)",
            "at most 16 cut points",
        ),
    ] {
        let text = refused("", expr);
        assert!(text.contains(want), "{expr}: {text}");
    }
}

const SENTINEL: &str = "ZZSECRETZZ";
const SENTINEL_DATE: &str = "1913-07-19";

/// A tally of the bundled library whose tobacco measure holds `strata` (a JSON object).
fn tally_with_strata(strata: &str) -> Tally {
    common::hand_tally(&[format!(
        r#"{{"round":"2026-1","practice":"P1","charts":3,"measures":{{
          "core.tobacco-use-status-documented":{{
            "total":{{"IPP":3,"DENOM":3,"DENEX":0,"DENEXCEP":0,"NUMER":2,"NUMEX":0}},
            "strata":{strata}}}}}}}"#
    )])
}

fn counts(n: u64) -> String {
    format!(r#"{{"IPP":{n},"DENOM":{n},"DENEX":0,"DENEXCEP":0,"NUMER":{n},"NUMEX":0}}"#)
}

#[test]
fn debug_of_tallies_and_reports_never_shows_a_stratum_value() {
    let forged = tally_with_strata(&format!(
        r#"{{"sex":{{"{SENTINEL}":{c},"{SENTINEL_DATE}":{c}}}}}"#,
        c = counts(1)
    ));
    let lib = Library::bundled().unwrap();
    let (rates, national) = oncoqual::benchmark::aggregate(&forged, lib, &Default::default());
    let rate = rates
        .iter()
        .find(|r| r.measure == "core.tobacco-use-status-documented")
        .unwrap();
    assert_eq!(rate.strata.get("sex").map(|s| s.len()), Some(2));
    let row = forged.rows().next().unwrap().2;
    let m = &row.measures["core.tobacco-use-status-documented"];
    let mut shown = vec![
        format!("{forged:?}"),
        format!("{row:?}"),
        format!("{row:#?}"),
        format!("{m:?}"),
        format!("{:?}", m.strata),
        format!("{rate:?}"),
        format!("{national:?}"),
    ];
    // A report built from the strata the library can yield (the forged ones are refused,
    // below), with sentinel-free keys, and one whose strata are forged after the build.
    let mut report = Report::build(
        &Tally::new(),
        lib,
        &ReportOptions::default(),
        Date::MIN,
        true,
    )
    .unwrap();
    report.rates = rates.clone();
    report.national = national.clone();
    shown.push(format!("{report:?}"));
    shown.push(format!("{report:#?}"));
    for text in &shown {
        for s in [SENTINEL, SENTINEL_DATE] {
            assert!(!text.contains(s), "Debug leaks `{s}`: {text}");
        }
    }
    assert!(format!("{:?}", m.strata).contains("<2 strata>"));
}

#[test]
fn a_tally_or_report_with_strata_no_stratifier_yields_is_refused_without_the_value() {
    let lib = Library::bundled().unwrap();
    let good = tally_with_strata(&format!(r#"{{"sex":{{"female":{}}}}}"#, counts(1)));
    good.check_strata(lib).unwrap();
    Report::build(&good, lib, &ReportOptions::default(), Date::MIN, true).unwrap();

    let forged = tally_with_strata(&format!(r#"{{"sex":{{"{SENTINEL}":{}}}}}"#, counts(1)));
    let err = forged.check_strata(lib).unwrap_err();
    assert!(matches!(err, StrataError::UnknownValue { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("core.tobacco-use-status-documented"),
        "{text}"
    );
    assert!(text.contains("`sex`"), "{text}");
    assert!(!text.contains(SENTINEL), "{text}");
    let err = Report::build(&forged, lib, &ReportOptions::default(), Date::MIN, true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("stratifier `sex`") && !err.contains(SENTINEL),
        "{err}"
    );

    let unknown = tally_with_strata(&format!(r#"{{"{SENTINEL}":{{"x":{}}}}}"#, counts(1)));
    let err = unknown.check_strata(lib).unwrap_err().to_string();
    assert!(
        err.contains("does not declare") && !err.contains(SENTINEL),
        "{err}"
    );

    // A report whose strata were edited after it was built.
    let report = Report::build(&good, lib, &ReportOptions::default(), Date::MIN, true).unwrap();
    report.check_strata(lib).unwrap();
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"female\""));
    let edited: Report =
        serde_json::from_str(&json.replace("\"female\"", &format!("\"{SENTINEL}\""))).unwrap();
    let err = edited.check_strata(lib).unwrap_err().to_string();
    assert!(
        err.contains("stratifier `sex`") && !err.contains(SENTINEL),
        "{err}"
    );
}
