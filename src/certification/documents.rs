//! The documents the program issues from a certification log: the Certification Compliance
//! Report (per standard and element: the level, the methods and evidence behind it, the
//! committee's amendments, the requirements with the element text from the standards
//! catalog, and how the action plan covers them), the certificate a plaque carries, and the
//! public listing of certified practices on a date.
//!
//! Each is plain data (serialisable, so `--format json` is the data itself) with a text
//! rendering (`Display`); HTML renderings live with the reports (`report::certification`).

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use super::standards::{Method, Standards};
use super::workflow::{
    Action, Decided, Level, Outcome, Phase, Standing, SummaryRule, Workflow, disagreements,
    reviewed_levels, standard_level,
};
use crate::chart::{Date, PracticeId};

/// One method's finding on an element, as the CCR shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MethodFinding {
    /// The method.
    pub method: Method,
    /// The level it found.
    pub level: Level,
    /// The surveyor's evidence note.
    pub evidence: String,
}

/// One element of a standard in the CCR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ElementReport {
    /// 1-based number.
    pub number: usize,
    /// The element's text from the standards catalog.
    pub text: String,
    /// The findings, one per method used.
    pub findings: Vec<MethodFinding>,
    /// The level summarised from the findings by the log's rule.
    pub summarised: Level,
    /// The level after the committee's review.
    pub level: Level,
    /// The committee's reason, when it amended the level.
    pub amended_because: Option<String>,
    /// Policy review and observation found different levels.
    pub disagreement: bool,
}

/// One standard in the CCR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StandardReport {
    /// Id (`"1.1"`).
    pub id: String,
    /// Title.
    pub title: String,
    /// The domain's title.
    pub domain: String,
    /// The standard's level (met only when every element is met or not applicable; met on
    /// documentation when the committee found the requirement met later).
    pub level: Level,
    /// The level the review gave, before documentation.
    pub reviewed_level: Level,
    /// When the committee found the requirement met on documentation.
    pub met_on_documentation: Option<Date>,
    /// Its elements.
    pub elements: Vec<ElementReport>,
}

/// A requirement of the CCR: an unmet standard, its unmet elements and the action plan's
/// actions for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Requirement {
    /// Standard id.
    pub standard: String,
    /// Its title.
    pub title: String,
    /// The level the review gave.
    pub level: Level,
    /// The elements not met: (number, catalog text, level).
    pub elements: Vec<(usize, String, Level)>,
    /// The action plan's actions for it.
    pub actions: Vec<Action>,
    /// Met on documentation on this date, or still open.
    pub met_on_documentation: Option<Date>,
}

/// The Certification Compliance Report of a log's current cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ComplianceReport {
    /// The practice.
    pub practice: PracticeId,
    /// The cycle.
    pub cycle: u32,
    /// The committee review's date (the CCR's issue date).
    pub issued_on: Date,
    /// The surveyor of the latest survey.
    pub surveyor: Option<String>,
    /// Surveys held in the cycle.
    pub surveys: u32,
    /// The committee reviewer.
    pub reviewer: Option<String>,
    /// The summary rule, by name.
    pub summary_rule: SummaryRule,
    /// The summary rule in words.
    pub summary_rule_text: String,
    /// Every standard, in catalog order.
    pub standards: Vec<StandardReport>,
    /// The requirements (standards not met at review).
    pub requirements: Vec<Requirement>,
    /// Whether the action plan has an action for every requirement (`None`: no plan yet).
    pub action_plan_covers_all: Option<bool>,
    /// Elements where policy review and observation disagree (re-survey trigger).
    pub disagreements: usize,
    /// The committee's decision, when made.
    pub decision: Option<Decided>,
}

