//! The parser: tokens → [`File`], collecting every diagnostic.
//!
//! Hand-written recursive descent. Precedence, loosest first:
//!
//! | level | forms |
//! |---|---|
//! | conditional | `if c then a else b` |
//! | or | `a or b` |
//! | and | `a and b` |
//! | not | `not a` |
//! | test | `= != < <= > >=`, `before`, `after`, `on or before`, `on or after`, `in`, `not in`, `in valueset "…"`, `is missing`, `is present`, `during`, `within N unit before/after/around` (non-associative) |
//! | additive | `+ -` |
//! | multiplicative | `* /` |
//! | prefix | `-x`, `exists`, `count`, `first`, `last`, `all … satisfy`, `any … satisfy` |
//! | query | `xs where p`, `xs as x where p`, `xs sorted by k [desc]`, `xs take n` |
//! | postfix | `x.field`, `name(args)`, `n days` |
//!
//! A `where` predicate extends as far as it can (over `and` and `or`) and stops at `sorted`,
//! `take`, a closing bracket, a comma or the next item, so
//! `exists encounters where kind = office_visit and date during reporting_period` tests one
//! list. Parenthesise to combine a query with more conditions:
//! `(count visits) >= 2 and …`.
//!
//! Recovery: an error inside an item (a define, a population, ...) is reported once and the
//! parser skips to the next item keyword, so every broken item of a file is reported. Nesting
//! deeper than [`MAX_DEPTH`] is an error, never a stack overflow.
use super::ast::*;
use super::diagnostic::Diagnostic;
use super::lexer::{Tok, Token, lex};
use super::span::Span;

/// Deepest expression nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// Deepest syntax tree accepted for one item's expression, counting a level per operator
/// of a chain (`a and b and c` is three levels deep: the operators associate to the left).
/// Later stages walk the tree recursively, so the parser refuses a deeper one (a flat
/// chain of thousands of `and`s) with a diagnostic rather than let them overflow the stack.
pub const MAX_TREE_DEPTH: usize = 64;

/// Words that cannot be used as names.
pub(crate) const RESERVED: &[&str] = &[
    "measure",
    "library",
    "use",
    "define",
    "stratifier",
    "and",
    "or",
    "not",
    "in",
    "is",
    "where",
    "as",
    "sorted",
    "by",
    "take",
    "exists",
    "count",
    "first",
    "last",
    "all",
    "any",
    "satisfy",
    "during",
    "within",
    "before",
    "after",
    "around",
    "true",
    "false",
    "if",
    "then",
    "else",
    "valueset",
];

/// The reserved words (keywords) of the language, for editors.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub(crate) fn keywords() -> &'static [&'static str] {
    RESERVED
}

/// The keywords that may appear inside an expression (the reserved words less the items').
fn expression_keywords() -> impl Iterator<Item = &'static str> {
    RESERVED
        .iter()
        .copied()
        .filter(|w| !matches!(*w, "measure" | "library" | "use" | "define" | "stratifier"))
}

/// The expression keyword a misspelt word is one edit from (`wehre` → `where`, `existx` →
/// `exists`), if any. Only one edit: keywords are short and common, and a looser match
/// would offer `exists` for a misspelt name (`vists`). A keyword itself is no slip.
pub(crate) fn keyword_like(word: &str) -> Option<&'static str> {
    if RESERVED.contains(&word) {
        return None;
    }
    expression_keywords()
        .map(|k| (k, strsim::damerau_levenshtein(word, k)))
        .filter(|&(_, d)| d == 1)
        .min_by_key(|&(k, d)| (d, k))
        .map(|(k, _)| k)
}

const ITEM_KEYWORDS: &[&str] = &[
    "measure",
    "library",
    "use",
    "define",
    "stratifier",
    "initial_population",
    "denominator",
    "denominator_exclusion",
    "denominator_exception",
    "numerator",
    "numerator_exclusion",
];

/// Parses a whole measure or library file.
pub fn parse(text: &str) -> (File, Vec<Diagnostic>) {
    let (tokens, mut diags) = lex(text);
    let mut p = Parser {
        tokens,
        pos: 0,
        diags: Vec::new(),
        depth: 0,
        in_predicate: false,
    };
    let file = p.file();
    diags.append(&mut p.diags);
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    (file, diags)
}

