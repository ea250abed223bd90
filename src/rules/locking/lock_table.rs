use crate::declare_rule;
use crate::diagnostic::{Blocks, Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{Statement, StatementKind};

declare_rule! {
    /// ## What it does
    /// Flags `LOCK TABLE` on an existing table in a mode that blocks writes (SHARE and
    /// stronger) or reads (ACCESS EXCLUSIVE, the default mode).
    ///
    /// ## Why is this bad?
    /// The lock is held until the transaction ends, so everything else the migration does
    /// runs while application traffic waits, and the `LOCK` itself queues behind every long
    /// query on the table while blocking the ones that arrive after it. Nothing is scanned or
    /// rewritten. This holds on every PostgreSQL version.
    ///
    /// ## Example
    /// ```sql
    /// LOCK TABLE users;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// LOCK TABLE users IN SHARE UPDATE EXCLUSIVE MODE;
    /// ```
    /// Usually no explicit lock is needed: each statement takes the lock it needs. To keep
    /// other migrations from changing the table meanwhile, SHARE UPDATE EXCLUSIVE is enough
    /// and lets reads and writes continue.
    pub static RULE = Rule {
        id: "lock-table",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions",
        summary: "LOCK TABLE in a mode that blocks writes or reads holds it until commit",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let StatementKind::LockTable { tables, .. } = &statement.kind else {
        return;
    };
    let blocking: Vec<_> = ctx
        .locks(statement)
        .into_iter()
        .filter(|l| l.blocks() != Blocks::Nothing && !ctx.locks_new_table(l))
        .collect();
    let Some(first) = blocking.first() else {
        return;
    };
    let mode = first.mode;
    let names: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
    ctx.report(
        Finding::new(
            &RULE,
            statement.span,
            format!(
                "LOCK TABLE takes {mode} on `{}` until the transaction ends, blocking {}",
                blocking
                    .iter()
                    .map(|l| l.table.as_str())
                    .collect::<Vec<_>>()
                    .join("`, `"),
                mode.blocks().describe()
            ),
        )
        .locks(blocking)
        .help(format!(
            "drop the explicit lock, or use `LOCK TABLE {} IN SHARE UPDATE EXCLUSIVE MODE;`, which keeps other schema changes out and lets reads and writes continue",
            names.join(", ")
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_ok};

    #[test]
    fn flags_blocking_modes() {
        insta::assert_snapshot!(lint_err("LOCK TABLE users;", &RULE));
        insta::assert_snapshot!(lint_err(
            "LOCK TABLE users, orders IN SHARE MODE NOWAIT;",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_weak_modes_and_new_tables() {
        lint_ok("LOCK TABLE users IN SHARE UPDATE EXCLUSIVE MODE;", &RULE);
        lint_ok("LOCK TABLE users IN ROW EXCLUSIVE MODE;", &RULE);
        lint_ok("CREATE TABLE users (id int);\nLOCK TABLE users;", &RULE);
    }
}
