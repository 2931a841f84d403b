//! The certification workflow as an append-only, dated event log whose fold is the state.
//! `State::apply_mut` accepts an event only when it is legal in the current state, and
//! refuses it otherwise with an error naming the state and what is missing; a refused event
//! leaves the state (and so the log) unchanged. Replaying a log rebuilds the same state.
//!
//! The path follows the program (`certification/program.md`): an application opens from an
//! eligibility verdict ([`Eligible`]); the six steps are done in portal order; the surveyor
//! records findings per element and per method; a committee reviewer (cleared of conflicts
//! of interest like a surveyor) confirms or amends each element's level and the
//! Certification Compliance Report is issued from the reviewed levels; requirements go
//! through an action plan, documentation and possibly a re-survey; and a committee
//! decision, award or denial, ends each path. After a denial, an expiry or a lapsed pending
//! status the practice may apply again in the same log: a new cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::eligibility::Eligible;
use super::standards::{Method, Standards};
use crate::chart::{Date, PracticeId};

/// The six application steps, in portal order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 1. Eligibility: completed by the verdict the application opens from.
    Eligibility,
    /// 2. Agreements signed (carries who signed them).
    Agreements,
    /// 3. Practice questionnaire.
    PracticeQuestionnaire,
    /// 4. Payment (carries the payment's reference).
    Payment,
    /// 5. Practice policies uploaded (carries their titles).
    PolicyUpload,
    /// 6. Dates available for the on-site survey submitted (carries the dates).
    SurveyDates,
}

impl Step {
    /// All six, in order.
    pub const ALL: [Step; 6] = [
        Step::Eligibility,
        Step::Agreements,
        Step::PracticeQuestionnaire,
        Step::Payment,
        Step::PolicyUpload,
        Step::SurveyDates,
    ];

    /// The step's name as the log spells it (`policy_upload`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Step::Eligibility => "eligibility",
            Step::Agreements => "agreements",
            Step::PracticeQuestionnaire => "practice_questionnaire",
            Step::Payment => "payment",
            Step::PolicyUpload => "policy_upload",
            Step::SurveyDates => "survey_dates",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Compliance level of one element (or standard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Fully met.
    Met,
    /// Partially met (a requirement in the CCR).
    PartiallyMet,
    /// Not met (a requirement in the CCR).
    NotMet,
    /// The practice does not perform the activity; stated in the CCR, never silently met.
    NotApplicable,
}

impl Level {
    /// The level's name as the log spells it (`partially_met`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Level::Met => "met",
            Level::PartiallyMet => "partially_met",
            Level::NotMet => "not_met",
            Level::NotApplicable => "not_applicable",
        }
    }

    /// Whether the level is a requirement of the CCR (partially met or not met).
    pub fn is_requirement(self) -> bool {
        matches!(self, Level::PartiallyMet | Level::NotMet)
    }

    /// Strictness order: met < partially met < not met (not applicable is not ranked).
    fn severity(self) -> u8 {
        match self {
            Level::Met | Level::NotApplicable => 0,
            Level::PartiallyMet => 1,
            Level::NotMet => 2,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A surveyor's finding on one element of one standard by one method. An element may have
/// one finding per method the standard is surveyed by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Standard id.
    pub standard: String,
    /// Element number (1-based, catalog order).
    pub element: usize,
    /// How it was surveyed.
    pub method: Method,
    /// The level found by this method.
    pub level: Level,
    /// What the surveyor saw (the policy reviewed, the records sampled, who was
    /// interviewed, what was observed). Free text of the surveyor's; no patient data.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub evidence: String,
}

/// How an element's level is summarised from its findings by several methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryRule {
    /// The strictest level any method found (not met over partially met over met); not
    /// applicable only when every method found it so. The default: an element is met only
    /// when every method shows it met.
    #[default]
    Strictest,
    /// What is done beats what is written: the level of the first method present in the
    /// order observation, records review, staff interview, policy review.
    PracticeFirst,
}

impl SummaryRule {
    /// The rule in words, as the CCR states it.
    pub fn describe(self) -> &'static str {
        match self {
            SummaryRule::Strictest => {
                "an element's level is the strictest its methods found (not met, then partially met, then met); not applicable only when every method found it so"
            }
            SummaryRule::PracticeFirst => {
                "an element's level is the one found by observation, else records review, else staff interview, else policy review"
            }
        }
    }

    /// The element's level from its findings (`None` when there are none).
    pub fn summarise<'f>(self, findings: impl IntoIterator<Item = &'f Finding>) -> Option<Level> {
        let findings: Vec<&Finding> = findings.into_iter().collect();
        match self {
            SummaryRule::Strictest => {
                if findings.is_empty() {
                    None
                } else if findings.iter().all(|f| f.level == Level::NotApplicable) {
                    Some(Level::NotApplicable)
                } else {
                    findings
                        .iter()
                        .filter(|f| f.level != Level::NotApplicable)
                        .map(|f| f.level)
                        .max_by_key(|l| l.severity())
                }
            }
            SummaryRule::PracticeFirst => [
                Method::Observation,
                Method::RecordsReview,
                Method::StaffInterview,
                Method::PolicyReview,
            ]
            .iter()
            .find_map(|m| findings.iter().find(|f| f.method == *m).map(|f| f.level)),
        }
    }
}

/// A committee reviewer's change of an element's level, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amendment {
    /// Standard id.
    pub standard: String,
    /// Element number (1-based).
    pub element: usize,
    /// The level the committee finds.
    pub level: Level,
    /// Why (written; required).
    pub reason: String,
}

/// One action of a Compliance Action Plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// The unmet standard it addresses.
    pub standard: String,
    /// What will be done.
    pub action: String,
    /// Who owns it.
    pub owner: String,
    /// Due date.
    pub due: Date,
}

/// The committee's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// QOPI Certification awarded for the term.
    Award,
    /// Certification denied.
    Deny,
}

/// What happened, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// The eligible practice opens its application (a new cycle) from its eligibility
    /// verdict, which completes the first step.
    ApplicationOpened {
        /// Date.
        date: Date,
        /// The verdict ([`eligibility`](fn@super::eligibility::eligibility)) the application rests on.
        verdict: Box<Eligible>,
    },
    /// An application step is completed, in portal order, with what it carries.
    StepCompleted {
        /// Date.
        date: Date,
        /// Which step.
        step: Step,
        /// For `agreements`: who signed them (name and role).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signed_by: Option<String>,
        /// For `payment`: the payment's reference.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
        /// For `policy_upload`: the titles of the policies uploaded.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        policies: Vec<String>,
        /// For `survey_dates`: the dates offered for the survey.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        survey_dates: Vec<Date>,
    },
    /// A surveyor is assigned.
    SurveyorAssigned {
        /// Date.
        date: Date,
        /// Surveyor id.
        surveyor: String,
    },
    /// The practice confirms it has no conflict of interest with the surveyor (or, once
    /// the findings are recorded, with the committee reviewer).
    NoConflictConfirmed {
        /// Date.
        date: Date,
    },
    /// The practice declares a conflict of interest with the surveyor (or the committee
    /// reviewer): they must be replaced.
    ConflictDeclared {
        /// Date.
        date: Date,
    },
    /// The survey is scheduled on one of the offered dates.
    SurveyScheduled {
        /// Date.
        date: Date,
        /// The visit date.
        survey_date: Date,
    },
    /// The surveyor's findings: every element of every standard, by one or more of the
    /// standard's methods (at most one finding per element and method).
    FindingsRecorded {
        /// Date (on or after the visit).
        date: Date,
        /// The findings.
        findings: Vec<Finding>,
    },
    /// A committee reviewer is assigned to assess the surveyor's findings.
    ReviewerAssigned {
        /// Date.
        date: Date,
        /// Reviewer id.
        reviewer: String,
    },
    /// The committee reviewer's assessment: every element's summarised level is confirmed
    /// except those amended (each with a reason). The Certification Compliance Report is
    /// issued from the reviewed levels.
    CommitteeReviewed {
        /// Date.
        date: Date,
        /// The reviewer (the one assigned).
        reviewer: String,
        /// Elements whose level the committee changes.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        amendments: Vec<Amendment>,
    },
    /// The Compliance Action Plan: an action for every requirement.
    ActionPlanSubmitted {
        /// Date.
        date: Date,
        /// The actions.
        actions: Vec<Action>,
    },
    /// A repeat on-site survey is ordered: only when the findings flag a disagreement
    /// between policy review and observation.
    ResurveyOrdered {
        /// Date.
        date: Date,
    },
    /// Documentation of the implemented plan is submitted: *Certification Pending*.
    DocumentationSubmitted {
        /// Date.
        date: Date,
    },
    /// The committee reviewer's assessment of the submitted documentation: the standards
    /// now met.
    DocumentationReviewed {
        /// Date.
        date: Date,
        /// The reviewer (the one assigned).
        reviewer: String,
        /// Standards whose requirements are now met.
        now_met: Vec<String>,
    },
    /// The committee's decision, which ends the path: award when every standard is met;
    /// deny when a standard cannot be met (`cannot_meet`) or requirements are still open
    /// past the pending lapse.
    Decision {
        /// Date.
        date: Date,
        /// The committee reviewer deciding.
        reviewer: String,
        /// Award or deny.
        outcome: Outcome,
        /// The reasons (required for a denial).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reasons: Vec<String>,
        /// For a denial: open requirements the committee finds cannot be met.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cannot_meet: Vec<String>,
    },
    /// A QOPI round the practice took part in while certified.
    ParticipationRecorded {
        /// Date of the round's data submission.
        date: Date,
    },
    /// The practice applies for renewal.
    RenewalApplied {
        /// Date.
        date: Date,
    },
    /// Renewal granted: three more years from the expiry date.
    RenewalGranted {
        /// Date.
        date: Date,
    },
}

