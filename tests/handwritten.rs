//! Tests of the hand-written baseline measures (`tests/handwritten/measures.rs`): window edges
//! on hand-built charts, and the population algebra over synthetic charts.
#![cfg(feature = "synth")]

#[path = "handwritten/measures.rs"]
mod handwritten;

use handwritten::{IDS, Pops, evaluate};
use oncoqual::synth::{self, SynthConfig};
use oncoqual::{Chart, Date, Limits, Period, parse_chart};
use serde_json::{Value, json};

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// The default period of round 2026-1: 2026-01-01..2026-06-30.
fn period() -> Period {
    Period::new(date("2026-01-01"), date("2026-06-30")).unwrap()
}

fn idx(id: &str) -> usize {
    IDS.iter().position(|m| *m == id).unwrap()
}

fn parse(v: &Value) -> Chart {
    parse_chart(&v.to_string(), &Limits::default())
        .unwrap_or_else(|e| panic!("chart does not parse: {e}"))
        .chart
}

fn run(v: &Value) -> [Pops; 20] {
    let mut out = [Pops::default(); 20];
    evaluate(&parse(v), &period(), &mut out);
    out
}

fn pops(v: &Value, id: &str) -> Pops {
    run(v)[idx(id)]
}

fn visit(d: &str) -> Value {
    json!({"kind": "office_visit", "date": d, "with_practice": true, "provider_role": "physician"})
}

/// An eligible adult with an invasive breast cancer and two office visits in the period.
fn base() -> Value {
    json!({
        "id": "c1", "practice": "p1", "round": "2026-1",
        "patient": {"birth_date": "1960-05-05", "sex": "female"},
        "diagnoses": [{"id": "d1", "cancer_type": "breast", "invasive": true,
                       "diagnosis_date": "2025-12-01"}],
        "encounters": [visit("2026-02-02"), visit("2026-03-02")]
    })
}

/// `base()` with a cytotoxic regimen r1 starting 2026-03-10.
fn with_chemo() -> Value {
    let mut v = base();
    v["regimens"] = json!([{
        "id": "r1", "diagnosis_id": "d1", "start_date": "2026-03-10",
        "agents": [{"category": "cytotoxic", "class": "taxane", "route": "iv"}]
    }]);
    v
}

fn met(p: Pops) -> (bool, bool) {
    (p.ipp, p.numer)
}

#[test]
fn eligibility_age_edge_on_period_start() {
    let mut v = base();
    v["patient"]["birth_date"] = json!("2008-01-01"); // 18 on 2026-01-01
    assert!(pops(&v, "core.pathology-report-confirms-malignancy").ipp);
    v["patient"]["birth_date"] = json!("2008-01-02"); // 17 on 2026-01-01
    assert!(!pops(&v, "core.pathology-report-confirms-malignancy").ipp);
}

#[test]
fn eligibility_needs_a_real_office_visit_and_a_qualifying_diagnosis() {
    let id = "core.tobacco-use-status-documented";
    let mut v = base();
    v["encounters"] = json!([{"kind": "office_visit", "date": "2026-02-02",
                              "with_practice": true, "provider_role": "nurse"}]);
    assert!(!pops(&v, id).ipp, "a nurse visit is not an office visit");
    let mut v = base();
    v["diagnoses"][0]["invasive"] = json!(false);
    assert!(!pops(&v, id).ipp, "in situ is not qualifying");
    v["diagnoses"][0]["cancer_type"] = json!("myeloma");
    assert!(pops(&v, id).ipp, "heme cancers qualify without `invasive`");
    let mut v = base();
    v["diagnoses"][0]["diagnosis_date"] = json!("2026-07-01");
    assert!(!pops(&v, id).ipp, "diagnosed after period end");
}

#[test]
fn pathology_report_on_or_before_period_end() {
    let id = "core.pathology-report-confirms-malignancy";
    let mut v = base();
    assert_eq!(met(pops(&v, id)), (true, false));
    v["diagnoses"][0]["pathology_report_date"] = json!("2026-06-30");
    assert_eq!(met(pops(&v, id)), (true, true));
    v["diagnoses"][0]["pathology_report_date"] = json!("2026-07-01");
    assert_eq!(met(pops(&v, id)), (true, false));
}

