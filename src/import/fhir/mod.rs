//! FHIR R4 patient data → charts (feature `fhir-import`).
//!
//! Reads R4 Bundles (JSON: one Bundle, or one resource, per reader) and FHIR Bulk Data
//! exports (NDJSON, one resource per line, typically one file per resource type), groups
//! the resources by
//! patient (the `subject` or `patient` reference `Patient/<id>`, or a Bundle entry's
//! `fullUrl`), and builds one chart per Patient resource, with an [`ImportReport`].
//!
//! The resources are parsed with the `fhir-model` crate's R4B types: R4B's Patient,
//! Condition and Encounter (and the Observation, Procedure, Medication*, ServiceRequest,
//! DocumentReference, Communication, DiagnosticReport and EpisodeOfCare resources later
//! slices read) are wire-compatible with R4, so R4 JSON parses as R4B. Unknown elements are
//! ignored; partial dates are kept as partial (and a partial date is no chart date).
//!
//! # What maps
//!
//! - **Patient** → `patient`: `birthDate` → `birth_date` (a year or year-month birth date is
//!   left missing, reason `partial_date`), `gender` → `sex`; `deceasedDateTime` →
//!   `death.date`, `deceasedBoolean: true` → a `death` record without a date (reason
//!   `no_value`). The chart's `id` is the Patient's logical id as it is (a FHIR id is 1–64
//!   characters, so always a valid chart id; one that is not is refused with a reason).
//! - **Condition** → `diagnoses` when it is a cancer: the mCODE primary cancer condition
//!   profile in `meta.profile`, or a malignant primary or in-situ ICD-10-CM (C00–C96 less
//!   the secondary C77–C79/C7B, D00–D09, D45–D46) or SNOMED CT code of the shipped tables.
//!   `cancer_type` from the code's table row, else from an ICD-O-3 topography in `bodySite`;
//!   `invasive` true for a malignant primary, false for in situ; `diagnosis_date` from
//!   `onset[x]` (dateTime or period start), which wins over `recordedDate` (used only when
//!   onset gives no whole day); `resolved_date` from `abatement[x]`; `stage_group` from
//!   `stage.summary` coded in AJCC (`http://cancerstaging.org`) when it maps exactly; the
//!   diagnosis `id` is the Condition's logical id. mCODE secondary cancer conditions (and
//!   ICD-10-CM secondary codes) are skipped: a site of spread is not a diagnosis (see the
//!   Condition additions below for its metastasis date).
//!   Otherwise → `conditions` when a code is one of the dictionary's kinds (tuberculosis,
//!   hiv, immunocompromised_state, pain_warranting_workup), with `onset_date` and
//!   `abatement_date` read as above; any other Condition is skipped with its codes.
//!   A Condition whose verificationStatus is refuted or entered-in-error is skipped.
//! - **Encounter** → `encounters`: `class` (HL7 v3 ActCode) AMB → office_visit, VR →
//!   telehealth_visit, IMP → inpatient_admission, EMER → ed_visit, OBSENC →
//!   observation_stay; any other class is skipped with it. `date` from `period.start`,
//!   `discharge_date` from `period.end` for the two stays. Planned, cancelled and
//!   entered-in-error encounters are skipped. `with_practice` follows the run's
//!   [`PracticeEncounters`]: not stated (the default) leaves it missing (`not_imported`);
//!   `All` sets it true; `Organizations` sets it true when `serviceProvider` names one of
//!   the practice's Organization ids, false for another, and leaves it missing (`absent`)
//!   without one. `provider_role` is the clinician seen: the participants typed primary
//!   performer (`PPRF`), else attender (`ATND`), else untyped, resolved through the run's
//!   Practitioner and PractitionerRole resources (`PractitionerRole.code`, else its
//!   practitioner's qualifications; a Practitioner's qualifications and the codes of the
//!   PractitionerRoles naming it) by `provider-role.csv` (NUCC provider taxonomy, FHIR
//!   practitioner-role, HL7 v2 degree, SNOMED CT occupation codes); of several roles the
//!   first of physician, advanced practice provider, nurse, pharmacist, other. A participant
//!   that names no resource read leaves it missing (`unresolved_reference`), one whose codes
//!   map to no role (`unmapped_code`), no participant (`absent`). These are resolved when
//!   the run finishes, so the files may come in any order.
//! - **Practitioner**, **PractitionerRole**: belong to no patient; read into the run's
//!   directory of clinicians and listed in the report's `shared` (a second one with the same
//!   id is skipped, `duplicate_id`).
//! - **Condition** (additions): a primary cancer condition's mCODE
//!   histology-morphology-behavior extension → `histology` (the ICD-O-3 morphology code, or
//!   a SNOMED CT one as it is) and `histology_group` from the shipped ICD-O-3 morphology
//!   ranges (behaviour in situ or malignant; a morphology no range covers, and any SNOMED CT
//!   morphology, is left without a group, reason `unmapped_code`). A secondary cancer
//!   condition stays no diagnosis, but when its mCODE related-primary-cancer-condition
//!   extension names a diagnosis of the patient its onset is that diagnosis's
//!   `metastasis_date` (the earliest of several) and a bone site (ICD-O-3 C40/C41, SNOMED CT
//!   bone structure, or a secondary-neoplasm-of-bone code) sets `bone_metastases: true`;
//!   it is then reported used. Without that link it is skipped `unlinked`.
//! - **Observation** (codes in `data/fhir/loinc-observation.csv`; answers in
//!   `observation-answers.csv`); status preliminary, registered, cancelled or
//!   entered-in-error → skipped with it; a code no table lists → skipped
//!   (`unlisted_observation`) with its codes counted. The date is `effective[x]` (dateTime,
//!   instant, or period start); a value withheld with `dataAbsentReason` is missing with
//!   reason `data_absent`.
//!   - mCODE TNM stage group (LOINC 21908-9, 21902-2, 21914-7 and the SNOMED CT staging
//!     codes) and T / N / M category Observations → the diagnosis's `stage_group`,
//!     `staging_system` (`ajcc_tnm`), `stage_documented_date` and `t_category`,
//!     `n_category`, `m_category`. Only AJCC codes (`http://cancerstaging.org`) map: a
//!     stage group as `ajcc_stage` reads it, a category as the chart writes it with an
//!     optional `c`/`p` prefix (`cT2a`, `pN1mi`); `y`, `r`, `a` forms and SNOMED CT values
//!     are unmapped. The diagnosis is found by the linking pass (`link_obs.rs`: `focus`,
//!     else a Condition's `stage.assessment`, else the stage group's `hasMember`; never
//!     guessed, else skipped `unlinked`). The Condition's own `stage.summary` wins over any
//!     Observation; otherwise pathological beats clinical beats other, then the earliest.
//!   - mCODE tumour marker tests (ER, PR, HER2, PD-L1, CD20, ALK, RET, MET, KRAS, BRAF
//!     codes listed) → the linked diagnosis's `biomarkers`: `result` from the value's
//!     answer or the interpretation (positive / negative / equivocal / indeterminate;
//!     detected or not for KRAS and BRAF as mutated / wild_type), `result_date`, `value`
//!     (a percent, for the cell-percentage codes) and `method` where the term names IHC or
//!     ISH.
//!   - ECOG, Karnofsky, 0–10 numeric pain, PHQ-2, PHQ-9, GAD-7, height (cm), weight (kg),
//!     body surface area (m2) → `assessments` with `kind`, `date`, `scale` and `score`; tobacco
//!     smoking status (72166-2) → `tobacco_status` from the SNOMED CT answers. `severity`,
//!     `present` and `plan_documented` are left missing (`not_imported`): an Observation
//!     does not state them, and a severity is never derived from a score.
//!   - The laboratory tests listed → `labs` with `test`, `date`, `result` (from the answer
//!     or interpretation) and `value` only in the unit the dictionary names (hemoglobin g/dL,
//!     CEA and PSA ng/mL, TSH mIU/L, ALT and AST U/L): another unit is `other_unit`, a bound
//!     (`<0.1`) is `inexact_value`, a lab with no named unit keeps no value (`not_imported`).
//!   - Genomic variant and region-studied Observations go to germline genetic tests (see
//!     **DiagnosticReport** below). Not mapped: the NCCN distress thermometer (no LOINC term
//!     listed), and every other code.
//! - **MedicationRequest** → `regimens` when its RxNorm ingredient (of
//!   `medicationCodeableConcept`, or of a contained Medication's code or ingredients) is an
//!   anticancer agent of `rxnorm-agents.csv`: one regimen per `groupIdentifier` value, else
//!   per `basedOn` CarePlan, else per request (that key is the regimen `id`), its agents
//!   with code, category, class and route (`dosageInstruction.route`, SNOMED CT or EDQM);
//!   `start_date` the earliest `timing.repeat.boundsPeriod.start` or, when earlier, the first
//!   administration linked to it (`authoredOn` is the order, never the start); `order_date`
//!   `authoredOn`; `intent` only from the mCODE procedure intent extension (curative →
//!   curative, palliative → non_curative), else missing; `diagnosis_id` from a
//!   `reasonReference` Condition that is a diagnosis of the chart (else missing,
//!   `unresolved_reference`). `setting`, `completion_status`, `emetic_risk`, `fn_risk`,
//!   `plan` and the like are left missing (`not_imported`): no FHIR element says them.
//!   A supportive ingredient of `rxnorm-supportive.csv` → `medications` (class, agent,
//!   `start_date` from the bounds start, else `dispenseRequest.validityPeriod.start`, else
//!   `authoredOn`; `end_date` from the bounds or validity end; `regimen_id` when the request
//!   shares a regimen's group or CarePlan); `purpose` and `immunosuppressive` are left
//!   missing. `doNotPerform: true` with a `statusReason` or `reasonCode` →
//!   `not_done_reasons` (action from the drug's class where the dictionary has one, the
//!   reason type from `not-done-reason.csv`, date `authoredOn`). Status `cancelled`,
//!   `entered-in-error` and `draft` are skipped; another drug is skipped with its codes
//!   (`unlisted_medication`); a Medication not contained (shared across patients) is skipped
//!   (`medication_not_contained`).
//! - **MedicationAdministration** (`completed`, `in-progress`, `stopped`) → `administrations`
//!   for an anticancer agent (date from `effective[x]`, agent code, category, class, route;
//!   `regimen_id` through `request` to the regimen of that MedicationRequest, else missing,
//!   `unresolved_reference`), `medications` for a supportive one; `not-done` with a
//!   `statusReason` → `not_done_reasons`; other statuses are skipped.
//! - **Procedure** → `radiation_courses` for the mCODE radiotherapy course summary (profile
//!   or its code 1217123003): `performedPeriod` start and end (no end while in progress),
//!   `modality` from the modality and technique extension (`radiotherapy.csv`; photons and
//!   electrons only without a technique, since a technique may be stereotactic), `target`
//!   from `bodySite`, `intent` from the procedure intent extension, `fractions` from the
//!   number of sessions extension; → `surgeries` or `procedures` by CPT, HCPCS or SNOMED CT
//!   code (`procedure-kind.csv`), with the performed day, a surgery's `intent` from the
//!   procedure intent extension and `diagnosis_id` from `reasonReference`; `not-done` with a
//!   `statusReason` → `not_done_reasons`. `preparation`, `unknown` and `entered-in-error`
//!   are skipped, and any other code (`unlisted_procedure`). `lymph_nodes_examined`,
//!   `residual_disease`, `salvage`, a procedure's `indication` and `value` are left missing.
//! - **ServiceRequest** (status `active` or `completed`; any other status is skipped) →
//!   `referrals` when its code is a SNOMED CT "Referral to …" concept of `referral-kind.csv`
//!   (intent proposal, plan or an order): `kind`, `date` from `authoredOn`, `status`
//!   completed → completed, else made (declined_by_patient is never read: a request does not
//!   say it). → `recommendations` when its code is an action of `request-action.csv` (CEA,
//!   HBV screening, pregnancy test, DXA, BRCA and hereditary cancer panel codes) or a
//!   procedure of `procedure-kind.csv` that names one (bone scan, DXA, colonoscopy,
//!   echocardiogram or MUGA for LVEF) and its intent is `proposal` or `plan` (an order of a
//!   test is not read as a recommendation): `action`, `date` from `authoredOn`. Another
//!   intent is skipped (`intent`), another code (`unlisted_request`) with its codes.
//!   `doNotPerform: true` with a `reasonCode` → `not_done_reasons` (action from the code:
//!   hospice, palliative, genetics, fertility and smoking-cessation referrals have one;
//!   reason type from `not-done-reason.csv`; date `authoredOn`); without a reason it is
//!   skipped (`not_done_without_reason`). Treatments recommended are not read from
//!   ServiceRequest (no code names the dictionary's therapy actions).
//! - **DocumentReference** (status `current`; superseded and entered-in-error are skipped)
//!   → `documents` by its `type` (LOINC, `document-kind.csv`: consult note, advance
//!   directives, personal advance care plan, power of attorney → healthcare_proxy, portable
//!   medical order form → polst); `date` from `date` (the day in its own offset), else
//!   `context.period.start`. `regimen_id`, `sent_to` and `sent_date` are left missing
//!   (`not_imported`): a DocumentReference does not say them. Chemotherapy consent,
//!   treatment summary, survivorship care plan, education, emergency-contact and tumour
//!   board documents have no code listed (a generic consent does not say what it consents
//!   to); another type is skipped (`unlisted_document`) with its codes.
//! - **Communication** (status `completed`, else skipped) → `discussions` when its `topic` or
//!   a `reasonCode` is a topic of `discussion-topic.csv` (only SNOMED CT 713603004 advance
//!   care planning → advance_directive: no concept for the other topics is listed that the
//!   table is sure of); `date` from `sent`; `participants` left missing. Otherwise skipped
//!   (`unlisted_communication`) with its codes.
//! - **DiagnosticReport** → `genetic_tests` for an mCODE cancer genomics report (profile, or
//!   LOINC 81247-9; status final, amended, corrected or appended) only when the data say
//!   the test is germline: every variant Observation among its `result`s (mCODE genetic
//!   variant, or LOINC 69548-6) has genomic source class (48002-0) germline (LA6683-2), and
//!   there is one. `kind` from the HGNC ids of its results' gene-studied components (48018-6,
//!   of the region-studied and variant Observations; a region studied must be among them: a
//!   variant names only the gene it was found in): BRCA1/BRCA2 only → brca1_2, Lynch
//!   genes only (MLH1, MSH2, MSH6, PMS2, EPCAM) → lynch_panel, two or more otherwise →
//!   multigene_panel, one other → other. `result` from the present germline variants'
//!   clinical significance (53037-8 or interpretation): pathogenic or likely pathogenic →
//!   pathogenic_variant, else uncertain → vus, else all benign, likely benign or absent →
//!   negative. `order_date` is the `authoredOn` of the ServiceRequest the report is
//!   `basedOn` (the report's dates are results, never the order; missing `absent` without
//!   one, `unresolved_reference` when it names none read); that ServiceRequest is then used.
//!   A report, variant or region studied not in a germline test is skipped: `not_germline`
//!   (somatic, source not stated, or no variant) or `genes_not_stated` (germline without a
//!   region studied or a gene given as an HGNC id, or a germline variant in no report). Any other
//!   DiagnosticReport is skipped (`unlisted_report`). Familial single-site tests are not
//!   told apart.
//! - **EpisodeOfCare** of type SNOMED CT 385763009 (hospice care; status planned,
//!   waitlist, cancelled, entered-in-error skipped) → `death.hospice_enrollment_date`: the
//!   latest `period.start` on or before the death date (any, when the death has no date); an
//!   enrolment of a patient with no death record or after the death is skipped
//!   (`not_before_death`), another type (`unlisted_episode`). Without one the field is
//!   missing (`absent`). Encounters are not read for hospice: an encounter with a hospice
//!   service is no enrolment date, and HL7 v3 ActCode has no hospice encounter class.
//! - `practice` and `round` are not in FHIR: they are arguments of the import.
//! - Every other resource type is skipped (`unsupported_type`), and every chart root not
//!   read yet is listed in the summary with the resource type the export table names.
//!
//! # Memory
//!
//! Each resource is mapped as it is read and dropped: what stays in memory until
//! [`FhirImport::finish`] is the mapped records and the report entries, grouped by patient
//! (a Bulk Data export splits a patient's resources over one file per type, so no patient
//! is complete before the last file is read). That is bounded by
//! [`FhirImport::max_resources`] (default [`DEFAULT_MAX_RESOURCES`]): the resource past the
//! cap stops the run with [`ImportError::TooManyResources`] — never a silent truncation;
//! split the export by patient and import the parts separately.
//!
//! # Errors
//!
//! Bad input never stops a run: a malformed line of NDJSON, a Bundle that is no JSON or no
//! Bundle, or an entry that is not an R4 resource is an [`InputError`] in the report, by
//! source and line or entry, without the input's text; reading goes on. A chart that the
//! ingest checks refuse is reported with the position of its Patient resource and the
//! findings' field paths. Only I/O errors and the cap stop the run.

