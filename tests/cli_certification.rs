//! The certification path from the command line, as a practice and the program walk it:
//! every walk of `tests/certification/` is replayed through `certify apply`, its
//! applications opened from verdicts computed on real final reports (`--open`); the gate
//! refuses a verdict that is not the report's, not from a final report, expired, or
//! another practice's; the CCR, certificate and listing are printed from the logs.

#[path = "common/cli.rs"]
mod cli_support;

use std::collections::BTreeMap;

use cli_support::{Dir, oncoqual};
use serde_json::Value;

/// Synthetic charts and a practices file registering every practice on the `qcp` track.
struct Fixture {
    dir: Dir,
    charts: String,
    practices: String,
    reports: BTreeMap<(String, bool), String>,
}

impl Fixture {
    fn new(tag: &str) -> Fixture {
        let dir = Dir::new(tag);
        let charts = dir.file("charts.jsonl");
        let raw = dir.file("raw-practices.json");
        let (code, _, err) = oncoqual(&[
            "synth",
            "--charts",
            "600",
            "--practices",
            "3",
            "--seed",
            "2",
            "--practices-out",
            &raw,
            "-o",
            &charts,
        ]);
        assert_eq!(code, 0, "{err}");
        let mut p: Value = serde_json::from_str(&std::fs::read_to_string(&raw).unwrap()).unwrap();
        for practice in p.as_array_mut().unwrap() {
            practice["tracks"]
                .as_array_mut()
                .unwrap()
                .push("qcp".into());
        }
        let practices = dir.file("practices.json");
        std::fs::write(&practices, p.to_string()).unwrap();
        Fixture {
            dir,
            charts,
            practices,
            reports: BTreeMap::new(),
        }
    }

    /// A benchmark report issued on `issued_on` (final or not), built once.
    fn report(&mut self, issued_on: &str, final_report: bool) -> String {
        let key = (issued_on.to_owned(), final_report);
        if let Some(r) = self.reports.get(&key) {
            return r.clone();
        }
        let path = self
            .dir
            .file(&format!("report-{issued_on}-{final_report}.json"));
        let mut args = vec![
            "benchmark",
            "--charts",
            &self.charts,
            "--practices",
            &self.practices,
            "--issued-on",
            issued_on,
            "-o",
            &path,
        ];
        if final_report {
            args.push("--final");
        }
        let (code, _, err) = oncoqual(&args);
        assert_eq!(code, 0, "{err}");
        self.reports.insert(key, path.clone());
        path
    }

