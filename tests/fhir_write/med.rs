//! Test writers: chart records → FHIR R4 resources (JSON) that `oncoqual import fhir` reads
//! back as the same records, for the medication and procedure roots (regimens,
//! administrations, medications, surgeries, radiation courses, procedures). Plain `pub fn`s,
//! included with `#[path]` by the round-trip tests.
//!
//! Conventions: a regimen is written as one MedicationRequest per agent, with ids
//! `<regimen id>-<agent index>` and the regimen id as `groupIdentifier`; an administration
//! names `MedicationRequest/<regimen id>-0` as its `request`; a supportive medication with a
//! `regimen_id` carries that regimen's id as its `groupIdentifier`.
#![allow(dead_code)]

use oncoqual::chart::{
    Administration, Medication, Procedure, ProcedureKind, RadiationCourse, RadiationIntent,
    RadiationModality, RadiationTarget, Regimen, RegimenIntent, Route, Surgery, SurgeryIntent,
    SurgeryKind,
};
use serde_json::{Value, json};

pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const CPT: &str = "http://www.ama-assn.org/go/cpt";
const MCODE: &str = "http://hl7.org/fhir/us/mcode/StructureDefinition/";

/// Route → SNOMED CT route code (the routes the import maps).
pub const ROUTES: &[(Route, &str)] = &[
    (Route::Iv, "47625008"),
    (Route::Oral, "26643006"),
    (Route::Subcutaneous, "34206005"),
    (Route::Intramuscular, "78421000"),
    (Route::Intraperitoneal, "38239002"),
    (Route::Intrathecal, "72607000"),
];

/// Surgery kind → a CPT code of the import's table.
pub const SURGERIES: &[(SurgeryKind, &str)] = &[
    (SurgeryKind::BreastConserving, "19301"),
    (SurgeryKind::Mastectomy, "19303"),
    (SurgeryKind::Colectomy, "44140"),
    (SurgeryKind::RectalResection, "45110"),
    (SurgeryKind::Lobectomy, "32480"),
    (SurgeryKind::Pneumonectomy, "32440"),
    (SurgeryKind::SublobarResection, "32484"),
    (SurgeryKind::RadicalProstatectomy, "55840"),
    (SurgeryKind::CytoreductiveDebulking, "58952"),
    (SurgeryKind::Hysterectomy, "58150"),
    (SurgeryKind::Cystectomy, "51570"),
    (SurgeryKind::Turbt, "52235"),
    (SurgeryKind::NeckDissection, "38724"),
];

/// Procedure kind → a CPT code of the import's table.
pub const PROCEDURES: &[(ProcedureKind, &str)] = &[
    (ProcedureKind::BoneScan, "78306"),
    (ProcedureKind::PetCt, "78815"),
    (ProcedureKind::CtChest, "71260"),
    (ProcedureKind::CtAbdomenPelvis, "74177"),
    (ProcedureKind::CtHead, "70450"),
    (ProcedureKind::MriBrain, "70553"),
    (ProcedureKind::Echocardiogram, "93306"),
    (ProcedureKind::Muga, "78472"),
    (ProcedureKind::Dexa, "77080"),
    (ProcedureKind::Colonoscopy, "45378"),
];

/// Radiation modality → mCODE modality code.
pub const MODALITIES: &[(RadiationModality, &str)] = &[
    (RadiationModality::Ebrt, "1156506007"),
    (RadiationModality::Proton, "10611004"),
    (RadiationModality::BrachytherapyLdr, "169359004"),
    (RadiationModality::BrachytherapyHdr, "394902000"),
];

/// Radiation target → SNOMED CT body structure.
pub const TARGETS: &[(RadiationTarget, &str)] = &[
    (RadiationTarget::Breast, "76752008"),
    (RadiationTarget::ChestWallNodes, "78904004"),
    (RadiationTarget::Prostate, "41216001"),
    (RadiationTarget::Cervix, "71252005"),
    (RadiationTarget::Brain, "12738006"),
    (RadiationTarget::Bone, "119186007"),
    (RadiationTarget::Thorax, "51185008"),
    (RadiationTarget::Pelvis, "12921003"),
];

