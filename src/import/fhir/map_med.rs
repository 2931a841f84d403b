//! MedicationRequest and MedicationAdministration → regimens, administrations, supportive
//! medications and not-done reasons. The drug is the RxNorm ingredient of
//! `medicationCodeableConcept`, or of a contained Medication's `code` or ingredients; the
//! shipped tables say whether it is an anticancer agent (category and class) or a
//! supportive medication (class). References to other resources are kept beside the records
//! for [`super::link_med`].

use fhir_model::r4b::resources::{
    MedicationAdministrationEffective, MedicationAdministrationInner,
    MedicationAdministrationMedication, MedicationIngredientItem, MedicationRequestInner,
    MedicationRequestMedication, Resource,
};
use fhir_model::r4b::types::{
    CodeableConcept, Coding, Dosage, Extension, ExtensionValue, Period, Reference,
    TimingRepeatBounds,
};

use super::assemble::{Item, Mapped};
use super::link_med::MedRefs;
use super::map::ref_id;
use super::map::{
    DateResult, Outcome, Reasons, code_ref, codings, from_date_time, is_system, item, note,
    opt_date,
};
use super::report::{CodeRef, MissingReason, SkipReason};
use super::tables_med::{AgentRow, MedTables, System};
use crate::chart::{
    Action, Administration, Agent, AgentCategory, AgentClass, Code, Date, Medication,
    MedicationClass, NotDoneReason, ReasonType, Regimen, RegimenId, RegimenIntent, Route,
};

/// mCODE's procedure intent extension (on MedicationRequest, MedicationAdministration,
/// Procedure and ServiceRequest).
pub(crate) const MCODE_INTENT: &str =
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-procedure-intent";
/// SNOMED CT "Curative - procedure intent".
pub(crate) const CURATIVE: &str = "373808002";
/// SNOMED CT "Palliative - procedure intent".
pub(crate) const PALLIATIVE: &str = "363676003";

/// What a medication is, by the tables.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Drug<'a> {
    /// An anticancer agent: its RxNorm ingredient code and row.
    Agent(&'a str, AgentRow),
    /// A supportive medication: its RxNorm ingredient code and class.
    Supportive(&'a str, MedicationClass),
}

/// The codings naming a medication: a concept's, or a contained Medication's code and
/// ingredients (`#id`); a Medication not contained is refused.
fn medication_codings<'a>(
    concept: Option<&'a CodeableConcept>,
    reference: Option<&'a Reference>,
    contained: &'a [Resource],
) -> Result<Vec<&'a Coding>, SkipReason> {
    if let Some(c) = concept {
        return Ok(codings(Some(c)).collect());
    }
    let id = reference
        .and_then(|r| r.reference.as_deref())
        .and_then(|r| r.strip_prefix('#'))
        .ok_or(SkipReason::MedicationNotContained)?;
    let m = contained
        .iter()
        .find_map(|r| match r {
            Resource::Medication(m) if m.id.as_deref() == Some(id) => Some(m),
            _ => None,
        })
        .ok_or(SkipReason::MedicationNotContained)?;
    let mut out: Vec<&Coding> = codings(m.code.as_ref()).collect();
    for ing in m.ingredient.iter().flatten() {
        if let MedicationIngredientItem::CodeableConcept(c) = &ing.item {
            out.extend(codings(Some(c)));
        }
    }
    Ok(out)
}

/// The drug of `all` (its first RxNorm coding that is an agent, else a supportive one), or
/// the skip with the codes.
fn drug<'a>(all: &[&'a Coding], t: &MedTables) -> Result<Drug<'a>, (SkipReason, Vec<CodeRef>)> {
    let rx = || {
        all.iter()
            .filter(|c| is_system(c, "RxNorm"))
            .filter_map(|c| c.code.as_deref())
    };
    if let Some(d) = rx().find_map(|code| t.agent(code).map(|r| Drug::Agent(code, r))) {
        return Ok(d);
    }
    if let Some(d) = rx().find_map(|code| t.supportive(code).map(|c| Drug::Supportive(code, c))) {
        return Ok(d);
    }
    let codes: Vec<CodeRef> = all.iter().map(|c| code_ref(c)).collect();
    Err((
        SkipReason::UnlistedMedication {
            codes: codes.clone(),
        },
        codes,
    ))
}

