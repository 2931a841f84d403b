//! Linking: every parsed file of a library (measures, `lib` modules, value sets) checked
//! together, shared defines given slots, each measure's criteria and stratifiers lowered
//! to IR, composites ordered after their components, and the [`Library`] assembled. Every
//! diagnostic of every file is collected before the library is refused.

use std::collections::HashMap;

use super::ir::{Node, Ty};
use super::library::{CheckErrors, Compiled, Library, MeasureDef, SpecFile};
use super::lower::{Compiler, SlotDef, Unit0};
use super::meta::{MeasureInfo, Scoring, check_metadata};
use super::valueset::ValueSet;
use crate::dsl::ast::{self, File, Header, PopulationKind};
use crate::dsl::{Diagnostic, Source, Span, did_you_mean};

/// Deepest walk through `if`, `coalesce` and defines when finding a stratifier's values.
const MAX_CATEGORY_DEPTH: u32 = 64;

/// Every value a stratifier compiled to `node`, of type `ty`, can yield (as
/// [`stratum_text`] writes it) when they are a closed set of categories: an enumeration's
/// values, `false` / `true`, the labels of a `band`, `stage_prefix`'s prefixes, string
/// literals, and `if` / `coalesce` / defines over these. `None` for anything else (a date,
/// an id, a code, a number, a string read from the chart): its values are patient values.
fn category_values(
    node: &Node,
    ty: &Ty,
    slots: &[SlotDef],
    depth: u32,
) -> Option<std::collections::BTreeSet<String>> {
    use super::ir::{Builtin, Const, Op};
    match ty {
        Ty::Enum(e) => return Some(e.values.iter().map(|v| (*v).to_owned()).collect()),
        Ty::Bool => return Some(["false", "true"].map(str::to_owned).into()),
        Ty::Str | Ty::Any => {}
        _ => return None,
    }
    if depth > MAX_CATEGORY_DEPTH {
        return None;
    }
    let union = |nodes: &mut dyn Iterator<Item = &Node>| {
        let mut all = std::collections::BTreeSet::new();
        for n in nodes {
            all.extend(category_values(n, ty, slots, depth.saturating_add(1))?);
        }
        Some(all)
    };
    match node.op() {
        Op::Const(Const::Str(s)) => Some([s.to_string()].into()),
        Op::Const(Const::Missing) => Some(std::collections::BTreeSet::new()),
        Op::Call(Builtin::Band, args) => Some(
            args.iter()
                .filter_map(|a| match a.op() {
                    Op::Const(Const::Str(s)) => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
        ),
        Op::Call(Builtin::StagePrefix, _) => {
            Some(["0", "I", "II", "III", "IV"].map(str::to_owned).into())
        }
        Op::Call(Builtin::Coalesce, args) => union(&mut args.iter()),
        Op::If(_, a, b) => union(&mut [a.as_ref(), b.as_ref()].into_iter()),
        Op::Let { body, .. } => category_values(body, ty, slots, depth.saturating_add(1)),
        Op::Slot(i) => {
            let slot = slots.get(usize::try_from(*i).ok()?)?;
            category_values(&slot.node, ty, slots, depth.saturating_add(1))
        }
        _ => None,
    }
}

/// The diagnostic of a stratifier whose values are not a closed set of categories.
fn not_a_category(span: Span, ty: &Ty) -> Diagnostic {
    let help = match ty {
        Ty::Num => {
            "band the number with explicit cut points: `band(age_at(reporting_period.start), 18, 65, 75)` yields `<18`, `18-64`, `65-74`, `>=75`"
        }
        Ty::Date => {
            "stratify by an age band instead: `band(age_at(reporting_period.start), 18, 65, 75)`, or by a test (`date during reporting_period`)"
        }
        _ => {
            "stratify by an enumeration field, a test (`x in [..]`, `code in valueset \"name\"`), a `band` of a number, or `if` over string literals"
        }
    };
    Diagnostic::error(
        "E0216",
        span,
        format!(
            "a stratifier must yield a category (an enumeration, a boolean or a `band`), not {}: its values would be written into tallies and reports",
            match ty {
                Ty::Str => "a string read from the chart".to_owned(),
                Ty::Any => "a value of no known type".to_owned(),
                other => {
                    let text = other.to_string();
                    let article = if text.starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    };
                    format!("{article} {text}")
                }
            }
        ),
    )
    .with_help(help)
}

struct Parsed {
    source: Source,
    ast: File,
    diags: Vec<Diagnostic>,
}

pub(super) fn build(specs: Vec<SpecFile>, vs_files: Vec<SpecFile>) -> Result<Library, CheckErrors> {
    build_recording(specs, vs_files, None)
}

/// [`build`], recording into `facts` (when given) what the checker learns about names.
pub(super) fn build_recording(
    specs: Vec<SpecFile>,
    vs_files: Vec<SpecFile>,
    facts: Option<&mut super::facts::Facts>,
) -> Result<Library, CheckErrors> {
    let (spec_files, vs_copy) = (specs.clone(), vs_files.clone());
    let parsed: Vec<Parsed> = specs
        .into_iter()
        .map(|f| {
            let (ast, diags) = crate::dsl::parse(&f.text);
            Parsed {
                source: Source::new(f.name, f.text),
                ast,
                diags,
            }
        })
        .collect();
    // Value sets: their errors are reported against their own file.
    let mut vs_errors: Vec<(Source, Vec<Diagnostic>)> = Vec::new();
    let mut valuesets: Vec<ValueSet> = Vec::new();
    let mut vs_index: HashMap<String, u32> = HashMap::new();
    for f in vs_files {
        let source = Source::new(f.name.clone(), f.text.clone());
        match ValueSet::from_json(&f.text) {
            Ok(vs) => {
                let stem = f
                    .name
                    .rsplit('/')
                    .next()
                    .and_then(|n| n.strip_suffix(".json"))
                    .unwrap_or("");
                if vs.name != stem {
                    vs_errors.push((
                        source,
                        vec![Diagnostic::error(
                            "E0211",
                            Span::new(0, 0),
                            format!(
                                "value set `{}` must be in a file named `{}.json`",
                                vs.name, vs.name
                            ),
                        )],
                    ));
                    continue;
                }
                let idx = u32::try_from(valuesets.len()).unwrap_or(u32::MAX);
                vs_index.insert(vs.name.clone(), idx);
                valuesets.push(vs);
            }
            Err(e) => vs_errors.push((
                source,
                vec![Diagnostic::error(
                    "E0211",
                    Span::new(0, 0),
                    format!("invalid value set: {e}"),
                )],
            )),
        }
    }

    let mut extra: Vec<Vec<Diagnostic>> = vec![Vec::new(); parsed.len()];
    // Headers: library ids and measure ids, unique across the library.
    let mut libs: HashMap<String, usize> = HashMap::new();
    let mut measure_ids: HashMap<String, usize> = HashMap::new();
    for (i, (p, ex)) in parsed.iter().zip(extra.iter_mut()).enumerate() {
        let (id, is_lib) = match &p.ast.header {
            Some(Header::Library { id }) => (id, true),
            Some(Header::Measure { id, .. }) => (id, false),
            None => continue,
        };
        let text = id.dotted();
        let map = if is_lib { &mut libs } else { &mut measure_ids };
        if let Some(&other) = map.get(&text) {
            let other_name = parsed.get(other).map_or("", |o| o.source.name());
            ex.push(
                Diagnostic::error(
                    "E0209",
                    id.span,
                    format!("`{text}` is already declared in {other_name}"),
                )
                .with_help("ids are unique across the library"),
            );
        } else {
            map.insert(text, i);
        }
    }

    // Per-file name tables and `use` resolution.
    let mut units = Vec::with_capacity(parsed.len());
    let mut file_uses: Vec<Vec<usize>> = Vec::with_capacity(parsed.len());
    for (p, ex) in parsed.iter().zip(extra.iter_mut()) {
        let mut defines: HashMap<&str, &ast::Define> = HashMap::new();
        for d in &p.ast.defines {
            if let Some(prev) = defines.insert(d.name.text.as_str(), d) {
                ex.push(
                    Diagnostic::error(
                        "E0209",
                        d.name.span,
                        format!("`{}` is defined twice", d.name.text),
                    )
                    .with_label(prev.name.span, "first defined here"),
                );
            }
        }
        let mut uses = Vec::new();
        for u in &p.ast.uses {
            let name = u.dotted();
            match libs.get(&name) {
                Some(&l) => uses.push(l),
                None => {
                    let mut d =
                        Diagnostic::error("E0210", u.span, format!("unknown library `{name}`"));
                    d = match did_you_mean(&name, libs.keys().map(String::as_str)) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(
                            "libraries are `library lib.NAME` files, e.g. in `measure-specs/lib/`",
                        ),
                    };
                    ex.push(d);
                }
            }
        }
        file_uses.push(uses.clone());
        units.push(Unit0 { defines, uses });
    }
    let mut compiler = Compiler::new(units, vs_index);
    let mut facts = facts;
    if let Some(f) = facts.as_deref_mut() {
        compiler.facts = Some(std::mem::take(f));
    }
    type Pending = (
        usize,
        MeasureInfo,
        [Option<Compiled>; 6],
        Vec<(Compiled, Vec<String>)>,
        Vec<ast::Path>,
    );
    let mut measures: Vec<Pending> = Vec::new();
    for (fi, (p, ex)) in parsed.iter().zip(extra.iter_mut()).enumerate() {
        compiler.check_all_defines(fi, &p.ast.defines);
        match &p.ast.header {
            Some(Header::Library { .. }) | None => {
                for pop in &p.ast.populations {
                    ex.push(Diagnostic::error(
                        "E0214",
                        pop.span,
                        "a library holds defines only",
                    ));
                }
                for s in &p.ast.stratifiers {
                    ex.push(Diagnostic::error(
                        "E0214",
                        s.name.span,
                        "a library holds defines only",
                    ));
                }
                if p.ast.header.is_none() && p.diags.is_empty() {
                    ex.push(Diagnostic::error(
                        "E0213",
                        Span::new(0, 0),
                        "a file starts with `measure ID { ... }` or `library lib.NAME`",
                    ));
                }
            }
            Some(Header::Measure { id, metadata }) => {
                let meta = check_metadata(id, metadata, p.source.name(), ex);
                let composite = meta.info.scoring == Scoring::CompositeAllOrNone;
                let mut criteria: [Option<Compiled>; 6] = Default::default();
                for pop in &p.ast.populations {
                    // One entry per population kind.
                    let Some(entry) = criteria.get_mut(pop.kind as usize) else {
                        continue;
                    };
                    if entry.is_some() {
                        ex.push(Diagnostic::error(
                            "E0209",
                            pop.span,
                            format!("`{}` is given twice", pop.kind.keyword()),
                        ));
                        continue;
                    }
                    if composite && pop.kind != PopulationKind::InitialPopulation {
                        ex.push(
                            Diagnostic::error(
                                "E0212",
                                pop.span,
                                format!("a composite has no `{}` of its own", pop.kind.keyword()),
                            )
                            .with_help("its denominator and numerator come from its components"),
                        );
                        continue;
                    }
                    let (node, ty, locals) = compiler.top(fi, &pop.criterion);
                    if ty != Ty::Bool && ty != Ty::Any {
                        ex.push(Diagnostic::error(
                            "E0202",
                            pop.criterion.span,
                            format!("a population criterion must be boolean, found {ty}"),
                        ));
                    }
                    *entry = Some(Compiled::new(node, locals));
                }
                if !matches!(
                    criteria.get(PopulationKind::InitialPopulation as usize),
                    Some(Some(_))
                ) {
                    ex.push(Diagnostic::error(
                        "E0213",
                        id.span,
                        "the measure has no `initial_population`",
                    ));
                }
                let mut strat = Vec::new();
                let mut info = meta.info;
                for s in &p.ast.stratifiers {
                    if info.stratifiers.contains(&s.name.text) {
                        ex.push(Diagnostic::error(
                            "E0209",
                            s.name.span,
                            format!("stratifier `{}` is given twice", s.name.text),
                        ));
                        continue;
                    }
                    let (node, ty, locals) = compiler.top(fi, &s.expr);
                    let values = if matches!(ty, Ty::List(_) | Ty::Record(_) | Ty::Period) {
                        ex.push(Diagnostic::error(
                            "E0202",
                            s.expr.span,
                            format!("a stratifier yields one value per chart, found {ty}"),
                        ));
                        Vec::new()
                    } else if ty == Ty::Any && compiler.diags.get(fi).is_some_and(|d| !d.is_empty())
                    {
                        // Already refused: no follow-on error.
                        Vec::new()
                    } else {
                        match category_values(&node, &ty, &compiler.slots, 0) {
                            Some(values) => values.into_iter().collect(),
                            None => {
                                ex.push(not_a_category(s.expr.span, &ty));
                                Vec::new()
                            }
                        }
                    };
                    info.stratifiers.push(s.name.text.clone());
                    strat.push((Compiled::new(node, locals), values));
                }
                measures.push((fi, info, criteria, strat, meta.components));
            }
        }
    }

    // Composite components: known ids, no cycles.
    let index: HashMap<String, usize> = measures
        .iter()
        .enumerate()
        .map(|(i, m)| (m.1.id.clone(), i))
        .collect();
    let mut comp_idx: Vec<Vec<usize>> = vec![Vec::new(); measures.len()];
    for (m, components) in measures.iter().zip(comp_idx.iter_mut()) {
        for c in &m.4 {
            let id = c.dotted();
            match index.get(&id) {
                Some(&ci) => components.push(ci),
                None => {
                    let mut d = Diagnostic::error(
                        "E0212",
                        c.span,
                        format!("unknown component measure `{id}`"),
                    );
                    if let Some(s) = did_you_mean(&id, index.keys().map(String::as_str)) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    if let Some(ex) = extra.get_mut(m.0) {
                        ex.push(d);
                    }
                }
            }
        }
    }
    let order = match topo_order(&comp_idx) {
        Ok(o) => o,
        Err(cycle) => {
            let names: Vec<&str> = cycle
                .iter()
                .filter_map(|&i| measures.get(i))
                .map(|m| m.1.id.as_str())
                .collect();
            for m in cycle.iter().filter_map(|&mi| measures.get(mi)) {
                let span = m.4.first().map_or(Span::new(0, 0), |c| c.span);
                let Some(ex) = extra.get_mut(m.0) else {
                    continue;
                };
                ex.push(
                    Diagnostic::error(
                        "E0212",
                        span,
                        format!(
                            "composite `{}` contains itself through its components",
                            m.1.id
                        ),
                    )
                    .with_help(format!("the cycle: {}", names.join(" → "))),
                );
            }
            Vec::new()
        }
    };

    if let (Some(f), Some(recorded)) = (facts, compiler.facts.take()) {
        *f = recorded;
    }
    // Gather every diagnostic.
    let mut errors: Vec<(Source, Vec<Diagnostic>)> = Vec::new();
    let checker_diags = std::mem::take(&mut compiler.diags);
    for ((p, cd), ex) in parsed.iter().zip(checker_diags).zip(extra) {
        let mut all = p.diags.clone();
        all.extend(cd);
        all.extend(ex);
        all.sort_by_key(|d| (d.span.start, d.code));
        all.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        if !all.is_empty() {
            errors.push((p.source.clone(), all));
        }
    }
    errors.extend(vs_errors);
    if !errors.is_empty() {
        return Err(CheckErrors { files: errors });
    }
    let slots = std::mem::take(&mut compiler.slots);
    drop(compiler);
    let sources: Vec<Source> = parsed.iter().map(|p| p.source.clone()).collect();
    let mut lib_ids: Vec<(String, usize)> = libs.into_iter().collect();
    lib_ids.sort();
    let measures: Vec<MeasureDef> = measures
        .into_iter()
        .zip(comp_idx)
        .map(|((file, info, criteria, stratifiers, _), components)| {
            let (stratifiers, stratum_values) = stratifiers.into_iter().unzip();
            MeasureDef {
                id: std::sync::Arc::from(info.id.as_str()),
                info,
                file,
                criteria,
                stratifiers,
                stratum_values,
                components,
            }
        })
        .collect();
    let by_id = measures
        .iter()
        .enumerate()
        .map(|(i, m)| (m.info.id.clone(), i))
        .collect();
    let fingerprint = super::fingerprint::LibraryFingerprint::of(
        &spec_files,
        &vs_copy,
        &mut measures.iter().map(|m| m.info.id.as_str()),
    );
    Ok(Library {
        sources,
        file_uses,
        lib_ids,
        slots,
        valuesets,
        measures,
        order,
        by_id,
        fingerprint,
        restricted: None,
    })
}

