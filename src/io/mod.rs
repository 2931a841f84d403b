//! Reading charts: one JSON document, or a JSONL stream with per-record errors.
//!
//! Every error names where (line, column, field path) and what (kind, expected), and never the
//! rejected value: serde's own messages echo values, so they are mapped to
//! (path, kind, expected) and the value dropped.

pub(crate) mod file;
mod jsonl;
mod ledger;
mod parse;

pub use crate::chart::Limits;
pub use jsonl::{JsonlReader, Record};
#[cfg(feature = "parallel")]
pub(crate) use jsonl::{RawBlock, split_lines};
// `evaluate`'s own batches (the CLI's); `cli` brings `parallel`.
#[cfg(feature = "cli")]
pub(crate) use jsonl::{RawLine, parse_raw_ref};
pub use ledger::ChartLedger;
pub use parse::{CheckedChart, RecordError, parse_chart, parse_chart_projected};
