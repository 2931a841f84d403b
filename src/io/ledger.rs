//! The charts of one run across all its inputs: each chart's digest with where it was first
//! read, so a chart given twice (in one file or in two) is refused with both locations.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

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
    first: HashMap<ChartDigest, (u32, u32)>,
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
            first: HashMap::new(),
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