#[test]
fn tobacco_twelve_calendar_months_ending_period_end() {
    let id = "core.tobacco-use-status-documented";
    let mut v = base();
    v["assessments"] = json!([{"kind": "tobacco_use", "date": "2025-06-30",
                               "tobacco_status": "never"}]);
    assert_eq!(met(pops(&v, id)), (true, true));
    v["assessments"][0]["date"] = json!("2025-06-29");
    assert_eq!(met(pops(&v, id)), (true, false));
    v["assessments"][0]["date"] = json!("2026-01-15");
    v["assessments"][0]["tobacco_status"] = json!("unknown");
    assert_eq!(met(pops(&v, id)), (true, false));
}

#[test]
fn chemo_plan_intent_consent_education_windows() {
    let mut v = with_chemo();
    let r = &mut v["regimens"][0];
    r["plan"] = json!({"date": "2026-03-10", "has_agents": true, "has_doses": true,
                       "has_route": true, "has_schedule": true});
    r["intent"] = json!("curative");
    r["intent_documented_date"] = json!("2026-03-24"); // C1D1 + 14
    v["documents"] = json!([
        {"kind": "chemotherapy_consent", "date": "2025-12-10", "regimen_id": "r1"}, // C1D1 − 90
        {"kind": "chemo_education", "date": "2026-01-09"}                           // C1D1 − 60
    ]);
    for id in [
        "core.chemotherapy-plan-documented",
        "core.chemotherapy-intent-documented",
        "core.chemotherapy-consent-documented",
        "chemotherapy_safety.education-before-first-cycle",
    ] {
        assert_eq!(met(pops(&v, id)), (true, true), "{id}");
    }
    v["regimens"][0]["plan"]["date"] = json!("2026-03-11");
    v["regimens"][0]["intent_documented_date"] = json!("2026-03-25");
    v["documents"][0]["date"] = json!("2025-12-09");
    v["documents"][1]["date"] = json!("2026-01-08");
    for id in [
        "core.chemotherapy-plan-documented",
        "core.chemotherapy-intent-documented",
        "core.chemotherapy-consent-documented",
        "chemotherapy_safety.education-before-first-cycle",
    ] {
        assert_eq!(met(pops(&v, id)), (true, false), "{id}");
    }
    // A consent for another regimen does not count.
    let mut v = with_chemo();
    v["documents"] = json!([{"kind": "chemotherapy_consent", "date": "2026-03-01",
                             "regimen_id": "r0"}]);
    v["regimens"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "r0", "start_date": "2025-01-01",
                     "agents": [{"category": "endocrine"}]}));
    assert_eq!(
        met(pops(&v, "core.chemotherapy-consent-documented")),
        (true, false)
    );
    // Endocrine-only regimens are not chemotherapy; C1D1 outside the period is not counted.
    let mut v = with_chemo();
    v["regimens"][0]["agents"][0]["category"] = json!("endocrine");
    assert!(!pops(&v, "core.chemotherapy-plan-documented").ipp);
    let mut v = with_chemo();
    v["regimens"][0]["start_date"] = json!("2025-12-31");
    assert!(!pops(&v, "core.chemotherapy-plan-documented").ipp);
}

#[test]
fn performance_status_before_noncurative_chemo() {
    let id = "core.performance-status-before-noncurative-chemo";
    let mut v = with_chemo();
    assert!(!pops(&v, id).ipp, "intent missing");
    v["regimens"][0]["intent"] = json!("non_curative");
    v["assessments"] = json!([{"kind": "performance_status", "date": "2026-02-08",
                               "scale": "ecog", "score": 1}]); // C1D1 − 30
    assert_eq!(met(pops(&v, id)), (true, true));
    v["assessments"][0]["date"] = json!("2026-02-07");
    assert_eq!(met(pops(&v, id)), (true, false));
    v["assessments"][0]["date"] = json!("2026-03-10");
    v["assessments"][0]["scale"] = json!("none");
    assert_eq!(met(pops(&v, id)), (true, false));
}

