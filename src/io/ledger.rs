//! The charts of one run across all its inputs: each chart's digest with where it was first
//! read, so a chart given twice (in one file or in two) is refused with both locations.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::{Arc, OnceLock};

use foldhash::SharedSeed;
use foldhash::quality::SeedableRandomState;

use crate::chart::{ChartDigest, ChartKey, Finding, FindingKind};

use super::parse::RecordError;

/// Every chart a run has read, across every input it reads, by (round, practice, chart id)
/// digest under the run's [`ChartKey`]. A chart counts once per (round, practice): the
/// second record of one is rejected with the first one's line (and input, when another).
/// Costs about 40 bytes a chart; no chart id is kept.
///
/// ```
/// use oncoqual::io::ChartLedger;
/// use oncoqual::JsonlReader;
/// let a = "{\"id\":\"c1\",\"practice\":\"p\",\"round\":\"2026-1\"}\n";
/// let mut first = JsonlReader::with_ledger(a.as_bytes(), ChartLedger::default(), "a.jsonl");
/// assert!(first.next().unwrap().is_ok());
/// let ledger = first.into_ledger();
/// let mut second = JsonlReader::with_ledger(a.as_bytes(), ledger, "b.jsonl");
/// let err = second.next().unwrap().unwrap_err();
/// assert_eq!(err.to_string(), "line 1: error at `id`: duplicate chart: this chart id, practice and round were first read on line 1 of `a.jsonl`");
/// ```
#[derive(Clone, Default)]
pub struct ChartLedger {
    key: ChartKey,
    sources: Vec<Arc<str>>,
    first: HashMap<ChartDigest, (u32, u32), DigestHasher>,
}

/// How the ledger hashes digests: foldhash (a few multiplies per digest, where the
/// standard library's SipHash-1-3 took about a tenth of the run on small charts), keyed by
/// secrets drawn from the operating system's randomness: one per process, and one per
/// ledger. Its `quality` variant, whose final mixing step spreads digests that differ only
/// in their high bits over all buckets (on such digests the `fast` one at times filled
/// 14% fewer buckets than chance: see the test below).
///
/// Why keyed: a digest is not secret when charts are digested without a program secret
/// ([`ChartKey::unkeyed`]). Anyone can then compute it, and search for chart ids whose
/// digests agree in the bits an unkeyed hash would keep, and so send a file whose charts
/// all fall in one bucket, turning each insertion into a scan of all before it. With the
/// hash keyed by secrets nobody outside the process sees, which digests collide cannot be
/// known in advance. foldhash's own random seeds come from addresses and the clock; the
/// standard library's `RandomState`, which reads the operating system's random source, is
/// used to draw ours instead.
#[derive(Clone)]
struct DigestHasher(SeedableRandomState);

impl DigestHasher {
    /// A hasher under the process's secret and a fresh per-ledger one.
    fn new() -> DigestHasher {
        static PROCESS: OnceLock<SharedSeed> = OnceLock::new();
        let shared = PROCESS.get_or_init(|| SharedSeed::from_u64(os_random()));
        DigestHasher(SeedableRandomState::with_seed(os_random(), shared))
    }
}

impl Default for DigestHasher {
    fn default() -> Self {
        DigestHasher::new()
    }
}

impl BuildHasher for DigestHasher {
    type Hasher = <SeedableRandomState as BuildHasher>::Hasher;

    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}

/// 64 unpredictable bits: a SipHash under a key the standard library drew from the
/// operating system's random source (a fresh key each call).
fn os_random() -> u64 {
    std::hash::RandomState::new().hash_one(0x6f6e_636f_7175_616c_u64)
}

impl fmt::Debug for ChartLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChartLedger")
            .field("key", &self.key)
            .field("inputs", &self.sources.len())
            .field("charts", &self.first.len())
            .finish()
    }
}

impl ChartLedger {
    /// An empty ledger whose digests use `key`.
    pub fn new(key: ChartKey) -> ChartLedger {
        ChartLedger {
            key,
            sources: Vec::new(),
            first: HashMap::default(),
        }
    }

    /// The key its digests use.
    pub fn key(&self) -> &ChartKey {
        &self.key
    }

    /// Charts recorded.
    pub fn len(&self) -> usize {
        self.first.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }

    /// Starts an input named `name` (as errors will show it); returns its number.
    pub(crate) fn open(&mut self, name: &str) -> u32 {
        let number = self.sources.len();
        self.sources.push(Arc::from(name));
        u32::try_from(number).unwrap_or(u32::MAX)
    }

    /// Records the chart `digest` read on `line` of input `source`; an error naming the
    /// first record when it was read before.
    pub(crate) fn check(
        &mut self,
        digest: ChartDigest,
        source: u32,
        line: usize,
    ) -> Result<(), RecordError> {
        let here = u32::try_from(line).unwrap_or(u32::MAX);
        match self.first.entry(digest) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert((source, here));
                Ok(())
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                let (s, first) = *o.get();
                let first_in = (s != source)
                    .then(|| self.sources.get(s as usize).map(|n| n.to_string()))
                    .flatten();
                Err(RecordError::single(
                    Some(line),
                    None,
                    Finding::error(
                        "id",
                        FindingKind::DuplicateChartId {
                            first: first as usize,
                            first_in,
                        },
                    ),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    use super::{ChartLedger, DigestHasher};
    use crate::chart::ChartDigest;

    /// Digests an attacker could line up (equal low halves, or equal high halves) still
    /// spread over the buckets a table indexes by the hash's low bits.
    #[test]
    fn crafted_digests_spread_over_buckets() {
        let hasher = DigestHasher::new();
        for shift in [0u32, 64, 116] {
            let buckets: HashSet<u64> = (0..4096u128)
                .map(|i| hasher.hash_one(ChartDigest::from_u128(i << shift)) & 0xfff)
                .collect();
            // 4096 random draws into 4096 buckets fill about 2,590 of them.
            assert!(
                buckets.len() > 2300,
                "shift {shift}: {} buckets",
                buckets.len()
            );
        }
    }

    /// Each ledger (and so each process) hashes under its own secret: which digests
    /// collide in one cannot be learnt from another.
    #[test]
    fn ledgers_hash_under_their_own_secrets() {
        let d = ChartDigest::from_u128(42);
        let a = DigestHasher::new();
        let b = DigestHasher::new();
        assert_eq!(a.hash_one(d), a.clone().hash_one(d));
        assert_ne!(a.hash_one(d), b.hash_one(d));
    }

    #[test]
    fn repeats_are_found_among_many() {
        let mut ledger = ChartLedger::default();
        let source = ledger.open("a.jsonl");
        for i in 0..20_000u128 {
            let line = usize::try_from(i).unwrap() + 1;
            assert!(
                ledger
                    .check(ChartDigest::from_u128(i << 64), source, line)
                    .is_ok()
            );
        }
        assert_eq!(ledger.len(), 20_000);
        let err = ledger
            .check(ChartDigest::from_u128(7 << 64), source, 30_000)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 30000: error at `id`: duplicate chart: this chart id, practice and round were first read on line 8"
        );
    }
}
