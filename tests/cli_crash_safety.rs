//! Files the command line writes survive a killed writer and concurrent writers: an output
//! is the old file or the complete new one, never a mix; the certification log serialises
//! its appenders (none loses an event), always replays after a `kill -9`, and refuses
//! hand-edited rules outside their ranges naming the field and the file; an output that is
//! an input by another name (a hard link) is refused.
#![cfg(feature = "cli")]

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[path = "common/cli.rs"]
mod cli_support;
use cli_support::{Dir, bin, oncoqual};

/// A small deterministic random stream (splitmix64).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
}

/// Starts `args`, kills it (SIGKILL) after `delay`, and waits for it; whether it had
/// finished by then.
fn run_and_kill(args: &[&str], delay: Duration) -> bool {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let finished = matches!(child.try_wait(), Ok(Some(_)));
    let _ = child.kill();
    let _ = child.wait();
    finished
}

/// A kill delay drawn below a window that follows the machine's speed: it shrinks when the
/// command finished before its kill and grows when it did not, so kills keep landing
/// throughout the run however loaded the machine is.
struct Delay {
    rng: Rng,
    window_us: u64,
}
impl Delay {
    fn next(&mut self) -> Duration {
        Duration::from_micros(self.rng.below(self.window_us))
    }
    fn finished(&mut self, finished: bool) {
        self.window_us = if finished {
            (self.window_us * 9 / 10).max(1_000)
        } else {
            self.window_us * 11 / 10
        };
    }
}

#[test]
fn a_killed_writer_leaves_the_old_output_or_the_complete_new_one() {
    let dir = Dir::new("kill-output");
    let synth = |to: &str| -> Vec<String> {
        [
            "synth",
            "--charts",
            "100",
            "--practices",
            "5",
            "--seed",
            "2",
            "-o",
            to,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    // The new file's bytes, and how long writing them takes.
    let expected_path = dir.file("expected.jsonl");
    let args = synth(&expected_path);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = Instant::now();
    let (code, _, err) = oncoqual(&args);
    assert_eq!(code, 0, "{err}");
    let took = started.elapsed();
    let new = std::fs::read(&expected_path).unwrap();
    assert!(new.len() > 1_000_000, "{} bytes", new.len());
    let old = b"the previous output\n".repeat(20_000);
    let window = (took.as_micros() as u64 * 2).max(1_000);
    let deadline = Instant::now() + Duration::from_secs(30);

    // Three writers at once, each killing its own command over its own output file.
    let results: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..3u64)
            .map(|w| {
                let (dir, new, old) = (&dir, &new, &old);
                scope.spawn(move || {
                    let out = dir.file(&format!("charts-{w}.jsonl"));
                    let args = synth(&out);
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let mut delay = Delay {
                        rng: Rng(19 + w),
                        window_us: window,
                    };
                    let (mut kept, mut replaced) = (0, 0);
                    while kept + replaced < 100 && Instant::now() < deadline {
                        std::fs::write(&out, old).unwrap();
                        let finished = run_and_kill(&args, delay.next());
                        delay.finished(finished);
                        let now = std::fs::read(&out).unwrap();
                        if now == *old {
                            kept += 1;
                        } else if now == *new {
                            replaced += 1;
                        } else {
                            panic!(
                                "writer {w}: the output is neither the old file nor the new one ({} bytes)",
                                now.len()
                            );
                        }
                    }
                    // A later run still works, whatever the killed ones left behind.
                    let (code, _, err) = oncoqual(&args);
                    assert_eq!(code, 0, "{err}");
                    assert_eq!(std::fs::read(&out).unwrap(), *new);
                    (kept, replaced)
                })
            })
            .collect();
        // And a command writing a directory of tables: each table is old or new, whole.
        let tables = scope.spawn(|| {
            let charts = dir.file("t.jsonl");
            let report = dir.file("t-report.json");
            assert_eq!(
                oncoqual(&[
                    "synth",
                    "--charts",
                    "300",
                    "--practices",
                    "40",
                    "-o",
                    &charts
                ])
                .0,
                0
            );
            assert_eq!(
                oncoqual(&["benchmark", "--charts", &charts, "-o", &report]).0,
                0
            );
            let out = dir.file("tables");
            let args = ["report", "--report", &report, "--format", "csv", "-o", &out];
            assert_eq!(oncoqual(&args).0, 0);
            let names = ["practice_rates.csv", "national.csv"];
            let new: Vec<Vec<u8>> = names
                .iter()
                .map(|n| std::fs::read(Path::new(&out).join(n)).unwrap())
                .collect();
            let mut delay = Delay {
                rng: Rng(5),
                window_us: window,
            };
            let (mut kept, mut replaced) = (0, 0);
            while kept + replaced < 60 && Instant::now() < deadline {
                for n in names {
                    std::fs::write(Path::new(&out).join(n), b"old table\n").unwrap();
                }
                let finished = run_and_kill(&args, delay.next());
                delay.finished(finished);
                for (n, new) in names.iter().zip(&new) {
                    let now = std::fs::read(Path::new(&out).join(n)).unwrap();
                    if now == b"old table\n" {
                        kept += 1;
                    } else {
                        assert!(now == *new, "{n} is neither the old table nor the new one");
                        replaced += 1;
                    }
                }
            }
            (kept, replaced)
        });
        let all: Vec<(usize, usize)> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        let t = tables.join().unwrap();
        eprintln!("tables: {} kept, {} replaced", t.0, t.1);
        all
    });
    let kept: usize = results.iter().map(|r| r.0).sum();
    let replaced: usize = results.iter().map(|r| r.1).sum();
    let runs = kept + replaced;
    eprintln!(
        "{runs} runs: {kept} kept the old file, {replaced} found the new one; window {window} µs"
    );
    assert!(runs >= 100, "only {runs} runs in the time allowed");
    assert!(
        kept > 0,
        "no run was killed before its rename ({replaced} replaced)"
    );
    assert!(
        replaced > 0,
        "no run finished before it was killed ({kept} kept)"
    );
}