#[test]
fn metastatic_chemo_with_poor_or_undocumented_ps() {
    let id = "core.chemo-metastatic-poor-or-undocumented-ps";
    let mut v = with_chemo();
    v["regimens"][0]["intent"] = json!("non_curative");
    v["administrations"] = json!([{"regimen_id": "r1", "date": "2026-03-10"},
                                  {"regimen_id": "r1", "date": "2026-03-31"}]);
    assert!(!pops(&v, id).ipp, "not metastatic");
    v["diagnoses"][0]["metastasis_date"] = json!("2026-03-31");
    // Metastatic only from the second administration on: that one is the index.
    v["assessments"] = json!([{"kind": "performance_status", "date": "2026-03-17",
                               "scale": "ecog", "score": 1}]); // second admin − 14
    let p = pops(&v, id);
    assert_eq!(met(p), (true, false), "documented good PS");
    assert!(!p.denexcep);
    v["assessments"][0]["date"] = json!("2026-03-16");
    assert_eq!(met(pops(&v, id)), (true, true), "PS outside the 14 days");
    v["assessments"] = json!([
        {"kind": "performance_status", "date": "2026-03-20", "scale": "ecog", "score": 1},
        {"kind": "performance_status", "date": "2026-03-30", "scale": "karnofsky", "score": 40}
    ]);
    assert_eq!(met(pops(&v, id)), (true, true), "latest is KPS 40");
    v["assessments"][1]["score"] = json!(50);
    assert_eq!(met(pops(&v, id)), (true, false));
    // On a trial: exception (only when not in the numerator).
    v["regimens"][0]["on_clinical_trial"] = json!(true);
    v["assessments"] = json!([]);
    let p = pops(&v, id);
    assert!(p.numer && !p.denexcep);
    v["assessments"] = json!([{"kind": "performance_status", "date": "2026-03-31",
                               "scale": "ecog", "score": 0}]);
    let p = pops(&v, id);
    assert!(!p.numer && p.denexcep);
    // Testis: excluded.
    v["diagnoses"][0]["cancer_type"] = json!("testis");
    let p = pops(&v, id);
    assert!(p.denex && !p.numer && !p.denexcep);
    // Curative intent: not in the population.
    v["regimens"][0]["intent"] = json!("curative");
    assert!(!pops(&v, id).ipp);
}

/// A new patient (first visit in the period) with visits on 02-02 and 03-02.
fn pain_chart(assessments: Value) -> Value {
    let mut v = base();
    v["assessments"] = assessments;
    v
}

#[test]
fn pain_by_second_visit_and_composite() {
    let [a, q, pl, c] = [
        "core.pain-assessed-by-second-visit",
        "core.pain-intensity-quantified-by-second-visit",
        "core.pain-plan-by-second-visit",
        "core.pain-addressed-appropriately",
    ]
    .map(idx);
    // No pain documented: only the first component applies, not met.
    let out = run(&pain_chart(json!([])));
    assert_eq!(met(out[a]), (true, false));
    assert!(!out[q].ipp && !out[pl].ipp);
    assert_eq!(met(out[c]), (true, false));
    // Pain absent at the first visit: composite met through the single component.
    let out = run(&pain_chart(json!([
        {"kind": "pain", "date": "2026-02-02", "present": false}
    ])));
    assert_eq!(met(out[a]), (true, true));
    assert!(out[c].denom && out[c].numer);
    // Moderate pain on the second visit, quantified, with a plan: all met.
    let out = run(&pain_chart(json!([
        {"kind": "pain", "date": "2026-03-02", "present": true, "scale": "numeric_0_10",
         "score": 4, "plan_documented": true}
    ])));
    assert_eq!([met(out[a]), met(out[q]), met(out[pl])], [(true, true); 3]);
    assert!(out[c].numer);
    // Moderate pain at the first visit without a plan; plan only at the second: not met.
    let out = run(&pain_chart(json!([
        {"kind": "pain", "date": "2026-02-02", "present": true, "severity": "moderate",
         "scale": "verbal_descriptor"},
        {"kind": "pain", "date": "2026-03-02", "present": true, "severity": "moderate",
         "scale": "verbal_descriptor", "plan_documented": true}
    ])));
    assert_eq!(met(out[pl]), (true, false));
    assert_eq!(met(out[q]), (true, true));
    assert_eq!(met(out[c]), (true, false));
    // Score 3: mild, not in the plan measure; scale none does not quantify.
    let out = run(&pain_chart(json!([
        {"kind": "pain", "date": "2026-03-02", "present": true, "scale": "none", "score": 3}
    ])));
    assert!(!out[pl].ipp);
    assert_eq!(met(out[q]), (true, false));
    // Assessment on a non-visit date does not count.
    let out = run(&pain_chart(
        json!([{"kind": "pain", "date": "2026-02-03", "present": true}]),
    ));
    assert_eq!(met(out[a]), (true, false));
    assert!(!out[q].ipp);
    // Not a new patient: a visit before the period.
    let mut v = pain_chart(json!([]));
    v["encounters"]
        .as_array_mut()
        .unwrap()
        .push(visit("2025-11-01"));
    assert!(!run(&v)[a].ipp);
    // Two office visits on the same date count once.
    let mut v = base();
    v["encounters"] = json!([visit("2026-02-02"), visit("2026-02-02")]);
    assert!(!run(&v)[a].ipp);
    assert!(!run(&v)[c].ipp);
}

