//! Mutation testing of the test decks (`oncoqual test --mutate`): the plausible misreadings of
//! each spec, each evaluated against the measure's deck; a mutant that no case notices
//! *survives*, and the deck needs a case that tells it from the spec.
//!
//! A mutant is one change of the logic as written (the trees *explain* walks, before the
//! optimiser): a comparison off by one (`<` ↔ `<=`, `>` ↔ `>=`, dates included), a window
//! edge made exclusive (`during`, `within`), `before` ↔ `after`, `and` ↔ `or`, an operand of an
//! `and` / `or` dropped, `first` ↔ `last`, a sort reversed, `exists` ↔ `not exists`, or an
//! exclusion or exception criterion removed. Mutants come from the measure's criteria and
//! stratifiers and every define they reach (a `lib` define too, judged by each deck that
//! reaches it); a parameterised define's body is changed at every place it was inlined, as a
//! change of its text would. A composite's mutants are those of its own criteria: its
//! components are evaluated as written.
//!
//! A mutant is *killed* when a case of the deck gets populations or strata other than it
//! expects, or its evaluation stops (a step budget of 100 times the case's own plus a
//! million, at most [`EVAL_BUDGET`]). Cases the spec itself fails kill nothing and are
//! counted apart.
//!
//! A mutant no chart can tell from the spec is marked *equivalent* by the author, by a
//! comment in the spec directly above the line of the change (or at its end):
//!
//! ```text
//! # equivalent: comparison `<=`: an age is a whole number of years here
//! numerator = age_at(x) <= 17
//! ```
//!
//! `# equivalent: KIND [`TEXT`]: REASON` names the kind, optionally a text that the change's
//! description or its source text contains (to pick one change of several on the line), and
//! a reason, required. An annotation that matches no mutant is an error, so none goes stale.
//! The annotation is an ordinary comment: the language does not change.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use super::cases::{PreparedCase, prepare_case};
use super::ir::{Cmp, Edges, Node, Op};
use super::library::{Compiled, EVAL_BUDGET, Library, MeasureDef, Variant};
use super::lower::SlotDef;
use super::meta::Scoring;
use super::outcome::{Population, Populations};
use crate::chart::round::RoundCalendar;
use crate::dsl::ast::{Direction, PopulationKind};
use crate::dsl::{Source, Span};

/// What a mutant changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    /// `<` ↔ `<=`, `>` ↔ `>=`.
    Comparison,
    /// An edge of a `during` / `within` window left out.
    WindowEdge,
    /// `before` ↔ `after`.
    BeforeAfter,
    /// `and` ↔ `or`.
    AndOr,
    /// An operand of an `and` / `or` dropped.
    ClauseDropped,
    /// `first` ↔ `last`.
    FirstLast,
    /// A sort reversed.
    SortDirection,
    /// An exclusion or exception criterion removed.
    ExclusionRemoved,
    /// `exists` ↔ `not exists`.
    Exists,
}

impl Kind {
    /// Every kind, in report order.
    pub(crate) const ALL: [Kind; 9] = [
        Kind::Comparison,
        Kind::WindowEdge,
        Kind::BeforeAfter,
        Kind::AndOr,
        Kind::ClauseDropped,
        Kind::FirstLast,
        Kind::SortDirection,
        Kind::ExclusionRemoved,
        Kind::Exists,
    ];

    /// Its name in reports and annotations.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Comparison => "comparison",
            Kind::WindowEdge => "window-edge",
            Kind::BeforeAfter => "before-after",
            Kind::AndOr => "and-or",
            Kind::ClauseDropped => "clause-dropped",
            Kind::FirstLast => "first-last",
            Kind::SortDirection => "sort-direction",
            Kind::ExclusionRemoved => "exclusion-removed",
            Kind::Exists => "exists",
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The change itself, made at every node of the mutant's file and span that it fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Cmp {
        from: Cmp,
        to: Cmp,
    },
    Edges(Edges),
    Direction {
        from: Direction,
        to: Direction,
    },
    AndOr,
    Drop {
        keep_left: bool,
    },
    FirstLast,
    Sort,
    /// `exists` → `not exists`.
    Negate,
    /// `not exists` → `exists`.
    Unnegate,
    /// A criterion removed.
    Remove(PopulationKind),
}

/// A tree of a measure's logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tree {
    Criterion(usize),
    Stratifier(usize),
    Slot(u32),
}

/// One mutant of a measure.
#[derive(Debug, Clone)]
pub(crate) struct Mutant {
    /// The file of the change (index into the library's sources).
    pub(crate) file: usize,
    /// The node changed.
    at: Span,
    /// What the report shows: the dropped operand of a dropped clause, else the node.
    pub(crate) span: Span,
    pub(crate) kind: Kind,
    change: Change,
    /// The change in words, such as "`<=` → `<`".
    pub(crate) description: String,
    /// The trees holding the node.
    trees: Vec<Tree>,
}

fn cmp_text(c: Cmp) -> &'static str {
    match c {
        Cmp::Eq => "=",
        Cmp::Ne => "!=",
        Cmp::Lt => "<",
        Cmp::Le => "<=",
        Cmp::Gt => ">",
        Cmp::Ge => ">=",
    }
}