/// The codings of the extension `url` with a CodeableConcept value (`None`: no such
/// extension).
pub(crate) fn extension_codings<'a>(ext: &'a [Extension], url: &str) -> Option<Vec<&'a Coding>> {
    ext.iter().find(|e| e.url == url).map(|e| match &e.value {
        Some(ExtensionValue::CodeableConcept(c)) => codings(Some(c)).collect(),
        _ => Vec::new(),
    })
}

/// The SNOMED CT procedure intent code of the mCODE extension, or why none.
pub(crate) fn intent_code<'a>(
    ext: &'a [Extension],
    unmapped: &mut Vec<CodeRef>,
    known: &[&str],
) -> Result<&'a str, MissingReason> {
    let Some(cs) = extension_codings(ext, MCODE_INTENT) else {
        return Err(MissingReason::Absent);
    };
    let found = cs
        .iter()
        .filter(|c| is_system(c, "SNOMED"))
        .filter_map(|c| c.code.as_deref())
        .find(|c| known.contains(c));
    match found {
        Some(c) => Ok(c),
        None => {
            unmapped.extend(cs.iter().map(|c| code_ref(c)));
            Err(MissingReason::UnmappedCode)
        }
    }
}

/// The route of a route concept, noting its codes when none maps.
pub(crate) fn route(
    c: Option<&CodeableConcept>,
    t: &MedTables,
    unmapped: &mut Vec<CodeRef>,
) -> Option<Route> {
    let all: Vec<&Coding> = codings(c).collect();
    let found = all.iter().find_map(|c| {
        let sys = System::of_uri(c.system.as_deref()?)?;
        t.route(sys, c.code.as_deref()?)
    });
    if found.is_none() {
        unmapped.extend(all.iter().map(|c| code_ref(c)));
    }
    found
}

/// The bounds periods of dosage instructions.
fn bounds(d: &[Option<Dosage>]) -> impl Iterator<Item = &Period> {
    d.iter()
        .flatten()
        .filter_map(|d| d.timing.as_ref())
        .filter_map(|t| t.repeat.as_ref())
        .filter_map(|r| match &r.bounds {
            Some(TimingRepeatBounds::Period(p)) => Some(p),
            _ => None,
        })
}

/// The earliest whole-day date of `dates`; the first one's reason when none is a day;
/// `Absent` when there is none.
fn earliest<'a>(dates: impl Iterator<Item = &'a fhir_model::DateTime>) -> DateResult {
    let mut best: DateResult = Err(MissingReason::Absent);
    for d in dates {
        match (from_date_time(d), &best) {
            (Ok(d), Ok(b)) => best = Ok(d.min(*b)),
            (Ok(d), Err(_)) => best = Ok(d),
            (Err(r), Err(MissingReason::Absent)) => best = Err(r),
            _ => {}
        }
    }
    best
}

/// The latest whole-day date of `dates` (as [`earliest`]).
fn latest<'a>(dates: impl Iterator<Item = &'a fhir_model::DateTime>) -> DateResult {
    let mut best: DateResult = Err(MissingReason::Absent);
    for d in dates {
        match (from_date_time(d), &best) {
            (Ok(d), Ok(b)) => best = Ok(d.max(*b)),
            (Ok(d), Err(_)) => best = Ok(d),
            (Err(r), Err(MissingReason::Absent)) => best = Err(r),
            _ => {}
        }
    }
    best
}

/// The first result that is a date, else the first reason that is not `Absent`.
fn first_date(candidates: &[DateResult]) -> DateResult {
    if let Some(d) = candidates.iter().find_map(|c| c.ok()) {
        return Ok(d);
    }
    candidates
        .iter()
        .find_map(|c| c.err().filter(|r| *r != MissingReason::Absent))
        .map_or(Err(MissingReason::Absent), Err)
}

