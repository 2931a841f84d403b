//! Streaming JSONL ingest: every bad record reported with line and path, every good one kept.

mod common;

use oncoqual::chart::{FindingKind, FindingSeverity};
use oncoqual::{JsonlReader, Limits, parse_chart};
use serde_json::json;

fn minimal(id: &str) -> String {
    json!({"id": id, "practice": "p1", "round": "2026-1"}).to_string()
}

#[test]
fn a_corrupted_line_is_reported_and_the_others_stay_valid() {
    let mut lines: Vec<String> = (0..5).map(|i| minimal(&format!("c{i}"))).collect();
    lines[2] = lines[2].replace("\"2026-1\"", "\"2026-3\"");
    let input = lines.join("\n");
    let records: Vec<_> = JsonlReader::new(input.as_bytes()).collect();
    assert_eq!(records.len(), 5);
    assert_eq!(records.iter().filter(|r| r.is_ok()).count(), 4);
    let err = records[2].as_ref().unwrap_err();
    assert_eq!(err.line, Some(3));
    assert_eq!(err.findings[0].path, "round");
    assert!(err.column.is_some());
    assert_eq!(
        err.to_string(),
        "line 3, column 43: error at `round`: invalid value, expected a round id written YYYY-1 or YYYY-2, years 1000 to 9998"
    );
}

#[test]
fn blank_lines_and_crlf_are_accepted_and_lines_keep_their_numbers() {
    let input = format!("{}\r\n\n   \n{}\n", minimal("a"), minimal("b"));
    let records: Vec<_> = JsonlReader::new(input.as_bytes()).collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].as_ref().unwrap().line, Some(4));
}

#[test]
fn a_duplicate_chart_id_rejects_the_later_record_and_names_the_first_line() {
    let input = [minimal("a"), minimal("b"), minimal("a")].join("\n");
    let records: Vec<_> = JsonlReader::new(input.as_bytes()).collect();
    assert!(records[0].is_ok() && records[1].is_ok());
    let err = records[2].as_ref().unwrap_err();
    assert_eq!(
        err.findings[0].kind,
        FindingKind::DuplicateChartId {
            first: 1,
            first_in: None
        }
    );
    assert_eq!(err.findings[0].path, "id");
}

#[test]
fn a_chart_id_counts_once_per_round_and_practice() {
    // The same id in another round, or at another practice, is another chart.
    let other_round = minimal("a").replace("2026-1", "2026-2");
    let other_practice = minimal("a").replace("p1", "p2");
    let input = [minimal("a"), other_round, other_practice].join("\n");
    let records: Vec<_> = JsonlReader::new(input.as_bytes()).collect();
    assert!(records.iter().all(Result::is_ok));
}

#[test]
fn a_chart_read_in_an_earlier_input_is_refused_with_both_locations() {
    use oncoqual::io::ChartLedger;
    let a = [minimal("x"), minimal("y")].join("\n");
    let mut first = JsonlReader::with_ledger(a.as_bytes(), ChartLedger::default(), "a.jsonl");
    assert!(first.by_ref().all(|r| r.is_ok()));
    let b = [minimal("z"), minimal("y")].join("\n");
    let second = JsonlReader::with_ledger(b.as_bytes(), first.into_ledger(), "b.jsonl");
    let records: Vec<_> = second.collect();
    assert!(records[0].is_ok());
    assert_eq!(
        records[1].as_ref().unwrap_err().to_string(),
        "line 2: error at `id`: duplicate chart: this chart id, practice and round were first read on line 2 of `a.jsonl`"
    );
}

#[test]
fn an_over_long_line_is_an_error_and_reading_goes_on() {
    let long = format!("{{\"id\":\"{}\"}}", "x".repeat(10_000));
    let input = [minimal("a"), long, minimal("b")].join("\n");
    let limits = Limits::default().with_max_line_bytes(1000);
    let records: Vec<_> = JsonlReader::with_limits(input.as_bytes(), limits).collect();
    assert_eq!(records.len(), 3);
    assert!(records[0].is_ok() && records[2].is_ok());
    let err = records[1].as_ref().unwrap_err();
    assert_eq!(err.line, Some(2));
    assert_eq!(
        err.findings[0].kind,
        FindingKind::LineTooLong { limit: 1000 }
    );
}

