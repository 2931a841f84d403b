#![doc = include_str!("../README.md")]
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
pub mod io;
pub mod measure;
pub mod program;
#[cfg(any(feature = "report", feature = "fhir"))]
pub mod report;
mod round;
#[cfg(feature = "synth")]
pub mod synth;

pub use chart::{Chart, ChartId, Code, Date, Finding, Number, PracticeId, schema};
pub use io::{CheckedChart, JsonlReader, Limits, Record, RecordError, parse_chart};
pub use measure::{Explanation, Library, MeasureInfo, Outcome, Population, Populations};
pub use round::{
    CalendarError, DueKind, DueNotice, InvalidRound, Notice, NoticeKind, Period, RoundCalendar,
    RoundId, RoundSchedule,
};
