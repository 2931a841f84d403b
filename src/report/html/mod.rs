//! Self-contained HTML (no network, no external assets, no scripts), in one folder per
//! practice that can be handed to that practice, and an operator's national index written
//! only on request:
//!
//! - `<practice folder>/index.html` ([`practice_folder_name`]): the practice's own rates
//!   beside the national *distribution* only (pooled rate, median, percentiles, how many
//!   practices; never another practice's id, name or rate, and nothing at all when fewer
//!   than [`MIN_PRACTICES_SHOWN`](crate::report::MIN_PRACTICES_SHOWN) practices make the
//!   distribution), its percentile ranks, its Overall Quality Score against the national
//!   score distribution, where to focus, and its measures grouped by module. It links to
//!   nothing outside its folder.
//! - [`NATIONAL_INDEX`] (`national/index.html`): the national aggregate and a table naming
//!   every practice with its score and a link to its folder; for the operator, written only
//!   when [`render_site`] is asked to.
//!
//! Markup comes from maud, which escapes every interpolated value; charts are inline SVG
//! written by [`svg`](self) code.

mod coverage;
mod explain;
mod pages;
mod svg;

use std::io;

pub use coverage::{coverage_file_name, coverage_index, coverage_page};
pub use explain::explain_page;
pub(crate) use pages::page_shell;
pub use pages::{index_page, practice_page};

use super::view::ReportView;

/// Where the national index is written in the site, relative to its root.
pub const NATIONAL_INDEX: &str = "national/index.html";

/// The page of a practice in its folder.
pub const PRACTICE_PAGE: &str = "index.html";

/// Longest practice id written into its page's file name as it is.
const PLAIN_ID_MAX: usize = 64;
/// Longest readable prefix of a hashed page name.
const PREFIX_MAX: usize = 40;

/// The folder name of a practice, at most 73 bytes of `[a-z0-9_-]`, so every file system
/// (case-insensitive ones included) keeps distinct ids apart:
///
/// - an id of at most 64 lowercase ASCII letters, digits and `-` is written as it is:
///   `practice-p001`;
/// - any other id (capitals, other characters, longer) gets a readable lowercase prefix
///   (other characters written `_`, at most 40 bytes) and `_` then 16 hex digits of a
///   BLAKE3 hash of the exact id: `practice-p001_3f9a0c5e1d2b4a67`.
///
/// The two forms never meet (only the second holds `_`), and the national index links each
/// practice id to its folder, so a name is read back through it. [`render_site`] refuses a
/// site where two ids would share a name (a hash collision).
pub fn practice_folder_name(practice: &str) -> String {
    let plain = !practice.is_empty()
        && practice.len() <= PLAIN_ID_MAX
        && practice
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if plain {
        return format!("practice-{practice}");
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
    format!("practice-{prefix}_{hex}")
}

/// Renders the site: each practice's folder ([`practice_folder_name`], its page
/// [`PRACTICE_PAGE`] inside), then, only when `national_index` is set, the operator's
/// national index [`NATIONAL_INDEX`] last (its links point at pages already handed over).
/// Each page is given to `page` with its path relative to the site's root (`/`-separated,
/// one folder deep); returns the number of pages. Every folder name is computed before
/// anything is handed over: two practices whose names would be one folder
/// (case-insensitively) are refused. The caller does the file I/O (the command line writes
/// each page to a temporary file renamed into place).
pub fn render_site(
    view: &ReportView<'_>,
    national_index: bool,
    mut page: impl FnMut(&str, &str) -> io::Result<()>,
) -> io::Result<usize> {
    let practices = view.practices();
    let mut names = std::collections::BTreeMap::new();
    let mut pages = Vec::with_capacity(practices.len());
    for p in &practices {
        let name = practice_folder_name(p.as_str());
        if names.insert(name.to_ascii_lowercase(), p).is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "two practice ids give one folder name: rename one practice",
            ));
        }
        pages.push((p, name));
    }
    for (p, name) in &pages {
        page(&format!("{name}/{PRACTICE_PAGE}"), &practice_page(view, p))?;
    }
    if national_index {
        page(NATIONAL_INDEX, &index_page(view))?;
    }
    Ok(practices.len().saturating_add(usize::from(national_index)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn practice_folder_names_are_portable_bounded_and_distinct_on_any_file_system() {
        assert_eq!(practice_folder_name("p001"), "practice-p001");
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
            let name = practice_folder_name(id);
            assert!(name.len() <= 73, "{id:?}: {name} is {} bytes", name.len());
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-".contains(&b)),
                "{id:?}: {name}"
            );
            assert!(name.starts_with("practice-"), "{id:?}: {name}");
            // Never `national`, the index's folder.
            assert_ne!(name, "national");
            if let Some(other) = seen.insert(name.to_ascii_lowercase(), id) {
                panic!("{id:?} and {other:?} share {name}");
            }
        }
        assert_eq!(practice_folder_name("p001"), practice_folder_name("p001"));
    }
}
