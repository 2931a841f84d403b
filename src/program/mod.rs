//! The program facts the benchmark rests on: practices and their registration (tracks,
//! corresponding physician, QOPI administrator), their members, participation per round, and
//! the ASCO University course credit each member earns for two consecutive rounds.
//!
//! ```
//! use oncoqual::program::{Practice, Practices, Role, course_credits};
//! use oncoqual::RoundId;
//! let file = r#"[{"id": "P0001", "name": "Lakeside Oncology", "registered_on": "2025-11-02",
//!   "tracks": ["core", "qcp"],
//!   "corresponding_physician": {"name": "Dr. A. Rivera", "asco_membership": "good_standing"},
//!   "administrator": {"name": "J. Chen"},
//!   "members": [
//!     {"name": "Dr. A. Rivera", "role": "physician", "asco_membership": "good_standing",
//!      "course": [{"first": "2026-1", "second": "2026-2", "documented_on": "2027-01-20"}]},
//!     {"name": "M. Okafor", "role": "nurse",
//!      "course": [{"first": "2026-1", "second": "2026-2"}]}]}]"#;
//! let practices = Practices::from_json(file).unwrap();
//! let p: &Practice = practices.get_str("P0001").unwrap();
//! assert!(p.registration_problems().is_empty());
//! assert!(p.registered_for(&["core", "qcp"]));
//!
//! let completed: Vec<RoundId> = ["2026-1", "2026-2"].iter().map(|r| r.parse().unwrap()).collect();
//! let courses = course_credits(p, &completed);
//! assert_eq!(courses.len(), 1);
//! assert_eq!(courses[0].awards[0].role, Role::Physician);
//! assert_eq!(courses[0].awards[0].ama_pra_category_1_credits, 20);
//! assert_eq!(courses[0].pending, ["M. Okafor"]);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::chart::round::RoundId;
use crate::chart::{Date, PracticeId};

/// A practice's ASCO membership status (of its corresponding physician).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    /// A member in good standing.
    GoodStanding,
    /// A member whose membership has lapsed (dues unpaid).
    Lapsed,
    /// Not an ASCO member.
    NotMember,
}

/// The practice's designated corresponding physician.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Physician {
    /// Name as registered.
    pub name: String,
    /// ASCO membership status.
    pub asco_membership: Membership,
}

/// The practice's designated QOPI administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Administrator {
    /// Name as registered.
    pub name: String,
}

/// A member's role in the practice, which decides the course award.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A physician: ABIM practice-assessment points and AMA PRA Category 1 Credits.
    Physician,
    /// A nurse: ANCC CE units (contact hours).
    Nurse,
    /// Other staff: a certificate of participation, on request.
    OtherStaff,
}

impl Role {
    /// The role as spelled in a practices file (`physician`, `nurse`, `other_staff`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Physician => "physician",
            Role::Nurse => "nurse",
            Role::OtherStaff => "other_staff",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Physician => "physician",
            Role::Nurse => "nurse",
            Role::OtherStaff => "other staff",
        })
    }
}

/// A member of a practice's staff who may take part in the ASCO University course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Member {
    /// Name as registered.
    pub name: String,
    /// Role.
    pub role: Role,
    /// ASCO membership status; physicians only (a physician may leave it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asco_membership: Option<Membership>,
    /// The member's course records, one per course (pair of rounds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub course: Vec<CourseRecord>,
}

impl Member {
    /// A member with no membership status and no course record.
    pub fn new(name: impl Into<String>, role: Role) -> Member {
        Member {
            name: name.into(),
            role,
            asco_membership: None,
            course: Vec::new(),
        }
    }
}

/// A member's record for the course opened by the rounds `first` and `second` (the round
/// after `first`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CourseRecord {
    /// The first round of the pair.
    pub first: RoundId,
    /// The second round of the pair: the round after `first`.
    pub second: RoundId,
    /// The day the member documented their efforts in the course; none while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documented_on: Option<Date>,
    /// Whether the member requested a certificate of participation (other staff).
    #[serde(default, skip_serializing_if = "is_false")]
    pub certificate_requested: bool,
}

impl CourseRecord {
    /// The record for the course of `first` and `second`, documented on `documented_on`,
    /// no certificate requested.
    pub fn new(first: RoundId, second: RoundId, documented_on: Option<Date>) -> CourseRecord {
        CourseRecord {
            first,
            second,
            documented_on,
            certificate_requested: false,
        }
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
fn is_false(b: &bool) -> bool {
    !*b
}

/// A registered practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Practice {
    /// The practice id, as on its charts.
    pub id: PracticeId,
    /// Name.
    pub name: String,
    /// Date of registration.
    pub registered_on: Date,
    /// Tracks registered for: module tracks (`core`, `breast`, ...) and `qcp`.
    pub tracks: Vec<String>,
    /// The corresponding physician, if designated.
    #[serde(default)]
    pub corresponding_physician: Option<Physician>,
    /// The QOPI administrator, if designated.
    #[serde(default)]
    pub administrator: Option<Administrator>,
    /// The members who may take part in the ASCO University course, with their records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
}

fn membership_name(m: Membership) -> &'static str {
    match m {
        Membership::GoodStanding => "good standing",
        Membership::Lapsed => "lapsed",
        Membership::NotMember => "not a member",
    }
}

