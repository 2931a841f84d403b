//! Test writer for round trips of the FHIR import: chart records → FHIR R4 resources (JSON),
//! each paired with the record as the import must give it back — exactly the fields the
//! writer wrote. Patient, death, diagnoses (code, dates, stage in `stage.summary`),
//! coexisting conditions and encounters. Codes are chosen by hand here (one per chart value),
//! independently of the shipped tables the import reads.

use oncoqual::chart::{
    CancerType, Condition, ConditionKind, Death, Diagnosis, Encounter, EncounterKind, Patient,
    ProviderRole, Sex, StageGroup,
};
use serde_json::{Map, Value, json};

pub const ICD10: &str = "http://hl7.org/fhir/sid/icd-10-cm";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

/// (cancer type, code system, code, invasive): one code per value.
pub const CANCERS: &[(CancerType, &str, &str, bool)] = &[
    (CancerType::Breast, ICD10, "C50.911", true),
    (CancerType::Breast, ICD10, "D05.10", false),
    (CancerType::Colon, ICD10, "C18.7", true),
    (CancerType::Rectum, ICD10, "C20", true),
    (CancerType::LungNsclc, SNOMED, "254637007", true),
    (CancerType::LungSclc, SNOMED, "254632001", true),
    (CancerType::Nhl, ICD10, "C83.30", true),
    (CancerType::HodgkinLymphoma, ICD10, "C81.90", true),
    (CancerType::Myeloma, ICD10, "C90.00", true),
    (CancerType::Leukemia, ICD10, "C92.00", true),
    (CancerType::Prostate, ICD10, "C61", true),
    (CancerType::Prostate, ICD10, "D07.5", false),
    (CancerType::Ovary, ICD10, "C56.9", true),
    (CancerType::Cervix, ICD10, "C53.9", true),
    (CancerType::Cervix, ICD10, "D06.9", false),
    (CancerType::Endometrium, ICD10, "C54.1", true),
    (CancerType::Melanoma, ICD10, "C43.9", true),
    (CancerType::HeadAndNeck, ICD10, "C01", true),
    (CancerType::Bladder, ICD10, "C67.9", true),
    (CancerType::Kidney, ICD10, "C64.1", true),
    (CancerType::Pancreas, ICD10, "C25.9", true),
    (CancerType::GastricGej, ICD10, "C16.0", true),
    (CancerType::Esophagus, ICD10, "C15.9", true),
    (CancerType::Liver, ICD10, "C22.0", true),
    (CancerType::Testis, ICD10, "C62.90", true),
    (CancerType::GestationalTrophoblastic, ICD10, "C58", true),
    (CancerType::BrainCns, ICD10, "C71.9", true),
    (CancerType::Sarcoma, ICD10, "C49.9", true),
    (CancerType::OtherSolid, ICD10, "C17.9", true),
    (CancerType::OtherHeme, ICD10, "C96.9", true),
];

pub const CONDITIONS: &[(ConditionKind, &str, &str)] = &[
    (ConditionKind::Tuberculosis, ICD10, "A15.0"),
    (ConditionKind::Hiv, SNOMED, "86406008"),
    (ConditionKind::ImmunocompromisedState, ICD10, "D84.821"),
    (ConditionKind::PainWarrantingWorkup, ICD10, "G89.3"),
];

pub const ENCOUNTERS: &[(EncounterKind, &str)] = &[
    (EncounterKind::OfficeVisit, "AMB"),
    (EncounterKind::TelehealthVisit, "VR"),
    (EncounterKind::InpatientAdmission, "IMP"),
    (EncounterKind::EdVisit, "EMER"),
    (EncounterKind::ObservationStay, "OBSENC"),
];

pub const SEXES: &[(Sex, &str)] = &[
    (Sex::Female, "female"),
    (Sex::Male, "male"),
    (Sex::Other, "other"),
    (Sex::Unknown, "unknown"),
];

const MCODE_PRIMARY: &str =
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition";

