//! Findings as data: what a rule reports, with the lock it claims. Renderers live in
//! `report/`; nothing here formats output.

use crate::rules::Rule;
use crate::span::Span;
use crate::statement::ObjectName;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a finding is. The order matters: `Note < Warning < Error`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Advice.
    Note,
    /// Risky depending on table size or context.
    Warning,
    /// Blocks reads or writes beyond a brief metadata lock, rewrites the table, fails on
    /// real data, or breaks the running application version.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A table-level lock. PostgreSQL's eight modes, weakest first, then the three levels of
/// MySQL online DDL (`LOCK=NONE|SHARED|EXCLUSIVE`; each also takes a brief exclusive
/// metadata lock at its start and end).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
    MysqlNone,
    MysqlShared,
    MysqlExclusive,
}

/// Which application statements wait while a lock is held.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Blocks {
    Nothing,
    Writes,
    ReadsAndWrites,
}

impl Blocks {
    pub fn describe(self) -> &'static str {
        match self {
            Blocks::Nothing => "neither reads nor writes",
            Blocks::Writes => "writes (INSERT, UPDATE, DELETE); reads continue",
            Blocks::ReadsAndWrites => "reads and writes",
        }
    }
}

impl LockMode {
    /// The name PostgreSQL uses in `pg_locks.mode`, or MySQL's `LOCK=` clause.
    pub fn name(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
            LockMode::MysqlNone => "LOCK=NONE",
            LockMode::MysqlShared => "LOCK=SHARED",
            LockMode::MysqlExclusive => "LOCK=EXCLUSIVE",
        }
    }

    /// The `pg_locks.mode` spelling, e.g. `ShareLock`; `None` for MySQL modes.
    pub fn pg_locks_name(self) -> Option<&'static str> {
        Some(match self {
            LockMode::AccessShare => "AccessShareLock",
            LockMode::RowShare => "RowShareLock",
            LockMode::RowExclusive => "RowExclusiveLock",
            LockMode::ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            LockMode::Share => "ShareLock",
            LockMode::ShareRowExclusive => "ShareRowExclusiveLock",
            LockMode::Exclusive => "ExclusiveLock",
            LockMode::AccessExclusive => "AccessExclusiveLock",
            _ => return None,
        })
    }

    /// What ordinary application traffic cannot do while this lock is held.
    pub fn blocks(self) -> Blocks {
        match self {
            LockMode::AccessShare
            | LockMode::RowShare
            | LockMode::RowExclusive
            | LockMode::ShareUpdateExclusive
            | LockMode::MysqlNone => Blocks::Nothing,
            LockMode::Share
            | LockMode::ShareRowExclusive
            | LockMode::Exclusive
            | LockMode::MysqlShared => Blocks::Writes,
            LockMode::AccessExclusive | LockMode::MysqlExclusive => Blocks::ReadsAndWrites,
        }
    }
}

/// Serialised as users read it: `"ACCESS EXCLUSIVE"`, `"LOCK=NONE"`.
impl Serialize for LockMode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a statement does to the rows of a table while it holds its lock.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TableEffect {
    /// Catalogue change only.
    None,
    /// Reads every row (or builds an index from them) without rewriting.
    Scan,
    /// Writes a new copy of the table and its indexes.
    Rewrite,
}

impl TableEffect {
    pub fn describe(self) -> &'static str {
        match self {
            TableEffect::None => "metadata only",
            TableEffect::Scan => "scans the whole table",
            TableEffect::Rewrite => "rewrites the whole table",
        }
    }
}

/// A lock a rule documents: the mode and the effect on rows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LockClaim {
    pub mode: LockMode,
    pub effect: TableEffect,
}

/// The lock one statement takes on one named table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableLock {
    pub table: String,
    pub mode: LockMode,
    pub effect: TableEffect,
    /// The table as the statement names it, when the lock model knows it (an index's table
    /// it has not seen created is only a description), so rules can ask whether it is new.
    /// Boxed: every finding keeps its locks to the end of the run, and this is unset by then.
    #[serde(skip)]
    pub object: Option<Box<ObjectName>>,
}

impl TableLock {
    /// The lock on `table`, named as the statement names it.
    pub fn on(table: &ObjectName, mode: LockMode, effect: TableEffect) -> TableLock {
        TableLock {
            table: table.to_string(),
            mode,
            effect,
            object: Some(Box::new(table.clone())),
        }
    }

    pub fn blocks(&self) -> Blocks {
        self.mode.blocks()
    }
}

/// A text edit that fixes (part of) a finding: replace `span` with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<Edit>,
}

/// One problem found in one statement.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    /// What to underline: usually the whole statement, or the offending clause.
    pub span: Span,
    /// The whole statement this finding belongs to (ignores and fingerprints use it).
    pub statement: Span,
    pub message: String,
    /// The safe alternative for this statement, with the user's names filled in.
    pub help: Option<String>,
    pub locks: Vec<TableLock>,
    /// Boxed, as are the other rarely set parts: a report holds tens of thousands of
    /// findings, most without them.
    pub fix: Option<Box<Fix>>,
    /// `lockstep plan` writes a phased replacement for the statement (set by the engine:
    /// rules know nothing of plans).
    pub planned: bool,
    /// How long the lock is held, from a stats file (set by the engine with `--stats`:
    /// rules know nothing of table sizes).
    pub lock_duration: Option<Box<LockDuration>>,
}

