use super::alter_of_existing_table;
use crate::declare_rule;
use crate::diagnostic::{Finding, LockClaim, LockMode, Severity, TableEffect};
use crate::rules::{Ctx, Group, POSTGRES};
use crate::statement::{AlterAction, Statement};

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TABLE ... DETACH PARTITION` without `CONCURRENTLY` on a partitioned
    /// table that already exists.
    ///
    /// ## Why is this bad?
    /// The plain form takes an ACCESS EXCLUSIVE lock on both the partitioned table and the
    /// partition: every read and write of the whole table waits, and queues behind any long
    /// query already running on it. Nothing is scanned. `DETACH PARTITION ... CONCURRENTLY`
    /// (PostgreSQL 14+) holds SHARE UPDATE EXCLUSIVE on both while it works and waits for
    /// the queries already using them; only its last step takes ACCESS EXCLUSIVE, on the
    /// partition alone and for a moment: queries on the partitioned table go on, queries
    /// that name the partition itself wait for that moment.
    ///
    /// ## Example
    /// ```sql
    /// ALTER TABLE events DETACH PARTITION events_2024;
    /// ```
    ///
    /// ## Use instead
    /// ```sql
    /// SET lock_timeout = '5s';
    /// ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;
    /// ```
    /// It cannot run inside a transaction. The lock timeout keeps the final ACCESS EXCLUSIVE
    /// request on the partition from queueing behind a long query on it; if that step times
    /// out or the command is interrupted, the partition stays "detach pending": finish it
    /// with `ALTER TABLE events DETACH PARTITION events_2024 FINALIZE`.
    pub static RULE = Rule {
        id: "detach-partition-non-concurrently",
        group: Group::Locking,
        default_severity: Severity::Error,
        enabled_by_default: true,
        dialects: POSTGRES,
        versions: "PostgreSQL all versions; CONCURRENTLY from 14",
        summary: "DETACH PARTITION without CONCURRENTLY blocks reads and writes on the partitioned table",
        lock: Some(LockClaim { mode: LockMode::AccessExclusive, effect: TableEffect::None }),
        check: Some(check),
    };
}

fn check(ctx: &mut Ctx, statement: &Statement) {
    let Some((table, actions)) = alter_of_existing_table(ctx, statement) else {
        return;
    };
    for action in actions {
        let AlterAction::DetachPartition {
            partition,
            concurrently: false,
        } = action
        else {
            continue;
        };
        let shown = match partition {
            Some(p) => format!("`{p}`"),
            None => "the partition".to_string(),
        };
        let help = match (partition, ctx.target.at_least(14, 0, 0)) {
            (Some(p), true) => format!("detach without blocking, outside a transaction: `ALTER TABLE {table} DETACH PARTITION {p} CONCURRENTLY;`"),
            (None, true) => "add CONCURRENTLY and run it outside a transaction".to_string(),
            (_, false) => "CONCURRENTLY needs PostgreSQL 14: before it, set a short lock_timeout and detach when no long query uses the table".to_string(),
        };
        let mut finding = Finding::new(
            &RULE,
            statement.span,
            format!("detaching {shown} from `{table}` without CONCURRENTLY locks both against reads and writes"),
        )
        .lock(table, LockMode::AccessExclusive, TableEffect::None)
        .help(help);
        if let Some(p) = partition {
            finding = finding.lock(p, LockMode::AccessExclusive, TableEffect::None);
        }
        ctx.report(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{lint_err, lint_err_at, lint_ok};

    #[test]
    fn flags_a_plain_detach() {
        insta::assert_snapshot!(lint_err(
            "ALTER TABLE events DETACH PARTITION events_2024;",
            &RULE
        ));
        insta::assert_snapshot!(lint_err_at(
            "13",
            "ALTER TABLE app.events DETACH PARTITION app.events_2024;",
            &RULE
        ));
    }

    #[test]
    fn quiet_on_concurrent_detach_and_new_tables() {
        lint_ok(
            "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;",
            &RULE,
        );
        // FINALIZE completes an interrupted concurrent detach: it is the way out, not a risk.
        lint_ok(
            "ALTER TABLE events DETACH PARTITION events_2024 FINALIZE;",
            &RULE,
        );
        lint_ok(
            "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\nALTER TABLE events DETACH PARTITION events_2024;",
            &RULE,
        );
    }
}
