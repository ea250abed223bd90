use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `UPDATE` and `DELETE` without a `WHERE` clause on a table that existed before
    /// this change set and, as a note, an `INSERT ... SELECT` that copies every row of such
    /// a table in one statement.
    ///
    /// ## Why is this bad?
    /// The statement scans the whole table and changes every row in one transaction. Each
    /// changed row stays locked until it commits, so application writes to any of those rows
    /// wait for the whole run; the table takes only a ROW EXCLUSIVE lock (reads and other
    /// writers of the table continue), but a large table keeps the transaction open for
    /// minutes, holds
    /// back vacuum and writes a burst of WAL that replicas must replay. A `DELETE` without
    /// `WHERE` also loses every row. A whole-table `INSERT ... SELECT` locks no row the
    /// application writes, but it is the same long transaction and the same burst of WAL.
    /// This holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// UPDATE users SET status = 'active';
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// UPDATE users SET status = 'active' WHERE id BETWEEN 1 AND 5000;
    /// ```
    /// Backfill in batches of a few thousand rows by key range, each batch committed on its
    /// own (outside the migration's DDL transaction), pausing between batches if replicas
    /// lag.
    pub static RULE = Rule {
        id: "data-change-without-where",
        group: Group::Transaction,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "UPDATE or DELETE of a whole table holds row locks and a long transaction",
        lock: Some(LockClaim { mode: LockMode::RowExclusive, effect: TableEffect::Scan }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    if let StatementKind::Insert {
        table: into,
        from: Some(from),
    } = &statement.kind
    {
        if !ctx.holds_no_rows(from) {
            ctx.report(
                Finding::new(
                    &RULE,
                    statement.span,
                    format!("INSERT ... SELECT copies every row of `{from}` into `{into}` in one transaction: on a large table it runs long, holds back vacuum and sends its WAL to replicas at once"),
                )
                .severity(Severity::Note)
                .lock(from, LockMode::AccessShare, TableEffect::Scan)
                .help(format!(
                    "copy in batches by key range, each committed on its own: `INSERT INTO {into} SELECT ... FROM {from} WHERE id BETWEEN <from> AND <to>`"
                )),
            );
        }
        return;
    }
    let (verb, table) = match &statement.kind {
        StatementKind::Update {
            table,
            has_where: false,
            ..
        } => ("UPDATE", table),
        StatementKind::Delete {
            table,
            has_where: false,
        } => ("DELETE", table),
        _ => return,
    };
    if ctx.is_new_table(table) {
        return;
    }
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("{verb} without WHERE changes every row of `{table}` in one transaction, locking each row until it commits"),
        )
        .lock(table, LockMode::RowExclusive, TableEffect::Scan)
        .help(format!(
            "run it in batches by key range, each committed on its own, outside the DDL transaction: `{verb} ... WHERE id BETWEEN <from> AND <to>` on `{table}`"
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_whole_table_updates_and_deletes() {
        insta::assert_snapshot!(lint_err(
            "UPDATE users SET status = 'active';\nDELETE FROM billing.invoices;",
            &RULE
        ));
    }

    #[test]
    fn quiet_with_a_where_clause_or_on_new_tables() {
        lint_ok("UPDATE users SET status = 'x' WHERE id < 1000;", &RULE);
        lint_ok(
            "UPDATE users u SET status = 'x' FROM orgs o WHERE o.id = u.org_id;",
            &RULE,
        );
        lint_ok("DELETE FROM users WHERE status = 'gone';", &RULE);
        lint_ok(
            "CREATE TABLE staging (id bigint, done boolean);\nUPDATE staging SET done = true;",
            &RULE,
        );
    }

    #[test]
    fn notes_a_whole_table_copy_of_an_existing_table() {
        insta::assert_snapshot!(lint_err(
            "CREATE TABLE users_archive (LIKE users);\nINSERT INTO users_archive SELECT * FROM users;",
            &RULE
        ));
        lint_ok(
            "INSERT INTO users_archive SELECT * FROM users WHERE id < 1000;",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE staging (id bigint);\nINSERT INTO archive SELECT * FROM staging;",
            &RULE,
        );
    }
}
