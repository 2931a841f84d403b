//! Supportive medications: antiemetics by emetic risk, G-CSF by febrile-neutropenia risk
//! (including overuse), antidiarrhoeals, antiviral and VTE prophylaxis, ESAs, bone-modifying
//! agents, opioids with bowel regimens.

use super::context::{Ctx, dec};
use super::dates::days;
use crate::Date;
use crate::chart::{
    Action, AgentClass as Cls, CancerType, EmeticRisk, FnRisk, LabResult, LabTest,
    MedicationClass as M, MedicationPurpose as P, ReasonType, RegimenId, RegimenIntent,
};

/// A cycle-1 prophylaxis prescription: prescribed up to two weeks before C1D1, stopping a few
/// days after it or left open.
fn prophylaxis(ctx: &mut Ctx, class: M, agent: &'static str, c1: Date, regimen: Option<RegimenId>) {
    let start = if ctx.g.chance(0.6) {
        ctx.prior(c1, 1, 14)
    } else {
        c1
    };
    let end = if ctx.g.chance(0.55) {
        Some(ctx.g.after(c1, 2, 5))
    } else {
        None
    };
    let purpose = ctx
        .g
        .weighted(&[(Some(P::Prophylaxis), 85), (Some(P::Unknown), 8), (None, 7)])
        .flatten();
    let regimen = regimen.filter(|_| ctx.g.chance(0.6));
    ctx.medication(class, agent, start, end, purpose, regimen, None);
}

/// Supportive care started with each regimen, and bone-modifying agents.
pub(crate) fn record(ctx: &mut Ctx) {
    let mut first_chemo = true;
    for i in 0..ctx.rx.len() {
        let Some(rx) = ctx.rx.get(i) else { break };
        let (def, c1, id, intent, end) = (rx.def, rx.start, rx.id.clone(), rx.intent, rx.end);
        if c1 < ctx.care_start || c1 > ctx.end || !def.is_chemo() {
            continue;
        }
        antiemetics(ctx, def.emetic, def.auc, c1, id.clone());
        gcsf(ctx, def.fn_risk, def.is_cytotoxic(), intent, c1, id.clone());
        if def.has(Cls::Irinotecan) || (def.has(Cls::Fluoropyrimidine) && def.oral_chemo()) {
            if ctx.good(0.6) {
                let start = ctx.prior(c1, 0, 28);
                ctx.medication(
                    M::Antidiarrheal,
                    "6468",
                    start,
                    None,
                    Some(P::Treatment),
                    id.clone(),
                    None,
                );
            } else if ctx.g.chance(0.3) {
                let start = ctx.g.after(c1, 1, 21);
                ctx.medication(
                    M::Antidiarrheal,
                    "6468",
                    start,
                    None,
                    Some(P::Treatment),
                    id.clone(),
                    None,
                );
            }
        }
        if def.has(Cls::Imid) {
            if ctx.good(0.85) {
                let agent = ctx.g.pick(&["1191", "1191", "67108", "1364430"]);
                let start = ctx.prior(c1, 0, 10);
                ctx.medication(
                    M::VteProphylaxis,
                    agent,
                    start,
                    None,
                    Some(P::Prophylaxis),
                    id.clone(),
                    None,
                );
            } else {
                ctx.omitted(Action::VteProphylaxis, c1, 0.3);
            }
        }
        if def.has_any(&[Cls::ProteasomeInhibitor, Cls::AntiCd38]) {
            if ctx.good(0.85) {
                let agent = if ctx.g.chance(0.6) { "281" } else { "73645" };
                let start = ctx.g.date_in(days(c1, -10), days(c1, 7));
                ctx.medication(
                    M::HsvVzvAntiviral,
                    agent,
                    start,
                    None,
                    Some(P::Prophylaxis),
                    id.clone(),
                    None,
                );
            } else {
                ctx.omitted(Action::AntiviralProphylaxis, c1, 0.3);
            }
        }
        // ESAs: for chemotherapy-induced anaemia in non-curative treatment, rarely in curative.
        let esa = if intent == RegimenIntent::Curative {
            ctx.bad(0.02)
        } else {
            ctx.g.chance(0.04)
        };
        if esa && def.is_cytotoxic() {
            let start = ctx.g.after(c1, 21, 90);
            let stop = end.unwrap_or(ctx.end);
            if start <= stop {
                if ctx.good(0.85) {
                    let lab = ctx.prior(start, 0, 12);
                    let hb = if ctx.g.chance(0.85) {
                        ctx.g.int(75, 99)
                    } else {
                        ctx.g.int(100, 112)
                    };
                    ctx.lab(LabTest::Hemoglobin, lab, Some(dec(hb, 1)), None);
                }
                let agent = if ctx.g.chance(0.6) {
                    "105694"
                } else {
                    "283838"
                };
                let stop = ctx.g.after(start, 28, 90);
                ctx.medication(
                    M::Esa,
                    agent,
                    start,
                    Some(stop),
                    Some(P::Treatment),
                    id.clone(),
                    None,
                );
            }
        }
        if first_chemo && ctx.patient.can_conceive && ctx.g.chance(0.1) {
            let start = ctx.prior(c1, 0, 60);
            ctx.medication(
                M::Contraceptive,
                "4124",
                start,
                None,
                Some(P::Prophylaxis),
                None,
                None,
            );
        }
        if def.has(Cls::AromataseInhibitor) && ctx.g.chance(0.3) {
            ctx.medication(
                M::CalciumVitaminD,
                "1897",
                c1,
                None,
                Some(P::Prophylaxis),
                None,
                None,
            );
        }
        first_chemo = false;
    }
    for i in 0..ctx.rx.len() {
        let Some(rx) = ctx.rx.get(i) else { break };
        if rx.def.has(Cls::AromataseInhibitor) && rx.start >= ctx.care_start && ctx.g.chance(0.25) {
            let start = rx.start;
            ctx.medication(
                M::CalciumVitaminD,
                "1897",
                start,
                None,
                Some(P::Prophylaxis),
                None,
                None,
            );
        }
    }
    bone_agents(ctx);
}

