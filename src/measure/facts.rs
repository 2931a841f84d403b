//! What the checker learnt about the names of a library while checking it, for editors (the
//! language server): what each name written in a file resolved to, with its type; the
//! element each query condition has in scope; the type of each parameterless define.
//!
//! Recorded only when asked ([`analyse`]): [`Library::from_sources`](super::Library) and
//! the other entry points compile without recording, exactly as before.
#![cfg_attr(not(feature = "cli"), allow(dead_code))]

pub(crate) use super::ir::Ty;
use super::library::{CheckErrors, Library, SpecFile};
pub(crate) use super::lower::field_ty as field_type;
use crate::chart::schema::{EnumSchema, FieldSchema, RecordSchema};
use crate::dsl::Span;

/// What a name written in a spec resolved to.
#[derive(Debug, Clone)]
pub(crate) enum Resolved {
    /// A define (parameterised or not) of file `file` (an index of [`Facts::names`]).
    Define {
        /// The file holding the define.
        file: usize,
        /// The define's name.
        name: String,
    },
    /// A field of a record read through an element or a value (`date`, `dx.stage_group`).
    Field {
        /// The record.
        record: &'static RecordSchema,
        /// The field.
        field: &'static FieldSchema,
    },
    /// A root list or record of the chart (`diagnoses`, `patient`).
    Root {
        /// The chart's field.
        field: &'static FieldSchema,
    },
    /// A query alias or a define's parameter.
    Local {
        /// Its name.
        name: String,
    },
    /// A value of an enumeration (`office_visit`).
    Enum {
        /// The enumeration.
        schema: &'static EnumSchema,
    },
    /// A value set (`code in valueset "name"`).
    ValueSet {
        /// Its name.
        name: String,
    },
    /// The `reporting_period` parameter, or its `start` / `end`.
    Period,
    /// A built-in function.
    Builtin {
        /// Its name.
        name: &'static str,
    },
}

/// One name written in a file, what it resolved to and its type (`None` when unknown).
#[derive(Debug, Clone)]
pub(crate) struct Fact {
    /// Where the name is written.
    pub(crate) span: Span,
    /// What it is.
    pub(crate) what: Resolved,
    /// Its type there.
    pub(crate) ty: Option<Ty>,
}

/// A query condition (`where`, `satisfy`, `sorted by` key) and the element it has in scope.
#[derive(Debug, Clone)]
pub(crate) struct ElementScope {
    /// The condition's span.
    pub(crate) span: Span,
    /// The element's type.
    pub(crate) ty: Ty,
    /// The element's alias, when written.
    pub(crate) alias: Option<String>,
}

/// What was learnt about one file.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileFacts {
    /// Names, in the order the checker met them (a name inside a parameterised define is
    /// met once per call, with that call's types).
    pub(crate) refs: Vec<Fact>,
    /// Query conditions with their element.
    pub(crate) scopes: Vec<ElementScope>,
    /// Parameterless defines with their type.
    pub(crate) define_types: Vec<(String, Ty)>,
}

/// What was learnt about every spec file of a library.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    /// The spec files' names, in the checker's order (the files' indices).
    pub(crate) names: Vec<String>,
    /// Per file, in the same order.
    pub(crate) files: Vec<FileFacts>,
}

impl Facts {
    /// The facts of the file called `name`.
    pub(crate) fn file(&self, name: &str) -> Option<&FileFacts> {
        let i = self.names.iter().position(|n| n == name)?;
        self.files.get(i)
    }

    pub(super) fn note(&mut self, file: usize, span: Span, what: Resolved, ty: Option<Ty>) {
        if let Some(f) = self.files.get_mut(file) {
            f.refs.push(Fact { span, what, ty });
        }
    }

    pub(super) fn note_scope(&mut self, file: usize, span: Span, ty: Ty, alias: Option<String>) {
        if let Some(f) = self.files.get_mut(file) {
            f.scopes.push(ElementScope { span, ty, alias });
        }
    }

    pub(super) fn note_define(&mut self, file: usize, name: &str, ty: Ty) {
        if let Some(f) = self.files.get_mut(file) {
            f.define_types.push((name.to_owned(), ty));
        }
    }
}