mod assemble;
mod link_med;
mod link_obs;
mod map;
mod map_care;
mod map_gen;
mod map_med;
mod map_obs;
mod map_req;
mod report;
mod tables;
mod tables_med;
mod tables_obs;
mod tables_req;
mod who;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{BufRead, Read};

use fhir_model::r4b::resources as r4b;
use serde::Deserialize;

use crate::RoundId;
use crate::chart::{Chart, ChartId, PracticeId};
use assemble::Item;

pub use report::{
    ChartReport, CodeRef, ImportReport, InputError, Missing, MissingReason, ResourceRef,
    SkipReason, Skipped, Summary,
};
pub use who::PracticeEncounters;

/// The default cap on resources held by one run (mapped or reported).
pub const DEFAULT_MAX_RESOURCES: u64 = 2_000_000;

/// What stops an import run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Reading a source failed.
    #[error("{source_name}: {error}")]
    Io {
        /// The source's name.
        source_name: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// More resources than the cap: the run is refused rather than truncated.
    #[error(
        "more than {cap} resources in one import run (the cap on what is held in memory): split the export by patient and import the parts separately"
    )]
    TooManyResources {
        /// The cap.
        cap: u64,
    },
    /// A shipped code table is defective (a build defect).
    #[error("a shipped code table is defective: {0}")]
    Tables(&'static str),
}

