//! The end of life: who dies in the period (about 15% of charts, mostly with metastatic
//! disease), whether systemic therapy continues into the last two weeks, hospice enrolment
//! and its timing, place of death, ICU and ED use in the last month, and end-of-life
//! conversations.

use super::context::Ctx;
use super::dates::{days, months};
use super::facts::DeathPlan;
use crate::chart::{
    Death, DiscussionTopic, DocumentKind, EncounterKind, PlaceOfDeath as Place, ProviderRole,
    ReferralKind,
};

/// Decides whether and when the patient dies; sets the chart's last recordable date and the
/// last date of systemic therapy.
pub(crate) fn plan(ctx: &mut Ctx) {
    let period = ctx.period;
    let Some(f) = ctx.dx.iter().find(|d| d.primary).copied() else {
        return;
    };
    let metastatic = f.metastasis().is_some_and(|m| m <= period.end);
    let p = if ctx.patient.pediatric {
        0.02
    } else if metastatic {
        0.52
    } else if f.heme() {
        0.12
    } else {
        0.045
    };
    if !ctx.g.chance(p) {
        return;
    }
    let mut lower = period
        .start
        .max(days(ctx.first_visit, 21))
        .max(days(f.date, 30));
    if let Some(m) = f.metastasis() {
        lower = lower.max(days(m, 30));
    }
    for d in &ctx.dx {
        lower = lower.max(d.date);
    }
    if lower > period.end {
        return;
    }
    let date = ctx.g.date_in(lower, period.end);
    let cancer = ctx.g.chance(if metastatic {
        0.93
    } else if f.heme() {
        0.8
    } else {
        0.35
    });
    let eol_therapy = ctx.bad(0.23);
    let treat_stop = if eol_therapy {
        ctx.g.before(date, 0, 12)
    } else {
        ctx.g.before(date, 15, 80)
    };
    let hospice = if ctx
        .g
        .chance(if cancer { ctx.practice.good(0.56) } else { 0.2 })
    {
        let stay = match ctx.g.int(0, 99) {
            0..=11 => ctx.g.int(0, 2),
            12..=27 => ctx.g.int(3, 7),
            28..=67 => ctx.g.int(8, 30),
            _ => ctx.g.int(31, 120),
        };
        let longest = treat_stop.days_until(date).saturating_sub(1);
        Some(days(date, stay.min(longest.max(0)).saturating_neg()))
    } else {
        None
    };
    ctx.death = Some(DeathPlan {
        date,
        cancer,
        hospice,
        eol_therapy,
    });
    ctx.end = date;
    ctx.treat_stop = treat_stop.max(f.date);
    ctx.phase_stop = date;
}

/// Records the death and the care around it.
pub(crate) fn record(ctx: &mut Ctx) {
    let Some(plan) = ctx.death else { return };
    let death = plan.date;
    let place = if plan.hospice.is_some() {
        ctx.g.weighted(&[
            (Place::Home, 55),
            (Place::HospiceInpatientFacility, 35),
            (Place::NursingFacility, 10),
        ])
    } else {
        ctx.g.weighted(&[
            (Place::AcuteCareHospital, 40),
            (Place::Icu, 12),
            (Place::EmergencyDepartment, 3),
            (Place::Home, 25),
            (Place::NursingFacility, 12),
            (Place::Other, 4),
            (Place::Unknown, 4),
        ])
    }
    .unwrap_or(Place::Unknown);
    ctx.chart.death = Some(Death {
        date: Some(death),
        cause_is_cancer: if ctx.g.chance(0.97) {
            Some(plan.cancer)
        } else {
            None
        },
        place: ctx.g.chance(0.95).then_some(place),
        hospice_enrollment_date: plan.hospice,
    });

    // Acute care in the last month.
    let died_in_hospital = matches!(place, Place::AcuteCareHospital | Place::Icu);
    let admissions: i32 = if died_in_hospital {
        ctx.g.weighted(&[(1, 75), (2, 25)]).unwrap_or(1)
    } else {
        ctx.g.weighted(&[(0, 62), (1, 28), (2, 10)]).unwrap_or(0)
    };
    for k in 0..admissions {
        let last = k.checked_add(1) == Some(admissions);
        let date = ctx
            .g
            .before(death, if last && died_in_hospital { 0 } else { 5 }, 30);
        let discharge = if last && died_in_hospital {
            None
        } else {
            Some(ctx.g.after(date, 1, 4).min(death))
        };
        ctx.encounter(
            EncounterKind::InpatientAdmission,
            date,
            discharge,
            Some(ProviderRole::Physician),
            false,
        );
        if place == Place::Icu && last || ctx.bad(0.06) {
            let icu_out = discharge.map(|d| d.min(ctx.g.after(date, 1, 3)));
            ctx.encounter(
                EncounterKind::IcuAdmission,
                date,
                icu_out,
                Some(ProviderRole::Physician),
                false,
            );
        }
    }
    let more_ed_visits: i32 = ctx.g.weighted(&[(0, 70), (1, 20), (2, 10)]).unwrap_or(0);
    let ed_visits = more_ed_visits.saturating_add(i32::from(place == Place::EmergencyDepartment));
    for _ in 0..ed_visits {
        let date = ctx.g.before(death, 0, 30);
        ctx.encounter(
            EncounterKind::EdVisit,
            date,
            None,
            Some(ProviderRole::Physician),
            false,
        );
    }

    // Hospice and palliative care.
    if let Some(h) = plan.hospice
        && ctx.g.chance(0.6)
    {
        let referral = ctx.g.before(h, 0, 10);
        ctx.refer(ReferralKind::Hospice, referral);
    }
    if plan.cancer && ctx.good(0.18) {
        let date = ctx.g.before(death, 10, 150);
        ctx.refer(ReferralKind::PalliativeCare, date);
    }
    if ctx.good(0.6) {
        let date = ctx.g.date_in(months(death, -2), death);
        let topic = if ctx.g.chance(0.6) {
            DiscussionTopic::Hospice
        } else {
            DiscussionTopic::PalliativeCare
        };
        ctx.discuss(topic, date);
    }
    if ctx.good(0.45) {
        let date = ctx.g.before(death, 31, 150);
        let topic = if ctx.g.chance(0.7) {
            DiscussionTopic::GoalsOfCare
        } else {
            DiscussionTopic::CodeStatus
        };
        ctx.discuss(topic, date);
    }
    if ctx.good(0.4) {
        let date = ctx.g.before(death, 31, 400);
        let kind = ctx.g.pick(&[
            DocumentKind::AdvanceDirective,
            DocumentKind::HealthcareProxy,
            DocumentKind::Polst,
        ]);
        if date >= ctx.first_visit.min(death) {
            ctx.document(kind, date, None, &[], None);
        } else if ctx.g.chance(0.5) {
            ctx.discuss(DiscussionTopic::AdvanceDirective, ctx.first_visit.max(date));
        }
    }
}
