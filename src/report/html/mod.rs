//! Self-contained HTML pages (no network, no external assets, no scripts): one per
//! practice and an index of the national aggregate. Markup comes from maud, which escapes
//! every interpolated value; charts are inline SVG written by [`svg`](self) code.

mod pages;
mod svg;

use std::io;

pub use pages::{index_page, practice_page};

use super::view::ReportView;

/// The file name of a practice's page: `practice-<id>.html`, with every byte of the id
/// outside `[A-Za-z0-9-]` written as `_` and two hex digits, so distinct ids give distinct,
/// portable names.
pub fn practice_file_name(practice: &str) -> String {
    let mut name = String::from("practice-");
    for b in practice.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            name.push(char::from(b));
        } else {
            name.push_str(&format!("_{b:02x}"));
        }
    }
    name.push_str(".html");
    name
}

/// Renders the site: one page per practice, then `index.html` last (its links point at
/// pages already handed over), each given to `page` with its file name; returns the number
/// of pages. The caller does the file I/O (the command line writes each page to a temporary
/// file renamed into place).
pub fn render_site(
    view: &ReportView<'_>,
    mut page: impl FnMut(&str, &str) -> io::Result<()>,
) -> io::Result<usize> {
    let practices = view.practices();
    for p in &practices {
        page(&practice_file_name(p.as_str()), &practice_page(view, p))?;
    }
    page("index.html", &index_page(view))?;
    Ok(practices.len().saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn practice_file_names_are_portable_and_distinct() {
        assert_eq!(practice_file_name("p001"), "practice-p001.html");
        assert_eq!(practice_file_name("a/b"), "practice-a_2fb.html");
        assert_eq!(practice_file_name("a_2fb"), "practice-a_5f2fb.html");
        assert_eq!(practice_file_name("../x"), "practice-_2e_2e_2fx.html");
        assert_ne!(practice_file_name("a b"), practice_file_name("a_20b"));
    }
}
