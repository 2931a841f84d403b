//! Building charts in Rust as briefly as in JSON: every record has one setter per field,
//! named as the field (a list field's setter appends one entry; call it again for more),
//! and [`Chart::builder`] ends in [`ChartBuilder::build`], which applies the same checks as
//! JSON ingest. The types already give what the JSON parser checks (real dates, known
//! enumeration values, bounded ids), so `build` runs the chart-level checks: list lengths
//! ([`Limits`]), references between records, dates in order.
//!
//! ```
//! use oncoqual::chart::{CancerType, Chart, Diagnosis, Patient, Regimen, Sex, StageGroup};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let chart = Chart::builder("c-1".parse()?, "p-1".parse()?, "2026-1".parse()?)
//!     .patient(Patient::default().birth_date("1950-03-14".parse()?).sex(Sex::Female))
//!     .diagnoses(
//!         Diagnosis::default()
//!             .id("dx-1".parse()?)
//!             .cancer_type(CancerType::Breast)
//!             .stage_group(StageGroup::IV),
//!     )
//!     .regimens(
//!         Regimen::default()
//!             .id("r-1".parse()?)
//!             .diagnosis_id("dx-1".parse()?)
//!             .start_date("2026-02-03".parse()?),
//!     )
//!     .build()?;
//! // The same chart as its JSON:
//! let json = r#"{"id":"c-1","practice":"p-1","round":"2026-1",
//!   "patient":{"birth_date":"1950-03-14","sex":"female"},
//!   "diagnoses":[{"id":"dx-1","cancer_type":"breast","stage_group":"IV"}],
//!   "regimens":[{"id":"r-1","diagnosis_id":"dx-1","start_date":"2026-02-03"}]}"#;
//! assert_eq!(chart, Chart::from_json(json)?);
//! # Ok(())
//! # }
//! ```

use std::fmt;

use super::validate::{Finding, validate};
use super::{Chart, ChartId, Limits, PracticeId, RoundId};

/// A field a setter can fill: an optional field is set, a list field gets one more entry,
/// and a required one (a chart's id, practice, round and patient) is replaced.
pub trait Slot {
    /// What one call of the setter takes.
    type Item;
    /// Puts `item` in the field.
    fn fill(&mut self, item: Self::Item);
}

impl<T> Slot for Option<T> {
    type Item = T;
    #[inline]
    fn fill(&mut self, item: T) {
        *self = Some(item);
    }
}

impl<T> Slot for Vec<T> {
    type Item = T;
    #[inline]
    fn fill(&mut self, item: T) {
        self.push(item);
    }
}

/// Implements [`Slot`] for a type held directly (replaced by its setter).
macro_rules! replaced_slot {
    ($($ty:ty),*) => {
        $(impl $crate::chart::build::Slot for $ty {
            type Item = $ty;
            #[inline]
            fn fill(&mut self, item: $ty) {
                *self = item;
            }
        })*
    };
}
pub(crate) use replaced_slot;

replaced_slot!(ChartId, PracticeId, RoundId);

/// A chart being built; see [`Chart::builder`]. Its setters are generated from the chart's
/// field list, one per field.
#[derive(Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ChartBuilder {
    pub(super) chart: Chart,
    pub(super) limits: Limits,
}

impl fmt::Debug for ChartBuilder {
    /// Redacted, as the chart's own `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChartBuilder")
            .field("chart", &self.chart)
            .finish()
    }
}

impl Chart {
    /// Starts building a chart with its required fields; add the rest with the builder's
    /// setters (one per field, named as the field) and finish with
    /// [`ChartBuilder::build`].
    pub fn builder(id: ChartId, practice: PracticeId, round: RoundId) -> ChartBuilder {
        ChartBuilder {
            chart: Chart::new(id, practice, round),
            limits: Limits::default(),
        }
    }
}

impl ChartBuilder {
    /// Checks list lengths against `limits` instead of the default [`Limits`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The chart, when it passes the checks JSON ingest applies after parsing; else every
    /// error found (warnings do not refuse a chart: see [`ChartBuilder::build_with_warnings`]).
    pub fn build(self) -> Result<Chart, InvalidChart> {
        self.build_with_warnings().map(|(chart, _)| chart)
    }

    /// As [`ChartBuilder::build`], with the warnings of an accepted chart.
    pub fn build_with_warnings(self) -> Result<(Chart, Vec<Finding>), InvalidChart> {
        let mut findings = validate(&self.chart, &self.limits);
        if findings.iter().any(Finding::is_error) {
            findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
            return Err(InvalidChart { findings });
        }
        Ok((self.chart, findings))
    }
}

/// A chart built in Rust that does not pass the checks of ingest: every finding (at least
/// one is an error), each naming its field path and never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidChart {
    /// The findings: errors first, then any warnings found beside them.
    pub findings: Vec<Finding>,
}

impl fmt::Display for InvalidChart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid chart: ")?;
        for (i, finding) in self.findings.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{finding}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidChart {}
