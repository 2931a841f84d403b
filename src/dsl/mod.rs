//! The measure language (`.oqm`): lexer, parser and diagnostics.
//!
//! A measure file reads top to bottom: a header (`measure ID { metadata }`, or
//! `library ID` for a file of shared defines), `use` lines naming shared define libraries,
//! `define`s (optionally with parameters), the population criteria and stratifiers:
//!
//! ```
//! let text = r#"
//! measure core.pain-intensity-quantified {
//!   title     "Pain intensity quantified, first two office visits"
//!   module    core
//!   tracks    [core, qcp]
//!   direction higher_is_better
//!   scoring   proportion
//!   source    "Adapted from NQF 0384 / CMS157"
//!   version   "1.0.0"
//! }
//!
//! use lib.oncology
//!
//! define visits    = encounters where kind = office_visit and date during reporting_period
//!                    sorted by date
//! define first_two = visits take 2
//!
//! initial_population = age_at(reporting_period.start) >= 18 and exists first_two
//! numerator          = all first_two as v satisfy
//!                        exists assessments where kind = pain and date = v.date
//! "#;
//! let (file, diagnostics) = oncoqual::dsl::parse(text);
//! assert!(diagnostics.is_empty());
//! assert_eq!(file.defines.len(), 2);
//! assert_eq!(file.populations.len(), 2);
//! ```
//!
//! The checker, compiler and evaluator build on this front end.

pub mod ast;
mod diagnostic;
mod lexer;
mod parser;
mod span;

pub(crate) use diagnostic::did_you_mean;
pub use diagnostic::{Diagnostic, Level};
pub(crate) use parser::keyword_like;
#[cfg(feature = "cli")]
pub(crate) use parser::keywords;
pub use parser::{MAX_DEPTH, parse};
pub use span::{Source, Span};
