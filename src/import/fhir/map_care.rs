//! Procedure → surgeries, radiation courses, procedures (imaging and tests) and not-done
//! reasons. Codes are read from the shipped tables (`procedure-kind.csv`,
//! `radiotherapy.csv`); the diagnosis a surgery or course treats is linked by
//! [`super::link_med`] from `reasonReference`.

use fhir_model::r4b::codes::EventStatus;
use fhir_model::r4b::resources::{ProcedureInner, ProcedurePerformed};
use fhir_model::r4b::types::{Coding, ExtensionValue};

use super::assemble::{Item, Mapped};
use super::link_med::MedRefs;
use super::map::ref_id;
use super::map::{
    DateResult, Outcome, Reasons, code_ref, codings, from_date_time, is_system, item, note,
    opt_date,
};
use super::map_med::{CURATIVE, PALLIATIVE, intent_code, not_done, reason_type};
use super::report::{CodeRef, MissingReason, SkipReason};
use super::tables_med::{MedTables, ProcedureRow, System};
use crate::chart::{
    Action, Number, Procedure, ProcedureKind, RadiationCourse, RadiationIntent, Surgery,
    SurgeryIntent,
};

/// mCODE's radiotherapy course summary profile.
pub(crate) const MCODE_RT_COURSE: &str =
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-radiotherapy-course-summary";
/// SNOMED CT "Radiotherapy course of treatment (regime/therapy)", the profile's fixed code.
pub(crate) const RT_COURSE_CODE: &str = "1217123003";
/// mCODE's modality and technique extension (complex: `modality`, `technique`).
pub(crate) const MCODE_MODALITY_TECHNIQUE: &str =
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-radiotherapy-modality-and-technique";
/// mCODE's number of sessions extension (`valueUnsignedInt`).
pub(crate) const MCODE_SESSIONS: &str =
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-radiotherapy-sessions";
/// SNOMED CT "Diagnostic intent".
const DIAGNOSTIC: &str = "261004008";

/// A procedure's day: `performedDateTime`, or `performedPeriod.start`.
fn performed_start(p: &ProcedureInner) -> DateResult {
    match &p.performed {
        Some(ProcedurePerformed::DateTime(d)) => from_date_time(d),
        Some(ProcedurePerformed::Period(x)) => opt_date(x.start.as_ref()),
        _ => Err(MissingReason::Absent),
    }
}

fn conditions(p: &ProcedureInner) -> Vec<String> {
    p.reason_reference
        .iter()
        .flatten()
        .filter_map(|r| r.reference.as_deref())
        .filter_map(|r| ref_id(r, "Condition"))
        .collect()
}

/// The action a not-done procedure stands for, when the dictionary has one exactly.
pub(crate) fn procedure_action(row: Option<ProcedureRow>, radiation: bool) -> Option<Action> {
    if radiation {
        return Some(Action::RadiationTherapy);
    }
    match row? {
        ProcedureRow::Procedure(k) => match k {
            ProcedureKind::BoneScan => Some(Action::BoneScan),
            ProcedureKind::Dexa => Some(Action::BoneDensityScan),
            ProcedureKind::Colonoscopy => Some(Action::Colonoscopy),
            ProcedureKind::Echocardiogram | ProcedureKind::Muga => Some(Action::LvefAssessment),
            ProcedureKind::DentalEvaluation => Some(Action::DentalEvaluation),
            _ => None,
        },
        ProcedureRow::Surgery(_) => None,
    }
}

