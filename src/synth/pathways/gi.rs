//! Gastrointestinal cancers: colorectal resection and adjuvant chemotherapy, rectal
//! chemoradiation, pancreatic, gastric, oesophageal and liver pathways.

use super::{Line, lines, offer};
use crate::Date;
use crate::chart::{
    Action, RadiationIntent, RadiationModality, RadiationTarget, RegimenIntent, RegimenSetting,
    SurgeryIntent, SurgeryKind,
};
use crate::synth::agents::*;
use crate::synth::context::{Ctx, int};
use crate::synth::facts::DxFacts;
use crate::synth::therapy::RegimenSpec;

/// Records the nodes examined at a resection: at least 12 at most practices. The typical
/// rate (0.75, with 8% of counts unrecorded) puts the share of resections with >= 12 nodes
/// recorded near the published QOPI figure for newer-practice measures (a mean of 69% by
/// 2010, Neuss JCO 2013).
fn nodes(ctx: &mut Ctx, surgery: Option<usize>) {
    let Some(i) = surgery else { return };
    let count = if ctx.good(0.75) {
        ctx.g.int(12, 35)
    } else {
        ctx.g.int(3, 11)
    };
    let recorded = ctx.g.chance(0.92).then(|| int(count));
    if let Some(s) = ctx.chart.surgeries.get_mut(i) {
        s.lymph_nodes_examined = recorded;
    }
}

fn adjuvant(ctx: &mut Ctx, dx: usize, def: &'static RegimenDef, start: Date, cycles: u16) -> Date {
    ctx.regimen(
        dx,
        RegimenSpec::new(
            def,
            RegimenSetting::Adjuvant,
            RegimenIntent::Curative,
            start,
            cycles,
        ),
    )
}

pub(super) fn colorectal(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let age = ctx.age_on(f.date);
    let colon = f.cancer == crate::chart::CancerType::Colon;
    if !colon && f.level >= 2 {
        return rectal_trimodality(ctx, dx, f);
    }
    let mut s = ctx.g.after(f.date, 10, 40);
    // Locally advanced (T4, bulky nodes) colon cancer: a few patients get neoadjuvant
    // FOLFOX/CAPOX before the colectomy (FOxTROT), then complete it after surgery.
    let t4 = matches!(
        f.t,
        Some(
            crate::chart::TCategory::T4
                | crate::chart::TCategory::T4a
                | crate::chart::TCategory::T4b
        )
    );
    let neoadjuvant = colon && f.level == 3 && t4 && ctx.g.chance(0.12);
    if neoadjuvant {
        let t = ctx.g.after(f.date, 14, 35);
        let (def, cycles): (&'static RegimenDef, u16) = if ctx.g.chance(0.6) {
            (&FOLFOX, 4)
        } else {
            (&CAPOX, 3)
        };
        let end = ctx.regimen(
            dx,
            RegimenSpec::new(
                def,
                RegimenSetting::Neoadjuvant,
                RegimenIntent::Curative,
                t,
                cycles,
            ),
        );
        s = ctx.g.after(end, 21, 42);
    }
    let kind = if colon {
        SurgeryKind::Colectomy
    } else {
        SurgeryKind::RectalResection
    };
    let surgery = ctx.surgery(dx, kind, SurgeryIntent::Curative, s);
    nodes(ctx, surgery);
    let start = if ctx.g.chance(0.06) {
        ctx.g.after(s, 100, 150)
    } else {
        ctx.g.after(s, 28, 56)
    };
    match f.level {
        3 => {
            let base = if age >= 80 {
                0.45
            } else if age >= 75 {
                0.75
            } else {
                0.94
            };
            let decided = ctx.g.after(s, 10, 25);
            if offer(ctx, Action::AdjuvantChemotherapy, base, decided) {
                let (def, cycles): (&'static RegimenDef, u16) = match ctx.g.int(0, 9) {
                    0..=4 => (&FOLFOX, 12),
                    5..=7 => (&CAPOX, 8),
                    _ => (&CAPOX, 4),
                };
                // After neoadjuvant cycles, the rest of the course.
                #[allow(
                    clippy::arithmetic_side_effects,
                    reason = "the course has 4, 8 or 12 cycles"
                )]
                let cycles = if neoadjuvant { cycles * 2 / 3 } else { cycles };
                adjuvant(ctx, dx, def, start, cycles);
            }
        }
        2 if ctx.g.chance(0.25) => {
            adjuvant(ctx, dx, &CAPECITABINE_MONO, start, 8);
        }
        1 if ctx.bad(0.03) => {
            adjuvant(ctx, dx, &CAPECITABINE_MONO, start, 8);
        }
        1 if colon && ctx.g.chance(0.05) => {
            // Circulating tumour DNA detected after resection: adjuvant chemotherapy on a
            // ctDNA-guided trial.
            let (def, cycles): (&'static RegimenDef, u16) = if ctx.g.chance(0.5) {
                (&CAPOX, 4)
            } else {
                (&FOLFOX, 6)
            };
            let spec = RegimenSpec::new(
                def,
                RegimenSetting::Adjuvant,
                RegimenIntent::Curative,
                start,
                cycles,
            )
            .trial();
            ctx.regimen(dx, spec);
        }
        _ => {}
    }
}

