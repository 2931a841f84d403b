//! The reports checked by real outside tools: the HTML site in a headless Chromium (console
//! errors, failed requests, rendered chart sizes, and that each practice's folder names no
//! other practice and asks for nothing outside itself, over the DevTools protocol with
//! playwright-core) and every FHIR MeasureReport with an independent R4 model (Python's
//! `fhir.resources` 6.4.x).
//!
//! Each check skips with a message on standard error when its tool is absent, and fails
//! instead when `ONCOQUAL_REQUIRE_TOOLS=1` (as `.ci/run` sets after installing them).
//! Tools: `CHROMIUM` (default `/usr/bin/chromium`), `node` with `tests/tools/node_modules`
//! (`npm ci` in `tests/tools`), `ONCOQUAL_PYTHON` (default `python3`) with `fhir.resources`.
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn tools_required() -> bool {
    std::env::var("ONCOQUAL_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// Skips (returns false) or, when the tools are required, fails.
fn tool_present(what: &str, present: Result<(), String>) -> bool {
    match present {
        Ok(()) => true,
        Err(why) if tools_required() => {
            panic!("{what} is required (ONCOQUAL_REQUIRE_TOOLS=1) but unavailable: {why}")
        }
        Err(why) => {
            // Straight to the process's standard error: the test harness captures
            // `eprintln!`, and a skip must be visible.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {what} unavailable ({why}); set ONCOQUAL_REQUIRE_TOOLS=1 to fail instead"
            );
            false
        }
    }
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn oncoqual(args: &[&str]) -> Output {
    let out = run(Command::new(env!("CARGO_BIN_EXE_oncoqual"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR")));
    assert!(
        out.status.success(),
        "oncoqual {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report_tools")
}

/// A demo-sized sample, written once for both checks: 10,000 charts over 50 practices and
/// two rounds, every report of the demo.
fn demo() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = work_dir().join("demo");
        let _ = std::fs::remove_dir_all(&dir);
        oncoqual(&[
            "demo",
            "--out",
            dir.to_str().unwrap(),
            "--charts",
            "10000",
            "--practices",
            "50",
            "--min-charts",
            "50",
        ]);
        dir
    })
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromium".into())
}

fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools")
}

fn browser_present() -> Result<(), String> {
    let chromium = chromium();
    if !chromium.exists() {
        return Err(format!("{} not found", chromium.display()));
    }
    if !tools_dir().join("node_modules/playwright-core").exists() {
        return Err(
            "tests/tools/node_modules/playwright-core missing (run `npm ci` in tests/tools)".into(),
        );
    }
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err("node not found".into()),
    }
}

#[test]
fn html_report_loads_in_chromium_without_console_errors_and_with_visible_charts() {
    if !tool_present("headless Chromium with playwright-core", browser_present()) {
        return;
    }
    let html = demo().join("html");
    let practice = std::fs::read_dir(&html)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "national"))
        .min()
        .expect("a practice folder")
        .join("index.html");
    let screenshot = work_dir().join("practice-report.png");
    let out = run(Command::new("node")
        .current_dir(tools_dir())
        .env("CHROMIUM", chromium())
        .arg("browser_check.mjs")
        .arg(&screenshot)
        .arg(&practice)
        .arg(html.join(oncoqual::report::html::NATIONAL_INDEX)));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser check failed:\n{stdout}\n{stderr}"
    );
    let results: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per page"))
        .collect();
    assert_eq!(results.len(), 2, "{stdout}");
    for r in &results {
        assert_eq!(r["console_errors"], serde_json::json!([]), "{r}");
        assert_eq!(r["page_errors"], serde_json::json!([]), "{r}");
        assert_eq!(r["failed_requests"], serde_json::json!([]), "{r}");
        assert!(r["charts"].as_u64().unwrap() > 0, "{r}");
        assert_eq!(r["empty_charts"], 0, "{r}");
    }
    assert!(std::fs::metadata(&screenshot).unwrap().len() > 10_000);
    eprintln!(
        "screenshot of {}: {}",
        practice.display(),
        screenshot.display()
    );
}

