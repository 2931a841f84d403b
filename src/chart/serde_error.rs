//! Mapping serde's errors to findings that never echo a patient value: serde's own messages
//! quote the rejected input (`invalid type: string "…"`), so they are reduced to (field path,
//! kind, expected) and the value dropped. Used by chart ingest (`io`) and by the round
//! types' own deserialisers, which is why it lives with the chart model.

use super::types::msg;
use super::validate::FindingKind;

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
pub(crate) fn looks_like_field_name(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 64
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A message for a serde_json error that never contains the rejected value.
pub(crate) fn safe_message(err: &serde_json::Error) -> String {
    finding_kind(err).to_string()
}

pub(crate) fn finding_kind(err: &serde_json::Error) -> FindingKind {
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
