//! The FHIR import of Observations (mCODE TNM staging, tumour markers, assessments, labs) and
//! secondary cancer conditions: the synthetic fixture in `tests/fixtures/fhir/obsimport/`,
//! and a round trip (chart values → FHIR written by `tests/fhir_write/obs.rs` → import → the
//! same values).
#![cfg(feature = "fhir-import")]

#[path = "fhir_write/obs.rs"]
mod obs;

use std::fs::File;
use std::io::BufReader;

use oncoqual::chart::{
    Assessment, AssessmentKind, AssessmentScale, Biomarker, BiomarkerMethod, BiomarkerName,
    BiomarkerResult, HistologyGroup, Lab, LabResult, LabTest, MCategory, NCategory, Number,
    StageGroup, StagingSystem, TCategory, TobaccoStatus,
};
use oncoqual::import::fhir::{FhirImport, Imported, MissingReason, SkipReason};
use oncoqual::{Chart, Date};
use proptest::prelude::*;
use serde_json::{Value, json};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/fhir/obsimport/bundle-obs.json"
);

fn date(s: &str) -> Option<Date> {
    Some(s.parse().unwrap())
}

fn import() -> Imported {
    let mut run = FhirImport::new("prac-1".parse().unwrap(), "2026-1".parse().unwrap());
    run.read_bundle(
        "bundle-obs.json",
        BufReader::new(File::open(FIXTURE).unwrap()),
    )
    .unwrap();
    run.finish().unwrap()
}

fn chart<'a>(charts: &'a [Chart], id: &str) -> &'a Chart {
    charts.iter().find(|c| c.id.as_str() == id).unwrap()
}

#[test]
fn staging_markers_assessments_labs_and_metastases_map_to_their_diagnosis() {
    let out = import();
    assert_eq!(out.report.summary.charts_built, 2);
    let c = chart(&out.charts, "synth-o1");
    assert_eq!(c.diagnoses.len(), 1);
    let dx = &c.diagnoses[0];
    assert_eq!(
        dx.histology.as_ref().map(|h| h.code.as_str()),
        Some("8500/3")
    );
    assert_eq!(dx.histology_group, Some(HistologyGroup::Ductal));
    // Linked by the Condition's stage.assessment; no stage in the Condition itself.
    assert_eq!(dx.stage_group, Some(StageGroup::IIA));
    assert_eq!(dx.staging_system, Some(StagingSystem::AjccTnm));
    assert_eq!(dx.stage_documented_date, date("2026-01-20"));
    // T: a member of the linked stage group; N: pathological wins over clinical.
    assert_eq!(dx.t_category, Some(TCategory::T2));
    assert_eq!(dx.n_category, Some(NCategory::N1a));
    assert_eq!(dx.m_category, Some(MCategory::M0));
    assert_eq!(dx.biomarkers.len(), 2);
    assert_eq!(dx.biomarkers[0].name, Some(BiomarkerName::Er));
    assert_eq!(dx.biomarkers[0].result, Some(BiomarkerResult::Positive));
    assert_eq!(dx.biomarkers[0].method, Some(BiomarkerMethod::Ihc));
    assert_eq!(dx.biomarkers[0].result_date, date("2026-01-12"));
    assert_eq!(dx.biomarkers[1].name, Some(BiomarkerName::Her2));
    assert_eq!(dx.biomarkers[1].result, Some(BiomarkerResult::Negative));
    // The earliest secondary cancer's onset; bone from the bone one.
    assert_eq!(dx.metastasis_date, date("2026-02-15"));
    assert_eq!(dx.bone_metastases, Some(true));
    assert_eq!(c.assessments.len(), 2);
    assert_eq!(
        c.assessments[0].kind,
        Some(AssessmentKind::PerformanceStatus)
    );
    assert_eq!(c.assessments[0].scale, Some(AssessmentScale::Ecog));
    assert_eq!(c.assessments[0].score, Some(Number::from(1)));
    assert_eq!(c.assessments[1].tobacco_status, Some(TobaccoStatus::Never));
    assert_eq!(c.labs.len(), 1, "the preliminary result is skipped");
    assert_eq!(c.labs[0].test, Some(LabTest::Hemoglobin));
    assert_eq!(c.labs[0].value, Some("12.5".parse().unwrap()));
    assert_eq!(c.labs[0].date, date("2026-01-15"));

    let r = out
        .report
        .charts
        .iter()
        .find(|r| r.patient == "synth-o1")
        .unwrap();
    let skipped: Vec<(&str, &str)> = r
        .skipped
        .iter()
        .map(|s| (s.resource.id.as_deref().unwrap_or(""), s.reason.name()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("synth-o1-prelim", "status"),
            ("synth-o1-bp", "unlisted_observation")
        ]
    );
    assert!(
        r.used
            .iter()
            .any(|u| u.id.as_deref() == Some("synth-o1-met-bone")),
        "a linked secondary cancer is used"
    );
    assert!(
        r.missing
            .iter()
            .any(|m| m.field == "assessments[0].plan_documented"
                && m.reason == MissingReason::NotImported)
    );

    // synth-o2: the Condition's own stage wins; an Observation without focus or assessment
    // is unlinked although the patient has one diagnosis; so is an unlinked secondary cancer.
    let c = chart(&out.charts, "synth-o2");
    let dx = &c.diagnoses[0];
    assert_eq!(dx.stage_group, Some(StageGroup::IIIA));
    assert_eq!(dx.stage_documented_date, None);
    assert_eq!(dx.metastasis_date, None);
    assert_eq!(dx.bone_metastases, None);
    assert_eq!(c.labs[0].test, Some(LabTest::Psa));
    let r = out
        .report
        .charts
        .iter()
        .find(|r| r.patient == "synth-o2")
        .unwrap();
    let unlinked: Vec<&str> = r
        .skipped
        .iter()
        .filter(|s| s.reason == SkipReason::Unlinked)
        .filter_map(|s| s.resource.id.as_deref())
        .collect();
    assert_eq!(unlinked, ["synth-o2-met", "synth-o2-stage-nofocus"]);

    let s = &out.report.summary;
    assert_eq!(s.skip_reasons.get("unlinked"), Some(&2));
    assert_eq!(s.skip_reasons.get("secondary_cancer"), None);
    assert_eq!(
        s.resources_read,
        s.resources_used + s.resources_skipped,
        "every resource read is used or skipped"
    );
    assert!(!s.roots_not_imported.contains_key("labs"));
    assert!(!s.roots_not_imported.contains_key("assessments"));
    assert_eq!(s.unmapped_codes.get("http://loinc.org|85354-9"), Some(&1));
    let json = serde_json::to_string(&out.report).unwrap();
    for value in ["2026-01-20", "12.5", "1958"] {
        assert!(!json.contains(value), "the report shows `{value}`");
    }
}

