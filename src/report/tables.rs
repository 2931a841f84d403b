//! The report as typed tables: the rows of `oncoqual report --format csv`, of the Parquet
//! files (`report --format parquet`) and of the Python package's `Report.to_pandas()`, built
//! once here with exact values (decimals unrounded, text unquoted, dates as dates); each
//! output only encodes them.
//!
//! Columns are declared as `name:kind` words: `s` text, `i` integer, `d` decimal, `f` float,
//! `b` boolean, `t` date, `m` a map of stratifier to stratum; a `?` after the kind marks a
//! column that may hold no value.

use std::borrow::Cow;

use rust_decimal::Decimal;

use super::view::ReportView;
use crate::chart::Date;
use crate::round::RoundId;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnKind {
    /// Text.
    Text,
    /// A count (an unsigned integer).
    Int,
    /// An exact decimal: a rate, an interval end, a percentile rank, a score, a change.
    Decimal,
    /// A floating-point number (the trend test's statistics, floats in the report too).
    Float,
    /// True or false.
    Bool,
    /// A calendar date.
    Date,
    /// Stratifier → stratum (the stratum absent when the chart is in none).
    Strata,
}

/// A column: its name, what it holds, and whether a cell may hold no value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Column {
    /// The name (the CSV header, the Parquet field, the DataFrame column).
    pub name: String,
    /// What it holds.
    pub kind: ColumnKind,
    /// Whether a cell may be empty.
    pub nullable: bool,
}

/// One cell: its value, `None` for no value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Cell<'a> {
    /// Text.
    Text(Option<Cow<'a, str>>),
    /// A count.
    Int(u64),
    /// An exact decimal.
    Decimal(Option<Decimal>),
    /// A float.
    Float(Option<f64>),
    /// A boolean.
    Bool(bool),
    /// A date.
    Date(Option<Date>),
    /// Stratifier → stratum pairs.
    Strata(&'a [(&'a str, Option<&'a str>)]),
}

/// A table: its name (the file name without extension), columns and rows.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Table<'a> {
    /// `practice_rates`, `national`, ...
    pub name: &'static str,
    /// The columns, in order.
    pub columns: Vec<Column>,
    /// The rows, each a cell per column.
    pub rows: Vec<Vec<Cell<'a>>>,
}

/// The columns declared by `spec` (`name:kind` words, see the module), then `more`
/// nullable decimal columns. An unknown kind letter is text (the Parquet schema test and
/// the unit test below read every table's kinds).
pub(crate) fn columns(spec: &str, more: Vec<String>) -> Vec<Column> {
    let mut out: Vec<Column> = spec
        .split_whitespace()
        .map(|word| {
            let (name, k) = word.split_once(':').unwrap_or((word, "s"));
            let (k, nullable) = match k.strip_suffix('?') {
                Some(k) => (k, true),
                None => (k, false),
            };
            let kind = match k {
                "i" => ColumnKind::Int,
                "d" => ColumnKind::Decimal,
                "f" => ColumnKind::Float,
                "b" => ColumnKind::Bool,
                "t" => ColumnKind::Date,
                "m" => ColumnKind::Strata,
                _ => ColumnKind::Text,
            };
            Column {
                name: name.to_owned(),
                kind,
                nullable,
            }
        })
        .collect();
    out.extend(more.into_iter().map(|name| Column {
        name,
        kind: ColumnKind::Decimal,
        nullable: true,
    }));
    out
}

impl<'a> Table<'a> {
    fn new(name: &'static str, spec: &str, more: Vec<String>) -> Table<'a> {
        Table {
            name,
            columns: columns(spec, more),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<Cell<'a>>) {
        debug_assert_eq!(cells.len(), self.columns.len(), "{}", self.name);
        self.rows.push(cells);
    }
}

fn text<'a>(s: impl Into<Cow<'a, str>>) -> Cell<'a> {
    Cell::Text(Some(s.into()))
}

fn counts_cells(c: &crate::benchmark::Counts) -> [Cell<'static>; 6] {
    [
        Cell::Int(c.ipp),
        Cell::Int(c.denom),
        Cell::Int(c.denex),
        Cell::Int(c.denexcep),
        Cell::Int(c.numer),
        Cell::Int(c.numex),
    ]
}

pub(crate) fn percentile_name(prefix: &str, p: Decimal) -> String {
    format!("{prefix}p{}", crate::benchmark::Hundredfold::normalized(p))
}

