//! The evaluator: walks the compiled IR over one chart, with Kleene three-valued logic, exact
//! decimals and calendar arithmetic. Shared defines are evaluated at most once per chart.
//! With `TRACE = true` it also records what it saw (see `trace`); with `false` the recording
//! code is compiled out.
use std::cell::RefCell;
use std::cmp::Ordering;
use std::ops::ControlFlow;

use bumpalo::Bump;
use bumpalo::collections::Vec as ArenaVec;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::ir::{Arith, Builtin, Cmp, Const, Node, Op, Order, Param, Range};
use super::lower::SlotDef;
use super::trace::Recorder;
use super::value::{List, Record, Value};
use super::valueset::ValueSet;
use crate::chart::{Chart, Date};
use crate::dsl::ast::{Direction, Unit};

/// What the evaluator needs from the compiled library.
pub(crate) struct Program<'p> {
    pub(crate) slots: &'p [SlotDef],
    pub(crate) valuesets: &'p [ValueSet],
    /// Defines evaluated in place of the library's (a mutant's, see `mutate`): `(slot,
    /// definition)`; empty otherwise.
    pub(crate) overlay: &'p [(u32, SlotDef)],
}

impl<'p> Program<'p> {
    /// The definition of slot `i`: the overlay's, else the library's.
    #[inline]
    fn slot(&self, i: u32) -> Option<&'p SlotDef> {
        let overlay: &'p [(u32, SlotDef)] = self.overlay;
        if let Some((_, def)) = overlay.iter().find(|(s, _)| *s == i) {
            return Some(def);
        }
        let slots: &'p [SlotDef] = self.slots;
        slots.get(i as usize)
    }
}

enum SlotState<'a> {
    NotYet,
    Busy,
    Done(Value<'a>),
}

/// A chart root list indexed by an enumeration field of its elements (in the arena).
struct EnumIndex<'a> {
    /// The root list and the field.
    key: (u16, u16),
    /// Element positions grouped by enumeration value, each group in list order.
    positions: &'a [u32],
    /// Where each value's group starts in `positions` (one more entry than values, the
    /// last the end of the last group).
    starts: &'a [u32],
}

impl EnumIndex<'_> {
    /// The positions of the elements whose field has enumeration value `v`, in list order.
    fn bucket(&self, v: u16) -> &[u32] {
        let v = usize::from(v);
        let from = self.starts.get(v).map_or(0, |&x| x as usize);
        let to = self
            .starts
            .get(v.saturating_add(1))
            .map_or(0, |&x| x as usize);
        self.positions.get(from..to).unwrap_or(&[])
    }
}

/// A value usable as a hash-index key (`Op::KeyedWhere`); equal keys are exactly the values
/// `equal` finds equal.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key<'a> {
    /// The second half of a one-field key.
    Unit,
    Bool(bool),
    /// Normalised, so equal numbers have one representation.
    Num(Decimal),
    Date(Date),
    Str(&'a str),
    Enum(u16),
}

impl<'a> Key<'a> {
    fn of(v: &Value<'a>) -> Option<Key<'a>> {
        Some(match v {
            Value::Bool(b) => Key::Bool(*b),
            Value::Num(d) => Key::Num(d.normalize()),
            Value::Date(d) => Key::Date(*d),
            Value::Str(s) => Key::Str(s),
            Value::Enum(_, i) => Key::Enum(*i),
            _ => return None,
        })
    }
}

/// A value a [`RangeIndex`] sorts by.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Num(Decimal),
    Date(Date),
}

impl SortKey {
    fn of(v: &Value<'_>) -> Option<SortKey> {
        match v {
            Value::Num(d) => Some(SortKey::Num(*d)),
            Value::Date(d) => Some(SortKey::Date(*d)),
            _ => None,
        }
    }
}

/// A chart root list sorted by a date or number field of its elements (`Op::RangeWhere`).
struct RangeIndex<'a> {
    /// The root list and the field.
    key: (u16, u16),
    /// The elements whose field is a date or a number, by that value, then list position.
    entries: &'a [(SortKey, u32)],
}

/// The bounds of a range (inclusive or not); `None`: unbounded on that side.
type Bounds = (Option<(SortKey, bool)>, Option<(SortKey, bool)>);

/// A chart root list indexed by the values of one or two fields of its elements: sorted,
/// searched by bisection (no hashing, so no collisions a chart could craft).
struct KeyIndex<'a> {
    /// The root list and the fields.
    key: (u16, u16, Option<u16>),
    /// The elements' keys with their positions, by key then list position (in the arena).
    entries: &'a [((Key<'a>, Key<'a>), u32)],
}

impl<'a> KeyIndex<'a> {
    /// The entries whose key is `k`, in list order.
    fn matching(&self, k: &(Key<'a>, Key<'a>)) -> &'a [((Key<'a>, Key<'a>), u32)] {
        let entries: &'a [((Key<'a>, Key<'a>), u32)] = self.entries;
        let from = entries.partition_point(|(e, _)| e < k);
        let to = entries.partition_point(|(e, _)| e <= k);
        entries.get(from..to).unwrap_or(&[])
    }
}

/// Deepest recursion of the evaluator (nested operations and list walks). The checker
/// refuses logic deeper than [`super::lower::MAX_EVAL_DEPTH`] operations through its
/// defines, and each operation takes at most two levels here, so checked logic never
/// reaches it: it is the guard, checked before recursing, that makes a stack overflow
/// impossible even so.
pub(crate) const MAX_RUNTIME_DEPTH: u32 = 2 * super::lower::MAX_EVAL_DEPTH + 32;

/// Why the evaluation of a chart stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The chart's step budget ran out.
    Budget(u64),
    /// The evaluator's recursion reached [`MAX_RUNTIME_DEPTH`].
    Depth,
}

/// The longest list `range` builds; a longer one is missing (unknown).
const MAX_RANGE: i64 = 100_000;

/// Lists shorter than this are scanned rather than indexed by `Op::KeyedWhere`.
const KEYED_MIN_LEN: usize = 12;

/// An arena that grew past this many bytes on one chart is dropped rather than kept for
/// the next (one unusual chart must not pin its memory for the rest of a run).
const ARENA_KEEP_BYTES: usize = 16 << 20;

thread_local! {
    /// This thread's evaluation arena, reused chart after chart.
    static ARENA: RefCell<Bump> = RefCell::new(Bump::new());
}

/// Runs `f` with this thread's evaluation arena, emptied first. Nothing `f` returns can
/// borrow from it. A nested call (not made today) gets an arena of its own.
pub(crate) fn with_arena<R>(f: impl FnOnce(&Bump) -> R) -> R {
    ARENA.with(|cell| match cell.try_borrow_mut() {
        Ok(mut arena) => {
            arena.reset();
            let r = f(&arena);
            if arena.allocated_bytes() > ARENA_KEEP_BYTES {
                *arena = Bump::new();
            }
            r
        }
        Err(_) => f(&Bump::new()),
    })
}

