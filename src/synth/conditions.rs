//! Coexisting conditions (HIV, tuberculosis, other immunocompromising states, pain that
//! warrants a work-up for metastasis), immunosuppressive medications and the long-term
//! medications of a typical oncology patient.

use super::context::Ctx;
use super::dates::months;
use crate::chart::{CancerType, Condition, ConditionKind as K, MedicationClass, MedicationPurpose};

/// Records conditions and background medications.
pub(crate) fn record(ctx: &mut Ctx) {
    let birth = ctx.patient.birth;
    let Some(f) = ctx.dx.iter().find(|d| d.primary).copied() else {
        return;
    };
    let adult_since = months(birth, 18 * 12);
    if ctx.g.chance(0.01) {
        let onset = ctx.g.date_in(adult_since, f.date);
        condition(ctx, K::Hiv, onset, None);
    }
    if ctx.g.chance(0.004) {
        let onset = ctx.g.date_in(months(f.date, -36), ctx.end);
        let abatement = ctx.g.chance(0.7).then(|| ctx.g.after(onset, 180, 270));
        condition(ctx, K::Tuberculosis, onset, abatement);
    }
    if ctx.g.chance(0.02) {
        // A solid-organ transplant: immunocompromised, on tacrolimus.
        let onset = ctx.g.date_in(adult_since.min(f.date), f.date);
        condition(ctx, K::ImmunocompromisedState, onset, None);
        let start = ctx.g.after(onset, 0, 14);
        ctx.medication(
            MedicationClass::Other,
            "42316",
            start,
            None,
            Some(MedicationPurpose::Prophylaxis),
            None,
            Some(true),
        );
    } else if ctx.g.chance(0.012) {
        let start = ctx.g.before(f.date, 30, 2000).max(adult_since);
        ctx.medication(
            MedicationClass::SystemicCorticosteroid,
            "8640",
            start,
            None,
            Some(MedicationPurpose::Treatment),
            None,
            Some(true),
        );
    }
    let pain_p = if f.cancer == CancerType::Prostate {
        0.12
    } else {
        0.04
    };
    if ctx.g.chance(pain_p) {
        let onset = ctx.g.after(f.date, 1, 900);
        let abatement = ctx.g.chance(0.4).then(|| ctx.g.after(onset, 14, 120));
        condition(ctx, K::PainWarrantingWorkup, onset, abatement);
    }
    // Long-term medications (antihypertensive, statin, metformin, ...).
    let count = ctx
        .g
        .weighted(&[(0, 40), (1, 30), (2, 20), (3, 10)])
        .unwrap_or(0);
    for _ in 0..count {
        let agent = ctx.g.pick(&["29046", "83367", "6809", "17767", "41493"]);
        let start = ctx.g.before(ctx.first_visit, 30, 3000).max(adult_since);
        ctx.medication(
            MedicationClass::Other,
            agent,
            start,
            None,
            Some(MedicationPurpose::Treatment),
            None,
            None,
        );
    }
}

fn condition(ctx: &mut Ctx, kind: K, onset: crate::Date, abatement: Option<crate::Date>) {
    if onset > ctx.end || onset < ctx.patient.birth {
        return;
    }
    let recorded_onset = ctx.g.chance(0.95).then_some(onset);
    ctx.chart.conditions.push(Condition {
        kind: Some(kind),
        onset_date: recorded_onset,
        abatement_date: abatement
            .filter(|&a| a >= onset && a <= ctx.end && recorded_onset.is_some()),
    });
}
