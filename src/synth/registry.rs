//! The practices file matching a synthetic run: each practice's name, registration date,
//! tracks, corresponding physician, administrator and members with their course records,
//! drawn from the seed and the practice index.
//!
//! Every practice registers for `core`, about 80% for `qcp`, and for module tracks: its own
//! module (the practice index walks [`MODULES`], so every module track of the catalog is
//! registered once there are as many practices as modules) and each other module by chance.
//!
//! Most registrations are valid. A few are invalid on purpose, by the practice index, so that
//! every registration rule is exercised (one practice in [`INVALID_EVERY`] each): no
//! corresponding physician, a corresponding physician whose ASCO membership lapsed or who is
//! not a member, no administrator, and a registration dated after the first round's
//! submission window closed (in time for the second round). When there are at least 3
//! practices, the last one is left out of the file altogether, so a run holds charts of a
//! practice that never registered.
//!
//! Members: the corresponding physician, 0–3 more physicians, 1–3 nurses and 0–2 other staff.
//! Most have a course record for the first round and the one after it, most of those
//! documented a few weeks after the second round ended; about half the other staff
//! requested a certificate of participation.

use std::collections::BTreeSet;

use super::config::SynthConfig;
use super::ids::practice_id;
use super::rng::Gen;
use crate::Date;
use crate::chart::round::RoundId;
use crate::program::{
    Administrator, CourseRecord, Member, Membership, Physician, Practice, Practices, Role,
};

const PLACES: [&str; 12] = [
    "Lakeside",
    "Riverside",
    "Hillcrest",
    "Northgate",
    "Cedar Valley",
    "Harbor",
    "Prairie",
    "Summit",
    "Bayview",
    "Oakwood",
    "Mesa",
    "Pinecrest",
];
const KINDS: [&str; 4] = [
    "Oncology",
    "Cancer Center",
    "Hematology-Oncology",
    "Cancer Care",
];
/// The module tracks of the catalog besides `core`, which every practice registers for.
pub(crate) const MODULES: [&str; 19] = [
    "symptom_toxicity",
    "end_of_life",
    "breast",
    "colorectal",
    "lung",
    "chemotherapy_safety",
    "lymphoma_nhl",
    "pain",
    "prostate",
    "gynecologic",
    "other_solid",
    "survivorship_care_coordination",
    "myeloma",
    "psychosocial",
    "immunotherapy_safety",
    "geriatric",
    "informational",
    "genetics",
    "fertility",
];
const INITIALS: [&str; 20] = [
    "A.", "B.", "C.", "D.", "E.", "F.", "G.", "H.", "I.", "J.", "K.", "L.", "M.", "N.", "O.", "P.",
    "R.", "S.", "T.", "V.",
];
const SURNAMES: [&str; 20] = [
    "Rivera",
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "Novak",
    "Chen",
    "Patel",
    "Moreau",
    "Schultz",
    "Haddad",
    "Kowalski",
    "Nguyen",
    "Adeyemi",
    "Fischer",
    "Santos",
    "Ivanova",
    "Murphy",
    "Rossi",
    "Kim",
    "Alvarez",
];

/// One practice in `INVALID_EVERY` has each kind of invalid registration.
pub(crate) const INVALID_EVERY: usize = 30;

/// The deliberately invalid registrations, by practice index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// No corresponding physician.
    NoPhysician,
    /// The corresponding physician's membership lapsed, or they are not a member.
    PhysicianNotInGoodStanding,
    /// No QOPI administrator.
    NoAdministrator,
    /// Registered after the first round's submission window closed.
    Late,
}

/// The invalid registration of practice `index`, if it has one.
pub(crate) fn invalid(index: usize) -> Option<Invalid> {
    match index % INVALID_EVERY {
        3 => Some(Invalid::NoPhysician),
        9 => Some(Invalid::PhysicianNotInGoodStanding),
        15 => Some(Invalid::NoAdministrator),
        21 => Some(Invalid::Late),
        _ => None,
    }
}

/// Whether practice `index` of `practices` is left out of the file (the last, when there
/// are at least 3).
pub(crate) fn unregistered(practices: usize, index: usize) -> bool {
    practices >= 3 && index.checked_add(1) == Some(practices)
}

/// The practices of `config` (`P0001` ... one per practice), except the last one when there
/// are at least 3: its charts belong to a practice that never registered.
pub fn practices(config: &SynthConfig) -> Practices {
    let n = config.practices.max(1);
    let list = (0..n)
        .filter(|&i| !unregistered(n, i))
        .map(|i| practice(config, i))
        .collect();
    // Ids are distinct and members follow the file's rules by construction.
    Practices::from_list(list).unwrap_or_default()
}

/// The days after the first round's period ends on which a late practice registers: after
/// the round's submission window (closing on the last day of the second month after the
/// period) and in time for the next round.
const LATE_BY_DAYS: i64 = 120;

