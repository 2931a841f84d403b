//! Reports a practice can be handed: `oncoqual report --format html` writes one
//! self-contained folder per practice that names no other practice, links nowhere outside
//! itself, and shows national figures only as a distribution of enough practices; the
//! operator's national index is written only on request. Run as a user would (synthetic
//! charts → benchmark → report), and on a hand-built tally for the "where to focus" order
//! and the small-number rule.
#![cfg(feature = "cli")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use oncoqual::benchmark::{Report, ReportOptions};
use oncoqual::measure::{Direction, Scoring};
use oncoqual::report::html::{self, practice_folder_name};
use oncoqual::report::{MIN_PRACTICES_SHOWN, ReportView};
use oncoqual::{Date, Library, PracticeId};

#[path = "common/cli.rs"]
mod cli_support;
use cli_support::{Dir, oncoqual};

/// A saved report of 12 synthetic practices over two rounds, with their registrations.
struct Saved {
    dir: Dir,
    report: String,
    ids: Vec<String>,
    names: BTreeMap<String, String>,
}

fn saved(tag: &str) -> Saved {
    let dir = Dir::new(tag);
    let charts = dir.file("charts.jsonl");
    let practices = dir.file("practices.json");
    let report = dir.file("report.json");
    let (code, _, err) = oncoqual(&[
        "synth",
        "--charts",
        "2400",
        "--practices",
        "12",
        "--rounds",
        "2",
        "--practices-out",
        &practices,
        "-o",
        &charts,
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = oncoqual(&[
        "benchmark",
        "--charts",
        &charts,
        "--practices",
        &practices,
        "-o",
        &report,
    ]);
    assert_eq!(code, 0, "{err}");
    let parsed: Report = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let ids: Vec<String> = ReportView::new(&parsed)
        .practices()
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    assert!(ids.len() >= 10, "{ids:?}");
    let list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&practices).unwrap()).unwrap();
    let names = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    Saved {
        dir,
        report,
        ids,
        names,
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let ty = e.file_type().unwrap();
            assert!(!ty.is_symlink(), "a link: {}", e.path().display());
            if ty.is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// Every value of an attribute that loads or links something (`href`, `src`, `action`,
/// `xlink:href`, CSS `url(`) in `page`.
fn references(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\"", "action=\"", "url("] {
        for part in page.split(attr).skip(1) {
            let end = part.find(['"', ')']).unwrap_or(part.len());
            out.push(part[..end].to_owned());
        }
    }
    out
}

#[test]
fn each_practice_folder_is_self_contained_and_names_only_its_practice() {
    let s = saved("folders");
    let site = s.dir.path().join("site");
    let (code, _, err) = oncoqual(&[
        "report",
        "--report",
        &s.report,
        "--format",
        "html",
        "-o",
        site.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    // The site holds a folder per practice and nothing else: no national index.
    let mut top: Vec<String> = std::fs::read_dir(&site)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    top.sort();
    let mut expected: Vec<String> = s.ids.iter().map(|i| practice_folder_name(i)).collect();
    expected.sort();
    assert_eq!(top, expected, "one folder per practice, nothing else");
    for id in &s.ids {
        let folder = site.join(practice_folder_name(id));
        let files = files_under(&folder);
        assert_eq!(files, [folder.join("index.html")], "{id}");
        let page = std::fs::read_to_string(&files[0]).unwrap();
        assert!(page.contains(id.as_str()), "{id}: its own id");
        if let Some(name) = s.names.get(id) {
            assert!(page.contains(name.as_str()), "{id}: its own name");
        }
        for other in s.ids.iter().filter(|o| *o != id) {
            assert!(!page.contains(other.as_str()), "{id}'s page names {other}");
            let other_name = s.names.get(other).filter(|n| {
                // A name shared with, or inside, the practice's own is its own as well.
                s.names.get(id).is_none_or(|own| !own.contains(n.as_str()))
            });
            if let Some(n) = other_name {
                let escaped = n.replace('&', "&amp;");
                assert!(!page.contains(&escaped), "{id}'s page names {other} ({n})");
            }
        }
        for r in references(&page) {
            assert!(
                r.starts_with("data:") || r.starts_with('#'),
                "{id}: a reference out of the folder: {r}"
            );
        }
        assert!(page.contains(&format!("at least {MIN_PRACTICES_SHOWN} practices")));
    }
}

#[test]
fn the_national_index_is_written_only_when_asked_and_links_into_each_folder() {
    let s = saved("national");
    let site = s.dir.path().join("site");
    let (code, _, err) = oncoqual(&[
        "report",
        "--report",
        &s.report,
        "--format",
        "html",
        "--national-index",
        "-o",
        site.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("national index"), "{err}");
    let index_path = site.join(html::NATIONAL_INDEX);
    let index = std::fs::read_to_string(&index_path).unwrap();
    for id in &s.ids {
        assert!(index.contains(id.as_str()), "{id}");
    }
    for r in references(&index)
        .iter()
        .filter(|r| !r.starts_with("data:"))
    {
        let target = index_path.parent().unwrap().join(r);
        assert!(r.starts_with("../practice-"), "{r}");
        assert!(target.exists(), "{r} resolves to nothing");
    }
    // Every file but the index names exactly one practice.
    for f in files_under(&site).iter().filter(|f| **f != index_path) {
        let text = std::fs::read_to_string(f).unwrap();
        let named = s.ids.iter().filter(|i| text.contains(i.as_str())).count();
        assert_eq!(named, 1, "{}", f.display());
    }
}

fn counts(numer: u64, eligible: u64) -> String {
    format!(
        r#"{{"IPP":{eligible},"DENOM":{eligible},"DENEX":0,"DENEXCEP":0,"NUMER":{numer},"NUMEX":0}}"#
    )
}

/// Two scored measures of the bundled library with the given direction and no
/// stratifiers.
fn measures(lib: &Library, direction: Direction) -> Vec<String> {
    lib.measures()
        .filter(|m| {
            m.direction == direction && m.scoring == Scoring::Proportion && m.stratifiers.is_empty()
        })
        .map(|m| m.id.clone())
        .take(2)
        .collect()
}

#[test]
fn where_to_focus_is_direction_aware_and_small_distributions_stay_off_the_page() {
    let lib = Library::bundled().unwrap();
    let higher = measures(lib, Direction::HigherIsBetter);
    let lower = measures(lib, Direction::LowerIsBetter);
    let (h, small, l) = (&higher[0], &higher[1], &lower[0]);
    // Six practices, 20 eligible charts each. `h1` on `h` (higher is better): 10 met
    // (50%) against 80–100% elsewhere, median 87.5%: 37.5 points short. On `l` (lower is
    // better): 16 (80%) against 10–30% elsewhere, median 22.5%: 57.5 points short although
    // above the median, so `l` comes first. On `small`, only three practices rate: h1's 10%
    // is not compared, and the national figures (pooled 43.3%, median 35.0%) stay off its
    // page.
    let ids = ["h1", "h2", "h3", "h4", "h5", "h6"];
    let on_h = [10, 16, 17, 18, 19, 20];
    let on_l = [16, 2, 3, 4, 5, 6];
    let on_small = [Some(2), Some(7), Some(17), None, None, None];
    let rows: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let mut m = vec![
                format!(r#""{h}":{{"total":{}}}"#, counts(on_h[k], 20)),
                format!(r#""{l}":{{"total":{}}}"#, counts(on_l[k], 20)),
            ];
            if let Some(n) = on_small[k] {
                m.push(format!(r#""{small}":{{"total":{}}}"#, counts(n, 20)));
            }
            format!(
                r#"{{"round":"2026-1","practice":"{id}","charts":20,"measures":{{{}}}}}"#,
                m.join(",")
            )
        })
        .collect();
    let tally = common::hand_tally(&rows);
    let report = Report::build(
        &tally,
        lib,
        &ReportOptions::default(),
        Date::parse("2026-09-15").unwrap(),
        true,
    )
    .unwrap();
    let view = ReportView::new(&report).with_library(lib);

    let focus: Vec<&str> = view
        .focus(&PracticeId::new("h1").unwrap())
        .iter()
        .map(|f| f.measure)
        .collect();
    assert_eq!(focus, [l.as_str(), h.as_str()]);

    let mut pages = BTreeMap::new();
    let written = html::render_site(&view, false, |path, page| {
        pages.insert(path.to_owned(), page.to_owned());
        Ok(())
    })
    .unwrap();
    assert_eq!(written, ids.len(), "no national index unless asked");
    assert!(!pages.contains_key(html::NATIONAL_INDEX));
    let page = &pages[&format!("{}/index.html", practice_folder_name("h1"))];
    let section = &page[page.find("Where to focus").unwrap()..page.find("id=\"score\"").unwrap()];
    let (at_l, at_h) = (section.find(l.as_str()), section.find(h.as_str()));
    assert!(at_l.unwrap() < at_h.unwrap(), "{section}");
    assert!(
        section.contains("57.5") && section.contains("37.5"),
        "{section}"
    );
    assert!(!section.contains(small.as_str()), "{section}");
    assert!(!page.contains("43.3%") && !page.contains("35.0%"), "{page}");
    for other in &ids[1..] {
        assert!(!page.contains(&format!(">{other}<")), "{other}");
    }
}
