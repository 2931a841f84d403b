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

    /// Its name in the measure language.
    pub(crate) fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, b)| *b == self)
            .map_or("?", |(n, _)| n)
    }

    /// How many arguments it takes as written (a `band` at least the value and one cut
    /// point).
    pub(crate) fn arity(self) -> Arity {
        match self {
            Builtin::AgeAt
            | Builtin::Min
            | Builtin::Max
            | Builtin::Distinct
            | Builtin::StagePrefix
            | Builtin::StartOfYear => Arity::Exactly(1),
            Builtin::DaysBetween | Builtin::Period | Builtin::Range => Arity::Exactly(2),
            Builtin::Coalesce => Arity::AtLeast(1),
            Builtin::Band => Arity::AtLeast(2),
        }
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
///
/// Its fields are private to this module: there is intentionally no way to build a `Node`
/// from an [`Op`] outside it. Every node comes from one of the constructors below, each of
/// which documents the invariant it keeps (or refuses with an [`IrError`]); the evaluator
/// and the optimiser rely on them and never re-check. A node is read with [`Node::op`] and
/// [`Node::span`], taken apart with [`Node::into_op`], and rewritten only through
/// [`Node::rewrite`], [`Node::map_children`] and [`Node::binder_mut`], which replace whole
/// children slot for slot (so no rewrite changes an operation's arity).
///
/// Trees of any depth are safe to build, walk ([`Node::walk`], [`Node::children`]),
/// rewrite ([`Node::rewrite`]: a constant number of recursive levels, then an explicit
/// stack) and drop (the `Drop` below, an explicit stack). The compiler refuses a tree deeper
/// than `lower::MAX_EVAL_DEPTH` before anything recurses on it without a bound of its own
/// (the optimiser's hoisting pass, `Clone`, `Debug`; the evaluator stops at its own
/// `MAX_RUNTIME_DEPTH`).
#[derive(Debug, Clone)]
pub(crate) struct Node {
    op: Op,
    span: Span,
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
    /// `value during period`; its edges are in it unless `Edges` says otherwise.
    During(Box<Node>, Box<Node>, Edges),
    Within {
        value: Box<Node>,
        length: Box<Node>,
        direction: Direction,
        anchor: Box<Node>,
        edges: Edges,
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

/// Which edges of a window (`during`, `within`) belong to it. The language writes every
/// window with both edges in; a window with an edge left out is only ever built by mutation
/// testing (`mutate`), as the misreading "exclusive" of an inclusive edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Edges {
    /// `lo <= d <= hi`.
    #[default]
    Both,
    /// `lo < d <= hi`.
    NoStart,
    /// `lo <= d < hi`.
    NoEnd,
}

impl Edges {
    /// Whether `d` is in the window `[lo, hi]` with these edges.
    #[inline]
    pub(crate) fn holds<T: PartialOrd>(self, lo: &T, d: &T, hi: &T) -> bool {
        match self {
            Edges::Both => lo <= d && d <= hi,
            Edges::NoStart => lo < d && d <= hi,
            Edges::NoEnd => lo <= d && d < hi,
        }
    }
}

/// The order comparison of a range scan (`Range::Cmp`): `=` and `≠` are no range, so they
/// cannot be written here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Order {
    /// The order comparison `cmp` is, or `None` for `=` / `≠`.
    pub(crate) fn of(cmp: Cmp) -> Option<Order> {
        match cmp {
            Cmp::Lt => Some(Order::Lt),
            Cmp::Le => Some(Order::Le),
            Cmp::Gt => Some(Order::Gt),
            Cmp::Ge => Some(Order::Ge),
            Cmp::Eq | Cmp::Ne => None,
        }
    }
}

/// The range test of an [`Op::RangeWhere`], the element's field on the left.
#[derive(Debug, Clone)]
pub(crate) enum Range {
    /// `field <order> key`.
    Cmp(Order, Node),
    /// `field within length direction anchor`.
    Within {
        length: Node,
        direction: Direction,
        anchor: Node,
    },
    /// `field during period`.
    During(Node),
}

/// Why an IR constructor refused to build a node. The checker tests each of these before it
/// builds (and reports a failure under its own diagnostic code), so a refusal is a compiler
/// bug stopped before evaluation, never a panic. It names schema items, never chart values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IrError {
    /// A builtin given the wrong number of arguments.
    Arity { builtin: Builtin, given: usize },
    /// `band` built as a plain call, not through [`Node::band`].
    BandAsCall,
    /// `band` cut points that are none, too many, too large or not ascending.
    BandCuts,
    /// A chart root field index past the chart's fields.
    NoSuchRoot(usize),
    /// A field index past its record's fields.
    NoSuchField { record: &'static str, index: usize },
    /// An enumeration value index past its enumeration's values.
    NoSuchValue {
        enumeration: &'static str,
        index: usize,
    },
}

impl IrError {
    /// The diagnostic code of the compiler's own check that this refusal repeats.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            IrError::Arity { .. } | IrError::BandAsCall => "E0205",
            IrError::BandCuts => "E0207",
            IrError::NoSuchRoot(_) | IrError::NoSuchField { .. } => "E0203",
            IrError::NoSuchValue { .. } => "E0204",
        }
    }
}

impl fmt::Display for IrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IrError::Arity { builtin, given } => match builtin.arity() {
                Arity::Exactly(n) => write!(
                    f,
                    "`{}` takes {n} argument(s), {given} given",
                    builtin.name()
                ),
                Arity::AtLeast(n) => write!(
                    f,
                    "`{}` takes at least {n} argument(s), {given} given",
                    builtin.name()
                ),
            },
            IrError::BandAsCall => f.write_str("a `band` needs its cut points and labels"),
            IrError::BandCuts => write!(
                f,
                "`band` takes 1 to {MAX_BAND_CUTS} ascending whole cut points, 0 to {MAX_BAND_CUT}"
            ),
            IrError::NoSuchRoot(i) => write!(f, "the chart has no field number {i}"),
            IrError::NoSuchField { record, index } => {
                write!(f, "{record} has no field number {index}")
            }
            IrError::NoSuchValue { enumeration, index } => {
                write!(f, "{enumeration} has no value number {index}")
            }
        }
    }
}

