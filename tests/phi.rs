//! Patient values never appear in `Debug` output or in any error message.

mod common;

use oncoqual::chart::BaseType;
use oncoqual::{Chart, JsonlReader, Limits, parse_chart, schema};
use serde_json::{Value, json};

const SENTINEL: &str = "ZZSECRETZZ";
const SENTINEL_DATE: &str = "1913-07-19";
const SENTINEL_NUMBER: f64 = 987654.321;

fn sentinel_fill() -> common::Fill {
    common::Fill {
        text: SENTINEL,
        date: SENTINEL_DATE,
        number: SENTINEL_NUMBER,
    }
}

fn assert_clean(what: &str, text: &str) {
    // A key that looks like a field name is shown (it is most likely a typo of one);
    // the sentinel used as such a key is allowed only in that place.
    let text = &text
        .replace(&format!(".{SENTINEL}`"), ".KEY`")
        .replace(&format!(".{SENTINEL}\""), ".KEY\"");
    for s in [SENTINEL, SENTINEL_DATE, "1913-07", "987654"] {
        assert!(!text.contains(s), "{what} leaks `{s}`: {text}");
    }
}

#[test]
fn debug_of_a_full_chart_shows_no_patient_value() {
    let chart = Chart::from_json(&common::full_chart(&sentinel_fill()).to_string()).unwrap();
    assert_clean("Debug", &format!("{chart:?}"));
    assert_clean("pretty Debug", &format!("{chart:#?}"));
    assert_clean("id Debug", &format!("{:?}", chart.id));
    assert_clean("diagnosis Debug", &format!("{:?}", chart.diagnoses[0]));
}

/// Every leaf path of the chart, with a JSON pointer into a full chart.
fn leaf_pointers(v: &Value, prefix: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m)
            if !(m.contains_key("system") && m.contains_key("code") && m.len() == 2) =>
        {
            for (k, child) in m {
                leaf_pointers(child, format!("{prefix}/{k}"), out);
            }
        }
        Value::Array(items) if items.first().is_some_and(Value::is_object) => {
            leaf_pointers(&items[0], format!("{prefix}/0"), out);
        }
        _ => out.push(prefix),
    }
}

#[test]
fn every_wrong_value_in_every_field_gives_an_error_without_the_value() {
    let base = common::full_chart(&common::PLAIN);
    let mut pointers = Vec::new();
    leaf_pointers(&base, String::new(), &mut pointers);
    assert!(pointers.len() > 140, "only {} leaves", pointers.len());
    let bad_values = [
        json!(SENTINEL),
        json!(format!("{SENTINEL_DATE}x")),
        json!(SENTINEL_NUMBER),
        json!([SENTINEL]),
        json!({ SENTINEL: SENTINEL }),
        json!({ format!("{SENTINEL} {SENTINEL_DATE}"): 1 }),
        json!(true),
    ];
    let mut rejected = 0;
    for ptr in &pointers {
        for bad in &bad_values {
            let mut v = base.clone();
            *v.pointer_mut(ptr).unwrap() = bad.clone();
            let text = v.to_string();
            if let Err(e) = parse_chart(&text, &Limits::default()) {
                rejected += 1;
                assert_clean(&format!("error at {ptr}"), &e.to_string());
                assert_clean(&format!("error Debug at {ptr}"), &format!("{e:?}"));
                assert!(
                    e.findings.iter().any(|f| !f.path.is_empty()),
                    "no field path for {ptr}: {e}"
                );
            }
        }
    }
    assert!(rejected > pointers.len() * 4, "only {rejected} rejections");
}

#[test]
fn enum_and_date_errors_name_the_path_and_expectation_only() {
    let mut v = common::full_chart(&common::PLAIN);
    v["regimens"][1]["agents"][0]["class"] = json!(SENTINEL);
    let e = parse_chart(&v.to_string(), &Limits::default()).unwrap_err();
    assert_eq!(e.findings[0].path, "regimens[1].agents[0].class");
    assert!(
        e.to_string().contains("expected one of: anthracycline"),
        "{e}"
    );
    assert_clean("enum error", &e.to_string());
}

#[test]
fn semantic_errors_name_paths_not_values() {
    let mut v = common::full_chart(&sentinel_fill());
    v["death"]["date"] = json!("1900-01-01");
    v["administrations"][0]["regimen_id"] = json!(format!("{SENTINEL}-nowhere"));
    let e = parse_chart(&v.to_string(), &Limits::default()).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("`death.date`"), "{text}");
    assert!(text.contains("`administrations[0].regimen_id`"), "{text}");
    assert_clean("semantic error", &text.replace("1900-01-01", ""));
    assert_clean("semantic error Debug", &format!("{e:?}"));
}

#[test]
fn jsonl_errors_never_echo_line_content() {
    let lines = [
        format!("{{\"id\": \"{SENTINEL}\", \"practice\": 7}}"),
        format!("{{\"id\": \"{SENTINEL}\" \"oops\"}}"),
        format!("not json {SENTINEL}"),
        format!("{{\"{SENTINEL}\": 1}}").replace(SENTINEL, "unknown_key"),
    ];
    let input = lines.join("\n");
    for record in JsonlReader::new(input.as_bytes()) {
        let e = record.unwrap_err();
        assert_clean("jsonl error", &e.to_string());
        assert_clean("jsonl error Debug", &format!("{e:?}"));
    }
}

#[test]
fn schema_leaf_count_matches_the_model() {
    // Guards the leaf walk used above: every record field of the schema is reached.
    let leaves = schema().leaf_paths();
    assert!(
        leaves
            .iter()
            .all(|(_, t)| !matches!(t.base, BaseType::Record { .. }))
    );
}