/// The size-dependent work a statement does while it holds its lock.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Work {
    /// Writes a new copy of the table, its TOAST data and its indexes.
    Rewrite,
    /// Reads the table and writes one index.
    IndexBuild,
    /// Reads the table to check a constraint.
    ValidationScan,
    /// Changes every row (an UPDATE or DELETE without WHERE).
    Backfill,
}

impl Work {
    /// What the work amounts to, e.g. `rewrites 41 GB`, `updates 1,200,000 rows`.
    pub fn describe(self, amount: u64) -> String {
        match self {
            Work::Rewrite => format!("rewrites {}", bytes(amount)),
            Work::IndexBuild => format!("builds an index from {}", bytes(amount)),
            Work::ValidationScan => format!("scans {}", bytes(amount)),
            Work::Backfill => format!("changes {} rows", thousands(amount)),
        }
    }
}

/// How long a finding's lock is held, as far as a stats file tells.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum LockDuration {
    /// The table is in the stats file: the hold time is a range.
    Estimated {
        table: String,
        mode: LockMode,
        work: Work,
        /// Bytes for the size-bound kinds of work, rows for a backfill.
        amount: u64,
        low_seconds: f64,
        high_seconds: f64,
    },
    /// The stats file does not know the table (created since, or another database): the
    /// severity is the rule's own.
    UnknownTable { table: String },
}

impl LockDuration {
    fn table_mut(&mut self) -> &mut String {
        match self {
            LockDuration::Estimated { table, .. } | LockDuration::UnknownTable { table } => table,
        }
    }

    /// `ACCESS EXCLUSIVE on orders for about 3 to 8 minutes: rewrites 41 GB`.
    pub fn describe(&self) -> String {
        match self {
            LockDuration::Estimated {
                table,
                mode,
                work,
                amount,
                low_seconds,
                high_seconds,
            } => format!(
                "{mode} on {table} for {}: {}",
                seconds_range(*low_seconds, *high_seconds),
                work.describe(*amount)
            ),
            LockDuration::UnknownTable { table } => {
                format!("{table} is not in the stats file: severity as without stats")
            }
        }
    }
}

/// `about 3 to 8 minutes`, `about 300 ms to 2 seconds`: each bound in the unit that reads
/// best, the unit said once when both share it; `under 1 ms` below what a bound can show.
pub fn seconds_range(low: f64, high: f64) -> String {
    if high < 0.0005 {
        return "under 1 ms".to_string();
    }
    let (low_value, low_unit) = duration(low);
    let (high_value, high_unit) = duration(high);
    if low_unit == high_unit {
        format!("about {low_value} to {high_value} {high_unit}")
    } else {
        format!("about {low_value} {low_unit} to {high_value} {high_unit}")
    }
}

fn duration(seconds: f64) -> (String, &'static str) {
    let round = |value: f64| format!("{}", value.round().max(1.0));
    if seconds < 1.0 {
        (round(seconds * 1000.0), "ms")
    } else if seconds < 120.0 {
        (round(seconds), "seconds")
    } else if seconds < 2.0 * 3600.0 {
        (round(seconds / 60.0), "minutes")
    } else {
        (round(seconds / 3600.0), "hours")
    }
}

