//! Semantic validation of a parsed chart.
//!
//! Parsing already guarantees shapes, real dates and known enumeration values. This pass checks
//! what spans fields. Its findings are of two severities:
//!
//! **Errors** (the chart is rejected):
//! - a `diagnoses` or `regimens` id used twice in one chart;
//! - a `diagnosis_id` (regimens, radiation courses, surgeries) or `regimen_id` (administrations,
//!   chemo orders, documents, medications, adverse events) naming no entry of the chart;
//! - `death.date` before `patient.birth_date`, or before a diagnosis's `diagnosis_date`;
//! - a `diagnosis_date` before `patient.birth_date`;
//! - an end before its start: regimen, radiation course and medication `end_date`, encounter
//!   `discharge_date`, diagnosis `resolved_date`, condition `abatement_date`;
//! - a list longer than [`crate::Limits::max_list_len`].
//!
//! **Warnings** (the chart is kept and the finding reported):
//! - an administration dated outside its regimen's `[start_date, end_date]`;
//! - an administration or an encounter dated after `death.date`;
//! - `death.hospice_enrollment_date` after `death.date`.
//!
//! No finding carries a patient value: each names a field path and what is wrong.

use std::fmt;

use serde::Serialize;

use super::Limits;
use super::{Chart, Date, DiagnosisId, RegimenId};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The chart is kept; the finding is reported.
    Warning,
    /// The chart is rejected.
    Error,
}

/// What a finding is about. Messages never contain patient values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum FindingKind {
    /// The text is not well-formed JSON.
    Syntax {
        /// What the JSON parser expected.
        message: String,
    },
    /// A value of the wrong JSON type (e.g. a number where a date string belongs).
    InvalidType {
        /// What the field takes.
        expected: String,
    },
    /// A value of the right JSON type that the field does not accept.
    InvalidValue {
        /// What the field takes.
        expected: String,
    },
    /// A field the model does not have (a typo in an export must not pass silently).
    UnknownField,
    /// A field the model does not have, close to one it has.
    UnknownFieldDidYouMean {
        /// The closest field name.
        suggestion: &'static str,
    },
    /// A required field is absent.
    MissingField {
        /// The missing field's name.
        field: String,
    },
    /// The same field appears twice in one object.
    DuplicateField,
    /// A record is longer than the input limit.
    LineTooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A record is not UTF-8.
    NotUtf8,
    /// A list has more entries than the input limit.
    ListTooLong {
        /// The limit.
        limit: usize,
    },
    /// The input could not be read.
    Io {
        /// The operating system's message.
        message: String,
    },
    /// More field errors in this record than are reported.
    MoreErrors {
        /// How many are reported.
        shown: usize,
    },
    /// A chart already read: the same chart id, practice and round as an earlier record
    /// of this input or of an earlier input of the same run.
    DuplicateChartId {
        /// The line (or 1-based record number) of the first record of this chart.
        first: usize,
        /// The input it was read from, when not this one.
        first_in: Option<String>,
    },
    /// An entry id used twice in one chart.
    DuplicateId {
        /// Path of the first entry with this id.
        first: String,
    },
    /// A reference to an entry that does not exist in the chart.
    DanglingReference {
        /// The list that should hold the referenced entry.
        target: &'static str,
    },
    /// A date earlier than the date it may not precede.
    DateBefore {
        /// Path of the date it may not precede.
        other: String,
    },
    /// A date later than the date it may not follow.
    DateAfter {
        /// Path of the date it may not follow.
        other: String,
    },
    /// An administration outside its regimen's dates.
    OutsideRegimen {
        /// Path of the regimen.
        regimen: String,
    },
    /// The chart's evaluation stopped before its end (it exceeded the evaluation budget):
    /// the chart is not counted.
    EvaluationStopped {
        /// The measure being evaluated when it stopped.
        measure: String,
        /// Why, in words (no chart value).
        reason: String,
    },
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindingKind::Syntax { message } => write!(f, "invalid JSON: {message}"),
            FindingKind::InvalidType { expected } => {
                write!(f, "invalid type, expected {expected}")
            }
            FindingKind::InvalidValue { expected } => write!(f, "invalid value, {expected}"),
            FindingKind::UnknownField => f.write_str("unknown field"),
            FindingKind::UnknownFieldDidYouMean { suggestion } => {
                write!(f, "unknown field, did you mean `{suggestion}`?")
            }
            FindingKind::MissingField { field } => write!(f, "missing field `{field}`"),
            FindingKind::DuplicateField => f.write_str("duplicate field"),
            FindingKind::LineTooLong { limit } => {
                write!(f, "record longer than the limit of {limit} bytes")
            }
            FindingKind::NotUtf8 => f.write_str("record is not valid UTF-8"),
            FindingKind::ListTooLong { limit } => {
                write!(f, "list longer than the limit of {limit} entries")
            }
            FindingKind::Io { message } => write!(f, "read error: {message}"),
            FindingKind::MoreErrors { shown } => {
                write!(f, "more errors in this record; the first {shown} are shown")
            }
            FindingKind::DuplicateChartId { first, first_in } => {
                write!(
                    f,
                    "duplicate chart: this chart id, practice and round were first read on line {first}"
                )?;
                match first_in {
                    Some(input) => write!(f, " of `{input}`"),
                    None => Ok(()),
                }
            }
            FindingKind::DuplicateId { first } => {
                write!(f, "duplicate id (first used at `{first}`)")
            }
            FindingKind::DanglingReference { target } => {
                write!(f, "refers to no entry of `{target}`")
            }
            FindingKind::DateBefore { other } => write!(f, "date is before `{other}`"),
            FindingKind::DateAfter { other } => write!(f, "date is after `{other}`"),
            FindingKind::OutsideRegimen { regimen } => {
                write!(f, "date is outside the dates of its regimen `{regimen}`")
            }
            FindingKind::EvaluationStopped { reason, .. } => {
                write!(f, "chart not evaluated: {reason}")
            }
        }
    }
}

