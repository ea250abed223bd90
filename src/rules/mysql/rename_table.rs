use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, MYSQL};
use crate::statement::{AlterAction, ObjectName, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `RENAME TABLE a TO b` and `ALTER TABLE a RENAME TO b` on a MySQL table that
    /// existed before this change set.
    ///
    /// ## Why is this bad?
    /// The rename itself is instant (a brief exclusive metadata lock), but the application
    /// version still running queries the old name and fails on every statement until it is
    /// replaced. Views, triggers and stored routines naming the table break too. This holds
    /// on every MySQL and MariaDB version.
    ///
    /// ## Example
    /// ```sql
    /// RENAME TABLE customers TO clients;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- lockstep:ignore mysql-rename-table -- no release reads customers since v42
    /// RENAME TABLE customers TO clients;
    /// ```
    /// Expand and contract: create the new table, keep both in sync (triggers or dual
    /// writes) and backfill, move the application to the new name, then drop the old table
    /// in a later release. For a pure rename with short downtime acceptable, ship the
    /// application change first with a fallback to both names.
    pub static RULE = Rule {
        id: "mysql-rename-table",
        group: Group::Compatibility,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: MYSQL,
        versions: "all versions",
        summary: "renaming a table breaks the application version still running",
        lock: Some(LockClaim { mode: LockMode::MysqlExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let pairs: Vec<(ObjectName, ObjectName)> = match &statement.kind {
        StatementKind::RenameTables { pairs } => pairs.clone(),
        StatementKind::AlterTable { name, actions, .. } => actions
            .iter()
            .filter_map(|a| match a {
                AlterAction::RenameTable { to } => Some((name.clone(), to.clone())),
                _ => None,
            })
            .collect(),
        _ => return,
    };
    for (from, to) in pairs {
        if ctx.is_new_table(&from) {
            continue;
        }
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("renaming `{from}` to `{to}` breaks every running query that still uses `{from}`"),
            )
            .lock(&from, LockMode::MysqlExclusive, TableEffect::None)
            .help(format!("create `{to}` beside `{from}`, sync and backfill it, move the application to `{to}`, and drop `{from}` in a later release")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect::Mysql;
    use crate::rules::testing::{lint_err_in, lint_ok_in};

    #[test]
    fn flags_both_rename_forms() {
        insta::assert_snapshot!(lint_err_in(
            Mysql,
            "RENAME TABLE customers TO clients, orders TO purchases;\nALTER TABLE items RENAME TO products;",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_tables_of_this_change_set() {
        lint_ok_in(
            Mysql,
            "CREATE TABLE t (a INT);\nRENAME TABLE t TO u;",
            &RULE,
        );
    }
}
