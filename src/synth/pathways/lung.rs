//! Lung cancer: resection with adjuvant cisplatin doublets, definitive chemoradiation with
//! durvalumab, driver-directed and chemo-immunotherapy lines; small cell chemoradiation and
//! extensive-stage chemo-immunotherapy.

use super::{Line, offer};
use crate::Date;
use crate::chart::{
    Action, AgentClass, BiomarkerName, HistologyGroup, RadiationIntent, RadiationModality,
    RadiationTarget, ReasonType, RegimenIntent, RegimenSetting, StageGroup, SurgeryIntent,
    SurgeryKind,
};
use crate::synth::agents::*;
use crate::synth::context::{Ctx, int};
use crate::synth::facts::DxFacts;
use crate::synth::therapy::RegimenSpec;

pub(super) fn nsclc(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let age = ctx.age_on(f.date);
    let resectable = f.level <= 2 || (f.stage == StageGroup::IIIA && ctx.g.chance(0.6));
    if f.level == 1 && ctx.g.chance(0.2) {
        let t = ctx.g.after(f.date, 21, 50);
        ctx.radiation(
            dx,
            RadiationTarget::Thorax,
            RadiationModality::SbrtSrs,
            RadiationIntent::Curative,
            t,
            5,
        );
        return;
    }
    if resectable {
        let s = ctx.g.after(f.date, 21, 50);
        let kind = if f.level == 1 && ctx.g.chance(0.2) {
            SurgeryKind::SublobarResection
        } else if ctx.g.chance(0.85) {
            SurgeryKind::Lobectomy
        } else {
            SurgeryKind::Pneumonectomy
        };
        if let Some(i) = ctx.surgery(dx, kind, SurgeryIntent::Curative, s) {
            let n = ctx.g.chance(0.8).then(|| int(ctx.g.int(5, 20)));
            if let Some(surgery) = ctx.chart.surgeries.get_mut(i) {
                surgery.lymph_nodes_examined = n;
            }
        }
        if f.level >= 2 {
            let base = if age >= 80 { 0.35 } else { 0.86 };
            let decided = ctx.g.after(s, 10, 28);
            if offer(ctx, Action::AdjuvantChemotherapy, base, decided) {
                let start = if ctx.g.chance(0.05) {
                    ctx.g.after(s, 121, 160)
                } else {
                    ctx.g.after(s, 30, 70)
                };
                let def: &'static RegimenDef = if ctx.g.chance(0.8) {
                    if f.histology == HistologyGroup::SquamousCell {
                        &CIS_VINORELBINE
                    } else {
                        &CIS_PEM
                    }
                } else {
                    // Cisplatin-ineligible: a documented medical reason, then carboplatin.
                    if ctx.g.chance(0.7) {
                        let date = ctx.prior(start, 1, 20);
                        ctx.not_done(
                            Action::AdjuvantChemotherapy,
                            ReasonType::Medical,
                            date,
                            Some(AgentClass::Cisplatin),
                        );
                    }
                    &CARBO_PEM
                };
                let spec = RegimenSpec::new(
                    def,
                    RegimenSetting::Adjuvant,
                    RegimenIntent::Curative,
                    start,
                    4,
                );
                let end = ctx.regimen(dx, spec);
                if f.known.egfr {
                    let t = ctx.g.after(end, 21, 45);
                    let spec = RegimenSpec::new(
                        &OSIMERTINIB_DAILY,
                        RegimenSetting::Adjuvant,
                        RegimenIntent::Curative,
                        t,
                        39,
                    )
                    .months(36);
                    ctx.regimen(dx, spec);
                }
            }
        }
        return;
    }
    // Unresectable stage III: concurrent chemoradiation, then durvalumab.
    let t = ctx.g.after(f.date, 14, 35);
    let cycles = ctx.g.int(6, 7) as u16;
    let spec = RegimenSpec::new(
        &CARBO_PAC_WEEKLY,
        RegimenSetting::DefinitiveWithRadiation,
        RegimenIntent::Curative,
        t,
        cycles,
    );
    ctx.regimen(dx, spec);
    let rt_end = ctx.radiation(
        dx,
        RadiationTarget::Thorax,
        RadiationModality::Ebrt,
        RadiationIntent::Curative,
        t,
        30,
    );
    let start = ctx.g.after(rt_end, 14, 42);
    if offer(ctx, Action::SystemicTherapy, 0.8, start) {
        let spec = RegimenSpec::new(
            &DURVALUMAB_MAINT,
            RegimenSetting::Maintenance,
            RegimenIntent::Curative,
            start,
            12,
        );
        ctx.regimen(dx, spec);
    }
}

