use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::compatibility::{old_name_kept_by_view, old_table_recreated};
use crate::rules::{Ctx, Follows, Group, POSTGRES};
use crate::statement::{AlterAction, ObjectName, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags renaming a table that already exists (`ALTER TABLE ... RENAME TO`), unless a
    /// view gives the old name back in the same transaction, or a new table takes the old
    /// name in it (rename to a backup, `CREATE TABLE` under the old name, copy the rows
    /// back): the running release then finds a table of that name at every moment.
    /// (MySQL: `mysql-rename-table`.)
    ///
    /// ## Why is this bad?
    /// During a deploy the old application version keeps running. The moment the rename
    /// commits, every query it sends to the old table name fails. The rename itself is
    /// quick: a brief ACCESS EXCLUSIVE lock, no rewrite and no scan; the outage is in the
    /// application. This holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users RENAME TO customers;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// BEGIN;
    /// ALTER TABLE users RENAME TO customers;
    /// CREATE VIEW users AS SELECT * FROM customers;
    /// COMMIT;
    /// ```
    /// On PostgreSQL, a view named like the old table and selecting every column of the new
    /// one is automatically updatable, so the running release keeps reading and writing
    /// through it; creating it in the rename's transaction leaves no moment without the old
    /// name. Drop the view in a later release, once no running code uses the old name. The
    /// alternative is expand and contract: create the new table, write to both, backfill,
    /// move reads, drop the old one.
    pub static RULE = Rule {
        id: "rename-table",
        group: Group::Compatibility,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "all versions",
        summary: "renaming a table breaks the application version still running",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    // Rollback code renames back to the name the release being restored uses.
    if ctx.is_rollback() {
        return;
    }
    for (from, to) in renames(statement) {
        if ctx.is_new_table(&from) {
            continue;
        }
        if old_name_kept_by_view(ctx, statement, &from, &to) {
            continue;
        }
        let mode = LockMode::AccessExclusive;
        match old_table_recreated(ctx, statement, &from) {
            // Rename to a backup and re-create: the new table takes the name at the commit.
            Follows::InTransaction => continue,
            Follows::AfterCommit => {
                ctx.report(
                    Finding::new(
                        &RULE,
                        statement.span,
                        format!("renaming table `{from}` to `{to}` commits before `{from}` is created again below: the running release's queries on `{from}` fail in between"),
                    )
                    .lock(&from, mode, TableEffect::None)
                    .help(format!("run the rename, the CREATE TABLE of the new `{from}` and the copy of its rows in one transaction, so a table called `{from}` exists at every moment")),
                );
                continue;
            }
            Follows::NotInFile => {}
        }
        let help = format!(
            "keep the old name working: in the same transaction, right after the rename, run `CREATE VIEW {from} AS SELECT * FROM {to};` (updatable), and drop the view once no release uses `{from}`"
        );
        ctx.report(
            Finding::new(
                &RULE,
                statement.span,
                format!("renaming table `{from}` to `{to}` breaks every running query that still uses `{from}`"),
            )
            .lock(&from, mode, TableEffect::None)
            .help(help),
        );
    }
}

/// `(old, new)` pairs; a PostgreSQL `RENAME TO` keeps the table in its schema.
fn renames(statement: &Statement) -> Vec<(ObjectName, ObjectName)> {
    match &statement.kind {
        StatementKind::AlterTable { name, actions, .. } => actions
            .iter()
            .filter_map(|a| match a {
                AlterAction::RenameTable { to } => Some((
                    name.clone(),
                    ObjectName {
                        schema: to.schema.clone().or_else(|| name.schema.clone()),
                        name: to.name.clone(),
                    },
                )),
                _ => None,
            })
            .collect(),
        StatementKind::RenameTables { pairs } => pairs.clone(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_renaming_an_existing_table() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE billing.invoices RENAME TO bills;",
            &RULE
        ));
    }

    #[test]
    fn quiet_when_a_view_keeps_the_old_name_in_the_same_transaction() {
        lint_ok(
            "BEGIN;\nALTER TABLE billing.invoices RENAME TO bills;\nCREATE OR REPLACE VIEW billing.invoices AS SELECT * FROM billing.bills;\nCOMMIT;",
            &RULE,
        );
    }

    #[test]
    fn flags_a_view_that_comes_too_late_or_names_other_tables() {
        lint_err(
            "BEGIN;\nALTER TABLE users RENAME TO customers;\nCOMMIT;\nCREATE VIEW users AS SELECT * FROM customers;",
            &RULE,
        );
        lint_err(
            "ALTER TABLE users RENAME TO customers;\nCREATE VIEW users AS SELECT * FROM customers;",
            &RULE,
        );
        lint_err(
            "BEGIN;\nALTER TABLE users RENAME TO customers;\nCREATE VIEW users AS SELECT id FROM customers;\nCOMMIT;",
            &RULE,
        );
        lint_err(
            "BEGIN;\nALTER TABLE billing.invoices RENAME TO bills;\nCREATE VIEW invoices AS SELECT * FROM bills;\nCOMMIT;",
            &RULE,
        );
    }

    #[test]
    fn a_table_renamed_to_a_backup_and_recreated_is_quiet_only_in_one_transaction() {
        let swap = "ALTER TABLE users RENAME TO users_old;\nCREATE TABLE users (id bigint, email text);\nINSERT INTO users SELECT id, email FROM users_old;\nDROP TABLE users_old;";
        lint_ok(&format!("BEGIN;\n{swap}\nCOMMIT;"), &RULE);
        let found = lint_err(swap, &RULE);
        assert!(found.contains("fail in between"), "{found}");
        let committed = "BEGIN;\nALTER TABLE users RENAME TO users_old;\nCOMMIT;\nCREATE TABLE users (id bigint);";
        assert!(lint_err(committed, &RULE).contains("fail in between"));
    }

    #[test]
    fn quiet_on_tables_created_in_this_change_set() {
        lint_ok(
            "CREATE TABLE drafts (id bigint);\nALTER TABLE drafts RENAME TO notes;",
            &RULE,
        );
    }
}
