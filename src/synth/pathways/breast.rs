//! Breast cancer: surgery, (neo)adjuvant chemotherapy by subtype, HER2-targeted therapy to a
//! year, radiation after breast conservation, endocrine therapy; lines by subtype when
//! metastatic.

use super::{Line, offer};
use crate::Date;
use crate::chart::{
    Action, NCategory, RadiationIntent, RadiationModality, RadiationTarget, ReasonType,
    RegimenIntent, RegimenSetting, SurgeryIntent, SurgeryKind, TCategory,
};
use crate::synth::agents::*;
use crate::synth::context::{Ctx, int};
use crate::synth::facts::DxFacts;
use crate::synth::therapy::RegimenSpec;

pub(super) fn curative(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let age = ctx.age_on(f.date);
    if !f.invasive {
        let s = ctx.g.after(f.date, 20, 45);
        let bcs = ctx.g.chance(0.75);
        let kind = if bcs {
            SurgeryKind::BreastConserving
        } else {
            SurgeryKind::Mastectomy
        };
        ctx.surgery(dx, kind, SurgeryIntent::Curative, s);
        let mut t = ctx.g.after(s, 28, 50);
        if bcs && ctx.g.chance(0.75) {
            let fx = ctx.g.pick(&[16, 16, 25, 5]);
            t = ctx.radiation(
                dx,
                RadiationTarget::Breast,
                RadiationModality::Ebrt,
                RadiationIntent::Curative,
                t,
                fx,
            );
            t = ctx.g.after(t, 14, 40);
        }
        if f.biology.er && ctx.g.chance(0.4) {
            endocrine(ctx, dx, t, age);
        }
        return;
    }
    let hr = f.known.er || f.known.pr;
    let her2 = f.known.her2;
    let triple_negative = !f.biology.er && !f.biology.pr && !f.biology.her2;
    let small_node_negative =
        matches!(f.t, Some(TCategory::T1mi | TCategory::T1a | TCategory::T1b))
            && matches!(f.n, Some(NCategory::N0));
    let indicated = ((her2 || triple_negative) && !small_node_negative)
        || f.level == 3
        || (f.level == 2 && ctx.g.chance(0.45))
        || (f.level == 1 && hr && ctx.g.chance(0.08));
    // A few HER2-positive patients get chemotherapy without HER2-targeted therapy.
    let her2_directed = her2 && !ctx.bad(0.05);
    let (def, cycles): (&'static RegimenDef, u16) = if her2_directed {
        if f.level == 1 { (&TH, 12) } else { (&TCHP, 6) }
    } else if triple_negative || f.level == 3 {
        if ctx.g.chance(0.8) {
            (&AC_T, 8)
        } else {
            (&TC, 6)
        }
    } else if ctx.g.chance(0.7) {
        (&TC, 4)
    } else {
        (&AC_T, 8)
    };
    let neoadjuvant = indicated && f.level >= 2 && ctx.g.chance(0.35);
    let mut t = ctx.g.after(f.date, 18, 40);
    let chemo = indicated
        && offer(
            ctx,
            Action::AdjuvantChemotherapy,
            if age >= 75 { 0.6 } else { 0.93 },
            t,
        );
    if neoadjuvant && chemo {
        let spec = RegimenSpec::new(
            def,
            RegimenSetting::Neoadjuvant,
            RegimenIntent::Curative,
            t,
            cycles,
        );
        t = ctx.regimen(dx, spec);
        t = ctx.g.after(t, 21, 35);
    }
    let bcs = ctx.g.chance(if f.level == 3 { 0.35 } else { 0.65 });
    let kind = if bcs {
        SurgeryKind::BreastConserving
    } else {
        SurgeryKind::Mastectomy
    };
    if let Some(i) = ctx.surgery(dx, kind, SurgeryIntent::Curative, t) {
        let nodes = if f.n.is_some_and(|n| n != NCategory::N0) {
            ctx.g.int(8, 24)
        } else {
            ctx.g.int(1, 5)
        };
        if let Some(s) = ctx.chart.surgeries.get_mut(i) {
            s.lymph_nodes_examined = ctx.g.chance(0.85).then(|| int(nodes));
        }
    }
    t = ctx.g.after(t, 25, 45);
    if chemo && !neoadjuvant {
        let spec = RegimenSpec::new(
            def,
            RegimenSetting::Adjuvant,
            RegimenIntent::Curative,
            t,
            cycles,
        );
        t = ctx.regimen(dx, spec);
        t = ctx.g.after(t, 14, 30);
    }
    if her2_directed && chemo && f.level > 1 {
        // Trastuzumab (with pertuzumab for node-positive disease) to complete a year.
        if offer(ctx, Action::Her2TargetedTherapy, 0.93, t) {
            let maint = if f.n.is_some_and(|n| n != NCategory::N0) {
                &HP
            } else {
                &TRASTUZUMAB_MAINT
            };
            let spec = RegimenSpec::new(
                maint,
                RegimenSetting::Adjuvant,
                RegimenIntent::Curative,
                t,
                11,
            )
            .months(12);
            ctx.regimen(dx, spec);
        }
    } else if her2 && (!chemo || !her2_directed) {
        ctx.omitted(Action::Her2TargetedTherapy, t, 0.4);
    }
    let node_positive = f.n.is_some_and(|n| n != NCategory::N0);
    let radiation = if bcs {
        ctx.good(if age < 70 { 0.92 } else { 0.75 })
    } else {
        node_positive && ctx.g.chance(0.6)
    };
    if bcs && !radiation {
        ctx.omitted(Action::RadiationTherapy, t, 0.45);
    }
    if radiation {
        let fx = ctx.g.pick(&[16, 16, 25, 5]);
        let target = if bcs {
            RadiationTarget::Breast
        } else {
            RadiationTarget::ChestWallNodes
        };
        t = ctx.radiation(
            dx,
            target,
            RadiationModality::Ebrt,
            RadiationIntent::Curative,
            t,
            fx,
        );
        t = ctx.g.after(t, 10, 30);
    }
    if hr {
        if offer(ctx, Action::EndocrineTherapy, 0.9, t) {
            endocrine(ctx, dx, t, age);
        }
    } else if f.biology.er && ctx.g.chance(0.3) {
        // Receptor status undocumented, endocrine therapy given all the same.
        endocrine(ctx, dx, t, age);
    }
}