#[test]
fn pain_at_two_most_recent_visits() {
    let id = "pain.assessed-most-recent-two-visits";
    let mut v = with_chemo();
    v["encounters"] = json!([
        visit("2026-01-05"),
        visit("2026-02-02"),
        visit("2026-03-02")
    ]);
    v["assessments"] = json!([{"kind": "pain", "date": "2026-01-05", "present": false}]);
    assert_eq!(met(pops(&v, id)), (true, false), "third most recent visit");
    v["assessments"][0]["date"] = json!("2026-02-02");
    assert_eq!(met(pops(&v, id)), (true, true));
    // Decedent: visits after death are not "before or on death.date".
    v["death"] = json!({"date": "2026-02-20", "cause_is_cancer": true});
    v["assessments"][0]["date"] = json!("2026-01-05");
    assert_eq!(met(pops(&v, id)), (true, true));
    // Without systemic therapy or radiation active in the period: not in the population.
    let mut v = base();
    assert!(!pops(&v, id).ipp);
    v["radiation_courses"] = json!([{"start_date": "2025-11-01", "end_date": "2026-01-01"}]);
    assert!(pops(&v, id).ipp);
    v["radiation_courses"][0]["end_date"] = json!("2025-12-31");
    assert!(!pops(&v, id).ipp);
}

#[test]
fn gcsf_overuse_window_and_age() {
    let id = "symptom_toxicity.gcsf-overuse-low-fn-risk";
    let mut v = with_chemo();
    v["patient"]["birth_date"] = json!("1970-05-05");
    v["regimens"][0]["fn_risk"] = json!("low");
    v["medications"] = json!([{"class": "g_csf", "purpose": "prophylaxis",
                               "start_date": "2026-03-24"}]); // C1D1 + 14
    assert_eq!(met(pops(&v, id)), (true, true));
    v["medications"][0]["start_date"] = json!("2026-03-25");
    assert_eq!(met(pops(&v, id)), (true, false));
    v["medications"][0]["start_date"] = json!("2026-03-12");
    v["adverse_events"] = json!([{"kind": "febrile_neutropenia", "onset_date": "2026-03-11"}]);
    assert_eq!(met(pops(&v, id)), (true, false), "secondary prophylaxis");
    v["adverse_events"][0]["onset_date"] = json!("2026-03-12");
    assert_eq!(
        met(pops(&v, id)),
        (true, true),
        "FN the same day is not before"
    );
    v["regimens"][0]["on_clinical_trial"] = json!(true);
    let p = pops(&v, id);
    assert!(p.denex && !p.numer);
    // 65 on C1D1: out.
    v["patient"]["birth_date"] = json!("1961-03-10");
    assert!(!pops(&v, id).ipp);
    v["patient"]["birth_date"] = json!("1961-03-11");
    assert!(pops(&v, id).ipp);
}

fn decedent() -> Value {
    let mut v = with_chemo();
    v["death"] = json!({"date": "2026-04-30", "cause_is_cancer": true});
    v
}

