//! Parsing one chart from JSON text, with PHI-safe errors.

use std::fmt;

use serde::Serialize;

use crate::chart::serde_error::{field_path, finding_kind, looks_like_field_name};
use crate::chart::{Chart, Finding, FindingKind, Limits, Projection, validate};

/// A chart that parsed and passed validation, with its warnings.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CheckedChart {
    /// The chart.
    pub chart: Chart,
    /// Findings that did not reject the chart.
    pub warnings: Vec<Finding>,
    /// Where it came from: the JSONL line (1-based), or `None` for a single document.
    pub line: Option<usize>,
}

/// A rejected record: where it was, and every finding (at least one is an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[non_exhaustive]
pub struct RecordError {
    /// Line (1-based): the JSONL line, or for a single document the line of a JSON-level
    /// error inside it (`None` for a document's semantic findings).
    pub line: Option<usize>,
    /// Column (1-based) of a JSON-level error, when known.
    pub column: Option<usize>,
    /// The findings: errors, and any warnings found beside them.
    pub findings: Vec<Finding>,
}

impl RecordError {
    pub(crate) fn single(line: Option<usize>, column: Option<usize>, finding: Finding) -> Self {
        RecordError {
            line,
            column,
            findings: vec![finding],
        }
    }

    /// The error findings only.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_error())
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: ")?,
            (Some(l), None) => write!(f, "line {l}: ")?,
            (None, Some(c)) => write!(f, "column {c}: ")?,
            (None, None) => {}
        }
        for (i, finding) in self.findings.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{finding}")?;
        }
        Ok(())
    }
}

/// Parses and validates one chart from JSON text (no line number attached).
///
/// The fast path deserialises directly; only a failing record is parsed a second time to
/// find the field path of its error, so valid input pays nothing for error reporting.
pub fn parse_chart(text: &str, limits: &Limits) -> Result<CheckedChart, RecordError> {
    parse_at(text, limits, None)
}

impl Chart {
    /// Parses and validates one chart from JSON text; see [`parse_chart`].
    pub fn from_json(text: &str) -> Result<Chart, RecordError> {
        parse_chart(text, &Limits::default()).map(|checked| checked.chart)
    }
}

/// Parses and validates one chart from JSON text, reading only the fields `projection`
/// keeps and skimming the rest (see [`Projection`]): unread values are checked for JSON
/// syntax and, where the schema has a record or a code, for unknown and repeated keys;
/// not for their types or values, and the semantic checks of validation see the kept
/// fields only. A record this refuses is read again by [`parse_chart`], whose findings
/// (line, column, field path) it reports, so a refusal reads as `validate` reports it.
///
/// ```
/// use oncoqual::chart::Projection;
/// use oncoqual::io::{Limits, parse_chart_projected};
/// let p = Projection::from_paths(["patient.sex"]);
/// let line = r#"{"id":"a","practice":"p","round":"2026-1","patient":{"sex":"female","birth_date":"1950-01-01"}}"#;
/// let c = parse_chart_projected(line, &Limits::default(), &p).unwrap();
/// assert!(c.chart.patient.sex.is_some());
/// assert!(c.chart.patient.birth_date.is_none()); // not read
/// // An unknown key is refused where it is skipped too, with its place:
/// let bad = r#"{"id":"a","practice":"p","round":"2026-1","labs":[{"nmae":"x"}]}"#;
/// let e = parse_chart_projected(bad, &Limits::default(), &p).unwrap_err();
/// assert_eq!(e.findings[0].path, "labs[0].nmae");
/// ```
pub fn parse_chart_projected(
    text: &str,
    limits: &Limits,
    projection: &Projection,
) -> Result<CheckedChart, RecordError> {
    parse_with(text, limits, None, Some(projection))
}

