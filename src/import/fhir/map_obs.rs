//! Observation → chart records: mCODE TNM staging and tumour markers (findings about a
//! diagnosis, held as [`Link`]s until [`super::link_obs`] finds their diagnosis), and
//! assessments and laboratory results (records of their own). Also what a Condition leaves
//! for linking (its `stage.assessment` references; a secondary cancer's metastasis) and the
//! histology of a primary cancer condition.
//!
//! Every code is read through the shipped tables (`data/fhir/loinc-observation.csv`,
//! `observation-answers.csv`, `icdo3-morphology.csv`); an Observation whose code no table
//! lists is skipped (`unlisted_observation`) with its codes counted.

use fhir_model::r4b::codes::ObservationStatus;
use fhir_model::r4b::resources::{
    ConditionInner, ObservationEffective, ObservationInner, ObservationValue,
};
use fhir_model::r4b::types::{CodeableConcept, Coding, ExtensionValue, Quantity};

use super::map::{
    AJCC, DateResult, Outcome, Reasons, ajcc_stage, code_ref, codings, diagnosis_date,
    from_date_time, is_system, item, ref_id, secondary_cancer,
};
use super::report::{CodeRef, MissingReason, ResourceRef, SkipReason};
use super::tables::Tables;
use super::tables_obs::{Answer, Element, ObsTables, Sys, Target, Timing, obs_tables};
use crate::chart::{
    Assessment, Biomarker, BiomarkerName, BiomarkerResult, Code, Diagnosis, Lab, LabResult,
    MCategory, NCategory, Number, StageGroup, TCategory, TobaccoStatus,
};

/// mCODE's extension naming a secondary cancer's primary cancer condition.
pub(crate) const MCODE_RELATED_PRIMARY: &str =
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition";
/// mCODE's histology-morphology-behaviour extension of a cancer condition.
pub(crate) const MCODE_HISTOLOGY: &str =
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior";
/// HL7 v3 ObservationInterpretation.
pub(crate) const V3_INTERPRETATION: &str =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

/// A staging value, by element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Group(StageGroup),
    T(TCategory),
    N(NCategory),
    M(MCategory),
}

/// What a finding says of its diagnosis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum What {
    /// A staging element: its timing and value (`None`: the value's code maps to nothing).
    Staging {
        element: Element,
        timing: Timing,
        value: Option<Stage>,
    },
    /// A tumour marker result.
    Biomarker(Biomarker),
}

/// An Observation's finding about a diagnosis, until linking finds the diagnosis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    /// The Observation.
    pub(crate) observation: ResourceRef,
    /// The Condition ids its `focus` names.
    pub(crate) focus: Vec<String>,
    /// The Observation ids its `hasMember` names (a stage group's T, N and M).
    pub(crate) members: Vec<String>,
    /// Its effective date.
    pub(crate) date: DateResult,
    /// What it says.
    pub(crate) what: What,
}

/// A secondary cancer condition, for the metastasis fields of the diagnosis it names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Metastasis {
    /// The Condition.
    pub(crate) condition: ResourceRef,
    /// The primary cancer Condition id its mCODE related-primary extension names.
    pub(crate) primary: Option<String>,
    /// Its onset (or recorded) date.
    pub(crate) date: DateResult,
    /// Whether its site is bone.
    pub(crate) bone: bool,
}

/// What a resource leaves for the linking pass (FHIR logical ids, never chart values).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Link {
    /// An Observation's finding about a diagnosis.
    Finding(Finding),
    /// A cancer Condition's `stage.assessment` references, as Observation ids.
    Assessments {
        condition: String,
        observations: Vec<String>,
    },
    /// A secondary cancer condition.
    Metastasis(Metastasis),
}

fn refs<'a>(
    r: impl IntoIterator<Item = &'a Option<fhir_model::r4b::types::Reference>>,
    ty: &str,
) -> Vec<String> {
    r.into_iter()
        .flatten()
        .filter_map(|r| r.reference.as_deref().and_then(|s| ref_id(s, ty)))
        .collect()
}

fn sys_of(c: &Coding) -> Option<Sys> {
    if is_system(c, "LOINC") {
        Some(Sys::Loinc)
    } else if is_system(c, "SNOMED") {
        Some(Sys::Snomed)
    } else if c.system.as_deref() == Some(V3_INTERPRETATION) {
        Some(Sys::V3Interpretation)
    } else {
        None
    }
}

