//! Reports people read, rendered from a benchmark [`Report`](crate::benchmark::Report):
//!
//! - [`html`] (feature `report`): one self-contained folder per practice, to be handed to
//!   it (its rates beside the national distribution as inline SVG charts, its percentile
//!   ranks, where to focus, trends, the Overall Quality Score against the national score
//!   distribution and certification eligibility; never another practice's identity or
//!   rate), and, only on request, the operator's national index naming every practice;
//! - [`csv`] (feature `report`): the practice, national, Overall Quality Score, trend,
//!   strata and eligibility tables for spreadsheets;
//! - [`parquet`] (feature `parquet`): the same tables, and per-chart outcomes, as Apache
//!   Parquet files with exact decimal rates (`docs/parquet.md`);
//! - [`fhir`] (feature `fhir`): FHIR R4 `MeasureReport` resources, summary per (practice,
//!   measure, round) and individual per (chart, measure) on request.
//!
//! Every renderer reads a [`ReportView`]: the report plus what it does not hold itself
//! (measure titles from a [`Library`](crate::Library), the round calendar, eligibility and
//! the certification rules whose thresholds the pages state).
//!
//! **Rounding.** Numbers are exact in the report and rounded once, at the rendering
//! boundary, by [`rounded`] (and [`percent`] built on it): half away from zero (`0.125` →
//! `0.13`), at the precision each format states (HTML and command-line percentages one
//! decimal, CSV fractions four); no renderer truncates or rounds half to even.

#[cfg(feature = "report")]
pub mod certification;
#[cfg(feature = "report")]
pub mod csv;
#[cfg(feature = "fhir")]
pub mod fhir;
mod format;
#[cfg(feature = "report")]
pub mod html;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(feature = "report")]
pub mod tables;
mod view;

pub use format::{percent, rounded};
pub use view::{EligibilityStatus, Focus, MIN_PRACTICES_SHOWN, MeasureRow, ReportView};
