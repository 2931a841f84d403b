//! The 20 benchmark measures hand-written in plain Rust, directly over the typed chart model.
//!
//! This is the baseline the measure-language engine is benchmarked against and a cross-check
//! of its results: it is written from `catalog.toml` and the README's shared terms alone,
//! independently of `measure-specs/`. Evaluation never allocates: it iterates the chart's
//! slices and keeps references, indices and `Option`s.
//!
//! Conventions (README "Shared terms", design §2):
//! - Windows are inclusive at both ends; months are calendar months with month-end clamping
//!   (chrono's `checked_{add,sub}_months`); ages are whole years.
//! - Missing data: a criterion that cannot be decided is *not met*. Positive criteria are plain
//!   `== Some(..)` tests. For filters ("an entry where …", "no entry where …") an entry whose
//!   predicate is unknown (missing field) is dropped from the filtered list, as a CQL `where`
//!   does; so "no X before it" is not spoiled by an X without a date. Where a criterion is a
//!   negation of a conjunction over one record's fields (breast T1a/T1b N0), Kleene logic is
//!   used explicitly.
//! - "Earliest", "first such" and "latest" choices all break date ties by chart order (first
//!   listed), as the catalog README's shared terms do for the regimen's diagnosis.
//!
//! Interpretation choices are written as `CHOICE:` comments beside the code they govern.
#![allow(dead_code)]

use chrono::Months;
use oncoqual::chart::{
    Action, AdverseEventKind, AgentCategory, AgentClass, Assessment, AssessmentKind,
    AssessmentScale, BiomarkerName, BiomarkerResult, CancerType, Diagnosis, DiagnosisId,
    DocumentKind, EncounterKind, FnRisk, HistologyGroup, MCategory, MedicationClass,
    MedicationPurpose, NCategory, ProviderRole, ReasonType, Regimen, RegimenId, RegimenIntent,
    RegimenSetting, Route, Severity, Sex, StageGroup, SurgeryIntent, SurgeryKind, TCategory,
    TobaccoStatus,
};
use oncoqual::{Chart, Date, Number, Period};

/// Populations of one chart for one measure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pops {
    pub ipp: bool,
    pub denom: bool,
    pub denex: bool,
    pub denexcep: bool,
    pub numer: bool,
    pub numex: bool,
}

/// The measure ids, in the order `evaluate` fills `out`.
pub const IDS: [&str; 20] = [
    "core.pathology-report-confirms-malignancy",
    "core.chemotherapy-plan-documented",
    "core.chemotherapy-intent-documented",
    "core.chemotherapy-consent-documented",
    "core.performance-status-before-noncurative-chemo",
    "core.chemo-metastatic-poor-or-undocumented-ps",
    "core.tobacco-use-status-documented",
    "core.pain-assessed-by-second-visit",
    "core.pain-intensity-quantified-by-second-visit",
    "core.pain-plan-by-second-visit",
    "core.pain-addressed-appropriately",
    "pain.assessed-most-recent-two-visits",
    "symptom_toxicity.gcsf-overuse-low-fn-risk",
    "end_of_life.hospice-enrollment",
    "end_of_life.chemo-last-14-days",
    "chemotherapy_safety.order-elements-complete",
    "chemotherapy_safety.education-before-first-cycle",
    "breast.trastuzumab-her2-positive",
    "colorectal.adjuvant-chemo-stage-iii-colon",
    "other_solid.hn-p16-oropharynx",
];

/// Evaluates the 20 measures on one chart for the given reporting period.
pub fn evaluate(chart: &Chart, period: &Period, out: &mut [Pops; 20]) {
    let cx = Ctx::new(chart, *period);
    out[0] = pathology_report(&cx);
    out[1] = chemo_plan(&cx);
    out[2] = chemo_intent(&cx);
    out[3] = chemo_consent(&cx);
    out[4] = ps_before_noncurative(&cx);
    out[5] = metastatic_poor_ps(&cx);
    out[6] = tobacco_status(&cx);
    out[7] = pain_assessed(&cx);
    out[8] = pain_quantified(&cx);
    out[9] = pain_plan(&cx);
    out[10] = pain_composite(&cx, [out[7], out[8], out[9]]);
    out[11] = pain_recent_two(&cx);
    out[12] = gcsf_overuse(&cx);
    out[13] = hospice_enrollment(&cx);
    out[14] = chemo_last_14_days(&cx);
    out[15] = order_elements(&cx);
    out[16] = education_before_c1(&cx);
    out[17] = trastuzumab_her2(&cx);
    out[18] = adjuvant_colon(&cx);
    out[19] = hn_p16(&cx);
}

// ---------------------------------------------------------------------------------------------
// Population algebra (design §2)

/// Applies the pinned algebra; the criteria after `ipp` are only evaluated when they matter.
/// `numerator_exclusions` is `none` for all 20 measures, so NUMEX is always false.
fn algebra(
    ipp: bool,
    exclusion: impl FnOnce() -> bool,
    numerator: impl FnOnce() -> bool,
    exception: impl FnOnce() -> bool,
) -> Pops {
    let denom = ipp; // every denominator "equals initial population"
    let denex = denom && exclusion();
    let numer = denom && !denex && numerator();
    let denexcep = denom && !denex && !numer && exception();
    Pops {
        ipp,
        denom,
        denex,
        denexcep,
        numer,
        numex: false,
    }
}

fn no() -> bool {
    false
}

// ---------------------------------------------------------------------------------------------
// Calendar helpers