#[test]
#[cfg(unix)]
fn an_output_that_is_a_hard_link_or_symlink_to_an_input_is_refused() {
    let dir = Dir::new("links");
    let charts = dir.file("charts.jsonl");
    let (code, _, err) = oncoqual(&["synth", "--charts", "20", "-o", &charts]);
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read(&charts).unwrap();
    let hard = dir.file("hard.jsonl");
    std::fs::hard_link(&charts, &hard).unwrap();
    let soft = dir.file("soft.jsonl");
    std::os::unix::fs::symlink(&charts, &soft).unwrap();
    for out in [&hard, &soft] {
        let (code, _, err) = oncoqual(&["evaluate", "--charts", &charts, "-o", out]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("refused: the output is also an input"),
            "{err}"
        );
        assert_eq!(std::fs::read(&charts).unwrap(), before);
        assert_eq!(std::fs::read(&hard).unwrap(), before, "the link is kept");
    }
}

#[test]
fn report_tables_and_pages_are_never_written_over_their_input() {
    let dir = Dir::new("report-input");
    let charts = dir.file("charts.jsonl");
    let (code, _, err) = oncoqual(&["synth", "--charts", "60", "-o", &charts]);
    assert_eq!(code, 0, "{err}");
    // The report is saved under the name of a table the CSV format writes.
    let report = dir.file("national.csv");
    let (code, _, err) = oncoqual(&["benchmark", "--charts", &charts, "-o", &report]);
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read(&report).unwrap();
    let out = dir.0.to_str().unwrap();
    let (code, _, err) = oncoqual(&["report", "--report", &report, "--format", "csv", "-o", out]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("refused: the output is also an input"),
        "{err}"
    );
    assert_eq!(std::fs::read(&report).unwrap(), before);
    // `synth` refuses one file for both of its outputs.
    let (code, _, err) = oncoqual(&[
        "synth",
        "--charts",
        "5",
        "--practices-out",
        &charts,
        "-o",
        &charts,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("name the same file"), "{err}");
}

#[test]
fn html_and_csv_outputs_leave_no_temporary_file() {
    let dir = Dir::new("site");
    let charts = dir.file("charts.jsonl");
    let report = dir.file("report.json");
    assert_eq!(oncoqual(&["synth", "--charts", "60", "-o", &charts]).0, 0);
    assert_eq!(
        oncoqual(&["benchmark", "--charts", &charts, "-o", &report]).0,
        0
    );
    for format in ["html", "csv"] {
        let out = dir.file(format);
        let (code, _, err) = oncoqual(&[
            "report", "--report", &report, "--format", format, "-o", &out,
        ]);
        assert_eq!(code, 0, "{err}");
        // Every file, in the practice folders too.
        let mut names: Vec<String> = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(&out)];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    dirs.push(e.path());
                } else {
                    names.push(e.file_name().to_string_lossy().into_owned());
                }
            }
        }
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        assert!(names.len() >= 2, "{names:?}");
    }
}

// --- The certification log ---

const CERTIFIED_WALK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/certification/first-time-pass.json"
);

/// The events of a walk that ends certified (on 2027-06-01, expiring 2030-06-01).
fn certified_events() -> Vec<serde_json::Value> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(CERTIFIED_WALK).unwrap()).unwrap();
    v["log"].as_array().unwrap().clone()
}