/// An error was reported; the current item is abandoned.
struct Abandon;

type PResult<T> = Result<T, Abandon>;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    diags: Vec<Diagnostic>,
    depth: usize,
    /// Inside a `where`/`satisfy` predicate: `sorted` and `take` end the predicate instead
    /// of applying to an operand inside it. Brackets reset it.
    in_predicate: bool,
}

fn unit_of(word: &str) -> Option<Unit> {
    Some(match word {
        "day" | "days" => Unit::Days,
        "week" | "weeks" => Unit::Weeks,
        "month" | "months" => Unit::Months,
        "year" | "years" => Unit::Years,
        _ => return None,
    })
}

/// What [`Parser::at`] falls back on for an empty token list, which the lexer never returns.
static NO_TOKEN: Token = Token {
    tok: Tok::Eof,
    span: Span { start: 0, end: 0 },
};

impl Parser {
    /// The token at `i`, or past the end the last one (the lexer ends every list with
    /// `Eof`).
    fn at(&self, i: usize) -> &Token {
        match self.tokens.get(i) {
            Some(t) => t,
            None => self.tokens.last().unwrap_or(&NO_TOKEN),
        }
    }

    fn tok(&self) -> &Tok {
        &self.at(self.pos).tok
    }

    fn span(&self) -> Span {
        self.at(self.pos).span
    }

    fn prev_span(&self) -> Span {
        self.at(self.pos.saturating_sub(1)).span
    }

    fn nth(&self, k: usize) -> &Tok {
        &self.at(self.pos.saturating_add(k)).tok
    }

