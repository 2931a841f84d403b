//! Haematologic cancers: R-CHOP and bendamustine-rituximab, ABVD, myeloma induction,
//! transplant and lenalidomide maintenance, leukaemia and myelodysplasia regimens.

use super::{Line, lines, offer};
use crate::Date;
use crate::chart::{
    Action, HistologyGroup as H, RadiationIntent, RadiationModality, RadiationTarget, ReferralKind,
    RegimenIntent, RegimenSetting,
};
use crate::synth::agents::*;
use crate::synth::context::Ctx;
use crate::synth::facts::DxFacts;
use crate::synth::therapy::RegimenSpec;

fn course(
    ctx: &mut Ctx,
    dx: usize,
    def: &'static RegimenDef,
    setting: RegimenSetting,
    intent: RegimenIntent,
    start: Date,
    cycles: u16,
) -> Date {
    ctx.regimen(dx, RegimenSpec::new(def, setting, intent, start, cycles))
}

fn involved_site_rt(ctx: &mut Ctx, dx: usize, start: Date, fractions: u16) {
    let target = ctx.g.pick(&[
        RadiationTarget::Other,
        RadiationTarget::Thorax,
        RadiationTarget::HeadNeck,
    ]);
    ctx.radiation(
        dx,
        target,
        RadiationModality::Ebrt,
        RadiationIntent::Curative,
        start,
        fractions,
    );
}

pub(super) fn nhl(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let t = ctx.g.after(f.date, 10, 35);
    match f.histology {
        H::Follicular | H::MantleCell => {
            if f.histology == H::Follicular && f.level <= 2 && ctx.g.chance(0.5) {
                involved_site_rt(ctx, dx, t, 12);
                return;
            }
            if f.histology == H::Follicular && ctx.g.chance(0.35) {
                return; // watch and wait
            }
            let end = course(
                ctx,
                dx,
                &BR,
                RegimenSetting::FirstLineAdvanced,
                RegimenIntent::NonCurative,
                t,
                6,
            );
            if ctx.g.chance(0.5) {
                let start = ctx.g.after(end, 42, 70);
                course(
                    ctx,
                    dx,
                    &RITUXIMAB_MAINT,
                    RegimenSetting::Maintenance,
                    RegimenIntent::NonCurative,
                    start,
                    12,
                );
            }
        }
        H::MarginalZone => {
            course(
                ctx,
                dx,
                &RITUXIMAB_WEEKLY,
                RegimenSetting::FirstLineAdvanced,
                RegimenIntent::NonCurative,
                t,
                4,
            );
        }
        _ => {
            let with_rituximab = f.biology.cd20 && !ctx.bad(0.04);
            if !with_rituximab {
                ctx.omitted(Action::TargetedTherapy, t, 0.4);
            }
            let def = if with_rituximab { &R_CHOP } else { &CHOP };
            let limited = f.level <= 2 && ctx.g.chance(0.5);
            let end = course(
                ctx,
                dx,
                def,
                RegimenSetting::Other,
                RegimenIntent::Curative,
                t,
                if limited { 4 } else { 6 },
            );
            if limited {
                let start = ctx.g.after(end, 21, 42);
                involved_site_rt(ctx, dx, start, 15);
            }
        }
    }
}

pub(super) fn hodgkin(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let t = ctx.g.after(f.date, 10, 30);
    let limited = f.level <= 2;
    let end = course(
        ctx,
        dx,
        &ABVD,
        RegimenSetting::Other,
        RegimenIntent::Curative,
        t,
        if limited { 3 } else { 6 },
    );
    if limited && ctx.g.chance(0.6) {
        let start = ctx.g.after(end, 21, 42);
        involved_site_rt(ctx, dx, start, 15);
    }
}

