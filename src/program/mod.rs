//! The program facts the benchmark rests on: practices and their registration (tracks,
//! corresponding physician, QOPI administrator), participation per round, and the
//! two-consecutive-rounds course credit.
//!
//! ```
//! use oncoqual::program::{Practice, Practices};
//! let file = r#"[{"id": "P0001", "name": "Lakeside Oncology", "registered_on": "2025-11-02",
//!   "tracks": ["core", "qcp"],
//!   "corresponding_physician": {"name": "Dr. A. Rivera", "asco_membership": "good_standing"},
//!   "administrator": {"name": "J. Chen"}}]"#;
//! let practices = Practices::from_json(file).unwrap();
//! let p: &Practice = practices.get_str("P0001").unwrap();
//! assert!(p.registration_problems().is_empty());
//! assert!(p.registered_for(&["core", "qcp"]));
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::chart::{Date, PracticeId};
use crate::round::RoundId;

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
}

/// Why a registration is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationProblem {
    /// No corresponding physician is designated.
    #[error("no corresponding physician is designated")]
    NoCorrespondingPhysician,
    /// The corresponding physician is not an ASCO member in good standing.
    #[error("the corresponding physician is not an ASCO member in good standing ({0:?})")]
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
            let path = crate::io::field_path(e.path(), |_| true);
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

    /// Practices from a list; a repeated id is an error.
    pub fn from_list(list: Vec<Practice>) -> Result<Practices, PracticesError> {
        let mut by_id = BTreeMap::new();
        for p in list {
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

/// The ASCO University course credit for completing two consecutive rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CourseCredit {
    /// The first of the two consecutive completed rounds.
    pub first: RoundId,
    /// The second.
    pub second: RoundId,
    /// ABIM Maintenance of Certification practice-assessment points.
    pub abim_practice_assessment_points: u32,
    /// AMA PRA Category 1 Credits.
    pub ama_pra_category_1_credits: u32,
    /// ANCC contact hours (CE units).
    pub ancc_ce_units: u32,
    /// Other staff receive certificates of participation.
    pub certificates_for_other_staff: bool,
}

impl fmt::Display for CourseCredit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rounds {} and {}: {} ABIM practice-assessment points, {} AMA PRA Category 1 Credits, \
             {} ANCC CE units; certificates of participation for other staff",
            self.first,
            self.second,
            self.abim_practice_assessment_points,
            self.ama_pra_category_1_credits,
            self.ancc_ce_units
        )
    }
}

/// The course credit earned by a round history: the latest pair of consecutive rounds in
/// which the practice completed a round (submitted at least `min_charts` charts), or `None`.
/// `history` maps each round to the charts submitted; order does not matter.
pub fn course_credit(history: &[(RoundId, u64)], min_charts: u64) -> Option<CourseCredit> {
    let mut done: Vec<RoundId> = history
        .iter()
        .filter(|(_, n)| *n >= min_charts.max(1))
        .map(|(r, _)| *r)
        .collect();
    done.sort();
    done.dedup();
    done.windows(2)
        .rev()
        .find(|w| w[0].next() == Some(w[1]))
        .map(|w| CourseCredit {
            first: w[0],
            second: w[1],
            abim_practice_assessment_points: 20,
            ama_pra_category_1_credits: 20,
            ancc_ce_units: 20,
            certificates_for_other_staff: true,
        })
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

    #[test]
    fn two_consecutive_completed_rounds_earn_the_course_credit() {
        let c = course_credit(&[(round("2026-1"), 30), (round("2025-2"), 25)], 1).unwrap();
        assert_eq!((c.first, c.second), (round("2025-2"), round("2026-1")));
        assert_eq!(
            (
                c.abim_practice_assessment_points,
                c.ama_pra_category_1_credits,
                c.ancc_ce_units
            ),
            (20, 20, 20)
        );
        // Not consecutive: 2025-1 and 2026-1 skip 2025-2.
        assert_eq!(
            course_credit(&[(round("2025-1"), 30), (round("2026-1"), 30)], 1),
            None
        );
        // A round without charts (or under the minimum) is not completed.
        assert_eq!(
            course_credit(&[(round("2025-2"), 0), (round("2026-1"), 30)], 1),
            None
        );
        assert_eq!(
            course_credit(&[(round("2025-2"), 5), (round("2026-1"), 30)], 10),
            None
        );
        assert_eq!(course_credit(&[], 1), None);
    }

    #[test]
    fn a_practices_file_round_trips_and_names_the_bad_field() {
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
}
