//! Assessments: at office visits (pain, performance status, tobacco, emotional well-being and
//! distress, symptoms, adherence), before each cycle (toxicity, neuropathy, weight, height),
//! around regimen starts (geriatric, financial, social, caregiver, VTE risk) and during
//! radiation (mucositis, nutrition, urinary function).

use super::context::{Ctx, int};
use super::dates::{days, months};
use super::facts::Visit;
use super::supportive;
use crate::Date;
use crate::chart::{
    Assessment, AssessmentKind as K, AssessmentScale as Scale, CancerType, DiscussionTopic,
    EmeticRisk, MedicationClass, MedicationPurpose, RadiationModality, RadiationTarget,
    ReferralKind, RegimenIntent, Severity, TobaccoStatus,
};

fn blank(kind: K, date: Date) -> Assessment {
    Assessment {
        kind: Some(kind),
        date: Some(date),
        ..Assessment::default()
    }
}

fn severity_of(score: i64) -> Severity {
    match score {
        ..=0 => Severity::None,
        1..=3 => Severity::Mild,
        4..=6 => Severity::Moderate,
        _ => Severity::Severe,
    }
}

/// Records every assessment of the chart.
pub(crate) fn record(ctx: &mut Ctx) {
    let visits = std::mem::take(&mut ctx.visits);
    let lung = ctx
        .dx
        .iter()
        .any(|d| d.primary && matches!(d.cancer, CancerType::LungNsclc | CancerType::LungSclc));
    let mut state = State {
        lung,
        ..State::default()
    };
    let mut ordinal = 0usize;
    for v in &visits {
        at_visit(ctx, v, ordinal, &mut state);
        if v.counts {
            // At most `visits.len()`: never saturates.
            ordinal = ordinal.saturating_add(1);
        }
    }
    ctx.visits = visits;
    per_cycle(ctx);
    per_regimen(ctx);
    per_radiation(ctx);
}

/// What earlier visits already did.
#[derive(Default)]
struct State {
    /// The cancer is a lung cancer.
    lung: bool,
    opioid_started: bool,
    cessation_offered: bool,
}

fn at_visit(ctx: &mut Ctx, v: &Visit, ordinal: usize, state: &mut State) {
    let date = v.date;
    let chemo = ctx
        .rx
        .iter()
        .rposition(|r| r.def.is_chemo() && r.active_on(date));
    let metastatic = ctx.dx.iter().any(|d| d.primary && d.metastatic_on(date));
    let bone = ctx
        .dx
        .iter()
        .any(|d| d.primary && d.bone_mets && d.metastatic_on(date));
    let near_death = ctx.death.is_some_and(|d| d.date.days_until(date) > -60);
    let early = ordinal <= 1;

    // Pain.
    if ctx.good(0.8) {
        let p = ctx.patient.pain
            + if metastatic { 0.2 } else { 0.0 }
            + if bone { 0.15 } else { 0.0 }
            + if near_death { 0.25 } else { 0.0 };
        let present = ctx.g.chance(p);
        let pain = pain_assessment(ctx, date, present);
        let moderate = matches!(pain.severity, Some(Severity::Moderate | Severity::Severe))
            || pain.score.is_some_and(|s| s >= int(4)) && pain.scale == Some(Scale::Numeric010);
        let planned = pain.plan_documented == Some(true);
        ctx.assess(pain);
        if moderate && planned && !state.opioid_started && ctx.g.chance(0.5) {
            state.opioid_started = true;
            supportive::opioid(ctx, date);
        }
    }
    // Performance status.
    let ps_rate = if chemo.is_some() { 0.45 } else { 0.3 };
    if ctx.g.chance(ctx.practice.good(ps_rate)) {
        let ps = performance_status(ctx, date, near_death);
        ctx.assess(ps);
    }
    // Tobacco use.
    if ctx.good(if ordinal == 0 { 0.88 } else { 0.22 }) {
        tobacco(ctx, date, state);
    }
    // Emotional well-being and distress.
    if ctx.good(if early { 0.6 } else { 0.1 }) {
        emotional(ctx, date);
    }
    if early && ctx.good(0.35) {
        let mut a = blank(K::FamilyCancerHistory, date);
        a.present = Some(ctx.patient.family_history);
        ctx.assess(a);
    }
    if chemo.is_some() && ctx.good(0.5) {
        let mut a = symptom(ctx, K::Fatigue, date, 0.5);
        a.scale = ctx.g.chance(0.6).then_some(Scale::Ctcae);
        ctx.assess(a);
    }
    let lung = state.lung;
    if near_death && ctx.good(0.55) || (lung || metastatic) && ctx.g.chance(0.3) {
        let a = symptom(ctx, K::Dyspnea, date, if near_death { 0.6 } else { 0.3 });
        ctx.assess(a);
    }
    let oral = ctx
        .rx
        .iter()
        .any(|r| r.def.oral_chemo() && r.start < date && r.active_on(date));
    if oral && ctx.good(0.8) {
        let mut a = blank(K::OralAdherence, date);
        a.present = Some(ctx.g.chance(0.9));
        ctx.assess(a);
    }
    if ctx.g.chance(0.5) {
        let mut a = blank(K::Weight, date);
        a.score = Some(ctx.weight());
        ctx.assess(a);
    }
    if chemo.is_none() && !metastatic && ctx.g.chance(0.1) {
        let mut a = blank(K::PhysicalActivity, date);
        a.present = Some(ctx.g.chance(0.6));
        ctx.assess(a);
    }
    if ctx.age_on(date) >= 75 && ctx.g.chance(0.05) {
        let kind = ctx
            .g
            .pick(&[K::FallsScreen, K::MedicationReview, K::CognitiveScreen]);
        ctx.assess(blank(kind, date));
    }
}

