//! Cancer types and their mix, histology, stage and TNM, tumour biology, recurrence, and the
//! `diagnoses` record that documents them (or leaves parts missing).

use super::context::{Ctx, dec, int};
use super::dates::{days, months};
use super::facts::{DxFacts, Markers, is_heme};
use super::ids::diagnosis_id;
use super::rng::Gen;
use crate::chart::{
    CancerType as C, Diagnosis, Grade, HistologyGroup as H, MCategory as M, NCategory as N,
    ProstateRiskGroup as Risk, StageGroup as S, StagingSystem as Sys, TCategory as T,
};
use smol_str::SmolStr;

use crate::{Code, Date};

/// How a cancer type presents: its share of charts, typical age, sex, histology, sites and
/// stage distribution.
pub(crate) struct Profile {
    pub(crate) cancer: C,
    /// Share of adult charts, per 10,000.
    adult_weight: u32,
    /// Share of paediatric charts, per 100.
    child_weight: u32,
    pub(crate) mean_age: u8,
    pub(crate) female_pct: u8,
    histologies: &'static [((H, &'static str), u32)],
    sites: &'static [(&'static str, u32)],
    staging: Sys,
    stages: &'static [(S, u32)],
    /// Percent diagnosed in situ (stage 0, not invasive), with the in situ morphology code.
    in_situ: (u32, &'static str),
}

const NO_IN_SITU: (u32, &str) = (0, "");
const TNM_I_IV: &[(S, u32)] = &[
    (S::I, 22),
    (S::II, 22),
    (S::III, 26),
    (S::IV, 28),
    (S::Unknown, 2),
];
const MARROW: &[(&str, u32)] = &[("C42.1", 1)];
const NODES: &[(&str, u32)] = &[("C77.9", 5), ("C77.0", 2), ("C77.2", 2), ("C77.3", 1)];