/// The evaluation of one chart.
pub(crate) struct Ctx<'a, const TRACE: bool> {
    chart: &'a Chart,
    program: Program<'a>,
    start: Date,
    end: Date,
    /// Where computed lists and the evaluation's own buffers live: values are plain
    /// copies, and nothing is freed one by one (the caller resets the arena between charts).
    arena: &'a Bump,
    slots: &'a mut [SlotState<'a>],
    locals: ArenaVec<'a, Value<'a>>,
    /// Whether each local holds a computed loop-invariant value (`Op::Cached`).
    cached: ArenaVec<'a, bool>,
    /// Per-chart indexes of root lists by an enumeration field (`Op::IndexedWhere`):
    /// `(root, field)` → element positions per enumeration value, in list order.
    indexes: ArenaVec<'a, EnumIndex<'a>>,
    /// Per-chart hash indexes of root lists by a field (`Op::KeyedWhere`).
    keyed: ArenaVec<'a, KeyIndex<'a>>,
    /// Per-chart sorted indexes of root lists by a field (`Op::RangeWhere`).
    ranges: ArenaVec<'a, RangeIndex<'a>>,
    /// Start of the current frame in `locals`.
    base: usize,
    /// End of the current frame (where a nested frame starts); `locals` may be longer.
    frame_end: usize,
    /// Steps taken on this chart: one per operation evaluated and per list element a query
    /// visits.
    steps: u64,
    /// The step at which evaluation stops: the chart's budget, or 0 once it has stopped.
    limit: u64,
    /// The chart's step budget.
    budget: u64,
    /// The evaluator's recursion depth now.
    depth: u32,
    /// Why evaluation stopped, once it has: from then on every operation is missing at
    /// once and every walk stops.
    stopped: Option<Stop>,
    /// Trace recording (only used when `TRACE`).
    pub(crate) rec: Recorder,
}

impl<'a, const TRACE: bool> Ctx<'a, TRACE> {
    pub(crate) fn new(
        chart: &'a Chart,
        program: Program<'a>,
        start: Date,
        end: Date,
        arena: &'a Bump,
    ) -> Self {
        let slots = arena.alloc_slice_fill_with(program.slots.len(), |_| SlotState::NotYet);
        Ctx {
            chart,
            program,
            start,
            end,
            arena,
            slots,
            locals: ArenaVec::with_capacity_in(32, arena),
            cached: ArenaVec::with_capacity_in(32, arena),
            indexes: ArenaVec::new_in(arena),
            keyed: ArenaVec::new_in(arena),
            ranges: ArenaVec::new_in(arena),
            base: 0,
            frame_end: 0,
            steps: 0,
            limit: u64::MAX,
            budget: u64::MAX,
            depth: 0,
            stopped: None,
            rec: Recorder::default(),
        }
    }

    /// Limits this chart's evaluation to `budget` steps (unlimited by default).
    pub(crate) fn with_budget(mut self, budget: u64) -> Self {
        self.budget = budget;
        self.limit = budget;
        self
    }

    /// Why evaluation stopped, if it did.
    pub(crate) fn stopped(&self) -> Option<Stop> {
        self.stopped
    }

    /// Steps taken so far.
    pub(crate) fn steps(&self) -> u64 {
        self.steps
    }

    /// Counts a step and checks the budget and the depth: `false` when evaluation must
    /// stop (and from then on always `false`).
    #[inline(always)]
    fn step(&mut self) -> bool {
        // Saturating: a budget counter, stopped at `limit` long before `u64::MAX`.
        self.steps = self.steps.saturating_add(1);
        if self.steps > self.limit || self.depth >= MAX_RUNTIME_DEPTH {
            if self.stopped.is_none() {
                self.stopped = Some(if self.steps > self.limit {
                    Stop::Budget(self.budget)
                } else {
                    Stop::Depth
                });
            }
            self.limit = 0;
            return false;
        }
        true
    }

    /// Evaluates a top-level expression that needs `locals` local variables.
    ///
    /// Its frame starts where the caller's ends. Locals are not reset on entry: checked
    /// logic writes every local (a binding, a query element) before it reads it, and every
    /// cache cell is emptied by its loop's [`Op::Fresh`] before it is read, so the buffers
    /// only grow (to the deepest frame) and are never cleared between criteria.
    pub(crate) fn top(&mut self, node: &'a Node, locals: u32) -> Value<'a> {
        let saved = (self.base, self.frame_end);
        self.base = self.frame_end;
        self.frame_end = self.base.saturating_add(locals as usize);
        if self.locals.len() < self.frame_end {
            self.locals.resize(self.frame_end, Value::Missing);
            self.cached.resize(self.frame_end, false);
        }
        let v = self.eval(node);
        (self.base, self.frame_end) = saved;
        v
    }

    /// The truth of a population criterion: unknown is not met.
    pub(crate) fn criterion(&mut self, node: &'a Node, locals: u32) -> bool {
        self.top(node, locals).truth() == Some(true)
    }

    fn set_local(&mut self, local: u32, v: Value<'a>) {
        let i = self.base.saturating_add(local as usize);
        if let Some(slot) = self.locals.get_mut(i) {
            *slot = v;
        }
    }

    fn slot(&mut self, i: u32) -> Value<'a> {
        let idx = i as usize;
        match self.slots.get(idx) {
            Some(SlotState::Done(v)) => {
                let v = *v;
                if TRACE {
                    self.rec.slot_reused(i, &v);
                }
                return v;
            }
            Some(SlotState::Busy) | None => return Value::Missing,
            Some(SlotState::NotYet) => {}
        }
        // `slots` has one state per slot of the program (see `new`).
        let Some(def) = self.program.slot(i) else {
            return Value::Missing;
        };
        if let Some(state) = self.slots.get_mut(idx) {
            *state = SlotState::Busy;
        }
        if TRACE {
            self.rec.enter_slot(i);
        }
        let v = if TRACE {
            self.top(&def.node, def.locals)
        } else {
            self.top(&def.fast, def.fast_locals)
        };
        if TRACE {
            self.rec.leave_slot(i, &v);
        }
        if let Some(state) = self.slots.get_mut(idx) {
            *state = SlotState::Done(v);
        }
        v
    }

    /// Evaluates a node.
    pub(crate) fn eval(&mut self, n: &'a Node) -> Value<'a> {
        if TRACE {
            let at = self.rec.enter(n);
            let v = self.eval_op(n);
            self.rec.leave(at, &v);
            self.rec.outcome(n, &v);
            v
        } else {
            self.eval_op(n)
        }
    }

    /// The value of local `i` of the current frame.
    #[inline]
    fn local(&self, i: u32) -> Value<'a> {
        self.locals
            .get(self.base.saturating_add(i as usize))
            .copied()
            .unwrap_or(Value::Missing)
    }