/// The comparison one off from `c` (`<` ↔ `<=`, `>` ↔ `>=`), if any.
fn off_by_one(c: Cmp) -> Option<Cmp> {
    match c {
        Cmp::Lt => Some(Cmp::Le),
        Cmp::Le => Some(Cmp::Lt),
        Cmp::Gt => Some(Cmp::Ge),
        Cmp::Ge => Some(Cmp::Gt),
        Cmp::Eq | Cmp::Ne => None,
    }
}

/// The mutants of measure `measure` of `lib`, each once, in file then source order.
pub(crate) fn mutants(lib: &Library, measure: usize) -> Vec<Mutant> {
    let Some(m) = lib.measures.get(measure) else {
        return Vec::new();
    };
    // By file, place of the change, place shown and description: each mutant once.
    let mut found: BTreeMap<(usize, [u32; 4], String), Mutant> = BTreeMap::new();
    let mut add = |file: usize, at: Span, span: Span, kind, change, description: String, tree| {
        let key = (
            file,
            [at.start, at.end, span.start, span.end],
            description.clone(),
        );
        let entry = found.entry(key).or_insert_with(|| Mutant {
            file,
            at,
            span,
            kind,
            change,
            description,
            trees: Vec::new(),
        });
        if !entry.trees.contains(&tree) {
            entry.trees.push(tree);
        }
    };
    for (k, c) in m.criteria.iter().enumerate() {
        if let Some(c) = c {
            walk(&c.node, m.file, Tree::Criterion(k), &mut add);
        }
    }
    if m.info.scoring != Scoring::CompositeAllOrNone {
        for kind in [
            PopulationKind::DenominatorExclusion,
            PopulationKind::DenominatorException,
            PopulationKind::NumeratorExclusion,
        ] {
            if let Some(Some(c)) = m.criteria.get(kind as usize) {
                let span = c.node.span();
                add(
                    m.file,
                    span,
                    span,
                    Kind::ExclusionRemoved,
                    Change::Remove(kind),
                    format!("`{}` removed", kind.keyword()),
                    Tree::Criterion(kind as usize),
                );
            }
        }
    }
    for (i, s) in m.stratifiers.iter().enumerate() {
        walk(&s.node, m.file, Tree::Stratifier(i), &mut add);
    }
    for slot in reached_slots(lib, m) {
        if let Some(def) = lib.slots.get(slot as usize) {
            walk(&def.node, def.file, Tree::Slot(slot), &mut add);
        }
    }
    found.into_values().collect()
}

/// The slots the criteria and stratifiers of `m` reach, directly or through other defines.
fn reached_slots(lib: &Library, m: &MeasureDef) -> BTreeSet<u32> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&Node> = m
        .criteria
        .iter()
        .flatten()
        .chain(&m.stratifiers)
        .map(|c| &c.node)
        .collect();
    while let Some(n) = todo.pop() {
        for (_, x) in n.walk() {
            if let Op::Slot(i) = x.op()
                && seen.insert(*i)
                && let Some(def) = lib.slots.get(*i as usize)
            {
                todo.push(&def.node);
            }
        }
    }
    seen
}

/// Adds the mutants of every node of `root` (written in `file`; an inlined define's body in
/// its own file) to `add`.
fn walk(
    root: &Node,
    file: usize,
    tree: Tree,
    add: &mut impl FnMut(usize, Span, Span, Kind, Change, String, Tree),
) {
    // (node, its file, whether it is the operand of a `not`)
    let mut stack: Vec<(&Node, usize, bool)> = vec![(root, file, false)];
    while let Some((n, file, under_not)) = stack.pop() {
        let at = n.span();
        let mut one = |span: Span, kind: Kind, change: Change, description: String| {
            add(file, at, span, kind, change, description, tree);
        };
        match n.op() {
            Op::Cmp(c, ..) | Op::FieldCmpConst { cmp: c, .. } => {
                if let Some(to) = off_by_one(*c) {
                    let d = format!("`{}` → `{}`", cmp_text(*c), cmp_text(to));
                    one(at, Kind::Comparison, Change::Cmp { from: *c, to }, d);
                }
            }
            Op::During(_, _, Edges::Both)
            | Op::Within {
                edges: Edges::Both, ..
            } => {
                let word = if matches!(n.op(), Op::During(..)) {
                    "during"
                } else {
                    "within"
                };
                for (edge, name) in [(Edges::NoStart, "start"), (Edges::NoEnd, "end")] {
                    let d = format!("`{word}`: {name} edge made exclusive");
                    one(at, Kind::WindowEdge, Change::Edges(edge), d);
                }
                if let Op::Within { direction, .. } = n.op() {
                    let to = match direction {
                        Direction::Before => Some((Direction::After, "`before` → `after`")),
                        Direction::After => Some((Direction::Before, "`after` → `before`")),
                        Direction::Around => None,
                    };
                    if let Some((to, d)) = to {
                        let change = Change::Direction {
                            from: *direction,
                            to,
                        };
                        one(at, Kind::BeforeAfter, change, d.to_owned());
                    }
                }
            }
            Op::And(a, b) | Op::Or(a, b) => {
                let (word, other) = if matches!(n.op(), Op::And(..)) {
                    ("and", "or")
                } else {
                    ("or", "and")
                };
                one(
                    at,
                    Kind::AndOr,
                    Change::AndOr,
                    format!("`{word}` → `{other}`"),
                );
                // An operand that continues the chain (`a and b and c`) has its own
                // operands dropped one by one instead.
                let same = |x: &Node| {
                    matches!(
                        (n.op(), x.op()),
                        (Op::And(..), Op::And(..)) | (Op::Or(..), Op::Or(..))
                    )
                };
                if !same(a) {
                    let d = format!("`{word}` operand dropped");
                    one(
                        a.span(),
                        Kind::ClauseDropped,
                        Change::Drop { keep_left: false },
                        d,
                    );
                }
                if !same(b) {
                    let d = format!("`{word}` operand dropped");
                    one(
                        b.span(),
                        Kind::ClauseDropped,
                        Change::Drop { keep_left: true },
                        d,
                    );
                }
            }
            Op::First(_) => one(
                at,
                Kind::FirstLast,
                Change::FirstLast,
                "`first` → `last`".to_owned(),
            ),
            Op::Last(_) => one(
                at,
                Kind::FirstLast,
                Change::FirstLast,
                "`last` → `first`".to_owned(),
            ),
            Op::Sorted { descending, .. } => {
                let d = if *descending {
                    "`desc` → `asc`"
                } else {
                    "`asc` → `desc`"
                };
                one(at, Kind::SortDirection, Change::Sort, d.to_owned());
            }
            Op::Exists(_) if !under_not => one(
                at,
                Kind::Exists,
                Change::Negate,
                "`exists` → `not exists`".to_owned(),
            ),
            Op::Not(x) if matches!(x.op(), Op::Exists(_)) => one(
                at,
                Kind::Exists,
                Change::Unnegate,
                "`not exists` → `exists`".to_owned(),
            ),
            _ => {}
        }
        let body_file = match n.op() {
            Op::Let { file, .. } => Some(*file),
            _ => None,
        };
        let is_not = matches!(n.op(), Op::Not(_));
        let at = stack.len();
        for (i, c) in n.children().enumerate() {
            let f = match body_file {
                Some(f) if i == 1 => f,
                _ => file,
            };
            stack.push((c, f, is_not));
        }
        // Visited in order.
        if let Some(kids) = stack.get_mut(at..) {
            kids.reverse();
        }
    }
}

