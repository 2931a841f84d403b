//! Input limits, enforced while a chart is read (`io`) and validated ([`super::validate`]).

/// Input limits: a hostile file gets a clear error instead of exhausting memory.
///
/// Nesting depth is bounded by the model itself (unknown fields are rejected before their
/// value is read) and by the JSON parser's recursion limit of 128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest accepted record (one JSONL line or one JSON document), in bytes.
    pub max_line_bytes: usize,
    /// Most entries accepted in any one list of a chart.
    pub max_list_len: usize,
}

impl Limits {
    /// The default limits: 4 MiB per record, 10,000 entries per list.
    pub const DEFAULT: Limits = Limits {
        max_line_bytes: 4 << 20,
        max_list_len: 10_000,
    };

    /// Limits with a different record size.
    pub fn with_max_line_bytes(mut self, bytes: usize) -> Self {
        self.max_line_bytes = bytes;
        self
    }

    /// Limits with a different list length.
    pub fn with_max_list_len(mut self, len: usize) -> Self {
        self.max_list_len = len;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
