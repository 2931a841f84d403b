//! Demographics: age (mostly 30-90, a small paediatric share), sex, tobacco use, childbearing
//! potential and the `patient` record.

use super::dates::{days, months};
use super::disease::Profile;
use super::facts::PatientFacts;
use super::rng::Gen;
use crate::chart::{
    CancerType as C, ChildbearingPotential, MenopausalStatus, Patient, Sex, TobaccoStatus as Tob,
};
use crate::{Date, Period};

/// Share of charts about patients under 18.
pub(crate) const PEDIATRIC_SHARE: f64 = 0.02;

/// Age in whole years on the period's first day.
fn age(g: &mut Gen, profile: &Profile, pediatric: bool) -> i32 {
    if pediatric {
        let band = g.weighted(&[((3, 9), 30), ((10, 14), 30), ((15, 17), 40)]);
        return band.map_or(12, |(lo, hi)| g.int(lo, hi) as i32);
    }
    // Approximately normal around the type's mean age (SD about 11 years).
    let z = (g.unit() + g.unit() + g.unit() + g.unit() - 2.0) * 1.732;
    let a = f64::from(profile.mean_age) + 11.0 * z;
    (a.round() as i32).clamp(19, 99)
}

/// Chooses the patient's demographics for a cancer of `profile`.
pub(crate) fn facts(
    g: &mut Gen,
    profile: &Profile,
    pediatric: bool,
    period: Period,
) -> PatientFacts {
    let age = age(g, profile, pediatric);
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "ages are 3..=99 years and the offset 1..=364 days"
    )]
    let birth = days(months(period.start, -12 * age), -g.int(1, 364));
    let female = g.chance(f64::from(profile.female_pct) / 100.0);
    let sex = match g.int(0, 999) {
        0..=1 if !profile.female_pct.is_multiple_of(100) => Sex::Unknown,
        2 if !profile.female_pct.is_multiple_of(100) => Sex::Other,
        _ if female => Sex::Female,
        _ => Sex::Male,
    };
    let smoking_cancer = matches!(
        profile.cancer,
        C::LungNsclc | C::LungSclc | C::HeadAndNeck | C::Bladder | C::Esophagus
    );
    let tobacco = if pediatric {
        Tob::Never
    } else if smoking_cancer {
        g.weighted(&[
            (Tob::Current, 35),
            (Tob::Former, 45),
            (Tob::Never, 17),
            (Tob::Unknown, 3),
        ])
        .unwrap_or(Tob::Never)
    } else {
        g.weighted(&[
            (Tob::Current, 12),
            (Tob::Former, 33),
            (Tob::Never, 50),
            (Tob::Unknown, 5),
        ])
        .unwrap_or(Tob::Never)
    };
    let ecog = g
        .weighted(&[(0u8, 35), (1, 40), (2, 15), (3, 8), (4, 2)])
        .unwrap_or(1);
    let family_pct = match profile.cancer {
        C::Breast | C::Ovary | C::Colon | C::Pancreas | C::Prostate => 0.3,
        _ => 0.15,
    };
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "ages are clamped to 3..=17 and the offset is -8..=8 cm"
    )]
    let height = if pediatric {
        (80 + 6 * i64::from(age.clamp(3, 17) as u8)).min(180) + g.int(-8, 8)
    } else if female {
        g.int(150, 176)
    } else {
        g.int(162, 192)
    };
    let bmi = if pediatric {
        g.int(150, 220)
    } else {
        g.int(185, 340)
    };
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "BMIs are at most 340 tenths and heights at most 192 cm: the product is below 2^24"
    )]
    let weight = (bmi * height * height / 10_000).max(120);
    PatientFacts {
        birth,
        weight,
        height,
        sex,
        pediatric,
        tobacco,
        can_conceive: female && (12..=50).contains(&age) && g.chance(0.85),
        ecog,
        pain: 0.18 + 0.12 * g.unit(),
        distress: 0.15 + 0.25 * g.unit(),
        family_history: g.chance(family_pct),
        transferred: false,
    }
}

/// The `patient` record, documenting the facts with realistic gaps.
pub(crate) fn record(g: &mut Gen, p: &PatientFacts, profile: &Profile, on: Date) -> Patient {
    let age = super::dates::age_on(p.birth, on);
    let female = p.sex == Sex::Female;
    let childbearing_potential = if female && (12..=55).contains(&age) {
        if p.can_conceive {
            g.weighted(&[
                (Some(ChildbearingPotential::Yes), 70),
                (Some(ChildbearingPotential::Unknown), 20),
                (None, 10),
            ])
        } else {
            g.weighted(&[
                (Some(ChildbearingPotential::No), 70),
                (Some(ChildbearingPotential::Unknown), 15),
                (None, 15),
            ])
        }
        .flatten()
    } else if female && age > 55 {
        g.weighted(&[
            (Some(ChildbearingPotential::No), 75),
            (Some(ChildbearingPotential::Unknown), 5),
            (None, 20),
        ])
        .flatten()
    } else if p.sex == Sex::Male {
        g.chance(0.5).then_some(ChildbearingPotential::No)
    } else {
        None
    };
    let menopausal_status = if female && age >= 12 {
        let status = match age {
            ..=44 => MenopausalStatus::Premenopausal,
            45..=49 => g.pick(&[
                MenopausalStatus::Premenopausal,
                MenopausalStatus::Perimenopausal,
            ]),
            50..=55 => g.pick(&[
                MenopausalStatus::Perimenopausal,
                MenopausalStatus::Postmenopausal,
            ]),
            _ => MenopausalStatus::Postmenopausal,
        };
        g.chance(if profile.cancer == C::Breast {
            0.8
        } else {
            0.3
        })
        .then_some(status)
    } else if p.sex == Sex::Male {
        g.chance(0.3).then_some(MenopausalStatus::NotApplicable)
    } else {
        None
    };
    Patient {
        birth_date: g.chance(0.998).then_some(p.birth),
        sex: Some(p.sex).filter(|_| g.chance(0.995)),
        childbearing_potential,
        menopausal_status,
        transferred_in_after_treatment_start: if p.transferred {
            Some(true)
        } else {
            g.chance(0.85).then_some(false)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::disease::PROFILES;

    #[test]
    fn ages_fall_in_their_bands() {
        let mut g = Gen::new(2, 2);
        let start = Date::from_ymd(2026, 1, 1).unwrap();
        let period = Period::new(start, Date::from_ymd(2026, 6, 30).unwrap()).unwrap();
        for p in PROFILES {
            for pediatric in [false, true] {
                let f = facts(&mut g, p, pediatric, period);
                let age = super::super::dates::age_on(f.birth, start);
                if pediatric {
                    assert!((3..=17).contains(&age), "{age}");
                } else {
                    assert!((19..=99).contains(&age), "{age}");
                }
            }
        }
    }
}
