//! What the server answers, in byte offsets of one file of an analysed library: hover text,
//! definitions, completions, document symbols and quick fixes. The conversion to LSP
//! positions is the caller's (`mod.rs`).

use std::path::{Path, PathBuf};

use super::workspace::Analysis;
use crate::chart::schema::{BaseType, EnumSchema, FieldSchema, RecordSchema};
use crate::dsl::ast::{File, Header, PopulationKind};
use crate::dsl::{Diagnostic, Source, Span};
use crate::measure::facts::{FileFacts, Resolved};
use crate::measure::{Catalog, CatalogEntry, ValueSet};

/// One file of an analysed library.
pub(crate) struct Ctx<'a> {
    pub(crate) root: &'a Path,
    pub(crate) analysis: &'a Analysis,
    /// The file's name in the library.
    pub(crate) name: &'a str,
    pub(crate) source: &'a Source,
    /// Its facts the last time it checked cleanly (for completion while it is typed).
    pub(crate) settled: Option<&'a FileFacts>,
}

/// A place in a file of the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) path: PathBuf,
    /// The file's name in the library (its text is in the analysis), `None` for a file the
    /// analysis does not hold.
    pub(crate) name: Option<String>,
    pub(crate) span: Span,
}

impl Ctx<'_> {
    fn facts(&self) -> Option<&FileFacts> {
        self.analysis.file_facts(self.name)
    }

    fn parse(&self) -> File {
        crate::dsl::parse(self.source.text()).0
    }

    /// The source of another file of the library.
    fn source_of(&self, name: &str) -> Option<&Source> {
        self.analysis.sources.get(name)
    }

    /// The define `name` of file `file` (an index of the facts' names): its file's name,
    /// its name span, its parameters.
    fn define_in(&self, file_name: &str, name: &str) -> Option<(Span, Vec<String>)> {
        let src = self.source_of(file_name)?;
        let (ast, _) = crate::dsl::parse(src.text());
        ast.defines.iter().find(|d| d.name.text == name).map(|d| {
            (
                d.name.span,
                d.params.iter().map(|p| p.text.clone()).collect(),
            )
        })
    }

    fn file_name(&self, index: usize) -> Option<&str> {
        self.analysis.facts.names.get(index).map(String::as_str)
    }
}

// ---------------------------------------------------------------------------------------
// Hover

/// The hover text (Markdown) at `offset`, and the span it is about.
pub(crate) fn hover(ctx: &Ctx<'_>, offset: u32) -> Option<(String, Span)> {
    let ast = ctx.parse();
    let within = |s: Span| s.start <= offset && offset <= s.end;
    match &ast.header {
        Some(Header::Measure { id, .. }) => {
            let head = Span::new(
                line_start(ctx.source.text(), id.span.start) as usize,
                id.span.end as usize,
            );
            if within(head) {
                return Some((measure_hover(&id.dotted()), head));
            }
        }
        Some(Header::Library { id }) if within(id.span) => {
            let text = format!(
                "```oqm\nlibrary {}\n```\nA library of {} shared define(s).",
                id.dotted(),
                ast.defines.len()
            );
            return Some((text, id.span));
        }
        Some(Header::Library { .. }) => {}
        None => {}
    }
    for u in &ast.uses {
        if within(u.span) {
            let id = u.dotted();
            let mut text = format!("```oqm\nlibrary {id}\n```");
            if let Some(place) = library_file(ctx, &id)
                && let Some(name) = &place.name
            {
                text.push_str(&format!("\n\n*{name}*"));
                if let Some(src) = ctx.source_of(name) {
                    let doc = leading_comment(src.text(), 0, true);
                    if !doc.is_empty() {
                        text.push_str(&format!("\n\n{doc}"));
                    }
                }
            }
            return Some((text, u.span));
        }
    }
    for d in &ast.defines {
        if within(d.name.span) {
            return Some((define_hover(ctx, ctx.name, &d.name.text), d.name.span));
        }
    }
    for p in &ast.populations {
        if within(p.span) {
            return Some((population_hover(&ast, p.kind), p.span));
        }
    }
    let fact = ctx.facts()?.at(offset)?;
    let ty = fact.ty.as_ref().map(ToString::to_string);
    let text = match &fact.what {
        Resolved::Define { file, name } => {
            let file = ctx.file_name(*file)?;
            define_hover(ctx, file, name)
        }
        Resolved::Field { record, field } => field_hover(record.name, field),
        Resolved::Root { field } => field_hover("chart", field),
        Resolved::Local { name } => format!(
            "```oqm\n{name}: {}\n```\nA query element or a define's parameter.",
            ty.as_deref().unwrap_or("unknown type")
        ),
        Resolved::Enum { schema } => {
            let value = ctx.source.slice(fact.span).trim_matches('"');
            format!(
                "```oqm\n{value}: enum {}\n```\nA value of `{}`: {}",
                schema.name,
                schema.name,
                values_list(schema)
            )
        }
        Resolved::ValueSet { name } => valueset_hover(ctx, name),
        Resolved::Period => {
            let doc = crate::chart::schema()
                .parameters
                .field("reporting_period")
                .map_or("", |f| f.doc);
            format!(
                "```oqm\n{}: {}\n```\n{}",
                ctx.source.slice(fact.span),
                ty.as_deref().unwrap_or("period"),
                if doc.is_empty() {
                    "The measure's reporting period (`start`, `end`)."
                } else {
                    doc
                }
            )
        }
        Resolved::Builtin { name } => builtin_hover(name),
    };
    Some((text, fact.span))
}

