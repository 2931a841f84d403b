//! Self-contained HTML pages (no network, no external assets, no scripts): one per
//! practice and an index of the national aggregate. Markup comes from maud, which escapes
//! every interpolated value; charts are inline SVG written by [`svg`](self) code.

mod pages;
mod svg;

use std::io;

pub use pages::{index_page, practice_page};

use super::view::ReportView;

/// Longest practice id written into its page's file name as it is.
const PLAIN_ID_MAX: usize = 64;
/// Longest readable prefix of a hashed page name.
const PREFIX_MAX: usize = 40;

/// The file name of a practice's page, at most 78 bytes of `[a-z0-9_.-]`, so every file
/// system (case-insensitive ones included) keeps distinct ids apart:
///
/// - an id of at most 64 lowercase ASCII letters, digits and `-` is written as it is:
///   `practice-p001.html`;
/// - any other id (capitals, other characters, longer) gets a readable lowercase prefix
///   (other characters written `_`, at most 40 bytes) and `_` then 16 hex digits of a
///   BLAKE3 hash of the exact id: `practice-p001_3f9a0c5e1d2b4a67.html`.
///
/// The two forms never meet (only the second holds `_`), and the index page links each
/// practice id to its page, so a name is read back through it. [`render_site`] refuses a
/// site where two ids would share a name (a hash collision).
pub fn practice_file_name(practice: &str) -> String {
    let plain = !practice.is_empty()
        && practice.len() <= PLAIN_ID_MAX
        && practice
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if plain {
        return format!("practice-{practice}.html");
    }
    let mut prefix = String::new();
    for c in practice.chars() {
        if prefix.len() >= PREFIX_MAX {
            break;
        }
        if c.is_ascii_alphanumeric() || c == '-' {
            prefix.push(c.to_ascii_lowercase());
        } else if !prefix.ends_with('_') {
            prefix.push('_');
        }
    }
    let hash = blake3::hash(practice.as_bytes());
    let hex: String = hash.as_bytes()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("practice-{prefix}_{hex}.html")
}

/// Renders the site: one page per practice, then `index.html` last (its links point at
/// pages already handed over), each given to `page` with its file name; returns the number
/// of pages. Every page name is computed before anything is handed over: two practices
/// whose names would be one file (case-insensitively) are refused. The caller does the
/// file I/O (the command line writes each page to a temporary file renamed into place).
pub fn render_site(
    view: &ReportView<'_>,
    mut page: impl FnMut(&str, &str) -> io::Result<()>,
) -> io::Result<usize> {
    let practices = view.practices();
    let mut names = std::collections::BTreeMap::new();
    let mut pages = Vec::with_capacity(practices.len());
    for p in &practices {
        let name = practice_file_name(p.as_str());
        if names.insert(name.to_ascii_lowercase(), p).is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "two practice ids give one page file name: rename one practice",
            ));
        }
        pages.push((p, name));
    }
    for (p, name) in &pages {
        page(name, &practice_page(view, p))?;
    }
    page("index.html", &index_page(view))?;
    Ok(practices.len().saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn practice_file_names_are_portable_bounded_and_distinct_on_any_file_system() {
        assert_eq!(practice_file_name("p001"), "practice-p001.html");
        let ids: Vec<String> = [
            "P001",
            "p001",
            "P001 ",
            "a/b",
            "a_b",
            "a\\b",
            "../x",
            "..",
            ".",
            "a\0b",
            "a\u{1}b",
            "a\nb",
            "a\rb",
            "A",
            "a",
            "ä",
            "Ä",
            "\u{3042}",
            "=HYPERLINK(\"x\")",
            "p001_",
            "practice-p001",
            "con",
            "CON",
            "nul.txt",
        ]
        .into_iter()
        .map(str::to_owned)
        // 81 bytes of CJK (27 three-byte characters), and a 128-byte id.
        .chain(["\u{6f22}".repeat(27), "x".repeat(128), "X".repeat(128)])
        .collect();
        let mut seen = std::collections::BTreeMap::new();
        for id in &ids {
            let name = practice_file_name(id);
            assert!(name.len() <= 100, "{id:?}: {name} is {} bytes", name.len());
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b)),
                "{id:?}: {name}"
            );
            assert!(name.starts_with("practice-") && name.ends_with(".html"));
            assert!(!name.contains(".."), "{id:?}: {name}");
            if let Some(other) = seen.insert(name.to_ascii_lowercase(), id) {
                panic!("{id:?} and {other:?} share {name}");
            }
        }
        assert_eq!(practice_file_name("p001"), practice_file_name("p001"));
    }
}
