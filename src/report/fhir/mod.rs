//! FHIR R4 resources as our own small serde types: `MeasureReport`s — summary reports per
//! (practice, measure, round) from a benchmark report, individual reports per (chart,
//! measure) from an evaluation outcome, and subject-list reports per measure (both only on
//! request: they name charts) — and the library's definitions (`Measure`, `Library`,
//! `ValueSet`; see [`definitions`]), which the reports' canonicals resolve to.
//!
//! Population codes come from `http://terminology.hl7.org/CodeSystem/measure-population`;
//! `improvementNotation` from the measure's direction
//! (`http://terminology.hl7.org/CodeSystem/measure-improvement-notation`: `increase` |
//! `decrease`); `measureScore` is the rate (net numerator over net denominator) rounded to
//! 6 places, half away from zero, and absent when there is no rate. MeasureReports are
//! written one per line ([`write_ndjson`]: NDJSON, the FHIR bulk-data format); definitions
//! one JSON file each ([`Resource::to_json`]).
//!
//! A subject-list report ([`SubjectLists`]) is made per (reporting period, measure) over
//! the charts added: each population's count, and for a non-empty one `subjectResults`
//! pointing at a `List` of its charts (by identifier, `urn:oncoqual:chart`, sorted);
//! stratifiers carry counts per stratum only.
//!
//! # Definitions
//!
//! The library published as FHIR R4 definitions: a `Measure` and a `Library` per measure,
//! a `Library` per shared `lib` module, and a `ValueSet` per value set. MeasureReports
//! point at the `Measure` canonicals written here (`urn:oncoqual:measure:<id>`, version
//! the spec's), so every report resolves.
//!
//! Choices (each one documented where a consumer would look):
//!
//! - **Canonicals**: `urn:oncoqual:measure:<id>`, `urn:oncoqual:library:<id>` (a measure's
//!   logic has its measure's id; a shared module its `lib.NAME`),
//!   `urn:oncoqual:valueset:<name>`. A measure and its Library carry the spec's `version`;
//!   a shared module or value set has no version of its own, so its `version` is the first
//!   16 hex digits of the BLAKE3 hash of its file: it changes exactly when the file does.
//! - **Logic**: `Library.content` holds the `.oqm` file byte for byte (base64), content
//!   type `text/x-oqm` — the `x-` form of an unregistered media type, as CQL used
//!   `text/cql` before registration. A population's `criteria` is an `Expression` in that
//!   language whose `expression` names the criterion in the spec (`initial_population`,
//!   `denominator`, …; a proportion measure without a `denominator` uses its initial
//!   population, so that criterion is `initial_population`).
//! - **Scoring**: `proportion`; composites `composite` (terminology.hl7.org measure-scoring)
//!   with `compositeScoring` `all-or-nothing` and `relatedArtifact` `composed-of` each
//!   component, whose populations they are built from (the group lists only the composite's
//!   own initial population). *Informational* measures keep `proportion`: they have a
//!   numerator and their MeasureReports a score, which `cohort` could not describe; their
//!   `usage` says they are reported and never scored.
//! - **Data requirements**: one `DataRequirement` per chart root the measure reads, its
//!   `type` from the one chart → FHIR table (`chart/fhir_map.rs`), `profile` the logical
//!   model element (`urn:oncoqual:chart:<root>`) and `mustSupport` the field paths read
//!   below it, relative to the root (`cancer_type`, `biomarkers.result`), as
//!   [`Library::data_requirements`](crate::measure::Library::data_requirements) lists them.
//! - **Dates**: nothing carries a clock. `date` (and the expansion `timestamp`, which R4
//!   requires) come from [`ExportOptions::date`]; without it `date` is omitted and the
//!   timestamp is `1970-01-01T00:00:00Z`, standing for "as the file lists it": the
//!   expansion is the value set file's own code list, and `version` names its content.
//! - **Ids**: the measure id, module id or value-set name, `_` written `-`, when that is a
//!   valid FHIR id, otherwise `oq-` and a hash (as for MeasureReports).

use std::io::{self, Write};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

mod definitions;
mod subject_list;

pub use definitions::{
    Attachment, COMPOSITE_SCORING_SYSTEM, Compose, ComposeInclude, Concept, DataRequirement,
    Expansion, ExportOptions, Expression, LIBRARY_TYPE_SYSTEM, Library, Measure, MeasureGroup,
    MeasurePopulation, MeasureStratifier, OQM_MEDIA_TYPE, RelatedArtifact, Resource,
    SCORING_SYSTEM, ValueSet, data_requirements, definitions, library_url, measure,
    measure_library, measure_url, shared_library, valueset, valueset_url,
};

