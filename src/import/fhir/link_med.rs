//! The linking pass of the medication and procedure import, run on one patient's records
//! before they are added to the chart (see [`link`]).
//!
//! Mapping sees one resource at a time, so a record that names another resource carries the
//! FHIR logical ids it names in a [`MedRefs`] beside it (never in the chart record); this
//! pass resolves them against the patient's other records:
//!
//! - **Regimens**: the records mapped from the MedicationRequests of one regimen (same `id`:
//!   the `groupIdentifier` value, else the `basedOn` CarePlan id, else the request's own id)
//!   become one regimen: agents in the order read (an agent listed twice with the same code
//!   and route once), `start_date` and `order_date` the earliest, `intent` when the requests
//!   agree (else missing, `conflicting`).
//! - **Administrations**: `request` `MedicationRequest/<id>` → the regimen that request went
//!   to; the earliest administration date of a regimen is its `start_date` when earlier than
//!   the planned one (the first dose given is cycle 1 day 1).
//! - **Supportive medications**: a request in the same group or CarePlan as a regimen gets
//!   its `regimen_id`.
//! - **Diagnoses** (regimens, surgeries, radiation courses): `reasonReference`
//!   `Condition/<id>` naming a diagnosis of the chart; two different diagnoses are
//!   `conflicting`.
//!
//! A reference that names no record of the chart leaves the field missing with reason
//! `unresolved_reference`: never a guess.

use std::collections::{HashMap, HashSet};

use super::assemble::{Item, Mapped};
use super::report::MissingReason;
use crate::chart::{Date, DiagnosisId, RegimenId};

/// The FHIR logical ids a mapped record names, kept until the linking pass.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct MedRefs {
    /// A regimen part: the MedicationRequest's own logical id (administrations name it).
    pub(crate) request_id: Option<String>,
    /// A regimen part or supportive medication: its group (`groupIdentifier` value, else
    /// `basedOn` CarePlan id).
    pub(crate) group: Option<String>,
    /// The Condition ids of `reasonReference`.
    pub(crate) conditions: Vec<String>,
    /// An administration: the MedicationRequest id of `request`.
    pub(crate) request: Option<String>,
}

fn set_reason(item: &mut Item, field: &'static str, reason: MissingReason) {
    item.reasons.retain(|(f, _)| *f != field);
    item.reasons.insert(0, (field, reason));
}

/// The diagnosis named by `conditions` among `known`, or why none.
fn diagnosis(conditions: &[String], known: &HashSet<String>) -> Result<DiagnosisId, MissingReason> {
    if conditions.is_empty() {
        return Err(MissingReason::Absent);
    }
    let mut found: Vec<&String> = conditions.iter().filter(|c| known.contains(*c)).collect();
    found.sort();
    found.dedup();
    match found.as_slice() {
        [] => Err(MissingReason::UnresolvedReference),
        [one] => DiagnosisId::new(one).ok_or(MissingReason::UnresolvedReference),
        _ => Err(MissingReason::Conflicting),
    }
}

