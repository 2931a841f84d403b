//! The compiled form of measure logic: names resolved to slots, locals and field indices,
//! types checked. Evaluation walks this tree; nothing in it is looked up by name.
use std::fmt;

use rust_decimal::Decimal;

use crate::chart::Date;
use crate::chart::schema::{EnumSchema, RecordSchema};
use crate::dsl::Span;
use crate::dsl::ast::{Direction, Unit};

/// The static type of an expression.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    Bool,
    Num,
    Date,
    Str,
    Id,
    Code,
    Duration,
    Period,
    Enum(&'static EnumSchema),
    Record(&'static RecordSchema),
    List(Box<Ty>),
    /// The type of an expression that already failed to check (suppresses follow-on errors),
    /// or of an empty list literal's elements.
    Any,
}

impl Ty {
    pub(crate) fn list_of(t: Ty) -> Ty {
        Ty::List(Box::new(t))
    }

    pub(crate) fn element(&self) -> Option<&Ty> {
        match self {
            Ty::List(t) => Some(t),
            _ => None,
        }
    }

    /// Whether a value of `self` can be compared for equality with a value of `other`.
    pub(crate) fn comparable(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Any, _) | (_, Ty::Any) => true,
            (Ty::Id | Ty::Str, Ty::Id | Ty::Str) => true,
            (Ty::Enum(a), Ty::Enum(b)) => std::ptr::eq(*a, *b) || a.name == b.name,
            (Ty::List(a), Ty::List(b)) => a.comparable(b),
            (a, b) => a == b && !matches!(a, Ty::Record(_)),
        }
    }

    /// Whether values of the two types can stand in one place (`if` branches, `coalesce`
    /// arguments): comparable types, or the same record.
    pub(crate) fn unifies(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Record(a), Ty::Record(b)) => a.name == b.name,
            (Ty::List(a), Ty::List(b)) => a.unifies(b),
            _ => self.comparable(other),
        }
    }

    pub(crate) fn is_ordered(&self) -> bool {
        matches!(self, Ty::Num | Ty::Date | Ty::Str | Ty::Enum(_) | Ty::Any)
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => f.write_str("boolean"),
            Ty::Num => f.write_str("number"),
            Ty::Date => f.write_str("date"),
            Ty::Str => f.write_str("string"),
            Ty::Id => f.write_str("id"),
            Ty::Code => f.write_str("code"),
            Ty::Duration => f.write_str("duration"),
            Ty::Period => f.write_str("period"),
            Ty::Enum(e) => write!(f, "enum {}", e.name),
            Ty::Record(r) => write!(f, "record {}", r.name),
            Ty::List(t) => write!(f, "list of {t}"),
            Ty::Any => f.write_str("any type"),
        }
    }
}

impl fmt::Debug for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A literal known at compile time.
#[derive(Debug, Clone)]
pub(crate) enum Const {
    Missing,
    Bool(bool),
    Num(Decimal),
    Date(Date),
    Str(Box<str>),
    Enum(&'static EnumSchema, u16),
    Duration(i64, Unit),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    AgeAt,
    DaysBetween,
    Period,
    Min,
    Max,
    Distinct,
    Coalesce,
    StagePrefix,
    StartOfYear,
    Range,
    /// `band(x, c1, ..., ck)`: the label of the band of cut points `x` falls in. Lowered
    /// to `Call(Band, [x, c1..ck, label0..labelk])`, the cut points as number constants
    /// and the `k + 1` labels as string constants (see [`band_labels`]).
    Band,
}

impl Builtin {
    pub(crate) const ALL: [(&'static str, Builtin); 11] = [
        ("age_at", Builtin::AgeAt),
        ("days_between", Builtin::DaysBetween),
        ("period", Builtin::Period),
        ("min", Builtin::Min),
        ("max", Builtin::Max),
        ("distinct", Builtin::Distinct),
        ("coalesce", Builtin::Coalesce),
        ("stage_prefix", Builtin::StagePrefix),
        ("start_of_year", Builtin::StartOfYear),
        ("range", Builtin::Range),
        ("band", Builtin::Band),
    ];

    pub(crate) fn from_name(name: &str) -> Option<Builtin> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }
}

/// Most cut points of one `band`.
pub(crate) const MAX_BAND_CUTS: usize = 16;
/// Largest cut point of a `band`.
pub(crate) const MAX_BAND_CUT: u32 = 100_000;

/// The labels of the bands that the ascending whole cut points `cuts` make: `<c1`, then
/// `ci-(ci+1 − 1)` for each pair (`ci` alone when the band holds one whole number), then
/// `>=ck`. `[18, 65, 75]` gives `<18`, `18-64`, `65-74`, `>=75`.
pub(crate) fn band_labels(cuts: &[u32]) -> Vec<String> {
    let mut out = Vec::with_capacity(cuts.len().saturating_add(1));
    if let Some(first) = cuts.first() {
        out.push(format!("<{first}"));
    }
    for pair in cuts.windows(2) {
        if let [lo, hi] = pair {
            let last = hi.saturating_sub(1);
            if last == *lo {
                out.push(format!("{lo}"));
            } else {
                out.push(format!("{lo}-{last}"));
            }
        }
    }
    if let Some(last) = cuts.last() {
        out.push(format!(">={last}"));
    }
    out
}

/// Where a parameter of the evaluation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    /// `reporting_period` as a whole.
    Period,
    Start,
    End,
}