#[test]
fn end_of_life_cohort_and_chemo_last_14_days() {
    let [h, c] = [
        "end_of_life.hospice-enrollment",
        "end_of_life.chemo-last-14-days",
    ]
    .map(idx);
    let mut v = decedent();
    v["administrations"] = json!([{"regimen_id": "r1", "date": "2026-04-16"}]); // death − 14
    let out = run(&v);
    assert_eq!(met(out[h]), (true, false));
    assert_eq!(met(out[c]), (true, true));
    v["administrations"][0]["date"] = json!("2026-04-15");
    assert_eq!(met(run(&v)[c]), (true, false));
    // An oral regimen ongoing into the window.
    v["regimens"][0]["agents"][0]["route"] = json!("oral");
    v["regimens"][0]["end_date"] = json!("2026-04-16");
    assert_eq!(met(run(&v)[c]), (true, true));
    v["regimens"][0]["end_date"] = json!("2026-04-15");
    assert_eq!(met(run(&v)[c]), (true, false));
    // Hospice.
    v["death"]["hospice_enrollment_date"] = json!("2026-04-30");
    assert_eq!(met(run(&v)[h]), (true, true));
    // Cohort edges: last office visit more than 180 days before death; cause not cancer;
    // a single office visit.
    let mut v = decedent();
    v["death"]["date"] = json!("2026-06-30");
    v["encounters"] = json!([visit("2025-12-01"), visit("2026-01-01")]); // death − 180
    assert!(run(&v)[h].ipp);
    v["encounters"] = json!([visit("2025-12-01"), visit("2025-12-31")]);
    assert!(!run(&v)[h].ipp);
    let mut v = decedent();
    v["death"]["cause_is_cancer"] = json!(false);
    assert!(!run(&v)[h].ipp);
    let mut v = decedent();
    v["encounters"] = json!([visit("2026-03-02")]);
    assert!(!run(&v)[h].ipp);
}

#[test]
fn order_elements_complete() {
    let id = "chemotherapy_safety.order-elements-complete";
    let mut v = with_chemo();
    v["chemo_orders"] = json!([
        {"regimen_id": "r1", "date": "2026-03-09", "missing_elements": []},
        {"regimen_id": "r1", "date": "2025-12-31", "missing_elements": ["bsa"]}
    ]);
    assert_eq!(
        met(pops(&v, id)),
        (true, true),
        "the incomplete order is before the period"
    );
    v["chemo_orders"][1]["date"] = json!("2026-01-01");
    assert_eq!(met(pops(&v, id)), (true, false));
}

/// A woman with stage IIA HER2+ breast cancer treated with adjuvant chemotherapy.
fn her2_chart() -> Value {
    let mut v = with_chemo();
    v["diagnoses"][0]["stage_group"] = json!("IIA");
    v["diagnoses"][0]["t_category"] = json!("T2");
    v["diagnoses"][0]["n_category"] = json!("N0");
    v["diagnoses"][0]["biomarkers"] = json!([{"name": "her2", "result": "positive"}]);
    v["regimens"][0]["setting"] = json!("adjuvant");
    v
}

#[test]
fn trastuzumab_for_her2_positive_breast() {
    let id = "breast.trastuzumab-her2-positive";
    let mut v = her2_chart();
    assert_eq!(met(pops(&v, id)), (true, false));
    v["regimens"].as_array_mut().unwrap().push(json!({
        "id": "r2", "start_date": "2026-12-01",
        "agents": [{"category": "targeted", "class": "anti_her2"}]
    }));
    assert_eq!(met(pops(&v, id)), (true, true), "diagnosis + 12 months");
    v["regimens"][1]["start_date"] = json!("2026-12-02");
    let p = pops(&v, id);
    assert_eq!(met(p), (true, false));
    assert!(!p.denexcep);
    v["not_done_reasons"] = json!([{"action": "her2_targeted_therapy",
                                    "reason_type": "patient_refusal", "date": "2026-12-01"}]);
    assert!(pops(&v, id).denexcep);
    // T1b N0 excluded; T1b N1mi included; T1b with N missing: not decidable, not met.
    let mut v = her2_chart();
    v["diagnoses"][0]["stage_group"] = json!("IA");
    v["diagnoses"][0]["t_category"] = json!("T1b");
    assert!(!pops(&v, id).ipp);
    v["diagnoses"][0]["n_category"] = json!("N1mi");
    assert!(pops(&v, id).ipp);
    v["diagnoses"][0]
        .as_object_mut()
        .unwrap()
        .remove("n_category");
    assert!(!pops(&v, id).ipp);
    // Regimen start window: period start − 12 months.
    let mut v = her2_chart();
    v["diagnoses"][0]["diagnosis_date"] = json!("2024-11-01");
    v["regimens"][0]["start_date"] = json!("2025-01-01");
    assert!(pops(&v, id).ipp);
    v["regimens"][0]["start_date"] = json!("2024-12-31");
    assert!(!pops(&v, id).ipp);
    // Men, HER2 negative, stage IV: out.
    let mut v = her2_chart();
    v["patient"]["sex"] = json!("male");
    assert!(!pops(&v, id).ipp);
    let mut v = her2_chart();
    v["diagnoses"][0]["biomarkers"][0]["result"] = json!("negative");
    assert!(!pops(&v, id).ipp);
    let mut v = her2_chart();
    v["diagnoses"][0]["stage_group"] = json!("IV");
    assert!(!pops(&v, id).ipp);
    // Transferred in: excluded.
    let mut v = her2_chart();
    v["patient"]["transferred_in_after_treatment_start"] = json!(true);
    assert!(pops(&v, id).denex);
}

