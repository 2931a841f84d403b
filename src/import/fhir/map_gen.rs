//! Records built from several resources, settled per patient when the run finishes:
//! germline genetic tests (an mCODE genomics report, its variant and region-studied
//! Observations and the ServiceRequest it is `basedOn`) and the death record's hospice
//! enrolment (EpisodeOfCare). Each resource is held as a [`Later`] (FHIR ids and codes,
//! never free text) until [`settle`].
//!
//! **Genetic tests.** A genomics report (the mCODE cancer genomics report profile, or LOINC
//! 81247-9) is a `genetic_tests` entry only when the data say the test is germline: every
//! variant Observation among its `result`s states the genomic source class (LOINC 48002-0)
//! germline (LA6683-2), and there is at least one. The genes studied are the HGNC ids
//! (`HGNC:<n>`) of its results' gene-studied components (LOINC 48018-6: the region-studied
//! and variant Observations), known only when a region studied is among its results (a
//! variant names the gene it was found in, not the panel); a gene given another way leaves
//! them unknown. BRCA1 and/or
//! BRCA2 only → `brca1_2`; Lynch genes only (MLH1, MSH2, MSH6, PMS2, EPCAM) → `lynch_panel`;
//! two or more genes otherwise → `multigene_panel`; one other gene → `other`. `result`:
//! a present germline variant whose clinical significance (LOINC 53037-8, or an
//! interpretation coded with its answers) is pathogenic or likely pathogenic →
//! `pathogenic_variant`; else one of uncertain significance → `vus`; else when every one is
//! benign or likely benign, or absent (LA9634-2) → `negative`; otherwise missing.
//! `order_date` is the `authoredOn` of the ServiceRequest the report is `basedOn` (the
//! report's own dates are results, not orders): missing (`absent`) without one,
//! (`unresolved_reference`) when it names none read.
//! A report, variant or region studied not in a germline test is skipped: `not_germline`
//! (somatic, or the source class not stated, or no variant to say it), or
//! `genes_not_stated` (germline but no region studied, or a gene not given as an HGNC id,
//! or a germline variant in no report).
//!
//! **Hospice.** An EpisodeOfCare whose `type` is SNOMED CT 385763009 |Hospice care
//! (regime/therapy)| is a hospice enrolment starting at `period.start`; the latest start on
//! or before the death date (any, when the death has no date) is the death record's
//! `hospice_enrollment_date`. An enrolment of a patient with no death record, or after the
//! death, is skipped (`not_before_death`).

use std::collections::{BTreeSet, HashMap};

use fhir_model::r4b::codes::{DiagnosticReportStatus, EpisodeOfCareStatus, ObservationStatus};
use fhir_model::r4b::resources::{
    DiagnosticReportInner, EpisodeOfCareInner, ObservationComponentValue, ObservationInner,
    ObservationValue,
};
use fhir_model::r4b::types::{CodeableConcept, Coding};

use super::assemble::{Item, Mapped};
use super::map::{DateResult, Outcome, code_ref, codings, is_system, item, opt_date, ref_id};
use super::report::{
    ChartReport, CodeRef, MissingReason, ResourceRef, SkipReason, Skipped, Summary,
};
use crate::chart::{Date, GeneticTest, GeneticTestKind, GeneticTestResult};