/// One validation finding: where, how serious, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Field path (`regimens[3].start_date`); empty for the whole record.
    pub path: String,
    /// What is wrong.
    #[serde(flatten)]
    pub kind: FindingKind,
}

impl Finding {
    pub(crate) fn error(path: impl Into<String>, kind: FindingKind) -> Self {
        Finding {
            severity: Severity::Error,
            path: path.into(),
            kind,
        }
    }

    pub(crate) fn warning(path: impl Into<String>, kind: FindingKind) -> Self {
        Finding {
            severity: Severity::Warning,
            path: path.into(),
            kind,
        }
    }

    /// Whether the finding rejects the chart.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.path.is_empty() {
            write!(f, "{sev}: {}", self.kind)
        } else {
            write!(f, "{sev} at `{}`: {}", self.path, self.kind)
        }
    }
}

/// Validates a parsed chart: every finding, errors and warnings (see the module docs).
pub fn validate(chart: &Chart, limits: &Limits) -> Vec<Finding> {
    let mut out = Vec::new();
    check_list_lengths(chart, limits, &mut out);
    check_ids_and_references(chart, &mut out);
    check_dates(chart, &mut out);
    out
}

/// Every list of the chart, nested or not (`documents[2].sent_to`), within the limit: each
/// type of the model checks its own lists ([`Lists`], implemented beside its schema), so a
/// list added to the model is checked too, at the cost of a length test per list.
fn check_list_lengths(chart: &Chart, limits: &Limits, out: &mut Vec<Finding>) {
    chart.check_lists(None, limits.max_list_len, out);
}

/// Checks the length of every list a value holds, at any depth.
pub(crate) trait Lists {
    /// Whether a value of the type can hold a list (directly or in a nested record).
    const HOLDS_LISTS: bool = false;

    /// Reports every list of `self` (which is at `at`) longer than `max`.
    fn check_lists(&self, _at: Option<&Segment<'_>>, _max: usize, _out: &mut Vec<Finding>) {}
}

impl<T: Lists> Lists for Option<T> {
    const HOLDS_LISTS: bool = T::HOLDS_LISTS;
    fn check_lists(&self, at: Option<&Segment<'_>>, max: usize, out: &mut Vec<Finding>) {
        if T::HOLDS_LISTS
            && let Some(v) = self
        {
            v.check_lists(at, max, out);
        }
    }
}

impl<T: Lists> Lists for Vec<T> {
    const HOLDS_LISTS: bool = true;
    fn check_lists(&self, at: Option<&Segment<'_>>, max: usize, out: &mut Vec<Finding>) {
        if self.len() > max {
            out.push(Finding::error(
                at.map(Segment::render).unwrap_or_default(),
                FindingKind::ListTooLong { limit: max },
            ));
        }
        if T::HOLDS_LISTS
            && let Some(at) = at
        {
            for (j, entry) in self.iter().enumerate() {
                let here = Segment {
                    index: Some(j),
                    ..*at
                };
                entry.check_lists(Some(&here), max, out);
            }
        }
    }
}

/// One step of a field path, linked to its parent on the stack: the walk allocates
/// nothing for a chart within the limits, and a path is rendered only for a finding.
#[derive(Clone, Copy)]
pub(crate) struct Segment<'a> {
    /// The field's name as declared (a raw identifier keeps its `r#`).
    pub(crate) name: &'static str,
    /// The entry, for a list's entry.
    pub(crate) index: Option<usize>,
    /// The record holding the field (`None` at the chart).
    pub(crate) parent: Option<&'a Segment<'a>>,
}

