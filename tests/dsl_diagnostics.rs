//! Diagnostics people read: every broken spec in `tests/dsl/broken/` renders all its errors
//! with location, caret and help. One spec per error kind, named after its code.

use std::fs;

use oncoqual::dsl::{Source, parse};

#[test]
fn every_broken_spec_reports_its_error_kind_with_location() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dsl/broken");
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "oqm"))
        .collect();
    files.sort();
    assert!(files.len() >= 9, "only {} broken specs", files.len());
    for path in files {
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let text = fs::read_to_string(&path).unwrap();
        let source = Source::new(format!("broken/{name}.oqm"), text.as_str());
        let (_, diags) = parse(&text);
        let code = &name[..5];
        assert!(
            diags.iter().any(|d| d.code == code),
            "{name}: no {code} among {:?}",
            diags.iter().map(|d| d.code).collect::<Vec<_>>()
        );
        let rendered: String = diags.iter().map(|d| d.render(&source) + "\n").collect();
        insta::assert_snapshot!(name, rendered);
    }
}