/// mCODE's cancer genomics report profile.
pub(crate) const MCODE_GENOMICS_REPORT: &str =
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-genomics-report";
/// mCODE's genetic variant profile.
pub(crate) const MCODE_VARIANT: &str =
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-genetic-variant";
/// mCODE's genomic region studied profile.
pub(crate) const MCODE_REGION: &str =
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-genomic-region-studied";
/// LOINC 81247-9 "Master HL7 genetic variant reporting panel" (the report's code).
const REPORT_CODE: &str = "81247-9";
/// LOINC 69548-6 "Genetic variant assessment" (the variant's code).
const VARIANT_CODE: &str = "69548-6";
/// LOINC 53041-0 "DNA region of interest panel" (the region studied's code).
const REGION_CODE: &str = "53041-0";
/// LOINC 48018-6 "Gene studied [ID]".
const GENE_STUDIED: &str = "48018-6";
/// LOINC 48002-0 "Genomic source class [Type]".
const SOURCE_CLASS: &str = "48002-0";
/// LOINC answer LA6683-2 "Germline".
const GERMLINE: &str = "LA6683-2";
/// LOINC 53037-8 "Genetic variation clinical significance [Imp]".
const SIGNIFICANCE: &str = "53037-8";
/// LOINC answer LA9634-2 "Absent" (of a variant's value).
const ABSENT: &str = "LA9634-2";
/// SNOMED CT 385763009 |Hospice care (regime/therapy)|.
pub(crate) const HOSPICE_CARE: &str = "385763009";

/// HGNC ids of the BRCA genes (BRCA1, BRCA2).
const BRCA: [&str; 2] = ["HGNC:1100", "HGNC:1101"];
/// HGNC ids of the Lynch syndrome genes (MLH1, MSH2, MSH6, PMS2, EPCAM).
const LYNCH: [&str; 5] = [
    "HGNC:7127",
    "HGNC:7325",
    "HGNC:7329",
    "HGNC:9122",
    "HGNC:11529",
];

/// A variant's clinical significance, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Significance {
    Pathogenic,
    Uncertain,
    Benign,
}

fn significance(code: &str) -> Option<Significance> {
    match code {
        // Pathogenic, Likely pathogenic.
        "LA6668-3" | "LA26332-9" => Some(Significance::Pathogenic),
        // Uncertain significance.
        "LA26333-7" => Some(Significance::Uncertain),
        // Likely benign, Benign.
        "LA26334-5" | "LA6675-8" => Some(Significance::Benign),
        _ => None,
    }
}

/// The genes a resource names as studied: HGNC ids, or `None` when one is given another way.
type Genes = Option<BTreeSet<String>>;

/// What a resource leaves for [`settle`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Later {
    /// A genetic variant Observation.
    Variant {
        resource: ResourceRef,
        germline: bool,
        genes: Genes,
        /// The variant is reported absent.
        absent: bool,
        significance: Option<Significance>,
        /// Its significance codes when none maps (to count).
        unmapped: Vec<CodeRef>,
    },
    /// A genomic region studied Observation.
    Region { resource: ResourceRef, genes: Genes },
    /// A genomics report.
    Report {
        resource: ResourceRef,
        results: Vec<String>,
        based_on: Vec<String>,
    },
    /// A ServiceRequest's order date, by its id.
    Order { id: String, date: DateResult },
    /// A hospice enrolment.
    Hospice {
        resource: ResourceRef,
        date: DateResult,
    },
}

fn profiled(meta: Option<&fhir_model::r4b::types::Meta>, url: &str) -> bool {
    meta.iter()
        .flat_map(|m| m.profile.iter().flatten())
        .any(|p| p == url)
}

fn loinc(c: &CodeableConcept, code: &str) -> bool {
    codings(Some(c)).any(|x| is_system(x, "LOINC") && x.code.as_deref() == Some(code))
}

fn component_values<'a>(o: &'a ObservationInner, code: &str) -> Vec<&'a CodeableConcept> {
    o.component
        .iter()
        .flatten()
        .filter(|c| loinc(&c.code, code))
        .filter_map(|c| match &c.value {
            Some(ObservationComponentValue::CodeableConcept(v)) => Some(v),
            _ => None,
        })
        .collect()
}

/// The HGNC ids of the gene-studied components (`None` when a gene is not an HGNC id).
fn genes(o: &ObservationInner) -> Genes {
    let mut out = BTreeSet::new();
    for v in component_values(o, GENE_STUDIED) {
        let id = codings(Some(v))
            .filter_map(|c| c.code.as_deref())
            .find(|c| {
                c.strip_prefix("HGNC:")
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })?;
        out.insert(id.to_owned());
    }
    Some(out)
}