#[test]
fn each_practice_folder_rendered_in_chromium_names_no_other_practice_and_loads_nothing_outside() {
    if !tool_present("headless Chromium with playwright-core", browser_present()) {
        return;
    }
    let html = demo().join("html");
    let report: oncoqual::benchmark::Report =
        serde_json::from_str(&std::fs::read_to_string(demo().join("report.json")).unwrap())
            .unwrap();
    let ids = oncoqual::report::ReportView::new(&report).practices();
    assert!(ids.len() >= 40, "{}", ids.len());
    // Folder → its practice id, for every practice of the report.
    let folders: serde_json::Map<String, serde_json::Value> = ids
        .iter()
        .map(|id| {
            let folder = html.join(oncoqual::report::html::practice_folder_name(id.as_str()));
            assert!(folder.join("index.html").exists(), "{}", folder.display());
            (
                folder.to_str().unwrap().to_owned(),
                serde_json::Value::String(id.as_str().to_owned()),
            )
        })
        .collect();
    let mapping = work_dir().join("folders.json");
    std::fs::write(&mapping, serde_json::Value::Object(folders).to_string()).unwrap();
    let out = run(Command::new("node")
        .current_dir(tools_dir())
        .env("CHROMIUM", chromium())
        .arg("practice_check.mjs")
        .arg(&mapping));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "practice folder check failed:\n{stdout}\n{stderr}"
    );
    let results: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per folder"))
        .collect();
    assert_eq!(results.len(), ids.len(), "{stdout}");
    for r in &results {
        assert_eq!(r["own_id_shown"], true, "{r}");
        assert_eq!(r["other_ids"], serde_json::json!([]), "{r}");
        assert_eq!(r["outside_requests"], serde_json::json!([]), "{r}");
        assert_eq!(r["outside_links"], serde_json::json!([]), "{r}");
        assert_eq!(r["console_errors"], serde_json::json!([]), "{r}");
        assert_eq!(r["page_errors"], serde_json::json!([]), "{r}");
    }
}

fn python() -> String {
    std::env::var("ONCOQUAL_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn fhir_model_present() -> Result<(), String> {
    match Command::new(python())
        .args(["-c", "import fhir.resources.measurereport"])
        .output()
    {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "{} cannot import fhir.resources: {}",
            python(),
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )),
        Err(e) => Err(format!("{}: {e}", python())),
    }
}

#[test]
fn every_fhir_measure_report_parses_with_an_independent_r4_model() {
    if !tool_present("Python fhir.resources (R4)", fhir_model_present()) {
        return;
    }
    let summary = demo().join("measure-reports.ndjson");
    // Individual reports for a sample of charts, every measure (`--all`).
    let dir = work_dir().join("individual");
    std::fs::create_dir_all(&dir).unwrap();
    let charts = dir.join("charts.jsonl");
    let individual = dir.join("individual.ndjson");
    oncoqual(&[
        "synth",
        "--charts",
        "300",
        "--rounds",
        "2",
        "-o",
        charts.to_str().unwrap(),
    ]);
    let subject_lists = dir.join("subject-lists");
    let _ = std::fs::remove_dir_all(&subject_lists);
    oncoqual(&[
        "evaluate",
        "--charts",
        charts.to_str().unwrap(),
        "--fhir",
        "--all",
        "--fhir-subject-list",
        subject_lists.to_str().unwrap(),
        "-o",
        individual.to_str().unwrap(),
    ]);
    let out = run(Command::new(python())
        .arg(tools_dir().join("fhir_check.py"))
        .arg(&summary)
        .arg(&individual)
        .arg(&subject_lists));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "FHIR check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The three outputs were checked, and each held resources (the subject lists: reports
    // and lists).
    assert_eq!(
        stdout
            .matches("resources parse with fhir.resources")
            .count(),
        3,
        "{stdout}"
    );
    assert!(stdout.contains(" List"), "{stdout}");
    eprintln!("{stdout}");
}

#[test]
fn every_exported_measure_library_and_valueset_parses_with_an_independent_r4_model() {
    if !tool_present("Python fhir.resources (R4)", fhir_model_present()) {
        return;
    }
    let dir = work_dir().join("definitions");
    let _ = std::fs::remove_dir_all(&dir);
    oncoqual(&["fhir", "measures", "-o", dir.to_str().unwrap()]);
    let files = std::fs::read_dir(&dir).unwrap().count();
    let out = run(Command::new(python())
        .arg(tools_dir().join("fhir_check.py"))
        .arg(&dir));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "FHIR check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every file was a resource that parsed, of the three types.
    assert!(
        stdout.contains(&format!("{files} resources parse with fhir.resources")),
        "{stdout}"
    );
    for kind in ["Measure", "Library", "ValueSet"] {
        assert!(stdout.contains(&format!(" {kind}")), "{stdout}");
    }
    eprintln!("{stdout}");
}
