//! Laboratory results: counts before each cytotoxic cycle, liver and thyroid tests with
//! checkpoint inhibitors, hepatitis B and HIV screening before anti-CD20 therapy, pregnancy
//! tests, and disease markers (CEA, PSA, CA-125, myeloma proteins).

use super::context::{Ctx, dec, int};
use super::dates::days;
use super::supportive;
use crate::Date;
use crate::chart::{
    Action, AgentClass as Cls, CancerType as C, HistologyGroup, LabResult as R, LabTest as L,
    ReasonType, Sex,
};

fn normal_or_abnormal(ctx: &mut Ctx, p_abnormal: f64) -> Option<R> {
    if ctx.g.chance(0.05) {
        None
    } else if ctx.g.chance(p_abnormal) {
        Some(R::Abnormal)
    } else {
        Some(R::Normal)
    }
}

/// Records the chart's laboratory results.
pub(crate) fn record(ctx: &mut Ctx) {
    per_cycle(ctx);
    regimen_starts(ctx);
    markers(ctx);
}

fn per_cycle(ctx: &mut Ctx) {
    let history = days(ctx.period.start, -400);
    for c in 0..ctx.cycles.len() {
        let Some(cycle) = ctx.cycles.get(c).copied() else {
            break;
        };
        let Some(rx) = ctx.rx.get(cycle.rx) else {
            continue;
        };
        let def = rx.def;
        if cycle.date < ctx.care_start
            || cycle.date > ctx.end
            || (def.continuous && cycle.date < history)
        {
            continue;
        }
        if def.is_cytotoxic() && (def.cycle_days > 7 || ctx.g.chance(0.7)) {
            if ctx.good(0.92) {
                let when = ctx.g.before(cycle.date, 0, 2);
                let test = if ctx.g.chance(0.85) { L::Cbc } else { L::Anc };
                let value = (test == L::Anc).then(|| dec(ctx.g.int(8, 60), 1));
                let result = normal_or_abnormal(ctx, 0.25);
                ctx.lab(test, when, value, result);
                if ctx.g.chance(0.4) {
                    let hb = ctx.g.int(88, 150);
                    ctx.lab(L::Hemoglobin, when, Some(dec(hb, 1)), None);
                }
            }
            if ctx.g.chance(0.6) {
                let when = ctx.g.before(cycle.date, 0, 2);
                let cr = ctx.g.int(6, 16);
                ctx.lab(L::Creatinine, when, Some(dec(cr, 1)), None);
            }
        }
        if def.ici() {
            if ctx.good(0.85) {
                let when = ctx.g.before(cycle.date, 0, 5);
                let alt = ctx.g.int(10, 90);
                let test = if ctx.g.chance(0.7) { L::Alt } else { L::Ast };
                ctx.lab(test, when, Some(int(alt)), None);
                if ctx.good(0.95) {
                    let bili = ctx.g.int(3, 15);
                    ctx.lab(L::Bilirubin, when, Some(dec(bili, 1)), None);
                }
            }
            if cycle.number > 1 && (cycle.number % 2 == 0 || def.cycle_days >= 28) && ctx.good(0.7)
            {
                let when = ctx.g.before(cycle.date, 0, 5);
                let tsh = ctx.g.int(4, 60);
                ctx.lab(L::Tsh, when, Some(dec(tsh, 1)), None);
            }
        }
    }
}

