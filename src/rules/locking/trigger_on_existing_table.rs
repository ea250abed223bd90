use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, ObjectName, Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `CREATE TRIGGER` and `ALTER TABLE ... ENABLE / DISABLE TRIGGER` on an existing
    /// table when the wait for the lock is unbounded (no `lock_timeout` set before it) or the
    /// lock is held to the end of a transaction.
    ///
    /// ## Why is this bad?
    /// Both take a SHARE ROW EXCLUSIVE lock on the table, which blocks writes (reads
    /// continue). The statement itself is instant, but it queues behind every long query on
    /// the table while the writes that arrive after it queue behind it, and inside a
    /// transaction the lock is held until commit. Nothing is scanned. This holds on every
    /// PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE users DISABLE TRIGGER USER;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET lock_timeout = '2s';
    /// ALTER TABLE users DISABLE TRIGGER USER;
    /// ```
    /// Run it outside a long transaction with a short `lock_timeout`, and retry when it times
    /// out.
    pub static RULE = Rule {
        id: "trigger-on-existing-table",
        group: Group::Locking,
        default_severity: Severity::Warning,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "creating, enabling or disabling a trigger blocks writes to the table while it waits and until commit",
        lock: Some(LockClaim { mode: LockMode::ShareRowExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, what)) = trigger_change(statement) else {
        return;
    };
    let bounded = ctx.session.lock_timeout_set && !ctx.session.in_transaction();
    // The transaction already holds ACCESS EXCLUSIVE on the table: the trigger adds no wait.
    let already_held = ctx
        .session
        .strong_lock_held
        .as_ref()
        .is_some_and(|(held, _)| *held == table.to_string());
    if bounded || already_held || ctx.is_new_table(table) {
        return;
    }
    let why = if ctx.session.in_transaction() {
        "and holds it until the transaction commits"
    } else {
        "and waits for it without a lock_timeout"
    };
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!("{what} on `{table}` takes SHARE ROW EXCLUSIVE, blocking writes to it, {why}"),
        )
        .lock(table, LockMode::ShareRowExclusive, TableEffect::None)
        .help("run it on its own, outside a long transaction, after `SET lock_timeout = '2s';`, and retry when it times out"),
    );
}

fn trigger_change(statement: &Statement) -> Option<(&ObjectName, &'static str)> {
    match &statement.kind {
        StatementKind::CreateTrigger { table } => Some((table, "creating a trigger")),
        StatementKind::AlterTable { name, actions, .. } => actions.iter().find_map(|a| match a {
            AlterAction::EnableTrigger => Some((name, "enabling a trigger")),
            AlterAction::DisableTrigger => Some((name, "disabling a trigger")),
            _ => None,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_when_the_transaction_already_holds_access_exclusive() {
        crate::rules::testing::lint_ok(
            "BEGIN;\nSET LOCAL lock_timeout = '5s';\nALTER TABLE users ADD COLUMN nickname text;\nCREATE TRIGGER users_sync BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_sync();\nCOMMIT;",
            &RULE,
        );
    }
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_unbounded_or_long_held_trigger_changes() {
        insta::assert_snapshot!(lint_err(
            "CREATE TRIGGER users_audit AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit();",
            &RULE
        ));
        insta::assert_snapshot!(lint_err(
            "SET lock_timeout = '2s';\nBEGIN;\nALTER TABLE users ENABLE TRIGGER users_audit;\nCOMMIT;",
            &RULE
        ));
    }

    #[test]
    fn quiet_with_a_lock_timeout_outside_transactions_and_on_new_tables() {
        lint_ok(
            "SET lock_timeout = '2s';\nALTER TABLE users DISABLE TRIGGER USER;",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE users (id int);\nCREATE TRIGGER users_audit AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit();",
            &RULE,
        );
        lint_err(
            "SET lock_timeout = 0;\nALTER TABLE users DISABLE TRIGGER USER;",
            &RULE,
        );
    }
}
