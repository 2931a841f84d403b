//! Columnar output (feature `parquet`): the report's tables and per-chart outcomes as
//! Apache Parquet files, each with its Arrow schema stored in the file (so an Arrow reader
//! gets back the exact types below). `docs/parquet.md` lists every table and column; a
//! test keeps that page equal to the schemas written.
//!
//! - [`write_tables`]: the tables of `oncoqual report --format csv` and of the Python
//!   package's `Report.to_pandas()` (the same names and columns): `practice_rates`,
//!   `national`, `oqs`, `trends`, `strata`, `participation`, `exclusions`, and
//!   `eligibility` when the view has eligibility;
//! - [`OutcomeWriter`]: `oncoqual evaluate --format parquet`, one row per chart × measure.
//!
//! **Types.** Counts are `Int64`; rates, intervals, percentile ranks, scores and changes are
//! `Decimal128(38, 28)`: the report's exact decimal numbers, unrounded (every value the
//! report holds has at most 28 decimal places, and a 38-digit decimal at scale 28 holds any
//! such value below 10¹⁰ exactly, where a float could not hold 0.1; a value outside that
//! range is refused, never rounded). The trend test's `z` and `p_value`, floats in the
//! report, are `Float64`. Dates are `Date32`; rounds (`2026-1`) are text. Text is written
//! as it is in the report: no spreadsheet formula quoting as in the CSV tables (Parquet is
//! not opened as a spreadsheet). Lists in a cell are joined by `; `, as in the CSV tables.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder, MapBuilder,
    StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rust_decimal::Decimal;

use super::tables::{Cell, Column, ColumnKind, columns, report_tables};
use super::view::ReportView;
use crate::chart::Date;
use crate::measure::{Population, Populations};
use crate::round::Period;
use crate::round::RoundId;

/// Precision of the decimal columns: the most a `Decimal128` holds.
const PRECISION: u8 = 38;
/// Scale of the decimal columns: the most decimal places a report value has.
const SCALE: u32 = 28;

/// Rows gathered before they are handed to the Parquet writer as one batch.
const BATCH_ROWS: usize = 65_536;

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn arrow_err(e: arrow_schema::ArrowError) -> io::Error {
    io::Error::other(format!("arrow: {e}"))
}

fn parquet_err(e: parquet::errors::ParquetError) -> io::Error {
    match e {
        parquet::errors::ParquetError::External(inner) => match inner.downcast::<io::Error>() {
            Ok(io) => *io,
            Err(other) => io::Error::other(format!("parquet: {other}")),
        },
        e => io::Error::other(format!("parquet: {e}")),
    }
}

/// The Arrow type of a column kind.
fn data_type(kind: ColumnKind) -> DataType {
    match kind {
        ColumnKind::Int => DataType::Int64,
        ColumnKind::Decimal => DataType::Decimal128(PRECISION, SCALE as i8),
        ColumnKind::Float => DataType::Float64,
        ColumnKind::Bool => DataType::Boolean,
        ColumnKind::Date => DataType::Date32,
        ColumnKind::Strata => arrow_array::Array::data_type(&strata_builder().finish()).clone(),
        _ => DataType::Utf8,
    }
}

fn strata_builder() -> MapBuilder<StringBuilder, StringBuilder> {
    MapBuilder::new(None, StringBuilder::new(), StringBuilder::new())
}

fn text<'a>(s: impl Into<Cow<'a, str>>) -> Cell<'a> {
    Cell::Text(Some(s.into()))
}