fn code_of<T: PartialEq + Copy>(table: &[(T, &'static str)], v: T) -> &'static str {
    table
        .iter()
        .find(|(k, _)| *k == v)
        .map(|(_, c)| *c)
        .expect("a value the writer can say")
}

fn concept(system: &str, code: &str) -> Value {
    json!({"coding": [{"system": system, "code": code}]})
}

fn intent_ext(code: &str) -> Value {
    json!({"url": format!("{MCODE}mcode-procedure-intent"), "valueCodeableConcept": concept(SNOMED, code)})
}

fn subject(patient: &str) -> Value {
    json!({"reference": format!("Patient/{patient}")})
}

/// A regimen → one MedicationRequest per agent (the regimen needs an id and agents with
/// RxNorm codes).
pub fn regimen(r: &Regimen, patient: &str) -> Vec<Value> {
    let id = r.id.as_ref().expect("a regimen id").as_str();
    r.agents
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let code = a.code.as_ref().expect("an agent code");
            let mut dosage = json!({});
            if let Some(route) = a.route {
                dosage["route"] = concept(SNOMED, code_of(ROUTES, route));
            }
            if let Some(d) = r.start_date {
                dosage["timing"] = json!({"repeat": {"boundsPeriod": {"start": d.to_string()}}});
            }
            let mut m = json!({"resourceType": "MedicationRequest", "id": format!("{id}-{i}"),
                "status": "active", "intent": "order", "subject": subject(patient),
                "meta": {"profile": [format!("{MCODE}mcode-cancer-related-medication-request")]},
                "groupIdentifier": {"value": id},
                "medicationCodeableConcept": concept(RXNORM, code.code.as_str()),
                "dosageInstruction": [dosage]});
            if let Some(d) = r.order_date {
                m["authoredOn"] = json!(d.to_string());
            }
            match r.intent {
                Some(RegimenIntent::Curative) => m["extension"] = json!([intent_ext("373808002")]),
                Some(RegimenIntent::NonCurative) => {
                    m["extension"] = json!([intent_ext("363676003")])
                }
                _ => {}
            }
            if let Some(dx) = &r.diagnosis_id {
                m["reasonReference"] = json!([{"reference": format!("Condition/{}", dx.as_str())}]);
            }
            m
        })
        .collect()
}

/// An administration of an anticancer agent (needs its `agent_code`).
pub fn administration(a: &Administration, id: &str, patient: &str) -> Value {
    let code = a.agent_code.as_ref().expect("an agent code");
    let mut m = json!({"resourceType": "MedicationAdministration", "id": id, "status": "completed",
        "subject": subject(patient),
        "medicationCodeableConcept": concept(RXNORM, code.code.as_str())});
    match a.date {
        Some(d) => m["effectiveDateTime"] = json!(d.to_string()),
        None => m["effectivePeriod"] = json!({}),
    }
    if let Some(route) = a.route {
        m["dosage"] = json!({"route": concept(SNOMED, code_of(ROUTES, route))});
    }
    if let Some(r) = &a.regimen_id {
        m["request"] = json!({"reference": format!("MedicationRequest/{}-0", r.as_str())});
    }
    m
}

/// A supportive medication → a MedicationRequest (needs its RxNorm `agent`).
pub fn medication(med: &Medication, id: &str, patient: &str) -> Value {
    let code = med.agent.as_ref().expect("an agent code");
    let mut bounds = json!({});
    if let Some(d) = med.start_date {
        bounds["start"] = json!(d.to_string());
    }
    if let Some(d) = med.end_date {
        bounds["end"] = json!(d.to_string());
    }
    let mut m = json!({"resourceType": "MedicationRequest", "id": id, "status": "active",
        "intent": "order", "subject": subject(patient),
        "medicationCodeableConcept": concept(RXNORM, code.code.as_str()),
        "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": bounds}}}]});
    if let Some(r) = &med.regimen_id {
        m["groupIdentifier"] = json!({"value": r.as_str()});
    }
    m
}

/// A surgery → a Procedure with its CPT code.
pub fn surgery(s: &Surgery, id: &str, patient: &str) -> Value {
    let kind = s.kind.expect("a surgery kind");
    let mut p = json!({"resourceType": "Procedure", "id": id, "status": "completed",
        "subject": subject(patient), "code": concept(CPT, code_of(SURGERIES, kind))});
    if let Some(d) = s.date {
        p["performedDateTime"] = json!(d.to_string());
    }
    let intent = match s.intent {
        Some(SurgeryIntent::Curative) => Some("373808002"),
        Some(SurgeryIntent::Palliative) => Some("363676003"),
        Some(SurgeryIntent::Diagnostic) => Some("261004008"),
        _ => None,
    };
    if let Some(c) = intent {
        p["extension"] = json!([intent_ext(c)]);
    }
    if let Some(dx) = &s.diagnosis_id {
        p["reasonReference"] = json!([{"reference": format!("Condition/{}", dx.as_str())}]);
    }
    p
}

/// A radiation course → an mCODE radiotherapy course summary Procedure.
pub fn radiation_course(c: &RadiationCourse, id: &str, patient: &str) -> Value {
    let mut p = json!({"resourceType": "Procedure", "id": id, "status": "completed",
        "meta": {"profile": [format!("{MCODE}mcode-radiotherapy-course-summary")]},
        "subject": subject(patient), "code": concept(SNOMED, "1217123003")});
    let mut period = json!({});
    if let Some(d) = c.start_date {
        period["start"] = json!(d.to_string());
    }
    if let Some(d) = c.end_date {
        period["end"] = json!(d.to_string());
    }
    if c.start_date.is_some() || c.end_date.is_some() {
        p["performedPeriod"] = period;
    }
    let mut ext = Vec::new();
    match c.intent {
        Some(RadiationIntent::Curative) => ext.push(intent_ext("373808002")),
        Some(RadiationIntent::Palliative) => ext.push(intent_ext("363676003")),
        _ => {}
    }
    if let Some(m) = c.modality {
        ext.push(json!({"url": format!("{MCODE}mcode-radiotherapy-modality-and-technique"),
            "extension": [{"url": "modality", "valueCodeableConcept": concept(SNOMED, code_of(MODALITIES, m))}]}));
    }
    if let Some(n) = c.fractions {
        let n: u32 = n
            .value()
            .to_string()
            .parse()
            .expect("a whole number of sessions");
        ext.push(
            json!({"url": format!("{MCODE}mcode-radiotherapy-sessions"), "valueUnsignedInt": n}),
        );
    }
    if !ext.is_empty() {
        p["extension"] = json!(ext);
    }
    if let Some(t) = c.target {
        p["bodySite"] = json!([concept(SNOMED, code_of(TARGETS, t))]);
    }
    if let Some(dx) = &c.diagnosis_id {
        p["reasonReference"] = json!([{"reference": format!("Condition/{}", dx.as_str())}]);
    }
    p
}

/// A procedure (imaging or test) → a Procedure with its CPT code.
pub fn procedure(x: &Procedure, id: &str, patient: &str) -> Value {
    let kind = x.kind.expect("a procedure kind");
    let mut p = json!({"resourceType": "Procedure", "id": id, "status": "completed",
        "subject": subject(patient), "code": concept(CPT, code_of(PROCEDURES, kind))});
    if let Some(d) = x.date {
        p["performedDateTime"] = json!(d.to_string());
    }
    p
}
