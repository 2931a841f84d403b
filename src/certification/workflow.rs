//! The certification workflow as an append-only, dated event log whose fold is the state.
//! `Workflow::apply` accepts an event only when it is legal in the current state, and
//! refuses it otherwise with an error naming the state and what is missing; a refused event
//! leaves the log unchanged. Replaying a log rebuilds the same state.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::standards::{Method, Standards};
use crate::chart::{Date, PracticeId};

/// The six application steps, in portal order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 1. Eligibility confirmed.
    Eligibility,
    /// 2. Agreements signed.
    Agreements,
    /// 3. Practice questionnaire.
    PracticeQuestionnaire,
    /// 4. Payment.
    Payment,
    /// 5. Practice policies uploaded.
    PolicyUpload,
    /// 6. Dates available for the on-site survey submitted.
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

/// A surveyor's finding on one element of one standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Standard id.
    pub standard: String,
    /// Element number (1-based, catalog order).
    pub element: usize,
    /// How it was surveyed.
    pub method: Method,
    /// The level found.
    pub level: Level,
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

/// What happened, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// The eligible practice opens its application.
    ApplicationOpened {
        /// Date.
        date: Date,
        /// The practice.
        practice: PracticeId,
        /// The last day its qualifying score is valid.
        score_valid_until: Date,
    },
    /// An application step is completed (`survey_dates` carries the offered dates).
    StepCompleted {
        /// Date.
        date: Date,
        /// Which step.
        step: Step,
        /// For `survey_dates`: the dates offered for the survey.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        survey_dates: Vec<Date>,
    },
    /// A surveyor is assigned.
    SurveyorAssigned {
        /// Date.
        date: Date,
        /// Surveyor name.
        surveyor: String,
    },
    /// The practice confirms it has no conflict of interest with the surveyor.
    NoConflictConfirmed {
        /// Date.
        date: Date,
    },
    /// The practice declares a conflict of interest: the surveyor must be replaced.
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
    /// The surveyor's findings, per element.
    FindingsRecorded {
        /// Date (on or after the visit).
        date: Date,
        /// One finding per element of every standard.
        findings: Vec<Finding>,
    },
    /// The committee reviewer assesses the findings; the Certification Compliance Report
    /// follows from them.
    CommitteeReviewed {
        /// Date.
        date: Date,
    },
    /// The Compliance Action Plan: an action for every requirement.
    ActionPlanSubmitted {
        /// Date.
        date: Date,
        /// The actions.
        actions: Vec<Action>,
    },
    /// A repeat on-site survey is ordered (policies and observation disagree).
    ResurveyOrdered {
        /// Date.
        date: Date,
    },
    /// Documentation of the implemented plan is submitted: *Certification Pending*.
    DocumentationSubmitted {
        /// Date.
        date: Date,
    },
    /// The committee's decision on the submitted documentation: the standards now met.
    DocumentationReviewed {
        /// Date.
        date: Date,
        /// Standards whose requirements are now met.
        now_met: Vec<String>,
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
            | Event::CommitteeReviewed { date }
            | Event::ActionPlanSubmitted { date, .. }
            | Event::ResurveyOrdered { date }
            | Event::DocumentationSubmitted { date }
            | Event::DocumentationReviewed { date, .. }
            | Event::ParticipationRecorded { date }
            | Event::RenewalApplied { date }
            | Event::RenewalGranted { date } => *date,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Event::ApplicationOpened { .. } => "application_opened",
            Event::StepCompleted { .. } => "step_completed",
            Event::SurveyorAssigned { .. } => "surveyor_assigned",
            Event::NoConflictConfirmed { .. } => "no_conflict_confirmed",
            Event::ConflictDeclared { .. } => "conflict_declared",
            Event::SurveyScheduled { .. } => "survey_scheduled",
            Event::FindingsRecorded { .. } => "findings_recorded",
            Event::CommitteeReviewed { .. } => "committee_reviewed",
            Event::ActionPlanSubmitted { .. } => "action_plan_submitted",
            Event::ResurveyOrdered { .. } => "resurvey_ordered",
            Event::DocumentationSubmitted { .. } => "documentation_submitted",
            Event::DocumentationReviewed { .. } => "documentation_reviewed",
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
    /// Findings recorded, awaiting the committee review.
    Surveyed,
    /// The CCR lists requirements: a Compliance Action Plan is due.
    RequirementsOpen,
    /// The action plan is accepted; documentation of its implementation is due.
    ActionPlanAccepted,
    /// A repeat survey is ordered (a surveyor must be scheduled again).
    ResurveyOrdered,
    /// Documentation submitted: *Certification Pending*.
    Pending,
    /// Certified.
    Certified,
    /// Certified, renewal applied for.
    RenewalApplied,
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
        }
    }
}