impl ComplianceReport {
    /// The CCR of the log's current cycle, or why there is none yet.
    ///
    /// ```
    /// use oncoqual::certification::{ComplianceReport, Rules, Standards, Workflow};
    /// let w = Workflow::new(Rules::default());
    /// let why = ComplianceReport::of(&w, Standards::bundled()).unwrap_err();
    /// assert!(why.contains("no committee review"));
    /// ```
    pub fn of(workflow: &Workflow, standards: &Standards) -> Result<ComplianceReport, String> {
        let s = workflow.state();
        let (Some(issued_on), Some(practice)) = (s.reviewed_on, s.practice.clone()) else {
            return Err(format!(
                "no committee review of findings in the current cycle yet (phase `{}`): the CCR is issued from it",
                s.phase
            ));
        };
        let rule = workflow.rules.summary_rule;
        let summarised = reviewed_levels(&s.findings, &[], rule);
        let reviewed = reviewed_levels(&s.findings, &s.amendments, rule);
        let split: BTreeSet<(&str, usize)> = disagreements(&s.findings)
            .iter()
            .map(|d| (d.standard, d.element))
            .collect();
        let mut out = Vec::new();
        let mut requirements = Vec::new();
        for st in &standards.standards {
            let mut elements = Vec::new();
            for (i, text) in st.elements.iter().enumerate() {
                let number = i.saturating_add(1);
                let key = (st.id.as_str(), number);
                let findings = s
                    .findings
                    .iter()
                    .filter(|f| f.standard == st.id && f.element == number)
                    .map(|f| MethodFinding {
                        method: f.method,
                        level: f.level,
                        evidence: f.evidence.clone(),
                    })
                    .collect();
                let Some(level) = reviewed.get(&key).copied() else {
                    continue;
                };
                elements.push(ElementReport {
                    number,
                    text: text.clone(),
                    findings,
                    summarised: summarised.get(&key).copied().unwrap_or(level),
                    level,
                    amended_because: s
                        .amendments
                        .iter()
                        .find(|a| a.standard == st.id && a.element == number)
                        .map(|a| a.reason.clone()),
                    disagreement: split.contains(&key),
                });
            }
            if elements.is_empty() {
                continue;
            }
            let levels: Vec<Level> = elements.iter().map(|e| e.level).collect();
            let reviewed_level = standard_level(&levels);
            let met_on_documentation = s.met_on_documentation.get(&st.id).copied();
            let domain = standards
                .domains
                .iter()
                .find(|d| d.id == st.domain)
                .map(|d| d.title.clone())
                .unwrap_or_default();
            if reviewed_level.is_requirement() {
                requirements.push(Requirement {
                    standard: st.id.clone(),
                    title: st.title.clone(),
                    level: reviewed_level,
                    elements: elements
                        .iter()
                        .filter(|e| e.level.is_requirement())
                        .map(|e| (e.number, e.text.clone(), e.level))
                        .collect(),
                    actions: s
                        .action_plan
                        .iter()
                        .filter(|a| a.standard == st.id)
                        .cloned()
                        .collect(),
                    met_on_documentation,
                });
            }
            out.push(StandardReport {
                id: st.id.clone(),
                title: st.title.clone(),
                domain,
                level: s.ccr.get(&st.id).copied().unwrap_or(reviewed_level),
                reviewed_level,
                met_on_documentation,
                elements,
            });
        }
        let action_plan_covers_all = if s.action_plan.is_empty() {
            None
        } else {
            Some(requirements.iter().all(|r| !r.actions.is_empty()))
        };
        Ok(ComplianceReport {
            practice,
            cycle: s.cycle,
            issued_on,
            surveyor: s.surveyor.clone(),
            surveys: s.surveys,
            reviewer: s.reviewer.clone(),
            summary_rule: rule,
            summary_rule_text: rule.describe().to_owned(),
            standards: out,
            requirements,
            action_plan_covers_all,
            disagreements: split.len(),
            decision: s.decision.clone(),
        })
    }
}