fn line_start(text: &str, offset: u32) -> u32 {
    let before = text.get(..offset as usize).unwrap_or("");
    before
        .rfind('\n')
        .map_or(0, |i| u32::try_from(i.saturating_add(1)).unwrap_or(0))
}

/// The `#` comment block right above the line of `offset` (or, with `file_head`, the first
/// comment block after the file's first line), without the `#`s.
pub(crate) fn leading_comment(text: &str, offset: u32, file_head: bool) -> String {
    let lines: Vec<&str> = if file_head {
        // The header line, a blank line, then the comment block.
        text.lines()
            .skip(1)
            .skip_while(|l| l.trim().is_empty())
            .take_while(|l| l.trim_start().starts_with('#'))
            .collect()
    } else {
        let before = text.get(..line_start(text, offset) as usize).unwrap_or("");
        let mut block: Vec<&str> = before
            .lines()
            .rev()
            .take_while(|l| l.trim_start().starts_with('#'))
            .collect();
        block.reverse();
        block
    };
    let stripped: Vec<&str> = lines
        .iter()
        .map(|l| {
            let l = l.trim_start().trim_start_matches('#');
            l.strip_prefix(' ').unwrap_or(l).trim_end()
        })
        .collect();
    stripped.join("\n").trim().to_owned()
}

fn define_hover(ctx: &Ctx<'_>, file: &str, name: &str) -> String {
    let mut out = String::from("```oqm\ndefine ");
    out.push_str(name);
    let mut doc = String::new();
    if let Some((span, params)) = ctx.define_in(file, name) {
        if !params.is_empty() {
            out.push_str(&format!("({})", params.join(", ")));
        }
        if let Some(src) = ctx.source_of(file) {
            doc = leading_comment(src.text(), span.start, false);
        }
    }
    let ty = ctx
        .analysis
        .file_facts(file)
        .and_then(|f| f.define_type(name))
        .map(ToString::to_string);
    if let Some(ty) = ty {
        out.push_str(&format!(": {ty}"));
    }
    out.push_str("\n```");
    if !doc.is_empty() {
        out.push_str("\n\n");
        out.push_str(&doc);
    }
    if file != ctx.name {
        out.push_str(&format!("\n\n*{file}*"));
    }
    out
}

fn field_hover(record: &str, field: &FieldSchema) -> String {
    let mut out = format!(
        "```oqm\n{}: {}\n```\n`{record}.{}`",
        field.name,
        field.ty.describe(),
        field.name
    );
    if !field.doc.trim().is_empty() {
        out.push_str(&format!(": {}", field.doc.trim()));
    }
    match field.ty.base {
        BaseType::Enum { schema } => {
            out.push_str(&format!("\n\nValues: {}", values_list(schema)));
        }
        BaseType::Record { schema } => {
            let names: Vec<&str> = schema.fields.iter().map(|f| f.name).collect();
            out.push_str(&format!("\n\nFields: {}", names.join(", ")));
        }
        BaseType::Scalar { .. } => {}
    }
    out
}

