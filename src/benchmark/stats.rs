//! The statistics of the benchmark report, each a pure function with its method named:
//! the inverse normal (Wichura's AS 241), the Wilson score interval, quantiles (Hyndman–Fan
//! type 7), percentile ranks (mean-rank, direction-aware), and the two-proportion z test.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// A fraction shown as a percentage (× 100, exact), for messages and labels: it takes the
/// formatter's precision like a `Decimal`. Past `Decimal`'s range (a fraction of about
/// 7.9e26 or more, which a `Decimal` holds with at most one decimal) the product is a whole
/// number: it is written as the fraction's digits followed by zeros, never a panic.
#[derive(Clone, Copy)]
pub(crate) struct Hundredfold {
    fraction: Decimal,
    normalize: bool,
}

impl Hundredfold {
    /// `fraction` × 100, written as `Decimal` writes it.
    pub(crate) fn new(fraction: Decimal) -> Hundredfold {
        Hundredfold {
            fraction,
            normalize: false,
        }
    }

    /// `fraction` × 100 without trailing zeros after the point (`0.250` → `25`).
    #[cfg(any(test, feature = "report"))]
    pub(crate) fn normalized(fraction: Decimal) -> Hundredfold {
        Hundredfold {
            fraction,
            normalize: true,
        }
    }
}

/// `value` rounded to `dp` decimal places, half away from zero: the one rounding rule of
/// every figure a person reads (reports, CLI text, refusals). `report::rounded` is this.
pub(crate) fn round_half_away(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// A fraction as a percentage with `dp` decimals under [`round_half_away`] (`0.8125` at 1
/// → `81.3%`); past `Decimal`'s range the percentage is a whole number, written exactly.
/// `report::percent` is this.
pub(crate) fn percent_text(fraction: Decimal, dp: u32) -> String {
    let prec = dp as usize;
    match fraction.checked_mul(Decimal::ONE_HUNDRED) {
        Some(p) => format!("{:.prec$}%", round_half_away(p, dp)),
        None => format!("{:.prec$}%", Hundredfold::new(fraction)),
    }
}

impl std::fmt::Display for Hundredfold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.fraction.checked_mul(Decimal::ONE_HUNDRED) {
            Some(p) if self.normalize => std::fmt::Display::fmt(&p.normalize(), f),
            Some(p) => std::fmt::Display::fmt(&p, f),
            None => {
                let zeros = 2u32.saturating_sub(self.fraction.scale()) as usize;
                write!(f, "{}{:0<zeros$}", self.fraction.mantissa(), "")?;
                match f.precision().filter(|n| *n > 0 && !self.normalize) {
                    Some(n) => write!(f, ".{:0<n$}", ""),
                    None => Ok(()),
                }
            }
        }
    }
}

/// The standard normal quantile Φ⁻¹(p) for 0 < p < 1, by Wichura's algorithm AS 241
/// (PPND16, Applied Statistics 37, 1988), accurate to about 1e-16; `None` outside (0, 1).
// The coefficients are transcribed from the published algorithm, digit for digit.
#[allow(clippy::inconsistent_digit_grouping, clippy::excessive_precision)]
pub fn inverse_normal(p: f64) -> Option<f64> {
    if !(p > 0.0 && p < 1.0) {
        return None;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        let num = (((((((2509.080_928_730_122_7 * r + 33430.575_583_588_128) * r
            + 67265.770_927_008_7)
            * r
            + 45921.953_931_549_87)
            * r
            + 13731.693_765_509_461)
            * r
            + 1971.590_950_306_551_3)
            * r
            + 133.141_667_891_784_38)
            * r
            + 3.387_132_872_796_366_5)
            * q;
        let den = ((((((5226.495_278_852_545 * r + 28729.085_735_721_943) * r
            + 39307.895_800_092_71)
            * r
            + 21213.794_301_586_597)
            * r
            + 5394.196_021_424_751)
            * r
            + 687.187_007_492_057_9)
            * r
            + 42.313_330_701_600_91)
            * r
            + 1.0;
        return Some(num / den);
    }
    let r0 = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r0.ln()).sqrt();
    let val = if r <= 5.0 {
        let r = r - 1.6;
        let num = ((((((7.745_450_142_783_414e-4 * r + 0.022_723_844_989_269_184) * r
            + 0.241_780_725_177_450_6)
            * r
            + 1.270_458_252_452_368_4)
            * r
            + 3.647_848_324_763_204_5)
            * r
            + 5.769_497_221_460_691)
            * r
            + 4.630_337_846_156_546)
            * r
            + 1.423_437_110_749_683_5;
        let den = ((((((1.050_750_071_644_416_9e-9 * r + 5.475_938_084_995_345e-4) * r
            + 0.015_198_666_563_616_457)
            * r
            + 0.148_103_976_427_480_08)
            * r
            + 0.689_767_334_985_1)
            * r
            + 1.676_384_830_183_803_8)
            * r
            + 2.053_191_626_637_759)
            * r
            + 1.0;
        num / den
    } else {
        let r = r - 5.0;
        let num = ((((((2.010_334_399_292_288_1e-7 * r + 2.711_555_568_743_487_6e-5) * r
            + 0.001_242_660_947_388_078_4)
            * r
            + 0.026_532_189_526_576_124)
            * r
            + 0.296_560_571_828_504_9)
            * r
            + 1.784_826_539_917_291_3)
            * r
            + 5.463_784_911_164_114)
            * r
            + 6.657_904_643_501_103;
        let den = ((((((2.044_263_103_389_939_7e-15 * r + 1.421_511_758_316_446e-7) * r
            + 1.846_318_317_510_054_8e-5)
            * r
            + 7.868_691_311_456_133e-4)
            * r
            + 0.014_875_361_290_850_615)
            * r
            + 0.136_929_880_922_735_8)
            * r
            + 0.599_832_206_555_888)
            * r
            + 1.0;
        num / den
    };
    Some(if q < 0.0 { -val } else { val })
}