fn practice(config: &SynthConfig, index: usize) -> Practice {
    let mut g = Gen::new(config.seed ^ 0x005E_ED0F_9AC7, index as u64);
    let bad = invalid(index);
    let name = format!("{} {}", g.pick(&PLACES), g.pick(&KINDS));
    let period = config.first_round.default_period();
    let early = period
        .start
        .add_days(g.int(30, 900).saturating_neg())
        .unwrap_or(period.start);
    let registered_on = if bad == Some(Invalid::Late) {
        period.end.add_days(LATE_BY_DAYS).unwrap_or(period.end)
    } else {
        early
    };
    let mut tracks = vec!["core".to_owned()];
    if g.chance(0.8) {
        tracks.push("qcp".to_owned());
    }
    let own = index.checked_rem(MODULES.len()).unwrap_or(0);
    for (k, m) in MODULES.iter().enumerate() {
        if g.chance(0.3) || k == own {
            tracks.push((*m).to_owned());
        }
    }
    // `index` is below the practice count, a `usize`, so the 1-based number never saturates.
    let number = (index as u64).saturating_add(1);
    let mut p = Practice::new(practice_id(number), name, registered_on, tracks);
    let mut used = BTreeSet::new();

    let membership = match bad {
        Some(Invalid::PhysicianNotInGoodStanding) if (index / INVALID_EVERY).is_multiple_of(2) => {
            Membership::Lapsed
        }
        Some(Invalid::PhysicianNotInGoodStanding) => Membership::NotMember,
        _ => Membership::GoodStanding,
    };
    let physician = person(&mut g, &mut used, "Dr. ");
    if bad != Some(Invalid::NoPhysician)
        && let Some(name) = &physician
    {
        p.corresponding_physician = Some(Physician {
            name: name.clone(),
            asco_membership: membership,
        });
        let mut m = Member::new(name.clone(), Role::Physician);
        m.asco_membership = Some(membership);
        p.members.push(m);
    }
    let administrator = person(&mut g, &mut used, "");
    if bad != Some(Invalid::NoAdministrator) {
        p.administrator = administrator.map(|name| Administrator { name });
    }

    for _ in 0..g.int(0, 3) {
        let standing = if g.chance(0.2) {
            None
        } else if g.chance(0.9) {
            Some(Membership::GoodStanding)
        } else {
            Some(Membership::Lapsed)
        };
        if let Some(name) = person(&mut g, &mut used, "Dr. ") {
            let mut m = Member::new(name, Role::Physician);
            m.asco_membership = standing;
            p.members.push(m);
        }
    }
    for (role, lo, hi) in [(Role::Nurse, 1, 3), (Role::OtherStaff, 0, 2)] {
        for _ in 0..g.int(lo, hi) {
            if let Some(name) = person(&mut g, &mut used, "") {
                p.members.push(Member::new(name, role));
            }
        }
    }

    if let Some(second) = config.first_round.next() {
        for m in &mut p.members {
            if let Some(r) = course_record(&mut g, config.first_round, second, m.role) {
                m.course.push(r);
            }
        }
    }
    p
}

/// A member's record for the course of `first` and `second`: most members have one, most
/// of those documented 2–6 weeks after the second round ended.
fn course_record(g: &mut Gen, first: RoundId, second: RoundId, role: Role) -> Option<CourseRecord> {
    if !g.chance(0.85) {
        return None;
    }
    let end: Date = second.default_period().end;
    let documented_on = g.chance(0.8).then(|| end.add_days(g.int(14, 42)));
    let mut r = CourseRecord::new(first, second, documented_on.flatten());
    r.certificate_requested = role == Role::OtherStaff && g.chance(0.5);
    Some(r)
}