/// The first answer a concept's codings say, and its codings for the unmapped count.
fn answer_of(t: &ObsTables, c: Option<&CodeableConcept>) -> (Option<Answer>, Vec<CodeRef>) {
    let all: Vec<&Coding> = codings(c).collect();
    let found = all.iter().find_map(|c| {
        let code = c.code.as_deref()?;
        t.answer(sys_of(c)?, code)
    });
    let unmapped = if found.is_none() {
        all.iter().map(|c| code_ref(c)).collect()
    } else {
        Vec::new()
    };
    (found, unmapped)
}

/// The effective date: `effectiveDateTime`, `effectiveInstant`, or a period's start.
fn effective(o: &ObservationInner) -> DateResult {
    match &o.effective {
        Some(ObservationEffective::DateTime(d)) => from_date_time(d),
        Some(ObservationEffective::Period(p)) => p
            .start
            .as_ref()
            .map_or(Err(MissingReason::Absent), from_date_time),
        Some(ObservationEffective::Instant(i)) => {
            from_date_time(&fhir_model::DateTime::DateTime(i.clone()))
        }
        Some(ObservationEffective::Timing(_)) | None => Err(MissingReason::Absent),
    }
}

/// A quantity as a chart number when its unit is one of `units` (UCUM `code`, else `unit`)
/// and it is exact (no comparator).
fn number(q: &Quantity, units: &[String]) -> Result<Number, MissingReason> {
    let Some(v) = q.value else {
        return Err(MissingReason::Absent);
    };
    if q.comparator.is_some() {
        return Err(MissingReason::InexactValue);
    }
    let unit = q.code.as_deref().or(q.unit.as_deref());
    let unit_ok = match unit {
        Some(u) => units.iter().any(|w| w == u),
        None => units.iter().any(|w| w == "1"),
    };
    if !unit_ok {
        return Err(MissingReason::OtherUnit);
    }
    if !v.is_finite() {
        return Err(MissingReason::InexactValue);
    }
    v.to_string()
        .parse::<Number>()
        .map_err(|_| MissingReason::InexactValue)
}

/// The number an Observation's value gives in `units` (`valueQuantity`, or `valueInteger`
/// for a unitless score), or why not.
fn value_number(o: &ObservationInner, units: &[String]) -> Result<Number, MissingReason> {
    match &o.value {
        Some(ObservationValue::Quantity(q)) => number(q, units),
        Some(ObservationValue::Integer(i)) if units.iter().any(|u| u == "1" || u == "{score}") => {
            Ok(Number::from(*i))
        }
        Some(_) => Err(MissingReason::UnmappedCode),
        None if o.data_absent_reason.is_some() => Err(MissingReason::DataAbsent),
        None => Err(MissingReason::Absent),
    }
}

fn value_concept(o: &ObservationInner) -> Option<&CodeableConcept> {
    match &o.value {
        Some(ObservationValue::CodeableConcept(c)) => Some(c),
        _ => None,
    }
}

/// An AJCC T, N or M category code: `T2a`, or with its clinical/pathological prefix
/// (`cT2a`, `pN1mi`); post-therapy (`y`), recurrence (`r`) and autopsy (`a`) forms and any
/// other code map to nothing.
fn ajcc_category(element: Element, code: &str) -> Option<(Option<Timing>, Stage)> {
    let (timing, rest) = match code.as_bytes().first()? {
        b'c' => (Some(Timing::Clinical), code.get(1..)?),
        b'p' => (Some(Timing::Pathological), code.get(1..)?),
        _ => (None, code),
    };
    let v = match element {
        Element::T => Stage::T(rest.parse().ok()?),
        Element::N => Stage::N(rest.parse().ok()?),
        Element::M => Stage::M(rest.parse().ok()?),
        Element::Group => Stage::Group(ajcc_stage(code)?),
    };
    Some((
        if element == Element::Group {
            None
        } else {
            timing
        },
        v,
    ))
}

