//! Explain traces: what the evaluator saw for one chart and one measure. Recording happens
//! only in the `TRACE = true` instantiation of the evaluator.

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
}

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

    /// Called before evaluating `n`; returns the event index to complete, if recorded.
    pub(crate) fn enter(&mut self, n: &Node) -> Option<usize> {
        if self.loops > 0 || matches!(n.op, Op::Const(_) | Op::Local(_) | Op::Param(_)) {
            return None;
        }
        self.events.push(Event {
            depth: self.depth,
            file: self.file(),
            span: n.span,
            value: String::new(),
            define: None,
        });
        self.depth += 1;
        Some(self.events.len() - 1)
    }

    pub(crate) fn leave(&mut self, at: Option<usize>, v: &Value<'_>) {
        if let Some(i) = at {
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
        if self.loops == 0 {
            self.events.push(Event {
                depth: self.depth,
                file,
                span: Span::default(),
                value: String::new(),
                define: Some(name),
            });
            self.depth += 1;
        }
        self.files.push(file);
    }

    pub(crate) fn leave_slot(&mut self, slot: u32, v: &Value<'_>) {
        self.files.pop();
        if self.loops == 0 {
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

    pub(crate) fn slot_reused(&mut self, _slot: u32, _v: &Value<'_>) {}

    pub(crate) fn enter_loop(&mut self) {
        self.loops += 1;
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
