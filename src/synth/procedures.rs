//! Imaging and procedures: staging (and its overuse in early disease), cardiac function
//! before and during cardiotoxic therapy, bone density on aromatase inhibitors and ADT,
//! colonoscopy, mammography, brain imaging, dental evaluation, response assessment and
//! surveillance imaging (and its overuse).

use super::context::{Ctx, dec, int};
use super::dates::{days, months};
use crate::Date;
use crate::chart::{
    Action, AgentClass as Cls, CancerType as C, ProcedureIndication as I, ProcedureKind as K,
    ProstateRiskGroup as Risk, RadiationTarget, ReferralKind,
};

/// Records the chart's imaging and procedures.
pub(crate) fn record(ctx: &mut Ctx) {
    diagnosis_work_up(ctx);
    regimen_related(ctx);
    follow_up(ctx);
    if ctx.g.chance(0.06) {
        let when = ctx.g.date_in(ctx.first_visit, ctx.end);
        let kind = ctx.g.pick(&[K::CtHead, K::MriOther, K::CtChest, K::Other]);
        ctx.procedure(kind, when, Some(I::SymptomsOrSigns), None);
    }
}

fn lvef(ctx: &mut Ctx) -> crate::Number {
    int(if ctx.g.chance(0.9) {
        ctx.g.int(53, 70)
    } else {
        ctx.g.int(38, 52)
    })
}

fn echo(ctx: &mut Ctx, when: Date, indication: I) {
    let kind = if ctx.g.chance(0.85) {
        K::Echocardiogram
    } else {
        K::Muga
    };
    let value = ctx.g.chance(0.94).then(|| lvef(ctx));
    ctx.procedure(kind, when, Some(indication), value);
}

fn staging_scan(ctx: &mut Ctx, when: Date, indication: I) {
    if ctx.g.chance(0.4) {
        ctx.procedure(K::PetCt, when, Some(indication), None);
    } else {
        ctx.procedure(K::CtChest, when, Some(indication), None);
        if ctx.g.chance(0.9) {
            ctx.procedure(K::CtAbdomenPelvis, when, Some(indication), None);
        }
    }
}

fn diagnosis_work_up(ctx: &mut Ctx) {
    for i in 0..ctx.dx.len() {
        let Some(f) = ctx.dx.get(i).copied() else {
            break;
        };
        if !f.primary {
            continue;
        }
        let when = ctx.g.date_in(days(f.date, -10), days(f.date, 25));
        match f.cancer {
            C::Breast | C::Melanoma if f.level <= 2 => {
                // Advanced imaging of early disease is overuse; some is for symptoms.
                if ctx.bad(if f.cancer == C::Breast { 0.1 } else { 0.08 }) {
                    let when = ctx.g.after(f.date, 1, 150);
                    let kind = ctx
                        .g
                        .pick(&[K::PetCt, K::CtChest, K::CtAbdomenPelvis, K::BoneScan]);
                    ctx.procedure(kind, when, Some(I::Staging), None);
                } else if ctx.g.chance(0.03) {
                    let when = ctx.g.after(f.date, 1, 150);
                    ctx.procedure(K::CtChest, when, Some(I::SymptomsOrSigns), None);
                }
                if f.cancer == C::Breast {
                    if ctx.g.chance(0.7) {
                        let when = ctx.g.before(f.date, 0, 20);
                        ctx.procedure(K::Mammogram, when, Some(I::Screening), None);
                    }
                    if ctx.g.chance(0.2) {
                        let when = ctx.g.after(f.date, 3, 20);
                        ctx.procedure(K::BreastMri, when, Some(I::Staging), None);
                    }
                }
            }
            C::Prostate => {
                let high = matches!(f.prostate_risk, Some(Risk::High | Risk::VeryHigh) | None);
                let low = matches!(f.prostate_risk, Some(Risk::VeryLow | Risk::Low));
                if high && ctx.good(0.85) {
                    let when = ctx.g.after(f.date, 5, 40);
                    ctx.procedure(K::BoneScan, when, Some(I::Staging), None);
                } else if low && ctx.bad(0.1) {
                    let when = ctx.g.after(f.date, 5, 120);
                    ctx.procedure(K::BoneScan, when, Some(I::Staging), None);
                } else if ctx.g.chance(0.04) {
                    let when = ctx.g.after(f.date, 30, 400);
                    let indication = ctx.g.pick(&[I::SymptomsOrSigns, I::OtherMedicalReason]);
                    ctx.procedure(K::BoneScan, when, Some(indication), None);
                }
            }
            C::Nhl | C::HodgkinLymphoma => {} // imaged before treatment, below
            C::Myeloma | C::Leukemia | C::OtherHeme => {
                if ctx.g.chance(0.8) {
                    ctx.procedure(
                        K::BoneMarrowBiopsy,
                        when.max(f.date),
                        Some(I::Staging),
                        None,
                    );
                }
            }
            C::Colon | C::Rectum => {
                if ctx.g.chance(0.7) {
                    let when = ctx.g.before(f.date, 0, 20);
                    ctx.procedure(K::Colonoscopy, when, Some(I::OtherMedicalReason), None);
                }
                if f.level >= 2 && ctx.good(0.85) {
                    staging_scan(ctx, when, I::Staging);
                }
            }
            _ => {
                if f.level >= 2 && f.level <= 4 && ctx.good(if f.level >= 3 { 0.9 } else { 0.7 }) {
                    staging_scan(ctx, when, I::Staging);
                }
            }
        }
        if f.brain_mets || (f.cancer == C::LungNsclc && f.level == 4 && ctx.g.chance(0.6)) {
            let when = ctx.g.after(f.metastasis().unwrap_or(f.date), 0, 21);
            ctx.procedure(K::MriBrain, when, Some(I::Staging), None);
        }
    }
}

