//! Source text and byte spans: one span type for the whole front end; line and column are
//! computed only when a diagnostic is rendered.

use std::sync::Arc;

/// A half-open byte range `[start, end)` into one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The span `[start, end)`.
    pub fn new(start: usize, end: usize) -> Span {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The span's byte range.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A named source text, shared cheaply between the AST, diagnostics and traces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    name: Arc<str>,
    text: Arc<str>,
    line_starts: Arc<[u32]>,
}

impl Source {
    /// A source called `name` (a file path, usually) holding `text`.
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Source {
        let text: Arc<str> = text.into();
        let line_starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    // `i` is below the text's length: the next line's start never saturates.
                    .map(|(i, _)| i.saturating_add(1)),
            )
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
            .collect();
        Source {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text under `span` (empty if the span is out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0) as usize;
        let end = (offset as usize).min(self.text.len());
        let col = self
            .text
            .get(start..end)
            .map_or(end.saturating_sub(start), |s| s.chars().count());
        // Both are below the text's length plus one: the 1-based numbers never saturate.
        (line.saturating_add(1), col.saturating_add(1))
    }

    /// 0-based line and UTF-16 code-unit column of byte `offset` (a position as the
    /// Language Server Protocol counts it). An offset past the end is the end; one inside a
    /// character counts from that character's start.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub(crate) fn utf16_position(&self, offset: u32) -> (u32, u32) {
        let offset = offset.min(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0) as usize;
        let mut col: usize = 0;
        for (i, c) in self.text.get(start..).unwrap_or("").char_indices() {
            // Counted only when the whole character is before `offset`.
            if start.saturating_add(i).saturating_add(c.len_utf8()) > offset as usize {
                break;
            }
            col = col.saturating_add(c.len_utf16());
        }
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        (clamp(line), clamp(col))
    }

    /// The byte offset of 0-based `line` and UTF-16 column `col`, or `None` when the line is
    /// past the end. A column past the line's end is the line's end (before its newline), and
    /// one inside a character's two code units is that character's start.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub(crate) fn utf16_offset(&self, line: u32, col: u32) -> Option<u32> {
        let line = usize::try_from(line).ok()?;
        let start = *self.line_starts.get(line)? as usize;
        let end = self
            .line_starts
            .get(line.saturating_add(1))
            .map_or(self.text.len(), |&e| e as usize);
        let text = self.text.get(start..end)?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        let mut units: usize = 0;
        for (i, c) in text.char_indices() {
            let next = units.saturating_add(c.len_utf16());
            if next > col as usize {
                return u32::try_from(start.saturating_add(i)).ok();
            }
            units = next;
        }
        u32::try_from(start.saturating_add(text.len())).ok()
    }

    /// The text of 1-based line `line`, without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&e| e as usize);
        self.text
            .get(start as usize..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let s = Source::new("t.oqm", "ab\ncdé f\n");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(3), (2, 1));
        assert_eq!(s.line_col(8), (2, 5));
        assert_eq!(s.line_text(2), "cdé f");
        assert_eq!(s.line_text(9), "");
    }

    #[test]
    fn utf16_positions_count_code_units_and_round_trip() {
        // `é` is 2 bytes and 1 unit, `𝄞` 4 bytes and 2 units.
        let s = Source::new("t.oqm", "ab\r\ncé𝄞x\n\ny");
        assert_eq!(s.utf16_position(0), (0, 0));
        assert_eq!(s.utf16_position(2), (0, 2));
        assert_eq!(s.utf16_position(4), (1, 0));
        assert_eq!(s.utf16_position(5), (1, 1));
        assert_eq!(s.utf16_position(7), (1, 2));
        assert_eq!(s.utf16_position(11), (1, 4));
        // Inside `𝄞`: its start.
        assert_eq!(s.utf16_position(9), (1, 2));
        // Past the end: the end.
        assert_eq!(s.utf16_position(999), (3, 1));
        for offset in [0, 1, 2, 4, 5, 7, 11, 12, 13, 14] {
            let (l, c) = s.utf16_position(offset);
            assert_eq!(s.utf16_offset(l, c), Some(offset), "offset {offset}");
        }
        // A column inside `𝄞`'s two units is its start; past the line's end is its end.
        assert_eq!(s.utf16_offset(1, 3), Some(7));
        assert_eq!(s.utf16_offset(1, 99), Some(12));
        assert_eq!(s.utf16_offset(0, 99), Some(2));
        assert_eq!(s.utf16_offset(3, 5), Some(15));
        assert_eq!(s.utf16_offset(4, 0), None);
        assert_eq!(s.utf16_offset(u32::MAX, u32::MAX), None);
        let empty = Source::new("e.oqm", "");
        assert_eq!(empty.utf16_position(3), (0, 0));
        assert_eq!(empty.utf16_offset(0, 0), Some(0));
    }
}
