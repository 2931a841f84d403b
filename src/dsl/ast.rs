//! The syntax tree of a measure file, as written (names unresolved, types unknown).

use super::span::Span;

/// A name and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The text.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// A dotted name (`lib.oncology`, `core.pain-intensity-quantified`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// The segments.
    pub segments: Vec<Name>,
    /// The whole path.
    pub span: Span,
}

impl Path {
    /// The path as written, segments joined by `.`.
    pub fn dotted(&self) -> String {
        let parts: Vec<&str> = self.segments.iter().map(|s| s.text.as_str()).collect();
        parts.join(".")
    }
}

/// One parsed file: a measure or a library of shared defines.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    /// What the file declares (`None` when the header could not be parsed).
    pub header: Option<Header>,
    /// `use` declarations.
    pub uses: Vec<Path>,
    /// `define`s, in order.
    pub defines: Vec<Define>,
    /// Population criteria, in order.
    pub populations: Vec<Population>,
    /// Stratifiers, in order.
    pub stratifiers: Vec<Stratifier>,
}

/// The header: `measure ID { metadata }` or `library ID`.
#[derive(Debug, Clone, PartialEq)]
pub enum Header {
    /// A measure with its metadata entries.
    Measure {
        /// The measure id.
        id: Path,
        /// `key value` entries, in order.
        metadata: Vec<MetaEntry>,
    },
    /// A library of shared defines.
    Library {
        /// The library id (`lib.oncology`).
        id: Path,
    },
}

/// One metadata entry: `title "..."`, `tracks [core, qcp]`, ...
#[derive(Debug, Clone, PartialEq)]
pub struct MetaEntry {
    /// The key.
    pub key: Name,
    /// The value.
    pub value: MetaValue,
}

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// A string.
    Str(String, Span),
    /// A bare word or dotted path.
    Word(Path),
    /// A list of bare words or dotted paths.
    List(Vec<Path>, Span),
}

impl MetaValue {
    /// Where the value is written.
    pub fn span(&self) -> Span {
        match self {
            MetaValue::Str(_, s) | MetaValue::List(_, s) => *s,
            MetaValue::Word(p) => p.span,
        }
    }
}

/// `define name = expr` or `define name(param, ...) = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct Define {
    /// The define's name.
    pub name: Name,
    /// Parameters, for a parameterised define.
    pub params: Vec<Name>,
    /// Its expression.
    pub body: Expr,
}

/// Which population a criterion defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PopulationKind {
    /// `initial_population`
    InitialPopulation,
    /// `denominator`
    Denominator,
    /// `denominator_exclusion`
    DenominatorExclusion,
    /// `denominator_exception`
    DenominatorException,
    /// `numerator`
    Numerator,
    /// `numerator_exclusion`
    NumeratorExclusion,
}

impl PopulationKind {
    /// Every population, in evaluation order.
    pub const ALL: [PopulationKind; 6] = [
        PopulationKind::InitialPopulation,
        PopulationKind::Denominator,
        PopulationKind::DenominatorExclusion,
        PopulationKind::DenominatorException,
        PopulationKind::Numerator,
        PopulationKind::NumeratorExclusion,
    ];

    /// The keyword that introduces it.
    pub const fn keyword(self) -> &'static str {
        match self {
            PopulationKind::InitialPopulation => "initial_population",
            PopulationKind::Denominator => "denominator",
            PopulationKind::DenominatorExclusion => "denominator_exclusion",
            PopulationKind::DenominatorException => "denominator_exception",
            PopulationKind::Numerator => "numerator",
            PopulationKind::NumeratorExclusion => "numerator_exclusion",
        }
    }

    /// The population introduced by `keyword`.
    pub fn from_keyword(keyword: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.keyword() == keyword)
    }
}

/// `population_keyword = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// Which population.
    pub kind: PopulationKind,
    /// Where the keyword is.
    pub span: Span,
    /// The criterion.
    pub criterion: Expr,
}

/// `stratifier name = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stratifier {
    /// The stratifier's name.
    pub name: Name,
    /// The stratum expression (its value names the stratum).
    pub expr: Expr,
}

