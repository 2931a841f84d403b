//! The typed chart model: what a QOPI abstractor records for one patient in one round.
//!
//! Every field of the catalog's data dictionary is a field here, with the dictionary's name,
//! type and enumeration values; [`schema()`] describes the model for the measure checker.
//! Every field is optional (`Option` or an empty list): an absent field is *missing*, never a
//! sentinel. Unknown JSON fields are rejected, naming their path.
//!
//! Building a chart in Rust: [`Chart::builder`] and one setter per field on every record
//! (see [`ChartBuilder`]) build a chart in one expression, checked as ingest checks it.
//! Records also implement `Default` and are `#[non_exhaustive]`, so code can start from
//! `Default::default()` and set fields; either way vendor code keeps compiling when fields
//! are added.
//!
//! ```
//! use oncoqual::chart::{CancerType, Chart, Diagnosis, DiagnosisId};
//! use oncoqual::{ChartId, Date, PracticeId};
//!
//! let mut chart = Chart::new(
//!     ChartId::new("c-1").unwrap(),
//!     PracticeId::new("p-1").unwrap(),
//!     "2026-1".parse().unwrap(),
//! );
//! chart.patient.birth_date = Date::from_ymd(1950, 3, 14);
//! let mut dx = Diagnosis::default();
//! dx.id = DiagnosisId::new("dx-1");
//! dx.cancer_type = Some(CancerType::Breast);
//! chart.diagnoses.push(dx);
//!
//! let json = chart.to_json();
//! assert_eq!(Chart::from_json(&json).unwrap(), chart);
//! // Debug never shows patient values:
//! assert!(!format!("{chart:?}").contains("1950"));
//! ```

pub(crate) mod build;
pub(crate) mod digest;
#[cfg(any(feature = "fhir", feature = "fhir-import"))]
pub(crate) mod fhir_map;
mod limits;
pub(crate) mod model;
pub(crate) mod project;
pub(crate) mod redact;
pub(crate) mod reflect;
pub(crate) mod round;
pub(crate) mod schema;
pub(crate) mod serde_error;
pub(crate) mod skim;
pub(crate) mod types;
pub(crate) mod validate;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use build::{ChartBuilder, InvalidChart, Slot};
pub use digest::{ChartDigest, ChartKey, ChartKeyError, KeyId};
pub use limits::Limits;
pub use model::*;
pub use project::{ALWAYS_KEPT, Projection};
pub use redact::DebugShape;
pub use schema::{
    BaseType, Describe, EnumSchema, FieldSchema, FieldType, RecordSchema, Resolved, Scalar, Schema,
};
pub use types::{
    ChartId, Code, Date, DiagnosisId, InvalidDate, InvalidId, InvalidNumber, MAX_ID_LEN, Number,
    PracticeId, RegimenId, UnknownValue,
};
pub use validate::{Finding, FindingKind, Severity as FindingSeverity, validate};

use redact::Shape;
use round::RoundId;
use schema::omit;

/// One patient's abstracted chart for one practice and one round.
///
/// `id`, `practice` and `round` are required; every other field is optional.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Chart {
    /// Opaque chart identifier, unique within an input.
    pub id: ChartId,
    /// The reporting practice.
    pub practice: PracticeId,
    /// The data-collection round the chart was abstracted in.
    pub round: RoundId,
    /// Demographics.
    #[serde(default)]
    pub patient: Patient,
    /// Cancer diagnoses.
    #[serde(default, skip_serializing_if = "omit")]
    pub diagnoses: Vec<Diagnosis>,
    /// Germline genetic tests.
    #[serde(default, skip_serializing_if = "omit")]
    pub genetic_tests: Vec<GeneticTest>,
    /// Visits and stays.
    #[serde(default, skip_serializing_if = "omit")]
    pub encounters: Vec<Encounter>,
    /// Assessments (symptoms, screens, status, measurements).
    #[serde(default, skip_serializing_if = "omit")]
    pub assessments: Vec<Assessment>,
    /// Systemic therapy regimens.
    #[serde(default, skip_serializing_if = "omit")]
    pub regimens: Vec<Regimen>,
    /// Doses given, each linked to a regimen.
    #[serde(default, skip_serializing_if = "omit")]
    pub administrations: Vec<Administration>,
    /// Chemotherapy orders.
    #[serde(default, skip_serializing_if = "omit")]
    pub chemo_orders: Vec<ChemoOrder>,
    /// Radiation courses.
    #[serde(default, skip_serializing_if = "omit")]
    pub radiation_courses: Vec<RadiationCourse>,
    /// Surgeries.
    #[serde(default, skip_serializing_if = "omit")]
    pub surgeries: Vec<Surgery>,
    /// Imaging and diagnostic procedures.
    #[serde(default, skip_serializing_if = "omit")]
    pub procedures: Vec<Procedure>,
    /// Laboratory results.
    #[serde(default, skip_serializing_if = "omit")]
    pub labs: Vec<Lab>,
    /// Supportive and other non-anticancer medications.
    #[serde(default, skip_serializing_if = "omit")]
    pub medications: Vec<Medication>,
    /// Referrals.
    #[serde(default, skip_serializing_if = "omit")]
    pub referrals: Vec<Referral>,
    /// Documented conversations.
    #[serde(default, skip_serializing_if = "omit")]
    pub discussions: Vec<Discussion>,
    /// Care-planning documents.
    #[serde(default, skip_serializing_if = "omit")]
    pub documents: Vec<Document>,
    /// Adverse events.
    #[serde(default, skip_serializing_if = "omit")]
    pub adverse_events: Vec<AdverseEvent>,
    /// Recommendations made by the practice.
    #[serde(default, skip_serializing_if = "omit")]
    pub recommendations: Vec<Recommendation>,
    /// Documented reasons for actions not taken.
    #[serde(default, skip_serializing_if = "omit")]
    pub not_done_reasons: Vec<NotDoneReason>,
    /// The death record; absent for living patients.
    #[serde(default, skip_serializing_if = "omit")]
    pub death: Option<Death>,
    /// Coexisting non-cancer conditions.
    #[serde(default, skip_serializing_if = "omit")]
    pub conditions: Vec<Condition>,
}

