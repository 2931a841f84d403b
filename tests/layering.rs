//! The crate's modules form one bottom-up order, and no module names one above it: the
//! bottom never knows the top, so there is no import cycle between top-level modules.
//!
//! Scans `src/**/*.rs` for paths into other top-level modules (`crate::m`, `$crate::m`,
//! `super::m` from a module's root file, and names the crate root re-exports, such as
//! `crate::Date`), outside comments and `#[cfg(test)]` modules (a unit test may build its
//! input with a module above its own), and checks each against [`ORDER`], the order
//! documented in `src/lib.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Bottom first: each module may use only the ones before it.
const ORDER: &[&str] = &[
    "chart",
    "io",
    "import",
    "dsl",
    "measure",
    "program",
    "benchmark",
    "pipeline",
    "certification",
    "synth",
    "report",
    "lsp",
    "cli",
];

/// Edges up the order kept on purpose, each with its reason. `benchmark` re-exports the
/// drivers that moved to `pipeline` (`tally_jsonl`, `tally_charts`, `tally_parallel`,
/// `JSONL_BATCH`) for one release, so that vendor code keeps compiling.
const ALLOWED_UPWARD: &[(&str, &str, &str)] = &[(
    "src/benchmark/mod.rs",
    "pipeline",
    "compatibility re-exports of the drivers, for one release",
)];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`None` for `lib.rs` and the binary).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    if rel.components().count() == 1 {
        let stem = first.strip_suffix(".rs")?;
        return (stem != "lib").then(|| stem.to_owned());
    }
    (first != "bin").then_some(first)
}

/// The code of a file without comments and `#[cfg(test)]` modules.
fn code_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip_depth: Option<i64> = None;
    let mut test_attr = false;
    for line in text.lines() {
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let trimmed = code.trim();
        if let Some(depth) = skip_depth.as_mut() {
            *depth += brace_balance(code);
            if *depth <= 0 {
                skip_depth = None;
            }
            continue;
        }
        if trimmed.starts_with("#[cfg(") && trimmed.contains("test") && !trimmed.contains("not(") {
            test_attr = true;
            continue;
        }
        if test_attr && !trimmed.starts_with("#[") {
            test_attr = false;
            if trimmed.starts_with("mod ") || trimmed.starts_with("pub(crate) mod ") {
                if trimmed.ends_with(';') {
                    continue;
                }
                let depth = brace_balance(code);
                if depth > 0 {
                    skip_depth = Some(depth);
                }
                continue;
            }
        }
        out.push(code.to_owned());
    }
    out
}

fn brace_balance(code: &str) -> i64 {
    code.chars()
        .map(|c| match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        })
        .sum()
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first segment of each path in `crate::…`, `crate::{a::…, b}` (and `$crate::`).
fn crate_paths(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        // `oncoqual_crate::` is another path; `$crate::` is scanned with its own prefix.
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            || (prefix == "crate::" && before == Some('$'))
        {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // Each item at the group's top level: its first segment.
            let mut depth = 0;
            let mut start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_ascii_alphabetic() || c == '_') => {
                        out.push(ident_at(&group[k..]).to_owned());
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident_at(rest).to_owned());
        }
    }
    out
}

/// Names the crate root re-exports, each with the module it comes from.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let text: String = code_lines(lib).join("\n");
    for stmt in text.split(';') {
        let stmt = stmt.trim();
        let Some(path) = stmt
            .strip_prefix("pub use ")
            .or_else(|| stmt.strip_prefix("pub(crate) use "))
        else {
            continue;
        };
        let module = ident_at(path).to_owned();
        match path.find('{') {
            Some(i) => {
                for name in path[i + 1..].split([',', '}']) {
                    let name = name.trim();
                    if !name.is_empty() {
                        map.insert(name.to_owned(), module.clone());
                    }
                }
            }
            None => {
                let last = path.rsplit("::").next().unwrap().trim();
                let name = last.rsplit(" as ").next().unwrap().trim();
                map.insert(name.to_owned(), module.clone());
            }
        }
    }
    map
}

#[test]
fn no_module_uses_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
    let root = root_reexports(&lib);
    let rank: BTreeMap<&str, usize> = ORDER.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();

    let mut modules = BTreeSet::new();
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    let mut violations = Vec::new();
    for file in &files {
        let Some(from) = module_of(&src, file) else {
            continue;
        };
        modules.insert(from.clone());
        let text = fs::read_to_string(file).unwrap();
        let is_root_file = file.file_name().is_some_and(|n| n == "mod.rs")
            && file.parent().and_then(Path::parent) == Some(src.as_path())
            || file.parent() == Some(src.as_path());
        let rel = file
            .strip_prefix(src.parent().unwrap())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for line in code_lines(&text) {
            let mut named = crate_paths(&line, "crate::");
            named.extend(crate_paths(&line, "$crate::"));
            if is_root_file {
                named.extend(crate_paths(&line, "super::"));
            }
            for name in named {
                let to = if rank.contains_key(name.as_str()) {
                    name.clone()
                } else if let Some(m) = root.get(&name) {
                    m.clone()
                } else {
                    continue;
                };
                if to == from {
                    continue;
                }
                edges.insert((from.clone(), to.clone()));
                let (Some(&a), Some(&b)) = (rank.get(from.as_str()), rank.get(to.as_str())) else {
                    continue;
                };
                let allowed = ALLOWED_UPWARD.iter().any(|(f, m, _)| *f == rel && *m == to);
                if b > a && !allowed {
                    violations.push(format!("{rel}: `{from}` uses `{to}`, above it: {line}"));
                }
            }
        }
    }
    let unplaced: Vec<_> = modules
        .iter()
        .filter(|m| !rank.contains_key(m.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules missing from ORDER (and from the order in src/lib.rs): {unplaced:?}"
    );
    assert!(
        violations.is_empty(),
        "the bottom must not know the top:\n{}",
        violations.join("\n")
    );
    // The scan sees the edges it must: a scan that found nothing would pass vacuously.
    for (from, to) in [
        ("io", "chart"),
        ("measure", "dsl"),
        ("pipeline", "benchmark"),
    ] {
        assert!(
            edges.contains(&(from.to_owned(), to.to_owned())),
            "expected edge {from} -> {to} not found"
        );
    }
}

#[test]
fn the_documented_order_is_the_tested_order() {
    let lib = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let documented = ORDER
        .iter()
        .map(|m| format!("`{m}`"))
        .collect::<Vec<_>>()
        .join(" → ");
    assert!(
        lib.contains(&documented),
        "src/lib.rs should document the module order as: {documented}"
    );
}

#[test]
fn the_scanner_finds_paths_in_groups_macros_and_root_names() {
    assert_eq!(
        crate_paths(
            "use crate::{chart::Chart, io::{Limits, Record}};",
            "crate::"
        ),
        ["chart", "io"]
    );
    assert_eq!(
        crate_paths("$crate::measure::value::Value", "$crate::"),
        ["measure"]
    );
    assert!(crate_paths("$crate::measure::value::Value", "crate::").is_empty());
    assert!(crate_paths("oncoqual_crate::x", "crate::").is_empty());
    let root = root_reexports("pub use chart::{Chart, Date};\npub use io::Limits;\n");
    assert_eq!(root.get("Date").map(String::as_str), Some("chart"));
    assert_eq!(root.get("Limits").map(String::as_str), Some("io"));
    let code = code_lines(
        "use crate::a::B;\n#[cfg(test)]\nmod tests {\n    use crate::c::D;\n}\nfn x() {} // crate::e\n",
    );
    assert_eq!(code, ["use crate::a::B;", "fn x() {} "]);
}