fn regimen_starts(ctx: &mut Ctx) {
    let mut first_chemo = true;
    let mut anti_cd20_seen = false;
    let mut ici_seen = false;
    for i in 0..ctx.rx.len() {
        let Some(rx) = ctx.rx.get(i) else { break };
        let (def, c1, id, dx) = (rx.def, rx.start, rx.id.clone(), rx.dx);
        if !def.is_chemo() || c1 < ctx.care_start || c1 > ctx.end {
            continue;
        }
        if def.ici() && !ici_seen {
            ici_seen = true;
            if ctx.good(0.78) {
                let when = ctx.prior(c1, 0, 28);
                let tsh = ctx.g.int(4, 45);
                ctx.lab(L::Tsh, when, Some(dec(tsh, 1)), None);
            }
            if ctx.good(0.7) {
                let when = ctx.prior(c1, 0, 28);
                let glucose = ctx.g.int(75, 190);
                ctx.lab(L::Glucose, when, Some(int(glucose)), None);
            }
        }
        if def.has(Cls::AntiCd20) && !anti_cd20_seen {
            anti_cd20_seen = true;
            if ctx.g.chance(0.005) {
                let when = ctx.prior(c1, 10, 60);
                let copies = ctx.g.int(200, 90000);
                ctx.lab(L::HbvDna, when, Some(int(copies)), Some(R::Positive));
            }
            if ctx.good(0.86) {
                let when = ctx.prior(c1, 0, 60);
                let core = ctx.g.chance(0.08);
                let surface = core && ctx.g.chance(0.12);
                ctx.lab(
                    L::Hbsag,
                    when,
                    None,
                    Some(if surface { R::Positive } else { R::Negative }),
                );
                if ctx.good(0.95) {
                    ctx.lab(
                        L::AntiHbc,
                        when,
                        None,
                        Some(if core { R::Positive } else { R::Negative }),
                    );
                }
                if core {
                    supportive::hbv_prophylaxis(ctx, c1, id.clone(), surface);
                }
            } else if ctx.g.chance(0.15) {
                let date = ctx.prior(c1, 0, 30);
                ctx.not_done(Action::HbvScreening, ReasonType::PatientRefusal, date, None);
            }
        }
        let dlbcl = ctx
            .dx
            .get(dx)
            .is_some_and(|d| d.cancer == C::Nhl && d.histology == HistologyGroup::Dlbcl);
        if dlbcl && def.is_cytotoxic() && first_chemo && ctx.good(0.65) {
            let when = ctx.prior(c1, 0, 90);
            let result = if ctx.g.chance(0.01) {
                R::Positive
            } else {
                R::Negative
            };
            ctx.lab(L::Hiv, when, None, Some(result));
        } else if dlbcl && def.is_cytotoxic() && first_chemo && ctx.g.chance(0.12) {
            // HIV testing offered before treatment and declined (or deferred for a documented
            // medical reason).
            let date = ctx.prior(c1, 0, 30);
            let reason = if ctx.g.chance(0.75) {
                ReasonType::PatientRefusal
            } else {
                ReasonType::Medical
            };
            ctx.not_done(Action::BiomarkerTest, reason, date, None);
        }
        if first_chemo {
            let age = ctx.age_on(c1);
            let female = ctx.patient.sex == Sex::Female;
            if female && (12..=55).contains(&age) && (ctx.patient.can_conceive || ctx.g.chance(0.3))
            {
                if ctx.good(0.6) {
                    let when = ctx.prior(c1, 0, 13);
                    ctx.lab(L::PregnancyHcg, when, None, Some(R::Negative));
                } else if ctx.g.chance(0.15) {
                    let date = ctx.prior(c1, 0, 13);
                    ctx.not_done(
                        Action::PregnancyTest,
                        ReasonType::PatientRefusal,
                        date,
                        None,
                    );
                }
            }
        }
        first_chemo = false;
    }
}

