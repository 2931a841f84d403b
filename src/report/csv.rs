//! CSV tables for spreadsheet users (the operator's: rows name practices), each with a
//! header line:
//!
//! - `practice_rates.csv` ([`write_practice_rates`]): `round, practice, measure, title,
//!   direction, ipp, denom, denex, denexcep, numer, numex, met, eligible, rate, ci_low,
//!   ci_high, suppressed, percentile_rank, national_pooled_rate, national_median`;
//! - `national.csv` ([`write_national`]): `round, measure, title, direction, practices,
//!   practices_in_distribution, charts, pooled_rate, mean, median`, then one column per
//!   reported percentile (`p10, p25, p50, p75, p90` by default);
//! - `oqs.csv` ([`write_oqs`]): `round, practice, track, method, met, eligible, measures,
//!   charts, missing_measures, score, percentile_rank, national_practices`, then the
//!   national score percentiles (`national_p10, …`);
//! - `trends.csv` ([`write_trends`]): `practice, measure, title, direction, from, to,
//!   skipped, from_rate, to_rate, change, z, p_value, verdict`;
//! - `strata.csv` ([`write_strata`]): `round, level, practice, measure, stratifier,
//!   stratum, ipp, denom, denex, denexcep, numer, numex, met, eligible, rate` (`level` is
//!   `practice`, or `national` with an empty `practice`);
//! - `eligibility.csv` ([`write_eligibility`]): `practice, applying_on, eligible, round,
//!   score, valid_until, reasons`.
//!
//! Rates, scores and changes are fractions rounded to 4 places, percentile ranks to 1, z
//! to 3 and p values to 4, all half away from zero ([`rounded`](super::rounded)); lists in
//! a cell are joined by `; `.
//!
//! Text cells are neutralised against formula injection as OWASP recommends: a text cell
//! (a practice id, a measure id or title, a reason) that starts with `=`, `+`, `-`, `@`, a
//! tab or a carriage return is written with a single quote `'` before it, so a spreadsheet
//! shows it as text instead of running it. Numbers the report computes (counts, rates,
//! scores) are written as they are, so a negative number stays a number.

use std::borrow::Cow;
use std::io::{self, Write};

use rust_decimal::Decimal;

use super::format::{opt_rounded, opt_rounded_f64};
use super::view::ReportView;

/// A text cell as written: with `'` before it when it starts with a character a spreadsheet
/// reads as the start of a formula (`=`, `+`, `-`, `@`, tab, carriage return).
pub fn text_cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Writes the practice table: `round, practice, measure, title, direction, ipp, denom,
/// denex, denexcep, numer, numex, met, eligible, rate, ci_low, ci_high, suppressed,
/// percentile_rank, national_pooled_rate, national_median`.
pub fn write_practice_rates(view: &ReportView<'_>, out: impl Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "round",
        "practice",
        "measure",
        "title",
        "direction",
        "ipp",
        "denom",
        "denex",
        "denexcep",
        "numer",
        "numex",
        "met",
        "eligible",
        "rate",
        "ci_low",
        "ci_high",
        "suppressed",
        "percentile_rank",
        "national_pooled_rate",
        "national_median",
    ])?;
    for r in &view.report().rates {
        let national = view.national(r.round, &r.measure);
        let c = &r.counts;
        w.write_record([
            r.round.to_string(),
            text_cell(r.practice.as_str()).into_owned(),
            text_cell(&r.measure).into_owned(),
            text_cell(view.title(&r.measure)).into_owned(),
            view.direction(&r.measure).as_str().to_owned(),
            c.ipp.to_string(),
            c.denom.to_string(),
            c.denex.to_string(),
            c.denexcep.to_string(),
            c.numer.to_string(),
            c.numex.to_string(),
            r.met.to_string(),
            r.eligible.to_string(),
            opt_rounded(r.rate, 4),
            opt_rounded(r.interval.map(|i| i.low), 4),
            opt_rounded(r.interval.map(|i| i.high), 4),
            r.suppressed.to_string(),
            opt_rounded(r.percentile_rank, 1),
            opt_rounded(national.and_then(|n| n.pooled_rate), 4),
            opt_rounded(national.and_then(|n| n.median), 4),
        ])?;
    }
    w.flush()
}