/// A column being built.
enum Col {
    Text(StringBuilder),
    Int(Int64Builder),
    Dec(Decimal128Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Strata(Box<MapBuilder<StringBuilder, StringBuilder>>),
}

/// 1970-01-01, day 0 of `Date32`.
fn epoch() -> Date {
    Date::from_ymd(1970, 1, 1).unwrap_or(Date::MIN)
}

/// Days since 1970-01-01: within `i32` for every supported date (0001–9999).
fn date32(d: Date) -> io::Result<i32> {
    i32::try_from(epoch().days_until(d)).map_err(|_| invalid(format!("date {d} out of range")))
}

/// `d` as a `Decimal128(38, 28)` value: its mantissa scaled up to 28 places.
fn decimal128(d: Decimal) -> io::Result<i128> {
    let out_of_range = || invalid(format!("{d} does not fit Decimal128(38, 28)"));
    let up = SCALE.checked_sub(d.scale()).ok_or_else(out_of_range)?;
    let v = 10i128
        .checked_pow(up)
        .and_then(|f| d.mantissa().checked_mul(f))
        .ok_or_else(out_of_range)?;
    // A 38-digit decimal holds |v| < 10^38.
    let max = 10i128
        .checked_pow(u32::from(PRECISION))
        .ok_or_else(out_of_range)?;
    if v.checked_abs().is_some_and(|a| a < max) {
        Ok(v)
    } else {
        Err(out_of_range())
    }
}

/// A table being built: its Arrow schema and column builders.
struct Table {
    /// The file's name without `.parquet`.
    name: &'static str,
    schema: SchemaRef,
    cols: Vec<Col>,
    rows: usize,
}

impl Table {
    /// An empty table of `columns`.
    fn new(name: &'static str, columns: &[Column]) -> io::Result<Table> {
        let fields: Vec<Field> = columns
            .iter()
            .map(|c| Field::new(c.name.as_str(), data_type(c.kind), c.nullable))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let cols = Self::builders(&schema)?;
        Ok(Table {
            name,
            schema,
            cols,
            rows: 0,
        })
    }

    fn builders(schema: &Schema) -> io::Result<Vec<Col>> {
        schema
            .fields()
            .iter()
            .map(|f| {
                Ok(match f.data_type() {
                    DataType::Utf8 => Col::Text(StringBuilder::new()),
                    DataType::Int64 => Col::Int(Int64Builder::new()),
                    DataType::Decimal128(p, s) => Col::Dec(
                        Decimal128Builder::new()
                            .with_precision_and_scale(*p, *s)
                            .map_err(arrow_err)?,
                    ),
                    DataType::Float64 => Col::Float(Float64Builder::new()),
                    DataType::Boolean => Col::Bool(BooleanBuilder::new()),
                    DataType::Date32 => Col::Date(Date32Builder::new()),
                    DataType::Map(..) => Col::Strata(Box::new(strata_builder())),
                    other => return Err(invalid(format!("no builder for {other}"))),
                })
            })
            .collect()
    }