/// [`parse_at`] under `projection` when one is given and it leaves a field out.
pub(crate) fn parse_with(
    text: &str,
    limits: &Limits,
    line: Option<usize>,
    projection: Option<&Projection>,
) -> Result<CheckedChart, RecordError> {
    let Some(projection) = projection.filter(|p| !p.is_full()) else {
        return parse_at(text, limits, line);
    };
    if text.len() > limits.max_line_bytes {
        return parse_at(text, limits, line);
    }
    let Ok(chart) = crate::chart::project::chart_from_str(text, projection) else {
        // Refused: the full parse finds and words the error (it refuses what this
        // refuses; should it ever accept, its chart is the one to keep).
        return parse_at(text, limits, line);
    };
    checked(chart, limits, line)
}

pub(crate) fn parse_at(
    text: &str,
    limits: &Limits,
    line: Option<usize>,
) -> Result<CheckedChart, RecordError> {
    if text.len() > limits.max_line_bytes {
        return Err(RecordError::single(
            line,
            None,
            Finding::error(
                "",
                FindingKind::LineTooLong {
                    limit: limits.max_line_bytes,
                },
            ),
        ));
    }
    let chart = match serde_json::from_str::<Chart>(text) {
        Ok(chart) => chart,
        Err(_) => return Err(locate_parse_error(text, line)),
    };
    checked(chart, limits, line)
}

/// Validates a parsed chart.
fn checked(
    chart: Chart,
    limits: &Limits,
    line: Option<usize>,
) -> Result<CheckedChart, RecordError> {
    let mut findings = validate(&chart, limits);
    if findings.iter().any(Finding::is_error) {
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        return Err(RecordError {
            line,
            column: None,
            findings,
        });
    }
    Ok(CheckedChart {
        chart,
        warnings: findings,
        line,
    })
}

/// Re-parses a failing record, tracking the path, and maps the error to a safe finding.
fn locate_parse_error(text: &str, line: Option<usize>) -> RecordError {
    let de = &mut serde_json::Deserializer::from_str(text);
    let (path, err) = match serde_path_to_error::deserialize::<_, Chart>(de) {
        Ok(_) => {
            // The fast path failed, so this cannot succeed; stay safe if it ever does.
            return RecordError::single(
                line,
                None,
                Finding::error(
                    "",
                    FindingKind::Syntax {
                        message: "could not be parsed".into(),
                    },
                ),
            );
        }
        Err(e) => (field_path(e.path(), looks_like_field_name), e.into_inner()),
    };
    let column = Some(err.column()).filter(|&c| c > 0);
    // For a single document, the line is the error's line inside it.
    let line = line.or(Some(err.line()).filter(|&l| l > 0));
    let kind = with_suggestion(finding_kind(&err), &path);
    let first = Finding::error(path, kind);
    let findings = match err.classify() {
        // A field error: the record is well-formed JSON, so the others can be found too.
        serde_json::error::Category::Data => every_field_error(text, first),
        _ => vec![first],
    };
    RecordError {
        line,
        column,
        findings,
    }
}

/// An unknown field's kind with the closest known field name, when one is close.
fn with_suggestion(kind: FindingKind, path: &str) -> FindingKind {
    match kind {
        FindingKind::UnknownField => match suggest_field(path) {
            Some(suggestion) => FindingKind::UnknownFieldDidYouMean { suggestion },
            None => FindingKind::UnknownField,
        },
        other => other,
    }
}

/// Most field errors reported for one record; past it, a last finding says there are more.
const MAX_FIELD_ERRORS: usize = 32;

/// Most repairs tried for one record (some repeat a finding already reported).
const MAX_REPAIRS: usize = 2 * MAX_FIELD_ERRORS;

