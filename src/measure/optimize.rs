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

use super::ir::{Cmp, Const, Node, Op, Order, Range};
use crate::dsl::Span;

/// The rewritten node and the frame size it needs (cache cells are fresh locals above
/// `locals`).
///
/// `node` is checked logic: the compiler refused anything deeper than
/// `lower::MAX_EVAL_DEPTH` before this runs. Every pass but the last is a bottom-up
/// [`Node::rewrite`] (safe at any depth) and the cost, caching and free-variable tests walk
/// with explicit stacks; only `clone` and the hoisting pass ([`Optimizer::hoist_in`], whose
/// state is scoped by the loops it enters) recurse, within that checked depth.
pub(crate) fn optimize(node: &Node, locals: u32) -> (Node, u32) {
    let mut o = Optimizer { next: locals };
    let n = node.clone().rewrite(&mut inline_alias);
    let n = n.rewrite(&mut reorder);
    let n = n.rewrite(&mut propagate_root);
    let n = n.rewrite(&mut index_scan);
    let n = n.rewrite(&mut |mut n| {
        n.unorder_range_scan();
        n
    });
    let n = o.hoist_in(n);
    (n, o.next)
}

/// Relative cost of evaluating a node once (a rough count of the work, loops weighted): the
/// sum of each node's own cost times the weights of the loops around it, walked with an
/// explicit stack. (Saturating: with weights of at least one this is the exact sum, or
/// `u64::MAX` when that overflows, as a recursive sum would give.)
fn cost(n: &Node) -> u64 {
    const LOOP: u64 = 8;
    if n.is_leaf() {
        return if matches!(n.op(), Op::Slot(_)) { 2 } else { 1 };
    }
    let mut total: u64 = 0;
    let mut stack: Vec<(&Node, u64)> = vec![(n, 1)];
    while let Some((n, weight)) = stack.pop() {
        // The node's own cost, and the weight of what it runs per element (its last child).
        let (own, inside) = match n.op() {
            Op::Where { .. } | Op::Sorted { .. } | Op::Quantified { .. } => (2, LOOP),
            Op::IndexedWhere { .. } => (2, LOOP / 2),
            Op::RangeWhere { .. } => (3, LOOP / 2),
            Op::KeyedWhere { .. } => (3, 1),
            // A list projection or a query over a list-valued expression walks it.
            Op::MapField(..) | Op::Exists(_) | Op::Count(_) | Op::First(_) | Op::Last(_) => (4, 1),
            Op::Call(..) | Op::Within { .. } | Op::InValueSet(..) => (3, 1),
            Op::Cached { .. } | Op::Slot(_) => {
                total = total.saturating_add(weight.saturating_mul(2));
                continue;
            }
            _ => (1, 1),
        };
        total = total.saturating_add(weight.saturating_mul(own));
        let at = stack.len();
        stack.extend(n.children().map(|c| (c, weight)));
        if inside != 1
            && stack.len() > at
            && let Some(last) = stack.last_mut()
        {
            last.1 = weight.saturating_mul(inside);
        }
    }
    total
}