pub use subject_list::{List, ListEntry, LiteralReference, SubjectLists};

use super::format::rounded;
use super::view::ReportView;
use crate::benchmark::{Counts, PracticeRate, Strata};
use crate::chart::{ChartId, Date};
use crate::measure::{Direction, MeasureInfo, Outcome, Population};
use crate::round::Period as ReportingPeriod;

/// The measure-population code system.
pub const POPULATION_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/measure-population";
/// The improvement-notation code system.
pub const IMPROVEMENT_SYSTEM: &str =
    "http://terminology.hl7.org/CodeSystem/measure-improvement-notation";
/// The identifier system of practices (the reporter of a summary report).
pub const PRACTICE_SYSTEM: &str = "urn:oncoqual:practice";
/// The identifier system of charts (the subject of an individual report).
pub const CHART_SYSTEM: &str = "urn:oncoqual:chart";

/// A FHIR R4 `MeasureReport` (the elements oncoqual fills).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MeasureReport {
    /// Always `MeasureReport`.
    pub resource_type: String,
    /// Logical id (`[A-Za-z0-9.-]{1,64}`).
    pub id: String,
    /// `complete`.
    pub status: String,
    /// `summary`, `individual` or `subject-list`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The measure's canonical URL, with its version (`urn:oncoqual:measure:<id>|<version>`).
    pub measure: String,
    /// The patient (individual reports).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub subject: Option<Reference>,
    /// When the report was produced.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date: Option<String>,
    /// The practice (summary reports).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reporter: Option<Reference>,
    /// The reporting period.
    pub period: Period,
    /// Whether a higher or a lower score is better.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub improvement_notation: Option<CodeableConcept>,
    /// The one group: populations, score, stratifiers.
    pub group: Vec<Group>,
}

/// `MeasureReport.group`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Group {
    /// The six proportion populations with their counts.
    pub population: Vec<GroupPopulation>,
    /// The rate, when it has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub measure_score: Option<Quantity>,
    /// Stratifiers (measures that declare them).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub stratifier: Vec<Stratifier>,
}

/// `MeasureReport.group.population` (and `stratifier.stratum.population`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupPopulation {
    /// The population code.
    pub code: CodeableConcept,
    /// How many charts are in it.
    pub count: u64,
    /// The `List` of the charts in it (subject-list reports only).
    #[serde(
        rename = "subjectResults",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub subject_results: Option<LiteralReference>,
}

/// `MeasureReport.group.stratifier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Stratifier {
    /// The stratifier's name.
    pub code: Vec<CodeableConcept>,
    /// One per stratum value.
    pub stratum: Vec<Stratum>,
}

/// `MeasureReport.group.stratifier.stratum`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Stratum {
    /// The stratum value (a category label).
    pub value: CodeableConcept,
    /// Population counts in the stratum.
    pub population: Vec<GroupPopulation>,
    /// The stratum's rate.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub measure_score: Option<Quantity>,
}

/// A `CodeableConcept`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CodeableConcept {
    /// Codings.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub coding: Vec<Coding>,
    /// Plain text.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub text: Option<String>,
}

/// A `Coding`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Coding {
    /// The code system.
    pub system: String,
    /// The code.
    pub code: String,
    /// Its display text.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub display: Option<String>,
}

/// A `Reference` by identifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Reference {
    /// The resource type referred to (`Organization`, `Patient`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The identifier.
    pub identifier: Identifier,
    /// A display name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub display: Option<String>,
}

/// An `Identifier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Identifier {
    /// The namespace.
    pub system: String,
    /// The value.
    pub value: String,
}

/// A `Period` of dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Period {
    /// First day.
    pub start: String,
    /// Last day.
    pub end: String,
}

/// A `Quantity` (a bare value: a proportion has no unit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Quantity {
    /// The value.
    pub value: f64,
}

fn population_code(p: Population) -> (&'static str, &'static str) {
    let display = match p {
        Population::InitialPopulation => "Initial Population",
        Population::Denominator => "Denominator",
        Population::DenominatorExclusion => "Denominator Exclusion",
        Population::DenominatorException => "Denominator Exception",
        Population::Numerator => "Numerator",
        Population::NumeratorExclusion => "Numerator Exclusion",
    };
    (p.fhir_code(), display)
}