/// The folded state of a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct State {
    /// The phase.
    pub phase: Phase,
    /// The practice.
    pub practice: Option<PracticeId>,
    /// Last day the qualifying score is valid.
    pub score_valid_until: Option<Date>,
    /// Application steps done.
    pub steps: BTreeSet<Step>,
    /// Dates offered for the survey.
    pub survey_dates: Vec<Date>,
    /// The assigned surveyor.
    pub surveyor: Option<String>,
    /// `None`: not yet confirmed; `Some(false)`: no conflict; `Some(true)`: conflict declared.
    pub conflict: Option<bool>,
    /// The scheduled (or held) survey date.
    pub survey_date: Option<Date>,
    /// Findings of the latest survey.
    pub findings: Vec<Finding>,
    /// The Certification Compliance Report: level per standard.
    pub ccr: BTreeMap<String, Level>,
    /// Standards still to be met (the CCR's requirements).
    pub requirements: BTreeSet<String>,
    /// The accepted Compliance Action Plan.
    pub action_plan: Vec<Action>,
    /// Date documentation was submitted (*Certification Pending* since).
    pub pending_since: Option<Date>,
    /// Date of the (latest) certification decision.
    pub certified_on: Option<Date>,
    /// The certification's expiry date.
    pub expires_on: Option<Date>,
    /// QOPI participation while certified.
    pub participation: Vec<Date>,
    /// Date of the last event.
    pub last_date: Option<Date>,
}