/// How many arguments a builtin takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arity {
    Exactly(usize),
    AtLeast(usize),
}

impl Arity {
    /// Whether `given` arguments are accepted.
    pub(crate) fn accepts(self, given: usize) -> bool {
        match self {
            Arity::Exactly(n) => given == n,
            Arity::AtLeast(n) => given >= n,
        }
    }

    /// The count to name when `given` is refused.
    pub(crate) fn wanted(self) -> usize {
        match self {
            Arity::Exactly(n) | Arity::AtLeast(n) => n,
        }
    }
}

/// A node that binds a local, its parts mutably: what it evaluates outside the binding (a
/// query's list or keys or range bounds, a `let`'s value), the local, and what it evaluates
/// with the local bound (a query's predicate or sort key, a `let`'s body).
pub(crate) struct Binder<'n> {
    pub(crate) outside: Vec<&'n mut Node>,
    pub(crate) local: u32,
    pub(crate) inside: &'n mut Node,
    /// A query (the inside runs once per element), not a `let`.
    pub(crate) is_loop: bool,
}

/// Leaves: no sub-expression, no invariant beyond the one named.
impl Node {
    /// The missing value (also what a refused expression compiles to).
    pub(crate) fn missing(span: Span) -> Node {
        Node {
            op: Op::Const(Const::Missing),
            span,
        }
    }

    /// A boolean constant.
    pub(crate) fn boolean(value: bool, span: Span) -> Node {
        Node {
            op: Op::Const(Const::Bool(value)),
            span,
        }
    }

    /// A constant. Refused: an enumeration value past its enumeration's values (the
    /// evaluator reads the value's name by that index).
    pub(crate) fn constant(value: Const, span: Span) -> Result<Node, IrError> {
        if let Const::Enum(schema, i) = &value
            && usize::from(*i) >= schema.values.len()
        {
            return Err(IrError::NoSuchValue {
                enumeration: schema.name,
                index: usize::from(*i),
            });
        }
        Ok(Node {
            op: Op::Const(value),
            span,
        })
    }

    /// A parameter of the evaluation.
    pub(crate) fn param(p: Param, span: Span) -> Node {
        Node {
            op: Op::Param(p),
            span,
        }
    }

    /// Chart root field number `index`. Refused: an index past the chart's fields or past
    /// `u16` (the evaluator reads the field by this index). Its name comes from the schema.
    pub(crate) fn root(index: usize, span: Span) -> Result<Node, IrError> {
        let chart = crate::chart::schema().chart;
        match (chart.fields.get(index), u16::try_from(index)) {
            (Some(f), Ok(i)) => Ok(Node {
                op: Op::Root(i, f.name),
                span,
            }),
            _ => Err(IrError::NoSuchRoot(index)),
        }
    }

    /// The value of a parameterless define, by slot (the compiler gives a slot only to a
    /// define it compiled, before any use of it).
    pub(crate) fn slot(slot: u32, span: Span) -> Node {
        Node {
            op: Op::Slot(slot),
            span,
        }
    }

    /// A local of the frame (the compiler allocates locals; the frame size it reports
    /// covers every one it hands out).
    pub(crate) fn local(local: u32, span: Span) -> Node {
        Node {
            op: Op::Local(local),
            span,
        }
    }

    /// This leaf again, written at `span` (a substituted local keeps its own place in the
    /// text for traces). A node with children is copied whole.
    pub(crate) fn clone_at(&self, span: Span) -> Node {
        let mut n = self.clone();
        n.span = span;
        n
    }
}

/// Operations over sub-expressions. Each takes its operands as built nodes, so its
/// structure (the operand count and kinds of [`Op`]) holds by type; the types of the
/// operands were checked by the compiler before it built them.
impl Node {
    fn with(op: Op, span: Span) -> Node {
        Node { op, span }
    }

    /// Field number `index` of the record `record` that `base` yields. Refused: an index
    /// past the record's fields or past `u16`. `path` is the dictionary path, for traces.
    pub(crate) fn field(
        base: Node,
        record: &'static RecordSchema,
        index: usize,
        path: Box<str>,
        span: Span,
    ) -> Result<Node, IrError> {
        let i = field_index(record, index)?;
        Ok(Node::with(Op::Field(base.boxed(), i, path), span))
    }

    /// Field number `index` of every element of the list of `record`s that `base` yields;
    /// refused as [`Node::field`].
    pub(crate) fn map_field(
        base: Node,
        record: &'static RecordSchema,
        index: usize,
        path: Box<str>,
        span: Span,
    ) -> Result<Node, IrError> {
        let i = field_index(record, index)?;
        Ok(Node::with(Op::MapField(base.boxed(), i, path), span))
    }

    /// `start` (`true`) or `end` of the period `base` yields. The reporting period's own
    /// parts are parameters: `reporting_period.start` is never a `PeriodPart`.
    pub(crate) fn period_part(base: Node, start: bool, span: Span) -> Node {
        if let Op::Param(Param::Period) = base.op {
            let p = if start { Param::Start } else { Param::End };
            return Node::param(p, span);
        }
        Node::with(Op::PeriodPart(base.boxed(), start), span)
    }

    pub(crate) fn not(x: Node, span: Span) -> Node {
        Node::with(Op::Not(x.boxed()), span)
    }

    pub(crate) fn neg(x: Node, span: Span) -> Node {
        Node::with(Op::Neg(x.boxed()), span)
    }

    pub(crate) fn and(a: Node, b: Node, span: Span) -> Node {
        Node::with(Op::And(a.boxed(), b.boxed()), span)
    }

    pub(crate) fn or(a: Node, b: Node, span: Span) -> Node {
        Node::with(Op::Or(a.boxed(), b.boxed()), span)
    }

    pub(crate) fn cmp(cmp: Cmp, a: Node, b: Node, span: Span) -> Node {
        Node::with(Op::Cmp(cmp, a.boxed(), b.boxed()), span)
    }

    /// `a <arith> b`; a date and a duration are added with the date on the left.
    pub(crate) fn arith(arith: Arith, a: Node, b: Node, span: Span) -> Node {
        Node::with(Op::Arith(arith, a.boxed(), b.boxed()), span)
    }

