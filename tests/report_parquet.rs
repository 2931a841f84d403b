//! `oncoqual report --format parquet` and `oncoqual evaluate --format parquet` on a synthetic
//! sample, read back with the parquet crate's Arrow reader: every table holds the rows and
//! values of its CSV table (rounded as the CSV rounds them), and the outcome rows are the
//! outcome lines of `evaluate`.
#![cfg(all(feature = "cli", feature = "parquet"))]

#[path = "common/cli.rs"]
mod cli_support;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use cli_support::{Dir, oncoqual};
use oncoqual::Decimal;
use oncoqual::report::csv::text_cell;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rust_decimal::prelude::FromPrimitive;
use serde_json::Value;

/// An outcome row: chart, round, period, measure, population flags, strata.
type OutcomeRow = (
    String,
    String,
    String,
    String,
    Vec<bool>,
    BTreeMap<String, Value>,
);

fn run(args: &[&str]) -> String {
    let (code, out, err) = oncoqual(args);
    assert_eq!(code, 0, "oncoqual {args:?}: {err}");
    out
}

/// Every batch of a Parquet file.
fn read(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(File::open(path).expect("the file"))
        .expect("a Parquet file")
        .build()
        .expect("a reader")
        .collect::<Result<Vec<_>, _>>()
        .expect("its batches")
}

/// A `Decimal128(38, 28)` value as the exact decimal (trailing zeros dropped so it fits).
fn decimal(mut v: i128, mut scale: u32) -> Decimal {
    while scale > 0 && v % 10 == 0 {
        v /= 10;
        scale -= 1;
    }
    Decimal::try_from_i128_with_scale(v, scale).expect("a decimal in range")
}

fn days_to_date(days: i32) -> String {
    let epoch = oncoqual::Date::from_ymd(1970, 1, 1).unwrap();
    epoch.add_days(i64::from(days)).unwrap().to_string()
}

/// The places the CSV tables round a column to.
fn places(column: &str) -> u32 {
    match column {
        "percentile_rank" => 1,
        "z" => 3,
        _ => 4,
    }
}

/// A cell as the CSV table writes it.
fn csv_cell(col: &dyn Array, name: &str, row: usize) -> String {
    if col.is_null(row) {
        return String::new();
    }
    let fixed = |d: Decimal| {
        let dp = places(name);
        format!(
            "{:.prec$}",
            oncoqual::report::rounded(d, dp),
            prec = dp as usize
        )
    };
    match col.data_type() {
        DataType::Utf8 => text_cell(col.as_string::<i32>().value(row)).into_owned(),
        DataType::Int64 => col.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Boolean => col.as_boolean().value(row).to_string(),
        DataType::Date32 => days_to_date(col.as_primitive::<Date32Type>().value(row)),
        DataType::Decimal128(_, scale) => fixed(decimal(
            col.as_primitive::<Decimal128Type>().value(row),
            u32::try_from(*scale).unwrap(),
        )),
        DataType::Float64 => {
            fixed(Decimal::from_f64(col.as_primitive::<Float64Type>().value(row)).unwrap())
        }
        other => panic!("{name}: unexpected type {other}"),
    }
}

/// A Parquet table as CSV records: its header, then its rows.
fn as_csv(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let Some(first) = batches.first() else {
        return out;
    };
    out.push(
        first
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect(),
    );
    for b in batches {
        let schema = b.schema();
        for row in 0..b.num_rows() {
            out.push(
                b.columns()
                    .iter()
                    .zip(schema.fields())
                    .map(|(c, f)| csv_cell(c.as_ref(), f.name(), row))
                    .collect(),
            );
        }
    }
    out
}