impl Default for State {
    fn default() -> Self {
        State {
            phase: Phase::NotStarted,
            practice: None,
            score_valid_until: None,
            steps: BTreeSet::new(),
            survey_dates: Vec::new(),
            surveyor: None,
            conflict: None,
            survey_date: None,
            findings: Vec::new(),
            ccr: BTreeMap::new(),
            requirements: BTreeSet::new(),
            action_plan: Vec::new(),
            pending_since: None,
            certified_on: None,
            expires_on: None,
            participation: Vec::new(),
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
    Date::from_ymd(9999, 12, 31).unwrap_or(Date::MIN)
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

/// A standard's level from its elements' findings: not applicable when every element is;
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

    /// Applies `event` in place, or refuses it and leaves the state untouched: every check
    /// runs before the first change, so nothing has to be copied to be restored.
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
        if let (Some(expires), Phase::Certified | Phase::RenewalApplied) =
            (self.expires_on, self.phase)
            && date > expires
        {
            return Err(refuse(format!("the certification expired on {expires}")));
        }
        if let (Some(since), Phase::Pending) = (self.pending_since, self.phase) {
            // A lapse past the supported range cannot be reached by any event's date.
            if let Some(lapse) = months(since, rules.pending_lapse_months)
                && date > lapse
            {
                return Err(refuse(format!(
                    "Certification Pending lapsed on {lapse} ({} months after documentation was submitted)",
                    rules.pending_lapse_months
                )));
            }
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
        match event {
            Event::ApplicationOpened {
                practice,
                score_valid_until,
                ..
            } => {
                need(&[Phase::NotStarted], "no application already open")?;
                if date > *score_valid_until {
                    return Err(refuse(format!(
                        "the qualifying score was valid until {score_valid_until}"
                    )));
                }
                self.phase = Phase::Applying;
                self.practice = Some(practice.clone());
                self.score_valid_until = Some(*score_valid_until);
            }
            Event::StepCompleted {
                step, survey_dates, ..
            } => {
                need(&[Phase::Applying], "an open application")?;
                if self.steps.contains(step) {
                    return Err(refuse(format!("step `{step:?}` is already complete")));
                }
                if *step == Step::SurveyDates {
                    if survey_dates.is_empty() {
                        return Err(refuse(
                            "the survey-dates step needs at least one date offered".into(),
                        ));
                    }
                    if let Some(d) = survey_dates.iter().find(|d| **d <= date) {
                        return Err(refuse(format!(
                            "offered survey date {d} is not after {date}"
                        )));
                    }
                    self.survey_dates = survey_dates.clone();
                } else if !survey_dates.is_empty() {
                    return Err(refuse("only the survey-dates step offers dates".into()));
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
                if surveyor.trim().is_empty() {
                    return Err(refuse("the surveyor is not named".into()));
                }
                if replacing && self.surveyor.as_deref() == Some(surveyor.as_str()) {
                    return Err(refuse(
                        "the conflicted surveyor must be replaced by another".into(),
                    ));
                }
                self.phase = Phase::SurveyorAssigned;
                self.surveyor = Some(surveyor.clone());
                self.conflict = None;
            }
            Event::NoConflictConfirmed { .. } | Event::ConflictDeclared { .. } => {
                need(&[Phase::SurveyorAssigned], "an assigned surveyor")?;
                if self.conflict.is_some() {
                    return Err(refuse(
                        "the conflict of interest was already answered for this surveyor".into(),
                    ));
                }
                self.conflict = Some(matches!(event, Event::ConflictDeclared { .. }));
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
                let resurvey = !self.findings.is_empty();
                if !resurvey && !self.survey_dates.contains(survey_date) {
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
                self.phase = Phase::Surveyed;
                self.findings = findings.clone();
            }
            Event::CommitteeReviewed { .. } => {
                need(&[Phase::Surveyed], "recorded findings")?;
                let mut by_standard: BTreeMap<&str, Vec<Level>> = BTreeMap::new();
                for f in &self.findings {
                    by_standard
                        .entry(f.standard.as_str())
                        .or_default()
                        .push(f.level);
                }
                let ccr: BTreeMap<String, Level> = by_standard
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), standard_level(&v)))
                    .collect();
                let requirements: BTreeSet<String> = ccr
                    .iter()
                    .filter(|(_, l)| matches!(l, Level::PartiallyMet | Level::NotMet))
                    .map(|(k, _)| k.clone())
                    .collect();
                let expires = if requirements.is_empty() {
                    Some(expiry(date)?)
                } else {
                    None
                };
                self.ccr = ccr;
                self.requirements = requirements;
                match expires {
                    Some(expires) => self.certify(date, expires),
                    None => self.phase = Phase::RequirementsOpen,
                }
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
                    if a.action.trim().is_empty() || a.owner.trim().is_empty() {
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
            Event::DocumentationReviewed { now_met, .. } => {
                need(&[Phase::Pending], "submitted documentation")?;
                for st in now_met {
                    if !self.requirements.contains(st) {
                        return Err(refuse(format!(
                            "standard `{st}` is not an open requirement"
                        )));
                    }
                }
                let all_met = self.requirements.iter().all(|r| now_met.contains(r));
                let expires = if all_met { Some(expiry(date)?) } else { None };
                for st in now_met {
                    self.requirements.remove(st);
                    self.ccr.insert(st.clone(), Level::Met);
                }
                if let Some(expires) = expires {
                    self.certify(date, expires);
                }
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

fn check_findings(findings: &[Finding], standards: &Standards) -> Result<(), String> {
    let mut seen: BTreeSet<(&str, usize)> = BTreeSet::new();
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
                "standard `{}` is not surveyed by {:?}",
                st.id, f.method
            ));
        }
        if !seen.insert((f.standard.as_str(), f.element)) {
            return Err(format!(
                "element {} of `{}` has two findings",
                f.element, st.id
            ));
        }
    }
    let missing: Vec<String> = standards
        .standards
        .iter()
        .flat_map(|st| (1..=st.elements.len()).map(move |e| (st.id.as_str(), e)))
        .filter(|k| !seen.contains(k))
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

    /// The workflow as JSON (rules and log; the state is rebuilt by replaying).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Where the practice stands on `on`, with time-based facts: expiry, pending lapse,
    /// renewal window and participation at risk.
    pub fn status(&self, on: Date) -> Status {
        let s = &self.state;
        let r = &self.rules;
        let mut dates = BTreeMap::new();
        let mut risks = Vec::new();
        let standing = match s.phase {
            Phase::Certified | Phase::RenewalApplied => {
                let expires = s.expires_on.unwrap_or(on);
                dates.insert("expires_on", expires);
                if let Some(d) = months_before(expires, r.renewal_opens_months_before) {
                    dates.insert("renewal_opens", d);
                }
                if let Some(d) = months_before(expires, r.renewal_closes_months_before) {
                    dates.insert("renewal_closes", d);
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
                let since = s.pending_since.unwrap_or(on);
                let lapse = months(since, r.pending_lapse_months);
                if let Some(lapse) = lapse {
                    dates.insert("pending_lapses_on", lapse);
                }
                if lapse.is_some_and(|lapse| on > lapse) {
                    Standing::PendingLapsed
                } else {
                    Standing::CertificationPending
                }
            }
            Phase::NotStarted => Standing::NotApplied,
            _ => Standing::InProgress,
        };
        if let Some(v) = s.score_valid_until
            && matches!(s.phase, Phase::Applying)
        {
            dates.insert("score_valid_until", v);
        }
        Status {
            phase: s.phase,
            standing,
            done: self
                .log
                .iter()
                .map(|e| format!("{} {}", e.date(), e.name()))
                .collect(),
            next: next_step(s),
            dates,
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
}

/// What `oncoqual certify status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Status {
    /// The phase.
    pub phase: Phase,
    /// The standing on the date asked.
    pub standing: Standing,
    /// Events so far (date and name).
    pub done: Vec<String>,
    /// What comes next (or what blocks it).
    pub next: String,
    /// Dates that matter.
    pub dates: BTreeMap<&'static str, Date>,
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
            score_valid_until: self.score_valid_until,
            steps: self.steps.clone(),
            survey_dates: self.survey_dates.clone(),
            surveyor: self.surveyor.clone(),
            conflict: self.conflict,
            survey_date: self.survey_date,
            findings: self.findings.clone(),
            ccr: self.ccr.clone(),
            requirements: self.requirements.clone(),
            action_plan: self.action_plan.clone(),
            pending_since: self.pending_since,
            certified_on: self.certified_on,
            expires_on: self.expires_on,
            participation: Vec::new(),
            last_date: self.last_date,
        }
    }

    /// What comes next (or what blocks it), as `certify status` shows it.
    pub fn next_step(&self) -> String {
        next_step(self)
    }
}

fn next_step(s: &State) -> String {
    match s.phase {
        Phase::NotStarted => "open an application (eligibility: a final report with a qualifying score, the webinar attended)".into(),
        Phase::Applying => {
            let left: Vec<String> = Step::ALL
                .iter()
                .filter(|st| !s.steps.contains(st))
                .map(|st| format!("{st:?}"))
                .collect();
            format!("complete the application steps: {}", left.join(", "))
        }
        Phase::ReadyForSurvey | Phase::ResurveyOrdered => "assign a surveyor".into(),
        Phase::SurveyorAssigned => match s.conflict {
            None => "the practice confirms it has no conflict of interest with the surveyor (or declares one)".into(),
            Some(true) => "blocked: the surveyor has a conflict of interest; assign another surveyor".into(),
            Some(false) => "schedule the survey on one of the offered dates".into(),
        },
        Phase::SurveyScheduled => "hold the survey and record a finding for every element".into(),
        Phase::Surveyed => "committee review of the findings (issues the Certification Compliance Report)".into(),
        Phase::RequirementsOpen => format!(
            "submit a Compliance Action Plan covering: {}",
            s.requirements.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
        Phase::ActionPlanAccepted => "implement the plan and submit its documentation (or a re-survey may be ordered)".into(),
        Phase::Pending => format!(
            "committee review of the documentation; open requirements: {}",
            s.requirements.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
        Phase::Certified => format!(
            "listed publicly as QOPI Certified until {}; take part in QOPI at least once a year; apply for renewal in the renewal window",
            s.expires_on.map(|d| d.to_string()).unwrap_or_default()
        ),
        Phase::RenewalApplied => "await the renewal decision".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn a_refused_event_leaves_the_state_as_it_was() {
        let standards = Standards::bundled();
        let mut s = State::default();
        let open: Event = serde_json::from_str(
            r#"{"event":"application_opened","date":"2027-03-01","practice":"P1","score_valid_until":"2028-01-15"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.apply_mut(&open, &Rules::default(), standards).is_ok());
        let before = s.clone();
        // Dated before the previous event, then a second application: both refused.
        let early: Event = serde_json::from_str(
            r#"{"event":"step_completed","date":"2027-01-01","step":"payment"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(s.apply_mut(&early, &Rules::default(), standards).is_err());
        assert!(s.apply_mut(&open, &Rules::default(), standards).is_err());
        assert_eq!(s, before);
    }
}