/// Stage III colon cancer diagnosed 2025-09-15 with a curative colectomy.
fn colon_chart() -> Value {
    let mut v = base();
    v["diagnoses"] = json!([{"id": "d1", "cancer_type": "colon", "invasive": true,
                             "diagnosis_date": "2025-09-15", "stage_group": "IIIB",
                             "n_category": "N1", "m_category": "M0"}]);
    v["surgeries"] = json!([{"diagnosis_id": "d1", "kind": "colectomy", "intent": "curative",
                             "date": "2025-10-01"}]);
    v
}

#[test]
fn adjuvant_chemo_stage_iii_colon() {
    let id = "colorectal.adjuvant-chemo-stage-iii-colon";
    let mut v = colon_chart();
    assert_eq!(met(pops(&v, id)), (true, false));
    v["recommendations"] = json!([{"action": "adjuvant_chemotherapy", "date": "2026-01-13"}]);
    assert_eq!(met(pops(&v, id)), (true, true), "diagnosis + 120 days");
    v["recommendations"][0]["date"] = json!("2026-01-14");
    assert_eq!(met(pops(&v, id)), (true, false));
    v["regimens"] = json!([{"start_date": "2025-11-01",
                            "agents": [{"category": "cytotoxic", "class": "oxaliplatin"}]}]);
    assert_eq!(met(pops(&v, id)), (true, true));
    // Diagnosis window: 12 months ending period end − 4 months = [2025-02-28, 2026-02-28].
    let mut v = colon_chart();
    v["diagnoses"][0]["diagnosis_date"] = json!("2025-02-28");
    v["surgeries"][0]["date"] = json!("2025-03-15");
    assert!(pops(&v, id).ipp);
    v["diagnoses"][0]["diagnosis_date"] = json!("2025-02-27");
    assert!(!pops(&v, id).ipp);
    let mut v = colon_chart();
    v["diagnoses"][0]["diagnosis_date"] = json!("2026-02-28");
    v["surgeries"][0]["date"] = json!("2026-03-15");
    assert!(pops(&v, id).ipp);
    v["diagnoses"][0]["diagnosis_date"] = json!("2026-03-01");
    assert!(!pops(&v, id).ipp);
    // Died within 120 days: out. Age 80 at diagnosis: out. Stage II: out.
    let mut v = colon_chart();
    v["death"] = json!({"date": "2026-01-13", "cause_is_cancer": true});
    assert!(!pops(&v, id).ipp);
    let mut v = colon_chart();
    v["patient"]["birth_date"] = json!("1945-09-15");
    assert!(!pops(&v, id).ipp);
    let mut v = colon_chart();
    v["diagnoses"][0]["stage_group"] = json!("IIA");
    assert!(!pops(&v, id).ipp);
    // A previous primary: excluded; a documented refusal: exception.
    let mut v = colon_chart();
    v["diagnoses"].as_array_mut().unwrap().push(json!({
        "id": "d0", "cancer_type": "prostate", "invasive": true, "diagnosis_date": "2019-01-01"
    }));
    assert!(pops(&v, id).denex);
    let mut v = colon_chart();
    v["not_done_reasons"] = json!([{"action": "adjuvant_chemotherapy",
                                    "reason_type": "medical", "date": "2026-01-13"}]);
    assert!(pops(&v, id).denexcep);
    v["not_done_reasons"][0]["date"] = json!("2026-01-14");
    assert!(!pops(&v, id).denexcep);
}

fn hn_chart(site: &str, system: &str) -> Value {
    let mut v = base();
    v["diagnoses"] = json!([{"id": "d1", "cancer_type": "head_and_neck", "invasive": true,
                             "histology_group": "squamous_cell", "diagnosis_date": "2025-07-01",
                             "primary_site": {"system": system, "code": site}}]);
    v
}