fn earliest(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Links one patient's records (see the module docs): merges the parts of each regimen and
/// resolves the references the records carry. Records without references are untouched.
pub(crate) fn link(items: &mut Vec<Item>) {
    let diagnoses: HashSet<String> = items
        .iter()
        .filter_map(|i| match &i.mapped {
            Mapped::Diagnosis(d) => d.id.as_ref().map(|id| id.as_str().to_owned()),
            _ => None,
        })
        .collect();
    // 1. Merge the regimen parts by id (the first part read keeps its place).
    let mut first: HashMap<RegimenId, usize> = HashMap::new();
    let mut requests: HashMap<String, RegimenId> = HashMap::new();
    let mut conditions: HashMap<usize, Vec<String>> = HashMap::new();
    let mut merged: Vec<Item> = Vec::with_capacity(items.len());
    for mut item in std::mem::take(items) {
        let Mapped::Regimen(r) = &item.mapped else {
            merged.push(item);
            continue;
        };
        let Some(id) = r.id.clone() else {
            // No id: nothing can name it; its diagnosis is still linked below.
            let refs = item.med.take().unwrap_or_default();
            conditions.insert(merged.len(), refs.conditions);
            merged.push(item);
            continue;
        };
        let refs = item.med.take().unwrap_or_default();
        if let Some(req) = refs.request_id {
            requests.insert(req, id.clone());
        }
        match first.get(&id) {
            None => {
                first.insert(id, merged.len());
                conditions.insert(merged.len(), refs.conditions);
                merged.push(item);
            }
            Some(&at) => {
                let Mapped::Regimen(part) = item.mapped else {
                    continue;
                };
                if let Some(keep) = merged.get_mut(at) {
                    merge_regimen(keep, *part, item.reasons);
                }
                conditions.entry(at).or_default().extend(refs.conditions);
            }
        }
    }
    *items = merged;
    // 2. Administrations → their regimen; the earliest dose of each regimen.
    let mut first_dose: HashMap<RegimenId, Date> = HashMap::new();
    for item in items.iter_mut() {
        let Mapped::Administration(a) = &mut item.mapped else {
            continue;
        };
        let refs = item.med.take().unwrap_or_default();
        let resolved = match refs.request {
            None => Err(MissingReason::Absent),
            Some(req) => requests
                .get(&req)
                .cloned()
                .ok_or(MissingReason::UnresolvedReference),
        };
        match resolved {
            Ok(id) => {
                if let Some(d) = a.date {
                    let e = first_dose.entry(id.clone()).or_insert(d);
                    *e = (*e).min(d);
                }
                a.regimen_id = Some(id);
            }
            Err(reason) => set_reason(item, "regimen_id", reason),
        }
    }
    // 3. Regimens: diagnosis and first dose; supportive medications, surgeries and radiation
    //    courses: their regimen or diagnosis.
    for (i, item) in items.iter_mut().enumerate() {
        match &mut item.mapped {
            Mapped::Regimen(r) => {
                if let Some(id) = &r.id
                    && let Some(d) = first_dose.get(id)
                {
                    r.start_date = earliest(r.start_date, Some(*d));
                }
                let conds = conditions.remove(&i).unwrap_or_default();
                match diagnosis(&conds, &diagnoses) {
                    Ok(d) => r.diagnosis_id = Some(d),
                    Err(reason) => set_reason(item, "diagnosis_id", reason),
                }
            }
            Mapped::Medication(m) => {
                let refs = item.med.take().unwrap_or_default();
                let Some(group) = refs.group else { continue };
                match RegimenId::new(&group).filter(|id| first.contains_key(id)) {
                    Some(id) => m.regimen_id = Some(id),
                    None => set_reason(item, "regimen_id", MissingReason::UnresolvedReference),
                }
            }
            Mapped::Surgery(s) => {
                let refs = item.med.take().unwrap_or_default();
                match diagnosis(&refs.conditions, &diagnoses) {
                    Ok(d) => s.diagnosis_id = Some(d),
                    Err(reason) => set_reason(item, "diagnosis_id", reason),
                }
            }
            Mapped::RadiationCourse(c) => {
                let refs = item.med.take().unwrap_or_default();
                match diagnosis(&refs.conditions, &diagnoses) {
                    Ok(d) => c.diagnosis_id = Some(d),
                    Err(reason) => set_reason(item, "diagnosis_id", reason),
                }
            }
            _ => {}
        }
    }
}

/// Merges a later part of a regimen into the first.
fn merge_regimen(keep: &mut Item, part: crate::chart::Regimen, reasons: super::map::Reasons) {
    let Mapped::Regimen(r) = &mut keep.mapped else {
        return;
    };
    for a in part.agents {
        if !r
            .agents
            .iter()
            .any(|b| b.code == a.code && b.route == a.route)
        {
            r.agents.push(a);
        }
    }
    r.start_date = earliest(r.start_date, part.start_date);
    r.order_date = earliest(r.order_date, part.order_date);
    let conflict = match (r.intent, part.intent) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    };
    r.intent = r.intent.or(part.intent);
    // A field missing from the first part keeps the later part's reason when that one is
    // missing too (the first reason found is reported).
    keep.reasons.extend(reasons);
    if conflict {
        r.intent = None;
        set_reason(keep, "intent", MissingReason::Conflicting);
    }
}

