//! The encounter schedule: office visits (first consultation, each treatment cycle, around
//! surgery and radiation, follow-up at intervals that lengthen with time since diagnosis,
//! the last months of life) and infusion visits on administration days.

use super::context::Ctx;
use super::dates::days;
use super::facts::Visit;
use crate::Date;
use crate::chart::{EncounterKind, ProviderRole, Route};

/// Days to the next follow-up visit after `date`.
fn interval(ctx: &mut Ctx, date: Date) -> i64 {
    let on_chemo = ctx.rx.iter().any(|r| r.def.is_chemo() && r.active_on(date));
    let metastatic = ctx.dx.iter().any(|d| d.primary && d.metastatic_on(date));
    let since = ctx.dx.first().map_or(0, |d| d.date.days_until(date));
    let (lo, hi) = if on_chemo {
        (21, 42)
    } else if metastatic {
        (35, 70)
    } else if since < 730 {
        (75, 110)
    } else if since < 1825 {
        (120, 190)
    } else {
        (170, 380)
    };
    ctx.g.int(lo, hi)
}

/// Plans the office visits and records them (and infusion visits) as encounters.
pub(crate) fn schedule(ctx: &mut Ctx) {
    let (fv, end) = (ctx.first_visit, ctx.end);
    if fv > end {
        return;
    }
    let mut planned: Vec<Date> = Vec::with_capacity(ctx.cycles.len().saturating_add(16));
    for c in &ctx.cycles {
        let Some(rx) = ctx.rx.get(c.rx) else { continue };
        let step = rx.def.cycle_days;
        let every = if step <= 7 || (rx.def.continuous && step < 84) {
            3
        } else {
            1
        };
        // Cycle numbers start at 1.
        if !c.number.saturating_sub(1).is_multiple_of(every) || c.date < fv || c.date > end {
            continue;
        }
        match ctx.g.int(0, 99) {
            0..=77 => planned.push(c.date),
            78..=91 => planned.push(days(c.date, ctx.g.int(1, 3).saturating_neg()).max(fv)),
            _ => {}
        }
    }
    for i in 0..ctx.rt.len() {
        let Some(rt) = ctx.rt.get(i).copied() else {
            continue;
        };
        if ctx.g.chance(0.5) {
            planned.push(ctx.g.before(rt.start, 3, 14));
        }
        if let Some(e) = rt.end.filter(|_| ctx.g.chance(0.4)) {
            planned.push(ctx.g.after(e, 21, 35));
        }
    }
    for i in 0..ctx.surgeries.len() {
        let Some(s) = ctx.surgeries.get(i).copied() else {
            continue;
        };
        if ctx.g.chance(0.6) {
            planned.push(ctx.g.after(s.date, 10, 28));
        }
    }
    if let Some(death) = ctx.death {
        if ctx.g.chance(0.88) {
            planned.push(ctx.g.before(death.date, 2, 40));
        }
        if ctx.g.chance(0.6) {
            planned.push(ctx.g.before(death.date, 30, 80));
        }
    }
    planned.retain(|&d| d > fv && d <= end);
    planned.sort_unstable();
    planned.dedup();

    let mut dates = Vec::with_capacity(planned.len().saturating_add(24));
    dates.push(fv);
    let mut prev = fv;
    let sentinel = days(end, 1);
    for next in planned.into_iter().chain(std::iter::once(sentinel)) {
        loop {
            let candidate = days(prev, interval(ctx, prev));
            if candidate > days(next, -10) || candidate > end {
                break;
            }
            dates.push(candidate);
            prev = candidate;
        }
        if next <= end {
            dates.push(next);
            prev = next;
        }
    }
    let period = ctx.period;
    if end >= period.start && !dates.iter().any(|&d| period.contains(d)) && ctx.g.chance(0.93) {
        let d = ctx.g.date_in(period.start.max(fv), end);
        dates.push(d);
    }
    dates.sort_unstable();
    dates.dedup();
    ctx.visits.reserve(dates.len());
    for (i, date) in dates.into_iter().enumerate() {
        office_visit(ctx, date, i == 0);
    }
    infusion_visits(ctx);
}

/// Records an office or telehealth visit on `date` and puts it on the schedule.
pub(crate) fn office_visit(ctx: &mut Ctx, date: Date, first: bool) {
    let kind = if !first && ctx.g.chance(ctx.practice.telehealth) {
        EncounterKind::TelehealthVisit
    } else {
        EncounterKind::OfficeVisit
    };
    let app = if first { 0.05 } else { ctx.practice.app_share };
    let r = ctx.g.unit();
    let role = if r < app {
        Some(ProviderRole::AdvancedPracticeProvider)
    } else if r < 0.96 {
        Some(ProviderRole::Physician)
    } else if r < 0.985 {
        Some(ProviderRole::Nurse)
    } else if r < 0.995 {
        Some(ProviderRole::Other)
    } else {
        None
    };
    let with_practice = first || ctx.g.chance(0.985);
    ctx.encounter(kind, date, None, role, with_practice);
    let counts = with_practice
        && matches!(
            role,
            Some(ProviderRole::Physician | ProviderRole::AdvancedPracticeProvider)
        );
    ctx.visits.push(Visit { date, counts });
}

/// One infusion visit per day with a parenteral administration.
fn infusion_visits(ctx: &mut Ctx) {
    let mut dates: Vec<Date> = ctx
        .chart
        .administrations
        .iter()
        .filter(|a| a.route.is_some_and(|r| r != Route::Oral))
        .filter_map(|a| a.date)
        .collect();
    dates.sort_unstable();
    dates.dedup();
    for date in dates {
        let role = if ctx.g.chance(0.97) {
            Some(ProviderRole::Nurse)
        } else {
            None
        };
        ctx.encounter(EncounterKind::InfusionVisit, date, None, role, true);
    }
}
