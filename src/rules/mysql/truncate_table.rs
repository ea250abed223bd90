use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, MYSQL};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `TRUNCATE TABLE` of a MySQL table that existed before this change set.
    ///
    /// ## Why is this bad?
    /// TRUNCATE drops and recreates the table: every row is gone, it commits implicitly
    /// (no rollback, even inside a transaction), it does not fire DELETE triggers, and it
    /// takes an exclusive metadata lock that waits for, and then blocks, every query on the
    /// table. A migration is rarely the place to empty a table users write to.
    ///
    /// ## Example
    /// ```sql
    /// TRUNCATE TABLE sessions;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- lockstep:ignore mysql-truncate-table -- cache table, rebuilt on demand
    /// TRUNCATE TABLE sessions;
    /// ```
    /// Delete the rows that must go in batches (`DELETE ... WHERE id BETWEEN ... LIMIT`),
    /// or say in an ignore comment why emptying the table is safe.
    pub static RULE = Rule {
        id: "mysql-truncate-table",
        group: Group::DataLoss,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: MYSQL,
        versions: "all versions",
        summary: "TRUNCATE deletes every row of an existing table without a rollback",
        lock: Some(LockClaim { mode: LockMode::MysqlExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::Truncate { tables, .. } = &statement.kind else {
        return;
    };
    let existing: Vec<_> = tables.iter().filter(|t| !ctx.is_new_table(t)).collect();
    for table in existing {
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("TRUNCATE deletes every row of `{table}` and commits at once: it cannot be rolled back"),
            )
            .lock(table, LockMode::MysqlExclusive, TableEffect::None)
            .help(format!("delete the rows of `{table}` that must go in batches by primary key, or mark this with `-- lockstep:ignore mysql-truncate-table -- <why emptying it is safe>`")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect::Mysql;
    use crate::rules::testing::{lint_err_in, lint_ok_in};

    #[test]
    fn flags_truncating_an_existing_table() {
        insta::assert_snapshot!(lint_err_in(Mysql, "TRUNCATE TABLE sessions;", &RULE));
    }

    #[test]
    fn quiet_on_tables_of_this_change_set() {
        lint_ok_in(
            Mysql,
            "CREATE TABLE staging (a INT);\nTRUNCATE staging;",
            &RULE,
        );
    }
}
