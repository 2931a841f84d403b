//! Builds one chart: the story in order (cancer, patient, timeline, death, treatment), then
//! the documentation of each part, then chart order.

use super::config::SynthConfig;
use super::context::Ctx;
use super::facts::is_heme;
use super::ids::chart_id;
use super::practice::Practice;
use super::rng::Gen;
use super::{
    assessments, biomarkers, care_planning, conditions, disease, end_of_life, genetics, labs,
    pathways,
};
use super::{patient, procedures, supportive, timeline, toxicity, visits};
use crate::{Chart, Date};

/// Chart `index` of `config`.
pub(crate) fn chart(config: &SynthConfig, index: usize) -> Chart {
    let round = config.round_of(index);
    let practice = Practice::new(config.seed, config.practice_of(index));
    let period = round.default_period();
    let mut g = Gen::new(config.seed, index as u64);

    let pediatric = g.chance(patient::PEDIATRIC_SHARE);
    let draft = disease::choose(&mut g, pediatric);
    let mut facts = patient::facts(&mut g, draft.profile, pediatric, period);
    let metastatic = draft.level == 4 && !is_heme(draft.profile.cancer);
    let anchor = timeline::anchor(&mut g, period, &facts, metastatic);
    facts.transferred = anchor.transferred;
    // 1-based; the last `usize` index (past any real configuration) keeps the largest number.
    let number = (index as u64).saturating_add(1);
    let mut chart = Chart::new(chart_id(number), practice.id.clone(), round);
    // Typical sizes, so the lists rarely grow while the chart is written.
    chart.encounters.reserve(32);
    chart.assessments.reserve(64);
    chart.administrations.reserve(32);
    chart.labs.reserve(16);
    chart.medications.reserve(8);
    chart.patient = patient::record(&mut g, &facts, draft.profile, period.start);

    let mut ctx = Ctx {
        g,
        practice,
        period,
        chart,
        patient: facts,
        dx: Vec::with_capacity(2),
        rx: Vec::with_capacity(8),
        cycles: Vec::with_capacity(64),
        rt: Vec::new(),
        surgeries: Vec::new(),
        visits: Vec::with_capacity(32),
        death: None,
        first_visit: anchor.first_visit,
        care_start: if anchor.transferred {
            anchor.first_visit
        } else {
            Date::MIN
        },
        end: period.end,
        treat_stop: period.end,
        phase_stop: period.end,
    };
    disease::record(&mut ctx, &draft, anchor.diagnosis, true);
    biomarkers::record(&mut ctx, 0);
    disease::prior(&mut ctx);
    end_of_life::plan(&mut ctx);
    clip_to_end(&mut ctx);
    pathways::treat(&mut ctx, 0);
    pathways::align_first_visit(&mut ctx);
    visits::schedule(&mut ctx);
    toxicity::record(&mut ctx);
    assessments::record(&mut ctx);
    labs::record(&mut ctx);
    supportive::record(&mut ctx);
    procedures::record(&mut ctx);
    care_planning::record(&mut ctx);
    genetics::record(&mut ctx);
    end_of_life::record(&mut ctx);
    conditions::record(&mut ctx);
    in_chart_order(ctx.chart)
}

/// Drops diagnosis documentation dated after the death planned once the diagnosis was written.
fn clip_to_end(ctx: &mut Ctx) {
    let end = ctx.end;
    let after = |d: &Option<Date>| d.is_some_and(|d| d > end);
    for dx in &mut ctx.chart.diagnoses {
        if after(&dx.stage_documented_date) {
            dx.stage_documented_date = None;
        }
        if after(&dx.pathology_report_date) {
            dx.pathology_report_date = None;
        }
        if after(&dx.resolved_date) {
            dx.resolved_date = None;
        }
        if after(&dx.recurrence_date) {
            dx.recurrence_date = None;
        }
        if after(&dx.metastasis_date) {
            dx.metastasis_date = None;
        }
        dx.biomarkers.retain(|b| !after(&b.result_date));
    }
}

/// Puts dated lists in date order (stable, so same-day entries keep their generation order).
fn in_chart_order(mut chart: Chart) -> Chart {
    chart.encounters.sort_by_key(|e| e.date);
    chart.assessments.sort_by_key(|a| a.date);
    chart.administrations.sort_by_key(|a| a.date);
    chart.chemo_orders.sort_by_key(|o| o.date);
    chart.procedures.sort_by_key(|p| p.date);
    chart.labs.sort_by_key(|l| l.date);
    chart.medications.sort_by_key(|m| m.start_date);
    chart.referrals.sort_by_key(|r| r.date);
    chart.discussions.sort_by_key(|d| d.date);
    chart.documents.sort_by_key(|d| d.date);
    chart.adverse_events.sort_by_key(|a| a.onset_date);
    chart.recommendations.sort_by_key(|r| r.date);
    chart.not_done_reasons.sort_by_key(|n| n.date);
    chart.genetic_tests.sort_by_key(|t| t.order_date);
    chart.conditions.sort_by_key(|c| c.onset_date);
    chart
}
