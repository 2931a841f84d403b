//! Inline SVG charts, written by hand: deterministic bytes (coordinates rounded to one
//! place, half away from zero), explicit width and height, and a `<title>` for screen
//! readers. Text is XML-escaped.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::benchmark::{Interval, NationalMeasure, PracticeRate};
use crate::report::format::rounded;

/// Width and height of the distribution chart.
pub(crate) const DIST_W: u32 = 260;
const DIST_H: u32 = 46;
const LEFT: i64 = 12;
const SPAN: i64 = 236;

/// Escapes text for XML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with one decimal place.
fn coord(v: Decimal) -> String {
    format!("{:.1}", rounded(v, 1))
}

/// The x coordinate of a fraction in [0, 1] (clamped).
fn x_of(fraction: Decimal) -> String {
    coord(x_at(fraction))
}

/// The x position of a fraction in [0, 1] (clamped).
#[allow(
    clippy::arithmetic_side_effects,
    reason = "the fraction is clamped to [0, 1]: LEFT + SPAN × f lies between LEFT and LEFT + SPAN"
)]
fn x_at(fraction: Decimal) -> Decimal {
    let f = fraction.clamp(Decimal::ZERO, Decimal::ONE);
    Decimal::from(LEFT) + Decimal::from(SPAN) * f
}

/// The national side of a distribution chart: percentiles `(fraction, value)` and the
/// median.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spread<'a> {
    /// `(fraction, value)` per percentile, in any order.
    pub(crate) percentiles: &'a [(Decimal, Decimal)],
    /// The median.
    pub(crate) median: Option<Decimal>,
}

impl<'a> Spread<'a> {
    /// The spread of a measure's national aggregate.
    pub(crate) fn of(n: &'a NationalMeasure) -> Spread<'a> {
        Spread {
            percentiles: &n.percentiles,
            median: n.median,
        }
    }
}

/// The practice's side of a distribution chart: its value, interval, and whether the
/// marker is hollow (a suppressed rate).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Marker {
    /// The value.
    pub(crate) value: Option<Decimal>,
    /// Its confidence interval.
    pub(crate) interval: Option<Interval>,
    /// Drawn hollow.
    pub(crate) hollow: bool,
}

impl Marker {
    /// The marker of a practice rate (hollow when suppressed).
    pub(crate) fn of(r: &PracticeRate) -> Marker {
        Marker {
            value: r.rate,
            interval: r.interval,
            hollow: r.suppressed,
        }
    }
}