fn values_list(schema: &EnumSchema) -> String {
    let values: Vec<String> = schema.values.iter().map(|v| format!("`{v}`")).collect();
    values.join(", ")
}

fn valueset_hover(ctx: &Ctx<'_>, name: &str) -> String {
    let file = format!("valuesets/{name}.json");
    let vs = ctx
        .source_of(&file)
        .and_then(|s| ValueSet::from_json(s.text()).ok());
    match vs {
        Some(vs) => format!(
            "```oqm\nvalueset \"{}\"\n```\n{}\n\n{} code(s). Source: {}\n\n*{file}*",
            vs.name,
            vs.title,
            vs.listed.len(),
            vs.source
        ),
        None => format!("```oqm\nvalueset \"{name}\"\n```"),
    }
}

fn builtin_hover(name: &str) -> String {
    let doc = match name {
        "age_at" => "`age_at(date)`: the patient's age in whole years on `date`.",
        "days_between" => "`days_between(a, b)`: the days from date `a` to date `b`.",
        "period" => "`period(start, end)`: the period from `start` to `end`, both included.",
        "min" => "`min(list)`: the smallest value of a list.",
        "max" => "`max(list)`: the largest value of a list.",
        "distinct" => "`distinct(list)`: the list without repeated values.",
        "coalesce" => "`coalesce(a, b, ...)`: the first value that is not missing.",
        "stage_prefix" => {
            "`stage_prefix(stage)`: the Roman-numeral prefix of a stage group (`0`, `I` … `IV`)."
        }
        "start_of_year" => "`start_of_year(date)`: 1 January of `date`'s year.",
        "range" => "`range(a, b)`: the whole numbers from `a` to `b`.",
        "band" => {
            "`band(x, c1, ..., ck)`: the label of the band of cut points `x` falls in (`<c1`, `c1-…`, `>=ck`)."
        }
        _ => "A built-in function.",
    };
    format!("```oqm\n{name}(…)\n```\n{doc}")
}

/// The catalog text of measure `id` (or a line saying it is not in the catalog).
pub(crate) fn measure_hover(id: &str) -> String {
    let Some(e) = Catalog::bundled().ok().and_then(|c| c.get(id)) else {
        return format!("```oqm\nmeasure {id}\n```\nNot in the measure catalog.");
    };
    let mut out = format!("```oqm\nmeasure {id}\n```\n**{}**\n", e.title);
    let parts = [
        ("Initial population", &e.initial_population),
        ("Denominator", &e.denominator),
        ("Denominator exclusions", &e.denominator_exclusions),
        ("Denominator exceptions", &e.denominator_exceptions),
        ("Numerator", &e.numerator),
        ("Numerator exclusions", &e.numerator_exclusions),
        ("Rationale", &e.rationale),
    ];
    for (label, text) in parts {
        if let Some(t) = text {
            out.push_str(&format!("\n- *{label}*: {t}"));
        }
    }
    out.push_str(&format!(
        "\n\nSource: {} ({})",
        e.source,
        e.evidence.as_str()
    ));
    out
}

fn catalog_population(e: &CatalogEntry, kind: PopulationKind) -> Option<&str> {
    match kind {
        PopulationKind::InitialPopulation => e.initial_population.as_deref(),
        PopulationKind::Denominator => e.denominator.as_deref(),
        PopulationKind::DenominatorExclusion => e.denominator_exclusions.as_deref(),
        PopulationKind::DenominatorException => e.denominator_exceptions.as_deref(),
        PopulationKind::Numerator => e.numerator.as_deref(),
        PopulationKind::NumeratorExclusion => e.numerator_exclusions.as_deref(),
    }
}