    pub(crate) fn is_in(value: Node, list: Node, negated: bool, span: Span) -> Node {
        Node::with(Op::In(value.boxed(), list.boxed(), negated), span)
    }

    /// `value in valueset` by value-set index (the compiler resolves the name to an index
    /// of the library's value sets).
    pub(crate) fn in_valueset(value: Node, valueset: u32, negated: bool, span: Span) -> Node {
        Node::with(Op::InValueSet(value.boxed(), valueset, negated), span)
    }

    pub(crate) fn presence(x: Node, present: bool, span: Span) -> Node {
        Node::with(Op::Presence(x.boxed(), present), span)
    }

    pub(crate) fn during(value: Node, period: Node, span: Span) -> Node {
        Node::with(Op::During(value.boxed(), period.boxed(), Edges::Both), span)
    }

    pub(crate) fn within(
        value: Node,
        length: Node,
        direction: Direction,
        anchor: Node,
        span: Span,
    ) -> Node {
        Node::with(
            Op::Within {
                value: value.boxed(),
                length: length.boxed(),
                direction,
                anchor: anchor.boxed(),
                edges: Edges::Both,
            },
            span,
        )
    }

    pub(crate) fn duration(amount: Node, unit: Unit, span: Span) -> Node {
        Node::with(Op::Duration(amount.boxed(), unit), span)
    }

    pub(crate) fn list(items: Vec<Node>, span: Span) -> Node {
        Node::with(Op::MakeList(items), span)
    }

    /// `list where pred`, `pred` reading the element as `local`.
    pub(crate) fn where_(list: Node, local: u32, pred: Node, span: Span) -> Node {
        Node::with(
            Op::Where {
                list: list.boxed(),
                local,
                pred: pred.boxed(),
            },
            span,
        )
    }

    /// `list sorted by key`, `key` reading the element as `local`.
    pub(crate) fn sorted(list: Node, local: u32, key: Node, descending: bool, span: Span) -> Node {
        Node::with(
            Op::Sorted {
                list: list.boxed(),
                local,
                key: key.boxed(),
                descending,
            },
            span,
        )
    }

    pub(crate) fn take(list: Node, count: Node, span: Span) -> Node {
        Node::with(Op::Take(list.boxed(), count.boxed()), span)
    }

    pub(crate) fn exists(list: Node, span: Span) -> Node {
        Node::with(Op::Exists(list.boxed()), span)
    }

    pub(crate) fn count(list: Node, span: Span) -> Node {
        Node::with(Op::Count(list.boxed()), span)
    }

    pub(crate) fn first(list: Node, span: Span) -> Node {
        Node::with(Op::First(list.boxed()), span)
    }

    pub(crate) fn last(list: Node, span: Span) -> Node {
        Node::with(Op::Last(list.boxed()), span)
    }

    /// `all`/`any list satisfy pred`, `pred` reading the element as `local`.
    pub(crate) fn quantified(all: bool, list: Node, local: u32, pred: Node, span: Span) -> Node {
        Node::with(
            Op::Quantified {
                all,
                list: list.boxed(),
                local,
                pred: pred.boxed(),
            },
            span,
        )
    }

    pub(crate) fn if_(cond: Node, then: Node, otherwise: Node, span: Span) -> Node {
        Node::with(Op::If(cond.boxed(), then.boxed(), otherwise.boxed()), span)
    }

    /// A call of a builtin. Refused: an argument count the builtin does not take
    /// ([`Builtin::arity`]), and `band`, whose constant cut points and labels
    /// [`Node::band`] builds.
    pub(crate) fn call(builtin: Builtin, args: Vec<Node>, span: Span) -> Result<Node, IrError> {
        if builtin == Builtin::Band {
            return Err(IrError::BandAsCall);
        }
        if !builtin.arity().accepts(args.len()) {
            return Err(IrError::Arity {
                builtin,
                given: args.len(),
            });
        }
        Ok(Node::with(Op::Call(builtin, args), span))
    }

    /// `band(value, c1, ..., ck)`: `Call(Band, [value, c1..ck, label0..labelk])`, the cut
    /// points as number constants (at the spans given) and the `k + 1` labels of
    /// [`band_labels`] as string constants. Refused: no cut point, more than
    /// [`MAX_BAND_CUTS`], one past [`MAX_BAND_CUT`], or cut points not strictly ascending
    /// (the evaluator counts the cut points `value` reaches, in order, to pick a label).
    pub(crate) fn band(value: Node, cuts: &[(u32, Span)], span: Span) -> Result<Node, IrError> {
        let ascending = cuts.windows(2).all(|w| match w {
            [(a, _), (b, _)] => a < b,
            _ => true,
        });
        if cuts.is_empty()
            || cuts.len() > MAX_BAND_CUTS
            || !ascending
            || cuts.iter().any(|(c, _)| *c > MAX_BAND_CUT)
        {
            return Err(IrError::BandCuts);
        }
        let numbers: Vec<u32> = cuts.iter().map(|(c, _)| *c).collect();
        let mut args = Vec::with_capacity(cuts.len().saturating_mul(2).saturating_add(2));
        args.push(value);
        for (cut, at) in cuts {
            args.push(Node::with(Op::Const(Const::Num(Decimal::from(*cut))), *at));
        }
        for label in band_labels(&numbers) {
            args.push(Node::with(Op::Const(Const::Str(label.into())), span));
        }
        Ok(Node::with(Op::Call(Builtin::Band, args), span))
    }

    /// Binds `value` to `local` for `body` (an inlined parameterised define written in
    /// `file`).
    pub(crate) fn bind(local: u32, value: Node, body: Node, file: usize, span: Span) -> Node {
        Node::with(
            Op::Let {
                local,
                value: value.boxed(),
                body: body.boxed(),
                file,
            },
            span,
        )
    }

    /// `value`, computed once per entry into the enclosing [`Node::fresh`] loop and kept in
    /// cache cell `cell` (a local above the frame the compiler sized).
    pub(crate) fn cached(cell: u32, value: Node, span: Span) -> Node {
        Node::with(
            Op::Cached {
                local: cell,
                value: value.boxed(),
            },
            span,
        )
    }

