//! The projected parse: it equals the full parse with the unkept fields cleared, every
//! bundled measure gives the same outcome on a projected chart as on the whole one, and what
//! it skims is still refused where the full parse refuses it for syntax, unknown or
//! repeated keys, and shape, with the line and column — hostile nesting included.
#![cfg(feature = "synth")]

#[path = "common/cut.rs"]
mod cut;

use std::ops::ControlFlow;

use oncoqual::chart::Projection;
use oncoqual::io::parse_chart_projected;
use oncoqual::pipeline::{Run, tally_jsonl_with};
use oncoqual::synth::{SynthConfig, chart, generate};
use oncoqual::{Chart, JsonlReader, Library, Limits, RecordError, RoundCalendar, parse_chart};
use proptest::prelude::*;
use serde_json::Value;

/// `value` (at dictionary path `at`, the chart at "") with only the fields `p` keeps.
fn clear(value: &Value, at: &str, p: &Projection) -> Value {
    cut::cut(value, at, &|path: &str| p.keeps(path))
}

/// The chart `c` with only the fields `p` keeps: the helper the projected parse is held to.
fn cleared(c: &Chart, p: &Projection) -> Chart {
    let json = serde_json::to_value(c).unwrap();
    serde_json::from_value(clear(&json, "", p)).unwrap()
}

/// Every path of the schema: records and leaves.
fn all_paths() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (leaf, _) in oncoqual::schema().leaf_paths() {
        if leaf.starts_with("reporting_period") {
            continue;
        }
        for (at, _) in leaf.match_indices('.') {
            out.push(leaf[..at].to_owned());
        }
        out.push(leaf);
    }
    out.sort();
    out.dedup();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_projected_parse_is_the_full_parse_with_unkept_fields_cleared(
        seed in any::<u64>(),
        index in 0usize..500,
        mask in proptest::collection::vec(proptest::bool::weighted(0.15), 200),
    ) {
        let paths = all_paths();
        let chosen: Vec<&String> = paths
            .iter()
            .zip(mask.iter().cycle())
            .filter_map(|(p, keep)| keep.then_some(p))
            .collect();
        let p = Projection::from_paths(chosen);
        let c = chart(&SynthConfig::new(500, 7, 2, seed), index);
        let line = c.to_json();
        let limits = Limits::default();
        let full = parse_chart(&line, &limits).unwrap();
        let projected = parse_chart_projected(&line, &limits, &p).unwrap();
        prop_assert_eq!(&projected.chart, &cleared(&full.chart, &p));
        // The warnings of the kept fields' checks are those of the cleared chart.
        let again = oncoqual::chart::validate(&cleared(&full.chart, &p), &limits);
        prop_assert_eq!(projected.warnings, again);
        // Every field kept: the full parse.
        let whole = parse_chart_projected(&line, &limits, &Projection::full()).unwrap();
        prop_assert_eq!(whole, full);
    }
}

#[test]
fn every_bundled_measure_gives_the_same_outcome_on_the_projected_chart() {
    let lib = Library::bundled().unwrap();
    let calendar = RoundCalendar::new();
    let limits = Limits::default();
    let charts: Vec<Chart> = generate(&SynthConfig::new(200, 8, 2, 33)).collect();
    let lines: Vec<String> = charts.iter().map(Chart::to_json).collect();
    let mut compared = 0usize;
    for (i, info) in lib.measures().enumerate() {
        let selection = lib.select(&[i]);
        let p = lib.projection(&selection);
        assert!(!p.is_full(), "{} reads every field", info.id);
        let (mut full, mut cut) = (Vec::new(), Vec::new());
        let mut in_ipp = 0usize;
        for (c, line) in charts.iter().zip(&lines) {
            let period = calendar.period(c.round);
            let projected = parse_chart_projected(line, &limits, &p)
                .unwrap_or_else(|e| panic!("{}: {e}", info.id));
            lib.evaluate_selection_into(c, period, &selection, &mut full);
            lib.evaluate_selection_into(&projected.chart, period, &selection, &mut cut);
            assert_eq!(full, cut, "{}", info.id);
            in_ipp += usize::from(
                full.iter()
                    .any(|o| o.populations != oncoqual::Populations::NONE),
            );
        }
        compared += usize::from(in_ipp > 0);
    }
    assert!(compared * 2 > lib.measures().len(), "{compared}");
}

