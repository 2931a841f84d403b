//! Importing patient data held in other formats into charts.
//!
//! Sits above `chart` and `io` (it builds charts and validates them as ingest does) and
//! below everything that reads charts: the measure engine never knows where a chart came
//! from.
//!
//! - [`fhir`] (feature `fhir-import`): FHIR R4 Bundles and Bulk Data NDJSON.

#[cfg(feature = "fhir-import")]
pub mod fhir;
