//! Treatment primitives: surgeries, radiation courses and systemic regimens with their plan,
//! orders and administrations. Each is cut at the end of the current treatment phase
//! ([`Ctx::stop`]): still under way at the abstraction date, stopped at a recurrence, or
//! stopped before death.

use super::agents::RegimenDef;
use super::context::{Ctx, int, rxnorm};
use super::dates::days;
use super::facts::{Cycle, RtFacts, RxFacts, SurgeryFacts};
use super::ids::regimen_id;
use crate::Date;
use crate::chart::{
    Administration, Agent, AgentClass, ChemoOrder, CompletionStatus, EmeticRisk, FnRisk,
    OrderElement, RadiationCourse, RadiationIntent, RadiationModality, RadiationTarget, Regimen,
    RegimenIntent, RegimenSetting, Route, Surgery, SurgeryIntent, SurgeryKind, TreatmentPlan,
};

/// A regimen to give.
pub(crate) struct RegimenSpec {
    pub(crate) def: &'static RegimenDef,
    pub(crate) setting: RegimenSetting,
    pub(crate) intent: RegimenIntent,
    pub(crate) start: Date,
    /// Planned number of cycles.
    pub(crate) cycles: u16,
    /// The course ends by progression (advanced disease) rather than completion.
    pub(crate) until_progression: bool,
    /// Planned duration written in the plan, in months (endocrine therapy, ADT, trastuzumab).
    pub(crate) planned_months: Option<u16>,
    /// Given on a clinical trial (otherwise a small share of chemotherapy is, at random).
    pub(crate) on_trial: bool,
}

impl RegimenSpec {
    /// A course of `cycles` cycles of `def` from `start`.
    pub(crate) fn new(
        def: &'static RegimenDef,
        setting: RegimenSetting,
        intent: RegimenIntent,
        start: Date,
        cycles: u16,
    ) -> Self {
        RegimenSpec {
            def,
            setting,
            intent,
            start,
            cycles,
            until_progression: false,
            planned_months: None,
            on_trial: false,
        }
    }

    /// Treatment of advanced disease until progression, planned for about `months` months.
    pub(crate) fn line(
        def: &'static RegimenDef,
        setting: RegimenSetting,
        start: Date,
        months: u16,
    ) -> Self {
        #[allow(
            clippy::arithmetic_side_effects,
            reason = "a `u16` times 30 fits a `u32`, and the divisor is at least 1"
        )]
        let cycles =
            (u32::from(months) * 30 / u32::from(def.cycle_days.max(1))).clamp(1, 400) as u16;
        RegimenSpec {
            until_progression: true,
            ..RegimenSpec::new(def, setting, RegimenIntent::NonCurative, start, cycles)
        }
    }

    /// With a planned duration in months written in the plan.
    pub(crate) fn months(mut self, months: u16) -> Self {
        self.planned_months = Some(months);
        self
    }

    /// Given on a clinical trial.
    pub(crate) fn trial(mut self) -> Self {
        self.on_trial = true;
        self
    }
}

/// Days from the first to the last fraction.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "fractions are a `u16`: every sum and product fits an `i64`"
)]
fn course_days(modality: RadiationModality, fractions: u16) -> i64 {
    let f = i64::from(fractions.max(1)) - 1;
    match modality {
        RadiationModality::BrachytherapyLdr => 0,
        RadiationModality::BrachytherapyHdr => f * 7 / 2,
        RadiationModality::SbrtSrs => f * 2,
        _ => f / 5 * 7 + f % 5,
    }
}

impl Ctx {
    /// The id of diagnosis `dx` as regimens, courses and surgeries cite it (occasionally
    /// left out, as abstractors do).
    fn cite(&mut self, dx: usize) -> Option<crate::chart::DiagnosisId> {
        let slot = self.dx.get(dx)?.slot;
        let id = self.chart.diagnoses.get(slot)?.id.clone();
        id.filter(|_| self.g.chance(0.97))
    }