/// A synthetic name not yet used in the practice (`None` if several draws collide).
fn person(g: &mut Gen, used: &mut BTreeSet<String>, title: &str) -> Option<String> {
    for _ in 0..4 {
        let name = format!("{title}{} {}", g.pick(&INITIALS), g.pick(&SURNAMES));
        if used.insert(name.clone()) {
            return Some(name);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Library;

    fn demo() -> SynthConfig {
        SynthConfig::new(50_000, 200, 2, 1)
    }

    #[test]
    fn every_track_of_every_bundled_measure_is_registered_by_a_valid_practice() {
        let ps = practices(&demo());
        let lib = Library::bundled().unwrap();
        let valid: Vec<&Practice> = ps
            .iter()
            .filter(|p| p.registration_problems().is_empty())
            .collect();
        let mut tracks = BTreeSet::new();
        for m in lib.measures() {
            for t in &m.tracks {
                tracks.insert(t.clone());
            }
        }
        assert!(tracks.len() >= 21, "{tracks:?}");
        for t in &tracks {
            assert!(
                valid.iter().any(|p| p.tracks.contains(t)),
                "no valid registration for track `{t}`"
            );
        }
        // And the list of modules is the catalog's: no track registered that no measure has.
        for m in MODULES {
            assert!(tracks.contains(m), "`{m}` is not a track of the library");
        }
        assert!(
            ps.iter()
                .all(|p| p.tracks.first().is_some_and(|t| t == "core"))
        );
    }

    #[test]
    fn every_kind_of_invalid_registration_is_present_and_most_are_valid() {
        let config = demo();
        let ps = practices(&config);
        let problems: Vec<String> = ps
            .iter()
            .flat_map(|p| p.registration_problems())
            .map(|p| p.to_string())
            .collect();
        for (kind, n) in [
            ("no corresponding physician", 0),
            (
                "not an ASCO member in good standing (membership: lapsed)",
                0,
            ),
            (
                "not an ASCO member in good standing (membership: not a member)",
                0,
            ),
            ("no QOPI administrator", 0),
        ] {
            let count = problems.iter().filter(|p| p.contains(kind)).count();
            assert!(count > n, "no registration with `{kind}`: {problems:?}");
            assert!(count <= ps.len() / 20, "too many `{kind}`: {count}");
        }
        let valid = ps
            .iter()
            .filter(|p| p.registration_problems().is_empty())
            .count();
        assert!(valid * 100 >= ps.len() * 85, "{valid} of {}", ps.len());

        // Late: after the first round's window closed (the last day of the second month
        // after its period), in time for the second round.
        let first = config.first_round;
        let closes = Date::from_ymd(i32::from(first.year()), 8, 31).unwrap();
        assert_eq!(first.to_string(), "2026-1");
        let late: Vec<&Practice> = ps.iter().filter(|p| p.registered_on > closes).collect();
        assert!(!late.is_empty());
        assert!(late.len() <= ps.len() / 20);
        let second_closes = Date::from_ymd(i32::from(first.year()) + 1, 2, 28).unwrap();
        assert!(late.iter().all(|p| p.registered_on <= second_closes));
        // The others registered before the first round began.
        let start = first.default_period().start;
        assert!(
            ps.iter()
                .filter(|p| p.registered_on <= closes)
                .all(|p| p.registered_on < start)
        );
    }

    #[test]
    fn the_last_practice_is_left_out_of_the_file() {
        let ps = practices(&demo());
        assert_eq!(ps.len(), 199);
        assert!(ps.get(&practice_id(200)).is_none());
        assert!(ps.get(&practice_id(199)).is_some());
        // With fewer than 3 practices, every one is registered.
        assert_eq!(practices(&SynthConfig::new(10, 2, 1, 1)).len(), 2);
        assert_eq!(practices(&SynthConfig::new(10, 3, 1, 1)).len(), 2);
    }

    #[test]
    fn members_have_each_role_and_course_records_for_the_first_two_rounds() {
        let config = demo();
        let ps = practices(&config);
        let first = config.first_round;
        let second = first.next().unwrap();
        let members: Vec<&Member> = ps.iter().flat_map(|p| &p.members).collect();
        for p in ps.iter() {
            let count = |role| p.members.iter().filter(|m| m.role == role).count();
            let cp = usize::from(p.corresponding_physician.is_some());
            assert!((cp..=cp + 3).contains(&count(Role::Physician)), "{p:?}");
            assert!((1..=3).contains(&count(Role::Nurse)), "{p:?}");
            assert!(count(Role::OtherStaff) <= 2, "{p:?}");
            if let Some(cp) = &p.corresponding_physician {
                assert_eq!(p.members[0].name, cp.name);
                assert_eq!(p.members[0].asco_membership, Some(cp.asco_membership));
            }
        }
        let records: Vec<&CourseRecord> = members.iter().flat_map(|m| &m.course).collect();
        assert!(
            records
                .iter()
                .all(|r| (r.first, r.second) == (first, second))
        );
        assert!(records.len() * 100 > members.len() * 70);
        let documented = records.iter().filter(|r| r.documented_on.is_some()).count();
        assert!(documented > records.len() / 2 && documented < records.len());
        let end = second.default_period().end;
        assert!(
            records
                .iter()
                .filter_map(|r| r.documented_on)
                .all(|d| d > end)
        );
        let staff: Vec<&CourseRecord> = members
            .iter()
            .filter(|m| m.role == Role::OtherStaff)
            .flat_map(|m| &m.course)
            .collect();
        let asked = staff.iter().filter(|r| r.certificate_requested).count();
        assert!(
            asked > 0 && asked < staff.len(),
            "{asked} of {}",
            staff.len()
        );
        assert!(
            members
                .iter()
                .filter(|m| m.role != Role::OtherStaff)
                .flat_map(|m| &m.course)
                .all(|r| !r.certificate_requested)
        );
        // Every practice opens its first course once it completes both rounds.
        let courses: usize = ps
            .iter()
            .map(|p| crate::program::course_credits(p, &[first, second]).len())
            .sum();
        assert_eq!(courses, ps.len());
    }

    #[test]
    fn the_practices_file_is_the_same_for_a_seed_and_reads_back() {
        let a = practices(&demo());
        assert_eq!(a, practices(&demo()));
        assert_ne!(a, practices(&SynthConfig::new(50_000, 200, 2, 2)));
        assert_eq!(Practices::from_json(&a.to_json()).unwrap(), a);
    }
}