fn resource(o: &ObservationInner) -> ResourceRef {
    ResourceRef {
        resource_type: "Observation".to_owned(),
        id: o.id.clone(),
    }
}

/// A genomic Observation (variant or region studied, by mCODE profile or LOINC code) held
/// in `later` until [`settle`]; `None` for any other Observation.
pub(crate) fn observation(o: &ObservationInner, later: &mut Vec<Later>) -> Option<Outcome> {
    let variant = profiled(o.meta.as_ref(), MCODE_VARIANT) || loinc(&o.code, VARIANT_CODE);
    let region = profiled(o.meta.as_ref(), MCODE_REGION) || loinc(&o.code, REGION_CODE);
    if !variant && !region {
        return None;
    }
    let status = match o.status {
        ObservationStatus::Preliminary => Some("preliminary"),
        ObservationStatus::Registered => Some("registered"),
        ObservationStatus::Cancelled => Some("cancelled"),
        ObservationStatus::EnteredInError => Some("entered-in-error"),
        _ => None,
    };
    if let Some(s) = status {
        return Some(Err((
            SkipReason::Status {
                status: s.to_owned(),
            },
            Vec::new(),
        )));
    }
    if region && !variant {
        later.push(Later::Region {
            resource: resource(o),
            genes: genes(o),
        });
        return Some(Ok((Vec::new(), Vec::new())));
    }
    let germline = component_values(o, SOURCE_CLASS).iter().any(|v| {
        codings(Some(v)).any(|c| is_system(c, "LOINC") && c.code.as_deref() == Some(GERMLINE))
    });
    let absent = match &o.value {
        Some(ObservationValue::CodeableConcept(v)) => {
            codings(Some(v)).any(|c| is_system(c, "LOINC") && c.code.as_deref() == Some(ABSENT))
        }
        _ => false,
    };
    let concepts: Vec<&CodeableConcept> = component_values(o, SIGNIFICANCE)
        .into_iter()
        .chain(o.interpretation.iter().flatten())
        .collect();
    let all: Vec<&Coding> = concepts.iter().flat_map(|c| codings(Some(*c))).collect();
    let found = all
        .iter()
        .filter(|c| is_system(c, "LOINC"))
        .filter_map(|c| c.code.as_deref().and_then(significance))
        .min();
    let unmapped = if found.is_none() {
        all.iter().map(|c| code_ref(c)).collect()
    } else {
        Vec::new()
    };
    later.push(Later::Variant {
        resource: resource(o),
        germline,
        genes: genes(o),
        absent,
        significance: found,
        unmapped,
    });
    Some(Ok((Vec::new(), Vec::new())))
}

/// DiagnosticReport → a genomics report held in `later` (the mCODE profile or LOINC
/// 81247-9, status final, amended, corrected or appended); any other report is skipped.
pub(crate) fn diagnostic_report(r: &DiagnosticReportInner, later: &mut Vec<Later>) -> Outcome {
    let genomics = profiled(r.meta.as_ref(), MCODE_GENOMICS_REPORT) || loinc(&r.code, REPORT_CODE);
    if !genomics {
        let codes: Vec<CodeRef> = codings(Some(&r.code)).map(code_ref).collect();
        return Err((
            SkipReason::UnlistedReport {
                codes: codes.clone(),
            },
            codes,
        ));
    }
    if !matches!(
        r.status,
        DiagnosticReportStatus::Final
            | DiagnosticReportStatus::Amended
            | DiagnosticReportStatus::Corrected
            | DiagnosticReportStatus::Appended
    ) {
        return Err((
            SkipReason::Status {
                status: r.status.as_ref().to_owned(),
            },
            Vec::new(),
        ));
    }
    let ids = |refs: &[Option<fhir_model::r4b::types::Reference>], ty: &str| -> Vec<String> {
        refs.iter()
            .flatten()
            .filter_map(|x| x.reference.as_deref().and_then(|s| ref_id(s, ty)))
            .collect()
    };
    later.push(Later::Report {
        resource: ResourceRef {
            resource_type: "DiagnosticReport".to_owned(),
            id: r.id.clone(),
        },
        results: ids(&r.result, "Observation"),
        based_on: ids(&r.based_on, "ServiceRequest"),
    });
    Ok((Vec::new(), Vec::new()))
}