    fn bump(&mut self) -> Token {
        let t = self.at(self.pos).clone();
        // The position stops on the last token (`Eof`).
        if self.pos.saturating_add(1) < self.tokens.len() {
            self.pos = self.pos.saturating_add(1);
        }
        t
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.tok(), Tok::Ident(s) if s == w)
    }

    fn nth_is_word(&self, k: usize, w: &str) -> bool {
        matches!(self.nth(k), Tok::Ident(s) if s == w)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.is_word(w) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.tok() == t {
            self.bump();
            true
        } else {
            false
        }
    }

    fn error<T>(&mut self, d: Diagnostic) -> PResult<T> {
        self.diags.push(d);
        Err(Abandon)
    }

    fn expected<T>(&mut self, what: &str) -> PResult<T> {
        if self.tok() == &Tok::Error {
            // The lexer reported this character already: abandon the item quietly.
            return Err(Abandon);
        }
        let found = self.tok().describe();
        let span = self.span();
        let mut d = Diagnostic::error("E0101", span, format!("expected {what}, found {found}"));
        if let Tok::Ident(word) = self.tok()
            && let Some(s) = keyword_like(word)
        {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.error(d)
    }

    fn expect(&mut self, t: &Tok, what: &str) -> PResult<Span> {
        if self.tok() == t {
            Ok(self.bump().span)
        } else {
            self.expected(what)
        }
    }

    fn expect_word(&mut self, w: &str) -> PResult<Span> {
        if self.is_word(w) {
            Ok(self.bump().span)
        } else {
            self.expected(&format!("`{w}`"))
        }
    }

    fn name(&mut self, what: &str) -> PResult<Name> {
        match self.tok().clone() {
            Tok::Ident(text) if !RESERVED.contains(&text.as_str()) => {
                let span = self.bump().span;
                Ok(Name { text, span })
            }
            Tok::Ident(text) => {
                let span = self.span();
                self.error(
                    Diagnostic::error(
                        "E0102",
                        span,
                        format!("`{text}` is a keyword and cannot be used as {what}"),
                    )
                    .with_help("choose another name"),
                )
            }
            _ => self.expected(what),
        }
    }

    fn path(&mut self, what: &str) -> PResult<Path> {
        let first = self.name(what)?;
        let mut span = first.span;
        let mut segments = vec![first];
        while self.tok() == &Tok::Dot && matches!(self.nth(1), Tok::Ident(_)) {
            self.bump();
            let seg = self.name(what)?;
            span = span.to(seg.span);
            segments.push(seg);
        }
        Ok(Path { segments, span })
    }

    /// Items separated by commas up to `close` (a trailing comma allowed); consumes `close`
    /// and returns the items with its span.
    fn comma_list<T>(
        &mut self,
        close: &Tok,
        expected_close: &str,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<(Vec<T>, Span)> {
        let mut items = Vec::new();
        while self.tok() != close {
            items.push(item(self)?);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        let end = self.expect(close, expected_close)?;
        Ok((items, end))
    }

    fn at_item_start(&self) -> bool {
        matches!(self.tok(), Tok::Ident(s) if ITEM_KEYWORDS.contains(&s.as_str()))
            || self.tok() == &Tok::Eof
    }

    /// Skips to the next item keyword (recovery).
    fn recover(&mut self) {
        self.depth = 0;
        if !self.at_item_start() {
            self.bump();
        }
        while !self.at_item_start() {
            self.bump();
        }
    }

    fn file(&mut self) -> File {
        let mut file = File::default();
        while self.tok() != &Tok::Eof {
            if self.item(&mut file).is_err() {
                self.recover();
            }
        }
        file
    }

    fn item(&mut self, file: &mut File) -> PResult<()> {
        let start = self.span();
        let Tok::Ident(word) = self.tok().clone() else {
            return self.expected("`measure`, `use`, `define`, a population or `stratifier`");
        };
        if let Some(kind) = PopulationKind::from_keyword(&word) {
            self.bump();
            self.expect(&Tok::Eq, "`=`")?;
            let criterion = self.item_expr()?;
            file.populations.push(Population {
                kind,
                span: start,
                criterion,
            });
            return Ok(());
        }
        match word.as_str() {
            "measure" | "library" => {
                self.bump();
                let id = self.path("an id")?;
                let header = if word == "measure" {
                    Header::Measure {
                        id,
                        metadata: self.metadata()?,
                    }
                } else {
                    Header::Library { id }
                };
                if file.header.is_some() {
                    return self.error(Diagnostic::error(
                        "E0103",
                        start,
                        "a file declares one measure or library",
                    ));
                }
                file.header = Some(header);
            }
            "use" => {
                self.bump();
                file.uses.push(self.path("a library id")?);
            }
            "define" => {
                self.bump();
                let name = self.name("a define name")?;
                let mut params = Vec::new();
                if self.eat(&Tok::LParen) {
                    params = self
                        .comma_list(&Tok::RParen, "`)` or `,`", |p| p.name("a parameter name"))?
                        .0;
                }
                self.expect(&Tok::Eq, "`=`")?;
                let body = self.item_expr()?;
                file.defines.push(Define { name, params, body });
            }
            "stratifier" => {
                self.bump();
                let name = self.name("a stratifier name")?;
                self.expect(&Tok::Eq, "`=`")?;
                let expr = self.item_expr()?;
                file.stratifiers.push(Stratifier { name, expr });
            }
            _ => {
                let span = self.span();
                let mut d = Diagnostic::error(
                    "E0104",
                    span,
                    format!("expected an item, found `{word}`"),
                )
                .with_help(
                    "items are `measure`, `library`, `use`, `define`, `stratifier` and the populations",
                );
                if let Some(s) =
                    super::diagnostic::did_you_mean(&word, ITEM_KEYWORDS.iter().copied())
                        .or_else(|| keyword_like(&word))
                {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                return self.error(d);
            }
        }
        Ok(())
    }

    fn metadata(&mut self) -> PResult<Vec<MetaEntry>> {
        self.expect(&Tok::LBrace, "`{` to open the measure's metadata")?;
        let mut entries = Vec::new();
        while !self.eat(&Tok::RBrace) {
            let key = self.name("a metadata key")?;
            let value = match self.tok().clone() {
                Tok::Str(s) => MetaValue::Str(s, self.bump().span),
                Tok::LBracket => {
                    let open = self.bump().span;
                    let (items, close) =
                        self.comma_list(&Tok::RBracket, "`]` or `,`", |p| p.path("a list item"))?;
                    MetaValue::List(items, open.to(close))
                }
                Tok::Ident(_) => MetaValue::Word(self.path("a value")?),
                _ => return self.expected("a string, a word or a `[list]`"),
            };
            entries.push(MetaEntry { key, value });
        }
        Ok(entries)
    }

    // ----- expressions -------------------------------------------------------------------

    fn enter(&mut self) -> PResult<()> {
        // Bounded by `MAX_DEPTH` just below; each `enter` is paired with a decrement.
        self.depth = self.depth.saturating_add(1);
        if self.depth > MAX_DEPTH {
            let span = self.span();
            return self.error(
                Diagnostic::error("E0105", span, "expression nested too deeply").with_help(
                    format!("split it into defines (the limit is {MAX_DEPTH} levels)"),
                ),
            );
        }
        Ok(())
    }

    /// The expression of an item (a define's body, a population criterion, a stratifier),
    /// refused when its tree is deeper than [`MAX_TREE_DEPTH`].
    fn item_expr(&mut self) -> PResult<Expr> {
        let e = self.expr()?;
        if let Some(span) = e.deeper_than(MAX_TREE_DEPTH) {
            return self.error(
                Diagnostic::error("E0105", span, "expression nested too deeply").with_help(
                    format!(
                        "each operator of a chain counts a level; split it into defines \
                         (the limit is {MAX_TREE_DEPTH} levels)"
                    ),
                ),
            );
        }
        Ok(e)
    }

    /// A full expression.
    pub(crate) fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let e = self.conditional();
        self.depth = self.depth.saturating_sub(1);
        e
    }

    fn conditional(&mut self) -> PResult<Expr> {
        if self.is_word("if") {
            let start = self.bump().span;
            let c = self.expr()?;
            self.expect_word("then")?;
            let a = self.expr()?;
            self.expect_word("else")?;
            let b = self.expr()?;
            let span = start.to(b.span);
            return Ok(Expr {
                kind: ExprKind::If(Box::new(c), Box::new(a), Box::new(b)),
                span,
            });
        }
        self.or()
    }

    /// A `where` / `satisfy` predicate (see `in_predicate`).
    fn predicate(&mut self) -> PResult<Expr> {
        let saved = std::mem::replace(&mut self.in_predicate, true);
        let e = self.expr();
        self.in_predicate = saved;
        e
    }

    /// An expression inside brackets, where `sorted` and `take` apply again.
    fn bracketed(&mut self) -> PResult<Expr> {
        let saved = std::mem::replace(&mut self.in_predicate, false);
        let e = self.expr();
        self.in_predicate = saved;
        e
    }

    fn binary(op: BinOp, a: Expr, b: Expr) -> Expr {
        let span = a.span.to(b.span);
        Expr {
            kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
            span,
        }
    }

    /// A left-associative chain `next (op next)*`, where `op_of` reads (without consuming)
    /// the operator at the current token.
    fn left_assoc(
        &mut self,
        next: fn(&mut Self) -> PResult<Expr>,
        op_of: fn(&Self) -> Option<BinOp>,
    ) -> PResult<Expr> {
        let mut e = next(self)?;
        while let Some(op) = op_of(self) {
            self.bump();
            let rhs = next(self)?;
            e = Self::binary(op, e, rhs);
        }
        Ok(e)
    }

    fn or(&mut self) -> PResult<Expr> {
        self.left_assoc(Self::and, |p| p.is_word("or").then_some(BinOp::Or))
    }

    fn and(&mut self) -> PResult<Expr> {
        self.left_assoc(Self::not, |p| p.is_word("and").then_some(BinOp::And))
    }

    fn not(&mut self) -> PResult<Expr> {
        if self.is_word("not") {
            let start = self.bump().span;
            self.enter()?;
            let inner = self.not();
            self.depth = self.depth.saturating_sub(1);
            let inner = inner?;
            let span = start.to(inner.span);
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(inner)),
                span,
            });
        }
        self.test()
    }

    fn test(&mut self) -> PResult<Expr> {
        let lhs = self.additive()?;
        let op = match self.tok() {
            Tok::Eq => Some(BinOp::Eq),
            Tok::Ne => Some(BinOp::Ne),
            Tok::Lt => Some(BinOp::Lt),
            Tok::Le => Some(BinOp::Le),
            Tok::Gt => Some(BinOp::Gt),
            Tok::Ge => Some(BinOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let rhs = self.additive()?;
            return Ok(Self::binary(op, lhs, rhs));
        }
        let Tok::Ident(word) = self.tok().clone() else {
            return Ok(lhs);
        };
        match word.as_str() {
            "before" | "after" => {
                self.bump();
                let rhs = self.additive()?;
                let op = if word == "before" {
                    BinOp::Lt
                } else {
                    BinOp::Gt
                };
                Ok(Self::binary(op, lhs, rhs))
            }
            "on" if self.nth_is_word(1, "or") => {
                self.bump();
                self.bump();
                let op = if self.eat_word("before") {
                    BinOp::Le
                } else if self.eat_word("after") {
                    BinOp::Ge
                } else {
                    return self.expected("`before` or `after`");
                };
                let rhs = self.additive()?;
                Ok(Self::binary(op, lhs, rhs))
            }
            "not" if self.nth_is_word(1, "in") => {
                self.bump();
                self.bump();
                self.in_rest(lhs, true)
            }
            "in" => {
                self.bump();
                self.in_rest(lhs, false)
            }
            "is" => {
                self.bump();
                let negated = if self.eat_word("missing") {
                    false
                } else if self.eat_word("present") {
                    true
                } else {
                    return self.expected("`missing` or `present`");
                };
                let span = lhs.span.to(self.prev_span());
                Ok(Expr {
                    kind: ExprKind::IsMissing(Box::new(lhs), negated),
                    span,
                })
            }
            "during" => {
                self.bump();
                let rhs = self.additive()?;
                let span = lhs.span.to(rhs.span);
                Ok(Expr {
                    kind: ExprKind::During(Box::new(lhs), Box::new(rhs)),
                    span,
                })
            }
            "within" => {
                self.bump();
                let length = self.additive()?;
                let direction = if self.eat_word("before") {
                    Direction::Before
                } else if self.eat_word("after") {
                    Direction::After
                } else if self.eat_word("around") {
                    Direction::Around
                } else {
                    return self.expected("`before`, `after` or `around`");
                };
                let anchor = self.additive()?;
                let span = lhs.span.to(anchor.span);
                Ok(Expr {
                    kind: ExprKind::Within {
                        value: Box::new(lhs),
                        length: Box::new(length),
                        direction,
                        anchor: Box::new(anchor),
                    },
                    span,
                })
            }
            _ => Ok(lhs),
        }
    }

    fn in_rest(&mut self, value: Expr, negated: bool) -> PResult<Expr> {
        if self.eat_word("valueset") {
            let Tok::Str(text) = self.tok().clone() else {
                return self.expected("a value set name in quotes");
            };
            let span = self.bump().span;
            let whole = value.span.to(span);
            return Ok(Expr {
                kind: ExprKind::InValueSet {
                    value: Box::new(value),
                    name: Name { text, span },
                    negated,
                },
                span: whole,
            });
        }
        let list = self.additive()?;
        let span = value.span.to(list.span);
        Ok(Expr {
            kind: ExprKind::In {
                value: Box::new(value),
                list: Box::new(list),
                negated,
            },
            span,
        })
    }

    fn additive(&mut self) -> PResult<Expr> {
        self.left_assoc(Self::multiplicative, |p| match p.tok() {
            Tok::Plus => Some(BinOp::Add),
            Tok::Minus => Some(BinOp::Sub),
            _ => None,
        })
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        self.left_assoc(Self::prefix, |p| match p.tok() {
            Tok::Star => Some(BinOp::Mul),
            Tok::Slash => Some(BinOp::Div),
            _ => None,
        })
    }

    fn prefix(&mut self) -> PResult<Expr> {
        self.enter()?;
        let e = self.prefix_inner();
        self.depth = self.depth.saturating_sub(1);
        e
    }

    fn prefix_inner(&mut self) -> PResult<Expr> {
        let start = self.span();
        if self.eat(&Tok::Minus) {
            let inner = self.prefix()?;
            let span = start.to(inner.span);
            return Ok(Expr {
                kind: ExprKind::Neg(Box::new(inner)),
                span,
            });
        }
        let Tok::Ident(word) = self.tok().clone() else {
            return self.query();
        };
        let wrap = |kind: fn(Box<Expr>) -> ExprKind, inner: Expr| {
            let span = start.to(inner.span);
            Expr {
                kind: kind(Box::new(inner)),
                span,
            }
        };
        match word.as_str() {
            "exists" | "count" | "first" | "last" => {
                self.bump();
                let inner = self.prefix()?;
                Ok(wrap(
                    match word.as_str() {
                        "exists" => ExprKind::Exists,
                        "count" => ExprKind::Count,
                        "first" => ExprKind::First,
                        _ => ExprKind::Last,
                    },
                    inner,
                ))
            }
            "all" | "any" => {
                self.bump();
                let list = self.query_operand()?;
                let alias = if self.eat_word("as") {
                    Some(self.name("an element name")?)
                } else {
                    None
                };
                self.expect_word("satisfy")?;
                let predicate = self.predicate()?;
                let span = start.to(predicate.span);
                Ok(Expr {
                    kind: ExprKind::Quantified {
                        all: word == "all",
                        list: Box::new(list),
                        alias,
                        predicate: Box::new(predicate),
                    },
                    span,
                })
            }
            _ => self.query(),
        }
    }

    /// The list operand of `all`/`any`: a query whose `as` introduces the element name.
    fn query_operand(&mut self) -> PResult<Expr> {
        self.query_with(false)
    }

    fn query(&mut self) -> PResult<Expr> {
        self.query_with(true)
    }

    fn query_with(&mut self, allow_alias: bool) -> PResult<Expr> {
        let mut e = self.postfix()?;
        loop {
            let is_as_where = allow_alias && self.is_word("as") && self.nth_is_word(2, "where");
            if self.is_word("where") || is_as_where {
                let alias = if self.eat_word("as") {
                    Some(self.name("an element name")?)
                } else {
                    None
                };
                self.expect_word("where")?;
                let predicate = self.predicate()?;
                let span = e.span.to(predicate.span);
                e = Expr {
                    kind: ExprKind::Where {
                        list: Box::new(e),
                        alias,
                        predicate: Box::new(predicate),
                    },
                    span,
                };
            } else if self.is_word("sorted") && !self.in_predicate {
                self.bump();
                self.expect_word("by")?;
                let key = self.additive()?;
                let descending = if self.eat_word("desc") {
                    true
                } else {
                    self.eat_word("asc");
                    false
                };
                let span = e.span.to(self.prev_span());
                e = Expr {
                    kind: ExprKind::SortedBy {
                        list: Box::new(e),
                        key: Box::new(key),
                        descending,
                    },
                    span,
                };
            } else if self.is_word("take") && !self.in_predicate {
                self.bump();
                let n = self.prefix()?;
                let span = e.span.to(n.span);
                e = Expr {
                    kind: ExprKind::Take(Box::new(e), Box::new(n)),
                    span,
                };
            } else {
                return Ok(e);
            }
        }
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.primary()?;
        loop {
            if self.tok() == &Tok::Dot {
                self.bump();
                let field = self.name("a field name")?;
                let span = e.span.to(field.span);
                e = Expr {
                    kind: ExprKind::Field(Box::new(e), field),
                    span,
                };
            } else if let Tok::Ident(w) = self.tok()
                && let Some(unit) = unit_of(w)
            {
                self.bump();
                let span = e.span.to(self.prev_span());
                e = Expr {
                    kind: ExprKind::Duration(Box::new(e), unit),
                    span,
                };
            } else {
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> PResult<Expr> {
        let start = self.span();
        let kind = match self.tok().clone() {
            Tok::Number(n) => {
                self.bump();
                ExprKind::Number(n)
            }
            Tok::Str(s) => {
                self.bump();
                ExprKind::Str(s)
            }
            Tok::Date(d) => {
                self.bump();
                ExprKind::Date(d)
            }
            Tok::LParen => {
                self.bump();
                let mut inner = self.bracketed()?;
                let close = self.expect(&Tok::RParen, "`)`")?;
                inner.span = start.to(close);
                return Ok(inner);
            }
            Tok::LBracket => {
                self.bump();
                let (items, _) = self.comma_list(&Tok::RBracket, "`]` or `,`", Self::bracketed)?;
                ExprKind::List(items)
            }
            Tok::Ident(w) if w == "true" || w == "false" => {
                self.bump();
                ExprKind::Bool(w == "true")
            }
            Tok::Ident(w)
                if PopulationKind::from_keyword(&w).is_some() && self.nth(1) == &Tok::Eq =>
            {
                // `... and` at the end of a line, then the next population: not an equality.
                let span = self.span();
                return self.error(
                    Diagnostic::error(
                        "E0101",
                        span,
                        format!("expected an expression, found the start of `{w}`"),
                    )
                    .with_help("the expression before it is incomplete"),
                );
            }
            Tok::Ident(w) if !RESERVED.contains(&w.as_str()) => {
                let name = self.name("a name")?;
                if self.tok() == &Tok::LParen {
                    self.bump();
                    let (args, _) = self.comma_list(&Tok::RParen, "`)` or `,`", Self::bracketed)?;
                    ExprKind::Call(name, args)
                } else {
                    ExprKind::Name(name.text)
                }
            }
            _ => return self.expected("an expression"),
        };
        Ok(Expr {
            kind,
            span: start.to(self.prev_span()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact S-expression view of an expression, for precedence tests.
    fn sx(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Name(n) => n.clone(),
            ExprKind::Number(n) => n.clone(),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Str(s) => format!("{s:?}"),
            ExprKind::Date(d) => format!("@{d}"),
            ExprKind::Duration(n, u) => format!("({} {u:?})", sx(n)),
            ExprKind::List(items) => {
                format!("[{}]", items.iter().map(sx).collect::<Vec<_>>().join(" "))
            }
            ExprKind::Field(x, f) => format!("{}.{}", sx(x), f.text),
            ExprKind::Call(n, args) => format!(
                "({} {})",
                n.text,
                args.iter().map(sx).collect::<Vec<_>>().join(" ")
            ),
            ExprKind::Not(x) => format!("(not {})", sx(x)),
            ExprKind::Neg(x) => format!("(- {})", sx(x)),
            ExprKind::Binary(op, a, b) => format!("({op:?} {} {})", sx(a), sx(b)),
            ExprKind::In {
                value,
                list,
                negated,
            } => format!(
                "({}in {} {})",
                if *negated { "not-" } else { "" },
                sx(value),
                sx(list)
            ),
            ExprKind::InValueSet { value, name, .. } => {
                format!("(in-vs {} {})", sx(value), name.text)
            }
            ExprKind::IsMissing(x, neg) => {
                format!("({} {})", if *neg { "present" } else { "missing" }, sx(x))
            }
            ExprKind::During(a, b) => format!("(during {} {})", sx(a), sx(b)),
            ExprKind::Within {
                value,
                length,
                direction,
                anchor,
            } => format!(
                "(within {} {} {direction:?} {})",
                sx(value),
                sx(length),
                sx(anchor)
            ),
            ExprKind::Where {
                list,
                alias,
                predicate,
            } => format!(
                "(where {}{} {})",
                sx(list),
                alias
                    .as_ref()
                    .map(|a| format!(" as {}", a.text))
                    .unwrap_or_default(),
                sx(predicate)
            ),
            ExprKind::SortedBy {
                list,
                key,
                descending,
            } => format!(
                "(sorted {} {}{})",
                sx(list),
                sx(key),
                if *descending { " desc" } else { "" }
            ),
            ExprKind::Take(l, n) => format!("(take {} {})", sx(l), sx(n)),
            ExprKind::Exists(x) => format!("(exists {})", sx(x)),
            ExprKind::Count(x) => format!("(count {})", sx(x)),
            ExprKind::First(x) => format!("(first {})", sx(x)),
            ExprKind::Last(x) => format!("(last {})", sx(x)),
            ExprKind::Quantified {
                all,
                list,
                alias,
                predicate,
            } => format!(
                "({} {}{} {})",
                if *all { "all" } else { "any" },
                sx(list),
                alias
                    .as_ref()
                    .map(|a| format!(" as {}", a.text))
                    .unwrap_or_default(),
                sx(predicate)
            ),
            ExprKind::If(c, a, b) => format!("(if {} {} {})", sx(c), sx(a), sx(b)),
            ExprKind::Error => "ERROR".into(),
        }
    }

    fn parse_expr(text: &str) -> String {
        let (file, diags) = parse(&format!("define x = {text}"));
        assert!(diags.is_empty(), "{diags:?}");
        sx(&file.defines[0].body)
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tighter_than_and() {
        assert_eq!(parse_expr("a or b and not c"), "(Or a (And b (not c)))");
        assert_eq!(
            parse_expr("a + b * c >= 2 - d"),
            "(Ge (Add a (Mul b c)) (Sub 2 d))"
        );
    }

    #[test]
    fn where_predicates_extend_over_and_and_stop_at_sorted_and_take() {
        assert_eq!(
            parse_expr(
                "encounters where kind = office_visit and date during reporting_period sorted by date desc take 2"
            ),
            "(take (sorted (where encounters (And (Eq kind office_visit) (during date reporting_period))) date desc) 2)"
        );
        assert_eq!(
            parse_expr("exists regimens as r where r.intent = curative"),
            "(exists (where regimens as r (Eq r.intent curative)))"
        );
        assert_eq!(
            parse_expr("(count visits) >= 2 and x"),
            "(And (Ge (count visits) 2) x)"
        );
    }

    #[test]
    fn date_tests_and_windows() {
        assert_eq!(
            parse_expr("date within 14 days before death.date"),
            "(within date (14 Days) Before death.date)"
        );
        assert_eq!(
            parse_expr("d on or before x + 1 month"),
            "(Le d (Add x (1 Months)))"
        );
        assert_eq!(
            parse_expr("d before x and d after y"),
            "(And (Lt d x) (Gt d y))"
        );
        assert_eq!(
            parse_expr("present = true and x is present"),
            "(And (Eq present true) (present x))"
        );
    }

    #[test]
    fn membership_quantifiers_calls_and_conditionals() {
        assert_eq!(
            parse_expr("cancer_type not in [nhl, myeloma]"),
            "(not-in cancer_type [nhl myeloma])"
        );
        assert_eq!(
            parse_expr("primary_site in valueset \"oropharynx\""),
            "(in-vs primary_site oropharynx)"
        );
        assert_eq!(
            parse_expr("all first_two as v satisfy exists assessments where date = v.date"),
            "(all first_two as v (exists (where assessments (Eq date v.date))))"
        );
        assert_eq!(
            parse_expr("if age_at(d) >= 65 then 1 else 0"),
            "(if (Ge (age_at d) 65) 1 0)"
        );
        assert_eq!(parse_expr("first visits.date"), "(first visits.date)");
    }

    #[test]
    fn a_misspelt_keyword_after_an_expression_gets_a_did_you_mean() {
        let (_, diags) = parse("define a = exists (encounters wehre true)\n");
        assert_eq!(diags[0].help.as_deref(), Some("did you mean `where`?"));
        assert_eq!(keyword_like("sortd"), Some("sorted"));
        // A keyword is no slip, and a far word suggests nothing.
        assert_eq!(keyword_like("where"), None);
        assert_eq!(keyword_like("encounters"), None);
        // Item keywords are not offered inside an expression, and only one edit counts.
        assert_eq!(keyword_like("defin"), None);
        assert_eq!(keyword_like("vists"), None);
    }

    #[test]
    fn every_broken_item_is_reported_and_good_items_survive() {
        let (file, diags) = parse(
            "define a = (1 +\ndefine b = 2\ndefne c = 3\nnumerator = where x\ndefine d = 4\n",
        );
        let codes: Vec<_> = diags.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["E0101", "E0104", "E0101"]);
        let names: Vec<_> = file.defines.iter().map(|d| d.name.text.as_str()).collect();
        assert_eq!(names, ["b", "d"]);
        assert_eq!(diags[1].help.as_deref(), Some("did you mean `define`?"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        for deep in [
            format!("define a = {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
            format!("define a = {}x", "not ".repeat(100_000)),
            format!("define a = {}x", "- ".repeat(100_000)),
            format!("define a = {}x", "exists ".repeat(100_000)),
        ] {
            let (_, diags) = parse(&deep);
            assert_eq!(diags.len(), 1, "{:?}", diags.first());
            assert_eq!(diags[0].code, "E0105");
        }
    }

    #[test]
    fn a_long_flat_chain_is_an_error_not_a_crash() {
        for op in ["and", "or", "+", "-", "*", "/"] {
            let chain = vec!["1"; 100_000].join(&format!(" {op} "));
            let (file, diags) = parse(&format!("define a = {chain}\ndefine b = 1\n"));
            assert_eq!(diags.len(), 1, "{op}: {:?}", diags.first());
            assert_eq!(diags[0].code, "E0105");
            // The next item survives.
            assert_eq!(file.defines.len(), 1);
        }
        let (_, diags) = parse(&format!("define a = {}\n", vec!["1"; 64].join(" and ")));
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn keywords_cannot_name_defines() {
        let (_, diags) = parse("define where = 1");
        assert_eq!(diags[0].code, "E0102");
    }
}
