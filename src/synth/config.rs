//! The generator's configuration, and how a chart index maps to its practice and round.

use crate::RoundId;

/// What to generate: how many charts, spread over how many practices and rounds, from which
/// seed.
///
/// Chart `i` (0-based) belongs to practice `i % practices` and to one of `rounds` consecutive
/// rounds starting at `first_round`, in contiguous blocks (the first `charts / rounds` charts
/// in `first_round`, and so on). A `practices` or `rounds` of 0 is read as 1.
///
/// ```
/// use oncoqual::synth::SynthConfig;
/// let mut config = SynthConfig::new(100, 4, 2, 42);
/// config.first_round = "2025-2".parse().unwrap();
/// assert_eq!(SynthConfig::default().charts, 1000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SynthConfig {
    /// Number of charts to generate.
    pub charts: usize,
    /// Number of practices (`P0001`, `P0002`, ...) the charts are spread over.
    pub practices: usize,
    /// Number of consecutive rounds the charts are spread over.
    pub rounds: usize,
    /// Seed of every random choice: the same configuration always gives the same charts.
    pub seed: u64,
    /// The first round (default `2026-1`).
    pub first_round: RoundId,
}

impl SynthConfig {
    /// `charts` charts over `practices` practices and `rounds` rounds from `seed`, starting in
    /// round `2026-1`.
    pub fn new(charts: usize, practices: usize, rounds: usize, seed: u64) -> SynthConfig {
        SynthConfig {
            charts,
            practices,
            rounds,
            seed,
            first_round: default_round(),
        }
    }

    /// The practice (0-based) of chart `index`.
    pub(crate) fn practice_of(&self, index: usize) -> usize {
        // A `practices` of 0 is read as 1, and anything modulo 1 is 0.
        index.checked_rem(self.practices).unwrap_or(0)
    }

    /// The round of chart `index`.
    pub(crate) fn round_of(&self, index: usize) -> RoundId {
        let rounds = self.rounds.max(1) as u128;
        // `usize` values are below 2^64, so their product fits a `u128`; `charts` is not 0
        // where it divides, and `rounds` is at least 1.
        let offset = (index as u128)
            .saturating_mul(rounds)
            .checked_div(self.charts as u128)
            .map_or(0, |offset| offset.min(rounds.saturating_sub(1)));
        nth_round(self.first_round, u64::try_from(offset).unwrap_or(u64::MAX))
    }
}

impl Default for SynthConfig {
    /// 1,000 charts, 10 practices, 1 round (`2026-1`), seed 1.
    fn default() -> Self {
        SynthConfig::new(1000, 10, 1, 1)
    }
}

fn default_round() -> RoundId {
    RoundId::known(2026, 1)
}

/// The round `k` rounds after `first`, or the last supported round (9998-2).
fn nth_round(first: RoundId, k: u64) -> RoundId {
    // A year (`u16`) times 2 plus 1 fits a `u64` with room to spare.
    let base = (u64::from(first.year()) << 1) | u64::from(first.half().saturating_sub(1));
    let t = base.saturating_add(k);
    u16::try_from(t >> 1)
        .ok()
        .and_then(|year| RoundId::new(year, if t & 1 == 0 { 1 } else { 2 }))
        .or_else(|| RoundId::new(RoundId::MAX_YEAR, 2))
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_are_contiguous_blocks() {
        let c = SynthConfig::new(10, 3, 2, 1);
        let r: Vec<String> = (0..10).map(|i| c.round_of(i).to_string()).collect();
        assert_eq!(r[..5], ["2026-1"; 5]);
        assert_eq!(r[5..], ["2026-2"; 5]);
        assert_eq!(c.practice_of(4), 1);
        assert_eq!(c.round_of(99).to_string(), "2026-2");
    }

    #[test]
    fn degenerate_configs_do_not_panic() {
        let mut c = SynthConfig::new(0, 0, 0, 0);
        assert_eq!(c.practice_of(5), 0);
        assert_eq!(c.round_of(5).to_string(), "2026-1");
        c.first_round = RoundId::new(9998, 2).unwrap();
        c.charts = 4;
        c.rounds = 4;
        assert_eq!(c.round_of(3).to_string(), "9998-2");
        assert_eq!(
            nth_round(RoundId::new(2026, 2).unwrap(), 3).to_string(),
            "2028-1"
        );
    }
}