/// An expression and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// Calendar units of durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Days.
    Days,
    /// Weeks (7 days).
    Weeks,
    /// Calendar months (clamped to the month's last day).
    Months,
    /// Calendar years.
    Years,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `or` (Kleene)
    Or,
    /// `and` (Kleene)
    And,
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`, also `before` on dates
    Lt,
    /// `<=`, also `on or before`
    Le,
    /// `>`, also `after`
    Gt,
    /// `>=`, also `on or after`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

/// Direction of a `within` window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `[anchor − n, anchor]`
    Before,
    /// `[anchor, anchor + n]`
    After,
    /// `[anchor − n, anchor + n]`
    Around,
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A bare name: a field of the current element, a binding, a define, a parameter, or an
    /// enumeration value (resolved by the checker).
    Name(String),
    /// `true` / `false`
    Bool(bool),
    /// A decimal literal, as written.
    Number(String),
    /// A string literal.
    Str(String),
    /// A date literal `@YYYY-MM-DD` (as written after `@`).
    Date(String),
    /// `n unit` (`14 days`, `6 months`).
    Duration(Box<Expr>, Unit),
    /// `[a, b, ...]`
    List(Vec<Expr>),
    /// `expr.field`
    Field(Box<Expr>, Name),
    /// `name(args)`
    Call(Name, Vec<Expr>),
    /// `not expr`
    Not(Box<Expr>),
    /// `-expr`
    Neg(Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x in list`, `x not in list`
    In {
        /// The value.
        value: Box<Expr>,
        /// The list.
        list: Box<Expr>,
        /// `not in`
        negated: bool,
    },
    /// `x in valueset "name"`
    InValueSet {
        /// The value (a code).
        value: Box<Expr>,
        /// The value set's name.
        name: Name,
        /// `not in valueset`
        negated: bool,
    },
    /// `x is missing` (`negated`: `x is present`)
    IsMissing(Box<Expr>, bool),
    /// `d during period`
    During(Box<Expr>, Box<Expr>),
    /// `d within n unit before|after|around anchor`
    Within {
        /// The date tested.
        value: Box<Expr>,
        /// The window's length.
        length: Box<Expr>,
        /// Which side of the anchor.
        direction: Direction,
        /// The anchor date.
        anchor: Box<Expr>,
    },
    /// `xs where [alias:] predicate`
    Where {
        /// The list.
        list: Box<Expr>,
        /// Name for the element, when given.
        alias: Option<Name>,
        /// The predicate, evaluated with the element in scope.
        predicate: Box<Expr>,
    },
    /// `xs sorted by key [desc]`
    SortedBy {
        /// The list.
        list: Box<Expr>,
        /// The key, evaluated with the element in scope.
        key: Box<Expr>,
        /// Descending.
        descending: bool,
    },
    /// `xs take n`
    Take(Box<Expr>, Box<Expr>),
    /// `exists xs`
    Exists(Box<Expr>),
    /// `count xs`
    Count(Box<Expr>),
    /// `first xs`
    First(Box<Expr>),
    /// `last xs`
    Last(Box<Expr>),
    /// `all xs [alias:] satisfy p` / `any xs satisfy p`
    Quantified {
        /// `all` (true) or `any` (false).
        all: bool,
        /// The list.
        list: Box<Expr>,
        /// Name for the element, when given.
        alias: Option<Name>,
        /// The condition.
        predicate: Box<Expr>,
    },
    /// `if c then a else b`
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A piece the parser could not read (a diagnostic was reported).
    Error,
}

impl ExprKind {
    /// Whether this form has no sub-expressions by construction.
    fn is_leaf(&self) -> bool {
        matches!(
            self,
            ExprKind::Name(_)
                | ExprKind::Bool(_)
                | ExprKind::Number(_)
                | ExprKind::Str(_)
                | ExprKind::Date(_)
                | ExprKind::Error
        )
    }