fn population_hover(ast: &File, kind: PopulationKind) -> String {
    let mut out = format!("```oqm\n{}\n```\nA population criterion.", kind.keyword());
    if let Some(Header::Measure { id, .. }) = &ast.header
        && let Some(e) = Catalog::bundled().ok().and_then(|c| c.get(&id.dotted()))
        && let Some(text) = catalog_population(e, kind)
    {
        out.push_str(&format!("\n\nThe catalog: {text}"));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Definition

/// Where the name at `offset` is defined.
pub(crate) fn definition(ctx: &Ctx<'_>, offset: u32) -> Option<Place> {
    let ast = ctx.parse();
    let within = |s: Span| s.start <= offset && offset <= s.end;
    if let Some(u) = ast.uses.iter().find(|u| within(u.span)) {
        return library_file(ctx, &u.dotted());
    }
    if let Some(d) = ast.defines.iter().find(|d| within(d.name.span)) {
        return Some(Place {
            path: ctx.root.join(ctx.name),
            name: Some(ctx.name.to_owned()),
            span: d.name.span,
        });
    }
    let fact = ctx.facts()?.at(offset)?;
    match &fact.what {
        Resolved::Define { file, name } => {
            let file = ctx.file_name(*file)?;
            let (span, _) = ctx.define_in(file, name)?;
            Some(Place {
                path: ctx.root.join(file),
                name: Some(file.to_owned()),
                span,
            })
        }
        Resolved::ValueSet { name } => {
            let file = format!("valuesets/{name}.json");
            let known = ctx.source_of(&file).is_some();
            Some(Place {
                path: ctx.root.join(&file),
                name: known.then_some(file),
                span: Span::new(0, 0),
            })
        }
        _ => None,
    }
}

/// The file of library `id` (`lib.common`), at its header.
fn library_file(ctx: &Ctx<'_>, id: &str) -> Option<Place> {
    ctx.analysis
        .sources
        .iter()
        .filter(|(name, _)| name.ends_with(".oqm"))
        .find_map(|(name, src)| {
            let (ast, _) = crate::dsl::parse(src.text());
            match ast.header {
                Some(Header::Library { id: lib }) if lib.dotted() == id => Some(Place {
                    path: ctx.root.join(name),
                    name: Some(name.clone()),
                    span: lib.span,
                }),
                _ => None,
            }
        })
}

// ---------------------------------------------------------------------------------------
// Completion

/// What a completion item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemKind {
    Field,
    Define,
    Enum,
    Keyword,
    Function,
    Variable,
    ValueSet,
}

/// One completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) label: String,
    pub(crate) kind: ItemKind,
    pub(crate) detail: String,
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The completions at `offset`.
pub(crate) fn complete(ctx: &Ctx<'_>, offset: u32) -> Vec<Item> {
    let text = ctx.source.text();
    let before = text.get(..offset as usize).unwrap_or("");
    let word_start = before
        .len()
        .saturating_sub(before.chars().rev().take_while(|c| is_ident(*c)).count());
    let head = before.get(..word_start).unwrap_or("");
    // Inside `valueset "…`: the value sets.
    if let Some(open) = head.strip_suffix('"')
        && open.trim_end().ends_with("valueset")
    {
        return ctx
            .analysis
            .sources
            .keys()
            .filter_map(|n| n.strip_prefix("valuesets/")?.strip_suffix(".json"))
            .map(|n| Item {
                label: n.to_owned(),
                kind: ItemKind::ValueSet,
                detail: "value set".into(),
            })
            .collect();
    }
    // After `x.`: the fields of what `x` is.
    if let Some(base) = head.strip_suffix('.') {
        let base_end = u32::try_from(base.len()).unwrap_or(0);
        let base_word: String = {
            let mut w: Vec<char> = base.chars().rev().take_while(|c| is_ident(*c)).collect();
            w.reverse();
            w.into_iter().collect()
        };
        return match type_of_name(ctx, &base_word, base_end) {
            Some(ty) => fields_of(&ty),
            None => Vec::new(),
        };
    }
    let mut items = Vec::new();
    // After `x =`, `x !=`, `x in [`, `x not in [a,`: the values of `x`'s enumeration.
    if let Some(schema) = enum_context(ctx, head) {
        items.extend(schema.values.iter().map(|v| Item {
            label: (*v).to_owned(),
            kind: ItemKind::Enum,
            detail: format!("enum {}", schema.name),
        }));
        return items;
    }
    // Fields of the query elements in scope, innermost first, and their aliases.
    let mut scopes: Vec<_> = ctx
        .facts()
        .into_iter()
        .flat_map(|f| f.scopes.iter())
        .filter(|s| s.span.start <= offset && offset <= s.span.end)
        .collect();
    scopes.sort_by_key(|s| std::cmp::Reverse(s.span.start));
    for s in scopes {
        if let Some(alias) = &s.alias {
            items.push(Item {
                label: alias.clone(),
                kind: ItemKind::Variable,
                detail: s.ty.to_string(),
            });
        }
        if s.alias.is_none() {
            items.extend(fields_of(&s.ty));
        }
    }
    // Defines in scope: this file's and those of the libraries it uses.
    let ast = ctx.parse();
    for d in &ast.defines {
        items.push(define_item(ctx, ctx.name, &d.name.text, d.params.len()));
    }
    for u in &ast.uses {
        if let Some(place) = library_file(ctx, &u.dotted())
            && let Some(name) = place.name
            && let Some(src) = ctx.source_of(&name)
        {
            let (lib, _) = crate::dsl::parse(src.text());
            for d in &lib.defines {
                items.push(define_item(ctx, &name, &d.name.text, d.params.len()));
            }
        }
    }
    // The chart's roots, the parameter, built-ins and keywords.
    let schema = crate::chart::schema();
    items.extend(schema.chart.fields.iter().map(|f| Item {
        label: f.name.to_owned(),
        kind: ItemKind::Field,
        detail: f.ty.describe(),
    }));
    items.push(Item {
        label: "reporting_period".into(),
        kind: ItemKind::Variable,
        detail: "period".into(),
    });
    items.extend(crate::measure::facts::builtin_names().iter().map(|n| Item {
        label: (*n).to_owned(),
        kind: ItemKind::Function,
        detail: "built-in function".into(),
    }));
    let keywords = crate::dsl::keywords()
        .iter()
        .copied()
        .chain(PopulationKind::ALL.iter().map(|p| p.keyword()));
    items.extend(keywords.map(|k| Item {
        label: k.to_owned(),
        kind: ItemKind::Keyword,
        detail: "keyword".into(),
    }));
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.label.clone()));
    items
}