/// `node` (written in `file`) with the change of `m` made wherever it fits; how many times
/// it was made. Recursive: checked logic is at most `lower::MAX_EVAL_DEPTH` levels deep.
fn apply(mut node: Node, file: usize, m: &Mutant, made: &mut usize) -> Node {
    let body_file = match node.op() {
        Op::Let { file, .. } => Some(*file),
        _ => None,
    };
    let mut i = 0usize;
    node.map_children(&mut |c| {
        let f = match body_file {
            Some(f) if i == 1 => f,
            _ => file,
        };
        i = i.saturating_add(1);
        apply(c, f, m, made)
    });
    if file != m.file || node.span() != m.at {
        return node;
    }
    let (node, done) = change(node, m.change);
    if done {
        *made = made.saturating_add(1);
    }
    node
}

/// `n` with `c` made, if it fits.
fn change(mut n: Node, c: Change) -> (Node, bool) {
    let done = match c {
        Change::Cmp { from, to } => {
            let fits =
                matches!(n.op(), Op::Cmp(x, ..) | Op::FieldCmpConst { cmp: x, .. } if *x == from);
            fits && n.set_cmp(to)
        }
        Change::Edges(e) => {
            let fits = matches!(
                n.op(),
                Op::During(_, _, Edges::Both)
                    | Op::Within {
                        edges: Edges::Both,
                        ..
                    }
            );
            fits && n.set_edges(e)
        }
        Change::Direction { from, to } => {
            let fits = matches!(n.op(), Op::Within { direction, .. } if *direction == from);
            fits && n.set_direction(to)
        }
        Change::AndOr => n.swap_and_or(),
        Change::Drop { keep_left } => {
            if matches!(n.op(), Op::And(..) | Op::Or(..)) {
                return (n.keep_operand(keep_left), true);
            }
            false
        }
        Change::FirstLast => n.swap_first_last(),
        Change::Sort => n.flip_sort(),
        Change::Negate => {
            if matches!(n.op(), Op::Exists(_)) {
                let span = n.span();
                return (Node::not(n, span), true);
            }
            false
        }
        Change::Unnegate => {
            if matches!(n.op(), Op::Not(x) if matches!(x.op(), Op::Exists(_))) {
                return match n.into_op() {
                    Op::Not(x) => (*x, true),
                    // Matched just above; nothing else reaches here.
                    _ => (Node::missing(Span::default()), false),
                };
            }
            false
        }
        Change::Remove(_) => false,
    };
    (n, done)
}

/// A measure's logic with one mutant's change made: the trees it changes, owned.
struct Applied {
    criteria: Vec<(usize, Option<Compiled>)>,
    stratifiers: Vec<(usize, Compiled)>,
    slots: Vec<(u32, SlotDef)>,
}

