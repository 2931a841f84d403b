//! `oncoqual test --coverage`: the logic coverage of a hand-checked deck, in text, JSON and
//! HTML; the HTML page marks exactly the clauses the deck misses.
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod cli_support;

use cli_support::{Dir, oncoqual};
use serde_json::{Value, json};

const MEASURE: &str = "core.cov";

/// Worked out by hand (see the unit test in `src/measure/coverage.rs`): the deck below
/// never makes the denominator, `exists procedures` or `kind = ct_chest` false, never makes
/// the denominator exclusion or the numerator exclusion true, and never reaches the
/// exclusion's last operand.
const SPEC: &str = include_str!("fixtures/coverage/cov.oqm");

fn chart(stage: Option<&str>, ct_date: &str) -> Value {
    let mut c = json!({"id": "c1", "practice": "p1", "round": "2026-1",
        "patient": {"birth_date": "1960-01-01", "sex": "female"}});
    if let Some(stage) = stage {
        c["diagnoses"] = json!([{"id": "dx1", "cancer_type": "breast",
            "diagnosis_date": "2025-10-01", "invasive": true, "stage_group": stage}]);
        c["procedures"] = json!([{"kind": "ct_chest", "date": ct_date, "indication": "staging"}]);
    }
    c
}

/// A library folder with the measure and a deck of three cases.
fn setup(tag: &str) -> (Dir, String, String) {
    let dir = Dir::new(tag);
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(specs.join("core")).unwrap();
    std::fs::write(specs.join("core/cov.oqm"), SPEC).unwrap();
    let deck = dir.path().join("cases").join(MEASURE);
    std::fs::create_dir_all(&deck).unwrap();
    let case = |name: &str, chart: Value, expect: Value| {
        let c = json!({"description": name, "chart": chart, "expect": expect});
        std::fs::write(deck.join(format!("{name}.json")), c.to_string()).unwrap();
    };
    case("a-no-diagnosis", chart(None, ""), json!([]));
    case(
        "b-stage-iv-ct-in-period",
        chart(Some("IV"), "2026-02-01"),
        json!(["IPP", "DENOM", "NUMER"]),
    );
    case(
        "c-stage-ii-ct-before",
        chart(Some("II"), "2025-06-01"),
        json!(["IPP", "DENOM"]),
    );
    let s = specs.to_str().unwrap().to_owned();
    let c = dir.path().join("cases").to_str().unwrap().to_owned();
    (dir, s, c)
}

#[test]
fn text_coverage_lists_exactly_the_missed_clauses_with_their_places() {
    let (_dir, specs, cases) = setup("coverage-text");
    let (code, out, err) = oncoqual(&["test", &cases, "--specs", &specs, "--coverage"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(out);
}

#[test]
fn json_coverage_counts_cases_per_outcome_and_the_exit_code_still_follows_the_cases() {
    let (dir, specs, cases) = setup("coverage-json");
    let (code, out, err) = oncoqual(&[
        "test",
        &cases,
        "--specs",
        &specs,
        "--coverage",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["passed"], 3);
    let m = &v["coverage"]["measures"][0];
    assert_eq!(m["measure"], MEASURE);
    assert_eq!(m["cases"], 3);
    assert_eq!(
        v["coverage"]["totals"],
        json!({"clauses": 16, "clauses_covered": 7, "outcomes": 31, "outcomes_covered": 21})
    );
    let ipp = &m["clauses"][2];
    assert_eq!(ipp["code"], "exists diagnoses");
    assert_eq!(ipp["kind"], "criterion");
    assert_eq!(ipp["status"], "covered");
    assert_eq!(
        (ipp["line"].as_u64(), ipp["column"].as_u64()),
        (Some(6), Some(22))
    );
    assert_eq!(
        (
            &ipp["true_cases"],
            &ipp["false_cases"],
            &ipp["reached_cases"]
        ),
        (&json!(2), &json!(1), &json!(3))
    );
    // A wrong expectation fails the run; the coverage is still reported.
    let bad = dir
        .path()
        .join("cases")
        .join(MEASURE)
        .join("a-no-diagnosis.json");
    let text = std::fs::read_to_string(&bad).unwrap();
    std::fs::write(&bad, text.replace(r#""expect":[]"#, r#""expect":["IPP"]"#)).unwrap();
    let (code, out, _) = oncoqual(&[
        "test",
        &cases,
        "--specs",
        &specs,
        "--coverage",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(v["coverage"]["totals"]["outcomes_covered"], 21);
}

/// The `(class, text)` of every highlighted span of a page, innermost text only.
fn marked(page: &str) -> Vec<(String, String)> {
    let pre = page
        .split("<pre>")
        .nth(1)
        .unwrap()
        .split("</pre>")
        .next()
        .unwrap();
    let mut out = Vec::new();
    for part in pre.split("<span class=\"").skip(1) {
        let (class, rest) = part.split_once('"').unwrap();
        let text = rest.split_once('>').unwrap().1;
        let text: String = text.split(['<']).next().unwrap().to_owned();
        out.push((
            class.to_owned(),
            text.replace("&lt;", "<").replace("&gt;", ">"),
        ));
    }
    out
}

#[test]
fn html_coverage_marks_exactly_the_clauses_the_deck_misses() {
    let (dir, specs, cases) = setup("coverage-html");
    let out_dir = dir.path().join("report");
    let (code, out, err) = oncoqual(&[
        "test",
        &cases,
        "--specs",
        &specs,
        "--coverage",
        "--format",
        "html",
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("coverage: 2 pages in"), "{out}");
    assert!(out.contains("(21 of 31 outcomes, 67.7%)"), "{out}");
    let index = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    assert!(index.contains("href=\"core.cov.html\""), "{index}");
    let page = std::fs::read_to_string(out_dir.join("core.cov.html")).unwrap();
    let missed: Vec<(String, String)> = marked(&page)
        .into_iter()
        .filter(|(class, _)| class != "c")
        .collect();
    let want = |class: &str, text: &str| (class.to_owned(), text.to_owned());
    // Each missed clause, with the text before its first nested clause.
    assert_eq!(
        missed,
        vec![
            want("nf", ""),
            want("nf", "exists procedures"),
            want("nt", "exists (diagnoses where "),
            want("nt", "invasive = false"),
            want("nf", "kind = ct_chest"),
            want("nt", ""),
            want("nt", "exists (diagnoses where "),
            want("nt", "invasive = false"),
            want("nr", "exists procedures"),
        ]
    );
    assert!(page.contains("title=\"operand — never reached: reached in 0, true in 0, false in 0, unknown in 0 cases\""), "{page}");
    assert!(!page.contains("<script"), "self-contained, no script");
}

#[test]
fn coverage_options_that_do_not_fit_are_refused_with_the_reason() {
    let (_dir, specs, cases) = setup("coverage-usage");
    for (args, says) in [
        (vec!["--coverage", "--format", "junit"], "not junit"),
        (vec!["--format", "html"], "add --coverage"),
        (vec!["--coverage", "--format", "html"], "-o DIR"),
        (
            vec!["--coverage", "-o", "x"],
            "other formats go to standard output",
        ),
    ] {
        let mut all = vec!["test", cases.as_str(), "--specs", specs.as_str()];
        all.extend(args);
        let (code, _, err) = oncoqual(&all);
        assert_eq!(code, 2, "{all:?}: {err}");
        assert!(err.contains(says), "{all:?}: {err}");
    }
}