    /// `local.field <cmp> value` (`Op::FieldCmpConst`).
    #[inline]
    fn field_cmp_const(
        &mut self,
        local: u32,
        field: u16,
        cmp: Cmp,
        value: &Const,
        path: &str,
    ) -> Value<'a> {
        let v = self.local_field(local, field, path);
        Value::from_truth(compare(cmp, &v, &const_value(value)))
    }

    /// `local.field`, noting a missing field in traces.
    #[inline]
    fn local_field(&mut self, local: u32, field: u16, path: &str) -> Value<'a> {
        let v = match self.locals.get(self.base.saturating_add(local as usize)) {
            Some(Value::Record(r)) => r.field(field),
            _ => Value::Missing,
        };
        if TRACE && matches!(v, Value::Missing) {
            self.rec.missing(path);
        }
        v
    }

    /// Evaluates a sub-expression. Without a trace, leaves (locals, constants, parameters,
    /// computed defines, an element's field) are read in place rather than dispatched.
    #[inline(always)]
    fn child(&mut self, n: &'a Node) -> Value<'a> {
        if TRACE { self.eval(n) } else { self.leaf(n) }
    }

    /// [`Ctx::child`] without a trace.
    #[inline(always)]
    fn leaf(&mut self, n: &'a Node) -> Value<'a> {
        match n.op() {
            Op::Field(base, i, path) => match base.op() {
                Op::Local(l) => self.local_field(*l, *i, path),
                _ => self.eval_op(n),
            },
            Op::Slot(i) => match self.slots.get(*i as usize) {
                Some(SlotState::Done(v)) => *v,
                _ => self.slot(*i),
            },
            Op::Local(i) => self.local(*i),
            Op::Const(c) => const_value(c),
            Op::Param(Param::Start) => Value::Date(self.start),
            Op::Param(Param::End) => Value::Date(self.end),
            Op::Param(Param::Period) => Value::Period(self.start, self.end),
            Op::FieldCmpConst {
                local,
                field,
                cmp,
                value,
                path,
            } => self.field_cmp_const(*local, *field, *cmp, value, path),
            _ => self.eval_op(n),
        }
    }

    /// Evaluates an operand, reading locals and constants directly (they are leaves, and
    /// traces leave them out anyway).
    #[inline]
    fn operand(&mut self, n: &'a Node) -> Value<'a> {
        if !TRACE {
            return self.leaf(n);
        }
        match n.op() {
            Op::Local(i) => self.local(*i),
            Op::Const(Const::Enum(e, i)) => Value::Enum(e, *i),
            Op::Const(Const::Bool(b)) => Value::Bool(*b),
            Op::Param(Param::Start) => Value::Date(self.start),
            Op::Param(Param::End) => Value::Date(self.end),
            _ => self.eval(n),
        }
    }

    /// Evaluates an operation, after counting the step and checking the depth.
    fn eval_op(&mut self, n: &'a Node) -> Value<'a> {
        if !self.step() {
            return Value::Missing;
        }
        // `step` stopped at `MAX_RUNTIME_DEPTH`: the depth cannot overflow.
        self.depth = self.depth.saturating_add(1);
        let v = self.dispatch(n);
        self.depth = self.depth.saturating_sub(1);
        v
    }

    #[inline(always)]
    fn dispatch(&mut self, n: &'a Node) -> Value<'a> {
        match n.op() {
            Op::Const(c) => match c {
                Const::Missing => Value::Missing,
                Const::Bool(b) => Value::Bool(*b),
                Const::Num(d) => Value::Num(*d),
                Const::Date(d) => Value::Date(*d),
                Const::Str(s) => Value::Str(s),
                Const::Enum(e, i) => Value::Enum(e, *i),
                Const::Duration(k, u) => Value::Duration(*k, *u),
            },
            Op::Param(p) => match p {
                Param::Period => Value::Period(self.start, self.end),
                Param::Start => Value::Date(self.start),
                Param::End => Value::Date(self.end),
            },
            Op::Root(i, path) => {
                let chart: &'a Chart = self.chart;
                let v = Record::field(chart, *i);
                if TRACE && v.is_missing() {
                    self.rec.missing(path);
                }
                v
            }
            Op::Slot(i) => self.slot(*i),
            Op::Local(i) => self.local(*i),
            Op::Field(base, i, path) => match self.operand(base) {
                Value::Record(r) => {
                    let v = r.field(*i);
                    if TRACE && matches!(v, Value::Missing) {
                        self.rec.missing(path);
                    }
                    v
                }
                _ => Value::Missing,
            },
            Op::MapField(..)
            | Op::Where { .. }
            | Op::IndexedWhere { .. }
            | Op::KeyedWhere { .. }
            | Op::RangeWhere { .. } => self.collect(n),
            Op::PeriodPart(p, start) => match self.child(p) {
                Value::Period(a, b) => Value::Date(if *start { a } else { b }),
                _ => Value::Missing,
            },
            Op::Not(x) => match self.child(x) {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Missing,
            },
            Op::Neg(x) => match self.child(x) {
                Value::Num(d) => Value::Num(negate(d)),
                _ => Value::Missing,
            },
            Op::And(a, b) => match self.child(a).truth() {
                Some(false) => Value::Bool(false),
                ta => match (ta, self.child(b).truth()) {
                    (_, Some(false)) => Value::Bool(false),
                    (Some(true), Some(true)) => Value::Bool(true),
                    _ => Value::Missing,
                },
            },
            Op::Or(a, b) => match self.child(a).truth() {
                Some(true) => Value::Bool(true),
                ta => match (ta, self.child(b).truth()) {
                    (_, Some(true)) => Value::Bool(true),
                    (Some(false), Some(false)) => Value::Bool(false),
                    _ => Value::Missing,
                },
            },
            Op::Cmp(op, a, b) => {
                let x = self.operand(a);
                let y = self.operand(b);
                Value::from_truth(compare(*op, &x, &y))
            }
            Op::Arith(op, a, b) => {
                let x = self.child(a);
                let y = self.child(b);
                arith(*op, &x, &y)
            }
            Op::In(v, list, negated) => {
                let x = self.child(v);
                if x.is_missing() {
                    return Value::Missing;
                }
                let mut found = false;
                let _ = self.each(list, &mut |_, item| {
                    if equal(&x, &item) == Some(true) {
                        found = true;
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                });
                Value::Bool(found != *negated)
            }
            Op::InValueSet(v, vs, negated) => match self.child(v) {
                Value::Code(c) => {
                    let hit = self
                        .program
                        .valuesets
                        .get(*vs as usize)
                        .is_some_and(|s| s.contains(c));
                    Value::Bool(hit != *negated)
                }
                _ => Value::Missing,
            },
            Op::Presence(x, present) => Value::Bool(self.child(x).is_missing() != *present),
            Op::During(d, p, edges) => match (self.child(d), self.child(p)) {
                (Value::Date(d), Value::Period(a, b)) => Value::Bool(edges.holds(&a, &d, &b)),
                _ => Value::Missing,
            },
            Op::Within {
                value,
                length,
                direction,
                anchor,
                edges,
            } => {
                let d = self.child(value);
                let len = self.child(length);
                let x = self.child(anchor);
                let (Value::Date(d), Value::Duration(k, u), Value::Date(x)) = (d, len, x) else {
                    return Value::Missing;
                };
                match window(*direction, x, k, u) {
                    Some((lo, hi)) => Value::Bool(edges.holds(&lo, &d, &hi)),
                    None => Value::Missing,
                }
            }
            Op::Duration(amount, unit) => match self.child(amount) {
                Value::Num(d) if d.fract().is_zero() => d
                    .to_i64()
                    .map_or(Value::Missing, |k| Value::Duration(k, *unit)),
                _ => Value::Missing,
            },
            Op::MakeList(items) => {
                let mut vals = ArenaVec::with_capacity_in(items.len(), self.arena);
                for i in items {
                    vals.push(self.child(i));
                }
                Value::List(List::Vals(vals.into_bump_slice()))
            }
            Op::Sorted {
                list,
                local,
                key,
                descending,
            } => self.sorted(list, *local, key, *descending),
            Op::Take(list, k) => {
                let k = match self.child(k) {
                    Value::Num(d) => d.to_usize().unwrap_or(0),
                    _ => return Value::Missing,
                };
                let mut out = ArenaVec::with_capacity_in(k.min(16), self.arena);
                if k > 0 {
                    let _ = self.each(list, &mut |_, v| {
                        out.push(v);
                        if out.len() >= k {
                            ControlFlow::Break(())
                        } else {
                            ControlFlow::Continue(())
                        }
                    });
                }
                Value::List(List::Vals(out.into_bump_slice()))
            }
            Op::Exists(list) => {
                let mut any = false;
                let _ = self.each(list, &mut |_, _| {
                    any = true;
                    ControlFlow::Break(())
                });
                Value::Bool(any)
            }
            Op::Count(list) => {
                let mut n: u64 = 0;
                let _ = self.each(list, &mut |_, _| {
                    // Saturating: each element is a step, so the budget stops the walk
                    // long before `u64::MAX`.
                    n = n.saturating_add(1);
                    ControlFlow::Continue(())
                });
                Value::Num(Decimal::from(n))
            }
            Op::First(list) => {
                if let (
                    false,
                    Op::Sorted {
                        list,
                        local,
                        key,
                        descending,
                    },
                ) = (TRACE, list.op())
                {
                    // The first of a stable sort: the earliest element with the least key,
                    // found in one pass.
                    let mut best: Option<(Value<'a>, Value<'a>)> = None;
                    let _ = self.each(list, &mut |ctx, v| {
                        ctx.set_local(*local, v);
                        let k = ctx.child(key);
                        let better = best
                            .as_ref()
                            .is_none_or(|(b, _)| order_keys(&k, b, *descending) == Ordering::Less);
                        if better {
                            best = Some((k, v));
                        }
                        ControlFlow::Continue(())
                    });
                    return best.map_or(Value::Missing, |(_, v)| v);
                }
                let mut first = Value::Missing;
                let _ = self.each(list, &mut |_, v| {
                    first = v;
                    ControlFlow::Break(())
                });
                first
            }
            Op::Last(list) => {
                let mut last = Value::Missing;
                let _ = self.each(list, &mut |_, v| {
                    last = v;
                    ControlFlow::Continue(())
                });
                last
            }
            Op::Quantified {
                all,
                list,
                local,
                pred,
            } => {
                // Kleene: `all` is false on any false, unknown on any unknown, else true;
                // `any` is the dual.
                let mut unknown = false;
                let mut decided = false;
                if TRACE {
                    self.rec.enter_loop();
                }
                let _ = self.each(list, &mut |ctx, v| {
                    ctx.set_local(*local, v);
                    match ctx.child(pred).truth() {
                        Some(t) if t != *all => {
                            decided = true;
                            ControlFlow::Break(())
                        }
                        Some(_) => ControlFlow::Continue(()),
                        None => {
                            unknown = true;
                            ControlFlow::Continue(())
                        }
                    }
                });
                if TRACE {
                    self.rec.leave_loop();
                }
                if decided {
                    Value::Bool(!*all)
                } else if unknown {
                    Value::Missing
                } else {
                    Value::Bool(*all)
                }
            }
            Op::If(c, a, b) => match self.child(c).truth() {
                Some(true) => self.child(a),
                Some(false) => self.child(b),
                None => Value::Missing,
            },
            Op::Call(b, args) => self.builtin(*b, args),
            Op::FieldCmpConst {
                local,
                field,
                cmp,
                value,
                path,
            } => self.field_cmp_const(*local, *field, *cmp, value, path),
            Op::FieldInConsts {
                local,
                field,
                values,
                negated,
                path,
            } => {
                let v = self.local_field(*local, *field, path);
                if v.is_missing() {
                    return Value::Missing;
                }
                let found = values
                    .iter()
                    .any(|c| equal(&v, &const_value(c)) == Some(true));
                Value::Bool(found != *negated)
            }
            Op::Cached { local, value } => {
                let i = self.base.saturating_add(*local as usize);
                if self.cached.get(i) == Some(&true) {
                    return self.locals.get(i).copied().unwrap_or(Value::Missing);
                }
                let v = self.child(value);
                if let (Some(slot), Some(done)) = (self.locals.get_mut(i), self.cached.get_mut(i)) {
                    *slot = v;
                    *done = true;
                }
                v
            }
            Op::Fresh { cells, body } => {
                self.fresh(cells);
                self.child(body)
            }
            Op::Let {
                local,
                value,
                body,
                file,
            } => {
                let v = self.child(value);
                self.set_local(*local, v);
                if TRACE {
                    self.rec.push_file(*file);
                    let r = self.child(body);
                    self.rec.pop_file();
                    r
                } else {
                    self.child(body)
                }
            }
        }
    }

    /// The list `n` walks, built in the arena.
    #[inline(never)]
    fn collect(&mut self, n: &'a Node) -> Value<'a> {
        let mut out = ArenaVec::new_in(self.arena);
        let _ = self.each(n, &mut |_, v| {
            out.push(v);
            ControlFlow::Continue(())
        });
        Value::List(List::Vals(out.into_bump_slice()))
    }

    /// `list sorted by key` (`Op::Sorted`): a stable sort, missing keys last.
    #[inline(never)]
    fn sorted(&mut self, list: &'a Node, local: u32, key: &'a Node, descending: bool) -> Value<'a> {
        let local = &local;
        let descending = &descending;
        let mut keyed: ArenaVec<'a, (Value<'a>, Value<'a>)> = ArenaVec::new_in(self.arena);
        let _ = self.each(list, &mut |ctx, v| {
            ctx.set_local(*local, v);
            if TRACE {
                ctx.rec.enter_loop();
            }
            let k = ctx.child(key);
            if TRACE {
                ctx.rec.leave_loop();
            }
            keyed.push((k, v));
            ControlFlow::Continue(())
        });
        keyed.sort_by(|(a, _), (b, _)| order_keys(a, b, *descending));
        let mut vals = ArenaVec::with_capacity_in(keyed.len(), self.arena);
        vals.extend(keyed.iter().map(|(_, v)| *v));
        Value::List(List::Vals(vals.into_bump_slice()))
    }

    /// The position in `indexes` of the index of root list `root` by enumeration field
    /// `field`, built on first use.
    #[inline(never)]
    fn index(&mut self, root: u16, field: u16, list: &List<'a>) -> usize {
        if let Some(at) = self.indexes.iter().position(|x| x.key == (root, field)) {
            return at;
        }
        // A counting sort: each element's value, the group sizes, then the positions.
        let mut values: ArenaVec<'a, u16> = ArenaVec::with_capacity_in(list.len(), self.arena);
        let mut counts: ArenaVec<'a, u32> = ArenaVec::new_in(self.arena);
        for j in 0..list.len() {
            let v = match list.get(j) {
                Value::Record(r) => match r.field(field) {
                    Value::Enum(_, v) => v,
                    _ => u16::MAX,
                },
                _ => u16::MAX,
            };
            values.push(v);
            if v != u16::MAX {
                let v = usize::from(v);
                if counts.len() <= v {
                    counts.resize(v.saturating_add(1), 0);
                }
                if let Some(c) = counts.get_mut(v) {
                    *c = c.saturating_add(1);
                }
            }
        }
        let mut starts: ArenaVec<'a, u32> =
            ArenaVec::with_capacity_in(counts.len().saturating_add(1), self.arena);
        let mut total: u32 = 0;
        starts.push(0);
        for c in &counts {
            // At most one position per element of a list whose length fits `u32`.
            total = total.saturating_add(*c);
            starts.push(total);
        }
        let mut next: ArenaVec<'a, u32> = ArenaVec::with_capacity_in(counts.len(), self.arena);
        next.extend(starts.iter().take(counts.len()).copied());
        let mut positions: ArenaVec<'a, u32> =
            ArenaVec::with_capacity_in(total as usize, self.arena);
        positions.resize(total as usize, 0);
        for (j, v) in values.iter().enumerate() {
            if let Some(at) = next.get_mut(usize::from(*v))
                && let Some(p) = positions.get_mut(*at as usize)
            {
                *p = u32::try_from(j).unwrap_or(u32::MAX);
                *at = at.saturating_add(1);
            }
        }
        let at = self.indexes.len();
        self.indexes.push(EnumIndex {
            key: (root, field),
            positions: positions.into_bump_slice(),
            starts: starts.into_bump_slice(),
        });
        at
    }

    /// The position in `keyed` of the hash index of root list `root` by field `first` (and
    /// `second`), built on first use. Elements whose fields are missing or not keys are
    /// left out (an equality with them is never true).
    #[inline(never)]
    fn keyed_index(
        &mut self,
        root: u16,
        first: u16,
        second: Option<u16>,
        list: &List<'a>,
    ) -> usize {
        let key = (root, first, second);
        if let Some(at) = self.keyed.iter().position(|x| x.key == key) {
            return at;
        }
        let mut entries: ArenaVec<'a, ((Key<'a>, Key<'a>), u32)> = ArenaVec::new_in(self.arena);
        for j in 0..list.len() {
            let Value::Record(r) = list.get(j) else {
                continue;
            };
            let Some(a) = Key::of(&r.field(first)) else {
                continue;
            };
            let b = match second {
                None => Key::Unit,
                Some(f) => match Key::of(&r.field(f)) {
                    Some(b) => b,
                    None => continue,
                },
            };
            entries.push(((a, b), u32::try_from(j).unwrap_or(u32::MAX)));
        }
        // By key, then list position: each key's entries in list order.
        entries.sort_unstable();
        let at = self.keyed.len();
        self.keyed.push(KeyIndex {
            key,
            entries: entries.into_bump_slice(),
        });
        at
    }

    /// The bounds of a range test, evaluated: `None` when the test is unknown for every
    /// element (a missing bound), `Some(None)` when the bounds are not dates or numbers
    /// (not indexed: the caller scans).
    #[inline(never)]
    fn bounds(&mut self, range: &'a Range) -> Option<Option<Bounds>> {
        let key = |v: Value<'a>| -> Option<Option<SortKey>> {
            if v.is_missing() {
                None
            } else {
                Some(SortKey::of(&v))
            }
        };
        Some(match range {
            Range::Cmp(order, k) => {
                let v = self.child(k);
                key(v)?.map(|k| match order {
                    Order::Lt => (None, Some((k, false))),
                    Order::Le => (None, Some((k, true))),
                    Order::Gt => (Some((k, false)), None),
                    Order::Ge => (Some((k, true)), None),
                })
            }
            Range::During(p) => match self.child(p) {
                Value::Period(a, b) => Some((
                    Some((SortKey::Date(a), true)),
                    Some((SortKey::Date(b), true)),
                )),
                _ => return None,
            },
            Range::Within {
                length,
                direction,
                anchor,
            } => {
                let len = self.child(length);
                let x = self.child(anchor);
                let (Value::Duration(k, u), Value::Date(x)) = (len, x) else {
                    return None;
                };
                // The window `Op::Within` tests.
                let (lo, hi) = window(*direction, x, k, u)?;
                Some((
                    Some((SortKey::Date(lo), true)),
                    Some((SortKey::Date(hi), true)),
                ))
            }
        })
    }

    /// The position in `ranges` of the sorted index of root list `root` by field `field`,
    /// built on first use.
    #[inline(never)]
    fn range_index(&mut self, root: u16, field: u16, list: &List<'a>) -> usize {
        if let Some(at) = self.ranges.iter().position(|x| x.key == (root, field)) {
            return at;
        }
        let mut entries: ArenaVec<'a, (SortKey, u32)> = ArenaVec::new_in(self.arena);
        for j in 0..list.len() {
            if let Value::Record(r) = list.get(j)
                && let Some(k) = SortKey::of(&r.field(field))
            {
                entries.push((k, u32::try_from(j).unwrap_or(u32::MAX)));
            }
        }
        entries.sort_unstable();
        let at = self.ranges.len();
        self.ranges.push(RangeIndex {
            key: (root, field),
            entries: entries.into_bump_slice(),
        });
        at
    }

    /// The chart's root list `root` (`None` if that root is not a list).
    fn root_list(&self, root: u16) -> Option<List<'a>> {
        let chart: &'a Chart = self.chart;
        match Record::field(chart, root) {
            Value::List(list) => Some(list),
            _ => None,
        }
    }

    /// A query's step: binds the element `v` to `local` and hands it on to `f` when `pred`
    /// is true for it.
    fn keep_if(
        &mut self,
        local: u32,
        pred: &'a Node,
        v: Value<'a>,
        f: &mut dyn FnMut(&mut Self, Value<'a>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if !self.step() {
            return ControlFlow::Break(());
        }
        self.set_local(local, v);
        if self.child(pred).truth() == Some(true) {
            f(self, v)
        } else {
            ControlFlow::Continue(())
        }
    }

    /// `range(a, b)`: the whole numbers k with a <= k <= b, in order (empty when there are
    /// none); missing when there would be more than [`MAX_RANGE`].
    #[inline(never)]
    fn range(&mut self, a: Decimal, b: Decimal) -> Value<'a> {
        let (Some(lo), Some(hi)) = (a.ceil().to_i64(), b.floor().to_i64()) else {
            return Value::Missing;
        };
        let len = hi.saturating_sub(lo).saturating_add(1).max(0);
        if len > MAX_RANGE {
            return Value::Missing;
        }
        let mut out = ArenaVec::with_capacity_in(usize::try_from(len).unwrap_or(0), self.arena);
        out.extend((lo..=hi).map(|k| Value::Num(Decimal::from(k))));
        Value::List(List::Vals(out.into_bump_slice()))
    }

    /// Empties loop-invariant cache cells on entry into their loop.
    fn fresh(&mut self, cells: &[u32]) {
        for c in cells {
            if let Some(done) = self.cached.get_mut(self.base.saturating_add(*c as usize)) {
                *done = false;
            }
        }
    }

    /// Calls `f` on each element of the list `n` evaluates to, without building the list
    /// when `n` is a filter or a field projection.
    fn each(
        &mut self,
        n: &'a Node,
        f: &mut dyn FnMut(&mut Self, Value<'a>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if !self.step() {
            return ControlFlow::Break(());
        }
        // `step` stopped at `MAX_RUNTIME_DEPTH`: the depth cannot overflow.
        self.depth = self.depth.saturating_add(1);
        let r = self.walk(n, f);
        self.depth = self.depth.saturating_sub(1);
        r
    }

    /// [`Ctx::each`] after its checks.
    fn walk(
        &mut self,
        n: &'a Node,
        f: &mut dyn FnMut(&mut Self, Value<'a>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        match n.op() {
            Op::Where { list, local, pred } => {
                if !TRACE && matches!(list.op(), Op::Root(..) | Op::Slot(_) | Op::Local(_)) {
                    // A stored or computed list: walked here, one call less per element.
                    if let Value::List(l) = self.leaf(list) {
                        for j in 0..l.len() {
                            self.keep_if(*local, pred, l.get(j), f)?;
                        }
                    }
                    return ControlFlow::Continue(());
                }
                if TRACE {
                    self.rec.enter_loop();
                }
                let r = self.each(list, &mut |ctx, v| ctx.keep_if(*local, pred, v, f));
                if TRACE {
                    self.rec.leave_loop();
                }
                r
            }
            Op::MapField(base, i, path) => self.each(base, &mut |ctx, v| {
                let Value::Record(r) = v else {
                    return ControlFlow::Continue(());
                };
                match r.field(*i) {
                    Value::List(l) => {
                        for j in 0..l.len() {
                            if !ctx.step() {
                                return ControlFlow::Break(());
                            }
                            f(ctx, l.get(j))?;
                        }
                        ControlFlow::Continue(())
                    }
                    Value::Missing => {
                        if TRACE {
                            ctx.rec.missing(path);
                        }
                        ControlFlow::Continue(())
                    }
                    v => f(ctx, v),
                }
            }),
            Op::MakeList(items) => {
                for item in items {
                    let v = self.child(item);
                    f(self, v)?;
                }
                ControlFlow::Continue(())
            }
            Op::Fresh { cells, body } => {
                self.fresh(cells);
                self.each(body, f)
            }
            Op::KeyedWhere {
                root,
                fields,
                keys,
                local,
                pred,
            } => {
                let Some(list) = self.root_list(*root) else {
                    return ControlFlow::Continue(());
                };
                let mut values: [Value<'a>; 2] = [Value::Missing, Value::Missing];
                for (slot, key) in values.iter_mut().zip(keys.iter()) {
                    *slot = self.child(key);
                    if slot.is_missing() {
                        // Equality with a missing value is unknown: no element is kept.
                        return ControlFlow::Continue(());
                    }
                }
                let second = fields.get(1).copied();
                let hash = match (Key::of(&values[0]), second) {
                    (Some(a), None) => Some((a, Key::Unit)),
                    (Some(a), Some(_)) => Key::of(&values[1]).map(|b| (a, b)),
                    (None, _) => None,
                };
                match (hash, fields.first()) {
                    (Some(hash), Some(&first)) if list.len() >= KEYED_MIN_LEN => {
                        let at = self.keyed_index(*root, first, second, &list);
                        let found = self.keyed.get(at).map_or(&[][..], |x| x.matching(&hash));
                        for (_, j) in found {
                            self.keep_if(*local, pred, list.get(*j as usize), f)?;
                        }
                    }
                    _ => {
                        for j in 0..list.len() {
                            if !self.step() {
                                return ControlFlow::Break(());
                            }
                            let v = list.get(j);
                            let hit = match &v {
                                Value::Record(r) => fields
                                    .iter()
                                    .zip(&values)
                                    .all(|(fd, k)| equal(&r.field(*fd), k) == Some(true)),
                                _ => false,
                            };
                            if hit {
                                self.keep_if(*local, pred, v, f)?;
                            }
                        }
                    }
                }
                ControlFlow::Continue(())
            }
            Op::RangeWhere {
                root,
                field,
                range,
                local,
                pred,
                ordered,
            } => {
                let Some(list) = self.root_list(*root) else {
                    return ControlFlow::Continue(());
                };
                let bounds = match self.bounds(range) {
                    // The test is unknown for every element: none is kept.
                    None => return ControlFlow::Continue(()),
                    Some(b) => b,
                };
                let Some(bounds) = bounds.filter(|_| list.len() >= KEYED_MIN_LEN) else {
                    // Bounds of a kind not indexed, or a short list: a scan.
                    for j in 0..list.len() {
                        self.keep_if(*local, pred, list.get(j), f)?;
                    }
                    return ControlFlow::Continue(());
                };
                let at = self.range_index(*root, *field, &list);
                let entries: &'a [(SortKey, u32)] = self.ranges.get(at).map_or(&[], |r| r.entries);
                let from = match bounds.0 {
                    None => 0,
                    Some((lo, true)) => entries.partition_point(|(k, _)| *k < lo),
                    Some((lo, false)) => entries.partition_point(|(k, _)| *k <= lo),
                };
                let to = match bounds.1 {
                    None => entries.len(),
                    Some((hi, true)) => entries.partition_point(|(k, _)| *k <= hi),
                    Some((hi, false)) => entries.partition_point(|(k, _)| *k < hi),
                };
                let Some(found) = entries.get(from..to).filter(|e| !e.is_empty()) else {
                    return ControlFlow::Continue(());
                };
                if *ordered {
                    let mut hits = ArenaVec::with_capacity_in(found.len(), self.arena);
                    hits.extend(found.iter().map(|(_, j)| *j));
                    hits.sort_unstable();
                    for j in hits {
                        self.keep_if(*local, pred, list.get(j as usize), f)?;
                    }
                } else {
                    for (_, j) in found {
                        self.keep_if(*local, pred, list.get(*j as usize), f)?;
                    }
                }
                ControlFlow::Continue(())
            }
            Op::IndexedWhere {
                root,
                field,
                values,
                local,
                pred,
            } => {
                let Some(list) = self.root_list(*root) else {
                    return ControlFlow::Continue(());
                };
                let at = self.index(*root, *field, &list);
                let index: Option<(&'a [u32], &'a [u32])> =
                    self.indexes.get(at).map(|x| (x.positions, x.starts));
                let Some((positions, starts)) = index else {
                    return ControlFlow::Continue(());
                };
                let index = EnumIndex {
                    key: (*root, *field),
                    positions,
                    starts,
                };
                if let [one] = values.as_ref() {
                    for j in index.bucket(*one) {
                        self.keep_if(*local, pred, list.get(*j as usize), f)?;
                    }
                } else {
                    // Several values: their positions merged back into list order.
                    let mut hits = ArenaVec::new_in(self.arena);
                    hits.extend(values.iter().flat_map(|v| index.bucket(*v)).copied());
                    hits.sort_unstable();
                    for j in hits {
                        self.keep_if(*local, pred, list.get(j as usize), f)?;
                    }
                }
                ControlFlow::Continue(())
            }
            _ => {
                let v = self.child(n);
                if let Value::List(l) = v {
                    for j in 0..l.len() {
                        if !self.step() {
                            return ControlFlow::Break(());
                        }
                        f(self, l.get(j))?;
                    }
                }
                ControlFlow::Continue(())
            }
        }
    }

    #[inline(never)]
    fn builtin(&mut self, b: Builtin, args: &'a [Node]) -> Value<'a> {
        match b {
            Builtin::AgeAt => {
                let at = args.first().map(|a| self.child(a));
                match (self.chart.patient.birth_date, at) {
                    (Some(birth), Some(Value::Date(d))) => {
                        Value::Num(Decimal::from(birth.whole_years_until(d)))
                    }
                    _ => Value::Missing,
                }
            }
            Builtin::DaysBetween | Builtin::Period => {
                let a = args.first().map(|a| self.child(a));
                let c = args.get(1).map(|a| self.child(a));
                match (a, c) {
                    (Some(Value::Date(x)), Some(Value::Date(y))) => {
                        if b == Builtin::Period {
                            Value::Period(x, y)
                        } else {
                            Value::Num(Decimal::from(x.days_until(y)))
                        }
                    }
                    _ => Value::Missing,
                }
            }
            Builtin::Min | Builtin::Max => {
                let Some(list) = args.first() else {
                    return Value::Missing;
                };
                let mut best = Value::Missing;
                let want = if b == Builtin::Min {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                let _ = self.each(list, &mut |_, v| {
                    if !v.is_missing() && (best.is_missing() || order(&v, &best) == Some(want)) {
                        best = v;
                    }
                    ControlFlow::Continue(())
                });
                best
            }
            Builtin::Distinct => {
                let Some(list) = args.first() else {
                    return Value::Missing;
                };
                // Values usable as hash keys are deduplicated through a set (equal keys
                // are exactly the values `equal` finds equal); the others (codes,
                // durations, periods, records) by comparison with the kept ones of their
                // kind. Missing values are all kept, as `equal` never finds them equal.
                // Each value with whether it is kept, and the key values with their
                // positions: sorted afterwards, every key value after the first of its key
                // is dropped (no hashing, so no collisions a chart could craft).
                let mut all: ArenaVec<'a, (Value<'a>, bool)> = ArenaVec::new_in(self.arena);
                let mut keys: ArenaVec<'a, (Key<'a>, u32)> = ArenaVec::new_in(self.arena);
                let mut others: Vec<Value<'a>> = Vec::new();
                let _ = self.each(list, &mut |ctx, v| {
                    let new = match Key::of(&v) {
                        Some(k) => {
                            keys.push((k, u32::try_from(all.len()).unwrap_or(u32::MAX)));
                            true
                        }
                        None if v.is_missing() => true,
                        None => {
                            let fresh = !others.iter().any(|o| {
                                // Each comparison is a step: this part is quadratic.
                                ctx.steps = ctx.steps.saturating_add(1);
                                equal(o, &v) == Some(true)
                            });
                            if fresh {
                                others.push(v);
                            }
                            fresh
                        }
                    };
                    all.push((v, new));
                    ControlFlow::Continue(())
                });
                keys.sort_unstable();
                for pair in keys.windows(2) {
                    if let [(a, _), (b, later)] = pair
                        && a == b
                        && let Some(entry) = all.get_mut(*later as usize)
                    {
                        entry.1 = false;
                    }
                }
                let mut out = ArenaVec::with_capacity_in(all.len(), self.arena);
                out.extend(all.iter().filter(|(_, new)| *new).map(|(v, _)| *v));
                Value::List(List::Vals(out.into_bump_slice()))
            }
            Builtin::Coalesce => {
                for a in args {
                    let v = self.child(a);
                    if !v.is_missing() {
                        return v;
                    }
                }
                Value::Missing
            }
            Builtin::Range => {
                let from = args.first().map(|a| self.child(a));
                let to = args.get(1).map(|a| self.child(a));
                match (from, to) {
                    (Some(Value::Num(a)), Some(Value::Num(b))) => self.range(a, b),
                    _ => Value::Missing,
                }
            }
            Builtin::StartOfYear => match args.first().map(|a| self.child(a)) {
                Some(Value::Date(d)) => {
                    Date::from_ymd(d.year(), 1, 1).map_or(Value::Missing, Value::Date)
                }
                _ => Value::Missing,
            },
            Builtin::Band => {
                // `[x, c1..ck, label0..labelk]` (see `Builtin::Band`): 2k + 2 arguments.
                let Some((value, rest)) = args.split_first() else {
                    return Value::Missing;
                };
                let (cuts, labels) = rest.split_at(rest.len() / 2);
                let Value::Num(x) = self.child(value) else {
                    return Value::Missing;
                };
                let mut band: usize = 0;
                for cut in cuts {
                    match self.child(cut) {
                        // At most `MAX_BAND_CUTS` cut points.
                        Value::Num(c) if x >= c => band = band.saturating_add(1),
                        _ => break,
                    }
                }
                labels.get(band).map_or(Value::Missing, |l| self.child(l))
            }
            Builtin::StagePrefix => match args.first().map(|a| self.child(a)) {
                Some(Value::Enum(schema, i)) => {
                    let s = schema.values.get(usize::from(i)).copied().unwrap_or("");
                    stage_prefix(s).map_or(Value::Missing, Value::Str)
                }
                _ => Value::Missing,
            },
        }
    }
}

#[inline]
fn const_value(c: &Const) -> Value<'_> {
    match c {
        Const::Missing => Value::Missing,
        Const::Bool(b) => Value::Bool(*b),
        Const::Num(d) => Value::Num(*d),
        Const::Date(d) => Value::Date(*d),
        Const::Str(s) => Value::Str(s),
        Const::Enum(e, i) => Value::Enum(e, *i),
        Const::Duration(k, u) => Value::Duration(*k, *u),
    }
}

/// The Roman-numeral prefix of a stage group value.
pub(crate) fn stage_prefix(s: &str) -> Option<&'static str> {
    if s == "0" {
        return Some("0");
    }
    ["IV", "III", "II", "I"]
        .into_iter()
        .find(|p| s.starts_with(p))
}

/// `-d`: a decimal's negation flips its sign and cannot overflow.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "a decimal's negation flips its sign bit and cannot overflow"
)]
fn negate(d: Decimal) -> Decimal {
    -d
}

