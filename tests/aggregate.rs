//! Practice rates and the national aggregate on a hand-worked tally.

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
    serde_json::from_str(&format!(
        r#"{{"oncoqual_tally":1,"rows":[{}]}}"#,
        rows.join(",")
    ))
    .unwrap()
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