fn status_skip(s: ObservationStatus) -> Option<&'static str> {
    match s {
        ObservationStatus::Preliminary => Some("preliminary"),
        ObservationStatus::Registered => Some("registered"),
        ObservationStatus::Cancelled => Some("cancelled"),
        ObservationStatus::EnteredInError => Some("entered-in-error"),
        _ => None,
    }
}

fn biomarker_result(name: BiomarkerName, a: Answer) -> Option<BiomarkerResult> {
    let mutation = matches!(
        name,
        BiomarkerName::Kras | BiomarkerName::Nras | BiomarkerName::Braf | BiomarkerName::Egfr
    );
    Some(match a {
        Answer::Positive | Answer::Detected | Answer::Present if mutation => {
            BiomarkerResult::Mutated
        }
        Answer::Negative | Answer::NotDetected | Answer::Absent if mutation => {
            BiomarkerResult::WildType
        }
        Answer::Positive | Answer::Detected | Answer::Present => BiomarkerResult::Positive,
        Answer::Negative | Answer::NotDetected | Answer::Absent => BiomarkerResult::Negative,
        Answer::Equivocal if !mutation => BiomarkerResult::Equivocal,
        Answer::Indeterminate => BiomarkerResult::Indeterminate,
        _ => return None,
    })
}

fn lab_result(a: Answer) -> Option<LabResult> {
    Some(match a {
        Answer::Positive | Answer::Detected | Answer::Present => LabResult::Positive,
        Answer::Negative | Answer::NotDetected | Answer::Absent => LabResult::Negative,
        Answer::Indeterminate => LabResult::Indeterminate,
        Answer::Normal => LabResult::Normal,
        Answer::Abnormal => LabResult::Abnormal,
        _ => return None,
    })
}

fn tobacco(a: Answer) -> Option<TobaccoStatus> {
    Some(match a {
        Answer::TobaccoCurrent => TobaccoStatus::Current,
        Answer::TobaccoFormer => TobaccoStatus::Former,
        Answer::TobaccoNever => TobaccoStatus::Never,
        Answer::TobaccoUnknown => TobaccoStatus::Unknown,
        _ => return None,
    })
}

/// A qualitative result: the value's answer, else the first interpretation's; the reason
/// when neither maps, and the codes to count.
fn result<T>(
    o: &ObservationInner,
    t: &ObsTables,
    map: impl Fn(Answer) -> Option<T>,
    unmapped: &mut Vec<CodeRef>,
) -> Result<T, MissingReason> {
    let (a, mut codes) = answer_of(t, value_concept(o));
    if let Some(v) = a.and_then(&map) {
        return Ok(v);
    }
    for i in o.interpretation.iter().flatten() {
        let (a, more) = answer_of(t, Some(i));
        if let Some(v) = a.and_then(&map) {
            return Ok(v);
        }
        codes.extend(more);
    }
    if codes.is_empty() {
        if o.data_absent_reason.is_some() {
            Err(MissingReason::DataAbsent)
        } else {
            Err(MissingReason::Absent)
        }
    } else {
        unmapped.extend(codes);
        Err(MissingReason::UnmappedCode)
    }
}

fn put<T>(v: Result<T, MissingReason>, field: &'static str, reasons: &mut Reasons) -> Option<T> {
    match v {
        Ok(v) => Some(v),
        Err(r) => {
            reasons.push((field, r));
            None
        }
    }
}