/// The dates `within k u (before | after | around) x` covers, both ends included; `None`
/// when an end is past the supported dates or `k` cannot be negated.
fn window(direction: Direction, x: Date, k: i64, u: Unit) -> Option<(Date, Date)> {
    let lo = match direction {
        Direction::After => x,
        _ => shift(x, k.checked_neg()?, u)?,
    };
    let hi = match direction {
        Direction::Before => x,
        _ => shift(x, k, u)?,
    };
    Some((lo, hi))
}

fn shift(d: Date, k: i64, u: Unit) -> Option<Date> {
    match u {
        Unit::Days => d.add_days(k),
        Unit::Weeks => d.add_days(k.checked_mul(7)?),
        Unit::Months => d.add_months(k),
        Unit::Years => d.add_months(k.checked_mul(12)?),
    }
}

/// Equality of two present values (`None` when either is missing).
#[inline]
pub(crate) fn equal(a: &Value<'_>, b: &Value<'_>) -> Option<bool> {
    Some(match (a, b) {
        (Value::Missing, _) | (_, Value::Missing) => return None,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Num(x), Value::Num(y)) => x == y,
        (Value::Date(x), Value::Date(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Code(x), Value::Code(y)) => x == y,
        (Value::Enum(_, x), Value::Enum(_, y)) => x == y,
        (Value::Duration(x, u), Value::Duration(y, v)) => x == y && u == v,
        (Value::Period(a1, b1), Value::Period(a2, b2)) => a1 == a2 && b1 == b2,
        (Value::Record(x), Value::Record(y)) => std::ptr::addr_eq(*x, *y),
        _ => false,
    })
}

