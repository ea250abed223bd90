use super::shown_tables;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `DROP INDEX` without `CONCURRENTLY` when the index belongs to a table that
    /// already exists (or to a table lockstep has not seen created).
    ///
    /// ## Why is this bad?
    /// A plain `DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index's table: reads and
    /// writes wait, and while the drop itself waits for running queries to finish, every new
    /// query queues behind it. Nothing is scanned or rewritten. This holds on every
    /// PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// DROP INDEX users_email_idx;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// DROP INDEX CONCURRENTLY users_email_idx;
    /// ```
    /// `CONCURRENTLY` takes a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes
    /// continue. It cannot run inside a transaction and drops one index per statement.
    pub static RULE = Rule {
        id: "drop-index-non-concurrently",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "DROP INDEX without CONCURRENTLY blocks reads and writes on the table",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::DropIndex {
        names,
        concurrently: false,
        if_exists,
        ..
    } = &statement.kind
    else {
        return;
    };
    let locks: Vec<_> = ctx
        .locks(statement)
        .into_iter()
        .filter(|l| !ctx.locks_new_table(l))
        .collect();
    if locks.is_empty() {
        return;
    }
    let if_exists = if *if_exists { "IF EXISTS " } else { "" };
    let safe: Vec<String> = names
        .iter()
        .map(|n| format!("`DROP INDEX CONCURRENTLY {if_exists}{n};`"))
        .collect();
    let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!(
                "dropping {} without CONCURRENTLY locks {} against reads and writes",
                names.join(", "),
                shown_tables(&locks)
            ),
        )
        .locks(locks)
        .help(format!(
            "drop it without blocking, in a migration that runs outside a transaction: {}",
            safe.join(" ")
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_a_plain_drop() {
        insta::assert_snapshot!(lint_err(
            "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nDROP INDEX IF EXISTS users_email_idx;",
            &RULE
        ));
        lint_err("DROP INDEX billing.invoices_number_idx;", &RULE);
    }

    #[test]
    fn quiet_on_concurrent_drops_and_indexes_of_new_tables() {
        lint_ok("DROP INDEX CONCURRENTLY users_email_idx;", &RULE);
        lint_ok(
            "CREATE TABLE users (id int, email text);\nCREATE INDEX users_email_idx ON users (email);\nDROP INDEX users_email_idx;",
            &RULE,
        );
        lint_ok(
            "BEGIN;\nCREATE TABLE app.\"Users\" (id int);\nCREATE INDEX users_id_idx ON app.\"Users\" (id);\nDROP INDEX app.users_id_idx;\nCOMMIT;",
            &RULE,
        );
    }
}
