//! Counts a certification can rest on, run as a user would: every way of counting a chart
//! twice, or counting under two libraries, calendars or keys, is refused with a message
//! that names both sides, and nothing is written.
#![cfg(feature = "cli")]

use std::path::Path;

#[path = "common/cli.rs"]
mod cli_support;
use cli_support::{Dir, oncoqual};

/// Synthetic charts (and their practices file) in `dir`.
fn charts(dir: &Dir, name: &str, n: &str, seed: &str) -> String {
    let path = dir.file(name);
    let practices = dir.file(&format!("{name}.practices.json"));
    let (code, _, err) = oncoqual(&[
        "synth",
        "--charts",
        n,
        "--practices",
        "5",
        "--rounds",
        "2",
        "--seed",
        seed,
        "--practices-out",
        &practices,
        "-o",
        &path,
    ]);
    assert_eq!(code, 0, "{err}");
    path
}

fn tally(args: &[&str]) -> (i32, String) {
    let (code, _, err) = oncoqual(&[&["tally"], args].concat());
    (code, err)
}

#[test]
fn the_same_chart_file_twice_is_refused_with_both_locations_and_no_report() {
    let dir = Dir::new("twice");
    let a = charts(&dir, "a.jsonl", "200", "1");
    let out = dir.file("report.json");
    let (code, _, err) = oncoqual(&["benchmark", "--charts", &a, &a, "-o", &out]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{a}: line 1: error at `id`: duplicate chart: this chart id, practice and round were first read on line 1 of `{a}`")),
        "{err}"
    );
    assert!(
        err.contains("… and 190 more records repeating a chart"),
        "{err}"
    );
    assert!(
        err.contains("refused: 200 records repeat a chart already read"),
        "{err}"
    );
    assert!(!Path::new(&out).exists(), "no report is written");
    // One chart copied into another file: found in a second file too.
    let lines: Vec<String> = std::fs::read_to_string(&a)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let b = dir.file("b.jsonl");
    let c = dir.file("c.jsonl");
    std::fs::write(&b, lines[..150].join("\n")).unwrap();
    std::fs::write(&c, [&lines[150..], &lines[7..8]].concat().join("\n")).unwrap();
    let (code, err) = tally(&["--charts", &b, &c, "-o", &out]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{c}: line 51: error at `id`: duplicate chart: this chart id, practice and round were first read on line 8 of `{b}`")), "{err}");
    assert!(!Path::new(&out).exists());
}

#[test]
fn the_same_tally_twice_or_overlapping_shards_are_refused_naming_both() {
    let dir = Dir::new("overlap");
    let a = charts(&dir, "a.jsonl", "300", "2");
    let lines: Vec<String> = std::fs::read_to_string(&a)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let (s1, s2) = (dir.file("s1.jsonl"), dir.file("s2.jsonl"));
    std::fs::write(&s1, lines[..200].join("\n")).unwrap();
    std::fs::write(&s2, lines[180..].join("\n")).unwrap();
    let (t1, t2) = (dir.file("t1.json"), dir.file("t2.json"));
    assert_eq!(tally(&["--charts", &s1, "-o", &t1]).0, 0);
    assert_eq!(tally(&["--charts", &s2, "-o", &t2]).0, 0);
    let out = dir.file("report.json");
    let (code, _, err) = oncoqual(&["benchmark", "--tallies", &t1, &t1, "-o", &out]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "{t1}: refused: cannot be merged with `{t1}`: the tallies share 200 charts"
        )),
        "{err}"
    );
    let (code, _, err) = oncoqual(&["benchmark", "--tallies", &t1, &t2, "-o", &out]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "{t2}: refused: cannot be merged with `{t1}`: the tallies share 20 charts"
        )),
        "{err}"
    );
    assert!(!Path::new(&out).exists());
}

