//! Measure metadata: the header every spec carries (`title`, `module`, `tracks`,
//! `direction`, `scoring`, `source`, `version`, `description`, `components`), its types
//! and its checker. The first stage after parsing: a measure whose header does not check is
//! reported with every other diagnostic and is never linked.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::dsl::ast::{self, MetaValue};
use crate::dsl::{Diagnostic, Span, did_you_mean};

/// Whether a higher or a lower rate is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Direction {
    /// The numerator is the desired outcome.
    HigherIsBetter,
    /// The numerator is the undesired event (overuse, aggressive end-of-life care).
    LowerIsBetter,
}

impl Direction {
    /// The name written in specs and reports (`higher_is_better`, `lower_is_better`).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::HigherIsBetter => "higher_is_better",
            Direction::LowerIsBetter => "lower_is_better",
        }
    }
}

/// How a measure is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scoring {
    /// A proportion (numerator over denominator).
    Proportion,
    /// Computed and reported, never in the Overall Quality Score or certification.
    Informational,
    /// All-or-none over component measures.
    CompositeAllOrNone,
}

impl Scoring {
    /// The name written in specs and reports (`proportion`, `informational`,
    /// `composite_all_or_none`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scoring::Proportion => "proportion",
            Scoring::Informational => "informational",
            Scoring::CompositeAllOrNone => "composite_all_or_none",
        }
    }
}

/// A measure's metadata.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct MeasureInfo {
    /// Stable id (`module.kebab-name`).
    pub id: String,
    /// Title shown in reports.
    pub title: String,
    /// Module.
    pub module: String,
    /// Reporting tracks; the first is the module's own.
    pub tracks: Vec<String>,
    /// Direction.
    pub direction: Direction,
    /// Scoring.
    pub scoring: Scoring,
    /// Source measure or guideline.
    pub source: String,
    /// Spec version.
    pub version: String,
    /// Optional longer description.
    pub description: Option<String>,
    /// Component ids (composites only).
    pub components: Vec<String>,
    /// Stratifier names, in declaration order.
    pub stratifiers: Vec<String>,
    /// The spec file.
    pub file: String,
}

const DIRECTIONS: [&str; 2] = ["higher_is_better", "lower_is_better"];
const SCORINGS: [&str; 3] = ["proportion", "informational", "composite_all_or_none"];
const META_KEYS: [&str; 9] = [
    "title",
    "module",
    "tracks",
    "direction",
    "scoring",
    "source",
    "version",
    "description",
    "components",
];

pub(super) struct Meta {
    pub(super) info: MeasureInfo,
    pub(super) components: Vec<ast::Path>,
}