#[allow(clippy::arithmetic_side_effects, reason = "pain scores are 0..=10")]
fn pain_assessment(ctx: &mut Ctx, date: Date, present: bool) -> Assessment {
    let g = &mut ctx.g;
    let score = if present {
        match g.int(0, 99) {
            0..=49 => g.int(1, 3),
            50..=84 => g.int(4, 6),
            _ => g.int(7, 10),
        }
    } else {
        0
    };
    let severity = severity_of(score);
    let scale = g
        .weighted(&[
            (Some(Scale::Numeric010), 84),
            (Some(Scale::VerbalDescriptor), 6),
            (Some(Scale::Faces), 2),
            (Some(Scale::None), 6),
            (None, 2),
        ])
        .flatten();
    let (score_rec, severity_rec) = match scale {
        Some(Scale::Numeric010) => (Some(int(score)), g.chance(0.8).then_some(severity)),
        Some(Scale::Faces) => (Some(int(score / 2 * 2)), g.chance(0.7).then_some(severity)),
        Some(Scale::VerbalDescriptor) => (None, Some(severity)),
        _ => (None, g.chance(0.5).then_some(severity)),
    };
    let plan = match severity {
        Severity::Moderate | Severity::Severe => {
            if g.chance(0.05) {
                None
            } else {
                Some(g.chance(ctx.practice.good(0.8)))
            }
        }
        Severity::Mild => g.chance(0.6).then(|| g.chance(0.35)),
        Severity::None => g.chance(0.1).then_some(false),
    };
    Assessment {
        kind: Some(K::Pain),
        date: Some(date),
        scale,
        score: score_rec,
        severity: severity_rec,
        present: g.chance(0.97).then_some(present),
        plan_documented: plan,
        tobacco_status: None,
    }
}

#[allow(
    clippy::arithmetic_side_effects,
    reason = "ECOG grades are 0..=4 and the worsening 0..=2"
)]
fn performance_status(ctx: &mut Ctx, date: Date, near_death: bool) -> Assessment {
    let g = &mut ctx.g;
    let worse = if near_death {
        g.int(1, 2)
    } else {
        i64::from(g.chance(0.15))
    };
    let ecog = (i64::from(ctx.patient.ecog) + worse).min(4);
    let scale = g
        .weighted(&[(Scale::Ecog, 85), (Scale::Karnofsky, 12), (Scale::None, 3)])
        .unwrap_or(Scale::Ecog);
    let score = match scale {
        Scale::Ecog => Some(int(ecog)),
        Scale::Karnofsky => Some(int((100 - 20 * ecog - 10 * g.int(0, 1)).clamp(10, 100))),
        _ => None,
    };
    Assessment {
        kind: Some(K::PerformanceStatus),
        date: Some(date),
        scale: Some(scale),
        score: score.filter(|_| g.chance(0.97)),
        ..Assessment::default()
    }
}