fn csv_records(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .expect("a CSV file");
    r.records()
        .map(|rec| rec.expect("a record").iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn report_tables_hold_the_csv_values_and_evaluate_rows_the_outcome_lines() {
    let dir = Dir::new("report-parquet");
    let charts = dir.file("charts.jsonl");
    let practices = dir.file("practices.json");
    let report = dir.file("report.json");
    run(&[
        "synth",
        "--charts",
        "300",
        "--practices",
        "6",
        "--rounds",
        "2",
        "--seed",
        "11",
        "-o",
        &charts,
        "--practices-out",
        &practices,
    ]);
    run(&[
        "benchmark",
        "--charts",
        &charts,
        "--practices",
        &practices,
        "-o",
        &report,
    ]);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    // Eligibility facts for every practice with charts, one with a webinar.
    let mut ids: Vec<&str> = json["participation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["practice"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let facts: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i == 0 {
                serde_json::json!({"practice": p, "webinar": {"date": "2026-03-01", "format": "live"}})
            } else {
                serde_json::json!({"practice": p})
            }
        })
        .collect();
    let facts_file = dir.file("facts.json");
    std::fs::write(&facts_file, serde_json::to_string(&facts).unwrap()).unwrap();
    let with_facts = |format: &str, out: &str| {
        let (code, _, err) = oncoqual(&[
            "report",
            "--report",
            &report,
            "--format",
            format,
            "-o",
            out,
            "--facts",
            &facts_file,
            "--on",
            "2027-01-15",
            "--min-charts",
            "10",
        ]);
        assert_eq!(code, 0, "{err}");
        err
    };
    let csv_dir = dir.file("csv");
    let pq_dir = dir.file("parquet");
    with_facts("csv", &csv_dir);
    let said = with_facts("parquet", &pq_dir);
    assert!(said.contains("wrote 8 Parquet tables"), "{said}");

    // Every CSV table, row for row and cell for cell.
    for table in [
        "practice_rates",
        "national",
        "oqs",
        "trends",
        "strata",
        "eligibility",
    ] {
        let csv = csv_records(&Path::new(&csv_dir).join(format!("{table}.csv")));
        let pq = as_csv(&read(&Path::new(&pq_dir).join(format!("{table}.parquet"))));
        assert!(csv.len() > 1, "{table}: the sample has rows");
        assert_eq!(pq.len(), csv.len(), "{table}: rows");
        for (i, (p, c)) in pq.iter().zip(&csv).enumerate() {
            assert_eq!(p, c, "{table}: record {i}");
        }
    }
    // The tables the CSV directory lacks: as many rows as the report has.
    let rows = |name: &str| -> usize {
        read(&Path::new(&pq_dir).join(format!("{name}.parquet")))
            .iter()
            .map(RecordBatch::num_rows)
            .sum()
    };
    assert_eq!(
        rows("participation"),
        json["participation"].as_array().unwrap().len()
    );
    let exclusions = json["registration"]["exclusions"].as_array().unwrap().len();
    assert_eq!(rows("exclusions"), exclusions);

    // Rates are exact: the Parquet decimal is the report's, digit for digit.
    let rates = read(&Path::new(&pq_dir).join("practice_rates.parquet"));
    let mut exact = 0;
    for b in &rates {
        let rate = b
            .column_by_name("rate")
            .unwrap()
            .as_primitive::<Decimal128Type>();
        for row in 0..b.num_rows() {
            let want = &json["rates"][exact]["rate"];
            if rate.is_null(row) {
                assert!(want.is_null());
            } else {
                let want: Decimal = want.as_str().unwrap().parse().unwrap();
                assert_eq!(decimal(rate.value(row), 28), want.normalize());
            }
            exact += 1;
        }
    }

    // evaluate: the rows are the outcome lines, chart by chart and measure by measure.
    let out = dir.file("outcomes.parquet");
    let lines = run(&["evaluate", "--charts", &charts, "--all"]);
    run(&[
        "evaluate", "--charts", &charts, "--all", "--format", "parquet", "-o", &out,
    ]);
    let mut want: Vec<OutcomeRow> = Vec::new();
    for line in lines.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        for (measure, o) in v["outcomes"].as_object().unwrap() {
            let pops: Vec<&str> = o["populations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            let flags = ["IPP", "DENOM", "DENEX", "DENEXCEP", "NUMER", "NUMEX"]
                .iter()
                .map(|p| pops.contains(p))
                .collect();
            let strata = o
                .get("strata")
                .and_then(Value::as_object)
                .map(|m| m.clone().into_iter().collect())
                .unwrap_or_default();
            want.push((
                v["chart"].as_str().unwrap().to_owned(),
                v["round"].as_str().unwrap().to_owned(),
                v["period"].as_str().unwrap().to_owned(),
                measure.clone(),
                flags,
                strata,
            ));
        }
    }
    let mut got = Vec::new();
    for b in read(Path::new(&out)) {
        let s = |n: &str| b.column_by_name(n).unwrap().as_string::<i32>().clone();
        let d = |n: &str| {
            b.column_by_name(n)
                .unwrap()
                .as_primitive::<Date32Type>()
                .clone()
        };
        let (chart, round, measure) = (s("chart"), s("round"), s("measure"));
        let (start, end) = (d("period_start"), d("period_end"));
        let flags: Vec<_> = ["ipp", "denom", "denex", "denexcep", "numer", "numex"]
            .iter()
            .map(|n| b.column_by_name(n).unwrap().as_boolean().clone())
            .collect();
        let strata = b.column_by_name("strata").unwrap().as_map().clone();
        for row in 0..b.num_rows() {
            let entries = strata.value(row);
            let keys = entries.column(0).as_string::<i32>();
            let values = entries.column(1).as_string::<i32>();
            let map: BTreeMap<String, Value> = (0..entries.len())
                .map(|i| {
                    let v = if values.is_null(i) {
                        Value::Null
                    } else {
                        Value::String(values.value(i).to_owned())
                    };
                    (keys.value(i).to_owned(), v)
                })
                .collect();
            got.push((
                chart.value(row).to_owned(),
                round.value(row).to_owned(),
                format!(
                    "{}..{}",
                    days_to_date(start.value(row)),
                    days_to_date(end.value(row))
                ),
                measure.value(row).to_owned(),
                flags.iter().map(|f| f.value(row)).collect::<Vec<_>>(),
                map,
            ));
        }
    }
    assert!(want.len() > 300, "every chart × measure: {}", want.len());
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "outcome row {i}");
    }
    assert!(
        got.iter().any(|r| !r.5.is_empty()),
        "some measure has strata"
    );
}

#[test]
fn parquet_refuses_standard_output_and_fhir_and_leaves_no_file_behind() {
    let dir = Dir::new("report-parquet-refusals");
    let charts = dir.file("charts.jsonl");
    run(&["synth", "--charts", "5", "--seed", "3", "-o", &charts]);
    let (code, _, err) = oncoqual(&["evaluate", "--charts", &charts, "--format", "parquet"]);
    assert_eq!(code, 2);
    assert!(err.contains("-o FILE"), "{err}");
    let out = dir.file("o.parquet");
    let (code, _, err) = oncoqual(&[
        "evaluate", "--charts", &charts, "--format", "parquet", "--fhir", "-o", &out,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--fhir"), "{err}");
    // The output may not be an input.
    let (code, _, err) = oncoqual(&[
        "evaluate", "--charts", &charts, "--format", "parquet", "-o", &charts,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("also an input"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, [std::ffi::OsString::from("charts.jsonl")], "{left:?}");
}
