//! Germline genetics: who should be offered testing or counselling (young, triple-negative
//! or male breast cancer, ovarian and pancreatic cancer, metastatic prostate cancer, mismatch
//! repair deficiency, strong family history), and whether the chart shows it.

use super::context::Ctx;
use super::dates::months;
use crate::chart::{
    Action, CancerType as C, DiscussionTopic, GeneticTest, GeneticTestKind as Kind,
    GeneticTestResult as Res, ReferralKind, Sex,
};

/// Records germline tests, genetics referrals and documented reasons for not testing.
pub(crate) fn record(ctx: &mut Ctx) {
    for i in 0..ctx.dx.len() {
        let Some(f) = ctx.dx.get(i).copied() else {
            continue;
        };
        if !f.primary {
            continue;
        }
        let age = ctx.age_on(f.date);
        let triple_negative = f.tested.er
            && f.tested.pr
            && f.tested.her2
            && !f.known.er
            && !f.known.pr
            && !f.known.her2;
        let (indicated, from, base, kinds, action): (bool, _, f64, &[Kind], Action) = match f.cancer
        {
            C::Breast => (
                age <= 45
                    || (triple_negative && age <= 60)
                    || ctx.patient.sex == Sex::Male
                    || ctx.patient.family_history,
                f.date,
                0.65,
                &[Kind::Brca12, Kind::MultigenePanel],
                Action::GeneticTesting,
            ),
            C::Ovary => (
                true,
                f.date,
                0.72,
                &[Kind::Brca12, Kind::MultigenePanel],
                Action::GeneticTesting,
            ),
            C::Pancreas => (
                true,
                f.date,
                0.5,
                &[Kind::MultigenePanel],
                Action::GeneticTesting,
            ),
            C::Prostate => match f.metastasis() {
                Some(m) => (
                    true,
                    m,
                    0.45,
                    &[Kind::MultigenePanel, Kind::Brca12],
                    Action::GeneticTesting,
                ),
                None => (
                    ctx.patient.family_history && ctx.g.chance(0.2),
                    f.date,
                    0.4,
                    &[Kind::MultigenePanel],
                    Action::GeneticTesting,
                ),
            },
            C::Colon | C::Rectum | C::Endometrium if f.known.dmmr => (
                true,
                f.date,
                0.55,
                &[Kind::LynchPanel, Kind::MultigenePanel],
                Action::GeneticReferral,
            ),
            _ => (
                ctx.patient.family_history && ctx.g.chance(0.15),
                f.date,
                0.5,
                &[Kind::MultigenePanel, Kind::FamilialSingleSite],
                Action::GeneticTesting,
            ),
        };
        if !indicated {
            continue;
        }
        if !ctx.good(base) {
            if ctx.g.chance(0.25) {
                let date = ctx.g.after(from, 7, 120);
                let reason = if ctx.g.chance(0.6) {
                    crate::chart::ReasonType::PatientRefusal
                } else {
                    crate::chart::ReasonType::Medical
                };
                ctx.not_done(action, reason, date, None);
            }
            continue;
        }
        let start = ctx.g.after(from, 7, 150);
        let refer = ctx.g.chance(0.6);
        if refer {
            ctx.refer(ReferralKind::GeneticCounseling, start);
            if ctx.g.chance(0.4) {
                ctx.discuss(DiscussionTopic::GeneticRisk, start);
            }
        }
        if !refer || ctx.g.chance(0.6) {
            let order = if refer {
                ctx.g.after(start, 7, 40)
            } else {
                start
            };
            if order > ctx.end {
                continue;
            }
            let kind = kinds
                .get(ctx.g.index(kinds.len()))
                .copied()
                .unwrap_or(Kind::MultigenePanel);
            let result = if months(order, 1) > ctx.end {
                Res::Pending
            } else if f.biology.brca && ctx.g.chance(0.8) {
                Res::PathogenicVariant
            } else {
                ctx.g
                    .weighted(&[
                        (Res::Negative, 80),
                        (Res::Vus, 13),
                        (Res::PathogenicVariant, 3),
                        (Res::Pending, 4),
                    ])
                    .unwrap_or(Res::Negative)
            };
            ctx.chart.genetic_tests.push(GeneticTest {
                kind: Some(kind),
                order_date: Some(order),
                result: ctx.g.chance(0.9).then_some(result),
            });
        }
    }
}