impl fmt::Display for ComplianceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Certification Compliance Report")?;
        writeln!(
            f,
            "practice {}, cycle {}, issued {} (committee reviewer {}; surveyor {}; {} survey{})",
            self.practice.as_str(),
            self.cycle,
            self.issued_on,
            self.reviewer.as_deref().unwrap_or("-"),
            self.surveyor.as_deref().unwrap_or("-"),
            self.surveys,
            if self.surveys == 1 { "" } else { "s" }
        )?;
        writeln!(f, "summary rule: {}", self.summary_rule_text)?;
        let met = self
            .standards
            .iter()
            .filter(|s| matches!(s.level, Level::Met | Level::NotApplicable))
            .count();
        writeln!(
            f,
            "{met} of {} standards met or not applicable; {} requirement{}",
            self.standards.len(),
            self.requirements.len(),
            if self.requirements.len() == 1 {
                ""
            } else {
                "s"
            }
        )?;
        for st in &self.standards {
            writeln!(f)?;
            write!(f, "{} {}: {}", st.id, st.title, st.level)?;
            if let Some(d) = st.met_on_documentation {
                write!(
                    f,
                    " (on documentation, {d}; reviewed {})",
                    st.reviewed_level
                )?;
            }
            writeln!(f)?;
            for e in &st.elements {
                writeln!(f, "  {}. {}: {}", e.number, e.text, e.level)?;
                for m in &e.findings {
                    write!(f, "     - {}: {}", m.method.words(), m.level)?;
                    if !m.evidence.is_empty() {
                        write!(f, " ({})", m.evidence)?;
                    }
                    writeln!(f)?;
                }
                if e.disagreement {
                    writeln!(f, "     ! policy review and observation disagree")?;
                }
                if let Some(why) = &e.amended_because {
                    writeln!(
                        f,
                        "     committee amended {} to {}: {why}",
                        e.summarised, e.level
                    )?;
                }
            }
        }
        if !self.requirements.is_empty() {
            writeln!(f)?;
            writeln!(f, "Requirements")?;
            for r in &self.requirements {
                write!(f, "  {} {} ({})", r.standard, r.title, r.level)?;
                match r.met_on_documentation {
                    Some(d) => writeln!(f, ": met on documentation {d}")?,
                    None => writeln!(f, ": open")?,
                }
                for (n, text, level) in &r.elements {
                    writeln!(f, "    element {n} ({level}): {text}")?;
                }
                if r.actions.is_empty() {
                    writeln!(f, "    action plan: no action yet")?;
                }
                for a in &r.actions {
                    writeln!(
                        f,
                        "    action: {} (owner {}, due {})",
                        a.action, a.owner, a.due
                    )?;
                }
            }
            match self.action_plan_covers_all {
                None => writeln!(f, "action plan: not submitted")?,
                Some(true) => writeln!(f, "action plan: covers every requirement")?,
                Some(false) => writeln!(f, "action plan: leaves requirements uncovered")?,
            }
        }
        if self.disagreements > 0 {
            writeln!(
                f,
                "{} element{} where policy review and observation disagree: a re-survey may be ordered",
                self.disagreements,
                if self.disagreements == 1 { "" } else { "s" }
            )?;
        }
        if let Some(d) = &self.decision {
            writeln!(f)?;
            let what = match d.outcome {
                Outcome::Award => "certification awarded",
                Outcome::Deny => "certification denied",
            };
            writeln!(f, "Decision {}: {what} by {}", d.date, d.reviewer)?;
            for r in &d.reasons {
                writeln!(f, "  - {r}")?;
            }
            if !d.cannot_meet.is_empty() {
                writeln!(f, "  cannot be met: {}", d.cannot_meet.join(", "))?;
            }
        }
        Ok(())
    }
}

/// The certificate a certified practice's plaque carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Certificate {
    /// The practice.
    pub practice: PracticeId,
    /// The certification (or latest renewal) date.
    pub certified_on: Date,
    /// The last day of the term.
    pub expires_on: Date,
    /// The cycle that earned it.
    pub cycle: u32,
    /// The standards met: (id, title).
    pub standards_met: Vec<(String, String)>,
    /// The standards not applicable to the practice: (id, title).
    pub not_applicable: Vec<(String, String)>,
}