/// Why a registration is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationProblem {
    /// No corresponding physician is designated.
    #[error("no corresponding physician is designated")]
    NoCorrespondingPhysician,
    /// The corresponding physician is not an ASCO member in good standing.
    #[error(
        "the corresponding physician is not an ASCO member in good standing (membership: {})",
        membership_name(*.0)
    )]
    PhysicianNotInGoodStanding(Membership),
    /// No QOPI administrator is designated.
    #[error("no QOPI administrator is designated")]
    NoAdministrator,
    /// No track is registered.
    #[error("no track is registered")]
    NoTracks,
}

impl Practice {
    /// A practice registered on `registered_on` for `tracks`, with no roles designated yet.
    pub fn new(
        id: PracticeId,
        name: impl Into<String>,
        registered_on: Date,
        tracks: Vec<String>,
    ) -> Practice {
        Practice {
            id,
            name: name.into(),
            registered_on,
            tracks,
            corresponding_physician: None,
            administrator: None,
            members: Vec::new(),
        }
    }

    /// Every reason the registration is not valid (empty when it is): both roles designated,
    /// the corresponding physician an ASCO member in good standing, at least one track.
    pub fn registration_problems(&self) -> Vec<RegistrationProblem> {
        let mut out = Vec::new();
        match &self.corresponding_physician {
            None => out.push(RegistrationProblem::NoCorrespondingPhysician),
            Some(p) if p.asco_membership != Membership::GoodStanding => {
                out.push(RegistrationProblem::PhysicianNotInGoodStanding(
                    p.asco_membership,
                ));
            }
            Some(_) => {}
        }
        if self.administrator.is_none() {
            out.push(RegistrationProblem::NoAdministrator);
        }
        if self.tracks.is_empty() {
            out.push(RegistrationProblem::NoTracks);
        }
        out
    }

    /// Whether the practice registered for any of `tracks` (a measure's tracks): it is
    /// scored only on such measures.
    pub fn registered_for(&self, tracks: &[impl AsRef<str>]) -> bool {
        tracks
            .iter()
            .any(|t| self.tracks.iter().any(|mine| mine == t.as_ref()))
    }
}

/// Why a practices file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PracticesError {
    /// Not valid JSON or not a list of practices.
    #[error("line {line}, column {column}: at `{path}`: {message}")]
    Format {
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
        /// Field path.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A practice id appears twice.
    #[error("practice `{0}` is listed twice")]
    Duplicate(String),
    /// A member who is not a physician has an ASCO membership status.
    #[error(
        "practice `{practice}`, `members[{member}]` (`{name}`): `asco_membership` is for physicians, and this member's role is `{}`",
        .role.as_str()
    )]
    MembershipOfNonPhysician {
        /// The practice id.
        practice: String,
        /// The member's index in the practice's `members` (0-based).
        member: usize,
        /// The member's name.
        name: String,
        /// The member's role.
        role: Role,
    },
    /// A course record whose second round is not the round after its first.
    #[error(
        "practice `{practice}`, `members[{member}]` (`{name}`): the course record for rounds `{first}` and `{second}` is not for two consecutive rounds (`second` must be the round after `first`)"
    )]
    RoundsNotConsecutive {
        /// The practice id.
        practice: String,
        /// The member's index in the practice's `members` (0-based).
        member: usize,
        /// The member's name.
        name: String,
        /// The record's first round.
        first: RoundId,
        /// The record's second round.
        second: RoundId,
    },
    /// A member has two records for the same pair of rounds.
    #[error(
        "practice `{practice}`, `members[{member}]` (`{name}`): the course record for rounds `{first}` and `{second}` is given twice"
    )]
    RepeatedCourseRecord {
        /// The practice id.
        practice: String,
        /// The member's index in the practice's `members` (0-based).
        member: usize,
        /// The member's name.
        name: String,
        /// The record's first round.
        first: RoundId,
        /// The record's second round.
        second: RoundId,
    },
}

