//! CSV tables for spreadsheet users: practice rates (one row per practice × measure ×
//! round, the national figures beside), the national aggregate (one row per measure ×
//! round) and certification eligibility (one row per assessed practice). Rates are
//! fractions rounded to 4 places, percentile ranks to 1, half away from zero.
//!
//! Text cells are neutralised against formula injection as OWASP recommends: a text cell
//! (a practice id, a measure id or title, a reason) that starts with `=`, `+`, `-`, `@`, a
//! tab or a carriage return is written with a single quote `'` before it, so a spreadsheet
//! shows it as text instead of running it. Numbers the report computes (counts, rates,
//! scores) are written as they are, so a negative number stays a number.

use std::borrow::Cow;
use std::io::{self, Write};

use rust_decimal::Decimal;

use super::format::opt_rounded;
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
}