/// `d + n days`; `None` past the calendar's range (the criterion is then not met).
fn plus_days(d: Date, n: i64) -> Option<Date> {
    d.add_days(n)
}

/// `d ± n calendar months`, clamping to the month's last day (31 Jan + 1 month = 28/29 Feb).
fn plus_months(d: Date, n: i32) -> Option<Date> {
    let nd = d.naive();
    let m = Months::new(n.unsigned_abs());
    let r = if n >= 0 {
        nd.checked_add_months(m)
    } else {
        nd.checked_sub_months(m)
    };
    r.map(Date::from)
}

/// Whole years from `birth` to `on`.
// CHOICE: someone born on 29 Feb turns a year older on 1 Mar in non-leap years.
fn age_on(birth: Option<Date>, on: Option<Date>) -> Option<i32> {
    let (b, d) = (birth?, on?);
    let mut years = d.year() - b.year();
    if (d.month(), d.day()) < (b.month(), b.day()) {
        years -= 1;
    }
    Some(years)
}

/// `d` present and inside `[lo, hi]`.
fn within(d: Option<Date>, lo: Date, hi: Date) -> bool {
    d.is_some_and(|d| lo <= d && d <= hi)
}

// ---------------------------------------------------------------------------------------------
// Shared terms

fn is_heme(t: CancerType) -> bool {
    matches!(
        t,
        CancerType::Nhl
            | CancerType::HodgkinLymphoma
            | CancerType::Myeloma
            | CancerType::Leukemia
            | CancerType::OtherHeme
    )
}

/// Qualifying cancer diagnosis: invasive, or a haematological type, diagnosed on or before
/// `reporting_period.end`.
fn qualifying(d: &Diagnosis, end: Date) -> bool {
    (d.invasive == Some(true) || d.cancer_type.is_some_and(is_heme))
        && d.diagnosis_date.is_some_and(|dd| dd <= end)
}

/// Solid tumour: a cancer_type that is present and not haematological.
fn is_solid(d: &Diagnosis) -> bool {
    d.cancer_type.is_some_and(|t| !is_heme(t))
}

/// The Roman-numeral prefix of a stage group ("IIIA" → "III", "0" → "").
fn roman_prefix(s: StageGroup) -> &'static str {
    let text = s.as_str();
    let n = text
        .bytes()
        .take_while(|b| matches!(b, b'I' | b'V'))
        .count();
    &text[..n]
}

fn stage_prefix_is(d: &Diagnosis, prefix: &str) -> bool {
    d.stage_group.is_some_and(|s| roman_prefix(s) == prefix)
}

fn stage_iv(d: &Diagnosis) -> bool {
    matches!(
        d.stage_group,
        Some(StageGroup::IV | StageGroup::IVA | StageGroup::IVB | StageGroup::IVC)
    )
}

/// Office visit: its date when the encounter is one.
fn office_visit_date(e: &oncoqual::chart::Encounter) -> Option<Date> {
    let kind_ok = matches!(
        e.kind,
        Some(EncounterKind::OfficeVisit | EncounterKind::TelehealthVisit)
    );
    let role_ok = matches!(
        e.provider_role,
        Some(ProviderRole::Physician | ProviderRole::AdvancedPracticeProvider)
    );
    if kind_ok && role_ok && e.with_practice == Some(true) {
        e.date
    } else {
        None
    }
}

fn office_dates(chart: &Chart) -> impl Iterator<Item = Date> + '_ {
    chart.encounters.iter().filter_map(office_visit_date)
}

/// Chemotherapy regimen: ≥ 1 agent of category cytotoxic, targeted or immunotherapy.
fn is_chemo(r: &Regimen) -> bool {
    r.agents.iter().any(|a| {
        matches!(
            a.category,
            Some(AgentCategory::Cytotoxic | AgentCategory::Targeted | AgentCategory::Immunotherapy)
        )
    })
}

/// Cytotoxic regimen: ≥ 1 agent of category cytotoxic.
fn is_cytotoxic(r: &Regimen) -> bool {
    r.agents
        .iter()
        .any(|a| a.category == Some(AgentCategory::Cytotoxic))
}

/// The regimen with this id (ids are unique in a valid chart).
fn regimen_by_id<'a>(chart: &'a Chart, id: Option<&RegimenId>) -> Option<&'a Regimen> {
    let id = id?;
    chart.regimens.iter().find(|r| r.id.as_ref() == Some(id))
}

/// The regimen's (surgery's, course's) diagnosis: the entry named by `diagnosis_id`; without
/// one, the qualifying diagnosis with the latest `diagnosis_date` on or before `date` (ties:
/// first listed); `None` when there is none.
// CHOICE: a diagnosis named by `diagnosis_id` is used as is (it need not be qualifying); the
// measures that need a qualifying index diagnosis check it themselves.
fn treatment_dx<'a>(
    chart: &'a Chart,
    diagnosis_id: Option<&DiagnosisId>,
    date: Option<Date>,
    end: Date,
) -> Option<&'a Diagnosis> {
    if let Some(id) = diagnosis_id {
        return chart.diagnoses.iter().find(|d| d.id.as_ref() == Some(id));
    }
    let date = date?;
    let mut best: Option<&Diagnosis> = None;
    for d in &chart.diagnoses {
        let Some(dd) = d.diagnosis_date else { continue };
        if qualifying(d, end)
            && dd <= date
            && best.is_none_or(|b| b.diagnosis_date.is_some_and(|bd| dd > bd))
        {
            best = Some(d);
        }
    }
    best
}

