//! `tally` and `benchmark` over selected measures (`--measure`), run as a user would: the
//! counts are the whole library's for those measures, the selection is stamped in the tally
//! and the report, and a selection never merges with the whole library, never makes a final
//! report and never feeds certification.
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod cli_support;

use cli_support::{Dir, oncoqual};
use serde_json::Value;

const CHEMO: &str = "end_of_life.chemo-last-14-days";

fn json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The tally rows' counts of `measure`, by (round, practice).
fn counts(tally: &Value, measure: &str) -> Vec<(String, String, Value)> {
    tally["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["round"].as_str().unwrap().to_owned(),
                r["practice"].as_str().unwrap().to_owned(),
                r["measures"][measure].clone(),
            )
        })
        .collect()
}

#[test]
fn a_tally_of_selected_measures_counts_as_the_whole_library_and_states_its_selection() {
    let dir = Dir::new("selection");
    let charts = dir.file("charts.jsonl");
    let (code, _, err) = oncoqual(&["synth", "--charts", "600", "--seed", "9", "-o", &charts]);
    assert_eq!(code, 0, "{err}");
    let (whole, part) = (dir.file("whole.json"), dir.file("part.json"));
    let (code, _, err) = oncoqual(&["tally", "--charts", &charts, "-o", &whole]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = oncoqual(&[
        "tally",
        "--charts",
        &charts,
        "--measure",
        CHEMO,
        "-o",
        &part,
    ]);
    assert_eq!(code, 0, "{err}");
    let (w, p) = (json(&whole), json(&part));
    assert_eq!(p["selection"], serde_json::json!([CHEMO]));
    assert!(w.get("selection").is_none());
    assert_ne!(p["library"], w["library"]);
    assert_eq!(counts(&p, CHEMO), counts(&w, CHEMO));
    for row in p["rows"].as_array().unwrap() {
        assert_eq!(row["measures"].as_object().unwrap().len(), 1);
    }

    // Never merged with the whole library's tally, in either order.
    let report = dir.file("report.json");
    for order in [[&whole, &part], [&part, &whole]] {
        let (code, _, err) =
            oncoqual(&["benchmark", "--tallies", order[0], order[1], "-o", &report]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("the tallies count different measures"),
            "{err}"
        );
        assert!(err.contains("the whole measure library"), "{err}");
        assert!(err.contains(CHEMO), "{err}");
    }
    assert!(!std::path::Path::new(&report).exists());
    // A selected tally makes a report only with the same selection.
    let (code, _, err) = oncoqual(&["benchmark", "--tallies", &part, "-o", &report]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("use the same selection"), "{err}");
    let (code, _, err) = oncoqual(&[
        "benchmark",
        "--tallies",
        &part,
        "--measure",
        CHEMO,
        "-o",
        &report,
    ]);
    assert_eq!(code, 0, "{err}");
    let r = json(&report);
    assert_eq!(r["computed_with"]["selection"], serde_json::json!([CHEMO]));
    assert!(
        r["rates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["measure"] == CHEMO)
    );
    // Never a final report.
    let (code, _, err) = oncoqual(&[
        "benchmark",
        "--tallies",
        &part,
        "--measure",
        CHEMO,
        "--final",
        "-o",
        &report,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--final cannot be used with --measure"),
        "{err}"
    );
}

#[test]
fn an_unknown_selected_measure_is_refused_with_a_suggestion() {
    let dir = Dir::new("selection-unknown");
    let charts = dir.file("charts.jsonl");
    std::fs::write(&charts, "").unwrap();
    let (code, _, err) = oncoqual(&[
        "tally",
        "--charts",
        &charts,
        "--measure",
        "end_of_life.chemo-last-14-day",
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("did you mean `end_of_life.chemo-last-14-days`?"),
        "{err}"
    );
}
