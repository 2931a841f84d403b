//! From one FHIR resource to chart records: Patient → `patient` and `death`, Condition →
//! `diagnoses` or `conditions`, Encounter → `encounters`. Each function returns the records
//! with the reasons of the fields it leaves missing, or why the resource is skipped.

use fhir_model::r4b::codes::{AdministrativeGender, EncounterStatus};
use fhir_model::r4b::resources::{
    ConditionAbatement, ConditionInner, ConditionOnset, EncounterInner, PatientDeceased,
    PatientInner,
};
use fhir_model::r4b::types::{CodeableConcept, Coding};

use super::assemble::{Item, Mapped};
use super::report::{CodeRef, MissingReason, SkipReason};
use super::tables::{Behaviour, Neoplasm, Tables};
use crate::chart::fhir_map::code_system_uri;
use crate::chart::{
    Condition, Date, Death, Diagnosis, DiagnosisId, Encounter, EncounterKind, Patient, Sex,
    StageGroup,
};

/// mCODE's primary cancer condition profile (STU1–STU3 share the canonical).
pub(crate) const MCODE_PRIMARY: &str =
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition";
/// mCODE's secondary (metastatic) cancer condition profile.
pub(crate) const MCODE_SECONDARY: &str =
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-secondary-cancer-condition";
/// The AJCC staging code system.
pub(crate) const AJCC: &str = "http://cancerstaging.org";
/// HL7 v3 ActCode: Encounter.class.
pub(crate) const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

/// The logical id of a reference `<Type>/<id>` (with any base URL before it and any
/// `/_history/<v>` after it), when it is of type `ty`.
pub(crate) fn ref_id(reference: &str, ty: &str) -> Option<String> {
    let mut parts: Vec<&str> = reference.split('/').collect();
    if let [.., h, _] = parts.as_slice()
        && *h == "_history"
    {
        parts.truncate(parts.len().saturating_sub(2));
    }
    match parts.as_slice() {
        [.., t, id] if *t == ty && !id.is_empty() => Some((*id).to_owned()),
        _ => None,
    }
}

/// A date as the chart can hold it, or why not.
pub(crate) type DateResult = Result<Date, MissingReason>;

fn day(d: &fhir_model::time::Date) -> DateResult {
    Date::from_ymd(d.year(), u32::from(u8::from(d.month())), u32::from(d.day()))
        .ok_or(MissingReason::UnusableDate)
}

/// A FHIR `date`: only a whole day is a chart date.
pub(crate) fn from_date(d: &fhir_model::Date) -> DateResult {
    match d {
        fhir_model::Date::Date(d) => day(d),
        fhir_model::Date::Year(_) | fhir_model::Date::YearMonth(..) => {
            Err(MissingReason::PartialDate)
        }
    }
}

/// A FHIR `dateTime`: its day as written (in the offset it carries).
pub(crate) fn from_date_time(d: &fhir_model::DateTime) -> DateResult {
    match d {
        fhir_model::DateTime::Date(d) => from_date(d),
        fhir_model::DateTime::DateTime(i) => day(&i.0.date()),
    }
}

pub(crate) fn opt_date(d: Option<&fhir_model::DateTime>) -> DateResult {
    d.map_or(Err(MissingReason::Absent), from_date_time)
}

