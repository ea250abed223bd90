use crate::declare_rule;
use crate::diagnostic::Severity;
use crate::rules::{Group, BOTH};

declare_rule! {
    /// ## What it does
    /// Notes a migration file written for a database lockstep does not lint, told by the
    /// dialect in its name as pop/fizz names them (`NAME.cockroach.up.sql`,
    /// `NAME.sqlite3.up.sql`). Such a file is skipped; the same migration's
    /// `NAME.postgres.up.sql` and `NAME.mysql.up.sql` are each linted as their own dialect.
    ///
    /// ## Why is this bad?
    /// It is not bad: the note says the file was read and deliberately left out, so a folder
    /// with files for several databases is never mistaken for one set of one dialect.
    ///
    /// ## Example
    /// ```sql
    /// -- 20240101120000_add_orders.sqlite3.up.sql
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- 20240101120000_add_orders.postgres.up.sql
    /// ```
    pub static RULE = Rule {
        id: "other-dialect-file",
        group: Group::Meta,
        default_severity: Severity::Note,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "a migration file for a database lockstep does not lint (skipped)",
        lock: None,
        check: None,
    };
}
