//! The import report: per chart, every resource used, every one skipped and why, every
//! dictionary field left missing and why; per run, the counts. It names resources by type
//! and logical id and codes by system and code, and never holds a patient value (no date,
//! name or free text), so it can be shared as the charts' errors are.

use std::collections::BTreeMap;

use serde::Serialize;

/// The report of one import run. Serializable: the command line writes it as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ImportReport {
    /// Counts over the run.
    pub summary: Summary,
    /// One entry per patient (by Patient logical id, sorted), built or refused.
    pub charts: Vec<ChartReport>,
    /// Resources that could not be given to any patient (no `Patient/<id>` subject, or no
    /// Patient resource for it).
    pub unassigned: Vec<Skipped>,
    /// Resources that belong to no patient and were read for every chart: the
    /// Practitioner and PractitionerRole resources encounters name (by type and id).
    pub shared: Vec<ResourceRef>,
    /// Input that could not be read (malformed JSON, not an R4 resource): by source and line
    /// (NDJSON) or entry (Bundle); reading went on after each.
    pub input_errors: Vec<InputError>,
}

/// Counts over one run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Inputs read (Bundles and NDJSON files).
    pub sources: u64,
    /// Resources read (parsed as far as their type).
    pub resources_read: u64,
    /// Resources mapped into a chart.
    pub resources_used: u64,
    /// Resources skipped (each with its reason in a chart's report or `unassigned`).
    pub resources_skipped: u64,
    /// Inputs or parts of inputs that could not be read.
    pub input_errors: u64,
    /// Patients found (Patient resources).
    pub patients: u64,
    /// Charts built and valid.
    pub charts_built: u64,
    /// Charts refused (invalid as ingest checks them, or no valid chart id).
    pub charts_refused: u64,
    /// Skip reasons and how often each was given.
    pub skip_reasons: BTreeMap<String, u64>,
    /// Codes no shipped table maps, as `system|code`, with their counts.
    pub unmapped_codes: BTreeMap<String, u64>,
    /// Chart roots this import does not read yet, with the FHIR resource type they come from
    /// (the export's table): always missing from imported charts.
    pub roots_not_imported: BTreeMap<String, String>,
}

/// One patient's part of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ChartReport {
    /// The Patient resource's logical id (the chart's id when it is a valid one).
    pub patient: String,
    /// Where the Patient resource was read (`file` and line, or `file` and Bundle entry).
    pub position: String,
    /// Whether a valid chart was written for this patient.
    pub built: bool,
    /// Why not, when refused: the checks' findings (field paths, never values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Resources mapped into the chart.
    pub used: Vec<ResourceRef>,
    /// Resources of this patient that were skipped, with the reason.
    pub skipped: Vec<Skipped>,
    /// Dictionary fields of the produced records left missing, with the reason.
    pub missing: Vec<Missing>,
}

/// A resource by type and logical id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ResourceRef {
    /// `resourceType`.
    pub resource_type: String,
    /// Logical id (`id`), when the resource has one.
    pub id: Option<String>,
}

/// A resource not mapped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Skipped {
    /// The resource.
    #[serde(flatten)]
    pub resource: ResourceRef,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// A coding by system and code (codes are not patient values).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub struct CodeRef {
    /// The code system URI (absent when the coding has none).
    pub system: Option<String>,
    /// The code.
    pub code: Option<String>,
}

impl CodeRef {
    pub(crate) fn key(&self) -> String {
        format!(
            "{}|{}",
            self.system.as_deref().unwrap_or(""),
            self.code.as_deref().unwrap_or("")
        )
    }
}