/// Declares the chart's schema from its field list, so names and types come from the struct.
macro_rules! chart_schema {
    ($($field:ident : $ty:ty = $doc:literal),* $(,)?) => {
        const CHART_FIELDS: &[FieldSchema] = &[
            $(FieldSchema { name: stringify!($field), ty: <$ty as Describe>::TYPE, doc: $doc },)*
        ];
        impl fmt::Debug for Chart {
            /// Redacted: shows which fields are present and list lengths, never values.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut d = f.debug_struct("Chart");
                $(
                    if ShowInDebug::show(&self.$field) {
                        d.field(stringify!($field), &Shape(&self.$field));
                    }
                )*
                d.finish_non_exhaustive()
            }
        }
        impl reflect::Record for Chart {
            #[allow(unused_assignments)]
            fn field_ref(&self, index: u16) -> reflect::FieldRef<'_> {
                let mut i: u16 = 0;
                $(
                    if index == i {
                        return reflect::Reflect::reflect(&self.$field);
                    }
                    // One step per field of the struct: far below `u16::MAX`.
                    i = i.saturating_add(1);
                )*
                reflect::FieldRef::Missing
            }
        }
        impl ChartBuilder {
            $(
                #[doc = concat!("Sets `", stringify!($field), "` (a list: appends one entry): ", $doc)]
                #[inline]
                pub fn $field(mut self, value: <$ty as build::Slot>::Item) -> Self {
                    build::Slot::fill(&mut self.chart.$field, value);
                    self
                }
            )*
        }
        impl validate::Lists for Chart {
            const HOLDS_LISTS: bool = true;
            fn check_lists(
                &self,
                at: Option<&validate::Segment<'_>>,
                max: usize,
                out: &mut Vec<Finding>,
            ) {
                $(
                    if <$ty as validate::Lists>::HOLDS_LISTS {
                        let here = validate::Segment {
                            name: stringify!($field),
                            index: None,
                            parent: at,
                        };
                        validate::Lists::check_lists(&self.$field, Some(&here), max, out);
                    }
                )*
            }
        }
        impl project::Projectable for Chart {
            #[inline]
            fn project<'de, D: serde::Deserializer<'de>>(
                d: D,
                node: Option<&project::Node>,
            ) -> Result<Self, D::Error> {
                project::project_record::<Self, D>(d, node)
            }
        }
        impl project::ProjectRecord for Chart {
            const RECORD: &'static RecordSchema = &CHART_SCHEMA;
            /// `id`, `practice` and `round`: the first three fields.
            const REQUIRED: u64 = 0b111;
            fn start() -> Self {
                // Placeholders: a chart missing any of them is refused.
                Chart::new(
                    ChartId::generated("-"),
                    PracticeId::generated("-"),
                    RoundId::known(2000, 1),
                )
            }
            #[allow(unused_assignments)]
            fn read_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                index: usize,
                node: &project::Node,
                map: &mut A,
            ) -> Result<(), A::Error> {
                let mut i: usize = 0;
                $(
                    if index == i {
                        self.$field = map.next_value_seed(project::Seed::<$ty>::new(node.child(i)))?;
                        return Ok(());
                    }
                    // One step per field of the struct.
                    i = i.saturating_add(1);
                )*
                Ok(())
            }
            #[allow(unused_assignments)]
            fn read_element<'de, A: serde::de::SeqAccess<'de>>(
                &mut self,
                index: usize,
                node: &project::Node,
                seq: &mut A,
            ) -> Result<bool, A::Error> {
                let mut i: usize = 0;
                $(
                    if index == i {
                        return match seq.next_element_seed(project::Seed::<$ty>::new(node.child(i)))? {
                            Some(v) => {
                                self.$field = v;
                                Ok(true)
                            }
                            None => Ok(false),
                        };
                    }
                    // One step per field of the struct.
                    i = i.saturating_add(1);
                )*
                Ok(false)
            }
        }
        /// Compile-time check that the schema lists exactly the struct's fields.
        #[allow(dead_code)]
        fn chart_fields_are_exhaustive(c: Chart) {
            let Chart { $($field: _,)* } = c;
        }
    };
}