/// The result of a run: the valid charts (sorted by Patient id) and the report.
#[derive(Debug)]
#[non_exhaustive]
pub struct Imported {
    /// The charts built, each valid as ingest checks it.
    pub charts: Vec<Chart>,
    /// The report.
    pub report: ImportReport,
}

/// What one patient has gathered so far.
#[derive(Default)]
struct Acc {
    /// Where its Patient resource was read, once it was.
    position: Option<String>,
    /// The records mapped from its resources, in the order read.
    items: Vec<Item>,
    used: Vec<ResourceRef>,
    skipped: Vec<Skipped>,
    /// What its resources leave for linking findings to diagnoses.
    links: Vec<map_obs::Link>,
    /// What its genomic, request and hospice resources leave for [`map_gen::settle`].
    later: Vec<map_gen::Later>,
}

/// An import run: feed it sources, then [`FhirImport::finish`].
///
/// ```
/// use oncoqual::import::fhir::FhirImport;
///
/// let bundle = r#"{"resourceType":"Bundle","type":"collection","entry":[
///   {"resource":{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1960-05-01"}},
///   {"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},
///     "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"C50.911"}]},
///     "onsetDateTime":"2026-01-10"}}]}"#;
/// let mut run = FhirImport::new("prac-1".parse()?, "2026-1".parse()?);
/// run.read_bundle("example.json", bundle.as_bytes())?;
/// let out = run.finish()?;
/// assert_eq!(out.charts.len(), 1);
/// assert_eq!(out.charts[0].diagnoses[0].cancer_type, Some(oncoqual::chart::CancerType::Breast));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FhirImport {
    practice: PracticeId,
    round: RoundId,
    max_resources: u64,
    patients: BTreeMap<String, Acc>,
    /// Resources without a patient reference.
    waiting: Vec<Skipped>,
    held: u64,
    report: ImportReport,
    /// Which encounters are with the practice.
    practice_encounters: PracticeEncounters,
    /// The clinicians read so far (Practitioner, PractitionerRole).
    directory: who::Directory,
}

