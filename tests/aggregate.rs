//! Practice rates and the national aggregate on a hand-worked tally.

mod common;

use std::str::FromStr;

use oncoqual::Library;
use oncoqual::benchmark::{Options, QUANTILE_METHOD, Tally, aggregate};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

const HIGHER: &str = "core.tobacco-use-status-documented";
const LOWER: &str = "core.chemo-metastatic-poor-or-undocumented-ps";

/// Five practices; (met, eligible) on the higher-is-better measure: 5/10, 8/10, 9/12,
/// 3/4 (suppressed: under 10), 0/0 (no rate); and on the lower-is-better one: 2/10, 6/10.
fn tally() -> Tally {
    let row = |p: &str, counts: &[(&str, u64, u64, u64)]| {
        let measures: Vec<String> = counts
            .iter()
            .map(|(m, denom, denex, numer)| {
                format!(
                    r#""{m}":{{"total":{{"IPP":{denom},"DENOM":{denom},"DENEX":{denex},"DENEXCEP":0,"NUMER":{numer},"NUMEX":0}}}}"#
                )
            })
            .collect();
        format!(
            r#"{{"round":"2026-1","practice":"{p}","charts":20,"measures":{{{}}}}}"#,
            measures.join(",")
        )
    };
    let rows = [
        row("P1", &[(HIGHER, 10, 0, 5), (LOWER, 10, 0, 2)]),
        row("P2", &[(HIGHER, 10, 0, 8), (LOWER, 10, 0, 6)]),
        row("P3", &[(HIGHER, 13, 1, 9)]),
        row("P4", &[(HIGHER, 4, 0, 3)]),
        row("P5", &[(HIGHER, 2, 2, 0)]),
    ];
    common::hand_tally(&rows)
}

#[test]
fn practice_rates_intervals_suppression_and_ranks_are_as_worked_by_hand() {
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let (rates, _) = aggregate(&tally(), lib, &Options::default());
    let get = |p: &str, m: &str| {
        rates
            .iter()
            .find(|r| r.practice.as_str() == p && r.measure == m)
            .unwrap()
    };
    let p1 = get("P1", HIGHER);
    assert_eq!((p1.met, p1.eligible, p1.rate), (5, 10, Some(d("0.5"))));
    let i = p1.interval.unwrap();
    assert_eq!(
        (i.low.round_dp(4), i.high.round_dp(4)),
        (d("0.2366"), d("0.7634"))
    );
    assert!(!p1.suppressed);
    // Distribution {0.5, 0.75, 0.8}: P1 is worst (1/2 of one of three), P2 best.
    assert_eq!(p1.percentile_rank.unwrap().round_dp(4), d("16.6667"));
    assert_eq!(
        get("P2", HIGHER).percentile_rank.unwrap().round_dp(4),
        d("83.3333")
    );
    assert_eq!(get("P3", HIGHER).rate, Some(d("0.75")));
    let p4 = get("P4", HIGHER);
    assert!(p4.suppressed && p4.percentile_rank.is_none() && p4.rate == Some(d("0.75")));
    let p5 = get("P5", HIGHER);
    assert_eq!(
        (p5.rate, p5.interval),
        (None, None),
        "zero rate denominator: no rate"
    );
    // Lower is better: 0.2 beats 0.6.
    assert_eq!(get("P1", LOWER).percentile_rank, Some(d("75")));
    assert_eq!(get("P2", LOWER).percentile_rank, Some(d("25")));
}

#[test]
fn the_national_aggregate_pools_counts_and_reports_type7_percentiles() {
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let (_, national) = aggregate(&tally(), lib, &Options::default());
    let n = national.iter().find(|n| n.measure == HIGHER).unwrap();
    assert_eq!(n.practices, 5);
    assert_eq!(n.practices_in_distribution, 3);
    assert_eq!(n.charts, 10 + 10 + 13 + 4 + 2);
    // Pooled over every practice, suppressed ones included: (5+8+9+3+0)/(10+10+12+4+0).
    assert_eq!(n.pooled_rate, Some(d("25") / d("36")));
    assert_eq!(n.mean, Some((d("0.5") + d("0.8") + d("0.75")) / d("3")));
    assert_eq!(n.median, Some(d("0.75")));
    assert_eq!(n.method, QUANTILE_METHOD);
    // R: quantile(c(.5, .75, .8), c(.1, .25, .5, .75, .9)) = 0.55 0.625 0.75 0.775 0.79
    let values: Vec<Decimal> = n.percentiles.iter().map(|(_, v)| *v).collect();
    assert_eq!(
        values,
        [d("0.55"), d("0.625"), d("0.75"), d("0.775"), d("0.79")]
    );
}

