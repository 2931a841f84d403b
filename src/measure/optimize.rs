//! Evaluation-only rewrites of compiled logic. The checked IR is kept as written for
//! *explain* (its traces follow the text); evaluation runs a copy rewritten here, with the
//! same meaning and less work:
//!
//! 1. **Cheapest first in `and` / `or` chains.** Kleene conjunction and disjunction do not
//!    depend on the order of their operands, and evaluation has no side effects, so a chain
//!    is reordered (stably) by estimated cost: the cheap tests that usually decide it run
//!    first and the expensive queries run only when still needed.
//! 2. **Loop-invariant caching.** Inside a query's predicate (`where`, `sorted by`,
//!    `all`/`any ... satisfy`), a sub-expression that reads none of the locals bound inside
//!    the loop has the same value for every element. It is computed at most once per entry
//!    into the loop (lazily, at its first use, so a loop that never needs it never pays for
//!    it) and reused. `cycle_day1_date(admins, a)` inside a scan of labs is the case that
//!    made this worth doing: it turned a cubic scan into a quadratic one.
//! 3. **Indexed scans.** A query over a chart root list whose predicate tests an
//!    enumeration field against constants, or a field for equality with a value that does
//!    not read the element, reads a per-chart index of that list instead of scanning it.
//!    Define parameters bound to a chart root or to another local are substituted first
//!    (`cycle_day1_date(administrations, a)`, `is_breast(dx)`), so the tests written in a
//!    define's body take part in the ordering and the indexing.
//! 4. **Range scans.** A query over a chart root list whose predicate compares a date or
//!    number field of the element with bounds that do not read the element (`<`, `<=`, `>`,
//!    `>=`, `within ... of`, `during`) finds its candidates by binary search in a per-chart
//!    copy of the list sorted by that field. Inside a query over another list (a window
//!    relative to each element) this turns a quadratic scan into n log n.

use super::ir::{Cmp, Const, Node, Op, Range};

/// The rewritten node and the frame size it needs (cache cells are fresh locals above
/// `locals`).
pub(crate) fn optimize(node: &Node, locals: u32) -> (Node, u32) {
    let mut o = Optimizer { next: locals };
    let n = inline_aliases(node.clone());
    let n = reorder(n);
    let n = propagate_roots(n);
    let n = index_scans(n);
    let n = unordered(n);
    let n = o.hoist_in(n);
    (n, o.next)
}

/// Relative cost of evaluating a node once (a rough count of the work, loops weighted).
fn cost(n: &Node) -> u64 {
    const LOOP: u64 = 8;
    let own: u64 = match &n.op {
        Op::Where { list, pred, .. }
        | Op::Sorted {
            list, key: pred, ..
        }
        | Op::Quantified { list, pred, .. } => {
            return cost(list)
                .saturating_add(LOOP.saturating_mul(cost(pred)))
                .saturating_add(2);
        }
        Op::IndexedWhere { pred, .. } => {
            return (LOOP / 2).saturating_mul(cost(pred)).saturating_add(2);
        }
        Op::RangeWhere { range, pred, .. } => {
            return match range.as_ref() {
                Range::Cmp(_, k) | Range::During(k) => cost(k),
                Range::Within { length, anchor, .. } => cost(length).saturating_add(cost(anchor)),
            }
            .saturating_add((LOOP / 2).saturating_mul(cost(pred)))
            .saturating_add(3);
        }
        Op::KeyedWhere { keys, pred, .. } => {
            return keys.iter().fold(cost(pred).saturating_add(3), |acc, k| {
                acc.saturating_add(cost(k))
            });
        }
        // A list projection or a query over a list-valued expression walks it.
        Op::MapField(..) | Op::Exists(_) | Op::Count(_) | Op::First(_) | Op::Last(_) => 4,
        Op::Call(..) | Op::Within { .. } | Op::InValueSet(..) => 3,
        Op::Cached { .. } | Op::Slot(_) => return 2,
        _ => 1,
    };
    n.children()
        .iter()
        .fold(own, |acc, c| acc.saturating_add(cost(c)))
}

