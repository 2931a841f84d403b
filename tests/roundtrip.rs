//! Property: any chart built from the schema with arbitrary values either is rejected with a
//! located error or parses and survives `to_json → from_json` unchanged.

use oncoqual::chart::{BaseType, RecordSchema, Scalar};
use oncoqual::{Chart, Limits, parse_chart, schema};
use proptest::prelude::*;
use proptest::test_runner::TestRng;
use serde_json::{Map, Value, json};

fn random_scalar(rng: &mut TestRng, scalar: Scalar, field: &str) -> Value {
    match scalar {
        Scalar::Date => {
            // Ordered by field so that most charts are consistent: birth, events, ends, death.
            let years = match field {
                "birth_date" => 1900..1950,
                "end_date" | "discharge_date" | "resolved_date" | "abatement_date" => 2060..2100,
                _ => 1950..2060,
            };
            let y = rng.random_range(years);
            let m = rng.random_range(1..=12);
            let last_day = if rng.random_bool(0.05) { 31 } else { 28 };
            let d = rng.random_range(1..=last_day);
            json!(format!("{y:04}-{m:02}-{d:02}"))
        }
        Scalar::Number => match rng.random_range(0..4) {
            0 => json!(rng.random_range(-1000i64..1000)),
            1 => json!(f64::from(rng.random_range(-100000i32..100000)) / 1000.0),
            2 => json!(format!(
                "{}.{:03}",
                rng.random_range(0u64..u64::MAX),
                rng.random_range(0..1000)
            )),
            _ => json!(rng.random_range(0.0f64..1e6)),
        },
        Scalar::Boolean => json!(rng.random_bool(0.5)),
        Scalar::Code => {
            json!({"system": "ICD-10-CM", "code": format!("C{}", rng.random_range(0..99))})
        }
        Scalar::Id => json!(["a", "b", "c"][rng.random_range(0..3)]),
        Scalar::Round => json!("2026-2"),
        _ => unreachable!(),
    }
}

fn random_record(rng: &mut TestRng, rec: &RecordSchema) -> Value {
    let mut obj = Map::new();
    for field in rec.fields {
        if rng.random_bool(0.5) {
            continue;
        }
        let one = |rng: &mut TestRng| match field.ty.base {
            BaseType::Scalar { scalar } => random_scalar(rng, scalar, field.name),
            BaseType::Enum { schema } => {
                json!(schema.values[rng.random_range(0..schema.values.len())])
            }
            BaseType::Record { schema } => random_record(rng, schema),
            _ => unreachable!(),
        };
        let v = if field.ty.list {
            let n = rng.random_range(0..4);
            Value::Array((0..n).map(|_| one(rng)).collect())
        } else {
            one(rng)
        };
        obj.insert(field.name.to_owned(), v);
    }
    Value::Object(obj)
}

fn random_chart(seed: u64) -> Value {
    let mut rng = TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &{
        let mut s = [0u8; 32];
        s[..8].copy_from_slice(&seed.to_le_bytes());
        s
    });
    let mut v = random_record(&mut rng, schema().chart);
    // Give entries distinct ids and drop references that point nowhere (most of the time).
    for list in ["diagnoses", "regimens"] {
        if let Some(items) = v.get_mut(list).and_then(Value::as_array_mut) {
            for (i, item) in items.iter_mut().enumerate() {
                item["id"] = json!(format!("{list}{i}"));
            }
        }
    }
    if let Some(death) = v.get_mut("death").and_then(Value::as_object_mut) {
        death.insert("date".into(), json!("2150-01-01"));
        death.remove("hospice_enrollment_date");
    }
    if !rng.random_bool(0.1) {
        for (list, field, target) in [
            ("regimens", "diagnosis_id", "diagnoses"),
            ("radiation_courses", "diagnosis_id", "diagnoses"),
            ("surgeries", "diagnosis_id", "diagnoses"),
            ("administrations", "regimen_id", "regimens"),
            ("chemo_orders", "regimen_id", "regimens"),
            ("documents", "regimen_id", "regimens"),
            ("medications", "regimen_id", "regimens"),
            ("adverse_events", "regimen_id", "regimens"),
        ] {
            let n = v.get(target).and_then(Value::as_array).map_or(0, Vec::len);
            if let Some(items) = v.get_mut(list).and_then(Value::as_array_mut) {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    if n == 0 {
                        item.remove(field);
                    } else if item.contains_key(field) {
                        item.insert(
                            field.into(),
                            json!(format!("{target}{}", rng.random_range(0..n))),
                        );
                    }
                }
            }
        }
    }
    v["id"] = json!("chart");
    v["practice"] = json!("p");
    v["round"] = json!("2026-1");
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn accepted_charts_round_trip_exactly(seed in any::<u64>()) {
        let text = random_chart(seed).to_string();
        match parse_chart(&text, &Limits::default()) {
            Ok(checked) => {
                let again = Chart::from_json(&checked.chart.to_json()).expect("re-parse");
                prop_assert_eq!(again, checked.chart);
            }
            Err(e) => {
                prop_assert!(!e.findings.is_empty());
                prop_assert!(e.errors().next().is_some());
            }
        }
    }

    #[test]
    fn truncated_or_mutated_input_never_panics(seed in any::<u64>(), cut in 0usize..4000, byte in any::<u8>()) {
        let mut bytes = random_chart(seed).to_string().into_bytes();
        let cut = cut.min(bytes.len());
        if cut < bytes.len() { bytes[cut] = byte; }
        bytes.truncate(cut.max(1));
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = parse_chart(text, &Limits::default());
        }
    }
}

#[test]
fn a_good_share_of_random_charts_is_accepted() {
    let accepted = (0..300u64)
        .filter(|&s| parse_chart(&random_chart(s).to_string(), &Limits::default()).is_ok())
        .count();
    assert!(
        accepted >= 30,
        "only {accepted}/300 random charts accepted: the property above would be vacuous"
    );
}