    /// Records a surgery on `date` unless it falls after the current phase; returns its index
    /// in `chart.surgeries`.
    pub(crate) fn surgery(
        &mut self,
        dx: usize,
        kind: SurgeryKind,
        intent: SurgeryIntent,
        date: Date,
    ) -> Option<usize> {
        if date > self.stop() {
            return None;
        }
        let recorded_intent = match self.g.int(0, 99) {
            0..=3 => None,
            4..=5 => Some(SurgeryIntent::Unknown),
            _ => Some(intent),
        };
        let diagnosis_id = self.cite(dx);
        let salvage = self.g.weighted(&[(None, 60), (Some(false), 40)]).flatten();
        self.chart.surgeries.push(Surgery {
            diagnosis_id,
            kind: Some(kind),
            date: Some(date),
            intent: recorded_intent,
            salvage,
            ..Surgery::default()
        });
        self.surgeries.push(SurgeryFacts { dx, intent, date });
        // Just pushed: the length is at least 1.
        Some(self.chart.surgeries.len().saturating_sub(1))
    }

    /// Records a radiation course of `fractions` fractions from `start`; returns the date the
    /// course ends (as planned), for what follows it.
    pub(crate) fn radiation(
        &mut self,
        dx: usize,
        target: RadiationTarget,
        modality: RadiationModality,
        intent: RadiationIntent,
        start: Date,
        fractions: u16,
    ) -> Date {
        let planned_end = days(start, course_days(modality, fractions));
        let stop = self.stop();
        if start > stop {
            return planned_end;
        }
        let end = if planned_end <= stop {
            Some(planned_end)
        } else if self.cut_is_ongoing() {
            None
        } else {
            Some(stop)
        };
        let diagnosis_id = self.cite(dx);
        let g = &mut self.g;
        self.chart.radiation_courses.push(RadiationCourse {
            diagnosis_id,
            target: Some(target),
            modality: g.chance(0.96).then_some(modality),
            start_date: Some(start),
            end_date: end,
            intent: match g.int(0, 99) {
                0..=2 => None,
                3..=4 => Some(RadiationIntent::Unknown),
                _ => Some(intent),
            },
            fractions: g.chance(0.92).then(|| int(i64::from(fractions))),
        });
        self.rt.push(RtFacts {
            dx,
            target,
            modality,
            intent,
            start,
            end,
        });
        planned_end
    }

