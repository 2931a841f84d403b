//! Genitourinary cancers: prostate by risk group (active surveillance, prostatectomy,
//! radiation with ADT), metastatic prostate lines; bladder TURBT with BCG, neoadjuvant
//! chemotherapy and cystectomy; kidney and testis.

use super::{Line, offer};
use crate::Date;
use crate::chart::{
    Action, AgentClass, DiscussionTopic, ProstateRiskGroup as Risk, RadiationIntent,
    RadiationModality, RadiationTarget, ReasonType, RegimenIntent, RegimenSetting, SurgeryIntent,
    SurgeryKind,
};
use crate::synth::agents::*;
use crate::synth::context::Ctx;
use crate::synth::dates::days;
use crate::synth::facts::DxFacts;
use crate::synth::therapy::RegimenSpec;

fn adt(ctx: &mut Ctx, dx: usize, start: Date, months: u16) -> Date {
    let def = if ctx.g.chance(0.2) {
        &ADT_BICALUTAMIDE
    } else {
        &ADT_DEPOT
    };
    let cycles = (u32::from(months) * 30 / 84).max(1) as u16;
    let spec = RegimenSpec::new(
        def,
        RegimenSetting::Other,
        RegimenIntent::Curative,
        start,
        cycles,
    )
    .months(months);
    ctx.regimen(dx, spec)
}

fn ebrt(ctx: &mut Ctx, dx: usize, start: Date) -> Date {
    let fx = ctx
        .g
        .weighted(&[(28u16, 50), (20, 20), (40, 25), (5, 5)])
        .unwrap_or(28);
    let modality = if ctx.g.chance(0.94) {
        RadiationModality::Ebrt
    } else {
        RadiationModality::Proton
    };
    ctx.radiation(
        dx,
        RadiationTarget::Prostate,
        modality,
        RadiationIntent::Curative,
        start,
        fx,
    )
}

fn prostatectomy(ctx: &mut Ctx, dx: usize, date: Date) {
    if let Some(i) = ctx.surgery(
        dx,
        SurgeryKind::RadicalProstatectomy,
        SurgeryIntent::Curative,
        date,
    ) {
        let nodes = ctx
            .g
            .chance(0.7)
            .then(|| crate::synth::context::int(ctx.g.int(2, 18)));
        if let Some(s) = ctx.chart.surgeries.get_mut(i) {
            s.lymph_nodes_examined = nodes;
        }
    }
}

fn brachytherapy(ctx: &mut Ctx, dx: usize, date: Date) {
    if ctx.g.chance(0.75) {
        ctx.radiation(
            dx,
            RadiationTarget::Prostate,
            RadiationModality::BrachytherapyLdr,
            RadiationIntent::Curative,
            date,
            1,
        );
    } else {
        ctx.radiation(
            dx,
            RadiationTarget::Prostate,
            RadiationModality::BrachytherapyHdr,
            RadiationIntent::Curative,
            date,
            2,
        );
    }
}

pub(super) fn prostate(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let t = ctx.g.after(f.date, 30, 90);
    match f.prostate_risk {
        Some(Risk::VeryLow | Risk::Low) => {
            let r = ctx.g.int(0, 99);
            if r < 65 {
                // Active surveillance.
                let when = ctx.g.after(ctx.first_visit.max(f.date), 0, 30);
                if ctx.good(0.8) {
                    ctx.discuss(DiscussionTopic::ActiveSurveillance, when);
                }
                if ctx.g.chance(0.4) {
                    ctx.recommend(Action::ActiveSurveillance, when);
                }
            } else if r < 85 {
                prostatectomy(ctx, dx, t);
            } else {
                let mut implant = t;
                if ctx.g.chance(0.2) {
                    // A large gland: a few months of ADT to shrink it before the implant.
                    adt(ctx, dx, t, 3);
                    implant = ctx.g.after(t, 85, 100);
                }
                brachytherapy(ctx, dx, implant);
            }
            if ctx.bad(0.04) {
                let start = ctx.g.after(f.date, 30, 120);
                adt(ctx, dx, start, 6);
            }
        }
        Some(Risk::FavorableIntermediate) => match ctx.g.int(0, 99) {
            0..=44 => prostatectomy(ctx, dx, t),
            45..=79 => {
                if ctx.g.chance(0.3) {
                    adt(ctx, dx, t, 6);
                    let start = ctx.g.after(t, 50, 80);
                    ebrt(ctx, dx, start);
                } else {
                    ebrt(ctx, dx, t);
                }
            }
            80..=94 => brachytherapy(ctx, dx, t),
            _ => {
                if ctx.good(0.8) {
                    ctx.discuss(
                        DiscussionTopic::ActiveSurveillance,
                        ctx.first_visit.max(f.date),
                    );
                }
            }
        },
        Some(Risk::UnfavorableIntermediate) => {
            if ctx.g.chance(0.4) {
                prostatectomy(ctx, dx, t);
            } else {
                let rt_start = ctx.g.after(t, 50, 80);
                if offer(ctx, Action::Adt, 0.85, t) {
                    adt(ctx, dx, t, 6);
                }
                ebrt(ctx, dx, rt_start);
            }
        }
        _ => {
            if ctx.g.chance(0.15) {
                prostatectomy(ctx, dx, t);
                return;
            }
            let rt_start = ctx.g.after(t, 55, 90);
            if offer(ctx, Action::Adt, 0.88, t) {
                let months = ctx.g.pick(&[18, 24, 24, 36]);
                adt(ctx, dx, t, months);
            }
            ebrt(ctx, dx, rt_start);
        }
    }
}