/// Resources written so far and the chart JSON the import must give back.
pub struct Writer {
    /// The patient's id (the Patient resource's logical id).
    pub patient: String,
    /// The resources, in the order written.
    pub resources: Vec<Value>,
    /// The expected chart, as JSON (roots → records with the fields written).
    pub expected: Map<String, Value>,
}

impl Writer {
    /// A writer for the patient `id`.
    pub fn new(id: &str) -> Self {
        let mut expected = Map::new();
        expected.insert("id".into(), json!(id));
        Writer {
            patient: id.to_owned(),
            resources: Vec::new(),
            expected,
        }
    }

    /// The subject reference of this patient.
    pub fn subject(&self) -> Value {
        json!({"reference": format!("Patient/{}", self.patient)})
    }

    /// Adds a record the import must give back under list root `root`.
    pub fn expect_item(&mut self, root: &str, record: Map<String, Value>) {
        self.expected
            .entry(root.to_owned())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .unwrap()
            .push(Value::Object(record));
    }

    /// The resources as NDJSON.
    pub fn ndjson(&self) -> String {
        self.resources.iter().map(|r| format!("{r}\n")).collect()
    }
}

fn put<T: serde::Serialize>(m: &mut Map<String, Value>, k: &str, v: &Option<T>) {
    if let Some(v) = v {
        m.insert(k.to_owned(), serde_json::to_value(v).unwrap());
    }
}

/// The Patient resource: birth date, gender and death (`deceasedDateTime`, or
/// `deceasedBoolean` for a death without a date).
pub fn patient(w: &mut Writer, p: &Patient, death: Option<&Death>) {
    let mut r = json!({"resourceType": "Patient", "id": w.patient});
    let mut want = Map::new();
    if let Some(b) = p.birth_date {
        r["birthDate"] = json!(b.to_string());
        put(&mut want, "birth_date", &p.birth_date);
    }
    if let Some(s) = p.sex {
        let (_, g) = SEXES.iter().find(|(x, _)| *x == s).unwrap();
        r["gender"] = json!(g);
        put(&mut want, "sex", &p.sex);
    }
    w.expected.insert("patient".into(), Value::Object(want));
    if let Some(d) = death {
        let mut want = Map::new();
        match d.date {
            Some(date) => {
                r["deceasedDateTime"] = json!(date.to_string());
                put(&mut want, "date", &d.date);
            }
            None => r["deceasedBoolean"] = json!(true),
        }
        w.expected.insert("death".into(), Value::Object(want));
    }
    w.resources.push(r);
}

/// A cancer diagnosis as a Condition: its code by type and invasiveness (or the mCODE
/// profile with a local code when no code says both), onset, abatement and AJCC stage group.
/// A diagnosis without an id gets `dx-<index>` (the import keeps the Condition's id).
pub fn diagnosis(w: &mut Writer, index: usize, d: &Diagnosis) {
    let id =
        d.id.as_ref()
            .map_or_else(|| format!("dx-{index}"), |i| i.as_str().to_owned());
    let mut r = json!({"resourceType": "Condition", "id": id, "subject": w.subject()});
    let mut want = Map::new();
    want.insert("id".into(), json!(id));
    let code = CANCERS
        .iter()
        .find(|(t, _, _, inv)| Some(*t) == d.cancer_type && Some(*inv) == d.invasive);
    match code {
        Some((_, system, code, _)) => {
            r["code"] = json!({"coding": [{"system": system, "code": code}]});
            put(&mut want, "cancer_type", &d.cancer_type);
            put(&mut want, "invasive", &d.invasive);
        }
        None => {
            r["meta"] = json!({"profile": [MCODE_PRIMARY]});
            r["code"] =
                json!({"coding": [{"system": "urn:oncoqual:test:local", "code": "cancer"}]});
        }
    }
    if let Some(date) = d.diagnosis_date {
        r["onsetDateTime"] = json!(date.to_string());
        put(&mut want, "diagnosis_date", &d.diagnosis_date);
    }
    if let Some(date) = d.resolved_date {
        r["abatementDateTime"] = json!(date.to_string());
        put(&mut want, "resolved_date", &d.resolved_date);
    }
    if let Some(s) = d.stage_group
        && !matches!(s, StageGroup::NotApplicable | StageGroup::Unknown)
    {
        r["stage"] = json!([{"summary": {"coding": [
            {"system": "http://cancerstaging.org", "code": s.as_str()}]}}]);
        put(&mut want, "stage_group", &d.stage_group);
    }
    w.resources.push(r);
    w.expect_item("diagnoses", want);
}

