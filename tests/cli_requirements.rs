//! `oncoqual requirements`, run as a user would: each measure's data requirements (the chart
//! fields and value sets its compiled logic reads) as text and JSON, every path one the
//! chart schema has.
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod cli_support;

use cli_support::oncoqual;
use serde_json::Value;

#[test]
fn requirements_prints_each_measures_fields_as_text_and_json() {
    let (code, text, err) =
        oncoqual(&["requirements", "--measure", "informational.biosimilar-use"]);
    assert_eq!(code, 0, "{err}");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("informational.biosimilar-use"));
    let rest: Vec<&str> = lines.collect();
    assert!(rest.contains(&"  regimens.agents.code"), "{text}");
    assert!(
        rest.contains(&"  valueset biologics_with_biosimilar"),
        "{text}"
    );

    let (code, out, err) = oncoqual(&["requirements", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: Value = serde_json::from_str(&out).unwrap();
    let (code, schema, _) = oncoqual(&["schema"]);
    assert_eq!(code, 0);
    let leaves: Vec<&str> = schema
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let rows = rows.as_array().unwrap();
    assert!(rows.len() >= 200, "{}", rows.len());
    for row in rows {
        let paths = row["paths"].as_array().unwrap();
        assert!(!paths.is_empty(), "{}", row["measure"]);
        for p in paths {
            let p = p.as_str().unwrap();
            // A listed path is a schema leaf or leads to one.
            assert!(
                leaves
                    .iter()
                    .any(|l| *l == p || l.starts_with(&format!("{p}."))),
                "{}: {p}",
                row["measure"]
            );
        }
    }
    let (code, _, err) = oncoqual(&["requirements", "--measure", "no.such-measure"]);
    assert_eq!(code, 2);
    assert!(err.contains("no measure `no.such-measure`"), "{err}");
}