impl Event {
    /// The event's date.
    pub fn date(&self) -> Date {
        match self {
            Event::ApplicationOpened { date, .. }
            | Event::StepCompleted { date, .. }
            | Event::SurveyorAssigned { date, .. }
            | Event::NoConflictConfirmed { date }
            | Event::ConflictDeclared { date }
            | Event::SurveyScheduled { date, .. }
            | Event::FindingsRecorded { date, .. }
            | Event::ReviewerAssigned { date, .. }
            | Event::CommitteeReviewed { date, .. }
            | Event::ActionPlanSubmitted { date, .. }
            | Event::ResurveyOrdered { date }
            | Event::DocumentationSubmitted { date }
            | Event::DocumentationReviewed { date, .. }
            | Event::Decision { date, .. }
            | Event::ParticipationRecorded { date }
            | Event::RenewalApplied { date }
            | Event::RenewalGranted { date } => *date,
        }
    }

    /// The event's name as the log spells it (`application_opened`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Event::ApplicationOpened { .. } => "application_opened",
            Event::StepCompleted { .. } => "step_completed",
            Event::SurveyorAssigned { .. } => "surveyor_assigned",
            Event::NoConflictConfirmed { .. } => "no_conflict_confirmed",
            Event::ConflictDeclared { .. } => "conflict_declared",
            Event::SurveyScheduled { .. } => "survey_scheduled",
            Event::FindingsRecorded { .. } => "findings_recorded",
            Event::ReviewerAssigned { .. } => "reviewer_assigned",
            Event::CommitteeReviewed { .. } => "committee_reviewed",
            Event::ActionPlanSubmitted { .. } => "action_plan_submitted",
            Event::ResurveyOrdered { .. } => "resurvey_ordered",
            Event::DocumentationSubmitted { .. } => "documentation_submitted",
            Event::DocumentationReviewed { .. } => "documentation_reviewed",
            Event::Decision { .. } => "decision",
            Event::ParticipationRecorded { .. } => "participation_recorded",
            Event::RenewalApplied { .. } => "renewal_applied",
            Event::RenewalGranted { .. } => "renewal_granted",
        }
    }
}

/// Where the practice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// No application yet.
    NotStarted,
    /// Application open; steps being completed.
    Applying,
    /// All six steps complete: ready for the on-site survey.
    ReadyForSurvey,
    /// A surveyor is assigned (conflict of interest to confirm or declared).
    SurveyorAssigned,
    /// The survey date is set.
    SurveyScheduled,
    /// Findings recorded, awaiting the committee reviewer's assessment.
    Surveyed,
    /// The CCR lists requirements: a Compliance Action Plan is due.
    RequirementsOpen,
    /// The action plan is accepted; documentation of its implementation is due.
    ActionPlanAccepted,
    /// A repeat survey is ordered (a surveyor must be scheduled again).
    ResurveyOrdered,
    /// Documentation submitted: *Certification Pending*.
    Pending,
    /// Every standard is met: the committee's decision is due.
    AwaitingDecision,
    /// Certified.
    Certified,
    /// Certified, renewal applied for.
    RenewalApplied,
    /// The committee denied certification (a new application may be opened).
    Denied,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        f.write_str(&s)
    }
}

/// The configurable durations of the program. Hand-edited rules are checked by
/// [`Rules::validate`] whenever a log is read: each field has a documented range, and the
/// renewal window must open before it closes and fit in the term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Rules {
    /// *Certification Pending* lapses this many months after documentation is submitted
    /// without certification (the program uses 12–14; accepted 1–36; default 12).
    pub pending_lapse_months: u32,
    /// Certification term in months (accepted 1–120; default 36).
    pub term_months: u32,
    /// Renewal may be applied for from this many months before expiry (accepted 1–120 and
    /// at most `term_months`, more than `renewal_closes_months_before`; default 12) ...
    pub renewal_opens_months_before: u32,
    /// ... until this many months before expiry (accepted 0–119, less than
    /// `renewal_opens_months_before`; default 9).
    pub renewal_closes_months_before: u32,
    /// Longest gap in QOPI participation while certified before the certification is at
    /// risk (accepted 1–60; default 12 months).
    pub participation_months: u32,
    /// How an element's level is summarised from its findings by several methods (default
    /// [`SummaryRule::Strictest`]).
    #[serde(default)]
    pub summary_rule: SummaryRule,
    /// The program's typical time from application to decision, shortest (accepted 1–60;
    /// default 6 months) ...
    #[serde(default = "default_typical_min")]
    pub typical_min_months: u32,
    /// ... and longest: past it, `status` reports the cycle as overdue (accepted 1–60 and
    /// at least `typical_min_months`; default 9).
    #[serde(default = "default_typical_max")]
    pub typical_max_months: u32,
}

fn default_typical_min() -> u32 {
    6
}

fn default_typical_max() -> u32 {
    9
}

/// Certification rules outside their documented ranges (see the fields of [`Rules`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    /// A field's value is outside its range.
    #[error("rules: `{field}` is {value}, outside its range {min}–{max}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// Its value.
        value: u32,
        /// The least accepted value.
        min: u32,
        /// The greatest accepted value.
        max: u32,
    },
    /// The renewal window does not open before it closes.
    #[error(
        "rules: the renewal window is empty: `renewal_opens_months_before` ({opens}) must be greater than `renewal_closes_months_before` ({closes})"
    )]
    EmptyRenewalWindow {
        /// `renewal_opens_months_before`.
        opens: u32,
        /// `renewal_closes_months_before`.
        closes: u32,
    },
    /// The typical duration's range is reversed.
    #[error("rules: `typical_min_months` ({min}) is greater than `typical_max_months` ({max})")]
    TypicalRangeReversed {
        /// `typical_min_months`.
        min: u32,
        /// `typical_max_months`.
        max: u32,
    },
    /// The renewal window opens before the certification starts.
    #[error(
        "rules: `renewal_opens_months_before` ({opens}) is longer than the term `term_months` ({term}): the window would open before the certification"
    )]
    RenewalBeforeTerm {
        /// `renewal_opens_months_before`.
        opens: u32,
        /// `term_months`.
        term: u32,
    },
}

impl Rules {
    /// Accepted range of [`Rules::pending_lapse_months`].
    pub const PENDING_LAPSE_MONTHS: (u32, u32) = (1, 36);
    /// Accepted range of [`Rules::term_months`].
    pub const TERM_MONTHS: (u32, u32) = (1, 120);
    /// Accepted range of [`Rules::renewal_opens_months_before`].
    pub const RENEWAL_OPENS_MONTHS_BEFORE: (u32, u32) = (1, 120);
    /// Accepted range of [`Rules::renewal_closes_months_before`].
    pub const RENEWAL_CLOSES_MONTHS_BEFORE: (u32, u32) = (0, 119);
    /// Accepted range of [`Rules::participation_months`].
    pub const PARTICIPATION_MONTHS: (u32, u32) = (1, 60);
    /// Accepted range of [`Rules::typical_min_months`] and [`Rules::typical_max_months`].
    pub const TYPICAL_MONTHS: (u32, u32) = (1, 60);

    /// Checks every field against its documented range and the renewal window against the
    /// term; the first problem found is returned.
    pub fn validate(&self) -> Result<(), RulesError> {
        let fields = [
            (
                "pending_lapse_months",
                self.pending_lapse_months,
                Self::PENDING_LAPSE_MONTHS,
            ),
            ("term_months", self.term_months, Self::TERM_MONTHS),
            (
                "renewal_opens_months_before",
                self.renewal_opens_months_before,
                Self::RENEWAL_OPENS_MONTHS_BEFORE,
            ),
            (
                "renewal_closes_months_before",
                self.renewal_closes_months_before,
                Self::RENEWAL_CLOSES_MONTHS_BEFORE,
            ),
            (
                "participation_months",
                self.participation_months,
                Self::PARTICIPATION_MONTHS,
            ),
            (
                "typical_min_months",
                self.typical_min_months,
                Self::TYPICAL_MONTHS,
            ),
            (
                "typical_max_months",
                self.typical_max_months,
                Self::TYPICAL_MONTHS,
            ),
        ];
        for (field, value, (min, max)) in fields {
            if !(min..=max).contains(&value) {
                return Err(RulesError::OutOfRange {
                    field,
                    value,
                    min,
                    max,
                });
            }
        }
        if self.renewal_opens_months_before <= self.renewal_closes_months_before {
            return Err(RulesError::EmptyRenewalWindow {
                opens: self.renewal_opens_months_before,
                closes: self.renewal_closes_months_before,
            });
        }
        if self.typical_min_months > self.typical_max_months {
            return Err(RulesError::TypicalRangeReversed {
                min: self.typical_min_months,
                max: self.typical_max_months,
            });
        }
        if self.renewal_opens_months_before > self.term_months {
            return Err(RulesError::RenewalBeforeTerm {
                opens: self.renewal_opens_months_before,
                term: self.term_months,
            });
        }
        Ok(())
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            pending_lapse_months: 12,
            term_months: 36,
            renewal_opens_months_before: 12,
            renewal_closes_months_before: 9,
            participation_months: 12,
            summary_rule: SummaryRule::Strictest,
            typical_min_months: default_typical_min(),
            typical_max_months: default_typical_max(),
        }
    }
}

/// How a cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleEnd {
    /// The committee denied certification.
    Denied,
    /// The certification expired without renewal.
    Expired,
    /// *Certification Pending* lapsed without certification.
    PendingLapsed,
}

/// A cycle that ended before the current one: a practice may apply again in the same log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PastCycle {
    /// 1-based cycle number.
    pub cycle: u32,
    /// When its application opened.
    pub applied_on: Date,
    /// When it ended (the denial, the expiry or the lapse date).
    pub ended_on: Date,
    /// How.
    pub end: CycleEnd,
    /// When it was certified, if it was.
    pub certified_on: Option<Date>,
}

