//! What the database session knows just before each statement of a file section:
//! whether a transaction is open, whether a lock timeout is set, and which strong locks
//! the open transaction already holds.

use crate::diagnostic::{Blocks, TableLock};
use crate::span::Span;
use crate::statement::{AlterAction, ColumnCopy, Ident, ObjectName, Statement, StatementKind};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Transaction {
    /// Each statement commits on its own.
    None,
    /// The migration framework wraps the file (or section) in a transaction.
    Implicit,
    /// The file says `BEGIN`.
    Explicit,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub transaction: Transaction,
    /// A non-zero `lock_timeout` (PostgreSQL) or `lock_wait_timeout` (MySQL) is set.
    pub lock_timeout_set: bool,
    /// A non-zero `statement_timeout` (PostgreSQL) is set.
    pub statement_timeout_set: bool,
    /// A table whose ACCESS EXCLUSIVE lock the open transaction holds, with the statement
    /// that took it. Only tables that existed before the change set count: the engine
    /// passes no locks on new tables, which nobody else is waiting for.
    pub strong_lock_held: Option<(String, crate::span::Span)>,
    /// Constraints added `NOT VALID` in the open transaction: `(table, constraint)` keys.
    pub not_valid_in_transaction: Vec<(String, String)>,
    /// Tables a `TRUNCATE` emptied in the open transaction: it gave them new, empty files
    /// and holds ACCESS EXCLUSIVE until the commit, so later work on them reads no rows and
    /// blocks nobody who was not already blocked. (A `DELETE` without `WHERE` does not
    /// count: its dead rows stay in the file, and a rewrite or scan still reads them.)
    pub emptied_in_transaction: Vec<ObjectName>,
    /// Tables the open transaction holds a lock on that blocks writes (taken before the
    /// current statement), so nobody else has written to them since.
    pub write_locked: Vec<ObjectName>,
    /// Column copies (`UPDATE t SET new = old`) made in the open transaction on a table it
    /// had already locked against writes: every row of `t` is in the copy until the commit.
    pub copies_in_transaction: Vec<(ObjectName, ColumnCopy)>,
    /// The open transaction has changed a table definition.
    pub ddl_in_transaction: bool,
    /// The open transaction has changed rows.
    pub data_change_in_transaction: bool,
    /// MySQL `SET foreign_key_checks = 0`: new foreign keys are not checked against rows.
    pub foreign_key_checks_off: bool,
    /// The `timezone` set in this session, lower-case; `None` leaves the server default.
    pub time_zone: Option<String>,
    /// The statement just before, when it was an ALTER TABLE that could have been merged
    /// with a following one.
    pub previous_alter: Option<PreviousAlter>,
    /// The transaction is the implicit one PostgreSQL runs a multi-statement query string
    /// in (golang-migrate, a goose StatementBegin block), where `BEGIN` and `COMMIT` are
    /// allowed, rather than one a framework opened around the file.
    pub one_query: bool,
    /// The `BEGIN` that opened the explicit transaction still open, if one is.
    pub open_begin: Option<Span>,
}

/// An ALTER TABLE whose actions a following ALTER TABLE of the same table could join.
#[derive(Clone, Debug)]
pub struct PreviousAlter {
    pub table: ObjectName,
    pub span: Span,
}

impl Session {
    pub fn new(wrapped: bool) -> Session {
        Session {
            transaction: if wrapped {
                Transaction::Implicit
            } else {
                Transaction::None
            },
            lock_timeout_set: false,
            statement_timeout_set: false,
            strong_lock_held: None,
            not_valid_in_transaction: Vec::new(),
            emptied_in_transaction: Vec::new(),
            write_locked: Vec::new(),
            copies_in_transaction: Vec::new(),
            ddl_in_transaction: false,
            data_change_in_transaction: false,
            foreign_key_checks_off: false,
            time_zone: None,
            previous_alter: None,
            one_query: false,
            open_begin: None,
        }
    }

    /// Whether the session's time zone is UTC (set explicitly; the server default is unknown).
    pub fn time_zone_is_utc(&self) -> bool {
        self.time_zone.as_deref().is_some_and(|z| {
            matches!(
                z,
                "utc" | "etc/utc" | "gmt" | "etc/gmt" | "z" | "zulu" | "+00" | "00:00"
            )
        })
    }

    pub fn in_transaction(&self) -> bool {
        self.transaction != Transaction::None
    }

