//! The practice page (its own figures beside the national distribution only) and the
//! operator's national index page (which names every practice).

use std::collections::BTreeMap;

use maud::{DOCTYPE, Markup, PreEscaped, html};
use rust_decimal::Decimal;

use super::svg::{self, Marker, Spread};
use super::{PRACTICE_PAGE, practice_folder_name};
use crate::benchmark::{NationalMeasure, PracticeRate, TrendVerdict};
use crate::chart::PracticeId;
use crate::measure::Direction;
use crate::report::format::{percent, rounded};
use crate::report::view::{MIN_PRACTICES_SHOWN, MeasureRow, ReportView};
use crate::round::RoundId;

/// The most measures the "where to focus" list shows.
const FOCUS_MAX: usize = 10;

/// The rounding rule, as the pages state it.
const ROUNDING: &str =
    "Rates are exact in the report and rounded here to one decimal place, half away from zero.";

const CSS: &str = include_str!("style.css");

fn page(title: &str, body: Markup) -> String {
    page_shell(title, CSS, body)
}

/// A self-contained page: `title`, the inline stylesheet `css` and `body`; no scripts, no
/// external resources (the favicon is an empty `data:` URL so browsers fetch nothing).
pub(crate) fn page_shell(title: &str, css: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="icon" href="data:,";
                style { (PreEscaped(css)) }
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
    let l = crate::report::format::decimal_of_f64(view.report().options.confidence_level * 100.0)
        .map(|d| rounded(d, 1).normalize().to_string())
        .unwrap_or_else(|| "95".to_owned());
    format!("{l}%")
}

/// A difference of two fractions in percentage points, one decimal, half away from zero.
fn points(gap: Decimal) -> String {
    gap.checked_mul(Decimal::ONE_HUNDRED)
        .map_or_else(|| "–".to_owned(), |p| format!("{:.1}", rounded(p, 1)))
}

/// A p value with three decimals, half away from zero (`< 0.001` below that).
fn p_text(p: f64) -> String {
    if p.is_nan() {
        return "–".to_owned();
    }
    if p < 0.0005 {
        return "< 0.001".to_owned();
    }
    crate::report::format::decimal_of_f64(p)
        .map_or_else(|| "–".to_owned(), |d| format!("{:.3}", rounded(d, 3)))
}

/// A module id as a heading: `chemotherapy_safety` → `Chemotherapy safety`.
fn module_label(module: &str) -> String {
    let words = module.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => "Other".to_owned(),
    }
}

/// The small-number rule, as the practice page states it.
fn small_n_rule() -> String {
    format!(
        "National figures (pooled rate, median, percentiles, and the practice's percentile rank among them) are shown only where at least {MIN_PRACTICES_SHOWN} practices make the national distribution, so that none can be read back as another practice's rate; no other practice is named."
    )
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

/// A chart's text alternative; `n` is the national aggregate when it may be shown.
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
        None => s.push_str("no national distribution shown"),
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
                @if let Some(p) = t.p_value { " (p " (p_text(p)) ")" }
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
                            " (threshold " (percent(e.threshold, 1)) ") with " (e.charts) " unique charts; the score qualifies applications until "
                            (e.valid_until.to_string()) "."
                        }
                    }
                    Err(why) => {
                        p.bad { "Not eligible to apply on " (status.on.to_string()) ":" }
                        ul.reasons { @for w in why { li { (w.to_string()) } } }
                        @if let Some((deadline, days, open)) = score_review(view, why, status.on) {
                            @if open {
                                p { "The practice may request a review of its score until " (deadline.to_string())
                                    " (" (days) " days after the report of " (view.report().issued_on.to_string()) ")." }
                            } @else {
                                p.muted { "The window to request a review of the score closed on " (deadline.to_string())
                                    " (" (days) " days after the report of " (view.report().issued_on.to_string()) ")." }
                            }
                        }
                    }
                }
            }
            None => { p.muted { "Not assessed: no practice facts (track registration, webinar attendance) were given." } }
        }
    }
}