/// Reorders an `and` / `or` chain (whose operands are already reordered), cheapest operand
/// first (stable for equal costs).
fn reorder(n: Node) -> Node {
    let and = match n.op() {
        Op::And(..) => true,
        Op::Or(..) => false,
        _ => return n,
    };
    let span = n.span();
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
fn balanced(mut parts: Vec<Node>, and: bool, span: Span) -> Node {
    while parts.len() > 1 {
        let mut next = Vec::with_capacity(parts.len().div_ceil(2));
        let mut it = parts.into_iter();
        while let Some(a) = it.next() {
            match it.next() {
                Some(b) => {
                    let span = a.span();
                    next.push(if and {
                        Node::and(a, b, span)
                    } else {
                        Node::or(a, b, span)
                    });
                }
                None => next.push(a),
            }
        }
        parts = next;
    }
    parts.pop().unwrap_or_else(|| Node::boolean(and, span))
}

/// The operands of the `and` (or `or`) chain `n`, left to right (an explicit stack).
fn flatten(n: Node, and: bool, out: &mut Vec<Node>) {
    let mut stack = vec![n];
    while let Some(n) = stack.pop() {
        let chained = match n.op() {
            Op::And(..) => and,
            Op::Or(..) => !and,
            _ => false,
        };
        if !chained {
            out.push(n);
            continue;
        }
        if let Op::And(a, b) | Op::Or(a, b) = n.into_op() {
            stack.push(*b);
            stack.push(*a);
        }
    }
}

/// Turns `root where field = value and ...` (or `field in [values]`) over a chart root
/// list, for an enumeration field of the element, into an indexed lookup.
fn index_scan(n: Node) -> Node {
    let span = n.span();
    let Op::Where { list, .. } = n.op() else {
        return n;
    };
    let Op::Root(root, _) = *list.op() else {
        return n;
    };
    let Op::Where { list, local, pred } = n.into_op() else {
        return Node::missing(span);
    };
    let mut parts = Vec::new();
    flatten(*pred, true, &mut parts);
    let Some((k, (field, values))) = parts
        .iter()
        .enumerate()
        .find_map(|(k, p)| enum_key(p, local).map(|key| (k, key)))
    else {
        return keyed_scan(root, local, parts, *list, span);
    };
    parts.remove(k);
    let pred = if parts.is_empty() {
        Node::boolean(true, span)
    } else {
        rebuild_and(parts, span)
    };
    Node::indexed_where(root, field, values, local, pred, span)
}

/// `root where local.field = key and ...` with a `key` that does not read the element: a
/// lookup in a hash index of the root list by that field. Otherwise the query as it was.
fn keyed_scan(root: u16, local: u32, parts: Vec<Node>, list: Node, span: Span) -> Node {
    let mut keys: Vec<(u16, Node)> = Vec::new();
    let mut rest = Vec::new();
    for part in parts {
        if keys.len() < 2
            && let Some(field) = equality_key(&part, local)
            && !keys.iter().any(|(f, _)| *f == field)
        {
            // The element's field is on the left: the key is on the right.
            let key_on_right = matches!(part.op(), Op::Cmp(_, a, _)
                if matches!(a.op(), Op::Field(base, f, _)
                    if *f == field && matches!(base.op(), Op::Local(l) if *l == local)));
            if let Op::Cmp(_, a, b) = part.into_op() {
                keys.push((field, if key_on_right { *b } else { *a }));
            }
        } else {
            rest.push(part);
        }
    }
    let pred = if rest.is_empty() {
        Node::boolean(true, span)
    } else {
        rebuild_and(rest, span)
    };
    let mut keys = keys.into_iter();
    let Some(first) = keys.next() else {
        return range_scan(root, local, pred, list, span);
    };
    Node::keyed_where(root, first, keys.next(), local, pred, span)
}

/// `root where local.field <range> and ...` with bounds that do not read the element: a
/// binary search in a sorted index of the root list. Otherwise the query as it was.
fn range_scan(root: u16, local: u32, pred: Node, list: Node, span: Span) -> Node {
    let mut parts = Vec::new();
    flatten(pred, true, &mut parts);
    let found = parts.iter().find_map(|p| range_key(p, local));
    let pred = rebuild_and(parts, span);
    match found {
        Some((field, range)) => Node::range_where(root, field, range, local, pred, span),
        None => Node::where_(list, local, pred, span),
    }
}

/// `local.field <cmp> bound`, `local.field within ... anchor` or `local.field during p`
/// (bounds not reading `local`): the field and the range, the field on the left.
fn range_key(n: &Node, local: u32) -> Option<(u16, Range)> {
    let of_element = |x: &Node| match x.op() {
        Op::Field(base, field, _) if matches!(base.op(), Op::Local(l) if *l == local) => {
            Some(*field)
        }
        _ => None,
    };
    let flip = |c: Cmp| match c {
        Cmp::Lt => Cmp::Gt,
        Cmp::Le => Cmp::Ge,
        Cmp::Gt => Cmp::Lt,
        Cmp::Ge => Cmp::Le,
        other => other,
    };
    match n.op() {
        Op::FieldCmpConst {
            local: l,
            field,
            cmp,
            value: value @ (Const::Date(_) | Const::Num(_)),
            ..
        } if *l == local => {
            let order = Order::of(*cmp)?;
            let bound = Node::constant(value.clone(), n.span()).ok()?;
            Some((*field, Range::Cmp(order, bound)))
        }
        Op::Cmp(cmp, a, b) => {
            let order = Order::of(*cmp)?;
            match (of_element(a), of_element(b)) {
                (Some(f), None) if !reads_any(b, &[local]) => {
                    Some((f, Range::Cmp(order, (**b).clone())))
                }
                (None, Some(f)) if !reads_any(a, &[local]) => {
                    Some((f, Range::Cmp(Order::of(flip(*cmp))?, (**a).clone())))
                }
                _ => None,
            }
        }
        Op::Within {
            value,
            length,
            direction,
            anchor,
            ..
        } => {
            // A window with an edge left out (a mutant's) keeps fewer elements than the
            // range scans: the predicate, which holds the window, still decides.
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
        Op::During(value, period, _) => {
            let f = of_element(value)?;
            (!reads_any(period, &[local])).then(|| (f, Range::During((**period).clone())))
        }
        _ => None,
    }
}

/// `local.field = key` (either way round) where `key` does not read `local`.
fn equality_key(n: &Node, local: u32) -> Option<u16> {
    let Op::Cmp(Cmp::Eq, a, b) = n.op() else {
        return None;
    };
    let of_element = |x: &Node| match x.op() {
        Op::Field(base, field, _) if matches!(base.op(), Op::Local(l) if *l == local) => {
            Some(*field)
        }
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
fn inline_alias(n: Node) -> Node {
    let Op::Let { value, .. } = n.op() else {
        return n;
    };
    let Op::Local(to) = *value.op() else {
        return n;
    };
    let span = n.span();
    match n.into_op() {
        Op::Let { local, body, .. } => rename(*body, local, to),
        _ => Node::missing(span),
    }
}

/// `n` with every read of local `from` (plain or fused into a field test) made a read of
/// local `to`. Locals are numbered per scope, so `to` is not rebound inside `n`.
fn rename(n: Node, from: u32, to: u32) -> Node {
    n.rewrite(&mut |mut n| {
        n.rename_local(from, to);
        n
    })
}

/// Replaces a define parameter bound to a chart root list by the root itself, so queries
/// over it can be indexed (`cycle_day1_date(administrations, a)`).
fn propagate_root(n: Node) -> Node {
    let Op::Let { value, .. } = n.op() else {
        return n;
    };
    if !matches!(value.op(), Op::Root(..)) {
        return n;
    }
    let span = n.span();
    match n.into_op() {
        Op::Let {
            local,
            value,
            body,
            file,
        } => {
            let body = body.rewrite(&mut |n| {
                if matches!(n.op(), Op::Local(l) if *l == local) {
                    value.clone_at(n.span())
                } else {
                    n
                }
            });
            Node::bind(local, *value, body, file, span)
        }
        _ => Node::missing(span),
    }
}

/// `local.field = enum value` or `local.field in [enum values]`: the field and the values.
fn enum_key(n: &Node, local: u32) -> Option<(u16, Box<[u16]>)> {
    match n.op() {
        Op::FieldCmpConst {
            local: l,
            field,
            cmp: Cmp::Eq,
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
fn rebuild_and(parts: Vec<Node>, span: Span) -> Node {
    balanced(parts, true, span)
}

struct Optimizer {
    next: u32,
}

impl Optimizer {
    /// Hoists loop invariants out of every loop in `n`, outermost loops first. Recursive:
    /// each loop's cells and bound locals are scoped by the recursion, within the checked
    /// depth of `n` (see [`optimize`]).
    fn hoist_in(&mut self, mut n: Node) -> Node {
        let mut cells = Vec::new();
        match n.binder_mut() {
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
        let span = n.span();
        Node::fresh(cells, n, span)
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
            let span = n.span();
            return Node::cached(cell, n, span);
        }
        match n.binder_mut() {
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

/// Takes a node out, leaving a placeholder to be overwritten.
fn take_node(n: &mut Node) -> Node {
    let span = n.span();
    std::mem::replace(n, Node::missing(span))
}

/// Whether caching `n` saves work: it walks a list, calls a function or binds a define's
/// parameters, or holds such a node (outside a list literal's `in`). Plain field reads,
/// constants and single comparisons cost about as much as the cache itself.
fn worth_caching(n: &Node) -> bool {
    if n.is_leaf() {
        return false;
    }
    let mut walk = n.walk();
    while let Some((_, m)) = walk.next() {
        match m.op() {
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
            | Op::InValueSet(..) => return true,
            Op::In(_, list, _) => {
                if !matches!(list.op(), Op::MakeList(_)) {
                    return true;
                }
                walk.skip_children();
            }
            _ => {}
        }
    }
    false
}

/// The local a node reads directly (a plain read or a fused field test).
fn read_local(n: &Node) -> Option<u32> {
    match n.op() {
        Op::Local(i) | Op::FieldCmpConst { local: i, .. } | Op::FieldInConsts { local: i, .. } => {
            Some(*i)
        }
        _ => None,
    }
}

/// The local a node binds for its last child (a query's element, a `let`'s parameter).
fn bound_local(n: &Node) -> Option<u32> {
    match n.op() {
        Op::Where { local, .. }
        | Op::Sorted { local, .. }
        | Op::Quantified { local, .. }
        | Op::IndexedWhere { local, .. }
        | Op::KeyedWhere { local, .. }
        | Op::RangeWhere { local, .. }
        | Op::Let { local, .. } => Some(*local),
        _ => None,
    }
}

/// Whether `n` reads any of `locals` (as a free variable), walked with an explicit stack
/// whose entries carry the locals still free there.
fn reads_any(n: &Node, locals: &[u32]) -> bool {
    if let Some(i) = read_local(n) {
        return locals.contains(&i);
    }
    if locals.is_empty() || n.is_leaf() {
        return false;
    }
    // The sets of free locals narrowed by binders; an entry's set is `locals` (0) or one
    // of these (1 and up).
    let mut narrowed: Vec<Vec<u32>> = Vec::new();
    let mut stack: Vec<(&Node, usize)> = vec![(n, 0)];
    while let Some((m, s)) = stack.pop() {
        let free = match s.checked_sub(1) {
            None => locals,
            Some(k) => match narrowed.get(k) {
                Some(set) => set.as_slice(),
                None => continue,
            },
        };
        if let Some(i) = read_local(m) {
            if free.contains(&i) {
                return true;
            }
            continue;
        }
        let at = stack.len();
        stack.extend(m.children().map(|c| (c, s)));
        // A binder's local is rebound inside it (its last child): there it is shadowed.
        if let Some(local) = bound_local(m)
            && free.contains(&local)
            && stack.len() > at
        {
            let rest: Vec<u32> = free.iter().copied().filter(|l| *l != local).collect();
            if rest.is_empty() {
                stack.pop();
            } else {
                narrowed.push(rest);
                let id = narrowed.len();
                if let Some(last) = stack.last_mut() {
                    last.1 = id;
                }
            }
        }
    }
    false
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
        n.walk().any(|(_, m)| f(m.op()))
    }

    #[test]
    fn an_and_chain_runs_its_cheapest_operand_first() {
        let c = numerator("(exists (assessments where kind = pain)) and patient.sex = female");
        let Op::And(first, _) = c.node.op() else {
            panic!("an and")
        };
        assert!(matches!(first.op(), Op::Exists(_)), "as written");
        let Op::And(first, _) = c.fast.op() else {
            panic!("an and")
        };
        assert!(matches!(first.op(), Op::Cmp(..)), "cheapest first");
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
    fn cost_caching_and_free_locals_walk_a_100_000_deep_chain_on_a_small_stack() {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let at = Span::new(0, 1);
                // `exists (... (not (not (exists (local 1))))`, all under a query binding local 2.
                let mut n = Node::exists(Node::local(1, at), at);
                for _ in 0..100_000 {
                    n = Node::not(n, at);
                }
                assert_eq!(cost(&n), 100_000 + 4 + 1);
                assert!(worth_caching(&n), "an `exists` deep inside");
                assert!(reads_any(&n, &[1]));
                assert!(!reads_any(&n, &[2]));
                let q = Node::where_(Node::local(0, at), 1, n, at);
                assert!(!reads_any(&q, &[1]), "local 1 is bound by the query");
                assert!(reads_any(&q, &[0, 1]), "its list reads local 0");
                assert_eq!(cost(&q), 2 + 1 + 8 * (100_000 + 4 + 1));
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn a_long_and_chain_is_rebuilt_balanced_in_the_same_order() {
        let parts: Vec<Node> = (0..1000)
            .map(|i| Node::boolean(i % 2 == 0, Span::new(i, i + 1)))
            .collect();
        let n = balanced(parts, true, Span::new(0, 1));
        fn leaves(n: &Node, out: &mut Vec<usize>) {
            match n.op() {
                Op::And(a, b) => {
                    leaves(a, out);
                    leaves(b, out);
                }
                _ => out.push(n.span().start as usize),
            }
        }
        let mut order = Vec::new();
        leaves(&n, &mut order);
        assert_eq!(order, (0..1000).collect::<Vec<_>>());
        assert!(n.depth(&[]) <= 11, "{}", n.depth(&[]));
    }
}