impl Applied {
    /// The change of `mu` made to measure `m`; `None` when it fits nowhere (never for a
    /// mutant [`mutants`] found).
    fn new(lib: &Library, m: &MeasureDef, mu: &Mutant) -> Option<Applied> {
        let mut a = Applied {
            criteria: Vec::new(),
            stratifiers: Vec::new(),
            slots: Vec::new(),
        };
        if let Change::Remove(kind) = mu.change {
            a.criteria.push((kind as usize, None));
            return Some(a);
        }
        let mut made = 0usize;
        for t in &mu.trees {
            match *t {
                Tree::Criterion(k) => {
                    if let Some(Some(c)) = m.criteria.get(k) {
                        let node = apply(c.node.clone(), m.file, mu, &mut made);
                        a.criteria.push((k, Some(Compiled::new(node, c.locals))));
                    }
                }
                Tree::Stratifier(i) => {
                    if let Some(c) = m.stratifiers.get(i) {
                        let node = apply(c.node.clone(), m.file, mu, &mut made);
                        a.stratifiers.push((i, Compiled::new(node, c.locals)));
                    }
                }
                Tree::Slot(s) => {
                    if let Some(def) = lib.slots.get(s as usize) {
                        let node = apply(def.node.clone(), def.file, mu, &mut made);
                        let (fast, fast_locals) = super::optimize::optimize(&node, def.locals);
                        let def = SlotDef {
                            node,
                            fast,
                            fast_locals,
                            ..def.clone()
                        };
                        a.slots.push((s, def));
                    }
                }
            }
        }
        (made > 0).then_some(a)
    }

    /// The measure `index` (`m`) with these trees in place of its own.
    fn variant<'v>(&'v self, index: usize, m: &'v MeasureDef) -> Variant<'v> {
        let mut criteria: [Option<&Compiled>; 6] = [None; 6];
        for (slot, c) in criteria.iter_mut().zip(&m.criteria) {
            *slot = c.as_ref();
        }
        for (k, c) in &self.criteria {
            if let Some(slot) = criteria.get_mut(*k) {
                *slot = c.as_ref();
            }
        }
        let mut stratifiers: Vec<&Compiled> = m.stratifiers.iter().collect();
        for (i, c) in &self.stratifiers {
            if let Some(slot) = stratifiers.get_mut(*i) {
                *slot = c;
            }
        }
        Variant {
            measure: index,
            criteria,
            stratifiers,
            slots: &self.slots,
        }
    }
}

/// A case of a deck, ready to evaluate again and again.
struct Case {
    prepared: PreparedCase,
    /// Stratifier index and the value expected.
    strata: Vec<(usize, String)>,
    /// A composite's components' populations, as written.
    components: Vec<Populations>,
    /// The steps a mutant may take on it.
    budget: u64,
}

impl Case {
    /// Whether `pops` and `strata` are what the case expects.
    fn agrees(&self, pops: Populations, strata: &[Option<String>]) -> bool {
        Population::ALL
            .into_iter()
            .all(|p| pops.contains(p) == self.prepared.expected.contains(&p))
            && self
                .strata
                .iter()
                .all(|(i, want)| strata.get(*i).and_then(Option::as_deref) == Some(want.as_str()))
    }
}

/// A mutant in a report: where, what, and the text it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shown {
    /// The file's name in the library (relative to its folder).
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) span: Span,
    pub(crate) kind: Kind,
    pub(crate) description: String,
    /// The source text of the span, its white space collapsed, shortened past 60 characters.
    pub(crate) snippet: String,
}

/// The mutation score of one measure's deck.
#[derive(Debug, Clone)]
pub(crate) struct Score {
    pub(crate) measure: String,
    /// Cases in the deck.
    pub(crate) cases: usize,
    /// Cases that the measure as written fails, or that cannot be read: they kill nothing.
    pub(crate) broken_cases: usize,
    pub(crate) generated: usize,
    pub(crate) equivalent: usize,
    pub(crate) killed: usize,
    /// The mutants no case kills, in source order.
    pub(crate) survivors: Vec<Shown>,
}

impl Score {
    /// Mutants that are not equivalent: what the score is out of.
    pub(crate) fn scored(&self) -> usize {
        self.generated.saturating_sub(self.equivalent)
    }
}

/// An equivalence annotation that is wrong: stale, without a reason, or unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnnotationError {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl fmt::Display for AnnotationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// The result of `--mutate`: a score per measure (sorted by id) and the annotation errors.
#[derive(Debug, Clone, Default)]
pub(crate) struct MutationReport {
    pub(crate) scores: Vec<Score>,
    pub(crate) errors: Vec<AnnotationError>,
}

impl MutationReport {
    /// Killed mutants over all measures.
    pub(crate) fn killed(&self) -> usize {
        self.scores
            .iter()
            .fold(0usize, |n, s| n.saturating_add(s.killed))
    }

    /// Non-equivalent mutants over all measures.
    pub(crate) fn scored(&self) -> usize {
        self.scores
            .iter()
            .fold(0usize, |n, s| n.saturating_add(s.scored()))
    }
}

/// An `# equivalent:` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Annotation {
    file: usize,
    /// Where the comment is (1-based).
    line: usize,
    column: usize,
    /// The line it annotates.
    target: usize,
    kind: Kind,
    hint: Option<String>,
}

