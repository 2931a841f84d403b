//! The checker and compiler of expressions: resolves every name (element fields, aliases,
//! parameters, defines, chart roots, `reporting_period`, enumeration values), types every
//! expression and lowers it to the IR in one pass, reporting every error it finds.
use std::collections::HashMap;

use rust_decimal::Decimal;

use super::facts::Resolved;
use super::ir::{
    Arith, Builtin, Cmp, Const, IrError, MAX_BAND_CUT, MAX_BAND_CUTS, Node, Param, Ty,
};
use crate::chart::Date;
use crate::chart::schema::{BaseType, FieldType, RecordSchema, Scalar};
use crate::dsl::ast::{BinOp, Define, Expr, ExprKind, Name, Unit};
use crate::dsl::{Diagnostic, Span, did_you_mean};

/// A parsed file as the compiler sees it.
pub(crate) struct Unit0<'f> {
    /// Its own defines by name.
    pub(crate) defines: HashMap<&'f str, &'f Define>,
    /// The library files it uses (indices into the compiler's files), in `use` order.
    pub(crate) uses: Vec<usize>,
}

/// The state of a parameterless define's compilation.
#[derive(Clone)]
enum DefState {
    InProgress,
    Done(u32, Ty),
    Failed,
}

/// A compiled parameterless define: evaluated at most once per chart.
#[derive(Clone)]
pub(crate) struct SlotDef {
    pub(crate) name: String,
    pub(crate) file: usize,
    pub(crate) node: Node,
    pub(crate) locals: u32,
    /// The evaluation copy of `node` (`optimize`), and its frame size.
    pub(crate) fast: Node,
    pub(crate) fast_locals: u32,
}

/// Deepest evaluation recursion a top-level expression may need, through its defines. The
/// bundled library needs at most 48; every stage after the parser recurses on the tree, and
/// this bound keeps that recursion within a 2 MiB thread stack even in a debug build.
pub(crate) const MAX_EVAL_DEPTH: u32 = 96;
/// Deepest chain of defines using defines.
const MAX_DEFINE_NESTING: u32 = 24;
/// Deepest chain of parameterised defines inlined into one another.
const MAX_INLINE_NESTING: usize = 16;
/// Most operations the bodies of parameterised defines may add to one top-level expression
/// when inlined. A define is copied at each call, so a define calling another twice, that
/// one calling a third twice, and so on, doubles per level: without a bound fourteen short
/// lines expand to tens of thousands of operations (and twenty to millions).
pub(crate) const MAX_INLINED_OPS: u32 = 20_000;

/// Library-wide compilation state: every file, the shared slots, value sets.
pub(crate) struct Compiler<'f> {
    pub(crate) units: Vec<Unit0<'f>>,
    pub(crate) diags: Vec<Vec<Diagnostic>>,
    pub(crate) slots: Vec<SlotDef>,
    states: HashMap<(usize, &'f str), DefState>,
    pub(crate) valuesets: HashMap<String, u32>,
    chart: &'static RecordSchema,
    /// Evaluation depth of each slot's body.
    slot_depth: Vec<u32>,
    define_nesting: u32,
    /// What names resolved to, recorded for editors when asked (`facts::analyse`).
    pub(crate) facts: Option<super::facts::Facts>,
}

impl<'f> Compiler<'f> {
    pub(crate) fn new(units: Vec<Unit0<'f>>, valuesets: HashMap<String, u32>) -> Self {
        let n = units.len();
        Compiler {
            units,
            diags: vec![Vec::new(); n],
            slots: Vec::new(),
            states: HashMap::new(),
            valuesets,
            chart: crate::chart::schema().chart,
            slot_depth: Vec::new(),
            define_nesting: 0,
            facts: None,
        }
    }

    /// Records what the name at `span` of `file` resolved to (only when recording).
    fn note(&mut self, file: usize, span: Span, what: impl FnOnce() -> Resolved, ty: Option<&Ty>) {
        if let Some(f) = self.facts.as_mut() {
            f.note(file, span, what(), ty.cloned());
        }
    }

    /// Records the element a query condition of `file` has in scope (only when recording).
    fn note_scope(&mut self, file: usize, span: Span, ty: &Ty, alias: Option<&Name>) {
        if let Some(f) = self.facts.as_mut() {
            f.note_scope(file, span, ty.clone(), alias.map(|a| a.text.clone()));
        }
    }

    pub(crate) fn error(&mut self, file: usize, d: Diagnostic) {
        // `file` is an index of `units`, and `diags` holds one list per unit (see `new`).
        let Some(list) = self.diags.get_mut(file) else {
            return;
        };
        if !list
            .iter()
            .any(|e| e.span == d.span && e.message == d.message)
        {
            list.push(d);
        }
    }

    /// Compiles a top-level expression of `file` (a population or stratifier) in a fresh
    /// frame; returns the node, its type and the frame size.
    pub(crate) fn top(&mut self, file: usize, expr: &'f Expr) -> (Node, Ty, u32) {
        let mut l = Lowerer {
            file,
            scopes: Vec::new(),
            next_local: 0,
            max_local: 0,
            inlining: Vec::new(),
            depth: 0,
            inlined_ops: 0,
            refused: false,
        };
        let (node, ty) = l.expr(self, expr, None);
        if l.refused {
            return (Node::missing(expr.span), Ty::Any, 0);
        }
        let node = node.fuse();
        let depth = node.depth(&self.slot_depth);
        if depth > MAX_EVAL_DEPTH {
            self.error(
                file,
                Diagnostic::error(
                    "E0215",
                    expr.span,
                    format!("this logic nests {depth} levels deep through its defines (at most {MAX_EVAL_DEPTH})"),
                )
                .with_help("flatten the chain of defines"),
            );
            return (Node::missing(expr.span), Ty::Any, 0);
        }
        (node, ty, l.max_local)
    }