/// Refuses members that break the file's rules: an ASCO membership on a non-physician, a
/// course record for rounds that are not consecutive, a record repeated for the same pair.
fn check_members(p: &Practice) -> Result<(), PracticesError> {
    for (i, m) in p.members.iter().enumerate() {
        let practice = || p.id.as_str().to_owned();
        if m.role != Role::Physician && m.asco_membership.is_some() {
            return Err(PracticesError::MembershipOfNonPhysician {
                practice: practice(),
                member: i,
                name: m.name.clone(),
                role: m.role,
            });
        }
        let mut seen = BTreeSet::new();
        for r in &m.course {
            if r.first.next() != Some(r.second) {
                return Err(PracticesError::RoundsNotConsecutive {
                    practice: practice(),
                    member: i,
                    name: m.name.clone(),
                    first: r.first,
                    second: r.second,
                });
            }
            if !seen.insert(r.first) {
                return Err(PracticesError::RepeatedCourseRecord {
                    practice: practice(),
                    member: i,
                    name: m.name.clone(),
                    first: r.first,
                    second: r.second,
                });
            }
        }
    }
    Ok(())
}

/// The registered practices, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Practices {
    by_id: BTreeMap<PracticeId, Practice>,
}

impl Practices {
    /// Reads a practices file: a JSON list of practices.
    pub fn from_json(text: &str) -> Result<Practices, PracticesError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let list: Vec<Practice> = serde_path_to_error::deserialize(de).map_err(|e| {
            // Practice files hold program facts, not patient data: every key may be shown.
            let path = crate::chart::serde_error::field_path(e.path(), |_| true);
            let inner = e.into_inner();
            PracticesError::Format {
                line: inner.line(),
                column: inner.column(),
                path,
                message: inner.to_string(),
            }
        })?;
        Practices::from_list(list)
    }

    /// Practices from a list; a repeated id is an error, and so is a member that breaks the
    /// rules of [`Member`] and [`CourseRecord`] (an ASCO membership on a non-physician, a
    /// course record for rounds that are not consecutive, a record repeated for a pair).
    pub fn from_list(list: Vec<Practice>) -> Result<Practices, PracticesError> {
        let mut by_id = BTreeMap::new();
        for p in list {
            check_members(&p)?;
            if by_id.contains_key(&p.id) {
                return Err(PracticesError::Duplicate(p.id.as_str().to_owned()));
            }
            by_id.insert(p.id.clone(), p);
        }
        Ok(Practices { by_id })
    }

    /// The practices as a JSON list (id order).
    pub fn to_json(&self) -> String {
        let list: Vec<&Practice> = self.by_id.values().collect();
        serde_json::to_string_pretty(&list).unwrap_or_default()
    }

    /// The practice `id`.
    pub fn get(&self, id: &PracticeId) -> Option<&Practice> {
        self.by_id.get(id)
    }

    /// The practice whose id reads `id`.
    pub fn get_str(&self, id: &str) -> Option<&Practice> {
        PracticeId::new(id).and_then(|i| self.by_id.get(&i))
    }

    /// Every practice, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Practice> {
        self.by_id.values()
    }

    /// The number of practices.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// ABIM Maintenance of Certification practice-assessment points a physician earns per course.
pub const ABIM_PRACTICE_ASSESSMENT_POINTS: u32 = 20;
/// AMA PRA Category 1 Credits a physician earns per course.
pub const AMA_PRA_CATEGORY_1_CREDITS: u32 = 20;
/// ANCC CE units (contact hours) a nurse earns per course.
pub const ANCC_CE_UNITS: u32 = 20;

/// One ASCO University course a practice opened by completing two consecutive rounds, with
/// what each member earned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Course {
    /// The first of the two consecutive completed rounds.
    pub first: RoundId,
    /// The second: the round after `first`.
    pub second: RoundId,
    /// The awards of the members who documented their efforts, in member order. Other staff
    /// who documented without requesting a certificate receive nothing and are not listed.
    pub awards: Vec<Award>,
    /// The names of the members who have not documented their efforts in this course, in
    /// member order.
    pub pending: Vec<String>,
}

/// What one member earned in one course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Award {
    /// The member's name.
    pub member: String,
    /// The member's role, which decides the award.
    pub role: Role,
    /// ABIM practice-assessment points (physicians).
    pub abim_practice_assessment_points: u32,
    /// AMA PRA Category 1 Credits (physicians).
    pub ama_pra_category_1_credits: u32,
    /// ANCC CE units, contact hours (nurses).
    pub ancc_ce_units: u32,
    /// A certificate of participation (other staff who requested one).
    pub certificate_of_participation: bool,
    /// The day the member documented their efforts in the course.
    pub documented_on: Date,
}

