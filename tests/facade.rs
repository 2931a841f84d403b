//! The public facade: charts built in Rust with the record builders (checked as JSON ingest
//! checks), a library built from sources the caller read, outcomes that name their measure,
//! and `Decimal` reachable from the crate root.

use std::path::Path;

use oncoqual::chart::{
    CancerType, Diagnosis, FindingKind, Patient, Regimen, Sex, StageGroup, Surgery,
};
use oncoqual::measure::{Library, SpecFile};
use oncoqual::{Chart, Decimal, Limits, Number, RoundCalendar, parse_chart};

fn chart() -> Chart {
    Chart::builder(
        "c-1".parse().unwrap(),
        "p-1".parse().unwrap(),
        "2026-1".parse().unwrap(),
    )
    .patient(
        Patient::default()
            .birth_date("1950-03-14".parse().unwrap())
            .sex(Sex::Female),
    )
    .diagnoses(
        Diagnosis::default()
            .id("dx-1".parse().unwrap())
            .cancer_type(CancerType::Breast)
            .stage_group(StageGroup::IV),
    )
    .diagnoses(Diagnosis::default().id("dx-2".parse().unwrap()))
    .regimens(
        Regimen::default()
            .id("r-1".parse().unwrap())
            .diagnosis_id("dx-1".parse().unwrap())
            .start_date("2026-02-03".parse().unwrap()),
    )
    .build()
    .unwrap()
}

#[test]
fn a_built_chart_equals_the_same_chart_read_from_json() {
    let json = r#"{"id":"c-1","practice":"p-1","round":"2026-1",
      "patient":{"birth_date":"1950-03-14","sex":"female"},
      "diagnoses":[{"id":"dx-1","cancer_type":"breast","stage_group":"IV"},{"id":"dx-2"}],
      "regimens":[{"id":"r-1","diagnosis_id":"dx-1","start_date":"2026-02-03"}]}"#;
    let read = Chart::from_json(json).unwrap();
    assert_eq!(chart(), read);
    // A list setter appends: two calls, two diagnoses, in order.
    assert_eq!(chart().diagnoses.len(), 2);
}

#[test]
fn the_builder_refuses_what_ingest_refuses_with_the_same_findings() {
    // A regimen naming a diagnosis the chart does not hold.
    let built = Chart::builder(
        "c-2".parse().unwrap(),
        "p-1".parse().unwrap(),
        "2026-1".parse().unwrap(),
    )
    .regimens(
        Regimen::default()
            .id("r-1".parse().unwrap())
            .diagnosis_id("dx-9".parse().unwrap()),
    )
    .build()
    .unwrap_err();
    let json = r#"{"id":"c-2","practice":"p-1","round":"2026-1","regimens":[{"id":"r-1","diagnosis_id":"dx-9"}]}"#;
    let ingested = parse_chart(json, &Limits::default()).unwrap_err();
    assert_eq!(built.findings, ingested.findings);
    assert!(built.to_string().starts_with("invalid chart: "));
    // Never the value: the dangling id is not echoed.
    assert!(!built.to_string().contains("dx-9"));
    assert!(!format!("{built:?}").contains("dx-9"));

    // A list longer than the limits allow.
    let mut long = Chart::builder(
        "c-3".parse().unwrap(),
        "p-1".parse().unwrap(),
        "2026-1".parse().unwrap(),
    )
    .limits(Limits::default().with_max_list_len(2));
    for _ in 0..3 {
        long = long.surgeries(Surgery::default());
    }
    let err = long.build().unwrap_err();
    assert!(
        err.findings
            .iter()
            .any(|f| matches!(f.kind, FindingKind::ListTooLong { .. })),
        "{err}"
    );
}

#[test]
fn ids_and_dates_parse_without_echoing_the_text() {
    let bad_id = "".parse::<oncoqual::ChartId>().unwrap_err();
    let long = "x".repeat(200);
    assert!(long.parse::<oncoqual::ChartId>().is_err());
    assert_eq!(
        bad_id.to_string(),
        "invalid identifier: expected a non-empty identifier of at most 128 characters"
    );
    assert!("2026-02-30".parse::<oncoqual::Date>().is_err());
}

#[test]
fn a_library_from_sources_the_caller_read_equals_the_bundled_one() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/measure-specs"));
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.push(SpecFile::new(name, std::fs::read_to_string(&path).unwrap()));
        }
    }
    // Given in any order, with files that are not part of a library beside them.
    files.reverse();
    files.push(SpecFile::new("notes/README.md", "not a spec"));
    files.push(SpecFile::new("data.json", "{ not a value set"));
    let lib = Library::from_sources(files).unwrap_or_else(|e| panic!("{e}"));
    let bundled = Library::bundled().unwrap();
    assert_eq!(lib.fingerprint(), bundled.fingerprint());
    let a: Vec<&str> = lib.measures().map(|m| m.id.as_str()).collect();
    let b: Vec<&str> = bundled.measures().map(|m| m.id.as_str()).collect();
    assert_eq!(a, b);
}

#[test]
fn a_broken_source_is_reported_with_its_name_line_and_column() {
    let err = Library::from_sources([SpecFile::new(
        "core/broken.oqm",
        "measure core.x {\n  title \"x\"\n}\ninitial_population = exists nosuchfield\n",
    )])
    .unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("core/broken.oqm"), "{shown}");
    let (name, diags) = err.files().next().unwrap();
    assert_eq!(name.name(), "core/broken.oqm");
    assert!(!diags.is_empty());
}

#[test]
fn every_outcome_names_its_measure_across_reused_buffers() {
    let lib = Library::bundled().unwrap();
    let chart = chart();
    let period = RoundCalendar::new().period(chart.round);
    let all = lib.evaluate(&chart, period);
    assert_eq!(all.len(), lib.measures().len());
    for o in &all {
        assert_eq!(o.measure_id(), lib.measure(o.measure).unwrap().id);
    }
    // A buffer reused for another selection: every outcome still names its own measure.
    let picks = [7usize, 3, 3, 150];
    let mut out = all.clone();
    lib.evaluate_selection_into(&chart, period, &lib.select(&picks), &mut out);
    let ids: Vec<&str> = out.iter().map(|o| o.measure_id()).collect();
    let want: Vec<&str> = picks
        .iter()
        .map(|&i| lib.measure(i).unwrap().id.as_str())
        .collect();
    assert_eq!(ids, want);
    // And the populations are those of a fresh evaluation.
    let fresh = lib.evaluate_selected(&chart, period, &picks);
    assert_eq!(out, fresh);
    lib.evaluate_into(&chart, period, &mut out);
    assert_eq!(out, all);
}

#[test]
fn decimal_is_reachable_from_the_crate_root() {
    let n = Number::from(Decimal::new(125, 1));
    assert_eq!(n.value(), Decimal::new(25, 1) * Decimal::from(5));
}
