//! Parsing one chart from JSON text, with PHI-safe errors.

use std::fmt;

use serde::Serialize;

use super::Limits;
use crate::chart::types::msg;
use crate::chart::{Chart, Finding, FindingKind, validate};

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
    let mut kind = finding_kind(&err);
    if kind == FindingKind::UnknownField
        && let Some(suggestion) = suggest_field(&path)
    {
        kind = FindingKind::UnknownFieldDidYouMean { suggestion };
    }
    RecordError::single(line, column, Finding::error(path, kind))
}

/// Renders a serde path as `regimens[3].start_date`. A map key for which `show` is false
/// (in charts: one that does not look like a field name, so may be a misplaced patient
/// value) is shown as `<key>`.
pub(crate) fn field_path(path: &serde_path_to_error::Path, show: fn(&str) -> bool) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(if show(key) { key } else { "<key>" });
            }
            // A segment serde could not name (inside a syntax error): stop there.
            Segment::Unknown => break,
        }
    }
    out
}

/// Field names are short lowercase-first identifiers; anything else is hidden from messages.
fn looks_like_field_name(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 64
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
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
        let mut depth = 0;
        for c in parent.chars() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
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

/// A message for a serde_json error that never contains the rejected value.
pub(crate) fn safe_message(err: &serde_json::Error) -> String {
    finding_kind(err).to_string()
}

fn finding_kind(err: &serde_json::Error) -> FindingKind {
    use serde_json::error::Category;
    let full = err.to_string();
    // serde_json appends " at line L column C"; drop it (we report line and column ourselves).
    let text = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => &full[..],
    };
    match err.classify() {
        Category::Syntax | Category::Eof => FindingKind::Syntax {
            // serde_json's syntax messages describe the grammar, never the input's content.
            message: text.to_owned(),
        },
        Category::Io => FindingKind::Io {
            message: text.to_owned(),
        },
        Category::Data => data_kind(text),
    }
}

/// Maps serde's data-error messages to finding kinds, keeping only the parts that come from
/// our own types (field names, expectations), never the part that quotes the input.
fn data_kind(text: &str) -> FindingKind {
    let expected = || {
        text.rsplit_once(", expected ")
            .map(|(_, e)| e.to_owned())
            .unwrap_or_else(|| "another value".to_owned())
    };
    if text.starts_with("invalid type:") {
        FindingKind::InvalidType {
            expected: expected(),
        }
    } else if text.starts_with("invalid value:") || text.starts_with("invalid length") {
        FindingKind::InvalidValue {
            expected: format!("expected {}", expected()),
        }
    } else if text.starts_with("unknown field") {
        FindingKind::UnknownField
    } else if let Some(rest) = text.strip_prefix("missing field `") {
        FindingKind::MissingField {
            field: rest.trim_end_matches('`').to_owned(),
        }
    } else if text.starts_with("duplicate field") {
        FindingKind::DuplicateField
    } else if text.starts_with(msg::ENUM) {
        FindingKind::InvalidValue {
            expected: expected_enum(text),
        }
    } else if let Some(m) = msg::ALL.iter().find(|m| text == **m) {
        FindingKind::InvalidValue {
            expected: (*m).to_owned(),
        }
    } else {
        FindingKind::InvalidValue {
            expected: "a value this field accepts".to_owned(),
        }
    }
}

fn expected_enum(text: &str) -> String {
    match text.split_once(", expected ") {
        Some((_, e)) => format!("expected {e}"),
        None => "expected a known value".to_owned(),
    }
}
