//! Explain traces and coverage: what the evaluator saw for one chart and one measure.
//! Recording happens only in the `TRACE = true` instantiation of the evaluator. A recorder
//! either writes an explain trace (the default) or, given [`Recorder::cover`], only notes
//! the outcome of every expression, loops and chains included (test-deck coverage).

use std::collections::HashMap;
use std::fmt;

use super::ir::{Node, Op};
use super::value::{Shown, Value};
use crate::dsl::Span;

/// One recorded evaluation (pre-order, with nesting depth).
#[derive(Clone)]
pub(crate) struct Event {
    pub(crate) depth: u32,
    pub(crate) file: usize,
    pub(crate) span: Span,
    pub(crate) value: String,
    /// Set for the evaluation of a define (`define NAME`).
    pub(crate) define: Option<String>,
}

/// The trace being recorded.
#[derive(Default)]
pub(crate) struct Recorder {
    pub(crate) events: Vec<Event>,
    pub(crate) missing: Vec<Box<str>>,
    depth: u32,
    loops: u32,
    files: Vec<usize>,
    /// Name and file of each slot, so define evaluations can be labelled.
    pub(crate) slot_info: Vec<(String, usize)>,
    /// For each open recorded node: `and` (1), `or` (2), an inlined define (3), other (0).
    open: Vec<u8>,
    /// Coverage mode: per `(file, span)` of every expression evaluated, the outcomes seen
    /// ([`OUTCOME_TRUE`], ...), and no explain trace.
    pub(crate) cover: Option<HashMap<(usize, Span), u8>>,
}

/// An outcome bit of [`Recorder::cover`]: the expression was true.
pub(crate) const OUTCOME_TRUE: u8 = 1;
/// ... false.
pub(crate) const OUTCOME_FALSE: u8 = 2;
/// ... unknown (missing).
pub(crate) const OUTCOME_UNKNOWN: u8 = 4;
/// ... another value (a list, a date, a number, ...).
pub(crate) const OUTCOME_VALUE: u8 = 8;

impl Recorder {
    pub(crate) fn start(&mut self, file: usize) {
        self.files.clear();
        self.files.push(file);
        self.depth = 0;
        self.loops = 0;
    }

    fn file(&self) -> usize {
        self.files.last().copied().unwrap_or(0)
    }

    /// Whether explain events are written now: not in coverage mode, not inside a loop.
    fn tracing(&self) -> bool {
        self.loops == 0 && self.cover.is_none()
    }

    /// Coverage mode: notes `v` as an outcome of `n` (in the current file).
    #[inline]
    pub(crate) fn outcome(&mut self, n: &Node, v: &Value<'_>) {
        let file = self.file();
        if let Some(seen) = &mut self.cover {
            let bit = match v {
                Value::Bool(true) => OUTCOME_TRUE,
                Value::Bool(false) => OUTCOME_FALSE,
                Value::Missing => OUTCOME_UNKNOWN,
                _ => OUTCOME_VALUE,
            };
            *seen.entry((file, n.span())).or_default() |= bit;
        }
    }

    /// Called before evaluating `n`; returns the event index to complete, if recorded.
    pub(crate) fn enter(&mut self, n: &Node) -> Option<usize> {
        // Leaves are not worth a line; a slot's line is its define's; an `and` inside an
        // `and` (or an `or` inside an `or`) is one chain, shown as one line.
        let chain = match n.op() {
            Op::And(..) => 1,
            Op::Or(..) => 2,
            Op::Let { .. } => 3,
            _ => 0,
        };
        if !self.tracing()
            || matches!(
                n.op(),
                Op::Const(_) | Op::Local(_) | Op::Param(_) | Op::Slot(_)
            )
            || (chain != 0 && self.open.last() == Some(&chain))
        {
            return None;
        }
        self.open.push(chain);
        let index = self.events.len();
        self.events.push(Event {
            depth: self.depth,
            file: self.file(),
            span: n.span(),
            value: String::new(),
            define: None,
        });
        // Nesting counters saturate (as they unwind): a depth past `u32::MAX` would only
        // shift a trace's indentation, and evaluation never nests that deep.
        self.depth = self.depth.saturating_add(1);
        Some(index)
    }

    pub(crate) fn leave(&mut self, at: Option<usize>, v: &Value<'_>) {
        if let Some(i) = at {
            self.open.pop();
            self.depth = self.depth.saturating_sub(1);
            if let Some(e) = self.events.get_mut(i) {
                e.value = Shown(v).to_string();
            }
        }
    }

    pub(crate) fn enter_slot(&mut self, slot: u32) {
        let (name, file) = self
            .slot_info
            .get(slot as usize)
            .cloned()
            .unwrap_or_default();
        if self.tracing() {
            self.events.push(Event {
                depth: self.depth,
                file,
                span: Span::default(),
                value: String::new(),
                define: Some(name),
            });
            self.depth = self.depth.saturating_add(1);
            self.open.push(0);
        }
        self.files.push(file);
    }

    pub(crate) fn leave_slot(&mut self, slot: u32, v: &Value<'_>) {
        self.files.pop();
        if self.tracing() {
            self.open.pop();
            self.depth = self.depth.saturating_sub(1);
            let name = self.slot_info.get(slot as usize).map(|s| s.0.as_str());
            if let Some(e) = self
                .events
                .iter_mut()
                .rev()
                .find(|e| e.define.as_deref() == name)
            {
                e.value = Shown(v).to_string();
            }
        }
    }

    pub(crate) fn push_file(&mut self, file: usize) {
        self.files.push(file);
    }

    pub(crate) fn pop_file(&mut self) {
        if self.files.len() > 1 {
            self.files.pop();
        }
    }

    /// A define already computed for this chart: one line with its value.
    pub(crate) fn slot_reused(&mut self, slot: u32, v: &Value<'_>) {
        if !self.tracing() {
            return;
        }
        let (name, file) = self
            .slot_info
            .get(slot as usize)
            .cloned()
            .unwrap_or_default();
        self.events.push(Event {
            depth: self.depth,
            file,
            span: Span::default(),
            value: Shown(v).to_string(),
            define: Some(format!("{name} (computed above)")),
        });
    }

    pub(crate) fn enter_loop(&mut self) {
        self.loops = self.loops.saturating_add(1);
    }

    pub(crate) fn leave_loop(&mut self) {
        self.loops = self.loops.saturating_sub(1);
    }

    pub(crate) fn missing(&mut self, path: &str) {
        if !self.missing.iter().any(|m| &**m == path) {
            self.missing.push(path.into());
        }
    }
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder")
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}