/// An end date, dropped (with its reason) when before the start.
fn end_after(start: Option<Date>, end: DateResult) -> DateResult {
    match (start, end) {
        (Some(s), Ok(e)) if e < s => Err(MissingReason::EndBeforeStart),
        (_, e) => e,
    }
}

/// The action a not-done drug stands for, when the dictionary has one exactly.
pub(crate) fn drug_action(d: Drug<'_>) -> Option<Action> {
    match d {
        Drug::Agent(_, r) => Some(match r.class {
            AgentClass::AntiHer2 => Action::Her2TargetedTherapy,
            AgentClass::AntiEgfrMab => Action::AntiEgfrTherapy,
            AgentClass::AdtGnrh | AgentClass::Antiandrogen => Action::Adt,
            AgentClass::Tamoxifen
            | AgentClass::AromataseInhibitor
            | AgentClass::OvarianSuppression => Action::EndocrineTherapy,
            _ => match r.category {
                AgentCategory::Targeted => Action::TargetedTherapy,
                AgentCategory::Cytotoxic | AgentCategory::Immunotherapy => Action::SystemicTherapy,
                _ => return None,
            },
        }),
        Drug::Supportive(_, c) => match c {
            MedicationClass::GCsf => Some(Action::Gcsf),
            MedicationClass::Ant5ht3Ra
            | MedicationClass::Nk1Ra
            | MedicationClass::Olanzapine
            | MedicationClass::OtherAntiemetic => Some(Action::Antiemetic),
            MedicationClass::BoneModifyingAgent => Some(Action::BoneModifyingAgent),
            MedicationClass::VteProphylaxis => Some(Action::VteProphylaxis),
            MedicationClass::HbvAntiviral => Some(Action::HbvProphylaxis),
            MedicationClass::TobaccoCessationPharmacotherapy => Some(Action::SmokingCessation),
            _ => None,
        },
    }
}

/// The reason type of not-done reason concepts (the first coding that maps).
pub(crate) fn reason_type<'a>(
    concepts: impl Iterator<Item = &'a CodeableConcept>,
    t: &MedTables,
    unmapped: &mut Vec<CodeRef>,
) -> Result<ReasonType, MissingReason> {
    let all: Vec<&Coding> = concepts.flat_map(|c| codings(Some(c))).collect();
    if all.is_empty() {
        return Err(MissingReason::Absent);
    }
    let found = all.iter().find_map(|c| {
        let sys = System::of_uri(c.system.as_deref()?)?;
        t.reason(sys, c.code.as_deref()?)
    });
    found.ok_or_else(|| {
        unmapped.extend(all.iter().map(|c| code_ref(c)));
        MissingReason::UnmappedCode
    })
}

/// A not-done reason record: the action and class from the drug (or procedure), the
/// reason type from the reason codes, the date.
pub(crate) fn not_done(
    action: Option<Action>,
    agent_class: Option<AgentClass>,
    reason: Result<ReasonType, MissingReason>,
    date: DateResult,
) -> Item {
    let mut reasons = Reasons::new();
    if action.is_none() {
        reasons.push(("action", MissingReason::UnmappedCode));
    }
    if agent_class.is_none() {
        reasons.push(("agent_class", MissingReason::NoValue));
    }
    let reason_type = match reason {
        Ok(r) => Some(r),
        Err(r) => {
            reasons.push(("reason_type", r));
            None
        }
    };
    let out = NotDoneReason {
        action,
        reason_type,
        date: note(date, "date", &mut reasons),
        agent_class,
    };
    item(out, reasons)
}

fn agent_class(d: Drug<'_>) -> Option<AgentClass> {
    match d {
        Drug::Agent(_, r) => Some(r.class),
        Drug::Supportive(..) => None,
    }
}

fn rxnorm(code: &str) -> Code {
    Code::new("RxNorm", code)
}

