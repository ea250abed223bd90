use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::dialect::Dialect;
use crate::rules::{Ctx, Group, BOTH};
use crate::statement::{AlterAction, ColumnDef, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `ADD COLUMN ... NOT NULL` without a `DEFAULT` on a table that already exists.
    ///
    /// ## Why is this bad?
    /// Existing rows have no value for the new column. PostgreSQL refuses the statement as
    /// soon as the table holds one row (the column "`contains null values`"), so the migration
    /// fails in production although it passed on an empty development database. MySQL
    /// adds the column and gives the rows that exist the type's implicit default (0, '');
    /// there, what breaks is the running application: its INSERTs do not name the column,
    /// and in strict mode each fails with error 1364 ("doesn't have a default value"). On
    /// both, the running release's INSERTs fail once the column exists.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE products ADD COLUMN sustainability_score numeric(5,2) NOT NULL;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// ALTER TABLE products ADD COLUMN sustainability_score numeric(5,2) DEFAULT 50.00;
    /// ```
    /// Add the column nullable (or with a constant default, which PostgreSQL 11+ stores
    /// without rewriting), backfill existing rows in batches, then add
    /// `CHECK (sustainability_score IS NOT NULL) NOT VALID`, validate it, and set NOT NULL.
    pub static RULE = Rule {
        id: "add-not-null-column-without-default",
        group: Group::Compatibility,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: BOTH,
        versions: "all versions",
        summary: "a NOT NULL column without a default fails on a table that has rows",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Scan }),
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
        let AlterAction::AddColumn { column, .. } = action else {
            continue;
        };
        if !needs_a_value(column) {
            continue;
        }
        let col = &column.name;
        let finding = match ctx.target.dialect {
            Dialect::Postgres => Finding::new(
                &RULE,
                statement.span,
                format!("adding NOT NULL column `{col}` to `{name}` without a default fails as soon as the table has a row"),
            )
            .lock(name, LockMode::AccessExclusive, TableEffect::Scan)
            .help(format!(
                "add `{col}` as nullable (or with a constant DEFAULT), backfill it in batches, then add `CHECK ({col} IS NOT NULL) NOT VALID`, VALIDATE it and SET NOT NULL"
            )),
            // The lock and the copy, if any, are the MySQL online-DDL rules' to report.
            Dialect::Mysql => Finding::new(
                &RULE,
                statement.span,
                format!("adding NOT NULL column `{col}` to `{name}` without a default gives the existing rows the type's implicit default, and in strict mode every INSERT of the running release, which does not name `{col}`, fails with error 1364"),
            )
            .help(format!(
                "give `{col}` a DEFAULT in the same statement, so existing rows and the running release's INSERTs get a value you chose; or add it nullable, backfill it in batches, and make it NOT NULL in a later release (a table rebuild: run it with gh-ost or pt-online-schema-change) once every release writes it"
            )),
        };
        ctx.report(finding);
    }
}

/// NOT NULL with nothing that fills existing rows: no default, no identity or generated
/// value, no serial sequence.
fn needs_a_value(column: &ColumnDef) -> bool {
    (column.not_null || column.primary_key)
        && column.default.is_none()
        && column.generated.is_none()
        && !column.is_serial()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_err_in, lint_ok};

    #[test]
    fn flags_not_null_without_default() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE products ADD COLUMN score numeric(5,2) NOT NULL;",
            &RULE
        ));
        let mysql = lint_err_in(
            Dialect::Mysql,
            "ALTER TABLE products ADD COLUMN score INT NOT NULL;",
            &RULE,
        );
        // MySQL adds the column (tests/db_mariadb.rs proves it): the INSERTs break, and
        // PostgreSQL's lock and CHECK ... NOT VALID advice do not apply there.
        assert!(mysql.contains("error 1364"), "{mysql}");
        assert!(
            !mysql.contains("ACCESS EXCLUSIVE") && !mysql.contains("NOT VALID"),
            "{mysql}"
        );
    }

    #[test]
    fn quiet_with_a_default_a_generated_value_or_a_new_table() {
        lint_ok(
            "ALTER TABLE products ADD COLUMN score int NOT NULL DEFAULT 0;",
            &RULE,
        );
        lint_ok("ALTER TABLE products ADD COLUMN score int;", &RULE);
        lint_ok(
            "ALTER TABLE products ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY NOT NULL;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE products ADD COLUMN n bigserial NOT NULL;",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE products (id int);\nALTER TABLE products ADD COLUMN score int NOT NULL;",
            &RULE,
        );
    }
}
