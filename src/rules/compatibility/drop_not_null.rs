use super::alter_of_released_table;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER COLUMN ... DROP NOT NULL` on a column of a table that already exists.
    /// Rollback code is left alone: it returns to the schema the older release expects.
    ///
    /// ## Why is this bad?
    /// Once the constraint is gone, the new release (or anything else writing to the table)
    /// can store NULL there, and the application version still running was written for a
    /// column that never held one: its reads, joins and sums can fail or go wrong on the
    /// first NULL row. The statement itself is quick (a brief ACCESS EXCLUSIVE lock, no
    /// scan), but a rollback to the old release no longer meets the data it expects. This
    /// holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE orgs ALTER COLUMN name DROP NOT NULL;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER TABLE orgs ALTER COLUMN name SET DEFAULT '';
    /// ```
    /// When writers stop supplying the value, a default keeps the column filled for every
    /// reader. If NULL really must become a valid value, first ship a release whose reads
    /// handle NULL, then drop the constraint in a later release.
    pub static RULE = Rule {
        id: "drop-not-null",
        group: Group::Compatibility,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "DROP NOT NULL lets NULL reach readers of the running release that never expect it",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((name, actions)) = alter_of_released_table(ctx, statement) else {
        return;
    };
    for action in actions {
        let AlterAction::DropNotNull { column } = action else {
            continue;
        };
        if ctx.is_new_column(name, column) {
            continue;
        }
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("dropping NOT NULL from `{name}.{column}` lets NULL reach readers of the running release, which never saw one there"),
            )
            .lock(name, LockMode::AccessExclusive, TableEffect::None)
            .help(format!(
                "ship a release whose reads handle NULL in `{column}` first, or keep the column filled with a default (`SET DEFAULT`)"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    #[test]
    fn flags_drop_not_null_on_an_existing_table() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE orgs ALTER COLUMN name DROP NOT NULL;",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_new_tables_and_columns() {
        lint_ok(
            "CREATE TABLE s (a int NOT NULL);\nALTER TABLE s ALTER COLUMN a DROP NOT NULL;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE s ADD COLUMN a int NOT NULL DEFAULT 0;\nALTER TABLE s ALTER COLUMN a DROP NOT NULL;",
            &RULE,
        );
    }

    #[test]
    fn quiet_in_rollback_code() {
        // A Flyway undo file returns to the schema of the release before V2.
        let found = lint_folder(
            &[
                ("V1__t.sql", "CREATE TABLE t (a int);\n"),
                ("V2__a.sql", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"),
                ("U2__a.sql", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;\n"),
                ("V3__b.sql", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;\n"),
            ],
            &RULE,
        );
        let files: Vec<&str> = found.iter().map(|(file, _)| file.as_str()).collect();
        assert_eq!(files, ["V3__b.sql"]);
    }
}