/// The `# equivalent:` comments of `sources`, and the errors of the ones that cannot be
/// read.
fn annotations(sources: &[Source]) -> (Vec<Annotation>, Vec<AnnotationError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (file, source) in sources.iter().enumerate() {
        let lines: Vec<&str> = source.text().lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some((code, comment_at)) = comment_of(line) else {
                continue;
            };
            let comment = line.get(comment_at.saturating_add(1)..).unwrap_or("");
            let Some(rest) = comment.trim_start().strip_prefix("equivalent:") else {
                continue;
            };
            let number = i.saturating_add(1);
            let column = line
                .get(..comment_at)
                .map_or(1, |s| s.chars().count().saturating_add(1));
            let error = |message: String| AnnotationError {
                file: source.name().to_owned(),
                line: number,
                column,
                message,
            };
            let target = if code.trim().is_empty() {
                // The next line that holds code.
                let next = lines
                    .iter()
                    .enumerate()
                    .skip(i.saturating_add(1))
                    .find(|(_, l)| {
                        let t = l.trim();
                        !t.is_empty() && !t.starts_with('#')
                    })
                    .map(|(j, _)| j.saturating_add(1));
                match next {
                    Some(t) => t,
                    None => {
                        errors.push(error(
                            "this `equivalent` annotation annotates no line".into(),
                        ));
                        continue;
                    }
                }
            } else {
                number
            };
            match parse_annotation(rest) {
                Ok((kind, hint)) => found.push(Annotation {
                    file,
                    line: number,
                    column,
                    target,
                    kind,
                    hint,
                }),
                Err(message) => errors.push(error(message)),
            }
        }
    }
    (found, errors)
}

/// Where the comment of `line` starts (a `#` outside a string), with the code before it.
fn comment_of(line: &str) -> Option<(&str, usize)> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return Some((line.get(..i).unwrap_or(""), i)),
            _ => {}
        }
    }
    None
}

/// `KIND [`TEXT`]: REASON` (what follows `equivalent:`): the kind and the text.
fn parse_annotation(rest: &str) -> Result<(Kind, Option<String>), String> {
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ':' || c == '`')
        .unwrap_or(rest.len());
    let (word, rest) = rest.split_at(end);
    let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    let Some(kind) = Kind::from_name(word) else {
        let hint = crate::dsl::did_you_mean(word, names.iter().copied())
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(format!(
            "`{word}` is no mutant kind{hint}; the kinds are {}",
            names.join(", ")
        ));
    };
    let mut rest = rest.trim_start();
    let mut hint = None;
    if let Some(after) = rest.strip_prefix('`') {
        let Some(close) = after.find('`') else {
            return Err("the text of an `equivalent` annotation has no closing backquote".into());
        };
        hint = Some(after.get(..close).unwrap_or("").to_owned());
        rest = after
            .get(close.saturating_add(1)..)
            .unwrap_or("")
            .trim_start();
    }
    match rest.strip_prefix(':') {
        Some(reason) if !reason.trim().is_empty() => Ok((kind, hint)),
        _ => Err(format!(
            "an `equivalent` annotation needs a reason: `# equivalent: {kind} [`text`]: why no chart can tell`"
        )),
    }
}

impl Annotation {
    fn matches(&self, mu: &Mutant, shown: &Shown) -> bool {
        self.file == mu.file
            && self.target == shown.line
            && self.kind == mu.kind
            && self.hint.as_deref().is_none_or(|h| {
                shown.snippet.contains(h) || mu.description.contains(h) || {
                    // The hint may be written as in the source, white space and all.
                    shown.snippet.contains(&collapse(h))
                }
            })
    }
}

/// `text` with every run of white space made one space, shortened past 60 characters.
fn collapse(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= 60 {
        return joined;
    }
    let mut short: String = joined.chars().take(59).collect();
    short.push('…');
    short
}

fn show(lib: &Library, mu: &Mutant) -> Shown {
    let source = lib.sources.get(mu.file);
    let (line, column) = source.map_or((0, 0), |s| s.line_col(mu.span.start));
    Shown {
        file: source.map_or_else(String::new, |s| s.name().to_owned()),
        line,
        column,
        span: mu.span,
        kind: mu.kind,
        description: mu.description.clone(),
        snippet: source.map_or_else(String::new, |s| collapse(s.slice(mu.span))),
    }
}

/// Runs the mutants of the measures `selected` (ids; every measure when empty) against
/// their decks below `dir` (`dir/<measure-id>/*.json`). The annotations of every file are
/// checked against the mutants of every measure, so a stale one is reported whatever the
/// selection. Measures are scored in parallel with the `parallel` feature; the report is
/// the same either way.
pub(crate) fn run(
    lib: &Library,
    dir: &Path,
    calendar: &RoundCalendar,
    selected: &[String],
) -> std::io::Result<MutationReport> {
    let all: Vec<(usize, Vec<Mutant>, Vec<Shown>)> = (0..lib.measures.len())
        .map(|i| {
            let ms = mutants(lib, i);
            let shown = ms.iter().map(|m| show(lib, m)).collect();
            (i, ms, shown)
        })
        .collect();
    let (notes, mut errors) = annotations(&lib.sources);
    let mut used = vec![false; notes.len()];
    for (_, ms, shown) in &all {
        for (mu, s) in ms.iter().zip(shown) {
            for (a, u) in notes.iter().zip(used.iter_mut()) {
                if !*u && a.matches(mu, s) {
                    *u = true;
                }
            }
        }
    }
    for (a, u) in notes.iter().zip(&used) {
        if !*u {
            errors.push(AnnotationError {
                file: lib
                    .sources
                    .get(a.file)
                    .map_or_else(String::new, |s| s.name().to_owned()),
                line: a.line,
                column: a.column,
                message: format!(
                    "this `equivalent` annotation matches no `{}` mutant of line {}",
                    a.kind, a.target
                ),
            });
        }
    }
    errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    let mut jobs: Vec<Job<'_>> = Vec::new();
    for (i, ms, shown) in &all {
        let Some(m) = lib.measures.get(*i) else {
            continue;
        };
        if !selected.is_empty() && !selected.contains(&m.info.id) {
            continue;
        }
        let files = super::fs::read_deck(dir, &m.info.id)?;
        jobs.push(Job {
            index: *i,
            mutants: ms,
            shown,
            files,
        });
    }
    let score = |j: &Job<'_>| score_measure(lib, j, calendar, &notes);
    #[cfg(feature = "parallel")]
    let mut scores: Vec<Score> = {
        use rayon::prelude::*;
        jobs.par_iter().map(score).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let mut scores: Vec<Score> = jobs.iter().map(score).collect();
    scores.sort_by(|a, b| a.measure.cmp(&b.measure));
    Ok(MutationReport { scores, errors })
}

/// One measure to score: its mutants (with how each is shown) and its deck.
struct Job<'a> {
    index: usize,
    mutants: &'a [Mutant],
    shown: &'a [Shown],
    files: Vec<super::cases::CaseFile>,
}

