use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, MYSQL};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `DROP TABLE` of a MySQL table that existed before this change set.
    ///
    /// ## Why is this bad?
    /// The rows are gone for good (DDL commits implicitly; there is no rollback), and the
    /// application version still running fails on every query that names the table. The
    /// drop takes an exclusive metadata lock, and on large tables MySQL 8.0 before 8.0.23
    /// stalls the whole server while it purges the buffer pool.
    ///
    /// ## Example
    /// ```sql
    /// DROP TABLE legacy_sessions;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- lockstep:ignore mysql-drop-table -- contract phase: unused since v42, backed up
    /// DROP TABLE legacy_sessions;
    /// ```
    /// Drop a table only in a contract phase: release code that no longer uses it, back it
    /// up (or rename it aside for a release first), then drop it and say why.
    pub static RULE = Rule {
        id: "mysql-drop-table",
        group: Group::DataLoss,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: MYSQL,
        versions: "all versions",
        summary: "dropping a table loses its rows and breaks the running application",
        lock: Some(LockClaim { mode: LockMode::MysqlExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::DropTable { names, .. } = &statement.kind else {
        return;
    };
    let existing: Vec<_> = names.iter().filter(|t| !ctx.is_new_table(t)).collect();
    for name in existing {
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("dropping `{name}` deletes its rows for good and breaks running queries that use it"),
            )
            .lock(name, LockMode::MysqlExclusive, TableEffect::None)
            .help(format!("drop `{name}` only in a contract phase, after every running release stops using it and a backup exists; then mark it with `-- lockstep:ignore mysql-drop-table -- <why it is safe now>`")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect::Mysql;
    use crate::rules::testing::{lint_err_in, lint_ok_in};

    #[test]
    fn flags_dropping_existing_tables() {
        insta::assert_snapshot!(lint_err_in(
            Mysql,
            "DROP TABLE IF EXISTS legacy_sessions, audit_log;",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_tables_of_this_change_set() {
        lint_ok_in(
            Mysql,
            "CREATE TABLE tmp_import (a INT);\nDROP TABLE tmp_import;",
            &RULE,
        );
    }
}