/// The committee's recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Decided {
    /// Date.
    pub date: Date,
    /// The reviewer who decided.
    pub reviewer: String,
    /// Award or deny.
    pub outcome: Outcome,
    /// The reasons given.
    pub reasons: Vec<String>,
    /// Requirements found impossible to meet (a denial).
    pub cannot_meet: Vec<String>,
}

/// An element where policy review and observation found different levels: what allows a
/// re-survey to be ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Disagreement<'a> {
    /// Standard id.
    pub standard: &'a str,
    /// Element number.
    pub element: usize,
    /// The level policy review found.
    pub policy_review: Level,
    /// The level observation found.
    pub observation: Level,
}

/// The folded state of a log: the current cycle in full, earlier cycles in summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct State {
    /// The phase.
    pub phase: Phase,
    /// The practice (one log is one practice's).
    pub practice: Option<PracticeId>,
    /// The current cycle, 1-based (0 before the first application).
    pub cycle: u32,
    /// When the current cycle's application opened.
    pub applied_on: Option<Date>,
    /// The eligibility verdict the current application rests on.
    pub verdict: Option<Box<Eligible>>,
    /// Application steps done.
    pub steps: BTreeSet<Step>,
    /// Who signed the agreements.
    pub agreements_signed_by: Option<String>,
    /// The payment's reference.
    pub payment_reference: Option<String>,
    /// Titles of the policies uploaded.
    pub policies: Vec<String>,
    /// Dates offered for the survey.
    pub survey_dates: Vec<Date>,
    /// The assigned surveyor.
    pub surveyor: Option<String>,
    /// `None`: not yet confirmed; `Some(false)`: no conflict; `Some(true)`: conflict declared.
    pub conflict: Option<bool>,
    /// Surveys held in this cycle.
    pub surveys: u32,
    /// The scheduled (or held) survey date.
    pub survey_date: Option<Date>,
    /// Findings of the latest survey.
    pub findings: Vec<Finding>,
    /// The committee reviewer.
    pub reviewer: Option<String>,
    /// The reviewer's conflict of interest, answered as for a surveyor.
    pub reviewer_conflict: Option<bool>,
    /// When the committee reviewed the latest findings (the CCR's date).
    pub reviewed_on: Option<Date>,
    /// The committee's amendments of element levels.
    pub amendments: Vec<Amendment>,
    /// The Certification Compliance Report: level per standard.
    pub ccr: BTreeMap<String, Level>,
    /// Standards still to be met (the CCR's requirements).
    pub requirements: BTreeSet<String>,
    /// Requirements found met on documentation, and when.
    pub met_on_documentation: BTreeMap<String, Date>,
    /// The accepted Compliance Action Plan.
    pub action_plan: Vec<Action>,
    /// Date documentation was submitted (*Certification Pending* since).
    pub pending_since: Option<Date>,
    /// The committee's decision of this cycle.
    pub decision: Option<Decided>,
    /// Date of the (latest) certification decision.
    pub certified_on: Option<Date>,
    /// The certification's expiry date.
    pub expires_on: Option<Date>,
    /// QOPI participation while certified.
    pub participation: Vec<Date>,
    /// Earlier cycles.
    pub past_cycles: Vec<PastCycle>,
    /// Date of the last event.
    pub last_date: Option<Date>,
}

impl Default for State {
    fn default() -> Self {
        State {
            phase: Phase::NotStarted,
            practice: None,
            cycle: 0,
            applied_on: None,
            verdict: None,
            steps: BTreeSet::new(),
            agreements_signed_by: None,
            payment_reference: None,
            policies: Vec::new(),
            survey_dates: Vec::new(),
            surveyor: None,
            conflict: None,
            surveys: 0,
            survey_date: None,
            findings: Vec::new(),
            reviewer: None,
            reviewer_conflict: None,
            reviewed_on: None,
            amendments: Vec::new(),
            ccr: BTreeMap::new(),
            requirements: BTreeSet::new(),
            met_on_documentation: BTreeMap::new(),
            action_plan: Vec::new(),
            pending_since: None,
            decision: None,
            certified_on: None,
            expires_on: None,
            participation: Vec::new(),
            past_cycles: Vec::new(),
            last_date: None,
        }
    }
}

/// An event refused: the state it met and what is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{event}` refused in state `{phase}`: {reason}")]
pub struct Refused {
    /// The phase the event met.
    pub phase: Phase,
    /// The event's name.
    pub event: &'static str,
    /// Why.
    pub reason: String,
}

/// The last date the model writes and reads back (`YYYY-MM-DD` has four year digits).
fn last_date() -> Date {
    Date::MAX
}

/// `d` plus `n` months, or `None` past 9999-12-31 (a date no log could be read back with).
fn months(d: Date, n: u32) -> Option<Date> {
    d.add_months(i64::from(n)).filter(|x| *x <= last_date())
}

/// `d` minus `n` months, or `None` before 0001-01-01.
fn months_before(d: Date, n: u32) -> Option<Date> {
    d.add_months(i64::from(n).checked_neg()?)
        .filter(|x| *x >= Date::MIN)
}

/// Whole calendar months from `from` to `to` (0 when `to` is not later).
fn whole_months(from: Date, to: Date) -> u32 {
    let mut n: u32 = 0;
    // At most 12 × 10,000 steps over the supported range; each is a date addition.
    while let Some(next) = n.checked_add(1)
        && months(from, next).is_some_and(|d| d <= to)
    {
        n = next;
    }
    n
}

/// A standard's level from its elements' levels: not applicable when every element is;
/// met when every element is met or not applicable; not met when any element is not met;
/// partially met otherwise.
pub fn standard_level(levels: &[Level]) -> Level {
    if levels.iter().all(|l| *l == Level::NotApplicable) {
        Level::NotApplicable
    } else if levels
        .iter()
        .all(|l| matches!(l, Level::Met | Level::NotApplicable))
    {
        Level::Met
    } else if levels.contains(&Level::NotMet) {
        Level::NotMet
    } else {
        Level::PartiallyMet
    }
}

/// The elements where policy review and observation found different levels.
pub fn disagreements(findings: &[Finding]) -> Vec<Disagreement<'_>> {
    let mut out = Vec::new();
    for p in findings.iter().filter(|f| f.method == Method::PolicyReview) {
        if let Some(o) = findings.iter().find(|o| {
            o.method == Method::Observation && o.standard == p.standard && o.element == p.element
        }) && o.level != p.level
        {
            out.push(Disagreement {
                standard: &p.standard,
                element: p.element,
                policy_review: p.level,
                observation: o.level,
            });
        }
    }
    out
}

/// Each element's level after the committee's review: summarised from its findings by
/// `rule`, then amended where the committee amended it. Keyed by (standard, element).
pub fn reviewed_levels<'a>(
    findings: &'a [Finding],
    amendments: &'a [Amendment],
    rule: SummaryRule,
) -> BTreeMap<(&'a str, usize), Level> {
    let mut by_element: BTreeMap<(&str, usize), Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_element
            .entry((f.standard.as_str(), f.element))
            .or_default()
            .push(f);
    }
    let mut levels: BTreeMap<(&str, usize), Level> = by_element
        .into_iter()
        .filter_map(|(k, fs)| rule.summarise(fs).map(|l| (k, l)))
        .collect();
    for a in amendments {
        levels.insert((a.standard.as_str(), a.element), a.level);
    }
    levels
}

fn nonblank(s: &str) -> bool {
    !s.trim().is_empty()
}

/// Checks a recorded verdict against the application's date and the log's practice.
fn check_verdict(v: &Eligible, date: Date, practice: Option<&PracticeId>) -> Result<(), String> {
    if !v.final_report {
        return Err("the eligibility verdict is not from a final report".into());
    }
    if let Some(p) = practice
        && *p != v.practice
    {
        return Err(format!(
            "this log is practice `{}`'s; the verdict is for practice `{}`",
            p.as_str(),
            v.practice.as_str()
        ));
    }
    if v.score < v.threshold {
        return Err(format!(
            "the verdict's score {} is below its threshold {}",
            v.score, v.threshold
        ));
    }
    if v.charts < v.min_unique_charts {
        return Err(format!(
            "the verdict counts {} unique charts, fewer than its minimum {}",
            v.charts, v.min_unique_charts
        ));
    }
    if v.webinar.date > date {
        return Err(format!(
            "the webinar was attended on {}, after the application",
            v.webinar.date
        ));
    }
    if date < v.computed_on || date < v.issued_on {
        return Err(format!(
            "dated {date}, before the verdict it rests on (computed for {}, report issued {})",
            v.computed_on, v.issued_on
        ));
    }
    if date > v.valid_until {
        return Err(format!(
            "the verdict expired: its qualifying score (report of {}) was valid until {}",
            v.issued_on, v.valid_until
        ));
    }
    Ok(())
}

fn check_findings(findings: &[Finding], standards: &Standards) -> Result<(), String> {
    let mut seen: BTreeSet<(&str, usize, Method)> = BTreeSet::new();
    for f in findings {
        let Some(st) = standards.get(&f.standard) else {
            return Err(format!("finding for unknown standard `{}`", f.standard));
        };
        if f.element == 0 || f.element > st.elements.len() {
            return Err(format!(
                "standard `{}` has elements 1–{}, not {}",
                st.id,
                st.elements.len(),
                f.element
            ));
        }
        if !st.methods.contains(&f.method) {
            return Err(format!(
                "standard `{}` is not surveyed by {}",
                st.id,
                f.method.name()
            ));
        }
        if !seen.insert((f.standard.as_str(), f.element, f.method)) {
            return Err(format!(
                "element {} of `{}` has two findings by {}",
                f.element,
                st.id,
                f.method.name()
            ));
        }
    }
    let covered: BTreeSet<(&str, usize)> = seen.iter().map(|(s, e, _)| (*s, *e)).collect();
    let missing: Vec<String> = standards
        .standards
        .iter()
        .flat_map(|st| (1..=st.elements.len()).map(move |e| (st.id.as_str(), e)))
        .filter(|k| !covered.contains(k))
        .map(|(s, e)| format!("{s}#{e}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "every element of every standard needs a finding; missing: {}",
            missing.join(", ")
        ));
    }
    Ok(())
}

