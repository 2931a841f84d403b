//! What the CLI writes is safe to open and to read back, run as a user would: page names
//! derived from practice ids are bounded and distinct, CSV text cells cannot run as
//! formulas, every date written is one the readers accept, and files whose strata no
//! stratifier can yield are refused naming the measure, not the value.
#![cfg(feature = "cli")]

mod common;

use std::path::Path;

use oncoqual::benchmark::{Report, ReportOptions};
use oncoqual::{Date, Library};

#[path = "common/cli.rs"]
mod cli_support;
use cli_support::{Dir, oncoqual};

fn counts(n: u64) -> String {
    format!(r#"{{"IPP":{n},"DENOM":{n},"DENEX":0,"DENEXCEP":0,"NUMER":{n},"NUMEX":0}}"#)
}

/// A tally row of practice `practice` (a JSON string literal) with the tobacco measure and
/// its strata `strata` (a JSON object).
fn row(practice: &str, strata: &str) -> String {
    format!(
        r#"{{"round":"2026-1","practice":{practice},"charts":3,"measures":{{
          "core.tobacco-use-status-documented":{{"total":{c},"strata":{strata}}}}}}}"#,
        c = counts(3)
    )
}

/// The report of `practices` (JSON string literals), written to `dir/report.json`.
fn report_of(dir: &Dir, practices: &[String]) -> String {
    let rows: Vec<String> = practices
        .iter()
        .map(|p| row(p, &format!(r#"{{"sex":{{"female":{}}}}}"#, counts(2))))
        .collect();
    let tally = common::hand_tally(&rows);
    let lib = Library::bundled().unwrap();
    let report = Report::build(
        &tally,
        lib,
        &ReportOptions::default(),
        Date::parse("2026-07-01").unwrap(),
        true,
    )
    .unwrap();
    let path = dir.file("report.json");
    std::fs::write(&path, serde_json::to_string(&report).unwrap()).unwrap();
    path
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

#[test]
fn report_html_with_long_or_hostile_practice_ids_writes_every_page_with_a_bounded_name() {
    let dir = Dir::new("html");
    let ids: Vec<String> = vec![
        // 81 bytes of CJK: "File name too long" on main.
        "\u{6f22}".repeat(27),
        "x".repeat(128),
        "P001".to_owned(),
        "p001".to_owned(),
        "../../escape".to_owned(),
        "a\\b".to_owned(),
        "a/b".to_owned(),
        "a\u{1}b".to_owned(),
    ];
    let literals: Vec<String> = ids.iter().map(|i| json_str(i)).collect();
    let report = report_of(&dir, &literals);
    let site = dir.file("site");
    let (code, _, err) = oncoqual(&[
        "report",
        "--report",
        &report,
        "--format",
        "html",
        "--national-index",
        "-o",
        &site,
    ]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = std::fs::read_dir(&site)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        ids.len() + 1,
        "a folder per practice and national/: {names:?}"
    );
    let lower: std::collections::BTreeSet<String> =
        names.iter().map(|n| n.to_ascii_lowercase()).collect();
    assert_eq!(
        lower.len(),
        names.len(),
        "two names differ only in case: {names:?}"
    );
    for n in &names {
        assert!(n.len() <= 100, "{n}");
    }
    // Nothing was written outside the site.
    assert!(!Path::new(&dir.file("escape")).exists());
    // The national index maps each id to its folder: every link resolves to a page written.
    let index = std::fs::read_to_string(Path::new(&site).join("national/index.html")).unwrap();
    for id in &ids {
        let name = oncoqual::report::html::practice_folder_name(id);
        assert!(
            index.contains(&format!("href=\"../{name}/index.html\"")),
            "{name}"
        );
        assert!(
            Path::new(&site).join(&name).join("index.html").exists(),
            "{name}"
        );
    }
}

#[test]
fn report_csv_neutralises_text_cells_that_start_a_formula_and_keeps_numbers() {
    let dir = Dir::new("csv");
    let hostile = [
        r#"=HYPERLINK("http://evil.example","x")"#,
        "+1+1",
        "-2+3",
        "@SUM(A1)",
    ];
    let literals: Vec<String> = hostile.iter().map(|i| json_str(i)).collect();
    let report = report_of(&dir, &literals);
    let out = dir.file("tables");
    let (code, _, err) = oncoqual(&["report", "--report", &report, "--format", "csv", "-o", &out]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(Path::new(&out).join("practice_rates.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut practices = Vec::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        practices.push(rec[1].to_owned());
        for cell in rec.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell starts a formula: {cell:?}"
            );
        }
        // Counts and rates are written as numbers.
        assert_eq!(&rec[5], "3");
        assert!(rec[13].parse::<f64>().is_ok(), "{:?}", &rec[13]);
    }
    for h in hostile {
        assert!(practices.contains(&format!("'{h}")), "{practices:?}");
    }
}

/// A minimal valid chart of round `round`.
fn chart(id: &str, round: &str) -> String {
    format!(
        r#"{{"id":"{id}","practice":"P1","round":"{round}","patient":{{"birth_date":"1960-01-01","sex":"female"}}}}"#
    )
}

#[test]
fn a_chart_of_round_9999_is_refused_with_its_line_and_every_report_date_reads_back() {
    let dir = Dir::new("rounds");
    let charts = dir.file("charts.jsonl");
    std::fs::write(
        &charts,
        format!("{}\n{}\n", chart("c1", "9998-2"), chart("c2", "9999-2")),
    )
    .unwrap();
    let report = dir.file("report.json");
    let (code, _, err) = oncoqual(&["benchmark", "--charts", &charts, "-o", &report]);
    assert_ne!(code, 0, "the round 9999-2 chart must be reported: {err}");
    assert!(
        err.contains("line 2, column"),
        "not located on line 2: {err}"
    );
    assert!(err.contains("years 1000 to 9998"), "{err}");
    // The report of the good chart is dated in 9999 and is read back.
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("\"issued_on\": \"9999-01-01\""), "{text}");
    let (code, _, err) = oncoqual(&["report", "--report", &report, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    // A period ending on the last supported date leaves no date for the report: refused,
    // asking for --issued-on, and nothing written.
    let late = dir.file("late.json");
    let (code, _, err) = oncoqual(&[
        "benchmark",
        "--charts",
        &charts,
        "--period",
        "9999-07-01..9999-12-31",
        "-o",
        &late,
    ]);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("--issued-on"), "{err}");
    assert!(!Path::new(&late).exists());
    let (code, _, err) = oncoqual(&[
        "benchmark",
        "--charts",
        &charts,
        "--period",
        "9999-07-01..9999-12-31",
        "--issued-on",
        "9999-12-31",
        "-o",
        &late,
    ]);
    assert_eq!(code, 1, "the round 9999-2 line is still reported: {err}");
    let (code, _, err) = oncoqual(&["report", "--report", &late, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    // A round given on the command line is checked too.
    let (code, _, err) = oncoqual(&["rounds", "--from", "9999-2"]);
    assert_ne!(code, 0, "{err}");
}

#[test]
fn forged_strata_in_a_tally_or_report_file_are_refused_naming_the_measure_not_the_value() {
    const SENTINEL: &str = "1913-07-19";
    let dir = Dir::new("strata");
    let forged = common::hand_tally(&[row(
        "\"P1\"",
        &format!(r#"{{"sex":{{"{SENTINEL}":{}}}}}"#, counts(1)),
    )]);
    let tally = dir.file("forged.json");
    std::fs::write(&tally, serde_json::to_string(&forged).unwrap()).unwrap();
    let out = dir.file("report.json");
    let (code, _, err) = oncoqual(&["benchmark", "--tallies", &tally, "-o", &out]);
    assert_ne!(code, 0);
    assert!(err.contains("forged.json: refused"), "{err}");
    assert!(err.contains("core.tobacco-use-status-documented"), "{err}");
    assert!(err.contains("stratifier `sex`"), "{err}");
    assert!(!err.contains(SENTINEL), "{err}");
    assert!(!Path::new(&out).exists());

    let report = report_of(&dir, &["\"P1\"".to_owned()]);
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("\"female\""));
    std::fs::write(
        &report,
        text.replace("\"female\"", &format!("\"{SENTINEL}\"")),
    )
    .unwrap();
    for format in ["html", "csv", "fhir", "json"] {
        let (code, _, err) = oncoqual(&[
            "report",
            "--report",
            &report,
            "--format",
            format,
            "-o",
            &dir.file(format),
        ]);
        assert_ne!(code, 0, "{format}");
        assert!(err.contains("stratifier `sex`"), "{format}: {err}");
        assert!(!err.contains(SENTINEL), "{format}: {err}");
    }
}

/// Every leaf under a `percentiles` key of `v` set to `to`.
fn set_percentiles(v: &mut serde_json::Value, to: &str, inside: bool) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                set_percentiles(x, to, inside || k == "percentiles");
            }
        }
        serde_json::Value::Array(a) => {
            for x in a {
                set_percentiles(x, to, inside);
            }
        }
        leaf if inside => *leaf = serde_json::Value::String(to.to_owned()),
        _ => {}
    }
}

#[test]
fn report_with_percentiles_past_decimal_range_renders_without_a_panic() {
    let dir = Dir::new("percent");
    let report = report_of(&dir, &["\"P1\"".to_owned(), "\"P2\"".to_owned()]);
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    // `Decimal::MAX`: a percentile label or value × 100 passes `Decimal`'s range (a panic
    // before).
    let max = "79228162514264337593543950335";
    set_percentiles(&mut json, max, false);
    let text = serde_json::to_string(&json).unwrap();
    assert!(text.matches(max).count() >= 2, "{text}");
    std::fs::write(&report, text).unwrap();
    for format in ["csv", "html"] {
        let out = dir.file(format);
        let (code, _, err) = oncoqual(&[
            "report", "--report", &report, "--format", format, "-o", &out,
        ]);
        assert_eq!(code, 0, "{format}: {err}");
        assert!(!err.contains("panicked"), "{format}: {err}");
    }
    let national =
        std::fs::read_to_string(Path::new(&dir.file("csv")).join("national.csv")).unwrap();
    assert!(national.contains(&format!("p{max}00")), "{national}");
}

#[cfg(unix)]
#[test]
fn an_output_that_is_a_fifo_or_device_is_written_through_not_replaced_by_a_file() {
    use std::os::unix::fs::FileTypeExt;
    let dir = Dir::new("fifo-out");
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        return; // no FIFOs here
    }
    // A reader drains the pipe while the command writes into it (a reader left waiting,
    // because nothing ever opened the pipe, is reported rather than waited for forever).
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let fifo = fifo.clone();
        std::thread::spawn(move || tx.send(std::fs::read(fifo).unwrap()));
    }
    let (code, _, err) = oncoqual(&["synth", "--charts", "3", "-o", fifo.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let bytes = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("nothing was written through the FIFO");
    assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 3);
    // Still the FIFO: a temporary file renamed over it would have replaced it (as it
    // replaced `/dev/null` with a regular file when run as root).
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "pipe")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
