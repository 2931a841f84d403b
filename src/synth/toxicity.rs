//! Adverse events and the acute care they bring: febrile neutropenia, infusion reactions,
//! immune-related adverse events (with steroids for severe ones), cardiotoxicity; ED visits
//! and admissions after chemotherapy, with post-discharge follow-up visits.

use super::context::{Ctx, dec, int};
use super::dates::days;
use super::visits;
use crate::Date;
use crate::chart::{
    AdverseEvent, AdverseEventKind as K, AgentClass as Cls, EncounterKind, FnRisk, LabResult,
    LabTest, MedicationClass, MedicationPurpose, ProviderRole, RegimenId,
};

/// Records adverse events and acute care.
pub(crate) fn record(ctx: &mut Ctx) {
    for i in 0..ctx.rx.len() {
        let Some(rx) = ctx.rx.get(i) else { break };
        let (def, id, start, first, count) =
            (rx.def, rx.id.clone(), rx.start, rx.first_cycle, rx.cycles);
        let last = rx.end.unwrap_or(ctx.end).min(ctx.end);
        if !def.is_chemo() || start < ctx.care_start || start > ctx.end || count == 0 {
            continue;
        }
        let cycle_date = |ctx: &mut Ctx| {
            let k = first.checked_add(ctx.g.index(count.min(6)));
            k.and_then(|k| ctx.cycles.get(k)).map_or(start, |c| c.date)
        };
        let fn_p = match def.fn_risk {
            FnRisk::High => 0.08,
            FnRisk::Intermediate => 0.05,
            _ => 0.01,
        };
        if def.is_cytotoxic() && ctx.g.chance(fn_p) {
            let day = cycle_date(ctx);
            let onset = ctx.g.after(day, 7, 12).min(last);
            let grade = ctx_grade(ctx, &[(3, 75), (4, 25)]);
            event(ctx, K::FebrileNeutropenia, onset, grade, 0.9, id.clone());
            admission(ctx, onset, true);
        }
        let reactive = def.has_any(&[
            Cls::Taxane,
            Cls::Carboplatin,
            Cls::AntiCd20,
            Cls::AntiEgfrMab,
            Cls::AntiCd38,
            Cls::Oxaliplatin,
        ]);
        if reactive && ctx.g.chance(0.06) {
            let k = first.checked_add(ctx.g.index(count.min(2)));
            let onset = k.and_then(|k| ctx.cycles.get(k)).map_or(start, |c| c.date);
            let kind = if ctx.g.chance(0.7) {
                K::InfusionReaction
            } else {
                K::Hypersensitivity
            };
            let grade = if ctx.good(0.88) {
                Some(ctx_grade(ctx, &[(1, 40), (2, 45), (3, 15)]))
            } else {
                None
            };
            let managed = ctx.good(0.85);
            push(ctx, kind, onset, grade, managed, id.clone());
        }
        if def.ici() && ctx.g.chance(0.22) {
            irae(ctx, start, last, id.clone());
        }
        if def.has_any(&[Cls::AntiHer2, Cls::Anthracycline]) && ctx.g.chance(0.03) {
            let onset = ctx.g.after(start, 60, 300).min(last);
            event(ctx, K::Cardiotoxicity, onset, 2, 0.85, id.clone());
            if ctx.g.chance(0.6) {
                ctx.refer(crate::chart::ReferralKind::Cardiology, onset);
            }
        }
        if def.is_cytotoxic() && ctx.g.chance(0.004) {
            let onset = cycle_date(ctx);
            event(ctx, K::Extravasation, onset, 2, 0.9, id.clone());
        }
        if ctx.g.chance(0.02) {
            let day = cycle_date(ctx);
            let onset = ctx.g.after(day, 1, 14).min(last);
            event(ctx, K::Other, onset, 2, 0.7, id.clone());
        }
        // Other acute care within a month of a dose.
        if ctx.bad(0.1) {
            let day = cycle_date(ctx);
            let when = ctx.g.after(day, 1, 25).min(ctx.end);
            match ctx.g.int(0, 9) {
                0..=4 => ctx.encounter(
                    EncounterKind::EdVisit,
                    when,
                    None,
                    Some(ProviderRole::Physician),
                    false,
                ),
                5..=6 => {
                    let out = ctx.g.after(when, 0, 1);
                    ctx.encounter(
                        EncounterKind::ObservationStay,
                        when,
                        Some(out),
                        Some(ProviderRole::Physician),
                        false,
                    );
                }
                _ => admission(ctx, when, false),
            }
        }
    }
    ctx.visits.sort_by_key(|v| v.date);
}

fn ctx_grade(ctx: &mut Ctx, table: &[(i64, u32)]) -> i64 {
    ctx.g.weighted(table).unwrap_or(2)
}