    /// The slot of a parameterless define of `file`, compiling it on first use.
    fn define_slot(&mut self, file: usize, def: &'f Define) -> Option<(u32, Ty)> {
        let key = (file, def.name.text.as_str());
        match self.states.get(&key) {
            Some(DefState::Done(slot, ty)) => return Some((*slot, ty.clone())),
            Some(DefState::Failed) => return None,
            Some(DefState::InProgress) => {
                self.error(
                    file,
                    Diagnostic::error(
                        "E0206",
                        def.name.span,
                        format!("define `{}` depends on itself", def.name.text),
                    )
                    .with_help("a define cannot use itself, directly or through other defines"),
                );
                self.states.insert(key, DefState::Failed);
                return None;
            }
            None => {}
        }
        if self.define_nesting >= MAX_DEFINE_NESTING {
            self.error(
                file,
                Diagnostic::error(
                    "E0215",
                    def.name.span,
                    format!("defines nest more than {MAX_DEFINE_NESTING} deep here"),
                )
                .with_help("flatten the chain of defines"),
            );
            self.states.insert(key, DefState::Failed);
            return None;
        }
        self.states.insert(key, DefState::InProgress);
        // Bounded by `MAX_DEFINE_NESTING` just above.
        self.define_nesting = self.define_nesting.saturating_add(1);
        let (node, ty, locals) = self.top(file, &def.body);
        self.define_nesting = self.define_nesting.saturating_sub(1);
        if matches!(self.states.get(&key), Some(DefState::Failed)) {
            return None;
        }
        let slot = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        self.slot_depth.push(node.depth(&self.slot_depth));
        let (fast, fast_locals) = super::optimize::optimize(&node, locals);
        self.slots.push(SlotDef {
            name: def.name.text.clone(),
            file,
            node,
            locals,
            fast,
            fast_locals,
        });
        self.states.insert(key, DefState::Done(slot, ty.clone()));
        if let Some(f) = self.facts.as_mut() {
            f.note_define(file, &def.name.text, ty.clone());
        }
        Some((slot, ty))
    }

    /// Compiles every parameterless define of `file` (so unused ones are checked too).
    pub(crate) fn check_all_defines(&mut self, file: usize, defines: &'f [Define]) {
        for d in defines {
            if d.params.is_empty() {
                self.define_slot(file, d);
            }
        }
    }

    /// A define visible from `file`: its own first, then those of the libraries it uses.
    fn find_define(&self, file: usize, name: &str) -> Option<(usize, &'f Define)> {
        let unit = self.units.get(file)?;
        if let Some(d) = unit.defines.get(name) {
            return Some((file, d));
        }
        unit.uses.iter().find_map(|&u| {
            self.units
                .get(u)
                .and_then(|used| used.defines.get(name))
                .map(|d| (u, *d))
        })
    }

    /// The dictionary path of `field` of `record` (`diagnoses.stage_group`), for traces.
    fn path_of(&self, record: &RecordSchema, field: &str) -> Box<str> {
        fn walk(r: &RecordSchema, target: &str, prefix: &str, depth: u8) -> Option<String> {
            if r.name == target {
                return Some(prefix.to_owned());
            }
            if depth > 4 {
                return None;
            }
            r.fields.iter().find_map(|f| match f.ty.base {
                BaseType::Record { schema } => {
                    let p = if prefix.is_empty() {
                        f.name.to_owned()
                    } else {
                        format!("{prefix}.{}", f.name)
                    };
                    walk(schema, target, &p, depth.saturating_add(1))
                }
                _ => None,
            })
        }
        match walk(self.chart, record.name, "", 0) {
            Some(p) if !p.is_empty() => format!("{p}.{field}").into(),
            _ => field.into(),
        }
    }

    fn visible_define_names(&self, file: usize) -> Vec<&'f str> {
        let Some(unit) = self.units.get(file) else {
            return Vec::new();
        };
        let mut names: Vec<&str> = unit.defines.keys().copied().collect();
        for used in unit.uses.iter().filter_map(|&u| self.units.get(u)) {
            names.extend(used.defines.keys().copied());
        }
        names
    }
}

struct Scope {
    alias: Option<String>,
    local: u32,
    ty: Ty,
    /// The element of a query: its fields are in scope by bare name.
    implicit: bool,
}

struct Lowerer {
    file: usize,
    scopes: Vec<Scope>,
    next_local: u32,
    max_local: u32,
    /// Parameterised defines being inlined (to refuse recursion).
    inlining: Vec<(usize, String)>,
    /// How deep `expr` is recursing now (through inlined bodies too).
    depth: u32,
    /// Operations lowered inside inlined bodies so far ([`MAX_INLINED_OPS`]).
    inlined_ops: u32,
    /// The expression was refused as too deep or too large (reported once): lowering
    /// stops descending.
    refused: bool,
}

fn missing(span: Span) -> (Node, Ty) {
    (Node::missing(span), Ty::Any)
}

pub(crate) fn field_ty(t: &FieldType) -> Option<Ty> {
    let base = match t.base {
        BaseType::Scalar { scalar } => match scalar {
            Scalar::Date => Ty::Date,
            Scalar::Number => Ty::Num,
            Scalar::Boolean => Ty::Bool,
            Scalar::Code => Ty::Code,
            Scalar::Id => Ty::Id,
            _ => return None,
        },
        BaseType::Enum { schema } => Ty::Enum(schema),
        BaseType::Record { schema } => Ty::Record(schema),
    };
    Some(if t.list { Ty::list_of(base) } else { base })
}

fn mismatch(span: Span, what: &str, expected: &str, found: &Ty) -> Diagnostic {
    Diagnostic::error(
        "E0202",
        span,
        format!("{what}: expected {expected}, found {found}"),
    )
}