/// The score of a measure's deck against its mutants.
fn score_measure(
    lib: &Library,
    job: &Job<'_>,
    calendar: &RoundCalendar,
    notes: &[Annotation],
) -> Score {
    let (index, ms, shown, files) = (job.index, job.mutants, job.shown, &job.files);
    let mut score = Score {
        measure: lib
            .measures
            .get(index)
            .map_or_else(String::new, |m| m.info.id.clone()),
        cases: files.len(),
        broken_cases: 0,
        generated: 0,
        equivalent: 0,
        killed: 0,
        survivors: Vec::new(),
    };
    let Some(m) = lib.measures.get(index) else {
        return score;
    };
    let cases = prepare_deck(lib, index, m, files, calendar);
    score.broken_cases = files.len().saturating_sub(cases.len());
    for (mu, s) in ms.iter().zip(shown) {
        let Some(applied) = Applied::new(lib, m, mu) else {
            continue;
        };
        score.generated = score.generated.saturating_add(1);
        if notes.iter().any(|a| a.matches(mu, s)) {
            score.equivalent = score.equivalent.saturating_add(1);
            continue;
        }
        let v = applied.variant(index, m);
        let killed = cases.iter().any(|c| {
            let p = &c.prepared;
            match lib.evaluate_variant(&v, &p.chart, p.period, &c.components, c.budget) {
                Ok((pops, strata, _)) => !c.agrees(pops, &strata),
                Err(_) => true,
            }
        });
        if killed {
            score.killed = score.killed.saturating_add(1);
        } else {
            score.survivors.push(s.clone());
        }
    }
    score
}