/// Reorders every `and` / `or` chain, cheapest operand first (stable for equal costs).
fn reorder(mut n: Node) -> Node {
    n.map_children(&mut reorder);
    let and = match n.op {
        Op::And(..) => true,
        Op::Or(..) => false,
        _ => return n,
    };
    let span = n.span;
    let mut parts = Vec::new();
    flatten(n, and, &mut parts);
    let mut keyed: Vec<(u64, Node)> = parts.into_iter().map(|p| (cost(&p), p)).collect();
    keyed.sort_by_key(|(c, _)| *c);
    balanced(keyed.into_iter().map(|(_, p)| p).collect(), and, span)
}

/// `a and b and ...` (or `or`) over `parts` in the given order, as a balanced tree: the
/// operands are evaluated in the same order, and stop at the same operand, as in a chain
/// associated to the left, but the tree is only about log2(n) levels deep. (Flattening
/// inlined defines can gather thousands of operands into one chain.)
fn balanced(mut parts: Vec<Node>, and: bool, span: crate::dsl::Span) -> Node {
    while parts.len() > 1 {
        let mut next = Vec::with_capacity(parts.len().div_ceil(2));
        let mut it = parts.into_iter();
        while let Some(a) = it.next() {
            match it.next() {
                Some(b) => {
                    let span = a.span;
                    next.push(Node::new(
                        if and {
                            Op::And(a.boxed(), b.boxed())
                        } else {
                            Op::Or(a.boxed(), b.boxed())
                        },
                        span,
                    ));
                }
                None => next.push(a),
            }
        }
        parts = next;
    }
    parts
        .pop()
        .unwrap_or_else(|| Node::new(Op::Const(Const::Bool(and)), span))
}

fn flatten(n: Node, and: bool, out: &mut Vec<Node>) {
    match n.op {
        Op::And(a, b) if and => {
            flatten(*a, and, out);
            flatten(*b, and, out);
        }
        Op::Or(a, b) if !and => {
            flatten(*a, and, out);
            flatten(*b, and, out);
        }
        op => out.push(Node::new(op, n.span)),
    }
}

/// Turns `root where field = value and ...` (or `field in [values]`) over a chart root
/// list, for an enumeration field of the element, into an indexed lookup.
fn index_scans(mut n: Node) -> Node {
    n.map_children(&mut index_scans);
    let Op::Where { list, local, pred } = n.op else {
        return n;
    };
    let Op::Root(root, _) = list.op else {
        return Node::new(Op::Where { list, local, pred }, n.span);
    };
    let mut parts = Vec::new();
    flatten(*pred, true, &mut parts);
    let Some((k, (field, values))) = parts
        .iter()
        .enumerate()
        .find_map(|(k, p)| enum_key(p, local).map(|key| (k, key)))
    else {
        return keyed_scan(root, local, parts, list, n.span);
    };
    parts.remove(k);
    let pred = if parts.is_empty() {
        Node::new(Op::Const(Const::Bool(true)), n.span)
    } else {
        rebuild_and(parts, n.span)
    };
    Node::new(
        Op::IndexedWhere {
            root,
            field,
            values,
            local,
            pred: pred.boxed(),
        },
        n.span,
    )
}