/// A distribution on a 0–100% axis (whiskers from the lowest to the highest percentile
/// given, a box from p25 to p75, the median as a bar) with, when given, the practice's
/// value as a marker and its confidence interval as a line; a suppressed practice's marker
/// is hollow.
pub(crate) fn distribution(
    spread: Option<Spread<'_>>,
    marker: Option<Marker>,
    label: &str,
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="dist" width="{DIST_W}" height="{DIST_H}" viewBox="0 0 {DIST_W} {DIST_H}" role="img"><title>{}</title>"#,
        escape(label)
    );
    // Axis with ticks at 0, 25, 50, 75, 100%.
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="34" x2="{}" y2="34" stroke="#8a8f98" stroke-width="1"/>"##,
        LEFT + SPAN
    );
    for q in [0i64, 25, 50, 75, 100] {
        let x = x_of(Decimal::new(q, 2));
        let _ = write!(
            s,
            r##"<line x1="{x}" y1="34" x2="{x}" y2="37" stroke="#8a8f98" stroke-width="1"/><text x="{x}" y="45" font-size="8" text-anchor="middle" fill="#4a4f57">{q}</text>"##
        );
    }
    if let Some(n) = spread {
        let mut pcts: Vec<(Decimal, Decimal)> = n.percentiles.to_vec();
        pcts.sort();
        if let (Some(lo), Some(hi)) = (pcts.first(), pcts.last()) {
            let _ = write!(
                s,
                r##"<line class="whisker" x1="{}" y1="17" x2="{}" y2="17" stroke="#6b7280" stroke-width="1.5"/>"##,
                x_of(lo.1),
                x_of(hi.1)
            );
        }
        let find = |f: i64| {
            pcts.iter()
                .find(|(q, _)| *q == Decimal::new(f, 2))
                .map(|(_, v)| *v)
        };
        if let (Some(q1), Some(q3)) = (find(25), find(75)) {
            let (x1, x3) = (x_at(q1), x_at(q3));
            let _ = write!(
                s,
                r##"<rect class="iqr" x="{}" y="9" width="{}" height="16" fill="#d7e3f4" stroke="#5b7db1" stroke-width="1"/>"##,
                coord(x1),
                // Both lie within the plot: the difference never saturates.
                coord(x3.saturating_sub(x1).max(Decimal::ONE))
            );
        }
        if let Some(m) = n.median {
            let x = x_of(m);
            let _ = write!(
                s,
                r##"<line class="median" x1="{x}" y1="7" x2="{x}" y2="27" stroke="#1f3b73" stroke-width="2"/>"##
            );
        }
    }
    if let Some(r) = marker {
        if let Some(i) = r.interval {
            let _ = write!(
                s,
                r##"<line class="ci" x1="{}" y1="17" x2="{}" y2="17" stroke="#b4471f" stroke-width="3" stroke-opacity="0.55"/>"##,
                x_of(i.low),
                x_of(i.high)
            );
        }
        if let Some(rate) = r.value {
            let fill = if r.hollow { "#ffffff" } else { "#b4471f" };
            let _ = write!(
                s,
                r##"<circle class="practice" cx="{}" cy="17" r="4.5" fill="{fill}" stroke="#7a2e12" stroke-width="1.5"/>"##,
                x_of(rate)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Width of the trend sparkline.
pub(crate) const TREND_W: u32 = 120;
const TREND_H: u32 = 46;

/// A practice's rate across rounds (oldest first) as a sparkline on a 0–100% scale;
/// suppressed rounds are hollow points, rounds without a rate are left out.
pub(crate) fn trend(points: &[(Decimal, bool)], label: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="{TREND_W}" height="{TREND_H}" viewBox="0 0 {TREND_W} {TREND_H}" role="img"><title>{}</title>"#,
        escape(label)
    );
    s.push_str(r##"<line x1="8" y1="6" x2="112" y2="6" stroke="#e5e7eb" stroke-width="1"/><line x1="8" y1="40" x2="112" y2="40" stroke="#8a8f98" stroke-width="1"/>"##);
    let n = points.len();
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "`k` is below `n` (at least 2 where it divides) and `v` is clamped to [0, 1]: \
                  the point lies in the 120 × 46 box"
    )]
    let xy = |k: usize, v: Decimal| {
        let x = if n <= 1 {
            Decimal::from(60)
        } else {
            Decimal::from(10) + Decimal::from(100) * Decimal::from(k) / Decimal::from(n - 1)
        };
        let y = Decimal::from(6)
            + Decimal::from(34) * (Decimal::ONE - v.clamp(Decimal::ZERO, Decimal::ONE));
        (coord(x), coord(y))
    };
    if n > 1 {
        let pts: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(k, (v, _))| {
                let (x, y) = xy(k, *v);
                format!("{x},{y}")
            })
            .collect();
        let _ = write!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#1f3b73" stroke-width="1.5"/>"##,
            pts.join(" ")
        );
    }
    for (k, (v, suppressed)) in points.iter().enumerate() {
        let (x, y) = xy(k, *v);
        let fill = if *suppressed { "#ffffff" } else { "#1f3b73" };
        let _ = write!(
            s,
            r##"<circle cx="{x}" cy="{y}" r="3" fill="{fill}" stroke="#1f3b73" stroke-width="1"/>"##
        );
    }
    s.push_str("</svg>");
    s
}

/// Width of the score histogram.
pub(crate) const HIST_W: u32 = 320;
const HIST_H: u32 = 130;