/// The earliest regimen (by start_date, ties first listed) meeting `pred`.
fn earliest_regimen(
    chart: &Chart,
    mut pred: impl FnMut(&Regimen, Date) -> bool,
) -> Option<(&Regimen, Date)> {
    let mut best: Option<(&Regimen, Date)> = None;
    for r in &chart.regimens {
        let Some(s) = r.start_date else { continue };
        if pred(r, s) && best.is_none_or(|(_, b)| s < b) {
            best = Some((r, s));
        }
    }
    best
}

/// A documented reason (exceptions): matching action, one of `types`, dated on or before the
/// end of the numerator window.
fn documented_reason(chart: &Chart, action: Action, types: &[ReasonType], by: Date) -> bool {
    chart.not_done_reasons.iter().any(|n| {
        n.action == Some(action)
            && n.reason_type.is_some_and(|t| types.contains(&t))
            && n.date.is_some_and(|d| d <= by)
    })
}

const MEDICAL_OR_REFUSAL: &[ReasonType] = &[ReasonType::Medical, ReasonType::PatientRefusal];

// ---------------------------------------------------------------------------------------------
// Per-chart context: the shared terms computed once

struct Ctx<'a> {
    chart: &'a Chart,
    period: Period,
    /// Eligible patient (age ≥ 18 on period start, a qualifying diagnosis, an office visit in
    /// the period).
    eligible: bool,
    /// First and second office visit dates in the whole chart.
    first_visit: Option<Date>,
    second_visit: Option<Date>,
    /// New patient with ≥ 2 office visits on different dates on or before period end: the
    /// shared initial population of the four pain-by-second-visit measures.
    new_with_two_visits: bool,
    /// ≥ 1 office visit during the reporting period.
    visit_in_period: bool,
    /// The earliest chemotherapy regimen whose C1D1 is during the period (when eligible).
    index_chemo: Option<(&'a Regimen, Date)>,
    /// death.date when the chart is in the EOL cohort.
    eol_death: Option<Date>,
}