impl Award {
    /// The award of `role` for efforts documented on `documented_on`; `None` for other
    /// staff who did not request a certificate.
    fn of(
        member: &str,
        role: Role,
        documented_on: Date,
        certificate_requested: bool,
    ) -> Option<Award> {
        let mut a = Award {
            member: member.to_owned(),
            role,
            abim_practice_assessment_points: 0,
            ama_pra_category_1_credits: 0,
            ancc_ce_units: 0,
            certificate_of_participation: false,
            documented_on,
        };
        match role {
            Role::Physician => {
                a.abim_practice_assessment_points = ABIM_PRACTICE_ASSESSMENT_POINTS;
                a.ama_pra_category_1_credits = AMA_PRA_CATEGORY_1_CREDITS;
            }
            Role::Nurse => a.ancc_ce_units = ANCC_CE_UNITS,
            Role::OtherStaff if certificate_requested => a.certificate_of_participation = true,
            Role::OtherStaff => return None,
        }
        Some(a)
    }
}

impl fmt::Display for Award {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.abim_practice_assessment_points > 0 {
            parts.push(format!(
                "{} ABIM practice-assessment points",
                self.abim_practice_assessment_points
            ));
        }
        if self.ama_pra_category_1_credits > 0 {
            parts.push(format!(
                "{} AMA PRA Category 1 Credits",
                self.ama_pra_category_1_credits
            ));
        }
        if self.ancc_ce_units > 0 {
            parts.push(format!(
                "{} ANCC CE units (contact hours)",
                self.ancc_ce_units
            ));
        }
        if self.certificate_of_participation {
            parts.push("a certificate of participation".to_owned());
        }
        if parts.is_empty() {
            parts.push("nothing".to_owned());
        }
        write!(
            f,
            "{} ({}), documented on {}: {}",
            self.member,
            self.role,
            self.documented_on,
            parts.join(" and ")
        )
    }
}

/// Why a member's course record earns nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnmatchedReason {
    /// The second round is not the round after the first (a file refuses this; a practice
    /// built in code may hold it).
    NotConsecutive,
    /// The practice did not complete these rounds of the pair.
    NotCompleted {
        /// The rounds not completed, in order.
        rounds: Vec<RoundId>,
    },
    /// Both rounds are completed, but `round` already counts toward an earlier course:
    /// courses do not overlap.
    Overlaps {
        /// The round the two pairs share.
        round: RoundId,
        /// The first round of the course it counts toward.
        course_first: RoundId,
        /// The second round of that course.
        course_second: RoundId,
    },
    /// The member has an earlier record for the same course; only the first counts.
    Repeated,
}

impl fmt::Display for UnmatchedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnmatchedReason::NotConsecutive => f.write_str("the rounds are not consecutive"),
            UnmatchedReason::NotCompleted { rounds } => {
                let names: Vec<String> = rounds.iter().map(|r| format!("`{r}`")).collect();
                let (noun, verb) = if rounds.len() == 1 {
                    ("round", "is")
                } else {
                    ("rounds", "are")
                };
                write!(f, "{noun} {} {verb} not completed", names.join(" and "))
            }
            UnmatchedReason::Overlaps {
                round,
                course_first,
                course_second,
            } => write!(
                f,
                "round `{round}` already counts toward the course of rounds `{course_first}` \
                 and `{course_second}`"
            ),
            UnmatchedReason::Repeated => f.write_str("the record for this course is repeated"),
        }
    }
}

/// A member's course record for a pair of rounds that is not a course of the practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UnmatchedRecord {
    /// The member's name.
    pub member: String,
    /// The member's role.
    pub role: Role,
    /// The record's first round.
    pub first: RoundId,
    /// The record's second round.
    pub second: RoundId,
    /// Why it earns nothing.
    pub reason: UnmatchedReason,
}

impl fmt::Display for UnmatchedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}), rounds {} and {}: not awarded: {}",
            self.member, self.role, self.first, self.second, self.reason
        )
    }
}

/// The courses opened by `completed` rounds, in order: the pairing rule of [`course_credits`].
fn pairs(completed: &[RoundId]) -> Vec<(RoundId, RoundId)> {
    let rounds: BTreeSet<RoundId> = completed.iter().copied().collect();
    let mut out = Vec::new();
    let mut open: Option<RoundId> = None;
    for r in rounds {
        match open {
            Some(first) if first.next() == Some(r) => {
                out.push((first, r));
                open = None;
            }
            _ => open = Some(r),
        }
    }
    out
}