/// Every field error of a record whose first one is `first`, so that an abstractor fixes
/// a chart in one pass (a bad date no longer hides a bad enumeration value beside it).
///
/// Runs only for a record that failed (the fast path is untouched): the record is read as
/// a JSON tree, and each error found is repaired in the tree with a neutral value of the
/// field's type (or the unknown field removed, or the missing one added) before reading
/// it again, until it reads or [`MAX_FIELD_ERRORS`] are found. The neutral values never
/// reach a caller: the record is rejected either way.
fn every_field_error(text: &str, first: Finding) -> Vec<Finding> {
    let mut findings = vec![first];
    let Ok(mut tree) = serde_json::from_str::<serde_json::Value>(text) else {
        return findings;
    };
    let mut seen: Vec<(Vec<Step>, FindingKind)> = Vec::new();
    // Each round reads the whole tree: bounded, so a record of many errors (or of many
    // hidden keys, which all read `<key>`) costs a fixed number of reads.
    let mut complete = false;
    for _ in 0..MAX_REPAIRS {
        let err = match serde_path_to_error::deserialize::<_, Chart>(&tree) {
            Ok(_) => {
                complete = true;
                break;
            }
            Err(e) => e,
        };
        let steps: Vec<Step> = err.path().iter().filter_map(Step::of).collect();
        let path = field_path(err.path(), looks_like_field_name);
        let kind = with_suggestion(finding_kind(err.inner()), &path);
        // The text parse found the first error already; the tree finds it again (maybe in
        // another order), so a finding is added once.
        let finding = Finding::error(path, kind.clone());
        if seen.iter().any(|(s, k)| *s == steps && *k == kind) || !repair(&mut tree, &steps, &kind)
        {
            // Cannot be repaired: what follows it cannot be told apart from its effects.
            complete = true;
            break;
        }
        seen.push((steps, kind));
        if !findings.contains(&finding) {
            if findings.len() == MAX_FIELD_ERRORS {
                break;
            }
            findings.push(finding);
        }
    }
    if !complete {
        findings.push(Finding::error(
            "",
            FindingKind::MoreErrors {
                shown: findings.len(),
            },
        ));
    }
    findings
}

/// One step of a path into a JSON tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

impl Step {
    fn of(seg: &serde_path_to_error::Segment) -> Option<Step> {
        use serde_path_to_error::Segment;
        match seg {
            Segment::Seq { index } => Some(Step::Index(*index)),
            Segment::Map { key } | Segment::Enum { variant: key } => Some(Step::Key(key.clone())),
            Segment::Unknown => None,
        }
    }
}

/// What the schema knows of a place in a chart.
#[derive(Clone, Copy)]
enum Typed {
    /// A field's value (a list or a single value).
    Field(crate::chart::FieldType),
    /// One entry of a list.
    Entry(crate::chart::BaseType),
}

/// How deep the schema follows `steps` from the chart, and the type found there (`None`
/// for the chart itself).
fn resolve(steps: &[Step]) -> (usize, Option<Typed>) {
    use crate::chart::BaseType;
    let field_of = |base: BaseType, key: &str| match base {
        BaseType::Record { schema } => schema.field(key).map(|f| Typed::Field(f.ty)),
        _ => None,
    };
    let mut here: Option<Typed> = None;
    for (depth, step) in steps.iter().enumerate() {
        let next = match (here, step) {
            (None, Step::Key(key)) => crate::chart::schema()
                .chart
                .field(key)
                .map(|f| Typed::Field(f.ty)),
            (Some(Typed::Field(ty)), Step::Index(_)) if ty.list => Some(Typed::Entry(ty.base)),
            (Some(Typed::Field(ty)), Step::Key(key)) if !ty.list => field_of(ty.base, key),
            (Some(Typed::Entry(base)), Step::Key(key)) => field_of(base, key),
            _ => None,
        };
        match next {
            Some(t) => here = Some(t),
            None => return (depth, here),
        }
    }
    (steps.len(), here)
}

/// A value every field of the type accepts (for a record: the empty object, as every
/// field of a nested record is optional or a list).
fn neutral(base: crate::chart::BaseType) -> serde_json::Value {
    use crate::chart::{BaseType, Scalar};
    use serde_json::json;
    match base {
        BaseType::Scalar { scalar } => match scalar {
            Scalar::Date => json!("2000-01-01"),
            Scalar::Number => json!(0),
            Scalar::Boolean => json!(false),
            Scalar::Code => json!({"system": "x", "code": "x"}),
            Scalar::Round => json!("2000-1"),
            _ => json!("x"),
        },
        BaseType::Enum { schema } => json!(schema.values.first().copied().unwrap_or("")),
        BaseType::Record { .. } => json!({}),
    }
}

