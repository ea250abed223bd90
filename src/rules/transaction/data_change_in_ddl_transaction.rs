use crate::declare_rule;
use crate::diagnostic::{Blocks, Finding, Severity};
use crate::locks::statement_locks;
use crate::rules::{Ctx, Group, POSTGRES};
use crate::session::Transaction;
use crate::statement::{ObjectName, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags a data change (`UPDATE`, `DELETE`, `INSERT`) on an existing table in the same
    /// transaction as schema changes, explicit or the one the migration framework wraps
    /// around the file. Reported once per file. Filling a table created in the same
    /// transaction is not flagged.
    ///
    /// ## Why is this bad?
    /// Locks last until the transaction commits. A backfill after an `ALTER TABLE` runs
    /// while the ALTER's lock (usually ACCESS EXCLUSIVE, blocking reads and writes) is
    /// still held, for as long as the backfill takes. A schema change after a data change
    /// waits for its lock while the transaction already holds row locks, and then holds
    /// both until the end. Either way one long transaction blocks the application and, if
    /// anything fails, rolls back all of it. This holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// BEGIN;
    /// ALTER TABLE users ADD COLUMN nickname text;
    /// UPDATE users SET nickname = name WHERE nickname IS NULL;
    /// COMMIT;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// BEGIN;
    /// ALTER TABLE users ADD COLUMN nickname text;
    /// COMMIT;
    /// UPDATE users SET nickname = name WHERE id BETWEEN 1 AND 5000;
    /// ```
    /// Commit the schema change first, then backfill in batches of a few thousand rows,
    /// each in its own transaction, from a migration that runs without a transaction or a
    /// separate backfill job.
    pub static RULE = Rule {
        id: "data-change-in-ddl-transaction",
        group: Group::Transaction,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "a data change in the same transaction as DDL holds the DDL's locks for the whole backfill",
        lock: None,
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let whose = match ctx.session.transaction {
        Transaction::None => return,
        Transaction::Explicit => "the transaction this file opens with BEGIN",
        Transaction::Implicit => "the transaction the migration framework wraps around this file",
    };
    let message = if let Some(table) = changed_table(&statement.kind) {
        if !ctx.session.ddl_in_transaction || ctx.is_new_table(table) {
            return;
        }
        format!("this data change on `{table}` runs inside {whose} after schema changes: their locks stay held until it and the rest of the transaction finish")
    } else if statement.kind.is_ddl() && ctx.session.data_change_in_transaction {
        let Some(table) = blocked_existing_table(ctx, statement) else {
            return;
        };
        format!("this schema change on `{table}` runs inside {whose} after a data change: its lock and the row locks are held together until commit")
    } else {
        return;
    };
    ctx.report_once_per_file(
        Finding::new(&RULE, statement.span, message).help(
            "commit the schema change on its own, then backfill in batches of a few thousand rows, each in its own transaction (a migration without a transaction, or a backfill job)",
        ),
    );
}

fn changed_table(kind: &StatementKind) -> Option<&ObjectName> {
    match kind {
        StatementKind::Update { table, .. }
        | StatementKind::Delete { table, .. }
        | StatementKind::Insert { table, .. } => Some(table),
        _ => None,
    }
}

/// The first table that existed before this change set on which the schema change takes
/// a lock that blocks the application's writes or reads.
fn blocked_existing_table(ctx: &Ctx, statement: &Statement) -> Option<String> {
    let locks = statement_locks(statement, ctx.catalog, &ctx.target);
    let blocking = |name: &ObjectName| {
        let shown = name.to_string();
        locks
            .iter()
            .any(|l| l.table == shown && l.blocks() != Blocks::Nothing)
    };
    changed_tables(&statement.kind)
        .into_iter()
        .find(|t| !ctx.is_new_table(t) && blocking(t))
        .map(ToString::to_string)
}

/// The tables a schema change acts on directly.
fn changed_tables(kind: &StatementKind) -> Vec<&ObjectName> {
    match kind {
        StatementKind::AlterTable { name, .. }
        | StatementKind::CreateTrigger { table: name }
        | StatementKind::RefreshMaterializedView { name, .. } => vec![name],
        StatementKind::CreateIndex(index) => vec![&index.table],
        StatementKind::DropTable { names, .. }
        | StatementKind::Truncate { tables: names, .. }
        | StatementKind::Vacuum { tables: names, .. }
        | StatementKind::LockTable { tables: names, .. } => names.iter().collect(),
        StatementKind::Cluster { table: Some(t) }
        | StatementKind::Repack { table: Some(t), .. }
        | StatementKind::Reindex {
            target: Some(t), ..
        } => vec![t],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_folder, lint_ok};

    #[test]
    fn flags_a_backfill_after_an_alter_in_one_transaction() {
        insta::assert_snapshot!(lint_err(
            "BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nUPDATE users SET nickname = name WHERE nickname IS NULL;\nUPDATE users SET nickname = email WHERE nickname IS NULL;\nCOMMIT;",
            &RULE
        ));
    }

    #[test]
    fn flags_a_schema_change_after_a_data_change() {
        lint_err(
            "BEGIN;\nDELETE FROM labels WHERE id > 100;\nCREATE INDEX labels_name_idx ON labels (name);\nCOMMIT;",
            &RULE,
        );
    }

    #[test]
    fn flags_the_implicit_transaction_of_a_framework() {
        let found = lint_folder(
            &[(
                "V3__backfill.sql",
                "ALTER TABLE users ADD COLUMN nickname text;\nUPDATE users SET nickname = name;\n",
            )],
            &RULE,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.message.contains("migration framework"));
    }

    #[test]
    fn quiet_outside_transactions_and_when_seeding_new_tables() {
        lint_ok(
            "ALTER TABLE users ADD COLUMN nickname text;\nUPDATE users SET nickname = name WHERE id < 100;",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\nUPDATE users SET nickname = name WHERE id < 100;",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nCREATE TABLE countries (code text PRIMARY KEY);\nINSERT INTO countries VALUES ('NL'), ('FR');\nCOMMIT;",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nINSERT INTO labels VALUES (10001, 'x');\nALTER TABLE accounts VALIDATE CONSTRAINT accounts_balance_check;\nCOMMIT;",
            &RULE,
        );
    }
}
