//! Round trip over the fields the FHIR import maps: chart values drawn at random are written
//! as FHIR R4 Patient, Condition and Encounter resources (by the test's own writer, below,
//! with the codes of `tests/fhir_write/core.rs`),
//! imported, and come back as the same values.
#![cfg(feature = "fhir-import")]

use oncoqual::Date;
use oncoqual::chart::{EncounterKind, StageGroup};
use oncoqual::import::fhir::FhirImport;
use proptest::prelude::*;
use serde_json::{Value, json};

mod fhir_write;

use fhir_write::core::{CANCERS, CONDITIONS, ENCOUNTERS, SEXES};

#[derive(Debug, Clone)]
struct Dx {
    cancer: usize,
    stage: Option<StageGroup>,
    date: Option<Date>,
}

#[derive(Debug, Clone)]
struct Cond {
    kind: usize,
    onset: Option<Date>,
    days: Option<u16>,
}

#[derive(Debug, Clone)]
struct Enc {
    kind: usize,
    date: Date,
    days: Option<u16>,
}

#[derive(Debug, Clone)]
struct Values {
    birth: Option<Date>,
    sex: Option<usize>,
    death: Option<Option<Date>>,
    dx: Vec<Dx>,
    conditions: Vec<Cond>,
    encounters: Vec<Enc>,
}

fn day(from: &str, span: i64) -> impl Strategy<Value = Date> {
    let start: Date = from.parse().unwrap();
    (0..span).prop_map(move |d| start.add_days(d).unwrap())
}

fn stage() -> impl Strategy<Value = StageGroup> {
    let all: Vec<StageGroup> = StageGroup::ALL
        .iter()
        .copied()
        .filter(|s| !matches!(s, StageGroup::NotApplicable | StageGroup::Unknown))
        .collect();
    proptest::sample::select(all)
}

fn values() -> impl Strategy<Value = Values> {
    (
        proptest::option::of(day("1920-01-01", 15_000)),
        proptest::option::of(0..SEXES.len()),
        proptest::option::of(proptest::option::of(day("2021-01-01", 1_500))),
        proptest::collection::vec(
            (
                0..CANCERS.len(),
                proptest::option::of(stage()),
                proptest::option::of(day("1962-01-01", 21_000)),
            )
                .prop_map(|(cancer, stage, date)| Dx {
                    cancer,
                    stage,
                    date,
                }),
            0..4,
        ),
        proptest::collection::vec(
            (
                0..CONDITIONS.len(),
                proptest::option::of(day("1962-01-01", 20_000)),
                proptest::option::of(0u16..400),
            )
                .prop_map(|(kind, onset, days)| Cond { kind, onset, days }),
            0..4,
        ),
        proptest::collection::vec(
            (
                0..ENCOUNTERS.len(),
                day("2000-01-01", 10_000),
                proptest::option::of(0u16..60),
            )
                .prop_map(|(kind, date, days)| Enc { kind, date, days }),
            0..6,
        ),
    )
        .prop_map(|(birth, sex, death, dx, conditions, encounters)| Values {
            birth,
            sex,
            death,
            dx,
            conditions,
            encounters,
        })
}

/// The values as FHIR R4 resources, one JSON line each.
fn to_fhir(v: &Values) -> String {
    let mut lines: Vec<Value> = Vec::new();
    let mut patient = json!({"resourceType": "Patient", "id": "rt-1"});
    if let Some(b) = v.birth {
        patient["birthDate"] = json!(b.to_string());
    }
    if let Some(s) = v.sex {
        patient["gender"] = json!(SEXES[s].1);
    }
    match v.death {
        Some(Some(d)) => patient["deceasedDateTime"] = json!(d.to_string()),
        Some(None) => patient["deceasedBoolean"] = json!(true),
        None => {}
    }
    lines.push(patient);
    let subject = json!({"reference": "Patient/rt-1"});
    for (i, dx) in v.dx.iter().enumerate() {
        let (_, system, code, _) = CANCERS[dx.cancer];
        let mut c = json!({"resourceType": "Condition", "id": format!("dx-{i}"), "subject": subject,
            "code": {"coding": [{"system": system, "code": code}]}});
        if let Some(d) = dx.date {
            c["onsetDateTime"] = json!(d.to_string());
        }
        if let Some(s) = dx.stage {
            c["stage"] = json!([{"summary": {"coding": [{"system": "http://cancerstaging.org", "code": s.as_str()}]}}]);
        }
        lines.push(c);
    }
    for (i, cond) in v.conditions.iter().enumerate() {
        let (_, system, code) = CONDITIONS[cond.kind];
        let mut c = json!({"resourceType": "Condition", "id": format!("c-{i}"), "subject": subject,
            "code": {"coding": [{"system": system, "code": code}]}});
        if let Some(d) = cond.onset {
            c["onsetDateTime"] = json!(d.to_string());
            if let Some(n) = cond.days {
                c["abatementDateTime"] = json!(d.add_days(i64::from(n)).unwrap().to_string());
            }
        }
        lines.push(c);
    }
    for (i, e) in v.encounters.iter().enumerate() {
        let (kind, class) = ENCOUNTERS[e.kind];
        let mut period = json!({"start": e.date.to_string()});
        if let Some(n) = e.days {
            period["end"] = json!(e.date.add_days(i64::from(n)).unwrap().to_string());
        }
        let _ = kind;
        lines.push(
            json!({"resourceType": "Encounter", "id": format!("e-{i}"), "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": class},
            "subject": subject, "period": period}),
        );
    }
    lines.iter().map(|l| l.to_string() + "\n").collect()
}

