//! *Explain*: why a chart is or is not in each population of a measure, step by step,
//! from the logic as written (the explicit opt-in to see patient values).

use bumpalo::Bump;

use super::eval::Ctx;
use super::library::{EVAL_BUDGET, Library};
use super::meta::Scoring;
use super::outcome::{CriterionTrace, Explanation, Population, Step};
use super::trace::Event;
use super::value::Shown;
use crate::chart::Chart;
use crate::chart::round::Period;
use crate::dsl::ast::PopulationKind;

impl Library {
    /// Explains why `chart` is or is not in each population of measure `index`: the value
    /// of every expression and define that decided each criterion, with source locations,
    /// and the missing fields met on the way. This shows patient values: asking for it is
    /// the explicit opt-in. `None` for an unknown index, or a chart whose evaluation
    /// exceeds [`EVAL_BUDGET`] steps (which [`Library::evaluate`] reports).
    pub fn explain(&self, chart: &Chart, period: Period, index: usize) -> Option<Explanation> {
        let m = self.measures.get(index)?;
        let outcome = self
            .try_evaluate_selected(chart, period, &[index])
            .ok()?
            .pop()?;
        let mut criteria = Vec::new();
        let mut all_missing: Vec<String> = Vec::new();
        // The library files the steps point into, the measure's first.
        let mut files: Vec<usize> = vec![m.file];
        for kind in PopulationKind::ALL {
            let Some(Some(c)) = m.criteria.get(kind as usize) else {
                continue;
            };
            // A fresh evaluation per criterion, so each shows its own define evaluations.
            let arena = Bump::new();
            let mut ctx = self.tracing_ctx(chart, period, &arena, m.file);
            let v = ctx.top(&c.node, c.locals);
            if ctx.stopped().is_some() {
                return None;
            }
            let steps = ctx
                .rec
                .events
                .iter()
                .filter_map(|e| self.step(e, &mut files))
                .collect();
            let missing: Vec<String> = ctx.rec.missing.iter().map(|s| s.to_string()).collect();
            for f in &missing {
                if !all_missing.contains(f) {
                    all_missing.push(f.clone());
                }
            }
            criteria.push(CriterionTrace {
                criterion: kind.keyword().to_owned(),
                value: Shown(&v).to_string(),
                steps,
                missing_fields: missing,
            });
        }
        if m.info.scoring == Scoring::CompositeAllOrNone {
            let parts = self
                .try_evaluate_selected(chart, period, &m.components)
                .ok()?;
            for (id, o) in m.info.components.iter().zip(parts) {
                let pops: Vec<&str> = o.populations.iter().map(Population::code).collect();
                let role = if !o.populations.in_net_denominator() {
                    "not in its net denominator: does not count"
                } else if o.populations.net_numerator() {
                    "numerator met"
                } else {
                    "numerator not met: fails the composite (explain that measure to see why)"
                };
                criteria.push(CriterionTrace {
                    criterion: format!("component {id}"),
                    value: if pops.is_empty() {
                        "none".to_owned()
                    } else {
                        pops.join(", ")
                    },
                    steps: vec![Step {
                        depth: 0,
                        location: String::new(),
                        code: role.to_owned(),
                        value: String::new(),
                        at: None,
                    }],
                    missing_fields: Vec::new(),
                });
            }
        }
        Some(Explanation {
            measure: m.info.id.clone(),
            period: period.to_string(),
            populations: outcome.populations,
            strata: m
                .info
                .stratifiers
                .iter()
                .cloned()
                .zip(outcome.strata)
                .collect(),
            criteria,
            missing_fields: all_missing,
            sources: files
                .iter()
                .filter_map(|f| self.sources.get(*f).cloned())
                .collect(),
        })
    }

    /// An evaluation that records (an explain trace, or with `rec.cover` set, coverage)
    /// from the logic as written, starting in library file `file`, within [`EVAL_BUDGET`].
    pub(super) fn tracing_ctx<'a>(
        &'a self,
        chart: &'a Chart,
        period: Period,
        arena: &'a Bump,
        file: usize,
    ) -> Ctx<'a, true> {
        let mut ctx: Ctx<'_, true> =
            Ctx::new(chart, self.program(), period.start, period.end, arena)
                .with_budget(EVAL_BUDGET);
        ctx.rec.slot_info = self
            .slots
            .iter()
            .map(|s| (s.name.clone(), s.file))
            .collect();
        ctx.rec.start(file);
        ctx
    }

    /// An explanation step; `None` for an event in no file of the library (the recorder is
    /// only given the library's files).
    fn step(&self, e: &Event, files: &mut Vec<usize>) -> Option<Step> {
        let source = self.sources.get(e.file)?;
        let file = match files.iter().position(|f| *f == e.file) {
            Some(i) => i,
            None => {
                files.push(e.file);
                files.len().saturating_sub(1)
            }
        };
        Some(match &e.define {
            Some(name) => Step {
                depth: e.depth,
                location: source.name().to_owned(),
                code: format!("define {name}"),
                value: e.value.clone(),
                at: None,
            },
            None => {
                let (line, col) = source.line_col(e.span.start);
                let text = source.slice(e.span);
                let first = text.lines().next().unwrap_or("");
                let code = if first.len() < text.len() {
                    format!("{first} …")
                } else {
                    first.to_owned()
                };
                Step {
                    depth: e.depth,
                    location: format!("{}:{line}:{col}", source.name()),
                    code,
                    value: e.value.clone(),
                    at: Some((file, e.span)),
                }
            }
        })
    }
}
