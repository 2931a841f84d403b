//! The genetic test and hospice rules, each through a whole run (the resources as NDJSON,
//! the chart and report that come out), so the holding and settling are tested with them.

use super::super::{FhirImport, Imported};
use super::*;
use crate::chart::Chart;

const LOINC: &str = "http://loinc.org";
const HGNC: &str = "http://www.genenames.org/geneId";

fn run(lines: &[String]) -> Imported {
    let mut r = FhirImport::new("p".parse().unwrap(), "2026-1".parse().unwrap());
    let mut text =
        String::from(r#"{"resourceType":"Patient","id":"x","deceasedDateTime":"2026-06-30"}"#);
    text.push('\n');
    for l in lines {
        text.push_str(&l.replace('\n', " "));
        text.push('\n');
    }
    r.read_ndjson("t.ndjson", text.as_bytes()).unwrap();
    r.finish().unwrap()
}

fn chart(out: &Imported) -> &Chart {
    assert_eq!(out.charts.len(), 1, "{:?}", out.report.charts);
    &out.charts[0]
}

/// The skip reasons of the chart's report, by resource id.
fn skipped(out: &Imported) -> Vec<(String, &'static str)> {
    out.report.charts[0]
        .skipped
        .iter()
        .map(|s| (s.resource.id.clone().unwrap_or_default(), s.reason.name()))
        .collect()
}

fn used(out: &Imported) -> Vec<String> {
    out.report.charts[0]
        .used
        .iter()
        .filter_map(|r| r.id.clone())
        .collect()
}

fn gene(hgnc: &str) -> String {
    format!(
        r#"{{"code":{{"coding":[{{"system":"{LOINC}","code":"48018-6"}}]}},
        "valueCodeableConcept":{{"coding":[{{"system":"{HGNC}","code":"{hgnc}"}}]}}}}"#
    )
}

fn answer(question: &str, answer: &str) -> String {
    format!(
        r#"{{"code":{{"coding":[{{"system":"{LOINC}","code":"{question}"}}]}},
        "valueCodeableConcept":{{"coding":[{{"system":"{LOINC}","code":"{answer}"}}]}}}}"#
    )
}

/// A variant Observation: its gene, source class and clinical significance (`""`: none).
fn variant(id: &str, hgnc: &str, source: &str, significance: &str) -> String {
    let mut components = vec![gene(hgnc)];
    if !source.is_empty() {
        components.push(answer("48002-0", source));
    }
    if !significance.is_empty() {
        components.push(answer("53037-8", significance));
    }
    format!(
        r#"{{"resourceType":"Observation","id":"{id}","status":"final",
        "meta":{{"profile":["{MCODE_VARIANT}"]}},"subject":{{"reference":"Patient/x"}},
        "code":{{"coding":[{{"system":"{LOINC}","code":"69548-6"}}]}},
        "valueCodeableConcept":{{"coding":[{{"system":"{LOINC}","code":"LA9633-4"}}]}},
        "effectiveDateTime":"2026-02-01","component":[{}]}}"#,
        components.join(",")
    )
}

fn region(id: &str, genes: &[&str]) -> String {
    let components: Vec<String> = genes.iter().map(|g| gene(g)).collect();
    format!(
        r#"{{"resourceType":"Observation","id":"{id}","status":"final",
        "subject":{{"reference":"Patient/x"}},
        "code":{{"coding":[{{"system":"{LOINC}","code":"53041-0"}}]}},"component":[{}]}}"#,
        components.join(",")
    )
}

fn report(id: &str, results: &[&str], based_on: &[&str]) -> String {
    let refs = |ty: &str, ids: &[&str]| {
        ids.iter()
            .map(|i| format!(r#"{{"reference":"{ty}/{i}"}}"#))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"resourceType":"DiagnosticReport","id":"{id}","status":"final",
        "subject":{{"reference":"Patient/x"}},"issued":"2026-02-10T10:00:00Z",
        "code":{{"coding":[{{"system":"{LOINC}","code":"81247-9"}}]}},
        "result":[{}],"basedOn":[{}]}}"#,
        refs("Observation", results),
        refs("ServiceRequest", based_on)
    )
}

fn order(id: &str, authored: &str) -> String {
    format!(
        r#"{{"resourceType":"ServiceRequest","id":"{id}","status":"completed","intent":"order",
        "subject":{{"reference":"Patient/x"}},"authoredOn":"{authored}",
        "code":{{"coding":[{{"system":"{LOINC}","code":"51969-4"}}]}}}}"#
    )
}