/// Procedure → surgery, radiation course, procedure or not-done reason.
///
/// Status `entered-in-error`, `preparation` and `unknown` are skipped; `not-done` with a
/// `statusReason` is a not-done reason (dated by `performed[x]` when given), without one it
/// is skipped. A radiotherapy course is a Procedure with the mCODE course summary profile
/// or its fixed code; its `start_date`/`end_date` come from `performedPeriod` (no end while
/// `in-progress`), `modality` from the modality and technique extension (photons and
/// electrons are `ebrt` only when no technique is named), `target` from `bodySite` when all
/// sites name one target, `intent` from the mCODE procedure intent extension, `fractions`
/// from the number of sessions extension. A surgery's `intent` is read from the same
/// extension (curative, palliative, diagnostic).
pub(crate) fn procedure(p: &ProcedureInner, t: &MedTables) -> Outcome {
    let status = match p.status {
        EventStatus::EnteredInError => Some("entered-in-error"),
        EventStatus::Preparation => Some("preparation"),
        EventStatus::Unknown => Some("unknown"),
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
    let all: Vec<&Coding> = codings(p.code.as_ref()).collect();
    let profiled = p
        .meta
        .iter()
        .flat_map(|m| m.profile.iter().flatten())
        .any(|u| u == MCODE_RT_COURSE);
    let radiation = profiled
        || all
            .iter()
            .any(|c| is_system(c, "SNOMED") && c.code.as_deref() == Some(RT_COURSE_CODE));
    let row = all.iter().find_map(|c| {
        let sys = System::of_uri(c.system.as_deref()?)?;
        t.procedure(sys, c.code.as_deref()?)
    });
    let mut unmapped = Vec::new();
    if p.status == EventStatus::NotDone {
        if !radiation && row.is_none() {
            let codes: Vec<CodeRef> = all.iter().map(|c| code_ref(c)).collect();
            return Err((
                SkipReason::UnlistedProcedure {
                    codes: codes.clone(),
                },
                codes,
            ));
        }
        let reason = reason_type(p.status_reason.iter(), t, &mut unmapped);
        if reason == Err(MissingReason::Absent) {
            return Err((SkipReason::NotDoneWithoutReason, Vec::new()));
        }
        let out = not_done(
            procedure_action(row, radiation),
            None,
            reason,
            performed_start(p),
        );
        return Ok((vec![out], unmapped));
    }
    let refs = MedRefs {
        conditions: conditions(p),
        ..MedRefs::default()
    };
    if radiation {
        return Ok((vec![radiation_course(p, t, refs, &mut unmapped)], unmapped));
    }
    match row {
        Some(ProcedureRow::Surgery(kind)) => {
            let mut reasons = Reasons::new();
            let intent = match intent_code(
                &p.extension,
                &mut unmapped,
                &[CURATIVE, PALLIATIVE, DIAGNOSTIC],
            ) {
                Ok(CURATIVE) => Some(SurgeryIntent::Curative),
                Ok(PALLIATIVE) => Some(SurgeryIntent::Palliative),
                Ok(_) => Some(SurgeryIntent::Diagnostic),
                Err(r) => {
                    reasons.push(("intent", r));
                    None
                }
            };
            let out = Surgery {
                kind: Some(kind),
                date: note(performed_start(p), "date", &mut reasons),
                intent,
                ..Surgery::default()
            };
            Ok((
                vec![Item::with_refs(Mapped::from(Box::new(out)), reasons, refs)],
                unmapped,
            ))
        }
        Some(ProcedureRow::Procedure(kind)) => {
            let mut reasons = Reasons::new();
            let out = Procedure {
                kind: Some(kind),
                date: note(performed_start(p), "date", &mut reasons),
                ..Procedure::default()
            };
            Ok((vec![item(out, reasons)], unmapped))
        }
        None => {
            let codes: Vec<CodeRef> = all.iter().map(|c| code_ref(c)).collect();
            Err((
                SkipReason::UnlistedProcedure {
                    codes: codes.clone(),
                },
                codes,
            ))
        }
    }
}

fn radiation_course(
    p: &ProcedureInner,
    t: &MedTables,
    refs: MedRefs,
    unmapped: &mut Vec<CodeRef>,
) -> Item {
    let mut reasons = Reasons::new();
    let (start, end) = match &p.performed {
        Some(ProcedurePerformed::Period(x)) => {
            (opt_date(x.start.as_ref()), opt_date(x.end.as_ref()))
        }
        Some(ProcedurePerformed::DateTime(_)) => {
            (Err(MissingReason::NoValue), Err(MissingReason::NoValue))
        }
        _ => (Err(MissingReason::Absent), Err(MissingReason::Absent)),
    };
    let start_date = note(start, "start_date", &mut reasons);
    let end = if p.status == EventStatus::InProgress {
        Err(MissingReason::Absent)
    } else {
        match (start_date, end) {
            (Some(s), Ok(e)) if e < s => Err(MissingReason::EndBeforeStart),
            (_, e) => e,
        }
    };
    let end_date = note(end, "end_date", &mut reasons);
    // Modality: the modality and technique extensions' modalities, when they agree.
    let mut modalities = Vec::new();
    for e in p
        .extension
        .iter()
        .filter(|e| e.url == MCODE_MODALITY_TECHNIQUE)
    {
        let technique = e.extension.iter().any(|x| x.url == "technique");
        for m in e.extension.iter().filter(|x| x.url == "modality") {
            let cs: Vec<&Coding> = match &m.value {
                Some(ExtensionValue::CodeableConcept(c)) => codings(Some(c)).collect(),
                _ => Vec::new(),
            };
            let found = cs
                .iter()
                .filter(|c| is_system(c, "SNOMED"))
                .find_map(|c| c.code.as_deref().and_then(|code| t.modality(code)));
            match found {
                Some(crate::chart::RadiationModality::Ebrt) if technique => {
                    unmapped.extend(cs.iter().map(|c| code_ref(c)));
                    modalities.push(None);
                }
                Some(x) => modalities.push(Some(x)),
                None => {
                    unmapped.extend(cs.iter().map(|c| code_ref(c)));
                    modalities.push(None);
                }
            }
        }
    }
    let modality = match modalities.as_slice() {
        [] => {
            reasons.push(("modality", MissingReason::Absent));
            None
        }
        [first, rest @ ..] if first.is_some() && rest.iter().all(|m| m == first) => *first,
        all if all.iter().any(Option::is_none) => {
            reasons.push(("modality", MissingReason::UnmappedCode));
            None
        }
        _ => {
            reasons.push(("modality", MissingReason::Conflicting));
            None
        }
    };
    // Target: every body site names the same target.
    let sites: Vec<&Coding> = p
        .body_site
        .iter()
        .flatten()
        .flat_map(|b| codings(Some(b)))
        .collect();
    let targets: Vec<_> = p
        .body_site
        .iter()
        .flatten()
        .map(|b| {
            codings(Some(b))
                .filter(|c| is_system(c, "SNOMED"))
                .find_map(|c| c.code.as_deref().and_then(|code| t.target(code)))
        })
        .collect();
    let target = match targets.as_slice() {
        [] => {
            reasons.push(("target", MissingReason::Absent));
            None
        }
        [Some(first), rest @ ..] if rest.iter().all(|x| *x == Some(*first)) => Some(*first),
        all if all.iter().any(Option::is_none) => {
            unmapped.extend(sites.iter().map(|c| code_ref(c)));
            reasons.push(("target", MissingReason::UnmappedCode));
            None
        }
        _ => {
            reasons.push(("target", MissingReason::Conflicting));
            None
        }
    };
    let intent = match intent_code(&p.extension, unmapped, &[CURATIVE, PALLIATIVE]) {
        Ok(CURATIVE) => Some(RadiationIntent::Curative),
        Ok(_) => Some(RadiationIntent::Palliative),
        Err(r) => {
            reasons.push(("intent", r));
            None
        }
    };
    let fractions = p
        .extension
        .iter()
        .find(|e| e.url == MCODE_SESSIONS)
        .and_then(|e| match &e.value {
            Some(ExtensionValue::UnsignedInt(n)) => Some(Number::from(*n)),
            _ => None,
        });
    if fractions.is_none() {
        reasons.push(("fractions", MissingReason::Absent));
    }
    let out = RadiationCourse {
        diagnosis_id: None,
        target,
        modality,
        start_date,
        end_date,
        intent,
        fractions,
    };
    Item::with_refs(Mapped::from(Box::new(out)), reasons, refs)
}

#[cfg(test)]
mod tests {
    use super::super::assemble::take;
    use super::super::map_med::MCODE_INTENT;
    use super::super::tables_med::med_tables;
    use super::*;
    use crate::chart::{Date, RadiationModality, RadiationTarget, ReasonType, SurgeryKind};
    use fhir_model::r4b::resources::Procedure as FhirProcedure;

    fn proc_(status: &str, extra: &str) -> Outcome {
        let json = format!(
            r#"{{"resourceType":"Procedure","id":"pr1","status":"{status}","subject":{{"reference":"Patient/p"}},{extra}}}"#
        );
        let p: FhirProcedure = serde_json::from_str(&json).unwrap();
        procedure(&p, med_tables().unwrap())
    }

    fn code(system: &str, code: &str) -> String {
        format!(r#""code":{{"coding":[{{"system":"{system}","code":"{code}"}}]}}"#)
    }

    const CPT: &str = "http://www.ama-assn.org/go/cpt";
    const SCT: &str = "http://snomed.info/sct";

    fn one(o: Outcome) -> Item {
        let (mut items, _) = o.ok().unwrap();
        assert_eq!(items.len(), 1);
        items.pop().unwrap()
    }

    fn skip(o: Outcome) -> &'static str {
        match o {
            Err((r, _)) => r.name(),
            Ok(_) => "mapped",
        }
    }

    fn sct_ext(url: &str, c: &str) -> String {
        format!(
            r#"{{"url":"{url}","valueCodeableConcept":{{"coding":[{{"system":"{SCT}","code":"{c}"}}]}}}}"#
        )
    }

    #[test]
    fn surgeries_and_procedures_by_code() {
        let it = one(proc_(
            "completed",
            &format!(
                r#"{},"performedDateTime":"2026-03-04","reasonReference":[{{"reference":"Condition/dx1"}}],
                "extension":[{}]"#,
                code(CPT, "19303"),
                sct_ext(MCODE_INTENT, "373808002")
            ),
        ));
        assert_eq!(it.med.as_ref().unwrap().conditions, ["dx1"]);
        let (s, reasons) = take::<Surgery>(it);
        assert_eq!(s.kind, Some(SurgeryKind::Mastectomy));
        assert_eq!(s.date, Date::from_ymd(2026, 3, 4));
        assert_eq!(s.intent, Some(SurgeryIntent::Curative));
        assert!(reasons.is_empty());
        let (s, reasons) = take::<Surgery>(one(proc_(
            "completed",
            &format!(
                r#"{},"performedPeriod":{{"start":"2026-03-05"}}"#,
                code(SCT, "173171007")
            ),
        )));
        assert_eq!(s.kind, Some(SurgeryKind::Lobectomy));
        assert_eq!(s.date, Date::from_ymd(2026, 3, 5));
        assert_eq!(reasons, [("intent", MissingReason::Absent)]);
        let (p, reasons) = take::<Procedure>(one(proc_("completed", &code(CPT, "78815"))));
        assert_eq!(p.kind, Some(ProcedureKind::PetCt));
        assert_eq!(reasons, [("date", MissingReason::Absent)]);
        let o = proc_("completed", &code(CPT, "99213"));
        let Err((SkipReason::UnlistedProcedure { codes }, counted)) = o else {
            panic!("unlisted")
        };
        assert_eq!(codes, counted);
        assert_eq!(
            skip(proc_("completed", &code(SCT, "19303"))),
            "unlisted_procedure"
        );
        for s in ["entered-in-error", "preparation", "unknown"] {
            assert_eq!(skip(proc_(s, &code(CPT, "19303"))), "status");
        }
    }

    #[test]
    fn not_done_procedures() {
        assert_eq!(
            skip(proc_("not-done", &code(CPT, "78306"))),
            "not_done_without_reason"
        );
        let (n, reasons) = take::<crate::chart::NotDoneReason>(one(proc_(
            "not-done",
            &format!(
                r#"{},"statusReason":{{"coding":[{{"system":"{SCT}","code":"183932001"}}]}}"#,
                code(CPT, "78306")
            ),
        )));
        assert_eq!(n.action, Some(Action::BoneScan));
        assert_eq!(n.reason_type, Some(ReasonType::Medical));
        assert_eq!(
            reasons,
            [
                ("agent_class", MissingReason::NoValue),
                ("date", MissingReason::Absent)
            ]
        );
        assert_eq!(
            skip(proc_(
                "not-done",
                &format!(
                    r#"{},"statusReason":{{"coding":[{{"system":"{SCT}","code":"183932001"}}]}}"#,
                    code(CPT, "99213")
                )
            )),
            "unlisted_procedure"
        );
    }

    #[test]
    fn radiotherapy_course_summaries() {
        let mt = format!(
            r#"{{"url":"{MCODE_MODALITY_TECHNIQUE}","extension":[{}]}}"#,
            sct_ext("modality", "1156506007")
        );
        let it = one(proc_(
            "completed",
            &format!(
                r#""meta":{{"profile":["{MCODE_RT_COURSE}"]}},{},
                "performedPeriod":{{"start":"2026-05-01","end":"2026-06-10"}},
                "bodySite":[{{"coding":[{{"system":"{SCT}","code":"76752008"}}]}}],
                "extension":[{},{},{{"url":"{MCODE_SESSIONS}","valueUnsignedInt":25}}]"#,
                code(SCT, RT_COURSE_CODE),
                mt,
                sct_ext(MCODE_INTENT, "363676003")
            ),
        ));
        let (c, reasons) = take::<RadiationCourse>(it);
        assert_eq!(c.modality, Some(RadiationModality::Ebrt));
        assert_eq!(c.target, Some(RadiationTarget::Breast));
        assert_eq!(c.intent, Some(RadiationIntent::Palliative));
        assert_eq!(c.fractions, Some(Number::from(25)));
        assert_eq!(c.start_date, Date::from_ymd(2026, 5, 1));
        assert_eq!(c.end_date, Date::from_ymd(2026, 6, 10));
        assert!(reasons.is_empty(), "{reasons:?}");
        // A technique may be stereotactic: photons then say no modality; in progress: no end.
        let mt = format!(
            r#"{{"url":"{MCODE_MODALITY_TECHNIQUE}","extension":[{},{}]}}"#,
            sct_ext("modality", "1156506007"),
            sct_ext("technique", "1156530009")
        );
        let (items, unmapped) = proc_(
            "in-progress",
            &format!(
                r#"{},"performedPeriod":{{"start":"2026-05-01","end":"2026-06-10"}},
                "bodySite":[{{"coding":[{{"system":"{SCT}","code":"76752008"}}]}},{{"coding":[{{"system":"{SCT}","code":"41216001"}}]}}],
                "extension":[{}]"#,
                code(SCT, RT_COURSE_CODE),
                mt
            ),
        )
        .ok()
        .unwrap();
        assert_eq!(unmapped.len(), 1);
        let (c, reasons) = take::<RadiationCourse>(items.into_iter().next().unwrap());
        assert_eq!(c.modality, None);
        assert_eq!(c.end_date, None);
        assert_eq!(c.target, None);
        assert!(reasons.contains(&("modality", MissingReason::UnmappedCode)));
        assert!(reasons.contains(&("target", MissingReason::Conflicting)));
        assert!(reasons.contains(&("end_date", MissingReason::Absent)));
        assert!(reasons.contains(&("intent", MissingReason::Absent)));
        assert!(reasons.contains(&("fractions", MissingReason::Absent)));
        // Brachytherapy, end before start dropped.
        let mt = format!(
            r#"{{"url":"{MCODE_MODALITY_TECHNIQUE}","extension":[{}]}}"#,
            sct_ext("modality", "394902000")
        );
        let (c, reasons) = take::<RadiationCourse>(one(proc_(
            "completed",
            &format!(
                r#"{},"performedPeriod":{{"start":"2026-05-01","end":"2026-04-10"}},"extension":[{}]"#,
                code(SCT, RT_COURSE_CODE),
                mt
            ),
        )));
        assert_eq!(c.modality, Some(RadiationModality::BrachytherapyHdr));
        assert!(reasons.contains(&("end_date", MissingReason::EndBeforeStart)));
        assert!(reasons.contains(&("target", MissingReason::Absent)));
    }
}