/// Whether a chart field appears in `Debug` (empty lists and absent records are left out).
trait ShowInDebug {
    fn show(&self) -> bool {
        true
    }
}
impl<T> ShowInDebug for Vec<T> {
    fn show(&self) -> bool {
        !self.is_empty()
    }
}
impl<T> ShowInDebug for Option<T> {
    fn show(&self) -> bool {
        self.is_some()
    }
}
impl ShowInDebug for ChartId {}
impl ShowInDebug for PracticeId {}
impl ShowInDebug for RoundId {}
impl ShowInDebug for Patient {}

chart_schema! {
    id: ChartId = "Opaque chart identifier, unique within an input.",
    practice: PracticeId = "The reporting practice.",
    round: RoundId = "The data-collection round (`YYYY-1`, `YYYY-2`).",
    patient: Patient = "Demographics.",
    diagnoses: Vec<Diagnosis> = "Cancer diagnoses.",
    genetic_tests: Vec<GeneticTest> = "Germline genetic tests.",
    encounters: Vec<Encounter> = "Visits and stays.",
    assessments: Vec<Assessment> = "Assessments.",
    regimens: Vec<Regimen> = "Systemic therapy regimens.",
    administrations: Vec<Administration> = "Doses given, each linked to a regimen by `regimen_id`.",
    chemo_orders: Vec<ChemoOrder> = "Chemotherapy orders.",
    radiation_courses: Vec<RadiationCourse> = "Radiation courses.",
    surgeries: Vec<Surgery> = "Surgeries.",
    procedures: Vec<Procedure> = "Imaging and diagnostic procedures.",
    labs: Vec<Lab> = "Laboratory results.",
    medications: Vec<Medication> = "Supportive and other non-anticancer medications.",
    referrals: Vec<Referral> = "Referrals.",
    discussions: Vec<Discussion> = "Documented conversations.",
    documents: Vec<Document> = "Care-planning documents.",
    adverse_events: Vec<AdverseEvent> = "Adverse events.",
    recommendations: Vec<Recommendation> = "Recommendations made by the practice.",
    not_done_reasons: Vec<NotDoneReason> = "Documented reasons for actions not taken.",
    death: Option<Death> = "The death record; absent for living patients.",
    conditions: Vec<Condition> = "Coexisting non-cancer conditions.",
}

const CHART_SCHEMA: RecordSchema = RecordSchema {
    name: "Chart",
    fields: CHART_FIELDS,
};

const DATE_TYPE: FieldType = <Date as Describe>::TYPE;
const REPORTING_PERIOD: RecordSchema = RecordSchema {
    name: "ReportingPeriod",
    fields: &[
        FieldSchema {
            name: "start",
            ty: DATE_TYPE,
            doc: "First day (inclusive) of the round's reporting (look-back) period.",
        },
        FieldSchema {
            name: "end",
            ty: DATE_TYPE,
            doc: "Last day (inclusive) of the reporting period.",
        },
    ],
};
const PARAMETERS: RecordSchema = RecordSchema {
    name: "Parameters",
    fields: &[FieldSchema {
        name: "reporting_period",
        ty: FieldType::of(BaseType::Record {
            schema: &REPORTING_PERIOD,
        }),
        doc: "The measure's reporting period (from the round calendar unless overridden).",
    }],
};
const SCHEMA: Schema = Schema {
    chart: &CHART_SCHEMA,
    parameters: &PARAMETERS,
};

/// The schema of the chart model and the measure parameters.
pub fn schema() -> &'static Schema {
    &SCHEMA
}

impl Chart {
    /// An empty chart: no patient data yet.
    pub fn new(id: ChartId, practice: PracticeId, round: RoundId) -> Chart {
        Chart {
            id,
            practice,
            round,
            patient: Patient::default(),
            diagnoses: Vec::new(),
            genetic_tests: Vec::new(),
            encounters: Vec::new(),
            assessments: Vec::new(),
            regimens: Vec::new(),
            administrations: Vec::new(),
            chemo_orders: Vec::new(),
            radiation_courses: Vec::new(),
            surgeries: Vec::new(),
            procedures: Vec::new(),
            labs: Vec::new(),
            medications: Vec::new(),
            referrals: Vec::new(),
            discussions: Vec::new(),
            documents: Vec::new(),
            adverse_events: Vec::new(),
            recommendations: Vec::new(),
            not_done_reasons: Vec::new(),
            death: None,
            conditions: Vec::new(),
        }
    }

    /// Serialises the chart as compact JSON (one line, suitable for JSONL).
    pub fn to_json(&self) -> String {
        // Serialising our own types to a String cannot fail: every map key is a string.
        serde_json::to_string(self).unwrap_or_default()
    }
}