pub(super) fn prostate_line(ctx: &mut Ctx, f: &DxFacts, n: u32, start: Date) -> Option<Line> {
    let resistant = f.subtype == 1;
    match (resistant, n) {
        (false, 0) => Some(match ctx.g.int(0, 9) {
            0..=3 => Line::Until(&ADT_ENZALUTAMIDE, 30),
            4..=7 => Line::Until(&ADT_ABIRATERONE, 30),
            _ => Line::Until(&ADT_BICALUTAMIDE, 24),
        }),
        (true, 0) => Some(Line::Until(&ADT_ENZALUTAMIDE, 14)),
        (true, 1) => {
            if ctx.g.chance(0.15) {
                let reason = ctx.reason();
                ctx.not_done(
                    Action::SystemicTherapy,
                    reason,
                    days(start, -3),
                    Some(AgentClass::Taxane),
                );
                return None;
            }
            Some(Line::Until(&DOCETAXEL_PREDNISONE, 6))
        }
        (true, 2) => Some(Line::Until(&CABAZITAXEL_MONO, 4)),
        _ => None,
    }
}

pub(super) fn bladder(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    if f.level <= 1 {
        let intent = if ctx.g.chance(0.6) {
            SurgeryIntent::Curative
        } else {
            SurgeryIntent::Diagnostic
        };
        ctx.surgery(dx, SurgeryKind::Turbt, intent, f.date);
        let high_risk = f.high_grade || f.level == 1;
        if !high_risk {
            return;
        }
        let start = ctx.g.after(f.date, 21, 50);
        if ctx.good(0.82) {
            let spec = RegimenSpec::new(
                &BCG_WEEKLY,
                RegimenSetting::Adjuvant,
                RegimenIntent::Curative,
                start,
                6,
            );
            ctx.regimen(dx, spec);
            if ctx.g.chance(0.6) {
                for offset in [90, 180] {
                    let spec = RegimenSpec::new(
                        &BCG_WEEKLY,
                        RegimenSetting::Maintenance,
                        RegimenIntent::Curative,
                        days(start, offset),
                        3,
                    );
                    ctx.regimen(dx, spec);
                }
            }
        } else if ctx.g.chance(0.45) {
            let reason = if ctx.g.chance(0.7) {
                ReasonType::System
            } else {
                ctx.reason()
            };
            let date = ctx.g.after(f.date, 7, 60);
            ctx.not_done(Action::Other, reason, date, Some(AgentClass::Bcg));
        }
        return;
    }
    let t = ctx.g.after(f.date, 14, 35);
    if ctx.g.chance(0.15) {
        let spec = RegimenSpec::new(
            &CIS_WEEKLY,
            RegimenSetting::DefinitiveWithRadiation,
            RegimenIntent::Curative,
            t,
            6,
        );
        ctx.regimen(dx, spec);
        ctx.radiation(
            dx,
            RadiationTarget::Pelvis,
            RadiationModality::Ebrt,
            RadiationIntent::Curative,
            t,
            32,
        );
        return;
    }
    let mut s = ctx.g.after(f.date, 30, 60);
    if offer(ctx, Action::SystemicTherapy, 0.72, t) {
        let spec = RegimenSpec::new(
            &GEM_CIS,
            RegimenSetting::Neoadjuvant,
            RegimenIntent::Curative,
            t,
            4,
        );
        let end = ctx.regimen(dx, spec);
        s = ctx.g.after(end, 28, 50);
    }
    ctx.surgery(dx, SurgeryKind::Cystectomy, SurgeryIntent::Curative, s);
}

pub(super) fn bladder_line(ctx: &mut Ctx, _f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    match n {
        0 if ctx.g.chance(0.6) => Some(Line::Induction(&GEM_CIS, 4, &PEMBRO, 10)),
        0 => Some(Line::Until(&PEMBRO, 8)),
        1 => Some(Line::Until(&PACLITAXEL_WEEKLY, 3)),
        _ => None,
    }
}

pub(super) fn kidney(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let s = ctx.g.after(f.date, 20, 50);
    ctx.surgery(dx, SurgeryKind::Other, SurgeryIntent::Curative, s);
    if f.level == 3 && ctx.g.chance(0.25) {
        let start = ctx.g.after(s, 42, 84);
        let spec = RegimenSpec::new(
            &PEMBRO,
            RegimenSetting::Adjuvant,
            RegimenIntent::Curative,
            start,
            17,
        );
        ctx.regimen(dx, spec);
    }
}

pub(super) fn kidney_line(_ctx: &mut Ctx, _f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    match n {
        0 => Some(Line::Until(&PEMBRO_AXITINIB, 18)),
        1 => Some(Line::Until(&CABOZANTINIB_DAILY, 8)),
        _ => None,
    }
}

pub(super) fn testis(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let s = ctx.g.after(f.date, 0, 7);
    ctx.surgery(dx, SurgeryKind::Other, SurgeryIntent::Curative, s);
    if f.level >= 2 || ctx.g.chance(0.15) {
        let start = ctx.g.after(s, 14, 35);
        let cycles = if f.level >= 3 { 4 } else { 3 };
        let spec = RegimenSpec::new(
            &BEP,
            RegimenSetting::Other,
            RegimenIntent::Curative,
            start,
            cycles,
        );
        ctx.regimen(dx, spec);
    }
}