fn define_item(ctx: &Ctx<'_>, file: &str, name: &str, params: usize) -> Item {
    let ty = ctx
        .analysis
        .file_facts(file)
        .and_then(|f| f.define_type(name))
        .map(ToString::to_string);
    let detail = match (ty, params) {
        (Some(t), _) => format!("define: {t}"),
        (None, 0) => "define".to_owned(),
        (None, n) => format!("define with {n} parameter(s)"),
    };
    Item {
        label: name.to_owned(),
        kind: ItemKind::Define,
        detail,
    }
}

fn fields_of(ty: &crate::measure::facts::Ty) -> Vec<Item> {
    use crate::measure::facts::Ty;
    let record: &RecordSchema = match ty {
        Ty::Record(r) => r,
        Ty::List(el) => match el.as_ref() {
            Ty::Record(r) => r,
            _ => return Vec::new(),
        },
        Ty::Period => {
            return ["start", "end"]
                .map(|n| Item {
                    label: n.to_owned(),
                    kind: ItemKind::Field,
                    detail: "date".into(),
                })
                .to_vec();
        }
        _ => return Vec::new(),
    };
    record
        .fields
        .iter()
        .map(|f| Item {
            label: f.name.to_owned(),
            kind: ItemKind::Field,
            detail: f.ty.describe(),
        })
        .collect()
}

