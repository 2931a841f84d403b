//! Diagnostics people read: every broken spec in `tests/dsl/broken/` is checked as part of a
//! small library (with `tests/dsl/support/`: `lib.common` and a value set) and renders all
//! its errors with location, caret and help. One spec per error kind, named after its code.

use std::fs;

use oncoqual::measure::{Library, SpecFile};

fn support() -> (Vec<SpecFile>, Vec<SpecFile>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dsl/support");
    let read = |n: &str| fs::read_to_string(format!("{dir}/{n}")).unwrap();
    (
        vec![SpecFile::new("lib/common.oqm", read("common.oqm"))],
        vec![SpecFile::new(
            "valuesets/oropharynx-sites.json",
            read("oropharynx-sites.json"),
        )],
    )
}

#[test]
fn support_library_checks_on_its_own() {
    let (specs, vs) = support();
    Library::from_files(specs, vs).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn every_broken_spec_reports_its_error_kind_with_location() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dsl/broken");
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "oqm"))
        .collect();
    files.sort();
    assert!(files.len() >= 23, "only {} broken specs", files.len());
    for path in files {
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let text = fs::read_to_string(&path).unwrap();
        let (mut specs, vs) = support();
        specs.push(SpecFile::new(format!("broken/{name}.oqm"), text));
        let errors = Library::from_files(specs, vs).expect_err(&name);
        let code = &name[..5];
        let mut rendered = String::new();
        let mut codes = Vec::new();
        for (source, diags) in errors.files() {
            assert_eq!(
                source.name(),
                format!("broken/{name}.oqm"),
                "errors outside the broken file"
            );
            for d in diags {
                codes.push(d.code);
                rendered.push_str(&d.render(source));
                rendered.push('\n');
            }
        }
        assert!(codes.contains(&code), "{name}: no {code} among {codes:?}");
        insta::assert_snapshot!(name, rendered);
    }
}
