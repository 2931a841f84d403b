//! Certification documents as self-contained HTML pages (maud escapes every value; no
//! scripts, no external assets): the Certification Compliance Report of one practice, and
//! the public listing of certified practices on a date.

use maud::{Markup, html};

use crate::certification::{ComplianceReport, Level, Listed, Outcome};
use crate::chart::Date;

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}\
.met{color:#0a6b2d}.partially_met{color:#8a5a00}.not_met{color:#a4161a}.not_applicable{color:#555}\
.flag{color:#a4161a;font-weight:600}small{color:#555}";

fn page(title: &str, body: Markup) -> String {
    super::html::page_shell(title, CSS, body)
}

fn level(l: Level) -> Markup {
    html! { span class=(l.name()) { (l.name().replace('_', " ")) } }
}

/// The CCR as one HTML page.
pub fn ccr_page(ccr: &ComplianceReport) -> String {
    let body = html! {
        h1 { "Certification Compliance Report" }
        p {
            "Practice " strong { (ccr.practice.as_str()) } ", cycle " (ccr.cycle)
            ", issued " (ccr.issued_on.to_string())
            " by committee reviewer " (ccr.reviewer.as_deref().unwrap_or("–"))
            " from the findings of " (ccr.surveyor.as_deref().unwrap_or("–"))
            " (" (ccr.surveys) " survey" @if ccr.surveys != 1 { "s" } ")."
        }
        p { small { "Summary rule: " (ccr.summary_rule_text) "." } }
        @for st in &ccr.standards {
            h2 { (st.id) " " (st.title) ": " (level(st.level)) }
            @if let Some(d) = st.met_on_documentation {
                p { "Met on documentation " (d.to_string()) " (reviewed: " (level(st.reviewed_level)) ")." }
            }
            table {
                thead { tr { th { "#" } th { "Element" } th { "Findings" } th { "Level" } } }
                tbody {
                    @for e in &st.elements {
                        tr {
                            td { (e.number) }
                            td { (e.text) }
                            td {
                                @for m in &e.findings {
                                    div {
                                        (m.method.words()) ": " (level(m.level))
                                        @if !m.evidence.is_empty() { " " small { "(" (m.evidence) ")" } }
                                    }
                                }
                                @if e.disagreement {
                                    div.flag { "policy review and observation disagree" }
                                }
                            }
                            td {
                                (level(e.level))
                                @if let Some(why) = &e.amended_because {
                                    div { small { "amended by the committee from " (e.summarised.name().replace('_', " ")) ": " (why) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !ccr.requirements.is_empty() {
            h2 { "Requirements" }
            table {
                thead { tr { th { "Standard" } th { "Unmet elements" } th { "Action plan" } th { "Status" } } }
                tbody {
                    @for r in &ccr.requirements {
                        tr {
                            td { (r.standard) " " (r.title) " (" (level(r.level)) ")" }
                            td { ul { @for (n, text, l) in &r.elements { li { (n) ". " (text) " — " (level(*l)) } } } }
                            td {
                                @if r.actions.is_empty() { "no action yet" }
                                @for a in &r.actions { div { (a.action) " " small { "(owner " (a.owner) ", due " (a.due.to_string()) ")" } } }
                            }
                            td {
                                @match r.met_on_documentation {
                                    Some(d) => { "met on documentation " (d.to_string()) }
                                    None => { "open" }
                                }
                            }
                        }
                    }
                }
            }
            p {
                @match ccr.action_plan_covers_all {
                    None => { "Action plan: not submitted." }
                    Some(true) => { "Action plan: covers every requirement." }
                    Some(false) => { "Action plan: leaves requirements uncovered." }
                }
            }
        }
        @if let Some(d) = &ccr.decision {
            h2 { "Decision" }
            p {
                (d.date.to_string()) ": "
                @match d.outcome { Outcome::Award => { "certification awarded" } Outcome::Deny => { "certification denied" } }
                " by " (d.reviewer) "."
            }
            @if !d.reasons.is_empty() { ul { @for r in &d.reasons { li { (r) } } } }
            @if !d.cannot_meet.is_empty() { p { "Cannot be met: " (d.cannot_meet.join(", ")) } }
        }
    };
    page(
        &format!(
            "Certification Compliance Report — {}",
            ccr.practice.as_str()
        ),
        body,
    )
}

/// The public listing of practices certified on `on`, as one HTML page.
pub fn listing_page(listed: &[Listed], on: Date) -> String {
    let body = html! {
        h1 { "QOPI Certified practices" }
        p { "Practices holding QOPI Certification on " (on.to_string()) ": " (listed.len()) "." }
        table {
            thead { tr { th { "Practice" } th { "Certified" } th { "Through" } } }
            tbody {
                @for l in listed {
                    tr { td { (l.practice.as_str()) } td { (l.certified_on.to_string()) } td { (l.expires_on.to_string()) } }
                }
            }
        }
    };
    page(&format!("QOPI Certified practices on {on}"), body)
}
