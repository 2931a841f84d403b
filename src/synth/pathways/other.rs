//! Melanoma (excision, adjuvant immunotherapy, BRAF/MEK or checkpoint inhibitors), head and
//! neck chemoradiation, brain tumours and other solid tumours.

use super::{Line, lines, offer};
use crate::Date;
use crate::chart::{
    Action, RadiationIntent, RadiationModality, RadiationTarget, RegimenIntent, RegimenSetting,
    SurgeryIntent, SurgeryKind,
};
use crate::synth::agents::*;
use crate::synth::context::Ctx;
use crate::synth::dates::days;
use crate::synth::facts::DxFacts;
use crate::synth::therapy::RegimenSpec;

pub(super) fn melanoma(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let s = ctx.g.after(f.date, 7, 35);
    ctx.surgery(dx, SurgeryKind::Other, SurgeryIntent::Curative, s);
    if f.level == 3 {
        let start = ctx.g.after(s, 30, 70);
        if offer(ctx, Action::SystemicTherapy, 0.8, days(start, -7)) {
            if f.known.braf && ctx.g.chance(0.3) {
                let spec = RegimenSpec::new(
                    &DABRAFENIB_TRAMETINIB,
                    RegimenSetting::Adjuvant,
                    RegimenIntent::Curative,
                    start,
                    13,
                )
                .months(12);
                ctx.regimen(dx, spec);
            } else {
                let spec = RegimenSpec::new(
                    &NIVOLUMAB_Q4W,
                    RegimenSetting::Adjuvant,
                    RegimenIntent::Curative,
                    start,
                    12,
                );
                ctx.regimen(dx, spec);
            }
        }
    }
}

pub(super) fn melanoma_line(ctx: &mut Ctx, f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    match n {
        0 if f.known.braf && ctx.g.chance(0.4) => Some(Line::Until(&DABRAFENIB_TRAMETINIB, 12)),
        0 => Some(Line::Induction(&IPI_NIVO, 4, &NIVOLUMAB_Q4W, 12)),
        1 if f.known.braf => Some(Line::Until(&DABRAFENIB_TRAMETINIB, 8)),
        1 => Some(Line::Until(&CARBO_PAC, 3)),
        _ => None,
    }
}

pub(super) fn head_and_neck(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let age = ctx.age_on(f.date);
    let mut t = ctx.g.after(f.date, 14, 40);
    if f.level <= 2 {
        if ctx.g.chance(0.5) {
            ctx.radiation(
                dx,
                RadiationTarget::HeadNeck,
                RadiationModality::Ebrt,
                RadiationIntent::Curative,
                t,
                35,
            );
        } else {
            ctx.surgery(dx, SurgeryKind::Other, SurgeryIntent::Curative, t);
            if ctx.g.chance(0.3) {
                let start = ctx.g.after(t, 35, 50);
                ctx.radiation(
                    dx,
                    RadiationTarget::HeadNeck,
                    RadiationModality::Ebrt,
                    RadiationIntent::Curative,
                    start,
                    30,
                );
            }
        }
        return;
    }
    if ctx.g.chance(0.3) {
        ctx.surgery(dx, SurgeryKind::NeckDissection, SurgeryIntent::Curative, t);
        t = ctx.g.after(t, 35, 50);
    }
    let concurrent = offer(
        ctx,
        Action::ConcurrentChemotherapy,
        if age >= 70 { 0.55 } else { 0.88 },
        days(t, -3),
    );
    ctx.radiation(
        dx,
        RadiationTarget::HeadNeck,
        RadiationModality::Ebrt,
        RadiationIntent::Curative,
        t,
        35,
    );
    if concurrent {
        let (def, cycles): (&'static RegimenDef, u16) = match ctx.g.int(0, 99) {
            0..=59 => (&CIS_Q21_RT, 3),
            60..=84 => (&CIS_WEEKLY, 7),
            _ => (&CETUXIMAB_RT, 8),
        };
        let start = ctx.g.after(t, 0, 2);
        let spec = RegimenSpec::new(
            def,
            RegimenSetting::DefinitiveWithRadiation,
            RegimenIntent::Curative,
            start,
            cycles,
        );
        ctx.regimen(dx, spec);
    }
}

pub(super) fn head_and_neck_line(ctx: &mut Ctx, f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    match n {
        0 if f.biology.pdl1 >= 1 && ctx.g.chance(0.6) => Some(Line::Until(&PEMBRO, 8)),
        0 => Some(Line::Induction(&CARBO_FU_PEMBRO, 6, &PEMBRO, 8)),
        1 => Some(Line::Until(&DOCETAXEL_MONO, 3)),
        _ => None,
    }
}

pub(super) fn brain(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let s = ctx.g.after(f.date, 0, 14);
    ctx.surgery(dx, SurgeryKind::Other, SurgeryIntent::Curative, s);
    let t = ctx.g.after(s, 21, 42);
    let spec = RegimenSpec::new(
        &TEMOZOLOMIDE_RT,
        RegimenSetting::DefinitiveWithRadiation,
        RegimenIntent::NonCurative,
        t,
        1,
    );
    ctx.regimen(dx, spec);
    let rt_end = ctx.radiation(
        dx,
        RadiationTarget::Brain,
        RadiationModality::Ebrt,
        RadiationIntent::Curative,
        t,
        30,
    );
    let start = ctx.g.after(rt_end, 28, 42);
    let spec = RegimenSpec::new(
        &TEMOZOLOMIDE_ADJ,
        RegimenSetting::Adjuvant,
        RegimenIntent::NonCurative,
        start,
        6,
    );
    ctx.regimen(dx, spec);
}

pub(super) fn solid(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let sarcoma = f.cancer == crate::chart::CancerType::Sarcoma;
    if f.level == 3 && !sarcoma && ctx.g.chance(0.3) {
        let start = ctx.g.after(f.date, 14, 40);
        lines(ctx, dx, start, solid_line);
        return;
    }
    let mut t = ctx.g.after(f.date, 14, 45);
    if sarcoma && ctx.g.chance(0.5) {
        let end = ctx.radiation(
            dx,
            RadiationTarget::Other,
            RadiationModality::Ebrt,
            RadiationIntent::Curative,
            t,
            25,
        );
        t = ctx.g.after(end, 28, 42);
    }
    ctx.surgery(dx, SurgeryKind::Other, SurgeryIntent::Curative, t);
    if f.level >= 2 && (f.high_grade || f.level == 3) && ctx.g.chance(0.35) {
        let start = ctx.g.after(t, 28, 56);
        let def = if sarcoma { &DOXO_IFOS } else { &CARBO_PAC };
        ctx.regimen(
            dx,
            RegimenSpec::new(
                def,
                RegimenSetting::Adjuvant,
                RegimenIntent::Curative,
                start,
                4,
            ),
        );
    }
}

pub(super) fn solid_line(_ctx: &mut Ctx, f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    let sarcoma = f.cancer == crate::chart::CancerType::Sarcoma;
    match n {
        0 if sarcoma => Some(Line::Until(&DOXO_MONO, 5)),
        0 if f.cancer == crate::chart::CancerType::BrainCns => {
            Some(Line::Until(&TEMOZOLOMIDE_ADJ, 4))
        }
        0 => Some(Line::Until(&CARBO_PAC, 5)),
        1 if sarcoma => Some(Line::Until(&ERIBULIN_MONO, 3)),
        1 => Some(Line::Until(&DOCETAXEL_MONO, 3)),
        _ => None,
    }
}