/// Fields left missing by a mapping, with their reasons (paths relative to the record).
pub(crate) type Reasons = Vec<(&'static str, MissingReason)>;

/// What mapping one resource gives: its records and the codes among them that mapped to
/// nothing (counted in the summary), or why it is skipped with the codes to count.
pub(crate) type Outcome = Result<(Vec<Item>, Vec<CodeRef>), (SkipReason, Vec<CodeRef>)>;

/// A mapped record as an [`Item`].
pub(crate) fn item<T>(record: T, reasons: Reasons) -> Item
where
    Box<T>: Into<Mapped>,
{
    Item::new(Box::new(record).into(), reasons)
}

pub(crate) fn note(v: DateResult, field: &'static str, reasons: &mut Reasons) -> Option<Date> {
    match v {
        Ok(d) => Some(d),
        Err(r) => {
            reasons.push((field, r));
            None
        }
    }
}

/// US Core's individual-sex extension (a SNOMED CT coding), used when `gender` is absent.
pub(crate) const US_CORE_INDIVIDUAL_SEX: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-individual-sex";
/// US Core's birth-sex extension (a code F, M or UNK), used when neither `gender` nor
/// individual-sex says.
pub(crate) const US_CORE_BIRTH_SEX: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex";

/// The sex a US Core extension records: individual-sex (SNOMED CT 248152002 female,
/// 248153007 male) first, then birth sex (F, M, UNK). Any other value is an unmapped code.
fn sex_extension(extensions: &[fhir_model::r4b::types::Extension]) -> Result<Sex, MissingReason> {
    use fhir_model::r4b::types::ExtensionValue;
    let find = |url: &str| extensions.iter().find(|e| e.url == url);
    if let Some(e) = find(US_CORE_INDIVIDUAL_SEX) {
        if let Some(ExtensionValue::Coding(c)) = &e.value
            && c.system.as_deref() == Some("http://snomed.info/sct")
        {
            match c.code.as_deref() {
                Some("248152002") => return Ok(Sex::Female),
                Some("248153007") => return Ok(Sex::Male),
                _ => {}
            }
        }
        return Err(MissingReason::UnmappedCode);
    }
    match find(US_CORE_BIRTH_SEX).map(|e| &e.value) {
        Some(Some(ExtensionValue::Code(c))) => match c.as_str() {
            "F" => Ok(Sex::Female),
            "M" => Ok(Sex::Male),
            "UNK" => Ok(Sex::Unknown),
            _ => Err(MissingReason::UnmappedCode),
        },
        Some(_) => Err(MissingReason::UnmappedCode),
        None => Err(MissingReason::Absent),
    }
}

/// Patient → demographics and, when deceased, the death record.
pub(crate) fn patient(p: &PatientInner) -> Vec<Item> {
    let mut reasons = Reasons::new();
    let birth_date = match p
        .birth_date
        .as_ref()
        .map_or(Err(MissingReason::Absent), from_date)
    {
        Ok(d) => Some(d),
        Err(r) => {
            reasons.push(("birth_date", r));
            None
        }
    };
    let sex = match p.gender {
        Some(AdministrativeGender::Female) => Some(Sex::Female),
        Some(AdministrativeGender::Male) => Some(Sex::Male),
        Some(AdministrativeGender::Other) => Some(Sex::Other),
        Some(AdministrativeGender::Unknown) => Some(Sex::Unknown),
        None => match sex_extension(&p.extension) {
            Ok(s) => Some(s),
            Err(r) => {
                reasons.push(("sex", r));
                None
            }
        },
    };
    let out = Patient {
        birth_date,
        sex,
        ..Patient::default()
    };
    let mut death_reasons = Reasons::new();
    let death = match &p.deceased {
        Some(PatientDeceased::DateTime(d)) => Some(Death {
            date: note(from_date_time(d), "date", &mut death_reasons),
            ..Death::default()
        }),
        Some(PatientDeceased::Boolean(true)) => {
            death_reasons.push(("date", MissingReason::NoValue));
            Some(Death::default())
        }
        Some(PatientDeceased::Boolean(false)) | None => None,
    };
    let mut items = vec![item(out, reasons)];
    if let Some(death) = death {
        items.push(item(death, death_reasons));
    }
    items
}

/// The codings of a concept, as references.
pub(crate) fn codings(c: Option<&CodeableConcept>) -> impl Iterator<Item = &Coding> {
    c.into_iter().flat_map(|c| c.coding.iter().flatten())
}

pub(crate) fn code_ref(c: &Coding) -> CodeRef {
    CodeRef {
        system: c.system.clone(),
        code: c.code.clone(),
    }
}

pub(crate) fn is_system(c: &Coding, name: &str) -> bool {
    c.system.as_deref() == Some(code_system_uri(name).as_str())
}

fn status_code(c: Option<&CodeableConcept>) -> Option<String> {
    codings(c).find_map(|c| c.code.clone())
}

/// The diagnosis date: onset[x] (its dateTime, or its period's start) wins; else
/// `recordedDate`; an onset given as an age or range is no date.
pub(crate) fn diagnosis_date(c: &ConditionInner) -> DateResult {
    let onset = match &c.onset {
        Some(ConditionOnset::DateTime(d)) => Some(from_date_time(d)),
        Some(ConditionOnset::Period(p)) => p.start.as_ref().map(from_date_time),
        _ => None,
    };
    match onset {
        Some(Ok(d)) => Ok(d),
        Some(Err(r)) => c.recorded_date.as_ref().map_or(Err(r), from_date_time),
        None => opt_date(c.recorded_date.as_ref()),
    }
}

fn abatement(c: &ConditionInner) -> DateResult {
    match &c.abatement {
        Some(ConditionAbatement::DateTime(d)) => from_date_time(d),
        Some(ConditionAbatement::Period(p)) => opt_date(p.end.as_ref().or(p.start.as_ref())),
        _ => Err(MissingReason::Absent),
    }
}

/// An AJCC stage group code (`http://cancerstaging.org`) → the chart's stage group, when it
/// maps exactly: the Roman form (`IIIC`) as the chart writes it, or the Arabic form AJCC's
/// code system uses (`3C`, `1A1`, `0`). Prefixed (`c3C`, `yp2`) or other codes map to nothing.
pub(crate) fn ajcc_stage(code: &str) -> Option<StageGroup> {
    if let Ok(s) = code.parse::<StageGroup>()
        && !matches!(s, StageGroup::NotApplicable | StageGroup::Unknown)
    {
        return Some(s);
    }
    let mut chars = code.chars();
    let roman = match chars.next()? {
        '0' => "0",
        '1' => "I",
        '2' => "II",
        '3' => "III",
        '4' => "IV",
        _ => return None,
    };
    let rest: String = chars.collect();
    if roman == "0" && !rest.is_empty() {
        return None;
    }
    if !rest
        .chars()
        .all(|c| matches!(c, 'A' | 'B' | 'C' | '1' | '2' | '3'))
    {
        return None;
    }
    format!("{roman}{rest}").parse().ok()
}

/// The neoplasm row of a Condition's codings: the first that names the cancer type, else
/// the first neoplasm at all.
fn neoplasm(all: &[&Coding], t: &Tables) -> Option<Neoplasm> {
    let one = |c: &Coding| {
        let code = c.code.as_deref()?;
        if is_system(c, "ICD-10-CM") {
            t.icd10_neoplasm(code)
        } else if is_system(c, "SNOMED") {
            t.snomed_neoplasm(code)
        } else {
            None
        }
    };
    all.iter()
        .filter_map(|c| one(c))
        .find(|n| n.cancer_type.is_some())
        .or_else(|| all.iter().find_map(|c| one(c)))
}

/// Whether a Condition is a secondary (metastatic) cancer: the mCODE profile, or a
/// secondary neoplasm code of the shipped tables.
pub(crate) fn secondary_cancer(c: &ConditionInner, t: &Tables) -> bool {
    let all: Vec<&Coding> = codings(c.code.as_ref()).collect();
    c.meta
        .iter()
        .flat_map(|m| m.profile.iter().flatten())
        .any(|p| p == MCODE_SECONDARY)
        || neoplasm(&all, t).is_some_and(|n| n.behaviour == Behaviour::Secondary)
}

/// Condition → diagnosis (a cancer: mCODE primary cancer profile, or a malignant or in-situ
/// ICD-10-CM / SNOMED code of the shipped tables) or condition (a kind of the dictionary).
pub(crate) fn condition(c: &ConditionInner, t: &Tables) -> Outcome {
    if let Some(s) = status_code(c.verification_status.as_ref())
        && matches!(s.as_str(), "refuted" | "entered-in-error")
    {
        return Err((SkipReason::Status { status: s }, Vec::new()));
    }
    let profiles: Vec<&str> = c
        .meta
        .iter()
        .flat_map(|m| m.profile.iter().flatten())
        .map(String::as_str)
        .collect();
    let all: Vec<&Coding> = codings(c.code.as_ref()).collect();
    let found = neoplasm(&all, t);
    if secondary_cancer(c, t) {
        return Err((SkipReason::SecondaryCancer, Vec::new()));
    }
    let cancer = profiles.contains(&MCODE_PRIMARY)
        || found.is_some_and(|n| matches!(n.behaviour, Behaviour::Primary | Behaviour::InSitu));
    if cancer {
        let mut reasons = Reasons::new();
        let mut unmapped = Vec::new();
        let mut dx = Diagnosis {
            id: c.id.as_deref().and_then(DiagnosisId::new),
            ..Diagnosis::default()
        };
        if dx.id.is_none() {
            reasons.push(("id", MissingReason::Absent));
        }
        let topography = || {
            c.body_site
                .iter()
                .flatten()
                .flat_map(|b| b.coding.iter().flatten())
                .filter(|c| is_system(c, "ICD-O-3"))
                .find_map(|c| c.code.as_deref().and_then(|code| t.topography(code)))
        };
        dx.cancer_type = found.and_then(|n| n.cancer_type).or_else(topography);
        if dx.cancer_type.is_none() {
            if all.is_empty() {
                reasons.push(("cancer_type", MissingReason::Absent));
            } else {
                reasons.push(("cancer_type", MissingReason::UnmappedCode));
                unmapped.extend(all.iter().map(|c| code_ref(c)));
            }
        }
        dx.invasive = match found.map(|n| n.behaviour) {
            Some(Behaviour::Primary) => Some(true),
            Some(Behaviour::InSitu) => Some(false),
            _ => {
                reasons.push(("invasive", MissingReason::UnmappedCode));
                None
            }
        };
        super::map_obs::histology(c, &mut dx, &mut reasons, &mut unmapped);
        dx.diagnosis_date = note(diagnosis_date(c), "diagnosis_date", &mut reasons);
        dx.resolved_date = note(abatement(c), "resolved_date", &mut reasons);
        let stage_codings: Vec<&Coding> = c
            .stage
            .iter()
            .flatten()
            .flat_map(|s| codings(s.summary.as_ref()))
            .collect();
        dx.stage_group = stage_codings
            .iter()
            .filter(|c| c.system.as_deref() == Some(AJCC))
            .find_map(|c| c.code.as_deref().and_then(ajcc_stage));
        if dx.stage_group.is_none() {
            if stage_codings.is_empty() {
                reasons.push(("stage_group", MissingReason::Absent));
            } else {
                reasons.push(("stage_group", MissingReason::UnmappedCode));
                unmapped.extend(stage_codings.iter().map(|c| code_ref(c)));
            }
        }
        return Ok((vec![item(dx, reasons)], unmapped));
    }
    let kind = all.iter().find_map(|c| {
        let code = c.code.as_deref()?;
        if is_system(c, "ICD-10-CM") {
            t.icd10_condition(code)
        } else if is_system(c, "SNOMED") {
            t.snomed_condition(code)
        } else {
            None
        }
    });
    let Some(kind) = kind else {
        let codes: Vec<CodeRef> = all.iter().map(|c| code_ref(c)).collect();
        return Err((
            SkipReason::UnlistedCondition {
                codes: codes.clone(),
            },
            codes,
        ));
    };
    let mut reasons = Reasons::new();
    let out = Condition {
        kind: Some(kind),
        onset_date: note(diagnosis_date(c), "onset_date", &mut reasons),
        abatement_date: note(abatement(c), "abatement_date", &mut reasons),
    };
    Ok((vec![item(out, reasons)], Vec::new()))
}

/// Encounter → a chart encounter, or why not.
pub(crate) fn encounter(e: &EncounterInner) -> Outcome {
    let status = match e.status {
        EncounterStatus::Planned => Some("planned"),
        EncounterStatus::Cancelled => Some("cancelled"),
        EncounterStatus::EnteredInError => Some("entered-in-error"),
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
    let class = &e.class;
    let act = class.system.is_none() || class.system.as_deref() == Some(ACT_CODE);
    let kind = match (act, class.code.as_deref()) {
        (true, Some("AMB")) => EncounterKind::OfficeVisit,
        (true, Some("VR")) => EncounterKind::TelehealthVisit,
        (true, Some("IMP")) => EncounterKind::InpatientAdmission,
        (true, Some("EMER")) => EncounterKind::EdVisit,
        (true, Some("OBSENC")) => EncounterKind::ObservationStay,
        _ => {
            let c = code_ref(class);
            return Err((SkipReason::EncounterClass { class: c.clone() }, vec![c]));
        }
    };
    let mut reasons = Reasons::new();
    let mut out = Encounter {
        kind: Some(kind),
        ..Encounter::default()
    };
    let period = e.period.as_ref();
    out.date = note(
        opt_date(period.and_then(|p| p.start.as_ref())),
        "date",
        &mut reasons,
    );
    if matches!(
        kind,
        EncounterKind::InpatientAdmission | EncounterKind::ObservationStay
    ) {
        out.discharge_date = note(
            opt_date(period.and_then(|p| p.end.as_ref())),
            "discharge_date",
            &mut reasons,
        );
    }
    let mut item = item(out, reasons);
    item.who = Some(Box::new(super::who::encounter_refs(e)));
    Ok((vec![item], Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::super::assemble::take;
    use super::*;
    use crate::chart::{CancerType, ConditionKind};
    use fhir_model::r4b::resources::{
        Condition as FhirCondition, Encounter as FhirEncounter, Patient as FhirPatient,
    };

    fn tables() -> &'static Tables {
        super::super::tables::tables().unwrap()
    }

    fn cond(json: &str) -> Outcome {
        let c: FhirCondition = serde_json::from_str(json).unwrap();
        condition(&c, tables())
    }

    /// The one record of a mapped outcome, with its reasons and the unmapped codes.
    fn one<T>(o: Outcome) -> Option<(T, Reasons, Vec<CodeRef>)>
    where
        Box<T>: TryFrom<Mapped, Error = &'static str>,
    {
        let (mut items, unmapped) = o.ok()?;
        assert_eq!(items.len(), 1);
        let item = items.pop()?;
        Box::<T>::try_from(item.mapped)
            .ok()
            .map(|r| (*r, item.reasons, unmapped))
    }

    fn enc(
        class: &str,
        status: &str,
        period: &str,
    ) -> Result<(Encounter, Reasons), (SkipReason, Vec<CodeRef>)> {
        let json = format!(
            r#"{{"resourceType":"Encounter","status":"{status}","class":{class},"period":{period}}}"#
        );
        let e: FhirEncounter = serde_json::from_str(&json).unwrap();
        encounter(&e).map(|(mut items, _)| take(items.remove(0)))
    }

    #[test]
    fn ajcc_stage_groups_map_exactly() {
        assert_eq!(ajcc_stage("3C"), Some(StageGroup::IIIC));
        assert_eq!(ajcc_stage("1A1"), Some(StageGroup::IA1));
        assert_eq!(ajcc_stage("0"), Some(StageGroup::Stage0));
        assert_eq!(ajcc_stage("4"), Some(StageGroup::IV));
        assert_eq!(ajcc_stage("IIB"), Some(StageGroup::IIB));
        for code in [
            "c3C",
            "0is",
            "5",
            "3D",
            "",
            "unknown",
            "not_applicable",
            "2E",
        ] {
            assert_eq!(ajcc_stage(code), None, "{code}");
        }
    }

    #[test]
    fn patient_demographics_death_and_partial_dates() {
        let p: FhirPatient = serde_json::from_str(
            r#"{"resourceType":"Patient","gender":"male","birthDate":"1950","deceasedBoolean":true}"#,
        )
        .unwrap();
        let mut items = patient(&p).into_iter();
        let (pt, missing) = take::<Patient>(items.next().unwrap());
        let (death, death_missing) = take::<Death>(items.next().unwrap());
        assert_eq!(pt.sex, Some(Sex::Male));
        assert_eq!(pt.birth_date, None);
        assert_eq!(missing, [("birth_date", MissingReason::PartialDate)]);
        assert_eq!(death.date, None);
        assert_eq!(death_missing, [("date", MissingReason::NoValue)]);
        let p: FhirPatient = serde_json::from_str(
            r#"{"resourceType":"Patient","birthDate":"1950-02-03","deceasedDateTime":"2026-04-05T23:30:00-08:00"}"#,
        )
        .unwrap();
        let mut items = patient(&p).into_iter();
        let (pt, missing) = take::<Patient>(items.next().unwrap());
        let (death, _) = take::<Death>(items.next().unwrap());
        assert_eq!(pt.birth_date, Date::from_ymd(1950, 2, 3));
        assert_eq!(missing, [("sex", MissingReason::Absent)]);
        assert_eq!(
            death.date,
            Date::from_ymd(2026, 4, 5),
            "the day in its own offset"
        );
        let p: FhirPatient =
            serde_json::from_str(r#"{"resourceType":"Patient","deceasedBoolean":false}"#).unwrap();
        assert_eq!(patient(&p).len(), 1, "no death record");
    }

    #[test]
    fn sex_comes_from_gender_else_the_us_core_extensions() {
        let sex = |json: &str| {
            let p: FhirPatient = serde_json::from_str(json).unwrap();
            take::<Patient>(patient(&p).remove(0))
        };
        let individual = r#"{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-individual-sex",
            "valueCoding":{"system":"http://snomed.info/sct","code":"248153007"}}"#;
        let birth = r#"{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex","valueCode":"F"}"#;
        let (p, _) = sex(&format!(
            r#"{{"resourceType":"Patient","extension":[{birth},{individual}]}}"#
        ));
        assert_eq!(p.sex, Some(Sex::Male), "individual sex before birth sex");
        let (p, _) = sex(&format!(
            r#"{{"resourceType":"Patient","gender":"female","extension":[{individual}]}}"#
        ));
        assert_eq!(p.sex, Some(Sex::Female), "gender first");
        let (p, _) = sex(&format!(
            r#"{{"resourceType":"Patient","extension":[{birth}]}}"#
        ));
        assert_eq!(p.sex, Some(Sex::Female));
        let (p, reasons) = sex(
            r#"{"resourceType":"Patient","extension":[{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex","valueCode":"X"}]}"#,
        );
        assert_eq!(p.sex, None);
        assert!(reasons.contains(&("sex", MissingReason::UnmappedCode)));
    }

    #[test]
    fn cancer_conditions_become_diagnoses() {
        let Some((dx, reasons, unmapped)) = one::<Diagnosis>(cond(
            r#"{"resourceType":"Condition","id":"d1","subject":{"reference":"Patient/x"},
            "code":{"coding":[{"system":"http://snomed.info/sct","code":"254637007"}]},
            "onsetPeriod":{"start":"2025-06-07"},"recordedDate":"2025-07-01","abatementDateTime":"2026-01-02",
            "stage":[{"summary":{"coding":[{"system":"http://cancerstaging.org","code":"c3C"}]}}]}"#,
        )) else {
            panic!("a diagnosis")
        };
        assert_eq!(dx.id.as_ref().unwrap().as_str(), "d1");
        assert_eq!(dx.cancer_type, Some(CancerType::LungNsclc));
        assert_eq!(dx.invasive, Some(true));
        assert_eq!(dx.diagnosis_date, Date::from_ymd(2025, 6, 7));
        assert_eq!(dx.resolved_date, Date::from_ymd(2026, 1, 2));
        assert_eq!(dx.stage_group, None);
        assert_eq!(
            reasons,
            [
                ("histology", MissingReason::Absent),
                ("histology_group", MissingReason::Absent),
                ("stage_group", MissingReason::UnmappedCode)
            ]
        );
        assert_eq!(unmapped[0].code.as_deref(), Some("c3C"));
        // The mCODE profile makes a cancer of a code no table holds; the topography names it.
        let Some((dx, reasons, _)) = one::<Diagnosis>(cond(
            r#"{"resourceType":"Condition","subject":{"reference":"Patient/x"},
            "meta":{"profile":["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"]},
            "code":{"coding":[{"system":"http://example.org/local","code":"X1"}]},
            "bodySite":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/icd-o-3","code":"C50.4"}]}],
            "onsetDateTime":"2025-03","recordedDate":"2025-04-05"}"#,
        )) else {
            panic!("a diagnosis")
        };
        assert_eq!(dx.cancer_type, Some(CancerType::Breast));
        assert_eq!(dx.invasive, None);
        assert_eq!(
            dx.diagnosis_date,
            Date::from_ymd(2025, 4, 5),
            "recordedDate when onset is partial"
        );
        assert!(reasons.contains(&("invasive", MissingReason::UnmappedCode)));
        assert!(reasons.contains(&("id", MissingReason::Absent)));
    }

    #[test]
    fn other_conditions_become_conditions_or_are_skipped() {
        let Some((c, reasons, _)) = one::<Condition>(cond(
            r#"{"resourceType":"Condition","subject":{"reference":"Patient/x"},
            "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"Z94.0"}]},"onsetDateTime":"2020-01-01"}"#,
        )) else {
            panic!("a condition")
        };
        assert_eq!(c.kind, Some(ConditionKind::ImmunocompromisedState));
        assert_eq!(reasons, [("abatement_date", MissingReason::Absent)]);
        let skip = |json| match cond(json) {
            Err((r, _)) => r.name(),
            Ok(_) => "mapped",
        };
        assert_eq!(
            skip(
                r#"{"resourceType":"Condition","subject":{"reference":"Patient/x"},
            "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"C78.01"}]}}"#
            ),
            "secondary_cancer"
        );
        assert_eq!(
            skip(
                r#"{"resourceType":"Condition","subject":{"reference":"Patient/x"},
            "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"D48.5"}]}}"#
            ),
            "unlisted_condition"
        );
        assert_eq!(
            skip(
                r#"{"resourceType":"Condition","subject":{"reference":"Patient/x"},
            "verificationStatus":{"coding":[{"code":"refuted"}]},
            "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"C50.9"}]}}"#
            ),
            "status"
        );
        // An ICD-10-CM code under another system is not read as ICD-10-CM.
        assert_eq!(
            skip(
                r#"{"resourceType":"Condition","subject":{"reference":"Patient/x"},
            "code":{"coding":[{"system":"http://example.org","code":"C50.9"}]}}"#
            ),
            "unlisted_condition"
        );
    }

    #[test]
    fn encounter_classes_and_periods() {
        let act = |c: &str| format!(r#"{{"system":"{ACT_CODE}","code":"{c}"}}"#);
        let (e, reasons) = enc(
            &act("IMP"),
            "finished",
            r#"{"start":"2026-01-01","end":"2026-01-03"}"#,
        )
        .unwrap();
        assert_eq!(e.kind, Some(EncounterKind::InpatientAdmission));
        assert_eq!(e.discharge_date, Date::from_ymd(2026, 1, 3));
        assert!(reasons.is_empty());
        let (e, _) = enc(
            r#"{"code":"AMB"}"#,
            "finished",
            r#"{"start":"2026-01-01","end":"2026-01-03"}"#,
        )
        .unwrap();
        assert_eq!(e.kind, Some(EncounterKind::OfficeVisit));
        assert_eq!(e.discharge_date, None, "a visit has no discharge");
        let (e, reasons) = enc(&act("OBSENC"), "in-progress", r#"{"start":"2026-01-01"}"#).unwrap();
        assert_eq!(e.kind, Some(EncounterKind::ObservationStay));
        assert_eq!(reasons, [("discharge_date", MissingReason::Absent)]);
        assert_eq!(
            enc(&act("VR"), "finished", "{}").unwrap().0.kind,
            Some(EncounterKind::TelehealthVisit)
        );
        assert_eq!(
            enc(&act("EMER"), "finished", "{}").unwrap().1,
            [("date", MissingReason::Absent)]
        );
        assert!(matches!(
            enc(&act("HH"), "finished", "{}"),
            Err((SkipReason::EncounterClass { .. }, _))
        ));
        assert!(matches!(
            enc(
                r#"{"system":"http://example.org","code":"AMB"}"#,
                "finished",
                "{}"
            ),
            Err((SkipReason::EncounterClass { .. }, _))
        ));
        assert!(matches!(
            enc(&act("AMB"), "planned", "{}"),
            Err((SkipReason::Status { .. }, _))
        ));
    }
}