    /// Advances the state past `statement`, which took `locks`.
    pub fn advance(&mut self, statement: &Statement, locks: &[TableLock]) {
        self.previous_alter = match &statement.kind {
            StatementKind::AlterTable { name, actions, .. }
                if actions.iter().all(AlterAction::merges_with_others) =>
            {
                Some(PreviousAlter {
                    table: name.clone(),
                    span: statement.span,
                })
            }
            _ => None,
        };
        match &statement.kind {
            StatementKind::Begin => {
                self.transaction = Transaction::Explicit;
                self.open_begin.get_or_insert(statement.span);
            }
            StatementKind::Commit | StatementKind::Rollback => {
                self.transaction = Transaction::None;
                self.open_begin = None;
                self.end_transaction();
            }
            StatementKind::Set { name, value, .. }
                if name == "lock_timeout" || name == "lock_wait_timeout" =>
            {
                self.lock_timeout_set = !is_zero(value);
            }
            StatementKind::Set { name, value, .. } if name == "statement_timeout" => {
                self.statement_timeout_set = !is_zero(value);
            }
            StatementKind::Set { name, value, .. } if name == "foreign_key_checks" => {
                self.foreign_key_checks_off = is_zero(value) || value == "off";
            }
            StatementKind::Set { name, value, .. } if name == "timezone" => {
                let zone = value.trim().trim_matches('\'').to_lowercase();
                self.time_zone = (zone != "default" && zone != "local").then_some(zone);
            }
            kind => {
                if !self.in_transaction() {
                    return;
                }
                if kind.is_ddl() {
                    self.ddl_in_transaction = true;
                }
                if kind.is_data_change() {
                    self.data_change_in_transaction = true;
                }
                // Tables only: a view or sequence dropped or renamed is locked too, but
                // the work after it in the transaction holds up no table.
                if self.strong_lock_held.is_none() && (kind.is_ddl() || kind.is_data_change()) {
                    if let Some(l) = locks
                        .iter()
                        .find(|l| l.mode.blocks() == Blocks::ReadsAndWrites)
                    {
                        self.strong_lock_held = Some((l.table.clone(), statement.span));
                    }
                }
                if let StatementKind::Update { table, copies, .. } = kind {
                    // Compared by the name as written: the rule that reads these compares
                    // with the catalogue's folding.
                    if self.write_locked.iter().any(|t| same_table(t, table)) {
                        self.copies_in_transaction
                            .extend(copies.iter().map(|c| (table.clone(), c.clone())));
                    }
                }
                self.write_locked.extend(
                    locks
                        .iter()
                        .filter(|l| l.mode.blocks() != Blocks::Nothing)
                        .filter_map(|l| l.object.as_deref().cloned()),
                );
                if let StatementKind::Truncate { tables, .. } = kind {
                    self.emptied_in_transaction.extend(tables.iter().cloned());
                }
                if let StatementKind::AlterTable { name, actions, .. } = kind {
                    for a in actions {
                        if let AlterAction::AddConstraint(c) = a {
                            if let (true, Some(n)) = (c.not_valid, &c.name) {
                                self.not_valid_in_transaction
                                    .push((name.name.key().into_owned(), n.key().into_owned()));
                            }
                        }
                    }
                }
            }
        }
    }

    /// Whether `constraint` on `table` was added `NOT VALID` in the open transaction.
    pub fn added_not_valid_here(&self, table: &Ident, constraint: &Ident) -> bool {
        self.not_valid_in_transaction
            .iter()
            .any(|(t, c)| *t == table.key() && *c == constraint.key())
    }

    /// Opens the implicit transaction PostgreSQL runs a multi-statement query string in,
    /// unless a transaction is already open.
    pub fn begin_one_query(&mut self) -> bool {
        let opened = self.transaction == Transaction::None;
        if opened {
            self.transaction = Transaction::Implicit;
            self.one_query = true;
        }
        opened
    }

    /// The end of a query string whose implicit transaction [`begin_one_query`] opened.
    ///
    /// [`begin_one_query`]: Session::begin_one_query
    pub fn end_one_query(&mut self) {
        self.transaction = Transaction::None;
        self.one_query = false;
        self.end_transaction();
    }

    fn end_transaction(&mut self) {
        self.strong_lock_held = None;
        self.not_valid_in_transaction.clear();
        self.emptied_in_transaction.clear();
        self.write_locked.clear();
        self.copies_in_transaction.clear();
        self.ddl_in_transaction = false;
        self.data_change_in_transaction = false;
    }
}

/// Whether two names written in one dialect name the same table: the same key, with an
/// unqualified name taken for any schema (the session has no catalogue to resolve it).
fn same_table(a: &ObjectName, b: &ObjectName) -> bool {
    fn schema(n: &ObjectName) -> Option<std::borrow::Cow<'_, str>> {
        n.schema.as_ref().map(Ident::key)
    }
    a.name.key() == b.name.key()
        && (schema(a).is_none() || schema(b).is_none() || schema(a) == schema(b))
}

/// `0`, `'0'`, `0s`, `0ms`: PostgreSQL and MySQL read these as "no timeout".
pub fn is_zero(value: &str) -> bool {
    let v = value.trim().trim_matches('\'');
    let digits = v.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    !digits.is_empty() && digits.chars().all(|c| c == '0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_timeouts_are_recognised() {
        assert!(is_zero("0"));
        assert!(is_zero("'0'"));
        assert!(is_zero("0ms"));
        assert!(!is_zero("5s"));
        assert!(!is_zero("'2s'"));
        assert!(!is_zero("default"));
    }
}
