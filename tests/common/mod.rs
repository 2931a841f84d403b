//! Helpers shared by integration tests: charts built from the schema itself.
#![allow(dead_code)]

use oncoqual::chart::{BaseType, RecordSchema, Scalar};
use serde_json::{Map, Value, json};

/// Values to put in every field of a schema-built chart.
pub struct Fill {
    pub text: &'static str,
    pub date: &'static str,
    pub number: f64,
}

pub const PLAIN: Fill = Fill {
    text: "x1",
    date: "2020-02-29",
    number: 4.25,
};

/// A JSON object with every field of `schema` present (lists with two entries).
pub fn full_record(schema: &RecordSchema, fill: &Fill) -> Value {
    let mut obj = Map::new();
    for field in schema.fields {
        let one = |i: usize| -> Value {
            match field.ty.base {
                BaseType::Scalar { scalar } => match scalar {
                    Scalar::Date => json!(fill.date),
                    Scalar::Number => json!(fill.number),
                    Scalar::Boolean => json!(true),
                    Scalar::Code => json!({"system": fill.text, "code": fill.text}),
                    Scalar::Id => json!(format!("{}{}", fill.text, i)),
                    Scalar::Round => json!("2026-1"),
                    _ => unreachable!("new scalar kind"),
                },
                BaseType::Enum { schema } => json!(schema.values[i % schema.values.len()]),
                BaseType::Record { schema } => full_record(schema, fill),
                _ => unreachable!("new base kind"),
            }
        };
        let v = if field.ty.list {
            json!([one(0), one(1)])
        } else {
            one(0)
        };
        obj.insert(field.name.to_owned(), v);
    }
    Value::Object(obj)
}

/// A chart with every field filled, whose references all resolve and dates are consistent.
pub fn full_chart(fill: &Fill) -> Value {
    let mut v = full_record(oncoqual::schema().chart, fill);
    let set_all = |v: &mut Value, list: &str, field: &str, to: &Value| {
        if let Some(items) = v[list].as_array_mut() {
            for item in items {
                item[field] = to.clone();
            }
        }
    };
    // Distinct ids within each list.
    for list in ["diagnoses", "regimens"] {
        if let Some(items) = v[list].as_array_mut() {
            for (i, item) in items.iter_mut().enumerate() {
                item["id"] = json!(format!("{}-{list}-{i}", fill.text));
            }
        }
    }
    // References point at the first diagnosis / regimen.
    let dx0 = v["diagnoses"][0]["id"].clone();
    let rx0 = v["regimens"][0]["id"].clone();
    for list in ["regimens", "radiation_courses", "surgeries"] {
        set_all(&mut v, list, "diagnosis_id", &dx0);
    }
    for list in [
        "administrations",
        "chemo_orders",
        "documents",
        "medications",
        "adverse_events",
    ] {
        set_all(&mut v, list, "regimen_id", &rx0);
    }
    v["id"] = json!(format!("{}-chart", fill.text));
    v["practice"] = json!(format!("{}-practice", fill.text));
    v
}

/// A tally written by hand for the bundled library: `rows` are JSON rows
/// (`{"round", "practice", "charts", "measures"}`) without digests; each row gets `charts`
/// distinct made-up chart digests, and the stamp names the bundled library, no chart key
/// and every round's default period.
pub fn hand_tally(rows: &[String]) -> oncoqual::benchmark::Tally {
    let lib = oncoqual::Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let mut periods = Map::new();
    let mut out = Vec::new();
    for (k, row) in rows.iter().enumerate() {
        let mut v: Value = serde_json::from_str(row).unwrap();
        let round: oncoqual::RoundId = v["round"].as_str().unwrap().parse().unwrap();
        let p = round.default_period();
        periods.insert(
            round.to_string(),
            json!({"start": p.start.to_string(), "end": p.end.to_string()}),
        );
        let n = v["charts"].as_u64().unwrap();
        let digests: String = (0..n)
            .map(|i| format!("{:032x}", ((k as u128) << 64) | u128::from(i)))
            .collect();
        v["chart_digests"] = Value::String(digests);
        out.push(v);
    }
    serde_json::from_value(json!({
        "oncoqual_tally": oncoqual::benchmark::TALLY_FORMAT,
        "oncoqual_version": env!("CARGO_PKG_VERSION"),
        "library": lib.fingerprint().to_string(),
        "chart_key": "unkeyed",
        "periods": periods,
        "rows": out,
    }))
    .unwrap()
}