impl Segment<'_> {
    fn render(&self) -> String {
        let mut steps = vec![self];
        while let Some(parent) = steps.last().and_then(|s| s.parent) {
            steps.push(parent);
        }
        let mut out = String::new();
        for (i, step) in steps.iter().rev().enumerate() {
            if i > 0 {
                out.push('.');
            }
            out.push_str(super::schema::unraw(step.name));
            if let Some(index) = step.index {
                out.push_str(&format!("[{index}]"));
            }
        }
        out
    }
}

fn check_ids_and_references(chart: &Chart, out: &mut Vec<Finding>) {
    for (i, d) in chart.diagnoses.iter().enumerate() {
        if let Some(id) = &d.id
            && let Some(j) = chart
                .diagnoses
                .iter()
                .take(i)
                .position(|e| e.id.as_ref() == Some(id))
        {
            out.push(Finding::error(
                format!("diagnoses[{i}].id"),
                FindingKind::DuplicateId {
                    first: format!("diagnoses[{j}].id"),
                },
            ));
        }
    }
    for (i, r) in chart.regimens.iter().enumerate() {
        if let Some(id) = &r.id
            && let Some(j) = chart
                .regimens
                .iter()
                .take(i)
                .position(|e| e.id.as_ref() == Some(id))
        {
            out.push(Finding::error(
                format!("regimens[{i}].id"),
                FindingKind::DuplicateId {
                    first: format!("regimens[{j}].id"),
                },
            ));
        }
    }
    let has_dx = |id: &DiagnosisId| chart.diagnoses.iter().any(|d| d.id.as_ref() == Some(id));
    let has_rx = |id: &RegimenId| chart.regimens.iter().any(|r| r.id.as_ref() == Some(id));
    let diagnosis_refs = [
        (
            "regimens",
            dangling(
                chart.regimens.iter().map(|r| r.diagnosis_id.as_ref()),
                has_dx,
            ),
        ),
        (
            "radiation_courses",
            dangling(
                chart
                    .radiation_courses
                    .iter()
                    .map(|r| r.diagnosis_id.as_ref()),
                has_dx,
            ),
        ),
        (
            "surgeries",
            dangling(
                chart.surgeries.iter().map(|r| r.diagnosis_id.as_ref()),
                has_dx,
            ),
        ),
    ];
    for (list, bad) in diagnosis_refs {
        for i in bad {
            out.push(Finding::error(
                format!("{list}[{i}].diagnosis_id"),
                FindingKind::DanglingReference {
                    target: "diagnoses",
                },
            ));
        }
    }
    let regimen_refs = [
        (
            "administrations",
            dangling(
                chart.administrations.iter().map(|a| a.regimen_id.as_ref()),
                has_rx,
            ),
        ),
        (
            "chemo_orders",
            dangling(
                chart.chemo_orders.iter().map(|a| a.regimen_id.as_ref()),
                has_rx,
            ),
        ),
        (
            "documents",
            dangling(
                chart.documents.iter().map(|a| a.regimen_id.as_ref()),
                has_rx,
            ),
        ),
        (
            "medications",
            dangling(
                chart.medications.iter().map(|a| a.regimen_id.as_ref()),
                has_rx,
            ),
        ),
        (
            "adverse_events",
            dangling(
                chart.adverse_events.iter().map(|a| a.regimen_id.as_ref()),
                has_rx,
            ),
        ),
    ];
    for (list, bad) in regimen_refs {
        for i in bad {
            out.push(Finding::error(
                format!("{list}[{i}].regimen_id"),
                FindingKind::DanglingReference { target: "regimens" },
            ));
        }
    }
}

/// Indices of the references that are present but name no existing entry. Allocates only
/// when there is one.
fn dangling<'a, T: 'a>(
    refs: impl Iterator<Item = Option<&'a T>>,
    exists: impl Fn(&T) -> bool,
) -> Vec<usize> {
    refs.enumerate()
        .filter_map(|(i, r)| r.filter(|id| !exists(id)).map(|_| i))
        .collect()
}