impl Certificate {
    /// The certificate of a log certified on `on` (judged on its events up to that day), or
    /// why there is none.
    pub fn of(workflow: &Workflow, standards: &Standards, on: Date) -> Result<Certificate, String> {
        let then = workflow.as_of(on, standards);
        let s = then.state();
        let status = then.status(on);
        let (Phase::Certified | Phase::RenewalApplied, Standing::Certified) =
            (s.phase, status.standing)
        else {
            return Err(format!(
                "the practice is not certified on {on} (standing `{}`, phase `{}`)",
                status.standing, s.phase
            ));
        };
        let (Some(practice), Some(certified_on), Some(expires_on)) =
            (s.practice.clone(), s.certified_on, s.expires_on)
        else {
            return Err("the log holds no certification dates".into());
        };
        let mut standards_met = Vec::new();
        let mut not_applicable = Vec::new();
        for st in &standards.standards {
            match s.ccr.get(&st.id) {
                Some(Level::NotApplicable) => {
                    not_applicable.push((st.id.clone(), st.title.clone()));
                }
                Some(Level::Met) => standards_met.push((st.id.clone(), st.title.clone())),
                _ => {}
            }
        }
        Ok(Certificate {
            practice,
            certified_on,
            expires_on,
            cycle: s.cycle,
            standards_met,
            not_applicable,
        })
    }
}

impl fmt::Display for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "QOPI Certification")?;
        writeln!(f)?;
        writeln!(f, "awarded to practice {}", self.practice.as_str())?;
        writeln!(
            f,
            "certified {} — valid through {}",
            self.certified_on, self.expires_on
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "for meeting the {} Certification Standards below:",
            self.standards_met.len()
        )?;
        for (id, title) in &self.standards_met {
            writeln!(f, "  {id} {title}")?;
        }
        if !self.not_applicable.is_empty() {
            writeln!(f, "not applicable to the practice:")?;
            for (id, title) in &self.not_applicable {
                writeln!(f, "  {id} {title}")?;
            }
        }
        Ok(())
    }
}

/// One practice in the public listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Listed {
    /// The practice.
    pub practice: PracticeId,
    /// Certified (or last renewed) on.
    pub certified_on: Date,
    /// The term's last day.
    pub expires_on: Date,
}

/// Two logs of the same practice given to [`listing`]: which would be counted twice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "logs {first} and {second} are both practice `{practice}`'s: one log per practice, refusing to list it twice"
)]
pub struct DuplicatePractice {
    /// The practice.
    pub practice: String,
    /// 0-based index of the first log naming it.
    pub first: usize,
    /// 0-based index of the second.
    pub second: usize,
}

/// The practices certified on `on` (their standing that day, from each log's events up to
/// that day), sorted by practice, as the program lists them publicly. A practice found in
/// two logs is refused.
pub fn listing<'w>(
    logs: impl IntoIterator<Item = &'w Workflow>,
    on: Date,
    standards: &Standards,
) -> Result<Vec<Listed>, DuplicatePractice> {
    let mut seen: Vec<(PracticeId, usize)> = Vec::new();
    let mut out = Vec::new();
    for (i, w) in logs.into_iter().enumerate() {
        if let Some(p) = &w.state().practice {
            if let Some((_, first)) = seen.iter().find(|(q, _)| q == p) {
                return Err(DuplicatePractice {
                    practice: p.as_str().to_owned(),
                    first: *first,
                    second: i,
                });
            }
            seen.push((p.clone(), i));
        }
        let then = w.as_of(on, standards);
        let s = then.state();
        if then.status(on).standing == Standing::Certified
            && let (Some(practice), Some(certified_on), Some(expires_on)) =
                (s.practice.clone(), s.certified_on, s.expires_on)
        {
            out.push(Listed {
                practice,
                certified_on,
                expires_on,
            });
        }
    }
    out.sort_by(|a, b| a.practice.as_str().cmp(b.practice.as_str()));
    Ok(out)
}