/// The ASCO University courses of `practice` and what each member earned in them.
///
/// `completed` is the rounds the practice completed (the caller decides completion from its
/// chart counts and each round's minimum); order and duplicates do not matter. Each pair of
/// consecutive completed rounds opens a course, and pairs do not overlap: the completed
/// rounds are walked in order and paired greedily from the earliest, so completed 2025-1,
/// 2025-2, 2026-1, 2026-2 open two courses, (2025-1, 2025-2) and (2026-1, 2026-2); completed
/// 2025-2, 2026-1, 2026-2 open one, (2025-2, 2026-1), while 2026-2 waits for 2027-1; a gap
/// breaks a pair.
///
/// In each course, a member with a record for the pair and a `documented_on` date receives
/// the award of their role: a physician [`ABIM_PRACTICE_ASSESSMENT_POINTS`] and
/// [`AMA_PRA_CATEGORY_1_CREDITS`], a nurse [`ANCC_CE_UNITS`], other staff a certificate of
/// participation when they requested one (nothing otherwise). Every other member is pending.
/// Records for pairs that are not courses are listed by [`unmatched_course_records`].
pub fn course_credits(practice: &Practice, completed: &[RoundId]) -> Vec<Course> {
    pairs(completed)
        .into_iter()
        .map(|(first, second)| {
            let mut awards = Vec::new();
            let mut pending = Vec::new();
            for m in &practice.members {
                let record = m
                    .course
                    .iter()
                    .find(|r| r.first == first && r.second == second);
                match record.and_then(|r| r.documented_on.map(|d| (r, d))) {
                    Some((r, on)) => {
                        awards.extend(Award::of(&m.name, m.role, on, r.certificate_requested));
                    }
                    None => pending.push(m.name.clone()),
                }
            }
            Course {
                first,
                second,
                awards,
                pending,
            }
        })
        .collect()
}