    fn facts(&self, practice: &str, webinar: &str) -> String {
        let path = self.dir.file(&format!("facts-{practice}-{webinar}.json"));
        std::fs::write(
            &path,
            format!(r#"{{"practice":"{practice}","webinar":{{"date":"{webinar}","format":"recorded"}}}}"#),
        )
        .unwrap();
        path
    }
}

fn apply_event(log: &str, event: &Value, scratch: &str) -> (i32, String, String) {
    std::fs::write(scratch, event.to_string()).unwrap();
    oncoqual(&["certify", "apply", "--log", log, "--event", scratch])
}

/// Opens an application from the verdict `--open` computes on a report like the one the
/// recorded verdict names (same issue date, same practice and webinar).
fn open_from(fx: &mut Fixture, log: &str, event: &Value) -> (i32, String, String) {
    let v = &event["verdict"];
    let report = fx.report(v["issued_on"].as_str().unwrap(), true);
    let facts = fx.facts(
        v["practice"].as_str().unwrap(),
        v["webinar"]["date"].as_str().unwrap(),
    );
    oncoqual(&[
        "certify",
        "apply",
        "--log",
        log,
        "--open",
        "--report",
        &report,
        "--facts",
        &facts,
        "--on",
        event["date"].as_str().unwrap(),
        "--min-charts",
        "1",
    ])
}

#[test]
fn every_walk_passes_from_the_cli_with_applications_opened_from_real_final_reports() {
    let mut fx = Fixture::new("cert-walks");
    let walks = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/certification");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(walks).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        if stem.ends_with(".expect") {
            continue;
        }
        let walk: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let expect: Value = serde_json::from_str(
            &std::fs::read_to_string(path.with_file_name(format!("{stem}.expect.json"))).unwrap(),
        )
        .unwrap();
        // The fixture itself is a log `certify status` reads (expectations live beside it),
        // and reading it leaves nothing beside it.
        let (code, _, err) = oncoqual(&["certify", "status", "--log", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{stem}: {err}");
        assert!(!path.with_file_name(format!("{stem}.json.lock")).exists());
        let log = fx.dir.file(&format!("{stem}.log"));
        let scratch = fx.dir.file("event.json");
        if let Some(rules) = walk.get("rules") {
            let r = fx.dir.file(&format!("{stem}.rules.json"));
            std::fs::write(&r, rules.to_string()).unwrap();
            // The rules are fixed when the log is created: by its first append.
            let first = &walk["log"][0];
            assert_eq!(first["event"], "application_opened", "{stem}");
            let v = &first["verdict"];
            let report = fx.report(v["issued_on"].as_str().unwrap(), true);
            let facts = fx.facts(
                v["practice"].as_str().unwrap(),
                v["webinar"]["date"].as_str().unwrap(),
            );
            let (code, _, err) = oncoqual(&[
                "certify",
                "apply",
                "--log",
                &log,
                "--open",
                "--report",
                &report,
                "--facts",
                &facts,
                "--on",
                first["date"].as_str().unwrap(),
                "--min-charts",
                "1",
                "--workflow-rules",
                &r,
            ]);
            assert_eq!(code, 0, "{stem}: {err}");
        }
        let skip = usize::from(walk.get("rules").is_some());
        for (i, event) in walk["log"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .skip(skip)
        {
            let (code, out, err) = if event["event"] == "application_opened" {
                open_from(&mut fx, &log, event)
            } else {
                apply_event(&log, event, &scratch)
            };
            assert_eq!(code, 0, "{stem}: event {i}: {out}{err}");
        }
        let empty = walk["log"].as_array().unwrap().is_empty();
        if !empty {
            let on = expect["on"].as_str().unwrap();
            let (code, out, err) = oncoqual(&["certify", "status", "--log", &log, "--on", on]);
            assert_eq!(code, 0, "{stem}: {err}");
            let phase = expect["phase"].as_str().unwrap();
            let standing = expect["standing"].as_str().unwrap();
            assert!(
                out.starts_with(&format!("phase: {phase}\n")),
                "{stem}: {out}"
            );
            assert!(
                out.contains(&format!("standing on {on}: {standing}\n")),
                "{stem}: {out}"
            );
            assert!(out.contains("\nnext: "), "{stem}: {out}");
        }
        if let Some(event) = expect.get("refused") {
            // A walk with no events has no log yet: the refusal must not create one.
            let before = std::fs::read(&log).ok();
            let (code, _, err) = if event["event"] == "application_opened" {
                open_from(&mut fx, &log, event)
            } else {
                apply_event(&log, event, &scratch)
            };
            assert_eq!(code, 1, "{stem}: {err}");
            assert!(err.starts_with("refused: "), "{stem}: {err}");
            if event["event"] != "application_opened" {
                assert!(
                    err.contains(expect["message"].as_str().unwrap()),
                    "{stem}: {err}"
                );
            }
            assert_eq!(std::fs::read(&log).ok(), before, "{stem}: log untouched");
        }
        names.push(stem.to_owned());
    }
    assert!(names.len() >= 14, "{names:?}");
}

/// A log opened from P0001's verdict on the report issued 2027-01-15.
fn opened(fx: &mut Fixture, log: &str) {
    let report = fx.report("2027-01-15", true);
    let facts = fx.facts("P0001", "2027-01-15");
    let (code, out, err) = oncoqual(&[
        "certify",
        "apply",
        "--log",
        log,
        "--open",
        "--report",
        &report,
        "--facts",
        &facts,
        "--on",
        "2027-03-01",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("accepted; phase: applying"), "{out}");
}

#[test]
fn an_application_opens_only_from_a_verdict_the_report_gives() {
    let mut fx = Fixture::new("cert-gate");
    let log = fx.dir.file("log");
    let scratch = fx.dir.file("event.json");
    let final_report = fx.report("2027-01-15", true);
    let draft = fx.report("2027-01-15", false);
    let facts = fx.facts("P0001", "2027-01-15");
    let open = |report: &str, facts: &str, on: &str| {
        oncoqual(&[
            "certify", "apply", "--log", &log, "--open", "--report", report, "--facts", facts,
            "--on", on,
        ])
    };
    // Not from a final report; expired; no webinar before applying: refused, no log made.
    let (code, _, err) = open(&draft, &facts, "2027-03-01");
    assert_eq!(code, 1);
    assert!(
        err.contains("the report is not the round's final report"),
        "{err}"
    );
    let (code, _, err) = open(&final_report, &facts, "2028-01-16");
    assert_eq!(code, 1);
    assert!(err.contains("was valid until 2028-01-15"), "{err}");
    let late = fx.facts("P0001", "2027-04-01");
    let (code, _, err) = open(&final_report, &late, "2027-03-01");
    assert_eq!(code, 1);
    assert!(err.contains("webinar"), "{err}");
    assert!(!std::path::Path::new(&log).exists());

    // The verdict `certify eligibility --format json` prints is what the event records.
    let (code, out, err) = oncoqual(&[
        "certify",
        "eligibility",
        "--report",
        &final_report,
        "--facts",
        &facts,
        "--practice",
        "P0001",
        "--on",
        "2027-03-01",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let verdict: Value = serde_json::from_str(&out).unwrap();
    let verdict = verdict["eligible"].clone();
    assert_eq!(verdict["final_report"], true);
    let event = serde_json::json!({"event": "application_opened", "date": "2027-03-01", "verdict": verdict});
    std::fs::write(&scratch, event.to_string()).unwrap();
    // Without the report behind it, a hand-made event is refused.
    let (code, _, err) = oncoqual(&["certify", "apply", "--log", &log, "--event", &scratch]);
    assert_eq!(code, 1);
    assert!(err.contains("give --report and --facts"), "{err}");
    // A verdict altered by hand (score, validity) does not match its report.
    for (field, value) in [
        ("score", Value::from("0.99")),
        ("valid_until", "2099-01-01".into()),
    ] {
        let mut forged = event.clone();
        forged["verdict"][field] = value;
        std::fs::write(&scratch, forged.to_string()).unwrap();
        let (code, _, err) = oncoqual(&[
            "certify",
            "apply",
            "--log",
            &log,
            "--event",
            &scratch,
            "--report",
            &final_report,
            "--facts",
            &facts,
        ]);
        assert_eq!(code, 1, "{field}");
        assert!(
            err.contains(&format!("`{field}` is")) && err.contains("from the report"),
            "{field}: {err}"
        );
    }
    // Another report (the same charts, issued another day) is not the verdict's.
    let other = fx.report("2027-01-20", true);
    std::fs::write(&scratch, event.to_string()).unwrap();
    let (code, _, err) = oncoqual(&[
        "certify", "apply", "--log", &log, "--event", &scratch, "--report", &other, "--facts",
        &facts,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("but the report given is"), "{err}");
    assert!(!std::path::Path::new(&log).exists());
    // The genuine verdict with its report opens the application.
    let (code, out, err) = oncoqual(&[
        "certify",
        "apply",
        "--log",
        &log,
        "--event",
        &scratch,
        "--report",
        &final_report,
        "--facts",
        &facts,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("phase: applying"), "{out}");
    // Another practice's verdict in this practice's log: refused, log byte-identical.
    let before = std::fs::read(&log).unwrap();
    let p2 = fx.facts("P0002", "2027-01-15");
    let (code, _, err) = open(&final_report, &p2, "2027-03-02");
    assert_eq!(code, 1);
    assert!(
        err.contains("an application is already under way")
            || err.contains("this log is practice `P0001`'s"),
        "{err}"
    );
    assert_eq!(std::fs::read(&log).unwrap(), before);
}

#[test]
fn an_out_of_order_step_is_refused_with_the_next_step_named_and_the_log_byte_identical() {
    let mut fx = Fixture::new("cert-order");
    let log = fx.dir.file("log");
    let scratch = fx.dir.file("event.json");
    opened(&mut fx, &log);
    let before = std::fs::read(&log).unwrap();
    for (event, message) in [
        (
            serde_json::json!({"event": "step_completed", "date": "2027-03-02", "step": "payment", "reference": "INV-1"}),
            "step `payment` is out of portal order: the next step is `agreements`",
        ),
        (
            serde_json::json!({"event": "step_completed", "date": "2027-03-02", "step": "survey_dates", "survey_dates": ["2027-05-01"]}),
            "step `survey_dates` is out of portal order: the next step is `agreements`",
        ),
        (
            serde_json::json!({"event": "step_completed", "date": "2027-03-02", "step": "agreements"}),
            "the agreements step needs `signed_by`",
        ),
        (
            serde_json::json!({"event": "decision", "date": "2027-03-02", "reviewer": "R", "outcome": "award"}),
            "needs a Certification Compliance Report",
        ),
    ] {
        let (code, _, err) = apply_event(&log, &event, &scratch);
        assert_eq!(code, 1);
        assert!(err.contains(message), "{err}");
        assert_eq!(std::fs::read(&log).unwrap(), before);
    }
}

#[test]
fn the_ccr_certificate_and_listing_are_printed_from_the_logs() {
    let mut fx = Fixture::new("cert-docs");
    let logs = fx.dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let walks = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/certification");
    let walk: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{walks}/action-plan.json")).unwrap(),
    )
    .unwrap();
    let log = logs.join("p0001.log").to_str().unwrap().to_owned();
    let scratch = fx.dir.file("event.json");
    for event in walk["log"].as_array().unwrap() {
        let (code, out, err) = if event["event"] == "application_opened" {
            open_from(&mut fx, &log, event)
        } else {
            apply_event(&log, event, &scratch)
        };
        assert_eq!(code, 0, "{out}{err}");
    }
    // The CCR: requirement 2.2 with its element text, the action plan, met on documentation.
    let (code, out, err) = oncoqual(&["certify", "ccr", "--log", &log]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Certification Compliance Report\n"),
        "{out}"
    );
    assert!(out.contains("\nRequirements\n  2.2 "), "{out}");
    assert!(out.contains("met on documentation"), "{out}");
    assert!(
        out.contains("action plan: covers every requirement"),
        "{out}"
    );
    assert!(out.contains("Decision "), "{out}");
    let (code, html, _) = oncoqual(&["certify", "ccr", "--log", &log, "--format", "html"]);
    assert_eq!(code, 0);
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("Requirements"));
    let (code, json, _) = oncoqual(&["certify", "ccr", "--log", &log, "--format", "json"]);
    assert_eq!(code, 0);
    let ccr: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(ccr["requirements"][0]["standard"], "2.2");
    // Status shows the CCR's requirements with their element text.
    let (_, status, _) = oncoqual(&["certify", "status", "--log", &log]);
    assert!(status.contains("requirement 2.2 "), "{status}");
    assert!(status.contains("    element "), "{status}");
    // The certificate.
    let (code, cert, err) = oncoqual(&["certify", "certificate", "--log", &log]);
    assert_eq!(code, 0, "{err}");
    assert!(cert.contains("awarded to practice P0001"), "{cert}");
    assert!(cert.contains("valid through 2030-09-01"), "{cert}");
    // Not certified on a day before the decision: no certificate.
    let (code, _, err) = oncoqual(&[
        "certify",
        "certificate",
        "--log",
        &log,
        "--on",
        "2027-05-01",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not certified on 2027-05-01"), "{err}");
    // The listing: certified on a date within the term, not before the decision nor after
    // expiry; the lock and snapshot files beside the logs are skipped.
    assert!(std::path::Path::new(&format!("{log}.lock")).exists());
    let dir = logs.to_str().unwrap();
    let listed = |on: &str| {
        let (code, out, err) = oncoqual(&["certify", "listing", "--logs", dir, "--on", on]);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        v["certified"].as_array().unwrap().len()
    };
    assert_eq!(listed("2028-01-01"), 1);
    assert_eq!(listed("2027-05-01"), 0);
    assert_eq!(listed("2030-09-02"), 0);
    let (code, html, _) = oncoqual(&[
        "certify",
        "listing",
        "--logs",
        dir,
        "--on",
        "2028-01-01",
        "--format",
        "html",
    ]);
    assert_eq!(code, 0);
    assert!(html.contains("P0001") && html.contains("2030-09-01"));
    // Two logs of one practice: refused, naming both.
    std::fs::copy(&log, logs.join("copy.log")).unwrap();
    let (code, _, err) = oncoqual(&["certify", "listing", "--logs", dir, "--on", "2028-01-01"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("copy.log") && err.contains("p0001.log") && err.contains("P0001"),
        "{err}"
    );
}

#[test]
fn eligibility_below_the_threshold_shows_the_last_day_to_request_a_score_review() {
    let mut fx = Fixture::new("cert-review");
    let report = fx.report("2027-01-15", true);
    let facts = fx.facts("P0001", "2027-01-15");
    let run = |on: &str, days: &str| {
        oncoqual(&[
            "certify",
            "eligibility",
            "--report",
            &report,
            "--facts",
            &facts,
            "--practice",
            "P0001",
            "--on",
            on,
            "--threshold",
            "0.99",
            "--score-review-days",
            days,
        ])
    };
    let (code, out, _) = run("2027-01-20", "10");
    assert_eq!(code, 1);
    assert!(out.contains("is below the 99.0% threshold"), "{out}");
    assert!(
        out.contains("a review of the score may be requested until 2027-01-25 (10 days after the report of 2027-01-15)"),
        "{out}"
    );
    let (_, out, _) = run("2027-01-20", "3");
    assert!(
        out.contains("the window to request a review of the score closed on 2027-01-18"),
        "{out}"
    );
}

#[test]
fn status_on_a_date_before_the_last_event_shows_the_log_as_it_stood_that_day() {
    let walk = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/certification/disagreement-resurvey.json"
    );
    let (code, out, err) = oncoqual(&["certify", "status", "--log", walk, "--on", "2027-08-01"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("phase: survey_scheduled\n"), "{out}");
    assert!(!out.contains("decision"), "{out}");
    assert!(!out.contains("expires_on"), "{out}");
    // Without a date: the whole log.
    let (code, out, _) = oncoqual(&["certify", "status", "--log", walk]);
    assert_eq!(code, 0);
    assert!(out.starts_with("phase: certified\n"), "{out}");
}

#[test]
fn a_listing_names_every_unreadable_log_and_publishes_nothing_without_them() {
    let dir = Dir::new("cert-listing-bad");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let walk = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/certification/first-time-pass.json"
    );
    std::fs::copy(walk, logs.join("a.json")).unwrap();
    std::fs::write(logs.join("b.json"), "garbage").unwrap();
    std::fs::write(logs.join("c.json"), "{\"log\": [").unwrap();
    let out = dir.file("listing.json");
    let (code, _, err) = oncoqual(&[
        "certify",
        "listing",
        "--logs",
        logs.to_str().unwrap(),
        "--on",
        "2027-07-01",
        "-o",
        &out,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("b.json: line 1, column 1: expected value\n"),
        "{err}"
    );
    assert!(err.contains("c.json: line 1"), "{err}");
    assert!(
        err.contains("refused: 2 of 3 logs in") && err.contains("no listing is written"),
        "{err}"
    );
    assert!(!std::path::Path::new(&out).exists());
}

#[test]
fn an_event_with_a_bad_field_is_refused_without_an_invented_position() {
    let dir = Dir::new("cert-bad-event");
    let event = dir.file("event.json");
    std::fs::write(
        &event,
        r#"{"event":"decision","date":"2027-01-01","reviewer":"R","outcome":"maybe"}"#,
    )
    .unwrap();
    let log = dir.file("log");
    let (code, _, err) = oncoqual(&["certify", "apply", "--log", &log, "--event", &event]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("line 0"), "{err}");
    assert!(
        err.contains("event.json: unknown variant `maybe`, expected `award` or `deny`"),
        "{err}"
    );
    assert!(!std::path::Path::new(&log).exists());
}