/// The type of the name `word` written just before byte `end` (for `word.`): what the
/// checker found there, else what the same name is elsewhere in the file (this analysis or
/// the last clean one), else a chart root, a define or a query alias of that name.
fn type_of_name(ctx: &Ctx<'_>, word: &str, end: u32) -> Option<crate::measure::facts::Ty> {
    use crate::measure::facts::Ty;
    if word.is_empty() {
        return None;
    }
    let text = ctx.source.text();
    let facts = [ctx.facts(), ctx.settled];
    for f in facts.iter().flatten() {
        if let Some(fact) = f.refs.iter().find(|r| r.span.end == end && r.ty.is_some()) {
            return fact.ty.clone();
        }
    }
    // The same name elsewhere: the nearest occurrence with a type.
    for f in facts.iter().flatten() {
        let named = f
            .refs
            .iter()
            .filter(|r| r.ty.is_some())
            .filter(|r| match &r.what {
                Resolved::Local { name } | Resolved::Define { name, .. } => name == word,
                Resolved::Root { field } => field.name == word,
                _ => false,
            })
            .min_by_key(|r| r.span.end.abs_diff(end));
        if let Some(r) = named {
            return r.ty.clone();
        }
        if let Some(s) = f.scopes.iter().find(|s| s.alias.as_deref() == Some(word)) {
            return Some(s.ty.clone());
        }
        if let Some(t) = f.define_type(word) {
            return Some(t.clone());
        }
    }
    let _ = text;
    let schema = crate::chart::schema();
    if let Some(f) = schema.chart.field(word) {
        return crate::measure::facts::field_type(&f.ty);
    }
    (word == "reporting_period").then_some(Ty::Period)
}

/// The enumeration whose values fit after `head` (`kind = `, `kind in [a, `).
fn enum_context(ctx: &Ctx<'_>, head: &str) -> Option<&'static EnumSchema> {
    use crate::measure::facts::Ty;
    let trimmed = head.trim_end();
    // Inside an open `[`: the operand before `in [`.
    let operand_end = if let Some(open) = trimmed.rfind('[')
        && !trimmed.get(open..).unwrap_or("").contains(']')
    {
        let before = trimmed.get(..open)?.trim_end();
        let before = before.strip_suffix("in")?.trim_end();
        before.strip_suffix("not").map_or(before, str::trim_end)
    } else if let Some(b) = trimmed.strip_suffix("!=") {
        b.trim_end()
    } else if let Some(b) = trimmed.strip_suffix('=') {
        if b.ends_with(['<', '>', '!']) {
            return None;
        }
        b.trim_end()
    } else {
        return None;
    };
    let end = u32::try_from(operand_end.len()).ok()?;
    let word: String = {
        let mut w: Vec<char> = operand_end
            .chars()
            .rev()
            .take_while(|c| is_ident(*c))
            .collect();
        w.reverse();
        w.into_iter().collect()
    };
    let facts = [ctx.facts(), ctx.settled];
    let mut ty = None;
    for f in facts.iter().flatten() {
        if let Some(fact) = f.refs.iter().find(|r| r.span.end == end && r.ty.is_some()) {
            ty = fact.ty.clone();
            break;
        }
    }
    if ty.is_none() {
        // The same field name elsewhere in the file.
        ty = facts.iter().flatten().find_map(|f| {
            f.refs.iter().find_map(|r| match &r.what {
                Resolved::Field { field, .. } if field.name == word => r.ty.clone(),
                _ => None,
            })
        });
    }
    match ty? {
        Ty::Enum(e) => Some(e),
        Ty::List(el) => match *el {
            Ty::Enum(e) => Some(e),
            _ => None,
        },
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Document symbols

/// What a symbol is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SymbolKind {
    Measure,
    Library,
    Define,
    Population,
    Stratifier,
}

/// A symbol of the file, with its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Symbol {
    pub(crate) name: String,
    pub(crate) detail: Option<String>,
    pub(crate) kind: SymbolKind,
    /// The whole item.
    pub(crate) span: Span,
    /// Its name.
    pub(crate) name_span: Span,
    pub(crate) children: Vec<Symbol>,
}

/// The file's symbols: the measure (or library) holding its defines, populations and
/// stratifiers.
pub(crate) fn symbols(source: &Source) -> Vec<Symbol> {
    let (ast, _) = crate::dsl::parse(source.text());
    let mut children = Vec::new();
    for d in &ast.defines {
        let detail = (!d.params.is_empty()).then(|| {
            let p: Vec<&str> = d.params.iter().map(|p| p.text.as_str()).collect();
            format!("({})", p.join(", "))
        });
        children.push(Symbol {
            name: d.name.text.clone(),
            detail,
            kind: SymbolKind::Define,
            span: d.name.span.to(d.body.span),
            name_span: d.name.span,
            children: Vec::new(),
        });
    }
    for p in &ast.populations {
        children.push(Symbol {
            name: p.kind.keyword().to_owned(),
            detail: None,
            kind: SymbolKind::Population,
            span: p.span.to(p.criterion.span),
            name_span: p.span,
            children: Vec::new(),
        });
    }
    for s in &ast.stratifiers {
        children.push(Symbol {
            name: s.name.text.clone(),
            detail: Some("stratifier".into()),
            kind: SymbolKind::Stratifier,
            span: s.name.span.to(s.expr.span),
            name_span: s.name.span,
            children: Vec::new(),
        });
    }
    children.sort_by_key(|c| c.span.start);
    let end = u32::try_from(source.text().len()).unwrap_or(u32::MAX);
    let (id, kind, detail) = match &ast.header {
        Some(Header::Measure { id, metadata }) => {
            let title = metadata.iter().find_map(|m| match &m.value {
                crate::dsl::ast::MetaValue::Str(s, _) if m.key.text == "title" => Some(s.clone()),
                _ => None,
            });
            (id, SymbolKind::Measure, title)
        }
        Some(Header::Library { id }) => (id, SymbolKind::Library, None),
        None => return children,
    };
    vec![Symbol {
        name: id.dotted(),
        detail,
        kind,
        span: Span {
            start: 0,
            end: end.max(id.span.end),
        },
        name_span: id.span,
        children,
    }]
}

// ---------------------------------------------------------------------------------------
// Quick fixes

/// A quick fix: replace `span` by `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fix {
    pub(crate) title: String,
    pub(crate) span: Span,
    pub(crate) text: String,
    /// The diagnostic it fixes.
    pub(crate) diagnostic: Diagnostic,
}

