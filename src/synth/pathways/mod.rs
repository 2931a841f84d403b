//! Treatment pathways by disease: what each cancer receives, in what order and when, and how
//! often indicated care is omitted (with or without a documented reason).
//!
//! A non-metastatic cancer follows its curative pathway up to a recurrence; metastatic
//! disease (at diagnosis or at recurrence) gets lines of therapy until progression, the
//! abstraction date or the end of life, plus palliative radiation for bone and brain
//! metastases.

mod breast;
mod gi;
mod gu;
mod gyn;
mod heme;
mod lung;
mod other;

use super::agents::RegimenDef;
use super::context::Ctx;
use super::facts::DxFacts;
use super::therapy::RegimenSpec;
use crate::Date;
use crate::chart::{
    Action, CancerType as C, RadiationIntent, RadiationModality, RadiationTarget, RegimenSetting,
};

/// One line of therapy for advanced disease.
#[derive(Clone, Copy)]
pub(crate) enum Line {
    /// A regimen given until progression, for about this many months.
    Until(&'static RegimenDef, u16),
    /// A fixed number of induction cycles, then maintenance until progression (months).
    Induction(&'static RegimenDef, u16, &'static RegimenDef, u16),
}

/// Chooses line `n` (0-based) for a diagnosis, starting on the given date.
pub(crate) type Chooser = fn(&mut Ctx, &DxFacts, u32, Date) -> Option<Line>;

/// Treats diagnosis `dx` (an index in `ctx.dx`).
pub(crate) fn treat(ctx: &mut Ctx, dx: usize) {
    let Some(f) = ctx.dx.get(dx).copied() else {
        return;
    };
    if f.metastatic_at_dx() {
        let start = ctx.g.after(f.date, 14, 40);
        advanced(ctx, dx, &f, start);
        return;
    }
    let open = ctx.end;
    if let Some(r) = f.recurrence {
        ctx.phase_stop = super::dates::days(r, -1);
    }
    curative(ctx, dx, &f);
    ctx.phase_stop = open;
    if let Some(r) = f.recurrence {
        let start = ctx.g.after(r, 14, 42);
        advanced(ctx, dx, &f, start);
    }
}

/// Moves the first office visit before the first chemotherapy or radiation the practice
/// gives (surgery elsewhere may precede it), unless the patient transferred in.
pub(crate) fn align_first_visit(ctx: &mut Ctx) {
    if ctx.patient.transferred {
        return;
    }
    let first = ctx
        .rx
        .iter()
        .map(|r| r.start)
        .chain(ctx.rt.iter().map(|r| r.start))
        .min();
    if let Some(first) = first.filter(|&f| f <= ctx.first_visit) {
        let earliest = ctx.dx.first().map_or(first, |d| d.date);
        ctx.first_visit = ctx.g.before(first, 1, 10).max(earliest).min(first);
    }
}

fn curative(ctx: &mut Ctx, dx: usize, f: &DxFacts) {
    match f.cancer {
        C::Breast => breast::curative(ctx, dx, f),
        C::Colon | C::Rectum => gi::colorectal(ctx, dx, f),
        C::Pancreas => gi::pancreas(ctx, dx, f),
        C::GastricGej => gi::gastric(ctx, dx, f),
        C::Esophagus => gi::esophagus(ctx, dx, f),
        C::Liver => gi::liver(ctx, dx, f),
        C::LungNsclc => lung::nsclc(ctx, dx, f),
        C::LungSclc => lung::sclc(ctx, dx, f),
        C::Nhl => heme::nhl(ctx, dx, f),
        C::HodgkinLymphoma => heme::hodgkin(ctx, dx, f),
        C::Myeloma => heme::myeloma(ctx, dx, f),
        C::Leukemia => heme::leukemia(ctx, dx, f),
        C::OtherHeme => heme::other(ctx, dx, f),
        C::Prostate => gu::prostate(ctx, dx, f),
        C::Bladder => gu::bladder(ctx, dx, f),
        C::Kidney => gu::kidney(ctx, dx, f),
        C::Testis => gu::testis(ctx, dx, f),
        C::Ovary => gyn::ovary(ctx, dx, f),
        C::Cervix => gyn::cervix(ctx, dx, f),
        C::Endometrium => gyn::endometrium(ctx, dx, f),
        C::GestationalTrophoblastic => gyn::gestational(ctx, dx, f),
        C::Melanoma => other::melanoma(ctx, dx, f),
        C::HeadAndNeck => other::head_and_neck(ctx, dx, f),
        C::BrainCns => other::brain(ctx, dx, f),
        C::Sarcoma | C::OtherSolid => other::solid(ctx, dx, f),
    }
}

fn advanced(ctx: &mut Ctx, dx: usize, f: &DxFacts, start: Date) {
    let chooser: Chooser = match f.cancer {
        C::Breast => breast::line,
        C::Colon | C::Rectum => gi::colorectal_line,
        C::Pancreas => gi::pancreas_line,
        C::GastricGej | C::Esophagus => gi::gastric_line,
        C::Liver => gi::liver_line,
        C::LungNsclc => lung::nsclc_line,
        C::LungSclc => lung::sclc_line,
        C::Nhl | C::HodgkinLymphoma | C::Leukemia | C::OtherHeme => heme::lymphoma_line,
        C::Myeloma => heme::myeloma_line,
        C::Prostate => gu::prostate_line,
        C::Bladder => gu::bladder_line,
        C::Kidney | C::Testis => gu::kidney_line,
        C::Ovary => gyn::ovary_line,
        C::Cervix | C::GestationalTrophoblastic => gyn::cervix_line,
        C::Endometrium => gyn::endometrium_line,
        C::Melanoma => other::melanoma_line,
        C::HeadAndNeck => other::head_and_neck_line,
        C::BrainCns | C::Sarcoma | C::OtherSolid => other::solid_line,
    };
    lines(ctx, dx, start, chooser);
    if f.bone_mets && ctx.g.chance(0.4) {
        let rt_start = ctx.g.after(start, 7, 150);
        let fractions = ctx
            .g
            .weighted(&[(1u16, 30), (5, 30), (10, 22), (15, 8), (20, 10)])
            .unwrap_or(5);
        ctx.radiation(
            dx,
            RadiationTarget::Bone,
            RadiationModality::Ebrt,
            RadiationIntent::Palliative,
            rt_start,
            fractions,
        );
        // Some patients come back for another palliative course to bone months later
        // (a new site, or re-irradiation of the first).
        if ctx.g.chance(0.25) {
            let again = ctx.g.after(rt_start, 45, 330);
            let fractions = ctx
                .g
                .weighted(&[(1u16, 40), (5, 40), (10, 20)])
                .unwrap_or(1);
            ctx.radiation(
                dx,
                RadiationTarget::Bone,
                RadiationModality::Ebrt,
                RadiationIntent::Palliative,
                again,
                fractions,
            );
        }
    }
    if f.brain_mets && ctx.g.chance(0.7) {
        let rt_start = ctx.g.after(start, 3, 60);
        if ctx.g.chance(0.6) {
            let fx = ctx.g.pick(&[1, 3, 5]);
            ctx.radiation(
                dx,
                RadiationTarget::Brain,
                RadiationModality::SbrtSrs,
                RadiationIntent::Palliative,
                rt_start,
                fx,
            );
        } else {
            ctx.radiation(
                dx,
                RadiationTarget::Brain,
                RadiationModality::Ebrt,
                RadiationIntent::Palliative,
                rt_start,
                10,
            );
        }
    }
}

/// Lines of therapy from `start` until the end of the phase.
fn lines(ctx: &mut Ctx, dx: usize, start: Date, choose: Chooser) {
    let Some(f) = ctx.dx.get(dx).copied() else {
        return;
    };
    // Best supportive care only, mostly for frail patients.
    if ctx.g.chance(if ctx.patient.ecog >= 3 { 0.5 } else { 0.06 }) {
        return;
    }
    let mut t = start;
    let mut last_defined = 0;
    for n in 0..8 {
        if t > ctx.stop() {
            break;
        }
        // Past the pathway's last line, its last line is repeated (re-challenge, trials).
        let line = match choose(ctx, &f, n, t) {
            Some(line) => {
                last_defined = n;
                line
            }
            None if n > 0 => match choose(ctx, &f, last_defined, t) {
                Some(line) => line,
                None => break,
            },
            None => break,
        };
        let setting = if n == 0 {
            RegimenSetting::FirstLineAdvanced
        } else {
            RegimenSetting::SubsequentLineAdvanced
        };
        let end = match line {
            Line::Until(def, months) => {
                let months = jitter(ctx, months);
                ctx.regimen(dx, RegimenSpec::line(def, setting, t, months))
            }
            Line::Induction(def, cycles, maintenance, months) => {
                let spec = RegimenSpec::new(
                    def,
                    setting,
                    crate::chart::RegimenIntent::NonCurative,
                    t,
                    cycles,
                );
                let end = ctx.regimen(dx, spec);
                let months = jitter(ctx, months);
                let next = ctx.g.after(end, 14, 24);
                ctx.regimen(
                    dx,
                    RegimenSpec::line(maintenance, RegimenSetting::Maintenance, next, months),
                )
            }
        };
        t = ctx.g.after(end, 10, 35);
    }
}

/// About `months` months: between half and one and a half times as long.
fn jitter(ctx: &mut Ctx, months: u16) -> u16 {
    let m = f64::from(months) * (0.5 + ctx.g.unit());
    (m.round() as u16).max(1)
}

/// Offers an indicated treatment: given with the practice-adjusted probability `base`. When
/// given, the recommendation is sometimes documented; when not, a documented reason or a
/// (declined) recommendation sometimes records it.
pub(crate) fn offer(ctx: &mut Ctx, action: Action, base: f64, date: Date) -> bool {
    let given = ctx.good(base);
    if given {
        if ctx.g.chance(0.3) {
            ctx.recommend(action, date);
        }
    } else if ctx.g.chance(0.5) {
        let reason = ctx.reason();
        ctx.not_done(action, reason, date, None);
    } else if ctx.g.chance(0.25) {
        ctx.recommend(action, date);
    }
    given
}