fn populations(count: impl Fn(Population) -> u64) -> Vec<GroupPopulation> {
    Population::ALL
        .into_iter()
        .map(|p| {
            let (code, display) = population_code(p);
            GroupPopulation {
                code: CodeableConcept {
                    coding: vec![Coding {
                        system: POPULATION_SYSTEM.to_owned(),
                        code: code.to_owned(),
                        display: Some(display.to_owned()),
                    }],
                    text: None,
                },
                count: count(p),
                subject_results: None,
            }
        })
        .collect()
}

fn counts_of(c: &Counts, p: Population) -> u64 {
    match p {
        Population::InitialPopulation => c.ipp,
        Population::Denominator => c.denom,
        Population::DenominatorExclusion => c.denex,
        Population::DenominatorException => c.denexcep,
        Population::Numerator => c.numer,
        Population::NumeratorExclusion => c.numex,
    }
}

fn score(met: u64, eligible: u64) -> Option<Quantity> {
    if eligible == 0 {
        return None;
    }
    let r = rounded(Decimal::from(met).checked_div(Decimal::from(eligible))?, 6);
    r.to_string()
        .parse::<f64>()
        .ok()
        .map(|value| Quantity { value })
}

fn improvement(direction: Direction) -> CodeableConcept {
    let (code, display) = match direction {
        Direction::HigherIsBetter => ("increase", "Increased score indicates improvement"),
        Direction::LowerIsBetter => ("decrease", "Decreased score indicates improvement"),
    };
    CodeableConcept {
        coding: vec![Coding {
            system: IMPROVEMENT_SYSTEM.to_owned(),
            code: code.to_owned(),
            display: Some(display.to_owned()),
        }],
        text: None,
    }
}

fn text(s: &str) -> CodeableConcept {
    CodeableConcept {
        coding: Vec::new(),
        text: Some(s.to_owned()),
    }
}

fn stratifiers(strata: &Strata) -> Vec<Stratifier> {
    strata
        .iter()
        .map(|(name, values)| Stratifier {
            code: vec![text(name)],
            stratum: values
                .iter()
                .map(|(value, c)| Stratum {
                    value: text(value),
                    population: populations(|p| counts_of(c, p)),
                    measure_score: score(c.met(), c.eligible()),
                })
                .collect(),
        })
        .collect()
}

