use super::{alter_of_released_table, alters_column, default_set};
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Follows, Group, POSTGRES};
use crate::statement::{AlterAction, Ident, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER COLUMN ... DROP DEFAULT` on a column of a table that already exists.
    /// Left alone: a default this change set gave (the temporary default of a backfill), a
    /// column the replayed schema shows without a default, a default set again later in the
    /// same transaction, a column the same file renames or drops later (that change breaks
    /// the running release's inserts anyway), and rollback code.
    ///
    /// ## Why is this bad?
    /// The application version still running may leave the column out of its inserts and
    /// count on the default. From the moment the drop commits those inserts store NULL
    /// instead, or fail when the column is NOT NULL. The statement itself is quick (a brief
    /// ACCESS EXCLUSIVE lock, no scan). This holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE accounts ALTER COLUMN balance DROP DEFAULT;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- lockstep:ignore drop-default -- every running release sets balance in its inserts
    /// ALTER TABLE accounts ALTER COLUMN balance DROP DEFAULT;
    /// ```
    /// First ship a release whose inserts all supply the column, then drop the default in a
    /// later release, and say so in an ignore comment.
    pub static RULE = Rule {
        id: "drop-default",
        group: Group::Compatibility,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "DROP DEFAULT makes the running release's inserts that leave the column out store NULL or fail",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((name, actions)) = alter_of_released_table(ctx, statement) else {
        return;
    };
    for action in actions {
        let AlterAction::DropDefault { column } = action else {
            continue;
        };
        let known = ctx.catalog.column(name, column);
        // A serial column's default is its sequence, which the replay does not store.
        let relied_on = known.is_none_or(|c| {
            (c.default.is_some() || c.data_type.serial_storage().is_some())
                && c.default_set_in != Some(ctx.file.change_set)
        });
        // A default set earlier in the file (a backfill's, on a column the replay never saw)
        // was not there for the running release; one set again later in the transaction
        // means inserts never meet the column without one. A column renamed or dropped later
        // breaks the running release's inserts anyway, and rename-column or drop-column
        // says so.
        let sets_default = |other: &Statement| alters_column(ctx, other, name, column, default_set);
        let renames_or_drops =
            |later: &Statement| alters_column(ctx, later, name, column, renamed_or_dropped);
        if !relied_on
            || ctx.statements_before(statement).iter().any(sets_default)
            || ctx.follows(statement, sets_default) == Follows::InTransaction
            || ctx.follows(statement, renames_or_drops) != Follows::NotInFile
        {
            continue;
        }
        // `DROP NOT NULL` in the same statement leaves the column nullable.
        let drops_not_null = actions.iter().any(
            |other| matches!(other, AlterAction::DropNotNull { column: c } if c.key() == column.key()),
        );
        let outcome = if known.is_some_and(|c| c.not_null) && !drops_not_null {
            "fail: the column is NOT NULL"
        } else {
            "store NULL in it"
        };
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("dropping the default of `{name}.{column}`: inserts of the running release that leave `{column}` out now {outcome}"),
            )
            .lock(name, LockMode::AccessExclusive, TableEffect::None)
            .help(format!(
                "drop the default in a release after every running one supplies `{column}` in its inserts, and say so: `-- lockstep:ignore drop-default -- <which release supplies it>`"
            )),
        );
    }
}

/// The column `action` renames or drops.
fn renamed_or_dropped(action: &AlterAction) -> Option<&Ident> {
    match action {
        AlterAction::RenameColumn { from: column, .. } | AlterAction::DropColumn { column, .. } => {
            Some(column)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    #[test]
    fn flags_drop_default_on_an_existing_table() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE accounts ALTER COLUMN balance DROP DEFAULT;",
            &RULE
        ));
    }

    #[test]
    fn says_inserts_fail_on_a_not_null_column() {
        let found = lint_folder(
            &[
                (
                    "1_accounts.sql",
                    "CREATE TABLE accounts (id bigserial PRIMARY KEY, balance int NOT NULL DEFAULT 0, note text DEFAULT '', score int NOT NULL DEFAULT 0);",
                ),
                (
                    "2_drop.sql",
                    "ALTER TABLE accounts ALTER COLUMN balance DROP DEFAULT, ALTER COLUMN note DROP DEFAULT, ALTER COLUMN id DROP DEFAULT;\n\
                     ALTER TABLE accounts ALTER COLUMN score DROP NOT NULL, ALTER COLUMN score DROP DEFAULT;",
                ),
            ],
            &RULE,
        );
        let messages: Vec<&str> = found.iter().map(|(_, f)| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "dropping the default of `accounts.balance`: inserts of the running release that leave `balance` out now fail: the column is NOT NULL",
                "dropping the default of `accounts.note`: inserts of the running release that leave `note` out now store NULL in it",
                "dropping the default of `accounts.id`: inserts of the running release that leave `id` out now fail: the column is NOT NULL",
                "dropping the default of `accounts.score`: inserts of the running release that leave `score` out now store NULL in it",
            ]
        );
    }

    #[test]
    fn quiet_on_defaults_of_this_change_and_columns_without_one() {
        // The backfill idiom: a temporary default fills the new column, then goes.
        lint_ok(
            "ALTER TABLE accounts ADD COLUMN tier int NOT NULL DEFAULT 1;\nALTER TABLE accounts ALTER COLUMN tier DROP DEFAULT;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE accounts ALTER COLUMN tier SET DEFAULT 1;\nUPDATE accounts SET tier = 1 WHERE tier IS NULL;\nALTER TABLE accounts ALTER COLUMN tier DROP DEFAULT;",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE t (a int DEFAULT 0);\nALTER TABLE t ALTER COLUMN a DROP DEFAULT;",
            &RULE,
        );
        let found = lint_folder(
            &[
                ("1_t.sql", "CREATE TABLE t (a int, b int DEFAULT 0);"),
                (
                    "2_drop.sql",
                    "ALTER TABLE t ALTER COLUMN a DROP DEFAULT;\nALTER TABLE t ALTER COLUMN b DROP DEFAULT;",
                ),
            ],
            &RULE,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.message.contains("`t.b`"));
    }

    #[test]
    fn quiet_when_a_default_follows_in_the_same_transaction() {
        lint_ok(
            "BEGIN;\nALTER TABLE accounts ALTER COLUMN balance DROP DEFAULT;\nALTER TABLE accounts ALTER COLUMN balance SET DEFAULT 10;\nCOMMIT;",
            &RULE,
        );
        lint_err(
            "BEGIN;\nALTER TABLE accounts ALTER COLUMN balance DROP DEFAULT;\nCOMMIT;\nALTER TABLE accounts ALTER COLUMN balance SET DEFAULT 10;",
            &RULE,
        );
    }

    #[test]
    fn quiet_when_the_file_renames_the_column_later() {
        // Lemmy turns a boolean into an enum: the default cannot be cast, the column is renamed.
        lint_ok(
            "ALTER TABLE community_follower ALTER COLUMN pending DROP DEFAULT;\nALTER TABLE community_follower ALTER COLUMN pending TYPE follower_state USING f(pending);\nALTER TABLE community_follower RENAME COLUMN pending TO state;",
            &RULE,
        );
    }

    #[test]
    fn quiet_in_rollback_code() {
        let found = lint_folder(
            &[
                (
                    "1_default.up.sql",
                    "ALTER TABLE t ALTER COLUMN a SET DEFAULT 0;",
                ),
                (
                    "1_default.down.sql",
                    "ALTER TABLE t ALTER COLUMN a DROP DEFAULT;",
                ),
            ],
            &RULE,
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