/// For a practice refused for a score below the threshold, when the view has the rules:
/// the last day it may request a review of its score, the window in days, and whether
/// that day is still to come on `on`.
fn score_review(
    view: &ReportView<'_>,
    why: &[crate::certification::Ineligible],
    on: crate::Date,
) -> Option<(crate::Date, u32, bool)> {
    let below = why.iter().any(|w| {
        matches!(
            w,
            crate::certification::Ineligible::ScoreBelowThreshold { .. }
        )
    });
    let rules = view.rules().filter(|_| below)?;
    let deadline = crate::certification::score_review_deadline(view.report().issued_on, rules);
    Some((deadline, rules.score_review_days, on <= deadline))
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

/// The Overall Quality Score section of a practice page: its scores per round, and its
/// latest score against the national score distribution of that round (percentiles and
/// its percentile rank, only when at least [`MIN_PRACTICES_SHOWN`] practices were scored).
fn score_section(view: &ReportView<'_>, practice: &PracticeId) -> Markup {
    let latest = view.latest_round();
    let scores = view.scores(practice);
    let own = scores
        .iter()
        .rev()
        .find(|o| Some(o.round) == latest)
        .and_then(|o| o.score);
    let national = latest.map(|r| view.national_scores(r)).unwrap_or_default();
    let shown = u64::try_from(national.len()).is_ok_and(|n| n >= MIN_PRACTICES_SHOWN);
    let quantiles = view.score_percentiles(&national);
    let spread: Vec<(Decimal, Decimal)> = quantiles
        .iter()
        .filter_map(|(q, v)| v.map(|v| (*q, v)))
        .collect();
    let median = crate::benchmark::quantile_type7(&national, Decimal::new(5, 1));
    let rank = own.and_then(|s| ReportView::score_rank(&national, s));
    let label = format!(
        "Overall Quality Score: practice {}; national {}",
        pct(own),
        spread
            .iter()
            .map(|(q, v)| format!(
                "p{} {}",
                crate::benchmark::Hundredfold::normalized(*q),
                percent(*v, 1)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    html! {
        h2 { "Overall Quality Score" }
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
        @if let Some(r) = latest {
            h3 { "Against the national distribution, round " (r.to_string()) }
            @if shown {
                p {
                    (national.len()) " practices were scored"
                    @if let Some(rank) = rank { "; this practice's score is at percentile rank " strong { (rounded(rank, 0).to_string()) } " (higher is better)" }
                    "."
                }
                table.compact {
                    thead { tr { @for (q, _) in &quantiles { th.num { "p" (crate::benchmark::Hundredfold::normalized(*q)) } } } }
                    tbody { tr { @for (_, v) in &quantiles { td.num { (pct(*v)) } } } }
                }
                (PreEscaped(svg::distribution(
                    Some(Spread { percentiles: &spread, median }),
                    own.map(|v| Marker { value: Some(v), interval: None, hollow: false }),
                    &label,
                )))
            } @else {
                p.muted { "Fewer than " (MIN_PRACTICES_SHOWN) " practices were scored in the round: the national score distribution is not shown." }
            }
        }
        @if let Some(t) = view.oqs_threshold() {
            p { "The certification threshold under the program's rules is an Overall Quality Score of " (percent(t, 1)) "." }
        }
    }
}

/// The "where to focus" section: the measures whose rate falls furthest short of the
/// national median, in each measure's direction.
fn focus_section(view: &ReportView<'_>, practice: &PracticeId) -> Markup {
    let focus = view.focus(practice);
    html! {
        h2 { "Where to focus" }
        p.legend {
            "Scored measures of the latest round whose rate falls short of the national median, the largest gap first: below the median where a higher rate is better, above it where a lower rate is better (suppressed rates and distributions of fewer than "
            (MIN_PRACTICES_SHOWN) " practices are left out)."
        }
        @if focus.is_empty() {
            p.ok { "No measure falls short of the national median." }
        } @else {
            table.compact {
                thead { tr { th { "Measure" } th.num { "Rate" } th.num { "National median" } th.num { "Gap (points)" } } }
                tbody {
                    @for f in focus.iter().take(FOCUS_MAX) {
                        tr {
                            td { div.title { (f.title) } div.small { code { (f.measure) } " " (direction_badge(f.direction)) } }
                            td.num { strong { (percent(f.rate, 1)) } }
                            td.num { (percent(f.median, 1)) }
                            td.num {
                                (points(f.gap))
                                @match f.direction {
                                    Direction::HigherIsBetter => { div.small { "below the median" } }
                                    Direction::LowerIsBetter => { div.small { "above the median" } }
                                }
                            }
                        }
                    }
                }
            }
            @if focus.len() > FOCUS_MAX {
                p.muted { "The " (FOCUS_MAX) " largest gaps of " (focus.len()) " measures below the national median." }
            }
        }
    }
}

/// One measure's row on a practice page; national figures only when the distribution may
/// be shown.
fn measure_row(row: &MeasureRow<'_>, latest: Option<RoundId>) -> Markup {
    html! {
        @if let Some((rate, national)) = row.latest() {
            @let shown = national.filter(|n| ReportView::shown_to_practice(n));
            tr class=[rate.suppressed.then_some("suppressed")] {
                td {
                    div.title { (row.title) }
                    div.small { code { (row.measure) } " " (direction_badge(row.direction))
                        @if row.informational { " " span.badge { "informational" } }
                        @if Some(rate.round) != latest { " " span.badge { "round " (rate.round.to_string()) } }
                    }
                }
                td.num {
                    strong { (pct(rate.rate)) }
                    div.small { (rate.met) " / " (rate.eligible) }
                    @if rate.suppressed { div.small.supp { "suppressed" } }
                }
                td.num { @if let Some(i) = rate.interval { (percent(i.low, 1)) " – " (percent(i.high, 1)) } @else { "–" } }
                td.num.small {
                    @let practices = national.map_or(0, |n| n.practices_in_distribution);
                    div { (practices) @if practices == 1 { " practice" } @else { " practices" } }
                    @if let Some(n) = shown {
                        div { "pooled " (pct(n.pooled_rate)) }
                        div { "median " (pct(n.median)) }
                    } @else {
                        div { "too few to show" }
                    }
                }
                td.num { @if let (Some(p), Some(_)) = (rate.percentile_rank, shown) { (rounded(p, 0).to_string()) } @else { "–" } }
                td { (PreEscaped(svg::distribution(shown.map(Spread::of), Some(Marker::of(rate)), &chart_label(row.title, Some(rate), shown)))) }
                td { (trend_cell(row)) }
            }
        }
    }
}

/// The page of one practice, to be handed to it: where to focus, its Overall Quality
/// Score against the national score distribution, certification eligibility and
/// registration, then every measure it was rated on, grouped by module, the latest round's
/// rate and interval beside the national distribution (an SVG chart) and its percentile
/// rank, with the trend across rounds. It names no other practice and shows no other
/// practice's rate: national figures are distributions, and only where at least
/// [`MIN_PRACTICES_SHOWN`] practices make them. It links to nothing.
pub fn practice_page(view: &ReportView<'_>, practice: &PracticeId) -> String {
    let name = view.registration(practice).map(|r| r.name.as_str());
    let heading = name.unwrap_or(practice.as_str());
    let latest = view.latest_round();
    let rows = view.measure_rows(practice);
    let mut modules: BTreeMap<&str, Vec<&MeasureRow<'_>>> = BTreeMap::new();
    for row in &rows {
        modules
            .entry(view.module(row.measure))
            .or_default()
            .push(row);
    }
    let level = level(view);
    let body = html! {
        header {
            h1 { "Quality report: " (heading) }
            p.meta { "Practice id " code { (practice.as_str()) } }
            (report_meta(view))
        }
        main {
            section #focus { (focus_section(view, practice)) }
            section #score {
                (score_section(view, practice))
                (eligibility_section(view, practice))
                (registration_section(view, practice))
            }
            section #measures {
                h2 { "Measures by module" }
                p.legend {
                    "In each chart the national distribution of practice rates for the round: whiskers from the lowest to the highest reported percentile, the box from p25 to p75, the bar at the median; "
                    span.swatch.practice {} " the practice's rate with its " (level) " interval; a hollow marker is a suppressed rate. "
                    (small_n_rule())
                }
                @if rows.is_empty() {
                    p.muted { "The practice has no rated measures in this report." }
                }
                @for (module, rows) in &modules {
                    h3 id=(format!("module-{module}")) { (module_label(module)) " " span.small { "(" (rows.len()) @if rows.len() == 1 { " measure)" } @else { " measures)" } } }
                    table.measures {
                        thead { tr {
                            th { "Measure" } th.num { "Rate, met / eligible" } th.num { (level) " interval" }
                            th.num { "National" } th.num { "Percentile rank" } th { "Beside the national distribution" } th { "Trend across rounds" }
                        } }
                        tbody { @for row in rows { (measure_row(row, latest)) } }
                    }
                }
            }
        }
        footer { p.meta { "Generated by oncoqual " (env!("CARGO_PKG_VERSION")) ". " (ROUNDING) } }
    };
    page(&format!("Quality report: {heading}"), body)
}

/// The operator's national index page (it names every practice: never hand it to one):
/// the national Overall Quality Score distribution (with the certification threshold of
/// the view's rules, when given) and eligibility summary, the national aggregate of every
/// measure per round (latest first) with its distribution chart, and a link to every
/// practice's folder. It sits one folder deep ([`NATIONAL_INDEX`](super::NATIONAL_INDEX)):
/// its links are `../<practice folder>/index.html`.
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
    let scored = latest.map(|r| view.national_scores(r)).unwrap_or_default();
    let threshold = view.oqs_threshold();
    let at_threshold = threshold.map(|t| scored.iter().filter(|s| **s >= t).count());
    let charts: u64 = report
        .participation
        .iter()
        .filter(|p| Some(p.round) == latest)
        .map(|p| p.charts)
        .sum();
    let (assessed, eligible, reasons) = view.eligibility_summary();
    let mut rounds: Vec<RoundId> = report.rounds.clone();
    rounds.reverse();
    let oqs_quantiles = view.score_percentiles(&scored);
    let histogram_label = match threshold {
        Some(t) => format!(
            "Overall Quality Scores of {} practices in ten-point bins; dashed line at the certification threshold, {}",
            scored.len(),
            percent(t, 1)
        ),
        None => format!(
            "Overall Quality Scores of {} practices in ten-point bins",
            scored.len()
        ),
    };
    let body = html! {
        header {
            h1 { "National aggregate" }
            p.bad { "The operator's index: it names every practice. Hand each practice its own folder, never this page." }
            (report_meta(view))
        }
        main {
            section #oqs {
                h2 { "Overall Quality Score" @if let Some(r) = latest { ", round " (r.to_string()) } }
                p {
                    (scored.len()) " practices scored on the " code { (report.options.oqs_track) } " track ("
                    (serde_json::to_value(report.options.oqs_method).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
                    "); "
                    @if let (Some(t), Some(n)) = (threshold, at_threshold) { (n) " at or above the certification threshold of " (percent(t, 1)) "; " }
                    (charts) " unique charts in the round."
                }
                (PreEscaped(svg::histogram(&scored, threshold, &histogram_label)))
                table.compact {
                    thead { tr { @for (p, _) in &oqs_quantiles { th.num { "p" (crate::benchmark::Hundredfold::normalized(*p)) } } } }
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
                                    td { (PreEscaped(svg::distribution(Some(Spread::of(n)), None, &chart_label(view.title(&n.measure), None, Some(n))))) }
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
                                td { a href=(format!("../{}/{PRACTICE_PAGE}", practice_folder_name(p.as_str()))) { code { (p.as_str()) } } }
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
        footer { p.meta { "Generated by oncoqual " (env!("CARGO_PKG_VERSION")) ". " (ROUNDING) } }
    };
    page("National aggregate", body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certification::EligibilityRules;
    use crate::report::view::tests::{PRACTICES, hand_report};

    fn id(s: &str) -> PracticeId {
        PracticeId::new(s).expect("a practice id")
    }

    fn rules(threshold: Decimal) -> EligibilityRules {
        let mut r = EligibilityRules::new(10);
        r.oqs_threshold = threshold;
        r
    }

    #[test]
    fn a_practice_below_the_threshold_is_told_the_last_day_to_request_a_score_review() {
        let report = hand_report();
        let below = crate::certification::Ineligible::ScoreBelowThreshold {
            score: Decimal::new(5, 1),
            threshold: Decimal::new(6, 1),
        };
        let status = |on: &str| {
            crate::report::EligibilityStatus::new(
                crate::Date::parse(on).expect("a date"),
                Err(vec![below.clone()]),
            )
        };
        let r = rules(Decimal::new(6, 1));
        // Within the 10 days after the report of 2026-09-15, and after them.
        let view = ReportView::new(&report)
            .with_rules(&r)
            .with_eligibility(id("zz-alpha"), status("2026-09-20"));
        let page = practice_page(&view, &id("zz-alpha"));
        assert!(
            page.contains("may request a review of its score until 2026-09-25 (10 days after the report of 2026-09-15)"),
            "{page}"
        );
        let view = ReportView::new(&report)
            .with_rules(&r)
            .with_eligibility(id("zz-alpha"), status("2026-10-01"));
        let page = practice_page(&view, &id("zz-alpha"));
        assert!(page.contains("review of the score closed on 2026-09-25"));
        // Without the rules, no deadline is invented.
        let view = ReportView::new(&report).with_eligibility(id("zz-alpha"), status("2026-09-20"));
        assert!(!practice_page(&view, &id("zz-alpha")).contains("review"));
    }

    #[test]
    fn a_practice_page_names_no_other_practice_shows_no_other_rate_and_links_nowhere() {
        let report = hand_report();
        let view = ReportView::new(&report).with_rules(&rules(Decimal::new(6, 1)));
        let page = practice_page(&view, &id("zz-alpha"));
        assert!(page.contains("zz-alpha"));
        for other in &PRACTICES[1..] {
            assert!(!page.contains(other), "{other} on zz-alpha's page");
        }
        // The other practices' rates on core.a, and the only score not matched by a figure
        // of zz-alpha's own.
        for rate in ["81.8%", "82.8%", "83.8%", "84.8%", "85.9%", "90.0%"] {
            assert!(!page.contains(rate), "{rate} on zz-alpha's page");
        }
        for href in page.split("href=\"").skip(1) {
            assert!(
                href.starts_with("data:"),
                "a link: {}",
                &href[..20.min(href.len())]
            );
        }
    }

    #[test]
    fn a_distribution_of_fewer_than_five_practices_is_left_off_the_practice_page() {
        let report = hand_report();
        let view = ReportView::new(&report);
        let page = practice_page(&view, &id("zz-alpha"));
        // core.e: 3 practices; its median 42.4% and pooled rate 51.5% stay off the page.
        assert!(!page.contains("42.4%") && !page.contains("51.5%"), "{page}");
        assert!(page.contains("too few to show"));
        assert!(page.contains(&format!("at least {MIN_PRACTICES_SHOWN} practices")));
        // core.a: 6 practices, its median shown.
        assert!(page.contains("median 80.0%"));
    }

    #[test]
    fn the_practice_page_lists_where_to_focus_in_order_and_groups_measures_by_module() {
        let report = hand_report();
        let view = ReportView::new(&report);
        let page = practice_page(&view, &id("zz-alpha"));
        let focus = &page[page.find("Where to focus").expect("the focus section")
            ..page.find("id=\"score\"").expect("the score section")];
        let a = focus.find("core.a").expect("core.a to focus on");
        let b = focus.find("core.b").expect("core.b to focus on");
        assert!(a < b, "the larger gap first");
        assert!(
            !focus.contains("core.c") && !focus.contains("core.d") && !focus.contains("core.e")
        );
        assert!(focus.contains("30.0") && focus.contains("above the median"));
        assert!(page.contains("id=\"module-core\"") && page.contains(">Core "));
        // Its score against the national scores: percentile rank 25 of six.
        assert!(page.contains("6 practices were scored"), "{page}");
        assert!(page.contains("<strong>25</strong>"), "{page}");
    }

    #[test]
    fn thresholds_come_from_the_rules_never_a_constant() {
        let report = hand_report();
        let view = ReportView::new(&report).with_rules(&rules(Decimal::new(6, 1)));
        let page = practice_page(&view, &id("zz-alpha"));
        assert!(page.contains("an Overall Quality Score of 60.0%"), "{page}");
        let index = index_page(&view);
        assert!(index.contains("6 at or above the certification threshold of 60.0%"));
        assert!(
            !index.contains("75.0%") && !index.contains("75%"),
            "{index}"
        );
        // Without rules no threshold is stated or drawn.
        let view = ReportView::new(&report);
        assert!(!practice_page(&view, &id("zz-alpha")).contains("threshold"));
        let index = index_page(&view);
        assert!(!index.contains("threshold"), "{index}");
    }

    #[test]
    fn the_national_index_links_each_practice_to_its_folder() {
        let report = hand_report();
        let index = index_page(&ReportView::new(&report));
        for p in PRACTICES {
            assert!(
                index.contains(&format!(
                    "href=\"../{}/index.html\"",
                    practice_folder_name(p)
                )),
                "{p}"
            );
        }
    }

    #[test]
    fn p_values_and_points_round_half_away_from_zero() {
        assert_eq!(p_text(0.0625), "0.063");
        assert_eq!(p_text(0.0125), "0.013");
        assert_eq!(p_text(0.0001), "< 0.001");
        assert_eq!(p_text(f64::NAN), "–");
        assert_eq!(points(Decimal::new(125, 4)), "1.3");
        assert_eq!(module_label("chemotherapy_safety"), "Chemotherapy safety");
        assert_eq!(module_label(""), "Other");
    }
}