    /// `body`, its cache `cells` emptied each time it is entered; with no cells, `body`
    /// itself (a `Fresh` node always empties at least one cell).
    pub(crate) fn fresh(cells: Vec<u32>, body: Node, span: Span) -> Node {
        if cells.is_empty() {
            return body;
        }
        Node::with(
            Op::Fresh {
                cells: cells.into_boxed_slice(),
                body: body.boxed(),
            },
            span,
        )
    }

    /// `root where field in values and pred` through a per-chart index of chart root list
    /// `root` by its enumeration field `field`.
    pub(crate) fn indexed_where(
        root: u16,
        field: u16,
        values: Box<[u16]>,
        local: u32,
        pred: Node,
        span: Span,
    ) -> Node {
        Node::with(
            Op::IndexedWhere {
                root,
                field,
                values,
                local,
                pred: pred.boxed(),
            },
            span,
        )
    }

    /// `root where field1 = key1 (and field2 = key2) and pred` through a per-chart hash
    /// index of chart root list `root`: one or two keys, by type (the evaluator hashes a
    /// pair).
    pub(crate) fn keyed_where(
        root: u16,
        first: (u16, Node),
        second: Option<(u16, Node)>,
        local: u32,
        pred: Node,
        span: Span,
    ) -> Node {
        let (mut fields, mut keys) = (vec![first.0], vec![first.1]);
        if let Some((field, key)) = second {
            fields.push(field);
            keys.push(key);
        }
        Node::with(
            Op::KeyedWhere {
                root,
                fields: fields.into_boxed_slice(),
                keys: keys.into_boxed_slice(),
                local,
                pred: pred.boxed(),
            },
            span,
        )
    }

    /// `root where <range of field> and ...` through a per-chart sorted index of chart
    /// root list `root`; `pred` is the whole predicate. Its elements come in list order
    /// until [`Node::unorder_range_scan`] says otherwise. (The range's comparison is an
    /// order by type: [`Order`].)
    pub(crate) fn range_where(
        root: u16,
        field: u16,
        range: Range,
        local: u32,
        pred: Node,
        span: Span,
    ) -> Node {
        Node::with(
            Op::RangeWhere {
                root,
                field,
                range: Box::new(range),
                local,
                pred: pred.boxed(),
                ordered: true,
            },
            span,
        )
    }

    fn boxed(self) -> Box<Node> {
        Box::new(self)
    }
}

fn field_index(record: &'static RecordSchema, index: usize) -> Result<u16, IrError> {
    match (record.fields.get(index), u16::try_from(index)) {
        (Some(_), Ok(i)) => Ok(i),
        _ => Err(IrError::NoSuchField {
            record: record.name,
            index,
        }),
    }
}

/// Reading, taking apart, and the in-place edits the optimiser needs.
impl Node {
    /// What this node does.
    pub(crate) fn op(&self) -> &Op {
        &self.op
    }

    /// Where it was written.
    pub(crate) fn span(&self) -> Span {
        self.span
    }

    /// The operation, its sub-expressions moved out (the node is consumed).
    pub(crate) fn into_op(mut self) -> Op {
        std::mem::replace(&mut self.op, Op::Const(Const::Missing))
    }

    /// This node, leaving the missing value in its place.
    fn take_out(&mut self) -> Node {
        let span = self.span;
        std::mem::replace(self, Node::missing(span))
    }

