use super::alter_of_released_table;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, Ident, ObjectName, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE ... RENAME CONSTRAINT` on a table that already exists. Left alone:
    /// a constraint this change set added or named, a table this change set created or
    /// renamed and a constraint named after a column this change set renamed (the names
    /// follow the table's or column's new name; that rename is the breaking change, and
    /// rename-table or rename-column says so), and rollback code.
    ///
    /// ## Why is this bad?
    /// The application version still running can name constraints: `INSERT ... ON CONFLICT
    /// ON CONSTRAINT users_email_key` fails once the name is gone, and error handlers that
    /// turn a unique or foreign-key violation into a message match the constraint's name
    /// and stop matching. Renaming a primary key or unique constraint renames its index as
    /// well. The statement itself is quick (a brief ACCESS EXCLUSIVE lock, no scan). This
    /// holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users RENAME CONSTRAINT users_pkey TO users_id_pkey;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- lockstep:ignore rename-constraint -- no running release names users_pkey
    /// ALTER TABLE users RENAME CONSTRAINT users_pkey TO users_id_pkey;
    /// ```
    /// Rename it in a release after every running one has stopped naming it, and say so in
    /// an ignore comment.
    pub static RULE = Rule {
        id: "rename-constraint",
        group: Group::Compatibility,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "renaming a constraint breaks running code that names it (ON CONFLICT ON CONSTRAINT, error handlers)",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((name, actions)) = alter_of_released_table(ctx, statement) else {
        return;
    };
    if renamed_in_this_change(ctx, name) {
        return;
    }
    for action in actions {
        let AlterAction::RenameConstraint { from, to } = action else {
            continue;
        };
        if ctx
            .catalog
            .constraint_named_in(name, from, ctx.file.change_set)
            || names_a_renamed_column(ctx, name, from)
        {
            continue;
        }
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("renaming constraint `{from}` of `{name}` to `{to}` breaks running code that names `{from}` (`ON CONFLICT ON CONSTRAINT {from}`, error handlers that match it)"),
            )
            .lock(name, LockMode::AccessExclusive, TableEffect::None)
            .help(format!(
                "rename it in a release after every running one has stopped naming `{from}`, and say so: `-- lockstep:ignore rename-constraint -- <which release stopped naming it>`"
            )),
        );
    }
}

/// Whether the constraint's name carries the old name of a column this change set renamed
/// (`comment_like_user_id_fkey` after `user_id` became `person_id`): the column rename broke
/// the running release already, and rename-column says so.
fn names_a_renamed_column(ctx: &Ctx, table: &ObjectName, constraint: &Ident) -> bool {
    let Some(known) = ctx.catalog.table(table) else {
        return false;
    };
    let name = format!("_{}_", constraint.key());
    known.renamed_columns.iter().any(|(old, _, change_set)| {
        *change_set == ctx.file.change_set && name.contains(&format!("_{}_", old.key()))
    })
}

/// Whether this change set renamed the table to `name`.
fn renamed_in_this_change(ctx: &Ctx, name: &ObjectName) -> bool {
    ctx.catalog
        .table(name)
        .and_then(|t| t.renamed_from.as_deref())
        .is_some_and(|(_, change_set)| *change_set == ctx.file.change_set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    #[test]
    fn flags_renaming_a_constraint_of_an_existing_table() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE users RENAME CONSTRAINT users_email_key TO users_email_unique;",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_constraints_and_tables_of_this_change() {
        lint_ok(
            "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;\nALTER TABLE users RENAME CONSTRAINT users_email_key TO users_email_unique;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE users ADD PRIMARY KEY (id);\nALTER TABLE users RENAME CONSTRAINT users_pkey TO users_id_pkey;",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE t (id int PRIMARY KEY);\nALTER TABLE t RENAME CONSTRAINT t_pkey TO t_id_pkey;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE post_like RENAME COLUMN user_id TO person_id;\nALTER TABLE post_like RENAME CONSTRAINT post_like_user_id_fkey TO post_like_person_id_fkey;",
            &RULE,
        );
        lint_err(
            "ALTER TABLE post_like RENAME COLUMN user_id TO person_id;\nALTER TABLE post_like RENAME CONSTRAINT post_like_user_idx_fkey TO post_like_person_idx_fkey;",
            &RULE,
        );
        // Prisma renames a table's constraints after the table.
        lint_ok(
            "ALTER TABLE \"Account\" RENAME TO \"User\";\nALTER TABLE \"User\" RENAME CONSTRAINT \"Account_pkey\" TO \"User_pkey\";",
            &RULE,
        );
    }

    #[test]
    fn flags_a_constraint_an_earlier_change_added() {
        let found = lint_folder(
            &[
                (
                    "1_t.sql",
                    "CREATE TABLE t (id int PRIMARY KEY, email text, CONSTRAINT t_email_key UNIQUE (email));",
                ),
                (
                    "2_rename.sql",
                    "ALTER TABLE t RENAME CONSTRAINT t_email_key TO t_email_unique;\nALTER TABLE t RENAME CONSTRAINT t_email_unique TO t_mail_key;",
                ),
            ],
            &RULE,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0]
            .1
            .message
            .starts_with("renaming constraint `t_email_key`"));
    }

    /// The second rename renames what the first one named, which no running release knows;
    /// a rename in an earlier change named a constraint the running release may use.
    #[test]
    fn a_constraint_unknown_to_the_replay_renamed_twice_in_one_change_is_flagged_once() {
        let twice = "ALTER TABLE t RENAME CONSTRAINT t_a TO t_b;\nALTER TABLE t RENAME CONSTRAINT t_b TO t_c;";
        let found = lint_folder(&[("1_rename.sql", twice)], &RULE);
        let messages: Vec<&str> = found.iter().map(|(_, f)| f.message.as_str()).collect();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].starts_with("renaming constraint `t_a`"));
        let apart = lint_folder(
            &[
                (
                    "1_rename.sql",
                    "ALTER TABLE t RENAME CONSTRAINT t_a TO t_b;",
                ),
                (
                    "2_rename.sql",
                    "ALTER TABLE t RENAME CONSTRAINT t_b TO t_c;",
                ),
            ],
            &RULE,
        );
        assert_eq!(apart.len(), 2, "{apart:?}");
    }

    #[test]
    fn quiet_in_rollback_code() {
        let found = lint_folder(
            &[
                (
                    "1_rename.up.sql",
                    "ALTER TABLE t RENAME CONSTRAINT t_a TO t_b;",
                ),
                (
                    "1_rename.down.sql",
                    "ALTER TABLE t RENAME CONSTRAINT t_b TO t_a;",
                ),
            ],
            &RULE,
        );
        let files: Vec<&str> = found.iter().map(|(file, _)| file.as_str()).collect();
        assert_eq!(files, ["1_rename.up.sql"]);
    }
}