/// The tally of `input` over `ids` (the bundled library narrowed to them), and the
/// rejected records' text.
fn tally(ids: &[&str], input: &str, validate_all: bool) -> (String, Vec<String>) {
    let lib = Library::bundled_owned().unwrap().restrict(ids).unwrap();
    let calendar = RoundCalendar::new();
    let mut bad = Vec::new();
    let mut reader = JsonlReader::new(input.as_bytes());
    let run = Run::library().validate_all(validate_all);
    let t = tally_jsonl_with(
        &lib,
        &mut reader,
        run,
        |c| calendar.period(c.round),
        |e| {
            bad.push(e.to_string());
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    (serde_json::to_string(&t).unwrap(), bad)
}

const THREE: [&str; 3] = [
    "prostate.bone-scan-avoidance-low-risk",
    "pain.intensity-quantified-all-treatment-visits",
    "end_of_life.chemo-last-14-days",
];

#[test]
fn a_selected_run_tallies_the_same_projected_or_validating_every_field() {
    let mut input = String::new();
    for c in generate(&SynthConfig::new(600, 6, 2, 5)) {
        input.push_str(&c.to_json());
        input.push('\n');
    }
    for ids in [&THREE[..1], &THREE[1..2], &THREE[2..], &THREE[..]] {
        let projected = tally(ids, &input, false);
        assert!(projected.1.is_empty(), "{:?}", projected.1);
        assert_eq!(projected, tally(ids, &input, true), "{ids:?}");
    }
}

/// A valid chart line with a `labs` entry, a `medications` entry and a patient, for edits.
fn base() -> String {
    r#"{"id":"c1","practice":"p1","round":"2026-1","patient":{"sex":"female","birth_date":"1950-02-03"},"labs":[{"test":"hemoglobin","date":"2026-01-05","value":11.5}],"medications":[{"agent":{"system":"RxNorm","code":"123"}}]}"#.to_owned()
}

/// The projection of the end-of-life measure: it does not read `labs`, `medications` or
/// `patient.sex`.
fn eol(lib: &Library) -> Projection {
    let i = lib.index_of("end_of_life.chemo-last-14-days").unwrap();
    let p = lib.projection(&lib.select(&[i]));
    for unread in ["labs", "medications", "patient.sex"] {
        assert!(!p.keeps(unread), "{unread}");
    }
    p
}

/// Lines broken in fields the projection skims, each with what is wrong.
fn broken() -> Vec<(&'static str, String)> {
    let b = base();
    let with = |from: &str, to: &str| {
        assert!(b.contains(from), "{from}");
        b.replacen(from, to, 1)
    };
    vec![
        (
            "bad escape",
            with(r#""test":"hemoglobin""#, r#""test":"hemo\qglobin""#),
        ),
        (
            "bad unicode escape",
            with(r#""test":"hemoglobin""#, r#""test":"\u12G4""#),
        ),
        (
            "lone surrogate",
            with(r#""test":"hemoglobin""#, r#""test":"\uD800""#),
        ),
        (
            "control character",
            with(r#""test":"hemoglobin""#, "\"test\":\"hemo\u{1}globin\""),
        ),
        (
            "unterminated string",
            with(r#""hemoglobin","date""#, r#""hemoglobin,"date""#),
        ),
        ("leading zero", with("11.5", "011.5")),
        ("bare dot", with("11.5", "11.")),
        ("bad exponent", with("11.5", "1e+")),
        ("bad literal", with("11.5", "tru")),
        ("trailing comma", with("11.5}]", "11.5,}]")),
        ("missing bracket", with("11.5}],", "11.5},")),
        (
            "unknown key in an unread record",
            with(r#""date":"2026-01-05""#, r#""daet":"2026-01-05""#),
        ),
        (
            "unknown key in an unread code",
            with(r#""code":"123""#, r#""code":"123","display":"x""#),
        ),
        (
            "unknown key in an unread patient field's record",
            with(r#""sex":"female""#, r#""sex":"female","gender":"f""#),
        ),
        (
            "repeated key in an unread record",
            with(r#""value":11.5"#, r#""value":11.5,"value":2"#),
        ),
        ("a list where a scalar belongs", with("11.5", "[1]")),
        (
            "an object where a list belongs",
            with(r#""labs":[{"#, r#""labs":{"x":[{"#).replacen("}],\"medi", "}]},\"medi", 1),
        ),
        (
            "a scalar where a record belongs",
            with(r#"[{"agent":{"system""#, r#"[7,{"agent":{"system""#),
        ),
    ]
}

fn refused(result: Result<oncoqual::CheckedChart, RecordError>) -> RecordError {
    match result {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    }
}

#[test]
fn what_is_skimmed_is_refused_as_the_full_parse_refuses_it() {
    let lib = Library::bundled().unwrap();
    let p = eol(lib);
    let limits = Limits::default();
    assert!(parse_chart_projected(&base(), &limits, &p).is_ok());
    for (what, line) in broken() {
        let full = refused(parse_chart(&line, &limits));
        let projected = refused(parse_chart_projected(&line, &limits, &p));
        assert_eq!(projected, full, "{what}");
        assert!(
            projected.line.is_some() && projected.column.is_some(),
            "{what}: {projected}"
        );
    }
}

#[test]
fn the_jsonl_reader_and_the_pipeline_refuse_skimmed_errors_on_their_lines() {
    let lib = Library::bundled().unwrap();
    let p = eol(lib);
    let mut input = String::new();
    let mut expected = Vec::new();
    for (k, (_, line)) in broken().into_iter().enumerate() {
        input.push_str(&base().replace("\"c1\"", &format!("\"ok{k}\"")));
        input.push('\n');
        input.push_str(&line.replace("\"c1\"", &format!("\"bad{k}\"")));
        input.push('\n');
        expected.push(2 * k + 2);
    }
    let lines: Vec<usize> = JsonlReader::new(input.as_bytes())
        .projected(Some(p))
        .filter_map(|r| r.err().and_then(|e| e.line))
        .collect();
    assert_eq!(lines, expected);
    let (_, bad) = tally(&["end_of_life.chemo-last-14-days"], &input, false);
    let (_, all) = tally(&["end_of_life.chemo-last-14-days"], &input, true);
    assert_eq!(bad, all);
    insta::assert_snapshot!(bad.join("\n"));
}

#[test]
fn hostile_nesting_in_a_skimmed_value_is_refused_without_deep_recursion() {
    let lib = Library::bundled().unwrap();
    let p = eol(lib);
    let deep =
        |open: &str, close: &str| format!("{}1{}", open.repeat(200_000), close.repeat(200_000));
    let b = base();
    let lines = [
        b.replacen("11.5", &deep("[", "]"), 1),
        b.replacen("11.5", &deep("{\"a\":", "}"), 1),
        b.replacen(
            r#""labs":[{"#,
            &format!(r#""labs":[{},{{"#, deep("[", "]")),
            1,
        ),
        b.replacen(r#""female""#, &deep("[", "]"), 1),
        // Unbalanced: more opened than closed, to the end of the line.
        b.replacen("11.5", &"[".repeat(300_000), 1),
    ];
    // A worker thread's default stack (2 MiB): a skim (or the full parse that words the
    // error) recursing per bracket would overflow it long before 200,000 levels.
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let limits = Limits::default();
            lines
                .iter()
                .map(|l| parse_chart_projected(l, &limits, &p).map(|_| ()))
                .collect::<Vec<_>>()
        })
        .unwrap();
    for r in handle.join().unwrap() {
        let e = r.unwrap_err();
        assert!(e.line.is_some() && e.column.is_some(), "{e}");
    }
}

#[test]
fn identity_references_and_date_pairs_are_kept() {
    let p = Projection::from_paths(["administrations.regimen_id", "death.date"]);
    for kept in [
        "id",
        "practice",
        "round",
        "regimens.id",
        "patient.birth_date",
        "diagnoses.diagnosis_date",
        "diagnoses.resolved_date",
    ] {
        assert!(p.keeps(kept), "{kept}");
    }
    for unread in [
        "regimens.start_date",
        "labs",
        "administrations.date",
        "death.place",
    ] {
        assert!(!p.keeps(unread), "{unread}");
    }
}
