//! Test writers for round trips of the FHIR import (see `core.rs`): [`write`] writes one whole
//! chart as FHIR resources with the chart the import must give back.
#![allow(dead_code)]

pub mod core;

use oncoqual::Chart;

pub use self::core::Writer;

/// The chart roots the writers fill.
pub const ROOTS_WRITTEN: &[&str] = &[
    "conditions",
    "death",
    "diagnoses",
    "encounters",
    "id",
    "patient",
];

/// Writes one chart as FHIR resources with the chart the import must give back.
pub fn write(c: &Chart) -> Writer {
    let mut w = Writer::new(c.id.as_str());
    self::core::patient(&mut w, &c.patient, c.death.as_ref());
    for (i, d) in c.diagnoses.iter().enumerate() {
        self::core::diagnosis(&mut w, i, d);
    }
    for (i, x) in c.conditions.iter().enumerate() {
        self::core::condition(&mut w, i, x);
    }
    for (i, e) in c.encounters.iter().enumerate() {
        self::core::encounter(&mut w, i, e);
    }
    w
}