fn check_step(
    step: Step,
    signed_by: Option<&String>,
    reference: Option<&String>,
    policies: &[String],
    survey_dates: &[Date],
    date: Date,
) -> Result<(), String> {
    let carries = |field: &str, owner: Step| {
        format!("`{field}` is carried by the `{owner}` step, not `{step}`")
    };
    if step != Step::Agreements && signed_by.is_some() {
        return Err(carries("signed_by", Step::Agreements));
    }
    if step != Step::Payment && reference.is_some() {
        return Err(carries("reference", Step::Payment));
    }
    if step != Step::PolicyUpload && !policies.is_empty() {
        return Err(carries("policies", Step::PolicyUpload));
    }
    if step != Step::SurveyDates && !survey_dates.is_empty() {
        return Err(carries("survey_dates", Step::SurveyDates));
    }
    match step {
        Step::Eligibility => {
            return Err(
                "the eligibility step is completed by the verdict the application opened from"
                    .into(),
            );
        }
        Step::Agreements if !signed_by.is_some_and(|s| nonblank(s)) => {
            return Err("the agreements step needs `signed_by` (who signed them)".into());
        }
        Step::Payment if !reference.is_some_and(|s| nonblank(s)) => {
            return Err("the payment step needs the payment's `reference`".into());
        }
        Step::PolicyUpload => {
            if policies.is_empty() {
                return Err(
                    "the policy-upload step needs the titles of the policies uploaded (`policies`)"
                        .into(),
                );
            }
            let mut titles = BTreeSet::new();
            for p in policies {
                if !nonblank(p) {
                    return Err("a policy uploaded has no title".into());
                }
                if !titles.insert(p.trim()) {
                    return Err(format!("the policy `{}` is listed twice", p.trim()));
                }
            }
        }
        Step::SurveyDates => {
            if survey_dates.is_empty() {
                return Err("the survey-dates step needs at least one date offered".into());
            }
            if let Some(d) = survey_dates.iter().find(|d| **d <= date) {
                return Err(format!("offered survey date {d} is not after {date}"));
            }
            let distinct: BTreeSet<&Date> = survey_dates.iter().collect();
            if distinct.len() != survey_dates.len() {
                return Err("a survey date is offered twice".into());
            }
        }
        _ => {}
    }
    Ok(())
}

impl State {
    /// The state after `event`, or why it is refused (the state is unchanged then).
    ///
    /// This returns a new state and so copies this one; [`State::apply_mut`] changes it in
    /// place (what a replay uses).
    pub fn apply(
        &self,
        event: &Event,
        rules: &Rules,
        standards: &Standards,
    ) -> Result<State, Refused> {
        let mut s = self.clone();
        s.apply_mut(event, rules, standards)?;
        Ok(s)
    }

    /// The date *Certification Pending* lapses (or lapsed), when pending.
    pub fn pending_lapses_on(&self, rules: &Rules) -> Option<Date> {
        match self.phase {
            Phase::Pending => months(self.pending_since?, rules.pending_lapse_months),
            _ => None,
        }
    }