/// Writes the national table: `round, measure, title, direction, practices,
/// practices_in_distribution, charts, pooled_rate, mean, median`, then one column per
/// reported percentile (`p10`, `p25`, …).
pub fn write_national(view: &ReportView<'_>, out: impl Write) -> io::Result<()> {
    let report = view.report();
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<String> = [
        "round",
        "measure",
        "title",
        "direction",
        "practices",
        "practices_in_distribution",
        "charts",
        "pooled_rate",
        "mean",
        "median",
    ]
    .map(str::to_owned)
    .to_vec();
    let pcts: &[Decimal] = &report.options.percentiles;
    header.extend(
        pcts.iter()
            .map(|p| format!("p{}", crate::benchmark::Hundredfold::normalized(*p))),
    );
    w.write_record(&header)?;
    for n in &report.national {
        let mut row = vec![
            n.round.to_string(),
            text_cell(&n.measure).into_owned(),
            text_cell(view.title(&n.measure)).into_owned(),
            n.direction.as_str().to_owned(),
            n.practices.to_string(),
            n.practices_in_distribution.to_string(),
            n.charts.to_string(),
            opt_rounded(n.pooled_rate, 4),
            opt_rounded(n.mean, 4),
            opt_rounded(n.median, 4),
        ];
        row.extend(pcts.iter().map(|p| {
            opt_rounded(
                n.percentiles.iter().find(|(q, _)| q == p).map(|(_, v)| *v),
                4,
            )
        }));
        w.write_record(&row)?;
    }
    w.flush()
}

/// Writes the eligibility table: `practice, applying_on, eligible, round, score,
/// valid_until, reasons` (reasons joined by `; `).
pub fn write_eligibility(view: &ReportView<'_>, out: impl Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "practice",
        "applying_on",
        "eligible",
        "round",
        "score",
        "valid_until",
        "reasons",
    ])?;
    for (practice, status) in view.eligibilities() {
        let (eligible, round, score, until, reasons) = match &status.result {
            Ok(e) => (
                "true",
                e.round.to_string(),
                opt_rounded(Some(e.score), 4),
                e.valid_until.to_string(),
                String::new(),
            ),
            Err(why) => (
                "false",
                String::new(),
                String::new(),
                String::new(),
                why.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        };
        w.write_record([
            text_cell(practice.as_str()).as_ref(),
            &status.on.to_string(),
            eligible,
            &round,
            &score,
            &until,
            text_cell(&reasons).as_ref(),
        ])?;
    }
    w.flush()
}

