//! The certification standards catalog: domains, standards, their elements and the evidence
//! methods each standard is surveyed by. Shipped with the crate (`data/standards.json`,
//! generated from the program's `standards.toml` by `tools/gen_standards.py`).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// How a standard is surveyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Review of the practice's written policies.
    PolicyReview,
    /// Review of patient records.
    RecordsReview,
    /// Interviews with staff.
    StaffInterview,
    /// Observation of practice procedures.
    Observation,
}

impl Method {
    /// The method's name as logs and the catalog spell it (`policy_review`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Method::PolicyReview => "policy_review",
            Method::RecordsReview => "records_review",
            Method::StaffInterview => "staff_interview",
            Method::Observation => "observation",
        }
    }

    /// The method in words (`policy review`, ...).
    pub fn words(self) -> &'static str {
        match self {
            Method::PolicyReview => "policy review",
            Method::RecordsReview => "records review",
            Method::StaffInterview => "staff interview",
            Method::Observation => "observation",
        }
    }
}

/// A domain of standards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Domain {
    /// Id (`"1"` ...).
    pub id: String,
    /// Title.
    pub title: String,
}

/// A certification standard: met only when every one of its elements is met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Standard {
    /// Id (`"1.1"` ...).
    pub id: String,
    /// Its domain's id.
    pub domain: String,
    /// Title.
    pub title: String,
    /// The evidence methods it is surveyed by.
    pub methods: Vec<Method>,
    /// Its elements, in order (findings name them by 1-based index).
    pub elements: Vec<String>,
}

/// The standards catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Standards {
    /// Where the catalog came from.
    pub source: String,
    /// The domains.
    pub domains: Vec<Domain>,
    /// The standards, in catalog order.
    pub standards: Vec<Standard>,
}

/// Why a standards file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StandardsError {
    /// Not valid JSON of the catalog's shape.
    #[error("line {line}, column {column}: {message}")]
    Format {
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A rule of the catalog is broken (what and which standard).
    #[error("standard `{standard}`: {problem}")]
    Invalid {
        /// The standard id.
        standard: String,
        /// What is wrong.
        problem: &'static str,
    },
}

impl Standards {
    /// The catalog the crate ships.
    pub fn bundled() -> &'static Standards {
        static S: OnceLock<Standards> = OnceLock::new();
        S.get_or_init(|| {
            // The shipped file is checked by a test; an unreadable one yields an empty catalog
            // only if the crate was built from a corrupted checkout.
            Standards::from_json(include_str!("../../data/standards.json")).unwrap_or(Standards {
                source: String::new(),
                domains: Vec::new(),
                standards: Vec::new(),
            })
        })
    }

    /// Reads and checks a catalog: unique standard ids, known domains, at least one element
    /// and one method per standard.
    pub fn from_json(text: &str) -> Result<Standards, StandardsError> {
        let s: Standards = serde_json::from_str(text).map_err(|e| StandardsError::Format {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let mut seen = std::collections::BTreeSet::new();
        for st in &s.standards {
            let bad = |problem| StandardsError::Invalid {
                standard: st.id.clone(),
                problem,
            };
            if !seen.insert(st.id.as_str()) {
                return Err(bad("listed twice"));
            }
            if !s.domains.iter().any(|d| d.id == st.domain) {
                return Err(bad("names an unknown domain"));
            }
            if st.elements.is_empty() {
                return Err(bad("has no elements"));
            }
            if st.methods.is_empty() {
                return Err(bad("has no survey method"));
            }
        }
        Ok(s)
    }

    /// The standard `id`.
    pub fn get(&self, id: &str) -> Option<&Standard> {
        self.standards.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_has_20_standards_in_4_domains() {
        let s = Standards::from_json(include_str!("../../data/standards.json")).unwrap();
        assert_eq!(s.domains.len(), 4);
        assert_eq!(s.standards.len(), 20);
        assert!(s.standards.iter().all(|st| !st.elements.is_empty()));
        assert_eq!(Standards::bundled(), &s);
        let st = s.get("2.3").unwrap();
        assert!(st.methods.contains(&Method::Observation));
    }

    #[test]
    fn a_broken_catalog_is_refused_with_the_standard_named() {
        let text = r#"{"source":"t","domains":[{"id":"1","title":"d"}],
            "standards":[{"id":"9.9","domain":"7","title":"x","methods":["observation"],"elements":["e"]}]}"#;
        assert_eq!(
            Standards::from_json(text).unwrap_err().to_string(),
            "standard `9.9`: names an unknown domain"
        );
        let err = Standards::from_json("{\"source\": 1}").unwrap_err();
        assert!(err.to_string().starts_with("line 1, column"), "{err}");
    }
}
