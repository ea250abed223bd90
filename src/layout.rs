//! Migration framework layouts, and the split of one migration file into its up/down
//! sections with the transaction mode each section runs in.
//!
//! Discovery ([`crate::discover`]) decides which framework a folder follows; this module
//! knows what that framework's in-file markers mean:
//!
//! - dbmate: `-- migrate:up` and `-- migrate:down` lines (dbmate matches
//!   `^--\s*migrate:up(\s*$|\s+\S+)`, first match of each). The rest of the marker line holds
//!   `key:value` options; `transaction:false` runs that block outside a transaction, anything
//!   else keeps dbmate's default of one transaction per block. The up block runs to the down
//!   marker, the down block to the end of the file.
//! - goose: `-- +goose Up`, `-- +goose Down` and `-- +goose NO TRANSACTION` annotations,
//!   case-insensitive, on their own line with no leading whitespace. `NO TRANSACTION`
//!   anywhere in the file runs both the up and the down part without a transaction;
//!   otherwise goose wraps each.

use crate::discover::MigrationFile;
use crate::span::Span;
use crate::text::contains_ignore_ascii_case;
use serde::Serialize;

/// The migration framework whose conventions a folder follows.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    Flyway,
    GolangMigrate,
    Dbmate,
    Goose,
    Diesel,
    Prisma,
    Sqitch,
    Plain,
}

impl Layout {
    pub const ALL: [Layout; 8] = [
        Layout::Flyway,
        Layout::GolangMigrate,
        Layout::Dbmate,
        Layout::Goose,
        Layout::Diesel,
        Layout::Prisma,
        Layout::Sqitch,
        Layout::Plain,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layout::Flyway => "flyway",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Dbmate => "dbmate",
            Layout::Goose => "goose",
            Layout::Diesel => "diesel",
            Layout::Prisma => "prisma",
            Layout::Sqitch => "sqitch",
            Layout::Plain => "plain",
        }
    }
}

/// Which way a piece of migration code moves the schema.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Applied when migrating forward; the only code whose changes later files see.
    Up,
    /// Rollback code: golang-migrate `.down.sql`, Flyway `U` undo, sqitch `revert/`,
    /// goose/dbmate down sections, Diesel `down.sql`.
    Down,
    /// sqitch `verify/` scripts: checks, not schema changes.
    Verify,
}

/// One contiguous part of a file that runs in one direction and one transaction mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub span: Span,
    pub direction: Direction,
    pub transactional: bool,
}

impl Section {
    /// Whether the statement at `statement` belongs to the section: it starts inside it
    /// (an empty section still holds a statement starting where it starts).
    pub fn holds(&self, statement: Span) -> bool {
        self.span.start <= statement.start
            && statement.start < self.span.end.max(self.span.start + 1)
    }
}

/// Split a file's text into its up/down sections with their transaction mode.
/// Files without sections give one section spanning the whole text with the file's own direction.
pub fn sections(text: &str, file: &MigrationFile) -> Vec<Section> {
    let markers = match file.layout {
        Layout::Dbmate => dbmate_markers(text),
        Layout::Goose => goose_markers(text),
        _ => Vec::new(),
    };
    if markers.is_empty() {
        return vec![Section {
            span: Span::new(0, text.len()),
            direction: file.direction,
            transactional: file.transactional,
        }];
    }
    sections_between(text.len(), &markers)
}

/// A marker line that opens a section.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Marker {
    /// Where the marker line starts (the previous section ends here).
    line_start: usize,
    /// Where the code after the marker line starts.
    body_start: usize,
    direction: Direction,
    transactional: bool,
}

/// Each marker's section runs to the next marker or the end of the text. Text before the
/// first marker belongs to no section: both tools reject statements there, so it can
/// only hold comments.
fn sections_between(text_len: usize, markers: &[Marker]) -> Vec<Section> {
    let mut ordered: Vec<&Marker> = markers.iter().collect();
    ordered.sort_by_key(|marker| marker.line_start);
    let ends = ordered
        .iter()
        .skip(1)
        .map(|next| next.line_start)
        .chain(std::iter::once(text_len));
    ordered
        .iter()
        .zip(ends)
        .map(|(marker, end)| Section {
            span: Span::new(marker.body_start, end),
            direction: marker.direction,
            transactional: marker.transactional,
        })
        .collect()
}