/// The regimen key of a request: its `groupIdentifier` value, else the CarePlan it is
/// `basedOn`.
fn group_key(r: &MedicationRequestInner) -> Option<String> {
    r.group_identifier
        .as_ref()
        .and_then(|g| g.value.clone())
        .filter(|v| !v.is_empty())
        .or_else(|| {
            r.based_on
                .iter()
                .flatten()
                .find_map(|b| b.reference.as_deref().and_then(|s| ref_id(s, "CarePlan")))
        })
}

fn condition_refs(refs: &[Option<Reference>]) -> Vec<String> {
    refs.iter()
        .flatten()
        .filter_map(|r| r.reference.as_deref())
        .filter_map(|r| ref_id(r, "Condition"))
        .collect()
}

/// MedicationRequest → a regimen part (anticancer agent), a supportive medication, or a
/// not-done reason (`doNotPerform`).
///
/// Status `cancelled`, `entered-in-error` and `draft` are skipped. The regimen's `id` is the
/// request's group (`groupIdentifier` value, else `basedOn` CarePlan id), else its own id;
/// `start_date` the earliest `dosageInstruction.timing.repeat.boundsPeriod.start` (the
/// planned first dose; `authoredOn` is the order, not the first dose, so it is never the
/// start); `order_date` `authoredOn`; `intent` only from the mCODE procedure intent
/// extension (curative → curative, palliative → non_curative). A supportive medication's
/// `start_date` is the bounds start, else `dispenseRequest.validityPeriod.start`, else
/// `authoredOn` (the date first prescribed); its `end_date` the bounds end, else the
/// validity end.
pub(crate) fn medication_request(r: &MedicationRequestInner, t: &MedTables) -> Outcome {
    if matches!(
        r.status.as_str(),
        "cancelled" | "entered-in-error" | "draft"
    ) {
        return Err((
            SkipReason::Status {
                status: r.status.clone(),
            },
            Vec::new(),
        ));
    }
    let (concept, reference) = match &r.medication {
        MedicationRequestMedication::CodeableConcept(c) => (Some(c), None),
        MedicationRequestMedication::Reference(x) => (None, Some(x)),
    };
    let all = medication_codings(concept, reference, &r.contained).map_err(|s| (s, Vec::new()))?;
    let d = drug(&all, t)?;
    let mut unmapped = Vec::new();
    let authored = opt_date(r.authored_on.as_ref());
    if r.do_not_perform == Some(true) {
        let concepts = r.status_reason.iter().chain(r.reason_code.iter().flatten());
        let reason = reason_type(concepts, t, &mut unmapped);
        if reason == Err(MissingReason::Absent) {
            return Err((SkipReason::NotDoneWithoutReason, Vec::new()));
        }
        let out = not_done(drug_action(d), agent_class(d), reason, authored);
        return Ok((vec![out], unmapped));
    }
    let route_concept = r
        .dosage_instruction
        .iter()
        .flatten()
        .find_map(|d| d.route.as_ref());
    let bounds_start = earliest(bounds(&r.dosage_instruction).filter_map(|p| p.start.as_ref()));
    let group = group_key(r);
    match d {
        Drug::Agent(code, row) => {
            let mut reasons = Reasons::new();
            let key = group.clone().or_else(|| r.id.clone());
            let id = key.as_deref().and_then(RegimenId::new);
            if id.is_none() {
                reasons.push(("id", MissingReason::Absent));
            }
            let intent = match intent_code(&r.extension, &mut unmapped, &[CURATIVE, PALLIATIVE]) {
                Ok(CURATIVE) => Some(RegimenIntent::Curative),
                Ok(_) => Some(RegimenIntent::NonCurative),
                Err(reason) => {
                    reasons.push(("intent", reason));
                    None
                }
            };
            let agent = Agent {
                code: Some(rxnorm(code)),
                category: Some(row.category),
                r#class: Some(row.class),
                route: route(route_concept, t, &mut unmapped),
                ..Agent::default()
            };
            let out = Regimen {
                id,
                start_date: note(bounds_start, "start_date", &mut reasons),
                order_date: note(authored, "order_date", &mut reasons),
                intent,
                agents: vec![agent],
                ..Regimen::default()
            };
            let refs = MedRefs {
                request_id: r.id.clone(),
                group,
                conditions: condition_refs(&r.reason_reference),
                request: None,
            };
            Ok((
                vec![Item::with_refs(Mapped::from(Box::new(out)), reasons, refs)],
                unmapped,
            ))
        }
        Drug::Supportive(code, class) => {
            let mut reasons = Reasons::new();
            let validity = r
                .dispense_request
                .as_ref()
                .and_then(|d| d.validity_period.as_ref());
            let start = first_date(&[
                bounds_start,
                opt_date(validity.and_then(|v| v.start.as_ref())),
                authored,
            ]);
            let start = note(start, "start_date", &mut reasons);
            let end = first_date(&[
                latest(bounds(&r.dosage_instruction).filter_map(|p| p.end.as_ref())),
                opt_date(validity.and_then(|v| v.end.as_ref())),
            ]);
            let out = Medication {
                r#class: Some(class),
                agent: Some(rxnorm(code)),
                start_date: start,
                end_date: note(end_after(start, end), "end_date", &mut reasons),
                ..Medication::default()
            };
            let refs = MedRefs {
                group,
                ..MedRefs::default()
            };
            Ok((
                vec![Item::with_refs(Mapped::from(Box::new(out)), reasons, refs)],
                unmapped,
            ))
        }
    }
}