#[test]
fn tallies_of_two_calendars_two_libraries_or_two_keys_do_not_merge() {
    let dir = Dir::new("stamps");
    let a = charts(&dir, "a.jsonl", "100", "3");
    let b = charts(&dir, "b.jsonl", "100", "4");
    let (ta, tb) = (dir.file("ta.json"), dir.file("tb.json"));
    assert_eq!(tally(&["--charts", &a, "-o", &ta]).0, 0);
    // Another calendar: round 2026-1 over a shorter period.
    let cal = dir.file("rounds.json");
    std::fs::write(
        &cal,
        r#"{"2026-1": {"start": "2026-01-01", "end": "2026-05-31"}}"#,
    )
    .unwrap();
    assert_eq!(tally(&["--charts", &b, "--rounds", &cal, "-o", &tb]).0, 0);
    let (code, _, err) = oncoqual(&["benchmark", "--tallies", &ta, &tb]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("round 2026-1 was evaluated over 2026-01-01..2026-06-30 in one and over 2026-01-01..2026-05-31 in the other: two round calendars"), "{err}");
    // A report under another calendar than its tally's is refused too.
    let (code, _, err) = oncoqual(&[
        "benchmark",
        "--tallies",
        &tb,
        "--practices",
        &format!("{b}.practices.json"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("use the same rounds file"), "{err}");
    // Another library: a copy of the bundled specs with one spec edited.
    let specs = dir.0.join("specs");
    copy_dir(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/measure-specs")),
        &specs,
    );
    let edited = specs.join("core/tobacco-use-status-documented.oqm");
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, text + "\n# edited\n").unwrap();
    let tc = dir.file("tc.json");
    assert_eq!(
        tally(&[
            "--charts",
            &b,
            "--specs",
            specs.to_str().unwrap(),
            "-o",
            &tc
        ])
        .0,
        0
    );
    let (code, _, err) = oncoqual(&["benchmark", "--tallies", &ta, &tc]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("two measure libraries"), "{err}");
    let (code, _, err) = oncoqual(&["benchmark", "--tallies", &tc]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("use the same specs"), "{err}");
    // Another chart key; a key too short is refused.
    let (k1, k2) = (dir.file("k1"), dir.file("k2"));
    std::fs::write(&k1, "first program secret, long enough\n").unwrap();
    std::fs::write(&k2, "short").unwrap();
    let td = dir.file("td.json");
    assert_eq!(tally(&["--charts", &b, "--chart-key", &k1, "-o", &td]).0, 0);
    let (code, err) = tally(&["--charts", &b, "--chart-key", &k2, "-o", &td]);
    assert_eq!(code, 2);
    assert!(
        err.contains("the chart-digest secret has 5 bytes; it needs at least 16"),
        "{err}"
    );
    let (code, _, err) = oncoqual(&["benchmark", "--tallies", &ta, &td]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("use two keys (unkeyed and "), "{err}");
    // --verbose prints each input's stamp.
    let (code, _, err) = oncoqual(&["benchmark", "--tallies", &td, "--verbose"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("{td}: tally format 2, oncoqual ")),
        "{err}"
    );
    assert!(
        err.contains("round 2026-2 over 2026-07-01..2026-12-31"),
        "{err}"
    );
    // The key file's secret is nowhere in the tally.
    let t = std::fs::read_to_string(&td).unwrap();
    assert!(!t.contains("secret"));
}

#[test]
fn participation_while_certified_is_recorded_from_a_report() {
    let dir = Dir::new("participation");
    let path = dir.file("c.jsonl");
    let practices = dir.file("p.json");
    let (code, _, err) = oncoqual(&[
        "synth",
        "--charts",
        "600",
        "--practices",
        "3",
        "--rounds",
        "2",
        "--seed",
        "6",
        "--first-round",
        "2027-2",
        "--practices-out",
        &practices,
        "-o",
        &path,
    ]);
    assert_eq!(code, 0, "{err}");
    let report = dir.file("report.json");
    let (code, _, err) = oncoqual(&[
        "benchmark",
        "--charts",
        &path,
        "--practices",
        &practices,
        "-o",
        &report,
    ]);
    assert_eq!(code, 0, "{err}");
    // A certified practice's log (from the walk that passes first time).
    let walk: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/certification/first-time-pass.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let log = dir.file("log.json");
    std::fs::write(&log, serde_json::json!({"log": walk["log"]}).to_string()).unwrap();
    let (code, out, err) = oncoqual(&[
        "certify",
        "apply",
        "--log",
        &log,
        "--participation-from",
        &report,
        "--practice",
        "P0001",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("accepted; phase: certified"), "{out}");
    let saved = std::fs::read_to_string(&log).unwrap();
    // Rounds 2027-2 and 2028-1 close on 2028-02-29 and 2028-08-31.
    assert!(
        saved.contains("\"2028-02-29\"") && saved.contains("\"2028-08-31\""),
        "{saved}"
    );
    // Again: nothing new to record.
    let (code, out, _) = oncoqual(&[
        "certify",
        "apply",
        "--log",
        &log,
        "--participation-from",
        &report,
        "--practice",
        "P0001",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("nothing to record"), "{out}");
    // The practice left out of the practices file has no participation in the report.
    let (code, _, err) = oncoqual(&[
        "certify",
        "apply",
        "--log",
        &log,
        "--participation-from",
        &report,
        "--practice",
        "P0003",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("its charts were excluded for registration problems"),
        "{err}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let dir = Dir::new("same-file");
    let a = charts(&dir, "a.jsonl", "50", "7");
    let before = std::fs::read(&a).unwrap();
    for args in [
        vec!["evaluate", "--charts", &a, "-o", &a],
        vec!["tally", "--charts", &a, "-o", &a],
        vec!["benchmark", "--charts", &a, "-o", &a],
    ] {
        let (code, _, err) = oncoqual(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("refused: the output is also an input"),
            "{err}"
        );
        assert_eq!(
            std::fs::read(&a).unwrap(),
            before,
            "{args:?} changed its input"
        );
    }
    // The same file under another name is still the same file.
    let other_name = format!("{}/./a.jsonl", dir.0.display());
    let (code, _, _) = oncoqual(&["evaluate", "--charts", &a, "-o", &other_name]);
    assert_eq!(code, 2);
    assert_eq!(std::fs::read(&a).unwrap(), before);
}

#[test]
fn a_command_that_fails_leaves_its_previous_output_whole() {
    let dir = Dir::new("keep-output");
    let out = dir.file("out.jsonl");
    std::fs::write(&out, "the previous output\n").unwrap();
    // Fails after the output was opened: the chart file does not exist.
    let (code, _, err) = oncoqual(&[
        "evaluate",
        "--charts",
        &dir.file("missing.jsonl"),
        "-o",
        &out,
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "the previous output\n"
    );
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}