/// EpisodeOfCare → a hospice enrolment held in `later` (its `type` hospice care); status
/// planned, waitlist, cancelled or entered-in-error, or another type, is skipped.
pub(crate) fn episode_of_care(e: &EpisodeOfCareInner, later: &mut Vec<Later>) -> Outcome {
    let status = match e.status {
        EpisodeOfCareStatus::Planned => Some("planned"),
        EpisodeOfCareStatus::Waitlist => Some("waitlist"),
        EpisodeOfCareStatus::Cancelled => Some("cancelled"),
        EpisodeOfCareStatus::EnteredInError => Some("entered-in-error"),
        _ => None,
    };
    if let Some(s) = status {
        return Err((
            SkipReason::Status {
                status: s.to_owned(),
            },
            Vec::new(),
        ));
    }
    let all: Vec<&Coding> = e
        .r#type
        .iter()
        .flatten()
        .flat_map(|t| codings(Some(t)))
        .collect();
    if !all
        .iter()
        .any(|c| is_system(c, "SNOMED") && c.code.as_deref() == Some(HOSPICE_CARE))
    {
        let codes: Vec<CodeRef> = all.iter().map(|c| code_ref(c)).collect();
        return Err((
            SkipReason::UnlistedEpisode {
                codes: codes.clone(),
            },
            codes,
        ));
    }
    later.push(Later::Hospice {
        resource: ResourceRef {
            resource_type: "EpisodeOfCare".to_owned(),
            id: e.id.clone(),
        },
        date: opt_date(e.period.as_ref().and_then(|p| p.start.as_ref())),
    });
    Ok((Vec::new(), Vec::new()))
}

/// The kind of a germline test by the genes studied.
fn kind(genes: &BTreeSet<String>) -> Option<GeneticTestKind> {
    if genes.is_empty() {
        None
    } else if genes.iter().all(|g| BRCA.contains(&g.as_str())) {
        Some(GeneticTestKind::Brca12)
    } else if genes.iter().all(|g| LYNCH.contains(&g.as_str())) {
        Some(GeneticTestKind::LynchPanel)
    } else if genes.len() >= 2 {
        Some(GeneticTestKind::MultigenePanel)
    } else {
        Some(GeneticTestKind::Other)
    }
}

/// What settling decides for one held resource: used, or skipped with a reason.
type Outcomes = Vec<(ResourceRef, Option<SkipReason>)>;