/// MedicationAdministration → an administration (anticancer agent; `regimen_id` through
/// `request`), a supportive medication given (its dates from `effective[x]`), or a not-done
/// reason (status `not-done` with a `statusReason`). Only `completed`, `in-progress` and
/// `stopped` administrations were given; other statuses are skipped.
pub(crate) fn medication_administration(
    a: &MedicationAdministrationInner,
    t: &MedTables,
) -> Outcome {
    let status = a.status.as_str();
    if !matches!(status, "completed" | "in-progress" | "stopped" | "not-done") {
        return Err((
            SkipReason::Status {
                status: a.status.clone(),
            },
            Vec::new(),
        ));
    }
    let (concept, reference) = match &a.medication {
        MedicationAdministrationMedication::CodeableConcept(c) => (Some(c), None),
        MedicationAdministrationMedication::Reference(x) => (None, Some(x)),
    };
    let all = medication_codings(concept, reference, &a.contained).map_err(|s| (s, Vec::new()))?;
    let d = drug(&all, t)?;
    let mut unmapped = Vec::new();
    let (start, end) = match &a.effective {
        MedicationAdministrationEffective::DateTime(x) => {
            (from_date_time(x), Err(MissingReason::Absent))
        }
        MedicationAdministrationEffective::Period(p) => {
            (opt_date(p.start.as_ref()), opt_date(p.end.as_ref()))
        }
    };
    if status == "not-done" {
        let reason = reason_type(a.status_reason.iter().flatten(), t, &mut unmapped);
        if reason == Err(MissingReason::Absent) {
            return Err((SkipReason::NotDoneWithoutReason, Vec::new()));
        }
        let out = not_done(drug_action(d), agent_class(d), reason, start);
        return Ok((vec![out], unmapped));
    }
    let route_concept = a.dosage.as_ref().and_then(|d| d.route.as_ref());
    match d {
        Drug::Agent(code, row) => {
            let mut reasons = Reasons::new();
            let out = Administration {
                date: note(start, "date", &mut reasons),
                agent_code: Some(rxnorm(code)),
                agent_category: Some(row.category),
                agent_class: Some(row.class),
                route: route(route_concept, t, &mut unmapped),
                ..Administration::default()
            };
            if out.route.is_none() {
                reasons.push((
                    "route",
                    if route_concept.is_some() {
                        MissingReason::UnmappedCode
                    } else {
                        MissingReason::Absent
                    },
                ));
            }
            let refs = MedRefs {
                request: a
                    .request
                    .as_ref()
                    .and_then(|r| r.reference.as_deref())
                    .and_then(|r| ref_id(r, "MedicationRequest")),
                ..MedRefs::default()
            };
            Ok((
                vec![Item::with_refs(Mapped::from(Box::new(out)), reasons, refs)],
                unmapped,
            ))
        }
        Drug::Supportive(code, class) => {
            let mut reasons = Reasons::new();
            let start = note(start, "start_date", &mut reasons);
            let out = Medication {
                r#class: Some(class),
                agent: Some(rxnorm(code)),
                start_date: start,
                end_date: note(end_after(start, end), "end_date", &mut reasons),
                ..Medication::default()
            };
            Ok((vec![item(out, reasons)], unmapped))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::assemble::take;
    use super::super::tables_med::med_tables;
    use super::*;
    use fhir_model::r4b::resources::{
        MedicationAdministration as FhirAdministration, MedicationRequest as FhirRequest,
    };

    const RX: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

    fn req(extra: &str) -> Outcome {
        let json = format!(
            r#"{{"resourceType":"MedicationRequest","id":"mr1","status":"active","intent":"order",
            "subject":{{"reference":"Patient/p"}},{extra}}}"#
        );
        let r: FhirRequest = serde_json::from_str(&json).unwrap();
        medication_request(&r, med_tables().unwrap())
    }

    fn adm(extra: &str) -> Outcome {
        let json = format!(
            r#"{{"resourceType":"MedicationAdministration","id":"ma1","subject":{{"reference":"Patient/p"}},{extra}}}"#
        );
        let a: FhirAdministration = serde_json::from_str(&json).unwrap();
        medication_administration(&a, med_tables().unwrap())
    }

    fn med(code: &str) -> String {
        format!(r#""medicationCodeableConcept":{{"coding":[{{"system":"{RX}","code":"{code}"}}]}}"#)
    }

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

    #[test]
    fn an_anticancer_request_is_a_regimen_part() {
        let it = one(req(&format!(
            r#"{},"authoredOn":"2026-01-05","groupIdentifier":{{"value":"g1"}},
            "extension":[{{"url":"{MCODE_INTENT}","valueCodeableConcept":{{"coding":[{{"system":"http://snomed.info/sct","code":"363676003"}}]}}}}],
            "reasonReference":[{{"reference":"Condition/dx1"}}],
            "dosageInstruction":[{{"route":{{"coding":[{{"system":"http://snomed.info/sct","code":"47625008"}}]}},
              "timing":{{"repeat":{{"boundsPeriod":{{"start":"2026-01-12","end":"2026-04-01"}}}}}}}},
              {{"timing":{{"repeat":{{"boundsPeriod":{{"start":"2026-01-10T09:00:00Z"}}}}}}}}]"#,
            med("40048")
        )));
        let refs = it.med.clone().unwrap();
        assert_eq!(refs.request_id.as_deref(), Some("mr1"));
        assert_eq!(refs.group.as_deref(), Some("g1"));
        assert_eq!(refs.conditions, ["dx1"]);
        let (r, reasons) = take::<Regimen>(it);
        assert_eq!(r.id.unwrap().as_str(), "g1");
        assert_eq!(
            r.start_date,
            Date::from_ymd(2026, 1, 10),
            "the earliest bounds start"
        );
        assert_eq!(r.order_date, Date::from_ymd(2026, 1, 5));
        assert_eq!(r.intent, Some(RegimenIntent::NonCurative));
        assert_eq!(r.agents.len(), 1);
        let a = &r.agents[0];
        assert_eq!(a.code, Some(Code::new("RxNorm", "40048")));
        assert_eq!(a.r#class, Some(AgentClass::Carboplatin));
        assert_eq!(a.category, Some(AgentCategory::Cytotoxic));
        assert_eq!(a.route, Some(Route::Iv));
        assert_eq!(r.end_date, None, "a planned end is no last dose");
        assert!(reasons.is_empty(), "{reasons:?}");
        // No group, no CarePlan: the request is its own regimen; no intent, no start.
        let (r, reasons) = take::<Regimen>(one(req(&med("224905"))));
        assert_eq!(r.id.unwrap().as_str(), "mr1");
        assert_eq!(r.intent, None);
        assert!(reasons.contains(&("intent", MissingReason::Absent)));
        assert!(reasons.contains(&("start_date", MissingReason::Absent)));
        assert!(reasons.contains(&("order_date", MissingReason::Absent)));
        // A CarePlan groups; an intent code that is not curative or palliative is unmapped.
        let (items, unmapped) = req(&format!(
            r#"{},"basedOn":[{{"reference":"CarePlan/cp9"}}],
            "extension":[{{"url":"{MCODE_INTENT}","valueCodeableConcept":{{"coding":[{{"system":"http://snomed.info/sct","code":"399707004"}}]}}}}]"#,
            med("1547545")
        ))
        .ok()
        .unwrap();
        assert_eq!(unmapped[0].code.as_deref(), Some("399707004"));
        let (r, reasons) = take::<Regimen>(items.into_iter().next().unwrap());
        assert_eq!(r.id.unwrap().as_str(), "cp9");
        assert!(reasons.contains(&("intent", MissingReason::UnmappedCode)));
    }

    #[test]
    fn a_contained_medication_names_the_drug() {
        let (r, _) = take::<Regimen>(one(req(
            r##""contained":[{"resourceType":"Medication","id":"m1",
              "code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"999999"}]},
              "ingredient":[{"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"72962"}]}}]}],
            "medicationReference":{"reference":"#m1"}"##,
        )));
        assert_eq!(r.agents[0].r#class, Some(AgentClass::Taxane));
        assert_eq!(
            skip(req(
                r#""medicationReference":{"reference":"Medication/m1"}"#
            )),
            "medication_not_contained"
        );
        assert_eq!(
            skip(req(r##""medicationReference":{"reference":"#nope"}"##)),
            "medication_not_contained"
        );
    }

    #[test]
    fn supportive_requests_are_medications() {
        let it = one(req(&format!(
            r#"{},"authoredOn":"2026-01-05","groupIdentifier":{{"value":"g1"}},
            "dispenseRequest":{{"validityPeriod":{{"start":"2026-01-06","end":"2026-01-02"}}}}"#,
            med("338036")
        )));
        assert_eq!(it.med.as_ref().unwrap().group.as_deref(), Some("g1"));
        let (m, reasons) = take::<Medication>(it);
        assert_eq!(m.r#class, Some(MedicationClass::GCsf));
        assert_eq!(m.agent, Some(Code::new("RxNorm", "338036")));
        assert_eq!(m.start_date, Date::from_ymd(2026, 1, 6));
        assert_eq!(m.end_date, None);
        assert!(reasons.contains(&("end_date", MissingReason::EndBeforeStart)));
        let (m, reasons) = take::<Medication>(one(req(&format!(
            r#"{},"authoredOn":"2026-01-05""#,
            med("26225")
        ))));
        assert_eq!(m.start_date, Date::from_ymd(2026, 1, 5), "authoredOn last");
        assert_eq!(reasons, [("end_date", MissingReason::Absent)]);
    }

    #[test]
    fn statuses_unlisted_drugs_and_not_done() {
        for s in ["cancelled", "entered-in-error", "draft"] {
            let json = format!(
                r#"{{"resourceType":"MedicationRequest","status":"{s}","intent":"order",
                "subject":{{"reference":"Patient/p"}},{}}}"#,
                med("40048")
            );
            let r: FhirRequest = serde_json::from_str(&json).unwrap();
            assert_eq!(
                skip(medication_request(&r, med_tables().unwrap())),
                "status"
            );
        }
        let o = req(&med("6851"));
        let Err((SkipReason::UnlistedMedication { codes }, counted)) = o else {
            panic!("unlisted")
        };
        assert_eq!(codes, counted);
        assert_eq!(
            skip(req(&format!(r#"{},"doNotPerform":true"#, med("40048")))),
            "not_done_without_reason"
        );
        let (n, reasons) = take::<NotDoneReason>(one(req(&format!(
            r#"{},"doNotPerform":true,"authoredOn":"2026-02-01",
            "reasonCode":[{{"coding":[{{"system":"http://snomed.info/sct","code":"105480006"}}]}}]"#,
            med("224905")
        ))));
        assert_eq!(n.action, Some(Action::Her2TargetedTherapy));
        assert_eq!(n.reason_type, Some(ReasonType::PatientRefusal));
        assert_eq!(n.agent_class, Some(AgentClass::AntiHer2));
        assert_eq!(n.date, Date::from_ymd(2026, 2, 1));
        assert!(reasons.is_empty());
        let (items, unmapped) = req(&format!(
            r#"{},"doNotPerform":true,
            "statusReason":{{"coding":[{{"system":"http://snomed.info/sct","code":"399307001"}}]}}"#,
            med("3264")
        ))
        .ok()
        .unwrap();
        let (n, reasons) = take::<NotDoneReason>(items.into_iter().next().unwrap());
        assert_eq!(n.action, None, "dexamethasone: no exact action");
        assert!(reasons.contains(&("reason_type", MissingReason::UnmappedCode)));
        assert!(reasons.contains(&("action", MissingReason::UnmappedCode)));
        assert_eq!(unmapped[0].code.as_deref(), Some("399307001"));
    }

    #[test]
    fn administrations() {
        let it = one(adm(&format!(
            r#""status":"completed",{},"effectiveDateTime":"2026-01-12T10:00:00-05:00",
            "request":{{"reference":"MedicationRequest/mr1"}},
            "dosage":{{"route":{{"coding":[{{"system":"urn:oid:0.4.0.127.0.16.1.1.2.1","code":"20053000"}}]}}}}"#,
            med("194000")
        )));
        assert_eq!(it.med.as_ref().unwrap().request.as_deref(), Some("mr1"));
        let (a, reasons) = take::<Administration>(it);
        assert_eq!(a.date, Date::from_ymd(2026, 1, 12));
        assert_eq!(a.agent_class, Some(AgentClass::Fluoropyrimidine));
        assert_eq!(a.route, Some(Route::Oral));
        assert!(reasons.is_empty());
        let (items, unmapped) = adm(&format!(
            r#""status":"in-progress",{},"effectivePeriod":{{"start":"2026-01-12"}},
            "dosage":{{"route":{{"coding":[{{"system":"http://snomed.info/sct","code":"1"}}]}}}}"#,
            med("2555")
        ))
        .ok()
        .unwrap();
        let (a, reasons) = take::<Administration>(items.into_iter().next().unwrap());
        assert_eq!(a.route, None);
        assert!(reasons.contains(&("route", MissingReason::UnmappedCode)));
        assert_eq!(unmapped.len(), 1);
        let (m, _) = take::<Medication>(one(adm(&format!(
            r#""status":"completed",{},"effectivePeriod":{{"start":"2026-01-13","end":"2026-01-13"}}"#,
            med("68442")
        ))));
        assert_eq!(m.r#class, Some(MedicationClass::GCsf));
        assert_eq!(m.end_date, Date::from_ymd(2026, 1, 13));
        for s in ["entered-in-error", "on-hold", "unknown"] {
            assert_eq!(
                skip(adm(&format!(
                    r#""status":"{s}",{},"effectiveDateTime":"2026-01-12""#,
                    med("2555")
                ))),
                "status"
            );
        }
        assert_eq!(
            skip(adm(&format!(
                r#""status":"not-done",{},"effectiveDateTime":"2026-01-12""#,
                med("2555")
            ))),
            "not_done_without_reason"
        );
        let (n, _) = take::<NotDoneReason>(one(adm(&format!(
            r#""status":"not-done",{},"effectiveDateTime":"2026-01-12",
            "statusReason":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"MEDPREC"}}]}}]"#,
            med("338036")
        ))));
        assert_eq!(n.action, Some(Action::Gcsf));
        assert_eq!(n.reason_type, Some(ReasonType::Medical));
        assert_eq!(n.agent_class, None);
        assert_eq!(n.date, Date::from_ymd(2026, 1, 12));
    }
}