impl fmt::Debug for FhirImport {
    /// Counts only: no patient value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirImport")
            .field("patients", &self.patients.len())
            .field("held", &self.held)
            .finish_non_exhaustive()
    }
}

/// Just enough of a resource to route it: its type, id and patient reference.
#[derive(Deserialize)]
struct Peek {
    #[serde(rename = "resourceType")]
    resource_type: Option<String>,
    id: Option<String>,
    subject: Option<PeekRef>,
    patient: Option<PeekRef>,
}

#[derive(Deserialize)]
struct PeekRef {
    reference: Option<String>,
}

/// A Bundle's entries, each kept as JSON until it is routed.
#[derive(Deserialize)]
struct RawBundle {
    #[serde(default)]
    entry: Vec<RawEntry>,
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "fullUrl")]
    full_url: Option<String>,
    resource: Option<serde_json::Value>,
}

/// Declares the mapped resource types: [`Parsed`] (one variant each), the parsers from text
/// and from a Bundle entry's JSON, and [`MAPPED`].
macro_rules! parsed {
    ($($ty:ident,)*) => {
        /// A resource of a mapped type, parsed as its R4B type alone (parsing into the
        /// model's `Resource` enum would compile a deserializer for every resource type).
        enum Parsed {
            $(
                #[doc = concat!("A `", stringify!($ty), "`.")]
                $ty(r4b::$ty),
            )*
        }

        /// Parses `text` as resource type `ty` (`None`: not a mapped type).
        fn parse_str(ty: &str, text: &str) -> Result<Option<Parsed>, serde_json::Error> {
            Ok(Some(match ty {
                $(stringify!($ty) => Parsed::$ty(serde_json::from_str(text)?),)*
                _ => return Ok(None),
            }))
        }

        /// Parses a Bundle entry's `value` as resource type `ty` (`None`: not a mapped
        /// type).
        fn parse_value(
            ty: &str,
            value: serde_json::Value,
        ) -> Result<Option<Parsed>, serde_json::Error> {
            Ok(Some(match ty {
                $(stringify!($ty) => Parsed::$ty(serde_json::from_value(value)?),)*
                _ => return Ok(None),
            }))
        }

        /// The resource types this import maps.
        const MAPPED: &[&str] = &[$(stringify!($ty),)*];
    };
}