/// Pushes an error at `path` when `end` is before `start`.
fn end_not_before_start(
    start: Option<Date>,
    end: Option<Date>,
    path: impl FnOnce() -> (String, String),
    out: &mut Vec<Finding>,
) {
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        let (end_path, start_path) = path();
        out.push(Finding::error(
            end_path,
            FindingKind::DateBefore { other: start_path },
        ));
    }
}

fn check_dates(chart: &Chart, out: &mut Vec<Finding>) {
    let birth = chart.patient.birth_date;
    let death = chart.death.as_ref().and_then(|d| d.date);
    if let (Some(b), Some(d)) = (birth, death)
        && d < b
    {
        out.push(Finding::error(
            "death.date",
            FindingKind::DateBefore {
                other: "patient.birth_date".into(),
            },
        ));
    }
    for (i, dx) in chart.diagnoses.iter().enumerate() {
        end_not_before_start(
            birth,
            dx.diagnosis_date,
            || {
                (
                    format!("diagnoses[{i}].diagnosis_date"),
                    "patient.birth_date".into(),
                )
            },
            out,
        );
        end_not_before_start(
            dx.diagnosis_date,
            death,
            || {
                (
                    "death.date".into(),
                    format!("diagnoses[{i}].diagnosis_date"),
                )
            },
            out,
        );
        end_not_before_start(
            dx.diagnosis_date,
            dx.resolved_date,
            || {
                (
                    format!("diagnoses[{i}].resolved_date"),
                    format!("diagnoses[{i}].diagnosis_date"),
                )
            },
            out,
        );
    }
    for (i, r) in chart.regimens.iter().enumerate() {
        end_not_before_start(
            r.start_date,
            r.end_date,
            || {
                (
                    format!("regimens[{i}].end_date"),
                    format!("regimens[{i}].start_date"),
                )
            },
            out,
        );
    }
    for (i, r) in chart.radiation_courses.iter().enumerate() {
        end_not_before_start(
            r.start_date,
            r.end_date,
            || {
                (
                    format!("radiation_courses[{i}].end_date"),
                    format!("radiation_courses[{i}].start_date"),
                )
            },
            out,
        );
    }
    for (i, m) in chart.medications.iter().enumerate() {
        end_not_before_start(
            m.start_date,
            m.end_date,
            || {
                (
                    format!("medications[{i}].end_date"),
                    format!("medications[{i}].start_date"),
                )
            },
            out,
        );
    }
    for (i, e) in chart.encounters.iter().enumerate() {
        end_not_before_start(
            e.date,
            e.discharge_date,
            || {
                (
                    format!("encounters[{i}].discharge_date"),
                    format!("encounters[{i}].date"),
                )
            },
            out,
        );
        if let (Some(d), Some(dd)) = (e.date, death)
            && d > dd
        {
            out.push(Finding::warning(
                format!("encounters[{i}].date"),
                FindingKind::DateAfter {
                    other: "death.date".into(),
                },
            ));
        }
    }
    for (i, c) in chart.conditions.iter().enumerate() {
        end_not_before_start(
            c.onset_date,
            c.abatement_date,
            || {
                (
                    format!("conditions[{i}].abatement_date"),
                    format!("conditions[{i}].onset_date"),
                )
            },
            out,
        );
    }
    for (i, a) in chart.administrations.iter().enumerate() {
        let Some(date) = a.date else { continue };
        if death.is_some_and(|d| date > d) {
            out.push(Finding::warning(
                format!("administrations[{i}].date"),
                FindingKind::DateAfter {
                    other: "death.date".into(),
                },
            ));
        }
        let Some(rid) = &a.regimen_id else { continue };
        if let Some((j, r)) = chart
            .regimens
            .iter()
            .enumerate()
            .find(|(_, r)| r.id.as_ref() == Some(rid))
        {
            let before = r.start_date.is_some_and(|s| date < s);
            let after = r.end_date.is_some_and(|e| date > e);
            if before || after {
                out.push(Finding::warning(
                    format!("administrations[{i}].date"),
                    FindingKind::OutsideRegimen {
                        regimen: format!("regimens[{j}]"),
                    },
                ));
            }
        }
    }
    if let Some(d) = &chart.death
        && let (Some(h), Some(dd)) = (d.hospice_enrollment_date, d.date)
        && h > dd
    {
        out.push(Finding::warning(
            "death.hospice_enrollment_date",
            FindingKind::DateAfter {
                other: "death.date".into(),
            },
        ));
    }
}