/// The cases of a deck that the measure as written passes, each with its mutants' budget.
fn prepare_deck(
    lib: &Library,
    index: usize,
    m: &MeasureDef,
    files: &[super::cases::CaseFile],
    calendar: &RoundCalendar,
) -> Vec<Case> {
    let original = Applied {
        criteria: Vec::new(),
        stratifiers: Vec::new(),
        slots: Vec::new(),
    };
    let v = original.variant(index, m);
    let mut cases = Vec::new();
    for f in files {
        let Ok(text) = &f.text else { continue };
        let Ok(prepared) = prepare_case(text, calendar) else {
            continue;
        };
        let mut strata = Vec::new();
        let mut known = true;
        for (name, want) in &prepared.strata {
            match m.info.stratifiers.iter().position(|s| s == name) {
                Some(i) => strata.push((i, want.clone())),
                None => known = false,
            }
        }
        if !known {
            continue;
        }
        let components = if m.components.is_empty() {
            Vec::new()
        } else {
            match lib.try_evaluate_selected(&prepared.chart, prepared.period, &m.components) {
                Ok(outs) => outs.iter().map(|o| o.populations).collect(),
                Err(_) => continue,
            }
        };
        let case = Case {
            prepared,
            strata,
            components,
            budget: 0,
        };
        let p = &case.prepared;
        let Ok((pops, got, steps)) =
            lib.evaluate_variant(&v, &p.chart, p.period, &case.components, EVAL_BUDGET)
        else {
            continue;
        };
        if case.agrees(pops, &got) {
            let budget = steps
                .saturating_mul(100)
                .saturating_add(1_000_000)
                .min(EVAL_BUDGET);
            cases.push(Case { budget, ..case });
        }
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::SpecFile;

    const HEADER: &str = "measure core.example {\n  title \"Example\" module core tracks [core]\n  \
        direction higher_is_better scoring proportion source \"doc\" version \"1\"\n}\n";

    fn library(body: &str) -> Library {
        let spec = format!("{HEADER}{body}");
        Library::from_sources([SpecFile::new("core/example.oqm", spec)]).expect("the spec checks")
    }

    /// Every mutant of the one measure as `kind  description  snippet`.
    fn listed(lib: &Library) -> Vec<String> {
        mutants(lib, 0)
            .iter()
            .map(|m| {
                let s = show(lib, m);
                format!("{}  {}  {}", m.kind, m.description, s.snippet)
            })
            .collect()
    }

    #[test]
    fn each_operator_gives_its_mutants_once_in_source_order() {
        let lib = library(
            "define visits = encounters where kind = office_visit and date during reporting_period sorted by date\n\
             initial_population = exists diagnoses\n\
             denominator_exclusion = not exists visits\n\
             numerator = first(visits).date within 30 days before reporting_period.end or (count visits) >= 2\n",
        );
        let got = listed(&lib);
        let want = [
            "sort-direction  `asc` → `desc`  encounters where kind = office_visit and date during report…",
            "clause-dropped  `and` operand dropped  kind = office_visit",
            "and-or  `and` → `or`  kind = office_visit and date during reporting_period",
            "clause-dropped  `and` operand dropped  date during reporting_period",
            "window-edge  `during`: end edge made exclusive  date during reporting_period",
            "window-edge  `during`: start edge made exclusive  date during reporting_period",
            "exists  `exists` → `not exists`  exists diagnoses",
            "exclusion-removed  `denominator_exclusion` removed  not exists visits",
            "exists  `not exists` → `exists`  not exists visits",
            "first-last  `first` → `last`  first(visits).date",
            "before-after  `before` → `after`  first(visits).date within 30 days before reporting_period.e…",
            "window-edge  `within`: end edge made exclusive  first(visits).date within 30 days before reporting_period.e…",
            "window-edge  `within`: start edge made exclusive  first(visits).date within 30 days before reporting_period.e…",
            "clause-dropped  `or` operand dropped  first(visits).date within 30 days before reporting_period.e…",
            "and-or  `or` → `and`  first(visits).date within 30 days before reporting_period.e…",
            "clause-dropped  `or` operand dropped  (count visits) >= 2",
            "comparison  `>=` → `>`  (count visits) >= 2",
        ];
        // By the place of the change: the define `visits` first (it is written first).
        assert_eq!(got, want, "{got:#?}");
        // The inner `exists` of `not exists` gives no double negation.
        assert_eq!(
            got.iter()
                .filter(|g| g.contains("not exists visits"))
                .count(),
            2
        );
    }

    #[test]
    fn a_chain_drops_each_operand_and_comparisons_flip_off_by_one() {
        let lib = library(
            "initial_population = exists diagnoses and exists encounters and (count labs) < 3\n\
             numerator = last(encounters sorted by date desc).date <= reporting_period.end\n",
        );
        let got = listed(&lib);
        let dropped: Vec<&String> = got.iter().filter(|g| g.contains("dropped")).collect();
        assert_eq!(dropped.len(), 3, "{got:#?}");
        for w in [
            "comparison  `<` → `<=`  (count labs) < 3",
            "comparison  `<=` → `<`  last(encounters sorted by date desc).date <= reporting_peri…",
            "first-last  `last` → `first`  last(encounters sorted by date desc).date",
            "sort-direction  `desc` → `asc`  (encounters sorted by date desc)",
        ] {
            assert!(got.iter().any(|g| g == w), "missing {w:?} in {got:#?}");
        }
    }

    /// A scratch deck folder, removed on drop.
    struct Deck(std::path::PathBuf);

    impl Deck {
        fn new(tag: &str, cases: &[(&str, serde_json::Value)]) -> Deck {
            let dir =
                std::env::temp_dir().join(format!("oncoqual-mutate-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let folder = dir.join("core.example");
            std::fs::create_dir_all(&folder).unwrap();
            for (name, case) in cases {
                std::fs::write(folder.join(format!("{name}.json")), case.to_string()).unwrap();
            }
            Deck(dir)
        }
    }

    impl Drop for Deck {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A case: a chart with a diagnosis and `visits` office visits in 2026, expecting
    /// `expect`.
    fn case(visits: usize, expect: &[&str]) -> serde_json::Value {
        let encounters: Vec<serde_json::Value> = (0..visits)
            .map(|i| {
                serde_json::json!({"kind": "office_visit", "date": format!("2026-03-{:02}", i + 1),
                    "with_practice": true, "provider_role": "physician"})
            })
            .collect();
        serde_json::json!({"description": "d", "chart": {"id": "c1", "practice": "p1",
            "round": "2026-1", "patient": {"birth_date": "1960-06-15", "sex": "female"},
            "diagnoses": [{"id": "dx1", "cancer_type": "breast", "diagnosis_date": "2025-11-10",
                "invasive": true}],
            "encounters": encounters}, "expect": expect})
    }

    fn survivors(lib: &Library, deck: &Deck) -> (Score, Vec<AnnotationError>) {
        let r = run(lib, &deck.0, &RoundCalendar::new(), &[]).unwrap();
        assert_eq!(r.scores.len(), 1);
        (r.scores[0].clone(), r.errors)
    }

    const TWO_VISITS: &str =
        "initial_population = exists diagnoses\nnumerator = (count encounters) >= 2\n";

    #[test]
    fn a_case_on_the_boundary_kills_the_off_by_one_mutant_and_its_absence_lets_it_survive() {
        let lib = library(TWO_VISITS);
        let numer = ["IPP", "DENOM", "NUMER"];
        // 3 visits and 1 visit: `>= 2` and `> 2` agree on both.
        let weak = Deck::new(
            "weak",
            &[
                ("three", case(3, &numer)),
                ("one", case(1, &["IPP", "DENOM"])),
            ],
        );
        let (s, errors) = survivors(&lib, &weak);
        assert!(errors.is_empty());
        assert_eq!(
            (s.generated, s.killed, s.cases, s.broken_cases),
            (2, 1, 2, 0)
        );
        assert_eq!(s.survivors.len(), 1);
        let v = &s.survivors[0];
        assert_eq!(
            (v.kind, v.description.as_str()),
            (Kind::Comparison, "`>=` → `>`")
        );
        assert_eq!(
            (v.file.as_str(), v.line, v.column),
            ("core/example.oqm", 6, 13)
        );
        // Exactly 2 visits tells them apart.
        let strong = Deck::new("strong", &[("two", case(2, &numer))]);
        let (s, _) = survivors(&lib, &strong);
        assert_eq!((s.generated, s.killed), (2, 2));
        assert!(s.survivors.is_empty());
    }

    #[test]
    fn a_case_the_spec_fails_kills_nothing() {
        let lib = library(TWO_VISITS);
        // Wrong on purpose: 2 visits are in the numerator.
        let deck = Deck::new("broken", &[("two", case(2, &["IPP", "DENOM"]))]);
        let (s, _) = survivors(&lib, &deck);
        assert_eq!((s.cases, s.broken_cases, s.killed), (1, 1, 0));
    }

    #[test]
    fn an_annotated_mutant_is_equivalent_and_a_stale_or_reasonless_annotation_is_an_error() {
        let numer = ["IPP", "DENOM", "NUMER"];
        let cases = [
            ("three", case(3, &numer)),
            ("one", case(1, &["IPP", "DENOM"])),
        ];
        let lib = library(
            "initial_population = exists diagnoses\n\
             # equivalent: comparison `>=`: a test of the annotation\n\
             numerator = (count encounters) >= 2\n",
        );
        let deck = Deck::new("annotated", &cases);
        let (s, errors) = survivors(&lib, &deck);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            (s.generated, s.equivalent, s.killed, s.scored()),
            (2, 1, 1, 1)
        );
        assert!(s.survivors.is_empty());
        // On the same line, too.
        let lib = library(
            "initial_population = exists diagnoses\n\
             numerator = (count encounters) >= 2 # equivalent: comparison: the same line\n",
        );
        let (s, errors) = survivors(&lib, &deck);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(s.equivalent, 1);
        // Stale (no `first` on the line), without a reason, of an unknown kind.
        let lib = library(
            "initial_population = exists diagnoses\n\
             # equivalent: first-last: nothing of the kind below\n\
             # equivalent: comparison\n\
             # equivalent: comparision: a typo\n\
             # equivalent: comparison `<`: no such text\n\
             numerator = (count encounters) >= 2\n",
        );
        let (s, errors) = survivors(&lib, &deck);
        assert_eq!(s.equivalent, 0, "a broken annotation marks nothing");
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "core/example.oqm:6:1: this `equivalent` annotation matches no `first-last` mutant of line 10",
                "core/example.oqm:7:1: an `equivalent` annotation needs a reason: `# equivalent: comparison [`text`]: why no chart can tell`",
                "core/example.oqm:8:1: `comparision` is no mutant kind (did you mean `comparison`?); the kinds are comparison, window-edge, before-after, and-or, clause-dropped, first-last, sort-direction, exclusion-removed, exists",
                "core/example.oqm:9:1: this `equivalent` annotation matches no `comparison` mutant of line 10",
            ]
        );
    }

    #[test]
    fn a_hash_in_a_string_is_no_comment() {
        assert_eq!(comment_of(r#"x = "a # b" # c"#).map(|(_, i)| i), Some(12));
        assert_eq!(comment_of(r#"x = "a \" # b""#), None);
        assert!(parse_annotation(" exists `a`: why").is_ok());
        assert!(parse_annotation(" exists `a: why").is_err());
        assert!(parse_annotation(" exists:   ").is_err());
    }

    /// The measure as written, through [`Library::evaluate_variant`], is the library's own
    /// evaluation; and no mutant of any bundled measure panics or runs away on synthetic
    /// charts (a few mutants per measure in a debug build).
    #[cfg(feature = "synth")]
    #[test]
    fn the_unmutated_variant_is_the_library_and_mutants_evaluate_safely_on_synthetic_charts() {
        use crate::RoundCalendar;
        use crate::synth::{self, SynthConfig};
        let lib = Library::bundled().unwrap();
        let calendar = RoundCalendar::new();
        let charts: Vec<_> = synth::generate(&SynthConfig::new(60, 4, 1, 3)).collect();
        let every = if cfg!(debug_assertions) { 25 } else { 1 };
        for (i, m) in lib.measures.iter().enumerate() {
            let none = Applied {
                criteria: Vec::new(),
                stratifiers: Vec::new(),
                slots: Vec::new(),
            };
            let v = none.variant(i, m);
            let ms = mutants(lib, i);
            let applied: Vec<Applied> = ms
                .iter()
                .step_by(every)
                .map(|mu| Applied::new(lib, m, mu).expect("every mutant found applies"))
                .collect();
            for chart in &charts {
                let period = calendar.period(chart.round);
                let want = lib.try_evaluate_selected(chart, period, &[i]).unwrap();
                let comps: Vec<Populations> = if m.components.is_empty() {
                    Vec::new()
                } else {
                    lib.try_evaluate_selected(chart, period, &m.components)
                        .unwrap()
                        .iter()
                        .map(|o| o.populations)
                        .collect()
                };
                let (pops, strata, _) = lib
                    .evaluate_variant(&v, chart, period, &comps, EVAL_BUDGET)
                    .unwrap();
                assert_eq!(pops, want[0].populations, "{}", m.info.id);
                assert_eq!(strata, want[0].strata, "{}", m.info.id);
                for a in &applied {
                    let _ =
                        lib.evaluate_variant(&a.variant(i, m), chart, period, &comps, 1_000_000);
                }
            }
        }
    }
}
