//! Embeds the crate's own `measure-specs/` (every `.oqm` and `valuesets/*.json`) so
//! `Library::bundled()` needs no files at run time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("measure-specs");
    println!("cargo:rerun-if-changed=measure-specs");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let mut specs = String::from("pub(super) const SPECS: &[(&str, &str)] = &[\n");
    let mut vsets = String::from("pub(super) const VALUESETS: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        let entry = format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        );
        if rel.ends_with(".oqm") {
            specs.push_str(&entry);
        } else if rel.starts_with("valuesets/") && rel.ends_with(".json") {
            vsets.push_str(&entry);
        }
    }
    specs.push_str("];\n");
    vsets.push_str("];\n");
    let mut out = String::new();
    let _ = write!(out, "{specs}{vsets}");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("bundled_specs.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}