impl<'a> Ctx<'a> {
    fn new(chart: &'a Chart, period: Period) -> Ctx<'a> {
        let birth = chart.patient.birth_date;
        let mut first: Option<Date> = None;
        let mut visit_in_period = false;
        for d in office_dates(chart) {
            visit_in_period |= period.contains(d);
            if first.is_none_or(|f| d < f) {
                first = Some(d);
            }
        }
        let second = first.and_then(|f| office_dates(chart).filter(|&d| d > f).min());
        let adult = age_on(birth, Some(period.start)).is_some_and(|a| a >= 18);
        let eligible =
            adult && visit_in_period && chart.diagnoses.iter().any(|d| qualifying(d, period.end));
        let new_patient = eligible && first.is_some_and(|f| period.contains(f));
        let new_with_two_visits = new_patient && second.is_some_and(|s| s <= period.end);
        let index_chemo = if eligible {
            earliest_regimen(chart, |r, s| period.contains(s) && is_chemo(r))
        } else {
            None
        };
        // EOL cohort: age ≥ 18 at death, death.date in the period, cause_is_cancer = true,
        // ≥ 2 office visits ever (distinct dates) and ≥ 1 in [death − 180 days, death].
        // CHOICE: the EOL cohort does not require an eligible patient or a qualifying
        // diagnosis (the shared term names neither).
        let eol_death = chart.death.as_ref().and_then(|death| {
            let dd = death.date?;
            let lo = plus_days(dd, -180)?;
            let ok = period.contains(dd)
                && age_on(birth, Some(dd)).is_some_and(|a| a >= 18)
                && death.cause_is_cancer == Some(true)
                && second.is_some()
                && office_dates(chart).any(|v| lo <= v && v <= dd);
            ok.then_some(dd)
        });
        Ctx {
            chart,
            period,
            eligible,
            first_visit: first,
            second_visit: second,
            new_with_two_visits,
            visit_in_period,
            index_chemo,
            eol_death,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The measures

/// core.pathology-report-confirms-malignancy
fn pathology_report(cx: &Ctx) -> Pops {
    let end = cx.period.end;
    algebra(
        cx.eligible,
        no,
        || {
            cx.chart
                .diagnoses
                .iter()
                .any(|d| qualifying(d, end) && d.pathology_report_date.is_some_and(|p| p <= end))
        },
        no,
    )
}

/// core.chemotherapy-plan-documented
fn chemo_plan(cx: &Ctx) -> Pops {
    algebra(
        cx.index_chemo.is_some(),
        no,
        || {
            let Some((r, c1d1)) = cx.index_chemo else {
                return false;
            };
            r.plan.as_ref().is_some_and(|p| {
                p.date.is_some_and(|d| d <= c1d1)
                    && p.has_agents == Some(true)
                    && p.has_doses == Some(true)
                    && p.has_route == Some(true)
                    && p.has_schedule == Some(true)
            })
        },
        no,
    )
}

/// core.chemotherapy-intent-documented
// CHOICE: intent_documented_date has no lower bound (documentation long before C1D1 counts).
fn chemo_intent(cx: &Ctx) -> Pops {
    algebra(
        cx.index_chemo.is_some(),
        no,
        || {
            let Some((r, c1d1)) = cx.index_chemo else {
                return false;
            };
            let Some(by) = plus_days(c1d1, 14) else {
                return false;
            };
            matches!(
                r.intent,
                Some(RegimenIntent::Curative | RegimenIntent::NonCurative)
            ) && r.intent_documented_date.is_some_and(|d| d <= by)
        },
        no,
    )
}

/// A document of one of `kinds` for regimen `r` (regimen_id equal, or absent) dated within
/// `days` days before or on C1D1.
// CHOICE: when the regimen itself has no id, only documents without regimen_id count (an
// equality with a missing id is unknown).
fn regimen_document(cx: &Ctx, r: &Regimen, c1d1: Date, kinds: &[DocumentKind], days: i64) -> bool {
    let Some(lo) = plus_days(c1d1, -days) else {
        return false;
    };
    cx.chart.documents.iter().any(|doc| {
        doc.kind.is_some_and(|k| kinds.contains(&k))
            && match &doc.regimen_id {
                None => true,
                Some(id) => r.id.as_ref() == Some(id),
            }
            && within(doc.date, lo, c1d1)
    })
}

/// core.chemotherapy-consent-documented
fn chemo_consent(cx: &Ctx) -> Pops {
    algebra(
        cx.index_chemo.is_some(),
        no,
        || {
            let Some((r, c1d1)) = cx.index_chemo else {
                return false;
            };
            regimen_document(cx, r, c1d1, &[DocumentKind::ChemotherapyConsent], 90)
        },
        no,
    )
}

/// core.performance-status-before-noncurative-chemo
// CHOICE: the index regimen is the earliest chemotherapy regimen with intent = non_curative
// and C1D1 in the period (the intent condition selects the regimen, it is not tested on the
// earliest chemotherapy regimen overall).
fn ps_before_noncurative(cx: &Ctx) -> Pops {
    let p = cx.period;
    let idx = if cx.eligible {
        earliest_regimen(cx.chart, |r, s| {
            p.contains(s) && is_chemo(r) && r.intent == Some(RegimenIntent::NonCurative)
        })
    } else {
        None
    };
    algebra(
        idx.is_some(),
        no,
        || {
            let Some((_, c1d1)) = idx else { return false };
            let Some(lo) = plus_days(c1d1, -30) else {
                return false;
            };
            cx.chart.assessments.iter().any(|a| {
                a.kind == Some(AssessmentKind::PerformanceStatus)
                    && matches!(
                        a.scale,
                        Some(AssessmentScale::Ecog | AssessmentScale::Karnofsky)
                    )
                    && a.score.is_some()
                    && within(a.date, lo, c1d1)
            })
        },
        no,
    )
}

/// core.chemo-metastatic-poor-or-undocumented-ps (lower is better)
// CHOICE: "for that disease" = the administration's regimen's diagnosis (shared term); the
// regimen is found by administrations.regimen_id and must be a chemotherapy regimen.
// CHOICE: "intent = non_curative, or intent = not_documented and the disease is metastatic"
// reduces to intent ∈ {non_curative, not_documented} because metastatic is already required;
// a missing intent is not met.
// CHOICE: metastatic = stage_group IV/IVA/IVB/IVC, or metastasis_date on or before the
// administration's date. The diagnosis must be solid (cancer_type present, not heme).
// CHOICE: the exclusion (cancer_type in {gestational_trophoblastic, testis, …}) and exception
// (on_clinical_trial) read the index administration's diagnosis and regimen.
// CHOICE: "a performance_status assessment" = any assessment with kind = performance_status
// (whatever its scale/score); the latest one in [index − 14 days, index] (ties: first listed)
// decides: ECOG 3 or 4, or Karnofsky 10–40 → numerator; any other scale or a missing score →
// not in the numerator.
fn metastatic_poor_ps(cx: &Ctx) -> Pops {
    let chart = cx.chart;
    let p = cx.period;
    let mut idx: Option<(Date, &Regimen, &Diagnosis)> = None;
    if cx.eligible {
        for a in &chart.administrations {
            let Some(ad) = a.date else { continue };
            if !p.contains(ad) || idx.is_some_and(|(best, _, _)| ad >= best) {
                continue;
            }
            let Some(r) = regimen_by_id(chart, a.regimen_id.as_ref()) else {
                continue;
            };
            if !is_chemo(r)
                || !matches!(
                    r.intent,
                    Some(RegimenIntent::NonCurative | RegimenIntent::NotDocumented)
                )
            {
                continue;
            }
            let Some(d) = treatment_dx(chart, r.diagnosis_id.as_ref(), r.start_date, p.end) else {
                continue;
            };
            let metastatic = stage_iv(d) || d.metastasis_date.is_some_and(|m| m <= ad);
            if is_solid(d) && metastatic {
                idx = Some((ad, r, d));
            }
        }
    }
    algebra(
        idx.is_some(),
        || {
            idx.is_some_and(|(_, _, d)| {
                matches!(
                    d.cancer_type,
                    Some(
                        CancerType::GestationalTrophoblastic
                            | CancerType::Testis
                            | CancerType::Myeloma
                            | CancerType::Leukemia
                            | CancerType::Nhl
                            | CancerType::HodgkinLymphoma
                    )
                )
            })
        },
        || {
            let Some((ad, _, _)) = idx else { return false };
            let Some(lo) = plus_days(ad, -14) else {
                return false;
            };
            let mut latest: Option<(Date, &Assessment)> = None;
            for a in &chart.assessments {
                if a.kind != Some(AssessmentKind::PerformanceStatus) {
                    continue;
                }
                let Some(d) = a.date else { continue };
                if lo <= d && d <= ad && latest.is_none_or(|(l, _)| d > l) {
                    latest = Some((d, a));
                }
            }
            match latest {
                None => true,
                Some((_, a)) => match (a.scale, a.score) {
                    (Some(AssessmentScale::Ecog), Some(s)) => {
                        s == Number::from(3i64) || s == Number::from(4i64)
                    }
                    (Some(AssessmentScale::Karnofsky), Some(s)) => {
                        Number::from(10i64) <= s && s <= Number::from(40i64)
                    }
                    _ => false,
                },
            }
        },
        || idx.is_some_and(|(_, r, _)| r.on_clinical_trial == Some(true)),
    )
}

/// core.tobacco-use-status-documented
fn tobacco_status(cx: &Ctx) -> Pops {
    let end = cx.period.end;
    algebra(
        cx.eligible,
        no,
        || {
            let Some(lo) = plus_months(end, -12) else {
                return false;
            };
            cx.chart.assessments.iter().any(|a| {
                a.kind == Some(AssessmentKind::TobaccoUse)
                    && matches!(
                        a.tobacco_status,
                        Some(TobaccoStatus::Current | TobaccoStatus::Former | TobaccoStatus::Never)
                    )
                    && within(a.date, lo, end)
            })
        },
        no,
    )
}

fn is_pain(a: &Assessment) -> bool {
    a.kind == Some(AssessmentKind::Pain)
}

fn pain_present_on(cx: &Ctx, day: Date) -> bool {
    cx.chart
        .assessments
        .iter()
        .any(|a| is_pain(a) && a.present == Some(true) && a.date == Some(day))
}

/// Moderate or severe pain: severity moderate/severe, or numeric 0–10 scale with score ≥ 4.
// CHOICE: `present` is not read (a moderate/severe rating is itself the finding).
fn moderate_or_severe(a: &Assessment) -> bool {
    is_pain(a)
        && (matches!(a.severity, Some(Severity::Moderate | Severity::Severe))
            || (a.scale == Some(AssessmentScale::Numeric010)
                && a.score.is_some_and(|s| s >= Number::from(4i64))))
}

fn modsev_on(cx: &Ctx, day: Date) -> bool {
    cx.chart
        .assessments
        .iter()
        .any(|a| moderate_or_severe(a) && a.date == Some(day))
}

/// The first two office visit dates, when the chart is in the pain-by-second-visit population.
fn first_two(cx: &Ctx) -> Option<(Date, Date)> {
    if cx.new_with_two_visits {
        Some((cx.first_visit?, cx.second_visit?))
    } else {
        None
    }
}

/// core.pain-assessed-by-second-visit
fn pain_assessed(cx: &Ctx) -> Pops {
    let v = first_two(cx);
    algebra(
        v.is_some(),
        no,
        || {
            let Some((v1, v2)) = v else { return false };
            cx.chart.assessments.iter().any(|a| {
                is_pain(a) && a.present.is_some() && (a.date == Some(v1) || a.date == Some(v2))
            })
        },
        no,
    )
}

/// core.pain-intensity-quantified-by-second-visit
// CHOICE: the quantified assessment may be any pain assessment dated on a first-two visit at
// which pain was present (some pain assessment with present = true that day); it need not be
// the same entry that records present = true.
fn pain_quantified(cx: &Ctx) -> Pops {
    let v = first_two(cx);
    let present = |d: Date| pain_present_on(cx, d);
    let ipp = v.is_some_and(|(v1, v2)| present(v1) || present(v2));
    algebra(
        ipp,
        no,
        || {
            let Some((v1, v2)) = v else { return false };
            cx.chart.assessments.iter().any(|a| {
                is_pain(a)
                    && a.date.is_some_and(|d| (d == v1 || d == v2) && present(d))
                    && matches!(
                        a.scale,
                        Some(
                            AssessmentScale::Numeric010
                                | AssessmentScale::VerbalDescriptor
                                | AssessmentScale::Faces
                        )
                    )
                    && (a.score.is_some() || a.severity.is_some())
            })
        },
        no,
    )
}

/// core.pain-plan-by-second-visit
fn pain_plan(cx: &Ctx) -> Pops {
    let v = first_two(cx);
    let ipp = v.is_some_and(|(v1, v2)| modsev_on(cx, v1) || modsev_on(cx, v2));
    algebra(
        ipp,
        no,
        || {
            let Some((v1, v2)) = v else { return false };
            let target = if modsev_on(cx, v1) { v1 } else { v2 };
            cx.chart.assessments.iter().any(|a| {
                moderate_or_severe(a) && a.date == Some(target) && a.plan_documented == Some(true)
            })
        },
        no,
    )
}

/// core.pain-addressed-appropriately (all-or-none composite of the three measures above).
fn pain_composite(cx: &Ctx, components: [Pops; 3]) -> Pops {
    let net = |p: &Pops| p.denom && !p.denex && !p.denexcep;
    let ipp = first_two(cx).is_some();
    let denom = ipp && components.iter().any(net);
    let numer = denom && components.iter().all(|p| !net(p) || (p.numer && !p.numex));
    Pops {
        ipp,
        denom,
        denex: false,
        denexcep: false,
        numer,
        numex: false,
    }
}

/// pain.assessed-most-recent-two-visits
// CHOICE: "active during the reporting period" applies to radiation courses as to regimens
// (start_date ≤ period end and end_date absent or ≥ period start); any radiation course counts.
// CHOICE: for decedents the two most recent visits are those on or before
// min(death.date, period end); a death record without a date falls back to period end.
fn pain_recent_two(cx: &Ctx) -> Pops {
    let chart = cx.chart;
    let p = cx.period;
    let active = |s: Option<Date>, e: Option<Date>| {
        s.is_some_and(|s| s <= p.end) && e.is_none_or(|e| e >= p.start)
    };
    let ipp = cx.eligible
        && {
            let mut lo: Option<Date> = None;
            let mut hi: Option<Date> = None;
            for d in office_dates(chart).filter(|&d| p.contains(d)) {
                lo = Some(lo.map_or(d, |x| x.min(d)));
                hi = Some(hi.map_or(d, |x| x.max(d)));
            }
            lo != hi
        }
        && (chart
            .regimens
            .iter()
            .any(|r| is_chemo(r) && active(r.start_date, r.end_date))
            || chart
                .radiation_courses
                .iter()
                .any(|c| active(c.start_date, c.end_date)));
    algebra(
        ipp,
        no,
        || {
            let cutoff = match chart.death.as_ref().and_then(|d| d.date) {
                Some(dd) => dd.min(p.end),
                None => p.end,
            };
            let Some(last) = office_dates(chart).filter(|&d| d <= cutoff).max() else {
                return false;
            };
            let prev = office_dates(chart).filter(|&d| d < last).max();
            chart.assessments.iter().any(|a| {
                is_pain(a)
                    && a.present.is_some()
                    && a.date.is_some_and(|d| d == last || Some(d) == prev)
            })
        },
        no,
    )
}

/// symptom_toxicity.gcsf-overuse-low-fn-risk (lower is better)
// CHOICE: the index regimen is the earliest cytotoxic regimen with fn_risk = low and C1D1 in
// the period; the age condition (< 65 on its C1D1) is then tested on it.
// CHOICE: a febrile_neutropenia event without onset_date does not count as "before" the G-CSF.
fn gcsf_overuse(cx: &Ctx) -> Pops {
    let chart = cx.chart;
    let p = cx.period;
    let idx = if cx.eligible {
        earliest_regimen(chart, |r, s| {
            p.contains(s) && is_cytotoxic(r) && r.fn_risk == Some(FnRisk::Low)
        })
    } else {
        None
    };
    let ipp = idx.is_some_and(|(_, c1d1)| {
        age_on(chart.patient.birth_date, Some(c1d1)).is_some_and(|a| a < 65)
    });
    algebra(
        ipp,
        || idx.is_some_and(|(r, _)| r.on_clinical_trial == Some(true)),
        || {
            let Some((_, c1d1)) = idx else { return false };
            let Some(hi) = plus_days(c1d1, 14) else {
                return false;
            };
            chart.medications.iter().any(|m| {
                let Some(ms) = m.start_date else { return false };
                m.class == Some(MedicationClass::GCsf)
                    && m.purpose == Some(MedicationPurpose::Prophylaxis)
                    && c1d1 <= ms
                    && ms <= hi
                    && !chart.adverse_events.iter().any(|e| {
                        e.kind == Some(AdverseEventKind::FebrileNeutropenia)
                            && e.onset_date.is_some_and(|o| o < ms)
                    })
            })
        },
        no,
    )
}

/// end_of_life.hospice-enrollment
fn hospice_enrollment(cx: &Ctx) -> Pops {
    algebra(
        cx.eol_death.is_some(),
        no,
        || {
            let Some(dd) = cx.eol_death else { return false };
            cx.chart
                .death
                .as_ref()
                .and_then(|d| d.hospice_enrollment_date)
                .is_some_and(|h| h <= dd)
        },
        no,
    )
}

/// end_of_life.chemo-last-14-days (lower is better)
fn chemo_last_14_days(cx: &Ctx) -> Pops {
    let chart = cx.chart;
    algebra(
        cx.eol_death.is_some(),
        no,
        || {
            let Some(dd) = cx.eol_death else { return false };
            let Some(lo) = plus_days(dd, -14) else {
                return false;
            };
            let administered = chart.administrations.iter().any(|a| {
                within(a.date, lo, dd)
                    && regimen_by_id(chart, a.regimen_id.as_ref()).is_some_and(is_chemo)
            });
            let oral = || {
                chart.regimens.iter().any(|r| {
                    is_chemo(r)
                        && r.agents.iter().any(|a| a.route == Some(Route::Oral))
                        && r.start_date.is_some_and(|s| s <= dd)
                        && r.end_date.is_none_or(|e| e >= lo)
                })
            };
            administered || oral()
        },
        no,
    )
}

/// chemotherapy_safety.order-elements-complete
fn order_elements(cx: &Ctx) -> Pops {
    let chart = cx.chart;
    let p = cx.period;
    let counted = |o: &&oncoqual::chart::ChemoOrder| {
        o.date.is_some_and(|d| p.contains(d))
            && regimen_by_id(chart, o.regimen_id.as_ref()).is_some_and(is_chemo)
    };
    let ipp = cx.eligible && chart.chemo_orders.iter().any(|o| counted(&o));
    algebra(
        ipp,
        no,
        || {
            chart
                .chemo_orders
                .iter()
                .filter(counted)
                .all(|o| o.missing_elements.is_empty())
        },
        no,
    )
}

/// chemotherapy_safety.education-before-first-cycle
fn education_before_c1(cx: &Ctx) -> Pops {
    algebra(
        cx.index_chemo.is_some(),
        no,
        || {
            let Some((r, c1d1)) = cx.index_chemo else {
                return false;
            };
            regimen_document(
                cx,
                r,
                c1d1,
                &[
                    DocumentKind::ChemoEducation,
                    DocumentKind::OralChemoEducation,
                ],
                60,
            )
        },
        no,
    )
}

/// Kleene `and` of two unknowable booleans.
fn kleene_and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// Breast stage condition: AJCC stage I–III excluding T1mi/T1a/T1b N0.
// CHOICE: implemented as stage_group prefix I/II/III and NOT (t ∈ {T1mi, T1a, T1b} and
// n = N0), the exclusion in Kleene logic: a missing T or N that leaves the exclusion unknown
// makes the criterion not met; T1 (unspecified) N0 is included. M is not read (stage ≤ III).
fn breast_stage_ok(d: &Diagnosis) -> bool {
    let stage = d
        .stage_group
        .is_some_and(|s| matches!(roman_prefix(s), "I" | "II" | "III"));
    let small_t = d
        .t_category
        .map(|t| matches!(t, TCategory::T1mi | TCategory::T1a | TCategory::T1b));
    let n0 = d.n_category.map(|n| n == NCategory::N0);
    stage && kleene_and(small_t, n0) == Some(false)
}

/// breast.trastuzumab-her2-positive
// CHOICE: no "eligible patient" requirement (the population names none: no office visit,
// no age on period start); the index diagnosis must be a qualifying diagnosis (shared term).
// CHOICE: anchored on the treatment: the index regimen is the earliest cytotoxic regimen with
// setting adjuvant/neoadjuvant and start_date in [period start − 12 months, period end] whose
// regimen's diagnosis is invasive breast, stage-eligible, HER2 positive, with age ≥ 18 at its
// diagnosis_date; the index diagnosis is that regimen's diagnosis.
// CHOICE: HER2 positive = a biomarker of the index diagnosis with name her2 and result
// positive, with no date condition.
// CHOICE: the numerator regimen (anti_her2 agent, start_date in [diagnosis_date,
// diagnosis_date + 12 months]) is any regimen of the patient (not only those linked to the
// index diagnosis); the numerator window ends at diagnosis_date + 12 months.
fn trastuzumab_her2(cx: &Ctx) -> Pops {
    let chart = cx.chart;
    let p = cx.period;
    let birth = chart.patient.birth_date;
    let dx_ok = |d: &Diagnosis| {
        qualifying(d, p.end)
            && d.cancer_type == Some(CancerType::Breast)
            && d.invasive == Some(true)
            && age_on(birth, d.diagnosis_date).is_some_and(|a| a >= 18)
            && breast_stage_ok(d)
            && d.biomarkers.iter().any(|b| {
                b.name == Some(BiomarkerName::Her2) && b.result == Some(BiomarkerResult::Positive)
            })
    };
    let mut idx: Option<(Date, &Diagnosis)> = None;
    if chart.patient.sex == Some(Sex::Female)
        && let Some(lo) = plus_months(p.start, -12)
    {
        for r in &chart.regimens {
            let Some(s) = r.start_date else { continue };
            let candidate = lo <= s
                && s <= p.end
                && idx.is_none_or(|(b, _)| s < b)
                && is_cytotoxic(r)
                && matches!(
                    r.setting,
                    Some(RegimenSetting::Adjuvant | RegimenSetting::Neoadjuvant)
                );
            if !candidate {
                continue;
            }
            if let Some(d) = treatment_dx(chart, r.diagnosis_id.as_ref(), Some(s), p.end)
                && dx_ok(d)
            {
                idx = Some((s, d));
            }
        }
    }
    // The index diagnosis's date and the end of the numerator window.
    let window = idx.and_then(|(_, d)| {
        let dd = d.diagnosis_date?;
        Some((dd, plus_months(dd, 12)?))
    });
    algebra(
        idx.is_some(),
        || chart.patient.transferred_in_after_treatment_start == Some(true),
        || {
            let Some((lo, hi)) = window else { return false };
            chart.regimens.iter().any(|r| {
                r.agents
                    .iter()
                    .any(|a| a.class == Some(AgentClass::AntiHer2))
                    && within(r.start_date, lo, hi)
            })
        },
        || {
            window.is_some_and(|(_, hi)| {
                documented_reason(chart, Action::Her2TargetedTherapy, MEDICAL_OR_REFUSAL, hi)
            })
        },
    )
}

/// colorectal.adjuvant-chemo-stage-iii-colon
// CHOICE: no "eligible patient" requirement beyond what the population names (age 18–79 at
// diagnosis, ≥ 1 office visit in the period); the index diagnosis must be qualifying.
// CHOICE: anchored on the surgery: the index surgery is the earliest (by date; surgeries
// without a date are ignored) colectomy with intent curative whose surgery's diagnosis is
// invasive colon, stage_group prefix III ("node-positive" is read as explanatory, N is not
// tested), diagnosed in [E − 12 months, E] with E = period end − 4 months, aged 18–79 at
// diagnosis, and alive 120 days after diagnosis.
// CHOICE: "alive 120 days after diagnosis" = no death record, or death.date after
// diagnosis_date + 120 days (strictly); a death record without a date is unknown → not met.
// CHOICE: exclusion "stage IV" = stage_group prefix IV or m_category M1/M1a/M1b/M1c of the
// index diagnosis; "second or later primary cancer" = another diagnoses entry (any cancer,
// in situ included, as registry sequence numbers count them) whose diagnosis_date is
// strictly before the index diagnosis's.
// CHOICE: numerator regimens and recommendations are patient-level; window
// [diagnosis_date, diagnosis_date + 120 days], which also bounds the exception's date.
fn adjuvant_colon(cx: &Ctx) -> Pops {
    let chart = cx.chart;
    let p = cx.period;
    let birth = chart.patient.birth_date;
    let window = plus_months(p.end, -4).and_then(|e| Some((plus_months(e, -12)?, e)));
    let dx_ok = |d: &Diagnosis| {
        let Some((lo, hi)) = window else { return false };
        let Some(dd) = d.diagnosis_date else {
            return false;
        };
        let alive = match &chart.death {
            None => true,
            Some(death) => match (death.date, plus_days(dd, 120)) {
                (Some(dod), Some(day120)) => dod > day120,
                _ => false,
            },
        };
        qualifying(d, p.end)
            && d.cancer_type == Some(CancerType::Colon)
            && d.invasive == Some(true)
            && stage_prefix_is(d, "III")
            && lo <= dd
            && dd <= hi
            && age_on(birth, Some(dd)).is_some_and(|a| (18..=79).contains(&a))
            && alive
    };
    let mut idx: Option<(Date, &Diagnosis)> = None;
    if cx.visit_in_period {
        for s in &chart.surgeries {
            let Some(sd) = s.date else { continue };
            if idx.is_some_and(|(b, _)| sd >= b)
                || s.kind != Some(SurgeryKind::Colectomy)
                || s.intent != Some(SurgeryIntent::Curative)
            {
                continue;
            }
            if let Some(d) = treatment_dx(chart, s.diagnosis_id.as_ref(), Some(sd), p.end)
                && dx_ok(d)
            {
                idx = Some((sd, d));
            }
        }
    }
    let index = idx.map(|(_, d)| d);
    let num_window = index.and_then(|d| {
        let dd = d.diagnosis_date?;
        Some((dd, plus_days(dd, 120)?))
    });
    algebra(
        index.is_some(),
        || {
            let Some(d) = index else { return false };
            let stage4 = stage_prefix_is(d, "IV")
                || matches!(
                    d.m_category,
                    Some(MCategory::M1 | MCategory::M1a | MCategory::M1b | MCategory::M1c)
                );
            let later_primary = d.diagnosis_date.is_some_and(|dd| {
                chart
                    .diagnoses
                    .iter()
                    .any(|o| !std::ptr::eq(o, d) && o.diagnosis_date.is_some_and(|od| od < dd))
            });
            stage4
                || later_primary
                || chart.patient.transferred_in_after_treatment_start == Some(true)
        },
        || {
            let Some((lo, hi)) = num_window else {
                return false;
            };
            chart
                .regimens
                .iter()
                .any(|r| is_cytotoxic(r) && within(r.start_date, lo, hi))
                || chart.recommendations.iter().any(|rec| {
                    rec.action == Some(Action::AdjuvantChemotherapy) && within(rec.date, lo, hi)
                })
        },
        || {
            num_window.is_some_and(|(_, hi)| {
                documented_reason(chart, Action::AdjuvantChemotherapy, MEDICAL_OR_REFUSAL, hi)
            })
        },
    )
}

/// Value set "oropharynx", written without dots.
const OROPHARYNX: [&str; 15] = [
    "C01", "C019", "C024", "C051", "C052", "C090", "C091", "C098", "C099", "C100", "C102", "C103",
    "C104", "C108", "C109",
];

/// `code` with every '.' removed equals `target` (no allocation).
fn eq_without_dots(code: &str, target: &str) -> bool {
    code.bytes().filter(|&b| b != b'.').eq(target.bytes())
}

/// primary_site in the oropharynx value set.
// CHOICE: code systems compared exactly ("ICD-O-3", "ICD-10-CM"); codes compared exactly
// after removing dots (no prefix matching: "C01" matches only C01 / C01., not C01.9 — which is
// listed separately).
fn oropharynx_site(d: &Diagnosis) -> bool {
    d.primary_site.as_ref().is_some_and(|c| {
        matches!(c.system.as_str(), "ICD-O-3" | "ICD-10-CM")
            && OROPHARYNX.iter().any(|t| eq_without_dots(&c.code, t))
    })
}

/// other_solid.hn-p16-oropharynx
// CHOICE: index diagnosis = the earliest (by diagnosis_date, ties first listed) qualifying
// diagnosis with head_and_neck, squamous_cell, an oropharynx site and diagnosis_date in
// [period start − 6 months, period end]; the numerator reads only its biomarkers.
fn hn_p16(cx: &Ctx) -> Pops {
    let p = cx.period;
    let mut idx: Option<(Date, &Diagnosis)> = None;
    if cx.eligible
        && let Some(lo) = plus_months(p.start, -6)
    {
        for d in &cx.chart.diagnoses {
            let Some(dd) = d.diagnosis_date else { continue };
            if lo <= dd
                && dd <= p.end
                && idx.is_none_or(|(b, _)| dd < b)
                && qualifying(d, p.end)
                && d.cancer_type == Some(CancerType::HeadAndNeck)
                && d.histology_group == Some(HistologyGroup::SquamousCell)
                && oropharynx_site(d)
            {
                idx = Some((dd, d));
            }
        }
    }
    algebra(
        idx.is_some(),
        no,
        || {
            idx.is_some_and(|(_, d)| {
                d.biomarkers.iter().any(|b| {
                    b.name == Some(BiomarkerName::P16Hpv)
                        && matches!(
                            b.result,
                            Some(BiomarkerResult::Positive | BiomarkerResult::Negative)
                        )
                        && b.result_date.is_some_and(|r| r <= p.end)
                })
            })
        },
        no,
    )
}
