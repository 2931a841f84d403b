//! Reports people read, rendered from a benchmark [`Report`](crate::benchmark::Report):
//!
//! - [`html`] (feature `report`): one self-contained page per practice (its rates beside
//!   the national distribution as inline SVG charts, trends, the Overall Quality Score and
//!   certification eligibility) and an index page of the national aggregate;
//! - [`csv`] (feature `report`): the practice and national tables for spreadsheets;
//! - [`fhir`] (feature `fhir`): FHIR R4 `MeasureReport` resources, summary per (practice,
//!   measure, round) and individual per (chart, measure) on request.
//!
//! Every renderer reads a [`ReportView`]: the report plus what it does not hold itself
//! (measure titles from a [`Library`](crate::Library), the round calendar, eligibility).
//! Numbers are exact in the report and rounded once here, half away from zero, at the
//! precision each format states.

#[cfg(feature = "report")]
pub mod certification;
#[cfg(feature = "report")]
pub mod csv;
#[cfg(feature = "fhir")]
pub mod fhir;
mod format;
#[cfg(feature = "report")]
pub mod html;
mod view;

pub use format::{percent, rounded};
pub use view::{EligibilityStatus, MeasureRow, ReportView};
