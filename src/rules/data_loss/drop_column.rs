use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, BOTH};
use crate::statement::{AlterAction, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags dropping a column that existed before this change set.
    ///
    /// ## Why is this bad?
    /// The data in the column is gone for good, and the application version still running
    /// fails on every query that names it (including `INSERT`s listing it). On PostgreSQL
    /// the drop itself is quick: a brief ACCESS EXCLUSIVE lock, no rewrite. This holds on
    /// every PostgreSQL and MySQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users DROP COLUMN legacy_name;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- lockstep:ignore drop-column -- contract phase: no release reads legacy_name since v42
    /// ALTER TABLE users DROP COLUMN legacy_name;
    /// ```
    /// Drop a column only in a contract phase: first release application code that no
    /// longer reads or writes it, deploy that everywhere, back the data up, then drop it in
    /// a later migration and say why in an ignore comment.
    pub static RULE = Rule {
        id: "drop-column",
        group: Group::DataLoss,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "dropping a column loses its data and breaks the running application",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::AlterTable { name, actions, .. } = &statement.kind else {
        return;
    };
    if ctx.is_new_table(name) {
        return;
    }
    for action in actions {
        let AlterAction::DropColumn { column, .. } = action else {
            continue;
        };
        let added_here = ctx
            .catalog
            .column(name, column)
            .is_some_and(|c| c.added_in == Some(ctx.file.change_set));
        if added_here {
            continue; // Dropping what this change set (or the migration a rollback undoes) added.
        }
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("dropping `{name}.{column}` deletes its data and breaks running queries that use it"),
            )
            .lock(name, ctx.column_change_lock(), TableEffect::None)
            .help(format!(
                "drop `{column}` only in a contract phase, after every running release stops using it; then mark the drop with `-- lockstep:ignore drop-column -- <why it is safe now>`"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_err_in, lint_ok};

    #[test]
    fn on_mysql_the_drop_claims_the_online_lock_not_postgres_one() {
        let found = lint_err_in(
            crate::dialect::Dialect::Mysql,
            "ALTER TABLE users DROP COLUMN legacy;",
            &RULE,
        );
        assert!(
            found.contains("LOCK=NONE") && !found.contains("ACCESS EXCLUSIVE"),
            "{found}"
        );
    }

    #[test]
    fn flags_dropping_an_existing_column() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE users DROP COLUMN legacy_name;",
            &RULE
        ));
    }

    #[test]
    fn quiet_when_the_column_or_table_is_new() {
        lint_ok(
            "CREATE TABLE u (a int, b int);\nALTER TABLE u DROP COLUMN b;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE u ADD COLUMN b int;\nALTER TABLE u DROP COLUMN b;",
            &RULE,
        );
    }
}