/// Order of two present values of an ordered type.
#[inline]
fn order(a: &Value<'_>, b: &Value<'_>) -> Option<Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Enum(_, x), Value::Enum(_, y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Sort order of keys: missing keys last in either direction; the sort is stable.
fn order_keys(a: &Value<'_>, b: &Value<'_>, descending: bool) -> Ordering {
    match (a.is_missing(), b.is_missing()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            let o = order(a, b).unwrap_or(Ordering::Equal);
            if descending { o.reverse() } else { o }
        }
    }
}

#[inline]
fn compare(op: Cmp, a: &Value<'_>, b: &Value<'_>) -> Option<bool> {
    match op {
        Cmp::Eq => equal(a, b),
        Cmp::Ne => equal(a, b).map(|e| !e),
        _ => {
            let o = order(a, b)?;
            Some(match op {
                Cmp::Lt => o == Ordering::Less,
                Cmp::Le => o != Ordering::Greater,
                Cmp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            })
        }
    }
}

fn arith<'a>(op: Arith, a: &Value<'a>, b: &Value<'a>) -> Value<'a> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => {
            let r = match op {
                Arith::Add => x.checked_add(*y),
                Arith::Sub => x.checked_sub(*y),
                Arith::Mul => x.checked_mul(*y),
                Arith::Div => x.checked_div(*y),
            };
            r.map_or(Value::Missing, Value::Num)
        }
        (Value::Date(d), Value::Duration(k, u)) => {
            let k = if op == Arith::Sub {
                k.checked_neg()
            } else {
                Some(*k)
            };
            k.and_then(|k| shift(*d, k, *u))
                .map_or(Value::Missing, Value::Date)
        }
        _ => Value::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_prefix_reads_the_roman_numeral_prefix() {
        assert_eq!(stage_prefix("IIIC2"), Some("III"));
        assert_eq!(stage_prefix("IVB"), Some("IV"));
        assert_eq!(stage_prefix("IB1"), Some("I"));
        assert_eq!(stage_prefix("IIA"), Some("II"));
        assert_eq!(stage_prefix("0"), Some("0"));
        assert_eq!(stage_prefix("not_applicable"), None);
        assert_eq!(stage_prefix("unknown"), None);
    }

    #[test]
    fn months_clamp_to_month_end_and_leap_days() {
        let d = |s| Date::parse(s).unwrap();
        assert_eq!(
            shift(d("2026-01-31"), 1, Unit::Months),
            Some(d("2026-02-28"))
        );
        assert_eq!(
            shift(d("2028-01-31"), 1, Unit::Months),
            Some(d("2028-02-29"))
        );
        assert_eq!(
            shift(d("2028-02-29"), 1, Unit::Years),
            Some(d("2029-02-28"))
        );
        assert_eq!(
            shift(d("2026-03-31"), -1, Unit::Months),
            Some(d("2026-02-28"))
        );
        assert_eq!(
            shift(d("2026-01-01"), -2, Unit::Weeks),
            Some(d("2025-12-18"))
        );
    }

    #[test]
    fn missing_operands_make_comparisons_unknown() {
        let one = Value::Num(Decimal::ONE);
        assert_eq!(compare(Cmp::Eq, &one, &Value::Missing), None);
        assert_eq!(compare(Cmp::Lt, &Value::Missing, &one), None);
        assert_eq!(compare(Cmp::Ge, &one, &one), Some(true));
        assert!(matches!(
            arith(Arith::Div, &one, &Value::Num(Decimal::ZERO)),
            Value::Missing
        ));
    }
}
