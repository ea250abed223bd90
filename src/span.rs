//! Byte spans into a file's decoded text, and their conversion to line and column.
//!
//! Every stage keeps byte offsets; only the report edge turns them into 1-based
//! line/column pairs through a [`LineIndex`].

use serde::Serialize;

/// A half-open byte range `[start, end)` into a file's text.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The text under this span; empty when the span does not fit the text.
    pub fn text(self, source: &str) -> &str {
        source
            .get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }

    /// This span moved right by `offset` bytes (from statement-relative to file-relative).
    pub fn shifted(self, offset: u32) -> Span {
        Span {
            start: self.start + offset,
            end: self.end + offset,
        }
    }

    pub fn contains(self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// A 1-based position: `column` counts Unicode scalar values, as SARIF's
/// `unicodeCodePoints` column kind and editors expect.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// Line starts of one text, for turning byte offsets into [`LineCol`] in logarithmic time
/// (a generated file can be one line of megabytes with thousands of findings on it).
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    /// Characters before each [`CHECKPOINT_BYTES`] block: a column is counted from the
    /// nearest checkpoint, never from the start of a long line.
    chars_before_block: Vec<u32>,
}

/// Bytes between two character-count checkpoints.
const CHECKPOINT_BYTES: usize = 1024;

/// Whether `byte` starts a character (is not a UTF-8 continuation byte).
fn starts_char(byte: u8) -> bool {
    byte & 0b1100_0000 != 0b1000_0000
}

/// The characters that start in `bytes`.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| starts_char(b)).count()
}

impl LineIndex {
    /// Lines end at `\n`, `\r\n` or a lone `\r` (old Mac files), as editors count them.
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        // Only the line-break bytes are visited (a byte-by-byte walk was 1.6% of a run).
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            let breaks = bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n');
            if breaks {
                line_starts.push(i as u32 + 1);
            }
        }
        let mut chars_before_block = Vec::with_capacity(bytes.len() / CHECKPOINT_BYTES + 1);
        let mut chars = 0u32;
        for block in bytes.chunks(CHECKPOINT_BYTES) {
            chars_before_block.push(chars);
            chars += count_chars(block) as u32;
        }
        chars_before_block.push(chars);
        LineIndex {
            line_starts,
            chars_before_block,
        }
    }

    /// Characters in `text[..offset]`, `offset` being a character boundary.
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let block = offset / CHECKPOINT_BYTES;
        let from = block * CHECKPOINT_BYTES;
        let counted = self.chars_before_block.get(block).copied().unwrap_or(0) as usize;
        counted + count_chars(&text.as_bytes()[from..offset])
    }

    /// The position of byte `offset`. Offsets inside a multi-byte character or past the
    /// end are clamped, never a panic.
    pub fn line_col(&self, text: &str, offset: u32) -> LineCol {
        let offset = (offset as usize).min(text.len());
        let line = self
            .line_starts
            .partition_point(|&start| start as usize <= offset)
            .saturating_sub(1);
        let line_start = self.line_starts[line] as usize;
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        // A short line is counted from its start; a long one from the checkpoints.
        let chars_in_line = if end - line_start <= CHECKPOINT_BYTES {
            count_chars(&text.as_bytes()[line_start..end])
        } else {
            self.chars_before(text, end) - self.chars_before(text, line_start)
        };
        let column = chars_in_line + 1;
        LineCol {
            line: line as u32 + 1,
            column: column as u32,
        }
    }

    /// The text of 1-based line `line`, without its line ending.
    pub fn line_text<'a>(&self, text: &'a str, line: u32) -> &'a str {
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(i) else {
            return "";
        };
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(text.len(), |&e| e as usize);
        text[start as usize..end].trim_end_matches(['\n', '\r'])
    }

    /// The byte offset where 1-based line `line` starts.
    pub fn line_start(&self, line: u32) -> Option<u32> {
        self.line_starts
            .get((line as usize).checked_sub(1)?)
            .copied()
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "ab\r\nçé x\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), LineCol { line: 1, column: 1 });
        let x = text.find('x').unwrap() as u32;
        assert_eq!(index.line_col(text, x), LineCol { line: 2, column: 4 });
        assert_eq!(index.line_text(text, 1), "ab");
        assert_eq!(index.line_text(text, 2), "çé x");
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let text = "a\rb\r\nc\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        let d = text.find('d').unwrap() as u32;
        assert_eq!(index.line_col(text, d), LineCol { line: 4, column: 1 });
        assert_eq!(index.line_text(text, 2), "b");
    }

    #[test]
    fn columns_far_into_a_long_line_count_characters_across_checkpoints() {
        let text = format!("{}x", "é".repeat(3000));
        let index = LineIndex::new(&text);
        let x = text.find('x').unwrap() as u32;
        assert_eq!(
            index.line_col(&text, x),
            LineCol {
                line: 1,
                column: 3001
            }
        );
        // Every offset agrees with counting from the start of the line.
        for (offset, _) in text.char_indices().step_by(97) {
            let counted = text[..offset].chars().count() as u32 + 1;
            assert_eq!(index.line_col(&text, offset as u32).column, counted);
        }
    }

    #[test]
    fn offsets_past_the_end_or_inside_a_character_are_clamped() {
        let text = "é";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 1), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(text, 99), LineCol { line: 1, column: 2 });
    }
}