#[test]
fn hn_p16_value_set_and_window() {
    let id = "other_solid.hn-p16-oropharynx";
    let mut v = hn_chart("C10.9", "ICD-10-CM");
    assert_eq!(met(pops(&v, id)), (true, false));
    v["diagnoses"][0]["biomarkers"] =
        json!([{"name": "p16_hpv", "result": "positive", "result_date": "2026-06-30"}]);
    assert_eq!(met(pops(&v, id)), (true, true));
    v["diagnoses"][0]["biomarkers"][0]["result"] = json!("indeterminate");
    assert_eq!(met(pops(&v, id)), (true, false));
    assert!(pops(&hn_chart("C019", "ICD-O-3"), id).ipp);
    assert!(pops(&hn_chart("C01", "ICD-10-CM"), id).ipp);
    assert!(!pops(&hn_chart("C32.0", "ICD-10-CM"), id).ipp, "larynx");
    assert!(!pops(&hn_chart("C10.9", "SNOMED"), id).ipp);
    assert!(!pops(&hn_chart("C10.", "ICD-10-CM"), id).ipp);
    // Diagnosed before period start − 6 months.
    let mut v = hn_chart("C09.9", "ICD-O-3");
    v["diagnoses"][0]["diagnosis_date"] = json!("2025-06-30");
    assert!(!pops(&v, id).ipp);
}

/// The algebra's nesting and exclusivity for one chart and one measure.
fn check_algebra(p: &Pops, what: &str) {
    assert!(!p.denom || p.ipp, "{what}: DENOM ⊆ IPP");
    assert!(!p.denex || p.denom, "{what}: DENEX ⊆ DENOM");
    assert!(
        !p.numer || (p.denom && !p.denex),
        "{what}: NUMER ⊆ DENOM ∖ DENEX"
    );
    assert!(!p.numex || p.numer, "{what}: NUMEX ⊆ NUMER");
    assert!(
        !p.denexcep || (p.denom && !p.denex && !p.numer),
        "{what}: DENEXCEP ⊆ DENOM ∖ DENEX ∖ NUMER"
    );
}

#[test]
fn synthetic_charts_satisfy_the_algebra_and_fill_every_population() {
    let config = SynthConfig::new(2000, 10, 1, 2026);
    let mut counts = [[0usize; 6]; 20];
    let mut out = [Pops::default(); 20];
    for chart in synth::generate(&config) {
        let period = chart.round.default_period();
        evaluate(&chart, &period, &mut out);
        for (i, p) in out.iter().enumerate() {
            check_algebra(p, IDS[i]);
            for (k, v) in [p.ipp, p.denom, p.denex, p.denexcep, p.numer, p.numex]
                .into_iter()
                .enumerate()
            {
                counts[i][k] += usize::from(v);
            }
        }
        // Composite: its denominator is the pain population, its numerator requires each
        // applicable component's numerator.
        let comp = out[10];
        assert_eq!(comp.ipp, out[7].ipp);
        if comp.numer {
            assert!(out[7].numer);
            assert!(!out[8].denom || out[8].numer);
            assert!(!out[9].denom || out[9].numer);
        }
        assert!(!out[8].ipp || out[7].ipp);
        assert!(!out[9].ipp || out[7].ipp);
    }
    eprintln!(
        "{:<50} {:>6} {:>6} {:>6} {:>6} {:>6}",
        "measure", "IPP", "DENOM", "DENEX", "EXCEP", "NUMER"
    );
    for (i, c) in counts.iter().enumerate() {
        eprintln!(
            "{:<50} {:>6} {:>6} {:>6} {:>6} {:>6}",
            IDS[i], c[0], c[1], c[2], c[3], c[4]
        );
    }
    for (i, c) in counts.iter().enumerate() {
        assert!(
            c[0] > 0,
            "{}: empty initial population over 2000 charts",
            IDS[i]
        );
        assert_eq!(
            c[5], 0,
            "{}: no numerator exclusions in this version",
            IDS[i]
        );
    }
}

#[test]
fn evaluate_is_deterministic_and_ids_are_unique() {
    for (i, a) in IDS.iter().enumerate() {
        assert!(IDS[i + 1..].iter().all(|b| a != b));
    }
    let config = SynthConfig::new(50, 3, 1, 9);
    for chart in synth::generate(&config) {
        let period = chart.round.default_period();
        let (mut a, mut b) = ([Pops::default(); 20], [Pops::default(); 20]);
        evaluate(&chart, &period, &mut a);
        evaluate(&chart, &period, &mut b);
        assert_eq!(a, b);
    }
}