#[test]
fn a_germline_brca_report_is_a_genetic_test_ordered_by_its_request() {
    let out = run(&[
        variant("v1", "HGNC:1100", GERMLINE, "LA6668-3"),
        region("r1", &["HGNC:1100", "HGNC:1101"]),
        report("g1", &["v1", "r1"], &["o1"]),
        order("o1", "2026-01-15"),
    ]);
    let c = chart(&out);
    assert_eq!(c.genetic_tests.len(), 1);
    let t = &c.genetic_tests[0];
    assert_eq!(t.kind, Some(GeneticTestKind::Brca12));
    assert_eq!(t.result, Some(GeneticTestResult::PathogenicVariant));
    assert_eq!(t.order_date, Date::from_ymd(2026, 1, 15));
    assert_eq!(skipped(&out), [] as [(String, &str); 0]);
    let mut u = used(&out);
    u.sort();
    assert_eq!(
        u,
        ["g1", "o1", "r1", "v1", "x"],
        "the request gave the order date"
    );
    let s = &out.report.summary;
    assert_eq!(s.resources_read, s.resources_used + s.resources_skipped);
    assert!(!s.skip_reasons.contains_key("unlisted_request"));
}

#[test]
fn a_somatic_or_unstated_source_is_no_germline_test() {
    for source in ["LA6684-0", ""] {
        let out = run(&[
            variant("v1", "HGNC:1100", source, "LA6668-3"),
            region("r1", &["HGNC:1100"]),
            report("g1", &["v1", "r1"], &[]),
        ]);
        assert!(chart(&out).genetic_tests.is_empty());
        assert_eq!(
            skipped(&out),
            [
                ("g1".to_owned(), "not_germline"),
                ("v1".to_owned(), "not_germline"),
                ("r1".to_owned(), "not_germline")
            ]
        );
        assert_eq!(out.report.summary.skip_reasons["not_germline"], 3);
        assert_eq!(out.report.summary.resources_used, 1);
    }
    // Germline and somatic findings in one report: not said to be a germline test.
    let out = run(&[
        variant("v1", "HGNC:1100", GERMLINE, ""),
        variant("v2", "HGNC:1101", "LA6684-0", ""),
        report("g1", &["v1", "v2"], &[]),
    ]);
    assert!(chart(&out).genetic_tests.is_empty());
    // A report with no variant does not say germline.
    let out = run(&[region("r1", &["HGNC:1100"]), report("g1", &["r1"], &[])]);
    assert!(chart(&out).genetic_tests.is_empty());
}

#[test]
fn genes_not_stated_as_hgnc_ids_leave_no_test() {
    let out = run(&[
        variant("v1", "619728", GERMLINE, "LA6668-3"),
        report("g1", &["v1"], &[]),
        variant("v2", "HGNC:1100", GERMLINE, "LA6668-3"),
    ]);
    assert!(chart(&out).genetic_tests.is_empty());
    assert_eq!(
        skipped(&out),
        [
            ("g1".to_owned(), "genes_not_stated"),
            ("v1".to_owned(), "genes_not_stated"),
            ("v2".to_owned(), "genes_not_stated")
        ],
        "a germline variant in no report says no genes studied either"
    );
    // A germline BRCA1 variant in a report without a region studied: the panel is unknown.
    let out = run(&[
        variant("v1", "HGNC:1100", GERMLINE, "LA6668-3"),
        report("g1", &["v1"], &[]),
    ]);
    assert!(chart(&out).genetic_tests.is_empty());
    assert_eq!(
        skipped(&out),
        [
            ("g1".to_owned(), "genes_not_stated"),
            ("v1".to_owned(), "genes_not_stated")
        ]
    );
}

#[test]
fn the_kind_follows_the_genes_studied() {
    let kind_of = |genes: &[&str]| {
        let out = run(&[
            variant("v1", genes[0], GERMLINE, "LA6675-8"),
            region("r1", genes),
            report("g1", &["v1", "r1"], &[]),
        ]);
        chart(&out).genetic_tests[0].kind
    };
    assert_eq!(kind_of(&["HGNC:1101"]), Some(GeneticTestKind::Brca12));
    assert_eq!(
        kind_of(&[
            "HGNC:7127",
            "HGNC:7325",
            "HGNC:7329",
            "HGNC:9122",
            "HGNC:11529"
        ]),
        Some(GeneticTestKind::LynchPanel)
    );
    assert_eq!(
        kind_of(&["HGNC:1100", "HGNC:1101", "HGNC:7127"]),
        Some(GeneticTestKind::MultigenePanel)
    );
    assert_eq!(kind_of(&["HGNC:11389"]), Some(GeneticTestKind::Other));
}