    /// `local.field` where the base is a local: the local, the field and its path.
    fn local_field(&self) -> Option<(u32, u16, &str)> {
        match &self.op {
            Op::Field(base, field, path) => match base.op {
                Op::Local(local) => Some((local, *field, path)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Makes a read of local `from` (plain or fused into a field test) a read of `to`; any
    /// other node is left as it is.
    pub(crate) fn rename_local(&mut self, from: u32, to: u32) {
        match &mut self.op {
            Op::Local(l)
            | Op::FieldCmpConst { local: l, .. }
            | Op::FieldInConsts { local: l, .. }
                if *l == from =>
            {
                *l = to;
            }
            _ => {}
        }
    }

    /// Under `exists` or `count` (which do not depend on the order of a list), lets a range
    /// scan directly below visit its candidates in index order. Any other node is left as it
    /// is.
    pub(crate) fn unorder_range_scan(&mut self) {
        if let Op::Exists(inner) | Op::Count(inner) = &mut self.op
            && let Op::RangeWhere { ordered, .. } = &mut inner.op
        {
            *ordered = false;
        }
    }

    /// The parts of a node that binds a local, or `None`.
    pub(crate) fn binder_mut(&mut self) -> Option<Binder<'_>> {
        let (outside, local, inside, is_loop): (Vec<&mut Node>, u32, &mut Node, bool) =
            match &mut self.op {
                Op::Where { list, local, pred }
                | Op::Sorted {
                    list,
                    local,
                    key: pred,
                    ..
                }
                | Op::Quantified {
                    list, local, pred, ..
                } => (vec![list.as_mut()], *local, pred.as_mut(), true),
                Op::IndexedWhere { local, pred, .. } => (Vec::new(), *local, pred.as_mut(), true),
                Op::KeyedWhere {
                    keys, local, pred, ..
                } => (keys.iter_mut().collect(), *local, pred.as_mut(), true),
                Op::RangeWhere {
                    range, local, pred, ..
                } => {
                    let outside = match range.as_mut() {
                        Range::Cmp(_, k) | Range::During(k) => vec![k],
                        Range::Within { length, anchor, .. } => vec![length, anchor],
                    };
                    (outside, *local, pred.as_mut(), true)
                }
                Op::Let {
                    local, value, body, ..
                } => (vec![value.as_mut()], *local, body.as_mut(), false),
                _ => return None,
            };
        Some(Binder {
            outside,
            local,
            inside,
            is_loop,
        })
    }
}

/// The edits of mutation testing (`mutate`): each changes one operation of a node in place
/// to a sibling of the same arity and operand types (so every invariant of the tree holds),
/// and says whether the node was of the kind it edits.
impl Node {
    /// A comparison (plain or fused into a field test) made `cmp`.
    pub(crate) fn set_cmp(&mut self, to: Cmp) -> bool {
        match &mut self.op {
            Op::Cmp(cmp, ..) | Op::FieldCmpConst { cmp, .. } => {
                *cmp = to;
                true
            }
            _ => false,
        }
    }

    /// A window (`during`, `within`) given the edges `to`.
    pub(crate) fn set_edges(&mut self, to: Edges) -> bool {
        match &mut self.op {
            Op::During(_, _, edges) | Op::Within { edges, .. } => {
                *edges = to;
                true
            }
            _ => false,
        }
    }

    /// A `within` window turned to `to` (`before`, `after`, `around`).
    pub(crate) fn set_direction(&mut self, to: Direction) -> bool {
        match &mut self.op {
            Op::Within { direction, .. } => {
                *direction = to;
                true
            }
            _ => false,
        }
    }

    /// `and` made `or`, `or` made `and`.
    pub(crate) fn swap_and_or(&mut self) -> bool {
        let op = std::mem::replace(&mut self.op, Op::Const(Const::Missing));
        let (op, done) = match op {
            Op::And(a, b) => (Op::Or(a, b), true),
            Op::Or(a, b) => (Op::And(a, b), true),
            other => (other, false),
        };
        self.op = op;
        done
    }

    /// `first` made `last`, `last` made `first`.
    pub(crate) fn swap_first_last(&mut self) -> bool {
        let op = std::mem::replace(&mut self.op, Op::Const(Const::Missing));
        let (op, done) = match op {
            Op::First(a) => (Op::Last(a), true),
            Op::Last(a) => (Op::First(a), true),
            other => (other, false),
        };
        self.op = op;
        done
    }

    /// A sort's direction reversed.
    pub(crate) fn flip_sort(&mut self) -> bool {
        match &mut self.op {
            Op::Sorted { descending, .. } => {
                *descending = !*descending;
                true
            }
            _ => false,
        }
    }

    /// Of an `and` / `or`, the operand that stays when the other is dropped (the left one
    /// when `keep_left`); any other node as it is.
    pub(crate) fn keep_operand(self, keep_left: bool) -> Node {
        let span = self.span;
        match self.into_op() {
            Op::And(a, b) | Op::Or(a, b) => {
                if keep_left {
                    *a
                } else {
                    *b
                }
            }
            other => Node::with(other, span),
        }
    }
}

/// The walk over children: every traversal of a tree of unbounded depth is written on
/// [`Node::children`] with an explicit stack ([`Node::walk`], [`Node::rewrite`], `Drop`).
impl Node {
    /// Whether this node has no sub-expression.
    pub(crate) fn is_leaf(&self) -> bool {
        matches!(
            self.op,
            Op::Const(_)
                | Op::Param(_)
                | Op::Root(..)
                | Op::Slot(_)
                | Op::Local(_)
                | Op::FieldCmpConst { .. }
                | Op::FieldInConsts { .. }
        )
    }

    /// The direct sub-expressions, in evaluation order. A node that binds a local (a
    /// query, `let`) lists what it evaluates with the local bound (predicate, sort key,
    /// body) last.
    pub(crate) fn children(&self) -> Children<'_> {
        let mut c = Children {
            fixed: [None; 3],
            at: 0,
            rest: [].iter(),
            last: None,
        };
        match &self.op {
            Op::Const(_)
            | Op::Param(_)
            | Op::Root(..)
            | Op::Slot(_)
            | Op::Local(_)
            | Op::FieldCmpConst { .. }
            | Op::FieldInConsts { .. } => {}
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
            | Op::IndexedWhere { pred: a, .. } => c.fixed = [Some(a), None, None],
            Op::And(a, b)
            | Op::Or(a, b)
            | Op::Cmp(_, a, b)
            | Op::Arith(_, a, b)
            | Op::In(a, b, _)
            | Op::During(a, b, _)
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
            } => c.fixed = [Some(a), Some(b), None],
            Op::Within {
                value,
                length,
                anchor,
                ..
            } => c.fixed = [Some(value), Some(length), Some(anchor)],
            Op::If(a, b, cond) => c.fixed = [Some(a), Some(b), Some(cond)],
            Op::MakeList(items) | Op::Call(_, items) => c.rest = items.iter(),
            Op::KeyedWhere { keys, pred, .. } => {
                c.rest = keys.iter();
                c.last = Some(pred);
            }
            Op::RangeWhere { range, pred, .. } => {
                c.fixed = match range.as_ref() {
                    Range::Cmp(_, k) | Range::During(k) => [Some(k), Some(pred), None],
                    Range::Within { length, anchor, .. } => {
                        [Some(length), Some(anchor), Some(pred)]
                    }
                };
            }
        }
        c
    }

    /// Calls `f` on each direct sub-expression, mutably, in the order of
    /// [`Node::children`].
    fn each_child_mut(&mut self, f: &mut dyn FnMut(&mut Node)) {
        match &mut self.op {
            Op::Const(_)
            | Op::Param(_)
            | Op::Root(..)
            | Op::Slot(_)
            | Op::Local(_)
            | Op::FieldCmpConst { .. }
            | Op::FieldInConsts { .. } => {}
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
            | Op::IndexedWhere { pred: a, .. } => f(a),
            Op::And(a, b)
            | Op::Or(a, b)
            | Op::Cmp(_, a, b)
            | Op::Arith(_, a, b)
            | Op::In(a, b, _)
            | Op::During(a, b, _)
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
            } => {
                f(a);
                f(b);
            }
            Op::Within {
                value,
                length,
                anchor,
                ..
            } => {
                f(value);
                f(length);
                f(anchor);
            }
            Op::If(a, b, c) => {
                f(a);
                f(b);
                f(c);
            }
            Op::MakeList(items) | Op::Call(_, items) => items.iter_mut().for_each(f),
            Op::KeyedWhere { keys, pred, .. } => {
                keys.iter_mut().for_each(&mut *f);
                f(pred);
            }
            Op::RangeWhere { range, pred, .. } => {
                match range.as_mut() {
                    Range::Cmp(_, k) | Range::During(k) => f(k),
                    Range::Within { length, anchor, .. } => {
                        f(length);
                        f(anchor);
                    }
                }
                f(pred);
            }
        }
    }

    /// Replaces each direct sub-expression `c` by `f(c)`, slot for slot.
    pub(crate) fn map_children(&mut self, f: &mut dyn FnMut(Node) -> Node) {
        self.each_child_mut(&mut |child| {
            let c = child.take_out();
            *child = f(c);
        });
    }

