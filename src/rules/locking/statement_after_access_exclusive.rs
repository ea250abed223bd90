use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::locks::statement_locks;
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::Statement;

declare_rule! {
    /// ## What it does
    /// Flags the first statement that runs, in the same transaction, after a statement took
    /// an ACCESS EXCLUSIVE lock on an existing table. Reported once per file.
    ///
    /// ## Why is this bad?
    /// A lock is held until the transaction ends. Every statement after the one that took
    /// ACCESS EXCLUSIVE runs while all reads and writes of that table wait, so a quick
    /// `ADD COLUMN` followed by an index build or a backfill keeps the table unavailable for
    /// the whole transaction. This holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// BEGIN;
    /// ALTER TABLE users ADD COLUMN nickname text;
    /// UPDATE orders SET status = 'new' WHERE id = 1;
    /// COMMIT;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET lock_timeout = '2s';
    /// BEGIN;
    /// ALTER TABLE users ADD COLUMN nickname text;
    /// COMMIT;
    /// BEGIN;
    /// UPDATE orders SET status = 'new' WHERE id = 1;
    /// COMMIT;
    /// ```
    /// Commit right after the statement that takes ACCESS EXCLUSIVE, or move the rest into
    /// its own migration.
    pub static RULE = Rule {
        id: "statement-after-access-exclusive",
        group: Group::Locking,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "statements after an ACCESS EXCLUSIVE lock in the same transaction keep the table blocked",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, _)) = &ctx.session.strong_lock_held else {
        return;
    };
    if !does_work(ctx, statement, table) {
        return;
    }
    let finding = Finding::new(
        &RULE,
        statement.span,
        format!("this runs while the transaction still holds ACCESS EXCLUSIVE on `{table}`: reads and writes of `{table}` wait until COMMIT"),
    )
    .lock(table, LockMode::AccessExclusive, TableEffect::None)
    .help(format!("commit right after the statement that locks `{table}`, and run this in its own transaction or migration"));
    ctx.report_once_per_file(finding);
}

/// Statements that lengthen the hold: data changes, scans and rewrites, and waits for a lock
/// on another table. Catalogue-only work on the locked table (a trigger function, the
/// trigger itself, a comment) commits within milliseconds.
/// Whether `statement` does work that keeps the held lock longer than it would be held
/// anyway. A statement that itself takes ACCESS EXCLUSIVE on the held table would block it
/// just as long in a transaction of its own: its own rule speaks for it.
fn does_work(ctx: &Ctx, statement: &Statement, held: &str) -> bool {
    let locks = statement_locks(statement, ctx.catalog, &ctx.target);
    if locks
        .iter()
        .any(|l| l.table == held && l.mode == LockMode::AccessExclusive)
    {
        return false;
    }
    statement.kind.is_data_change()
        || locks.iter().any(|l| {
            l.effect != TableEffect::None || (l.table != held && l.mode > LockMode::AccessShare)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_work_after_an_access_exclusive_lock() {
        insta::assert_snapshot!(lint_err(
            "BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCREATE INDEX orders_status_idx ON orders (status);\nUPDATE orders SET status = 'new';\nCOMMIT;",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_a_statement_that_takes_the_same_lock_itself() {
        lint_ok(
            "BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nALTER TABLE users ALTER COLUMN score TYPE bigint;\nCOMMIT;",
            &RULE,
        );
    }

    #[test]
    fn quiet_for_catalogue_only_work_on_the_locked_table() {
        lint_ok(
            "BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCREATE FUNCTION users_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\nCREATE TRIGGER users_sync BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_sync();\nCOMMENT ON COLUMN users.nickname IS 'shown name';\nCOMMIT;",
            &RULE,
        );
    }

    #[test]
    fn quiet_after_commit_outside_transactions_and_on_new_tables() {
        lint_ok(
            "BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\nUPDATE orders SET status = 'new' WHERE id = 1;",
            &RULE,
        );
        lint_ok(
            "ALTER TABLE users ADD COLUMN nickname text;\nUPDATE orders SET status = 'new' WHERE id = 1;",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nCREATE TABLE app.\"Users\" (id int);\nALTER TABLE app.\"Users\" ADD COLUMN nickname text;\nCREATE INDEX users_id_idx ON app.\"Users\" (id);\nCOMMIT;",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nCREATE INDEX orders_status_idx ON orders (status);\nUPDATE orders SET status = 'new' WHERE id = 1;\nCOMMIT;",
            &RULE,
        );
    }
}