/// A compiled expression: what it does, and where it was written (for traces).
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) op: Op,
    pub(crate) span: Span,
}

/// What a compiled expression does.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Const(Const),
    Param(Param),
    /// A chart root field, by index into the chart schema.
    Root(u16, &'static str),
    /// A parameterless define, by slot.
    Slot(u32),
    /// A local variable (query element, alias, define parameter), relative to the frame.
    Local(u32),
    /// A field of a record, by index; its dictionary path is kept for traces of missing data.
    Field(Box<Node>, u16, Box<str>),
    /// A field of every element of a list (flattened when the field is itself a list;
    /// missing values left out).
    MapField(Box<Node>, u16, Box<str>),
    /// `start` / `end` of a period value.
    PeriodPart(Box<Node>, bool),
    Not(Box<Node>),
    Neg(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cmp(Cmp, Box<Node>, Box<Node>),
    Arith(Arith, Box<Node>, Box<Node>),
    /// `value in list` (or `not in`).
    In(Box<Node>, Box<Node>, bool),
    /// `code in valueset` (or `not in`), by value-set index.
    InValueSet(Box<Node>, u32, bool),
    /// `x is missing` (false) / `x is present` (true).
    Presence(Box<Node>, bool),
    During(Box<Node>, Box<Node>),
    Within {
        value: Box<Node>,
        length: Box<Node>,
        direction: Direction,
        anchor: Box<Node>,
    },
    /// `amount unit`.
    Duration(Box<Node>, Unit),
    MakeList(Vec<Node>),
    Where {
        list: Box<Node>,
        local: u32,
        pred: Box<Node>,
    },
    Sorted {
        list: Box<Node>,
        local: u32,
        key: Box<Node>,
        descending: bool,
    },
    Take(Box<Node>, Box<Node>),
    Exists(Box<Node>),
    Count(Box<Node>),
    First(Box<Node>),
    Last(Box<Node>),
    Quantified {
        all: bool,
        list: Box<Node>,
        local: u32,
        pred: Box<Node>,
    },
    If(Box<Node>, Box<Node>, Box<Node>),
    Call(Builtin, Vec<Node>),
    /// Fused `local.field <op> constant` (the commonest query predicate).
    FieldCmpConst {
        local: u32,
        field: u16,
        cmp: Cmp,
        value: Const,
        path: Box<str>,
    },
    /// Fused `local.field in [constants]` (or `not in`).
    FieldInConsts {
        local: u32,
        field: u16,
        values: Box<[Const]>,
        negated: bool,
        path: Box<str>,
    },
    /// Binds `value` to a local, then evaluates `body` (an inlined parameterised define).
    Let {
        local: u32,
        value: Box<Node>,
        body: Box<Node>,
        /// The file the define's body was written in (for traces).
        file: usize,
    },
    /// A loop-invariant value (evaluation copy only, see `optimize`): `value` is computed
    /// at its first use after the enclosing [`Op::Fresh`] and kept in cache cell `local`.
    Cached {
        local: u32,
        value: Box<Node>,
    },
    /// Empties the cache `cells` of the loop `body` each time the loop is entered.
    Fresh {
        cells: Box<[u32]>,
        body: Box<Node>,
    },
    /// `root where field in [values] and pred` over a chart root list (evaluation copy
    /// only, see `optimize`): the elements are found through a per-chart index of the
    /// list by that enumeration field, in list order, instead of a scan.
    IndexedWhere {
        root: u16,
        field: u16,
        values: Box<[u16]>,
        local: u32,
        pred: Box<Node>,
    },
    /// `root where fields[0] = keys[0] (and fields[1] = keys[1]) and pred` over a chart
    /// root list, the keys not reading the element (evaluation copy only, see `optimize`):
    /// the keys are evaluated once and the elements found through a per-chart hash index
    /// of the list by those fields, in list order.
    KeyedWhere {
        root: u16,
        fields: Box<[u16]>,
        keys: Box<[Node]>,
        local: u32,
        pred: Box<Node>,
    },
    /// `root where <range test of field> and ...` over a chart root list, the range's
    /// bounds not reading the element (evaluation copy only, see `optimize`): the bounds
    /// are evaluated once and the candidates found by binary search in a per-chart index of
    /// the list sorted by that field. `pred` is the whole predicate, the range test
    /// included, and decides for each candidate: the candidates need only include every
    /// element the test keeps. `ordered`: the elements must come in list order (false
    /// under `exists` and `count`, which do not depend on it).
    RangeWhere {
        root: u16,
        field: u16,
        range: Box<Range>,
        local: u32,
        pred: Box<Node>,
        ordered: bool,
    },
}

/// The range test of an [`Op::RangeWhere`], the element's field on the left.
#[derive(Debug, Clone)]
pub(crate) enum Range {
    /// `field <cmp> key`, `cmp` one of `<`, `<=`, `>`, `>=`.
    Cmp(Cmp, Node),
    /// `field within length direction anchor`.
    Within {
        length: Node,
        direction: Direction,
        anchor: Node,
    },
    /// `field during period`.
    During(Node),
}

impl Range {
    fn nodes_mut(&mut self) -> Vec<&mut Node> {
        match self {
            Range::Cmp(_, k) | Range::During(k) => vec![k],
            Range::Within { length, anchor, .. } => vec![length, anchor],
        }
    }

    fn nodes(&self) -> Vec<&Node> {
        match self {
            Range::Cmp(_, k) | Range::During(k) => vec![k],
            Range::Within { length, anchor, .. } => vec![length, anchor],
        }
    }
}

impl Node {
    pub(crate) fn new(op: Op, span: Span) -> Node {
        Node { op, span }
    }

    /// Rewrites this tree bottom-up, fusing the commonest predicate shapes into single
    /// operations (fewer dispatches per query element); the meaning is unchanged.
    pub(crate) fn fuse(self) -> Node {
        let span = self.span;
        let op = match self.op {
            Op::Cmp(cmp, a, b) => match (a.op, b.op) {
                (Op::Field(base, field, path), Op::Const(value))
                    if matches!(base.op, Op::Local(_)) =>
                {
                    let Op::Local(local) = base.op else {
                        unreachable!("guarded above")
                    };
                    Op::FieldCmpConst {
                        local,
                        field,
                        cmp,
                        value,
                        path,
                    }
                }
                (aop, bop) => Op::Cmp(
                    cmp,
                    Node::new(aop, a.span).fuse().boxed(),
                    Node::new(bop, b.span).fuse().boxed(),
                ),
            },
            Op::In(a, b, negated) => {
                let consts = match &b.op {
                    Op::MakeList(items) if items.iter().all(|i| matches!(i.op, Op::Const(_))) => {
                        Some(
                            items
                                .iter()
                                .filter_map(|i| match &i.op {
                                    Op::Const(c) => Some(c.clone()),
                                    _ => None,
                                })
                                .collect::<Box<[Const]>>(),
                        )
                    }
                    _ => None,
                };
                match (a.op, consts) {
                    (Op::Field(base, field, path), Some(values))
                        if matches!(base.op, Op::Local(_)) =>
                    {
                        let Op::Local(local) = base.op else {
                            unreachable!("guarded above")
                        };
                        Op::FieldInConsts {
                            local,
                            field,
                            values,
                            negated,
                            path,
                        }
                    }
                    (aop, _) => Op::In(
                        Node::new(aop, a.span).fuse().boxed(),
                        b.fuse().boxed(),
                        negated,
                    ),
                }
            }
            other => {
                let mut n = Node::new(other, span);
                n.map_children(&mut Node::fuse);
                return n;
            }
        };
        Node::new(op, span)
    }

    /// Replaces each direct sub-expression `c` by `f(c)`.
    pub(crate) fn map_children(&mut self, f: &mut dyn FnMut(Node) -> Node) {
        for child in self.children_mut() {
            let span = child.span;
            let n = std::mem::replace(child, Node::new(Op::Const(Const::Missing), span));
            *child = f(n);
        }
    }

    /// The direct sub-expressions, mutably (in the order of [`Node::children`]).
    fn children_mut(&mut self) -> Vec<&mut Node> {
        match &mut self.op {
            Op::Const(_)
            | Op::Param(_)
            | Op::Root(..)
            | Op::Slot(_)
            | Op::Local(_)
            | Op::FieldCmpConst { .. }
            | Op::FieldInConsts { .. } => Vec::new(),
            Op::Field(a, ..)
            | Op::MapField(a, ..)
            | Op::PeriodPart(a, _)
            | Op::Not(a)
            | Op::Neg(a)
            | Op::InValueSet(a, ..)
            | Op::Presence(a, _)
            | Op::Duration(a, _)
            | Op::Exists(a)
            | Op::Count(a)
            | Op::First(a)
            | Op::Last(a)
            | Op::Cached { value: a, .. }
            | Op::Fresh { body: a, .. }
            | Op::IndexedWhere { pred: a, .. } => vec![a],
            Op::And(a, b)
            | Op::Or(a, b)
            | Op::Cmp(_, a, b)
            | Op::Arith(_, a, b)
            | Op::In(a, b, _)
            | Op::During(a, b)
            | Op::Take(a, b)
            | Op::Where {
                list: a, pred: b, ..
            }
            | Op::Sorted {
                list: a, key: b, ..
            }
            | Op::Quantified {
                list: a, pred: b, ..
            }
            | Op::Let {
                value: a, body: b, ..
            } => vec![a, b],
            Op::Within {
                value,
                length,
                anchor,
                ..
            } => vec![value, length, anchor],
            Op::If(a, b, c) => vec![a, b, c],
            Op::MakeList(items) | Op::Call(_, items) => items.iter_mut().collect(),
            Op::KeyedWhere { keys, pred, .. } => keys.iter_mut().chain([pred.as_mut()]).collect(),
            Op::RangeWhere { range, pred, .. } => {
                let mut v = range.nodes_mut();
                v.push(pred);
                v
            }
        }
    }

    /// The direct sub-expressions. A node that binds a local (a query, `let`) lists what
    /// it evaluates with the local bound (predicate, sort key, body) last.
    pub(crate) fn children(&self) -> Vec<&Node> {
        match &self.op {
            Op::Const(_)
            | Op::Param(_)
            | Op::Root(..)
            | Op::Slot(_)
            | Op::Local(_)
            | Op::FieldCmpConst { .. }
            | Op::FieldInConsts { .. } => Vec::new(),
            Op::Field(a, ..)
            | Op::MapField(a, ..)
            | Op::PeriodPart(a, _)
            | Op::Not(a)
            | Op::Neg(a)
            | Op::InValueSet(a, ..)
            | Op::Presence(a, _)
            | Op::Duration(a, _)
            | Op::Exists(a)
            | Op::Count(a)
            | Op::First(a)
            | Op::Last(a)
            | Op::Cached { value: a, .. }
            | Op::Fresh { body: a, .. }
            | Op::IndexedWhere { pred: a, .. } => vec![a],
            Op::And(a, b)
            | Op::Or(a, b)
            | Op::Cmp(_, a, b)
            | Op::Arith(_, a, b)
            | Op::In(a, b, _)
            | Op::During(a, b)
            | Op::Take(a, b)
            | Op::Where {
                list: a, pred: b, ..
            }
            | Op::Sorted {
                list: a, key: b, ..
            }
            | Op::Quantified {
                list: a, pred: b, ..
            }
            | Op::Let {
                value: a, body: b, ..
            } => vec![a, b],
            Op::Within {
                value,
                length,
                anchor,
                ..
            } => vec![value, length, anchor],
            Op::If(a, b, c) => vec![a, b, c],
            Op::MakeList(items) | Op::Call(_, items) => items.iter().collect(),
            Op::KeyedWhere { keys, pred, .. } => keys.iter().chain([pred.as_ref()]).collect(),
            Op::RangeWhere { range, pred, .. } => {
                let mut v = range.nodes();
                v.push(pred);
                v
            }
        }
    }

    /// How deep evaluation can recurse from here, counting through defines' bodies
    /// (`slot_depth[i]` for slot `i`).
    pub(crate) fn depth(&self, slot_depth: &[u32]) -> u32 {
        let own = match self.op {
            Op::Slot(i) => slot_depth.get(i as usize).copied().unwrap_or(0),
            _ => 0,
        };
        // Saturating: a depth past `u32::MAX` is over every limit anyway.
        self.children()
            .iter()
            .map(|c| c.depth(slot_depth))
            .max()
            .unwrap_or(0)
            .max(own)
            .saturating_add(1)
    }

    pub(crate) fn boxed(self) -> Box<Node> {
        Box::new(self)
    }
}