/// A histogram of scores (fractions) in ten bins of 10 points, with the threshold (when
/// given) as a dashed line.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "scores and the threshold are clamped to [0, 1], bins are 0..10, ticks 0..=100 and \
              a bar's height is a count over the largest count times 100: every coordinate \
              lies in the 320 × 130 box"
)]
pub(crate) fn histogram(scores: &[Decimal], threshold: Option<Decimal>, label: &str) -> String {
    let mut bins = [0usize; 10];
    for v in scores {
        let k = ((*v).clamp(Decimal::ZERO, Decimal::ONE) * Decimal::TEN)
            .floor()
            .to_string()
            .parse::<usize>()
            .unwrap_or(0)
            .min(9);
        if let Some(bin) = bins.get_mut(k) {
            *bin += 1;
        }
    }
    let top = bins.iter().copied().max().unwrap_or(0).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="hist" width="{HIST_W}" height="{HIST_H}" viewBox="0 0 {HIST_W} {HIST_H}" role="img"><title>{}</title>"#,
        escape(label)
    );
    // Plot area: x 20..300 (28 per bin), y 10..110.
    s.push_str(r##"<line x1="20" y1="110" x2="300" y2="110" stroke="#8a8f98" stroke-width="1"/>"##);
    for (k, count) in bins.iter().enumerate() {
        let h = Decimal::from(100) * Decimal::from(*count) / Decimal::from(top);
        let x = 20 + 28 * k;
        let _ = write!(
            s,
            r##"<rect x="{}" y="{}" width="26" height="{}" fill="#5b7db1"/>"##,
            x + 1,
            coord(Decimal::from(110) - h),
            coord(h)
        );
        if *count > 0 {
            let _ = write!(
                s,
                r##"<text x="{}" y="{}" font-size="8" text-anchor="middle" fill="#1f2937">{count}</text>"##,
                x + 14,
                coord(Decimal::from(107) - h)
            );
        }
    }
    for q in (0..=100).step_by(20) {
        let x = 20 + 28 * q / 10;
        let _ = write!(
            s,
            r##"<text x="{x}" y="122" font-size="8" text-anchor="middle" fill="#4a4f57">{q}%</text>"##
        );
    }
    if let Some(threshold) = threshold {
        let tx = coord(
            Decimal::from(20) + Decimal::from(280) * threshold.clamp(Decimal::ZERO, Decimal::ONE),
        );
        let _ = write!(
            s,
            r##"<line class="threshold" x1="{tx}" y1="4" x2="{tx}" y2="112" stroke="#b4471f" stroke-width="1.5" stroke-dasharray="4 3"/>"##
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn national() -> NationalMeasure {
        serde_json::from_value(serde_json::json!({
            "round": "2026-1", "measure": "core.x", "direction": "higher_is_better",
            "practices": 5, "practices_in_distribution": 5, "charts": 100,
            "counts": {"IPP": 100, "DENOM": 100, "DENEX": 0, "DENEXCEP": 0, "NUMER": 80, "NUMEX": 0},
            "pooled_rate": "0.8", "mean": "0.78", "median": "0.8",
            "method": "hyndman_fan_type_7",
            "percentiles": [["0.10","0.6"],["0.25","0.7"],["0.50","0.8"],["0.75","0.9"],["0.90","0.95"]]
        }))
        .expect("a national measure")
    }

    fn rate(suppressed: bool) -> PracticeRate {
        serde_json::from_value(serde_json::json!({
            "round": "2026-1", "practice": "p1", "measure": "core.x",
            "counts": {"IPP": 20, "DENOM": 20, "DENEX": 0, "DENEXCEP": 0, "NUMER": 17, "NUMEX": 0},
            "met": 17, "eligible": 20, "rate": "0.85",
            "interval": {"low": "0.6396", "high": "0.9476"},
            "suppressed": suppressed, "percentile_rank": "60"
        }))
        .expect("a practice rate")
    }

    #[test]
    fn distribution_chart_bytes_are_stable() {
        insta::assert_snapshot!(distribution(
            Some(Spread::of(&national())),
            Some(Marker::of(&rate(false))),
            "85.0% <practice> & national"
        ));
    }

    #[test]
    fn suppressed_practice_marker_is_hollow() {
        let svg = distribution(
            Some(Spread::of(&national())),
            Some(Marker::of(&rate(true))),
            "x",
        );
        assert!(svg.contains(r##"class="practice" cx="212.6" cy="17" r="4.5" fill="#ffffff""##));
    }

    #[test]
    fn distribution_without_national_data_draws_only_the_axis_and_the_marker() {
        let svg = distribution(None, Some(Marker::of(&rate(false))), "x");
        assert!(!svg.contains("median") && !svg.contains("iqr"));
        assert!(svg.contains("class=\"practice\""));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = distribution(None, None, r#"<script>"a"&'b'</script>"#);
        assert!(svg.contains("&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;&lt;/script&gt;"));
        assert!(!svg.contains("<script>"));
    }

    #[test]
    fn trend_and_histogram_bytes_are_stable() {
        let t = trend(
            &[
                (Decimal::new(6, 1), false),
                (Decimal::new(75, 2), true),
                (Decimal::ONE, false),
            ],
            "trend",
        );
        let h = histogram(
            &[
                Decimal::new(55, 2),
                Decimal::new(81, 2),
                Decimal::new(89, 2),
                Decimal::ONE,
            ],
            Some(Decimal::new(75, 2)),
            "scores",
        );
        insta::assert_snapshot!(format!("{t}\n{h}"));
    }

    #[test]
    fn histogram_without_rules_draws_no_threshold() {
        let h = histogram(&[Decimal::new(5, 1)], None, "scores");
        assert!(!h.contains("threshold"), "{h}");
        let h = histogram(&[Decimal::new(5, 1)], Some(Decimal::new(6, 1)), "scores");
        assert!(h.contains(r#"class="threshold" x1="188.0""#), "{h}");
    }

    #[test]
    fn rates_outside_zero_to_one_are_clamped_to_the_axis() {
        assert_eq!(x_of(Decimal::from(2)), "248.0");
        assert_eq!(x_of(Decimal::from(-1)), "12.0");
    }
}