    /// The elements of the latest findings where policy review and observation disagree.
    pub fn disagreements(&self) -> Vec<Disagreement<'_>> {
        disagreements(&self.findings)
    }

    /// How the current cycle would end if a new application opened on `date`, or `None`
    /// when no new application may open then (one is under way, or the practice is
    /// certified).
    fn ending_on(&self, date: Date, rules: &Rules) -> Option<Option<(CycleEnd, Date)>> {
        match self.phase {
            Phase::NotStarted => Some(None),
            Phase::Denied => Some(Some((
                CycleEnd::Denied,
                self.decision.as_ref().map_or(date, |d| d.date),
            ))),
            Phase::Certified | Phase::RenewalApplied => self
                .expires_on
                .filter(|e| date > *e)
                .map(|e| Some((CycleEnd::Expired, e))),
            Phase::Pending => self
                .pending_lapses_on(rules)
                .filter(|l| date > *l)
                .map(|l| Some((CycleEnd::PendingLapsed, l))),
            _ => None,
        }
    }

    /// Applies `event` in place, or refuses it and leaves the state untouched: every check
    /// runs before the first change, so nothing has to be copied to be restored.
    ///
    /// A replay trusts the verdict an `application_opened` event records, after checking
    /// that it is consistent (for this practice, from a final report, still valid on the
    /// date); checking it against the report it names is the appender's job
    /// ([`Workflow::verify_verdict`], `oncoqual certify apply --report`).
    pub fn apply_mut(
        &mut self,
        event: &Event,
        rules: &Rules,
        standards: &Standards,
    ) -> Result<(), Refused> {
        let phase = self.phase;
        let name = event.name();
        let refuse = move |reason: String| Refused {
            phase,
            event: name,
            reason,
        };
        let need = move |phases: &[Phase], what: &str| -> Result<(), Refused> {
            if phases.contains(&phase) {
                Ok(())
            } else {
                Err(refuse(format!("needs {what}")))
            }
        };
        let date = event.date();
        if let Some(last) = self.last_date
            && date < last
        {
            return Err(refuse(format!(
                "dated {date}, before the previous event ({last})"
            )));
        }
        let opening = matches!(event, Event::ApplicationOpened { .. });
        if let (Some(expires), Phase::Certified | Phase::RenewalApplied) =
            (self.expires_on, self.phase)
            && date > expires
            && !opening
        {
            return Err(refuse(format!(
                "the certification expired on {expires} (a new application may be opened)"
            )));
        }
        if let Some(lapse) = self.pending_lapses_on(rules)
            && date > lapse
            && !opening
            && !matches!(
                event,
                Event::Decision {
                    outcome: Outcome::Deny,
                    ..
                }
            )
        {
            return Err(refuse(format!(
                "Certification Pending lapsed on {lapse} ({} months after documentation was submitted): the committee's denial or a new application",
                rules.pending_lapse_months
            )));
        }
        // The expiry of a certification granted by this event, checked before any change.
        let expiry = |from: Date| {
            months(from, rules.term_months).ok_or_else(|| {
                refuse(format!(
                    "a certification of {} months from {from} would expire after 9999-12-31, past the supported range",
                    rules.term_months
                ))
            })
        };
        // The committee reviewer named by an event must be the one assigned and cleared.
        let reviewer_ok = |reviewer: &str| -> Result<(), Refused> {
            match (&self.reviewer, self.reviewer_conflict) {
                (None, _) => Err(refuse("no committee reviewer is assigned".into())),
                (Some(r), _) if r != reviewer => Err(refuse(format!(
                    "`{reviewer}` is not the assigned committee reviewer (`{r}`)"
                ))),
                (Some(_), None) => Err(refuse(
                    "the practice has not confirmed the absence of a conflict of interest with the committee reviewer"
                        .into(),
                )),
                (Some(_), Some(true)) => Err(refuse(
                    "the committee reviewer has a conflict of interest and must be replaced first"
                        .into(),
                )),
                (Some(_), Some(false)) => Ok(()),
            }
        };
        match event {
            Event::ApplicationOpened { verdict, .. } => {
                let Some(ending) = self.ending_on(date, rules) else {
                    return Err(refuse(match self.phase {
                        Phase::Certified | Phase::RenewalApplied => format!(
                            "the practice is certified until {}: apply for renewal in its window instead",
                            self.expires_on.map(|d| d.to_string()).unwrap_or_default()
                        ),
                        Phase::Pending => format!(
                            "an application is pending until {}; a new one may open after its lapse",
                            self.pending_lapses_on(rules)
                                .map(|d| d.to_string())
                                .unwrap_or_default()
                        ),
                        _ => "an application is already under way (a new one follows a denial, an expiry or a lapsed pending status)".into(),
                    }));
                };
                check_verdict(verdict, date, self.practice.as_ref()).map_err(refuse)?;
                let cycle = self
                    .cycle
                    .checked_add(1)
                    .ok_or_else(|| refuse("too many cycles in one log".into()))?;
                let mut past = std::mem::take(&mut self.past_cycles);
                if let (Some((end, ended_on)), Some(applied_on)) = (ending, self.applied_on) {
                    past.push(PastCycle {
                        cycle: self.cycle,
                        applied_on,
                        ended_on,
                        end,
                        certified_on: self.certified_on,
                    });
                }
                *self = State {
                    phase: Phase::Applying,
                    practice: Some(verdict.practice.clone()),
                    cycle,
                    applied_on: Some(date),
                    verdict: Some(verdict.clone()),
                    steps: BTreeSet::from([Step::Eligibility]),
                    past_cycles: past,
                    ..State::default()
                };
            }
            Event::StepCompleted {
                step,
                signed_by,
                reference,
                policies,
                survey_dates,
                ..
            } => {
                need(&[Phase::Applying], "an open application")?;
                if self.steps.contains(step) {
                    return Err(refuse(format!("step `{step}` is already complete")));
                }
                check_step(
                    *step,
                    signed_by.as_ref(),
                    reference.as_ref(),
                    policies,
                    survey_dates,
                    date,
                )
                .map_err(refuse)?;
                if let Some(next) = Step::ALL.iter().find(|s| !self.steps.contains(s))
                    && next != step
                {
                    return Err(refuse(format!(
                        "step `{step}` is out of portal order: the next step is `{next}` (eligibility, agreements, practice_questionnaire, payment, policy_upload, survey_dates)"
                    )));
                }
                match step {
                    Step::Agreements => self.agreements_signed_by = signed_by.clone(),
                    Step::Payment => self.payment_reference = reference.clone(),
                    Step::PolicyUpload => {
                        self.policies = policies.iter().map(|p| p.trim().to_owned()).collect();
                    }
                    Step::SurveyDates => self.survey_dates = survey_dates.clone(),
                    Step::Eligibility | Step::PracticeQuestionnaire => {}
                }
                self.steps.insert(*step);
                if self.steps.len() == Step::ALL.len() {
                    self.phase = Phase::ReadyForSurvey;
                }
            }
            Event::SurveyorAssigned { surveyor, .. } => {
                let replacing =
                    self.phase == Phase::SurveyorAssigned && self.conflict == Some(true);
                if !(replacing
                    || matches!(self.phase, Phase::ReadyForSurvey | Phase::ResurveyOrdered))
                {
                    return Err(refuse(
                        "needs the application ready for survey, a re-survey ordered, or a conflicted surveyor to replace"
                            .into(),
                    ));
                }
                if !nonblank(surveyor) {
                    return Err(refuse("the surveyor is not named".into()));
                }
                if replacing && self.surveyor.as_deref() == Some(surveyor.as_str()) {
                    return Err(refuse(
                        "the conflicted surveyor must be replaced by another".into(),
                    ));
                }
                if self.reviewer.as_deref() == Some(surveyor.as_str()) {
                    return Err(refuse(format!(
                        "`{surveyor}` is the committee reviewer of this cycle and cannot survey it"
                    )));
                }
                self.phase = Phase::SurveyorAssigned;
                self.surveyor = Some(surveyor.clone());
                self.conflict = None;
            }
            Event::NoConflictConfirmed { .. } | Event::ConflictDeclared { .. } => {
                let declared = matches!(event, Event::ConflictDeclared { .. });
                match self.phase {
                    Phase::SurveyorAssigned => {
                        if self.conflict.is_some() {
                            return Err(refuse(
                                "the conflict of interest was already answered for this surveyor"
                                    .into(),
                            ));
                        }
                        self.conflict = Some(declared);
                    }
                    Phase::Surveyed if self.reviewer.is_some() => {
                        if self.reviewer_conflict.is_some() {
                            return Err(refuse(
                                "the conflict of interest was already answered for this committee reviewer"
                                    .into(),
                            ));
                        }
                        self.reviewer_conflict = Some(declared);
                    }
                    _ => {
                        return Err(refuse(
                            "needs an assigned surveyor or committee reviewer".into(),
                        ));
                    }
                }
            }
            Event::SurveyScheduled { survey_date, .. } => {
                need(&[Phase::SurveyorAssigned], "an assigned surveyor")?;
                match self.conflict {
                    None => {
                        return Err(refuse(
                            "the practice has not confirmed the absence of a conflict of interest"
                                .into(),
                        ));
                    }
                    Some(true) => {
                        return Err(refuse(
                            "the surveyor has a conflict of interest and must be replaced first"
                                .into(),
                        ));
                    }
                    Some(false) => {}
                }
                // A re-survey may be held on any date from now; a first survey on an offered one.
                if self.surveys == 0 && !self.survey_dates.contains(survey_date) {
                    return Err(refuse(format!(
                        "{survey_date} is not one of the dates the practice offered"
                    )));
                }
                if *survey_date < date {
                    return Err(refuse(format!(
                        "the survey date {survey_date} is in the past"
                    )));
                }
                self.phase = Phase::SurveyScheduled;
                self.survey_date = Some(*survey_date);
            }
            Event::FindingsRecorded { findings, .. } => {
                need(&[Phase::SurveyScheduled], "a scheduled survey")?;
                if let Some(d) = self.survey_date
                    && date < d
                {
                    return Err(refuse(format!("findings dated before the survey on {d}")));
                }
                check_findings(findings, standards).map_err(refuse)?;
                let surveys = self
                    .surveys
                    .checked_add(1)
                    .ok_or_else(|| refuse("too many surveys in one cycle".into()))?;
                self.phase = Phase::Surveyed;
                self.surveys = surveys;
                self.findings = findings.clone();
                self.amendments = Vec::new();
                self.reviewed_on = None;
            }
            Event::ReviewerAssigned { reviewer, .. } => {
                need(&[Phase::Surveyed], "recorded findings")?;
                let replacing = self.reviewer_conflict == Some(true);
                if self.reviewer.is_some() && !replacing {
                    return Err(refuse(
                        "a committee reviewer is already assigned (only one with a declared conflict of interest is replaced)"
                            .into(),
                    ));
                }
                if !nonblank(reviewer) {
                    return Err(refuse("the committee reviewer is not named".into()));
                }
                if replacing && self.reviewer.as_deref() == Some(reviewer.as_str()) {
                    return Err(refuse(
                        "the conflicted committee reviewer must be replaced by another".into(),
                    ));
                }
                if self.surveyor.as_deref() == Some(reviewer.as_str()) {
                    return Err(refuse(format!(
                        "`{reviewer}` surveyed the practice and cannot review the findings"
                    )));
                }
                self.reviewer = Some(reviewer.clone());
                self.reviewer_conflict = None;
            }
            Event::CommitteeReviewed {
                reviewer,
                amendments,
                ..
            } => {
                need(&[Phase::Surveyed], "recorded findings")?;
                reviewer_ok(reviewer)?;
                let summarised = reviewed_levels(&self.findings, &[], rules.summary_rule);
                let mut amended = BTreeSet::new();
                for a in amendments {
                    let Some(level) = summarised.get(&(a.standard.as_str(), a.element)) else {
                        return Err(refuse(format!(
                            "the amendment names element {} of `{}`, which has no finding",
                            a.element, a.standard
                        )));
                    };
                    if !amended.insert((a.standard.as_str(), a.element)) {
                        return Err(refuse(format!(
                            "element {} of `{}` is amended twice",
                            a.element, a.standard
                        )));
                    }
                    if *level == a.level {
                        return Err(refuse(format!(
                            "element {} of `{}` is already {level}: an amendment changes a level (the others are confirmed)",
                            a.element, a.standard
                        )));
                    }
                    if !nonblank(&a.reason) {
                        return Err(refuse(format!(
                            "the amendment of element {} of `{}` needs a written reason",
                            a.element, a.standard
                        )));
                    }
                }
                let levels = reviewed_levels(&self.findings, amendments, rules.summary_rule);
                let mut by_standard: BTreeMap<&str, Vec<Level>> = BTreeMap::new();
                for ((st, _), l) in &levels {
                    by_standard.entry(st).or_default().push(*l);
                }
                let ccr: BTreeMap<String, Level> = by_standard
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), standard_level(&v)))
                    .collect();
                self.requirements = ccr
                    .iter()
                    .filter(|(_, l)| l.is_requirement())
                    .map(|(k, _)| k.clone())
                    .collect();
                self.ccr = ccr;
                self.amendments = amendments.clone();
                self.reviewed_on = Some(date);
                self.met_on_documentation = BTreeMap::new();
                self.action_plan = Vec::new();
                self.phase = if self.requirements.is_empty() {
                    Phase::AwaitingDecision
                } else {
                    Phase::RequirementsOpen
                };
            }
            Event::ActionPlanSubmitted { actions, .. } => {
                need(&[Phase::RequirementsOpen], "a CCR with requirements")?;
                for a in actions {
                    if !self.requirements.contains(&a.standard) {
                        return Err(refuse(format!(
                            "standard `{}` is not a requirement of the CCR",
                            a.standard
                        )));
                    }
                    if !nonblank(&a.action) || !nonblank(&a.owner) {
                        return Err(refuse(format!(
                            "the action for `{}` needs an action and an owner",
                            a.standard
                        )));
                    }
                    if a.due < date {
                        return Err(refuse(format!(
                            "the action for `{}` is due {}, before the plan",
                            a.standard, a.due
                        )));
                    }
                }
                let uncovered: Vec<&str> = self
                    .requirements
                    .iter()
                    .filter(|r| !actions.iter().any(|a| &a.standard == *r))
                    .map(String::as_str)
                    .collect();
                if !uncovered.is_empty() {
                    return Err(refuse(format!(
                        "the plan leaves requirement(s) uncovered: {}",
                        uncovered.join(", ")
                    )));
                }
                self.phase = Phase::ActionPlanAccepted;
                self.action_plan = actions.clone();
            }
            Event::ResurveyOrdered { .. } => {
                need(
                    &[Phase::ActionPlanAccepted, Phase::Pending],
                    "an accepted action plan",
                )?;
                if self.disagreements().is_empty() {
                    return Err(refuse(
                        "no element's policy review and observation disagree: a re-survey is ordered only on such a disagreement"
                            .into(),
                    ));
                }
                self.phase = Phase::ResurveyOrdered;
                self.surveyor = None;
                self.conflict = None;
                self.survey_date = None;
            }
            Event::DocumentationSubmitted { .. } => {
                need(&[Phase::ActionPlanAccepted], "an accepted action plan")?;
                let since = self.pending_since.unwrap_or(date);
                if months(since, rules.pending_lapse_months).is_none() {
                    return Err(refuse(format!(
                        "Certification Pending from {since} would lapse after 9999-12-31, past the supported range"
                    )));
                }
                self.phase = Phase::Pending;
                self.pending_since = Some(since);
            }
            Event::DocumentationReviewed {
                reviewer, now_met, ..
            } => {
                need(&[Phase::Pending], "submitted documentation")?;
                reviewer_ok(reviewer)?;
                for st in now_met {
                    if !self.requirements.contains(st) {
                        return Err(refuse(format!(
                            "standard `{st}` is not an open requirement"
                        )));
                    }
                }
                for st in now_met {
                    self.requirements.remove(st);
                    self.ccr.insert(st.clone(), Level::Met);
                    self.met_on_documentation.insert(st.clone(), date);
                }
                if self.requirements.is_empty() {
                    self.phase = Phase::AwaitingDecision;
                }
            }
            Event::Decision {
                reviewer,
                outcome,
                reasons,
                cannot_meet,
                ..
            } => {
                let decidable = [
                    Phase::RequirementsOpen,
                    Phase::ActionPlanAccepted,
                    Phase::ResurveyOrdered,
                    Phase::Pending,
                    Phase::AwaitingDecision,
                ];
                need(&decidable, "a Certification Compliance Report")?;
                reviewer_ok(reviewer)?;
                if reasons.iter().any(|r| !nonblank(r)) {
                    return Err(refuse("a reason of the decision is blank".into()));
                }
                match outcome {
                    Outcome::Award => {
                        if !cannot_meet.is_empty() {
                            return Err(refuse(
                                "an award names no standard that cannot be met".into(),
                            ));
                        }
                        if !self.requirements.is_empty() {
                            return Err(refuse(format!(
                                "an award needs every standard met; open requirements: {}",
                                self.requirements
                                    .iter()
                                    .cloned()
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )));
                        }
                        let expires = expiry(date)?;
                        self.certify(date, expires);
                    }
                    Outcome::Deny => {
                        if self.requirements.is_empty() {
                            return Err(refuse(
                                "every standard is met: the decision is an award".into(),
                            ));
                        }
                        if reasons.is_empty() {
                            return Err(refuse("a denial states its reasons".into()));
                        }
                        if let Some(st) =
                            cannot_meet.iter().find(|s| !self.requirements.contains(*s))
                        {
                            return Err(refuse(format!(
                                "standard `{st}` is not an open requirement"
                            )));
                        }
                        let lapsed = self.pending_lapses_on(rules).filter(|l| date > *l);
                        if cannot_meet.is_empty() && lapsed.is_none() {
                            return Err(refuse(format!(
                                "a denial needs a standard the committee finds cannot be met (`cannot_meet`), or requirements still open past the pending lapse{}",
                                self.pending_lapses_on(rules)
                                    .map(|l| format!(" (on {l})"))
                                    .unwrap_or_default()
                            )));
                        }
                        self.phase = Phase::Denied;
                    }
                }
                self.decision = Some(Decided {
                    date,
                    reviewer: reviewer.clone(),
                    outcome: *outcome,
                    reasons: reasons.clone(),
                    cannot_meet: cannot_meet.clone(),
                });
            }
            Event::ParticipationRecorded { .. } => {
                need(
                    &[Phase::Certified, Phase::RenewalApplied],
                    "a certification",
                )?;
                self.participation.push(date);
            }
            Event::RenewalApplied { .. } => {
                need(&[Phase::Certified], "a certification")?;
                let expires = self.expires_on.unwrap_or(date);
                let opens = months_before(expires, rules.renewal_opens_months_before);
                let closes = months_before(expires, rules.renewal_closes_months_before);
                let within = match (opens, closes) {
                    (Some(o), Some(c)) => date >= o && date <= c,
                    // A window opening before 0001-01-01 is open from the first date.
                    (None, Some(c)) => date <= c,
                    (_, None) => false,
                };
                if !within {
                    let show = |d: Option<Date>| {
                        d.map_or_else(|| Date::MIN.to_string(), |d| d.to_string())
                    };
                    return Err(refuse(format!(
                        "renewal is applied for between {} and {} ({}–{} months before expiry on {expires})",
                        show(opens),
                        show(closes),
                        rules.renewal_opens_months_before,
                        rules.renewal_closes_months_before
                    )));
                }
                self.phase = Phase::RenewalApplied;
            }
            Event::RenewalGranted { .. } => {
                need(&[Phase::RenewalApplied], "a renewal application")?;
                let expires = expiry(self.expires_on.unwrap_or(date))?;
                self.expires_on = Some(expires);
                self.certified_on = Some(date);
                self.phase = Phase::Certified;
            }
        }
        self.last_date = Some(date);
        Ok(())
    }

    fn certify(&mut self, date: Date, expires: Date) {
        self.phase = Phase::Certified;
        self.certified_on = Some(date);
        self.expires_on = Some(expires);
    }
}

