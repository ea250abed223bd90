use crate::declare_rule;
use crate::diagnostic::{Finding, Severity};
use crate::rules::{Ctx, Group, MYSQL};
use crate::statement::{ObjectName, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags the first DDL statement of a file on an existing MySQL table when no
    /// `SET [SESSION] lock_wait_timeout = N` comes before it.
    ///
    /// ## Why is this bad?
    /// Every ALTER, even an INSTANT one, needs an exclusive metadata lock at its start and
    /// end. While one long transaction or query holds the table, the ALTER waits for that
    /// lock, and every later query on the table queues behind the waiting ALTER: the table
    /// is unavailable for as long as the ALTER waits. MySQL's default `lock_wait_timeout` is
    /// one year. This holds on every MySQL and MariaDB version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ADD COLUMN nickname VARCHAR(40), ALGORITHM=INSTANT;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET SESSION lock_wait_timeout = 5;
    /// ALTER TABLE users ADD COLUMN nickname VARCHAR(40), ALGORITHM=INSTANT;
    /// ```
    /// Set a short timeout first, so the ALTER gives up (and can be retried) instead of
    /// stalling every query on the table.
    pub static RULE = Rule {
        id: "mysql-missing-lock-wait-timeout",
        group: Group::Locking,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: MYSQL,
        versions: "all versions",
        summary: "DDL without a lock_wait_timeout, so queries queue behind a waiting ALTER",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    if ctx.session.lock_timeout_set || ctx.is_rollback() {
        return;
    }
    let Some(table) = ddl_table(&statement.kind) else {
        return;
    };
    if ctx.is_new_table(table) {
        return;
    }
    ctx.report_once_per_file(
        Finding::new(
            &RULE,
            statement.span,
            format!("no lock_wait_timeout is set: while this waits for its metadata lock on `{table}`, every query on `{table}` queues behind it"),
        )
        .help("start the migration with `SET SESSION lock_wait_timeout = 5;` and retry the migration when it times out"),
    );
}

/// The existing table a DDL statement needs the metadata lock of.
fn ddl_table(kind: &StatementKind) -> Option<&ObjectName> {
    match kind {
        StatementKind::AlterTable { name, .. } => Some(name),
        StatementKind::CreateIndex(index) => Some(&index.table),
        StatementKind::DropIndex { table, .. } => table.as_ref(),
        StatementKind::DropTable { names, .. } | StatementKind::Truncate { tables: names, .. } => {
            names.first()
        }
        StatementKind::RenameTables { pairs } => pairs.first().map(|(from, _)| from),
        StatementKind::OptimizeTable { tables } => tables.first(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect::Mysql;
    use crate::rules::testing::{lint_err_in, lint_ok_in};

    #[test]
    fn flags_the_first_ddl_without_a_timeout_once() {
        insta::assert_snapshot!(lint_err_in(
            Mysql,
            "ALTER TABLE users ADD COLUMN a INT;\nALTER TABLE users ADD COLUMN b INT;",
            &RULE
        ));
    }

    #[test]
    fn quiet_after_a_timeout_or_on_new_tables() {
        lint_ok_in(
            Mysql,
            "SET lock_wait_timeout = 10;\nALTER TABLE users ADD COLUMN a INT;",
            &RULE,
        );
        lint_ok_in(
            Mysql,
            "CREATE TABLE t (a INT);\nALTER TABLE t ADD COLUMN b INT;",
            &RULE,
        );
    }
}
