//! Gynaecologic cancers: ovarian cytoreduction with carboplatin-paclitaxel (intraperitoneal
//! for some) and PARP maintenance; cervical chemoradiation with brachytherapy; endometrial
//! hysterectomy with adjuvant therapy; gestational trophoblastic methotrexate.

use super::{Line, offer};
use crate::Date;
use crate::chart::{
    Action, DiscussionTopic, RadiationIntent, RadiationModality, RadiationTarget, RegimenIntent,
    RegimenSetting, ResidualDisease, StageGroup as S, SurgeryIntent, SurgeryKind,
};
use crate::synth::agents::*;
use crate::synth::context::Ctx;
use crate::synth::dates::days;
use crate::synth::facts::DxFacts;
use crate::synth::therapy::RegimenSpec;

/// Records a cytoreductive surgery with its residual disease; returns whether it was optimal
/// (no gross or at most 1 cm residual) and its date.
fn debulking(ctx: &mut Ctx, dx: usize, date: Date, level: u8) -> Option<bool> {
    let i = ctx.surgery(
        dx,
        SurgeryKind::CytoreductiveDebulking,
        SurgeryIntent::Curative,
        date,
    )?;
    let residual = if level <= 2 {
        ResidualDisease::NoneGross
    } else {
        ctx.g
            .weighted(&[
                (ResidualDisease::NoneGross, 45),
                (ResidualDisease::Le1cm, 30),
                (ResidualDisease::Gt1cm, 20),
                (ResidualDisease::Unknown, 5),
            ])
            .unwrap_or(ResidualDisease::Unknown)
    };
    let documented = ctx.good(0.88);
    if let Some(s) = ctx.chart.surgeries.get_mut(i) {
        s.residual_disease = documented.then_some(residual);
    }
    Some(matches!(
        residual,
        ResidualDisease::NoneGross | ResidualDisease::Le1cm
    ))
}

pub(super) fn ovary(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let t = ctx.g.after(f.date, 10, 30);
    let chemo_needed = f.level >= 2 || f.stage == S::IC || f.high_grade;
    let end = if f.level == 3 && ctx.g.chance(0.35) {
        // Neoadjuvant chemotherapy, interval debulking, then the remaining cycles.
        let neo = RegimenSpec::new(
            &CARBO_PAC,
            RegimenSetting::Neoadjuvant,
            RegimenIntent::Curative,
            t,
            3,
        );
        let after = ctx.regimen(dx, neo);
        let s = ctx.g.after(after, 21, 35);
        debulking(ctx, dx, s, f.level);
        let start = ctx.g.after(s, 21, 42);
        ctx.regimen(
            dx,
            RegimenSpec::new(
                &CARBO_PAC,
                RegimenSetting::Adjuvant,
                RegimenIntent::Curative,
                start,
                3,
            ),
        )
    } else {
        let optimal = debulking(ctx, dx, t, f.level).unwrap_or(false);
        let start = ctx.g.after(t, 21, 42);
        if f.level == 3 && optimal && ctx.good(0.5) {
            let when = ctx.g.after(t, 5, 50);
            ctx.discuss(DiscussionTopic::IpChemotherapy, when);
        }
        if !chemo_needed {
            return;
        }
        if !offer(ctx, Action::AdjuvantChemotherapy, 0.92, days(start, -7)) {
            return;
        }
        let def = if f.level == 3 && optimal && ctx.g.chance(0.15) {
            &IP_CIS_PAC
        } else {
            &CARBO_PAC
        };
        ctx.regimen(
            dx,
            RegimenSpec::new(
                def,
                RegimenSetting::Adjuvant,
                RegimenIntent::Curative,
                start,
                6,
            ),
        )
    };
    if f.level >= 3 && f.biology.brca && ctx.g.chance(0.7) {
        let start = ctx.g.after(end, 21, 56);
        let spec = RegimenSpec::new(
            &OLAPARIB_DAILY,
            RegimenSetting::Maintenance,
            RegimenIntent::Curative,
            start,
            26,
        )
        .months(24);
        ctx.regimen(dx, spec);
    }
}

pub(super) fn ovary_line(_ctx: &mut Ctx, _f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    match n {
        0 => Some(Line::Until(&CARBO_PAC, 5)),
        1 => Some(Line::Until(&PACLITAXEL_BEV, 5)),
        2 => Some(Line::Until(&DOXO_MONO, 3)),
        _ => None,
    }
}