/// The two-sided critical value z for a confidence level (0.95 → 1.959963984540054).
pub fn z_for_level(level: f64) -> Option<f64> {
    if !(level > 0.0 && level < 1.0) {
        return None;
    }
    inverse_normal(1.0 - (1.0 - level) / 2.0)
}

/// The standard normal distribution function Φ(x), from the complementary error function
/// (W. J. Cody's rational Chebyshev approximation as in Numerical Recipes' `erfcc`,
/// fractional error below 1.2e-7).
#[allow(clippy::inconsistent_digit_grouping, clippy::excessive_precision)]
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 {
        1.0 - erfc / 2.0
    } else {
        erfc / 2.0
    }
}

/// A closed interval of rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Interval {
    /// Lower bound.
    pub low: Decimal,
    /// Upper bound.
    pub high: Decimal,
}

/// The Wilson score interval for `met` successes out of `n` at critical value `z`; `None`
/// when `n` is zero or `met > n`. The bounds are irrational, so they are computed in
/// IEEE-754 double precision (deterministic: only basic operations and `sqrt`, which are
/// correctly rounded) and given as decimals rounded to 12 places, far below any reported
/// precision.
pub fn wilson(met: u64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 || met > n || !z.is_finite() {
        return None;
    }
    let (x, n) = (met as f64, n as f64);
    let p = x / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // Rounded half away from zero to 12 places; in [0, 1] the scaled value fits an i64.
    let dec = |v: f64| Decimal::new((v.clamp(0.0, 1.0) * 1e12).round() as i64, 12);
    Some(Interval {
        low: if met == 0 {
            Decimal::ZERO
        } else {
            dec(center - half)
        },
        high: if met as f64 == n {
            Decimal::ONE
        } else {
            dec(center + half)
        },
    })
}

/// The `p`-quantile (0 ≤ p ≤ 1) of sorted values by Hyndman–Fan type 7 (R's default):
/// h = (n − 1)·p, q = x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋+1 − x⌊h⌋). `None` on no values, and when
/// the interpolation passes `Decimal`'s range (two neighbours more than about 7.9 × 10^28
/// apart: never for rates).
pub fn quantile_type7(sorted: &[Decimal], p: Decimal) -> Option<Decimal> {
    if p < Decimal::ZERO || p > Decimal::ONE {
        return None;
    }
    let last = sorted.len().checked_sub(1)?;
    // At most `usize::MAX` times a fraction in [0, 1]: inside `Decimal`'s range.
    let h = Decimal::from(last).checked_mul(p)?;
    let lo = h.floor();
    let i = lo.to_usize()?;
    let x = *sorted.get(i)?;
    match i.checked_add(1).and_then(|next| sorted.get(next)) {
        Some(&next) => {
            let step = next.checked_sub(x)?;
            x.checked_add(h.checked_sub(lo)?.checked_mul(step)?)
        }
        None => Some(x),
    }
}

