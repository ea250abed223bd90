use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::data_loss::{existing_tables, list};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{ObjectName, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `DROP TABLE` of a table that existed before this change set. Dropping a table
    /// created in the same change set, or in a rollback file the table its migration
    /// created, is not flagged; nor is dropping, without `CASCADE`, the backup of a
    /// rename-to-backup rebuild (the table was renamed away from a name this change set
    /// created again, and an `INSERT ... SELECT` copied every row of it into the new table).
    ///
    /// ## Why is this bad?
    /// The rows are gone for good, and the application version still running fails on
    /// every query that names the table. `CASCADE` also drops the views and foreign keys
    /// that depend on it. The drop takes a brief ACCESS EXCLUSIVE lock (waiting for every
    /// open transaction that touched the table) and frees the storage without a scan. This
    /// holds on every PostgreSQL version. (MySQL: `mysql-drop-table`.)
    ///
    /// ## Example
    /// ```sql
    /// DROP TABLE labels;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// -- lockstep:ignore drop-table -- contract phase: no release reads labels since v42, backup taken
    /// DROP TABLE labels;
    /// ```
    /// Drop a table only in a contract phase, with this checklist: the application code
    /// that reads or writes it is removed and deployed everywhere; nothing else uses it
    /// (views, functions, reports, replication); a backup or export of the rows exists;
    /// dependent foreign keys and views are dropped explicitly rather than by `CASCADE`.
    /// Then say why in an ignore comment.
    pub static RULE = Rule {
        id: "drop-table",
        group: Group::DataLoss,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "all versions",
        summary: "dropping a table loses its rows and breaks the running application",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::DropTable { names, cascade, .. } = &statement.kind else {
        return;
    };
    let dropped: Vec<_> = existing_tables(ctx, names)
        .into_iter()
        // Without CASCADE, a backup whose rows went to its replacement loses nothing; with
        // it, the foreign keys and views that followed the rename go too.
        .filter(|name| *cascade || !is_copied_backup(ctx, name))
        .collect();
    if dropped.is_empty() {
        return;
    }
    let (them, their) = if dropped.len() == 1 {
        ("it", "its")
    } else {
        ("them", "their")
    };
    let cascade_note = if *cascade {
        format!(", and CASCADE also drops the views and foreign keys that depend on {them}")
    } else {
        String::new()
    };
    let tables = list(&dropped);
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("dropping {tables} deletes {their} rows and breaks running queries that use {them}{cascade_note}"),
        )
        // The lock model adds the tables their foreign keys reference (their triggers go too).
        .locks(
            ctx.locks(statement)
                .into_iter()
                .filter(|lock| !ctx.locks_new_table(lock)),
        )
        .help(format!(
            "drop {tables} only in a contract phase: after no running release uses {them}, with a backup taken and dependants dropped explicitly (no CASCADE); then mark it with `-- lockstep:ignore drop-table -- <why it is safe now>`"
        )),
    );
}

/// Whether `name` is a table this change set renamed away from a name it then created
/// again, copying every row of `name` into the new table: the rename-to-backup rebuild.
/// No running release uses the backup's name, and its rows live on in the new table.
fn is_copied_backup(ctx: &Ctx, name: &ObjectName) -> bool {
    let change_set = ctx.file.change_set;
    let Some(table) = ctx.catalog.table(name) else {
        return false;
    };
    let Some((old, renamed_in)) = table.renamed_from.as_deref() else {
        return false;
    };
    *renamed_in == change_set
        && ctx.catalog.created_in(old, change_set)
        && table
            .rows_copied_to
            .as_deref()
            .is_some_and(|(into, copied_in)| {
                *copied_in == change_set && *into == ctx.catalog.key(old)
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;
    use crate::rules::testing::{lint_err, lint_err_after, lint_folder, lint_ok};

    #[test]
    fn flags_dropping_existing_tables() {
        insta::assert_snapshot!(lint_err(
            "CREATE TABLE drafts (id bigint);\nDROP TABLE IF EXISTS drafts, labels, billing.invoices CASCADE;",
            &RULE
        ));
    }

    #[test]
    fn template_placeholders_are_shown_as_written() {
        let found = lint_err("DROP TABLE ${schema}.legacy, {{ .Prefix }}_old;", &RULE);
        assert!(found.contains("`${schema}.legacy`"), "{found}");
        assert!(found.contains("`{{ .Prefix }}_old`"), "{found}");
        assert!(!found.contains("x_schema_"), "{found}");
        // A placeholder spanning lines is shown with its line break escaped.
        let multiline = lint_err("DROP TABLE {{\n.Prefix }}_old;", &RULE);
        assert!(multiline.contains("`{{\\n.Prefix }}_old`"), "{multiline}");
    }

    #[test]
    fn names_the_tables_its_foreign_keys_reference() {
        let history = "CREATE TABLE parents (id bigint PRIMARY KEY);\n\
                       CREATE TABLE children (id bigint, parent_id bigint REFERENCES parents (id));";
        let found = lint_err_after(Dialect::Postgres, history, "DROP TABLE children;", &RULE);
        assert!(
            found.contains("takes ACCESS EXCLUSIVE on children, parents"),
            "{found}"
        );
    }

    #[test]
    fn a_backup_whose_rows_were_copied_back_is_quiet_unless_cascade_or_not_copied() {
        let rebuild = "ALTER TABLE users RENAME TO users_old;\nCREATE TABLE users (id bigint, email text);\nINSERT INTO users (id, email) SELECT id, email FROM users_old;\n";
        lint_ok(&format!("{rebuild}DROP TABLE users_old;"), &RULE);
        lint_err(&format!("{rebuild}DROP TABLE users_old CASCADE;"), &RULE);
        let partial = rebuild.replace("FROM users_old;", "FROM users_old WHERE id > 10;");
        lint_err(&format!("{partial}DROP TABLE users_old;"), &RULE);
        let not_recreated = "ALTER TABLE users RENAME TO users_old;\nINSERT INTO archive SELECT * FROM users_old;\nDROP TABLE users_old;";
        lint_err(not_recreated, &RULE);
    }

    #[test]
    fn quiet_on_tables_created_in_this_change_set() {
        lint_ok(
            "CREATE TABLE drafts (id bigint);\nDROP TABLE drafts;",
            &RULE,
        );
    }

    #[test]
    fn quiet_when_a_rollback_drops_what_its_migration_created() {
        let found = lint_folder(
            &[
                ("1_labels.up.sql", "CREATE TABLE labels (id bigint);\n"),
                ("1_labels.down.sql", "DROP TABLE labels;\n"),
                ("2_tags.up.sql", "CREATE TABLE tags (id bigint);\n"),
                ("2_tags.down.sql", "DROP TABLE tags;\nDROP TABLE labels;\n"),
            ],
            &RULE,
        );
        let flagged: Vec<(&str, &str)> = found
            .iter()
            .map(|(file, f)| (file.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            flagged,
            [(
                "2_tags.down.sql",
                "dropping `labels` deletes its rows and breaks running queries that use it"
            )]
        );
    }
}
