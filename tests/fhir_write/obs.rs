//! Test writers: chart records → FHIR R4 Observation (and secondary cancer Condition) JSON as
//! the import reads them (mCODE TNM staging, tumour markers, assessments, labs). Plain
//! functions, so a whole-chart round trip can reuse them (`#[path]` include).

use oncoqual::Date;
use oncoqual::chart::{
    Assessment, AssessmentKind, AssessmentScale, Biomarker, BiomarkerMethod, BiomarkerName,
    BiomarkerResult, Lab, LabResult, LabTest, Number, StageGroup, TobaccoStatus,
};
use serde_json::{Value, json};

pub const LOINC: &str = "http://loinc.org";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const AJCC: &str = "http://cancerstaging.org";
pub const UCUM: &str = "http://unitsofmeasure.org";

/// Biomarker (name, method) → the LOINC code written and whether its value is a percent.
pub const BIOMARKER_CODES: &[(BiomarkerName, Option<BiomarkerMethod>, &str, bool)] = &[
    (BiomarkerName::Er, None, "16112-5", false),
    (
        BiomarkerName::Er,
        Some(BiomarkerMethod::Ihc),
        "85329-1",
        true,
    ),
    (BiomarkerName::Pr, None, "16113-3", false),
    (
        BiomarkerName::Pr,
        Some(BiomarkerMethod::Ihc),
        "85325-9",
        true,
    ),
    (BiomarkerName::Her2, None, "48676-1", false),
    (
        BiomarkerName::Her2,
        Some(BiomarkerMethod::Ihc),
        "85319-2",
        false,
    ),
    (
        BiomarkerName::Her2,
        Some(BiomarkerMethod::Ish),
        "85318-4",
        false,
    ),
    (
        BiomarkerName::PdL1,
        Some(BiomarkerMethod::Ihc),
        "83052-1",
        false,
    ),
    (
        BiomarkerName::Alk,
        Some(BiomarkerMethod::Ish),
        "78205-2",
        false,
    ),
    (BiomarkerName::Kras, None, "82535-6", false),
    (
        BiomarkerName::Braf,
        Some(BiomarkerMethod::Ihc),
        "85299-6",
        false,
    ),
];

/// Lab test → (LOINC code, canonical UCUM unit when the import reads the value).
pub const LAB_CODES: &[(LabTest, &str, Option<&str>)] = &[
    (LabTest::Hemoglobin, "718-7", Some("g/dL")),
    (LabTest::Cea, "2039-6", Some("ng/mL")),
    (LabTest::Psa, "2857-1", Some("ng/mL")),
    (LabTest::Tsh, "3016-3", Some("m[IU]/L")),
    (LabTest::Alt, "1742-6", Some("U/L")),
    (LabTest::Ast, "1920-8", Some("U/L")),
    (LabTest::Hbsag, "5196-1", None),
    (LabTest::AntiHbc, "13952-7", None),
    (LabTest::Creatinine, "2160-0", None),
];

/// Assessment (kind, scale) → (LOINC code, UCUM unit of the score).
pub const ASSESSMENT_CODES: &[(AssessmentKind, Option<AssessmentScale>, &str, &str)] = &[
    (
        AssessmentKind::PerformanceStatus,
        Some(AssessmentScale::Ecog),
        "89247-1",
        "1",
    ),
    (
        AssessmentKind::PerformanceStatus,
        Some(AssessmentScale::Karnofsky),
        "89243-0",
        "1",
    ),
    (
        AssessmentKind::Pain,
        Some(AssessmentScale::Numeric010),
        "72514-3",
        "{score}",
    ),
    (
        AssessmentKind::DepressionScreen,
        Some(AssessmentScale::Phq9),
        "44261-6",
        "{score}",
    ),
    (
        AssessmentKind::AnxietyScreen,
        Some(AssessmentScale::Gad7),
        "70274-6",
        "{score}",
    ),
    (AssessmentKind::Height, None, "8302-2", "cm"),
    (AssessmentKind::Weight, None, "29463-7", "kg"),
    (AssessmentKind::TobaccoUse, None, "72166-2", ""),
];

fn concept(system: &str, code: &str) -> Value {
    json!({"coding": [{"system": system, "code": code}]})
}

fn subject(patient: &str) -> Value {
    json!({"reference": format!("Patient/{patient}")})
}

fn num(n: Number) -> Value {
    serde_json::from_str(&n.to_string()).unwrap_or(Value::Null)
}

fn base(id: &str, patient: &str, system: &str, code: &str, date: Option<Date>) -> Value {
    let mut o = json!({"resourceType": "Observation", "id": id, "status": "final",
        "subject": subject(patient), "code": concept(system, code)});
    if let Some(d) = date {
        o["effectiveDateTime"] = json!(d.to_string());
    }
    o
}

fn with_focus(mut o: Value, focus: Option<&str>) -> Value {
    if let Some(c) = focus {
        o["focus"] = json!([{"reference": format!("Condition/{c}")}]);
    }
    o
}

/// The AJCC code of a stage group as mCODE writes it (`3C` for IIIC, `0` for stage 0).
pub fn ajcc_stage_code(s: StageGroup) -> String {
    let v = s.as_str();
    for (roman, arabic) in [("IV", "4"), ("III", "3"), ("II", "2"), ("I", "1")] {
        if let Some(rest) = v.strip_prefix(roman) {
            return format!("{arabic}{rest}");
        }
    }
    v.to_owned()
}

