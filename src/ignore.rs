//! Suppression comments: `-- lockstep:ignore rule-a, rule-b -- reason` on a statement's
//! line or the line above, and `-- lockstep:ignore-file rule-a` anywhere in the file.

use crate::span::{LineIndex, Span};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignore {
    /// The directive from `lockstep:` to the end of its rule list.
    pub span: Span,
    pub line: u32,
    pub file_wide: bool,
    pub rules: Vec<String>,
}

const MARKER: &str = "lockstep:ignore";

/// Every ignore directive in `text`. A directive only counts inside a `--` or `#` line
/// comment or a block comment, so a string containing the words does not suppress.
pub fn collect(text: &str, index: &LineIndex) -> Vec<Ignore> {
    text.match_indices(MARKER)
        .filter(|(at, _)| in_comment(text, *at))
        .map(|(at, _)| {
            let rest = &text[at + MARKER.len()..];
            let (file_wide, rest, skip) = match rest.strip_prefix("-file") {
                Some(r) => (true, r, "-file".len()),
                None => (false, rest, 0),
            };
            let line_end = rest.find(['\n', '\r']).unwrap_or(rest.len());
            let list = &rest[..line_end];
            // The reason follows ` -- `; a block comment closes with `*/`.
            let list = list.split(" --").next().unwrap_or(list);
            let list = list.split("*/").next().unwrap_or(list);
            let rules: Vec<String> = list
                .split([',', ' ', '\t'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let end = at + MARKER.len() + skip + list.trim_end().len();
            Ignore {
                span: Span::new(at, end),
                line: index.line_col(text, at as u32).line,
                file_wide,
                rules,
            }
        })
        .collect()
}

/// Whether byte `at` sits after `--` or `#` on its line, or inside `/* */`.
fn in_comment(text: &str, at: usize) -> bool {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..at];
    before.contains("--")
        || before.contains('#')
        || text[..at]
            .rfind("/*")
            .is_some_and(|open| text[..at].rfind("*/").is_none_or(|close| close < open))
}

impl Ignore {
    /// Whether this directive covers a statement spanning `first_line..=last_line`.
    pub fn covers(&self, first_line: u32, last_line: u32) -> bool {
        self.file_wide || (self.line + 1 >= first_line && self.line <= last_line)
    }

    pub fn names(&self, rule: &str) -> bool {
        self.rules.iter().any(|r| r == rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_are_read_with_their_rules_and_reason() {
        let text = "-- lockstep:ignore drop-column, rename-column -- old data\nALTER TABLE t DROP COLUMN c;\nSELECT 'lockstep:ignore x';\n/* lockstep:ignore-file require-concurrent-index */\n";
        let index = LineIndex::new(text);
        let ignores = collect(text, &index);
        assert_eq!(ignores.len(), 2);
        assert_eq!(ignores[0].rules, ["drop-column", "rename-column"]);
        assert_eq!(ignores[0].line, 1);
        assert!(!ignores[0].file_wide);
        assert!(ignores[0].covers(2, 2));
        assert!(!ignores[0].covers(3, 3));
        assert_eq!(ignores[1].rules, ["require-concurrent-index"]);
        assert!(ignores[1].file_wide);
    }
}