pub(super) fn check_metadata(
    id: &ast::Path,
    entries: &[ast::MetaEntry],
    file: &str,
    diags: &mut Vec<Diagnostic>,
) -> Meta {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let get_str = |v: &MetaValue, key: &str, diags: &mut Vec<Diagnostic>| -> String {
        match v {
            MetaValue::Str(s, _) => s.clone(),
            other => {
                diags.push(Diagnostic::error(
                    "E0208",
                    other.span(),
                    format!("`{key}` takes a quoted string"),
                ));
                String::new()
            }
        }
    };
    let mut info = MeasureInfo {
        id: id.dotted(),
        title: String::new(),
        module: String::new(),
        tracks: Vec::new(),
        direction: Direction::HigherIsBetter,
        scoring: Scoring::Proportion,
        source: String::new(),
        version: String::new(),
        description: None,
        components: Vec::new(),
        stratifiers: Vec::new(),
        file: file.to_owned(),
    };
    let mut components = Vec::new();
    let mut module_span = id.span;
    let mut tracks_span = id.span;
    for e in entries {
        let key = e.key.text.as_str();
        if let Some(first) = seen.get(key) {
            diags.push(
                Diagnostic::error("E0208", e.key.span, format!("`{key}` is given twice"))
                    .with_label(*first, "first given here"),
            );
            continue;
        }
        seen.insert(key, e.key.span);
        let word = |v: &MetaValue,
                    allowed: &[&str],
                    diags: &mut Vec<Diagnostic>|
         -> Option<String> {
            match v {
                MetaValue::Word(p) => {
                    let w = p.dotted();
                    if allowed.is_empty() || allowed.contains(&w.as_str()) {
                        return Some(w);
                    }
                    let mut d =
                        Diagnostic::error("E0208", p.span, format!("`{w}` is not a valid `{key}`"));
                    d = match did_you_mean(&w, allowed.iter().copied()) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(format!("one of: {}", allowed.join(", "))),
                    };
                    diags.push(d);
                    None
                }
                other => {
                    diags.push(Diagnostic::error(
                        "E0208",
                        other.span(),
                        format!("`{key}` takes a bare word"),
                    ));
                    None
                }
            }
        };
        match key {
            "title" => info.title = get_str(&e.value, key, diags),
            "source" => info.source = get_str(&e.value, key, diags),
            "version" => info.version = get_str(&e.value, key, diags),
            "description" => info.description = Some(get_str(&e.value, key, diags)),
            "module" => {
                module_span = e.value.span();
                info.module = word(&e.value, &[], diags).unwrap_or_default();
            }
            "direction" => {
                if let Some(w) = word(&e.value, &DIRECTIONS, diags) {
                    info.direction = if w == "lower_is_better" {
                        Direction::LowerIsBetter
                    } else {
                        Direction::HigherIsBetter
                    };
                }
            }
            "scoring" => {
                if let Some(w) = word(&e.value, &SCORINGS, diags) {
                    info.scoring = match w.as_str() {
                        "informational" => Scoring::Informational,
                        "composite_all_or_none" => Scoring::CompositeAllOrNone,
                        _ => Scoring::Proportion,
                    };
                }
            }
            "tracks" | "components" => match &e.value {
                MetaValue::List(items, span) => {
                    if key == "tracks" {
                        tracks_span = *span;
                        info.tracks = items.iter().map(ast::Path::dotted).collect();
                    } else {
                        info.components = items.iter().map(ast::Path::dotted).collect();
                        components = items.clone();
                    }
                }
                other => diags.push(Diagnostic::error(
                    "E0208",
                    other.span(),
                    format!("`{key}` takes a list: `[a, b]`"),
                )),
            },
            _ => {
                let mut d =
                    Diagnostic::error("E0208", e.key.span, format!("unknown metadata key `{key}`"));
                d = match did_you_mean(key, META_KEYS) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("the keys are: {}", META_KEYS.join(", "))),
                };
                diags.push(d);
            }
        }
    }
    for required in [
        "title",
        "module",
        "tracks",
        "direction",
        "scoring",
        "source",
        "version",
    ] {
        if !seen.contains_key(required) {
            diags.push(
                Diagnostic::error("E0208", id.span, format!("metadata `{required}` is missing"))
                    .with_help("every measure states title, module, tracks, direction, scoring, source and version"),
            );
        }
    }
    let prefix = id.segments.first().map(|s| s.text.as_str()).unwrap_or("");
    if id.segments.len() != 2 {
        diags.push(
            Diagnostic::error("E0208", id.span, "a measure id is `module.name`")
                .with_help("e.g. `core.tobacco-use-status-documented`"),
        );
    } else if !info.module.is_empty() && info.module != prefix {
        diags.push(
            Diagnostic::error(
                "E0208",
                module_span,
                format!(
                    "module `{}` does not match the id's module `{prefix}`",
                    info.module
                ),
            )
            .with_label(id.span, "the id"),
        );
    }
    if seen.contains_key("tracks")
        && info.tracks.first() != Some(&info.module)
        && !info.module.is_empty()
    {
        diags.push(Diagnostic::error(
            "E0208",
            tracks_span,
            format!(
                "the first track must be the measure's module `{}`",
                info.module
            ),
        ));
    }
    let composite = info.scoring == Scoring::CompositeAllOrNone;
    if composite && components.is_empty() {
        diags.push(Diagnostic::error(
            "E0212",
            id.span,
            "a composite measure lists its `components [...]`",
        ));
    }
    if !composite && let Some(&span) = seen.get("components") {
        diags.push(Diagnostic::error(
            "E0212",
            span,
            "only `composite_all_or_none` measures have components",
        ));
    }
    Meta { info, components }
}