/// Five years of adjuvant endocrine therapy from `start`.
fn endocrine(ctx: &mut Ctx, dx: usize, start: Date, age: i32) {
    let def: &'static RegimenDef = if age < 50 {
        if ctx.g.chance(0.7) {
            &TAMOXIFEN_DAILY
        } else {
            &OFS_AI
        }
    } else {
        ctx.g.pick(&[
            &ANASTROZOLE_DAILY,
            &LETROZOLE_DAILY,
            &ANASTROZOLE_DAILY,
            &LETROZOLE_DAILY,
            &TAMOXIFEN_DAILY,
        ])
    };
    let spec = RegimenSpec::new(
        def,
        RegimenSetting::Adjuvant,
        RegimenIntent::Curative,
        start,
        65,
    )
    .months(60);
    ctx.regimen(dx, spec);
}

pub(super) fn line(ctx: &mut Ctx, f: &DxFacts, n: u32, start: Date) -> Option<Line> {
    let her2 = f.known.her2;
    let hr = f.known.er || f.known.pr || (!f.tested.er && f.biology.er);
    Some(match (her2, hr, n) {
        (true, _, 0) => Line::Until(&THP, 14),
        (true, _, 1) => Line::Until(&T_DM1, 8),
        (true, _, _) => Line::Until(&CAPECITABINE_MONO, 5),
        (false, true, 0) if ctx.g.chance(0.1) => {
            // Visceral crisis: chemotherapy before endocrine therapy, a combination when a
            // rapid response is needed (the need documented).
            if ctx.g.chance(0.6) {
                if ctx.g.chance(0.6) {
                    let date = ctx.prior(start, 0, 14);
                    ctx.not_done(Action::SystemicTherapy, ReasonType::Medical, date, None);
                }
                Line::Until(&GEM_CARBO, 5)
            } else {
                Line::Until(&PACLITAXEL_WEEKLY, 5)
            }
        }
        (false, true, 0) => Line::Until(&AI_PALBOCICLIB, 20),
        (false, true, 1) => Line::Until(&CAPECITABINE_MONO, 6),
        (false, true, _) => Line::Until(&PACLITAXEL_WEEKLY, 4),
        (false, false, 0) => match ctx.g.int(0, 99) {
            0..=39 => Line::Until(&PACLITAXEL_WEEKLY, 6),
            40..=64 => {
                if ctx.g.chance(0.25) {
                    // A documented need for a rapid response.
                    let date = ctx.prior(start, 0, 14);
                    ctx.not_done(Action::SystemicTherapy, ReasonType::Medical, date, None);
                }
                Line::Until(&GEM_CARBO, 5)
            }
            _ => Line::Until(&PACLITAXEL_PEMBRO, 8),
        },
        (false, false, 1) => Line::Until(&CAPECITABINE_MONO, 4),
        _ => Line::Until(&ERIBULIN_MONO, 3),
    })
}