impl Lowerer {
    fn alloc(&mut self) -> u32 {
        let l = self.next_local;
        // Saturating: one local per binder written or inlined, so a frame is bounded by the
        // spec's size (inlining by `MAX_INLINED_OPS`), far below `u32::MAX`.
        self.next_local = self.next_local.saturating_add(1);
        self.max_local = self.max_local.max(self.next_local);
        l
    }

    /// The node an IR constructor built, of type `ty`; or, when it refused (a check of the
    /// compiler's own that the constructor repeats: never in practice), the missing value
    /// after reporting the refusal under the code of that check.
    fn built(
        &self,
        c: &mut Compiler<'_>,
        span: Span,
        r: Result<Node, IrError>,
        ty: Ty,
    ) -> (Node, Ty) {
        match r {
            Ok(n) => (n, ty),
            Err(e) => {
                c.error(self.file, Diagnostic::error(e.code(), span, e.to_string()));
                missing(span)
            }
        }
    }

    fn expect<'f>(&mut self, c: &mut Compiler<'f>, e: &'f Expr, want: &Ty, what: &str) -> Node {
        let (n, t) = self.expr(c, e, Some(want));
        if t != Ty::Any && *want != Ty::Any && !t.comparable(want) {
            c.error(self.file, mismatch(e.span, what, &want.to_string(), &t));
        }
        n
    }

    fn expect_list<'f>(&mut self, c: &mut Compiler<'f>, e: &'f Expr, what: &str) -> (Node, Ty) {
        let (n, t) = self.expr(c, e, None);
        match t {
            Ty::List(el) => (n, *el),
            Ty::Any => (n, Ty::Any),
            other => {
                c.error(self.file, mismatch(e.span, what, "a list", &other));
                (n, Ty::Any)
            }
        }
    }

    /// Lowers `e`; `hint` is the type the context expects (used to resolve enumeration
    /// values written as bare names or strings).
    pub(crate) fn expr<'f>(
        &mut self,
        c: &mut Compiler<'f>,
        e: &'f Expr,
        hint: Option<&Ty>,
    ) -> (Node, Ty) {
        if self.refused {
            return missing(e.span);
        }
        if self.depth >= MAX_EVAL_DEPTH {
            // Checked before recursing: the compiled logic could not be evaluated anyway.
            self.refused = true;
            c.error(
                self.file,
                Diagnostic::error(
                    "E0215",
                    e.span,
                    format!(
                        "this logic nests more than {MAX_EVAL_DEPTH} levels deep, counting the \
                         bodies of parameterised defines"
                    ),
                )
                .with_help("flatten the chain of defines"),
            );
            return missing(e.span);
        }
        if !self.inlining.is_empty() {
            // Saturating: refused once past `MAX_INLINED_OPS`, far below `u32::MAX`.
            self.inlined_ops = self.inlined_ops.saturating_add(1);
            if self.inlined_ops > MAX_INLINED_OPS {
                // Reported by the outermost call when it returns, naming its define.
                self.refused = true;
                return missing(e.span);
            }
        }
        // Bounded by `MAX_EVAL_DEPTH` just above; saturating keeps the pair panic-free.
        self.depth = self.depth.saturating_add(1);
        let r = self.expr_inner(c, e, hint);
        self.depth = self.depth.saturating_sub(1);
        r
    }

    fn expr_inner<'f>(
        &mut self,
        c: &mut Compiler<'f>,
        e: &'f Expr,
        hint: Option<&Ty>,
    ) -> (Node, Ty) {
        let span = e.span;
        match &e.kind {
            ExprKind::Error => missing(span),
            ExprKind::Bool(b) => (Node::boolean(*b, span), Ty::Bool),
            ExprKind::Number(text) => match text.parse::<Decimal>() {
                Ok(d) => self.built(c, span, Node::constant(Const::Num(d), span), Ty::Num),
                Err(_) => {
                    c.error(
                        self.file,
                        Diagnostic::error("E0207", span, "number out of range"),
                    );
                    missing(span)
                }
            },
            ExprKind::Date(text) => match Date::parse(text) {
                Some(d) => self.built(c, span, Node::constant(Const::Date(d), span), Ty::Date),
                None => missing(span),
            },
            ExprKind::Str(text) => {
                if let Some(Ty::Enum(schema)) = hint {
                    return self.enum_value(c, schema, text, span);
                }
                let s = Const::Str(text.as_str().into());
                self.built(c, span, Node::constant(s, span), Ty::Str)
            }
            ExprKind::Name(name) => self.name(c, name, span, hint),
            ExprKind::Duration(amount, unit) => self.duration(c, amount, *unit, span),
            ExprKind::List(items) => {
                let mut el_ty = hint.and_then(|h| h.element().cloned());
                let mut nodes = Vec::with_capacity(items.len());
                for item in items {
                    let (n, t) = self.expr(c, item, el_ty.as_ref());
                    match &el_ty {
                        None | Some(Ty::Any) => el_ty = Some(t),
                        Some(want) => {
                            if !t.comparable(want) {
                                c.error(
                                    self.file,
                                    mismatch(
                                        item.span,
                                        "list items must have one type",
                                        &want.to_string(),
                                        &t,
                                    ),
                                );
                            }
                        }
                    }
                    nodes.push(n);
                }
                (
                    Node::list(nodes, span),
                    Ty::list_of(el_ty.unwrap_or(Ty::Any)),
                )
            }
            ExprKind::Field(base, field) => self.field(c, base, field, span),
            ExprKind::Call(name, args) => self.call(c, name, args, span),
            ExprKind::Not(inner) => {
                let n = self.expect(c, inner, &Ty::Bool, "`not` needs a boolean");
                (Node::not(n, span), Ty::Bool)
            }
            ExprKind::Neg(inner) => {
                let n = self.expect(c, inner, &Ty::Num, "`-` needs a number");
                (Node::neg(n, span), Ty::Num)
            }
            ExprKind::Binary(op, l, r) => self.binary(c, *op, l, r, span),
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                let (v, vt) = self.expr(c, value, None);
                let want = Ty::list_of(vt.clone());
                let (l, lt) = self.expr(c, list, Some(&want));
                match lt.element() {
                    Some(el) if el.comparable(&vt) => {}
                    _ if lt == Ty::Any => {}
                    _ => c.error(
                        self.file,
                        mismatch(
                            list.span,
                            "`in` needs a list of the value's type",
                            &want.to_string(),
                            &lt,
                        ),
                    ),
                }
                (Node::is_in(v, l, *negated, span), Ty::Bool)
            }
            ExprKind::InValueSet {
                value,
                name,
                negated,
            } => {
                let v = self.expect(c, value, &Ty::Code, "`in valueset` needs a code");
                let idx = c.valuesets.get(&name.text).copied();
                let Some(idx) = idx else {
                    let mut d = Diagnostic::error(
                        "E0211",
                        name.span,
                        format!("unknown value set `{}`", name.text),
                    );
                    if let Some(s) =
                        did_you_mean(&name.text, c.valuesets.keys().map(String::as_str))
                    {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    } else {
                        d = d.with_help("value sets live in `measure-specs/valuesets/<name>.json`");
                    }
                    c.error(self.file, d);
                    return (Node::missing(span), Ty::Bool);
                };
                let what = || Resolved::ValueSet {
                    name: name.text.clone(),
                };
                c.note(self.file, name.span, what, None);
                (Node::in_valueset(v, idx, *negated, span), Ty::Bool)
            }
            ExprKind::IsMissing(inner, present) => {
                let (n, _) = self.expr(c, inner, None);
                (Node::presence(n, *present, span), Ty::Bool)
            }
            ExprKind::During(value, period) => {
                let v = self.expect(c, value, &Ty::Date, "`during` tests a date");
                let p = self.expect(c, period, &Ty::Period, "`during` needs a period");
                (Node::during(v, p, span), Ty::Bool)
            }
            ExprKind::Within {
                value,
                length,
                direction,
                anchor,
            } => {
                let v = self.expect(c, value, &Ty::Date, "`within` tests a date");
                let len = self.expect(c, length, &Ty::Duration, "`within` needs a duration");
                let a = self.expect(c, anchor, &Ty::Date, "`within` needs a date to count from");
                (Node::within(v, len, *direction, a, span), Ty::Bool)
            }
            ExprKind::Where {
                list,
                alias,
                predicate,
            } => {
                let (l, el) = self.expect_list(c, list, "`where` filters a list");
                c.note_scope(self.file, predicate.span, &el, alias.as_ref());
                let (local, p) = self.with_element(c, el.clone(), alias.as_ref(), |this, c| {
                    this.expect(
                        c,
                        predicate,
                        &Ty::Bool,
                        "a `where` condition must be boolean",
                    )
                });
                (Node::where_(l, local, p, span), Ty::list_of(el))
            }
            ExprKind::SortedBy {
                list,
                key,
                descending,
            } => {
                let (l, el) = self.expect_list(c, list, "`sorted by` sorts a list");
                c.note_scope(self.file, key.span, &el, None);
                let (local, (k, kt)) =
                    self.with_element(c, el.clone(), None, |this, c| this.expr(c, key, None));
                if !kt.is_ordered() {
                    c.error(
                        self.file,
                        mismatch(
                            key.span,
                            "a sort key must be ordered",
                            "a number, date, string or enumeration",
                            &kt,
                        ),
                    );
                }
                (
                    Node::sorted(l, local, k, *descending, span),
                    Ty::list_of(el),
                )
            }
            ExprKind::Take(list, n) => {
                let (l, el) = self.expect_list(c, list, "`take` needs a list");
                let k = self.expect(c, n, &Ty::Num, "`take` needs a number");
                (Node::take(l, k, span), Ty::list_of(el))
            }
            ExprKind::Exists(list) => {
                let (l, _) = self.expect_list(c, list, "`exists` needs a list");
                (Node::exists(l, span), Ty::Bool)
            }
            ExprKind::Count(list) => {
                let (l, _) = self.expect_list(c, list, "`count` needs a list");
                (Node::count(l, span), Ty::Num)
            }
            ExprKind::First(list) => {
                let (l, el) = self.expect_list(c, list, "`first` needs a list");
                (Node::first(l, span), el)
            }
            ExprKind::Last(list) => {
                let (l, el) = self.expect_list(c, list, "`last` needs a list");
                (Node::last(l, span), el)
            }
            ExprKind::Quantified {
                all,
                list,
                alias,
                predicate,
            } => {
                let (l, el) = self.expect_list(c, list, "`all`/`any` needs a list");
                c.note_scope(self.file, predicate.span, &el, alias.as_ref());
                let (local, p) = self.with_element(c, el, alias.as_ref(), |this, c| {
                    this.expect(
                        c,
                        predicate,
                        &Ty::Bool,
                        "a `satisfy` condition must be boolean",
                    )
                });
                (Node::quantified(*all, l, local, p, span), Ty::Bool)
            }
            ExprKind::If(cond, a, b) => {
                let cn = self.expect(c, cond, &Ty::Bool, "an `if` condition must be boolean");
                let (an, at) = self.expr(c, a, hint);
                let (bn, bt) = self.expr(c, b, Some(&at).filter(|t| **t != Ty::Any).or(hint));
                if !at.unifies(&bt) {
                    c.error(
                        self.file,
                        mismatch(
                            b.span,
                            "both branches of `if` must have one type",
                            &at.to_string(),
                            &bt,
                        ),
                    );
                }
                let ty = if at == Ty::Any { bt } else { at };
                (Node::if_(cn, an, bn, span), ty)
            }
        }
    }

    /// Runs `f` with a query element of type `el` in scope (as `alias` when given).
    fn with_element<'f, T>(
        &mut self,
        c: &mut Compiler<'f>,
        el: Ty,
        alias: Option<&Name>,
        f: impl FnOnce(&mut Self, &mut Compiler<'f>) -> T,
    ) -> (u32, T) {
        let local = self.alloc();
        self.scopes.push(Scope {
            alias: alias.map(|a| a.text.clone()),
            local,
            implicit: true,
            ty: el,
        });
        let out = f(self, c);
        self.scopes.pop();
        // The local taken by `alloc` above is given back (never below zero).
        self.next_local = self.next_local.saturating_sub(1);
        (local, out)
    }

    fn enum_value(
        &mut self,
        c: &mut Compiler<'_>,
        schema: &'static crate::chart::schema::EnumSchema,
        text: &str,
        span: Span,
    ) -> (Node, Ty) {
        if let Some(i) = schema.values.iter().position(|v| *v == text) {
            let i = u16::try_from(i).unwrap_or(u16::MAX);
            let ty = Ty::Enum(schema);
            c.note(self.file, span, || Resolved::Enum { schema }, Some(&ty));
            let value = Node::constant(Const::Enum(schema, i), span);
            return self.built(c, span, value, Ty::Enum(schema));
        }
        let mut d = Diagnostic::error(
            "E0204",
            span,
            format!("`{text}` is not a value of {}", schema.name),
        );
        d = match did_you_mean(text, schema.values.iter().copied()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!("the values are: {}", schema.values.join(", "))),
        };
        c.error(self.file, d);
        (Node::missing(span), Ty::Enum(schema))
    }

    fn name<'f>(
        &mut self,
        c: &mut Compiler<'f>,
        name: &str,
        span: Span,
        hint: Option<&Ty>,
    ) -> (Node, Ty) {
        if let Some(Ty::Enum(schema)) = hint
            && schema.values.contains(&name)
        {
            return self.enum_value(c, schema, name, span);
        }
        for scope in self.scopes.iter().rev() {
            if scope.alias.as_deref() == Some(name) {
                let what = || Resolved::Local {
                    name: name.to_owned(),
                };
                c.note(self.file, span, what, Some(&scope.ty));
                return (Node::local(scope.local, span), scope.ty.clone());
            }
            if scope.implicit
                && let Ty::Record(r) = &scope.ty
                && let Some((i, f)) = r.fields.iter().enumerate().find(|(_, f)| f.name == name)
            {
                let record: &'static crate::chart::schema::RecordSchema = r;
                let what = || Resolved::Field { record, field: f };
                c.note(self.file, span, what, field_ty(&f.ty).as_ref());
                let Some(ty) = field_ty(&f.ty) else {
                    return self.unreadable(c, name, span);
                };
                let (r, local) = (*r, scope.local);
                let path = c.path_of(r, f.name);
                let field = Node::field(Node::local(local, span), r, i, path, span);
                return self.built(c, span, field, ty);
            }
        }
        if let Some((file, def)) = c.find_define(self.file, name) {
            let what = || Resolved::Define {
                file,
                name: name.to_owned(),
            };
            if !def.params.is_empty() {
                c.note(self.file, span, what, None);
                c.error(
                    self.file,
                    Diagnostic::error(
                        "E0205",
                        span,
                        format!(
                            "`{name}` takes {} argument(s): call it as `{name}(...)`",
                            def.params.len()
                        ),
                    ),
                );
                return missing(span);
            }
            return match c.define_slot(file, def) {
                Some((slot, ty)) => {
                    c.note(self.file, span, what, Some(&ty));
                    (Node::slot(slot, span), ty)
                }
                None => {
                    c.note(self.file, span, what, None);
                    missing(span)
                }
            };
        }
        if let Some((i, f)) = c
            .chart
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == name)
        {
            c.note(
                self.file,
                span,
                || Resolved::Root { field: f },
                field_ty(&f.ty).as_ref(),
            );
            let Some(ty) = field_ty(&f.ty) else {
                return self.unreadable(c, name, span);
            };
            return self.built(c, span, Node::root(i, span), ty);
        }
        if name == "reporting_period" {
            c.note(self.file, span, || Resolved::Period, Some(&Ty::Period));
            return (Node::param(Param::Period, span), Ty::Period);
        }
        if hint == Some(&Ty::Any) {
            // Compared with an expression that already failed: one error is enough.
            return missing(span);
        }
        if let Some(Ty::Enum(schema)) = hint {
            // Compared with an enumeration: the name was meant as one of its values.
            return self.enum_value(c, schema, name, span);
        }
        // Unknown: suggest the closest name in scope.
        let mut candidates: Vec<String> = Vec::new();
        for scope in &self.scopes {
            if let Some(a) = &scope.alias {
                candidates.push(a.clone());
            }
            if scope.implicit
                && let Ty::Record(r) = &scope.ty
            {
                candidates.extend(r.fields.iter().map(|f| f.name.to_owned()));
            }
        }
        candidates.extend(
            c.visible_define_names(self.file)
                .into_iter()
                .map(str::to_owned),
        );
        candidates.extend(c.chart.fields.iter().map(|f| f.name.to_owned()));
        candidates.push("reporting_period".to_owned());
        if let Some(Ty::Enum(schema)) = hint {
            candidates.extend(schema.values.iter().map(|v| (*v).to_owned()));
        }
        let mut d = Diagnostic::error("E0201", span, format!("unknown name `{name}`"));
        // `existx encounters`: else a misspelt keyword, one edit away, read as a name.
        if let Some(s) = did_you_mean(name, candidates.iter().map(String::as_str))
            .or_else(|| crate::dsl::keyword_like(name))
        {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else if let Some(Ty::Enum(schema)) = hint {
            d = d.with_help(format!(
                "{} values are: {}",
                schema.name,
                schema.values.join(", ")
            ));
        }
        c.error(self.file, d);
        missing(span)
    }

    fn unreadable(&mut self, c: &mut Compiler<'_>, name: &str, span: Span) -> (Node, Ty) {
        c.error(
            self.file,
            Diagnostic::error(
                "E0203",
                span,
                format!("`{name}` cannot be read by a measure"),
            ),
        );
        missing(span)
    }

    fn field<'f>(
        &mut self,
        c: &mut Compiler<'f>,
        base: &'f Expr,
        field: &Name,
        span: Span,
    ) -> (Node, Ty) {
        let (b, bt) = self.expr(c, base, None);
        let fname = field.text.as_str();
        let (record, through_list) = match &bt {
            Ty::Any => return missing(span),
            Ty::Period => {
                let part = match fname {
                    "start" => true,
                    "end" => false,
                    _ => {
                        let mut d = Diagnostic::error(
                            "E0203",
                            field.span,
                            format!("a period has no field `{fname}`"),
                        );
                        if let Some(s) = did_you_mean(fname, ["start", "end"]) {
                            d = d.with_help(format!("did you mean `{s}`?"));
                        } else {
                            d = d.with_help("a period has `start` and `end`");
                        }
                        c.error(self.file, d);
                        return missing(span);
                    }
                };
                c.note(self.file, field.span, || Resolved::Period, Some(&Ty::Date));
                return (Node::period_part(b, part, span), Ty::Date);
            }
            Ty::Record(r) => (*r, false),
            Ty::List(el) => match el.as_ref() {
                Ty::Record(r) => (*r, true),
                Ty::Any => return missing(span),
                other => {
                    c.error(
                        self.file,
                        Diagnostic::error(
                            "E0203",
                            field.span,
                            format!("a list of {other} has no fields"),
                        ),
                    );
                    return missing(span);
                }
            },
            other => {
                c.error(
                    self.file,
                    Diagnostic::error(
                        "E0203",
                        field.span,
                        format!("a value of type {other} has no field `{fname}`"),
                    ),
                );
                return missing(span);
            }
        };
        let Some((i, f)) = record
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == fname)
        else {
            let mut d = Diagnostic::error(
                "E0203",
                field.span,
                format!("{} has no field `{fname}`", record.name),
            );
            if let Some(s) = did_you_mean(fname, record.fields.iter().map(|f| f.name)) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else {
                let names: Vec<&str> = record.fields.iter().map(|f| f.name).collect();
                d = d.with_help(format!("its fields are: {}", names.join(", ")));
            }
            c.error(self.file, d);
            return missing(span);
        };
        c.note(
            self.file,
            field.span,
            || Resolved::Field { record, field: f },
            field_ty(&f.ty).as_ref(),
        );
        let Some(ty) = field_ty(&f.ty) else {
            return self.unreadable(c, fname, field.span);
        };
        let path = c.path_of(record, f.name);
        if through_list {
            let el = match ty {
                Ty::List(t) => *t,
                t => t,
            };
            let field = Node::map_field(b, record, i, path, span);
            self.built(c, span, field, Ty::list_of(el))
        } else {
            self.built(c, span, Node::field(b, record, i, path, span), ty)
        }
    }

    fn duration<'f>(
        &mut self,
        c: &mut Compiler<'f>,
        amount: &'f Expr,
        unit: Unit,
        span: Span,
    ) -> (Node, Ty) {
        if let ExprKind::Number(text) = &amount.kind {
            return match text.parse::<i64>() {
                Ok(n) => {
                    let d = Node::constant(Const::Duration(n, unit), span);
                    self.built(c, span, d, Ty::Duration)
                }
                Err(_) => {
                    c.error(
                        self.file,
                        Diagnostic::error("E0207", amount.span, "a duration needs a whole number"),
                    );
                    missing(span)
                }
            };
        }
        let n = self.expect(c, amount, &Ty::Num, "a duration needs a number");
        (Node::duration(n, unit, span), Ty::Duration)
    }

    fn binary<'f>(
        &mut self,
        c: &mut Compiler<'f>,
        op: BinOp,
        l: &'f Expr,
        r: &'f Expr,
        span: Span,
    ) -> (Node, Ty) {
        match op {
            BinOp::And | BinOp::Or => {
                let a = self.expect(c, l, &Ty::Bool, "`and`/`or` needs booleans");
                let b = self.expect(c, r, &Ty::Bool, "`and`/`or` needs booleans");
                let n = if op == BinOp::And {
                    Node::and(a, b, span)
                } else {
                    Node::or(a, b, span)
                };
                (n, Ty::Bool)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                // Lower the side that can stand alone first, so a bare enumeration value on
                // either side resolves against the other side's type.
                let bare = |e: &Expr| matches!(e.kind, ExprKind::Name(_) | ExprKind::Str(_));
                let (ln, lt, rn, rt) = if bare(l) && !bare(r) {
                    let (rn, rt) = self.expr(c, r, None);
                    let (ln, lt) = self.expr(c, l, Some(&rt));
                    (ln, lt, rn, rt)
                } else {
                    let (ln, lt) = self.expr(c, l, None);
                    let (rn, rt) = self.expr(c, r, Some(&lt));
                    (ln, lt, rn, rt)
                };
                let cmp = match op {
                    BinOp::Eq => Cmp::Eq,
                    BinOp::Ne => Cmp::Ne,
                    BinOp::Lt => Cmp::Lt,
                    BinOp::Le => Cmp::Le,
                    BinOp::Gt => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                if !lt.comparable(&rt) {
                    c.error(
                        self.file,
                        Diagnostic::error("E0202", span, format!("cannot compare {lt} with {rt}"))
                            .with_label(l.span, format!("this is {lt}"))
                            .with_label(r.span, format!("this is {rt}")),
                    );
                } else if !(matches!(cmp, Cmp::Eq | Cmp::Ne) || lt.is_ordered() && rt.is_ordered())
                {
                    c.error(
                        self.file,
                        Diagnostic::error("E0202", span, format!("{lt} values have no order")),
                    );
                }
                (Node::cmp(cmp, ln, rn, span), Ty::Bool)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let (ln, lt) = self.expr(c, l, None);
                let (rn, rt) = self.expr(c, r, None);
                let arith = match op {
                    BinOp::Add => Arith::Add,
                    BinOp::Sub => Arith::Sub,
                    BinOp::Mul => Arith::Mul,
                    _ => Arith::Div,
                };
                let ty = match (&lt, &rt, arith) {
                    (Ty::Num, Ty::Num, _) => Ty::Num,
                    (Ty::Date, Ty::Duration, Arith::Add | Arith::Sub) => Ty::Date,
                    (Ty::Duration, Ty::Date, Arith::Add) => Ty::Date,
                    (Ty::Any, _, _) | (_, Ty::Any, _) => Ty::Any,
                    _ => {
                        c.error(
                            self.file,
                            Diagnostic::error(
                                "E0202",
                                span,
                                format!("cannot apply this operator to {lt} and {rt}"),
                            )
                            .with_help(
                                "numbers combine with numbers; a date takes `+`/`-` a duration \
                                 (`date + 14 days`); use `days_between(a, b)` for a difference",
                            ),
                        );
                        Ty::Any
                    }
                };
                let (ln, rn) = if matches!(lt, Ty::Duration) {
                    (rn, ln)
                } else {
                    (ln, rn)
                };
                (Node::arith(arith, ln, rn, span), ty)
            }
        }
    }

    fn call<'f>(
        &mut self,
        c: &mut Compiler<'f>,
        name: &Name,
        args: &'f [Expr],
        span: Span,
    ) -> (Node, Ty) {
        if let Some(b) = Builtin::from_name(&name.text) {
            c.note(
                self.file,
                name.span,
                || Resolved::Builtin { name: b.name() },
                None,
            );
            return self.builtin(c, b, name, args, span);
        }
        let Some((file, def)) = c.find_define(self.file, &name.text) else {
            let mut cands: Vec<&str> = Builtin::ALL.iter().map(|(n, _)| *n).collect();
            let defs = c.visible_define_names(self.file);
            cands.extend(defs.iter().copied());
            let mut d = Diagnostic::error(
                "E0205",
                name.span,
                format!("unknown function `{}`", name.text),
            );
            // `cuont(encounters)`: else a keyword written as a call, one edit away.
            if let Some(s) =
                did_you_mean(&name.text, cands).or_else(|| crate::dsl::keyword_like(&name.text))
            {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            c.error(self.file, d);
            return missing(span);
        };
        if def.params.len() != args.len() {
            c.error(
                self.file,
                Diagnostic::error(
                    "E0205",
                    span,
                    format!(
                        "`{}` takes {} argument(s), {} given",
                        name.text,
                        def.params.len(),
                        args.len()
                    ),
                )
                .with_label(def.name.span, "defined here"),
            );
            return missing(span);
        }
        if self
            .inlining
            .iter()
            .any(|(f, n)| *f == file && *n == def.name.text)
        {
            c.error(
                self.file,
                Diagnostic::error(
                    "E0206",
                    name.span,
                    format!("define `{}` calls itself", name.text),
                ),
            );
            return missing(span);
        }
        if self.inlining.len() >= MAX_INLINE_NESTING {
            c.error(
                self.file,
                Diagnostic::error(
                    "E0215",
                    name.span,
                    format!("parameterised defines nest more than {MAX_INLINE_NESTING} deep here"),
                ),
            );
            return missing(span);
        }
        // The parameters' locals are taken first, so no local of an argument (a nested call
        // binds its own parameters) can share one: the arguments are evaluated one after the
        // other, each after the previous parameter is bound. Then the arguments in the
        // caller's scope, and the body in the define's own scope with the parameters bound.
        let saved_next = self.next_local;
        let locals: Vec<u32> = def.params.iter().map(|_| self.alloc()).collect();
        let mut bound = Vec::with_capacity(args.len());
        for (param, arg) in def.params.iter().zip(args) {
            let (n, t) = self.expr(c, arg, None);
            bound.push((param, n, t));
        }
        let saved_scopes = std::mem::take(&mut self.scopes);
        let saved_file = self.file;
        for ((param, _, t), &local) in bound.iter().zip(&locals) {
            self.scopes.push(Scope {
                alias: Some(param.text.clone()),
                local,
                ty: t.clone(),
                implicit: false,
            });
        }
        self.file = file;
        self.inlining.push((file, def.name.text.clone()));
        let (body, ty) = self.expr(c, &def.body, None);
        self.inlining.pop();
        self.file = saved_file;
        if self.inlining.is_empty() && self.inlined_ops > MAX_INLINED_OPS {
            c.error(
                self.file,
                Diagnostic::error(
                    "E0217",
                    name.span,
                    format!(
                        "`{}` expands to more than {MAX_INLINED_OPS} operations here",
                        name.text
                    ),
                )
                .with_label(def.name.span, "defined here")
                .with_help(
                    "a parameterised define is copied at every call, and the defines it calls \
                     are copied inside it; compute a shared part once in a define without \
                     parameters, or call fewer defines from each",
                ),
            );
        }
        self.scopes = saved_scopes;
        self.next_local = saved_next;
        let what = || Resolved::Define {
            file,
            name: name.text.clone(),
        };
        c.note(self.file, name.span, what, Some(&ty));
        // The innermost binding's body is the define's, in the define's file; each outer
        // binding's body is the next binding, whose argument is the caller's (so explain and
        // coverage place it in the caller's file).
        let mut out = body;
        for (k, ((_, value, _), local)) in bound.into_iter().zip(locals).rev().enumerate() {
            let body_file = if k == 0 { file } else { self.file };
            out = Node::bind(local, value, out, body_file, span);
        }
        (out, ty)
    }

    fn builtin<'f>(
        &mut self,
        c: &mut Compiler<'f>,
        b: Builtin,
        name: &Name,
        args: &'f [Expr],
        span: Span,
    ) -> (Node, Ty) {
        let arity = b.arity();
        if !arity.accepts(args.len()) {
            let n = arity.wanted();
            c.error(
                self.file,
                Diagnostic::error(
                    "E0205",
                    span,
                    format!(
                        "`{}` takes {n} argument(s), {} given",
                        name.text,
                        args.len()
                    ),
                ),
            );
            return missing(span);
        }
        // Every builtin takes at least one argument (the arity was checked just above).
        let Some(first) = args.first() else {
            return missing(span);
        };
        let mut nodes = Vec::with_capacity(args.len());
        let ty = match b {
            Builtin::AgeAt => {
                nodes.push(self.expect(c, first, &Ty::Date, "`age_at` needs a date"));
                Ty::Num
            }
            Builtin::StartOfYear => {
                nodes.push(self.expect(c, first, &Ty::Date, "`start_of_year` needs a date"));
                Ty::Date
            }
            Builtin::DaysBetween | Builtin::Period => {
                for a in args {
                    nodes.push(self.expect(c, a, &Ty::Date, "this function needs dates"));
                }
                if b == Builtin::Period {
                    Ty::Period
                } else {
                    Ty::Num
                }
            }
            Builtin::Range => {
                for a in args {
                    nodes.push(self.expect(c, a, &Ty::Num, "`range` needs numbers"));
                }
                Ty::list_of(Ty::Num)
            }
            Builtin::Min | Builtin::Max => {
                let (n, el) = self.expect_list(c, first, "`min`/`max` needs a list");
                if !matches!(el, Ty::Num | Ty::Date | Ty::Any) {
                    c.error(
                        self.file,
                        mismatch(
                            first.span,
                            "`min`/`max` needs numbers or dates",
                            "a list of numbers or dates",
                            &Ty::list_of(el.clone()),
                        ),
                    );
                }
                nodes.push(n);
                el
            }
            Builtin::Distinct => {
                let (n, el) = self.expect_list(c, first, "`distinct` needs a list");
                if matches!(el, Ty::Record(_)) {
                    c.error(
                        self.file,
                        mismatch(
                            first.span,
                            "`distinct` needs a list of values",
                            "a list of values",
                            &Ty::list_of(el.clone()),
                        ),
                    );
                }
                nodes.push(n);
                Ty::list_of(el)
            }
            Builtin::Coalesce => {
                let mut ty = Ty::Any;
                for a in args {
                    let (n, t) = self.expr(c, a, Some(&ty).filter(|t| **t != Ty::Any));
                    if ty == Ty::Any {
                        ty = t;
                    } else if !t.unifies(&ty) {
                        c.error(
                            self.file,
                            mismatch(a.span, "`coalesce` needs one type", &ty.to_string(), &t),
                        );
                    }
                    nodes.push(n);
                }
                ty
            }
            Builtin::StagePrefix => {
                let (n, t) = self.expr(c, first, None);
                if !matches!(t, Ty::Enum(e) if e.name == "StageGroup") && t != Ty::Any {
                    c.error(
                        self.file,
                        mismatch(
                            first.span,
                            "`stage_prefix` reads a stage group",
                            "enum StageGroup",
                            &t,
                        ),
                    );
                }
                nodes.push(n);
                Ty::Str
            }
            Builtin::Band => {
                let Some((value, cut_args)) = args.split_first() else {
                    return missing(span);
                };
                let value = self.expect(c, value, &Ty::Num, "`band` bands a number");
                let Some(cuts) = self.band_cuts(c, cut_args, span) else {
                    return missing(span);
                };
                let cuts: Vec<(u32, Span)> = cuts
                    .into_iter()
                    .zip(cut_args.iter().map(|a| a.span))
                    .collect();
                return self.built(c, span, Node::band(value, &cuts, span), Ty::Str);
            }
        };
        self.built(c, span, Node::call(b, nodes, span), ty)
    }

    /// The cut points of a `band`: whole-number literals 0–[`MAX_BAND_CUT`], strictly
    /// ascending, at most [`MAX_BAND_CUTS`]; `None` (after reporting why) otherwise.
    fn band_cuts(&self, c: &mut Compiler<'_>, args: &[Expr], span: Span) -> Option<Vec<u32>> {
        if args.len() > MAX_BAND_CUTS {
            c.error(
                self.file,
                Diagnostic::error(
                    "E0205",
                    span,
                    format!(
                        "`band` takes at most {MAX_BAND_CUTS} cut points, {} given",
                        args.len()
                    ),
                ),
            );
            return None;
        }
        let mut cuts: Vec<u32> = Vec::with_capacity(args.len());
        for a in args {
            let cut = match &a.kind {
                ExprKind::Number(text) => text
                    .parse::<Decimal>()
                    .ok()
                    .filter(|d| d.fract().is_zero())
                    .and_then(|d| u32::try_from(d.normalize().mantissa()).ok())
                    .filter(|n| *n <= MAX_BAND_CUT),
                _ => None,
            };
            let Some(cut) = cut else {
                c.error(
                    self.file,
                    Diagnostic::error(
                        "E0207",
                        a.span,
                        format!("a `band` cut point is a whole number written out, 0 to {MAX_BAND_CUT}"),
                    )
                    .with_help("write the cut points as literals: `band(age_at(reporting_period.start), 18, 65, 75)`"),
                );
                return None;
            };
            if cuts.last().is_some_and(|last| *last >= cut) {
                c.error(
                    self.file,
                    Diagnostic::error("E0207", a.span, "`band` cut points must ascend")
                        .with_help("each cut point starts a band: `band(x, 18, 65, 75)`"),
                );
                return None;
            }
            cuts.push(cut);
        }
        Some(cuts)
    }
}
