#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod chart;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
pub mod io;
mod round;
#[cfg(feature = "synth")]
pub mod synth;

pub use chart::{schema, Chart, ChartId, Code, Date, Finding, Number, PracticeId};
pub use io::{parse_chart, CheckedChart, JsonlReader, Limits, Record, RecordError};
pub use round::{CalendarError, InvalidRound, Period, RoundCalendar, RoundId};