#[cfg(test)]
mod tests {
    use super::super::map::ref_id;
    use super::*;
    use crate::chart::{Administration, Agent, Regimen, RegimenIntent};

    #[test]
    fn references_by_type() {
        assert_eq!(ref_id("Condition/c1", "Condition").as_deref(), Some("c1"));
        assert_eq!(
            ref_id("https://h/fhir/Condition/c1/_history/2", "Condition").as_deref(),
            Some("c1")
        );
        assert_eq!(ref_id("Observation/c1", "Condition"), None);
        assert_eq!(ref_id("Condition/", "Condition"), None);
        assert_eq!(ref_id("#c1", "Condition"), None);
    }

    #[test]
    fn a_diagnosis_is_linked_only_when_exactly_one_is_named() {
        let known: HashSet<String> = ["d1".to_owned(), "d2".to_owned()].into();
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            diagnosis(&s(&["x", "d1", "d1"]), &known).unwrap().as_str(),
            "d1"
        );
        assert_eq!(diagnosis(&[], &known), Err(MissingReason::Absent));
        assert_eq!(
            diagnosis(&s(&["x"]), &known),
            Err(MissingReason::UnresolvedReference)
        );
        assert_eq!(
            diagnosis(&s(&["d1", "d2"]), &known),
            Err(MissingReason::Conflicting)
        );
    }

    fn regimen_part(id: &str, req: &str, intent: Option<RegimenIntent>, start: &str) -> Item {
        let r = Regimen {
            id: RegimenId::new(id),
            intent,
            start_date: start.parse().ok(),
            agents: vec![Agent::default()],
            ..Regimen::default()
        };
        let reasons = if intent.is_none() {
            vec![("intent", MissingReason::Absent)]
        } else {
            Vec::new()
        };
        Item::with_refs(
            Mapped::from(Box::new(r)),
            reasons,
            MedRefs {
                request_id: Some(req.to_owned()),
                conditions: vec!["dx9".to_owned()],
                ..MedRefs::default()
            },
        )
    }

    #[test]
    fn regimen_parts_merge_and_conflicts_are_reported() {
        let adm = Administration {
            date: "2026-01-01".parse().ok(),
            ..Administration::default()
        };
        let mut items = vec![
            regimen_part("g", "a", Some(RegimenIntent::Curative), "2026-02-01"),
            regimen_part("g", "b", Some(RegimenIntent::NonCurative), "2026-01-15"),
            regimen_part("h", "c", None, "2026-03-01"),
            Item::with_refs(
                Mapped::from(Box::new(adm)),
                Vec::new(),
                MedRefs {
                    request: Some("b".to_owned()),
                    ..MedRefs::default()
                },
            ),
        ];
        link(&mut items);
        assert_eq!(items.len(), 3);
        let Mapped::Regimen(g) = &items[0].mapped else {
            panic!("a regimen")
        };
        assert_eq!(g.agents.len(), 1, "the same agent once");
        assert_eq!(g.intent, None);
        assert_eq!(g.start_date, "2026-01-01".parse().ok(), "the first dose");
        assert!(
            items[0]
                .reasons
                .contains(&("intent", MissingReason::Conflicting))
        );
        assert!(
            !items[0]
                .reasons
                .contains(&("intent", MissingReason::Absent)),
            "the conflict replaces the part's reason"
        );
        assert!(
            items[0]
                .reasons
                .contains(&("diagnosis_id", MissingReason::UnresolvedReference))
        );
        let Mapped::Administration(a) = &items[2].mapped else {
            panic!("an administration")
        };
        assert_eq!(a.regimen_id.as_ref().map(RegimenId::as_str), Some("g"));
    }
}