#[test]
fn results_and_order_dates() {
    let one = |sig: &[&str], based_on: &[&str]| {
        let mut lines: Vec<String> = sig
            .iter()
            .enumerate()
            .map(|(i, s)| variant(&format!("v{i}"), "HGNC:1100", GERMLINE, s))
            .collect();
        lines.push(region("r1", &["HGNC:1100", "HGNC:1101"]));
        let mut ids: Vec<String> = (0..sig.len()).map(|i| format!("v{i}")).collect();
        ids.push("r1".to_owned());
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        lines.push(report("g1", &ids, based_on));
        let out = run(&lines);
        let t = chart(&out).genetic_tests[0].clone();
        let missing: Vec<(String, MissingReason)> = out.report.charts[0]
            .missing
            .iter()
            .filter(|m| m.field.starts_with("genetic_tests"))
            .map(|m| (m.field.clone(), m.reason))
            .collect();
        (t, missing)
    };
    let (t, _) = one(&["LA26333-7", "LA6675-8"], &[]);
    assert_eq!(t.result, Some(GeneticTestResult::Vus));
    let (t, missing) = one(&["LA26334-5", "LA6675-8"], &[]);
    assert_eq!(t.result, Some(GeneticTestResult::Negative));
    assert_eq!(
        missing,
        [(
            "genetic_tests[0].order_date".to_owned(),
            MissingReason::Absent
        )],
        "the report's own dates are no order date"
    );
    let (t, missing) = one(&["LA26332-9", ""], &["nowhere"]);
    assert_eq!(t.result, Some(GeneticTestResult::PathogenicVariant));
    assert_eq!(
        missing,
        [(
            "genetic_tests[0].order_date".to_owned(),
            MissingReason::UnresolvedReference
        )]
    );
    let (t, missing) = one(&[""], &[]);
    assert_eq!(t.result, None);
    assert!(missing.contains(&("genetic_tests[0].result".to_owned(), MissingReason::Absent)));
}

fn episode(id: &str, status: &str, code: &str, start: &str) -> String {
    format!(
        r#"{{"resourceType":"EpisodeOfCare","id":"{id}","status":"{status}",
        "patient":{{"reference":"Patient/x"}},
        "type":[{{"coding":[{{"system":"http://snomed.info/sct","code":"{code}"}}]}}],
        "period":{{"start":"{start}"}}}}"#
    )
}

#[test]
fn the_last_hospice_enrolment_before_death() {
    let out = run(&[
        episode("e1", "finished", HOSPICE_CARE, "2026-03-01"),
        episode("e2", "finished", HOSPICE_CARE, "2026-06-01"),
        episode("e3", "active", HOSPICE_CARE, "2026-07-01"),
        episode("e4", "planned", HOSPICE_CARE, "2026-06-20"),
        episode("e5", "active", "1", "2026-06-25"),
    ]);
    let death = chart(&out).death.as_ref().unwrap();
    assert_eq!(death.hospice_enrollment_date, Date::from_ymd(2026, 6, 1));
    assert_eq!(
        skipped(&out),
        [
            ("e4".to_owned(), "status"),
            ("e5".to_owned(), "unlisted_episode"),
            ("e3".to_owned(), "not_before_death")
        ]
    );
    // No hospice episode: the date is absent, not guessed.
    let out = run(&[]);
    assert!(out.report.charts[0].missing.iter().any(|m| {
        m.field == "death.hospice_enrollment_date" && m.reason == MissingReason::Absent
    }));
}

#[test]
fn a_living_patient_has_no_hospice_enrolment_in_the_chart() {
    let mut r = FhirImport::new("p".parse().unwrap(), "2026-1".parse().unwrap());
    let text = format!(
        "{}\n{}\n",
        r#"{"resourceType":"Patient","id":"x"}"#,
        episode("e1", "active", HOSPICE_CARE, "2026-03-01").replace('\n', " ")
    );
    r.read_ndjson("t.ndjson", text.as_bytes()).unwrap();
    let out = r.finish().unwrap();
    assert!(out.charts[0].death.is_none());
    assert_eq!(
        out.report.charts[0].skipped[0].reason.name(),
        "not_before_death"
    );
    assert_eq!(out.report.summary.resources_used, 1);
}

#[test]
fn other_reports_are_skipped_with_their_codes() {
    let out = run(&[format!(
        r#"{{"resourceType":"DiagnosticReport","id":"d1","status":"final",
        "subject":{{"reference":"Patient/x"}},"code":{{"coding":[{{"system":"{LOINC}","code":"58410-2"}}]}}}}"#
    )]);
    assert_eq!(skipped(&out), [("d1".to_owned(), "unlisted_report")]);
    assert_eq!(
        out.report.summary.unmapped_codes["http://loinc.org|58410-2"],
        1
    );
    let out = run(&[report("g1", &[], &[]).replace("\"final\"", "\"preliminary\"")]);
    assert_eq!(skipped(&out), [("g1".to_owned(), "status")]);
}