// --- round trip --------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Values {
    /// Stage group from an Observation (the Condition has none): value, pathological, date.
    stage: Option<(StageGroup, bool, Date)>,
    /// T, N, M from Observations, each with its pathological flag.
    t: Option<(TCategory, bool)>,
    n: Option<(NCategory, bool)>,
    m: Option<(MCategory, bool)>,
    biomarkers: Vec<Biomarker>,
    assessments: Vec<Assessment>,
    labs: Vec<Lab>,
    /// Secondary cancers: bone, onset.
    metastases: Vec<(bool, Date)>,
}

fn day() -> impl Strategy<Value = Date> {
    let start: Date = "2015-01-01".parse().unwrap();
    (0i64..4000).prop_map(move |d| start.add_days(d).unwrap())
}

fn tenths(max: i64) -> impl Strategy<Value = Number> {
    (0..max).prop_map(|v| format!("{}.{}", v / 10, v % 10).parse().unwrap())
}

fn stage() -> impl Strategy<Value = StageGroup> {
    let all: Vec<StageGroup> = StageGroup::ALL
        .iter()
        .copied()
        .filter(|s| !matches!(s, StageGroup::NotApplicable | StageGroup::Unknown))
        .collect();
    proptest::sample::select(all)
}

fn biomarker() -> impl Strategy<Value = Biomarker> {
    (
        0..obs::BIOMARKER_CODES.len(),
        any::<bool>(),
        day(),
        tenths(1001),
    )
        .prop_map(|(i, pos, d, v)| {
            let (name, method, _, percent) = obs::BIOMARKER_CODES[i];
            let mutation = matches!(name, BiomarkerName::Kras | BiomarkerName::Braf);
            let result = match (mutation, pos) {
                (true, true) => BiomarkerResult::Mutated,
                (true, false) => BiomarkerResult::WildType,
                (false, true) => BiomarkerResult::Positive,
                (false, false) => BiomarkerResult::Negative,
            };
            let mut b = Biomarker::default();
            b.name = Some(name);
            b.result = Some(result);
            b.result_date = Some(d);
            b.value = percent.then_some(v);
            b.method = method;
            b
        })
}

fn assessment() -> impl Strategy<Value = Assessment> {
    (0..obs::ASSESSMENT_CODES.len(), day(), 0i64..11, 0..4usize).prop_map(|(i, d, s, t)| {
        let (kind, scale, _, _) = obs::ASSESSMENT_CODES[i];
        let mut a = Assessment::default();
        a.kind = Some(kind);
        a.scale = scale;
        a.date = Some(d);
        if kind == AssessmentKind::TobaccoUse {
            a.tobacco_status = Some(TobaccoStatus::ALL[t]);
        } else {
            a.score = Some(Number::from(s));
        }
        a
    })
}