pub(super) fn cervix(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let age = ctx.age_on(f.date);
    let early = matches!(f.stage, S::IA1 | S::IA2 | S::IB1 | S::IB2)
        || (f.stage == S::IIA1 && ctx.g.chance(0.5));
    if early {
        let s = ctx.g.after(f.date, 21, 45);
        ctx.surgery(dx, SurgeryKind::Hysterectomy, SurgeryIntent::Curative, s);
        return;
    }
    let t = ctx.g.after(f.date, 14, 35);
    let target = if ctx.g.chance(0.7) {
        RadiationTarget::Pelvis
    } else {
        RadiationTarget::Cervix
    };
    let concurrent = offer(
        ctx,
        Action::ConcurrentChemotherapy,
        if age > 70 { 0.6 } else { 0.88 },
        days(t, -3),
    );
    let rt_end = ctx.radiation(
        dx,
        target,
        RadiationModality::Ebrt,
        RadiationIntent::Curative,
        t,
        25,
    );
    if concurrent {
        let start = ctx.g.after(t, 0, 3);
        let cycles = ctx.g.int(5, 6) as u16;
        let spec = RegimenSpec::new(
            &CIS_WEEKLY,
            RegimenSetting::DefinitiveWithRadiation,
            RegimenIntent::Curative,
            start,
            cycles,
        );
        ctx.regimen(dx, spec);
    }
    if offer(ctx, Action::Brachytherapy, 0.88, rt_end) {
        let delay = if ctx.bad(0.15) {
            ctx.g.int(15, 45)
        } else {
            ctx.g.int(-10, 10)
        };
        let start = days(rt_end, delay);
        ctx.radiation(
            dx,
            RadiationTarget::Cervix,
            RadiationModality::BrachytherapyHdr,
            RadiationIntent::Curative,
            start,
            5,
        );
    }
}

pub(super) fn cervix_line(_ctx: &mut Ctx, _f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    match n {
        0 => Some(Line::Induction(&CARBO_PAC_PEMBRO_BEV, 6, &PEMBRO, 10)),
        1 => Some(Line::Until(&PACLITAXEL_WEEKLY, 3)),
        _ => None,
    }
}

pub(super) fn endometrium(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let s = ctx.g.after(f.date, 14, 40);
    ctx.surgery(dx, SurgeryKind::Hysterectomy, SurgeryIntent::Curative, s);
    let t = ctx.g.after(s, 28, 56);
    if f.level <= 2 {
        if (f.stage == S::IB || f.level == 2) && ctx.g.chance(0.35) {
            ctx.radiation(
                dx,
                RadiationTarget::Other,
                RadiationModality::BrachytherapyHdr,
                RadiationIntent::Curative,
                t,
                3,
            );
        }
        return;
    }
    if offer(ctx, Action::AdjuvantChemotherapy, 0.85, days(t, -7)) {
        let def = if f.known.dmmr && ctx.g.chance(0.4) {
            &CARBO_PAC_PEMBRO
        } else {
            &CARBO_PAC
        };
        let end = ctx.regimen(
            dx,
            RegimenSpec::new(def, RegimenSetting::Adjuvant, RegimenIntent::Curative, t, 6),
        );
        if ctx.g.chance(0.4) {
            let start = ctx.g.after(end, 21, 42);
            ctx.radiation(
                dx,
                RadiationTarget::Pelvis,
                RadiationModality::Ebrt,
                RadiationIntent::Curative,
                start,
                25,
            );
        }
    }
}

pub(super) fn endometrium_line(_ctx: &mut Ctx, f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    match n {
        0 if f.known.dmmr => Some(Line::Induction(&CARBO_PAC_PEMBRO, 6, &PEMBRO, 12)),
        0 => Some(Line::Until(&CARBO_PAC, 5)),
        1 => Some(Line::Until(&LENVATINIB_PEMBRO, 8)),
        2 => Some(Line::Until(&DOXO_MONO, 3)),
        _ => None,
    }
}

pub(super) fn gestational(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let t = ctx.g.after(f.date, 7, 21);
    let spec = RegimenSpec::new(
        &METHOTREXATE_GTN,
        RegimenSetting::Other,
        RegimenIntent::Curative,
        t,
        8,
    );
    ctx.regimen(dx, spec);
}
