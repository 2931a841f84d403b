//! Value sets: named code lists in `measure-specs/valuesets/<name>.json`.

use std::collections::HashSet;

use serde::Deserialize;

use crate::chart::Code;

/// How a value set compares codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Compare {
    /// System and code equal, character for character.
    #[default]
    Exact,
    /// As `exact`, after removing every `.` from both codes (ICD codes written with or
    /// without their dot).
    WithoutDots,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: String,
    title: String,
    source: String,
    #[serde(default)]
    compare: Compare,
    codes: Vec<RawCode>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCode {
    system: String,
    code: String,
}

/// A loaded value set.
#[derive(Debug, Clone)]
pub(crate) struct ValueSet {
    pub(crate) name: String,
    /// Its title and source, as the file states them (these four fields are read by the
    /// FHIR export, feature `fhir`).
    #[cfg_attr(not(feature = "fhir"), allow(dead_code))]
    pub(crate) title: String,
    #[cfg_attr(not(feature = "fhir"), allow(dead_code))]
    pub(crate) source: String,
    /// The codes as the file lists them (system, code), in file order.
    #[cfg_attr(not(feature = "fhir"), allow(dead_code))]
    pub(crate) listed: Vec<(String, String)>,
    /// The BLAKE3 hash of the file's text, in hex (a value set carries no version of its
    /// own: this names its content).
    #[cfg_attr(not(feature = "fhir"), allow(dead_code))]
    pub(crate) digest: String,
    compare: Compare,
    codes: HashSet<(String, String)>,
}

fn normalise(compare: Compare, code: &str) -> String {
    match compare {
        Compare::Exact => code.to_owned(),
        Compare::WithoutDots => code.chars().filter(|c| *c != '.').collect(),
    }
}

impl ValueSet {
    /// Parses a value-set file; the error says what and where (line, column).
    pub(crate) fn from_json(text: &str) -> Result<ValueSet, String> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let raw: Raw = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            format!(
                "{}:{}: {}{}",
                inner.line(),
                inner.column(),
                if path == "." {
                    String::new()
                } else {
                    format!("at `{path}`: ")
                },
                inner
            )
        })?;
        if raw.codes.is_empty() {
            return Err("a value set needs at least one code".to_owned());
        }
        let codes = raw
            .codes
            .iter()
            .map(|c| (c.system.clone(), normalise(raw.compare, &c.code)))
            .collect();
        Ok(ValueSet {
            name: raw.name,
            title: raw.title,
            source: raw.source,
            listed: raw.codes.into_iter().map(|c| (c.system, c.code)).collect(),
            digest: blake3::hash(text.as_bytes()).to_hex().to_string(),
            compare: raw.compare,
            codes,
        })
    }

    /// Whether `code` is in the set.
    pub(crate) fn contains(&self, code: &Code) -> bool {
        match self.compare {
            Compare::Exact => self
                .codes
                .iter()
                .any(|(s, c)| s == code.system.as_str() && c == code.code.as_str()),
            Compare::WithoutDots => {
                let mut buf = [0u8; 64];
                let Some(stripped) = without_dots(&code.code, &mut buf) else {
                    return false;
                };
                self.codes
                    .iter()
                    .any(|(s, c)| s == code.system.as_str() && c == stripped)
            }
        }
    }
}

/// `code` without its dots, written into `buf`; `None` when that is longer than `buf` (no
/// code of a value set is).
#[allow(
    clippy::arithmetic_side_effects,
    reason = "`n` is below the buffer's length when it is incremented: `get_mut(n)` succeeded"
)]
fn without_dots<'b>(code: &str, buf: &'b mut [u8; 64]) -> Option<&'b str> {
    let mut n = 0;
    for b in code.bytes().filter(|b| *b != b'.') {
        *buf.get_mut(n)? = b;
        n += 1;
    }
    // Removing ASCII dots from UTF-8 text leaves UTF-8 text.
    Some(
        buf.get(..n)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or(""),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const VS: &str = r#"{"name":"x","title":"X","source":"s","compare":"without_dots",
        "codes":[{"system":"ICD-O-3","code":"C09.9"},{"system":"ICD-10-CM","code":"C01"}]}"#;

    #[test]
    fn without_dots_matches_either_spelling_in_the_same_system_only() {
        let vs = ValueSet::from_json(VS).unwrap();
        assert!(vs.contains(&Code::new("ICD-O-3", "C09.9")));
        assert!(vs.contains(&Code::new("ICD-O-3", "C099")));
        assert!(!vs.contains(&Code::new("ICD-10-CM", "C09.9")));
        assert!(vs.contains(&Code::new("ICD-10-CM", "C01")));
        assert!(!vs.contains(&Code::new("ICD-O-3", "C09.8")));
    }

    #[test]
    fn a_bad_file_names_line_and_field() {
        let err =
            ValueSet::from_json("{\"name\":\"x\",\"title\":\"X\",\"source\":\"s\",\n\"codez\":[]}")
                .unwrap_err();
        assert!(err.starts_with("2:"), "{err}");
        assert!(err.contains("codez"), "{err}");
    }
}