    /// Every node of this tree, pre-order (a node, then its children's trees in the order
    /// of [`Node::children`]), each with its level (this node's is 1). An explicit stack:
    /// any depth.
    pub(crate) fn walk(&self) -> Walk<'_> {
        Walk {
            stack: vec![(1, self)],
            pushed: 0,
        }
    }

    /// Rewrites this tree bottom-up: each node, once its children are rewritten and put
    /// back, is replaced by `f(node)`. Children come before their parent and in the order of
    /// [`Node::children`]. The first [`REWRITE_RECURSION`] levels recurse (the common,
    /// shallow tree pays no heap traffic); below them an explicit stack holds the nodes
    /// waiting for their children, so any depth is safe.
    pub(crate) fn rewrite(self, f: &mut dyn FnMut(Node) -> Node) -> Node {
        self.rewrite_within(f, REWRITE_RECURSION)
    }

    /// [`Node::rewrite`], recursing at most `levels` deep before the explicit stack.
    fn rewrite_within(mut self, f: &mut dyn FnMut(Node) -> Node, levels: u32) -> Node {
        let Some(below) = levels.checked_sub(1) else {
            return self.rewrite_on_stack(f);
        };
        self.each_child_mut(&mut |c| {
            let n = c.take_out();
            *c = n.rewrite_within(f, below);
        });
        f(self)
    }

    /// [`Node::rewrite`] on an explicit stack alone.
    fn rewrite_on_stack(self, f: &mut dyn FnMut(Node) -> Node) -> Node {
        enum Step {
            Enter(Node),
            Exit(Node, usize),
        }
        let span = self.span;
        let mut work = vec![Step::Enter(self)];
        let mut done: Vec<Node> = Vec::new();
        while let Some(step) = work.pop() {
            match step {
                Step::Enter(n) if n.is_leaf() => done.push(f(n)),
                Step::Enter(mut n) => {
                    let at = work.len();
                    n.each_child_mut(&mut |c| work.push(Step::Enter(c.take_out())));
                    let count = work.len().saturating_sub(at);
                    // Pushed first to last: reversed, the first child is visited first.
                    if let Some(kids) = work.get_mut(at..) {
                        kids.reverse();
                    }
                    work.insert(at, Step::Exit(n, count));
                }
                Step::Exit(mut n, count) => {
                    let at = done.len().saturating_sub(count);
                    let mut kids = done.drain(at..);
                    n.each_child_mut(&mut |c| {
                        if let Some(k) = kids.next() {
                            *c = k;
                        }
                    });
                    drop(kids);
                    done.push(f(n));
                }
            }
        }
        done.pop().unwrap_or_else(|| Node::missing(span))
    }

    /// Rewrites this tree bottom-up, fusing the commonest predicate shapes into single
    /// operations (fewer dispatches per query element); the meaning is unchanged.
    pub(crate) fn fuse(self) -> Node {
        self.rewrite(&mut Node::fuse_one)
    }

    /// `local.field <cmp> constant` as one [`Op::FieldCmpConst`], `local.field in
    /// [constants]` as one [`Op::FieldInConsts`]; any other node as it is.
    fn fuse_one(self) -> Node {
        let fused = match &self.op {
            Op::Cmp(cmp, a, b) => match (a.local_field(), &b.op) {
                (Some((local, field, path)), Op::Const(value)) => Some(Op::FieldCmpConst {
                    local,
                    field,
                    cmp: *cmp,
                    value: value.clone(),
                    path: path.into(),
                }),
                _ => None,
            },
            Op::In(a, b, negated) => match (a.local_field(), &b.op) {
                (Some((local, field, path)), Op::MakeList(items)) => items
                    .iter()
                    .map(|i| match &i.op {
                        Op::Const(c) => Some(c.clone()),
                        _ => None,
                    })
                    .collect::<Option<Box<[Const]>>>()
                    .map(|values| Op::FieldInConsts {
                        local,
                        field,
                        values,
                        negated: *negated,
                        path: path.into(),
                    }),
                _ => None,
            },
            _ => None,
        };
        match fused {
            Some(op) => Node::with(op, self.span),
            None => self,
        }
    }

    /// How deep evaluation can recurse from here, counting through defines' bodies
    /// (`slot_depth[i]` for slot `i`): the deepest level of the tree, a define's level
    /// counting its body's depth below it. Walked with an explicit stack.
    pub(crate) fn depth(&self, slot_depth: &[u32]) -> u32 {
        self.walk()
            .map(|(level, n)| match n.op {
                Op::Slot(i) => {
                    level.saturating_add(slot_depth.get(i as usize).copied().unwrap_or(0))
                }
                _ => level,
            })
            .max()
            .unwrap_or(0)
    }
}

/// Levels of a tree that [`Node::rewrite`] handles by recursion before it continues on an
/// explicit stack: a constant, so the recursion's stack use is bounded whatever the tree.
const REWRITE_RECURSION: u32 = 32;

/// Dropping a tree takes its subtrees out onto an explicit stack, so each node is dropped
/// with leaves below it only: no recursion, whatever the depth.
impl Drop for Node {
    fn drop(&mut self) {
        if self.is_leaf() {
            return;
        }
        let mut stack: Vec<Node> = Vec::new();
        let mut detach = |c: &mut Node| {
            if !c.is_leaf() {
                stack.push(c.take_out());
            }
        };
        self.each_child_mut(&mut detach);
        while let Some(mut n) = stack.pop() {
            n.each_child_mut(&mut |c| {
                if !c.is_leaf() {
                    stack.push(c.take_out());
                }
            });
        }
    }
}

/// The direct sub-expressions of a node ([`Node::children`]): up to three fixed ones, then
/// a slice (list items, call arguments, keys), then one last (a keyed scan's predicate).
pub(crate) struct Children<'a> {
    fixed: [Option<&'a Node>; 3],
    at: usize,
    rest: std::slice::Iter<'a, Node>,
    last: Option<&'a Node>,
}

impl<'a> Iterator for Children<'a> {
    type Item = &'a Node;

