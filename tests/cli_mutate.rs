//! `oncoqual test --mutate`: mutation testing of a deck, on a small hand-written library and
//! deck whose survivors are known: the text report (snapshot), JSON, `--min-score`, the
//! equivalence annotations and the options it refuses.
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod cli_support;

use cli_support::{Dir, bin};
use serde_json::{Value, json};

const SPEC: &str = r#"measure core.visits {
  title "Two office visits" module core tracks [core]
  direction higher_is_better scoring proportion source "doc" version "1"
}

define visits = encounters where kind = office_visit and date during reporting_period

initial_population = exists diagnoses
denominator_exclusion = patient.sex = male
numerator = (count visits) >= 2
"#;

/// A chart with a breast cancer and office visits on `dates`, of patient `sex`.
fn chart(sex: &str, dates: &[&str]) -> Value {
    let encounters: Vec<Value> = dates
        .iter()
        .map(|d| {
            json!({"kind": "office_visit", "date": d, "with_practice": true,
                "provider_role": "physician"})
        })
        .collect();
    json!({"id": "c1", "practice": "p1", "round": "2026-1",
        "patient": {"birth_date": "1960-06-15", "sex": sex},
        "diagnoses": [{"id": "dx1", "cancer_type": "breast", "diagnosis_date": "2025-11-10",
            "invasive": true}],
        "encounters": encounters})
}

/// The library (`specs/`, the spec with `extra` spliced above its numerator) and a deck
/// (`cases/`) that misses the boundary of `>= 2` and the edges of the period.
fn setup(tag: &str, extra: &str) -> Dir {
    let dir = Dir::new(tag);
    let spec = SPEC.replace("numerator =", &format!("{extra}numerator ="));
    std::fs::create_dir_all(dir.path().join("specs/core")).unwrap();
    std::fs::write(dir.path().join("specs/core/visits.oqm"), spec).unwrap();
    let folder = dir.path().join("cases/core.visits");
    std::fs::create_dir_all(&folder).unwrap();
    let case = |name: &str, chart: Value, expect: &[&str]| {
        let c = json!({"description": name, "reporting_period": "2026-01-01..2026-06-30",
            "chart": chart, "expect": expect});
        std::fs::write(folder.join(format!("{name}.json")), c.to_string()).unwrap();
    };
    let three = ["2026-02-01", "2026-03-01", "2026-04-01"];
    case(
        "three-visits-numer",
        chart("female", &three),
        &["IPP", "DENOM", "NUMER"],
    );
    case(
        "one-visit-denom",
        chart("female", &["2026-02-01"]),
        &["IPP", "DENOM"],
    );
    case(
        "male-denex",
        chart("male", &three),
        &["IPP", "DENOM", "DENEX"],
    );
    case(
        "no-diagnosis-not-ipp",
        json!({"id": "c2", "practice": "p1", "round": "2026-1",
        "patient": {"birth_date": "1960-06-15", "sex": "female"}}),
        &[],
    );
    dir
}

/// Runs `oncoqual test cases --specs specs --mutate ARGS` in `dir`.
fn mutate(dir: &Dir, args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .current_dir(dir.path())
        .args(["test", "cases", "--specs", "specs", "--mutate"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_text_report_lists_each_survivor_with_its_place_kind_and_text_then_the_scores() {
    let dir = setup("mutate-text", "");
    let (code, out, err) = mutate(&dir, &[]);
    assert_eq!(code, 0, "report only by default: {err}");
    assert!(err.is_empty(), "{err}");
    insta::assert_snapshot!(out);
}

#[test]
fn json_gives_the_counts_and_every_survivor_and_min_score_fails_a_measure_below_it() {
    let dir = setup("mutate-json", "");
    let (code, out, _) = mutate(&dir, &["--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let m = &v["measures"][0];
    assert_eq!(m["measure"], "core.visits");
    assert_eq!(m["cases"], 4);
    let generated = m["generated"].as_u64().unwrap();
    let killed = m["killed"].as_u64().unwrap();
    let survivors = m["survivors"].as_array().unwrap();
    assert_eq!(generated - killed, survivors.len() as u64);
    assert!(survivors.iter().any(|s| s["kind"] == "comparison"
        && s["description"] == "`>=` → `>`"
        && s["file"] == "specs/core/visits.oqm"
        && s["line"] == 10
        && s["snippet"] == "(count visits) >= 2"));
    assert_eq!(v["killed"], m["killed"]);
    assert!(v["errors"].as_array().unwrap().is_empty());
    // Below the bar: exit 1 and a message; at 0 %, report only.
    let (code, _, err) = mutate(&dir, &["--min-score", "95"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("1 measure(s) kill less than 95% of their mutants"),
        "{err}"
    );
    let (code, _, _) = mutate(&dir, &["--min-score", "0"]);
    assert_eq!(code, 0);
}

#[test]
fn an_equivalent_annotation_excludes_its_mutant_and_a_stale_one_fails_the_run() {
    let dir = setup(
        "mutate-annotated",
        "# equivalent: comparison `>=`: only to test the annotation\n",
    );
    let (code, out, err) = mutate(&dir, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 equivalent"), "{out}");
    assert!(!out.contains("`>=` → `>`"), "{out}");
    let dir = setup(
        "mutate-stale",
        "# equivalent: first-last: there is no first here\n",
    );
    let (code, _, err) = mutate(&dir, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error: specs/core/visits.oqm:10:1: this `equivalent` annotation matches no `first-last` mutant of line 11"),
        "{err}"
    );
}

#[test]
fn mutate_refuses_a_case_filter_and_junit_and_an_unknown_measure() {
    let dir = setup("mutate-refused", "");
    let (code, _, err) = mutate(&dir, &["--case", "one-*"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--case"), "{err}");
    let (code, _, err) = mutate(&dir, &["--format", "junit"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("--mutate writes text or json, not junit"),
        "{err}"
    );
    let (code, _, err) = mutate(&dir, &["--measure", "core.visit"]);
    assert_ne!(code, 0);
    assert!(err.contains("did you mean `core.visits`"), "{err}");
    let (code, _, err) = mutate(&dir, &["--min-score", "120"]);
    assert_eq!(code, 2, "{err}");
}