/// A legacy log (`{"rules": .., "log": [..]}`) certified, then `extra` participations.
fn legacy_log(path: &str, extra: usize) {
    let mut log = certified_events();
    for _ in 0..extra {
        log.push(serde_json::json!({"event": "participation_recorded", "date": "2027-07-01"}));
    }
    std::fs::write(path, serde_json::json!({ "log": log }).to_string()).unwrap();
}

fn participation(path: &str, date: &str) {
    std::fs::write(
        path,
        format!(r#"{{"event":"participation_recorded","date":"{date}"}}"#),
    )
    .unwrap();
}

/// The events of the log at `path` as `certify status` replays them (all of them, from the
/// start), or the error.
fn status_events(log: &str) -> Result<usize, String> {
    let (code, out, err) = oncoqual(&["certify", "status", "--log", log, "--on", "2027-07-02"]);
    if code != 0 {
        return Err(err);
    }
    let done = out
        .split("\nnext:")
        .next()
        .unwrap()
        .split("done:\n")
        .nth(1)
        .unwrap_or("");
    Ok(done.lines().count())
}

#[test]
fn concurrent_appenders_serialise_and_none_loses_an_event() {
    let dir = Dir::new("pairs");
    let log = dir.file("log");
    legacy_log(&log, 0);
    let (a, b) = (dir.file("a.json"), dir.file("b.json"));
    participation(&a, "2027-07-01");
    participation(&b, "2027-07-01");
    let base = status_events(&log).unwrap();
    let mut accepted = 0;
    for _ in 0..200 {
        let spawn = |e: &str| {
            bin()
                .args(["certify", "apply", "--log", &log, "--event", e])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (p, q) = (spawn(&a), spawn(&b));
        for child in [p, q] {
            let out = child.wait_with_output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            accepted += 1;
        }
    }
    assert_eq!(status_events(&log).unwrap(), base + accepted);
    // The snapshot beside the log holds the full replay's state.
    let text = std::fs::read(&log).unwrap();
    let full =
        oncoqual::certification::read_log(&text, oncoqual::certification::Standards::bundled())
            .unwrap();
    let snap: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{log}.state")).unwrap()).unwrap();
    let mut state = serde_json::to_value(full.workflow.state()).unwrap();
    // The snapshot keeps participation as runs of one date beside the state.
    let participation = std::mem::replace(&mut state["participation"], serde_json::json!([]));
    assert!(
        snap["state"] == state,
        "the snapshot's state is not the replay's"
    );
    // Every participation here is on one date: one run.
    assert_eq!(
        snap["participation"],
        serde_json::json!([["2027-07-01", participation.as_array().unwrap().len()]])
    );
    assert_eq!(snap["events"], serde_json::json!(full.workflow.log.len()));
}

#[test]
fn a_killed_appender_leaves_a_log_that_replays_as_the_old_or_the_new_log() {
    let dir = Dir::new("kill-log");
    let log = dir.file("log");
    let e = dir.file("e.json");
    participation(&e, "2027-07-01");
    let args = [
        "certify",
        "apply",
        "--log",
        log.as_str(),
        "--event",
        e.as_str(),
    ];
    // How long an append takes: a legacy log converted, then an append in place.
    legacy_log(&log, 3000);
    let started = Instant::now();
    assert_eq!(oncoqual(&args).0, 0);
    let mut delay = Delay {
        rng: Rng(7),
        window_us: (started.elapsed().as_micros() as u64 * 2).max(1_000),
    };
    let mut runs = 0;
    let mut before = status_events(&log).unwrap();
    let mut appended = 0;
    let deadline = Instant::now() + Duration::from_secs(35);
    while runs < 300 && Instant::now() < deadline {
        // Every tenth run starts again from a legacy log (killed during its conversion).
        if runs % 10 == 0 {
            legacy_log(&log, 3000);
            let _ = std::fs::remove_file(format!("{log}.state"));
            before = certified_events().len() + 3000;
        }
        let finished = run_and_kill(&args, delay.next());
        delay.finished(finished);
        let after = status_events(&log).unwrap_or_else(|err| panic!("run {runs}: {err}"));
        appended += usize::from(after > before);
        assert!(
            after == before || after == before + 1,
            "run {runs}: {before} events before, {after} after"
        );
        before = after;
        runs += 1;
    }
    eprintln!("{runs} killed appenders: {appended} appended");
    assert!(runs >= 100, "only {runs} runs in the time allowed");
    // A later append works and counts once.
    assert_eq!(oncoqual(&args).0, 0);
    assert_eq!(status_events(&log).unwrap(), before + 1);
}

#[test]
fn a_refused_event_leaves_the_log_byte_identical_in_both_formats() {
    let dir = Dir::new("refused");
    let log = dir.file("log");
    let e = dir.file("e.json");
    // Before the certification: refused.
    participation(&e, "2027-01-01");
    legacy_log(&log, 0);
    let before = std::fs::read(&log).unwrap();
    let (code, _, err) = oncoqual(&["certify", "apply", "--log", &log, "--event", &e]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(std::fs::read(&log).unwrap(), before);
    // Converted by an accepted append, then a refusal changes nothing either.
    participation(&e, "2027-07-01");
    assert_eq!(
        oncoqual(&["certify", "apply", "--log", &log, "--event", &e]).0,
        0
    );
    let converted = std::fs::read(&log).unwrap();
    assert!(converted.starts_with(b"{\"format\":\"oncoqual-certification-log\""));
    participation(&e, "2027-01-01");
    assert_eq!(
        oncoqual(&["certify", "apply", "--log", &log, "--event", &e]).0,
        1
    );
    assert_eq!(std::fs::read(&log).unwrap(), converted);
    assert_eq!(status_events(&log).unwrap(), certified_events().len() + 1);
    // The event file cannot be the log.
    let (code, _, err) = oncoqual(&["certify", "apply", "--log", &log, "--event", &log]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refused: the log is also an input"), "{err}");
}

#[test]
fn an_append_after_a_hand_edit_replays_the_log_instead_of_trusting_the_snapshot() {
    let dir = Dir::new("edited");
    let log = dir.file("log");
    let e = dir.file("e.json");
    legacy_log(&log, 0);
    participation(&e, "2027-07-01");
    assert_eq!(
        oncoqual(&["certify", "apply", "--log", &log, "--event", &e]).0,
        0
    );
    // The last participation is edited by hand to a later date: an append dated between
    // the two must now be refused, which only the log (not the stale snapshot) knows.
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replace("2027-07-01", "2027-09-01")).unwrap();
    participation(&e, "2027-08-01");
    let (code, _, err) = oncoqual(&["certify", "apply", "--log", &log, "--event", &e]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("before the previous event (2027-09-01)"),
        "{err}"
    );
}

#[test]
fn hand_edited_rules_out_of_range_are_refused_naming_the_field_and_the_file() {
    let dir = Dir::new("rules");
    let log = dir.file("log.json");
    let cases = [
        (
            "term_months",
            0u64,
            "`term_months` is 0, outside its range 1–120",
        ),
        (
            "term_months",
            4_294_967_295,
            "`term_months` is 4294967295, outside its range 1–120",
        ),
        (
            "pending_lapse_months",
            999,
            "`pending_lapse_months` is 999, outside its range 1–36",
        ),
        (
            "renewal_opens_months_before",
            9,
            "the renewal window is empty",
        ),
    ];
    for (field, value, message) in cases {
        let mut rules = serde_json::json!({
            "pending_lapse_months": 12,
            "term_months": 36,
            "renewal_opens_months_before": 12,
            "renewal_closes_months_before": 9,
            "participation_months": 12
        });
        rules[field] = serde_json::json!(value);
        std::fs::write(
            &log,
            serde_json::json!({ "rules": rules, "log": certified_events() }).to_string(),
        )
        .unwrap();
        for cmd in ["status", "apply"] {
            let mut args = vec!["certify", cmd, "--log", log.as_str()];
            let e = dir.file("e.json");
            if cmd == "apply" {
                participation(&e, "2027-07-01");
                args.extend(["--event", e.as_str()]);
            }
            let (code, _, err) = oncoqual(&args);
            assert_eq!(code, 2, "{field}={value}: {err}");
            assert!(err.contains(message), "{err}");
            assert!(err.contains(&log), "names the file: {err}");
        }
    }
}

/// One append to a 300,000-event log: the first append converts the legacy log (a full
/// replay), every later one folds only what follows the snapshot. Run with
/// `cargo test --release --all-features --test cli_crash_safety -- --ignored`.
#[test]
#[ignore = "builds a 300,000-event log; a measurement, not a check"]
fn one_append_to_a_300000_event_log() {
    let dir = Dir::new("big");
    let log = dir.file("log.json");
    legacy_log(&log, 300_000);
    let e = dir.file("e.json");
    participation(&e, "2027-07-01");
    let time = |what: &str| {
        let started = Instant::now();
        let (code, _, err) = oncoqual(&["certify", "apply", "--log", &log, "--event", &e]);
        assert_eq!(code, 0, "{err}");
        let took = started.elapsed();
        eprintln!("{what}: {:.3} s", took.as_secs_f64());
        took
    };
    time("first append (legacy log converted)");
    time("second append");
    time("third append");
    // A measurement (figures in the README), not a timed assertion: the log must still
    // hold every event.
    assert_eq!(
        status_events(&log),
        Ok(certified_events().len() + 300_000 + 3),
        "every event kept"
    );
}