fn rectal_trimodality(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let t = ctx.g.after(f.date, 14, 35);
    let mut next = t;
    let decided = f.date.max(crate::synth::dates::days(t, -7));
    let radiation = offer(ctx, Action::RadiationTherapy, 0.9, decided);
    if !radiation && ctx.g.chance(0.4) {
        // Pelvic radiation declined (fertility, bowel and sexual function), documented.
        ctx.not_done(
            Action::RadiationTherapy,
            crate::chart::ReasonType::PatientRefusal,
            decided,
            None,
        );
    }
    if radiation {
        let short_course = ctx.g.chance(0.25);
        let fx = if short_course { 5 } else { 28 };
        next = ctx.radiation(
            dx,
            RadiationTarget::Pelvis,
            RadiationModality::Ebrt,
            RadiationIntent::Curative,
            t,
            fx,
        );
        if !short_course {
            let spec = RegimenSpec::new(
                &CAPE_RT,
                RegimenSetting::Neoadjuvant,
                RegimenIntent::Curative,
                t,
                6,
            );
            ctx.regimen(dx, spec);
        }
    }
    let s = ctx.g.after(next, 49, 84);
    let surgery = ctx.surgery(dx, SurgeryKind::RectalResection, SurgeryIntent::Curative, s);
    nodes(ctx, surgery);
    let decided = ctx.g.after(s, 10, 25);
    if ctx.g.chance(0.65) {
        if offer(ctx, Action::AdjuvantChemotherapy, 0.85, decided) {
            let start = ctx.g.after(s, 35, 60);
            adjuvant(ctx, dx, &FOLFOX, start, 8);
        }
    } else if ctx.g.chance(0.2) {
        // No adjuvant chemotherapy: slow recovery from surgery, or declined; documented.
        let reason = if ctx.g.chance(0.5) {
            crate::chart::ReasonType::Medical
        } else {
            crate::chart::ReasonType::PatientRefusal
        };
        ctx.not_done(Action::AdjuvantChemotherapy, reason, decided, None);
    }
}

pub(super) fn colorectal_line(ctx: &mut Ctx, f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    let ras_wild = f.tested.kras && f.tested.nras && !f.known.kras && !f.known.nras;
    let ras_mutant = f.known.kras || f.known.nras;
    match n {
        0 if ras_wild && ctx.g.chance(0.55) => Some(if ctx.g.chance(0.5) {
            Line::Until(&FOLFOX_PANI, 9)
        } else {
            Line::Until(&FOLFIRI_CETUX, 9)
        }),
        0 if ras_mutant && ctx.bad(0.03) => Some(Line::Until(&FOLFOX_PANI, 6)),
        0 => Some(match ctx.g.int(0, 9) {
            0..=6 => Line::Until(&FOLFOX_BEV, 9),
            7..=8 => Line::Until(&CAPOX, 6),
            _ => Line::Until(&FOLFOX, 8),
        }),
        1 => Some(Line::Until(&FOLFIRI_BEV, 6)),
        2 => Some(Line::Until(&REGORAFENIB_DAILY, 3)),
        _ => None,
    }
}