fn event(
    ctx: &mut Ctx,
    kind: K,
    onset: Date,
    grade: i64,
    managed: f64,
    regimen: Option<RegimenId>,
) {
    let grade = ctx.g.chance(0.95).then_some(grade);
    let managed = ctx.good(managed);
    push(ctx, kind, onset, grade, managed, regimen);
}

fn push(
    ctx: &mut Ctx,
    kind: K,
    onset: Date,
    grade: Option<i64>,
    managed: bool,
    regimen: Option<RegimenId>,
) {
    if onset > ctx.end {
        return;
    }
    let regimen = regimen.filter(|_| ctx.g.chance(0.85));
    let managed = if ctx.g.chance(0.04) {
        None
    } else {
        Some(managed)
    };
    ctx.chart.adverse_events.push(AdverseEvent {
        kind: Some(kind),
        onset_date: Some(onset),
        grade: grade.map(int),
        management_documented: managed,
        regimen_id: regimen,
    });
}

/// An immune-related adverse event during checkpoint-inhibitor therapy.
fn irae(ctx: &mut Ctx, start: Date, last: Date, id: Option<RegimenId>) {
    let onset = ctx.g.after(start, 21, 200).min(days(last, 60)).min(ctx.end);
    if onset < start {
        return;
    }
    let kind = ctx
        .g
        .weighted(&[
            (K::IraeColitis, 25),
            (K::IraeHepatitis, 15),
            (K::IraePneumonitis, 12),
            (K::IraeEndocrine, 25),
            (K::IraeDermatologic, 18),
            (K::IraeOther, 5),
        ])
        .unwrap_or(K::IraeOther);
    let grade = ctx_grade(ctx, &[(1, 30), (2, 35), (3, 28), (4, 7)]);
    let managed = ctx.good(if grade >= 2 { 0.88 } else { 0.5 });
    push(ctx, kind, onset, Some(grade), managed, id.clone());
    if kind == K::IraeEndocrine {
        let tsh = ctx.g.int(1, 200);
        ctx.lab(
            LabTest::Tsh,
            onset,
            Some(dec(tsh, 1)),
            Some(LabResult::Abnormal),
        );
        if ctx.g.chance(0.5) {
            ctx.lab(LabTest::FreeT4, onset, None, Some(LabResult::Abnormal));
        }
        if ctx.g.chance(0.2) {
            ctx.lab(LabTest::Cortisol, onset, None, None);
        }
        return;
    }
    if grade >= 3 {
        let start = if ctx.good(0.85) {
            ctx.g.after(onset, 0, 2)
        } else {
            ctx.g.after(onset, 3, 10)
        };
        let agent = if ctx.g.chance(0.6) { "8640" } else { "6902" };
        let stop = ctx.g.after(start, 28, 56);
        ctx.medication(
            MedicationClass::SystemicCorticosteroid,
            agent,
            start,
            Some(stop),
            Some(MedicationPurpose::Treatment),
            id,
            Some(true),
        );
        if ctx.g.chance(0.6) {
            admission(ctx, onset, true);
        }
    } else if grade == 2 && ctx.g.chance(0.5) {
        let start = ctx.g.after(onset, 0, 5);
        let stop = ctx.g.after(start, 14, 42);
        ctx.medication(
            MedicationClass::SystemicCorticosteroid,
            "8640",
            start,
            Some(stop),
            Some(MedicationPurpose::Treatment),
            id,
            Some(true),
        );
    }
}

/// A hospital admission on `date` (through the ED when `emergency`), with a follow-up office
/// visit within a week of discharge at most practices.
fn admission(ctx: &mut Ctx, date: Date, emergency: bool) {
    if date > ctx.end {
        return;
    }
    if emergency && ctx.g.chance(0.5) {
        ctx.encounter(
            EncounterKind::EdVisit,
            date,
            None,
            Some(ProviderRole::Physician),
            false,
        );
    }
    let discharge = ctx.g.after(date, 2, 8);
    if discharge > ctx.end {
        let with_practice = ctx.g.chance(0.2);
        ctx.encounter(
            EncounterKind::InpatientAdmission,
            date,
            None,
            Some(ProviderRole::Physician),
            with_practice,
        );
        return;
    }
    let with_practice = ctx.g.chance(0.2);
    ctx.encounter(
        EncounterKind::InpatientAdmission,
        date,
        Some(discharge),
        Some(ProviderRole::Physician),
        with_practice,
    );
    if ctx.g.chance(0.08) {
        let icu_out = ctx.g.after(date, 1, 3).min(discharge);
        ctx.encounter(
            EncounterKind::IcuAdmission,
            date,
            Some(icu_out),
            Some(ProviderRole::Physician),
            false,
        );
    }
    if ctx.good(0.45) {
        let visit = ctx.g.after(discharge, 1, 7);
        if visit <= ctx.end
            && visit > ctx.first_visit
            && !ctx.visits.iter().any(|v| v.date == visit)
        {
            visits::office_visit(ctx, visit, false);
        }
    }
}