fn regimen_related(ctx: &mut Ctx) {
    let mut first_per_dx: Vec<usize> = Vec::new();
    let mut her2_seen = false;
    for i in 0..ctx.rx.len() {
        let Some(rx) = ctx.rx.get(i) else { break };
        let (def, c1, end, dx, non_curative) = (
            rx.def,
            rx.start,
            rx.end,
            rx.dx,
            rx.intent == crate::chart::RegimenIntent::NonCurative,
        );
        if c1 < ctx.care_start || c1 > ctx.end {
            continue;
        }
        let first_for_dx = def.is_chemo() && !first_per_dx.contains(&dx);
        if first_for_dx {
            first_per_dx.push(dx);
        }
        let Some(f) = ctx.dx.get(dx).copied() else {
            continue;
        };
        let lymphoma = matches!(f.cancer, C::Nhl | C::HodgkinLymphoma);
        if def.has(Cls::Anthracycline) && (lymphoma || ctx.g.chance(0.5)) {
            if ctx.good(0.8) {
                let when = ctx.prior(c1, 0, 60);
                echo(ctx, when, I::BaselineBeforeTherapy);
            } else if lymphoma && ctx.g.chance(0.2) {
                let reason = ctx.reason();
                ctx.not_done(Action::LvefAssessment, reason, c1, None);
            }
        }
        if def.has(Cls::AntiHer2) {
            if !her2_seen && ctx.good(0.86) {
                let when = ctx.prior(c1, 0, 75);
                echo(ctx, when, I::BaselineBeforeTherapy);
            }
            her2_seen = true;
            // Monitoring about every three months while on therapy.
            let stop = end.unwrap_or(ctx.end).min(ctx.end);
            let mut when = ctx.g.after(c1, 80, 105);
            while when <= stop {
                if ctx.good(0.75) {
                    echo(ctx, when, I::OtherMedicalReason);
                }
                when = ctx.g.after(when, 80, 110);
            }
        }
        if first_for_dx && lymphoma && ctx.good(0.85) {
            let when = ctx.prior(c1, 0, 45);
            if ctx.g.chance(0.75) {
                ctx.procedure(K::PetCt, when, Some(I::Staging), None);
            } else {
                staging_scan(ctx, when, I::Staging);
            }
        }
        if first_for_dx && f.cancer == C::LungSclc {
            if ctx.good(0.8) {
                let when = ctx.prior(c1, 0, 40);
                let kind = if ctx.g.chance(0.8) {
                    K::MriBrain
                } else {
                    K::CtHead
                };
                ctx.procedure(kind, when, Some(I::Staging), None);
            } else if ctx.g.chance(0.35) {
                // MRI contraindicated (pacemaker, claustrophobia) or declined, documented.
                let reason = if ctx.g.chance(0.5) {
                    crate::chart::ReasonType::Medical
                } else {
                    ctx.reason()
                };
                let date = ctx.prior(c1, 0, 10);
                ctx.not_done(Action::BrainImaging, reason, date, None);
            }
        }
        if def.has(Cls::AromataseInhibitor) {
            if ctx.good(0.62) {
                let when = ctx.g.date_in(months(c1, -20), months(c1, 3));
                let t = ctx.g.int(-35, 10);
                ctx.procedure(
                    K::Dexa,
                    when.max(ctx.first_visit.min(c1)),
                    Some(I::BaselineBeforeTherapy),
                    Some(dec(t, 1)),
                );
            } else if ctx.g.chance(0.2) {
                let date = ctx.g.after(c1, 0, 60);
                let reason = if ctx.g.chance(0.6) {
                    crate::chart::ReasonType::PatientRefusal
                } else {
                    crate::chart::ReasonType::Medical
                };
                ctx.not_done(Action::BoneDensityScan, reason, date, None);
            }
        }
        let long_adt = def.has(Cls::AdtGnrh)
            && ctx
                .chart
                .regimens
                .get(rx_slot(ctx, i))
                .and_then(|r| r.plan.as_ref())
                .and_then(|p| p.planned_duration_months)
                .is_some_and(|m| m >= int(12));
        if long_adt {
            if ctx.good(0.5) {
                let when = ctx.g.date_in(months(c1, -6), months(c1, 3));
                let t = ctx.g.int(-35, 10);
                ctx.procedure(
                    K::Dexa,
                    when.max(f.date),
                    Some(I::BaselineBeforeTherapy),
                    Some(dec(t, 1)),
                );
            } else if ctx.g.chance(0.12) {
                let when = ctx.g.after(c1, 0, 60);
                ctx.recommend(Action::BoneDensityScan, when);
            } else if ctx.g.chance(0.15) {
                let when = ctx.g.after(c1, 0, 60);
                ctx.not_done(
                    Action::BoneDensityScan,
                    crate::chart::ReasonType::PatientRefusal,
                    when,
                    None,
                );
            }
        }
        if non_curative && def.is_chemo() {
            // Response assessment every two to three months.
            let stop = end.unwrap_or(ctx.end).min(ctx.end);
            let mut when = ctx.g.after(c1, 55, 90);
            while when <= stop {
                if ctx.g.chance(0.65) {
                    let kind = ctx.g.pick(&[K::CtChest, K::CtAbdomenPelvis, K::PetCt]);
                    ctx.procedure(kind, when, Some(I::ResponseAssessment), None);
                }
                when = ctx.g.after(when, 60, 95);
            }
        }
    }
    for i in 0..ctx.rt.len() {
        let Some(rt) = ctx.rt.get(i).copied() else {
            break;
        };
        if rt.target == RadiationTarget::HeadNeck
            && rt.intent == crate::chart::RadiationIntent::Curative
        {
            if ctx.good(0.65) {
                let when = ctx.g.before(rt.start, 7, 60);
                ctx.procedure(
                    K::DentalEvaluation,
                    when,
                    Some(I::BaselineBeforeTherapy),
                    None,
                );
            } else if ctx.g.chance(0.3) {
                let when = ctx.g.before(rt.start, 7, 60);
                ctx.refer(ReferralKind::Dental, when);
            }
        }
    }
}

