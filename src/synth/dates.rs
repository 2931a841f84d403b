//! Calendar arithmetic that never fails: results outside the supported dates
//! (0001-01-01..9999-12-31) keep the input date.

use super::rng::Gen;
use crate::Date;

/// `date` plus `n` days (negative to go back).
pub(crate) fn days(date: Date, n: i64) -> Date {
    date.add_days(n).unwrap_or(date)
}

/// `date` plus `n` calendar months, clamped to the month's last day.
pub(crate) fn months(date: Date, n: i32) -> Date {
    date.add_months(i64::from(n)).unwrap_or(date)
}

/// Whole years from `birth` to `on` (negative when `on` is before `birth`).
#[allow(
    clippy::arithmetic_side_effects,
    reason = "calendar years lie within ±262,143 (chrono's range): the difference and the \
              decrement fit an `i32`"
)]
pub(crate) fn age_on(birth: Date, on: Date) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

impl Gen {
    /// A uniform date in `[from, to]`; `from` when the interval is empty.
    pub(crate) fn date_in(&mut self, from: Date, to: Date) -> Date {
        days(from, self.int(0, from.days_until(to)))
    }

    /// A uniform date `lo..=hi` days after `date`.
    pub(crate) fn after(&mut self, date: Date, lo: i64, hi: i64) -> Date {
        days(date, self.int(lo, hi))
    }

    /// A uniform date `lo..=hi` days before `date`.
    pub(crate) fn before(&mut self, date: Date, lo: i64, hi: i64) -> Date {
        days(date, self.int(lo, hi).saturating_neg())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::from_ymd(y, m, day).unwrap()
    }

    #[test]
    fn arithmetic() {
        assert_eq!(days(d(2026, 1, 31), 1), d(2026, 2, 1));
        assert_eq!(months(d(2026, 1, 31), 1), d(2026, 2, 28));
        assert_eq!(months(d(2026, 3, 31), -1), d(2026, 2, 28));
        assert_eq!(age_on(d(1950, 6, 15), d(2026, 6, 14)), 75);
        assert_eq!(age_on(d(1950, 6, 15), d(2026, 6, 15)), 76);
        assert_eq!(days(Date::MIN, -1), Date::MIN);
    }

    #[test]
    fn sampled_dates_stay_inside() {
        let mut g = Gen::new(3, 4);
        let (a, b) = (d(2026, 1, 1), d(2026, 6, 30));
        for _ in 0..500 {
            let x = g.date_in(a, b);
            assert!(a <= x && x <= b);
        }
        assert_eq!(g.date_in(b, a), b);
    }
}