/// Whether the values make a chart the ingest checks accept (dates in order).
fn valid(v: &Values) -> bool {
    let dx_ok = v.dx.iter().all(|d| match (d.date, v.birth) {
        (Some(d), Some(b)) => d >= b,
        _ => true,
    });
    let death_ok = match v.death {
        Some(Some(death)) => {
            v.birth.is_none_or(|b| death >= b)
                && v.dx.iter().all(|d| d.date.is_none_or(|x| death >= x))
        }
        _ => true,
    };
    dx_ok && death_ok
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mapped_fields_come_back_as_they_were(v in values()) {
        prop_assume!(valid(&v));
        let mut run = FhirImport::new("p-1".parse().unwrap(), "2026-1".parse().unwrap());
        run.read_ndjson("rt.ndjson", to_fhir(&v).as_bytes()).unwrap();
        let out = run.finish().unwrap();
        prop_assert_eq!(out.report.summary.input_errors, 0);
        prop_assert_eq!(out.charts.len(), 1, "{:?}", out.report.charts);
        let c = &out.charts[0];
        prop_assert_eq!(c.id.as_str(), "rt-1");
        prop_assert_eq!(c.patient.birth_date, v.birth);
        prop_assert_eq!(c.patient.sex, v.sex.map(|s| SEXES[s].0));
        prop_assert_eq!(c.death.as_ref().map(|d| d.date), v.death);
        prop_assert_eq!(c.diagnoses.len(), v.dx.len());
        for (got, want) in c.diagnoses.iter().zip(&v.dx) {
            let (ty, _, _, invasive) = CANCERS[want.cancer];
            prop_assert_eq!(got.cancer_type, Some(ty));
            prop_assert_eq!(got.invasive, Some(invasive));
            prop_assert_eq!(got.stage_group, want.stage);
            prop_assert_eq!(got.diagnosis_date, want.date);
        }
        prop_assert_eq!(c.conditions.len(), v.conditions.len());
        for (got, want) in c.conditions.iter().zip(&v.conditions) {
            prop_assert_eq!(got.kind, Some(CONDITIONS[want.kind].0));
            prop_assert_eq!(got.onset_date, want.onset);
            let abatement = want.onset.and_then(|d| want.days.map(|n| d.add_days(i64::from(n)).unwrap()));
            prop_assert_eq!(got.abatement_date, abatement);
        }
        prop_assert_eq!(c.encounters.len(), v.encounters.len());
        for (got, want) in c.encounters.iter().zip(&v.encounters) {
            let kind = ENCOUNTERS[want.kind].0;
            prop_assert_eq!(got.kind, Some(kind));
            prop_assert_eq!(got.date, Some(want.date));
            let stay = matches!(kind, EncounterKind::InpatientAdmission | EncounterKind::ObservationStay);
            let discharge = want.days.filter(|_| stay).map(|n| want.date.add_days(i64::from(n)).unwrap());
            prop_assert_eq!(got.discharge_date, discharge);
        }
        // The chart's JSON parses as ingest parses it.
        prop_assert!(oncoqual::parse_chart(&c.to_json(), &oncoqual::Limits::default()).is_ok());
    }
}