fn tobacco(ctx: &mut Ctx, date: Date, state: &mut State) {
    let status = match ctx.g.int(0, 99) {
        0..=2 => Some(TobaccoStatus::Unknown),
        3..=4 => None,
        _ => Some(ctx.patient.tobacco),
    };
    let mut a = blank(K::TobaccoUse, date);
    a.tobacco_status = status;
    a.present = status.map(|s| s == TobaccoStatus::Current);
    ctx.assess(a);
    if status != Some(TobaccoStatus::Current) || state.cessation_offered {
        return;
    }
    state.cessation_offered = true;
    if ctx.g.chance(0.03) {
        ctx.not_done(
            crate::chart::Action::SmokingCessation,
            crate::chart::ReasonType::Medical,
            date,
            None,
        );
        return;
    }
    if ctx.good(0.55) {
        let when = ctx.g.after(date, 0, 14);
        ctx.discuss(DiscussionTopic::TobaccoCessation, when);
    }
    if ctx.good(0.3) {
        let when = ctx.g.after(date, 0, 30);
        ctx.refer(ReferralKind::TobaccoCessation, when);
    }
    if ctx.g.chance(ctx.practice.good(0.18)) {
        let when = ctx.g.after(date, 0, 30);
        let agent = if ctx.g.chance(0.6) { "591622" } else { "7407" };
        let stop = ctx.g.after(when, 60, 120);
        ctx.medication(
            MedicationClass::TobaccoCessationPharmacotherapy,
            agent,
            when,
            Some(stop),
            Some(MedicationPurpose::Treatment),
            None,
            None,
        );
    }
}

fn emotional(ctx: &mut Ctx, date: Date) {
    let positive = ctx.g.chance(ctx.patient.distress);
    let kind = ctx
        .g
        .weighted(&[
            (K::DistressScreen, 45),
            (K::EmotionalWellbeing, 25),
            (K::DepressionScreen, 20),
            (K::AnxietyScreen, 10),
        ])
        .unwrap_or(K::DistressScreen);
    let g = &mut ctx.g;
    let (scale, score) = match kind {
        K::DistressScreen => (
            Scale::NccnDistressThermometer,
            if positive { g.int(4, 10) } else { g.int(0, 3) },
        ),
        K::DepressionScreen if g.chance(0.4) => (
            Scale::Phq2,
            if positive { g.int(3, 6) } else { g.int(0, 2) },
        ),
        K::DepressionScreen => (
            Scale::Phq9,
            if positive { g.int(10, 27) } else { g.int(0, 9) },
        ),
        K::AnxietyScreen => (
            Scale::Gad7,
            if positive { g.int(10, 21) } else { g.int(0, 9) },
        ),
        _ => (
            if g.chance(0.5) {
                Scale::None
            } else {
                Scale::Other
            },
            -1,
        ),
    };
    let plan = if positive {
        g.chance(0.8).then(|| g.chance(ctx.practice.good(0.6)))
    } else {
        None
    };
    let score = (score >= 0 && ctx.g.chance(0.96)).then(|| int(score));
    let present = ctx.g.chance(0.95).then_some(positive);
    ctx.assess(Assessment {
        kind: Some(kind),
        date: Some(date),
        scale: Some(scale),
        score,
        present,
        plan_documented: plan,
        ..Assessment::default()
    });
    if !positive {
        return;
    }
    if ctx.good(0.35) {
        let kind = if ctx.g.chance(0.6) {
            ReferralKind::Psychosocial
        } else {
            ReferralKind::SocialWork
        };
        let when = ctx.g.after(date, 0, 30);
        ctx.refer(kind, when);
    }
    if ctx.good(0.35) {
        let when = ctx.g.after(date, 0, 30);
        ctx.discuss(DiscussionTopic::EmotionalSupport, when);
    }
    if scale == Scale::Phq9 && ctx.g.chance(0.3) {
        let when = ctx.g.after(date, 0, 30);
        ctx.medication(
            MedicationClass::AntidepressantAnxiolytic,
            "36437",
            when,
            None,
            Some(MedicationPurpose::Treatment),
            None,
            None,
        );
    }
    if ctx.g.chance(0.08) {
        let when = ctx.g.after(date, 0, 30);
        ctx.refer(ReferralKind::FinancialNavigation, when);
    }
}

fn symptom(ctx: &mut Ctx, kind: K, date: Date, p_present: f64) -> Assessment {
    let g = &mut ctx.g;
    let present = g.chance(p_present);
    let severity = if present {
        g.weighted(&[
            (Severity::Mild, 55),
            (Severity::Moderate, 35),
            (Severity::Severe, 10),
        ])
        .unwrap_or(Severity::Mild)
    } else {
        Severity::None
    };
    let plan = present.then(|| g.chance(ctx.practice.good(0.6)));
    Assessment {
        kind: Some(kind),
        date: Some(date),
        severity: g.chance(0.8).then_some(severity),
        present: Some(present),
        plan_documented: plan,
        ..Assessment::default()
    }
}

