use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect, TableLock};
use crate::rules::{Ctx, Group, MYSQL};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `UPDATE` or `DELETE` without a WHERE clause on a MySQL table that existed
    /// before this change set.
    ///
    /// ## Why is this bad?
    /// One statement changes every row in one transaction: InnoDB locks every row (and,
    /// without a usable index, the gaps between them) until it commits, so concurrent
    /// writes to the table wait for the whole run; the undo log grows with the table, a
    /// failure rolls back for as long again, and replicas apply it as one huge event and
    /// lag. This holds on every MySQL and MariaDB version.
    ///
    /// ## Example
    /// ```sql
    /// UPDATE users SET email_verified = 0;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// UPDATE users SET email_verified = 0 WHERE id BETWEEN 1 AND 10000;
    /// ```
    /// Backfill in batches by primary-key range, each batch its own transaction, with a
    /// pause between batches so replicas keep up.
    pub static RULE = Rule {
        id: "mysql-whole-table-dml",
        group: Group::Locking,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: MYSQL,
        versions: "all versions",
        summary: "UPDATE or DELETE of every row in one transaction",
        // No table lock (LOCK=NONE): the rows' own locks, taken while every row is read,
        // are what writers wait for; `check --stats` states how long from the row count.
        lock: Some(LockClaim { mode: LockMode::MysqlNone, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let (verb, table) = match &statement.kind {
        StatementKind::Update {
            table,
            has_where: false,
            ..
        } => ("UPDATE", table),
        StatementKind::Delete {
            table,
            has_where: false,
        } => ("DELETE", table),
        _ => return,
    };
    if ctx.is_new_table(table) {
        return;
    }
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("{verb} without WHERE changes every row of `{table}` in one transaction, locking them all until it commits"),
        )
        // With the table's name, which `check --stats` looks its size up by.
        .locks([TableLock::on(table, LockMode::MysqlNone, TableEffect::Scan)])
        .help(format!("{verb} `{table}` in batches by primary-key range (`WHERE id BETWEEN ? AND ?`), one transaction per batch")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect::Mysql;
    use crate::rules::testing::{lint_err_in, lint_ok_in};

    #[test]
    fn flags_unbounded_update_and_delete() {
        insta::assert_snapshot!(lint_err_in(
            Mysql,
            "UPDATE users SET email_verified = 0;\nDELETE FROM sessions;",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_bounded_statements_and_new_tables() {
        lint_ok_in(
            Mysql,
            "DELETE FROM sessions WHERE created_at < '2020-01-01';",
            &RULE,
        );
        lint_ok_in(Mysql, "CREATE TABLE t (a INT);\nUPDATE t SET a = 1;", &RULE);
    }
}
