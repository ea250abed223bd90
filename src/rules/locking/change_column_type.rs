use super::alter_of_existing_table;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::locks::{type_change_effect, TypeChange};
use crate::names;
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, DataType, Ident, ObjectName, Statement};
use crate::types::timestamp_time_zone_swap;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER COLUMN ... TYPE` on an existing table when the change rewrites or scans
    /// the table: `int` to `bigint`, `text` to `varchar(n)`, shrinking a limit, any `USING`,
    /// `timestamp` to `timestamptz` unless the session time zone is UTC (12+). Changes that
    /// keep the stored bytes valid stay quiet: `varchar(n)` to a larger limit or unbounded,
    /// `varchar` to `text`, `numeric` precision up at the same scale, `cidr` to `inet`,
    /// timestamp precision up. Those still warn when a CHECK constraint on the column must be
    /// re-checked. When lockstep has not seen the column created, the verdict depends on its
    /// current type: a change to `text` or unbounded `varchar` warns, any other is an error.
    ///
    /// ## Why is this bad?
    /// A rewrite copies every row and rebuilds every index of the table under an ACCESS
    /// EXCLUSIVE lock: reads and writes wait until it ends, minutes on a large table. A
    /// binary-coercible change only updates the catalogue (measured on PostgreSQL 15: the
    /// table and its indexes keep their files), but CHECK constraints on the column are still
    /// re-checked by a full scan under the same lock. PostgreSQL 12+ keeps the rows of a
    /// `timestamp` / `timestamptz` swap only when the session time zone is UTC.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users ALTER COLUMN score TYPE bigint;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET lock_timeout = '2s';
    /// ALTER TABLE users ADD COLUMN score_bigint bigint;
    /// ```
    /// Expand and contract: add the new column, keep it in step with a trigger (or dual
    /// writes), backfill existing rows in batches, move readers to the new column, then drop
    /// the old one and rename the new one in a later release.
    pub static RULE = Rule {
        id: "change-column-type",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions; timestamp to timestamptz keeps rows on 12+ in a UTC session",
        summary: "ALTER COLUMN TYPE rewrites the table unless the new type is binary coercible",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::Rewrite }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    for action in actions {
        let AlterAction::AlterColumnType {
            column,
            data_type,
            using,
        } = action
        else {
            continue;
        };
        let change = TypeChange {
            old: ctx.catalog.column(table, column).map(|c| &*c.data_type),
            new: data_type,
            using: using.is_some(),
            has_check: ctx.catalog.column_has_check(table, column),
            utc_session: ctx.session.time_zone_is_utc(),
        };
        if let Some(finding) = finding(ctx, statement, table, column, &change) {
            ctx.report(finding);
        }
    }
}

fn finding(
    ctx: &Ctx,
    statement: &Statement,
    table: &ObjectName,
    column: &Ident,
    change: &TypeChange,
) -> Option<Finding> {
    let effect = type_change_effect(change, &ctx.target);
    let new = &change.new.text;
    let indexes = if ctx.catalog.column_is_indexed(table, column) {
        " and rebuilds its indexes"
    } else {
        ""
    };
    let (severity, message) = match (change.old, effect) {
        (_, TableEffect::None) => return None,
        (None, _) if unbounded_text(change.new) && !change.using => (
            Severity::Warning,
            format!("changing `{table}.{column}` to {new} keeps the rows only if its current type is varchar or text (lockstep has not seen it created); any other type rewrites `{table}` under ACCESS EXCLUSIVE"),
        ),
        (None, _) => (
            Severity::Error,
            format!("changing `{table}.{column}` to {new} rewrites `{table}` under ACCESS EXCLUSIVE{indexes} unless its current type (not seen created) is binary coercible to it"),
        ),
        (Some(old), TableEffect::Rewrite) => (
            Severity::Error,
            format!(
                "changing `{table}.{column}` from {} to {new} rewrites `{table}` under ACCESS EXCLUSIVE{indexes}{}",
                old.text,
                time_zone_note(old, change.new, change.using)
            ),
        ),
        (Some(old), _) => (
            Severity::Warning,
            format!(
                "changing `{table}.{column}` from {} to {new} keeps the rows, but re-checks the CHECK constraints on `{column}` against every row under ACCESS EXCLUSIVE",
                old.text
            ),
        ),
    };
    let effect = if change.old.is_none() {
        TableEffect::Rewrite
    } else {
        effect
    };
    let help = if effect == TableEffect::Scan {
        format!("drop the CHECK constraints on `{column}`, change the type, then re-add them NOT VALID and VALIDATE them in a separate transaction")
    } else {
        let replacement = names::named(format!("{}_new", column.key()));
        format!(
            "expand and contract: `ALTER TABLE {table} ADD COLUMN {replacement} {new};`, keep it in step with a trigger, backfill in batches, switch readers, then drop `{column}` and rename `{replacement}` in a later release"
        )
    };
    Some(
        Finding::new(&RULE, statement.span, message)
            .severity(severity)
            .lock(table, LockMode::AccessExclusive, effect)
            .help(help),
    )
}

/// `text`, or `varchar` without a limit: every varchar or text value fits unchanged.
fn unbounded_text(data_type: &DataType) -> bool {
    !data_type.array
        && data_type.args.is_empty()
        && matches!(data_type.base.as_str(), "text" | "varchar")
}