/// A coexisting condition as a Condition with its onset and abatement.
pub fn condition(w: &mut Writer, index: usize, c: &Condition) {
    let Some((_, system, code)) = CONDITIONS.iter().find(|(k, _, _)| Some(*k) == c.kind) else {
        return;
    };
    let mut r = json!({"resourceType": "Condition", "id": format!("cond-{index}"),
        "subject": w.subject(), "code": {"coding": [{"system": system, "code": code}]}});
    let mut want = Map::new();
    put(&mut want, "kind", &c.kind);
    if let Some(d) = c.onset_date {
        r["onsetDateTime"] = json!(d.to_string());
        put(&mut want, "onset_date", &c.onset_date);
    }
    if let Some(d) = c.abatement_date {
        r["abatementDateTime"] = json!(d.to_string());
        put(&mut want, "abatement_date", &c.abatement_date);
    }
    w.resources.push(r);
    w.expect_item("conditions", want);
}

/// An encounter of a kind with an ActCode class; other kinds are not written.
/// The Organization that is the practice (the import run is told so).
pub const PRACTICE_ORGANIZATION: &str = "the-practice";

const PARTICIPATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

/// The clinicians encounters name, one PractitionerRole per dictionary role, each coded in
/// the NUCC provider taxonomy (shared by every chart: written once per export).
pub fn practitioner_roles() -> Vec<Value> {
    [
        (ProviderRole::Physician, "207RX0202X"),
        (ProviderRole::AdvancedPracticeProvider, "363L00000X"),
        (ProviderRole::Nurse, "163W00000X"),
        (ProviderRole::Pharmacist, "183500000X"),
        (ProviderRole::Other, "1041C0700X"),
    ]
    .iter()
    .map(|(role, code)| {
        json!({"resourceType": "PractitionerRole", "id": format!("role-{}", role.as_str()),
            "code": [{"coding": [{"system": "http://nucc.org/provider-taxonomy", "code": code}]}]})
    })
    .collect()
}

pub fn encounter(w: &mut Writer, index: usize, e: &Encounter) {
    let Some((kind, class)) = ENCOUNTERS.iter().find(|(k, _)| Some(*k) == e.kind) else {
        return;
    };
    let Some(date) = e.date else {
        return;
    };
    let mut want = Map::new();
    put(&mut want, "kind", &e.kind);
    put(&mut want, "date", &e.date);
    let mut period = json!({"start": date.to_string()});
    let stay = matches!(
        kind,
        EncounterKind::InpatientAdmission | EncounterKind::ObservationStay
    );
    if stay && let Some(d) = e.discharge_date {
        period["end"] = json!(d.to_string());
        put(&mut want, "discharge_date", &e.discharge_date);
    }
    let mut r = json!({"resourceType": "Encounter", "id": format!("enc-{index}"),
        "status": "finished", "class": {"system": ACT_CODE, "code": class},
        "subject": w.subject(), "period": period});
    if let Some(p) = e.with_practice {
        let org = if p {
            PRACTICE_ORGANIZATION
        } else {
            "elsewhere"
        };
        r["serviceProvider"] = json!({"reference": format!("Organization/{org}")});
        put(&mut want, "with_practice", &e.with_practice);
    }
    if let Some(role) = e.provider_role {
        r["participant"] = json!([{
            "type": [{"coding": [{"system": PARTICIPATION_TYPE, "code": "PPRF"}]}],
            "individual": {"reference": format!("PractitionerRole/role-{}", role.as_str())}}]);
        put(&mut want, "provider_role", &e.provider_role);
    }
    w.resources.push(r);
    w.expect_item("encounters", want);
}