/// Writes the Overall Quality Score table: `round, practice, track, method, met, eligible,
/// measures, charts, missing_measures, score, percentile_rank, national_practices`, then one
/// column per reported percentile of the round's national scores (`national_p10`, …).
/// `percentile_rank` is the score's among the round's scores (higher is better),
/// `national_practices` how many practices were scored in the round.
pub fn write_oqs(view: &ReportView<'_>, out: impl Write) -> io::Result<()> {
    let report = view.report();
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<String> = [
        "round",
        "practice",
        "track",
        "method",
        "met",
        "eligible",
        "measures",
        "charts",
        "missing_measures",
        "score",
        "percentile_rank",
        "national_practices",
    ]
    .map(str::to_owned)
    .to_vec();
    header.extend(report.options.percentiles.iter().map(|p| {
        format!(
            "national_p{}",
            crate::benchmark::Hundredfold::normalized(*p)
        )
    }));
    w.write_record(&header)?;
    let mut national: std::collections::BTreeMap<crate::round::RoundId, Vec<Decimal>> =
        std::collections::BTreeMap::new();
    for o in &report.overall_quality_scores {
        let scores = national
            .entry(o.round)
            .or_insert_with(|| view.national_scores(o.round));
        let method = serde_json::to_value(o.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut row = vec![
            o.round.to_string(),
            text_cell(o.practice.as_str()).into_owned(),
            text_cell(&o.track).into_owned(),
            method,
            o.met.to_string(),
            o.eligible.to_string(),
            o.measures.to_string(),
            o.charts.to_string(),
            text_cell(&o.missing_measures.join("; ")).into_owned(),
            opt_rounded(o.score, 4),
            opt_rounded(o.score.and_then(|s| ReportView::score_rank(scores, s)), 1),
            scores.len().to_string(),
        ];
        row.extend(
            view.score_percentiles(scores)
                .into_iter()
                .map(|(_, v)| opt_rounded(v, 4)),
        );
        w.write_record(&row)?;
    }
    w.flush()
}

/// Writes the trends table: `practice, measure, title, direction, from, to, skipped,
/// from_rate, to_rate, change, z, p_value, verdict`, one row per trend of the report
/// (a practice's rate in `to` against its previous round with a rate, `from`; `skipped`
/// the rounds between without data).
pub fn write_trends(view: &ReportView<'_>, out: impl Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "practice",
        "measure",
        "title",
        "direction",
        "from",
        "to",
        "skipped",
        "from_rate",
        "to_rate",
        "change",
        "z",
        "p_value",
        "verdict",
    ])?;
    for t in &view.report().trends {
        w.write_record([
            text_cell(t.practice.as_str()).into_owned(),
            text_cell(&t.measure).into_owned(),
            text_cell(view.title(&t.measure)).into_owned(),
            view.direction(&t.measure).as_str().to_owned(),
            t.from.to_string(),
            t.to.to_string(),
            t.skipped
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            opt_rounded(Some(t.from_rate), 4),
            opt_rounded(Some(t.to_rate), 4),
            opt_rounded(Some(t.change), 4),
            opt_rounded_f64(t.z, 3),
            opt_rounded_f64(t.p_value, 4),
            t.verdict.as_str().to_owned(),
        ])?;
    }
    w.flush()
}

fn strata_row(
    round: &str,
    level: &str,
    practice: &str,
    measure: &str,
    stratifier: &str,
    stratum: &str,
    c: &crate::benchmark::Counts,
) -> Vec<String> {
    let met = c.numer.saturating_sub(c.numex);
    let eligible = c.eligible();
    vec![
        round.to_owned(),
        level.to_owned(),
        text_cell(practice).into_owned(),
        text_cell(measure).into_owned(),
        text_cell(stratifier).into_owned(),
        text_cell(stratum).into_owned(),
        c.ipp.to_string(),
        c.denom.to_string(),
        c.denex.to_string(),
        c.denexcep.to_string(),
        c.numer.to_string(),
        c.numex.to_string(),
        met.to_string(),
        eligible.to_string(),
        // A ratio of two `u64` values: `None` only when nothing is eligible.
        opt_rounded(Decimal::from(met).checked_div(Decimal::from(eligible)), 4),
    ]
}