impl FileFacts {
    /// The innermost name written at byte `offset` (its span holds the offset, or ends at
    /// it), and what it resolved to.
    pub(crate) fn at(&self, offset: u32) -> Option<&Fact> {
        self.refs
            .iter()
            .filter(|f| f.span.start <= offset && offset <= f.span.end)
            .min_by_key(|f| f.span.end.saturating_sub(f.span.start))
    }

    /// The type of the parameterless define `name`.
    pub(crate) fn define_type(&self, name: &str) -> Option<&Ty> {
        self.define_types
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
    }
}

/// The names of the built-in functions.
pub(crate) fn builtin_names() -> Vec<&'static str> {
    super::ir::Builtin::ALL.iter().map(|(n, _)| *n).collect()
}

/// Checks a library as [`Library::from_files`] does (same diagnostics, same result) and
/// records what the checker learnt about its names.
pub(crate) fn analyse(
    specs: Vec<SpecFile>,
    valuesets: Vec<SpecFile>,
) -> (Result<Library, CheckErrors>, Facts) {
    let mut facts = Facts {
        names: specs.iter().map(|s| s.name.clone()).collect(),
        files: vec![FileFacts::default(); specs.len()],
    };
    let built = super::link::build_recording(specs, valuesets, Some(&mut facts));
    (built, facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &str = "library lib.t\n\ndefine visits = encounters where kind = office_visit\n";
    const SPEC: &str = "measure core.t {\n  title \"T\" module core tracks [core]\n  direction higher_is_better scoring proportion source \"s\" version \"1\"\n}\nuse lib.t\ndefine firsts = visits as v where v.date during reporting_period\ninitial_population = exists firsts\nnumerator = exists diagnoses where stage_group is present\n";

    fn facts() -> Facts {
        let (built, facts) = analyse(
            vec![
                SpecFile::new("core/t.oqm", SPEC),
                SpecFile::new("lib/t.oqm", LIB),
            ],
            Vec::new(),
        );
        assert!(built.is_ok(), "{:?}", built.err());
        facts
    }

    #[test]
    fn names_are_resolved_with_their_types() {
        let facts = facts();
        let f = facts.file("core/t.oqm").unwrap();
        let at = |needle: &str| {
            let offset = u32::try_from(SPEC.find(needle).unwrap()).unwrap();
            f.at(offset).unwrap()
        };
        assert!(
            matches!(&at("visits as").what, Resolved::Define { file: 1, name } if name == "visits")
        );
        assert_eq!(
            at("visits as")
                .ty
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("list of record Encounter")
        );
        assert!(matches!(at("v.date").what, Resolved::Local { .. }));
        assert!(
            matches!(at("date during").what, Resolved::Field { field, .. } if field.name == "date")
        );
        assert!(
            matches!(at("diagnoses").what, Resolved::Root { field } if field.name == "diagnoses")
        );
        assert!(
            matches!(at("stage_group").what, Resolved::Field { record, .. } if record.name == "Diagnosis")
        );
        assert!(matches!(at("reporting_period").what, Resolved::Period));
        assert_eq!(
            f.define_type("firsts").map(ToString::to_string).as_deref(),
            Some("list of record Encounter")
        );
        let lib = facts.file("lib/t.oqm").unwrap();
        let off = u32::try_from(LIB.find("office_visit").unwrap()).unwrap();
        assert!(matches!(lib.at(off).unwrap().what, Resolved::Enum { .. }));
        // The element in scope of the `where` of `firsts`.
        let cond = u32::try_from(SPEC.find("v.date").unwrap()).unwrap();
        let scope = f
            .scopes
            .iter()
            .find(|s| s.span.start <= cond && cond <= s.span.end)
            .unwrap();
        assert_eq!(scope.alias.as_deref(), Some("v"));
    }

    #[test]
    fn recording_changes_nothing_of_the_result() {
        let files = || {
            vec![
                SpecFile::new("core/t.oqm", SPEC.replace("exists firsts", "exists firts")),
                SpecFile::new("lib/t.oqm", LIB),
            ]
        };
        let plain = Library::from_files(files(), Vec::new()).err().unwrap();
        let (recorded, _) = analyse(files(), Vec::new());
        assert_eq!(plain.to_string(), recorded.err().unwrap().to_string());
    }
}