fn lab() -> impl Strategy<Value = Lab> {
    (0..obs::LAB_CODES.len(), day(), tenths(5000), any::<bool>()).prop_map(|(i, d, v, pos)| {
        let (test, _, unit) = obs::LAB_CODES[i];
        let mut l = Lab::default();
        l.test = Some(test);
        l.date = Some(d);
        l.value = unit.map(|_| v);
        l.result = if unit.is_none() {
            Some(if pos {
                LabResult::Positive
            } else {
                LabResult::Negative
            })
        } else {
            None
        };
        l
    })
}

fn values() -> impl Strategy<Value = Values> {
    (
        proptest::option::of((stage(), any::<bool>(), day())),
        proptest::option::of((
            proptest::sample::select(TCategory::ALL.to_vec()),
            any::<bool>(),
        )),
        proptest::option::of((
            proptest::sample::select(NCategory::ALL.to_vec()),
            any::<bool>(),
        )),
        proptest::option::of((
            proptest::sample::select(MCategory::ALL.to_vec()),
            any::<bool>(),
        )),
        proptest::collection::vec(biomarker(), 0..4),
        proptest::collection::vec(assessment(), 0..4),
        proptest::collection::vec(lab(), 0..4),
        proptest::collection::vec((any::<bool>(), day()), 0..3),
    )
        .prop_map(
            |(stage, t, n, m, biomarkers, assessments, labs, metastases)| Values {
                stage,
                t,
                n,
                m,
                biomarkers,
                assessments,
                labs,
                metastases,
            },
        )
}

fn to_fhir(v: &Values) -> String {
    let p = "rt-1";
    let dx = "rt-dx";
    let mut lines: Vec<Value> = vec![
        json!({"resourceType": "Patient", "id": p}),
        json!({"resourceType": "Condition", "id": dx, "subject": {"reference": "Patient/rt-1"},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C50.911"}]}}),
    ];
    if let Some((s, path, d)) = v.stage {
        lines.push(obs::stage_group("rt-s", p, Some(dx), path, s, Some(d)));
    }
    if let Some((t, path)) = v.t {
        lines.push(obs::tnm_category(
            "rt-t",
            p,
            Some(dx),
            'T',
            path,
            t.as_str(),
            None,
        ));
    }
    if let Some((n, path)) = v.n {
        lines.push(obs::tnm_category(
            "rt-n",
            p,
            Some(dx),
            'N',
            path,
            n.as_str(),
            None,
        ));
    }
    if let Some((m, path)) = v.m {
        lines.push(obs::tnm_category(
            "rt-m",
            p,
            Some(dx),
            'M',
            path,
            m.as_str(),
            None,
        ));
    }
    for (i, b) in v.biomarkers.iter().enumerate() {
        lines.push(obs::biomarker(&format!("rt-b{i}"), p, Some(dx), b).unwrap());
    }
    for (i, a) in v.assessments.iter().enumerate() {
        lines.push(obs::assessment(&format!("rt-a{i}"), p, a).unwrap());
    }
    for (i, l) in v.labs.iter().enumerate() {
        lines.push(obs::lab(&format!("rt-l{i}"), p, l).unwrap());
    }
    for (i, (bone, d)) in v.metastases.iter().enumerate() {
        lines.push(obs::secondary_cancer(
            &format!("rt-met{i}"),
            p,
            Some(dx),
            *bone,
            Some(*d),
        ));
    }
    lines
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<Vec<_>>()
        .concat()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn observations_round_trip(v in values()) {
        let mut run = FhirImport::new("prac-1".parse().unwrap(), "2026-1".parse().unwrap());
        run.read_ndjson("rt.ndjson", to_fhir(&v).as_bytes()).unwrap();
        let out = run.finish().unwrap();
        prop_assert_eq!(out.charts.len(), 1, "{:?}", out.report);
        let c = &out.charts[0];
        let dx = &c.diagnoses[0];
        prop_assert_eq!(dx.stage_group, v.stage.map(|s| s.0));
        prop_assert_eq!(dx.stage_documented_date, v.stage.map(|s| s.2));
        prop_assert_eq!(dx.staging_system, v.stage.map(|_| StagingSystem::AjccTnm));
        prop_assert_eq!(dx.t_category, v.t.map(|t| t.0));
        prop_assert_eq!(dx.n_category, v.n.map(|n| n.0));
        prop_assert_eq!(dx.m_category, v.m.map(|m| m.0));
        prop_assert_eq!(&dx.biomarkers, &v.biomarkers);
        prop_assert_eq!(&c.assessments, &v.assessments);
        prop_assert_eq!(&c.labs, &v.labs);
        prop_assert_eq!(dx.metastasis_date, v.metastases.iter().map(|m| m.1).min());
        prop_assert_eq!(dx.bone_metastases, v.metastases.iter().any(|m| m.0).then_some(true));
        prop_assert_eq!(out.report.summary.resources_skipped, 0);
    }
}
