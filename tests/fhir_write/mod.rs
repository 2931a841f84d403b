//! Test writers for round trips of the FHIR import (see `core.rs`): [`write`] writes one whole
//! chart as FHIR resources with the chart the import must give back.
#![allow(dead_code)]

pub mod core;
pub mod obs;
pub mod req;

use oncoqual::Chart;
use oncoqual::chart::{AssessmentKind, LabResult};
use serde_json::{Map, Value};

pub use self::core::Writer;

/// The chart roots the writers fill.
pub const ROOTS_WRITTEN: &[&str] = &[
    "conditions",
    "death",
    "diagnoses",
    "encounters",
    "id",
    "labs",
    "patient",
    "assessments",
    "referrals",
    // Not "recommendations": the synthetic charts recommend treatments only, which no
    // ServiceRequest code of the import names (the writer covers the tests it does).
    "documents",
    "discussions",
    "genetic_tests",
];

fn put<T: serde::Serialize>(m: &mut Map<String, Value>, k: &str, v: &Option<T>) {
    if let Some(v) = v {
        m.insert(k.to_owned(), serde_json::to_value(v).unwrap());
    }
}

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
    if let Some(d) = &c.death {
        req::hospice(&mut w, d);
    }
    for (i, r) in c.referrals.iter().enumerate() {
        req::referral(&mut w, i, r);
    }
    for (i, r) in c.recommendations.iter().enumerate() {
        req::recommendation(&mut w, i, r);
    }
    for (i, d) in c.documents.iter().enumerate() {
        req::document(&mut w, i, d);
    }
    for (i, d) in c.discussions.iter().enumerate() {
        req::discussion(&mut w, i, d);
    }
    for (i, t) in c.genetic_tests.iter().enumerate() {
        req::genetic_test(&mut w, i, t);
    }
    for (i, a) in c.assessments.iter().enumerate() {
        let Some(r) = obs::assessment(&format!("asm-{i}"), &w.patient, a) else {
            continue;
        };
        let mut want = Map::new();
        put(&mut want, "kind", &a.kind);
        put(&mut want, "date", &a.date);
        put(&mut want, "scale", &a.scale);
        if a.kind == Some(AssessmentKind::TobaccoUse) {
            put(&mut want, "tobacco_status", &a.tobacco_status);
        } else {
            put(&mut want, "score", &a.score);
        }
        w.resources.push(r);
        w.expect_item("assessments", want);
    }
    for (i, l) in c.labs.iter().enumerate() {
        let unit = obs::LAB_CODES
            .iter()
            .find(|(t, _, _)| Some(*t) == l.test)
            .and_then(|(_, _, u)| *u);
        let qualitative = l.value.is_none() || unit.is_none();
        if qualitative
            && l.result
                .is_some_and(|r| !matches!(r, LabResult::Positive | LabResult::Negative))
        {
            continue;
        }
        let Some(r) = obs::lab(&format!("lab-{i}"), &w.patient, l) else {
            continue;
        };
        let mut want = Map::new();
        put(&mut want, "test", &l.test);
        put(&mut want, "date", &l.date);
        if qualitative {
            put(&mut want, "result", &l.result);
        } else {
            put(&mut want, "value", &l.value);
        }
        w.resources.push(r);
        w.expect_item("labs", want);
    }
    w
}
