#![doc = include_str!("../README.md")]
//!
//! # Layout
//!
//! The modules stack bottom-up, each using only those before it (no module names one
//! above it, so there is no import cycle; `tests/layering.rs` checks every path):
//!
//! `chart` → `io` → `import` → `dsl` → `measure` → `program` → `benchmark` → `pipeline` → `certification` → `synth` → `report` → `lsp` → `cli`
//!
//! - [`chart`]: the typed chart model, its schema and reflection, validation, rounds and
//!   the reporting calendar, input limits;
//! - [`io`]: reading charts from JSON and JSONL with PHI-safe errors;
//! - `import` (feature `fhir-import`): patient data in other formats (FHIR R4 Bundles and
//!   Bulk Data NDJSON) into charts, with an import report;
//! - [`dsl`]: the measure language's lexer, parser and diagnostics;
//! - [`measure`]: metadata, linking, compilation to IR, evaluation and explain, over the
//!   chart's reflection; it reads files only in `measure/fs.rs` ([`Library::load`]), and
//!   takes text everywhere else ([`Library::from_sources`]);
//! - [`program`]: practices, registrations and course credit;
//! - [`benchmark`]: tallies and the round report;
//! - [`pipeline`]: the one driver that joins the stages (JSONL → parse → evaluate → tally);
//! - [`certification`]: eligibility and the certification workflow;
//! - `synth`, `report`, `lsp`, `cli`: the generator, the reports people read, the language
//!   server for `.oqm` specs (`oncoqual lsp`), the command line.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

pub mod benchmark;
pub mod certification;
pub mod chart;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
pub mod dsl;
#[cfg(feature = "fhir-import")]
pub mod import;
pub mod io;
#[cfg(feature = "cli")]
mod lsp;
pub mod measure;
pub mod pipeline;
pub mod program;
#[cfg(any(feature = "report", feature = "fhir"))]
pub mod report;
#[cfg(feature = "synth")]
pub mod synth;

/// Rounds live in the chart model (`chart/round.rs`); this alias keeps the older internal
/// path `crate::round` working for modules that still name it.
#[allow(unused_imports)]
pub(crate) use chart::round;

pub use chart::round::{
    CalendarError, DueKind, DueNotice, InvalidRound, Notice, NoticeKind, Period, RoundCalendar,
    RoundId, RoundSchedule,
};
pub use chart::{
    Chart, ChartBuilder, ChartId, Code, Date, Finding, InvalidChart, Number, PracticeId, schema,
};
pub use io::{CheckedChart, JsonlReader, Limits, Record, RecordError, parse_chart};
pub use measure::{Explanation, Library, MeasureInfo, Outcome, Population, Populations};
/// The exact decimal of chart numbers ([`Number::value`]) and of rates in reports.
pub use rust_decimal::Decimal;