fn antiemetics(ctx: &mut Ctx, risk: EmeticRisk, auc: u8, c1: Date, id: Option<RegimenId>) {
    let (p5ht3, pdex, pnk1, polanz) = match risk {
        EmeticRisk::High => (
            ctx.practice.good(0.95),
            ctx.practice.good(0.92),
            ctx.practice.good(0.72),
            ctx.practice.good(0.45),
        ),
        EmeticRisk::Moderate => (
            ctx.practice.good(0.93),
            ctx.practice.good(0.86),
            if auc >= 4 {
                ctx.practice.good(0.7)
            } else {
                0.08
            },
            0.08,
        ),
        EmeticRisk::Low => (0.35, 0.45, ctx.practice.bad(0.06), ctx.practice.bad(0.03)),
        _ => (
            ctx.practice.bad(0.05),
            ctx.practice.bad(0.04),
            ctx.practice.bad(0.01),
            0.0,
        ),
    };
    let mut missing = false;
    for (p, class, agent) in [
        (p5ht3, M::Ant5ht3Ra, "26225"),
        (pdex, M::Dexamethasone, "3264"),
        (pnk1, M::Nk1Ra, "358255"),
        (polanz, M::Olanzapine, "61381"),
    ] {
        if ctx.g.chance(p) {
            prophylaxis(ctx, class, agent, c1, id.clone());
        } else if matches!(risk, EmeticRisk::High | EmeticRisk::Moderate) && class != M::Olanzapine
        {
            missing = true;
        }
    }
    if missing && ctx.g.chance(0.2) {
        let date = ctx.prior(c1, 0, 14);
        ctx.not_done(
            Action::Antiemetic,
            crate::chart::ReasonType::Medical,
            date,
            None,
        );
    }
    if ctx.g.chance(0.3) {
        let start = ctx.prior(c1, 0, 7);
        ctx.medication(
            M::OtherAntiemetic,
            "8704",
            start,
            None,
            Some(P::Treatment),
            None,
            None,
        );
    }
}

fn gcsf(
    ctx: &mut Ctx,
    risk: FnRisk,
    cytotoxic: bool,
    intent: RegimenIntent,
    c1: Date,
    id: Option<RegimenId>,
) {
    if !cytotoxic {
        return;
    }
    let age = ctx.age_on(c1);
    let p = match (risk, intent) {
        (FnRisk::High, RegimenIntent::Curative) => ctx.practice.good(0.86),
        (FnRisk::High, _) => ctx.practice.good(0.6),
        (FnRisk::Intermediate, _) if age >= 65 => ctx.practice.good(0.5),
        (FnRisk::Intermediate, _) => 0.2,
        _ => ctx.practice.bad(0.06),
    };
    if ctx.g.chance(p) {
        let (agent, start, end) = if ctx.g.chance(0.75) {
            let start = ctx.g.after(c1, 1, 2);
            ("338036", start, Some(start))
        } else {
            let start = ctx.g.after(c1, 1, 3);
            ("68442", start, Some(ctx.g.after(start, 5, 9)))
        };
        let purpose = if ctx.g.chance(0.92) {
            Some(P::Prophylaxis)
        } else {
            Some(P::Unknown)
        };
        let id = id.filter(|_| ctx.g.chance(0.6));
        ctx.medication(M::GCsf, agent, start, end, purpose, id, None);
    } else if risk == FnRisk::High && ctx.g.chance(0.3) {
        let date = ctx.prior(c1, 0, 14);
        let reason = ctx.reason();
        ctx.not_done(Action::Gcsf, reason, date, None);
    } else if risk == FnRisk::Intermediate && age >= 65 && ctx.g.chance(0.15) {
        // Older patients on intermediate-risk regimens: G-CSF discussed and declined
        // (injections, bone pain) or held for a documented medical reason.
        let date = ctx.prior(c1, 0, 14);
        let reason = if ctx.g.chance(0.6) {
            ReasonType::PatientRefusal
        } else {
            ReasonType::Medical
        };
        ctx.not_done(Action::Gcsf, reason, date, None);
    }
}

