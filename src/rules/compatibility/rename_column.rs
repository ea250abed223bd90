use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, BOTH};
use crate::statement::{AlterAction, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags renaming a column of a table that already exists (`RENAME COLUMN`, and MySQL
    /// `CHANGE COLUMN` with a new name).
    ///
    /// ## Why is this bad?
    /// During a deploy the old application version keeps running. The moment the rename
    /// commits, every query it sends with the old column name fails. The rename itself is
    /// quick (a brief ACCESS EXCLUSIVE lock, no rewrite); the outage is in the
    /// application. This holds on every PostgreSQL and MySQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE shipments RENAME COLUMN co2_kg TO emissions_kg;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER TABLE shipments ADD COLUMN emissions_kg numeric;
    /// ```
    /// Expand and contract: add the new column, keep both in step with a trigger while
    /// old and new code run, backfill in batches, switch reads to the new column, and
    /// drop the old one in a later release.
    pub static RULE = Rule {
        id: "rename-column",
        group: Group::Compatibility,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "renaming a column breaks the application version still running",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::AlterTable { name, actions, .. } = &statement.kind else {
        return;
    };
    for action in actions {
        let (from, to) = match action {
            AlterAction::RenameColumn { from, to } => (from, to),
            AlterAction::RedefineColumn { old, column, .. } if old.key() != column.name.key() => {
                (old, &column.name)
            }
            _ => continue,
        };
        if ctx.is_new_table(name) || ctx.is_new_column(name, from) {
            continue;
        }
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("renaming `{name}.{from}` to `{to}` breaks every running query that still uses `{from}`"),
            )
            .lock(name, ctx.column_change_lock(), TableEffect::None)
            .help(format!(
                "expand and contract: add `{to}` beside `{from}`, sync them with a trigger and backfill, move the application to `{to}`, drop `{from}` in a later release"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;
    use crate::rules::testing::{lint_err, lint_err_in, lint_ok};

    #[test]
    fn flags_a_rename_on_an_existing_table() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE shipments RENAME COLUMN co2_kg TO emissions_kg;",
            &RULE
        ));
    }

    #[test]
    fn flags_a_mysql_change_column_with_a_new_name() {
        lint_err_in(
            Dialect::Mysql,
            "ALTER TABLE shipments CHANGE co2_kg emissions_kg DECIMAL(10,2);",
            &RULE,
        );
    }

    #[test]
    fn quiet_on_new_tables_and_columns_and_same_name_changes() {
        lint_ok(
            "CREATE TABLE s (a int);\nALTER TABLE s RENAME COLUMN a TO b;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE s ADD COLUMN a int;\nALTER TABLE s RENAME COLUMN a TO b;",
            &RULE,
        );
    }
}