fn tally_two_rounds() -> Tally {
    let row = |round: &str, p: &str, counts: &[(&str, u64, u64)]| {
        let measures: Vec<String> = counts
            .iter()
            .map(|(m, denom, numer)| {
                format!(
                    r#""{m}":{{"total":{{"IPP":{denom},"DENOM":{denom},"DENEX":0,"DENEXCEP":0,"NUMER":{numer},"NUMEX":0}}}}"#
                )
            })
            .collect();
        // Every count within the row's charts (a tally is checked for that on load).
        let charts = counts.iter().map(|c| c.1).max().unwrap_or(0).max(30);
        format!(
            r#"{{"round":"{round}","practice":"{p}","charts":{charts},"measures":{{{}}}}}"#,
            measures.join(",")
        )
    };
    let rows = [
        row("2026-1", "P1", &[(HIGHER, 100, 50), (LOWER, 100, 10)]),
        row("2026-2", "P1", &[(HIGHER, 100, 65), (LOWER, 100, 25)]),
        row("2025-2", "P2", &[(HIGHER, 12, 9), (LOWER, 4, 2)]),
        row("2026-2", "P2", &[(HIGHER, 12, 10), (LOWER, 4, 2)]),
        row(
            "2026-2",
            "P3",
            &[("informational.clinical-trial-enrollment", 10, 1)],
        ),
    ];
    common::hand_tally(&rows)
}

#[test]
fn the_overall_quality_score_turns_lower_is_better_measures_round() {
    use oncoqual::benchmark::{OqsMethod, overall_quality_scores};
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let t = tally_two_rounds();
    let pooled = overall_quality_scores(&t, lib, "qcp", OqsMethod::Pooled, |_| true);
    let get = |v: &[oncoqual::benchmark::Oqs], round: &str, p: &str| {
        v.iter()
            .find(|o| o.round.to_string() == round && o.practice.as_str() == p)
            .cloned()
            .unwrap()
    };
    // P2 in 2025-2: tobacco 9/12 met; QOPI5 (lower is better) 2 of 4 in the numerator, so
    // 2 of 4 met: pooled (9 + 2) / (12 + 4).
    let o = get(&pooled, "2025-2", "P2");
    assert_eq!((o.met, o.eligible, o.measures, o.charts), (11, 16, 2, 30));
    assert_eq!(o.score, Some(d("11") / d("16")));
    let mean = overall_quality_scores(&t, lib, "qcp", OqsMethod::MeanOfRates, |_| true);
    assert_eq!(get(&mean, "2025-2", "P2").score, Some(d("0.625")));
    // Only practices on the track get a score, over every measure of the track.
    let only_p1 = overall_quality_scores(&t, lib, "qcp", OqsMethod::Pooled, |p| p.as_str() == "P1");
    assert!(only_p1.iter().all(|o| o.practice.as_str() == "P1"));
    assert!(!only_p1.is_empty());
    // Informational measures never count: P3 has no score.
    assert_eq!(get(&pooled, "2026-2", "P3").score, None);
}

#[test]
fn trends_name_gaps_and_judge_significance_by_direction() {
    use oncoqual::benchmark::{TrendVerdict, trends};
    let lib = Library::bundled().unwrap_or_else(|e| panic!("{e}"));
    let (rates, _) = aggregate(&tally_two_rounds(), lib, &Options::default());
    let all = trends(&rates, lib, 0.05);
    let get = |p: &str, m: &str| {
        all.iter()
            .find(|t| t.practice.as_str() == p && t.measure == m)
            .unwrap()
    };
    // 50/100 → 65/100: z = 0.15 / sqrt(.575 × .425 × .02) = 2.1456, p = 0.0319.
    let t = get("P1", HIGHER);
    assert_eq!(
        (t.from.to_string(), t.to.to_string()),
        ("2026-1".into(), "2026-2".into())
    );
    assert!(t.skipped.is_empty());
    assert_eq!(t.change, d("0.15"));
    assert!((t.z.unwrap() - 2.1456).abs() < 1e-3 && (t.p_value.unwrap() - 0.0319).abs() < 1e-3);
    assert_eq!(t.verdict, TrendVerdict::Improvement);
    // Lower is better: 10% → 25% is a significant decline.
    assert_eq!(get("P1", LOWER).verdict, TrendVerdict::Decline);
    // P2 skipped 2026-1: a gap, and 9/12 → 10/12 is not significant.
    let t = get("P2", HIGHER);
    assert_eq!(
        t.skipped
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["2026-1"]
    );
    assert_eq!(t.verdict, TrendVerdict::NoSignificantChange);
}