    /// The direct sub-expressions, mutably, in the order written.
    fn children_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            ExprKind::Name(_)
            | ExprKind::Bool(_)
            | ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Date(_)
            | ExprKind::Error => Vec::new(),
            ExprKind::Duration(a, _)
            | ExprKind::Field(a, _)
            | ExprKind::Not(a)
            | ExprKind::Neg(a)
            | ExprKind::InValueSet { value: a, .. }
            | ExprKind::IsMissing(a, _)
            | ExprKind::Exists(a)
            | ExprKind::Count(a)
            | ExprKind::First(a)
            | ExprKind::Last(a) => vec![a],
            ExprKind::Binary(_, a, b)
            | ExprKind::In {
                value: a, list: b, ..
            }
            | ExprKind::During(a, b)
            | ExprKind::Where {
                list: a,
                predicate: b,
                ..
            }
            | ExprKind::SortedBy {
                list: a, key: b, ..
            }
            | ExprKind::Take(a, b)
            | ExprKind::Quantified {
                list: a,
                predicate: b,
                ..
            } => vec![a, b],
            ExprKind::Within {
                value,
                length,
                anchor,
                ..
            } => vec![value, length, anchor],
            ExprKind::If(a, b, c) => vec![a, b, c],
            ExprKind::List(items) | ExprKind::Call(_, items) => items.iter_mut().collect(),
        }
    }

    /// The direct sub-expressions, in the order written.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            ExprKind::Name(_)
            | ExprKind::Bool(_)
            | ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Date(_)
            | ExprKind::Error => Vec::new(),
            ExprKind::Duration(a, _)
            | ExprKind::Field(a, _)
            | ExprKind::Not(a)
            | ExprKind::Neg(a)
            | ExprKind::InValueSet { value: a, .. }
            | ExprKind::IsMissing(a, _)
            | ExprKind::Exists(a)
            | ExprKind::Count(a)
            | ExprKind::First(a)
            | ExprKind::Last(a) => vec![a],
            ExprKind::Binary(_, a, b)
            | ExprKind::In {
                value: a, list: b, ..
            }
            | ExprKind::During(a, b)
            | ExprKind::Where {
                list: a,
                predicate: b,
                ..
            }
            | ExprKind::SortedBy {
                list: a, key: b, ..
            }
            | ExprKind::Take(a, b)
            | ExprKind::Quantified {
                list: a,
                predicate: b,
                ..
            } => vec![a, b],
            ExprKind::Within {
                value,
                length,
                anchor,
                ..
            } => vec![value, length, anchor],
            ExprKind::If(a, b, c) => vec![a, b, c],
            ExprKind::List(items) | ExprKind::Call(_, items) => items.iter().collect(),
        }
    }
}

impl Expr {
    /// Where the tree first gets deeper than `limit` levels (this node is level 1), or
    /// `None` if it is not that deep. Walks an explicit stack, so any depth is safe.
    pub fn deeper_than(&self, limit: usize) -> Option<Span> {
        let mut stack: Vec<(&Expr, usize)> = vec![(self, 1)];
        while let Some((e, depth)) = stack.pop() {
            if depth > limit {
                return Some(e.span);
            }
            // `depth` is at most `limit + 1` here (deeper returned above).
            let next = depth.saturating_add(1);
            stack.extend(e.kind.children().into_iter().rev().map(|c| (c, next)));
        }
        None
    }
}

/// Dropped with an explicit stack: a chain of 100,000 `and`s is 100,000 boxes deep, and the
/// compiler's recursive drop would overflow the stack on it.
impl Drop for Expr {
    fn drop(&mut self) {
        let mut stack: Vec<Expr> = Vec::new();
        let take = |e: &mut Expr| {
            let span = e.span;
            std::mem::replace(
                e,
                Expr {
                    kind: ExprKind::Error,
                    span,
                },
            )
        };
        for c in self.kind.children_mut() {
            if !c.kind.is_leaf() {
                stack.push(take(c));
            }
        }
        while let Some(mut e) = stack.pop() {
            for c in e.kind.children_mut() {
                if !c.kind.is_leaf() {
                    stack.push(take(c));
                }
            }
            // `e` now holds only leaves: dropping it recurses one level at most.
        }
    }
}
