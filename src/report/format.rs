//! Rounding at the rendering boundary: half away from zero, at a stated precision.

use rust_decimal::Decimal;

/// `value` rounded to `dp` decimal places, half away from zero (`0.125` → `0.13` at 2).
///
/// ```
/// use oncoqual::report::rounded;
/// use rust_decimal::Decimal;
/// assert_eq!(rounded(Decimal::new(125, 3), 2), Decimal::new(13, 2));
/// ```
pub fn rounded(value: Decimal, dp: u32) -> Decimal {
    crate::benchmark::round_half_away(value, dp)
}

/// A fraction as a percentage with `dp` decimals, half away from zero: `0.8125` at 1 →
/// `81.3%` (past `Decimal`'s range the percentage is a whole number: nothing to round).
pub fn percent(fraction: Decimal, dp: u32) -> String {
    crate::benchmark::percent_text(fraction, dp)
}

/// An optional value rounded to `dp` places, empty when absent (for tables).
#[cfg(feature = "report")]
pub(crate) fn opt_rounded(value: Option<Decimal>, dp: u32) -> String {
    value
        .map(|v| format!("{:.prec$}", rounded(v, dp), prec = dp as usize))
        .unwrap_or_default()
}

/// An `f64` (a test statistic, a p value) as the decimal it is written as (its shortest
/// round-trip form: `0.21725`, not the binary `0.21724999…`), ready for [`rounded`];
/// `None` when not finite or past `Decimal`'s range.
#[cfg(feature = "report")]
pub(crate) fn decimal_of_f64(value: f64) -> Option<Decimal> {
    use rust_decimal::prelude::FromPrimitive;
    Decimal::from_f64(value)
}

/// An optional `f64` rounded to `dp` places as [`rounded`] does (from the decimal it is
/// written as), empty when absent, not finite or past `Decimal`'s range.
#[cfg(feature = "report")]
pub(crate) fn opt_rounded_f64(value: Option<f64>, dp: u32) -> String {
    opt_rounded(value.and_then(decimal_of_f64), dp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero_not_to_even() {
        assert_eq!(rounded(Decimal::new(125, 3), 2), Decimal::new(13, 2));
        assert_eq!(rounded(Decimal::new(135, 3), 2), Decimal::new(14, 2));
        assert_eq!(rounded(Decimal::new(-125, 3), 2), Decimal::new(-13, 2));
    }

    #[test]
    fn percent_keeps_trailing_zeros_at_the_stated_precision() {
        assert_eq!(percent(Decimal::new(8125, 4), 1), "81.3%");
        assert_eq!(percent(Decimal::ONE, 1), "100.0%");
        assert_eq!(percent(Decimal::ZERO, 0), "0%");
        assert_eq!(percent(Decimal::new(5, 4), 1), "0.1%");
    }

    #[test]
    fn percent_of_a_fraction_past_decimal_range_is_exact_not_a_panic() {
        assert_eq!(percent(Decimal::MAX, 1), format!("{}00.0%", Decimal::MAX));
        assert_eq!(percent(Decimal::MIN, 0), format!("{}00%", Decimal::MIN));
    }

    #[cfg(feature = "report")]
    #[test]
    fn absent_values_render_empty() {
        assert_eq!(opt_rounded(None, 4), "");
        assert_eq!(opt_rounded(Some(Decimal::new(2, 3)), 4), "0.0020");
        assert_eq!(opt_rounded_f64(None, 3), "");
        assert_eq!(opt_rounded_f64(Some(f64::NAN), 3), "");
        assert_eq!(opt_rounded_f64(Some(f64::INFINITY), 3), "");
    }

    #[cfg(feature = "report")]
    #[test]
    fn f64_values_round_half_away_from_zero_from_the_decimal_they_are_written_as() {
        assert_eq!(opt_rounded_f64(Some(0.125), 2), "0.13");
        assert_eq!(opt_rounded_f64(Some(-2.5), 0), "-3");
        assert_eq!(opt_rounded_f64(Some(1.96), 3), "1.960");
        // 0.21725 is 0.21724999… in binary: written 0.21725, it rounds to 0.2173.
        assert_eq!(opt_rounded_f64(Some(0.21725), 4), "0.2173");
        assert_eq!(opt_rounded_f64(Some(1e-300), 4), "0.0000");
        assert_eq!(opt_rounded_f64(Some(1e300), 4), "");
    }
}
