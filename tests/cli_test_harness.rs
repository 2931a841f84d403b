//! `oncoqual test` for harnesses: one population vocabulary in case files (FHIR codes, short
//! codes, criterion keywords), `--measure` / `--case` filters, the explain trace beside a
//! failure, and JUnit XML / JSON reports with one test case per case file.
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod cli_support;

use cli_support::{Dir, oncoqual};
use serde_json::{Value, json};

const TOBACCO: &str = "core.tobacco-use-status-documented";

/// A chart in the tobacco measure's numerator (an adult with a breast cancer, an office
/// visit and a documented tobacco status).
fn chart() -> Value {
    json!({"id": "c1", "practice": "p1", "round": "2026-1",
        "patient": {"birth_date": "1960-06-15", "sex": "female"},
        "diagnoses": [{"id": "dx1", "cancer_type": "breast", "diagnosis_date": "2025-11-10",
            "invasive": true}],
        "encounters": [{"kind": "office_visit", "date": "2026-03-02", "with_practice": true,
            "provider_role": "physician"}],
        "assessments": [{"kind": "tobacco_use", "date": "2026-03-02",
            "tobacco_status": "current"}]})
}

/// A deck of three cases: two spellings that pass, one wrong expectation.
fn deck(tag: &str) -> Dir {
    let dir = Dir::new(tag);
    let folder = dir.path().join(TOBACCO);
    std::fs::create_dir_all(&folder).unwrap();
    let case = |name: &str, expect: Value| {
        let c = json!({"description": format!("{name} <&>"), "chart": chart(), "expect": expect});
        std::fs::write(folder.join(format!("{name}.json")), c.to_string()).unwrap();
    };
    case(
        "fhir-codes-numer",
        json!(["initial-population", "denominator", "numerator"]),
    );
    case(
        "keywords-numer",
        json!(["initial_population", "DENOM", "numerator"]),
    );
    // Wrong on purpose: the chart is in the numerator.
    case("wrong-denom", json!(["IPP", "DENOM"]));
    dir
}

#[test]
fn case_files_accept_fhir_codes_short_codes_and_keywords_and_a_failure_shows_its_trace() {
    let dir = deck("test-harness-vocabulary");
    let root = dir.path().to_str().unwrap();
    let (code, out, err) = oncoqual(&["test", root]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("2 of 3 cases passed over 1 measures; 1 failed"),
        "{out}"
    );
    assert!(out.contains("wrong-denom.json"), "{out}");
    assert!(out.contains("  NUMER: expected not in, got in"), "{out}");
    // The trace of the numerator criterion, as `oncoqual explain` prints it.
    assert!(out.contains("    | numerator = true  (met)"), "{out}");
    // A population no vocabulary knows is an invalid case naming the spellings.
    let bad = dir.path().join(TOBACCO).join("bad.json");
    let c = json!({"description": "x", "chart": chart(), "expect": ["numerator-excl"]});
    std::fs::write(&bad, c.to_string()).unwrap();
    let (_, out, _) = oncoqual(&["test", root, "--case", "bad"]);
    assert!(
        out.contains(
            "`numerator-excl` is not a population (a FHIR code such as `initial-population`"
        ),
        "{out}"
    );
}

#[test]
fn filters_select_measures_and_case_names_and_refuse_an_empty_selection() {
    let dir = deck("test-harness-filters");
    let root = dir.path().to_str().unwrap();
    let (code, out, _) = oncoqual(&["test", root, "--case", "*-numer"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 of 2 cases passed"), "{out}");
    let (code, out, _) = oncoqual(&["test", root, "--measure", TOBACCO, "--case", "wrong-?enom"]);
    assert_eq!(code, 1);
    assert!(out.contains("0 of 1 cases passed"), "{out}");
    let (code, _, err) = oncoqual(&["test", root, "--case", "nothing-*"]);
    assert_eq!(code, 2);
    assert!(err.contains("no case matches"), "{err}");
    let (code, _, err) = oncoqual(&[
        "test",
        root,
        "--measure",
        "core.tobacco-use-status-documentd",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("did you mean `core.tobacco-use-status-documented`?"),
        "{err}"
    );
}

#[test]
fn junit_and_json_give_one_test_case_per_case_file_with_the_difference() {
    let dir = deck("test-harness-formats");
    let root = dir.path().to_str().unwrap();
    let (code, xml, _) = oncoqual(&["test", root, "--format", "junit"]);
    assert_eq!(code, 1);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"oncoqual test\" tests=\"3\" failures=\"1\" errors=\"0\">"), "{xml}");
    assert!(
        xml.contains(&format!(
            "<testsuite name=\"{TOBACCO}\" tests=\"3\" failures=\"1\" errors=\"0\">"
        )),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 3);
    assert!(
        xml.contains("<failure message=\"NUMER: expected not in, got in\">NUMER: expected not in, got in\n\nnumerator = true  (met)"),
        "{xml}"
    );
    assert!(xml.trim_end().ends_with("</testsuites>"));

    let (code, text, _) = oncoqual(&["test", root, "--format", "json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(2), Some(1))
    );
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    let wrong = cases.iter().find(|c| c["case"] == "wrong-denom").unwrap();
    assert_eq!(wrong["passed"], false);
    assert_eq!(wrong["problems"], json!(["NUMER: expected not in, got in"]));
    assert_eq!(wrong["description"], "wrong-denom <&>");
    assert!(
        wrong["traces"][0]
            .as_str()
            .unwrap()
            .starts_with("numerator = true")
    );
}

#[test]
fn explain_as_html_colours_the_spec_by_value_in_one_self_contained_page() {
    let dir = Dir::new("explain-html");
    let charts = dir.file("charts.jsonl");
    std::fs::write(&charts, format!("{}\n", chart())).unwrap();
    let page = dir.file("explain.html");
    let args = [
        "explain",
        "--charts",
        &charts,
        "--chart",
        "c1",
        "--measure",
        TOBACCO,
        "--format",
        "html",
        "-o",
        &page,
    ];
    let (code, out, err) = oncoqual(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(&format!("<h2><code>core/{}.oqm</code></h2>", &TOBACCO[5..])));
    // Met criteria in green with their value on hover; the shared module's defines too.
    assert!(html.contains("<span class=\"t\" title=\"true\">"), "{html}");
    assert!(html.contains("<h2><code>lib/common.oqm</code></h2>"));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    // The output may not be an input.
    let (code, _, err) = oncoqual(&[
        "explain",
        "--charts",
        &charts,
        "--chart",
        "c1",
        "--measure",
        TOBACCO,
        "--format",
        "html",
        "-o",
        &charts,
    ]);
    assert_eq!(code, 2, "{err}");
}
