//! `oncoqual explain --format html`: the measure's spec (and the shared modules it used) with
//! every recorded expression highlighted by its value for one chart — true, false, unknown
//! (missing) or another value — and the value on hover. An explanation is the explicit
//! opt-in to patient values, so the page shows them; it is self-contained (no script, no
//! network) like the report pages.

use maud::{PreEscaped, html};

use super::page_shell;
use super::svg::escape;
use crate::measure::{Explanation, Population};

/// How a highlighted expression is coloured: by every value it had in the explanation.
fn class(values: &[&str]) -> &'static str {
    let all = |v: &str| values.iter().all(|x| *x == v);
    if all("true") {
        "t"
    } else if all("false") {
        "f"
    } else if all("missing") {
        "u"
    } else if values
        .iter()
        .all(|v| matches!(*v, "true" | "false" | "missing"))
    {
        "m"
    } else {
        "v"
    }
}

/// One spec file's text with the spans wrapped in `<span class=… title=…>`, nested as the
/// expressions nest (a span that crosses another is left out rather than mis-nested).
fn highlighted(text: &str, spans: &[(usize, usize, &str, u32)]) -> String {
    // One entry per distinct span, with the distinct values it had.
    let mut merged: Vec<(usize, usize, Vec<&str>)> = Vec::new();
    for (start, end, value, _) in spans {
        match merged.iter_mut().find(|m| m.0 == *start && m.1 == *end) {
            Some(m) => {
                if !m.2.contains(value) {
                    m.2.push(value);
                }
            }
            None => merged.push((*start, *end, vec![*value])),
        }
    }
    let marks: Vec<Mark> = merged
        .into_iter()
        .map(|(start, end, values)| Mark {
            start,
            end,
            class: class(&values),
            title: values.join(" | "),
        })
        .collect();
    wrap(text, marks)
}

/// A span of source text to wrap: its class and hover text.
pub(super) struct Mark {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) class: &'static str,
    pub(super) title: String,
}

/// `text`, escaped, with each mark wrapped in `<span class=… title=…>`, nested as the spans
/// nest; a span that crosses another, is empty or falls outside the text is left out
/// rather than mis-nested.
pub(super) fn wrap(text: &str, mut marks: Vec<Mark>) -> String {
    marks.retain(|m| m.start < m.end && text.get(m.start..m.end).is_some());
    marks.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out = String::with_capacity(text.len().saturating_mul(2));
    let mut pos = 0usize;
    let mut open: Vec<usize> = Vec::new();
    let put = |out: &mut String, from: usize, to: usize| {
        if let Some(s) = text.get(from..to) {
            out.push_str(&escape(s));
        }
    };
    for m in &marks {
        while let Some(&top) = open.last() {
            if top > m.start {
                break;
            }
            put(&mut out, pos, top);
            pos = top;
            out.push_str("</span>");
            open.pop();
        }
        if open.last().is_some_and(|top| m.end > *top) {
            continue;
        }
        put(&mut out, pos, m.start);
        pos = m.start;
        out.push_str(&format!(
            "<span class=\"{}\" title=\"{}\">",
            m.class,
            escape(&m.title)
        ));
        open.push(m.end);
    }
    while let Some(top) = open.pop() {
        put(&mut out, pos, top);
        pos = top;
        out.push_str("</span>");
    }
    put(&mut out, pos, text.len());
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1b1b}\
pre{background:#fafafa;border:1px solid #ddd;padding:1em;overflow-x:auto;font:13px/1.5 ui-monospace,monospace}\
span.t{background:#d8f5d0}span.f{background:#fbd9d3}span.u{background:#fff0b3}\
span.m{background:#e3dcf5}span.v{border-bottom:1px dotted #777}\
span[title]:hover{outline:1px solid #555}.legend span{padding:0 .4em;margin-right:.6em}\
table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #eee;text-align:left}";

/// The explanation as one self-contained HTML page.
pub fn explain_page(e: &Explanation) -> String {
    let pops: Vec<&str> = e.populations.iter().map(Population::code).collect();
    let files = e.highlights();
    let body = html! {
        h1 { "Why this chart is or is not in " code { (e.measure) } }
        p { "Reporting period " (e.period) ". Populations: "
            strong { @if pops.is_empty() { "none" } @else { (pops.join(", ")) } } }
        p class="legend" {
            span class="t" { "true" } span class="f" { "false" }
            span class="u" { "unknown (missing)" }
            span class="m" { "true or false, by element or criterion" }
            span class="v" { "another value" }
            "Hover an expression for its value. This page shows the chart's values."
        }
        table {
            tr { th { "criterion" } th { "value" } th { "missing fields" } }
            @for c in &e.criteria {
                tr {
                    td { code { (c.criterion) } }
                    td { (c.value) }
                    td { (c.missing_fields.join(", ")) }
                }
            }
        }
        @for (name, text, spans) in &files {
            @if !spans.is_empty() || *name == files.first().map_or("", |f| f.0) {
                h2 { code { (name) } }
                pre { (PreEscaped(highlighted(text, spans))) }
            }
        }
    };
    page_shell(&format!("explain {}", e.measure), STYLE, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_nest_escape_and_colour_by_value() {
        let text = "a <= b and c";
        let spans = [
            (0, 12, "false", 0),
            (0, 6, "true", 1),
            (11, 12, "missing", 1),
            // Crosses the first child: left out, never mis-nested.
            (4, 9, "x", 1),
        ];
        assert_eq!(
            highlighted(text, &spans),
            "<span class=\"f\" title=\"false\"><span class=\"t\" title=\"true\">a &lt;= b</span> and \
             <span class=\"u\" title=\"missing\">c</span></span>"
        );
        // A span seen with two values is mixed; one out of range is ignored.
        let twice = [(0, 1, "true", 0), (0, 1, "false", 0), (5, 99, "true", 0)];
        assert_eq!(
            highlighted("ab", &twice),
            "<span class=\"m\" title=\"true | false\">a</span>b"
        );
        assert_eq!(class(&["2026-01-01"]), "v");
    }
}
