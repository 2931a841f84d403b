//! The bundled library against the measure catalog the crate ships (`data/catalog.json`):
//! every spec is a catalog entry with the catalog's metadata, and library part 1 is complete.

use std::collections::BTreeSet;

use oncoqual::measure::{Catalog, CatalogEntry, Library};

/// Modules of library part 1 (with every `qcp` measure, wherever its module).
const PART1_MODULES: [&str; 5] = [
    "core",
    "symptom_toxicity",
    "pain",
    "end_of_life",
    "chemotherapy_safety",
];

fn in_part1(e: &CatalogEntry) -> bool {
    e.tracks.iter().any(|t| t == "qcp") || PART1_MODULES.contains(&e.module.as_str())
}

#[test]
fn every_bundled_measure_is_in_the_catalog_with_identical_metadata() {
    let catalog = Catalog::bundled().unwrap();
    let lib = Library::bundled().unwrap();
    for m in lib.measures() {
        let e = catalog
            .get(&m.id)
            .unwrap_or_else(|| panic!("`{}` ({}) is not in the catalog", m.id, m.file));
        assert_eq!(m.title, e.title, "{}: title", m.id);
        assert_eq!(m.module, e.module, "{}: module", m.id);
        assert_eq!(m.tracks, e.tracks, "{}: tracks", m.id);
        assert_eq!(m.direction, e.direction, "{}: direction", m.id);
        assert_eq!(m.scoring, e.scoring, "{}: scoring", m.id);
        assert_eq!(m.source, e.source, "{}: source", m.id);
        assert_eq!(m.components, e.components, "{}: components", m.id);
    }
    // The same, as the library's own comparison reports it.
    let cmp = catalog.compare(lib);
    assert!(cmp.extra.is_empty(), "not in the catalog: {:?}", cmp.extra);
    let mismatches: Vec<String> = cmp.mismatches.iter().map(ToString::to_string).collect();
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert!(cmp.is_consistent());
    assert_eq!(cmp.implemented, lib.measures().len());
}

#[test]
fn every_catalog_entry_of_library_part_1_has_a_bundled_spec() {
    let catalog = Catalog::bundled().unwrap();
    let lib = Library::bundled().unwrap();
    let part1: Vec<&CatalogEntry> = catalog.entries().iter().filter(|e| in_part1(e)).collect();
    assert_eq!(part1.len(), 88);
    let without_spec: Vec<&str> = part1
        .iter()
        .filter(|e| lib.index_of(&e.id).is_none())
        .map(|e| e.id.as_str())
        .collect();
    assert!(without_spec.is_empty(), "no spec: {without_spec:#?}");

    // Every bundled measure is a catalog entry; what is missing is outside part 1.
    let bundled: BTreeSet<&str> = lib.measures().map(|m| m.id.as_str()).collect();
    assert!(bundled.iter().all(|id| catalog.get(id).is_some()));
    let cmp = catalog.compare(lib);
    assert_eq!(cmp.implemented, bundled.len());
    assert_eq!(cmp.missing.len(), 202 - bundled.len());
    assert!(
        cmp.missing
            .iter()
            .all(|id| catalog.get(id).is_some_and(|e| !in_part1(e)))
    );
}

#[test]
fn the_bundled_library_holds_exactly_the_202_catalog_ids_each_with_its_cases() {
    let catalog = Catalog::bundled().unwrap();
    let lib = Library::bundled().unwrap();
    let bundled: BTreeSet<&str> = lib.measures().map(|m| m.id.as_str()).collect();
    let listed: BTreeSet<&str> = catalog.entries().iter().map(|e| e.id.as_str()).collect();
    assert_eq!(listed.len(), 202);
    assert_eq!(bundled, listed);
    let cases = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases"));
    for id in &bundled {
        let deck = cases.join(id);
        let n = std::fs::read_dir(&deck)
            .map(|d| d.filter_map(Result::ok).count())
            .unwrap_or(0);
        assert!(n >= 3, "{id}: {n} cases");
    }
}

/// `data/catalog.json` is what `tools/gen_catalog.py` writes from the program's catalog,
/// when that catalog (`../shared/measures/catalog.toml`) and Python 3.11+ are at hand; the
/// crate builds and tests without them (then this test says it skipped).
#[test]
fn the_shipped_catalog_is_the_generator_output_of_the_program_catalog() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let toml = root.join("../shared/measures/catalog.toml");
    if !toml.is_file() {
        eprintln!("SKIPPED: {} absent", toml.display());
        return;
    }
    let out = std::process::Command::new("python3")
        .arg(root.join("tools/gen_catalog.py"))
        .arg(&toml)
        .args(["-o", "-"])
        .output();
    let Ok(out) = out.as_ref().map_err(|e| eprintln!("SKIPPED: python3: {e}")) else {
        return;
    };
    if !out.status.success() {
        eprintln!(
            "SKIPPED: gen_catalog.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let shipped = std::fs::read(root.join("data/catalog.json")).unwrap();
    assert!(
        out.stdout == shipped,
        "data/catalog.json is stale: run `python3 tools/gen_catalog.py`"
    );
}

#[test]
fn every_catalog_entry_ships_its_population_text_and_rationale() {
    for e in Catalog::bundled().unwrap().entries() {
        for (what, text) in [
            ("initial_population", &e.initial_population),
            ("numerator", &e.numerator),
            ("rationale", &e.rationale),
        ] {
            assert!(
                text.as_deref().is_some_and(|t| !t.trim().is_empty()),
                "{}: no {what}",
                e.id
            );
        }
    }
}
