//! The practice page and the national index page.

use std::collections::BTreeMap;

use maud::{DOCTYPE, Markup, PreEscaped, html};
use rust_decimal::Decimal;

use super::practice_file_name;
use super::svg;
use crate::benchmark::{NationalMeasure, PracticeRate, TrendVerdict};
use crate::chart::PracticeId;
use crate::measure::Direction;
use crate::report::format::percent;
use crate::report::view::{MeasureRow, ReportView};
use crate::round::RoundId;

const CSS: &str = include_str!("style.css");

fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="icon" href="data:,";
                style { (PreEscaped(CSS)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

fn pct(v: Option<Decimal>) -> String {
    v.map_or_else(|| "–".to_owned(), |x| percent(x, 1))
}

fn level(view: &ReportView<'_>) -> String {
    let l = Decimal::try_from(view.report().options.confidence_level * 100.0)
        .map(|d| d.round_dp(1).normalize().to_string())
        .unwrap_or_else(|_| "95".to_owned());
    format!("{l}%")
}

fn direction_badge(d: Direction) -> Markup {
    match d {
        Direction::HigherIsBetter => {
            html! { span.badge.higher title="A higher rate is better" { "higher is better" } }
        }
        Direction::LowerIsBetter => {
            html! { span.badge.lower title="The numerator is the undesired event: a lower rate is better" { "lower is better" } }
        }
    }
}

fn report_meta(view: &ReportView<'_>) -> Markup {
    let r = view.report();
    let rounds: Vec<String> = r.rounds.iter().map(ToString::to_string).collect();
    html! {
        p.meta {
            "Report issued " (r.issued_on.to_string())
            @if r.final_report { " (final)" } @else { " (interim: certification reads only final reports)" }
            " · rounds " (rounds.join(", "))
            " · intervals: Wilson score, " (level(view))
            " · percentiles: " (r.options.quantile_method)
            " · practices with fewer than " (r.options.min_denominator) " eligible charts are suppressed"
        }
    }
}

fn percentile_summary(n: &NationalMeasure) -> String {
    let mut parts: Vec<String> = n
        .percentiles
        .iter()
        .map(|(q, v)| {
            format!(
                "p{} {}",
                crate::benchmark::Hundredfold::normalized(*q),
                percent(*v, 1)
            )
        })
        .collect();
    if parts.is_empty() {
        parts.push("no national distribution".to_owned());
    }
    parts.join(", ")
}

fn chart_label(title: &str, rate: Option<&PracticeRate>, n: Option<&NationalMeasure>) -> String {
    let mut s = format!("{title}: ");
    if let Some(r) = rate {
        s.push_str(&format!("practice {}", pct(r.rate)));
        if let Some(i) = r.interval {
            s.push_str(&format!(
                " ({} to {})",
                percent(i.low, 1),
                percent(i.high, 1)
            ));
        }
        if r.suppressed {
            s.push_str(", suppressed");
        }
        s.push_str("; ");
    }
    match n {
        Some(n) => s.push_str(&format!("national {}", percentile_summary(n))),
        None => s.push_str("no national aggregate"),
    }
    s
}

fn verdict_text(v: TrendVerdict) -> &'static str {
    match v {
        TrendVerdict::Improvement => "significant improvement",
        TrendVerdict::Decline => "significant decline",
        TrendVerdict::NoSignificantChange => "no significant change",
    }
}

fn trend_cell(row: &MeasureRow<'_>) -> Markup {
    let points: Vec<(Decimal, bool)> = row
        .rounds
        .iter()
        .filter_map(|(r, _)| r.rate.map(|v| (v, r.suppressed)))
        .collect();
    let history: Vec<String> = row
        .rounds
        .iter()
        .map(|(r, _)| format!("{} {}", r.round, pct(r.rate)))
        .collect();
    let label = format!("{}: {}", row.title, history.join(", "));
    html! {
        (PreEscaped(svg::trend(&points, &label)))
        div.small { (history.join(" → ")) }
        @if let Some(t) = row.trend {
            div.small class=(match t.verdict { TrendVerdict::Improvement => "up", TrendVerdict::Decline => "down", TrendVerdict::NoSignificantChange => "flat" }) {
                (verdict_text(t.verdict))
                @if let Some(p) = t.p_value { " (p " (format!("{p:.3}")) ")" }
                @if !t.skipped.is_empty() {
                    " · skipped " (t.skipped.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
                }
            }
        }
    }
}

fn eligibility_section(view: &ReportView<'_>, practice: &PracticeId) -> Markup {
    html! {
        h2 { "Certification eligibility" }
        @match view.eligibility(practice) {
            Some(status) => {
                @match &status.result {
                    Ok(e) => {
                        p.ok {
                            "Eligible to apply for QOPI Certification on " (status.on.to_string())
                            ": Overall Quality Score " (percent(e.score, 1)) " in round " (e.round.to_string())
                            " with " (e.charts) " unique charts; the score qualifies applications until "
                            (e.valid_until.to_string()) "."
                        }
                    }
                    Err(why) => {
                        p.bad { "Not eligible to apply on " (status.on.to_string()) ":" }
                        ul.reasons { @for w in why { li { (w.to_string()) } } }
                    }
                }
            }
            None => { p.muted { "Not assessed: no practice facts (track registration, webinar attendance) were given." } }
        }
    }
}

fn registration_section(view: &ReportView<'_>, practice: &PracticeId) -> Markup {
    html! {
        @if let Some(reg) = view.registration(practice) {
            h2 { "Registration" }
            p { "Tracks: " (reg.tracks.join(", ")) }
            @if reg.registration_problems.is_empty() {
                p.ok { "Registration is complete." }
            } @else {
                p.bad { "Registration problems:" }
                ul.reasons { @for w in &reg.registration_problems { li { (w) } } }
            }
            @for c in &reg.courses {
                p { "Course credit, rounds " (c.first.to_string()) " and " (c.second.to_string()) ":" }
                @if c.awards.is_empty() {
                    p.muted { "No award yet." }
                } @else {
                    ul { @for a in &c.awards { li { (a.to_string()) } } }
                }
                @if !c.pending.is_empty() {
                    p.muted { "Pending (efforts not documented): " (c.pending.join(", ")) }
                }
            }
        }
    }
}

/// The page of one practice: its Overall Quality Score, certification eligibility and
/// registration, then every measure it was rated on, the latest round's rate and interval
/// beside the national distribution (an SVG chart), with the trend across rounds.
pub fn practice_page(view: &ReportView<'_>, practice: &PracticeId) -> String {
    let name = view.registration(practice).map(|r| r.name.as_str());
    let heading = name.unwrap_or(practice.as_str());
    let latest = view.latest_round();
    let rows = view.measure_rows(practice);
    let level = level(view);
    let body = html! {
        header {
            nav { a href="index.html" { "← National aggregate" } }
            h1 { "Quality report: " (heading) }
            p.meta { "Practice id " code { (practice.as_str()) } }
            (report_meta(view))
        }
        main {
            section #score {
                h2 { "Overall Quality Score" }
                @let scores = view.scores(practice);
                @if scores.is_empty() {
                    p.muted { "No Overall Quality Score: the practice was not rated on any scored measure of the track." }
                } @else {
                    table {
                        thead { tr { th { "Round" } th { "Track" } th.num { "Score" } th.num { "Met / eligible" } th.num { "Measures" } th.num { "Unique charts" } } }
                        tbody {
                            @for o in &scores {
                                tr class=[(Some(o.round) == latest).then_some("latest")] {
                                    td { (o.round.to_string()) } td { (o.track) }
                                    td.num { strong { (pct(o.score)) } }
                                    td.num { (o.met) " / " (o.eligible) }
                                    td.num { (o.measures) } td.num { (o.charts) }
                                }
                            }
                        }
                    }
                }
                (eligibility_section(view, practice))
                (registration_section(view, practice))
            }
            section #measures {
                h2 { "Measures" }
                p.legend {
                    "In each chart the national distribution of practice rates for the round: whiskers from the lowest to the highest reported percentile, the box from p25 to p75, the bar at the median; "
                    span.swatch.practice {} " the practice's rate with its " (level) " interval; a hollow marker is a suppressed rate."
                }
                @if rows.is_empty() {
                    p.muted { "The practice has no rated measures in this report." }
                } @else {
                    table.measures {
                        thead { tr {
                            th { "Measure" } th.num { "Rate" } th.num { "Met / eligible" } th.num { (level) " interval" }
                            th.num { "Percentile rank" } th { "Beside the national distribution" } th { "Trend across rounds" }
                        } }
                        tbody {
                            @for row in &rows {
                                @if let Some((rate, national)) = row.latest() {
                                    tr class=[rate.suppressed.then_some("suppressed")] {
                                        td {
                                            div.title { (row.title) }
                                            div.small { code { (row.measure) } " " (direction_badge(row.direction))
                                                @if row.informational { " " span.badge { "informational" } }
                                                @if Some(rate.round) != latest { " " span.badge { "round " (rate.round.to_string()) } }
                                            }
                                        }
                                        td.num { strong { (pct(rate.rate)) } @if rate.suppressed { div.small.supp { "suppressed" } } }
                                        td.num { (rate.met) " / " (rate.eligible) }
                                        td.num { @if let Some(i) = rate.interval { (percent(i.low, 1)) " – " (percent(i.high, 1)) } @else { "–" } }
                                        td.num { @if let Some(p) = rate.percentile_rank { (crate::report::format::rounded(p, 0).to_string()) } @else { "–" } }
                                        td { (PreEscaped(svg::distribution(national, Some(rate), &chart_label(row.title, Some(rate), national)))) }
                                        td { (trend_cell(row)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        footer { p.meta { "Generated by oncoqual " (env!("CARGO_PKG_VERSION")) ". Rates are exact in the report and rounded here to one decimal place, half away from zero." } }
    };
    page(&format!("Quality report: {heading}"), body)
}

/// The index page: the national Overall Quality Score distribution and eligibility
/// summary, the national aggregate of every measure per round (latest first) with its
/// distribution chart, and a link to every practice's page.
pub fn index_page(view: &ReportView<'_>) -> String {
    let report = view.report();
    let latest = view.latest_round();
    let practices = view.practices();
    let latest_scores: BTreeMap<&PracticeId, Option<Decimal>> = report
        .overall_quality_scores
        .iter()
        .filter(|o| Some(o.round) == latest)
        .map(|o| (&o.practice, o.score))
        .collect();
    let mut scored: Vec<Decimal> = latest_scores.values().filter_map(|s| *s).collect();
    scored.sort();
    let threshold = Decimal::new(75, 2);
    let at_threshold = scored.iter().filter(|s| **s >= threshold).count();
    let charts: u64 = report
        .participation
        .iter()
        .filter(|p| Some(p.round) == latest)
        .map(|p| p.charts)
        .sum();
    let (assessed, eligible, reasons) = view.eligibility_summary();
    let mut rounds: Vec<RoundId> = report.rounds.clone();
    rounds.reverse();
    let oqs_quantiles: Vec<(i64, Option<Decimal>)> = [10i64, 25, 50, 75, 90]
        .into_iter()
        .map(|p| {
            (
                p,
                crate::benchmark::quantile_type7(&scored, Decimal::new(p, 2)),
            )
        })
        .collect();
    let body = html! {
        header {
            h1 { "National aggregate" }
            (report_meta(view))
        }
        main {
            section #oqs {
                h2 { "Overall Quality Score" @if let Some(r) = latest { ", round " (r.to_string()) } }
                p {
                    (scored.len()) " practices scored on the " code { (report.options.oqs_track) } " track ("
                    (serde_json::to_value(report.options.oqs_method).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
                    "); " (at_threshold) " at or above 75%; " (charts) " unique charts in the round."
                }
                (PreEscaped(svg::histogram(&scored, threshold, &format!("Overall Quality Scores of {} practices in ten-point bins; dashed line at 75%", scored.len()))))
                table.compact {
                    thead { tr { @for (p, _) in &oqs_quantiles { th.num { "p" (p) } } } }
                    tbody { tr { @for (_, v) in &oqs_quantiles { td.num { (pct(*v)) } } } }
                }
                @if assessed > 0 {
                    h2 { "Certification eligibility" }
                    p { (eligible) " of " (assessed) " assessed practices may apply for certification." }
                    @if !reasons.is_empty() {
                        table.compact {
                            thead { tr { th { "Reason a practice may not apply" } th.num { "Practices" } } }
                            tbody { @for (reason, n) in &reasons { tr { td { (reason.replace('_', " ")) } td.num { (n) } } } }
                        }
                    }
                }
            }
            @for round in &rounds {
                section.round {
                    h2 { "Measures, round " (round.to_string()) }
                    table.measures {
                        thead { tr {
                            th { "Measure" } th.num { "Practices" } th.num { "Charts" } th.num { "Pooled rate" }
                            th.num { "Mean" } th.num { "Median" } th { "Percentiles" } th { "Distribution of practice rates" }
                        } }
                        tbody {
                            @for n in report.national.iter().filter(|n| n.round == *round) {
                                tr {
                                    td { div.title { (view.title(&n.measure)) } div.small { code { (n.measure) } " " (direction_badge(n.direction)) } }
                                    td.num { (n.practices_in_distribution) " / " (n.practices) }
                                    td.num { (n.charts) }
                                    td.num { strong { (pct(n.pooled_rate)) } }
                                    td.num { (pct(n.mean)) }
                                    td.num { (pct(n.median)) }
                                    td.small { (percentile_summary(n)) }
                                    td { (PreEscaped(svg::distribution(Some(n), None, &chart_label(view.title(&n.measure), None, Some(n))))) }
                                }
                            }
                        }
                    }
                }
            }
            section #practices {
                h2 { "Practices" }
                table.compact {
                    thead { tr { th { "Practice" } th { "Name" } th.num { "OQS" @if let Some(r) = latest { " " (r.to_string()) } } th { "Certification" } } }
                    tbody {
                        @for p in &practices {
                            tr {
                                td { a href=(practice_file_name(p.as_str())) { code { (p.as_str()) } } }
                                td { (view.registration(p).map(|r| r.name.as_str()).unwrap_or("")) }
                                td.num { (pct(latest_scores.get(p).copied().flatten())) }
                                td {
                                    @match view.eligibility(p).map(|s| &s.result) {
                                        Some(Ok(_)) => { span.ok { "eligible" } }
                                        Some(Err(why)) => { span.bad { "not eligible (" (why.len()) @if why.len() == 1 { " reason)" } @else { " reasons)" } } }
                                        None => { span.muted { "not assessed" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        footer { p.meta { "Generated by oncoqual " (env!("CARGO_PKG_VERSION")) ". Rates are exact in the report and rounded here to one decimal place, half away from zero." } }
    };
    page("National aggregate", body)
}