fn joined<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The report's tables, filled: `practice_rates`, `national`, `oqs`, `trends`, `strata`,
/// `participation`, `exclusions`, and `eligibility` when the view has eligibility.
///
/// ```
/// use oncoqual::benchmark::{Report, ReportOptions, Tally};
/// use oncoqual::measure::Library;
/// use oncoqual::report::ReportView;
/// use oncoqual::report::tables::{ColumnKind, report_tables};
/// let lib = Library::bundled().unwrap();
/// let report = Report::build(&Tally::new(), lib, &ReportOptions::default(), oncoqual::Date::MIN, true).unwrap();
/// let view = ReportView::new(&report);
/// let tables = report_tables(&view);
/// let rates = tables.iter().find(|t| t.name == "practice_rates").unwrap();
/// let rate = rates.columns.iter().find(|c| c.name == "rate").unwrap();
/// assert_eq!(rate.kind, ColumnKind::Decimal);
/// assert!(rates.rows.is_empty(), "an empty tally has no rates");
/// ```
pub fn report_tables<'a>(view: &'a ReportView<'_>) -> Vec<Table<'a>> {
    let report = view.report();
    let mut out = Vec::new();

    let mut t = Table::new(
        "practice_rates",
        "round:s practice:s measure:s title:s direction:s ipp:i denom:i denex:i denexcep:i \
         numer:i numex:i met:i eligible:i rate:d? ci_low:d? ci_high:d? suppressed:b \
         percentile_rank:d? national_pooled_rate:d? national_median:d?",
        Vec::new(),
    );
    for r in &report.rates {
        let national = view.national(r.round, &r.measure);
        let mut row = vec![
            text(r.round.to_string()),
            text(r.practice.as_str()),
            text(r.measure.as_str()),
            text(view.title(&r.measure)),
            text(view.direction(&r.measure).as_str()),
        ];
        row.extend(counts_cells(&r.counts));
        row.extend([
            Cell::Int(r.met),
            Cell::Int(r.eligible),
            Cell::Decimal(r.rate),
            Cell::Decimal(r.interval.map(|i| i.low)),
            Cell::Decimal(r.interval.map(|i| i.high)),
            Cell::Bool(r.suppressed),
            Cell::Decimal(r.percentile_rank),
            Cell::Decimal(national.and_then(|n| n.pooled_rate)),
            Cell::Decimal(national.and_then(|n| n.median)),
        ]);
        t.row(row);
    }
    out.push(t);

    let pcts = &report.options.percentiles;
    let mut t = Table::new(
        "national",
        "round:s measure:s title:s direction:s practices:i practices_in_distribution:i \
         charts:i pooled_rate:d? mean:d? median:d?",
        pcts.iter().map(|p| percentile_name("", *p)).collect(),
    );
    for n in &report.national {
        let mut row = vec![
            text(n.round.to_string()),
            text(n.measure.as_str()),
            text(view.title(&n.measure)),
            text(n.direction.as_str()),
            Cell::Int(n.practices),
            Cell::Int(n.practices_in_distribution),
            Cell::Int(n.charts),
            Cell::Decimal(n.pooled_rate),
            Cell::Decimal(n.mean),
            Cell::Decimal(n.median),
        ];
        row.extend(
            pcts.iter().map(|p| {
                Cell::Decimal(n.percentiles.iter().find(|(q, _)| q == p).map(|(_, v)| *v))
            }),
        );
        t.row(row);
    }
    out.push(t);

    let mut t = Table::new(
        "oqs",
        "round:s practice:s track:s method:s? met:i eligible:i measures:i charts:i \
         missing_measures:s score:d? percentile_rank:d? national_practices:i",
        pcts.iter()
            .map(|p| percentile_name("national_", *p))
            .collect(),
    );
    let mut national: std::collections::BTreeMap<RoundId, Vec<Decimal>> =
        std::collections::BTreeMap::new();
    for o in &report.overall_quality_scores {
        let scores = national
            .entry(o.round)
            .or_insert_with(|| view.national_scores(o.round));
        let method = serde_json::to_value(o.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned));
        let mut row = vec![
            text(o.round.to_string()),
            text(o.practice.as_str()),
            text(o.track.as_str()),
            Cell::Text(method.map(Cow::Owned)),
            Cell::Int(o.met),
            Cell::Int(o.eligible),
            Cell::Int(o.measures),
            Cell::Int(o.charts),
            text(o.missing_measures.join("; ")),
            Cell::Decimal(o.score),
            Cell::Decimal(o.score.and_then(|s| ReportView::score_rank(scores, s))),
            Cell::Int(u64::try_from(scores.len()).unwrap_or(u64::MAX)),
        ];
        row.extend(
            view.score_percentiles(scores)
                .into_iter()
                .map(|(_, v)| Cell::Decimal(v)),
        );
        t.row(row);
    }
    out.push(t);

    let mut t = Table::new(
        "trends",
        "practice:s measure:s title:s direction:s from:s to:s skipped:s from_rate:d \
         to_rate:d change:d z:f? p_value:f? verdict:s",
        Vec::new(),
    );
    for tr in &report.trends {
        t.row(vec![
            text(tr.practice.as_str()),
            text(tr.measure.as_str()),
            text(view.title(&tr.measure)),
            text(view.direction(&tr.measure).as_str()),
            text(tr.from.to_string()),
            text(tr.to.to_string()),
            text(joined(&tr.skipped)),
            Cell::Decimal(Some(tr.from_rate)),
            Cell::Decimal(Some(tr.to_rate)),
            Cell::Decimal(Some(tr.change)),
            Cell::Float(tr.z),
            Cell::Float(tr.p_value),
            text(tr.verdict.as_str()),
        ]);
    }
    out.push(t);

    let mut t = Table::new(
        "strata",
        "round:s level:s practice:s? measure:s stratifier:s stratum:s ipp:i denom:i denex:i \
         denexcep:i numer:i numex:i met:i eligible:i rate:d?",
        Vec::new(),
    );
    #[allow(clippy::too_many_arguments)]
    fn strata_row<'a>(
        t: &mut Table<'a>,
        round: String,
        level: &'static str,
        practice: Option<&'a str>,
        measure: &'a str,
        stratifier: &'a str,
        stratum: &'a str,
        c: &crate::benchmark::Counts,
    ) {
        let met = c.numer.saturating_sub(c.numex);
        let eligible = c.eligible();
        let mut row = vec![
            text(round),
            text(level),
            Cell::Text(practice.map(Cow::Borrowed)),
            text(measure),
            text(stratifier),
            text(stratum),
        ];
        row.extend(counts_cells(c));
        row.extend([
            Cell::Int(met),
            Cell::Int(eligible),
            // A ratio of two `u64` values: `None` only when nothing is eligible.
            Cell::Decimal(Decimal::from(met).checked_div(Decimal::from(eligible))),
        ]);
        t.row(row);
    }
    for r in &report.rates {
        for (name, values) in r.strata.iter() {
            for (value, c) in values {
                strata_row(
                    &mut t,
                    r.round.to_string(),
                    "practice",
                    Some(r.practice.as_str()),
                    &r.measure,
                    name,
                    value,
                    c,
                );
            }
        }
    }
    for n in &report.national {
        for (name, values) in n.strata.iter() {
            for (value, c) in values {
                strata_row(
                    &mut t,
                    n.round.to_string(),
                    "national",
                    None,
                    &n.measure,
                    name,
                    value,
                    c,
                );
            }
        }
    }
    out.push(t);

    let mut t = Table::new("participation", "round:s practice:s charts:i", Vec::new());
    for p in &report.participation {
        t.row(vec![
            text(p.round.to_string()),
            text(p.practice.as_str()),
            Cell::Int(p.charts),
        ]);
    }
    out.push(t);

    let mut t = Table::new(
        "exclusions",
        "round:s practice:s charts:i excluded:b reasons:s",
        Vec::new(),
    );
    for x in &report.registration.exclusions {
        t.row(vec![
            text(x.round.to_string()),
            text(x.practice.as_str()),
            Cell::Int(x.charts),
            Cell::Bool(x.excluded),
            text(joined(&x.reasons)),
        ]);
    }
    out.push(t);

    if view.eligibilities().next().is_some() {
        let mut t = Table::new(
            "eligibility",
            "practice:s applying_on:t eligible:b round:s? score:d? valid_until:t? reasons:s",
            Vec::new(),
        );
        for (practice, status) in view.eligibilities() {
            let row = match &status.result {
                Ok(e) => vec![
                    text(practice.as_str()),
                    Cell::Date(Some(status.on)),
                    Cell::Bool(true),
                    Cell::Text(Some(Cow::Owned(e.round.to_string()))),
                    Cell::Decimal(Some(e.score)),
                    Cell::Date(Some(e.valid_until)),
                    text(""),
                ],
                Err(why) => vec![
                    text(practice.as_str()),
                    Cell::Date(Some(status.on)),
                    Cell::Bool(false),
                    Cell::Text(None),
                    Cell::Decimal(None),
                    Cell::Date(None),
                    text(joined(why)),
                ],
            };
            t.row(row);
        }
        out.push(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_has_its_columns_kind_and_no_value_only_where_the_column_allows_it() {
        let report = crate::report::view::tests::hand_report();
        let view = ReportView::new(&report);
        let tables = report_tables(&view);
        let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            [
                "practice_rates",
                "national",
                "oqs",
                "trends",
                "strata",
                "participation",
                "exclusions"
            ]
        );
        for t in &tables {
            if matches!(t.name, "practice_rates" | "national" | "oqs") {
                assert!(!t.rows.is_empty(), "{}", t.name);
            }
            for row in &t.rows {
                assert_eq!(row.len(), t.columns.len(), "{}", t.name);
                for (cell, col) in row.iter().zip(&t.columns) {
                    let (kind, empty) = match cell {
                        Cell::Text(v) => (ColumnKind::Text, v.is_none()),
                        Cell::Int(_) => (ColumnKind::Int, false),
                        Cell::Decimal(v) => (ColumnKind::Decimal, v.is_none()),
                        Cell::Float(v) => (ColumnKind::Float, v.is_none()),
                        Cell::Bool(_) => (ColumnKind::Bool, false),
                        Cell::Date(v) => (ColumnKind::Date, v.is_none()),
                        Cell::Strata(_) => (ColumnKind::Strata, false),
                    };
                    assert_eq!(kind, col.kind, "{}.{}", t.name, col.name);
                    assert!(!empty || col.nullable, "{}.{} is empty", t.name, col.name);
                }
            }
        }
    }
}