/// Writes the strata table: `round, level, practice, measure, stratifier, stratum, ipp,
/// denom, denex, denexcep, numer, numex, met, eligible, rate`: a row per stratum of every
/// practice rate (`level` `practice`), then per stratum of every national aggregate
/// (`level` `national`, `practice` empty). `met` is NUMER − NUMEX and `eligible` DENOM −
/// DENEX − DENEXCEP of the stratum, as for rates; the rate is empty when nothing is
/// eligible.
pub fn write_strata(view: &ReportView<'_>, out: impl Write) -> io::Result<()> {
    let report = view.report();
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "round",
        "level",
        "practice",
        "measure",
        "stratifier",
        "stratum",
        "ipp",
        "denom",
        "denex",
        "denexcep",
        "numer",
        "numex",
        "met",
        "eligible",
        "rate",
    ])?;
    for r in &report.rates {
        let round = r.round.to_string();
        for (name, values) in r.strata.iter() {
            for (value, c) in values {
                w.write_record(strata_row(
                    &round,
                    "practice",
                    r.practice.as_str(),
                    &r.measure,
                    name,
                    value,
                    c,
                ))?;
            }
        }
    }
    for n in &report.national {
        let round = n.round.to_string();
        for (name, values) in n.strata.iter() {
            for (value, c) in values {
                w.write_record(strata_row(
                    &round, "national", "", &n.measure, name, value, c,
                ))?;
            }
        }
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cells_that_start_a_formula_are_quoted_and_others_kept() {
        for bad in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1",
            "-1+2",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(text_cell(bad), format!("'{bad}"));
        }
        for ok in ["P001", "core.x", "a=b", "", " =x", "'x"] {
            assert_eq!(text_cell(ok), ok);
        }
    }

    fn written(
        write: impl Fn(&ReportView<'_>, &mut Vec<u8>) -> io::Result<()>,
        view: &ReportView<'_>,
    ) -> String {
        let mut out = Vec::new();
        write(view, &mut out).expect("CSV into memory");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn the_oqs_table_ranks_each_score_among_the_rounds_scores() {
        let report = crate::report::view::tests::hand_report();
        let view = ReportView::new(&report);
        let text = written(|v, o| write_oqs(v, o), &view);
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "round,practice,track,method,met,eligible,measures,charts,missing_measures,score,percentile_rank,national_practices,national_p10,national_p25,national_p50,national_p90"
            )
        );
        assert_eq!(
            lines.next(),
            Some(
                "2026-1,zz-alpha,qcp,pooled,10,20,4,40,,0.7000,25.0,6,0.6500,0.7250,0.8250,0.9250"
            )
        );
        assert_eq!(lines.count(), 5);
    }

    #[test]
    fn the_trends_table_writes_each_trend_rounded_half_away_from_zero() {
        let mut report = crate::report::view::tests::hand_report();
        report.trends = serde_json::from_value(serde_json::json!([{
            "practice": "zz-alpha", "measure": "core.a", "from": "2025-1", "to": "2026-1",
            "skipped": ["2025-2"], "from_rate": "0.40005", "to_rate": "0.5", "change": "0.09995",
            "z": 1.2345, "p_value": 0.21725, "verdict": "no_significant_change"
        }]))
        .expect("a trend");
        let view = ReportView::new(&report);
        let text = written(|v, o| write_trends(v, o), &view);
        assert_eq!(
            text,
            "practice,measure,title,direction,from,to,skipped,from_rate,to_rate,change,z,p_value,verdict\n\
             zz-alpha,core.a,core.a,higher_is_better,2025-1,2026-1,2025-2,0.4001,0.5000,0.1000,1.235,0.2173,no_significant_change\n"
        );
    }

    #[test]
    fn the_strata_table_writes_practice_then_national_strata_with_their_rates() {
        let mut report = crate::report::view::tests::hand_report();
        let strata: crate::benchmark::Strata = serde_json::from_value(serde_json::json!({
            "sex": {
                "female": {"IPP": 4, "DENOM": 4, "DENEX": 1, "DENEXCEP": 0, "NUMER": 2, "NUMEX": 0},
                "=male": {"IPP": 1, "DENOM": 1, "DENEX": 1, "DENEXCEP": 0, "NUMER": 0, "NUMEX": 0}
            }
        }))
        .expect("strata");
        report.rates[0].strata = strata.clone();
        report.national[0].strata = strata;
        let view = ReportView::new(&report);
        let text = written(|v, o| write_strata(v, o), &view);
        assert_eq!(
            text,
            "round,level,practice,measure,stratifier,stratum,ipp,denom,denex,denexcep,numer,numex,met,eligible,rate\n\
             2026-1,practice,zz-alpha,core.a,sex,'=male,1,1,1,0,0,0,0,0,\n\
             2026-1,practice,zz-alpha,core.a,sex,female,4,4,1,0,2,0,2,3,0.6667\n\
             2026-1,national,,core.a,sex,'=male,1,1,1,0,0,0,0,0,\n\
             2026-1,national,,core.a,sex,female,4,4,1,0,2,0,2,3,0.6667\n"
        );
    }
}