/// Builds the genetic tests of one patient's held resources.
fn genetic_tests(
    later: &[Later],
    items: &mut Vec<Item>,
    out: &mut Outcomes,
    unmapped: &mut Vec<CodeRef>,
) {
    let mut variants = HashMap::new();
    let mut regions = HashMap::new();
    let mut orders = HashMap::new();
    for l in later {
        match l {
            Later::Variant { resource, .. } | Later::Region { resource, .. } => {
                if let Some(id) = &resource.id {
                    let map = if matches!(l, Later::Variant { .. }) {
                        &mut variants
                    } else {
                        &mut regions
                    };
                    map.entry(id.clone()).or_insert(l);
                }
            }
            Later::Order { id, date } => {
                orders.entry(id.clone()).or_insert(*date);
            }
            _ => {}
        }
    }
    // Per resource, in the order first met: the best fate so far (used wins over a skip).
    let mut fate: Outcomes = Vec::new();
    let mut settle =
        |r: &ResourceRef, reason: Option<SkipReason>| match fate.iter_mut().find(|(x, _)| x == r) {
            Some((_, e)) => {
                if reason.is_none() {
                    *e = None;
                }
            }
            None => fate.push((r.clone(), reason)),
        };
    for l in later {
        let Later::Report {
            resource,
            results,
            based_on,
        } = l
        else {
            continue;
        };
        let members: Vec<&Later> = results
            .iter()
            .filter_map(|id| variants.get(id).or_else(|| regions.get(id)).copied())
            .collect();
        let found: Vec<&Later> = members
            .iter()
            .copied()
            .filter(|m| matches!(m, Later::Variant { .. }))
            .collect();
        let germline = !found.is_empty()
            && found
                .iter()
                .all(|v| matches!(v, Later::Variant { germline: true, .. }));
        // The genes studied are known only from a region studied: a variant names the gene
        // it was found in, not the panel.
        let regions_named = members.iter().any(|m| matches!(m, Later::Region { .. }));
        let mut studied = regions_named.then(BTreeSet::new);
        for m in &members {
            let g = match m {
                Later::Variant { genes, .. } | Later::Region { genes, .. } => genes,
                _ => continue,
            };
            studied = match (studied, g) {
                (Some(mut s), Some(g)) => {
                    s.extend(g.iter().cloned());
                    Some(s)
                }
                _ => None,
            };
        }
        let kind = studied.as_ref().and_then(kind);
        let member_ref = |m: &Later| match m {
            Later::Variant { resource, .. } | Later::Region { resource, .. } => {
                Some(resource.clone())
            }
            _ => None,
        };
        let reason = match (germline, kind) {
            (false, _) => Some(SkipReason::NotGermline),
            (true, None) => Some(SkipReason::GenesNotStated),
            (true, Some(_)) => None,
        };
        settle(resource, reason.clone());
        for m in &members {
            if let Some(r) = member_ref(m) {
                settle(&r, reason.clone());
            }
        }
        let Some(kind) = kind.filter(|_| germline) else {
            continue;
        };
        let mut reasons = super::map::Reasons::new();
        let present: Vec<&Later> = found
            .iter()
            .copied()
            .filter(|v| matches!(v, Later::Variant { absent: false, .. }))
            .collect();
        let worst = present
            .iter()
            .map(|v| match v {
                Later::Variant { significance, .. } => *significance,
                _ => None,
            })
            .collect::<Vec<_>>();
        let result = if present.is_empty() {
            Some(GeneticTestResult::Negative)
        } else if worst.contains(&Some(Significance::Pathogenic)) {
            Some(GeneticTestResult::PathogenicVariant)
        } else if worst.contains(&Some(Significance::Uncertain)) {
            Some(GeneticTestResult::Vus)
        } else if worst.iter().all(|s| *s == Some(Significance::Benign)) {
            Some(GeneticTestResult::Negative)
        } else {
            let codes: Vec<CodeRef> = present
                .iter()
                .flat_map(|v| match v {
                    Later::Variant { unmapped, .. } => unmapped.clone(),
                    _ => Vec::new(),
                })
                .collect();
            reasons.push((
                "result",
                if codes.is_empty() {
                    MissingReason::Absent
                } else {
                    MissingReason::UnmappedCode
                },
            ));
            unmapped.extend(codes);
            None
        };
        let order = if based_on.is_empty() {
            Err(MissingReason::Absent)
        } else {
            let dates: Vec<DateResult> = based_on
                .iter()
                .filter_map(|id| orders.get(id).copied())
                .collect();
            for id in based_on {
                if orders.contains_key(id) {
                    settle(
                        &ResourceRef {
                            resource_type: "ServiceRequest".to_owned(),
                            id: Some(id.clone()),
                        },
                        None,
                    );
                }
            }
            match dates.iter().filter_map(|d| d.ok()).min() {
                Some(d) => Ok(d),
                None => dates
                    .first()
                    .copied()
                    .unwrap_or(Err(MissingReason::UnresolvedReference)),
            }
        };
        let out = GeneticTest {
            kind: Some(kind),
            order_date: super::map::note(order, "order_date", &mut reasons),
            result,
        };
        items.push(item(out, reasons));
    }
    // Genomic Observations in no report.
    for l in later {
        match l {
            Later::Variant {
                resource, germline, ..
            } => settle(
                resource,
                Some(if *germline {
                    SkipReason::GenesNotStated
                } else {
                    SkipReason::NotGermline
                }),
            ),
            Later::Region { resource, .. } => settle(resource, Some(SkipReason::NotGermline)),
            _ => {}
        }
    }
    out.extend(fate);
}