fn neutral_at(typed: Typed) -> serde_json::Value {
    match typed {
        Typed::Field(ty) if ty.list => serde_json::Value::Array(Vec::new()),
        Typed::Field(ty) if ty.optional => serde_json::Value::Null,
        Typed::Field(ty) => neutral(ty.base),
        Typed::Entry(base) => neutral(base),
    }
}

fn at<'v>(tree: &'v mut serde_json::Value, steps: &[Step]) -> Option<&'v mut serde_json::Value> {
    steps.iter().try_fold(tree, |v, step| match step {
        Step::Key(k) => v.as_object_mut()?.get_mut(k),
        Step::Index(i) => v.as_array_mut()?.get_mut(*i),
    })
}

/// Repairs the error `kind` at `steps` in `tree`; `false` when it cannot (the search stops).
fn repair(tree: &mut serde_json::Value, steps: &[Step], kind: &FindingKind) -> bool {
    match kind {
        FindingKind::UnknownField | FindingKind::UnknownFieldDidYouMean { .. } => {
            let Some((Step::Key(key), parent)) = steps.split_last() else {
                return false;
            };
            at(tree, parent)
                .and_then(serde_json::Value::as_object_mut)
                .and_then(|o| o.remove(key))
                .is_some()
        }
        FindingKind::MissingField { field } => {
            let (depth, typed) = resolve(steps);
            let record = match typed {
                None if depth == 0 => Some(crate::chart::schema().chart),
                Some(Typed::Field(ty)) if !ty.list => match ty.base {
                    crate::chart::BaseType::Record { schema } => Some(schema),
                    _ => None,
                },
                Some(Typed::Entry(crate::chart::BaseType::Record { schema })) => Some(schema),
                _ => None,
            };
            let (Some(record), true) = (record, depth == steps.len()) else {
                return false;
            };
            let Some(f) = record.field(field) else {
                return false;
            };
            match at(tree, steps).and_then(serde_json::Value::as_object_mut) {
                Some(object) => {
                    object.insert(f.name.to_owned(), neutral(f.ty.base));
                    true
                }
                None => false,
            }
        }
        _ => {
            // The nearest place the schema knows, at or above the error: replaced whole.
            let (depth, typed) = resolve(steps);
            let (Some(typed), Some(place)) = (typed, steps.get(..depth)) else {
                return false;
            };
            match at(tree, place) {
                Some(v) => {
                    let neutral = neutral_at(typed);
                    if *v == neutral {
                        return false;
                    }
                    *v = neutral;
                    true
                }
                None => false,
            }
        }
    }
}

/// The closest field name of the record that holds the unknown field at `path`, if close.
fn suggest_field(path: &str) -> Option<&'static str> {
    let (parent, unknown) = match path.rsplit_once('.') {
        Some((p, u)) => (p, u),
        None => ("", path),
    };
    if unknown == "<key>" {
        return None;
    }
    let parent: String = {
        let mut out = String::with_capacity(parent.len());
        // Bracket depth: bounded by the path's length, far inside `i32` (saturating only to
        // stay panic-free).
        let mut depth: i32 = 0;
        for c in parent.chars() {
            match c {
                '[' => depth = depth.saturating_add(1),
                ']' => depth = depth.saturating_sub(1),
                _ if depth == 0 => out.push(c),
                _ => {}
            }
        }
        out
    };
    let schema = crate::chart::schema();
    let record = if parent.is_empty() {
        schema.chart
    } else {
        match schema.resolve(&parent)?.ty.base {
            crate::chart::BaseType::Record { schema } => schema,
            _ => return None,
        }
    };
    record
        .fields
        .iter()
        .map(|f| (f.name, strsim::damerau_levenshtein(unknown, f.name)))
        .filter(|&(name, d)| d <= 2.max(name.len() / 4))
        .min_by_key(|&(_, d)| d)
        .map(|(name, _)| name)
}
