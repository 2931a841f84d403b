//! The chart model holds every data-dictionary path with the dictionary's type and values.

mod common;

use oncoqual::chart::{BaseType, Scalar};
use oncoqual::{Chart, schema};

const DICTIONARY: &str = include_str!("data/data-dictionary.tsv");

struct Row<'a> {
    path: &'a str,
    kind: &'a str,
    list: bool,
    values: Vec<&'a str>,
}

fn dictionary() -> Vec<Row<'static>> {
    DICTIONARY
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Row {
                path: cols[0],
                kind: cols[1],
                list: cols[2] == "list",
                values: cols
                    .get(3)
                    .filter(|v| !v.is_empty())
                    .map(|v| v.split(',').collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[test]
fn every_dictionary_path_resolves_with_its_type_and_values() {
    let rows = dictionary();
    assert!(rows.len() >= 141, "dictionary has {} paths", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let Some(resolved) = schema().resolve(row.path) else {
            failures.push(format!("{}: not in the schema", row.path));
            continue;
        };
        let ty = resolved.ty;
        let ok_kind = match (row.kind, ty.base) {
            (
                "date",
                BaseType::Scalar {
                    scalar: Scalar::Date,
                },
            )
            | (
                "number",
                BaseType::Scalar {
                    scalar: Scalar::Number,
                },
            )
            | (
                "boolean",
                BaseType::Scalar {
                    scalar: Scalar::Boolean,
                },
            )
            | (
                "code",
                BaseType::Scalar {
                    scalar: Scalar::Code,
                },
            )
            | ("id", BaseType::Scalar { scalar: Scalar::Id }) => true,
            ("enum", BaseType::Enum { schema }) => {
                if schema.values != row.values.as_slice() {
                    failures.push(format!("{}: enum values differ", row.path));
                }
                true
            }
            _ => false,
        };
        if !ok_kind {
            failures.push(format!("{}: {} vs {}", row.path, row.kind, ty.describe()));
        }
        if ty.list != row.list {
            failures.push(format!("{}: list-ness differs", row.path));
        }
        if !row.path.starts_with("reporting_period.") && !ty.optional && !ty.list {
            failures.push(format!("{}: must be optional", row.path));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn schema_has_no_leaf_outside_the_dictionary() {
    let rows = dictionary();
    let extra: Vec<String> = schema()
        .leaf_paths()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| !["id", "practice", "round"].contains(&p.as_str()))
        .filter(|p| !rows.iter().any(|r| r.path == p))
        .collect();
    assert!(
        extra.is_empty(),
        "schema paths not in the dictionary: {extra:?}"
    );
}

#[test]
fn unknown_paths_do_not_resolve() {
    assert!(schema().resolve("regimens.agents.klass").is_none());
    assert!(schema().resolve("patient.birth_date.year").is_none());
    assert!(schema().resolve("").is_none());
    let r = schema().resolve("regimens.agents.class").unwrap();
    assert!(r.through_list && r.ty.optional && !r.ty.list);
}

#[test]
fn a_chart_with_every_schema_field_parses_and_round_trips_exactly() {
    let json = common::full_chart(&common::PLAIN);
    let text = json.to_string();
    let chart = Chart::from_json(&text).unwrap_or_else(|e| panic!("{e}"));
    let back: serde_json::Value = serde_json::from_str(&chart.to_json()).unwrap();
    assert_eq!(back, json, "serialised chart differs from its input");
    assert_eq!(Chart::from_json(&chart.to_json()).unwrap(), chart);
}

#[test]
fn schema_json_names_every_enum_value() {
    let text = serde_json::to_string(schema()).unwrap();
    for value in [
        "lung_nsclc",
        "immune_checkpoint_inhibitor",
        "IIIC2",
        "T4d",
        "pain_warranting_workup",
    ] {
        assert!(text.contains(&format!("\"{value}\"")), "{value} missing");
    }
}
