use super::{alter_of_existing_table, column_constraint_name, constraint_name};
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, Constraint, ConstraintKind, Ident, ObjectName, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER COLUMN ... SET NOT NULL` on an existing table, and `ADD CONSTRAINT ...
    /// PRIMARY KEY USING INDEX` when the replayed schema shows a key column nullable (the
    /// key makes it NOT NULL), unless a validated `CHECK (col IS NOT NULL)` on the column
    /// exists (added in this change set or earlier) and the target is PostgreSQL 12 or
    /// later. `SET NOT NULL` of a column the replayed schema shows NOT NULL already reads
    /// nothing and is left alone. (`ADD PRIMARY KEY (col)` builds its index under the same
    /// lock and is flagged by `add-unique-constraint-without-index`.)
    ///
    /// ## Why is this bad?
    /// PostgreSQL reads every row to prove there is no NULL while it holds an ACCESS
    /// EXCLUSIVE lock: reads and writes wait for the whole scan. From PostgreSQL 12 it skips
    /// the scan when a validated CHECK constraint already proves the column is never NULL,
    /// and a primary key attached to a column that is NOT NULL already reads no row.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ALTER COLUMN email SET NOT NULL;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET lock_timeout = '2s';
    /// ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;
    /// ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
    /// ALTER TABLE users ALTER COLUMN email SET NOT NULL;
    /// ALTER TABLE users DROP CONSTRAINT users_email_not_null;
    /// ```
    /// The NOT VALID add is instant, the VALIDATE scans under SHARE UPDATE EXCLUSIVE (reads
    /// and writes continue; run it in its own transaction), and SET NOT NULL then uses the
    /// check instead of scanning. The check is redundant afterwards.
    pub static RULE = Rule {
        id: "set-not-null-without-check",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions; a validated CHECK avoids the scan from 12",
        summary: "SET NOT NULL (or a primary key on a nullable column) scans the table under ACCESS EXCLUSIVE unless a validated CHECK proves it",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    for action in actions {
        // SET NOT NULL of a column that is NOT NULL already changes nothing.
        let already = |column| {
            matches!(action, AlterAction::SetNotNull { .. })
                && ctx.catalog.column_is_not_null(table, column)
        };
        if let Some(column) = action.validates_not_null().filter(|c| !already(c)) {
            let message = format!("setting `{table}.{column}` NOT NULL reads every row of `{table}` under ACCESS EXCLUSIVE, blocking reads and writes");
            report_unless_proven(
                ctx,
                statement,
                table,
                column,
                message,
                NotNullBy::SetNotNull,
            );
        }
        let AlterAction::AddConstraint(
            constraint @ Constraint {
                kind:
                    ConstraintKind::PrimaryKey {
                        using_index: Some(index),
                        ..
                    },
                ..
            },
        ) = action
        else {
            continue;
        };
        let key = constraint_name(constraint, table, None, "pkey");
        for column in ctx.catalog.nullable_index_columns(table, index) {
            let message = format!("primary key `{key}` makes `{table}.{column}` NOT NULL, which reads every row of `{table}` under ACCESS EXCLUSIVE, blocking reads and writes");
            report_unless_proven(
                ctx,
                statement,
                table,
                column,
                message,
                NotNullBy::PrimaryKey,
            );
        }
    }
}

/// What makes the column NOT NULL, for the advice's last step.
#[derive(Copy, Clone, PartialEq)]
enum NotNullBy {
    SetNotNull,
    PrimaryKey,
}

