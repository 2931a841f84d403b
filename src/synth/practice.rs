//! Practice profiles: each practice's deterministic documentation quality.
//!
//! A practice's quality is drawn from the seed and the practice index alone. It shifts the
//! odds of every good-care item (pain assessed, plans, consent, stage documented, hospice,
//! antiemetics, ...) up or down by one multiplier, and the odds of overuse and errors by
//! another, negatively correlated one; so practice rates differ the way QOPI practices do
//! (means around 70-85%, first-time practices lower).

use super::ids::practice_id;
use super::rng::{mix, unit_of};
use crate::PracticeId;

/// One practice's identity and habits.
pub(crate) struct Practice {
    /// `P0001`, ...
    pub(crate) id: PracticeId,
    /// Odds multiplier for good care.
    care_odds: f64,
    /// Odds multiplier for overuse, missing order elements and other errors.
    overuse_odds: f64,
    /// Share of office visits held by telehealth.
    pub(crate) telehealth: f64,
    /// Share of office visits with an advanced practice provider.
    pub(crate) app_share: f64,
}

impl Practice {
    /// The profile of practice `index` (0-based) under `seed`.
    pub(crate) fn new(seed: u64, index: usize) -> Practice {
        let draw = |salt: u64| {
            unit_of(mix(
                seed ^ salt.wrapping_mul(0xA24B_AED4_963E_E407),
                index as u64,
            ))
        };
        // Mean of three uniforms: bell-shaped on [0, 1], centred on 0.5.
        let quality = (draw(1) + draw(2) + draw(3)) / 3.0;
        Practice {
            // `index` is below the practice count, a `usize`: the number never saturates.
            id: practice_id((index as u64).saturating_add(1)),
            care_odds: (4.0 * (quality - 0.5)).exp(),
            overuse_odds: (2.5 * (0.5 - quality) + 1.5 * (draw(4) - 0.5)).exp(),
            telehealth: 0.03 + 0.17 * draw(5),
            app_share: 0.1 + 0.25 * draw(6),
        }
    }

    /// This practice's probability of a good-care item whose typical rate is `base`.
    pub(crate) fn good(&self, base: f64) -> f64 {
        shift_odds(base, self.care_odds)
    }

    /// This practice's probability of overuse or an error whose typical rate is `base`.
    pub(crate) fn bad(&self, base: f64) -> f64 {
        shift_odds(base, self.overuse_odds)
    }
}

/// `p` with its odds multiplied by `m`.
fn shift_odds(p: f64, m: f64) -> f64 {
    let p = p.clamp(0.0, 1.0);
    let odds = p * m;
    let denom = 1.0 - p + odds;
    if denom > 0.0 { odds / denom } else { p }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odds_shift_keeps_probabilities() {
        assert!((shift_odds(0.5, 1.0) - 0.5).abs() < 1e-12);
        assert!(shift_odds(0.8, 2.0) > 0.8 && shift_odds(0.8, 2.0) < 1.0);
        assert!(shift_odds(0.8, 0.5) < 0.8);
        assert_eq!(shift_odds(1.0, 0.3), 1.0);
        assert_eq!(shift_odds(0.0, 3.0), 0.0);
    }

    #[test]
    fn practices_differ_and_repeat() {
        let a = Practice::new(1, 0);
        let b = Practice::new(1, 1);
        assert_eq!(a.id.as_str(), "P0001");
        assert_ne!(a.good(0.8), b.good(0.8));
        assert_eq!(a.good(0.8), Practice::new(1, 0).good(0.8));
        let spread: Vec<f64> = (0..50).map(|i| Practice::new(9, i).good(0.8)).collect();
        let lo = spread.iter().cloned().fold(1.0, f64::min);
        let hi = spread.iter().cloned().fold(0.0, f64::max);
        assert!(hi - lo > 0.15, "{lo}..{hi}");
    }
}