/// Bone-modifying agents for bone metastases (breast, castration-resistant prostate) and
/// myeloma on treatment.
fn bone_agents(ctx: &mut Ctx) {
    for i in 0..ctx.dx.len() {
        let Some(f) = ctx.dx.get(i).copied() else {
            break;
        };
        if !f.primary {
            continue;
        }
        let from = match f.cancer {
            CancerType::Breast if f.bone_mets => f.metastasis(),
            CancerType::Prostate if f.bone_mets && f.subtype == 1 => f.metastasis(),
            CancerType::Myeloma => ctx.rx.iter().find(|r| r.dx == i).map(|r| r.start),
            _ => None,
        };
        let Some(from) = from else { continue };
        if ctx.good(0.75) {
            let start = ctx.g.after(from, 0, 90).max(ctx.care_start);
            let agent = if ctx.g.chance(0.55) {
                "77655"
            } else {
                "993449"
            };
            let end = ctx.g.chance(0.2).then(|| ctx.g.after(start, 180, 720));
            ctx.medication(
                M::BoneModifyingAgent,
                agent,
                start,
                end,
                Some(P::Treatment),
                None,
                None,
            );
            if ctx.g.chance(0.5) {
                ctx.medication(
                    M::CalciumVitaminD,
                    "1897",
                    start,
                    None,
                    Some(P::Prophylaxis),
                    None,
                    None,
                );
            }
        } else if ctx.g.chance(0.35) {
            let date = ctx.g.after(from, 7, 80);
            let reason = ctx.reason();
            ctx.not_done(Action::BoneModifyingAgent, reason, date, None);
        }
    }
}

/// Starts an opioid for moderate or severe pain on `date`, usually with a bowel regimen.
pub(crate) fn opioid(ctx: &mut Ctx, date: Date) {
    let agent = ctx.g.pick(&["7804", "7804", "7052", "3423"]);
    let end = ctx.g.chance(0.4).then(|| ctx.g.after(date, 30, 120));
    ctx.medication(M::Opioid, agent, date, end, Some(P::Treatment), None, None);
    if ctx.good(0.72) {
        let start = ctx.g.date_in(days(date, -7), days(date, 7));
        let agent = ctx.g.pick(&["36387", "221147", "82003"]);
        ctx.medication(
            M::BowelRegimen,
            agent,
            start,
            None,
            Some(P::Prophylaxis),
            None,
            None,
        );
    } else if ctx.g.chance(0.2) {
        let start = ctx.g.after(date, 10, 60);
        ctx.medication(
            M::BowelRegimen,
            "36387",
            start,
            None,
            Some(P::Treatment),
            None,
            None,
        );
    }
}

/// Antiviral prophylaxis for hepatitis B before anti-CD20 therapy starting on `c1`.
/// `surface`: HBsAg positive (otherwise isolated anti-HBc).
pub(crate) fn hbv_prophylaxis(ctx: &mut Ctx, c1: Date, id: Option<RegimenId>, surface: bool) {
    if !surface && ctx.g.chance(0.15) {
        // Isolated anti-HBc with undetectable HBV DNA: monitoring chosen over prophylaxis, the
        // reason documented.
        let when = ctx.prior(c1, 3, 30);
        ctx.lab(LabTest::HbvDna, when, None, Some(LabResult::Negative));
        let reason = if ctx.g.chance(0.8) {
            ReasonType::Medical
        } else {
            ReasonType::PatientRefusal
        };
        if ctx.g.chance(0.7) {
            ctx.not_done(Action::HbvProphylaxis, reason, when, None);
        }
        return;
    }
    if ctx.good(0.8) {
        let start = ctx.g.date_in(days(c1, -14), days(c1, 7));
        ctx.medication(
            M::HbvAntiviral,
            "306266",
            start,
            None,
            Some(P::Prophylaxis),
            id,
            None,
        );
    } else {
        ctx.omitted(Action::HbvProphylaxis, c1, 0.3);
    }
}