/// Disease markers at diagnosis and during follow-up.
fn markers(ctx: &mut Ctx) {
    for i in 0..ctx.dx.len() {
        let Some(f) = ctx.dx.get(i).copied() else {
            break;
        };
        if !f.primary {
            continue;
        }
        let first_treatment = ctx
            .rx
            .iter()
            .filter(|r| r.dx == i)
            .map(|r| r.start)
            .chain(ctx.surgeries.iter().filter(|s| s.dx == i).map(|s| s.date))
            .min();
        match f.cancer {
            C::Colon | C::Rectum => {
                if ctx.good(0.75) {
                    let when = ctx.g.after(f.date, 0, 20);
                    cea(ctx, when, false);
                }
                let resection = ctx.surgeries.iter().find(|s| s.dx == i).map(|s| s.date);
                if let Some(s) = resection {
                    if ctx.good(0.6) {
                        let when = ctx.g.after(s, 60, 120);
                        cea(ctx, when, false);
                    }
                    surveillance(ctx, days(s, 90), 0.7, |ctx, when| cea(ctx, when, true));
                }
            }
            C::Breast
                if ctx.patient.sex == Sex::Female
                    && ctx.age_on(f.date) < 45
                    && ctx.g.chance(0.01) =>
            {
                // Pregnancy at diagnosis.
                let when = ctx.g.date_in(days(f.date, -30), days(f.date, 30));
                ctx.lab(
                    L::PregnancyHcg,
                    when.max(ctx.patient.birth),
                    None,
                    Some(R::Positive),
                );
            }
            C::Breast if f.level <= 3 && f.recurrence.is_none() && ctx.bad(0.05) => {
                let when = ctx.g.date_in(ctx.period.start, ctx.end);
                if when >= f.date {
                    cea(ctx, when, false);
                }
            }
            C::Prostate => surveillance(ctx, f.date, 0.8, |ctx, when| {
                let psa = ctx.g.int(0, 150);
                ctx.lab(L::Psa, when, Some(dec(psa, 1)), None);
            }),
            C::Ovary => {
                if let Some(t) = first_treatment.filter(|_| ctx.good(0.88)) {
                    let when = ctx.g.before(t, 0, 30).max(f.date);
                    let ca125 = ctx.g.int(20, 2000);
                    ctx.lab(L::Ca125, when, Some(int(ca125)), None);
                }
                surveillance(ctx, f.date, 0.5, |ctx, when| {
                    let ca125 = ctx.g.int(5, 400);
                    ctx.lab(L::Ca125, when, Some(int(ca125)), None);
                });
            }
            C::Myeloma => {
                if let Some(t) = first_treatment {
                    for test in [L::Spep, L::SerumFreeLightChains] {
                        if ctx.good(0.85) {
                            let when = ctx.g.before(t, 0, 45);
                            let value = ctx.g.int(5, 60);
                            ctx.lab(test, when, Some(dec(value, 1)), Some(R::Abnormal));
                        }
                    }
                }
                for (test, p) in [
                    (L::Beta2Microglobulin, 0.7),
                    (L::Albumin, 0.7),
                    (L::Ldh, 0.6),
                    (L::Calcium, 0.7),
                    (L::CytogeneticsFish, 0.6),
                    (L::Upep, 0.4),
                ] {
                    if ctx.g.chance(p) {
                        let when = ctx.g.after(f.date, 0, 21);
                        let result = normal_or_abnormal(ctx, 0.4);
                        ctx.lab(test, when, None, result);
                    }
                }
            }
            C::Nhl | C::HodgkinLymphoma | C::Melanoma if ctx.g.chance(0.6) => {
                let when = ctx.g.after(f.date, 0, 21);
                let ldh = ctx.g.int(120, 600);
                ctx.lab(L::Ldh, when, Some(int(ldh)), None);
            }
            _ => {}
        }
    }
    let on_bone_loss_therapy = ctx
        .rx
        .iter()
        .any(|r| r.def.has_any(&[Cls::AromataseInhibitor, Cls::AdtGnrh]));
    if on_bone_loss_therapy && ctx.g.chance(0.3) {
        let when = ctx.g.date_in(ctx.first_visit, ctx.end);
        let vitd = ctx.g.int(12, 60);
        ctx.lab(L::VitaminD, when, Some(int(vitd)), None);
    }
}

fn cea(ctx: &mut Ctx, when: Date, follow_up: bool) {
    let value = if follow_up {
        ctx.g.int(5, 60)
    } else {
        ctx.g.int(5, 250)
    };
    ctx.lab(L::Cea, when, Some(dec(value, 1)), None);
}

/// A test repeated every 3-6 months from `from` to the chart's end, each time with
/// probability `p` (adjusted for the practice).
fn surveillance(ctx: &mut Ctx, from: Date, p: f64, mut test: impl FnMut(&mut Ctx, Date)) {
    let mut when = ctx.g.after(from, 60, 150);
    let floor = days(ctx.period.start, -730).max(ctx.care_start);
    while when <= ctx.end {
        if when >= floor && ctx.good(p) {
            test(ctx, when);
        }
        when = ctx.g.after(when, 90, 180);
    }
}