/// A line of the text with its byte offsets; `text` has no line terminator.
struct Line<'a> {
    start: usize,
    next_start: usize,
    text: &'a str,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        Line {
            start,
            next_start: offset,
            text: raw.trim_end_matches(['\n', '\r']),
        }
    })
}

/// The part of a dbmate marker line after `migrate:up` / `migrate:down`, when the line
/// is such a marker.
fn dbmate_marker_rest<'a>(line: &'a str, keyword: &str) -> Option<&'a str> {
    let rest = line
        .strip_prefix("--")?
        .trim_start()
        .strip_prefix(keyword)?;
    // `-- migrate:upgrade` is a comment, not a marker: the keyword must end the word.
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_whitespace() => Some(rest),
        Some(_) => None,
    }
}

/// dbmate's `transaction` option on a marker line: only `transaction:false` turns the
/// transaction off.
fn dbmate_transactional(options: &str) -> bool {
    !options
        .split_whitespace()
        .filter_map(|pair| pair.split_once(':'))
        .any(|(key, value)| key == "transaction" && value == "false")
}

fn dbmate_markers(text: &str) -> Vec<Marker> {
    let mut up = None;
    let mut down = None;
    for line in lines(text) {
        for (keyword, direction, slot) in [
            ("migrate:up", Direction::Up, &mut up),
            ("migrate:down", Direction::Down, &mut down),
        ] {
            if slot.is_some() {
                continue;
            }
            if let Some(options) = dbmate_marker_rest(line.text, keyword) {
                *slot = Some(Marker {
                    line_start: line.start,
                    body_start: line.next_start,
                    direction,
                    transactional: dbmate_transactional(options),
                });
            }
        }
    }
    up.into_iter().chain(down).collect()
}

/// The transaction mode dbmate gives the up block of this text (`true` when it has no
/// up marker, dbmate's default).
pub(crate) fn dbmate_up_transactional(text: &str) -> bool {
    dbmate_markers(text)
        .iter()
        .find(|marker| marker.direction == Direction::Up)
        .is_none_or(|marker| marker.transactional)
}

/// Whether the text has a `-- migrate:up` marker.
pub(crate) fn has_dbmate_up(text: &str) -> bool {
    // Discovery asks this of every file of a flat folder: rule most out without the lines.
    memchr::memmem::find(text.as_bytes(), b"migrate:up").is_some()
        && lines(text).any(|line| dbmate_marker_rest(line.text, "migrate:up").is_some())
}

/// The goose annotation on a line, lowercased with single spaces (`up`, `down`,
/// `no transaction`, `statementbegin`, ...).
fn goose_annotation(line: &str) -> Option<String> {
    let rest = line.strip_prefix("--")?.trim_start();
    let prefix = rest.get(..6)?;
    if !prefix.eq_ignore_ascii_case("+goose") {
        return None;
    }
    let command = rest.get(6..)?;
    if !command.starts_with(char::is_whitespace) {
        return None;
    }
    let words: Vec<String> = command
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    Some(words.join(" "))
}

/// Whether the text has goose's `NO TRANSACTION` annotation.
pub(crate) fn goose_no_transaction(text: &str) -> bool {
    lines(text).any(|line| goose_annotation(line.text).as_deref() == Some("no transaction"))
}

/// Whether the text has a `-- +goose Up` annotation.
pub(crate) fn has_goose_up(text: &str) -> bool {
    // Discovery asks this of every file of a flat folder: rule most out without the lines
    // (every goose annotation holds `+goose`).
    contains_ignore_ascii_case(text, "+goose")
        && lines(text).any(|line| goose_annotation(line.text).as_deref() == Some("up"))
}

