//! Care-planning documents and conversations: consent, education and emergency instructions
//! before treatment; intent, fertility and contraception discussions; consult notes,
//! tumour boards, treatment summaries and survivorship care plans; advance care planning.

use super::context::Ctx;
use super::dates::days;
use crate::Date;
use crate::chart::{
    Action, DiscussionTopic as T, DocumentKind as D, RadiationIntent, RadiationTarget,
    Recipient as To, RegimenIntent, SurgeryIntent,
};

/// Records the chart's documents and discussions.
pub(crate) fn record(ctx: &mut Ctx) {
    first_visit(ctx);
    before_treatment(ctx);
    fertility(ctx);
    after_curative_treatment(ctx);
    advance_care_planning(ctx);
}

fn first_visit(ctx: &mut Ctx) {
    let fv = ctx.first_visit;
    if ctx.good(0.75) {
        let date = ctx.g.after(fv, 0, 3);
        let to: &[To] = match ctx.g.int(0, 9) {
            0..=5 => &[To::ReferringPhysician],
            6..=7 => &[To::ReferringPhysician, To::PrimaryCare],
            _ => &[To::PrimaryCare],
        };
        let sent = if ctx.good(0.85) {
            ctx.g.after(date, 0, 25)
        } else {
            ctx.g.after(date, 31, 60)
        };
        ctx.document(D::ConsultNote, date, None, to, Some(sent));
    }
    if ctx.g.chance(0.08) {
        let date = ctx.g.date_in(fv, ctx.end);
        ctx.discuss(T::Financial, date);
    }
}

fn before_treatment(ctx: &mut Ctx) {
    for i in 0..ctx.rx.len() {
        let Some(rx) = ctx.rx.get(i) else { break };
        let (def, c1, id) = (rx.def, rx.start, rx.id.clone());
        if !def.is_chemo() || c1 < ctx.care_start || c1 > ctx.end {
            continue;
        }
        if ctx.good(0.88) {
            let date = match ctx.g.int(0, 99) {
                0..=89 => ctx.prior(c1, 1, 30),
                90..=92 => ctx.prior(c1, 91, 130),
                _ => ctx.g.after(c1, 1, 10),
            };
            let regimen = id.clone().filter(|_| ctx.g.chance(0.88));
            ctx.document(D::ChemotherapyConsent, date, regimen, &[], None);
        }
        let oral = def.oral_chemo();
        if ctx.good(if oral { 0.75 } else { 0.8 }) {
            let kind = if oral {
                D::OralChemoEducation
            } else {
                D::ChemoEducation
            };
            let date = ctx.prior(c1, 0, if oral { 28 } else { 45 });
            let regimen = id.clone().filter(|_| ctx.g.chance(0.7));
            ctx.document(kind, date, regimen, &[To::Patient], Some(date));
        }
        if ctx.good(0.6) {
            let date = ctx.prior(c1, 0, 14);
            ctx.document(
                D::EmergencyContactInstructions,
                date,
                None,
                &[To::Patient],
                Some(date),
            );
        }
        if def.ici() {
            if ctx.good(0.55) {
                let date = ctx.prior(c1, 0, 28);
                ctx.document(
                    D::IraeEducation,
                    date,
                    id.clone(),
                    &[To::Patient],
                    Some(date),
                );
            }
            if ctx.good(0.4) {
                let date = ctx.prior(c1, 0, 28);
                ctx.discuss(T::IraeSymptoms, date);
            }
        }
        if ctx.good(0.72) {
            let date = ctx.prior(c1, 1, 45);
            ctx.discuss(T::IntentOfTherapy, date);
        }
        if ctx.good(0.7) {
            let date = ctx.prior(c1, 1, 45);
            ctx.discuss(T::TreatmentRisksBenefits, date);
        }
        if ctx.g.chance(0.08) {
            let date = ctx.prior(c1, 1, 60);
            ctx.discuss(T::ClinicalTrial, date);
        }
    }
    // Tumour board before the first treatment of stage II-IV solid tumours.
    for i in 0..ctx.dx.len() {
        let Some(f) = ctx.dx.get(i).copied() else {
            break;
        };
        if !f.primary || f.heme() || !(2..=4).contains(&f.level) {
            continue;
        }
        if let Some(first) = first_treatment(ctx, i)
            && ctx.good(0.5)
        {
            let date = ctx.g.date_in(f.date, days(first, -1));
            ctx.document(D::TumorBoardReview, date, None, &[], None);
        }
    }
}

/// The earliest surgery (other than diagnostic), radiation start or regimen start of a
/// diagnosis.
fn first_treatment(ctx: &Ctx, dx: usize) -> Option<Date> {
    let surgery = ctx
        .surgeries
        .iter()
        .filter(|s| s.dx == dx && s.intent != SurgeryIntent::Diagnostic)
        .map(|s| s.date);
    let rt = ctx.rt.iter().filter(|r| r.dx == dx).map(|r| r.start);
    let rx = ctx.rx.iter().filter(|r| r.dx == dx).map(|r| r.start);
    surgery.chain(rt).chain(rx).min()
}