/// A logical id: `parts` joined by `.` when that is a valid FHIR id (letters, digits, `-`,
/// `.`, at most 64), otherwise `oq-` and a 64-bit FNV-1a hash of the parts in hex.
fn logical_id(parts: &[&str]) -> String {
    let joined = parts.join(".");
    let valid = joined.len() <= 64
        && !joined.is_empty()
        && joined
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if valid {
        return joined;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parts.join("\u{1f}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("oq-{h:016x}")
}

fn canonical(measure: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => format!("urn:oncoqual:measure:{measure}|{v}"),
        None => format!("urn:oncoqual:measure:{measure}"),
    }
}

fn period_of(p: ReportingPeriod) -> Period {
    Period {
        start: p.start.to_string(),
        end: p.end.to_string(),
    }
}

/// The summary report of one practice's rate on one measure in one round.
pub fn summary_report(view: &ReportView<'_>, rate: &PracticeRate) -> MeasureReport {
    let info = view.measure_info(&rate.measure);
    let name = view.registration(&rate.practice).map(|r| r.name.clone());
    MeasureReport {
        resource_type: "MeasureReport".to_owned(),
        id: logical_id(&[
            &rate.round.to_string(),
            rate.practice.as_str(),
            &rate.measure,
        ]),
        status: "complete".to_owned(),
        kind: "summary".to_owned(),
        measure: canonical(&rate.measure, info.map(|m| m.version.as_str())),
        subject: None,
        date: Some(view.report().issued_on.to_string()),
        reporter: Some(Reference {
            kind: "Organization".to_owned(),
            identifier: Identifier {
                system: PRACTICE_SYSTEM.to_owned(),
                value: rate.practice.as_str().to_owned(),
            },
            display: name,
        }),
        period: period_of(view.period(rate.round)),
        improvement_notation: Some(improvement(view.direction(&rate.measure))),
        group: vec![Group {
            population: populations(|p| counts_of(&rate.counts, p)),
            measure_score: score(rate.met, rate.eligible),
            stratifier: stratifiers(&rate.strata),
        }],
    }
}

/// Every summary report of the view: one per (practice, measure, round), in report order.
pub fn summary_reports<'v>(view: &'v ReportView<'_>) -> impl Iterator<Item = MeasureReport> + 'v {
    view.report().rates.iter().map(|r| summary_report(view, r))
}

/// The individual report of one chart on one measure: its populations (counts 0 or 1),
/// its score (1, 0 or none) and its strata.
pub fn individual_report(
    info: &MeasureInfo,
    chart: &ChartId,
    outcome: &Outcome,
    period: ReportingPeriod,
    date: Option<Date>,
) -> MeasureReport {
    let pops = outcome.populations;
    let one = |p: Population| u64::from(pops.contains(p));
    let met = u64::from(pops.net_numerator());
    let eligible = u64::from(pops.in_net_denominator());
    let strata = info
        .stratifiers
        .iter()
        .zip(&outcome.strata)
        .filter_map(|(name, value)| {
            value.as_ref().map(|v| Stratifier {
                code: vec![text(name)],
                stratum: vec![Stratum {
                    value: text(v),
                    population: populations(one),
                    measure_score: score(met, eligible),
                }],
            })
        })
        .collect();
    MeasureReport {
        resource_type: "MeasureReport".to_owned(),
        id: logical_id(&[chart.as_str(), &info.id]),
        status: "complete".to_owned(),
        kind: "individual".to_owned(),
        measure: canonical(&info.id, Some(&info.version)),
        subject: Some(Reference {
            kind: "Patient".to_owned(),
            identifier: Identifier {
                system: CHART_SYSTEM.to_owned(),
                value: chart.as_str().to_owned(),
            },
            display: None,
        }),
        date: date.map(|d| d.to_string()),
        reporter: None,
        period: period_of(period),
        improvement_notation: Some(improvement(info.direction)),
        group: vec![Group {
            population: populations(one),
            measure_score: score(met, eligible),
            stratifier: strata,
        }],
    }
}

/// Writes resources one JSON object per line (NDJSON).
pub fn write_ndjson(
    resources: impl IntoIterator<Item = MeasureReport>,
    mut out: impl Write,
) -> io::Result<usize> {
    let mut n: usize = 0;
    for r in resources {
        serde_json::to_writer(&mut out, &r)?;
        out.write_all(b"\n")?;
        // A count of resources written: it cannot reach `usize::MAX`.
        n = n.saturating_add(1);
    }
    out.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_are_readable_when_valid_and_hashed_otherwise() {
        assert_eq!(
            logical_id(&["2026-1", "p001", "core.pain-plan"]),
            "2026-1.p001.core.pain-plan"
        );
        let hashed = logical_id(&["2026-1", "p 1", "core.x"]);
        assert!(hashed.starts_with("oq-") && hashed.len() == 19, "{hashed}");
        assert_ne!(hashed, logical_id(&["2026-1", "p 2", "core.x"]));
        assert!(logical_id(&[&"x".repeat(70)]).starts_with("oq-"));
    }

    #[test]
    fn score_is_absent_without_eligible_charts_and_rounded_to_six_places() {
        assert_eq!(score(1, 0), None);
        assert_eq!(score(2, 3).map(|q| q.value), Some(0.666667));
        assert_eq!(score(1, 8).map(|q| q.value), Some(0.125));
    }

    #[test]
    fn populations_use_the_hl7_codes_in_reporting_order() {
        let c = Counts {
            ipp: 6,
            denom: 5,
            denex: 1,
            denexcep: 1,
            numer: 2,
            numex: 0,
        };
        let pops = populations(|p| counts_of(&c, p));
        let codes: Vec<(&str, u64)> = pops
            .iter()
            .map(|g| (g.code.coding[0].code.as_str(), g.count))
            .collect();
        assert_eq!(
            codes,
            [
                ("initial-population", 6),
                ("denominator", 5),
                ("denominator-exclusion", 1),
                ("denominator-exception", 1),
                ("numerator", 2),
                ("numerator-exclusion", 0)
            ]
        );
        assert!(
            pops.iter()
                .all(|g| g.code.coding[0].system == POPULATION_SYSTEM)
        );
    }

    #[test]
    fn improvement_notation_follows_the_direction() {
        assert_eq!(
            improvement(Direction::HigherIsBetter).coding[0].code,
            "increase"
        );
        assert_eq!(
            improvement(Direction::LowerIsBetter).coding[0].code,
            "decrease"
        );
    }
}