/// Assessments before each cycle.
fn per_cycle(ctx: &mut Ctx) {
    for c in 0..ctx.cycles.len() {
        let Some(cycle) = ctx.cycles.get(c).copied() else {
            break;
        };
        let Some(rx) = ctx.rx.get(cycle.rx) else {
            continue;
        };
        let (def, first_cycle) = (rx.def, rx.first_cycle);
        if cycle.date < ctx.care_start || !def.is_chemo() || cycle.date > ctx.end {
            continue;
        }
        // Long continuous courses: only the recent cycles matter to the chart.
        if def.continuous && cycle.date < days(ctx.period.start, -400) {
            continue;
        }
        let weekly = def.cycle_days <= 7;
        if cycle.number == 1 {
            if def.is_cytotoxic() {
                if ctx.good(0.88) {
                    let when = ctx.g.before(cycle.date, 0, 6);
                    let mut a = blank(K::Weight, when);
                    a.score = Some(ctx.weight());
                    ctx.assess(a);
                }
                if ctx.good(0.85) {
                    let when = ctx
                        .g
                        .before(cycle.date, 0, 30)
                        .max(ctx.first_visit.min(cycle.date));
                    let mut a = blank(K::Height, when);
                    a.score = Some(int(ctx.patient.height));
                    ctx.assess(a);
                }
                if ctx.good(0.7) {
                    let mut a = blank(K::BodySurfaceArea, cycle.date);
                    a.score = Some(ctx.bsa());
                    ctx.assess(a);
                }
            }
            continue;
        }
        if weekly && cycle.number % 3 != 1 {
            continue;
        }
        if ctx.good(0.78) {
            let when = ctx.g.before(cycle.date, 0, 2);
            let mut a = blank(K::TreatmentToxicity, when);
            a.scale = Some(Scale::Ctcae);
            a.score = Some(int(ctx
                .g
                .weighted(&[(0, 50), (1, 35), (2, 12), (3, 3)])
                .unwrap_or(0)));
            a.present = a.score.map(|s| s > int(0));
            ctx.assess(a);
        }
        if def.neurotoxic() && ctx.good(0.7) {
            let when = ctx.g.before(cycle.date, 0, 5);
            let grade = ctx
                .g
                .weighted(&[(0, 60), (1, 30), (2, 9), (3, 1)])
                .unwrap_or(0);
            let mut a = blank(K::Neuropathy, when);
            a.scale = Some(Scale::Ctcae);
            a.score = Some(int(grade));
            a.present = Some(grade > 0);
            ctx.assess(a);
        }
        if cycle.number == 2
            && matches!(def.emetic, EmeticRisk::High | EmeticRisk::Moderate)
            && ctx.good(0.65)
        {
            let c1 = ctx.cycles.get(first_cycle).map_or(cycle.date, |c| c.date);
            let when = ctx.g.date_in(days(c1, 1), cycle.date);
            let a = symptom(ctx, K::NauseaVomiting, when, 0.4);
            ctx.assess(a);
        }
        if def.has_any(&[
            crate::chart::AgentClass::Irinotecan,
            crate::chart::AgentClass::Fluoropyrimidine,
        ]) && ctx.g.chance(0.3)
        {
            let a = symptom(ctx, K::Diarrhea, cycle.date, 0.35);
            ctx.assess(a);
        }
    }
}