    fn next(&mut self) -> Option<&'a Node> {
        while let Some(slot) = self.fixed.get_mut(self.at) {
            // At most 3: `get_mut` returned a slot.
            self.at = self.at.saturating_add(1);
            if let Some(n) = slot.take() {
                return Some(n);
            }
        }
        self.rest.next().or_else(|| self.last.take())
    }
}

/// A pre-order walk over a tree ([`Node::walk`]), an explicit stack of the nodes still to
/// visit with their levels.
pub(crate) struct Walk<'a> {
    stack: Vec<(u32, &'a Node)>,
    /// The stack's length before the last node's children were pushed.
    pushed: usize,
}

impl Walk<'_> {
    /// Does not visit the children of the node just returned.
    pub(crate) fn skip_children(&mut self) {
        self.stack.truncate(self.pushed);
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = (u32, &'a Node);

    fn next(&mut self) -> Option<(u32, &'a Node)> {
        let (level, n) = self.stack.pop()?;
        let at = self.stack.len();
        let below = level.saturating_add(1);
        self.stack.extend(n.children().map(|c| (below, c)));
        // Pushed in order, visited first to last.
        if let Some(pushed) = self.stack.get_mut(at..) {
            pushed.reverse();
        }
        self.pushed = at;
        Some((level, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::schema::BaseType;

    fn at(i: u32) -> Span {
        Span::new(i as usize, i as usize + 1)
    }

    /// An enumeration of the chart model (the first one a chart root record reads).
    fn some_enum() -> &'static EnumSchema {
        let chart = crate::chart::schema().chart;
        let mut records = vec![chart];
        while let Some(r) = records.pop() {
            for f in r.fields {
                match f.ty.base {
                    BaseType::Enum { schema } => return schema,
                    BaseType::Record { schema } => records.push(schema),
                    BaseType::Scalar { .. } => {}
                }
            }
        }
        panic!("the chart model has an enumeration")
    }

    #[test]
    fn a_builtin_call_with_an_argument_count_it_does_not_take_is_refused() {
        let m = || Node::missing(at(0));
        assert_eq!(
            Node::call(Builtin::AgeAt, vec![], at(0)).err(),
            Some(IrError::Arity {
                builtin: Builtin::AgeAt,
                given: 0
            })
        );
        assert!(Node::call(Builtin::DaysBetween, vec![m()], at(0)).is_err());
        assert!(Node::call(Builtin::Range, vec![m(), m(), m()], at(0)).is_err());
        assert!(Node::call(Builtin::Coalesce, vec![], at(0)).is_err());
        assert!(Node::call(Builtin::Coalesce, vec![m(), m(), m()], at(0)).is_ok());
        assert!(Node::call(Builtin::AgeAt, vec![m()], at(0)).is_ok());
        let e = Node::call(Builtin::StartOfYear, vec![m(), m()], at(0)).err();
        assert_eq!(
            e.map(|e| (e.code(), e.to_string())),
            Some((
                "E0205",
                "`start_of_year` takes 1 argument(s), 2 given".to_owned()
            ))
        );
    }

    #[test]
    fn a_band_is_built_only_from_ascending_cut_points_within_range() {
        let x = || Node::missing(at(0));
        let cuts = |cs: &[u32]| cs.iter().map(|c| (*c, at(*c))).collect::<Vec<_>>();
        // Not as a plain call: its cut points and labels are the constructor's.
        let args = vec![x(), x(), x(), x()];
        assert_eq!(
            Node::call(Builtin::Band, args, at(0)).err(),
            Some(IrError::BandAsCall)
        );
        for bad in [
            cuts(&[]),
            cuts(&[65, 18]),
            cuts(&[18, 18]),
            cuts(&[MAX_BAND_CUT.saturating_add(1)]),
            cuts(&(0..=16).collect::<Vec<_>>()),
        ] {
            assert_eq!(
                Node::band(x(), &bad, at(0)).err(),
                Some(IrError::BandCuts),
                "{bad:?}"
            );
        }
        let n = Node::band(x(), &cuts(&[18, 65, 75]), at(0)).unwrap();
        let Op::Call(Builtin::Band, args) = n.op() else {
            panic!("a band call")
        };
        assert_eq!(args.len(), 2 * 3 + 2);
        let cut_values: Vec<String> = args[1..4]
            .iter()
            .map(|a| match a.op() {
                Op::Const(Const::Num(d)) => d.to_string(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(cut_values, ["18", "65", "75"]);
        assert_eq!(
            args[2].span(),
            at(65),
            "each cut point where it was written"
        );
        let labels: Vec<&str> = args[4..]
            .iter()
            .map(|a| match a.op() {
                Op::Const(Const::Str(s)) => s.as_ref(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(labels, ["<18", "18-64", "65-74", ">=75"]);
        // The largest number of cut points, and the largest cut point, are accepted.
        let most: Vec<u32> = (0..16).map(|i| MAX_BAND_CUT - 15 + i).collect();
        assert!(Node::band(x(), &cuts(&most), at(0)).is_ok());
    }

    #[test]
    fn roots_fields_and_enumeration_values_past_their_schema_are_refused() {
        let chart = crate::chart::schema().chart;
        let past = chart.fields.len();
        assert_eq!(
            Node::root(past, at(0)).err(),
            Some(IrError::NoSuchRoot(past))
        );
        let first = Node::root(0, at(0)).unwrap();
        assert!(matches!(first.op(), Op::Root(0, name) if *name == chart.fields[0].name));
        let base = || Node::local(0, at(0));
        assert_eq!(
            Node::field(base(), chart, past, "x".into(), at(0)).err(),
            Some(IrError::NoSuchField {
                record: chart.name,
                index: past
            })
        );
        assert!(Node::map_field(base(), chart, past, "x".into(), at(0)).is_err());
        assert!(Node::field(base(), chart, past - 1, "x".into(), at(0)).is_ok());
        let e = some_enum();
        let n = u16::try_from(e.values.len()).unwrap();
        assert_eq!(
            Node::constant(Const::Enum(e, n), at(0)).err(),
            Some(IrError::NoSuchValue {
                enumeration: e.name,
                index: e.values.len()
            })
        );
        assert!(Node::constant(Const::Enum(e, n - 1), at(0)).is_ok());
    }

    #[test]
    fn a_range_scan_compares_by_an_order_only() {
        assert_eq!(Order::of(Cmp::Eq), None);
        assert_eq!(Order::of(Cmp::Ne), None);
        assert_eq!(Order::of(Cmp::Lt), Some(Order::Lt));
        assert_eq!(Order::of(Cmp::Ge), Some(Order::Ge));
    }

    #[test]
    fn a_fresh_node_empties_at_least_one_cell() {
        let body = Node::exists(Node::local(0, at(0)), at(1));
        let n = Node::fresh(Vec::new(), body, at(2));
        assert!(matches!(n.op(), Op::Exists(_)), "the body itself");
        let n = Node::fresh(vec![3], n, at(2));
        assert!(matches!(n.op(), Op::Fresh { cells, .. } if cells.as_ref() == [3]));
    }

    #[test]
    fn the_reporting_periods_parts_are_parameters() {
        let n = Node::period_part(Node::param(Param::Period, at(0)), true, at(1));
        assert!(matches!(n.op(), Op::Param(Param::Start)));
        let n = Node::period_part(Node::param(Param::Period, at(0)), false, at(1));
        assert!(matches!(n.op(), Op::Param(Param::End)));
        let n = Node::period_part(Node::local(0, at(0)), false, at(1));
        assert!(matches!(n.op(), Op::PeriodPart(_, false)));
    }

    #[test]
    fn children_walk_and_rewrite_follow_evaluation_order() {
        // if c then (k1, k2 keyed scan with predicate p) else l: spans number the order.
        let keyed = Node::keyed_where(
            0,
            (1, Node::local(0, at(2))),
            Some((2, Node::local(0, at(3)))),
            1,
            Node::local(1, at(4)),
            at(1),
        );
        let n = Node::if_(
            Node::boolean(true, at(0)),
            keyed,
            Node::local(0, at(5)),
            at(9),
        );
        let kids: Vec<u32> = n.children().map(|c| c.span().start).collect();
        assert_eq!(kids, [0, 1, 5]);
        let pre: Vec<(u32, u32)> = n.walk().map(|(l, c)| (l, c.span().start)).collect();
        assert_eq!(
            pre,
            [(1, 9), (2, 0), (2, 1), (3, 2), (3, 3), (3, 4), (2, 5)]
        );
        let mut post = Vec::new();
        let n = n.rewrite(&mut |c| {
            post.push(c.span().start);
            c
        });
        assert_eq!(post, [0, 2, 3, 4, 1, 5, 9]);
        // The explicit stack below the recursion's levels visits in the same order.
        let mut on_stack = Vec::new();
        let n = n.rewrite_on_stack(&mut |c| {
            on_stack.push(c.span().start);
            c
        });
        assert_eq!(on_stack, post);
        // Put back slot for slot.
        let again: Vec<u32> = n.walk().map(|(_, c)| c.span().start).collect();
        assert_eq!(again, [9, 0, 1, 2, 3, 4, 5]);
        // A skipped subtree is not visited.
        let mut walk = n.walk();
        let mut seen = Vec::new();
        while let Some((_, c)) = walk.next() {
            seen.push(c.span().start);
            if matches!(c.op(), Op::KeyedWhere { .. }) {
                walk.skip_children();
            }
        }
        assert_eq!(seen, [9, 0, 1, 5]);
    }

    #[test]
    fn depth_counts_through_the_bodies_of_defines() {
        let n = Node::not(Node::not(Node::slot(1, at(0)), at(0)), at(0));
        assert_eq!(n.depth(&[]), 3);
        assert_eq!(n.depth(&[0, 10]), 13);
        assert_eq!(Node::missing(at(0)).depth(&[]), 1);
    }

    #[test]
    fn fusing_turns_a_field_test_against_constants_into_one_operation() {
        let e = some_enum();
        let chart = crate::chart::schema().chart;
        let field = || Node::field(Node::local(0, at(0)), chart, 0, "f".into(), at(0)).unwrap();
        let value = Node::constant(Const::Enum(e, 0), at(1)).unwrap();
        let n = Node::cmp(Cmp::Eq, field(), value, at(2)).fuse();
        assert!(matches!(
            n.op(),
            Op::FieldCmpConst {
                local: 0,
                field: 0,
                cmp: Cmp::Eq,
                ..
            }
        ));
        let list = Node::list(vec![Node::boolean(true, at(3))], at(3));
        let n = Node::not(Node::is_in(field(), list, true, at(4)), at(5)).fuse();
        let Op::Not(inner) = n.op() else {
            panic!("not")
        };
        assert!(
            matches!(inner.op(), Op::FieldInConsts { negated: true, values, .. } if values.len() == 1)
        );
        // A list that is not all constants is no fused test.
        let list = Node::list(vec![Node::local(1, at(3))], at(3));
        let n = Node::is_in(field(), list, false, at(4)).fuse();
        assert!(matches!(n.op(), Op::In(..)));
    }

    /// Runs `f` on a thread with 256 KiB of stack: a recursion over 100,000 levels would
    /// overflow it many times over.
    fn on_a_small_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn a_chain_of_100_000_nodes_is_built_walked_rewritten_and_dropped_on_a_small_stack() {
        on_a_small_stack(|| {
            const N: u32 = 100_000;
            let mut n = Node::boolean(true, at(0));
            for i in 0..N {
                n = if i % 2 == 0 {
                    Node::not(n, at(i))
                } else {
                    Node::bind(i, Node::local(0, at(i)), n, 0, at(i))
                };
            }
            assert_eq!(n.walk().count(), 2 * (N as usize / 2) + N as usize / 2 + 1);
            assert_eq!(n.depth(&[]), N + 1);
            let n = n.fuse();
            let mut visited = 0_usize;
            let n = n.rewrite(&mut |c| {
                visited += 1;
                c
            });
            assert_eq!(visited, n.walk().count());
            drop(n);
            // A deep list of lists, and a deep right-leaning `and`, dropped unwalked.
            let mut n = Node::missing(at(0));
            for i in 0..N {
                n = Node::list(vec![Node::missing(at(i)), n], at(i));
            }
            drop(n);
            let mut n = Node::boolean(true, at(0));
            for i in 0..N {
                n = Node::and(Node::boolean(false, at(i)), n, at(i));
            }
            drop(n);
        });
    }
}