/// Components before composites; `Err` with the measures of a cycle.
fn topo_order(deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit(
        i: usize,
        deps: &[Vec<usize>],
        marks: &mut [Mark],
        out: &mut Vec<usize>,
        stack: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        // `i` is an index of `deps` (and of `marks`, one mark per entry).
        let (Some(mark), Some(next)) = (marks.get(i).copied(), deps.get(i)) else {
            return Ok(());
        };
        match mark {
            Mark::Done => return Ok(()),
            Mark::Active => {
                let from = stack.iter().position(|&s| s == i).unwrap_or(0);
                let mut cycle = stack.get(from..).unwrap_or_default().to_vec();
                cycle.push(i);
                return Err(cycle);
            }
            Mark::New => {}
        }
        let set = |marks: &mut [Mark], m: Mark| {
            if let Some(at) = marks.get_mut(i) {
                *at = m;
            }
        };
        set(marks, Mark::Active);
        stack.push(i);
        for &d in next {
            visit(d, deps, marks, out, stack)?;
        }
        stack.pop();
        set(marks, Mark::Done);
        out.push(i);
        Ok(())
    }
    let mut marks = vec![Mark::New; deps.len()];
    let mut out = Vec::with_capacity(deps.len());
    for i in 0..deps.len() {
        let mut stack = Vec::new();
        visit(i, deps, &mut marks, &mut out, &mut stack)?;
    }
    Ok(out)
}