/// The percentile rank of `value` among `values` (which include it), direction-aware:
/// 100 × (W + E/2) / N, where W is the number of values worse than `value` (lower for
/// higher-is-better, higher for lower-is-better) and E the number equal to it (itself
/// included): the mean-rank definition, so ties share one rank. `None` on no values.
pub fn percentile_rank(
    values: &[Decimal],
    value: Decimal,
    higher_is_better: bool,
) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    let worse = values
        .iter()
        .filter(|v| {
            if higher_is_better {
                **v < value
            } else {
                **v > value
            }
        })
        .count();
    let equal = values.iter().filter(|v| **v == value).count();
    mean_rank(worse, equal, values.len())
}

/// 100 × (worse + equal / 2) / n. `worse + equal` is at most `n`, a `usize`: every step
/// stays far inside `Decimal`'s range, and `n` is not 0 where it is called.
fn mean_rank(worse: usize, equal: usize, n: usize) -> Option<Decimal> {
    let ranked =
        Decimal::from(worse).checked_add(Decimal::from(equal).checked_div(Decimal::TWO)?)?;
    Decimal::ONE_HUNDRED
        .checked_mul(ranked)?
        .checked_div(Decimal::from(n))
}

/// As [`percentile_rank`], over values sorted ascending, in O(log n).
pub fn percentile_rank_sorted(
    sorted: &[Decimal],
    value: Decimal,
    higher_is_better: bool,
) -> Option<Decimal> {
    if sorted.is_empty() {
        return None;
    }
    let below = sorted.partition_point(|v| *v < value);
    let not_above = sorted.partition_point(|v| *v <= value);
    // Partition points of a sorted slice: `below <= not_above <= len`.
    let equal = not_above.checked_sub(below)?;
    let worse = if higher_is_better {
        below
    } else {
        sorted.len().checked_sub(not_above)?
    };
    mean_rank(worse, equal, sorted.len())
}

