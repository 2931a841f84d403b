//! The `oncoqual` binary, run as a user would.
#![cfg(feature = "cli")]

use std::io::Write;
use std::process::{Command, Stdio};

fn oncoqual(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oncoqual"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn validate_reports_every_finding_with_file_line_and_path() {
    let (code, stdout, _) = oncoqual(&["validate", "tests/data/mixed.jsonl"], None);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stdout);
}

#[test]
fn validate_json_output_is_one_object_per_finding_and_a_summary() {
    let (code, stdout, _) = oncoqual(&["validate", "--json", "tests/data/mixed.jsonl"], None);
    assert_eq!(code, 1);
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = &rows.last().unwrap()["summary"];
    assert_eq!(summary["records"], 10);
    assert_eq!(summary["valid"], 2);
    assert_eq!(summary["invalid"], 8);
    assert!(
        rows[..rows.len() - 1]
            .iter()
            .all(|r| r["finding"]["path"].is_string())
    );
}

#[test]
fn synth_piped_into_validate_counts_every_chart_valid() {
    let (code, jsonl, _) = oncoqual(
        &[
            "synth",
            "--charts",
            "500",
            "--practices",
            "7",
            "--seed",
            "7",
        ],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(jsonl.lines().count(), 500);
    let (code, stdout, _) = oncoqual(&["validate", "-"], Some(jsonl.as_bytes()));
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("500 records: 500 valid"), "{stdout}");
}

#[test]
fn synth_is_byte_identical_for_the_same_arguments() {
    let args = [
        "synth",
        "--charts",
        "200",
        "--practices",
        "5",
        "--rounds",
        "2",
        "--seed",
        "3",
    ];
    let (_, a, _) = oncoqual(&args, None);
    let (_, b, _) = oncoqual(&args, None);
    assert_eq!(a, b);
    let (_, c, _) = oncoqual(
        &[
            "synth",
            "--charts",
            "200",
            "--practices",
            "5",
            "--rounds",
            "2",
            "--seed",
            "4",
        ],
        None,
    );
    assert_ne!(a, c);
}

#[test]
fn schema_lists_every_path_and_its_json_parses() {
    let (code, text, _) = oncoqual(&["schema"], None);
    assert_eq!(code, 0);
    assert!(text.lines().count() >= 150);
    assert!(text.contains("regimens.agents.class"));
    let (code, json, _) = oncoqual(&["schema", "--json"], None);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["chart"]["name"], "Chart");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let (code, _, stderr) = oncoqual(&["validate", "tests/data/no-such-file.jsonl"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("no-such-file.jsonl"), "{stderr}");
}

#[test]
fn a_single_json_document_is_validated_with_line_and_column() {
    let dir = std::env::temp_dir().join(format!("oncoqual-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("chart.json");
    std::fs::write(&path, "{\n  \"id\": \"a\",\n  \"practice\": \"p\",\n  \"round\": \"2026-1\",\n  \"labs\": [{\"tset\": \"cbc\"}]\n}\n").unwrap();
    let (code, stdout, _) = oncoqual(&["validate", path.to_str().unwrap()], None);
    assert_eq!(code, 1);
    assert!(stdout.contains("chart.json:5:"), "{stdout}");
    assert!(stdout.contains("`labs[0].tset`: unknown field"), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}
