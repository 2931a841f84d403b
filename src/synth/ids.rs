//! Identifiers: `C0000001` charts, `P0001` practices, `dx1`/`rx1` entries within a chart,
//! formatted on the stack.

use std::fmt::Write as _;

use crate::chart::{DiagnosisId, RegimenId};
use crate::{ChartId, PracticeId};

/// An identifier's text, formatted without allocating (at most 32 bytes).
pub(crate) struct IdText {
    buf: [u8; 32],
    len: usize,
}

impl IdText {
    /// `prefix` followed by `n` zero-padded to `width` digits.
    pub(crate) fn new(prefix: &str, n: u64, width: usize) -> IdText {
        let mut text = IdText {
            buf: [0; 32],
            len: 0,
        };
        // Prefixes are at most 4 bytes and a u64 at most 20 digits: the buffer never fills.
        let _ = write!(text, "{prefix}{n:0width$}");
        text
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl std::fmt::Write for IdText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(std::fmt::Error)?;
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The id of chart number `n` (1-based): `C0000001`.
pub(crate) fn chart_id(n: u64) -> ChartId {
    ChartId::generated(IdText::new("C", n, 7).as_str())
}

/// The id of practice number `n` (1-based): `P0001`.
pub(crate) fn practice_id(n: u64) -> PracticeId {
    PracticeId::generated(IdText::new("P", n, 4).as_str())
}

/// The id of diagnosis number `n` within a chart: `dx1`.
pub(crate) fn diagnosis_id(n: u32) -> Option<DiagnosisId> {
    DiagnosisId::new(IdText::new("dx", u64::from(n), 1).as_str())
}

/// The id of regimen number `n` within a chart: `rx1`.
pub(crate) fn regimen_id(n: u32) -> Option<RegimenId> {
    RegimenId::new(IdText::new("rx", u64::from(n), 1).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(chart_id(1).as_str(), "C0000001");
        assert_eq!(chart_id(12_345_678).as_str(), "C12345678");
        assert_eq!(chart_id(u64::MAX).as_str(), "C18446744073709551615");
        assert_eq!(practice_id(7).as_str(), "P0007");
        assert_eq!(diagnosis_id(2).unwrap().as_str(), "dx2");
        assert_eq!(regimen_id(10).unwrap().as_str(), "rx10");
    }
}