/// A two-proportion z test (pooled standard error): the z statistic and the two-sided p
/// value for `a` successes of `n` against `b` of `m`; `None` when a sample is empty or the
/// pooled proportion is 0 or 1 (no variance to test against).
pub fn two_proportion_test(a: u64, n: u64, b: u64, m: u64) -> Option<(f64, f64)> {
    if n == 0 || m == 0 || a > n || b > m {
        return None;
    }
    let (a, n, b, m) = (a as f64, n as f64, b as f64, m as f64);
    let pooled = (a + b) / (n + m);
    if pooled <= 0.0 || pooled >= 1.0 {
        return None;
    }
    let se = (pooled * (1.0 - pooled) * (1.0 / n + 1.0 / m)).sqrt();
    let z = (a / n - b / m) / se;
    let p = 2.0 * (1.0 - normal_cdf(z.abs()));
    Some((z, p.clamp(0.0, 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn z_matches_tabulated_normal_quantiles() {
        // Standard normal table values (e.g. NIST/SEMATECH e-Handbook, Table 1.3.6.7.1).
        for (level, z) in [
            (0.80, 1.281_551_565_545),
            (0.90, 1.644_853_626_951),
            (0.95, 1.959_963_984_540),
            (0.98, 2.326_347_874_041),
            (0.99, 2.575_829_303_549),
            (0.999, 3.290_526_731_492),
        ] {
            let got = z_for_level(level).unwrap();
            assert!((got - z).abs() < 1e-9, "level {level}: {got} vs {z}");
        }
        assert!((inverse_normal(1e-10).unwrap() + 6.361_340_902_404).abs() < 1e-8);
        assert_eq!(inverse_normal(0.5), Some(0.0));
        assert_eq!(inverse_normal(0.0), None);
        assert_eq!(z_for_level(1.0), None);
    }

    #[test]
    fn normal_cdf_matches_the_table() {
        for (x, p) in [
            (0.0, 0.5),
            (1.0, 0.841_344_7),
            (1.96, 0.975_002_1),
            (-2.0, 0.022_750_1),
        ] {
            assert!((normal_cdf(x) - p).abs() < 2e-7, "{x}");
        }
    }

    #[test]
    fn wilson_interval_matches_hand_worked_values() {
        // 5 of 10 at 95%: (0.2366, 0.7634), as tabulated in Newcombe (1998), table I.
        let i = wilson(5, 10, z_for_level(0.95).unwrap()).unwrap();
        assert_eq!(i.low.round_dp(4), d("0.2366"));
        assert_eq!(i.high.round_dp(4), d("0.7634"));
        // 0 of 10: lower bound 0, upper 0.2775 (Newcombe 1998).
        let i = wilson(0, 10, z_for_level(0.95).unwrap()).unwrap();
        assert_eq!(i.low, Decimal::ZERO);
        assert_eq!(i.high.round_dp(4), d("0.2775"));
        // 81 of 263: (0.2553, 0.3662).
        let i = wilson(81, 263, z_for_level(0.95).unwrap()).unwrap();
        assert_eq!(
            (i.low.round_dp(4), i.high.round_dp(4)),
            (d("0.2553"), d("0.3662"))
        );
        assert_eq!(wilson(1, 0, 1.96), None);
    }

    #[test]
    fn type7_quantiles_match_r() {
        // R: quantile(1:10, c(.1, .25, .5, .75, .9)) = 1.9 3.25 5.5 7.75 9.1
        let xs: Vec<Decimal> = (1..=10).map(Decimal::from).collect();
        let q = |p| quantile_type7(&xs, d(p)).unwrap();
        assert_eq!(
            [q("0.1"), q("0.25"), q("0.5"), q("0.75"), q("0.9")],
            [d("1.9"), d("3.25"), d("5.5"), d("7.75"), d("9.1")]
        );
        assert_eq!(quantile_type7(&[d("0.4")], d("0.9")), Some(d("0.4")));
        assert_eq!(quantile_type7(&[], d("0.5")), None);
    }

    #[test]
    fn a_quantile_between_values_past_decimal_range_is_none_not_a_panic() {
        // The gap between the neighbours (MAX − MIN) does not fit a `Decimal`.
        assert_eq!(
            quantile_type7(&[Decimal::MIN, Decimal::MAX], d("0.5")),
            None
        );
        // Without a neighbour there is nothing to interpolate.
        assert_eq!(
            quantile_type7(&[Decimal::MAX], d("0.5")),
            Some(Decimal::MAX)
        );
        assert_eq!(
            quantile_type7(&[Decimal::MIN, Decimal::MAX], Decimal::ONE),
            Some(Decimal::MAX)
        );
    }

    #[test]
    fn percentile_ranks_share_ties_and_turn_round_for_lower_is_better() {
        let xs = [d("0.2"), d("0.5"), d("0.5"), d("0.9")];
        // Higher is better: 0.5 beats one, ties with one (itself included): (1 + 2/2)/4.
        assert_eq!(percentile_rank(&xs, d("0.5"), true), Some(d("50")));
        assert_eq!(percentile_rank(&xs, d("0.9"), true), Some(d("87.5")));
        assert_eq!(percentile_rank(&xs, d("0.2"), true), Some(d("12.5")));
        // Lower is better: 0.2 is the best.
        assert_eq!(percentile_rank(&xs, d("0.2"), false), Some(d("87.5")));
        for v in ["0.1", "0.2", "0.5", "0.7", "0.9", "1"] {
            for higher in [true, false] {
                assert_eq!(
                    percentile_rank_sorted(&xs, d(v), higher),
                    percentile_rank(&xs, d(v), higher)
                );
            }
        }
    }

    #[test]
    fn two_proportion_test_matches_a_hand_worked_example() {
        // 60/100 vs 45/100: pooled 0.525, se = sqrt(.525*.475*.02) = 0.070622, z = 2.1240.
        let (z, p) = two_proportion_test(60, 100, 45, 100).unwrap();
        assert!((z - 2.1240).abs() < 1e-3, "{z}");
        assert!((p - 0.0337).abs() < 1e-3, "{p}");
        assert_eq!(two_proportion_test(0, 10, 0, 10), None);
    }

    #[test]
    fn a_hundredfold_past_decimal_range_is_written_exactly_not_a_panic() {
        assert_eq!(
            format!("{:.1}", Hundredfold::new(Decimal::new(8125, 4))),
            format!("{:.1}", Decimal::new(8125, 2))
        );
        assert_eq!(
            Hundredfold::normalized(Decimal::new(250, 3)).to_string(),
            "25"
        );
        assert_eq!(
            Hundredfold::new(Decimal::MAX).to_string(),
            format!("{}00", Decimal::MAX)
        );
        assert_eq!(
            format!("{:.1}", Hundredfold::new(Decimal::MIN)),
            format!("{}00.0", Decimal::MIN)
        );
        let tenth = Decimal::from_i128_with_scale(Decimal::MAX.mantissa(), 1);
        assert_eq!(
            Hundredfold::normalized(tenth).to_string(),
            format!("{}0", Decimal::MAX)
        );
    }
}