pub(super) fn nsclc_line(ctx: &mut Ctx, f: &DxFacts, n: u32, start: Date) -> Option<Line> {
    let driver = f.known.egfr || f.known.alk || f.known.ros1;
    if n == 0 {
        let decided = ctx.prior(start, 0, 10);
        if f.known.alk && !f.known.egfr && !alk_pending(ctx, f, start) && ctx.g.chance(0.25) {
            // Insufficient tissue on the first biopsy: the fusion is reported from a repeat
            // (or liquid) biopsy after treatment had to start.
            let late = ctx.g.after(start, 5, 30);
            delay_alk_result(ctx, f, late);
        }
        if f.known.alk && !f.known.egfr && alk_pending(ctx, f, start) && ctx.g.chance(0.6) {
            // Symptomatic disease treated before the ALK result came back: chemo-immunotherapy
            // first, the deferred targeted therapy sometimes documented (medical reason).
            if ctx.g.chance(0.5) {
                ctx.not_done(Action::TargetedTherapy, ReasonType::Medical, decided, None);
            }
            return Some(Line::Induction(&CARBO_PEM_PEMBRO, 4, &PEM_PEMBRO, 4));
        }
        if driver && offer(ctx, Action::TargetedTherapy, 0.93, decided) {
            return Some(if f.known.egfr {
                Line::Until(&OSIMERTINIB_DAILY, 18)
            } else if f.known.alk {
                Line::Until(&ALECTINIB_DAILY, 30)
            } else {
                Line::Until(&CRIZOTINIB_DAILY, 18)
            });
        }
        if !driver && ctx.bad(0.02) {
            return Some(Line::Until(&ERLOTINIB_DAILY, 8));
        }
        if f.tested.pdl1 > 0 && f.biology.pdl1 >= 50 && ctx.g.chance(0.5) {
            return Some(Line::Until(&PEMBRO, 10));
        }
        return Some(if f.histology == HistologyGroup::SquamousCell {
            Line::Induction(&CARBO_PAC_PEMBRO, 4, &PEMBRO, 8)
        } else {
            Line::Induction(&CARBO_PEM_PEMBRO, 4, &PEM_PEMBRO, 8)
        });
    }
    match n {
        1 if f.known.alk && !had_alk_tki(ctx, f) => Some(Line::Until(&ALECTINIB_DAILY, 24)),
        1 if driver => Some(Line::Until(&CARBO_PEM, 4)),
        1 | 2 => Some(Line::Until(&DOCETAXEL_MONO, 3)),
        _ => None,
    }
}

/// Whether the diagnosis's ALK result was reported after `start` (still pending then).
fn alk_pending(ctx: &Ctx, f: &DxFacts, start: Date) -> bool {
    ctx.chart.diagnoses.get(f.slot).is_some_and(|d| {
        d.biomarkers
            .iter()
            .any(|b| b.name == Some(BiomarkerName::Alk) && b.result_date.is_some_and(|r| r > start))
    })
}

/// Moves the diagnosis's ALK result to `date` (when still recordable).
fn delay_alk_result(ctx: &mut Ctx, f: &DxFacts, date: Date) {
    if date > ctx.end {
        return;
    }
    if let Some(d) = ctx.chart.diagnoses.get_mut(f.slot) {
        for b in &mut d.biomarkers {
            if b.name == Some(BiomarkerName::Alk) {
                b.result_date = Some(date);
            }
        }
    }
}

/// Whether an ALK inhibitor was already given for the diagnosis.
fn had_alk_tki(ctx: &Ctx, f: &DxFacts) -> bool {
    ctx.rx.iter().any(|r| {
        r.def.has(AgentClass::AlkTki) && ctx.dx.get(r.dx).is_some_and(|d| d.slot == f.slot)
    })
}

pub(super) fn sclc(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    let t = ctx.g.after(f.date, 7, 28);
    let spec = RegimenSpec::new(
        &CIS_ETOPOSIDE,
        RegimenSetting::DefinitiveWithRadiation,
        RegimenIntent::Curative,
        t,
        4,
    );
    let chemo_end = ctx.regimen(dx, spec);
    let rt_start = ctx.g.after(t, 0, 21);
    ctx.radiation(
        dx,
        RadiationTarget::Thorax,
        RadiationModality::Ebrt,
        RadiationIntent::Curative,
        rt_start,
        30,
    );
    if ctx.g.chance(0.3) {
        let pci = ctx.g.after(chemo_end, 21, 45);
        ctx.radiation(
            dx,
            RadiationTarget::Brain,
            RadiationModality::Ebrt,
            RadiationIntent::Curative,
            pci,
            10,
        );
    }
}

pub(super) fn sclc_line(_ctx: &mut Ctx, _f: &DxFacts, n: u32, _start: Date) -> Option<Line> {
    match n {
        0 => Some(Line::Induction(&CARBO_ETOPOSIDE_ATEZO, 4, &ATEZO_MAINT, 6)),
        1 => Some(Line::Until(&TOPOTECAN_MONO, 3)),
        _ => None,
    }
}