fn fertility(ctx: &mut Ctx) {
    let chemo = ctx
        .rx
        .iter()
        .filter(|r| r.def.is_chemo())
        .map(|r| r.start)
        .min();
    let pelvic = ctx
        .rt
        .iter()
        .filter(|r| r.target == RadiationTarget::Pelvis)
        .map(|r| r.start)
        .min();
    let Some(index) = chemo.into_iter().chain(pelvic).min() else {
        return;
    };
    if index < ctx.care_start || index > ctx.end {
        return;
    }
    let age = ctx.age_on(index);
    if (18..=45).contains(&age) {
        if ctx.good(0.5) {
            let date = ctx.g.before(index, 1, 40);
            ctx.discuss(T::InfertilityRisk, date);
        }
        if ctx.good(0.35) {
            let date = ctx.g.before(index, 1, 40);
            ctx.discuss(T::FertilityPreservation, date);
        } else if ctx.good(0.15) {
            let date = ctx.g.before(index, 1, 40);
            ctx.refer(crate::chart::ReferralKind::FertilitySpecialist, date);
        } else if ctx.g.chance(0.1) {
            let date = ctx.g.before(index, 0, 14);
            ctx.not_done(
                Action::FertilityReferral,
                crate::chart::ReasonType::Medical,
                date,
                None,
            );
        }
    }
    let male = ctx.patient.sex == crate::chart::Sex::Male;
    if let Some(c1) =
        chemo.filter(|_| (18..=55).contains(&age) && (ctx.patient.can_conceive || male))
        && ctx.good(0.45)
    {
        let date = ctx.prior(c1, 0, 55);
        ctx.discuss(T::Contraception, date);
    }
}

/// Treatment summaries after curative chemotherapy, survivorship care after curative
/// treatment of each cancer.
fn after_curative_treatment(ctx: &mut Ctx) {
    for i in 0..ctx.rx.len() {
        let Some(rx) = ctx.rx.get(i) else { break };
        let (def, end, intent) = (rx.def, rx.end, rx.intent);
        let Some(end) = end.filter(|_| def.is_chemo() && intent == RegimenIntent::Curative) else {
            continue;
        };
        if ctx.good(0.55) {
            let date = if ctx.g.chance(0.9) {
                ctx.g.after(end, 0, 80)
            } else {
                ctx.g.after(end, 95, 150)
            };
            summary(ctx, D::TreatmentSummary, date);
        }
    }
    for i in 0..ctx.dx.len() {
        let Some(f) = ctx.dx.get(i).copied() else {
            break;
        };
        if !f.primary || f.recurrence.is_some() || f.level > 3 {
            continue;
        }
        let Some(done) = curative_end(ctx, i) else {
            continue;
        };
        if ctx.good(0.35) {
            let date = ctx.g.after(done, 0, 170);
            summary(ctx, D::SurvivorshipCarePlan, date);
        }
        if ctx.good(0.35) {
            let date = ctx.g.date_in(days(done, -30), days(done, 180));
            ctx.discuss(T::LateEffects, date);
        }
        if ctx.good(0.45) {
            let date = ctx.g.after(done, 0, 180);
            ctx.discuss(T::SurveillancePlan, date);
        }
        if ctx.good(0.3) {
            let date = ctx.g.after(done, 0, 360);
            ctx.discuss(T::PhysicalActivity, date);
        }
    }
}

fn summary(ctx: &mut Ctx, kind: D, date: Date) {
    let mut to: Vec<To> = Vec::with_capacity(3);
    if ctx.good(0.8) {
        to.push(To::Patient);
    }
    if ctx.good(0.7) {
        to.push(To::PrimaryCare);
    } else if ctx.g.chance(0.3) {
        to.push(To::ReferringPhysician);
    }
    if ctx.g.chance(0.15) {
        to.push(To::OtherTreatingPhysician);
    }
    let sent = ctx.g.after(date, 0, 14);
    ctx.document(kind, date, None, &to, Some(sent));
}

/// The curative treatment end of a diagnosis (shared term): the latest curative surgery,
/// curative radiation end and curative chemotherapy end; none while a course is ongoing.
pub(crate) fn curative_end(ctx: &Ctx, dx: usize) -> Option<Date> {
    let mut last: Option<Date> = None;
    for s in ctx
        .surgeries
        .iter()
        .filter(|s| s.dx == dx && s.intent == SurgeryIntent::Curative)
    {
        last = last.max(Some(s.date));
    }
    for r in ctx
        .rt
        .iter()
        .filter(|r| r.dx == dx && r.intent == RadiationIntent::Curative)
    {
        last = last.max(Some(r.end?));
    }
    for r in ctx
        .rx
        .iter()
        .filter(|r| r.dx == dx && r.intent == RegimenIntent::Curative && r.def.is_chemo())
    {
        last = last.max(Some(r.end?));
    }
    last
}

fn advance_care_planning(ctx: &mut Ctx) {
    let metastatic = ctx
        .dx
        .iter()
        .filter(|d| d.primary)
        .filter_map(|d| d.metastasis())
        .min();
    if let Some(m) = metastatic {
        if ctx.good(0.35) {
            let date = ctx.g.after(m, 0, 300);
            let kind = ctx.g.pick(&[
                D::AdvanceDirective,
                D::AdvanceDirective,
                D::HealthcareProxy,
                D::Polst,
            ]);
            ctx.document(kind, date, None, &[], None);
        }
        if ctx.good(0.45) {
            let date = ctx.g.after(m, 7, 240);
            let topic = if ctx.g.chance(0.75) {
                T::GoalsOfCare
            } else {
                T::CodeStatus
            };
            ctx.discuss(topic, date);
        }
        if ctx.good(0.25) {
            let date = ctx.g.after(m, 7, 240);
            ctx.discuss(T::AdvanceDirective, date);
        }
        if ctx.good(0.2) {
            let date = ctx.g.after(m, 14, 300);
            ctx.refer(crate::chart::ReferralKind::PalliativeCare, date);
        }
    } else if ctx.age_on(ctx.first_visit) >= 65 && ctx.g.chance(0.15) {
        let date = ctx.g.date_in(ctx.first_visit, ctx.end);
        ctx.document(D::AdvanceDirective, date, None, &[], None);
    }
}