#[test]
fn an_over_long_last_line_without_newline_is_reported() {
    let input = format!("{}\n{}", minimal("a"), "y".repeat(5000));
    let limits = Limits::default().with_max_line_bytes(100);
    let records: Vec<_> = JsonlReader::with_limits(input.as_bytes(), limits).collect();
    assert_eq!(records.len(), 2);
    assert!(matches!(
        records[1].as_ref().unwrap_err().findings[0].kind,
        FindingKind::LineTooLong { .. }
    ));
}

#[test]
fn invalid_utf8_is_an_error_with_its_column() {
    let mut input = minimal("a").into_bytes();
    input.push(b'\n');
    input.extend_from_slice(b"{\"id\":\"\xff\"}\n");
    input.extend_from_slice(minimal("b").as_bytes());
    let records: Vec<_> = JsonlReader::new(&input[..]).collect();
    assert_eq!(records.len(), 3);
    let err = records[1].as_ref().unwrap_err();
    assert_eq!(err.findings[0].kind, FindingKind::NotUtf8);
    assert_eq!(err.column, Some(8));
    assert!(records[2].is_ok());
}

#[test]
fn too_long_lists_are_rejected_with_their_path() {
    let mut v = json!({"id": "a", "practice": "p", "round": "2026-1"});
    v["labs"] = json!(vec![json!({"test": "cbc"}); 20]);
    let limits = Limits::default().with_max_list_len(10);
    let err = parse_chart(&v.to_string(), &limits).unwrap_err();
    assert_eq!(err.findings[0].path, "labs");
    assert_eq!(err.findings[0].kind, FindingKind::ListTooLong { limit: 10 });
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = parse_chart(&deep, &Limits::default()).unwrap_err();
    assert!(matches!(
        err.findings[0].kind,
        FindingKind::InvalidType { .. } | FindingKind::Syntax { .. }
    ));
    let nested = format!(
        "{{\"id\":\"a\",\"practice\":\"p\",\"round\":\"2026-1\",\"labs\":{}1{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert!(parse_chart(&nested, &Limits::default()).is_err());
}

#[test]
fn unknown_fields_are_errors_naming_their_path() {
    let v = json!({"id": "a", "practice": "p", "round": "2026-1",
                   "regimens": [{"id": "r1"}, {"id": "r2", "strat_date": "2026-01-01"}]});
    let err = parse_chart(&v.to_string(), &Limits::default()).unwrap_err();
    assert_eq!(err.findings[0].path, "regimens[1].strat_date");
    assert_eq!(
        err.findings[0].kind,
        FindingKind::UnknownFieldDidYouMean {
            suggestion: "start_date"
        }
    );
    assert_eq!(
        err.findings[0].to_string(),
        "error at `regimens[1].strat_date`: unknown field, did you mean `start_date`?"
    );
    let v = json!({"id": "a", "practice": "p", "round": "2026-1", "patient": {"John Smith": 1}});
    let err = parse_chart(&v.to_string(), &Limits::default()).unwrap_err();
    assert_eq!(err.findings[0].path, "patient.<key>");
    assert_eq!(err.findings[0].kind, FindingKind::UnknownField);
    let v = json!({"id": "a", "practice": "p", "round": "2026-1", "zzz_unrelated": 1});
    let err = parse_chart(&v.to_string(), &Limits::default()).unwrap_err();
    assert_eq!(
        err.findings[0].to_string(),
        "error at `zzz_unrelated`: unknown field"
    );
}

#[test]
fn a_missing_required_field_is_named() {
    let err = parse_chart(r#"{"id":"a","round":"2026-1"}"#, &Limits::default()).unwrap_err();
    assert_eq!(
        err.findings[0].kind,
        FindingKind::MissingField {
            field: "practice".into()
        }
    );
}

#[test]
fn invalid_dates_are_rejected_leap_days_accepted() {
    for (date, ok) in [
        ("2024-02-29", true),
        ("2023-02-29", false),
        ("2026-13-01", false),
        ("2026-1-01", false),
        ("0000-01-01", false),
        ("2026-04-31", false),
        ("2026-04-30", true),
    ] {
        let v =
            json!({"id": "a", "practice": "p", "round": "2026-1", "patient": {"birth_date": date}});
        assert_eq!(
            parse_chart(&v.to_string(), &Limits::default()).is_ok(),
            ok,
            "{date}"
        );
    }
}

fn chart_with(extra: serde_json::Value) -> serde_json::Value {
    let mut v = json!({"id": "a", "practice": "p", "round": "2026-1",
        "patient": {"birth_date": "1950-01-01"},
        "diagnoses": [{"id": "d1", "diagnosis_date": "2025-01-10"}],
        "regimens": [{"id": "r1", "diagnosis_id": "d1", "start_date": "2025-02-01", "end_date": "2025-06-01"}]});
    for (k, val) in extra.as_object().unwrap() {
        v[k] = val.clone();
    }
    v
}

#[test]
fn semantic_errors_reject_the_chart() {
    let cases = [
        (json!({"death": {"date": "1949-12-31"}}), "death.date"),
        (json!({"death": {"date": "2025-01-09"}}), "death.date"),
        (
            json!({"regimens": [{"id": "r1", "diagnosis_id": "d9"}]}),
            "regimens[0].diagnosis_id",
        ),
        (
            json!({"surgeries": [{"diagnosis_id": "d2"}]}),
            "surgeries[0].diagnosis_id",
        ),
        (
            json!({"chemo_orders": [{"regimen_id": "r2"}]}),
            "chemo_orders[0].regimen_id",
        ),
        (
            json!({"diagnoses": [{"id": "d1"}, {"id": "d1"}]}),
            "diagnoses[1].id",
        ),
        (
            json!({"regimens": [{"id": "r1", "start_date": "2025-02-01", "end_date": "2025-01-31"}]}),
            "regimens[0].end_date",
        ),
        (
            json!({"encounters": [{"date": "2025-02-01", "discharge_date": "2025-01-31"}]}),
            "encounters[0].discharge_date",
        ),
        (
            json!({"diagnoses": [{"id": "d1", "diagnosis_date": "1949-01-01"}]}),
            "diagnoses[0].diagnosis_date",
        ),
    ];
    for (extra, path) in cases {
        let err = parse_chart(&chart_with(extra.clone()).to_string(), &Limits::default())
            .expect_err(&extra.to_string());
        assert!(
            err.findings.iter().any(|f| f.path == path && f.is_error()),
            "{path}: {err}"
        );
    }
}

#[test]
fn warnings_keep_the_chart_and_are_reported() {
    let v = chart_with(json!({
        "administrations": [{"regimen_id": "r1", "date": "2025-07-01"}],
        "death": {"date": "2025-06-15", "hospice_enrollment_date": "2025-06-20"},
    }));
    let checked = parse_chart(&v.to_string(), &Limits::default()).unwrap();
    let paths: Vec<_> = checked
        .warnings
        .iter()
        .map(|w| (w.path.as_str(), w.severity))
        .collect();
    assert!(
        paths.contains(&("administrations[0].date", FindingSeverity::Warning)),
        "{paths:?}"
    );
    assert!(
        paths.contains(&("death.hospice_enrollment_date", FindingSeverity::Warning)),
        "{paths:?}"
    );
    assert_eq!(checked.warnings.len(), 3, "{paths:?}");
}

#[test]
fn a_single_document_error_gets_line_and_column_inside_it() {
    let text = "{\n  \"id\": \"a\",\n  \"practice\": \"p\",\n  \"round\": \"2026-1\",\n  \"labs\": [{\"tset\": \"cbc\"}]\n}";
    let err = parse_chart(text, &Limits::default()).unwrap_err();
    assert_eq!(err.line, Some(5));
    assert_eq!(err.findings[0].path, "labs[0].tset");
}

#[test]
fn numbers_are_exact_decimals_and_round_trip() {
    let v = json!({"id": "a", "practice": "p", "round": "2026-1",
                   "labs": [{"value": 0.1}, {"value": 4.25}, {"value": 18446744073709551615u64}, {"value": 7}]});
    let c = parse_chart(&v.to_string(), &Limits::default())
        .unwrap()
        .chart;
    assert_eq!(c.labs[0].value.unwrap().value().to_string(), "0.1");
    assert_eq!(
        c.labs[2].value.unwrap().value().to_string(),
        "18446744073709551615"
    );
    let out: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    assert_eq!(out["labs"][0]["value"], json!(0.1));
    assert_eq!(out["labs"][2]["value"], json!(18446744073709551615u64));
    assert_eq!(out["labs"][3]["value"], json!(7));
    assert_eq!(oncoqual::Chart::from_json(&c.to_json()).unwrap(), c);
}

#[test]
fn numbers_written_as_strings_are_refused_as_the_wrong_type() {
    for text in ["5", "5e3", "1_000", "+5", "12345678901234567890.123456789"] {
        let v = json!({"id": "a", "practice": "p", "round": "2026-1",
                       "labs": [{"value": text}]});
        let err = parse_chart(&v.to_string(), &Limits::default()).unwrap_err();
        assert_eq!(err.findings.len(), 1, "{text}: {err}");
        assert_eq!(err.findings[0].path, "labs[0].value");
        assert_eq!(
            err.findings[0].kind,
            FindingKind::InvalidType {
                expected: "a number".into()
            },
            "{text}"
        );
    }
}

#[test]
fn a_bad_record_reports_every_field_error_not_only_the_first() {
    // A bad date used to hide the bad enumeration value beside it.
    let v = json!({"id": "a", "practice": "p", "round": "2026-1",
        "patient": {"birth_date": "1960-02-30", "sex": "fmale", "sx": 1},
        "diagnoses": [{"cancer_type": "brest", "diagnosis_date": 5, "biomarkers": "x"}],
        "labs": [{"value": "5"}, {"value": 4, "date": "2026-13-01"}],
        "documents": [{"sent_to": ["patient", "nobody"]}],
        "regimens": [{"intent": "cure", "agents": [{"nme": "x"}]}]});
    let err = parse_chart(&v.to_string(), &Limits::default()).unwrap_err();
    let mut paths: Vec<&str> = err.findings.iter().map(|f| f.path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "diagnoses[0].biomarkers",
            "diagnoses[0].cancer_type",
            "diagnoses[0].diagnosis_date",
            "documents[0].sent_to[1]",
            "labs[0].value",
            "labs[1].date",
            "patient.birth_date",
            "patient.sex",
            "patient.sx",
            "regimens[0].agents[0].nme",
            "regimens[0].intent",
        ],
        "{err}"
    );
    assert!(err.findings.iter().all(|f| f.is_error()));
    // The first error keeps its place in the text.
    assert_eq!(err.line, Some(1));
    assert!(err.column.is_some());
    // No finding quotes a value.
    for word in [
        "fmale",
        "brest",
        "nobody",
        "cure",
        "1960-02-30",
        "2026-13-01",
    ] {
        assert!(!err.to_string().contains(word), "{word}: {err}");
    }
}

#[test]
fn a_record_with_very_many_errors_reports_a_bounded_number() {
    let labs: Vec<_> = (0..500).map(|_| json!({"value": "x"})).collect();
    let v = json!({"id": "a", "practice": "p", "round": "2026-1", "labs": labs});
    let err = parse_chart(&v.to_string(), &Limits::default()).unwrap_err();
    assert_eq!(err.findings.len(), 33);
    assert_eq!(
        err.findings.last().unwrap().kind,
        FindingKind::MoreErrors { shown: 32 }
    );
    // Keys that are hidden (not field names) all read `<key>`: reported once, and the
    // search stays bounded however many there are.
    let mut patient = serde_json::Map::new();
    for i in 0..20_000 {
        patient.insert(format!("{i}"), json!(0));
    }
    let v = json!({"id": "a", "practice": "p", "round": "2026-1", "patient": patient});
    let start = std::time::Instant::now();
    let err = parse_chart(&v.to_string(), &Limits::default()).unwrap_err();
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(err.findings.len(), 2, "{err}");
    assert_eq!(err.findings[0].path, "patient.<key>");
    assert_eq!(err.findings[1].kind, FindingKind::MoreErrors { shown: 1 });
}

#[test]
fn every_list_nested_or_not_obeys_the_list_limit() {
    use oncoqual::chart::{BaseType, RecordSchema};
    // Every list of the schema, at every depth, with one entry more than the limit.
    fn fill(
        rec: &RecordSchema,
        prefix: &str,
        n: usize,
        value: &mut serde_json::Value,
        paths: &mut Vec<String>,
    ) {
        for field in rec.fields {
            if !field.ty.list {
                continue;
            }
            let path = format!("{prefix}{}", field.name);
            let entry = match field.ty.base {
                BaseType::Record { schema } => {
                    let mut e = json!({});
                    fill(schema, "", n, &mut e, &mut Vec::new());
                    // Nested lists of the first entry only are reported by path.
                    let mut first = json!({});
                    fill(schema, &format!("{path}[0]."), n, &mut first, paths);
                    let mut list = vec![e; n];
                    list[0] = first;
                    value[field.name] = json!(list);
                    paths.push(path);
                    continue;
                }
                BaseType::Enum { schema } => json!(schema.values[0]),
                BaseType::Scalar { scalar } => match scalar {
                    oncoqual::chart::Scalar::Code => json!({"system": "s", "code": "c"}),
                    oncoqual::chart::Scalar::Date => json!("2020-01-01"),
                    oncoqual::chart::Scalar::Number => json!(1),
                    oncoqual::chart::Scalar::Boolean => json!(true),
                    _ => json!("x"),
                },
                _ => continue,
            };
            value[field.name] = json!(vec![entry; n]);
            paths.push(path);
        }
    }
    let mut v = json!({"id": "a", "practice": "p", "round": "2026-1"});
    let mut paths = Vec::new();
    fill(oncoqual::schema().chart, "", 3, &mut v, &mut paths);
    assert!(
        paths.contains(&"documents[0].sent_to".to_owned()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"chemo_orders[0].missing_elements".to_owned()),
        "{paths:?}"
    );
    let limits = Limits::default().with_max_list_len(2);
    let err = parse_chart(&v.to_string(), &limits).unwrap_err();
    for path in &paths {
        assert!(
            err.findings
                .iter()
                .any(|f| &f.path == path && f.kind == FindingKind::ListTooLong { limit: 2 }),
            "{path}: {err}"
        );
    }
    // Within the limit: accepted as far as the lists go.
    let err = parse_chart(&v.to_string(), &Limits::default().with_max_list_len(3));
    if let Err(e) = err {
        assert!(
            e.findings
                .iter()
                .all(|f| !matches!(f.kind, FindingKind::ListTooLong { .. })),
            "{e}"
        );
    }
}

#[test]
fn batches_give_the_same_records_errors_and_order_as_iterating() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/mixed.jsonl"
    ))
    .unwrap();
    // Blank lines, a duplicate id across a batch boundary and invalid UTF-8 too.
    let mut input = text.into_bytes();
    input.extend_from_slice(b"\n\n");
    input.extend_from_slice(minimal("dup").as_bytes());
    input.extend_from_slice(b"\n  \r\n");
    input.extend_from_slice(minimal("crlf").as_bytes());
    input.extend_from_slice(b"\r\n\xff\xfe\n");
    input.extend_from_slice(minimal("dup").as_bytes());
    input.push(b'\n');
    let show = |r: &oncoqual::io::Record| match r {
        Ok(c) => format!("ok {} line {:?}", c.chart.id.as_str(), c.line),
        Err(e) => format!("err {e}"),
    };
    let one_by_one: Vec<String> = JsonlReader::new(&input[..]).map(|r| show(&r)).collect();
    assert!(one_by_one.iter().any(|r| r.starts_with("ok crlf")));
    assert!(one_by_one.iter().any(|r| r.starts_with("err")));
    assert!(one_by_one.iter().any(|r| r.starts_with("ok")));
    for size in [1, 2, 3, 7, 1000] {
        let mut reader = JsonlReader::new(&input[..]);
        let mut batch = Vec::new();
        let mut batched = Vec::new();
        while reader.next_batch(size, &mut batch) {
            assert!(batch.len() <= size);
            batched.extend(batch.iter().map(show));
        }
        assert_eq!(batched, one_by_one, "batches of {size}");
    }
}
