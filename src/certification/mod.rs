//! QOPI Certification: eligibility to apply (from a final benchmark report and the
//! practice's facts) and the standards catalog the on-site survey checks.

mod documents;
mod eligibility;
mod log;
mod standards;
mod workflow;

pub use documents::{
    Certificate, ComplianceReport, DuplicatePractice, ElementReport, Listed, MethodFinding,
    Requirement, StandardReport, listing,
};
pub use eligibility::{
    EligibilityRules, Eligible, Ineligible, PracticeFacts, Webinar, WebinarFormat, eligibility,
    eligibility_of_each, may_request_score_review, score_review_deadline, score_valid_until,
};
#[cfg(feature = "cli")]
pub(crate) use log::header as log_header;
pub use log::{
    LOG_FORMAT, LogError, LogFormat, LogRead, LogSnapshot, Scanned, events_line, fold_lines,
    header_line, read_log,
};
pub use standards::{Domain, Method, Standard, Standards, StandardsError};
pub use workflow::{
    Action, Amendment, CycleEnd, Decided, Disagreement, Event, Finding, Level, Outcome, PastCycle,
    Phase, Refused, ReplayError, Rules, RulesError, Standing, State, Status, Step, SummaryRule,
    Workflow, disagreements, reviewed_levels, standard_level,
};
