//! When the story happens relative to the round's reporting period: the diagnosis date and
//! the first office visit, for new patients, patients in treatment and long-term follow-up.

use super::dates::days;
use super::facts::PatientFacts;
use super::rng::Gen;
use crate::{Date, Period};

/// The diagnosis date and the first office visit with the practice.
pub(crate) struct Anchor {
    pub(crate) diagnosis: Date,
    pub(crate) first_visit: Date,
    pub(crate) transferred: bool,
}

/// Places the diagnosis and first visit: about a third of patients are new in the period,
/// a third diagnosed in the two years before, the rest in follow-up for up to eight years
/// (metastatic patients at most 30 months back).
pub(crate) fn anchor(
    g: &mut Gen,
    period: Period,
    patient: &PatientFacts,
    metastatic: bool,
) -> Anchor {
    let (ps, pe) = (period.start, period.end);
    let transferred = !patient.pediatric && g.chance(0.06);
    let scenario = if metastatic {
        g.weighted(&[(0u8, 45), (1, 55)])
    } else {
        g.weighted(&[(0u8, 36), (1, 38), (2, 26)])
    }
    .unwrap_or(1);
    let (mut diagnosis, mut first_visit) = match scenario {
        0 => {
            let fv = g.date_in(ps, days(pe, -10));
            let dx = if transferred {
                g.before(fv, 60, 200)
            } else if g.chance(0.06) {
                // Referred while the work-up was still under way.
                g.after(fv, 1, 12).min(days(pe, -3))
            } else {
                g.before(fv, 3, 40)
            };
            (dx, fv)
        }
        _ => {
            let (lo, span, power) = match (scenario, metastatic) {
                (1, true) => (20.0, 880.0, 1.6),
                (1, false) => (20.0, 700.0, 1.6),
                _ => (270.0, 2600.0, 1.3),
            };
            let back = lo + span * g.unit().powf(power);
            let dx = days(ps, (back as i64).saturating_neg());
            let fv = if transferred {
                g.after(dx, 45, 150)
            } else {
                g.after(dx, 4, 28)
            };
            (dx, fv.min(days(pe, -1)))
        }
    };
    // Children are diagnosed after their first half-year of life.
    let earliest = days(patient.birth, 200);
    if diagnosis < earliest {
        diagnosis = earliest;
    }
    if first_visit < diagnosis && scenario != 0 {
        first_visit = diagnosis;
    }
    Anchor {
        diagnosis: diagnosis.min(pe),
        first_visit: first_visit.min(pe),
        transferred,
    }
}
