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
    // Feed standard input from its own thread: a child that writes more than a pipe holds
    // before it has read all its input would otherwise wait on us while we wait on it.
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.map(<[u8]>::to_vec);
    let feeder = std::thread::spawn(move || {
        if let Some(bytes) = bytes {
            // The child may exit without reading everything (e.g. on a usage error).
            let _ = input.write_all(&bytes);
        }
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
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
    // Reported like a record error (one located line), counted, and the exit code says so;
    // the summary is still printed.
    let (code, stdout, stderr) = oncoqual(&["validate", "tests/data/no-such-file.jsonl"], None);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.starts_with("tests/data/no-such-file.jsonl: error: read error: no such file\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("1 of 1 files could not be read\n"),
        "{stdout}"
    );
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

fn broken_library() -> tempdir::Dir {
    let dir = tempdir::Dir::new("check");
    let root = env!("CARGO_MANIFEST_DIR");
    std::fs::create_dir_all(dir.path().join("lib")).unwrap();
    std::fs::create_dir_all(dir.path().join("core")).unwrap();
    std::fs::copy(
        format!("{root}/tests/dsl/support/common.oqm"),
        dir.path().join("lib/common.oqm"),
    )
    .unwrap();
    for name in ["E0201-unknown-name", "E0204-unknown-enum-value"] {
        std::fs::copy(
            format!("{root}/tests/dsl/broken/{name}.oqm"),
            dir.path().join(format!("core/{name}.oqm")),
        )
        .unwrap();
    }
    dir
}

mod tempdir {
    /// A directory removed on drop.
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new(tag: &str) -> Dir {
            let p = std::env::temp_dir().join(format!("oncoqual-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn check_prints_every_error_of_every_file_with_carets_and_suggestions() {
    let dir = broken_library();
    let (code, out, err) = oncoqual(&["check", dir.path().to_str().unwrap()], None);
    assert_eq!(code, 1, "{out}");
    // Both broken files declare `core.broken`: the duplicate id is reported too.
    insta::assert_snapshot!(err);
}

#[test]
fn check_passes_on_the_bundled_library() {
    let (code, out, err) = oncoqual(&["check"], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("ok: "), "{out}");
}

#[test]
fn catalog_lists_the_bundled_measures_and_the_catalog_entries_without_a_spec() {
    let lib = oncoqual::Library::bundled().unwrap();
    let n = lib.measures().len();
    let missing = oncoqual::measure::Catalog::bundled()
        .unwrap()
        .compare(lib)
        .missing;
    assert_eq!(missing.len(), 202 - n);
    let (code, out, err) = oncoqual(&["catalog"], None);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "the bundled specs match the catalog: {err}");
    let lines: Vec<&str> = out.lines().collect();
    let header = lines[0];
    assert!(header.starts_with("id "), "{header}");
    let row = lines
        .iter()
        .find(|l| l.starts_with("core.chemo-metastatic-poor-or-undocumented-ps "))
        .unwrap();
    let cells: Vec<&str> = row.split_whitespace().take(5).collect();
    assert_eq!(
        cells,
        [
            "core.chemo-metastatic-poor-or-undocumented-ps",
            "core",
            "core,qcp",
            "lower_is_better",
            "proportion"
        ]
    );
    assert!(row.ends_with("QOPI5 (QOPI Reporting Registry 2018 and 2020 measure specifications)"));
    // Aligned: every row's columns start where the header's do; sorted by id.
    let rows = &lines[1..lines.len() - 1];
    assert_eq!(rows.len(), n);
    for column in ["module", "tracks", "direction", "scoring", "source"] {
        let at = header.find(column).unwrap();
        assert!(
            rows.iter()
                .all(|r| r[..at].ends_with("  ") && !r[at..].starts_with(' '))
        );
    }
    assert!(rows.is_sorted());
    assert_eq!(
        lines.last().unwrap(),
        &format!(
            "{n} measures; the library implements {n} of the catalog's 202 measures \
             ({} without a spec: oncoqual catalog --missing)",
            202 - n
        )
    );

    let (code, out, err) = oncoqual(&["catalog", "--json"], None);
    assert_eq!(code, 0, "{err}");
    let items: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(items.len(), n);
    let item = items
        .iter()
        .find(|i| i["id"] == "end_of_life.chemo-last-14-days")
        .unwrap();
    assert_eq!(item["tracks"], serde_json::json!(["end_of_life", "qcp"]));
    assert_eq!(item["direction"], "lower_is_better");
    assert_eq!(item["scoring"], "proportion");

    let (code, out, err) = oncoqual(&["catalog", "--missing"], None);
    assert_eq!(code, 0, "{err}");
    let ids: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    if let Some(first) = missing.first() {
        assert!(ids.contains(&first.as_str()), "{out}");
    }
    assert!(!ids.contains(&"breast.trastuzumab-her2-positive"));
    assert!(out.ends_with(&format!(
        "{} of the catalog's 202 measures have no spec yet\n",
        202 - n
    )));

    let (code, out, err) = oncoqual(&["catalog", "--missing", "--json"], None);
    assert_eq!(code, 0, "{err}");
    let items: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(items.len(), 202 - n);
}

#[test]
fn test_runs_the_case_deck_and_names_a_failing_case_and_population() {
    let dir = tempdir::Dir::new("cases");
    let root = env!("CARGO_MANIFEST_DIR");
    let measure = "core.tobacco-use-status-documented";
    std::fs::create_dir_all(dir.path().join(measure)).unwrap();
    let text = std::fs::read_to_string(format!(
        "{root}/tests/cases/{measure}/current-smoker-numer.json"
    ))
    .unwrap();
    let mut case: serde_json::Value = serde_json::from_str(&text).unwrap();
    case["expect"] = serde_json::json!(["IPP", "DENOM"]);
    std::fs::write(
        dir.path().join(measure).join("wrong.json"),
        case.to_string(),
    )
    .unwrap();
    std::fs::write(dir.path().join(measure).join("right.json"), text).unwrap();
    let (code, out, _) = oncoqual(&["test", dir.path().to_str().unwrap()], None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("wrong.json"), "{out}");
    assert!(out.contains("NUMER: expected not in, got in"), "{out}");
    assert!(!out.contains("right.json"), "{out}");
    assert!(out.contains("1 of 2 cases passed"), "{out}");
}

#[test]
fn evaluate_and_explain_read_synthetic_charts() {
    let (_, charts, _) = oncoqual(&["synth", "--charts", "300", "--seed", "3"], None);
    let dir = tempdir::Dir::new("eval");
    let file = dir.path().join("charts.jsonl");
    std::fs::write(&file, &charts).unwrap();
    let f = file.to_str().unwrap();
    let (code, out, err) = oncoqual(
        &[
            "evaluate",
            "--charts",
            f,
            "--measure",
            "core.tobacco-use-status-documented",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 300);
    let in_ipp = lines
        .iter()
        .find(|l| l["outcomes"]["core.tobacco-use-status-documented"].is_object())
        .expect("some chart in the IPP");
    let id = in_ipp["chart"].as_str().unwrap();
    let (code, out, err) = oncoqual(
        &[
            "explain",
            "--charts",
            f,
            "--chart",
            id,
            "--measure",
            "core.tobacco-use-status-documented",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("initial_population = true  (met)"), "{out}");
    assert!(out.contains("numerator = "), "{out}");
    assert!(out.contains("lib/common.oqm:"), "{out}");
    let (code, _, err) = oncoqual(
        &[
            "explain",
            "--charts",
            f,
            "--chart",
            id,
            "--measure",
            "core.tobaco-use-status-documented",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("did you mean `core.tobacco-use-status-documented`"),
        "{err}"
    );
}

#[test]
fn benchmark_of_shard_tallies_merged_in_any_order_is_byte_identical_to_the_whole() {
    let dir = tempdir::Dir::new("bench");
    let (_, charts, _) = oncoqual(
        &[
            "synth",
            "--charts",
            "3000",
            "--practices",
            "12",
            "--rounds",
            "2",
            "--seed",
            "5",
        ],
        None,
    );
    let lines: Vec<&str> = charts.lines().collect();
    let all = dir.path().join("all.jsonl");
    std::fs::write(&all, &charts).unwrap();
    let mut tallies = Vec::new();
    for (k, chunk) in lines.chunks(1000).enumerate() {
        let part = dir.path().join(format!("part{k}.jsonl"));
        std::fs::write(&part, chunk.join("\n") + "\n").unwrap();
        let out = dir.path().join(format!("part{k}.tally.json"));
        let (code, _, err) = oncoqual(
            &[
                "tally",
                "--charts",
                part.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(code, 0, "{err}");
        tallies.push(out);
    }
    let whole = dir.path().join("whole.json");
    let (code, _, err) = oncoqual(
        &[
            "benchmark",
            "--charts",
            all.to_str().unwrap(),
            "--issued-on",
            "2027-01-10",
            "-o",
            whole.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let merged = dir.path().join("merged.json");
    let (code, _, err) = oncoqual(
        &[
            "benchmark",
            "--tallies",
            tallies[2].to_str().unwrap(),
            tallies[0].to_str().unwrap(),
            tallies[1].to_str().unwrap(),
            "--issued-on",
            "2027-01-10",
            "-o",
            merged.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let a = std::fs::read(&whole).unwrap();
    assert_eq!(a, std::fs::read(&merged).unwrap());
    let report: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(report["issued_on"], "2027-01-10");
    assert!(!report["rates"].as_array().unwrap().is_empty());
    assert!(
        !report["overall_quality_scores"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(!report["trends"].as_array().unwrap().is_empty());
    // A file that is not a tally is refused with its place.
    let (code, _, err) = oncoqual(&["benchmark", "--tallies", all.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(err.contains("not a tally"), "{err}");
}

#[test]
fn synth_writes_a_practices_file_that_benchmark_reads() {
    let dir = tempdir::Dir::new("practices");
    let practices = dir.path().join("practices.json");
    let charts = dir.path().join("charts.jsonl");
    let (code, _, err) = oncoqual(
        &[
            "synth",
            "--charts",
            "4000",
            "--practices",
            "30",
            "--rounds",
            "2",
            "--seed",
            "4",
            "--practices-out",
            practices.to_str().unwrap(),
            "-o",
            charts.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&practices).unwrap()).unwrap();
    // The last practice is left out of the file: its charts are an unregistered practice's.
    assert_eq!(list.as_array().unwrap().len(), 29);
    let (code, out, err) = oncoqual(
        &[
            "benchmark",
            "--charts",
            charts.to_str().unwrap(),
            "--practices",
            practices.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let statuses = report["practices"].as_array().unwrap();
    assert_eq!(statuses.len(), 29);
    // Registration problems exclude the practice-round, listed with the reason, and the
    // command says so in one line per reason.
    let exclusions = report["registration"]["exclusions"].as_array().unwrap();
    assert!(report["registration"]["checked"].as_bool().unwrap());
    let excluded = |id: &str| exclusions.iter().any(|x| x["practice"] == id);
    assert!(excluded("P0030"), "the unregistered practice is excluded");
    assert!(err.contains("excluded: 2 practice-rounds"), "{err}");
    assert!(
        err.contains("the practice is not in the practices file"),
        "{err}"
    );
    assert!(err.contains("no QOPI administrator is designated"), "{err}");
    for x in exclusions {
        let id = x["practice"].as_str().unwrap();
        assert!(
            report["rates"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["practice"] != id || r["round"] != x["round"])
        );
        assert!(
            report["participation"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["practice"] != id || r["round"] != x["round"])
        );
    }
    // Two consecutive rounds open a course, in which members who documented are awarded.
    assert!(statuses.iter().any(|p| {
        p["courses"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| !c["awards"].as_array().unwrap().is_empty())
        })
    }));
    // A practice is scored only on measures of its registered tracks.
    for oqs in report["overall_quality_scores"].as_array().unwrap() {
        let id = oqs["practice"].as_str().unwrap();
        let p = list
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} is not registered but scored"));
        let tracks: Vec<&str> = p["tracks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        // An OQS only for practices on its track.
        assert!(
            tracks.contains(&"qcp"),
            "{id} scored on qcp without the track"
        );
    }
    // ... and rated on those only: every rate's measure shares a track with the practice.
    for rate in report["rates"].as_array().unwrap() {
        let id = rate["practice"].as_str().unwrap();
        let p = list
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} is not registered but rated"));
        let tracks: Vec<&str> = p["tracks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let module = rate["measure"].as_str().unwrap().split('.').next().unwrap();
        assert!(
            tracks.contains(&module) || tracks.contains(&"qcp") || tracks.contains(&"core"),
            "{id} rated on {} without a matching track",
            rate["measure"]
        );
        if module != "core" && !tracks.contains(&module) && !tracks.contains(&"qcp") {
            panic!(
                "{id} rated on {} without its module track or qcp",
                rate["measure"]
            );
        }
    }
    // A bad practices file is refused with its place.
    std::fs::write(&practices, "[{\"id\": \"P1\"}]").unwrap();
    let (code, _, err) = oncoqual(
        &[
            "benchmark",
            "--charts",
            charts.to_str().unwrap(),
            "--practices",
            practices.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("line 1, column"), "{err}");
}

#[test]
fn certify_eligibility_reads_a_saved_report() {
    let dir = tempdir::Dir::new("eligible");
    let charts = dir.path().join("charts.jsonl");
    let report = dir.path().join("report.json");
    let practices = dir.path().join("practices.json");
    let (code, _, err) = oncoqual(
        &[
            "synth",
            "--charts",
            "800",
            "--practices",
            "4",
            "--seed",
            "2",
            "--practices-out",
            practices.to_str().unwrap(),
            "-o",
            charts.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    // Without registrations, no eligibility can be read from a report.
    let unchecked = dir.path().join("unchecked.json");
    let (code, _, err) = oncoqual(
        &[
            "benchmark",
            "--charts",
            charts.to_str().unwrap(),
            "--final",
            "-o",
            unchecked.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("registration was not checked"), "{err}");
    let (code, _, err) = oncoqual(
        &[
            "benchmark",
            "--charts",
            charts.to_str().unwrap(),
            "--practices",
            practices.to_str().unwrap(),
            "--final",
            "--issued-on",
            "2026-09-15",
            "-o",
            report.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let facts = dir.path().join("facts.json");
    std::fs::write(
        &facts,
        r#"{"practice":"P0001","webinar":{"date":"2026-07-01","format":"live"}}"#,
    )
    .unwrap();
    let args = |on: &'static str, min: &'static str| {
        vec![
            "certify".to_owned(),
            "eligibility".into(),
            "--report".into(),
            report.to_str().unwrap().into(),
            "--facts".into(),
            facts.to_str().unwrap().into(),
            "--practice".into(),
            "P0001".into(),
            "--on".into(),
            on.into(),
            "--min-charts".into(),
            min.into(),
        ]
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        oncoqual(&refs, None)
    };
    // Too late and too few charts: every reason listed.
    let (code, out, _) = run(args("2027-09-16", "100000"));
    assert_eq!(code, 1);
    assert!(out.starts_with("not eligible:"), "{out}");
    assert!(out.contains("fewer than the minimum of 100000"), "{out}");
    assert!(out.contains("was valid until 2027-09-15"), "{out}");
    let mut unchecked_args = args("2026-10-01", "1");
    unchecked_args[3] = unchecked.to_str().unwrap().into();
    let (code, out, _) = run(unchecked_args);
    assert_eq!(code, 1);
    assert!(out.contains("registration was not checked"), "{out}");
    let (code, out, _) = run(args("2026-10-01", "1"));
    assert!(
        (code == 0 && out.starts_with("eligible:") && out.contains("; report "))
            || (code == 1
                && (out.contains("below the 75.0% threshold")
                    || out.contains("not registered on the certification"))),
        "{out}"
    );
}

#[test]
fn demo_writes_every_report_and_summarises_the_round() {
    let dir = tempdir::Dir::new("demo");
    let out_dir = dir.path().join("out");
    let (code, out, err) = oncoqual(
        &[
            "demo",
            "--out",
            out_dir.to_str().unwrap(),
            "--charts",
            "3000",
            "--practices",
            "20",
            "--min-charts",
            "20",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("oncoqual demo: 3000 synthetic charts from 20 practices"),
        "{out}"
    );
    assert!(
        out.contains("Overall Quality Score (qcp track, round 2026-2"),
        "{out}"
    );
    assert!(out.contains("practices eligible to apply on"), "{out}");
    for f in [
        "report.json",
        "practice_rates.csv",
        "national.csv",
        "eligibility.csv",
        "practices.json",
        "facts.json",
        "tally.json",
        "measure-reports.ndjson",
        "oqs.csv",
        "trends.csv",
        "strata.csv",
        "html/national/index.html",
    ] {
        assert!(out_dir.join(f).exists(), "{f} missing");
    }
    let first = oncoqual::report::html::practice_folder_name("P0001");
    assert!(out_dir.join("html").join(first).join("index.html").exists());
    // The demo is the operator's run: it asks for the national index and says where it is.
    assert!(
        out.contains("national index (names every practice")
            && out.contains(&format!("html{}national", std::path::MAIN_SEPARATOR)),
        "{out}"
    );
    let national = std::fs::read_to_string(out_dir.join("national.csv")).unwrap();
    assert!(national.starts_with("round,measure,title,direction,practices,practices_in_distribution,charts,pooled_rate,mean,median,p10,p25,p50,p75,p90\n"), "{national}");
    let pages = std::fs::read_dir(out_dir.join("html")).unwrap().count();
    assert_eq!(
        pages, 20,
        "national/ and one folder per practice whose charts count (the last is not registered)"
    );
    assert!(
        out.contains("excluded: 1 practice-round") || out.contains("excluded: 2 practice-rounds"),
        "{out}"
    );
    let fhir = std::fs::read_to_string(out_dir.join("measure-reports.ndjson")).unwrap();
    assert!(fhir.lines().count() > 0);
    for line in fhir.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["resourceType"], "MeasureReport");
        assert_eq!(v["type"], "summary");
    }
    assert!(out.contains("FHIR MeasureReports"), "{out}");
    // No progress bar when standard error is not a terminal.
    assert!(!err.contains('['), "{err}");
}

/// A saved report (from `synth` + `benchmark`) whose first practice has a hostile name.
fn saved_report(dir: &std::path::Path) -> std::path::PathBuf {
    let practices = dir.join("practices.json");
    let charts = dir.join("charts.jsonl");
    let report = dir.join("report.json");
    let (code, _, err) = oncoqual(
        &[
            "synth",
            "--charts",
            "800",
            "--practices",
            "8",
            "--rounds",
            "2",
            "--practices-out",
            practices.to_str().unwrap(),
            "-o",
            charts.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let mut list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&practices).unwrap()).unwrap();
    list[0]["name"] = serde_json::json!("<script>alert(1)</script> & \"Co\"");
    std::fs::write(&practices, list.to_string()).unwrap();
    let (code, out, err) = oncoqual(
        &[
            "benchmark",
            "--charts",
            charts.to_str().unwrap(),
            "--practices",
            practices.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    std::fs::write(&report, out).unwrap();
    report
}

#[test]
fn report_renders_a_saved_report_as_html_csv_fhir_and_json_without_re_evaluating() {
    let dir = tempdir::Dir::new("report-verb");
    let report = saved_report(dir.path());
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let rates = saved["rates"].as_array().unwrap().len();
    let r = report.to_str().unwrap();

    // HTML: one folder per practice, the hostile name escaped; no national index unless
    // asked for.
    let html = dir.path().join("html");
    let (code, _, err) = oncoqual(
        &[
            "report",
            "--report",
            r,
            "--format",
            "html",
            "-o",
            html.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    // The last practice is not in the practices file: its charts do not count, so it has
    // no folder.
    assert!(err.contains("wrote 7 practice folders"), "{err}");
    assert!(!err.contains("national index"), "{err}");
    assert!(
        !html.join("national").exists(),
        "a national index not asked for"
    );
    let mut saw_name = 0;
    for folder in std::fs::read_dir(&html).unwrap() {
        let folder = folder.unwrap().path();
        let files: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(files, ["index.html"], "{}", folder.display());
        let text = std::fs::read_to_string(folder.join("index.html")).unwrap();
        assert!(!text.contains("<script"), "a script in the report");
        assert!(!text.contains("http://") || text.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(
            !text.contains("href=\"..") && !text.contains("<a "),
            "a link out of the folder"
        );
        if text.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;") {
            saw_name += 1;
        }
    }
    assert_eq!(saw_name, 1, "the name shows, escaped, on its own page only");

    // With --national-index, the operator's index names every practice.
    let (code, _, err) = oncoqual(
        &[
            "report",
            "--report",
            r,
            "--format",
            "html",
            "--national-index",
            "-o",
            html.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrote the national index"), "{err}");
    let index = std::fs::read_to_string(html.join("national/index.html")).unwrap();
    assert!(index.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;"));
    // Rendering again without the flag refuses to leave the index beside the folders.
    let (code, _, err) = oncoqual(
        &[
            "report",
            "--report",
            r,
            "--format",
            "html",
            "-o",
            html.to_str().unwrap(),
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("--national-index"), "{err}");
    // The flag belongs to the HTML format.
    let (code, _, err) = oncoqual(
        &[
            "report",
            "--report",
            r,
            "--format",
            "json",
            "--national-index",
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("--national-index"), "{err}");

    // CSV: one row per practice × measure × round.
    let csv = dir.path().join("csv");
    let (code, _, err) = oncoqual(
        &[
            "report",
            "--report",
            r,
            "--format",
            "csv",
            "-o",
            csv.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let table = std::fs::read_to_string(csv.join("practice_rates.csv")).unwrap();
    assert_eq!(
        table.lines().count(),
        rates + 1,
        "a header and a row per rate"
    );
    assert!(csv.join("national.csv").exists());
    let oqs = std::fs::read_to_string(csv.join("oqs.csv")).unwrap();
    assert!(
        oqs.starts_with("round,practice,track,method,met,eligible,measures,charts,missing_measures,score,percentile_rank,national_practices,national_p10,national_p25,national_p50,national_p75,national_p90\n"),
        "{oqs}"
    );
    assert_eq!(
        oqs.lines().count(),
        saved["overall_quality_scores"].as_array().unwrap().len() + 1
    );
    let trends = std::fs::read_to_string(csv.join("trends.csv")).unwrap();
    assert!(
        trends.starts_with("practice,measure,title,direction,from,to,skipped,from_rate,to_rate,change,z,p_value,verdict\n"),
        "{trends}"
    );
    assert_eq!(
        trends.lines().count(),
        saved["trends"].as_array().unwrap().len() + 1
    );
    let strata = std::fs::read_to_string(csv.join("strata.csv")).unwrap();
    assert!(
        strata.starts_with("round,level,practice,measure,stratifier,stratum,ipp,denom,denex,denexcep,numer,numex,met,eligible,rate\n"),
        "{strata}"
    );

    // FHIR: a summary MeasureReport per rate.
    let (code, out, err) = oncoqual(&["report", "--report", r, "--format", "fhir"], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), rates);
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["type"], "summary");
        assert_eq!(
            v["reporter"]["identifier"]["system"],
            "urn:oncoqual:practice"
        );
    }

    // JSON: the same report back.
    let (code, out, err) = oncoqual(&["report", "--report", r, "--format", "json"], None);
    assert_eq!(code, 0, "{err}");
    let back: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(back, saved);

    // A directory format without a directory is a clear error.
    let (code, _, err) = oncoqual(&["report", "--report", r, "--format", "html"], None);
    assert_ne!(code, 0);
    assert!(err.contains("-o DIR"), "{err}");
}

#[test]
fn evaluate_fhir_writes_individual_measure_reports_only_when_asked() {
    let (code, charts, err) = oncoqual(&["synth", "--charts", "40"], None);
    assert_eq!(code, 0, "{err}");
    let (code, plain, _) = oncoqual(&["evaluate", "--charts", "-"], Some(charts.as_bytes()));
    assert_eq!(code, 0);
    assert!(!plain.contains("MeasureReport"), "no FHIR by default");
    let (code, out, err) = oncoqual(
        &["evaluate", "--charts", "-", "--fhir"],
        Some(charts.as_bytes()),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().count() > 0);
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["resourceType"], "MeasureReport");
        assert_eq!(v["type"], "individual");
        assert_eq!(v["subject"]["identifier"]["system"], "urn:oncoqual:chart");
        let codes: Vec<&str> = v["group"][0]["population"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"]["coding"][0]["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes[0], "initial-population");
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    use std::io::Read;
    for args in [&["schema", "--json"][..], &["catalog", "--json"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oncoqual"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The read end is closed here, as `| head -c 16` would.
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

/// `evaluate` works batch by batch on every core, yet writes exactly what one record after
/// another would: each chart's line and each rejected record's error (invalid, or a chart
/// read before) in input order, over several batches.
#[test]
fn evaluate_in_parallel_keeps_input_order_of_outputs_and_errors() {
    use oncoqual::{JsonlReader, Library, RoundCalendar};
    let (_, charts, _) = oncoqual(&["synth", "--charts", "900", "--seed", "11"], None);
    let good: Vec<&str> = charts.lines().collect();
    let mut input = String::new();
    for (k, line) in good.iter().enumerate() {
        input.push_str(line);
        input.push('\n');
        match k % 37 {
            3 => input.push_str("not json\n"),
            // A chart read before (a few lines or a few batches back).
            7 => input.push_str(&format!("{}\n", good[k / 2])),
            11 => input.push_str("\n  \r\n"),
            13 => input.push_str("{\"id\":\"x\",\"practice\":\"p\",\"round\":\"2026-9\"}\n"),
            17 => input.push_str(&format!("{}\n", &line[..line.len() / 3])),
            19 => input.push_str(&format!("{line}\n")),
            _ => {}
        }
    }
    // What reading one record after another gives.
    let lib = Library::bundled().unwrap();
    let calendar = RoundCalendar::new();
    let all: Vec<usize> = (0..lib.measures().len()).collect();
    let (mut ids, mut errors) = (Vec::new(), String::new());
    for record in JsonlReader::new(input.as_bytes()) {
        let evaluated = record.and_then(|c| {
            lib.try_evaluate_selected(&c.chart, calendar.period(c.chart.round), &all)
                .map(|_| c.chart.id.as_str().to_owned())
                .map_err(|e| e.to_record_error(c.line))
        });
        match evaluated {
            Ok(id) => ids.push(id),
            Err(e) => errors.push_str(&format!("-: {e}\n")),
        }
    }
    assert!(ids.len() > 800 && errors.lines().count() > 100);
    for flags in [&[][..], &["--all"][..]] {
        let mut args = vec!["evaluate", "--charts", "-"];
        args.extend_from_slice(flags);
        let (code, out, err) = oncoqual(&args, Some(input.as_bytes()));
        assert_eq!(code, 1);
        assert_eq!(err, errors, "{flags:?}");
        let written: Vec<String> = out
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["chart"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(written, ids, "{flags:?}");
    }
}

#[test]
fn evaluate_over_selected_measures_reads_only_their_fields_unless_validate_all() {
    // A valid chart, then one with a bad date in a field the measure does not read (labs),
    // then one with an unknown key there.
    let good = r#"{"id":"c1","practice":"p1","round":"2026-1","patient":{"birth_date":"1950-02-03"},"labs":[{"test":"hemoglobin","date":"2026-01-05"}]}"#;
    let input = format!(
        "{good}\n{}\n{}\n",
        good.replace("c1", "c2").replace("2026-01-05", "2026-13-45"),
        good.replace("c1", "c3").replace("\"date\"", "\"daet\"")
    );
    let args = [
        "evaluate",
        "--charts",
        "-",
        "--measure",
        "end_of_life.chemo-last-14-days",
        "--all",
    ];
    let (code, out, err) = oncoqual(&args, Some(input.as_bytes()));
    assert_eq!(code, 1, "{err}");
    // The bad date is not read: that chart is evaluated; the unknown key is still refused.
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        err.contains("line 3") && err.contains("labs[0].daet"),
        "{err}"
    );
    assert!(!err.contains("line 2"), "{err}");
    let mut all = args.to_vec();
    all.push("--validate-all");
    let (code, out_all, err_all) = oncoqual(&all, Some(input.as_bytes()));
    assert_eq!(code, 1);
    assert_eq!(out_all.lines().count(), 1, "{out_all}");
    assert!(
        err_all.contains("line 2") && err_all.contains("line 3"),
        "{err_all}"
    );
    assert!(out.starts_with(&out_all));
    // `tally --measure` reads under the projection too: the chart with the bad unread date
    // is counted, and refused with `--validate-all`.
    let tally = [
        "tally",
        "--charts",
        "-",
        "--measure",
        "end_of_life.chemo-last-14-days",
    ];
    let (code, projected, err) = oncoqual(&tally, Some(input.as_bytes()));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("line 3") && !err.contains("line 2"), "{err}");
    let mut all = tally.to_vec();
    all.push("--validate-all");
    let (code, validated, err_all) = oncoqual(&all, Some(input.as_bytes()));
    assert_eq!(code, 1);
    assert!(
        err_all.contains("line 2") && err_all.contains("line 3"),
        "{err_all}"
    );
    // One more chart counted (its digest in the tally).
    assert_ne!(projected, validated);
    assert!(projected.len() > validated.len());
    // The help says what is checked of unread fields.
    for cmd in ["evaluate", "tally", "benchmark"] {
        let (_, help, _) = oncoqual(&[cmd, "--help"], None);
        assert!(
            help.contains("--validate-all") && help.contains("unknown or repeated keys"),
            "{cmd}: {help}"
        );
    }
}