fn time_zone_note(old: &DataType, new: &DataType, using: bool) -> &'static str {
    if !using && timestamp_time_zone_swap(old, new) {
        " (PostgreSQL 12+ keeps the rows when the session time zone is UTC: `SET timezone = 'UTC';` before it)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;
    use crate::rules::testing::{lint_err, lint_err_after, lint_err_at, lint_ok, lint_ok_at};

    const USERS: &str = "CREATE TABLE users (id bigint, score int, name varchar(100), email text, \
        amount numeric(10,2), net cidr, created_at timestamp, seen timestamptz(3), status text CHECK (status <> ''));\n";

    /// `USERS` created in an earlier change set, so it is an existing table with known columns.
    fn existing(sql: &str) -> String {
        format!("{USERS}{sql}")
    }

    #[test]
    fn flags_rewriting_changes_of_known_columns() {
        insta::assert_snapshot!(lint_err_at(
            "15",
            &existing_in_earlier_change_set("ALTER TABLE users ALTER COLUMN score TYPE bigint;"),
            &RULE
        ));
    }

    #[test]
    fn flags_unknown_columns_unless_the_new_type_is_unbounded_text() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE users ALTER COLUMN score TYPE bigint;\nALTER TABLE users ALTER COLUMN note TYPE text;",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_new_tables() {
        lint_ok(
            &existing("ALTER TABLE users ALTER COLUMN score TYPE bigint;"),
            &RULE,
        );
        lint_ok(
            "BEGIN;\nCREATE TABLE app.\"Users\" (id int);\nALTER TABLE app.\"Users\" ALTER COLUMN id TYPE bigint;\nCOMMIT;",
            &RULE,
        );
    }

    #[test]
    fn a_quoted_mixed_case_index_column_counts_as_indexed() {
        // The index keeps `"UserId"` as written; folding it to `userid` made the column
        // look unindexed, and a plain `userid` beside it must not count for it.
        let history = "CREATE TABLE \"Orders\" (\"Id\" bigint PRIMARY KEY, \"UserId\" integer NOT NULL, userid integer);\n\
                       CREATE INDEX \"Orders_UserId_idx\" ON \"Orders\" (\"UserId\");\n\
                       CREATE TABLE \"Carts\" (\"UserId\" integer, userid integer);\n\
                       CREATE INDEX carts_userid_idx ON \"Carts\" (userid);";
        let indexed = lint_err_after(
            Dialect::Postgres,
            history,
            "ALTER TABLE \"Orders\" ALTER COLUMN \"UserId\" TYPE bigint;",
            &RULE,
        );
        assert!(indexed.contains("rebuilds its indexes"), "{indexed}");
        let other = lint_err_after(
            Dialect::Postgres,
            history,
            "ALTER TABLE \"Carts\" ALTER COLUMN \"UserId\" TYPE bigint;",
            &RULE,
        );
        assert!(!other.contains("rebuilds its indexes"), "{other}");
    }

    /// A file whose first part replays `USERS` as if an earlier release had created it.
    fn existing_in_earlier_change_set(sql: &str) -> String {
        // `lint` runs one change set; a table it never saw created counts as existing, and
        // ALTER TABLE ADD COLUMN teaches the replay its columns without making it new.
        format!(
            "ALTER TABLE users ADD COLUMN score int;\n\
             ALTER TABLE users ADD COLUMN name varchar(100);\n\
             ALTER TABLE users ADD COLUMN net cidr;\n\
             ALTER TABLE users ADD COLUMN amount numeric(10,2);\n\
             ALTER TABLE users ADD COLUMN created_at timestamp;\n\
             ALTER TABLE users ADD COLUMN seen timestamptz(3);\n\
             ALTER TABLE users ADD COLUMN status text CHECK (status <> '');\n\
             {sql}"
        )
    }

    #[test]
    fn binary_coercible_changes_are_quiet() {
        for sql in [
            "ALTER TABLE users ALTER COLUMN name TYPE varchar(200);",
            "ALTER TABLE users ALTER COLUMN name TYPE varchar;",
            "ALTER TABLE users ALTER COLUMN name TYPE text;",
            "ALTER TABLE users ALTER COLUMN amount TYPE numeric(12,2);",
            "ALTER TABLE users ALTER COLUMN net TYPE inet;",
            "ALTER TABLE users ALTER COLUMN seen TYPE timestamptz(6);",
        ] {
            lint_ok(&existing_in_earlier_change_set(sql), &RULE);
        }
    }

    #[test]
    fn rewriting_changes_of_known_columns_are_errors() {
        for sql in [
            "ALTER TABLE users ALTER COLUMN name TYPE varchar(50);",
            "ALTER TABLE users ALTER COLUMN amount TYPE numeric(12,3);",
            "ALTER TABLE users ALTER COLUMN name TYPE varchar(200) USING name;",
            "ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz;",
        ] {
            lint_err(&existing_in_earlier_change_set(sql), &RULE);
        }
    }

    #[test]
    fn timestamp_to_timestamptz_keeps_rows_in_a_utc_session_on_12() {
        let utc = existing_in_earlier_change_set(
            "SET timezone = 'UTC';\nALTER TABLE users ALTER COLUMN created_at TYPE timestamptz;",
        );
        lint_ok_at("12", &utc, &RULE);
        lint_err_at("11", &utc, &RULE);
        let berlin = existing_in_earlier_change_set(
            "SET TIME ZONE 'Europe/Berlin';\nALTER TABLE users ALTER COLUMN created_at TYPE timestamptz;",
        );
        insta::assert_snapshot!(lint_err_at("15", &berlin, &RULE));
    }

    #[test]
    fn check_constraints_make_a_coercible_change_a_warning() {
        let found = lint_err(
            &existing_in_earlier_change_set("ALTER TABLE users ALTER COLUMN status TYPE varchar;"),
            &RULE,
        );
        assert!(found.contains("warning"), "{found}");
        assert!(found.contains("re-checks the CHECK constraints"), "{found}");
    }
}
