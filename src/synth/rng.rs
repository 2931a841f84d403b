//! The random source: one ChaCha8 stream per chart, keyed by a SplitMix64 mix of the seed and
//! the chart index, with the few sampling helpers the generator needs.

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// SplitMix64 (Steele, Lea & Flood 2014): a bijective, well-spread 64-bit mix.
pub(crate) const fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes a key with a stream number (chart index, practice index, ...).
pub(crate) const fn mix(key: u64, stream: u64) -> u64 {
    splitmix64(key ^ splitmix64(stream ^ 0x6A09_E667_F3BC_C909))
}

/// A value in [0, 1) from a 64-bit hash.
pub(crate) fn unit_of(hash: u64) -> f64 {
    (hash >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The random stream of one chart.
pub(crate) struct Gen(ChaCha8Rng);

impl Gen {
    /// The stream for `stream` (a chart index) under `key` (the configuration's seed).
    pub(crate) fn new(key: u64, stream: u64) -> Gen {
        let mut seed = [0u8; 32];
        let mut state = mix(key, stream);
        for chunk in seed.chunks_exact_mut(8) {
            state = splitmix64(state);
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        Gen(ChaCha8Rng::from_seed(seed))
    }

    /// A uniform value in [0, 1) (32-bit resolution: one 32-bit draw).
    pub(crate) fn unit(&mut self) -> f64 {
        f64::from(self.0.next_u32()) * (1.0 / 4_294_967_296.0)
    }

    /// A value in `0..n` from one 32-bit draw (multiply-shift; the bias, under n / 2^32, is
    /// far below anything the generator's rates resolve).
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "a product of two `u32` values is below 2^64 and cannot overflow a `u64`"
    )]
    fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.0.next_u32()) * u64::from(n)) >> 32) as u32
    }

    /// True with probability `p` (clamped to [0, 1]).
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniform integer in `lo..=hi`; `lo` when the range is empty.
    pub(crate) fn int(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = hi.abs_diff(lo).checked_add(1).map(u32::try_from);
        match span {
            // `below(span) <= hi - lo`, so the sum never passes `hi` and never saturates.
            Some(Ok(span)) => lo.saturating_add(i64::from(self.below(span))),
            _ => self.0.random_range(lo..=hi),
        }
    }

    /// A uniform index in `0..n`; 0 when `n` is 0.
    pub(crate) fn index(&mut self, n: usize) -> usize {
        if n <= 1 {
            0
        } else if let Ok(n) = u32::try_from(n) {
            self.below(n) as usize
        } else {
            // `u64` sampling keeps the stream identical on 32- and 64-bit targets.
            self.0.random_range(0..n as u64) as usize
        }
    }

    /// One element of a non-empty array, uniformly.
    #[allow(
        clippy::indexing_slicing,
        reason = "`index(N)` is below `N`, and `N > 0` is checked when the call is compiled"
    )]
    pub(crate) fn pick<T: Copy, const N: usize>(&mut self, items: &[T; N]) -> T {
        const { assert!(N > 0, "pick needs a non-empty array") };
        items[self.index(N)]
    }

    /// One element of a weighted table; `None` when the table is empty or all weights are 0.
    pub(crate) fn weighted<T: Copy>(&mut self, table: &[(T, u32)]) -> Option<T> {
        let total: u64 = table.iter().map(|&(_, w)| u64::from(w)).sum();
        if total == 0 {
            return None;
        }
        let mut r = match u32::try_from(total) {
            Ok(t) => u64::from(self.below(t)),
            Err(_) => self.0.random_range(0..total),
        };
        for &(item, w) in table {
            match r.checked_sub(u64::from(w)) {
                Some(rest) => r = rest,
                None => return Some(item),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Gen::new(1, 2).0.next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Gen::new(1, 2).0.next_u64(), Gen::new(1, 3).0.next_u64());
        assert_ne!(Gen::new(1, 2).0.next_u64(), Gen::new(2, 2).0.next_u64());
    }

    #[test]
    fn helpers_stay_in_range() {
        let mut g = Gen::new(7, 7);
        for _ in 0..1000 {
            let x = g.int(-3, 5);
            assert!((-3..=5).contains(&x));
            assert!(g.index(4) < 4);
            let u = g.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(g.int(5, 5), 5);
        assert_eq!(g.int(5, 1), 5);
        assert_eq!(g.index(0), 0);
        assert_eq!(g.weighted::<u8>(&[]), None);
        assert_eq!(g.weighted(&[(1u8, 0), (2, 3)]), Some(2));
    }
}