/// An append-only log and its folded state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workflow {
    /// The rules the log is judged by.
    pub rules: Rules,
    /// The accepted events, in order.
    pub log: Vec<Event>,
    /// Their fold.
    #[serde(skip)]
    state: State,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkflowFile {
    #[serde(default)]
    rules: Rules,
    log: Vec<Event>,
}

/// A log that does not replay: the index of the first refused event and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {index} of the log: {refused}")]
pub struct ReplayError {
    /// 0-based index of the refused event.
    pub index: usize,
    /// Why it was refused.
    pub refused: Refused,
}

impl Workflow {
    /// An empty log.
    pub fn new(rules: Rules) -> Workflow {
        Workflow {
            rules,
            log: Vec::new(),
            state: State::default(),
        }
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Appends `event` if it is legal; otherwise refuses it and leaves the log unchanged.
    pub fn apply(&mut self, event: Event, standards: &Standards) -> Result<&State, Refused> {
        self.state.apply_mut(&event, &self.rules, standards)?;
        self.log.push(event);
        Ok(&self.state)
    }

    /// Replays a log from the start.
    pub fn replay(
        rules: Rules,
        log: Vec<Event>,
        standards: &Standards,
    ) -> Result<Workflow, ReplayError> {
        let mut w = Workflow::new(rules);
        for (index, e) in log.into_iter().enumerate() {
            w.apply(e, standards)
                .map_err(|refused| ReplayError { index, refused })?;
        }
        Ok(w)
    }

    /// Reads a workflow file (`{"rules": {...}, "log": [...]}`), checks its rules
    /// ([`Rules::validate`]) and replays it. See [`read_log`](super::read_log) for the
    /// append-only format, which reads this one too.
    pub fn from_json(text: &str, standards: &Standards) -> Result<Workflow, String> {
        let f: WorkflowFile = serde_json::from_str(text)
            .map_err(|e| format!("line {}, column {}: {e}", e.line(), e.column()))?;
        f.rules.validate().map_err(|e| e.to_string())?;
        Workflow::replay(f.rules, f.log, standards).map_err(|e| e.to_string())
    }

    /// Reads the legacy single-object file without replaying it.
    pub(crate) fn legacy_parts(text: &[u8]) -> Result<(Rules, Vec<Event>), serde_json::Error> {
        let f: WorkflowFile = serde_json::from_slice(text)?;
        Ok((f.rules, f.log))
    }

    /// A workflow from a state already folded (by a snapshot): its log holds only the
    /// events given.
    pub(crate) fn from_parts(rules: Rules, log: Vec<Event>, state: State) -> Workflow {
        Workflow { rules, log, state }
    }

    /// Opens an application (a new cycle) on `on` from the practice's eligibility computed
    /// here on `report` and `facts`: the only way to build the `application_opened` event in
    /// code. Refused with every reason when the practice is not eligible, and with the
    /// workflow's reason when no application may open now; the log is unchanged then.
    ///
    /// ```
    /// use oncoqual::certification::{Rules, Standards, Workflow};
    /// let w = Workflow::new(Rules::default());
    /// assert_eq!(w.state().cycle, 0);
    /// ```
    pub fn open_application(
        &mut self,
        report: &crate::benchmark::Report,
        facts: &super::eligibility::PracticeFacts,
        on: Date,
        rules: &super::eligibility::EligibilityRules,
        standards: &Standards,
    ) -> Result<&State, String> {
        let verdict = super::eligibility::eligibility(report, facts, on, rules).map_err(|why| {
            format!(
                "not eligible: {}",
                why.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?;
        self.apply(
            Event::ApplicationOpened {
                date: on,
                verdict: Box::new(verdict),
            },
            standards,
        )
        .map_err(|e| e.to_string())
    }

    /// Checks a recorded verdict against the report it names: the report's fingerprint must
    /// be the verdict's, and the eligibility the library computes from that report and the
    /// practice's facts on the verdict's date, under `rules`, must be the verdict itself.
    /// Every difference is named.
    pub fn verify_verdict(
        verdict: &Eligible,
        report: &crate::benchmark::Report,
        facts: &super::eligibility::PracticeFacts,
        rules: &super::eligibility::EligibilityRules,
    ) -> Result<(), String> {
        let fingerprint = report.fingerprint();
        if fingerprint != verdict.report_fingerprint {
            return Err(format!(
                "the verdict names report {}, but the report given is {fingerprint}",
                verdict.report_fingerprint
            ));
        }
        if facts.practice != verdict.practice {
            return Err(format!(
                "the verdict is for practice `{}`, the facts for `{}`",
                verdict.practice.as_str(),
                facts.practice.as_str()
            ));
        }
        let computed = super::eligibility::eligibility(report, facts, verdict.computed_on, rules)
            .map_err(|why| {
            format!(
                "the report does not make practice `{}` eligible on {}: {}",
                verdict.practice.as_str(),
                verdict.computed_on,
                why.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?;
        let a = serde_json::to_value(verdict).unwrap_or_default();
        let b = serde_json::to_value(&computed).unwrap_or_default();
        if a != b {
            let differ: Vec<String> = match (a.as_object(), b.as_object()) {
                (Some(a), Some(b)) => a
                    .iter()
                    .filter(|(k, v)| b.get(*k) != Some(*v))
                    .map(|(k, v)| {
                        format!(
                            "`{k}` is {v} in the verdict, {} from the report",
                            b.get(k).cloned().unwrap_or_default()
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            return Err(format!(
                "the verdict is not the one the report gives: {}",
                differ.join("; ")
            ));
        }
        Ok(())
    }

    /// The workflow as it stood at the end of `on`: its events dated on or before `on`
    /// (events are in date order, so this is a prefix of the log and replays).
    pub fn as_of(&self, on: Date, standards: &Standards) -> Workflow {
        let mut w = Workflow::new(self.rules);
        for e in self.log.iter().take_while(|e| e.date() <= on) {
            if w.apply(e.clone(), standards).is_err() {
                break;
            }
        }
        w
    }

    /// The workflow as JSON (rules and log; the state is rebuilt by replaying).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Where the practice stands on `on`, with time-based facts: the cycle and its time
    /// against the typical duration, expiry, pending lapse, renewal window, what is overdue
    /// and participation at risk.
    pub fn status(&self, on: Date) -> Status {
        let s = &self.state;
        let r = &self.rules;
        let mut dates = BTreeMap::new();
        let mut risks = Vec::new();
        let mut overdue = Vec::new();
        let standing = match s.phase {
            Phase::Certified | Phase::RenewalApplied => {
                let expires = s.expires_on.unwrap_or(on);
                dates.insert("expires_on", expires);
                let renewal_closes = months_before(expires, r.renewal_closes_months_before);
                if let Some(d) = months_before(expires, r.renewal_opens_months_before) {
                    dates.insert("renewal_opens", d);
                }
                if let Some(d) = renewal_closes {
                    dates.insert("renewal_closes", d);
                }
                if s.phase == Phase::Certified
                    && on <= expires
                    && let Some(c) = renewal_closes
                    && on > c
                {
                    overdue.push(format!(
                        "renewal: the window closed on {c}; the certification expires on {expires}"
                    ));
                }
                let last = s
                    .participation
                    .iter()
                    .copied()
                    .max()
                    .max(s.certified_on)
                    .unwrap_or(on);
                if months(last, r.participation_months).is_some_and(|due| on > due) {
                    risks.push(format!(
                        "no QOPI participation since {last}: at least one round a year is required while certified"
                    ));
                }
                if on > expires {
                    Standing::Expired
                } else {
                    Standing::Certified
                }
            }
            Phase::Pending => {
                let lapse = s.pending_lapses_on(r);
                if let Some(lapse) = lapse {
                    dates.insert("pending_lapses_on", lapse);
                }
                if lapse.is_some_and(|lapse| on > lapse) {
                    Standing::PendingLapsed
                } else {
                    Standing::CertificationPending
                }
            }
            Phase::Denied => Standing::Denied,
            Phase::NotStarted => Standing::NotApplied,
            _ => Standing::InProgress,
        };
        if let Some(v) = &s.verdict
            && s.phase == Phase::Applying
        {
            dates.insert("score_valid_until", v.valid_until);
        }
        if let Some(d) = s.applied_on {
            dates.insert("applied_on", d);
        }
        if matches!(
            s.phase,
            Phase::RequirementsOpen | Phase::ActionPlanAccepted | Phase::ResurveyOrdered
        ) {
            for a in s.action_plan.iter().filter(|a| a.due < on) {
                overdue.push(format!(
                    "action for standard {} was due {} (owner: {})",
                    a.standard, a.due, a.owner
                ));
            }
        }
        if standing == Standing::PendingLapsed {
            overdue.push(
                "Certification Pending lapsed with requirements open: the committee's decision, or a new application".into(),
            );
        }
        let in_progress = matches!(
            standing,
            Standing::InProgress | Standing::CertificationPending
        );
        let months_since_application = s.applied_on.map(|d| whole_months(d, on));
        if in_progress
            && let Some(m) = months_since_application
            && m >= r.typical_max_months
        {
            overdue.push(format!(
                "{m} months since the application, past the typical {}–{} months",
                r.typical_min_months, r.typical_max_months
            ));
        }
        Status {
            phase: s.phase,
            standing,
            cycle: s.cycle,
            months_since_application: if in_progress {
                months_since_application
            } else {
                None
            },
            typical_months: (r.typical_min_months, r.typical_max_months),
            done: self
                .log
                .iter()
                .map(|e| match e {
                    Event::StepCompleted { step, .. } => {
                        format!("{} {} {step}", e.date(), e.name())
                    }
                    Event::Decision { outcome, .. } => format!(
                        "{} {} {}",
                        e.date(),
                        e.name(),
                        match outcome {
                            Outcome::Award => "award",
                            Outcome::Deny => "deny",
                        }
                    ),
                    _ => format!("{} {}", e.date(), e.name()),
                })
                .collect(),
            next: next_step(s),
            dates,
            overdue,
            risks,
        }
    }
}

/// The practice's overall standing on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// No application.
    NotApplied,
    /// Application or survey under way.
    InProgress,
    /// Documentation submitted, decision pending.
    CertificationPending,
    /// Pending status lapsed without certification.
    PendingLapsed,
    /// Certified.
    Certified,
    /// The certification expired.
    Expired,
    /// The committee denied certification.
    Denied,
}

impl fmt::Display for Standing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Standing::NotApplied => "not_applied",
            Standing::InProgress => "in_progress",
            Standing::CertificationPending => "certification_pending",
            Standing::PendingLapsed => "pending_lapsed",
            Standing::Certified => "certified",
            Standing::Expired => "expired",
            Standing::Denied => "denied",
        })
    }
}

/// What `oncoqual certify status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Status {
    /// The phase.
    pub phase: Phase,
    /// The standing on the date asked.
    pub standing: Standing,
    /// The cycle (1-based; 0 before any application).
    pub cycle: u32,
    /// Whole months since the cycle's application, while it is under way.
    pub months_since_application: Option<u32>,
    /// The program's typical duration, application to decision (months, from the rules).
    pub typical_months: (u32, u32),
    /// Events so far (date and name).
    pub done: Vec<String>,
    /// What comes next (or what blocks it).
    pub next: String,
    /// Dates that matter.
    pub dates: BTreeMap<&'static str, Date>,
    /// What is overdue on the date asked.
    pub overdue: Vec<String>,
    /// Risks to report.
    pub risks: Vec<String>,
}

impl State {
    /// A copy without the participation list (which can be long), for a snapshot that
    /// keeps it in another form.
    pub(crate) fn clone_without_participation(&self) -> State {
        State {
            phase: self.phase,
            practice: self.practice.clone(),
            cycle: self.cycle,
            applied_on: self.applied_on,
            verdict: self.verdict.clone(),
            steps: self.steps.clone(),
            agreements_signed_by: self.agreements_signed_by.clone(),
            payment_reference: self.payment_reference.clone(),
            policies: self.policies.clone(),
            survey_dates: self.survey_dates.clone(),
            surveyor: self.surveyor.clone(),
            conflict: self.conflict,
            surveys: self.surveys,
            survey_date: self.survey_date,
            findings: self.findings.clone(),
            reviewer: self.reviewer.clone(),
            reviewer_conflict: self.reviewer_conflict,
            reviewed_on: self.reviewed_on,
            amendments: self.amendments.clone(),
            ccr: self.ccr.clone(),
            requirements: self.requirements.clone(),
            met_on_documentation: self.met_on_documentation.clone(),
            action_plan: self.action_plan.clone(),
            pending_since: self.pending_since,
            decision: self.decision.clone(),
            certified_on: self.certified_on,
            expires_on: self.expires_on,
            participation: Vec::new(),
            past_cycles: self.past_cycles.clone(),
            last_date: self.last_date,
        }
    }

    /// What comes next (or what blocks it), as `certify status` shows it.
    pub fn next_step(&self) -> String {
        next_step(self)
    }
}

fn list(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn next_step(s: &State) -> String {
    match s.phase {
        Phase::NotStarted => "open an application from an eligibility verdict (a final report with a qualifying score, the webinar attended): `certify apply --open --report ... --facts ...`".into(),
        Phase::Applying => match Step::ALL.iter().find(|st| !s.steps.contains(st)) {
            Some(Step::Agreements) => "step 2: sign the agreements (`signed_by`)".into(),
            Some(Step::PracticeQuestionnaire) => "step 3: the practice questionnaire".into(),
            Some(Step::Payment) => "step 4: payment (`reference`)".into(),
            Some(Step::PolicyUpload) => "step 5: upload the practice policies (`policies`: their titles)".into(),
            Some(Step::SurveyDates) => "step 6: offer dates for the on-site survey (`survey_dates`)".into(),
            Some(Step::Eligibility) | None => "complete the application steps".into(),
        },
        Phase::ReadyForSurvey | Phase::ResurveyOrdered => "assign a surveyor".into(),
        Phase::SurveyorAssigned => match s.conflict {
            None => "the practice confirms it has no conflict of interest with the surveyor (or declares one)".into(),
            Some(true) => "blocked: the surveyor has a conflict of interest; assign another surveyor".into(),
            Some(false) => "schedule the survey on one of the offered dates".into(),
        },
        Phase::SurveyScheduled => "hold the survey and record findings for every element (one per method used)".into(),
        Phase::Surveyed => match (&s.reviewer, s.reviewer_conflict) {
            (None, _) => "assign a committee reviewer to assess the findings".into(),
            (Some(_), None) => "the practice confirms it has no conflict of interest with the committee reviewer (or declares one)".into(),
            (Some(_), Some(true)) => "blocked: the committee reviewer has a conflict of interest; assign another".into(),
            (Some(_), Some(false)) => "the committee reviewer confirms or amends each element's level (issues the Certification Compliance Report)".into(),
        },
        Phase::RequirementsOpen => format!(
            "submit a Compliance Action Plan covering: {}",
            list(&s.requirements)
        ),
        Phase::ActionPlanAccepted => {
            if s.disagreements().is_empty() {
                "implement the plan and submit its documentation".into()
            } else {
                "implement the plan and submit its documentation (policy review and observation disagree on some element: a re-survey may be ordered)".into()
            }
        }
        Phase::Pending => format!(
            "committee review of the documentation; open requirements: {}",
            list(&s.requirements)
        ),
        Phase::AwaitingDecision => "every standard is met: the committee's decision (award)".into(),
        Phase::Certified => format!(
            "listed publicly as QOPI Certified until {}; take part in QOPI at least once a year; apply for renewal in the renewal window",
            s.expires_on.map(|d| d.to_string()).unwrap_or_default()
        ),
        Phase::RenewalApplied => "await the renewal decision".into(),
        Phase::Denied => "certification was denied; the practice may apply again from a new eligibility verdict".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict_json(practice: &str) -> String {
        format!(
            r#"{{"practice":"{practice}","round":"2026-2","score":"0.8125","charts":60,"issued_on":"2027-01-15","valid_until":"2028-01-15","report_fingerprint":"r1","final_report":true,"computed_on":"2027-03-01","threshold":"0.75","min_unique_charts":30,"webinar":{{"date":"2027-02-01","format":"live"}}}}"#
        )
    }

    fn open(date: &str, practice: &str) -> Event {
        let json = format!(
            r#"{{"event":"application_opened","date":"{date}","verdict":{}}}"#,
            verdict_json(practice)
        );
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    fn ev(json: &str) -> Event {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn default_rules_are_valid_and_each_field_out_of_range_is_refused_by_name() {
        assert_eq!(Rules::default().validate(), Ok(()));
        let with = |f: fn(&mut Rules)| {
            let mut r = Rules::default();
            f(&mut r);
            r.validate().unwrap_err().to_string()
        };
        assert_eq!(
            with(|r| r.term_months = 0),
            "rules: `term_months` is 0, outside its range 1–120"
        );
        assert_eq!(
            with(|r| r.term_months = u32::MAX),
            "rules: `term_months` is 4294967295, outside its range 1–120"
        );
        assert_eq!(
            with(|r| r.pending_lapse_months = 999),
            "rules: `pending_lapse_months` is 999, outside its range 1–36"
        );
        assert_eq!(
            with(|r| r.participation_months = 0),
            "rules: `participation_months` is 0, outside its range 1–60"
        );
        assert!(
            with(|r| r.renewal_opens_months_before = 9).contains("the renewal window is empty")
        );
        assert!(with(|r| r.renewal_closes_months_before = 200).contains("outside its range 0–119"));
        assert!(
            with(|r| {
                r.term_months = 6;
            })
            .contains("longer than the term")
        );
        assert!(
            with(|r| {
                r.typical_min_months = 10;
            })
            .contains("`typical_min_months` (10) is greater than `typical_max_months` (9)")
        );
    }

    #[test]
    fn a_refused_event_leaves_the_state_as_it_was() {
        let standards = Standards::bundled();
        let mut s = State::default();
        assert!(
            s.apply_mut(&open("2027-03-01", "P1"), &Rules::default(), standards)
                .is_ok()
        );
        let before = s.clone();
        // Dated before the previous event, then a second application: both refused.
        let early = ev(
            r#"{"event":"step_completed","date":"2027-01-01","step":"payment","reference":"x"}"#,
        );
        assert!(s.apply_mut(&early, &Rules::default(), standards).is_err());
        assert!(
            s.apply_mut(&open("2027-03-02", "P1"), &Rules::default(), standards)
                .is_err()
        );
        assert_eq!(s, before);
    }

    #[test]
    fn an_application_needs_a_consistent_verdict_for_this_practice() {
        let standards = Standards::bundled();
        let rules = Rules::default();
        let refused = |event: &Event| {
            State::default()
                .apply(event, &rules, standards)
                .unwrap_err()
                .reason
        };
        let mut not_final =
            verdict_json("P1").replace(r#""final_report":true"#, r#""final_report":false"#);
        let with = |v: &str, date: &str| {
            ev(&format!(
                r#"{{"event":"application_opened","date":"{date}","verdict":{v}}}"#
            ))
        };
        assert_eq!(
            refused(&with(&not_final, "2027-03-01")),
            "the eligibility verdict is not from a final report"
        );
        not_final = verdict_json("P1");
        assert_eq!(
            refused(&with(&not_final, "2028-01-16")),
            "the verdict expired: its qualifying score (report of 2027-01-15) was valid until 2028-01-15"
        );
        assert!(
            refused(&with(&not_final, "2027-02-28"))
                .starts_with("dated 2027-02-28, before the verdict")
        );
        let low = verdict_json("P1").replace(r#""score":"0.8125""#, r#""score":"0.70""#);
        assert_eq!(
            refused(&with(&low, "2027-03-01")),
            "the verdict's score 0.70 is below its threshold 0.75"
        );
        // Another practice's verdict in this practice's log.
        let mut s = State::default();
        assert!(
            s.apply_mut(&open("2027-03-01", "P1"), &rules, standards)
                .is_ok()
        );
        s.phase = Phase::Denied;
        let err = s
            .apply(&open("2027-04-01", "P2"), &rules, standards)
            .unwrap_err();
        assert_eq!(
            err.reason,
            "this log is practice `P1`'s; the verdict is for practice `P2`"
        );
    }

    #[test]
    fn steps_are_taken_in_portal_order_with_what_each_carries() {
        let standards = Standards::bundled();
        let rules = Rules::default();
        let mut s = State::default();
        assert!(
            s.apply_mut(&open("2027-03-01", "P1"), &rules, standards)
                .is_ok()
        );
        let payment = ev(
            r#"{"event":"step_completed","date":"2027-03-02","step":"payment","reference":"INV-1"}"#,
        );
        assert_eq!(
            s.apply(&payment, &rules, standards).unwrap_err().reason,
            "step `payment` is out of portal order: the next step is `agreements` (eligibility, agreements, practice_questionnaire, payment, policy_upload, survey_dates)"
        );
        let unsigned = ev(r#"{"event":"step_completed","date":"2027-03-02","step":"agreements"}"#);
        assert_eq!(
            s.apply(&unsigned, &rules, standards).unwrap_err().reason,
            "the agreements step needs `signed_by` (who signed them)"
        );
        let stray = ev(
            r#"{"event":"step_completed","date":"2027-03-02","step":"agreements","signed_by":"Dr A","policies":["X"]}"#,
        );
        assert_eq!(
            s.apply(&stray, &rules, standards).unwrap_err().reason,
            "`policies` is carried by the `policy_upload` step, not `agreements`"
        );
        let eligibility =
            ev(r#"{"event":"step_completed","date":"2027-03-02","step":"eligibility"}"#);
        assert_eq!(
            s.apply(&eligibility, &rules, standards).unwrap_err().reason,
            "step `eligibility` is already complete"
        );
        for json in [
            r#"{"event":"step_completed","date":"2027-03-02","step":"agreements","signed_by":"Dr A, medical director"}"#,
            r#"{"event":"step_completed","date":"2027-03-03","step":"practice_questionnaire"}"#,
            r#"{"event":"step_completed","date":"2027-03-04","step":"payment","reference":"INV-1"}"#,
            r#"{"event":"step_completed","date":"2027-03-05","step":"policy_upload","policies":["Chemotherapy ordering","Extravasation management"]}"#,
            r#"{"event":"step_completed","date":"2027-03-06","step":"survey_dates","survey_dates":["2027-05-04"]}"#,
        ] {
            s.apply_mut(&ev(json), &rules, standards)
                .unwrap_or_else(|e| panic!("{json}: {e}"));
        }
        assert_eq!(s.phase, Phase::ReadyForSurvey);
        assert_eq!(
            s.policies,
            ["Chemotherapy ordering", "Extravasation management"]
        );
        assert_eq!(s.payment_reference.as_deref(), Some("INV-1"));
    }

    #[test]
    fn the_summary_rule_decides_an_element_from_its_methods() {
        let f = |method: Method, level: Level| Finding {
            standard: "2.1".into(),
            element: 1,
            method,
            level,
            evidence: String::new(),
        };
        let both = [
            f(Method::PolicyReview, Level::Met),
            f(Method::Observation, Level::PartiallyMet),
        ];
        assert_eq!(
            SummaryRule::Strictest.summarise(&both),
            Some(Level::PartiallyMet)
        );
        assert_eq!(
            SummaryRule::PracticeFirst.summarise(&both),
            Some(Level::PartiallyMet)
        );
        let records_met = [
            f(Method::PolicyReview, Level::NotMet),
            f(Method::RecordsReview, Level::Met),
        ];
        assert_eq!(
            SummaryRule::Strictest.summarise(&records_met),
            Some(Level::NotMet)
        );
        assert_eq!(
            SummaryRule::PracticeFirst.summarise(&records_met),
            Some(Level::Met)
        );
        let na = [
            f(Method::PolicyReview, Level::NotApplicable),
            f(Method::Observation, Level::Met),
        ];
        assert_eq!(SummaryRule::Strictest.summarise(&na), Some(Level::Met));
        assert_eq!(SummaryRule::Strictest.summarise(&[]), None);
        assert_eq!(disagreements(&both).len(), 1);
        assert!(disagreements(&records_met).is_empty());
    }

    #[test]
    fn whole_months_counts_calendar_months() {
        let d = |s: &str| Date::parse(s).unwrap();
        assert_eq!(whole_months(d("2027-01-31"), d("2027-02-28")), 1);
        assert_eq!(whole_months(d("2027-01-15"), d("2027-10-14")), 8);
        assert_eq!(whole_months(d("2027-01-15"), d("2027-10-15")), 9);
        assert_eq!(whole_months(d("2027-01-15"), d("2026-10-15")), 0);
    }
}