/// Observation → an assessment or lab record, or a finding about a diagnosis (left in
/// `links`), or why it is skipped.
pub(crate) fn observation(o: &ObservationInner, links: &mut Vec<Link>) -> Outcome {
    if let Some(s) = status_skip(o.status) {
        return Err((
            SkipReason::Status {
                status: s.to_owned(),
            },
            Vec::new(),
        ));
    }
    let t = match obs_tables() {
        Ok(t) => t,
        // A build defect the table tests catch; never reached with the shipped files.
        Err(_) => return Err((SkipReason::UnsupportedType, Vec::new())),
    };
    let all: Vec<&Coding> = codings(Some(&o.code)).collect();
    let Some(target) = all
        .iter()
        .find_map(|c| t.target(sys_of(c)?, c.code.as_deref()?))
    else {
        let codes: Vec<CodeRef> = all.iter().map(|c| code_ref(c)).collect();
        return Err((
            SkipReason::UnlistedObservation {
                codes: codes.clone(),
            },
            codes,
        ));
    };
    let date = effective(o);
    let mut unmapped = Vec::new();
    let finding = |what| Finding {
        observation: ResourceRef {
            resource_type: "Observation".to_owned(),
            id: o.id.clone(),
        },
        focus: refs(&o.focus, "Condition"),
        members: refs(&o.has_member, "Observation"),
        date,
        what,
    };
    match target {
        Target::Staging(element, timing) => {
            let values: Vec<&Coding> = codings(value_concept(o)).collect();
            let found = values
                .iter()
                .filter(|c| c.system.as_deref() == Some(AJCC))
                .find_map(|c| ajcc_category(*element, c.code.as_deref()?));
            if found.is_none() {
                unmapped.extend(values.iter().map(|c| code_ref(c)));
            }
            let (timing, value) = match found {
                Some((t, v)) => (t.unwrap_or(*timing), Some(v)),
                None => (*timing, None),
            };
            links.push(Link::Finding(finding(What::Staging {
                element: *element,
                timing,
                value,
            })));
            Ok((Vec::new(), unmapped))
        }
        Target::Biomarker(name, method, percent) => {
            let mut r = Reasons::new();
            let b = Biomarker {
                name: Some(*name),
                result: put(
                    result(o, t, |a| biomarker_result(*name, a), &mut unmapped),
                    "result",
                    &mut r,
                ),
                result_date: put(date, "result_date", &mut r),
                value: if *percent {
                    put(value_number(o, &["%".to_owned()]), "value", &mut r)
                } else {
                    None
                },
                method: *method,
            };
            links.push(Link::Finding(finding(What::Biomarker(b))));
            Ok((Vec::new(), unmapped))
        }
        Target::Assessment(kind, scale, units) => {
            let mut r = Reasons::new();
            let mut a = Assessment {
                kind: Some(*kind),
                date: put(date, "date", &mut r),
                scale: *scale,
                ..Assessment::default()
            };
            if *kind == crate::chart::AssessmentKind::TobaccoUse {
                a.tobacco_status = put(
                    result(o, t, tobacco, &mut unmapped),
                    "tobacco_status",
                    &mut r,
                );
            } else {
                a.score = put(value_number(o, units), "score", &mut r);
            }
            if scale.is_none() {
                r.push(("scale", MissingReason::NotImported));
            }
            // An Observation states neither a severity nor a plan of care, nor (for these
            // codes) whether a symptom is present: never derived from the score.
            r.push(("severity", MissingReason::NotImported));
            r.push(("present", MissingReason::NotImported));
            r.push(("plan_documented", MissingReason::NotImported));
            Ok((vec![item(a, r)], unmapped))
        }
        Target::Lab(test, units) => {
            let mut r = Reasons::new();
            let value = match &o.value {
                Some(ObservationValue::Quantity(_)) if units.is_empty() => {
                    r.push(("value", MissingReason::NotImported));
                    None
                }
                Some(ObservationValue::Quantity(_)) => put(value_number(o, units), "value", &mut r),
                _ if o.data_absent_reason.is_some() => {
                    r.push(("value", MissingReason::DataAbsent));
                    None
                }
                _ => {
                    r.push(("value", MissingReason::Absent));
                    None
                }
            };
            let l = Lab {
                test: Some(*test),
                date: put(date, "date", &mut r),
                value,
                result: put(result(o, t, lab_result, &mut unmapped), "result", &mut r),
            };
            Ok((vec![item(l, r)], unmapped))
        }
    }
}

fn is_bone(c: &ConditionInner) -> bool {
    let site = c
        .body_site
        .iter()
        .flatten()
        .flat_map(|b| b.coding.iter().flatten())
        .any(|s| {
            let code = s.code.as_deref().unwrap_or("").trim().to_ascii_uppercase();
            (is_system(s, "ICD-O-3") && (code.starts_with("C40") || code.starts_with("C41")))
                // Bone structure (body structure).
                || (is_system(s, "SNOMED") && code == "272673000")
        });
    let code = codings(c.code.as_ref()).any(|s| {
        let code: String = s
            .code
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(|c| *c != '.')
            .collect();
        // C79.51 Secondary malignant neoplasm of bone; 94222008 Secondary malignant
        // neoplasm of bone.
        (is_system(s, "ICD-10-CM") && code.to_ascii_uppercase().starts_with("C7951"))
            || (is_system(s, "SNOMED") && code == "94222008")
    });
    site || code
}