pub(super) fn pancreas(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    if f.level <= 2 && ctx.g.chance(0.7) {
        let s = ctx.g.after(f.date, 21, 45);
        ctx.surgery(dx, SurgeryKind::Other, SurgeryIntent::Curative, s);
        let decided = ctx.g.after(s, 14, 30);
        if offer(ctx, Action::AdjuvantChemotherapy, 0.82, decided) {
            let start = ctx.g.after(s, 35, 75);
            if ctx.g.chance(0.6) {
                adjuvant(ctx, dx, &FOLFIRINOX, start, 12);
            } else {
                adjuvant(ctx, dx, &GEM_NABPACLITAXEL, start, 6);
            }
        }
    } else {
        let start = ctx.g.after(f.date, 14, 35);
        lines(ctx, dx, start, pancreas_line);
    }
}

pub(super) fn pancreas_line(ctx: &mut Ctx, _f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    let first_folfirinox = ctx.g.chance(0.5);
    match n {
        0 if first_folfirinox => Some(Line::Until(&FOLFIRINOX, 5)),
        0 => Some(Line::Until(&GEM_NABPACLITAXEL, 5)),
        1 => Some(Line::Until(&GEM_NABPACLITAXEL, 3)),
        _ => None,
    }
}

pub(super) fn gastric(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let t = ctx.g.after(f.date, 14, 35);
    let neo = RegimenSpec::new(
        &FLOT,
        RegimenSetting::Neoadjuvant,
        RegimenIntent::Curative,
        t,
        4,
    );
    let after = ctx.regimen(dx, neo);
    let s = ctx.g.after(after, 28, 42);
    if ctx
        .surgery(dx, SurgeryKind::Other, SurgeryIntent::Curative, s)
        .is_some()
    {
        let start = ctx.g.after(s, 35, 60);
        if ctx.g.chance(0.75) {
            adjuvant(ctx, dx, &FLOT, start, 4);
        }
    }
}

pub(super) fn gastric_line(ctx: &mut Ctx, f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    let _ = ctx;
    match n {
        0 if f.known.her2 => Some(Line::Until(&CAPOX_TRASTUZUMAB, 8)),
        0 => Some(Line::Until(&FOLFOX_NIVO, 8)),
        1 => Some(Line::Until(&PACLITAXEL_RAMUCIRUMAB, 4)),
        _ => None,
    }
}

pub(super) fn esophagus(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    if f.level <= 1 {
        let s = ctx.g.after(f.date, 21, 50);
        ctx.surgery(dx, SurgeryKind::Other, SurgeryIntent::Curative, s);
        return;
    }
    let t = ctx.g.after(f.date, 14, 35);
    let spec = RegimenSpec::new(
        &CARBO_PAC_WEEKLY,
        RegimenSetting::Neoadjuvant,
        RegimenIntent::Curative,
        t,
        5,
    );
    ctx.regimen(dx, spec);
    let rt_end = ctx.radiation(
        dx,
        RadiationTarget::Thorax,
        RadiationModality::Ebrt,
        RadiationIntent::Curative,
        t,
        23,
    );
    let s = ctx.g.after(rt_end, 42, 70);
    if ctx
        .surgery(dx, SurgeryKind::Other, SurgeryIntent::Curative, s)
        .is_some()
        && ctx.g.chance(0.5)
    {
        let start = ctx.g.after(s, 42, 90);
        adjuvant(ctx, dx, &NIVOLUMAB_Q4W, start, 12);
    }
}

pub(super) fn liver(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    if f.level <= 2 {
        let s = ctx.g.after(f.date, 21, 50);
        ctx.surgery(dx, SurgeryKind::Other, SurgeryIntent::Curative, s);
    } else {
        let start = ctx.g.after(f.date, 14, 35);
        lines(ctx, dx, start, liver_line);
    }
}

pub(super) fn liver_line(_ctx: &mut Ctx, _f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    match n {
        0 => Some(Line::Until(&ATEZO_BEV, 10)),
        1 => Some(Line::Until(&LENVATINIB_DAILY, 6)),
        _ => None,
    }
}