/// A TNM stage group Observation (`pathological`: 21902-2, else clinical 21908-9).
pub fn stage_group(
    id: &str,
    patient: &str,
    focus: Option<&str>,
    pathological: bool,
    stage: StageGroup,
    date: Option<Date>,
) -> Value {
    let code = if pathological { "21902-2" } else { "21908-9" };
    let mut o = with_focus(base(id, patient, LOINC, code, date), focus);
    o["valueCodeableConcept"] = concept(AJCC, &ajcc_stage_code(stage));
    o
}

/// A T, N or M category Observation (`element` 'T', 'N' or 'M'); `value` is the chart
/// value (`T2a`), written with the `c` or `p` prefix.
pub fn tnm_category(
    id: &str,
    patient: &str,
    focus: Option<&str>,
    element: char,
    pathological: bool,
    value: &str,
    date: Option<Date>,
) -> Value {
    let code = match (element, pathological) {
        ('T', false) => "21905-5",
        ('T', true) => "21899-0",
        ('N', false) => "21906-3",
        ('N', true) => "21900-6",
        ('M', false) => "21907-1",
        _ => "21901-4",
    };
    let prefix = if pathological { "p" } else { "c" };
    let mut o = with_focus(base(id, patient, LOINC, code, date), focus);
    o["valueCodeableConcept"] = concept(AJCC, &format!("{prefix}{value}"));
    o
}

fn result_code(r: BiomarkerResult) -> Option<(&'static str, &'static str)> {
    Some(match r {
        BiomarkerResult::Positive | BiomarkerResult::Mutated => (SNOMED, "10828004"),
        BiomarkerResult::Negative | BiomarkerResult::WildType => (SNOMED, "260385009"),
        BiomarkerResult::Equivocal => (SNOMED, "42425007"),
        BiomarkerResult::Indeterminate => (SNOMED, "82334004"),
        _ => return None,
    })
}

/// A tumour marker Observation for `b` (its name and method must be in
/// [`BIOMARKER_CODES`]); a percent code carries the value and the result as interpretation.
pub fn biomarker(id: &str, patient: &str, focus: Option<&str>, b: &Biomarker) -> Option<Value> {
    let (_, _, code, percent) = BIOMARKER_CODES
        .iter()
        .find(|(n, m, _, _)| Some(*n) == b.name && *m == b.method)?;
    let mut o = with_focus(base(id, patient, LOINC, code, b.result_date), focus);
    let result = b.result.and_then(result_code);
    if *percent {
        if let Some(v) = b.value {
            o["valueQuantity"] = json!({"value": num(v), "unit": "%", "system": UCUM, "code": "%"});
        }
        if let Some(r) = b.result {
            let c = match r {
                BiomarkerResult::Positive => "POS",
                BiomarkerResult::Negative => "NEG",
                BiomarkerResult::Equivocal => "E",
                _ => "IND",
            };
            o["interpretation"] = json!([concept(
                "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                c
            )]);
        }
    } else if let Some((s, c)) = result {
        o["valueCodeableConcept"] = concept(s, c);
    }
    Some(o)
}

fn tobacco_code(t: TobaccoStatus) -> &'static str {
    match t {
        TobaccoStatus::Current => "449868002",
        TobaccoStatus::Former => "8517006",
        TobaccoStatus::Never => "266919005",
        TobaccoStatus::Unknown => "266927001",
        other => panic!("no SNOMED CT code for {other:?}"),
    }
}

/// An assessment Observation for `a` (its kind and scale must be in [`ASSESSMENT_CODES`]).
pub fn assessment(id: &str, patient: &str, a: &Assessment) -> Option<Value> {
    let (_, _, code, unit) = ASSESSMENT_CODES
        .iter()
        .find(|(k, s, _, _)| Some(*k) == a.kind && *s == a.scale)?;
    let mut o = base(id, patient, LOINC, code, a.date);
    if a.kind == Some(AssessmentKind::TobaccoUse) {
        if let Some(t) = a.tobacco_status {
            o["valueCodeableConcept"] = concept(SNOMED, tobacco_code(t));
        }
    } else if let Some(s) = a.score {
        o["valueQuantity"] = json!({"value": num(s), "system": UCUM, "code": unit});
    }
    Some(o)
}

/// A lab Observation for `l` (its test must be in [`LAB_CODES`]): the value in the
/// canonical unit, or the qualitative result.
pub fn lab(id: &str, patient: &str, l: &Lab) -> Option<Value> {
    let (_, code, unit) = LAB_CODES.iter().find(|(t, _, _)| Some(*t) == l.test)?;
    let mut o = base(id, patient, LOINC, code, l.date);
    if let (Some(v), Some(u)) = (l.value, unit) {
        o["valueQuantity"] = json!({"value": num(v), "unit": u, "system": UCUM, "code": u});
    } else if let Some(r) = l.result {
        let c = match r {
            LabResult::Positive => "10828004",
            LabResult::Negative => "260385009",
            _ => "82334004",
        };
        o["valueCodeableConcept"] = concept(SNOMED, c);
    }
    Some(o)
}

/// An mCODE secondary cancer condition naming its primary `primary`, with its onset; bone
/// (ICD-10-CM C79.51) or liver (C78.7).
pub fn secondary_cancer(
    id: &str,
    patient: &str,
    primary: Option<&str>,
    bone: bool,
    onset: Option<Date>,
) -> Value {
    let code = if bone { "C79.51" } else { "C78.7" };
    let mut c = json!({"resourceType": "Condition", "id": id, "subject": subject(patient),
        "meta": {"profile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-secondary-cancer-condition"]},
        "code": concept("http://hl7.org/fhir/sid/icd-10-cm", code)});
    if let Some(p) = primary {
        c["extension"] = json!([{
            "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition",
            "valueReference": {"reference": format!("Condition/{p}")}}]);
    }
    if let Some(d) = onset {
        c["onsetDateTime"] = json!(d.to_string());
    }
    c
}