/// The did-you-mean suggestion of a diagnostic's help (`did you mean `x`?`).
pub(crate) fn suggestion(d: &Diagnostic) -> Option<&str> {
    let help = d.help.as_deref()?;
    let rest = help.strip_prefix("did you mean `")?;
    rest.strip_suffix("`?")
}

/// The quick fixes of the diagnostics of this file that overlap `[start, end]`.
pub(crate) fn fixes(ctx: &Ctx<'_>, start: u32, end: u32) -> Vec<Fix> {
    let Some(diags) = ctx.analysis.diagnostics.get(ctx.name) else {
        return Vec::new();
    };
    diags
        .iter()
        .filter(|d| d.span.start <= end && start <= d.span.end)
        .filter_map(|d| {
            let s = suggestion(d)?;
            let written = ctx.source.slice(d.span);
            if written.is_empty() {
                return None;
            }
            // A value-set name is written as a string.
            let text = if written.starts_with('"') && written.ends_with('"') {
                format!("\"{s}\"")
            } else {
                s.to_owned()
            };
            Some(Fix {
                title: format!("Replace `{written}` with `{text}`"),
                span: d.span,
                text,
                diagnostic: d.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::SpecFile;

    const LIB: &str =
        "library lib.t\n\n# Office visits.\ndefine visits = encounters where kind = office_visit\n";
    const SPEC: &str = "measure core.t {\n  title \"T\" module core tracks [core]\n  direction higher_is_better scoring proportion source \"s\" version \"1\"\n}\nuse lib.t\ndefine firsts = visits as v where v.date during reporting_period\ninitial_population = exists firsts\nnumerator = exists diagnoses where stage_group is present and cancer_type = breast\n";

    fn analysis(spec: &str) -> Analysis {
        let files = vec![
            SpecFile::new("core/t.oqm", spec),
            SpecFile::new("lib/t.oqm", LIB),
        ];
        let mut a = Analysis::default();
        for f in &files {
            a.sources.insert(
                f.name.clone(),
                Source::new(f.name.as_str(), f.text.as_str()),
            );
        }
        let (built, facts) = crate::measure::facts::analyse(files, Vec::new());
        if let Err(e) = built {
            for (s, d) in e.files() {
                a.diagnostics.insert(s.name().to_owned(), d.to_vec());
            }
        }
        a.facts = facts;
        a
    }

    fn with_ctx<R>(spec: &str, f: impl FnOnce(&Ctx<'_>) -> R) -> R {
        let a = analysis(spec);
        let source = a.sources.get("core/t.oqm").unwrap().clone();
        let ctx = Ctx {
            root: Path::new("/r"),
            analysis: &a,
            name: "core/t.oqm",
            source: &source,
            settled: None,
        };
        f(&ctx)
    }

    fn at(needle: &str) -> u32 {
        u32::try_from(SPEC.find(needle).unwrap()).unwrap()
    }

    #[test]
    fn hover_names_what_is_under_the_cursor() {
        with_ctx(SPEC, |ctx| {
            let (text, _) = hover(ctx, at("visits as") + 2).unwrap();
            assert!(
                text.contains("define visits: list of record Encounter"),
                "{text}"
            );
            assert!(text.contains("Office visits."), "{text}");
            assert!(text.contains("*lib/t.oqm*"), "{text}");
            let (text, _) = hover(ctx, at("stage_group")).unwrap();
            assert!(text.starts_with("```oqm\nstage_group:"), "{text}");
            let (text, _) = hover(ctx, at("breast")).unwrap();
            assert!(text.contains("enum CancerType"), "{text}");
            let (text, _) = hover(ctx, at("v.date")).unwrap();
            assert!(text.contains("v: record Encounter"), "{text}");
            // Between items: nothing.
            assert!(hover(ctx, at("use lib") - 1).is_none());
        });
    }

    #[test]
    fn definition_goes_into_the_used_library() {
        with_ctx(SPEC, |ctx| {
            let place = definition(ctx, at("visits as")).unwrap();
            assert_eq!(place.name.as_deref(), Some("lib/t.oqm"));
            assert_eq!(place.path, Path::new("/r/lib/t.oqm"));
            assert_eq!(
                place.span.start,
                u32::try_from(LIB.find("visits =").unwrap()).unwrap()
            );
            let lib = definition(ctx, at("lib.t")).unwrap();
            assert_eq!(lib.name.as_deref(), Some("lib/t.oqm"));
        });
    }

    #[test]
    fn completion_after_a_dot_lists_the_fields_of_its_type() {
        with_ctx(SPEC, |ctx| {
            let labels = |items: Vec<Item>| items.into_iter().map(|i| i.label).collect::<Vec<_>>();
            // `v.` — the alias of an encounter.
            let after_dot = labels(complete(ctx, at("v.date") + 2));
            assert!(after_dot.contains(&"date".to_owned()), "{after_dot:?}");
            assert!(!after_dot.contains(&"diagnoses".to_owned()));
            // After `cancer_type = `: its values.
            let values = labels(complete(ctx, at("breast")));
            assert!(values.contains(&"breast".to_owned()), "{values:?}");
            // Anywhere else: defines, roots, keywords, built-ins.
            let all = labels(complete(ctx, at("initial_population")));
            for w in [
                "visits",
                "firsts",
                "diagnoses",
                "exists",
                "age_at",
                "numerator",
            ] {
                assert!(all.contains(&w.to_owned()), "{w} in {all:?}");
            }
        });
    }

    #[test]
    fn symbols_and_quick_fixes() {
        let spec = SPEC.replace("exists firsts", "exists firts");
        with_ctx(&spec, |ctx| {
            let syms = symbols(ctx.source);
            assert_eq!(syms.len(), 1);
            assert_eq!(syms[0].name, "core.t");
            let names: Vec<&str> = syms[0].children.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(names, ["firsts", "initial_population", "numerator"]);
            let at = u32::try_from(spec.find("firts").unwrap()).unwrap();
            let fixes = fixes(ctx, at, at);
            assert_eq!(fixes.len(), 1);
            assert_eq!(fixes[0].text, "firsts");
            assert_eq!(ctx.source.slice(fixes[0].span), "firts");
        });
    }

    #[test]
    fn the_leading_comment_block_is_the_doc() {
        let text = "a\n\n# one\n#two\ndefine x = 1\n";
        let at = u32::try_from(text.find("define").unwrap()).unwrap();
        assert_eq!(leading_comment(text, at, false), "one\ntwo");
        assert_eq!(
            leading_comment("library l\n\n# head\n\ndefine", 0, true),
            "head"
        );
    }
}