    /// Appends a row; a cell of the wrong kind, a missing value in a column that is not
    /// nullable or a wrong number of cells is an error (a bug here, not in the data).
    fn row(&mut self, cells: &[Cell<'_>]) -> io::Result<()> {
        if cells.len() != self.cols.len() {
            return Err(invalid(format!(
                "{}: {} cells for {} columns",
                self.name,
                cells.len(),
                self.cols.len()
            )));
        }
        for ((col, cell), field) in self.cols.iter_mut().zip(cells).zip(self.schema.fields()) {
            match (col, cell) {
                (Col::Text(b), Cell::Text(v)) => b.append_option(v.as_deref()),
                (Col::Int(b), Cell::Int(v)) => b.append_value(
                    i64::try_from(*v)
                        .map_err(|_| invalid(format!("{}: {v} out of Int64", field.name())))?,
                ),
                (Col::Dec(b), Cell::Decimal(v)) => {
                    b.append_option(v.map(decimal128).transpose()?);
                }
                (Col::Float(b), Cell::Float(v)) => b.append_option(*v),
                (Col::Bool(b), Cell::Bool(v)) => b.append_value(*v),
                (Col::Date(b), Cell::Date(v)) => b.append_option(v.map(date32).transpose()?),
                (Col::Strata(b), Cell::Strata(pairs)) => {
                    for (k, v) in pairs.iter() {
                        b.keys().append_value(k);
                        b.values().append_option(*v);
                    }
                    b.append(true).map_err(arrow_err)?;
                }
                _ => {
                    return Err(invalid(format!(
                        "{}: a cell of the wrong kind in `{}`",
                        self.name,
                        field.name()
                    )));
                }
            }
        }
        self.rows = self.rows.saturating_add(1);
        Ok(())
    }

    /// The rows appended since the last batch, as a batch (checked against the schema:
    /// a null in a column that is not nullable is an error).
    fn batch(&mut self) -> io::Result<RecordBatch> {
        let arrays: Vec<ArrayRef> = self
            .cols
            .iter_mut()
            .map(|c| -> ArrayRef {
                match c {
                    Col::Text(b) => Arc::new(b.finish()),
                    Col::Int(b) => Arc::new(b.finish()),
                    Col::Dec(b) => Arc::new(b.finish()),
                    Col::Float(b) => Arc::new(b.finish()),
                    Col::Bool(b) => Arc::new(b.finish()),
                    Col::Date(b) => Arc::new(b.finish()),
                    Col::Strata(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).map_err(arrow_err)
    }
}

fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build()
}

/// A whole table as a Parquet file's bytes.
fn encode(table: &mut Table) -> io::Result<Vec<u8>> {
    let batch = table.batch()?;
    let mut w = ArrowWriter::try_new(Vec::new(), table.schema.clone(), Some(properties()))
        .map_err(parquet_err)?;
    w.write(&batch).map_err(parquet_err)?;
    w.into_inner().map_err(parquet_err)
}

/// Writes the report's tables as Parquet files, handing each file's name
/// (`practice_rates.parquet`, …) and bytes to `write`, in the order of `docs/parquet.md`;
/// returns how many. `eligibility.parquet` is written only when the view has eligibility.
pub fn write_tables(
    view: &ReportView<'_>,
    mut write: impl FnMut(&str, &[u8]) -> io::Result<()>,
) -> io::Result<usize> {
    let mut n = 0usize;
    for t in report_tables(view) {
        let mut table = Table::new(t.name, &t.columns)?;
        for row in &t.rows {
            table.row(row)?;
        }
        let bytes = encode(&mut table)?;
        write(&format!("{}.parquet", t.name), &bytes)?;
        n = n.saturating_add(1);
    }
    Ok(n)
}

/// The columns of `outcomes.parquet` ([`OutcomeWriter`]).
const OUTCOMES: &str = "chart:s round:s period_start:t period_end:t measure:s ipp:b denom:b \
                        denex:b denexcep:b numer:b numex:b strata:m";

/// Per-chart outcomes as one Parquet file (`oncoqual evaluate --format parquet`): a row per
/// chart × measure with the chart's id, round and reporting period, the measure's id, a
/// column per population (`ipp`, `denom`, `denex`, `denexcep`, `numer`, `numex`: whether
/// the chart is in it) and the chart's stratum per stratifier of the measure. Rows are
/// written in batches as they come; [`finish`](Self::finish) writes the file's footer.
pub struct OutcomeWriter<W: Write + Send> {
    table: Table,
    writer: ArrowWriter<W>,
}

impl<W: Write + Send> std::fmt::Debug for OutcomeWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutcomeWriter")
            .field("pending_rows", &self.table.rows)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send> OutcomeWriter<W> {
    /// A writer of outcome rows into `out`.
    pub fn new(out: W) -> io::Result<Self> {
        let table = Table::new("outcomes", &columns(OUTCOMES, Vec::new()))?;
        let writer = ArrowWriter::try_new(out, table.schema.clone(), Some(properties()))
            .map_err(parquet_err)?;
        Ok(OutcomeWriter { table, writer })
    }

    /// Appends the row of one chart × measure: `populations` the chart is in, `strata`
    /// (stratifier, stratum) for each stratifier of the measure, in its order.
    pub fn push(
        &mut self,
        chart: &str,
        round: RoundId,
        period: Period,
        measure: &str,
        populations: Populations,
        strata: &[(&str, Option<&str>)],
    ) -> io::Result<()> {
        let mut row = vec![
            text(chart),
            text(round.to_string()),
            Cell::Date(Some(period.start)),
            Cell::Date(Some(period.end)),
            text(measure),
        ];
        row.extend(
            Population::ALL
                .iter()
                .map(|p| Cell::Bool(populations.contains(*p))),
        );
        row.push(Cell::Strata(strata));
        self.table.row(&row)?;
        if self.table.rows >= BATCH_ROWS {
            self.flush_rows()?;
        }
        Ok(())
    }

    fn flush_rows(&mut self) -> io::Result<()> {
        if self.table.rows > 0 {
            let batch = self.table.batch()?;
            self.writer.write(&batch).map_err(parquet_err)?;
        }
        Ok(())
    }

    /// Writes the rows still held and the file's footer; returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush_rows()?;
        self.writer.into_inner().map_err(parquet_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::EligibilityStatus;
    use crate::report::tables::percentile_name;
    use arrow_array::Array as _;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    /// A documented column: name, type, nullable.
    type DocColumn = (String, String, bool);
    /// A documented table: file name, columns.
    type DocTable = (String, Vec<DocColumn>);

    /// A type as `docs/parquet.md` writes it.
    fn type_name(t: &DataType) -> String {
        match t {
            DataType::Map(entries, _) => match entries.data_type() {
                DataType::Struct(kv) => format!(
                    "Map({}, {})",
                    kv.iter()
                        .next()
                        .map_or_else(String::new, |f| type_name(f.data_type())),
                    kv.get(1)
                        .map_or_else(String::new, |f| type_name(f.data_type())),
                ),
                other => format!("Map({other})"),
            },
            other => other.to_string(),
        }
    }

    fn read(bytes: Vec<u8>) -> Vec<RecordBatch> {
        ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
            .expect("a parquet file")
            .build()
            .expect("a reader")
            .collect::<Result<Vec<_>, _>>()
            .expect("batches")
    }

    /// The Arrow schema stored in a Parquet file (also when it has no rows).
    fn schema_of(bytes: &[u8]) -> SchemaRef {
        ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::copy_from_slice(bytes))
            .expect("a parquet file")
            .schema()
            .clone()
    }

    fn view_with_eligibility(report: &crate::benchmark::Report) -> ReportView<'_> {
        let on = Date::from_ymd(2026, 9, 1).expect("a date");
        ReportView::new(report).with_eligibility(
            crate::chart::PracticeId::new("zz-alpha").expect("an id"),
            EligibilityStatus::new(on, Err(Vec::new())),
        )
    }

    /// `docs/parquet.md`'s tables: file name → (column, type, nullable) rows.
    fn documented() -> Vec<DocTable> {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/parquet.md"))
            .expect("docs/parquet.md");
        let mut out: Vec<DocTable> = Vec::new();
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("### ") {
                let name = h.trim().trim_matches('`').to_owned();
                out.push((name, Vec::new()));
            } else if let Some(row) = line.strip_prefix("| `")
                && let Some((_, cols)) = out.last_mut()
            {
                let cells: Vec<&str> = row.split(" | ").map(str::trim).collect();
                let name = cells[0].trim_end_matches('`').to_owned();
                let ty = cells[1].trim_matches('`').to_owned();
                let nullable = match cells[2] {
                    "yes" => true,
                    "no" => false,
                    other => panic!("nullable `{other}` for {name}"),
                };
                cols.push((name, ty, nullable));
            }
        }
        out
    }

    /// A schema's columns as the doc writes them, the percentile columns of `pcts` folded
    /// back into `p{N}` / `national_p{N}`.
    fn as_documented(schema: &Schema, pcts: &[String]) -> Vec<DocColumn> {
        let mut out: Vec<DocColumn> = Vec::new();
        for f in schema.fields() {
            let mut name = f.name().clone();
            for p in pcts {
                if let Some(prefix) = name.strip_suffix(p.as_str())
                    && (prefix.is_empty() || prefix == "national_")
                {
                    name = format!("{prefix}p{{N}}");
                }
            }
            let row = (name, type_name(f.data_type()), f.is_nullable());
            if !out.contains(&row) {
                out.push(row);
            }
        }
        out
    }

    #[test]
    fn the_documented_schema_is_the_schema_written() {
        let report = crate::report::view::tests::hand_report();
        let view = view_with_eligibility(&report);
        let pcts: Vec<String> = report
            .options
            .percentiles
            .iter()
            .map(|p| percentile_name("", *p))
            .collect();
        let mut written: Vec<DocTable> = Vec::new();
        write_tables(&view, |name, bytes| {
            written.push((name.to_owned(), as_documented(&schema_of(bytes), &pcts)));
            Ok(())
        })
        .expect("tables");
        let mut out = Vec::new();
        OutcomeWriter::new(&mut out)
            .and_then(OutcomeWriter::finish)
            .expect("an empty outcome file");
        written.push((
            "outcomes.parquet".to_owned(),
            as_documented(&schema_of(&out), &pcts),
        ));
        let doc = documented();
        let names = |v: &[DocTable]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&doc),
            names(&written),
            "the tables of docs/parquet.md"
        );
        for ((name, d), (_, w)) in doc.iter().zip(&written) {
            assert_eq!(d, w, "the columns of {name} in docs/parquet.md");
        }
    }