fn rx_slot(ctx: &Ctx, i: usize) -> usize {
    ctx.rx.get(i).map_or(usize::MAX, |r| r.slot)
}

fn follow_up(ctx: &mut Ctx) {
    for i in 0..ctx.dx.len() {
        let Some(f) = ctx.dx.get(i).copied() else {
            break;
        };
        if !f.primary {
            continue;
        }
        let resection = ctx.surgeries.iter().find(|s| s.dx == i).map(|s| s.date);
        match f.cancer {
            C::Colon | C::Rectum => {
                if let Some(s) = resection.filter(|_| f.level <= 3) {
                    if ctx.good(0.72) {
                        let when = ctx.g.after(s, 240, 400);
                        ctx.procedure(
                            K::Colonoscopy,
                            when,
                            Some(I::SurveillanceAsymptomatic),
                            None,
                        );
                    } else if ctx.g.chance(0.2) {
                        let when = ctx.g.after(s, 60, 300);
                        let reason = if ctx.g.chance(0.5) {
                            crate::chart::ReasonType::Medical
                        } else {
                            crate::chart::ReasonType::PatientRefusal
                        };
                        ctx.not_done(Action::Colonoscopy, reason, when, None);
                    }
                }
            }
            C::Breast => {
                if let Some(s) = resection {
                    let mut when = ctx.g.after(s, 180, 400);
                    let until = f.recurrence.unwrap_or(ctx.end).min(ctx.end);
                    while when <= until {
                        if when >= days(ctx.period.start, -1100) && ctx.good(0.8) {
                            ctx.procedure(
                                K::Mammogram,
                                when,
                                Some(I::SurveillanceAsymptomatic),
                                None,
                            );
                        }
                        when = ctx.g.after(when, 330, 400);
                    }
                    if f.level <= 3
                        && f.recurrence.is_none()
                        && s < ctx.period.start
                        && ctx.bad(0.06)
                    {
                        let when = ctx.g.date_in(ctx.period.start, ctx.end);
                        let kind =
                            ctx.g
                                .pick(&[K::CtChest, K::PetCt, K::BoneScan, K::CtAbdomenPelvis]);
                        ctx.procedure(kind, when, Some(I::SurveillanceAsymptomatic), None);
                    }
                }
            }
            C::Nhl | C::HodgkinLymphoma if f.recurrence.is_none() => {
                let last = ctx
                    .rx
                    .iter()
                    .filter(|r| r.dx == i)
                    .filter_map(|r| r.end)
                    .max();
                if let Some(last) = last.filter(|&l| l < months(ctx.period.start, -6))
                    && ctx.bad(0.15)
                {
                    let when = ctx.g.date_in(ctx.period.start, ctx.end);
                    let kind = ctx.g.pick(&[K::PetCt, K::CtChest, K::CtAbdomenPelvis]);
                    if when > last {
                        ctx.procedure(kind, when, Some(I::SurveillanceAsymptomatic), None);
                    }
                }
            }
            _ => {}
        }
    }
}