/// The course records of `practice` that earn nothing, with the reason: records for a pair
/// of rounds that is not one of its courses (see [`course_credits`] for the pairing rule),
/// and repeats. In member order, then record order.
pub fn unmatched_course_records(
    practice: &Practice,
    completed: &[RoundId],
) -> Vec<UnmatchedRecord> {
    let done: BTreeSet<RoundId> = completed.iter().copied().collect();
    let courses = pairs(completed);
    let mut out = Vec::new();
    for m in &practice.members {
        let mut seen = BTreeSet::new();
        for r in &m.course {
            let reason = if r.first.next() != Some(r.second) {
                Some(UnmatchedReason::NotConsecutive)
            } else if !seen.insert(r.first) {
                Some(UnmatchedReason::Repeated)
            } else if courses.contains(&(r.first, r.second)) {
                None
            } else {
                let rounds: Vec<RoundId> = [r.first, r.second]
                    .into_iter()
                    .filter(|x| !done.contains(x))
                    .collect();
                // Both rounds completed and consecutive but not a course: greedy pairing put
                // the first into the course before it.
                let overlap = courses
                    .iter()
                    .find(|(a, b)| [*a, *b].contains(&r.first) || [*a, *b].contains(&r.second));
                Some(match overlap {
                    Some(&(a, b)) if rounds.is_empty() => UnmatchedReason::Overlaps {
                        round: if r.first == a || r.first == b {
                            r.first
                        } else {
                            r.second
                        },
                        course_first: a,
                        course_second: b,
                    },
                    _ => UnmatchedReason::NotCompleted { rounds },
                })
            };
            if let Some(reason) = reason {
                out.push(UnmatchedRecord {
                    member: m.name.clone(),
                    role: m.role,
                    first: r.first,
                    second: r.second,
                    reason,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(s: &str) -> RoundId {
        s.parse().unwrap()
    }

    fn practice() -> Practice {
        let mut p = Practice::new(
            PracticeId::new("P1").unwrap(),
            "Lakeside",
            Date::parse("2025-11-02").unwrap(),
            vec!["core".into(), "qcp".into()],
        );
        p.corresponding_physician = Some(Physician {
            name: "Dr. R".into(),
            asco_membership: Membership::GoodStanding,
        });
        p.administrator = Some(Administrator { name: "J".into() });
        p
    }

    #[test]
    fn a_registration_needs_both_roles_and_a_member_in_good_standing() {
        assert!(practice().registration_problems().is_empty());
        let mut p = practice();
        p.administrator = None;
        p.corresponding_physician.as_mut().unwrap().asco_membership = Membership::Lapsed;
        assert_eq!(
            p.registration_problems(),
            [
                RegistrationProblem::PhysicianNotInGoodStanding(Membership::Lapsed),
                RegistrationProblem::NoAdministrator
            ]
        );
        p.corresponding_physician = None;
        p.tracks.clear();
        assert_eq!(
            p.registration_problems(),
            [
                RegistrationProblem::NoCorrespondingPhysician,
                RegistrationProblem::NoAdministrator,
                RegistrationProblem::NoTracks
            ]
        );
    }

    fn rounds(list: &[&str]) -> Vec<RoundId> {
        list.iter().map(|r| round(r)).collect()
    }

    fn documented(first: &str, on: &str) -> CourseRecord {
        let first = round(first);
        CourseRecord::new(first, first.next().unwrap(), Some(Date::parse(on).unwrap()))
    }

    fn member(name: &str, role: Role, course: Vec<CourseRecord>) -> Member {
        let mut m = Member::new(name, role);
        m.course = course;
        m
    }

    fn pairs_of(completed: &[&str]) -> Vec<(String, String)> {
        pairs(&rounds(completed))
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_owned(), b.to_owned())
    }

    #[test]
    fn completed_rounds_pair_greedily_from_the_earliest_without_overlap() {
        assert_eq!(
            pairs_of(&["2025-1", "2025-2", "2026-1", "2026-2"]),
            [pair("2025-1", "2025-2"), pair("2026-1", "2026-2")]
        );
        // 2026-2 waits for 2027-1.
        assert_eq!(
            pairs_of(&["2025-2", "2026-1", "2026-2"]),
            [pair("2025-2", "2026-1")]
        );
        assert_eq!(
            pairs_of(&["2025-2", "2026-1", "2026-2", "2027-1"]),
            [pair("2025-2", "2026-1"), pair("2026-2", "2027-1")]
        );
    }

    #[test]
    fn a_gap_between_completed_rounds_breaks_a_pair() {
        assert_eq!(
            pairs_of(&["2025-1", "2026-1"]),
            Vec::<(String, String)>::new()
        );
        // 2025-1 is left alone; 2026-1 pairs with 2026-2.
        assert_eq!(
            pairs_of(&["2025-1", "2026-1", "2026-2"]),
            [pair("2026-1", "2026-2")]
        );
        assert_eq!(
            pairs_of(&["2024-2", "2025-1", "2026-1", "2027-1", "2027-2"]),
            [pair("2024-2", "2025-1"), pair("2027-1", "2027-2")]
        );
        assert!(pairs_of(&[]).is_empty());
        assert!(pairs_of(&["2026-1"]).is_empty());
    }

    #[test]
    fn the_order_and_repeats_of_completed_rounds_do_not_matter() {
        assert_eq!(
            pairs_of(&["2026-2", "2025-1", "2026-1", "2025-2", "2026-1", "2025-1"]),
            [pair("2025-1", "2025-2"), pair("2026-1", "2026-2")]
        );
        assert_eq!(
            pairs_of(&["2026-1", "2025-2", "2026-1"]),
            [pair("2025-2", "2026-1")]
        );
    }

    #[test]
    fn a_physician_who_documented_earns_abim_points_and_ama_credits() {
        let mut p = practice();
        p.members = vec![member(
            "Dr. R",
            Role::Physician,
            vec![documented("2025-2", "2026-08-01")],
        )];
        let courses = course_credits(&p, &rounds(&["2025-2", "2026-1"]));
        assert_eq!(courses.len(), 1);
        let c = &courses[0];
        assert_eq!((c.first, c.second), (round("2025-2"), round("2026-1")));
        assert!(c.pending.is_empty());
        let a = &c.awards[0];
        assert_eq!(
            (
                a.abim_practice_assessment_points,
                a.ama_pra_category_1_credits,
                a.ancc_ce_units,
                a.certificate_of_participation
            ),
            (20, 20, 0, false)
        );
        assert_eq!(a.documented_on, Date::parse("2026-08-01").unwrap());
        assert_eq!(
            a.to_string(),
            "Dr. R (physician), documented on 2026-08-01: 20 ABIM practice-assessment points \
             and 20 AMA PRA Category 1 Credits"
        );
    }

    #[test]
    fn a_nurse_who_documented_earns_ancc_ce_units() {
        let mut p = practice();
        p.members = vec![member(
            "M. Okafor",
            Role::Nurse,
            vec![documented("2025-2", "2026-08-01")],
        )];
        let a = &course_credits(&p, &rounds(&["2025-2", "2026-1"]))[0].awards[0];
        assert_eq!(
            (
                a.abim_practice_assessment_points,
                a.ama_pra_category_1_credits,
                a.ancc_ce_units,
                a.certificate_of_participation
            ),
            (0, 0, ANCC_CE_UNITS, false)
        );
        assert_eq!(
            a.to_string(),
            "M. Okafor (nurse), documented on 2026-08-01: 20 ANCC CE units (contact hours)"
        );
    }

    #[test]
    fn other_staff_earn_a_certificate_only_when_they_requested_one() {
        let mut asked = documented("2025-2", "2026-08-01");
        asked.certificate_requested = true;
        let mut p = practice();
        p.members = vec![
            member("K. Patel", Role::OtherStaff, vec![asked]),
            member(
                "L. Moreau",
                Role::OtherStaff,
                vec![documented("2025-2", "2026-08-02")],
            ),
        ];
        let c = &course_credits(&p, &rounds(&["2025-2", "2026-1"]))[0];
        assert_eq!(c.awards.len(), 1, "{:?}", c.awards);
        let a = &c.awards[0];
        assert_eq!(a.member, "K. Patel");
        assert!(a.certificate_of_participation);
        assert_eq!(
            (
                a.abim_practice_assessment_points,
                a.ama_pra_category_1_credits,
                a.ancc_ce_units
            ),
            (0, 0, 0)
        );
        assert_eq!(
            a.to_string(),
            "K. Patel (other staff), documented on 2026-08-01: a certificate of participation"
        );
        // L. Moreau documented without asking: nothing, and not pending either.
        assert!(c.pending.is_empty());
    }

    #[test]
    fn members_without_a_documented_record_are_pending_in_member_order() {
        let first = round("2025-2");
        let mut p = practice();
        p.members = vec![
            member("Dr. Z", Role::Physician, vec![]),
            member(
                "N. Haddad",
                Role::Nurse,
                vec![CourseRecord::new(first, first.next().unwrap(), None)],
            ),
            member(
                "Dr. A",
                Role::Physician,
                vec![documented("2025-2", "2026-08-01")],
            ),
            // A record for another course does not count toward this one.
            member(
                "J. Chen",
                Role::OtherStaff,
                vec![documented("2024-2", "2025-08-01")],
            ),
        ];
        let courses = course_credits(&p, &rounds(&["2025-2", "2026-1"]));
        assert_eq!(courses[0].pending, ["Dr. Z", "N. Haddad", "J. Chen"]);
        assert_eq!(courses[0].awards.len(), 1);
        // No course, no pending list.
        assert!(course_credits(&p, &rounds(&["2025-2"])).is_empty());
    }

    #[test]
    fn each_course_awards_its_own_records() {
        let mut p = practice();
        p.members = vec![member(
            "Dr. R",
            Role::Physician,
            vec![documented("2025-1", "2025-09-01")],
        )];
        let courses = course_credits(&p, &rounds(&["2025-1", "2025-2", "2026-1", "2026-2"]));
        assert_eq!(courses.len(), 2);
        assert_eq!(courses[0].awards.len(), 1);
        assert!(courses[1].awards.is_empty());
        assert_eq!(courses[1].pending, ["Dr. R"]);
    }

    #[test]
    fn records_for_pairs_that_are_not_courses_are_listed_with_the_reason() {
        let mut p = practice();
        p.members = vec![
            member(
                "Dr. R",
                Role::Physician,
                vec![
                    documented("2025-2", "2026-08-01"),
                    // Overlaps the course (2025-2, 2026-1).
                    documented("2026-1", "2027-02-01"),
                    // 2027-1 is not completed.
                    documented("2026-2", "2027-08-01"),
                ],
            ),
            member(
                "M. Okafor",
                Role::Nurse,
                vec![documented("2024-1", "2025-01-01")],
            ),
        ];
        let completed = rounds(&["2025-2", "2026-1", "2026-2"]);
        let unmatched = unmatched_course_records(&p, &completed);
        let reasons: Vec<String> = unmatched.iter().map(ToString::to_string).collect();
        assert_eq!(
            reasons,
            [
                "Dr. R (physician), rounds 2026-1 and 2026-2: not awarded: round `2026-1` \
                 already counts toward the course of rounds `2025-2` and `2026-1`",
                "Dr. R (physician), rounds 2026-2 and 2027-1: not awarded: round `2027-1` is \
                 not completed",
                "M. Okafor (nurse), rounds 2024-1 and 2024-2: not awarded: rounds `2024-1` and \
                 `2024-2` are not completed",
            ]
        );
        assert_eq!(
            unmatched[0].reason,
            UnmatchedReason::Overlaps {
                round: round("2026-1"),
                course_first: round("2025-2"),
                course_second: round("2026-1"),
            }
        );
        // The course itself still awards Dr. R once.
        let courses = course_credits(&p, &completed);
        assert_eq!(courses.len(), 1);
        assert_eq!(courses[0].awards.len(), 1);
        assert_eq!(courses[0].pending, ["M. Okafor"]);
    }

    #[test]
    fn records_built_in_code_that_a_file_refuses_are_not_awarded() {
        let mut p = practice();
        let mut skip = documented("2025-2", "2026-08-01");
        skip.second = round("2026-2");
        p.members = vec![member(
            "Dr. R",
            Role::Physician,
            vec![
                documented("2025-2", "2026-08-01"),
                documented("2025-2", "2026-09-01"),
                skip,
            ],
        )];
        let completed = rounds(&["2025-2", "2026-1", "2026-2"]);
        let reasons: Vec<UnmatchedReason> = unmatched_course_records(&p, &completed)
            .into_iter()
            .map(|u| u.reason)
            .collect();
        assert_eq!(
            reasons,
            [UnmatchedReason::Repeated, UnmatchedReason::NotConsecutive]
        );
        // The first record counts.
        let c = &course_credits(&p, &completed)[0];
        assert_eq!(
            c.awards[0].documented_on,
            Date::parse("2026-08-01").unwrap()
        );
    }

    #[test]
    fn a_practices_file_round_trips_and_names_the_bad_field() {
        let mut with_members = practice();
        let mut asked = documented("2025-2", "2026-08-01");
        asked.certificate_requested = true;
        let mut dr = member(
            "Dr. R",
            Role::Physician,
            vec![documented("2025-2", "2026-08-01")],
        );
        dr.asco_membership = Some(Membership::GoodStanding);
        let first = round("2025-2");
        with_members.members = vec![
            dr,
            member("Dr. S", Role::Physician, vec![]),
            member(
                "N. Haddad",
                Role::Nurse,
                vec![CourseRecord::new(first, first.next().unwrap(), None)],
            ),
            member("K. Patel", Role::OtherStaff, vec![asked]),
        ];
        let mut other = practice();
        other.id = PracticeId::new("P2").unwrap();
        let ps = Practices::from_list(vec![with_members, other]).unwrap();
        let json = ps.to_json();
        assert_eq!(Practices::from_json(&json).unwrap(), ps);
        // A practice without members writes no `members` key, as files did before.
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(value[1].get("members").is_none());
        assert_eq!(value[0]["members"][3]["role"], "other_staff");
        let ps = Practices::from_list(vec![practice()]).unwrap();
        assert_eq!(Practices::from_json(&ps.to_json()).unwrap(), ps);
        let err = Practices::from_json(
            r#"[{"id":"P1","name":"x","registered_on":"2025-01-01","tracks":[],
                "corresponding_physician":{"name":"y","asco_membership":"gold"}}]"#,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("[0].corresponding_physician.asco_membership"),
            "{err}"
        );
        let dup = Practices::from_list(vec![practice(), practice()]).unwrap_err();
        assert_eq!(dup, PracticesError::Duplicate("P1".into()));
    }

    fn file_with_member(member: &str) -> String {
        format!(
            r#"[{{"id":"P1","name":"x","registered_on":"2025-01-01","tracks":["core"],
                "members":[{{"name":"Dr. R","role":"physician"}}, {member}]}}]"#
        )
    }

    #[test]
    fn a_membership_status_on_a_member_who_is_not_a_physician_is_refused() {
        let err = Practices::from_json(&file_with_member(
            r#"{"name":"N. Haddad","role":"nurse","asco_membership":"good_standing"}"#,
        ))
        .unwrap_err();
        assert!(
            matches!(
                &err,
                PracticesError::MembershipOfNonPhysician {
                    member: 1,
                    role: Role::Nurse,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "practice `P1`, `members[1]` (`N. Haddad`): `asco_membership` is for physicians, \
             and this member's role is `nurse`"
        );
        // A physician may leave it out, and may give it.
        assert!(
            Practices::from_json(&file_with_member(
                r#"{"name":"Dr. S","role":"physician","asco_membership":"lapsed"}"#
            ))
            .is_ok()
        );
    }

    #[test]
    fn a_course_record_for_rounds_that_are_not_consecutive_is_refused() {
        let err = Practices::from_json(&file_with_member(
            r#"{"name":"K. Patel","role":"other_staff",
                "course":[{"first":"2025-2","second":"2026-2"}]}"#,
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "practice `P1`, `members[1]` (`K. Patel`): the course record for rounds `2025-2` \
             and `2026-2` is not for two consecutive rounds (`second` must be the round after \
             `first`)"
        );
        // Backwards is not consecutive either.
        let err = Practices::from_json(&file_with_member(
            r#"{"name":"K. Patel","role":"other_staff",
                "course":[{"first":"2026-1","second":"2025-2"}]}"#,
        ))
        .unwrap_err();
        assert!(
            matches!(err, PracticesError::RoundsNotConsecutive { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn a_course_record_repeated_for_the_same_pair_is_refused() {
        let err = Practices::from_json(&file_with_member(
            r#"{"name":"M. Okafor","role":"nurse",
                "course":[{"first":"2025-2","second":"2026-1","documented_on":"2026-08-01"},
                          {"first":"2025-2","second":"2026-1"}]}"#,
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "practice `P1`, `members[1]` (`M. Okafor`): the course record for rounds `2025-2` \
             and `2026-1` is given twice"
        );
    }

    #[test]
    fn a_member_with_an_unknown_role_or_field_is_refused_with_its_path() {
        let err = Practices::from_json(&file_with_member(r#"{"name":"A","role":"surgeon"}"#))
            .unwrap_err();
        assert!(err.to_string().contains("[0].members[1].role"), "{err}");
        let err = Practices::from_json(&file_with_member(
            r#"{"name":"A","role":"nurse","course":[{"first":"2025-2","second":"2026-1","grade":1}]}"#,
        ))
        .unwrap_err();
        assert!(
            err.to_string().contains("[0].members[1].course[0]"),
            "{err}"
        );
    }
}
