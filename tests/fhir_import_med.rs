//! The FHIR import of medications, administrations and procedures: the synthetic fixture in
//! `tests/fixtures/fhir/medimport/` (what each resource checks is said below), and a round
//! trip: regimens, administrations, supportive medications, surgeries, radiation courses and
//! procedures drawn at random → FHIR R4 resources (the writers of `fhir_write/med.rs`) →
//! import → the same records.
#![cfg(feature = "fhir-import")]

#[path = "fhir_write/med.rs"]
mod write;

use std::fs::File;
use std::io::BufReader;

use oncoqual::chart::{
    Administration, Agent, AgentCategory, AgentClass, Code, Medication, MedicationClass, Procedure,
    RadiationCourse, RadiationIntent, ReasonType, Regimen, RegimenIntent, Route, Surgery,
    SurgeryIntent,
};
use oncoqual::import::fhir::{FhirImport, Imported, MissingReason, SkipReason};
use oncoqual::{Chart, Date};
use proptest::prelude::*;
use serde_json::{Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fhir/medimport");

fn date(s: &str) -> Option<Date> {
    Some(s.parse().unwrap())
}

fn import_fixture() -> Imported {
    let mut run = FhirImport::new("prac-1".parse().unwrap(), "2026-1".parse().unwrap());
    let path = format!("{FIXTURES}/bundle-med.json");
    run.read_bundle("bundle-med.json", BufReader::new(File::open(path).unwrap()))
        .unwrap();
    run.finish().unwrap()
}

fn missing(out: &Imported, field: &str) -> Option<MissingReason> {
    out.report.charts[0]
        .missing
        .iter()
        .find(|m| m.field == field)
        .map(|m| m.reason)
}

#[test]
fn the_fixture_maps_regimens_administrations_medications_and_procedures() {
    let out = import_fixture();
    assert_eq!(out.charts.len(), 1, "{:?}", out.report.charts);
    let c: &Chart = &out.charts[0];
    // Two requests of one group (one with a contained Medication) are one regimen.
    assert_eq!(c.regimens.len(), 1);
    let r = &c.regimens[0];
    assert_eq!(r.id.as_ref().unwrap().as_str(), "synth-ac");
    assert_eq!(r.diagnosis_id.as_ref().unwrap().as_str(), "synth-dx1");
    assert_eq!(r.intent, Some(RegimenIntent::Curative));
    assert_eq!(r.order_date, date("2026-01-30"), "the earliest authoredOn");
    assert_eq!(
        r.start_date,
        date("2026-02-09"),
        "the first dose given, before the planned start"
    );
    let classes: Vec<_> = r.agents.iter().map(|a| a.r#class).collect();
    assert_eq!(
        classes,
        [Some(AgentClass::Anthracycline), Some(AgentClass::Alkylator)]
    );
    assert!(r.agents.iter().all(|a| a.route == Some(Route::Iv)));
    // Administrations: one linked through its request, one naming a request not in the
    // input (regimen_id missing, unresolved), one entered in error (skipped).
    assert_eq!(c.administrations.len(), 2);
    assert_eq!(
        c.administrations[0].regimen_id.as_ref().unwrap().as_str(),
        "synth-ac"
    );
    assert_eq!(c.administrations[0].date, date("2026-02-09"));
    assert_eq!(c.administrations[1].regimen_id, None);
    assert_eq!(
        missing(&out, "administrations[1].regimen_id"),
        Some(MissingReason::UnresolvedReference)
    );
    // The pegfilgrastim request of the same group supports the regimen.
    assert_eq!(c.medications.len(), 1);
    let m = &c.medications[0];
    assert_eq!(m.r#class, Some(MedicationClass::GCsf));
    assert_eq!(m.regimen_id.as_ref().unwrap().as_str(), "synth-ac");
    assert_eq!(
        (m.start_date, m.end_date),
        (date("2026-02-11"), date("2026-04-30"))
    );
    // Not done: trastuzumab refused; a bone scan refused.
    assert_eq!(c.not_done_reasons.len(), 2);
    assert!(
        c.not_done_reasons
            .iter()
            .all(|n| n.reason_type == Some(ReasonType::PatientRefusal))
    );
    assert_eq!(
        c.not_done_reasons[0].agent_class,
        Some(AgentClass::AntiHer2)
    );
    assert_eq!(c.not_done_reasons[0].date, date("2026-02-02"));
    // Procedures.
    assert_eq!(c.surgeries.len(), 1);
    assert_eq!(
        c.surgeries[0].diagnosis_id.as_ref().unwrap().as_str(),
        "synth-dx1"
    );
    assert_eq!(c.surgeries[0].date, date("2026-06-15"));
    assert_eq!(c.radiation_courses.len(), 1);
    let rt = &c.radiation_courses[0];
    assert_eq!(rt.intent, Some(RadiationIntent::Curative));
    assert_eq!(rt.fractions, Some(25u32.into()));
    assert_eq!(
        (rt.start_date, rt.end_date),
        (date("2026-08-01"), date("2026-09-08"))
    );
    assert_eq!(rt.diagnosis_id, None);
    assert_eq!(
        missing(&out, "radiation_courses[0].diagnosis_id"),
        Some(MissingReason::UnresolvedReference)
    );
    assert_eq!(c.procedures.len(), 1);
    assert_eq!(c.procedures[0].date, date("2026-01-20"));
    // Skipped: the cancelled request, aspirin (counted as unmapped), the entered-in-error
    // administration.
    let skipped: Vec<(&str, &str)> = out.report.charts[0]
        .skipped
        .iter()
        .map(|s| (s.resource.id.as_deref().unwrap(), s.reason.name()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("synth-mr-x", "status"),
            ("synth-mr-asa", "unlisted_medication"),
            ("synth-ma3", "status")
        ]
    );
    assert!(matches!(
        &out.report.charts[0].skipped[1].reason,
        SkipReason::UnlistedMedication { codes } if codes[0].code.as_deref() == Some("1191")
    ));
    assert_eq!(
        out.report
            .summary
            .unmapped_codes
            .get("http://www.nlm.nih.gov/research/umls/rxnorm|1191"),
        Some(&1)
    );
    for root in [
        "regimens",
        "administrations",
        "medications",
        "surgeries",
        "radiation_courses",
        "procedures",
        "not_done_reasons",
    ] {
        assert!(
            !out.report.summary.roots_not_imported.contains_key(root),
            "{root}"
        );
    }
    // The report holds no dates.
    let report = serde_json::to_string(&out.report).unwrap();
    assert!(!report.contains("2026-"), "no patient value in the report");
}

// ---------------------------------------------------------------------------------------
// Round trip

/// (RxNorm ingredient, category, class): the agents drawn.
const AGENTS: &[(&str, AgentCategory, AgentClass)] = &[
    ("40048", AgentCategory::Cytotoxic, AgentClass::Carboplatin),
    ("56946", AgentCategory::Cytotoxic, AgentClass::Taxane),
    ("3639", AgentCategory::Cytotoxic, AgentClass::Anthracycline),
    (
        "4492",
        AgentCategory::Cytotoxic,
        AgentClass::Fluoropyrimidine,
    ),
    ("224905", AgentCategory::Targeted, AgentClass::AntiHer2),
    (
        "1547545",
        AgentCategory::Immunotherapy,
        AgentClass::ImmuneCheckpointInhibitor,
    ),
    (
        "84857",
        AgentCategory::Endocrine,
        AgentClass::AromataseInhibitor,
    ),
    ("42375", AgentCategory::Endocrine, AgentClass::AdtGnrh),
];

const SUPPORTIVE: &[(&str, MedicationClass)] = &[
    ("26225", MedicationClass::Ant5ht3Ra),
    ("338036", MedicationClass::GCsf),
    ("77655", MedicationClass::BoneModifyingAgent),
    ("7052", MedicationClass::Opioid),
];

fn day(from: &str, span: i64) -> impl Strategy<Value = Date> {
    let start: Date = from.parse().unwrap();
    (0..span).prop_map(move |d| start.add_days(d).unwrap())
}

fn pick<T: Clone + std::fmt::Debug + 'static>(v: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(v.to_vec())
}

fn route() -> impl Strategy<Value = Option<Route>> {
    proptest::option::of(pick(write::ROUTES).prop_map(|(r, _)| r))
}

fn regimen(i: usize, with_dx: bool) -> impl Strategy<Value = Regimen> {
    (
        proptest::sample::subsequence((0..AGENTS.len()).collect::<Vec<_>>(), 1..4),
        proptest::collection::vec(route(), 3),
        day("2024-01-01", 700),
        proptest::option::of(day("2023-06-01", 700)),
        proptest::option::of(prop_oneof![
            Just(RegimenIntent::Curative),
            Just(RegimenIntent::NonCurative)
        ]),
        any::<bool>(),
    )
        .prop_map(move |(agents, routes, start, order, intent, dx)| {
            let mut r = Regimen::default()
                .id(format!("rx-{i}").parse().unwrap())
                .start_date(start);
            r.order_date = order;
            r.intent = intent;
            if dx && with_dx {
                r.diagnosis_id = Some("dx-0".parse().unwrap());
            }
            for (k, a) in agents.into_iter().enumerate() {
                let (code, category, class) = AGENTS[a];
                let mut agent = Agent::default()
                    .code(Code::new("RxNorm", code))
                    .category(category)
                    .r#class(class);
                agent.route = routes[k];
                r.agents.push(agent);
            }
            r
        })
}

/// A supportive medication drawn: (drug index, start, days to the end, regimen index).
type Supportive = (usize, Option<Date>, Option<u16>, Option<usize>);

#[derive(Debug, Clone)]
struct Values {
    dx: bool,
    regimens: Vec<Regimen>,
    /// (regimen index or none, agent index, days after the regimen start, route)
    administrations: Vec<(Option<usize>, usize, u16, Option<Route>)>,
    medications: Vec<Supportive>,
    surgeries: Vec<Surgery>,
    radiation: Vec<RadiationCourse>,
    procedures: Vec<Procedure>,
}

fn values() -> impl Strategy<Value = Values> {
    any::<bool>().prop_flat_map(|dx| {
        (
            Just(dx),
            (0usize..3).prop_flat_map(move |n| (0..n).map(|i| regimen(i, dx)).collect::<Vec<_>>()),
            proptest::collection::vec(
                (
                    proptest::option::of(0usize..3),
                    0usize..3,
                    0u16..200,
                    route(),
                ),
                0..5,
            ),
            proptest::collection::vec(
                (
                    0..SUPPORTIVE.len(),
                    proptest::option::of(day("2024-01-01", 700)),
                    proptest::option::of(0u16..100),
                    proptest::option::of(0usize..3),
                ),
                0..4,
            ),
            proptest::collection::vec(
                (
                    pick(write::SURGERIES),
                    proptest::option::of(day("2024-01-01", 700)),
                    proptest::option::of(prop_oneof![
                        Just(SurgeryIntent::Curative),
                        Just(SurgeryIntent::Palliative),
                        Just(SurgeryIntent::Diagnostic)
                    ]),
                    any::<bool>(),
                )
                    .prop_map(move |((kind, _), d, intent, link)| {
                        let mut s = Surgery::default().kind(kind);
                        s.date = d;
                        s.intent = intent;
                        if link && dx {
                            s.diagnosis_id = Some("dx-0".parse().unwrap());
                        }
                        s
                    }),
                0..3,
            ),
            proptest::collection::vec(
                (
                    proptest::option::of(pick(write::TARGETS)),
                    proptest::option::of(pick(write::MODALITIES)),
                    proptest::option::of(day("2024-01-01", 700)),
                    proptest::option::of(0u16..60),
                    proptest::option::of(prop_oneof![
                        Just(RadiationIntent::Curative),
                        Just(RadiationIntent::Palliative)
                    ]),
                    proptest::option::of(1u32..40),
                    any::<bool>(),
                )
                    .prop_map(move |(t, m, start, days, intent, fx, link)| {
                        let mut c = RadiationCourse::default();
                        c.target = t.map(|x| x.0);
                        c.modality = m.map(|x| x.0);
                        c.start_date = start;
                        c.end_date =
                            start.and_then(|s| days.map(|n| s.add_days(i64::from(n)).unwrap()));
                        c.intent = intent;
                        c.fractions = fx.map(Into::into);
                        if link && dx {
                            c.diagnosis_id = Some("dx-0".parse().unwrap());
                        }
                        c
                    }),
                0..3,
            ),
            proptest::collection::vec(
                (
                    pick(write::PROCEDURES),
                    proptest::option::of(day("2024-01-01", 700)),
                )
                    .prop_map(|((kind, _), d)| {
                        let mut p = Procedure::default().kind(kind);
                        p.date = d;
                        p
                    }),
                0..3,
            ),
        )
            .prop_map(
                |(dx, regimens, administrations, medications, surgeries, radiation, procedures)| {
                    Values {
                        dx,
                        regimens,
                        administrations,
                        medications,
                        surgeries,
                        radiation,
                        procedures,
                    }
                },
            )
    })
}

/// The chart records the values stand for.
struct Records {
    administrations: Vec<Administration>,
    medications: Vec<Medication>,
}

fn records(v: &Values) -> Records {
    let mut administrations = Vec::new();
    for (r, a, days, route) in &v.administrations {
        // An administration of no regimen gives its own agent; of a regimen, one of its agents.
        let own = Agent::default()
            .code(Code::new("RxNorm", AGENTS[0].0))
            .category(AGENTS[0].1)
            .r#class(AGENTS[0].2);
        let (reg, agent) = match r.and_then(|r| v.regimens.get(r)) {
            Some(reg) => (Some(reg), &reg.agents[a % reg.agents.len()]),
            None => (None, &own),
        };
        let start = reg
            .and_then(|r| r.start_date)
            .unwrap_or("2024-01-01".parse().unwrap());
        let mut x = Administration::default();
        x.regimen_id = reg.and_then(|r| r.id.clone());
        x.date = Some(start.add_days(i64::from(*days)).unwrap());
        x.agent_code = agent.code.clone();
        x.agent_category = agent.category;
        x.agent_class = agent.r#class;
        x.route = *route;
        administrations.push(x);
    }
    let medications = v
        .medications
        .iter()
        .map(|(k, start, days, r)| {
            let (code, class) = SUPPORTIVE[*k];
            let mut m = Medication::default()
                .r#class(class)
                .agent(Code::new("RxNorm", code));
            m.start_date = *start;
            m.end_date = start.and_then(|s| days.map(|n| s.add_days(i64::from(n)).unwrap()));
            m.regimen_id = r.and_then(|r| v.regimens.get(r)).and_then(|r| r.id.clone());
            m
        })
        .collect();
    Records {
        administrations,
        medications,
    }
}

fn to_fhir(v: &Values, rec: &Records) -> String {
    let p = "rt-m";
    let mut lines: Vec<Value> = vec![json!({"resourceType": "Patient", "id": p})];
    if v.dx {
        lines.push(json!({"resourceType": "Condition", "id": "dx-0", "subject": {"reference": "Patient/rt-m"},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C50.911"}]}}));
    }
    for r in &v.regimens {
        lines.extend(write::regimen(r, p));
    }
    for (i, a) in rec.administrations.iter().enumerate() {
        lines.push(write::administration(a, &format!("ma-{i}"), p));
    }
    for (i, m) in rec.medications.iter().enumerate() {
        lines.push(write::medication(m, &format!("sm-{i}"), p));
    }
    for (i, s) in v.surgeries.iter().enumerate() {
        lines.push(write::surgery(s, &format!("su-{i}"), p));
    }
    for (i, c) in v.radiation.iter().enumerate() {
        lines.push(write::radiation_course(c, &format!("rt-{i}"), p));
    }
    for (i, x) in v.procedures.iter().enumerate() {
        lines.push(write::procedure(x, &format!("pr-{i}"), p));
    }
    lines.iter().map(|l| l.to_string() + "\n").collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mapped_fields_come_back_as_they_were(v in values()) {
        let rec = records(&v);
        let mut run = FhirImport::new("p-1".parse().unwrap(), "2026-1".parse().unwrap());
        run.read_ndjson("rt.ndjson", to_fhir(&v, &rec).as_bytes()).unwrap();
        let out = run.finish().unwrap();
        prop_assert_eq!(out.report.summary.input_errors, 0);
        prop_assert_eq!(out.charts.len(), 1, "{:?}", out.report.charts);
        let c = &out.charts[0];
        // A regimen starts at its first dose: the earliest of its planned start and its
        // administrations (drawn on or after the start, so the start is kept).
        prop_assert_eq!(&c.regimens, &v.regimens);
        prop_assert_eq!(&c.administrations, &rec.administrations);
        prop_assert_eq!(&c.medications, &rec.medications);
        prop_assert_eq!(&c.surgeries, &v.surgeries);
        prop_assert_eq!(&c.radiation_courses, &v.radiation);
        prop_assert_eq!(&c.procedures, &v.procedures);
        prop_assert!(c.not_done_reasons.is_empty());
        prop_assert!(oncoqual::parse_chart(&c.to_json(), &oncoqual::Limits::default()).is_ok());
    }
}