parsed! {
    Patient,
    Condition,
    Encounter,
    Observation,
    MedicationRequest,
    MedicationAdministration,
    Procedure,
    Practitioner,
    PractitionerRole,
    ServiceRequest,
    DocumentReference,
    Communication,
    DiagnosticReport,
    EpisodeOfCare,
}

/// The patient id of a reference: `Patient/<id>`, with any base URL before it and any
/// `/_history/<v>` after it; a Bundle `fullUrl` of a Patient entry resolves to its id.
fn patient_id(reference: &str, urls: &HashMap<String, String>) -> Option<String> {
    if let Some(id) = urls.get(reference) {
        return Some(id.clone());
    }
    map::ref_id(reference, "Patient")
}

/// A serde_json error as a message without the input's text: its category and position.
fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "could not be read",
        Category::Syntax => "malformed JSON",
        Category::Eof => "truncated JSON",
        Category::Data => "not a valid FHIR R4 resource (an element does not fit the R4 model)",
    };
    if e.line() == 0 {
        // From a parsed Bundle entry: no position of its own (the entry names it).
        what.to_owned()
    } else {
        format!("{what} (line {}, column {})", e.line(), e.column())
    }
}

impl FhirImport {
    /// A run for `practice` and `round` (neither is in FHIR data).
    pub fn new(practice: PracticeId, round: RoundId) -> Self {
        let mut report = ImportReport::default();
        for (root, ty, _) in crate::chart::fhir_map::CHART_RESOURCES {
            if !assemble::ROOTS_READ.contains(root) && !matches!(*root, "practice" | "round") {
                report
                    .summary
                    .roots_not_imported
                    .insert((*root).to_owned(), (*ty).to_owned());
            }
        }
        FhirImport {
            practice,
            round,
            max_resources: DEFAULT_MAX_RESOURCES,
            patients: BTreeMap::new(),
            waiting: Vec::new(),
            held: 0,
            report,
            practice_encounters: PracticeEncounters::NotStated,
            directory: who::Directory::default(),
        }
    }

    /// Sets the cap on resources one run holds (see the module docs, *Memory*).
    #[must_use]
    pub fn max_resources(mut self, cap: u64) -> Self {
        self.max_resources = cap;
        self
    }

    /// States which encounters are with the reporting practice (`encounters.with_practice`;
    /// default [`PracticeEncounters::NotStated`]: left missing).
    #[must_use]
    pub fn practice_encounters(mut self, which: PracticeEncounters) -> Self {
        self.practice_encounters = which;
        self
    }

    fn input_error(&mut self, position: String, message: String) {
        self.report.summary.input_errors = self.report.summary.input_errors.saturating_add(1);
        self.report
            .input_errors
            .push(InputError { position, message });
    }

    /// Reads one JSON document from `reader`: a Bundle (its entries' resources) or a single
    /// resource (as an implementation guide's example files hold them); `source` names it in
    /// the report.
    pub fn read_bundle<R: Read>(&mut self, source: &str, reader: R) -> Result<(), ImportError> {
        self.report.summary.sources = self.report.summary.sources.saturating_add(1);
        let value: serde_json::Value =
            match serde_json::from_reader(std::io::BufReader::new(reader)) {
                Ok(v) => v,
                Err(e) if e.is_io() => {
                    return Err(ImportError::Io {
                        source_name: source.to_owned(),
                        error: e.into(),
                    });
                }
                Err(e) => {
                    self.input_error(source.to_owned(), json_error(&e));
                    return Ok(());
                }
            };
        match value.get("resourceType").and_then(|t| t.as_str()) {
            Some("Bundle") => {}
            Some(_) => {
                let peek = match Peek::deserialize(&value) {
                    Ok(p) => p,
                    Err(e) => {
                        self.input_error(source.to_owned(), json_error(&e));
                        return Ok(());
                    }
                };
                let urls = HashMap::new();
                return self.route(peek, source.to_owned(), &urls, |ty| parse_value(ty, value));
            }
            None => {
                self.input_error(
                    source.to_owned(),
                    "not a FHIR resource (no `resourceType`)".to_owned(),
                );
                return Ok(());
            }
        }
        let bundle = match RawBundle::deserialize(value) {
            Ok(b) => b,
            Err(e) => {
                self.input_error(source.to_owned(), json_error(&e));
                return Ok(());
            }
        };
        // First the Patient entries' fullUrls, so `urn:uuid:` references resolve.
        let mut urls = HashMap::new();
        for e in &bundle.entry {
            if let (Some(url), Some(r)) = (&e.full_url, &e.resource)
                && r.get("resourceType").and_then(|t| t.as_str()) == Some("Patient")
                && let Some(id) = r.get("id").and_then(|t| t.as_str())
            {
                urls.insert(url.clone(), id.to_owned());
            }
        }
        for (i, entry) in bundle.entry.into_iter().enumerate() {
            let position = format!("{source}, entry {}", i.saturating_add(1));
            let Some(value) = entry.resource else {
                continue;
            };
            let peek = match Peek::deserialize(&value) {
                Ok(p) => p,
                Err(e) => {
                    self.input_error(position, json_error(&e));
                    continue;
                }
            };
            self.route(peek, position, &urls, |ty| parse_value(ty, value))?;
        }
        Ok(())
    }