/// `root where local.field = key and ...` with a `key` that does not read the element: a
/// lookup in a hash index of the root list by that field. Otherwise the query as it was.
fn keyed_scan(
    root: u16,
    local: u32,
    parts: Vec<Node>,
    list: Box<Node>,
    span: crate::dsl::Span,
) -> Node {
    let mut fields = Vec::new();
    let mut keys = Vec::new();
    let mut rest = Vec::new();
    for part in parts {
        if fields.len() < 2
            && let Some(field) = equality_key(&part, local)
            && !fields.contains(&field)
        {
            let Op::Cmp(_, a, b) = part.op else {
                unreachable!("equality_key matched a comparison")
            };
            let key = if matches!(&a.op, Op::Field(base, f, _)
                if *f == field && matches!(base.op, Op::Local(l) if l == local))
            {
                *b
            } else {
                *a
            };
            fields.push(field);
            keys.push(key);
        } else {
            rest.push(part);
        }
    }
    let pred = if rest.is_empty() {
        Node::new(Op::Const(Const::Bool(true)), span)
    } else {
        rebuild_and(rest, span)
    };
    if fields.is_empty() {
        return range_scan(root, local, pred, list, span);
    }
    Node::new(
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

/// `root where local.field <range> and ...` with bounds that do not read the element: a
/// binary search in a sorted index of the root list. Otherwise the query as it was.
fn range_scan(root: u16, local: u32, pred: Node, list: Box<Node>, span: crate::dsl::Span) -> Node {
    let mut parts = Vec::new();
    flatten(pred, true, &mut parts);
    let found = parts.iter().find_map(|p| range_key(p, local));
    let pred = rebuild_and(parts, span);
    match found {
        Some((field, range)) => Node::new(
            Op::RangeWhere {
                root,
                field,
                range: Box::new(range),
                local,
                pred: pred.boxed(),
                ordered: true,
            },
            span,
        ),
        None => Node::new(
            Op::Where {
                list,
                local,
                pred: pred.boxed(),
            },
            span,
        ),
    }
}

/// `local.field <cmp> bound`, `local.field within ... anchor` or `local.field during p`
/// (bounds not reading `local`): the field and the range, the field on the left.
fn range_key(n: &Node, local: u32) -> Option<(u16, Range)> {
    let of_element = |x: &Node| match &x.op {
        Op::Field(base, field, _) if matches!(base.op, Op::Local(l) if l == local) => Some(*field),
        _ => None,
    };
    let ordered = |c: Cmp| matches!(c, Cmp::Lt | Cmp::Le | Cmp::Gt | Cmp::Ge);
    let flip = |c: Cmp| match c {
        Cmp::Lt => Cmp::Gt,
        Cmp::Le => Cmp::Ge,
        Cmp::Gt => Cmp::Lt,
        Cmp::Ge => Cmp::Le,
        other => other,
    };
    match &n.op {
        Op::FieldCmpConst {
            local: l,
            field,
            cmp,
            value: value @ (Const::Date(_) | Const::Num(_)),
            ..
        } if *l == local && ordered(*cmp) => Some((
            *field,
            Range::Cmp(*cmp, Node::new(Op::Const(value.clone()), n.span)),
        )),
        Op::Cmp(cmp, a, b) if ordered(*cmp) => match (of_element(a), of_element(b)) {
            (Some(f), None) if !reads_any(b, &[local]) => {
                Some((f, Range::Cmp(*cmp, (**b).clone())))
            }
            (None, Some(f)) if !reads_any(a, &[local]) => {
                Some((f, Range::Cmp(flip(*cmp), (**a).clone())))
            }
            _ => None,
        },
        Op::Within {
            value,
            length,
            direction,
            anchor,
        } => {
            let f = of_element(value)?;
            (!reads_any(length, &[local]) && !reads_any(anchor, &[local])).then(|| {
                (
                    f,
                    Range::Within {
                        length: (**length).clone(),
                        direction: *direction,
                        anchor: (**anchor).clone(),
                    },
                )
            })
        }
        Op::During(value, period) => {
            let f = of_element(value)?;
            (!reads_any(period, &[local])).then(|| (f, Range::During((**period).clone())))
        }
        _ => None,
    }
}

/// Marks the range scans whose order does not matter (directly under `exists` or
/// `count`): their candidates are then visited in index order, without sorting them back
/// into list order.
fn unordered(mut n: Node) -> Node {
    n.map_children(&mut unordered);
    if let Op::Exists(inner) | Op::Count(inner) = &mut n.op
        && let Op::RangeWhere { ordered, .. } = &mut inner.op
    {
        *ordered = false;
    }
    n
}

/// `local.field = key` (either way round) where `key` does not read `local`.
fn equality_key(n: &Node, local: u32) -> Option<u16> {
    let Op::Cmp(super::ir::Cmp::Eq, a, b) = &n.op else {
        return None;
    };
    let of_element = |x: &Node| match &x.op {
        Op::Field(base, field, _) if matches!(base.op, Op::Local(l) if l == local) => Some(*field),
        _ => None,
    };
    match (of_element(a), of_element(b)) {
        (Some(f), None) if !reads_any(b, &[local]) => Some(f),
        (None, Some(f)) if !reads_any(a, &[local]) => Some(f),
        _ => None,
    }
}

/// Drops the binding of a define parameter bound to another local (`is_breast(dx)` inside a
/// query over `diagnoses as dx`): the body reads that local directly, so its conjuncts join
/// the enclosing `and` chain, where they are ordered and can key an index.
fn inline_aliases(mut n: Node) -> Node {
    n.map_children(&mut inline_aliases);
    match n.op {
        Op::Let {
            local, value, body, ..
        } if matches!(value.op, Op::Local(_)) => {
            let Op::Local(to) = value.op else {
                unreachable!("guarded above")
            };
            rename(*body, local, to)
        }
        op => Node::new(op, n.span),
    }
}

/// `n` with every read of local `from` (plain or fused into a field test) made a read of
/// local `to`. Locals are numbered per scope, so `to` is not rebound inside `n`.
fn rename(mut n: Node, from: u32, to: u32) -> Node {
    match &mut n.op {
        Op::Local(l) | Op::FieldCmpConst { local: l, .. } | Op::FieldInConsts { local: l, .. }
            if *l == from =>
        {
            *l = to;
        }
        _ => {}
    }
    n.map_children(&mut |c| rename(c, from, to));
    n
}

/// Replaces a define parameter bound to a chart root list by the root itself, so queries
/// over it can be indexed (`cycle_day1_date(administrations, a)`).
fn propagate_roots(mut n: Node) -> Node {
    n.map_children(&mut propagate_roots);
    if let Op::Let {
        local, value, body, ..
    } = &mut n.op
        && let Op::Root(i, path) = value.op
    {
        let b = take(body);
        **body = substitute(b, *local, &Op::Root(i, path));
    }
    n
}

/// `n` with every read of `local` replaced by `with` (a leaf).
fn substitute(mut n: Node, local: u32, with: &Op) -> Node {
    if matches!(n.op, Op::Local(l) if l == local) {
        return Node::new(with.clone(), n.span);
    }
    n.map_children(&mut |c| substitute(c, local, with));
    n
}

/// `local.field = enum value` or `local.field in [enum values]`: the field and the values.
fn enum_key(n: &Node, local: u32) -> Option<(u16, Box<[u16]>)> {
    match &n.op {
        Op::FieldCmpConst {
            local: l,
            field,
            cmp: super::ir::Cmp::Eq,
            value: Const::Enum(_, v),
            ..
        } if *l == local => Some((*field, Box::new([*v]))),
        Op::FieldInConsts {
            local: l,
            field,
            values,
            negated: false,
            ..
        } if *l == local => values
            .iter()
            .map(|c| match c {
                Const::Enum(_, v) => Some(*v),
                _ => None,
            })
            .collect::<Option<Box<[u16]>>>()
            .map(|vs| (*field, vs)),
        _ => None,
    }
}

/// `a and b and ...` in the given order (a balanced tree, see [`balanced`]).
fn rebuild_and(parts: Vec<Node>, span: crate::dsl::Span) -> Node {
    balanced(parts, true, span)
}

struct Optimizer {
    next: u32,
}

/// A node that binds a local: what it evaluates outside the binding (a query's list or
/// keys, a `let`'s value), the local, and what it evaluates with the local bound (a
/// query's predicate or sort key, a `let`'s body).
struct Binder<'n> {
    outside: Vec<&'n mut Node>,
    local: u32,
    inside: &'n mut Node,
    /// A query (the inside runs once per element), not a `let`.
    is_loop: bool,
}

fn binder(n: &mut Node) -> Option<Binder<'_>> {
    let (outside, local, inside, is_loop): (Vec<&mut Node>, u32, &mut Node, bool) = match &mut n.op
    {
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

impl Optimizer {
    /// Hoists loop invariants out of every loop in `n`, outermost loops first.
    fn hoist_in(&mut self, mut n: Node) -> Node {
        let mut cells = Vec::new();
        match binder(&mut n) {
            Some(b) if b.is_loop => {
                let body = self.extract(take_node(b.inside), &mut vec![b.local], &mut cells);
                // Then the loops inside the predicate (and inside what was hoisted).
                *b.inside = self.hoist_in(body);
                for o in b.outside {
                    *o = self.hoist_in(take_node(o));
                }
            }
            _ => n.map_children(&mut |c| self.hoist_in(c)),
        }
        if cells.is_empty() {
            return n;
        }
        let span = n.span;
        Node::new(
            Op::Fresh {
                cells: cells.into_boxed_slice(),
                body: n.boxed(),
            },
            span,
        )
    }

    /// Replaces the largest sub-expressions of `n` that read none of `bound` (the locals
    /// bound between the loop and here) by cache cells, recorded in `cells`.
    fn extract(&mut self, mut n: Node, bound: &mut Vec<u32>, cells: &mut Vec<u32>) -> Node {
        // A frame with no cell left (past `u32::MAX` locals) leaves the value uncached.
        if worth_caching(&n)
            && !reads_any(&n, bound)
            && let Some(after) = self.next.checked_add(1)
        {
            let cell = self.next;
            self.next = after;
            cells.push(cell);
            let span = n.span;
            return Node::new(
                Op::Cached {
                    local: cell,
                    value: n.boxed(),
                },
                span,
            );
        }
        match binder(&mut n) {
            Some(b) => {
                for o in b.outside {
                    *o = self.extract(take_node(o), bound, cells);
                }
                bound.push(b.local);
                *b.inside = self.extract(take_node(b.inside), bound, cells);
                bound.pop();
            }
            None => n.map_children(&mut |c| self.extract(c, bound, cells)),
        }
        n
    }
}

/// Takes a boxed child out, leaving a placeholder to be overwritten.
fn take(b: &mut Box<Node>) -> Node {
    take_node(b.as_mut())
}

/// Takes a node out, leaving a placeholder to be overwritten.
fn take_node(n: &mut Node) -> Node {
    let span = n.span;
    std::mem::replace(n, Node::new(Op::Const(Const::Missing), span))
}

/// Whether caching `n` saves work: it walks a list, calls a function or binds a define's
/// parameters. Plain field reads, constants and single comparisons cost about as much as
/// the cache itself.
fn worth_caching(n: &Node) -> bool {
    match &n.op {
        Op::Where { .. }
        | Op::IndexedWhere { .. }
        | Op::KeyedWhere { .. }
        | Op::RangeWhere { .. }
        | Op::Sorted { .. }
        | Op::Quantified { .. }
        | Op::MapField(..)
        | Op::Exists(_)
        | Op::Count(_)
        | Op::First(_)
        | Op::Last(_)
        | Op::Take(..)
        | Op::Call(..)
        | Op::Let { .. }
        | Op::Within { .. }
        | Op::InValueSet(..) => true,
        Op::In(_, list, _) => !matches!(list.op, Op::MakeList(_)),
        _ => n.children().iter().any(|c| worth_caching(c)),
    }
}

/// Whether `n` reads any of `locals` (as a free variable).
fn reads_any(n: &Node, locals: &[u32]) -> bool {
    match &n.op {
        Op::Local(i) | Op::FieldCmpConst { local: i, .. } | Op::FieldInConsts { local: i, .. } => {
            return locals.contains(i);
        }
        _ => {}
    }
    // A binder's local is rebound inside it: only what it evaluates outside reads the
    // caller's, inside it is shadowed. (The inside is a binder's last child.)
    let local = match &n.op {
        Op::Where { local, .. }
        | Op::Sorted { local, .. }
        | Op::Quantified { local, .. }
        | Op::IndexedWhere { local, .. }
        | Op::KeyedWhere { local, .. }
        | Op::RangeWhere { local, .. }
        | Op::Let { local, .. } => *local,
        _ => return n.children().iter().any(|c| reads_any(c, locals)),
    };
    let children = n.children();
    let Some((inside, outside)) = children.split_last() else {
        return false;
    };
    outside.iter().any(|o| reads_any(o, locals)) || reads_any_except(inside, locals, local)
}

/// `reads_any(n, locals)` where `shadow` is rebound for `n` (so its uses are not free).
fn reads_any_except(n: &Node, locals: &[u32], shadow: u32) -> bool {
    if !locals.contains(&shadow) {
        return reads_any(n, locals);
    }
    let rest: Vec<u32> = locals.iter().copied().filter(|l| *l != shadow).collect();
    !rest.is_empty() && reads_any(n, &rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsl::ast::PopulationKind;
    use crate::measure::library::{Compiled, Library, SpecFile};

    /// The numerator of a one-measure library, as written and as evaluated.
    fn numerator(expr: &str) -> Compiled {
        numerator_after("", expr)
    }

    /// As [`numerator`], after the `defines` given.
    fn numerator_after(defines: &str, expr: &str) -> Compiled {
        let spec = format!(
            "measure core.t {{ title \"t\" module core tracks [core] direction higher_is_better \
             scoring proportion source \"t\" version \"1\" }}\n{defines}\n\
             initial_population = true\nnumerator = {expr}\n"
        );
        let lib = Library::from_files(vec![SpecFile::new("core/t.oqm", spec)], vec![])
            .unwrap_or_else(|e| panic!("{e}"));
        let mut m = lib.measures.into_iter().next().unwrap();
        m.criteria[PopulationKind::Numerator as usize]
            .take()
            .unwrap()
    }

    fn any(n: &Node, f: &dyn Fn(&Op) -> bool) -> bool {
        f(&n.op) || n.children().iter().any(|c| any(c, f))
    }

    #[test]
    fn an_and_chain_runs_its_cheapest_operand_first() {
        let c = numerator("(exists (assessments where kind = pain)) and patient.sex = female");
        let Op::And(first, _) = &c.node.op else {
            panic!("an and")
        };
        assert!(matches!(first.op, Op::Exists(_)), "as written");
        let Op::And(first, _) = &c.fast.op else {
            panic!("an and")
        };
        assert!(matches!(first.op, Op::Cmp(..)), "cheapest first");
    }

    #[test]
    fn a_loop_invariant_is_cached_per_loop_entry() {
        let c = numerator(
            "exists (labs as l where l.date after first (encounters as e where e.kind = office_visit \
             sorted by date).date)",
        );
        assert!(!any(&c.node, &|op| matches!(op, Op::Cached { .. })));
        assert!(any(&c.fast, &|op| matches!(op, Op::Fresh { .. })));
        assert!(any(&c.fast, &|op| matches!(op, Op::Cached { .. })));
        assert!(c.fast_locals > c.locals, "the cache cell is a fresh local");
    }

    #[test]
    fn what_depends_on_the_loop_element_stays_in_the_loop() {
        let c =
            numerator("exists (labs as l where exists (encounters as e where e.date = l.date))");
        assert!(!any(&c.fast, &|op| matches!(op, Op::Cached { .. })));
    }

    #[test]
    fn a_root_list_filter_on_an_enumeration_reads_the_index() {
        let c = numerator("exists (assessments where kind in [pain, fatigue] and score > 3)");
        assert!(any(&c.fast, &|op| matches!(
            op,
            Op::IndexedWhere { values, .. } if values.len() == 2
        )));
        // A negated test, or a list that is not a chart root, is scanned.
        let c = numerator("exists (assessments where kind not in [pain])");
        assert!(!any(&c.fast, &|op| matches!(op, Op::IndexedWhere { .. })));
        let c =
            numerator("exists (regimens as r where exists (r.agents where category = cytotoxic))");
        assert!(!any(&c.fast, &|op| matches!(op, Op::IndexedWhere { .. })));
    }

    #[test]
    fn an_equality_with_an_outer_value_reads_a_hash_index_of_a_root_list() {
        // The define's list parameter is the chart root, so the query over it is keyed.
        let spec_expr = "exists (administrations as a where a.date = \
             min((administrations where regimen_id = a.regimen_id and cycle = a.cycle).date))";
        let c = numerator(spec_expr);
        assert!(any(&c.fast, &|op| matches!(op, Op::KeyedWhere { .. })));
        // An equality between two fields of the element is no key.
        let c = numerator("exists (regimens where id = diagnosis_id)");
        assert!(!any(&c.fast, &|op| matches!(op, Op::KeyedWhere { .. })));
    }

    #[test]
    fn a_define_parameter_bound_to_the_query_element_is_read_directly() {
        let c = numerator_after(
            "define painful(x) = x.score >= 4 and x.kind = pain",
            "exists (assessments as a where painful(a))",
        );
        assert!(
            any(&c.node, &|op| matches!(op, Op::Let { .. })),
            "as written"
        );
        assert!(!any(&c.fast, &|op| matches!(op, Op::Let { .. })));
        // The parameter's enumeration test now keys the index of the root list.
        assert!(any(&c.fast, &|op| matches!(op, Op::IndexedWhere { .. })));
        // A parameter bound to anything else keeps its binding.
        let c = numerator_after(
            "define painful(x) = x.score >= 4",
            "exists (assessments as a where painful(first assessments))",
        );
        assert!(any(&c.fast, &|op| matches!(op, Op::Let { .. })));
    }

    #[test]
    fn a_window_relative_to_an_outer_element_reads_a_sorted_index() {
        let c = numerator(
            "exists (regimens as r where exists (regimens as s where \
             s.start_date within 30 days before r.start_date))",
        );
        assert!(any(&c.fast, &|op| matches!(
            op,
            Op::RangeWhere { ordered: false, .. }
        )));
        // Where the order of the elements matters, they are put back in list order.
        let c = numerator(
            "exists (regimens as r where first (regimens as s where \
             s.start_date > r.start_date).id = r.id)",
        );
        assert!(any(&c.fast, &|op| matches!(
            op,
            Op::RangeWhere { ordered: true, .. }
        )));
        // A bound that reads the element itself is no range.
        let c = numerator("exists (regimens where start_date > end_date)");
        assert!(!any(&c.fast, &|op| matches!(op, Op::RangeWhere { .. })));
    }

    #[test]
    fn a_long_and_chain_is_rebuilt_balanced_in_the_same_order() {
        let parts: Vec<Node> = (0..1000)
            .map(|i| {
                Node::new(
                    Op::Const(Const::Bool(i % 2 == 0)),
                    crate::dsl::Span::new(i, i + 1),
                )
            })
            .collect();
        let n = balanced(parts, true, crate::dsl::Span::new(0, 1));
        fn leaves(n: &Node, out: &mut Vec<usize>) {
            match &n.op {
                Op::And(a, b) => {
                    leaves(a, out);
                    leaves(b, out);
                }
                _ => out.push(n.span.start as usize),
            }
        }
        let mut order = Vec::new();
        leaves(&n, &mut order);
        assert_eq!(order, (0..1000).collect::<Vec<_>>());
        assert!(n.depth(&[]) <= 11, "{}", n.depth(&[]));
    }
}