/// What a Condition leaves for linking: a cancer condition's `stage.assessment` references,
/// or a secondary cancer condition's metastasis.
pub(crate) fn condition_links(c: &ConditionInner, t: &Tables, links: &mut Vec<Link>) {
    if secondary_cancer(c, t) {
        let primary = c
            .extension
            .iter()
            .filter(|e| e.url == MCODE_RELATED_PRIMARY)
            .find_map(|e| match &e.value {
                Some(ExtensionValue::Reference(r)) => {
                    r.reference.as_deref().and_then(|s| ref_id(s, "Condition"))
                }
                _ => None,
            });
        links.push(Link::Metastasis(Metastasis {
            condition: ResourceRef {
                resource_type: "Condition".to_owned(),
                id: c.id.clone(),
            },
            primary,
            date: diagnosis_date(c),
            bone: is_bone(c),
        }));
        return;
    }
    let observations: Vec<String> = c
        .stage
        .iter()
        .flatten()
        .flat_map(|s| refs(&s.assessment, "Observation"))
        .collect();
    if let Some(id) = &c.id
        && !observations.is_empty()
    {
        links.push(Link::Assessments {
            condition: id.clone(),
            observations,
        });
    }
}

/// A primary cancer condition's histology from the mCODE histology-morphology-behaviour
/// extension: an ICD-O-3 morphology code is kept as `histology` and grouped by the shipped
/// ranges; a SNOMED CT morphology is kept as `histology` without a group.
pub(crate) fn histology(
    c: &ConditionInner,
    dx: &mut Diagnosis,
    reasons: &mut Reasons,
    unmapped: &mut Vec<CodeRef>,
) {
    let concepts: Vec<&Coding> = c
        .extension
        .iter()
        .filter(|e| e.url == MCODE_HISTOLOGY)
        .filter_map(|e| match &e.value {
            Some(ExtensionValue::CodeableConcept(cc)) => Some(cc),
            _ => None,
        })
        .flat_map(|cc| cc.coding.iter().flatten())
        .collect();
    let icdo = concepts
        .iter()
        .find(|s| is_system(s, "ICD-O-3") && s.code.is_some());
    let snomed = concepts
        .iter()
        .find(|s| is_system(s, "SNOMED") && s.code.is_some());
    let groups = obs_tables().ok();
    if let Some(s) = icdo
        && let Some(code) = s.code.as_deref()
    {
        dx.histology = Some(Code::new("ICD-O-3", code.trim()));
        dx.histology_group = groups.and_then(|g| g.morphology(code));
        if dx.histology_group.is_none() {
            reasons.push(("histology_group", MissingReason::UnmappedCode));
            unmapped.push(code_ref(s));
        }
    } else if let Some(s) = snomed
        && let Some(code) = s.code.as_deref()
    {
        dx.histology = Some(Code::new("SNOMED", code.trim()));
        reasons.push(("histology_group", MissingReason::UnmappedCode));
        unmapped.push(code_ref(s));
    } else if concepts.is_empty() {
        reasons.push(("histology", MissingReason::Absent));
        reasons.push(("histology_group", MissingReason::Absent));
    } else {
        reasons.push(("histology", MissingReason::UnmappedCode));
        reasons.push(("histology_group", MissingReason::UnmappedCode));
        unmapped.extend(concepts.iter().map(|s| code_ref(s)));
    }
}

#[cfg(test)]
mod tests {
    use super::super::assemble::take;
    use super::*;
    use crate::chart::{
        AssessmentKind, AssessmentScale, BiomarkerMethod, Date, HistologyGroup, LabTest,
    };
    use fhir_model::r4b::resources::{Condition as FhirCondition, Observation as FhirObservation};

    const LOINC: &str = "http://loinc.org";
    const SCT: &str = "http://snomed.info/sct";