/// Why a resource was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// A resource type this import does not map (yet).
    UnsupportedType,
    /// A Condition that is neither a cancer nor a condition kind of the dictionary; its codes.
    UnlistedCondition {
        /// The Condition's codings.
        codes: Vec<CodeRef>,
    },
    /// A secondary (metastatic) cancer condition: a site of spread, not a diagnosis of its
    /// own (its onset is the metastasis date of the diagnosis it names: then it is used).
    SecondaryCancer,
    /// A status saying the event did not happen or was recorded in error.
    Status {
        /// The status code.
        status: String,
    },
    /// An Encounter class with no chart encounter kind.
    EncounterClass {
        /// The class coding.
        class: CodeRef,
    },
    /// A second Patient resource with the same logical id.
    DuplicatePatient,
    /// A Patient resource without a logical id.
    NoId,
    /// No `subject`/`patient` reference of the form `Patient/<id>`.
    NoPatientReference,
    /// The referenced patient has no Patient resource in the input.
    NoPatientResource,
    /// An Observation whose code no shipped table lists; its codes.
    UnlistedObservation {
        /// The Observation's codings.
        codes: Vec<CodeRef>,
    },
    /// A finding about a diagnosis (a staging or tumour-marker Observation, a secondary
    /// cancer condition) whose diagnosis could not be resolved: its `focus`, a Condition's
    /// `stage.assessment`, its stage group's `hasMember` or its related-primary extension
    /// names no diagnosis of the patient, or several. Never guessed, even for a patient with
    /// one diagnosis.
    Unlinked,
    /// A medication whose RxNorm ingredient is neither an anticancer agent nor a supportive
    /// medication of the shipped tables; its codes.
    UnlistedMedication {
        /// The medication's codings.
        codes: Vec<CodeRef>,
    },
    /// A medication given by reference to a Medication resource that is not contained in
    /// the resource (a Medication shared across patients is not read).
    MedicationNotContained,
    /// A Procedure whose code is no surgery, radiotherapy course or procedure kind of the
    /// shipped tables; its codes.
    UnlistedProcedure {
        /// The Procedure's codings.
        codes: Vec<CodeRef>,
    },
    /// An event not done (`doNotPerform`, status `not-done`) with no reason given.
    NotDoneWithoutReason,
    /// A second resource of a shared type (Practitioner, PractitionerRole) with the same
    /// logical id: the first one read is kept.
    DuplicateId,
    /// A ServiceRequest whose code is no referral kind or recommended action of the shipped
    /// tables; its codes.
    UnlistedRequest {
        /// The request's codings.
        codes: Vec<CodeRef>,
    },
    /// A ServiceRequest whose intent does not make it the record its code names (an order of
    /// a test is no recommendation; a directive or option is neither).
    Intent {
        /// The intent code.
        intent: String,
    },
    /// A DocumentReference whose type is no document kind of the shipped table; its codes.
    UnlistedDocument {
        /// The document's type codings.
        codes: Vec<CodeRef>,
    },
    /// A Communication whose topic and reason codes are no discussion topic of the shipped
    /// table; its codes.
    UnlistedCommunication {
        /// The topic and reason codings.
        codes: Vec<CodeRef>,
    },
    /// A DiagnosticReport that is not a genomics report; its codes.
    UnlistedReport {
        /// The report's codings.
        codes: Vec<CodeRef>,
    },
    /// An EpisodeOfCare whose type is not hospice care; its codes.
    UnlistedEpisode {
        /// The episode's type codings.
        codes: Vec<CodeRef>,
    },
    /// A genomics report, variant or region studied that the data do not say is a germline
    /// test (somatic, the genomic source class not stated, or no variant to state it).
    NotGermline,
    /// A germline genomics report (or variant) whose genes studied are not known: no
    /// gene-studied component with an HGNC id, or a germline variant in no report.
    GenesNotStated,
    /// A hospice enrolment of a patient with no death record, or dated after the death: the
    /// chart holds only the last enrolment before death.
    NotBeforeDeath,
}

impl SkipReason {
    /// The reason's name, as tallied in [`Summary::skip_reasons`].
    pub fn name(&self) -> &'static str {
        match self {
            SkipReason::UnsupportedType => "unsupported_type",
            SkipReason::UnlistedCondition { .. } => "unlisted_condition",
            SkipReason::SecondaryCancer => "secondary_cancer",
            SkipReason::Status { .. } => "status",
            SkipReason::EncounterClass { .. } => "encounter_class",
            SkipReason::DuplicatePatient => "duplicate_patient",
            SkipReason::NoId => "no_id",
            SkipReason::NoPatientReference => "no_patient_reference",
            SkipReason::NoPatientResource => "no_patient_resource",
            SkipReason::UnlistedObservation { .. } => "unlisted_observation",
            SkipReason::Unlinked => "unlinked",
            SkipReason::UnlistedMedication { .. } => "unlisted_medication",
            SkipReason::MedicationNotContained => "medication_not_contained",
            SkipReason::UnlistedProcedure { .. } => "unlisted_procedure",
            SkipReason::NotDoneWithoutReason => "not_done_without_reason",
            SkipReason::DuplicateId => "duplicate_id",
            SkipReason::UnlistedRequest { .. } => "unlisted_request",
            SkipReason::Intent { .. } => "intent",
            SkipReason::UnlistedDocument { .. } => "unlisted_document",
            SkipReason::UnlistedCommunication { .. } => "unlisted_communication",
            SkipReason::UnlistedReport { .. } => "unlisted_report",
            SkipReason::UnlistedEpisode { .. } => "unlisted_episode",
            SkipReason::NotGermline => "not_germline",
            SkipReason::GenesNotStated => "genes_not_stated",
            SkipReason::NotBeforeDeath => "not_before_death",
        }
    }
}

/// A dictionary field of a produced record left missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Missing {
    /// The field's path in the chart (`diagnoses[0].cancer_type`).
    pub field: String,
    /// Why.
    pub reason: MissingReason,
}

/// Why a field is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MissingReason {
    /// The resource has no element for it.
    Absent,
    /// The date is partial (a year, or a year and month): a chart date is a whole day.
    PartialDate,
    /// The date is outside the chart's range (years 1–9999).
    UnusableDate,
    /// The resource's code maps to no chart value (counted in `unmapped_codes`).
    UnmappedCode,
    /// The resource says the fact without a value for it (`deceasedBoolean` without a date).
    NoValue,
    /// This import does not read the field (yet), or its FHIR resource cannot say it.
    NotImported,
    /// The resource says why its value is absent (`dataAbsentReason`).
    DataAbsent,
    /// The value is in a unit other than the dictionary's (not converted).
    OtherUnit,
    /// The value is a bound (`<`, `>`) or not a single number: no exact value.
    InexactValue,
    /// The resource names another resource for it (a `reasonReference` Condition, an
    /// administration's `request`, a CarePlan or group) that no record of the chart is.
    UnresolvedReference,
    /// The resources merged into the record give different values for it.
    Conflicting,
    /// An end date before the record's start date (the end is dropped: the chart refuses it).
    EndBeforeStart,
}

/// Input that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct InputError {
    /// Where: the source's name with its line (NDJSON) or Bundle entry.
    pub position: String,
    /// What, without the input's text.
    pub message: String,
}