/// Sets the death record's hospice enrolment date from the held enrolments.
fn hospice(later: &[Later], items: &mut [Item], out: &mut Outcomes) {
    let death = items.iter_mut().find_map(|i| match &mut i.mapped {
        Mapped::Death(d) => Some((d.date, &mut **d, &mut i.reasons)),
        _ => None,
    });
    let enrolments: Vec<(&ResourceRef, DateResult)> = later
        .iter()
        .filter_map(|l| match l {
            Later::Hospice { resource, date } => Some((resource, *date)),
            _ => None,
        })
        .collect();
    let Some((died, death, reasons)) = death else {
        for (r, _) in enrolments {
            out.push((r.clone(), Some(SkipReason::NotBeforeDeath)));
        }
        return;
    };
    let mut best: Option<Date> = None;
    let mut why = MissingReason::Absent;
    for (r, d) in enrolments {
        match d {
            Ok(d) if died.is_some_and(|x| d > x) => {
                out.push((r.clone(), Some(SkipReason::NotBeforeDeath)));
                continue;
            }
            Ok(d) => best = Some(best.map_or(d, |b| b.max(d))),
            Err(e) => why = e,
        }
        out.push((r.clone(), None));
    }
    reasons.retain(|(f, _)| *f != "hospice_enrollment_date");
    death.hospice_enrollment_date = best;
    if best.is_none() {
        reasons.push(("hospice_enrollment_date", why));
    }
}

/// Settles one patient's held resources: adds the genetic tests and the hospice enrolment
/// to `items` and moves each held resource that gave nothing from `used` to `skipped` with
/// its reason (and a ServiceRequest skipped but giving a test's order date to `used`).
pub(crate) fn settle(
    mut items: Vec<Item>,
    later: Vec<Later>,
    entry: &mut ChartReport,
    summary: &mut Summary,
) -> Vec<Item> {
    let mut out = Outcomes::new();
    let mut unmapped = Vec::new();
    genetic_tests(&later, &mut items, &mut out, &mut unmapped);
    hospice(&later, &mut items, &mut out);
    for c in unmapped {
        let n = summary.unmapped_codes.entry(c.key()).or_insert(0);
        *n = n.saturating_add(1);
    }
    let mut count = |name: &str, up: bool| {
        let n = summary.skip_reasons.entry(name.to_owned()).or_insert(0);
        *n = if up {
            n.saturating_add(1)
        } else {
            n.saturating_sub(1)
        };
        if *n == 0 {
            summary.skip_reasons.remove(name);
        }
    };
    for (resource, reason) in out {
        match reason {
            Some(reason) => {
                if let Some(pos) = entry.used.iter().position(|r| *r == resource) {
                    entry.used.remove(pos);
                    count(reason.name(), true);
                    entry.skipped.push(Skipped { resource, reason });
                    summary.resources_used = summary.resources_used.saturating_sub(1);
                    summary.resources_skipped = summary.resources_skipped.saturating_add(1);
                }
            }
            None => {
                // A ServiceRequest skipped for its own code that gives an order date.
                if resource.resource_type == "ServiceRequest"
                    && let Some(pos) = entry.skipped.iter().position(|s| s.resource == resource)
                {
                    let s = entry.skipped.remove(pos);
                    count(s.reason.name(), false);
                    entry.used.push(resource);
                    summary.resources_used = summary.resources_used.saturating_add(1);
                    summary.resources_skipped = summary.resources_skipped.saturating_sub(1);
                }
            }
        }
    }
    items
}

#[cfg(test)]
mod tests;