pub(super) fn myeloma(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let age = ctx.age_on(f.date);
    let t = ctx.g.after(f.date, 7, 30);
    let induction = if ctx.g.chance(0.4) { &DARA_VRD } else { &VRD };
    let cycles = ctx.g.int(4, 8) as u16;
    let mut end = course(
        ctx,
        dx,
        induction,
        RegimenSetting::FirstLineAdvanced,
        RegimenIntent::NonCurative,
        t,
        cycles,
    );
    if age <= 70 && ctx.g.chance(0.5) {
        let referral = ctx.g.after(t, 20, 90);
        ctx.refer(ReferralKind::Other, referral);
        let asct = ctx.g.after(end, 30, 60);
        end = course(
            ctx,
            dx,
            &MELPHALAN_ASCT,
            RegimenSetting::Other,
            RegimenIntent::NonCurative,
            asct,
            1,
        );
        end = ctx.g.after(end, 60, 100);
    } else {
        end = ctx.g.after(end, 14, 30);
    }
    if ctx.g.chance(0.75) {
        let spec = RegimenSpec::line(&LENALIDOMIDE_MAINT, RegimenSetting::Maintenance, end, 30);
        ctx.regimen(dx, spec);
    }
}

pub(super) fn myeloma_line(ctx: &mut Ctx, _f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    match n {
        0 => Some(if ctx.g.chance(0.5) {
            Line::Until(&DARA_RD, 14)
        } else {
            Line::Until(&KD, 10)
        }),
        1 => Some(Line::Until(&KD, 6)),
        _ => None,
    }
}

pub(super) fn leukemia(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let t = ctx.g.after(f.date, 2, 14);
    match f.subtype {
        0 => {
            let end = course(
                ctx,
                dx,
                &SEVEN_PLUS_THREE,
                RegimenSetting::Other,
                RegimenIntent::Curative,
                t,
                1,
            );
            let start = ctx.g.after(end, 21, 35);
            course(
                ctx,
                dx,
                &HIDAC,
                RegimenSetting::Other,
                RegimenIntent::Curative,
                start,
                3,
            );
        }
        1 => {
            if ctx.g.chance(0.5) {
                let start = ctx.g.after(f.date, 30, 400);
                let spec = RegimenSpec::line(
                    &IBRUTINIB_DAILY,
                    RegimenSetting::FirstLineAdvanced,
                    start,
                    30,
                );
                ctx.regimen(dx, spec);
            }
        }
        _ => {
            course(
                ctx,
                dx,
                &ALL_INDUCTION,
                RegimenSetting::Other,
                RegimenIntent::Curative,
                t,
                4,
            );
        }
    }
}

pub(super) fn other(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let t = ctx.g.after(f.date, 14, 60);
    if f.subtype == 0 {
        if ctx.g.chance(0.6) {
            lines(ctx, dx, t, |_, _, n, _| {
                (n == 0).then_some(Line::Until(&AZACITIDINE_MONO, 10))
            });
        }
    } else if ctx.g.chance(0.7) {
        let spec = RegimenSpec::line(&HYDROXYUREA_DAILY, RegimenSetting::Other, t, 36);
        ctx.regimen(dx, spec);
    }
}

pub(super) fn lymphoma_line(ctx: &mut Ctx, f: &DxFacts, n: u32, start: Date) -> Option<Line> {
    match (f.cancer, n) {
        (crate::chart::CancerType::Nhl, 0) => {
            if ctx.g.chance(0.3) {
                // Referral to a cellular-therapy centre.
                let when = ctx.prior(start, 0, 14);
                ctx.refer(ReferralKind::Other, when);
            }
            Some(Line::Until(&R_GEMOX, 4))
        }
        (crate::chart::CancerType::HodgkinLymphoma, 0) => Some(Line::Until(&PEMBRO, 8)),
        (_, 0) if offer(ctx, Action::SystemicTherapy, 0.9, start) => {
            Some(Line::Until(&AZACITIDINE_MONO, 6))
        }
        _ => None,
    }
}