    fn obs(code: (&str, &str), rest: &str) -> (Outcome, Vec<Link>) {
        let json = format!(
            r#"{{"resourceType":"Observation","id":"o1","status":"final","code":{{"coding":[{{"system":"{}","code":"{}"}}]}}{rest}}}"#,
            code.0, code.1
        );
        let o: FhirObservation = serde_json::from_str(&json).unwrap();
        let mut links = Vec::new();
        let out = observation(&o, &mut links);
        (out, links)
    }

    fn finding(links: &[Link]) -> &Finding {
        match links {
            [Link::Finding(f)] => f,
            other => panic!("{} links", other.len()),
        }
    }

    #[test]
    fn a_stage_group_observation_is_a_finding_for_its_focus() {
        let (out, links) = obs(
            (LOINC, "21908-9"),
            r#","focus":[{"reference":"Condition/c1"}],"effectiveDateTime":"2026-02-03",
               "valueCodeableConcept":{"coding":[{"system":"http://cancerstaging.org","code":"3C"}]}"#,
        );
        let (items, unmapped) = out.unwrap();
        assert!(items.is_empty() && unmapped.is_empty());
        let f = finding(&links);
        assert_eq!(f.focus, ["c1"]);
        assert_eq!(f.date, Ok(Date::from_ymd(2026, 2, 3).unwrap()));
        assert_eq!(
            f.what,
            What::Staging {
                element: Element::Group,
                timing: Timing::Clinical,
                value: Some(Stage::Group(StageGroup::IIIC))
            }
        );
    }

    #[test]
    fn tnm_categories_map_exactly_with_their_prefix() {
        let cat = |code: &str, value: &str| {
            let (out, links) = obs(
                (LOINC, code),
                &format!(
                    r#","valueCodeableConcept":{{"coding":[{{"system":"http://cancerstaging.org","code":"{value}"}}]}}"#
                ),
            );
            (out.unwrap().1, finding(&links).what.clone())
        };
        assert_eq!(
            cat("21905-5", "cT2a").1,
            What::Staging {
                element: Element::T,
                timing: Timing::Clinical,
                value: Some(Stage::T(TCategory::T2a))
            }
        );
        assert_eq!(
            cat("21911-3", "pTis").1,
            What::Staging {
                element: Element::T,
                timing: Timing::Pathological,
                value: Some(Stage::T(TCategory::Tis))
            },
            "the prefix says pathological"
        );
        assert_eq!(
            cat("21900-6", "pN1mi").1,
            What::Staging {
                element: Element::N,
                timing: Timing::Pathological,
                value: Some(Stage::N(NCategory::N1mi))
            }
        );
        assert_eq!(
            cat("21907-1", "M0").1,
            What::Staging {
                element: Element::M,
                timing: Timing::Clinical,
                value: Some(Stage::M(MCategory::M0))
            }
        );
        for (code, value) in [
            ("21905-5", "ypT2"),
            ("21906-3", "cN0(i+)"),
            ("21907-1", "rM1"),
        ] {
            let (unmapped, what) = cat(code, value);
            assert!(matches!(what, What::Staging { value: None, .. }), "{value}");
            assert_eq!(unmapped.len(), 1, "{value} counted");
        }
    }

    #[test]
    fn tumour_markers_read_answers_interpretation_percent_and_method() {
        let (_, links) = obs(
            (LOINC, "85337-4"),
            r#","effectiveDateTime":"2026-01-02","valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"LA6576-8"}]}"#,
        );
        let What::Biomarker(b) = &finding(&links).what else {
            panic!()
        };
        assert_eq!(b.name, Some(BiomarkerName::Er));
        assert_eq!(b.result, Some(BiomarkerResult::Positive));
        assert_eq!(b.method, Some(BiomarkerMethod::Ihc));
        assert_eq!(b.result_date, Date::from_ymd(2026, 1, 2));
        let (_, links) = obs(
            (LOINC, "85329-1"),
            r#","valueQuantity":{"value":95.5,"unit":"%","system":"http://unitsofmeasure.org","code":"%"},
               "interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"POS"}]}]"#,
        );
        let What::Biomarker(b) = &finding(&links).what else {
            panic!()
        };
        assert_eq!(b.value, Some("95.5".parse().unwrap()));
        assert_eq!(b.result, Some(BiomarkerResult::Positive));
        let (_, links) = obs(
            (LOINC, "75974-6"),
            r#","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"260415000"}]}"#,
        );
        let What::Biomarker(b) = &finding(&links).what else {
            panic!()
        };
        assert_eq!(b.name, Some(BiomarkerName::Kras));
        assert_eq!(b.result, Some(BiomarkerResult::WildType), "not detected");
        assert_eq!(b.method, None);
        let (out, links) = obs(
            (LOINC, "48676-1"),
            r#","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"1"}]}"#,
        );
        let What::Biomarker(b) = &finding(&links).what else {
            panic!()
        };
        assert_eq!(b.result, None);
        assert_eq!(out.unwrap().1.len(), 1, "the unmapped answer is counted");
    }

