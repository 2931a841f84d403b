//! The practices file matching a synthetic run: each practice's name, registration date,
//! tracks, corresponding physician and administrator, drawn from the seed and the practice
//! index. Most registrations are valid; a few lack a role or have a lapsed member, so every
//! registration rule is exercised.

use super::config::SynthConfig;
use super::ids::practice_id;
use super::rng::Gen;
use crate::program::{Administrator, Membership, Physician, Practice, Practices};

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
const MODULES: [&str; 8] = [
    "breast",
    "colorectal",
    "lung",
    "symptom_toxicity",
    "pain",
    "end_of_life",
    "chemotherapy_safety",
    "other_solid",
];

/// The practices of `config` (`P0001` ... one per practice).
pub fn practices(config: &SynthConfig) -> Practices {
    let list = (0..config.practices.max(1))
        .map(|i| practice(config, i))
        .collect();
    // Ids are distinct by construction.
    Practices::from_list(list).unwrap_or_default()
}

fn practice(config: &SynthConfig, index: usize) -> Practice {
    let mut g = Gen::new(config.seed ^ 0x005E_ED0F_9AC7, index as u64);
    let name = format!("{} {}", g.pick(&PLACES), g.pick(&KINDS));
    let start = config.first_round.default_period().start;
    let registered_on = start.add_days(-g.int(30, 900)).unwrap_or(start);
    let mut tracks = vec!["core".to_owned()];
    if g.chance(0.8) {
        tracks.push("qcp".to_owned());
    }
    for m in MODULES {
        if g.chance(0.55) {
            tracks.push(m.to_owned());
        }
    }
    let mut p = Practice::new(practice_id(index as u64 + 1), name, registered_on, tracks);
    if g.chance(0.97) {
        let membership = if g.chance(0.95) {
            Membership::GoodStanding
        } else if g.chance(0.5) {
            Membership::Lapsed
        } else {
            Membership::NotMember
        };
        p.corresponding_physician = Some(Physician {
            name: format!(
                "Dr. {}",
                g.pick(&[
                    "A. Rivera",
                    "B. Okafor",
                    "C. Lindqvist",
                    "D. Tanaka",
                    "E. Novak"
                ])
            ),
            asco_membership: membership,
        });
    }
    if g.chance(0.97) {
        p.administrator = Some(Administrator {
            name: g
                .pick(&[
                    "J. Chen",
                    "K. Patel",
                    "L. Moreau",
                    "M. Schultz",
                    "N. Haddad",
                ])
                .to_owned(),
        });
    }
    p
}
