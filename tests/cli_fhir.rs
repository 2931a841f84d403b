//! `oncoqual fhir measures -o DIR`, run as a user would: one file per resource, the same
//! bytes on every run, each Library carrying its spec, and an output folder that is the
//! spec folder (or inside it) refused before anything is written.
#![cfg(feature = "cli")]

#[path = "common/cli.rs"]
mod cli_support;

use std::collections::BTreeMap;
use std::path::Path;

use cli_support::{Dir, oncoqual};
use serde_json::Value;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn fhir_measures_writes_one_file_per_resource_identically_on_every_run() {
    let dir = Dir::new("fhir-measures");
    let (a, b) = (dir.path().join("a"), dir.path().join("b/nested"));
    for out in [&a, &b] {
        let (code, _, err) = oncoqual(&["fhir", "measures", "-o", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("202 Measure"), "{err}");
    }
    let (first, second) = (files(&a), files(&b));
    assert_eq!(first, second, "two runs differ");
    // No temporary file is left behind.
    assert!(
        first.keys().all(|n| !n.starts_with('.')),
        "{:?}",
        first.keys()
    );
    let count = |prefix: &str| first.keys().filter(|n| n.starts_with(prefix)).count();
    assert_eq!(count("Measure-"), 202);
    assert_eq!(count("ValueSet-"), 2);
    assert!(count("Library-") > 202, "measure and shared libraries");
    for (name, bytes) in &first {
        let r = json(bytes);
        let (kind, id) = name.trim_end_matches(".json").split_once('-').unwrap();
        assert_eq!(r["resourceType"], kind, "{name}");
        assert_eq!(r["id"], id, "{name}");
        assert!(r.get("date").is_none(), "{name}: no date without --date");
    }

    // The measure a MeasureReport points at, and its Library with the spec's bytes.
    let m = json(&first["Measure-end-of-life.chemo-last-14-days.json"]);
    assert_eq!(
        m["url"],
        "urn:oncoqual:measure:end_of_life.chemo-last-14-days"
    );
    let library = m["library"][0].as_str().unwrap();
    let l = json(&first["Library-end-of-life.chemo-last-14-days.json"]);
    assert_eq!(
        format!(
            "{}|{}",
            l["url"].as_str().unwrap(),
            l["version"].as_str().unwrap()
        ),
        library
    );
    let spec = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/measure-specs/end_of_life/chemo-last-14-days.oqm"
    ))
    .unwrap();
    assert_eq!(l["content"][0]["contentType"], "text/x-oqm");
    assert_eq!(
        l["content"][0]["title"],
        "end_of_life/chemo-last-14-days.oqm"
    );
    // Every `depends-on` resolves to a file of the export.
    let urls: Vec<String> = first
        .values()
        .map(|b| {
            let r = json(b);
            format!(
                "{}|{}",
                r["url"].as_str().unwrap(),
                r["version"].as_str().unwrap()
            )
        })
        .collect();
    for bytes in first.values() {
        let r = json(bytes);
        for a in r["relatedArtifact"].as_array().into_iter().flatten() {
            let target = a["resource"].as_str().unwrap();
            assert!(
                urls.iter().any(|u| u == target),
                "{target} does not resolve"
            );
        }
    }
    assert!(!spec.is_empty());

    // A date is written where documented, and only there.
    let dated = dir.path().join("dated");
    let (code, _, err) = oncoqual(&[
        "fhir",
        "measures",
        "--date",
        "2026-12-01",
        "-o",
        dated.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let vs = json(&files(&dated)["ValueSet-biologics-with-biosimilar.json"]);
    assert_eq!(vs["date"], "2026-12-01");
    assert_eq!(vs["expansion"]["timestamp"], "2026-12-01T00:00:00Z");
    let (code, _, err) = oncoqual(&[
        "fhir",
        "measures",
        "--date",
        "soon",
        "-o",
        dated.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--date"), "{err}");
}

#[test]
fn fhir_measures_refuses_an_output_folder_that_is_or_is_inside_the_spec_folder() {
    let dir = Dir::new("fhir-measures-inputs");
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(specs.join("core")).unwrap();
    std::fs::write(
        specs.join("core/example.oqm"),
        "measure core.example {\n  title \"Example\" module core tracks [core]\n  \
         direction higher_is_better scoring proportion source \"doc\" version \"1\"\n}\n\
         initial_population = exists diagnoses\nnumerator = exists regimens\n",
    )
    .unwrap();
    let before = files(&specs.join("core"));
    for out in [
        specs.clone(),
        specs.join("valuesets"),
        specs.join("core/out"),
        specs.join("a/b/c"),
    ] {
        let (code, _, err) = oncoqual(&[
            "fhir",
            "measures",
            "--specs",
            specs.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{}: {err}", out.display());
        assert!(err.contains("refused"), "{err}");
    }
    assert_eq!(files(&specs.join("core")), before);
    assert!(!specs.join("valuesets").exists());
    // Beside the specs it is written: one Measure, one Library.
    let out = dir.path().join("out");
    let (code, _, err) = oncoqual(&[
        "fhir",
        "measures",
        "--specs",
        specs.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        files(&out).keys().cloned().collect::<Vec<_>>(),
        ["Library-core.example.json", "Measure-core.example.json"]
    );
}

#[test]
fn evaluate_writes_subject_list_reports_whose_lists_name_the_charts_counted() {
    let dir = Dir::new("fhir-subject-list");
    let charts = dir.file("charts.jsonl");
    let (code, _, err) = oncoqual(&["synth", "--charts", "200", "-o", &charts]);
    assert_eq!(code, 0, "{err}");
    let run = |out: &str| {
        let (code, _, err) = oncoqual(&[
            "evaluate",
            "--charts",
            &charts,
            "--measure",
            "end_of_life.chemo-last-14-days",
            "--measure",
            "core.pathology-report-confirms-malignancy",
            "--fhir-subject-list",
            out,
            "-o",
            "/dev/null",
        ]);
        assert_eq!(code, 0, "{err}");
        files(Path::new(out))
    };
    let (a, b) = (run(&dir.file("a")), run(&dir.file("b")));
    assert_eq!(a, b, "two runs differ");
    let reports: Vec<Value> = a
        .iter()
        .filter(|(n, _)| n.starts_with("MeasureReport-"))
        .map(|(_, b)| json(b))
        .collect();
    assert!(reports.len() >= 2, "{:?}", a.keys());
    let mut listed_any = false;
    for r in &reports {
        assert_eq!(r["type"], "subject-list");
        assert!(
            r["measure"]
                .as_str()
                .unwrap()
                .starts_with("urn:oncoqual:measure:")
        );
        for p in r["group"][0]["population"].as_array().unwrap() {
            let count = p["count"].as_u64().unwrap();
            match p.get("subjectResults") {
                None => assert_eq!(count, 0, "{p}"),
                Some(s) => {
                    let id = s["reference"]
                        .as_str()
                        .unwrap()
                        .strip_prefix("List/")
                        .unwrap();
                    let list = json(&a[&format!("List-{id}.json")]);
                    let entries = list["entry"].as_array().unwrap();
                    assert_eq!(entries.len() as u64, count);
                    let ids: Vec<&str> = entries
                        .iter()
                        .map(|e| e["item"]["identifier"]["value"].as_str().unwrap())
                        .collect();
                    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted, unique");
                    listed_any = true;
                }
            }
        }
    }
    assert!(listed_any, "some population has charts");
}