    #[test]
    fn decimals_are_exact_at_scale_28_and_out_of_range_is_refused() {
        let at28 = |d: Decimal| decimal128(d).ok();
        assert_eq!(at28(Decimal::new(5, 1)), Some(5 * 10i128.pow(27)));
        assert_eq!(at28(Decimal::from(100)), Some(10i128.pow(30)));
        assert_eq!(at28(Decimal::new(-125, 3)), Some(-125 * 10i128.pow(25)));
        // 1/3 to rust_decimal's 28 places is kept to the last digit.
        let third = Decimal::ONE.checked_div(Decimal::from(3)).expect("a third");
        assert_eq!(third.scale(), 28);
        assert_eq!(at28(third), Some(third.mantissa()));
        // 10^10 needs 39 digits at scale 28: refused, never rounded.
        assert_eq!(at28(Decimal::from(10_000_000_000u64)), None);
        assert_eq!(
            at28(Decimal::from(9_999_999_999u64)),
            Some(9_999_999_999 * 10i128.pow(28))
        );
    }

    #[test]
    fn outcome_rows_read_back_with_their_dates_populations_and_strata() {
        let mut out = Vec::new();
        let mut w = OutcomeWriter::new(&mut out).expect("a writer");
        let period = Period::new(
            Date::from_ymd(2026, 1, 1).expect("a date"),
            Date::from_ymd(2026, 6, 30).expect("a date"),
        )
        .expect("a period");
        let round: RoundId = "2026-1".parse().expect("a round");
        let pops = Populations::from_criteria(true, true, false, false, true, false);
        w.push(
            "c1",
            round,
            period,
            "core.a",
            pops,
            &[("sex", Some("female")), ("age", None)],
        )
        .expect("a row");
        w.push("c2", round, period, "core.b", Populations::NONE, &[])
            .expect("a row");
        w.finish().expect("the footer");
        let batches = read(out);
        assert_eq!(batches.len(), 1);
        let b = &batches[0];
        assert_eq!(b.num_rows(), 2);
        let dates = b
            .column_by_name("period_end")
            .and_then(|c| c.as_any().downcast_ref::<arrow_array::Date32Array>())
            .expect("dates");
        // 2026-06-30 is day 20634 of the epoch.
        assert_eq!(dates.value(0), 20634);
        let numer = b
            .column_by_name("numer")
            .and_then(|c| c.as_any().downcast_ref::<arrow_array::BooleanArray>())
            .expect("numer");
        assert!(numer.value(0) && !numer.value(1));
        let denex = b
            .column_by_name("denex")
            .and_then(|c| c.as_any().downcast_ref::<arrow_array::BooleanArray>())
            .expect("denex");
        assert!(!denex.value(0));
        let strata = b
            .column_by_name("strata")
            .and_then(|c| c.as_any().downcast_ref::<arrow_array::MapArray>())
            .expect("strata");
        assert_eq!(strata.value_length(0), 2);
        assert_eq!(strata.value_length(1), 0);
        assert_eq!(strata.values().null_count(), 1);
    }
}
