//! From one patient's mapped records to its chart: every record a mapping produced is an
//! [`Item`] (the record, as one variant of [`Mapped`] naming its chart root, and the reasons
//! of the fields it leaves missing); [`assemble`] adds them to the chart builder in the
//! order read and lists the fields left missing by chart path.
//!
//! Adding a chart root to the import is one line of the `mapped!` list below and the mapping
//! that produces its variant.

use std::collections::HashMap;

use super::map::Reasons;
use super::report::{Missing, MissingReason};
use crate::chart::{
    Administration, Assessment, ChartBuilder, Condition, Death, Diagnosis, Discussion, Document,
    Encounter, GeneticTest, Lab, Medication, NotDoneReason, Patient, Procedure, RadiationCourse,
    Recommendation, RecordSchema, Referral, Regimen, Surgery,
};

/// Declares [`Mapped`] (one variant per chart root the import fills with records), its root
/// names, and how each is added to a chart builder.
macro_rules! mapped {
    ($($variant:ident($ty:ty) => $root:ident,)*) => {
        /// One mapped record, by the chart root it goes to (boxed: records differ in size).
        pub(crate) enum Mapped {
            $(
                #[doc = concat!("A record of `", stringify!($root), "`.")]
                $variant(Box<$ty>),
            )*
        }

        $(impl From<Box<$ty>> for Mapped {
            fn from(r: Box<$ty>) -> Self {
                Mapped::$variant(r)
            }
        }

        impl TryFrom<Mapped> for Box<$ty> {
            type Error = &'static str;
            /// The record, when it is of this root; else the root it is of.
            fn try_from(m: Mapped) -> Result<Self, &'static str> {
                match m {
                    Mapped::$variant(r) => Ok(r),
                    #[allow(unreachable_patterns)]
                    other => Err(other.root()),
                }
            }
        })*

        impl Mapped {
            /// The chart root the record goes to.
            pub(crate) fn root(&self) -> &'static str {
                match self {
                    $(Mapped::$variant(_) => stringify!($root),)*
                }
            }

            /// Adds the record to `builder`, noting the fields it leaves missing under
            /// `path` (the root, with an index for a list).
            fn add(
                self,
                builder: ChartBuilder,
                schema: &RecordSchema,
                path: &str,
                reasons: &Reasons,
                missing: &mut Vec<Missing>,
            ) -> ChartBuilder {
                match self {
                    $(Mapped::$variant(r) => {
                        missing_of(schema, path, &*r, reasons, missing);
                        builder.$root(*r)
                    })*
                }
            }
        }

        /// The chart roots this import fills (besides `id`).
        pub(crate) const ROOTS_READ: &[&str] = &["id", $(stringify!($root),)*];
    };
}

mapped! {
    Patient(Patient) => patient,
    Death(Death) => death,
    Diagnosis(Diagnosis) => diagnoses,
    Condition(Condition) => conditions,
    Encounter(Encounter) => encounters,
    Assessment(Assessment) => assessments,
    Lab(Lab) => labs,
    Regimen(Regimen) => regimens,
    Administration(Administration) => administrations,
    Medication(Medication) => medications,
    NotDoneReason(NotDoneReason) => not_done_reasons,
    Surgery(Surgery) => surgeries,
    RadiationCourse(RadiationCourse) => radiation_courses,
    Procedure(Procedure) => procedures,
    Referral(Referral) => referrals,
    Recommendation(Recommendation) => recommendations,
    Document(Document) => documents,
    Discussion(Discussion) => discussions,
    GeneticTest(GeneticTest) => genetic_tests,
}

/// One mapped record and the reasons of the fields it leaves missing.
pub(crate) struct Item {
    /// The record.
    pub(crate) mapped: Mapped,
    /// Fields left missing, relative to the record.
    pub(crate) reasons: Reasons,
    /// The FHIR ids a medication or procedure record names, until the linking pass.
    pub(crate) med: Option<super::link_med::MedRefs>,
    /// What an encounter names for its practice and clinician, until the linking pass.
    pub(crate) who: Option<Box<super::who::EncounterRefs>>,
}

impl Item {
    /// A record with the reasons of its missing fields.
    pub(crate) fn new(mapped: Mapped, reasons: Reasons) -> Self {
        Item {
            mapped,
            reasons,
            med: None,
            who: None,
        }
    }

    /// A record that names other resources (see [`super::link_med`]).
    pub(crate) fn with_refs(
        mapped: Mapped,
        reasons: Reasons,
        refs: super::link_med::MedRefs,
    ) -> Self {
        Item {
            mapped,
            reasons,
            med: Some(refs),
            who: None,
        }
    }
}

/// The record of `item` as a `T` with its reasons (for tests: panics on another root).
#[cfg(test)]
pub(crate) fn take<T>(item: Item) -> (T, Reasons)
where
    Box<T>: TryFrom<Mapped, Error = &'static str>,
{
    match Box::<T>::try_from(item.mapped) {
        Ok(r) => (*r, item.reasons),
        Err(root) => panic!("a record of {root}"),
    }
}

/// Adds a patient's records to `builder` in the order read; a list root's records are
/// indexed in that order (`diagnoses[0]`, …), a single root's path is the root.
pub(crate) fn assemble(
    items: Vec<Item>,
    mut builder: ChartBuilder,
    missing: &mut Vec<Missing>,
) -> ChartBuilder {
    let schema = crate::chart::schema().chart;
    let mut items = items;
    super::link_med::link(&mut items);
    // By root in the declared order, each root's records in the order read.
    items.sort_by_key(|i| ROOTS_READ.iter().position(|r| *r == i.mapped.root()));
    let mut next: HashMap<&'static str, usize> = HashMap::new();
    for item in items {
        let root = item.mapped.root();
        let list = schema.field(root).is_some_and(|f| f.ty.list);
        let path = if list {
            let i = next.entry(root).or_insert(0);
            let path = format!("{root}[{i}]");
            *i = i.saturating_add(1);
            path
        } else {
            root.to_owned()
        };
        builder = item
            .mapped
            .add(builder, schema, &path, &item.reasons, missing);
    }
    builder
}

/// The scalar fields of `record` (at chart path `path`, whose schema is the root's) that its
/// JSON leaves out, each with the mapping's reason or `not_imported`.
fn missing_of<T: serde::Serialize>(
    chart: &RecordSchema,
    path: &str,
    record: &T,
    reasons: &Reasons,
    out: &mut Vec<Missing>,
) {
    let root = path.split('[').next().unwrap_or(path);
    let Some(crate::chart::BaseType::Record { schema }) = chart.field(root).map(|f| f.ty.base)
    else {
        return;
    };
    let json = serde_json::to_value(record).unwrap_or_default();
    for f in schema.fields {
        if f.ty.list || json.get(f.name).is_some() {
            continue;
        }
        let reason = reasons
            .iter()
            .find(|(n, _)| *n == f.name)
            .map_or(MissingReason::NotImported, |(_, r)| *r);
        out.push(Missing {
            field: format!("{path}.{}", f.name),
            reason,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_root_read_is_a_chart_field() {
        let schema = crate::chart::schema().chart;
        for root in ROOTS_READ {
            assert!(schema.field(root).is_some(), "{root}");
        }
    }
}
