//! Every input error is located and the batch goes on: invalid UTF-8, over-long files,
//! missing files, dangling links, directories and FIFOs given to any reader are one
//! located line each; the later files are still read, the summary is printed and the exit
//! code says there were errors. Run as a user would.
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary in `dir`, killing it (and failing) if it hangs.
fn oncoqual_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oncoqual"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("`oncoqual {}` hangs", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A directory removed on drop.
struct Dir(PathBuf);
impl Dir {
    fn new(tag: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("oncoqual-inputs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, bytes).unwrap();
    }
    /// Makes a FIFO; `false` where the platform cannot.
    fn fifo(&self, name: &str) -> bool {
        Command::new("mkfifo")
            .arg(self.0.join(name))
            .status()
            .is_ok_and(|s| s.success())
    }
    #[cfg(unix)]
    fn dangling(&self, name: &str) {
        std::os::unix::fs::symlink(self.0.join("nowhere"), self.0.join(name)).unwrap();
    }
}
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const GOOD: &str = r#"{"id":"a","practice":"p1","round":"2026-1"}"#;

#[test]
fn validate_locates_invalid_utf8_in_a_json_file_and_goes_on_to_the_next_files() {
    let dir = Dir::new("utf8");
    // Invalid byte on line 2, column 8 (byte offset 9).
    dir.write(
        "x.json",
        b"{\n\"id\": \"\xff\",\"practice\":\"p1\",\"round\":\"2026-1\"}",
    );
    // Cut inside a two-byte character (é is C3 A9).
    dir.write("cut.json", b"{\"id\": \"\xc3");
    let mut more = format!("{GOOD}\n").into_bytes();
    more.extend_from_slice(b"{\"id\":\"b\",\"practice\":\"p1\",\"round\":\"2026-\xe9\"}\n");
    dir.write("more.jsonl", &more);
    let (code, out, err) = oncoqual_in(&dir.0, &["validate", "x.json", "cut.json", "more.jsonl"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.is_empty(), "{err}");
    insta::assert_snapshot!(out);
}

#[cfg(unix)]
#[test]
fn validate_reports_missing_files_links_directories_and_fifos_in_one_line_each_and_goes_on() {
    let dir = Dir::new("special");
    dir.write("good.jsonl", format!("{GOOD}\n").as_bytes());
    dir.dangling("dangling.jsonl");
    std::fs::create_dir(dir.0.join("folder.json")).unwrap();
    if !dir.fifo("fifo.jsonl") {
        return; // no FIFOs here
    }
    let (code, out, err) = oncoqual_in(
        &dir.0,
        &[
            "validate",
            "missing.json",
            "dangling.jsonl",
            "folder.json",
            "fifo.jsonl",
            "good.jsonl",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    insta::assert_snapshot!(out);
}

#[test]
fn validate_refuses_an_over_long_json_file_with_its_limit() {
    let dir = Dir::new("long");
    dir.write("big.json", &[b' '; 200]);
    dir.write("good.jsonl", format!("{GOOD}\n").as_bytes());
    let (code, out, _) = oncoqual_in(
        &dir.0,
        &[
            "validate",
            "--max-record-bytes",
            "100",
            "big.json",
            "good.jsonl",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("big.json: error: record longer than the limit of 100 bytes\n"),
        "{out}"
    );
    assert!(out.contains("2 records: 1 valid"), "{out}");
}

#[test]
fn validate_reports_every_field_error_of_a_record_in_one_pass() {
    let dir = Dir::new("all");
    dir.write(
        "c.jsonl",
        concat!(
            r#"{"id":"c1","practice":"p1","round":"2026-1","patient":{"birth_date":"1960-02-30","sex":"fmale"},"#,
            r#""labs":[{"test":"cea","value":"5"},{"test":"cea","value":4,"date":"2026-13-01"}],"documents":[{"sent_to":["patient","nobody"]}]}"#,
            "\n"
        )
        .as_bytes(),
    );
    let (code, out, _) = oncoqual_in(&dir.0, &["validate", "c.jsonl"]);
    assert_eq!(code, 1, "{out}");
    insta::assert_snapshot!(out);
}

#[cfg(unix)]
#[test]
fn check_reports_unreadable_spec_files_located_with_every_other_diagnostic_and_never_hangs() {
    let dir = Dir::new("specs");
    let good = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/dsl/broken/E0201-unknown-name.oqm"
    ))
    .unwrap();
    dir.write("specs/a-broken.oqm", good.as_bytes());
    dir.write("specs/b-utf8.oqm", b"measure core.x\n  title \"caf\xe9\"\n");
    dir.dangling("specs/c-dangling.oqm");
    let fifo = dir.fifo("specs/d-fifo.oqm");
    dir.write("specs/valuesets/e-cut.json", b"{\"name\": \"\xe2\x82");
    let (code, out, err) = oncoqual_in(&dir.0, &["check", "specs"]);
    assert_eq!(code, 1, "{out}{err}");
    if fifo {
        assert!(
            err.contains("d-fifo.oqm") && err.contains("a FIFO, not a regular file"),
            "{err}"
        );
    }
    for expected in [
        "b-utf8.oqm:2:13",
        "invalid UTF-8 (first invalid byte at offset 27)",
        "c-dangling.oqm",
        "a symbolic link to a file that does not exist",
        "valuesets/e-cut.json:1:11",
        "E0201",
    ] {
        assert!(err.contains(expected), "{expected}: {err}");
    }
    let lib = oncoqual::Library::load(&dir.0.join("specs")).unwrap_err();
    let mut shown = lib.to_string();
    if fifo {
        // The FIFO's diagnostic, where the platform has FIFOs, is checked above.
        let start = shown
            .find("error[E0005]: cannot read this file: a FIFO")
            .unwrap();
        let end = shown[start + 1..]
            .find("error[")
            .map_or(shown.len(), |e| start + 1 + e);
        shown.replace_range(start..end, "");
    }
    insta::assert_snapshot!(shown);
}

#[test]
fn a_forged_tally_is_refused_naming_its_row_and_the_broken_rule() {
    let dir = Dir::new("tally");
    let root = env!("CARGO_MANIFEST_DIR");
    let charts = dir.0.join("c.jsonl");
    let tally = dir.0.join("t.json");
    let (code, _, err) = oncoqual_in(
        &dir.0,
        &[
            "synth",
            "--charts",
            "40",
            "--practices",
            "1",
            "--rounds",
            "1",
            "-o",
            charts.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = oncoqual_in(
        Path::new(root),
        &[
            "tally",
            "--charts",
            charts.to_str().unwrap(),
            "-o",
            tally.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&tally).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let row = &mut value["rows"][0];
    let (measure, counts) = row["measures"]
        .as_object_mut()
        .unwrap()
        .iter_mut()
        .find(|(_, m)| m["total"]["DENOM"].as_u64() > Some(0))
        .expect("a measure with a denominator");
    let measure = measure.clone();
    let denom = counts["total"]["DENOM"].as_u64().unwrap();
    counts["total"]["NUMER"] = serde_json::json!(denom * 2);
    std::fs::write(&tally, serde_json::to_string(&value).unwrap()).unwrap();
    let (code, out, err) = oncoqual_in(
        Path::new(root),
        &["benchmark", "--tallies", tally.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains(&format!("measure `{measure}`: inconsistent counts: NUMER"))
            && err.contains("exceeds DENOM − DENEX"),
        "{err}"
    );
    assert!(out.is_empty(), "nothing is written: {out}");
}

#[test]
fn benchmark_reads_every_tally_file_and_lists_each_unreadable_one() {
    let dir = Dir::new("tallies");
    dir.write(
        "bad.json",
        b"{\"oncoqual_tally\": 2, \"rows\": [], \"x\": \"\xff\"}",
    );
    let (code, out, err) = oncoqual_in(
        &dir.0,
        &["benchmark", "--tallies", "missing.json", "bad.json", "."],
    );
    assert_eq!(code, 2, "{out}");
    insta::assert_snapshot!(err);
}

#[cfg(unix)]
#[test]
fn evaluate_tally_and_certify_refuse_special_and_missing_files_in_one_line_without_hanging() {
    let dir = Dir::new("readers");
    if !dir.fifo("fifo") {
        return; // no FIFOs here
    }
    dir.dangling("dangling.json");
    dir.write("good.jsonl", format!("{GOOD}\n").as_bytes());
    // A single input that cannot be read: one located line, exit 2.
    let (code, _, err) = oncoqual_in(&dir.0, &["evaluate", "--charts", "fifo"]);
    assert_eq!(code, 2);
    assert_eq!(err, "oncoqual: fifo: a FIFO, not a regular file\n");
    let (code, _, err) = oncoqual_in(&dir.0, &["certify", "status", "--log", "fifo"]);
    assert_eq!(code, 2);
    assert_eq!(err, "oncoqual: fifo: a FIFO, not a regular file\n");
    // An append never writes through a dangling link, nor opens a FIFO.
    dir.write(
        "event.json",
        br#"{"event":"participation_recorded","date":"2027-07-01"}"#,
    );
    for log in ["fifo", "dangling.json"] {
        let (code, _, err) = oncoqual_in(
            &dir.0,
            &["certify", "apply", "--log", log, "--event", "event.json"],
        );
        assert_eq!(code, 2, "{err}");
        assert!(err.starts_with(&format!("oncoqual: {log}: a ")), "{err}");
    }
    assert!(
        std::fs::symlink_metadata(dir.0.join("dangling.json"))
            .unwrap()
            .is_symlink()
    );
    // Several chart files: the unreadable ones are reported and counted, the others
    // tallied, and the exit code says so.
    let (code, out, err) = oncoqual_in(
        &dir.0,
        &[
            "tally",
            "--charts",
            "fifo",
            "missing.jsonl",
            "good.jsonl",
            "-o",
            "t.json",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        err,
        "fifo: a FIFO, not a regular file\nmissing.jsonl: no such file\n"
    );
    let tally = std::fs::read_to_string(dir.0.join("t.json")).unwrap();
    assert!(tally.contains("\"charts\":1"), "{tally}");
}
