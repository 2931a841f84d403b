//! `oncoqual rounds`, run as a user would.
#![cfg(feature = "cli")]

use std::process::Command;

fn oncoqual(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_oncoqual"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A file in the temporary directory, unique to this test process and `name`.
fn temp_file(name: &str, text: &str) -> String {
    let path =
        std::env::temp_dir().join(format!("oncoqual-cli-rounds-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const HEADER: &str =
    "round   reporting period       submissions            min completed min unique";

#[test]
fn rounds_lists_four_rounds_from_the_round_open_on_the_day() {
    let (code, stdout, stderr) = oncoqual(&["rounds", "--on", "2026-07-15"]);
    assert_eq!(code, 0, "{stderr}");
    let expected = [
        HEADER,
        "2026-1  2026-01-01..2026-06-30 2026-07-01..2026-08-31            30        100",
        "2026-2  2026-07-01..2026-12-31 2027-01-01..2027-02-28            30        100",
        "2027-1  2027-01-01..2027-06-30 2027-07-01..2027-08-31            30        100",
        "2027-2  2027-07-01..2027-12-31 2028-01-01..2028-02-29            30        100",
        "",
        "no notices due on 2026-07-15",
    ];
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn rounds_starts_from_the_round_reporting_on_the_day_when_none_is_open() {
    let (code, stdout, _) = oncoqual(&["rounds", "--on", "2026-10-01", "--count", "1"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.lines().nth(1).unwrap(),
        "2026-2  2026-07-01..2026-12-31 2027-01-01..2027-02-28            30        100"
    );
}

#[test]
fn rounds_from_and_count_choose_the_rounds_listed() {
    let (code, stdout, _) = oncoqual(&["rounds", "--from", "2030-2", "--count", "2"]);
    assert_eq!(code, 0);
    let rounds: Vec<&str> = stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(rounds, ["2030-2", "2031-1"]);
}

#[test]
fn rounds_without_a_day_lists_from_today_and_prints_no_notices() {
    let (code, stdout, stderr) = oncoqual(&["rounds"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
}

#[test]
fn rounds_prints_the_reminder_due_on_the_day() {
    let (code, stdout, _) = oncoqual(&["rounds", "--on", "2027-02-21", "--count", "1"]);
    assert_eq!(code, 0);
    assert!(
        stdout.ends_with(
            "\nnotices due on 2027-02-21:\nround 2026-2 closes in 7 days (2027-02-28)\n"
        ),
        "{stdout}"
    );
}

#[test]
fn rounds_file_overrides_show_in_the_listing_and_the_notices() {
    let (code, stdout, stderr) = oncoqual(&[
        "rounds",
        "--rounds",
        "tests/data/rounds.json",
        "--on",
        "2027-01-29",
        "--count",
        "2",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let expected = [
        HEADER,
        "2026-2  2026-07-01..2026-12-31 2027-01-01..2027-02-28            30         80",
        "2027-1  2027-01-01..2027-05-31 2027-06-01..2027-08-15            30        100",
        "",
        "notices due on 2027-01-29:",
        "round 2026-2 closes in 30 days (2027-02-28)",
        "round 2026-2 training: abstraction webinar, 2 pm ET",
    ];
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn rounds_addresses_notices_to_practices_registered_without_problems_by_the_day() {
    let (code, stdout, stderr) = oncoqual(&[
        "rounds",
        "--on",
        "2027-02-21",
        "--count",
        "1",
        "--practices",
        "tests/data/rounds-practices.json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let tail: Vec<&str> = stdout.lines().skip(3).collect();
    assert_eq!(
        tail,
        [
            "notices due on 2027-02-21:",
            "round 2026-2 closes in 7 days (2027-02-28): 11 practices (P0001, P0002, P0003, \
             P0004, P0005, P0006, P0007, P0008, P0009, P0010, and 1 more)",
            "not notified: 2 practices: 1 with registration problems (P0012); \
             1 registered after 2027-02-21 (P0013)",
        ]
    );
}

#[test]
fn rounds_json_holds_the_schedules_the_notices_and_who_they_reach() {
    let (code, stdout, stderr) = oncoqual(&[
        "rounds",
        "--rounds",
        "tests/data/rounds.json",
        "--on",
        "2027-01-29",
        "--count",
        "2",
        "--practices",
        "tests/data/rounds-practices.json",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["on"], "2027-01-29");
    assert_eq!(v["rounds"][0]["round"], "2026-2");
    assert_eq!(v["rounds"][0]["closes"], "2027-02-28");
    assert_eq!(v["rounds"][0]["min_unique_charts"], 80);
    assert_eq!(v["rounds"][0]["reminder_days"], serde_json::json!([30, 7]));
    assert_eq!(v["rounds"][1]["period"]["end"], "2027-05-31");
    let notices = v["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 2);
    assert_eq!(notices[0]["kind"]["closes_in"]["days"], 30);
    assert_eq!(
        notices[1]["message"],
        "round 2026-2 training: abstraction webinar, 2 pm ET"
    );
    assert_eq!(notices[1]["kind"]["listed"], "training");
    assert_eq!(notices[1]["practices"].as_array().unwrap().len(), 11);
    assert_eq!(v["practices"]["registration_problems"][0]["id"], "P0012");
    assert_eq!(
        v["practices"]["registration_problems"][0]["problems"][0],
        "no QOPI administrator is designated"
    );
    assert_eq!(
        v["practices"]["registered_later"],
        serde_json::json!(["P0013"])
    );
}

#[test]
fn rounds_refuses_a_malformed_date_with_exit_code_2() {
    let (code, stdout, stderr) = oncoqual(&["rounds", "--on", "2027-02-30"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("--on"), "{stderr}");
    let (code, _, stderr) = oncoqual(&["rounds", "--from", "2027-3"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--from"), "{stderr}");
}

#[test]
fn rounds_refuses_a_bad_rounds_file_naming_the_file_and_the_field() {
    let path = temp_file(
        "unknown-field.json",
        "{\"2026-1\": {\"opens\": \"2026-07-01\", \"close\": \"2026-08-31\"}}",
    );
    let (code, stdout, stderr) = oncoqual(&["rounds", "--rounds", &path]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains(&path), "{stderr}");
    assert!(stderr.contains("`2026-1.close`"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let path = temp_file(
        "zero-minimum.json",
        "{\"2026-2\": {\"min_charts_completed\": 0}}",
    );
    let (code, _, stderr) = oncoqual(&["rounds", "--rounds", &path]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("round `2026-2` sets `min_charts_completed` to 0"),
        "{stderr}"
    );
}

#[test]
fn rounds_refuses_unreadable_files_naming_them() {
    let (code, _, stderr) = oncoqual(&["rounds", "--rounds", "tests/data/no-such-rounds.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("tests/data/no-such-rounds.json"),
        "{stderr}"
    );
    let (code, _, stderr) = oncoqual(&[
        "rounds",
        "--on",
        "2027-02-21",
        "--practices",
        "tests/data/no-such-practices.json",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("tests/data/no-such-practices.json"),
        "{stderr}"
    );
    let path = temp_file("bad-practices.json", "[{\"id\": \"P0001\"}]");
    let (code, _, stderr) = oncoqual(&["rounds", "--on", "2027-02-21", "--practices", &path]);
    assert_eq!(code, 2);
    assert!(stderr.contains(&path), "{stderr}");
}

#[test]
fn rounds_practices_without_a_day_is_a_usage_error() {
    let (code, _, stderr) =
        oncoqual(&["rounds", "--practices", "tests/data/rounds-practices.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--on"), "{stderr}");
}