    /// Records a regimen with its plan, cycle orders and administrations; returns the date
    /// the course ends (as given, or as planned when cut), for what follows it.
    pub(crate) fn regimen(&mut self, dx: usize, spec: RegimenSpec) -> Date {
        let def = spec.def;
        let step = i64::from(def.cycle_days);
        let tail = if def.continuous {
            step.saturating_sub(1)
        } else {
            i64::from(def.last_day())
        };
        #[allow(
            clippy::arithmetic_side_effects,
            reason = "cycle counts and lengths are `u16`: the offset is below 2^33"
        )]
        let planned_end = days(
            spec.start,
            (i64::from(spec.cycles.max(1)) - 1) * step + tail,
        );
        let stop = self.stop();
        if spec.start > stop || spec.cycles == 0 {
            return planned_end;
        }
        let mut cycles = spec.cycles;
        let mut status = if spec.until_progression {
            CompletionStatus::StoppedProgression
        } else {
            CompletionStatus::CompletedAsPlanned
        };
        if !spec.until_progression
            && cycles >= 3
            && self.g.chance(if def.endocrine() { 0.12 } else { 0.07 })
        {
            cycles = self.g.int(2, i64::from(cycles).saturating_sub(1)) as u16;
            status = if def.endocrine() && self.g.chance(0.5) {
                CompletionStatus::StoppedPatientChoice
            } else {
                CompletionStatus::StoppedToxicity
            };
        }

        let rx = self.rx.len();
        let first_cycle = self.cycles.len();
        let mut date = spec.start;
        let mut done = 0;
        let mut natural_end = spec.start;
        for number in 1..=cycles {
            if date > stop {
                break;
            }
            self.cycles.push(Cycle { rx, number, date });
            done = number;
            natural_end = days(date, tail);
            let delay = if self.g.chance(0.08) { 7 } else { 0 };
            date = days(date, step.saturating_add(delay));
        }
        let cut = done < cycles || natural_end > stop;
        let (end, status) = if !cut {
            (Some(natural_end), status)
        } else if self.cut_is_ongoing() {
            (None, CompletionStatus::Ongoing)
        } else {
            let by_death =
                self.treat_stop <= self.phase_stop && self.death.is_some_and(|d| d.eol_therapy);
            let status = if by_death {
                CompletionStatus::StoppedDeath
            } else {
                CompletionStatus::StoppedProgression
            };
            (Some(natural_end.min(stop)), status)
        };
        let given_until = end.unwrap_or(stop).min(stop);

        // A chart holds far fewer than 2^32 regimens: the number never saturates.
        let num = (self.chart.regimens.len() as u32).saturating_add(1);
        let id = regimen_id(num);
        let on_trial = spec.on_trial || (def.is_chemo() && self.g.chance(0.05));
        let diagnosis_id = self.cite(dx);
        let record = self.regimen_record(&spec, id.clone(), diagnosis_id, end, status, on_trial);
        self.chart.regimens.push(record);
        self.rx.push(RxFacts {
            id,
            // Just pushed: the length is at least 1.
            slot: self.chart.regimens.len().saturating_sub(1),
            dx,
            def,
            start: spec.start,
            end,
            last_dose: spec.start,
            intent: spec.intent,
            first_cycle,
            // `first_cycle` is the length before this regimen's cycles were pushed.
            cycles: self.cycles.len().saturating_sub(first_cycle),
        });
        let last_dose = self.doses(rx, given_until);
        if let Some(r) = self.rx.get_mut(rx) {
            r.last_dose = last_dose;
        }
        end.unwrap_or(planned_end)
    }

    fn regimen_record(
        &mut self,
        spec: &RegimenSpec,
        id: Option<crate::chart::RegimenId>,
        diagnosis_id: Option<crate::chart::DiagnosisId>,
        end: Option<Date>,
        status: CompletionStatus,
        on_trial: bool,
    ) -> Regimen {
        let def = spec.def;
        let intent_documented = !self.bad(0.06);
        let (intent, intent_date) = if !intent_documented {
            (Some(RegimenIntent::NotDocumented), None)
        } else if self.g.chance(0.02) {
            (None, None)
        } else {
            let date = if self.good(0.93) {
                self.prior(spec.start, 0, 30)
            } else {
                self.g.after(spec.start, 1, 30)
            };
            (
                Some(spec.intent),
                Some(date).filter(|&d| d <= self.end && self.g.chance(0.97)),
            )
        };
        let plan = if self.good(if def.is_chemo() { 0.88 } else { 0.6 }) {
            let date = if self.g.chance(0.95) {
                self.prior(spec.start, 1, 21)
            } else {
                self.g.after(spec.start, 1, 10)
            };
            Some(TreatmentPlan {
                date: Some(date).filter(|&d| d <= self.end),
                has_agents: self.plan_flag(),
                has_doses: self.plan_flag(),
                has_route: self.plan_flag(),
                has_schedule: self.plan_flag(),
                has_duration: self.g.chance(0.9).then(|| self.g.chance(0.85)),
                planned_duration_months: spec
                    .planned_months
                    .filter(|_| self.g.chance(0.92))
                    .map(|m| int(i64::from(m))),
            })
        } else {
            None
        };
        let g = &mut self.g;
        let agents = def
            .agents
            .iter()
            .map(|a| Agent {
                code: g.chance(0.97).then(|| rxnorm(a.rxnorm)),
                category: Some(a.category),
                r#class: Some(a.class),
                route: Some(a.route),
                target_auc: (a.class == AgentClass::Carboplatin && def.auc > 0 && g.chance(0.92))
                    .then(|| int(i64::from(def.auc))),
                biosimilar: a.biosimilar_exists.then(|| g.chance(0.35)),
            })
            .collect();
        Regimen {
            id,
            diagnosis_id,
            start_date: Some(spec.start),
            end_date: end,
            order_date: g
                .chance(0.88)
                .then(|| days(spec.start, g.int(1, 14).saturating_neg())),
            intent,
            intent_documented_date: intent_date,
            setting: g.chance(0.95).then_some(spec.setting),
            completion_status: g.chance(0.94).then_some(status),
            on_clinical_trial: if on_trial {
                Some(true)
            } else {
                g.chance(0.75).then_some(false)
            },
            emetic_risk: match g.int(0, 99) {
                0..=3 => Some(EmeticRisk::Unknown),
                4..=6 => None,
                _ => Some(def.emetic),
            },
            fn_risk: match g.int(0, 99) {
                0..=3 => Some(FnRisk::Unknown),
                4..=6 => None,
                _ => Some(def.fn_risk),
            },
            agents,
            plan,
        }
    }

    fn plan_flag(&mut self) -> Option<bool> {
        if self.g.chance(0.015) {
            None
        } else {
            Some(self.good(0.985))
        }
    }

    /// Writes the orders and administrations of regimen `rx` up to `until`; returns the last
    /// dose date.
    fn doses(&mut self, rx: usize, until: Date) -> Date {
        let Some(facts) = self.rx.get(rx) else {
            return until;
        };
        let (def, id, first, count, start) = (
            facts.def,
            facts.id.clone(),
            facts.first_cycle,
            facts.cycles,
            facts.start,
        );
        let order_floor = self
            .chart
            .regimens
            .last()
            .and_then(|r| r.order_date)
            .unwrap_or(start);
        // Long oral and depot courses: only the last ~13 months of dispensing are abstracted.
        let history_floor = if def.continuous {
            days(self.period.start, -400)
        } else {
            Date::MIN
        };
        let floor = self.care_start.max(history_floor);
        let mut last = start;
        for c in first..first.saturating_add(count) {
            let Some(&Cycle { number, date, .. }) = self.cycles.get(c) else {
                break;
            };
            if date > until {
                break;
            }
            if date >= floor && def.is_chemo() {
                self.order(id.clone(), number, date, order_floor);
            }
            for a in def.agents {
                let offsets: &[u16] = if a.route == Route::Oral { &[0] } else { a.days };
                for &offset in offsets {
                    let day = days(date, i64::from(offset));
                    if day > until {
                        break;
                    }
                    last = last.max(day);
                    if day < floor {
                        continue;
                    }
                    let g = &mut self.g;
                    let parenteral = a.route != Route::Oral;
                    let two_person = if parenteral {
                        if g.chance(0.1) {
                            None
                        } else {
                            Some(g.chance(self.practice.good(0.94)))
                        }
                    } else {
                        None
                    };
                    self.chart.administrations.push(Administration {
                        regimen_id: id.clone(),
                        date: Some(day),
                        agent_code: g.chance(0.96).then(|| rxnorm(a.rxnorm)),
                        agent_category: g.chance(0.98).then_some(a.category),
                        agent_class: g.chance(0.98).then_some(a.class),
                        route: g.chance(0.97).then_some(a.route),
                        cycle: g.chance(0.96).then(|| int(i64::from(number))),
                        two_person_verified: two_person,
                    });
                }
            }
        }
        last
    }

    fn order(&mut self, id: Option<crate::chart::RegimenId>, cycle: u16, date: Date, floor: Date) {
        let signed = days(date, self.g.int(0, 3).saturating_neg())
            .max(floor)
            .min(date);
        let mut missing = Vec::new();
        if self.bad(0.035) {
            for _ in 0..self.g.int(1, 2) {
                let all = OrderElement::ALL;
                if let Some(&e) = all.get(self.g.index(all.len()))
                    && !missing.contains(&e)
                {
                    missing.push(e);
                }
            }
        }
        let verbal = if self.g.chance(0.1) {
            None
        } else {
            Some(self.bad(0.03))
        };
        let verified = if self.g.chance(0.05) {
            None
        } else {
            Some(self.good(0.9))
        };
        self.chart.chemo_orders.push(ChemoOrder {
            regimen_id: id,
            date: Some(signed),
            cycle: self.g.chance(0.97).then(|| int(i64::from(cycle))),
            verbal,
            missing_elements: missing,
            independently_verified: verified,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_lengths() {
        assert_eq!(course_days(RadiationModality::Ebrt, 1), 0);
        assert_eq!(course_days(RadiationModality::Ebrt, 5), 4);
        assert_eq!(course_days(RadiationModality::Ebrt, 25), 32);
        assert_eq!(course_days(RadiationModality::BrachytherapyLdr, 1), 0);
        assert_eq!(course_days(RadiationModality::BrachytherapyHdr, 5), 14);
        assert_eq!(course_days(RadiationModality::SbrtSrs, 5), 8);
    }
}