/// Assessments around the start of each chemotherapy regimen.
fn per_regimen(ctx: &mut Ctx) {
    for i in 0..ctx.rx.len() {
        let Some(rx) = ctx.rx.get(i) else { break };
        let (def, start, intent, dx) = (rx.def, rx.start, rx.intent, rx.dx);
        if !def.is_chemo() || start < ctx.care_start || start > ctx.end {
            continue;
        }
        let non_curative = intent == RegimenIntent::NonCurative;
        if ctx.good(if non_curative { 0.82 } else { 0.6 }) {
            let when = ctx.prior(start, 0, 30);
            let near_death = ctx.death.is_some_and(|d| d.date.days_until(when) > -60);
            let ps = performance_status(ctx, when, near_death);
            ctx.assess(ps);
        }
        if ctx.age_on(start) >= 65 {
            for (kind, base, scale) in [
                (K::GeriatricAssessment, 0.25, Some(Scale::G8)),
                (K::FallsScreen, 0.4, Some(Scale::TimedUpAndGo)),
                (K::CognitiveScreen, 0.35, Some(Scale::MiniCog)),
                (K::MedicationReview, 0.45, None),
            ] {
                if ctx.good(base) {
                    let when = ctx.prior(start, 0, 55);
                    let mut a = blank(kind, when);
                    a.scale = scale.filter(|_| ctx.g.chance(0.8));
                    a.present = Some(ctx.g.chance(0.3));
                    ctx.assess(a);
                }
            }
            if ctx.good(0.25) {
                let when = ctx.prior(start, 0, 28);
                let mut a = blank(K::ChemoToxicityRisk, when);
                let carg = ctx.g.chance(0.7);
                a.scale = Some(if carg { Scale::Carg } else { Scale::Crash });
                a.score = ctx.g.chance(0.95).then(|| {
                    int(if carg {
                        ctx.g.int(0, 19)
                    } else {
                        ctx.g.int(0, 12)
                    })
                });
                ctx.assess(a);
            }
        }
        if ctx.good(0.4) {
            let when = ctx.g.date_in(days(start, -30), days(start, 30));
            let mut a = blank(K::FinancialToxicity, when);
            a.present = Some(ctx.g.chance(0.3));
            ctx.assess(a);
        }
        if ctx.good(0.45) {
            let when = ctx.prior(start, 0, 85);
            let mut a = blank(K::SocialNeeds, when);
            a.present = Some(ctx.g.chance(0.25));
            ctx.assess(a);
        }
        if non_curative && ctx.good(0.4) {
            let when = ctx.g.after(start, 0, 55);
            let mut a = blank(K::Caregiver, when);
            a.present = Some(ctx.g.chance(0.8));
            ctx.assess(a);
        }
        let solid = ctx.dx.get(dx).is_some_and(|d| !d.heme());
        if non_curative && solid && ctx.good(0.35) {
            let when = ctx.prior(start, 0, 28);
            let mut a = blank(K::VteRisk, when);
            a.scale = Some(if ctx.g.chance(0.8) {
                Scale::Khorana
            } else {
                Scale::Other
            });
            a.score = Some(int(ctx.g.int(0, 4)));
            ctx.assess(a);
        }
        let myeloma = ctx
            .dx
            .get(dx)
            .is_some_and(|d| d.cancer == CancerType::Myeloma);
        if myeloma && ctx.age_on(start) <= 75 && ctx.good(0.6) {
            let when = ctx.g.date_in(days(start, -60), days(start, 60));
            let mut a = blank(K::TransplantEligibility, when);
            a.present = Some(ctx.age_on(start) <= 70);
            ctx.assess(a);
        }
    }
}

/// Assessments during and after radiation.
fn per_radiation(ctx: &mut Ctx) {
    for i in 0..ctx.rt.len() {
        let Some(rt) = ctx.rt.get(i).copied() else {
            break;
        };
        let last = rt.end.unwrap_or(ctx.end).min(ctx.end);
        // Weekly on-treatment management, with a pain assessment.
        let mut week = rt.start;
        while week <= last {
            if ctx.good(0.6) {
                let when = ctx.g.date_in(week, days(week, 4).min(last));
                let present = ctx.g.chance(ctx.patient.pain + 0.1);
                let a = pain_assessment(ctx, when, present);
                ctx.assess(a);
            }
            if rt.target == RadiationTarget::HeadNeck && ctx.good(0.72) {
                let when = ctx.g.date_in(week, days(week, 6).min(last));
                let a = symptom(ctx, K::Mucositis, when, 0.6);
                ctx.assess(a);
            }
            week = days(week, 7);
        }
        if rt.target == RadiationTarget::HeadNeck && ctx.good(0.75) {
            let when = ctx.g.date_in(days(rt.start, -14), last);
            let mut a = blank(K::Nutrition, when);
            a.present = Some(ctx.g.chance(0.5));
            ctx.assess(a);
        }
        let brachy = matches!(
            rt.modality,
            RadiationModality::BrachytherapyLdr | RadiationModality::BrachytherapyHdr
        );
        if rt.target == RadiationTarget::Prostate
            && brachy
            && let Some(end) = rt.end.filter(|_| ctx.good(0.55))
        {
            let when = ctx.g.date_in(months(end, 1), months(end, 6));
            let mut a = blank(K::UrinaryFunction, when);
            let ipss = ctx.g.chance(0.7);
            a.scale = Some(if ipss { Scale::Ipss } else { Scale::Epic26 });
            a.score = ctx.g.chance(0.95).then(|| {
                int(if ipss {
                    ctx.g.int(0, 25)
                } else {
                    ctx.g.int(40, 100)
                })
            });
            ctx.assess(a);
        }
    }
}