/// `41 GB`, `850 MB`, `12 kB` (powers of 1024, as PostgreSQL's `pg_size_pretty`).
fn bytes(amount: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut value = amount as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value >= 10.0 {
        format!("{} {}", value.round(), UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `1,200,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Finding {
    /// Lets go of what only the rules and the engine read, once they are done with the
    /// finding: the locked tables' names as the statement wrote them, and the spare room the
    /// strings and the lock list grew by. A report holds every finding until it is printed
    /// (29,000 in the bench's one-folder corpus, whose peak memory this took from 67 to
    /// 61 MiB).
    pub fn compact(&mut self) {
        self.message.shrink_to_fit();
        if let Some(help) = self.help.as_mut() {
            help.shrink_to_fit();
        }
        for lock in &mut self.locks {
            lock.object = None;
            lock.table.shrink_to_fit();
        }
        self.locks.shrink_to_fit();
    }

    /// Escapes control characters from input in everything the finding prints (see
    /// [`printable`]); fixes keep their text, which is SQL to apply, not to show.
    pub fn escape_controls(&mut self) {
        let escape = |text: &mut String| {
            if let std::borrow::Cow::Owned(escaped) = printable(text) {
                *text = escaped;
            }
        };
        escape(&mut self.message);
        if let Some(help) = self.help.as_mut() {
            escape(help);
        }
        for lock in &mut self.locks {
            escape(&mut lock.table);
        }
        if let Some(table) = self
            .lock_duration
            .as_deref_mut()
            .map(LockDuration::table_mut)
        {
            escape(table);
        }
    }

    /// Shows each masked placeholder as written (`(mask, written)` pairs) in everything the
    /// finding prints: its message, help, locked tables and fix.
    pub fn unmask(&mut self, names: &[(String, String)]) {
        let unmask = |text: &mut String| {
            for (masked, written) in names {
                if text.contains(masked.as_str()) {
                    *text = text.replace(masked.as_str(), written);
                }
            }
        };
        unmask(&mut self.message);
        if let Some(help) = self.help.as_mut() {
            unmask(help);
        }
        for lock in &mut self.locks {
            unmask(&mut lock.table);
        }
        if let Some(table) = self
            .lock_duration
            .as_deref_mut()
            .map(LockDuration::table_mut)
        {
            unmask(table);
        }
        if let Some(fix) = self.fix.as_mut() {
            unmask(&mut fix.title);
            for edit in &mut fix.edits {
                unmask(&mut edit.replacement);
            }
        }
    }

    pub fn new(rule: &'static Rule, statement: Span, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.default_severity,
            span: statement,
            statement,
            message: message.into(),
            help: None,
            locks: Vec::new(),
            fix: None,
            planned: false,
            lock_duration: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn lock(mut self, table: impl ToString, mode: LockMode, effect: TableEffect) -> Finding {
        self.locks.push(TableLock {
            table: table.to_string(),
            mode,
            effect,
            object: None,
        });
        self
    }

    pub fn locks(mut self, locks: impl IntoIterator<Item = TableLock>) -> Finding {
        self.locks.extend(locks);
        self
    }

    pub fn at(mut self, span: Span) -> Finding {
        self.span = span;
        self
    }

    pub fn severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    pub fn fix(mut self, title: impl Into<String>, edits: Vec<Edit>) -> Finding {
        self.fix = Some(Box::new(Fix {
            title: title.into(),
            edits,
        }));
        self
    }

    /// One line on the strongest lock: mode, table, what it blocks and the row effect.
    pub fn lock_summary(&self) -> Option<String> {
        let strongest = self.locks.iter().max_by_key(|l| (l.blocks(), l.mode))?;
        let held: Vec<&TableLock> = self
            .locks
            .iter()
            .filter(|l| l.mode == strongest.mode)
            .collect();
        let tables: Vec<&str> = held.iter().map(|l| l.table.as_str()).collect();
        // Under one mode, say what happens to the table that fares worst.
        let effect = held
            .iter()
            .map(|l| l.effect)
            .max()
            .unwrap_or(strongest.effect);
        Some(format!(
            "takes {} on {}: blocks {}; {}",
            strongest.mode,
            tables.join(", "),
            strongest.blocks().describe(),
            effect.describe()
        ))
    }
}

/// Text from input made safe to print on a terminal or in a log that tools parse: every
/// control character (a line break in a quoted name, a terminal escape) is written as its
/// escape (`\n`, `\u{1b}`), so it can neither start a line nor drive the terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    // The control characters are U+0000-U+001F, U+007F and U+0080-U+009F, whose UTF-8 starts
    // with 0xC2: a scan of the bytes settles almost every text without decoding it (decoding
    // each finding's texts was 1.4% of a run).
    let may_hold_control = text.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2);
    if !may_hold_control || !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod printable_tests {
    use super::{printable, LockDuration, LockMode, Work};

    #[test]
    fn lock_durations_read_as_ranges_in_fitting_units() {
        let estimate = |low_seconds, high_seconds, work, amount| LockDuration::Estimated {
            table: "orders".into(),
            mode: LockMode::AccessExclusive,
            work,
            amount,
            low_seconds,
            high_seconds,
        };
        assert_eq!(
            estimate(180.0, 480.0, Work::Rewrite, 41 << 30).describe(),
            "ACCESS EXCLUSIVE on orders for about 3 to 8 minutes: rewrites 41 GB"
        );
        assert_eq!(
            estimate(0.3, 2.4, Work::Backfill, 1_200_000).describe(),
            "ACCESS EXCLUSIVE on orders for about 300 ms to 2 seconds: changes 1,200,000 rows"
        );
        assert_eq!(
            estimate(0.0001, 0.0004, Work::ValidationScan, 8192).describe(),
            "ACCESS EXCLUSIVE on orders for under 1 ms: scans 8.0 kB"
        );
    }

    #[test]
    fn control_characters_are_written_as_escapes() {
        assert_eq!(printable("plain"), "plain");
        assert_eq!(printable("a\nb\x1b[0m\r"), "a\\nb\\u{1b}[0m\\r");
        // DEL and the C1 controls (two bytes, the first 0xC2) too; other characters whose
        // first byte is 0xC2 stay as they are.
        assert_eq!(printable("a\x7fb\u{85}c\u{9f}"), "a\\u{7f}b\\u{85}c\\u{9f}");
        assert_eq!(printable("£5 ¬ é"), "£5 ¬ é");
    }
}