/// The cancer-type mix.
pub(crate) const PROFILES: &[Profile] = &[
    Profile {
        cancer: C::Breast,
        adult_weight: 2100,
        child_weight: 0,
        mean_age: 61,
        female_pct: 99,
        histologies: &[
            ((H::Ductal, "8500/3"), 75),
            ((H::Lobular, "8520/3"), 15),
            ((H::OtherCarcinoma, "8522/3"), 7),
            ((H::Unknown, "8010/3"), 3),
        ],
        sites: &[
            ("C50.9", 35),
            ("C50.4", 30),
            ("C50.2", 15),
            ("C50.1", 10),
            ("C50.8", 10),
        ],
        staging: Sys::AjccTnm,
        stages: &[
            (S::IA, 38),
            (S::IB, 3),
            (S::IIA, 20),
            (S::IIB, 10),
            (S::IIIA, 6),
            (S::IIIB, 2),
            (S::IIIC, 3),
            (S::IV, 8),
        ],
        in_situ: (12, "8500/2"),
    },
    Profile {
        cancer: C::Colon,
        adult_weight: 750,
        child_weight: 0,
        mean_age: 67,
        female_pct: 50,
        histologies: &[
            ((H::Adenocarcinoma, "8140/3"), 90),
            ((H::OtherCarcinoma, "8480/3"), 8),
            ((H::Unknown, "8010/3"), 2),
        ],
        sites: &[
            ("C18.0", 20),
            ("C18.2", 20),
            ("C18.4", 10),
            ("C18.7", 35),
            ("C18.9", 15),
        ],
        staging: Sys::AjccTnm,
        stages: &[
            (S::I, 18),
            (S::IIA, 15),
            (S::IIB, 3),
            (S::IIC, 2),
            (S::IIIA, 4),
            (S::IIIB, 14),
            (S::IIIC, 6),
            (S::IVA, 12),
            (S::IVB, 8),
            (S::IVC, 3),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Rectum,
        adult_weight: 300,
        child_weight: 0,
        mean_age: 63,
        female_pct: 42,
        histologies: &[
            ((H::Adenocarcinoma, "8140/3"), 94),
            ((H::OtherCarcinoma, "8480/3"), 6),
        ],
        sites: &[("C20.9", 85), ("C19.9", 15)],
        staging: Sys::AjccTnm,
        stages: &[
            (S::I, 20),
            (S::IIA, 12),
            (S::IIB, 3),
            (S::IIIA, 5),
            (S::IIIB, 15),
            (S::IIIC, 7),
            (S::IVA, 10),
            (S::IVB, 6),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::LungNsclc,
        adult_weight: 1050,
        child_weight: 0,
        mean_age: 69,
        female_pct: 50,
        histologies: &[
            ((H::Adenocarcinoma, "8140/3"), 55),
            ((H::SquamousCell, "8070/3"), 28),
            ((H::LargeCell, "8012/3"), 3),
            ((H::NsclcNos, "8046/3"), 10),
            ((H::OtherCarcinoma, "8560/3"), 4),
        ],
        sites: &[("C34.1", 40), ("C34.3", 30), ("C34.2", 5), ("C34.9", 25)],
        staging: Sys::AjccTnm,
        stages: &[
            (S::IA1, 4),
            (S::IA2, 8),
            (S::IA3, 6),
            (S::IB, 8),
            (S::IIA, 3),
            (S::IIB, 9),
            (S::IIIA, 12),
            (S::IIIB, 8),
            (S::IIIC, 3),
            (S::IVA, 22),
            (S::IVB, 17),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::LungSclc,
        adult_weight: 180,
        child_weight: 0,
        mean_age: 68,
        female_pct: 50,
        histologies: &[((H::SmallCell, "8041/3"), 1)],
        sites: &[("C34.1", 50), ("C34.9", 50)],
        staging: Sys::AjccTnm,
        stages: &[
            (S::IIB, 4),
            (S::IIIA, 14),
            (S::IIIB, 12),
            (S::IVA, 30),
            (S::IVB, 40),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Nhl,
        adult_weight: 500,
        child_weight: 10,
        mean_age: 66,
        female_pct: 45,
        histologies: &[
            ((H::Dlbcl, "9680/3"), 45),
            ((H::Follicular, "9690/3"), 25),
            ((H::MantleCell, "9673/3"), 7),
            ((H::MarginalZone, "9699/3"), 10),
            ((H::OtherLymphoma, "9591/3"), 13),
        ],
        sites: NODES,
        staging: Sys::LuganoAnnArbor,
        stages: &[
            (S::I, 15),
            (S::II, 20),
            (S::III, 20),
            (S::IV, 43),
            (S::Unknown, 2),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::HodgkinLymphoma,
        adult_weight: 80,
        child_weight: 15,
        mean_age: 38,
        female_pct: 45,
        histologies: &[((H::OtherLymphoma, "9650/3"), 1)],
        sites: NODES,
        staging: Sys::LuganoAnnArbor,
        stages: &[(S::I, 10), (S::II, 45), (S::III, 20), (S::IV, 25)],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Myeloma,
        adult_weight: 380,
        child_weight: 0,
        mean_age: 69,
        female_pct: 45,
        histologies: &[((H::PlasmaCell, "9732/3"), 1)],
        sites: MARROW,
        staging: Sys::Iss,
        stages: &[(S::I, 34), (S::II, 34), (S::III, 30), (S::Unknown, 2)],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Leukemia,
        adult_weight: 220,
        child_weight: 40,
        mean_age: 66,
        female_pct: 42,
        histologies: &[((H::Other, "9861/3"), 1)],
        sites: MARROW,
        staging: Sys::NoneStandard,
        stages: &[(S::NotApplicable, 95), (S::Unknown, 5)],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Prostate,
        adult_weight: 750,
        child_weight: 0,
        mean_age: 68,
        female_pct: 0,
        histologies: &[((H::Adenocarcinoma, "8140/3"), 1)],
        sites: &[("C61.9", 1)],
        staging: Sys::AjccTnm,
        stages: &[(S::I, 1)],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Ovary,
        adult_weight: 300,
        child_weight: 0,
        mean_age: 62,
        female_pct: 100,
        histologies: &[
            ((H::HighGradeSerous, "8461/3"), 70),
            ((H::OtherEpithelialOvarian, "8310/3"), 20),
            ((H::Endometrioid, "8380/3"), 10),
        ],
        sites: &[("C56.9", 85), ("C57.0", 8), ("C48.2", 7)],
        staging: Sys::Figo,
        stages: &[
            (S::IA, 5),
            (S::IB, 2),
            (S::IC, 8),
            (S::IIA, 3),
            (S::IIB, 4),
            (S::IIIA, 5),
            (S::IIIB, 5),
            (S::IIIC, 40),
            (S::IVA, 10),
            (S::IVB, 18),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Cervix,
        adult_weight: 130,
        child_weight: 0,
        mean_age: 50,
        female_pct: 100,
        histologies: &[
            ((H::SquamousCell, "8070/3"), 75),
            ((H::Adenocarcinoma, "8140/3"), 22),
            ((H::Other, "8560/3"), 3),
        ],
        sites: &[("C53.9", 1)],
        staging: Sys::Figo,
        stages: &[
            (S::IA1, 3),
            (S::IA2, 2),
            (S::IB1, 12),
            (S::IB2, 10),
            (S::IB3, 8),
            (S::IIA1, 3),
            (S::IIA2, 3),
            (S::IIB, 18),
            (S::IIIA, 2),
            (S::IIIB, 8),
            (S::IIIC1, 12),
            (S::IIIC2, 4),
            (S::IVA, 5),
            (S::IVB, 10),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Endometrium,
        adult_weight: 280,
        child_weight: 0,
        mean_age: 63,
        female_pct: 100,
        histologies: &[
            ((H::Endometrioid, "8380/3"), 80),
            ((H::OtherCarcinoma, "8441/3"), 12),
            ((H::Other, "8950/3"), 8),
        ],
        sites: &[("C54.1", 1)],
        staging: Sys::Figo,
        stages: &[
            (S::IA, 45),
            (S::IB, 15),
            (S::II, 8),
            (S::IIIA, 4),
            (S::IIIB, 2),
            (S::IIIC1, 7),
            (S::IIIC2, 4),
            (S::IVA, 2),
            (S::IVB, 13),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Melanoma,
        adult_weight: 280,
        child_weight: 0,
        mean_age: 60,
        female_pct: 42,
        histologies: &[((H::Melanoma, "8720/3"), 1)],
        sites: &[("C44.5", 35), ("C44.6", 20), ("C44.7", 20), ("C44.3", 25)],
        staging: Sys::AjccTnm,
        stages: &[
            (S::IA, 30),
            (S::IB, 15),
            (S::IIA, 8),
            (S::IIB, 6),
            (S::IIC, 4),
            (S::IIIA, 5),
            (S::IIIB, 7),
            (S::IIIC, 8),
            (S::IV, 17),
        ],
        in_situ: (15, "8720/2"),
    },
    Profile {
        cancer: C::HeadAndNeck,
        adult_weight: 300,
        child_weight: 0,
        mean_age: 62,
        female_pct: 25,
        histologies: &[
            ((H::SquamousCell, "8070/3"), 92),
            ((H::OtherCarcinoma, "8200/3"), 8),
        ],
        sites: &[
            ("C01.9", 18),
            ("C09.9", 18),
            ("C10.9", 6),
            ("C02.4", 3),
            ("C32.9", 20),
            ("C02.9", 10),
            ("C06.9", 10),
            ("C11.9", 5),
            ("C04.9", 10),
        ],
        staging: Sys::AjccTnm,
        stages: &[
            (S::I, 15),
            (S::II, 12),
            (S::III, 18),
            (S::IVA, 35),
            (S::IVB, 10),
            (S::IVC, 10),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Bladder,
        adult_weight: 300,
        child_weight: 0,
        mean_age: 72,
        female_pct: 25,
        histologies: &[
            ((H::Urothelial, "8120/3"), 90),
            ((H::SquamousCell, "8070/3"), 4),
            ((H::OtherCarcinoma, "8131/3"), 6),
        ],
        sites: &[("C67.9", 1)],
        staging: Sys::AjccTnm,
        stages: &[
            (S::I, 38),
            (S::II, 18),
            (S::IIIA, 10),
            (S::IIIB, 4),
            (S::IVA, 6),
            (S::IVB, 8),
        ],
        in_situ: (35, "8120/2"),
    },
    Profile {
        cancer: C::Kidney,
        adult_weight: 180,
        child_weight: 0,
        mean_age: 64,
        female_pct: 35,
        histologies: &[
            ((H::OtherCarcinoma, "8310/3"), 80),
            ((H::Other, "8260/3"), 20),
        ],
        sites: &[("C64.9", 1)],
        staging: Sys::AjccTnm,
        stages: &[(S::I, 45), (S::II, 10), (S::III, 20), (S::IV, 25)],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Pancreas,
        adult_weight: 300,
        child_weight: 0,
        mean_age: 70,
        female_pct: 48,
        histologies: &[
            ((H::Adenocarcinoma, "8140/3"), 90),
            ((H::Other, "8246/3"), 10),
        ],
        sites: &[("C25.0", 60), ("C25.9", 40)],
        staging: Sys::AjccTnm,
        stages: &[
            (S::IA, 5),
            (S::IB, 8),
            (S::IIA, 5),
            (S::IIB, 15),
            (S::III, 20),
            (S::IV, 47),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::GastricGej,
        adult_weight: 180,
        child_weight: 0,
        mean_age: 67,
        female_pct: 35,
        histologies: &[
            ((H::Adenocarcinoma, "8140/3"), 95),
            ((H::Other, "8936/3"), 5),
        ],
        sites: &[("C16.0", 40), ("C16.9", 60)],
        staging: Sys::AjccTnm,
        stages: &[
            (S::I, 15),
            (S::IIA, 8),
            (S::IIB, 8),
            (S::IIIA, 8),
            (S::IIIB, 6),
            (S::IIIC, 5),
            (S::IV, 50),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Esophagus,
        adult_weight: 130,
        child_weight: 0,
        mean_age: 67,
        female_pct: 22,
        histologies: &[
            ((H::Adenocarcinoma, "8140/3"), 60),
            ((H::SquamousCell, "8070/3"), 40),
        ],
        sites: &[("C15.5", 60), ("C15.9", 40)],
        staging: Sys::AjccTnm,
        stages: &[
            (S::I, 10),
            (S::II, 20),
            (S::III, 30),
            (S::IVA, 15),
            (S::IVB, 25),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Liver,
        adult_weight: 90,
        child_weight: 0,
        mean_age: 65,
        female_pct: 25,
        histologies: &[((H::OtherCarcinoma, "8170/3"), 1)],
        sites: &[("C22.0", 1)],
        staging: Sys::AjccTnm,
        stages: &[
            (S::I, 20),
            (S::II, 20),
            (S::IIIA, 15),
            (S::IIIB, 15),
            (S::IVA, 10),
            (S::IVB, 20),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Testis,
        adult_weight: 40,
        child_weight: 5,
        mean_age: 33,
        female_pct: 0,
        histologies: &[((H::Other, "9061/3"), 55), ((H::Other, "9065/3"), 45)],
        sites: &[("C62.9", 1)],
        staging: Sys::AjccTnm,
        stages: &[
            (S::I, 55),
            (S::IIA, 10),
            (S::IIB, 8),
            (S::IIC, 5),
            (S::IIIA, 8),
            (S::IIIB, 7),
            (S::IIIC, 7),
        ],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::GestationalTrophoblastic,
        adult_weight: 5,
        child_weight: 0,
        mean_age: 30,
        female_pct: 100,
        histologies: &[((H::Other, "9100/3"), 1)],
        sites: &[("C58.9", 1)],
        staging: Sys::Figo,
        stages: &[(S::I, 50), (S::II, 10), (S::III, 30), (S::IV, 10)],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::BrainCns,
        adult_weight: 90,
        child_weight: 15,
        mean_age: 58,
        female_pct: 42,
        histologies: &[((H::Other, "9440/3"), 1)],
        sites: &[("C71.9", 1)],
        staging: Sys::Other,
        stages: &[(S::NotApplicable, 1)],
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::Sarcoma,
        adult_weight: 90,
        child_weight: 10,
        mean_age: 55,
        female_pct: 48,
        histologies: &[((H::Sarcoma, "8800/3"), 1)],
        sites: &[("C49.9", 60), ("C49.2", 40)],
        staging: Sys::AjccTnm,
        stages: TNM_I_IV,
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::OtherSolid,
        adult_weight: 120,
        child_weight: 5,
        mean_age: 64,
        female_pct: 50,
        histologies: &[
            ((H::OtherCarcinoma, "8010/3"), 70),
            ((H::Unknown, "8000/3"), 30),
        ],
        sites: &[("C80.9", 40), ("C73.9", 30), ("C24.0", 30)],
        staging: Sys::AjccTnm,
        stages: TNM_I_IV,
        in_situ: NO_IN_SITU,
    },
    Profile {
        cancer: C::OtherHeme,
        adult_weight: 100,
        child_weight: 0,
        mean_age: 72,
        female_pct: 42,
        histologies: &[((H::Other, "9989/3"), 60), ((H::Other, "9950/3"), 40)],
        sites: MARROW,
        staging: Sys::NoneStandard,
        stages: &[(S::NotApplicable, 1)],
        in_situ: NO_IN_SITU,
    },
];

/// A cancer chosen but not yet dated or written down.
pub(crate) struct Draft {
    pub(crate) profile: &'static Profile,
    pub(crate) stage: S,
    pub(crate) level: u8,
    pub(crate) invasive: bool,
    pub(crate) histology: H,
    morphology: &'static str,
    site: &'static str,
    pub(crate) subtype: u8,
    risk: Option<Risk>,
}

/// The stage level (0-4) of a stage group; 5 when not staged.
pub(crate) fn level_of(stage: S) -> u8 {
    match stage {
        S::Stage0 => 0,
        S::I | S::IA | S::IA1 | S::IA2 | S::IA3 | S::IB | S::IB1 | S::IB2 | S::IB3 | S::IC => 1,
        S::II | S::IIA | S::IIA1 | S::IIA2 | S::IIB | S::IIC => 2,
        S::III | S::IIIA | S::IIIB | S::IIIC | S::IIIC1 | S::IIIC2 => 3,
        S::IV | S::IVA | S::IVB | S::IVC => 4,
        S::NotApplicable | S::Unknown => 5,
    }
}

fn pick_profile(g: &mut Gen, pediatric: bool) -> &'static Profile {
    let weight = |p: &Profile| {
        if pediatric {
            p.child_weight
        } else {
            p.adult_weight
        }
    };
    let total: u32 = PROFILES.iter().map(weight).sum();
    // `r` stays within ±2^32 (weights are `u32`, their sum too): nothing saturates.
    let mut r = g.int(0, i64::from(total).saturating_sub(1));
    for p in PROFILES {
        r = r.saturating_sub(i64::from(weight(p)));
        if r < 0 {
            return p;
        }
    }
    #[allow(
        clippy::indexing_slicing,
        reason = "`PROFILES` is a non-empty constant table"
    )]
    let first = &PROFILES[0];
    first
}

/// Chooses a cancer: type, histology, stage (and prostate risk group).
pub(crate) fn choose(g: &mut Gen, pediatric: bool) -> Draft {
    let profile = pick_profile(g, pediatric);
    choose_profile(g, profile, pediatric)
}

/// Chooses a cancer of a given type.
pub(crate) fn choose_profile(g: &mut Gen, profile: &'static Profile, pediatric: bool) -> Draft {
    let (histology, mut morphology) = g
        .weighted(profile.histologies)
        .unwrap_or((H::Unknown, "8000/3"));
    let site = g.weighted(profile.sites).unwrap_or("C80.9");
    let mut subtype = 0;
    let mut risk = None;
    let mut stage = g.weighted(profile.stages).unwrap_or(S::Unknown);
    let mut invasive = true;
    match profile.cancer {
        C::Leukemia => {
            subtype = if pediatric {
                2
            } else {
                g.weighted(&[(0u8, 35), (1, 55), (2, 10)]).unwrap_or(1)
            };
            morphology = match subtype {
                0 => "9861/3",
                1 => "9823/3",
                _ => "9811/3",
            };
        }
        C::OtherHeme => subtype = u8::from(morphology == "9950/3"),
        C::Prostate => {
            let r = g
                .weighted(&[
                    (Some(Risk::VeryLow), 6),
                    (Some(Risk::Low), 18),
                    (Some(Risk::FavorableIntermediate), 20),
                    (Some(Risk::UnfavorableIntermediate), 17),
                    (Some(Risk::High), 17),
                    (Some(Risk::VeryHigh), 8),
                    (None, 12),
                ])
                .flatten();
            stage = match r {
                Some(Risk::VeryLow | Risk::Low) => S::I,
                Some(Risk::FavorableIntermediate) => g.pick(&[S::IIA, S::IIB]),
                Some(Risk::UnfavorableIntermediate) => g.pick(&[S::IIB, S::IIC]),
                Some(Risk::High) => g.pick(&[S::IIC, S::IIIA, S::IIIB]),
                Some(_) => g.pick(&[S::IIIB, S::IIIC, S::IVA]),
                None => S::IVB,
            };
            risk = r;
        }
        _ => {}
    }
    if profile.in_situ.0 > 0 && g.chance(f64::from(profile.in_situ.0) / 100.0) {
        stage = S::Stage0;
        invasive = false;
        morphology = profile.in_situ.1;
    }
    Draft {
        profile,
        stage,
        level: level_of(stage),
        invasive,
        histology,
        morphology,
        site,
        subtype,
        risk,
    }
}

/// Stage IV that is only locally advanced (no distant metastases).
fn locally_advanced(cancer: C, stage: S) -> bool {
    match cancer {
        C::HeadAndNeck => matches!(stage, S::IVA | S::IVB),
        C::Cervix | C::Endometrium | C::Bladder | C::Esophagus | C::Liver | C::Prostate => {
            stage == S::IVA
        }
        _ => false,
    }
}

/// The true tumour biology of a cancer.
fn biology(g: &mut Gen, d: &Draft, oropharynx: bool) -> Markers {
    let mut m = Markers::default();
    match d.profile.cancer {
        C::Breast => {
            m.er = g.chance(0.78);
            m.pr = g.chance(if m.er { 0.8 } else { 0.08 });
            m.her2 = g.chance(0.15);
            m.brca = g.chance(0.05);
        }
        C::Colon | C::Rectum => {
            let r = g.unit();
            m.kras = r < 0.42;
            m.nras = (0.42..0.47).contains(&r);
            m.braf = (0.47..0.56).contains(&r);
            m.dmmr = g.chance(if d.profile.cancer == C::Colon {
                0.15
            } else {
                0.05
            });
        }
        C::LungNsclc => {
            let r = g.unit();
            if d.histology == H::SquamousCell {
                m.egfr = r < 0.02;
            } else {
                m.egfr = r < 0.15;
                m.alk = (0.15..0.21).contains(&r);
                m.ros1 = (0.21..0.23).contains(&r);
                m.kras = (0.23..0.50).contains(&r);
            }
            m.pdl1 = pdl1(g);
        }
        C::Nhl => m.cd20 = g.chance(0.93),
        C::HeadAndNeck => {
            m.p16 = oropharynx && g.chance(0.7);
            m.pdl1 = pdl1(g);
        }
        C::Melanoma => m.braf = g.chance(0.45),
        C::GastricGej | C::Esophagus => {
            m.her2 = g.chance(0.18);
            m.dmmr = g.chance(0.08);
            m.pdl1 = pdl1(g);
        }
        C::Endometrium => m.dmmr = g.chance(0.27),
        C::Ovary => m.brca = g.chance(0.2),
        C::Pancreas => {
            m.kras = g.chance(0.9);
            m.brca = g.chance(0.07);
        }
        C::Prostate => m.brca = g.chance(0.1),
        C::Bladder => m.pdl1 = pdl1(g),
        _ => {}
    }
    m
}

fn pdl1(g: &mut Gen) -> u8 {
    match g.int(0, 99) {
        0..=39 => 0,
        40..=69 => g.int(1, 49) as u8,
        _ => g.int(50, 100) as u8,
    }
}

/// TNM categories consistent with the stage.
fn tnm(g: &mut Gen, d: &Draft) -> (Option<T>, Option<N>, Option<M>) {
    let cancer = d.profile.cancer;
    if is_heme(cancer) || matches!(cancer, C::BrainCns) || d.level == 5 {
        return (None, None, None);
    }
    if d.profile.staging == Sys::Figo && g.chance(0.5) {
        return (None, None, None);
    }
    let m0 = Some(M::M0);
    let (t, n, m) = match (cancer, d.level) {
        (C::Bladder, 0) => (g.pick(&[T::Ta, T::Ta, T::Tis]), N::N0, m0),
        (C::Bladder, 1) => (T::T1, N::N0, m0),
        (_, 0) => (T::Tis, N::N0, m0),
        (C::Breast, 1) if d.stage == S::IB => {
            (g.pick(&[T::T1mi, T::T1a, T::T1b, T::T1c]), N::N1mi, m0)
        }
        (C::Breast, 1) => (
            g.weighted(&[(T::T1mi, 3), (T::T1a, 8), (T::T1b, 22), (T::T1c, 67)])
                .unwrap_or(T::T1c),
            N::N0,
            m0,
        ),
        (C::Breast, 2) => g.pick(&[
            (T::T1c, N::N1, m0),
            (T::T2, N::N0, m0),
            (T::T2, N::N1, m0),
            (T::T3, N::N0, m0),
        ]),
        (C::Prostate, _) => prostate_tnm(g, d),
        (C::Melanoma, 1) => (g.pick(&[T::T1a, T::T1b, T::T2a]), N::N0, m0),
        (C::Melanoma, 2) => (g.pick(&[T::T2b, T::T3a, T::T3b, T::T4a, T::T4b]), N::N0, m0),
        (C::Melanoma, 3) => (
            g.pick(&[T::T1b, T::T2a, T::T3a, T::T4b]),
            g.pick(&[N::N1a, N::N1b, N::N2a, N::N2b, N::N3]),
            m0,
        ),
        (C::Melanoma, _) => (
            g.pick(&[T::T2a, T::T3b, T::T4a]),
            g.pick(&[N::N0, N::N1b, N::N2a]),
            Some(g.pick(&[M::M1a, M::M1b, M::M1c])),
        ),
        (C::Bladder, 2) => (g.pick(&[T::T2a, T::T2b]), N::N0, m0),
        (C::Bladder, 3) => (
            g.pick(&[T::T3a, T::T3b, T::T4a]),
            g.pick(&[N::N0, N::N1]),
            m0,
        ),
        (_, 1) => (g.pick(&[T::T1a, T::T1b, T::T1c, T::T1, T::T2a]), N::N0, m0),
        (_, 2) => g.pick(&[
            (T::T2, N::N0, m0),
            (T::T3, N::N0, m0),
            (T::T2b, N::N0, m0),
            (T::T1, N::N1, m0),
        ]),
        (_, 3) => (
            g.pick(&[T::T3, T::T4, T::T4a, T::T4b, T::T2]),
            g.pick(&[N::N1, N::N2, N::N2a, N::N2b, N::N3]),
            m0,
        ),
        _ if locally_advanced(cancer, d.stage) => (
            g.pick(&[T::T4a, T::T4b, T::T4]),
            g.pick(&[N::N2, N::N2b, N::N2c, N::N3]),
            m0,
        ),
        (C::LungNsclc | C::LungSclc, _) => (
            g.pick(&[T::T2a, T::T3, T::T4]),
            g.pick(&[N::N0, N::N2, N::N3]),
            Some(g.pick(&[M::M1a, M::M1b, M::M1c])),
        ),
        _ => (
            g.pick(&[T::T2, T::T3, T::T4]),
            g.pick(&[N::N0, N::N1, N::N2]),
            Some(g.pick(&[M::M1, M::M1, M::M1a, M::M1b])),
        ),
    };
    let keep = |g: &mut Gen| g.chance(0.95);
    let t = if g.chance(0.02) {
        Some(T::TX)
    } else {
        keep(g).then_some(t)
    };
    let n = if g.chance(0.02) {
        Some(N::NX)
    } else {
        keep(g).then_some(n)
    };
    let m = m.filter(|_| keep(g));
    (t, n, m)
}

fn prostate_tnm(g: &mut Gen, d: &Draft) -> (T, N, Option<M>) {
    let t = match d.risk {
        Some(Risk::VeryLow) => T::T1c,
        Some(Risk::Low) => g
            .weighted(&[(T::T1c, 60), (T::T2a, 34), (T::T1a, 3), (T::T1b, 3)])
            .unwrap_or(T::T1c),
        Some(Risk::FavorableIntermediate) => g.pick(&[T::T1c, T::T2a, T::T2b]),
        Some(Risk::UnfavorableIntermediate) => g.pick(&[T::T2b, T::T2c]),
        Some(Risk::High) => g.pick(&[T::T2c, T::T3a]),
        Some(_) => g.pick(&[T::T3b, T::T4]),
        None => g.pick(&[T::T2c, T::T3a, T::T3b, T::T4]),
    };
    let n = if d.stage == S::IVA || (d.risk.is_none() && g.chance(0.5)) {
        N::N1
    } else {
        N::N0
    };
    let m = if d.risk.is_none() {
        g.pick(&[M::M1a, M::M1b, M::M1b, M::M1c])
    } else {
        M::M0
    };
    (t, n, Some(m))
}

fn grade(g: &mut Gen, d: &Draft) -> (Option<Grade>, bool) {
    let grade = match d.profile.cancer {
        c if is_heme(c) => Grade::NotApplicable,
        C::Prostate | C::BrainCns | C::GestationalTrophoblastic | C::Testis => Grade::NotApplicable,
        C::Bladder | C::Ovary => {
            if d.histology == H::HighGradeSerous || g.chance(0.55) {
                Grade::HighGrade
            } else {
                Grade::LowGrade
            }
        }
        _ => g
            .weighted(&[(Grade::G1, 20), (Grade::G2, 45), (Grade::G3, 35)])
            .unwrap_or(Grade::G2),
    };
    let high = matches!(grade, Grade::HighGrade | Grade::G3);
    let recorded = match g.int(0, 99) {
        0..=3 => Some(Grade::Unknown),
        4..=11 => None,
        _ => Some(grade),
    };
    (recorded, high)
}

/// Chance of a distant recurrence after curative treatment, by type and stage level.
fn recurrence_risk(d: &Draft) -> f64 {
    match d.profile.cancer {
        C::Nhl => 0.18,
        C::HodgkinLymphoma => 0.1,
        C::Myeloma => 0.4,
        C::Leukemia | C::OtherHeme | C::BrainCns => 0.0,
        C::Prostate => 0.12,
        _ => match d.level {
            1 => 0.06,
            2 => 0.14,
            3 => 0.28,
            _ => 0.0,
        },
    }
}

fn icdo3(code: &'static str) -> Code {
    Code::new(SmolStr::new_static("ICD-O-3"), SmolStr::new_static(code))
}

/// Writes a cancer diagnosed on `date` into the chart; returns its index in `ctx.dx`.
pub(crate) fn record(ctx: &mut Ctx, d: &Draft, date: Date, primary: bool) -> usize {
    let g = &mut ctx.g;
    let cancer = d.profile.cancer;
    // A chart holds a handful of cancers: the number never saturates.
    let num = (ctx.dx.len() as u32).saturating_add(1);
    let oropharynx =
        cancer == C::HeadAndNeck && matches!(d.site, "C01.9" | "C09.9" | "C10.9" | "C02.4");
    let biology = biology(g, d, oropharynx);
    let (t, n, m) = tnm(g, d);
    let (grade, high_grade) = grade(g, d);
    let distant = d.level == 4 && !is_heme(cancer) && !locally_advanced(cancer, d.stage);
    let period_end = ctx.period.end;
    let recurrence = if primary && !distant && d.invasive && g.chance(recurrence_risk(d)) {
        Some(days(date, g.int(270, 1460))).filter(|&r| r <= days(period_end, -21))
    } else {
        None
    };
    let metastatic = distant || (recurrence.is_some() && !is_heme(cancer));
    let bone_mets = metastatic
        && g.chance(match cancer {
            C::Breast => 0.55,
            C::Prostate => 0.85,
            C::LungNsclc | C::LungSclc => 0.35,
            C::Kidney => 0.3,
            _ => 0.12,
        });
    let brain_mets = metastatic
        && g.chance(match cancer {
            C::LungNsclc => 0.25,
            C::LungSclc => 0.35,
            C::Melanoma => 0.2,
            C::Breast => 0.08,
            _ => 0.0,
        });
    let mut subtype = d.subtype;
    if cancer == C::Prostate && metastatic {
        let met = if distant { Some(date) } else { recurrence };
        // Castration resistance develops after a year or more of ADT.
        subtype = u8::from(met.is_some_and(|m| m < days(period_end, -365)) && g.chance(0.6));
    }
    let facts = DxFacts {
        slot: ctx.chart.diagnoses.len(),
        cancer,
        histology: d.histology,
        stage: d.stage,
        level: d.level,
        t,
        n,
        date,
        invasive: d.invasive,
        distant,
        high_grade,
        recurrence,
        bone_mets,
        brain_mets,
        biology,
        known: Markers::default(),
        tested: Markers::default(),
        prostate_risk: d.risk,
        subtype,
        oropharynx,
        primary,
    };

    // What the chart documents.
    let fv = ctx.first_visit;
    let end = ctx.end;
    let stage_documented = if !primary {
        g.chance(0.6).then(|| g.after(date, 5, 40))
    } else if ctx.practice.good(0.9) > g.unit() {
        Some(g.date_in(date.max(days(fv, -25)), days(fv, 28)))
    } else if g.chance(0.6) {
        Some(g.after(fv, 32, 120))
    } else {
        None
    };
    let pathology = (primary && ctx.practice.good(0.93) > g.unit() || !primary && g.chance(0.7))
        .then(|| g.after(date, 0, 7));
    let stage_group = match g.int(0, 99) {
        0..=2 => Some(S::Unknown),
        3..=4 => None,
        _ => Some(d.stage),
    };
    let metastasis_date = if distant {
        g.chance(0.8).then_some(date)
    } else if metastatic {
        recurrence.filter(|_| g.chance(0.92))
    } else {
        None
    };
    let resolved = (!metastatic
        && !is_heme(cancer)
        && d.level <= 2
        && date < months(period_end, -60)
        && g.chance(if primary { 0.25 } else { 0.7 }))
    .then(|| g.after(date, 365, 1825))
    .filter(|&r| r <= end);
    let heme = is_heme(cancer);
    let mut dx = Diagnosis {
        id: diagnosis_id(num),
        cancer_type: Some(cancer),
        primary_site: g.chance(0.97).then(|| icdo3(d.site)),
        histology: g.chance(0.85).then(|| icdo3(d.morphology)),
        histology_group: g.chance(0.95).then_some(d.histology),
        diagnosis_date: Some(date),
        invasive: if g.chance(0.97) {
            Some(d.invasive)
        } else {
            None
        },
        staging_system: g.chance(0.96).then_some(d.profile.staging),
        stage_group,
        t_category: t,
        n_category: n,
        m_category: m,
        stage_documented_date: stage_documented.filter(|&s| s <= end),
        metastasis_date,
        recurrence_date: recurrence.filter(|_| g.chance(0.92)),
        resolved_date: resolved,
        bone_metastases: if bone_mets {
            Some(true)
        } else if metastatic && g.chance(0.5) {
            Some(false)
        } else {
            None
        },
        pathology_report_date: pathology.filter(|&p| p <= end),
        grade,
        ..Diagnosis::default()
    };
    if heme && dx.invasive == Some(false) {
        dx.invasive = Some(true);
    }
    match cancer {
        C::Prostate => prostate_fields(g, &mut dx, &facts),
        C::Nhl if d.histology == H::Dlbcl && ctx.practice.good(0.7) > g.unit() => {
            let ipi = match d.level {
                1 | 2 => g.int(0, 2),
                _ => g.int(1, 5),
            };
            dx.ipi_score = Some(int(ipi));
        }
        _ => {}
    }
    ctx.chart.diagnoses.push(dx);
    ctx.dx.push(facts);
    // Just pushed: the length is at least 1.
    ctx.dx.len().saturating_sub(1)
}

/// Sometimes adds an earlier primary cancer (early stage, mostly resolved), with its surgery.
pub(crate) fn prior(ctx: &mut Ctx) {
    if ctx.patient.pediatric || !ctx.g.chance(0.06) {
        return;
    }
    let Some(main) = ctx.dx.first().copied() else {
        return;
    };
    let female = ctx.patient.sex == crate::chart::Sex::Female;
    let candidates: &[(C, u32)] = if female {
        &[
            (C::Breast, 40),
            (C::Melanoma, 12),
            (C::Colon, 12),
            (C::Endometrium, 10),
            (C::Cervix, 6),
            (C::Kidney, 5),
            (C::OtherSolid, 10),
            (C::Nhl, 5),
        ]
    } else {
        &[
            (C::Prostate, 40),
            (C::Melanoma, 12),
            (C::Colon, 12),
            (C::Bladder, 12),
            (C::Kidney, 8),
            (C::OtherSolid, 10),
            (C::Nhl, 6),
        ]
    };
    let Some(cancer) = ctx.g.weighted(candidates) else {
        return;
    };
    let Some(profile) = PROFILES
        .iter()
        .find(|p| p.cancer == cancer && cancer != main.cancer)
    else {
        return;
    };
    let mut d = choose_profile(&mut ctx.g, profile, false);
    if d.level > 2 || d.level == 0 {
        d.stage = if is_heme(cancer) { S::II } else { S::I };
        d.level = level_of(d.stage);
        d.invasive = true;
        if cancer == C::Prostate {
            d.risk = Some(Risk::Low);
        }
    }
    let date = days(main.date, ctx.g.int(730, 5475).saturating_neg());
    if date < months(ctx.patient.birth, 12 * 20) {
        return;
    }
    let i = record(ctx, &d, date, false);
    let kind = match cancer {
        C::Breast => crate::chart::SurgeryKind::BreastConserving,
        C::Prostate => crate::chart::SurgeryKind::RadicalProstatectomy,
        C::Colon => crate::chart::SurgeryKind::Colectomy,
        C::Endometrium | C::Cervix => crate::chart::SurgeryKind::Hysterectomy,
        C::Nhl => return,
        _ => crate::chart::SurgeryKind::Other,
    };
    if ctx.g.chance(0.5) {
        let when = ctx.g.after(date, 14, 45);
        ctx.surgery(i, kind, crate::chart::SurgeryIntent::Curative, when);
    }
}

/// Gleason sum, PSA, risk group and castration resistance, consistent with the risk group.
fn prostate_fields(g: &mut Gen, dx: &mut Diagnosis, f: &DxFacts) {
    let (gleason, psa) = match f.prostate_risk {
        Some(Risk::VeryLow) => (6, g.int(20, 99)),
        Some(Risk::Low) => (6, g.int(30, 99)),
        Some(Risk::FavorableIntermediate) => (g.pick(&[6, 7]), g.int(40, 190)),
        Some(Risk::UnfavorableIntermediate) => (7, g.int(50, 199)),
        Some(Risk::High) => (g.pick(&[7, 8]), g.int(80, 400)),
        Some(_) => (g.pick(&[9, 10]), g.int(100, 600)),
        None => (g.pick(&[8, 9, 10]), g.int(200, 8000)),
    };
    dx.gleason_score = g.chance(0.94).then(|| int(gleason));
    dx.psa_at_diagnosis = g.chance(0.94).then(|| dec(psa, 1));
    dx.prostate_risk_group = match g.int(0, 99) {
        0..=8 => None,
        9..=11 => Some(Risk::Unknown),
        _ => Some(f.prostate_risk.unwrap_or(Risk::NotApplicable)),
    };
    let metastatic = f.distant || f.recurrence.is_some();
    dx.castration_resistant = if f.subtype == 1 {
        Some(true)
    } else if metastatic || g.chance(0.3) {
        Some(false)
    } else {
        None
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert_eq!(level_of(S::Stage0), 0);
        assert_eq!(level_of(S::IB3), 1);
        assert_eq!(level_of(S::IIC), 2);
        assert_eq!(level_of(S::IIIC2), 3);
        assert_eq!(level_of(S::IVC), 4);
        assert_eq!(level_of(S::NotApplicable), 5);
    }

    #[test]
    fn every_profile_has_tables_and_the_mix_covers_children() {
        for p in PROFILES {
            assert!(!p.histologies.is_empty() && !p.sites.is_empty() && !p.stages.is_empty());
        }
        let mut g = Gen::new(5, 5);
        for _ in 0..200 {
            let d = choose(&mut g, true);
            assert!(d.profile.child_weight > 0);
            assert!(!d.site.is_empty() && !d.morphology.is_empty());
        }
    }

    #[test]
    fn in_situ_is_stage_zero() {
        let mut g = Gen::new(1, 1);
        for _ in 0..500 {
            let d = choose(&mut g, false);
            assert_eq!(d.invasive, d.stage != S::Stage0);
        }
    }
}