    #[test]
    fn assessments_scores_units_and_tobacco() {
        let a = |code: &str, rest: &str| {
            let (out, links) = obs((LOINC, code), rest);
            assert!(links.is_empty());
            let (mut items, _) = out.unwrap();
            take::<Assessment>(items.remove(0))
        };
        let (ecog, r) = a(
            "89247-1",
            r#","effectiveDateTime":"2026-03-04","valueInteger":1"#,
        );
        assert_eq!(ecog.kind, Some(AssessmentKind::PerformanceStatus));
        assert_eq!(ecog.scale, Some(AssessmentScale::Ecog));
        assert_eq!(ecog.score, Some(Number::from(1)));
        assert_eq!(ecog.date, Date::from_ymd(2026, 3, 4));
        assert!(r.contains(&("plan_documented", MissingReason::NotImported)));
        assert!(r.contains(&("severity", MissingReason::NotImported)));
        let (pain, _) = a(
            "72514-3",
            r#","valueQuantity":{"value":7,"system":"http://unitsofmeasure.org","code":"{score}"}"#,
        );
        assert_eq!(pain.scale, Some(AssessmentScale::Numeric010));
        assert_eq!(pain.score, Some(Number::from(7)));
        assert_eq!(pain.severity, None, "never derived from the score");
        let (w, r) = a(
            "29463-7",
            r#","valueQuantity":{"value":150,"code":"[lb_av]"}"#,
        );
        assert_eq!(w.score, None);
        assert!(r.contains(&("score", MissingReason::OtherUnit)));
        let (w, _) = a("29463-7", r#","valueQuantity":{"value":70.2,"code":"kg"}"#);
        assert_eq!(w.score, Some("70.2".parse().unwrap()));
        let (s, _) = a(
            "72166-2",
            r#","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"8517006"}]}"#,
        );
        assert_eq!(s.kind, Some(AssessmentKind::TobaccoUse));
        assert_eq!(s.tobacco_status, Some(TobaccoStatus::Former));
        let (k, r) = a(
            "89243-0",
            r#","dataAbsentReason":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/data-absent-reason","code":"asked-declined"}]}"#,
        );
        assert_eq!(k.score, None);
        assert!(r.contains(&("score", MissingReason::DataAbsent)));
        assert!(r.contains(&("date", MissingReason::Absent)));
    }

    #[test]
    fn labs_values_in_the_canonical_unit_and_results() {
        let l = |code: &str, rest: &str| {
            let (out, _) = obs((LOINC, code), rest);
            let (mut items, _) = out.unwrap();
            take::<Lab>(items.remove(0))
        };
        let (hb, _) = l(
            "718-7",
            r#","valueQuantity":{"value":11.2,"unit":"g/dL","code":"g/dL"}"#,
        );
        assert_eq!(hb.test, Some(LabTest::Hemoglobin));
        assert_eq!(hb.value, Some("11.2".parse().unwrap()));
        let (hb, r) = l("718-7", r#","valueQuantity":{"value":112,"code":"g/L"}"#);
        assert_eq!(hb.value, None);
        assert!(r.contains(&("value", MissingReason::OtherUnit)));
        let (psa, r) = l(
            "2857-1",
            r#","valueQuantity":{"value":0.1,"comparator":"<","code":"ng/mL"}"#,
        );
        assert_eq!(psa.value, None);
        assert!(r.contains(&("value", MissingReason::InexactValue)));
        let (cr, r) = l("2160-0", r#","valueQuantity":{"value":1.1,"code":"mg/dL"}"#);
        assert_eq!((cr.test, cr.value), (Some(LabTest::Creatinine), None));
        assert!(
            r.contains(&("value", MissingReason::NotImported)),
            "no canonical unit"
        );
        let (hbs, _) = l(
            "5196-1",
            r#","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"260385009"}]}"#,
        );
        assert_eq!(hbs.result, Some(LabResult::Negative));
    }

    #[test]
    fn statuses_and_unlisted_codes_are_skipped() {
        for s in ["preliminary", "registered", "cancelled", "entered-in-error"] {
            let json = format!(
                r#"{{"resourceType":"Observation","status":"{s}","code":{{"coding":[{{"system":"http://loinc.org","code":"718-7"}}]}}}}"#
            );
            let o: FhirObservation = serde_json::from_str(&json).unwrap();
            let e = observation(&o, &mut Vec::new()).err().unwrap();
            assert_eq!(
                e.0,
                SkipReason::Status {
                    status: s.to_owned()
                }
            );
        }
        let (out, _) = obs((SCT, "1234"), "");
        let (reason, codes) = out.err().unwrap();
        assert_eq!(reason.name(), "unlisted_observation");
        assert_eq!(codes.len(), 1);
    }

    fn cond(json: &str) -> (Vec<Link>, Outcome) {
        let c: FhirCondition = serde_json::from_str(json).unwrap();
        let t = super::super::tables::tables().unwrap();
        let mut links = Vec::new();
        condition_links(&c, t, &mut links);
        (links, super::super::map::condition(&c, t))
    }

    #[test]
    fn conditions_leave_assessments_and_metastases_and_histology() {
        let (links, out) = cond(
            r#"{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/x"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"C50.911"}]},
              "extension":[{"url":"http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior",
                "valueCodeableConcept":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/icd-o-3","code":"8500/3"}]}}],
              "stage":[{"assessment":[{"reference":"Observation/s1"}]}]}"#,
        );
        assert_eq!(
            links,
            [Link::Assessments {
                condition: "c1".to_owned(),
                observations: vec!["s1".to_owned()]
            }]
        );
        let (mut items, _) = out.unwrap();
        let (dx, _) = take::<Diagnosis>(items.remove(0));
        assert_eq!(dx.histology, Some(Code::new("ICD-O-3", "8500/3")));
        assert_eq!(dx.histology_group, Some(HistologyGroup::Ductal));
        let (links, out) = cond(
            r#"{"resourceType":"Condition","id":"m1","subject":{"reference":"Patient/x"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"C79.51"}]},
              "onsetDateTime":"2026-05-06",
              "extension":[{"url":"http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition",
                "valueReference":{"reference":"Condition/c1"}}]}"#,
        );
        assert_eq!(out.err().unwrap().0, SkipReason::SecondaryCancer);
        assert_eq!(
            links,
            [Link::Metastasis(Metastasis {
                condition: ResourceRef {
                    resource_type: "Condition".to_owned(),
                    id: Some("m1".to_owned())
                },
                primary: Some("c1".to_owned()),
                date: Ok(Date::from_ymd(2026, 5, 6).unwrap()),
                bone: true,
            })]
        );
        let (links, _) = cond(
            r#"{"resourceType":"Condition","id":"m2","subject":{"reference":"Patient/x"},"meta":{"profile":["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-secondary-cancer-condition"]},
              "code":{"coding":[{"system":"http://snomed.info/sct","code":"94381002"}]},
              "bodySite":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/icd-o-3","code":"C22.0"}]}]}"#,
        );
        let [Link::Metastasis(m)] = links.as_slice() else {
            panic!()
        };
        assert_eq!((m.primary.as_deref(), m.bone), (None, false));
        assert_eq!(m.date, Err(MissingReason::Absent));
    }

    #[test]
    fn references_resolve_to_ids_of_their_type() {
        assert_eq!(ref_id("Condition/c1", "Condition").as_deref(), Some("c1"));
        assert_eq!(
            ref_id("https://h/fhir/Condition/c1/_history/2", "Condition").as_deref(),
            Some("c1")
        );
        assert_eq!(ref_id("Observation/c1", "Condition"), None);
        assert_eq!(ref_id("urn:uuid:1", "Condition"), None);
        assert_eq!(ref_id("Condition/", "Condition"), None);
    }
}
