//! `oncoqual test --coverage --format html`: per measure, its spec (and the shared modules
//! it reaches) with every clause highlighted by how the test deck exercised it — covered,
//! never true, never false, only unknown, never reached — and the counts on hover; an index
//! page links them. Coverage counts cases, never values: the pages hold no patient data.
//! Self-contained (no script, no network) like the report pages.

use maud::{Markup, PreEscaped, html};

use super::explain::{Mark, wrap};
use super::page_shell;
use crate::measure::{Clause, ClauseStatus, Coverage, MeasureCoverage, shown_percent as percent};

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1b1b}\
pre{background:#fafafa;border:1px solid #ddd;padding:1em;overflow-x:auto;font:13px/1.5 ui-monospace,monospace}\
span.c{background:#d8f5d0}span.nt{background:#fbd9d3}span.nf{background:#ffe2b8}\
span.ou{background:#fff0b3}span.nr{background:#d9d9d9;text-decoration:line-through #999}\
span[title]:hover{outline:1px solid #555}.legend span{padding:0 .4em;margin-right:.6em}\
table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #eee;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}";

/// The page file name of a measure's coverage (`<measure id>.html`).
pub fn coverage_file_name(measure: &str) -> String {
    let safe: String = measure
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.html")
}

fn class(status: ClauseStatus) -> &'static str {
    match status {
        ClauseStatus::Covered => "c",
        ClauseStatus::NeverTrue => "nt",
        ClauseStatus::NeverFalse => "nf",
        ClauseStatus::OnlyUnknown => "ou",
        _ => "nr",
    }
}

fn title(c: &Clause) -> String {
    let mut t = format!(
        "{} — {}: reached in {}",
        c.kind.label(),
        c.status.label(),
        c.reached_cases
    );
    if c.boolean {
        t.push_str(&format!(
            ", true in {}, false in {}, unknown in {}",
            c.true_cases, c.false_cases, c.unknown_cases
        ));
    } else {
        t.push_str(&format!(", unknown in {}", c.unknown_cases));
    }
    t.push_str(" cases");
    t
}

fn legend() -> Markup {
    html! {
        p class="legend" {
            span class="c" { "covered" } span class="nt" { "never true" }
            span class="nf" { "never false" } span class="ou" { "only unknown" }
            span class="nr" { "never reached" }
            "Hover a clause for the number of cases of each outcome."
        }
    }
}

/// One measure's coverage as a self-contained HTML page.
pub fn coverage_page(m: &MeasureCoverage) -> String {
    let files = m.files();
    let body = html! {
        p { a href="index.html" { "all measures" } }
        h1 { "Logic coverage of " code { (m.measure) } }
        p { (m.cases) " cases. Its own file: " (m.own.clauses_covered) " of " (m.own.clauses)
            " clauses covered, " (m.own.outcomes_covered) " of " (m.own.outcomes)
            " outcomes (" (percent(m.own.percent())) ")."
            @if m.own != m.totals {
                " With the shared defines it reaches: " (m.totals.clauses_covered) " of "
                (m.totals.clauses) " clauses, " (m.totals.outcomes_covered) " of "
                (m.totals.outcomes) " outcomes (" (percent(m.totals.percent())) ")."
            }
        }
        (legend())
        @let missed: Vec<&Clause> = m.missed().collect();
        @if !missed.is_empty() {
            table {
                tr { th { "where" } th { "clause" } th { "status" } th { "code" } }
                @for c in &missed {
                    tr {
                        td { (c.file) ":" (c.line) ":" (c.column) }
                        td { (c.kind.label()) }
                        td { (c.status.label()) }
                        td { code { (c.code) } }
                    }
                }
            }
        }
        @for (name, text, clauses) in &files {
            @if !clauses.is_empty() {
                h2 { code { (name) } }
                pre { (PreEscaped(wrap(text, clauses.iter().map(|c| Mark {
                    start: c.at.1.start as usize,
                    end: c.at.1.end as usize,
                    class: class(c.status),
                    title: title(c),
                }).collect()))) }
            }
        }
    };
    page_shell(&format!("coverage {}", m.measure), STYLE, body)
}

/// The index of a coverage run: the totals, and each measure's figures with a link to its
/// page ([`coverage_file_name`]).
pub fn coverage_index(c: &Coverage) -> String {
    let table = |rows: &[MeasureCoverage], what: &str| {
        html! {
            table {
                tr { th { (what) } th { "cases" } th { "own clauses covered" }
                     th { "own outcomes covered" } th { "%" } th { "with shared defines %" } }
                @for m in rows {
                    tr {
                        td { a href=(coverage_file_name(&m.measure)) { code { (m.measure) } } }
                        td class="n" { (m.cases) }
                        td class="n" { (m.own.clauses_covered) " / " (m.own.clauses) }
                        td class="n" { (m.own.outcomes_covered) " / " (m.own.outcomes) }
                        td class="n" { (percent(m.own.percent())) }
                        td class="n" { (percent(m.totals.percent())) }
                    }
                }
            }
        }
    };
    let body = html! {
        h1 { "Logic coverage of the test deck" }
        p { (c.measures.len()) " measures, " (c.modules.len()) " shared modules; each clause once "
            "(a measure's own over its deck, a shared module's over every deck that reaches it): "
            (c.totals.clauses_covered) " of " (c.totals.clauses) " clauses covered ("
            (percent(c.totals.clause_percent())) "), " (c.totals.outcomes_covered) " of "
            (c.totals.outcomes) " outcomes (" (percent(c.totals.percent())) ")." }
        @if !c.modules.is_empty() {
            h2 { "Shared modules, over every deck that reaches them" }
            (table(&c.modules, "module"))
        }
        h2 { "Measures, over their own decks" }
        (table(&c.measures, "measure"))
    };
    page_shell("logic coverage", STYLE, body)
}