    /// Reads Bulk Data NDJSON (one resource per line) from `reader`; `source` names it in
    /// the report. Blank lines are skipped.
    pub fn read_ndjson<R: BufRead>(&mut self, source: &str, reader: R) -> Result<(), ImportError> {
        self.report.summary.sources = self.report.summary.sources.saturating_add(1);
        let urls = HashMap::new();
        for (i, line) in reader.lines().enumerate() {
            let n = i.saturating_add(1);
            let line = match line {
                Ok(l) => l,
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    self.input_error(format!("{source}, line {n}"), "not UTF-8 text".to_owned());
                    continue;
                }
                Err(error) => {
                    return Err(ImportError::Io {
                        source_name: source.to_owned(),
                        error,
                    });
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            let position = format!("{source}, line {n}");
            let peek = match serde_json::from_str::<Peek>(&line) {
                Ok(p) => p,
                Err(e) => {
                    self.input_error(position, json_error(&e));
                    continue;
                }
            };
            self.route(peek, position, &urls, |ty| parse_str(ty, &line))?;
        }
        Ok(())
    }

    fn count_skip(&mut self, reason: &SkipReason) {
        let s = &mut self.report.summary;
        s.resources_skipped = s.resources_skipped.saturating_add(1);
        let n = s.skip_reasons.entry(reason.name().to_owned()).or_insert(0);
        *n = n.saturating_add(1);
    }

    fn count_unmapped(&mut self, codes: &[CodeRef]) {
        for c in codes {
            let n = self
                .report
                .summary
                .unmapped_codes
                .entry(c.key())
                .or_insert(0);
            *n = n.saturating_add(1);
        }
    }

    /// Routes one resource to its patient, mapping it when its type is mapped.
    fn route(
        &mut self,
        peek: Peek,
        position: String,
        urls: &HashMap<String, String>,
        parse: impl FnOnce(&str) -> Result<Option<Parsed>, serde_json::Error>,
    ) -> Result<(), ImportError> {
        self.held = self.held.saturating_add(1);
        if self.held > self.max_resources {
            return Err(ImportError::TooManyResources {
                cap: self.max_resources,
            });
        }
        self.report.summary.resources_read = self.report.summary.resources_read.saturating_add(1);
        let resource_type = peek.resource_type.clone().unwrap_or_default();
        let rref = ResourceRef {
            resource_type: resource_type.clone(),
            id: peek.id.clone(),
        };
        let owner = if resource_type == "Patient" {
            peek.id.clone()
        } else {
            peek.subject
                .as_ref()
                .or(peek.patient.as_ref())
                .and_then(|r| r.reference.as_deref())
                .and_then(|r| patient_id(r, urls))
        };
        if !MAPPED.contains(&resource_type.as_str()) {
            let skipped = Skipped {
                resource: rref,
                reason: SkipReason::UnsupportedType,
            };
            self.count_skip(&skipped.reason);
            self.hold(owner, skipped);
            return Ok(());
        }
        let resource = match parse(&resource_type) {
            Ok(Some(r)) => r,
            Ok(None) => {
                let skipped = Skipped {
                    resource: rref,
                    reason: SkipReason::UnsupportedType,
                };
                self.count_skip(&skipped.reason);
                self.hold(owner, skipped);
                return Ok(());
            }
            Err(e) => {
                self.report.summary.resources_read =
                    self.report.summary.resources_read.saturating_sub(1);
                self.input_error(position, json_error(&e));
                return Ok(());
            }
        };
        let tables = tables::tables().map_err(ImportError::Tables)?;
        let med_tables = tables_med::med_tables().map_err(ImportError::Tables)?;
        let req_tables = tables_req::req_tables().map_err(ImportError::Tables)?;
        let shared = match &resource {
            Parsed::Practitioner(p) => Some(self.directory.practitioner(p)),
            Parsed::PractitionerRole(r) => Some(self.directory.practitioner_role(r)),
            _ => None,
        };
        if let Some(added) = shared {
            let reason = match added.map_err(ImportError::Tables)? {
                who::Added::Yes(unmapped) => {
                    self_unmapped(&mut self.report.summary, &unmapped);
                    self.report.shared.push(rref);
                    self.report.summary.resources_used =
                        self.report.summary.resources_used.saturating_add(1);
                    return Ok(());
                }
                who::Added::NoId => SkipReason::NoId,
                who::Added::Duplicate => SkipReason::DuplicateId,
            };
            let skipped = Skipped {
                resource: rref,
                reason,
            };
            self.count_skip(&skipped.reason);
            self.hold(None, skipped);
            return Ok(());
        }
        let Some(owner) = owner else {
            let reason = if resource_type == "Patient" {
                SkipReason::NoId
            } else {
                SkipReason::NoPatientReference
            };
            let skipped = Skipped {
                resource: rref,
                reason,
            };
            self.count_skip(&skipped.reason);
            self.hold(None, skipped);
            return Ok(());
        };
        let acc = self.patients.entry(owner.clone()).or_default();
        let outcome: map::Outcome = match &resource {
            Parsed::Patient(p) => {
                if acc.position.is_some() {
                    Err((SkipReason::DuplicatePatient, Vec::new()))
                } else {
                    acc.position = Some(position);
                    Ok((map::patient(p), Vec::new()))
                }
            }
            Parsed::Condition(c) => {
                map_obs::condition_links(c, tables, &mut acc.links);
                map::condition(c, tables)
            }
            Parsed::Encounter(e) => map::encounter(e),
            Parsed::Observation(o) => map_gen::observation(o, &mut acc.later)
                .unwrap_or_else(|| map_obs::observation(o, &mut acc.links)),
            Parsed::MedicationRequest(r) => map_med::medication_request(r, med_tables),
            Parsed::MedicationAdministration(a) => {
                map_med::medication_administration(a, med_tables)
            }
            Parsed::Procedure(p) => map_care::procedure(p, med_tables),
            Parsed::ServiceRequest(r) => {
                map_req::service_request(r, req_tables, med_tables, &mut acc.later)
            }
            Parsed::DocumentReference(d) => map_req::document_reference(d, req_tables),
            Parsed::Communication(c) => map_req::communication(c, req_tables),
            Parsed::DiagnosticReport(r) => map_gen::diagnostic_report(r, &mut acc.later),
            Parsed::EpisodeOfCare(e) => map_gen::episode_of_care(e, &mut acc.later),
            // Read into the directory above; never reached with a patient.
            Parsed::Practitioner(_) | Parsed::PractitionerRole(_) => {
                Err((SkipReason::UnsupportedType, Vec::new()))
            }
        };
        match outcome {
            Ok((items, unmapped)) => {
                acc.items.extend(items);
                self_unmapped(&mut self.report.summary, &unmapped);
                acc.used.push(rref);
                self.report.summary.resources_used =
                    self.report.summary.resources_used.saturating_add(1);
            }
            Err((reason, codes)) => {
                let skipped = Skipped {
                    resource: rref,
                    reason,
                };
                acc.skipped.push(skipped.clone());
                self.count_skip(&skipped.reason);
                self.count_unmapped(&codes);
            }
        }
        Ok(())
    }

    /// Keeps a skipped resource for its patient (known now or later), or as unassigned.
    fn hold(&mut self, owner: Option<String>, skipped: Skipped) {
        match owner {
            Some(id) => self.patients.entry(id).or_default().skipped.push(skipped),
            None => self.waiting.push(skipped),
        }
    }

    /// Builds the charts and completes the report.
    pub fn finish(mut self) -> Result<Imported, ImportError> {
        let mut charts = Vec::new();
        for (id, acc) in std::mem::take(&mut self.patients) {
            let Some(position) = acc.position else {
                // Resources for a patient without a Patient resource.
                for r in acc.used {
                    let skipped = Skipped {
                        resource: r,
                        reason: SkipReason::NoPatientResource,
                    };
                    self.report.summary.resources_used =
                        self.report.summary.resources_used.saturating_sub(1);
                    self.count_skip(&skipped.reason);
                    self.report.unassigned.push(skipped);
                }
                self.report.unassigned.extend(acc.skipped);
                continue;
            };
            self.report.summary.patients = self.report.summary.patients.saturating_add(1);
            let mut entry = ChartReport {
                patient: id.clone(),
                position: position.clone(),
                used: acc.used,
                skipped: acc.skipped,
                ..ChartReport::default()
            };
            let mut missing = Vec::new();
            let builder = match ChartId::new(&id) {
                Some(chart_id) => Chart::builder(chart_id, self.practice.clone(), self.round),
                None => {
                    entry.refused = Some(format!(
                        "{position}: the Patient's id is not a valid chart id (1 to {} bytes)",
                        crate::chart::MAX_ID_LEN
                    ));
                    self.report.summary.charts_refused =
                        self.report.summary.charts_refused.saturating_add(1);
                    self.report.charts.push(entry);
                    continue;
                }
            };
            let mut items = acc.items;
            who::link(&mut items, &self.directory, &self.practice_encounters);
            let items =
                link_obs::link_and_report(items, acc.links, &mut entry, &mut self.report.summary);
            let items = map_gen::settle(items, acc.later, &mut entry, &mut self.report.summary);
            let builder = assemble::assemble(items, builder, &mut missing);
            entry.missing = missing;
            match builder.build() {
                Ok(chart) => {
                    entry.built = true;
                    charts.push(chart);
                    self.report.summary.charts_built =
                        self.report.summary.charts_built.saturating_add(1);
                }
                Err(e) => {
                    entry.refused = Some(format!("{position}: {e}"));
                    self.report.summary.charts_refused =
                        self.report.summary.charts_refused.saturating_add(1);
                }
            }
            self.report.charts.push(entry);
        }
        self.report.unassigned.extend(self.waiting);
        Ok(Imported {
            charts,
            report: self.report,
        })
    }
}

fn self_unmapped(summary: &mut Summary, codes: &[CodeRef]) {
    for c in codes {
        let n = summary.unmapped_codes.entry(c.key()).or_insert(0);
        *n = n.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> FhirImport {
        FhirImport::new("p".parse().unwrap(), "2026-1".parse().unwrap())
    }

    #[test]
    fn patient_references_resolve() {
        let urls = HashMap::from([("urn:uuid:1".to_owned(), "a".to_owned())]);
        assert_eq!(patient_id("Patient/x1", &urls).as_deref(), Some("x1"));
        assert_eq!(
            patient_id("https://h/fhir/Patient/x1", &urls).as_deref(),
            Some("x1")
        );
        assert_eq!(
            patient_id("Patient/x1/_history/3", &urls).as_deref(),
            Some("x1")
        );
        assert_eq!(patient_id("urn:uuid:1", &urls).as_deref(), Some("a"));
        assert_eq!(patient_id("Group/g", &urls), None);
        assert_eq!(patient_id("Patient/", &urls), None);
    }

    #[test]
    fn the_cap_stops_the_run_rather_than_truncating() {
        let mut r = run().max_resources(2);
        let lines = "{\"resourceType\":\"Patient\",\"id\":\"a\"}\n".repeat(3);
        let e = r.read_ndjson("x.ndjson", lines.as_bytes()).unwrap_err();
        assert!(matches!(e, ImportError::TooManyResources { cap: 2 }));
    }

    #[test]
    fn an_invalid_chart_is_refused_naming_its_patient_position() {
        let mut r = run();
        let ndjson = concat!(
            "{\"resourceType\":\"Patient\",\"id\":\"a\",\"birthDate\":\"1990-01-01\",\"deceasedDateTime\":\"1980-01-01\"}\n",
            "{\"resourceType\":\"Patient\",\"id\":\"b\"}\n",
        );
        r.read_ndjson("pts.ndjson", ndjson.as_bytes()).unwrap();
        let out = r.finish().unwrap();
        assert_eq!(out.charts.len(), 1);
        let refused = out.report.charts[0].refused.as_deref().unwrap();
        assert!(
            refused.starts_with("pts.ndjson, line 1: invalid chart"),
            "{refused}"
        );
        assert!(
            !refused.contains("1990") && !refused.contains("1980"),
            "{refused}"
        );
        assert_eq!(out.report.summary.charts_refused, 1);
    }

    #[test]
    fn bad_input_is_reported_and_reading_goes_on() {
        let mut r = run();
        r.read_bundle("a.json", &b"{not json"[..]).unwrap();
        r.read_bundle("b.json", &br#"{"id":"x","gender":"female"}"#[..])
            .unwrap();
        r.read_bundle(
            "c.json",
            &br#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"ok","gender":"secret-value"}},
              {"resource":{"resourceType":"Patient","id":"y"}}, {"resource":[1]}]}"#[..],
        )
        .unwrap();
        r.read_ndjson(
            "d.ndjson",
            &b"\xff\xfe\n{\"resourceType\":\"Basic\",\"id\":\"q\"}\n"[..],
        )
        .unwrap();
        let out = r.finish().unwrap();
        let positions: Vec<&str> = out
            .report
            .input_errors
            .iter()
            .map(|e| e.position.as_str())
            .collect();
        assert_eq!(
            positions,
            [
                "a.json",
                "b.json",
                "c.json, entry 1",
                "c.json, entry 3",
                "d.ndjson, line 1"
            ]
        );
        assert!(
            out.report
                .input_errors
                .iter()
                .all(|e| !e.message.contains("secret"))
        );
        assert_eq!(out.charts.len(), 1, "patient y");
        assert_eq!(
            out.report.unassigned.len(),
            1,
            "the Basic resource has no patient"
        );
        assert_eq!(out.report.unassigned[0].reason, SkipReason::UnsupportedType);
    }

    #[test]
    fn a_json_file_with_one_resource_is_read_as_that_resource() {
        let mut r = run();
        r.read_bundle("p.json", &br#"{"resourceType":"Patient","id":"x"}"#[..])
            .unwrap();
        r.read_bundle(
            "e.json",
            &br#"{"resourceType":"Encounter","id":"e","status":"finished",
              "class":{"code":"AMB"},"subject":{"reference":"Patient/x"},
              "period":{"start":"2026-02-03"}}"#[..],
        )
        .unwrap();
        let out = r.finish().unwrap();
        assert_eq!(out.report.summary.input_errors, 0);
        assert_eq!(out.charts.len(), 1);
        assert_eq!(out.charts[0].encounters.len(), 1);
        assert_eq!(out.report.charts[0].position, "p.json");
    }

    #[test]
    fn a_second_patient_resource_with_the_same_id_is_skipped() {
        let mut r = run();
        let line = "{\"resourceType\":\"Patient\",\"id\":\"a\"}\n";
        r.read_ndjson("x.ndjson", line.repeat(2).as_bytes())
            .unwrap();
        let out = r.finish().unwrap();
        assert_eq!(out.charts.len(), 1);
        assert_eq!(
            out.report.charts[0].skipped[0].reason,
            SkipReason::DuplicatePatient
        );
    }
}