fn goose_markers(text: &str) -> Vec<Marker> {
    let transactional = !goose_no_transaction(text);
    let mut up = None;
    let mut down = None;
    for line in lines(text) {
        let (direction, slot) = match goose_annotation(line.text).as_deref() {
            Some("up") => (Direction::Up, &mut up),
            Some("down") => (Direction::Down, &mut down),
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(Marker {
                line_start: line.start,
                body_start: line.next_start,
                direction,
                transactional,
            });
        }
    }
    up.into_iter().chain(down).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn file(layout: Layout, direction: Direction, transactional: bool) -> MigrationFile {
        MigrationFile {
            path: PathBuf::from("m.sql"),
            layout,
            direction,
            version: None,
            transactional,
            report: true,
        }
    }

    fn texts<'a>(text: &'a str, sections: &[Section]) -> Vec<(&'a str, Direction, bool)> {
        sections
            .iter()
            .map(|s| (s.span.text(text), s.direction, s.transactional))
            .collect()
    }

    #[test]
    fn unsectioned_file_is_one_section_with_its_own_direction() {
        let text = "DROP TABLE users;\n";
        let got = sections(text, &file(Layout::GolangMigrate, Direction::Down, false));
        assert_eq!(
            got,
            vec![Section {
                span: Span::new(0, 18),
                direction: Direction::Down,
                transactional: false
            }]
        );
    }

    #[test]
    fn dbmate_blocks_with_per_block_transaction_option() {
        let text = "-- add the index\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- migrate:down\nDROP INDEX i;\n";
        let got = sections(text, &file(Layout::Dbmate, Direction::Up, false));
        assert_eq!(
            texts(text, &got),
            vec![
                (
                    "CREATE INDEX CONCURRENTLY i ON t (a);\n\n",
                    Direction::Up,
                    false
                ),
                ("DROP INDEX i;\n", Direction::Down, true),
            ]
        );
        assert!(!dbmate_up_transactional(text));
    }

    #[test]
    fn dbmate_marker_must_end_its_word_and_other_options_keep_the_transaction() {
        let text = "-- migrate:upgrade notes\n--migrate:up foo:bar transaction:true\nSELECT 1;\n";
        let got = sections(text, &file(Layout::Dbmate, Direction::Up, true));
        assert_eq!(
            texts(text, &got),
            vec![("SELECT 1;\n", Direction::Up, true)]
        );
        assert!(dbmate_up_transactional(text));
        assert!(has_dbmate_up(text));
        assert!(!has_dbmate_up("-- migrate:upgrade\n"));
    }

    #[test]
    fn goose_sections_share_the_no_transaction_annotation() {
        let text = "-- +goose NO TRANSACTION\r\n-- +goose Up\r\nCREATE INDEX CONCURRENTLY i ON t (a);\r\n-- +goose Down\r\nDROP INDEX i;";
        let got = sections(text, &file(Layout::Goose, Direction::Up, false));
        assert_eq!(
            texts(text, &got),
            vec![
                (
                    "CREATE INDEX CONCURRENTLY i ON t (a);\r\n",
                    Direction::Up,
                    false
                ),
                ("DROP INDEX i;", Direction::Down, false),
            ]
        );
    }

    #[test]
    fn goose_annotations_are_case_insensitive_but_not_indented() {
        let text = "-- +GOOSE up\nSELECT 1;\n  -- +goose Down\nSELECT 2;\n";
        let got = sections(text, &file(Layout::Goose, Direction::Up, true));
        assert_eq!(
            texts(text, &got),
            vec![(
                "SELECT 1;\n  -- +goose Down\nSELECT 2;\n",
                Direction::Up,
                true
            )]
        );
        assert!(has_goose_up(text));
        assert!(!goose_no_transaction(text));
        assert!(goose_no_transaction("-- +goose no   transaction\n"));
    }

    #[test]
    fn markers_are_only_read_for_their_own_layout() {
        let text = "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n";
        let got = sections(text, &file(Layout::Plain, Direction::Up, false));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].span, Span::new(0, text.len()));
    }

    #[test]
    fn layout_names() {
        assert_eq!(Layout::GolangMigrate.name(), "golang-migrate");
        assert_eq!(
            serde_json::to_string(&Layout::GolangMigrate)
                .ok()
                .as_deref(),
            Some("\"golang-migrate\"")
        );
        assert_eq!(Layout::Sqitch.name(), "sqitch");
    }
}
