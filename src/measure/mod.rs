//! Compiled measures: the checker and compiler (AST → IR with fields resolved to accessors
//! and defines to slots), the evaluator, explain traces and the library of measures.
//!
//! ```
//! use oncoqual::measure::{Library, SpecFile};
//! let spec = r#"
//! measure core.example {
//!   title "Example" module core tracks [core] direction higher_is_better
//!   scoring proportion source "doc" version "1"
//! }
//! initial_population = exists diagnoses
//! numerator = exists diagnoses where stage_group = IV
//! "#;
//! let lib = Library::from_files(vec![SpecFile::new("core/example.oqm", spec)], vec![]).unwrap();
//! assert_eq!(lib.measures().len(), 1);
//! ```

mod cases;
mod catalog;
mod coverage;
mod eval;
mod explain;
pub(crate) mod facts;
mod fingerprint;
mod fs;
mod ir;
mod library;
mod link;
mod lower;
mod meta;
pub(crate) mod mutate;
mod optimize;
mod outcome;
mod requirements;
mod trace;
pub(crate) mod value;
mod valueset;
#[cfg(feature = "cli")]
pub(crate) use valueset::ValueSet;

pub use cases::{
    CaseFailure, CaseFilter, CaseProblem, CaseReport, CaseResult, cover_cases, run_cases,
    run_cases_filtered,
};
pub use catalog::{
    Catalog, CatalogEntry, CatalogError, Comparison, Evidence, MetadataField, Mismatch,
};
pub(crate) use coverage::shown_percent;
pub use coverage::{Clause, ClauseKind, ClauseStatus, Coverage, CoverageTotals, MeasureCoverage};
pub use fingerprint::LibraryFingerprint;
pub use library::{
    CheckErrors, EVAL_BUDGET, EvalError, Library, LoadError, RestrictError, Selection, SpecFile,
};
pub use meta::{Direction, MeasureInfo, Scoring};
pub use outcome::{CriterionTrace, Explanation, Outcome, Population, Populations, Step};
pub use requirements::DataRequirements;