fn report_unless_proven(
    ctx: &mut Ctx,
    statement: &Statement,
    table: &ObjectName,
    column: &Ident,
    message: String,
    by: NotNullBy,
) {
    let proven = ctx.catalog.has_validated_not_null_check(table, column);
    if proven && ctx.target.at_least(12, 0, 0) {
        return;
    }
    let last_step = match by {
        NotNullBy::SetNotNull => {
            "then SET NOT NULL (PostgreSQL 12+ skips the scan) and drop the check"
        }
        NotNullBy::PrimaryKey => "then attach the primary key (PostgreSQL 12+ skips the scan)",
    };
    let help = if proven {
        "PostgreSQL 11 and older ignore the CHECK and scan anyway: keep the CHECK constraint instead of making the column NOT NULL until you upgrade".to_string()
    } else if ctx.target.at_least(18, 0, 0) {
        let constraint = column_constraint_name(table, column, "not_null");
        format!(
            "add it without the scan: `ALTER TABLE {table} ADD CONSTRAINT {constraint} NOT NULL {column} NOT VALID;`, then in its own transaction `ALTER TABLE {table} VALIDATE CONSTRAINT {constraint};` (PostgreSQL 18+; the validation blocks no writes){}",
            if by == NotNullBy::PrimaryKey { ", then attach the primary key" } else { "" }
        )
    } else {
        let check = column_constraint_name(table, column, "not_null");
        format!(
            "prove it first: `ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID;`, then in its own transaction `ALTER TABLE {table} VALIDATE CONSTRAINT {check};`, {last_step}"
        )
    };
    ctx.report(
        Finding::new(&RULE, statement.span, message)
            .lock(table, LockMode::AccessExclusive, TableEffect::Scan)
            .help(help),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::dialect::Dialect;
    use crate::rules::testing::{lint_err, lint_err_after, lint_err_at, lint_ok, lint_ok_at};

    const PROVEN: &str = "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\n\
        ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\n\
        ALTER TABLE users ALTER COLUMN email SET NOT NULL;";

    #[test]
    fn flags_set_not_null_without_a_check() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            &RULE
        ));
    }

    #[test]
    fn a_check_that_is_not_validated_does_not_count() {
        lint_err(
            "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            &RULE,
        );
        lint_err(
            "ALTER TABLE users ADD CONSTRAINT c CHECK (name IS NOT NULL);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            &RULE,
        );
    }

    #[test]
    fn a_validated_check_proves_it_from_12() {
        lint_ok(PROVEN, &RULE);
        lint_ok_at("12", PROVEN, &RULE);
        insta::assert_snapshot!(lint_err_at("11", PROVEN, &RULE));
        lint_ok(
            "ALTER TABLE users ADD CONSTRAINT c CHECK (\"email\" IS NOT NULL);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            &RULE,
        );
    }

    /// A quoted name keeps its case, as PostgreSQL compares it: `"Email"` is proven by a
    /// check on `"Email"`, not by one on `email`.
    #[test]
    fn a_check_proves_the_quoted_column_it_names() {
        lint_ok(
            "ALTER TABLE \"Users\" ADD CONSTRAINT c CHECK (\"Email\" IS NOT NULL);\nALTER TABLE \"Users\" ALTER COLUMN \"Email\" SET NOT NULL;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE t ADD CONSTRAINT c CHECK ((\"a \"\"b\" IS NOT NULL));\nALTER TABLE t ALTER COLUMN \"a \"\"b\" SET NOT NULL;",
            &RULE,
        );
        lint_err(
            "ALTER TABLE \"Users\" ADD CONSTRAINT c CHECK (email IS NOT NULL);\nALTER TABLE \"Users\" ALTER COLUMN \"Email\" SET NOT NULL;",
            &RULE,
        );
    }

    const KEYED: &str = "CREATE TABLE users (id bigint, email text);\n\
        CREATE UNIQUE INDEX CONCURRENTLY users_id_key ON users (id);";

    #[test]
    fn flags_a_primary_key_on_a_nullable_column() {
        let attach =
            "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_key;";
        insta::assert_snapshot!(lint_err_after(Dialect::Postgres, KEYED, attach, &RULE));
        lint_err_after(
            Dialect::Postgres,
            &format!(
                "{KEYED}\nALTER TABLE users ADD CONSTRAINT c CHECK (id IS NOT NULL) NOT VALID;"
            ),
            attach,
            &RULE,
        );
    }

    #[test]
    fn quiet_on_a_primary_key_whose_columns_are_proven_not_null() {
        let attach =
            "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_key;";
        for history in [
            "CREATE TABLE users (id bigint NOT NULL, email text);\nCREATE UNIQUE INDEX users_id_key ON users (id);",
            &format!("{KEYED}\nALTER TABLE users ALTER COLUMN id SET NOT NULL;"),
            // PostgreSQL makes an identity column NOT NULL.
            "CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY);\nCREATE UNIQUE INDEX users_id_key ON users (id);",
            &format!("{KEYED}\nALTER TABLE users ADD CONSTRAINT c CHECK (id IS NOT NULL);"),
        ] {
            let found = crate::engine::lint_source_after(history, attach, &Settings::new(Dialect::Postgres));
            assert!(found.iter().all(|f| f.rule.id != RULE.id), "{history}");
        }
        // Neither the index nor the column is known: most likely an `id NOT NULL`.
        lint_ok(attach, &RULE);
    }

    #[test]
    fn quiet_on_a_column_that_is_not_null_already() {
        let history = "CREATE TABLE users (id bigint NOT NULL, email text);";
        let settings = Settings::new(Dialect::Postgres);
        let found = crate::engine::lint_source_after(
            history,
            "ALTER TABLE users ALTER COLUMN id SET NOT NULL;",
            &settings,
        );
        assert!(found.iter().all(|f| f.rule.id != RULE.id), "{found:?}");
        // A NOT VALID NOT NULL constraint (PostgreSQL 18) is validated by SET NOT NULL.
        lint_err_after(
            Dialect::Postgres,
            "CREATE TABLE users (id bigint, email text);\nALTER TABLE users ADD CONSTRAINT users_email_nn NOT NULL email NOT VALID;",
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            &RULE,
        );
    }

    #[test]
    fn quiet_on_new_tables() {
        lint_ok(
            "CREATE TABLE users (id int, email text);\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nCREATE TABLE app.\"Users\" (email text);\nALTER TABLE app.\"Users\" ALTER COLUMN email SET NOT NULL;\nCOMMIT;",
            &RULE,
        );
    }
}
